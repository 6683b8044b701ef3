"""Counter-based randomness: everything random in world ``r`` is a pure function
of ``(key, r, node)``.

The mixing function is SplitMix64's finaliser (Steele, Lea & Flood 2014). A
node's stream in a world starts at ``node_state(world_key(key, r), u)`` and
advances by the golden-ratio increment, so no state is shared between worlds
or threads: results do not depend on the thread count or on batching.
"""

import numpy as np
from numba import njit

from .config import NJIT

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
NODE_MULT = np.uint64(0xD1B54A32D192ED03)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)
S30 = np.uint64(30)
S27 = np.uint64(27)
S31 = np.uint64(31)
S11 = np.uint64(11)
ONE = np.uint64(1)
INV53 = 1.0 / 9007199254740992.0  # 2**-53

# domains keep the streams of different uses apart (forward worlds, RR sets, ...)
DOMAIN_FORWARD = np.uint64(0x0F0F0F0F0F0F0F0F)
DOMAIN_REVERSE = np.uint64(0x3C3C3C3C3C3C3C3C)
DOMAIN_COMMENT = np.uint64(0x5A5A5A5A5A5A5A5A)
DOMAIN_THRESHOLD = np.uint64(0x6969696969696969)
DOMAIN_OFFTARGET = np.uint64(0x7878787878787878)  # off-target thinning, keyed by edge
DOMAIN_REVERSE_COMMENT = np.uint64(0x4B4B4B4B4B4B4B4B)  # comment coins of RR sets (word of mouth)


@njit(inline="always", **NJIT)
def mix64(z):
    z = (z ^ (z >> S30)) * M1
    z = (z ^ (z >> S27)) * M2
    return z ^ (z >> S31)


@njit(inline="always", **NJIT)
def world_key(key, r, domain):
    """Key of world ``r`` (uint64) under the user's ``key`` (uint64)."""
    return mix64(key ^ mix64(np.uint64(r) * GOLDEN + domain))


@njit(inline="always", **NJIT)
def node_state(wkey, u):
    """Initial stream state of node ``u`` in the world with key ``wkey``."""
    return mix64(wkey ^ ((np.uint64(u) + ONE) * NODE_MULT))


@njit(inline="always", **NJIT)
def next_u64(state):
    """Advance a stream: returns (new_state, 64 random bits)."""
    state = state + GOLDEN
    return state, mix64(state)


@njit(inline="always", **NJIT)
def to_unit(x):
    """Uniform in [0, 1) from 64 bits (53-bit resolution)."""
    return np.float64(np.int64(x >> S11)) * INV53


@njit(inline="always", **NJIT)
def to_unit_open0(x):
    """Uniform in (0, 1] from 64 bits, safe for log."""
    return (np.float64(np.int64(x >> S11)) + 1.0) * INV53
