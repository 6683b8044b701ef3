"""Distributed suite: the Ray backend's overhead over serial, and a joblib-launched sweep.

1. ``estimate_reach`` on the 100k-edge Barabasi-Albert graph (n = 10,000,
   m = 5, both directions), uniform p = 0.01, the 50 most-followed seeds,
   200,000 worlds: serial (Numba, all threads) vs ``backend=ray`` on a local
   Ray with 2 CPUs (tasks of 25,000 worlds, each 0.1-1 s here, Numba 1
   thread per worker). Warm timings (compile and worker start-up reported
   apart); the results must be bit-identical. Target: Ray <= 1.15x serial.
2. A sweep of 8 jobs through the command line: ``hydra/launcher=joblib``
   (2 workers) vs the basic launcher, wall time of the whole command.
   Target: joblib <= 0.65x basic. A third run gives the floor any 2-worker
   launcher could reach on this machine: two basic sweeps of 4 jobs each,
   side by side as two independent commands (Numba 1 thread each), with no
   launcher between them. A one-job sweep first (compiling the kernels if
   this machine's cache lacks them), then three rounds of the three runs,
   one after the other; each ratio is taken within a round (runs seconds
   apart) and the median of the three per-round ratios is reported, with all
   three (times: the median of each, with all three). Full mode only (about
   2.5 min).

3. IMM and OPIM-C with the RR sets on Ray actors
   (:mod:`viralsim.distributed.ray_rr`) against serial at equal cores, k = 50,
   default ε and set floor; serial with Numba 2 threads, Ray with 2 local
   CPUs (2 actors, 1 thread each; and IMM again with
   ``rr_actors="per_node"``: 1 actor, 2 threads). Two workloads: email-Enron
   under weighted cascade (IMM 9.4M RR sets, 68M members: seconds serially,
   where a user would reach for Ray; a 40k-node BA graph when the file is
   absent), and NetHEPT (under a second serially: the fixed costs per
   selection show; its collections, 14M members, are under the gather
   threshold and copied to the driver for greedy, email-Enron's final ones,
   68M, stay on the actors). The one-off costs (Ray, the actors and their kernels
   starting, each graph going into the object store) are measured apart and
   are not in the runs. Serial and Ray runs interleaved (the machine is
   shared); each row gives the median and range of the per-run ratios and
   the ratio of the medians, the round trips per selection, and the load
   average before and after. Same seeds, gains and spreads asserted. Target:
   Ray <= 1.15x serial. Quick mode: IMM on NetHEPT, k = 10.
4. A simulated 4-node cluster (``ray.cluster_utils.Cluster``, 4 Ray nodes
   of 1 CPU each on this machine, one actor per node): seconds per RR set
   made and kept on the actors (256 per node: IMM's default floor, 3.9M on
   NetHEPT; 3 collections), against the serial collection on this machine,
   the seconds per greedy round (one round trip to every node), and a greedy
   with batched picks (``rr_candidates=64``). Full mode only. On a 2-core
   machine 4 nodes share 2 cores, so it measures the protocol's cost, not a
   speed-up.

Skips a part when ray or hydra-joblib-launcher is not installed.
"""

import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import row, target_note

SUITE = "distributed"


def _ray_part(ctx, rows):
    try:
        import ray
    except ImportError:
        ctx.log("ray not installed: Ray overhead skipped (pip install '.[ray]' in a clone of viralsim)")
        return
    import viralsim as vs
    from viralsim.distributed.ray_backend import RayBackend

    n_sims = 200_000
    g = vs.generators.barabasi_albert(10_000, 5, rng=0).with_probabilities(0.01)
    seeds = np.argsort(-g.out_degree(), kind="stable")[:50].tolist()
    vs.estimate_reach(g, seeds, n_sims=1_000, rng=0)  # compile
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    t0 = time.perf_counter()
    rb = RayBackend(num_cpus=2, batch_size=25_000)
    vs.estimate_reach(g, seeds, n_sims=4_000, rng=0, backend=rb)  # start workers, load kernels
    t_start = time.perf_counter() - t0
    ser, par = [], []
    reps = 2 if ctx.quick else 3
    for _ in range(reps):  # interleaved, best of: the machine is shared
        t = time.perf_counter()
        a = vs.estimate_reach(g, seeds, n_sims=n_sims, rng=1, return_sizes=True)
        ser.append(time.perf_counter() - t)
        t = time.perf_counter()
        b = vs.estimate_reach(g, seeds, n_sims=n_sims, rng=1, return_sizes=True, backend=rb)
        par.append(time.perf_counter() - t)
    assert a.mean == b.mean and np.array_equal(a.sizes, b.sizes), "Ray result differs from serial"
    ratio = min(par) / min(ser)
    rows += [
        row(SUITE, "ray vs serial, BA 100k edges, p=0.01", "serial time", min(ser), "s",
            f"{n_sims:,} worlds, numba threads {ctx.threads[-1]}"),
        row(SUITE, "ray vs serial, BA 100k edges, p=0.01", "ray time", min(par), "s",
            "local Ray num_cpus=2, 8 tasks of 25,000 worlds, numba 1 thread/worker"),
        row(SUITE, "ray vs serial, BA 100k edges, p=0.01", "ray / serial", ratio, "x",
            f"{target_note(ratio, 1.15)}; bit-identical: yes; reach {a.mean:,.2f}"),
        row(SUITE, "ray vs serial, BA 100k edges, p=0.01", "ray start-up", t_start, "s",
            "init + first tasks (workers load cached kernels)"),
    ]
    # CELF with its worlds split over Ray actors (one per CPU)
    path = ctx.data_path("nethept_imm_graph_ic.inf")
    if path:
        h = vs.read_edgelist(path, directed=True)
        k, n_worlds = (10, 200) if ctx.quick else (50, 1000)
        vs.strategies.celf(h, k=2, rng=0, n_worlds=20)  # warm
        t = time.perf_counter()
        sa = vs.strategies.celf(h, k=k, rng=0, n_worlds=n_worlds)
        ts = time.perf_counter() - t
        sb_batch = vs.strategies.CELFGreedy().batch  # the default the timed call uses
        t = time.perf_counter()
        sb = vs.strategies.celf(h, k=k, rng=0, n_worlds=n_worlds, backend=rb)
        tr = time.perf_counter() - t
        assert sa.seeds == sb.seeds and sa.spread == sb.spread, "Ray CELF differs from serial"
        case = f"CELF ray vs serial, NetHEPT k={k}, {n_worlds} worlds"
        rows += [
            row(SUITE, case, "serial time", ts, "s", f"numba threads {ctx.threads[-1]}"),
            row(SUITE, case, "ray time", tr, "s", "2 actors, numba 1 thread each; same seeds, "
                "gains and spread"),
            row(SUITE, case, "ray / serial", tr / ts, "x",
                f"{tr - ts:.2f} s more: the actors' start, then {sb.info['evaluations']} gain "
                f"evaluations in {sb.info['round_trips']} round trips to every actor "
                f"(batch {sb_batch})"),
        ]
    ray.shutdown()


def _sweep_args(jobs, out):
    return [sys.executable, "-m", "viralsim", "-m", f"rng_seed={','.join(map(str, jobs))}",
            "graph.n_nodes=50000", "n_sims=2000", f"hydra.sweep.dir={out}"]


def _sweep(launcher, out, n_jobs):
    args = _sweep_args(range(n_jobs), out)
    if launcher == "joblib":
        args += ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    t = time.perf_counter()
    p = subprocess.run(args, capture_output=True, text=True, env=env, cwd=out)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise AssertionError(f"{launcher} sweep failed:\n{p.stderr[-2000:]}")
    return dt


def _split_sweeps(out, n_jobs):
    """Two basic sweeps of half the jobs each, run side by side (Numba 1 thread
    each): what a 2-worker launcher with no cost of its own would take."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", NUMBA_NUM_THREADS="1")
    halves = [range(0, n_jobs // 2), range(n_jobs // 2, n_jobs)]
    t = time.perf_counter()
    procs = [subprocess.Popen(_sweep_args(h, os.path.join(out, str(i))), env=env, cwd=out,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for i, h in enumerate(halves)]
    errs = [p.communicate()[1] for p in procs]
    dt = time.perf_counter() - t
    for p, err in zip(procs, errs):
        if p.returncode != 0:
            raise AssertionError(f"split sweep failed:\n{err[-2000:]}")
    return dt


def _joblib_part(ctx, rows):
    try:
        import hydra_plugins.hydra_joblib_launcher  # noqa: F401
    except ImportError:
        ctx.log("hydra-joblib-launcher not installed: sweep comparison skipped "
                "(pip install '.[joblib]' in a clone of viralsim)")
        return
    from viralsim import results as res

    n_jobs, rounds = 8, 3
    with tempfile.TemporaryDirectory() as d:  # no round pays a compile
        _sweep("basic", d, 1)
    runs = {"basic": [], "joblib": [], "split": []}
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as d:
            for launcher in ("basic", "joblib"):
                out = os.path.join(d, launcher)
                os.makedirs(out)
                runs[launcher].append(_sweep(launcher, out, n_jobs))
                merged = res.read_table(os.path.join(out, "results.csv"))
                assert len({r["job"] for r in merged}) == n_jobs, f"{launcher}: missing jobs"
            b = res.read_table(os.path.join(d, "basic", "results.csv"))
            j = res.read_table(os.path.join(d, "joblib", "results.csv"))
            assert [r["mean"] for r in b] == [r["mean"] for r in j], "launchers disagree"
            out = os.path.join(d, "split")
            os.makedirs(out)
            runs["split"].append(_split_sweeps(out, n_jobs))
            s = [r for half in "01" for r in res.read_table(os.path.join(out, half, "results.csv"))]
            assert [r["mean"] for r in s] == [r["mean"] for r in b], "split sweeps disagree"
    basic = np.array(runs["basic"])
    ratio = {k: np.array(runs[k]) / basic for k in ("joblib", "split")}

    def spread(v, what=f"median of {rounds} rounds"):
        return f"{what}; all {', '.join(f'{x:.3f}' for x in v)}"

    per_round = f"median of {rounds} per-round ratios"
    case = f"sweep of {n_jobs} jobs (HK 50k, 3 plans, 2,000 worlds, PNG+SVG)"
    med = float(np.median(ratio["joblib"]))
    rows += [
        row(SUITE, case, "basic launcher", float(np.median(basic)), "s", spread(basic)),
        row(SUITE, case, "joblib launcher", float(np.median(runs["joblib"])), "s",
            f"n_jobs=2; {spread(runs['joblib'])}"),
        row(SUITE, case, "joblib / basic", med, "x",
            f"{target_note(med, 0.65)}; {spread(ratio['joblib'], per_round)}; "
            "merged tables identical"),
        row(SUITE, case, "2 side-by-side basic sweeps of 4", float(np.median(runs["split"])), "s",
            f"no launcher; Numba 1 thread each; same rows; {spread(runs['split'])}"),
        row(SUITE, case, "side-by-side / basic", float(np.median(ratio["split"])), "x",
            "the floor for any 2-worker launcher here; "
            f"{spread(ratio['split'], per_round)}"),
    ]


def _ris_graph(ctx):
    import viralsim as vs

    path = ctx.data_path("nethept_imm_graph_ic.inf")
    if path:
        return "NetHEPT", vs.read_edgelist(path, directed=True)
    g = vs.generators.barabasi_albert(10_000, 5, rng=0).with_probabilities("weighted_cascade")
    return "BA 100k edges, weighted cascade", g


def _ris_big_graph(ctx):
    """A graph where a user would reach for Ray: IMM takes seconds serially."""
    import viralsim as vs

    path = ctx.data_path("email-Enron.txt.gz")
    if path:
        g = vs.read_edgelist(path, directed=False).with_probabilities("weighted_cascade")
        return "email-Enron (36,692 nodes, 367,662 follows), weighted cascade", g
    g = vs.generators.barabasi_albert(40_000, 5, rng=0).with_probabilities("weighted_cascade")
    return "BA 40k nodes (400k follows), weighted cascade", g


def _load():
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def _ray_ris_part(ctx, rows):
    """IMM and OPIM-C with RR sets on 2 local Ray actors vs serial with 2 Numba threads.

    Two workloads: a large one, where Ray is worth using (serial IMM takes
    seconds: email-Enron under weighted cascade, 9.4M RR sets), and NetHEPT
    (IMM in under a second serially: there the fixed costs per selection
    show). The one-off costs (Ray and the actors starting, the kernels
    loading in them, the graph going into the object store) are measured
    apart and are not in the per-run ratios.
    """
    try:
        import ray
    except ImportError:
        ctx.log("ray not installed: Ray IMM/OPIM-C skipped (pip install '.[ray]' in a clone of viralsim)")
        return
    import numba

    import viralsim as vs
    from viralsim.distributed import ray_rr
    from viralsim.distributed.ray_backend import RayBackend

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    name, g = _ris_graph(ctx)
    big_name, big = (name, g) if ctx.quick else _ris_big_graph(ctx)
    k = 10 if ctx.quick else 50
    reps = 2 if ctx.quick else 5
    cores = 2
    full = numba.get_num_threads()
    load_before = _load()
    # one-off costs, each apart: Ray and the actors start, the kernels load in them
    # (warm-up selections on a tiny graph), then each graph goes into the object store
    tiny = vs.generators.barabasi_albert(200, 2, rng=0).with_probabilities(0.1)
    rb = RayBackend(num_cpus=cores)
    t = time.perf_counter()
    ray_ = rb._ensure()
    t_init = time.perf_counter() - t
    t = time.perf_counter()
    ray_rr._pool(rb)
    t_actors = time.perf_counter() - t
    t = time.perf_counter()
    for strat in ("imm", "opim_c"):
        vs.select_seeds(tiny, k=2, strategy=strat, rng=0, min_rr_sets=1000)
        # gathered greedy, then greedy on the actors (both kernels load)
        vs.select_seeds(tiny, k=2, strategy=strat, rng=0, min_rr_sets=1000, backend=rb)
        gm, ray_rr.GATHER_MEMBERS = ray_rr.GATHER_MEMBERS, 0
        try:
            vs.select_seeds(tiny, k=2, strategy=strat, rng=0, min_rr_sets=1000, backend=rb)
        finally:
            ray_rr.GATHER_MEMBERS = gm
    t_warm = time.perf_counter() - t
    puts = []
    for gr in (big, g):
        t = time.perf_counter()
        ray_rr._graph_arrays_ref(ray_, gr)  # (a second call is a cache hit)
        puts.append(time.perf_counter() - t)
    # (what the collections read, serial and Ray alike: reverse_csr() would switch the
    # graph's serial sampling to the per-edge arrays)
    gbytes = sum(a.nbytes for a in big._rr_reverse()[:4])
    rows += [
        row(SUITE, "ris ray, one-off costs", "ray start-up", t_init + t_actors + t_warm, "s",
            f"local Ray init {t_init:.1f} s + {cores} actors {t_actors:.1f} s + kernels load in "
            f"them (warm-up selections on a 200-node graph) {t_warm:.1f} s; once per session"),
        row(SUITE, "ris ray, one-off costs", "graph into object store", puts[0] * 1e3, "ms",
            f"{big_name.split(' (')[0]}: sampling arrays {gbytes / 2**20:.1f} MiB, once per graph "
            f"and session, read zero-copy by the actors"
            + ("" if ctx.quick else f"; {name} {puts[1] * 1e3:.0f} ms")),
    ]
    plan = [(big_name, big, "imm", "per_cpu", reps), (big_name, big, "opim_c", "per_cpu", 3),
            (name, g, "imm", "per_cpu", reps), (name, g, "opim_c", "per_cpu", reps),
            (big_name, big, "imm", "per_node", 3)]
    if ctx.quick:
        plan = [(name, g, "imm", "per_cpu", reps)]
    for gname, gr, strat, placement, n in plan:
        rb.rr_actors = placement
        if placement == "per_node":  # its actor starts and loads the kernels: not timed
            vs.select_seeds(tiny, k=2, strategy=strat, rng=0, min_rr_sets=1000, backend=rb)
        _ray_ris_case(ctx, rows, vs, gr, gname, rb, strat, placement, k, n, cores, full)
    rows.append(row(SUITE, "ris ray, one-off costs", "machine load", os.cpu_count(), "CPUs",
                    f"before: {load_before}; after: {_load()} (a shared machine: per-run "
                    "ratios scatter; each case interleaves serial and Ray runs)"))
    ray_rr.shutdown_pools()
    ray.shutdown()


def _ray_ris_case(ctx, rows, vs, g, name, rb, strat, placement, k, reps, cores, full):
    import numba

    from viralsim.distributed import ray_rr

    made = []
    real = ray_rr.ray_collections

    def spy(*args, **kw):
        made.append(real(*args, **kw))
        return made[-1]

    ser, par, gen_s, gen_r, trips = [], [], [], [], []
    ray_rr.ray_collections = spy
    try:
        for _ in range(reps):  # interleaved: the machine is shared
            numba.set_num_threads(min(cores, full))
            try:
                t = time.perf_counter()
                a = vs.select_seeds(g, k=k, strategy=strat, rng=1)
                ser.append(time.perf_counter() - t)
            finally:
                numba.set_num_threads(full)
            t = time.perf_counter()
            b = vs.select_seeds(g, k=k, strategy=strat, rng=1, backend=rb)
            par.append(time.perf_counter() - t)
            assert a.seeds == b.seeds and a.spread == b.spread, f"Ray {strat} differs from serial"
            assert np.array_equal(a.gains, b.gains), f"Ray {strat} gains differ from serial"
            gen_s.append(a.info["rr_seconds"])
            gen_r.append(b.info["rr_seconds"])
            trips.append(sum(c.round_trips for c in made.pop()))
            sets = f"{a.info['n_rr_sets']:,} RR sets, {a.info['rr_members']:,} members"
            a = b = None  # the sets go before the next run
    finally:
        ray_rr.ray_collections = real
    ms, mp = float(np.median(ser)), float(np.median(par))
    per_run = np.array(par) / np.array(ser)
    actors = (f"{cores} actors, numba 1 thread each" if placement == "per_cpu"
              else f"1 actor, numba {cores} threads (rr_actors=per_node)")
    case = f"{strat} ray ({placement}) vs serial, {name}, k={k}, {cores} cores"

    def every(v):
        return ", ".join(f"{x:.2f}" for x in v)

    rest_s = np.median(np.array(ser) - np.array(gen_s))
    rest_r = np.median(np.array(par) - np.array(gen_r))
    rows += [
        row(SUITE, case, "serial time", ms, "s",
            f"numba {min(cores, full)} threads; median of {reps}; all {every(ser)}; "
            f"{sets}"),
        row(SUITE, case, "ray time", mp, "s",
            f"{actors}; median of {reps}; all {every(par)}; same seeds, gains, spread; "
            f"{int(np.median(trips))} round trips to the actors per selection"),
        row(SUITE, case, "ray / serial", float(np.median(per_run)), "x",
            f"{target_note(float(np.median(per_run)), 1.15)} (median of the per-run ratios, "
            f"range {per_run.min():.2f}-{per_run.max():.2f}; all {every(per_run)}); "
            f"ratio of the medians {mp / ms:.2f}; one-off start-up excluded"),
        row(SUITE, case, "RR generation, ray / serial", float(np.median(gen_r) / np.median(gen_s)),
            "x", f"medians {np.median(gen_r):.2f} / {np.median(gen_s):.2f} s; the rest (greedy, "
            f"index, round trips, driver) {rest_r:.2f} / {rest_s:.2f} s"),
    ]


def _ray_cluster_part(ctx, rows):
    """Seconds per RR set and per greedy round on a simulated 4-node cluster."""
    try:
        import ray
        from ray.cluster_utils import Cluster
    except ImportError:
        ctx.log("ray not installed: simulated cluster skipped")
        return
    import viralsim as vs
    from viralsim._kernels.rr import MODE_IC
    from viralsim.distributed import ray_rr
    from viralsim.distributed.ray_backend import RayBackend
    from viralsim.strategies.ris import RRCollection

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    if ray.is_initialized():
        ray.shutdown()
    name, g = _ris_graph(ctx)
    n_nodes, n_sets, k, reps = 4, 256 * g.n_nodes, 50, 3
    cluster = Cluster(initialize_head=True,
                      head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        for _ in range(n_nodes - 1):
            cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, log_to_driver=False,
                 runtime_env={"env_vars": {"NUMBA_NUM_THREADS": "1"}})
        rb = RayBackend()
        t = time.perf_counter()
        _, workers = ray_rr._pool(rb)
        t_start = time.perf_counter() - t
        where = len({nd for nd, _ in ray.get([w.node.remote() for w in workers])})
        assert len(workers) == n_nodes and where == n_nodes, "not one actor per node"
        per_set, per_round, ser_set, batched, batch_trips = [], [], [], [], []
        for r in range(reps):
            (c,) = ray_rr.ray_collections(rb, g, 100 + r, weights=None, mode=MODE_IC,
                                          comment_prob=1.0, bases=(0,))
            c.extend_to(1000)  # warm the kernels on every actor
            t = time.perf_counter()
            c.extend_to(1000 + n_sets)
            per_set.append((time.perf_counter() - t) / n_sets)
            c.greedy(1)  # the actors index their sets: not in the rounds' time
            t = time.perf_counter()
            seeds, gains, _ = c.greedy(k)
            per_round.append((time.perf_counter() - t) / k)
            c.candidates, trips = 64, c.round_trips  # batches of exact picks per round trip
            t = time.perf_counter()
            b_seeds, b_gains, _ = c.greedy(k)
            batched.append(time.perf_counter() - t)
            batch_trips.append(c.round_trips - trips)
            c.candidates = 0
            assert np.array_equal(seeds, b_seeds) and np.array_equal(gains, b_gains)
            size = c.n_members / c.n_sets
            s = RRCollection(g, 100 + r).extend_to(1000)
            t = time.perf_counter()
            s.extend_to(1000 + n_sets)
            ser_set.append((time.perf_counter() - t) / n_sets)
            s_seeds, s_gains, _ = s.greedy(k)
            assert np.array_equal(seeds, s_seeds) and np.array_equal(gains, s_gains), \
                "cluster greedy differs from serial"
            c.close()
        t = time.perf_counter()
        sel = vs.select_seeds(g, k=k, strategy="imm", rng=1, backend=rb)
        t_imm = time.perf_counter() - t
    finally:
        ray_rr.shutdown_pools()
        ray.shutdown()
        cluster.shutdown()
    case = f"simulated {n_nodes}-node Ray cluster (1 CPU each, this machine), {name}"
    med = float(np.median(per_set))
    rows += [
        row(SUITE, case, "time per RR set", med * 1e6, "us",
            f"{n_sets:,} sets ({size:.2f} members each) made and kept on {n_nodes} actors, "
            f"median of {reps}; all "
            + ", ".join(f"{x * 1e6:.2f}" for x in per_set)),
        row(SUITE, case, "serial time per RR set", float(np.median(ser_set)) * 1e6, "us",
            f"RRCollection here, numba {__import__('numba').get_num_threads()} threads; all "
            + ", ".join(f"{x * 1e6:.2f}" for x in ser_set)),
        row(SUITE, case, "time per greedy round", float(np.median(per_round)) * 1e3, "ms",
            f"k={k}, sets indexed: counts gathered, then one round trip to every node per pick "
            f"(greedy time / k); same seeds and gains as serial; all "
            + ", ".join(f"{x * 1e3:.1f}" for x in per_round)),
        row(SUITE, case, "greedy k=50, batched picks", float(np.median(batched)), "s",
            f"rr_candidates=64: {int(np.median(batch_trips))} round trips in place of {k}; "
            f"per pick: {float(np.median(per_round)) * k:.2f} s; same seeds and gains; all "
            + ", ".join(f"{x:.2f}" for x in batched)),
        row(SUITE, case, "IMM k=50", t_imm, "s",
            f"{sel.info['n_rr_sets']:,} RR sets; actors started in {t_start:.1f} s"),
    ]


def run(ctx):
    rows = []
    _ray_part(ctx, rows)
    _ray_ris_part(ctx, rows)
    if not ctx.quick:
        _ray_cluster_part(ctx, rows)
    if ctx.quick:  # three rounds of three sweeps take about 2.5 min: full mode only
        ctx.log("joblib vs basic sweep: full mode only (python -m viralsim.bench --suite distributed)")
    else:
        _joblib_part(ctx, rows)
    return rows
