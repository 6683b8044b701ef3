"""How a failed run is told: a one-line message for bad input, a traceback for a bug."""

import logging

log = logging.getLogger("viralsim")


def _disk_full(exc):
    """The ``OSError`` (no space left, quota exceeded) behind ``exc``, or None: a full
    disk while matplotlib writes a PNG surfaces as an AttributeError ('_idat'
    object has no attribute 'fileno') raised while handling it."""
    import errno

    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _corrupt_gzip(exc):
    """Whether ``exc`` is what reading a truncated or corrupt .gz raises."""
    import gzip
    import zlib

    return isinstance(exc, (EOFError, gzip.BadGzipFile, zlib.error))


def _message(exc):
    if _corrupt_gzip(exc):
        return (f"A gzip file is truncated or corrupt ({type(exc).__name__}: {exc}). Download "
                "or copy it again (gzip -t FILE checks one), or decompress it and pass the "
                "plain file.")
    full = _disk_full(exc)
    if full is not None:
        where = f" while writing {full.filename}" if full.filename else ""
        return (f"No space left on the device{where} ({full.strerror or full}). Free some "
                "space, or write the run elsewhere (hydra.run.dir=..., hydra.sweep.dir=...), "
                "then run it again (finished runs are skipped).")
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


def _is_user_error(exc):
    """Whether ``exc`` is viralsim's answer to bad input, whose message names the
    problem and the fix (a one-line error on the command line), not a bug (a
    traceback): a :class:`ViralsimError`, a config value left unset, or a
    ValueError, TypeError, LookupError or OSError raised by viralsim's own code."""
    from omegaconf.errors import MissingMandatoryValue

    from ..exceptions import ViralsimError

    if (isinstance(exc, (ViralsimError, MissingMandatoryValue)) or _disk_full(exc) is not None
            or _corrupt_gzip(exc)):
        return True
    if not isinstance(exc, (ValueError, TypeError, LookupError, OSError)):
        return False
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_globals.get("__name__", "").startswith("viralsim.")

