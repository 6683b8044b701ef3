"""Sweeps (``viralsim -m ...``): the callback that merges the jobs, their count, their bar."""

import logging
import math
import os
import sys

from hydra.experimental.callback import Callback
from omegaconf import OmegaConf

from .. import results as res
from ._errors import _message
from .launcher import _finish_sweep, _joblib_parallel_kwargs, _watch_loky_workers, _WorkerStart

__all__ = ["SweepCallback"]

log = logging.getLogger("viralsim")


class SweepCallback(Callback):
    """Merge a multirun's job tables into one, with figures and a report.

    Runs in the process that launched the sweep, after every job finished
    (whatever the launcher: jobs leave their tables on disk, which must be a
    shared file system for remote launchers). Named in ``conf/config.yaml``
    (``hydra.callbacks.merge_sweep``); also draws the sweep's progress bar
    and, under the joblib launcher, starts its workers early
    (:mod:`viralsim.app.launcher`).

    Raises
    ------
    SystemExit
        With status 1 from :meth:`on_multirun_end` when the merge fails or a
        job failed (the others are merged).

    Examples
    --------
    >>> from viralsim.app import SweepCallback
    >>> cb = SweepCallback()
    >>> cb.on_job_end(None)  # no bar outside a sweep: nothing to move
    """

    _bar = None
    _watch = None
    _workers = None
    _sweep_lock = None

    def __getstate__(self):
        # launchers send the callbacks to their workers with each job: the bar, its
        # watcher and the thread starting joblib's workers belong to this process and
        # do not travel (they cannot be pickled)
        return {k: v for k, v in self.__dict__.items()
                if k not in ("_bar", "_watch", "_workers", "_sweep_lock")}

    def on_multirun_start(self, config, **kwargs):
        """Start joblib's workers (joblib launcher) and the sweep's bar (on a terminal).

        Parameters
        ----------
        config : DictConfig
            The sweep's config, ``hydra`` node included.
        """
        from ..distributed.serial import progress_enabled

        try:  # one sweep per directory at a time: a second is refused before any job runs
            self._sweep_lock = res.acquire_lock(config.hydra.sweep.dir, "sweep")
        except res.DirectoryLocked as exc:
            # Hydra would turn a callback's error into a warning and run the jobs anyway
            print(f"Error: {exc}", file=sys.stderr)
            raise SystemExit(1) from None
        total = _sweep_jobs(config)
        parallel = _joblib_parallel_kwargs(config)
        if parallel is not None:
            _watch_loky_workers()  # each worker ends with this process from its start
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
        """Move the bar by one job (in-process launchers).

        Parameters
        ----------
        config : DictConfig
            The job's config.
        job_return : hydra.core.utils.JobReturn, optional
        """
        # called in the launching process for in-process launchers (basic); other
        # launchers call it in their workers, where no bar was opened
        if self._bar is not None and self._watch is None:
            self._bar.update(1)

    def on_multirun_end(self, config, **kwargs):
        """Merge the finished jobs into the sweep directory; exit 1 when any failed.

        Parameters
        ----------
        config : DictConfig
            The sweep's config (``hydra.sweep.dir`` is merged).

        Raises
        ------
        SystemExit
            Status 1: the merge failed, or a job did (its error is printed).
        """
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        try:
            self._merge(config)
        finally:
            if self._sweep_lock is not None:
                self._sweep_lock()
                self._sweep_lock = None

    def _merge(self, config):
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
            # a job of this sweep with neither marker did not finish: another process held
            # its directory (an orphaned worker of a killed launcher, a run into it), so the
            # job was refused before it could write FAILED there
            ours = {str(i) for i in range(n_jobs or 0)}
            unfinished = [j for j in missing if j in ours and j not in failed]
            if failed or unfinished:
                for j, e in failed.items():
                    print(f"job {j} failed: {e}", file=sys.stderr)
                for j in unfinished:
                    print(f"job {j} did not finish: it left neither DONE nor FAILED (its "
                          "directory was in use by another process)", file=sys.stderr)
                print(f"{len(failed) + len(unfinished)} of the sweep's jobs failed or did not "
                      "finish (the others are merged); fix and re-run the same command to run "
                      "them again.", file=sys.stderr)
                raise SystemExit(1)  # not an Exception: Hydra's callback guard lets it through


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


# PRIVATE (Hydra): the basic sweeper's class path, as hydra/sweeper/basic sets it; a
# sweeper named otherwise counts as one whose jobs are not known beforehand
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
