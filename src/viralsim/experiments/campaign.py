"""``experiment=campaign``: the marketer's question. Which plan, how much better,
and what each budget buys.

Config: ``conf/experiment/campaign.yaml`` (schema :class:`CampaignConf`). The
run's natural steps are functions of their own: :func:`price_plans` (each
plan's seeds and cost), :func:`rank_plans` (estimates, ranked, with paired
differences against the best) and :func:`budget_curve` (reach per budget
and the best plan at each).
"""

import logging
import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .. import report
from ..exceptions import AttributeNotFound
from . import _band, _build, _plans, _rows
from ._schema import MISSING, CostConf

__all__ = ["CampaignConf", "run_campaign", "price_plans", "rank_plans", "budget_curve",
           "campaign_report", "PricedPlan", "target_rows", "plan_bands", "band_section"]

log = logging.getLogger("viralsim")


@dataclass
class CampaignConf:
    """Schema of ``experiment=campaign``.

    Parameters
    ----------
    plans : list
        Candidate plans: ``{name, seeds}``, ``{name, strategy, k}``, or
        ``{name, strategy}`` (sized by each budget).
    budgets : list
        Budgets (one number is read as a list of one); plans dearer than the
        largest are left out.
    costs : CostConf
        Seed costs.
    target_segment : int or str, optional
        Adds ``segment_reach``: adopters in this segment (node attribute
        ``segment_attr``), measured in the same worlds. A text segment (a
        consumers CSV column such as ``students``) is matched as text. The
        optimising strategies (``imm``, ``opim_c``, ``celf``) then maximise
        adopters in the segment (``weight_attr``: RR sets rooted in it).
    segment_attr : str
        Matched without regard to case and spaces (``Segment``).
    goal : {"adopters", "exposure"}
        What the optimising strategies maximise and what the plans are ranked
        by at each budget: expected adopters (in the target segment when one
        is set: ``segment_reach``), or exposure (people who see the campaign;
        with a target segment, ``imm`` and ``opim_c`` maximise exposure within
        it, while the ranking uses exposure overall, the one measured).
    n_sims : int, optional
        Worlds per plan.
    uncertainty : {"none", "assumptions", "parameters"}
        A band beside each plan's simulation ±: its reach under the
        probability schemes of ``band_assumptions`` besides the run's own
        (lowest to highest), or across ``band_draws`` parameter sets drawn
        from a fitted graph's uncertainty (``graph=fitted``; the
        ``band_level`` band). Same worlds as the plan's estimate.
    band_assumptions : list
        Schemes (``weighted_cascade``, ``trivalency``) and uniform p's.
    band_draws : int
    band_level : float
    band_sims : int, optional
        Worlds per assumption or draw (default: the plan's ``n_sims``).
    """

    name: str = "campaign"
    plans: list = MISSING
    budgets: Any = field(default_factory=list)  # one number is read as a list of one
    costs: CostConf = field(default_factory=CostConf)
    target_segment: Any = None  # adds segment_reach: adopters in this segment (a number or a text)
    segment_attr: str = "segment"
    goal: str = "adopters"  # or exposure: what optimisers maximise and plans are ranked by
    n_sims: int | None = 10_000
    uncertainty: str = "none"
    band_assumptions: list = field(default_factory=lambda: list(_band.DEFAULT_ASSUMPTIONS))
    band_draws: int = 20
    band_level: float = 0.9
    band_sims: int | None = None


@dataclass(frozen=True)
class Campaign:
    """A campaign's objects, read from its config once (:func:`campaign_of`).

    Parameters
    ----------
    graph : FollowerGraph
    model : DiffusionModel
    costs : numpy.ndarray
        Each consumer's seed cost.
    plans : list of (name, plan mapping)
    budgets : list of float
        Sorted; empty for no budget curve.
    estimate_kw : dict
        Keyword arguments of :func:`viralsim.estimate_reach` (fixed worlds).
    estimation : Estimation
    info : RunInfo
    segment : int, str or None
        The target segment.
    band : BandSettings
        ``experiment.uncertainty`` and its settings.
    goal : {"adopters", "exposure"}
        ``experiment.goal``.
    """

    graph: Any
    model: Any
    costs: Any
    plans: list
    budgets: list
    estimate_kw: dict
    estimation: _build.Estimation
    info: _build.RunInfo
    segment: Any = None  # the target segment, if any
    band: Any = field(default_factory=_band.BandSettings)
    goal: str = "adopters"

    @property
    def rank_key(self):
        """The row column plans are ranked by: ``exposure``, ``segment_reach`` (adopters
        in the target segment) or ``mean`` (adopters)."""
        if self.goal == "exposure":
            return "exposure"
        return "segment_reach" if self.segment is not None else "mean"

    @property
    def top(self):
        """The largest budget (None without budgets)."""
        return self.budgets[-1] if self.budgets else None


class PricedPlan(NamedTuple):
    """A plan with its seeds (at the largest budget when it is sized by budget) and their cost."""

    index: int
    name: str
    plan: dict
    seeds: list
    cost: float

    @property
    def budget_sized(self):
        """Whether a budget sizes the plan (a strategy with no ``k``)."""
        return self.plan.get("seeds") is None and self.plan.get("k") is None


def _budgets(exp):
    budgets = sorted(_plans.numbers(exp.get("budgets"), "experiment.budgets") or [])
    if any(not (math.isfinite(b) and b > 0) for b in budgets):
        raise ValueError(f"experiment.budgets={budgets}: every budget must be a number > 0.")
    return budgets


def _in_segment(graph, exp):
    """The graph marked with the target segment (node attribute ``_target_segment``)."""
    import numpy as np

    target = exp["target_segment"]
    attr = _plans.attr_name(graph, exp.get("segment_attr") or "segment")
    if attr not in graph.node_attrs:
        raise AttributeNotFound(
            f"experiment.target_segment needs the node attribute {attr!r}; the graph has "
            f"{sorted(graph.node_attrs)}. Set experiment.segment_attr or drop target_segment."
        )
    values = graph.node_attrs[attr]
    if values.dtype.kind in "OUS":  # a text column of the consumers CSV: matched as text
        values = np.array([str(v).strip() for v in values], dtype=object)
        target = str(target).strip()
    elif isinstance(target, str):
        try:
            target = float(target)
        except ValueError:
            raise ValueError(
                f"experiment.target_segment={target!r}: the {attr!r} attribute holds numbers; "
                f"give one of its values.") from None
    if not (values == target).any():
        have = np.unique(values[np.isfinite(values)] if values.dtype.kind == "f" else values)
        shown = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in have[:20])
        raise ValueError(
            f"experiment.target_segment={target}: no consumer is in that segment (the "
            f"{attr!r} values are {shown}{' ...' if have.size > 20 else ''}). Pick one of "
            f"those.")
    return graph.with_node_attr("_target_segment", values == target)


#: what each ranking column counts, for report.md
_RANKED_BY = {"exposure": "exposure, the expected number of people who see the campaign",
              "segment_reach": "expected adopters in the target segment",
              "mean": "expected adopters"}


def _goal(exp):
    """``experiment.goal`` checked (one-line error naming the choices)."""
    from ..strategies._base import GOALS

    goal = exp.get("goal") or "adopters"
    if goal not in GOALS:
        raise ValueError(f"experiment.goal={goal!r}: choose adopters (people who adopt) or "
                         "exposure (people who see the campaign), e.g. experiment.goal=exposure.")
    return goal


def _goal_params(c, plan):
    """The strategy parameters that point ``plan`` at the campaign's goal (and segment)."""
    if plan.get("strategy") is None:
        return None
    weight = "_target_segment" if c.segment is not None else None
    params = _plans.goal_params(plan["strategy"], c.goal, weight_attr=weight, model=c.model,
                                graph=c.graph)
    strategy = _plans._ALIASES.get(plan["strategy"], plan["strategy"])
    if strategy == "celf" and "goal" in params and "weight_attr" in params:
        raise ValueError(
            f"Plan {plan.get('name') or strategy!r}: experiment.goal=exposure with "
            "experiment.target_segment (exposure within a segment) is served by strategy imm "
            "or opim_c only; use one of those, drop target_segment or set goal=adopters.")
    return params


def campaign_of(cfg, keys=None):
    """The :class:`Campaign` of a composed config: the one place its config is read.

    Parameters
    ----------
    cfg : dict
        The composed config (plain), ``experiment`` as :class:`CampaignConf`.
    keys : dict, optional
        Extra columns for every row.

    Returns
    -------
    Campaign

    Raises
    ------
    ValueError, KeyError
        A budget that is not a positive number, no plans, an unknown or
        empty target segment, bad costs.

    Examples
    --------
    The steps of :func:`run_campaign`, without files:

    >>> from viralsim.experiments.campaign import (campaign_of, price_plans, rank_plans,
    ...                                            budget_curve)
    >>> cfg = {"experiment": {"name": "campaign", "n_sims": 50, "budgets": [5, 50],
    ...                       "costs": {"base": 1.0, "per_follower": 0.1},
    ...                       "plans": [{"name": "hub", "strategy": "degree", "k": 1},
    ...                                 {"name": "sized", "strategy": "degree"}]},
    ...        "graph": {"_target_": "viralsim.generators.holme_kim", "n_nodes": 60, "m": 2,
    ...                  "p_triangle": 0.3}, "probabilities": {"scheme": "weighted_cascade"}}
    >>> c = campaign_of(cfg)
    >>> chosen, left_out = price_plans(c)
    >>> rows = rank_plans(c, chosen)
    >>> curve, best = budget_curve(c, chosen, rows)
    >>> [r["rank"] for r in rows], [b["budget"] for b in best]
    ([1, 2], [5.0, 50.0])
    """
    exp = cfg["experiment"]
    goal = _goal(exp)
    budgets = _budgets(exp)
    band = _band.BandSettings.from_config(cfg, exp)
    graph = _build.build_graph(cfg)
    if exp.get("target_segment") is not None:
        # reach within the marketer's target segment, measured in the same worlds
        graph = _in_segment(graph, exp)
        model = _build.build_model(cfg, segment_attr="_target_segment")
    else:
        model = _build.build_model(cfg)
    costs = _plans.seed_costs(graph, exp.get("costs"))
    plans = list(exp.get("plans") or [])
    if not plans:
        raise ValueError("experiment.plans is empty: list candidate plans as seeds: [...] "
                         "or strategy: <name>.")
    estimation = _build.Estimation.from_config(cfg, exp)
    if goal == "exposure" and not estimation.exposure:
        raise ValueError("experiment.goal=exposure ranks plans by exposure, which exposure=false "
                         "turns off: set exposure=true or experiment.goal=adopters.")
    kw = estimation.kwargs(return_sizes=True)
    kw.pop("precision", None)
    kw.pop("max_sims", None)
    kw.setdefault("n_sims", 10_000)
    names = _plans.plan_names(plans, lambda i, p: p.get("strategy") or f"plan {i + 1}")
    c = Campaign(graph, model, costs, list(zip(names, plans)), budgets, kw, estimation,
                 _build.RunInfo.from_config(cfg, keys), exp.get("target_segment"), band, goal)
    for _, plan in c.plans:  # a goal a plan's strategy cannot serve: said before any run
        _goal_params(c, plan)
    return c


def _plan_seeds(c, i, plan, budget):
    """One plan's seeds; a plan without seeds or ``k`` is sized by ``budget``."""
    if plan.get("seeds") is None and plan.get("k") is None and budget is None:
        raise ValueError(f"Plan {plan.get('name')!r} uses a strategy without 'k'; give "
                         "experiment.budgets so the plan can be sized by cost.")
    bud = budget if plan.get("seeds") is None and plan.get("k") is None else None
    # optimisers maximise the goal (within the target segment: RR roots in it)
    params = _goal_params(c, plan)
    return _plans.resolve_plan(c.graph, plan, model=c.model,
                               rng=_build.sub_rng(c.estimation.rng_seed, 4, i), budget=bud,
                               costs=c.costs, func="experiment=campaign", params=params)


def price_plans(c):
    """Each plan's seeds and cost; with budgets, those over the largest are left out.

    Fixed plans (seed lists, or strategy + k) have one cost; budget-sized
    plans are sized by the largest budget.

    Parameters
    ----------
    c : Campaign

    Returns
    -------
    chosen : list of PricedPlan
    left_out : list of (name, cost)
        Plans dearer than the largest budget.

    Raises
    ------
    ValueError
        Every plan costs more than every budget.
    """
    chosen = []
    for i, (name, plan) in enumerate(c.plans):
        seeds = _plan_seeds(c, i, plan, c.top)
        cost = float(c.costs[c.graph.index_of(seeds, func="experiment=campaign")].sum())
        chosen.append(PricedPlan(i, name, plan, seeds, cost))
    if not c.budgets:
        return chosen, []
    cheapest = min(p.cost for p in chosen)
    if not _plans.within_budget(cheapest, c.top):
        raise ValueError(
            f"Every budget in experiment.budgets={c.budgets} is below the cost of every plan "
            f"(cheapest: {cheapest:,.2f}). Raise the budgets or add cheaper plans."
        )
    over = [(p.name, p.cost) for p in chosen if not _plans.within_budget(p.cost, c.top)]
    for n, cost in over:
        log.warning("plan %r costs %.2f, over the largest budget %.2f: left out", n, cost, c.top)
    return [p for p in chosen if _plans.within_budget(p.cost, c.top)], over


def rank_plans(c, chosen):
    """The plans' rows, best first, each with its paired difference from the best.

    Parameters
    ----------
    c : Campaign
    chosen : list of PricedPlan

    Returns
    -------
    list of dict
        With ``rank``, ``cost_per_adopter`` and ``diff`` (with its CI) against
        ``vs_best``, in the same worlds.
    """
    base, tail = _rows.base_row(c.info, c.graph)
    rows, sizes = [], {}
    for p in chosen:
        est = _rows.timed_estimate(c.graph, p.seeds, c.model, c.estimation.backend,
                                   **c.estimate_kw)
        sizes[p.name] = est.sizes
        row = dict(base, plan=p.name, strategy=p.plan.get("strategy") or "seeds",
                   k=len(p.seeds), cost=p.cost)
        row.update(_rows.estimate_row(est))
        row["cost_per_adopter"] = p.cost / est.mean if est.mean > 0 else None  # no adopter
        row.update(seeds=_rows.short(p.seeds), **tail)
        rows.append(row)
    key = _rank_key(c, rows)
    rows.sort(key=lambda r: -r[key])
    best = rows[0]["plan"]
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
        m, se, lo, hi = _rows.paired(sizes[r["plan"]], sizes[best], c.estimation.confidence)
        r.update(vs_best=best, diff=m, diff_stderr=se, diff_ci_low=lo, diff_ci_high=hi)
    return rows


def plan_bands(c, chosen, rows):
    """Each plan's band (``experiment.uncertainty``), its ``band_*`` columns added to its
    row; ``{plan: ReachBand}`` (empty when off).

    Parameters
    ----------
    c : Campaign
    chosen : list of PricedPlan
    rows : list of dict
        :func:`rank_plans`' rows (updated).

    Returns
    -------
    dict
    """
    from ..uncertainty import band_columns

    if not c.band.on:
        return {}
    bands = {}
    by_name = {r["plan"]: r for r in rows}
    for p in chosen:
        b = c.band.band(c.graph, c.model, p.seeds, n_sims=c.estimate_kw["n_sims"],
                        rng_seed=c.estimation.rng_seed, max_rounds=c.estimation.max_rounds)
        bands[p.name] = b
        by_name[p.name].update(band_columns(b))
    return bands


def _curve_point(c, b, p, rows, picks=None):
    """Plan ``p``'s point at budget ``b`` (None where it has none): a budget-sized
    plan is sized and estimated again; a fixed one keeps its row, if it fits.
    ``picks``: a dict that gets the point's seeds, keyed by ``(plan, budget)``."""
    if p.budget_sized:
        if not _plans.within_budget(float(c.costs.min()), b):
            log.info("plan %s: no consumer costs %s or less; no seeds at that budget",
                     p.name, f"{b:g}")
            return None
        s = _plan_seeds(c, p.index, p.plan, b)
        if not s:
            return None
        cost = float(c.costs[c.graph.index_of(s)].sum())
        est = _rows.estimate(c.graph, s, c.model, c.estimation.backend, **c.estimate_kw)
        point = {"plan": p.name, "budget": b, "cost": cost, "k": len(s), **_rows.estimate_row(est)}
    else:
        if not _plans.within_budget(p.cost, b):
            return None
        s = p.seeds
        src = next(x for x in rows if x["plan"] == p.name)
        point = {"plan": p.name, "budget": b, "cost": p.cost, "k": len(s),
                 **{k: v for k, v in src.items() if k in _ESTIMATE_KEYS or k.startswith(
                     ("exposure", "segment_reach"))}}
    point["cost_per_adopter"] = point["cost"] / point["mean"] if point["mean"] > 0 else None
    point["seeds"] = _rows.short(s)
    if picks is not None:
        picks[(p.name, b)] = list(s)
    return point


_ESTIMATE_KEYS = ("mean", "ci_low", "ci_high", "stderr", "n_sims", "elapsed", "converged")


def budget_curve(c, chosen, rows, picks=None):
    """Reach per budget for every plan, and the best plan at each budget.

    Parameters
    ----------
    c : Campaign
    chosen : list of PricedPlan
    rows : list of dict
        :func:`rank_plans`' rows (fixed plans' points are theirs).
    picks : dict, optional
        Filled with each point's full seed list (in pick order), keyed by
        ``(plan, budget)``.

    Returns
    -------
    curve : list of dict
        One row per plan and budget it has seeds at, with its
        ``cost_per_adopter`` and ``seeds`` (cut at 20, as in results.csv).
    best : list of dict
        Per budget the best plan's row (``plan`` is ``"best plan"``, ``best_of``
        names it), with ``marginal_reach_per_unit`` from the budget before
        (``from_budget``).
    """
    base, tail = _rows.base_row(c.info, c.graph)
    curve = []
    for b in c.budgets:
        for p in chosen:
            point = _curve_point(c, b, p, rows, picks)
            if point is not None:
                curve.append({**base, **point, **tail})
    best = []
    for b in c.budgets:
        cands = [r for r in curve if r["budget"] == b]
        if cands:
            key = _rank_key(c, cands)
            bb = max(cands, key=lambda r: r[key])
            best.append({**bb, "plan": "best plan", "best_of": bb["plan"]})
    for prev, cur in zip(best, best[1:]):
        db = cur["budget"] - prev["budget"]
        key = _rank_key(c, [prev, cur])
        cur["marginal_reach_per_unit"] = (cur[key] - prev[key]) / db if db else None
        cur["from_budget"] = prev["budget"]
    return curve, best


def _rank_key(c, rows):
    """The campaign's ranking column, or ``mean`` when a row lacks it (a model
    without exposure)."""
    key = c.rank_key
    return key if all(r.get(key) is not None for r in rows) else "mean"


def run_campaign(cfg, out_dir, keys=None):
    """Rank the campaign's plans and draw what each budget buys, into ``out_dir``.

    Parameters
    ----------
    cfg : dict
        The composed config (plain), ``experiment`` as :class:`CampaignConf`.
    out_dir : str
        Where the files go (it exists).
    keys : dict, optional
        Extra columns for every row (a sweep's overrides).

    Returns
    -------
    Outcome
        The ranked rows; ``extra["curve"]``: the budget curve's rows.

    Raises
    ------
    ValueError, KeyError
        See :func:`campaign_of` and :func:`price_plans`.

    Examples
    --------
    >>> import tempfile
    >>> from viralsim.experiments import run_campaign
    >>> cfg = {"experiment": {"name": "campaign", "n_sims": 50, "budgets": [],
    ...                       "plans": [{"name": "a", "seeds": [0]}, {"name": "b", "seeds": [1]}]},
    ...        "graph": {"_target_": "viralsim.generators.holme_kim", "n_nodes": 60, "m": 2,
    ...                  "p_triangle": 0.3}, "probabilities": {"scheme": "weighted_cascade"},
    ...        "formats": []}
    >>> [r["rank"] for r in run_campaign(cfg, tempfile.mkdtemp()).rows]
    [1, 2]
    """
    import os

    from .. import results as res

    c = campaign_of(cfg, keys)
    chosen, over = price_plans(c)
    rows = rank_plans(c, chosen)
    bands = plan_bands(c, chosen, rows)
    files = _rows.write_rows(rows, out_dir)
    figs = _ranking_figure(c, rows, out_dir, files)
    if bands and c.info.formats:
        figs.update(_band_figure(c.info, rows, out_dir, files))
    curve, best_curve, picks = [], [], {}
    if c.budgets:
        curve, best_curve = budget_curve(c, chosen, rows, picks)
        figs.update(_curve_files(c, curve + best_curve, out_dir, files))
    targets = target_rows(c, chosen, rows, best_curve, picks)
    files += res.write_table(targets, os.path.join(out_dir, "targets.csv"))
    best = rows[0]["plan"]
    key = _rank_key(c, rows)
    text = campaign_report(rows, best_curve, figs, dict(c.info.report_settings,
                           assumption=_build.probability_assumption(cfg)),
                           ranked_by=None if key == "mean" else key,
                           left_out=[(n, cost, c.top) for n, cost in over],
                           by_budget=curve, bands=bands,
                           best_targets=[t for t in targets if t["plan"] == best
                                         and t["budget"] == c.top])
    files.append(report.write(out_dir, text))
    extra = {"curve": curve, "targets": targets, "bands": bands}
    if curve:  # the console shows every budget, best first within each
        ck = _rank_key(c, curve)
        extra["display"] = sorted(curve, key=lambda r: (r["budget"], -r[ck]))
    return _rows.Outcome(rows, files, extra, text)


def _py(v):
    """A numpy scalar as the Python value a CSV cell or report shows."""
    return v.item() if hasattr(v, "item") else v


def target_rows(c, chosen, rows, best_curve, picks):
    """``targets.csv``: every plan's seeds at every budget, in pick order, with
    every consumers-file column (node attributes), followers and cost.

    Parameters
    ----------
    c : Campaign
    chosen : list of PricedPlan
    rows : list of dict
        :func:`rank_plans`' rows (ranked at the largest budget).
    best_curve : list of dict
        :func:`budget_curve`'s best plan per budget.
    picks : dict
        ``(plan, budget) -> seeds`` from :func:`budget_curve` (empty without
        budgets: each plan's seeds from ``chosen``, budget blank).

    Returns
    -------
    list of dict
        One row per seed: ``plan``, ``budget``, ``best`` (the best plan at
        that budget), ``pick`` (1 = picked first), ``id``, the node attributes,
        ``followers``, ``cost`` (its seed cost; ``seed_cost`` when a node
        attribute is named ``cost``) and ``total_cost`` (running total).
    """
    import numpy as np

    attrs = {k: v for k, v in c.graph.node_attrs.items() if not k.startswith("_")}
    cost_col = "seed_cost" if "cost" in attrs else "cost"
    fol_col = "followers_in_graph" if "followers" in attrs else "followers"
    followers = c.graph.out_degree()
    if picks:
        best_at = {b["budget"]: b["best_of"] for b in best_curve}
        sets = [(plan, b, seeds, best_at.get(b) == plan) for (plan, b), seeds in picks.items()]
        order = {p.name: i for i, p in enumerate(chosen)}
        sets.sort(key=lambda t: (t[1], not t[3], order[t[0]]))
    else:
        top = rows[0]["plan"]
        sets = [(p.name, None, p.seeds, p.name == top) for p in chosen]
    out = []
    for plan, b, seeds, best in sets:
        idx = np.asarray(c.graph.index_of(seeds, func="experiment=campaign"))
        total = 0.0
        for pick, (label, i) in enumerate(zip(seeds, idx.tolist()), 1):
            total += float(c.costs[i])
            out.append({"plan": plan, "budget": b, "best": best, "pick": pick, "id": _py(label),
                        **{k: _py(v[i]) for k, v in attrs.items()},
                        fol_col: int(followers[i]), cost_col: float(c.costs[i]),
                        "total_cost": total})
    return out


def _ranking_figure(c, rows, out_dir, files):
    from .. import plots

    ax = plots.paired_differences(rows, label="plan", against=rows[0]["plan"])
    ax.set_title("reach compared with the best plan")
    _rows.save_figure(ax, out_dir, "paired_differences", c.info, files)
    return {"Paired differences against the best plan": "paired_differences.png"}


def _band_figure(info, rows, out_dir, files):
    from .. import plots

    ax = plots.reach_band(rows, label="plan")
    kind = rows[0].get("band_kind")
    ax.set_title("reach: simulation CI and " + ("fitted-parameter band" if kind == "parameters"
                                                 else "probability-assumption band"))
    _rows.save_figure(ax, out_dir, "reach_band", info, files)
    return {"Reach with its simulation CI and its band": "reach_band.png"}


def _curve_files(c, curve_rows, out_dir, files):
    import os

    from .. import plots
    from .. import results as res

    files += res.write_table(curve_rows, os.path.join(out_dir, "budget_curve.csv"))
    ax = plots.reach_curve(curve_rows, x="budget", group="plan", envelope="best plan")
    ax.set_title("reach per budget")
    _rows.save_figure(ax, out_dir, "reach_vs_budget", c.info, files)
    figs = {"Reach per budget": "reach_vs_budget.png"}
    if c.segment is not None and all("segment_reach" in r for r in curve_rows):
        # the target segment is what the marketer pays for: its reach, with its own CI
        seg = [{**r, "mean": r["segment_reach"], "ci_low": r["segment_reach_ci_low"],
                "ci_high": r["segment_reach_ci_high"]} for r in curve_rows]
        ax = plots.reach_curve(seg, x="budget", group="plan", envelope="best plan",
                               ylabel=f"expected adopters in segment {c.segment}")
        ax.set_title(f"reach in the target segment ({c.segment}) per budget")
        _rows.save_figure(ax, out_dir, "segment_reach_vs_budget", c.info, files)
        figs["Reach in the target segment per budget"] = "segment_reach_vs_budget.png"
    return figs


def campaign_report(rows, curve, figs, cfg, left_out=(), by_budget=(), best_targets=(),
                    bands=None, ranked_by=None):
    """``report.md`` of a campaign: the ranked table, the best plan's lead over each
    other plan, what raising the budget buys, the plans left out, the plans at
    every budget and the best plan's full target list.

    Parameters
    ----------
    rows : list of dict
        Ranked rows (best first).
    curve : list of dict
        The best plan per budget (:func:`budget_curve`'s second list).
    figs : dict
        Figure title -> file name.
    cfg : mapping
        ``confidence`` and ``rng_seed``.
    left_out : list of (plan, cost, largest budget)
        Plans dropped as too dear.
    by_budget : list of dict
        :func:`budget_curve`'s rows (every plan at every budget): one table per budget.
    best_targets : list of dict
        The best plan's :func:`target_rows` (at the largest budget): its full
        list of seeds, in pick order.
    bands : dict, optional
        ``{plan: ReachBand}`` (:func:`plan_bands`): a section that sets each
        plan's band beside its simulation ±.
    ranked_by : {None, "exposure", "segment_reach"}
        The column the rows are ranked by (``experiment.goal``, the target
        segment); None: expected adopters, as ever. The sentences then compare
        the plans in that column (its means and CIs; the paired ``diff`` stays
        in adopters).

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.experiments.campaign import campaign_report
    >>> rows = [{"plan": "a", "strategy": "degree", "k": 2, "mean": 12.0, "ci_low": 11.0,
    ...          "ci_high": 13.0, "n_sims": 100, "elapsed": 0.1, "rng_seed": 0, "cost": 2.0}]
    >>> print(campaign_report(rows, [], {}, {}).splitlines()[0])
    # Campaign plans, ranked
    """
    md = report.escape_md  # md: user text
    if ranked_by is not None:
        words = _goal_words(rows, curve, ranked_by)
    else:
        words = _adopter_words(rows, curve)
    for name, cost, top in left_out:
        words.append(f"- Left out: **{md(name)}** costs {cost:,.2f}, over the largest budget "
                     f"({top:,.2f}).")
    return (report.header("Campaign plans, ranked", rows, cfg) + "\n"
            + report.markdown_table(rows) + "\n\n" + "\n".join(words) + "\n\n"
            + band_section(rows, bands) + _budget_tables(by_budget, ranked_by)
            + _target_table(best_targets) + report.figure_links(figs) + "\n")


def _goal_words(rows, curve, key):
    """report.md's sentences when the plans are ranked by exposure or segment reach."""
    pm, sig_fig, md = report.plus_minus, report.sig_fig, report.escape_md
    best = rows[0]
    verb = "is seen by" if key == "exposure" else "reaches"
    who = "consumers" if key == "exposure" else "adopters in the target segment"

    def val(r):
        return pm(r[key], r[f"{key}_ci_low"], r[f"{key}_ci_high"])

    words = [f"- Plans are ranked by {_RANKED_BY[key]} ("
             + ("experiment.target_segment" if key == "segment_reach" else "experiment.goal")
             + "); the vs best column and the paired-differences figure compare adopters, "
             "world by world.",
             f"- **{md(best['plan'])}** is the best plan: it {verb} {val(best)} {who} for "
             f"{best['cost']:,.2f} (and makes {pm(best['mean'], best['ci_low'], best['ci_high'])}"
             " adopters in all)."]
    for r in rows[1:]:
        overlap = r[f"{key}_ci_high"] >= best[f"{key}_ci_low"]
        words.append(f"- {md(r['plan'])} {verb} {val(r)} {who} for {r['cost']:,.2f}"
                     + ("; within the noise of the best" if overlap else "") + ".")
    unit = "people who see it" if key == "exposure" else "adopters in the target segment"
    for c in curve:
        if c.get("marginal_reach_per_unit") is not None:
            words.append(
                f"- Raising the budget from {c['from_budget']:,.2f} to {c['budget']:,.2f} buys "
                f"{sig_fig(c['marginal_reach_per_unit'])} extra {unit} per unit of budget "
                f"(best plan there: {md(c.get('best_of', 'plan'))}, {c.get('k')} seeds).")
    return words


def _adopter_words(rows, curve):
    """report.md's sentences when the plans are ranked by expected adopters."""
    pm, sig_fig, md = report.plus_minus, report.sig_fig, report.escape_md
    best = rows[0]
    words = [
        f"- **{md(best['plan'])}** is the best plan: it reaches "
        f"{pm(best['mean'], best['ci_low'], best['ci_high'])} consumers for "
        f"{best['cost']:,.2f}"
        + (f" ({sig_fig(best['cost_per_adopter'])} per adopter)."
           if best.get("cost_per_adopter") is not None else ".")
    ]
    for r in rows[1:]:
        same = abs(r["cost"] - best["cost"]) <= 1e-9 * max(1.0, best["cost"])
        diff = -r["diff"]
        sig = r["diff_ci_high"] < 0
        words.append(
            f"- {md(best['plan'])} reaches {pm(diff, -r['diff_ci_high'], -r['diff_ci_low'])} "
            f"more consumers than {md(r['plan'])}"
            + (" at the same cost" if same else f" (costs {best['cost']:,.2f} vs {r['cost']:,.2f})")
            + ("" if sig else "; the difference is within the noise")
            + "."
        )
    for c in curve:
        if c.get("marginal_reach_per_unit") is not None:
            words.append(
                f"- Raising the budget from {c['from_budget']:,.2f} to {c['budget']:,.2f} buys "
                f"{sig_fig(c['marginal_reach_per_unit'])} extra adopters per unit of budget "
                f"(best plan there: {md(c.get('best_of', 'plan'))}, {c.get('k')} seeds)."
            )
    return words


def _budget_tables(by_budget, ranked_by=None):
    """One ranked table per budget (every plan that fits it), smallest budget first."""
    if not by_budget:
        return ""
    key = ranked_by or "mean"
    out = ["## The plans at each budget", ""]
    if ranked_by is not None:
        out += [f"Each table is ranked by {_RANKED_BY[key]}.", ""]
    for b in sorted({r["budget"] for r in by_budget}):
        at = sorted((r for r in by_budget if r["budget"] == b), key=lambda r: -r[key])
        out += [f"### Budget {b:,.2f}", "", report.markdown_table(at), ""]
    return "\n".join(out) + "\n"


def _target_table(targets):
    """The best plan's seeds, in pick order, with the consumers' columns (markdown)."""
    if not targets:
        return ""
    t0 = targets[0]
    at = f" at budget {t0['budget']:,.2f}" if t0.get("budget") is not None else ""
    cols = [k for k in t0 if k not in ("plan", "budget", "best")]
    total = targets[-1].get("total_cost")

    def cell(v):
        if isinstance(v, float):
            return f"{v:,.2f}"
        return report.escape_md(v)

    out = [f"## Whom to target: {report.escape_md(t0['plan'])}{at}", "",
           f"{len(targets)} consumers, in the order the plan picks them"
           + (f", costing {total:,.2f} in all" if total is not None else "")
           + " (every plan and budget: targets.csv).", "",
           "| " + " | ".join(map(cell, cols)) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    out += ["| " + " | ".join(cell(t[k]) for k in cols) + " |" for t in targets]
    return "\n".join(out) + "\n\n"


def band_section(rows, bands, targets="targets"):
    """``## What the forecast assumes``: each plan's band beside its simulation ± (markdown;
    empty without bands)."""
    if not bands:
        return ""
    b0 = next(iter(bands.values()))
    if b0.kind == "parameters":
        why = (f"The ± is the simulation's: how precisely {b0.n_sims:,} simulated worlds pin "
               f"down the expected reach if the learned probabilities were exact. The band "
               f"re-runs each plan in the same worlds on {b0.n} sets of probabilities drawn "
               f"from what the fit could not pin down (each edge's posterior), and gives the "
               f"{round(100 * (1 - b0.level) / 2)}% to {round(100 * (1 + b0.level) / 2)}% "
               f"quantiles of the expected reach: the parameter uncertainty.")
    else:
        why = ("The ± is the simulation's: how precisely the simulated worlds pin down the "
               "expected reach under this run's probabilities. The band re-runs each plan in "
               "the same worlds under other probability schemes a user could assume, and gives "
               "the lowest and highest expected reach: how much the forecast rests on the "
               "assumption, not a confidence interval.")
    lines = ["## What the forecast assumes", "", why, ""]
    lines += [_band.band_sentence(r, bands[r["plan"]], targets) for r in rows
              if r["plan"] in bands]
    return "\n".join(lines) + "\n\n"
