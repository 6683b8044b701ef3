"""Tidy tables, atomic writes, job markers, sweep merge."""

import os
import subprocess
import sys
import textwrap

import pytest

from viralsim import results as res


def test_table_round_trip_and_column_order(tmp_path):
    rows = [
        {"strategy": "degree", "k": 5, "mean": 12.5, "ci_low": 11.0, "ci_high": 14.0, "stderr": 0.75,
         "n_sims": 100, "elapsed": 0.1, "rng_seed": 0, "version": "0.1.0"},
        {"strategy": "random", "k": 5, "extra": "x", "mean": 1 / 3, "ci_low": 0.0, "ci_high": 1.0,
         "stderr": 0.1, "n_sims": 100, "elapsed": 0.2, "rng_seed": 0, "version": "0.1.0"},
    ]
    res.write_table(rows, tmp_path / "t.csv", parquet=False)
    back = res.read_table(tmp_path / "t.csv")
    header = (tmp_path / "t.csv").read_text().splitlines()[0].split(",")
    assert header == ["strategy", "k", "extra", *res.RESULT_COLUMNS]
    assert back[1]["mean"] == 1 / 3  # floats round-trip exactly
    assert back[0]["extra"] is None and back[1]["extra"] == "x"
    assert back[0]["k"] == 5 and back[0]["strategy"] == "degree"


def test_parquet_written_when_pyarrow_present(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [{"a": 1, "mean": 2.5}]
    paths = res.write_table(rows, tmp_path / "t.csv")
    assert paths[1].endswith("t.parquet")
    assert pq.read_table(paths[1]).to_pylist() == rows


def test_atomic_write_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "results.csv"
    with pytest.raises(RuntimeError):
        with res.atomic_write(target) as fh:
            fh.write("strategy,mean\nrandom,1.0\n")
            raise RuntimeError("killed")
    assert os.listdir(tmp_path) == []
    # an old complete file survives a failed rewrite untouched
    res.write_text(target, "old\n")
    with pytest.raises(RuntimeError):
        with res.atomic_write(target) as fh:
            fh.write("new, partial")
            raise RuntimeError("killed")
    assert target.read_text() == "old\n" and os.listdir(tmp_path) == ["results.csv"]


def test_atomic_write_after_hard_kill(tmp_path):
    """SIGKILL in the middle of a write: no file at the final name, only a dot-temp file."""
    code = textwrap.dedent(f"""
        import os, signal
        from viralsim import results as res
        with res.atomic_write({str(tmp_path / 'results.csv')!r}) as fh:
            fh.write("strategy,mean\\n" + "degree,1.0\\n" * 1000)
            fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert p.returncode != 0
    names = os.listdir(tmp_path)
    assert "results.csv" not in names
    assert all(n.startswith(".results.csv.") and n.endswith(".tmp") for n in names)
    assert not res.is_done(str(tmp_path))


def test_done_marker_carries_config_hash(tmp_path):
    cfg = {"rng_seed": 0, "graph": {"n_nodes": 10}}
    assert not res.is_done(str(tmp_path), cfg)
    res.mark_done(str(tmp_path), cfg)
    assert res.is_done(str(tmp_path), cfg) and res.is_done(str(tmp_path))
    assert not res.is_done(str(tmp_path), {**cfg, "rng_seed": 1})
    assert res.config_hash(cfg) == res.config_hash({"graph": {"n_nodes": 10}, "rng_seed": 0})


def _job(d, i, done=True):
    os.makedirs(d / str(i))
    res.write_text(d / str(i) / "config.yaml", f"rng_seed: {i}\n")
    res.write_table([{"rng_seed": i, "plan": "p", "mean": float(i)}], d / str(i) / "results.csv")
    if done:
        res.mark_done(str(d / str(i)), {"rng_seed": i})


def test_merge_sweep_three_jobs_one_killed(tmp_path):
    for i in range(3):
        _job(tmp_path, i, done=i != 1)
    rows, missing = res.merge_sweep(str(tmp_path), out=tmp_path / "results.csv")
    assert missing == ["1"]
    assert [(r["job"], r["mean"]) for r in rows] == [(0, 0.0), (2, 2.0)]
    assert [r["mean"] for r in res.read_table(tmp_path / "results.csv")] == [0.0, 2.0]
    res.mark_done(str(tmp_path / "1"), {"rng_seed": 1})
    rows, missing = res.merge_sweep(str(tmp_path))
    assert missing == [] and [r["mean"] for r in rows] == [0.0, 1.0, 2.0]


def test_environment_has_versions():
    env = res.environment()
    assert env["viralsim"] and env["dependencies"]["numpy"] and env["python"]


def test_finish_sweep_with_compare_tables(tmp_path):
    """Rows read back from CSV (baseline rows without a difference) merge into one report."""
    from viralsim import report

    for j, seed in enumerate((0, 1)):
        d = tmp_path / str(j)
        rows = [{"strategy": s, "k": k, "baseline": "random", "diff": None if s == "random" else 2.0,
                 "diff_ci_low": None if s == "random" else 1.0,
                 "diff_ci_high": None if s == "random" else 3.0,
                 "mean": 10.0 * k + (s == "degree") + seed, "ci_low": 10.0 * k - 1, "ci_high": 10.0 * k + 3,
                 "stderr": 1.0, "n_sims": 100, "elapsed": 0.1, "rng_seed": seed, "version": "0.1.0"}
                for s in ("random", "degree") for k in (1, 5)]
        res.write_text(d / "config.yaml", "x: 1\n")
        res.write_table(rows, d / "results.csv", parquet=False)
        res.mark_done(str(d), {"rng_seed": seed})
    rows, missing = report.finish_sweep(str(tmp_path))
    assert missing == [] and len(rows) == 8
    text = (tmp_path / "report.md").read_text()
    assert "2 finished jobs, 8 rows" in text and "| 1 (rng_seed=1): degree | 5 |" in text
    assert (tmp_path / "sweep.png").exists()


def test_plus_minus_rounds_at_the_intervals_digits():
    from viralsim.report import plus_minus

    cases = [((21.34, 0.4), "21.3 ± 0.4"), ((25.52, 2.47), "25.5 ± 2.5"),
             ((4616.2, 22.0), "4,616 ± 22"), ((2480.0, 90.0), "2,480 ± 90"),
             ((157.89, 16.21), "158 ± 16"), ((0.5, 0.0004), "0.5000 ± 0.0004"),
             ((2.0, 0.0), "2 ± 0"), ((3.04, 0.96), "3.0 ± 1.0")]
    for (m, h), want in cases:
        assert plus_minus(m, m - h, m + h) == want
    assert plus_minus(21.34, 20.94, 21.74, digits=2) == "21.34 ± 0.40"


def test_merge_reads_only_this_sweeps_jobs(tmp_path):
    for i in range(4):  # an earlier sweep of 4 jobs
        _job(tmp_path, i)
    rows, missing = res.merge_sweep(str(tmp_path), n_jobs=2)  # this one: 2
    assert [r["job"] for r in rows] == [0, 1] and missing == []
    assert len(res.merge_sweep(str(tmp_path))[0]) == 4  # count unknown: every job
    rows, _ = res.merge_sweep(str(tmp_path), n_jobs=6)  # job dirs not all there: every job
    assert len(rows) == 4


def test_sweep_figure_draws_a_line_per_plan_across_jobs(tmp_path, monkeypatch):
    from viralsim import plots, report

    for j, p in enumerate((0.01, 0.02, 0.05)):
        d = tmp_path / str(j)
        rows = [{"plan": plan, "p": p, "mean": 10.0 * k + 100 * p, "ci_low": 1.0, "ci_high": 2.0,
                 "rng_seed": 0} for plan, k in (("5 most followed", 5), ("10 most followed", 10))]
        res.write_table(rows, d / "results.csv", parquet=False)
        res.mark_done(str(d), {"j": j})
    seen = {}
    real = plots.reach_curve

    def spy(rows, x, group, **kw):
        seen["x"], seen["series"] = x, sorted({r[group] for r in rows})
        return real(rows, x=x, group=group, **kw)

    monkeypatch.setattr(plots, "reach_curve", spy)
    report.finish_sweep(str(tmp_path), n_jobs=3)
    assert seen == {"x": "p", "series": ["10 most followed", "5 most followed"]}


def test_parquet_columns_of_mixed_values_become_text(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [{"plan": "one", "seeds": 4, "rng_seed": 10**20, "mean": 1.0},
            {"plan": "five", "seeds": "4 1 0 5 2", "rng_seed": 10**20, "mean": 2},
            {"plan": "none", "seeds": None, "rng_seed": None, "mean": 3.0}]
    res.write_table(rows, tmp_path / "t.csv")
    t = pq.read_table(tmp_path / "t.parquet").to_pylist()
    assert [r["seeds"] for r in t] == ["4", "4 1 0 5 2", None]
    assert [r["rng_seed"] for r in t] == [str(10**20), str(10**20), None]
    assert [r["mean"] for r in t] == [1.0, 2.0, 3.0]


def test_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        res.write_text(tmp_path / "private.txt", "x")
        os.umask(0o022)  # the umask in force when writing, not when the module was imported
        res.write_text(tmp_path / "shared.txt", "x")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "private.txt").st_mode & 0o777 == 0o600
    assert os.stat(tmp_path / "shared.txt").st_mode & 0o777 == 0o644


def test_parquet_float_column_with_a_huge_int(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    res.write_table([{"a": 1.5, "mean": 1.0}, {"a": 2**70, "mean": 2.0}], tmp_path / "t.csv")
    assert [r["a"] for r in pq.read_table(tmp_path / "t.parquet").to_pylist()] == ["1.5", str(2**70)]


def test_sweep_figure_with_two_swept_keys_draws_a_line_per_other_value(tmp_path, monkeypatch):
    from viralsim import plots, report

    j = 0
    for n in (200, 400):
        for p in (0.01, 0.02):
            d = tmp_path / str(j)
            res.write_table([{"graph.n_nodes": n, "probabilities.p": p, "plan": "top",
                              "mean": n * p, "ci_low": 0.0, "ci_high": 1.0}], d / "results.csv",
                            parquet=False)
            res.mark_done(str(d), {"j": j})
            j += 1
    seen = {}
    real = plots.reach_curve

    def spy(rows, x, group, **kw):
        seen.update(x=x, lines={g: sorted(r[x] for r in rows if r[group] == g)
                                for g in {r[group] for r in rows}})
        return real(rows, x=x, group=group, **kw)

    monkeypatch.setattr(plots, "reach_curve", spy)
    report.finish_sweep(str(tmp_path), n_jobs=4)
    assert seen["x"] == "graph.n_nodes"
    assert seen["lines"] == {"top (probabilities.p=0.01)": [200, 400],
                             "top (probabilities.p=0.02)": [200, 400]}
