"""How a diffusion model plugs into the strategies that exploit its structure.

CELF's incremental per-world gains need worlds that are live-edge graphs of an
independent cascade; reverse-reachable sampling (IMM, OPIM-C) needs a way to
sample the sets of nodes that would reach a random root. Built in:

- :class:`viralsim.IC`: both;
- :class:`viralsim.WordOfMouth` with ``reinforcement = amplification = 0``:
  with ``comment_prob = 1`` it is an independent cascade with probability
  ``p(u, v) · (w_v + γ (1 − w_v))`` (off-target thinning), so both; with
  ``comment_prob < 1`` RR sets only (a node relays only when it comments);
- :class:`viralsim.LinearThreshold`: RR sets (backward walks, one in-edge per
  node by weight).

CELF serves the others (reinforcement, amplification, LT, horizons) by
re-simulating candidates in the same worlds with the model's own kernel.
Another model plugs in by defining::

    def _ic_equivalent(self, graph):
        '''A FollowerGraph on which vs.IC() behaves like this model on
        ``graph`` (in distribution), or None.'''
"""

import numpy as np

from .._kernels.rr import MODE_IC, MODE_IC_COMMENT, MODE_LT
from ..models import IC, LinearThreshold, WordOfMouth, segment_weights


def _wom_probs_graph(model, graph):
    """The graph with WOM's off-target thinning folded into the edge probabilities."""
    if model.segment_attr is None or model.off_target_factor == 1.0:
        return graph
    w, _ = segment_weights(graph, model.segment_attr, "WordOfMouth")
    a = w + model.off_target_factor * (1.0 - w)
    return graph.with_probabilities(graph.probs.astype(np.float64) * a[graph.indices])


def _wom_live_edge(model):
    return model.reinforcement == 0.0 and model.amplification == 0.0


def shares_ic_worlds(model):
    """Whether ``model``'s worlds are ``vs.IC()``'s on the same graph, world by world.

    True for :class:`~viralsim.IC` and for :class:`~viralsim.WordOfMouth` that
    reduces to it with the probabilities unchanged (no reinforcement or
    amplification, ``comment_prob = 1``, no off-target thinning): then a
    quantity computed in IC's worlds (a weighted reach) and the model's own
    reach come from the same worlds. The one home of this check.

    Parameters
    ----------
    model : DiffusionModel

    Returns
    -------
    bool

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim.strategies._models import shares_ic_worlds
    >>> shares_ic_worlds(vs.IC()), shares_ic_worlds(vs.WordOfMouth(comment_prob=0.5))
    (True, False)
    """
    if type(model) is IC:
        return True
    return (type(model) is WordOfMouth and _wom_live_edge(model) and model.comment_prob == 1.0
            and model.off_target_factor == 1.0)


def ic_equivalent(model, graph):
    """The graph on which IC equals ``model`` in distribution, or None when there is none.

    For a model that :func:`shares_ic_worlds` it is ``graph`` itself (the very
    same worlds).
    """
    if shares_ic_worlds(model):
        return graph
    if type(model) is WordOfMouth:
        if _wom_live_edge(model) and model.comment_prob == 1.0:
            return _wom_probs_graph(model, graph)
        return None
    hook = getattr(model, "_ic_equivalent", None)
    return None if hook is None else hook(graph)


def reverse_sampler(model, graph):
    """``(mode, graph, comment_prob)`` for RR sets of ``model``, or None.

    ``graph``'s reverse CSR drives the sets: edge probabilities for the
    cascade modes, normalised in-weights for LT.
    """
    g = ic_equivalent(model, graph)
    if g is not None:
        return MODE_IC, g, 1.0
    if type(model) is WordOfMouth and _wom_live_edge(model):
        return MODE_IC_COMMENT, _wom_probs_graph(model, graph), float(model.comment_prob)
    if type(model) is LinearThreshold:
        return MODE_LT, graph.with_probabilities(model.edge_weights(graph)), 1.0
    return None


def model_label(model):
    return getattr(model, "name", type(model).__name__)
