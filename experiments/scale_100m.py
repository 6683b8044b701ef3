"""A power-law follower graph from 1M to 100M edges on one machine: time and peak memory.

For each size (edges = consumers * avg degree) three fresh processes, so that each
stage's peak resident memory (``resource.getrusage``) is its own:

1. ``gen``: :func:`viralsim.generators.power_law` (no NetworkX), weighted-cascade
   probabilities, :meth:`FollowerGraph.save` to a binary ``.npz``;
2. ``estimate``: :func:`viralsim.io.read_graph`, then ``estimate_reach`` from the 50
   most-followed consumers (exposure on, the default call);
3. ``imm``: :func:`viralsim.io.read_graph`, then IMM (``eps=0.5``, ``k=50``,
   ``min_rr_sets=0``: the paper's theta alone).

Writes ``<out>.csv``, ``<out>.txt`` (a table with the machine's load) and
``<out>.png`` (time and peak memory against edges). The graphs go to ``--workdir``
and are deleted after each size unless ``--keep``.

    PYTHONPATH=src python experiments/scale_100m.py --edges 1e6 1e7 1e8
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time


def _rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _status_bytes(field):
    """``VmRSS`` / ``VmHWM`` of this process from ``/proc/self/status`` (Linux), in bytes."""
    with open("/proc/self/status") as fh:
        for ln in fh:
            if ln.startswith(field + ":"):
                return int(ln.split()[1]) * 1024
    raise OSError(f"no {field} in /proc/self/status")


class _PhasePeaks:
    """Peak resident memory per phase of a run, by resetting the kernel's high-water mark
    (``/proc/self/clear_refs`` = 5, Linux) at each phase boundary.

    Phases nest (an inner phase's peak counts towards the outer one); a phase called
    several times keeps its largest peak. ``peak`` is the largest over the whole run.
    """

    def __init__(self):
        self.stack, self.phases = [], {}
        self.peak = _status_bytes("VmHWM")

    def _fold(self, h):
        self.peak = max(self.peak, h)
        for p in self.stack:
            p[1] = max(p[1], h)

    def _reset(self):
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")

    def wrap(self, owner, attr, label):
        f = getattr(owner, attr)

        def wrapped(*a, **kw):
            self._fold(_status_bytes("VmHWM"))
            self._reset()
            start = _status_bytes("VmRSS")
            self.stack.append([label, start])
            try:
                return f(*a, **kw)
            finally:
                self._fold(_status_bytes("VmHWM"))
                _, peak = self.stack.pop()
                self._reset()
                end = _status_bytes("VmRSS")
                # the call with the largest peak, and how many calls there were
                old = self.phases.get(label, {"calls": 0, "peak": -1})
                now = {"start": start, "peak": peak, "end": end}
                self.phases[label] = dict(old if old["peak"] >= peak else now,
                                          calls=old["calls"] + 1)

        setattr(owner, attr, wrapped)


def _stage(args):
    import numpy as np

    import viralsim as vs
    from viralsim.io import read_graph

    edges = args.edges[0]
    n = int(edges // args.avg_degree)
    path = os.path.join(args.workdir, f"power_law_{int(edges)}.npz")
    out = {"stage": args.stage, "rss_after_import": _rss_bytes()}
    if args.stage == "gen":
        t = time.perf_counter()
        g = vs.generators.power_law(n, args.avg_degree, args.exponent, rng=0)
        out["gen_s"] = time.perf_counter() - t
        t = time.perf_counter()
        g = g.with_probabilities("weighted_cascade")
        out["probs_s"] = time.perf_counter() - t
        t = time.perf_counter()
        g.save(path)
        out["save_s"] = time.perf_counter() - t
        out.update(n_nodes=g.n_nodes, n_edges=g.n_edges, graph_bytes=g.nbytes,
                   file_bytes=os.path.getsize(path), max_followers=int(g.out_degree().max()))
    else:
        t = time.perf_counter()
        g = read_graph(path)
        out["read_s"] = time.perf_counter() - t
        out["rss_after_read"] = _rss_bytes()
        seeds = np.argsort(-g.out_degree(), kind="stable")[:args.k].tolist()
        if args.stage == "estimate":
            t = time.perf_counter()
            est = vs.estimate_reach(g, seeds, n_sims=args.n_sims, rng=0)
            out["estimate_s"] = time.perf_counter() - t
            out["reach"] = float(est.mean)
        else:
            from viralsim import FollowerGraph
            from viralsim.strategies import ris

            probe = _PhasePeaks()
            for owner, attr, label in [
                    (FollowerGraph, "_rr_reverse", "reverse CSR (RR sampling's)"),
                    (ris.RRCollection, "__init__", "collection set-up"),
                    (ris.RRCollection, "_grow_to", "RR sets"),
                    (ris.RRCollection, "index", "inverted index"),
                    (ris.RRCollection, "greedy", "greedy (with its index)")]:
                probe.wrap(owner, attr, label)
            t = time.perf_counter()
            sel = vs.select_seeds(g, k=args.k, strategy="imm", eps=args.eps, min_rr_sets=0, rng=0)
            out["imm_s"] = time.perf_counter() - t
            out["rr_bytes"] = int(sel.info.get("rr_bytes", 0))
            out["rr_sets"] = int(sel.info.get("rr_sets", sel.info.get("n_rr_sets", 0)))
            out["reverse_bytes"] = g.reverse_nbytes
            out["imm_spread"] = float(sel.spread)
            out["imm_seeds"] = [int(x) for x in sel.seeds]
            probe._fold(_status_bytes("VmHWM"))
            out["phases"] = probe.phases
            out["peak_rss"] = max(probe.peak, _rss_bytes())
    if "peak_rss" not in out:
        out["peak_rss"] = _rss_bytes()
    print("RESULT " + json.dumps(out), flush=True)


def _run(args, stage, edges):
    cmd = [sys.executable, __file__, "--stage", stage, "--edges", str(edges),
           "--avg-degree", str(args.avg_degree), "--exponent", str(args.exponent),
           "--n-sims", str(args.n_sims), "--k", str(args.k), "--eps", str(args.eps),
           "--workdir", args.workdir]
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode:
        sys.stderr.write(p.stderr)
        return {"stage": stage, "error": p.stderr.strip().splitlines()[-1:]}
    line = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    res = json.loads(line[7:])
    res["process_s"] = wall
    return res


def _machine():
    la = os.getloadavg()
    mem = {}
    with open("/proc/meminfo") as fh:
        for ln in fh:
            k, v = ln.split(":")
            mem[k] = int(v.split()[0]) * 1024
    return (f"{os.cpu_count()} CPUs, load average {la[0]:.1f} / {la[1]:.1f} / {la[2]:.1f}, "
            f"{mem['MemTotal'] / 2**30:.1f} GiB memory ({mem['MemAvailable'] / 2**30:.1f} available)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", type=float, nargs="+", default=[1e6, 1e7, 1e8])
    ap.add_argument("--avg-degree", type=float, default=10.0)
    ap.add_argument("--exponent", type=float, default=2.5)
    ap.add_argument("--n-sims", type=int, default=200)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--eps", type=float, default=0.5)
    ap.add_argument("--stages", nargs="+", default=["gen", "estimate", "imm"])
    ap.add_argument("--workdir", default="/tmp/viralsim_scale")
    ap.add_argument("--out", default="benchmarks/results/scale_100m")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.stage:
        return _stage(args)
    os.makedirs(args.workdir, exist_ok=True)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    rows, notes = [], [f"start: {_machine()}"]
    for e in args.edges:
        row = {"target_edges": int(e)}
        for stage in args.stages:
            res = _run(args, stage, e)
            print(stage, int(e), json.dumps(res), flush=True)
            if "error" in res:
                row[f"{stage}_error"] = " ".join(res["error"])
                break
            per_stage = ("read_s", "rss_after_read", "process_s")  # both read stages have them
            row.update({(f"{stage}_{k}" if k in per_stage else k):
                        (json.dumps(v) if isinstance(v, (dict, list)) else v)
                        for k, v in res.items()
                        if k not in ("stage", "peak_rss", "rss_after_import")})
            row[f"{stage}_peak_rss"] = res["peak_rss"]
            row[f"{stage}_rss_base"] = res["rss_after_import"]
        rows.append(row)
        notes.append(f"after {int(e):,} edges: {_machine()}")
        if not args.keep:
            p = os.path.join(args.workdir, f"power_law_{int(e)}.npz")
            if os.path.exists(p):
                os.remove(p)
        _write(args, rows, notes)
    return 0


def _write(args, rows, notes):
    keys = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with open(args.out + ".csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    gib = 2**30
    cols = [("edges", lambda r: f"{r.get('n_edges', r['target_edges']):,}"),
            ("graph GiB", lambda r: f"{r['graph_bytes'] / gib:.2f}"),
            ("gen s", lambda r: f"{r['gen_s']:.1f}"),
            ("gen peak GiB", lambda r: f"{r['gen_peak_rss'] / gib:.2f}"),
            ("read s", lambda r: f"{r['estimate_read_s']:.2f}"),
            (f"estimate s ({args.n_sims} worlds)", lambda r: f"{r['estimate_s']:.1f}"),
            ("estimate peak GiB", lambda r: f"{r['estimate_peak_rss'] / gib:.2f}"),
            ("IMM s", lambda r: f"{r['imm_s']:.1f}"),
            ("RR GiB", lambda r: f"{r['rr_bytes'] / gib:.2f}"),
            ("IMM peak GiB", lambda r: f"{r['imm_peak_rss'] / gib:.2f}"),
            ("IMM peak above import / (2 graph + RR)",
             lambda r: "%.2f" % ((r["imm_peak_rss"] - r["imm_rss_base"])
                                 / (2 * r["graph_bytes"] + r["rr_bytes"])))]

    def cell(f, r):
        try:
            return f(r)
        except (KeyError, TypeError, ZeroDivisionError):
            return "-"

    lines = [" | ".join(c for c, _ in cols)]
    lines += [" | ".join(cell(f, r) for _, f in cols) for r in rows]
    text = "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n"
    for r in rows:
        if "phases" in r:
            text += (f"\nIMM phases at {r.get('n_edges', r['target_edges']):,} edges (GiB: "
                     "resident at the start of the call with the largest peak, the peak, at its end):\n")
            text += "phase | calls | start GiB | peak GiB | end GiB\n"
            for name, p in json.loads(r["phases"]).items():
                text += (f"{name} | {p['calls']} | {p['start'] / gib:.2f} | {p['peak'] / gib:.2f}"
                         f" | {p['end'] / gib:.2f}\n")
    text += (f"power_law(avg_degree={args.avg_degree}, exponent={args.exponent}, rng=0), "
             f"weighted cascade; estimate_reach from the {args.k} most followed, "
             f"IMM eps={args.eps} k={args.k} min_rr_sets=0; peak = ru_maxrss of the stage's "
             "own process (Python and Numba included).\n")
    with open(args.out + ".txt", "w") as fh:
        fh.write(text)
    print(text)
    try:
        _figure(args, rows)
    except Exception as exc:  # the table stands without the figure
        print(f"figure not drawn: {exc}")


def _figure(args, rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in [("gen_s", "generate"), ("estimate_read_s", "read binary"),
                       ("estimate_s", f"estimate_reach ({args.n_sims} worlds)"),
                       ("imm_s", f"IMM eps={args.eps}, k={args.k}")]:
        pts = [(r["n_edges"], r[key]) for r in rows if key in r and "n_edges" in r]
        if pts:
            a1.loglog(*zip(*pts), "o-", label=label)
    a1.set_xlabel("edges")
    a1.set_ylabel("seconds")
    a1.legend(fontsize=8)
    a1.set_title("time")
    for key, label in [("graph_bytes", "graph (CSR)"), ("gen_peak_rss", "generate peak"),
                       ("estimate_peak_rss", "estimate peak"), ("imm_peak_rss", "IMM peak")]:
        pts = [(r["n_edges"], r[key] / 2**30) for r in rows if key in r and "n_edges" in r]
        if pts:
            a2.loglog(*zip(*pts), "o-", label=label)
    a2.set_xlabel("edges")
    a2.set_ylabel("GiB")
    a2.legend(fontsize=8)
    a2.set_title("memory")
    fig.tight_layout()
    fig.savefig(args.out + ".png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
