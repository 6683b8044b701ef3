"""Ad buys: the kernel's draws against their twin, exposure off, coupling across spends."""

import math

import numpy as np
import pytest
from scipy import stats

import viralsim as vs
from viralsim._kernels.ads import BYTE_SEGMENT, binomial, binomial_pmf, hypergeometric
from viralsim._kernels.campaign import DOMAIN_CHANNEL
from viralsim._kernels.rng import DOMAIN_COMMENT, GOLDEN
from viralsim._validation import seed_from_rng
from viralsim.channels import (
    _has_unlisted,
    _log_factorials,
    _Plan,
    _run_plan,
    _segments_unlisted,
)

from .naive import MASK64, NODE_MULT, live_followers, mix64, unit, world_key
from .naive_ads import binomial as naive_binomial
from .naive_ads import hypergeometric as naive_hypergeometric
from .naive_ads import lazy_ads, naive_ad, place_unlisted
from .test_channels import assert_same_for_any_thread_count, draw_plan

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
    return draw_plan(plan, key, world, N, track)


def _ad(imps, cap, r=0.3):
    return vs.AdBuy(spend=imps / 100, cpm=10.0, segment="seg", frequency_cap=cap,
                    conversion_rate=r)


# (impressions, cap): everyone at the cap (2), no binding cap, cap 1, a binding cap > 1
CASES = [(40, 2), (25, 1), (20, 1), (17, 100), (12, 1), (1, 1), (30, 3), (9, 2),
         (55, 3), (19, 1),  # more raw draws than one batch of RAW_BATCH
         (400, 300)]  # a binding cap above 255 (counted in views, not in bytes)


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


@pytest.mark.parametrize("imps,cap", [(5, 1), (7, 3), (9, 2)])
def test_large_segments_count_views_in_views_with_the_same_draws(imps, cap):
    """A segment over BYTE_SEGMENT members per impression counts in ``views`` instead of
    a byte per member: the same draws (the twin knows no such switch)."""
    n, members = 700, 600
    assert members > BYTE_SEGMENT * imps  # the views path
    seg = np.zeros(n, dtype=bool)
    seg[np.random.default_rng(4).choice(n, members, replace=False)] = True
    g = vs.FollowerGraph.from_edges([0], [1], n_nodes=n, probs=0.0).with_node_attr("seg", seg)
    plan = _Plan(g, [_ad(imps, cap, 0.4)], [0], "t")
    key = seed_from_rng(12)
    for r in range(40):
        a, v = draw_plan(plan, key, r, n)
        adopt, seen = naive_ad(_ckey(key, r, 0), np.flatnonzero(seg).tolist(), imps, cap, 0.4)
        assert set(a.tolist()) == adopt and set(v.tolist()) == seen and v.size == len(seen)


@pytest.mark.parametrize("cap,spends", [(1, range(1, 31)), (3, range(1, 60)),
                                        (10**6, range(1, 40))])
def test_more_impressions_persuade_a_superset_in_every_world(cap, spends):
    """The coupling across spend levels: the viewers are a prefix of the raw draws, and
    so are the adopters, whether how many adopt is one binomial draw (cap 1, a cap that
    cannot bind: its quantile function at the same uniform grows with the impressions)
    or the delivery is played (cap 3 from 4 impressions: the persuading impressions a
    prefix of one stream), short of everyone at the cap."""
    g = _graph()
    key = seed_from_rng(3)
    plans = [_Plan(g, [_ad(n, cap, 0.2)], [0], "t") for n in spends]
    grew = 0
    for r in range(25):
        prev_a, prev_v = set(), set()
        for plan in plans:
            a, v = (set(x.tolist()) for x in _draw(plan, key, r))
            assert prev_a <= a and prev_v <= v
            grew += prev_a < a
            prev_a, prev_v = a, v
    assert grew >= 25  # (not vacuous: in every world some spend persuades more)


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


def _chi2_pvalue(values, pmf, lo):
    """Chi-square goodness of fit of integer ``values`` to ``pmf`` (over ``lo, lo + 1,
    ...``; its mass outside is pooled with the cells expected below 5)."""
    values = np.asarray(values, dtype=np.int64)
    assert values.min() >= lo and values.max() < lo + pmf.size
    n = values.size
    count = np.bincount(values - lo, minlength=pmf.size)
    big = n * pmf >= 5
    obs = np.append(count[big], count[~big].sum())
    exp = np.append(n * pmf[big], n * (1 - pmf[big].sum()))
    keep = exp > 0
    assert obs[~keep].sum() == 0
    stat = float(np.sum((obs[keep] - exp[keep]) ** 2 / exp[keep]))
    return stats.chi2.sf(stat, max(int(keep.sum()) - 1, 1))


P_MIN = 1e-4  # chi-square tests: the fixed draws' p-value above this


@pytest.mark.parametrize("n,p", [(15, 0.3), (40, 0.01), (4000, 0.01), (1999, 0.027),
                                 (100, 0.93), (7, 0.5), (1, 0.2), (2**40, 3e-11),
                                 (10**6, 0.4)])
def test_binomial_draws_follow_the_exact_law(n, p):
    """Chi-square against scipy's exact pmf (fixed streams), and the kernel's draw = the
    twin's, draw by draw (a sample of them)."""
    n_draws = 20_000
    s0 = [mix64(i * 7919 + 3) for i in range(n_draws)]
    got = np.array([binomial(np.uint64(s), n, p)[1] for s in s0])
    assert got[:300].tolist() == [naive_binomial(s, n, p)[1] for s in s0[:300]]
    d = stats.binom(n, p)
    lo, hi = int(d.ppf(1e-12)), int(d.isf(1e-12)) + 1
    assert _chi2_pvalue(got, d.pmf(np.arange(lo, hi + 1)), lo) > P_MIN


@pytest.mark.parametrize("n,p", [(15, 0.3), (4000, 0.01), (1999, 0.5), (300, 0.97),
                                 (10**9, 2e-7)])
def test_binomial_is_the_quantile_function_of_its_uniform(n, p):
    """Each draw is scipy's ppf at the draw's uniform (the least x with F(x) >= u; u at
    a distribution step, within rounding, is skipped), so it is exact and monotone."""
    from viralsim._kernels.rng import to_unit
    d = stats.binom(n, p)
    checked = 0
    for i in range(300):
        s = np.uint64(mix64(i * 104729 + 11))
        u = float(to_unit(np.uint64(mix64((int(s) + int(GOLDEN)) & MASK64))))
        x = binomial(s, n, p)[1]
        if min(abs(d.cdf(x) - u), abs(d.cdf(x - 1) - u)) < 1e-12:
            continue
        assert x == d.ppf(u), (i, u, x)
        checked += 1
    assert checked >= 290


def test_binomial_grows_with_n_at_the_same_uniform():
    """The coupling across spend levels: for one stream, n + 1 never gives less."""
    for i in range(200):
        s = np.uint64(mix64(i + 77))
        for p in (0.01, 0.3, 0.9):
            xs = [binomial(s, n, p)[1] for n in range(0, 400, 7)]
            assert xs == sorted(xs), (i, p)


def test_binomial_pmf_is_accurate_for_any_n():
    """The probability the inversion starts from, against scipy's (relative error)."""
    for n, p, xs in ((15, 0.3, range(16)), (4000, 0.01, (0, 1, 40, 41, 90)),
                     (10**9, 0.4, (4 * 10**8, 4 * 10**8 + 31_000)), (10**15, 2e-13, (0, 200, 260)),
                     (100, 0.93, (93, 100)), (10**12, 0.97, (10**12, 97 * 10**10))):
        for x in xs:
            want = stats.binom.pmf(x, n, p)
            assert binomial_pmf(x, n, p) == pytest.approx(want, rel=1e-9, abs=1e-300)


def test_binomial_edge_cases_take_no_draw_or_the_right_one():
    s = np.uint64(12345)
    for n, p, x in ((0, 0.5, 0), (10, 0.0, 0), (10, 1.0, 10), (0, 1.0, 0), (-1, 0.5, 0)):
        assert binomial(s, n, p) == (s, x)  # no draw: the stream not advanced
        assert naive_binomial(int(s), n, p) == (int(s), x)
    s2, x = binomial(s, 5, 0.5)
    assert s2 == s + GOLDEN and 0 <= x <= 5
    # huge n: the inversion stays exact (mean and spread of the law), with p tiny or not
    for n, p in ((10**15, 2e-13), (10**12, 1e-6)):
        xs = np.array([binomial(np.uint64(mix64(i + 1)), n, p)[1] for i in range(400)])
        mu, sd = n * p, math.sqrt(n * p * (1 - p))
        assert abs(xs.mean() - mu) <= Z * sd / math.sqrt(xs.size)
        assert 0.7 * sd < xs.std() < 1.3 * sd


def _occupancy(m, draws):
    """pmf of the distinct members among ``draws`` uniform draws of ``m`` (with
    replacement): ``out[j][d]`` for ``j = 0 .. draws``."""
    out = [np.zeros(m + 1) for _ in range(draws + 1)]
    out[0][0] = 1.0
    for j in range(draws):
        d = np.arange(m + 1)
        out[j + 1] = out[j] * d / m
        out[j + 1][1:] += out[j][:-1] * (m - d[:-1]) / m
    return out


# (impressions, cap): cap 1 short of everyone, cap 1 and everyone, everyone at a cap of
# 2, no binding cap
@pytest.mark.parametrize("imps,cap", [(15, 1), (26, 1), (40, 2), (17, 100)])
def test_ad_adopters_and_viewers_follow_their_exact_laws(imps, cap):
    """No word of mouth, 20 members: how many adopt and how many see it, per world,
    against the exact law (chi-square): Binomial(min(imps, m), rate) for cap 1,
    Binomial(m, 1 - (1 - rate) ** cap) for everyone at the cap, and without a binding
    cap a Binomial(imps, rate) number of uniform draws' distinct members (adopters)
    and imps uniform draws' (viewers)."""
    g = _graph()  # no live edge: reach = the ad's adopters
    m, rate, worlds = 20, 0.3, 20_000
    est = vs.estimate_campaign(g, [_ad(imps, cap, rate)], n_sims=worlds, rng=7)
    a, v = est.per_world["first_adopters"], est.per_world["channel_viewers"]
    np.testing.assert_array_equal(a, est.per_world["reach"])
    if cap == 1 or imps >= cap * m:
        n, q = min(imps, m), rate if cap == 1 else 1 - (1 - rate) ** cap
        pa = stats.binom(n, q).pmf(np.arange(n + 1))
        assert np.all(v == n)
    else:
        occ = _occupancy(m, imps)
        wp = stats.binom(imps, rate).pmf(np.arange(imps + 1))
        pa = sum(w * occ[j] for j, w in enumerate(wp))
        assert _chi2_pvalue(v, occ[imps], 0) > P_MIN
    assert _chi2_pvalue(a, pa, 0) > P_MIN


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


# ------------------------------------------------------------------ viewers left unlisted
def _ad_all(imps, cap, r=0.3):
    """An ad shown to everyone."""
    return vs.AdBuy(spend=imps / 100, cpm=10.0, frequency_cap=cap, conversion_rate=r)


def _draw_n(plan, key, world, n):
    return tuple(x.tolist() for x in draw_plan(plan, key, world, n))


def _cascade_views(g, listed, adopters, key, r, c=1.0):
    """New viewers by round of IC world r after the channels (plain Python): the
    adopters seed it, the listed people are seen already; an adopter after the
    first comments iff its comment coin is below ``c``. Returns (reach, rounds:
    the number of new viewers per round, their sets)."""
    wkey, ckey = world_key(key, r), world_key(key, r, int(DOMAIN_COMMENT))
    seen, active, frontier, rounds, sets = set(listed), set(adopters), list(adopters), [], []
    first = True
    while frontier:
        new, views = [], set()
        for u in frontier:
            if not first and c < 1.0 and not unit(mix64(ckey ^ (((u + 1) * NODE_MULT)
                                                                & MASK64))) < c:
                continue
            for e in range(g.indptr[u], g.indptr[u + 1]):
                v = int(g.indices[e])
                if v not in seen:
                    views.add(v)
                seen.add(v)
            for e in live_followers(g.indptr, g.indices, g.probs, u, wkey):
                v = int(g.indices[e])
                if v not in active:
                    active.add(v)
                    new.append(v)
        rounds.append(len(views))
        sets.append(views)
        frontier, first = new, False
    return len(active), rounds, sets


M60 = 60
SEG60 = np.arange(M60) % 3 != 1  # 40 members


def _ad_seg(imps, cap, r=0.3, seg="seg"):
    return vs.AdBuy(spend=imps / 100, cpm=10.0, segment=seg, frequency_cap=cap,
                    conversion_rate=r)


UNLISTED_PLANS = [  # (channels, which are unlisted ads, comment probability)
    ([_ad_all(20, 1, 0.2)], [0], 1.0),
    ([vs.SeedList([0, 5]), vs.InfluencerPost(followers=list(range(12)), organic_reach=0.5,
                                             adoption_rate=0.3),
      _ad_all(25, 1, 0.1), _ad_all(40, 2, 0.3), _ad_all(130, 2, 0.05), _ad_all(70, 1, 0.0)],
     [2, 4, 5], 1.0),
    # ads to a segment: cap 1, everyone at the cap (90 >= 2 x 40), the same segment again,
    # beside ads to everyone and ads that stay listed (another segment; a binding cap)
    ([vs.SeedList([1, 2]), _ad_seg(15, 1, 0.2), _ad_all(20, 1, 0.1), _ad_seg(90, 2, 0.05),
      _ad_seg(12, 1, 0.3, "other"), _ad_seg(30, 3, 0.1), _ad_seg(25, 1, 0.1)],
     [1, 2, 3, 6], 1.0),
    ([_ad_seg(30, 1, 0.15), vs.InfluencerPost(followers=list(range(0, 60, 4)),
                                              organic_reach=0.6, adoption_rate=0.2)],
     [0], 0.5),  # some adopters do not comment: the commenters' list, not the queue
]


@pytest.mark.parametrize("chans,lazy,cprob", UNLISTED_PLANS)
def test_unlisted_viewers_match_their_plain_python_twin_world_by_world(chans, lazy, cprob):
    """Ads with cap 1 or everyone at the cap, to everyone or to one segment: exposure,
    channel viewers and the exposure timeline equal the twin's, world by world (the
    twin places the segment's ads first among its members, round by round, then the
    ads to everyone)."""
    # (live edges at 0.1: cascades small enough for the segment's ads to be left unlisted)
    g = vs.generators.barabasi_albert(M60, 2, rng=1).with_probabilities(0.1)
    g = g.with_node_attr("seg", SEG60).with_node_attr("other", np.arange(M60) % 2 == 0)
    k, n_sims = len(chans), 40
    plan = _Plan(g, chans, np.arange(k), "t")
    aud = [plan.aidx[plan.aptr[c]:plan.aptr[c + 1]].tolist() for c in range(k)]
    d = lazy_ads(M60, [(c, aud[c], int(plan.imps[c]), int(plan.cap[c])) for c in range(k)
                       if plan.kind[c] == 1])
    assert sorted(d) == lazy
    key = seed_from_rng(8)
    model = vs.WordOfMouth(comment_prob=cprob)
    seg_ads = [c for c in lazy if len(aud[c]) < M60]
    # (the kernel takes the unlisted path, for the segment's ads too)
    assert _has_unlisted(g, plan) and _segments_unlisted(g, model, plan, key, None)[0] == bool(
        seg_ads)
    members = set(aud[seg_ads[0]]) if seg_ads else set()
    run = _run_plan(g, model, plan, key, n_sims, None)
    lf = _log_factorials(M60)
    tl = np.zeros(run.tl.shape[1], dtype=np.int64)
    listed_plan = plan.subset([c for c in range(k) if c not in lazy]) if len(lazy) < k else None
    for r in range(n_sims):
        adopters, _ = _draw_n(plan, key, r, M60)
        listed = set(adopters)
        if listed_plan is not None:
            listed |= set(_draw_n(listed_plan, key, r, M60)[1])
        reach, rounds, sets = _cascade_views(g, listed, adopters, key, r, cprob)
        cv = len(listed)
        cov_s, cells = len(listed & members), [len(x & members) for x in sets]
        for c in seg_ads + [c for c in lazy if c not in seg_ads]:
            a = len(_draw_n(plan.subset([c]), key, r, M60)[0])
            if c in seg_ads:  # among the segment's members, its cells its members
                before = cov_s
                cov_s, after = place_unlisted(_ckey(key, r, c), len(members), d[c], a, cov_s,
                                              cells, lf)
                rounds = [x - (b - y) for x, b, y in zip(rounds, cells, after)]
                cells = after
                cv += cov_s - before
            else:
                cv, rounds = place_unlisted(_ckey(key, r, c), M60, d[c], a, cv, rounds, lf)
        assert run.out["reach"][r] == reach and run.out["first_adopters"][r] == len(adopters)
        assert run.out["channel_viewers"][r] == cv
        assert run.out["exposure"][r] == cv + sum(rounds)
        tl[0] += cv
        tl[1:len(rounds) + 1] += np.asarray(rounds, dtype=np.int64)
    np.testing.assert_array_equal(run.tl[3], tl)


@pytest.mark.parametrize("pop,good,draws", [(10_000, 2_500, 3_960), (30, 10, 12), (50, 45, 40),
                                            (7, 3, 5), (60, 40, 20), (500, 30, 200)])
def test_hypergeometric_draws_follow_the_exact_law(pop, good, draws):
    """Every value's frequency within its binomial interval (Z standard errors) of the
    exact probability, and the kernel's draw = the twin's, draw by draw."""
    lf = _log_factorials(pop)
    n_draws = 4000
    s0 = [mix64(i * 7919 + 1) for i in range(n_draws)]
    got = np.array([hypergeometric(np.uint64(s), pop, good, draws, lf)[1] for s in s0])
    assert got.tolist() == [naive_hypergeometric(s, pop, good, draws, lf)[1] for s in s0]
    lo, hi = max(0, draws - pop + good), min(draws, good)
    assert got.min() >= lo and got.max() <= hi
    p = stats.hypergeom.pmf(np.arange(lo, hi + 1), pop, good, draws)
    count = np.bincount(got - lo, minlength=hi - lo + 1)
    assert np.all(np.abs(count - n_draws * p) <= Z * np.sqrt(n_draws * p * (1 - p)) + 1)
    mean, var = stats.hypergeom.stats(pop, good, draws)
    assert abs(got.mean() - mean) <= Z * math.sqrt(var / n_draws)


def test_unlisted_viewers_overlap_with_the_exact_law():
    """A seed (followed by 9 people, no live edge) and an ad of d impressions to all 30,
    persuading nobody: exposure = 10 + d - Hypergeometric(30, 10, d), the channels' viewers
    1 + d - [the seed among the ad's viewers]; checked value by value."""
    g = vs.FollowerGraph.from_edges([0] * 9, list(range(1, 10)), n_nodes=30, probs=0.0)
    d, worlds = 12, 4000
    est = vs.estimate_campaign(g, [vs.SeedList([0]), _ad_all(d, 1, 0.0)], n_sims=worlds, rng=3)
    for got, exact in ((est.per_world["exposure"] - 10 - d, stats.hypergeom(30, 10, d)),
                       (est.per_world["channel_viewers"] - 1 - d, stats.hypergeom(30, 1, d))):
        x = -got
        count = np.bincount(x, minlength=11)
        p = exact.pmf(np.arange(count.size))
        assert np.all(np.abs(count - worlds * p) <= Z * np.sqrt(worlds * p * (1 - p)) + 1)


@pytest.mark.parametrize("r", [0.0, 0.25])
def test_unlisted_segment_viewers_overlap_with_the_exact_law(r):
    """Without word of mouth: a seed (followed by 1 .. 9, no live edge) and an ad of 12
    impressions, cap 1, to a segment of 20 (7 of them among the seed and its followers):
    its viewers are a uniform 12-subset of the segment whatever its adopters, so exposure
    = 22 - Hypergeometric(20, 7, 12) and the channels' viewers 13 - Hypergeometric(20, 1,
    12), value by value, and their means equal the closed forms within Z standard
    errors."""
    seg = np.arange(30) % 3 != 2
    assert seg[:10].sum() == 7 and seg.sum() == 20
    g = vs.FollowerGraph.from_edges([0] * 9, list(range(1, 10)), n_nodes=30, probs=0.0)
    g = g.with_node_attr("seg", seg)
    plan = [vs.SeedList([0]), _ad_seg(12, 1, r)]
    assert _segments_unlisted(g, vs.IC(), _Plan(g, plan, [0, 1], "t"), seed_from_rng(3), None)[0]
    worlds = 4000
    est = vs.estimate_campaign(g, plan, n_sims=worlds, rng=3)
    if r > 0:
        assert est.per_world["first_adopters"].max() > 1  # (the ad's adopters: listed)
    for got, exact in ((22 - est.per_world["exposure"], stats.hypergeom(20, 7, 12)),
                       (13 - est.per_world["channel_viewers"], stats.hypergeom(20, 1, 12))):
        assert got.min() >= 0
        count = np.bincount(got, minlength=13)
        p = exact.pmf(np.arange(count.size))
        assert np.all(np.abs(count - worlds * p) <= Z * np.sqrt(worlds * p * (1 - p)) + 1)
        assert abs(got.mean() - exact.mean()) <= Z * exact.std() / math.sqrt(worlds)


@pytest.mark.parametrize("p,unlisted", [(0.3, False), (0.01, True)])
def test_segment_ads_are_listed_when_the_cascades_dwarf_their_viewers(p, unlisted):
    """The pilot (worlds 0 .. 15 of the key) counts the cascades' impressions: more than
    2 per viewer of the segment's ads (live edges at 0.3: nearly everyone comments),
    their viewers are listed; few (0.01), unlisted. The ad to everyone beside is
    unlisted either way."""
    g = vs.generators.barabasi_albert(200, 3, rng=2).with_probabilities(p)
    g = g.with_node_attr("seg", np.arange(200) % 4 != 0)
    plan = _Plan(g, [_ad(40, 1, 0.05), _ad_all(30, 1, 0.1)], [0, 1], "t")
    key = seed_from_rng(5)
    pilot = _run_plan(g, vs.IC(), plan, key, 16, None, exposure=False)
    assert (pilot.out["impressions"].mean() <= 2 * 40) == unlisted
    assert _segments_unlisted(g, vs.IC(), plan, key, None)[0] == unlisted
    assert _has_unlisted(g, plan, False)


@pytest.mark.parametrize("segment", [False, True])
def test_unlisted_viewers_agree_with_listing_them_in_law(segment):
    """The same plan on a one-platform MultiplexGraph (every viewer listed and marked):
    the same adopters world by world, exposure equal in mean (paired, Z standard errors);
    with ads to a segment too (and comments at 0.6: the commenters' list)."""
    g = vs.generators.barabasi_albert(200, 3, rng=2).with_probabilities("weighted_cascade")
    g = g.with_node_attr("seg", np.arange(200) % 4 != 0)
    plan = [_ad_all(60, 1, 0.05), vs.SeedList([1, 2, 3]), _ad_all(30, 1, 0.02)]
    model = vs.WordOfMouth(comment_prob=0.6 if segment else 1.0)
    if segment:
        plan += [_ad(50, 1, 0.04), _ad(400, 2, 0.01)]  # cap 1; everyone at the cap
        assert _segments_unlisted(g, model, _Plan(g, plan, np.arange(5), "t"), seed_from_rng(4),
                                  None)[0]
    a = vs.estimate_campaign(g, plan, model=model, n_sims=3000, rng=4)
    b = vs.estimate_campaign(vs.MultiplexGraph({"x": g}, comment_probs={"x": model.comment_prob}),
                             plan, n_sims=3000, rng=4)
    for k in ("reach", "first_adopters", "comments", "impressions"):
        np.testing.assert_array_equal(a.per_world[k], b.per_world[k])
    for k in ("exposure", "channel_viewers"):
        diff = (a.per_world[k] - b.per_world[k]).astype(float)
        assert abs(diff.mean()) <= Z * diff.std(ddof=1) / math.sqrt(diff.size)
        assert np.any(diff != 0)  # (two draws of the same law, not the same draws)
    ta, tb = a.exposure_by_day, b.exposure_by_day
    for day in range(4):
        assert abs(ta.at(day).mean - tb.at(day).mean) <= Z * math.hypot(ta.at(day).stderr,
                                                                        tb.at(day).stderr)


def test_unlisted_viewers_same_numbers_for_any_thread_count():
    """Unlisted (to everyone) and listed (a segment: cap 1, a binding cap 3) ads."""
    g = vs.generators.barabasi_albert(200, 3, rng=2).with_probabilities(0.2)
    g = g.with_node_attr("seg", np.arange(200) % 4 == 0)
    plan = [_ad_all(60, 1, 0.05), vs.InfluencerPost(account=0, organic_reach=0.5),
            _ad(120, 3, 0.05), _ad(30, 1, 0.1)]
    assert_same_for_any_thread_count(g, plan, 200, 6)
