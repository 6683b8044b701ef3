"""Binary graph files (viralsim.io.save_graph / read_graph, FollowerGraph.save):
the same graph from text, gzip and binary; memory maps; damaged files refused."""

import gzip
import zipfile

import numpy as np
import pytest

import viralsim as vs
from viralsim.exceptions import EdgeListError
from viralsim.io import read_graph, save_graph


def _write_text(path, g, *, probs, compress=False):
    s, d, p = g.edges()
    cols = [s.tolist(), d.tolist()] + ([p.astype(np.float64).tolist()] if probs else [])
    text = "# a header comment\n" + "".join(
        "\t".join(repr(x) for x in row) + "\n" for row in zip(*cols))
    if compress:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)


@pytest.mark.parametrize("probs", [False, True])
def test_same_graph_from_text_gzip_and_binary(tmp_path, probs):
    g = vs.generators.power_law(3000, 6, 2.3, rng=0, probabilities="uniform_random" if probs else None)
    # an edge list names only consumers with an edge: keep those, labelled by their ids
    s, d, p = g.edges()
    used = np.unique(np.concatenate([s, d]))
    g = vs.FollowerGraph.from_edges(np.searchsorted(used, s), np.searchsorted(used, d),
                                    probs=p, labels=used)
    _write_text(tmp_path / "g.txt", g, probs=probs)
    _write_text(tmp_path / "g.txt.gz", g, probs=probs, compress=True)
    path = save_graph(g, tmp_path / "g")
    from_text = vs.read_edgelist(tmp_path / "g.txt", directed=True)
    from_gzip = vs.read_edgelist(tmp_path / "g.txt.gz", directed=True)
    from_bin = read_graph(path)
    from_map = read_graph(path, mmap=True)
    if probs:  # the text holds float64 reprs of the float32 probabilities: exact both ways
        assert np.array_equal(from_text.probs, g.probs)
    assert from_text == g and from_gzip == g and from_bin == g and from_map == g
    assert from_bin.labels.dtype == g.labels.dtype


def test_labels_and_attributes_round_trip(tmp_path):
    g = vs.FollowerGraph.from_edges(["ann", "bob", "bob"], ["bob", "cid", "ann"], probs=[0.1, 0.7, 0.3])
    g = g.with_node_attr("cost", [1.5, 2.0, 0.5]).with_node_attr("segment", np.array([0, 1, 1]))
    path = g.save(tmp_path / "g.npz")
    for mm in (False, True):
        h = read_graph(path, mmap=mm)
        assert h == g
        assert h.labels.tolist() == ["ann", "bob", "cid"]
        assert h.followers("bob") == g.followers("bob")
        assert h.node_attrs["segment"].dtype == np.int64
    est = vs.estimate_reach(read_graph(path, mmap=True), ["ann"], n_sims=200, rng=0)
    assert est.mean == vs.estimate_reach(g, ["ann"], n_sims=200, rng=0).mean


def test_memory_map_is_a_view_of_the_file(tmp_path):
    g = vs.generators.power_law(2000, 5, rng=0, probabilities=0.1)
    path = save_graph(g, tmp_path / "g.npz")
    h = read_graph(path, mmap=True)
    base = h.indices
    while base is not None and not isinstance(base, np.memmap):
        base = base.base
    assert isinstance(base, np.memmap)
    assert not h.indices.flags.writeable
    assert h == g


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(vs.io.EdgeListNotFound, match="does not exist"):
        read_graph(tmp_path / "nope.npz")
    np.savez(tmp_path / "other.npz", a=np.arange(3))
    with pytest.raises(EdgeListError, match="not a graph file written by"):
        read_graph(tmp_path / "other.npz")
    (tmp_path / "t.npz").write_text("0 1\n")
    with pytest.raises(EdgeListError, match="not a graph file written by"):
        read_graph(tmp_path / "t.npz")


def _rewrite(src, dst, **changes):
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(changes)
    np.savez(dst, **arrays)
    return dst


@pytest.mark.parametrize("change, match", [
    (dict(indices=np.array([2, 1, 0, 0], np.int32)), "out of row order"),
    (dict(indices=np.array([1, 9, 0, 1], np.int32)), "out of range"),
    (dict(indices=np.array([0, 2, 0, 1], np.int32)), "self-loop"),
    (dict(indptr=np.array([0, 3, 2, 4], np.int64)), "row pointers"),
    (dict(indices=np.array([1, 2, 0, 1], np.int64)), "wrong dtype"),
    (dict(labels=np.arange(5)), "row pointers"),
])
def test_damaged_arrays_are_refused(tmp_path, change, match):
    g = vs.FollowerGraph.from_edges([0, 0, 1, 2], [1, 2, 0, 1])
    path = save_graph(g, tmp_path / "g.npz")
    bad = _rewrite(path, tmp_path / "bad.npz", **change)
    with pytest.raises(EdgeListError, match=match):
        read_graph(bad)
    assert read_graph(path) == g


def test_compressed_npz_reads_without_a_memory_map(tmp_path):
    g = vs.generators.power_law(500, 4, rng=0)
    path = save_graph(g, tmp_path / "g.npz")
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    np.savez_compressed(tmp_path / "c.npz", **arrays)
    with zipfile.ZipFile(tmp_path / "c.npz") as zf:
        assert zf.infolist()[0].compress_type != zipfile.ZIP_STORED
    assert read_graph(tmp_path / "c.npz", mmap=True) == g


def test_save_refuses_what_it_cannot_store(tmp_path):
    with pytest.raises(TypeError, match="must be a FollowerGraph"):
        save_graph("g", tmp_path / "g.npz")


# ---------------------------------------------------------------- the byte parser
_TEXTS = [
    "0 1\n1 2\n2 0\n",
    "\ufeff# bom and comment\n0\t1\r\n1 2 \r\n\r\n  % another\n2 0",
    "3 1\n# comment in the middle\n-4 2\n1 -4\n",
    "n m\n0 1\n1 2\n",
    "0 1 0.5\n1 2 0.25\n",
    "0 1 7 x\n1 2 8 y\n",
    "0 1\n1 2 0.5\n",
    "+1 2\n2 3\n",
    "12345678901234567890 1\n1 2\n",
    "0 1\r2 3\n",
    "0,1\n1,2\n",
    "0 1\n1\n",
    "# only a comment\n",
    "007 1\n1 2\n",
]


@pytest.mark.parametrize("text", _TEXTS)
@pytest.mark.parametrize("kwargs", [{}, {"probs": False}, {"header": True}, {"directed": False}])
def test_byte_parser_reads_what_the_loadtxt_path_reads(tmp_path, monkeypatch, text, kwargs):
    from viralsim import io

    path = tmp_path / "e.txt"
    path.write_bytes(text.encode("utf-8"))
    kwargs = dict({"directed": True}, **kwargs)

    def read():
        try:
            with _no_warning_check():
                return vs.read_edgelist(path, **kwargs)
        except EdgeListError as exc:
            return ("error", str(exc))

    fast = read()
    monkeypatch.setattr(io, "_read_integer_pairs", lambda *a: None)
    slow = read()
    assert fast == slow


class _no_warning_check:  # self-loop warnings are part of what both paths give
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._w.__exit__(*exc)


def test_byte_parser_takes_the_plain_file_and_gzip(tmp_path):
    from viralsim.io import _read_integer_pairs

    (tmp_path / "e.txt").write_text("# c\n5 6\n6 7\n")
    with gzip.open(tmp_path / "e.gz", "wt") as fh:
        fh.write("# c\n5 6\n6 7\n")
    for name in ("e.txt", "e.gz"):
        got = _read_integer_pairs(str(tmp_path / name), ("#", "%"), False, "auto")
        assert got["s"].tolist() == [5, 6] and got["d"].tolist() == [6, 7]
    assert _read_integer_pairs(str(tmp_path / "e.txt"), ("//",), False, "auto") is None
    assert _read_integer_pairs(str(tmp_path / "e.txt"), ("#",), False, True) is None
