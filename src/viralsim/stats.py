"""Confidence intervals of Monte Carlo means: the one home of viralsim's interval arithmetic.

Every interval the package reports comes from here: Student's t for a mean
(from its sums, or from the per-world values), the rule of three when no
world varied, the widening of a mean driven by a few rare cascades, and the
paired difference of two estimates measured in the same worlds (common random
numbers). The functions take and return plain floats: the result classes
(:class:`viralsim.Estimate`, :class:`viralsim.ComparisonTable`) wrap them.

Importing this module is cheap: scipy's special functions are imported inside
the functions that need them (scipy.stats is never imported: it costs 0.35 s
in every process).
"""

import math
from statistics import NormalDist

import numpy as np

__all__ = [
    "MIN_SPREAD",
    "normal_quantile",
    "t_quantile",
    "mean_interval",
    "sample_interval",
    "t_interval",
    "rule_of_three",
    "few_cascades_interval",
    "paired_difference",
    "unpaired_stderr",
    "slope_interval",
]

#: below this many worlds whose reach differs from the most common one, the t
#: interval is not trusted alone (see :func:`few_cascades_interval`) and precision
#: mode of :func:`viralsim.estimate_reach` goes on
MIN_SPREAD = 30

#: past this many worlds the normal quantile is used: it agrees with Student's to 1e-7
_T_MAX_WORLDS = 10**7


def normal_quantile(confidence):
    """The two-sided standard normal quantile ``z`` of a confidence level.

    Parameters
    ----------
    confidence : float in (0, 1)

    Returns
    -------
    float
        ``z`` with ``P(|Z| <= z) = confidence`` (1.959963984540054 at 95%).

    Raises
    ------
    ValueError
        ``confidence`` so close to 1 (or outside (0, 1)) that ``z`` would be
        infinite.

    Notes
    -----
    Wichura's AS 241 through :class:`statistics.NormalDist`, to double
    precision; not scipy.stats's, whose import costs 0.35 s in every process
    (the command line's and each parallel sweep worker's).

    Examples
    --------
    >>> from viralsim.stats import normal_quantile
    >>> round(normal_quantile(0.95), 6)
    1.959964
    """
    p = 0.5 + confidence / 2.0
    if not 0.5 <= p < 1.0:
        raise ValueError(f"confidence={confidence!r} is too close to 1 (or not in (0, 1)): the "
                         f"interval would be infinite. Use e.g. 0.95 or 0.999999.")
    return NormalDist().inv_cdf(p)


def t_quantile(confidence, n):
    """The two-sided quantile of a confidence interval for a mean of ``n`` worlds.

    Parameters
    ----------
    confidence : float in (0, 1)
    n : int or None
        Number of values averaged.

    Returns
    -------
    float
        Student's t quantile with ``n - 1`` degrees of freedom (with 30
        worlds the normal's 1.96 covered 92.6% of a star's exact mean at
        95%); the normal quantile when ``n`` is None, below 2 or above
        ``10**7`` (where the two agree to 1e-7).

    Raises
    ------
    ValueError
        ``confidence`` too close to 1 (see :func:`normal_quantile`).

    Examples
    --------
    >>> from viralsim.stats import t_quantile
    >>> round(t_quantile(0.95, 2), 4), round(t_quantile(0.95, 30), 4)
    (12.7062, 2.0452)
    """
    if n is None or n > _T_MAX_WORLDS or n < 2:
        return normal_quantile(confidence)
    from scipy.special import stdtrit  # scipy is loaded with Numba by now

    q = float(stdtrit(n - 1, 0.5 + confidence / 2.0))
    if not math.isfinite(q):  # 0.5 + confidence / 2 rounded to 1: normal_quantile says so
        return normal_quantile(confidence)
    return q


def t_interval(mean, stderr, confidence, n):
    """``mean ± t·stderr``, with ``t`` :func:`t_quantile` for ``n`` values.

    Parameters
    ----------
    mean, stderr : float
    confidence : float in (0, 1)
    n : int
        Values the standard error was measured on.

    Returns
    -------
    low, high : float

    Examples
    --------
    >>> from viralsim.stats import t_interval
    >>> low, high = t_interval(10.0, 0.5, 0.95, 10**8)  # the normal's 1.96
    >>> round(low, 4), round(high, 4)
    (9.02, 10.98)
    """
    h = t_quantile(confidence, n) * stderr
    return mean - h, mean + h


def mean_interval(total, total_sq, n, confidence):
    """Mean, standard error and t interval from the sum and sum of squares of ``n`` values.

    Parameters
    ----------
    total, total_sq : int or float
        ``sum(x)`` and ``sum(x * x)``. Python ints give an exact variance
        numerator (one rounding at the end).
    n : int >= 1
    confidence : float in (0, 1)

    Returns
    -------
    mean, stderr, low, high : float
        The sample variance (``n - 1`` in the denominator, never below 0)
        over ``n``; one value gives no variance: NaN standard error and
        interval.

    Examples
    --------
    The values 1, 2, 3: mean 2, sample variance 1, standard error 1/√3, and
    the t quantile for 2 degrees of freedom (4.3027 at 95%):

    >>> from viralsim.stats import mean_interval
    >>> mean, se, low, high = mean_interval(6, 14, 3, 0.95)
    >>> mean, round(se, 6), round(low, 4), round(high, 4)
    (2.0, 0.57735, -0.4841, 4.4841)
    """
    mean = total / n
    if n <= 1:
        var = math.nan
    elif isinstance(total, int) and isinstance(total_sq, int):
        var = (n * total_sq - total * total) / (n * (n - 1))  # exact numerator, one rounding
    else:
        var = max((total_sq - total * total / n) / (n - 1), 0.0)
    se = math.sqrt(var / n)
    low, high = t_interval(mean, se, confidence, n)
    return mean, se, low, high


def sample_interval(values, confidence):
    """Mean, standard error and t interval of the values in an array.

    Parameters
    ----------
    values : ndarray of float
        One value per world.
    confidence : float in (0, 1)

    Returns
    -------
    mean, stderr, low, high : float
        Standard error from the sample standard deviation (``ddof=1``);
        0 with fewer than two values.

    Examples
    --------
    >>> import numpy as np
    >>> from viralsim.stats import sample_interval
    >>> mean, se, low, high = sample_interval(np.array([1.0, 2.0, 3.0]), 0.95)
    >>> mean, round(se, 6), round(low, 4), round(high, 4)
    (2.0, 0.57735, -0.4841, 4.4841)
    """
    n = values.size
    m = float(values.mean())
    se = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    low, high = t_interval(m, se, confidence, n)
    return m, se, low, high


def paired_difference(a, b, confidence):
    """Mean of ``a - b`` per world with its t interval (common random numbers).

    Parameters
    ----------
    a, b : ndarray
        Per-world values of two seed sets measured in the same worlds (world
        ``i`` of each); the first ``min(len(a), len(b))`` worlds are paired.
    confidence : float in (0, 1)

    Returns
    -------
    mean, stderr, low, high : float
        Of the differences ``d_i = a_i - b_i`` (as float64): ``stderr =
        sd(d) / √n`` with ``ddof=1`` (0 for a single world), and ``mean ±
        t·stderr`` with ``t`` :func:`t_quantile` for ``n`` worlds.

    Examples
    --------
    >>> import numpy as np
    >>> from viralsim.stats import paired_difference
    >>> mean, se, low, high = paired_difference(np.array([3, 4, 5, 9]), np.array([1, 2, 3]), 0.95)
    >>> mean, se, low, high
    (2.0, 0.0, 2.0, 2.0)
    """
    n = min(a.size, b.size)
    d = a[:n].astype(np.float64) - b[:n].astype(np.float64)
    return sample_interval(d, confidence)


def unpaired_stderr(stderr_a, stderr_b):
    """Standard error of a difference of two independent estimates: ``√(se_a² + se_b²)``.

    What the difference's interval would be without common random numbers;
    :func:`viralsim.compare_strategies` reports it beside the paired one.

    Examples
    --------
    >>> from viralsim.stats import unpaired_stderr
    >>> unpaired_stderr(3.0, 4.0)
    5.0
    """
    return math.sqrt(stderr_a**2 + stderr_b**2)


def rule_of_three(confidence, n):
    """Upper bound, at ``confidence``, on the chance of an event none of ``n`` worlds showed.

    Parameters
    ----------
    confidence : float in (0, 1)
    n : int >= 1

    Returns
    -------
    float
        ``-ln(1 - confidence) / n``: about ``3 / n`` at 95%.

    Examples
    --------
    >>> from viralsim.stats import rule_of_three
    >>> round(rule_of_three(0.95, 1000), 6)
    0.002996
    """
    return -math.log1p(-confidence) / n


def few_cascades_interval(mean, low, high, usual, m, n, confidence):
    """Widen the t interval of a mean driven by a few rare worlds.

    When only ``m`` of ``n`` worlds (``0 < m < MIN_SPREAD``) differ from the
    most common value ``usual`` (typically: the seeds' cascade did not
    spread), the mean is ``usual + P(differ) * E[value - usual | differ]``
    and the t interval misjudges the first factor (with 1 or 2 spreading
    worlds in 1,000 it covered about 86% at 95%). The interval returned also
    covers ``usual + [p_lo, p_hi] * mean difference``, with ``[p_lo, p_hi]``
    the Clopper-Pearson interval of ``m / n``. The difference per such world
    is taken as observed: for heavy-tailed cascade sizes no interval from so
    few of them is reliable.

    Parameters
    ----------
    mean, low, high : float
        The estimate and its t interval.
    usual : float
        The most common value.
    m, n : int
        Worlds whose value differs from ``usual``, and all worlds.
    confidence : float in (0, 1)

    Returns
    -------
    low, high : float
        ``(low, high)`` unchanged unless ``0 < m < MIN_SPREAD`` and ``m < n``.

    Examples
    --------
    One world in 100 spread to 101 adopters, the others stayed at 1:

    >>> from viralsim.stats import few_cascades_interval
    >>> low, high = few_cascades_interval(2.0, 0.0, 4.0, 1.0, 1, 100, 0.95)
    >>> low, round(high, 4)
    (0.0, 6.4459)
    >>> few_cascades_interval(2.0, 0.0, 4.0, 1.0, 40, 100, 0.95)
    (0.0, 4.0)
    """
    if not 0 < m < MIN_SPREAD or m >= n:
        return low, high
    from scipy.special import betaincinv  # scipy is loaded with Numba by now

    a = 1.0 - confidence
    p_lo = float(betaincinv(m, n - m + 1, a / 2))
    p_hi = float(betaincinv(m + 1, n - m, 1 - a / 2))
    diff = (mean - usual) / (m / n)
    ends = (usual + p_lo * diff, usual + p_hi * diff)
    return min(low, *ends), max(high, *ends)


def slope_interval(x, y, confidence):
    """Least-squares slope of ``y`` on ``x`` with its standard error and t interval.

    Parameters
    ----------
    x, y : array-like of float
        Paired values (for a power law, the logs of size and time: every
        repeat of each size a point of its own).
    confidence : float in (0, 1)

    Returns
    -------
    slope, intercept, stderr, low, high : float
        Ordinary least squares; ``stderr = sqrt(SSR / (n - 2) / Sxx)`` and
        ``slope ± t·stderr`` with Student's t for ``n - 2`` degrees of
        freedom. With two points (no degrees of freedom left) the standard
        error and interval are NaN.

    Raises
    ------
    ValueError
        Fewer than two points, ``x`` and ``y`` of different lengths, or all
        ``x`` equal (no slope).

    Examples
    --------
    Times of 3 repeats at each of 3 sizes, on log-log axes:

    >>> import numpy as np
    >>> from viralsim.stats import slope_interval
    >>> edges = np.repeat([1e3, 1e4, 1e5], 3)
    >>> times = np.array([1.0, 1.1, 0.9, 8.0, 9.0, 8.5, 70.0, 80.0, 75.0])
    >>> b, a, se, lo, hi = slope_interval(np.log(edges), np.log(times), 0.95)
    >>> round(b, 4), round(se, 4), round(lo, 4), round(hi, 4)
    (0.9379, 0.0128, 0.9076, 0.9683)
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.size != y.size or x.size < 2:
        raise ValueError(f"slope_interval needs paired x and y of two points or more; got "
                         f"{x.size} x and {y.size} y values. Pass one y per x.")
    dx = x - x.mean()
    sxx = float(dx @ dx)
    if sxx == 0.0:
        raise ValueError("slope_interval: every x is the same, so there is no slope; measure "
                         "at two sizes or more.")
    slope = float(dx @ (y - y.mean())) / sxx
    icpt = float(y.mean() - slope * x.mean())
    n = x.size
    if n < 3:
        return slope, icpt, math.nan, math.nan, math.nan
    resid = y - (icpt + slope * x)
    se = math.sqrt(float(resid @ resid) / (n - 2) / sxx)
    low, high = t_interval(slope, se, confidence, n - 1)  # n - 1 values: n - 2 df
    return slope, icpt, se, low, high
