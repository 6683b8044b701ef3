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


CORRUPT_GZ = {
    "truncated": lambda z: z[: len(z) // 2],  # EOFError underneath
    "bad crc": lambda z: z[:-8] + bytes([z[-8] ^ 1]) + z[-7:],  # gzip.BadGzipFile
    "trailing garbage": lambda z: z + b"garbage!",  # gzip.BadGzipFile
    "bad deflate": lambda z: z[:10] + b"\xff" * 40 + z[50:],  # zlib.error
}


@pytest.mark.parametrize("how", CORRUPT_GZ)
@pytest.mark.parametrize("text", [b"%d %d\n", b"u%d u%d 0.5\n"])  # fast path, line reader
def test_corrupt_gzip_is_one_clear_error(tmp_path, how, text):
    # was: gzip's EOFError / BadGzipFile / zlib.error naming no file
    import gzip
    import zlib

    from viralsim.exceptions import CorruptGzipError

    z = gzip.compress(b"".join(text % (i, i + 1) for i in range(3000)))
    p = tmp_path / "edges.txt.gz"
    p.write_bytes(CORRUPT_GZ[how](z))
    with pytest.raises(CorruptGzipError) as ei:
        vs.read_edgelist(p, directed=True)
    msg = _one_line(ei)
    assert msg.startswith(f"{p}: the gzip file is truncated or corrupt (")
    assert "Download or copy it again" in msg
    # existing except clauses for what gzip raised keep working
    assert isinstance(ei.value, (EOFError, gzip.BadGzipFile, zlib.error))
    assert isinstance(ei.value, vs.EdgeListError) and isinstance(ei.value, ValueError)


def _graph_messages():
    """Messages of graph.py's errors given numpy scalars and arrays (issue 20 #13)."""
    g = vs.FollowerGraph.from_edges(np.array([0, 1, 2]), np.array([1, 2, 3]), probs=0.5)
    calls = {
        "edge outside": lambda: vs.FollowerGraph.from_edges(np.array([0, 5]), np.array([1, 2]),
                                                            n_nodes=3),
        "not found": lambda: g.index_of([np.int64(28), np.int64(29)]),
        "repeated": lambda: g.index_of([np.int64(1), np.int64(1)]),
        "followers": lambda: g.followers(np.int64(28)),
        "seeds": lambda: vs.estimate_reach(g, [np.int64(9)], n_sims=10),
        "k": lambda: vs.select_seeds(g, k=np.int64(99), strategy="degree"),
        "edge attr": lambda: vs.FollowerGraph.from_networkx(_nx_graph(), prob_attr="p"),
    }
    out = {}
    for name, call in calls.items():
        with pytest.raises((ValueError, KeyError, TypeError)) as ei:
            call()
        out[name] = str(ei.value)
    return out


def _nx_graph():
    nx = pytest.importorskip("networkx")
    G = nx.DiGraph()
    G.add_edge(np.int64(1), np.int64(2), p=np.float64(0.5))
    G.add_edge(np.int64(2), np.int64(3), p="high")
    return G


def test_graph_messages_print_plain_numbers():
    # was: "Edge 1 (np.int64(5) -> np.int64(2))", "node(s) not in the graph: np.int64(28)"
    msgs = _graph_messages()
    for name, msg in msgs.items():
        assert "np.int64(" not in msg and "np.float64(" not in msg and "\n" not in msg, (name, msg)
    assert "Edge 1 (5 -> 2)" in msgs["edge outside"]
    assert "not in the graph: 28, 29." in msgs["not found"]
    assert "repeats node(s) 1." in msgs["repeated"]
    assert "(2, 3)" in msgs["edge attr"] and "'high'" in msgs["edge attr"]


def test_adbuy_huge_frequency_cap_is_the_same_as_no_binding_cap():
    # was: OverflowError (Python int too large to convert to C long) in the kernel call,
    # and cap * members overflowing int64 inside it
    g = vs.generators.barabasi_albert(40, 2, rng=1).with_probabilities(0.1)
    ads = {cap: vs.AdBuy(spend=10.0, cpm=2.0, frequency_cap=cap, conversion_rate=0.2)
           for cap in (2**63, 2**62, 5000)}  # 5,000 impressions: a cap >= 5,000 never binds
    res = {cap: vs.estimate_campaign(g, [ad], n_sims=200, rng=3) for cap, ad in ads.items()}
    assert res[2**63].reach.mean == res[2**62].reach.mean == res[5000].reach.mean
    assert res[2**63].exposure.mean == res[5000].exposure.mean


def test_adbuy_impressions_beyond_int64_are_refused():
    # was: OverflowError: cannot convert float infinity to integer (impressions)
    with pytest.raises(ValueError) as ei:
        vs.AdBuy(spend=1e300, cpm=1e-300)
    assert "impressions" in _one_line(ei)


@pytest.mark.parametrize("sep", ["", ",,", '"', 3])
def test_read_action_log_bad_sep(tmp_path, g, sep):
    # was: TypeError '"delimiter" must be a 1-character string' from the csv module
    p = tmp_path / "log.csv"
    p.write_text("item,user,time\np,0,1\n")
    with pytest.raises((TypeError, ValueError)) as ei:
        vs.read_action_log(p, graph=g, sep=sep)
    assert _one_line(ei).startswith("The 'sep' parameter of read_action_log")


@pytest.mark.parametrize("items, users, times, what", [
    (None, [0], [1.0], "'items' parameter"),  # was: 'NoneType' object is not iterable
    (["p"], 3, [1.0], "'users' parameter"),  # was: 'int' object is not iterable
    (["p"], [0], ["abc"], "'times' parameter"),  # was: could not convert string to float
    (["p"], [[0]], [1.0], "hashable ids"),  # was: unhashable type: 'list'
    (["p"], [0], [[1.0]], "1-D"),
    (["p"], [0], [np.float64(np.nan)], "is nan"),  # was: "is np.float64(nan)"
])
def test_action_log_from_arrays_bad_input(g, items, users, times, what):
    with pytest.raises((TypeError, ValueError)) as ei:
        vs.ActionLog.from_arrays(g, items, users, times)
    assert what in _one_line(ei)


def test_cost_rule_overflow_is_one_clear_error(g):
    # was: RuntimeWarning: overflow encountered in power (an error under warnings=error)
    from viralsim.strategies import cost_rule

    with pytest.raises(ValueError) as ei:
        vs.select_seeds(g, k=1, strategy="degree", costs=cost_rule(3.0, 1.5, 1e30))
    _one_line(ei)


def test_fit_influence_outside_is_quoted_plainly(g):
    log = vs.ActionLog.from_arrays(g, ["p", "p"], [0, 1], [0.0, 1.0])
    with pytest.raises(TypeError) as ei:  # was: "Got np.int64(3) instead"
        vs.fit_influence(g, log, outside=np.int64(3))
    assert "Got 3 instead" in _one_line(ei)


def test_tiny_budget_buys_what_it_can_pay_for(g):
    # was: a budget of 3e-300 bought every seed of cost 1e-300 (an absolute slack of 1e-9)
    gc = g.with_node_attr("cost", np.full(g.n_nodes, 1e-300))
    sel = vs.select_seeds(gc, budget=3e-300, strategy="degree", costs="cost")
    assert len(sel.seeds) == 3 and sel.cost <= 3e-300 * (1 + 1e-9)


def test_allocate_budget_with_a_nearly_free_unit():
    # was: RuntimeWarning: overflow encountered in scalar divide (gain / 5e-324)
    g = vs.generators.barabasi_albert(30, 2, rng=1).with_probabilities(0.1)
    units = [vs.SeedList([0], cost=5e-324), vs.SeedList([1, 2], cost=2.0)]
    a = vs.allocate_budget(g, units, 2.5, n_sims=50, rng=0)
    assert a.chosen == [0, 1]


def test_backtest_bad_baseline_is_quoted_plainly():
    import warnings

    g = vs.generators.barabasi_albert(30, 2, rng=1).with_probabilities(0.1)
    log = vs.ActionLog.from_arrays(g, ["p"] * 3 + ["q"] * 3, [0, 1, 2, 3, 4, 5], range(6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = vs.fit_influence(g, log, max_iter=5)
    with pytest.raises(ValueError) as ei:  # was: "names np.float64(0.0)"
        vs.backtest(fit, log, n_sims=10, baselines=np.zeros(3))
    assert "names 0.0;" in _one_line(ei)


@pytest.mark.parametrize("baselines", [3, None, {"uniform": 1}, [np.zeros(2)]])
def test_backtest_baselines_must_be_names(baselines):
    # was: 'int' object is not iterable / ambiguous truth value of an array
    import warnings

    g = vs.generators.barabasi_albert(30, 2, rng=1).with_probabilities(0.1)
    log = vs.ActionLog.from_arrays(g, ["p"] * 3 + ["q"] * 3, [0, 1, 2, 3, 4, 5], range(6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = vs.fit_influence(g, log, max_iter=5)
    with pytest.raises((TypeError, ValueError)) as ei:
        vs.backtest(fit, log, n_sims=10, baselines=baselines)
    assert "'baselines' parameter of backtest" in _one_line(ei)
