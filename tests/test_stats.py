"""viralsim.stats: every interval against a closed form or scipy.stats."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from viralsim import stats


@pytest.mark.parametrize("c", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1 - 1e-9])
def test_normal_quantile_is_scipys(c):
    want = float(sps.norm.ppf(0.5 + c / 2))
    assert abs(stats.normal_quantile(c) - want) <= 1e-15 * want


@pytest.mark.parametrize("c", [1.0, 1 - 1e-17, 0.0 - 1e-3, 2.0])
def test_normal_quantile_refuses_infinite_intervals(c):
    with pytest.raises(ValueError, match="too close to 1"):
        stats.normal_quantile(c)


@pytest.mark.parametrize("n", [2, 3, 5, 30, 1000, 10**6, 10**7])
@pytest.mark.parametrize("c", [0.8, 0.95, 0.99])
def test_t_quantile_is_students(n, c):
    want = float(sps.t.ppf(0.5 + c / 2, n - 1))
    assert stats.t_quantile(c, n) == pytest.approx(want, rel=1e-12)


def test_t_quantile_falls_back_to_the_normal():
    z = stats.normal_quantile(0.95)
    assert stats.t_quantile(0.95, None) == z
    assert stats.t_quantile(0.95, 1) == z
    assert stats.t_quantile(0.95, 10**7 + 1) == z
    # t for 2 worlds at 95%: 12.706204736174698 (the textbook value)
    assert stats.t_quantile(0.95, 2) == pytest.approx(12.706204736174698, rel=1e-12)


def test_mean_interval_by_hand():
    # values 1, 2, 3, 6: mean 3, sample variance (4 + 1 + 0 + 9) / 3 = 14 / 3
    vals = [1, 2, 3, 6]
    mean, se, lo, hi = stats.mean_interval(sum(vals), sum(v * v for v in vals), 4, 0.9)
    want_se = math.sqrt(14 / 3 / 4)
    t = float(sps.t.ppf(0.95, 3))
    assert mean == 3.0
    assert se == pytest.approx(want_se, rel=1e-15)
    assert (lo, hi) == pytest.approx((3 - t * want_se, 3 + t * want_se), rel=1e-12)
    # float sums give the same interval to rounding
    f = stats.mean_interval(12.0, 50.0, 4, 0.9)
    assert f == pytest.approx((mean, se, lo, hi), rel=1e-12)


def test_mean_interval_exact_with_ints_where_floats_cancel():
    # 10**9 + {0, 1}: the float formula loses the variance, Python ints keep it exactly
    big = 10**9
    mean, se, _, _ = stats.mean_interval(2 * big + 1, big * big + (big + 1) ** 2, 2, 0.95)
    assert mean == big + 0.5 and se == 0.5


def test_mean_interval_of_one_value_has_no_width():
    mean, se, lo, hi = stats.mean_interval(5, 25, 1, 0.95)
    assert mean == 5.0 and math.isnan(se) and math.isnan(lo) and math.isnan(hi)


def test_sample_interval_matches_mean_interval():
    x = np.random.default_rng(0).integers(0, 100, 57).astype(np.float64)
    got = stats.sample_interval(x, 0.95)
    want = stats.mean_interval(float(x.sum()), float((x * x).sum()), x.size, 0.95)
    assert got == pytest.approx(want, rel=1e-12)
    assert stats.sample_interval(np.array([4.0]), 0.95) == (4.0, 0.0, 4.0, 4.0)


def test_paired_difference_by_hand():
    a = np.array([5, 7, 9, 100])
    b = np.array([4, 4, 4])  # the shorter decides: 3 pairs, differences 1, 3, 5
    mean, se, lo, hi = stats.paired_difference(a, b, 0.95)
    t = float(sps.t.ppf(0.975, 2))
    assert mean == 3.0 and se == pytest.approx(2 / math.sqrt(3), rel=1e-15)
    assert (lo, hi) == pytest.approx((3 - t * 2 / math.sqrt(3), 3 + t * 2 / math.sqrt(3)))
    # one world: no spread measured, a zero-width interval (as the campaign reports it)
    assert stats.paired_difference(a[:1], b[:1], 0.95) == (1.0, 0.0, 1.0, 1.0)
    # unsigned counts do not wrap: the difference is taken in float64
    m, *_ = stats.paired_difference(np.array([1, 1], np.uint32), np.array([3, 3], np.uint32),
                                    0.95)
    assert m == -2.0


def test_t_interval_and_unpaired_stderr():
    assert stats.unpaired_stderr(0.3, 0.4) == pytest.approx(0.5)
    lo, hi = stats.t_interval(1.0, 0.5, 0.95, 11)
    t = float(sps.t.ppf(0.975, 10))
    assert (lo, hi) == pytest.approx((1 - 0.5 * t, 1 + 0.5 * t), rel=1e-12)


@pytest.mark.parametrize("c", [0.9, 0.95, 0.99])
def test_rule_of_three(c):
    # P(no event in n worlds) = (1 - q)^n = 1 - c at the bound's q, to first order: the
    # relative gap is about n q^2 / 2 = ln(1 - c)^2 / (2 n), 0.0106 for c = 0.99
    n = 1000
    q = stats.rule_of_three(c, n)
    assert q == pytest.approx(-math.log(1 - c) / n, rel=1e-15)
    assert (1 - q) ** n == pytest.approx(1 - c, rel=math.log(1 - c) ** 2 / n)
    assert stats.rule_of_three(0.95, 1000) == pytest.approx(3 / 1000, rel=0.002)


def test_few_cascades_interval_covers_clopper_pearson():
    m, n, usual, c = 2, 500, 1.0, 0.95
    mean = usual + (m / n) * 50.0  # the two differing worlds averaged 50 more adopters
    lo, hi = stats.few_cascades_interval(mean, mean - 0.01, mean + 0.01, usual, m, n, c)
    # Clopper-Pearson through scipy.stats.beta: the ends of m / n's interval
    p_lo = float(sps.beta.ppf(0.025, m, n - m + 1))
    p_hi = float(sps.beta.ppf(0.975, m + 1, n - m))
    assert lo == pytest.approx(usual + p_lo * 50.0, rel=1e-9)
    assert hi == pytest.approx(usual + p_hi * 50.0, rel=1e-9)
    # never narrower than the t interval, untouched outside (0, MIN_SPREAD) or m == n
    wide = stats.few_cascades_interval(mean, 0.0, 1e6, usual, m, n, c)
    assert wide == (0.0, 1e6)
    for k in (0, stats.MIN_SPREAD, n):
        assert stats.few_cascades_interval(mean, 1.0, 2.0, usual, k, n, c) == (1.0, 2.0)


def test_slope_interval_against_polyfit_and_linregress():
    rng = np.random.default_rng(3)
    x = np.log(np.repeat([1e3, 3e3, 1e4, 3e4], 3))
    y = 0.8 * x - 9.0 + rng.normal(0.0, 0.1, x.size)
    b, a, se, lo, hi = stats.slope_interval(x, y, 0.95)
    (pb, pa), cov = np.polyfit(x, y, 1, cov="unscaled")
    # by hand: the residuals' variance over n - 2 times the unscaled covariance
    resid = y - (pa + pb * x)
    assert (b, a) == pytest.approx((pb, pa), rel=1e-12)
    assert se == pytest.approx(math.sqrt(resid @ resid / (x.size - 2) * cov[0, 0]), rel=1e-10)
    lr = sps.linregress(x, y)
    t = float(sps.t.ppf(0.975, x.size - 2))
    assert se == pytest.approx(lr.stderr, rel=1e-10)
    assert (lo, hi) == pytest.approx((lr.slope - t * lr.stderr, lr.slope + t * lr.stderr),
                                     rel=1e-10)


def test_slope_interval_covers_the_true_slope():
    """3 repeats at 4 sizes, Gaussian noise: the 90% interval covers the slope in
    90% of 2,000 studies, within 4 binomial standard deviations (0.027)."""
    rng = np.random.default_rng(11)
    x = np.log(np.repeat([1e3, 1e4, 1e5, 1e6], 3))
    hits = 0
    n = 2000
    for _ in range(n):
        y = 0.75 * x + rng.normal(0.0, 0.3, x.size)
        _, _, _, lo, hi = stats.slope_interval(x, y, 0.90)
        hits += lo <= 0.75 <= hi
    assert abs(hits / n - 0.90) <= 4 * math.sqrt(0.9 * 0.1 / n)


def test_slope_interval_edges():
    b, a, se, lo, hi = stats.slope_interval([1.0, 2.0], [3.0, 5.0], 0.95)
    assert (b, a) == (2.0, 1.0) and all(math.isnan(v) for v in (se, lo, hi))
    assert stats.slope_interval([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], 0.95)[2:] == (0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="every x is the same"):
        stats.slope_interval([1.0, 1.0, 1.0], [1.0, 2.0, 3.0], 0.95)
    with pytest.raises(ValueError, match="two points or more"):
        stats.slope_interval([1.0], [1.0], 0.95)
