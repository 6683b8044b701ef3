"""The planner page (Streamlit). ``viralsim-planner`` runs this file.

Everything a session knows lives in ``st.session_state`` (one per browser
tab), and the run itself in a background thread of that session, so the page
stays responsive, shows progress and can cancel. Streamlit is imported inside
:func:`render`, so importing this module needs no web framework.
"""

import functools

from viralsim.planner import _page_jobs as jobs
from viralsim.planner import core

KINDS = {"most_followed": "Most followed (followers per unit of cost)",
         "optimised": "Optimised plan",
         "own": "My own list of accounts"}
MODES = ["Whom to target in a follower graph",
         "A campaign across influencers, ads and platforms"]
SOURCES = ["Built-in example", "Upload CSV files",
           "A fitted graph (from viralsim experiment=learn)"]
GOALS = {"adopters": "People who buy (adopters)", "exposure": "People who see it (exposure)"}
SCHEMES = {"weighted_cascade": "Weighted cascade: 1 / accounts the follower follows (usual)",
           "uniform": "The same probability on every tie",
           "trivalency": "Random: 0.1, 0.01 or 0.001 per tie",
           "file": "The follower file's probability column"}


def _fmt(v, digits=1):
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


def render():
    """Draw the page for this session."""
    import streamlit as st

    st.set_page_config(page_title="viralsim campaign planner", layout="wide")
    core.warm_up()  # compile the kernels in the background, before the first click
    ss = st.session_state
    st.title("Campaign planner")
    st.caption("Whom to target, what it costs, what it will reach, and what that assumes. "
               "Runs on this computer: uploaded files are read here and sent nowhere; each "
               "browser tab has its own data.")
    mode = st.radio("What to plan", MODES, horizontal=True, key="mode")
    if mode == MODES[1]:
        from viralsim.planner import page_campaign

        page_campaign.render(st, ss)
        return
    dataset = _data_section(st, ss)
    if dataset is None:
        return
    _show_dataset(st, dataset)
    # widgets whose choices come from the data start afresh with each new file
    settings = _goal_section(st, dataset, ss.get("data_version", 0))
    plans = _plans_section(st)
    _run_section(st, ss, dataset, settings, plans)
    job = ss.get("job")
    if job is not None and job.get("finished") is not None:
        _show_job(st, job, settings, plans)


def _new_data(ss, dataset, error, key):
    """Keep a newly read dataset (or its error); a run of the old data is dropped."""
    ss.pop("job", None)
    ss["dataset"], ss["data_error"], ss["data_key"] = dataset, error, key
    ss["data_version"] = ss.get("data_version", 0) + 1


def _data_section(st, ss):
    """Section 1: the built-in example or the uploaded files; the dataset, or None."""
    st.header("1. Your data")
    source = st.radio("Data", SOURCES, horizontal=True, key="source")
    if source == SOURCES[0]:
        _example_data(st, ss)
    elif source == SOURCES[1]:
        _uploaded_data(st, ss)
    else:
        _fitted_data(st, ss)
    if ss.get("data_error"):
        st.error(ss["data_error"])
    return ss.get("dataset")


def _example_data(st, ss):
    if ss.get("data_key") != "example":
        _new_data(ss, core.example_dataset(), None, "example")
    f_ex, c_ex = core.example_files()
    a, b = st.columns(2)
    a.download_button("Example followers.csv", f_ex, "followers.csv", "text/csv")
    b.download_button("Example consumers.csv", c_ex, "consumers.csv", "text/csv")


def _uploaded_data(st, ss):
    a, b = st.columns(2)
    fup = a.file_uploader("Follower CSV (one row per follow tie: follower, followed)",
                          type=["csv", "txt"], key="followers_file")
    cup = b.file_uploader("Consumers CSV (id, and any of name, cost, segment, ...)",
                          type=["csv", "txt"], key="consumers_file")
    swap = st.checkbox("Read each tie the other way round", key="swap",
                       help="Tick when the example pair below reads wrong.")
    if fup is None:
        st.info("Upload a follower CSV (and a consumers CSV for names, costs and "
                "segments). Separators , ; or tab; Excel's CSV encodings are fine.")
        ss["dataset"], ss["data_key"] = None, None
        return
    key = (fup.file_id, getattr(cup, "file_id", None), swap)
    if ss.get("data_key") == key:
        return
    try:
        dataset = core.read_upload(fup.getvalue(), fup.name, cup.getvalue() if cup else None,
                                   cup.name if cup else "consumers.csv", swap=swap)
    except core.PlannerError as exc:
        _new_data(ss, None, str(exc), key)
    else:
        _new_data(ss, dataset, None, key)


def _fitted_data(st, ss):
    """A fitted graph of ``viralsim experiment=learn``: a path on this machine or an
    uploaded file, and an optional consumers CSV."""
    a, b = st.columns(2)
    path = a.text_input("Folder of the learn run (outputs/<date>/<time>) or its fitted file, "
                        "on this computer", key="fitted_path")
    fup = a.file_uploader("...or upload its fitted_edges.csv, fitted_graph.txt or fit.npz",
                          type=["csv", "txt", "npz"], key="fitted_file")
    cup = b.file_uploader("Consumers CSV (id, and any of name, cost, segment, ...)",
                          type=["csv", "txt"], key="fitted_consumers")
    if fup is None and not path.strip():
        st.info("Give the folder that viralsim experiment=learn wrote (it holds "
                "fitted_edges.csv), or upload that file: the follow ties come with the "
                "probabilities learned from your action log.")
        ss["dataset"], ss["data_key"] = None, None
        return
    key = ("fitted", getattr(fup, "file_id", None), path.strip(),
           getattr(cup, "file_id", None))
    if ss.get("data_key") == key:
        return
    try:
        dataset = core.read_fitted(
            path=None if fup is not None else path, upload=fup.getvalue() if fup else None,
            upload_name=fup.name if fup else None, consumers=cup.getvalue() if cup else None,
            consumers_name=cup.name if cup else "consumers.csv")
    except core.PlannerError as exc:
        _new_data(ss, None, str(exc), key)
    else:
        _new_data(ss, dataset, None, key)


def _goal_section(st, dataset, v):
    """Section 2: goal, segment, budgets, costs, probabilities, worlds and seed, as
    :class:`~viralsim.planner.Settings` (``v``: the data version, in data-bound widget keys)."""
    st.header("2. Goal, budgets and costs")
    a, b, c = st.columns(3)
    goal = a.radio("Goal", list(GOALS), format_func=GOALS.get, key="goal")
    segment_column, segment = _segment_inputs(b, dataset, v)
    budgets = _budget_input(c)
    a, b = st.columns(2)
    cost = _cost_inputs(a, dataset, v)
    scheme, p, n_sims, rng_seed = _model_inputs(b, dataset, v)
    return core.Settings(goal=goal, segment_column=segment_column, segment=segment,
                         budgets=budgets or [], cost_column=cost[0], cost_base=cost[1],
                         cost_per_follower=cost[2], cost_exponent=cost[3], probability=scheme,
                         p=p, n_sims=int(n_sims), rng_seed=int(rng_seed))


def _segment_inputs(col, dataset, v):
    """``(segment column, segment value or None for everyone)``."""
    seg_cols = [c for c in dataset.columns if c != "id"]
    if not seg_cols:
        return None, None
    default = seg_cols.index(dataset.segment_column) if dataset.segment_column else 0
    segment_column = col.selectbox("Segment column", seg_cols, index=default, key=f"seg_col_{v}")
    values = ["everyone"] + dataset.segment_values(segment_column)[:200]
    segment = col.selectbox("Target segment", values, key=f"segment_{v}")
    return segment_column, (None if segment == "everyone" else segment)


def _budget_input(col):
    """The budgets typed, or None (with the error shown) when they do not parse."""
    budgets_text = col.text_input("Budgets (separated by commas)", "30, 60, 120", key="budgets")
    try:
        return core.parse_budgets(budgets_text)
    except core.PlannerError as exc:
        col.error(str(exc))
        return None


def _cost_inputs(col, dataset, v):
    """``(cost column or None, fee, per follower, exponent)``."""
    numeric = dataset.numeric_columns
    cost_modes = (["A cost column of the consumers file"] if numeric else []) + \
        ["A price rule: fee + price per follower"]
    cost_mode = col.radio("What a target costs", cost_modes, key=f"cost_mode_{v}")
    if cost_mode.startswith("A cost column"):
        idx = numeric.index(dataset.cost_column) if dataset.cost_column in numeric else 0
        return col.selectbox("Cost column", numeric, index=idx, key=f"cost_col_{v}"), 5.0, 0.5, 1.0
    x, y, z = col.columns(3)
    base = x.number_input("Fee", min_value=0.0, value=5.0, key="cost_base")
    per = y.number_input("Per follower", min_value=0.0, value=0.5, key="cost_per")
    ex = z.number_input("Exponent", value=1.0, key="cost_exp")
    return None, base, per, ex


def _model_inputs(col, dataset, v):
    """``(probability scheme, p, simulated worlds, random seed)``."""
    schemes = [s for s in SCHEMES if s != "file" or dataset.has_file_probabilities]
    words = dict(SCHEMES)
    if dataset.summary.get("fitted"):
        words["file"] = "Learned from data (viralsim experiment=learn)"
    scheme = col.selectbox("How likely a follower is persuaded", schemes,
                           format_func=words.get,
                           index=schemes.index("file") if "file" in schemes else 0,
                           key=f"scheme_{v}")
    p = col.number_input("Probability per tie", 0.0, 1.0, 0.05, key="p") \
        if scheme == "uniform" else 0.05
    x, y = col.columns(2)
    n_sims = x.number_input("Simulated worlds per plan", 2, 1_000_000, 1000, step=500,
                            key="n_sims")
    rng_seed = y.number_input("Random seed", 0, 2**31 - 1, 0, key="rng_seed")
    return scheme, p, n_sims, rng_seed


def _plans_section(st):
    """Section 3: the candidate plans ticked."""
    st.header("3. Candidate plans")
    plans = []
    a, b, c = st.columns(3)
    if a.checkbox(KINDS["most_followed"], value=True, key="use_most"):
        plans.append(core.Plan("most followed", "most_followed"))
    if b.checkbox(KINDS["optimised"], value=True, key="use_opt"):
        strat = b.selectbox("Method", list(core.STRATEGY_WORDS)[:3],
                            format_func=core.STRATEGY_WORDS.get, key="strategy")
        plans.append(core.Plan(f"optimised ({strat})", "optimised", strategy=strat))
    if c.checkbox(KINDS["own"], value=False, key="use_own"):
        own = c.text_area("Ids or names, one per line or separated by commas", key="own")
        accounts = [t for line in own.splitlines() for t in line.split(",") if t.strip()]
        plans.append(core.Plan("my list", "own", accounts=accounts))
    return plans


def _run_section(st, ss, dataset, settings, plans):
    """Section 4: the run button, and while it runs, progress and cancel."""
    st.header("4. Run")

    def start():  # a run of the plans in a background thread of this session
        return jobs.start_job(ss, "job", functools.partial(core.run_plans, dataset, settings,
                                                           plans),
                              (settings, plans), "viralsim-planner-run")

    running = jobs.run_row(st, ss, "job", "Run the plans", "run", "cancel",
                           not settings.budgets or not plans, start, join_s=30)
    if not core.is_warm() and not running:
        st.caption("The simulation kernels are compiling in the background (first start on "
                   "this machine only): a run started now waits for them, and says so.")


def _show_job(st, job, settings, plans):
    """A finished run: cancelled, its error, or its answer (flagged when the page changed since)."""
    if jobs.show_outcome(st, job, (settings, plans),
                         "The settings or plans have changed since this run: the answer below "
                         "is for the run's own settings. Run again to update it."):
        _show_results(st, job["results"])


def _show_dataset(st, d):
    s = d.summary
    a, b, c = st.columns(3)
    a.metric("Consumers", f"{s['consumers']:,}")
    b.metric("Follow ties", f"{s['ties']:,}")
    c.metric("Rows skipped", f"{len(s['skipped']):,}")
    st.info("Direction: " + s["direction"])
    lines = []
    ff = s["follower_file"]
    used = ", ".join(f"{k}: '{v}'" for k, v in ff["columns used"].items())
    lines.append(f"**{ff['name']}** ({ff['encoding']}, separated by {ff['separator']}): "
                 f"{used}.")
    cf = s.get("consumers_file")
    if cf:
        used = ", ".join(f"{k}: '{v}'" for k, v in cf["columns used"].items() if v)
        lines.append(f"**{cf['name']}** ({cf['encoding']}, separated by {cf['separator']}): "
                     f"{cf['rows']:,} rows; {used}; numbers: {', '.join(cf['numeric columns']) or 'none'}; "
                     f"text: {', '.join(cf['text columns']) or 'none'}.")
    if s.get("fitted"):
        lines.append("Probabilities per follow tie: " + core.fitted_words(s["fitted"]) + ".")
    st.markdown("  \n".join(lines))
    if s["skipped"]:
        with st.expander(f"{len(s['skipped'])} row(s) skipped, and why"):
            st.table([{"file": f, "line": n, "why": w} for f, n, w in s["skipped"][:500]])


def _show_results(st, r):
    st.header("5. The answer")
    if r.compile_s:
        st.caption(f"This run waited {r.compile_s:.0f} s for the kernels to compile (first run "
                   f"only).")
    st.success(core.answer_paragraph(r))
    st.subheader("Plans ranked per budget")
    for b in reversed(r.budgets):
        st.markdown(f"**Budget {b:,.2f}**")
        st.table([_ranked_row(x, r.settings.segment) for x in r.ranked(b)])
    st.caption("Ranges: 95% confidence intervals of the averages over the simulated worlds.")
    _show_figures(st, r)
    _show_targets(st, r)


def _with_range(x, key):
    """``"mean (between low and high)"`` of a results row's ``key``."""
    return f"{x[key]:,.1f} ({core.between(x[f'{key}_low'], x[f'{key}_high'])})"


def _ranked_row(x, segment):
    """One plan's row of the ranked table (``segment``: the target segment or None)."""
    row = {"rank": x["rank"] or "-", "plan": x["plan"], "targets": x["targets"],
           "cost": _fmt(x["cost"], 2)}
    if x["status"] != "ok":
        row["adopters"] = x["status"]
        return row
    seg = segment is not None
    row["adopters"] = _with_range(x, "adopters")
    if seg:
        row[f"in {segment}"] = _with_range(x, "segment_adopters")
    row["see it"] = _with_range(x, "exposure")
    row["cost per adopter" + (f" in {segment}" if seg else "")] = _fmt(x["cost_per_adopter"], 2)
    row["adopters vs best"] = (
        "best" if x["rank"] == 1 else
        f"{x['adopters_vs_best']:+,.1f} ({core.between(x['adopters_vs_best_low'], x['adopters_vs_best_high'])})")
    return row


def _show_figures(st, r):
    import matplotlib.pyplot as plt

    a, b = st.columns(2)
    fig = core.figure_reach_vs_budget(r)
    a.pyplot(fig)
    plt.close(fig)
    fig = core.figure_adoption(r)
    if fig is not None:
        b.pyplot(fig)
        plt.close(fig)


def _show_targets(st, r):
    st.subheader("Whom to target")
    jobs.download_row(
        st, ("Download targets.csv", core.targets_csv(r), "targets.csv", "text/csv",
             "dl_targets"),
        ("Download the report (HTML + CSV, zip)", core.report_zip(r), "campaign_report.zip",
         "application/zip", "dl_report"))
    rows = core.targets_rows(r)
    for bud in reversed(r.budgets):
        for x in r.ranked(bud):
            mine = [t for t in rows if t["plan"] == x["plan"] and t["budget"] == bud]
            if not mine:
                continue
            label = (f"Budget {bud:,.2f}, {x['plan']}: {len(mine)} target(s), cost "
                     f"{x['cost']:,.2f}" + ("" if x["status"] == "ok" else f" ({x['status']})"))
            with st.expander(label, expanded=x["rank"] == 1 and bud == r.budgets[-1]):
                st.dataframe([{k: v for k, v in t.items() if k not in ("budget", "plan", "rank",
                                                                      "within_budget")}
                              for t in mine], hide_index=True)


if __name__ == "__main__":  # Streamlit runs this file as __main__
    render()
