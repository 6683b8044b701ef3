"""``experiment=learn`` (viralsim.experiments.learn) end to end: a simulated log through
the application and the command line; the files, the report's sentences, bad configs."""

import csv
import os

import numpy as np
import pytest

hydra = pytest.importorskip("hydra")

import viralsim as vs  # noqa: E402
from viralsim import app  # noqa: E402
from viralsim import results as res  # noqa: E402

from .app_helpers import DATA, _cli, cfg_of  # noqa: E402

P_TRUE = 0.3


def _simulated(tmp_path, n_items=80, n_nodes=60, seed=0):
    """A follower graph (edge list file) and an action log of IC cascades with p = P_TRUE,
    simulated here step by step (round r -> time 1000 * item + r)."""
    g = vs.generators.holme_kim(n_nodes, 2, 0.3, rng=seed)
    src, dst, _ = g.edges()
    gpath = tmp_path / "followers.txt"
    gpath.write_text("".join(f"{s} {d}\n" for s, d in zip(src.tolist(), dst.tolist())))
    out = {}
    for s, d in zip(src.tolist(), dst.tolist()):
        out.setdefault(s, []).append(d)
    rng = np.random.default_rng(seed)
    lines = ["campaign;consumer;when"]
    for i in range(n_items):
        first = int(rng.integers(n_nodes))
        t, front, r = {first: 0}, [first], 0
        while front:
            r += 1
            nxt = []
            for u in front:
                for v in out.get(u, []):
                    if v not in t and rng.random() < P_TRUE:
                        t[v] = r
                        nxt.append(v)
            front = nxt
        lines += [f"c{i};{u};{1000 * i + tt}" for u, tt in t.items()]
    lpath = tmp_path / "adoptions.csv"
    lpath.write_text("\n".join(lines) + "\n")
    return gpath, lpath


def _cfg(gpath, lpath, *more):
    return cfg_of("experiment=learn", "graph=edgelist", f"graph.path={gpath}",
                  f"log.path={lpath}", "log.item=campaign", "log.user=consumer",
                  "log.time=when", "experiment.n_sims=100", "experiment.n_draws=5",
                  "formats=[png]", *more)


def test_learn_end_to_end_files_and_report(tmp_path):
    gpath, lpath = _simulated(tmp_path)
    out = tmp_path / "run"
    outcome = app.run(_cfg(gpath, lpath), str(out), quiet=True)
    for f in ("results.csv", "forecasts.csv", "fitted_graph.txt", "fitted_edges.csv", "fit.npz",
              "calibration.png", "report.md", "DONE"):
        assert (out / f).exists(), f
    rows = res.read_table(out / "results.csv")
    methods = [r["method"] for r in rows]
    assert methods[:2] == ["learned", "learned, no outside"]
    assert {"weighted cascade", "trivalency"} <= set(methods)
    assert any(m.startswith("uniform p=") for m in methods)
    # time split: the last 20% of the 80 items (by first adoption) are held out
    assert rows[0]["train_items"] == 64 and rows[0]["test_items"] == 16
    bt = outcome.extra["backtest"]
    for r in rows:  # the table is the backtest's scores
        sc = bt.scores[r["method"]]
        assert r["log_score"] == sc["log_score"] and r["coverage"] == sc["coverage"]
    # per-item forecasts: one row per (test item, method), observed sizes from the log
    with open(out / "forecasts.csv", newline="") as fh:
        fc = list(csv.DictReader(fh))
    assert len(fc) == len(methods) * rows[0]["n_items"]
    # the fitted graph reads back with the learned probabilities (stored as float32, as
    # every graph's), the same as the fit's graph
    fit = outcome.extra["fit"]
    g = vs.read_edgelist(out / "fitted_graph.txt", directed=True)
    s, d, p = g.edges()
    s0, d0, p0, trials, _ = fit.edge_table()
    back = {(a, b): q for a, b, q in zip(s.tolist(), d.tolist(), p.tolist())}
    assert all(back[(a, b)] == np.float32(q)
               for a, b, q in zip(s0.tolist(), d0.tolist(), p0.tolist()))
    assert sorted(back.values()) == sorted(fit.graph.edges()[2].tolist())
    with open(out / "fitted_edges.csv", newline="") as fh:
        ed = list(csv.DictReader(fh))
    assert [float(e["trials"]) for e in ed] == trials.tolist()
    # well-tried edges: the learned probabilities are near the truth (pooled, +-0.1 is
    # far wider than the pooled standard error of a few hundred trials)
    well = trials >= 3
    assert well.sum() > 20
    assert abs(np.average(p0[well], weights=trials[well]) - P_TRUE) < 0.1
    text = (out / "report.md").read_text()
    n = rows[0]["n_items"]
    held = round(100 * bt.scores["learned"]["coverage"])
    assert (f"On {n} campaigns it never saw, the forecast's 90% range held the real outcome "
            f"{held} times in 100") in text
    wc = bt.scores["weighted cascade"]["log_score"]
    verb = "beat" if bt.scores["learned"]["log_score"] > wc else "did not beat"
    assert f"The learned model {verb} weighted cascade on log score" in text
    from scipy.stats import spearmanr

    from viralsim.experiments.learn import _rank_correlation

    rho = spearmanr([r["mean"] for r in bt.rows if r["method"] == "learned"],
                    [r["observed"] for r in bt.rows if r["method"] == "learned"])[0]
    assert abs(_rank_correlation(bt.rows, "learned") - rho) < 1e-12
    assert (f"the rank correlation between the forecast mean and the real size is {rho:.2f}"
            in text)
    assert "![Forecast against outcome on the held-out items](calibration.png)" in text
    assert "graph.path=<this folder>/fitted_graph.txt probabilities=keep" in text
    assert ("viralsim experiment=campaign graph=fitted graph.path=<this folder> "
            "experiment.uncertainty=parameters") in text


def test_same_seed_same_numbers_and_item_split(tmp_path):
    gpath, lpath = _simulated(tmp_path, n_items=30, n_nodes=40)
    more = ("experiment.split=item", "experiment.test_size=0.3", "experiment.prior=0",
            "experiment.baselines=[weighted_cascade]", "formats=[]")
    a = app.run(_cfg(gpath, lpath, *more), str(tmp_path / "a"), quiet=True).rows
    b = app.run(_cfg(gpath, lpath, *more), str(tmp_path / "b"), quiet=True).rows
    assert [r["log_score"] for r in a] == [r["log_score"] for r in b]
    assert a[0]["test_items"] == 9 and a[0]["split"] == "item"
    assert not (tmp_path / "a" / "calibration.png").exists()


@pytest.mark.parametrize("over, msg", [
    (["log.path=null"], r"experiment=learn needs an action log: give log.path="),
    (["experiment.split=sideways"], r"experiment.split='sideways': choose one of auto, time"),
    (["experiment.split=dataset"], r"experiment.split=dataset needs log.dataset=<name>"),
    (["experiment.test_size=1.5"], r"experiment.test_size=1.5: give the held-out share"),
    (["experiment.baselines=[wc]"], r"experiment.baselines names \['wc'\]"),
    (["experiment.n_sims=1"], r"experiment.n_sims=1: give the worlds per forecast"),
    (["experiment.prior=lots"], r"experiment.prior='lots': give auto, or a number"),
    (["log.user=who"], r"who"),
])
def test_bad_config_is_one_clear_error(tmp_path, over, msg):
    gpath, lpath = _simulated(tmp_path, n_items=10, n_nodes=20)
    with pytest.raises((ValueError, vs.ViralsimError), match=msg):
        app.run(_cfg(gpath, lpath, *over), str(tmp_path / "x"), quiet=True)


def test_command_line(tmp_path):
    gpath, lpath = _simulated(tmp_path, n_items=20, n_nodes=30)
    args = ["experiment=learn", "graph=edgelist", f"graph.path={gpath}", f"log.path={lpath}",
            "log.item=campaign", "log.user=consumer", "log.time=when", "n_sims=50",
            "experiment.n_draws=5", "experiment.prior=0", "formats=[]",
            f"hydra.run.dir={tmp_path / 'run'}"]
    p = _cli(args, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "learned" in p.stdout and "log score" in p.stdout
    rows = res.read_table(tmp_path / "run" / "results.csv")
    assert rows[0]["n_items"] >= 1
    # n_sims= on the command line is the worlds per forecast
    assert (tmp_path / "run" / "config.yaml").read_text().count("n_sims: 50") == 2
    bad = _cli(["experiment=learn", "n_sims=50", f"hydra.run.dir={tmp_path / 'bad'}"],
               cwd=tmp_path)
    assert bad.returncode == 1
    assert "Error: experiment=learn needs an action log" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.filterwarnings("ignore:FollowerGraph.from_edges. merged")  # the dataset's own
def test_android_dataset_from_the_command_line_config(tmp_path):
    folder = os.path.join(DATA, "cascades", "stackexchange-android")
    if not os.path.isdir(folder):
        pytest.skip("../shared/data/cascades/stackexchange-android absent")
    cfg = cfg_of("experiment=learn", "log.dataset=stackexchange-android",
                 f"log.data_home={DATA}", "experiment.n_sims=40", "experiment.n_draws=4",
                 "experiment.max_items=5", "experiment.prior=0",
                 "experiment.baselines=[weighted_cascade]", "formats=[]")
    out = app.run(cfg, str(tmp_path), quiet=True)
    r = out.rows[0]
    assert (r["graph"], r["split"], r["train_items"], r["test_items"]) == (
        "stackexchange-android", "dataset", 543, 136)
    assert r["n_items"] == 5
    assert "On 5 campaigns it never saw" in out.text


def test_reports_state_the_probability_assumption_and_campaign_runs_on_a_fitted_graph(tmp_path):
    from .app_helpers import TINY

    est = app.run(cfg_of(*TINY, "formats=[]"), str(tmp_path / "e"), quiet=True)
    assert ("Probabilities: weighted cascade (each consumer is persuaded by each account they "
            "follow with probability 1 / the number of accounts they follow); assumed, not "
            "learned from data.") in est.text
    est = app.run(cfg_of(*TINY, "formats=[]", "probabilities=uniform", "probabilities.p=0.02"),
                  str(tmp_path / "u"), quiet=True)
    assert "Probabilities: uniform (every follow persuades with probability 0.02)" in est.text
    gpath, lpath = _simulated(tmp_path, n_items=30, n_nodes=40)
    learn = app.run(_cfg(gpath, lpath, "experiment.prior=0", "formats=[]",
                         "experiment.baselines=[weighted_cascade]"),
                    str(tmp_path / "fit"), quiet=True)
    fitted = tmp_path / "fit" / "fitted_graph.txt"
    camp = app.run(cfg_of("experiment=campaign", "graph=edgelist", f"graph.path={fitted}",
                          "probabilities=keep", "experiment.n_sims=100",
                          "formats=[]"), str(tmp_path / "c"), quiet=True)
    assert ("Probabilities: learned from data (the fitted graph of experiment=learn, "
            "fitted_graph.txt)") in camp.text
    # the campaign simulated the learned probabilities (read back, float32 like every graph)
    g = vs.read_edgelist(fitted, directed=True)
    fit_g = learn.extra["fit"].graph
    assert sorted(g.edges()[2].tolist()) == sorted(fit_g.edges()[2].tolist())
    # a file's own probabilities are said to be the file's
    own = tmp_path / "followers_p.txt"
    own.write_text("".join(f"{line} 0.1\n" for line in gpath.read_text().split("\n") if line))
    camp2 = app.run(cfg_of("experiment=estimate", "graph=edgelist", f"graph.path={own}",
                           "probabilities=keep", "n_sims=50", "formats=[]",
                           "experiment.plans=[{seeds: [0]}]"),
                    str(tmp_path / "k"), quiet=True)
    assert "Probabilities: as given in the graph's file (followers_p.txt)" in camp2.text


@pytest.mark.filterwarnings("ignore:FollowerGraph.from_edges. merged")
def test_android_splits_by_item_not_by_time(tmp_path):
    folder = os.path.join(DATA, "cascades", "stackexchange-android")
    if not os.path.isdir(folder):
        pytest.skip("../shared/data/cascades/stackexchange-android absent")
    base = ("experiment=learn", "log.dataset=stackexchange-android", f"log.data_home={DATA}",
            "experiment.n_sims=20", "experiment.n_draws=2", "experiment.max_items=2",
            "experiment.prior=0", "experiment.baselines=[weighted_cascade]", "formats=[]")
    with pytest.raises(ValueError, match=r"count from each cascade's start .* split by time"):
        app.run(cfg_of(*base, "experiment.split=time"), str(tmp_path / "t"), quiet=True)
    r = app.run(cfg_of(*base, "experiment.split=item", "experiment.test_size=0.1"),
                str(tmp_path / "i"), quiet=True).rows[0]
    assert (r["split"], r["train_items"], r["test_items"]) == ("item", 611, 68)
