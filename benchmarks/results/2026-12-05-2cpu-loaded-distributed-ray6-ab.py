"""Before/after A/B of viralsim.distributed.ray_rr (helper ray6), kept as the record of how
benchmarks/results/2026-12-05-2cpu-loaded-distributed-ray6.txt was measured.

Needs the before code importable as a module of the package:
    git show 1ef6ce7:src/viralsim/distributed/ray_rr.py > src/viralsim/distributed/_ray_rr_before.py
(delete it afterwards). Run from the repository root with ../shared/data present:
    PYTHONPATH=src python benchmarks/results/2026-12-05-2cpu-loaded-distributed-ray6-ab.py 7 nethept-imm,enron-imm
"""
"""Before/after: IMM (and OPIM-C) with backend=ray against serial, interleaved in one process.

Each round runs, for each workload: serial (graph copy A) and Ray with the code before
this change (its own actors, graph copy A), serial (graph copy B) and Ray with the code
after (graph copy B); the order of the two pairs alternates by round. Each pair's ratio is
Ray / serial of two runs seconds apart.
"""
import os, sys, time
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
import numba
import numpy as np
import viralsim as vs
from viralsim.distributed import ray_rr as new
from viralsim.distributed import _ray_rr_before as old
from viralsim.distributed.ray_backend import RayBackend

reps = int(sys.argv[1])
work = sys.argv[2].split(",")  # nethept-imm, nethept-opim_c, enron-imm
D = "/work/shared/data/"

def load(name):
    if name == "nethept":
        return vs.read_edgelist(D + "nethept_imm_graph_ic.inf", directed=True)
    return vs.read_edgelist(D + "email-Enron.txt.gz", directed=False).with_probabilities("weighted_cascade")

graphs = {w.split("-")[0]: (load(w.split("-")[0]), load(w.split("-")[0])) for w in work}
rb = RayBackend(num_cpus=2)
t = time.perf_counter(); ray = rb._ensure(); t_init = time.perf_counter() - t
real = {"ray_collections": new.ray_collections, "extend_together": new.extend_together}
made = []
def use(mod):
    fn = real["ray_collections"] if mod is new else mod.ray_collections
    def spy(*a, **k):
        made.append(fn(*a, **k)); return made[-1]
    new.ray_collections = spy
    new.extend_together = real["extend_together"] if mod is new else mod.extend_together
t = time.perf_counter()
for mod in (old, new):
    mod._pool(rb)
t_actors = time.perf_counter() - t
tiny = vs.generators.barabasi_albert(200, 2, rng=0).with_probabilities(0.1)
t = time.perf_counter()
for mod in (old, new):
    use(mod)
    for strat in ("imm", "opim_c"):
        vs.select_seeds(tiny, k=2, strategy=strat, rng=0, min_rr_sets=1000)
        vs.select_seeds(tiny, k=2, strategy=strat, rng=0, min_rr_sets=1000, backend=rb)
        gm, mod.GATHER_MEMBERS = mod.GATHER_MEMBERS, 0
        vs.select_seeds(tiny, k=2, strategy=strat, rng=0, min_rr_sets=1000, backend=rb)
        mod.GATHER_MEMBERS = gm
t_warm = time.perf_counter() - t
for name, (ga, gb) in graphs.items():
    t = time.perf_counter(); old._graph_arrays_ref(ray, ga); t1 = time.perf_counter(); new._graph_arrays_ref(ray, gb)
    print(f"one-off: {name} into the object store: before {1e3*(t1-t):.1f} ms (per-edge reverse CSR), after {1e3*(time.perf_counter()-t1):.1f} ms")
print(f"one-off: Ray init {t_init:.1f} s, 2+2 actors {t_actors:.1f} s, kernels load (tiny selections, both codes) {t_warm:.1f} s")
print(f"load before: {os.getloadavg()}")
full = numba.get_num_threads()
res = {w: {"ser_a": [], "ray_a": [], "ser_b": [], "ray_b": [], "trips_a": [], "trips_b": [], "gen": []} for w in work}
for r in range(reps):
    for w in work:
        name, strat = w.split("-")
        ga, gb = graphs[name]
        order = (("a", old, ga), ("b", new, gb)) if r % 2 == 0 else (("b", new, gb), ("a", old, ga))
        for tag, mod, g in order:
            use(mod)
            numba.set_num_threads(2)
            t = time.perf_counter(); s = vs.select_seeds(g, k=50, strategy=strat, rng=1); ts = time.perf_counter() - t
            numba.set_num_threads(full)
            t = time.perf_counter(); p = vs.select_seeds(g, k=50, strategy=strat, rng=1, backend=rb); tp = time.perf_counter() - t
            assert s.seeds == p.seeds and s.spread == p.spread and np.array_equal(s.gains, p.gains)
            res[w]["ser_" + tag].append(ts); res[w]["ray_" + tag].append(tp)
            res[w]["trips_" + tag].append(sum(c.round_trips for c in made.pop()))
            res[w]["gen"].append((tag, s.info["rr_seconds"], p.info["rr_seconds"]))
            info = s.info
            s = p = None
        x = res[w]
        print(f"round {r} {w}: before {x['ray_a'][-1]:.2f}/{x['ser_a'][-1]:.2f} = {x['ray_a'][-1]/x['ser_a'][-1]:.2f}; "
              f"after {x['ray_b'][-1]:.2f}/{x['ser_b'][-1]:.2f} = {x['ray_b'][-1]/x['ser_b'][-1]:.2f}; load {os.getloadavg()[0]:.1f}", flush=True)
        res[w]["info"] = info
print(f"load after: {os.getloadavg()}")
def every(v): return ", ".join(f"{z:.2f}" for z in v)
for w in work:
    x = res[w]
    print(f"\n== {w} (k=50, {x['info']['n_rr_sets']:,} RR sets, {x['info']['rr_members']:,} members), {reps} rounds")
    for tag, label in (("a", "before (1ef6ce7)"), ("b", "after (this branch)")):
        s, p = np.array(x["ser_" + tag]), np.array(x["ray_" + tag])
        q = p / s
        gs = np.median([g[1] for g in x["gen"] if g[0] == tag]); gp = np.median([g[2] for g in x["gen"] if g[0] == tag])
        print(f"{label}: ray/serial median of per-run ratios {np.median(q):.3f} (range {q.min():.2f}-{q.max():.2f}); "
              f"ratio of medians {np.median(p)/np.median(s):.3f}; serial median {np.median(s):.2f} s (all {every(s)}); "
              f"ray median {np.median(p):.2f} s (all {every(p)}); per-run ratios {every(q)}; "
              f"round trips {int(np.median(x['trips_' + tag]))}; RR generation medians ray {gp:.2f} / serial {gs:.2f} s")
new.ray_collections, new.extend_together = real["ray_collections"], real["extend_together"]
