"""read_action_log and ActionLog: formats, counts, splits and one-line errors."""

import os

import numpy as np
import pytest

import viralsim as vs
from viralsim.actionlog import ActionLogError


@pytest.fixture
def g():
    return vs.FollowerGraph.from_edges(["ann", "ann", "bob", "cid"], ["bob", "cid", "cid", "dan"])


def write(tmp_path, text, name="log.csv", encoding="utf-8"):
    path = tmp_path / name
    with open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(text)
    return str(path)


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_separators_are_sniffed(tmp_path, g, sep):
    text = sep.join(["item", "user", "time"]) + "\n" + "\n".join(
        sep.join(r) for r in [("p1", "ann", "0"), ("p1", "bob", "2"), ("p2", "cid", "1")]) + "\n"
    log = vs.read_action_log(write(tmp_path, text), graph=g)
    assert log.counts["items"] == 2 and log.counts["actions"] == 3
    assert log.cascade(0) == (["ann", "bob"], [0.0, 2.0])
    assert log.cascade(1) == (["cid"], [1.0])


def test_bom_quotes_crlf_and_cp1252(tmp_path, g):
    text = '\ufeffitem,user,time\r\n"post, the first",ann,1\r\n"post, the first",bob,3\r\n'
    log = vs.read_action_log(write(tmp_path, text), graph=g)
    assert log.items.tolist() == ["post, the first"]
    text = "item;user;time\ncafé;ann;1\ncafé;cid;2\n"
    log = vs.read_action_log(write(tmp_path, text, encoding="cp1252"), graph=g)
    assert log.items.tolist() == ["café"]


def test_iso_dates_datetimes_and_ties(tmp_path, g):
    text = ("item,user,time\nx,bob,2024-05-02\nx,ann,2024-05-01\nx,cid,2024-05-02\n"
            "y,ann,2024-05-01T12:00:00\ny,dan,2024-05-01T13:30:00Z\n")
    log = vs.read_action_log(write(tmp_path, text), graph=g)
    assert log.time_kind == "datetime"
    labs, times = log.cascade(0)
    assert labs == ["ann", "bob", "cid"]  # time order; the tie kept in file order
    assert times[1] == times[2] and times[1] - times[0] == 86400.0
    assert log.cascade(1)[1][1] - log.cascade(1)[1][0] == 5400.0
    assert log.first_adopters(0).tolist() == [0]


def test_integer_labels_match_and_custom_columns(tmp_path):
    g = vs.FollowerGraph.from_edges([0, 1], [1, 2])
    text = "cascade,uid,t,extra\n7,0,0.5,a\n7,1,1.5,b\n7,2,2.5,c\n"
    log = vs.read_action_log(write(tmp_path, text), graph=g, item="cascade", user="uid", time="t")
    assert log.nodes.tolist() == [0, 1, 2] and log.sizes().tolist() == [3]


def test_outside_adopters_kept_and_repeats_dropped_counted(tmp_path, g):
    text = "item,user,time\nx,ann,0\nx,zed,1\nx,bob,2\nx,bob,5\nx,ann,9\ny,cid,0\n"
    path = write(tmp_path, text)
    with pytest.warns(vs.ViralsimWarning) as rec:
        log = vs.read_action_log(path, graph=g)
    msgs = " ".join(str(w.message) for w in rec)
    assert "dropped 2 repeated action(s)" in msgs and "line 5" in msgs
    assert "1 action(s) by 1 consumer(s) not in the graph" in msgs
    assert log.counts["repeated_dropped"] == 2 and log.counts["outside_actions"] == 1
    assert log.cascade(0) == (["ann", "zed", "bob"], [0.0, 1.0, 2.0])
    assert log.sizes().tolist() == [2, 1] and log.sizes(in_graph=False).tolist() == [3, 1]
    assert log.counts["single_adopter_items"] == 1
    s = log.summary()
    assert "2 repeated actions dropped" in s and "1 by 1 consumers not in the graph" in s
    assert "1 items with one adopter" in s


def test_missing_column_names_it_and_lists_the_columns(tmp_path, g):
    path = write(tmp_path, "post,who,when\nx,ann,1\n")
    with pytest.raises(ActionLogError, match=r"no column 'item'.*'post', 'who', 'when'") as ei:
        vs.read_action_log(path, graph=g)
    assert "\n" not in str(ei.value)


def test_bad_time_names_file_and_line(tmp_path, g):
    path = write(tmp_path, "item,user,time\nx,ann,1\nx,bob,soon\n")
    with pytest.raises(ActionLogError, match=r"log\.csv:3: the time 'soon'"):
        vs.read_action_log(path, graph=g)
    path = write(tmp_path, "item,user,time\nx,ann,2024-01-01\nx,bob,2024-13-01\n")
    with pytest.raises(ActionLogError, match=r":3: .*ISO date"):
        vs.read_action_log(path, graph=g)


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", ""])
def test_nan_and_missing_times_are_errors(tmp_path, g, bad):
    path = write(tmp_path, f"item,user,time\nx,ann,1\nx,bob,{bad}\n")
    with pytest.raises(ActionLogError, match=r":3: "):
        vs.read_action_log(path, graph=g)


def test_empty_header_only_all_outside_missing_file(tmp_path, g):
    with pytest.raises(ActionLogError, match="empty"):
        vs.read_action_log(write(tmp_path, ""), graph=g)
    with pytest.raises(ActionLogError, match="header but no rows"):
        vs.read_action_log(write(tmp_path, "item,user,time\n"), graph=g)
    with pytest.raises(ActionLogError, match="none of the 2 consumers in the log is in the graph"):
        vs.read_action_log(write(tmp_path, "item,user,time\nx,zed,1\nx,yan,2\n"), graph=g)
    with pytest.raises(ActionLogError, match="does not exist"):
        vs.read_action_log(os.path.join(str(tmp_path), "nope.csv"), graph=g)
    with pytest.raises(TypeError, match="FollowerGraph"):
        vs.read_action_log(write(tmp_path, "item,user,time\nx,ann,1\n"), graph=None)


def test_from_arrays_refuses_nan():
    g = vs.FollowerGraph.from_edges([0], [1])
    with pytest.raises(ActionLogError, match="non-finite"):
        vs.ActionLog.from_arrays(g, [1, 1], [0, 1], [0.0, float("nan")])


def test_split_by_time_and_item():
    g = vs.FollowerGraph.from_edges([0, 1], [1, 2])
    items = np.repeat(np.arange(10), 2)
    users = np.tile([0, 1], 10)
    times = np.repeat(np.arange(10) * 10.0, 2) + np.tile([0, 1], 10)
    log = vs.ActionLog.from_arrays(g, items, users, times)
    train, test = log.split("time", test_size=0.3)
    assert train.items.tolist() == list(range(7)) and test.items.tolist() == [7, 8, 9]
    train, test = log.split("time", at=50.0)
    assert len(train) == 5 and len(test) == 5
    train, test = log.split("item", test_size=0.2, rng=0)
    assert len(test) == 2 and set(train.items.tolist()).isdisjoint(test.items.tolist())
    assert train.counts["actions"] + test.counts["actions"] == log.counts["actions"]
    train, test = log.split("item", test_items=[3, 4])
    assert test.items.tolist() == [3, 4] and test.cascade(0) == ([0, 1], [30.0, 31.0])
    with pytest.raises(ValueError, match="not in the log"):
        log.split("item", test_items=[99])
    with pytest.raises(ValueError, match="'time' or 'item'"):
        log.split("user")
    with pytest.raises(ValueError, match="one side empty"):
        log.split("time", at=-1.0)
