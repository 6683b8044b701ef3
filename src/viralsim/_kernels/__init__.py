"""Numba kernels: arrays and scalars in, arrays out.

No validation, no Python objects, no global RNG. Every kernel documents its
preconditions; the public wrappers in :mod:`viralsim` establish them.

Compiling a kernel (its first use on a machine, or after an upgrade; later
runs load it from Numba's cache) takes from a fraction of a second to about
15 s. When it takes longer than :data:`NOTICE_AFTER` seconds, the
``viralsim`` logger says so at INFO level, and then how long it took, so that
a first run does not look stuck.
"""

import logging
import threading
import time

from numba.core import event as _event

__all__ = []

log = logging.getLogger("viralsim")

NOTICE_AFTER = 1.0


class _CompileNotice(_event.Listener):
    """Watch the outermost compile of a viralsim kernel (Numba's ``numba:compile``
    event: a cache miss, not a load from the cache)."""

    def __init__(self):
        self._open = []  # names of the viralsim compiles in progress, outermost first
        self._t0 = 0.0
        self._timer = None
        self._told = False
        self.compiles = 0  # outermost viralsim compiles seen (for tests)

    @staticmethod
    def _name(ev):
        f = getattr(ev.data.get("dispatcher"), "py_func", None)
        mod = getattr(f, "__module__", "") or ""
        if not mod.startswith("viralsim."):
            return None
        return f"{mod}.{f.__qualname__.rsplit('.', 1)[-1]}"

    def _tell(self, name):
        self._told = True
        log.info("compiling %s: the first run on this machine (or after an upgrade) takes "
                 "longer; the compiled code is cached for later runs", name)

    def on_start(self, ev):
        name = self._name(ev)
        if name is None:
            return
        if not self._open:
            self.compiles += 1
            self._t0 = time.perf_counter()
            self._told = False
            self._timer = threading.Timer(NOTICE_AFTER, self._tell, args=(name,))
            self._timer.daemon = True
            self._timer.start()
        self._open.append(name)

    def on_end(self, ev):
        if self._name(ev) is None or not self._open:
            return
        name = self._open.pop()
        if not self._open:
            self._timer.cancel()
            self._timer.join()  # a notice being written comes before the end line
            # (Event.is_failed reads its own flag backwards in Numba 0.68: look at the details)
            exc = getattr(ev, "_exc_details", None)
            failed = bool(exc) and exc[0] is not None
            if self._told and not failed:
                log.info("compiled %s in %.1f s", name, time.perf_counter() - self._t0)


_notice = _CompileNotice()
_event.register("numba:compile", _notice)
