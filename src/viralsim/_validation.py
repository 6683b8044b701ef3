"""Parameter checks shared by the public functions (one error template for all).

The template follows scikit-learn: "The 'p' parameter of estimate_reach must be
a float in [0, 1]. Got 1.5 instead."
"""

import math
import numbers

import numpy as np

__all__ = [
    "param_error",
    "check_probability",
    "check_int",
    "check_float",
    "check_rng",
    "seed_from_rng",
    "shown",
]

SHOWN_CHARS = 80  # a value quoted in a message: at most this many characters


def shown(value, limit=SHOWN_CHARS):
    """``repr(value)`` as a message quotes it: one line, numpy scalars as plain
    numbers (``28``, not ``np.int64(28)``), arrays by shape and a few values,
    at most ``limit`` characters.

    Examples
    --------
    >>> import numpy as np
    >>> from viralsim._validation import shown
    >>> shown(np.int64(28)), shown(np.float64(0.5)), shown("x" * 100, limit=12)
    ('28', '0.5', "'xxxxxxxx...")
    >>> shown(np.zeros((2, 2))), shown([np.int64(3), "a"])
    ('array of shape (2, 2) [0.0, 0.0, 0.0, 0.0]', "[3, 'a']")
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        head = value.ravel()[:6].tolist()
        more = ", ..." if value.size > 6 else ""
        text = f"array of shape {value.shape} [{', '.join(map(repr, head))}{more}]"
    elif type(value) in (list, tuple) and len(value) <= 2 * limit:
        inner = ", ".join(shown(v, limit) for v in value)
        text = (f"[{inner}]" if isinstance(value, list)
                else f"({inner}{',' if len(value) == 1 else ''})")
    else:
        try:
            text = repr(value)
        except Exception:  # a value whose repr fails is still named
            text = f"<{type(value).__name__}>"
    if "\n" in text or "\r" in text:
        text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def param_error(name, func, expected, value, fix=None, exc=ValueError):
    msg = f"The {name!r} parameter of {func} must be {expected}. Got {shown(value)} instead."
    if fix:
        msg += f" {fix}"
    return exc(msg)


def check_probability(value, name, func):
    """Return ``value`` as a float in [0, 1] or raise a clear error."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise param_error(name, func, "a float in [0, 1]", value, exc=TypeError)
    v = float(value)
    if math.isnan(v) or not 0.0 <= v <= 1.0:
        raise param_error(name, func, "a float in [0, 1]", value)
    return v


def check_float(value, name, func, *, low=None, high=None, low_open=False, high_open=False,
                allow_none=False):
    """Return ``value`` as a finite float within the bounds or raise."""
    if value is None and allow_none:
        return None
    expected = "a finite float" + _bounds_words(low, high, low_open, high_open)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise param_error(name, func, expected, value, exc=TypeError)
    v = float(value)
    if not math.isfinite(v) or _outside(v, low, high, low_open, high_open):
        raise param_error(name, func, expected, value)
    return v


def _bounds_words(low, high, low_open, high_open):
    """`` >= 0 and < 1``: the bounds as :func:`check_float`'s message states them."""
    bounds = []
    if low is not None:
        bounds.append(("> " if low_open else ">= ") + f"{low}")
    if high is not None:
        bounds.append(("< " if high_open else "<= ") + f"{high}")
    return (" " + " and ".join(bounds)) if bounds else ""


def _outside(v, low, high, low_open, high_open):
    """Whether ``v`` breaks a bound (None: no bound on that side)."""
    return ((low is not None and (v <= low if low_open else v < low))
            or (high is not None and (v >= high if high_open else v > high)))


def check_int(value, name, func, *, low=None, high=None, allow_none=False):
    """Return ``value`` as an int within [low, high] or raise."""
    if value is None and allow_none:
        return None
    expected = "an int" + (f" >= {low}" if low is not None else "")
    if high is not None:
        expected += f" and <= {high}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise param_error(name, func, expected, value, exc=TypeError)
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        raise param_error(name, func, expected, value)
    return v


def check_rng(rng):
    """SPEC 7: anything :func:`numpy.random.default_rng` accepts."""
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"The 'rng' parameter must be None, an int >= 0, a numpy Generator, "
            f"BitGenerator or SeedSequence. Got {shown(rng)} instead."
        ) from exc


def seed_from_rng(rng):
    """The 64-bit key that defines the worlds, drawn once from a Generator.

    ``rng=0`` always gives the same key, hence the same worlds.
    """
    return int(check_rng(rng).integers(0, 2**63 - 1, dtype=np.int64))
