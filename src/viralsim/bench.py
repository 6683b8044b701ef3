"""``python -m viralsim.bench``: throughput and scaling suites, peers side by side.

Usage::

    python -m viralsim.bench --quick              # every suite, small sizes (< 60 s here)
    python -m viralsim.bench                      # full sizes
    python -m viralsim.bench --suite kernel --json bench.json

Peers (cynetdiff, ndlib, pynetim) run in the same process when importable
(``pip install "viralsim[peers]"``), on the same graph, seeds and
probabilities, and are reported as ratios.
"""

import argparse
import importlib
import json
import os
import platform
import sys
import time

from ._bench import BenchContext, default_data_dir

SUITES = ("kernel", "models", "strategies", "distributed")
PEERS = ("cynetdiff", "ndlib", "pynetim")


def _version(dist):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def machine_facts(ctx):
    """What the header prints, as a dict (also written to ``--json``)."""
    import numba

    import viralsim

    data = os.path.abspath(ctx.data_dir)
    return {
        "viralsim": viralsim.__version__,
        "machine": platform.processor() or platform.machine(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "numba": numba.__version__,
        "numba_threads": list(ctx.threads),
        "data_dir": data,
        "data_present": os.path.isdir(data),
        "peers": {p: _version(p) for p in PEERS},
    }


def header(facts, quick):
    data = facts["data_dir"] + ("" if facts["data_present"] else " (absent: real-graph cases skipped)")
    peers = ", ".join(f"{p} {v or 'absent'}" for p, v in facts["peers"].items())
    return (
        f"viralsim {facts['viralsim']} bench ({'quick' if quick else 'full'}) on {facts['machine']}, "
        f"{facts['cpu_count']} CPUs, Python {facts['python']}, numba {facts['numba']}, "
        f"threads {facts['numba_threads']}, data {data}\npeers: {peers}"
    )


def _fmt(v):
    if isinstance(v, float):
        if v == 0 or 1e-3 <= abs(v) < 1e7:
            return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.0f}"
        return f"{v:.3e}"
    return str(v)


def print_table(rows, out=sys.stdout):
    if not rows:
        return
    cols = ["suite", "case", "metric", "value", "unit", "note"]
    cells = [[_fmt(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(x[i]) for x in cells)) for i, c in enumerate(cols)]
    widths[-1] = len(cols[-1])
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths))
    print(line, file=out)
    print("-" * len(line), file=out)
    for x in cells:
        print("  ".join(c.rjust(w) if i == 3 else c.ljust(w) for i, (c, w) in enumerate(zip(x, widths))).rstrip(), file=out)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m viralsim.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (< 60 s on 2 cores)")
    ap.add_argument("--suite", action="append", choices=SUITES, help="run only these suites")
    ap.add_argument("--json", metavar="PATH", help="also write the rows and the header's machine facts as JSON")
    ap.add_argument("--data", metavar="DIR", default=None, help="real graphs (default: $VIRALSIM_DATA or ../shared/data)")
    args = ap.parse_args(argv)
    if args.json:  # before any suite runs: minutes of work must not end in an unwritable path
        folder = os.path.dirname(os.path.abspath(args.json))
        if os.path.isdir(args.json):
            ap.error(f"argument --json: {args.json!r} is a directory; give a file path such as "
                     f"{os.path.join(args.json, 'bench.json')!r}")
        if not os.path.isdir(folder):
            ap.error(f"argument --json: directory {folder!r} does not exist; create it or choose "
                     "another path")
        if not os.access(folder, os.W_OK):
            ap.error(f"argument --json: directory {folder!r} is not writable; choose another path")

    import numba

    ctx = BenchContext(
        quick=args.quick,
        data_dir=args.data or default_data_dir(),
        threads=tuple(sorted({1, numba.config.NUMBA_NUM_THREADS})),
        log=lambda msg: print(f"  .. {msg}", file=sys.stderr, flush=True),
    )
    facts = machine_facts(ctx)
    print(header(facts, args.quick), flush=True)
    rows = []
    t0 = time.perf_counter()
    for name in args.suite or SUITES:
        try:
            mod = importlib.import_module(f"viralsim._bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("viralsim._bench"):
                print(f"[{name}] suite not available in this version", flush=True)
                continue
            raise
        ts = time.perf_counter()
        suite_rows = mod.run(ctx)
        print(f"\n[{name}] ({time.perf_counter() - ts:.1f} s)")
        print_table(suite_rows)
        rows.extend(suite_rows)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as fh:
            json.dump({"quick": args.quick, **facts, "rows": rows}, fh, indent=1, default=float)
        os.replace(tmp, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
