"""Benchmark suites for ``python -m viralsim.bench``.

Each suite is a module here with ``run(ctx) -> list[dict]``. A row is one
measurement: ``{"suite", "case", "metric", "value", "unit"}`` plus optional
``"note"`` (peer means and CIs, ratios, definitions). ``ctx`` is a
:class:`BenchContext` (quick flag, data directory, thread counts, a
``log(msg)`` to print progress). A suite checks its own results are right
(a fast wrong kernel must fail: raise ``AssertionError``).
"""

import os
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
