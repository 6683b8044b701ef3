"""The planning layer behind the planner page: plain Python, no web framework.

Three steps, each a function the page calls and the tests exercise directly:

1. :func:`read_upload` (or :func:`example_dataset`): a follower CSV and a
   consumers CSV as bytes, as a browser uploads them, to a :class:`Dataset`
   that says what was read (consumers, ties, the direction in words with an
   example pair, columns used, rows skipped and why).
2. :func:`run_plans`: candidate :class:`Plan` s x budgets under
   :class:`Settings`, with progress and cancel, to :class:`Results`; seeds
   come from :func:`viralsim.experiments.resolve_plan` (so
   :func:`viralsim.select_seeds`), costs from
   :func:`viralsim.experiments.seed_costs`, numbers from
   :func:`viralsim.estimate_reach`: the same calls as ``experiment=campaign``.
3. :func:`targets_csv`, :func:`answer_paragraph`, :func:`report_zip`: the
   answer as files.

Nothing here keeps state between calls: the page holds one :class:`Dataset`
and one :class:`Results` per browser session, so two tabs never share data.
Uploaded bytes are written only to a private temporary folder, read, and
removed.
"""

import csv
import difflib
import io
import logging
import math
import os
import re
import shutil
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field

import numpy as np

from .. import _progress
from ..exceptions import ViralsimError
from ..io import detect_encoding
from ._adapter import follower_csv_reader

__all__ = [
    "Dataset",
    "Settings",
    "Plan",
    "Results",
    "Cancelled",
    "PlannerError",
    "read_upload",
    "read_fitted",
    "example_dataset",
    "example_files",
    "parse_budgets",
    "run_plans",
    "targets_rows",
    "targets_csv",
    "plans_csv",
    "answer_paragraph",
    "report_zip",
    "warm_up",
]

log = logging.getLogger("viralsim")

#: Follower-file column pairs recognised (names compared without case, spaces or '_'):
#: (column of the account followed, column of the follower, how a row reads)
FOLLOW_COLUMNS = [
    ("source", "target", "{b} follows {a}"),
    ("followed", "follower", "{b} follows {a}"),
    ("follows", "user", "{b} follows {a}"),
    ("from", "to", "{b} follows {a}"),
]
ID_NAMES = ("id", "consumer id", "consumer", "account", "user id", "user")
NAME_NAMES = ("name", "full name", "display name", "consumer name")
COST_NAMES = ("cost", "price", "fee")
SEGMENT_NAMES = ("segment", "group")
PROBABILITY_NAMES = ("probability", "p")

PROBABILITY_SCHEMES = {
    "weighted_cascade": "each follower is persuaded by each account they follow with "
                        "probability 1 / (the number of accounts they follow), so someone "
                        "following 4 accounts has a 1-in-4 chance per adopter among them "
                        "(weighted cascade, Kempe et al. 2003)",
    "uniform": "each follow tie persuades with the same probability {p:g}",
    "trivalency": "each follow tie persuades with a probability drawn at random from "
                  "0.1, 0.01 and 0.001 (trivalency, Chen et al. 2010)",
    "file": "each follow tie persuades with the probability given in the follower file",
}

STRATEGY_WORDS = {
    "imm": "IMM (optimised for the goal, with a guarantee of at least 63% of the best "
           "possible)",
    "celf": "CELF greedy (optimised for the goal by simulation)",
    "degree_discount": "degree discount (a fast heuristic)",
    "degree": "most followers per unit of cost",
}


class PlannerError(ViralsimError, ValueError):
    """A mistake in the planner's input, with the fix in its one-line message."""


#: the run was cancelled from the page (raised between steps, or inside a long
#: estimate or selection at its next checkpoint: :mod:`viralsim._progress`)
Cancelled = _progress.Cancelled


# ---------------------------------------------------------------------- reading
def _norm(name):
    """A column name compared as people read it: no case, spaces or underscores."""
    return " ".join(str(name or "").replace("_", " ").replace("-", " ").lower().split())


def decode(data, filename):
    """``(text, encoding)`` of uploaded bytes: UTF-8 (with or without BOM), else
    Windows-1252 (Excel's "CSV" on Western-European Windows), else Latin-1."""
    if not data:
        raise PlannerError(f"{filename} is empty: upload a CSV with a header row and one row "
                           f"per line.")
    if b"\x00" in data[:4096]:
        raise PlannerError(f"{filename} is not a text CSV (it holds binary data; is it an .xlsx "
                           f"workbook?). Save it from the spreadsheet as CSV and upload that.")
    enc, _ = detect_encoding(lambda: [data])  # the library reader's rule, one block
    return data.decode(enc), _ENCODING_WORDS[enc]


_ENCODING_WORDS = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1"}


def _delimiter(text):
    """The header's separator: the most frequent of ',', ';', tab, '|' (',' if none)."""
    head = text.split("\n", 1)[0]
    counts = {d: head.count(d) for d in ",;\t|"}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _rows(text, filename):
    sep = _delimiter(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    if not rows or not any(c.strip() for c in rows[0]):
        raise PlannerError(f"{filename} has no header row: its first line must name the "
                           f"columns, e.g. follower,followed.")
    return sep, rows


SEP_WORDS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars (|)"}


@dataclass
class Dataset:
    """What the planner read: the follower graph and every consumer's columns.

    Attributes
    ----------
    graph : FollowerGraph
        Without probabilities unless the follower file had a probability column;
        numeric consumer columns are node attributes (normalised names).
    consumers : list of dict
        One dict of column -> text per node index (every column of the
        consumers file, text ones included); ``{"id": label}`` when no
        consumers file was given.
    columns : list of str
        The consumers file's columns, in file order (normalised names).
    name_column, cost_column, segment_column : str or None
        The columns recognised as name, cost and segment.
    has_file_probabilities : bool
    summary : dict
        What the page shows: counts, files, encodings, separators, the
        direction sentence, columns used, skipped rows.
    """

    graph: object
    consumers: list
    columns: list
    name_column: str = None
    cost_column: str = None
    segment_column: str = None
    has_file_probabilities: bool = False
    summary: dict = field(default_factory=dict)

    @property
    def numeric_columns(self):
        return [c for c in self.columns if c in self.graph.node_attrs]

    def label_text(self, i):
        return str(self.graph.labels[i])

    def display(self, i):
        """``"name (id)"`` of node index ``i``, or the id alone."""
        lab = self.label_text(i)
        name = self.consumers[i].get(self.name_column) if self.name_column else None
        return f"{name} ({lab})" if name and name != lab else lab

    def segment_values(self, column=None):
        column = column or self.segment_column
        if not column:
            return []
        vals = {(r.get(column) or "").strip() for r in self.consumers}
        vals.discard("")
        return sorted(vals, key=lambda v: (not _is_float(v), _float_or(v), v))


def _is_float(v):
    try:
        float(v.replace(",", "."))
    except ValueError:
        return False
    return True


def _float_or(v):
    try:
        return float(v.replace(",", "."))
    except ValueError:
        return 0.0


def _find(norm_cols, names):
    return next((c for c in norm_cols if c in names), None)


def read_upload(followers, followers_name="followers.csv", consumers=None,
                consumers_name="consumers.csv", *, swap=False):
    """Read a follower CSV and an optional consumers CSV given as bytes.

    Parameters
    ----------
    followers : bytes
        Header row plus one row per follow tie. Recognised column pairs (names
        compared without regard to case, spaces and underscores):
        ``follower``/``followed``, ``user``/``follows`` (the user follows),
        ``source``/``target`` and ``from``/``to`` (the second follows the
        first: the first's posts reach the second). Separators ``,`` ``;``
        tab ``|``; UTF-8, else Windows-1252.
    followers_name, consumers_name : str
        The uploaded files' names, used in messages.
    consumers : bytes, optional
        An ``id`` column and any others (``name``, ``cost``, ``segment``,
        ...); numeric columns become node attributes, every column is kept
        as text for the target lists.
    swap : bool
        Read each tie the other way round (when the summary's example pair
        reads wrong).

    Returns
    -------
    Dataset

    Raises
    ------
    PlannerError
        One line naming the problem and the fix.

    Examples
    --------
    >>> from viralsim.planner import read_upload
    >>> d = read_upload(b"Follower; Followed\\nbob;ann\\ncid;ann\\n")
    >>> d.summary["direction"]
    'bob follows ann: what ann shares reaches bob (line 2).'
    >>> d.graph.n_nodes, d.graph.n_edges
    (3, 2)
    """
    ftext, fenc = decode(followers, followers_name)
    fsep, frows = _rows(ftext, followers_name)
    follow = _follow_columns(frows[0], followers_name, swap)
    kept, skipped = _follow_ties(frows, follow, followers_name)
    consumers_file = None
    if consumers is not None:
        ctext, cenc = decode(consumers, consumers_name)
        csep, crows = _rows(ctext, consumers_name)
        consumers_file = _Upload(consumers_name, cenc, csep, crows)
    tmp = tempfile.mkdtemp(prefix="viralsim-planner-")  # mode 0700: this user only
    try:
        return _read_files(tmp, _Upload(followers_name, fenc, fsep, frows), follow, kept,
                           skipped, consumers_file)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class _Upload:
    """One uploaded CSV as decoded: its name, encoding, separator and rows."""

    name: str
    encoding: str
    sep: str
    rows: list


@dataclass
class _Follow:
    """The follower file's columns: the pair read (normalised), how a row reads,
    the cell indices of the followed account and the follower (swapped when
    asked), and the probability column (normalised) or None."""

    a_col: str
    b_col: str
    words: str
    ia: int
    ib: int
    pcol: str
    ip: int
    swap: bool


def _follow_columns(head, followers_name, swap):
    """The :class:`_Follow` columns of the follower file's header row."""
    header = [_norm(c) for c in head]
    pair = next(((a, b, words) for a, b, words in FOLLOW_COLUMNS
                 if a in header and b in header), None)
    if pair is None:
        raise PlannerError(
            f"{followers_name}: no pair of follow columns in its header {head}. Name them "
            f"follower and followed (or user and follows, or source and target).")
    a_col, b_col, words = pair
    ia, ib = header.index(a_col), header.index(b_col)
    if swap:
        ia, ib = ib, ia
    pcol = _find(header, PROBABILITY_NAMES)
    ip = header.index(pcol) if pcol else None
    return _Follow(a_col, b_col, words, ia, ib, pcol, ip, swap)


def _follow_tie(cells, follow, seen, line):
    """``(a, b, prob)`` of one follower-file row, or the reason it is skipped."""
    if not any(cells):
        return "empty row"
    a = cells[follow.ia] if follow.ia < len(cells) else ""
    b = cells[follow.ib] if follow.ib < len(cells) else ""
    if not a or not b:
        return f"no {'follower' if not b else 'account followed'} given"
    if a == b:
        return f"{a} follows themselves"
    if (a, b) in seen:
        return f"the same tie as line {seen[(a, b)]}"
    seen[(a, b)] = line
    ip = follow.ip
    return a, b, (cells[ip] if ip is not None and ip < len(cells) else "")


def _follow_ties(frows, follow, followers_name):
    """``(kept, skipped)``: kept ties ``(line, a, b, prob)``; skipped rows
    ``(file, line, why)`` (empty, an id missing, a self-tie, a repeated tie)."""
    skipped, kept, seen = [], [], {}
    for line, row in enumerate(frows[1:], start=2):
        tie = _follow_tie([c.strip() for c in row], follow, seen, line)
        if isinstance(tie, str):
            skipped.append((followers_name, line, tie))
        else:
            kept.append((line,) + tie)
    if not kept:
        raise PlannerError(f"{followers_name} has no follow ties (rows) after its header: add "
                           f"one row per tie.")
    return kept, skipped


def _write_followers(tmp, kept, pcol, fsep, lines):
    """The kept ties as ``tmp/followers.csv`` (columns source, target[, probability])
    for :func:`viralsim.io.read_follower_csv`; ``lines`` maps its lines to the upload's."""
    fpath = os.path.join(tmp, "followers.csv")
    with open(fpath, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=fsep)
        w.writerow(["source", "target"] + (["probability"] if pcol else []))
        for n, (line, a, b, p) in enumerate(kept, start=2):
            w.writerow([a, b] + ([p] if pcol else []))
            lines[(fpath, n)] = line
    return fpath


def _consumer_columns(head, cname):
    """The consumers file's normalised columns (the id column named ``id``) and
    the id column's name as written."""
    cheader = [_norm(c) for c in head]
    dup = sorted({c for c in cheader if cheader.count(c) > 1 and c})
    if dup:
        raise PlannerError(f"{cname}: the column {dup[0]!r} appears twice (names are compared "
                           f"without case and spaces). Rename one of them.")
    idc = _find(cheader, ID_NAMES)
    if idc is None:
        raise PlannerError(f"{cname}: no id column in its header {head}. Name the column "
                           f"holding the ids used in the follower file 'id'.")
    return ["id" if c == idc else c for c in cheader], head[cheader.index(idc)]


def _write_consumers(tmp, upload, ccols, skipped, lines):
    """The consumers upload as ``tmp/consumers.csv`` (empty rows skipped, short
    rows padded); ``lines`` maps its lines to the upload's."""
    cname, csep, width = upload.name, upload.sep, len(ccols)
    cpath = os.path.join(tmp, "consumers.csv")
    with open(cpath, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=csep)
        w.writerow(ccols)
        n = 1
        for line, row in enumerate(upload.rows[1:], start=2):
            cells = [c.strip() for c in row]
            if not any(cells):
                skipped.append((cname, line, "empty row"))
                continue
            if len(cells) > width and any(cells[width:]):
                raise PlannerError(
                    f"{cname}:{line}: {len(cells)} values for {width} columns. "
                    f"Quote values that hold the separator {SEP_WORDS[csep]!r}, or remove "
                    f"the extra ones.")
            n += 1
            w.writerow((cells + [""] * width)[:width])
            lines[(cpath, n)] = line
    return cpath


def _read_written(fpath, cpath, pcol, names, lines):
    """The written files through the library's reader; its errors name the
    uploads and their lines instead of the temporary files."""
    reader = follower_csv_reader()
    try:
        return reader(fpath, source="source", target="target",
                      probability="probability" if pcol else False,
                      consumers=cpath, id_column="id")
    except (ViralsimError, ValueError, KeyError) as exc:
        msg = str(exc.args[0]) if exc.args else str(exc)
        for path in (p for p in (fpath, cpath) if p):
            msg = re.sub(rf"{re.escape(path)}:(\d+)",
                         lambda m, path=path: f"{names[path]}:"
                         f"{lines.get((path, int(m.group(1))), m.group(1))}", msg)
            msg = msg.replace(repr(path), repr(names[path])).replace(path, names[path])
        raise PlannerError(msg) from None


def _consumer_texts(g, crows, ccols):
    """One dict of column -> text per node (``{"id": label}`` without a row)."""
    consumers = [{"id": str(lab)} for lab in g.labels]
    if crows is None:
        return consumers
    pos = {str(lab): i for i, lab in enumerate(g.labels)}
    idx = ccols.index("id")
    for row in crows[1:]:
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        cells = (cells + [""] * len(ccols))[:len(ccols)]
        i = pos.get(cells[idx])
        if i is not None:
            consumers[i] = dict(zip(ccols, cells))
    return consumers


def _follower_summary(g, upload, follow, kept, skipped):
    """What the page shows of the follower file: counts, the direction sentence
    with the first tie as its example, encoding, separator, columns used."""
    first = kept[0]
    a, b = first[1], first[2]  # already read the chosen way round
    direction = follow.words.format(a=a, b=b) + f": what {a} shares reaches {b} (line {first[0]})."
    a_col, b_col = follow.a_col, follow.b_col
    used = {"followed account": a_col if not follow.swap else b_col,
            "follower": b_col if not follow.swap else a_col}
    if follow.pcol:
        used["probability"] = follow.pcol
    return {
        "consumers": int(g.n_nodes),
        "ties": int(g.n_edges),
        "direction": direction,
        "follower_file": {"name": upload.name, "encoding": upload.encoding,
                          "separator": SEP_WORDS[upload.sep], "columns used": used},
        "skipped": skipped,
    }


def _consumers_summary(g, upload, ccols, id_name, roles, skipped):
    """What the page shows of the consumers file: encoding, separator, the
    columns used for id/name/cost/segment, numeric and text columns, rows read."""
    numeric = [c for c in ccols if c in g.node_attrs]
    name_col, cost_col, seg_col = roles
    return {
        "name": upload.name, "encoding": upload.encoding, "separator": SEP_WORDS[upload.sep],
        "columns used": {"id": id_name, "name": name_col, "cost": cost_col,
                         "segment": seg_col},
        "numeric columns": numeric,
        "text columns": [c for c in ccols if c not in numeric and c != "id"],
        "rows": len(upload.rows) - 1 - sum(1 for s in skipped if s[0] == upload.name),
    }


def _read_files(tmp, fup, follow, kept, skipped, cup):
    """The cleaned uploads written to ``tmp``, read by the library, as a :class:`Dataset`."""
    lines = {}  # (file written, its line) -> line in the upload
    fpath = _write_followers(tmp, kept, follow.pcol, fup.sep, lines)
    cpath, ccols, id_name = None, [], None
    if cup is not None:
        ccols, id_name = _consumer_columns(cup.rows[0], cup.name)
        cpath = _write_consumers(tmp, cup, ccols, skipped, lines)
    g = _read_written(fpath, cpath, follow.pcol, {fpath: fup.name, cpath: cup and cup.name},
                      lines)
    crows = cup.rows if cup is not None else None
    consumers = _consumer_texts(g, crows, ccols)
    summary = _follower_summary(g, fup, follow, kept, skipped)
    name_col, cost_col, seg_col = (_find(ccols, names) for names in
                                   (NAME_NAMES, COST_NAMES, SEGMENT_NAMES))
    if cost_col and cost_col not in g.node_attrs:
        cost_col = None  # not numeric: the page offers the cost rule
    if cup is not None:
        summary["consumers_file"] = _consumers_summary(g, cup, ccols, id_name,
                                                       (name_col, cost_col, seg_col), skipped)
    return Dataset(g, consumers, ccols or ["id"], name_col, cost_col, seg_col,
                   has_file_probabilities=bool(follow.pcol), summary=summary)


# ---------------------------------------------------------------------- a fitted graph
def read_fitted(path=None, upload=None, upload_name="fitted_edges.csv", consumers=None,
                consumers_name="consumers.csv"):
    """A fitted graph from ``viralsim experiment=learn`` (probabilities learned from an
    action log), with an optional consumers CSV, as a :class:`Dataset`.

    Parameters
    ----------
    path : str, optional
        A learn run's directory (``outputs/<date>/<time>``), or its ``fit.npz``,
        ``fitted_edges.csv`` or ``fitted_graph.txt``, on this machine.
    upload, upload_name : bytes and str, optional
        One of those files as uploaded instead (read in a private temporary
        folder, then removed).
    consumers, consumers_name : bytes and str, optional
        As for :func:`read_upload`.

    Returns
    -------
    Dataset
        With ``has_file_probabilities`` (the learned ones) and
        ``summary["fitted"]``: the file read, the log it was learned from and
        the method, when known.

    Raises
    ------
    PlannerError
        No path or upload, a path without a fit, a file that is not one.

    Examples
    --------
    >>> import os, tempfile
    >>> from viralsim.planner import read_fitted
    >>> run = tempfile.mkdtemp()  # what experiment=learn wrote, in short
    >>> with open(os.path.join(run, "fitted_edges.csv"), "w") as fh:
    ...     _ = fh.write("source,target,probability\\nann,bob,0.25\\nann,cid,0.5\\n")
    >>> d = read_fitted(run)
    >>> d.graph.n_edges, d.has_file_probabilities, d.summary["fitted"]["file"]
    (2, True, 'fitted_edges.csv')
    """
    from ._adapter import load_fitted_graph

    tmp = None
    if upload is not None:
        tmp = tempfile.mkdtemp(prefix="viralsim-planner-")  # mode 0700: this user only
        path = os.path.join(tmp, os.path.basename(str(upload_name)) or "fitted_edges.csv")
        with open(path, "wb") as fh:
            fh.write(upload)
    elif not path or not str(path).strip():
        raise PlannerError("Give the folder of a viralsim experiment=learn run (or its "
                           "fitted_edges.csv), or upload that file.")
    try:
        g, info = load_fitted_graph(path)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["source", "target", "probability"])
    src, dst, probs = g.edges()
    for a, b, q in zip(src.tolist(), dst.tolist(), probs.tolist()):
        w.writerow([a, b, repr(float(q))])
    d = read_upload(out.getvalue().encode(), info["file"], consumers, consumers_name)
    d.summary["fitted"] = info
    return d


def fitted_words(info):
    """How the page says where learned probabilities come from."""
    text = "learned from data by viralsim experiment=learn"
    if info.get("log"):
        text += f" (from the action log {os.path.basename(str(info['log']))!r}"
        text += f", method {info['method']})" if info.get("method") else ")"
    elif info.get("method"):
        text += f" (method {info['method']})"
    return text


# ---------------------------------------------------------------------- the example
_FIRST = ["Ana", "Ben", "Chloé", "Dev", "Eva", "Finn", "Greta", "Hugo", "Ines", "Jonas",
          "Kira", "Luca", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sami", "Tara", "Ugo"]
_LAST = ["Müller", "Schmidt", "García", "Rossi", "Dubois", "Novak", "Jansen", "Silva",
         "Kowalski", "Nielsen", "Moreau", "Costa", "Weber", "Lund", "Horvat", "Berg"]
_SEGMENTS = ["students", "parents", "retirees"]


def example_files(n_consumers=300, rng=0):
    """``(followers_csv, consumers_csv)`` bytes of the built-in example: a
    :func:`viralsim.generators.scale_free` follower graph with segments from
    :func:`viralsim.generators.assign_segments`, names, and a price per
    consumer of 5 plus 0.5 per follower."""
    from .. import generators

    g = generators.scale_free(n_consumers, rng=rng)
    g = generators.assign_segments(g, len(_SEGMENTS), 0.8, rng=rng)
    src, dst = g.edges()[:2]
    ids = [f"c{i:04d}" for i in range(g.n_nodes)]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["follower", "followed"])
    for s, d in zip(src.tolist(), dst.tolist()):
        w.writerow([ids[d], ids[s]])
    followers = out.getvalue().encode()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "name", "cost", "segment", "city"])
    fol = g.out_degree()
    seg = g.node_attrs["segment"]
    for i in range(g.n_nodes):
        name = f"{_FIRST[i % len(_FIRST)]} {_LAST[(i * 7 + i // 20) % len(_LAST)]}"
        w.writerow([ids[i], name, f"{5 + 0.5 * fol[i]:.2f}", _SEGMENTS[int(seg[i])],
                    ["Lyon", "Graz", "Porto", "Gent"][i % 4]])
    return followers, out.getvalue().encode()


def example_dataset(n_consumers=300, rng=0):
    """The built-in example as a :class:`Dataset` (read through :func:`read_upload`)."""
    f, c = example_files(n_consumers, rng)
    d = read_upload(f, "example followers.csv", c, "example consumers.csv")
    d.summary["example"] = True
    return d


# ---------------------------------------------------------------------- settings and plans
@dataclass
class Plan:
    """A candidate plan.

    ``kind``: ``"own"`` (``accounts``: ids or names, the marketer's own list),
    ``"most_followed"`` (most followers per unit of cost, within each budget) or
    ``"optimised"`` (``strategy`` ``"imm"``, ``"celf"`` or ``"degree_discount"``,
    within each budget).
    """

    name: str
    kind: str
    accounts: list = field(default_factory=list)
    strategy: str = "imm"


@dataclass
class Settings:
    """What the marketer sets on the page.

    goal : "adopters" (people who buy) or "exposure" (people who see it)
    segment_column, segment : rank by adopters in that segment (``segment``
        is a value of the column, compared as text)
    budgets : list of float > 0
    cost_column : a numeric consumers column, or None for the rule
        ``cost_base + cost_per_follower * followers ** cost_exponent``
    probability : "weighted_cascade", "uniform" (with ``p``), "trivalency" or "file"
    n_sims : simulated worlds per plan; rng_seed : defines the plans and the worlds
    """

    goal: str = "adopters"
    segment_column: str = None
    segment: str = None
    budgets: list = field(default_factory=lambda: [50.0, 100.0])
    cost_column: str = None
    cost_base: float = 5.0
    cost_per_follower: float = 0.5
    cost_exponent: float = 1.0
    probability: str = "weighted_cascade"
    p: float = 0.05
    n_sims: int = 1000
    rng_seed: int = 0
    confidence: float = 0.95
    max_rounds: int = None


def parse_budgets(text):
    """``"50, 100; 200"`` -> ``[50.0, 100.0, 200.0]`` (sorted, distinct, each > 0)."""
    parts = [p for p in re.split(r"[\s;,]+", str(text).strip()) if p]
    if not parts:
        raise PlannerError("Give at least one budget, e.g. 50, 100, 200.")
    out = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            raise PlannerError(f"Budget {p!r} is not a number: write budgets as numbers "
                               f"separated by commas, e.g. 50, 100, 200.") from None
        if not (math.isfinite(v) and v > 0):
            raise PlannerError(f"Budget {p} must be a number above 0.")
        out.append(v)
    return sorted(set(out))


def _names_index(dataset):
    """Lower-case consumer name -> node labels with that name."""
    by_name = {}
    if dataset.name_column:
        for i, r in enumerate(dataset.consumers):
            nm = (r.get(dataset.name_column) or "").strip().lower()
            if nm:
                by_name.setdefault(nm, []).append(dataset.graph.labels[i])
    return by_name


def _account_label(a, by_id, by_name, plan_name):
    """The node label an account id or name means, or None when it is neither."""
    if a in by_id:
        return by_id[a]
    labs = by_name.get(a.lower())
    if labs is None:
        return None
    if len(labs) > 1:
        raise PlannerError(f"Plan {plan_name!r}: the name {a!r} belongs to {len(labs)} "
                           f"consumers ({', '.join(str(x) for x in labs[:5])}). Use "
                           f"their ids instead.")
    return labs[0]


def _unknown_accounts(dataset, by_id, unknown, plan_name):
    """The error for accounts that are neither an id nor a name, with a close match."""
    hint = difflib.get_close_matches(unknown[0], list(by_id) + [
        dataset.consumers[i].get(dataset.name_column, "") for i in range(len(dataset.consumers))
    ] if dataset.name_column else list(by_id), n=1)
    more = f" and {len(unknown) - 1} more" if len(unknown) > 1 else ""
    return PlannerError(f"Plan {plan_name!r}: {unknown[0]!r}{more} is not an id or name in "
                        f"the data" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                        + ". Fix the list.")


def match_accounts(dataset, accounts, plan_name="your list"):
    """Node labels of a marketer's list of ids or names (names compared without case)."""
    by_id = {str(lab): lab for lab in dataset.graph.labels}
    by_name = _names_index(dataset)
    out, unknown = [], []
    for a in (str(a).strip() for a in accounts):
        if not a:
            continue
        lab = _account_label(a, by_id, by_name, plan_name)
        if lab is None:
            unknown.append(a)
        elif lab not in out:
            out.append(lab)
    if unknown:
        raise _unknown_accounts(dataset, by_id, unknown, plan_name)
    if not out:
        raise PlannerError(f"Plan {plan_name!r} lists no accounts: give ids or names, one per "
                           f"line or separated by commas.")
    return out


def _with_scheme(g, settings):
    """``g`` with the edge probabilities of the settings' scheme."""
    scheme = settings.probability
    if scheme == "file":
        if not g.has_probabilities:
            raise PlannerError("The follower file has no probability column: choose another "
                               "probability scheme (weighted cascade is the usual one).")
        return g
    if scheme == "uniform":
        p = float(settings.p)
        if not (0.0 <= p <= 1.0):
            raise PlannerError(f"The probability per tie must be in [0, 1]. Got {p:g}.")
        return g.with_probabilities(p)
    if scheme in ("weighted_cascade", "trivalency"):
        return g.with_probabilities(scheme, rng=np.random.default_rng([settings.rng_seed, 1]))
    raise PlannerError(f"Unknown probability scheme {scheme!r}: choose one of "
                       f"{', '.join(PROBABILITY_SCHEMES)}.")


def _with_segment(dataset, g, settings):
    """``(g, model)``: the target segment marked as a node attribute the model counts."""
    import viralsim as vs

    if settings.segment is None or not settings.segment_column:
        return g, vs.IC()
    col = settings.segment_column
    mark = np.array([(r.get(col) or "").strip() == str(settings.segment).strip()
                     for r in dataset.consumers])
    if not mark.any():
        raise PlannerError(f"No consumer has {col} = {settings.segment!r}: pick one of "
                           f"{', '.join(dataset.segment_values(col)[:10])}.")
    return g.with_node_attr("_target_segment", mark), vs.IC(segment_attr="_target_segment")


def _costs(dataset, g, settings):
    """Every consumer's cost to target (a numeric column or the cost rule), all > 0."""
    from ..experiments import seed_costs

    if settings.cost_column:
        if settings.cost_column not in g.node_attrs:
            raise PlannerError(f"The cost column {settings.cost_column!r} is not a numeric "
                               f"consumers column (numeric: {dataset.numeric_columns}). Pick "
                               f"another or use the cost rule.")
        ccfg = {"attr": settings.cost_column}
    else:
        ccfg = {"base": settings.cost_base, "per_follower": settings.cost_per_follower,
                "exponent": settings.cost_exponent}
    try:
        costs = seed_costs(g, ccfg)
    except (ValueError, KeyError) as exc:
        raise PlannerError(str(exc.args[0] if exc.args else exc)) from None
    if not (costs > 0).all():
        who = dataset.display(int(np.flatnonzero(costs <= 0)[0]))
        raise PlannerError(f"Every consumer must cost more than 0 to target; {who} costs "
                           f"{costs[costs <= 0][0]:g}. Fix the cost column or the cost rule.")
    return costs


def prepared_graph(dataset, settings):
    """The graph with probabilities and the target-segment mark, its model and costs."""
    g = _with_scheme(dataset.graph, settings)
    g, model = _with_segment(dataset, g, settings)
    return g, model, _costs(dataset, g, settings)


# ---------------------------------------------------------------------- running
_WARM = {"thread": None, "done": threading.Event(), "seconds": None}
_WARM_LOCK = threading.Lock()


def warm_up(block=False):
    """Compile (or load from Numba's cache) the kernels the planner uses, once per
    process, in a background thread; ``block`` waits for it. Returns True when
    they are ready."""
    with _WARM_LOCK:
        if _WARM["thread"] is None:
            _WARM["thread"] = threading.Thread(target=_compile, name="viralsim-warm-up",
                                               daemon=True)
            _WARM["thread"].start()
    if block:
        _WARM["done"].wait()
    return _WARM["done"].is_set()


def _compile():
    import viralsim as vs

    t0 = time.perf_counter()
    try:
        g = vs.FollowerGraph.from_edges([0, 0, 1, 2], [1, 2, 2, 3], probs=0.5)
        gs = g.with_node_attr("_seg", np.array([True, False, True, False]))
        c = np.ones(4)
        vs.estimate_reach(g, [0], n_sims=4, rng=0, return_sizes=True)
        vs.estimate_reach(gs, [0], model=vs.IC(segment_attr="_seg"), n_sims=4, rng=0)
        for s in ("imm", "celf", "degree_discount", "degree"):
            vs.select_seeds(g, budget=2.0, costs=c, strategy=s, rng=0)
    finally:
        _WARM["seconds"] = time.perf_counter() - t0
        _WARM["done"].set()


def is_warm():
    return _WARM["done"].is_set()


@dataclass
class Results:
    """The answer of :func:`run_plans`.

    rows : one dict per plan x budget, ranked within each budget (``rank``;
        plans over the budget have ``rank`` None and ``status`` saying so)
    selections : (plan, budget) -> seed labels in pick order
    estimates : tuple of seed labels -> ReachEstimate
    """

    settings: Settings
    plans: list
    rows: list
    selections: dict
    estimates: dict
    costs: np.ndarray
    followers: np.ndarray
    dataset: Dataset = field(repr=False)
    elapsed: float = 0.0
    compile_s: float = None

    @property
    def budgets(self):
        return sorted({r["budget"] for r in self.rows})

    def ranked(self, budget):
        rs = [r for r in self.rows if r["budget"] == budget]
        return sorted(rs, key=lambda r: (r["rank"] is None, r["rank"] or 0))

    def best(self, budget=None):
        budget = self.budgets[-1] if budget is None else budget
        rs = [r for r in self.ranked(budget) if r["rank"] is not None]
        return rs[0] if rs else None


def _goal_key(settings):
    if settings.goal == "exposure":
        return "exposure"
    return "segment_adopters" if settings.segment is not None else "adopters"


def run_plans(dataset, settings, plans, *, progress=None, cancel=None):
    """Select the seeds of every plan for every budget and estimate their reach.

    Every plan is evaluated in the same simulated worlds (``rng_seed``), so
    differences between plans are not noise between runs. Seeds come from
    :func:`viralsim.experiments.resolve_plan` with ``rng=rng_seed`` (so
    ``vs.select_seeds(graph, budget=b, costs=costs, strategy=s, rng=rng_seed)``
    gives the same list), estimates from :func:`viralsim.estimate_reach` with
    ``rng=rng_seed``.

    Parameters
    ----------
    dataset : Dataset
    settings : Settings
    plans : list of Plan
    progress : callable(fraction, text), optional
    cancel : threading.Event, optional
        Set -> :class:`Cancelled`, within about a second: checked between
        steps and inside each estimate and selection, between pieces of
        worlds, RR sets or candidates (:mod:`viralsim._progress`), which
        change no number.

    Returns
    -------
    Results
    """
    t_start = time.perf_counter()
    budgets, n_sims = _checked_run(settings, plans)
    g, model, costs = prepared_graph(dataset, settings)
    fixed = {p.name: match_accounts(dataset, p.accounts, p.name) for p in plans if p.kind == "own"}
    tick = _Ticker(len(budgets) * len(plans) * 2, progress, cancel)
    compile_s = _wait_for_kernels(tick)
    run = _Run(g, model, costs, settings, n_sims, {}, {})
    rows = []
    with _progress.listening(cancel=cancel, report=tick.detail, every=0.5, after=0.5):
        for b in budgets:
            for p in plans:
                tick(f"Budget {b:,.2f}: choosing whom '{p.name}' targets")
                seeds = fixed[p.name] if p.kind == "own" else _optimised_seeds(run, p, b)
                tick.done += 1
                rows.append(_plan_row(run, p, b, seeds, tick))
                tick.done += 1
            _rank(run, [r for r in rows if r["budget"] == b and r["status"] == "ok"], b)
    tick("Done")
    return Results(settings, list(plans), rows, run.selections, run.estimates, costs,
                   g.out_degree(), dataset, time.perf_counter() - t_start, compile_s)


def _checked_run(settings, plans):
    """``(budgets, n_sims)`` of a run, or the error naming what to fix."""
    if not plans:
        raise PlannerError("Add at least one candidate plan.")
    names = [p.name for p in plans]
    if len(set(names)) != len(names):
        raise PlannerError("Two plans have the same name: give each plan its own name.")
    budgets = sorted(set(float(b) for b in settings.budgets))
    if not budgets:
        raise PlannerError("Give at least one budget, e.g. 50, 100, 200.")
    n_sims = int(settings.n_sims)
    if n_sims < 2:
        raise PlannerError("Simulate at least 2 worlds (1,000 is a good start).")
    return budgets, n_sims


class _Ticker:
    """Progress reports (``done`` of ``steps``) and the cancel check between steps."""

    def __init__(self, steps, progress, cancel):
        self.steps, self.progress, self.cancel, self.done = steps, progress, cancel, 0
        self.text = ""

    def __call__(self, text):
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled()
        self.text = text
        if self.progress is not None:
            self.progress(min(self.done / self.steps, 1.0), text)

    def detail(self, text):
        """Progress inside a step (from :mod:`viralsim._progress`): the step's text and it."""
        if self.progress is not None:
            self.progress(min(self.done / self.steps, 1.0), f"{self.text} ({text})")


_COMPILING = ("Compiling the simulation kernels (first run on this machine only; about a "
              "minute)...")


def _wait_for_kernels(tick):
    """Seconds spent waiting for the kernels to compile (ticking meanwhile), or None."""
    if is_warm():
        return None
    tick(_COMPILING)
    t0 = time.perf_counter()
    warm_up()
    while not _WARM["done"].wait(0.2):
        tick(_COMPILING)
    return time.perf_counter() - t0


@dataclass
class _Run:
    """What every plan x budget of one run shares; ``selections`` and
    ``estimates`` fill as it goes (one estimate per distinct seed list)."""

    g: object
    model: object
    costs: np.ndarray
    settings: Settings
    n_sims: int
    selections: dict
    estimates: dict


def _optimised_seeds(run, plan, b):
    """The seeds a strategy picks within budget ``b`` ([] when no one is that cheap)."""
    from ..experiments import resolve_plan
    from ..strategies._base import within_budget

    strategy = "degree" if plan.kind == "most_followed" else plan.strategy
    if not within_budget(float(run.costs.min()), b):
        return []
    try:
        return resolve_plan(run.g, {"name": plan.name, "strategy": strategy}, model=run.model,
                            rng=int(run.settings.rng_seed), budget=b, costs=run.costs,
                            func="planner", params=goal_params(run.settings, strategy))
    except (ValueError, TypeError) as exc:
        raise PlannerError(str(exc.args[0] if exc.args else exc)) from None


def _plan_row(run, plan, b, seeds, tick):
    """The results row of one plan at budget ``b``, estimated unless over budget."""
    from ..strategies._base import within_budget

    idx = run.g.index_of(seeds) if seeds else np.zeros(0, dtype=np.int64)
    cost = float(run.costs[idx].sum())
    run.selections[(plan.name, b)] = list(seeds)
    row = {"budget": b, "plan": plan.name, "kind": plan.kind, "targets": len(seeds),
           "cost": cost, "rank": None, "status": "ok"}
    if not seeds:
        row["status"] = f"no consumer costs {b:,.2f} or less"
    elif not within_budget(cost, b):
        row["status"] = f"over budget: costs {cost:,.2f}"
    else:
        _estimate_row(run, row, seeds, tick)
    return row


def _estimate_row(run, row, seeds, tick):
    """Fill ``row`` with the reach of ``seeds`` (simulated once per seed list)."""
    import viralsim as vs

    s = run.settings
    key = tuple(seeds)
    if key not in run.estimates:
        tick(f"Budget {row['budget']:,.2f}: simulating '{row['plan']}' in {run.n_sims:,} worlds")
        run.estimates[key] = vs.estimate_reach(
            run.g, seeds, model=run.model, n_sims=run.n_sims, rng=int(s.rng_seed),
            confidence=s.confidence, max_rounds=s.max_rounds, return_sizes=True)
    est = run.estimates[key]
    row.update(adopters=est.mean, adopters_low=est.ci_low,
               adopters_high=est.ci_high, exposure=est.exposure.mean,
               exposure_low=est.exposure.ci_low, exposure_high=est.exposure.ci_high)
    if s.segment is not None:
        sr = est.metrics["segment_reach"]
        row.update(segment_adopters=sr.mean, segment_adopters_low=sr.ci_low,
                   segment_adopters_high=sr.ci_high)
    goal = row[_goal_key(s)]
    adopters = row.get("segment_adopters", est.mean)
    row["cost_per_adopter"] = row["cost"] / adopters if adopters > 0 else None
    row["goal"] = goal


def _rank(run, ok, b):
    """Rank the rows within budget ``b`` by the goal, each against the best in the same worlds."""
    from ..experiments import paired

    ok = sorted(ok, key=lambda r: -r["goal"])
    for rank, r in enumerate(ok, 1):
        r["rank"] = rank
        sizes = run.estimates[tuple(run.selections[(r["plan"], b)])].sizes
        if rank == 1:
            best_sizes = sizes
        m, _, lo, hi = paired(sizes, best_sizes, run.settings.confidence)
        r.update(adopters_vs_best=m, adopters_vs_best_low=lo, adopters_vs_best_high=hi)


# ---------------------------------------------------------------------- the answer as files
def targets_rows(results):
    """Every plan x budget's targets in pick order, with every consumers column,
    followers and cost (plans over budget included, marked)."""
    d = results.dataset
    g = d.graph
    extra = [c for c in d.columns if c != "id"]
    out = []
    for r in results.rows:
        seeds = results.selections[(r["plan"], r["budget"])]
        idx = g.index_of(seeds) if seeds else []
        for order, (lab, i) in enumerate(zip(seeds, np.atleast_1d(idx).tolist()), 1):
            row = {"budget": r["budget"], "plan": r["plan"], "rank": r["rank"],
                   "within_budget": r["status"] == "ok", "order": order, "id": str(lab)}
            row.update({c: d.consumers[i].get(c, "") for c in extra})
            row["followers"] = int(results.followers[i])
            row["target_cost"] = float(results.costs[i])
            out.append(row)
    return out


def _csv_bytes(rows, columns=None):
    out = io.StringIO()
    if not rows:
        return b""
    cols = columns or list(dict.fromkeys(c for r in rows for c in r))
    w = csv.DictWriter(out, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({c: _cell(r.get(c)) for c in cols})
    return out.getvalue().encode("utf-8")


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}" if abs(v) < 1e6 else f"{v:.0f}"
    return v


def targets_csv(results):
    """``targets.csv`` as UTF-8 bytes (see :func:`targets_rows`)."""
    return _csv_bytes(targets_rows(results))


PLAN_COLUMNS = ["budget", "rank", "plan", "kind", "targets", "cost", "adopters", "adopters_low",
                "adopters_high", "segment_adopters", "segment_adopters_low",
                "segment_adopters_high", "exposure", "exposure_low", "exposure_high",
                "cost_per_adopter", "adopters_vs_best", "adopters_vs_best_low",
                "adopters_vs_best_high", "status"]


def plans_csv(results):
    rows = [r for b in results.budgets for r in results.ranked(b)]
    cols = [c for c in PLAN_COLUMNS if any(c in r for r in rows)]
    return _csv_bytes(rows, cols)


def rounds_rows(results):
    """Adopters so far after each round, per plan at the largest budget."""
    b = results.budgets[-1]
    out = []
    for r in results.ranked(b):
        if r["status"] != "ok":
            continue
        est = results.estimates[tuple(results.selections[(r["plan"], b)])]
        t = np.asarray(est.timeline, dtype=float)
        last = int(np.flatnonzero(t > 0)[-1]) if (t > 0).any() else 0
        cum = np.cumsum(t[:last + 1])
        for rnd, (new, total) in enumerate(zip(t[:last + 1], cum)):
            out.append({"budget": b, "plan": r["plan"], "round": rnd, "new_adopters": new,
                        "adopters_so_far": total})
    return out


def between(lo, hi):
    """A confidence interval in words, rounded to whole people."""
    a, b = round(lo), round(hi)  # ints: no "-0"
    return f"between {a:,} and {b:,}" if a != b else f"about {a:,}"


def assumptions(results):
    s = results.settings
    scheme = PROBABILITY_SCHEMES[s.probability].format(p=s.p)
    fitted = results.dataset.summary.get("fitted")
    if s.probability == "file" and fitted:
        scheme = ("each follow tie persuades with the probability "
                  + fitted_words(fitted))
        if fitted.get("outside_rate"):
            scheme += (" (adoptions the fit put down to influence from outside the follow "
                       "ties are not simulated here)")
    cost = (f"costs from the consumers file's {s.cost_column!r} column" if s.cost_column else
            f"each target costs {s.cost_base:g} + {s.cost_per_follower:g} x followers"
            + (f"^{s.cost_exponent:g}" if s.cost_exponent != 1 else ""))
    horizon = (f"within {s.max_rounds} rounds of sharing" if s.max_rounds else
               "until sharing stops")
    text = (f"It assumes that word of mouth spreads along the follow ties only, as an "
            f"independent cascade: each new adopter gets one chance to persuade each follower, "
            f"and {scheme}; people who see a recommendation but do not adopt count as exposed; "
            f"counts are {horizon}. {cost[0].upper() + cost[1:]}. The numbers are averages over "
            f"{s.n_sims:,} simulated worlds (random seed {s.rng_seed}), and the ranges are "
            f"{100 * s.confidence:g}% confidence intervals of those averages, not of one "
            f"campaign's outcome, which varies more. All plans are compared in the same worlds.")
    opt = [p for p in results.plans if p.kind == "optimised"]
    if opt:
        text += f" Optimised plans maximise {goal_words(s)}"
        if any(p.strategy == "degree_discount" for p in opt):
            text += " (degree discount is a heuristic for adopters overall)"
        text += "."
    return text


def goal_words(settings):
    """What the optimised plans maximise, in words."""
    if settings.goal == "exposure":
        return "the expected number of people who see it"
    if settings.segment is not None:
        return f"the expected number of adopters in segment {settings.segment!r}"
    return "the expected number of adopters"


def goal_params(settings, strategy):
    """The strategy parameters that optimise the run's goal (see
    :func:`viralsim.experiments._plans.goal_params`): exposure, or adopters
    in the target segment (RR sets rooted in it)."""
    from ..experiments._plans import goal_params as _goal_params

    if settings.goal == "exposure":
        return _goal_params(strategy, "exposure")
    if settings.segment is not None:
        return _goal_params(strategy, weight_attr="_target_segment")
    return {}


def _segment_words(settings):
    """`` in segment 'x'`` when the run ranks by a segment, else ``""``."""
    return f" in segment {settings.segment!r}" if settings.segment is not None else ""


def _best_sentences(best, b, s):
    """What to do at budget ``b`` and what it buys (adopters, segment, exposure, price)."""
    n = best["targets"]
    seg = _segment_words(s)
    text = (f"With a budget of {b:,.2f}, target the {n} {'person' if n == 1 else 'people'} of "
            f"plan '{best['plan']}' (cost {best['cost']:,.2f}; the list is in targets.csv). "
            f"Expect about {best['adopters']:,.0f} people to buy "
            f"({between(best['adopters_low'], best['adopters_high'])})")
    if s.segment is not None:
        text += (f", {best['segment_adopters']:,.0f} of them{seg} "
                 f"({between(best['segment_adopters_low'], best['segment_adopters_high'])})")
    text += (f", and about {best['exposure']:,.0f} to see it "
             f"({between(best['exposure_low'], best['exposure_high'])}).")
    if best.get("cost_per_adopter"):
        text += f" That is {best['cost_per_adopter']:,.2f} per adopter{seg}."
    return text


def _runner_up_sentence(results, b):
    """How many fewer adopters the second plan brings at budget ``b`` ("" without one)."""
    s = results.settings
    others = [r for r in results.ranked(b) if r["rank"] and r["rank"] > 1]
    if not others:
        return ""
    o = others[0]
    d, lo, hi = -o["adopters_vs_best"], -o["adopters_vs_best_high"], -o["adopters_vs_best_low"]
    goal = "people who see it" if s.goal == "exposure" else f"adopters{_segment_words(s)}"
    return (f" Ranked by {goal}, the next plan, '{o['plan']}', brings {d:,.1f} fewer "
            f"adopters overall ({between(lo, hi)} fewer, measured in the same worlds).")


def _budget_gain_sentence(results):
    """What raising the budget to the largest one adds ("" with one budget that fits)."""
    s = results.settings
    bests = [(x, results.best(x)) for x in results.budgets]
    bests = [(x, r) for x, r in bests if r is not None]
    if len(bests) < 2:
        return ""
    (b0, r0), (b1, r1) = bests[-2], bests[-1]
    key = _goal_key(s)
    gain = r1[key] - r0[key]
    word = "people reached" if s.goal == "exposure" else f"adopters{_segment_words(s)}"
    return (f" Raising the budget from {b0:,.2f} to {b1:,.2f} adds about {gain:,.1f} "
            f"{word} ({gain / (b1 - b0):,.3f} per unit of money).")


def answer_paragraph(results):
    """One paragraph: what to do at the largest budget, what it buys, what it assumes."""
    b = results.budgets[-1]
    best = results.best(b)
    if best is None:
        return (f"No plan fits the largest budget, {b:,.2f}: raise the budget or add a plan "
                f"with cheaper targets. " + assumptions(results))
    text = (_best_sentences(best, b, results.settings) + _runner_up_sentence(results, b)
            + _budget_gain_sentence(results))
    over = [r for r in results.ranked(b) if r["status"] != "ok"]
    if over:
        text += " Left out at this budget: " + "; ".join(
            f"'{r['plan']}' ({r['status']})" for r in over) + "."
    return text + " " + assumptions(results)


def figure_reach_vs_budget(results):
    """Reach (the goal) against budget, one line per plan, with its confidence band."""
    from .. import plots

    key = _goal_key(results.settings)
    rows = [{"plan": r["plan"], "budget": r["budget"], "mean": r[key],
             "ci_low": r[f"{key}_low"], "ci_high": r[f"{key}_high"]}
            for r in results.rows if r["status"] == "ok"]
    ylabel = {"adopters": "expected adopters", "exposure": "expected people who see it",
              "segment_adopters": f"expected adopters in {results.settings.segment}"}[key]
    ax = plots.reach_curve(rows, x="budget", group="plan", ylabel=ylabel)
    ax.set_title(f"{ylabel} by budget")
    return ax.figure


def figure_adoption(results):
    """Adopters so far after each round, per plan at the largest budget."""
    from .. import plots

    b = results.budgets[-1]
    ax = None
    for r in results.ranked(b):
        if r["status"] != "ok":
            continue
        est = results.estimates[tuple(results.selections[(r["plan"], b)])]
        t = np.asarray(est.timeline, dtype=float)
        last = int(np.flatnonzero(t > 0)[-1]) + 1 if (t > 0).any() else 1
        lo, hi = (np.asarray(x, dtype=float)[:last] for x in est.timeline_ci)
        ax = plots.adoption_timeline(t[:last], lo, hi, label=r["plan"], ax=ax, cumulative=True)
    if ax is not None:
        ax.legend(fontsize="small")
        ax.set_title(f"adoption over rounds at budget {b:,.2f}")
        return ax.figure
    return None


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def _html_table(rows, cols):
    import html

    def cell(v):
        return f"{v:,.2f}" if isinstance(v, float) else _cell(v)

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell(r.get(c))))}</td>" for c in cols)
                   + "</tr>" for r in rows)
    return (f"<div style='overflow-x:auto'><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>")


def report_zip(results):
    """One zip: ``report.html`` (answer, data read, tables, figures inline) and
    ``targets.csv``, ``plans.csv``, ``adoption_over_rounds.csv`` and the figures
    as PNG."""
    import base64
    import html

    import matplotlib.pyplot as plt

    figs = {}
    f = figure_reach_vs_budget(results)
    figs["reach_vs_budget.png"] = _png(f)
    plt.close(f)
    f = figure_adoption(results)
    if f is not None:
        figs["adoption_over_rounds.png"] = _png(f)
        plt.close(f)
    d = results.dataset
    summ = d.summary
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Campaign plan</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}"
        "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;"
        "padding:2px 6px}</style></head><body>",
        "<h1>Campaign plan</h1>",
        f"<p>{html.escape(answer_paragraph(results))}</p>",
        "<h2>Data read</h2>",
        f"<p>{summ['consumers']:,} consumers, {summ['ties']:,} follow ties. "
        f"{html.escape(summ['direction'])} {len(summ['skipped'])} row(s) skipped.</p>",
    ]
    if summ["skipped"]:
        parts.append(_html_table([{"file": a, "line": b, "why": c} for a, b, c in summ["skipped"]],
                                 ["file", "line", "why"]))
    parts.append("<h2>Plans, ranked per budget</h2>")
    cols = [c for c in PLAN_COLUMNS if any(c in r for r in results.rows)]
    parts.append(_html_table([r for b in results.budgets for r in results.ranked(b)], cols))
    for name, data in figs.items():
        parts.append(f"<h2>{name[:-4].replace('_', ' ')}</h2><img alt='{name}' "
                     f"src='data:image/png;base64,{base64.b64encode(data).decode()}'>")
    parts.append("<h2>Targets</h2>")
    trows = targets_rows(results)
    parts.append(_html_table(trows, list(dict.fromkeys(c for r in trows for c in r))))
    parts.append("</body></html>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("report.html", "".join(parts))
        z.writestr("targets.csv", targets_csv(results))
        z.writestr("plans.csv", plans_csv(results))
        z.writestr("adoption_over_rounds.csv", _csv_bytes(rounds_rows(results)))
        for name, data in figs.items():
            z.writestr(name, data)
    return buf.getvalue()
