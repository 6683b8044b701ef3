"""The planner page in a real browser: headless Chromium (Debian's ``chromium``)
driven by Playwright, against ``python -m viralsim.planner`` on 127.0.0.1.

Skipped, saying why, when Streamlit, Playwright or Chromium is absent (CI
installs all three). ``VIRALSIM_PLANNER_SCREENSHOTS=<folder>`` also saves the
screenshots there (docs/img holds the ones in docs/planner.md).
"""

import csv
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

import viralsim as vs
from viralsim.planner import core
from viralsim.planner._adapter import follower_csv_reader

pytest.importorskip("streamlit", reason="the planner needs the app extra: pip install '.[app]'")
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="browser tests need playwright: pip install playwright")

CHROMIUM = next((p for p in (os.environ.get("VIRALSIM_CHROMIUM"), shutil.which("chromium"),
                             shutil.which("chromium-browser")) if p), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium: apt-get install chromium (or set VIRALSIM_CHROMIUM to its path)")

N_CONSUMERS, BUDGETS, N_SIMS, SEED = 80, (20.0, 80.0), 200, 3

# the page answers within seconds, but a shared CI machine (or the server compiling its
# kernels in the background) can stretch that past Playwright's default of 5 s
sync_api.expect.set_options(timeout=30_000)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    env = dict(os.environ)
    src = os.path.dirname(os.path.dirname(os.path.abspath(vs.__file__)))
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    env["HOME"] = str(tmp_path_factory.mktemp("home"))  # no user-level Streamlit config
    log = open(tmp_path_factory.mktemp("log") / "server.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "viralsim.planner", "--port", str(port),
                             "--no-browser"], stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        t0 = time.time()
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() - t0 > 90:
                log.seek(0)
                raise RuntimeError(f"the planner did not start:\n{log.read()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()  # the command stops its server
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything of its session still there
        except ProcessLookupError:
            pass
        proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def excel_files(tmp_path_factory):
    """The example as a spreadsheet would export it: ';' separators, Windows-1252,
    headers with other case and spaces, decimal commas, names with spaces."""
    f, c = core.example_files(N_CONSUMERS, rng=SEED)
    d = tmp_path_factory.mktemp("upload")
    fol = [r for r in csv.reader(io.StringIO(f.decode()))]
    con = [r for r in csv.reader(io.StringIO(c.decode()))]
    fol[0] = [" Follower ", " Followed "]
    con[0] = ["ID", "Full Name", "Cost", "Segment", "City"]
    for r in con[1:]:  # prices unlike the page's default price rule, with decimal commas
        r[2] = f"{2 * float(r[2]) + 1:.2f}".replace(".", ",")
    fpath, cpath = d / "followers (export) 2026.csv", d / "consumers list.csv"
    fpath.write_bytes("\r\n".join(";".join(r) for r in fol).encode("cp1252") + b"\r\n")
    cpath.write_bytes("\r\n".join(";".join(r) for r in con).encode("cp1252") + b"\r\n")
    assert "ü".encode("cp1252") in cpath.read_bytes()  # Müller: not UTF-8
    # the same data as UTF-8 with the library's own column names, for the API's answer
    plain = d / "plain"
    plain.mkdir()
    with open(plain / "f.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["source", "target"])
        w.writerows([r[1], r[0]] for r in fol[1:])
    with open(plain / "c.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "cost", "segment", "city"])
        w.writerows([r[0], r[1], r[2].replace(",", "."), *r[3:]] for r in con[1:])
    return fpath, cpath, plain


TALL = """Math.max(...['stMain', 'stMainBlockContainer', 'stAppViewContainer'].map(
    id => { const e = document.querySelector(`[data-testid="${id}"]`);
            return e ? e.scrollHeight + e.getBoundingClientRect().top : 0; }),
    document.documentElement.scrollHeight)"""


def _shoot(page, name, tmp_path):
    """The whole page (Streamlit scrolls inside its main block: grow the window to it)."""
    size = page.viewport_size
    for _ in range(3):  # the layout may grow once the window does
        tall = page.evaluate(TALL)
        page.set_viewport_size({"width": size["width"], "height": min(max(tall, 600), 9000)})
        page.wait_for_timeout(700)
    page.screenshot(path=str(tmp_path / name))
    out = os.environ.get("VIRALSIM_PLANNER_SCREENSHOTS")
    if out:
        os.makedirs(out, exist_ok=True)
        shutil.copy(tmp_path / name, os.path.join(out, name))
    page.set_viewport_size(size)
    assert (tmp_path / name).stat().st_size > 10_000


def _expect_counts(page, consumers, ties, skipped):
    """The three counts the page shows once a file is read."""
    sync_api.expect(page.locator('[data-testid="stMetricValue"]')).to_have_text(
        [consumers, ties, skipped])


def _set(page, label, value):
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_timeout(400)
    sync_api.expect(box).to_have_value(str(value))


def _table(page, i):
    """The i-th st.table as a list of dicts (header -> cell text)."""
    t = page.locator('[data-testid="stTable"] table').nth(i)
    head = [h.strip() for h in t.locator("thead th").all_inner_texts()]
    rows = []
    for tr in t.locator("tbody tr").all():
        cells = [c.strip() for c in tr.locator("th, td").all_inner_texts()]
        rows.append(dict(zip(head[-len(cells):], cells)))
    return rows


@pytest.fixture(scope="module")
def learn_run(tmp_path_factory):
    """A small ``viralsim experiment=learn`` run (its folder holds fitted_edges.csv)."""
    pytest.importorskip("hydra")
    from viralsim import app

    from .test_exp_learn import _cfg, _simulated

    tmp = tmp_path_factory.mktemp("learn")
    gpath, lpath = _simulated(tmp, n_items=30, n_nodes=40)
    app.run(_cfg(gpath, lpath, "experiment.prior=0", "formats=[]",
                 "experiment.baselines=[weighted_cascade]"), str(tmp / "run"), quiet=True)
    return tmp / "run"


def test_browser_example_then_excel_upload_budgeted_plan_and_targets_csv(
        server, browser, excel_files, learn_run, tmp_path):
    fpath, cpath, plain = excel_files
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(server)
    # the built-in example is read at once, and says what it read
    sync_api.expect(page.get_by_text("Direction: c0001 follows c0000")).to_be_visible()
    _expect_counts(page, "300", "518", "0")
    _shoot(page, "planner_data.png", tmp_path)

    # the spreadsheet export
    page.get_by_text("Upload CSV files").click()
    uploads = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    uploads.nth(0).set_input_files(str(fpath))
    uploads.nth(1).set_input_files(str(cpath))
    read = page.get_by_text("consumers list.csv (Windows-1252, separated by semicolons)")
    sync_api.expect(read).to_be_visible()
    sync_api.expect(page.get_by_text("followers (export) 2026.csv (UTF-8, separated by "
                                     "semicolons)")).to_be_visible()
    ref_graph = follower_csv_reader()(plain / "f.csv", consumers=plain / "c.csv")
    _expect_counts(page, f"{ref_graph.n_nodes:,}", f"{ref_graph.n_edges:,}", "0")

    # a budgeted run: most followed and IMM at two budgets, cost from the file's column
    sync_api.expect(page.get_by_text("A cost column of the consumers file")).to_be_checked()
    _set(page, "Budgets (separated by commas)", ", ".join(f"{b:g}" for b in BUDGETS))
    _set(page, "Simulated worlds per plan", N_SIMS)
    _set(page, "Random seed", SEED)
    page.get_by_role("button", name="Run the plans").click()
    sync_api.expect(page.get_by_text("Plans ranked per budget")).to_be_visible(timeout=180_000)
    answer = page.locator('[data-testid="stAlertContentSuccess"]').inner_text()
    assert answer.startswith(f"With a budget of {BUDGETS[-1]:,.2f}, target the")

    # the API's answer for the same data and seed
    g = ref_graph.with_probabilities("weighted_cascade")
    costs = g.node_attrs["cost"]
    want = {}
    for b in BUDGETS:
        for plan, strategy in (("optimised (imm)", "imm"), ("most followed", "degree")):
            seeds = vs.select_seeds(g, budget=b, costs=costs, strategy=strategy, rng=SEED).seeds
            want[(plan, b)] = (seeds, vs.estimate_reach(g, seeds, n_sims=N_SIMS, rng=SEED))

    # the ranked table of the largest budget (shown first) agrees with it
    tables = page.locator('[data-testid="stTable"] table')
    sync_api.expect(tables).to_have_count(len(BUDGETS))
    for i in range(len(BUDGETS)):
        sync_api.expect(tables.nth(i).locator("tbody tr")).to_have_count(2)
    top = _table(page, 0)
    assert {r["plan"] for r in top} == {"optimised (imm)", "most followed"}
    means = [want[(r["plan"], BUDGETS[-1])][1].mean for r in top]
    assert means == sorted(means, reverse=True)  # ranked by the API's numbers
    assert [r["rank"] for r in top] == [str(i) for i in range(1, len(top) + 1)]
    for r in top:
        seeds, est = want[(r["plan"], BUDGETS[-1])]
        assert r["adopters"].startswith(f"{est.mean:,.1f} (")
        assert r["targets"] == str(len(seeds))
    _shoot(page, "planner_results.png", tmp_path)

    # targets.csv: every plan and budget, seeds in pick order, names and costs from the file
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download targets.csv").click()
    path = tmp_path / "targets.csv"
    dl.value.save_as(path)
    assert dl.value.suggested_filename == "targets.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    names = {r["id"]: r for r in csv.DictReader(io.StringIO((plain / "c.csv").read_text()))}
    for (plan, b), (seeds, _) in want.items():
        mine = [r for r in rows if r["plan"] == plan and float(r["budget"]) == b]
        assert [r["id"] for r in mine] == list(seeds)
        for r in mine:
            assert r["full name"] == names[r["id"]]["name"]
            assert float(r["target_cost"]) == pytest.approx(float(names[r["id"]]["cost"]))

    # the report downloads as one zip
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download the report (HTML + CSV, zip)").click()
    assert dl.value.suggested_filename == "campaign_report.zip"

    # a long run shows its progress and stops on Cancel, keeping nothing from it
    _set(page, "Simulated worlds per plan", 1_000_000)
    _set(page, "Budgets (separated by commas)", ", ".join(str(b) for b in range(20, 820, 20)))
    page.get_by_role("button", name="Run the plans").click()
    # progress from inside the simulation (worlds done so far), not only between steps
    sync_api.expect(page.get_by_text("simulating worlds:", exact=False).first).to_be_visible()
    sync_api.expect(page.locator('[data-testid="stProgress"]')).to_be_visible()
    _shoot(page, "planner_progress.png", tmp_path)
    t0 = time.time()
    page.get_by_role("button", name="Cancel").click()
    sync_api.expect(page.get_by_text("Run cancelled: nothing was kept from it.")).to_be_visible(
        timeout=30_000)
    # cancel acts inside the simulation under way: within a second there, plus the
    # page's round trips (between steps alone it waited for a 1,000,000-world step)
    assert time.time() - t0 < 10
    sync_api.expect(page.get_by_text("Plans ranked per budget")).to_have_count(0)

    # a second tab is a session of its own: the example, not this tab's upload
    other = ctx.new_page()
    other.goto(server)
    sync_api.expect(other.get_by_text("Direction: c0001 follows c0000")).to_be_visible()
    _expect_counts(other, "300", "518", "0")
    sync_api.expect(read).to_be_visible()
    other.close()

    # a fitted graph of viralsim experiment=learn, by the folder of its run
    page.get_by_text("A fitted graph (from viralsim experiment=learn)").click()
    _set(page, "Folder of the learn run (outputs/<date>/<time>) or its fitted file, on this "
               "computer", str(learn_run))
    fitted = follower_csv_reader()(learn_run / "fitted_edges.csv", probability="probability")
    _expect_counts(page, f"{fitted.n_nodes:,}", f"{fitted.n_edges:,}", "0")
    sync_api.expect(page.get_by_text("Probabilities per follow tie: learned from data by "
                                     "viralsim experiment=learn (from the action log "
                                     "'adoptions.csv'")).to_be_visible()
    _shoot(page, "planner_fitted.png", tmp_path)
    ctx.close()


def test_stopping_the_command_stops_its_server(tmp_path):
    port = _free_port()
    env = dict(os.environ, HOME=str(tmp_path))
    src = os.path.dirname(os.path.dirname(os.path.abspath(vs.__file__)))
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, "-m", "viralsim.planner", "--port", str(port),
                             "--no-browser"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        t0 = time.time()
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.time() - t0 < 90, "the planner did not start"
                time.sleep(0.3)
        proc.terminate()
        proc.wait(timeout=30)
        t0 = time.time()
        while time.time() - t0 < 30:  # the server lets go of its port
            try:
                with urllib.request.urlopen(url, timeout=2):
                    time.sleep(0.3)
            except OSError:
                break
        else:
            raise AssertionError("the server still answers after its command was stopped")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
