"""``experiment=sensitivity``: reach over a grid of one or two config keys.

Config: ``conf/experiment/sensitivity.yaml`` (schema :class:`SensitivityConf`).
Each grid point is the config with its keys set (:func:`grid_configs`); this
module turns each into objects (graph, model, seeds) and estimates it.
"""

import copy
import logging
from dataclasses import dataclass, field

from .. import report
from . import _build, _plans, _rows
from ._schema import AxisConf

__all__ = ["SensitivityConf", "run_sensitivity", "grid_configs", "sensitivity_report"]

log = logging.getLogger("viralsim")

#: the plan a grid estimates when the config lists none
DEFAULT_PLAN = {"name": "top 10", "strategy": "degree", "k": 10}


@dataclass
class SensitivityConf:
    """Schema of ``experiment=sensitivity``.

    Parameters
    ----------
    x, y : AxisConf
        The swept config keys (dotted, e.g. ``probabilities.p``) and their
        values; ``y`` is optional.
    plans : list
        The plan estimated at each point (the first; default: the 10 most
        followed).
    n_sims : int, optional
        Worlds per point.
    """

    name: str = "sensitivity"
    x: AxisConf = field(default_factory=AxisConf)
    y: AxisConf = field(default_factory=AxisConf)  # optional second axis
    plans: list = field(default_factory=list)
    n_sims: int | None = 2_000


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
    _check_probabilities_key(cfg, dotted, name)


def _check_probabilities_key(cfg, dotted, name):
    """``probabilities.<key>`` must be one the configured scheme uses."""
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


def grid_configs(cfg):
    """The grid of a sensitivity config: ``(x value, y value or None, config)`` per point.

    Parameters
    ----------
    cfg : dict
        The composed config (plain); ``experiment.x``/``y`` name the keys.

    Returns
    -------
    list of tuple
        x varies fastest.

    Raises
    ------
    ValueError
        No ``x`` key or values, or a key the config does not have (sweeping it
        would change nothing).

    Examples
    --------
    >>> from viralsim.experiments import grid_configs
    >>> cfg = {"probabilities": {"scheme": "uniform", "p": 0.1},
    ...        "experiment": {"x": {"key": "probabilities.p", "values": [0.1, 0.2]}, "y": None}}
    >>> [(x, c["probabilities"]["p"]) for x, _, c in grid_configs(cfg)]
    [(0.1, 0.1), (0.2, 0.2)]
    """
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
    out = []
    for xv, yv in grid:
        c = copy.deepcopy(cfg)
        _set(c, x["key"], xv)
        if yv is not None:
            _set(c, y["key"], yv)
        out.append((xv, yv, c))
    return out


def _point(c, exp, plan, plan_rng_seed, graphs, keys):
    """One grid point's row: its config ``c`` turned into objects and estimated.
    ``graphs`` caches the graphs by their config (a swept model key reuses one)."""
    from .. import results as res

    gkey = res.config_hash({"g": c["graph"], "p": c.get("probabilities")})
    if gkey not in graphs:
        graphs[gkey] = _build.build_graph(c)
    graph = graphs[gkey]
    model = _build.build_model(c)
    estimation = _build.Estimation.from_config(c, exp)
    seeds = _plans.resolve_plan(graph, plan, model=model,
                                rng=_build.sub_rng(plan_rng_seed, 5),
                                func="experiment=sensitivity")
    est = _rows.timed_estimate(graph, seeds, model, estimation.backend, **estimation.kwargs())
    base, tail = _rows.base_row(_build.RunInfo.from_config(c, keys), graph)
    row = dict(base, plan=plan.get("name") or plan.get("strategy"), k=len(seeds))
    return row, tail, est


def run_sensitivity(cfg, out_dir, keys=None):
    """Reach over a grid of one or two parameters (dotted config keys), into ``out_dir``.

    Parameters
    ----------
    cfg : dict
        The composed config (plain), ``experiment`` as :class:`SensitivityConf`.
    out_dir : str
    keys : dict, optional
        Extra columns for every row.

    Returns
    -------
    Outcome
        One row per grid point; ``label`` is ``setting``.

    Raises
    ------
    ValueError
        See :func:`grid_configs`.

    Examples
    --------
    >>> import tempfile
    >>> from viralsim.experiments import run_sensitivity
    >>> cfg = {"experiment": {"name": "sensitivity", "n_sims": 50, "y": None,
    ...                       "x": {"key": "probabilities.p", "values": [0.1, 0.3]}},
    ...        "graph": {"_target_": "viralsim.generators.holme_kim", "n_nodes": 60, "m": 2,
    ...                  "p_triangle": 0.3}, "probabilities": {"scheme": "uniform", "p": 0.1},
    ...        "formats": []}
    >>> [r["probabilities.p"] for r in run_sensitivity(cfg, tempfile.mkdtemp()).rows]
    [0.1, 0.3]
    """
    exp = cfg["experiment"]
    grid = grid_configs(cfg)
    xkey, ykey = exp["x"]["key"], (exp.get("y") or {}).get("key")
    plan = (exp.get("plans") or [DEFAULT_PLAN])[0]
    plan_rng_seed = int(cfg.get("rng_seed", 0))  # the run's, even where rng_seed is swept
    rows, graphs = [], {}
    for xv, yv, c in grid:
        row, tail, est = _point(c, exp, plan, plan_rng_seed, graphs, keys)
        row[xkey] = xv
        if yv is not None:
            row[ykey] = yv
        row.update(_rows.estimate_row(est), **tail)
        rows.append(row)
        log.info("%s=%s%s: %s", xkey, xv, f" {ykey}={yv}" if yv is not None else "", est)
    info = _build.RunInfo.from_config(cfg, keys)
    files = _rows.write_rows(rows, out_dir)
    _heatmap(rows, xkey, ykey, out_dir, info, files)
    text = sensitivity_report(rows, {"Sensitivity": "sensitivity.png"}, info.report_settings,
                              xkey, ykey)
    files.append(report.write(out_dir, text))
    disp = [dict(r, setting=f"{xkey}={r[xkey]}" + (f", {ykey}={r[ykey]}" if ykey else ""))
            for r in rows]
    return _rows.Outcome(rows, files, {"display": disp}, text, label="setting")


def _heatmap(rows, xkey, ykey, out_dir, info, files):
    from .. import plots

    ax = plots.sensitivity_heatmap(rows, x=xkey, y=ykey)
    ax.set_title("expected reach")
    _rows.save_figure(ax, out_dir, "sensitivity", info, files)


def sensitivity_report(rows, figs, cfg, xkey, ykey):
    """``report.md`` of a sensitivity grid: the table and the range of reach.

    Parameters
    ----------
    rows : list of dict
    figs : dict
        Figure title -> file name.
    cfg : mapping
        ``confidence`` and ``rng_seed``.
    xkey, ykey : str or None
        The swept keys.

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.experiments.sensitivity import sensitivity_report
    >>> rows = [{"plan": "a", "strategy": "degree", "k": 2, "mean": 12.0, "ci_low": 11.0,
    ...          "ci_high": 13.0, "n_sims": 100, "elapsed": 0.1, "rng_seed": 0, "p": 0.1}]
    >>> print(sensitivity_report(rows, {}, {}, "p", None).splitlines()[0])
    # Sensitivity
    """
    pm = report.plus_minus
    lo = min(rows, key=lambda r: r["mean"])
    hi = max(rows, key=lambda r: r["mean"])

    def at(r):
        return f"{xkey} = {r[xkey]}" + (f", {ykey} = {r[ykey]}" if ykey else "")

    words = [
        f"- Expected reach ranges from {pm(lo['mean'], lo['ci_low'], lo['ci_high'])} "
        f"({at(lo)}) to {pm(hi['mean'], hi['ci_low'], hi['ci_high'])} ({at(hi)})."
    ]
    label = "setting"  # (the x key as header over "x = .., y = .." cells misread)
    table_rows = [dict(r, **{label: at(r)}) for r in rows]
    swept = [xkey] + ([ykey] if ykey else [])
    return (report.header("Sensitivity", rows, cfg, swept) + "\n"
            + report.markdown_table(table_rows, label) + "\n\n" + "\n".join(words) + "\n\n"
            + report.figure_links(figs) + "\n")
