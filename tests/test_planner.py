"""The campaign planner: its planning layer (viralsim.planner.core) against the public
API, and the page through Streamlit's headless harness (AppTest)."""

import csv
import io
import os
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest

import viralsim as vs
from viralsim.planner import core
from viralsim.planner.core import Plan, PlannerError, Settings

# an Excel "CSV (semicolon)" export in Windows-1252: header in other case with spaces,
# a blank row, a self-follow, a duplicate tie, decimal-comma costs, a text segment
FOLLOWERS_XL = ("Follower ; Followed \r\n"
                "bob;ann\r\n"
                "cid;ann\r\n"
                ";\r\n"
                "dan;dan\r\n"
                "dan;bob\r\n"
                "cid;ann\r\n"
                "eve;cid\r\n"
                "zoë;eve\r\n").encode("cp1252")
CONSUMERS_XL = ("ID;Name;Cost;Segment;Note\r\n"
                "ann;Anna Müller;12,5;students;Köln\r\n"
                "bob;Bob Smith;3;parents;\r\n"
                "cid;Cid Ørsted;4;students;\r\n"
                "dan;Dan Brown;2;parents;\r\n"
                "eve;Eve Adams;1,5;students;\r\n"
                "zoë;Zoë Ünal;2;parents;\r\n").encode("cp1252")


@pytest.fixture(scope="module")
def xl():
    return core.read_upload(FOLLOWERS_XL, "followers (export).csv", CONSUMERS_XL,
                            "consumers (export).csv")


def _ties(d):
    src, dst = d.graph.edges()[:2]  # labels
    return sorted((str(a), str(b)) for a, b in zip(src.tolist(), dst.tolist()))


# ---------------------------------------------------------------------- reading
def test_excel_export_read_with_direction_names_and_skips(xl):
    # edges point from the account followed to its follower (whose posts reach whom)
    assert _ties(xl) == [("ann", "bob"), ("ann", "cid"), ("bob", "dan"), ("cid", "eve"),
                         ("eve", "zoë")]
    s = xl.summary
    assert s["direction"] == "bob follows ann: what ann shares reaches bob (line 2)."
    assert s["follower_file"]["encoding"] == "Windows-1252"
    assert s["follower_file"]["separator"] == "semicolons"
    assert s["skipped"] == [("followers (export).csv", 4, "empty row"),
                            ("followers (export).csv", 5, "dan follows themselves"),
                            ("followers (export).csv", 7, "the same tie as line 3")]
    i = list(xl.graph.labels).index("ann")
    assert xl.consumers[i]["name"] == "Anna Müller" and xl.consumers[i]["note"] == "Köln"
    # decimal commas of a ';' file are numbers; text columns stay text
    assert xl.graph.node_attrs["cost"][i] == 12.5
    assert xl.cost_column == "cost" and xl.segment_column == "segment"
    assert xl.segment_values() == ["parents", "students"]
    assert xl.graph.out_degree()[i] == 2  # ann has two followers


@pytest.mark.parametrize("header,rows", [
    ("source,target", ["ann,bob", "ann,cid"]),
    ("followed,follower", ["ann,bob", "ann,cid"]),
    ("User,Follows", ["bob,ann", "cid,ann"]),
    ("FROM\tTO", ["ann\tbob", "ann\tcid"]),
])
def test_recognised_column_pairs_read_the_same_ties(header, rows):
    d = core.read_upload(("\n".join([header] + rows) + "\n").encode())
    assert _ties(d) == [("ann", "bob"), ("ann", "cid")]
    assert d.summary["direction"].startswith("bob follows ann")


def test_swap_reads_every_tie_the_other_way():
    data = b"follower,followed\nbob,ann\ncid,ann\n"
    d = core.read_upload(data, swap=True)
    assert _ties(d) == [("bob", "ann"), ("cid", "ann")]
    assert d.summary["direction"].startswith("ann follows bob")


def test_utf8_bom_and_plain_utf8_are_utf8():
    d = core.read_upload("\ufefffollower,followed\nbé,ann\n".encode())
    assert d.summary["follower_file"]["encoding"] == "UTF-8"
    assert "bé" in [str(x) for x in d.graph.labels]


@pytest.mark.parametrize("followers,consumers,expect", [
    (b"a,b\nx,y\n", None, "no pair of follow columns"),
    (b"", None, "is empty"),
    (b"follower,followed\n", None, "has no follow ties"),
    (b"PK\x03\x04\x00\x00", None, "xlsx"),
    (b"follower,followed\nbob,ann\n", b"name\nx\n", "no id column"),
    (b"follower,followed\nbob,ann\n", b"id,cost\nann,1\n", "have no row: 'bob'"),
    (b"follower,followed\nbob,ann\n", b"id,cost\nann,1\n\nbob,2\nann,3\n",
     "consumers (x).csv:5: consumer 'ann' again (first on line 2)"),
    (b"follower,followed\nbob,ann\n", b"id,cost,COST\nann,1,1\nbob,1,1\n", "appears twice"),
])
def test_bad_input_is_one_line_naming_the_uploaded_file_and_the_fix(followers, consumers,
                                                                     expect):
    with pytest.raises(PlannerError) as exc:
        core.read_upload(followers, "followers (x).csv", consumers, "consumers (x).csv")
    msg = str(exc.value)
    assert expect in msg
    assert "\n" not in msg and "viralsim-planner-" not in msg  # no temporary path shown


def test_upload_leaves_no_temporary_files(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    core.read_upload(FOLLOWERS_XL, "f.csv", CONSUMERS_XL, "c.csv")
    with pytest.raises(PlannerError):
        core.read_upload(b"follower,followed\nbob,ann\n", "f.csv", b"id\nann\n", "c.csv")
    assert os.listdir(tmp_path) == []


def test_parse_budgets():
    assert core.parse_budgets("100; 50, 50 200") == [50.0, 100.0, 200.0]
    for bad, msg in (("", "at least one"), ("50, ten", "'ten' is not a number"),
                     ("0", "above 0")):
        with pytest.raises(PlannerError, match=msg):
            core.parse_budgets(bad)


# ---------------------------------------------------------------------- running
@pytest.fixture(scope="module")
def example():
    return core.example_dataset(120, rng=3)


def _api_graph(d):
    return d.graph.with_probabilities("weighted_cascade")


def test_plans_are_the_public_api_answer_for_the_same_seed(example):
    s = Settings(budgets=[20.0, 45.0], cost_column="cost", n_sims=300, rng_seed=7)
    plans = [Plan("opt", "optimised", strategy="imm"), Plan("top", "most_followed")]
    r = core.run_plans(example, s, plans)
    g = _api_graph(example)
    costs = np.asarray(example.graph.node_attrs["cost"])
    for b in (20.0, 45.0):
        for name, strategy in (("opt", "imm"), ("top", "degree")):
            want = vs.select_seeds(g, budget=b, costs=costs, strategy=strategy, rng=7).seeds
            assert r.selections[(name, b)] == list(want)
            row = next(x for x in r.rows if x["plan"] == name and x["budget"] == b)
            est = vs.estimate_reach(g, want, n_sims=300, rng=7)
            assert row["adopters"] == est.mean and row["exposure"] == est.exposure.mean
            assert (row["adopters_low"], row["adopters_high"]) == (est.ci_low, est.ci_high)
            assert row["cost"] == pytest.approx(costs[g.index_of(want)].sum())
            assert row["cost"] <= b + 1e-9
            assert row["cost_per_adopter"] == pytest.approx(row["cost"] / est.mean)
    for b in r.budgets:
        ranked = [x for x in r.ranked(b) if x["rank"]]
        assert [x["rank"] for x in ranked] == list(range(1, len(ranked) + 1))
        assert all(a["goal"] >= c["goal"] for a, c in zip(ranked, ranked[1:]))
        assert ranked[0]["adopters_vs_best"] == 0.0


@pytest.mark.parametrize("goal", ["exposure", "segment"])
def test_optimised_plans_optimise_the_goal(example, goal):
    """The optimised plan is the API's goal-aware answer: IMM with goal='exposure', or
    with weight_attr marking the target segment (RR sets rooted in it)."""
    seg = goal == "segment"
    s = Settings(budgets=[30.0], cost_column="cost", n_sims=50, rng_seed=3,
                 goal="adopters" if seg else "exposure",
                 segment_column="segment" if seg else None, segment="students" if seg else None)
    r = core.run_plans(example, s, [Plan("opt", "optimised", strategy="imm")])
    g = _api_graph(example)
    costs = np.asarray(example.graph.node_attrs["cost"])
    if seg:
        mark = [c["segment"] == "students" for c in example.consumers]
        kw = {"weight_attr": "_target_segment"}
        g = g.with_node_attr("_target_segment", np.array(mark))
    else:
        kw = {"goal": "exposure"}
    want = vs.select_seeds(g, budget=30.0, costs=costs, strategy="imm", rng=3, **kw).seeds
    plain = vs.select_seeds(g, budget=30.0, costs=costs, strategy="imm", rng=3).seeds
    assert r.selections[("opt", 30.0)] == list(want) != list(plain)
    text = core.answer_paragraph(r)
    assert ("adopters in segment 'students'" if seg else "people who see it") in text


def test_own_list_by_id_or_name_and_over_budget_left_out(xl):
    s = Settings(budgets=[5.0, 20.0], cost_column="cost", probability="uniform", p=1.0,
                 n_sims=10)
    r = core.run_plans(xl, s, [Plan("mine", "own", accounts=["anna müller", "eve"])])
    assert r.selections[("mine", 5.0)] == ["ann", "eve"]
    low, high = r.ranked(5.0)[0], r.ranked(20.0)[0]
    assert low["rank"] is None and low["status"] == "over budget: costs 14.00"
    # p = 1: ann reaches everyone (bob, cid, then dan, eve, then zoë) in every world
    assert high["rank"] == 1 and high["adopters"] == 6.0 and high["cost"] == 14.0
    with pytest.raises(PlannerError, match="'Anna Muller' is not an id or name in the data "
                                           r"\(did you mean 'Anna Müller'\?\)"):
        core.run_plans(xl, s, [Plan("mine", "own", accounts=["Anna Muller"])])


def test_text_segment_counts_adopters_in_the_segment(xl):
    s = Settings(budgets=[13.0], cost_column="cost", probability="uniform", p=1.0, n_sims=10,
                 segment_column="segment", segment="students")
    r = core.run_plans(xl, s, [Plan("ann", "own", accounts=["ann"])])
    row = r.ranked(13.0)[0]
    # ann, cid, eve are students; bob, dan, zoë parents
    assert row["adopters"] == 6.0 and row["segment_adopters"] == 3.0
    assert row["cost_per_adopter"] == pytest.approx(12.5 / 3)
    with pytest.raises(PlannerError, match="No consumer has segment = 'pupils'"):
        core.run_plans(xl, Settings(budgets=[13.0], cost_column="cost", segment="pupils",
                                    segment_column="segment"), [Plan("a", "own", ["ann"])])


def test_cost_rule_is_fee_plus_price_per_follower(xl):
    s = Settings(budgets=[100.0], cost_base=2.0, cost_per_follower=3.0, n_sims=4)
    r = core.run_plans(xl, s, [Plan("ann", "own", accounts=["ann"])])
    assert r.ranked(100.0)[0]["cost"] == 2.0 + 3.0 * 2


def test_targets_csv_lists_every_target_with_every_column(xl):
    s = Settings(budgets=[6.0, 30.0], cost_column="cost", n_sims=20)
    r = core.run_plans(xl, s, [Plan("top", "most_followed"), Plan("opt", "optimised",
                                                                   strategy="celf")])
    rows = list(csv.DictReader(io.StringIO(core.targets_csv(r).decode())))
    assert rows and set(rows[0]) >= {"budget", "plan", "order", "id", "name", "cost", "segment",
                                     "note", "followers", "target_cost"}
    for (plan, b), seeds in r.selections.items():
        mine = [x for x in rows if x["plan"] == plan and float(x["budget"]) == b]
        assert [x["id"] for x in mine] == [str(v) for v in seeds]
        assert [int(x["order"]) for x in mine] == list(range(1, len(seeds) + 1))
        for x in mine:
            i = list(xl.graph.labels).index(x["id"])
            assert x["name"] == xl.consumers[i]["name"]
            assert int(x["followers"]) == xl.graph.out_degree()[i]
        row = next(x for x in r.rows if x["plan"] == plan and x["budget"] == b)
        assert sum(float(x["target_cost"]) for x in mine) == pytest.approx(row["cost"])


def test_progress_reaches_the_end_and_cancel_stops_the_run(example):
    s = Settings(budgets=[10.0, 20.0], cost_column="cost", n_sims=50)
    plans = [Plan("top", "most_followed")]
    seen = []
    core.run_plans(example, s, plans, progress=lambda f, t: seen.append((f, t)))
    fracs = [f for f, _ in seen]
    assert fracs == sorted(fracs) and fracs[-1] == 1.0 and seen[-1][1] == "Done"
    ev = threading.Event()

    def stop_after_first(f, t):
        if "simulating" in t:
            ev.set()

    with pytest.raises(core.Cancelled):
        core.run_plans(example, s, plans, progress=stop_after_first, cancel=ev)


def test_cancel_stops_inside_a_long_simulation(example):
    s = Settings(budgets=[20.0], cost_column="cost", n_sims=5_000_000)
    ev = threading.Event()
    when = {}

    def cancel_once_simulating(f, t):
        if "simulating worlds" in t and "set" not in when:  # inside estimate_reach
            when["set"] = time.perf_counter()
            ev.set()

    with pytest.raises(core.Cancelled):
        core.run_plans(example, s, [Plan("top", "most_followed")],
                       progress=cancel_once_simulating, cancel=ev)
    assert time.perf_counter() - when["set"] < 1.0


def test_answer_states_the_plan_the_numbers_and_the_assumptions(example):
    s = Settings(budgets=[15.0, 40.0], cost_column="cost", n_sims=100, segment_column="segment",
                 segment="students")
    r = core.run_plans(example, s, [Plan("top", "most_followed"),
                                    Plan("opt", "optimised", strategy="degree_discount")])
    text = core.answer_paragraph(r)
    best = r.best()
    assert f"target the {best['targets']} people of plan '{best['plan']}'" in text
    assert core.between(best["adopters_low"], best["adopters_high"]) in text
    assert "Raising the budget from 15.00 to 40.00" in text
    for words in ("independent cascade", "weighted cascade", "100 simulated worlds",
                  "95% confidence", "'cost' column",
                  "Optimised plans maximise the expected number of adopters in segment "
                  "'students' (degree discount is a heuristic"):
        assert words in text
    z = zipfile.ZipFile(io.BytesIO(core.report_zip(r)))
    assert set(z.namelist()) >= {"report.html", "targets.csv", "plans.csv",
                                 "adoption_over_rounds.csv", "reach_vs_budget.png",
                                 "adoption_over_rounds.png"}
    html = z.read("report.html").decode()
    assert "data:image/png;base64," in html and best["plan"] in html
    assert z.read("targets.csv") == core.targets_csv(r)
    rounds = list(csv.DictReader(io.StringIO(z.read("adoption_over_rounds.csv").decode())))
    last = [x for x in rounds if x["plan"] == best["plan"]][-1]
    assert float(last["adopters_so_far"]) == pytest.approx(best["adopters"], rel=1e-4)


def test_importing_viralsim_or_the_planner_layer_loads_no_web_framework():
    code = ("import sys, viralsim, viralsim.planner, viralsim.planner.page; "
            "assert 'streamlit' not in sys.modules, 'streamlit imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_command_without_the_extra_says_how_to_install(monkeypatch, capsys):
    import importlib.util

    from viralsim.planner import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "streamlit" else real(name, *a))
    assert cli.main(["--no-browser"]) == 2
    assert 'pip install ".[app]"' in capsys.readouterr().err


# ---------------------------------------------------------------------- the page (AppTest)
PAGE = os.path.join(os.path.dirname(core.__file__), "page.py")


def _app():
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(PAGE, default_timeout=120)


def _finish(at, timeout=240):
    t0 = time.time()
    while time.time() - t0 < timeout:
        at.run()
        job = at.session_state["job"] if "job" in at.session_state else None
        if job is None or job.get("finished") is not None:
            at.run()
            return at
        time.sleep(0.3)
    raise AssertionError("the planner run did not finish")


def test_page_example_run_shows_the_answer_tables_and_downloads():
    at = _app()
    at.run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["300", "518", "0"]
    assert at.info[0].value.startswith("Direction: c0001 follows c0000")
    at.number_input(key="n_sims").set_value(100)
    at.text_input(key="budgets").set_value("25, 50")
    at.button(key="run").click()
    _finish(at)
    assert not at.exception and not at.error
    paragraph = at.success[0].value
    assert paragraph.startswith("With a budget of 50.00, target the")
    assert len(at.table) == 2  # one ranked table per budget
    top = at.table[0].value
    assert list(top["plan"]) and set(top["plan"]) == {"most followed", "optimised (imm)"}
    assert list(top["rank"]) == [1, 2]
    job = at.session_state["job"]
    best = job["results"].best(50.0)
    assert top["plan"].iloc[0] == best["plan"]
    assert f"{best['adopters']:,.1f}" in top["adopters"].iloc[0]
    labels = [b.label for b in at.get("download_button")]
    assert "Download targets.csv" in labels and any("report" in x for x in labels)
    assert not any("have changed" in i.value for i in at.info)
    at.text_input(key="budgets").set_value("25, 75")
    at.run()
    assert any("have changed since this run" in i.value for i in at.info)
    assert at.success[0].value == paragraph  # still the run's own answer


def test_page_bad_budget_and_empty_own_list_say_the_fix():
    at = _app()
    at.run()
    at.text_input(key="budgets").set_value("50, lots")
    at.run()
    assert any("'lots' is not a number" in e.value for e in at.error)
    assert at.button(key="run").disabled
    at.text_input(key="budgets").set_value("50")
    at.checkbox(key="use_own").check()
    at.run()
    at.button(key="run").click()
    _finish(at)
    assert any("lists no accounts" in e.value for e in at.error)


def test_page_sessions_do_not_share_data_or_results():
    a, b = _app(), _app()
    a.run()
    a.radio(key="source").set_value("Upload CSV files")
    a.run()
    b.run()
    assert a.session_state["dataset"] is None
    assert b.session_state["dataset"] is not None and "job" not in b.session_state


def test_page_cancel_stops_a_long_run_and_keeps_nothing():
    at = _app()
    at.run()
    at.number_input(key="n_sims").set_value(200_000)
    at.text_input(key="budgets").set_value(", ".join(str(b) for b in range(10, 1010, 10)))
    at.checkbox(key="use_opt").uncheck()
    at.button(key="run").click()
    at.run()
    job = at.session_state["job"]
    assert job["finished"] is None and len(at.get("progress")) == 1  # the bar, while it runs
    at.button(key="cancel").click()
    _finish(at)  # cancel acts between steps: the step under way finishes first
    assert job["cancelled"] and job["results"] is None
    assert any("Run cancelled" in w.value for w in at.warning)


# ---------------------------------------------------------------------- a fitted graph
@pytest.fixture(scope="module")
def learn_run(tmp_path_factory):
    """A small ``experiment=learn`` run directory (fitted_edges.csv, fitted_graph.txt)."""
    pytest.importorskip("hydra")
    from viralsim import app

    from .test_exp_learn import _cfg, _simulated

    tmp = tmp_path_factory.mktemp("learn")
    gpath, lpath = _simulated(tmp, n_items=30, n_nodes=40)
    app.run(_cfg(gpath, lpath, "experiment.prior=0", "formats=[]",
                 "experiment.baselines=[weighted_cascade]"), str(tmp / "run"), quiet=True)
    return tmp / "run"


def _fitted_probs(run):
    with open(run / "fitted_edges.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {(r["source"], r["target"]): float(r["probability"]) for r in rows}


def test_a_fitted_graph_is_read_with_its_learned_probabilities(learn_run):
    want = _fitted_probs(learn_run)
    for d in (core.read_fitted(str(learn_run)),
              core.read_fitted(upload=(learn_run / "fitted_graph.txt").read_bytes(),
                               upload_name="fitted_graph.txt")):
        src, dst, p = d.graph.edges()
        got = {(str(a), str(b)): float(q) for a, b, q in zip(src, dst, p)}
        assert got.keys() == want.keys()
        assert all(abs(got[k] - want[k]) <= 1e-6 * max(want[k], 1e-30) for k in want)
        assert d.has_file_probabilities
    d = core.read_fitted(str(learn_run))
    assert d.summary["fitted"]["log"].endswith("adoptions.csv")
    s = Settings(budgets=[10.0], probability="file", n_sims=50)
    r = core.run_plans(d, s, [Plan("top", "most_followed")])
    text = core.answer_paragraph(r)
    assert ("each follow tie persuades with the probability learned from data by viralsim "
            "experiment=learn (from the action log 'adoptions.csv'") in text
    with pytest.raises(PlannerError, match="holds no fitted graph"):
        core.read_fitted(str(learn_run.parent))
    with pytest.raises(PlannerError, match="does not exist"):
        core.read_fitted(str(learn_run / "nope"))
    with pytest.raises(PlannerError, match="Give the folder"):
        core.read_fitted("  ")


def test_page_loads_a_fitted_graph_from_a_path(learn_run):
    at = _app()
    at.run()
    at.radio(key="source").set_value("A fitted graph (from viralsim experiment=learn)")
    at.run()
    assert at.session_state["dataset"] is None and not at.exception
    at.text_input(key="fitted_path").set_value(str(learn_run))
    at.run()
    assert not at.exception and not at.error
    assert [m.value for m in at.metric][:2] == ["40", f"{len(_fitted_probs(learn_run))}"]
    assert any("learned from data by viralsim experiment=learn" in m.value for m in at.markdown)
    v = at.session_state["data_version"]
    assert at.selectbox(key=f"scheme_{v}").value == "file"  # the learned probabilities
    at.number_input(key="n_sims").set_value(50)
    at.text_input(key="budgets").set_value("20")
    at.checkbox(key="use_opt").uncheck()
    at.button(key="run").click()
    _finish(at)
    assert not at.exception and not at.error
    assert "probability learned from data by viralsim experiment=learn" in at.success[0].value


def test_a_saved_fit_goes_through_the_librarys_loader(tmp_path, monkeypatch):
    """fit.npz is read by viralsim.learn.load_fit where it exists (the adapter's one call)."""
    from types import SimpleNamespace

    from viralsim import learn

    g = vs.FollowerGraph.from_edges(["a", "a", "b"], ["b", "c", "c"], probs=[0.5, 0.25, 0.125])
    (tmp_path / "fit.npz").write_bytes(b"saved")
    seen = []

    def load_fit(path):
        seen.append(path)
        return SimpleNamespace(graph=g, model=SimpleNamespace(rate=0.01), method="em",
                               notes={"source": "/data/adoptions 2026.csv"})

    monkeypatch.setattr(learn, "load_fit", load_fit, raising=False)
    d = core.read_fitted(str(tmp_path))
    assert seen == [str(tmp_path / "fit.npz")]
    assert sorted(zip(*[x.tolist() for x in d.graph.edges()])) == [
        ("a", "b", 0.5), ("a", "c", 0.25), ("b", "c", 0.125)]
    assert core.fitted_words(d.summary["fitted"]) == (
        "learned from data by viralsim experiment=learn (from the action log "
        "'adoptions 2026.csv', method em)")
    monkeypatch.delattr(learn, "load_fit")
    with pytest.raises(PlannerError, match="holds no fitted graph"):
        core.read_fitted(str(tmp_path))  # fit.npz alone, and no loader to read it
