"""Ctrl-C and the process's exit (viralsim.app._exit, viralsim.app._errors)."""

import os
import subprocess
import sys
import time

import pytest

hydra = pytest.importorskip("hydra")

from viralsim import app  # noqa: E402
from viralsim import results as res  # noqa: E402

from .app_helpers import (  # noqa: E402
    TINY,
    _as_a_sweep_job,
    cfg_of,
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_is_a_message_not_a_traceback(tmp_path):
    import signal

    def default_sigint():  # a shell's background job inherits SIGINT ignored: Ctrl-C must count
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    sweep = tmp_path / "sweep"
    e = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    proc = subprocess.Popen([sys.executable, "-m", "viralsim", "-m", "graph.n_nodes=20000",
                             "n_sims=200000", "rng_seed=0,1", f"hydra.sweep.dir={sweep}"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=e, preexec_fn=default_sigint)
    deadline = time.time() + 120
    while not (sweep / "0" / "config.yaml").exists() and time.time() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Interrupted." in err and "Fatal" not in err
    # the sweep stops: job 0 is neither done nor failed, job 1 never starts
    assert not (sweep / "0" / "DONE").exists() and not (sweep / "0" / "FAILED").exists()
    assert not (sweep / "1").exists()


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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_ctrl_c_stops_a_joblib_sweep_and_its_workers(tmp_path):
    """A terminal's Ctrl-C reaches the whole foreground group: the launcher and its
    workers. The sweep exits 130 with the message, leaves no worker behind and no
    job marked done or failed."""
    import signal

    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    sweep = tmp_path / "sweep"
    e = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    proc = subprocess.Popen([sys.executable, "-m", "viralsim", "-m", "graph.n_nodes=20000",
                             "n_sims=200000", "rng_seed=0,1,2,3", f"hydra.sweep.dir={sweep}",
                             "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=e, start_new_session=True)
    deadline = time.time() + 120
    while not (sweep / "0" / "config.yaml").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert len(_group_members(proc.pid)) > 1, "no worker process started"
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Interrupted." in err
    assert not list(sweep.glob("*/DONE")) and not list(sweep.glob("*/FAILED"))
    deadline = time.time() + 30  # loky's workers end as they see their parent gone
    while _group_members(proc.pid) and time.time() < deadline:
        time.sleep(0.1)
    assert _group_members(proc.pid) == []


def _interrupted_import():
    """What a Ctrl-C landing in a compiled module's initialisation raises."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as kbi:
        try:
            raise ImportError("initialization failed") from kbi
        except ImportError as exc:
            return exc


def test_interrupted_sees_a_ctrl_c_behind_an_error():
    assert app._interrupted(KeyboardInterrupt())
    assert app._interrupted(_interrupted_import())
    try:  # raised while handling it (__context__), not from it
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ValueError("x")  # noqa: B904
    except ValueError as exc:
        assert app._interrupted(exc)
    assert not app._interrupted(ValueError("x")) and not app._interrupted(None)
    a, b = ValueError("a"), ValueError("b")
    a.__context__, b.__context__ = b, a  # a cycle ends the walk
    assert not app._interrupted(a)


def test_a_ctrl_c_inside_an_import_stops_the_sweep(tmp_path, monkeypatch):
    """Not a failed job the sweep goes on from (the next job then failed on the
    half-imported module): the sweep is interrupted, the job left unfinished."""
    d = tmp_path / "job"
    _as_a_sweep_job(monkeypatch, d)

    def run(*a, **k):
        raise _interrupted_import()

    monkeypatch.setattr(app, "run", run)
    with pytest.raises(KeyboardInterrupt):
        app._task(cfg_of(*TINY))
    assert res.failure(str(d)) is None and not res.is_done(str(d))


def test_a_ctrl_c_inside_an_import_interrupts_a_single_run(monkeypatch):
    from hydra.types import RunMode

    class HC:
        mode = RunMode.RUN

        class runtime:
            output_dir = "unused"
            choices = {"hydra/launcher": "basic"}

        class overrides:
            task = []

    monkeypatch.setattr(app.HydraConfig, "get", staticmethod(lambda: HC))

    def run(*a, **k):
        raise _interrupted_import()

    monkeypatch.setattr(app, "run", run)
    with pytest.raises(KeyboardInterrupt):
        app._task(cfg_of(*TINY))


def test_exit_after_ctrl_c_is_130_with_handlers_run(tmp_path):
    """Under ``python -m``, CPython 3.8+ ends a process by SIGINT (not 130) when a
    KeyboardInterrupt was ever raised in code run by ``exec`` of a string, even
    caught; a SystemExit(130) here exits -2 on CPython 3.11. Threads are joined and
    exit handlers run first, and what was printed is flushed."""
    (tmp_path / "ctrlc_mod.py").write_text("\n".join([
        "import atexit, threading, time, viralsim.app as a",
        "atexit.register(lambda: print('handler ran'))",
        "threading.Thread(target=lambda: (time.sleep(0.2), print('thread joined'))).start()",
        "try:",
        "    exec('raise KeyboardInterrupt')",
        "except KeyboardInterrupt:",
        "    print('caught', end=' ')",
        "a._exit_interrupted()",
        "print('not reached')",
    ]))
    p = subprocess.run([sys.executable, "-m", "ctrlc_mod"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 130, p.stderr
    assert p.stdout.split() == ["caught", "thread", "joined", "handler", "ran"]


def test_exit_skips_the_final_collection_once_per_process():
    code = "\n".join([
        "import atexit, gc, viralsim.app as a",
        "atexit.register(lambda: print('frozen last', gc.get_freeze_count() > 0))",
        "n = atexit._ncallbacks()",
        "a._no_collection_at_exit(); a._no_collection_at_exit()",
        "assert atexit._ncallbacks() == n + 1, 'registered once'",
        # handlers registered later run first (LIFO): nothing is frozen yet for them
        "atexit.register(lambda: print('frozen before', gc.get_freeze_count()))",
        "atexit.register(lambda: print('frozen after', gc.get_freeze_count()))",
    ])
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split("\n")[:3] == ["frozen after 0", "frozen before 0", "frozen last True"]
