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

from ..exceptions import ViralsimError
from ._adapter import follower_csv_reader

__all__ = [
    "Dataset",
    "Settings",
    "Plan",
    "Results",
    "Cancelled",
    "PlannerError",
    "read_upload",
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
    "imm": "IMM (optimised for adopters, with a guarantee of at least 63% of the best "
           "possible)",
    "celf": "CELF greedy (optimised for adopters by simulation)",
    "degree_discount": "degree discount (a fast heuristic)",
    "degree": "most followers per unit of cost",
}


class PlannerError(ViralsimError, ValueError):
    """A mistake in the planner's input, with the fix in its one-line message."""


class Cancelled(Exception):
    """The run was cancelled from the page."""


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
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


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
    header = [_norm(c) for c in frows[0]]
    pair = next(((a, b, words) for a, b, words in FOLLOW_COLUMNS
                 if a in header and b in header), None)
    if pair is None:
        raise PlannerError(
            f"{followers_name}: no pair of follow columns in its header {frows[0]}. Name them "
            f"follower and followed (or user and follows, or source and target).")
    a_col, b_col, words = pair
    ia, ib = header.index(a_col), header.index(b_col)
    if swap:
        ia, ib = ib, ia
    pcol = _find(header, PROBABILITY_NAMES)
    ip = header.index(pcol) if pcol else None
    skipped, kept, seen = [], [], {}
    for line, row in enumerate(frows[1:], start=2):
        cells = [c.strip() for c in row]
        if not any(cells):
            skipped.append((followers_name, line, "empty row"))
            continue
        a = cells[ia] if ia < len(cells) else ""
        b = cells[ib] if ib < len(cells) else ""
        if not a or not b:
            skipped.append((followers_name, line,
                            f"no {'follower' if not b else 'account followed'} given"))
            continue
        if a == b:
            skipped.append((followers_name, line, f"{a} follows themselves"))
            continue
        if (a, b) in seen:
            skipped.append((followers_name, line,
                            f"the same tie as line {seen[(a, b)]}"))
            continue
        seen[(a, b)] = line
        prob = cells[ip] if ip is not None and ip < len(cells) else ""
        kept.append((line, a, b, prob))
    if not kept:
        raise PlannerError(f"{followers_name} has no follow ties (rows) after its header: add "
                           f"one row per tie.")
    ctext = crows = cenc = csep = None
    if consumers is not None:
        ctext, cenc = decode(consumers, consumers_name)
        csep, crows = _rows(ctext, consumers_name)
    tmp = tempfile.mkdtemp(prefix="viralsim-planner-")  # mode 0700: this user only
    try:
        return _read_files(tmp, fsep, kept, pcol, followers_name, fenc, words, a_col, b_col,
                           swap, skipped, crows, csep, consumers_name, cenc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _read_files(tmp, fsep, kept, pcol, fname, fenc, words, a_col, b_col, swap, skipped,
                crows, csep, cname, cenc):
    fpath = os.path.join(tmp, "followers.csv")
    lines = {}  # line in the file written -> line in the upload
    with open(fpath, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=fsep)
        w.writerow(["source", "target"] + (["probability"] if pcol else []))
        for n, (line, a, b, p) in enumerate(kept, start=2):
            w.writerow([a, b] + ([p] if pcol else []))
            lines[(fpath, n)] = line
    cpath = None
    ccols, cinfo = [], {}
    if crows is not None:
        cheader = [_norm(c) for c in crows[0]]
        dup = sorted({c for c in cheader if cheader.count(c) > 1 and c})
        if dup:
            raise PlannerError(f"{cname}: the column {dup[0]!r} appears twice (names are compared "
                               f"without case and spaces). Rename one of them.")
        idc = _find(cheader, ID_NAMES)
        if idc is None:
            raise PlannerError(f"{cname}: no id column in its header {crows[0]}. Name the column "
                               f"holding the ids used in the follower file 'id'.")
        cpath = os.path.join(tmp, "consumers.csv")
        with open(cpath, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, delimiter=csep)
            w.writerow(["id" if c == idc else c for c in cheader])
            n = 1
            for line, row in enumerate(crows[1:], start=2):
                cells = [c.strip() for c in row]
                if not any(cells):
                    skipped.append((cname, line, "empty row"))
                    continue
                if len(cells) > len(cheader) and any(cells[len(cheader):]):
                    raise PlannerError(
                        f"{cname}:{line}: {len(cells)} values for {len(cheader)} columns. "
                        f"Quote values that hold the separator {SEP_WORDS[csep]!r}, or remove "
                        f"the extra ones.")
                n += 1
                w.writerow((cells + [""] * len(cheader))[:len(cheader)])
                lines[(cpath, n)] = line
        ccols = ["id" if c == idc else c for c in cheader]
        cinfo = {"id": crows[0][cheader.index(idc)]}
    reader = follower_csv_reader()
    names = {fpath: fname, cpath: cname}

    try:
        g = reader(fpath, source="source", target="target",
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
    consumers = [{"id": str(lab)} for lab in g.labels]
    if crows is not None:
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
    first = kept[0]
    a, b = first[1], first[2]  # already read the chosen way round
    direction = words.format(a=a, b=b) + f": what {a} shares reaches {b} (line {first[0]})."
    used = {"followed account": a_col if not swap else b_col,
            "follower": b_col if not swap else a_col}
    if pcol:
        used["probability"] = pcol
    summary = {
        "consumers": int(g.n_nodes),
        "ties": int(g.n_edges),
        "direction": direction,
        "follower_file": {"name": fname, "encoding": fenc, "separator": SEP_WORDS[fsep],
                          "columns used": used},
        "skipped": skipped,
    }
    name_col = _find(ccols, NAME_NAMES)
    cost_col = _find(ccols, COST_NAMES)
    seg_col = _find(ccols, SEGMENT_NAMES)
    if cost_col and cost_col not in g.node_attrs:
        cost_col = None  # not numeric: the page offers the cost rule
    if crows is not None:
        numeric = [c for c in ccols if c in g.node_attrs]
        summary["consumers_file"] = {
            "name": cname, "encoding": cenc, "separator": SEP_WORDS[csep],
            "columns used": {"id": cinfo["id"], "name": name_col, "cost": cost_col,
                             "segment": seg_col},
            "numeric columns": numeric,
            "text columns": [c for c in ccols if c not in numeric and c != "id"],
            "rows": len(crows) - 1 - sum(1 for s in skipped if s[0] == cname),
        }
    return Dataset(g, consumers, ccols or ["id"], name_col, cost_col, seg_col,
                   has_file_probabilities=bool(pcol), summary=summary)


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


def match_accounts(dataset, accounts, plan_name="your list"):
    """Node labels of a marketer's list of ids or names (names compared without case)."""
    by_id = {str(lab): lab for lab in dataset.graph.labels}
    by_name = {}
    if dataset.name_column:
        for i, r in enumerate(dataset.consumers):
            nm = (r.get(dataset.name_column) or "").strip().lower()
            if nm:
                by_name.setdefault(nm, []).append(dataset.graph.labels[i])
    out, unknown = [], []
    for a in accounts:
        a = str(a).strip()
        if not a:
            continue
        if a in by_id:
            lab = by_id[a]
        elif a.lower() in by_name:
            labs = by_name[a.lower()]
            if len(labs) > 1:
                raise PlannerError(f"Plan {plan_name!r}: the name {a!r} belongs to {len(labs)} "
                                   f"consumers ({', '.join(str(x) for x in labs[:5])}). Use "
                                   f"their ids instead.")
            lab = labs[0]
        else:
            unknown.append(a)
            continue
        if lab not in out:
            out.append(lab)
    if unknown:
        hint = difflib.get_close_matches(unknown[0], list(by_id) + [
            dataset.consumers[i].get(dataset.name_column, "") for i in range(len(dataset.consumers))
        ] if dataset.name_column else list(by_id), n=1)
        more = f" and {len(unknown) - 1} more" if len(unknown) > 1 else ""
        raise PlannerError(f"Plan {plan_name!r}: {unknown[0]!r}{more} is not an id or name in "
                           f"the data" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                           + ". Fix the list.")
    if not out:
        raise PlannerError(f"Plan {plan_name!r} lists no accounts: give ids or names, one per "
                           f"line or separated by commas.")
    return out


def prepared_graph(dataset, settings):
    """The graph with probabilities and the target-segment mark, its model and costs."""
    import viralsim as vs

    from ..experiments import seed_costs

    g = dataset.graph
    scheme = settings.probability
    if scheme == "file":
        if not g.has_probabilities:
            raise PlannerError("The follower file has no probability column: choose another "
                               "probability scheme (weighted cascade is the usual one).")
    elif scheme == "uniform":
        p = float(settings.p)
        if not (0.0 <= p <= 1.0):
            raise PlannerError(f"The probability per tie must be in [0, 1]. Got {p:g}.")
        g = g.with_probabilities(p)
    elif scheme in ("weighted_cascade", "trivalency"):
        g = g.with_probabilities(scheme, rng=np.random.default_rng([settings.rng_seed, 1]))
    else:
        raise PlannerError(f"Unknown probability scheme {scheme!r}: choose one of "
                           f"{', '.join(PROBABILITY_SCHEMES)}.")
    model = vs.IC()
    if settings.segment is not None and settings.segment_column:
        col = settings.segment_column
        mark = np.array([(r.get(col) or "").strip() == str(settings.segment).strip()
                         for r in dataset.consumers])
        if not mark.any():
            raise PlannerError(f"No consumer has {col} = {settings.segment!r}: pick one of "
                               f"{', '.join(dataset.segment_values(col)[:10])}.")
        g = g.with_node_attr("_target_segment", mark)
        model = vs.IC(segment_attr="_target_segment")
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
    return g, model, costs


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
        Checked between steps; set -> :class:`Cancelled`.

    Returns
    -------
    Results
    """
    import viralsim as vs

    from ..experiments import paired, resolve_plan
    from ..strategies._base import within_budget

    t_start = time.perf_counter()
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
    g, model, costs = prepared_graph(dataset, settings)
    fixed = {p.name: match_accounts(dataset, p.accounts, p.name) for p in plans if p.kind == "own"}
    steps = len(budgets) * len(plans) * 2
    done = [0]

    def tick(text):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        if progress is not None:
            progress(min(done[0] / steps, 1.0), text)

    compile_s = None
    if not is_warm():
        tick("Compiling the simulation kernels (first run on this machine only; about a "
             "minute)...")
        t0 = time.perf_counter()
        warm_up()
        while not _WARM["done"].wait(0.2):
            tick("Compiling the simulation kernels (first run on this machine only; about a "
                 "minute)...")
        compile_s = time.perf_counter() - t0
    selections, estimates, rows = {}, {}, []
    rng = int(settings.rng_seed)
    for b in budgets:
        for p in plans:
            tick(f"Budget {b:,.2f}: choosing whom '{p.name}' targets")
            if p.kind == "own":
                seeds = fixed[p.name]
            else:
                strategy = "degree" if p.kind == "most_followed" else p.strategy
                if not within_budget(float(costs.min()), b):
                    seeds = []
                else:
                    try:
                        seeds = resolve_plan(g, {"name": p.name, "strategy": strategy}, model=model,
                                             rng=rng, budget=b, costs=costs, func="planner")
                    except (ValueError, TypeError) as exc:
                        raise PlannerError(str(exc.args[0] if exc.args else exc)) from None
            done[0] += 1
            idx = g.index_of(seeds) if seeds else np.zeros(0, dtype=np.int64)
            cost = float(costs[idx].sum())
            selections[(p.name, b)] = list(seeds)
            row = {"budget": b, "plan": p.name, "kind": p.kind, "targets": len(seeds),
                   "cost": cost, "rank": None, "status": "ok"}
            if not seeds:
                row["status"] = f"no consumer costs {b:,.2f} or less"
            elif not within_budget(cost, b):
                row["status"] = f"over budget: costs {cost:,.2f}"
            else:
                key = tuple(seeds)
                if key not in estimates:
                    tick(f"Budget {b:,.2f}: simulating '{p.name}' in {n_sims:,} worlds")
                    estimates[key] = vs.estimate_reach(
                        g, seeds, model=model, n_sims=n_sims, rng=rng,
                        confidence=settings.confidence, max_rounds=settings.max_rounds,
                        return_sizes=True)
                est = estimates[key]
                row.update(adopters=est.mean, adopters_low=est.ci_low,
                           adopters_high=est.ci_high, exposure=est.exposure.mean,
                           exposure_low=est.exposure.ci_low, exposure_high=est.exposure.ci_high)
                if settings.segment is not None:
                    sr = est.metrics["segment_reach"]
                    row.update(segment_adopters=sr.mean, segment_adopters_low=sr.ci_low,
                               segment_adopters_high=sr.ci_high)
                goal = row[_goal_key(settings)]
                row["cost_per_adopter"] = cost / row.get("segment_adopters", est.mean) \
                    if row.get("segment_adopters", est.mean) > 0 else None
                row["goal"] = goal
            done[0] += 1
            rows.append(row)
        ok = sorted((r for r in rows if r["budget"] == b and r["status"] == "ok"),
                    key=lambda r: -r["goal"])
        for rank, r in enumerate(ok, 1):
            r["rank"] = rank
            if rank == 1:
                best_sizes = estimates[tuple(selections[(r["plan"], b)])].sizes
            m, _, lo, hi = paired(estimates[tuple(selections[(r["plan"], b)])].sizes,
                                  best_sizes, settings.confidence)
            r.update(adopters_vs_best=m, adopters_vs_best_low=lo, adopters_vs_best_high=hi)
    tick("Done")
    return Results(settings, list(plans), rows, selections, estimates, costs,
                   g.out_degree(), dataset, time.perf_counter() - t_start, compile_s)


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
    if any(p.kind == "optimised" for p in results.plans):
        text += (" Optimised plans maximise the expected number of adopters overall"
                 + (", not within the segment" if s.segment is not None else "")
                 + (" (not exposure)" if s.goal == "exposure" else "") + ".")
    return text


def answer_paragraph(results):
    """One paragraph: what to do at the largest budget, what it buys, what it assumes."""
    s = results.settings
    b = results.budgets[-1]
    best = results.best(b)
    if best is None:
        return (f"No plan fits the largest budget, {b:,.2f}: raise the budget or add a plan "
                f"with cheaper targets. " + assumptions(results))
    n = best["targets"]
    seg = f" in segment {s.segment!r}" if s.segment is not None else ""
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
    others = [r for r in results.ranked(b) if r["rank"] and r["rank"] > 1]
    if others:
        o = others[0]
        d, lo, hi = -o["adopters_vs_best"], -o["adopters_vs_best_high"], -o["adopters_vs_best_low"]
        goal = "people who see it" if s.goal == "exposure" else f"adopters{seg}"
        text += (f" Ranked by {goal}, the next plan, '{o['plan']}', brings {d:,.1f} fewer "
                 f"adopters overall ({between(lo, hi)} fewer, measured in the same worlds).")
    bests = [(x, results.best(x)) for x in results.budgets]
    bests = [(x, r) for x, r in bests if r is not None]
    if len(bests) > 1:
        (b0, r0), (b1, r1) = bests[-2], bests[-1]
        key = _goal_key(s)
        gain = r1[key] - r0[key]
        word = "people reached" if s.goal == "exposure" else f"adopters{seg}"
        text += (f" Raising the budget from {b0:,.2f} to {b1:,.2f} adds about {gain:,.1f} "
                 f"{word} ({gain / (b1 - b0):,.3f} per unit of money).")
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
