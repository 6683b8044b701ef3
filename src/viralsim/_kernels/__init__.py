"""Numba kernels: arrays and scalars in, arrays out.

No validation, no Python objects, no global RNG. Every kernel documents its
preconditions; the public wrappers in :mod:`viralsim` establish them.
"""
