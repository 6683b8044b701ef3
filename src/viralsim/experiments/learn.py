"""``experiment=learn``: learn influence from an action log, then check the forecasts
on cascades the fit never saw.

Config: ``conf/experiment/learn.yaml`` (schema :class:`LearnConf`, and the
top-level ``log`` node, schema :class:`LogConf`). The log is a CSV file
(``log.path``, one row per adoption: item, consumer, time) read for the
``graph``, or a registered cascade dataset (``log.dataset``, graph included;
:data:`viralsim.datasets.CASCADES`). The items are split into a training and
a test part (``experiment.split``, ``experiment.test_size``); the model is
fitted on the training part (:func:`viralsim.fit_influence`) and each test
item is forecast from its first adopters (:func:`viralsim.backtest`), beside
the fixed probability schemes.

Writes ``results.csv`` (one row per method: mean log score, mean absolute
error, interval coverage), ``forecasts.csv`` (one row per test item and
method), ``fitted_graph.txt`` (``source target probability``, readable by
:func:`viralsim.read_edgelist`), ``fitted_edges.csv`` (the same with each
edge's trials, expected successes and 95% interval), ``fit.npz`` (the whole
fit, for :func:`viralsim.load_fit` and ``graph=fitted graph.path=<this run's
directory>``), the calibration figure and ``report.md``.
"""

import dataclasses
import logging
import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

from .. import report
from . import _build, _rows

__all__ = ["LearnConf", "LogConf", "run_learn", "learn_report", "SPLITS"]

log = logging.getLogger("viralsim")

#: ``experiment.split``: ``auto`` is the dataset's own split with ``log.dataset``, else ``time``
SPLITS = ("auto", "time", "item", "dataset")
_BASELINES = ("weighted_cascade", "trivalency", "uniform")


@dataclass
class LogConf:
    """The top-level ``log`` node of ``experiment=learn``: where the adoptions are.

    Parameters
    ----------
    path : str, optional
        The action log, a CSV file with a header (one row per adoption). With
        ``dataset``: the dataset's folder (default ``<data_home>/cascades/<dataset>``).
    item, user, time : str
        Its column names (see :func:`viralsim.read_action_log`).
    sep : str, optional
        Its separator (default: sniffed).
    dataset : str, optional
        A registered cascade dataset (``stackexchange-android``,
        ``lastfm-hetrec2011``): its graph replaces ``graph``.
    data_home : str, optional
        The data directory holding ``cascades/<dataset>`` (default
        ``$VIRALSIM_DATA``, else ``~/.cache/viralsim``).
    """

    path: str | None = None
    item: str = "item"
    user: str = "user"
    time: str = "time"
    sep: str | None = None
    dataset: str | None = None
    data_home: str | None = None


@dataclass
class LearnConf:
    """Schema of ``experiment=learn``.

    Parameters
    ----------
    method : {"em", "frequency"}
    rule : {"earlier", "previous_step"}
    outside : bool
        Fit the outside-influence rate.
    prior : "auto" or float
        Shrinkage strength (see :func:`viralsim.fit_influence`).
    split : {"auto", "time", "item", "dataset"}
        How the items are split: by first-adoption time (the latest ones are
        the test), at random by item, or the dataset's own split (``auto``:
        the dataset's with ``log.dataset``, else by time).
    test_size : float
        The share of the items held out (``time``, ``item``; Last.fm's split).
    n_sims : int
        Simulated worlds per forecast.
    n_draws : int
        Parameter draws per forecast (:func:`viralsim.backtest`).
    level : float
        The forecast interval's level.
    baselines : list
        Fixed schemes scored beside the learned model.
    max_items : int, optional
        Forecast only the first ``max_items`` test items (a quick look).
    """

    name: str = "learn"
    method: str = "em"
    rule: str = "earlier"
    outside: bool = True
    prior: Any = "auto"
    split: str = "auto"
    test_size: float = 0.2
    n_sims: int = 1000
    n_draws: int = 20
    level: float = 0.9
    baselines: list = field(default_factory=lambda: list(_BASELINES))
    max_items: int | None = None


@dataclass(frozen=True)
class _Data:
    graph: Any
    train: Any
    test: Any
    name: str
    split: str


def _log_conf(cfg):
    lc = cfg.get("log")
    if not lc or not (lc.get("path") or lc.get("dataset")):
        raise ValueError("experiment=learn needs an action log: give log.path=<adoptions.csv> "
                         "(one row per adoption; columns log.item, log.user, log.time) with "
                         "graph=..., or log.dataset=stackexchange-android.")
    return dict(lc)


def _check(exp):
    split = exp.get("split", "auto")
    if split not in SPLITS:
        raise ValueError(f"experiment.split={split!r}: choose one of {', '.join(SPLITS)}.")
    ts = exp.get("test_size", 0.2)
    if isinstance(ts, bool) or not isinstance(ts, (int, float)) or not 0 < ts < 1:
        raise ValueError(f"experiment.test_size={ts!r}: give the held-out share of the items, "
                         "a number between 0 and 1 (e.g. 0.2).")
    bad = [b for b in exp.get("baselines") or [] if b not in _BASELINES]
    if bad:
        raise ValueError(f"experiment.baselines names {bad}; choose among {list(_BASELINES)}.")
    n = exp.get("n_sims", 1000)
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"experiment.n_sims={n!r}: give the worlds per forecast, an integer "
                         ">= 2 (e.g. 1000).")


def _read(cfg, exp, lc):
    """The graph and the train / test logs."""
    seed = int(cfg.get("rng_seed", 0))
    split = exp.get("split", "auto")
    ts = float(exp.get("test_size", 0.2))
    if lc.get("dataset"):
        from ..datasets import load_cascades

        split = "dataset" if split == "auto" else split
        graph, train, test = load_cascades(
            lc["dataset"], path=lc.get("path"), data_home=lc.get("data_home"), test_size=ts,
            split=split if split in ("time", "item") else None, rng=_build.sub_rng(seed, 7))
        if lc["dataset"] == "stackexchange-android" and split != "dataset":
            if split == "time":
                raise ValueError("log.dataset=stackexchange-android: its times count from each "
                                 "cascade's start (no calendar), so a split by time is "
                                 "meaningless; use experiment.split=auto (the authors' split) "
                                 "or experiment.split=item.")
            from ..actionlog import ActionLog

            whole = _concat(ActionLog, train, test)
            train, test = whole.split("item", test_size=ts, rng=_build.sub_rng(seed, 7))
        return _Data(graph, train, test, str(lc["dataset"]), split)
    from ..actionlog import read_action_log

    if split == "dataset":
        raise ValueError("experiment.split=dataset needs log.dataset=<name>; for a log file "
                         "use experiment.split=time or experiment.split=item.")
    split = "time" if split == "auto" else split
    graph = _build.build_graph(cfg)
    whole = read_action_log(lc["path"], graph=graph, item=lc.get("item", "item"),
                            user=lc.get("user", "user"), time=lc.get("time", "time"),
                            sep=lc.get("sep"))
    log.info("action log: %s", whole.summary())
    train, test = whole.split(split, test_size=ts, rng=_build.sub_rng(seed, 7))
    return _Data(graph, train, test, _build.graph_name(cfg["graph"]), split)


def _concat(cls, a, b):
    import numpy as np

    sizes = np.r_[np.diff(a.indptr), np.diff(b.indptr)]
    indptr = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=indptr[1:])
    return cls(a.graph, np.r_[a.items, b.items], indptr, np.r_[a.nodes, b.nodes],
               np.r_[a.times, b.times], time_kind=a.time_kind)


def _prior(value):
    if value is None or (isinstance(value, str) and value == "auto"):
        return "auto" if value is not None else None
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"experiment.prior={value!r}: give auto, or a number of "
                             "pseudo-trials >= 0 (0: no shrinkage).") from None
    return value


def _method_rows(bt, base, tail, level):
    rows = []
    for name, sc in bt.scores.items():
        row = dict(base, method=name, n_items=sc["n_items"], log_score=sc["log_score"],
                   mae=sc["mae"], coverage=sc["coverage"], level=level,
                   pit_hist=" ".join(str(c) for c in sc["pit_hist"]), **tail)
        rows.append(row)
    return rows


def _write_fitted(fit, out_dir, files):
    """``fitted_graph.txt`` (read_edgelist) and ``fitted_edges.csv`` (with the trials)."""
    from .. import results as res

    src, dst, p, trials, succ = fit.edge_table()
    lo, hi = fit.intervals(0.95)
    labels_ok = all(not any(c.isspace() for c in str(x)) and str(x) and
                    not str(x).startswith(("#", "%"))
                    for x in fit.input_graph.labels.tolist())
    if labels_ok:
        path = os.path.join(out_dir, "fitted_graph.txt")
        lines = [f"{_build.FITTED_MARK} ({fit.method}): source target probability",
                 "# read back: vs.read_edgelist(path, directed=True) (probabilities in column 3)"]
        lines += [f"{s} {d} {float(q)!r}" for s, d, q in zip(src.tolist(), dst.tolist(),
                                                              p.tolist())]
        res.write_text(path, "\n".join(lines) + "\n")
        files.append(path)
    else:
        log.warning("fitted_graph.txt not written: consumer labels hold spaces or start with "
                    "# or %%; read fitted_edges.csv with vs.read_follower_csv(path, "
                    "probability='probability').")
    rows = [{"source": s, "target": d, "probability": float(q), "trials": float(t),
             "successes": float(k), "low95": float(a), "high95": float(b)}
            for s, d, q, t, k, a, b in zip(src.tolist(), dst.tolist(), p.tolist(),
                                           trials.tolist(), succ.tolist(), lo.tolist(),
                                           hi.tolist())]
    files += res.write_table(rows, os.path.join(out_dir, "fitted_edges.csv"), parquet=False)


def _save_fit(fit, bt, data, lc, out_dir, files):
    """``fit.npz`` (:func:`viralsim.load_fit`; ``graph=fitted graph.path=<run dir>``), with
    the log it was learned from and the learned forecasts' backtest scores as its notes."""
    from ..learn import FIT_FILE

    source = (f"the {lc['dataset']} dataset" if lc.get("dataset")
              else os.path.basename(str(lc.get("path"))))
    notes = {"source": source, "split": data.split, "train_items": len(data.train),
             "test_items": len(data.test)}
    sc = bt.scores.get("learned")
    if sc:
        notes["backtest"] = {"n_items": sc["n_items"], "level": bt.level,
                             "coverage": sc["coverage"], "log_score": sc["log_score"],
                             "mae": sc["mae"]}
    fit.notes = dict(fit.notes, **notes)
    files.append(fit.save(os.path.join(out_dir, FIT_FILE)))


def run_learn(cfg, out_dir, keys=None):
    """Fit influence on the training items, backtest on the held-out ones, into ``out_dir``.

    Parameters
    ----------
    cfg : dict
        The composed config (plain), ``experiment`` as :class:`LearnConf`,
        ``log`` as :class:`LogConf`.
    out_dir : str
        Where the files go (it exists).
    keys : dict, optional
        Extra columns for every row (a sweep's overrides).

    Returns
    -------
    Outcome
        ``extra["fit"]`` (:class:`~viralsim.InfluenceFit`), ``extra["backtest"]``
        (:class:`~viralsim.BacktestResult`).

    Raises
    ------
    ValueError
        No log (neither ``log.path`` nor ``log.dataset``), a bad split,
        ``test_size``, ``n_sims`` or baseline; then the reader's and the
        fit's own errors.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from viralsim.experiments import run_experiment
    >>> d = tempfile.mkdtemp()
    >>> p = pathlib.Path(d, "log.csv")
    >>> rows = ["item,user,time"] + [f"{i},{u},{10 * i + t}" for i in range(10)
    ...                              for t, u in enumerate([0, 1, 2][: 1 + i % 3])]
    >>> _ = p.write_text("\\n".join(rows) + "\\n")
    >>> cfg = {"experiment": {"name": "learn", "n_sims": 50, "n_draws": 5, "prior": 0},
    ...        "log": {"path": str(p)},
    ...        "graph": {"_target_": "viralsim.FollowerGraph.from_edges", "src": [0, 1],
    ...                  "dst": [1, 2]}, "formats": []}
    >>> sorted(r["method"] for r in run_experiment(cfg, d).rows)[:2]
    ['learned', 'learned, no outside']
    """
    from ..learn import backtest, fit_influence

    exp = cfg["experiment"]
    lc = _log_conf(cfg)
    _check(exp)
    seed = int(cfg.get("rng_seed", 0))
    t0 = time.perf_counter()
    data = _read(cfg, exp, lc)
    fit = fit_influence(data.graph, data.train, method=exp.get("method", "em"),
                        rule=exp.get("rule", "earlier"), outside=exp.get("outside", True),
                        prior=_prior(exp.get("prior", "auto")), rng=_build.sub_rng(seed, 8))
    log.info("%s", fit.summary())
    level = float(exp.get("level", 0.9))
    bt = backtest(fit, data.test, n_sims=int(exp.get("n_sims", 1000)),
                  n_draws=int(exp.get("n_draws", 20)), level=level,
                  rng=_build.sub_rng(seed, 9),
                  baselines=tuple(exp.get("baselines") or ()), max_items=exp.get("max_items"))
    info = dataclasses.replace(
        _build.RunInfo.from_config(dict(cfg, graph={"name": data.name}), keys),
        probabilities=f"learned ({fit.method})", model=type(fit.model).__name__)
    base, tail = _rows.base_row(info, data.graph)
    base.update(split=data.split, train_items=len(data.train), test_items=len(data.test))
    tail = dict(tail, elapsed=time.perf_counter() - t0)
    rows = _method_rows(bt, base, tail, level)
    files = _rows.write_rows(rows, out_dir)
    from .. import results as res

    files += res.write_table(bt.rows, os.path.join(out_dir, "forecasts.csv"), parquet=False)
    _write_fitted(fit, out_dir, files)
    _save_fit(fit, bt, data, lc, out_dir, files)
    figs = {}
    if info.formats and "learned" in bt.scores:
        from .. import plots

        ax = plots.calibration(bt.rows, method="learned", level=level)
        _rows.save_figure(ax, out_dir, "calibration", info, files)
        figs["Forecast against outcome on the held-out items"] = "calibration.png"
    text = learn_report(rows, fit, bt, data, figs)
    files.append(report.write(out_dir, text))
    return _rows.Outcome(rows, files, {"fit": fit, "backtest": bt, "console": bt.table()},
                         text, label="method")


def _pct(x):
    return f"{100 * x:.1f}%"


def _rank_correlation(rows, method):
    """Spearman's rank correlation of forecast mean and observed size (None: < 3 items
    or a constant column)."""
    import numpy as np
    from scipy.stats import rankdata

    rs = [r for r in rows if r["method"] == method]
    if len(rs) < 3:
        return None
    a = rankdata([r["mean"] for r in rs])
    b = rankdata([r["observed"] for r in rs])
    if a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def learn_report(rows, fit, bt, data, figs):
    """``report.md`` of a learn run: what was learned and how well it forecast, in words.

    Parameters
    ----------
    rows : list of dict
        One per method (``method``, ``log_score``, ``mae``, ``coverage``, ``n_items``).
    fit : InfluenceFit
    bt : BacktestResult
    data : object
        ``name``, ``split``, ``train``, ``test`` (the logs).
    figs : dict
        Figure title -> file name.

    Returns
    -------
    str
    """
    lv = round(100 * bt.level)
    by = {r["method"]: r for r in rows}
    out = [f"# Learned influence: {report.escape_md(data.name)}", "",
           f"Influence probabilities learned from {len(data.train):,} items and tested on "
           f"{len(data.test):,} items the fit never saw (split: {data.split}); rng_seed "
           f"{rows[0]['rng_seed'] if rows else 0}, viralsim {rows[0]['version'] if rows else ''}.",
           "", "## What was learned", "", f"Training log: {report.escape_md(data.train.summary())}", "",
           fit.summary(), ""]
    out += ["## Forecasts on items it never saw", ""]
    learned = by.get("learned")
    if learned is None:
        out.append("No held-out item had an adopter in the graph: nothing was forecast.")
    else:
        n = learned["n_items"]
        held = round(100 * learned["coverage"])
        out.append(f"On {n:,} campaigns it never saw, the forecast's {lv}% range held the real "
                   f"outcome {held} times in 100 (each forecast starts from the campaign's "
                   f"first adopters; {lv} would be exact calibration).")
        rho = _rank_correlation(bt.rows, "learned")
        if rho is not None:
            out.append("")
            out.append(f"How well the forecasts tell campaigns apart: the rank correlation "
                       f"between the forecast mean and the real size is {rho:.2f} (1: the "
                       "forecasts order the campaigns exactly; 0: not at all). A good coverage "
                       "with a low correlation means honest but wide ranges.")
        out.append("")
        for name, r in by.items():
            if name.startswith("learned"):
                continue
            verb = "beat" if learned["log_score"] > r["log_score"] else "did not beat"
            out.append(f"- The learned model {verb} {name} on log score "
                       f"({learned['log_score']:.2f} against {r['log_score']:.2f}; higher is "
                       f"better); mean absolute error {learned['mae']:.1f} against "
                       f"{r['mae']:.1f} adopters; {lv}% range coverage {_pct(learned['coverage'])} "
                       f"against {_pct(r['coverage'])}.")
        if "learned, no outside" in by:
            r = by["learned, no outside"]
            out.append(f"- Without the outside influence the learned graph scores "
                       f"{r['log_score']:.2f} (coverage {_pct(r['coverage'])}).")
        if bt.skipped:
            out.append(f"- {bt.skipped} held-out item(s) had no adopter in the graph and were "
                       "not forecast.")
    out += ["", "| method | items | log score | MAE | coverage |", "|---|---:|---:|---:|---:|"]
    for r in sorted(rows, key=lambda r: -r["log_score"] if math.isfinite(r["log_score"]) else 0):
        out.append(f"| {r['method']} | {r['n_items']:,} | {r['log_score']:.3f} | "
                   f"{r['mae']:.2f} | {_pct(r['coverage'])} |")
    out += ["", "Log score: the natural log of the probability the forecast gave the size that "
            "happened (averaged over items). MAE: mean absolute error of the forecast mean. "
            "Per-item forecasts are in forecasts.csv.", "",
            "## Using the learned probabilities", "",
            "fit.npz holds the whole fit (read it with `vs.load_fit`); fitted_graph.txt the "
            "graph with the learned probabilities (`source target probability`); "
            "fitted_edges.csv adds each edge's trials, expected successes and 95% interval. "
            "Plan a campaign on what was learned (the outside influence the fit found "
            "included), with the band that the fit's uncertainty gives each plan:", "",
            "    viralsim experiment=campaign graph=fitted graph.path=<this folder> "
            "experiment.uncertainty=parameters", "",
            "(or, over the learned edges only: graph=edgelist graph.path=<this folder>/"
            "fitted_graph.txt probabilities=keep.)", "", report.figure_links(figs), ""]
    return "\n".join(out)
