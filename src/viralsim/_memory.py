"""Out of memory inside a Numba kernel, raised as a :class:`MemoryError` that names
what to reduce.

A Numba kernel compiled with ``parallel=True`` that fails to allocate does not
raise :class:`MemoryError`: the interpreter sees ``SystemError: CPUDispatcher(...)
returned a result with an exception set``, the MemoryError only its cause. Kernel
calls that can allocate run inside :func:`kernel_memory`, which turns either
form into one ``MemoryError`` whose message says what ran out and what to reduce.
"""

import contextlib

from .exceptions import cause_of

__all__ = ["kernel_memory", "memory_cause"]


def memory_cause(exc):
    """The :class:`MemoryError` ``exc`` is or was raised from (its cause or context
    chain), or None."""
    return cause_of(exc, MemoryError)


def _message(what, reduce, cause):
    detail = str(cause).strip().rstrip(".") if cause is not None else ""
    detail = f" ({detail})" if detail else ""
    return f"Out of memory while {what}{detail}. Reduce {reduce}."


@contextlib.contextmanager
def kernel_memory(what, reduce):
    """Raise a ``MemoryError`` naming ``what`` ran out and what to ``reduce`` when the
    block runs out of memory (a MemoryError, or the SystemError of a parallel
    Numba kernel whose cause is one). Other errors pass unchanged.

    Examples
    --------
    >>> from viralsim._memory import kernel_memory
    >>> try:
    ...     with kernel_memory("simulating worlds", "n_sims"):
    ...         raise SystemError("returned a result with an exception set") from MemoryError(
    ...             "Allocation failed (probably too large).")
    ... except MemoryError as exc:
    ...     print(exc)
    Out of memory while simulating worlds (Allocation failed (probably too large)). Reduce n_sims.
    """
    try:
        yield
    except MemoryError as exc:
        raise MemoryError(_message(what, reduce, exc)) from None
    except SystemError as exc:
        cause = memory_cause(exc)
        if cause is None:
            raise
        raise MemoryError(_message(what, reduce, cause)) from None
