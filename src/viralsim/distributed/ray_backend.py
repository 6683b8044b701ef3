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

Threads. Ray is started (or joined) once per process, under a lock: any number
of threads may call the backend at once. A local Ray that viralsim started is
shut down when the process exits, and its session folder (``<temp
dir>/ray/session_...``) removed (:func:`shutdown_started`); a Ray that the
caller started (``ray.init`` before viralsim's first call) is left alone.
"""

import atexit
import logging
import os
import shutil
import socket
import sys
import threading
import weakref

from .._validation import shown

__all__ = ["RayBackend", "shutdown_started"]

# ray.init once per process: threads calling the backend together must not race to it
# (Ray: "Perhaps you called ray.init twice by accident?")
_INIT_LOCK = threading.RLock()
_STARTED = []  # session folders of the local Rays this process started
_AT_EXIT = []  # whether shutdown_started is registered with atexit


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
            f"'ray://host:port'. Got {shown(address)} instead."
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


def _session_dir(ray, ctx=None):
    """The session folder of the Ray this process is connected to, or None."""
    try:
        return ctx.address_info["session_dir"]
    except (AttributeError, KeyError, TypeError):
        pass
    try:
        return ray._private.worker._global_node.get_session_dir_path()
    except Exception:
        return None


def _started_here(ray):
    """Whether this process started the Ray it is connected to (its head node), not
    joined one that was running (``ray.init()`` joins a local cluster it finds)."""
    try:
        return bool(ray._private.worker._global_node.head)
    except Exception:
        return False


_OWNER = []  # [queue] of the thread that starts local Rays, once started


def _owner_thread_call(fn):
    """``fn()`` in a thread that lives as long as the process, and its result.

    Ray starts its local processes (GCS, raylet) with a parent-death signal, and
    Linux sends it when the *thread* that started them ends: a Ray started by a
    worker thread of the caller dies with that thread, under the other threads
    still using it. The main thread, or this one daemon thread, outlive them.
    """
    if threading.current_thread() is threading.main_thread():
        return fn()
    import queue

    with _INIT_LOCK:
        if not _OWNER:
            jobs = queue.Queue()

            def serve():
                while True:
                    job, box, done = jobs.get()
                    try:
                        box["ok"] = job()
                    except BaseException as exc:  # handed to the calling thread
                        box["error"] = exc
                    done.set()

            threading.Thread(target=serve, name="viralsim-ray-owner", daemon=True).start()
            _OWNER.append(jobs)
    box, done = {}, threading.Event()
    _OWNER[0].put((fn, box, done))
    done.wait()
    if "error" in box:
        raise box["error"]
    return box["ok"]


def _start_local(ray, kw):
    """``ray.init`` of a local Ray started by this process (in a thread that outlives
    it, :func:`_owner_thread_call`): its session is remembered, and shut down (its
    folder removed) at exit."""
    quiet = _DropMessage("SIGTERM handler is not set")  # ray.init off the main thread says so
    ray_log = logging.getLogger("ray._private.worker")
    ray_log.addFilter(quiet)
    try:
        ctx = _owner_thread_call(lambda: ray.init(**kw))
    finally:
        ray_log.removeFilter(quiet)
    if _started_here(ray):
        d = _session_dir(ray, ctx)
        if d:
            _STARTED.append(d)
        if not _AT_EXIT:
            # registered after Ray's own handler (which ray.init registers): runs first
            atexit.register(shutdown_started)
            _AT_EXIT.append(True)
    return ctx


def shutdown_started():
    """Shut down the local Ray that viralsim started in this process (if it still
    runs) and remove the session folders of the local Rays it started; a Ray
    the caller started is left alone. Called at exit; safe to call any time."""
    with _INIT_LOCK:
        ray = sys.modules.get("ray")
        if not _STARTED or ray is None:
            return
        try:
            current = _session_dir(ray) if ray.is_initialized() else None
        except Exception:
            current = None
        if current is not None and current in _STARTED:
            ray.shutdown()
            current = None
        for d in list(_STARTED):
            if d == current:  # not ours any more: another init reuses it
                continue
            shutil.rmtree(d, ignore_errors=True)
            latest = os.path.join(os.path.dirname(d), "session_latest")
            if os.path.islink(latest) and os.path.realpath(latest) == os.path.realpath(d):
                try:
                    os.unlink(latest)
                except OSError:
                    pass
            _STARTED.remove(d)


def _run_batch(model, graph, seeds, key, start, count, kw):
    import numba

    from .._memory import kernel_memory

    numba.set_num_threads(1)
    with kernel_memory(f"simulating a batch of {count:,} worlds in a Ray worker",
                       "backend.batch_size (worlds per task), n_sims or max_rounds"):
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
    _shared_lock = threading.Lock()

    def __init__(self, address=None, num_cpus=None, batch_size=20_000, init_timeout_s=30.0,
                 progress=None):
        self.address = address
        self.num_cpus = num_cpus
        self.batch_size = int(batch_size)
        if self.batch_size < 1:
            raise ValueError(f"The 'batch_size' parameter of the ray backend must be an int >= 1. "
                             f"Got {shown(batch_size)} instead.")
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
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls(**kwargs)
            return cls._shared[key]

    def _ensure(self):
        ray = _import_ray()
        if not ray.is_initialized():
            with _INIT_LOCK:  # one thread starts Ray; the others wait and then use it
                if not ray.is_initialized():
                    self._init(ray)
        with self._lock:
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

    def _init(self, ray):
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
        elif "address" in kw:
            ray.init(**kw)  # "auto": joins a running cluster, which is not ours to stop
        else:
            _start_local(ray, kw)

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
