"""Numbers as people read them: a mean with its interval, significant digits.

Used by the core's ``__str__`` methods and by the reports; plain functions of
floats, with no import of the presentation layer (:mod:`viralsim.report`
re-exports them under their old names).
"""

import math
import re

__all__ = ["plus_minus", "ci_digits", "is_asymmetric", "sig_fig", "escape_md"]

# Markdown's inline syntax (emphasis, code, links, table cells, strikethrough)
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~])")
# an underscore emphasises only at a word's edge: "rng_seed" stays as written
_MD_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def escape_md(text):
    r"""User text (a plan's name, a seed's label, a file name) made safe to put in
    Markdown, in a table cell or a sentence: HTML is shown, not run (``<`` ``>``
    ``&`` as entities), and ``|`` ``*`` ``_`` backticks ``[`` ``]`` ``~`` and
    backslashes are shown as written instead of making a column, emphasis, code
    or a link; a line break becomes a space.

    Examples
    --------
    >>> from viralsim.formatting import escape_md
    >>> print(escape_md("a|b <script>x</script> *y*"))
    a\|b &lt;script&gt;x&lt;/script&gt; \*y\*
    >>> print(escape_md("rng_seed _z_ [l](u)"))
    rng_seed \_z\_ \[l\](u)
    """
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = _MD_UNDERSCORE.sub(r"\\_", s)
    return " ".join(s.splitlines()) if ("\n" in s or "\r" in s) else s


def plus_minus(mean, low, high, digits=None):
    """``"2,480 ± 90"`` from a mean and its CI, or ``"1.00 (1.00 to 1.12)"`` when
    the CI is not symmetric about the mean.

    By default both are rounded at the half-width's first one or two
    significant digits (two when they read 10 to 35, as the Particle Data
    Group rounds uncertainties): ``21.3 ± 0.4``, ``25.5 ± 2.5``,
    ``4,616 ± 22``; a table-wide rule showed the first as ``21 ± 0``.
    A one-sided interval (the rule of three's, when every world had the same
    reach) or a skewed one (few cascades spread) is written as its two ends:
    "± half-width" would put one end where it is not.

    Parameters
    ----------
    mean, low, high : float
        The estimate and its confidence interval.
    digits : int, optional
        Decimals to show; default from the half-width (:func:`ci_digits`).

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.formatting import plus_minus
    >>> plus_minus(21.34, 20.94, 21.74)
    '21.3 ± 0.4'
    >>> plus_minus(2480.0, 2390.0, 2570.0)
    '2,480 ± 90'
    >>> plus_minus(1.0, 1.0, 1.12, digits=2)
    '1.00 (1.00 to 1.12)'
    """
    h = (high - low) / 2.0
    ends = is_asymmetric(mean, low, high, digits)
    if digits is None:
        digits = ci_digits(h)
    # a value that rounds to zero is written 0, never -0 ("reaches -0 ± 0 more")
    mean, low, high, h = (0.0 if round(float(v), digits) == 0 else v for v in (mean, low, high, h))
    if ends:
        return f"{mean:,.{digits}f} ({low:,.{digits}f} to {high:,.{digits}f})"
    return f"{mean:,.{digits}f} ± {h:,.{digits}f}"


def _rounding_unit(half_width):
    """The place of the half-width's last shown significant digit (0 for no width)."""
    h = float(half_width)
    if not (h > 0 and math.isfinite(h)):
        return 0.0
    e = math.floor(math.log10(h))
    sig = 2 if h / 10.0**e < 3.55 else 1
    return 10.0 ** (e - sig + 1)


def ci_digits(half_width):
    """Decimals that show ``half_width`` to one or two significant digits (0 to 6).

    Parameters
    ----------
    half_width : float
        Half the width of a confidence interval; 0, NaN or infinite give 0.

    Returns
    -------
    int
        Two significant digits when they read 10 to 35, else one.

    Examples
    --------
    >>> from viralsim.formatting import ci_digits
    >>> ci_digits(0.4), ci_digits(2.5), ci_digits(22.0), ci_digits(0.0)
    (1, 1, 0, 0)
    """
    unit = _rounding_unit(half_width)
    if unit == 0.0:
        return 0
    return max(0, min(6, -round(math.log10(unit))))


def is_asymmetric(mean, low, high, digits=None):
    """Whether ``mean ± (high - low) / 2`` would misplace an end of the interval by
    half a unit of the last digit shown or more (the arms ``mean - low`` and
    ``high - mean`` differ by a unit), so the ends must be written out.

    The unit is the coarser of ``10**-digits`` and the half-width's rounding
    place, so a normal interval's floating-point noise never counts.

    Parameters
    ----------
    mean, low, high : float or None
        None or a non-finite value: not asymmetric.
    digits : int, optional
        Decimals shown; default from the half-width.

    Returns
    -------
    bool

    Examples
    --------
    >>> from viralsim.formatting import is_asymmetric
    >>> is_asymmetric(5.0, 4.0, 6.0), is_asymmetric(1.0, 1.0, 1.12)
    (False, True)
    """
    vals = (mean, low, high)
    if any(v is None or not math.isfinite(float(v)) for v in vals):
        return False
    mean, low, high = map(float, vals)
    h = (high - low) / 2.0
    unit = 10.0 ** -digits if digits is not None else max(10.0 ** -ci_digits(h),
                                                          _rounding_unit(h))
    return abs((high - mean) - (mean - low)) >= unit * (1 - 1e-9)


def sig_fig(v, n=3):
    """``v`` to ``n`` significant digits, without exponent (``0.0347``, ``12.3``,
    ``1,235``): a cost per adopter of 0.0347 vs 0.0332 read "0.03 vs 0.03".

    Parameters
    ----------
    v : float or None
        None gives ``""``.
    n : int, default 3

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.formatting import sig_fig
    >>> sig_fig(0.03472), sig_fig(12.345), sig_fig(1234.6), sig_fig(None)
    ('0.0347', '12.3', '1,235', '')
    """
    if v is None:
        return ""
    v = float(v)
    if v == 0 or not math.isfinite(v):
        return f"{v:,.{n - 1}f}" if v == 0 else str(v)
    r = float(f"{v:.{n - 1}e}")  # the decimals of the rounded value: 0.00099996 is 0.00100
    digits = max(0, min(12, n - 1 - math.floor(math.log10(abs(r)))))
    return f"{v:,.{digits}f}"  # whole digits are never dropped: 1,235
