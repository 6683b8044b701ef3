"""Fixtures shared by the test modules."""


import os

import pytest

try:
    import fcntl
except ImportError:  # Windows: the Ray and browser files then run as they come
    fcntl = None

# The tests run on parallel workers (pytest-xdist: ``-n auto --dist loadfile`` in
# pyproject.toml), each test file on one worker. Tests that start Ray, or a Streamlit server
# and a browser, use machine-wide resources (processes that other tests look for, cores,
# memory): across files, only one test of each kind runs at a time (a file lock).
_GROUPS = {
    "test_distributed": "ray",
    "test_ray_rr": "ray",
    "test_harden_ray": "ray",
    "test_planner_browser": "browser",
    "test_planner_campaign_browser": "browser",
}


@pytest.fixture(autouse=True)
def _one_at_a_time(request, tmp_path_factory):
    group = _GROUPS.get(request.module.__name__.rsplit(".", 1)[-1])
    if group is None or fcntl is None or not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    # the workers' base temporary folders share a parent: the lock file lives there
    lock = tmp_path_factory.getbasetemp().parent / f"viralsim-{group}.lock"
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture
def edgelist(tmp_path):
    p = tmp_path / "followers.txt"
    # a small follower graph with string ids: hub -> a..e, a -> f, b -> f
    lines = [f"hub {x}" for x in "abcde"] + ["a f", "b f", "f hub"]
    p.write_text("\n".join(lines) + "\n")
    return str(p)
