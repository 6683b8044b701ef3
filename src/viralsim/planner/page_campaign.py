"""The planner page's campaign mode (Streamlit): one budget across influencer posts
and targeted ads on several platforms.

Drawn by :func:`viralsim.planner.page.render` when *A campaign across influencers,
ads and platforms* is chosen; the work is :mod:`viralsim.planner.campaign`'s
(the steps of ``viralsim experiment=campaign_influencers``). Everything this
mode keeps lives in ``st.session_state`` under keys starting with ``c_`` (one
per browser tab); the run is a background thread of the session, with progress
and cancel, as in the single-graph mode.
"""

import functools

from viralsim.planner import _page_jobs as jobs
from viralsim.planner import campaign, core

SOURCES = ["Built-in example", "Upload an influencer list", "Upload platform follower files"]
GOALS = {"adopters": "People who buy (adopters)", "exposure": "People who see it (visibility)"}


def render(st, ss):
    """Draw the campaign mode for this session."""
    data = _data_section(st, ss)
    if data is None:
        return
    v = ss.get("c_version", 0)
    platforms = _platform_section(st, ss, data, v)
    ads = _ads_section(st, ss, data, v)
    settings = _settings_section(st, data)
    _run_section(st, ss, data, platforms, ads, settings)
    job = ss.get("c_job")
    if job is not None and job.get("finished") is not None:
        _show_job(st, job, (platforms, ads, settings))


# ---------------------------------------------------------------------- 1. data
def _new_data(ss, data, error, key, platforms=None, ads=None):
    ss.pop("c_job", None)
    ss["c_data"], ss["c_error"], ss["c_key"] = data, error, key
    ss["c_platforms"], ss["c_ads"] = platforms, ads
    ss["c_version"] = ss.get("c_version", 0) + 1


def _data_section(st, ss):
    st.header("1. Influencers and platforms")
    source = st.radio("Your data", SOURCES, horizontal=True, key="c_source")
    if source == SOURCES[0]:
        if ss.get("c_key") != "example":
            d, plats, ads = campaign.example_campaign()
            _new_data(ss, d, None, "example", plats, ads)
        st.download_button("Example influencers.csv", campaign.example_influencers_csv(),
                           "influencers.csv", "text/csv", key="c_dl_example")
    elif source == SOURCES[1]:
        _uploaded(st, ss)
    else:
        _uploaded_files(st, ss)
    if ss.get("c_error"):
        st.error(ss["c_error"])
    data = ss.get("c_data")
    if isinstance(data, campaign.PlatformFiles):
        _show_files(st, data)
    elif data is not None:
        _show_data(st, data)
    return data


def _uploaded(st, ss):
    a, b = st.columns(2)
    fup = a.file_uploader("Influencer list CSV (name, platform, followers, engagement rate, "
                          "price, optional segment share)", type=["csv", "txt"],
                          key="c_influencers_file")
    oup = b.file_uploader("Overlaps CSV, optional (influencer_a, influencer_b, overlap: "
                          "followers they share)", type=["csv", "txt"], key="c_overlaps_file")
    segment = a.text_input("Name of the target segment (whom the segment shares count)",
                           "runners", key="c_segment")
    if fup is None:
        st.info("Upload your influencer list: one row per candidate influencer with platform, "
                "followers, engagement rate (3.5% or 0.035), price and, optionally, the share "
                "of their followers in your target segment. The example's file is a template.")
        ss["c_data"], ss["c_key"] = None, None
        return
    key = (fup.file_id, getattr(oup, "file_id", None), segment.strip())
    _read_new(ss, key, lambda: campaign.read_influencer_upload(
        fup.getvalue(), fup.name, oup.getvalue() if oup else None,
        oup.name if oup else "overlaps.csv", segment=segment), campaign.platform_rows)


def _read_new(ss, key, read, platform_rows):
    """Read an upload once per new ``key``: the data with its platform and ad tables, or
    the reader's one-line error."""
    if ss.get("c_key") == key:
        return
    try:
        d = read()
    except core.PlannerError as exc:
        _new_data(ss, None, str(exc), key)
    else:
        _new_data(ss, d, None, key, platform_rows(d), campaign.ad_rows(d))


def _uploaded_files(st, ss):
    a, b = st.columns(2)
    fups = a.file_uploader("Follower CSVs, one per platform, named after it (instagram.csv, "
                           "tiktok.csv): one row per follow tie", type=["csv", "txt"],
                           accept_multiple_files=True, key="c_platform_files")
    iup = b.file_uploader("Influencer list CSV, optional (name, platform, followers, "
                          "engagement rate, price)", type=["csv", "txt"],
                          key="c_files_influencers")
    segment = b.text_input("Name of the target segment (a random share of the consumers, "
                           "for the ads)", "runners", key="c_files_segment")
    if not fups:
        st.info("Upload one follower CSV per platform (columns follower and followed, or "
                "source and target, as in the single-graph mode), named after the platform. "
                "The consumers of all files are one population, matched by their ids. An "
                "influencer whose name is an account of the file posts to its followers "
                "there; any other, to its follower count drawn among the platform's "
                "consumers.")
        ss["c_data"], ss["c_key"] = None, None
        return
    key = ("files", tuple(f.file_id for f in fups), getattr(iup, "file_id", None),
           segment.strip())
    _read_new(ss, key, lambda: campaign.read_platform_files(
        [(f.getvalue(), f.name) for f in fups], iup.getvalue() if iup else None,
        iup.name if iup else "influencers.csv", segment=segment), campaign.files_platform_rows)


def _show_files(st, d):
    s = d.summary
    a, b, c = st.columns(3)
    a.metric("Platforms", f"{len(s['platforms']):,}")
    b.metric("Consumers", f"{s['consumers']:,}")
    c.metric("Influencers", f"{s['influencers']:,}")
    per = "; ".join(f"**{s['files'][p]}** ({p}): {s['members'][p]:,} consumers, "
                    f"{s['ties'][p]:,} follow ties, "
                    + d.layers[p].summary["direction"].rstrip(".") for p in s["platforms"])
    st.caption(per + ".")
    if d.influencers is not None:
        acc = s.get("accounts") or []
        st.caption(f"Influencers with an account in their platform's file: "
                   f"{', '.join(acc) if acc else 'none'}; the others post to their follower "
                   "count, drawn among the platform's consumers.")


def _show_data(st, d):
    s = d.summary
    a, b, c = st.columns(3)
    a.metric("Influencers", f"{s['influencers']:,}")
    b.metric("Platforms", f"{len(s['platforms']):,}")
    c.metric("Followers in all", f"{sum(s['followers'].values()):,}")
    per = ", ".join(f"{p}: {s['followers'][p]:,}" for p in s["platforms"])
    extra = (f"; {s['overlaps']} audience overlap(s) from {s['overlaps_file']}"
             if s.get("overlaps_file") else "; no overlaps given (left to chance)")
    shares = ("with each influencer's share of followers in segment "
              f"'{d.segment}'" if s["segment_shares"] else "without segment shares")
    st.caption(f"**{s['file']}**: followers per platform {per}{extra}; {shares}.")
    with st.expander("The influencer list as read"):
        inf = d.influencers
        rows = [{"name": n, "platform": p, "followers": int(f), "engagement rate": float(e),
                 "price": float(pr)} for n, p, f, e, pr in zip(
                     inf.names, inf.platforms, inf.followers, inf.engagement_rate, inf.price)]
        if inf.segment_share is not None:
            for r, x in zip(rows, inf.segment_share.tolist()):
                r[f"share in {d.segment}"] = x
        st.dataframe(rows, hide_index=True)


# ---------------------------------------------------------------------- 2. platforms, ads
def _records(df):
    """The edited table as a list of dicts, an empty cell (NaN, None, pd.NA) as None."""
    import pandas as pd

    return [{k: (None if pd.api.types.is_scalar(v) and pd.isna(v) else v)
             for k, v in r.items()} for r in df.to_dict("records")]


def _platform_section(st, ss, data, v):
    import pandas as pd

    st.header("2. Platforms in your market")
    st.caption("Per platform: consumers on it in your market; the chance an adopter comments "
               "there; the share of an influencer's followers shown a post; the accounts a "
               "consumer follows among them (ties); the chance a comment persuades a follower; "
               "the mean delay in days before acting on a comment. The defaults are "
               "placeholders: enter your platforms' own statistics where you know them "
               "(hover a column's name for its meaning).")
    cols = campaign.PLATFORM_COLUMNS
    if isinstance(data, campaign.PlatformFiles):  # consumers and ties: the files'
        cols = {k: v for k, v in cols.items()
                if k in ("platform", "comment_prob", "organic_reach", "delay_days")}
    df = pd.DataFrame(ss["c_platforms"], columns=list(cols))
    hlp = campaign.PLATFORM_HELP
    cfg = {k: st.column_config.NumberColumn(label, help=hlp[k]) for k, label in cols.items()
           if k != "platform"}
    cfg["platform"] = st.column_config.TextColumn("platform", disabled=True, help=hlp["platform"])
    if "market_size" in cols:
        cfg["market_size"] = st.column_config.NumberColumn(cols["market_size"], min_value=1,
                                                           step=1, format="%d",
                                                           help=hlp["market_size"])
    out = st.data_editor(df, column_config=cfg, hide_index=True, num_rows="fixed",
                         key=f"c_platforms_{v}")
    return _records(out)


def _ads_section(st, ss, data, v):
    import pandas as pd

    st.header("3. Ad options")
    st.caption("Ads a platform shows to your segment (or everyone) at a CPM (the price of "
               "1,000 impressions), each impression persuading with the conversion rate (0 to "
               "1), at most the frequency cap per person. The plan may put up to the most to "
               "spend into each, bought in that many equal parts. Add or delete rows as you "
               "like; no rows: influencer posts only.")
    cols = campaign.AD_COLUMNS
    df = pd.DataFrame(ss["c_ads"], columns=list(cols))
    hlp = campaign.AD_HELP
    cfg = {k: st.column_config.NumberColumn(label, help=hlp[k]) for k, label in cols.items()}
    cfg["platform"] = st.column_config.SelectboxColumn("platform", options=data.platforms,
                                                       required=True, help=hlp["platform"])
    cfg["segment"] = st.column_config.SelectboxColumn(
        cols["segment"], options=[data.segment, campaign.EVERYONE], required=True,
        help=hlp["segment"])
    cfg["frequency_cap"] = st.column_config.NumberColumn(cols["frequency_cap"], min_value=1,
                                                         step=1, format="%d",
                                                         help=hlp["frequency_cap"])
    cfg["slices"] = st.column_config.NumberColumn(cols["slices"], min_value=1, max_value=100,
                                                  step=1, format="%d", help=hlp["slices"])
    cfg["conversion_rate"] = st.column_config.NumberColumn(cols["conversion_rate"],
                                                           format="%.4f",
                                                           help=hlp["conversion_rate"])
    out = st.data_editor(df, column_config=cfg, hide_index=True, num_rows="dynamic",
                         key=f"c_ads_{v}")
    return _records(out)


# ---------------------------------------------------------------------- 3. settings
def _settings_section(st, data):
    st.header("4. Budget, goal and deadline")
    a, b, c = st.columns(3)
    budgets_text = a.text_input("Budget (several: separated by commas)", "1000",
                                key="c_budgets")
    try:
        budgets = core.parse_budgets(budgets_text)
    except core.PlannerError as exc:
        a.error(str(exc))
        budgets = None
    currency = a.text_input("Currency", "€", key="c_currency")
    goal = b.radio("Goal", list(GOALS), format_func=GOALS.get, key="c_goal")
    days = b.number_input("Deadline: people reached by the end of day", 0, 365, 7,
                          key="c_days", help="Day 0 is the day of the posts and ads.")
    share = c.number_input(f"Share of the market in segment '{data.segment}'", 0.0, 1.0, 0.22,
                           step=0.01, key="c_share")
    ape = c.number_input("Adoptions per engagement after a post", 0.0, 1.0, 0.05, step=0.01,
                         key="c_ape")
    x, y, z, w = st.columns(4)
    n_sims = x.number_input("Simulated worlds per plan", 2, 1_000_000, 500, step=100,
                            key="c_n_sims")
    select = y.number_input("Worlds to choose the plans in", 2, 1_000_000, 150, step=50,
                            key="c_select_sims")
    files = isinstance(data, campaign.PlatformFiles)
    draws = 1 if files else z.number_input("Audience draws (the range)", 1, 50, 3,
                                           key="c_draws")
    seed = (z if files else w).number_input("Random seed", 0, 2**31 - 1, 0, key="c_seed")
    if budgets is None:
        return None
    return campaign.CampaignSettings(
        budgets=tuple(budgets), goal=goal, days=int(days), n_sims=int(n_sims),
        select_sims=int(select), draws=int(draws), rng_seed=int(seed), currency=currency,
        segment_share=float(share) or None,  # 0: from the list's shares
        adopt_per_engagement=float(ape))


# ---------------------------------------------------------------------- 4. run
def _run_section(st, ss, data, platforms, ads, settings):
    st.header("5. Run")

    def start():  # a run of the campaign in a background thread of this session
        return jobs.start_job(ss, "c_job", functools.partial(campaign.run_campaign, data,
                                                             platforms, ads, settings),
                              (platforms, ads, settings), "viralsim-planner-campaign",
                              first_line=True)

    jobs.run_row(st, ss, "c_job", "Plan the campaign", "c_run", "c_cancel", settings is None,
                 start, join_s=60)


# ---------------------------------------------------------------------- 5. the answer
def _show_job(st, job, asked):
    if jobs.show_outcome(st, job, asked,
                         "The inputs have changed since this run: the answer below is for the "
                         "run's own inputs. Plan again to update it."):
        _show_results(st, job["results"])


def _pm(x, key):
    lo, hi = x[f"{key}_low"], x[f"{key}_high"]
    return f"{x[key]:,.1f} ± {(hi - lo) / 2:,.1f}"


def _show_results(st, r):
    import matplotlib.pyplot as plt

    st.header("6. The answer")
    st.success(campaign.campaign_paragraph(r).replace("\n", "\n\n"))
    top = r.budgets[-1]
    money = r.mix.money
    st.subheader(f"The mix to buy with {money(top)}")
    st.table([{"buy": x["buy"], "kind": x["kind"], "platform": x["platform"],
               "parts": x["parts"], "cost": money(x["cost"]), "what (each part)": x["what"]}
              for x in campaign.mix_rows(r, top)])
    a, b = st.columns([3, 2])
    fig = campaign.figure_by_day(r, top)
    a.pyplot(fig)
    plt.close(fig)
    days = campaign.by_day_rows(r, top)
    unit = "day" if days and "day" in days[0] else "round"
    goal = "adopters" if r.mix.goal == "adopters" else "see_it"
    plans = list(dict.fromkeys(x["plan"] for x in days))
    table = {}
    for x in days:
        cell = _pm(x, goal) if f"{goal}_low" in x else f"{x[goal]:,.1f}"
        table.setdefault(x[unit], {unit: x[unit]})[x["plan"]] = cell
    b.markdown(f"**{'Adopters' if goal == 'adopters' else 'People who saw it'} by the end of "
               f"each {unit}** (± 95% interval over the simulated worlds)")
    b.dataframe([table[k] for k in sorted(table)], hide_index=True,
                column_order=[unit] + plans)
    st.subheader(f"Every plan at {money(top)}, in the same worlds")
    rows = []
    for x in campaign.comparison_rows(r, top):
        row = {"plan": x["plan"], "cost": money(x["cost"]), "adopters": _pm(x, "adopters"),
               "see it": _pm(x, "see_it"),
               ("adopters" if goal == "adopters" else "see it") + " vs the mix":
               "(the mix)" if x["kind"] == "mix" else _pm(x, "vs_mix")}
        if r.ranges:
            row["across audience draws"] = (
                f"{x['draws_low']:,.0f} to {x['draws_high']:,.0f} ({x['draws']} draws)"
                if x.get("draws") else "")
        rows.append(row)
    st.table(rows)
    jobs.download_row(
        st, ("Download the plans (CSV)", campaign.campaign_csv(r), "campaign_plans.csv",
             "text/csv", "c_dl_csv"),
        ("Download the report (Markdown + CSV, zip)", campaign.campaign_zip(r),
         "campaign_report.zip", "application/zip", "c_dl_zip"))
    with st.expander("How this was computed, and what it assumes"):
        st.write(campaign.how_paragraph(r))
