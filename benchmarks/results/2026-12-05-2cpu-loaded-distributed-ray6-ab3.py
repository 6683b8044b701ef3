"""NetHEPT IMM: before code / after code (gather default) / after code with the final greedy on
the actors (rr_gather_members = 2**23), interleaved; record of benchmarks/results/2026-12-05-2cpu-
loaded-distributed-ray6.txt part B. Needs the before code as for ...-ray6-ab.py. Usage:
    PYTHONPATH=src python benchmarks/results/2026-12-05-2cpu-loaded-distributed-ray6-ab3.py 12
"""
import os, sys, time
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
import numba, numpy as np
import viralsim as vs
from viralsim.distributed import ray_rr as new
from viralsim.distributed import _ray_rr_before as old
from viralsim.distributed.ray_backend import RayBackend
reps = int(sys.argv[1]); strat = sys.argv[2] if len(sys.argv) > 2 else "imm"
D = "/work/shared/data/"
ga = vs.read_edgelist(D + "nethept_imm_graph_ic.inf", directed=True)
gb = vs.read_edgelist(D + "nethept_imm_graph_ic.inf", directed=True)
rb = RayBackend(num_cpus=2); ray = rb._ensure()
real = (new.ray_collections, new.extend_together)
def use(mod):
    if mod is new: new.ray_collections, new.extend_together = real
    else: new.ray_collections, new.extend_together = old.ray_collections, old.extend_together
old._pool(rb); new._pool(rb)
tiny = vs.generators.barabasi_albert(200, 2, rng=0).with_probabilities(0.1)
for mod in (old, new):
    use(mod)
    for st in ("imm", "opim_c"):
        vs.select_seeds(tiny, k=2, strategy=st, rng=0, min_rr_sets=1000, backend=rb)
        gm, mod.GATHER_MEMBERS = mod.GATHER_MEMBERS, 0
        vs.select_seeds(tiny, k=2, strategy=st, rng=0, min_rr_sets=1000, backend=rb)
        mod.GATHER_MEMBERS = gm
old._graph_arrays_ref(ray, ga); new._graph_arrays_ref(ray, gb)
full = numba.get_num_threads()
def ser(g):
    numba.set_num_threads(2)
    t = time.perf_counter(); s = vs.select_seeds(g, k=50, strategy=strat, rng=1); d = time.perf_counter() - t
    numba.set_num_threads(full); return s, d
def par(g):
    t = time.perf_counter(); s = vs.select_seeds(g, k=50, strategy=strat, rng=1, backend=rb); return s, time.perf_counter() - t
R = {"old": [], "copy": [], "actors": []}
print("load before", os.getloadavg(), flush=True)
for r in range(reps):
    arms = ["old", "copy", "actors"]
    arms = arms[r % 3:] + arms[:r % 3]
    line = []
    for arm in arms:
        g = ga if arm == "old" else gb
        use(old if arm == "old" else new)
        rb.rr_gather_members = None if arm != "actors" else (1 << 23)
        if r % 2: p, tp = par(g); s, ts = ser(g)
        else: s, ts = ser(g); p, tp = par(g)
        assert s.seeds == p.seeds and s.spread == p.spread
        R[arm].append((tp, ts, p.info["rr_seconds"], s.info["rr_seconds"]))
        line.append(f"{arm} {tp:.2f}/{ts:.2f}={tp/ts:.2f}")
        s = p = None
    print(f"round {r}: " + "; ".join(line) + f"; load {os.getloadavg()[0]:.1f}", flush=True)
print("load after", os.getloadavg())
for arm, v in R.items():
    v = np.array(v); q = v[:, 0] / v[:, 1]
    print(f"{arm}: median per-run {np.median(q):.3f} range {q.min():.2f}-{q.max():.2f}; ratio of medians {np.median(v[:,0])/np.median(v[:,1]):.3f}; "
          f"ray med {np.median(v[:,0]):.2f} serial med {np.median(v[:,1]):.2f}; gen med ray {np.median(v[:,2]):.2f} serial {np.median(v[:,3]):.2f}; rest med ray {np.median(v[:,0]-v[:,2]):.2f} serial {np.median(v[:,1]-v[:,3]):.2f}; all {', '.join(f'{x:.2f}' for x in q)}")
