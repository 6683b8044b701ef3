"""Figure functions: the plotted data equal the table."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from viralsim import plots  # noqa: E402

ROWS = [
    {"strategy": s, "k": k, "mean": m, "ci_low": m - 1.0, "ci_high": m + 2.0}
    for s, ks in (("degree", [(1, 5.0), (5, 20.0), (10, 31.0)]), ("random", [(5, 7.0), (1, 2.0)]))
    for k, m in ks
]


def _band(ax, i):
    v = ax.collections[i].get_paths()[0].vertices
    return v


def test_reach_curve_data_equal_table():
    ax = plots.reach_curve(ROWS, x="k", group="strategy")
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) == {"degree", "random"}
    np.testing.assert_array_equal(lines["degree"].get_xdata(), [1, 5, 10])
    np.testing.assert_array_equal(lines["degree"].get_ydata(), [5.0, 20.0, 31.0])
    np.testing.assert_array_equal(lines["random"].get_xdata(), [1, 5])  # sorted by k
    np.testing.assert_array_equal(lines["random"].get_ydata(), [2.0, 7.0])
    band = _band(ax, 0)
    # fill_between polygon: lower edge then upper edge
    assert set(map(tuple, band.round(9))) >= {(1.0, 4.0), (5.0, 19.0), (10.0, 30.0), (1.0, 7.0),
                                              (10.0, 33.0)}
    assert [c.get_label() for c in ax.collections] == ["degree CI", "random CI"]


def test_reach_curve_envelope_is_drawn_beneath_without_band():
    rows = ROWS + [dict(r, strategy="best") for r in ROWS if r["strategy"] == "degree"]
    ax = plots.reach_curve(rows, x="k", group="strategy", envelope="best")
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    np.testing.assert_array_equal(lines["best"].get_ydata(), [5.0, 20.0, 31.0])
    assert lines["best"].get_zorder() < lines["degree"].get_zorder()
    assert [c.get_label() for c in ax.collections] == ["degree CI", "random CI"]
    assert "best" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_adoption_timeline():
    t, lo, hi = np.array([5.0, 3.0, 1.0]), np.array([5.0, 2.5, 0.5]), np.array([5.0, 3.5, 1.5])
    ax = plots.adoption_timeline(t, lo, hi, label="A")
    ln = ax.get_lines()[0]
    np.testing.assert_array_equal(ln.get_xdata(), [0, 1, 2])
    np.testing.assert_array_equal(ln.get_ydata(), t)
    assert {(1.0, 2.5), (1.0, 3.5)} <= set(map(tuple, _band(ax, 0)))
    ax = plots.adoption_timeline(t, lo, hi, cumulative=True)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [5.0, 8.0, 9.0])
    # running sums of the bounds: conservative, and labelled so
    assert {(1.0, 7.5), (1.0, 8.5), (2.0, 8.0), (2.0, 10.0)} <= set(map(tuple, _band(ax, 0)))
    assert ax.collections[0].get_label() == "adopters CI (conservative)"


def test_size_distribution_is_a_normalised_log_binned_pmf():
    sizes = np.array([1] * 50 + [2] * 20 + [3] * 10 + [10] * 15 + [150] * 5)
    ax = plots.size_distribution(sizes)
    ln = ax.get_lines()[0]
    edges = plots.log_bins(sizes)
    counts, _ = np.histogram(sizes, bins=edges)
    pmf = counts / sizes.size / np.diff(edges)
    np.testing.assert_allclose(ln.get_ydata(), pmf[counts > 0])
    # mass over all sizes sums to one
    np.testing.assert_allclose((pmf * np.diff(edges)).sum(), 1.0)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert edges[0] == 1 and edges[-1] > sizes.max()


def test_paired_differences():
    rows = [{"plan": "A", "diff": 0.0, "diff_ci_low": 0.0, "diff_ci_high": 0.0},
            {"plan": "B", "diff": -3.0, "diff_ci_low": -4.0, "diff_ci_high": -1.5}]
    ax = plots.paired_differences(rows, against="A")
    ln = ax.get_lines()[0]
    np.testing.assert_array_equal(ln.get_xdata(), [0.0, -3.0])
    segs = ax.collections[0].get_segments()  # the error bars
    np.testing.assert_allclose(segs[1], [[-4.0, 1.0], [-1.5, 1.0]])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B"]


def test_sensitivity_heatmap_pivot():
    rows = [{"p": p, "c": c, "mean": 10 * p + c} for p in (0.1, 0.2, 0.05) for c in (1, 2)]
    ax = plots.sensitivity_heatmap(rows, x="p", y="c")
    grid = np.asarray(ax.images[0].get_array())
    np.testing.assert_allclose(grid, [[10 * p + c for p in (0.05, 0.1, 0.2)] for c in (1, 2)])
    # cell labels: the values, readable on their cells (viridis: dark low, yellow high)
    texts = {t.get_text(): t.get_color() for t in ax.texts}
    assert texts["2"] == "white" and texts["4"] == "black"  # 10*0.05+1 (lowest), 10*0.2+2
    ax = plots.sensitivity_heatmap(rows[:3:2], x="p")
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [0.1, 0.2])


def test_scaling_curve_slope():
    rows = [{"n_edges": n, "elapsed": 3e-6 * n**1.5} for n in (1e3, 1e4, 1e5)]
    ax, slope = plots.scaling_curve(rows)
    assert slope == pytest.approx(1.5)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [r["elapsed"] for r in rows])
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [r["elapsed"] for r in rows])


def test_save_png_and_svg(tmp_path):
    ax = plots.reach_curve(ROWS)
    paths = plots.save(ax, str(tmp_path / "fig"))
    assert [p.rsplit(".", 1)[1] for p in paths] == ["png", "svg"]
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (tmp_path / "fig.svg").read_bytes()[:500]


def test_import_does_not_load_matplotlib():
    import subprocess
    import sys

    code = "import sys, viralsim, viralsim.plots, viralsim.results, viralsim.experiments; " \
           "print('matplotlib' in sys.modules, 'hydra' in sys.modules)"
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_figures_take_a_comparison_table():
    import viralsim as vs

    g = vs.generators.barabasi_albert(300, 2, rng=0).with_probabilities(0.1)
    t = vs.compare_strategies(g, ["random", "degree"], k=[1, 5], n_sims=200, rng=0)
    ax = plots.reach_curve(t)
    (deg,) = [ln for ln in ax.get_lines() if ln.get_label() == "degree"]
    want = [r["reach_mean"] for r in t.rows if r["strategy"] == "degree"]
    np.testing.assert_array_equal(deg.get_ydata(), want)
    ax = plots.paired_differences(t)  # the baseline's own rows are left out
    assert [x.get_text() for x in ax.get_yticklabels()] == ["degree (k = 1)", "degree (k = 5)"]
    tb = vs.compare_strategies(g, ["random", "degree"], budget=[5, 10], n_sims=200, rng=0)
    ax = plots.reach_curve(tb.rows)  # by budget: the table has no k
    assert ax.get_xlabel() == "budget" and ax.get_lines()[0].get_xdata().tolist() == [5.0, 10.0]


def test_reach_curve_many_series_differ_and_legend_sits_beside():
    rows = [{"strategy": f"s{i}", "k": k, "mean": i + k, "ci_low": i + k - 0.5,
             "ci_high": i + k + 0.5} for i in range(15) for k in (1, 5)]
    ax = plots.reach_curve(rows)
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == [f"s{i}" for i in range(15)]
    np.testing.assert_array_equal(lines[12].get_ydata(), [13, 17])
    looks = [(ln.get_color(), ln.get_linestyle(), ln.get_marker()) for ln in lines]
    assert len(set(looks)) == 15 and looks[0][0] == looks[10][0]  # colour repeats, style not
    from matplotlib.colors import to_rgb

    np.testing.assert_allclose(ax.collections[10].get_facecolor()[0][:3], to_rgb(looks[10][0]))
    ax.figure.draw_without_rendering()
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
    few = plots.reach_curve(ROWS)  # two lines: the legend stays inside, default styles
    few.figure.draw_without_rendering()
    inside = few.get_window_extent()
    assert few.get_legend().get_window_extent().x1 <= inside.x1
    assert [ln.get_linestyle() for ln in few.get_lines()] == ["-", "-"]


def test_reach_vs_k_is_reach_curve_of_the_table():
    import matplotlib

    matplotlib.use("Agg")
    import viralsim as vs
    from viralsim import compare

    assert compare.reach_vs_k is plots.reach_vs_k is vs.reach_vs_k  # old homes keep working
    g = vs.generators.barabasi_albert(100, 2, rng=0).with_probabilities(0.1)
    t = vs.compare_strategies(g, ["random", "degree"], k=[4, 1], n_sims=50, rng=0)
    a, b = vs.reach_vs_k(t), plots.reach_curve(t)
    for la, lb in zip(a.get_lines(), b.get_lines(), strict=True):
        assert la.get_label() == lb.get_label()
        np.testing.assert_array_equal(la.get_xdata(), [1.0, 4.0])  # sorted by k
        np.testing.assert_array_equal(la.get_ydata(), lb.get_ydata())
    assert len(a.collections) == 2 and a.get_ylabel() == "expected reach (adopters)"
    assert len(vs.reach_vs_k(t, band=False).collections) == 0
    assert len(t.plot(band=False).get_lines()) == 2
    import matplotlib.pyplot as plt

    plt.close("all")
