"""Kernel suite: independent-cascade worlds per second, against the plain kernel and the peers.

Definitions
-----------
- *worlds/s*: Monte Carlo simulations (one cascade from the whole seed set)
  per second of warm kernel time, reach only (``exposure=False``).
- *default call*: ``vs.estimate_reach(g, seeds, n_sims=n)`` as a user calls
  it, exposure counted; *exposure cost*: its time over the reach-only call's
  for the same worlds, the median of :data:`PAIRS` back-to-back pairs
  (alternating, so a shared machine's load moves both sides alike). Both
  are compared with CyNetDiff (reach only: it has no exposure) in the same
  run, the default call as the median of :data:`PAIRS` alternating pairs
  (ours, then CyNetDiff for about as long); on the 10k-node BA graph the targets are printed (default call >=
  10x CyNetDiff at p = 0.01 and >= 3.5x at weighted cascade; exposure cost
  <= 1.25x and <= 1.15x).
- *edge-visits/s*: out-edges of commenting adopters per second, i.e. the
  coins a per-edge kernel flips; a skipping kernel reads fewer edges, so this
  is "useful work" per second, comparable across kernels.
- *first call* (compile, or load from Numba's on-disk cache: the note says
  which), *conversion* (edge list or NetworkX -> CSR) and *warm* runs are
  timed apart; conversion is never inside a throughput number.
- *reach X ± Y*: mean reach and the half-width of its 95% CI (Student's t
  for a peer's few simulations).

Checks: the plain kernel's and CyNetDiff's mean reach agree with ours within
5 joint standard errors. ndlib is slow (about 10-30 simulations per second),
so it runs 40 simulations (200 in full mode) and must agree within 4 joint
standard errors (Student's t at the same tail probability, n - 1 degrees of
freedom: about 4.5 at 40). On the 100k-edge graph that bound is 2-7% of the
mean reach (the note prints it), so a 10% disagreement fails; a size whose
bound exceeds 10% of the mean is reported as not checked, never as agreeing.

Graphs: the 100k-edge Barabasi-Albert graph at p = 0.01, 0.1 and weighted
cascade; wiki-Vote (p = 0.01, 0.1, weighted cascade) and NetHEPT (its own
probabilities, p = 0.01, 0.1) when present; the 1M-edge BA graph in full
mode. ``--quick`` runs the real graphs at one setting each (wiki-Vote at
weighted cascade, NetHEPT at its own probabilities).
"""

import math
import time

import numba
import numpy as np

import viralsim as vs

from .._kernels.baseline import ic_plain
from . import first_call, row, target_note

SUITE = "kernel"
PROBS = (0.01, 0.1, "weighted_cascade")
N_SEEDS = 50
PAIRS = 5
#: targets on the 10k-node BA graph: (default call / CyNetDiff >=, exposure cost <=)
TARGETS = {0.01: (10.0, 1.25), "weighted_cascade": (3.5, 1.15)}


def _timed(fn, target):
    """Run fn(n) with n chosen so that one run lasts about ``target`` seconds."""
    n = 64
    while True:
        t = time.perf_counter()
        out = fn(n)
        dt = time.perf_counter() - t
        if dt >= target or n >= 1 << 24:
            return n, dt, out
        n = int(n * min(16.0, max(2.0, 1.2 * target / max(dt, 1e-6))))


def _mean_ci(x):
    x = np.asarray(x, dtype=np.float64)
    se = x.std(ddof=1) / math.sqrt(len(x)) if len(x) > 1 else float("inf")
    return float(x.mean()), float(se)


def _reach_note(m, se, n, extra=""):
    """``reach 124.37 ± 0.07 (95% CI)``; Student's t half-width, which matters for few runs."""
    from scipy import stats

    h = float(stats.t.ppf(0.975, n - 1)) * se
    return f"reach {m:,.2f} ± {h:,.2f} (95% CI{extra})"


def _agree(name, m1, se1, m2, se2, n2=None, z=5.0, max_rel=None):
    """Check ``|m1 - m2| <= k × joint se`` and return the check as a note.

    ``k = z`` when both sides have many runs; with ``n2`` runs on the second
    side, Student's t quantile with ``n2 - 1`` degrees of freedom at the same
    tail probability (the first side, ours, has thousands of worlds). With
    ``max_rel``, a bound wider than ``max_rel * |m1|`` cannot see a difference of
    that size: nothing is asserted and the note says so.
    """
    from scipy import stats

    joint = math.hypot(se1, se2)
    k = z if n2 is None else float(stats.t.ppf(stats.norm.cdf(z), n2 - 1))
    bound, gap = k * joint, abs(m1 - m2)
    if max_rel is not None and not bound <= max_rel * abs(m1):
        return (f"agreement not checked at {n2} sims: {k:.1f} × joint se = {bound:,.2f} "
                f"could not detect a {100 * max_rel:.0f}% difference")
    if gap > bound + 1e-9:
        raise AssertionError(f"{name}: means disagree: {m1:.3f} vs {m2:.3f} (bound {bound:.3f})")
    return (f"agrees: |diff| {gap:,.2f} <= {k:.2f} × joint se {joint:,.2f} = {bound:,.2f} "
            f"({100 * bound / max(abs(m1), 1e-12):.1f}% of ours)")


def _cynetdiff(g, seeds):
    """CyNetDiff's model on ``g`` with ``seeds``: ``(go, conversion seconds)``, ``go(n)``
    running n simulations and returning their sizes; None when it is not installed."""
    try:
        from cynetdiff.models import IndependentCascadeModel
    except ImportError:
        return None
    t = time.perf_counter()
    model = IndependentCascadeModel(
        g.indptr.astype(np.uint32), g.indices.astype(np.uint32),
        activation_probs=g.probs.astype(np.float32), rng=12345,
    )
    model.set_seeds([int(s) for s in seeds])  # cynetdiff wants Python ints
    conv = time.perf_counter() - t

    def go(n):
        out = np.empty(n)
        for i in range(n):
            model.reset_model()
            model.advance_until_completion()
            out[i] = model.get_num_activated_nodes()
        return out

    return go, conv


def _ndlib(g, seeds, p, n_sims):
    try:
        import ndlib.models.epidemics as ep
        import ndlib.models.ModelConfig as mc
    except ImportError:
        return None
    import networkx as nx

    t = time.perf_counter()
    G = nx.DiGraph()
    G.add_nodes_from(range(g.n_nodes))
    src = np.repeat(np.arange(g.n_nodes), np.diff(g.indptr))
    G.add_edges_from(zip(src.tolist(), g.indices.tolist()))
    cfg = mc.Configuration()
    cfg.add_model_initial_configuration("Infected", [int(s) for s in seeds])
    for (u, v), q in zip(zip(src.tolist(), g.indices.tolist()), g.probs.tolist()):
        cfg.add_edge_configuration("threshold", (u, v), q)
    conv = time.perf_counter() - t
    sizes = []
    t = time.perf_counter()
    for i in range(n_sims):
        model = ep.IndependentCascadesModel(G, seed=i)
        model.set_initial_status(cfg)
        while True:
            it = model.iteration(node_status=False)
            if it["node_count"][1] == 0:
                break
        sizes.append(it["node_count"][2])
    dt = time.perf_counter() - t
    return n_sims / dt, np.array(sizes, dtype=np.float64), conv


def _default_call(g, labels, n):
    """The default call (exposure on) for ``n`` worlds against reach-only for the same
    worlds: :data:`PAIRS` alternating pairs. Returns (worlds/s of the default call,
    median time ratio, a note on the spread, the exposure estimate).

    Checks that the default call's numbers are those of the reference path
    (every commenter's followers scanned in every world), and says how much
    slower that path is."""
    from .._kernels import wom

    vs.estimate_reach(g, labels, n_sims=16, rng=0)  # warm
    ratios, t_default = [], []
    for _ in range(PAIRS):
        t = time.perf_counter()
        a = vs.estimate_reach(g, labels, n_sims=n, rng=0, exposure=False)
        ta = time.perf_counter() - t
        t = time.perf_counter()
        b = vs.estimate_reach(g, labels, n_sims=n, rng=0)
        tb = time.perf_counter() - t
        ratios.append(tb / ta)
        t_default.append(tb)
    wom.SHARE_VIEWERS = False
    try:
        t = time.perf_counter()
        ref = vs.estimate_reach(g, labels, n_sims=n, rng=0)
        t_ref = time.perf_counter() - t
    finally:
        wom.SHARE_VIEWERS = True
    if b.metrics != ref.metrics or b.mean != a.mean:
        raise AssertionError(f"the default call's numbers differ from the reference path's: "
                             f"{b.metrics} vs {ref.metrics}")
    med = float(np.median(ratios))
    note = (f"median of {PAIRS} alternating pairs of {n:,} worlds, "
            f"range {min(ratios):.2f}-{max(ratios):.2f}; the same numbers as the reference "
            f"path (every commenter's followers scanned), which takes {t_ref / ta:.2f}x")
    return n / float(np.median(t_default)), med, note, b.exposure


def _graphs(ctx):
    """(name, builder) pairs; each builder returns (graph, conversion seconds, how)."""
    import networkx as nx

    def ba(n):
        def build():
            G = nx.barabasi_albert_graph(n, 5, seed=1)
            t = time.perf_counter()
            g = vs.FollowerGraph.from_networkx(G, both_directions=True)
            return g, time.perf_counter() - t, "networkx -> CSR"

        return build

    def edgelist(path):
        def build():
            t = time.perf_counter()
            g = vs.read_edgelist(path, directed=True)
            return g, time.perf_counter() - t, "edge list -> CSR"

        return build

    out = [("BA n=10k m=5 (100k edges)", ba(10_000))]
    if not ctx.quick:
        out.append(("BA n=100k m=5 (1M edges)", ba(100_000)))
    for name in ("wiki-Vote.txt", "nethept_imm_graph_ic.inf"):
        path = ctx.data_path(name)
        if path:
            out.append((name, edgelist(path)))
        else:
            ctx.log(f"{name} absent: skipped")
    return out


def run(ctx):
    target = 0.3 if ctx.quick else 1.5
    rows = _first_call_rows()
    for gname, build in _graphs(ctx):
        g0, conv, how = build()
        rows.append(row(SUITE, gname, f"conversion ({how})", conv, "s", f"n={g0.n_nodes:,} m={g0.n_edges:,}"))
        seeds = np.argsort(-g0.out_degree(), kind="stable")[:N_SEEDS].astype(np.int32)
        for p in _schemes(ctx, gname, g0):
            g = g0 if p == "file" else g0.with_probabilities(p)
            case = f"{gname}, p={p}"
            rows.append(row(SUITE, case, "bytes per edge (indices + probs)", g.bytes_per_edge, "B",
                            f"+ indptr {8 * (g.n_nodes + 1) / g.n_edges:.2f} B/edge"))
            targets = TARGETS.get(p) if gname.startswith("BA n=10k") else None
            labels = g0.labels[seeds].tolist()
            ours, default = _our_rows(ctx, rows, case, g, labels, target, targets)
            ref, one = ours[1][1], ours[1][0]
            rows += _plain_rows(case, g, seeds, ref, one, target)
            rows += _cynetdiff_rows(case, g, seeds, labels, ref, one, default, targets,
                                    0.5 if ctx.quick else 2.0)
            if gname.startswith("BA n=10k"):
                rows += _ndlib_rows(case, g, seeds, p, ref, one, 40 if ctx.quick else 200)
            ctx.log(f"{case} done")
    return rows


def _first_call_rows():
    """Compile time, once per process (cache=True makes later processes faster)."""
    tiny = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=0.5)
    dt, how = first_call(lambda: vs.estimate_reach(tiny, [0], n_sims=2, rng=0, exposure=False))
    rows = [row(SUITE, "all", "first call (compile or cache load)", dt, "s", how)]
    dt, how = first_call(lambda: ic_plain(tiny.indptr, tiny.indices, tiny.probs, np.zeros(1, np.int32),
                                          np.uint64(1), 1, np.empty(1, np.int64)))
    rows.append(row(SUITE, "all", "plain kernel first call (compile or cache load)", dt, "s", how))
    return rows


def _schemes(ctx, gname, g0):
    """The probability schemes measured on a graph (its own ones first when it has them)."""
    schemes = PROBS if gname.startswith("BA") or not g0.has_probabilities else ("file",) + PROBS[:2]
    if ctx.quick and not gname.startswith("BA"):  # quick: one scheme per real graph
        schemes = schemes[-1:] if schemes == PROBS else schemes[:1]
    return schemes


def _our_rows(ctx, rows, case, g, labels, target, targets):
    """Append to ``rows`` our worlds/s per thread count, the default call (exposure
    on) and the speed-up; ``({threads: (worlds/s, estimate)}, (default call's
    worlds/s, its number of worlds))``."""
    threads_before = numba.get_num_threads()
    ours = {}
    for nt in ctx.threads:
        numba.set_num_threads(nt)
        vs.estimate_reach(g, labels, n_sims=16, rng=0, exposure=False)  # warm
        n, dt, est = _timed(
            lambda n, g=g, labels=labels: vs.estimate_reach(g, labels, n_sims=n, rng=0, exposure=False), target
        )
        ours[nt] = (n / dt, est)
        rows.append(row(SUITE, case, f"worlds/s, {nt} thread(s)", n / dt, "1/s",
                        f"reach {est.mean:,.2f} ± {est.half_width:,.2f} (95% CI)"))
        rows.append(row(SUITE, case, f"edge-visits/s, {nt} thread(s)", est.edge_visits / dt, "1/s"))
        if nt == 1:
            n_default = max(n // 2, 16)
            default = _default_call(g, labels, n_default)
    wps_default, cost, spread_note, expo = default
    rows.append(row(SUITE, case, "default call (exposure on) worlds/s, 1 thread", wps_default,
                    "1/s", f"exposure {expo} (95% CI)"))
    rows.append(row(SUITE, case, "exposure cost: default / reach-only time, 1 thread", cost, "x",
                    (f"{target_note(cost, targets[1])}; " if targets else "") + spread_note))
    numba.set_num_threads(threads_before)
    if len(ours) > 1:
        nt = max(ours)
        rows.append(row(SUITE, case, f"speed-up {nt} threads / 1", ours[nt][0] / ours[1][0], "x"))
        n, dt, est = _timed(lambda n, g=g, labels=labels: vs.estimate_reach(g, labels, n_sims=n, rng=0), target)
        rows.append(row(SUITE, case, f"worlds/s with exposure, {nt} threads", n / dt, "1/s",
                        f"exposure {est.exposure} (95% CI)"))
    return ours, (wps_default, n_default)


def _plain_rows(case, g, seeds, ref, one, target):
    """The simplest correct kernel: its worlds/s, its reach checked against ours."""

    def plain(n, g=g, seeds=seeds):
        out = np.empty(n, np.int64)
        ic_plain(g.indptr, g.indices, g.probs, seeds, np.uint64(7), n, out)
        return out

    n, dt, sizes = _timed(plain, target)
    m, se = _mean_ci(sizes)
    _agree(f"{case} plain kernel", ref.mean, ref.stderr, m, se)
    return [row(SUITE, case, "plain kernel worlds/s (1 thread)", n / dt, "1/s",
                f"ours/plain {one / (n / dt):.2f}x; {_reach_note(m, se, len(sizes))}")]


def _cynetdiff_rows(case, g, seeds, labels, ref, one, default, targets, peer_target):
    """cynetdiff's worlds/s against ours, its reach checked; [] when it is not installed.

    ``one``: our reach-only worlds/s (1 thread); ``default``: the default call's
    worlds/s and number of worlds. The default call / cynetdiff ratio is the median
    of :data:`PAIRS` alternating pairs (our default call for the same worlds, 1
    thread, then cynetdiff for about as long), so a change of the machine's speed
    during the run moves both sides alike (cynetdiff's rate alone moved ~9% between
    two quiet runs)."""
    cyn = _cynetdiff(g, seeds)
    if cyn is None:
        return []
    go, cconv = cyn
    n, dt, sizes = _timed(go, peer_target)
    wps = n / dt
    m, se = _mean_ci(sizes)
    _agree(f"{case} cynetdiff", ref.mean, ref.stderr, m, se)
    wps_default, n_default = default
    n_peer = max(16, round(n_default * wps / wps_default))  # about as long as ours
    threads_before = numba.get_num_threads()
    numba.set_num_threads(1)
    ratios = []
    try:
        for _ in range(PAIRS):
            t = time.perf_counter()
            vs.estimate_reach(g, labels, n_sims=n_default, rng=0)
            t_ours = time.perf_counter() - t
            t = time.perf_counter()
            go(n_peer)
            t_peer = time.perf_counter() - t
            ratios.append((n_default / t_ours) / (n_peer / t_peer))
    finally:
        numba.set_num_threads(threads_before)
    ratio = float(np.median(ratios))
    pairs = (f"median of {PAIRS} alternating pairs ({n_default:,} worlds of ours, "
             f"{n_peer:,} of cynetdiff), range {min(ratios):.2f}-{max(ratios):.2f}")
    return [row(SUITE, case, "cynetdiff worlds/s (1 thread)", wps, "1/s",
                f"ours/cynetdiff {one / wps:.2f}x reach-only, "
                f"{ratio:.2f}x default call (paired, next row); "
                f"{_reach_note(m, se, len(sizes))}; conversion {cconv:.3f} s"),
            row(SUITE, case, "default call (exposure on) / cynetdiff, 1 thread", ratio, "x",
                (f"{target_note(ratio, targets[0], at_most=False)}; " if targets
                 else "cynetdiff counts no exposure; ") + pairs)]


def _ndlib_rows(case, g, seeds, p, ref, one, n_sims):
    """ndlib's worlds/s against ours, its reach checked; [] when it is not installed."""
    nd = _ndlib(g, seeds, p, n_sims)
    if nd is None:
        return []
    wps, sizes, nconv = nd
    m, se = _mean_ci(sizes)
    check = _agree(f"{case} ndlib", ref.mean, ref.stderr, m, se, len(sizes), z=4.0, max_rel=0.10)
    return [row(SUITE, case, "ndlib worlds/s (1 thread)", wps, "1/s",
                f"ours/ndlib {one / wps:,.0f}x; "
                f"{_reach_note(m, se, len(sizes), f', {len(sizes)} sims')}; {check}")]
