"""``experiment=campaign_mix`` (viralsim.experiments.campaign_mix): channels and platforms
in a config, the plan never over budget, the report's words, one-line config errors."""

import os
import types

import numpy as np
import pytest

hydra = pytest.importorskip("hydra")

from viralsim import app  # noqa: E402
from viralsim import results as res  # noqa: E402
from viralsim.app._errors import _is_user_error  # noqa: E402
from viralsim.experiments import campaign_mix as cm  # noqa: E402

from .app_helpers import _cli, cfg_of, plain  # noqa: E402

# two small generated platforms, every kind of channel, three budgets
SMALL = [
    "experiment=campaign_mix", "formats=[png]",
    "experiment.platforms.0.graph.n_nodes=600", "experiment.platforms.1.graph.n_nodes=600",
    "experiment.n_sims=300", "experiment.select_sims=60",
    "experiment.channels=[{name: anna, platform: instagram, n_followers: 200, organic_reach: 0.3,"
    " adoption_rate: 0.1, cost: 60}, {name: cleo, platform: tiktok, n_followers: 150,"
    " organic_reach: 0.3, adoption_rate: 0.1, cost: 45}, {name: ig ads, platform: instagram,"
    " spend: 90, cpm: 30, segment: runners, frequency_cap: 2, conversion_rate: 0.02, slices: 3},"
    " {name: tt ads, platform: tiktok, spend: 80, cpm: 20, segment: runners,"
    " conversion_rate: 0.01, slices: 2}, {name: samples, seeds: [1, 2, 3], cost: 35}]",
    "experiment.budgets=[40,100,175]",
]


def _run(tmp_path, *more):
    out = tmp_path / "run"
    outcome = app.run(cfg_of(*SMALL, *more), str(out), quiet=True)
    return out, outcome


def test_plans_never_exceed_their_budget_and_compare_in_the_same_worlds(tmp_path):
    out, outcome = _run(tmp_path)
    rows = res.read_table(out / "results.csv")
    plans = res.read_table(out / "plan.csv")
    assert {r["budget"] for r in rows} == {40.0, 100.0, 175.0}
    for r in rows:
        assert r["cost"] <= r["budget"] + 1e-9
        bought = [p for p in plans if p["budget"] == r["budget"] and p["plan"] == r["plan"]]
        assert len(bought) == r["units"]
        assert sum(p["cost"] for p in bought) == pytest.approx(r["cost"])
        assert max(p["total_cost"] for p in bought) <= r["budget"] + 1e-9
    for b in (40.0, 100.0, 175.0):
        at = {r["plan"]: r for r in rows if r["budget"] == b}
        assert at["best mix"]["diff"] == 0.0  # the reference of the paired differences
        # each channel alone buys as much of it as the budget allows (ads in slices)
        assert at["ig ads alone"]["cost"] == min(90.0, 30.0 * (b // 30))
        assert ("anna alone" in at) == (b >= 60)
    # more budget never buys less here (the greedy's plans are nested on these worlds)
    best = [next(r for r in rows if r["budget"] == b and r["plan"] == "best mix")
            for b in (40.0, 100.0, 175.0)]
    assert best[0]["mean"] <= best[1]["mean"] <= best[2]["mean"]
    for f in ("report.md", "plan.csv", "paired_differences.png", "timeline.png",
              "reach_vs_budget.png", "DONE"):
        assert (out / f).exists(), f


def test_single_platform_plans_buy_on_their_platform_only(tmp_path):
    out, _ = _run(tmp_path, "experiment.budgets=[175]")
    plans = res.read_table(out / "plan.csv")
    for plat in ("instagram", "tiktok"):
        bought = [p for p in plans if p["plan"] == f"{plat} only"]
        assert bought and {p["platform"] for p in bought} == {plat}


def test_report_says_what_to_buy_and_what_it_reaches_in_plain_words(tmp_path):
    out, outcome = _run(tmp_path, "experiment.budgets=[175]", "experiment.currency=EUR",
                        "experiment.channels.0.cost=500")
    text = (out / "report.md").read_text()
    rows = {r["plan"]: r for r in outcome.rows}
    mix = rows["best mix"]
    line = next(ln for ln in text.splitlines() if ln.startswith("- **With 175 EUR**"))
    # the reported number is the table's, with its interval, and when it is reached
    when = f"day {mix['days']}" if "days" in mix else f"round {mix['rounds']}"
    assert (f"reach {cm.report.plus_minus(mix['mean'], mix['ci_low'], mix['ci_high'])} people "
            f"by {when}") in line
    assert f"({cm.money(mix['cost'], 'EUR')} in all)" in line
    assert "single-platform plan" in line or "uses " in line
    assert "The best channel alone" in text and "## Plans at each budget" in text
    assert "Probabilities: weighted cascade" in text  # the assumption is stated
    assert "- Left out: **anna** costs 500 EUR, over the largest budget (175 EUR)." in text
    assert "anna" not in {r["plan"] for r in outcome.rows}


def test_words_use_days_when_the_estimate_has_them():
    by_round = types.SimpleNamespace(timeline=np.array([10.0, 5.0, 4.0, 1.0]))
    assert cm._when(by_round) == (" by round 3", " (90% of them by round 2)")
    by_day = types.SimpleNamespace(timeline=np.array([10.0, 10.0]),
                                   reach_by_day=[10.0, 12.0, 19.5, 20.0, 20.0])
    assert cm._when(by_day) == (" by day 4", " (90% of them by day 2)")
    # a DayTimeline (running totals with intervals; horizon: the deadline simulated)
    days = types.SimpleNamespace(mean=np.array([4.0, 9.0, 10.0]), horizon=7)
    assert cm._when(types.SimpleNamespace(timeline=np.ones(2), reach_by_day=days)) == (
        " by day 7", " (90% of them by day 1)")
    assert cm._when(types.SimpleNamespace(timeline=np.ones(3), reach_by_day=None)) == (
        " by round 2", "")  # 90% only by the last round: said once


def test_money_is_written_in_the_configured_currency():
    assert cm.money(500) == "€500" and cm.money(12.5, "$") == "$12.50"
    assert cm.money(1250, "EUR") == "1,250 EUR" and cm.money(7, "") == "7"


def test_goal_exposure_chooses_and_reports_exposure(tmp_path):
    out, outcome = _run(tmp_path, "experiment.goal=exposure", "experiment.budgets=[100]")
    assert {r["goal"] for r in outcome.rows} == {"exposure"}
    mix = next(r for r in outcome.rows if r["plan"] == "best mix")
    pm = cm.report.plus_minus(mix["exposure"], mix["exposure_ci_low"], mix["exposure_ci_high"])
    assert f"are seen by {pm} people" in outcome.text


def test_a_finished_run_is_not_run_again(tmp_path):
    out, first = _run(tmp_path, "experiment.budgets=[100]")
    assert first is not None and res.is_done(out)
    assert app.run(cfg_of(*SMALL, "experiment.budgets=[100]"), str(out), quiet=True) is None


def test_one_platform_from_the_runs_graph(tmp_path):
    cfg = cfg_of("experiment=campaign_mix", "formats=[png]", "graph.n_nodes=400",
                 "experiment.platforms=null", "experiment.segments=null",
                 "experiment.n_sims=200", "experiment.select_sims=50",
                 "experiment.channels=[{name: ads, spend: 40, cpm: 20, slices: 2}, "
                 "{name: samples, strategy: degree, k: 3, cost: 20}]", "experiment.budgets=[40]")
    outcome = app.run(cfg, str(tmp_path), quiet=True)
    assert [r["plan"] for r in outcome.rows] == ["best mix", "ads alone", "samples alone"]
    assert "single-platform" not in outcome.text  # one platform: nothing to compare with


def test_platforms_from_follower_csvs_share_their_consumers(tmp_path):
    ig, tt, people = tmp_path / "ig.csv", tmp_path / "tt.csv", tmp_path / "people.csv"
    ig.write_text("source,target\nann,bob\nann,cid\nbob,cid\ncid,dan\n")
    tt.write_text("source,target\neve,ann\neve,fay\nfay,gus\n")
    people.write_text("id,interest\nann,running\nbob,chess\ncid,running\ndan,running\n")
    cfg_args = ["experiment=campaign_mix", "formats=[png]", "probabilities=uniform",
                "probabilities.p=0.5", "experiment.n_sims=200", "experiment.select_sims=50",
                f"experiment.platforms=[{{name: ig, path: '{ig}', consumers: '{people}'}}, "
                f"{{name: tt, path: '{tt}', comment_prob: 0.2}}]",
                "experiment.segments=[{name: runners, column: interest, value: running}]",
                "experiment.channels=[{name: post, platform: tt, account: eve, cost: 10}, "
                "{name: ads, platform: ig, spend: 10, cpm: 1000, segment: runners, "
                "conversion_rate: 1.0}]", "experiment.budgets=[20]"]
    cfg = cfg_of(*cfg_args)
    m = cm.mix_of(plain(cfg))
    assert sorted(m.graph.base.labels.tolist()) == ["ann", "bob", "cid", "dan", "eve", "fay",
                                                   "gus"]
    on_tt = dict(zip(m.graph.base.labels.tolist(), m.graph.members["tt"].tolist()))
    assert on_tt["eve"] and on_tt["ann"] and not on_tt["bob"]
    runners = dict(zip(m.graph.base.labels.tolist(), m.graph.base.node_attrs["runners"]))
    assert runners["ann"] and runners["dan"] and not runners["bob"] and not runners["eve"]
    # a consumers file may come with any platform (a row for each of its consumers)
    people_tt = tmp_path / "people_tt.csv"
    people_tt.write_text("id,interest\neve,running\nann,running\nfay,chess\ngus,running\n")
    moved = cfg_of(*[o.replace(f", consumers: '{people}'}}", "}").replace(
        "comment_prob: 0.2}", f"comment_prob: 0.2, consumers: '{people_tt}'}}")
        for o in cfg_args])
    g = cm.mix_of(plain(moved)).graph.base
    assert sorted(g.labels[g.node_attrs["runners"]].tolist()) == ["ann", "eve", "gus"]
    outcome = app.run(cfg, str(tmp_path / "run"), quiet=True)
    mix = outcome.rows[0]
    # eve's post persuades her 2 followers (ann, fay) for sure; the ad's 10 impressions, one
    # per person, persuade the 3 runners on ig (ann, cid, dan) for sure: 4 people
    assert mix["first_adopters"] == pytest.approx(4.0) and mix["cost"] == 20.0
    # a changed input file is a new run (its content is in the run's identity)
    assert str(ig) in res.input_fingerprints(plain(cfg))


BAD = [
    ("experiment.channels.2.conversion_rate=1.5", "experiment.channels[2] (ig ads): ",
     "conversion_rate"),
    ("experiment.channels.2.cpm=0", "experiment.channels[2] (ig ads): ", "cpm"),
    ("experiment.channels.0.adoption_rate=-0.1", "experiment.channels[0] (anna): ",
     "adoption_rate"),
    ("experiment.channels.1.platform=youtube", "experiment.channels[1]: platform 'youtube' is "
     "not one of the platforms", "a platform named 'youtube' to experiment.platforms"),
    ("experiment.channels.3.segment=cyclists", "experiment.channels[3] (tt ads): ", "cyclists"),
    ("+experiment.channels.2.spnd=3", "experiment.channels[2] (ig ads): unknown key 'spnd' "
     "(did you mean 'spend'?)", "spend"),
    ("experiment.budgets=[20]", "experiment.budgets=[20.0]: every budget is below the cost of "
     "every channel", "Raise the budgets"),
    ("experiment.budgets=[]", "experiment.budgets is empty", "experiment.budgets=[250,500]"),
    ("experiment.goal=sales", "experiment.goal='sales'", "exposure"),
    ("experiment.select_sims=1", "experiment.select_sims=1", ">= 2"),
    ("experiment.platforms.1.share=1.5", "experiment.platforms[1] (tiktok): share=1.5",
     "(0, 1]"),
    ("+experiment.channels.4.kind=coupon", "experiment.channels[4]: kind='coupon'",
     "seeds, post or ad"),
]


@pytest.mark.parametrize("override, start, fix", BAD, ids=[b[0] for b in BAD])
def test_bad_config_is_one_line_naming_the_key_and_the_fix(override, start, fix):
    with pytest.raises((ValueError, TypeError)) as e:
        cm.mix_of(plain(cfg_of(*SMALL, override)))
    msg = str(e.value)
    assert msg.startswith(start) and fix in msg and "\n" not in msg, msg
    assert _is_user_error(e.value)  # the command line prints it as one line


def test_command_line_runs_the_built_in_example_and_resumes(tmp_path):
    # the built-in example at its own sizes, fewer worlds (CI)
    args = ["experiment=campaign_mix", "experiment.n_sims=200", "experiment.select_sims=40",
            "formats=[png]", f"hydra.run.dir={tmp_path / 'run'}"]
    p = _cli(args, cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    text = (tmp_path / "run" / "report.md").read_text()
    assert "- **With €250**" in text and "- **With €500**" in text
    rows = res.read_table(tmp_path / "run" / "results.csv")
    assert all(r["cost"] <= r["budget"] for r in rows)
    assert os.path.exists(tmp_path / "run" / "DONE")
    bad = _cli([*args[:-1], "experiment.channels.3.cpm=-2",
                f"hydra.run.dir={tmp_path / 'bad'}"], cwd=tmp_path)
    assert bad.returncode == 1
    first = bad.stderr.splitlines()[0]
    assert first.startswith("Error: experiment.channels[3] (instagram ads): ") and "cpm" in first


def test_delays_and_a_deadline_in_days(tmp_path):
    chn = pytest.importorskip("viralsim.channels")
    if not hasattr(chn, "Delay"):  # forecasts by day (issue 18 item 5) not in this viralsim
        with pytest.raises(ValueError, match=r"^experiment.days needs forecasts by day"):
            cm.mix_of(plain(cfg_of(*SMALL, "experiment.days=3")))
        return
    out, outcome = _run(tmp_path, "experiment.budgets=[100]", "experiment.days=3",
                        "+experiment.platforms.0.delay={mean_days: 2}",
                        "+experiment.platforms.1.delay=1")
    assert all(r["days"] == 3 for r in outcome.rows)
    assert "people by day 3" in outcome.text and "geometric, mean 2 days" in outcome.text
    with pytest.raises(ValueError, match=r"^experiment.platforms\[1\] \(tiktok\): delay=-1"):
        cm.mix_of(plain(cfg_of(*SMALL, "+experiment.platforms.1.delay=-1")))


INFLUENCERS = ("name,platform,followers,engagement_rate,price,segment_share\n"
               "ann,Instagram,300,5%,€120,50%\nbob,Instagram,200,8%,€90,30%\n"
               "cid,TikTok,400,6%,€150,40%\ndee,TikTok,150,9%,€60,60%\n")
LIST = ["experiment=campaign_influencers", "formats=[png]", "experiment.n_sims=200",
        "experiment.select_sims=50", "experiment.influencers.market_size=1500",
        "experiment.influencers.segment=runners", "experiment.influencers.segment_share=0.3",
        "experiment.influencers.avg_degree=4", "experiment.budgets=[250]",
        "experiment.channels=[{name: tt ads, platform: tiktok, spend: 60, cpm: 20, "
        "segment: runners, conversion_rate: 0.02, slices: 2}]"]


def test_plans_from_an_influencer_list(tmp_path):
    audiences = pytest.importorskip("viralsim.audiences")
    path = tmp_path / "influencers.csv"
    path.write_text(INFLUENCERS)
    cfg = cfg_of(*LIST, f"experiment.influencers.path={path}", "experiment.influencers.draws=2")
    m = cm.mix_of(plain(cfg))
    assert m.graph.platforms == ("instagram", "tiktok") and len(m.audiences) == 2
    names = [s.name for s in m.specs]
    assert names == ["tt ads", "ann", "bob", "cid", "dee"]
    # the posts are the audience's: followers as listed, price as cost
    aud = audiences.draw_audiences(audiences.read_influencers(path), 1, market_size=1500,
                                   rng=int(cm._build.sub_rng(0, 10).integers(2**62)),
                                   segment="runners", segment_share=0.3, avg_degree=4)[0]
    post = m.specs[3].units[0]
    assert post.cost == 150.0 and post.followers == aud.posts["cid"].followers
    outcome = app.run(cfg, str(tmp_path / "run"), quiet=True)
    mix = outcome.rows[0]
    assert mix["plan"] == "best mix" and mix["cost"] <= 250 and mix["draws"] == 2
    assert mix["draws_low"] <= mix["draws_central"] <= mix["draws_high"]
    assert "across 2 audience draws" in outcome.text
    assert "edge_prob" in outcome.text.split("\n\n")[2]  # the probability assumption
    assert str(path) in res.input_fingerprints(plain(cfg))  # a changed list is a new run


def test_influencer_list_config_errors(tmp_path):
    pytest.importorskip("viralsim.audiences")
    path = tmp_path / "influencers.csv"
    path.write_text(INFLUENCERS)
    with pytest.raises(ValueError, match=r"^experiment.platforms\[0\] \(instagram\): with an "
                                         r"influencer list .* experiment=campaign_influencers"):
        cm.mix_of(plain(cfg_of(*SMALL, f"experiment.influencers.path={path}",
                               "experiment.influencers.market_size=1500")))
    with pytest.raises(ValueError, match=r"^experiment.platforms\[0\] \(youtube\): the "
                                         r"influencer list has no platform 'youtube'"):
        cm.mix_of(plain(cfg_of(*LIST, f"experiment.influencers.path={path}",
                               "experiment.platforms=[{name: youtube, comment_prob: 0.2}]")))
    from omegaconf.errors import MissingMandatoryValue

    with pytest.raises((MissingMandatoryValue, ValueError),
                       match="experiment.influencers.market_size"):
        app.run(cfg_of(*LIST[:4], f"experiment.influencers.path={path}"), str(tmp_path / "x"),
                quiet=True)  # left at ???: a one-line error on the command line
