"""Word-of-mouth kernels (comments, reinforcement, amplification, target segments).

One kernel, :func:`wom_worlds`, runs :class:`viralsim.IC` and
:class:`viralsim.WordOfMouth` on fixed worlds. Everything random in world
``r`` is a pure function of ``(key, r, node)`` or ``(key, r, edge)``:

- **live-edge path** (``per_edge=False``; reinforcement = amplification = 0):
  the edges of commenter ``u`` that fire are IC's live edges, drawn by
  :func:`viralsim._kernels.ic.draw_live` (as in ``expand_node``) from u's
  ``DOMAIN_FORWARD`` stream. With comment probability 1 and no off-target
  thinning the worlds are IC's worlds, bit for bit.
- **per-edge path** (``per_edge=True``): edge ``e`` at position ``i`` of u's
  row (``i = e - indptr[u]``) has its own uniform ``U_e``: the low (even
  ``i``) or high (odd ``i``) 32 bits of the ``(i // 2 + 1)``-th output of
  u's ``DOMAIN_FORWARD`` stream, read at random access (the same coins as
  ``expand_node``'s coin mode). When u comments in round ``t``, a follower
  ``v`` not yet adopted receives its ``j``-th comment and adopts iff
  ``U_e < p_e (1 + beta (j - 1)) (1 + alpha ln(1 + C_{t-1}))`` (a value
  ``>= 1`` always fires), ``C_{t-1}`` being the comments posted in rounds
  ``1 .. t-1``. Comments reach ``v`` in queue order (the order of adoption,
  seeds first in the order given, then each commenter's row in CSR order).
- **comment coins**: an adopter ``v`` that is not a seed comments iff
  ``to_unit(node_state(world_key(key, r, DOMAIN_COMMENT), v)) < c`` (the
  stream's start state itself: one SplitMix64 finaliser of a keyed input)
  (no draw when ``c = 1``; seeds always comment).
- **off-target thinning**: a comment from ``u`` to a follower ``v`` with
  acceptance ``a_v = w_v + gamma (1 - w_v) < 1`` that would persuade
  persuades only if also ``to_unit(node_state(node_state(
  world_key(key, r, DOMAIN_OFFTARGET), u), v)) < a_v`` (keyed by the edge:
  the start state of v's stream under u's, one SplitMix64 finaliser per
  coin, u's part computed once per commenter; no draw when ``a_v = 1``).

Rounds: round 0 is the seeds; in round ``t >= 1`` the commenters among the
adopters of round ``t - 1`` post, and their followers may adopt in round
``t``. With a horizon ``H`` only rounds ``1 .. H`` are played.
"""

import math

import numpy as np
from numba import njit, prange

from .config import NJIT, NJIT_PARALLEL, readonly
from .ic import COIN_MIXED, draw_live_t, keep_fresh, make_room
from .prefetch import BLOCK, copy_block, prefetch, prefetch_rows
from .rng import (
    DOMAIN_COMMENT,
    DOMAIN_FORWARD,
    DOMAIN_OFFTARGET,
    GOLDEN,
    ONE,
    mix64,
    node_state,
    to_unit,
    world_key,
)
from .rr import max_degree
from .timeline import close_round, open_world, record_world, used_columns

TWO32 = 4294967296.0
#: per-edge path: the state of an adopted node (counts up from here, stays < 0)
ADOPTED = np.int32(-2147483647 - 1)
MASK32 = np.uint64(0xFFFFFFFF)
S32 = np.uint64(32)

#: timeline series, in this order, in ``tl_sum[:, k, :]``
SERIES = ("adopters", "comments", "impressions", "exposure")
#: live-edge path, exposure: the ``seen`` mark of the shared viewers (above every world's mark)
SHARED = np.int32(2147483647)
#: live-edge path, exposure: a commenter's followers outside the shared set are copied
#: to the round's viewer buffer in fixed chunks of this many (no branch on the row's length)
VIEW_CHUNK = BLOCK
#: the viewer buffer holds this many followers plus the longest row (it is marked seen
#: when the next row might not fit, and at the end of every round): small enough to stay
#: in the first-level cache (tests set it to 0 to mark after nearly every commenter)
FLUSH_AT = 1024
#: live-edge path, exposure: coin rows get residual lists too (:func:`residual_lists`)
#: when all the lists hold at most this many followers (1 MiB of int32); beyond, reading
#: them costs more memory traffic than marking the followers in the pass that tosses the
#: row's coins, which reads the row anyway (BA n=100k, p = 0.1: 11% slower with lists).
#: Coin rows with mixed probabilities compared with integer thresholds
#: (:func:`viralsim._kernels.ic.coin_thresholds`) never get lists: marked in that pass they
#: cost no more and need no list (BA n=10k, weighted cascade, under load: exposure 1.17x
#: reach-only against 1.18-1.25x with lists; choosing per row, lists for rows with few
#: followers outside the shared set, gave 1.33x: the branch is unpredictable)
COIN_LISTS_MAX = 1 << 18
#: with integer thresholds, coin rows of mixed probabilities get residual lists too
#: (:func:`shared_viewer_data`'s mode 3) when those lists hold at most this share of the
#: rows' followers (the seeds' followers cover most of them), else they are marked in
#: the pass that tosses their coins. Measured (one thread, weighted cascade, 50 most-followed
#: seeds, exposure cost fused / listed): wiki-Vote, 1.6% of the followers left in the lists,
#: 1.144 / 1.055 (lists 8% faster); NetHEPT, 72%, 1.155 / 1.136; BA n=10k, 40%, 1.165 / 1.179
MIXED_LISTS_MAX_SHARE = 0.25
#: whether :func:`wom_worlds` counts the shared viewers once per call (tests switch it
#: off to compare with a scan of every commenter's row in every world)
SHARE_VIEWERS = True


@njit(**NJIT)
def shared_viewers(indptr, indices, seeds):
    """The viewers every world shares: the seeds and their followers.

    Seeds always comment, in round 1 of every world (under word of mouth too:
    only non-seed adopters toss a comment coin), so these people see the
    product in every world, whatever the edges. Returns ``(flag, nodes)``:
    uint8 (n,) membership, and the members (int32, seeds first in the order
    given, then their followers in CSR order, each once).
    """
    n = indptr.shape[0] - 1
    flag = np.zeros(n, dtype=np.uint8)
    size = seeds.shape[0]
    for s in seeds:
        size += indptr[s + 1] - indptr[s]
    nodes = np.empty(min(n, size), dtype=np.int32)
    k = 0
    for s in seeds:
        if flag[s] == 0:
            flag[s] = 1
            nodes[k] = s
            k += 1
    for s in seeds:
        for e in range(indptr[s], indptr[s + 1]):
            v = indices[e]
            if flag[v] == 0:
                flag[v] = 1
                nodes[k] = v
                k += 1
    return flag, nodes[:k].copy()


@njit(inline="always", **NJIT)
def _coin_row_fused(z, fuse_mixed):
    """Whether a coin row (``z = none_live[u] < 0``) is always marked seen in the pass
    that tosses its coins (:func:`_see_coin_row`), never from a residual list: with
    ``fuse_mixed``, the rows of mixed probabilities all above 0 (compared with integer
    thresholds)."""
    return fuse_mixed and z == COIN_MIXED


@njit(**NJIT)
def residual_lists(indptr, indices, flag, none_live, max_entries, fuse_mixed):
    """Per node, its followers outside the shared set (``flag[v] == 0``), in CSR order:
    for every row when all the lists hold at most ``max_entries`` followers, else for
    skip and binomial rows only (``none_live[u] >= 0``; a coin row's list is then
    empty, and the kernel marks its followers in the pass that tosses the row's coins:
    :func:`_see_coin_row`). With ``fuse_mixed`` the coin rows of mixed probabilities
    all above 0 (:data:`~viralsim._kernels.ic.COIN_MIXED`) have no list either way.

    Returns ``(rptr, rlist, every_row)``: node u's list is ``rlist[rptr[u] : rptr[u +
    1]]``; ``rlist`` ends with :data:`VIEW_CHUNK` entries of padding (node 0), so a
    fixed chunk copied from any list's start stays inside the array; ``every_row``:
    whether coin rows have lists.
    """
    n = indptr.shape[0] - 1
    count = np.zeros(n, dtype=np.int64)
    for u in range(n):
        if _coin_row_fused(none_live[u], fuse_mixed):
            continue
        c = 0
        for e in range(indptr[u], indptr[u + 1]):
            c += flag[indices[e]] == 0
        count[u] = c
    every_row = bool(count.sum() <= max_entries)
    rptr = np.zeros(n + 1, dtype=np.int64)
    for u in range(n):
        rptr[u + 1] = rptr[u] + (count[u] if every_row or none_live[u] >= 0.0 else 0)
    rlist = np.zeros(rptr[n] + VIEW_CHUNK, dtype=np.int32)
    k = 0
    for u in range(n):
        if (every_row or none_live[u] >= 0.0) and count[u] > 0:
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                if flag[v] == 0:
                    rlist[k] = v
                    k += 1
    return rptr, rlist, every_row


def shared_viewer_data(indptr, indices, none_live, seeds, n_worlds, share=True,
                       fuse_mixed=False):
    """``(mode, shared nodes, rptr, rlist)`` for the live-edge kernel's exposure count.

    ``mode``: 0, every commenter's row scanned in the graph (the reference path);
    1, shared viewers, lists for skip and binomial rows; 2, shared viewers, lists for
    every row (but, with ``fuse_mixed``, the coin rows of mixed probabilities: the
    kernel is given the graph's integer thresholds, see :func:`residual_lists`); 3
    (with ``fuse_mixed`` only), shared viewers, lists for every row, the mixed coin
    rows' too, chosen when those lists hold at most :data:`MIXED_LISTS_MAX_SHARE` of
    the mixed rows' followers.

    The shared viewers (:func:`shared_viewers`) are counted once per call and
    each later commenter reads its followers outside them (:func:`residual_lists`;
    coin rows too while the lists stay within :data:`COIN_LISTS_MAX` entries). The
    lists cost a pass over the edges, so they
    are built only when ``n_worlds`` worlds would scan the seeds' rows at least as
    many times as there are edges; else (or with ``share=False``) ``mode`` is 0:
    every commenter's row is scanned in the graph (the reference path).
    """
    m = indices.shape[0]
    seed_edges = int(sum(int(indptr[s + 1] - indptr[s]) for s in seeds)) + len(seeds)
    if not share or not (m and n_worlds * seed_edges >= m):
        return 0, readonly(seeds[:0]), indptr, indices
    flag, nodes = shared_viewers(indptr, indices, seeds)
    mode = 0
    if fuse_mixed:  # lists for the mixed rows too where they leave few followers to read
        rptr, rlist, every_row = residual_lists(indptr, indices, flag, readonly(none_live),
                                                np.int64(COIN_LISTS_MAX), False)
        mixed = np.asarray(none_live) == COIN_MIXED
        edges = int(np.diff(indptr)[mixed].sum())
        if every_row and int(np.diff(rptr)[mixed].sum()) <= MIXED_LISTS_MAX_SHARE * edges:
            mode = 3
    if not mode:
        rptr, rlist, every_row = residual_lists(indptr, indices, flag, readonly(none_live),
                                                np.int64(COIN_LISTS_MAX), bool(fuse_mixed))
        mode = 2 if every_row else 1
    # read-only, as the arrays passed in their place without sharing: one compiled kernel
    return mode, readonly(nodes), readonly(rptr), readonly(rlist)


@njit(inline="always", **NJIT)
def _see(seen, v, mark, expo):
    """Mark viewer ``v`` seen in this world; returns ``expo`` plus 1 if v is new
    (``seen[v] < mark``; shared viewers hold :data:`SHARED`). Branch-free: who
    is new is unpredictable."""
    sv = seen[v]
    seen[v] = sv if sv > mark else mark
    return expo + (sv < mark)


@njit(inline="always", **NJIT)
def _gather_row(rlist, r0, r1, buf, nb):
    """Append ``rlist[r0:r1]`` to ``buf[nb:]``, returning the new length: whole chunks
    of :data:`VIEW_CHUNK` (at least one; the copy past ``r1`` is overwritten by the
    next row), so no branch depends on the row's length below a chunk. ``buf``
    needs ``VIEW_CHUNK - 1`` entries of room past the new length."""
    d = r1 - r0
    src = np.uint64(r0)
    dst = np.uint64(nb)
    c = np.uint64(0)
    while True:  # one chunk is one block move (a loop of element copies stays scalar)
        copy_block(buf, dst + c, rlist, src + c)
        c += np.uint64(VIEW_CHUNK)
        if c >= np.uint64(d):
            break
    return nb + d


@njit(inline="always", **NJIT)
def _see_buffer(seen, buf, nb, mark, expo):
    """Mark the viewers ``buf[:nb]`` seen, returning ``expo`` plus the new ones.

    They are followers outside the shared set (never :data:`SHARED`), so the
    mark is stored unconditionally; a viewer listed twice counts once."""
    for i in range(nb):
        v = np.uint64(buf[np.uint64(i)])
        sv = seen[v]
        seen[v] = mark
        expo += sv != mark
    return expo


@njit(inline="always", **NJIT)
def _see_coin_row(indices, probs, thresholds, seen, mark, queue, k, expo, start, end, st, z0):
    """Live-edge path, exposure: a comment over a coin row without a residual list
    (``none_live[u] < 0``,
    :func:`viralsim._kernels.ic.row_kind`) in one pass: each follower is
    marked seen (:func:`_see`) and appended to ``queue[k:]`` if its edge is
    live. Returns ``(k, exposure)``.

    The coins are :func:`viralsim._kernels.ic.draw_live`'s for a coin row
    from the commenter's stream state ``st``: edge ``2i`` (``2i + 1``) of the
    row is live iff the low (high) 32 bits ``x32`` of ``mix64(st + (i + 1)
    GOLDEN)`` satisfy ``x32 < p 2**32`` (compared in float64, exact); a row of
    one probability p (``z0 = none_live[u] = -2 - ceil(p 2**32)``) compares
    integers, ``x32 < ceil(p 2**32)``, as draw_live does: the same test; so does a
    row of mixed probabilities all above 0 (``z0 =`` :data:`~viralsim._kernels.ic.COIN_MIXED`)
    when the graph has ``thresholds`` (:func:`viralsim._kernels.ic.coin_thresholds`,
    ``x32 <= ceil(p_e 2**32) - 1``). So the live edges are draw_live's, bit for bit, and
    the row is read once.
    """
    if z0 <= -2.0:  # one probability on the row: draw_live's integer test, x32 < t
        return _see_coins(indices, probs, seen, mark, queue, k, expo, start, end, st,
                          _UNIFORM, np.uint64(-2.0 - z0))
    if z0 == COIN_MIXED and thresholds.shape[0] > 0:  # per edge, x32 <= t_e - 1
        return _see_coins(indices, thresholds, seen, mark, queue, k, expo, start, end, st,
                          _PER_EDGE, ONE)
    return _see_coins(indices, probs, seen, mark, queue, k, expo, start, end, st, _FLOAT, ONE)


#: :func:`_see_coins`' comparisons: one integer threshold for the row, one per edge,
#: or the edge's probability in float64
_UNIFORM, _PER_EDGE, _FLOAT = 0, 1, 2


@njit(inline="always", **NJIT)
def _see_coins(indices, probs, seen, mark, queue, k, expo, start, end, st, test, t):
    """:func:`_see_coin_row`'s pass, ``test`` (:data:`_UNIFORM`: integer test against
    ``t``; :data:`_PER_EDGE`: ``probs`` holds the edges' integer thresholds; else the
    float test against the edge's probability) a constant at each call site, so the
    unused tests compile away."""
    d = end - start
    su = np.uint64(start)
    for i in range(d >> 1):
        x = mix64(st + np.uint64(i + 1) * GOLDEN)
        e = su + np.uint64(2 * i)
        k, expo = _see_live(indices, probs, seen, mark, queue, k, expo, e, x & MASK32, test, t)
        k, expo = _see_live(indices, probs, seen, mark, queue, k, expo, e + ONE, x >> S32,
                            test, t)
    if d & 1:
        x = mix64(st + np.uint64((d >> 1) + 1) * GOLDEN)
        k, expo = _see_live(indices, probs, seen, mark, queue, k, expo, np.uint64(end - 1),
                            x & MASK32, test, t)
    return k, expo


@njit(inline="always", **NJIT)
def _see_live(indices, probs, seen, mark, queue, k, expo, e, x32, test, t):
    """:func:`_see_coin_row`'s step at edge ``e`` with coin ``x32``: its follower is
    marked seen and appended to ``queue[k:]``, kept iff the edge is live. Returns
    ``(k, exposure)``."""
    v = indices[e]
    expo = _see(seen, np.uint64(v), mark, expo)
    queue[np.uint64(k)] = v
    if test == _UNIFORM:
        return k + (x32 < t), expo
    if test == _PER_EDGE:
        return k + (x32 <= probs[e]), expo
    return k + (np.float64(np.int64(x32)) < np.float64(probs[e]) * TWO32), expo


@njit(inline="always", **NJIT)
def _accept(tu, v, a):
    """Off-target thinning coin of the edge ``u -> v`` (``tu = node_state(tkey, u)``):
    True with probability ``a``."""
    return a >= 1.0 or to_unit(node_state(tu, v)) < a


@njit(inline="always", **NJIT)
def _view(indices, probs, state, queue, touched, tail, expo, e, x32, amp32, mult, dummy, valid,
          use_thin, thin, tu):
    """Per-edge path: the comment of u over edge e (coin ``x32``); returns (tail, exposure).

    ``state[v]`` is the number ``j`` of comments v has received in this world
    (0: none), or negative once v has adopted (:data:`ADOPTED`, then counting
    up, never reaching 0). The threshold is ``p_e * amp * 2**32 * (1 + beta j)``
    with ``amp32 = amp * 2**32`` (a power-of-two scale: exact); ``beta = 0``
    multiplies by exactly 1. Branch-free: whether the follower has adopted or
    seen a comment before is unpredictable, so it selects, not branches.
    ``valid = False`` (the masked odd slot) views the ``dummy`` node instead,
    which is always adopted. Fresh viewers are listed in ``touched`` (for the
    reset at the end of the world).

    ``use_thin`` (a constant at each call site, so the unused part compiles
    away): off-target thinning, the edge's acceptance coin (``tu =
    node_state(tkey, u)``) drawn for every view and and-ed in rather than
    branched on: whether a view persuades is unpredictable, and a mispredicted
    branch costs more than the mix (BA WC, off-target factor 0.3: 8.1 -> 4.4 ns
    per impression). ``thin`` has an entry for the dummy node (1).
    """
    v = np.uint64(indices[np.uint64(e)])  # unsigned indices: no wraparound code
    v = v if valid else dummy
    j = state[v]
    # mult[j] = 1 + beta j; an adopted node (j < 0) reads the last entry, -1:
    # a threshold <= 0 that no coin is below
    m = mult[min(np.uint64(np.uint32(j)), np.uint64(mult.shape[0] - 1))]
    thr = (np.float64(probs[np.uint64(e)]) * amp32) * m
    fire = np.float64(np.int64(x32)) < thr
    if use_thin:  # to_unit(.) < 1 <= a when a >= 1: then always accepted
        fire = fire & (to_unit(node_state(tu, v)) < thin[v])
    state[v] = ADOPTED if fire else j + np.int32(1)
    queue[np.uint64(tail)] = v
    touched[np.uint64(expo)] = v
    return tail + fire, expo + (j == 0)


@njit(inline="always", **NJIT)
def _comment_row(indices, probs, state, queue, touched, tail, expo, start, end, st0, amp32,
                 mult, dummy, use_thin, thin, tu):
    """The views of one comment over u's row ``start .. end`` (u's stream state
    ``st0``): two edges per 64 random bits, the odd last edge masked rather
    than branched on. Called with ``use_thin`` a constant: one loop per case
    (with the off-target test inside one loop, LLVM kept it and the spills
    around it in the plain case)."""
    d = end - start
    for i in range(d >> 1):
        x = mix64(st0 + np.uint64(i + 1) * GOLDEN)
        e = start + 2 * i
        tail, expo = _view(indices, probs, state, queue, touched, tail, expo, e, x & MASK32,
                           amp32, mult, dummy, True, use_thin, thin, tu)
        tail, expo = _view(indices, probs, state, queue, touched, tail, expo, e + 1, x >> S32,
                           amp32, mult, dummy, True, use_thin, thin, tu)
    if d > 0:
        x = mix64(st0 + np.uint64((d >> 1) + 1) * GOLDEN)
        tail, expo = _view(indices, probs, state, queue, touched, tail, expo, end - 1,
                           x & MASK32, amp32, mult, dummy, (d & 1) == 1, use_thin, thin, tu)
    return tail, expo


@njit(inline="always", **NJIT)
def wom_one_world(indptr, indices, probs, none_live, thresholds, seeds, key, world, max_rounds,
                  c, alpha, per_edge, thin, has_thin, segw, has_seg, track_exposure, mult, stamp,
                  seen, state, touched, mark, queue, com, bucket, lq_cache, flags, viewers):
    """One cascade in world ``world``.

    ``thresholds``: :func:`viralsim._kernels.ic.coin_thresholds` of the graph (or
    :data:`~viralsim._kernels.ic.NO_THRESHOLDS`: the same live edges, compared in float64).

    ``viewers = (mode, n_shared, rptr, rlist)`` (``mode``: :func:`shared_viewer_data`'s;
    ``share`` below means ``mode > 0``) (one argument: past 30
    arguments CPython passes a call's arguments as ``*args``, which Numba
    cannot inline).

    Exposure on the live-edge path (``track_exposure``) with ``share``
    counts the shared viewers once per call (:func:`shared_viewers`): ``seen`` holds
    :data:`SHARED` at the seeds and their followers (``n_shared`` of them; set
    by the caller, never overwritten), and ``seen[v] == mark`` for v seen in
    this world; marks grow from world to world, so ``seen[v] < mark`` means
    "not seen yet". The seeds' round adds ``n_shared - len(seeds)`` viewers
    without a scan (seeds always comment, in round 1 and only then); a later
    commenter ``u`` with a residual list draws its live edges as without exposure
    and copies its followers outside the shared set, ``rlist[rptr[u] : rptr[u + 1]]``
    (:func:`residual_lists`), to the viewer buffer ``touched`` in fixed chunks
    (:func:`_gather_row`), which is marked in one loop (:func:`_see_buffer`)
    when the next list might not fit and at the end of the round: one
    mispredicted loop exit per buffer rather than per commenter. ``touched``
    then needs at least ``max degree + VIEW_CHUNK`` entries. Without
    ``share`` (the reference path) every commenter's row is scanned in the
    graph, the seeds' too, with no ``SHARED`` mark (``rptr, rlist`` unused). A
    coin row without a list (always on the reference path) marks its followers
    seen while tossing the row's coins, in one pass (:func:`_see_coin_row`),
    shared viewers reading as seen.

    Returns ``(adopters, exposure, comments, impressions, segment_reach, used)``;
    per-round totals of the :data:`SERIES` go to ``bucket[k, :used]`` (the
    last column collects its round and every later one; entries past
    ``used`` are stale).
    """
    mode, n_shared, rptr, rlist = viewers
    share = mode > 0  # shared viewers (else the reference path)
    coin_lists = mode > 1  # coin rows have residual lists too
    # but not coin rows of mixed probabilities compared with thresholds, unless mode 3
    fuse_mixed = thresholds.shape[0] > 0 and mode == 2
    # what the coins read, prefetched: a coin row of mixed probabilities reads its
    # thresholds, not its probabilities, when the graph has them (chosen once: a branch
    # per commenter made p = 0.1 6% slower)
    coins = thresholds if thresholds.shape[0] > 0 else probs.view(np.uint32)
    wkey = world_key(key, world, DOMAIN_FORWARD)
    ckey = world_key(key, world, DOMAIN_COMMENT)
    tkey = world_key(key, world, DOMAIN_OFFTARGET)
    n_seeds = seeds.shape[0]
    # per-edge path: state[v] counts the comments v has received (see _view);
    # all zero between worlds (the touched nodes are reset at the end), but the
    # dummy node n, viewed by masked slots, which is always adopted
    dummy = np.uint64(indptr.shape[0] - 1)
    if per_edge:
        state[dummy] = ADOPTED
    tail = 0
    expo = 0
    seg = 0.0
    for s in seeds:
        if per_edge:
            state[s] = ADOPTED
            touched[tail] = s
        else:
            stamp[s] = mark
            if track_exposure and not share:  # (with share, seen[s] is SHARED already)
                seen[s] = mark
        queue[tail] = s
        tail += 1
        expo += 1
        if has_seg:
            seg += segw[s]
    open_world(bucket, tail)
    # this round's commenters are lst[ch:ce]: the previous round's adopters
    # (queue) when everyone comments, else those whose comment coin came up,
    # listed in com once per round (seeds always comment)
    lst = queue
    if c < 1.0:
        lst = com
        for i in range(n_seeds):
            com[i] = seeds[i]
    ch = 0
    ce = n_seeds
    head = 0
    rnd = 0
    n_com = 0
    n_imp = 0
    while head < tail and (max_rounds < 0 or rnd < max_rounds):
        round_end = tail
        amp = 1.0
        if alpha != 0.0:
            amp = 1.0 + alpha * math.log1p(np.float64(n_com))
        amp32 = amp * TWO32
        rc = ce - ch
        ri = 0
        expo0 = expo
        k = tail
        nb = 0  # followers in the viewer buffer (touched), not marked yet
        for qi in range(ch, ce):
            prefetch_rows(indptr, lst, qi, ce, indices, coins, coins)  # a hint only
            # the residual list 4 places ahead too (no branch on the row's kind, and no
            # prefetch of rptr: both measured slower); not when the coin rows of mixed
            # probabilities have no lists (weighted cascade: few rows have one)
            if track_exposure and share and rnd > 0 and qi + 4 < ce and not fuse_mixed:
                prefetch(rlist, rptr[np.uint64(lst[np.uint64(qi + 4)])])
            u = np.uint64(lst[np.uint64(qi)])  # unsigned: no wraparound code
            start = indptr[u]
            end = indptr[u + np.uint64(1)]
            ri += end - start
            if per_edge:
                st0 = node_state(wkey, u)
                if has_thin:
                    tail, expo = _comment_row(indices, probs, state, queue, touched, tail, expo,
                                              start, end, st0, amp32, mult, dummy, True, thin,
                                              node_state(tkey, u))
                else:
                    tail, expo = _comment_row(indices, probs, state, queue, touched, tail, expo,
                                              start, end, st0, amp32, mult, dummy, False, thin,
                                              st0)
            else:
                # live followers pile up in queue[tail:k]; who is new is sorted
                # out once per round (keep_fresh keeps first comers, in order)
                tail, k = make_room(queue, tail, k, end - start, stamp, mark)
                k0 = k
                see = track_exposure and (rnd > 0 or not share)  # seeds' viewers: see below
                # a coin row without a residual list (the reference path, or lists too
                # long to build for coin rows): its views and draw_live's coins in one pass
                # (per-call conditions first: without thresholds, as before them)
                fused = see and (not coin_lists or fuse_mixed) and (
                    _coin_row_fused(none_live[u], fuse_mixed) if coin_lists
                    else none_live[u] < 0.0)
                if fused:
                    k, expo = _see_coin_row(indices, probs, thresholds, seen, mark, queue, k,
                                            expo, start, end, node_state(wkey, u), none_live[u])
                else:
                    k = draw_live_t(indptr, indices, probs, u, wkey, queue, k, lq_cache,
                                    none_live, flags, True, thresholds)
                if has_thin:  # off-target followers: keep each live edge with prob. a_v
                    tu = node_state(tkey, u)
                    kk = k0
                    for i in range(k0, k):
                        v = queue[i]
                        if stamp[v] != mark and _accept(tu, v, thin[v]):
                            queue[kk] = v
                            kk += 1
                    k = kk
                if see and not fused:  # (fused: seen above)
                    if not share:  # the reference path: the row in the graph
                        for e in range(start, end):
                            expo = _see(seen, np.uint64(indices[np.uint64(e)]), mark, expo)
                    else:  # read at its live edges only: its list is shorter
                        r0 = rptr[u]
                        r1 = rptr[u + np.uint64(1)]
                        if nb + (r1 - r0) + VIEW_CHUNK > touched.shape[0]:  # full: mark
                            expo = _see_buffer(seen, touched, nb, mark, expo)
                            nb = 0
                        nb = _gather_row(rlist, r0, r1, touched, nb)
        if not per_edge:
            if track_exposure and share:
                expo = _see_buffer(seen, touched, nb, mark, expo)
            tail = keep_fresh(queue, tail, k, stamp, mark)
            if track_exposure and share and rnd == 0:  # the seeds' followers: in every world
                expo += n_shared - n_seeds
        n_com += rc
        n_imp += ri
        if has_seg:
            for qi in range(round_end, tail):
                seg += segw[queue[qi]]
        if c < 1.0:  # the comment coins of the round's adopters (branch-free)
            ch = ce
            for qi in range(round_end, tail):
                v = queue[qi]
                x = node_state(ckey, v)  # one mix: this loop runs once per adopter
                com[ce] = v
                ce += to_unit(x) < c
        else:
            ch = round_end
            ce = tail
        head = round_end
        rnd += 1
        close_round(bucket, rnd, tail - round_end, rc, ri,
                    (expo - expo0) if track_exposure else (tail - round_end))
    if per_edge:  # back to all zero for the next world (the dummy is re-set there)
        if 8 * expo > state.shape[0]:
            state[:] = 0  # a memset: cheaper than scattered stores past n / 8
        else:
            for i in range(expo):
                state[touched[i]] = 0
    if not track_exposure:
        expo = tail
    return tail, expo, n_com, n_imp, seg, used_columns(bucket, rnd)


def wom_worlds(indptr, indices, probs, none_live, thresholds, seeds, key, world_start, n_worlds,
               max_rounds, c, mult, alpha, per_edge, thin, has_thin, segw, has_seg, track_exposure,
               out_reach, out_exposure, out_comments, out_impressions, out_segment,
               tl_sum, tl_sumsq, visits):
    """Run the word-of-mouth cascade in worlds ``world_start .. world_start + n_worlds - 1``.

    Parameters
    ----------
    indptr, indices, probs : CSR arrays (int64, int32, float32), rows sorted by
        non-increasing probability.
    none_live : float64 (n,), :func:`viralsim._kernels.ic.skip_row_none_live`.
    thresholds : uint32 (m,) or (0,), read-only, :func:`viralsim._kernels.ic.coin_thresholds`
        (integer coin tests for coin rows with mixed probabilities; the same live edges).
    seeds : int32 array of distinct node indices.
    key : uint64, the user's randomness key.
    world_start, n_worlds : int64, the world indices to run.
    max_rounds : int64, rounds after seeding; < 0 means unlimited.
    c, alpha : float64, comment probability, amplification.
    mult : float64 array, ``mult[j] = 1 + beta j`` for ``j = 0 .. max in-degree``
        (``beta``: reinforcement), then ``-1`` (read by adopted nodes: nothing
        fires); per-edge path, else unused (may be of size 1).
    per_edge : bool, use the per-edge-uniform world definition (required when
        ``beta`` or ``alpha`` is non-zero; see the module docstring).
    thin, has_thin : float64 array (n + 1,) of per-follower acceptance
        ``w + gamma (1 - w)`` (1 for the dummy node n), and whether to use it
        (else a dummy).
    segw, has_seg : float64 array (n,) of segment weights, and whether to sum
        them over adopters (else ``out_segment`` is 0).
    track_exposure : bool, count distinct viewers; else exposure is reported as
        the number of adopters. On the live-edge path the seeds and their
        followers (seen in every world) are counted once per call
        (:func:`shared_viewer_data`) and only later commenters' followers are
        scanned per world (only those outside the shared set,
        :func:`residual_lists`); :data:`SHARE_VIEWERS` ``= False`` scans every
        commenter's followers (the reference path: the same numbers).
    out_reach, out_exposure, out_comments, out_impressions : int64 (n_worlds,)
    out_segment : float64 (n_worlds,)
    tl_sum, tl_sumsq : int64 (n_chunks, 4, tl_len), per-round totals of the
        :data:`SERIES` and their squares, per chunk.
    visits : int64 (n_chunks,), impressions summed per chunk.

    Notes
    -----
    The squares are exact int64 sums: they overflow past 2**63, e.g. for
    1e5 worlds with 1e7 impressions in one round.

    Chunks of worlds run in parallel, each with scratch allocated once and
    stamped with the local world number. A world's outcome depends only on
    ``(key, world index)``, and the accumulators are integers, so results are
    bit-identical for any thread count. Cost per world: on the live-edge
    path the live out-edges of the commenters, plus with ``track_exposure``
    a scan of the followers of the commenters other than the seeds (only
    those outside the shared viewers); on the
    per-edge path one pass over
    every out-edge of the commenters (exposure comes free), one 64-bit draw
    per two edges to followers who have not adopted.
    """
    seeds = readonly(seeds)  # callers pass both kinds: one compiled kernel
    if per_edge or not track_exposure:
        kernel = _worlds_per_edge if per_edge else _worlds_live
        share, shared, rptr, rlist = 0, seeds[:0], indptr, indices  # unused
    else:
        kernel = _worlds_live
        share, shared, rptr, rlist = shared_viewer_data(indptr, indices, none_live, seeds,
                                                        n_worlds, bool(SHARE_VIEWERS),
                                                        thresholds.shape[0] > 0)
    kernel(indptr, indices, probs, none_live, readonly(thresholds), seeds, key, world_start,
           n_worlds, max_rounds,
           c, mult, alpha, thin, has_thin, segw, has_seg, track_exposure,
           out_reach, out_exposure, out_comments, out_impressions, out_segment,
           tl_sum, tl_sumsq, visits, share, shared, rptr, rlist, np.int64(FLUSH_AT))


def _worlds_kernel(PER_EDGE):
    """:func:`wom_worlds` compiled for one path, ``PER_EDGE`` a constant in it:
    Numba prunes the other path before compiling, so IC (the live-edge path)
    compiles in about 14 s instead of 20 on a fresh cache. (Closure constants
    are part of Numba's cache key: the two kernels cache apart.)"""

    @njit(**NJIT_PARALLEL)
    def worlds(indptr, indices, probs, none_live, thresholds, seeds, key, world_start, n_worlds,
               max_rounds, c, mult, alpha, thin, has_thin, segw, has_seg, track_exposure,
               out_reach, out_exposure, out_comments, out_impressions, out_segment,
               tl_sum, tl_sumsq, visits, share, shared, rptr, rlist, flush_at):
        n = indptr.shape[0] - 1
        n_shared = shared.shape[0]
        n_chunks = tl_sum.shape[0]
        tl_len = tl_sum.shape[2]
        max_deg = max_degree(indptr)
        for ch in prange(n_chunks):
            lo = n_worlds * ch // n_chunks
            hi = n_worlds * (ch + 1) // n_chunks
            stamp = np.zeros(1 if PER_EDGE else n, dtype=np.int32)
            seen = np.zeros(n if track_exposure and not PER_EDGE else 1, dtype=np.int32)
            if track_exposure and share > 0 and not PER_EDGE:
                for v in shared:
                    seen[v] = SHARED
            state = np.zeros(n + 1 if PER_EDGE else 1, dtype=np.int32)  # n: the dummy node
            # per-edge path: the nodes to reset; live-edge path with shared viewers: the
            # viewer buffer (see wom_one_world)
            touched = np.empty(n + 1 if PER_EDGE else (
                flush_at + max_deg + VIEW_CHUNK if track_exposure and share > 0 else 1),
                dtype=np.int32)
            queue = np.empty(n + max_deg, dtype=np.int32)  # room for one row of candidates
            flags = np.empty(max_deg, dtype=np.uint8)
            com = np.empty(n if c < 1.0 else 1, dtype=np.int32)
            bucket = np.zeros((4, tl_len), dtype=np.int64)
            lq_cache = np.array([-1.0, 0.0])
            vis_total = 0
            for w in range(lo, hi):
                mark = np.int32(w - lo + 1)
                res = wom_one_world(
                    indptr, indices, probs, none_live, thresholds, seeds, key, world_start + w,
                    max_rounds, c, alpha, PER_EDGE, thin, has_thin, segw, has_seg, track_exposure,
                    mult, stamp, seen, state, touched, mark, queue, com, bucket, lq_cache, flags,
                    (share, n_shared, rptr, rlist),
                )
                vis_total += record_world(w, ch, res, bucket, out_reach, out_exposure,
                                          out_comments, out_impressions, out_segment, tl_sum,
                                          tl_sumsq)
            visits[ch] = vis_total

    return worlds


_worlds_live = _worlds_kernel(False)
_worlds_per_edge = _worlds_kernel(True)
