"""Property-based fuzzing of action logs (issue 20): ``read_action_log`` on random
bytes and on structured CSVs (bad times, NaN, missing or repeated columns, ties,
unknown users, encodings, separators), ``ActionLog.from_arrays`` on hostile
arrays, and ``fit_influence`` / ``backtest`` on whatever log came out.

Each case runs in the worker of ``fuzz_worker`` (under ``RLIMIT_AS``, with a
per-case timeout) and must give a result or one clean one-line error
(ViralsimError / ValueError / TypeError / MemoryError). CI runs a reduced
number of examples; ``VIRALSIM_TEST_SCALE=full`` many more (``-s`` shows the
counts).
"""

import math
import os

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .fuzz_worker import Ref, check, fuzz_fixtures  # noqa: E402

FULL = os.environ.get("VIRALSIM_TEST_SCALE", "ci") == "full"

ITEMS = ["p1", "p2", "p3", "", "p1 ", "=1+2", "é", "x" * 300, "1", "nan"]
USERS = ["0", "1", "2", "5", "29", "007", "+5", "-1", "30", "99", "u0", "u1", "u29", "zz", "",
         "1.0", "nan", "9" * 25, "a\x00", "٣"]
TIMES = ["0", "1", "1", "2.5", "-3", "1e308", "1e309", "-1e309", "nan", "NaN", "inf", "",
         "2024-05-01", "2024-05-01T12:30:00", "2024-05-01T12:30:00Z", "2024-05-01T12:30:00+02:00",
         "2024-13-01", "0001-01-01", "9999-12-31T23:59:59", "1_000", "0x10", "١٢", "10:30",
         str(2**63), "1e-320"]
COLUMNS = ["item", "user", "time", "other", "item", "ITEM", " user ", ""]
SEPS = [",", ";", "\t", "|", " "]
ENDS = ["\n", "\r\n", "\r"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]


def _settings(n):
    return settings(max_examples=(20 * n if FULL else n), deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


worker, tally = fuzz_fixtures("test_fuzz_actionlog", full=FULL)


def _quote(field, sep):
    if any(c in field for c in (sep, '"', "\n", "\r")) or field != field.strip():
        return '"' + field.replace('"', '""') + '"'
    return field


@st.composite
def log_text(draw):
    """A CSV action log: a header (usually item,user,time in some order), rows
    drawn from hostile tokens, some rows short or long."""
    sep = draw(st.sampled_from(SEPS))
    end = draw(st.sampled_from(ENDS))
    if draw(st.integers(0, 9)):
        header = draw(st.permutations(["item", "user", "time"]))
        header = header + draw(st.lists(st.sampled_from(COLUMNS), max_size=2))
    else:
        header = draw(st.lists(st.sampled_from(COLUMNS), max_size=5))
    time_kind = draw(st.sampled_from(["number", "iso", "any"]))
    times = {"number": st.integers(-5, 50).map(str),
             "iso": st.dates().map(lambda d: d.isoformat()),
             "any": st.sampled_from(TIMES)}[time_kind]
    hostile = draw(st.sampled_from([0, 0, 1, 3]))  # how many rows break a rule, about
    n_rows = draw(st.integers(0, 25))
    rows = []
    for _ in range(n_rows):
        bad = hostile and draw(st.integers(0, n_rows)) < hostile
        row = {"item": draw(st.sampled_from(ITEMS if bad else ITEMS[:3])),
               "user": draw(st.sampled_from(USERS) if bad else st.integers(0, 29).map(str)),
               "time": draw(st.sampled_from(TIMES) if bad else times)}
        fields = [row.get(h.strip(), draw(st.sampled_from(["x", "", "1"]))) for h in header]
        cut = draw(st.integers(0, 12)) if bad else 5
        if cut == 0:
            fields = fields[:-1]  # a short row
        elif cut == 1:
            fields = fields + ["extra"]
        rows.append(sep.join(_quote(f, sep) for f in fields))
    blank = [""] if draw(st.booleans()) else []
    return end.join([sep.join(_quote(h, sep) for h in header)] + rows + blank)


def _encode(text, encoding):
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


@_settings(60)
@given(data=st.one_of(
           st.binary(max_size=400),
           st.tuples(log_text(), st.sampled_from(ENCODINGS)).map(lambda t: _encode(*t)),
           st.builds(lambda t, junk: _encode(t, "utf-8") + junk, log_text(),
                     st.binary(min_size=1, max_size=40))),
       graph=st.sampled_from([Ref("g"), Ref("gs"), Ref("g0"), Ref("g0"), Ref("g")]),
       names=st.sampled_from([{}] * 12 + [{"item": "other"}, {"user": "ITEM"},
                                          {"time": "nope"}, {"item": 3}, {"user": None}]),
       sep=st.sampled_from([None] * 12 + [",", ";", "\t", "", ",,", '"', 3]),
       then=st.sampled_from([None, None, "fit", "backtest", "split"]))
def test_read_action_log_any_bytes(tmp_path_factory, worker, tally, data, graph, names, sep,
                                   then):
    p = tmp_path_factory.mktemp("log") / "log.csv"
    p.write_bytes(data)
    kw = dict(names, graph=graph, sep=sep)
    ans = check(worker, tally, ("read_action_log", (str(p),), kw))
    if ans[0] == "ok" and then is not None:
        # what a caller does next with the log: learn from it, forecast it, split it
        check(worker, tally, ("log_then", (str(p), kw, then), {}))


ARR = st.one_of(st.lists(st.one_of(st.integers(-2, 35), st.sampled_from(
    ["p1", "u1", "", None, math.nan, 2**63, 1.5, np.int64(4), (1, 2), b"x"])), max_size=12),
    st.sampled_from([[], None, 3, "abc", np.zeros((2, 2)), {"a": 1}]))
TIMES_ARR = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=12),
    st.lists(st.integers(-2**70, 2**70), max_size=12),
    st.lists(st.sampled_from(["1", "x", None, "2024-05-01"]), max_size=12),
    st.sampled_from([[], None, 3.0, "abc", np.zeros((2, 2)), [[1.0]]]))


@_settings(40)
@given(n=st.integers(0, 12), items=ARR, users=ARR, times=TIMES_ARR,
       graph=st.sampled_from([Ref("g"), Ref("gs"), Ref("g0"), Ref("g"), None, 3]),
       aligned=st.integers(0, 3))
def test_from_arrays(worker, tally, n, items, users, times, graph, aligned):
    if aligned:  # the same length most of the time, so the checks past it are reached
        def fit(x, fill):
            x = list(x) if isinstance(x, list) else x
            return (x + [fill] * n)[:n] if isinstance(x, list) else x
        items, users, times = fit(items, "p1"), fit(users, 1), fit(times, 1.0)
    check(worker, tally, ("from_arrays", (graph, items, users, times), {}))
