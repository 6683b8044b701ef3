"""viralsim: word-of-mouth simulation on follower graphs.

How many people will a campaign reach, with what confidence, and whom should
it target first? See the README for a tour.

The names below load on first use (PEP 562), so ``import viralsim`` is quick
and a process that only launches work (the command line's ``--help``, a
parallel or remote sweep's launcher) never loads Numba or NetworkX.
"""

import importlib
from typing import TYPE_CHECKING

from .exceptions import (
    EdgeListError,
    ModelNotSupported,
    NodeNotFound,
    ViralsimError,
    ViralsimWarning,
)

__version__ = "0.1.0"

_SUBMODULES = {"audiences", "datasets", "distributed", "generators", "strategies"}
_FROM = {
    "influencer_audiences": "audiences",
    "read_influencers": "audiences",
    "read_multiplex": "io_multiplex",
    "AdBuy": "channels",
    "Allocation": "channels",
    "CampaignEstimate": "channels",
    "InfluencerPost": "channels",
    "MultiplexGraph": "channels",
    "SeedList": "channels",
    "allocate_budget": "channels",
    "estimate_campaign": "channels",
    "ComparisonTable": "compare",
    "compare_strategies": "compare",
    "reach_vs_k": "compare",
    "Estimate": "estimate",
    "ReachEstimate": "estimate",
    "estimate_reach": "estimate",
    "FollowerGraph": "graph",
    "read_edgelist": "io",
    "ActionLog": "actionlog",
    "read_action_log": "actionlog",
    "InfluenceFit": "learn",
    "fit_influence": "learn",
    "backtest": "learn",
    "IC": "models",
    "DiffusionModel": "models",
    "LinearThreshold": "models",
    "WordOfMouth": "models",
    "SeedSelection": "strategies",
    "select_seeds": "strategies",
}

__all__ = [
    "FollowerGraph",
    "read_edgelist",
    "read_action_log",
    "ActionLog",
    "fit_influence",
    "InfluenceFit",
    "backtest",
    "generators",
    "audiences",
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
    "SeedList",
    "InfluencerPost",
    "AdBuy",
    "MultiplexGraph",
    "estimate_campaign",
    "CampaignEstimate",
    "allocate_budget",
    "Allocation",
    "read_influencers",
    "influencer_audiences",
    "read_multiplex",
    "ReachEstimate",
    "Estimate",
    "ViralsimError",
    "NodeNotFound",
    "EdgeListError",
    "ModelNotSupported",
    "ViralsimWarning",
    "__version__",
]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _FROM:
        value = getattr(importlib.import_module(f"{__name__}.{_FROM[name]}"), name)
        globals()[name] = value  # once loaded, a plain attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what static tools and editors see
    from . import audiences, datasets, distributed, generators, strategies
    from .actionlog import ActionLog, read_action_log
    from .audiences import influencer_audiences, read_influencers
    from .channels import (
        AdBuy,
        Allocation,
        CampaignEstimate,
        InfluencerPost,
        MultiplexGraph,
        SeedList,
        allocate_budget,
        estimate_campaign,
    )
    from .compare import ComparisonTable, compare_strategies, reach_vs_k
    from .estimate import Estimate, ReachEstimate, estimate_reach
    from .graph import FollowerGraph
    from .io import read_edgelist
    from .io_multiplex import read_multiplex
    from .learn import InfluenceFit, backtest, fit_influence
    from .models import IC, DiffusionModel, LinearThreshold, WordOfMouth
    from .strategies import SeedSelection, select_seeds
