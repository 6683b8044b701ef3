"""Defects the fuzz suites (test_fuzz_api.py, test_fuzz_actionlog.py) found, one test
each (issue 20): every bad argument gives one clean one-line error."""

import math

import numpy as np
import pytest

import viralsim as vs
from viralsim.exceptions import AttributeNotFound, ViralsimError


@pytest.fixture(scope="module")
def g():
    return vs.FollowerGraph.from_edges([0, 0, 1, 2], [1, 2, 2, 3], probs=0.5)


def _one_line(exc_info):
    msg = str(exc_info.value)
    assert msg and "\n" not in msg, repr(msg)
    assert "np.int64(" not in msg and "np.float64(" not in msg, msg
    return msg


@pytest.mark.parametrize("rng", [np.zeros(40), np.full((3, 3), 0.5)])
def test_an_array_argument_is_quoted_on_one_line(g, rng):
    # was: numpy's multi-line repr of the array inside the message
    with pytest.raises(TypeError) as ei:
        vs.estimate_reach(g, [0], n_sims=10, rng=rng)
    assert "array of shape" in _one_line(ei)


def test_numpy_scalars_are_quoted_as_plain_numbers(g):
    # was: "Got np.float64(nan) instead"
    with pytest.raises(ValueError) as ei:
        vs.estimate_reach(g, [0], n_sims=10, confidence=np.float64(math.nan))
    assert "Got nan instead" in _one_line(ei)
    with pytest.raises(ValueError) as ei:
        vs.SeedList([0], cost=np.int64(-28))
    assert "Got -28 instead" in _one_line(ei)


def test_a_long_value_is_shortened(g):
    with pytest.raises(TypeError) as ei:
        vs.estimate_reach(g, [0], n_sims=10, confidence="x" * 5000)
    assert len(_one_line(ei)) < 300


def test_missing_cost_attribute_is_a_viralsim_error(g):
    # was: a plain KeyError, its message wrapped in quotes
    with pytest.raises(AttributeNotFound) as ei:
        vs.select_seeds(g, k=1, strategy="degree", costs="runners")
    assert isinstance(ei.value, KeyError) and isinstance(ei.value, ViralsimError)
    assert _one_line(ei).startswith("The 'costs' parameter")


def test_with_node_attr_name_must_be_text(g):
    # was: "unhashable type: 'numpy.ndarray'"
    with pytest.raises(TypeError, match="'name' parameter of with_node_attr"):
        g.with_node_attr(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="non-empty str"):
        g.with_node_attr("", np.zeros(4))


def test_node_attrs_must_be_a_mapping():
    # was: AttributeError: 'list' object has no attribute 'items'
    with pytest.raises(TypeError, match="'node_attrs' parameter"):
        vs.FollowerGraph.from_edges([0], [1], node_attrs=[1, 2])
    with pytest.raises(ValueError, match="one value per node"):
        vs.FollowerGraph.from_edges([0], [1], node_attrs={"x": [[1], [2, 3]]})


@pytest.mark.parametrize("n_nodes", [math.inf, math.nan, 2.0, True])
def test_n_nodes_with_labels_must_be_their_count(n_nodes):
    # was: OverflowError: cannot convert float infinity to integer
    with pytest.raises(ValueError, match="'n_nodes' parameter"):
        vs.FollowerGraph.from_edges([0], [1], labels=["a", "b"], n_nodes=n_nodes)
