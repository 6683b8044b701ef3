"""The campaign planner: a local web page over the library (``pip install ".[app]"``,
then ``viralsim-planner``).

This package's planning layer (:mod:`viralsim.planner.core`) is plain Python and
imports no web framework; only :mod:`viralsim.planner.page` (the Streamlit
page) and the ``viralsim-planner`` command need the ``app`` extra.
"""

from . import campaign, core
from .campaign import *  # noqa: F403 (the campaign layer's public names, listed in campaign)
from .core import *  # noqa: F403 (the planning layer's public names, listed once in core)

__all__ = list(core.__all__) + list(campaign.__all__)
