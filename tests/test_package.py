"""Cheap whole-package checks."""

import subprocess
import sys

import pytest


def test_import_is_light_and_warning_free():
    code = (
        "import sys, viralsim; "
        "bad = [m for m in ('hydra', 'omegaconf', 'matplotlib', 'ray', 'cynetdiff', 'ndlib', "
        "'scipy.stats') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)


def test_public_surface():
    import viralsim as vs

    for name in ("FollowerGraph", "read_edgelist", "generators", "IC", "estimate_reach", "ReachEstimate"):
        assert hasattr(vs, name), name
    assert set(vs.__all__) <= set(dir(vs))


def test_normal_quantile_equals_scipys():
    # the CI's z comes from the standard library (scipy.stats costs 0.35 s to import)
    from scipy import stats

    from viralsim.stats import normal_quantile as _z

    for c in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1 - 1e-9):
        want = float(stats.norm.ppf(0.5 + c / 2))
        assert abs(_z(c) - want) <= 1e-15 * want, c  # a few ulps


def test_interval_quantile_is_students_t():
    from scipy import stats

    from viralsim.stats import normal_quantile as _z
    from viralsim.stats import t_quantile as _quantile

    for n in (2, 3, 30, 1000, 10**6):
        for c in (0.8, 0.95, 0.99):
            want = float(stats.t.ppf(0.5 + c / 2, n - 1))
            assert _quantile(c, n) == pytest.approx(want, rel=1e-12), (n, c)
    assert _quantile(0.95, 10**8) == _z(0.95)  # where t and z agree to 1e-7
    assert abs(float(stats.t.ppf(0.975, 10**7)) - _z(0.95)) < 1e-6


def test_confidence_too_close_to_one_is_refused_before_any_work():
    import viralsim as vs

    g = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=0.5)
    with pytest.raises(ValueError, match="too close to 1"):
        vs.estimate_reach(g, [0], n_sims=100, confidence=1 - 1e-16)
    with pytest.raises(ValueError, match="'confidence' parameter of compare_strategies"):
        vs.compare_strategies(g, ["degree"], k=[1], n_sims=100, confidence=1.0)


class _Ev:
    """A stand-in for Numba's compile event: ``data['dispatcher'].py_func``."""

    def __init__(self, func):
        self.data = {"dispatcher": type("D", (), {"py_func": staticmethod(func)})()}


def _notices(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "viralsim"]


def test_slow_compile_is_announced_and_timed(caplog, monkeypatch):
    import logging
    import time

    import viralsim._kernels as K
    from viralsim._kernels import rng

    monkeypatch.setattr(K, "NOTICE_AFTER", 0.0)
    watch = K._CompileNotice()
    outer, inner = _Ev(rng.mix64.py_func), _Ev(rng.to_unit.py_func)
    with caplog.at_level(logging.INFO, logger="viralsim"):
        watch.on_start(outer)
        watch.on_start(inner)  # a nested compile: no line of its own
        deadline = time.monotonic() + 30
        while not _notices(caplog) and time.monotonic() < deadline:
            time.sleep(0.01)
        watch.on_end(inner)
        watch.on_end(outer)
    msgs = _notices(caplog)
    assert len(msgs) == 2, msgs
    assert msgs[0].startswith("compiling viralsim._kernels.rng.mix64: the first run")
    assert msgs[1].startswith("compiled viralsim._kernels.rng.mix64 in ")


def test_quick_and_foreign_compiles_are_silent(caplog, monkeypatch):
    import logging

    import numpy as np
    from numba import njit

    import viralsim._kernels as K
    from viralsim._kernels import rng

    monkeypatch.setattr(K, "NOTICE_AFTER", 600.0)
    watch = K._CompileNotice()
    with caplog.at_level(logging.INFO, logger="viralsim"):
        watch.on_start(_Ev(rng.mix64.py_func))
        watch.on_end(_Ev(rng.mix64.py_func))  # well before the notice is due
        watch.on_start(_Ev(np.sum))  # not viralsim's: ignored
        watch.on_end(_Ev(np.sum))
        assert watch._open == []
        # the registered listener, through a real compile of a fresh dispatcher: seen, silent
        want = rng.mix64(np.uint64(1))  # compiled (or loaded) before counting
        fresh = njit(rng.mix64.py_func)
        before = K._notice.compiles
        assert fresh(np.uint64(1)) == want
        assert K._notice.compiles == before + 1 and K._notice._open == []
    assert _notices(caplog) == []


def test_failed_compile_is_not_reported_as_compiled(caplog, monkeypatch):
    import logging

    import viralsim._kernels as K
    from viralsim._kernels import rng

    monkeypatch.setattr(K, "NOTICE_AFTER", 600.0)
    watch = K._CompileNotice()
    watch._told = True  # as if the notice had been given
    ev = _Ev(rng.mix64.py_func)
    ev._exc_details = (TypeError, TypeError("no"), None)
    with caplog.at_level(logging.INFO, logger="viralsim"):
        watch.on_start(_Ev(rng.mix64.py_func))
        watch._told = True
        watch.on_end(ev)
    assert _notices(caplog) == []
