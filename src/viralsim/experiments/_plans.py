"""Seed plans and their costs: what a plan's config means as seed labels.

A plan is a list of ``seeds`` (consumer ids) or a ``strategy`` with ``k``
seeds or a budget; :func:`resolve_plan` turns one into seed labels,
:func:`seed_costs` prices every consumer, :func:`plan_names` gives each plan
the distinct name its rows are keyed by.
"""

from .._validation import shown
from ..exceptions import AttributeNotFound

__all__ = ["seed_costs", "resolve_plan", "plan_names", "numbers", "within_budget"]

#: Seed rules computed here when the strategies registry is not installed.
_ALIASES = {"most_followers": "degree", "top_degree": "degree", "followers": "degree"}


def within_budget(cost, budget):
    """Whether ``cost`` fits ``budget``: the strategies' own rule, with its tolerance
    for rounding (:func:`viralsim.strategies._base.within_budget`).

    Parameters
    ----------
    cost, budget : float

    Returns
    -------
    bool

    Examples
    --------
    >>> from viralsim.experiments._plans import within_budget
    >>> within_budget(10.0, 10.0), within_budget(10.5, 10.0)
    (True, False)
    """
    from ..strategies._base import within_budget as fits

    return fits(cost, budget)


def seed_costs(graph, ccfg):
    """Cost of each consumer (by index) from the ``costs`` config node.

    Parameters
    ----------
    graph : FollowerGraph
    ccfg : mapping or None
        ``attr``: a node attribute holding costs; otherwise
        ``base + per_follower * followers ** exponent`` (defaults 1, 0, 1).

    Returns
    -------
    numpy.ndarray of float64, one cost per consumer

    Raises
    ------
    KeyError
        ``attr`` is not a node attribute of the graph.
    ValueError
        A cost that is negative or not finite (the message names the consumers).

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim.experiments import seed_costs
    >>> g = vs.FollowerGraph.from_edges([0, 0, 1], [1, 2, 2])
    >>> seed_costs(g, {"base": 1.0, "per_follower": 0.5}).tolist()
    [2.0, 1.5, 1.0]
    """
    import numpy as np

    ccfg = ccfg or {}
    if ccfg.get("attr"):
        name = attr_name(graph, ccfg["attr"])
        if name not in graph.node_attrs:
            raise AttributeNotFound(
                f"The 'costs.attr' value {name!r} is not a node attribute of the graph "
                f"(it has {sorted(graph.node_attrs)}). Set costs.attr=null to price by followers."
            )
        if graph.node_attrs[name].dtype.kind not in "biuf":
            raise ValueError(
                f"The 'costs.attr' column {name!r} holds text, not numbers (a consumers CSV "
                f"column). Name a numeric column, or set costs.attr=null to price by followers.")
        c = np.asarray(graph.node_attrs[name], dtype=np.float64)
    else:
        base = float(ccfg.get("base", 1.0))
        per = float(ccfg.get("per_follower", 0.0))
        ex = float(ccfg.get("exponent", 1.0))
        with np.errstate(over="ignore", invalid="ignore"):  # inf/nan: the error below
            c = base + per * graph.out_degree().astype(np.float64) ** ex
    bad = np.flatnonzero(~(np.isfinite(c) & (c >= 0)))
    if bad.size:
        # tolist(): labels as Python writes them (28, not np.int64(28))
        who = ", ".join(f"{lab!r} ({c[i]:g})"
                        for lab, i in zip(graph.labels[bad[:5]].tolist(), bad[:5]))
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        if ccfg.get("attr"):
            raise ValueError(
                f"Seed costs must be finite and >= 0: the node attribute {ccfg['attr']!r} (a "
                f"consumers CSV column) gives {who}{more}. Fix those consumers' "
                f"{ccfg['attr']!r} values.")
        raise ValueError(
            f"Seed costs must be finite and >= 0: costs.base + costs.per_follower * followers "
            f"** costs.exponent gives {who}{more}. Fix costs.base, costs.per_follower or "
            f"costs.exponent.")
    return c


def attr_name(graph, name):
    """The graph's node attribute that ``name`` means: itself, else the one equal
    to it without regard to case and spaces (a consumers CSV's ``Cost``), else
    ``name`` (the caller says it is missing).

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim.experiments._plans import attr_name
    >>> g = vs.FollowerGraph.from_edges([0], [1], node_attrs={"Cost ": [1.0, 2.0]})
    >>> attr_name(g, "cost")
    'Cost '
    """
    from ..io import _key

    if name in graph.node_attrs:
        return name
    hits = [a for a in graph.node_attrs if _key(a) == _key(name)]
    return hits[0] if len(hits) == 1 else name


def _coerce_labels(graph, labels):
    """Config values are often strings; match them to integer labels when the graph has those."""
    out = list(labels)
    if graph.labels.dtype.kind in "iu":
        conv = []
        for x in out:
            if isinstance(x, str) and x.strip().lstrip("-").isdigit():
                conv.append(int(x))
            else:
                conv.append(x)
        out = conv
    elif graph.labels.dtype.kind in "UO":
        out = [str(x) for x in out]
    return out


def _listed_seeds(graph, plan, name, func):
    """The seed labels of a plan that lists them (checked against the graph)."""
    from ..exceptions import NodeNotFound

    seeds = plan["seeds"]
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise ValueError(f"Plan {name!r}: seeds must be a list of consumer ids, e.g. "
                         f"seeds: [{seeds}]. Got {shown(seeds)}.")
    extra = [key for key in ("strategy", "k") if plan.get(key) is not None]
    if extra:
        raise ValueError(f"Plan {name!r} gives seeds and {' and '.join(extra)}: a plan is "
                         f"either a list of seeds or a strategy (with k or a budget). "
                         f"Drop one.")
    labels = _coerce_labels(graph, seeds)
    try:
        graph.index_of(labels, param=f"plans[{name}].seeds", func=func)
    except NodeNotFound as exc:
        raise NodeNotFound(f"Plan {name!r}: {exc}") from None
    return labels


def goal_params(strategy, goal="adopters", weight_attr=None, model=None, graph=None):
    """The parameters that point an optimising strategy at the campaign's goal.

    ``imm``, ``opim_c`` and ``celf`` take ``goal`` (``"adopters"`` or
    ``"exposure"``) and ``weight_attr`` (the target segment's node
    attribute: adopters, or exposure, within the segment); heuristics take
    neither and get ``{}``. Only values other than the defaults are given.
    With ``model`` and ``graph``: CELF gets ``weight_attr`` only where the
    model has independent-cascade worlds (elsewhere it simulates and counts
    adopters overall, as before).

    Examples
    --------
    >>> from viralsim.experiments._plans import goal_params
    >>> goal_params("imm", "exposure"), goal_params("degree", "exposure")
    ({'goal': 'exposure'}, {})
    >>> goal_params("celf", weight_attr="_target_segment")
    {'weight_attr': '_target_segment'}
    """
    from ..strategies._base import _REGISTRY

    cls = _REGISTRY.get(_ALIASES.get(strategy, strategy))
    names = cls._param_names() if cls is not None else []
    out = {}
    if goal not in (None, "adopters") and "goal" in names:
        out["goal"] = goal
    if weight_attr is not None and "weight_attr" in names:
        if cls.name == "celf" and model is not None and graph is not None:
            from ..strategies._models import ic_equivalent

            if ic_equivalent(model, graph) is None:
                return out  # CELF simulates this model: it counts adopters overall
        out["weight_attr"] = weight_attr
    return out


def resolve_plan(graph, plan, *, model=None, rng=None, k=None, budget=None, costs=None,
                 func="plan", params=None):
    """Seed labels of one plan: a list of ``seeds``, or a ``strategy`` with ``k``/``budget``.

    Parameters
    ----------
    graph : FollowerGraph
    plan : mapping
        ``seeds`` (consumer ids), or ``strategy`` (a name for
        :func:`viralsim.select_seeds`; aliases such as ``most_followers``
        mean ``degree``) with ``k``; ``name`` names it in messages.
    model : DiffusionModel, optional
        For strategies that simulate.
    rng : numpy.random.Generator, optional
    k : int, optional
        Seeds when the plan gives no ``k``.
    budget : float, optional
        Size a strategy plan without ``k`` by this budget (with ``costs``).
    costs : numpy.ndarray, optional
    func : str
        What to name as the caller in messages.
    params : dict, optional
        The strategy's parameters (e.g. :func:`goal_params`).

    Returns
    -------
    list
        Seed labels.

    Raises
    ------
    ValueError
        A plan with neither seeds nor strategy, both, or a bad ``k``.
    NodeNotFound
        A listed seed that is not a consumer of the graph.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim.experiments import resolve_plan
    >>> g = vs.FollowerGraph.from_edges([0, 0, 1], [1, 2, 2])
    >>> resolve_plan(g, {"seeds": ["1"]}), resolve_plan(g, {"strategy": "degree", "k": 1})
    ([1], [0])
    """
    import numpy as np

    name = plan.get("name") or plan.get("strategy") or "plan"
    if plan.get("seeds") is not None:
        return _listed_seeds(graph, plan, name, func)
    strategy = plan.get("strategy")
    if strategy is None:
        raise ValueError(
            f"Plan {name!r} needs either 'seeds' (a list of consumer ids) or 'strategy' "
            f"(e.g. degree) with 'k' or a budget. Got {shown(dict(plan))}."
        )
    k = plan.get("k", k)
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0):
        raise ValueError(f"Plan {name!r}: k must be a whole number >= 0 (the seeds the strategy "
                         f"picks; 0 is the no-campaign baseline). Got {shown(k)}.")
    if k is None and budget is None:
        raise ValueError(f"Plan {name!r} uses strategy {strategy!r} but gives no 'k' and no budget.")
    return _strategy_seeds(graph, name, strategy, k, budget, costs, model, rng, params)


def selection_model(model):
    """The model strategies pick seeds for: ``model``, except a fitted graph's
    :class:`~viralsim.learn.OutsideIC`, for which it is the cascade over the follows
    (``IC``). The outside influence reaches consumers whatever the seeds, and reverse
    sampling has no outside source; the estimates simulate both.

    Examples
    --------
    >>> from viralsim.learn import OutsideIC
    >>> from viralsim.experiments._plans import selection_model
    >>> type(selection_model(OutsideIC(0.01))).__name__
    'IC'
    """
    if type(model).__name__ == "OutsideIC":
        from ..models import IC

        return IC()
    return model


def _strategy_seeds(graph, name, strategy, k, budget, costs, model, rng, params=None):
    """The seeds a strategy picks for plan ``name`` (``k`` of them, or within ``budget``)."""
    from ..strategies import select_seeds

    kw = {"k": k} if budget is None else {"budget": budget}
    kw.update(params or {})
    if budget is not None and costs is not None:
        kw["costs"] = costs
    model = selection_model(model)
    try:
        sel = select_seeds(graph, strategy=_ALIASES.get(strategy, strategy), model=model,
                           rng=rng, **kw)
    except (ValueError, TypeError) as exc:  # say which plan asked (the message names the API)
        sized = f"k={k}" if budget is None else f"budget {budget:g}"
        try:
            again = type(exc)(f"Plan {name!r} (strategy {strategy}, {sized}): {exc}")
        except Exception:  # an exception type built otherwise: as it is
            raise exc from None
        raise again from exc
    return list(sel.seeds)


def plan_names(plans, auto):
    """A distinct name per plan: results, paired differences and figures are keyed by it.

    Parameters
    ----------
    plans : list of mapping
    auto : callable
        ``auto(i, plan)``: the name of a plan without ``name``; automatic
        names that collide get the plan's number (``degree #2``).

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        Two plans with the same explicit name.

    Examples
    --------
    >>> from viralsim.experiments import plan_names
    >>> plan_names([{"strategy": "degree"}, {"strategy": "degree"}, {"name": "mine"}],
    ...            lambda i, p: p.get("strategy") or f"plan {i + 1}")
    ['degree #1', 'degree #2', 'mine']
    """
    explicit = [None if p.get("name") is None else str(p["name"]) for p in plans]
    names = [n if n is not None else auto(i, p) for i, (n, p) in enumerate(zip(explicit, plans))]
    counts = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    names = [n if explicit[i] is not None or counts[n] == 1 else f"{n} #{i + 1}"
             for i, n in enumerate(names)]
    seen = set()
    for n in names:
        if n in seen:
            raise ValueError(f"experiment.plans has more than one plan named {n!r}; give each "
                             "plan its own name (plans are compared by name).")
        seen.add(n)
    return names


def numbers(value, key):
    """A list of numbers from a config value: one number is a list of one.

    Parameters
    ----------
    value : number, str, list or None
    key : str
        The config key, for the message.

    Returns
    -------
    list of float, or None when ``value`` is None

    Raises
    ------
    ValueError
        An item that is not a number.

    Examples
    --------
    >>> from viralsim.experiments import numbers
    >>> numbers(50, "experiment.budgets"), numbers(["10", 20], "experiment.budgets")
    ([50.0], [10.0, 20.0])
    """
    if value is None:
        return None
    items = [value] if isinstance(value, (int, float, str)) else list(value)
    out = []
    for v in items:
        try:
            if isinstance(v, bool):
                raise ValueError
            x = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"{key}={value!r}: expected numbers, e.g. {key}=[50,100]. "
                             f"{v!r} is not one.") from None
        out.append(x)
    return out
