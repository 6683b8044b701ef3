"""report.md and the console table: intervals, costs per adopter, headers, sweep figures."""

import math

import pytest

from viralsim import report
from viralsim import results as res

CFG = {"confidence": 0.95, "rng_seed": 0}


def _row(plan, mean, lo, hi, **kw):
    return {"plan": plan, "k": 1, "mean": mean, "ci_low": lo, "ci_high": hi, "n_sims": 1000,
            "elapsed": 0.01, "graph": "g", "n_nodes": 3000, "n_edges": 12000,
            "probabilities": "uniform 0.01", "model": "IC", "rng_seed": 0, "version": "0.1.0",
            **kw}


# ---------------------------------------------------------------------- intervals
@pytest.mark.parametrize("mean, low, high, want", [
    (1.0, 1.0, 1.119, "1.00 (1.00 to 1.12)"),  # rule of three: one-sided
    (5.0, 4.2, 7.9, "5.0 (4.2 to 7.9)"),  # few cascades spread: skewed
    (2480.0, 2420.0, 2526.0, "2,480 (2,420 to 2,526)"),  # ends 7 from mean ± 53: over half a 10
    (2480.0, 2435.0, 2526.0, "2,480 ± 46"),  # arms 45 and 46: within the rounding (tens)
    (0.1 + 0.2, 0.1, 0.5000000001, "0.30 ± 0.20"),  # floating-point noise is not asymmetry
    (10.0, 10.0, 10.0, "10 ± 0"),
])
def test_plus_minus_writes_out_intervals_not_symmetric_about_the_mean(mean, low, high, want):
    assert report.plus_minus(mean, low, high) == want
    assert report.is_asymmetric(mean, low, high) == ("(" in want)


def test_tables_show_one_sided_intervals_as_their_ends():
    rows = [_row("none", 1.0, 1.0, 1.119), _row("top", 25.52, 23.05, 27.99)]
    md = report.markdown_table(rows)
    assert "| reach (mean, CI) |" in md
    assert "| none | 1 | 1.00 (1.00 to 1.12) |" in md and "| top | 1 | 25.5 ± 2.5 |" in md
    console = report.format_table(rows)
    assert "reach (mean, CI)" in console and "1.00 (1.00 to 1.12)" in console
    assert "reach (mean ± CI)" in report.format_table(rows[1:])  # all symmetric: as before


# ---------------------------------------------------------------------- cost per adopter
def test_cost_per_adopter_has_three_significant_digits():
    assert [report.sig_fig(v) for v in (0.03472, 0.03318, 12.345, 2.0, 1234.5, None)] == [
        "0.0347", "0.0332", "12.3", "2.00", "1,234", ""]
    best = _row("A", 288.0, 280.0, 296.0, cost=10.0, cost_per_adopter=10.0 / 288.0, diff=0.0,
                diff_ci_low=0.0, diff_ci_high=0.0)
    other = _row("B", 301.3, 293.0, 309.6, cost=10.0, cost_per_adopter=10.0 / 301.3, diff=-13.3,
                 diff_ci_low=-15.0, diff_ci_high=-11.6)
    text = report.campaign_report([best, other], [], {}, CFG)
    assert "| 0.0347 |" in text and "| 0.0332 |" in text
    assert "(0.0347 per adopter)" in text and "0.03 " not in text
    console = report.format_table([best, other])
    assert "0.0347" in console and "0.0332" in console


# ---------------------------------------------------------------------- headers
def test_sensitivity_header_describes_the_grid_and_claims_no_common_worlds():
    ps = [0.005, 0.01, 0.02, 0.05]
    rows = [_row("top 10", 10 + 1000 * p, 9 + 1000 * p, 11 + 1000 * p, probabilities=f"uniform {p:g}",
                 **{"probabilities.p": p}) for p in ps]
    text = report.sensitivity_report(rows, {}, CFG, "probabilities.p", None)
    head = text.split("\n\n")[1]
    assert "probabilities.p from 0.005 to 0.05 (4 values)" in head
    assert "uniform 0.005" not in head and "common random numbers" not in head
    assert "rows differ in probabilities.p, so they are not simulated in the same worlds" in head
    assert "Graph **g** (3,000 consumers, 12,000 follower edges)" in head


def test_scaling_header_gives_the_range_of_sizes():
    rows = [_row("top 10", 10.0, 9.0, 11.0, n_nodes=n, n_edges=4 * n, graph_mib=0.1,
                 max_rss_mib=100.0) for n in (3000, 12000, 48000)]
    head = report.scaling_report(rows, 1.0, {}, CFG).split("\n\n")[1]
    assert "at 3 sizes (3,000 to 48,000 consumers, 12,000 to 192,000 follower edges)" in head
    assert "common random numbers" not in head and "rows differ in graph size" in head


def test_header_keeps_common_random_numbers_where_rows_share_their_worlds():
    rows = [_row("a", 10.0, 9.0, 11.0), _row("b", 12.0, 11.0, 13.0)]
    head = report.estimate_report(rows, {}, CFG).split("\n\n")[1]
    assert head.startswith("Graph **g** (3,000 consumers, 12,000 follower edges), probabilities "
                           "uniform 0.01, model IC, rng_seed 0, viralsim 0.1.0.")
    assert "every plan is simulated in the same worlds (common random numbers)" in head


# ---------------------------------------------------------------------- sweep figure
def _sweep_axes(sweep_dir, monkeypatch, n_jobs):
    """The Axes of the figure finish_sweep draws for the jobs in ``sweep_dir``."""
    from viralsim import plots

    seen = {}
    real = plots.reach_curve

    def spy(rows, **kw):
        seen["ax"] = ax = real(rows, **kw)
        return ax

    monkeypatch.setattr(plots, "reach_curve", spy)
    report.finish_sweep(str(sweep_dir), n_jobs=n_jobs)
    return seen["ax"]


def test_sweep_figure_names_lines_by_setting_and_keeps_15_series_apart(tmp_path, monkeypatch):
    """Jobs at three settings (no replicates): a line per job and strategy, named by
    the setting; past 10 colours the style changes. (Before issue 19 this sweep was
    over rng_seed; replicates are now pooled, see the test below.)"""
    pytest.importorskip("matplotlib")

    strategies = ["random", "degree", "pagerank", "imm", "celf"]
    for j, p in enumerate((0.01, 0.02, 0.03)):
        rows = [{"probabilities.p": p, "strategy": s, "k": k, "mean": 10.0 * k + i + j,
                 "ci_low": 10.0 * k - 1, "ci_high": 10.0 * k + 6, "rng_seed": 0,
                 "n_sims": 100, "elapsed": 0.1}
                for i, s in enumerate(strategies) for k in (1, 5, 10)]
        res.write_table(rows, tmp_path / str(j) / "results.csv", parquet=False)
        res.mark_done(str(tmp_path / str(j)), {"p": p})
    ax = _sweep_axes(tmp_path, monkeypatch, n_jobs=3)
    lines = ax.get_lines()
    labels = [ln.get_label() for ln in lines]
    assert len(labels) == 15 and "probabilities.p=0.02: degree" in labels
    assert not any(lab.startswith("job ") for lab in labels)
    looks = {(ln.get_color(), ln.get_linestyle(), ln.get_marker()) for ln in lines}
    assert len(looks) == 15  # colours repeat after 10: style and marker do not
    ax.figure.draw_without_rendering()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1  # beside the axes, not over the curves
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels
    assert not (tmp_path / "summary.csv").exists()


def test_sweep_of_replicate_seeds_draws_one_line_per_setting_with_its_band(tmp_path,
                                                                          monkeypatch):
    """Five strategies x three k, run with rng_seed 0, 1, 2: five lines (not 15), each
    the mean over the seeds with the between-replicate t interval as its band."""
    pytest.importorskip("matplotlib")

    strategies = ["random", "degree", "pagerank", "imm", "celf"]
    spread = {0: -1.0, 1: 0.0, 2: 4.0}  # per seed: mean +1, sd sqrt(7)
    for seed in (0, 1, 2):
        rows = [{"strategy": s, "k": k, "mean": 10.0 * k + i + spread[seed],
                 "ci_low": 0.0, "ci_high": 1.0, "rng_seed": seed, "n_sims": 100,
                 "elapsed": 0.1} for i, s in enumerate(strategies) for k in (1, 5, 10)]
        res.write_table(rows, tmp_path / str(seed) / "results.csv", parquet=False)
        res.mark_done(str(tmp_path / str(seed)), {"rng_seed": seed})
    ax = _sweep_axes(tmp_path, monkeypatch, n_jobs=3)
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == strategies
    assert len({ln.get_color() for ln in lines}) == 5
    half = 4.302652729911275 * math.sqrt(7.0 / 3.0)  # t(2 df) * sd / sqrt(3)
    for i, ln in enumerate(lines):
        assert ln.get_ydata().tolist() == pytest.approx([10.0 * k + i + 1.0 for k in (1, 5, 10)])
    band = ax.collections[1].get_paths()[0].vertices[:, 1]  # degree's band
    assert band.min() == pytest.approx(11.0 + 1.0 - half)
    assert band.max() == pytest.approx(101.0 + 1.0 + half)
    summary = res.read_table(tmp_path / "summary.csv")
    assert len(summary) == 15 and {s["n_replicates"] for s in summary} == {3}
    text = (tmp_path / "report.md").read_text()
    assert "## Replicates" in text and "t interval between replicates" in text


@pytest.mark.parametrize("sizes", [(5, 5, 10), (5, 5, 5)])
def test_sweep_of_replicates_shows_each_plans_mean_with_its_interval(tmp_path, monkeypatch,
                                                                    sizes):
    """Plans of fixed size, jobs differing by seed only: reach against k would draw
    one point per line (or nothing, when every plan has the same k). Each plan gets
    a slot instead, with the mean over the seeds and its between-replicate interval.
    (Before issue 19: a point per job.)"""
    pytest.importorskip("matplotlib")
    from viralsim import plots

    plans = ["5 random", "5 most followed", "10 most followed"]
    for seed in range(4):
        rows = [{"plan": p, "strategy": p.split()[-1], "k": k, "mean": 100.0 * i + seed,
                 "ci_low": 100.0 * i + seed - 2, "ci_high": 100.0 * i + seed + 3,
                 "rng_seed": seed} for i, (p, k) in enumerate(zip(plans, sizes))]
        res.write_table(rows, tmp_path / str(seed) / "results.csv", parquet=False)
        res.mark_done(str(tmp_path / str(seed)), {"rng_seed": seed})
    seen = {}
    real = plots.reach_by_plan
    monkeypatch.setattr(plots, "reach_curve", lambda *a, **k: pytest.fail("one point a line"))
    monkeypatch.setattr(plots, "reach_by_plan",
                        lambda rows, **kw: seen.setdefault("ax", real(rows, **kw)))
    report.finish_sweep(str(tmp_path), n_jobs=4)
    ax = seen["ax"]
    assert [t.get_text() for t in ax.get_xticklabels()] == plans
    (bar,) = ax.containers  # a plan's strategy is not a setting of its own
    assert bar.get_label() == "mean of 4 replicates"
    assert list(bar.lines[0].get_ydata()) == [100.0 * i + 1.5 for i in range(3)]
    # values s + 100 i, s = 0..3: sd sqrt(5/3), t(3 df) = 3.182446305284263
    half = 3.182446305284263 * math.sqrt(5.0 / 3.0) / 2.0
    segs = bar.lines[2][0].get_segments()
    for i, seg in enumerate(segs):
        assert tuple(seg[:, 1]) == pytest.approx((100.0 * i + 1.5 - half, 100.0 * i + 1.5 + half))
    assert "Mean reach over replicates per plan" in (tmp_path / "report.md").read_text()
    assert (tmp_path / "sweep.png").exists()


def test_sig_fig_rounds_before_counting_digits():
    from viralsim.report import sig_fig

    assert [sig_fig(v) for v in (0.00099996, 99.96, 0.0347, 0.03316, 1234.5)] == [
        "0.00100", "100", "0.0347", "0.0332", "1,234"]
