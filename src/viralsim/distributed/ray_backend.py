"""The Ray backend (``pip install ".[ray]"``): batches of worlds as Ray tasks.

- The graph is put into the object store once per graph (``ray.put``); its
  numpy arrays are read zero-copy by the workers of a node.
- Each task runs ``count`` worlds starting at ``start`` with Numba set to one
  thread: parallelism comes from Ray workers (one per CPU), not from threads
  inside them, so the machine is not oversubscribed.
- ``address=None`` starts (or joins) a local Ray with ``num_cpus``; ``"auto"``
  or ``"host:port"`` / ``"ray://host:10001"`` joins a cluster. An address
  that does not answer within ``init_timeout_s`` raises :class:`ConnectionError`.

Results are bit-identical to the serial backend (see :mod:`viralsim.distributed`).
"""

import logging
import socket
import threading
import weakref

__all__ = ["RayBackend"]


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ImportError(
            "backend=ray needs Ray: pip install '.[ray]' in a clone of viralsim (or pip install ray)."
        ) from None
    return ray


def _probe(address, timeout):
    """TCP-connect to ``host:port`` within ``timeout`` seconds, or raise ConnectionError."""
    a = address
    for prefix in ("ray://", "http://", "https://"):
        if a.startswith(prefix):
            a = a[len(prefix):]
    host, _, port = a.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(
            f"The 'address' parameter of the ray backend must be 'auto', 'host:port' or "
            f"'ray://host:port'. Got {address!r} instead."
        )
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        what = ("refused the connection (nothing listens there)"
                if isinstance(exc, ConnectionRefusedError)
                else f"did not answer within {timeout:g} s ({exc})")
        raise ConnectionError(
            f"The Ray address {address!r} {what}. Start the cluster (ray start --head), fix "
            f"backend.address, or use backend.address=null for a local Ray."
        ) from None


class _DropMessage(logging.Filter):
    def __init__(self, start):
        super().__init__()
        self.start = start

    def filter(self, record):
        return not str(record.msg).startswith(self.start)


def _init_bounded(ray, kw, address, timeout):
    """``ray.init`` that gives up after ``timeout`` s: an address that accepts TCP but
    never speaks Ray's protocol would otherwise block for minutes."""
    box = {}

    def target():
        try:
            box["ok"] = ray.init(**kw)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    # ray.init in a helper thread cannot set Ray's SIGTERM handler and says so; SIGTERM
    # still ends the process (Python's default), so the warning is only noise here
    quiet = _DropMessage("SIGTERM handler is not set")
    ray_log = logging.getLogger("ray._private.worker")
    ray_log.addFilter(quiet)
    th = threading.Thread(target=target, daemon=True, name="viralsim-ray-init")
    th.start()
    th.join(timeout)
    if not th.is_alive():
        ray_log.removeFilter(quiet)
    if th.is_alive():
        raise ConnectionError(
            f"The Ray address {address!r} did not answer within {timeout:g} s (it accepts "
            f"connections but no Ray cluster replied). Check backend.address, or use "
            f"backend.address=null for a local Ray."
        )
    if "error" in box:
        raise ConnectionError(f"Could not join the Ray cluster at {address!r}: {box['error']}") \
            from box["error"]


def _run_batch(model, graph, seeds, key, start, count, kw):
    import numba

    numba.set_num_threads(1)
    return model._simulate(graph, seeds, key, start, count, **kw)


class RayBackend:
    """Run batches of worlds as Ray tasks; see the module docstring.

    Parameters
    ----------
    address : str, optional
    num_cpus : int, optional
        CPUs of a local Ray started here (ignored when joining a cluster).
    batch_size : int, default 20,000
        Worlds per task; choose it so a task runs 0.1-1 s.
    init_timeout_s : float, default 30
        Bounded wait for a cluster address to answer.
    """

    name = "ray"
    _shared = {}

    def __init__(self, address=None, num_cpus=None, batch_size=20_000, init_timeout_s=30.0,
                 progress=None):
        self.address = address
        self.num_cpus = num_cpus
        self.batch_size = int(batch_size)
        if self.batch_size < 1:
            raise ValueError(f"The 'batch_size' parameter of the ray backend must be an int >= 1. "
                             f"Got {batch_size!r} instead.")
        self.init_timeout_s = float(init_timeout_s)
        self.progress = progress
        self._refs = {}  # id(graph) -> (weakref to graph, its object-store reference)
        self._session = None  # the Ray session the references belong to
        self._task = None
        self._lock = threading.Lock()

    @classmethod
    def shared(cls, **kwargs):
        """One backend (and one graph cache) per configuration in this process."""
        key = tuple(sorted(kwargs.items()))
        if key not in cls._shared:
            cls._shared[key] = cls(**kwargs)
        return cls._shared[key]

    def _ensure(self):
        ray = _import_ray()
        if not ray.is_initialized():
            if self.address not in (None, "auto", "local"):
                _probe(self.address, self.init_timeout_s)
            kw = {"ignore_reinit_error": True, "include_dashboard": False,
                  "log_to_driver": False, "configure_logging": False,
                  "runtime_env": {"env_vars": {"NUMBA_NUM_THREADS": "1"}}}
            if self.address not in (None, "local"):
                kw["address"] = self.address
            elif self.num_cpus is not None:
                kw["num_cpus"] = int(self.num_cpus)
            if "address" in kw and kw["address"] != "auto":
                _init_bounded(ray, kw, self.address, self.init_timeout_s)
            else:
                ray.init(**kw)
        if self._task is None:
            self._task = ray.remote(_run_batch).options(num_cpus=1)
        ctx = ray.get_runtime_context()
        session = (ctx.get_node_id(), ctx.get_job_id())  # a new local Ray restarts job ids
        if session != self._session:
            # after ray.shutdown() and a new ray.init(), the old references are dead
            with self._lock:
                self._refs.clear()
                self._session = session
        return ray

    def graph_ref(self, graph):
        """The object-store reference of ``graph``: put once per Ray session, and
        released (for Ray to free) when the graph is garbage-collected."""
        ray = self._ensure()
        key = id(graph)
        with self._lock:
            hit = self._refs.get(key)
            if hit is None or hit[0]() is not graph:
                refs = self._refs

                def forget(wr, key=key):
                    if refs.get(key, (None,))[0] is wr:
                        refs.pop(key, None)

                hit = (weakref.ref(graph, forget), ray.put(graph))
                self._refs[key] = hit
        return hit[1]

    def simulate(self, model, graph, seeds, key, start, n, **kw):
        from . import split
        from .serial import progress_enabled

        ray = self._ensure()
        gref = self.graph_ref(graph)
        sref = ray.put(seeds)
        futures = [self._task.remote(model, gref, sref, key, s, c, kw)
                   for s, c in split(start, n, self.batch_size)]
        if progress_enabled(self.progress) and len(futures) > 1:
            from tqdm.auto import tqdm

            with tqdm(total=len(futures), unit="batch", leave=False, desc="ray batches") as bar:
                pending = list(futures)
                while pending:
                    done, pending = ray.wait(pending, num_returns=1)
                    bar.update(len(done))
        return ray.get(futures)  # in world order

    def close(self):
        self._refs.clear()
