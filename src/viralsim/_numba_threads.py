"""Numba's threading layer, and what it means for calls from several threads.

viralsim's parallel kernels run on one of Numba's threading layers: ``tbb`` and
``omp`` accept parallel kernels launched from several Python threads at once;
``workqueue`` (Numba's fallback when neither TBB nor OpenMP is available, or
``NUMBA_THREADING_LAYER=workqueue``) does not, and *aborts the interpreter*
("Terminating: Concurrent access has been detected") when two threads launch
one together. Code that calls parallel kernels wraps each call in
:func:`parallel_section`: on ``workqueue`` the calls of this process then run one
at a time (correct, only not concurrent); on the others it costs nothing.
"""

import contextlib
import threading

__all__ = ["threading_layer", "concurrent_calls_safe", "parallel_section"]

_LOCK = threading.RLock()  # re-entrant: a section may call code that opens another
_LAYER = []
_UNSAFE = ("workqueue",)


def threading_layer():
    """The name of the threading layer Numba's parallel kernels run on (``"tbb"``,
    ``"omp"`` or ``"workqueue"``), starting it if no parallel kernel ran yet
    (Numba picks it once per process)."""
    if not _LAYER:
        import numba

        try:
            layer = numba.threading_layer()
        except ValueError:  # not started yet: start it the way a first parallel kernel would
            from numba.np.ufunc.parallel import _launch_threads

            _launch_threads()
            layer = numba.threading_layer()
        _LAYER.append(layer)
    return _LAYER[0]


def concurrent_calls_safe():
    """Whether parallel kernels may be launched from several threads at once."""
    return threading_layer() not in _UNSAFE


@contextlib.contextmanager
def parallel_section():
    """Run the block's parallel kernel calls alone in this process when the threading
    layer cannot take concurrent launches (``workqueue``); else do nothing.

    Examples
    --------
    >>> from viralsim._numba_threads import parallel_section
    >>> with parallel_section():
    ...     pass
    """
    if concurrent_calls_safe():
        yield
        return
    with _LOCK:
        yield
