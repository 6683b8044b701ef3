"""Backends that run batches of worlds: ``serial`` (default) and ``ray`` (optional extra).

A backend has one method::

    simulate(model, graph, seeds, key, start, n, *, max_rounds, tl_len, exposure)
        -> list of WorldBatch covering worlds start .. start + n - 1, in order

and is passed to :func:`viralsim.estimate_reach` as ``backend=``. Because
everything random in world r is a pure function of (key, r, node), a batch is
just ``(start, count)``: any split of the worlds into batches, run anywhere,
gives the same per-world outcomes, and :func:`estimate_reach` merges them as
exact integer sums. Results are therefore bit-identical across backends,
batch sizes, worker counts and thread counts.

Examples
--------
>>> import viralsim as vs
>>> g = vs.FollowerGraph.from_edges([0, 0], [1, 2], probs=0.5)
>>> a = vs.estimate_reach(g, [0], n_sims=1000, rng=3)
>>> b = vs.estimate_reach(g, [0], n_sims=1000, rng=3, backend=vs.distributed.SerialBackend(batch_size=64))
>>> (a.mean, a.stderr) == (b.mean, b.stderr)
True
"""

from .serial import SerialBackend

__all__ = ["SerialBackend", "get_backend", "split"]


def split(start, n, batch_size):
    """``(start, count)`` pairs covering ``start .. start + n - 1`` in batches of ``batch_size``.

    >>> from viralsim.distributed import split
    >>> split(10, 7, 3)
    [(10, 3), (13, 3), (16, 1)]
    """
    if int(batch_size) < 1:
        raise ValueError(f"batch_size={batch_size!r}: give a number of worlds per batch >= 1.")
    out = []
    s, end = int(start), int(start) + int(n)
    while s < end:
        c = min(int(batch_size), end - s)
        out.append((s, c))
        s += c
    return out


def get_backend(spec=None, **kwargs):
    """A backend from a name (``"serial"``, ``"ray"``), a config mapping with ``name``, or an instance."""
    if spec is None:
        spec = "serial"
    if hasattr(spec, "simulate"):
        return spec
    if isinstance(spec, str):
        spec = {"name": spec}
    spec = {**dict(spec), **kwargs}
    name = spec.pop("name", "serial")
    if "batch_size" in spec:  # -1 made batches of nothing (a hang), 0 meant "all at once"
        from .._limits import check_batch_size

        spec["batch_size"] = check_batch_size(spec["batch_size"])
    if name == "serial":
        return SerialBackend(**spec)
    if name == "ray":
        from .ray_backend import RayBackend

        return RayBackend.shared(**spec)
    raise ValueError(f"Unknown backend {name!r}; choose 'serial' or 'ray'.")
