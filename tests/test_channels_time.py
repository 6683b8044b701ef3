"""Campaigns in time (delays, forecasts by day, deadlines) and per-platform counts."""

import math
import tracemalloc

import numba
import numpy as np
import pytest

import viralsim as vs
from viralsim.channels import _brute_force, _timeline_len

Z = 4.5  # statistical tests: |mean - exact| <= Z standard errors (fixed rng)
COUNTS = ("reach", "exposure", "comments", "impressions", "first_adopters", "channel_viewers")


def _pairs(n, m, seed):
    r = np.random.default_rng(seed)
    pairs = np.unique(np.stack([r.integers(0, n, m), r.integers(0, n, m)], axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return pairs[:, 0], pairs[:, 1]


def random_graph(n=60, m=240, p=0.25, seed=3):
    src, dst = _pairs(n, m, seed)
    return vs.FollowerGraph.from_edges(src, dst, n_nodes=n).with_probabilities(p)


def two_platforms(n=60):
    a = random_graph(n, 240, 0.25, seed=3)
    b = random_graph(n, 200, 0.35, seed=4)
    members = {"tiktok": np.arange(n) % 3 != 0}
    return vs.MultiplexGraph({"instagram": a, "tiktok": b},
                             comment_probs={"instagram": 0.7, "tiktok": 0.5}, members=members)


def star(k, p):
    return vs.FollowerGraph.from_edges([0] * k, list(range(1, k + 1)), n_nodes=k + 1, probs=p)


def _close(est_timeline, day, exact):
    e = est_timeline.at(day)
    assert abs(e.mean - exact) <= Z * e.stderr + 1e-12, (day, e, exact)


# ------------------------------------------------------------------ one day = one round
ONE_DAY = [vs.Delay.fixed(1), vs.Delay.pmf([0.0, 1.0]), vs.Delay.geometric(1.0), 1]


@pytest.mark.parametrize("delay", ONE_DAY, ids=["fixed", "pmf", "geometric", "int"])
def test_by_day_equals_by_round_when_every_delay_is_one_day(delay):
    g = random_graph()
    model = vs.WordOfMouth(comment_prob=0.6)
    chans = [vs.SeedList([0, 7]),
             vs.InfluencerPost(followers=list(range(10, 40)), organic_reach=0.5,
                               adoption_rate=0.3),
             vs.AdBuy(spend=1.0, cpm=50.0, frequency_cap=2, conversion_rate=0.2)]
    by_round = vs.estimate_campaign(g, chans, model=model, n_sims=400, rng=11)
    by_day = vs.estimate_campaign(g, chans, model=model, n_sims=400, rng=11, delay=delay)
    for k in COUNTS:  # world by world, the same rng
        np.testing.assert_array_equal(by_day.per_world[k], by_round.per_world[k])
    for name in ("reach_by_day", "exposure_by_day"):
        a, b = getattr(by_day, name), getattr(by_round, name)
        assert len(a) == len(b) > 2
        for field in ("mean", "stderr", "ci_low", "ci_high"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    np.testing.assert_array_equal(by_day.timeline, by_round.timeline)
    # the running totals end at the totals
    assert by_day.reach_by_day.mean[-1] == by_day.reach.mean
    assert by_day.exposure_by_day.mean[-1] == by_day.exposure.mean


@pytest.mark.parametrize("horizon", [0, 1, 2])
def test_a_one_day_horizon_is_a_round_horizon_on_two_platforms(horizon):
    mg = two_platforms()
    chans = [vs.SeedList([0, 3, 5], platform="instagram"),
             vs.InfluencerPost(followers=list(range(20, 50)), organic_reach=0.6,
                               adoption_rate=0.3, platform="tiktok")]
    kw = dict(n_sims=300, rng=5)
    ref = vs.estimate_campaign(mg, chans, max_rounds=horizon or None, max_days=horizon, **kw)
    day = vs.estimate_campaign(mg, chans, delay=vs.Delay.pmf([0.0, 1.0]), max_days=horizon,
                               **kw)
    for k in COUNTS:
        np.testing.assert_array_equal(day.per_world[k], ref.per_world[k])
    for p in mg.platforms:
        for k in ("exposure", "comments", "impressions"):
            np.testing.assert_array_equal(day.platform_per_world[p][k],
                                          ref.platform_per_world[p][k])
    np.testing.assert_array_equal(day.reach_by_day.mean, ref.reach_by_day.mean)
    assert day.reach_by_day.horizon == horizon
    with pytest.raises(ValueError, match="max_days"):
        day.reach_by_day.at(horizon + 1)


def test_same_numbers_by_day_for_any_thread_count():
    mg = two_platforms()
    chans = [vs.SeedList([1, 2]),
             vs.AdBuy(spend=1.0, cpm=40.0, conversion_rate=0.2, platform="tiktok")]
    kw = dict(n_sims=300, rng=9, delay={"instagram": vs.Delay.geometric(2.5),
                                        "tiktok": vs.Delay.pmf([0.2, 0.3, 0.5])})
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = vs.estimate_campaign(mg, chans, **kw)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = vs.estimate_campaign(mg, chans, **kw)
    finally:
        numba.set_num_threads(old)
    for k in COUNTS:
        np.testing.assert_array_equal(a.per_world[k], b.per_world[k])
    np.testing.assert_array_equal(a.reach_by_day.mean, b.reach_by_day.mean)
    np.testing.assert_array_equal(a.exposure_by_day.stderr, b.exposure_by_day.stderr)


def test_delays_change_days_not_who_adopts():
    mg = two_platforms()
    chans = [vs.SeedList([0, 3, 5])]
    a = vs.estimate_campaign(mg, chans, n_sims=300, rng=2)
    b = vs.estimate_campaign(mg, chans, n_sims=300, rng=2,
                             delay={"instagram": vs.Delay.geometric(3.0),
                                    "tiktok": vs.Delay.fixed(4)})
    for k in ("reach", "exposure", "comments", "impressions"):
        np.testing.assert_array_equal(a.per_world[k], b.per_world[k])
    assert len(b.reach_by_day) > len(a.reach_by_day)
    assert np.all(np.diff(b.reach_by_day.mean) >= 0)


# ------------------------------------------------------------------ closed forms
def test_fixed_delay_on_a_path_is_deterministic():
    g = vs.FollowerGraph.from_edges([0, 1, 2], [1, 2, 3], probs=1.0)
    est = vs.estimate_campaign(g, [vs.SeedList([0])], n_sims=20, rng=0, delay=2)
    assert est.reach_by_day.mean.tolist() == [1, 1, 2, 2, 3, 3, 4]
    assert est.exposure_by_day.mean.tolist() == [1, 1, 2, 2, 3, 3, 4]
    assert est.reach_by_day.at(100).mean == 4 and est.reach_by_day.complete
    assert est.by_day(3) == "by day 3: 2.00 ± 0.00 people adopted, 2.00 ± 0.00 saw it"


def _convolve_power(pmf, j, days):
    """The pmf of the sum of ``j`` independent delays, on days 0..days."""
    out = np.zeros(days + 1)
    out[0] = 1.0
    for _ in range(j):
        out = np.convolve(out, pmf)[: days + 1]
    return out


def test_geometric_delays_on_a_path_match_the_negative_binomial():
    n, mean, days = 5, 2.0, 12
    g = vs.FollowerGraph.from_edges(list(range(n - 1)), list(range(1, n)), probs=1.0)
    est = vs.estimate_campaign(g, [vs.SeedList([0])], n_sims=20_000, rng=4,
                               delay=vs.Delay.geometric(mean))
    q = 1.0 / mean
    geo = np.array([0.0] + [q * (1 - q) ** (d - 1) for d in range(1, days + 1)])
    for d in range(days + 1):
        exact = 1.0 + sum(_convolve_power(geo, j, d).sum() for j in range(1, n))
        _close(est.reach_by_day, d, exact)


def test_star_by_day_live_and_seen():
    k, p, pmf = 30, 0.4, [0.1, 0.4, 0.3, 0.2]
    est = vs.estimate_campaign(star(k, p), [vs.SeedList([0])], n_sims=20_000, rng=1,
                               delay=vs.Delay.pmf(pmf))
    cdf = np.cumsum(pmf)
    for d in range(len(pmf)):
        _close(est.reach_by_day, d, 1 + k * p * cdf[d])
        _close(est.exposure_by_day, d, 1 + k * cdf[d])
    assert len(est.reach_by_day) == len(pmf)


def test_two_platforms_star_sees_the_faster_of_the_two_delays():
    k = 25
    mg = vs.MultiplexGraph({"a": star(k, 1.0), "b": star(k, 1.0)},
                           delays={"a": vs.Delay.pmf([0.0, 0.3, 0.3, 0.4]),
                                   "b": vs.Delay.geometric(2.0)})
    est = vs.estimate_campaign(mg, [vs.SeedList([0])], n_sims=20_000, rng=3)
    fa = np.cumsum([0.0, 0.3, 0.3, 0.4])
    for d in range(5):
        fb = 1 - 0.5 ** d
        both = 1 - (1 - fa[min(d, 3)]) * (1 - fb)
        _close(est.reach_by_day, d, 1 + k * both)
    # per platform: each platform's followers see it there (the seed's list is on "a")
    assert est.by_platform["a"]["exposure"].mean == k + 1
    assert est.by_platform["b"]["exposure"].mean == k


# ------------------------------------------------------------------ deadlines
def test_deadline_changes_the_best_buy():
    # a slow path of 8 (a) or a fast star of 4 (b), one affordable
    path = ([0, 1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6, 7])
    st = ([8, 8, 8], [9, 10, 11])
    g = vs.FollowerGraph.from_edges(path[0] + st[0], path[1] + st[1], n_nodes=12, probs=1.0)
    units = [vs.SeedList([0], cost=1.0), vs.SeedList([8], cost=1.0)]
    late = vs.allocate_budget(g, units, 1.0, n_sims=5, rng=0, delay=1)
    early = vs.allocate_budget(g, units, 1.0, n_sims=5, rng=0, delay=1, deadline=2)
    assert late.chosen == [0] and late.value == 8.0
    assert early.chosen == [1] and early.value == 4.0
    assert early.estimate.reach_by_day.horizon == 2
    # without delays a day is a round: the same choice
    assert vs.allocate_budget(g, units, 1.0, n_sims=5, rng=0, deadline=2).chosen == [1]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("goal", ["adopters", "exposure"])
def test_deadline_greedy_is_within_its_guarantee_of_brute_force(goal, seed):
    r = np.random.default_rng(seed)
    mg = two_platforms(40)
    units = [vs.SeedList(r.choice(40, 2, replace=False).tolist(), cost=float(c))
             for c in r.integers(1, 4, 3)]
    units += [vs.InfluencerPost(followers=r.choice(40, 10, replace=False).tolist(),
                                organic_reach=0.6, adoption_rate=0.4, cost=2.0,
                                platform="tiktok")]
    budget = 4.0
    kw = dict(goal=goal, n_sims=150, rng=seed, deadline=2,
              delay={"instagram": vs.Delay.geometric(2.0), "tiktok": vs.Delay.pmf([0.5, 0.5])})
    a = vs.allocate_budget(mg, units, budget, **kw)
    best, pick = _brute_force(mg, units, budget, **kw)
    assert a.cost <= budget
    assert a.value >= (1 - 1 / math.e) / 2 * best - 1e-9
    assert a.value <= best + 1e-9


# ------------------------------------------------------------------ per platform
def test_platform_exposure_adds_up_to_at_least_the_distinct_total():
    mg = two_platforms()
    chans = [vs.SeedList([0, 1], platform="instagram"),
             vs.AdBuy(spend=1.0, cpm=25.0, frequency_cap=2, conversion_rate=0.2,
                      platform="tiktok")]
    for delay in (None, vs.Delay.geometric(2.0)):
        est = vs.estimate_campaign(mg, chans, n_sims=400, rng=8, delay=delay)
        ppw = est.platform_per_world
        total = est.per_world["exposure"]
        per = [ppw[p]["exposure"] for p in mg.platforms]
        assert np.all(sum(per) >= total)
        assert all(np.all(x <= total) for x in per)
        # somebody is seen on both platforms in some world: the sum double counts them
        assert np.any(sum(per) > total)
        for k in ("comments", "impressions"):
            np.testing.assert_array_equal(sum(ppw[p][k] for p in mg.platforms),
                                          est.per_world[k])


def test_identical_platforms_see_the_same_people():
    g = random_graph()
    mg = vs.MultiplexGraph({"a": g, "b": g})
    seeds = [0, 9, 17]
    chans = [vs.SeedList(seeds, platform="a"), vs.SeedList(seeds, platform="b")]
    est = vs.estimate_campaign(mg, chans, n_sims=300, rng=6)
    ppw = est.platform_per_world
    for k in ("exposure", "comments", "impressions"):
        np.testing.assert_array_equal(ppw["a"][k], ppw["b"][k])
    np.testing.assert_array_equal(ppw["a"]["exposure"], est.per_world["exposure"])
    assert est.by_platform["a"]["exposure"].mean == est.exposure.mean


def test_one_graph_reports_its_totals_as_its_platform():
    g = random_graph()
    est = vs.estimate_campaign(g, [vs.SeedList([1, 2])], n_sims=50, rng=0, platform="x")
    assert list(est.by_platform) == ["x"]
    assert est.by_platform["x"]["exposure"].mean == est.exposure.mean


# ------------------------------------------------------------------ timeline size
def test_huge_horizons_allocate_no_huge_timeline():
    g = random_graph()
    assert _timeline_len(g.n_nodes, 10**9) == (g.n_nodes, True)
    assert _timeline_len(g.n_nodes, 10**9, math.inf)[0] <= 1025
    tracemalloc.start()
    try:
        vs.estimate_campaign(g, [vs.SeedList([0])], n_sims=20, rng=0, max_rounds=10**9)
        vs.estimate_campaign(g, [vs.SeedList([0])], n_sims=20, rng=0, max_days=10**9,
                             delay=vs.Delay.geometric(2.0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("make, match", [
    (lambda: vs.Delay.fixed(-1), "days"),
    (lambda: vs.Delay.geometric(0.5), "mean_days"),
    (lambda: vs.Delay.pmf([0.5, 0.2]), "sum to 1"),
    (lambda: vs.Delay.pmf([1.2, -0.2]), ">= 0"),
    (lambda: vs.Delay.pmf([]), "non-empty"),
])
def test_bad_delays_say_what_to_fix(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_bad_timing_arguments_say_what_to_fix():
    g = random_graph()
    mg = two_platforms()
    s = [vs.SeedList([0])]
    with pytest.raises(TypeError, match="one vs.Delay"):
        vs.estimate_campaign(g, s, n_sims=5, delay={"a": 1})
    with pytest.raises(ValueError, match="not in the graph"):
        vs.estimate_campaign(mg, s, n_sims=5, delay={"youtube": 1})
    with pytest.raises(TypeError, match="vs.Delay"):
        vs.estimate_campaign(g, s, n_sims=5, delay="2 days")
    with pytest.raises(ValueError, match="max_days"):
        vs.estimate_campaign(g, s, n_sims=5, max_days=-1)
    with pytest.raises(ValueError, match="deadline"):
        vs.allocate_budget(g, s, 1.0, n_sims=5, deadline=-2)
    with pytest.raises(ValueError, match="not in the graph"):
        vs.MultiplexGraph({"a": g}, delays={"b": 1})
    seg = g.with_node_attr("seg", np.arange(g.n_nodes) % 2 == 0)
    with pytest.raises(vs.ModelNotSupported, match="off_target_factor"):
        vs.estimate_campaign(seg, s, n_sims=5, delay=2,
                             model=vs.WordOfMouth(segment_attr="seg", off_target_factor=0.5))


# ------------------------------------------------------------------ the delay draw vs its twin
def _twin_delay(kind, par, cdf, u):
    """Plain-Python twin of draw_delay on a uniform ``u`` (the kernel's docstring)."""
    if kind == "fixed":
        return int(par)
    if kind == "geometric":  # par: 1 / log(1 - p), 0 when p = 1
        return 1 + math.floor(math.log1p(-u) * par)
    return next(j for j, c in enumerate(cdf) if u < c or j == len(cdf) - 1)


@pytest.mark.parametrize("delay", [vs.Delay.fixed(3), vs.Delay.geometric(2.5),
                                   vs.Delay.geometric(1.0), vs.Delay.pmf([0.1, 0.0, 0.6, 0.3])])
def test_delay_draws_match_their_plain_python_twin(delay):
    from viralsim._kernels.campaign import draw_delay

    k, par, cdf = delay._arrays()
    r = np.random.default_rng(0)
    for x in r.integers(0, 2**63, 300, dtype=np.uint64).tolist() + [0, 2**64 - 1]:
        u = (x >> 11) * 2.0**-53
        got = draw_delay(np.array([k]), np.array([par]), cdf.reshape(1, -1), 0, np.uint64(x))
        assert got == _twin_delay(delay.kind, par, cdf.tolist(), u)


def test_a_cap_above_the_impressions_is_no_cap_even_past_32_bits():
    g = random_graph()
    ads = [vs.AdBuy(spend=2.0, cpm=10.0, frequency_cap=cap, conversion_rate=0.3)
           for cap in (200, 10**12)]
    a, b = (vs.estimate_campaign(g, [ad], n_sims=200, rng=4) for ad in ads)
    for k in COUNTS:
        np.testing.assert_array_equal(a.per_world[k], b.per_world[k])
    one = vs.FollowerGraph.from_edges([0], [1], n_nodes=2, probs=0.0).with_node_attr(
        "seg", np.array([True, False]))
    est = vs.estimate_campaign(one, [vs.AdBuy(spend=1.0, cpm=100.0, segment="seg",
                                              frequency_cap=10**12, conversion_rate=0.5)],
                               n_sims=4000, rng=0)
    exact = 1 - 0.5**10  # the one member sees all 10 impressions
    assert abs(est.reach.mean - exact) <= Z * math.sqrt(exact * (1 - exact) / 4000)
