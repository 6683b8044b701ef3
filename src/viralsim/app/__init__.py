"""The ``viralsim`` command line (Hydra application). The only module that imports Hydra.

``viralsim`` (or ``python -m viralsim``) composes the config tree shipped in
``viralsim/conf`` (groups ``graph``, ``probabilities``, ``model``,
``strategy``, ``experiment``, ``backend``), validates it against the
structured-config schemas (:mod:`viralsim.app.schemas`), and calls :func:`run`, a plain
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

The package, the only importer of Hydra, mirrors what a command does:

* this module: the entry point (:func:`main`), the run (:func:`run`) and how a
  job's errors are routed (a one-line message, a failed sweep job);
* :mod:`~viralsim.app.schemas`: the config schemas, registered with Hydra;
* :mod:`~viralsim.app.sweeps`: the callback that merges a sweep's jobs;
* :mod:`~viralsim.app.launcher`: Hydra's joblib launcher, its workers started early;
* :mod:`~viralsim.app._exit`: how the process ends (the private APIs it touches).
"""

import contextlib
import logging
import os
import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf, open_dict

from .. import report
from .. import results as res
from . import _exit
from ._errors import _interrupted, _is_user_error, _log_to_files, _message
from ._exit import _exit_interrupted, _no_collection_at_exit
from .launcher import (
    _JOB_MODULES,
    _exit_with_parent,
    _finish_sweep,
    _finish_sweep_in_worker,
    _handle_records,
    _joblib_parallel_kwargs,
    _KeepRecords,
    _live_loky_pool,
    _prepare_worker,
    _WorkerStart,
)
from .schemas import (
    SCHEMAS,
    AxisConf,
    BarabasiAlbertConf,
    CampaignConf,
    CompareConf,
    CostConf,
    DatasetConf,
    EdgeListConf,
    ErdosRenyiConf,
    EstimateConf,
    FollowerCsvConf,
    HolmeKimConf,
    PlanConf,
    ProbabilitiesConf,
    RayBackendConf,
    ScaleFreeConf,
    ScalingConf,
    SensitivityConf,
    SerialBackendConf,
    StochasticBlockConf,
    ViralsimConf,
    WattsStrogatzConf,
    register_configs,
)
from .sweeps import _BASIC_SWEEPER, SweepCallback, _count_jobs, _JobWatcher, _sweep_jobs

__all__ = ["main", "run", "SweepCallback", "register_configs"]

log = logging.getLogger("viralsim")

# the names this module had before it became a package (private ones included)
_ = (report, _exit, _interrupted, _is_user_error, _log_to_files, _message, _exit_interrupted,
     _JOB_MODULES, _finish_sweep, _finish_sweep_in_worker, _handle_records,
     _joblib_parallel_kwargs, _KeepRecords, _live_loky_pool, _prepare_worker, _WorkerStart,
     SCHEMAS, AxisConf, BarabasiAlbertConf, CampaignConf, CompareConf, CostConf, DatasetConf,
     EdgeListConf, ErdosRenyiConf, EstimateConf, FollowerCsvConf, HolmeKimConf, PlanConf,
     ProbabilitiesConf, RayBackendConf, ScaleFreeConf, ScalingConf, SensitivityConf,
     SerialBackendConf, StochasticBlockConf, ViralsimConf, WattsStrogatzConf, _BASIC_SWEEPER,
     _count_jobs, _JobWatcher, _sweep_jobs)

register_configs()


def _plain(cfg):
    if isinstance(cfg, DictConfig):
        return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    return cfg


def run(cfg, out_dir=".", *, keys=None, quiet=False):
    """Run the experiment of a composed config into ``out_dir``; a plain function.

    Writes ``config.yaml`` and ``meta.json`` first, then the experiment's
    table, figures and report, and the ``DONE`` marker last. With
    ``cfg.resume`` (default) a directory that already holds a finished run of
    the same config (and the same input files) is left as it is.

    Parameters
    ----------
    cfg : DictConfig or dict
        The composed config (from Hydra or :func:`hydra.compose`), or a plain dict.
    out_dir : str, default "."
        The run's directory (created when missing).
    keys : dict, optional
        Extra columns for every row (a sweep job's overrides).
    quiet : bool, default False
        Print no console table.

    Returns
    -------
    Outcome or None
        None when the run was already done (resume).

    Raises
    ------
    ValueError, KeyError, OSError, ViralsimError
        Bad input, with a message naming the fix (the command line prints it
        as one line); ``omegaconf.errors.MissingMandatoryValue`` for a value
        left at ``???``.

    Examples
    --------
    >>> import tempfile
    >>> from hydra import compose, initialize_config_module
    >>> from viralsim.app import run
    >>> with initialize_config_module("viralsim.conf", version_base="1.3"):
    ...     cfg = compose("config", overrides=["graph.n_nodes=100", "n_sims=50", "formats=[]"])
    >>> d = tempfile.mkdtemp()
    >>> [r["n_sims"] for r in run(cfg, d, quiet=True).rows]
    [50, 50, 50]
    >>> run(cfg, d, quiet=True) is None  # done already: skipped
    True
    """
    plain = _plain(cfg)
    os.makedirs(out_dir, exist_ok=True)
    # one writer per directory: a second run into it is refused (DirectoryLocked), so DONE,
    # config.yaml and the results beside them always come from the same run
    with res.lock_dir(out_dir, "run"):
        # the run is identified by its config and the input files it names (content hashes)
        ident = dict(plain, _input_files=res.input_fingerprints(plain))
        if plain.get("resume", True) and res.is_done(out_dir, ident):
            log.info("already done, skipped: %s", out_dir)
            return None
        # an earlier run's marker must not outlive its results, nor its files this run's
        res.clear_previous(out_dir)
        res.write_text(os.path.join(out_dir, "config.yaml"), OmegaConf.to_yaml(OmegaConf.create(plain)))
        res.write_meta(out_dir, ident, keys=keys or {})
        from .. import experiments  # here, not at import: a launcher process needs no kernels

        outcome = experiments.run_experiment(plain, out_dir, keys=keys)
        if not quiet:
            print(outcome.extra.get("console")
                  or report.format_table(outcome.display_rows(), label=outcome.label), flush=True)
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


def _warnings_to_log():
    """Show viralsim's own warnings (self-loops dropped, duplicate ties merged, ...)
    as log lines, like every other message of a run (console and viralsim.log),
    not as Python's ``file:line: ViralsimWarning`` with a line of source code."""
    import warnings

    from ..exceptions import ViralsimWarning

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


@contextlib.contextmanager
def _console_progress():
    """While a command-line job runs: say on stderr when the kernels compile (the
    first run on a machine), and report long estimates and selections every few
    seconds (stdout keeps the results alone). The previous listener is back after."""
    from .. import _progress

    _progress.compile_notice()
    old = _progress.set_default(_progress.Listener(
        report=lambda text: print(f"viralsim: {text}", file=sys.stderr, flush=True),
        every=5.0, after=5.0))
    try:
        yield
    finally:
        _progress.set_default(old)


def _task(cfg: DictConfig):
    with _console_progress():
        return _job(cfg)


def _job(cfg):
    hc = HydraConfig.get()
    from hydra.types import RunMode

    _no_collection_at_exit()
    _warnings_to_log()
    _share_cores(hc)

    out = hc.runtime.output_dir
    cfg = _worlds_from_command_line(cfg, list(hc.overrides.task))
    if hc.mode == RunMode.MULTIRUN:
        _exit_with_parent()  # a joblib worker ends with its launcher (a no-op elsewhere)
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


# the config tree ships in viralsim/conf (package data), found by module path however installed
_hydra_entry = hydra.main(version_base="1.3", config_path="pkg://viralsim.conf",
                          config_name="config")(_task)


def _with_searchpath(argv, cwd=None):
    """Add ``./configs`` to Hydra's search path when it exists and none was given."""
    d = os.path.join(cwd or os.getcwd(), "configs")
    if os.path.isdir(d) and not any(a.lstrip("+").startswith("hydra.searchpath") for a in argv):
        return [*argv, f"hydra.searchpath=['file://{os.path.abspath(d)}']"]
    return list(argv)


def main():
    """Console entry point (``viralsim``, ``python -m viralsim``): Hydra's, with
    ``./configs`` on the search path and Ctrl-C as a message and status 130.

    Reads its arguments from ``sys.argv`` (Hydra's overrides and flags).
    ``--help`` lists the groups and settings; a command line Hydra would
    reject with a long message (or run with a mistyped ``+group``) ends in
    one line naming the likely fix (:func:`viralsim.app._errors.check_command_line`).

    Returns
    -------
    None
        The process exits with 0 after a run, 1 after bad input or a failed
        sweep job, 130 after a Ctrl-C.

    Examples
    --------
    Shell::

        viralsim graph=barabasi_albert graph.n_nodes=50000 n_sims=2000
    """
    args = sys.argv[1:]
    if "--help" in args or "-h" in args:  # the groups a user chooses from, not Hydra's schemas
        from ._help import help_text

        print(help_text())
        return
    from ._errors import check_command_line

    problem = check_command_line(args)
    if problem is not None:  # one line naming the fix, not Hydra's message (or a wrong run)
        print(f"Error: {problem}", file=sys.stderr)
        raise SystemExit(1)
    sys.argv = [sys.argv[0], *_with_searchpath(args)]
    _no_collection_at_exit()
    try:
        _hydra_entry()
    except KeyboardInterrupt:
        # no traceback for Ctrl-C: a job without its DONE marker is not finished
        print("\nInterrupted. Finished runs keep their DONE marker; run the same command "
              "again to resume (finished jobs are skipped).", file=sys.stderr)
        _exit_interrupted()


def __getattr__(name):
    if name == "_EXIT_FREEZE":  # whether the exit freeze is registered (viralsim.app._exit)
        return _exit._EXIT_FREEZE
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
