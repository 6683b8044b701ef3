"""Numba flags in one place, never changed at run time (so ``cache=True`` stays valid).

``fastmath`` stays off: probability comparisons must be exact.
"""

NJIT = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")
NJIT_PARALLEL = dict(NJIT, parallel=True)


def readonly(a):
    """``a`` as a read-only array: itself when it already is one, else a read-only view
    (no copy).

    Numba compiles a kernel once per combination of argument types, and an array's
    writeable flag is part of its type. The graph's arrays are read-only, arrays made
    for one call are not: the wrappers pass the kernels' input-only arrays through this,
    so each large kernel compiles once (each extra specialization costs tens of
    seconds on a cold cache)."""
    if not a.flags.writeable:
        return a
    v = a.view()
    v.flags.writeable = False
    return v
