"""Diffusion models: small frozen descriptions that know which kernel runs them.

A model's ``_simulate`` runs a batch of worlds and returns a :class:`WorldBatch`
of per-world outcomes. Models hold parameters only; randomness comes from the
world key passed in (see DESIGN.md, "Randomness: worlds, not streams").
"""

from dataclasses import dataclass, field

import numba
import numpy as np

from ._kernels import ic as _ic

__all__ = ["DiffusionModel", "IC", "WorldBatch"]


@dataclass
class WorldBatch:
    """Outcomes of worlds ``start .. start + n - 1``.

    Attributes
    ----------
    metrics : dict of str to ndarray (n,)
        Per-world values: ``"reach"`` (adopters) and ``"exposure"`` (distinct
        viewers) at least; models may add more (comments, impressions, ...).
    timelines : dict of str to (sum, sumsq) int64 arrays (tl_len,)
        Per-round totals over the batch: ``"adopters"`` at least.
    edge_visits : int
        Out-edges of commenting nodes, summed over worlds.
    """

    metrics: dict
    timelines: dict
    edge_visits: int = 0
    n_worlds: int = 0


class DiffusionModel:
    """Base class. Subclasses are frozen dataclasses."""

    name = "model"
    #: True when the model is equivalent to a distribution over live-edge graphs
    #: (so reach is monotone and submodular and reverse-reachable sampling applies).
    is_live_edge = False

    def _simulate(self, graph, seeds, key, start, n, *, max_rounds, tl_len, exposure):
        raise NotImplementedError

    def _validate_for(self, graph, func):
        """Check that ``graph`` has what the model needs; raise a clear error if not."""
        graph._require_probs(func)


@dataclass(frozen=True)
class IC(DiffusionModel):
    """Independent cascade (Kempe, Kleinberg & Tardos 2003).

    Each adopter ``u`` comments once, in the round after adopting; each
    follower ``v`` who has not adopted yet adopts with probability
    ``p(u, v)``, independently of everything else.

    Notes
    -----
    Live-edge model: equivalent to keeping each edge independently with its
    probability and taking everything reachable from the seeds, so reach is
    monotone and submodular in the seed set.

    References
    ----------
    D. Kempe, J. Kleinberg, É. Tardos. Maximizing the spread of influence
    through a social network. KDD 2003.

    Examples
    --------
    >>> import viralsim as vs
    >>> vs.IC().is_live_edge
    True
    """

    name: str = field(default="ic", init=False, repr=False)
    is_live_edge = True

    def _simulate(self, graph, seeds, key, start, n, *, max_rounds, tl_len, exposure):
        nt = max(1, min(numba.get_num_threads(), n))
        reach = np.empty(n, dtype=np.int64)
        expo = np.empty(n, dtype=np.int64)
        tl_sum = np.zeros((nt, tl_len), dtype=np.int64)
        tl_sq = np.zeros((nt, tl_len), dtype=np.int64)
        visits = np.zeros(nt, dtype=np.int64)
        _ic.ic_worlds(
            graph.indptr,
            graph.indices,
            graph.probs,
            graph._derived("skip_row_none_live", _ic.skip_row_none_live),
            seeds,
            np.uint64(key),
            np.int64(start),
            np.int64(n),
            np.int64(-1 if max_rounds is None else max_rounds),
            bool(exposure),
            reach,
            expo,
            tl_sum,
            tl_sq,
            visits,
        )
        return WorldBatch(
            metrics={"reach": reach, "exposure": expo},
            timelines={"adopters": (tl_sum.sum(axis=0), tl_sq.sum(axis=0))},
            edge_visits=int(visits.sum()),
            n_worlds=n,
        )
