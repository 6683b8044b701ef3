"""An ad buy's draws in one world: who is shown it, and who is persuaded.

The model (:class:`viralsim.AdBuy`): ``total`` impressions go, one after the
other, to members of the segment (``m`` of them), each impression to a
member drawn uniformly among those shown fewer than ``k`` times (the
frequency cap); each impression persuades its viewer with probability ``r``,
independently. A member shown ``j`` times therefore adopts with probability
``1 - (1 - r) ** j``, and nothing else about the views matters.

The draws, in world ``r`` for channel ``c`` with key ``ckey``
(:mod:`viralsim._kernels.campaign`):

- **how many adopt** (cap 1, or everyone at the cap): one exact binomial
  draw (:func:`binomial`: the quantile function at one uniform of the
  stream ``convert_key(ckey)``, a few standard deviations of steps);
  **which impressions persuade** (a cap above 1 short of everyone at it):
  the positions of a Bernoulli(r) process drawn by geometric skipping from
  that stream (:func:`next_success`, one ``log`` per persuading impression);
- **who gets impression i**: the ``i``-th raw draw of the stream ``ckey +
  i * GOLDEN`` (a uniform member, :func:`raw_member`), skipping members at
  the cap. Four cases, each exact for the model:

  * ``k == 1``, or ``total >= k * m`` (everyone gets ``k`` impressions):
    the ``d = min(total, m)`` viewers are a uniform ``d``-subset (everyone
    when ``d = m``), and the adopters a uniform subset of them whose size
    ``A`` is Binomial(d, q), ``q = r`` for a cap of 1 and ``1 - (1 - r) **
    k`` at the cap: with cap 1 the ``d`` impressions go to ``d`` distinct
    members and persuade independently; at the cap each member is persuaded
    by one of its ``k`` impressions independently of the others. Given
    ``A``, the persuaded members are a uniform ``A``-subset of the viewers
    (exchangeability: the members' order of delivery is a uniform random
    order, independent of which impressions persuade). Drawn as: ``A``;
    the adopters are the first ``A`` distinct raw draws, the viewers the
    first ``d`` (the adopters, then the raw draws go on; everyone when ``d
    = m``, not drawn). O(adopters) when the viewers are not wanted (the
    first ``A`` distinct of ``m``: about ``m log(m / (m - A))`` raw draws,
    ``A`` of them when ``A`` is small against ``m``).
  * ``k >= total`` (the cap cannot bind): impression ``i`` goes to raw
    draw ``i``, so the persuaded members are read off directly at the
    persuading positions (O(adopters): one ``log`` each); the viewers are
    raw draws ``0 .. total - 1``. The persuading positions are those of a
    played delivery (next case), so that a spend level whose cap starts to
    bind persuades a superset of the one below.
  * otherwise: the delivery is played impression by impression (rejecting
    members at the cap), O(total), the raw draws computed
    :data:`RAW_BATCH` at a time (so are a cap-1 ad's listed viewers) and,
    for a cap below 255 and a segment of at most :data:`BYTE_SEGMENT`
    members per impression, each member's impressions counted in a byte per
    segment position (a cap-1 ad's listed viewers too, per viewer); else in
    ``views`` (the same draws: a large segment's zeroing would cost more). The impressions'
    recipients are not exchangeable here (who reaches the cap first changes
    the later draws), so which impressions persuade is drawn position by
    position. Its first ``k`` impressions meet no member at the cap.

Adopters depend on nothing but ``(ckey, m, total, k, r)``: the same whether
the viewers are wanted (exposure) or not.

**Viewers left unlisted** (:func:`unlisted_viewers`; the single-graph
campaign kernel counting exposure, :func:`viralsim._kernels.campaign.campaign_worlds`):
an ad to ``m`` members with ``k == 1`` or ``total >= k * m`` has ``d =
min(total, m)`` distinct viewers, and given its ``a`` adopters the other ``d -
a`` are a uniform subset of the segment's other ``m - a`` members
(exchangeability), independent of the cascade, which depends on the adopters
only. Exposure needs only how many of them were shown the campaign anyway,
by a channel (``covered``: the listed channel viewers in the segment) or
first in cascade round ``t`` (that round's new viewers in the segment): a
multivariate hypergeometric over those cells and the rest, drawn one cell
after the other (:func:`place_viewers`, exact inversion in
:func:`hypergeometric`, from the stream ``viewers_key(ckey)``), after the
cascade. The cascade's viewers among them move to round 0 (the channel
showed it first). Cost O(adopters + rounds) instead of O(d) for an ad to
everyone (``m == n``: the cells are the rounds' totals); an ad to a segment
short of everyone adds one scan of the cascade's comments, O(impressions),
to count each round's new viewers in the segment
(:func:`viralsim._kernels.campaign.segment_rounds`). So: every such ad to
everyone is left unlisted; of those to a segment, only the ones whose
audience is that of the first (one segment per plan: the counts are per
segment, and a segment ad placed after an ad to everyone would need the
latter's viewers split by segment, so the segment's ads are placed first),
and only when the cascades are small beside their viewers (a pilot run
decides per call, :func:`viralsim.channels._segments_unlisted`); ads to
other segments are listed. The adopters are the same draws as above. The
kernels that list every viewer (several platforms, by day, the listed ads,
a binding cap above 1, a cap that cannot bind above 1) draw them as above;
same law, other draws. A binding cap above 1 is not left unlisted: by
exchangeability its other viewers are still a uniform subset of the other
members given how many they are, but that number is random and depends on
how many adopted (a member shown more often is likelier to adopt), through
the joint law of how many members got 1, ..., k impressions: a dynamic
program over the delivery, far costlier than playing it (stop 26's note), or
a per-world walk over the counts, O(impressions) again.

**Across spend levels** (same world, same cap, more impressions): the
viewers are a superset (prefixes of the raw draws, the delivery a prefix of
itself; at the cap everyone sees it), and so are the adopters: where the
persuading impressions are drawn (a cap above 1) they are a prefix of one
stream's Bernoulli process; where how many adopt is one binomial draw (cap
1) the draw is the quantile function at the same uniform, monotone in the
number of impressions, and the adopters the first that many distinct raw
draws. The exception, as before: the step to everyone at a cap above 1
(drawn per member, not by playing the delivery to its end).
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


#: Stirling's error ``log n! - (n + 1/2) log n + n - log sqrt(2 pi)`` for ``n = 0 .. 15``
#: (``n = 0``: 0), from Python's ``math.lgamma`` (the twin computes the same table)
STIRLERR_SMALL = np.array([0.0] + [math.lgamma(i + 1.0) - (i + 0.5) * math.log(i) + i
                                   - 0.5 * math.log(2.0 * math.pi) for i in range(1, 16)])
LOG_2PI = math.log(2.0 * math.pi)


@njit(inline="always", **NJIT)
def _stirlerr(n):
    """Stirling's error at integer ``n >= 0`` (Loader 2000): the table, else its series."""
    if n <= 15.0:
        return STIRLERR_SMALL[np.int64(n)]
    nn = n * n
    if n > 500.0:
        return (0.083333333333333333333 - 0.00277777777777777777778 / nn) / n
    if n > 80.0:
        return (0.083333333333333333333 - (0.00277777777777777777778
                - 0.00079365079365079365079365 / nn) / nn) / n
    if n > 35.0:
        return (0.083333333333333333333 - (0.00277777777777777777778
                - (0.00079365079365079365079365 - 0.000595238095238095238095238 / nn) / nn)
                / nn) / n
    return (0.083333333333333333333 - (0.00277777777777777777778
            - (0.00079365079365079365079365 - (0.000595238095238095238095238
               - 0.0008417508417508417508417508 / nn) / nn) / nn) / nn) / n


@njit(inline="always", **NJIT)
def _bd0(x, np_):
    """``x log(x / np_) + np_ - x``, without cancellation near ``x = np_`` (Loader 2000)."""
    if abs(x - np_) < 0.1 * (x + np_):
        v = (x - np_) / (x + np_)
        s = (x - np_) * v
        ej = 2.0 * x * v
        v = v * v
        for j in range(1, 1000):
            ej *= v
            s1 = s + ej / np.float64(2 * j + 1)
            if s1 == s:
                return s1
            s = s1
        return s
    return x * math.log(x / np_) + np_ - x


@njit(inline="always", **NJIT)
def binomial_pmf(x, n, p):
    """P(Binomial(n, p) = x) for ``0 <= x <= n``, ``0 < p < 1``, to a few ulps for any
    ``n`` (Loader's saddle-point form, as R's ``dbinom``: no cancellation of large
    log-factorials)."""
    q = 1.0 - p
    fn = np.float64(n)
    if x == 0:
        return math.exp(-_bd0(fn, fn * q) - fn * p if p < 0.1 else fn * math.log1p(-p))
    if x == n:
        return math.exp(-_bd0(fn, fn * p) - fn * q if q < 0.1 else fn * math.log(p))
    fx = np.float64(x)
    lc = (_stirlerr(fn) - _stirlerr(fx) - _stirlerr(fn - fx) - _bd0(fx, fn * p)
          - _bd0(fn - fx, fn * q))
    return math.exp(lc - 0.5 * (LOG_2PI + math.log(fx) + math.log1p(-fx / fn)))


#: :func:`binomial` sums the terms below the mode until one is this small against the sum
#: (below a 53-bit uniform's resolution: the rest of the lower tail cannot be drawn)
TAIL_STOP = 2.0 ** -60


@njit(inline="always", **NJIT)
def binomial(s, n, p):
    """Binomial(n, p): the quantile function at one uniform ``u`` from the stream ``s``.

    Returns the least ``x`` with ``u < F(x)``, ``F`` the distribution function:
    ``F(mode)`` (mode ``floor((n + 1) p)``) is summed from the probability at
    the mode (:func:`binomial_pmf`) and the ones below it by their ratios, until
    they vanish against the sum (:data:`TAIL_STOP`); then the walk goes down
    from the mode (``u < F(mode)``) or up, one term at a time. Cost: about the
    standard deviation, times a few (the lower tail's sum). Being the quantile
    function, it is monotone: for the same ``u``, ``n + 1`` gives at least what
    ``n`` gives (Binomial(n + 1, p) is stochastically larger), which couples
    spend levels (more impressions, a superset of adopters). ``n = 0``, ``p <=
    0`` and ``p >= 1`` take no draw. Returns ``(s, x)``. The part that depends
    on ``(n, p)`` only is :func:`binomial_head` (computed once per call by the
    campaign kernels, :func:`binomial_from`: the same draws).
    """
    if n <= 0 or p <= 0.0:
        return s, np.int64(0)
    if p >= 1.0:
        return s, n
    mode, pm, f = binomial_head(n, p)
    return binomial_from(s, n, p, mode, pm, f)


@njit(inline="always", **NJIT)
def binomial_head(n, p):
    """``(mode, P(mode), F(mode))`` of Binomial(n, p), ``n > 0``, ``0 < p < 1``, as
    :func:`binomial` sums them."""
    fn = np.float64(n)
    mode = min(np.int64((fn + 1.0) * p), n)
    pm = binomial_pmf(mode, n, p)
    rho = p / (1.0 - p)
    f = pm  # F(mode)
    t = pm
    x = mode
    while x > 0:  # p(x - 1) = p(x) x / ((n - x + 1) rho)
        fx = np.float64(x)
        t *= fx / ((fn - fx + 1.0) * rho)
        x -= 1
        f += t
        if t < f * TAIL_STOP:
            break
    return mode, pm, f


@njit(inline="always", **NJIT)
def binomial_from(s, n, p, mode, pm, f):
    """:func:`binomial`'s draw given :func:`binomial_head`'s ``(mode, pm, f)``."""
    fn = np.float64(n)
    rho = p / (1.0 - p)
    s = s + GOLDEN
    u = to_unit(mix64(s))
    t = pm
    x = mode
    c = f
    if u < f:  # x <= mode: down while u < F(x - 1) = F(x) - p(x)
        while x > 0:
            c -= t
            if u >= c:
                return s, x
            fx = np.float64(x)
            t *= fx / ((fn - fx + 1.0) * rho)
            x -= 1
        return s, x
    while x < n:  # up: p(x + 1) = p(x) (n - x) rho / (x + 1)
        fx = np.float64(x)
        t *= (fn - fx) * rho / (fx + 1.0)
        x += 1
        c += t
        if u < c or t == 0.0:  # (t == 0: the upper tail spent, u within rounding of 1)
            return s, x
    return s, x


@njit(inline="always", **NJIT)
def adopters_drawn(s, n, p, head):
    """:func:`binomial` with its head cached in ``head`` (float64 (3,): ``(mode, pm,
    F(mode))``, ``head[0] < 0``: not yet computed, filled now): the same draw."""
    if n <= 0 or p <= 0.0:
        return s, np.int64(0)
    if p >= 1.0:
        return s, n
    if head[0] < 0.0:
        mode, pm, f = binomial_head(n, p)
        head[0] = np.float64(mode)
        head[1] = pm
        head[2] = f
    return binomial_from(s, n, p, np.int64(head[0]), head[1], head[2])


@njit(**NJIT)
def ad_draws(ckey, aidx, a0, m, total, k, r, track_viewers, views, touched, head):
    """One ad's outcome in one world (the module's model and draws).

    ``aidx[a0:a0 + m]``: the segment; ``total`` impressions, cap ``k``,
    persuasion ``r``. On return ``touched[:nt]`` lists distinct members:
    every viewer when ``track_viewers`` (else at least the adopters, maybe
    more), each with ``views[v] & ADOPTED`` set iff it adopts; the caller
    resets ``views[v]`` to 0 for them (``views`` is all zero on entry).
    ``head``: float64 (3,), the binomial draw's part that depends on the ad
    only (:func:`adopters_drawn`: ``head[0] = -1`` the first time, then kept
    for the ad's other worlds). Returns ``nt``.
    """
    nt = 0
    if m == 0 or k == 0 or total <= 0:
        return nt
    if k == 1 or k <= total // m:  # a uniform d-subset sees it; the adopters a uniform subset
        d = min(total, m)
        q = r if k == 1 else 1.0 - (1.0 - r) ** k
        n_adopt = adopters_drawn(convert_key(ckey), d, q, head)[1]
        listing = track_viewers and d < m
        # who is seen: a byte per segment position for a segment not much larger than
        # the viewers (else the zeroing costs more than it saves), else marks in views
        in_bytes = listing and m <= BYTE_SEGMENT * d
        seen8 = np.zeros(m if in_bytes else 0, dtype=np.uint8)
        i = 0
        while nt < n_adopt:  # the first n_adopt distinct raw draws
            p = raw_member(ckey, i, m)
            v = aidx[a0 + p]
            i += 1
            if views[v] == 0:
                touched[nt] = v
                nt += 1
                views[v] = ADOPTED
                if in_bytes:
                    seen8[p] = 1
        if track_viewers and d == m:  # everyone: no need to draw them
            for i in range(m):
                v = aidx[a0 + i]
                x = views[v]
                touched[nt] = v  # kept iff new (branch-free: who is new is unpredictable)
                nt += x == 0
                views[v] = x | np.int64(1)
        elif listing and nt < d:
            batch = np.empty(RAW_BATCH, dtype=np.int64)
            while True:  # the raw draws go on
                _raw_batch(ckey, i, m, batch)
                i += RAW_BATCH
                if in_bytes:
                    for j in range(RAW_BATCH):
                        p = batch[j]
                        x = seen8[p]
                        touched[nt] = aidx[a0 + p]  # (branch-free, as above)
                        nt += x == 0
                        seen8[p] = 1
                        if nt == d:
                            return nt
                else:
                    for j in range(RAW_BATCH):  # (the same, marks in views)
                        v = aidx[a0 + batch[j]]
                        x = views[v]
                        touched[nt] = v
                        nt += x == 0
                        views[v] = x | np.int64(1)
                        if nt == d:
                            return nt
        return nt
    if k >= total:  # no cap binds: impression i goes to raw draw i
        if r > 0.0:  # the persuading impressions: a Bernoulli(r) process, as in a played delivery
            inv = 1.0 / math.log1p(-r) if r < 1.0 else -0.0
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
    # a binding cap k > 1: play the delivery (views[v] counts v's impressions)
    inv = 1.0 / math.log1p(-r) if r < 1.0 else -0.0
    next_conv = total
    s = convert_key(ckey)
    if r > 0.0:
        s, next_conv = next_success(s, np.int64(-1), total, inv)
    done = np.int64(0)
    i = 0
    batch = np.empty(RAW_BATCH, dtype=np.int64)
    # impressions per member, by position in the segment (k < total <= 2**62: one byte
    # holds min(k, 255)), for a segment not much larger than the impressions; a cap
    # above 255 or a larger segment counts in views instead (the same draws)
    small = k < 255 and m <= BYTE_SEGMENT * total
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


#: an ad's views are counted in a byte per segment member (zeroed in every world) when the
#: segment has at most this many members per impression (a cap-1 ad's listed viewers: per
#: viewer), else in ``views`` (the same draws either way). Measured (one thread, 1M
#: consumers, 400 and 4,000 impressions): the bytes are faster up to 64 members per
#: impression (0.6-0.9x the time), the views from about 100-250 (cap 1) and 250-1,000
#: (cap 3), where the zeroing costs more than the delivery's cache misses in ``views``
BYTE_SEGMENT = 64

#: raw draws computed at a time (:func:`_raw_batch`): a loop the compiler vectorizes
RAW_BATCH = 64


@njit(inline="always", **NJIT)
def _raw_batch(ckey, i, m, out):
    """``out[j] = raw_member(ckey, i + j, m)`` for every ``j``."""
    for j in range(out.shape[0]):
        out[j] = raw_member(ckey, i + j, m)


# ------------------------------------------------------------ viewers left unlisted
@njit(inline="always", **NJIT)
def unlisted_viewers(m, total, k):
    """Distinct viewers of an ad whose viewers need not be listed, else ``-1``.

    An ad to a segment of ``m`` members (everyone, or a segment) with a cap of
    1 or a delivery that brings every member to the cap (``total >= k * m``)
    has ``d = min(total, m)`` distinct viewers, a fixed number, and, given its
    ``a`` adopters (drawn as :func:`ad_draws` without viewers), the other ``d -
    a`` are a uniform subset of the segment's ``m - a`` other members: all
    exposure needs of them is how many fall among the members seen otherwise
    (:func:`place_viewers`). Which of these ads a kernel leaves unlisted:
    :func:`viralsim._kernels.campaign.unlisted_ads`.
    """
    if m > 0 and total > 0 and (k == 1 or k <= total // m):
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
def place_viewers(s, pop, draws, covered, cells, series, used, lf):
    """Where an ad's unlisted viewers fall, given everyone else's views.

    ``draws`` viewers are a uniform subset of ``pop`` people (the ad's segment
    less its adopters), of whom ``covered`` were shown the campaign before
    word of mouth (by a channel) and ``cells[t]`` first saw it in round ``t =
    1 .. used - 1`` of the cascade (the round's new viewers who are in the
    segment; ``cells``: a row of per-round totals whose last column collects
    that round and later ones). Multivariate hypergeometric, one cell after
    the other (:func:`hypergeometric`, from stream ``s``): the viewers among
    round ``t``'s come off ``cells[t]`` and, unless it is empty, ``series[t]``
    (the round's new viewers, everyone: they saw it from the channel, before).
    Returns ``(new channel viewers, cascade viewers moved)``.
    """
    s, x = hypergeometric(s, pop, covered, draws, lf)
    new = draws - x
    left = new
    pop -= covered
    moved = np.int64(0)
    both = series.shape[0] > 0
    for t in range(1, used):
        if left == 0:
            break
        r = cells[t]
        s, x = hypergeometric(s, pop, r, left, lf)
        cells[t] = r - x
        if both:
            series[t] -= x
        moved += x
        left -= x
        pop -= r
    return new, moved
