"""Scale suite: building and reading large follower graphs.

Cases (consumers x 10 edges; 10M consumers and 100M edges at full size, 100k and
1M in ``--quick``):

- ``power_law``: :func:`viralsim.generators.power_law` (Chung-Lu, Numba, no
  NetworkX), exponent 2.5. Target (issue 19): 100M edges <= 60 s.
- ``read binary``: :func:`viralsim.io.read_graph` of the graph saved by
  :meth:`FollowerGraph.save` (validated), and memory-mapped.
- ``read parquet``: :func:`viralsim.read_graph` of the graph written as a Parquet
  edge list by :meth:`FollowerGraph.save` (labels 0..n-1: no relabelling), and of
  the same rows without viralsim's metadata (another tool's file: ids relabelled
  and edges sorted, as from text). Needs pyarrow; skipped without it.
- ``with_probabilities`` / ``reverse_csr``: weighted cascade set on the graph
  (a per-row sort) and the reverse CSR (a counting sort); then the reverse that RIS
  builds under weighted cascade (one probability per row: its rate, and its bytes
  against the per-edge CSR's).
- ``read text``: :func:`viralsim.read_edgelist` of the same edges as a text
  file (``u v`` lines; at most 10M lines, written once per run). Target:
  >= 5M edges/s.

The files go to a temporary folder, removed afterwards.
"""

import os
import tempfile
import time

from . import row, target_note

SUITE = "scale"


def run(ctx):
    import viralsim as vs
    from viralsim.io import read_graph

    n = 100_000 if ctx.quick else 10_000_000
    rows = []
    vs.generators.power_law(1000, 10, rng=0)  # compiled or loaded from the cache first
    t = time.perf_counter()
    g = vs.generators.power_law(n, 10, 2.5, rng=0)
    dt = time.perf_counter() - t
    note = target_note(dt, 60, unit=" s") if n == 10_000_000 else ""
    rows.append(row(SUITE, f"power_law {g.n_edges:,} edges", "time", dt, "s", note))
    rows.append(row(SUITE, f"power_law {g.n_edges:,} edges", "rate", g.n_edges / dt / 1e6,
                    "M edges/s"))
    with tempfile.TemporaryDirectory() as d:
        path = g.save(os.path.join(d, "g.npz"))
        for mm in (False, True):
            t = time.perf_counter()
            h = read_graph(path, mmap=mm)
            dt = time.perf_counter() - t
            rows.append(row(SUITE, f"read binary {h.n_edges:,} edges" + (" (mmap)" if mm else ""),
                            "rate", h.n_edges / dt / 1e6, "M edges/s"))
            del h
        rows += _parquet_rows(ctx, g, d)
        t = time.perf_counter()
        wc = g.with_probabilities("weighted_cascade")
        dt = time.perf_counter() - t
        rows.append(row(SUITE, f"with_probabilities wc {g.n_edges:,} edges", "rate",
                        g.n_edges / dt / 1e6, "M edges/s"))
        t = time.perf_counter()
        wc.reverse_csr()
        dt = time.perf_counter() - t
        rows.append(row(SUITE, f"reverse_csr {g.n_edges:,} edges", "rate",
                        g.n_edges / dt / 1e6, "M edges/s"))
        full = wc.reverse_nbytes
        wc._cache.clear()  # again, as RR sampling builds it: one probability per row
        t = time.perf_counter()
        wc._rr_reverse()
        dt = time.perf_counter() - t
        case = f"reverse for RR sets {g.n_edges:,} edges (one probability a row)"
        rows.append(row(SUITE, case, "rate", g.n_edges / dt / 1e6, "M edges/s"))
        rows.append(row(SUITE, case, "bytes vs per edge", wc.reverse_nbytes / full, "x"))
        del wc
        m = min(g.n_edges, 10_000_000)
        s, t_, _ = g.edges()
        txt = os.path.join(d, "g.txt")
        ctx.log(f"writing {m:,} text lines")
        with open(txt, "w") as fh:
            for a in range(0, m, 1_000_000):
                b = min(a + 1_000_000, m)
                fh.write("\n".join(f"{x} {y}" for x, y in
                                   zip(s[a:b].tolist(), t_[a:b].tolist())) + "\n")
        del s, t_, g
        t = time.perf_counter()
        h = vs.read_edgelist(txt, directed=True)
        dt = time.perf_counter() - t
        rate = h.n_edges / dt / 1e6
        rows.append(row(SUITE, f"read text {h.n_edges:,} edges", "rate", rate, "M edges/s",
                        target_note(rate, 5, at_most=False, unit="M edges/s")))
    return rows


def _parquet_rows(ctx, g, d):
    """Read rates of ``g`` written as a Parquet edge list: viralsim's own file, then the
    same rows as another tool writes them (no metadata)."""
    import viralsim as vs

    try:
        import pyarrow.parquet as pq
    except ImportError:
        ctx.log("pyarrow absent: no Parquet rows (pip install \".[parquet]\")")
        return []
    out = []
    path = g.save(os.path.join(d, "g.parquet"))
    bare = os.path.join(d, "bare.parquet")
    pq.write_table(pq.read_table(path).replace_schema_metadata(None), bare)
    for p, what in ((path, ""), (bare, " (no metadata: relabelled)")):
        t = time.perf_counter()
        h = vs.read_graph(p)
        dt = time.perf_counter() - t
        out.append(row(SUITE, f"read parquet {h.n_edges:,} edges{what}", "rate",
                       h.n_edges / dt / 1e6, "M edges/s"))
        del h
    return out
