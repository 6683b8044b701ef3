"""Exceptions and warnings raised by viralsim.

Every error derives from both :class:`ViralsimError` and the matching builtin
(``ValueError``, ``KeyError``, ``TypeError``) so that callers can catch either.
"""

__all__ = [
    "ViralsimError",
    "NodeNotFound",
    "EdgeListError",
    "ModelNotSupported",
    "ViralsimWarning",
]


class ViralsimError(Exception):
    """Base class for all viralsim errors."""


class NodeNotFound(ViralsimError, KeyError):
    """A node label given by the user is not in the graph."""

    def __str__(self):  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""


class EdgeListError(ViralsimError, ValueError):
    """An edge-list file is missing, empty or malformed (the message names file and line)."""


class ModelNotSupported(ViralsimError, ValueError):
    """A strategy or kernel cannot serve the requested diffusion model."""


class ViralsimWarning(UserWarning):
    """Something was changed on the way in (self-loops dropped, duplicates merged, ...)."""
