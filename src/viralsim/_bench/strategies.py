"""Strategy suite: IMM and CELF speed on NetHEPT, and seed quality against the heuristics.

Cases
-----
- ``imm/nethept``: IMM, k = 50, ε = 0.1, weighted cascade (the file's own
  probabilities), on ``nethept_imm_graph_ic.inf``, with the paper's θ
  (``min_rr_sets=0``, what peers run), and once at the defaults; compile time apart, warm
  seconds at 1 thread and all threads (same seeds required), RR sets per
  second (sampling + final sets over generation time), bytes per RR-set
  member (members alone: 4; with offsets).
- ``celf/nethept``: CELF, k = 50, 1,000 worlds (quick: k = 10, 200 worlds);
  checks its spread equals ``estimate_reach`` in the same worlds.
- ``quality/<graph>``: every heuristic, IMM and OPIM-C at their defaults,
  k = 50, evaluated in the same fresh worlds; the paired difference of IMM
  and OPIM-C against the best heuristic with its CI. Fails (AssertionError)
  if either is significantly below (CI entirely under 0). Graphs: the
  100k-edge Barabási–Albert graph (n = 10,000, m = 5, rng = 1, weighted
  cascade), and in full mode NetHEPT and wiki-Vote (weighted cascade), the
  bench's real graphs.
- ``pynetim/<graph>`` (full mode): pynetim's IMM (and OPIM-C if it has one)
  at ε = 0.1, k = 50, timed beside ours (best of 3 each in full mode), both
  seed sets evaluated in the same worlds (paired difference). Speed-ups are
  given for our IMM at the paper's θ (``min_rr_sets=0``: the same
  algorithm at the same k and ε; target >= 5x) and at our defaults (which
  add the quality floor of ``min_rr_sets='auto'``). Only when pynetim is importable; never
  installed in CI (it compiles C++ for minutes; 0.5.1 needs GCC 13).
"""

import math
import time

import numba
import numpy as np

from . import first_call, row, target_note

SUITE = "strategies"
HEURISTICS = ("degree", "pagerank", "degree_discount", "single_discount")


def _nethept(ctx):
    import viralsim as vs

    path = ctx.data_path("nethept_imm_graph_ic.inf")
    return None if path is None else vs.read_edgelist(path, directed=True)


def _ba():
    import viralsim as vs

    return vs.generators.barabasi_albert(10_000, 5, rng=1).with_probabilities("weighted_cascade")


def _imm_case(ctx, g, rows):
    import viralsim as vs

    case = "imm/nethept k=50 eps=0.1 paper theta"
    tiny = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=0.5)
    dt, how = first_call(lambda: vs.strategies.imm(tiny, k=1, rng=0))
    rows.append(row(SUITE, case, "first call (compile or cache load)", dt, "s", f"tiny graph; {how}"))
    seeds = None
    full = numba.get_num_threads()
    for nt in ctx.threads:
        numba.set_num_threads(nt)
        try:
            best = math.inf
            for _ in range(1 if ctx.quick else 3):
                sel = vs.strategies.imm(g, k=50, eps=0.1, rng=0, min_rr_sets=0)
                best = min(best, sel.elapsed)
        finally:
            numba.set_num_threads(full)
        if seeds is None:
            seeds = sel.seeds
        assert sel.seeds == seeds, "IMM seeds depend on the thread count"
        info = sel.info
        n_sets = info["n_rr_sets"] + info["n_rr_sets_sampling"]
        target = target_note(best, 1.0, unit=" s") + " (on 2 cores, all threads)" if nt == max(ctx.threads) else ""
        rows.append(row(SUITE, case, f"warm time, {nt} thread(s)", best, "s", target))
        rows.append(row(SUITE, case, f"RR sets/s, {nt} thread(s)", n_sets / info["rr_seconds"], "1/s",
                        f"{n_sets:,} sets (sampling + final), generation only"))
    rows.append(row(SUITE, case, "RR sets (final)", info["n_rr_sets"], "sets",
                    f"theta = {info['theta']:,}, LB = {info['lower_bound']:.1f}"))
    rows.append(row(SUITE, case, "bytes per RR member", 4.0, "B", "int32 members"))
    rows.append(row(SUITE, case, "bytes per RR member incl. offsets", info["bytes_per_member"], "B",
                    f"{info['rr_members'] / info['n_rr_sets']:.2f} members per set; the inverted "
                    "index adds 4 B per member while selecting"))
    dflts = [vs.strategies.imm(g, k=50, eps=0.1, rng=0) for _ in range(1 if ctx.quick else 3)]
    rows.append(row(SUITE, "imm/nethept k=50 defaults", "warm time", min(d.elapsed for d in dflts),
                    "s", f"best of {len(dflts)}; min_rr_sets='auto': "
                    f"{dflts[0].info['n_rr_sets']:,} final sets"))
    est = vs.estimate_reach(g, sel.seeds, n_sims=10_000, rng=99, exposure=False)
    # the own estimate is biased up a little (seeds chosen on those sets): within 3%
    assert abs(sel.spread - est.mean) < 0.03 * est.mean + 4 * est.stderr, (sel.spread, est)
    rows.append(row(SUITE, case, "reach", est.mean, "nodes",
                    f"± {est.half_width:.1f} (95% CI, 10k worlds); own estimate {sel.spread:.1f}"))
    return sel


def _celf_case(ctx, g, rows):
    import viralsim as vs

    k, W = (10, 200) if ctx.quick else (50, 1000)
    case = f"celf/nethept k={k} worlds={W}"
    tiny = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=0.5)
    dt, how = first_call(lambda: vs.strategies.celf(tiny, k=1, n_worlds=2, rng=0))
    rows.append(row(SUITE, case, "first call (compile or cache load)", dt, "s", f"tiny graph; {how}"))
    reps = 1 if ctx.quick else 3
    runs = [vs.strategies.celf(g, k=k, n_worlds=W, rng=0) for _ in range(reps)]
    sel = runs[0]
    best = min(r.elapsed for r in runs)
    target = ("target <= 10 s applies at k=50, 1000 worlds: not checked at this size" if ctx.quick
              else target_note(best, 10.0, unit=" s"))
    rows.append(row(SUITE, case, "time", best, "s",
                    f"best of {reps}; {target}; {sel.info['evaluations']} lazy re-evaluations"))
    est = vs.estimate_reach(g, sel.seeds, n_sims=W, rng=0, exposure=False)
    assert abs(est.mean - sel.spread) < 1e-9 * max(1.0, est.mean), (est.mean, sel.spread)
    rows.append(row(SUITE, case, "own spread = estimate_reach", sel.spread, "nodes", "same worlds, exact"))
    if not ctx.quick:
        las = [vs.strategies.celf(g, k=k, n_worlds=W, rng=0, lookahead=True) for _ in range(reps)]
        assert las[0].seeds == sel.seeds
        rows.append(row(SUITE, case, "time with CELF++ look-ahead", min(r.elapsed for r in las), "s",
                        f"best of {reps}; {las[0].info['evaluations']} re-evaluations; same seeds"))


def _quality(ctx, name, g, rows):
    import viralsim as vs

    k = 50
    n_sims = 2_000 if ctx.quick else 10_000
    case = f"quality/{name} k={k}"
    sels = {s: vs.select_seeds(g, k=k, strategy=s, rng=0) for s in HEURISTICS + ("imm", "opim_c")}
    key = 2024
    sizes = {}
    for s, sel in sels.items():
        est = vs.estimate_reach(g, sel.seeds, n_sims=n_sims, rng=key, exposure=False,
                                return_sizes=True)
        sizes[s] = est.sizes.astype(np.float64)
        rows.append(row(SUITE, case, f"reach {s}", est.mean, "nodes",
                        f"± {est.half_width:.1f} (95% CI); selection {sel.elapsed:.2f} s"))
    best = max(HEURISTICS, key=lambda s: sizes[s].mean())
    for s in ("imm", "opim_c"):
        d = sizes[s] - sizes[best]
        m = d.mean()
        h = 1.96 * d.std(ddof=1) / math.sqrt(n_sims)
        extra = f"; certified ratio {sels[s].info['ratio']:.3f}" if s == "opim_c" else ""
        rows.append(row(SUITE, case, f"{s} - best heuristic ({best})", m, "nodes",
                        f"paired 95% CI [{m - h:.2f}, {m + h:.2f}]{extra}"))
        assert m + h >= 0.0, f"{s} is significantly below {best} on {name}: {m:.2f} ± {h:.2f}"
    return sels


def _pynetim(ctx, name, g, rows):
    """pynetim's IMM (and OPIM-C when it has one) beside ours, evaluated in our worlds."""
    import viralsim as vs

    try:
        import pynetim
    except ImportError:
        rows.append(row(SUITE, f"pynetim/{name}", "available", 0, "", "pynetim not importable: skipped"))
        return
    case = f"pynetim/{name} k=50"
    src = np.repeat(np.arange(g.n_nodes), np.diff(g.indptr))
    edges = list(zip(src.tolist(), g.indices.tolist()))
    try:
        pg = pynetim.IMGraph(edges, weights=g.probs.astype(float).tolist(), directed=True,
                             renumber=False)
        reps = 1 if ctx.quick else 3  # best of: the machine may be shared

        def best_of(call):
            runs = [call() for _ in range(reps)]
            return min(runs, key=lambda r: r.elapsed)

        ours = {
            "IMM": best_of(lambda: vs.strategies.imm(g, k=50, eps=0.1, rng=0)),
            "IMM paper theta": best_of(lambda: vs.strategies.imm(g, k=50, eps=0.1, rng=0,
                                                                 min_rr_sets=0)),
            "OPIM-C": best_of(lambda: vs.strategies.opim_c(g, k=50, eps=0.1, rng=0)),
        }
        key = 2025
        n_sims = 2_000 if ctx.quick else 10_000

        def sizes(seeds):
            return vs.estimate_reach(g, seeds, n_sims=n_sims, rng=key, exposure=False,
                                     return_sizes=True).sizes.astype(np.float64)

        deg = sizes(vs.strategies.degree(g, k=50).seeds)
        peers = {
            "IMM eps=0.1": (lambda: pynetim.IMMAlgorithm(pg, model="IC", epsilon=0.1,
                                                        random_seed=0).run(k=50), "IMM"),
            "IMM eps=0.5": (lambda: pynetim.IMMAlgorithm(pg, model="IC", epsilon=0.5,
                                                        random_seed=0).run(k=50), None),
            "OPIM-C eps=0.1": (lambda: pynetim.OPIMCAlgorithm(pg, model="IC", random_seed=0)
                               .run(k=50, epsilon=0.1), "OPIM-C"),
        }
        for label, (call, mine) in peers.items():
            t_peer = math.inf
            for _ in range(reps):
                t0 = time.perf_counter()
                seeds = sorted(call())
                t_peer = min(t_peer, time.perf_counter() - t0)
            theirs = sizes(g.labels[np.asarray(seeds, dtype=np.int64)].tolist())
            dd = theirs - deg
            hd = 1.96 * dd.std(ddof=1) / math.sqrt(n_sims)
            rows.append(row(SUITE, case, f"pynetim {label}: time", t_peer, "s",
                            f"reach {theirs.mean():.1f}; minus degree {dd.mean():.2f} "
                            f"[{dd.mean() - hd:.2f}, {dd.mean() + hd:.2f}]"))
            if mine is None:
                continue
            ref = ours[mine]
            d = sizes(ref.seeds) - theirs
            h = 1.96 * d.std(ddof=1) / math.sqrt(n_sims)
            rows.append(row(SUITE, case, f"{mine} speed-up over pynetim (our defaults)",
                            t_peer / ref.elapsed, "x", f"ours {ref.elapsed:.2f} s"))
            if mine == "IMM":  # the same algorithm at the same k and eps: theta sets alone
                p0 = ours["IMM paper theta"]
                rows.append(row(SUITE, case, "IMM speed-up over pynetim (paper theta)",
                                t_peer / p0.elapsed, "x", f"ours {p0.elapsed:.2f} s, min_rr_sets=0; "
                                + target_note(t_peer / p0.elapsed, 5.0, at_most=False)))
                d0 = sizes(p0.seeds) - theirs
                h0 = 1.96 * d0.std(ddof=1) / math.sqrt(n_sims)
                rows.append(row(SUITE, case, f"IMM paper theta reach ours - pynetim {label}",
                                float(d0.mean()), "nodes",
                                f"paired 95% CI [{d0.mean() - h0:.2f}, {d0.mean() + h0:.2f}]"))
            rows.append(row(SUITE, case, f"{mine} reach ours - pynetim {label}", float(d.mean()),
                            "nodes", f"paired 95% CI [{d.mean() - h:.2f}, {d.mean() + h:.2f}]"))
    except Exception as exc:  # a peer's API drift must not sink our suite
        rows.append(row(SUITE, case, "error", 0, "", f"pynetim failed: {exc!r}"[:200]))


def run(ctx):
    import viralsim as vs

    rows = []
    g = _nethept(ctx)
    if g is None:
        ctx.log("nethept_imm_graph_ic.inf absent: IMM/CELF NetHEPT cases skipped")
    else:
        ctx.log("IMM on NetHEPT")
        _imm_case(ctx, g, rows)
        ctx.log("CELF on NetHEPT")
        _celf_case(ctx, g, rows)
    ctx.log("quality on BA 100k edges")
    _quality(ctx, "ba-10k-m5-wc", _ba(), rows)
    if g is not None and not ctx.quick:
        ctx.log("quality on NetHEPT")
        _quality(ctx, "nethept", g, rows)
    wiki = ctx.data_path("wiki-Vote.txt")
    if wiki is not None and not ctx.quick:
        ctx.log("quality on wiki-Vote")
        wv = vs.read_edgelist(wiki, directed=True).with_probabilities("weighted_cascade")
        _quality(ctx, "wiki-vote-wc", wv, rows)
    if not ctx.quick:
        ctx.log("pynetim side by side (when importable)")
        _pynetim(ctx, "ba-10k-m5-wc", _ba(), rows)
        if g is not None:
            _pynetim(ctx, "nethept", g, rows)
    return rows
