"""Experiments behind the command line, as plain functions of a plain config.

``run_experiment(cfg, out_dir)`` takes the composed configuration as a plain
``dict`` (the application resolves it with OmegaConf; tests and notebooks can
write it by hand) and runs ``cfg["experiment"]["name"]``: ``estimate``,
``compare``, ``campaign``, ``sensitivity`` or ``scaling``. Each writes its
tidy table, figures and ``report.md`` into ``out_dir`` and returns a
:class:`Outcome`. Nothing here imports Hydra.

Parts of the config that name code (``graph``, ``model``, ``strategy``)
carry a ``_target_`` (a dotted path to a function or class) and its keyword
arguments; :func:`build` calls it.
"""

import copy
import importlib
import logging
import math
import os
import resource
import time
from dataclasses import dataclass, field

import numpy as np

from . import plots, report
from . import results as res
from .estimate import _quantile, estimate_reach
from .exceptions import NodeNotFound
from .io import (  # noqa: F401  (moved to io; importable from here as before)
    _csv_delimiter,
    _csv_number,
    _is_number,
    _read_consumers,
    _to_float,
    read_follower_csv,
)
from .models import IC
from .strategies._base import within_budget

__all__ = ["run_experiment", "build", "build_graph", "resolve_plan", "Outcome", "EXPERIMENTS"]

log = logging.getLogger("viralsim")

#: Seed rules computed here when the strategies registry is not installed.
_ALIASES = {"most_followers": "degree", "top_degree": "degree", "followers": "degree"}


@dataclass
class Outcome:
    """What an experiment produced: its rows and the files it wrote."""

    rows: list
    files: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    text: str = ""
    label: str = "plan"  # the column that names a row in the console table

    def display_rows(self):
        return self.extra.get("display", self.rows)


# ---------------------------------------------------------------------- building
def _import(path):
    mod, _, name = path.rpartition(".")
    if not mod:
        raise ValueError(f"'_target_' must be a dotted path such as viralsim.IC. Got {path!r}.")
    try:
        obj = importlib.import_module(mod)
    except ModuleNotFoundError:
        # a class nested in a module path, e.g. viralsim.strategies.Degree
        obj = _import(mod)
    try:
        return getattr(obj, name)
    except AttributeError:
        raise ValueError(f"'_target_' {path!r}: {mod} has no attribute {name!r}.") from None


def build(spec, **override):
    """Call ``spec["_target_"]`` with the other keys of ``spec`` (keys starting
    with ``_`` are reserved) updated by ``override``.

    Examples
    --------
    >>> from viralsim.experiments import build
    >>> type(build({"_target_": "viralsim.IC"})).__name__
    'IC'
    """
    if spec is None:
        return None
    spec = dict(spec)
    target = spec.pop("_target_", None)
    if target is None:
        raise ValueError(f"A config node that builds an object needs a '_target_'. Got {spec!r}.")
    kwargs = {k: v for k, v in spec.items() if not k.startswith("_")}
    kwargs.update(override)
    return _import(target)(**kwargs)


def graph_name(gcfg):
    if gcfg.get("name"):
        return str(gcfg["name"])
    t = str(gcfg.get("_target_", "graph"))
    if t.endswith(("read_edgelist", "read_follower_csv")):
        return os.path.basename(str(gcfg.get("path")))
    return t.rsplit(".", 1)[-1]


def apply_probabilities(graph, pcfg, rng):
    """Set edge probabilities from the ``probabilities`` config node."""
    if not pcfg:
        return graph
    scheme = pcfg.get("scheme", "keep")
    if scheme in (None, "keep", "file"):
        if not graph.has_probabilities:
            raise ValueError(
                "probabilities=keep uses the input file's probabilities, and this graph has "
                "none: give the follower CSV a 'probability' column (or name yours with "
                "graph.probability=<column>), give the edge list a third column, or choose a "
                "scheme, e.g. probabilities=weighted_cascade or probabilities=uniform "
                "probabilities.p=0.05.")
        return graph
    if graph.has_probabilities:
        log.info("probabilities=%s replaces the probabilities read with the graph "
                 "(probabilities=keep uses them)", scheme)
    if scheme == "uniform":
        from ._validation import check_probability

        return graph.with_probabilities(
            check_probability(pcfg["p"], "probabilities.p", "probabilities=uniform"))
    if scheme == "uniform_random":
        return graph.with_probabilities(
            "uniform_random", low=pcfg.get("low"), high=pcfg.get("high"), rng=rng
        )
    return graph.with_probabilities(scheme, rng=rng)


def probabilities_name(pcfg):
    if not pcfg:
        return "keep"
    s = pcfg.get("scheme", "keep")
    return f"uniform {pcfg['p']:g}" if s == "uniform" else str(s)


def _sub_rng(cfg, *tag):
    """Independent, reproducible Generator for one purpose (graph, plans, ...)."""
    return np.random.default_rng([int(cfg.get("rng_seed", 0)), *tag])


def build_graph(cfg, **override):
    """The follower graph of ``cfg`` with its probabilities set."""
    gcfg = dict(cfg["graph"])
    target = str(gcfg.get("_target_", ""))
    scheme = (cfg.get("probabilities") or {}).get("scheme", "keep")
    if (target.endswith("read_follower_csv") and gcfg.get("probability") is None
            and scheme not in (None, "keep", "file")):
        gcfg["probability"] = False  # a scheme sets them: the file's column is not read
    if gcfg.get("rng") is None and ("rng" in gcfg or target.startswith("viralsim.generators.")):
        gcfg["rng"] = int(cfg.get("rng_seed", 0))
    g = build(gcfg, **override)
    return apply_probabilities(g, cfg.get("probabilities"), _sub_rng(cfg, 1))


def build_model(cfg, **override):
    m = cfg.get("model")
    if not m:
        return IC()
    return build(m, **override)


def model_name(cfg):
    m = cfg.get("model") or {}
    return str(m.get("_target_", "viralsim.IC")).rsplit(".", 1)[-1]


# ---------------------------------------------------------------------- seed plans
def seed_costs(graph, ccfg):
    """Cost of each consumer (by index) from the ``costs`` config node.

    ``attr``: a node attribute holding costs; otherwise
    ``base + per_follower * followers ** exponent``.
    """
    ccfg = ccfg or {}
    if ccfg.get("attr"):
        name = ccfg["attr"]
        if name not in graph.node_attrs:
            raise KeyError(
                f"The 'costs.attr' value {name!r} is not a node attribute of the graph "
                f"(it has {sorted(graph.node_attrs)}). Set costs.attr=null to price by followers."
            )
        c = np.asarray(graph.node_attrs[name], dtype=np.float64)
    else:
        base = float(ccfg.get("base", 1.0))
        per = float(ccfg.get("per_follower", 0.0))
        ex = float(ccfg.get("exponent", 1.0))
        c = base + per * graph.out_degree().astype(np.float64) ** ex
    bad = np.flatnonzero(~(np.isfinite(c) & (c >= 0)))
    if bad.size:
        who = ", ".join(f"{graph.labels[i]!r} ({c[i]:g})" for i in bad[:5])
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        if ccfg.get("attr"):
            raise ValueError(
                f"Seed costs must be finite and >= 0: the node attribute {ccfg['attr']!r} (a "
                f"consumers CSV column) gives {who}{more}. Fix those consumers' "
                f"{ccfg['attr']!r} values.")
        raise ValueError(
            f"Seed costs must be finite and >= 0: costs.base + costs.per_follower * followers "
            f"** costs.exponent gives {who}{more}. Fix costs.base, costs.per_follower or "
            f"costs.exponent.")
    return c


def _coerce_labels(graph, labels):
    """Config values are often strings; match them to integer labels when the graph has those."""
    out = list(labels)
    if graph.labels.dtype.kind in "iu":
        conv = []
        for x in out:
            if isinstance(x, str) and x.strip().lstrip("-").isdigit():
                conv.append(int(x))
            else:
                conv.append(x)
        out = conv
    elif graph.labels.dtype.kind in "UO":
        out = [str(x) for x in out]
    return out


def resolve_plan(graph, plan, *, model=None, rng=None, k=None, budget=None, costs=None,
                 func="plan"):
    """Seed labels of one plan: a list of ``seeds``, or a ``strategy`` with ``k``/``budget``.

    A strategy name goes to :func:`viralsim.select_seeds` (aliases such as
    ``most_followers`` mean ``degree``).
    """
    name = plan.get("name") or plan.get("strategy") or "plan"
    if plan.get("seeds") is not None:
        seeds = plan["seeds"]
        if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
            raise ValueError(f"Plan {name!r}: seeds must be a list of consumer ids, e.g. "
                             f"seeds: [{seeds}]. Got {seeds!r}.")
        extra = [key for key in ("strategy", "k") if plan.get(key) is not None]
        if extra:
            raise ValueError(f"Plan {name!r} gives seeds and {' and '.join(extra)}: a plan is "
                             f"either a list of seeds or a strategy (with k or a budget). "
                             f"Drop one.")
        labels = _coerce_labels(graph, seeds)
        try:
            graph.index_of(labels, param=f"plans[{name}].seeds", func=func)
        except NodeNotFound as exc:
            raise NodeNotFound(f"Plan {name!r}: {exc}") from None
        return labels
    strategy = plan.get("strategy")
    if strategy is None:
        raise ValueError(
            f"Plan {name!r} needs either 'seeds' (a list of consumer ids) or 'strategy' "
            f"(e.g. degree) with 'k' or a budget. Got {dict(plan)!r}."
        )
    k = plan.get("k", k)
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0):
        raise ValueError(f"Plan {name!r}: k must be a whole number >= 0 (the seeds the strategy "
                         f"picks; 0 is the no-campaign baseline). Got {k!r}.")
    if k is None and budget is None:
        raise ValueError(f"Plan {name!r} uses strategy {strategy!r} but gives no 'k' and no budget.")
    from .strategies import select_seeds

    kw = {"k": k} if budget is None else {"budget": budget}
    if budget is not None and costs is not None:
        kw["costs"] = costs
    try:
        sel = select_seeds(graph, strategy=_ALIASES.get(strategy, strategy), model=model,
                           rng=rng, **kw)
    except (ValueError, TypeError) as exc:  # say which plan asked (the message names the API)
        sized = f"k={k}" if budget is None else f"budget {budget:g}"
        try:
            again = type(exc)(f"Plan {name!r} (strategy {strategy}, {sized}): {exc}")
        except Exception:  # an exception type built otherwise: as it is
            raise exc from None
        raise again from exc
    return list(sel.seeds)


# ---------------------------------------------------------------------- estimation helpers
def _est_kwargs(cfg, exp=None, **over):
    exp = exp or {}
    n_sims = exp.get("n_sims")
    precision = exp.get("precision")
    if n_sims is None and precision is None:
        n_sims, precision = cfg.get("n_sims"), cfg.get("precision")
    kw = dict(
        confidence=float(cfg.get("confidence", 0.95)),
        max_rounds=cfg.get("max_rounds"),
        exposure=bool(cfg.get("exposure", True)),
        rng=int(cfg.get("rng_seed", 0)),
    )
    if n_sims is not None:
        if isinstance(n_sims, int) and not isinstance(n_sims, bool) and n_sims < 2:
            raise ValueError(f"n_sims={n_sims}: a confidence interval needs at least 2 worlds; "
                             "give n_sims >= 2 (or precision=...).")
        kw["n_sims"] = int(n_sims)
    elif precision is not None:
        kw["precision"] = float(precision)
        kw["max_sims"] = int(cfg.get("max_sims", 1_000_000))
    kw.update(over)
    return kw


def _estimate(cfg, graph, seeds, model, **kw):
    from .distributed import get_backend

    backend = get_backend(cfg.get("backend") or "serial")
    return estimate_reach(graph, seeds, model=model, backend=backend, **kw)


def _timed_estimate(cfg, graph, seeds, model, **kw):
    """:func:`_estimate` after two untimed worlds on the same graph and model, so
    the time reported is the simulation's: the first call in a process also
    loads (or compiles) the kernels, which made the scaling study's smallest
    graph its slowest and its fitted slope meaningless, and gave the first plan
    of a fresh install 20 s of compilation as its time."""
    warm = {k: v for k, v in kw.items() if k not in ("n_sims", "precision", "max_sims")}
    _estimate(cfg, graph, seeds, model, n_sims=2, **warm)
    return _estimate(cfg, graph, seeds, model, **kw)


def _est_row(est):
    row = {
        "mean": est.mean,
        "ci_low": est.ci_low,
        "ci_high": est.ci_high,
        "stderr": est.stderr,
        "n_sims": est.n_sims,
        "elapsed": est.elapsed,
    }
    if est.exposure is not None:
        row.update(
            exposure=est.exposure.mean,
            exposure_ci_low=est.exposure.ci_low,
            exposure_ci_high=est.exposure.ci_high,
        )
    for name, e in (est.metrics or {}).items():  # model-specific metrics (segment_reach, ...)
        if name not in ("reach", "exposure"):
            row.update({name: e.mean, f"{name}_ci_low": e.ci_low, f"{name}_ci_high": e.ci_high})
    if est.converged is not None:
        row["converged"] = bool(est.converged)
    return row


def _base_row(cfg, graph, keys):
    from . import __version__

    row = dict(keys or {})
    row.update(
        experiment=cfg["experiment"]["name"],
        graph=graph_name(cfg["graph"]),
        n_nodes=graph.n_nodes,
        n_edges=graph.n_edges,
        probabilities=probabilities_name(cfg.get("probabilities")),
        model=model_name(cfg),
    )
    return row, {"rng_seed": int(cfg.get("rng_seed", 0)), "version": __version__}


def paired(a, b, confidence):
    """Mean of ``a - b`` per world with its t CI (same worlds: common random numbers)."""
    n = min(a.size, b.size)
    d = a[:n].astype(np.float64) - b[:n].astype(np.float64)
    m = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    h = _quantile(confidence, n) * se
    return m, se, m - h, m + h


def _fig(ax, out_dir, name, cfg, files):
    formats = tuple(str(f).lower() for f in cfg.get("formats", ("png", "svg")))
    files += plots.save(ax, os.path.join(out_dir, name), formats)


def _check_formats(formats):
    """Figure formats matplotlib can write, checked before any work is done."""
    if not formats:
        return
    from matplotlib.backend_bases import FigureCanvasBase

    known = FigureCanvasBase.get_supported_filetypes()
    bad = [f for f in formats if str(f).lower() not in known]
    if bad:
        raise ValueError(f"formats={list(formats)}: {bad} cannot be written; choose among "
                         f"{sorted(known)}.")


def _plan_names(plans, auto):
    """A distinct name per plan: results, paired differences and figures are keyed
    by it. Repeated explicit names are an error; automatic names (``auto(i,
    plan)``) that collide get the plan's number."""
    explicit = [None if p.get("name") is None else str(p["name"]) for p in plans]
    names = [n if n is not None else auto(i, p) for i, (n, p) in enumerate(zip(explicit, plans))]
    counts = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    names = [n if explicit[i] is not None or counts[n] == 1 else f"{n} #{i + 1}"
             for i, n in enumerate(names)]
    seen = set()
    for n in names:
        if n in seen:
            raise ValueError(f"experiment.plans has more than one plan named {n!r}; give each "
                             "plan its own name (plans are compared by name).")
        seen.add(n)
    return names


# ---------------------------------------------------------------------- experiments
def run_estimate(cfg, out_dir, keys=None):
    exp = cfg["experiment"]
    graph = build_graph(cfg)
    model = build_model(cfg)
    plans = list(exp.get("plans") or [])
    if cfg.get("strategy"):
        sname = str(cfg["strategy"].get("_target_", "strategy")).rsplit(".", 1)[-1]
        if not exp.get("k"):
            raise ValueError(f"strategy={sname} adds a plan of experiment.k seeds; give "
                             "experiment.k=<number of seeds>.")
        plans.append({"name": sname, "strategy": sname, "_strategy_obj": build(cfg["strategy"]),
                      "k": exp["k"]})
    if not plans:
        raise ValueError("experiment.plans is empty: give at least one plan "
                         "(seeds: [...] or strategy: degree with k: 5).")
    base, tail = _base_row(cfg, graph, keys)
    rows, ests, files = [], {}, []
    names = _plan_names(plans, lambda i, p: f"plan {i + 1}")
    for i, plan in enumerate(plans):
        name = names[i]
        t0 = time.perf_counter()
        if "_strategy_obj" in plan:
            sel = plan["_strategy_obj"].select(graph, k=plan["k"], model=model,
                                               rng=_sub_rng(cfg, 2, i))
            seeds = list(sel.seeds)
        else:
            seeds = resolve_plan(graph, plan, model=model, rng=_sub_rng(cfg, 2, i),
                                 func="experiment=estimate")
        sel_time = time.perf_counter() - t0
        est = _timed_estimate(cfg, graph, seeds, model,
                              **_est_kwargs(cfg, exp, return_sizes=True))
        ests[name] = est
        row = dict(base, plan=name, strategy=plan.get("strategy") or "seeds", k=len(seeds))
        row.update(_est_row(est), select_time=sel_time, seeds=_short(seeds), **tail)
        rows.append(row)
        log.info("%s: %s", name, est)
    files += res.write_table(rows, os.path.join(out_dir, "results.csv"))
    figs = {}
    ax = None
    for name, est in ests.items():
        ax = plots.adoption_timeline(est.timeline, *est.timeline_ci, label=name, ax=ax)
    ax.legend(*_no_ci(ax), fontsize="small")
    ax.set_title("adoption per round (95% band)" if cfg.get("confidence", 0.95) == 0.95
                 else "adoption per round")
    _fig(ax, out_dir, "adoption", cfg, files)
    figs["Adoption per round"] = "adoption.png"
    if exp.get("size_distribution", True):
        ax = None
        for name, est in ests.items():
            ax = plots.size_distribution(est.sizes, label=name, ax=ax)
        if ax.get_legend_handles_labels()[0]:  # none when no plan had an adopter
            ax.legend(fontsize="small")
        _fig(ax, out_dir, "cascade_sizes", cfg, files)
        figs["Cascade-size distribution"] = "cascade_sizes.png"
    text = report.estimate_report(rows, figs, cfg)
    files.append(report.write(out_dir, text))
    return Outcome(rows, files, {"estimates": ests}, text)


def _short(seeds, limit=20):
    s = [str(x) for x in seeds]
    return " ".join(s if len(s) <= limit else s[:limit] + [f"...(+{len(s) - limit})"])


def _no_ci(ax):
    h, lab = ax.get_legend_handles_labels()
    keep = [(a, b) for a, b in zip(h, lab) if not b.endswith(" CI")]
    return (list(zip(*keep)) if keep else ([], []))


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


#: vs.compare_strategies' column names -> the tidy names of every experiment table
_RENAME = {"reach_mean": "mean", "reach_stderr": "stderr", "reach_ci_low": "ci_low",
           "reach_ci_high": "ci_high", "exposure_mean": "exposure", "diff_mean": "diff",
           "selection_s": "select_time"}


def _standard_columns(r):
    out = {}
    for c, v in r.items():
        if c in ("k", "budget") and v is None:
            continue
        if c == "seeds" and isinstance(v, (list, tuple)):
            v = " ".join(str(x) for x in v)  # the compare table's seed column: every label
        out[_RENAME.get(c, c)] = v
    return out


def _numbers(value, key):
    """A list of numbers from a config value: one number is a list of one (``budgets=50``
    means ``[50]``); None stays None."""
    if value is None:
        return None
    items = [value] if isinstance(value, (int, float, str)) else list(value)
    out = []
    for v in items:
        try:
            if isinstance(v, bool):
                raise ValueError
            x = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"{key}={value!r}: expected numbers, e.g. {key}=[50,100]. "
                             f"{v!r} is not one.") from None
        out.append(x)
    return out


def run_compare(cfg, out_dir, keys=None):
    """Strategies × k (or budgets), on common random numbers."""
    exp = cfg["experiment"]
    # the settings first: a mistake there must not wait for the graph
    budgets = _numbers(exp.get("budgets"), "experiment.budgets")
    ks = _numbers(exp.get("k"), "experiment.k")
    if (ks is None) == (budgets is None):
        raise ValueError("experiment=compare takes either experiment.k (a list of seed counts) "
                         "or experiment.budgets, exactly one of them (with budgets, add "
                         "experiment.k=null).")
    if ks is not None and any(not (k.is_integer() and k >= 0) for k in ks):
        raise ValueError(f"experiment.k={ks}: seed counts must be whole numbers >= 0.")
    graph = build_graph(cfg)
    model = build_model(cfg)
    strategies = [str(s) for s in exp["strategies"]]
    kw = _est_kwargs(cfg, exp)
    n_sims = kw.get("n_sims", 10_000)
    base, tail = _base_row(cfg, graph, keys)
    import viralsim as vs

    xs = [int(x) for x in ks] if ks is not None else budgets
    xkey = "k" if ks is not None else "budget"
    rows = []
    args = {xkey: xs}
    if budgets is not None:
        args["costs"] = seed_costs(graph, exp.get("costs"))
    if exp.get("baseline"):
        args["baseline"] = exp["baseline"]
    t0 = time.perf_counter()
    from .distributed import get_backend

    table = vs.compare_strategies(graph, strategies, model=model, n_sims=n_sims, rng=kw["rng"],
                    confidence=float(cfg.get("confidence", 0.95)),
                    backend=get_backend(cfg.get("backend") or "serial"), **args)
    log.info("compared %d strategies in %.2f s (selection and shared evaluation)",
             len(strategies), time.perf_counter() - t0)
    for r in _as_rows(table):
        r = _standard_columns(r)
        # a row's own time is its selection's; the worlds are simulated once for all rows
        r.setdefault("elapsed", r.get("select_time"))
        rows.append({**base, **r, **{t: r.get(t, v) for t, v in tail.items()}})
    files = res.write_table(rows, os.path.join(out_dir, "results.csv"))
    ax = plots.reach_curve(rows, x=xkey, group="strategy")
    ax.set_title(f"reach vs {xkey} on {graph_name(cfg['graph'])}")
    _fig(ax, out_dir, f"reach_vs_{xkey}", cfg, files)
    figs = {f"Reach vs {xkey}": f"reach_vs_{xkey}.png"}
    top = max(r[xkey] for r in rows)
    diffs = [dict(r, label=f"{r['strategy']} ({xkey} = {top:g})") for r in rows
             if r[xkey] == top and r.get("diff") is not None and r.get("diff_ci_low") is not None
             and r.get("strategy") != r.get("baseline")]
    if diffs:
        ax = plots.paired_differences(diffs, label="label", against=diffs[0].get("baseline"))
        pct = f"{100 * float(cfg.get('confidence', 0.95)):g}%"
        ax.set_title(f"paired differences in reach, {pct} CI, {xkey} = {top:g}")
        _fig(ax, out_dir, "paired_differences", cfg, files)
        figs[f"Paired differences against {diffs[0].get('baseline')}"] = "paired_differences.png"
    text = report.compare_report(rows, figs, cfg, xkey=xkey)
    files.append(report.write(out_dir, text))
    # without seed costs a row's cost is its seed count: not worth a console column
    disp = rows if "costs" in args else [{c: v for c, v in r.items() if c != "cost"} for r in rows]
    return Outcome(rows, files, {"display": disp}, text, label="strategy")


def run_campaign(cfg, out_dir, keys=None):
    """The marketer's question: which plan, how much better, what budget buys."""
    exp = cfg["experiment"]
    budgets = sorted(_numbers(exp.get("budgets"), "experiment.budgets") or [])
    if any(not (math.isfinite(b) and b > 0) for b in budgets):
        raise ValueError(f"experiment.budgets={budgets}: every budget must be a number > 0.")
    graph = build_graph(cfg)
    target = exp.get("target_segment")
    if target is not None:
        # reach within the marketer's target segment, measured in the same worlds
        attr = exp.get("segment_attr") or "segment"
        if attr not in graph.node_attrs:
            raise KeyError(
                f"experiment.target_segment needs the node attribute {attr!r}; the graph has "
                f"{sorted(graph.node_attrs)}. Set experiment.segment_attr or drop target_segment."
            )
        values = graph.node_attrs[attr]
        if not (values == target).any():
            have = np.unique(values[np.isfinite(values)] if values.dtype.kind == "f" else values)
            shown = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in have[:20])
            raise ValueError(
                f"experiment.target_segment={target}: no consumer is in that segment (the "
                f"{attr!r} values are {shown}{' ...' if have.size > 20 else ''}). Pick one of "
                f"those.")
        graph = graph.with_node_attr("_target_segment", values == target)
        model = build_model(cfg, segment_attr="_target_segment")
    else:
        model = build_model(cfg)
    costs = seed_costs(graph, exp.get("costs"))
    plans = list(exp.get("plans") or [])
    if not plans:
        raise ValueError("experiment.plans is empty: list candidate plans as seeds: [...] "
                         "or strategy: <name>.")
    conf = float(cfg.get("confidence", 0.95))
    kw = _est_kwargs(cfg, exp, return_sizes=True)
    kw.pop("precision", None)
    kw.pop("max_sims", None)
    kw.setdefault("n_sims", 10_000)
    top = budgets[-1] if budgets else None

    def plan_seeds(plan, i, budget):
        p = dict(plan)
        if p.get("seeds") is None and p.get("k") is None and budget is None:
            raise ValueError(f"Plan {p.get('name')!r} uses a strategy without 'k'; give "
                             "experiment.budgets so the plan can be sized by cost.")
        bud = budget if p.get("seeds") is None and p.get("k") is None else None
        s = resolve_plan(graph, p, model=model, rng=_sub_rng(cfg, 4, i), budget=bud,
                         costs=costs, func="experiment=campaign")
        return s

    # fixed plans (seed lists, or strategy + k) have one cost; budget-sized plans use the top budget
    chosen = []
    names = _plan_names(plans, lambda i, p: p.get("strategy") or f"plan {i + 1}")
    for i, plan in enumerate(plans):
        name = names[i]
        seeds = plan_seeds(plan, i, top)
        cost = float(costs[graph.index_of(seeds, func="experiment=campaign")].sum())
        chosen.append((i, name, plan, seeds, cost))
    if budgets:
        cheapest = min(c for *_, c in chosen)
        if not within_budget(cheapest, top):
            raise ValueError(
                f"Every budget in experiment.budgets={budgets} is below the cost of every plan "
                f"(cheapest: {cheapest:,.2f}). Raise the budgets or add cheaper plans."
            )
        over = [(n, c) for _, n, _, _, c in chosen if not within_budget(c, top)]
        for n, c in over:
            log.warning("plan %r costs %.2f, over the largest budget %.2f: left out", n, c, top)
        chosen = [c for c in chosen if within_budget(c[4], top)]
    else:
        over = []
    base, tail = _base_row(cfg, graph, keys)
    rows, sizes = [], {}
    for _i, name, plan, seeds, cost in chosen:
        est = _timed_estimate(cfg, graph, seeds, model, **kw)
        sizes[name] = est.sizes
        row = dict(base, plan=name, strategy=plan.get("strategy") or "seeds", k=len(seeds),
                   cost=cost)
        row.update(_est_row(est))
        row["cost_per_adopter"] = cost / est.mean if est.mean > 0 else None  # no adopter
        row.update(seeds=_short(seeds), **tail)
        rows.append(row)
    rows.sort(key=lambda r: -r["mean"])
    best = rows[0]["plan"]
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
        m, se, lo, hi = paired(sizes[r["plan"]], sizes[best], conf)
        r.update(vs_best=best, diff=m, diff_stderr=se, diff_ci_low=lo, diff_ci_high=hi)
    files = res.write_table(rows, os.path.join(out_dir, "results.csv"))
    figs = {}
    ax = plots.paired_differences(rows, label="plan", against=best)
    ax.set_title("reach compared with the best plan")
    _fig(ax, out_dir, "paired_differences", cfg, files)
    figs["Paired differences against the best plan"] = "paired_differences.png"
    curve = []
    if budgets:
        for b in budgets:
            for i, name, plan, seeds, cost in chosen:
                budget_sized = plan.get("seeds") is None and plan.get("k") is None
                if budget_sized:
                    if not within_budget(float(costs.min()), b):
                        log.info("plan %s: no consumer costs %s or less; no seeds at that budget",
                                 name, f"{b:g}")
                        continue
                    s = plan_seeds(plan, i, b)
                    c = float(costs[graph.index_of(s)].sum()) if s else 0.0
                    if not s:
                        continue
                    est = _estimate(cfg, graph, s, model, **kw)
                    r = {"plan": name, "budget": b, "cost": c, "k": len(s), **_est_row(est)}
                elif within_budget(cost, b):
                    src = next(x for x in rows if x["plan"] == name)
                    r = {"plan": name, "budget": b, "cost": cost, "k": len(seeds),
                         **{c: src[c] for c in ("mean", "ci_low", "ci_high", "stderr", "n_sims")}}
                else:
                    continue
                curve.append({**base, **r, **tail})
        best_curve = []
        for b in budgets:
            cands = [r for r in curve if r["budget"] == b]
            if cands:
                bb = max(cands, key=lambda r: r["mean"])
                best_curve.append({**bb, "plan": "best plan", "best_of": bb["plan"]})
        for prev, cur in zip(best_curve, best_curve[1:]):
            db = cur["budget"] - prev["budget"]
            cur["marginal_reach_per_unit"] = (cur["mean"] - prev["mean"]) / db if db else None
        curve_rows = curve + best_curve
        files += res.write_table(curve_rows, os.path.join(out_dir, "budget_curve.csv"))
        ax = plots.reach_curve(curve_rows, x="budget", group="plan", envelope="best plan")
        ax.set_title("reach per budget")
        _fig(ax, out_dir, "reach_vs_budget", cfg, files)
        figs["Reach per budget"] = "reach_vs_budget.png"
    else:
        best_curve = []
    text = report.campaign_report(rows, best_curve, figs, cfg,
                                  left_out=[(n, c, top) for n, c in over])
    files.append(report.write(out_dir, text))
    return Outcome(rows, files, {"curve": curve}, text)


def _check_key(cfg, dotted, name):
    """A swept key must be one the config has: a new key would change nothing."""
    node, path = cfg, []
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            where = ".".join(path) or "the config"
            have = sorted(k for k in node if not str(k).startswith("_")) if isinstance(node, dict) \
                else []
            raise ValueError(f"{name}={dotted}: {where} has no key {part!r}, so sweeping it would "
                             f"change nothing. Keys there: {have}.")
        node = node[part]
        path.append(part)
    parts = dotted.split(".")
    if parts[0] == "probabilities" and len(parts) == 2 and parts[1] != "scheme":
        scheme = (cfg.get("probabilities") or {}).get("scheme")
        uses = {"uniform": ("p",), "uniform_random": ("low", "high")}
        if parts[1] not in uses.get(scheme, ()):
            fix = next((s for s, u in uses.items() if parts[1] in u), None)
            raise ValueError(f"{name}={dotted}: probabilities={scheme} does not use "
                             f"{parts[1]!r}, so sweeping it would change nothing"
                             + (f"; add probabilities={fix}." if fix else "."))


def _set(cfg, dotted, value):
    node = cfg
    parts = dotted.split(".")
    for p in parts[:-1]:
        if node.get(p) is None:
            node[p] = {}
        node = node[p]
    node[parts[-1]] = value


def run_sensitivity(cfg, out_dir, keys=None):
    """Reach over a grid of one or two parameters (dotted config keys)."""
    exp = cfg["experiment"]
    x, y = exp["x"], exp.get("y")
    if not x or not x.get("key") or not x.get("values"):
        raise ValueError("experiment=sensitivity needs experiment.x.key (a dotted config key such "
                         "as probabilities.p) and experiment.x.values (a list).")
    for axis, spec in (("x", x), ("y", y)):
        if spec and spec.get("key"):
            _check_key(cfg, spec["key"], f"experiment.{axis}.key")
    grid = [(xv, None) for xv in x["values"]]
    if y and y.get("key"):
        grid = [(xv, yv) for yv in y["values"] for xv in x["values"]]
    plan = (exp.get("plans") or [{"name": "top 10", "strategy": "degree", "k": 10}])[0]
    rows, files, cache = [], [], {}
    graph0 = None
    for xv, yv in grid:
        c = copy.deepcopy(cfg)
        _set(c, x["key"], xv)
        if yv is not None:
            _set(c, y["key"], yv)
        gkey = res.config_hash({"g": c["graph"], "p": c.get("probabilities")})
        if gkey not in cache:
            cache[gkey] = build_graph(c)
        graph = cache[gkey]
        graph0 = graph0 or graph
        model = build_model(c)
        seeds = resolve_plan(graph, plan, model=model, rng=_sub_rng(cfg, 5),
                             func="experiment=sensitivity")
        est = _timed_estimate(c, graph, seeds, model, **_est_kwargs(c, exp))
        base, tail = _base_row(c, graph, keys)
        row = dict(base, plan=plan.get("name") or plan.get("strategy"), k=len(seeds))
        row[x["key"]] = xv
        if yv is not None:
            row[y["key"]] = yv
        row.update(_est_row(est), **tail)
        rows.append(row)
        log.info("%s=%s%s: %s", x["key"], xv, f" {y['key']}={yv}" if yv is not None else "", est)
    files += res.write_table(rows, os.path.join(out_dir, "results.csv"))
    ax = plots.sensitivity_heatmap(rows, x=x["key"], y=(y or {}).get("key"))
    ax.set_title("expected reach")
    _fig(ax, out_dir, "sensitivity", cfg, files)
    text = report.sensitivity_report(rows, {"Sensitivity": "sensitivity.png"}, cfg, x["key"],
                                     (y or {}).get("key"))
    files.append(report.write(out_dir, text))
    ykey = (y or {}).get("key")
    disp = [dict(r, setting=f"{x['key']}={r[x['key']]}" + (f", {ykey}={r[ykey]}" if ykey else ""))
            for r in rows]
    return Outcome(rows, files, {"display": disp}, text, label="setting")


def _rss_mib():
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024.0  # Linux reports KiB


def run_scaling(cfg, out_dir, keys=None):
    """Time and memory against graph size (the graph's ``size_key`` swept)."""
    exp = cfg["experiment"]
    sizes = [int(s) for s in exp["sizes"]]
    if len(sizes) < 2:
        raise ValueError(f"experiment.sizes={sizes}: a scaling curve needs at least two graph "
                         "sizes, e.g. experiment.sizes=[1000,10000,100000].")
    size_key = exp.get("size_key", "n_nodes")
    plan = (exp.get("plans") or [{"name": "top 10", "strategy": "degree", "k": 10}])[0]
    rows, files = [], []
    for s in sizes:
        t0 = time.perf_counter()
        try:
            graph = build_graph(cfg, **{size_key: s})
        except TypeError as exc:
            if repr(size_key) not in str(exc):
                raise
            raise ValueError(f"experiment=scaling sets graph.{size_key} to each size, but this "
                             f"graph has no {size_key!r} ({exc}). Pick a generator graph or name "
                             "its size parameter with experiment.size_key.") from None
        t_build = time.perf_counter() - t0
        model = build_model(cfg)
        seeds = resolve_plan(graph, plan, model=model, rng=_sub_rng(cfg, 6),
                             func="experiment=scaling")
        kw = _est_kwargs(cfg, exp)
        est = _timed_estimate(cfg, graph, seeds, model, **kw)
        base, tail = _base_row(cfg, graph, keys)
        row = dict(base, plan=plan.get("name") or plan.get("strategy"), k=len(seeds))
        row.update(_est_row(est))
        row.update(build_time=t_build, graph_mib=graph.nbytes / 2**20, max_rss_mib=_rss_mib(),
                   worlds_per_s=est.n_sims / est.elapsed if est.elapsed > 0 else None, **tail)
        rows.append(row)
        log.info("%s=%d: %d edges, %.3f s, %s", size_key, s, graph.n_edges, est.elapsed, est)
    files += res.write_table(rows, os.path.join(out_dir, "results.csv"))
    ax, slope = plots.scaling_curve(rows, x="n_edges", y="elapsed", label="simulation time (s)")
    ax.set_title(f"time vs edges ({est.n_sims:,} worlds each)")
    _fig(ax, out_dir, "scaling", cfg, files)
    text = report.scaling_report(rows, slope, {"Scaling": "scaling.png"}, cfg)
    files.append(report.write(out_dir, text))
    disp = [dict(r, size=f"{r['n_nodes']:,} / {r['n_edges']:,}") for r in rows]
    return Outcome(rows, files, {"slope": slope, "display": disp}, text, label="size")


EXPERIMENTS = {
    "estimate": run_estimate,
    "compare": run_compare,
    "campaign": run_campaign,
    "sensitivity": run_sensitivity,
    "scaling": run_scaling,
}


def run_experiment(cfg, out_dir, *, keys=None):
    """Run ``cfg["experiment"]["name"]`` into ``out_dir``; see the module docstring.

    ``keys``: extra columns for every row (the sweep's overrides, for example).
    """
    name = cfg["experiment"]["name"]
    if name not in EXPERIMENTS:
        raise ValueError(f"Unknown experiment {name!r}; choose one of {sorted(EXPERIMENTS)}.")
    _check_formats(cfg.get("formats"))
    if cfg.get("strategy") and name != "estimate":
        raise ValueError(f"strategy=... adds a plan to experiment=estimate only; for "
                         f"experiment={name} list strategies in its own config (see "
                         f"experiment.{'strategies' if name == 'compare' else 'plans'}).")
    seed = cfg.get("rng_seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValueError(f"rng_seed={seed!r}: give an integer from 0 to 2**63 - 1.")
    study = cfg.get("study")
    if study is not None:  # +study=<name> found no config group: it became a plain key
        raise ValueError(f"study={study!r}: no study config of that name was found. The studies "
                         "are configs/study/<name>.yaml in the repository: run from its root "
                         "(or add hydra.searchpath=[file://<repo>/configs]).")
    os.makedirs(out_dir, exist_ok=True)
    return EXPERIMENTS[name](cfg, out_dir, keys)


