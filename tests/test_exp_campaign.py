"""``experiment=campaign`` (viralsim.experiments.campaign): ranking, budgets, segments, costs."""

import os

import pytest

hydra = pytest.importorskip("hydra")

from omegaconf import OmegaConf  # noqa: E402

from viralsim import app, experiments  # noqa: E402
from viralsim import results as res  # noqa: E402
from viralsim.exceptions import NodeNotFound  # noqa: E402
from viralsim.experiments.campaign import campaign_of  # noqa: E402

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


# ---------------------------------------------------------------------- the whole answer
def _consumer_files(tmp_path):
    """A follower CSV (hub -> a..e, a -> f, b -> f, f -> hub) and a consumers CSV with
    names, costs and a text segment, saved as a spreadsheet would (';', cp1252)."""
    f, c = tmp_path / "followers (export).csv", tmp_path / "consumers.csv"
    edges = [("hub", x) for x in "abcde"] + [("a", "f"), ("b", "f"), ("f", "hub")]
    # follower;followed: the row says who follows whom
    f.write_bytes(("Follower;Followed\n" + "".join(f"{v};{u}\n" for u, v in edges))
                  .encode("cp1252"))
    names = {"hub": "Jörg Müller", "a": "Ann", "b": "Bob", "c": "Cid", "d": "Dee", "e": "Eve",
             "f": "Fay"}
    seg = {"hub": "retired", "a": "students", "b": "students", "c": "retired", "d": "retired",
           "e": "retired", "f": "students"}
    c.write_bytes(("ID;Name;Cost;Segment\n" + "".join(
        f"{k};{names[k]};{1 + i},5;{seg[k]}\n" for i, k in enumerate(names))).encode("cp1252"))
    return str(f), str(c), names


def test_campaign_targets_csv_report_and_every_budget(tmp_path):
    f, c, names = _consumer_files(tmp_path)
    cfg = cfg_of("experiment=campaign", "graph=follower_csv", f"graph.path='{f}'",
                 f"graph.consumers={c}", "probabilities=uniform", "probabilities.p=0.3",
                 "formats=[png]", "experiment.n_sims=300", "experiment.budgets=[3,9]",
                 "experiment.costs.attr=cost",
                 "experiment.plans=[{name: mine, seeds: [e, a]}, {name: most followed, "
                 "strategy: degree}]")
    out = app.run(cfg, str(tmp_path / "run"), quiet=True)
    run = tmp_path / "run"
    targets = res.read_table(run / "targets.csv")
    # every plan x budget, in pick order, with every consumers-file column
    sets = {}
    for t in targets:
        sets.setdefault((t["plan"], t["budget"]), []).append(t)
    # mine costs 6.5 + 2.5 = 9: only at budget 9; the degree plan at both budgets
    assert set(sets) == {("most followed", 3.0), ("most followed", 9.0), ("mine", 9.0)}
    mine = sets[("mine", 9.0)]
    assert [t["id"] for t in mine] == ["e", "a"] and [t["pick"] for t in mine] == [1, 2]
    assert [t["Name"] for t in mine] == ["Eve", "Ann"]
    assert [t["Segment"] for t in mine] == ["retired", "students"]
    assert [t["followers"] for t in mine] == [0, 1] and [t["cost"] for t in mine] == [6.5, 2.5]
    assert mine[-1]["total_cost"] == 9.0 and mine[0]["Cost"] == 6.5  # the file's column too
    deg3 = sets[("most followed", 3.0)]
    assert [t["id"] for t in deg3] == ["hub"] and deg3[0]["Name"] == "Jörg Müller"
    assert deg3[0]["followers"] == 5  # hub has 5 followers (a..e)
    # the best plan at each budget is marked, one per budget
    for b in (3.0, 9.0):
        assert len({t["plan"] for t in targets if t["budget"] == b and t["best"]}) == 1
    # the seeds in targets.csv are the ones the plans' rows in results.csv were estimated with
    rows = {r["plan"]: r for r in res.read_table(run / "results.csv")}
    for plan, r in rows.items():
        assert " ".join(t["id"] for t in sets[(plan, 9.0)]) == r["seeds"]
    text = (run / "report.md").read_text()
    # the campaign table for every budget
    assert "### Budget 3.00" in text and "### Budget 9.00" in text
    # the budget sentence says from which budget to which
    assert "Raising the budget from 3.00 to 9.00 buys" in text
    # the best plan's full list, with names, followers and cost
    best = out.rows[0]["plan"]
    assert f"## Whom to target: {best} at budget 9.00" in text
    for t in sets[(best, 9.0)]:
        assert f"| {t['pick']} | {t['id']} | {t['Name']} |" in text
    # the console shows every budget
    assert {r["budget"] for r in out.display_rows()} == {3.0, 9.0}


def test_campaign_targets_lists_every_seed_beyond_the_cut(tmp_path):
    # results.csv's seeds column stops at 20 names; targets.csv and report.md hold them all
    cfg = cfg_of("experiment=campaign", "graph.n_nodes=200", "formats=[]",
                 "experiment.n_sims=50", "experiment.budgets=[]",
                 "experiment.plans=[{name: many, strategy: degree, k: 25}]")
    app.run(cfg, str(tmp_path), quiet=True)
    (row,) = res.read_table(tmp_path / "results.csv")
    assert str(row["seeds"]).endswith("...(+5)")
    targets = res.read_table(tmp_path / "targets.csv")
    assert [t["pick"] for t in targets] == list(range(1, 26))
    assert [str(t["id"]) for t in targets][:20] == str(row["seeds"]).split()[:20]
    assert all(t["budget"] is None and t["best"] for t in targets)
    text = (tmp_path / "report.md").read_text()
    assert "## Whom to target: many" in text and "25 consumers, in the order" in text
    assert text.count("\n| ") >= 25 + 1


def test_campaign_text_segment_is_the_target_and_plotted(tmp_path):
    f, c, _ = _consumer_files(tmp_path)
    # p = 0: only seeds adopt, so reach in the segment is the number of seeds in it
    cfg = cfg_of("experiment=campaign", "graph=follower_csv", f"graph.path='{f}'",
                 f"graph.consumers={c}", "probabilities=uniform", "probabilities.p=0.0",
                 "formats=[png]", "experiment.n_sims=50", "experiment.budgets=[5,20]",
                 "experiment.target_segment=students", "experiment.segment_attr=segment",
                 "experiment.plans=[{name: A, seeds: [a, b]}, {name: B, seeds: [a, c, d]}]")
    app.run(cfg, str(tmp_path / "run"), quiet=True)
    rows = {r["plan"]: r for r in res.read_table(tmp_path / "run" / "results.csv")}
    assert (rows["A"]["mean"], rows["A"]["segment_reach"]) == (2.0, 2.0)
    assert (rows["B"]["mean"], rows["B"]["segment_reach"]) == (3.0, 1.0)
    assert (tmp_path / "run" / "segment_reach_vs_budget.png").exists()
    assert "segment_reach_vs_budget.png" in (tmp_path / "run" / "report.md").read_text()
    bad = OmegaConf.to_container(cfg_of(*_overrides(f, c), "experiment.target_segment=pupils"),
                                 resolve=True)
    with pytest.raises(ValueError, match=r"target_segment=pupils: no consumer is in that segment "
                                         r"\(the 'Segment' values are retired, students\)"):
        campaign_of(bad)


def _overrides(f, c):
    return ["experiment=campaign", "graph=follower_csv", f"graph.path='{f}'",
            f"graph.consumers={c}", "experiment.budgets=[]", "experiment.n_sims=10",
            "experiment.plans=[{name: A, seeds: [a]}]"]


def test_campaign_optimisers_target_the_segment():
    """With a target segment, an optimised plan is IMM over RR sets rooted in the segment."""
    import numpy as np

    import viralsim as vs
    from viralsim.experiments import _build
    from viralsim.experiments.campaign import _plan_seeds

    cfg = cfg_of("experiment=campaign", "graph=stochastic_block", "graph.sizes=[40,40]",
                 "graph.p_in=0.15", "graph.p_out=0.02", "experiment.n_sims=20",
                 "experiment.budgets=[3]", "experiment.costs.base=1",
                 "experiment.costs.per_follower=0", "experiment.target_segment=1",
                 "experiment.plans=[{name: opt, strategy: imm}]")
    c = campaign_of(OmegaConf.to_container(cfg, resolve=True))
    seeds = _plan_seeds(c, 0, c.plans[0][1], 3.0)
    rng = _build.sub_rng(c.estimation.rng_seed, 4, 0)
    want = vs.select_seeds(c.graph, budget=3.0, costs=c.costs, strategy="imm", model=c.model,
                           rng=rng, weight_attr="_target_segment").seeds
    assert seeds == list(want)
    seg = np.asarray(c.graph.node_attrs["_target_segment"])
    # the picks sit in segment 1 (ties within blocks are dense, across them sparse)
    assert seg[c.graph.index_of(seeds)].all()


def _two_plans(path, *extra):
    # p = 0: only seeds adopt; the hub is seen by its 5 followers, c and d by nobody
    return cfg_of("experiment=campaign", "graph=edgelist", f"graph.path={path}",
                  "probabilities=uniform", "probabilities.p=0.0", "formats=[png]",
                  "experiment.n_sims=50", "experiment.budgets=[]",
                  "experiment.plans=[{name: hub, seeds: [hub]}, {name: pair, seeds: [c, d]}]",
                  *extra)


def test_campaign_goal_exposure_ranks_by_exposure(tmp_path, edgelist):
    runs = {}
    for goal in (None, "adopters", "exposure"):
        out = tmp_path / str(goal)
        extra = () if goal is None else (f"experiment.goal={goal}",)
        app.run(_two_plans(edgelist, *extra), str(out), quiet=True)
        runs[goal] = ({r["plan"]: r for r in res.read_table(out / "results.csv")},
                      (out / "report.md").read_text())
    # the default is adopters, and it says nothing new
    (by_default, text), (adopters, _) = runs[None], runs["adopters"]
    assert {p: (r["rank"], r["mean"]) for p, r in by_default.items()} == \
        {p: (r["rank"], r["mean"]) for p, r in adopters.items()} == {"pair": (1, 2.0),
                                                                      "hub": (2, 1.0)}
    assert "ranked by" not in text
    rows, text = runs["exposure"]
    assert (rows["hub"]["exposure"], rows["pair"]["exposure"]) == (6.0, 2.0)
    assert (rows["hub"]["rank"], rows["pair"]["rank"]) == (1, 2)
    assert "Plans are ranked by exposure" in text
    assert "**hub** is the best plan: it is seen by 6" in text


def test_campaign_goal_exposure_optimises_exposure():
    """An optimised plan picks what select_seeds(goal="exposure") picks, and the
    budget's best plan is the one seen by the most."""
    import viralsim as vs
    from viralsim.experiments import _build
    from viralsim.experiments.campaign import _plan_seeds, budget_curve, price_plans, rank_plans

    cfg = cfg_of("experiment=campaign", "graph.n_nodes=100", "experiment.n_sims=200",
                 "probabilities=uniform", "probabilities.p=0.1",
                 "experiment.budgets=[3]", "experiment.costs.base=1",
                 "experiment.costs.per_follower=0", "experiment.goal=exposure",
                 "experiment.plans=[{name: opt, strategy: imm}, {name: deg, strategy: degree}]")
    c = campaign_of(OmegaConf.to_container(cfg, resolve=True))
    seeds = _plan_seeds(c, 0, c.plans[0][1], 3.0)
    kw = dict(budget=3.0, costs=c.costs, strategy="imm", model=c.model)
    want = vs.select_seeds(c.graph, rng=_build.sub_rng(c.estimation.rng_seed, 4, 0),
                           goal="exposure", **kw).seeds
    assert seeds == list(want)
    adopters = vs.select_seeds(c.graph, rng=_build.sub_rng(c.estimation.rng_seed, 4, 0),
                               **kw).seeds
    assert list(adopters) != seeds  # the goal changed the picks
    chosen, _ = price_plans(c)
    rows = rank_plans(c, chosen)
    assert rows[0]["exposure"] >= rows[1]["exposure"]
    curve, best = budget_curve(c, chosen, rows)
    assert best[0]["best_of"] == max(curve, key=lambda r: r["exposure"])["plan"]


def test_campaign_goal_errors(edgelist):
    with pytest.raises(ValueError, match=r"^experiment.goal='reach': choose adopters .* or "
                                         r"exposure .*experiment.goal=exposure\.$"):
        campaign_of(OmegaConf.to_container(_two_plans(edgelist, "experiment.goal=reach")))
    with pytest.raises(ValueError, match=r"goal=exposure ranks plans by exposure, which "
                                         r"exposure=false turns off"):
        campaign_of(OmegaConf.to_container(_two_plans(edgelist, "experiment.goal=exposure",
                                                      "exposure=false")))
    # exposure within a segment: RR sets only (imm, opim_c), said before any run
    cfg = cfg_of("experiment=campaign", "graph=stochastic_block", "graph.sizes=[20,20]",
                 "experiment.n_sims=20", "experiment.budgets=[3]", "experiment.target_segment=1",
                 "experiment.goal=exposure", "experiment.plans=[{name: opt, strategy: celf}]")
    with pytest.raises(ValueError, match=r"Plan 'opt': experiment.goal=exposure with "
                                         r"experiment.target_segment .* imm or opim_c only"):
        campaign_of(OmegaConf.to_container(cfg, resolve=True))


def test_campaign_target_segment_ranks_by_segment_reach(tmp_path):
    # p = 0: only seeds adopt; A has more adopters, B more in segment 1: B ranks first
    cfg = cfg_of("experiment=campaign", "graph=stochastic_block", "graph.sizes=[30,30]",
                 "graph.p_in=0.2", "graph.p_out=0.01", "probabilities=uniform", "probabilities.p=0.0",
                 "formats=[png]", "experiment.n_sims=50", "experiment.budgets=[]",
                 "experiment.target_segment=1",
                 "experiment.plans=[{name: A, seeds: [0, 1, 2]}, {name: B, seeds: [30, 31]}]")
    app.run(cfg, str(tmp_path), quiet=True)
    rows = {r["plan"]: r for r in res.read_table(tmp_path / "results.csv")}
    assert (rows["A"]["mean"], rows["A"]["segment_reach"], rows["A"]["rank"]) == (3.0, 0.0, 2)
    assert (rows["B"]["mean"], rows["B"]["segment_reach"], rows["B"]["rank"]) == (2.0, 2.0, 1)
    text = (tmp_path / "report.md").read_text()
    assert "Plans are ranked by expected adopters in the target segment" in text
    assert "**B** is the best plan: it reaches 2 ± 0 adopters in the target segment" in text


def test_campaign_goal_exposure_in_a_segment_uses_both():
    """goal=exposure with a target segment: IMM maximises exposure within the segment."""
    import viralsim as vs
    from viralsim.experiments import _build
    from viralsim.experiments.campaign import _plan_seeds

    cfg = cfg_of("experiment=campaign", "graph=stochastic_block", "graph.sizes=[40,40]",
                 "graph.p_in=0.15", "graph.p_out=0.02", "experiment.n_sims=20",
                 "experiment.budgets=[3]", "experiment.costs.base=1",
                 "experiment.costs.per_follower=0", "experiment.target_segment=1",
                 "experiment.goal=exposure", "experiment.plans=[{name: opt, strategy: imm}]")
    c = campaign_of(OmegaConf.to_container(cfg, resolve=True))
    assert c.rank_key == "exposure"
    seeds = _plan_seeds(c, 0, c.plans[0][1], 3.0)
    rng = _build.sub_rng(c.estimation.rng_seed, 4, 0)
    want = vs.select_seeds(c.graph, budget=3.0, costs=c.costs, strategy="imm", model=c.model,
                           rng=rng, weight_attr="_target_segment", goal="exposure").seeds
    assert seeds == list(want)
