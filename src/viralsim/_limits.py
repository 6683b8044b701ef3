"""Bounds on what the arguments of a run may ask for (issue 20 #7).

Memory must not be sized by an argument alone: worlds run in batches of at
most :data:`MAX_WORLDS_PER_BATCH` (about 48 bytes of results per world, so
about 50 MB a batch, whatever ``n_sims`` is), and a timeline never has more
rounds than the graph has consumers (each round of a cascade adds one at
least, so a longer ``max_rounds`` changes nothing). What no run could do is
refused with a one-line error before any work.
"""

from ._validation import check_int

__all__ = ["MAX_WORLDS_PER_BATCH", "MAX_SIMS", "check_run_size", "rounds_that_can_happen",
           "check_batch_size"]

#: Worlds simulated at once by the serial backend (any split gives the same results).
MAX_WORLDS_PER_BATCH = 1 << 20

#: The most worlds one estimate runs: about 1.1e12, 13 days at 10**6 worlds a second.
MAX_SIMS = 1 << 40

#: ``max_rounds`` must fit the kernels' int64 (it is capped at the graph size anyway).
MAX_ROUNDS = (1 << 63) - 1


#: The finest relative precision asked for: finer needs more than MAX_SIMS worlds
#: unless nothing varies (and 1e-300 overflowed the estimate of the worlds needed).
MIN_PRECISION = 1e-9


def check_run_size(n_sims=None, max_rounds=None, max_sims=None, precision=None,
                   func="estimate_reach"):
    """Refuse a number of worlds or rounds no run can do, in one line naming the fix.

    Examples
    --------
    >>> from viralsim._limits import check_run_size
    >>> check_run_size(n_sims=10_000, max_rounds=10**9)
    >>> check_run_size(n_sims=2**63)
    Traceback (most recent call last):
    ...
    ValueError: n_sims=9223372036854775808 is more worlds than one estimate runs (at most 2**40, about 1.1e12); ask for a precision=... (with max_sims) instead.
    """
    for name, value in (("n_sims", n_sims), ("max_sims", max_sims)):
        if value is None:
            continue
        v = check_int(value, name, func, low=1)
        if v > MAX_SIMS:
            raise ValueError(f"{name}={v} is more worlds than one estimate runs (at most 2**40, "
                             "about 1.1e12); ask for a precision=... (with max_sims) instead.")
    if precision is not None and 0 < precision < MIN_PRECISION:
        raise ValueError(f"precision={precision!r} is finer than any run can reach (below "
                         f"{MIN_PRECISION:g} it needs more than 2**40 worlds); give precision >= "
                         f"{MIN_PRECISION:g}, or a fixed n_sims.")
    if max_rounds is not None:
        v = check_int(max_rounds, "max_rounds", func, low=1)
        if v > MAX_ROUNDS:
            raise ValueError(f"max_rounds={v} does not fit a 64-bit integer; leave it unset "
                             "(a cascade ends by itself within as many rounds as consumers).")


def rounds_that_can_happen(max_rounds, n_nodes):
    """``max_rounds`` capped at ``n_nodes``: a cascade on ``n_nodes`` consumers
    cannot last longer (each round adds an adopter or it ends), so the cap
    changes no outcome and sizes the timelines by the graph.

    >>> from viralsim._limits import rounds_that_can_happen
    >>> rounds_that_can_happen(10**9, 5), rounds_that_can_happen(3, 5), rounds_that_can_happen(None, 5)
    (5, 3, None)
    """
    if max_rounds is None:
        return None
    return min(int(max_rounds), max(int(n_nodes), 1))


def check_batch_size(batch_size, where="backend.batch_size"):
    """None (automatic batches) or an int >= 1; anything else is a one-line error.

    >>> from viralsim._limits import check_batch_size
    >>> check_batch_size(None), check_batch_size(64)
    (None, 64)
    >>> check_batch_size(0)
    Traceback (most recent call last):
    ...
    ValueError: backend.batch_size=0: give a number of worlds per batch >= 1, or null for automatic batches.
    """
    if batch_size is None:
        return None
    ok = isinstance(batch_size, int) and not isinstance(batch_size, bool)
    if not ok:
        try:
            import numpy as np

            ok = isinstance(batch_size, np.integer)
        except ImportError:  # pragma: no cover
            ok = False
    if not ok or batch_size < 1:
        raise ValueError(f"{where}={batch_size!r}: give a number of worlds per batch >= 1, "
                         "or null for automatic batches.")
    return int(batch_size)
