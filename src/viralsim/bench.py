"""``python -m viralsim.bench``: throughput and scaling suites, peers side by side.

Usage::

    python -m viralsim.bench --quick              # every suite, small sizes (< 60 s here)
    python -m viralsim.bench                      # full sizes
    python -m viralsim.bench --suite kernel --json bench.json
    python -m viralsim.bench --suite kernel --compare bench.json   # against an earlier run

Peers (cynetdiff, ndlib, pynetim) run in the same process when importable
(``pip install ".[peers]"``), on the same graph, seeds and
probabilities, and are reported as ratios.
"""

import argparse
import importlib
import json
import math
import os
import platform
import sys
import time

from ._bench import BenchContext, default_data_dir

SUITES = ("kernel", "models", "strategies", "distributed", "learn", "scale", "channels")
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
    from viralsim.results import git_revision

    data = os.path.abspath(ctx.data_dir)
    return {
        "viralsim": viralsim.__version__,
        "git_revision": git_revision(os.path.dirname(os.path.abspath(viralsim.__file__))),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
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


def print_table(rows, out=None):
    out = out or sys.stdout  # the stream of the moment, not of import time
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


# a rate ("1/s") is better higher, a time ("s") lower; other units are shown unjudged
_BETTER_HIGHER = {"1/s": True, "s": False}
_FACTS_COMPARED = ("machine", "cpu_count", "numba_threads", "quick", "numba", "python")


def _read_rows(path):
    """The rows and facts of a ``--json`` file, or a ValueError saying what is wrong."""
    try:
        with open(path) as fh:
            d = json.load(fh)
    except OSError as exc:
        raise ValueError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path!r} is not JSON ({exc.msg}, line {exc.lineno})") from None
    rows = d.get("rows") if isinstance(d, dict) else None
    if not isinstance(rows, list) or not all(
            isinstance(r, dict) and {"suite", "case", "metric", "value"} <= set(r) for r in rows):
        raise ValueError(f"{path!r} is not a bench file: write one with "
                         "python -m viralsim.bench --json PATH")
    return d


def compare_rows(old, new, tolerance=0.10):
    """Rows measured in both runs (same suite, case and metric), each with
    ``old``, ``new``, ``ratio`` (new / old) and ``verdict``: ``"faster"`` or
    ``"slower"`` where a rate or a time moved by more than ``tolerance``, else
    ``""``. Also the keys found only in ``old`` and only in ``new``."""
    def key(r):
        return r["suite"], r["case"], r["metric"]

    before = {key(r): r for r in old}
    out, only_new = [], []
    for r in new:
        o = before.pop(key(r), None)
        if o is None:
            only_new.append(key(r))
            continue
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                   and math.isfinite(v) for v in (o["value"], r["value"])):
            continue
        if o["value"]:
            ratio = r["value"] / o["value"]
        else:
            ratio = 1.0 if r["value"] == 0 else math.inf
        verdict = ""
        higher = _BETTER_HIGHER.get(r.get("unit"))
        if higher is not None and o.get("unit") == r.get("unit") and abs(ratio - 1) > tolerance:
            verdict = "faster" if (ratio > 1) == higher else "slower"
        out.append({"suite": r["suite"], "case": r["case"], "metric": r["metric"],
                    "old": o["value"], "new": r["value"], "unit": r.get("unit", ""),
                    "ratio": ratio, "verdict": verdict})
    return out, list(before), only_new  # what is left of ``before`` was not measured now


def print_comparison(old_facts, new_facts, rows, out=None, tolerance=0.10):
    """The comparison table, after a line naming the earlier run and what differs."""
    out = out or sys.stdout
    suites = {r["suite"] for r in rows}
    compared, only_old, only_new = compare_rows(
        [r for r in old_facts["rows"] if r["suite"] in suites], rows, tolerance)
    what = f"viralsim {old_facts.get('viralsim', '?')}"
    for k in ("git_revision", "date"):
        if old_facts.get(k):
            what += f", {k.replace('_', ' ')} {old_facts[k]}"
    print(f"\n[compare] with {what}", file=out)
    differ = [f"{k} {old_facts.get(k)!r} then, {new_facts.get(k)!r} now"
              for k in _FACTS_COMPARED if old_facts.get(k) != new_facts.get(k)]
    if differ:
        print("  not like for like: " + "; ".join(differ), file=out)
    if not compared:
        print("  no row measured in both runs", file=out)
    else:
        print_table([{"suite": c["suite"], "case": c["case"], "metric": c["metric"],
                      "value": c["ratio"], "unit": "new/old",
                      "note": f"{_fmt(c['old'])} -> {_fmt(c['new'])} {c['unit']}"
                              + (f"; {c['verdict']} (beyond {tolerance:.0%})"
                                 if c["verdict"] else "")}
                     for c in compared], out=out)
    if only_old or only_new:
        print(f"  rows only then: {len(only_old)}; only now: {len(only_new)}", file=out)
    return compared


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m viralsim.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (< 60 s on 2 cores)")
    ap.add_argument("--suite", action="append", choices=SUITES, help="run only these suites")
    ap.add_argument("--json", metavar="PATH", help="also write the rows and the header's machine facts as JSON")
    ap.add_argument("--data", metavar="DIR", default=None, help="real graphs (default: $VIRALSIM_DATA or ../shared/data)")
    ap.add_argument("--compare", metavar="PATH", help="an earlier run's --json file: print each row "
                    "measured in both as new/old, and which rates or times moved by more than 10%%")
    args = ap.parse_args(argv)
    old = None
    if args.compare:  # checked before any suite runs, like --json
        try:
            old = _read_rows(args.compare)
        except ValueError as exc:
            ap.error(f"argument --compare: {exc}")
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
    if old is not None:
        print_comparison(old, {"quick": args.quick, **facts}, rows)
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as fh:
            json.dump({"quick": args.quick, **facts, "rows": rows}, fh, indent=1, default=float)
        os.replace(tmp, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
