"""How much a forecast moves with what it assumes: reach bands beside the simulation ±.

A reach estimate's confidence interval (:func:`viralsim.estimate_reach`)
says how precisely the simulation pinned down the expected reach *given*
the influence probabilities. It says nothing about the probabilities
themselves, which usually matter far more (the same plan's reach moves by
a factor of 30 between schemes a user could pick). :func:`estimate_reach_band`
re-runs a plan, in the same simulated worlds (common random numbers), either

- under the probability schemes a user could plausibly assume (weighted
  cascade, trivalency, uniform p's, and the graph's own): the lowest and
  highest expected reach across those assumptions; or
- across probability sets drawn from a fitted model's uncertainty
  (:meth:`viralsim.InfluenceFit.sample`): a 5-50-95% band of the expected
  reach.
"""

import math
from dataclasses import dataclass

import numpy as np

from ._validation import check_float, check_int
from .graph import FollowerGraph

__all__ = ["estimate_reach_band", "ReachBand", "ASSUMPTIONS"]

#: the probability schemes of an assumption band, besides the graph's own: weighted
#: cascade, trivalency, and the uniform p's of Kempe, Kleinberg & Tardos (2003)
ASSUMPTIONS = ("weighted_cascade", "trivalency", 0.01, 0.1)

_NAMES = {"weighted_cascade": "weighted cascade", "trivalency": "trivalency"}


@dataclass(frozen=True)
class ReachBand:
    """Expected reach across probability assumptions or fitted parameter draws.

    Attributes
    ----------
    kind : {"assumptions", "parameters"}
    low, central, high : float
        ``"assumptions"``: the lowest and highest expected reach across the
        assumptions, and the reach under the graph's own probabilities
        (``central``; the median across the assumptions when the graph has
        none). ``"parameters"``: the ``(1 - level) / 2``, 50% and
        ``(1 + level) / 2`` quantiles of the expected reach across the draws.
    level : float or None
        The band's level for ``"parameters"`` (0.9: a 90% band); None for
        ``"assumptions"`` (lowest to highest).
    labels : list of str
        What each value is (``"weighted cascade"``, ``"uniform 0.01"``,
        ``"as given"``; ``"draw 1"``, ...).
    means, stderrs : ndarray
        Each assumption's or draw's expected reach and its standard error
        (simulation noise).
    n_sims : int
        Worlds per assumption or draw (the same worlds for all).
    """

    kind: str
    low: float
    central: float
    high: float
    level: float | None
    labels: list
    means: np.ndarray
    stderrs: np.ndarray
    n_sims: int

    @property
    def n(self):
        """The number of assumptions or draws."""
        return len(self.labels)

    def describe(self):
        """The band in plain words, e.g. ``"across 20 plausible fitted parameter sets,
        870 to 1,190 (90% band)"``."""
        from .formatting import sig_fig

        lo, hi = sig_fig(self.low), sig_fig(self.high)
        if self.kind == "parameters":
            return (f"across {self.n} plausible fitted parameter sets, {lo} to {hi} "
                    f"({round(100 * self.level)}% band)")
        named = ", ".join(self.labels)
        return (f"across {self.n} probability assumptions ({named}), {lo} to {hi} "
                "(lowest to highest)")


def _assumption_graphs(graph, assumptions, gen):
    """``[(label, graph)]``: the graph's own probabilities first (when it has them), then
    each assumption (a scheme name or a uniform p)."""
    out = []
    if graph.probs is not None:
        out.append(("as given", graph))
    for a in assumptions:
        if isinstance(a, str) and a in _NAMES:
            rng = gen if a == "trivalency" else None
            out.append((_NAMES[a], graph.with_probabilities(a, rng=rng)))
        elif isinstance(a, (int, float, np.floating)) and not isinstance(a, bool) \
                and 0 <= float(a) <= 1:
            out.append((f"uniform {float(a):g}", graph.with_probabilities(float(a))))
        else:
            raise ValueError(
                f"The 'assumptions' parameter of estimate_reach_band names {a!r}; give "
                "'weighted_cascade', 'trivalency' or a uniform probability in [0, 1].")
    return out


def estimate_reach_band(source, seeds, *, assumptions=ASSUMPTIONS, n_draws=20, level=0.9,
                        model=None, n_sims=1000, rng=None, max_rounds=None):
    """Expected reach of ``seeds`` across what the probabilities could be.

    With a :class:`~viralsim.FollowerGraph`, the plan is re-run under each
    probability scheme of ``assumptions`` and under the graph's own
    probabilities (the *assumption* band: lowest, the graph's own, highest).
    With an :class:`~viralsim.InfluenceFit`, it is re-run on ``n_draws``
    graphs drawn from the fit's uncertainty (:meth:`~viralsim.InfluenceFit.sample`;
    the *parameter* band: the 5%, 50% and 95% quantiles for ``level=0.9``).
    Every run uses the same worlds (common random numbers), so the spread is
    the assumptions' or the parameters', not the simulation's.

    Parameters
    ----------
    source : FollowerGraph or InfluenceFit
    seeds : sequence of labels
    assumptions : sequence, default ("weighted_cascade", "trivalency", 0.01, 0.1)
        Scheme names (``"weighted_cascade"``, ``"trivalency"``) and uniform
        probabilities (floats). Graph sources only.
    n_draws : int, default 20
        Parameter draws (fit sources only).
    level : float, default 0.9
        The parameter band's level (fit sources only).
    model : DiffusionModel, optional
        Default: ``IC()`` for a graph, the fit's ``.model`` for a fit.
    n_sims : int, default 1000
        Worlds per assumption or draw.
    rng : int or Generator, optional
        An int is the worlds' seed itself, so the band's run under the
        graph's own probabilities equals ``estimate_reach(graph, seeds,
        model=model, n_sims=n_sims, rng=rng)``; trivalency and the parameter
        draws come from a generator derived from it.
    max_rounds : int, optional

    Returns
    -------
    ReachBand

    Raises
    ------
    TypeError
        ``source`` is neither a graph nor a fit.
    ValueError
        An unknown assumption, ``n_draws`` < 2, ``level`` outside (0, 1).

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.generators.holme_kim(200, 2, 0.3, rng=0).with_probabilities("weighted_cascade")
    >>> band = vs.estimate_reach_band(g, [0, 1], n_sims=200, rng=0)
    >>> band.labels
    ['as given', 'weighted cascade', 'trivalency', 'uniform 0.01', 'uniform 0.1']
    >>> band.low <= band.central <= band.high
    True
    >>> band.central == vs.estimate_reach(g, [0, 1], n_sims=200, rng=0).mean
    True
    """
    from .estimate import estimate_reach
    from .learn import InfluenceFit

    func = "estimate_reach_band"
    n_sims = check_int(n_sims, "n_sims", func, low=2)
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        seed = int(rng)
    else:
        seed = int(np.random.default_rng(rng).integers(2**63))
    gen = np.random.default_rng([seed, 0x62616E64])  # "band": trivalency, parameter draws
    if isinstance(source, InfluenceFit):
        n_draws = check_int(n_draws, "n_draws", func, low=2)
        level = check_float(level, "level", func, low=0.0, high=1.0, low_open=True,
                            high_open=True)
        model = source.model if model is None else model
        runs = [(f"draw {i + 1}", source.sample(gen)) for i in range(n_draws)]
        kind = "parameters"
    elif isinstance(source, FollowerGraph):
        if isinstance(assumptions, (str, float, int)):
            assumptions = [assumptions]
        runs = _assumption_graphs(source, list(assumptions), gen)
        if not runs:
            raise ValueError("estimate_reach_band: nothing to compare; give assumptions (or a "
                             "graph with probabilities).")
        kind, level = "assumptions", None
    else:
        raise TypeError(f"The 'source' parameter of {func} must be a FollowerGraph (a band "
                        f"across probability assumptions) or an InfluenceFit (across fitted "
                        f"parameter draws). Got {type(source).__name__} instead.")
    means, ses = [], []
    for _, g in runs:
        est = estimate_reach(g, seeds, model=model, n_sims=n_sims, rng=seed,
                             max_rounds=max_rounds, exposure=False)
        means.append(est.mean)
        ses.append(est.stderr)
    means, ses = np.array(means, dtype=np.float64), np.array(ses, dtype=np.float64)
    if kind == "parameters":
        lo, mid, hi = np.quantile(means, [(1 - level) / 2, 0.5, (1 + level) / 2])
    else:
        lo, hi = float(means.min()), float(means.max())
        mid = means[0] if runs[0][0] == "as given" else float(np.median(means))
    return ReachBand(kind=kind, low=float(lo), central=float(mid), high=float(hi),
                     level=level, labels=[lab for lab, _ in runs], means=means, stderrs=ses,
                     n_sims=n_sims)


def band_columns(band):
    """The columns a results row gets for ``band`` (``band_low``, ``band_central``,
    ``band_high``, ``band_kind``, ``band_n``, ``band_level``)."""
    return {"band_kind": band.kind, "band_low": band.low, "band_central": band.central,
            "band_high": band.high, "band_n": band.n,
            "band_level": band.level if band.level is not None else math.nan}
