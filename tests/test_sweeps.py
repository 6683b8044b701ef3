"""Sweeps (viralsim.app.sweeps, viralsim.app.launcher): merging, job counts, joblib workers, the bar."""

import os
import sys
import time

import pytest

hydra = pytest.importorskip("hydra")
from hydra import initialize_config_module  # noqa: E402
from omegaconf import OmegaConf, open_dict  # noqa: E402

from viralsim import app  # noqa: E402
from viralsim import results as res  # noqa: E402

from .app_helpers import (  # noqa: E402
    TINY,
    _as_a_sweep_job,
    _cli,
    _cli_in_terminal,
    _hydra_cfg_of,
    _shut_down_loky_pool,
    _viralsim_messages,
    cfg_of,
)


def test_a_sweep_job_returns_nothing_to_its_launcher(tmp_path, monkeypatch):
    """Its results are on disk; a launcher keeps (basic) or sends (joblib) what it returns."""
    d = tmp_path / "job"
    _as_a_sweep_job(monkeypatch, d)
    assert app._task(cfg_of(*TINY)) is None
    assert res.is_done(str(d)) and len(res.read_table(d / "results.csv")) > 0


def test_a_job_failing_early_leaves_no_older_done(tmp_path, monkeypatch):
    d = tmp_path / "job"
    res.mark_done(str(d), {"old": 1})
    res.write_table([{"plan": "old", "mean": 1.0}], d / "results.csv", parquet=False)
    _as_a_sweep_job(monkeypatch, d)
    monkeypatch.setattr(app, "_plain", lambda cfg: 1 / 0)  # fails before anything is written
    assert app._task(cfg_of(*TINY)) is None
    assert not res.is_done(str(d)) and res.failure(str(d)) == "division by zero"
    assert res.merge_sweep(str(tmp_path))[0] == []


def test_cli_multirun_merge_and_resume(tmp_path):
    sweep = tmp_path / "sweep"
    args = ["-m", "graph.n_nodes=200", "n_sims=100", "formats=[png]", "rng_seed=0,1,2",
            "experiment.size_distribution=false", f"hydra.sweep.dir={sweep}"]
    p = _cli(args, tmp_path)
    assert p.returncode == 0, p.stderr
    merged = res.read_table(sweep / "results.csv")
    assert len(merged) == 9 and sorted({r["job"] for r in merged}) == [0, 1, 2]
    assert {r["rng_seed"] for r in merged} == {0, 1, 2}
    for j in range(3):
        job = res.read_table(sweep / str(j) / "results.csv")
        assert [r["mean"] for r in merged if r["job"] == j] == [r["mean"] for r in job]
    assert (sweep / "report.md").exists()
    # three replicates of each plan: pooled, by hand from the merged rows
    summary = res.read_table(sweep / "summary.csv")
    assert [s["plan"] for s in summary] == [r["plan"] for r in merged if r["job"] == 0]
    for s in summary:
        means = [r["mean"] for r in merged if r["plan"] == s["plan"]]
        assert s["n_replicates"] == 3 and s["rng_seeds"] == "0 1 2"
        assert s["mean"] == pytest.approx(sum(means) / 3)
        assert "## Replicates" in (sweep / "report.md").read_text()
    # job 1 killed before it finished: its marker is gone; the others must not re-run
    os.remove(sweep / "1" / "DONE")
    rows, missing = res.merge_sweep(str(sweep))
    assert missing == ["1"] and len(rows) == 6
    stamp = {j: os.stat(sweep / str(j) / "DONE").st_mtime_ns for j in (0, 2)}
    p = _cli(args, tmp_path)
    assert p.returncode == 0, p.stderr
    assert {j: os.stat(sweep / str(j) / "DONE").st_mtime_ns for j in (0, 2)} == stamp
    assert res.is_done(str(sweep / "1"))
    assert len(res.read_table(sweep / "results.csv")) == 9


def test_cli_sweep_with_a_failing_job_merges_the_others_and_exits_1(tmp_path):
    sweep = tmp_path / "sweep"
    args = ["-m", "graph.n_nodes=200", "n_sims=100", "formats=[png]", "probabilities=uniform",
            "probabilities.p=0.01,1.5,0.02", "experiment.size_distribution=false",
            f"hydra.sweep.dir={sweep}"]
    p = _cli(args, tmp_path)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "Error (job 1): The 'probabilities.p' parameter of probabilities=uniform" in p.stderr
    assert "1 of the sweep's jobs failed" in p.stderr
    assert sorted({r["job"] for r in res.read_table(sweep / "results.csv")}) == [0, 2]
    assert res.failure(str(sweep / "1")).startswith("The 'probabilities.p' parameter")
    assert "Not finished (left out): 1." in (sweep / "report.md").read_text()
    assert not res.is_done(str(sweep / "1"))


def test_cli_sweep_with_nested_job_dirs_merges_and_reports_failures(tmp_path):
    sweep = tmp_path / "sweep"
    args = ["-m", "graph.n_nodes=200", "n_sims=100", "formats=[png]", "probabilities=uniform",
            "probabilities.p=0.01,1.5,0.02", "experiment.size_distribution=false",
            "hydra.sweep.subdir=s/${hydra.job.num}", f"hydra.sweep.dir={sweep}"]
    p = _cli(args, tmp_path)
    assert p.returncode == 1 and "job s/1 failed" in p.stderr, p.stderr
    rows = res.read_table(sweep / "results.csv")
    assert sorted({r["job"] for r in rows}) == ["s/0", "s/2"] and len(rows) == 6
    assert res.job_dirs(str(sweep)) == ["s/0", "s/1", "s/2"]


def _multirun_cfg(*overrides, params=None, sweeper=None):
    """The composed config of a multirun, as the sweep callback receives it."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    with initialize_config_module("viralsim.conf", version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        cfg = loader.load_configuration("config", list(overrides), run_mode=RunMode.MULTIRUN)
    with open_dict(cfg):
        if params is not None:
            cfg.hydra.sweeper.params = params
        if sweeper is not None:
            cfg.hydra.sweeper._target_ = sweeper
    return cfg


def _basic_sweeper_jobs(cfg):
    """The jobs Hydra's own basic sweeper makes of this config: the reference."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = cfg.hydra.sweeper.params or {}
    args = [f"{k}={v}" for k, v in params.items()] + list(cfg.hydra.overrides.task)
    parsed = OverridesParser.create().parse_overrides(args)
    return len(BasicSweeper.split_arguments(parsed, None)[0])


@pytest.mark.parametrize("overrides, params, n", [
    (["rng_seed=0,1,2"], None, 3),
    (["rng_seed=0,1,2", "n_sims=10,20"], None, 6),
    ([], {"rng_seed": "range(4)"}, 4),
    (["n_sims=10,20"], {"rng_seed": "range(4)"}, 8),
    # a key in both: the command line's values replace the params'
    (["rng_seed=0,1"], {"rng_seed": "range(4)", "graph.n_nodes": "100,200"}, 4),
    (["rng_seed=5"], {"rng_seed": "range(4)"}, 1),
])
def test_sweep_job_count_is_the_basic_sweepers(overrides, params, n):
    cfg = _multirun_cfg(*overrides, params=params)
    assert app._sweep_jobs(cfg) == _basic_sweeper_jobs(cfg) == n


@pytest.mark.parametrize("overrides, sweeper", [
    (["probabilities.p=interval(0.01,0.1)"], None),  # the basic sweeper refuses it
    (["strategy=glob(*)"], None),  # only the config loader can list the choices
    (["rng_seed=0,1,2"], "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper"),
])
def test_sweep_job_count_unknown(overrides, sweeper):
    """Unknown, not guessed: another sweeper runs its own number of trials, and a
    count that is too small would leave finished jobs out of the merge."""
    assert app._sweep_jobs(_multirun_cfg(*overrides, sweeper=sweeper)) is None


def test_cli_sweep_defined_in_a_config_merges_only_its_jobs(tmp_path):
    """``hydra.sweeper.params`` in a config (here a study preset in ./configs) counts
    its jobs like the command line: an earlier, larger sweep's job 3 in the same
    directory is not merged."""
    study = tmp_path / "configs" / "study"
    study.mkdir(parents=True)
    sweep = tmp_path / "sweep"
    args = ["-m", "+study=seeds", "n_sims=100", "formats=[png]",
            "experiment.size_distribution=false", f"hydra.sweep.dir={sweep}"]
    for seeds in ("0,1,2,3", "0,1,2"):
        (study / "seeds.yaml").write_text(
            "# @package _global_\ngraph:\n  n_nodes: 200\n"
            f"hydra:\n  sweeper:\n    params:\n      rng_seed: {seeds}\n")
        p = _cli(args, tmp_path)
        assert p.returncode == 0, p.stderr
    assert res.is_done(str(sweep / "3"))
    merged = res.read_table(sweep / "results.csv")
    assert sorted({r["job"] for r in merged}) == [0, 1, 2] and len(merged) == 9


def test_cli_joblib_launcher_sweep_merges(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    sweep = tmp_path / "sweep"
    p = _cli(["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "graph.n_nodes=200",
              "n_sims=100", "formats=[png]", "rng_seed=0,1,2", f"hydra.sweep.dir={sweep}"],
             tmp_path, env={"PYTHONWARNINGS": "ignore"})
    assert p.returncode == 0, p.stderr
    merged = res.read_table(sweep / "results.csv")
    assert sorted({r["job"] for r in merged}) == [0, 1, 2] and len(merged) == 9
    # the same numbers as in-process runs of the same configs
    app.run(cfg_of("graph.n_nodes=200", "n_sims=100", "formats=[png]", "rng_seed=2"),
            str(tmp_path / "one"), quiet=True)
    one = res.read_table(tmp_path / "one" / "results.csv")
    assert [r["mean"] for r in merged if r["job"] == 2] == [r["mean"] for r in one]


def test_joblib_parallel_kwargs_are_the_launchers(tmp_path, monkeypatch):
    """The workers started as the sweep starts are the launcher's only if joblib is
    given the same arguments as by Hydra's plugin: its Parallel is spied on here."""
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    from hydra.core.utils import JobReturn
    from hydra_plugins.hydra_joblib_launcher import _core
    from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher

    seen = []

    class Spy:
        def __init__(self, **kwargs):
            seen.append(kwargs)

        def __call__(self, tasks):
            return [JobReturn() for _ in tasks]

    monkeypatch.setattr(_core, "Parallel", Spy)
    for extra in ([], ["hydra.launcher.batch_size=4", "hydra.launcher.pre_dispatch=3"]):
        cfg = _hydra_cfg_of("hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                            f"hydra.sweep.dir={tmp_path}", *extra)
        launcher = JoblibLauncher(**{k: v for k, v in OmegaConf.to_container(
            cfg.hydra.launcher, resolve=True).items() if k != "_target_"})
        launcher.setup(hydra_context=object(), task_function=print, config=cfg)
        launcher.launch([["rng_seed=0"]], initial_job_idx=0)
        assert seen[-1] == app._joblib_parallel_kwargs(cfg)
    assert seen[-1]["batch_size"] == 4 and seen[-1]["pre_dispatch"] == 3
    # other launchers, or one job at a time, start nothing
    assert app._joblib_parallel_kwargs(_hydra_cfg_of()) is None
    assert app._joblib_parallel_kwargs(_hydra_cfg_of("hydra/launcher=joblib",
                                                     "hydra.launcher.n_jobs=1")) is None


@pytest.mark.parametrize("extra", [[], ["hydra.launcher.verbose=10"]])
def test_joblib_workers_started_early_run_the_jobs(extra):
    """joblib reuses the workers started with the launcher's arguments (each prepared
    once, its modules imported): the jobs run in those processes, not in new ones.
    The preparing tasks print no progress line of joblib's (verbose=10 would)."""
    joblib = pytest.importorskip("joblib")
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    cfg = _hydra_cfg_of("hydra/launcher=joblib", "hydra.launcher.n_jobs=2", *extra)
    kwargs = app._joblib_parallel_kwargs(cfg)
    _shut_down_loky_pool()
    try:
        start = app._WorkerStart(kwargs)
        assert start._parallel.verbose == 0
        pids = start.join(timeout=120)
        assert len(pids) == 2 and os.getpid() not in pids
        ran = joblib.Parallel(**kwargs)(joblib.delayed(os.getpid)() for _ in range(6))
        assert set(ran) <= set(pids), (ran, pids)  # one worker may run all six
    finally:
        _shut_down_loky_pool()


def test_joblib_workers_prepared_are_no_more_than_the_jobs():
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    kwargs = app._joblib_parallel_kwargs(_hydra_cfg_of("hydra/launcher=joblib",
                                                       "hydra.launcher.n_jobs=2"))
    _shut_down_loky_pool()
    try:
        start = app._WorkerStart(kwargs, n_tasks=1)
        assert start.n_tasks == 1 and len(start.join(timeout=120)) == 1
    finally:
        _shut_down_loky_pool()
    try:  # more jobs than workers: one task per worker
        start = app._WorkerStart(kwargs, n_tasks=50)
        assert start.n_tasks == 2 and len(start.join(timeout=120)) == 2
    finally:
        _shut_down_loky_pool()  # once its tasks are done: loky's pool cannot shut down under them


def test_preparing_a_worker_never_raises(tmp_path, monkeypatch):
    """A module failing with something else than ImportError is left to the job that
    needs it: a failing preparation would have shut joblib's pool down under Hydra."""
    import gc

    (tmp_path / "broken_for_viralsim.py").write_text("raise AttributeError('broken')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(app.launcher, "_JOB_MODULES", ("broken_for_viralsim", "no_such_module_x"))
    monkeypatch.setattr(gc, "freeze", lambda: None)  # not this test process
    assert app._prepare_worker() == os.getpid()


def test_sweep_finished_in_a_joblib_worker(tmp_path, monkeypatch):
    """With joblib's workers up, a worker merges the sweep (its table and report are
    those of a merge in this process); with them gone, this process does."""
    joblib = pytest.importorskip("joblib")
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    from viralsim import report

    sweep = tmp_path / "sweep"
    for j in range(2):
        app.run(cfg_of("graph.n_nodes=200", "n_sims=100", "formats=[png]", f"rng_seed={j}",
                       "experiment.size_distribution=false"), str(sweep / str(j)), quiet=True)
    here_rows, here_missing = report.finish_sweep(str(sweep), n_jobs=2)
    here = {f: (sweep / f).read_bytes() for f in ("results.csv", "report.md")}

    calls = []
    monkeypatch.setattr(report, "finish_sweep",
                        lambda *a, **k: calls.append(a) or ([], ["not in a worker"]))
    _shut_down_loky_pool()
    try:
        joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(abs)(i) for i in range(2))
        for f in here:
            (sweep / f).unlink()
        rows, missing = app._finish_sweep(str(sweep), 2, in_workers=True)
        assert not calls and (rows, missing) == (here_rows, here_missing)
        assert {f: (sweep / f).read_bytes() for f in here} == here
    finally:
        _shut_down_loky_pool()
    # no pool: merged here (the spy), and no pool is started for it
    assert app._finish_sweep(str(sweep), 2, in_workers=True) == ([], ["not in a worker"])
    assert len(calls) == 1 and app._live_loky_pool() is None
    # not a joblib sweep: here, whatever pool is up
    assert app._finish_sweep(str(sweep), 2) == ([], ["not in a worker"]) and len(calls) == 2


def test_sweep_finished_here_when_the_worker_dies_and_merge_errors_raised(tmp_path,
                                                                          monkeypatch):
    pytest.importorskip("joblib")
    from concurrent.futures import Future

    from joblib.externals.loky.process_executor import (
        ShutdownExecutorError,
        TerminatedWorkerError,
    )

    from viralsim import report

    class Pool:
        def __init__(self, exc):
            self.exc = exc

        def submit(self, *a):
            if isinstance(self.exc, ShutdownExecutorError):
                raise self.exc
            f = Future()
            f.set_exception(self.exc)
            return f

    monkeypatch.setattr(report, "finish_sweep", lambda *a, **k: (["here"], []))
    for exc in (TerminatedWorkerError("worker killed"), ShutdownExecutorError("shut down")):
        monkeypatch.setattr(app.launcher, "_live_loky_pool", lambda exc=exc: Pool(exc))
        assert app._finish_sweep(str(tmp_path), 1, in_workers=True) == (["here"], [])
    # the worker's records are handled at this process's levels
    import logging

    class Done:
        def submit(self, *a):
            f = Future()
            recs = [logging.makeLogRecord({"name": "viralsim", "levelno": lv, "msg": m,
                                           "levelname": logging.getLevelName(lv)})
                    for lv, m in ((logging.DEBUG, "quiet"), (logging.WARNING, "loud"))]
            f.set_result((["there"], [], recs))
            return f

    monkeypatch.setattr(app.launcher, "_live_loky_pool", Done)
    with _viralsim_messages(level=logging.INFO) as seen:
        assert app._finish_sweep(str(tmp_path), 1, in_workers=True) == (["there"], [])
    assert seen == ["loud"]
    # an error of the merge itself is raised, not retried here
    monkeypatch.setattr(app.launcher, "_live_loky_pool", lambda: Pool(RuntimeError("merge failed")))
    with pytest.raises(RuntimeError, match="merge failed"):
        app._finish_sweep(str(tmp_path), 1, in_workers=True)


def test_a_sweep_whose_merge_fails_exits_with_1(tmp_path, monkeypatch, capsys):
    """Hydra turns a callback's exception into a warning (exit 0): the merge's error
    is reported and the sweep exits with 1."""
    from viralsim import report

    def fail(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(report, "finish_sweep", fail)
    cfg = OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path)}, "sweeper": {},
                                      "overrides": {"task": ["rng_seed=0,1"]},
                                      "launcher": {"_target_": "basic"}}})
    with pytest.raises(SystemExit) as e:
        app.SweepCallback().on_multirun_end(cfg)
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert "could not be merged: disk full" in err and str(tmp_path) in err
    assert "Traceback" not in err
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    with pytest.raises(SystemExit):
        app.SweepCallback().on_multirun_end(cfg)
    err = capsys.readouterr().err
    assert "Traceback" in err and "set HYDRA_FULL_ERROR" not in err


def test_a_merge_failing_in_a_worker_still_sends_its_log_records(tmp_path, monkeypatch):
    pytest.importorskip("joblib")
    import logging

    from viralsim import report

    def merge(sweep_dir, n_jobs=None):
        logging.getLogger("viralsim").warning("job 2 unreadable")
        raise OSError("disk full")

    monkeypatch.setattr(report, "finish_sweep", merge)
    with pytest.raises(OSError) as e:
        app._finish_sweep_in_worker(str(tmp_path), 3)
    assert [r.getMessage() for r in e.value._viralsim_log] == ["job 2 unreadable"]

    from concurrent.futures import Future

    class Pool:  # the exception as it comes back from the worker
        def submit(self, *a):
            f = Future()
            f.set_exception(e.value)
            return f

    monkeypatch.setattr(app.launcher, "_live_loky_pool", Pool)
    with _viralsim_messages() as seen, pytest.raises(OSError, match="disk full"):
        app._finish_sweep(str(tmp_path), 3, in_workers=True)
    assert seen == ["job 2 unreadable"]


def test_sweep_finished_in_a_worker_sends_its_log_records(tmp_path, monkeypatch):
    """A worker's root logger writes to its last job's log file: the merge's records
    are kept and handled by the launching process instead, message and traceback."""
    import logging

    from viralsim import report

    def merge(sweep_dir, n_jobs=None):
        logging.getLogger("viralsim").warning("job %s has %d rows", "3", 0)
        try:
            raise ValueError("bad row")
        except ValueError:
            logging.getLogger("viralsim").exception("skipped")
        return [{"a": 1}], ["3"]

    monkeypatch.setattr(report, "finish_sweep", merge)
    root = logging.getLogger()
    before = root.handlers[:]
    rows, missing, records = app._finish_sweep_in_worker(str(tmp_path), 4)
    assert root.handlers == before
    assert (rows, missing) == ([{"a": 1}], ["3"])
    assert [r.getMessage() for r in records] == ["job 3 has 0 rows", "skipped"]
    assert "ValueError: bad row" in records[1].exc_text and records[1].exc_info is None
    import pickle

    assert pickle.loads(pickle.dumps(records))[0].levelname == "WARNING"


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
@pytest.mark.parametrize("launcher", ["basic", "joblib"])
def test_cli_sweep_in_a_terminal(tmp_path, launcher):
    """In a terminal the sweep shows a bar over its jobs; with a parallel launcher the
    jobs (and Hydra's callbacks, sent with them) still reach the workers: the job
    bar could not be pickled and every job failed to start."""
    args = ["-m", "graph.n_nodes=200", "n_sims=100", "formats=[png]", "rng_seed=0,1,2",
            "experiment.size_distribution=false", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    if launcher == "joblib":
        pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
        args += ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]
    rc, out = _cli_in_terminal(args, tmp_path)
    assert rc == 0, out
    assert len(res.read_table(tmp_path / "sweep" / "results.csv")) == 9
    # the bar over jobs: moved by on_job_end in this process (basic), by the jobs'
    # markers on disk where they run in workers (joblib)
    assert "sweep: 100%" in out and "3/3" in out, out
    # run again: every job is skipped as done, and counted
    rc, out = _cli_in_terminal(args, tmp_path)
    assert rc == 0 and "already done, skipped" in out, out
    assert "sweep: 100%" in out and "3/3" in out, out


def test_sweep_bar_watcher_counts_nested_finished_jobs(tmp_path):
    class Bar:
        total, n = 6, 0

        def update(self, k):
            self.n += k

    old = tmp_path / "old"  # finished before this sweep started, not started again: not counted
    (old / ".hydra").mkdir(parents=True)
    (old / ".hydra" / "config.yaml").write_text("")
    (old / "DONE").write_text("")
    past = time.time() - 3600
    os.utime(old / ".hydra" / "config.yaml", (past, past))
    watch = app._JobWatcher(str(tmp_path), Bar(), interval=0.02)
    for job, marker in [("0", "DONE"), ("a=1/0", "DONE"), ("a=1/1", "FAILED"),
                        ("b/c/d", "DONE"), ("running", None)]:
        (tmp_path / job / ".hydra").mkdir(parents=True)
        (tmp_path / job / ".hydra" / "config.yaml").write_text("")
        if marker:
            (tmp_path / job / marker).write_text("")
    watch.stop()
    assert watch.bar.n == 4


# ------------------------------------------------------------- replicate summaries
def _toy_sweep():
    """Two settings of p, three seeds each (seed 1 of p=0.2 run twice), a budget plan
    whose seed count changes with the seed, one setting run once."""
    rows = []
    reach = {(0.1, 0): 10.0, (0.1, 1): 14.0, (0.1, 2): 12.0,
             (0.2, 0): 20.0, (0.2, 1): 26.0, (0.2, 2): 29.0}
    job = 0
    for (p, seed), m in reach.items():
        rows.append({"job": job, "p": p, "plan": "hubs", "k": 5, "mean": m, "ci_low": m - 1,
                     "ci_high": m + 1, "exposure": 2 * m, "exposure_ci_low": 0.0,
                     "exposure_ci_high": 1.0, "n_edges": 100 + seed, "n_sims": 50,
                     "elapsed": 0.1 * seed, "rng_seed": seed})
        rows.append({"job": job, "p": p, "plan": "budget 3", "budget": 3.0, "k": 3 + seed,
                     "mean": m / 2, "ci_low": 0.0, "ci_high": 1.0, "n_sims": 50,
                     "rng_seed": seed})
        job += 1
    rows.append(dict(rows[2], job=job))  # p=0.1, seed 1 again (a repeated job)
    rows.append({"job": job + 1, "p": 0.3, "plan": "hubs", "k": 5, "mean": 40.0,
                 "ci_low": 39.0, "ci_high": 41.0, "n_sims": 50, "rng_seed": 0})
    return rows


def test_replicate_summary_by_hand():
    from viralsim.report import summarise_replicates

    out = summarise_replicates(_toy_sweep(), confidence=0.95)
    assert [(s["p"], s["plan"]) for s in out] == [
        (0.1, "hubs"), (0.1, "budget 3"), (0.2, "hubs"), (0.2, "budget 3"), (0.3, "hubs")]
    t2 = 4.302652729911275  # Student's t, 2 degrees of freedom, 97.5%
    # p=0.1, hubs: 10, 14, 12 (seed 1's repeat counted once): mean 12, sd 2
    s = out[0]
    assert (s["k"], s["n_replicates"], s["rng_seeds"], s["n_sims"]) == (5, 3, "0 1 2", 150)
    assert s["mean"] == 12.0 and s["replicate_sd"] == pytest.approx(2.0)
    assert s["stderr"] == pytest.approx(2.0 / 3**0.5)
    assert (s["ci_low"], s["ci_high"]) == pytest.approx((12 - t2 * 2 / 3**0.5,
                                                         12 + t2 * 2 / 3**0.5))
    # exposure 20, 28, 24: summarised alike; graph size and time are not settings
    assert s["exposure"] == 24.0 and s["exposure_ci_high"] == pytest.approx(24 + t2 * 4 / 3**0.5)
    assert "n_edges" not in s and "elapsed" not in s
    # the budget plan: k 3, 4, 5 is a result, not three settings
    b = out[3]
    assert "k" not in b and b["budget"] == 3.0 and b["n_replicates"] == 3
    assert b["mean"] == pytest.approx(25.0 / 2)  # 20, 26, 29 halved
    # p=0.2, hubs: 20, 26, 29: mean 25, sd sqrt(21)
    assert out[2]["ci_high"] == pytest.approx(25 + t2 * 21**0.5 / 3**0.5)
    # one seed: no interval between replicates
    s = out[4]
    assert (s["mean"], s["n_replicates"], s["ci_low"], s["ci_high"]) == (40.0, 1, None, None)


def test_replicate_summary_confidence_and_swept_n_sims():
    from viralsim.report import summarise_replicates

    rows = [{"plan": "a", "n_sims": n, "mean": m, "ci_low": 0.0, "ci_high": 1.0, "rng_seed": s}
            for n in (10, 20) for s, m in enumerate((1.0, 3.0))]
    pooled = summarise_replicates(rows, confidence=0.5)
    assert len(pooled) == 1 and pooled[0]["n_replicates"] == 2  # seed 0 of n_sims=10 kept
    by_n = summarise_replicates(rows, confidence=0.5, settings={"n_sims"})
    assert [(s["n_sims"], s["n_replicates"]) for s in by_n] == [(10, 2), (20, 2)]
    # 2 replicates, t(1 df) at 75% = 1: mean 2 +- sd/sqrt 2 = 1
    assert (by_n[0]["ci_low"], by_n[0]["ci_high"]) == pytest.approx((1.0, 3.0))


def test_sweep_without_replicates_writes_no_summary(tmp_path):
    pytest.importorskip("matplotlib")
    from viralsim import report

    (tmp_path / "summary.csv").write_text("stale\n")  # an earlier sweep's
    for j, p in enumerate((0.1, 0.2)):
        rows = [{"p": p, "plan": "hubs", "k": k, "mean": 10.0 * k * p, "ci_low": 0.0,
                 "ci_high": 20.0, "rng_seed": 0} for k in (1, 2)]
        res.write_table(rows, tmp_path / str(j) / "results.csv", parquet=False)
        res.mark_done(str(tmp_path / str(j)), {"p": p})
    report.finish_sweep(str(tmp_path), n_jobs=2)
    assert not (tmp_path / "summary.csv").exists()
    assert "## Replicates" not in (tmp_path / "report.md").read_text()


def test_sweep_summary_reads_the_jobs_confidence_and_swept_keys(tmp_path):
    """The jobs' config.yaml gives the level; their meta.json the swept keys (n_sims)."""
    pytest.importorskip("matplotlib")
    from viralsim import report

    j = 0
    for n in (10, 20):
        for seed, m in enumerate((1.0, 3.0)):
            d = tmp_path / str(j)
            res.write_table([{"plan": "a", "mean": m, "ci_low": 0.0, "ci_high": 4.0,
                              "n_sims": n, "rng_seed": seed}], d / "results.csv", parquet=False)
            (d / "config.yaml").write_text("confidence: 0.5\n")
            res.write_meta(str(d), {"j": j}, keys={"n_sims": n, "rng_seed": seed})
            res.mark_done(str(d), {"j": j})
            j += 1
    report.finish_sweep(str(tmp_path), n_jobs=4)
    summary = res.read_table(tmp_path / "summary.csv")
    assert [s["n_sims"] for s in summary] == [10, 20]
    assert (summary[0]["ci_low"], summary[0]["ci_high"]) == pytest.approx((1.0, 3.0))
    assert "a 50% t interval between replicates" in (tmp_path / "report.md").read_text()


def test_replicate_summary_pools_differences_only_against_one_baseline():
    from viralsim.report import summarise_replicates

    def row(seed, strategy, m, base):
        return {"strategy": strategy, "k": 5, "mean": m, "ci_low": m - 1, "ci_high": m + 1,
                "baseline": base, "diff": m - 10.0, "diff_ci_low": 0.0, "diff_ci_high": 1.0,
                "rng_seed": seed}

    same = [row(s, "imm", 12.0 + s, "degree") for s in (0, 1)]
    (s,) = summarise_replicates(same)
    assert s["baseline"] == "degree" and s["diff"] == 2.5 and s["mean"] == 12.5
    mixed = [row(0, "imm", 12.0, "degree"), row(1, "imm", 13.0, "pagerank")]
    (s,) = summarise_replicates(mixed)  # reach pooled still; differences not
    assert s["baseline"] == "varies" and s["mean"] == 12.5 and s["n_replicates"] == 2
    assert not any("diff" in c for c in s)
