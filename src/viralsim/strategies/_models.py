"""How a diffusion model plugs into the strategies that exploit its structure.

CELF's incremental per-world gains and reverse-reachable sampling (IMM,
OPIM-C) need a model whose worlds are live-edge graphs of an independent
cascade. A model says so by being :class:`viralsim.IC`, or by defining::

    def _ic_equivalent(self, graph):
        '''A FollowerGraph on which vs.IC() behaves exactly like this model
        on ``graph`` (e.g. other edge probabilities), or None.'''

(a word-of-mouth model with reinforcement and amplification off, for
instance, is an independent cascade with probabilities ``gamma * p`` on
off-target followers). Every other model still works with CELF, through
its ``_simulate`` on the same fixed worlds (slower; no guarantee when the
model is not submodular), and is refused by IMM/OPIM-C with
:class:`~viralsim.ModelNotSupported`.
"""

from ..models import IC


def ic_equivalent(model, graph):
    """The graph on which IC equals ``model``, or None when there is none."""
    if type(model) is IC:
        return graph
    hook = getattr(model, "_ic_equivalent", None)
    if hook is None:
        return None
    return hook(graph)


def model_label(model):
    return getattr(model, "name", type(model).__name__)
