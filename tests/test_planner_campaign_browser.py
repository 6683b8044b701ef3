"""The planner page's campaign mode in a real browser (headless Chromium through
Playwright, as tests/test_planner_browser.py; skipped the same way, saying why, when
Streamlit, Playwright or Chromium is absent). ``VIRALSIM_PLANNER_SCREENSHOTS=<folder>``
also saves the screenshots there (docs/img holds the ones in docs/planner.md)."""

import csv
import io
import re

import pytest

from viralsim.planner import campaign

# the server, browser and helpers of the planner's browser tests (and their skips)
from .test_planner_browser import _set, _shoot, browser, server, sync_api  # noqa: F401

MODE = "A campaign across influencers, ads and platforms"
N_SIMS, SELECT, DRAWS, SEED = 60, 30, 2, 2

# a spreadsheet's export: ';' separators, Windows-1252 (€), decimal commas, other headers
UPLOAD = """Influencer;Network;Follower count;Engagement;Fee;Share in segment
trail_tina;Instagram;425;4,2%;€220;55%
parkrun_paul;Instagram;150;6,5%;€90;70%
city_runs_max;Instagram;600;2,8%;€300;40%
sprint_sam;TikTok;625;7,5%;€250;35%
marathon_mia;TikTok;325;9,1%;€180;62%
"""


def _table(page, i):
    t = page.locator('[data-testid="stTable"] table').nth(i)
    head = [h.strip() for h in t.locator("thead th").all_inner_texts()]
    rows = []
    for tr in t.locator("tbody tr").all():
        cells = [c.strip() for c in tr.locator("th, td").all_inner_texts()]
        rows.append(dict(zip(head[-len(cells):], cells)))
    return rows


def test_browser_campaign_upload_plan_words_table_and_bad_input(server, browser,  # noqa: F811
                                                                tmp_path):
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(server)
    page.get_by_text(MODE).click()
    metrics = page.locator('[data-testid="stMetricValue"]')
    sync_api.expect(metrics).to_have_text(["8", "3", "16,750"])  # the built-in example
    _shoot(page, "planner_campaign_data.png", tmp_path)

    # a bad list: one line on the page naming the file, the line and the fix
    bad = tmp_path / "bad list.csv"
    bad.write_bytes(UPLOAD.replace("7,5%", "750%").encode("cp1252"))
    page.get_by_text("Upload an influencer list").click()
    upload = page.locator('[data-testid="stFileUploader"] input[type="file"]').nth(0)
    upload.set_input_files(str(bad))
    err = page.locator('[data-testid="stAlertContentError"]')
    sync_api.expect(err).to_contain_text("bad list.csv:5: the 'Engagement' value '750%' is "
                                         "outside [0, 1]")
    assert "Traceback" not in page.content()

    # the spreadsheet export
    good = tmp_path / "my influencers.csv"
    good.write_bytes(UPLOAD.encode("cp1252"))
    upload.set_input_files(str(good))
    sync_api.expect(metrics).to_have_text(["5", "2", "2,125"])
    sync_api.expect(err).to_have_count(0)
    _set(page, "Budget (several: separated by commas)", 500)
    _set(page, "Simulated worlds per plan", N_SIMS)
    _set(page, "Worlds to choose the plans in", SELECT)
    _set(page, "Audience draws (the range)", DRAWS)
    _set(page, "Random seed", SEED)
    page.get_by_role("button", name="Plan the campaign").click()
    sync_api.expect(page.get_by_text("The mix to buy with €500")).to_be_visible(
        timeout=180_000)
    words = page.locator('[data-testid="stAlertContentSuccess"]').inner_text()

    # the Python API's answer for the same list, defaults and seed
    d = campaign.read_influencer_upload(good.read_bytes(), good.name, segment="runners")
    r = campaign.run_campaign(d, campaign.platform_rows(d), campaign.ad_rows(d),
                              campaign.CampaignSettings(budgets=(500.0,), n_sims=N_SIMS,
                                                        select_sims=SELECT, draws=DRAWS,
                                                        rng_seed=SEED))
    want = campaign.campaign_paragraph(r)
    assert words.split() == want.replace("**", "").split()
    assert words.startswith("With €500, ") and "by day 7" in words
    assert "best single-platform plan" in words and "audience draws" in words
    mix = _table(page, 0)
    assert [x["buy"] for x in mix] == [x["buy"] for x in campaign.mix_rows(r)]
    every = _table(page, 1)
    assert [x["plan"] for x in every] == [x["plan"] for x in r.rows]
    assert every[0]["adopters"].startswith(f"{r.rows[0]['mean']:,.1f} ± ")
    _shoot(page, "planner_campaign_results.png", tmp_path)

    # the downloadable table
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download the plans (CSV)").click()
    path = tmp_path / "plans.csv"
    dl.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [x["plan"] for x in rows] == [x["plan"] for x in r.rows]
    assert float(rows[0]["mean"]) == pytest.approx(r.rows[0]["mean"], rel=1e-5)

    # platform follower files (one per platform) and an influencer list
    from viralsim.planner import core

    for i, name in enumerate(("Instagram.csv", "TikTok.csv")):
        (tmp_path / name).write_bytes(core.example_files(200, rng=i + 1)[0])
    (tmp_path / "list.csv").write_bytes(b"name,platform,followers,engagement_rate,price\n"
                                        b"c0003,instagram,40,5%,30\next_star,tiktok,100,6%,60\n")
    page.get_by_text("Upload platform follower files").click()
    sync_api.expect(page.get_by_text("Follower CSVs, one per platform")).to_be_visible()
    inputs = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    inputs.nth(0).set_input_files([str(tmp_path / "Instagram.csv"), str(tmp_path / "TikTok.csv")])
    sync_api.expect(metrics).to_have_text(["2", "200", "0"])  # read before the list comes
    inputs.nth(1).set_input_files(str(tmp_path / "list.csv"))
    sync_api.expect(metrics).to_have_text(["2", "200", "2"])
    sync_api.expect(page.get_by_text("Influencers with an account in their platform's file: "
                                     "c0003")).to_be_visible()
    # the settings start afresh with new data: the defaults (500 worlds; cheap on 200 consumers)
    page.get_by_role("button", name="Plan the campaign").click()
    sync_api.expect(page.get_by_text("The mix to buy with €1,000")).to_be_visible(
        timeout=180_000)
    words = page.locator('[data-testid="stAlertContentSuccess"]').inner_text()
    assert words.startswith("With €1,000, ") and "by day 7" in words
    # which post the allocation buys depends on the random draws; that it names a listed
    # influencer's post (and the run is the library's own) is what the page must show
    assert re.search(r"\d influencer posts? on (instagram|tiktok) \((c0003|ext_star)", words), words
    _shoot(page, "planner_campaign_files.png", tmp_path)
    ctx.close()
