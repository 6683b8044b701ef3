"""Plain-Python twin of an ad buy's draws (``viralsim._kernels.ads`` module docstring).

Nothing here imports the kernels: the draws are re-derived from the documented
definitions with the stream helpers of ``tests/naive.py``.
"""

import math

from .naive import GOLDEN, MASK64, mix64, unit, unit_open0

DOMAIN_CONVERT = 0x3A3A3A3A3A3A3A3A


def raw_member(key, i, m):
    """Raw draw i of the stream of ``key``: a position in 0 .. m - 1."""
    return min(int(unit(mix64((key + (i + 1) * GOLDEN) & MASK64)) * m), m - 1)


STIRLERR_SMALL = [0.0] + [math.lgamma(i + 1.0) - (i + 0.5) * math.log(i) + i
                          - 0.5 * math.log(2.0 * math.pi) for i in range(1, 16)]


def stirlerr(n):
    """log n! - (n + 1/2) log n + n - log sqrt(2 pi): a table to 15, then Stirling's series."""
    if n <= 15.0:
        return STIRLERR_SMALL[int(n)]
    nn = n * n
    s0, s1, s2 = 0.083333333333333333333, 0.00277777777777777777778, 0.00079365079365079365079365
    s3, s4 = 0.000595238095238095238095238, 0.0008417508417508417508417508
    if n > 500.0:
        return (s0 - s1 / nn) / n
    if n > 80.0:
        return (s0 - (s1 - s2 / nn) / nn) / n
    if n > 35.0:
        return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n
    return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n


def bd0(x, m):
    """x log(x / m) + m - x, by its series near x = m."""
    if abs(x - m) < 0.1 * (x + m):
        v = (x - m) / (x + m)
        s = (x - m) * v
        ej = 2.0 * x * v
        v = v * v
        for j in range(1, 1000):
            ej *= v
            s1 = s + ej / float(2 * j + 1)
            if s1 == s:
                return s1
            s = s1
        return s
    return x * math.log(x / m) + m - x


def binomial_pmf(x, n, p):
    """P(Binomial(n, p) = x): Loader's saddle-point form (R's dbinom)."""
    q, fn = 1.0 - p, float(n)
    if x == 0:
        return math.exp(-bd0(fn, fn * q) - fn * p if p < 0.1 else fn * math.log1p(-p))
    if x == n:
        return math.exp(-bd0(fn, fn * p) - fn * q if q < 0.1 else fn * math.log(p))
    fx = float(x)
    lc = stirlerr(fn) - stirlerr(fx) - stirlerr(fn - fx) - bd0(fx, fn * p) - bd0(fn - fx, fn * q)
    return math.exp(lc - 0.5 * (math.log(2.0 * math.pi) + math.log(fx) + math.log1p(-fx / fn)))


def binomial(s, n, p):
    """Binomial(n, p): the quantile function (least x with u < F(x)) at one uniform of the
    stream ``s``: F(mode) summed from the mode down until a term is below 2**-60 of the
    sum, then a walk down or up from the mode. Returns ``(s, x)``."""
    if n <= 0 or p <= 0.0:
        return s, 0
    if p >= 1.0:
        return s, n
    fn = float(n)
    mode = min(int((fn + 1.0) * p), n)
    pm = binomial_pmf(mode, n, p)
    rho = p / (1.0 - p)
    f, t, x = pm, pm, mode
    while x > 0:
        t *= x / ((fn - x + 1.0) * rho)
        x -= 1
        f += t
        if t < f * 2.0 ** -60:
            break
    s = (s + GOLDEN) & MASK64
    u = unit(mix64(s))
    t, x, c = pm, mode, f
    if u < f:
        while x > 0:
            c -= t
            if u >= c:
                return s, x
            t *= x / ((fn - x + 1.0) * rho)
            x -= 1
        return s, x
    while x < n:
        t *= (fn - x) * rho / (x + 1.0)
        x += 1
        c += t
        if u < c or t == 0.0:
            return s, x
    return s, x


def successes(key, n, p):
    """Positions in 0 .. n - 1 of a Bernoulli(p) process drawn by geometric skipping."""
    if p <= 0.0:
        return []
    inv = 1.0 / math.log1p(-p) if p < 1.0 else -0.0
    out, s, pos = [], key, -1
    while True:
        s = (s + GOLDEN) & MASK64
        gap = math.floor(math.log(unit_open0(mix64(s))) * inv)
        if gap >= n - 1 - pos:
            return out
        pos += 1 + gap
        out.append(pos)


def naive_ad(ckey, segment, total, cap, r, viewers=True):
    """An ad's ``(adopters, viewers)`` as sets of members (viewers: None if not asked).

    Delivery as the model says: impression i to a member drawn uniformly among
    those below the cap, played one impression at a time except where the
    module's shortcut is exact (cap 1 or everyone at the cap: how many adopt in
    one binomial draw; no binding cap: impression i to raw draw i).
    """
    m = len(segment)
    if m == 0 or total <= 0:
        return set(), (set() if viewers else None)
    conv = mix64(ckey ^ DOMAIN_CONVERT)
    if cap == 1 or total >= cap * m:  # a uniform d-subset sees it, Binomial(d, q) of them adopt
        d = min(total, m)
        q = r if cap == 1 else 1.0 - (1.0 - r) ** cap
        n_adopt = binomial(conv, d, q)[1]
        order, i = [], 0
        while len(order) < n_adopt:  # the first n_adopt distinct raw draws
            v = segment[raw_member(ckey, i, m)]
            i += 1
            if v not in order:
                order.append(v)
        seen = set(order)
        while viewers and len(seen) < d:
            seen.add(segment[raw_member(ckey, i, m)])
            i += 1
        return set(order), (seen if viewers else None)
    if cap >= total:  # impression i to raw draw i, persuading at a Bernoulli(r) process
        adopt = {segment[raw_member(ckey, i, m)] for i in successes(conv, total, r)}
        seen = {segment[raw_member(ckey, i, m)] for i in range(total)}
        return adopt, (seen if viewers else None)
    conv_at = set(successes(conv, total, r))
    views, adopt, done, i = {}, set(), 0, 0
    while done < total:
        v = segment[raw_member(ckey, i, m)]
        i += 1
        if views.get(v, 0) < cap:
            views[v] = views.get(v, 0) + 1
            if done in conv_at:
                adopt.add(v)
            done += 1
    return adopt, (set(views) if viewers else None)


# ------------------------------------------------------------ viewers left unlisted
DOMAIN_VIEWERS = 0x4D4D4D4D4D4D4D4D


def unlisted(n, m, total, cap):
    """Distinct viewers of an ad whose viewers the kernel may leave unlisted, else None:
    cap 1 or every member at the cap (``m`` members; ``n`` consumers: unused, kept for
    callers that pass it)."""
    if m > 0 and total > 0 and (cap == 1 or total >= cap * m):
        return min(total, m)
    return None


def lazy_ads(n, ads):
    """Which ads of a plan are left unlisted: ``ads`` lists ``(c, audience, total, cap)``
    for the plan's ads, in order; returns ``{c: viewers}``. Every qualifying ad to all
    ``n`` consumers, and qualifying ads to a segment whose audience is that of the
    first qualifying ad to a segment (one segment per plan)."""
    out, seg = {}, None
    for c, aud, total, cap in ads:
        d = unlisted(n, len(aud), total, cap)
        if d is None:
            continue
        if len(aud) < n:
            if seg is None:
                seg = sorted(aud)
            elif sorted(aud) != seg:
                continue
        out[c] = d
    return out


def hypergeometric(s, pop, good, draws, lf):
    """Hypergeometric(pop, good, draws): up to 16 on the smaller side, item by item;
    else by inversion from the mode (``lf[i] = log i!``), stepping down and up in
    turn, one uniform of the stream ``s``. Returns ``(s, x)``."""
    if draws <= 0 or good <= 0:
        return s, 0
    if good >= pop:
        return s, draws
    if draws >= pop:
        return s, good
    j = min(good, draws)
    if j <= 16:  # the smaller side's items one by one: item i is in with prob. left / (pop - i)
        left, x = max(good, draws), 0
        for i in range(j):
            s = (s + GOLDEN) & MASK64
            hit = unit(mix64(s)) * float(pop - i) < float(left)
            x += hit
            left -= hit
        return s, x
    bad = pop - good
    lo, hi = max(0, draws - bad), min(draws, good)
    if lo == hi:
        return s, lo
    mode = min(max(int(float(draws + 1) * float(good + 1) / float(pop + 2)), lo), hi)
    pm = math.exp(lf[good] - lf[mode] - lf[good - mode] + lf[bad] - lf[draws - mode]
                  - lf[bad - draws + mode] - lf[pop] + lf[draws] + lf[pop - draws])
    s = (s + GOLDEN) & MASK64
    u = unit(mix64(s)) - pm
    if u < 0.0:
        return s, mode
    g, d, b = float(good), float(draws), float(bad)
    xl, xh, pl, ph = mode, mode, pm, pm
    while xl > lo or xh < hi:
        if xl > lo:
            x = float(xl)
            pl *= x * (b - d + x) / ((g - x + 1.0) * (d - x + 1.0))
            xl -= 1
            u -= pl
            if u < 0.0:
                return s, xl
        if xh < hi:
            x = float(xh)
            ph *= (g - x) * (d - x) / ((x + 1.0) * (b - d + x + 1.0))
            xh += 1
            u -= ph
            if u < 0.0:
                return s, xh
        if pl == 0.0 and ph == 0.0:
            break
    return s, mode


def place_unlisted(ckey, n, d, a, covered, rounds, lf):
    """An unlisted ad's ``d`` viewers (``a`` of them its adopters, seen already) among
    ``n`` consumers: ``covered`` seen from a channel (adopters included),
    ``rounds[t - 1]`` first seen in cascade round ``t``. The other ``d - a`` are a
    uniform subset of the other ``n - a``: multivariate hypergeometric over (covered,
    round 1, round 2, ..., the rest). Returns ``(channel viewers, rounds after)``."""
    s = mix64(ckey ^ DOMAIN_VIEWERS)
    s, x = hypergeometric(s, n - a, covered - a, d - a, lf)
    new = left = d - a - x
    pop = n - covered
    out = list(rounds)
    for t, r in enumerate(rounds):
        if left == 0:
            break
        s, x = hypergeometric(s, pop, r, left, lf)
        out[t] -= x
        left -= x
        pop -= r
    return covered + new, out
