"""Progress and cancel inside long library calls, and the first-compile notice.

Long calls (:func:`viralsim.estimate_reach`'s worlds, RR-set collections,
CELF's evaluations) call :func:`checkpoint` between pieces of work. Nobody
listening (the default): the call runs as one piece, exactly as before.
Someone listening (:func:`listening`: the planner page's run thread with its
Cancel button, or the command line's progress on stderr): the work is cut
into pieces of about :data:`PIECE_SECONDS` each, and between pieces a set
cancel event raises :class:`Cancelled` and a progress line is reported (at
most every ``every`` seconds). Worlds and RR sets are pure functions of
(key, index) and sums are exact, so the pieces change no number.

Listeners are per thread (a :class:`contextvars.ContextVar`): two planner
tabs, each with its own run thread, never see each other's cancel. The
command line installs a process-wide one (:func:`set_default`).
"""

import contextlib
import contextvars
import sys
import threading
import time
from dataclasses import dataclass, field

__all__ = ["Cancelled", "listening", "checkpoint", "active", "pieces", "set_default",
           "compile_notice"]

#: seconds of work between two checkpoints while someone listens
PIECE_SECONDS = 0.25


class Cancelled(Exception):
    """The run was cancelled (a listener's cancel event was set)."""


@dataclass
class Listener:
    """A cancel event and/or a progress callback ``report(text)`` (throttled to
    one call per ``every`` seconds, after ``after`` seconds of quiet work)."""

    cancel: threading.Event = None
    report: object = None
    every: float = 2.0
    after: float = 2.0
    _last: float = field(default=None, repr=False)

    def tick(self, text):
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled()
        if self.report is None or text is None:
            return
        now = time.monotonic()
        if self._last is None:
            self._last = now - self.every + self.after  # first line after `after` seconds
        if now - self._last >= self.every:
            self._last = now
            self.report(text() if callable(text) else text)


_CURRENT = contextvars.ContextVar("viralsim_listener", default=None)
_DEFAULT = [None]


@contextlib.contextmanager
def listening(cancel=None, report=None, every=2.0, after=2.0):
    """Listen to the long calls made inside the ``with`` block, in this thread.

    Parameters
    ----------
    cancel : threading.Event, optional
        Once set, the next checkpoint raises :class:`Cancelled`.
    report : callable(str), optional
        Gets a progress line now and then.

    Examples
    --------
    >>> import threading
    >>> import viralsim as vs
    >>> from viralsim._progress import Cancelled, listening
    >>> g = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=0.5)
    >>> stop = threading.Event(); stop.set()
    >>> with listening(cancel=stop):
    ...     try:
    ...         vs.estimate_reach(g, [0], n_sims=1000, rng=0)
    ...     except Cancelled:
    ...         print("cancelled")
    cancelled
    """
    token = _CURRENT.set(Listener(cancel, report, every, after))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def set_default(listener):
    """A process-wide listener (the command line's), or None; returns the previous one."""
    old, _DEFAULT[0] = _DEFAULT[0], listener
    return old


def _listener():
    return _CURRENT.get() or _DEFAULT[0]


def active():
    """Whether someone listens (then long calls cut their work into pieces)."""
    return _listener() is not None


def checkpoint(text=None):
    """Between two pieces of work: raise :class:`Cancelled` when cancelled, else
    report ``text`` (a string, or a callable making one) now and then."""
    ln = _listener()
    if ln is not None:
        ln.tick(text)


def pieces(total, first, describe=None):
    """Split ``total`` units of work into pieces of about :data:`PIECE_SECONDS`.

    A generator of piece sizes: the first is ``first`` units, later ones are
    sized by the time the previous took. Before each piece but the first, it
    calls :func:`checkpoint` with ``describe(done, total)``. Not listening:
    one piece of ``total``.
    """
    if not active() or total <= first:
        if total > 0:
            yield total
        return
    done, size = 0, max(1, int(first))
    while done < total:
        checkpoint((lambda d=done: describe(d, total)) if describe and done else None)
        size = min(size, total - done)
        t0 = time.perf_counter()
        yield size
        took = time.perf_counter() - t0
        done += size
        rate = size / max(took, 1e-4)
        size = max(1, min(int(rate * PIECE_SECONDS), 8 * size))


# ---------------------------------------------------------------------- first compile
_NOTICE = {"installed": False, "said": False}


def compile_notice(stream=None):
    """Say once, on ``stream`` (stderr), when Numba starts compiling one of
    viralsim's kernels: the first run on a machine spends about 40 s there,
    later runs load them from Numba's cache and say nothing.

    Uses Numba's event API (``numba:compile`` fires on a real compile only,
    not on a cache load).
    """
    from numba.core import event

    if _NOTICE["installed"]:
        return
    _NOTICE["installed"] = True

    class _Said(event.Listener):
        def on_start(self, ev):
            disp = ev.data.get("dispatcher") if isinstance(ev.data, dict) else None
            mod = getattr(getattr(disp, "py_func", None), "__module__", "") or ""
            if _NOTICE["said"] or not mod.startswith("viralsim."):
                return
            _NOTICE["said"] = True
            print("viralsim: compiling the fast kernels once (about 40 s the first time; "
                  "later runs load them from the cache)...", file=stream or sys.stderr,
                  flush=True)

        def on_end(self, ev):
            pass

    event.register("numba:compile", _Said())
