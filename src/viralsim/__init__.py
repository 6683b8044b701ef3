"""viralsim: word-of-mouth simulation on follower graphs.

How many people will a campaign reach, with what confidence, and whom should
it target first? See the README for a tour.
"""

from . import datasets, distributed, generators, strategies
from .compare import ComparisonTable, compare_strategies, reach_vs_k
from .estimate import Estimate, ReachEstimate, estimate_reach
from .exceptions import (
    EdgeListError,
    ModelNotSupported,
    NodeNotFound,
    ViralsimError,
    ViralsimWarning,
)
from .graph import FollowerGraph
from .io import read_edgelist
from .models import IC, DiffusionModel, LinearThreshold, WordOfMouth
from .strategies import SeedSelection, select_seeds

__version__ = "0.1.0"

__all__ = [
    "FollowerGraph",
    "read_edgelist",
    "generators",
    "datasets",
    "distributed",
    "IC",
    "WordOfMouth",
    "LinearThreshold",
    "DiffusionModel",
    "estimate_reach",
    "strategies",
    "select_seeds",
    "compare_strategies",
    "ComparisonTable",
    "reach_vs_k",
    "SeedSelection",
    "ReachEstimate",
    "Estimate",
    "ViralsimError",
    "NodeNotFound",
    "EdgeListError",
    "ModelNotSupported",
    "ViralsimWarning",
    "__version__",
]
