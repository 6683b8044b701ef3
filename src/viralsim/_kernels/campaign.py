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
  ``cap[c]`` times (a platform's delivery under a frequency cap); the
  draws are the stream ``ckey + i GOLDEN``, rejection-sampled. A member
  shown ``m`` times adopts iff ``to_unit(node_state(ckey, v)) < 1 - (1 -
  p_adopt[c]) ** m``.

A consumer adopts if any channel persuades them and has seen the campaign if
any channel showed it. The adopters are then the seeds of the cascade of
:func:`viralsim._kernels.wom.wom_one_world` in world ``r`` (its reference
exposure path, every commenter's row scanned): the same live edges and
comment coins as :func:`viralsim.estimate_reach` meets in world ``r``. The
channels' viewers who did not adopt are marked seen before the cascade, so
exposure counts each person once.
"""

import numpy as np
from numba import njit, prange

from .config import NJIT, NJIT_PARALLEL
from .ic import draw_live
from .rng import (
    DOMAIN_COMMENT,
    DOMAIN_FORWARD,
    GOLDEN,
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


@njit(inline="always", **NJIT)
def _mark(v, adopt, vstamp, astamp, mark, adopters, na, viewers, nv):
    """Record consumer ``v`` as a viewer, and as an adopter if ``adopt``."""
    if vstamp[v] != mark:
        vstamp[v] = mark
        viewers[nv] = v
        nv += 1
    if adopt and astamp[v] != mark:
        astamp[v] = mark
        adopters[na] = v
        na += 1
    return na, nv


@njit(**NJIT)
def draw_channels(key, world, kind, stream, aptr, aidx, p_see, p_adopt, imps, cap,
                  vstamp, astamp, mark, views, touched, adopters, viewers):
    """World ``world``'s channel outcomes: ``(n_adopters, n_viewers)``, the people in
    ``adopters[:n_adopters]`` and ``viewers[:n_viewers]`` (adopters are viewers too),
    each once, in the order the channels reached them.

    ``vstamp, astamp`` (int32, n) hold ``mark`` for the viewers and adopters of this
    world (and smaller values otherwise); ``views`` (int32, n) must be all zero and is
    left so; ``touched`` (int32, n) is scratch.
    """
    wk = world_key(key, world, DOMAIN_CHANNEL)
    na = 0
    nv = 0
    for c in range(kind.shape[0]):
        ckey = node_state(wk, stream[c])
        a0 = aptr[c]
        m = aptr[c + 1] - a0
        if kind[c] == KIND_POST:
            ps = p_see[c]
            pa = p_adopt[c]
            for i in range(a0, a0 + m):
                v = aidx[i]
                x = node_state(ckey, v)
                if to_unit(x) < ps:
                    adopt = to_unit(mix64(x + GOLDEN)) < pa
                    na, nv = _mark(v, adopt, vstamp, astamp, mark, adopters, na, viewers, nv)
        else:
            k = cap[c]
            nt = 0
            if m == 0 or k == 0:
                continue
            total = imps[c]
            if total >= k * m:  # everyone gets the cap
                for i in range(a0, a0 + m):
                    v = aidx[i]
                    views[v] = k
                    touched[nt] = v
                    nt += 1
            else:
                s = ckey
                done = 0
                while done < total:
                    s = s + GOLDEN
                    j = np.int64(to_unit(mix64(s)) * m)
                    v = aidx[a0 + min(j, m - 1)]
                    cv = views[v]
                    if cv < k:
                        if cv == 0:
                            touched[nt] = v
                            nt += 1
                        views[v] = cv + 1
                        done += 1
            q = 1.0 - p_adopt[c]
            for i in range(nt):
                v = touched[i]
                chance = 1.0 - q ** views[v]
                adopt = to_unit(node_state(ckey, v)) < chance
                na, nv = _mark(v, adopt, vstamp, astamp, mark, adopters, na, viewers, nv)
                views[v] = 0
    return na, nv


@njit(**NJIT_PARALLEL)
def campaign_worlds(indptr, indices, probs, none_live, key, world_start, n_worlds, max_rounds,
                    c, thin, has_thin, segw, has_seg,
                    kind, stream, aptr, aidx, p_see, p_adopt, imps, cap,
                    out_reach, out_exposure, out_comments, out_impressions, out_segment,
                    out_first, out_seen, tl_sum, tl_sumsq, visits):
    """Run a campaign in worlds ``world_start .. world_start + n_worlds - 1``.

    Graph and model arguments as :func:`viralsim._kernels.wom.wom_worlds` (the
    live-edge path only, exposure tracked); channel arrays as
    :func:`draw_channels` (``aptr, aidx``: each channel's audience as CSR).
    ``out_first`` and ``out_seen`` (int64, n_worlds) receive the channels'
    adopters and viewers per world; ``out_exposure`` counts channel viewers and
    word-of-mouth viewers once each, and its round-0 timeline entry holds the
    channel viewers. Chunks of worlds run in parallel; a world's outcome
    depends only on ``(key, world)``.
    """
    n = indptr.shape[0] - 1
    n_chunks = tl_sum.shape[0]
    tl_len = tl_sum.shape[2]
    max_deg = max_degree(indptr)
    mult = np.ones(1)
    for ch in prange(n_chunks):
        lo = n_worlds * ch // n_chunks
        hi = n_worlds * (ch + 1) // n_chunks
        stamp = np.zeros(n, dtype=np.int32)
        seen = np.zeros(n, dtype=np.int32)
        state = np.zeros(1, dtype=np.int32)
        touched1 = np.empty(1, dtype=np.int32)
        queue = np.empty(n + max_deg, dtype=np.int32)
        flags = np.empty(max_deg, dtype=np.uint8)
        com = np.empty(n if c < 1.0 else 1, dtype=np.int32)
        bucket = np.zeros((4, tl_len), dtype=np.int64)
        lq_cache = np.array([-1.0, 0.0])
        vstamp = np.zeros(n, dtype=np.int32)
        astamp = np.zeros(n, dtype=np.int32)
        views = np.zeros(n, dtype=np.int32)
        touched = np.empty(n, dtype=np.int32)
        adopters = np.empty(n, dtype=np.int32)
        viewers = np.empty(n, dtype=np.int32)
        vis_total = 0
        for w in range(lo, hi):
            mark = np.int32(w - lo + 1)
            na, nv = draw_channels(key, world_start + w, kind, stream, aptr, aidx, p_see,
                                   p_adopt, imps, cap, vstamp, astamp, mark, views, touched,
                                   adopters, viewers)
            for i in range(nv):  # channel viewers: seen before any comment
                seen[viewers[i]] = mark
            res = wom_one_world(
                indptr, indices, probs, none_live, adopters[:na], key, world_start + w,
                max_rounds, c, 0.0, False, thin, has_thin, segw, has_seg, True,
                mult, stamp, seen, state, touched1, mark, queue, com, bucket, lq_cache, flags,
                (False, 0, indptr, indices),
            )
            reach, expo, ncom, nimp, seg, used = res
            extra = nv - na  # viewers who did not adopt (the adopters count in expo already)
            bucket[3, 0] += extra
            vis_total += record_world(w, ch, (reach, expo + extra, ncom, nimp, seg, used), bucket,
                                      out_reach, out_exposure, out_comments, out_impressions,
                                      out_segment, tl_sum, tl_sumsq)
            out_first[w] = na
            out_seen[w] = nv
        visits[ch] = vis_total


# ---------------------------------------------------------------- several platforms
DOMAIN_LAYER = np.uint64(0x1E1E1E1E1E1E1E1E)


@njit(inline="always", **NJIT)
def layer_key(key, layer):
    """The key of layer ``layer``'s coins: the user's key itself for layer 0 (so one
    layer is today's model), a keyed mix for the others."""
    if layer == 0:
        return key
    return mix64(key ^ mix64(np.uint64(layer) * GOLDEN + DOMAIN_LAYER))


@njit(**NJIT_PARALLEL)
def multiplex_worlds(lptr, lidx, lprobs, lnone, eoff, member, cprob, key, world_start,
                     n_worlds, max_rounds, segw, has_seg,
                     kind, stream, aptr, aidx, p_see, p_adopt, imps, cap,
                     out_reach, out_exposure, out_comments, out_impressions, out_segment,
                     out_first, out_seen, tl_sum, tl_sumsq, visits):
    """A campaign on ``L`` platforms over the same ``n`` consumers.

    Layer ``l``'s CSR is ``lptr[l]`` (int64 (L, n + 1), edge positions within
    the layer), ``lidx[eoff[l]:eoff[l + 1]]``, ``lprobs[...]`` and its
    :func:`viralsim._kernels.ic.skip_row_none_live` table ``lnone[l]``;
    ``member`` (uint8 (L, n)) says who is on which platform; ``cprob[l]`` is
    its comment probability.

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
    per platform; exposure counts distinct people.
    """
    n_layers = lptr.shape[0]
    n = lptr.shape[1] - 1
    n_chunks = tl_sum.shape[0]
    tl_len = tl_sum.shape[2]
    max_deg = 1
    for lay in range(n_layers):
        for u in range(n):
            max_deg = max(max_deg, lptr[lay, u + 1] - lptr[lay, u])
    for ch in prange(n_chunks):
        lo = n_worlds * ch // n_chunks
        hi = n_worlds * (ch + 1) // n_chunks
        stamp = np.zeros(n, dtype=np.int32)
        seen = np.zeros(n, dtype=np.int32)
        queue = np.empty(n, dtype=np.int32)
        cand = np.empty(max_deg + 1, dtype=np.int32)
        flags = np.empty(max_deg + 1, dtype=np.uint8)
        bucket = np.zeros((4, tl_len), dtype=np.int64)
        lq_cache = np.array([-1.0, 0.0])
        vstamp = np.zeros(n, dtype=np.int32)
        astamp = np.zeros(n, dtype=np.int32)
        views = np.zeros(n, dtype=np.int32)
        touched = np.empty(n, dtype=np.int32)
        adopters = np.empty(n, dtype=np.int32)
        viewers = np.empty(n, dtype=np.int32)
        wkeys = np.empty(n_layers, dtype=np.uint64)
        ckeys = np.empty(n_layers, dtype=np.uint64)
        vis_total = 0
        for w in range(lo, hi):
            world = world_start + w
            mark = np.int32(w - lo + 1)
            na, nv = draw_channels(key, world, kind, stream, aptr, aidx, p_see, p_adopt, imps,
                                   cap, vstamp, astamp, mark, views, touched, adopters, viewers)
            for lay in range(n_layers):
                lk = layer_key(key, lay)
                wkeys[lay] = world_key(lk, world, DOMAIN_FORWARD)
                ckeys[lay] = world_key(lk, world, DOMAIN_COMMENT)
            expo = nv
            for i in range(nv):
                seen[viewers[i]] = mark
            seg = 0.0
            for i in range(na):
                s = adopters[i]
                stamp[s] = mark
                queue[i] = s
                if has_seg:
                    seg += segw[s]
            tail = na
            bucket[0, 0] = na
            bucket[1, 0] = 0
            bucket[2, 0] = 0
            bucket[3, 0] = nv
            head = 0
            rnd = 0
            n_com = 0
            n_imp = 0
            while head < tail and (max_rounds < 0 or rnd < max_rounds):
                round_end = tail
                expo0 = expo
                rc = 0
                ri = 0
                for qi in range(head, round_end):
                    u = queue[qi]
                    for lay in range(n_layers):
                        if member[lay, u] == 0:
                            continue
                        if rnd > 0 and cprob[lay] < 1.0:
                            if not to_unit(node_state(ckeys[lay], u)) < cprob[lay]:
                                continue
                        ip = lptr[lay]
                        e0 = eoff[lay]
                        idx = lidx[e0:eoff[lay + 1]]
                        start = ip[u]
                        end = ip[u + 1]
                        rc += 1
                        ri += end - start
                        for e in range(start, end):
                            v = idx[e]
                            if seen[v] != mark:
                                seen[v] = mark
                                expo += 1
                        k = draw_live(ip, idx, lprobs[e0:eoff[lay + 1]], u, wkeys[lay], cand, 0,
                                      lq_cache, lnone[lay], flags, True)
                        for i in range(k):
                            v = cand[i]
                            if stamp[v] != mark:
                                stamp[v] = mark
                                queue[tail] = v
                                tail += 1
                                if has_seg:
                                    seg += segw[v]
                n_com += rc
                n_imp += ri
                head = round_end
                rnd += 1
                close_round(bucket, rnd, tail - round_end, rc, ri, expo - expo0)
            res = (tail, expo, n_com, n_imp, seg, used_columns(bucket, rnd))
            vis_total += record_world(w, ch, res, bucket, out_reach, out_exposure,
                                      out_comments, out_impressions, out_segment, tl_sum,
                                      tl_sumsq)
            out_first[w] = na
            out_seen[w] = nv
        visits[ch] = vis_total
