"""Numba flags in one place, never changed at run time (so ``cache=True`` stays valid).

``fastmath`` stays off: probability comparisons must be exact.
"""

NJIT = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")
NJIT_PARALLEL = dict(NJIT, parallel=True)
