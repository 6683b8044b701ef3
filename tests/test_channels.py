"""Channels a budget buys: seed lists, influencer posts, ad buys; campaigns and allocation."""

import itertools
import math

import numba
import numpy as np
import pytest

import viralsim as vs
from viralsim._kernels.campaign import DOMAIN_CHANNEL, draw_channels_as
from viralsim._kernels.rng import GOLDEN
from viralsim._validation import seed_from_rng
from viralsim.channels import _brute_force, _Plan

Z = 4.5  # statistical tests: |mean - exact| <= Z standard errors (fixed rng)


def _pairs(n, m, seed):
    """``m`` random distinct (follower-of) pairs without self-loops."""
    r = np.random.default_rng(seed)
    pairs = np.unique(np.stack([r.integers(0, n, m), r.integers(0, n, m)], axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return pairs[:, 0], pairs[:, 1]


def random_graph(n=60, m=240, p=0.2, seed=3):
    src, dst = _pairs(n, m, seed)
    return vs.FollowerGraph.from_edges(src, dst, n_nodes=n).with_probabilities(p)


def no_wom_graph(n=40, seed=1):
    """Follower edges whose probability is 0: channels only."""
    src, dst = _pairs(n, 120, seed)
    g = vs.FollowerGraph.from_edges(src, dst, n_nodes=n).with_probabilities(0.0)
    seg = np.zeros(n, dtype=bool)
    seg[: n // 2] = True
    return g.with_node_attr("runners", seg)


# ------------------------------------------------------------------ seed lists = today
@pytest.mark.parametrize("model", [vs.IC(), vs.WordOfMouth(comment_prob=0.5)])
def test_seed_lists_only_give_estimate_reach_numbers_world_by_world(model):
    g = random_graph()
    seeds = [0, 5, 9]
    ref = vs.estimate_reach(g, seeds, model=model, n_sims=500, rng=7, return_sizes=True)
    est = vs.estimate_campaign(g, [vs.SeedList([0, 5], cost=1.0), vs.SeedList([9, 5])],
                               model=model, n_sims=500, rng=7)
    np.testing.assert_array_equal(est.per_world["reach"], ref.sizes)
    assert est.exposure.mean == ref.exposure.mean
    assert est.reach.mean == ref.mean and est.reach.ci_high == ref.ci_high
    np.testing.assert_allclose(est.timeline, ref.timeline)
    assert est.cost == 1.0
    assert np.all(est.per_world["first_adopters"] == 3)


def assert_same_for_any_thread_count(g, chans, n_sims, rng):
    """``estimate_campaign`` gives the same numbers world by world on 1 and 2 threads
    (shared by the channel and ad tests)."""
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = vs.estimate_campaign(g, chans, n_sims=n_sims, rng=rng)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = vs.estimate_campaign(g, chans, n_sims=n_sims, rng=rng)
    finally:
        numba.set_num_threads(old)
    for k in a.per_world:
        np.testing.assert_array_equal(a.per_world[k], b.per_world[k])


def test_same_numbers_for_any_thread_count():
    chans = [vs.InfluencerPost(account=3, organic_reach=0.6, adoption_rate=0.5),
             vs.AdBuy(spend=1.0, cpm=50.0, frequency_cap=2, conversion_rate=0.3)]
    assert_same_for_any_thread_count(random_graph(), chans, 300, 2)


# ------------------------------------------------------------------ the kernel vs twins
M64 = 2**64 - 1


def _mix(z):
    """SplitMix64's finaliser on Python ints (the twin of rng.mix64)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def _unit(x):
    return (x >> 11) * 2.0**-53


def _twin_post(key, world, stream, audience, p_see, p_adopt):
    """Plain-Python twin of a post's draws (the kernel module docstring's definition)."""
    g, nm = int(GOLDEN), 0xD1B54A32D192ED03
    wk = _mix(key ^ _mix((world * g + int(DOMAIN_CHANNEL)) & M64))
    ckey = _mix(wk ^ (((stream + 1) * nm) & M64))
    seen, adopted = [], []
    for v in audience:
        x = _mix(ckey ^ (((v + 1) * nm) & M64))
        if _unit(x) < p_see:
            seen.append(v)
            if _unit(_mix((x + g) & M64)) < p_adopt:
                adopted.append(v)
    return seen, adopted


def draw_plan(plan, key, world, n, track=True):
    """The channels' draws of ``plan`` (a ``_Plan`` on ``n`` consumers) in world
    ``world``: ``(adopters, viewers)`` as int32 arrays, in the order the channels
    reached them (``track=False``: the viewers who do not adopt are left out).
    Shared by the channel and ad tests."""
    z = np.zeros(n, dtype=np.int32)
    a, v = np.empty(n, np.int32), np.empty(n, np.int32)
    na, nv = draw_channels_as(track, np.uint64(key), world, plan.kind, plan.stream, plan.aptr,
                              plan.aidx, plan.p_see, plan.p_adopt, plan.imps, plan.cap,
                              z.copy(), z.copy(), np.int32(1), np.zeros(n, np.int64),
                              np.empty(n, np.int32), a, v, plan.clayer, np.zeros(0, np.int64),
                              np.zeros(0, np.int64))
    return a[:na], v[:nv]


def test_post_draws_match_their_plain_python_twin():
    g = random_graph(n=30)
    post = vs.InfluencerPost(followers=list(range(0, 30, 2)), organic_reach=0.7,
                             adoption_rate=0.4)
    plan = _Plan(g, [post], [0], "t")
    key = seed_from_rng(5)
    for r in range(20):
        a, v = draw_plan(plan, key, r, g.n_nodes)
        seen, adopted = _twin_post(key, r, 0, range(0, 30, 2), 0.7, 0.4)
        assert v.tolist() == seen and a.tolist() == adopted


@pytest.mark.parametrize("model", [vs.IC(), vs.WordOfMouth(comment_prob=0.4)])
def test_cascade_after_the_channels_is_estimate_reachs_world(model):
    """World r of a campaign = world r of the model seeded with the channels' adopters."""
    g = random_graph()
    chans = [vs.InfluencerPost(account=3, organic_reach=0.8, adoption_rate=0.5),
             vs.AdBuy(spend=2.0, cpm=100.0, frequency_cap=1, conversion_rate=0.5)]
    est = vs.estimate_campaign(g, chans, model=model, n_sims=60, rng=4, max_rounds=3)
    plan = _Plan(g, chans, [0, 1], "t")
    d = chans[1].impressions  # the ad's distinct viewers (cap 1, shown to everyone)
    for r in range(60):
        a, v = draw_plan(plan, est.rng_key, r, g.n_nodes)
        assert est.per_world["first_adopters"][r] == a.size
        # the ad's viewers other than its adopters are not listed (their overlap with the
        # post's is drawn: viralsim._kernels.ads.place_viewers), so: within its bounds
        seen = set(draw_plan(plan.subset([0]), est.rng_key, r, g.n_nodes)[1].tolist()) | set(
            a.tolist())
        a_ad = draw_plan(plan.subset([1]), est.rng_key, r, g.n_nodes)[0].size
        cv = est.per_world["channel_viewers"][r]
        assert max(len(seen), d) <= cv <= len(seen) + d - a_ad
        assert max(len(seen), d) <= v.size <= len(seen) + d - a_ad  # (listing them all)
        b = model._simulate(g, a, est.rng_key, r, 1, max_rounds=3, tl_len=4, exposure=True)
        assert est.per_world["reach"][r] == b.metrics["reach"][0]
        # exposure: the channels' viewers plus the cascade's, each once
        assert b.metrics["exposure"][0] <= est.per_world["exposure"][r] \
            <= b.metrics["exposure"][0] + cv - a.size


def test_exposure_counts_each_person_once():
    # a hub followed by everyone; the post shows it to all of them too
    n = 20
    g = vs.FollowerGraph.from_edges([0] * (n - 1), list(range(1, n)), probs=1.0)
    chans = [vs.SeedList([0]), vs.InfluencerPost(followers=list(range(n)), organic_reach=1.0,
                                                 adoption_rate=0.0)]
    est = vs.estimate_campaign(g, chans, n_sims=20, rng=0)
    assert est.exposure.mean == n and est.reach.mean == n
    assert est.metrics["channel_viewers"].mean == n


# ------------------------------------------------------------------ closed forms
def _post_chances(g, post):
    """Per consumer: (P(seen), P(adopted)) through one post."""
    n = g.n_nodes
    see = np.zeros(n)
    if post.account is not None:
        aud = g.index_of(g.followers(post.account), allow_duplicates=True)
        see[aud] = post.organic_reach
    elif post.followers is not None:
        see[g.index_of(list(post.followers), allow_duplicates=True)] = post.organic_reach
    else:
        see[:] = post.organic_reach * post.n_followers / n
    return see, see * post.adoption_rate


def _ad_chances_uncapped(g, ad):
    w = np.asarray(g.node_attrs[ad.segment]) if ad.segment else np.ones(g.n_nodes, bool)
    m = int(w.sum())
    i = ad.impressions
    assert ad.frequency_cap >= i  # the cap never binds
    see = np.where(w, 1 - (1 - 1 / m) ** i, 0.0)
    adopt = np.where(w, 1 - (1 - ad.conversion_rate / m) ** i, 0.0)
    return see, adopt


def test_without_word_of_mouth_reach_is_the_closed_form():
    g = no_wom_graph()
    posts = [vs.InfluencerPost(account=int(np.argmax(g.out_degree())), organic_reach=0.6,
                               adoption_rate=0.5),
             vs.InfluencerPost(followers=list(range(10, 30)), organic_reach=0.3,
                               adoption_rate=0.9),
             vs.InfluencerPost(n_followers=25, organic_reach=0.8, adoption_rate=0.25)]
    ad = vs.AdBuy(spend=0.3, cpm=10.0, segment="runners", frequency_cap=1000,
                  conversion_rate=0.2)  # 30 impressions to 20 runners
    p_see, p_adopt = [], []
    for p in posts:
        s, a = _post_chances(g, p)
        p_see.append(s)
        p_adopt.append(a)
    s, a = _ad_chances_uncapped(g, ad)
    p_see.append(s)
    p_adopt.append(a)
    exact_reach = float(np.sum(1 - np.prod(1 - np.array(p_adopt), axis=0)))
    exact_seen = float(np.sum(1 - np.prod(1 - np.array(p_see), axis=0)))
    est = vs.estimate_campaign(g, posts + [ad], n_sims=20_000, rng=11)
    assert abs(est.reach.mean - exact_reach) <= Z * est.reach.stderr
    seen = est.metrics["channel_viewers"]
    assert abs(seen.mean - exact_seen) <= Z * seen.stderr
    assert est.reach.stderr > 0  # random draws: the test can fail
    # adopters comment (seeds always do): their followers see it, even at p = 0
    assert est.exposure.mean > seen.mean
    # without follower edges at all, exposure is the channels' viewers
    bare = vs.FollowerGraph.from_edges([], [], n_nodes=g.n_nodes, probs=0.0).with_node_attr(
        "runners", np.asarray(g.node_attrs["runners"]))
    posts[0] = vs.InfluencerPost(followers=g.followers(posts[0].account), organic_reach=0.6,
                                 adoption_rate=0.5)
    est = vs.estimate_campaign(bare, posts + [ad], n_sims=20_000, rng=11)
    assert abs(est.reach.mean - exact_reach) <= Z * est.reach.stderr
    assert abs(est.exposure.mean - exact_seen) <= Z * est.exposure.stderr


def _capped_ad_exact(m, k, imps, q):
    """Exact E[distinct viewers] and E[adopters] of an ad under a frequency cap k
    (each impression to a uniform member below the cap), by dynamic programming over
    the numbers of members with 0 .. k-1 views."""
    dist = {(m,) + (0,) * (k - 1): 1.0}
    for _ in range(imps):
        nxt = {}
        for st, pr in dist.items():
            below = sum(st)
            if below == 0:
                nxt[st] = nxt.get(st, 0.0) + pr
                continue
            for j, cnt in enumerate(st):
                if cnt == 0:
                    continue
                s2 = list(st)
                s2[j] -= 1
                if j + 1 < k:
                    s2[j + 1] += 1
                s2 = tuple(s2)
                nxt[s2] = nxt.get(s2, 0.0) + pr * cnt / below
        dist = nxt
    viewers = adopters = 0.0
    for st, pr in dist.items():
        at_cap = m - sum(st)
        viewers += pr * (m - st[0])
        adopters += pr * (sum(st[j] * (1 - (1 - q) ** j) for j in range(1, k))
                          + at_cap * (1 - (1 - q) ** k))
    return viewers, adopters


@pytest.mark.parametrize("k,imps", [(1, 7), (2, 13), (3, 20), (2, 40)])
def test_frequency_capped_ads_match_the_exact_expected_viewers(k, imps):
    g = no_wom_graph(n=20)  # 10 runners
    ad = vs.AdBuy(spend=imps * 0.01, cpm=10.0, segment="runners", frequency_cap=k,
                  conversion_rate=0.3)
    assert ad.impressions == imps
    viewers, adopters = _capped_ad_exact(10, k, imps, 0.3)
    est = vs.estimate_campaign(g, [ad], n_sims=20_000, rng=k)
    seen = est.metrics["channel_viewers"]
    if seen.stderr == 0:
        assert seen.mean == pytest.approx(viewers)
    else:
        assert abs(seen.mean - viewers) <= Z * seen.stderr
    assert abs(est.reach.mean - adopters) <= Z * est.reach.stderr
    assert est.per_world["channel_viewers"].max() <= 10
    # the cap matters: without it the same impressions reach fewer distinct people
    if 1 < k < imps:
        assert viewers > 10 * (1 - (1 - 1 / 10) ** imps)


# ------------------------------------------------------------------ allocation
def _units(g, rng):
    r = np.random.default_rng(rng)
    units = []
    for _ in range(3):
        units.append(vs.SeedList(r.choice(g.n_nodes, 2, replace=False).tolist(),
                                 cost=float(r.integers(1, 5))))
    units.append(vs.InfluencerPost(account=int(np.argmax(g.out_degree())), organic_reach=0.7,
                                   adoption_rate=0.3, cost=float(r.integers(2, 6))))
    units.append(vs.AdBuy(spend=float(r.integers(1, 4)), cpm=100.0, frequency_cap=2,
                          conversion_rate=0.2))
    units.append(vs.AdBuy(spend=float(r.integers(1, 4)), cpm=100.0, frequency_cap=2,
                          conversion_rate=0.2))
    return units


@pytest.mark.parametrize("goal", ["adopters", "exposure"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_greedy_is_within_its_guarantee_of_brute_force(goal, seed):
    g = random_graph(n=40, m=120, p=0.15, seed=seed)
    units = _units(g, seed)
    bound = (1 - 1 / math.e) / 2
    for budget in (3.0, 6.0, 9.0):
        a = vs.allocate_budget(g, units, budget, goal=goal, n_sims=150, rng=seed)
        opt, pick = _brute_force(g, units, budget, goal=goal, n_sims=150, rng=seed)
        assert a.cost <= budget
        assert sum(units[i].cost for i in a.chosen) == a.cost
        assert a.value >= bound * opt - 1e-9
        assert a.value <= opt + 1e-9  # the same worlds: nothing beats the optimum
        metric = "reach" if goal == "adopters" else "exposure"
        assert a.estimate.metrics[metric].mean == a.value


def test_allocation_prefers_the_better_buy_per_cost():
    # two separate stars: 7 people for 2 (3.5 per cost), 4 for 1 (4 per cost); budget 2:
    # greedy buys the small star first and can then afford nothing more
    src = [0] * 6 + [20] * 3
    dst = list(range(1, 7)) + [21, 22, 23]
    g = vs.FollowerGraph.from_edges(src, dst, n_nodes=30, probs=1.0)
    units = [vs.SeedList([20], cost=1.0), vs.SeedList([0], cost=2.0)]
    a = vs.allocate_budget(g, units, 2.0, n_sims=5, rng=0)
    assert a.chosen == [1] and a.value == 7.0 and a.rule == "best single"
    a = vs.allocate_budget(g, units, 3.0, n_sims=5, rng=0)
    assert a.chosen == [0, 1] and a.value == 11.0 and a.rule == "greedy"


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("make,match", [
    (lambda: vs.InfluencerPost(n_followers=10, adoption_rate=1.5), "adoption_rate"),
    (lambda: vs.InfluencerPost(n_followers=10, organic_reach=-0.1), "organic_reach"),
    (lambda: vs.AdBuy(spend=10.0, cpm=5.0, conversion_rate=2.0), "conversion_rate"),
    (lambda: vs.AdBuy(spend=10.0, cpm=0.0), "cpm.*> 0"),
    (lambda: vs.AdBuy(spend=10.0, cpm=-3.0), "cpm.*> 0"),
    (lambda: vs.AdBuy(spend=10.0, cpm=5.0, frequency_cap=0), "frequency_cap"),
    (lambda: vs.InfluencerPost(account=1, n_followers=3), "exactly one"),
])
def test_bad_channels_say_what_to_fix(make, match):
    with pytest.raises(ValueError, match=match) as e:
        make()
    assert "\n" not in str(e.value)


def test_budget_below_every_cost_and_absent_platform_say_what_to_fix():
    g = random_graph(n=20, m=40)
    units = [vs.SeedList([1], cost=5.0), vs.SeedList([2], cost=7.0)]
    with pytest.raises(ValueError, match="below every channel unit's cost.*Raise the budget"):
        vs.allocate_budget(g, units, 4.0, n_sims=5, rng=0)
    ad = vs.AdBuy(spend=1.0, cpm=5.0, platform="tiktok")
    with pytest.raises(ValueError, match="platform 'tiktok'.*Drop the channel") as e:
        vs.estimate_campaign(g, [ad], platform="instagram", n_sims=5, rng=0)
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="segment"):
        vs.estimate_campaign(g, [vs.AdBuy(spend=1.0, cpm=5.0, segment="nope")], n_sims=5)
    with pytest.raises(vs.ModelNotSupported, match="live-edge"):
        vs.estimate_campaign(g, [ad], model=vs.LinearThreshold(), n_sims=5)
    with pytest.raises(TypeError, match="channels"):
        vs.estimate_campaign(g, [ad, "post"], n_sims=5)


def test_brute_force_helper_enumerates_every_affordable_subset():
    g = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=0.0)
    units = [vs.SeedList([0], cost=1.0), vs.SeedList([1], cost=1.0),
             vs.SeedList([2], cost=1.0)]
    for budget in (1.0, 2.0, 3.0):
        val, pick = _brute_force(g, units, budget, n_sims=3, rng=0)
        assert val == budget and len(pick) == int(budget)
    assert len(list(itertools.combinations(range(3), 2))) == 3


# ------------------------------------------------------------------ several platforms
@pytest.mark.parametrize("model", [vs.IC(), vs.WordOfMouth(comment_prob=0.5)])
def test_one_platform_is_todays_campaign_world_by_world(model):
    g = random_graph().with_node_attr("runners", np.arange(60) % 3 == 0)
    chans = [vs.SeedList([0, 7]),
             vs.InfluencerPost(account=3, organic_reach=0.8, adoption_rate=0.5),
             vs.AdBuy(spend=3.0, cpm=100.0, segment="runners", frequency_cap=2,
                      conversion_rate=0.3)]
    for max_rounds in (None, 2):
        a = vs.estimate_campaign(g, chans, model=model, n_sims=400, rng=9,
                                 max_rounds=max_rounds)
        b = vs.estimate_campaign(vs.MultiplexGraph({"x": g}), chans, model=model, n_sims=400,
                                 rng=9, max_rounds=max_rounds)
        for k in a.per_world:
            np.testing.assert_array_equal(a.per_world[k], b.per_world[k])
        np.testing.assert_array_equal(a.timeline, b.timeline)
    ref = vs.estimate_reach(g, [0, 7], model=model, n_sims=400, rng=9, return_sizes=True)
    c = vs.estimate_campaign(vs.MultiplexGraph({"x": g}), [vs.SeedList([0, 7])], model=model,
                             n_sims=400, rng=9)
    np.testing.assert_array_equal(c.per_world["reach"], ref.sizes)
    assert c.exposure.mean == ref.exposure.mean


def test_two_platforms_with_one_graph_are_one_with_combined_comments():
    """Same graph (edges sure) on both, comment probabilities c1, c2: as one platform
    with 1 - (1 - c1)(1 - c2); exposure and reach count each person once."""
    g = random_graph(p=1.0, m=90)
    c1, c2 = 0.3, 0.5
    mg = vs.MultiplexGraph({"a": g, "b": g}, comment_probs={"a": c1, "b": c2})
    one = vs.MultiplexGraph({"a": g}, comment_probs={"a": 1 - (1 - c1) * (1 - c2)})
    seeds = [vs.SeedList([0, 1])]
    two_est = vs.estimate_campaign(mg, seeds, n_sims=20_000, rng=1)
    one_est = vs.estimate_campaign(one, seeds, n_sims=20_000, rng=2)
    for k in ("reach", "exposure"):
        x, y = two_est.metrics[k], one_est.metrics[k]
        assert abs(x.mean - y.mean) <= Z * math.hypot(x.stderr, y.stderr)
        assert x.stderr > 0
    # everyone comments on both: the same people as one platform, twice the comments
    both = vs.MultiplexGraph({"a": g, "b": g})
    x = vs.estimate_campaign(both, seeds, n_sims=50, rng=0)
    y = vs.estimate_campaign(g, seeds, n_sims=50, rng=0)
    for k in ("reach", "exposure"):
        np.testing.assert_array_equal(x.per_world[k], y.per_world[k])
    np.testing.assert_array_equal(x.per_world["comments"], 2 * y.per_world["comments"])
    assert x.per_world["exposure"].max() <= g.n_nodes


def test_platforms_reach_their_own_members_and_followers():
    n = 6
    ig = vs.FollowerGraph.from_edges([0, 0], [1, 2], n_nodes=n, probs=1.0)
    tt = vs.FollowerGraph.from_edges([0, 3], [3, 4], n_nodes=n, probs=1.0)
    on_tt = np.array([True, False, False, True, True, False])
    mg = vs.MultiplexGraph({"ig": ig, "tt": tt}, members={"tt": on_tt})
    post = vs.InfluencerPost(account=0, adoption_rate=1.0, platform="tt")
    est = vs.estimate_campaign(mg, [post], n_sims=10, rng=0)
    # 3 adopts from the post, comments on tt (a member) to 4; 0 is not an adopter
    assert est.reach.mean == 2.0 and est.exposure.mean == 2.0
    ad = vs.AdBuy(spend=1.0, cpm=10.0, frequency_cap=100, conversion_rate=1.0, platform="tt")
    est = vs.estimate_campaign(mg, [ad], n_sims=50, rng=0)
    assert set(np.unique(est.per_world["first_adopters"])) <= {1, 2, 3}
    assert est.per_world["channel_viewers"].max() <= 3  # tt's members only
    with pytest.raises(ValueError, match="platform 'x' is not in the graph.*Fix the name"):
        vs.estimate_campaign(mg, [vs.AdBuy(spend=1.0, cpm=5.0, platform="x")], n_sims=5)
    with pytest.raises(ValueError, match="names no platform.*Pass platform="):
        vs.estimate_campaign(mg, [vs.AdBuy(spend=1.0, cpm=5.0)], n_sims=5)
    with pytest.raises(ValueError, match="other consumers"):
        vs.MultiplexGraph({"a": ig, "b": vs.FollowerGraph.from_edges([0], [1], probs=1.0)})
