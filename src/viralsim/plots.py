"""Figures for experiment tables (matplotlib, imported only when plotting).

Every function draws on an Axes (a new one on a new :class:`matplotlib.figure.Figure`
when ``ax`` is None, so no pyplot state and no display are needed) and returns
it; the plotted data are exactly the table's values, so tests read them back
with ``line.get_xdata()`` / ``get_ydata()``. Bands are ``fill_between``
collections labelled ``"<label> CI"``. :func:`save` writes PNG and SVG.
"""

import math
import os

import numpy as np

__all__ = [
    "reach_curve",
    "reach_vs_k",
    "reach_by_plan",
    "adoption_timeline",
    "size_distribution",
    "paired_differences",
    "reach_band",
    "sensitivity_heatmap",
    "scaling_curve",
    "calibration",
    "save",
    "log_bins",
]


def _axes(ax, figsize=(6.4, 4.2)):
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def _groups(rows, key):
    out = {}
    for r in rows:
        out.setdefault(r.get(key), []).append(r)
    return out


_COMPARISON_COLUMNS = {"reach_mean": "mean", "reach_ci_low": "ci_low",
                       "reach_ci_high": "ci_high", "diff_mean": "diff"}


def _tidy(rows):
    """Rows as the figure functions read them: a :class:`~viralsim.ComparisonTable`
    (or its ``rows``, with ``reach_mean``, ``diff_mean``, ...) or the tidy tables'
    rows (``mean``, ``diff``, ...)."""
    rows = list(getattr(rows, "rows", rows))
    return [{**r, **{t: r[c] for c, t in _COMPARISON_COLUMNS.items() if c in r and t not in r}}
            for r in rows]


#: line styles and markers that tell series apart once the colours repeat
_LINESTYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v")
#: more series than this: the legend goes beside the axes, not over the curves
_LEGEND_INSIDE_MAX = 6
#: legend entries per column beside the axes
_LEGEND_ROWS = 18


def _series_styles(n):
    """``n`` distinct (colour, line style, marker) triples: the colour cycle first,
    then, each time it repeats, the next line style and marker."""
    from matplotlib import rcParams

    colors = rcParams["axes.prop_cycle"].by_key().get("color") or ["C0"]
    out = []
    for i in range(n):
        turn = i // len(colors)
        out.append((colors[i % len(colors)], _LINESTYLES[turn % len(_LINESTYLES)],
                    _MARKERS[turn % len(_MARKERS)]))
    return out


def _axes_for_legend(ax, names):
    """``(ax, beside, ncols)``: with more than 6 legend entries the legend goes beside
    the axes, in columns of 18, and a new figure is made wider for it."""
    beside = len(names) > _LEGEND_INSIDE_MAX
    ncols = max(1, math.ceil(len(names) / _LEGEND_ROWS))
    if beside:
        longest = max(len(str(n)) for n in names)
        return _axes(ax, figsize=(6.4 + ncols * (0.7 + 0.065 * longest), 4.2)), beside, ncols
    return _axes(ax), beside, ncols


def _legend(ax, beside, ncols, handles, labels):
    if beside:
        ax.legend(handles, labels, fontsize="small", loc="upper left",
                  bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, ncols=ncols)
    else:
        ax.legend(handles, labels, fontsize="small")


def reach_curve(rows, *, x="k", group="strategy", y="mean", ax=None, ylabel="expected reach",
                envelope=None, band=True):
    """Reach vs ``x`` (k or budget), one line with its CI band per ``group``.

    The one reach-against-k figure: :func:`reach_vs_k` and
    :meth:`ComparisonTable.plot <viralsim.ComparisonTable.plot>` draw it too.

    Parameters
    ----------
    rows : list of dict or ComparisonTable
        Rows with ``x``, ``group``, ``y``, ``ci_low`` and ``ci_high`` (a
        :class:`~viralsim.ComparisonTable` works too, by budget when it has no k).
    x : str, default "k"
    group : str, default "strategy"
        One line per value, labelled with it, in the order of first appearance.
    y : str, default "mean"
    ax : matplotlib Axes, optional
        Drawn on; by default a new one on a new Figure (no pyplot state).
    ylabel : str, default "expected reach"
    envelope : str, optional
        The group (e.g. "best plan", which retraces other lines) drawn beneath
        the others as a wide grey halo, without a band, so the lines it follows
        stay visible.
    band : bool, default True
        Draw each line's CI band (a ``fill_between`` labelled ``"<group> CI"``).

    Returns
    -------
    matplotlib Axes
        Each line's data are the rows' ``x`` and ``y`` values, sorted by ``x``.

    Notes
    -----
    No two lines look alike: past the colour cycle's length (10) the line
    style and marker change too. With more than 6 legend entries it sits beside
    the axes (a new figure is made wider for it) instead of over the curves.

    Examples
    --------
    >>> from viralsim import plots
    >>> rows = [{"strategy": "a", "k": k, "mean": 2.0 * k, "ci_low": 2.0 * k - 1,
    ...          "ci_high": 2.0 * k + 1} for k in (3, 1, 2)]
    >>> ax = plots.reach_curve(rows)
    >>> ax.get_lines()[0].get_xdata().tolist(), ax.get_lines()[0].get_ydata().tolist()
    ([1.0, 2.0, 3.0], [2.0, 4.0, 6.0])
    """
    rows = _tidy(rows)
    if x == "k" and _by_budget(rows):
        x = "budget"
    groups = _groups(rows, group)
    names = [n for n in groups if envelope is None or n != envelope]
    ax, beside, ncols = _axes_for_legend(ax, groups)
    style = dict(zip(names, _series_styles(len(names))))
    for name, rs in groups.items():
        rs = sorted(rs, key=lambda r: r[x])
        xs = np.array([r[x] for r in rs], dtype=float)
        ys = np.array([r[y] for r in rs], dtype=float)
        if envelope is not None and name == envelope:
            ax.plot(xs, ys, lw=7, color="0.5", alpha=0.35, zorder=1, solid_capstyle="round",
                    label=str(name))
        else:
            _line_with_band(ax, name, xs, ys, rs if band else None, style[name])
    ax.set_xlabel({"k": "seeds (k)"}.get(x, x))
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    keep = [(h, lab) for h, lab in zip(handles, labels) if not lab.endswith(" CI")]
    if keep:  # the lines only: a band is told by its line's colour
        _legend(ax, beside, ncols, *zip(*keep))
    return ax


def _by_budget(rows):
    """Whether the rows are a comparison by budget (no k anywhere)."""
    return bool(rows) and all(r.get("k") is None for r in rows) and "budget" in rows[0]


def _line_with_band(ax, name, xs, ys, rows, style):
    """One series of :func:`reach_curve`; its CI band from ``rows`` unless None."""
    color, ls, marker = style
    (line,) = ax.plot(xs, ys, color=color, ls=ls, marker=marker, ms=3, label=str(name),
                      zorder=3)
    if rows is not None:
        ax.fill_between(
            xs,
            [r["ci_low"] for r in rows],
            [r["ci_high"] for r in rows],
            alpha=0.25,
            color=line.get_color(),
            label=f"{name} CI",
        )


def reach_vs_k(table, ax=None, *, band=True):
    """Reach against k (or budget) per strategy, with CI bands, from a comparison table.

    :func:`reach_curve` of the table, drawn on a new pyplot figure when ``ax``
    is None (so a notebook shows it); also ``vs.reach_vs_k`` and
    ``viralsim.compare.reach_vs_k``.

    Parameters
    ----------
    table : ComparisonTable
    ax : matplotlib Axes, optional
    band : bool, default True
        Draw the CI bands.

    Returns
    -------
    matplotlib Axes
        Each strategy's line holds the table's ``k`` (or ``budget``) and
        ``reach_mean`` values, sorted by ``k`` (or ``budget``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 0, 1, 3, 3], [1, 2, 2, 4, 5], probs=1.0)
    >>> ax = vs.reach_vs_k(vs.compare_strategies(g, ["degree"], k=[1, 2], n_sims=10, rng=0))
    >>> ax.get_lines()[0].get_ydata().tolist()
    [3.0, 6.0]
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4))
    return reach_curve(table, x=table.axis, ax=ax, band=band,
                       ylabel="expected reach (adopters)")


def reach_by_plan(rows, *, group="plan", by="job", y="mean", ax=None, ylabel="expected reach"):
    """Reach of each ``group`` (plan or strategy, one slot each on the x axis, in the
    table's order) with its CI as an error bar, one point per value of ``by`` (a
    sweep's jobs, side by side within the slot, in the table's order).

    The figure of a sweep whose plans keep their size (replicate seeds, other
    graphs): reach against k would give one point per line.

    Parameters
    ----------
    rows : list of dict or ComparisonTable
        Rows with ``group``, ``by``, ``y``, ``ci_low`` and ``ci_high``.
    group : str, default "plan"
    by : str, default "job"
    y : str, default "mean"
    ax : matplotlib Axes, optional
    ylabel : str, default "expected reach"

    Returns
    -------
    matplotlib Axes
        Each ``by`` value is an ``errorbar`` container labelled with it; its
        points' y data are the table's ``y`` values and x the slot index plus
        the offset.

    Examples
    --------
    >>> from viralsim import plots
    >>> rows = [{"plan": p, "job": j, "mean": m, "ci_low": m - 1, "ci_high": m + 1}
    ...         for j in (0, 1) for p, m in (("hubs", 10.0 + j), ("random", 5.0 + j))]
    >>> ax = plots.reach_by_plan(rows)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['hubs', 'random']
    >>> ax.containers[1].lines[0].get_ydata().tolist()
    [11.0, 6.0]
    """
    rows = _tidy(rows)
    slots = {name: i for i, name in enumerate(_groups(rows, group))}
    series = _groups(rows, by)
    ax, beside, ncols = _axes_for_legend(ax, series)
    width = 0.7  # of a slot, shared by the points of the series
    offsets = (np.linspace(-width / 2, width / 2, len(series)) if len(series) > 1
               else np.zeros(1))
    for (name, rs), off, (color, _, marker) in zip(series.items(), offsets,
                                                   _series_styles(len(series))):
        xs = np.array([slots[r.get(group)] + off for r in rs], dtype=float)
        ys = np.array([r[y] for r in rs], dtype=float)
        err = np.array([[v - r["ci_low"] for v, r in zip(ys, rs)],
                        [r["ci_high"] - v for v, r in zip(ys, rs)]], dtype=float)
        ax.errorbar(xs, ys, yerr=np.clip(err, 0, None), fmt=marker, ms=4, color=color,
                    capsize=2, lw=1, label=str(name))
    ax.set_xticks(range(len(slots)), [str(name) for name in slots])
    ax.set_xlim(-0.6, len(slots) - 0.4)
    ax.set_xlabel(group)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, axis="y")
    if series:
        _legend(ax, beside, ncols, *ax.get_legend_handles_labels())
    return ax


def adoption_timeline(timeline, low, high, *, label="adopters", ax=None, cumulative=False):
    """New adopters per round (round 0 = the seeds) with the pointwise CI band.

    Parameters
    ----------
    timeline, low, high : array-like
        Mean new adopters per round and the band's ends
        (:attr:`ReachEstimate.timeline <viralsim.ReachEstimate>` and
        ``timeline_ci``).
    label : str, default "adopters"
    ax : matplotlib Axes, optional
    cumulative : bool, default False
        Draw adopters so far, with the running sums of the per-round bounds
        as the band: a conservative band (the standard deviation of a sum is
        at most the sum of theirs), wider than the exact interval, labelled
        so; the exact interval of the final reach is the estimate's
        ``ci_low``/``ci_high``.

    Returns
    -------
    matplotlib Axes
        The line's y data are ``timeline`` (or its running sum).

    Examples
    --------
    >>> from viralsim import plots
    >>> ax = plots.adoption_timeline([2.0, 3.0, 1.0], [2.0, 2.5, 0.5], [2.0, 3.5, 1.5],
    ...                              cumulative=True)
    >>> ax.get_lines()[0].get_ydata().tolist(), ax.get_ylabel()
    ([2.0, 5.0, 6.0], 'cumulative adopters')
    """
    ax = _axes(ax)
    t = np.asarray(timeline, dtype=float)
    lo, hi = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    band = f"{label} CI"
    if cumulative:
        t, lo, hi = np.cumsum(t), np.cumsum(lo), np.cumsum(hi)
        band = f"{label} CI (conservative)"
    rounds = np.arange(t.size)
    (line,) = ax.plot(rounds, t, marker="o", ms=3, label=str(label))
    ax.fill_between(rounds, lo, hi, alpha=0.25, color=line.get_color(), label=band)
    ax.set_xlabel("round")
    ax.set_ylabel("cumulative adopters" if cumulative else "new adopters per round")
    ax.grid(alpha=0.3)
    return ax


def log_bins(sizes, per_decade=8):
    """Logarithmic bin edges covering ``sizes`` (all >= 1).

    Parameters
    ----------
    sizes : array-like of int
    per_decade : int, default 8
        Bins per factor of 10 (fewer where integer edges coincide).

    Returns
    -------
    ndarray of int64
        Increasing integer edges from 1 to past ``max(sizes)``.

    Examples
    --------
    >>> from viralsim import plots
    >>> plots.log_bins([1, 5, 30], per_decade=2).tolist()
    [1, 3, 9, 30, 31]
    """
    sizes = np.asarray(sizes)
    top = max(int(sizes.max()) if sizes.size else 1, 1)
    n = max(int(math.ceil(per_decade * math.log10(top + 1))), 1)
    edges = np.unique(np.floor(np.logspace(0, math.log10(top + 1), n + 1)).astype(np.int64))
    if edges[-1] <= top:
        edges = np.append(edges, top + 1)
    return edges


def size_distribution(sizes, *, ax=None, label="cascade size", per_decade=8):
    """Distribution of per-world cascade sizes, log-binned, on log-log axes.

    Parameters
    ----------
    sizes : array-like of int
        Adopters per world (:attr:`ReachEstimate.sizes <viralsim.ReachEstimate>`).
    ax : matplotlib Axes, optional
    label : str, default "cascade size"
    per_decade : int, default 8
        See :func:`log_bins`.

    Returns
    -------
    matplotlib Axes
        The y value of each bin is the fraction of worlds in the bin divided by
        the number of integer sizes it covers (a probability mass per size), and
        the x value is the bin's geometric centre; empty bins are not drawn.
        Without any adopter, a note instead of a line.

    Examples
    --------
    >>> from viralsim import plots
    >>> ax = plots.size_distribution([1, 1, 1, 4], per_decade=2)
    >>> ax.get_lines()[0].get_ydata().tolist()
    [0.75, 0.08333333333333333]
    """
    ax = _axes(ax)
    sizes = np.asarray(sizes, dtype=np.int64)
    ax.set_xlabel("adopters in a world")
    ax.set_ylabel("probability per size")
    if not (sizes > 0).any():  # an empty plan: nothing to draw on log axes
        ax.text(0.5, 0.5, f"{label}: no adopter in any world", transform=ax.transAxes,
                ha="center", va="center")
        return ax
    edges = log_bins(sizes, per_decade)
    counts, _ = np.histogram(sizes, bins=edges)
    width = np.diff(edges)
    pmf = counts / max(sizes.size, 1) / width
    centre = np.sqrt(edges[:-1] * (edges[1:] - 1).clip(min=edges[:-1]))
    keep = counts > 0
    ax.plot(centre[keep], pmf[keep], marker="o", ls="-", ms=4, label=str(label))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")
    return ax


def paired_differences(rows, *, label="plan", ax=None, against=None):
    """Paired differences (``diff``, ``diff_ci_low``, ``diff_ci_high``) as error bars.

    Parameters
    ----------
    rows : list of dict or ComparisonTable
        Rows with ``diff``, ``diff_ci_low``, ``diff_ci_high`` and ``label``
        (rows without a difference are left out). A
        :class:`~viralsim.ComparisonTable` works too: its rows with a
        difference (not the baseline's), labelled by strategy and k or budget.
    label : str, default "plan"
    ax : matplotlib Axes, optional
    against : str, optional
        What the differences are taken against, for the x label.

    Returns
    -------
    matplotlib Axes
        One horizontal bar per row, top to bottom in row order, labelled by
        ``row[label]``; the zero line marks "no difference". The error-bar
        container's data equal the table.

    Examples
    --------
    >>> from viralsim import plots
    >>> rows = [{"plan": "b", "diff": -2.0, "diff_ci_low": -3.0, "diff_ci_high": -1.0}]
    >>> ax = plots.paired_differences(rows, against="a")
    >>> ax.containers[0].lines[0].get_xdata().tolist(), ax.get_xlabel()
    ([-2.0], "reach minus a's (same worlds)")
    """
    rows, label = _difference_rows(rows, label)
    ax = _axes(ax, figsize=(6.4, 0.5 + 0.45 * max(len(rows), 1)))
    ys = np.arange(len(rows))
    d = np.array([r["diff"] for r in rows], dtype=float)
    lo = np.array([r["diff_ci_low"] for r in rows], dtype=float)
    hi = np.array([r["diff_ci_high"] for r in rows], dtype=float)
    ax.errorbar(d, ys, xerr=[d - lo, hi - d], fmt="o", capsize=3)
    ax.axvline(0.0, color="grey", lw=0.8)
    ax.set_yticks(ys, [str(r[label]) for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel(f"reach minus {against}'s (same worlds)" if against else "paired difference in reach")
    ax.grid(alpha=0.3, axis="x")
    return ax


def reach_band(rows, *, label="plan", ax=None):
    """Each plan's expected reach with its simulation CI, over its assumption or parameter band.

    Parameters
    ----------
    rows : list of dict
        With ``mean``, ``ci_low``, ``ci_high``, ``band_low``, ``band_high``,
        ``band_kind`` (``"assumptions"`` or ``"parameters"``), ``band_level``
        and ``label`` (rows without a band are left out).
    label : str, default "plan"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Per row, top to bottom: a wide pale bar from ``band_low`` to
        ``band_high`` (``ax.containers[0]``, a bar container) and the mean
        with its CI as an error bar (``ax.containers[1]``).

    Examples
    --------
    >>> from viralsim import plots
    >>> rows = [{"plan": "a", "mean": 10.0, "ci_low": 9.5, "ci_high": 10.5, "band_low": 6.0,
    ...          "band_high": 15.0, "band_kind": "parameters", "band_level": 0.9}]
    >>> ax = plots.reach_band(rows)
    >>> [(float(b.get_x()), float(b.get_width())) for b in ax.containers[0]]
    [(6.0, 9.0)]
    """
    rows = [r for r in _tidy(rows) if r.get("band_low") is not None
            and not (isinstance(r["band_low"], float) and math.isnan(r["band_low"]))]
    ax = _axes(ax, figsize=(6.4, 1.4 + 0.5 * max(len(rows), 1)))
    ys = np.arange(len(rows))
    lo = np.array([r["band_low"] for r in rows], dtype=float)
    hi = np.array([r["band_high"] for r in rows], dtype=float)
    kind = rows[0].get("band_kind") if rows else None
    if kind == "parameters":
        lv = rows[0].get("band_level") or 0.9
        what = f"{round(100 * lv)}% band across fitted parameter sets"
    else:
        what = "lowest to highest across probability assumptions"
    ax.barh(ys, hi - lo, left=lo, height=0.6, color="tab:blue", alpha=0.25, label=what)
    m = np.array([r["mean"] for r in rows], dtype=float)
    clo = np.array([r["ci_low"] for r in rows], dtype=float)
    chi = np.array([r["ci_high"] for r in rows], dtype=float)
    ax.errorbar(m, ys, xerr=[m - clo, chi - m], fmt="o", color="tab:blue", capsize=3,
                label="expected reach ± CI (simulation)")
    ax.set_yticks(ys, [str(r[label]) for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("expected adopters")
    ax.grid(alpha=0.3, axis="x")
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    if isinstance(ax.figure.get_layout_engine(), ConstrainedLayoutEngine):
        # below the plot: the bands span most of the width, a legend inside would hide them
        ax.figure.legend(*ax.get_legend_handles_labels(), loc="outside lower center",
                         ncols=2, fontsize="small")
    else:
        ax.legend(fontsize="small")
    return ax


def _difference_rows(rows, label):
    """The rows :func:`paired_differences` draws and the key of their labels."""
    rows = [r for r in _tidy(rows) if r.get("diff") is not None
            and not (r.get("baseline") is not None and r.get("baseline") == r.get("strategy"))]
    if rows and label not in rows[0] and "strategy" in rows[0]:
        label = "label"
        rows = [dict(r, label=f"{r['strategy']} (k = {r['k']})" if r.get("k") is not None
                     else f"{r['strategy']} (budget {r.get('budget'):g})") for r in rows]
    return rows, label


def sensitivity_heatmap(rows, *, x, y=None, value="mean", ax=None, label="expected reach"):
    """Heat map of ``value`` over the grid of ``x`` × ``y`` (a line when ``y`` is None).

    Parameters
    ----------
    rows : list of dict
        One row per grid point, with ``x``, ``y`` (when given) and ``value``;
        with ``ci_low`` and ``ci_high`` on every row, a line gets its band.
    x : str
    y : str, optional
    value : str, default "mean"
    ax : matplotlib Axes, optional
    label : str, default "expected reach"
        The colour bar's (or the line's y axis) label.

    Returns
    -------
    matplotlib Axes
        For two parameters its image's array (``ax.images[0].get_array()``) is
        the table pivoted with ``y`` values as rows and ``x`` values as
        columns, both sorted (NaN where the table has no row); for one, a line
        through the rows sorted by ``x``.

    Examples
    --------
    >>> from viralsim import plots
    >>> rows = [{"p": p, "k": k, "mean": 10 * p + k} for p in (0.1, 0.2) for k in (1, 5)]
    >>> ax = plots.sensitivity_heatmap(rows, x="p", y="k")
    >>> ax.images[0].get_array().tolist()
    [[2.0, 3.0], [6.0, 7.0]]
    >>> plots.sensitivity_heatmap(rows[:2], x="k").get_lines()[0].get_ydata().tolist()
    [2.0, 6.0]
    """
    if y is None:
        return _sensitivity_line(rows, x, value, ax, label)
    ax = _axes(ax)
    xs = sorted({r[x] for r in rows})
    ys = sorted({r[y] for r in rows})
    grid = np.full((len(ys), len(xs)), np.nan)
    for r in rows:
        grid[ys.index(r[y]), xs.index(r[x])] = r[value]
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(xs)), [_tick(v) for v in xs])
    ax.set_yticks(range(len(ys)), [_tick(v) for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    _annotate_cells(ax, im, grid)
    ax.figure.colorbar(im, ax=ax, label=label)
    return ax


def _tick(v):
    return f"{v:g}" if isinstance(v, float) else str(v)


def _sensitivity_line(rows, x, value, ax, label):
    """:func:`sensitivity_heatmap` of one parameter: a line, with its band when every
    row has a CI."""
    rs = sorted(rows, key=lambda r: r[x])
    ax = _axes(ax)
    xs = [r[x] for r in rs]
    (line,) = ax.plot(xs, [r[value] for r in rs], marker="o", ms=3)
    if all("ci_low" in r for r in rs):
        ax.fill_between(xs, [r["ci_low"] for r in rs], [r["ci_high"] for r in rs],
                        alpha=0.25, color=line.get_color())
    ax.set_xlabel(x)
    ax.set_ylabel(label)
    ax.grid(alpha=0.3)
    return ax


def _annotate_cells(ax, im, grid):
    """Each cell's value written on it: dark text on light cells, light on dark (by the
    relative luminance of the cell's colour)."""
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if np.isfinite(grid[i, j]):
                r, g, b, _ = im.cmap(im.norm(grid[i, j]))
                dark = 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5
                ax.text(j, i, f"{grid[i, j]:,.0f}", ha="center", va="center", fontsize=7,
                        color="black" if dark else "white")


def fit_slope(x, y):
    """Least-squares slope and intercept of log10(y) on log10(x).

    Parameters
    ----------
    x, y : array-like of float > 0

    Returns
    -------
    slope, intercept : float
        ``y ≈ 10**intercept * x**slope``.

    Examples
    --------
    >>> from viralsim.plots import fit_slope
    >>> slope, icpt = fit_slope([1, 10, 100], [2, 20, 200])
    >>> round(slope, 12), round(icpt, 5)
    (1.0, 0.30103)
    """
    lx, ly = np.log10(np.asarray(x, dtype=float)), np.log10(np.asarray(y, dtype=float))
    slope, icpt = np.polyfit(lx, ly, 1)
    return float(slope), float(icpt)


def scaling_curve(rows, *, x="n_edges", y="elapsed", ax=None, label=None, fit=None):
    """``y`` vs ``x`` on log-log axes with the fitted power law.

    Parameters
    ----------
    rows : list of dict
        With ``x`` and ``y``; sorted by ``x`` for the figure.
    x : str, default "n_edges"
    y : str, default "elapsed"
    ax : matplotlib Axes, optional
    label : str, optional
        The points' legend entry (default ``y``).
    fit : dict, optional
        A fit of log ``y`` on log ``x`` already made
        (:func:`viralsim.experiments.scaling.fit_slope`: ``slope``,
        ``intercept`` in natural logs, ``ci_low``, ``ci_high``,
        ``confidence``): drawn instead, its interval in the legend.

    Returns
    -------
    ax : matplotlib Axes
        The first line holds the table's points; the second, dashed, the fit
        ``10**icpt * x**slope`` (see :func:`fit_slope`) whose slope is in the
        legend (absent with fewer than two points or a value <= 0).
    slope : float
        NaN when there is no fit.

    Examples
    --------
    >>> from viralsim import plots
    >>> rows = [{"n_edges": m, "elapsed": m / 1000} for m in (10, 100, 1000)]
    >>> ax, slope = plots.scaling_curve(rows)
    >>> round(slope, 9), ax.get_lines()[0].get_ydata().tolist()
    (1.0, [0.01, 0.1, 1.0])
    """
    ax = _axes(ax)
    rs = sorted(rows, key=lambda r: r[x])
    xs = np.array([r[x] for r in rs], dtype=float)
    ys = np.array([r[y] for r in rs], dtype=float)
    ax.plot(xs, ys, marker="o", ls="", label=label or y)
    slope = float("nan")
    if fit is not None and np.isfinite(fit["slope"]):
        slope = float(fit["slope"])
        text = f"slope {slope:.2f}"
        if np.isfinite(fit.get("ci_low", np.nan)):
            pct = f"{100 * fit.get('confidence', 0.95):g}%"
            text += f" ({pct} CI {fit['ci_low']:.2f} to {fit['ci_high']:.2f})"
        line = np.unique(xs)
        ax.plot(line, np.exp(fit["intercept"]) * line**slope, ls="--", color="grey", label=text)
    elif fit is None and xs.size >= 2 and (xs > 0).all() and (ys > 0).all():
        slope, icpt = fit_slope(xs, ys)
        ax.plot(xs, 10**icpt * xs**slope, ls="--", color="grey", label=f"slope {slope:.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small")
    return ax, slope


def calibration(rows, *, method="learned", ax=None, level=None):
    """Forecast against outcome: each held-out cascade's predicted mean and interval
    beside the size it really reached, with the interval coverage in the title.

    Parameters
    ----------
    rows : list of dict
        Backtest rows (:attr:`viralsim.BacktestResult.rows`): ``method``,
        ``observed``, ``mean``, ``low``, ``high``, ``covered``.
    method : str, default "learned"
        Which method's forecasts to draw.
    ax : matplotlib Axes, optional
    level : float, optional
        The intervals' level, for the labels (e.g. 0.9).

    Returns
    -------
    matplotlib Axes
        One errorbar container: x the observed size, y the predicted mean,
        bars from ``low`` to ``high``; the diagonal ``y = x`` (a perfect
        forecast) as a dashed line. Log axes (sizes are at least 1).

    Raises
    ------
    ValueError
        No row of ``method``.

    Examples
    --------
    >>> from viralsim import plots
    >>> rows = [{"method": "learned", "observed": 3, "mean": 2.5, "low": 1, "high": 4,
    ...          "covered": True},
    ...         {"method": "learned", "observed": 9, "mean": 3.0, "low": 1, "high": 6,
    ...          "covered": False}]
    >>> ax = plots.calibration(rows, level=0.9)
    >>> ax.get_title()
    'learned: 90% range held 1 of 2 outcomes (50%)'
    """
    rs = [r for r in rows if r.get("method") == method]
    if not rs:
        names = sorted({str(r.get("method")) for r in rows})
        raise ValueError(f"calibration: no row of method {method!r}; the rows have {names}.")
    ax = _axes(ax)
    obs = np.array([r["observed"] for r in rs], dtype=float)
    mean = np.array([r["mean"] for r in rs], dtype=float)
    lo = np.array([r["low"] for r in rs], dtype=float)
    hi = np.array([r["high"] for r in rs], dtype=float)
    cov = [bool(r["covered"]) for r in rs]
    lab = f"{round(100 * level)}% range" if level else "range"
    ax.errorbar(obs, mean, yerr=[np.maximum(mean - lo, 0), np.maximum(hi - mean, 0)], fmt="o",
                ms=3, alpha=0.6, elinewidth=0.8, label=f"{method}: mean and {lab}")
    top = max(float(obs.max()), float(hi.max()), 2.0)
    ax.plot([1, top], [1, top], ls="--", color="grey", label="forecast = outcome")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("observed cascade size (adopters in the graph)")
    ax.set_ylabel("forecast size")
    ax.set_title(f"{method}: {lab} held {sum(cov)} of {len(cov)} outcomes "
                 f"({round(100 * sum(cov) / len(cov))}%)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small")
    return ax


def save(ax, path_stem, formats=("png", "svg"), dpi=130):
    """Save the Axes' figure as ``<path_stem>.<fmt>`` for each format (atomically).

    Parameters
    ----------
    ax : matplotlib Axes
    path_stem : str
        Path without the extension; missing directories are made.
    formats : tuple of str, default ("png", "svg")
        Any format matplotlib writes.
    dpi : int, default 130

    Returns
    -------
    list of str
        The paths written, in ``formats`` order.

    Raises
    ------
    ValueError
        A format matplotlib cannot write.

    Examples
    --------
    >>> import os, tempfile
    >>> from viralsim import plots
    >>> ax = plots.adoption_timeline([1.0, 2.0], [1.0, 1.5], [1.0, 2.5])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = plots.save(ax, os.path.join(d, "fig"), formats=("svg",))
    ...     [os.path.basename(p) for p in paths], os.path.getsize(paths[0]) > 0
    (['fig.svg'], True)
    """
    from .results import atomic_write

    fig = ax.figure
    out = []
    for fmt in formats:
        p = f"{path_stem}.{fmt}"
        os.makedirs(os.path.dirname(os.path.abspath(p)), exist_ok=True)
        with atomic_write(p, "wb") as fh:
            fig.savefig(fh, format=fmt, dpi=dpi)
        out.append(p)
    return out
