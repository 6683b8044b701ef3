"""A child process that runs fuzzed calls of viralsim's public functions (issue 20).

The fuzz tests (``test_fuzz_api.py``, ``test_fuzz_actionlog.py``) draw cases
with hypothesis in the test process and send each to one long-lived worker
(Numba's kernels load once). The worker runs under ``RLIMIT_AS`` (no case can
take the machine's memory: past the bound numpy and Numba raise
``MemoryError``) and turns ``RuntimeWarning`` into an error (an overflow or a
division by zero is a finding, not noise). The parent waits a bounded time
for each answer: a case that does not answer in time is a hang, the worker is
killed and a fresh one started.

A case is ``(name, args, kwargs)``: ``name`` one of :data:`CALLS`; arguments
may hold :class:`Ref` (a fixture built in the worker: a graph, an action log,
a fit) and :class:`Make` (a viralsim object built in the worker, its
construction being part of the call).
"""

import math
import multiprocessing
import os
import re
import resource
import traceback
import warnings

# one-line clean errors of the public API (issue 20's rule)
CLEAN_NAMES = ("ViralsimError", "ValueError", "TypeError", "MemoryError")
# a message quotes numbers as numbers: 28, not np.int64(28)
NUMPY_REPR = re.compile(r"\bnp\.(u?int\d+|float\d+|bool_?|str_|complex\d+)\(|array\(\[")


class Ref:
    """A fixture of the worker, by name (see ``_fixtures``)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"Ref({self.name!r})"


class Make:
    """``getattr(viralsim, cls)(*args, **kwargs)``, built in the worker."""

    def __init__(self, cls, *args, **kwargs):
        self.cls, self.args, self.kwargs = cls, args, kwargs

    def __repr__(self):
        inner = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.cls}({', '.join(inner)})"


def _fixtures():
    import numpy as np

    import viralsim as vs

    g = vs.generators.barabasi_albert(30, 2, rng=1).with_probabilities("weighted_cascade")
    runners = np.zeros(g.n_nodes, dtype=bool)
    runners[::3] = True
    g = g.with_node_attr("runners", runners).with_node_attr(
        "w", np.linspace(0.0, 1.0, g.n_nodes))
    src, dst = g.edges()[:2]
    names = np.array([f"u{i}" for i in range(g.n_nodes)])
    gs = vs.FollowerGraph.from_edges(names[src], names[dst], probs=0.2)
    gnp = vs.FollowerGraph.from_edges(src, dst)  # no probabilities
    g1 = vs.FollowerGraph.from_edges([0], [1], probs=1.0)
    g0 = vs.FollowerGraph.from_edges([], [], n_nodes=3, probs=0.5)
    rng = np.random.default_rng(3)
    items, users, times = [], [], []
    for it in range(12):
        for j, u in enumerate(rng.choice(g.n_nodes, size=4, replace=False).tolist()):
            items.append(f"i{it}")
            users.append(u)
            times.append(float(it * 10 + j))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = vs.ActionLog.from_arrays(g, items, users, times)
        fit = vs.fit_influence(g, log, method="em", max_iter=20)
    return {"g": g, "gs": gs, "gnp": gnp, "g1": g1, "g0": g0, "log": log, "fit": fit,
            "mux": vs.MultiplexGraph({"a": g, "b": g.with_probabilities(0.1)})}


def _resolve(x, fx, vs):
    if isinstance(x, Ref):
        return fx[x.name]
    if isinstance(x, Make):
        target = vs
        for part in x.cls.split("."):
            target = getattr(target, part)
        return target(*_resolve(list(x.args), fx, vs),
                      **{k: _resolve(v, fx, vs) for k, v in x.kwargs.items()})
    if isinstance(x, list):
        return [_resolve(v, fx, vs) for v in x]
    if isinstance(x, tuple):
        return tuple(_resolve(v, fx, vs) for v in x)
    if isinstance(x, dict):
        return {k: _resolve(v, fx, vs) for k, v in x.items()}
    return x


def _calls(vs):
    from viralsim.strategies import get_strategy

    def graph_method(g, method, *a, **k):
        return getattr(g, method)(*a, **k)

    def strategy(name, params, g, **k):
        return get_strategy(name, **params).select(g, **k)

    def log_then(path, kw, then):
        """Read a log, then use it as a caller would: learn from it, forecast it, split it."""
        log = vs.read_action_log(path, **kw)
        if then == "split":
            return log.split("time", test_size=0.5)
        fit = vs.fit_influence(log.graph, log, max_iter=10)
        if then == "fit":
            return fit
        return vs.backtest(fit, log, n_sims=20, n_draws=2, rng=0)

    return {
        "log_then": log_then,
        "estimate_reach": vs.estimate_reach,
        "select_seeds": vs.select_seeds,
        "strategy": strategy,
        "compare_strategies": vs.compare_strategies,
        "from_edges": vs.FollowerGraph.from_edges,
        "graph_method": graph_method,
        "read_action_log": vs.read_action_log,
        "from_arrays": vs.ActionLog.from_arrays,
        "fit_influence": vs.fit_influence,
        "backtest": vs.backtest,
        "estimate_campaign": vs.estimate_campaign,
        "allocate_budget": vs.allocate_budget,
        "make": lambda obj: obj,  # a Make alone: the constructor is the call
    }


def _run(case, fx, calls, vs):
    """``("ok", what)``, ``("clean", type, msg)`` or ``("other", type, msg, traceback)``."""
    name, args, kwargs = case
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", RuntimeWarning)
            out = calls[name](*_resolve(list(args), fx, vs),
                              **{k: _resolve(v, fx, vs) for k, v in kwargs.items()})
            _touch(out)
        return ("ok", type(out).__name__)
    except BaseException as exc:  # every exception is classified
        kinds = [c.__name__ for c in type(exc).__mro__]
        msg = str(exc)
        if any(k in CLEAN_NAMES for k in kinds):
            return ("clean", type(exc).__name__, msg)
        return ("other", type(exc).__name__, msg, traceback.format_exc(limit=12))


def _touch(out):
    """Use a result as a caller would (its repr, its numbers), so a lazy failure shows."""
    repr(out)
    for attr in ("mean", "reach", "spread"):
        v = getattr(out, attr, None)
        if isinstance(v, float) and math.isnan(v):
            raise AssertionError(f"result {type(out).__name__}.{attr} is NaN")


def serve(conn, limit_bytes):
    """The worker's loop: warm up, then answer cases until told to stop (None)."""
    if limit_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    import viralsim as vs

    fx = _fixtures()
    calls = _calls(vs)
    for warm in (("estimate_reach", (Ref("g"), [0, 1]), {"n_sims": 50, "rng": 0}),
                 ("select_seeds", (Ref("g"), 2), {"strategy": "imm", "rng": 0}),
                 ("estimate_campaign", (Ref("g"), [Make("AdBuy", spend=5.0, cpm=2.0)]),
                  {"n_sims": 20, "rng": 0})):
        _run(warm, fx, calls, vs)
    conn.send(("ready", None))
    while True:
        case = conn.recv()
        if case is None:
            break
        conn.send(_run(case, fx, calls, vs))
    conn.send(("peak_rss_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


CHILD_ENV = {"NUMBA_NUM_THREADS": "2", "MALLOC_ARENA_MAX": "2"}


class Worker:
    """The parent's handle: ``call(case)`` -> the worker's answer, or ``("hang", ...)``
    / ``("crash", ...)`` (then a fresh worker serves the next case)."""

    def __init__(self, limit_bytes=4 << 30, timeout=60.0, start_timeout=600.0):
        self.limit_bytes, self.timeout, self.start_timeout = limit_bytes, timeout, start_timeout
        self.ctx = multiprocessing.get_context("spawn")
        self.proc = None
        self.peak_rss_kib = 0

    def _start(self):
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=serve, args=(child, self.limit_bytes), daemon=True)
        # the address-space bound counts reserved memory: a few threads and malloc arenas
        # keep the worker's baseline (about 1 GiB) the same on a many-core machine
        saved = {k: os.environ.get(k) for k in CHILD_ENV}
        os.environ.update(CHILD_ENV)
        try:
            self.proc.start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        child.close()
        if not self.conn.poll(self.start_timeout):
            self._kill()
            raise RuntimeError("the fuzz worker did not start in time")
        try:
            self.conn.recv()
        except EOFError as exc:
            code = self.proc.exitcode
            self._kill()
            raise RuntimeError(f"the fuzz worker died while starting (exit code {code})") from exc

    def _kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.join(10)
            self.proc = None

    def call(self, case):
        if self.proc is None:
            self._start()
        try:
            self.conn.send(case)
        except (BrokenPipeError, OSError) as exc:
            self._kill()
            return ("crash", type(exc).__name__, str(exc))
        if not self.conn.poll(self.timeout):
            self._kill()
            return ("hang", "Timeout", f"no answer in {self.timeout:g} s")
        try:
            return self.conn.recv()
        except (EOFError, OSError) as exc:
            code = self.proc.exitcode if self.proc is not None else None
            self._kill()
            return ("crash", type(exc).__name__, f"worker died (exit code {code})")

    def close(self):
        if self.proc is None:
            return
        try:
            self.conn.send(None)
            if self.conn.poll(30):
                tag, kib = self.conn.recv()
                self.peak_rss_kib = max(self.peak_rss_kib, kib)
        except (EOFError, OSError):
            pass
        self.proc.join(30)
        self._kill()


class Tally:
    """Counts of outcomes, printed at the end of a fuzz module."""

    def __init__(self, title):
        self.title = title
        self.counts = {}
        self.messages = {}  # (call, first words of the message) -> count
        self.findings = {}  # (exception type, where) -> the first case (VIRALSIM_FUZZ_COLLECT)

    def add(self, name, outcome, msg=None):
        key = (name, outcome)
        self.counts[key] = self.counts.get(key, 0) + 1
        if msg is not None:
            k = (name, " ".join(msg.split()[:7]))
            self.messages[k] = self.messages.get(k, 0) + 1

    def report(self, worker=None):
        total = sum(self.counts.values())
        by = {}
        for (_, outcome), c in self.counts.items():
            by[outcome] = by.get(outcome, 0) + c
        lines = [f"{self.title}: {total} inputs tried: "
                 + ", ".join(f"{by.get(k, 0)} {k}" for k in ("ok", "clean", "other", "hang",
                                                              "crash"))]
        for (name, outcome), c in sorted(self.counts.items()):
            lines.append(f"  {name:20s} {outcome:6s} {c}")
        if os.environ.get("VIRALSIM_FUZZ_MESSAGES"):
            for (name, head), c in sorted(self.messages.items()):
                lines.append(f"    {name:20s} {c:5d}  {head}")
        for text in self.findings.values():
            lines.append("FINDING " + text)
        if worker is not None and worker.peak_rss_kib:
            lines.append(f"  worker peak RSS {worker.peak_rss_kib / 1024:.0f} MiB "
                         f"(RLIMIT_AS {worker.limit_bytes >> 20} MiB)")
        return "\n".join(lines)


def fuzz_fixtures(name, *, full):
    """The module-scoped ``worker`` and ``tally`` fixtures of the fuzz test file ``name``
    (assign them to those names in the test module)."""
    import pytest

    @pytest.fixture(scope="module")
    def worker():
        w = Worker(limit_bytes=(4 << 30), timeout=(120.0 if full else 60.0))
        yield w
        w.close()

    @pytest.fixture(scope="module")
    def tally(worker):
        t = Tally(name)
        yield t
        print("\n" + t.report(worker))

    return worker, tally


def check(worker, tally, case):
    """Run ``case`` in the worker; fail unless it gave a result or one clean one-line error."""
    ans = worker.call(case)
    tally.add(case[0], ans[0], ans[2] if ans[0] == "clean" else None)
    if ans[0] == "ok":
        return ans
    if ans[0] == "clean":
        msg = ans[2]
        assert msg.strip() and "\n" not in msg and "\r" not in msg, (
            f"{case!r} raised {ans[1]} with a message that is not one line: {msg!r}")
        assert not NUMPY_REPR.search(msg), (
            f"{case!r} raised {ans[1]} with a message quoting a numpy repr: {msg!r}")
        return ans
    detail = ans[3] if len(ans) > 3 else ans[2]
    if os.environ.get("VIRALSIM_FUZZ_COLLECT"):  # explore: list every distinct finding
        where = detail.strip().splitlines()[-3].strip() if detail.count("\n") > 2 else ""
        key = (ans[1], where)
        if key not in tally.findings:
            tally.findings[key] = f"{case!r} -> {ans[1]}: {ans[2][:300]}\n{detail}"
        return ans
    raise AssertionError(f"{case!r} -> {ans[0]} {ans[1]}: {ans[2]}\n{detail}")
