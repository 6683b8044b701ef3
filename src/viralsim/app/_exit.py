"""How the command line's process ends: the one module that touches private APIs.

Two exits are special-cased, each for a reason measured or seen in practice:

* every run: the interpreter's final garbage collections are skipped
  (:func:`_no_collection_at_exit`, public APIs only: ``atexit``, ``gc.freeze``);
* after a Ctrl-C: the exit handlers run, then the process ends with status 130
  without the interpreter's teardown of its modules (:func:`_exit_interrupted`).
  That needs two private functions of CPython, named below; where they are
  missing or the interpreter is newer than those checked (:data:`_CHECKED`),
  the process exits the documented way (``SystemExit``) instead.

(loky's private pool attributes are read in :mod:`viralsim.app.launcher`,
Hydra's private sweeper path in :mod:`viralsim.app.sweeps`, each where used,
each with a fallback.)
"""

import os
import sys

#: CPython versions whose ``threading._shutdown`` and ``atexit._run_exitfuncs``
#: were checked to do what :func:`_exit_interrupted` relies on (3.10 to 3.13)
_CHECKED = ((3, 10), (3, 13))

_EXIT_FREEZE = False


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


def _private_exit_apis():
    """``(join_threads, run_exit_handlers)``: CPython's own first steps of
    ``Py_FinalizeEx``, or None where they cannot be relied on."""
    import atexit
    import threading

    if sys.implementation.name != "cpython":
        return None
    if not (_CHECKED[0] <= sys.version_info[:2] <= _CHECKED[1]):
        return None  # version guard: an unchecked CPython exits the documented way
    # PRIVATE (CPython): threading._shutdown joins the non-daemon threads and runs the
    # executors' shutdown hooks (threading._register_atexit), as the interpreter does
    # before its exit handlers
    join_threads = getattr(threading, "_shutdown", None)
    # PRIVATE (CPython): atexit._run_exitfuncs runs the registered exit handlers now,
    # last-registered first, as at a normal exit
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if join_threads is None or run_exit_handlers is None:
        return None
    return join_threads, run_exit_handlers


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
    apis = _private_exit_apis()
    if apis is None:  # not CPython, or not one checked: its own exit
        raise SystemExit(status)
    join_threads, run_exit_handlers = apis
    try:
        # what Py_FinalizeEx does first: join the threads (and their executors'
        # shutdown hooks), then the exit handlers
        join_threads()
        run_exit_handlers()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        # os._exit is public (documented), but skips the teardown on purpose
        os._exit(status)
