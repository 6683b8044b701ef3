"""Fixtures shared by the test modules."""


import pytest


@pytest.fixture
def edgelist(tmp_path):
    p = tmp_path / "followers.txt"
    # a small follower graph with string ids: hub -> a..e, a -> f, b -> f
    lines = [f"hub {x}" for x in "abcde"] + ["a f", "b f", "f hub"]
    p.write_text("\n".join(lines) + "\n")
    return str(p)
