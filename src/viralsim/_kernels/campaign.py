"""Campaign kernel: channels draw each world's first adopters, then word of mouth runs.

A campaign is a list of channels (seed lists, influencer posts, ad buys; see
:mod:`viralsim.channels`), flattened here into arrays. In world ``r`` channel
``c`` draws from the key ``ckey = node_state(world_key(key, r,
DOMAIN_CHANNEL), stream[c])``; ``stream[c]`` is the channel's position in the
caller's list of channels (or of candidate units), so adding a channel to a
plan moves no other channel's draws (common random numbers across plans).

- **post** (``kind 0``; seed lists too): each member ``v`` of the channel's
  audience sees it iff ``to_unit(x) < p_see[c]`` and, having seen it, adopts
  iff ``to_unit(mix64(x + GOLDEN)) < p_adopt[c]``, with ``x =
  node_state(ckey, v)``: a pure function of ``(key, r, c, v)``.
- **ad** (``kind 1``): ``imps[c]`` impressions go, one after the other, to a
  member of the segment drawn uniformly among those shown fewer than
  ``cap[c]`` times (a platform's delivery under a frequency cap), and each
  impression persuades with probability ``p_adopt[c]``, so a member shown
  ``m`` times adopts with probability ``1 - (1 - p_adopt[c]) ** m``. The
  draws from ``ckey`` are :func:`viralsim._kernels.ads.ad_draws`'s: a
  pure function of ``(key, r, c)``, the same adopters whether the viewers
  are listed or not.

A consumer adopts if any channel persuades them and has seen the campaign if
any channel showed it. The adopters are then the seeds of the cascade of
:func:`viralsim._kernels.wom.wom_one_world` in world ``r`` (its reference
exposure path, every commenter's row scanned): the same live edges and
comment coins as :func:`viralsim.estimate_reach` meets in world ``r``. The
channels' viewers who did not adopt are marked seen before the cascade, so
exposure counts each person once.
"""

import math

import numpy as np
from numba import njit, prange

from .ads import ADOPTED as AD_ADOPTED
from .ads import ad_draws, place_viewers, unlisted_viewers, viewers_key
from .config import NJIT, NJIT_PARALLEL
from .ic import MASK32, NO_THRESHOLDS, S32, TWO32, draw_live, keep_fresh, make_room
from .prefetch import prefetch, prefetch_rows
from .rng import (
    DOMAIN_COMMENT,
    DOMAIN_FORWARD,
    GOLDEN,
    ONE,
    mix64,
    node_state,
    to_unit,
    world_key,
)
from .rr import max_degree
from .timeline import close_round, record_world, used_columns
from .wom import wom_one_world

DOMAIN_CHANNEL = np.uint64(0x2D2D2D2D2D2D2D2D)

KIND_POST = 0
KIND_AD = 1


LOW32 = np.int64(0xFFFFFFFF)


@njit(inline="always", **NJIT)
def _see_on(pseen, v, lay, mark):
    """Record that ``v`` saw the product on platform ``lay`` in this world.

    ``pseen[v]`` packs ``mark << 32 | bits``: the world's mark (smaller: not
    seen in this world) and one bit per platform it was seen on, so one load
    and one store count both the distinct viewers and each platform's
    (branch-free: who is new is unpredictable). Returns ``(new viewer, new on
    lay)`` as 0/1.
    """
    x = pseen[v]
    cur = (x >> 32) == mark
    bits = x & LOW32 if cur else np.int64(0)
    bit = np.int64(1) << lay
    pseen[v] = (np.int64(mark) << 32) | bits | bit
    return np.int64(1) - np.int64(cur), np.int64((bits & bit) == 0)


@njit(**NJIT)
def draw_channels(key, world, kind, stream, aptr, aidx, p_see, p_adopt, imps, cap,
                  vstamp, astamp, mark, views, touched, adopters, viewers,
                  clayer, pseen, lexpo):
    """World ``world``'s channel outcomes: ``(n_adopters, n_viewers)``, the people in
    ``adopters[:n_adopters]`` and ``viewers[:n_viewers]`` (adopters are viewers too),
    each once, in the order the channels reached them.

    ``vstamp, astamp`` (int32, n) hold ``mark`` for the viewers and adopters of this
    world (and smaller values otherwise); ``views`` (int64, n) must be all zero and is
    left so; ``touched`` (int32, n) is scratch. Per platform (when ``pseen`` is
    not empty): channel ``c`` is on platform ``clayer[c]``, ``pseen`` (int64
    (n,)) records who saw it on which platform (:func:`_see_on`) and
    ``lexpo[l]`` is incremented once per new viewer on ``l``.
    """
    return draw_channels_as(True, key, world, kind, stream, aptr, aidx, p_see, p_adopt, imps,
                            cap, vstamp, astamp, mark, views, touched, adopters, viewers,
                            clayer, pseen, lexpo)


@njit(**NJIT)
def draw_channels_as(track_viewers, key, world, kind, stream, aptr, aidx, p_see, p_adopt, imps,
                     cap, vstamp, astamp, mark, views, touched, adopters, viewers,
                     clayer, pseen, lexpo):
    """:func:`draw_channels`; without ``track_viewers`` the channels' viewers who do
    not adopt are left out of ``viewers`` (the adopters are the same, and an
    ad's cost is then O(adopters) for a cap of 1 or one that does not bind:
    :func:`viralsim._kernels.ads.ad_draws`): for runs that do not count
    exposure."""
    return _draw_channels(track_viewers, views[:0], False, np.full(3 * kind.shape[0], -1.0), key,
                          world, kind, stream, aptr, aidx, p_see, p_adopt, imps, cap, vstamp,
                          astamp, mark, views, touched, adopters, viewers, clayer, pseen, lexpo)


@njit(**NJIT)
def draw_channels_unlisted(track_viewers, unl, has_unl, heads, key, world, kind, stream, aptr,
                           aidx, p_see, p_adopt, imps, cap, vstamp, astamp, mark, views, touched,
                           adopters, viewers, clayer, pseen, lexpo):
    """:func:`_draw_channels` as a function of its own: called from the parallel
    kernel, where inlined code runs about twice slower (the ad's delivery loop
    in a large function)."""
    return _draw_channels(track_viewers, unl, has_unl, heads, key, world, kind, stream, aptr, aidx,
                          p_see, p_adopt, imps, cap, vstamp, astamp, mark, views, touched,
                          adopters, viewers, clayer, pseen, lexpo)


@njit(inline="always", **NJIT)
def _draw_channels(track_viewers, unl, has_unl, heads, key, world, kind, stream, aptr, aidx,
                   p_see, p_adopt, imps, cap, vstamp, astamp, mark, views, touched, adopters,
                   viewers, clayer, pseen, lexpo):
    """:func:`draw_channels_as`; with ``has_unl``, an ad ``c`` with ``unl[c] >= 0``
    (:func:`unlisted_ads`) lists its adopters only, and ``unl[k + c]`` (``k``
    channels) receives how many they are. ``heads[3 c: 3 c + 3]``: ad ``c``'s
    binomial head (:func:`viralsim._kernels.ads.adopters_drawn`; all ``-1``
    before the first world, then kept)."""
    per_layer = pseen.shape[0] > 0
    wk = world_key(key, world, DOMAIN_CHANNEL)
    na = 0
    nv = 0
    k = kind.shape[0]
    for c in range(k):
        ckey = node_state(wk, stream[c])
        a0 = aptr[c]
        m = aptr[c + 1] - a0
        track = track_viewers
        # the channel's people go to touched[:nt], once each, views[v] flagging adopters
        if kind[c] == KIND_POST:
            ps = p_see[c]
            pa = p_adopt[c]
            nt = 0
            for i in range(a0, a0 + m):
                v = aidx[i]
                x = node_state(ckey, v)
                if to_unit(x) < ps:
                    y = views[v]
                    touched[nt] = v
                    nt += y == 0
                    views[v] = y | (AD_ADOPTED if to_unit(mix64(x + GOLDEN)) < pa else 1)
        else:
            if has_unl and unl[c] >= 0:
                track = False
            nt = ad_draws(ckey, aidx, a0, m, imps[c], cap[c], p_adopt[c], track, views,
                          touched, heads[3 * c:3 * c + 3])
            if not track and has_unl and unl[c] >= 0:
                unl[k + c] = nt  # (its adopters only: ad_draws' cap-1 and everyone cases)
        # (written out, not a helper taking the arrays: called per person, it costs 10x more)
        for i in range(nt):
            v = touched[i]
            adopt = (views[v] & AD_ADOPTED) != 0
            views[v] = 0
            if not (adopt or track):
                continue
            if vstamp[v] != mark:
                vstamp[v] = mark
                viewers[nv] = v
                nv += 1
            if adopt and astamp[v] != mark:
                astamp[v] = mark
                adopters[na] = v
                na += 1
            if per_layer:
                lexpo[clayer[c]] += _see_on(pseen, v, clayer[c], mark)[1]
    return na, nv


@njit(**NJIT)
def unlisted_ads(n, kind, aptr, aidx, imps, cap, segments):
    """Which ads leave their viewers unlisted in a run counting exposure on one graph
    by round (:func:`campaign_worlds`): int64 (2 k + 1,), ``k`` channels.

    ``[c]``: ad ``c``'s distinct viewers if it is left unlisted
    (:func:`viralsim._kernels.ads.unlisted_viewers`: a cap of 1 or every
    member at the cap), else -1; ``[k + c]``: room for its adopters in each
    world; ``[2 k]``: the channel whose segment the unlisted segment ads
    share, -1 if none. Unlisted: every such ad shown to everyone (its audience
    all ``n`` consumers), and, when ``segments``, such ads to a segment short
    of everyone whose audience is that of the first of them (one segment per plan: placing
    a segment ad's viewers needs each round's new viewers counted in its
    segment, :func:`segment_rounds`, one count per world; the ads to other
    segments are listed, as before).
    """
    k = kind.shape[0]
    unl = np.full(2 * k + 1, -1, dtype=np.int64)
    seg = -1
    for c in range(k):
        if kind[c] != KIND_AD:
            continue
        a0 = aptr[c]
        m = aptr[c + 1] - a0
        d = unlisted_viewers(m, imps[c], cap[c])
        if d < 0:
            continue
        if m < n:
            if not segments:
                continue
            if seg < 0:
                seg = c
            elif m != aptr[seg + 1] - aptr[seg] or np.any(aidx[a0:a0 + m]
                                                          != aidx[aptr[seg]:aptr[seg + 1]]):
                continue  # another segment: listed
        unl[c] = d
    unl[2 * k] = seg
    return unl


@njit(**NJIT)
def segment_rounds(indptr, indices, lst, bucket, used, seen, mark, inseg, viewers, nv, cells):
    """After world's cascade (:func:`viralsim._kernels.wom.wom_one_world`, the
    reference exposure path: ``seen[v] == mark`` for everyone seen), how many
    of each round's new viewers are segment members (bit ``v & 7`` of
    ``inseg[v >> 3]``):
    ``cells[t]`` for ``t = 1 .. used - 1``. Returns the segment members among the
    ``nv`` listed channel viewers (``viewers[:nv]``).

    Every viewer of round ``t`` follows one of its commenters, ``lst`` in the
    order they commented (the queue of adopters when everyone comments, else
    the list of commenters), ``bucket[1, t]`` of them in round (column)
    ``t``: their rows are scanned again in that order, and a follower still
    marked ``mark`` is new there (then marked ``mark - 1``, as are the channel
    viewers first: smaller than the next worlds' marks). O(impressions). A
    function of its own (not inlined in the parallel kernel, where its loop
    runs several times slower).
    """
    covs = np.int64(0)
    for i in range(nv):
        v = viewers[i]
        seen[v] = mark - 1
        covs += (inseg[v >> 3] >> (v & 7)) & 1
    total = np.int64(0)
    for t in range(1, used):
        total += bucket[1, t]
        cells[t] = 0
    t = 0
    end_t = np.int64(0)  # the first commenter after column t
    cnt = np.int64(0)
    for qi in range(total):
        while qi == end_t:  # the next column with comments
            cells[t] = cnt
            cnt = 0
            t += 1
            end_t += bucket[1, t]
        prefetch_rows(indptr, lst, qi, total, indices, indices, indices)  # a hint only
        u = np.uint64(lst[np.uint64(qi)])
        for e in range(indptr[u], indptr[u + np.uint64(1)]):
            v = np.uint64(indices[np.uint64(e)])
            sv = seen[v]
            new = np.int64(sv == mark)
            cnt += new & np.int64(inseg[v >> np.uint64(3)] >> (v & np.uint64(7)))
            seen[v] = sv - new  # (branch-free: who is new is unpredictable)
    if t > 0:
        cells[t] = cnt
    return covs


@njit(inline="always", **NJIT)
def place_unlisted(unl, key, world, stream, aptr, nv, covs, cells, series, used, lf):
    """The unlisted ads' viewers (:func:`unlisted_ads`) in world ``world``, after its
    cascade: ``nv`` listed channel viewers (adopters among them; ``covs`` of
    them in the unlisted segment, if any), ``series`` its per-round new
    viewers (moved to round 0 where an ad showed it to them first;
    :func:`viralsim._kernels.ads.place_viewers`) and ``cells`` those in the
    segment (:func:`segment_rounds`). The segment's ads are placed first, in
    their order (each needs only counts within the segment), then the ads to
    everyone (only totals). Returns ``(channel viewers, cascade viewers
    moved)``."""
    k = stream.shape[0]
    n = lf.shape[0] - 1
    wk = world_key(key, world, DOMAIN_CHANNEL)
    moved = np.int64(0)
    seg = unl[2 * k]
    for everyone in (False, True):
        if not everyone and seg < 0:
            continue
        for c in range(k):
            d = unl[c]
            if d < 0:
                continue
            m = aptr[c + 1] - aptr[c]
            if (m == n) != everyone:
                continue
            a = unl[k + c]  # its adopters: listed (seen) already, and among its viewers
            s = viewers_key(node_state(wk, stream[c]))
            if everyone:
                new, mv = place_viewers(s, n - a, d - a, nv - a, series, series[:0], used, lf)
            else:
                new, mv = place_viewers(s, m - a, d - a, covs - a, cells, series, used, lf)
                covs += new
            nv += new
            moved += mv
    return nv, moved


@njit(**NJIT)
def channel_scratch(n, max_deg, tl_len, n_layers):
    """One thread's scratch for the campaign kernels, allocated once per chunk of worlds.

    Returns ``(stamp, seen, queue, flags, bucket, lq_cache, vstamp, astamp, views,
    touched, adopters, viewers, pseen)``: adopter and viewer stamps (int32 (n,),
    zero), the cascade queue (int32 (n + max_deg,): a round's live followers pile
    up past its tail), :func:`viralsim._kernels.ic.draw_live`'s flags and cache,
    the per-round totals (int64 (4, tl_len), zero), :func:`draw_channels`'
    buffers (``views`` int64: an ad's views per person, up to its cap), and the
    per-platform viewer marks (:func:`_see_on`; int64 (n,),
    zero, or empty when ``n_layers`` is 0).
    """
    return (np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32),
            np.empty(n + max_deg, dtype=np.int32), np.empty(max_deg + 1, dtype=np.uint8),
            np.zeros((4, tl_len), dtype=np.int64), np.array([-1.0, 0.0]),
            np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32),
            np.zeros(n, dtype=np.int64), np.empty(n, dtype=np.int32),
            np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32),
            np.zeros(n if n_layers > 0 else 0, dtype=np.int64))


@njit(inline="always", **NJIT)
def accumulate_cumulative(cum, ch, bucket, used):
    """Add one world's running totals (reach by round or day, ...) to chunk ``ch``'s sums.

    ``cum = (cum_sum, cum_sq, end_sum, end_sq)``, int64 (n_chunks, 4, tl_len):
    column ``i < used`` of ``cum_*`` gets the world's total of columns ``0 ..
    i`` of ``bucket`` (and its square); a world's total stays the same after its
    last used column, so it is added once, at column ``used`` of ``end_*``: the
    sums by column are ``cum_sum + cumsum(end_sum)`` (cost O(used) per world).
    """
    cum_sum, cum_sq, end_sum, end_sq = cum
    tl_len = bucket.shape[1]
    for k in range(bucket.shape[0]):
        t = np.int64(0)
        for i in range(used):
            t += bucket[k, i]
            cum_sum[ch, k, i] += t
            cum_sq[ch, k, i] += t * t
        if used < tl_len:
            end_sum[ch, k, used] += t
            end_sq[ch, k, used] += t * t


@njit(**NJIT_PARALLEL)
def campaign_worlds(indptr, indices, probs, none_live, key, world_start, n_worlds, max_rounds,
                    c, thin, has_thin, segw, has_seg, track_exposure,
                    kind, stream, aptr, aidx, p_see, p_adopt, imps, cap,
                    out_reach, out_exposure, out_comments, out_impressions, out_segment,
                    out_first, out_seen, tl_sum, tl_sumsq, visits, cum, lf, segments):
    """Run a campaign in worlds ``world_start .. world_start + n_worlds - 1``.

    Graph and model arguments as :func:`viralsim._kernels.wom.wom_worlds` (the
    live-edge path only, exposure tracked); channel arrays as
    :func:`draw_channels` (``aptr, aidx``: each channel's audience as CSR).
    ``out_first`` and ``out_seen`` (int64, n_worlds) receive the channels'
    adopters and viewers per world; ``out_exposure`` counts channel viewers and
    word-of-mouth viewers once each, and its round-0 timeline entry holds the
    channel viewers; ``cum``: running totals by round
    (:func:`accumulate_cumulative`). Counting exposure, an ad shown to everyone
    (and with ``segments``, to one segment) with a cap of 1 or bringing every
    member to its cap lists its adopters only (:func:`unlisted_ads`; ``lf[i] =
    log i!`` for ``i = 0 .. n``, else unused):
    after the cascade, how many of its other viewers the channels or the
    cascade showed it to anyway is drawn from its exact law
    (:func:`place_unlisted`), and those the cascade showed it to count in round
    0 instead of their round. Without ``track_exposure`` nobody's
    viewing is counted (only the adopters are drawn and followed:
    ``out_exposure``, ``out_seen`` and the exposure timeline then hold
    adopters only, and the caller drops them). Chunks of worlds run in parallel; a
    world's outcome depends only on ``(key, world)``.
    """
    n = indptr.shape[0] - 1
    n_chunks = tl_sum.shape[0]
    tl_len = tl_sum.shape[2]
    max_deg = max_degree(indptr)
    mult = np.ones(1)
    clayer = np.zeros(kind.shape[0], dtype=np.int64)
    unl0 = unlisted_ads(n, kind, aptr, aidx, imps, cap, segments)
    has_unl = track_exposure and np.any(unl0[:kind.shape[0]] >= 0)
    seg_c = unl0[2 * kind.shape[0]] if has_unl else -1
    # the unlisted segment, one bit per consumer (small: read once per view)
    inseg = np.zeros((n >> 3) + 1 if seg_c >= 0 else 0, dtype=np.uint8)
    if seg_c >= 0:
        for i in range(aptr[seg_c], aptr[seg_c + 1]):
            v = aidx[i]
            inseg[v >> 3] |= np.uint8(1) << np.uint8(v & 7)
    for ch in prange(n_chunks):
        lo = n_worlds * ch // n_chunks
        hi = n_worlds * (ch + 1) // n_chunks
        (stamp, seen, queue, flags, bucket, lq_cache, vstamp, astamp, views, touched,
         adopters, viewers, pseen) = channel_scratch(n, max_deg, tl_len, 0)
        lexpo = np.zeros(0, dtype=np.int64)
        state = np.zeros(1, dtype=np.int32)
        touched1 = np.empty(1, dtype=np.int32)
        com = np.empty(n if c < 1.0 else 1, dtype=np.int32)
        unl = unl0.copy()
        heads = np.full(3 * kind.shape[0], -1.0)
        cells = np.zeros(tl_len, dtype=np.int64)
        vis_total = 0
        for w in range(lo, hi):
            mark = np.int32(w - lo + 1)
            na, nv = draw_channels_unlisted(track_exposure, unl, has_unl, heads, key,
                                            world_start + w, kind, stream, aptr, aidx, p_see,
                                            p_adopt, imps, cap, vstamp, astamp, mark, views,
                                            touched, adopters, viewers, clayer, pseen, lexpo)
            if track_exposure:
                for i in range(nv):  # channel viewers: seen before any comment
                    seen[viewers[i]] = mark
            else:
                nv = na
            res = wom_one_world(
                indptr, indices, probs, none_live, NO_THRESHOLDS, adopters[:na], key,
                world_start + w, max_rounds, c, 0.0, False, thin, has_thin, segw, has_seg, track_exposure,
                mult, stamp, seen, state, touched1, mark, queue, com, bucket, lq_cache, flags,
                (False, 0, indptr, indices),
            )
            reach, expo, ncom, nimp, seg, used = res
            if has_unl:  # the unlisted ads' viewers: channel viewers, some seen in the cascade
                covs = np.int64(0)
                if seg_c >= 0:  # each round's new viewers in the segment
                    covs = segment_rounds(indptr, indices, queue if c >= 1.0 else com, bucket,
                                          used, seen, mark, inseg, viewers, nv, cells)
                nv, moved = place_unlisted(unl, key, world_start + w, stream, aptr, nv, covs,
                                           cells, bucket[3], used, lf)
                expo -= moved
            extra = nv - na  # viewers who did not adopt (the adopters count in expo already)
            bucket[3, 0] += extra
            vis_total += record_world(w, ch, (reach, expo + extra, ncom, nimp, seg, used), bucket,
                                      out_reach, out_exposure, out_comments, out_impressions,
                                      out_segment, tl_sum, tl_sumsq)
            accumulate_cumulative(cum, ch, bucket, used)
            out_first[w] = na
            out_seen[w] = nv
        visits[ch] = vis_total


# ---------------------------------------------------------------- several platforms
DOMAIN_LAYER = np.uint64(0x1E1E1E1E1E1E1E1E)
DOMAIN_DELAY = np.uint64(0x2B2B2B2B2B2B2B2B)

DELAY_FIXED = 0
DELAY_GEOMETRIC = 1
DELAY_PMF = 2


@njit(inline="always", **NJIT)
def layer_key(key, layer):
    """The key of layer ``layer``'s coins: the user's key itself for layer 0 (so one
    layer is today's model), a keyed mix for the others."""
    if layer == 0:
        return key
    return mix64(key ^ mix64(np.uint64(layer) * GOLDEN + DOMAIN_LAYER))


@njit(**NJIT)
def layers_max_degree(lptr):
    """The largest row of any layer (at least 1)."""
    max_deg = 1
    for lay in range(lptr.shape[0]):
        for u in range(lptr.shape[1] - 1):
            max_deg = max(max_deg, lptr[lay, u + 1] - lptr[lay, u])
    return max_deg


@njit(inline="always", **NJIT)
def open_layered_world(key, world, mark, kind, stream, aptr, aidx, p_see, p_adopt, imps, cap,
                       clayer, vstamp, astamp, views, touched, adopters, viewers, pseen,
                       lcount, lkeys):
    """Start world ``world`` of a multiplex kernel: the channels' draws and the layers' keys.

    The channels and buffers as :func:`draw_channels` (flat arguments: the
    kernels call this inside a parallel loop, which takes arrays and scalars
    only). Resets ``lcount`` (int64 (3, L): per platform exposure, comments,
    impressions), runs :func:`draw_channels` (its viewers counted in
    ``lcount[0]``), and sets ``lkeys`` (uint64 (3, L)) to each layer's
    ``DOMAIN_FORWARD``, ``DOMAIN_COMMENT`` and ``DOMAIN_DELAY`` keys of the
    world (under :func:`layer_key`). Returns ``(n_adopters, n_viewers)``.
    """
    lcount[:, :] = 0
    na, nv = draw_channels(key, world, kind, stream, aptr, aidx, p_see, p_adopt, imps, cap,
                           vstamp, astamp, mark, views, touched, adopters, viewers, clayer,
                           pseen, lcount[0])
    for lay in range(lkeys.shape[1]):
        lk = layer_key(key, lay)
        lkeys[0, lay] = world_key(lk, world, DOMAIN_FORWARD)
        lkeys[1, lay] = world_key(lk, world, DOMAIN_COMMENT)
        lkeys[2, lay] = world_key(lk, world, DOMAIN_DELAY)
    return na, nv


@njit(inline="always", **NJIT)
def close_layered_world(w, ch, reach, expo, seg, used, na, nv, lcount, out_reach,
                        out_exposure, out_comments, out_impressions, out_segment, out_first,
                        out_seen, out_lexpo, out_lcom, out_limp, tl_sum, tl_sumsq, cum,
                        bucket):
    """Store world ``w``'s reach, exposure, segment reach, its channels' ``na``
    adopters and ``nv`` viewers and its per-platform counts ``lcount``
    (:func:`open_layered_world`) in the outputs of :func:`multiplex_worlds`
    (flat, as :func:`open_layered_world`), and add its timeline (``bucket[:,
    :used]``) to chunk ``ch``'s sums. Returns its impressions."""
    n_com = 0
    n_imp = 0
    for lay in range(lcount.shape[1]):
        n_com += lcount[1, lay]
        n_imp += lcount[2, lay]
        out_lexpo[lay, w] = lcount[0, lay]
        out_lcom[lay, w] = lcount[1, lay]
        out_limp[lay, w] = lcount[2, lay]
    vis = record_world(w, ch, (reach, expo, n_com, n_imp, seg, used), bucket, out_reach,
                       out_exposure, out_comments, out_impressions, out_segment, tl_sum,
                       tl_sumsq)
    accumulate_cumulative(cum, ch, bucket, used)
    out_first[w] = na
    out_seen[w] = nv
    return vis


@njit(**NJIT_PARALLEL)
def multiplex_worlds(lptr, lidx, lprobs, lnone, member, cprob, key, world_start,
                     n_worlds, max_rounds, segw, has_seg, plan, outs, lout, tls, visits):
    """A campaign on ``L`` platforms over the same ``n`` consumers, by round.

    Layer ``l``'s CSR is ``lptr[l]`` (int64 (L, n + 1), positions in the
    stacked ``lidx`` and ``lprobs``: row u of layer l is ``lidx[lptr[l, u]:
    lptr[l, u + 1]]``) and its :func:`viralsim._kernels.ic.skip_row_none_live`
    table ``lnone[l]``; ``member`` (uint8 (L, n)) says who is on which
    platform; ``cprob[l]`` is its comment probability.

    ``plan = (kind, stream, aptr, aidx, p_see, p_adopt, imps, cap, clayer)``:
    the channels as :func:`draw_channels`, ``clayer[c]`` channel c's
    platform. ``outs = (reach, exposure, comments, impressions, segment,
    first, seen)`` per world; ``lout = (exposure, comments, impressions)``,
    int64 (L, n_worlds): per platform; ``tls = (tl_sum, tl_sumsq, cum)``.

    World ``r``: the channels draw the first adopters as in
    :func:`campaign_worlds`. A consumer adopts once. In the round after
    adopting, adopter ``u`` comments on each platform ``l`` it is on iff it
    is a first adopter (they always comment) or ``to_unit(node_state(
    world_key(layer_key(key, l), r, DOMAIN_COMMENT), u)) < cprob[l]``; the
    comment is shown to u's followers on ``l`` and persuades along u's live
    edges of ``l`` in world ``world_key(layer_key(key, l), r,
    DOMAIN_FORWARD)`` (:func:`viralsim._kernels.ic.draw_live`). Layer 0's
    coins are those of :func:`viralsim._kernels.wom.wom_worlds`, so one layer
    is today's model, world by world. Comments and impressions count posts
    per platform; exposure counts distinct people (in total, and per
    platform: the people shown it on that platform, by a channel or a
    comment).
    """
    # (tuples unpacked out of the parallel loop: its body takes arrays and scalars)
    kind, stream, aptr, aidx, p_see, p_adopt, imps, cap, clayer = plan
    (out_reach, out_exposure, out_comments, out_impressions, out_segment, out_first,
     out_seen) = outs
    out_lexpo, out_lcom, out_limp = lout
    tl_sum, tl_sumsq, cum = tls
    n_layers = lptr.shape[0]
    n = lptr.shape[1] - 1
    n_chunks = tl_sum.shape[0]
    tl_len = tl_sum.shape[2]
    max_deg = layers_max_degree(lptr)
    for ch in prange(n_chunks):
        lo = n_worlds * ch // n_chunks
        hi = n_worlds * (ch + 1) // n_chunks
        (stamp, seen, queue, flags, bucket, lq_cache, vstamp, astamp, views, touched,
         adopters, viewers, pseen) = channel_scratch(n, max_deg, tl_len, n_layers)
        lkeys = np.empty((3, n_layers), dtype=np.uint64)
        lcount = np.zeros((3, n_layers), dtype=np.int64)
        vis_total = 0
        for w in range(lo, hi):
            mark = np.int32(w - lo + 1)
            na, nv = open_layered_world(key, world_start + w, mark, kind, stream, aptr, aidx,
                                        p_see, p_adopt, imps, cap, clayer, vstamp, astamp,
                                        views, touched, adopters, viewers, pseen, lcount,
                                        lkeys)
            res = _layered_rounds(lptr, lidx, lprobs, lnone, member, cprob, max_rounds, segw,
                                  has_seg, stamp, queue, flags, lq_cache, pseen, bucket, mark,
                                  adopters, na, nv, lkeys, lcount)
            reach, expo, seg, used = res
            vis_total += close_layered_world(
                w, ch, reach, expo, seg, used, na, nv, lcount, out_reach, out_exposure,
                out_comments, out_impressions, out_segment, out_first, out_seen, out_lexpo,
                out_lcom, out_limp, tl_sum, tl_sumsq, cum, bucket)
        visits[ch] = vis_total


@njit(inline="always", **NJIT)
def _layered_rounds(lptr, lidx, lprobs, lnone, member, cprob, max_rounds, segw, has_seg,
                    stamp, queue, flags, lq_cache, pseen, bucket, mark, adopters, na, nv,
                    lkeys, lcount):
    """The rounds of one world of :func:`multiplex_worlds`: ``(reach, exposure,
    segment reach, used columns)``; per-platform counts are added to ``lcount``.

    Round by round, as :func:`viralsim._kernels.wom.wom_one_world`: each
    commenter's live followers pile up in ``queue`` past the round's tail and
    the new ones are kept once per round (:func:`viralsim._kernels.ic.keep_fresh`:
    first comers, in order), so the queue order, and with it the segment sum,
    is that of checking each follower as it comes. A commenter's rows are
    prefetched a few places ahead.
    """
    n_layers = lptr.shape[0]
    expo = nv  # (draw_channels marked them in pseen)
    for i in range(na):
        s = adopters[i]
        stamp[s] = mark
        queue[i] = s
    tail = na
    bucket[0, 0] = na
    bucket[1, 0] = 0
    bucket[2, 0] = 0
    bucket[3, 0] = nv
    head = 0
    rnd = 0
    while head < tail and (max_rounds < 0 or rnd < max_rounds):
        round_end = tail
        expo0 = expo
        rc = 0
        ri = 0
        k = tail
        for qi in range(head, round_end):
            _prefetch_layers(lptr, lidx, lprobs, queue, qi, round_end)
            u = np.uint64(queue[np.uint64(qi)])  # unsigned: no wraparound code
            for lay in range(n_layers):
                if member[lay, u] == 0:
                    continue
                if rnd > 0 and cprob[lay] < 1.0:
                    if not to_unit(node_state(lkeys[1, lay], u)) < cprob[lay]:
                        continue
                ip = lptr[lay]
                start = ip[u]
                end = ip[u + np.uint64(1)]
                rc += 1
                ri += end - start
                lcount[1, lay] += 1
                lcount[2, lay] += end - start
                tail, k = make_room(queue, tail, k, end - start, stamp, mark)
                if lnone[lay, u] < 0.0:  # a coin row: its views and coins in one pass
                    k, new, new_here = _view_coin_row(lidx, lprobs, pseen, lay, mark, queue, k,
                                                      start, end, node_state(lkeys[0, lay], u))
                    expo += new
                    lcount[0, lay] += new_here
                    continue
                lx = np.int64(0)
                for e in range(start, end):
                    new, new_here = _see_on(pseen, np.uint64(lidx[np.uint64(e)]), lay, mark)
                    expo += new
                    lx += new_here
                lcount[0, lay] += lx
                k = draw_live(ip, lidx, lprobs, u, lkeys[0, lay], queue, k, lq_cache,
                              lnone[lay], flags, True)
        tail = keep_fresh(queue, tail, k, stamp, mark)
        head = round_end
        rnd += 1
        close_round(bucket, rnd, tail - round_end, rc, ri, expo - expo0)
    seg = 0.0
    if has_seg:  # in queue order, as the adopters came
        for i in range(tail):
            seg += segw[queue[i]]
    return tail, expo, seg, used_columns(bucket, rnd)


@njit(inline="always", **NJIT)
def _view_coin_row(lidx, lprobs, pseen, lay, mark, queue, k, start, end, st):
    """A comment over a coin row (:func:`viralsim._kernels.ic.row_kind`) of layer
    ``lay``: each follower is marked seen (:func:`_see_on`) and appended to
    ``queue[k:]`` if its edge is live, in one pass over the row. Returns ``(k,
    new viewers, new viewers on lay)``.

    The coins are :func:`viralsim._kernels.ic.draw_live`'s for a coin row
    from the commenter's stream state ``st``: edge ``2i`` (``2i + 1``) of the
    row is live iff the low (high) 32 bits ``x32`` of ``mix64(st + (i + 1)
    GOLDEN)`` satisfy ``x32 < p 2**32`` (compared in float64, exact; a row of
    one probability compares ``x32 < ceil(p 2**32)`` there, the same test).
    """
    nv = np.int64(0)
    nl = np.int64(0)
    d = end - start
    su = np.uint64(start)
    for i in range(d >> 1):
        x = mix64(st + np.uint64(i + 1) * GOLDEN)
        e = su + np.uint64(2 * i)
        v = lidx[e]
        new, here = _see_on(pseen, np.uint64(v), lay, mark)
        nv += new
        nl += here
        queue[np.uint64(k)] = v
        k += np.float64(np.int64(x & MASK32)) < np.float64(lprobs[e]) * TWO32
        v = lidx[e + ONE]
        new, here = _see_on(pseen, np.uint64(v), lay, mark)
        nv += new
        nl += here
        queue[np.uint64(k)] = v
        k += np.float64(np.int64(x >> S32)) < np.float64(lprobs[e + ONE]) * TWO32
    if d & 1:
        x = mix64(st + np.uint64((d >> 1) + 1) * GOLDEN)
        e = np.uint64(end - 1)
        v = lidx[e]
        new, here = _see_on(pseen, np.uint64(v), lay, mark)
        nv += new
        nl += here
        queue[np.uint64(k)] = v
        k += np.float64(np.int64(x & MASK32)) < np.float64(lprobs[e]) * TWO32
    return k, nv, nl


@njit(inline="always", **NJIT)
def _prefetch_layers(lptr, lidx, lprobs, lst, qi, stop):
    """:func:`viralsim._kernels.prefetch.prefetch_rows` for every layer: the row
    pointers of the node 8 places ahead, the rows of the node 4 places ahead."""
    if qi + 8 < stop:
        u = lst[np.uint64(qi + 8)]
        for lay in range(lptr.shape[0]):
            prefetch(lptr[lay], u)
    if qi + 4 < stop:
        u = lst[np.uint64(qi + 4)]
        for lay in range(lptr.shape[0]):
            r = lptr[lay, np.uint64(u)]
            prefetch(lidx, r)
            prefetch(lprobs, r)


# ---------------------------------------------------------------- delays: by day
@njit(inline="always", **NJIT)
def draw_delay(dkind, dpar, dcdf, lay, x):
    """A delay in days on platform ``lay`` from 64 random bits ``x``: fixed
    (``dpar[lay]`` days), geometric on 1, 2, ... with success probability ``p``
    (inverse CDF: ``1 + floor(log(1 - U) / log(1 - p))``; ``dpar[lay] = 1 /
    log(1 - p)``, 0 for p = 1), or a pmf over 0, 1, ... days (the first ``j``
    with ``U < dcdf[lay, j]``)."""
    kd = dkind[lay]
    if kd == DELAY_FIXED:
        return np.int64(dpar[lay])
    u = to_unit(x)
    if kd == DELAY_GEOMETRIC:
        return np.int64(1) + np.int64(math.floor(math.log1p(-u) * dpar[lay]))
    row = dcdf[lay]
    j = 0
    while j < row.shape[0] - 1 and not u < row[j]:
        j += 1
    return np.int64(j)


@njit(inline="always", **NJIT)
def _heap_push(heap, size, item):
    """Push ``item`` on the binary min-heap ``heap[:size]`` (grown when full)."""
    if size == heap.shape[0]:
        bigger = np.empty(2 * heap.shape[0], dtype=np.int64)
        bigger[:size] = heap[:size]
        heap = bigger
    i = size
    heap[i] = item
    while i > 0:
        parent = (i - 1) >> 1
        if heap[parent] <= item:
            break
        heap[i] = heap[parent]
        i = parent
    heap[i] = item
    return heap, size + 1


@njit(inline="always", **NJIT)
def _heap_pop(heap, size):
    """Remove and return the least item of ``heap[:size]``: ``(item, size - 1)``."""
    top = heap[0]
    size -= 1
    if size > 0:
        item = heap[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and heap[c + 1] < heap[c]:
                c += 1
            if heap[c] >= item:
                break
            heap[i] = heap[c]
            i = c
        heap[i] = item
    return top, size


SHIFT_DAY = 32


@njit(**NJIT_PARALLEL)
def multiplex_days(lptr, lidx, lprobs, lnone, member, cprob, delays, key, world_start,
                   n_worlds, max_days, segw, has_seg, plan, outs, lout, tls, visits):
    """A campaign on ``L`` platforms, by day: each platform delays the reaction to a comment.

    Arguments as :func:`multiplex_worlds`; ``delays = (dkind, dpar, dcdf, dmin)``
    per platform (:func:`draw_delay`; ``dmin[l]`` the least delay with positive
    probability) and ``max_days`` (< 0: none) the last day played.

    World ``r`` has the live edges and comment coins of :func:`multiplex_worlds`
    in world ``r`` (so the same adopters in the end, with no horizon). Times:
    the channels' viewers and adopters see it and adopt on day 0. An adopter
    ``u`` (adopted on day ``t_u``) who comments on platform ``l`` is seen by
    each follower ``v`` there on day ``t_u + D``, ``D`` drawn from platform l's
    delay from ``to_unit(node_state(node_state(world_key(layer_key(key, l), r,
    DOMAIN_DELAY), u), v))`` (one delay per world, platform and edge: the
    follower's time to see and act on it), and v adopts then if the edge is
    live. So v adopts on the shortest delay-weighted path over live edges from
    the first adopters (Dijkstra, a binary heap keyed ``day << 32 | v``), and
    is exposed on the least day a commenter's post reaches it. With every
    delay one day, days are rounds, world by world. Only days ``<= max_days``
    count: adoptions and views after it do not happen; a comment counts when it
    can be seen by then (``t_u + dmin[l] <= max_days``).

    Timelines (``bucket`` rows): adopters and exposure by the day they happen,
    impressions by the day they are seen, comments by the day they are posted.
    Cost per world: O((edges scanned) log(pushes)) plus one mix per scanned
    edge for a random delay.
    """
    dkind, dpar, dcdf, dmin = delays
    # (tuples unpacked out of the parallel loop: its body takes arrays and scalars)
    kind, stream, aptr, aidx, p_see, p_adopt, imps, cap, clayer = plan
    (out_reach, out_exposure, out_comments, out_impressions, out_segment, out_first,
     out_seen) = outs
    out_lexpo, out_lcom, out_limp = lout
    tl_sum, tl_sumsq, cum = tls
    n_layers = lptr.shape[0]
    n = lptr.shape[1] - 1
    n_chunks = tl_sum.shape[0]
    tl_len = tl_sum.shape[2]
    last = tl_len - 1
    horizon = max_days if max_days >= 0 else np.int64(1) << 30
    max_deg = layers_max_degree(lptr)
    low32 = (np.int64(1) << SHIFT_DAY) - 1
    for ch in prange(n_chunks):
        lo = n_worlds * ch // n_chunks
        hi = n_worlds * (ch + 1) // n_chunks
        (stamp, seen, queue, flags, bucket, lq_cache, vstamp, astamp, views, touched,
         adopters, viewers, pseen) = channel_scratch(n, max_deg, tl_len, n_layers)
        cand = np.empty(max_deg + 1, dtype=np.int32)
        sday = np.empty(n, dtype=np.int64)
        best = np.empty(n, dtype=np.int64)
        bstamp = np.zeros(n, dtype=np.int32)
        heap = np.empty(n + max_deg, dtype=np.int64)
        lkeys = np.empty((3, n_layers), dtype=np.uint64)
        lcount = np.zeros((3, n_layers), dtype=np.int64)
        wkeys, ckeys, dkeys = lkeys[0], lkeys[1], lkeys[2]
        lexpo, lcom, limp = lcount[0], lcount[1], lcount[2]
        vis_total = 0
        for w in range(lo, hi):
            mark = np.int32(w - lo + 1)
            na, nv = open_layered_world(key, world_start + w, mark, kind, stream, aptr, aidx,
                                        p_see, p_adopt, imps, cap, clayer, vstamp, astamp,
                                        views, touched, adopters, viewers, pseen, lcount,
                                        lkeys)
            for i in range(nv):  # (draw_channels marked them in pseen)
                sday[viewers[i]] = 0
            size = 0
            for i in range(na):
                s = adopters[i]
                bstamp[s] = mark
                best[s] = 0
                heap, size = _heap_push(heap, size, np.int64(s))
            bucket[3, 0] += nv
            used = 1
            n_seen = 0  # exposed by comments only: queue[:n_seen]
            reach = 0
            seg = 0.0
            while size > 0:
                item, size = _heap_pop(heap, size)
                u = np.int32(item & low32)
                t = item >> SHIFT_DAY
                if stamp[u] == mark or t != best[u]:
                    continue
                stamp[u] = mark
                reach += 1
                col = min(t, last)
                bucket[0, col] += 1
                used = max(used, col + 1)
                if has_seg:
                    seg += segw[u]
                first = astamp[u] == mark
                for lay in range(n_layers):
                    if member[lay, u] == 0:
                        continue
                    if t + dmin[lay] > horizon:
                        continue
                    if not first and cprob[lay] < 1.0:
                        if not to_unit(node_state(ckeys[lay], u)) < cprob[lay]:
                            continue
                    ip = lptr[lay]
                    start = ip[u]
                    end = ip[u + 1]
                    lcom[lay] += 1
                    bucket[1, col] += 1
                    du = node_state(dkeys[lay], u)
                    fixed = dkind[lay] == DELAY_FIXED
                    for e in range(start, end):
                        v = lidx[e]
                        d = draw_delay(dkind, dpar, dcdf, lay, np.uint64(0) if fixed
                                       else node_state(du, v))
                        tv = t + d
                        if tv > horizon:
                            continue
                        limp[lay] += 1
                        cv = min(tv, last)
                        bucket[2, cv] += 1
                        used = max(used, cv + 1)
                        new, new_here = _see_on(pseen, v, lay, mark)
                        lexpo[lay] += new_here
                        if new:
                            sday[v] = tv
                            queue[n_seen] = v
                            n_seen += 1
                        elif tv < sday[v]:
                            sday[v] = tv
                    k = draw_live(ip, lidx, lprobs, u, wkeys[lay], cand, 0, lq_cache,
                                  lnone[lay], flags, True)
                    for i in range(k):
                        v = cand[i]
                        if stamp[v] == mark:
                            continue
                        tv = t + draw_delay(dkind, dpar, dcdf, lay, np.uint64(0) if fixed
                                            else node_state(du, v))
                        if tv > horizon:
                            continue
                        if bstamp[v] != mark or tv < best[v]:
                            bstamp[v] = mark
                            best[v] = tv
                            heap, size = _heap_push(heap, size, (tv << SHIFT_DAY) | v)
            expo = nv
            for i in range(n_seen):
                col = min(sday[queue[i]], last)
                bucket[3, col] += 1
                used = max(used, col + 1)
                expo += 1
            vis_total += close_layered_world(
                w, ch, reach, expo, seg, used, na, nv, lcount, out_reach, out_exposure,
                out_comments, out_impressions, out_segment, out_first, out_seen, out_lexpo,
                out_lcom, out_limp, tl_sum, tl_sumsq, cum, bucket)
            bucket[:, :used] = 0
        visits[ch] = vis_total
