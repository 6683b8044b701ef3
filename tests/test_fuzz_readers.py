"""Property-based fuzzing of the readers (issue 20): any bytes give a graph or one
clean error (ViralsimError / ValueError / TypeError / MemoryError, one line),
never another exception. CI runs a reduced number of examples; the slow tests
(``VIRALSIM_TEST_SCALE=full``) run many more."""

import gzip
import os
import warnings

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import viralsim as vs  # noqa: E402
from viralsim.exceptions import ViralsimError  # noqa: E402
from viralsim.io import read_follower_csv  # noqa: E402

FULL = os.environ.get("VIRALSIM_TEST_SCALE", "ci") == "full"
# a truncated or corrupt .gz is a CorruptGzipError (a ViralsimError), not gzip's own errors
CLEAN = (ViralsimError, ValueError, TypeError, MemoryError)
TOKENS = ["0", "1", "2", "7", "007", "+5", "5", "-0", "-3", "1_000", "1000", "a", "b", "nan",
          "inf", "1e3", "0.5", "1", "1.5", "-1", "a\x00", "x" * 300, "٣", "9" * 25, "#c", "%",
          "é", "\ufeff", '"q"', "0,5"]
SEPS = [" ", "\t", "  ", ",", ";", "|"]
ENDS = ["\n", "\r\n", "\r", ""]


def _settings(n):
    return settings(max_examples=(20 * n if FULL else n), deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def _lines(header=None):
    line = st.builds(lambda toks, sep, end: sep.join(toks) + end,
                     st.lists(st.sampled_from(TOKENS), min_size=0, max_size=4),
                     st.sampled_from(SEPS), st.sampled_from(ENDS))
    body = st.lists(line, min_size=0, max_size=12).map("".join)
    if header is None:
        return body
    return st.builds(lambda h, b: h + b, header, body)


def _maybe_gz(data, how):
    if how == "gz":
        return gzip.compress(data)
    if how == "truncated-gz":
        z = gzip.compress(data)
        return z[: max(2, len(z) // 2)]
    return data


def _check(read):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # self-loops, duplicates: warnings, not failures
        try:
            g = read()
        except CLEAN as exc:
            msg = str(exc)
            assert msg and "\n" not in msg, repr(msg)
            return None
    assert g.n_nodes == len(g.labels)
    return g


@_settings(60)
@given(data=st.one_of(st.binary(max_size=400), _lines().map(lambda s: s.encode("utf-8"))),
       how=st.sampled_from(["plain", "plain", "gz", "truncated-gz"]),
       directed=st.booleans(), probs=st.sampled_from(["auto", True, False]),
       header=st.booleans())
def test_read_edgelist_any_bytes(tmp_path_factory, data, how, directed, probs, header):
    p = tmp_path_factory.mktemp("fz") / "e.txt"
    p.write_bytes(_maybe_gz(data, how))
    _check(lambda: vs.read_edgelist(p, directed=directed, probs=probs, header=header))


HEADERS = st.builds(lambda cols, sep: sep.join(cols) + "\n",
                    st.lists(st.sampled_from(["source", "target", "probability", "p", "id",
                                              "cost", "source"]), min_size=0, max_size=4),
                    st.sampled_from([",", ";", "\t", "|"]))


@_settings(60)
@given(data=st.one_of(st.binary(max_size=400),
                      _lines(HEADERS).map(lambda s: s.encode("utf-8")),
                      st.just(b"source,target\n").map(lambda h: h + os.urandom(64))),
       consumers=st.one_of(st.none(), _lines(HEADERS)), directed=st.booleans())
def test_read_follower_csv_any_bytes(tmp_path_factory, data, consumers, directed):
    d = tmp_path_factory.mktemp("fz")
    (d / "f.csv").write_bytes(data)
    c = None
    if consumers is not None:
        c = d / "c.csv"
        c.write_text(consumers, encoding="utf-8")
    _check(lambda: read_follower_csv(d / "f.csv", consumers=c, directed=directed))
