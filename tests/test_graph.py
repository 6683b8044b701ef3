"""FollowerGraph, edge lists, generators and the bad-input contract."""

import gzip
import itertools
import math
import os
from collections import Counter

import networkx as nx
import numpy as np
import pytest

import viralsim as vs

DATA = os.environ.get("VIRALSIM_DATA") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")


def needs_data(name):
    path = os.path.join(DATA, name)
    return pytest.param(path, marks=pytest.mark.skipif(not os.path.exists(path), reason=f"{name} absent"))


# ---------------------------------------------------------------- construction
def test_csr_layout_and_dtypes():
    g = vs.FollowerGraph.from_edges([0, 0, 0, 2], [1, 2, 3, 0], probs=[0.1, 0.7, 0.3, 1.0], n_nodes=5)
    assert g.indptr.dtype == np.int64 and g.indices.dtype == np.int32 and g.probs.dtype == np.float32
    assert g.indptr.tolist() == [0, 3, 3, 4, 4, 4]
    # rows sorted by decreasing probability
    assert g.indices.tolist() == [2, 3, 1, 0]
    assert g.probs.tolist() == pytest.approx([0.7, 0.3, 0.1, 1.0])
    assert g.n_nodes == 5 and g.n_edges == 4
    assert g.bytes_per_edge == 8.0
    assert g.nbytes == 6 * 8 + 4 * 4 + 4 * 4
    with pytest.raises(ValueError):
        g.indices[0] = 3  # immutable
    with pytest.raises(TypeError):
        vs.FollowerGraph()


def test_labels_strings_first_appearance_and_lookup():
    g = vs.FollowerGraph.from_edges(["b", "a", "c"], ["a", "c", "b"], probs=0.5)
    assert g.labels.tolist() == ["b", "a", "c"]
    assert g.index_of(["c", "b"]).tolist() == [2, 0]
    assert g.followers("a") == ["c"]
    with pytest.raises(vs.NodeNotFound, match="'zed'"):
        g.index_of(["a", "zed"])
    with pytest.raises(KeyError):  # NodeNotFound is a KeyError too
        g.index_of(["zed"])
    with pytest.raises(ValueError, match="repeats node"):
        g.index_of(["a", "a"])
    with pytest.raises(TypeError, match="wrap a single label"):
        g.index_of("a")


def test_self_loops_dropped_and_duplicates_merged_with_warning():
    with pytest.warns(vs.ViralsimWarning) as rec:
        g = vs.FollowerGraph.from_edges([0, 0, 0, 1, 1], [1, 1, 0, 2, 2], probs=[0.5, 0.5, 0.9, 0.2, 1.0])
    msgs = " ".join(str(w.message) for w in rec)
    assert "1 self-loop" in msgs and "2 duplicate" in msgs
    assert g.n_edges == 2
    p = dict(zip(zip(*[x.tolist() for x in g.edges()[:2]]), g.edges()[2].tolist()))
    assert p[(0, 1)] == pytest.approx(0.75)  # 1 - 0.5 * 0.5
    assert p[(1, 2)] == pytest.approx(1.0)


def test_networkx_round_trip_and_undirected_flag():
    G = nx.DiGraph()
    G.add_node("x", segment=1, cost=2.5)
    G.add_node("y", segment=0, cost=1.0)
    G.add_node("z", segment=1, cost=3.0)
    G.add_edge("x", "y", p=0.25)
    G.add_edge("y", "z", p=0.5)
    g = vs.FollowerGraph.from_networkx(G, prob_attr="p")
    assert g.node_attrs["segment"].tolist() == [1, 0, 1]
    H = g.to_networkx()
    assert set(H.edges(data="p")) == {("x", "y", 0.25), ("y", "z", 0.5)}
    assert H.nodes["x"]["cost"] == 2.5
    U = nx.path_graph(4)
    with pytest.raises(ValueError, match="both_directions=True"):
        vs.FollowerGraph.from_networkx(U)
    assert vs.FollowerGraph.from_networkx(U, both_directions=True).n_edges == 6
    G.add_edge("z", "x")
    with pytest.raises(KeyError, match="lack the 'p' attribute"):
        vs.FollowerGraph.from_networkx(G, prob_attr="p")


def test_with_node_attr():
    g = vs.FollowerGraph.from_edges(["a", "b"], ["b", "c"], probs=0.5)
    h = g.with_node_attr("cost", {"a": 1.0, "b": 2.0, "c": 3.0})
    assert h.node_attrs["cost"].tolist() == [1.0, 2.0, 3.0] and "cost" not in g.node_attrs
    with pytest.raises(ValueError, match="covers 2 of 3"):
        g.with_node_attr("cost", {"a": 1.0, "b": 2.0})
    with pytest.raises(ValueError, match="one value per node"):
        g.with_node_attr("cost", [1.0])


def test_reverse_csr():
    g = vs.FollowerGraph.from_edges([0, 1, 2, 0], [2, 2, 0, 1], probs=[0.1, 0.9, 0.5, 0.3])
    assert g.reverse_nbytes == 0
    rp, ri, rprob = g.reverse_csr()
    assert rp.tolist() == [0, 1, 2, 4]
    assert ri[2:].tolist() == [1, 0] and rprob[2:].tolist() == pytest.approx([0.9, 0.1])
    assert g.reverse_nbytes > 0


def test_pickle_round_trip():
    import pickle

    g = vs.generators.stochastic_block([5, 5], 0.5, 0.1, rng=0, probabilities=0.2)
    assert pickle.loads(pickle.dumps(g)) == g


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(src=[0, 1], dst=[1]), ValueError, "same length"),
        (dict(src=[0, 1], dst=[1, 2], probs=[0.5, 1.5]), ValueError, r"\[0, 1\]. Got 1.5"),
        (dict(src=[0, 1], dst=[1, 2], probs=[0.5, np.nan]), ValueError, "nan"),
        (dict(src=[0, 1], dst=[1, 2], probs=[-0.1, 0.5]), ValueError, "-0.1"),
        (dict(src=[0, 1], dst=[1, 2], probs=[0.5]), ValueError, "one value per edge"),
        (dict(src=[0, 5], dst=[1, 2], n_nodes=3), ValueError, "outside 0..2"),
        (dict(src=[0, -1], dst=[1, 2]), ValueError, "outside"),
        (dict(src=[0, 1], dst=[1, 2], probs=2.0), ValueError, r"\[0, 1\]"),
        (dict(src=["a"], dst=["b"], n_nodes=3), ValueError, "integer ids only"),
    ],
)
def test_from_edges_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        vs.FollowerGraph.from_edges(**kwargs)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(seeds=[0, 99]), vs.NodeNotFound, "99"),
        (dict(seeds=[0, 0]), ValueError, "repeats node"),
        (dict(seeds=[0], n_sims=0), ValueError, "'n_sims' parameter of estimate_reach must be an int >= 1. Got 0"),
        (dict(seeds=[0], n_sims=2.5), TypeError, "n_sims"),
        (dict(seeds=[0], precision=0), ValueError, "'precision'"),
        (dict(seeds=[0], precision=-0.1), ValueError, "'precision'"),
        (dict(seeds=[0], precision=0.1, n_sims=10), ValueError, "not both"),
        (dict(seeds=[0], confidence=1.0), ValueError, "confidence"),
        (dict(seeds=[0], max_rounds=0), ValueError, "max_rounds"),
        (dict(seeds=[0], model="ic"), TypeError, "vs.IC()"),
        (dict(seeds=0), TypeError, "list of node labels"),
        (dict(seeds=[0], rng="abc"), TypeError, "rng"),
    ],
)
def test_estimate_reach_bad_input(kwargs, exc, match):
    g = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=0.5)
    seeds = kwargs.pop("seeds")
    with pytest.raises(exc, match=match):
        vs.estimate_reach(g, seeds, **kwargs)


def test_estimate_reach_needs_a_follower_graph():
    with pytest.raises(TypeError, match="from_networkx"):
        vs.estimate_reach(nx.path_graph(3), [0])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: vs.generators.barabasi_albert(10, 10), r"'m' parameter of barabasi_albert"),
        (lambda: vs.generators.barabasi_albert(0, 1), "n_nodes"),
        (lambda: vs.generators.holme_kim(100, 2, 1.5), "p_triangle"),
        (lambda: vs.generators.watts_strogatz(10, 3, 0.1), "even int"),
        (lambda: vs.generators.erdos_renyi(10, -0.1), "p_edge"),
        (lambda: vs.generators.scale_free(10, alpha=0.5, beta=0.5, gamma=0.5), "sum to 1"),
        (lambda: vs.generators.stochastic_block([3, 0], 0.5, 0.1), "sizes"),
        (lambda: vs.generators.stochastic_block([3, 3], 0.5, 1.1), "p_out"),
    ],
)
def test_generator_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("sizes", [[2.7, 3], [True, 3], ["2", 3]])
def test_block_sizes_must_be_whole_numbers(sizes):
    with pytest.raises(TypeError, match=r"'sizes' parameter of stochastic_block must be a list of "
                       r"ints >= 1"):
        vs.generators.stochastic_block(sizes, 0.5, 0.1, rng=0)
    assert vs.generators.stochastic_block([2.0, np.int64(3)], 0.5, 0.1, rng=0).n_nodes == 5


# ---------------------------------------------------------------- generators
@pytest.mark.parametrize(
    "make",
    [
        lambda rng: vs.generators.barabasi_albert(500, 3, rng=rng),
        lambda rng: vs.generators.holme_kim(500, 3, 0.4, rng=rng),
        lambda rng: vs.generators.watts_strogatz(500, 6, 0.1, rng=rng),
        lambda rng: vs.generators.erdos_renyi(500, 0.01, rng=rng),
        lambda rng: vs.generators.scale_free(500, rng=rng),
        lambda rng: vs.generators.stochastic_block([250, 250], 0.04, 0.002, rng=rng),
    ],
)
def test_generators_reproducible_and_simple(make):
    a, b, c = make(7), make(7), make(8)
    assert a == b and a != c
    assert a.n_nodes == 500
    src, dst, _ = a.edges()
    assert np.all(src != dst)
    assert len(set(zip(src.tolist(), dst.tolist()))) == a.n_edges


def test_generator_shapes():
    ba = vs.generators.barabasi_albert(10_000, 5, rng=1)
    assert ba.n_edges == 2 * 5 * (10_000 - 5)  # both directions of every tie: the 100k-edge graph
    assert np.array_equal(ba.in_degree(), ba.out_degree())
    hk = vs.generators.holme_kim(2000, 4, 0.5, rng=0)
    G = nx.Graph(hk.to_networkx().to_undirected())
    assert nx.average_clustering(G) > 2 * nx.average_clustering(
        nx.Graph(vs.generators.barabasi_albert(2000, 4, rng=0).to_networkx().to_undirected())
    )
    sf = vs.generators.scale_free(3000, rng=0)
    # popular accounts have many followers (out-degree here)
    assert sf.out_degree().max() > 10 * max(1, np.median(sf.out_degree()))
    sbm = vs.generators.stochastic_block([100, 100], 0.1, 0.0, rng=0)
    seg = sbm.node_attrs["segment"]
    s, d, _ = sbm.edges()
    assert np.all(seg[s] == seg[d])
    assert vs.generators.barabasi_albert(50, 2, rng=0, probabilities=0.2).probability_summary == "uniform 0.2"


@pytest.mark.parametrize("sizes, directed", [([2, 1], True), ([3], False), ([1, 2], False)])
def test_stochastic_block_is_exactly_the_model(sizes, directed):
    # every possible graph's frequency in 20,000 draws (5,000 at CI's scale: the rarest
    # graph is still expected 11 times) against its exact probability (each candidate
    # pair independently, p_in within a segment, p_out across)
    from scipy import stats

    full = os.environ.get("VIRALSIM_TEST_SCALE", "ci") == "full"
    p_in, p_out, draws = 0.3, 0.6, 20_000 if full else 5_000
    n, seg = sum(sizes), np.repeat(np.arange(len(sizes)), sizes)
    pairs = list((itertools.permutations if directed else itertools.combinations)(range(n), 2))
    rng = np.random.default_rng(12345)
    seen = Counter()
    for _ in range(draws):
        s, d, _ = vs.generators.stochastic_block(sizes, p_in, p_out, directed=directed, rng=rng).edges()
        seen[frozenset(zip(s.tolist(), d.tolist()))] += 1
    chi2, cells, rarest = 0.0, 0, 1.0
    for bits in itertools.product((0, 1), repeat=len(pairs)):
        on = [e for e, b in zip(pairs, bits) if b]
        edges = frozenset(on + ([] if directed else [(v, u) for u, v in on]))
        pr = math.prod(
            (p_in if seg[u] == seg[v] else p_out) if b else 1 - (p_in if seg[u] == seg[v] else p_out)
            for (u, v), b in zip(pairs, bits)
        )
        chi2 += (seen.pop(edges, 0) - draws * pr) ** 2 / (draws * pr)
        cells, rarest = cells + 1, min(rarest, pr)
    assert draws * rarest >= 5  # the chi-squared law holds
    assert not seen, f"graphs outside the model: {list(seen)[:3]}"
    assert chi2 < stats.chi2.ppf(1 - 1e-6, cells - 1), chi2


@pytest.mark.parametrize("directed", [True, False])
def test_stochastic_block_large_blocks_pick_pairs_uniformly(directed):
    # the sparse path (numpy's Floyd sampling over 10^4+ candidate pairs): which
    # consumer follows and which is followed, against the exact per-row shares
    from scipy import stats

    a, p, draws = 300, 0.01, 60
    rng = np.random.default_rng(7)
    rows, cols, total = np.zeros(a), np.zeros(a), 0
    for _ in range(draws):
        s, d, _ = vs.generators.stochastic_block([a], p, 0.0, directed=directed, rng=rng).edges()
        if not directed:
            s, d = s[s < d], d[s < d]
        rows += np.bincount(s, minlength=a)
        cols += np.bincount(d, minlength=a)
        total += len(s)
    n_pairs = a * (a - 1) if directed else a * (a - 1) // 2
    mean, sd = draws * n_pairs * p, math.sqrt(draws * n_pairs * p * (1 - p))
    assert abs(total - mean) < 5 * sd
    u = np.arange(a)
    share_r = np.full(a, a - 1.0) if directed else a - 1.0 - u  # candidates per row
    share_c = np.full(a, a - 1.0) if directed else u.astype(float)  # per column
    for got, share in ((rows, share_r), (cols, share_c)):
        keep = share > 0
        want = total * share[keep] / share[keep].sum()
        chi2 = ((got[keep] - want) ** 2 / want).sum()
        assert chi2 < stats.chi2.ppf(1 - 1e-6, keep.sum() - 1), chi2
        assert got[~keep].sum() == 0


# ---------------------------------------------------------------- edge lists
def write(tmp_path, name, text, gz=False):
    p = tmp_path / name
    if gz:
        with gzip.open(p, "wt") as fh:
            fh.write(text)
    else:
        p.write_bytes(text.encode())
    return p


def test_read_edgelist_formats(tmp_path):
    text = "# comment\r\n% other comment\r\n\r\n1\t2\r\n2 3\r\n  3   1  \r\n"
    g = vs.read_edgelist(write(tmp_path, "a.txt", text), directed=True)
    assert g.labels.tolist() == [1, 2, 3] and g.n_edges == 3 and not g.has_probabilities
    gz = vs.read_edgelist(write(tmp_path, "a.gz", text, gz=True), directed=True)
    assert gz == g
    u = vs.read_edgelist(write(tmp_path, "u.txt", "1 2\n2 3\n"), directed=False)
    assert u.n_edges == 4
    p = vs.read_edgelist(write(tmp_path, "p.txt", "a b 0.5\nb c 1\n"), directed=True)
    assert p.labels.tolist() == ["a", "b", "c"] and p.probs.tolist() == [0.5, 1.0]
    ignored = vs.read_edgelist(write(tmp_path, "w.txt", "a b 7\nb c 2\n"), directed=True, probs=False)
    assert not ignored.has_probabilities
    h = vs.read_edgelist(write(tmp_path, "h.txt", "3 2\n0 1\n1 2\n"), directed=True, header=True)
    assert h.n_edges == 2
    r = vs.read_edgelist(write(tmp_path, "r.txt", "a b\n"), directed=True, reverse=True)
    assert r.followers("b") == ["a"]
    wc = vs.read_edgelist(write(tmp_path, "wc.txt", "1 2\n3 2\n"), directed=True, probabilities="weighted_cascade")
    assert wc.probs.tolist() == [0.5, 0.5]


@pytest.mark.parametrize(
    "text, kwargs, match",
    [
        ("", {}, "contains no edges"),
        ("# only comments\n", {}, "contains no edges"),
        ("1 2\n3\n", {}, r"b.txt:2: expected 'source target"),
        ("source,target\na,b\n", {}, r"b.txt:1: expected .* got 'source,target'\. Its fields "
         r"are separated by commas.*graph=follower_csv on the command line"),
        ("1 2 0.5\n2 3 1.5\n", {}, r"b.txt:2: the probability 1.5 is outside \[0, 1\].*probs=False"),
        ("1 2 0.5\n2 3 abc\n", {}, r"b.txt:2: the probability 'abc' is not a number"),
        ("1 2 0.5\n2 3\n", {}, "b.txt:2: some lines have a probability column"),
        ("3 2\n0 1 0.5\n1 2 0.5\n", {}, r"b.txt:2: .*The first line may be a header \('n m'\): "
         r"pass header=True"),
        ("1 2\n3 4 # c\n", {}, r"b.txt:2: some lines have a probability column and some do not "
         r"\(got '3 4 # c'\)\. Fix"),  # an inline comment: no header hint
        ("1 2\n", {"probs": True}, "b.txt:1: probs=True needs"),
        ("1 2 nan\n", {}, "outside"),
    ],
)
def test_read_edgelist_bad_input(tmp_path, text, kwargs, match):
    with pytest.raises(vs.EdgeListError, match=match):
        vs.read_edgelist(write(tmp_path, "b.txt", text), directed=True, **kwargs)


def test_read_edgelist_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        vs.read_edgelist(tmp_path / "nope.txt", directed=True)
    with pytest.raises(ValueError):  # also a ValueError (EdgeListError)
        vs.read_edgelist(tmp_path / "nope.txt", directed=True)
    with pytest.raises(TypeError, match="directed"):
        vs.read_edgelist(tmp_path / "nope.txt", directed="yes")


EDGE_TEXTS = [  # (text, keyword arguments, parsed by numpy.loadtxt)
    ("# c\r\n% c\r\n\r\n1\t2\r\n2 3\r\n  3   1  \r\n", {}, True),
    ("3 2\n# c\n0 1\n1 2\n", {"header": True}, True),
    ("# c\n\n3 2\n0 1\n1 2\n", {"header": True}, True),
    ("1 2 0.5\n2 3 1\n3 1 0.25 7\n", {}, True),
    ("1 2 0.5\n2 3 1\n", {"probs": True}, True),
    ("1 2 7 x\n2 3 2\n", {"probs": False}, True),
    ("-4 9 0.5\n9 7 1e-3\n", {}, True),
    ("-4 9 0.5\n+9 007 1e-3\n", {}, False),  # "+9", "007": text ids (one id rule)
    ("1 2\n2 1\n1 2\n5 5\n", {}, True),  # a duplicate and a self-loop: the same warnings
    ("1 2\n2 3\n", {"reverse": True}, True),
    ("// 1 2\n1 2\n", {"comments": ("//",)}, True),
    ("a b\n1 2\n", {}, False),  # string ids: the line reader
    ("1 2\n99999999999999999999 3\n", {}, False),  # beyond int64: strings
    ("1.0 2\n", {}, False),
    # comment, header-like and blank lines after the first data line (numpy's second pass)
    ("1 2\n# mid\n2 3\n\n   \n3 1\n", {}, True),
    ("1 2 0.5\n  % mid\n2 3 1\n", {}, True),
    ("1 2\n2 3\n# tail\n", {}, True),
    ("1\t2\r\n\r\n2\t3\r\n", {}, True),
    ("1 2\n-3 4\n", {"comments": ("-",)}, True),  # a comment prefix that can start a number
    # ids spread over int64 (sorted, not tabled)
    ("1 2\n9000000000000000000 3\n-9000000000000000000 1\n", {}, True),
]


@pytest.mark.parametrize("directed", [True, False])
@pytest.mark.parametrize("text, kwargs, numeric", EDGE_TEXTS)
def test_read_edgelist_fast_path_equals_line_reader(tmp_path, monkeypatch, text, kwargs, numeric,
                                                    directed):
    import warnings

    from viralsim import io as vio

    path = write(tmp_path, "e.txt", text)
    got = vio._read_integer_ids(path, kwargs.get("comments", ("#", "%")), kwargs.get("header", False),
                                kwargs.get("probs", "auto"))
    assert (got is not None) == numeric

    def read():
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            g = vs.read_edgelist(path, directed=directed, **kwargs)
        return g, sorted(str(x.message) for x in w)

    fast, fast_warn = read()
    monkeypatch.setattr(vio, "_read_integer_ids", lambda *a: None)
    slow, slow_warn = read()
    assert fast == slow and fast_warn == slow_warn
    assert fast.labels.dtype == slow.labels.dtype and fast.labels.tolist() == slow.labels.tolist()
    assert fast.has_probabilities == slow.has_probabilities
    if fast.has_probabilities:
        assert np.array_equal(fast.probs, slow.probs)


@pytest.mark.parametrize("ids", [
    [5, 3, 3, 9], [-4, 7, -4, 0], [7], [0, 0], [], [2**63 - 1, -2**63, 0],
    list(np.random.default_rng(0).integers(0, 1_000, 5_000)),  # dense: a presence table
    list(np.random.default_rng(1).integers(-2**62, 2**62, 100)),  # sparse: sorted
    list(np.random.default_rng(2).integers(10**6, 10**6 + 50, 40)),  # dense, offset
    [2**63 - 1, 2**63 - 3, 2**63 - 1], [-2**63, -2**63 + 2],  # dense at the ends of int64
])
def test_int_labels_equals_numpy_unique(ids):
    from viralsim import io as vio

    a = np.array(ids, dtype=np.int64)
    labels, inverse = vio._int_labels(a)
    want_labels, want_inverse = np.unique(a, return_inverse=True)
    assert labels.dtype == want_labels.dtype and inverse.dtype == want_inverse.dtype
    assert np.array_equal(labels, want_labels) and np.array_equal(inverse, want_inverse)


@pytest.mark.parametrize("text, kwargs, match", [
    ("1 2\n3\n", {}, "e.txt:2: expected"),
    ("1 2 0.5\n2 3\n", {}, "e.txt:2: some lines have a probability column"),
    ("1 2\n2 3 0.5\n", {}, "e.txt:2: some lines have a probability column"),
    ("1 2 0.5\n2 3 1.5\n", {}, "e.txt:2: the probability 1.5 is outside"),
    ("1 2 # note\n", {}, "e.txt:1: the probability '#' is not a number"),
])
def test_read_edgelist_fast_path_leaves_errors_to_the_line_reader(tmp_path, text, kwargs, match):
    with pytest.raises(vs.EdgeListError, match=match):
        vs.read_edgelist(write(tmp_path, "e.txt", text), directed=True, **kwargs)


@pytest.mark.parametrize("path", [needs_data(n) for n in (
    "wiki-Vote.txt", "email-Enron.txt.gz", "nethept_imm_graph_ic.inf", "ca-HepPh.txt.gz",
    "congress-twitter.edgelist", "higgs-mention_network.edgelist.gz")])
@pytest.mark.filterwarnings("ignore::viralsim.exceptions.ViralsimWarning")  # self-loops in ca-HepPh
def test_read_edgelist_fast_path_on_real_files(monkeypatch, path):
    from viralsim import io as vio

    kw = {"probs": False} if "higgs" in path else {}  # its third column counts mentions
    fast = vs.read_edgelist(path, directed=True, **kw)
    monkeypatch.setattr(vio, "_read_integer_ids", lambda *a: None)
    assert vs.read_edgelist(path, directed=True, **kw) == fast


@pytest.mark.parametrize("path", [needs_data("wiki-Vote.txt")])
def test_real_wiki_vote(path):
    g = vs.read_edgelist(path, directed=True)
    assert (g.n_nodes, g.n_edges) == (7115, 103689)


@pytest.mark.parametrize("path", [needs_data("nethept_imm_graph_ic.inf")])
def test_real_nethept_keeps_file_probabilities(path):
    g = vs.read_edgelist(path, directed=True)
    assert (g.n_nodes, g.n_edges) == (15229, 62752)
    # the file holds weighted-cascade probabilities to 6 digits
    wc = g.with_probabilities("weighted_cascade")
    assert np.abs(g.probs - wc.probs).max() < 1e-6
    assert g.probs.max() <= 1.0


@pytest.mark.parametrize("path", [needs_data("email-Enron.txt.gz")])
def test_real_gzip_enron(path):
    g = vs.read_edgelist(path, directed=True)
    assert (g.n_nodes, g.n_edges) == (36692, 367662)
    g = g.with_probabilities(0.1)
    assert math.isclose(g.nbytes / g.n_edges, 8 + 8 * (g.n_nodes + 1) / g.n_edges)


def test_too_many_nodes_is_a_clear_error():
    with pytest.raises(ValueError, match="2,147,483,647 nodes, more than the 2,147,483,646"):
        vs.FollowerGraph.from_edges([0], [2**31 - 2], n_nodes=2**31 - 1)
    with pytest.raises(ValueError, match="more than the"):
        vs.FollowerGraph.from_edges([0], [2**31 + 5])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int32])
def test_from_edges_any_integer_dtype_equals_int_lists(dtype):
    want = vs.FollowerGraph.from_edges([0, 1, 0], [1, 2, 2], probs=[1.0, 0.5, 0.25])
    g = vs.FollowerGraph.from_edges(np.array([0, 1, 0], dtype), np.array([1, 2, 2], dtype),
                                    probs=[1.0, 0.5, 0.25])
    assert (g.n_nodes, g.n_edges) == (3, 3)
    assert g.labels.tolist() == [0, 1, 2] and g.labels.dtype == np.int64
    for a, b in [(g.indptr, want.indptr), (g.indices, want.indices), (g.probs, want.probs)]:
        assert a.dtype == b.dtype and a.tolist() == b.tolist()
    empty = vs.FollowerGraph.from_edges(np.array([], dtype), np.array([], dtype))
    assert (empty.n_nodes, empty.n_edges) == (0, 0)
    labelled = vs.FollowerGraph.from_edges(np.array([0], dtype), np.array([1], dtype),
                                           labels=["a", "b"])
    assert labelled.labels.tolist() == ["a", "b"] and labelled.n_edges == 1


@pytest.mark.parametrize("dtype", [np.uint32, np.uint64, np.int64])
def test_unsigned_ids_too_large_get_the_signed_errors(dtype):
    """Unsigned ids beyond int32 (the CSR's indices) or int64 fail as signed ones do, never wrap."""
    big = [2**31 + 5] + ([2**63 + 5, 2**64 - 1] if dtype == np.uint64 else [])
    for v in big:
        ids = np.array([0, v], dtype)
        with pytest.raises(ValueError, match="more than the 2,147,483,646 a FollowerGraph indexes"):
            vs.FollowerGraph.from_edges(ids, np.array([1, 2], dtype))
        with pytest.raises(ValueError, match=r"Edge 1 .* names a node outside 0..2 \(n_nodes=3\)"):
            vs.FollowerGraph.from_edges(ids, np.array([1, 2], dtype), n_nodes=3)
        with pytest.raises(ValueError, match="names a node outside 0..2"):
            vs.FollowerGraph.from_edges(ids, np.array([1, 2], dtype), labels=["a", "b", "c"])


def test_read_edgelist_with_a_byte_order_mark(tmp_path):
    g = vs.read_edgelist(write(tmp_path, "bom.txt", "\ufeff1 2\n2 3\n"), directed=True)
    assert g.labels.tolist() == [1, 2, 3] and g.labels.dtype.kind == "i"


def test_caller_arrays_stay_writable_and_unshared():
    x = np.array([1.0, 2.0, 3.0])
    lab = np.array([10, 20, 30])
    g = vs.FollowerGraph.from_edges([0, 1], [1, 2], labels=lab, node_attrs={"x": x})
    y = np.ones(3, dtype=bool)
    g2 = g.with_node_attr("y", y)
    assert x.flags.writeable and lab.flags.writeable and y.flags.writeable
    x[0], lab[0], y[0] = 5.0, 99, False  # the caller's arrays are theirs: the graphs keep copies
    assert g.labels.tolist() == [10, 20, 30] and g.node_attrs["x"].tolist() == [1.0, 2.0, 3.0]
    assert g2.node_attrs["y"].tolist() == [True, True, True]
    assert not g.labels.flags.writeable and not g2.node_attrs["y"].flags.writeable


def test_nested_ids_are_refused_clearly():
    with pytest.raises(ValueError, match="must be 1-D arrays"):
        vs.FollowerGraph.from_edges([["a", "b"]], [["b", "c"]])


def test_mixed_int_and_string_ids_keep_their_types():
    g = vs.FollowerGraph.from_edges([0, "a"], [1, "b"], probs=1.0)
    assert g.labels.tolist() == [0, "a", 1, "b"]
    assert vs.estimate_reach(g, [0], n_sims=10, rng=0).mean == 2.0
    g = vs.FollowerGraph.from_edges(np.array(["x", "a"]), ["y", "b"], probs=1.0)
    assert g.labels.tolist() == ["x", "a", "y", "b"]


@pytest.mark.parametrize("line_reader", [False, True])
@pytest.mark.parametrize("ids", ["12", "ab"])
def test_undirected_tie_listed_twice_is_one_tie(tmp_path, monkeypatch, line_reader, ids):
    import warnings

    from viralsim import io as vio

    if line_reader:
        monkeypatch.setattr(vio, "_read_integer_ids", lambda *a: None)
    u, v = ids
    once = vs.read_edgelist(write(tmp_path, "a.txt", f"{u} {v} 0.5\n{v} 3 0.25\n"), directed=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "merged duplicate edges": a tie listed twice is one tie
        twice = vs.read_edgelist(write(tmp_path, "b.txt", f"{u} {v} 0.5\n{v} {u} 0.5\n{v} 3 0.25\n"
                                       f"{u} {v} 0.5\n"), directed=False)
    assert twice == once
    assert sorted(twice.probs.tolist()) == [0.25, 0.25, 0.5, 0.5]
    with pytest.raises(vs.EdgeListError, match=f"c.txt: the tie {u} - {v} is listed with "
                       r"different probabilities \(0.5 and 0.3\).*directed=True"):
        vs.read_edgelist(write(tmp_path, "c.txt", f"{u} {v} 0.5\n{v} {u} 0.3\n"), directed=False)
    # the file's column replaced by a scheme: its values need not agree
    g = vs.read_edgelist(tmp_path / "c.txt", directed=False, probabilities=0.1)
    assert g.n_edges == 2
    # directed: two edges, each with its own probability
    d = vs.read_edgelist(write(tmp_path, "d.txt", f"{u} {v} 0.5\n{v} {u} 0.3\n"), directed=True)
    assert np.allclose(sorted(d.probs), [0.3, 0.5])


def test_float_and_bool_seeds_match_no_integer_label_whatever_the_labels():
    g1 = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=1.0)  # labels 0, 1, 2
    g2 = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=1.0, labels=[10, 1, 30])
    for g, lab in ((g1, 1), (g2, 10)):
        for bad in (float(lab), True, np.float64(lab)):
            with pytest.raises(vs.NodeNotFound):
                g.index_of([bad])
        assert g.index_of([lab]).tolist() == g.index_of([np.int64(lab)]).tolist()
    g3 = vs.FollowerGraph.from_edges([0, 1], [1, 2], labels=[0.5, 1.0, 2.5])  # float labels
    assert g3.index_of([1.0]).tolist() == [1]


@pytest.mark.parametrize("value", [None, "0.5", True])
def test_from_networkx_refuses_probabilities_that_are_not_numbers(value):
    G = nx.DiGraph()
    G.add_edge("a", "b", p=0.5)
    G.add_edge("b", "c", p=value)
    with pytest.raises(TypeError, match=r"The 'p' attribute of edge \('b', 'c'\) is .*not a number"):
        vs.FollowerGraph.from_networkx(G, prob_attr="p")
