"""Parquet edge files (viralsim.io.read_parquet / write_parquet, vs.read_graph,
FollowerGraph.save): the same graph as from text, gzip and binary; the fast path for
files viralsim wrote; bad files refused in one line; the hint when pyarrow is absent."""

import sys
import warnings

import numpy as np
import pytest

import viralsim as vs
from viralsim.exceptions import EdgeListError, ViralsimWarning
from viralsim.io import read_parquet, save_graph, write_parquet

from .test_io_binary import _write_text

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _foreign(path, **cols):
    """A Parquet file as another tool writes it: plain columns, no viralsim metadata."""
    pq.write_table(pa.table(cols), path)
    return path


def _edge_labelled(g):
    """``g`` restricted to the consumers with an edge, labelled by their ids: the graph
    an edge list can say."""
    s, d, p = g.edges()
    used = np.unique(np.concatenate([s, d]))
    return vs.FollowerGraph.from_edges(np.searchsorted(used, s), np.searchsorted(used, d),
                                       probs=p, labels=used)


@pytest.mark.parametrize("probs", [False, True])
def test_same_graph_from_text_gzip_binary_and_parquet(tmp_path, probs):
    g = vs.generators.power_law(3000, 6, 2.3, rng=0,
                                probabilities="uniform_random" if probs else None)
    g = _edge_labelled(g)
    _write_text(tmp_path / "g.txt", g, probs=probs)
    _write_text(tmp_path / "g.txt.gz", g, probs=probs, compress=True)
    from_text = vs.read_edgelist(tmp_path / "g.txt", directed=True)
    from_gzip = vs.read_edgelist(tmp_path / "g.txt.gz", directed=True)
    from_bin = vs.read_graph(save_graph(g, tmp_path / "g.npz"))
    from_pq = vs.read_graph(g.save(tmp_path / "g.parquet"))
    s, d, p = g.edges()
    cols = dict(source=s, target=d) | (dict(probability=p) if probs else {})
    from_foreign = vs.read_graph(_foreign(tmp_path / "f.parquet", **cols))
    assert from_text == g and from_gzip == g and from_bin == g
    assert from_pq == g and from_foreign == g
    assert from_pq.labels.dtype == from_text.labels.dtype == np.int64


def test_generated_graph_round_trips_without_relabelling(tmp_path):
    # isolated consumers kept: labels 0..n-1 and n_nodes travel in the file's metadata
    g = vs.generators.power_law(2000, 3, 2.2, rng=1, probabilities="weighted_cascade")
    assert (np.diff(g.indptr) + g.in_degree() == 0).any()
    path = write_parquet(g, tmp_path / "g")
    assert path.endswith("g.parquet")
    assert vs.read_graph(path) == g
    assert read_parquet(path, validate=False) == g
    # the same rows without the metadata: the edge-list reading (consumers with an edge)
    pq.write_table(pq.read_table(path).replace_schema_metadata(None), tmp_path / "bare.parquet")
    assert vs.read_graph(tmp_path / "bare.parquet") == _edge_labelled(g)


def test_rows_out_of_order_fall_back_to_the_general_reader(tmp_path):
    g = vs.generators.power_law(500, 4, rng=2, probabilities=0.3)
    path = write_parquet(g, tmp_path / "g.parquet")
    t = pq.read_table(path)
    shuffled = t.take(pa.array(np.random.default_rng(0).permutation(t.num_rows)))
    pq.write_table(shuffled.replace_schema_metadata(t.schema.metadata), tmp_path / "s.parquet")
    assert vs.read_graph(tmp_path / "s.parquet") == _edge_labelled(g)


def test_text_ids_repeats_loops_and_mutual_ties(tmp_path):
    rows = [("ann", "bob", 0.5), ("bob", "cid", 1.0), ("ann", "bob", 0.5), ("cid", "cid", 0.2),
            ("7", "ann", 0.1)]
    (tmp_path / "e.txt").write_text("".join(f"{a} {b} {p}\n" for a, b, p in rows))
    path = _foreign(tmp_path / "e.parquet", source=[r[0] for r in rows],
                    target=[r[1] for r in rows], probability=[r[2] for r in rows])
    for directed in (True, False):
        with warnings.catch_warnings(record=True) as w_text:
            warnings.simplefilter("always")
            want = vs.read_edgelist(tmp_path / "e.txt", directed=directed)
        with warnings.catch_warnings(record=True) as w_pq:
            warnings.simplefilter("always")
            got = read_parquet(path, directed=directed)
        assert got == want
        assert [str(w.message) for w in w_pq] == [str(w.message) for w in w_text]
    assert got.labels.tolist() == want.labels.tolist()
    g = vs.FollowerGraph.from_edges(["ann", "bob"], ["bob", "cid"], probs=[0.25, 1.0])
    assert vs.read_graph(g.save(tmp_path / "s.parquet")) == g


def test_column_names(tmp_path):
    path = _foreign(tmp_path / "c.parquet", followed=[1, 2], follower=[2, 3], p=[0.5, 0.25])
    g = read_parquet(path, source="followed", target="follower", probability="p")
    assert g.labels.tolist() == [1, 2, 3] and g.edges()[2].tolist() == [0.5, 0.25]
    assert read_parquet(path, source="followed", target="follower").probs is None


@pytest.mark.parametrize("cols, match", [
    (dict(src=[0], target=[1]), "no column 'source'"),
    (dict(source=[0, None], target=[1, 2]), "empty id"),
    (dict(source=[0.5], target=[1.0]), "not integer or text ids"),
    (dict(source=[0, 1], target=[1, 2], probability=[0.5, 1.5]), r"row 1 has probability 1.5"),
    (dict(source=[0, 1], target=[1, 2], probability=[0.5, None]), "probability on every row"),
    (dict(source=np.zeros(0, np.int64), target=np.zeros(0, np.int64)), "no edges"),
    (dict(source=np.array([2**63], np.uint64), target=np.array([1], np.uint64)), "beyond int64"),
])
def test_bad_files_one_line(tmp_path, cols, match):
    path = _foreign(tmp_path / "b.parquet", **cols)
    with pytest.raises(EdgeListError, match=match) as err:
        vs.read_graph(path)
    assert "\n" not in str(err.value)


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(vs.io.EdgeListNotFound, match="does not exist"):
        read_parquet(tmp_path / "nope.parquet")
    (tmp_path / "t.parquet").write_text("0 1\n")
    with pytest.raises(EdgeListError, match="not a Parquet file"):
        vs.read_graph(tmp_path / "t.parquet")


def test_write_refuses_what_an_edge_list_loses(tmp_path):
    g = vs.FollowerGraph.from_edges(["a", "b"], ["b", "c"]).with_node_attr("cost", [1, 2, 3])
    with pytest.raises(ValueError, match="node attributes .*cost.*Save it as .npz"):
        g.save(tmp_path / "g.parquet")
    lone = vs.FollowerGraph.from_edges([0], [1], labels=["a", "b", "c"])
    with pytest.raises(ValueError, match="1 consumer.* have no edge"):
        write_parquet(lone, tmp_path / "g.parquet")
    with pytest.raises(TypeError, match="must be a FollowerGraph"):
        write_parquet("g", tmp_path / "g.parquet")


def test_without_pyarrow_one_line_naming_the_extra(tmp_path, monkeypatch):
    g = vs.FollowerGraph.from_edges([0], [1])
    path = write_parquet(g, tmp_path / "g.parquet")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    for call in (lambda: vs.read_graph(path), lambda: g.save(tmp_path / "h.parquet")):
        with pytest.raises(ImportError, match=r'pip install "\.\[parquet\]"') as err:
            call()
        assert "\n" not in str(err.value)


def test_self_loop_warning_is_the_graphs(tmp_path):
    path = _foreign(tmp_path / "l.parquet", source=[0, 1], target=[0, 2])
    with pytest.warns(ViralsimWarning, match="dropped 1 self-loop"):
        g = vs.read_graph(path)
    assert g.n_edges == 1


def test_read_edgelist_and_the_command_line_read_parquet(tmp_path):
    rows = dict(source=[1, 2, 2], target=[2, 3, 1], probability=[0.5, 0.25, 1.0])
    path = _foreign(tmp_path / "e.parquet", **rows)
    (tmp_path / "e.txt").write_text("1 2 0.5\n2 3 0.25\n2 1 1.0\n")
    for kw in (dict(directed=True), dict(directed=True, reverse=True), dict(directed=True, probs=False),
               dict(directed=False, probabilities="weighted_cascade")):
        assert vs.read_edgelist(path, **kw) == vs.read_edgelist(tmp_path / "e.txt", **kw)
    bare = _foreign(tmp_path / "b.parquet", source=[1], target=[2])
    with pytest.raises(EdgeListError, match="probs=True needs a 'probability' column"):
        vs.read_edgelist(bare, directed=True, probs=True)
    from viralsim import experiments

    from .app_helpers import cfg_of, plain

    g = experiments.build_graph(plain(cfg_of("graph=edgelist", f"graph.path={path}",
                                             "probabilities=keep")))
    assert g == vs.read_edgelist(tmp_path / "e.txt", directed=True)
