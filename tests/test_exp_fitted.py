"""``graph=fitted`` and ``experiment.uncertainty``: a learn run's fit planned on from the
command line, with its parameter band; the assumption band of the estimate experiment;
the mistakes (a scheme over a fitted graph, a parameter band without a fit)."""

import numpy as np
import pytest

hydra = pytest.importorskip("hydra")

import viralsim as vs  # noqa: E402
from viralsim import app  # noqa: E402
from viralsim import results as res  # noqa: E402

from .app_helpers import TINY, _cli, cfg_of  # noqa: E402
from .test_exp_learn import _cfg, _simulated  # noqa: E402


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    """A learn run (in process) on a small simulated log: its directory."""
    tmp = tmp_path_factory.mktemp("learned")
    gpath, lpath = _simulated(tmp, n_items=30, n_nodes=40)
    app.run(_cfg(gpath, lpath, "experiment.prior=0", "formats=[]",
                 "experiment.baselines=[weighted_cascade]"), str(tmp / "learn"), quiet=True)
    return tmp / "learn"


def test_cli_campaign_on_a_fitted_graph_with_its_parameter_band(learned, tmp_path):
    out = tmp_path / "camp"
    p = _cli(["experiment=campaign", "graph=fitted", f"graph.path={learned}",
              "experiment.n_sims=200", "experiment.budgets=[20]",
              "experiment.uncertainty=parameters", "experiment.band_draws=5", "formats=[png]",
              f"hydra.run.dir={out}"], cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    fit = vs.load_fit(learned)
    rows = res.read_table(out / "results.csv")
    assert {r["model"] for r in rows} == {"OutsideIC"}
    assert {r["probabilities"] for r in rows} == {"learned (em)"}
    for r in rows:
        assert r["band_kind"] == "parameters" and r["band_n"] == 5
        assert r["band_low"] <= r["band_central"] <= r["band_high"]
        # the command line's band is the library's, for the same seeds, worlds and draws
        seeds = [int(s) for s in str(r["seeds"]).split()]
        assert len(seeds) == r["k"]
        band = vs.estimate_reach_band(fit, seeds, n_draws=5, n_sims=200, rng=0)
        assert (band.low, band.central, band.high) == pytest.approx(
            (r["band_low"], r["band_central"], r["band_high"]), rel=1e-12)
        # and its reach is the fitted graph's, simulated with the fit's model
        est = vs.estimate_reach(fit.graph, seeds, model=fit.model, n_sims=200, rng=0)
        assert est.mean == pytest.approx(r["mean"], rel=1e-12)
    text = (out / "report.md").read_text()
    n_test = fit.notes["backtest"]["n_items"]
    assert ("Probabilities: learned from data by experiment=learn (em) from adoptions.csv "
            f"({fit.counts['items']:,} cascades") in text
    assert f"on {n_test} campaigns it never saw, its 90% forecast range held" in text
    assert "is simulated with it" in text
    assert "## What the forecast assumes" in text
    assert "consumers (simulation); across 5 plausible fitted parameter sets, " in text
    assert "(90% band)" in text and "| 90% band (fitted) |" in text
    assert (out / "reach_band.png").exists()


def test_fitted_graph_mistakes_are_one_line(learned, tmp_path):
    with pytest.raises(ValueError, match=r"graph=fitted keeps the probabilities the fit "
                                         r"learned; drop probabilities=uniform"):
        app.run(cfg_of("experiment=campaign", "graph=fitted", f"graph.path={learned}",
                       "probabilities=uniform", "formats=[]"), str(tmp_path / "a"), quiet=True)
    with pytest.raises(ValueError, match=r"model=WordOfMouth cannot add the outside influence"
                                         r".*graph.outside=false"):
        app.run(cfg_of("experiment=campaign", "graph=fitted", f"graph.path={learned}",
                       "model=wom", "formats=[]"), str(tmp_path / "b"), quiet=True)
    with pytest.raises(ValueError, match=r"experiment.uncertainty=parameters needs "
                                         r"probabilities learned from data: graph=fitted"):
        app.run(cfg_of("experiment=campaign", *TINY, "experiment.uncertainty=parameters"),
                str(tmp_path / "c"), quiet=True)
    with pytest.raises(ValueError, match=r"experiment.uncertainty='wide': choose none"):
        app.run(cfg_of("experiment=estimate", *TINY, "experiment.uncertainty=wide"),
                str(tmp_path / "d"), quiet=True)
    with pytest.raises(vs.ViralsimError, match=r"holds no fit.npz"):
        app.run(cfg_of("experiment=estimate", "graph=fitted", f"graph.path={tmp_path}",
                       "formats=[]"), str(tmp_path / "e"), quiet=True)
    # reverse sampling picks seeds for the cascade over the follows in the estimate and
    # campaign experiments; compare (one model for picking and scoring) says what to do
    est = app.run(cfg_of("experiment=estimate", "graph=fitted", f"graph.path={learned}",
                         "strategy=imm", "experiment.k=2", "n_sims=50", "formats=[]"),
                  str(tmp_path / "imm"), quiet=True)
    assert est.rows[-1]["plan"] == "IMM" and est.rows[-1]["model"] == "OutsideIC"
    with pytest.raises(vs.ModelNotSupported, match=r"With graph=fitted, set "
                                                   r"graph.outside=false"):
        app.run(cfg_of("experiment=compare", "graph=fitted", f"graph.path={learned}",
                       "experiment.strategies=[degree,imm]", "experiment.k=[2]", "n_sims=50",
                       "formats=[]"), str(tmp_path / "cmp"), quiet=True)
    # without the outside influence: plain IC over the learned probabilities, said so
    out = app.run(cfg_of("experiment=estimate", "graph=fitted", f"graph.path={learned}",
                         "graph.outside=false", "n_sims=50", "formats=[]",
                         "experiment.plans=[{seeds: [0]}]"), str(tmp_path / "f"), quiet=True)
    assert out.rows[0]["model"] == "IC"
    assert "not simulated here (graph.outside=false)" in out.text


def test_estimate_assumption_band(tmp_path):
    out = app.run(cfg_of("experiment=estimate", *TINY, "experiment.uncertainty=assumptions",
                         "experiment.size_distribution=false"), str(tmp_path), quiet=True)
    bands = out.extra["bands"]
    for r in out.rows:
        b = bands[r["plan"]]
        # this run's probabilities (weighted cascade) first and not twice, in the same worlds
        assert b.labels == ["weighted cascade (this run's)", "trivalency", "uniform 0.01",
                            "uniform 0.1"]
        assert r["band_central"] == r["mean"] == b.means[0]
        assert r["band_low"] == min(b.means) <= r["mean"] <= r["band_high"] == max(b.means)
        assert np.isnan(r["band_level"]) and r["band_kind"] == "assumptions"
    assert "across 4 probability assumptions (weighted cascade (this run's), trivalency" \
        in out.text
    assert "| assumption band |" in out.text
    assert (tmp_path / "reach_band.png").exists()


def test_a_changed_fit_is_a_changed_input(learned):
    """A resume must see that the learn run behind graph=fitted was redone."""
    fps = res.input_fingerprints({"graph": {"path": str(learned)}})
    assert list(fps) == [str((learned / "fit.npz").resolve())]
