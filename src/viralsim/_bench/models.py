"""Model suite: worlds/s of IC, word of mouth with every extra, and LT, with ratios.

Graphs: the 100k-edge preferential-attachment graph
(``barabasi_albert(10_000, 5, rng=1)``, weighted cascade) and NetHEPT
(``nethept_imm_graph_ic.inf``, its own WC probabilities; skipped when absent).
Seeds: the 50 accounts with most followers (ties by index). Models:
``IC()``, ``WordOfMouth(comment_prob=0.5, reinforcement=0.5,
amplification=0.2)``, the same with a target segment (even node indices;
off-target factor 0.3: a marketer's campaign) and ``LinearThreshold()``
(weighted cascade weights), each
timed warm through :func:`viralsim.estimate_reach` with exposure tracking on
(the default), at 1 thread and all threads.

Targets (issue 3): WOM's time per world <= 2x IC's, LT's <= 1.5x IC's. The
WOM extras change the cascade (reinforcement and amplification make it
larger), so the note also gives the ratio per comment view (impression),
the work each world does. CyNetDiff's ``LinearThresholdModel`` runs on the
same CSR, weights and seeds when importable; its mean must agree with ours
within 5 joint standard errors. Checks: ``WordOfMouth()`` equals ``IC()``
world for world.
"""

import math
import time

import numba
import numpy as np

from . import first_call, row, target_note

SUITE = "models"


def _graphs(ctx):
    import viralsim as vs

    t = time.perf_counter()
    g = vs.generators.barabasi_albert(10_000, 5, rng=1).with_probabilities("weighted_cascade")
    yield "ba10k_m5_wc", g, time.perf_counter() - t
    path = ctx.data_path("nethept_imm_graph_ic.inf")
    if path is None:
        ctx.log("nethept_imm_graph_ic.inf absent: NetHEPT case skipped")
        return
    t = time.perf_counter()
    g = vs.read_edgelist(path, directed=True)
    yield "nethept", g, time.perf_counter() - t


def _top_seeds(g, k=50):
    return g.labels[np.argsort(-g.out_degree(), kind="stable")[:k]].tolist()


def _time(fn, min_time):
    """Best-of wall time of ``fn`` (run at least three times, and for ``min_time`` s).

    The best of several runs, because the machine may be shared: the minimum
    is the least disturbed estimate of the kernel's own cost.
    """
    best, total, runs, out = math.inf, 0.0, 0, None
    while runs < 3 or total < min_time:
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        best, total, runs = min(best, dt), total + dt, runs + 1
    return best, out


def _time_models(vs, g, seeds, models, n_sims, reps):
    """Best-of-``reps`` time per model, the models interleaved so drift hits all alike."""
    best = {name: (math.inf, None) for name in models}
    for _ in range(reps):
        for name, model in models.items():
            t = time.perf_counter()
            est = vs.estimate_reach(g, seeds, model=model, n_sims=n_sims, rng=0)
            dt = time.perf_counter() - t
            if dt < best[name][0]:
                best[name] = (dt, est)
    return best


def _cynetdiff_lt(g, seeds_idx, weights, n, rng):
    from cynetdiff.models import LinearThresholdModel

    m = LinearThresholdModel(
        np.ascontiguousarray(g.indptr[:-1], dtype=np.uint32),
        np.ascontiguousarray(g.indices, dtype=np.uint32),
        influence=np.ascontiguousarray(weights, dtype=np.float32),
        rng=rng,
    )
    m.set_seeds([int(s) for s in seeds_idx])
    sizes = np.empty(n)
    t = time.perf_counter()
    for i in range(n):
        m.reset_model()
        m.advance_until_completion()
        sizes[i] = m.get_num_activated_nodes()
    return time.perf_counter() - t, sizes


def run(ctx):
    import viralsim as vs

    rows = []
    n_sims = 500 if ctx.quick else 10_000
    reps = 3 if ctx.quick else 5
    models = {
        "IC": vs.IC(),
        "WOM(c=0.5,b=0.5,a=0.2)": vs.WordOfMouth(comment_prob=0.5, reinforcement=0.5,
                                                 amplification=0.2),
        "WOM+target(g=0.3)": vs.WordOfMouth(comment_prob=0.5, reinforcement=0.5,
                                            amplification=0.2, segment_attr="target",
                                            off_target_factor=0.3),
        "LT(wc)": vs.LinearThreshold(),
    }
    try:
        import cynetdiff  # noqa: F401

        have_cnd = True
    except ImportError:
        have_cnd = False
        ctx.log("cynetdiff not importable: its LT column is skipped")
    old_threads = numba.get_num_threads()
    try:
        for gname, g, t_build in _graphs(ctx):
            case0 = f"{gname} (n={g.n_nodes:,}, m={g.n_edges:,})"
            g = g.with_node_attr("target", np.arange(g.n_nodes) % 2 == 0)
            rows.append(row(SUITE, case0, "graph build", t_build, "s"))
            seeds = _top_seeds(g)
            # correctness: the defaults of WordOfMouth are IC in the same worlds
            a = vs.estimate_reach(g, seeds, n_sims=200, rng=3, return_sizes=True)
            b = vs.estimate_reach(g, seeds, model=vs.WordOfMouth(), n_sims=200, rng=3,
                                  return_sizes=True)
            assert np.array_equal(a.sizes, b.sizes), "WordOfMouth() != IC() in the same worlds"
            for name, model in models.items():  # compile (cached on disk) + first call
                dt, how = first_call(lambda g=g, s=seeds, m=model: vs.estimate_reach(
                    g, s, model=m, n_sims=20, rng=0))
                rows.append(row(SUITE, f"{case0} {name}", "first call (compile or cache load)",
                                dt, "s", how))
            for nt in ctx.threads:
                numba.set_num_threads(nt)
                res = _time_models(vs, g, seeds, models, n_sims, reps)
                for name in models:
                    dt, est = res[name]
                    rows.append(row(
                        SUITE, f"{case0} {name}", f"worlds/s ({nt} thr)", n_sims / dt, "worlds/s",
                        f"reach {est.mean:,.1f} ± {est.half_width:,.1f} (95% CI), "
                        f"impressions/world {est.metrics['impressions'].mean:,.0f}",
                    ))
                t_ic, e_ic = res["IC"]
                for name in list(models)[1:]:
                    dt, est = res[name]
                    per_view = (dt / est.metrics["impressions"].mean) / (
                        t_ic / e_ic.metrics["impressions"].mean)
                    limit = {"WOM(": 2.0, "LT(w": 1.5}.get(name[:4])
                    target = "" if limit is None else target_note(dt / t_ic, limit) + "; "
                    rows.append(row(
                        SUITE, f"{case0} {name}", f"time ratio vs IC ({nt} thr)", dt / t_ic, "x",
                        f"{target}per comment view {per_view:.2f}x",
                    ))
            numba.set_num_threads(old_threads)
            if have_cnd:
                lt = models["LT(wc)"]
                w = lt.edge_weights(g)
                idx = g.index_of(seeds)
                n_c = min(n_sims, 1_000 if ctx.quick else 5_000)
                t_c, sizes = _cynetdiff_lt(g, idx, w, n_c, rng=0)
                numba.set_num_threads(1)
                t_v, est = _time(lambda g=g, s=seeds, m=lt, n=n_c: vs.estimate_reach(
                    g, s, model=m, n_sims=n, rng=0), 0.0)
                numba.set_num_threads(old_threads)
                se_c = sizes.std(ddof=1) / math.sqrt(n_c)
                gap = abs(sizes.mean() - est.mean)
                joint = math.hypot(se_c, est.stderr)
                bound = 5 * joint
                assert gap <= bound, f"LT mean {est.mean} vs cynetdiff {sizes.mean()} (> {bound})"
                rows.append(row(
                    SUITE, f"{case0} cynetdiff LT", "worlds/s (1 thr)", n_c / t_c, "worlds/s",
                    f"reach {sizes.mean():,.1f} vs ours {est.mean:,.1f} (|diff| {gap:.1f} "
                    f"<= 5 × joint se {joint:.1f} = {bound:.1f}); ours (1 thr) / cynetdiff speed "
                    f"{t_c / t_v:.2f}x",
                ))
    finally:
        numba.set_num_threads(old_threads)
    return rows
