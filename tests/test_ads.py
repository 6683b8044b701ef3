"""Ad buys: the kernel's draws against their twin, exposure off, coupling across spends."""

import math

import numpy as np
import pytest

import viralsim as vs
from viralsim._kernels.campaign import DOMAIN_CHANNEL, draw_channels_as
from viralsim._kernels.rng import GOLDEN
from viralsim._validation import seed_from_rng
from viralsim.channels import _Plan, _run_plan

from .naive import MASK64, mix64
from .naive_ads import naive_ad

Z = 4.5  # statistical tests: |mean - exact| <= Z standard errors (fixed rng)
N = 30


def _graph():
    seg = np.zeros(N, dtype=bool)
    seg[::3] = seg[1::3] = True  # 20 members
    g = vs.FollowerGraph.from_edges([0, 1, 2], [3, 4, 5], n_nodes=N, probs=0.0)
    return g.with_node_attr("seg", seg)


def _ckey(key, world, stream):
    nm = 0xD1B54A32D192ED03
    wk = mix64(key ^ mix64((world * int(GOLDEN) + int(DOMAIN_CHANNEL)) & MASK64))
    return mix64(wk ^ (((stream + 1) * nm) & MASK64))


def _draw(plan, key, world, track=True):
    z = np.zeros(N, dtype=np.int32)
    a, v = np.empty(N, np.int32), np.empty(N, np.int32)
    na, nv = draw_channels_as(track, np.uint64(key), world, plan.kind, plan.stream, plan.aptr,
                              plan.aidx, plan.p_see, plan.p_adopt, plan.imps, plan.cap,
                              z.copy(), z.copy(), np.int32(1), np.zeros(N, np.int64),
                              np.empty(N, np.int32), a, v, plan.clayer, np.zeros(0, np.int64),
                              np.zeros(0, np.int64))
    return a[:na], v[:nv]


def _ad(imps, cap, r=0.3):
    return vs.AdBuy(spend=imps / 100, cpm=10.0, segment="seg", frequency_cap=cap,
                    conversion_rate=r)


# (impressions, cap): everyone at the cap (2), no binding cap, cap 1, a binding cap > 1
CASES = [(40, 2), (25, 1), (20, 1), (17, 100), (12, 1), (1, 1), (30, 3), (9, 2)]


@pytest.mark.parametrize("imps,cap", CASES)
def test_ad_draws_match_their_plain_python_twin(imps, cap):
    g = _graph()
    ad = _ad(imps, cap)
    assert ad.impressions == imps
    plan = _Plan(g, [vs.SeedList([2]), ad], [0, 1], "t")
    seg = np.flatnonzero(np.asarray(g.node_attrs["seg"])).tolist()
    key = seed_from_rng(9)
    for r in range(40):
        a, v = _draw(plan, key, r)
        adopt, seen = naive_ad(_ckey(key, r, 1), seg, imps, min(cap, imps), 0.3)
        assert a[0] == 2 and v[0] == 2  # the seed list's
        assert set(a[1:].tolist()) == adopt - {2}
        assert set(v.tolist()) == seen | {2}
        assert len(set(v.tolist())) == v.size and len(set(a.tolist())) == a.size
        # without the viewers: the same adopters, in the same order
        a2, v2 = _draw(plan, key, r, track=False)
        assert a2.tolist() == a.tolist()
        assert set(v2.tolist()) <= set(v.tolist())


@pytest.mark.parametrize("cap,spends", [(1, range(1, 31)), (3, range(1, 60)),
                                        (10**6, range(1, 40))])
def test_more_impressions_persuade_a_superset_in_every_world(cap, spends):
    """The coupling across spend levels: impressions 0 .. N - 1 are a prefix (cap 3:
    no binding cap up to 3, then the delivery played; short of everyone at the cap)."""
    g = _graph()
    key = seed_from_rng(3)
    plans = [_Plan(g, [_ad(n, cap, 0.2)], [0], "t") for n in spends]
    for r in range(25):
        prev_a, prev_v = set(), set()
        for plan in plans:
            a, v = (set(x.tolist()) for x in _draw(plan, key, r))
            assert prev_a <= a and prev_v <= v
            prev_a, prev_v = a, v


def test_cap_one_gives_each_member_the_same_chances():
    """Cap 1: the viewers a uniform subset, the adopters a uniform subset of them."""
    g = _graph()
    m, imps, rate, worlds = 20, 8, 0.5, 4000
    plan = _Plan(g, [_ad(imps, 1, rate)], [0], "t")
    key = seed_from_rng(21)
    n_adopt, n_seen = np.zeros(N), np.zeros(N)
    for r in range(worlds):
        a, v = _draw(plan, key, r)
        n_adopt[a] += 1
        n_seen[v] += 1
        assert v.size == imps
    seg = np.asarray(g.node_attrs["seg"])
    assert n_adopt[~seg].sum() == 0 and n_seen[~seg].sum() == 0
    for counts, p in ((n_adopt[seg], imps * rate / m), (n_seen[seg], imps / m)):
        assert np.all(np.abs(counts - worlds * p) <= Z * math.sqrt(worlds * p * (1 - p)))


def test_cap_one_adopters_are_binomial():
    """Cap 1, no word of mouth: first adopters ~ Binomial(impressions, rate) (mean and
    variance, the variance against the standard error of a sample variance)."""
    g = _graph()
    n, p, worlds = 15, 0.3, 20_000
    est = vs.estimate_campaign(g, [_ad(n, 1, p)], n_sims=worlds, rng=5, exposure=False)
    x = est.per_world["first_adopters"].astype(float)
    mu, var = n * p, n * p * (1 - p)
    mu4 = var * (1 + 3 * (n - 2) * p * (1 - p))  # binomial fourth central moment
    assert abs(x.mean() - mu) <= Z * math.sqrt(var / worlds)
    assert abs(x.var(ddof=1) - var) <= Z * math.sqrt((mu4 - var**2) / worlds)


# ------------------------------------------------------------------ exposure off
PLANS = [
    [_ad(12, 1)], [_ad(40, 2)], [_ad(17, 100)], [_ad(30, 3)],
    [vs.SeedList([0, 5]), _ad(12, 1, 0.5),
     vs.InfluencerPost(followers=list(range(10)), organic_reach=0.5, adoption_rate=0.3)],
]


@pytest.mark.parametrize("plan", PLANS)
@pytest.mark.parametrize("model", [vs.IC(), vs.WordOfMouth(comment_prob=0.5)])
def test_reach_only_runs_have_the_same_worlds(plan, model):
    g = vs.generators.barabasi_albert(N, 2, rng=1).with_probabilities(0.3).with_node_attr(
        "seg", np.asarray(_graph().node_attrs["seg"]))
    a = vs.estimate_campaign(g, plan, model=model, n_sims=300, rng=2)
    b = vs.estimate_campaign(g, plan, model=model, n_sims=300, rng=2, exposure=False)
    for k in ("reach", "first_adopters", "segment_reach"):
        np.testing.assert_array_equal(a.per_world[k], b.per_world[k])
    np.testing.assert_array_equal(a.timeline, b.timeline)
    assert b.exposure is None and b.exposure_by_day is None
    assert "exposure" not in b.metrics and "channel_viewers" not in b.per_world
    assert "exposure" not in b.by_platform["default"]
    assert "exposure" not in str(b) and b.by_day(1) == f"by day 1: {b.reach_by_day.at(1)} " \
        "people adopted"
    assert a.exposure.mean >= a.reach.mean > 0


def test_exposure_must_be_a_bool():
    g = _graph()
    with pytest.raises(TypeError, match="'exposure' parameter of estimate_campaign.*True or "
                                        "False"):
        vs.estimate_campaign(g, [_ad(5, 1)], n_sims=5, exposure="no")


def test_allocation_for_adopters_reports_exposure_of_the_chosen_plan():
    """Candidates run without viewers; the chosen plan's estimate counts them."""
    g = vs.generators.barabasi_albert(N, 2, rng=1).with_probabilities(0.3).with_node_attr(
        "seg", np.asarray(_graph().node_attrs["seg"]))
    units = [_ad(10, 1), _ad(10, 1), vs.SeedList([0], cost=0.1)]
    a = vs.allocate_budget(g, units, 0.2, n_sims=200, rng=1)
    plan = _Plan(g, units, np.arange(3), "t").subset(sorted(a.chosen))
    ref = _run_plan(g, vs.IC(), plan, a.estimate.rng_key, 200, None)
    assert len(a.chosen) == 2 and a.value == a.estimate.reach.mean
    np.testing.assert_array_equal(a.estimate.per_world["exposure"], ref.out["exposure"])
    np.testing.assert_array_equal(a.estimate.per_world["reach"], ref.out["reach"])
