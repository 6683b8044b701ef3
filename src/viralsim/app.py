"""The ``viralsim`` command line (Hydra application). The only module that imports Hydra.

``viralsim`` (or ``python -m viralsim``) composes the config tree shipped in
``viralsim/conf`` (groups ``graph``, ``probabilities``, ``model``,
``strategy``, ``experiment``, ``backend``), validates it against the
structured-config schemas registered below, and calls :func:`run`, a plain
function of the composed config. With no arguments it runs the built-in
default: a 10,000-consumer Holme-Kim follower graph with weighted-cascade
probabilities, three seed plans chosen by simple rules, each estimated to 1%
precision.

Examples (shell)::

    viralsim                                          # the built-in default
    viralsim graph=barabasi_albert graph.n_nodes=50000
    viralsim experiment=compare experiment.k=[1,5,10]
    viralsim -m probabilities=uniform probabilities.p=0.01,0.02,0.05   # a sweep
    viralsim -m hydra/launcher=joblib ...             # parallel sweep (extra: joblib)

A ``configs/`` folder in the current directory (study presets) is added to
the search path, so ``viralsim +preset=mystudy`` finds ``configs/preset/mystudy.yaml``.
"""

import logging
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import MISSING, DictConfig, OmegaConf, open_dict

from . import report
from . import results as res

__all__ = ["main", "run", "SweepCallback", "register_configs"]

log = logging.getLogger("viralsim")


# ---------------------------------------------------------------------- schemas
# Each group option's YAML lists its schema first in its defaults list, so a
# wrong type (graph.n_nodes=ten) is an error at composition time, and a value
# left at ??? is an error naming it when the run reads it.
@dataclass
class HolmeKimConf:
    _target_: str = "viralsim.generators.holme_kim"
    n_nodes: int = 10_000
    m: int = 4
    p_triangle: float = 0.3
    rng: int | None = None


@dataclass
class BarabasiAlbertConf:
    _target_: str = "viralsim.generators.barabasi_albert"
    n_nodes: int = 10_000
    m: int = 5
    rng: int | None = None


@dataclass
class WattsStrogatzConf:
    _target_: str = "viralsim.generators.watts_strogatz"
    n_nodes: int = 10_000
    k: int = 10
    p_rewire: float = 0.1
    rng: int | None = None


@dataclass
class ErdosRenyiConf:
    _target_: str = "viralsim.generators.erdos_renyi"
    n_nodes: int = 10_000
    p_edge: float = 0.001
    directed: bool = True
    rng: int | None = None


@dataclass
class ScaleFreeConf:
    _target_: str = "viralsim.generators.scale_free"
    n_nodes: int = 10_000
    alpha: float = 0.41
    beta: float = 0.54
    gamma: float = 0.05
    delta_in: float = 0.2
    delta_out: float = 0.0
    rng: int | None = None


@dataclass
class StochasticBlockConf:
    _target_: str = "viralsim.generators.stochastic_block"
    sizes: list = field(default_factory=lambda: [2500, 2500, 2500, 2500])
    p_in: float = 0.004
    p_out: float = 0.0002
    directed: bool = True
    rng: int | None = None


@dataclass
class EdgeListConf:
    _target_: str = "viralsim.io.read_edgelist"
    path: str = MISSING
    directed: bool = True
    probs: Any = "auto"
    header: bool = False
    reverse: bool = False


@dataclass
class DatasetConf:
    _target_: str = "viralsim.datasets.load"
    name: str = MISSING
    path: str | None = None
    data_home: str | None = None
    download: bool = True


@dataclass
class FollowerCsvConf:
    _target_: str = "viralsim.io.read_follower_csv"
    path: str = MISSING
    source: str = "source"
    target: str = "target"
    probability: str | None = None
    consumers: str | None = None
    id_column: str = "id"
    directed: bool = True


@dataclass
class ProbabilitiesConf:
    scheme: str = "weighted_cascade"
    p: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass
class PlanConf:
    name: str | None = None
    seeds: list | None = None
    strategy: str | None = None
    k: int | None = None


@dataclass
class CostConf:
    base: float = 1.0
    per_follower: float = 0.0
    exponent: float = 1.0
    attr: str | None = None


@dataclass
class EstimateConf:
    name: str = "estimate"
    plans: list = field(default_factory=list)
    k: int | None = None
    n_sims: int | None = None
    precision: float | None = None
    size_distribution: bool = True


@dataclass
class CompareConf:
    name: str = "compare"
    strategies: list = MISSING
    k: Any = None  # a list of seed counts (one number is read as a list of one)
    budgets: Any = None  # or a list of budgets (likewise)
    baseline: str | None = None
    costs: CostConf = field(default_factory=CostConf)
    n_sims: int | None = 2_000


@dataclass
class CampaignConf:
    name: str = "campaign"
    plans: list = MISSING
    budgets: Any = field(default_factory=list)  # one number is read as a list of one
    costs: CostConf = field(default_factory=CostConf)
    target_segment: int | None = None  # adds segment_reach: adopters in this segment
    segment_attr: str = "segment"
    n_sims: int | None = 10_000


@dataclass
class AxisConf:
    key: str | None = None  # a dotted config key, e.g. probabilities.p
    values: list | None = None


@dataclass
class SensitivityConf:
    name: str = "sensitivity"
    x: AxisConf = field(default_factory=AxisConf)
    y: AxisConf = field(default_factory=AxisConf)  # optional second axis
    plans: list = field(default_factory=list)
    n_sims: int | None = 2_000


@dataclass
class ScalingConf:
    name: str = "scaling"
    sizes: list = MISSING
    size_key: str = "n_nodes"
    plans: list = field(default_factory=list)
    n_sims: int | None = 1_000


@dataclass
class SerialBackendConf:
    name: str = "serial"
    batch_size: int | None = None
    progress: bool | None = None  # None: a tqdm bar only when stderr is a terminal


@dataclass
class RayBackendConf:
    name: str = "ray"
    address: str | None = None
    num_cpus: int | None = None
    batch_size: int = 20_000
    init_timeout_s: float = 30.0
    progress: bool | None = None


@dataclass
class ViralsimConf:
    """Top-level schema: the keys every run has."""

    rng_seed: int = 0
    n_sims: int | None = None
    precision: float | None = 0.01
    max_sims: int = 1_000_000
    confidence: float = 0.95
    max_rounds: int | None = None
    exposure: bool = True
    formats: list = field(default_factory=lambda: ["png", "svg"])
    resume: bool = True
    graph: Any = MISSING
    probabilities: Any = None
    model: Any = None
    strategy: Any = None
    experiment: Any = MISSING
    backend: Any = None


SCHEMAS = {
    "graph": {
        "holme_kim": HolmeKimConf,
        "barabasi_albert": BarabasiAlbertConf,
        "watts_strogatz": WattsStrogatzConf,
        "erdos_renyi": ErdosRenyiConf,
        "scale_free": ScaleFreeConf,
        "stochastic_block": StochasticBlockConf,
        "edgelist": EdgeListConf,
        "dataset": DatasetConf,
        "follower_csv": FollowerCsvConf,
    },
    "probabilities": {"probabilities": ProbabilitiesConf},
    "experiment": {
        "estimate": EstimateConf,
        "compare": CompareConf,
        "campaign": CampaignConf,
        "sensitivity": SensitivityConf,
        "scaling": ScalingConf,
    },
    "backend": {"serial": SerialBackendConf, "ray": RayBackendConf},
}


def register_configs():
    """Put the schemas in Hydra's ConfigStore (group ``schema/<group>``)."""
    cs = ConfigStore.instance()
    cs.store(name="viralsim_schema", node=ViralsimConf)
    for group, items in SCHEMAS.items():
        for name, node in items.items():
            cs.store(group=f"schema/{group}", name=name, node=node)


register_configs()


# ---------------------------------------------------------------------- the run
def _plain(cfg):
    if isinstance(cfg, DictConfig):
        return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    return cfg


def run(cfg, out_dir=".", *, keys=None, quiet=False):
    """Run the experiment of a composed config into ``out_dir``; a plain function.

    ``cfg`` is a DictConfig (from Hydra or :func:`hydra.compose`) or a plain
    dict. Writes ``config.yaml`` and ``meta.json`` first, then the experiment's
    table, figures and report, and the ``DONE`` marker last. With
    ``cfg.resume`` (default) a directory that already holds a finished run of
    the same config is left as it is and ``None`` is returned.
    """
    plain = _plain(cfg)
    os.makedirs(out_dir, exist_ok=True)
    # the run is identified by its config and the input files it names (size, mtime)
    ident = dict(plain, _input_files=res.input_fingerprints(plain))
    if plain.get("resume", True) and res.is_done(out_dir, ident):
        log.info("already done, skipped: %s", out_dir)
        return None
    # an earlier run's marker must not outlive its results, nor its files this run's
    res.clear_previous(out_dir)
    res.write_text(os.path.join(out_dir, "config.yaml"), OmegaConf.to_yaml(OmegaConf.create(plain)))
    res.write_meta(out_dir, ident, keys=keys or {})
    from . import experiments  # here, not at import: a launcher process needs no kernels

    outcome = experiments.run_experiment(plain, out_dir, keys=keys)
    if not quiet:
        print(report.format_table(outcome.display_rows(), label=outcome.label), flush=True)
        print(f"\nresults, figures and report.md in {os.path.abspath(out_dir)}", flush=True)
    res.mark_done(out_dir, ident, [os.path.relpath(f, out_dir) for f in outcome.files])
    return outcome


def _overrides_as_keys(overrides):
    keys = {}
    for o in overrides:
        if "=" not in o or o.startswith(("hydra", "+hydra", "~")):
            continue
        k, v = o.split("=", 1)
        keys[k.lstrip("+")] = res._parse(v)
    return keys


def _share_cores(hc):
    """Under the joblib launcher, give each of its parallel jobs cores // n_jobs Numba threads
    (n_jobs processes with all threads each would oversubscribe the machine)."""
    if hc.runtime.choices.get("hydra/launcher") != "joblib":
        return None
    import numba

    n_jobs = int(OmegaConf.select(hc, "launcher.n_jobs", default=-1) or -1)
    cores = os.cpu_count() or 1
    n_jobs = cores if n_jobs < 1 else n_jobs
    threads = max(1, min(cores // n_jobs, numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(threads)
    return threads


def _no_collection_at_exit():
    """Spare this process the interpreter's garbage collections at exit.

    A finished run holds Hydra, Numba, NetworkX and matplotlib: at exit, CPython
    collects garbage over all of their objects, 0.2-0.3 s of a 3 s run. Freezing
    them (``gc.freeze``) from an ``atexit`` handler skips that. Handlers run
    last-registered first: those registered later (loky's, Ray's) run before
    the freeze, those registered earlier (logging's flush) after it; none needs
    a collection, and viralsim closes its files itself. Registered once per
    process, by the command line and by each job (launchers run jobs in
    worker processes).
    """
    global _EXIT_FREEZE
    if not _EXIT_FREEZE:
        import atexit
        import gc

        atexit.register(gc.freeze)  # LIFO: runs after the handlers registered before it
        _EXIT_FREEZE = True


_EXIT_FREEZE = False


def _warnings_to_log():
    """Show viralsim's own warnings (self-loops dropped, duplicate ties merged, ...)
    as log lines, like every other message of a run (console and viralsim.log),
    not as Python's ``file:line: ViralsimWarning`` with a line of source code."""
    import warnings

    from .exceptions import ViralsimWarning

    show = warnings.showwarning
    if getattr(show, "_viralsim", False):
        return

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ViralsimWarning):
            log.warning("%s", message)
        else:
            show(message, category, filename, lineno, file, line)

    showwarning._viralsim = True
    warnings.showwarning = showwarning


def _task(cfg: DictConfig):
    hc = HydraConfig.get()
    from hydra.types import RunMode

    _no_collection_at_exit()
    _warnings_to_log()
    _share_cores(hc)

    out = hc.runtime.output_dir
    cfg = _worlds_from_command_line(cfg, list(hc.overrides.task))
    if hc.mode == RunMode.MULTIRUN:
        # a failed job is recorded and the sweep goes on: the others still run and are
        # merged, and the sweep exits with 1 at the end (SweepCallback.on_multirun_end).
        # A job returns nothing to its launcher: its results are on disk, where the merge
        # reads them, so the launcher neither holds every job's rows in memory nor sends
        # them between processes (joblib's workers waited on a full pipe to send them)
        try:
            run(cfg, out, keys=_overrides_as_keys(hc.overrides.task))
            return None
        except Exception as exc:
            if _interrupted(exc):
                raise KeyboardInterrupt from exc  # Ctrl-C stops the sweep: not a failed job
            msg = _message(exc)
            res.clear_done(out)  # however early it failed, an older DONE must not stay
            res.mark_failed(out, msg)
            if not _is_user_error(exc) or os.environ.get("HYDRA_FULL_ERROR") == "1":
                log.exception("job %s failed", hc.job.num)
            else:
                _log_to_files(f"Error: {msg}", exc)
                print(f"Error (job {hc.job.num}): {msg}", file=sys.stderr)
            return None
    try:
        return run(cfg, out)
    except Exception as exc:
        if _interrupted(exc):
            raise KeyboardInterrupt from exc
        if not _is_user_error(exc) or os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        msg = _message(exc)
        _log_to_files(f"Error: {msg}", exc)  # the traceback stays in the run's log file
        print(f"Error: {msg}\n(set HYDRA_FULL_ERROR=1 for the traceback)", file=sys.stderr)
        raise SystemExit(1) from None


def _interrupted(exc):
    """Whether a Ctrl-C lies behind ``exc``: one that lands while a compiled module
    initialises (matplotlib's ``ft2font``, say) reaches Python as an ImportError
    raised from the KeyboardInterrupt."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _worlds_from_command_line(cfg, overrides):
    """``n_sims=`` given on the command line sets the worlds of any experiment: it
    overrides the experiment's own ``experiment.n_sims`` default unless that is on
    the command line too (the more specific key wins)."""
    keys = {o.split("=", 1)[0].lstrip("+~") for o in overrides if "=" in o}
    if ("n_sims" in keys and "experiment.n_sims" not in keys and cfg.get("n_sims") is not None
            and "n_sims" in (cfg.get("experiment") or {})):
        cfg = cfg.copy()
        with open_dict(cfg):
            cfg.experiment.n_sims = cfg.n_sims
    return cfg


def _message(exc):
    # str(KeyError) quotes its message: show the message as written
    return exc.args[0] if isinstance(exc, KeyError) and len(exc.args) == 1 else str(exc)


def _log_to_files(msg, exc):
    """Log ``msg`` with ``exc``'s traceback to the file handlers only (not the console)."""
    root = logging.getLogger()
    rec = log.makeRecord(log.name, logging.ERROR, __file__, 0, msg, None,
                         (type(exc), exc, exc.__traceback__))
    for h in root.handlers:
        if isinstance(h, logging.FileHandler):
            h.handle(rec)


def _is_user_error(exc):
    """Whether ``exc`` is viralsim's answer to bad input, whose message names the
    problem and the fix (a one-line error on the command line), not a bug (a
    traceback): a :class:`ViralsimError`, a config value left unset, or a
    ValueError, TypeError, LookupError or OSError raised by viralsim's own code."""
    from omegaconf.errors import MissingMandatoryValue

    from .exceptions import ViralsimError

    if isinstance(exc, (ViralsimError, MissingMandatoryValue)):
        return True
    if not isinstance(exc, (ValueError, TypeError, LookupError, OSError)):
        return False
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_globals.get("__name__", "").startswith("viralsim.")


class SweepCallback(Callback):
    """Merge a multirun's job tables into one, with figures and a report.

    Runs in the process that launched the sweep, after every job finished
    (whatever the launcher: jobs leave their tables on disk, which must be a
    shared file system for remote launchers).
    """

    _bar = None
    _watch = None
    _workers = None

    def __getstate__(self):
        # launchers send the callbacks to their workers with each job: the bar, its
        # watcher and the thread starting joblib's workers belong to this process and
        # do not travel (they cannot be pickled)
        return {k: v for k, v in self.__dict__.items()
                if k not in ("_bar", "_watch", "_workers")}

    def on_multirun_start(self, config, **kwargs):
        from .distributed.serial import progress_enabled

        total = _sweep_jobs(config)
        parallel = _joblib_parallel_kwargs(config)
        if parallel is not None:
            try:  # as many prepared workers as jobs, when they are known
                self._workers = _WorkerStart(parallel, n_tasks=total or None)
            except Exception as exc:  # the launcher starts its workers itself
                log.debug("joblib workers not started early: %s", exc)
        if not (progress_enabled(None) and total):
            return
        from tqdm.auto import tqdm

        self._bar = tqdm(total=total, unit="job", desc="sweep", position=1, leave=True)
        target = str(OmegaConf.select(config, "hydra.launcher._target_", default="") or "")
        if not target.endswith(".BasicLauncher"):
            # the jobs run in other processes (which call on_job_end there): the bar
            # follows their markers on disk instead
            self._watch = _JobWatcher(config.hydra.sweep.dir, self._bar)

    def on_job_end(self, config, job_return=None, **kwargs):
        # called in the launching process for in-process launchers (basic); other
        # launchers call it in their workers, where no bar was opened
        if self._bar is not None and self._watch is None:
            self._bar.update(1)

    def on_multirun_end(self, config, **kwargs):
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        sweep_dir = config.hydra.sweep.dir
        if os.path.isdir(sweep_dir):
            n_jobs = _sweep_jobs(config)
            in_workers = self._workers is not None
            if in_workers:
                self._workers.join()
                self._workers = None
            try:
                rows, missing = _finish_sweep(sweep_dir, n_jobs, in_workers)
            except Exception as exc:
                # Hydra would turn a callback's error into a warning and exit with 0
                full = os.environ.get("HYDRA_FULL_ERROR") == "1"
                if full:
                    import traceback

                    traceback.print_exc()
                print(f"Error: the sweep's jobs could not be merged: {_message(exc)}\n(the "
                      f"jobs' own results are in {os.path.abspath(sweep_dir)}"
                      f"{'' if full else '; set HYDRA_FULL_ERROR=1 for the traceback'})",
                      file=sys.stderr)
                raise SystemExit(1) from None
            log.info("merged %d rows from %s (%d unfinished)", len(rows), sweep_dir, len(missing))
            print(f"sweep table: {os.path.join(os.path.abspath(sweep_dir), 'results.csv')}",
                  flush=True)
            failed = {j: res.failure(os.path.join(sweep_dir, j)) for j in missing}
            failed = {j: e for j, e in failed.items() if e is not None}
            if failed:
                for j, e in failed.items():
                    print(f"job {j} failed: {e}", file=sys.stderr)
                print(f"{len(failed)} of the sweep's jobs failed (the others are merged); fix "
                      "and re-run the same command to run them again.", file=sys.stderr)
                raise SystemExit(1)  # not an Exception: Hydra's callback guard lets it through


# ------------------------------------------------------------- joblib launcher
# Hydra's joblib launcher starts its worker processes (loky) only once this
# process has composed and checked every job's config, and each worker then
# imports NumPy, Numba, NetworkX and matplotlib before its first job; at the end
# this process imports matplotlib to draw the sweep's figure. The sweep callback
# starts the same workers as the sweep starts, importing what a job needs while
# the configs are checked, and finishes the sweep in one of them. Nothing a job
# computes changes: the workers are the launcher's own (joblib reuses a pool
# started with the same arguments).
_JOB_MODULES = ("viralsim.experiments", "viralsim.generators", "viralsim.strategies",
                "matplotlib.figure", "matplotlib.backends.backend_agg",
                "matplotlib.backends.backend_svg", "pyarrow.parquet")


def _joblib_parallel_kwargs(config):
    """The ``joblib.Parallel`` arguments Hydra's joblib launcher will build from
    ``config`` (as its ``_core.launch`` does), or None where another launcher runs
    the sweep, the plugin is not installed, or the jobs run one at a time."""
    target = str(OmegaConf.select(config, "hydra.launcher._target_", default="") or "")
    if not target.startswith("hydra_plugins.hydra_joblib_launcher."):
        return None
    try:
        import joblib
        from hydra_plugins.hydra_joblib_launcher._core import process_joblib_cfg
    except ImportError:
        return None
    kwargs = OmegaConf.to_container(config.hydra.launcher, resolve=True)
    kwargs.pop("_target_", None)
    kwargs["backend"] = "loky"  # the launcher's own choice, whatever the config says
    process_joblib_cfg(kwargs)
    if joblib.effective_n_jobs(kwargs.get("n_jobs", -1)) < 2:
        return None  # joblib runs the jobs in this process
    return kwargs


def _prepare_worker():
    """Import the modules a job needs and freeze them out of garbage collection
    (without psutil, loky collects garbage in a worker after a task at most once a
    second). Never raises: a module that fails to import fails the job that needs
    it, with that job's own error. Returns the pid."""
    import gc
    import importlib

    for name in _JOB_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # pyarrow is optional; a job reports any other failure itself
            pass
    gc.freeze()
    return os.getpid()


class _WorkerStart:
    """Start joblib's workers with the launcher's arguments and have ``n_tasks`` of
    them (the sweep's jobs, when fewer than the workers) run :func:`_prepare_worker`.

    The pool is created here, before Hydra's ``Parallel`` asks for one, and every
    preparing task is submitted at once (``pre_dispatch="all"``): should joblib
    ever replace the pool (other arguments), no callback of ours waits on the lock
    it holds meanwhile. The tasks run in a thread (``Parallel`` blocks). Neither
    ``pre_dispatch`` nor a ``verbose`` up to 50 is part of the pool's arguments;
    ``verbose=0`` keeps joblib's progress lines to the jobs themselves.
    """

    def __init__(self, parallel_kwargs, n_tasks=None):
        import threading

        import joblib

        self.pids = []
        n = joblib.effective_n_jobs(parallel_kwargs.get("n_jobs", -1))
        self.n_tasks = n if n_tasks is None else max(1, min(n, n_tasks))
        verbose = parallel_kwargs.get("verbose") or 0
        kwargs = dict(parallel_kwargs, pre_dispatch="all", batch_size=1,
                      verbose=0 if verbose <= 50 else verbose)
        self._parallel = joblib.Parallel(**kwargs)
        self._parallel.__enter__()  # the pool, with no worker process yet
        self._thread = threading.Thread(target=self._start, name="viralsim-joblib-start",
                                        daemon=True)
        self._thread.start()

    def _start(self):
        import joblib

        try:
            self.pids = self._parallel(
                joblib.delayed(_prepare_worker)() for _ in range(self.n_tasks))
        except BaseException as exc:  # Ctrl-C, or a pool replaced: the launcher starts its own
            log.debug("joblib workers not prepared early: %s", exc)
        finally:
            self._parallel.__exit__(None, None, None)

    def join(self, timeout=30.0):
        self._thread.join(timeout)
        return self.pids


def _live_loky_pool():
    """loky's reusable pool of workers (joblib's), when it is still up; else None."""
    try:
        from joblib.externals.loky import reusable_executor
    except ImportError:
        return None
    pool = getattr(reusable_executor, "_executor", None)
    flags = getattr(pool, "_flags", None)
    if pool is None or flags is None or flags.broken or flags.shutdown:
        return None
    return pool


def _finish_sweep(sweep_dir, n_jobs, in_workers=False):
    """:func:`report.finish_sweep`, run by one of joblib's workers when
    ``in_workers`` and they are still up (they hold NumPy and matplotlib: this
    process would import them, 0.3-0.5 s), else here. The worker's log records are
    handled here. An error of the merge itself is raised as if it ran here."""
    pool = _live_loky_pool() if in_workers else None
    if pool is not None:
        from concurrent.futures import BrokenExecutor

        from joblib.externals.loky.process_executor import ShutdownExecutorError

        try:
            done = pool.submit(_finish_sweep_in_worker, os.path.abspath(sweep_dir), n_jobs)
            rows, missing, records = done.result()
        except (BrokenExecutor, ShutdownExecutorError) as exc:  # a worker died; pool shut down
            log.debug("sweep not finished in a joblib worker: %s", exc)
        except Exception as exc:  # the merge's own error: what it logged first, then the error
            _handle_records(getattr(exc, "_viralsim_log", ()))
            raise
        else:
            _handle_records(records)
            return rows, missing
    return report.finish_sweep(sweep_dir, n_jobs=n_jobs)


def _handle_records(records):
    for r in records:
        logger = logging.getLogger(r.name)
        if logger.isEnabledFor(r.levelno):  # this process's levels decide
            logger.handle(r)


class _KeepRecords(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        # sent to another process: the message formatted, the traceback as text
        r = logging.makeLogRecord(record.__dict__)
        r.msg, r.args = record.getMessage(), None
        if record.exc_info:
            r.exc_text = logging.Formatter().formatException(record.exc_info)
        r.exc_info = None
        self.records.append(r)


def _finish_sweep_in_worker(sweep_dir, n_jobs):
    """:func:`report.finish_sweep` in a joblib worker, with its log records kept
    for the launching process (Hydra left this worker's root logger writing to
    the last job's log file)."""
    keep = _KeepRecords()
    root = logging.getLogger()
    handlers, root.handlers = root.handlers[:], [keep]
    try:
        rows, missing = report.finish_sweep(sweep_dir, n_jobs=n_jobs)
    except BaseException as exc:
        exc._viralsim_log = keep.records  # travels with the exception (its __dict__)
        raise
    finally:
        root.handlers = handlers
    return rows, missing, keep.records


class _JobWatcher:
    """Move a sweep's bar as its jobs finish in other processes (parallel or remote
    launchers), from the markers they leave: a job is counted once it started in
    this sweep (Hydra wrote its ``.hydra/config.yaml``) and holds ``DONE`` or
    ``FAILED`` (a job skipped as already done keeps its older ``DONE``)."""

    def __init__(self, sweep_dir, bar, interval=0.5):
        import threading
        import time

        self.sweep_dir, self.bar, self.interval = str(sweep_dir), bar, interval
        self.since = time.time() - 1.0  # file times can be coarser than the clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="viralsim-sweep-bar",
                                        daemon=True)
        self._thread.start()

    def finished(self):
        n = 0
        for job in (os.path.join(self.sweep_dir, j) for j in res.job_dirs(self.sweep_dir)):
            try:
                started = max(os.path.getmtime(os.path.join(job, f))
                              for f in (os.path.join(".hydra", "config.yaml"), "config.yaml")
                              if os.path.exists(os.path.join(job, f)))
            except (OSError, ValueError):  # not started (no file yet)
                continue
            if started >= self.since and any(os.path.exists(os.path.join(job, m))
                                             for m in (res.DONE, res.FAILED)):
                n += 1
        return n

    def _advance(self):
        n = min(self.finished(), self.bar.total)
        if n > self.bar.n:
            self.bar.update(n - self.bar.n)

    def _follow(self):
        while not self._stop.wait(self.interval):
            self._advance()

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._advance()


_BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def _sweep_jobs(config):
    """The sweep's number of jobs, as Hydra's basic sweeper makes them: every
    combination of ``hydra.sweeper.params`` and the command line's overrides (a
    key given in both takes the command line's value). None when that is not
    known beforehand: another sweeper (Optuna's, say, runs its own number of
    trials), or a sweep only the config loader can expand (``glob``)."""
    if OmegaConf.select(config, "hydra.sweeper._target_", default=None) != _BASIC_SWEEPER:
        return None
    params = OmegaConf.select(config, "hydra.sweeper.params", default=None) or {}
    return _count_jobs([*(f"{k}={v}" for k, v in params.items()),
                        *config.hydra.overrides.task])


def _count_jobs(overrides):
    """The jobs the basic sweeper makes of these overrides (the last value of a key
    wins); None when one is not a list of values it can expand alone."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
        sizes = {}
        for o in parsed:
            if o.is_sweep_override():
                if not o.is_discrete_sweep():
                    return None
                sizes[o.get_key_element()] = len(list(o.sweep_string_iterator()))
            else:
                sizes[o.get_key_element()] = 1
    except Exception:
        return None
    return math.prod(sizes.values())


_hydra_entry = hydra.main(version_base="1.3", config_path="conf", config_name="config")(_task)


def _with_searchpath(argv, cwd=None):
    """Add ``./configs`` to Hydra's search path when it exists and none was given."""
    d = os.path.join(cwd or os.getcwd(), "configs")
    if os.path.isdir(d) and not any(a.lstrip("+").startswith("hydra.searchpath") for a in argv):
        return [*argv, f"hydra.searchpath=['file://{os.path.abspath(d)}']"]
    return list(argv)


def main():
    """Console entry point (``viralsim``, ``python -m viralsim``)."""
    sys.argv = [sys.argv[0], *_with_searchpath(sys.argv[1:])]
    _no_collection_at_exit()
    try:
        _hydra_entry()
    except KeyboardInterrupt:
        # no traceback for Ctrl-C: a job without its DONE marker is not finished
        print("\nInterrupted. Finished runs keep their DONE marker; run the same command "
              "again to resume (finished jobs are skipped).", file=sys.stderr)
        _exit_interrupted()


def _exit_interrupted(status=130):
    """End the process after a Ctrl-C with ``status``, once the exit handlers have run
    (logging's flush, loky's and Ray's shutdown), without the interpreter's teardown
    of its modules. That teardown is where two things went wrong, each in a few
    percent of Ctrl-Cs landing in a job's start-up:

    * a compiled module whose initialisation the Ctrl-C cut short (matplotlib's
      ``ft2font``) crashed the interpreter as it was torn down ("Fatal Python
      error: PyThreadState_Get", SIGABRT);
    * under ``python -m``, CPython ends the process by SIGINT instead of with its
      status whenever the Ctrl-C had landed in code run by ``exec`` of a string (a
      dataclass being created), even once caught.
    """
    import atexit
    import threading

    # what Py_FinalizeEx does first: join the threads (and their executors'
    # shutdown hooks), then the exit handlers
    join_threads = getattr(threading, "_shutdown", None)
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if join_threads is None or run_exit_handlers is None:  # not CPython: its own exit
        raise SystemExit(status)
    try:
        join_threads()
        run_exit_handlers()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(status)


if __name__ == "__main__":
    main()
