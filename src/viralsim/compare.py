"""Strategies compared on common random numbers: paired differences with CIs.

Every seed set is evaluated in the same worlds (``estimate_reach`` with one
key), so the difference between two strategies is measured world by world
and its confidence interval is much tighter than the two separate ones.
"""

import csv
import json
import math
from collections.abc import Iterable, Mapping

import numpy as np

from ._validation import check_float, check_int, check_rng, param_error, seed_from_rng, shown
from .estimate import estimate_reach
from .graph import FollowerGraph
from .models import IC
from .plots import reach_vs_k  # its old home: viralsim.compare.reach_vs_k
from .stats import paired_difference, sample_interval, t_interval, t_quantile, unpaired_stderr
from .strategies import Strategy, get_strategy

__all__ = ["ComparisonTable", "compare_strategies", "reach_vs_k"]

#: the strategies that simulate nothing to choose their seeds: the baselines a
#: method that simulates (CELF, IMM, OPIM-C) has to beat
HEURISTICS = ("random", "degree", "pagerank", "degree_discount", "single_discount")
#: ``baseline=BEST_HEURISTIC``: the differences are taken against the heuristic
#: (:data:`HEURISTICS`) of the comparison that reaches the most at its largest k or budget
BEST_HEURISTIC = "best_heuristic"

COLUMNS = (
    "strategy", "k", "budget", "n_seeds", "reach_mean", "reach_stderr", "reach_ci_low",
    "reach_ci_high", "exposure_mean", "exposure_ci_low", "exposure_ci_high", "cost",
    "selection_s", "selection_shared", "own_spread", "baseline", "diff_mean", "diff_ci_low",
    "diff_ci_high", "diff_ci_unpaired_low", "diff_ci_unpaired_high", "n_sims", "seeds",
)


class ComparisonTable:
    """A tidy table: one row (dict) per strategy and k (or budget).

    Attributes
    ----------
    rows : list of dict
        Columns: ``strategy``, ``k``, ``budget``, ``n_seeds``, ``reach_mean``,
        ``reach_stderr``, ``reach_ci_low/high``, ``exposure_mean`` and CI,
        ``cost``, ``selection_s`` (seconds to select; ``selection_shared``
        is True when the seeds are a prefix of a selection for a larger k,
        whose time is given), ``own_spread`` (the strategy's own estimate),
        ``baseline``, ``diff_mean`` and ``diff_ci_low/high`` (paired, same
        worlds), ``diff_ci_unpaired_low/high`` (what the CI would be from
        the two separate estimates), ``n_sims``, ``seeds`` (the list of seed
        labels; :meth:`to_csv` writes it as a JSON list), plus
        ``<metric>_mean`` for every extra per-world metric the model reports
        (e.g. segment reach).
    axis : str
        ``"k"`` or ``"budget"``: what the rows vary.

    Parameters
    ----------
    rows : iterable of dict
    axis : {"k", "budget"}, default "k"

    Examples
    --------
    >>> from viralsim.compare import ComparisonTable
    >>> t = ComparisonTable([{"strategy": "a", "k": 1, "reach_mean": 2.0},
    ...                      {"strategy": "b", "k": 1, "reach_mean": 3.0}])
    >>> len(t), t.strategies, t.column("reach_mean", "b")
    (2, ['a', 'b'], [3.0])
    """

    def __init__(self, rows, *, axis="k"):
        self.rows = list(rows)
        self.axis = axis

    @property
    def columns(self):
        """The standard columns, then any other the rows hold, in order of appearance."""
        cols = list(COLUMNS)
        for r in self.rows:
            for c in r:
                if c not in cols:
                    cols.append(c)
        return cols

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def column(self, name, strategy=None):
        """Values of one column, optionally for one strategy, in row order.

        Parameters
        ----------
        name : str
        strategy : str, optional

        Returns
        -------
        list

        Raises
        ------
        KeyError
            A row without the column.
        """
        return [r[name] for r in self.rows if strategy is None or r["strategy"] == strategy]

    @property
    def strategies(self):
        """Strategy labels in order of first appearance."""
        seen = []
        for r in self.rows:
            if r["strategy"] not in seen:
                seen.append(r["strategy"])
        return seen

    def to_csv(self, path):
        """Write the table as CSV (atomically: a temporary file, then a rename).

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        path
            As given. Lists (``seeds``) are written as JSON; a column a row
            lacks, as an empty cell.

        Examples
        --------
        >>> import csv, os, tempfile
        >>> from viralsim.compare import ComparisonTable
        >>> t = ComparisonTable([{"strategy": "a", "k": 1, "seeds": ["x y", 2]}])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     with open(t.to_csv(os.path.join(d, "t.csv"))) as fh:
        ...         row = next(csv.DictReader(fh))
        >>> row["strategy"], row["seeds"], row["reach_mean"]
        ('a', '["x y", 2]', '')
        """
        from .results import atomic_write, spreadsheet_safe

        cols = self.columns
        with atomic_write(path, newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=[spreadsheet_safe(c) for c in cols])
            w.writeheader()
            for r in self.rows:
                # lists (seeds) as JSON: labels may hold spaces or commas; text that a
                # spreadsheet would run as a formula (= + - @) is quoted
                w.writerow({spreadsheet_safe(c): _csv_cell(v, spreadsheet_safe)
                            for c, v in ((c, r.get(c, "")) for c in cols)})
        return path

    def to_string(self):
        """The main columns as aligned text (floats to two decimals).

        Returns
        -------
        str

        Examples
        --------
        >>> from viralsim.compare import ComparisonTable
        >>> print(ComparisonTable([{"strategy": "a", "k": 1, "reach_mean": 2.0}]).to_string())
        strategy  k  reach_mean  reach_ci_low  ...
               a  1        2.00          None  ...
        """
        cols = ["strategy", self.axis, "reach_mean", "reach_ci_low", "reach_ci_high",
                "exposure_mean", "cost", "diff_mean", "diff_ci_low", "diff_ci_high",
                "diff_ci_unpaired_low", "diff_ci_unpaired_high", "selection_s"]

        def fmt(v):
            if isinstance(v, float):
                return "nan" if math.isnan(v) else f"{v:,.2f}"
            return str(v)

        cells = [[fmt(r.get(c)) for c in cols] for r in self.rows]
        widths = [max(len(c), *(len(x[i]) for x in cells)) if cells else len(c)
                  for i, c in enumerate(cols)]
        lines = ["  ".join(c.rjust(w) for c, w in zip(cols, widths))]
        lines += ["  ".join(x.rjust(w) for x, w in zip(row, widths)) for row in cells]
        return "\n".join(lines)

    __str__ = to_string

    def __repr__(self):
        return f"ComparisonTable({len(self.rows)} rows, strategies={self.strategies})"

    def plot(self, ax=None, **kwargs):
        """:func:`~viralsim.plots.reach_vs_k` of this table.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Passed on (``band``).

        Returns
        -------
        matplotlib Axes
        """
        return reach_vs_k(self, ax=ax, **kwargs)


def _names(strategies, backend=None):
    out, seen = [], {}
    for s in strategies:
        strat = get_strategy(s)
        if backend is not None and "backend" in strat.get_params() and strat.backend is None:
            # selections that run worlds (CELF) use the comparison's backend too
            strat = type(strat)(**{**strat.get_params(), "backend": backend})
        base = s if isinstance(s, str) else strat.name
        seen[base] = seen.get(base, 0) + 1
        label = base if seen[base] == 1 else f"{base}#{seen[base]}"
        out.append((label, strat))
    return out


def _segment_sizes(graph, model, idx, key, n_sims, weights):
    """Per-world weighted reach in estimate_reach's worlds (IC-equivalent models only)."""
    import numba

    from ._kernels.celf import weighted_reach_worlds
    from .strategies._models import ic_equivalent

    g = ic_equivalent(model, graph)
    if g is None:
        return None
    out = np.empty(n_sims)
    nc = max(1, min(numba.get_num_threads(), n_sims))
    weighted_reach_worlds(g.indptr, g.indices, g.probs, np.asarray(idx, dtype=np.int32),
                          np.uint64(key), np.int64(n_sims), weights, nc, out)
    return out


def compare_strategies(graph, strategies, *, k=None, budget=None, model=None, n_sims=10_000,
                       rng=None, baseline=None, costs=None, confidence=0.95, exposure=True,
                       max_rounds=None, segment_attr=None, backend=None):
    """Select seeds with each strategy and evaluate them all in the same worlds.

    Parameters
    ----------
    graph : FollowerGraph
    strategies : list of str or Strategy
        Registry names (``"degree"``, ``"imm"``, ...) or instances
        (``vs.strategies.IMM(eps=0.05)``). Repeated names get ``#2``, ``#3``.
    k : int or list of int, optional
        Seed counts (exactly one of ``k`` and ``budget``).
    budget : float or list of float, optional
        Budgets, with seed ``costs``.
    model : DiffusionModel, default ``vs.IC()``
    n_sims : int, default 10,000
        Worlds for the evaluation (fresh ones: not the worlds any strategy
        selected on).
    rng : int, Generator, optional
        Drives both the selections (every strategy gets the same selection
        seed) and the evaluation worlds (another key drawn from it).
    baseline : str, optional
        Strategy label the differences are taken against (default: the
        first), or ``"best_heuristic"``: the heuristic among the strategies
        (random, degree, pagerank, degree_discount, single_discount) with
        the largest expected reach at the largest ``k`` (or budget), the
        first of them on a tie; chosen after the evaluation, in the same
        worlds, and named in the ``baseline`` column.
    costs : see :meth:`Strategy.select`.
    confidence : float, default 0.95
    exposure : bool, default True
    max_rounds : int, optional
        Campaign horizon of the evaluation.
    segment_attr : str, optional
        Node attribute of weights (e.g. 1 for the target segment, 0
        elsewhere): adds ``segment_reach_mean`` and its CI, and its paired
        difference against the baseline, measured in the same worlds.
        Needs independent-cascade worlds (``IC``, or word of mouth that
        reduces to it; other models: an error, give the model its own
        ``segment_attr``) and no horizon (else the columns are absent).
    backend : optional
        Where the evaluation worlds run (see :func:`estimate_reach`):
        ``"serial"`` (default) or ``"ray"``; results are identical. Strategies
        that simulate worlds while selecting (CELF) and were given no backend
        of their own use it too.

    Returns
    -------
    ComparisonTable

    Raises
    ------
    ValueError, TypeError
        Not exactly one of ``k`` and ``budget``, an empty or bad list of
        them, no strategy, an unknown ``baseline``, ``n_sims < 2``, a bad
        ``confidence``, a ``segment_attr`` with a model whose worlds are not
        independent-cascade worlds, bad weights or costs (the arguments
        before any selection runs; costs and weights after the selections).
    KeyError
        ``segment_attr`` or ``costs`` names a node attribute the graph lacks.

    Notes
    -----
    Paired difference: ``d_r = reach_r(S) − reach_r(B)`` in each world
    ``r``; its mean and CI ``mean ± t·sd(d)/√n`` (``t``: Student's quantile,
    ``n - 1`` degrees of freedom). The unpaired interval
    ``± t·sqrt(se_S² + se_B²)`` is reported beside it for contrast. A strategy whose selection for ``k`` is a prefix of its
    selection for a larger ``k`` (``Strategy.nested``: heuristics, CELF)
    selects once for the largest ``k``.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 0, 1, 3, 3], [1, 2, 2, 4, 5], probs=1.0)
    >>> t = vs.compare_strategies(g, ["degree", "degree"], k=[1, 2], n_sims=100, rng=0)
    >>> [(r["strategy"], r["k"], r["reach_mean"], r["diff_mean"]) for r in t.rows]
    [('degree', 1, 3.0, 0.0), ('degree', 2, 6.0, 0.0), ('degree#2', 1, 3.0, 0.0), ('degree#2', 2, 6.0, 0.0)]
    """
    func = "compare_strategies"
    axis, values, named, baseline, n_sims, confidence = _check_arguments(
        graph, strategies, k, budget, baseline, n_sims, confidence, backend, func)
    model = IC() if model is None else model
    gen = check_rng(rng)
    sel_seed = int(gen.integers(0, 2**63 - 1))
    eval_key = seed_from_rng(gen)
    selections = _select(graph, named, axis, values, model, sel_seed, costs)
    from .strategies._base import resolve_costs

    cost_arr = resolve_costs(graph, costs, func)
    weights = _segment_weights(graph, model, segment_attr, func)
    evals = _evaluate(graph, selections, model, eval_key, weights, n_sims=n_sims,
                      confidence=confidence, exposure=exposure, max_rounds=max_rounds,
                      backend=backend)
    if baseline == BEST_HEURISTIC:
        baseline = _best_heuristic(named, evals, values)
    rows = [_row(graph, label, v, axis, selections[label, v], evals[label, v],
                 evals[baseline, v], baseline, cost_arr, n_sims, confidence)
            for label, _ in named for v in values]
    return ComparisonTable(rows, axis=axis)


def _best_heuristic(named, evals, values):
    """The label of the heuristic with the largest mean reach at the largest value
    (the first of them on a tie)."""
    top = max(values)
    heuristics = [label for label, strat in named if strat.name in HEURISTICS]
    return max(heuristics, key=lambda lab: (evals[lab, top][0].mean, -heuristics.index(lab)))


def _check_axis(k, budget, func):
    """``(axis, values)``: ``"k"`` and seed counts, or ``"budget"`` and budgets, checked."""
    if (k is None) == (budget is None):
        raise ValueError(
            f"{func} takes exactly one of 'k' (a list of seed counts) and 'budget' (a list of "
            f"budgets). Got k={shown(k)}, budget={shown(budget)}."
        )
    axis = "k" if k is not None else "budget"
    values = k if k is not None else budget
    values = list(values) if np.ndim(values) else [values]
    if not values:
        raise ValueError(f"The {axis!r} parameter of {func} must list at least one value.")
    if axis == "k":
        values = [check_int(v, "k", func, low=0) for v in values]
    else:
        values = [check_float(float(v) if isinstance(v, int) else v, "budget", func, low=0.0)
                  for v in values]
    return axis, values


def _check_arguments(graph, strategies, k, budget, baseline, n_sims, confidence, backend, func):
    """Everything checked before any selection runs:
    ``(axis, values, named strategies, baseline, n_sims, confidence)``."""
    if not isinstance(graph, FollowerGraph):
        raise TypeError(
            f"The 'graph' parameter of {func} must be a FollowerGraph. Got "
            f"{type(graph).__name__} instead."
        )
    axis, values = _check_axis(k, budget, func)
    if isinstance(strategies, (str, Strategy)):
        strategies = [strategies]
    if isinstance(strategies, Mapping) or not isinstance(strategies, Iterable):
        raise param_error("strategies", func, "a list of strategy names or instances",
                          strategies, exc=TypeError)
    named = _names(strategies, backend)
    if not named:
        raise ValueError(f"The 'strategies' parameter of {func} must name at least one strategy.")
    labels = [lab for lab, _ in named]
    baseline = labels[0] if baseline is None else baseline
    if baseline == BEST_HEURISTIC and baseline not in labels:
        if not any(strat.name in HEURISTICS for _, strat in named):
            raise ValueError(
                f"{func}: baseline={BEST_HEURISTIC!r} compares with the best of the heuristics "
                f"{list(HEURISTICS)}, but the strategies {labels} include none. Add one (e.g. "
                "'degree') or name the baseline.")
    elif baseline not in labels:
        raise ValueError(
            f"The 'baseline' parameter of {func} must be one of the strategies "
            f"{labels}. Got {shown(baseline)} instead."
        )
    n_sims = check_int(n_sims, "n_sims", func, low=2)
    confidence = check_float(confidence, "confidence", func, low=0.0, high=1.0, low_open=True,
                             high_open=True)
    t_quantile(confidence, n_sims)  # (and a confidence so close to 1 that t is infinite)
    return axis, values, named, baseline, n_sims, confidence


def _select(graph, named, axis, values, model, sel_seed, costs):
    """``{(label, value): (selection, seed indices, shared)}``: a nested strategy (its
    seeds for k a prefix of those for a larger k) selects once, for the largest k."""
    selections = {}
    for label, strat in named:
        if axis == "k" and strat.nested:
            kmax = max(values)
            full = strat.select(graph, k=kmax, model=model, rng=sel_seed, costs=costs)
            for v in values:
                selections[label, v] = (full, full.indices[:v], v != kmax)
        else:
            for v in values:
                kw = {"k": v} if axis == "k" else {"budget": v}
                sel = strat.select(graph, model=model, rng=sel_seed, costs=costs, **kw)
                selections[label, v] = (sel, sel.indices, False)
    return selections


def _segment_weights(graph, model, segment_attr, func):
    """The node weights of ``segment_attr`` (None without one), after checking that the
    model's worlds are the ones the weighted reach is measured in."""
    if segment_attr is None:
        return None
    from .strategies._base import node_weights
    from .strategies._models import shares_ic_worlds

    if not shares_ic_worlds(model):  # the weighted reach would come from other worlds
        raise ValueError(
            f"{func}: segment_attr= measures segment reach in independent-cascade worlds, "
            f"which {model!r} does not share. Give "
            "the model its own segment instead (e.g. WordOfMouth(segment_attr=...)): the "
            "table then reports its segment_reach, measured in the model's worlds."
        )
    return node_weights(graph, segment_attr, func)


def _evaluate(graph, selections, model, eval_key, weights, *, n_sims, max_rounds, **kw):
    """``{(label, value): (ReachEstimate, per-world segment reach or None)}``, every seed
    set in the same worlds; a seed set two strategies share is estimated once."""
    by_seeds = {}
    evals = {}
    for (label, v), (_sel, idx, _) in selections.items():
        key = tuple(sorted(idx.tolist()))
        if key not in by_seeds:
            est = estimate_reach(graph, graph.labels[idx].tolist(), model=model, n_sims=n_sims,
                                 rng=eval_key, return_sizes=True, max_rounds=max_rounds, **kw)
            seg = None
            if weights is not None and max_rounds is None:
                seg = _segment_sizes(graph, model, idx, est.rng_key, n_sims, weights)
            by_seeds[key] = (est, seg)
        evals[label, v] = by_seeds[key]
    return evals


def _row(graph, label, v, axis, selection, evaluated, base, baseline, cost_arr, n_sims,
         confidence):
    """One table row: a strategy's seeds for one k (or budget), against the baseline's."""
    sel, idx, shared = selection
    (est, seg), (base_est, seg_b) = evaluated, base
    dm, _, dlo, dhi = paired_difference(est.sizes, base_est.sizes, confidence)
    ulo, uhi = t_interval(dm, unpaired_stderr(est.stderr, base_est.stderr), confidence, n_sims)
    if shared:  # a prefix of a larger selection: its own spread is the sum of its gains
        own = None if sel.gains is None else float(np.sum(sel.gains[: len(idx)]))
    else:
        own = sel.spread
    exp = est.exposure
    row = {
        "strategy": label,
        "k": v if axis == "k" else None,
        "budget": v if axis == "budget" else None,
        "n_seeds": int(len(idx)),
        "reach_mean": est.mean,
        "reach_stderr": est.stderr,
        "reach_ci_low": est.ci_low,
        "reach_ci_high": est.ci_high,
        "exposure_mean": exp.mean if exp is not None else None,
        "exposure_ci_low": exp.ci_low if exp is not None else None,
        "exposure_ci_high": exp.ci_high if exp is not None else None,
        "cost": float(len(idx)) if cost_arr is None else float(cost_arr[idx].sum()),
        "selection_s": sel.elapsed,
        "selection_shared": shared,
        "own_spread": own,
        "baseline": baseline,
        "diff_mean": dm,
        "diff_ci_low": dlo,
        "diff_ci_high": dhi,
        "diff_ci_unpaired_low": ulo,
        "diff_ci_unpaired_high": uhi,
        "n_sims": n_sims,
        "seeds": graph.labels[idx].tolist(),  # labels as Python values
    }
    for name, m in est.metrics.items():
        if name not in ("reach", "exposure"):
            row[f"{name}_mean"] = m.mean
    if seg is not None:
        sm, _, slo, shi = sample_interval(seg, confidence)
        sdm, _, sdlo, sdhi = paired_difference(seg, seg_b, confidence)
        row.update({
            "segment_reach_mean": sm,
            "segment_reach_ci_low": slo,
            "segment_reach_ci_high": shi,
            "segment_diff_mean": sdm,
            "segment_diff_ci_low": sdlo,
            "segment_diff_ci_high": sdhi,
        })
    return row


def _csv_cell(v, safe):
    """A table cell for CSV: lists as JSON, text made spreadsheet-safe, the rest as is."""
    if isinstance(v, (list, tuple)):
        v = json.dumps(v)
    return safe(v) if isinstance(v, str) else v
