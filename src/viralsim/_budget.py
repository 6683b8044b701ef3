"""Memory bounds for a run, decided from its arguments before any work (issue 20 #7).

- :func:`world_batch` cuts ``n_sims`` worlds into batches of bounded memory
  (about :data:`WORLD_BYTES` a world), whatever ``n_sims`` is; an explicit
  ``batch_size`` must be an int >= 1 (0 or -1 are refused, not "all at once"
  or a loop that never ends).
- :func:`timeline_length` sizes a per-round timeline by what can happen: a
  cascade that adds no consumer in a round has ended, so it lasts at most as
  many rounds as the graph has consumers, whatever ``max_rounds`` says.
- :func:`require_memory` refuses, with a one-line :class:`MemoryError` naming
  what to reduce, an allocation larger than the memory available.

Batches do not change results: the sums over worlds do not depend on how the
worlds were batched (see :mod:`viralsim.estimate`).
"""

import numbers
import os

__all__ = ["WORLD_BYTES", "BATCH_BYTES", "MAX_SIMS", "check_n_sims", "check_batch_size",
           "world_batch", "timeline_length", "available_memory", "require_memory"]

#: Bytes one simulated world holds while its batch runs (4 int64 metrics, a float
#: segment share and the batch's copy of reach).
WORLD_BYTES = 48
#: Memory of one batch of worlds when no batch size is given (256 MiB: 5.6 million worlds).
BATCH_BYTES = 256 << 20
#: Most worlds one call may ask for: sums of reach over worlds stay exact in int64
#: for graphs of up to 2**23 consumers.
MAX_SIMS = 1 << 40


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_n_sims(n_sims, func="estimate_reach"):
    """``n_sims`` as an int in ``[1, MAX_SIMS]``, or a one-line ValueError/TypeError."""
    if not _is_int(n_sims):
        raise TypeError(f"The 'n_sims' parameter of {func} must be an int >= 1. Got {n_sims!r} "
                        "instead.")
    if not 1 <= n_sims <= MAX_SIMS:
        raise ValueError(f"The 'n_sims' parameter of {func} must be an int in [1, 2**40]. Got "
                         f"{n_sims!r} instead. Use precision= to stop once the estimate is "
                         "precise enough.")
    return int(n_sims)


def check_batch_size(batch_size, func="the serial backend"):
    """``batch_size`` as None or an int >= 1; 0, negatives and non-ints are refused."""
    if batch_size is None:
        return None
    if not _is_int(batch_size) or batch_size < 1:
        raise (TypeError if not _is_int(batch_size) else ValueError)(
            f"The 'batch_size' parameter of {func} must be an int >= 1 (worlds per batch), or "
            f"null for batches of bounded memory. Got {batch_size!r} instead.")
    return int(batch_size)


def world_batch(n_sims, batch_size=None, *, bytes_per_world=WORLD_BYTES, max_bytes=BATCH_BYTES):
    """Worlds per batch: ``batch_size`` when given, else as many as fit in
    ``max_bytes``; never more than ``n_sims``.

    Examples
    --------
    >>> from viralsim._budget import world_batch
    >>> world_batch(10**7)
    5592405
    >>> world_batch(1000), world_batch(10**7, 20_000)
    (1000, 20000)
    """
    n_sims = check_n_sims(n_sims)
    batch_size = check_batch_size(batch_size)
    if batch_size is None:
        batch_size = max(1, int(max_bytes) // max(1, int(bytes_per_world)))
    return min(n_sims, batch_size)


def timeline_length(max_rounds, n_nodes, cap=None):
    """Entries of a per-round timeline (round 0, the seeds, included).

    A cascade lasts at most ``n_nodes`` rounds (one that adds nobody has
    ended), so ``max_rounds`` above that changes nothing; ``cap`` bounds the
    rounds kept when ``max_rounds`` is None (later rounds are summed into the
    last entry by the caller).

    Examples
    --------
    >>> from viralsim._budget import timeline_length
    >>> timeline_length(10**9, 5), timeline_length(None, 10**6, cap=1024)
    (6, 1025)
    """
    rounds = max(int(n_nodes), 1)
    if max_rounds is not None:
        rounds = min(rounds, int(max_rounds))
    elif cap is not None:
        rounds = min(rounds, int(cap))
    return max(rounds + 1, 2)


def available_memory():
    """Bytes of memory available to a new allocation (Linux: ``MemAvailable``; else
    the physical memory), or None when not known."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def _size(n):
    units = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    for unit in units:
        if n < 1024 or unit == units[-1]:
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024


def require_memory(n_bytes, what, reduce, available=None):
    """Raise a one-line MemoryError before any work when ``n_bytes`` cannot fit.

    Examples
    --------
    >>> from viralsim._budget import require_memory
    >>> require_memory(1 << 70, "the timelines", "max_rounds", available=1 << 30)
    Traceback (most recent call last):
    ...
    MemoryError: the timelines need 1,024.0 EiB but 1.0 GiB of memory is available. Reduce max_rounds.
    """
    avail = available_memory() if available is None else available
    if avail is not None and n_bytes > avail:
        raise MemoryError(f"{what} need {_size(n_bytes)} but {_size(avail)} of memory is "
                          f"available. Reduce {reduce}.")
