"""An ad buy's draws in one world: who is shown it, and who is persuaded.

The model (:class:`viralsim.AdBuy`): ``total`` impressions go, one after the
other, to members of the segment (``m`` of them), each impression to a
member drawn uniformly among those shown fewer than ``k`` times (the
frequency cap); each impression persuades its viewer with probability ``r``,
independently. A member shown ``j`` times therefore adopts with probability
``1 - (1 - r) ** j``, and nothing else about the views matters.

The draws, in world ``r`` for channel ``c`` with key ``ckey``
(:mod:`viralsim._kernels.campaign`):

- **which impressions persuade**: impressions ``0, 1, ...`` persuade at the
  positions of a Bernoulli(r) process drawn by geometric skipping from the
  stream ``convert_key(ckey)`` (:func:`next_success`): O(persuading
  impressions), whatever ``total``;
- **who gets impression i**: the ``i``-th raw draw of the stream ``ckey +
  i * GOLDEN`` (a uniform member, :func:`raw_member`), skipping members at
  the cap. Four cases, each exact for the model:

  * ``k == 1``: the ``d = min(total, m)`` viewers are a uniform ``d``-subset
    and the persuaded impressions' viewers a uniform subset of it. The
    viewers are the first ``d`` distinct raw draws (everyone when ``d =
    m``) and the ``A`` persuaded members the first ``A`` of them
    (O(adopters) when the viewers are not wanted). Given ``A``, this is the
    law of the sequential delivery (exchangeability of a uniform random
    order); at ``total = 1`` it is the next case's draw.
  * ``k >= total`` (the cap cannot bind): impression ``i`` goes to raw draw
    ``i``, so the persuaded members are read off directly (O(adopters));
    the viewers are raw draws ``0 .. total - 1``.
  * ``total >= k * m``: everyone gets ``k`` impressions. Each member adopts
    with ``1 - (1 - r) ** k``, independently: the adopters are the
    successes of a Bernoulli process over the member list (same stream).
  * otherwise: the delivery is played impression by impression (rejecting
    members at the cap), O(total), the raw draws computed
    :data:`RAW_BATCH` at a time (so are a cap-1 ad's listed viewers) and,
    for a cap below 255, each member's impressions counted in a byte per
    segment position (a cap-1 ad's listed viewers too). Its first ``k`` impressions meet no
    member at the cap, so for ``total <= k`` it is the previous case.

Adopters depend on nothing but ``(ckey, m, total, k, r)``: the same whether
the viewers are wanted (exposure) or not.

**Viewers left unlisted** (:func:`unlisted_viewers`; the single-graph
campaign kernel counting exposure, :func:`viralsim._kernels.campaign.campaign_worlds`):
an ad shown to everyone (``m == n``) with ``k == 1`` or ``total >= k * m``
has ``d = min(total, m)`` distinct viewers, and given its ``a`` adopters the
other ``d - a`` are a uniform subset of the other ``n - a`` consumers
(exchangeability), independent of the cascade, which depends on the adopters
only. Exposure needs only how many of them were shown the campaign anyway,
by a channel (``covered``) or first in cascade round ``t`` (that round's new
viewers): a multivariate hypergeometric over those cells and the rest,
drawn one cell after the other (:func:`place_viewers`, exact inversion in
:func:`hypergeometric`, from the stream ``viewers_key(ckey)``), after the
cascade. The cascade's viewers among them move to round 0 (the channel
showed it first). Cost O(adopters + rounds) instead of O(d); the adopters
are the same draws as above. The kernels that list every viewer (several
platforms, by day, a segment short of everyone, a binding cap above 1, a cap
that cannot bind above 1) draw them as above; same law, other draws. For a given cap, more impressions
persuade a superset of members, and show it to a superset (the persuading
positions and the deliveries are prefixes of fixed streams), except where
every member reaches a cap ``k > 1`` (``total >= k * m``: drawn per member
instead of playing the delivery to its end, which costs about ``m log m``
draws).
"""

import math

import numpy as np
from numba import njit

from .config import NJIT
from .rng import GOLDEN, mix64, to_unit, to_unit_open0

DOMAIN_CONVERT = np.uint64(0x3A3A3A3A3A3A3A3A)  # which impressions persuade
DOMAIN_VIEWERS = np.uint64(0x4D4D4D4D4D4D4D4D)  # unlisted viewers: how many were seen anyway

#: :func:`hypergeometric` places at most this many items one by one (cheaper than inverting)
SMALL_HYPER = 16

#: flag in ``views[v]``: ``v`` adopted through this ad
ADOPTED = np.int64(1) << 62


@njit(inline="always", **NJIT)
def convert_key(ckey):
    """Key of the stream that says which impressions persuade."""
    return mix64(ckey ^ DOMAIN_CONVERT)


@njit(inline="always", **NJIT)
def viewers_key(ckey):
    """Key of the stream that places an ad's unlisted viewers (:func:`place_viewers`)."""
    return mix64(ckey ^ DOMAIN_VIEWERS)


@njit(inline="always", **NJIT)
def raw_member(ckey, i, m):
    """Position in ``0 .. m - 1`` of raw draw ``i`` of the stream of ``ckey``."""
    j = np.int64(to_unit(mix64(ckey + (np.uint64(i) + np.uint64(1)) * GOLDEN)) * m)
    return min(j, m - 1)


@njit(inline="always", **NJIT)
def next_success(s, pos, n, inv_log_q):
    """The next success after position ``pos`` of a Bernoulli process on ``0 .. n - 1``.

    ``s``: the stream state (advanced by one draw per success); ``inv_log_q
    = 1 / log(1 - p)`` (``-0.0`` for ``p = 1``; ``p = 0`` has no successes,
    callers skip it). The gap is geometric: ``floor(log(U) * inv_log_q)``
    failures, ``U`` uniform in (0, 1]. Returns ``(s, position)``, position
    ``n`` when there are no more.
    """
    s = s + GOLDEN
    gap = math.floor(math.log(to_unit_open0(mix64(s))) * inv_log_q)
    if gap >= n - 1 - pos:  # (a float compare: huge gaps do not overflow)
        return s, n
    return s, pos + 1 + np.int64(gap)


@njit(**NJIT)
def ad_draws(ckey, aidx, a0, m, total, k, r, track_viewers, views, touched):
    """One ad's outcome in one world (the module's model and draws).

    ``aidx[a0:a0 + m]``: the segment; ``total`` impressions, cap ``k``,
    persuasion ``r``. On return ``touched[:nt]`` lists distinct members:
    every viewer when ``track_viewers`` (else at least the adopters, maybe
    more), each with ``views[v] & ADOPTED`` set iff it adopts; the caller
    resets ``views[v]`` to 0 for them (``views`` is all zero on entry).
    Returns ``nt``.
    """
    nt = 0
    if m == 0 or k == 0 or total <= 0:
        return nt
    inv = 1.0 / math.log1p(-r) if r < 1.0 else -0.0
    if k == 1:  # a uniform subset sees it; the persuaded ones a uniform subset of that
        total = min(total, m)
        n_adopt = 0
        if r > 0.0:
            s, pos = next_success(convert_key(ckey), np.int64(-1), total, inv)
            while pos < total:
                n_adopt += 1
                s, pos = next_success(s, pos, total, inv)
        listing = track_viewers and total < m  # who is seen: a byte per segment position
        seen8 = np.zeros(m if listing else 0, dtype=np.uint8)
        i = 0
        while nt < n_adopt:
            p = raw_member(ckey, i, m)
            v = aidx[a0 + p]
            i += 1
            if views[v] == 0:
                touched[nt] = v
                nt += 1
                views[v] = ADOPTED
                if listing:
                    seen8[p] = 1
        if track_viewers and total == m:  # everyone: no need to draw them
            for i in range(m):
                v = aidx[a0 + i]
                x = views[v]
                touched[nt] = v  # kept iff new (branch-free: who is new is unpredictable)
                nt += x == 0
                views[v] = x | np.int64(1)
        elif listing and nt < total:
            batch = np.empty(RAW_BATCH, dtype=np.int64)
            while True:  # the raw draws go on
                _raw_batch(ckey, i, m, batch)
                i += RAW_BATCH
                for j in range(RAW_BATCH):
                    p = batch[j]
                    x = seen8[p]
                    touched[nt] = aidx[a0 + p]  # (branch-free, as above)
                    nt += x == 0
                    seen8[p] = 1
                    if nt == total:
                        return nt
        return nt
    if k >= total:  # no cap binds: impression i goes to raw draw i
        if r > 0.0:
            s, pos = next_success(convert_key(ckey), np.int64(-1), total, inv)
            while pos < total:
                v = aidx[a0 + raw_member(ckey, pos, m)]
                x = views[v]
                if x == 0:
                    touched[nt] = v
                    nt += 1
                views[v] = x | ADOPTED
                s, pos = next_success(s, pos, total, inv)
        if track_viewers:
            for i in range(total):
                v = aidx[a0 + raw_member(ckey, i, m)]
                x = views[v]
                touched[nt] = v  # (branch-free, as above)
                nt += x == 0
                views[v] = x | np.int64(1)
        return nt
    if k <= total // m:  # total >= k * m: everyone gets k impressions
        p = 1.0 - (1.0 - r) ** k
        if track_viewers:
            for i in range(m):
                v = aidx[a0 + i]
                x = views[v]
                if x == 0:
                    touched[nt] = v
                    nt += 1
                views[v] = x | np.int64(1)
        if p > 0.0:
            inv = 1.0 / math.log1p(-p) if p < 1.0 else -0.0
            s, pos = next_success(convert_key(ckey), np.int64(-1), m, inv)
            while pos < m:
                v = aidx[a0 + pos]
                x = views[v]
                if x == 0:
                    touched[nt] = v
                    nt += 1
                views[v] = x | ADOPTED
                s, pos = next_success(s, pos, m, inv)
        return nt
    # a binding cap k > 1: play the delivery (views[v] counts v's impressions)
    next_conv = total
    s = convert_key(ckey)
    if r > 0.0:
        s, next_conv = next_success(s, np.int64(-1), total, inv)
    done = np.int64(0)
    i = 0
    batch = np.empty(RAW_BATCH, dtype=np.int64)
    # impressions per member, by position in the segment (k < total <= 2**62: one byte
    # holds min(k, 255); a cap above 255 counts in views instead)
    small = k < 255
    cnt = np.zeros(m if small else 0, dtype=np.uint8)
    k8 = np.uint8(min(k, 255))
    while done < total:
        _raw_batch(ckey, i, m, batch)  # raw draws i .. i + RAW_BATCH - 1
        i += RAW_BATCH
        if small:
            for j in range(RAW_BATCH):  # branch-free but for the rare persuading impression
                p = batch[j]
                x = cnt[p]
                ok = np.int64(x < k8)  # below the cap: it gets the impression
                touched[nt] = aidx[a0 + p]  # kept iff its first impression
                nt += ok & np.int64(x == 0)
                cnt[p] = x + np.uint8(ok)
                hit = ok & np.int64(done == next_conv)
                done += ok
                if hit:
                    views[aidx[a0 + p]] = ADOPTED
                    s, next_conv = next_success(s, next_conv, total, inv)
                if done == total:  # (the batch's other draws unused)
                    break
            continue
        for j in range(RAW_BATCH):  # (the same, counts in views)
            v = aidx[a0 + batch[j]]
            x = views[v]
            ok = np.int64((x & (ADOPTED - 1)) < k)
            touched[nt] = v
            nt += ok & np.int64(x == 0)
            hit = ok & np.int64(done == next_conv)
            views[v] = (x + ok) | (hit << 62)  # (ADOPTED)
            done += ok
            if hit:
                s, next_conv = next_success(s, next_conv, total, inv)
            if done == total:
                break
    return nt


#: raw draws computed at a time (:func:`_raw_batch`): a loop the compiler vectorizes
RAW_BATCH = 64


@njit(inline="always", **NJIT)
def _raw_batch(ckey, i, m, out):
    """``out[j] = raw_member(ckey, i + j, m)`` for every ``j``."""
    for j in range(out.shape[0]):
        out[j] = raw_member(ckey, i + j, m)


# ------------------------------------------------------------ viewers left unlisted
@njit(inline="always", **NJIT)
def unlisted_viewers(n, m, total, k):
    """Distinct viewers of an ad whose viewers need not be listed, else ``-1``.

    An ad shown to everyone (``m == n``: its segment is every consumer) with a
    cap of 1 or a delivery that brings everyone to the cap (``total >= k *
    m``) has ``d = min(total, m)`` distinct viewers, a fixed number, and, given
    its ``a`` adopters (drawn as :func:`ad_draws` without viewers), the other
    ``d - a`` are a uniform subset of the ``n - a`` other consumers: all
    exposure needs of them is how many fall among the people seen otherwise
    (:func:`place_viewers`).
    """
    if m == n and m > 0 and total > 0 and (k == 1 or k <= total // m):
        return min(total, m)
    return np.int64(-1)


@njit(inline="always", **NJIT)
def hypergeometric(s, pop, good, draws, lf):
    """How many of ``draws`` people drawn without replacement among ``pop`` are
    among ``good`` of them: Hypergeometric(pop, good, draws).

    With ``j = min(good, draws) <= SMALL_HYPER`` (the law is symmetric in
    ``good`` and ``draws``): ``j`` draws of the stream, item ``i`` of the
    ``j`` in the sample of the other ``l`` (the count not yet placed) iff
    ``u * (pop - i) < l``. Otherwise exact inversion of one uniform from the
    stream: the probabilities from ``lf`` (``lf[i] = log i!``) at the mode,
    then by their ratios outward, one step down and one up in turn, so the
    cost is about the standard deviation. The stream ``s`` advances only when
    the outcome is random. Returns ``(s, x)``.
    """
    if draws <= 0 or good <= 0:
        return s, np.int64(0)
    if good >= pop:
        return s, draws
    if draws >= pop:
        return s, good
    j = min(good, draws)
    if j <= SMALL_HYPER:  # one draw per item of the smaller side
        left = max(good, draws)
        x = np.int64(0)
        for i in range(j):
            s = s + GOLDEN
            hit = to_unit(mix64(s)) * np.float64(pop - i) < np.float64(left)
            x += hit
            left -= hit
        return s, x
    bad = pop - good
    lo = max(np.int64(0), draws - bad)
    hi = min(draws, good)
    if lo == hi:
        return s, lo
    mode = np.int64((np.float64(draws + 1) * np.float64(good + 1)) / np.float64(pop + 2))
    mode = min(max(mode, lo), hi)
    pm = math.exp(lf[good] - lf[mode] - lf[good - mode] + lf[bad] - lf[draws - mode]
                  - lf[bad - draws + mode] - lf[pop] + lf[draws] + lf[pop - draws])
    s = s + GOLDEN
    u = to_unit(mix64(s)) - pm
    if u < 0.0:
        return s, mode
    fg = np.float64(good)
    fd = np.float64(draws)
    fb = np.float64(bad)
    xl = mode
    xh = mode
    pl = pm
    ph = pm
    while xl > lo or xh < hi:
        if xl > lo:  # p(x - 1) = p(x) x (bad - draws + x) / ((good - x + 1)(draws - x + 1))
            x = np.float64(xl)
            pl *= x * (fb - fd + x) / ((fg - x + 1.0) * (fd - x + 1.0))
            xl -= 1
            u -= pl
            if u < 0.0:
                return s, xl
        if xh < hi:  # p(x + 1) = p(x) (good - x)(draws - x) / ((x + 1)(bad - draws + x + 1))
            x = np.float64(xh)
            ph *= (fg - x) * (fd - x) / ((x + 1.0) * (fb - fd + x + 1.0))
            xh += 1
            u -= ph
            if u < 0.0:
                return s, xh
        if pl == 0.0 and ph == 0.0:  # both tails spent (u within rounding of 1)
            break
    return s, mode


@njit(inline="always", **NJIT)
def place_viewers(s, pop, draws, covered, series, used, lf):
    """Where an ad's unlisted viewers fall, given everyone else's views.

    ``draws`` viewers are a uniform subset of ``pop`` consumers, of whom
    ``covered`` were shown the campaign before word of mouth (by a channel) and
    ``series[t]`` first saw it in round ``t = 1 .. used - 1`` of the cascade
    (``series``: the exposure row of the world's per-round totals; its last
    column collects that round and later ones). Multivariate hypergeometric,
    one cell after the other (:func:`hypergeometric`, from stream ``s``): the
    viewers among round ``t``'s come off ``series[t]`` (they saw it from the
    channel, before). Returns ``(new channel viewers, cascade viewers moved)``.
    """
    s, x = hypergeometric(s, pop, covered, draws, lf)
    new = draws - x
    left = new
    pop -= covered
    moved = np.int64(0)
    for t in range(1, used):
        if left == 0:
            break
        r = series[t]
        s, x = hypergeometric(s, pop, r, left, lf)
        series[t] = r - x
        moved += x
        left -= x
        pop -= r
    return new, moved
