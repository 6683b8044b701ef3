"""Exceptions and warnings raised by viralsim.

Every error derives from both :class:`ViralsimError` and the matching builtin
(``ValueError``, ``KeyError``, ``TypeError``) so that callers can catch either.
"""

import gzip
import zlib

__all__ = [
    "ViralsimError",
    "NodeNotFound",
    "AttributeNotFound",
    "EdgeListError",
    "CorruptGzipError",
    "ModelNotSupported",
    "ViralsimWarning",
]


class ViralsimError(Exception):
    """Base class for all viralsim errors."""


class NodeNotFound(ViralsimError, KeyError):
    """A node label given by the user is not in the graph."""

    def __str__(self):  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""


class AttributeNotFound(ViralsimError, KeyError):
    """A node or edge attribute (or a registry entry) named by the user does not exist."""

    def __str__(self):  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""


class EdgeListError(ViralsimError, ValueError):
    """An edge-list file is missing, empty or malformed (the message names file and line)."""


class CorruptGzipError(EdgeListError, EOFError, gzip.BadGzipFile, zlib.error):
    """A ``.gz`` file is truncated or corrupt (the message names the file and the fix).

    Also an ``EOFError``, a ``gzip.BadGzipFile`` and a ``zlib.error`` (what
    reading such a file raises underneath), so ``except`` clauses written for
    those keep working; ``reason`` holds the underlying error in one line.
    """

    reason = ""

    @classmethod
    def of(cls, path, exc):
        """The error for reading ``path``, which raised ``exc`` underneath."""
        reason = f"{_ERROR_NAMES.get(type(exc), type(exc).__name__)}: {exc}"
        err = cls(f"{path}: the gzip file is truncated or corrupt ({reason}). Download or "
                  "copy it again (gzip -t FILE checks one), or decompress it and pass the "
                  "plain file.")
        err.reason = reason
        return err


_ERROR_NAMES = {zlib.error: "zlib.error", gzip.BadGzipFile: "gzip.BadGzipFile"}
#: what reading a truncated or corrupt gzip stream raises (gzip.BadGzipFile is an
#: OSError: named, rather than catching every OSError)
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


class ModelNotSupported(ViralsimError, ValueError):
    """A strategy or kernel cannot serve the requested diffusion model."""


class ViralsimWarning(UserWarning):
    """Something was changed on the way in (self-loops dropped, duplicates merged, ...)."""


def cause_of(exc, kind, test=None):
    """The exception of type ``kind`` (for which ``test(e)`` holds, when given)
    that ``exc`` is or was raised from (its ``__cause__`` or ``__context__``
    chain, each link once), or None.

    Parameters
    ----------
    exc : BaseException or None
    kind : type or tuple of types
    test : callable, optional
        ``test(e) -> bool``: only such an ``e`` counts.

    Returns
    -------
    BaseException or None

    Examples
    --------
    >>> from viralsim.exceptions import cause_of
    >>> try:
    ...     try:
    ...         raise MemoryError("out")
    ...     except MemoryError as e:
    ...         raise SystemError("kernel failed") from e
    ... except SystemError as exc:
    ...     print(repr(cause_of(exc, MemoryError)), cause_of(exc, KeyError))
    MemoryError('out') None
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind) and (test is None or test(exc)):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
