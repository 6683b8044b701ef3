"""Action logs: who adopted which item (a post, a campaign, a product) and when.

:func:`read_action_log` reads a long table, one row per adoption, into an
:class:`ActionLog`: one cascade per item, its adopters in time order. It is
what :func:`viralsim.fit_influence` learns edge probabilities from and what
:func:`viralsim.backtest` checks forecasts against.
"""

import csv
import io
import math
import os
import warnings
from collections.abc import Hashable, Iterable, Mapping
from datetime import date, datetime, timezone

import numpy as np

from ._validation import param_error, shown
from .exceptions import ViralsimError, ViralsimWarning
from .graph import FollowerGraph

__all__ = ["ActionLog", "ActionLogError", "read_action_log"]


class ActionLogError(ViralsimError, ValueError):
    """An action log is missing, empty or malformed (the message names file and line)."""


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _parse_iso(s):
    """Seconds since 1970-01-01 UTC of an ISO date or datetime, or None."""
    s = s.strip()
    try:
        if len(s) == 10:
            d = date.fromisoformat(s)
            return float((d - date(1970, 1, 1)).days) * 86400.0
        t = datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return (t - _EPOCH).total_seconds()


def _number(s):
    try:
        return float(s)
    except ValueError:
        return None


class ActionLog:
    """Cascades of adoptions, one per item, each in time order.

    Build one with :func:`read_action_log` or :meth:`from_arrays`.

    Attributes
    ----------
    graph : FollowerGraph
        The graph whose consumers the log names.
    items : ndarray
        Item ids, in order of first adoption time (ties: order of first appearance).
    indptr : ndarray of int64, shape (n_items + 1,)
        Cascade ``i`` is rows ``indptr[i]:indptr[i+1]`` of ``nodes``/``times``.
    nodes : ndarray of int32
        Graph node index of each adoption; ``-1`` for a consumer not in the
        graph (an outside adopter: kept and counted, the graph cannot
        explain how they heard of the item).
    times : ndarray of float64
        Adoption times (numbers as given; dates and datetimes as seconds since
        1970-01-01 UTC), non-decreasing within a cascade. Ties are allowed.
    time_kind : {"number", "datetime"}
    counts : dict
        ``items``, ``actions`` (kept), ``outside_actions`` (by consumers not
        in the graph), ``outside_consumers`` (distinct), ``repeated_dropped``
        (a consumer's later actions on an item they had adopted),
        ``single_adopter_items``.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges(["ann", "bob"], ["bob", "cid"])
    >>> log = vs.ActionLog.from_arrays(g, ["x", "x", "x"], ["ann", "bob", "cid"], [0, 1, 2])
    >>> log
    ActionLog(items=1, actions=3, outside_actions=0)
    >>> log.cascade(0)
    (['ann', 'bob', 'cid'], [0.0, 1.0, 2.0])
    """

    def __init__(self, graph, items, indptr, nodes, times, *, time_kind="number", counts=None,
                 outside_labels=None):
        self.graph = graph
        self.items = np.asarray(items)
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.nodes = np.asarray(nodes, dtype=np.int32)
        self.times = np.asarray(times, dtype=np.float64)
        self.time_kind = time_kind
        self.outside_labels = outside_labels  # per action: the label of an outside adopter, or None
        c = dict(counts or {})
        c["items"] = len(self.items)
        c["actions"] = int(self.nodes.size)
        c["outside_actions"] = int((self.nodes < 0).sum())
        c.setdefault("outside_consumers", c["outside_actions"])
        c.setdefault("repeated_dropped", 0)
        c["single_adopter_items"] = int((np.diff(self.indptr) == 1).sum())
        self.counts = c

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(cls, graph, items, users, times, *, source="from_arrays"):
        """An action log from three parallel sequences (item ids, consumer labels, times).

        Times are numbers (NaN refused). Consumers not in the graph are kept
        as outside adopters; a consumer's repeated actions on one item are
        dropped (the earliest kept), counted in a :class:`ViralsimWarning`.
        """
        if not isinstance(graph, FollowerGraph):
            raise TypeError(f"The 'graph' parameter of ActionLog.{source} must be a "
                            f"FollowerGraph. Got {type(graph).__name__} instead.")
        func = f"ActionLog.{source}"
        items, users = _sequence(items, "items", func), _sequence(users, "users", func)
        try:
            t = np.asarray(times, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise param_error("times", func, "a sequence of numbers", times,
                              exc=type(exc)) from exc
        if t.ndim != 1:
            raise param_error("times", func, "a 1-D sequence of numbers", times)
        if not (len(items) == len(users) == t.size):
            raise ValueError(f"ActionLog.{source}: items, users and times must have the same "
                             f"length. Got {len(items)}, {len(users)} and {t.size}.")
        bad = np.flatnonzero(~np.isfinite(t))
        if bad.size:
            raise ActionLogError(f"ActionLog.{source}: time of action {int(bad[0])} is "
                                 f"{shown(t[bad[0]])} ({bad.size} non-finite time(s)). Give every "
                                 "action a time, or drop the rows without one first.")
        return cls._build(graph, items, users, t, "number", source, None)

    @classmethod
    def _build(cls, graph, items, users, t, kind, source, lines):
        if not items:
            raise ActionLogError(f"{source}: the action log is empty (no rows). Give at least "
                                 "one row: item, consumer, time.")
        nodes = _node_indices(graph, users)
        n_out_consumers = len({u for u, j in zip(users, nodes.tolist()) if j < 0})
        if (nodes < 0).all():
            names = ", ".join(shown(u) for u in users[:3])
            raise ActionLogError(
                f"{source}: none of the {len(set(users)):,} consumers in the log is in the graph "
                f"(e.g. {names}; the graph's labels look like "
                f"{', '.join(shown(x) for x in graph.labels[:3].tolist())}). Use the same ids in "
                "the log as in the follower list.")
        item_ids = {}
        code = np.fromiter((item_ids.setdefault(x, len(item_ids)) for x in items), dtype=np.int64,
                           count=len(items))
        order, first = _first_actions(code, nodes, users, t)
        n_rep = int(order.size - first.sum())
        if n_rep:
            where = ""
            if lines is not None:
                i = int(order[~first].min())  # the first in file order
                where = f" (the first at line {lines[i]})"
            warnings.warn(f"{source}: dropped {n_rep:,} repeated action(s) of a consumer on an "
                          f"item they had already adopted{where}; each cascade keeps the earliest "
                          "action per consumer.", ViralsimWarning, stacklevel=3)
        keep = np.sort(order[first])
        labels, indptr, nodes_s, t_s, outside = _arrange_cascades(
            code[keep], nodes[keep], t[keep], [users[i] for i in keep.tolist()], list(item_ids))
        log = cls(graph, labels, indptr, nodes_s, t_s, time_kind=kind,
                  counts={"outside_consumers": n_out_consumers, "repeated_dropped": n_rep},
                  outside_labels=outside)
        if log.counts["outside_actions"]:
            warnings.warn(
                f"{source}: {log.counts['outside_actions']:,} action(s) by "
                f"{n_out_consumers:,} consumer(s) not in the graph are kept as outside adopters "
                "(they adopted; the graph cannot explain how).", ViralsimWarning, stacklevel=3)
        return log

    # ------------------------------------------------------------------ access
    @property
    def n_items(self):
        return len(self.items)

    def __len__(self):
        return self.n_items

    def cascade(self, i):
        """``(consumer labels, times)`` of cascade ``i`` (outside adopters by their own label)."""
        a, b = int(self.indptr[i]), int(self.indptr[i + 1])
        labs = []
        glabs = self.graph.labels
        for k in range(a, b):
            j = int(self.nodes[k])
            x = glabs[j] if j >= 0 else self.outside_labels[k]
            labs.append(x.item() if isinstance(x, np.generic) else x)
        return labs, self.times[a:b].tolist()

    def sizes(self, *, in_graph=True):
        """Adopters per item (by default only those in the graph)."""
        if not in_graph:
            return np.diff(self.indptr)
        inside = np.concatenate([[0], np.cumsum(self.nodes >= 0)])
        return inside[self.indptr[1:]] - inside[self.indptr[:-1]]

    def start_times(self):
        """Time of each item's first adoption."""
        sizes = np.diff(self.indptr)
        out = np.full(self.n_items, np.nan)
        nz = sizes > 0
        out[nz] = self.times[self.indptr[:-1][nz]]
        return out

    def first_adopters(self, i):
        """Node indices of cascade ``i``'s first in-graph adopters (those at its earliest
        in-graph time): the seeds a forecast starts from."""
        a, b = int(self.indptr[i]), int(self.indptr[i + 1])
        nd, tm = self.nodes[a:b], self.times[a:b]
        ins = nd >= 0
        if not ins.any():
            return np.zeros(0, dtype=np.int32)
        t0 = tm[ins].min()
        return nd[ins & (tm == t0)].astype(np.int32)

    def subset(self, mask):
        """The log restricted to the items where ``mask`` (bool per item, or item positions) holds."""
        sel = np.zeros(self.n_items, dtype=bool)
        sel[np.asarray(mask)] = True
        rows = np.repeat(sel, np.diff(self.indptr))
        indptr = np.zeros(int(sel.sum()) + 1, dtype=np.int64)
        np.cumsum(np.diff(self.indptr)[sel], out=indptr[1:])
        out = None if self.outside_labels is None else self.outside_labels[rows]
        nodes = self.nodes[rows]
        n_out = (len({x for x in out[nodes < 0].tolist()}) if out is not None else 0)
        return ActionLog(self.graph, self.items[sel], indptr, nodes, self.times[rows],
                         time_kind=self.time_kind, outside_labels=out,
                         counts={"outside_consumers": n_out})

    def split(self, by="time", *, test_size=0.2, at=None, test_items=None, rng=None):
        """A train / test split: ``(train_log, test_log)``.

        Parameters
        ----------
        by : {"time", "item"}
            ``"time"``: items whose first adoption is before ``at`` train, the
            later ones test (``at`` defaults to the start-time quantile that
            leaves ``test_size`` of the items for testing). ``"item"``: a
            random ``test_size`` fraction of the items (drawn with ``rng``),
            or exactly ``test_items`` (item ids) when given.

        Examples
        --------
        >>> import viralsim as vs
        >>> g = vs.FollowerGraph.from_edges([0], [1])
        >>> log = vs.ActionLog.from_arrays(g, [1, 2, 3, 4, 5], [0] * 5, [1, 2, 3, 4, 5])
        >>> [len(x) for x in log.split("time", test_size=0.4)]
        [3, 2]
        """
        if not 0.0 < float(test_size) < 1.0:
            raise ValueError(f"The 'test_size' parameter of ActionLog.split must be in (0, 1). "
                             f"Got {shown(test_size)} instead.")
        if by == "time":
            st = self.start_times()
            if at is None:
                at = np.quantile(st, 1.0 - test_size, method="higher")
            test = st >= at
        elif by == "item":
            if test_items is not None:
                want = set(test_items)
                test = np.array([x in want for x in self.items.tolist()], dtype=bool)
                missing = want - set(self.items.tolist())
                if missing:
                    raise ValueError(f"ActionLog.split: test_items names {len(missing)} item(s) "
                                     f"not in the log, e.g. {shown(next(iter(missing)))}.")
            else:
                gen = np.random.default_rng(rng)
                k = max(1, int(round(test_size * self.n_items)))
                test = np.zeros(self.n_items, dtype=bool)
                test[gen.choice(self.n_items, size=k, replace=False)] = True
        else:
            raise ValueError(f"The 'by' parameter of ActionLog.split must be 'time' or 'item'. "
                             f"Got {shown(by)} instead.")
        if test.all() or not test.any():
            raise ValueError(f"ActionLog.split(by={by!r}) leaves one side empty "
                             f"({int(test.sum())} test item(s) of {self.n_items}). Choose another "
                             "'at' or 'test_size'.")
        return self.subset(~test), self.subset(test)

    def summary(self):
        """The counts in plain words."""
        c = self.counts
        s = (f"{c['items']:,} items, {c['actions']:,} adoptions "
             f"({c['outside_actions']:,} by {c['outside_consumers']:,} consumers not in the graph, "
             "kept as outside adopters)")
        if c.get("repeated_dropped"):
            s += f"; {c['repeated_dropped']:,} repeated actions dropped"
        if c["single_adopter_items"]:
            s += f"; {c['single_adopter_items']:,} items with one adopter"
        return s + "."

    def __repr__(self):
        c = self.counts
        return (f"ActionLog(items={c['items']}, actions={c['actions']}, "
                f"outside_actions={c['outside_actions']})")


def _sequence(x, name, func):
    """``x`` (a sequence of ids, or a 1-D array) as a list, or a clear error."""
    if isinstance(x, np.ndarray):
        if x.ndim != 1:
            raise param_error(name, func, "a 1-D sequence of ids", x)
        return x.tolist()
    if isinstance(x, (str, bytes, Mapping)) or not isinstance(x, Iterable):
        raise param_error(name, func, "a sequence of ids (a list or a 1-D array)", x,
                          exc=TypeError)
    out = list(x)
    for v in out:
        if not isinstance(v, Hashable):
            raise param_error(name, func, "a sequence of hashable ids (str or int)",
                              v, exc=TypeError)
    return out


def _node_indices(graph, users):
    """Graph index of each consumer label (strings from a file matched to int labels), -1 if absent."""
    table = graph._label_index()
    n = graph.n_nodes
    out = np.empty(len(users), dtype=np.int32)
    int_labels = graph.labels.dtype.kind in "iu"
    for i, u in enumerate(users):
        key = u
        if int_labels and isinstance(u, str):
            s = u.strip()
            if s.lstrip("-").isdigit():
                key = int(s)
        if table == "identity":
            ok = isinstance(key, (int, np.integer)) and not isinstance(key, bool) and 0 <= key < n
            out[i] = int(key) if ok else -1
        else:
            try:
                out[i] = table.get(key, -1)
            except TypeError:
                out[i] = -1
    return out


def _decode(raw, path):
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise ActionLogError(f"{path}: cannot decode the file as text.")  # pragma: no cover

def _first_actions(code, nodes, users, t):
    """``(order, first)``: the actions sorted by (item, consumer, time, file
    order), and which of them is a consumer's first on its item (a repeated
    action is dropped: the earliest is kept, file order on ties). Consumers
    outside the graph (``nodes < 0``) are told apart by their label."""
    key_user = nodes.astype(np.int64)
    if (nodes < 0).any():  # outside consumers: their own codes, below -1
        out_ids = {}
        for i in np.flatnonzero(nodes < 0).tolist():
            key_user[i] = -2 - out_ids.setdefault(users[i], len(out_ids))
    order = np.lexsort((np.arange(code.size), t, key_user, code))
    first = np.ones(order.size, dtype=bool)
    first[1:] = (code[order][1:] != code[order][:-1]) | (key_user[order][1:] != key_user[order][:-1])
    return order, first


def _arrange_cascades(code, nodes, t, kept_users, item_names):
    """``(labels, indptr, nodes, times, outside)`` of the kept actions: items
    ordered by first time (stable), adoptions by (item, time, file order);
    ``outside`` holds the labels of outside adopters (None without any)."""
    n_items = len(item_names)
    start = np.full(n_items, np.inf)
    np.minimum.at(start, code, t)
    item_rank = np.empty(n_items, dtype=np.int64)
    item_rank[np.lexsort((np.arange(n_items), start))] = np.arange(n_items)
    rc = item_rank[code]
    order = np.lexsort((np.arange(code.size), t, rc))
    labels = np.empty(n_items, dtype=object)
    labels[item_rank] = item_names
    try:
        labels = np.array(labels.tolist())
    except ValueError:
        pass
    indptr = np.zeros(n_items + 1, dtype=np.int64)
    np.cumsum(np.bincount(rc, minlength=n_items), out=indptr[1:])
    nodes_s = nodes[order]
    outside = None
    if (nodes_s < 0).any():
        outside = np.empty(nodes_s.size, dtype=object)
        for k, i in enumerate(order.tolist()):
            if nodes[i] < 0:
                outside[k] = kept_users[i]
    return labels, indptr, nodes_s, t[order], outside



def read_action_log(path, *, graph, item="item", user="user", time="time", sep=None):
    """Read an action log (one row per adoption) from a CSV file.

    Parameters
    ----------
    path : str or os.PathLike
        A table with a header row. Separator sniffed among ``,`` ``;`` tab
        ``|`` unless ``sep`` is given; a byte-order mark is dropped; UTF-8,
        else Windows-1252, else Latin-1; quoted fields as in CSV.
    graph : FollowerGraph
        Consumers are matched to its labels (``"17"`` in the file is consumer
        17 when the labels are integers).
    item, user, time : str
        Column names: the item (post, campaign, product) id, the consumer,
        the adoption time. Times are numbers (seconds, days, steps...) or
        ISO dates / datetimes (``2024-05-01``, ``2024-05-01T12:30:00``;
        without a zone: UTC), one kind for the whole column.
    sep : str, optional

    Returns
    -------
    ActionLog
        Cascades per item in time order (ties allowed). Consumers not in the
        graph are kept as outside adopters and counted; a consumer's repeated
        actions on one item are dropped (the earliest kept) and counted; both
        are reported in a :class:`~viralsim.ViralsimWarning` and in
        :meth:`ActionLog.summary`.

    Raises
    ------
    ActionLogError
        Missing file, a missing column (named, with the columns found), a
        time that does not parse or is NaN (file and line), an empty log, a
        log none of whose consumers is in the graph.

    Examples
    --------
    >>> import os, tempfile, viralsim as vs
    >>> g = vs.FollowerGraph.from_edges(["ann", "bob"], ["bob", "cid"])
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write("item;user;time\\npost1;ann;2024-05-01\\npost1;bob;2024-05-03\\n")
    >>> log = vs.read_action_log(path, graph=g)
    >>> log.summary()
    '1 items, 2 adoptions (0 by 0 consumers not in the graph, kept as outside adopters).'
    """
    func = "read_action_log"
    if not isinstance(graph, FollowerGraph):
        raise TypeError(f"The 'graph' parameter of {func} must be a FollowerGraph. Got "
                        f"{type(graph).__name__} instead.")
    for name, col in (("item", item), ("user", user), ("time", time)):
        if not isinstance(col, str):
            raise param_error(name, func, "a column name (str)", col, exc=TypeError)
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1 or sep in "\"\r\n"):
        raise param_error("sep", func, "None (sniffed) or one character such as ',' or '\\t'",
                          sep, exc=TypeError if not isinstance(sep, str) else ValueError)
    path = os.fspath(path)
    text = _read_log_text(path, item, user, time)
    if sep is None:
        sep = _sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    cols = _log_columns(reader, path, sep, item=item, user=user, time=time)
    items, users, tstr, lines = _log_rows(reader, cols, path, sep)
    t, kind = _log_times(tstr, lines, path, time)
    return ActionLog._build(graph, items, users, t, kind, path, lines)


def _read_log_text(path, item, user, time):
    """The text of the action log at ``path`` (decoded, no byte-order mark)."""
    if not os.path.exists(path):
        raise ActionLogError(f"Action log {path!r} does not exist. Check the path (relative "
                             f"paths are resolved from {os.getcwd()!r}).")
    with open(path, "rb") as fh:
        raw = fh.read()
    text, _ = _decode(raw, path)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ActionLogError(f"{path}: the action log is empty (no header, no rows). Give a "
                             f"header row ({item},{user},{time}) and one row per adoption.")
    return text


def _sniff_separator(text):
    """The separator of the log's first line among ``,`` ``;`` tab ``|`` (``,``
    when none is clear)."""
    head = text[:65536]
    try:
        return csv.Sniffer().sniff(head.splitlines()[0] if head else head,
                                   delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _log_columns(reader, path, sep, **wanted):
    """``{"item": i, "user": j, "time": k}``: the header's column index of each
    wanted name (the first non-blank row of ``reader`` is the header)."""
    header = None
    for header in reader:
        if any(h.strip() for h in header):
            break
    header = [h.strip() for h in header or []]
    cols = {}
    for what, want in wanted.items():
        if want not in header:
            raise ActionLogError(
                f"{path}: no column {want!r} (the {what} column) in the header; the columns found "
                f"are {', '.join(repr(h) for h in header)} (separator {sep!r}). Pass "
                f"{what}=<column name> (or sep=... if the separator is wrong).")
        cols[what] = header.index(want)
    return cols


def _log_rows(reader, cols, path, sep):
    """``(items, users, times as text, line numbers)`` of the log's data rows."""
    need = max(cols.values())
    items, users, tstr, lines = [], [], [], []
    for row in reader:
        lineno = reader.line_num
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) <= need:
            raise ActionLogError(f"{path}:{lineno}: expected at least {need + 1} fields "
                                 f"separated by {sep!r}, got {len(row)}: {sep.join(row)!r}.")
        items.append(row[cols["item"]].strip())
        users.append(row[cols["user"]].strip())
        tstr.append(row[cols["time"]].strip())
        lines.append(lineno)
    if not items:
        raise ActionLogError(f"{path}: the action log has a header but no rows. Give one row "
                             "per adoption.")
    return items, users, tstr, lines


def _log_times(tstr, lines, path, time):
    """``(times, kind)``: the times as floats, all numbers or all ISO dates
    (``kind`` "number" or "datetime", the first time's kind)."""
    kind = "number" if _number(tstr[0]) is not None else "datetime"
    t = np.empty(len(tstr))
    for i, s in enumerate(tstr):
        v = _number(s) if kind == "number" else _parse_iso(s)
        if v is None or not math.isfinite(v):
            what = ("a number" if kind == "number" else
                    "an ISO date or datetime (2024-05-01 or 2024-05-01T12:30:00)")
            raise ActionLogError(
                f"{path}:{lines[i]}: the time {s!r} in column {time!r} is not {what}"
                + (" (the column's first time was of that kind)" if i else "")
                + ". Fix the row or drop it.")
        t[i] = v
    return t, kind
