"""Human summaries: console tables and ``report.md`` (table, figures, plain words)."""

import math
import os

from .formatting import ci_digits, escape_md, is_asymmetric, plus_minus, sig_fig  # noqa: F401
from .results import merge_sweep, write_table, write_text

__all__ = ["format_table", "markdown_table", "write", "plus_minus", "is_asymmetric", "sig_fig",
           "sweep_report", "finish_sweep", "summarise_replicates"]


def _cell(v, digits=2):
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return "" if v is None else str(v)


def _ci(r, name):
    """``(mean, low, high)`` of a column and its CI (``mean`` for reach), or None."""
    if name == "mean":
        return r.get("mean"), r.get("ci_low"), r.get("ci_high")
    return r.get(name), r.get(f"{name}_ci_low"), r.get(f"{name}_ci_high")


def _pm(r, name):
    v, lo, hi = _ci(r, name)
    if v is None:
        return ""
    return plus_minus(v, lo, hi) if lo is not None and hi is not None else _cell(v)


def _pm_head(rows, what, name):
    """``"reach (mean ± CI)"``, or ``"reach (mean, CI)"`` when a cell shows its
    interval's ends."""
    ends = any(None not in t and is_asymmetric(*t) for t in (_ci(r, name) for r in rows))
    return f"{what} (mean, CI)" if ends else f"{what} (mean ± CI)"


def _columns(rows, label):
    cols = [(label, lambda r: str(r.get(label, "")))]
    for key, head in (("k", "k"), ("budget", "budget"), ("cost", "cost")):
        if any(key in r for r in rows):
            cols.append((head, lambda r, key=key: _cell(r.get(key))))
    cols.append((_pm_head(rows, "reach", "mean"),
                 lambda r: plus_minus(r["mean"], r["ci_low"], r["ci_high"])))
    if any("exposure" in r for r in rows):
        cols.append((_pm_head(rows, "exposure", "exposure"), lambda r: _pm(r, "exposure")))
    if any("segment_reach" in r for r in rows) and any(
            r.get("segment_reach") != r.get("mean") for r in rows):
        cols.append((_pm_head(rows, "in segment", "segment_reach"),
                     lambda r: _pm(r, "segment_reach")))
    if any(_has_band(r) for r in rows):
        cols.append((_band_head(rows), _band_cell))
    if any("cost_per_adopter" in r for r in rows):
        cols.append(("cost / adopter", lambda r: sig_fig(r.get("cost_per_adopter"))))
    if any(r.get("diff") is not None for r in rows):
        cols.append(("vs best/baseline", lambda r: _pm(r, "diff")))
    cols.append(("worlds", lambda r: _cell(r.get("n_sims"))))
    cols.append(("time (s)", lambda r: _cell(r.get("elapsed"))))
    return cols


def _has_band(r):
    lo = r.get("band_low")
    return isinstance(lo, (int, float)) and not isinstance(lo, bool) and lo == lo


def _band_head(rows):
    """``90% band (fitted)`` or ``assumption band``: the column of ``band_low``/``band_high``."""
    r = next(r for r in rows if _has_band(r))
    if r.get("band_kind") == "parameters":
        return f"{round(100 * (r.get('band_level') or 0.9))}% band (fitted)"
    return "assumption band"


def _band_cell(r):
    if not _has_band(r):
        return ""
    return f"{sig_fig(r['band_low'])} to {sig_fig(r['band_high'])}"


def format_table(rows, label="plan"):
    """Fixed-width text table for the console."""
    cols = _columns(rows, label)
    cells = [[f(r) for _, f in cols] for r in rows]
    w = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, (h, _) in enumerate(cols)]
    out = ["  ".join(h.ljust(w[i]) if i == 0 else h.rjust(w[i]) for i, (h, _) in enumerate(cols))]
    out.append("-" * len(out[0]))
    for c in cells:
        out.append("  ".join(x.ljust(w[i]) if i == 0 else x.rjust(w[i]) for i, x in enumerate(c)))
    return "\n".join(out)


def markdown_table(rows, label="plan"):
    cols = _columns(rows, label)
    # user text (plan names, seed labels, file names) cannot add a column or run HTML
    out = ["| " + " | ".join(escape_md(h) for h, _ in cols) + " |",
           "|" + "|".join("---" if i == 0 else "---:" for i in range(len(cols))) + "|"]
    for r in rows:
        out.append("| " + " | ".join(escape_md(f(r)) for _, f in cols) + " |")
    return "\n".join(out)


def figure_links(figs):
    """The markdown that shows each figure: ``{title: file}`` -> ``![title](file)`` lines."""
    return "\n".join(f"![{t}]({p})" for t, p in figs.items())


#: what the header says about the rows' worlds, and the config group each belongs to
_DESCRIBED = {"graph": "graph", "n_nodes": "graph", "n_edges": "graph",
              "probabilities": "probabilities", "model": "model", "rng_seed": "rng_seed"}


def _distinct(rows, key):
    """The values of ``key`` over ``rows``, each once, in order of appearance."""
    seen = {}
    for r in rows:
        seen.setdefault(repr(r.get(key)), r.get(key))
    return list(seen.values())


def _num(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    return f"{v:,}" if isinstance(v, int) else f"{v:,g}"


def _numeric(values):
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _span(values):
    """``"3,000"``, ``"3,000 to 48,000"`` (numbers) or ``"a, b, c"``."""
    if len(values) == 1:
        return _num(values[0])
    if _numeric(values):
        return f"{_num(min(values))} to {_num(max(values))}"
    return ", ".join(_num(v) for v in values[:6]) + (", ..." if len(values) > 6 else "")


def _varied(key, values):
    """``"probabilities.p from 0.005 to 0.05 (4 values)"``."""
    if len(values) == 1:
        return f"{key} = {_num(values[0])}"
    return f"{key} {'from ' if _numeric(values) else ''}{_span(values)} ({len(values)} values)"


def header(title, rows, cfg, swept=()):
    """Title and one paragraph: graph, probabilities, model, rng_seed, intervals.

    ``swept``: the config keys that rows were run at different values of (a
    sensitivity grid). What differs across rows (those keys, graph sizes in a
    scaling study, ...) is given as a range, and the rows are said to share
    their worlds (common random numbers) only when nothing differs: same graph,
    probabilities, model and rng_seed. ``cfg["assumption"]``, when given (the
    probability assumption), follows as a paragraph of its own.
    """
    rows = rows or [{}]
    conf = cfg.get("confidence", 0.95)
    seeds = rows if all("rng_seed" in r for r in rows) else [{"rng_seed": cfg.get("rng_seed", 0)}]
    vals = {k: _distinct(seeds if k == "rng_seed" else rows, k) for k in _DESCRIBED}
    by_sweep = {k.split(".")[0] for k in swept} | set(swept)
    varies = [k for k in _DESCRIBED if len(vals[k]) > 1]
    text = _described(vals, varies, by_sweep) + f", viralsim {rows[0].get('version')}."
    if swept:
        text += " Varied: " + "; ".join(escape_md(_varied(k, _distinct(rows, k)))
                                        for k in swept) + "."
    text += f" Intervals are {round(100 * conf)}% confidence intervals; "
    text += _worlds_sentence(_differences(rows, swept, varies, by_sweep))
    if cfg.get("assumption"):  # where the probabilities come from, in one sentence
        # a paragraph of its own, with a blank line before the table that follows
        text = text.rstrip("\n") + f"\n\n{cfg['assumption']}\n"
    return f"# {title}\n\n{text}"


def _described(vals, varies, by_sweep):
    """"Graph **g** (n consumers, m follower edges), probabilities .., model .., rng_seed .."."""
    sizes = f"{_span(vals['n_nodes'])} consumers, {_span(vals['n_edges'])} follower edges"
    text = ("Graphs " if len(vals["graph"]) > 1 else "Graph ") + ", ".join(
        f"**{escape_md(g)}**" for g in vals["graph"])
    if len(vals["n_nodes"]) > 1:
        text += f" at {len(vals['n_nodes'])} sizes"
    text += f" ({escape_md(sizes)})"
    for k in ("probabilities", "model", "rng_seed"):
        if not (k in varies and _DESCRIBED[k] in by_sweep):  # else told with the swept keys
            text += f", {k} {escape_md(_span(vals[k]))}"
    return text


def _differences(rows, swept, varies, by_sweep):
    """What differs across rows: the swept keys that vary, then the described
    settings that vary without being swept (graph size for n_nodes/n_edges)."""
    differ = [k for k in swept if len(_distinct(rows, k)) > 1]
    for k in varies:
        what = "graph size" if k in ("n_nodes", "n_edges") else k
        if _DESCRIBED[k] not in by_sweep and what not in differ:
            differ.append(what)
    return differ


def _worlds_sentence(differ):
    """Whether the rows share their worlds (nothing differs) or are compared by intervals."""
    if not differ:
        return "every plan is simulated in the same worlds (common random numbers).\n"
    listed = ", ".join(differ[:-1]) + " and " + differ[-1] if len(differ) > 1 else differ[0]
    return (f"rows differ in {listed}, so they are not simulated in the same "
            "worlds: compare them through their intervals.\n")


#: result columns of a row (not settings that tell jobs apart)
_PER_ROW = frozenset({
    "job", "mean", "ci_low", "ci_high", "stderr", "n_sims", "elapsed", "exposure",
    "exposure_ci_low", "exposure_ci_high", "select_time", "diff", "diff_stderr", "diff_ci_low",
    "diff_ci_high", "cost_per_adopter", "rank", "converged", "seeds", "version", "cost", "k",
    "n_edges", "build_time", "graph_mib", "max_rss_mib", "worlds_per_s"})


def _job_settings(rows):
    """The columns that set a sweep's jobs apart: constant within each job, not
    across jobs (the swept config keys when there are any, not their derived
    descriptions too), results excluded."""
    per_job = {}
    for r in rows:
        per_job.setdefault(r["job"], []).append(r)
    cols = [c for c in (rows[0] if rows else {}) if _sets_jobs_apart(c, per_job)]
    if any("." in c for c in cols):
        cols = [c for c in cols if "." in c or c == "rng_seed"]
    return cols


def _sets_jobs_apart(c, per_job):
    """Whether column ``c`` (not a result, not the plan) is constant within each
    job of ``per_job`` (``{job: rows}``) and not across them."""
    jobs = per_job.values()
    return (c not in _PER_ROW and c not in ("plan", "strategy")
            and all(len({repr(x.get(c)) for x in rs}) == 1 for rs in jobs)
            and len({repr(rs[0].get(c)) for rs in jobs}) > 1)


def sweep_report(rows, missing, figs, *, summary=(), confidence=0.95):
    """``report.md`` of a merged sweep; with ``summary`` (:func:`summarise_replicates`),
    its replicates' means and intervals first."""
    lines = [f"# Sweep: {len({r['job'] for r in rows})} finished jobs, {len(rows)} rows\n"]
    if missing:
        lines.append(f"Not finished (left out): {escape_md(', '.join(missing))}. Re-run the same command "
                     "to run only those.\n")
    label = "plan" if any("plan" in r for r in rows) else "strategy"
    for r in rows:
        r.setdefault(label, r.get("strategy", ""))
    cols = [c for c in _job_settings(rows) if c != label]

    def tag(r):
        setting = ", ".join(f"{c}={r.get(c)}" for c in cols)
        return f"{r['job']}{f' ({setting})' if setting else ''}: {r.get(label, '')}"

    show = [dict(r, **{label: tag(r)}) for r in rows]
    if summary:
        lines.append(_replicates_section(summary, label, confidence))
        lines.append("## Every job\n")
    lines.append(markdown_table(show, label))
    if rows:
        b = max(rows, key=lambda r: r["mean"])
        lines.append(f"\n- Largest expected reach: job {escape_md(b['job'])} "
                     f"({escape_md(b.get(label))}), "
                     f"{plus_minus(b['mean'], b['ci_low'], b['ci_high'])}.")
    lines.append("\n" + figure_links(figs))
    return "\n".join(lines) + "\n"


def write(out_dir, text):
    """Write ``out_dir/report.md``, each figure linked in a format that was written."""
    p = os.path.join(out_dir, "report.md")
    write_text(p, _link_written_figures(out_dir, text))
    return p


def _link_written_figures(out_dir, text):
    """Point ``![title](name.png)`` at the format the run wrote (``formats=[svg]``),
    or say that none was (``formats=[]``)."""
    import re

    def fix(m):
        title, target = m.group(1), m.group(2)
        if os.path.exists(os.path.join(out_dir, target)):
            return m.group(0)
        stem = os.path.splitext(target)[0]
        for ext in ("png", "svg", "jpg", "jpeg", "webp", "gif", "pdf", "eps", "ps", "tif", "tiff"):
            if os.path.exists(os.path.join(out_dir, f"{stem}.{ext}")):
                return f"![{title}]({stem}.{ext})"
        return f"*{title}: no figure file (none of the `formats` asked for was written).*"

    return re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", fix, text)


def finish_sweep(sweep_dir, n_jobs=None):
    """Merge a sweep's finished jobs into ``sweep_dir/results.csv`` with a figure and report.md.

    ``n_jobs``: the sweep's number of jobs, when known; with Hydra's job
    directories ``0 .. n_jobs - 1`` all present, only those are merged (an
    earlier, larger sweep into the same directory leaves others behind).

    When some setting was run with two or more ``rng_seed`` values
    (replicates), their rows are pooled into ``sweep_dir/summary.csv``
    (:func:`summarise_replicates`) and the figure draws the pooled means:
    one line per setting (plan or strategy and the other swept keys) with
    its between-replicate interval as a band, against the first numeric
    setting that varies, or, when none does, each plan's mean with its
    interval per setting (:func:`plots.reach_by_plan`).

    Without replicates, the figure plots reach against the first numeric
    column that varies (one line per plan, or per job and plan when it also
    varies within jobs, named by the job's swept settings such as
    ``p=0.01: degree``). Where every such line would be a single point (the
    plans keep their size across the jobs: other graphs), it shows each
    plan's reach instead, a point with its CI per job.
    """
    rows, missing = merge_sweep(sweep_dir, out=os.path.join(sweep_dir, "results.csv"),
                                n_jobs=n_jobs)
    conf, swept = _sweep_settings(sweep_dir, rows)
    summary = summarise_replicates(rows, conf, swept) if rows else []
    path = os.path.join(sweep_dir, SUMMARY)
    if any(s["n_replicates"] > 1 for s in summary):
        write_table(summary, path)
        figs = _summary_figure(summary, sweep_dir, conf)
    else:
        summary = []
        for p in (path, os.path.splitext(path)[0] + ".parquet"):  # an earlier sweep's
            if os.path.exists(p):
                os.unlink(p)
        figs = _sweep_figure(rows, sweep_dir) if rows else {}
    write(sweep_dir, sweep_report(rows, missing, figs, summary=summary, confidence=conf))
    return rows, missing


def _sweep_settings(sweep_dir, rows):
    """``(confidence, swept)``: the jobs' confidence level (their ``config.yaml``;
    0.95 when unreadable) and the keys of their command lines (``meta.json``)."""
    import json

    conf, swept = None, set()
    for job in sorted({str(r["job"]) for r in rows}):
        d = os.path.join(sweep_dir, job)
        try:
            with open(os.path.join(d, "meta.json"), encoding="utf-8") as fh:
                swept.update(json.load(fh).get("keys") or {})
        except (OSError, ValueError, AttributeError):
            pass
        if conf is None:
            conf = _job_confidence(d)
    return conf or 0.95, swept


def _job_confidence(job_dir):
    try:
        import yaml

        with open(os.path.join(job_dir, "config.yaml"), encoding="utf-8") as fh:
            c = (yaml.safe_load(fh) or {}).get("confidence")
    except Exception:  # no readable config: the default
        return None
    return float(c) if isinstance(c, (int, float)) and 0 < c < 1 else None


_header, _figures = header, figure_links  # their names before the experiments moved out

#: each experiment's report text now lives in its module (viralsim.experiments.<name>)
_MOVED = {"estimate_report": "estimate", "compare_report": "compare",
          "campaign_report": "campaign", "sensitivity_report": "sensitivity",
          "scaling_report": "scaling"}


def __getattr__(name):
    # report.campaign_report(...) as before; imported on use (the experiments import this module)
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(f"viralsim.experiments.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: columns never on the x axis of a sweep's figure (results, not settings)
_NOT_X = {"job", "mean", "ci_low", "ci_high", "stderr", "n_sims", "elapsed", "exposure",
          "exposure_ci_low", "exposure_ci_high", "select_time", "rng_seed", "n_edges",
          "diff", "diff_stderr", "diff_ci_low", "diff_ci_high", "cost_per_adopter", "rank"}


def _first_varying(rows):
    """The figure's x: k (or budget) when it varies, else the first numeric column
    that varies across the rows; None when none does."""
    varying = [c for c in rows[0] if c not in _NOT_X
               and all(isinstance(r.get(c), (int, float)) and not isinstance(r.get(c), bool)
                       for r in rows)
               and len({r.get(c) for r in rows}) > 1]
    return next((c for c in ("k", "budget") if c in varying), varying[0] if varying else None)


def _series_names(rows, x, group, multi):
    """``(job_label, series_of)``: a job's name in the legend, and a row's line.

    A job is named by its swept settings (``rng_seed=1``), by number only when
    they do not tell the jobs apart; a line is per job and plan when ``multi``
    (x also varies within jobs), else per plan and the other settings.
    """
    others = [c for c in _job_settings(rows) if c != x]
    first = {}
    for r in rows:
        first.setdefault(r["job"], r)
    setting = {j: ", ".join(f"{c}={r.get(c)}" for c in others) for j, r in first.items()}
    named = all(setting.values()) and len(set(setting.values())) == len(setting)

    def job_label(j):
        return setting[j] if named else f"job {j}"

    def series_of(r):
        if multi:
            return f"{job_label(r['job'])}: {r.get(group)}"
        rest = setting[r["job"]]  # the settings are constant within a job
        return f"{r.get(group)} ({rest})" if rest else r.get(group)

    return job_label, series_of


def _sweep_figure(rows, sweep_dir):
    """``sweep.png`` (and .svg) of a merged sweep, as :func:`finish_sweep` describes;
    ``{title: file}`` of what was drawn (nothing when there is nothing to draw)."""
    from . import plots

    x = _first_varying(rows)
    group = "plan" if "plan" in rows[0] else "strategy"
    per_job = {}
    for r in rows:
        per_job.setdefault(r["job"], set()).add(r.get(x))
    # a line per plan across jobs (and per value of the other swept settings);
    # per job and plan when x also varies inside a job
    multi = len(per_job) > 1 and any(len(v) > 1 for v in per_job.values())
    job_label, series_of = _series_names(rows, x, group, multi)
    series = {}
    for r in rows:
        series.setdefault(series_of(r), set()).add(r.get(x))
    if x is not None and any(len(v) > 1 for v in series.values()):
        ax = plots.reach_curve([dict(r, series=series_of(r)) for r in rows], x=x,
                               group="series")
        plots.save(ax, os.path.join(sweep_dir, "sweep"))
        return {f"Reach vs {x}": "sweep.png"}
    if len(per_job) > 1:
        # every line would be one point (plans keep their size across the jobs,
        # e.g. replicate seeds): each plan's reach, a point per job
        ax = plots.reach_by_plan([dict(r, job_label=job_label(r["job"])) for r in rows],
                                 group=group, by="job_label")
        plots.save(ax, os.path.join(sweep_dir, "sweep"))
        return {f"Reach per {group}, by job": "sweep.png"}
    return {}


# ------------------------------------------------------------------------ replicates
#: columns that are a row's results, never a setting that tells replicates apart
_RESULT_NAMES = frozenset({
    "job", "rng_seed", "mean", "ci_low", "ci_high", "stderr", "n_sims", "elapsed",
    "select_time", "seeds", "version", "cost", "cost_per_adopter", "rank", "converged",
    "n_edges", "build_time", "graph_mib", "max_rss_mib", "worlds_per_s", "n_seeds",
    "own_spread", "selection_shared", "vs_best", "replicate_sd", "n_replicates", "rng_seeds",
    "baseline"})
#: what a row's differences (``diff``, ``segment_diff``) are taken against
_AGAINST = ("baseline", "vs_best")
_RESULT_SUFFIXES = ("_ci_low", "_ci_high", "_stderr", "_mean", "_unpaired_low",
                    "_unpaired_high")
#: where the summary of a sweep's replicates goes, in the sweep directory
SUMMARY = "summary.csv"


def _estimates(cols):
    """The estimated columns of a table: ``mean`` (reach, CI ``ci_low``/``ci_high``)
    and every ``X`` with an ``X_ci_low`` (exposure, a model's metrics, ``diff``)."""
    return [c for c in cols if c == "mean" or (f"{c}_ci_low" in cols and c != "ci")]


def _is_setting(c, r, estimates, settings):
    if c in settings:
        return True
    if c == "k":  # a budget's plan: its seed count is a result
        return r.get("budget") is None
    return not _is_result(c, estimates)


def summarise_replicates(rows, confidence=0.95, settings=()):
    """Pool the rows that differ only in ``rng_seed``: per setting, the mean of the
    replicates' estimates with a t interval between replicates, and their count.

    Parameters
    ----------
    rows : list of dict
        A merged sweep's rows (``results.csv``).
    confidence : float in (0, 1), default 0.95
    settings : iterable of str, optional
        Columns that are settings whatever their name (a sweep's keys, such
        as ``n_sims``, which otherwise counts as a result).

    Returns
    -------
    list of dict
        One row per setting, in order of first appearance: the setting's
        columns (every column that is not a result: plan or strategy, k,
        swept keys, graph, model, ...), then for ``mean`` (reach) and each
        other estimate ``X`` (exposure, ``diff``, a model's metrics): the
        mean over replicates, ``stderr`` (``X_stderr``) and ``ci_low`` /
        ``ci_high`` (``X_ci_low`` / ``X_ci_high``), Student's t with
        ``n - 1`` degrees of freedom (:func:`viralsim.stats.sample_interval`)
        on the replicates' values; ``replicate_sd`` (of reach),
        ``n_replicates``, ``rng_seeds`` (space separated) and ``n_sims``
        (worlds, all replicates together). A setting seen once has no
        interval (None). A seed seen twice for one setting (a repeated job,
        identical numbers) counts once. Differences (``diff``, ...) are pooled
        only when every replicate took them against the same ``baseline``
        (``vs_best``), which is kept; else they are left out and it reads
        ``"varies"`` (the best heuristic can change with the seed).

    Notes
    -----
    The interval is between replicates: it covers everything the seed
    changes (the worlds, and a random graph or random seeds where there are
    any), not only the Monte Carlo error of one run, and with few
    replicates it is wide (t quantile 4.30 for 3 at 95%).

    Examples
    --------
    >>> from viralsim.report import summarise_replicates
    >>> rows = [{"plan": "hubs", "k": 5, "mean": m, "ci_low": m - 1, "ci_high": m + 1,
    ...          "n_sims": 100, "rng_seed": s} for s, m in enumerate([10.0, 12.0, 14.0])]
    >>> (s,) = summarise_replicates(rows)
    >>> s["plan"], s["k"], s["mean"], s["n_replicates"], s["rng_seeds"], s["n_sims"]
    ('hubs', 5, 12.0, 3, '0 1 2', 300)
    >>> round(s["stderr"], 6), round(s["ci_low"], 4), round(s["ci_high"], 4)
    (1.154701, 7.0317, 16.9683)
    """
    settings = set(settings) - {"rng_seed", "job"}
    cols = _all_columns(rows)
    estimates = _estimates(cols)
    out = []
    for key, by_seed in _group_by_setting(rows, cols, estimates, settings).items():
        reps = list(by_seed.values())
        s = {c: reps[0].get(c) for c, _ in key}
        mixed = _pool_baselines(s, reps)
        _pool_estimates(s, reps, [e for e in estimates if not (mixed and "diff" in e)],
                        confidence)
        s["n_replicates"] = len(reps)
        s["rng_seeds"] = " ".join(str(r.get("rng_seed")) for r in reps)
        if "n_sims" not in settings and all(_finite(r.get("n_sims")) for r in reps):
            s["n_sims"] = sum(int(r["n_sims"]) for r in reps)
        out.append(s)
    return out


def _all_columns(rows):
    """Every column of ``rows``, in order of first appearance."""
    cols = []
    for r in rows:
        cols.extend(c for c in r if c not in cols)
    return cols


def _group_by_setting(rows, cols, estimates, settings):
    """``{setting key: {repr(rng_seed): row}}``: the rows of each setting, a seed
    once per setting (its first row)."""
    groups = {}
    for r in rows:
        key = tuple((c, repr(r.get(c))) for c in cols if _is_setting(c, r, estimates, settings))
        groups.setdefault(key, {}).setdefault(repr(r.get("rng_seed")), r)
    return groups


def _pool_baselines(s, reps):
    """Set each ``_AGAINST`` column of ``s`` (the replicates' one value, or
    ``"varies"``); True when any varies (their differences cannot be pooled)."""
    mixed = False
    for a in _AGAINST:
        if a in reps[0]:
            varies = len({repr(r.get(a)) for r in reps}) > 1
            mixed |= varies
            s[a] = "varies" if varies else reps[0].get(a)
    return mixed


def _pool_estimates(s, reps, estimates, confidence):
    """Set in ``s`` each estimate's mean over the replicates and its t interval
    between them (None with one replicate); ``replicate_sd`` for reach."""
    import numpy as np

    from .stats import sample_interval

    for e in estimates:
        vals = np.array([r[e] for r in reps if _finite(r.get(e))], dtype=float)
        if vals.size == 0:
            continue
        names = (("stderr", "ci_low", "ci_high") if e == "mean"
                 else (f"{e}_stderr", f"{e}_ci_low", f"{e}_ci_high"))
        m, se, lo, hi = sample_interval(vals, confidence)
        s[e] = m
        s.update(zip(names, (se, lo, hi) if vals.size > 1 else (None, None, None)))
        if e == "mean":
            s["replicate_sd"] = float(vals.std(ddof=1)) if vals.size > 1 else None


def _finite(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _summary_settings(summary):
    """``(label, x, others)`` of a sweep's summary: the plan/strategy column, the x
    axis of its figure (k or budget when they vary, else the first numeric setting
    that varies; None) and the other settings that vary across its rows."""
    label = "plan" if any("plan" in s for s in summary) else "strategy"
    cols = _all_columns(summary)
    estimates = _estimates(cols)
    varying = [c for c in cols if _is_varying_setting(c, summary, estimates)]
    numeric = [c for c in varying if all(_finite(s.get(c)) for s in summary)]
    x = next((c for c in ("k", "budget") if c in numeric), numeric[0] if numeric else None)
    return label, x, [c for c in varying if c != x]


def _is_result(c, estimates):
    """Whether column ``c`` holds a result (an estimate, its interval, a timing...)."""
    return c in _RESULT_NAMES or c in estimates or c.endswith(_RESULT_SUFFIXES)


def _is_varying_setting(c, rows, estimates):
    """Whether column ``c`` is a setting (not the plan, not a result) that takes
    more than one value across ``rows``."""
    return (c not in ("plan", "strategy") and not _is_result(c, estimates)
            and len({repr(r.get(c)) for r in rows}) > 1)


def _setting_name(s, others):
    return ", ".join(f"{c}={_num(s.get(c))}" for c in others)


def _summary_figure(summary, sweep_dir, confidence):
    """``sweep.png`` (and .svg) of a sweep with replicates: the pooled means with
    their between-replicate intervals, as :func:`finish_sweep` describes."""
    from . import plots

    label, x, others = _summary_settings(summary)
    n = sorted({s["n_replicates"] for s in summary})
    reps = f"{n[0]}" if len(n) == 1 else f"{n[0]}-{n[-1]}"
    title = (f"mean of {reps} replicates (rng_seed), "
             f"{100 * confidence:g}% t interval between replicates")

    def series(s):
        rest = _setting_name(s, others)
        return f"{s.get(label)} ({rest})" if rest else str(s.get(label))

    lines = {}
    for s in summary:
        lines.setdefault(series(s), set()).add(s.get(x))
    # a setting seen once has no interval: no band there (NaN leaves a gap)
    shown = [dict(s, ci_low=_or_nan(s.get("ci_low")), ci_high=_or_nan(s.get("ci_high")))
             for s in summary]
    if x is not None and any(len(v) > 1 for v in lines.values()):
        ax = plots.reach_curve([dict(s, series=series(s)) for s in shown], x=x, group="series",
                               ylabel="expected reach (mean over replicates)")
        what = f"Mean reach over replicates vs {x}"
    else:
        ax = plots.reach_by_plan(
            [dict(s, setting=_setting_name(s, others) or f"mean of {reps} replicates")
             for s in shown], group=label, by="setting",
            ylabel="expected reach (mean over replicates)")
        what = f"Mean reach over replicates per {label}"
    ax.set_title(title, fontsize="medium")
    plots.save(ax, os.path.join(sweep_dir, "sweep"))
    return {what: "sweep.png"}


def _replicates_table(summary, label, ext, others, pct):
    """The markdown table of a sweep's pooled replicates, one row per setting."""
    head = ([label] + ext + [f"setting ({', '.join(others)})"] * bool(others)
            + [f"reach (mean, {pct} CI between replicates)", "replicate sd", "replicates",
               "rng_seed"])
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
    for s in summary:
        reach = (plus_minus(s["mean"], s["ci_low"], s["ci_high"])
                 if s.get("ci_low") is not None else _cell(s["mean"]))
        cells = ([str(s.get(label, ""))] + [_cell(s.get(c)) for c in ext]
                 + [_setting_name(s, others)] * bool(others)
                 + [reach, sig_fig(s.get("replicate_sd")) if s.get("replicate_sd") is not None
                    else "", str(s["n_replicates"]), str(s["rng_seeds"])])
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def _or_nan(v):
    return float("nan") if v is None else v


def _replicates_section(summary, label, confidence):
    """The sweep report's account of its replicates: what was pooled, how, and the
    pooled table."""
    _, _, others = _summary_settings(summary)
    pct = f"{100 * confidence:g}%"
    n = sorted({s["n_replicates"] for s in summary})
    lines = [
        "## Replicates\n",
        f"Rows that differ only in `rng_seed` are pooled in `{SUMMARY}`: per setting, the "
        f"mean of the replicates' reach, a {pct} t interval between replicates (Student's t "
        "with n - 1 degrees of freedom on the replicates' means: it covers everything the "
        "seed changes, the worlds and a random graph or random seed sets where there are "
        "any) and the number of replicates "
        f"({n[0] if len(n) == 1 else f'{n[0]} to {n[-1]}'}). The figure draws these means, "
        "one line per setting with its interval as a band.\n"]
    if n[0] < 2:
        lines.append("Settings run with one seed only have no interval (left empty).\n")
    ext = [c for c in ("k", "budget") if any(s.get(c) is not None for s in summary)]
    lines.append(_replicates_table(summary, label, ext, others, pct))
    b = max(summary, key=lambda s: s["mean"])
    if b.get("ci_low") is not None:
        where = ", ".join(f"{c}={_num(b.get(c))}" for c in ext + others)
        lines.append(f"\n- Largest mean reach: {b.get(label)}{f' ({where})' if where else ''}, "
                     f"{plus_minus(b['mean'], b['ci_low'], b['ci_high'])} over "
                     f"{b['n_replicates']} replicates.\n")
    return "\n".join(lines) + "\n"
