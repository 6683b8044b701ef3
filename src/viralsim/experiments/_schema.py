"""Config pieces that several experiment schemas share (plain dataclasses).

The experiment modules declare their config schema as plain dataclasses, so
that :mod:`viralsim.app` can register them with Hydra without this package
importing Hydra (or NumPy) itself. ``MISSING`` is OmegaConf's marker of a
value that must be given (``???`` in YAML).
"""

from dataclasses import dataclass

__all__ = ["MISSING", "PlanConf", "CostConf", "AxisConf"]

#: a mandatory value (OmegaConf reads the string ``"???"`` as missing)
MISSING = "???"


@dataclass
class PlanConf:
    """One seed plan: a list of ``seeds``, or a ``strategy`` with ``k`` (or a budget)."""

    name: str | None = None
    seeds: list | None = None
    strategy: str | None = None
    k: int | None = None


@dataclass
class CostConf:
    """Seed costs: ``base + per_follower * followers ** exponent``, or a node attribute."""

    base: float = 1.0
    per_follower: float = 0.0
    exponent: float = 1.0
    attr: str | None = None


@dataclass
class AxisConf:
    """One axis of a sensitivity grid: a dotted config key and its values."""

    key: str | None = None  # a dotted config key, e.g. probabilities.p
    values: list | None = None
