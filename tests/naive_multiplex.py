"""Plain-Python twin of the by-round multiplex campaign kernel
(:func:`viralsim._kernels.campaign.multiplex_worlds`) for seed lists.

World ``r`` of layer ``l`` has the live edges of
:func:`viralsim._kernels.ic.ic_world_live_edges` under the key
``layer_key(key, l)``; an adopter that is not a seed comments on layer ``l``
(it is a member of) iff ``to_unit(node_state(world_key(layer_key(key, l), r,
DOMAIN_COMMENT), u)) < c_l``. Everything is recomputed from those definitions,
with sets and dicts: no scratch, no stamps, no prefetching, no fused passes.
"""

import numpy as np

from viralsim._kernels.campaign import layer_key
from viralsim._kernels.ic import ic_world_live_edges
from viralsim._kernels.rng import DOMAIN_COMMENT, node_state, to_unit, world_key


def multiplex_world(layers, members, cprobs, seeds, seed_layer, key, world, max_rounds=None,
                    segw=None):
    """One world: ``(reach, exposure, comments, impressions, segment reach, per-layer
    (exposure, comments, impressions))``; the seeds are a seed list on ``seed_layer``."""
    n_layers = len(layers)
    key = np.uint64(key)
    live = []
    for lay, g in enumerate(layers):
        mask = ic_world_live_edges(g.indptr, g.indices, g.probs,
                                   np.uint64(layer_key(key, np.int64(lay))), np.int64(world))
        live.append({(u, int(g.indices[e])) for u in range(g.n_nodes)
                     for e in range(g.indptr[u], g.indptr[u + 1]) if mask[e]})
    ckey = [np.uint64(world_key(np.uint64(layer_key(key, np.int64(lay))), np.int64(world),
                                DOMAIN_COMMENT)) for lay in range(n_layers)]
    order = list(dict.fromkeys(int(s) for s in seeds))  # adopters, in the order they came
    adopted = set(order)
    seen_on = [set() for _ in range(n_layers)]
    seen_on[seed_layer].update(order)
    com = [0] * n_layers
    imp = [0] * n_layers
    frontier, rnd = list(order), 0
    first = set(order)
    while frontier and (max_rounds is None or rnd < max_rounds):
        new = []
        for u in frontier:
            for lay, g in enumerate(layers):
                if not members[lay][u]:
                    continue
                if u not in first and cprobs[lay] < 1.0 and not (
                        to_unit(np.uint64(node_state(ckey[lay], np.uint64(u)))) < cprobs[lay]):
                    continue
                row = [int(v) for v in g.indices[g.indptr[u]:g.indptr[u + 1]]]
                com[lay] += 1
                imp[lay] += len(row)
                seen_on[lay].update(row)
                for v in row:
                    if (u, v) in live[lay] and v not in adopted:
                        adopted.add(v)
                        new.append(v)
        order += new
        frontier, rnd = new, rnd + 1
    seen = set().union(*seen_on)
    seg = 0.0
    if segw is not None:
        for v in order:
            seg += segw[v]
    per_layer = [(len(seen_on[lay]), com[lay], imp[lay]) for lay in range(n_layers)]
    return len(order), len(seen), sum(com), sum(imp), seg, per_layer
