"""Benchmark suites for ``python -m viralsim.bench``.

Each suite is a module here with ``run(ctx) -> list[dict]``. A row is one
measurement: ``{"suite", "case", "metric", "value", "unit"}`` plus optional
``"note"`` (peer means and CIs, ratios, definitions). ``ctx`` is a
:class:`BenchContext` (quick flag, data directory, thread counts, a
``log(msg)`` to print progress). A suite checks its own results are right
(a fast wrong kernel must fail: raise ``AssertionError``).
"""

import os
import sys
import time
from dataclasses import dataclass, field


def default_data_dir():
    """``$VIRALSIM_DATA``, else ``../shared/data`` next to the current directory."""
    env = os.environ.get("VIRALSIM_DATA")
    if env:
        return env
    return os.path.join(os.getcwd(), "..", "shared", "data")


@dataclass
class BenchContext:
    quick: bool = True
    data_dir: str = field(default_factory=default_data_dir)
    threads: tuple = (1,)
    log: object = print

    def data_path(self, name):
        """Path of a data file, or None when it is absent (suites then skip that case)."""
        p = os.path.join(self.data_dir, name)
        return p if os.path.exists(p) else None


def row(suite, case, metric, value, unit, note=""):
    return {"suite": suite, "case": case, "metric": metric, "value": value, "unit": unit, "note": note}


def target_note(value, limit, *, at_most=True, unit=""):
    """``"target <= 2.0: met"`` (or ``NOT met``): a printed target always says how it went."""
    met = value <= limit if at_most else value >= limit
    return f"target {'<=' if at_most else '>='} {limit:g}{unit}: {'met' if met else 'NOT met'}"


def _our_dispatchers():
    from numba.core.dispatcher import Dispatcher

    seen = {}
    for name, mod in list(sys.modules.items()):
        if name.startswith("viralsim.") and mod is not None:
            for v in list(vars(mod).values()):
                if isinstance(v, Dispatcher):
                    seen[id(v)] = v
    return list(seen.values())


def first_call(fn):
    """Time ``fn()``, the first call of some kernels, and say what Numba did meanwhile.

    Returns ``(seconds, how)``: ``how`` counts the functions compiled (Numba's
    ``numba:compile`` events) and the signatures loaded from the on-disk cache
    (cache hits of viralsim's dispatchers), so a warm cache is never reported as
    a compile time.
    """
    from numba.core import event

    def hits():
        return sum(sum(d.stats.cache_hits.values()) for d in _our_dispatchers())

    before = hits()
    with event.install_recorder("numba:compile") as rec:
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
    compiled = sum(1 for _, ev in rec.buffer if ev.is_start)
    loaded = hits() - before
    if compiled:
        how = f"compiled {compiled} function(s)" + (f", {loaded} loaded from cache" if loaded else "")
    elif loaded:
        how = f"loaded {loaded} signature(s) from cache, nothing compiled"
    else:
        how = "nothing compiled or loaded (already in memory)"
    return dt, how
