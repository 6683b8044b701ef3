"""The planner's campaign mode: an influencer list, platform statistics and ad options
planned by ``experiment=campaign_influencers``' own steps (viralsim.planner.campaign),
and the page's campaign mode through Streamlit's headless harness (AppTest)."""

import csv
import io
import os
import re
import tempfile
import time

import numpy as np
import pytest

from viralsim.experiments import campaign_mix as cm
from viralsim.planner import campaign, core

# small enough for CI: one budget, few worlds (the numbers' meaning does not depend on it)
SMALL = dict(budgets=(600.0,), n_sims=120, select_sims=40, draws=1, rng_seed=5)


@pytest.fixture(scope="module")
def example():
    return campaign.example_campaign()


@pytest.fixture(scope="module")
def small_run(example):
    d, plats, ads = example
    return campaign.run_campaign(d, plats, ads, campaign.CampaignSettings(**SMALL))


def test_the_page_layer_runs_the_experiment_and_gets_its_numbers(example, small_run, tmp_path):
    """run_campaign's rows, plans and report are those of viralsim experiment=
    campaign_influencers run on campaign_config's config (same seed)."""
    d, plats, ads = example
    r = small_run
    ipath = tmp_path / "inf.csv"
    ipath.write_bytes(d.data)
    cfg = campaign.campaign_config(d, plats, ads, campaign.CampaignSettings(**SMALL),
                                   str(ipath))
    out = cm.run_campaign_mix(cfg, str(tmp_path))
    key = ("plan", "kind", "cost", "mean", "ci_low", "ci_high", "exposure", "diff", "days")
    assert [{k: x.get(k) for k in key} for x in r.rows] == [
        {k: x.get(k) for k in key} for x in out.rows]
    assert r.plans == out.extra["plans"]
    # the page's words are the experiment report's first section, without Markdown
    bullets = out.text.split("\n\n- ", 1)[1].split("\n\n", 1)[0]
    assert campaign.campaign_paragraph(r) == re.sub(r"\n\s+", " ", "- " + bullets)[2:].replace(
        "**", "")


def test_answer_in_words_mix_by_day_and_best_single_platform(small_run):
    r = small_run
    words = campaign.campaign_paragraph(r)
    mix = r.rows[0]
    assert mix["plan"] == "best mix" and mix["cost"] <= 600
    assert words.startswith("With €600, ") and "by day 7" in words
    assert "The best single-platform plan (" in words
    assert f"{mix['mean']:.1f} ± " in words
    # the mix table adds up to the plan's cost, and lists what plan.csv lists
    table = campaign.mix_rows(r)
    assert sum(x["cost"] for x in table) == pytest.approx(mix["cost"])
    assert sum(x["parts"] for x in table) == mix["units"]
    # by day: cumulative, ends at the reported reach by the deadline, for the mix and
    # the best single-platform plan (the best of the 'platform' rows in the same worlds)
    days = campaign.by_day_rows(r)
    single = r.best_single(600.0)
    assert single["plan"] == max((x for x in r.rows if x["kind"] == "platform"),
                                 key=lambda x: x["mean"])["plan"]
    for name in ("best mix", single["plan"]):
        mine = [x for x in days if x["plan"] == name]
        assert [x["day"] for x in mine] == list(range(8))
        assert np.all(np.diff([x["adopters"] for x in mine]) >= 0)
        row = next(x for x in r.rows if x["plan"] == name)
        assert mine[-1]["adopters"] == pytest.approx(row["mean"])
        assert mine[-1]["adopters_low"] == pytest.approx(row["ci_low"])
    cmp_ = campaign.comparison_rows(r)
    assert [x["plan"] for x in cmp_] == [x["plan"] for x in r.rows]
    for x in cmp_[1:]:  # paired differences against the mix
        assert x["vs_mix_low"] <= x["vs_mix"] <= x["vs_mix_high"]


def test_range_across_audience_draws_by_the_deadline_with_the_platforms_delays(example):
    """The page's range across audience draws is campaign_mix.audience_ranges, that is
    viralsim.audiences.estimate_across_draws with the platform table's delays and the
    deadline as max_days: each draw's estimate equals estimate_campaign on that draw's
    graph carrying those delays (the page's own computation before the library took
    delays), by day 3."""
    import dataclasses

    from viralsim.audiences import _resolve_plan, _streams
    from viralsim.channels import MultiplexGraph, estimate_campaign

    d, plats, ads = example
    s = campaign.CampaignSettings(**dict(SMALL, draws=2, days=None, n_sims=60))
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "inf.csv")
    with open(path, "wb") as fh:
        fh.write(d.data)
    m = cm.mix_of(campaign.campaign_config(d, plats, ads, s, path))
    assert m.graph.delays and {x.mean_days for x in m.graph.delays.values()} == {1, 2, 3}
    plans_at = {600.0: cm.plan_budget(m, 600.0)}  # chosen without a deadline (cheaper)
    by3 = cm.audience_ranges(dataclasses.replace(m, days=3), plans_at)[600.0]
    assert by3.reach.day == 3 and by3.reach.low <= by3.reach.central <= by3.reach.high
    specs = {x.index: x for x in m.specs}
    items = [specs[m.owner[i]].influencer or m.units[i] for i in plans_at[600.0][0]["units"]]
    rng = int(cm._build.sub_rng(m.rng_seed, 14).integers(2**62))
    for aud, st, e in zip(m.audiences, _streams(rng)[1].spawn(2), by3.estimates):
        g = aud.graph
        g = MultiplexGraph(g.layers, comment_probs=g.comment_probs, members=g.members,
                           delays=m.graph.delays)
        want = estimate_campaign(g, _resolve_plan(items, aud, "test"), model=m.model,
                                 n_sims=60, rng=np.random.default_rng(st), max_days=3,
                                 confidence=m.confidence, max_rounds=m.max_rounds)
        np.testing.assert_array_equal(e.per_world["reach"], want.per_world["reach"])
        np.testing.assert_array_equal(e.reach_by_day.mean, want.reach_by_day.mean)
    # without a deadline: the total, at least the people reached by day 3
    total = cm.audience_ranges(m, plans_at)[600.0]
    assert total.reach.day is None and np.all(by3.reach.means <= total.reach.means)


def _bad_list(text):
    return text.encode("cp1252")


LIST = "name;platform;followers;engagement;price\nann;Instagram;1200;3,5%;€120\n" \
       "bob;TikTok;900;6%;€80\n"


@pytest.mark.parametrize("what,change,expect", [
    ("engagement over 100%", dict(data=LIST.replace("6%", "160%")),
     r"my list\.csv.*:3.*engagement"),
    ("empty file", dict(data=""), r"my list\.csv is empty"),
    ("missing column", dict(data=LIST.replace(";price", ";colour")), r"my list\.csv.*price"),
    ("overlap larger than the smaller audience", dict(overlaps="a;b;overlap\nann;bob;5000\n"),
     r"the overlap of 'ann' and 'bob' is 5,000 followers, more than the smaller audience"),
    ("ad on a platform not in the list", dict(ad={"platform": "facebook"}),
     r"^ad option 1 \(facebook\): platform 'facebook' is not one of the platforms"),
    ("CPM of 0", dict(ad={"cpm": 0}), r"^ad option 1 \(instagram\): the CPM 0 must be above 0"),
    ("conversion over 1", dict(ad={"conversion_rate": 1.5}),
     r"^ad option 1 \(instagram\): the conversion rate 1\.5 must be at most 1"),
    ("segment the list lacks", dict(ad={"segment": "cyclists"}), r"segment 'cyclists'"),
    ("market smaller than an audience", dict(platform={"market_size": 500}),
     r"^'ann' has 1,200 followers but platform 'instagram' has 500 consumers in the market.*"
     r"more consumers on instagram in the platform table"),
    ("an empty cell", dict(ad={"cpm": float("nan")}),
     r"^ad option 1 \(instagram\): the CPM is empty; fill it in \(or remove the row\)\.$"),
    ("comment chance over 1", dict(platform={"comment_prob": 2}),
     r"^platform row 1 \(instagram\): the comment chance 2 must be at most 1"),
    ("budget below every cost", dict(budget=10),
     r"^The budget \(€10\) buys nothing: the cheapest option, bob's post, costs €80"),
])
def test_bad_input_is_one_line_in_the_pages_words(what, change, expect):
    data = _bad_list(change.get("data", LIST))
    ov = change.get("overlaps")
    try:
        d = campaign.read_influencer_upload(data, "my list.csv", ov.encode() if ov else None,
                                            "shared.csv", segment="runners")
        plats = campaign.platform_rows(d)
        plats[0].update(change.get("platform", {}))
        ads = campaign.ad_rows(d)[:1]
        ads[0].update(change.get("ad", {}))
        s = campaign.CampaignSettings(budgets=(change.get("budget", 300.0),), n_sims=20,
                                      select_sims=10, draws=1, segment_share=0.2)
        campaign.run_campaign(d, plats, ads, s)
    except core.PlannerError as exc:
        msg = str(exc)
    else:
        pytest.fail(f"{what}: no error")
    assert "\n" not in msg and "Traceback" not in msg, msg
    assert "viralsim-planner-" not in msg and "experiment." not in msg, msg
    assert re.search(expect, msg), msg


def test_no_temporary_files_are_left(monkeypatch, tmp_path, example):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    d, plats, ads = example
    campaign.read_influencer_upload(d.data, "x.csv")
    with pytest.raises(core.PlannerError):
        campaign.read_influencer_upload(b"name,platform\n", "x.csv")
    with pytest.raises(core.PlannerError):
        campaign.run_campaign(d, plats, [dict(ads[0], cpm=-1)], campaign.CampaignSettings(
            **SMALL))
    assert os.listdir(tmp_path) == []


def test_cancel_stops_the_run(example):
    import threading

    d, plats, ads = example
    ev = threading.Event()
    seen = []

    def progress(frac, text):
        seen.append(frac)
        if len(seen) == 2:
            ev.set()

    with pytest.raises(core.Cancelled):
        campaign.run_campaign(d, plats, ads, campaign.CampaignSettings(**SMALL),
                              progress=progress, cancel=ev)
    assert seen == sorted(seen) and len(seen) == 2


def test_downloads_hold_the_tables(small_run):
    import zipfile

    rows = list(csv.DictReader(io.StringIO(campaign.campaign_csv(small_run).decode())))
    assert [x["plan"] for x in rows] == [x["plan"] for x in small_run.rows]
    assert float(rows[0]["mean"]) == pytest.approx(small_run.rows[0]["mean"], rel=1e-5)
    z = zipfile.ZipFile(io.BytesIO(campaign.campaign_zip(small_run)))
    assert sorted(z.namelist()) == ["by_day.csv", "plan.csv", "report.md", "results.csv"]
    assert z.read("report.md").decode() == small_run.report


# ---------------------------------------------------------------------- the page (AppTest)
PAGE = os.path.join(os.path.dirname(core.__file__), "page.py")
MODE = "A campaign across influencers, ads and platforms"


def _app():
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(PAGE, default_timeout=120)


def test_page_campaign_mode_plans_the_example_and_keeps_the_other_mode(small_run):
    at = _app()
    at.run()
    assert at.radio(key="mode").value != MODE  # the single-graph planner first, as before
    assert [m.value for m in at.metric] == ["300", "518", "0"]
    at.radio(key="mode").set_value(MODE)
    at.run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["8", "3", "16,750"]
    at.text_input(key="c_budgets").set_value("600, lots")
    at.run()
    assert any("'lots' is not a number" in e.value for e in at.error)
    assert at.button(key="c_run").disabled
    at.text_input(key="c_budgets").set_value("600")
    for k, v in (("c_n_sims", SMALL["n_sims"]), ("c_select_sims", SMALL["select_sims"]),
                 ("c_draws", 1), ("c_seed", SMALL["rng_seed"])):
        at.number_input(key=k).set_value(v)
    at.run()
    at.button(key="c_run").click()
    at.run()
    t0 = time.time()
    while at.session_state["c_job"].get("finished") is None and time.time() - t0 < 240:
        time.sleep(0.3)
        at.run()
    at.run()
    assert not at.exception and not at.error
    job = at.session_state["c_job"]
    r = job["results"]
    assert at.success[0].value == campaign.campaign_paragraph(r).replace("\n", "\n\n")
    # the same answer as the Python API for the same inputs and seed
    assert campaign.campaign_paragraph(small_run) == campaign.campaign_paragraph(r)
    def same(rows):
        return [{k: v for k, v in x.items() if k != "elapsed"} for x in rows]

    assert same(r.rows) == same(small_run.rows)
    mix, every = at.table[0].value, at.table[1].value
    assert list(mix["buy"]) == [x["buy"] for x in campaign.mix_rows(r)]
    assert list(every["plan"]) == [x["plan"] for x in r.rows]
    labels = [b.label for b in at.get("download_button")]
    assert "Download the plans (CSV)" in labels
    at.radio(key="mode").set_value("Whom to target in a follower graph")
    at.run()
    assert [m.value for m in at.metric] == ["300", "518", "0"]


# ---------------------------------------------------------------------- platform follower files
FILES_LIST = (b"name,platform,followers,engagement_rate,price\n"
              b"c0003,instagram,40,5%,30\next_star,tiktok,100,6%,60\n")


@pytest.fixture(scope="module")
def platform_files():
    f1, _ = core.example_files(200, rng=1)
    f2, _ = core.example_files(200, rng=2)
    return campaign.read_platform_files([(f1, "Instagram.csv"), (f2, "TikTok.csv")], FILES_LIST,
                                        "list.csv", segment="students")


def test_platform_files_plan_is_the_experiments_with_a_path_per_platform(platform_files,
                                                                         tmp_path):
    pf = platform_files
    assert pf.platforms == ["instagram", "tiktok"] and pf.summary["consumers"] == 200
    assert pf.summary["accounts"] == ["c0003"]  # an account of the file; ext_star is not
    plats = campaign.files_platform_rows(pf)
    ads = campaign.ad_rows(pf, cpm=5.0, conversion_rate=0.01, spend=20.0)
    s = campaign.CampaignSettings(budgets=(80.0,), n_sims=100, select_sims=30, rng_seed=1)
    r = campaign.run_campaign(pf, plats, ads, s)
    # the same rows as experiment=campaign_mix on the page's config
    cfg, _ = campaign._files_config(pf, plats, ads, s, str(tmp_path))
    exp = cfg["experiment"]
    assert [p["path"] for p in exp["platforms"]] == [str(tmp_path / "instagram.csv"),
                                                     str(tmp_path / "tiktok.csv")]
    posts = {c["name"]: c for c in exp["channels"] if c.get("kind") == "post"}
    assert posts["c0003"]["account"] == "c0003" and posts["ext_star"]["n_followers"] == 100
    # a follower adopts with engagement x adoptions per engagement overall
    assert posts["ext_star"]["organic_reach"] * posts["ext_star"]["adoption_rate"] == \
        pytest.approx(0.06 * s.adopt_per_engagement)
    out = cm.run_campaign_mix(cfg, str(tmp_path))
    key = ("plan", "kind", "cost", "mean", "exposure", "diff")
    assert [{k: x[k] for k in key} for x in r.rows] == [{k: x[k] for k in key} for x in out.rows]
    assert r.rows[0]["cost"] <= 80 and not r.ranges  # no audience draws from files
    words = campaign.campaign_paragraph(r)
    assert words.startswith("With €80, ") and "by day 7" in words


def test_platform_files_bad_input_is_one_line():
    f1, _ = core.example_files(50, rng=1)
    with pytest.raises(core.PlannerError, match=r"^list\.csv: influencers on tiktok, which has "
                       r"no follower file \(have: instagram\)\. Upload tiktok\.csv"):
        campaign.read_platform_files([(f1, "instagram.csv")], FILES_LIST, "list.csv")
    with pytest.raises(core.PlannerError, match=r"are both for platform 'instagram'"):
        campaign.read_platform_files([(f1, "instagram.csv"), (f1, "Instagram.2.csv")])
    with pytest.raises(core.PlannerError, match=r"^x\.csv: no pair of follow columns"):
        campaign.read_platform_files([(b"a,b\n1,2\n", "x.csv")])
    pf = campaign.read_platform_files([(f1, "instagram.csv")])
    s = campaign.CampaignSettings(budgets=(50.0,), n_sims=10, select_sims=10)
    with pytest.raises(core.PlannerError, match=r"^Nothing to buy"):
        campaign.run_campaign(pf, campaign.files_platform_rows(pf), [], s)
