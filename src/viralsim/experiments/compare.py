"""``experiment=compare``: strategies x seed counts (or budgets), on common random numbers.

Config: ``conf/experiment/compare.yaml`` (schema :class:`CompareConf`). The
work is :func:`viralsim.compare_strategies`'; this module turns its table
into the tidy rows of every experiment (:func:`_standard_columns`), draws
reach against ``k`` (or budget) and the paired differences, and writes the
report.
"""

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from .. import report
from . import _build, _plans, _rows
from ._schema import MISSING, CostConf

__all__ = ["CompareConf", "run_compare", "compare_report", "winner_sentence",
           "default_baseline"]

log = logging.getLogger("viralsim")


@dataclass
class CompareConf:
    """Schema of ``experiment=compare``.

    Parameters
    ----------
    strategies : list of str
        Strategy names (see :func:`viralsim.select_seeds`).
    k, budgets : list, optional
        Seed counts, or budgets (with ``costs``): exactly one of them. One
        number is read as a list of one.
    baseline : str, optional
        The strategy the others are compared with (paired differences).
        Default: the best heuristic among them (``"best_heuristic"``: of
        random, degree, pagerank, degree_discount and single_discount, the
        one with the largest reach at the largest k or budget), or the first
        strategy when none is a heuristic.
    costs : CostConf
        Seed costs, for budgets.
    n_sims : int, optional
        Worlds per evaluation.
    """

    name: str = "compare"
    strategies: list = MISSING
    k: Any = None  # a list of seed counts (one number is read as a list of one)
    budgets: Any = None  # or a list of budgets (likewise)
    baseline: str | None = None
    costs: CostConf = field(default_factory=CostConf)
    n_sims: int | None = 2_000


#: vs.compare_strategies' column names -> the tidy names of every experiment table
#: (the library's ComparisonTable and the command line's results.csv are both public:
#: neither vocabulary can change without changing what users read)
_RENAME = {"reach_mean": "mean", "reach_stderr": "stderr", "reach_ci_low": "ci_low",
           "reach_ci_high": "ci_high", "exposure_mean": "exposure", "diff_mean": "diff",
           "selection_s": "select_time"}


def _standard_columns(r):
    """A :class:`~viralsim.ComparisonTable` row in the experiments' column names."""
    out = {}
    for c, v in r.items():
        if c in ("k", "budget") and v is None:
            continue
        if c == "seeds" and isinstance(v, (list, tuple)):
            v = " ".join(str(x) for x in v)  # the compare table's seed column: every label
        out[_RENAME.get(c, c)] = v
    return out


def _as_rows(table):
    if isinstance(table, list):
        return [dict(r) if not isinstance(r, dict) else r for r in table]
    for attr in ("rows", "to_rows"):
        v = getattr(table, attr, None)
        if v is not None:
            return _as_rows(v() if callable(v) else v)
    if hasattr(table, "to_dict"):
        return table.to_dict("records")
    return [dict(getattr(r, "__dict__", r)) for r in table]


@dataclass(frozen=True)
class _Setup:
    """The run's objects, read from its config once."""

    graph: Any
    model: Any
    strategies: list
    xkey: str  # "k" or "budget"
    args: dict  # compare_strategies' k= or budget= (with costs=), baseline=
    n_sims: int
    estimation: _build.Estimation
    info: _build.RunInfo


def _setup(cfg, keys):
    exp = cfg["experiment"]
    # the settings first: a mistake there must not wait for the graph
    budgets = _plans.numbers(exp.get("budgets"), "experiment.budgets")
    ks = _plans.numbers(exp.get("k"), "experiment.k")
    if (ks is None) == (budgets is None):
        raise ValueError("experiment=compare takes either experiment.k (a list of seed counts) "
                         "or experiment.budgets, exactly one of them (with budgets, add "
                         "experiment.k=null).")
    if ks is not None and any(not (k.is_integer() and k >= 0) for k in ks):
        raise ValueError(f"experiment.k={ks}: seed counts must be whole numbers >= 0.")
    graph = _build.build_graph(cfg)
    model = _build.build_model(cfg)
    strategies = [str(s) for s in exp["strategies"]]
    estimation = _build.Estimation.from_config(cfg, exp)
    n_sims = estimation.kwargs().get("n_sims", 10_000)
    xkey = "k" if ks is not None else "budget"
    args = {xkey: [int(x) for x in ks] if ks is not None else budgets}
    if budgets is not None:
        args["costs"] = _plans.seed_costs(graph, exp.get("costs"))
    args["baseline"] = default_baseline(strategies, exp.get("baseline"))
    return _Setup(graph, model, strategies, xkey, args, n_sims, estimation,
                  _build.RunInfo.from_config(cfg, keys))


def default_baseline(strategies, baseline=None):
    """The baseline of ``experiment=compare``: ``baseline`` when given, else the best
    heuristic (``"best_heuristic"``) when a strategy is one, else None (the first).

    Examples
    --------
    >>> from viralsim.experiments.compare import default_baseline
    >>> default_baseline(["imm", "degree", "random"]), default_baseline(["imm", "celf"])
    ('best_heuristic', None)
    >>> default_baseline(["imm", "degree"], "imm")
    'imm'
    """
    from ..compare import BEST_HEURISTIC, HEURISTICS

    if baseline:
        return str(baseline)
    return BEST_HEURISTIC if any(str(s) in HEURISTICS for s in strategies) else None


def _compare(s):
    """:func:`viralsim.compare_strategies`' rows, as the experiments' rows."""
    import viralsim as vs

    from ..distributed import get_backend

    t0 = time.perf_counter()
    try:
        table = vs.compare_strategies(s.graph, s.strategies, model=s.model, n_sims=s.n_sims,
                                      rng=s.estimation.rng_seed,
                                      confidence=s.estimation.confidence,
                                      backend=get_backend(s.estimation.backend or "serial"),
                                      **s.args)
    except vs.ModelNotSupported as exc:
        if type(s.model).__name__ != "OutsideIC":
            raise
        # compare_strategies picks and scores with one model; reverse sampling has no
        # outside source (the campaign and estimate experiments pick for the follows)
        raise vs.ModelNotSupported(
            f"{exc} With graph=fitted, set graph.outside=false to compare on the learned "
            f"probabilities without the outside influence.") from None
    log.info("compared %d strategies in %.2f s (selection and shared evaluation)",
             len(s.strategies), time.perf_counter() - t0)
    base, tail = _rows.base_row(s.info, s.graph)
    rows = []
    for r in _as_rows(table):
        r = _standard_columns(r)
        # a row's own time is its selection's; the worlds are simulated once for all rows
        r.setdefault("elapsed", r.get("select_time"))
        rows.append({**base, **r, **{t: r.get(t, v) for t, v in tail.items()}})
    return rows


def _figures(s, rows, out_dir, files):
    from .. import plots

    xkey = s.xkey
    ax = plots.reach_curve(rows, x=xkey, group="strategy")
    ax.set_title(f"reach vs {xkey} on {s.info.graph}")
    _rows.save_figure(ax, out_dir, f"reach_vs_{xkey}", s.info, files)
    figs = {f"Reach vs {xkey}": f"reach_vs_{xkey}.png"}
    top = max(r[xkey] for r in rows)
    diffs = [dict(r, label=f"{r['strategy']} ({xkey} = {top:g})") for r in rows
             if r[xkey] == top and r.get("diff") is not None and r.get("diff_ci_low") is not None
             and r.get("strategy") != r.get("baseline")]
    if diffs:
        base = diffs[0].get("baseline")
        what = f"{base}, the best heuristic" if _is_best_heuristic(rows, base, xkey) else base
        # random's gap (thousands) would squash the others' (a few): it stays in the table
        shown = [d for d in diffs if d["strategy"] != "random"] or diffs
        ax = plots.paired_differences(shown, label="label", against=base)
        pct = f"{100 * float(s.info.confidence):g}%"
        ax.set_title(f"paired differences in reach against {what}\n{pct} CI, {xkey} = {top:g}",
                     fontsize="medium")
        _rows.save_figure(ax, out_dir, "paired_differences", s.info, files)
        left = " (random, far below, is in the table)" if len(shown) < len(diffs) else ""
        figs[f"Paired differences against {what}{left}"] = "paired_differences.png"
    return figs


def run_compare(cfg, out_dir, keys=None):
    """Compare strategies at each ``k`` (or budget) into ``out_dir``.

    Parameters
    ----------
    cfg : dict
        The composed config (plain), ``experiment`` as :class:`CompareConf`.
    out_dir : str
        Where the files go (it exists).
    keys : dict, optional
        Extra columns for every row (a sweep's overrides).

    Returns
    -------
    Outcome
        One row per strategy and ``k`` (or budget); ``label`` is ``strategy``.

    Raises
    ------
    ValueError
        Both or neither of ``k`` and ``budgets``, a ``k`` that is not a whole
        number, a budget that is not a number.

    Examples
    --------
    >>> import tempfile
    >>> from viralsim.experiments import run_compare
    >>> cfg = {"experiment": {"name": "compare", "strategies": ["degree", "random"], "k": [1],
    ...                       "n_sims": 50},
    ...        "graph": {"_target_": "viralsim.generators.holme_kim", "n_nodes": 60, "m": 2,
    ...                  "p_triangle": 0.3}, "probabilities": {"scheme": "weighted_cascade"},
    ...        "formats": []}
    >>> [r["strategy"] for r in run_compare(cfg, tempfile.mkdtemp()).rows]
    ['degree', 'random']
    """
    s = _setup(cfg, keys)
    rows = _compare(s)
    files = _rows.write_rows(rows, out_dir)
    figs = _figures(s, rows, out_dir, files)
    text = compare_report(rows, figs, dict(s.info.report_settings,
                          assumption=_build.probability_assumption(cfg)), xkey=s.xkey)
    files.append(report.write(out_dir, text))
    # without seed costs a row's cost is its seed count: not worth a console column
    disp = rows if "costs" in s.args else [{c: v for c, v in r.items() if c != "cost"}
                                           for r in rows]
    return _rows.Outcome(rows, files, {"display": disp}, text, label="strategy")


def compare_report(rows, figs, cfg, xkey="k"):
    """``report.md`` of a comparison: the table, the best strategy at each ``k``
    (or budget) and each one's paired difference from the baseline.

    Parameters
    ----------
    rows : list of dict
    figs : dict
        Figure title -> file name.
    cfg : mapping
        ``confidence`` and ``rng_seed``.
    xkey : {"k", "budget"}

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.experiments.compare import compare_report
    >>> rows = [{"plan": "a", "strategy": "degree", "k": 2, "mean": 12.0, "ci_low": 11.0,
    ...          "ci_high": 13.0, "n_sims": 100, "elapsed": 0.1, "rng_seed": 0}]
    >>> print(compare_report(rows, {}, {}).splitlines()[0])
    # Strategy comparison
    """
    pm, md = report.plus_minus, report.escape_md  # md: user text (strategy names)
    verdict = winner_sentence(rows, xkey, cfg.get("confidence", 0.95))
    words = []
    for x in sorted({r[xkey] for r in rows}):
        rs = [r for r in rows if r[xkey] == x]
        b = max(rs, key=lambda r: r["mean"])
        words.append(f"- At {xkey} = {x:,}: best is **{md(b['strategy'])}** with "
                     f"{pm(b['mean'], b['ci_low'], b['ci_high'])} consumers.")
        for r in rs:
            if ("diff" in r and r.get("diff") is not None and r.get("baseline")
                    and r["baseline"] != r["strategy"]):  # not "random reaches 0 more than random"
                d, lo, hi = r["diff"], r["diff_ci_low"], r["diff_ci_high"]
                gap = pm(d, lo, hi) if d >= 0 else pm(-d, -hi, -lo)  # "2 fewer", not "-2 fewer"
                words.append(f"  - {md(r['strategy'])} reaches {gap} "
                             f"{'more' if d >= 0 else 'fewer'} consumers than {md(r['baseline'])} "
                             "(paired, same worlds).")
    return (report.header("Strategy comparison", rows, cfg) + "\n"
            + (f"**{md(verdict)}**\n\n" if verdict else "")
            + report.markdown_table(rows, "strategy") + "\n\n" + "\n".join(words) + "\n\n"
            + report.figure_links(figs) + "\n")


def _is_best_heuristic(rows, name, xkey):
    """Whether ``name`` is the heuristic with the largest reach at the largest x."""
    from ..compare import HEURISTICS

    top = max(r[xkey] for r in rows)
    heur = [r for r in rows if r[xkey] == top
            and str(r.get("strategy")).split("#")[0] in HEURISTICS]
    return bool(heur) and max(heur, key=lambda r: r["mean"])["strategy"] == name


def winner_sentence(rows, xkey="k", confidence=0.95):
    """Which strategy wins at the largest ``k`` (or budget), and by how much: the
    paired difference (same worlds) of the best other strategy with the baseline.

    Parameters
    ----------
    rows : list of dict
        The comparison's rows (``strategy``, ``mean``, ``baseline``, ``diff``
        with ``diff_ci_low`` and ``diff_ci_high``).
    xkey : {"k", "budget"}
    confidence : float
        The level the intervals were computed at (for the words).

    Returns
    -------
    str
        The other strategy wins (its interval above 0), the baseline wins
        (below 0), or no clear winner (the interval includes 0). Empty
        without a baseline among the rows or another strategy.

    Examples
    --------
    >>> from viralsim.experiments.compare import winner_sentence
    >>> rows = [{"strategy": s, "k": 10, "mean": m, "baseline": "degree", "diff": d,
    ...          "diff_ci_low": d - 1, "diff_ci_high": d + 1}
    ...         for s, m, d in (("degree", 100.0, 0.0), ("imm", 103.0, 3.0))]
    >>> print(winner_sentence(rows))
    At k = 10, imm wins: it reaches 3.0 ± 1.0 more consumers than degree, the best heuristic (95% CI, paired: same worlds).
    """
    if not rows:
        return ""
    top = max(r[xkey] for r in rows)
    base, others = _paired_at(rows, xkey, top)
    if base is None:
        return ""
    pct = f"{100 * float(confidence):g}%"
    name = f"{base}, the best heuristic" if _is_best_heuristic(rows, base, xkey) else base
    best = max(others, key=lambda r: r["diff"])
    return _verdict(f"At {xkey} = {top:,g}", name, base, best, pct)


def _paired_at(rows, xkey, top):
    """``(baseline, others)``: the baseline of the rows at ``xkey == top`` that
    have a paired difference, and the other strategies' rows; ``(None, [])``
    without a baseline among them or another strategy."""
    rs = [r for r in rows if r[xkey] == top and r.get("diff") is not None
          and r.get("diff_ci_low") is not None]
    base = rs[0].get("baseline") if rs else None
    others = [r for r in rs if r.get("strategy") != base]
    if not base or not others or not any(r.get("strategy") == base for r in rs):
        return None, []
    return base, others


def _verdict(at, name, base, best, pct):
    """The sentence for ``best``'s paired difference with the baseline ``base``
    (called ``name``): it wins, the baseline wins, or no clear winner."""
    pm = report.plus_minus
    d, lo, hi = best["diff"], best["diff_ci_low"], best["diff_ci_high"]
    subject = f"{name}," if name != base else name
    if lo > 0:
        return (f"{at}, {best['strategy']} wins: it reaches {pm(d, lo, hi)} more consumers "
                f"than {name} ({pct} CI, paired: same worlds).")
    if hi < 0:
        return (f"{at}, {subject} wins: the next best, {best['strategy']}, reaches "
                f"{pm(-d, -hi, -lo)} fewer consumers ({pct} CI, paired: same worlds).")
    if d >= 0:
        lead = f"{best['strategy']} reaches {pm(d, lo, hi)} more consumers than {name}"
    else:
        lead = f"{subject} reaches {pm(-d, -hi, -lo)} more consumers than {best['strategy']}"
    return (f"{at}, no clear winner at {pct}: {lead}, an interval that includes 0 (paired: "
            "same worlds).")
