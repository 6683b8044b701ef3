"""Config schemas: what each config group's options may hold, with types and defaults.

Each group option's YAML lists its schema first in its defaults list, so a
wrong type (``graph.n_nodes=ten``) is an error at composition time, and a
value left at ``???`` is an error naming it when the run reads it. The
experiments' schemas are plain dataclasses in their own modules
(:data:`viralsim.experiments.SCHEMAS`); this module holds the others and
registers all of them with Hydra (:func:`register_configs`).
"""

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from ..experiments import SCHEMAS as EXPERIMENT_SCHEMAS
from ..experiments._schema import AxisConf, CostConf, PlanConf
from ..experiments.campaign import CampaignConf
from ..experiments.compare import CompareConf
from ..experiments.estimate import EstimateConf
from ..experiments.learn import LearnConf, LogConf
from ..experiments.scaling import ScalingConf
from ..experiments.sensitivity import SensitivityConf

__all__ = ["register_configs", "SCHEMAS", "ViralsimConf", "HolmeKimConf", "BarabasiAlbertConf",
           "WattsStrogatzConf", "ErdosRenyiConf", "ScaleFreeConf", "PowerLawConf",
           "StochasticBlockConf",
           "EdgeListConf", "DatasetConf", "FollowerCsvConf", "ProbabilitiesConf",
           "SerialBackendConf", "RayBackendConf", "PlanConf", "CostConf", "AxisConf",
           "EstimateConf", "CompareConf", "CampaignConf", "SensitivityConf", "ScalingConf",
           "LearnConf", "LogConf"]

@dataclass
class HolmeKimConf:
    """``graph=holme_kim``: the arguments of :func:`viralsim.generators.holme_kim`."""

    _target_: str = "viralsim.generators.holme_kim"
    n_nodes: int = 10_000
    m: int = 4
    p_triangle: float = 0.3
    rng: int | None = None


@dataclass
class BarabasiAlbertConf:
    """``graph=barabasi_albert``: the arguments of :func:`viralsim.generators.barabasi_albert`."""

    _target_: str = "viralsim.generators.barabasi_albert"
    n_nodes: int = 10_000
    m: int = 5
    rng: int | None = None


@dataclass
class WattsStrogatzConf:
    """``graph=watts_strogatz``: the arguments of :func:`viralsim.generators.watts_strogatz`."""

    _target_: str = "viralsim.generators.watts_strogatz"
    n_nodes: int = 10_000
    k: int = 10
    p_rewire: float = 0.1
    rng: int | None = None


@dataclass
class ErdosRenyiConf:
    """``graph=erdos_renyi``: the arguments of :func:`viralsim.generators.erdos_renyi`."""

    _target_: str = "viralsim.generators.erdos_renyi"
    n_nodes: int = 10_000
    p_edge: float = 0.001
    directed: bool = True
    rng: int | None = None


@dataclass
class ScaleFreeConf:
    """``graph=scale_free``: the arguments of :func:`viralsim.generators.scale_free`."""

    _target_: str = "viralsim.generators.scale_free"
    n_nodes: int = 10_000
    alpha: float = 0.41
    beta: float = 0.54
    gamma: float = 0.05
    delta_in: float = 0.2
    delta_out: float = 0.0
    rng: int | None = None


@dataclass
class PowerLawConf:
    """``graph=power_law``: the arguments of :func:`viralsim.generators.power_law` (Chung-Lu,
    no NetworkX: the generator for 1M to 100M edges)."""

    _target_: str = "viralsim.generators.power_law"
    n_nodes: int = 100_000
    avg_degree: float = 10.0
    exponent: float = 2.5
    exponent_following: float | None = None
    max_degree: float | None = None
    rng: int | None = None


@dataclass
class StochasticBlockConf:
    """``graph=stochastic_block``: the arguments of :func:`viralsim.generators.stochastic_block`."""

    _target_: str = "viralsim.generators.stochastic_block"
    sizes: list = field(default_factory=lambda: [2500, 2500, 2500, 2500])
    p_in: float = 0.004
    p_out: float = 0.0002
    directed: bool = True
    rng: int | None = None


@dataclass
class EdgeListConf:
    """``graph=edgelist``: the arguments of :func:`viralsim.io.read_edgelist` (``path`` required)."""

    _target_: str = "viralsim.io.read_edgelist"
    path: str = MISSING
    directed: bool = True
    probs: Any = "auto"
    header: bool = False
    reverse: bool = False


@dataclass
class DatasetConf:
    """``graph=dataset``: the arguments of :func:`viralsim.datasets.load` (``name`` required)."""

    _target_: str = "viralsim.datasets.load"
    name: str = MISSING
    path: str | None = None
    data_home: str | None = None
    download: bool = True


@dataclass
class FittedGraphConf:
    """``graph=fitted``: a fit saved by ``experiment=learn`` (``path``: its run directory
    or ``fit.npz``; ``outside``: simulate the fit's outside influence)."""

    _target_: str = "viralsim.learn.fitted_graph"
    path: str = MISSING
    outside: bool = True


@dataclass
class FollowerCsvConf:
    """``graph=follower_csv``: the arguments of :func:`viralsim.io.read_follower_csv` (``path`` required)."""

    _target_: str = "viralsim.io.read_follower_csv"
    path: str = MISSING
    source: str = "source"
    target: str = "target"
    probability: str | None = None
    consumers: str | None = None
    id_column: str = "id"
    directed: bool = True


@dataclass
class ProbabilitiesConf:
    """``probabilities=<scheme>``: the scheme and its parameters (``p``; ``low``, ``high``)."""

    scheme: str = "weighted_cascade"
    p: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass
class SerialBackendConf:
    """``backend=serial``: worlds simulated in this process (Numba threads)."""

    name: str = "serial"
    batch_size: int | None = None
    progress: bool | None = None  # None: a tqdm bar only when stderr is a terminal


@dataclass
class RayBackendConf:
    """``backend=ray``: batches of worlds as Ray tasks (extra ``ray``)."""

    name: str = "ray"
    address: str | None = None
    num_cpus: int | None = None
    batch_size: int = 20_000
    init_timeout_s: float = 30.0
    progress: bool | None = None


@dataclass
class ViralsimConf:
    """Top-level schema: the keys every run has."""

    rng_seed: int = 0
    n_sims: int | None = None
    precision: float | None = 0.01
    max_sims: int = 1_000_000
    confidence: float = 0.95
    max_rounds: int | None = None
    exposure: bool = True
    formats: list = field(default_factory=lambda: ["png", "svg"])
    resume: bool = True
    graph: Any = MISSING
    probabilities: Any = None
    model: Any = None
    strategy: Any = None
    experiment: Any = MISSING
    backend: Any = None
    log: Any = None  # the action log of experiment=learn (schema LogConf)


SCHEMAS = {
    "graph": {
        "holme_kim": HolmeKimConf,
        "barabasi_albert": BarabasiAlbertConf,
        "watts_strogatz": WattsStrogatzConf,
        "erdos_renyi": ErdosRenyiConf,
        "scale_free": ScaleFreeConf,
        "power_law": PowerLawConf,
        "stochastic_block": StochasticBlockConf,
        "edgelist": EdgeListConf,
        "dataset": DatasetConf,
        "follower_csv": FollowerCsvConf,
        "fitted": FittedGraphConf,
    },
    "probabilities": {"probabilities": ProbabilitiesConf},
    # each experiment's schema lives in its module (viralsim.experiments.<name>)
    "experiment": dict(EXPERIMENT_SCHEMAS),
    "backend": {"serial": SerialBackendConf, "ray": RayBackendConf},
    "log": {"log": LogConf},
}


def register_configs():
    """Put the schemas in Hydra's ConfigStore (group ``schema/<group>``).

    Each option's YAML lists ``/schema/<group>/<option>@_here_`` first in its
    defaults list. Called when :mod:`viralsim.app` is imported; calling it
    again stores the same nodes again.

    Examples
    --------
    >>> from hydra.core.config_store import ConfigStore
    >>> from viralsim.app import register_configs
    >>> register_configs()
    >>> "campaign.yaml" in ConfigStore.instance().list("schema/experiment")
    True
    """
    cs = ConfigStore.instance()
    cs.store(name="viralsim_schema", node=ViralsimConf)
    for group, items in SCHEMAS.items():
        for name, node in items.items():
            cs.store(group=f"schema/{group}", name=name, node=node)

