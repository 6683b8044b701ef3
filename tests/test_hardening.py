"""Hardening (issue 20): configs that hang, run code or size memory by an argument."""

import tracemalloc

import numpy as np
import pytest

import viralsim as vs
from viralsim import _limits
from viralsim.distributed import SerialBackend, get_backend, split
from viralsim.experiments import _rows, build, run_experiment


def _one_line(exc):
    assert "\n" not in str(exc.value)
    return str(exc.value)


# ---------------------------------------------------------------- #2 batch_size -1 / 0
@pytest.mark.parametrize("bad", [-1, 0, 2.5, "10", True])
def test_batch_size_must_be_positive(bad):
    for make in (lambda: get_backend({"name": "serial", "batch_size": bad}),
                 lambda: SerialBackend(batch_size=bad),
                 lambda: get_backend({"name": "ray", "batch_size": bad})):
        with pytest.raises(ValueError, match=r"batch_size=.*>= 1, or null for automatic") as e:
            make()
        _one_line(e)
    with pytest.raises(ValueError, match="batch_size"):
        split(0, 10, 0)  # was an endless loop of empty batches for -1... and 0
    assert get_backend({"name": "serial", "batch_size": np.int64(5)}).batch_size == 5


def test_batch_size_is_checked_before_any_work(tmp_path):
    cfg = {"experiment": {"name": "estimate", "plans": [{"seeds": [0]}]},
           "graph": {"_target_": "viralsim.generators.holme_kim", "n_nodes": 60, "m": 2,
                     "p_triangle": 0.3}, "probabilities": {"scheme": "weighted_cascade"},
           "n_sims": 50, "formats": ["png"], "backend": {"name": "serial", "batch_size": -1}}
    with pytest.raises(ValueError, match=r"backend.batch_size=-1"):
        run_experiment(cfg, str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- #3 _target_ runs code
@pytest.mark.parametrize("target", ["subprocess.getoutput", "os.system", "builtins.eval",
                                    "viralsim.io.os.system", "viralsim.io.np.load",
                                    "viralsimx.evil", "viralsim.experiments._build.importlib.import_module"])
def test_config_builds_only_viralsim_code(tmp_path, target):
    marker = tmp_path / "PWNED"
    with pytest.raises(ValueError, match=r"not allowed.*VIRALSIM_ALLOWED_TARGETS") as e:
        build({"_target_": target, "cmd": f"touch {marker}"})
    _one_line(e)
    assert not marker.exists()


def test_allowed_targets_extension_point(monkeypatch):
    assert type(build({"_target_": "viralsim.IC"})).__name__ == "IC"
    with pytest.raises(ValueError, match="not allowed"):
        build({"_target_": "collections.OrderedDict"})
    monkeypatch.setenv("VIRALSIM_ALLOWED_TARGETS", "json, collections")
    assert build({"_target_": "collections.OrderedDict"}) == {}
    with pytest.raises(ValueError, match="not allowed"):
        build({"_target_": "subprocess.getoutput", "cmd": "true"})


# ---------------------------------------------------------------- #7 memory sized by arguments
@pytest.mark.parametrize("key, value", [("n_sims", 2**63), ("max_sims", 2**41),
                                        ("max_rounds", 2**63)])
def test_run_sizes_that_cannot_fit_are_refused_before_work(tmp_path, key, value):
    cfg = {"experiment": {"name": "estimate", "plans": [{"seeds": [0]}]},
           "graph": {"_target_": "viralsim.generators.holme_kim", "n_nodes": 60, "m": 2,
                     "p_triangle": 0.3}, "probabilities": {"scheme": "weighted_cascade"},
           "formats": ["png"], key: value}
    with pytest.raises(ValueError, match=rf"{key}={value} ") as e:
        run_experiment(cfg, str(tmp_path / "out"))
    _one_line(e)
    assert not (tmp_path / "out").exists()


def test_timelines_are_sized_by_the_graph():
    """max_rounds far beyond the graph (10**6 rounds on 5 nodes: 64 MB of timelines per
    thread chunk before; the issue's 10**9 asked for 59.6 GiB) costs what max_rounds=5 does."""
    g = vs.FollowerGraph.from_edges([0, 1, 2, 3], [1, 2, 3, 4], probs=1.0)
    small = _rows.estimate(g, [0], vs.IC(), None, n_sims=20, rng=1, max_rounds=5)
    tracemalloc.start()
    try:
        big = _rows.estimate(g, [0], vs.IC(), None, n_sims=20, rng=1, max_rounds=10**6)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, f"{peak / 2**20:.0f} MiB"
    assert (big.mean, big.stderr) == (small.mean, small.stderr) == (5.0, 0.0)


def test_fixed_n_sims_runs_in_bounded_batches(monkeypatch):
    g = vs.generators.barabasi_albert(200, 2, rng=2).with_probabilities("weighted_cascade")
    one = vs.estimate_reach(g, [0, 1], n_sims=5000, rng=4,
                            backend=SerialBackend(batch_size=5000, progress=False))
    sizes = []
    real = vs.IC._simulate

    def spy(self, graph, seeds, key, start, n, **kw):
        sizes.append(n)
        return real(self, graph, seeds, key, start, n, **kw)

    monkeypatch.setattr(vs.IC, "_simulate", spy)
    monkeypatch.setattr(_limits, "MAX_WORLDS_PER_BATCH", 1000)
    for backend in (SerialBackend(progress=False), SerialBackend(batch_size=10**9, progress=False)):
        sizes.clear()
        many = vs.estimate_reach(g, [0, 1], n_sims=5000, rng=4, backend=backend)
        assert sizes == [1000] * 5
        assert (many.mean, many.stderr, many.n_sims) == (one.mean, one.stderr, one.n_sims)


def test_limits_helpers():
    assert _limits.rounds_that_can_happen(10**9, 5) == 5
    assert _limits.rounds_that_can_happen(None, 5) is None
    _limits.check_run_size(n_sims=10**7, max_rounds=10**9)
    with pytest.raises(ValueError, match="precision="):
        _limits.check_run_size(n_sims=_limits.MAX_SIMS + 1)
