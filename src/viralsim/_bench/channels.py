"""Channels suite: campaigns on several platforms, ad buys, budget allocation (issue 18).

Cases:

- ``3 platforms``: a campaign (50 seeds, the accounts with most followers on
  the first platform) on a :class:`viralsim.MultiplexGraph` of three
  preferential-attachment layers of about 100k edges each
  (``barabasi_albert(10_000, 5, rng=1, 2, 3)``, weighted cascade; 2,000
  consumers in ``--quick``), against the single-layer campaign kernel on the
  first layer alone. Rate: comment views (followers scanned: the kernels'
  unit of work) per second of kernel time, so the layers' larger cascades do
  not count as slowness. Target (issue 18): the ratio >= 0.5. Check: a
  one-platform MultiplexGraph gives the single layer's reach world by world.
  Like with like: both run the same campaign kernel design (channels, then
  every commenter's row scanned for exposure and its live edges drawn), and a
  view is the same work in both; the 3 layers' cascade is larger (it reaches
  nearly everyone) and its graph three times the size, so the case also runs
  the single-layer kernel on the union of the three layers as one graph (an
  edge on two layers merged, 1 - (1 - p1)(1 - p2): the same cascade in law,
  as everyone comments on every platform) and reports the 3 layers' rate
  against it too (the same work and memory; no target).
  Also the same campaign with geometric delays (mean 2 days) on every
  platform: :func:`viralsim.estimate_campaign` runs by day and by round, and
  its time is both runs'.
- ``ads vs seeds``: an ad of 4,000 impressions (cap 1, conversion 1%: 40
  first adopters expected; 1,000 and 10 in ``--quick``) against a seed list
  of 40 random consumers, on the first layer, each a whole
  :func:`viralsim.estimate_campaign` call of 20,000 worlds (3,000 in
  ``--quick``), twice: counting exposure (the ad, shown to everyone with cap
  1, draws its ~40 adopters and leaves its other viewers unlisted: after the
  cascade, which scans every commenter's followers, how many of them it had
  reached is drawn per round, :mod:`viralsim._kernels.ads`) and reach only
  (``exposure=False``: the ad draws its ~40 adopters only, the cascade
  follows live edges only). Then the study's setting
  (``experiments/influencer_campaign.py``): the same impressions to a 20%
  segment with a frequency cap of 3 that binds, against 40 seeds drawn from
  the segment, exposure counted: the delivery is played impression by
  impression (its adopters depend on it) and its viewers listed. And an ad
  of the same impressions, cap 1, to an 80% segment of a larger graph
  (``barabasi_albert(250_000, 5, rng=4)``, 25,000 in ``--quick``: 200,000
  members, 50 per impression), exposure counted: its viewers are left
  unlisted when the call's pilot finds the cascades small beside them (here
  about 4,300 impressions per world for 4,000 viewers: unlisted; each round's
  new viewers counted in the segment by a second pass over the comments,
  :mod:`viralsim._kernels.ads`), else listed (marks in the consumers'
  counters beyond :data:`viralsim._kernels.ads.BYTE_SEGMENT` members per
  impression), against 40 random members. Each ratio
  is the median of 9 alternating ad / seeds pairs of kernel time, its range
  in the note; pair i runs its own seed list (random, ``default_rng(i)``), as
  one list's cascade may be larger or smaller than the ad's random adopters'
  (whose mean it equals over lists). Target: the ad costs no more time than the seed list. Check:
  the ad's mean first adopters is 40 within 5 standard errors (cap 3: at most
  40, a member persuaded twice adopts once).
- ``allocate``: :func:`viralsim.allocate_budget` over 50 channel units
  (20 influencer posts by the biggest accounts, 20 ad slices to a 20%
  segment, 10 seed lists) on ``power_law(1_000_000, 5)`` (100k consumers in
  ``--quick``), 100 worlds per plan. Target: <= 30 s (2 cores).

Timings are the best of a few runs (the machine may be shared); the single
and 3-layer runs alternate, as do the ad and seed-list runs.
"""

import math
import time
import warnings

import numba
import numpy as np

from . import row, target_note

SUITE = "channels"


def _best(fn, reps):
    best, out = math.inf, None
    for _ in range(reps):
        t = time.perf_counter()
        res = fn()
        dt = time.perf_counter() - t
        if dt < best:
            best, out = dt, res
    return best, out


def _layers(vs, n):
    return [vs.generators.barabasi_albert(n, 5, rng=s).with_probabilities("weighted_cascade")
            for s in (1, 2, 3)]


def _union(vs, layers):
    """The layers as one graph: every edge of any layer (one on two layers merged into
    one edge with probability 1 - (1 - p1)(1 - p2))."""
    src = np.concatenate([np.repeat(np.arange(g.n_nodes), np.diff(g.indptr)) for g in layers])
    dst = np.concatenate([g.indices for g in layers])
    probs = np.concatenate([g.probs for g in layers]).astype(np.float64)
    with warnings.catch_warnings():  # (the merged edges: on purpose)
        warnings.simplefilter("ignore")
        return vs.FollowerGraph.from_edges(src, dst, probs, n_nodes=layers[0].n_nodes,
                                           labels=layers[0].labels)


def _rate(est):
    """Comment views per second of kernel time."""
    return float(est.per_world["impressions"].sum()) / est.elapsed


def _interleaved(*fs_reps):
    """The runs of each function with the least kernel time, the functions alternated so
    that a shared machine's load changes hit them alike (``(*fs, reps)``)."""
    *fs, reps = fs_reps
    best = [None] * len(fs)
    for _ in range(reps):
        for i, f in enumerate(fs):
            est = f()
            if best[i] is None or est.elapsed < best[i].elapsed:
                best[i] = est
    return best


def rate_ratio(a, b):
    return _rate(a) / _rate(b)


def _platforms(ctx, vs, layers, n_sims, reps):
    rows = []
    g0 = layers[0]
    mg = vs.MultiplexGraph({"a": layers[0], "b": layers[1], "c": layers[2]})
    seeds = g0.labels[np.argsort(-g0.out_degree(), kind="stable")[:50]].tolist()
    plan = [vs.SeedList(seeds)]
    one = vs.estimate_campaign(vs.MultiplexGraph({"a": g0}), plan, n_sims=100, rng=1)
    ref = vs.estimate_campaign(g0, plan, n_sims=100, rng=1)
    assert np.array_equal(one.per_world["reach"], ref.per_world["reach"]), \
        "a one-platform MultiplexGraph differs from its layer"
    union = _union(vs, layers)
    vs.estimate_campaign(mg, plan, n_sims=10, rng=0)  # compiled or loaded first
    case = (f"3 platforms (n={g0.n_nodes:,}, m={'+'.join(f'{g.n_edges:,}' for g in layers)})")
    old = numba.get_num_threads()
    try:
        for nt in ctx.threads:
            numba.set_num_threads(nt)
            single, multi, one = _interleaved(
                lambda: vs.estimate_campaign(g0, plan, n_sims=n_sims, rng=0),
                lambda: vs.estimate_campaign(mg, plan, n_sims=n_sims, rng=0),
                lambda: vs.estimate_campaign(union, plan, n_sims=n_sims, rng=0), reps)
            rs, rm, ru = _rate(single), _rate(multi), _rate(one)
            rows.append(row(SUITE, f"{case} single layer", f"views/s ({nt} thr)", rs, "1/s",
                            f"{n_sims / single.elapsed:,.0f} worlds/s, reach {single.reach}"))
            rows.append(row(SUITE, f"{case} 3 layers", f"views/s ({nt} thr)", rm, "1/s",
                            f"{n_sims / multi.elapsed:,.0f} worlds/s, reach {multi.reach}"))
            rows.append(row(SUITE, f"{case} union as one graph", f"views/s ({nt} thr)", ru,
                            "1/s", f"{n_sims / one.elapsed:,.0f} worlds/s, reach {one.reach}"))
            rows.append(row(SUITE, case, f"3 layers / single, per view ({nt} thr)", rm / rs,
                            "x", target_note(rm / rs, 0.5, at_most=False)))
            rows.append(row(SUITE, case, f"3 layers / union, per view ({nt} thr)", rm / ru,
                            "x", "the same cascade and memory in one graph; no target"))
            _, days = _best(lambda: vs.estimate_campaign(mg, plan, n_sims=n_sims, rng=0,
                                                         delay=vs.Delay.geometric(2.0)), reps)
            rows.append(row(SUITE, f"{case} 3 layers, geometric delays", f"views/s ({nt} thr)",
                            _rate(days), "1/s",
                            f"by day and by round (two runs); {rate_ratio(days, multi):.2f}x "
                            f"the by-round rate; reach by day 3 {days.reach_by_day.at(3)}"))
    finally:
        numba.set_num_threads(old)
    return rows


#: ad / seeds pairs per case: the ratio is their median, its range in the note
AD_PAIRS = 9


def _paired_ratio(fa, fb, pairs):
    """Kernel-time ratio a / b over ``pairs`` runs of each, a and b alternated (a
    shared machine's load changes hit both alike; ``fb(i)``: pair i's run of b):
    ``(median, min, max, last a, b's mean reach)`` of the per-pair ratios."""
    ratios, reach = [], []
    for i in range(pairs):
        ea = fa()
        eb = fb(i)
        ratios.append(ea.elapsed / eb.elapsed)
        reach.append(eb.reach.mean)
    return float(np.median(ratios)), min(ratios), max(ratios), ea, float(np.mean(reach))


def _ads(ctx, vs, g, n_sims, pairs):
    imps = min(4000, g.n_nodes // 2)  # 1,000 in --quick
    k = imps // 100
    ad = vs.AdBuy(spend=imps / 100, cpm=10.0, frequency_cap=1, conversion_rate=0.01)
    assert ad.impressions == imps
    # the study's setting (experiments/influencer_campaign.py): a segment, cap 3, the cap
    # binding (imps < 3 x members): ~imps x 1% first adopters, against as many seeds
    # drawn from the segment
    in_seg = np.random.default_rng(1).random(g.n_nodes) < 0.2
    gs = g.with_node_attr("seg20", in_seg)
    members = np.flatnonzero(in_seg)
    seg_ad = vs.AdBuy(spend=imps / 100, cpm=10.0, segment="seg20", frequency_cap=3,
                      conversion_rate=0.01)

    # a segment far larger than the impressions (item 2 of stop 25's note): 80% of a
    # larger graph, cap 1: its viewers unlisted when the pilot finds the cascades small
    # beside them, else listed (marks in the consumers' counters)
    nb = 25_000 if ctx.quick else 250_000
    gb = vs.generators.barabasi_albert(nb, 5, rng=4).with_probabilities("weighted_cascade")
    in_big = np.random.default_rng(2).random(nb) < 0.8
    gb = gb.with_node_attr("seg80", in_big)
    big_ad = vs.AdBuy(spend=imps / 100, cpm=10.0, segment="seg80", frequency_cap=1,
                      conversion_rate=0.01)

    def seed_list(graph, pool, i):  # pair i's: k random members of the pool
        return [vs.SeedList(graph.labels[np.random.default_rng(i).choice(pool, k,
                                                                         replace=False)].tolist())]

    rows = []
    for graph, a, pool, expo, what in (
            (g, ad, np.arange(g.n_nodes), True, "exposure counted"),
            (g, ad, np.arange(g.n_nodes), False, "reach only"),
            (gs, seg_ad, members, True, f"segment of {members.size:,}, cap 3, exposure counted"),
            (gb, big_ad, np.flatnonzero(in_big), True,
             f"segment of {int(in_big.sum()):,} (n={nb:,}), cap 1, exposure counted")):
        case = f"ads vs seeds (n={graph.n_nodes:,}, {n_sims:,} worlds)"

        def run(plan, graph=graph, expo=expo):
            return vs.estimate_campaign(graph, plan, n_sims=n_sims, rng=0, exposure=expo)
        run([a])  # compiled or loaded first
        run(seed_list(graph, pool, 0))
        med, lo, hi, e_ad, seeds_reach = _paired_ratio(
            lambda a=a, run=run: run([a]),
            lambda i, pool=pool, run=run, graph=graph: run(seed_list(graph, pool, i)), pairs)
        first = e_ad.metrics["first_adopters"]
        # (cap 1: imps x 1% exactly in mean; cap 3: a little fewer, repeat persuasions)
        assert abs(first.mean - k) <= 5 * first.stderr or (a is seg_ad and first.mean < k), \
            f"ad first adopters {first}, not {k}"
        seen = f", exposure {e_ad.exposure}" if expo else ""
        name = f"ad {imps:,} impressions{' to a segment' if a.segment else ''}"
        rows += [
            row(SUITE, f"{case} {name}, {what}", "time", e_ad.elapsed, "s",
                f"last of {pairs}; first adopters {first}, reach {e_ad.reach}{seen}"),
            row(SUITE, case, f"ad / seeds time, {what}", med, "x",
                f"{target_note(med, 1.0)}; median of {pairs} alternating pairs, pair i "
                f"against its own list of {k} random {'members' if a.segment else 'consumers'}"
                f" (range {lo:.3f} to {hi:.3f}; the lists' mean reach {seeds_reach:,.1f})"),
        ]
    return rows


def _allocate(ctx, vs):
    n = 100_000 if ctx.quick else 1_000_000
    t = time.perf_counter()
    g = vs.generators.power_law(n, 5, 2.5, rng=0).with_probabilities("weighted_cascade")
    t_build = time.perf_counter() - t
    r = np.random.default_rng(1)
    g = g.with_node_attr("target", r.random(n) < 0.2)
    big = np.argsort(-g.out_degree(), kind="stable")[:20]
    units = [vs.InfluencerPost(account=g.labels[u].item(), organic_reach=0.3,
                               adoption_rate=0.05, cost=float(20 + g.out_degree()[u] // 50))
             for u in big]
    units += [vs.AdBuy(spend=50.0, cpm=10.0, segment="target", conversion_rate=0.01)
              for _ in range(20)]
    units += [vs.SeedList(g.labels[r.choice(n, 10, replace=False)].tolist(), cost=30.0)
              for _ in range(10)]
    budget = 500.0
    vs.allocate_budget(vs.generators.barabasi_albert(200, 2, rng=0).with_probabilities(0.1)
                       .with_node_attr("target", np.ones(200, bool)),
                       [vs.AdBuy(spend=1.0, cpm=10.0, segment="target"),
                        vs.InfluencerPost(account=0, cost=1.0), vs.SeedList([1], cost=1.0)],
                       2.0, n_sims=10, rng=0)  # compiled or loaded first
    t = time.perf_counter()
    a = vs.allocate_budget(g, units, budget, n_sims=100, rng=0)
    dt = time.perf_counter() - t
    assert a.cost <= budget
    case = f"allocate 50 units (n={n:,}, m={g.n_edges:,}, 100 worlds/plan)"
    note = f"{a.evaluations} plans, {len(a.chosen)} bought, reach {a.estimate.reach}"
    if n == 1_000_000:
        note = target_note(dt, 30, unit=" s") + "; " + note
    return [row(SUITE, case, "graph build", t_build, "s"),
            row(SUITE, case, "time", dt, "s", note)]


def run(ctx):
    import viralsim as vs

    n = 2_000 if ctx.quick else 10_000
    n_sims = 300 if ctx.quick else 2_000
    reps = 3
    layers = _layers(vs, n)
    rows = _platforms(ctx, vs, layers, n_sims, reps)
    rows += _ads(ctx, vs, layers[0], 3_000 if ctx.quick else 20_000, AD_PAIRS)
    rows += _allocate(ctx, vs)
    return rows
