"""Cancel and progress inside long calls (viralsim._progress): same numbers, a prompt stop,
the first-compile notice."""

import threading
import time

import numba
import numpy as np
import pytest

import viralsim as vs
from viralsim import _progress
from viralsim._progress import Cancelled, listening


@pytest.fixture
def small_pieces(monkeypatch):
    """Pieces of about 3 ms: many pieces even on small inputs."""
    monkeypatch.setattr(_progress, "PIECE_SECONDS", 0.003)


def _graph(n=3000, rng=1):
    return vs.generators.scale_free(n, rng=rng).with_probabilities("weighted_cascade")


def test_pieces_change_no_number(small_pieces):
    g = _graph()
    seg = g.with_node_attr("seg", np.arange(g.n_nodes) % 3 == 0)
    small = _graph(300, rng=5)
    said = []
    runs = []
    for listen in (False, True):
        ctx = listening(report=said.append, every=0.0, after=0.0) if listen else _nothing()
        with ctx:
            est = vs.estimate_reach(seg, [0, 5, 9], model=vs.IC(segment_attr="seg"), n_sims=3000,
                                    rng=4, return_sizes=True)
            imm = vs.select_seeds(g, k=5, strategy="imm", rng=2, min_rr_sets=20_000)
            celf = vs.select_seeds(small, k=3, strategy="celf", n_worlds=50, rng=3)
        runs.append((est, imm, celf))
    (e0, i0, c0), (e1, i1, c1) = runs
    assert e0.mean == e1.mean and e0.exposure.mean == e1.exposure.mean
    assert e0.metrics["segment_reach"].mean == e1.metrics["segment_reach"].mean
    np.testing.assert_array_equal(e0.sizes, e1.sizes)
    np.testing.assert_array_equal(np.asarray(e0.timeline), np.asarray(e1.timeline))
    assert i0.seeds == i1.seeds and i0.spread == i1.spread
    np.testing.assert_array_equal(i0.gains, i1.gains)
    assert c0.seeds == c1.seeds and c0.spread == c1.spread
    # the work was cut (progress lines from each kind of call)
    assert any("simulating worlds" in t for t in said)
    assert any("reverse-reachable sets" in t for t in said)
    assert any("CELF" in t for t in said)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _stops_within(call, seconds):
    """Run ``call`` under a cancel event set after 0.3 s; the seconds from the set to its end."""
    ev = threading.Event()
    out = {}

    def target():
        with listening(cancel=ev):
            try:
                call()
                out["finished"] = True
            except Cancelled:
                out["cancelled"] = time.perf_counter()

    t = threading.Thread(target=target)
    t.start()
    time.sleep(0.3)
    ev.set()
    t0 = time.perf_counter()
    t.join(timeout=60)
    assert not t.is_alive()
    assert "cancelled" in out, "ran to the end before the cancel"
    return out["cancelled"] - t0


def test_cancel_stops_a_long_estimate_and_selection_within_a_second():
    g = _graph(20_000, rng=2)
    vs.estimate_reach(g, [0], n_sims=10, rng=0)  # compiled before timing
    vs.select_seeds(g, k=2, strategy="imm", rng=0, min_rr_sets=1000)
    assert _stops_within(lambda: vs.estimate_reach(g, list(range(50)), n_sims=10**7, rng=1),
                         1.0) < 1.0
    assert _stops_within(lambda: vs.select_seeds(g, k=50, strategy="imm", rng=1, eps=0.05,
                                                 min_rr_sets=10**8), 1.0) < 1.0


def test_not_listening_is_one_piece():
    assert list(_progress.pieces(10_000, 64)) == [10_000]
    with listening():
        got = list(_progress.pieces(10_000, 64))
    assert got[0] == 64 and sum(got) == 10_000


def test_cancel_set_before_a_call_stops_it_at_once():
    g = _graph(500)
    ev = threading.Event()
    ev.set()
    with listening(cancel=ev), pytest.raises(Cancelled):
        vs.estimate_reach(g, [0], n_sims=10_000, rng=0)


def test_first_compile_is_announced_once_on_stderr(capfd, monkeypatch):
    monkeypatch.setitem(_progress._NOTICE, "said", False)
    _progress.compile_notice()
    ns = {"__name__": "viralsim._fake_kernels"}
    exec("def twice(x):\n    return 2 * x\n", ns)
    other = {"__name__": "not_viralsim"}
    exec("def thrice(x):\n    return 3 * x\n", other)
    assert numba.njit(other["thrice"])(2) == 6  # someone else's compile: nothing said
    assert "compiling" not in capfd.readouterr().err
    assert numba.njit(ns["twice"])(2) == 4
    assert numba.njit(ns["twice"])(2.5) == 5.0  # a second compile: said once only
    err = capfd.readouterr().err
    assert err.count("viralsim: compiling the fast kernels once (about 40 s the first time") == 1


def test_the_command_line_reports_on_stderr(capfd, monkeypatch):
    pytest.importorskip("hydra")
    from viralsim import app

    monkeypatch.setitem(_progress._NOTICE, "installed", True)  # the notice: tested above
    before = _progress._DEFAULT[0]
    with app._console_progress():
        ln = _progress._DEFAULT[0]
        assert ln is not None and ln.cancel is None
        ln.every = ln.after = 0.0
        vs.estimate_reach(_graph(500), [0], n_sims=5000, rng=0)
    assert _progress._DEFAULT[0] is before  # the job's listener ends with the job
    out = capfd.readouterr()
    assert "viralsim: simulating worlds: " in out.err and "simulating" not in out.out
