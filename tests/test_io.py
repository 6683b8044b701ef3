"""Readers (viralsim.io): the follower/consumers CSV reader."""

import numpy as np
import pytest

import viralsim as vs
from viralsim import experiments
from viralsim.exceptions import EdgeListError
from viralsim.io import read_follower_csv


@pytest.mark.parametrize("followers, consumers, kwargs, match", [
    ("source,target\na,b\nc\n", None, {}, r"f.csv:3: a row needs both 'source' and 'target'"),
    ("source,target\na,b\n,c\n", None, {}, r"f.csv:3: a row needs both"),
    ("source,target,p\na,b,0.5\nb,c,x\n", None, {"probability": "p"}, r"f.csv:3: the 'p' value 'x' is not a number"),
    ("source,target,p\na,b,0.5\nb,c,1.5\n", None, {"probability": "p"}, r"f.csv:3: the 'p' is 1.5, outside \[0, 1\]"),
    ("source,target,probability\na,b,0.5\nb,c,1.5\n", None, {}, r"f.csv:3: the 'probability' is 1.5"),
    ("", None, {}, r"f.csv' is empty: it needs a header row"),
    ("source,target\na,b\n", "id,cost\na,1\nb,x\n", {}, r"c.csv:3: the 'cost' value 'x' is not a number"),
    ("source,target\na,b\n", "id,cost\na,1\nb,nan\n", {}, r"c.csv:3: the 'cost' value 'nan' is not a finite"),
    ("source,target,p\na,b,inf\n", None, {"probability": "p"}, r"f.csv:2: the 'p' value 'inf' is not a finite"),
    ("source,target\na,b\n", "id,cost\na,1\nb,2\na,3\n", {}, r"c.csv:4: consumer 'a' again \(first on line 2\)"),
    ("source,target\na,b\n", "id,cost\na,1\n,2\n", {}, r"c.csv:3: no 'id'"),
    ("source,target\na,b\n", "name,cost\na,1\n", {}, r"c.csv: needs a header with an 'id' column"),
    ("source,target\na,b\n", "id,cost\na,1\nb,\n", {}, r"c.csv:3: no 'cost' value"),
])
def test_follower_csv_bad_rows_name_the_line(tmp_path, followers, consumers, kwargs, match):
    f = tmp_path / "f.csv"
    f.write_text(followers)
    if consumers is not None:
        (tmp_path / "c.csv").write_text(consumers)
        kwargs = dict(kwargs, consumers=str(tmp_path / "c.csv"))
    with pytest.raises(EdgeListError, match=match):
        read_follower_csv(str(f), **kwargs)


def test_follower_csv_probability_column_and_keep(tmp_path, caplog):
    f = tmp_path / "f.csv"
    f.write_text("source,target,probability\na,b,0.25\nb,c,0.5\n")
    g = read_follower_csv(str(f))  # the documented column name is found
    assert g.probs.tolist() == [0.25, 0.5]
    keep = experiments.apply_probabilities(g, {"scheme": "keep"}, None)
    assert keep.probs.tolist() == [0.25, 0.5]
    with caplog.at_level("INFO", logger="viralsim"):
        wc = experiments.apply_probabilities(g, {"scheme": "weighted_cascade"}, None)
    assert wc.probs.tolist() == [1.0, 1.0] and "replaces the probabilities read" in caplog.text
    # a scheme sets the probabilities: the column is not read, whatever it holds
    f.write_text("source,target,probability\na,b,\nb,c,3\n")
    cfg = {"graph": {"_target_": "viralsim.experiments.read_follower_csv", "path": str(f)},
           "probabilities": {"scheme": "weighted_cascade"}}
    assert experiments.build_graph(cfg).probs.tolist() == [1.0, 1.0]
    with pytest.raises(EdgeListError, match="f.csv:2: the 'probability' value '' is not"):
        experiments.build_graph(dict(cfg, probabilities={"scheme": "keep"}))
    # keep without a probability column: the fix is named in command-line terms
    f.write_text("source,target\na,b\n")
    with pytest.raises(ValueError, match=r"graph.probability=<column>.*probabilities=weighted"):
        experiments.apply_probabilities(read_follower_csv(str(f)),
                                        {"scheme": "keep"}, None)


def test_follower_csv_ids_text_columns_and_blanks(tmp_path):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_text("source,target\n 1 , 2\n2,3\n")
    c.write_text("id,name,cost,segment\n1,Ann,1.5,0\n2,Bob,2,1\n3,Cid,1,0\n7,Dee,4,2\n")
    g = read_follower_csv(str(f), consumers=str(c))
    assert g.labels.tolist() == [1, 2, 3, 7] and g.labels.dtype.kind == "i"  # ids stripped, ints
    assert g.node_attrs["name"].tolist() == ["Ann", "Bob", "Cid", "Dee"]  # text: kept as text
    np.testing.assert_array_equal(g.node_attrs["cost"], [1.5, 2.0, 1.0, 4.0])
    np.testing.assert_array_equal(g.node_attrs["segment"], [0.0, 1.0, 0.0, 2.0])


def test_follower_csv_with_a_byte_order_mark(tmp_path):
    # spreadsheet exports start with a BOM: it must not become part of the header or an id
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_bytes("\ufeffsource,target\nann,bob\n".encode())
    c.write_bytes("\ufeffid,cost\nann,1\nbob,2\n".encode())
    g = read_follower_csv(str(f), consumers=str(c))
    assert g.labels.tolist() == ["ann", "bob"] and g.node_attrs["cost"].tolist() == [1.0, 2.0]


def test_follower_csv_semicolons_with_decimal_commas(tmp_path):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_text("source;target;p\nann;bob;0,5\nbob;cid;1\n")
    c.write_text("id;cost\nann;1,5\nbob;2\ncid;3\n")
    g = read_follower_csv(str(f), probability="p", consumers=str(c))
    assert g.node_attrs["cost"].tolist() == [1.5, 2.0, 3.0]
    assert sorted(g.edges()[2].tolist()) == [0.5, 1.0]
    c.write_text("id;cost\nann;1.234,5\nbob;2\ncid;3\n")  # a thousands mark: not guessed
    with pytest.raises(EdgeListError, match=r"c.csv:2: the 'cost' value '1.234,5' is not a number"):
        read_follower_csv(str(f), consumers=str(c))
    f.write_text("source,target,p\nann,bob,\"0,5\"\n")  # comma-separated: no decimal comma
    with pytest.raises(EdgeListError, match="is not a number"):
        read_follower_csv(str(f), probability="p")


@pytest.mark.parametrize("sep", [";", "\t"])
def test_follower_csv_other_separators(tmp_path, sep):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_text(f"source{sep}target\nann{sep}bob\nbob{sep}cid\n")
    c.write_text(f"id{sep}cost\nann{sep}1.5\nbob{sep}2\ncid{sep}3\n")
    g = read_follower_csv(str(f), consumers=str(c))
    assert g.labels.tolist() == ["ann", "bob", "cid"] and g.out_degree().tolist() == [1, 1, 0]
    assert g.node_attrs["cost"].tolist() == [1.5, 2.0, 3.0]


def test_follower_csv_ids_beyond_int64_are_strings(tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("source,target\n99999999999999999999,2\n2,3\n")
    g = read_follower_csv(str(f))
    assert g.labels.tolist() == ["2", "3", "99999999999999999999"]


def test_follower_csv_keeps_ids_that_differ_by_leading_zeros(tmp_path):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_text("source,target\n001,002\n001,003\n2,3\n")
    c.write_text("id,cost\n001,1\n002,2\n003,3\n2,4\n3,5\n")
    g = read_follower_csv(str(f), consumers=str(c))
    assert g.labels.tolist() == ["001", "002", "003", "2", "3"] and g.n_edges == 3
    assert g.node_attrs["cost"].tolist() == [1, 2, 3, 4, 5]
    f.write_text("source,target\n1,2\n-3,2\n")  # canonical integers stay integers
    assert read_follower_csv(str(f)).labels.tolist() == [-3, 1, 2]


def test_follower_csv_undirected_tie_listed_twice(tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("source,target,p\na,b,0.5\nb,a,0.5\n")
    g = read_follower_csv(str(f), probability="p", directed=False)
    assert g.n_edges == 2 and g.probs.tolist() == [0.5, 0.5]
    f.write_text("source,target,p\na,b,0.5\nb,a,0.25\n")
    with pytest.raises(vs.EdgeListError, match="the tie a - b is listed with different"):
        read_follower_csv(str(f), probability="p", directed=False)


def test_moved_names_keep_their_old_import_paths():
    from viralsim import io, report
    from viralsim.experiments import campaign, compare, estimate, scaling, sensitivity

    assert experiments.read_follower_csv is io.read_follower_csv
    assert experiments._read_consumers is io._read_consumers
    assert experiments._csv_number is io._csv_number
    assert report.estimate_report is estimate.estimate_report
    assert report.compare_report is compare.compare_report
    assert report.campaign_report is campaign.campaign_report
    assert report.sensitivity_report is sensitivity.sensitivity_report
    assert report.scaling_report is scaling.scaling_report
    with pytest.raises(AttributeError):
        report.no_such_report  # noqa: B018


# ---------------------------------------------------------------------- a forgiving front door
@pytest.mark.parametrize("header, rows, want", [
    # (header, two rows, edges as (from, to) labels): the first row is ann and bob
    ("Source ; Target ", ["ann;bob", "bob;cid"], [("ann", "bob"), ("bob", "cid")]),
    (" SOURCE,target", ["ann,bob", "bob,cid"], [("ann", "bob"), ("bob", "cid")]),
    ("From,To", ["ann,bob", "bob,cid"], [("ann", "bob"), ("bob", "cid")]),
    # follower,followed: bob follows ann, so ann's posts reach bob
    ("follower,followed", ["bob,ann", "cid,bob"], [("ann", "bob"), ("bob", "cid")]),
    ("Followed;Follower", ["ann;bob", "bob;cid"], [("ann", "bob"), ("bob", "cid")]),
    ("user,follows", ["bob,ann", "cid,bob"], [("ann", "bob"), ("bob", "cid")]),
])
def test_follower_csv_recognised_headers_and_direction(tmp_path, caplog, header, rows, want):
    f = tmp_path / "f.csv"
    f.write_text("\n".join([header, *rows]) + "\n")
    with caplog.at_level("INFO", logger="viralsim"):
        g = read_follower_csv(str(f))
    s, d, _ = g.edges()
    assert sorted(zip(s.tolist(), d.tolist())) == want
    # the direction is stated in the log, with the first row as the example
    assert "so ann's posts reach bob" in caplog.text


def test_follower_csv_hand_mapped_backwards_is_an_error(tmp_path):
    # the issue: follower;followed mapped by hand as source;target reversed every edge silently
    f = tmp_path / "f.csv"
    f.write_text("follower;followed\nbob;ann\n")
    with pytest.raises(EdgeListError, match=r"reads every edge backwards.*Swap them "
                                            r"\(source='followed', target='follower'\)"):
        read_follower_csv(str(f), source="follower", target="followed")
    g = read_follower_csv(str(f), source="Followed", target="FOLLOWER")  # right way: fine
    assert g.edges()[0].tolist() == ["ann"]


def test_follower_csv_unknown_header_names_the_recognised_pairs(tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("a,b\nann,bob\n")
    with pytest.raises(EdgeListError, match=r"no follower columns in the header \['a', 'b'\]\. "
                                            r"Name them source,target.*follower.*graph.source="):
        read_follower_csv(str(f))
    with pytest.raises(EdgeListError, match=r"no column 'x' in the header"):
        read_follower_csv(str(f), source="x", target="b")


def test_follower_csv_columns_matched_without_case_or_spaces(tmp_path):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_text("Who Posts,Who Reads, Probability \nann,bob,0.5\n")
    c.write_text(" ID ;Name;Cost\nann;Ann;1\nbob;Bob;2\n")
    g = read_follower_csv(str(f), source="who_posts", target="whoreads", consumers=str(c))
    assert g.probs.tolist() == [0.5]  # ' Probability ' is the probability column
    assert g.node_attrs["Cost"].tolist() == [1.0, 2.0] and "ID" not in g.node_attrs
    assert g.node_attrs["Name"].tolist() == ["Ann", "Bob"]


def test_follower_csv_cp1252_semicolon_export(tmp_path, caplog):
    # Excel's "CSV (semicolon)" on Windows: cp1252, ';', decimal commas, a text segment
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_bytes("Source;Target\nmüller;zoë\nzoë;andré\n".encode("cp1252"))
    c.write_bytes("Id;Name;Cost;Segment\nmüller;Jörg Müller;1,5;students\n"
                  "zoë;Zoë;2;retired\nandré;André – Paris;3;students\n".encode("cp1252"))
    with caplog.at_level("INFO", logger="viralsim"):
        g = read_follower_csv(str(f), consumers=str(c))
    assert sorted(g.labels.tolist()) == ["andré", "müller", "zoë"]
    assert "not UTF-8 (byte 0xfc): read as cp1252" in caplog.text
    by = dict(zip(g.labels.tolist(), g.node_attrs["Name"].tolist()))
    assert by["andré"] == "André – Paris" and by["müller"] == "Jörg Müller"
    assert dict(zip(g.labels.tolist(), g.node_attrs["Cost"].tolist()))["müller"] == 1.5
    assert set(g.node_attrs["Segment"].tolist()) == {"students", "retired"}
    # a byte cp1252 leaves undefined (0x81) falls back to latin-1
    f.write_bytes(b"source,target\na\x81,b\n")
    with caplog.at_level("INFO", logger="viralsim"):
        g = read_follower_csv(str(f))
    assert "a\x81" in g.labels.tolist() and "read as latin-1" in caplog.text


def test_follower_csv_utf8_file_is_not_reread(tmp_path, caplog):
    f = tmp_path / "f.csv"
    f.write_text("source,target\nmüller,zoë\n", encoding="utf-8")
    with caplog.at_level("INFO", logger="viralsim"):
        g = read_follower_csv(str(f))
    assert sorted(g.labels.tolist()) == ["müller", "zoë"] and "not UTF-8" not in caplog.text


# ---------------------------------------------------------------------- hardening (issue 20)
def _peak(read):
    import tracemalloc

    tracemalloc.start()
    try:
        g = read()
        return g, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_one_long_id_does_not_pad_every_id(tmp_path):
    """#1: memory proportional to the file, not (number of ids) x (longest id):
    one 2,000-character id costs about what a short one does (a fixed-width
    array made it 2 x n x 8 kB = 320 MB here)."""
    n = 20_000
    body = "".join(f"u{i} u{i + 1}\n" for i in range(n))
    for first in ("x" * 2000, "x"):
        (tmp_path / f"{len(first)}.txt").write_text(first + " u1\n" + body)
        (tmp_path / f"{len(first)}.csv").write_text("source,target\n" + first + ",u1\n"
                                                    + body.replace(" ", ","))
    for read in (lambda n: vs.read_edgelist(tmp_path / f"{n}.txt", directed=True),
                 lambda n: read_follower_csv(tmp_path / f"{n}.csv")):
        read(1)  # loading the parsing kernels (first call) is not the file's memory
        g, peak = _peak(lambda: read(2000))  # noqa: B023 (called at once)
        _, short = _peak(lambda: read(1))  # noqa: B023
        assert g.n_nodes == n + 2 and len(g.labels[-1]) == 2000
        assert peak < short + 2**20, f"{peak / 2**20:.1f} MiB, {short / 2**20:.1f} MiB with a short id"


@pytest.mark.parametrize("a, b", [("007", "7"), ("+5", "5"), ("1_000", "1000"), ("-0", "0"),
                                  ("7.0", "7"), ("٣", "3")])
def test_one_id_rule_in_every_reader(tmp_path, a, b):
    """#12: text ids stay text unless every id is a plain integer; nothing is merged."""
    f = tmp_path / "e.txt"
    f.write_text(f"{a} x{b}\n{b} x{b}\n")
    c = tmp_path / "f.csv"
    c.write_text(f"source,target\n{a},x{b}\n{b},x{b}\n")
    gz = tmp_path / "e2.txt"
    gz.write_text(f"{a} 1\n{b} 1\n")  # integer-looking ids only: the fast path's files
    for g in (vs.read_edgelist(f, directed=True), read_follower_csv(c),
              vs.read_edgelist(gz, directed=True)):
        assert g.n_nodes == 3, g.labels
        assert a in g.labels.tolist() and b in g.labels.tolist()
    plain = vs.read_edgelist(write_text(tmp_path, "p.txt", "7 -3\n-3 10\n"), directed=True)
    assert plain.labels.dtype == np.int64 and plain.labels.tolist() == [-3, 7, 10]


def write_text(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_ambiguous_ids_are_errors(tmp_path):
    """#12/#13: a NUL in an id, a duplicated header, a NaN label: one-line errors."""
    with pytest.raises(EdgeListError, match=r"e.txt:2: a NUL character.*re-export") as e:
        vs.read_edgelist(write_text(tmp_path, "e.txt", "a b 0.5\nc\x00 d 0.5\n"), directed=True)
    assert "\n" not in str(e.value)
    with pytest.raises(EdgeListError, match=r"f.csv:3: an id contains a NUL"):
        read_follower_csv(write_text(tmp_path, "f.csv", "source,target\na,b\nc\x00,d\n"))
    with pytest.raises(EdgeListError, match=r"names the column 'source' twice"):
        read_follower_csv(write_text(tmp_path, "d.csv", "source,target,source\na,b,c\n"))
    with pytest.raises(EdgeListError, match=r"names the column 'id' twice"):
        read_follower_csv(write_text(tmp_path, "g.csv", "source,target\na,b\n"),
                          consumers=write_text(tmp_path, "c.csv", "id,id,cost\na,a,1\nb,b,2\n"))
    with pytest.raises(EdgeListError, match=r"An id is NaN"):
        vs.io.label_ids(["a", float("nan"), float("nan")])
