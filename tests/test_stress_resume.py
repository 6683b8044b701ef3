"""Kill -9 at random moments of runs and sweeps, then resume (issue 20's stress test).

Each scenario runs a real ``python -m viralsim`` command once uninterrupted (the
reference, whose timeline is recorded: when each file appeared), then in episodes:
start the same command into a fresh directory, kill it with SIGKILL at a moment
drawn from a fixed-seed rng, uniform over the reference's duration (as "0.3 s
after ``results.csv`` was written", stretched as much as the attempt runs slower:
each phase is hit as often as it lasts, however loaded the machine), inspect what
the kill left, and start it again (a resume, which may be killed in its turn)
until one attempt runs to the end. After every kill:

* every ``DONE`` marker parses and certifies exactly the files beside it (each
  listed file present with its recorded SHA-256, no other result file beside it);
* the next attempt does not report a directory "already done" unless a valid
  ``DONE`` was there (a killed run is never skipped as finished);
* no process of the killed command outlives it (joblib's workers included, also
  when only the launcher is killed).

After the last attempt: exit status 0, every result equals the reference's value
for value (timings aside: ``elapsed``, ``select_time``, a report's time column,
an SVG's date and ids), every job holds a valid ``DONE``, and no temporary file
is left anywhere in the directory.

CI runs a handful of kills (``VIRALSIM_TEST_SCALE=ci``, the default);
``VIRALSIM_TEST_SCALE=full`` runs 126. The counts (kills tried, the phase
each landed in, clean resumes) are printed: ``pytest -rP`` shows them.
"""

import collections
import contextlib
import csv
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

hydra = pytest.importorskip("hydra")

import viralsim as vs  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="SIGKILL, process groups, /proc")

FULL = os.environ.get("VIRALSIM_TEST_SCALE", "ci") == "full"
SMALL = ["graph.n_nodes=300", "n_sims=200", "formats=[png]"]
JOBLIB = ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]

SWEEP = ["-m", *SMALL, "rng_seed=0,1"]

# name: (command-line arguments, kind, number of sweep jobs, kills at ci scale, at full scale).
# Both sweeps are compared with one reference, the basic launcher's: the joblib launcher
# must give the same numbers (same seed, same numbers, whatever the process and threads).
SCENARIOS = {
    "estimate": (SMALL, "run", 0, 1, 30),
    "campaign": (["experiment=campaign", *SMALL], "run", 0, 0, 30),
    "basic-sweep": (SWEEP, "sweep", 2, 1, 30),
    "joblib-sweep": (["-m", *JOBLIB, *SWEEP[1:]], "sweep", 2, 2, 36),
}
# how the joblib sweep is killed, in turn: its launcher alone and resumed at once (an
# orphaned worker may still hold a job's directory: that job is refused, exit 1), its
# process group (a terminal's kill of the job), its launcher alone then resumed once its
# workers are gone
JOBLIB_KILLS = ("launcher, resumed at once", "group", "launcher")

# files no DONE certifies: the marker itself, Hydra's log, the lock, Hydra's sweep record
UNCERTIFIED = {"DONE", "viralsim.log", ".viralsim.lock", "multirun.yaml"}
VOLATILE = re.compile(r"elapsed|(^|_)time($|_)|seconds")  # timing columns: not deterministic
ALREADY_DONE = re.compile(r"already done, skipped: (.+?)\s*$", re.M)
TIMEOUT = 300


def _env():
    e = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    # the viralsim under test, not whatever an editable install points at
    src = os.path.dirname(os.path.dirname(os.path.abspath(vs.__file__)))
    if "site-packages" not in src:
        e["PYTHONPATH"] = os.pathsep.join(p for p in (src, e.get("PYTHONPATH")) if p)
    e["PYTHONWARNINGS"] = "ignore"
    return e


def _start(args, cwd, log):
    with open(log, "ab") as fh:  # a file, not a pipe: an orphaned worker would hold a pipe open
        return subprocess.Popen([sys.executable, "-m", "viralsim", *args], cwd=cwd, stdout=fh,
                                stderr=subprocess.STDOUT, env=_env(), start_new_session=True)


def _group_members(pgid):
    """Live (not zombie) processes of a process group, from /proc."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                pids.append(int(d))
    return pids


def _wait_group_gone(pgid, timeout=20.0):
    deadline = time.time() + timeout
    while _group_members(pgid) and time.time() < deadline:
        time.sleep(0.05)
    left = _group_members(pgid)
    if left:  # clean up before failing: the test's processes only
        os.killpg(pgid, signal.SIGKILL)
    assert not left, f"processes {left} outlived the killed command by {timeout:.0f} s"


def _sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _files(d):
    """The regular files directly in ``d`` (Hydra's ``.hydra/`` aside), by name."""
    return {n for n in os.listdir(d) if os.path.isfile(os.path.join(d, n))}


def _marked_dirs(root):
    return sorted(r for r, _, names in os.walk(root) if "DONE" in names)


def _check_done_markers(root):
    """Every DONE under ``root`` parses and certifies exactly the files beside it.
    Returns the directories holding one."""
    marked = _marked_dirs(root)
    for d in marked:
        with open(os.path.join(d, "DONE")) as fh:
            marker = json.load(fh)  # written atomically: never partial
        listed, digests = marker["files"], marker["sha256"]
        assert set(listed) == set(digests), d
        for name in listed:
            p = os.path.join(d, name)
            assert os.path.isfile(p), f"DONE in {d} certifies {name}, which is missing"
            assert _sha256(p) == digests[name], f"DONE in {d} certifies {name}, which changed"
        extra = _files(d) - set(listed) - UNCERTIFIED
        assert not extra, f"DONE in {d} sits beside files it does not certify: {sorted(extra)}"
    return marked


def _temporaries(root):
    return sorted(os.path.join(r, n) for r, _, names in os.walk(root) for n in names
                  if n.endswith((".tmp", ".part")))


# ---- comparing a resumed directory with the reference, value for value


def _csv_rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [{k: v for k, v in r.items() if not VOLATILE.search(k)} for r in rows]


def _parquet_rows(path):
    import pyarrow.parquet as pq

    rows = pq.read_table(path).to_pylist()
    return [{k: v for k, v in r.items() if not VOLATILE.search(k)} for r in rows]


def _markdown(path):
    """The report with the cells of timing columns (``time (s)``) blanked."""
    out, masked = [], set()
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|"):
            cells = line.split("|")
            if i + 1 < len(lines) and lines[i + 1].startswith("|---"):  # a header row
                masked = {j for j, c in enumerate(cells) if "time" in c.lower()}
            line = "|".join("*" if j in masked else c for j, c in enumerate(cells))
        else:
            masked = set()
        out.append(line)
    return out


def _svg(path):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    text = re.sub(r"<dc:date>[^<]*</dc:date>", "", text)
    return re.sub(r"\b[a-z]?[0-9a-f]{10}\b", "ID", text)  # matplotlib's random element ids


def _meta(path):
    with open(path) as fh:
        return json.load(fh)["config_hash"]


def _bytes(path):
    with open(path, "rb") as fh:
        return fh.read()


READERS = {".csv": _csv_rows, ".parquet": _parquet_rows, ".md": _markdown, ".svg": _svg,
           ".json": _meta}


def _content(path):
    return READERS.get(os.path.splitext(path)[1], _bytes)(path)


def _tree(root):
    """``{relative path: content}`` of every result file under ``root``."""
    out = {}
    for r, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if x != ".hydra"]
        for n in names:
            if n not in UNCERTIFIED:
                p = os.path.join(r, n)
                out[os.path.relpath(p, root)] = _content(p)
    return out


def _assert_same_results(got_root, ref):
    got = _tree(got_root)
    assert sorted(got) == sorted(ref), "not the reference's files"
    for name in ref:
        assert got[name] == ref[name], f"{name} differs from the uninterrupted run's"


# ---- one scenario


def _phase(root, kind, n_jobs, since):
    """Where the killed attempt was, from the files it wrote (modified after ``since``)."""
    def new(p):
        try:
            return os.path.getmtime(p) >= since
        except OSError:
            return False

    if kind == "run":
        if new(os.path.join(root, "DONE")):
            return "after DONE"
        if new(os.path.join(root, "results.csv")):
            return "writing outputs"
        if new(os.path.join(root, "config.yaml")):
            return "computing"
        return "start-up"
    jobs = [os.path.join(root, str(j)) for j in range(n_jobs)]
    if new(os.path.join(root, "report.md")):
        return "after the merge"
    if new(os.path.join(root, "results.csv")):
        return "merging"
    if not any(new(os.path.join(j, f)) for j in jobs for f in ("config.yaml", "DONE")):
        done = sum(os.path.exists(os.path.join(j, "DONE")) for j in jobs)
        return f"start-up ({done}/{n_jobs} jobs done before)"
    done = sum(os.path.exists(os.path.join(j, "DONE")) for j in jobs)
    return "merging" if done == n_jobs else f"in jobs ({done}/{n_jobs} done)"


def _valid_done_dirs(root):
    return {os.path.realpath(d) for d in _check_done_markers(root)}


_REFERENCES = {}


def _written(root):
    """The files under ``root`` a run writes (temporary files, the lock and the log aside)."""
    out = {}
    for r, _, names in os.walk(root):
        for n in names:
            if not n.endswith(".tmp") and n not in (".viralsim.lock", "viralsim.log"):
                p = os.path.join(r, n)
                with contextlib.suppress(OSError):
                    out[os.path.relpath(p, root)] = os.path.getmtime(p)
    return out


def _reference(tmp_path_factory, args, kind):
    """The uninterrupted run of ``args``: its results and its timeline, the moments each
    of its files first appeared ``[(0, None), (t, path), ..., (duration, None)]``
    (computed once per module for each command)."""
    key = tuple(args)
    if key not in _REFERENCES:
        where = "hydra.run.dir" if kind == "run" else "hydra.sweep.dir"
        base = tmp_path_factory.mktemp("reference")
        ref_dir, log = base / "ref", base / "ref.log"
        t0 = time.monotonic()
        proc = _start([*args, f"{where}={ref_dir}"], base, log)
        seen = {}
        while proc.poll() is None:
            for name in _written(ref_dir):
                seen.setdefault(name, time.monotonic() - t0)
            time.sleep(0.01)
            assert time.monotonic() - t0 < TIMEOUT, "the reference run hangs"
        duration = time.monotonic() - t0
        assert proc.returncode == 0, log.read_text()
        assert _check_done_markers(ref_dir) and not _temporaries(ref_dir)
        timeline = [(0.0, None), *sorted((t, n) for n, t in seen.items()), (duration, None)]
        _REFERENCES[key] = (_tree(ref_dir), timeline)
    return _REFERENCES[key]


def _draw_moment(rng, timeline, d, valid):
    """A kill moment, uniform over the reference's duration among the stretches this
    attempt will run again: ``(event, t_event, delay)``, to kill ``delay`` (reference
    seconds) after the file ``event`` is written (None: after the start). The files of
    a job already done (``valid``) are not written again; nor a finished run's."""
    def again(name):
        if name is None:
            return True
        head = os.path.realpath(os.path.join(d, os.path.dirname(name)))
        return not any(head == v or head.startswith(v + os.sep) for v in valid)

    stretches = [(t, n, t_next - t) for (t, n), (t_next, _) in zip(timeline, timeline[1:])
                 if again(n) and t_next > t]
    lengths = np.array([x[2] for x in stretches])
    i = rng.choice(len(stretches), p=lengths / lengths.sum())
    t, name, length = stretches[i]
    return name, t, rng.uniform(0, length)


def _kill_moment_reached(proc, d, event, t_event, delay, since):
    """Wait until ``event`` is written in this attempt (modified after ``since``), then
    ``delay`` more, stretched as much as this attempt is slower than the reference
    (a loaded machine). False when the command ended first."""
    t0 = time.monotonic()
    if event is not None:
        p = os.path.join(d, event)
        while True:
            if proc.poll() is not None:
                return False
            with contextlib.suppress(OSError):
                if os.path.getmtime(p) >= since:
                    break
            time.sleep(0.005)
    slower = min(max((time.monotonic() - t0) / t_event, 1.0), 10.0) if t_event > 0.2 else 1.0
    try:
        proc.wait(timeout=delay * slower)
    except subprocess.TimeoutExpired:
        return True
    return False


def _run_scenario(tmp_path, tmp_path_factory, name):
    args, kind, n_jobs, ci_kills, full_kills = SCENARIOS[name]
    n_kills = full_kills if FULL else ci_kills
    joblib = "hydra/launcher=joblib" in args
    ref_args = ["-m", *(a for a in args if a not in JOBLIB and a != "-m")] if joblib else args
    ref, timeline = _reference(tmp_path_factory, ref_args, kind)
    duration = timeline[-1][0]
    rng = np.random.default_rng(20)  # fixed: the same kill moments every time
    where = "hydra.run.dir" if kind == "run" else "hydra.sweep.dir"

    stats = collections.Counter()
    phases = collections.Counter()
    episode = 0
    while stats["kills"] < n_kills:
        episode += 1
        d, log = tmp_path / f"episode{episode}", tmp_path / f"episode{episode}.log"
        cmd = [*args, f"{where}={d}"]
        valid_before = set()  # directories whose valid DONE the next attempt may skip
        orphans_of = None  # the process group of a launcher killed alone, resumed at once
        while True:
            killing = stats["kills"] < n_kills
            mode = JOBLIB_KILLS[stats["kills"] % len(JOBLIB_KILLS)] if joblib else "group"
            mark = log.stat().st_size if log.exists() else 0
            since = time.time() - 0.05
            proc = _start(cmd, tmp_path, log)
            if killing:
                # a moment of the run (the reference's timeline), not a time: phases are
                # hit as often as they last, however loaded the machine
                event, t_event, delay = _draw_moment(rng, timeline, d, valid_before)
                killing = _kill_moment_reached(proc, d, event, t_event, delay, since)
            if killing and proc.poll() is None:
                stats["kills"] += 1
                stats[f"kills of the {mode}"] += 1
                if mode == "group":
                    os.killpg(proc.pid, signal.SIGKILL)
                else:  # the launcher alone: its workers must follow it
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                if orphans_of is not None:  # the previous kill's workers are gone by now
                    _wait_group_gone(orphans_of)
                    orphans_of = None
                if mode == "launcher, resumed at once":
                    orphans_of = proc.pid
                else:
                    _wait_group_gone(proc.pid)
                phase = _phase(d, kind, n_jobs, since)
                phases[phase] += 1
                skipped = _skipped(log, mark)
                valid = _valid_done_dirs(d)  # checks every DONE the kill left
                assert skipped <= valid_before | valid, (
                    f"reported already done without a valid DONE: {sorted(skipped - valid)}")
                if kind == "run" and phase != "after DONE":  # (a DONE of an earlier attempt
                    assert valid <= valid_before, "a killed run left a DONE"  # may stay)
                valid_before = valid
                continue
            # this attempt runs to the end
            if stats["kills"] < n_kills:
                stats["draws that fell after the command ended"] += 1
            try:
                proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                raise AssertionError(f"a resume hangs: {_tail(log, mark)[-3000:]}") from None
            _wait_group_gone(proc.pid)
            if orphans_of is not None:
                _wait_group_gone(orphans_of)
                orphans_of = None
            out = _tail(log, mark)
            skipped = _skipped(log, mark)
            valid = _valid_done_dirs(d)
            assert skipped <= valid_before | valid, (
                f"reported already done without a valid DONE: {sorted(skipped - valid)}")
            if proc.returncode == 1 and "did not finish" in out and "in use by" in out:
                # an orphaned worker still held a job's directory: refused, said so, exit 1
                stats["resumes that found a job held by an orphaned worker (exit 1)"] += 1
                valid_before = valid
                continue
            assert proc.returncode == 0, out
            if skipped and kind == "run":
                stats["resumes skipped as already done (a valid DONE)"] += 1
            assert not _temporaries(d), f"temporary files left after the resume: {_temporaries(d)}"
            expected = {os.path.realpath(d)} if kind == "run" else {
                os.path.realpath(d / str(j)) for j in range(n_jobs)}
            assert valid == expected, "a finished directory without its DONE"
            _assert_same_results(d, ref)
            stats["episodes resumed to the reference's results"] += 1
            break
    print(f"{name}: {stats['kills']} kills in {episode} episodes, landing in "
          f"{dict(sorted(phases.items()))}; "
          + "; ".join(f"{v} {k}" for k, v in sorted(stats.items()) if k != "kills")
          + f"; reference {duration:.1f} s")
    return stats, phases


def _tail(log, mark):
    with open(log, "rb") as fh:
        fh.seek(mark)
        return fh.read().decode(errors="replace")


def _skipped(log, mark):
    """The directories the attempt logged as already done, skipped (real paths)."""
    return {os.path.realpath(p) for p in ALREADY_DONE.findall(_tail(log, mark))}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_kill_and_resume_gives_the_uninterrupted_results(tmp_path, tmp_path_factory, name):
    if "hydra/launcher=joblib" in SCENARIOS[name][0]:
        pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    if not (SCENARIOS[name][4] if FULL else SCENARIOS[name][3]):
        pytest.skip("at VIRALSIM_TEST_SCALE=full only (CI's time)")
    stats, phases = _run_scenario(tmp_path, tmp_path_factory, name)
    assert stats["kills"] == (SCENARIOS[name][4] if FULL else SCENARIOS[name][3])
    assert stats["episodes resumed to the reference's results"] >= 1


# ---- defects the stress test found, each pinned by a test of its own

_LATE_WATCHDOG = """
import os, sys, time
import joblib

def job(pids, go):
    with open(pids, "a") as fh:
        fh.write(f"{os.getpid()}\\n")
    while not os.path.exists(go):  # the launcher is killed meanwhile (as during the imports)
        time.sleep(0.05)
    from viralsim.app.launcher import _exit_with_parent
    _exit_with_parent(interval=0.2)
    time.sleep(120)

joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(job)(*sys.argv[1:]) for _ in range(2))
"""


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else int(fields[1])


def test_a_joblib_worker_orphaned_before_its_watchdog_starts_exits(tmp_path):
    """A launcher killed while its workers imported their first task (the sweep's first
    seconds) left them reparented before the watchdog recorded their parent: it then
    watched the new parent, and the workers idled for loky's 300 s."""
    pytest.importorskip("joblib")
    pids, go = tmp_path / "pids", tmp_path / "go"
    launcher = subprocess.Popen([sys.executable, "-c", _LATE_WATCHDOG, str(pids), str(go)],
                                env=_env(), start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (pids.exists() and len(pids.read_text().split()) == 2):
            assert time.monotonic() < deadline and launcher.poll() is None, "no workers"
            time.sleep(0.1)
        workers = [int(x) for x in pids.read_text().split()]
        launcher.kill()
        launcher.wait()
        deadline = time.monotonic() + 30
        while any(_ppid(w) == launcher.pid for w in workers):  # reparented: orphans now
            assert time.monotonic() < deadline
            time.sleep(0.05)
        go.touch()  # only now do they call _exit_with_parent
        _wait_group_gone(launcher.pid, timeout=15)
    finally:
        if _group_members(launcher.pid):
            os.killpg(launcher.pid, signal.SIGKILL)


def test_a_sweep_whose_job_directory_another_process_holds_exits_1(tmp_path):
    """A resume started while an orphaned worker (or any run) still held a job's
    directory: the job was refused, could not write FAILED there, and the sweep exited 0
    with that job's rows missing from its table."""
    from .test_harden_results import _holder, _kill

    sweep = tmp_path / "sweep"
    args = ["-m", *SMALL, "rng_seed=0,1", f"hydra.sweep.dir={sweep}"]
    holder = _holder(sweep / "1")
    try:
        p = subprocess.run([sys.executable, "-m", "viralsim", *args], cwd=tmp_path, env=_env(),
                           capture_output=True, text=True, timeout=TIMEOUT)
    finally:
        _kill(holder)
    assert p.returncode == 1, p.stderr
    assert "job 1 did not finish" in p.stderr and "1 of the sweep's jobs failed or did not" in p.stderr
    assert (sweep / "0" / "DONE").exists() and not (sweep / "1" / "DONE").exists()
    # the same command, once the directory is free, finishes the sweep
    p = subprocess.run([sys.executable, "-m", "viralsim", *args], cwd=tmp_path, env=_env(),
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    assert {r["job"] for r in _csv_rows(sweep / "results.csv")} == {"0", "1"}


_IDLE_WORKERS = """
import os, time
import joblib
from viralsim.app.launcher import _watch_loky_workers

_watch_loky_workers()  # what a joblib sweep's launcher does first
# one quick task of viralsim's: loky starts both workers, the other one never gets a task
joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(os.getpid)() for _ in range(1))
print("ready", flush=True)
time.sleep(120)
"""


def test_joblib_workers_that_never_got_a_task_exit_with_their_launcher(tmp_path):
    """A launcher killed after starting its workers but before sending them a task (the
    sweep's first seconds): without a watchdog from their start they idled for loky's
    300 s."""
    pytest.importorskip("joblib")
    launcher = subprocess.Popen([sys.executable, "-c", _IDLE_WORKERS], env=_env(),
                                stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert launcher.stdout.readline().strip() == "ready"
        assert len(_group_members(launcher.pid)) > 2, "no workers"
        launcher.kill()
        launcher.wait()
        _wait_group_gone(launcher.pid, timeout=15)
    finally:
        launcher.stdout.close()
        if _group_members(launcher.pid):
            os.killpg(launcher.pid, signal.SIGKILL)
