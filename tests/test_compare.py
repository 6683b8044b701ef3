"""Paired comparison on common random numbers."""

import csv

import numpy as np
import pytest

import viralsim as vs


def graph():
    return vs.generators.barabasi_albert(400, 3, rng=2, probabilities="weighted_cascade")


def test_identical_seed_sets_give_exact_zero():
    g = graph()
    t = vs.compare_strategies(g, ["degree", vs.strategies.MaxDegree()], k=[1, 5], n_sims=2000,
                              rng=0)
    assert [r["strategy"] for r in t.rows] == ["degree", "degree", "degree#2", "degree#2"]
    for r in t.rows:
        assert r["diff_mean"] == 0.0
        assert r["diff_ci_low"] == 0.0 and r["diff_ci_high"] == 0.0
        # the unpaired interval of the same two estimates is wide
        assert r["diff_ci_unpaired_high"] - r["diff_ci_unpaired_low"] > 0.0


def test_paired_tighter_than_unpaired_and_same_worlds():
    g = graph()
    t = vs.compare_strategies(g, ["degree", "single_discount", "random"], k=[10], n_sims=4000,
                              rng=1)
    for r in t.rows[1:]:
        paired = r["diff_ci_high"] - r["diff_ci_low"]
        unpaired = r["diff_ci_unpaired_high"] - r["diff_ci_unpaired_low"]
        assert paired < unpaired
    # rows are estimate_reach in the evaluation worlds: the same for any strategy order
    t2 = vs.compare_strategies(g, ["random", "single_discount", "degree"], k=[10], n_sims=4000,
                               rng=1)
    by = {r["strategy"]: r["reach_mean"] for r in t2.rows}
    for r in t.rows:
        assert by[r["strategy"]] == r["reach_mean"]


def test_nested_selection_is_a_prefix_and_budget_axis():
    g = graph()
    t = vs.compare_strategies(g, ["celf"], k=[2, 4], n_sims=500, rng=3)
    s2, s4 = t.rows[0]["seeds"], t.rows[1]["seeds"]
    assert all(isinstance(x, int) for x in s4)  # labels as Python values, not text
    assert s4[:2] == s2 and t.rows[0]["selection_shared"] and not t.rows[1]["selection_shared"]
    costs = vs.strategies.cost_rule(1.0, 0.2, 1.0)
    tb = vs.compare_strategies(g, ["degree", "imm"], budget=[5.0, 20.0], costs=costs,
                               n_sims=500, rng=3)
    assert tb.axis == "budget"
    for r in tb.rows:
        assert r["cost"] <= r["budget"] + 1e-9 and r["k"] is None


def test_table_csv_and_plot(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    g = graph()
    t = vs.compare_strategies(g, ["degree", "pagerank"], k=[1, 3, 6], n_sims=300, rng=4)
    path = t.to_csv(tmp_path / "t.csv")
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6 and float(rows[2]["reach_mean"]) == t.rows[2]["reach_mean"]
    ax = vs.reach_vs_k(t)
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["degree", "pagerank"]
    for ln, name in zip(lines, ["degree", "pagerank"]):
        np.testing.assert_array_equal(ln.get_xdata(), t.column("k", name))
        np.testing.assert_array_equal(ln.get_ydata(), t.column("reach_mean", name))
    assert "reach_mean" in str(t)


def test_compare_errors():
    g = graph()
    with pytest.raises(ValueError, match="exactly one of 'k'"):
        vs.compare_strategies(g, ["degree"])
    with pytest.raises(ValueError, match="baseline"):
        vs.compare_strategies(g, ["degree"], k=[1], baseline="imm")
    with pytest.raises(ValueError, match="Unknown strategy"):
        vs.compare_strategies(g, ["degre"], k=[1])


def test_segment_reach_in_the_same_worlds():
    g = graph()
    seg = (np.arange(g.n_nodes) % 3 == 0).astype(float)
    g = g.with_node_attr("segment", seg)
    t = vs.compare_strategies(g, ["degree", "random"], k=[5], n_sims=800, rng=5,
                              segment_attr="segment")
    for r in t.rows:
        assert 0.0 < r["segment_reach_mean"] < r["reach_mean"]
        assert r["segment_reach_ci_low"] <= r["segment_reach_mean"] <= r["segment_reach_ci_high"]
    assert t.rows[0]["segment_diff_mean"] == 0.0
    # unit weights give exactly the per-world reach of estimate_reach
    ones = g.with_node_attr("one", np.ones(g.n_nodes))
    t1 = vs.compare_strategies(ones, ["degree"], k=[5], n_sims=800, rng=5, segment_attr="one")
    assert t1.rows[0]["segment_reach_mean"] == t1.rows[0]["reach_mean"]


def test_segment_attr_refused_for_worlds_other_than_ic():
    g = graph()
    g = g.with_node_attr("segment", (np.arange(g.n_nodes) % 3 == 0))
    wom = vs.WordOfMouth(segment_attr="segment", off_target_factor=0.3)
    with pytest.raises(ValueError, match=r"segment_attr= measures segment reach in "
                       r"independent-cascade worlds, which WordOfMouth\(.*off_target_factor=0.3"):
        vs.compare_strategies(g, ["degree"], k=[3], n_sims=200, rng=0, model=wom,
                              segment_attr="segment")
    # the model's own segment metric is reported instead
    t = vs.compare_strategies(g, ["degree"], k=[3], n_sims=200, rng=0, model=wom)
    assert 0 < t.rows[0]["segment_reach_mean"] <= t.rows[0]["reach_mean"]
    # word of mouth that is IC (every adopter comments, no thinning) shares IC's worlds
    vs.compare_strategies(g, ["degree"], k=[3], n_sims=200, rng=0, model=vs.WordOfMouth(),
                          segment_attr="segment")


def test_seed_labels_with_spaces_survive(tmp_path):
    import csv
    import json

    g = vs.FollowerGraph.from_edges(["ann smith", "bob"], ["bob", "cy, d"], probs=0.5)
    t = vs.compare_strategies(g, ["degree"], k=[2], n_sims=100, rng=0)
    assert sorted(t.rows[0]["seeds"]) == ["ann smith", "bob"]
    t.to_csv(tmp_path / "t.csv")
    with open(tmp_path / "t.csv", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert json.loads(row["seeds"]) == t.rows[0]["seeds"]


def test_differences_are_stats_paired_difference_of_the_sizes():
    from viralsim import stats

    g = graph()
    t = vs.compare_strategies(g, ["random", "degree"], k=[3], n_sims=400, rng=2)
    a, b = t.rows[1], t.rows[0]  # degree against the baseline, random
    ea = vs.estimate_reach(g, a["seeds"], n_sims=400, rng=999, return_sizes=True)
    eb = vs.estimate_reach(g, b["seeds"], n_sims=400, rng=999, return_sizes=True)
    # the same computation on any pair of estimates in common worlds
    m, _, lo, hi = stats.paired_difference(ea.sizes, eb.sizes, 0.95)
    assert m == pytest.approx(ea.mean - eb.mean, abs=1e-9)
    assert lo <= m <= hi
    # in the table: the paired interval about the mean difference, the unpaired wider
    assert a["diff_mean"] == pytest.approx(a["reach_mean"] - b["reach_mean"], abs=1e-9)
    assert a["diff_ci_low"] <= a["diff_mean"] <= a["diff_ci_high"]
    half_u = a["diff_ci_unpaired_high"] - a["diff_mean"]
    want_u = stats.t_quantile(0.95, 400) * stats.unpaired_stderr(a["reach_stderr"],
                                                                 b["reach_stderr"])
    assert half_u == pytest.approx(want_u, rel=1e-12)


def test_segment_weights_are_checked_in_one_place():
    from viralsim.strategies._models import shares_ic_worlds

    g = graph()
    assert shares_ic_worlds(vs.IC()) and shares_ic_worlds(vs.WordOfMouth())
    assert not shares_ic_worlds(vs.WordOfMouth(comment_prob=0.5))
    assert not shares_ic_worlds(vs.LinearThreshold())
    with pytest.raises(KeyError, match="'weight_attr' parameter of compare_strategies names "
                                       "node attribute 'nope'"):
        vs.compare_strategies(g, ["degree"], k=[1], n_sims=10, rng=0, segment_attr="nope")
    neg = g.with_node_attr("w", -np.ones(g.n_nodes))
    with pytest.raises(ValueError, match="must be finite, >= 0 and not all 0"):
        vs.compare_strategies(neg, ["degree"], k=[1], n_sims=10, rng=0, segment_attr="w")
