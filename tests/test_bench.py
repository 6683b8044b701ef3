"""``python -m viralsim.bench``: its command line, header, JSON and checks (no suite is run)."""

import glob
import json
import math
import os
import sys
import types

import pytest

from viralsim import bench
from viralsim._bench import BenchContext, first_call, row, target_note
from viralsim._bench.kernel import _agree, _reach_note


@pytest.fixture
def fake_suite(monkeypatch):
    """Replace the models suite by one that records that it ran and returns one row."""
    calls = []

    def run(ctx):
        calls.append(ctx)
        return [row("models", "case", "metric", 1.5, "s", "note")]

    monkeypatch.setitem(sys.modules, "viralsim._bench.models", types.SimpleNamespace(run=run))
    return calls


@pytest.mark.parametrize("where", ["missing_dir", "is_dir"])
def test_json_path_checked_before_any_suite(tmp_path, capsys, fake_suite, where):
    path = tmp_path / "nope" / "out.json" if where == "missing_dir" else tmp_path
    with pytest.raises(SystemExit) as exc:
        bench.main(["--quick", "--suite", "models", "--json", str(path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --json" in err
    assert ("does not exist" if where == "missing_dir" else "is a directory") in err
    assert fake_suite == []  # nothing ran


def test_json_holds_machine_facts(tmp_path, capsys, fake_suite):
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--suite", "models", "--json", str(out),
                       "--data", str(tmp_path)]) == 0
    d = json.loads(out.read_text())
    assert d["quick"] is True and len(d["rows"]) == 1 and len(fake_suite) == 1
    for key in ("viralsim", "cpu_count", "python", "numba", "numba_threads", "data_dir", "peers"):
        assert key in d, key
    assert d["data_dir"] == str(tmp_path) and d["data_present"] is True
    assert set(d["peers"]) == set(bench.PEERS)
    assert not (tmp_path / "bench.json.tmp").exists()


def test_header_prints_the_missing_data_path(tmp_path):
    missing = tmp_path / "no-data"
    ctx = BenchContext(data_dir=str(missing), threads=(1, 2))
    text = bench.header(bench.machine_facts(ctx), quick=True)
    assert f"data {missing} (absent" in text
    assert "numba" in text and "threads [1, 2]" in text and "peers:" in text


def test_target_note_says_met_or_not():
    assert target_note(1.9, 2.0) == "target <= 2: met"
    assert target_note(2.06, 2.0) == "target <= 2: NOT met"
    assert target_note(1.2, 1.15) == "target <= 1.15: NOT met"
    assert target_note(6.0, 5.0, at_most=False) == "target >= 5: met"
    assert target_note(0.9, 1.0, unit=" s") == "target <= 1 s: met"


def test_first_call_tells_compile_from_memory():
    from numba import njit

    @njit(cache=False)
    def add_one(x):
        return x + 1

    _, how = first_call(lambda: add_one(1))
    assert how.startswith("compiled 1 function(s)")
    _, how = first_call(lambda: add_one(2))
    assert how == "nothing compiled or loaded (already in memory)"


def test_reach_note_uses_student_t():
    # 3 runs: t(0.975, 2) = 4.303, not 1.96
    assert _reach_note(132.67, 1.0, 3) == "reach 132.67 ± 4.30 (95% CI)"
    assert _reach_note(10.0, 1.0, 10**6) == "reach 10.00 ± 1.96 (95% CI)"


# ndlib at p = 0.01 on the 100k-edge BA graph: reach about 124.4, sd about 10 per world
OURS, OURS_SE, SD = 124.4, 0.03, 10.0


def _peer_se(n):
    return SD / math.sqrt(n)


def test_agree_with_three_sims_is_not_a_check():
    # with 3 sims the bound is over 100 % of the mean: it could never fail, so it must not claim to
    note = _agree("x", OURS, OURS_SE, OURS * 1.3, _peer_se(3), 3, z=4.0, max_rel=0.10)
    assert note.startswith("agreement not checked at 3 sims")


def test_agree_at_bench_size_detects_a_real_disagreement():
    n = 40  # the quick size
    # the bound is within 10 % of the mean, so the check is made ...
    note = _agree("x", OURS, OURS_SE, OURS, _peer_se(n), n, z=4.0, max_rel=0.10)
    assert note.startswith("agrees: |diff| 0.00 <= 4.48 × joint se")
    # ... and a peer whose true mean is 10 % off fails it even when its sample mean
    # happens to fall 1.5 standard errors towards ours
    off = OURS * 1.10 - 1.5 * _peer_se(n)
    with pytest.raises(AssertionError, match="means disagree"):
        _agree("x", OURS, OURS_SE, off, _peer_se(n), n, z=4.0, max_rel=0.10)


def test_agree_large_samples_uses_z():
    assert "5.00 × joint se" in _agree("x", 100.0, 0.1, 100.2, 0.1)
    with pytest.raises(AssertionError):
        _agree("x", 100.0, 0.1, 100.0 + 5.1 * math.hypot(0.1, 0.1), 0.1)


# ---------------------------------------------------------------------- --compare
def _r(metric, value, unit, suite="models", case="case"):
    return row(suite, case, metric, value, unit)


def test_compare_rows_judges_rates_and_times_only():
    old = [_r("worlds/s", 1000.0, "1/s"), _r("time", 2.0, "s"), _r("speed-up", 2.0, "x"),
           _r("gone", 1.0, "s"), _r("steady", 100.0, "1/s"), _r("unit changed", 1.0, "s")]
    new = [_r("worlds/s", 850.0, "1/s"), _r("time", 1.5, "s"), _r("speed-up", 1.0, "x"),
           _r("new", 1.0, "s"), _r("steady", 109.0, "1/s"), _r("unit changed", 3.0, "ms")]
    rows, only_old, only_new = bench.compare_rows(old, new, tolerance=0.10)
    got = {r["metric"]: (r["ratio"], r["verdict"]) for r in rows}
    assert got["worlds/s"] == (pytest.approx(0.85), "slower")  # a rate fell 15%
    assert got["time"] == (pytest.approx(0.75), "faster")  # a time fell 25%
    assert got["speed-up"] == (pytest.approx(0.5), "")  # a ratio: direction unknown
    assert got["steady"] == (pytest.approx(1.09), "")  # within the tolerance
    assert got["unit changed"][1] == ""  # s then, ms now: not judged
    assert only_old == [("models", "case", "gone")]
    assert only_new == [("models", "case", "new")]


def test_compare_rows_skips_values_that_are_not_numbers():
    old = [_r("a", "n/a", "s"), _r("b", float("nan"), "s"), _r("c", True, "s")]
    new = [_r("a", 1.0, "s"), _r("b", 1.0, "s"), _r("c", 1.0, "s")]
    assert bench.compare_rows(old, new)[0] == []


def test_compare_rows_of_zero():
    old = [_r("none then", 0.0, "s"), _r("none either", 0, "s")]
    new = [_r("none then", 0.5, "s"), _r("none either", 0.0, "s")]
    got = {r["metric"]: (r["ratio"], r["verdict"]) for r in bench.compare_rows(old, new)[0]}
    assert got == {"none then": (math.inf, "slower"), "none either": (1.0, "")}


@pytest.mark.parametrize("content, says", [
    (None, "cannot read"),
    ("{not json", "is not JSON"),
    ('{"rows": [{"suite": "x"}]}', "is not a bench file"),
    ("[1, 2]", "is not a bench file"),
])
def test_compare_file_checked_before_any_suite(tmp_path, capsys, fake_suite, content, says):
    path = tmp_path / "old.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit) as exc:
        bench.main(["--quick", "--suite", "models", "--compare", str(path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --compare" in err and says in err
    assert fake_suite == []


def test_compare_prints_new_over_old_and_what_differs(tmp_path, capsys, fake_suite):
    old = tmp_path / "old.json"
    assert bench.main(["--quick", "--suite", "models", "--json", str(old),
                       "--data", str(tmp_path)]) == 0
    d = json.loads(old.read_text())
    assert d["date"] and "git_revision" in d
    d["rows"][0]["value"] = 1.0  # the fake suite's time is 1.5 s now: 50% slower
    d["cpu_count"] = 64
    d["rows"].append(row("models", "case", "dropped since", 1.0, "s"))
    d["rows"].append(row("kernel", "other suite", "not run now", 1.0, "s"))
    old.write_text(json.dumps(d))
    capsys.readouterr()
    assert bench.main(["--quick", "--suite", "models", "--compare", str(old),
                       "--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out.split("[compare]")[1]
    assert f"viralsim {d['viralsim']}" in out
    assert "not like for like: cpu_count 64 then" in out
    assert "1.500" in out and "1.000 -> 1.500 s; slower (beyond 10%)" in out
    assert "rows only then: 1; only now: 0" in out  # the suite not run now is not counted


def _recorded():
    folder = os.path.join(os.path.dirname(__file__), "..", "benchmarks", "results")
    return sorted(glob.glob(os.path.join(folder, "*.json")))


@pytest.mark.parametrize("path", _recorded() or [pytest.param(None, marks=pytest.mark.skip(
    reason="no benchmarks/results beside the tests (an installed copy)"))])
def test_recorded_runs_can_be_compared_with(path):
    d = bench._read_rows(path)
    assert d["rows"] and d["git_revision"] and d["date"] and d["cpu_count"]
    rows, _, _ = bench.compare_rows(d["rows"], d["rows"])
    assert rows and all(r["ratio"] == 1 and r["verdict"] == "" for r in rows)
