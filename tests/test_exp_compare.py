"""``experiment=compare`` (viralsim.experiments.compare) end to end."""


import pytest

hydra = pytest.importorskip("hydra")

import viralsim as vs  # noqa: E402
from viralsim import app, experiments  # noqa: E402
from viralsim import results as res  # noqa: E402

from .app_helpers import (  # noqa: E402
    TINY,
    cfg_of,
)


def test_compare_end_to_end(tmp_path):
    cfg = cfg_of("graph.n_nodes=300", "formats=[png]", "experiment=compare", "experiment.k=[1,4]",
                 "experiment.n_sims=300")
    out = app.run(cfg, str(tmp_path), quiet=True)
    assert "cost" not in out.display_rows()[0]  # no seed costs: no cost column on the console
    rows = res.read_table(tmp_path / "results.csv")
    assert all(r["elapsed"] == r["select_time"] for r in rows)  # each row's own selection time
    assert [(r["strategy"], r["k"]) for r in rows] == [("random", 1), ("random", 4),
                                                       ("degree", 1), ("degree", 4)]
    for r in rows:
        assert r["n_sims"] == 300 and r["ci_low"] <= r["mean"] <= r["ci_high"]
        assert r["experiment"] == "compare" and r["rng_seed"] == 0 and r["version"] == vs.__version__
    # against the best heuristic by default (issue 19; it was the first strategy):
    # degree reaches more than random at k = 4, so random is compared with degree
    assert {r["baseline"] for r in rows} == {"degree"} and rows[3]["diff"] == 0.0
    assert rows[1]["diff_ci_low"] <= rows[1]["diff"] <= rows[1]["diff_ci_high"] < 0
    # the most-followed four, evaluated in the comparison's worlds, equal a direct estimate
    g = vs.generators.holme_kim(300, 4, 0.3, rng=0).with_probabilities("weighted_cascade")
    top4 = vs.select_seeds(g, k=4, strategy="degree").seeds
    table = vs.compare_strategies(g, ["random", "degree"], k=[1, 4], n_sims=300, rng=0)
    assert rows[3]["mean"] == [r for r in table.rows if r["strategy"] == "degree" and r["k"] == 4][0]["reach_mean"]
    assert sorted(rows[3]["seeds"].split()) == sorted(str(x) for x in top4)
    assert (tmp_path / "reach_vs_k.png").exists() and (tmp_path / "paired_differences.png").exists()
    text = (tmp_path / "report.md").read_text()
    assert "random reaches" in text and "degree reaches" not in text  # not against itself
    assert "fewer consumers than degree" in text and "reaches -" not in text
    assert "At k = 4, degree, the best heuristic, wins: the next best, random, reaches" in text
    assert "Paired differences against degree, the best heuristic" in text
    # random is the only other strategy: drawn, though its gap is large
    assert "random, far below" not in text


class _Table:
    def __init__(self, rows):
        self.rows = rows


def test_compare_uses_compare_strategies_when_present(tmp_path, monkeypatch):
    """The seam for the strategies module: its table's columns become the tidy ones."""
    calls = {}

    def fake(graph, strategies, *, k=None, budget=None, model=None, n_sims=None, rng=None,
             confidence=0.95, **kw):
        calls.update(strategies=strategies, k=k, budget=budget, n_sims=n_sims, rng=rng)
        return _Table([{"strategy": s, "k": x, "budget": None, "reach_mean": 10.0 * x,
                        "reach_stderr": 1.0, "reach_ci_low": 10.0 * x - 2, "reach_ci_high": 10.0 * x + 2,
                        "exposure_mean": 5.0, "diff_mean": 0.0, "diff_ci_low": -1.0, "diff_ci_high": 1.0,
                        "selection_s": 0.5, "n_sims": n_sims}
                       for s in strategies for x in k])

    monkeypatch.setattr(vs, "compare_strategies", fake, raising=False)
    cfg = cfg_of(*TINY, "experiment=compare", "experiment.strategies=[degree,imm]",
                 "experiment.k=[1,5]", "experiment.n_sims=123", "rng_seed=4")
    app.run(cfg, str(tmp_path), quiet=True)
    assert calls == {"strategies": ["degree", "imm"], "k": [1, 5], "budget": None, "n_sims": 123,
                     "rng": 4}
    rows = res.read_table(tmp_path / "results.csv")
    assert [(r["strategy"], r["k"], r["mean"], r["ci_high"]) for r in rows] == [
        ("degree", 1, 10.0, 12.0), ("degree", 5, 50.0, 52.0), ("imm", 1, 10.0, 12.0),
        ("imm", 5, 50.0, 52.0)]
    assert "budget" not in rows[0] and rows[0]["select_time"] == 0.5 and rows[0]["rng_seed"] == 4


def test_compare_table_keeps_every_seed():
    row = experiments._standard_columns({"seeds": list(range(25)), "reach_mean": 1.0})
    assert row["seeds"].split() == [str(i) for i in range(25)] and row["mean"] == 1.0


# ------------------------------------------------------------ baseline and verdict
def _hk():
    return vs.generators.holme_kim(300, 4, 0.3, rng=0).with_probabilities("weighted_cascade")


def test_best_heuristic_baseline_is_the_heuristic_reaching_most_at_the_largest_k():
    g = _hk()
    strategies = ["random", "pagerank", "degree_discount", "imm"]
    t = vs.compare_strategies(g, strategies, k=[2, 6], n_sims=200, rng=1,
                              baseline="best_heuristic")
    top = {r["strategy"]: r["reach_mean"] for r in t.rows if r["k"] == 6}
    best = max(["random", "pagerank", "degree_discount"], key=top.get)  # imm is no heuristic
    assert {r["baseline"] for r in t.rows} == {best}
    # the same numbers as naming it: the choice is made after, in the same worlds
    named = vs.compare_strategies(g, strategies, k=[2, 6], n_sims=200, rng=1, baseline=best)
    assert [(r["diff_mean"], r["diff_ci_low"]) for r in t.rows] == [
        (r["diff_mean"], r["diff_ci_low"]) for r in named.rows]


def test_best_heuristic_needs_a_heuristic():
    with pytest.raises(ValueError, match=r"include none. Add one \(e.g. 'degree'\)"):
        vs.compare_strategies(_hk(), ["imm"], k=[1], n_sims=10, baseline="best_heuristic")


def test_compare_baseline_default_and_configured(tmp_path):
    from viralsim.experiments.compare import default_baseline

    assert default_baseline(["imm", "pagerank"]) == "best_heuristic"
    assert default_baseline(["imm", "celf"]) is None  # no heuristic: the first, as before
    cfg = cfg_of("graph.n_nodes=300", "formats=[]", "experiment=compare", "experiment.k=[4]",
                 "experiment.n_sims=100", "experiment.baseline=random")
    app.run(cfg, str(tmp_path), quiet=True)
    rows = res.read_table(tmp_path / "results.csv")
    assert {r["baseline"] for r in rows} == {"random"}
    text = (tmp_path / "report.md").read_text()
    assert "At k = 4, degree wins: it reaches" in text and "than random (95% CI" in text


def _rows(diff_ci, baseline="degree"):
    lo, hi = diff_ci
    return [{"strategy": "degree", "k": 5, "mean": 100.0, "baseline": baseline, "diff": 0.0,
             "diff_ci_low": 0.0, "diff_ci_high": 0.0},
            {"strategy": "random", "k": 5, "mean": 20.0, "baseline": baseline, "diff": -80.0,
             "diff_ci_low": -82.0, "diff_ci_high": -78.0},
            {"strategy": "imm", "k": 5, "mean": 100.0 + (lo + hi) / 2, "baseline": baseline,
             "diff": (lo + hi) / 2, "diff_ci_low": lo, "diff_ci_high": hi}]


@pytest.mark.parametrize("ci, words", [
    ((1.0, 5.0), "At k = 5, imm wins: it reaches 3.0 ± 2.0 more consumers than degree, the best "
                 "heuristic (90% CI, paired: same worlds)."),
    ((-5.0, -1.0), "At k = 5, degree, the best heuristic, wins: the next best, imm, reaches "
                   "3.0 ± 2.0 fewer consumers (90% CI, paired: same worlds)."),
    ((-5.0, 1.0), "At k = 5, no clear winner at 90%: degree, the best heuristic, reaches "
                  "2.0 ± 3.0 more consumers than imm, an interval that includes 0 (paired: "
                  "same worlds)."),
    ((-1.0, 5.0), "At k = 5, no clear winner at 90%: imm reaches 2.0 ± 3.0 more consumers than "
                  "degree, the best heuristic, an interval that includes 0 (paired: same "
                  "worlds)."),
])
def test_winner_sentence(ci, words):
    from viralsim.experiments.compare import winner_sentence

    assert winner_sentence(_rows(ci), confidence=0.9) == words


def test_winner_sentence_names_a_baseline_that_is_not_the_best_heuristic():
    from viralsim.experiments.compare import winner_sentence

    rows = [dict(r, baseline="random", diff=r["mean"] - 20.0, diff_ci_low=r["mean"] - 21.0,
                 diff_ci_high=r["mean"] - 19.0) for r in _rows((1.0, 5.0))]
    assert winner_sentence(rows).startswith("At k = 5, imm wins: it reaches 83.0 ± 1.0 more "
                                            "consumers than random (95% CI")
    assert winner_sentence(rows[:1]) == ""  # nothing to compare with


def test_paired_figure_leaves_random_to_the_table_against_another_baseline(tmp_path,
                                                                            monkeypatch):
    pytest.importorskip("matplotlib")
    from viralsim import plots

    seen = {}
    real = plots.paired_differences
    monkeypatch.setattr(plots, "paired_differences",
                        lambda rows, **kw: seen.setdefault("rows", rows) and real(rows, **kw))
    cfg = cfg_of("graph.n_nodes=300", "formats=[png]", "experiment=compare", "experiment.k=[4]",
                 "experiment.strategies=[random,degree,pagerank]", "experiment.n_sims=100")
    app.run(cfg, str(tmp_path), quiet=True)
    base = res.read_table(tmp_path / "results.csv")[0]["baseline"]
    assert base in ("degree", "pagerank")
    assert [r["strategy"] for r in seen["rows"]] == [s for s in ("degree", "pagerank")
                                                     if s != base]
    assert "(random, far below, is in the table)" in (tmp_path / "report.md").read_text()
