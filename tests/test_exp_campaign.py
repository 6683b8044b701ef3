"""``experiment=campaign`` (viralsim.experiments.campaign): ranking, budgets, segments, costs."""

import os

import pytest

hydra = pytest.importorskip("hydra")

from viralsim import app, experiments  # noqa: E402
from viralsim import results as res  # noqa: E402
from viralsim.exceptions import NodeNotFound  # noqa: E402

from .app_helpers import (  # noqa: E402
    cfg_of,
)


def test_campaign_budget_below_every_cost_skips_budget_sized_plans(tmp_path):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_text("source,target\nann,bob\nann,cid\nbob,cid\ncid,dan\n")
    c.write_text("id,cost\nann,5\nbob,2\ncid,1\ndan,0.5\n")
    cfg = cfg_of("formats=[png]", "experiment=campaign", "graph=follower_csv", f"graph.path={f}",
                 f"graph.consumers={c}", "experiment.costs.attr=cost", "experiment.n_sims=200",
                 "experiment.budgets=[0.2,10]",
                 "experiment.plans=[{name: A, seeds: [ann, bob]}, {name: deg, strategy: degree}]")
    app.run(cfg, str(tmp_path / "run"), quiet=True)
    curve = res.read_table(tmp_path / "run" / "budget_curve.csv")
    assert {(r["plan"], r["budget"]) for r in curve} == {("A", 10.0), ("deg", 10.0),
                                                         ("best plan", 10.0)}


def test_plans_with_the_same_strategy_get_distinct_names(tmp_path):
    cfg = cfg_of("graph.n_nodes=300", "formats=[png]", "experiment=campaign",
                 "experiment.n_sims=200", "experiment.budgets=[100,200]",
                 "experiment.plans=[{strategy: degree, k: 2}, {strategy: degree, k: 10}, "
                 "{strategy: random, k: 5}]")
    app.run(cfg, str(tmp_path), quiet=True)
    rows = {r["plan"]: r for r in res.read_table(tmp_path / "results.csv")}
    assert set(rows) == {"degree #1", "degree #2", "random"}
    assert rows["degree #1"]["k"] == 2 and rows["degree #2"]["k"] == 10
    best = max(rows.values(), key=lambda r: r["mean"])
    assert best["plan"] == "degree #2" and rows["degree #1"]["diff"] < 0  # not "0 ± 0"
    curve = [r for r in res.read_table(tmp_path / "budget_curve.csv") if r["plan"] == "best plan"]
    for r in curve:  # the best plan that fits each budget, with its own cost and k
        want = max((x for x in rows.values() if x["cost"] <= r["budget"]), key=lambda x: x["mean"])
        assert (r["mean"], r["k"], r["cost"]) == (want["mean"], want["k"], want["cost"])
    assert len(curve) == 2


def test_campaign_plan_without_seeds_has_no_cost_per_adopter(tmp_path):
    app.run(cfg_of("graph.n_nodes=300", "formats=[png]", "experiment=campaign",
                   "experiment.n_sims=200", "experiment.plans=[{name: none, seeds: []}, "
                   "{name: top, strategy: degree, k: 3}]"), str(tmp_path), quiet=True)
    rows = {r["plan"]: r for r in res.read_table(tmp_path / "results.csv")}
    assert rows["none"]["mean"] == 0 and rows["none"]["cost_per_adopter"] is None
    assert rows["none"]["ci_low"] == rows["none"]["ci_high"] == 0  # no seeds: certain


def test_campaign_end_to_end(tmp_path, edgelist):
    plans = ("experiment.plans=[{name: Hub, seeds: [hub]}, {name: Leaves, seeds: [c, d]},"
             " {name: Best by followers, strategy: degree}]")
    cfg = cfg_of("experiment=campaign", "graph=edgelist", f"graph.path={edgelist}",
                 "probabilities=uniform", "probabilities.p=0.5", "formats=[png]", plans, "experiment.budgets=[2,4]",
                 "experiment.costs.per_follower=0.0", "experiment.n_sims=4000")
    app.run(cfg, str(tmp_path), quiet=True)
    rows = res.read_table(tmp_path / "results.csv")
    assert [r["rank"] for r in rows] == [1, 2, 3]
    means = [r["mean"] for r in rows]
    assert means == sorted(means, reverse=True)
    by = {r["plan"]: r for r in rows}
    assert by["Hub"]["cost"] == 1.0 and by["Leaves"]["cost"] == 2.0
    # the budget-sized plan buys the 4 most-followed consumers at cost 1 each
    assert by["Best by followers"]["k"] == 4 and by["Best by followers"]["cost"] == 4.0
    best = rows[0]
    assert best["diff"] == 0.0 and all(r["vs_best"] == best["plan"] for r in rows)
    for r in rows:
        assert r["cost_per_adopter"] == pytest.approx(r["cost"] / r["mean"])
        assert r["diff_ci_low"] <= r["diff"] <= r["diff_ci_high"]
    curve = res.read_table(tmp_path / "budget_curve.csv")
    assert {r["budget"] for r in curve} == {2.0, 4.0}
    assert (tmp_path / "reach_vs_budget.png").exists()
    text = (tmp_path / "report.md").read_text()
    assert "more consumers than" in text and best["plan"] in text


def test_campaign_cost_equal_to_budget_fits(tmp_path, edgelist):
    # a, b, f cost 0.6 + 0.5 * 1 follower = 1.1 and c, d, e cost 0.6: both plans cost
    # 1.1 + 0.6, which is 1.7000000000000002 in floats, and must fit a budget of 1.7
    cfg = cfg_of("experiment=campaign", "graph=edgelist", f"graph.path={edgelist}",
                 "probabilities=uniform", "probabilities.p=0.5", "formats=[png]",
                 "experiment.plans=[{name: List, seeds: [a, c]}, {name: Budget, strategy: degree}]",
                 "experiment.budgets=[1.7]", "experiment.costs.base=0.6",
                 "experiment.costs.per_follower=0.5", "experiment.n_sims=200")
    app.run(cfg, str(tmp_path), quiet=True)
    rows = {r["plan"]: r for r in res.read_table(tmp_path / "results.csv")}
    assert set(rows) == {"List", "Budget"}
    assert rows["List"]["cost"] == rows["Budget"]["cost"] == 1.1 + 0.6 > 1.7
    assert rows["Budget"]["k"] == 2
    curve = res.read_table(tmp_path / "budget_curve.csv")
    assert {r["plan"] for r in curve} == {"List", "Budget", "best plan"}


def test_campaign_target_segment(tmp_path):
    # p = 0: only seeds adopt, so reach in segment 1 is the number of seeds there
    cfg = cfg_of("experiment=campaign", "graph=stochastic_block", "graph.sizes=[30,30]",
                 "graph.p_in=0.2", "graph.p_out=0.01", "probabilities=uniform", "probabilities.p=0.0",
                 "formats=[png]", "experiment.n_sims=50", "experiment.budgets=[]",
                 "experiment.target_segment=1",
                 "experiment.plans=[{name: A, seeds: [0, 1]}, {name: B, seeds: [30, 31, 0]}]")
    app.run(cfg, str(tmp_path), quiet=True)
    rows = {r["plan"]: r for r in res.read_table(tmp_path / "results.csv")}
    assert (rows["A"]["mean"], rows["A"]["segment_reach"]) == (2.0, 0.0)
    assert (rows["B"]["mean"], rows["B"]["segment_reach"]) == (3.0, 2.0)
    assert rows["B"]["rank"] == 1 and rows["A"]["diff"] == -1.0


def test_campaign_bad_inputs(tmp_path, edgelist):
    base = ["experiment=campaign", "graph=edgelist", f"graph.path={edgelist}",
            "probabilities=uniform", "formats=[png]",
            "experiment.n_sims=100"]
    cfg = cfg_of(*base, "experiment.plans=[{name: A, seeds: [hub, zed, yan]}]")
    with pytest.raises(NodeNotFound, match="zed.*yan|'zed'"):
        app.run(cfg, str(tmp_path / "a"), quiet=True)
    cfg = cfg_of(*base, "experiment.plans=[{name: A, seeds: [hub, a]}]",
                 "experiment.budgets=[1.5]")
    with pytest.raises(ValueError, match="below the cost of every plan"):
        app.run(cfg, str(tmp_path / "b"), quiet=True)
    assert not os.path.exists(tmp_path / "b" / "results.csv")
    for plans, match in [
        ("[{name: A, seeds: hub}]", r"Plan 'A': seeds must be a list of consumer ids, e.g. "
                                    r"seeds: \[hub\]"),
        ("[{name: A, seeds: [hub], strategy: degree}]", r"gives seeds and strategy"),
        ("[{name: A, strategy: degree, k: -1}]", r"k must be a whole number >= 0"),
        ("[{name: A, strategy: degree, k: 2.5}]", r"k must be a whole number >= 0"),
    ]:
        with pytest.raises(ValueError, match=match):
            app.run(cfg_of(*base, f"experiment.plans={plans}"), str(tmp_path / "c"), quiet=True)
    with pytest.raises(ValueError, match=r"Plan 'big' \(strategy degree, k=50\): The 'k' "
                                         r"parameter .* at most the number of nodes"):
        app.run(cfg_of(*base, "experiment.plans=[{name: big, strategy: degree, k: 50}]"),
                str(tmp_path / "e"), quiet=True)
    with pytest.raises(ValueError, match=r"every budget must be a number > 0"):
        app.run(cfg_of(*base, "experiment.plans=[{name: A, seeds: [hub]}]",
                       "experiment.budgets=[-5,40]"), str(tmp_path / "d"), quiet=True)
    assert not os.path.exists(tmp_path / "c" / "results.csv")


def test_campaign_reports_plans_left_out_and_unknown_segments(tmp_path, edgelist):
    base = ["experiment=campaign", "graph=edgelist", f"graph.path={edgelist}",
            "probabilities=uniform", "formats=[png]", "experiment.n_sims=100",
            "experiment.costs.per_follower=0.0"]
    app.run(cfg_of(*base, "experiment.plans=[{name: A, seeds: [hub]}, {name: B, seeds: [a, b, c]}]",
                   "experiment.budgets=[1,2]"), str(tmp_path / "a"), quiet=True)
    assert [r["plan"] for r in res.read_table(tmp_path / "a" / "results.csv")] == ["A"]
    text = (tmp_path / "a" / "report.md").read_text()
    assert "Left out: **B** costs 3.00, over the largest budget (2.00)." in text
    curve = res.read_table(tmp_path / "a" / "budget_curve.csv")
    assert {r["best_of"] for r in curve if r["plan"] == "best plan"} == {"A"}
    # a target segment no consumer is in: an error naming the segments there are
    cfg = cfg_of("experiment=campaign", "graph=stochastic_block", "graph.sizes=[30,30]",
                 "graph.p_in=0.2", "graph.p_out=0.01", "probabilities=uniform", "formats=[png]",
                 "experiment.n_sims=50", "experiment.budgets=[]", "experiment.target_segment=7",
                 "experiment.plans=[{name: A, seeds: [0, 1]}]")
    with pytest.raises(ValueError, match=r"target_segment=7: no consumer is in that segment "
                                         r"\(the 'segment' values are 0, 1\)"):
        app.run(cfg, str(tmp_path / "b"), quiet=True)


def test_negative_cost_names_the_consumers(tmp_path):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_text("source,target\nann,bob\n")
    c.write_text("id,cost\nann,1\nbob,-3\n")
    g = experiments.read_follower_csv(str(f), consumers=str(c))
    with pytest.raises(ValueError, match=r"attribute 'cost' .* gives 'bob' \(-3\)"):
        experiments.seed_costs(g, {"attr": "cost"})
    with pytest.raises(ValueError, match=r"gives 'ann' \(-1\), 'bob' \(-1\)\. Fix costs.base"):
        experiments.seed_costs(g, {"base": -1.0})
