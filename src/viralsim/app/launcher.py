"""Support for Hydra's joblib launcher: its workers started early, the sweep finished in one.

Hydra's joblib launcher starts its worker processes (loky) only once this
process has composed and checked every job's config, and each worker then
imports NumPy, Numba, NetworkX and matplotlib before its first job; at the end
this process imports matplotlib to draw the sweep's figure. The sweep callback
starts the same workers as the sweep starts, importing what a job needs while
the configs are checked, and finishes the sweep in one of them. Nothing a job
computes changes: the workers are the launcher's own (joblib reuses a pool
started with the same arguments).
"""

import logging
import os

from omegaconf import OmegaConf

from .. import report

log = logging.getLogger("viralsim")

#: what a job imports (viralsim.experiments itself is light: its runners import the
#: kernels, plots and models when they run, so those are named too)
_JOB_MODULES = ("viralsim.experiments", "viralsim.estimate", "viralsim.models",
                "viralsim.plots", "viralsim.generators", "viralsim.strategies",
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

        # PRIVATE (hydra-joblib-launcher): _core.process_joblib_cfg is how the launcher
        # turns its config into Parallel's arguments; without it, no early workers
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


_WATCHDOG = []


def _exit_with_parent(interval=0.5):
    """In a worker process (joblib's loky workers): a daemon thread that ends this
    process as soon as the process that started it is gone (it was reparented).

    Killing the launching process alone left its workers finishing jobs for
    minutes, writing into a sweep nobody would merge. Polling ``os.getppid()``
    is portable and, unlike ``PR_SET_PDEATHSIG``, does not fire when merely
    the thread that started the worker ends. A worker whose launcher was
    killed before this call (while the worker imported its first task) is
    already reparented: its ``os.getppid()`` is no longer the process
    multiprocessing recorded as its parent, and that process is gone, so it
    exits here (it idled for loky's 300 s before). Does nothing in a process
    that multiprocessing did not start (the command line itself: its parent
    is a shell), and starts one thread per process. Returns the thread or None.
    """
    import multiprocessing
    import threading
    import time

    if _WATCHDOG:
        return _WATCHDOG[0]
    started_by = multiprocessing.parent_process()
    if started_by is None:
        return None
    parent = os.getppid()
    # (a live recorded parent that is not the OS parent: a forkserver started this process)
    if started_by.pid not in (None, parent) and _gone(started_by.pid):
        os._exit(70)  # EX_SOFTWARE: no cleanup in a process whose sweep is gone

    def watch():
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(70)

    t = threading.Thread(target=watch, name="viralsim-exit-with-parent", daemon=True)
    t.start()
    _WATCHDOG.append(t)
    return t


def _worker_started():
    """The initializer of every loky worker of a sweep: the watchdog
    (:func:`_exit_with_parent`) from the worker's first moment, not from its first
    task (a launcher killed before it sent any left its workers idle for 300 s)."""
    _exit_with_parent()


def _watch_loky_workers():
    """Start this process's joblib ``loky`` workers with :func:`_worker_started`.

    Hydra's joblib launcher asks joblib for the backend by name (``"loky"``),
    so the name is registered again (joblib's public
    ``register_parallel_backend``) with a factory giving joblib's own
    LokyBackend that initializer. Every ``Parallel`` of this process then asks
    for the same pool (same arguments), so the early workers
    (:class:`_WorkerStart`) are still the launcher's. Returns False when joblib's
    LokyBackend cannot be found (the workers then start their watchdog with
    their first task, as before)."""
    import joblib

    try:
        # PRIVATE (joblib): LokyBackend's module; its constructor passes keyword
        # arguments through to loky's executor (initializer=)
        from joblib._parallel_backends import LokyBackend
    except ImportError:
        return False
    if not _WATCHED_LOKY:
        class WatchedLokyBackend(LokyBackend):
            def __init__(self, *args, **kwargs):
                kwargs.setdefault("initializer", _worker_started)
                super().__init__(*args, **kwargs)

        _WATCHED_LOKY.append(WatchedLokyBackend)
    joblib.register_parallel_backend("loky", _WATCHED_LOKY[0])
    return True


_WATCHED_LOKY = []


def _gone(pid):
    """Whether process ``pid`` has ended (a zombie, dead but not yet reaped, counts).
    False on Windows, whose ``os.kill`` would end the process."""
    if os.name == "nt":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:  # no /proc: alive as far as we can tell
        return False


def _prepare_worker():
    """Import the modules a job needs and freeze them out of garbage collection
    (without psutil, loky collects garbage in a worker after a task at most once a
    second). Never raises: a module that fails to import fails the job that needs
    it, with that job's own error. Returns the pid."""
    import gc
    import importlib

    _exit_with_parent()
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
    # PRIVATE (loky): the module's _executor is the reusable pool joblib's Parallel
    # ran the jobs in, and its _flags say whether it broke or shut down; either
    # missing (another loky) means None: the sweep is finished in this process
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
