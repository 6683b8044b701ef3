"""The one interface every targeting strategy follows, its result, costs, the registry."""

import inspect
import math
import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_float, check_int, check_rng, param_error, shown
from ..estimate import check_model
from ..exceptions import AttributeNotFound, ModelNotSupported
from ..graph import FollowerGraph
from ..models import IC, DiffusionModel

__all__ = [
    "SeedSelection",
    "Strategy",
    "CostRule",
    "cost_rule",
    "register_strategy",
    "get_strategy",
    "available_strategies",
    "select_seeds",
]

_REGISTRY = {}


# ---------------------------------------------------------------------------- result
@dataclass(frozen=True)
class SeedSelection:
    """Seeds picked by a strategy, in pick order, with how it got there.

    Attributes
    ----------
    strategy : str
        Registry name of the strategy.
    seeds : list
        Node labels, in pick order.
    indices : ndarray of int32
        The same seeds as node indices.
    gains : ndarray of float or None
        Marginal gain of each pick in expected adopters, by the strategy's
        own estimate (CELF: mean over its worlds; IMM/OPIM-C: RR coverage
        scaled to nodes). ``None`` for heuristics, which have no estimate.
    scores : ndarray of float
        The criterion each pick won with (heuristic score, gain, or gain per
        unit cost under a budget).
    spread : float or None
        The strategy's own estimate of the seeds' expected reach, biased
        upwards when the seeds were chosen on the same samples: CELF (its
        worlds) and IMM (its RR sets). OPIM-C's is unbiased (a second,
        independent collection), so its ``gains`` (from the first) need not
        sum to it. For an unbiased figure, evaluate with
        :func:`viralsim.estimate_reach` or :func:`viralsim.compare_strategies`
        on fresh worlds.
    cost : float
        Total cost of the seeds (their number under unit costs).
    k, budget : int or None, float or None
        What was asked for.
    elapsed : float
        Seconds spent selecting.
    params : dict
        The strategy's parameters.
    notes : tuple of str
        Caveats and guarantees (e.g. "the greedy guarantee does not hold for
        a non-submodular model", OPIM-C's certified ratio).
    info : dict
        Strategy-specific numbers (RR sets used, bytes per member, ...).
    """

    strategy: str
    seeds: list
    indices: np.ndarray = field(repr=False)
    gains: np.ndarray = field(default=None, repr=False)
    scores: np.ndarray = field(default=None, repr=False)
    spread: float = None
    cost: float = 0.0
    k: int = None
    budget: float = None
    elapsed: float = 0.0
    params: dict = field(default_factory=dict, repr=False)
    notes: tuple = ()
    info: dict = field(default_factory=dict, repr=False)

    def __len__(self):
        return len(self.seeds)

    def __iter__(self):
        return iter(self.seeds)


# ---------------------------------------------------------------------------- costs
@dataclass(frozen=True)
class CostRule:
    """Seed cost from follower counts: ``cost = a + b * followers ** e``.

    A common influencer-pricing shape: a fixed fee ``a`` plus a price that
    grows with audience size (``e < 1``: volume discount, ``e > 1``: stars
    charge a premium).

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 0, 1], [1, 2, 2])
    >>> vs.strategies.cost_rule(1.0, 2.0, 1.0)(g).tolist()
    [5.0, 3.0, 1.0]
    """

    a: float = 1.0
    b: float = 0.0
    e: float = 1.0

    def __call__(self, graph):
        d = graph.out_degree().astype(np.float64)
        # overflow (e = 1e30) gives inf costs, which resolve_costs refuses in one line
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            grow = np.where(d > 0, d**self.e, 0.0 if self.e > 0 else 1.0)
            return self.a + self.b * grow


def cost_rule(a=1.0, b=0.0, e=1.0):
    """A :class:`CostRule` ``cost = a + b * followers ** e`` (checked: a, b >= 0, a + b > 0)."""
    func = "cost_rule"
    a = check_float(a, "a", func, low=0.0)
    b = check_float(b, "b", func, low=0.0)
    e = check_float(e, "e", func)
    if a == 0.0 and (b == 0.0 or e > 0):
        raise ValueError(
            "cost_rule: with a = 0 a node without followers would be free. Give a fixed "
            f"fee a > 0. Got a={a}, b={b}, e={e}."
        )
    return CostRule(a, b, e)


def resolve_costs(graph, costs, func):
    """Per-node float64 costs (all > 0) or None for unit costs.

    ``costs``: None (node attribute ``"cost"`` when the graph has one, else
    unit costs), a node attribute name, a :class:`CostRule` (or any callable
    ``graph -> array``), or an array aligned with node indices.
    """
    name = None
    if costs is None:
        if "cost" not in graph.node_attrs:
            return None
        costs, name = graph.node_attrs["cost"], "cost"
    elif isinstance(costs, str):
        if costs not in graph.node_attrs:
            have = ", ".join(map(repr, graph.node_attrs)) or "none"
            raise AttributeNotFound(
                f"The 'costs' parameter of {func} names node attribute {costs!r}, which the "
                f"graph does not have (it has: {have}). Add it with graph.with_node_attr."
            )
        costs, name = graph.node_attrs[costs], costs
    elif callable(costs):
        costs = costs(graph)
    arr = np.asarray(costs)
    if arr.ndim != 1 or arr.shape[0] != graph.n_nodes or arr.dtype.kind not in "iuf":
        raise ValueError(
            f"The 'costs' parameter of {func} must give one number per node ({graph.n_nodes}). "
            f"Got {arr.dtype} values of shape {arr.shape} instead."
        )
    arr = arr.astype(np.float64)
    bad = np.flatnonzero(~(np.isfinite(arr) & (arr > 0)))
    if bad.size:
        i = int(bad[0])
        where = f"node attribute {name!r}" if name else "'costs'"
        raise ValueError(
            f"Seed costs ({where} of {func}) must be finite and > 0. Got {float(arr[i]):g} for node "
            f"{shown(_label(graph, i))} ({bad.size} bad value(s)). Give free seeds a small positive cost."
        )
    return arr


#: what an optimising strategy can maximise (``goal=``)
GOALS = ("adopters", "exposure")


def check_goal(goal, func):
    """``goal`` checked: ``"adopters"`` (expected adopters) or ``"exposure"``
    (expected people who see the campaign).

    Examples
    --------
    >>> from viralsim.strategies._base import check_goal
    >>> check_goal("exposure", "IMM")
    'exposure'
    """
    if goal not in GOALS:
        raise ValueError(f"The 'goal' parameter of {func} must be 'adopters' (people who adopt) "
                         f"or 'exposure' (people who see the campaign). Got {goal!r} instead.")
    return goal


def node_weights(graph, weight_attr, func):
    """Per-node float64 weights from node attribute ``weight_attr``, or None for none.

    The one check of a weighted reach's weights (CELF's and IMM's
    ``weight_attr``, :func:`viralsim.compare_strategies`' ``segment_attr``).

    Parameters
    ----------
    graph : FollowerGraph
    weight_attr : str or None
        A node attribute of ``graph``, numeric or boolean.
    func : str
        The public function named in error messages.

    Returns
    -------
    ndarray of float64, shape (n_nodes,), or None
        None when ``weight_attr`` is None.

    Raises
    ------
    KeyError
        The graph has no such attribute (the ones it has are listed).
    ValueError
        Weights not numeric, not finite, negative or all 0.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim.strategies._base import node_weights
    >>> g = vs.FollowerGraph.from_edges([0, 1], [1, 2]).with_node_attr("t", [True, False, True])
    >>> node_weights(g, "t", "f").tolist()
    [1.0, 0.0, 1.0]
    """
    if weight_attr is None:
        return None
    if weight_attr not in graph.node_attrs:
        have = ", ".join(map(repr, graph.node_attrs)) or "none"
        raise AttributeNotFound(
            f"The 'weight_attr' parameter of {func} names node attribute {weight_attr!r}, which "
            f"the graph does not have (it has: {have})."
        )
    w = np.asarray(graph.node_attrs[weight_attr])
    if w.dtype.kind not in "biuf":
        raise ValueError(f"{func}: node attribute {weight_attr!r} must be numeric or boolean.")
    w = w.astype(np.float64)
    if not (np.isfinite(w).all() and (w >= 0).all()) or w.sum() <= 0:
        raise ValueError(
            f"{func}: node weights {weight_attr!r} must be finite, >= 0 and not all 0."
        )
    return w


def _label(graph, i):
    """Node ``i``'s label as a Python value (``335``, ``'ann'``; not ``np.int64(335)``)."""
    return graph.labels[i: i + 1].tolist()[0]


# ---------------------------------------------------------------------------- request
def budget_slack(budget):
    """Float rounding allowed over a budget: 1e-9 of it.

    Seeds bought one by one against what is left (``left -= cost``) and the
    same seeds' summed cost round differently: 1.7 - 1.1 < 0.6 and 0.6 + 1.1 >
    1.7 in floats. Every budget comparison (strategies and the campaign's
    plans) allows this much, so a set priced at exactly the budget fits. The
    slack is relative: a budget of 3e-300 (costs in tiny units) buys 3 seeds
    of 1e-300, not every seed (an absolute 1e-9 did).
    """
    return 1e-9 * abs(budget)


def within_budget(cost, budget):
    """``cost <= budget`` up to :func:`budget_slack`."""
    return cost <= budget + budget_slack(budget)


@dataclass
class Request:
    """A validated selection request, handed to ``Strategy._select``."""

    graph: FollowerGraph
    k: int  # number of seeds wanted (budget mode: n_nodes, bounded by the budget)
    budget: float  # math.inf in k mode
    costs: np.ndarray  # float64 (n,) or None (unit)
    model: DiffusionModel
    gen: np.random.Generator
    func: str

    @property
    def budgeted(self):
        return math.isfinite(self.budget)

    @property
    def limit(self):
        """What a selection may spend: the budget plus :func:`budget_slack` (inf in k mode)."""
        return self.budget + budget_slack(self.budget) if self.budgeted else math.inf

    def cost_of(self, idx):
        if self.costs is None:
            return float(len(idx))
        return float(self.costs[np.asarray(idx, dtype=np.int64)].sum())

    def costs_or_ones(self):
        return np.ones(self.graph.n_nodes) if self.costs is None else self.costs


# ---------------------------------------------------------------------------- base class
class Strategy:
    """Base class: ``__init__`` stores parameters only; :meth:`select` does the work.

    Subclasses set ``name`` (the registry key) and implement ``_select(req)``,
    returning a dict with ``indices`` and optionally ``gains``, ``scores``,
    ``spread``, ``notes``, ``info``.
    """

    name = None
    #: selection for k is a prefix of the selection for any larger k (same rng),
    #: so a comparison can select once for the largest k
    nested = False
    #: budget= is served
    supports_budget = True
    #: the strategy simulates or samples the model (so it checks the graph has probabilities)
    uses_model = False

    # -- sklearn-style parameter handling
    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self):
        return {p: getattr(self, p) for p in self._param_names()}

    def set_params(self, **params):
        for key, value in params.items():
            if key not in self._param_names():
                raise ValueError(
                    f"{type(self).__name__} has no parameter {key!r}. Valid: "
                    f"{', '.join(self._param_names()) or 'none'}."
                )
            setattr(self, key, value)
        return self

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_params() == other.get_params()

    __hash__ = None

    # -- the public entry point
    def select(self, graph, *, k=None, budget=None, costs=None, model=None, rng=None):
        """Pick seeds: ``k`` of them, or as many as ``budget`` buys.

        Parameters
        ----------
        graph : FollowerGraph
        k : int, optional
            Number of seeds (exactly one of ``k`` and ``budget``).
        budget : float, optional
            Money to spend: seeds are picked while their cost fits.
        costs : str, CostRule, callable or array-like, optional
            Seed costs: a node attribute name, a rule such as
            ``vs.strategies.cost_rule(a, b, e)``, or one value per node.
            Default: the node attribute ``"cost"`` if the graph has one,
            else every seed costs 1.
        model : DiffusionModel, default ``vs.IC()``
        rng : int, Generator, optional
            Everything random in the selection; same value, same seeds.

        Returns
        -------
        SeedSelection
        """
        req = self._request(graph, k, budget, costs, model, rng)
        t0 = time.perf_counter()
        if req.k == 0:
            out = {"indices": np.zeros(0, dtype=np.int32)}
        else:
            out = self._select(req)
        elapsed = time.perf_counter() - t0
        idx = np.asarray(out["indices"], dtype=np.int32)
        gains = out.get("gains")
        scores = out.get("scores")
        return SeedSelection(
            strategy=self.name,
            seeds=graph.labels[idx].tolist(),
            indices=idx,
            gains=None if gains is None else np.asarray(gains, dtype=np.float64),
            scores=None if scores is None else np.asarray(scores, dtype=np.float64),
            spread=out.get("spread"),
            cost=req.cost_of(idx),
            k=None if req.budgeted else req.k,
            budget=req.budget if req.budgeted else None,
            elapsed=elapsed,
            params=self.get_params(),
            notes=tuple(out.get("notes", ())),
            info=dict(out.get("info", {})),
        )

    def _request(self, graph, k, budget, costs, model, rng):
        func = f"{type(self).__name__}.select"
        if not isinstance(graph, FollowerGraph):
            raise TypeError(
                f"The 'graph' parameter of {func} must be a FollowerGraph. Got "
                f"{type(graph).__name__} instead; convert with FollowerGraph.from_networkx."
            )
        n = graph.n_nodes
        if (k is None) == (budget is None):
            raise ValueError(
                f"{func} takes exactly one of 'k' (number of seeds) and 'budget' (money to "
                f"spend, with seed costs). Got k={shown(k)}, budget={shown(budget)}."
            )
        model = IC() if model is None else check_model(model, func)
        if self.uses_model:
            model._validate_for(graph, func)
        cost_arr = resolve_costs(graph, costs, func)
        gen = check_rng(rng)
        if k is not None:
            k = check_int(k, "k", func, low=0)
            if k > n:
                raise param_error(
                    "k", func, f"at most the number of nodes ({n})", k,
                    fix="Ask for fewer seeds or use a larger graph.",
                )
            self._check_model(model, func)
            return Request(graph, k, math.inf, cost_arr, model, gen, func)
        budget = self._check_budget(graph, budget, cost_arr, func)
        self._check_model(model, func)
        return Request(graph, n, budget, cost_arr, model, gen, func)

    def _check_budget(self, graph, budget, cost_arr, func):
        """``budget`` as a float that buys at least the cheapest seed."""
        if not self.supports_budget:
            raise ValueError(
                f"{type(self).__name__} does not take a budget. Strategies that do: "
                f"{', '.join(n for n, c in sorted(_REGISTRY.items()) if c.supports_budget)}."
            )
        if isinstance(budget, numbers.Integral) and not isinstance(budget, bool):
            budget = float(budget)
        budget = check_float(budget, "budget", func, low=0.0)
        n = graph.n_nodes
        cheapest = 1.0 if cost_arr is None else float(cost_arr.min()) if n else math.inf
        if budget < cheapest:
            who = "" if cost_arr is None else f" (node {shown(_label(graph, int(np.argmin(cost_arr))))})"
            raise param_error(
                "budget", func, f"at least the cheapest seed's cost {cheapest:g}{who}", budget,
                fix="Raise the budget or lower the costs.",
            )
        return budget

    def _check_model(self, model, func):
        """Raise ModelNotSupported when the strategy cannot serve ``model``."""

    def _select(self, req):
        raise NotImplementedError


def model_not_supported(strategy, model, why):
    ok = [n for n, c in sorted(_REGISTRY.items()) if not getattr(c, "live_edge_only", False)]
    return ModelNotSupported(
        f"{strategy} cannot serve the model {model!r}: {why}. Strategies that apply to it: "
        f"{', '.join(ok)}."
    )


# ---------------------------------------------------------------------------- registry
def register_strategy(cls):
    """Class decorator: make ``cls`` available by ``cls.name``."""
    if not (isinstance(cls, type) and issubclass(cls, Strategy) and cls.name):
        raise TypeError("register_strategy expects a Strategy subclass with a name.")
    _REGISTRY[cls.name] = cls
    return cls


def available_strategies():
    """Registered strategy names, sorted."""
    return sorted(_REGISTRY)


def get_strategy(strategy, **params):
    """A strategy instance from a registry name (with ``params``) or an instance (as is)."""
    if isinstance(strategy, Strategy):
        if params:
            raise ValueError(
                "get_strategy: parameters go either into the instance or next to a name, "
                f"not both. Got an instance {shown(strategy)} and {sorted(params)}."
            )
        return strategy
    if isinstance(strategy, str):
        cls = _REGISTRY.get(strategy)
        if cls is None:
            raise ValueError(
                f"Unknown strategy {shown(strategy)}. Registered strategies: "
                f"{', '.join(available_strategies())}."
            )
        names = cls._param_names()
        bad = sorted(set(params) - set(names))
        if bad:
            raise TypeError(
                f"Strategy {strategy!r} has no parameter(s) {', '.join(map(repr, bad))}. "
                f"Valid: {', '.join(names) or 'none'}."
            )
        return cls(**params)
    raise TypeError(
        f"A strategy is a registry name ({', '.join(available_strategies())}) or a Strategy "
        f"instance. Got {shown(strategy)} instead."
    )


def select_seeds(graph, k=None, *, budget=None, strategy="imm", model=None, rng=None,
                 costs=None, **params):
    """Pick seeds with a strategy given by name (or instance).

    ``vs.select_seeds(g, k=50, strategy="imm", rng=0)`` is
    ``vs.strategies.IMM().select(g, k=50, rng=0)``; extra keyword arguments
    are the strategy's parameters (``eps=0.05``).

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 0, 0, 1], [1, 2, 3, 2], probs=1.0)
    >>> vs.select_seeds(g, k=1, strategy="degree").seeds
    [0]
    """
    return get_strategy(strategy, **params).select(
        graph, k=k, budget=budget, costs=costs, model=model, rng=rng
    )


# ---------------------------------------------------------------------------- helpers
def rank_static(req, score):
    """Pick by a fixed score: top k (ties: smaller index), or score/cost under a budget.

    With a fixed score, greedy by score per cost is just a walk down the
    ratio order, taking each node whose cost still fits.
    """
    n = req.graph.n_nodes
    idx = np.arange(n)
    score = np.asarray(score, dtype=np.float64)
    if not req.budgeted:
        order = np.lexsort((idx, -score))[: req.k]
        return {"indices": order, "scores": score[order]}
    c = req.costs_or_ones()
    ratio = score / c
    picks = take_within_budget(np.lexsort((idx, -ratio)), c, req.limit)
    return {"indices": picks, "scores": ratio[picks]}


def take_within_budget(order, costs, budget):
    """Walk ``order`` and take each node whose cost still fits the budget left (int64)."""
    picks = []
    left = budget
    cheapest = float(costs.min())
    for v in order.tolist():
        if costs[v] <= left:
            picks.append(v)
            left -= costs[v]
            if left < cheapest:
                break
    return np.asarray(picks, dtype=np.int64)
