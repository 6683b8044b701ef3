"""Reading follower graphs: SNAP-style edge lists (plain text or gzip) and a
marketer's follower CSV (with an optional consumers CSV of node attributes).

Both readers share one number parser (:func:`_to_float`), one id labelling
(:func:`label_ids`) and one reduction of mutual ties (:func:`_mutual_edges`).
"""

import csv
import gzip
import itertools
import logging
import math
import os
import warnings

import numpy as np

from ._validation import shown
from .actionlog import ActionLog, read_action_log  # action logs read like the follower files
from .exceptions import GZIP_ERRORS, CorruptGzipError, EdgeListError
from .graph import FollowerGraph

__all__ = ["read_edgelist", "read_follower_csv", "EdgeListNotFound", "label_ids", "save_graph",
           "read_graph", "read_parquet", "write_parquet", "read_action_log", "ActionLog",
           "detect_encoding"]

log = logging.getLogger("viralsim")


class EdgeListNotFound(EdgeListError, FileNotFoundError):
    """The edge-list path does not exist."""


def _data_lines(fh, comments, header):
    """The data lines of an open edge list: no blank or comment lines, no header."""
    skip = bool(header)
    for line in fh:
        s = line.lstrip()
        if not s or (comments and s.startswith(comments)):
            continue
        if skip:
            skip = False
            continue
        yield line


def _read_integer_ids(path, comments, header, probs):
    """The fast path: integer ids (and probabilities) parsed by ``numpy.loadtxt``, in C.

    The parse alone is about 20x faster than the line-by-line reader below and
    needs a tenth of its memory (4M edges: 0.4 s and 64 MB of arrays; that
    reader keeps two Python strings per edge, about 350 bytes, so
    soc-LiveJournal1's 69M edges would need about 24 GB). Returns
    ``(table, probabilities or None)``, or None when the file needs
    that reader: string ids, an id beyond int64, a ragged or malformed line, a
    probability outside [0, 1], no data. The reader then parses it again:
    it accepts what this path accepts, and it names the offending line.
    """
    quick = _read_integer_pairs(path, comments, header, probs)
    if quick is not None:
        return quick, None
    # complexity ~21, kept in one piece on purpose: the two passes (file as it is, then
    # filtered) share the dtype choice and the first line, and this path is measured
    # (the bench's read_edgelist rows); every branch falls back to the reader below
    i8, f8 = np.int64, np.float64
    try:
        if not _plain_integer_bytes(path):
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # comments usually come first only (SNAP's files): after the first
            # data line the file goes to numpy as it is, each line read in C;
            # a comment or header line further down fails that parse, and the
            # second pass filters the lines here first
            # a comment prefix that can start a number ("-", "+", a digit) must be filtered
            # out before numpy sees the line
            risky = any(c[:1] in "+-.0123456789" for c in comments)
            for filtered in ((True,) if risky else (False, True)):
                with _open(path) as fh:
                    lines = _data_lines(fh, comments, header)
                    first = next(lines, None)
                    if first is None:
                        return None
                    ncols = len(first.split())
                    if ncols < 2 or (probs is True and ncols < 3):
                        return None
                    with_p = probs is True or (probs == "auto" and ncols >= 3)
                    if with_p:  # every line needs the column; more columns are ignored
                        dtype, usecols = [("s", i8), ("d", i8), ("p", f8)], (0, 1, 2)
                    elif probs == "auto":  # exactly two columns on every line
                        dtype, usecols = [("s", i8), ("d", i8)], None
                    else:
                        dtype, usecols = [("s", i8), ("d", i8)], (0, 1)
                    try:
                        a = np.loadtxt(itertools.chain([first], lines if filtered else fh),
                                       dtype=dtype, comments=None, usecols=usecols, ndmin=1)
                        break
                    except ValueError:
                        if filtered:
                            raise
    except (ValueError, OverflowError, UnicodeDecodeError):
        return None
    p = np.ascontiguousarray(a["p"]) if with_p else None  # a copy: `a` can go once ids are read
    if p is not None and not ((p >= 0.0) & (p <= 1.0)).all():
        return None
    return a, p


def _read_integer_pairs(path, comments, header, probs):
    """The fastest path: two integer ids per line and no probability column, parsed
    from the file's bytes by a Numba kernel (10M lines in about a second; the
    ``numpy.loadtxt`` path below takes a few). Returns ``{"s": sources, "d":
    targets}``, or None for anything else (a probability column, multi-byte
    comment prefixes, ids of 19 digits or more, other bytes), which the paths
    below read as before."""
    if probs is True or not all(len(c) == 1 and ord(c) < 128 for c in comments):
        return None
    from ._kernels.config import readonly
    from ._kernels.textparse import parse_int_pairs

    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        with gzip.open(path, "rb") as fh:
            buf = np.frombuffer(fh.read(), dtype=np.uint8)
    else:
        buf = np.fromfile(path, dtype=np.uint8)
    chars = np.frombuffer("".join(comments).encode("ascii"), dtype=np.uint8)
    src, dst, ok = parse_int_pairs(readonly(buf), readonly(chars), bool(header), probs is False)
    del buf
    return {"s": src, "d": dst} if ok else None


def _open(path):
    # utf-8-sig: a byte-order mark (spreadsheet exports) is dropped, not read as
    # part of the first id
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline=None)
    return open(path, encoding="utf-8-sig", newline=None)


def read_edgelist(
    path,
    directed,
    *,
    probs="auto",
    comments=("#", "%"),
    header=False,
    reverse=False,
    probabilities=None,
    rng=None,
):
    """Read a follower graph from a whitespace-separated edge list.

    Each data line is ``source target [probability] [...]``: ``target``
    follows ``source`` (source's comments reach target). Tabs or spaces,
    LF or CRLF, plain or gzip-compressed (detected from the content, not
    the name). A name ending in ``.parquet`` is read as a Parquet edge list
    (:func:`read_parquet`; its rows as the lines).

    Parameters
    ----------
    path : str or os.PathLike
    directed : bool
        ``True``: each line is one follower edge. ``False``: each line is a
        mutual tie, stored as the two edges ``u -> v`` and ``v -> u``.
        SNAP's undirected files list each pair once or twice: a tie listed
        more than once (either way round) is one tie, and lines that give it
        different probabilities are an error.
    probs : {"auto", True, False}, default "auto"
        Use the third column as the edge probability: ``"auto"`` when every
        data line has one, ``True`` requires it, ``False`` ignores any extra
        columns (e.g. counts or weights that are not probabilities).
    comments : tuple of str, default ("#", "%")
        Lines starting with one of these (after leading blanks) are skipped,
        as are blank lines.
    header : bool, default False
        Skip the first data line (files that start with ``n m``).
    reverse : bool, default False
        Swap the two columns, for files whose lines read "A follows B" or
        "A mentions B" when influence flows from B to A.
    probabilities : float or str, optional
        A scheme for :meth:`FollowerGraph.with_probabilities` applied after
        reading (overrides the file's column).
    rng : optional
        For random probability schemes.

    Returns
    -------
    FollowerGraph
        Labels are ints when every id is an integer (sorted), else strings
        (sorted).

    Raises
    ------
    EdgeListError
        Missing or empty file, or a malformed line (the message gives the
        file and line number and the fix).
    CorruptGzipError
        A truncated or corrupt ``.gz`` (an EdgeListError naming the file and
        the fix; also the ``EOFError`` / ``gzip.BadGzipFile`` / ``zlib.error``
        that gzip raised underneath).

    Examples
    --------
    >>> import os, tempfile, viralsim as vs
    >>> path = os.path.join(tempfile.mkdtemp(), "f.txt")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write("# who hears whom\\nann bob 0.5\\nbob cid 1.0\\n")
    >>> g = vs.read_edgelist(path, directed=True)
    >>> g.labels.tolist(), g.edges()[2].tolist()
    (['ann', 'bob', 'cid'], [0.5, 1.0])
    """
    func = "read_edgelist"
    if probs not in ("auto", True, False):
        raise ValueError(
            f"The 'probs' parameter of {func} must be 'auto', True or False. Got {shown(probs)} instead."
        )
    if not isinstance(directed, (bool, np.bool_)):
        raise TypeError(
            f"The 'directed' parameter of {func} must be True or False. Got {shown(directed)} instead."
        )
    path = os.fspath(path)
    if not os.path.exists(path):
        raise EdgeListNotFound(
            f"Edge list {path!r} does not exist. Check the path (relative paths are "
            f"resolved from {os.getcwd()!r})."
        )
    if os.path.isdir(path):
        raise EdgeListError(f"Edge list {path!r} is a directory, not a file.")
    if path.lower().endswith(".parquet"):  # a Parquet edge list: its rows read as lines
        return _edgelist_from_parquet(path, directed, probs, reverse, probabilities, rng)
    comments = tuple(comments)
    try:
        fast = _read_integer_ids(path, comments, header, probs)
        if fast is None:
            src, dst, p = _read_text_edges(path, comments, header, probs)
    except GZIP_ERRORS as exc:  # a truncated or corrupt .gz: one error naming file and fix
        raise CorruptGzipError.of(path, exc) from exc
    if fast is not None:
        a, p = fast
        ids = np.concatenate([a["d"], a["s"]] if reverse else [a["s"], a["d"]])
        del a, fast  # the parsed table (16-24 bytes per edge) is not needed any more
        labels, inverse = _int_labels(ids)
        del ids
        return _build(labels, inverse, p, directed, probabilities, rng, path)
    if reverse:
        src, dst = dst, src
    labels, inverse = label_ids(src + dst)
    return _build(labels, inverse, p, directed, probabilities, rng, path)


def _edgelist_from_parquet(path, directed, probs, reverse, probabilities, rng):
    """:func:`read_edgelist` of a ``.parquet`` file (``graph=edgelist graph.path=x.parquet``):
    :func:`read_parquet` with the same meaning of ``probs``, ``reverse`` and
    ``probabilities``."""
    src, dst = ("target", "source") if reverse else ("source", "target")
    # a scheme replaces the column: its values need not agree (as in _build)
    keep = probs is not False and probabilities is None
    g = read_parquet(path, directed=directed, source=src, target=dst,
                     probability="probability" if keep else None)
    if probs is True and keep and g.probs is None:
        raise EdgeListError(f"{path}: probs=True needs a 'probability' column, and the file has "
                            "none. Pass probs='auto' or add the column.")
    return g if probabilities is None else g.with_probabilities(probabilities, rng=rng)


def _csv_hint(s):
    """What to say about a line whose fields are separated by commas or semicolons."""
    if "," not in s and ";" not in s:
        return ""
    return (" Its fields are separated by commas or semicolons: for a CSV with a "
            "header row (source,target[,probability]) use "
            "viralsim.io.read_follower_csv (graph=follower_csv on the "
            "command line).")


def _read_text_edges(path, comments, header, probs):
    """The line-by-line reader (any ids): ``(sources, targets, probabilities or None)``.

    Slower than :func:`_read_integer_ids`, and it names the file and line of
    any mistake.
    """
    src, dst, pcol, plines = [], [], [], []
    ncols = None
    skipped_header = not header
    with _open(path) as fh:
        try:
            for lineno, line in enumerate(fh, 1):
                s = line.strip()
                if not s or (comments and s.startswith(comments)):
                    continue
                if not skipped_header:
                    skipped_header = True
                    continue
                if "\x00" in s:
                    raise EdgeListError(f"{path}:{lineno}: a NUL character: the file is binary "
                                        "or corrupt. Remove the NUL bytes or re-export it as text.")
                parts = s.split()
                if len(parts) < 2:
                    raise EdgeListError(
                        f"{path}:{lineno}: expected 'source target [probability]' separated by "
                        f"spaces or tabs, got {s!r}.{_csv_hint(s)}"
                    )
                src.append(parts[0])
                dst.append(parts[1])
                if probs is False:
                    continue
                has = len(parts) >= 3
                if ncols is None:
                    ncols = has
                _check_probability_column(path, lineno, s, parts, probs, has, ncols,
                                          len(src) == 2 and not header)
                if has:
                    pcol.append(parts[2])
                    plines.append(lineno)
        except UnicodeDecodeError as exc:
            raise EdgeListError(f"{path}: not a text edge list ({exc}).") from None
    if not src:
        raise EdgeListError(
            f"Edge list {path!r} contains no edges (only comments or blank lines, or nothing)."
        )
    return src, dst, (_text_probabilities(path, pcol, plines) if pcol else None)


def _check_probability_column(path, lineno, s, parts, probs, has, ncols, second):
    """A line's probability column as ``probs`` asks: required (True), or on every
    line or none ("auto"); ``second``: the second data line of a file read
    without ``header`` (the first may have been "n m")."""
    if probs is True and not has:
        raise EdgeListError(
            f"{path}:{lineno}: probs=True needs a probability column, got {s!r}."
        )
    if has != ncols and probs == "auto":
        header_like = has and second and _is_number(parts[2])  # "n m", then edges
        raise EdgeListError(
            f"{path}:{lineno}: some lines have a probability column and some do "
            f"not (got {s!r}). "
            + ("The first line may be a header ('n m'): pass header=True "
               "(graph.header=true on the command line). " if header_like else "")
            + "Fix the file, or pass probs=False to ignore the column "
            "(graph.probs=false on the command line)."
        )


def _text_probabilities(path, pcol, plines):
    """The probability column's texts as numbers in [0, 1], or an error naming the line."""
    try:
        p = np.array(pcol, dtype=np.float64)
    except ValueError:
        for tok, ln in zip(pcol, plines):
            if not _is_number(tok):
                raise EdgeListError(
                    f"{path}:{ln}: the probability {tok!r} is not a number. Fix the file or "
                    "pass probs=False to ignore the third column (graph.probs=false on the "
                    "command line)."
                ) from None
        raise
    bad = np.flatnonzero(~((p >= 0.0) & (p <= 1.0)))
    if bad.size:
        i = int(bad[0])
        raise EdgeListError(
            f"{path}:{plines[i]}: the probability {pcol[i]} is outside [0, 1] "
            f"({bad.size} such line(s)). If the third column holds counts or weights, pass "
            "probs=False and set probabilities with with_probabilities(...) (on the command "
            "line: graph.probs=false and a probabilities= scheme)."
        )
    return p


def label_ids(tokens, *, canonical_ints=True):
    """``(labels, inverse)`` of a list of id strings, with ``labels[inverse]``
    giving the ids back.

    One rule for ids in every reader: the labels are int64 (sorted) when
    every id is written as Python writes an int64 ("7", "-3"; not "007",
    "+7", "1_000", "7.0", "-0"), else the ids' own texts (sorted, an object
    array), so "007" and "7" stay two consumers. Memory is proportional to
    the ids' total length: each distinct id is coded once in a dict, never
    padded into a fixed-width text array (one 2,000-character id among a
    million short ones made that 8 GB). An id with a NUL character, or one
    that is not a string (NaN from a spreadsheet), is an error.
    ``canonical_ints`` is kept for compatibility; the rule is always the one
    above.
    """
    codes = {}
    inverse = np.fromiter((codes.setdefault(t, len(codes)) for t in tokens), dtype=np.intp,
                          count=len(tokens))
    uniq = list(codes)
    del codes
    _check_id_texts(uniq)
    ints = _canonical_ints(uniq)
    if ints is not None:
        order = np.argsort(ints, kind="stable")
        labels = ints[order]
    else:
        order = np.array(sorted(range(len(uniq)), key=uniq.__getitem__), dtype=np.intp)
        labels = np.empty(len(uniq), dtype=object)
        labels[:] = [uniq[i] for i in order]
    rank = np.empty(len(uniq), dtype=np.intp)
    rank[order] = np.arange(len(uniq), dtype=np.intp)
    return labels, rank[inverse]


def _check_id_texts(ids):
    """Every id a string without a NUL character (else a one-line error)."""
    for t in ids:
        if not isinstance(t, str):
            what = "NaN (an empty spreadsheet cell?)" if t != t else repr(t)
            raise EdgeListError(f"An id is {what}, not a text. Give every consumer an id.")
        if "\x00" in t:
            raise EdgeListError(f"The id {t!r} contains a NUL character: the file is binary or "
                                "corrupt. Remove the NUL bytes or re-export the file as text.")


_INT64_MAX_DIGITS = len(str(np.iinfo(np.int64).max))


def _canonical_ints(ids):
    """The ids as an int64 array when each is a plain integer within int64
    (written as ``str(int(text))`` gives it back), else None."""
    out = np.empty(len(ids), dtype=np.int64)
    lo, hi = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)
    for i, t in enumerate(ids):
        if not t or len(t) > _INT64_MAX_DIGITS + 1 or not (t[0] == "-" or t[0].isdigit()):
            return None
        try:
            v = int(t)
        except ValueError:
            return None
        if str(v) != t or not lo <= v <= hi:
            return None
        out[i] = v
    return out


def _plain_integer_bytes(path):
    """False when the file may hold an integer the fast path would read but the
    id rule keeps as text: a '+', a '-0', or a number with a leading zero
    ("007"). A vectorised scan of the bytes (about a third of the parse's
    time); False sends the file to the line reader, which applies the rule."""
    opener = gzip.open if _is_gzip(path) else open
    with opener(path, "rb") as fh:
        while True:
            chunk = fh.read(1 << 24)
            if not chunk:
                return True
            chunk = b"\n" + chunk + fh.readline()
            if b"+" in chunk or b"-0" in chunk:
                return False
            b = np.frombuffer(chunk, dtype=np.uint8)
            digit = (b - np.uint8(48)) < 10
            start = ~digit[:-2] & (b[:-2] != 46)  # not after a digit or a '.'
            if (start & (b[1:-1] == 48) & digit[2:]).any():
                return False


def _is_gzip(path):
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _one_line_per_tie(s_idx, d_idx, p, labels, path):
    """Undirected lines: one per tie. A tie listed twice (``u v`` and ``v u``, as
    in SNAP's files) or more is one tie, with the probability its lines agree
    on; lines that give one tie different probabilities are an error (they
    would be two directed edges: ``directed=True``). Self-loops pass through
    (the graph drops them with a warning)."""
    lo, hi = np.minimum(s_idx, d_idx), np.maximum(s_idx, d_idx)
    key = lo * np.int64(max(len(labels), 1)) + hi
    order = np.argsort(key, kind="stable")
    ks = key[order]
    first = np.ones(ks.size, dtype=bool)
    first[1:] = ks[1:] != ks[:-1]
    if p is not None and not first.all():
        ps = p[order]
        start = np.flatnonzero(first)
        group = np.cumsum(first) - 1
        differ = ps != ps[start][group]
        if differ.any():
            j = int(np.flatnonzero(differ)[0])
            i, i0 = int(order[j]), int(order[start[group[j]]])
            where = f"{path}: " if path else ""
            raise EdgeListError(
                f"{where}the tie {labels[lo[i]]} - {labels[hi[i]]} is listed with different "
                f"probabilities ({p[i0]:g} and {p[i]:g}). With directed=False each line is one "
                "mutual tie; pass directed=True if each line is an edge of its own (then "
                "u -> v and v -> u may differ)."
            )
    keep = np.sort(order[first])  # each tie's first line, in file order
    return s_idx[keep], d_idx[keep], (None if p is None else p[keep])


def _mutual_edges(s_idx, d_idx, p, labels, path):
    """Undirected lines as edges both ways: one tie per pair however often it is
    listed (:func:`_one_line_per_tie`), then ``u -> v`` and ``v -> u``."""
    s_idx, d_idx, p = _one_line_per_tie(s_idx, d_idx, p, labels, path)
    s_idx, d_idx = np.concatenate([s_idx, d_idx]), np.concatenate([d_idx, s_idx])
    return s_idx, d_idx, (None if p is None else np.concatenate([p, p]))


def _to_float(text, comma=False):
    """``float(text)``; with ``comma`` (a ';'-separated file) also a decimal comma
    ("1,5"), when the text has one comma and no point (never a thousands mark)."""
    if comma and text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    return float(text)


def _is_number(text, comma=False):
    """Whether :func:`_to_float` reads ``text``."""
    try:
        _to_float(text, comma)
    except ValueError:
        return False
    return True


def _is_int(t):
    try:
        int(t)
    except ValueError:
        return False
    return True


def _int_labels(ids):
    """``np.unique(ids, return_inverse=True)`` for int64 ids, in linear time
    when their span is at most a few times their number (ids numbered from 0
    or 1, as in SNAP's files): a presence table and its running count
    instead of a sort. Sparse ids (e.g. platform user ids) are sorted."""
    if ids.size == 0:
        return np.unique(ids, return_inverse=True)
    lo, hi = int(ids.min()), int(ids.max())
    if hi - lo >= 4 * ids.size + 1024:
        return np.unique(ids, return_inverse=True)
    off = ids - lo if lo else ids
    present = np.zeros(hi - lo + 1, dtype=bool)
    present[off] = True
    labels = np.flatnonzero(present).astype(np.int64) + lo
    rank = np.cumsum(present, dtype=np.intp)
    rank -= 1
    return labels, rank[off]


def _build(labels, inverse, p, directed, probabilities, rng, path=None):
    m = len(inverse) // 2
    s_idx, d_idx = inverse[:m], inverse[m:]
    if not directed:
        if probabilities is not None:
            p = None  # the file's column is replaced anyway: its values need not agree
        s_idx, d_idx, p = _mutual_edges(s_idx, d_idx, p, labels, path)
    g = FollowerGraph.from_edges(s_idx, d_idx, probs=p, labels=labels)
    if probabilities is not None:
        g = g.with_probabilities(probabilities, rng=rng)
    return g


# ---------------------------------------------------------------------- follower CSV
def read_follower_csv(path, *, source="source", target="target", probability=None,
                      consumers=None, id_column="id", directed=True):
    """A marketer's follower list as a :class:`~viralsim.FollowerGraph`.

    Each row of the CSV says that ``target`` follows ``source`` (so
    ``source``'s comments reach ``target``). The separator is read from the
    header: ``,``, or ``;`` (then decimal commas such as ``0,5`` are read too),
    a tab or ``|``. A byte-order mark (spreadsheet exports) is dropped; a file
    that is not UTF-8 is read as cp1252 (Excel's "CSV" on Windows), else
    latin-1, and the log says so.

    Column names are matched without regard to case and spaces (``Source``,
    `` TARGET ``). With the default ``source``/``target`` and a header that
    lacks them, these pairs are recognised, and the log states the direction
    read, with the file's first row as an example:

    ========================== ===============================================
    header                     edge (whose comments reach whom)
    ========================== ===============================================
    ``source, target``         source -> target
    ``from, to``               from -> to
    ``followed, follower``     followed -> follower (the follower sees it)
    ``follows, user``          follows -> user (the user follows that account)
    ========================== ===============================================

    Naming ``follower`` (or ``user``) as ``source`` would reverse every edge
    and is an error.

    Parameters
    ----------
    path : str or os.PathLike
        CSV file with a header row and one row per follow tie.
    source, target : str, default "source", "target"
        The columns naming the followed account and its follower.
    probability : str or False, optional
        The column of edge probabilities. None: the column ``probability``
        when the header has it, else none. False: none is read (the command
        line does so when a probabilities scheme sets them). A name the
        header lacks is an error.
    consumers : str or os.PathLike, optional
        A second CSV keyed by ``id_column`` whose other columns become node
        attributes: numeric ones (``cost``, ``segment``, ...) as floats, text
        ones (``name``, a segment such as ``students``) as strings. It must
        list every consumer of the follower list (others are kept, isolated).
        Attribute names are the header's, stripped of surrounding spaces.
    id_column : str, default "id"
        The consumers CSV's id column (matched without regard to case and
        spaces).
    directed : bool, default True
        False: each row is a mutual tie, one tie per pair however often it
        is listed (as in :func:`read_edgelist`).

    Returns
    -------
    FollowerGraph
        Labels are ints when every id is written as an integer ("7", not
        "007"), else strings.

    Raises
    ------
    EdgeListError
        A missing or empty file, a missing column, a row without an id, a
        probability that is not a number in [0, 1], a consumer without a row
        (the message names the file and line, and the fix).

    Examples
    --------
    >>> import os, tempfile
    >>> from viralsim.io import read_follower_csv
    >>> d = tempfile.mkdtemp()
    >>> with open(os.path.join(d, "f.csv"), "w") as fh:
    ...     _ = fh.write("source,target\\nann,bob\\nann,cid\\n")
    >>> read_follower_csv(os.path.join(d, "f.csv")).out_degree().tolist()
    [2, 0, 0]
    """
    path = os.fspath(path)
    src, dst, p = _read_follower_rows(path, source, target, probability)
    rows, attrs = _read_consumers(consumers, id_column) if consumers else ([], {})
    # "001" and "1" are two accounts: integers only when canonical (label_ids)
    labels, inverse = label_ids(src + dst + [r[0] for r in rows])
    m = len(src)
    s_idx, d_idx = inverse[:m], inverse[m:2 * m]
    if not directed:  # one tie per pair, however often it is listed (see read_edgelist)
        s_idx, d_idx, p = _mutual_edges(s_idx, d_idx, p, labels, path)
    g = FollowerGraph.from_edges(s_idx, d_idx, probs=p, n_nodes=labels.size, labels=labels)
    if consumers:
        g = _with_consumers(g, inverse[2 * m:], attrs, consumers)
    return g


def _text_encoding(path, what):
    """The encoding to read a CSV with (see :func:`detect_encoding`), logged
    when it is not UTF-8. The check reads the file in 1 MB blocks, decoded in C."""

    def blocks():
        with open(path, "rb") as fh:
            yield from iter(lambda: fh.read(1 << 20), b"")

    enc, bad = detect_encoding(blocks)
    if bad is not None:
        log.info("%s: %s is not UTF-8 (byte 0x%s): read as %s (a spreadsheet export); "
                 "save it as 'CSV UTF-8' to be sure of accented names", path, what,
                 bad.hex(), enc)
    return enc


def detect_encoding(blocks):
    """The encoding to decode some bytes with, and the first byte that is not UTF-8.

    UTF-8 (or ASCII) gives ``utf-8-sig`` (a byte-order mark is dropped); else
    ``cp1252`` (spreadsheet exports on Windows: "Müller" with "ü" as the one
    byte 0xFC); else ``latin-1``, in which every byte is a character. The
    follower-CSV reader and the planner's uploads both use this rule.

    Parameters
    ----------
    blocks : callable
        Called with no arguments, returns an iterable of ``bytes`` blocks (the
        file's contents in order). It is called at most twice, so it must
        start again from the beginning each time.

    Returns
    -------
    encoding : str
        ``"utf-8-sig"``, ``"cp1252"`` or ``"latin-1"``.
    bad : bytes or None
        The first byte that is not UTF-8, or None when the bytes are UTF-8.

    Examples
    --------
    >>> from viralsim.io import detect_encoding
    >>> detect_encoding(lambda: ["Zoë".encode("utf-8")])
    ('utf-8-sig', None)
    >>> detect_encoding(lambda: ["Müller".encode("cp1252")])
    ('cp1252', b'\\xfc')
    """
    import codecs

    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        for block in blocks():
            dec.decode(block)
        dec.decode(b"", final=True)
        return "utf-8-sig", None
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start:exc.start + 1]
    try:
        for block in blocks():
            block.decode("cp1252")
        return "cp1252", bad
    except UnicodeDecodeError:
        return "latin-1", bad  # every byte decodes in latin-1


def _key(name):
    """A column name as matched: case, spaces, '_' and '-' ignored ("Source ID" is "source_id")."""
    return "".join(ch for ch in str(name).casefold() if not (ch.isspace() or ch in "_-"))


def _find_column(cols, name):
    """The header's column that ``name`` means (case and spaces ignored), or None."""
    if name in cols:
        return name
    hits = [c for c in cols if c is not None and _key(c) == _key(name)]
    return hits[0] if hits else None


def _open_csv(path, what):
    """``(file, DictReader, comma)`` of an existing CSV; ``comma``: decimal commas
    are read (a ';'-separated file). The caller closes the file."""
    if not os.path.exists(path):
        raise EdgeListError(f"{what} {path!r} does not exist (relative paths are resolved "
                            f"from {os.getcwd()!r}).")
    if os.path.isdir(path):
        raise EdgeListError(f"{what} {path!r} is a directory, not a file.")
    fh = open(path, newline="", encoding=_text_encoding(path, what))
    try:
        sep = _csv_delimiter(fh)
    except BaseException:
        fh.close()
        raise
    return fh, csv.DictReader(fh, delimiter=sep), sep == ";"


def _probability_column(probability, cols, path):
    """The column to read probabilities from, or None (see read_follower_csv)."""
    found = _find_column(cols, "probability")
    if probability is None and found is not None:
        return found
    if probability is False:
        if found is not None:
            log.info("%s: its %r column is not read (a probabilities scheme "
                     "sets them; probabilities=keep reads it)", path, found)
        return None
    if probability:
        return _find_column(cols, probability) or probability
    return probability


# header pairs recognised when source/target are left at their defaults:
# (column whose comments reach the other, column that sees them, how a row reads)
_PAIRS = (
    ("source", "target", "{u} -> {v}"),
    ("from", "to", "{u} -> {v}"),
    ("followed", "follower", "{v} follows {u}"),
    ("follows", "user", "{v} follows {u}"),
    ("following", "user", "{v} follows {u}"),
)
# names that, as 'source', reverse every edge: the follower is the one who sees
_SEES = ("follower", "user", "followedby")
_SEEN = ("followed", "follows", "following")


def _follower_columns(cols, source, target, path):
    """``(source column, target column)`` of a follower CSV's header: the names
    given (case and spaces ignored), or with the defaults a recognised pair
    (:data:`_PAIRS`). Names that would read every edge backwards are an error."""
    default = (source, target) == ("source", "target")
    if default:
        for u, v, how in _PAIRS:
            cu, cv = _find_column(cols, u), _find_column(cols, v)
            if cu is not None and cv is not None:
                return cu, cv, how
        pairs = "; ".join(f"{u},{v}" for u, v, _ in _PAIRS[:4])
        raise EdgeListError(
            f"{path}: no follower columns in the header {cols}. Name them source,target "
            f"(source's comments reach target), or use one of the pairs read without "
            f"settings ({pairs}), or name yours with source= and target= "
            f"(graph.source=... graph.target=... on the command line).")
    found = []
    for c in (source, target):
        hit = _find_column(cols, c)
        if hit is None:
            raise EdgeListError(f"{path}: no column {c!r} in the header {cols}. Name the "
                                f"columns with source=, target= (and probability=).")
        found.append(hit)
    if _key(found[0]) in _SEES or _key(found[1]) in _SEEN:
        raise EdgeListError(
            f"{path}: source={source!r}, target={target!r} reads every edge backwards: the "
            f"source is the account whose comments reach the target, its follower. Swap "
            f"them (source={target!r}, target={source!r}), or leave both unset: the pairs "
            f"followed,follower and follows,user are read the right way round.")
    return found[0], found[1], "{u} -> {v}"


def _say_direction(path, su, tv, how, first):
    """Log which way the follower CSV's edges were read, with its first row as the example."""
    u, v = first
    log.info("%s: edges read from column %r to column %r (first row: %s, so %s's posts "
             "reach %s)", path, su, tv, how.format(u=u, v=v), u, v)


def _read_follower_rows(path, source, target, probability):
    """The follower CSV's ``(sources, targets, probabilities or None)``."""
    src, dst, pr, lines = [], [], [], []
    fh, reader, comma = _open_csv(path, "Follower CSV")
    with fh:
        cols = reader.fieldnames or []
        if not cols:
            raise EdgeListError(f"Follower CSV {path!r} is empty: it needs a header row "
                                f"({source},{target}[,probability]) and one row per follow tie.")
        _check_unique_columns(cols, path)
        probability = _probability_column(probability, cols, path)
        if probability and probability not in cols:
            raise EdgeListError(f"{path}: no column {probability!r} in the header {cols}. Name "
                                f"the columns with source=, target= (and probability=).")
        source, target, how = _follower_columns(cols, source, target, path)
        for row in reader:
            u, v = (row[source] or "").strip(), (row[target] or "").strip()
            _check_nul(path, reader.line_num, u, v)
            if not u or not v:
                raise EdgeListError(f"{path}:{reader.line_num}: a row needs both {source!r} and "
                                    f"{target!r}; got {row}. Fix or remove the row.")
            src.append(u)
            dst.append(v)
            if probability:
                pr.append(_csv_number(row[probability], path, reader.line_num, probability,
                                      comma=comma))
                lines.append(reader.line_num)
    if not src:
        raise EdgeListError(f"Follower CSV {path!r} has no rows.")
    _say_direction(path, source, target, how, (src[0], dst[0]))
    return src, dst, (_csv_probabilities(pr, lines, path, probability) if probability else None)


def _csv_probabilities(pr, lines, path, probability):
    """The probability column as an array, every value in [0, 1] (else the first row that is not)."""
    p = np.asarray(pr, dtype=np.float64)
    bad = np.flatnonzero(~((p >= 0.0) & (p <= 1.0)))
    if bad.size:
        raise EdgeListError(
            f"{path}:{lines[int(bad[0])]}: the {probability!r} is {p[bad[0]]}, outside [0, 1] "
            f"({bad.size} such row(s)). Fix the file; if the column holds weights, not "
            f"probabilities, rename it and pick a scheme (e.g. probabilities=weighted_cascade)."
        )
    return p


def _with_consumers(g, at, attrs, consumers):
    """``g`` with the consumers CSV's columns as node attributes (``at``: each
    consumer row's node); every node must have a row."""
    listed = np.zeros(g.n_nodes, dtype=bool)
    listed[at] = True
    if not listed.all():
        missing = g.labels[~listed].tolist()
        names = ", ".join(shown(x) for x in missing[:10])
        raise EdgeListError(
            f"{consumers}: {len(missing)} consumer(s) of the follower list have no row: "
            f"{names}{' ...' if len(missing) > 10 else ''}. Give every consumer a row."
        )
    alone = int((g.out_degree()[at] + g.in_degree()[at] == 0).sum())
    if alone:
        log.info("%s: %d consumer(s) follow no one and have no follower (kept, isolated)",
                 consumers, alone)
    for col, vals in attrs.items():
        full = np.full(g.n_nodes, np.nan) if vals.dtype.kind == "f" else np.full(g.n_nodes, "",
                                                                                    dtype=object)
        full[at] = vals
        g = g.with_node_attr(col, full)
    return g


def _check_unique_columns(cols, path):
    """A header that names a column twice is ambiguous (which one holds the ids?)."""
    seen = set()
    for c in cols:
        if c in seen:
            raise EdgeListError(f"{path}: the header names the column {c!r} twice ({cols}). "
                                "Rename or remove one of them.")
        seen.add(c)


def _check_nul(path, line, *cells):
    """No NUL character in an id cell (a binary or corrupt file)."""
    if any("\x00" in c for c in cells):
        raise EdgeListError(f"{path}:{line}: an id contains a NUL character: the file is binary "
                            "or corrupt. Remove the NUL bytes or re-export it as text.")


def _csv_delimiter(fh):
    """The header line's separator: ',' unless it has none and has ';' (spreadsheets
    in locales with a decimal comma), a tab or '|'. Leaves ``fh`` at the start."""
    head = fh.readline()
    fh.seek(0)
    return next((d for d in ",;\t|" if d in head), ",")


def _csv_number(text, path, line, col, comma=False):
    """:func:`_to_float` of a CSV cell, or an error naming the file, line and column."""
    try:
        v = _to_float(text, comma)
    except (TypeError, ValueError):
        raise EdgeListError(f"{path}:{line}: the {col!r} value {text!r} is not a number.") from None
    if not math.isfinite(v):  # "nan", "inf": numbers to float(), not to a marketer
        raise EdgeListError(f"{path}:{line}: the {col!r} value {text!r} is not a finite number.")
    return v


def _read_consumers(path, id_column):
    """Rows ``(id, line, row)`` of a consumers CSV, and its numeric columns as arrays."""
    path = os.fspath(path)
    fh, reader, comma = _open_csv(path, "Consumers CSV")
    with fh:
        cols = reader.fieldnames or []
        _check_unique_columns(cols, path)
        given, id_column = id_column, _find_column(cols, id_column)
        if id_column is None:
            raise EdgeListError(f"{path}: needs a header with an {given!r} column; got {cols}.")
        rows, seen = [], {}
        for row in reader:
            cid = (row[id_column] or "").strip()
            if not cid:
                raise EdgeListError(f"{path}:{reader.line_num}: no {id_column!r}; got {row}.")
            _check_nul(path, reader.line_num, cid)
            if cid in seen:
                raise EdgeListError(f"{path}:{reader.line_num}: consumer {cid!r} again (first on "
                                    f"line {seen[cid]}). Give each consumer one row.")
            seen[cid] = reader.line_num
            rows.append((cid, reader.line_num, row))
    if not rows:
        raise EdgeListError(f"Consumers CSV {path!r} has no rows.")
    attrs = {}
    for col in cols:
        if col == id_column or col is None:
            continue
        name = col.strip()
        if not name:
            log.info("%s: a column without a name is not read", path)
            continue
        attrs[name] = _consumer_column(rows, col, path, comma)
    return rows, attrs


def _consumer_column(rows, col, path, comma):
    """A consumers CSV column as numbers, or as text (names, a segment such as
    ``students``: an object array of str) when no cell is a number."""
    texts = [((row[col] or "").strip(), line) for _, line, row in rows]
    if not any(_is_number(t, comma) for t, _ in texts if t):
        log.info("%s: column %r is text: kept as a text attribute", path, col.strip())
        return np.array([t for t, _ in texts], dtype=object)
    vals = np.empty(len(rows))
    for i, (text, line) in enumerate(texts):
        if not text:
            raise EdgeListError(f"{path}:{line}: no {col!r} value. Every consumer needs one, "
                                f"or drop the column.")
        vals[i] = _csv_number(text, path, line, col, comma=comma)
    return vals


# ---------------------------------------------------------------------- binary graphs
_GRAPH_FORMAT = "viralsim-graph-1"


def save_graph(graph, path):
    """Write a graph as a binary ``.npz`` file that :func:`read_graph` reads back.

    An uncompressed NumPy zip of the CSR arrays as they are in memory
    (``indptr`` int64, ``indices`` int32, ``probs`` float32 when set), the
    labels and the node attributes, so reading it is a copy (or a memory
    map) and no parse: about ``8 * n_nodes + 8 * n_edges`` bytes with
    probabilities. The layout is documented in ``docs/data.md`` ("Binary
    graphs"). String labels are stored as fixed-width unicode.

    Parameters
    ----------
    graph : FollowerGraph
    path : str or os.PathLike
        The file to write; ``.npz`` is appended when the name lacks it
        (as :func:`numpy.savez` does). A name ending in ``.parquet`` writes
        a Parquet edge list instead (:func:`write_parquet`).

    Returns
    -------
    str
        The path written.

    Examples
    --------
    >>> import os, tempfile, viralsim as vs
    >>> from viralsim.io import read_graph, save_graph
    >>> g = vs.FollowerGraph.from_edges(["a", "b"], ["b", "c"], probs=0.5)
    >>> path = save_graph(g, os.path.join(tempfile.mkdtemp(), "g.npz"))
    >>> read_graph(path) == g
    True
    """
    if not isinstance(graph, FollowerGraph):
        raise TypeError(f"The 'graph' parameter of save_graph must be a FollowerGraph. Got "
                        f"{type(graph).__name__} instead.")
    path = os.fspath(path)
    if path.lower().endswith((".parquet", ".pq")):
        return write_parquet(graph, path)
    if not path.endswith(".npz"):
        path += ".npz"
    labels = graph.labels
    if labels.dtype == object:
        if not all(isinstance(x, str) for x in labels.tolist()):
            raise TypeError("save_graph: labels must be ints or strings to be saved; relabel "
                            "the graph with ints or strings first.")
        labels = labels.astype(str)
    arrays = {"format": np.array(_GRAPH_FORMAT), "indptr": graph.indptr,
              "indices": graph.indices, "labels": labels}
    if graph.probs is not None:
        arrays["probs"] = graph.probs
    for name, arr in graph.node_attrs.items():
        arrays["attr:" + name] = arr
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def _npz_member_offsets(path):
    """``{name: (offset of the .npy data, dtype, shape)}`` of an uncompressed npz's
    members, read from the zip and .npy headers (for memory maps)."""
    import struct
    import zipfile

    out = {}
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        for info in zf.infolist():
            if info.compress_type != zipfile.ZIP_STORED:
                return None
            fh.seek(info.header_offset)
            local = fh.read(30)
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                return None
            if fortran or dtype.hasobject:
                return None
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            out[name] = (fh.tell(), dtype, shape)
    return out


def read_graph(path, *, mmap=False, validate=True):
    """Read a graph written by :func:`save_graph` (or :meth:`FollowerGraph.save`),
    or a Parquet edge list.

    Much faster than a text edge list: the arrays are read as they are
    stored, or memory-mapped (``mmap=True``: nothing is read until used,
    and the operating system shares the pages between processes reading
    the same file). A ``.parquet`` file (or any file that starts with
    Parquet's magic bytes) is read by :func:`read_parquet` as a directed
    edge list ``source, target[, probability]`` (needs pyarrow:
    ``pip install ".[parquet]"``; ``mmap`` does not apply to it).

    Parameters
    ----------
    path : str or os.PathLike
    mmap : bool, default False
        Map the edge arrays from the file instead of reading them (the file
        must then stay in place while the graph is used).
    validate : bool, default True
        Check the CSR (row pointers, node indices in range, rows in canonical
        order, probabilities in [0, 1]): one pass over the edges, about a
        second per 100 million. Pass False only for files this library wrote.

    Returns
    -------
    FollowerGraph

    Raises
    ------
    EdgeListError
        A missing file, a file that is not a saved graph, or arrays that do
        not form a valid graph (the message says which check failed).

    Examples
    --------
    >>> import os, tempfile, viralsim as vs
    >>> from viralsim.io import read_graph
    >>> g = vs.generators.power_law(1000, 5, rng=0)
    >>> path = g.save(os.path.join(tempfile.mkdtemp(), "g.npz"))
    >>> read_graph(path, mmap=True) == g
    True
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise EdgeListNotFound(f"Graph file {path!r} does not exist. Check the path (relative "
                               f"paths are resolved from {os.getcwd()!r}).")
    if _is_parquet(path):
        return read_parquet(path, validate=validate)
    try:
        with np.load(path, allow_pickle=False) as z:
            names = set(z.files)
            fmt = str(z["format"]) if "format" in names else None
            if fmt != _GRAPH_FORMAT:
                raise ValueError
            small = {k: z[k] for k in names if k == "labels" or k.startswith("attr:")}
            big = _edge_arrays(path, z, names, mmap)
    except (ValueError, OSError, KeyError) as exc:
        raise EdgeListError(
            f"{path}: not a graph file written by viralsim.io.save_graph ({exc or 'no format '}"
            f"marker). Read text edge lists with read_edgelist.") from None
    indptr, indices, probs = big.get("indptr"), big.get("indices"), big.get("probs")
    labels = small.get("labels")
    if labels is not None and labels.dtype.kind == "U":
        labels = labels.astype(object)
    attrs = {k[5:]: v for k, v in small.items() if k.startswith("attr:")}
    if validate:
        _check_saved_graph(path, indptr, indices, probs, labels, attrs)
    return FollowerGraph._from_canonical(indptr, indices, probs, labels, attrs)


def _edge_arrays(path, z, names, mmap):
    """The saved CSR arrays of an open ``.npz``: mapped from the file where it stores them
    uncompressed and ``mmap`` is asked for, else read into memory."""
    offsets = _npz_member_offsets(path) if mmap else None
    big = {}
    for k in ("indptr", "indices", "probs"):
        if k not in names:
            continue
        if offsets is not None and k in offsets:
            off, dtype, shape = offsets[k]
            big[k] = np.memmap(path, dtype=dtype, mode="r", offset=off, shape=shape)
        else:
            big[k] = z[k]
    return big


def _check_saved_graph(path, indptr, indices, probs, labels, attrs):
    # complexity ~22 from a flat list of invariants (dtypes, shapes, row pointers, then
    # one pass over the edges), each refused with its own message: kept as one list
    from ._kernels.config import readonly
    from ._kernels.gen import check_csr

    def bad(what):
        return EdgeListError(f"{path}: not a valid saved graph: {what}. Write it again with "
                             "viralsim.io.save_graph.")

    if indptr is None or indices is None or labels is None:
        raise bad("the indptr, indices or labels array is missing")
    if (indptr.dtype != np.int64 or indices.dtype != np.int32 or indptr.ndim != 1
            or indices.ndim != 1 or (probs is not None and probs.dtype != np.float32)):
        raise bad("an array has the wrong dtype (indptr int64, indices int32, probs float32)")
    n = indptr.shape[0] - 1
    if (n < 0 or labels.shape != (n,) or indptr[0] != 0 or indptr[-1] != indices.shape[0]
            or (n and (np.diff(indptr) < 0).any())):
        raise bad("the row pointers do not match the edges or the labels")
    if probs is not None and probs.shape != indices.shape:
        raise bad("probs and indices differ in length")
    if any(np.shape(v) != (n,) for v in attrs.values()):
        raise bad("a node attribute does not have one value per node")
    has = probs is not None
    p = probs if has else np.zeros(0, np.float32)
    e = check_csr(readonly(indptr), readonly(indices), readonly(p), has)
    if e >= 0:
        raise bad(f"edge {e} is out of range, a self-loop, a repeat or out of row order")


# ---------------------------------------------------------------------- Parquet edge files
_PARQUET_FORMAT = "viralsim-edges-1"
_PARQUET_KEY = b"viralsim"


def _pyarrow_parquet(func):
    """``pyarrow.parquet``, or the one-line error that names the extra to install."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(f"{func}: Parquet edge files need pyarrow. Install it with "
                          f"pip install \".[parquet]\" (or pip install pyarrow), or use a "
                          f"text or .npz file.") from None
    return pa, pq


def _is_parquet(path):
    """A ``.parquet`` name, or a file that starts with Parquet's magic bytes."""
    if os.fspath(path).lower().endswith((".parquet", ".pq")):
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"PAR1"
    except OSError:
        return False


def write_parquet(graph, path, *, compression="snappy"):
    """Write a graph's edges as a Parquet edge list (``source``, ``target``,
    ``probability`` when set), one row per edge in the graph's order.

    Any tool that reads Parquet (pandas, polars, Spark, DuckDB) reads the
    file; :func:`read_graph` (or :func:`read_parquet`) reads it back much
    faster than a text edge list. The ids are the graph's labels (int64 or
    text). An edge list holds edges only, so a graph with node attributes is
    refused (save it as ``.npz``), and so is one with consumers outside every
    edge, unless its labels are ``0 .. n_nodes - 1`` (the count of nodes is
    kept in the file's metadata then, as for generated graphs).

    Parameters
    ----------
    graph : FollowerGraph
    path : str or os.PathLike
        The file to write (``.parquet`` is appended when the name lacks it).
    compression : str, default "snappy"
        Any codec pyarrow writes ("snappy", "zstd", "none", ...).

    Returns
    -------
    str
        The path written.

    Raises
    ------
    ImportError
        pyarrow is not installed (``pip install ".[parquet]"``).
    ValueError
        Node attributes, or isolated consumers with labels other than
        ``0 .. n_nodes - 1``: the edge list would lose them.

    Examples
    --------
    >>> import os, tempfile, viralsim as vs
    >>> from viralsim.io import write_parquet
    >>> g = vs.FollowerGraph.from_edges(["ann", "bob"], ["bob", "cid"], probs=0.5)
    >>> path = write_parquet(g, os.path.join(tempfile.mkdtemp(), "g.parquet"))
    >>> vs.read_graph(path) == g
    True
    """
    import json

    func = "write_parquet"
    if not isinstance(graph, FollowerGraph):
        raise TypeError(f"The 'graph' parameter of {func} must be a FollowerGraph. Got "
                        f"{type(graph).__name__} instead.")
    pa, pq = _pyarrow_parquet(func)
    path = os.fspath(path)
    if not path.lower().endswith((".parquet", ".pq")):
        path += ".parquet"
    if graph.node_attrs:
        raise ValueError(f"{func}: a Parquet edge list holds edges only, and the graph has node "
                         f"attributes ({', '.join(sorted(graph.node_attrs))}). Save it as .npz "
                         "(graph.save('g.npz')) to keep them.")
    labels = graph.labels
    n = graph.n_nodes
    identity = labels.dtype.kind in "iu" and np.array_equal(labels, np.arange(n))
    if not identity:
        touched = np.zeros(n, dtype=bool)
        touched[graph.indices] = True
        touched[np.diff(graph.indptr) > 0] = True
        if not touched.all():
            raise ValueError(f"{func}: {int(n - touched.sum())} consumer(s) have no edge, and an "
                             "edge list names only consumers with an edge. Save the graph as .npz "
                             "(graph.save('g.npz')) to keep them.")
    src = np.repeat(np.arange(n, dtype=np.intp), np.diff(graph.indptr))
    if identity:  # int32 ids, as the graph holds them: read back without a conversion
        cols = {"source": pa.array(src.astype(np.int32)), "target": pa.array(graph.indices)}
    elif labels.dtype.kind in "iu":
        cols = {"source": pa.array(labels[src].astype(np.int64)),
                "target": pa.array(labels[graph.indices].astype(np.int64))}
    else:
        if labels.dtype.kind == "O" and not all(isinstance(x, str) for x in labels.tolist()):
            raise TypeError(f"{func}: labels must be ints or strings to be written; relabel the "
                            "graph with ints or strings first.")
        text = pa.array(labels.astype(object).tolist(), type=pa.string())
        cols = {"source": text.take(pa.array(src)),
                "target": text.take(pa.array(graph.indices))}
    del src
    if graph.probs is not None:
        cols["probability"] = pa.array(graph.probs)
    meta = {"format": _PARQUET_FORMAT, "n_nodes": n, "identity_labels": bool(identity)}
    table = pa.table(cols).replace_schema_metadata({_PARQUET_KEY: json.dumps(meta).encode()})
    pq.write_table(table, path, compression=compression)
    return path


def read_parquet(path, *, directed=True, source="source", target="target",
                 probability="probability", validate=True):
    """Read a follower graph from a Parquet edge list.

    One row per follower edge: ``target`` follows ``source`` (integer or
    text ids), with an optional ``probability`` column. The result is the
    graph :func:`read_edgelist` makes of the same edges written as text
    (same labels, same edges, same probabilities, same warnings for
    self-loops and repeats), read at the speed of the columns: no text to
    parse. A file written by :func:`write_parquet` from a graph labelled
    ``0 .. n_nodes - 1`` (generated graphs) is read without relabelling or
    sorting, and keeps its consumers without edges.

    Parameters
    ----------
    path : str or os.PathLike
    directed : bool, default True
        As in :func:`read_edgelist`: ``False`` reads each row as a mutual tie.
    source, target, probability : str
        Column names. A missing ``probability`` column leaves the graph
        without probabilities.
    validate : bool, default True
        For a :func:`write_parquet` file read without relabelling: check the
        rows are in canonical CSR order (one pass over the edges).

    Returns
    -------
    FollowerGraph

    Raises
    ------
    ImportError
        pyarrow is not installed (``pip install ".[parquet]"``).
    EdgeListError
        A missing file, a file that is not Parquet, a missing column, an
        empty id or a probability outside [0, 1].

    Examples
    --------
    >>> import os, tempfile, viralsim as vs
    >>> from viralsim.io import read_parquet, write_parquet
    >>> g = vs.generators.power_law(1000, 5, rng=0, probabilities="weighted_cascade")
    >>> read_parquet(write_parquet(g, os.path.join(tempfile.mkdtemp(), "g"))) == g
    True
    """
    import json

    func = "read_parquet"
    if not isinstance(directed, (bool, np.bool_)):
        raise TypeError(f"The 'directed' parameter of {func} must be True or False. Got "
                        f"{directed!r} instead.")
    pa, pq = _pyarrow_parquet(func)
    path = os.fspath(path)
    if not os.path.exists(path):
        raise EdgeListNotFound(f"Edge file {path!r} does not exist. Check the path (relative "
                               f"paths are resolved from {os.getcwd()!r}).")
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise EdgeListError(f"{path}: not a Parquet file ({exc}). Read text edge lists with "
                            "read_edgelist.") from None
    names = schema.names
    for col in (source, target):
        if col not in names:
            raise EdgeListError(f"{path}: no column {col!r} (the columns are {names}). Name the "
                                "columns with source=, target= and probability=.")
    cols = [source, target] + ([probability] if probability in names else [])
    table = pq.read_table(path, columns=cols)
    meta = json.loads((schema.metadata or {}).get(_PARQUET_KEY, b"{}") or b"{}")
    if (meta.get("format") == _PARQUET_FORMAT and meta.get("identity_labels") and directed
            and (source, target) == ("source", "target")):
        g = _canonical_parquet(table, probability if probability in names else None,
                               int(meta["n_nodes"]), validate)
        if g is not None:
            return g
    s = _parquet_column(table, source, path)
    d = _parquet_column(table, target, path)
    p = _parquet_probabilities(table, probability, path) if probability in names else None
    del table
    if s.size == 0:
        raise EdgeListError(f"Edge file {path!r} contains no edges.")
    if s.dtype.kind == "i" and d.dtype.kind == "i":
        ids = np.concatenate([s, d])
        del s, d
        labels, inverse = _int_labels(ids)
        del ids
    else:
        labels, inverse = label_ids([str(x) if isinstance(x, (int, np.integer)) else x
                                     for x in s.tolist() + d.tolist()])
    return _build(labels, inverse, p, directed, None, None, path)


def _parquet_column(table, name, path):
    """An id column as int64 (integer columns) or an object array of texts."""
    import pyarrow as pa

    col = table.column(name)
    if col.null_count:
        raise EdgeListError(f"{path}: column {name!r} has {col.null_count} empty id(s). Give "
                            "every edge both ends.")
    if pa.types.is_integer(col.type):
        ids = col.to_numpy()
        if ids.dtype == np.uint64 and ids.size and ids.max() > np.iinfo(np.int64).max:
            raise EdgeListError(f"{path}: column {name!r} has ids beyond int64. Write them as "
                                "text ids.")
        return ids.astype(np.int64, copy=False)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return col.to_numpy(zero_copy_only=False)
    raise EdgeListError(f"{path}: column {name!r} holds {col.type}, not integer or text ids. "
                        "Write the ids as integers or strings.")


def _parquet_probabilities(table, name, path):
    """The probability column as float64, checked in [0, 1]."""
    import pyarrow as pa

    col = table.column(name)
    if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)) or col.null_count:
        raise EdgeListError(f"{path}: column {name!r} must hold a probability on every row "
                            f"(numbers, no empty cells); it holds {col.type} with "
                            f"{col.null_count} empty. Fix the column or pass probability=None.")
    p = col.to_numpy().astype(np.float64, copy=False)
    bad = ~((p >= 0.0) & (p <= 1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise EdgeListError(f"{path}: row {i} has probability {float(p[i])!r}, outside [0, 1]. Fix the "
                            "value or pass probability=None.")
    return p


def _canonical_parquet(table, probability, n, validate):
    """The graph of a :func:`write_parquet` file with labels ``0 .. n - 1`` (rows in CSR
    order), with no relabelling or sort: one pass builds the row pointers, one checks
    the rows. None when the columns are not what that writer wrote (the general reader
    then reads the file)."""
    import pyarrow as pa

    from ._kernels.config import readonly
    from ._kernels.csr import rows_of_sorted
    from ._kernels.gen import check_csr

    s, d = table.column("source"), table.column("target")
    if not (pa.types.is_integer(s.type) and pa.types.is_integer(d.type)) or s.null_count \
            or d.null_count or n < 0 or n > 2**31 - 2:
        return None
    probs = None
    if probability is not None:
        pc = table.column(probability)
        if not pa.types.is_float32(pc.type) or pc.null_count:
            return None
        probs = pc.to_numpy()
    s = s.to_numpy()
    indptr, ok = rows_of_sorted(s, n)
    del s
    if not ok:
        return None
    d = d.to_numpy()
    if d.dtype != np.int32:
        if d.size and (d.min() < 0 or d.max() >= n):
            return None
        d = d.astype(np.int32)
    if validate:
        p = probs if probs is not None else np.zeros(0, np.float32)
        if check_csr(readonly(indptr), readonly(d), readonly(p), probs is not None) >= 0:
            return None
    elif (d.size and (d.min() < 0 or d.max() >= n)) or (
            probs is not None and not ((probs >= 0) & (probs <= 1)).all()):
        return None
    return FollowerGraph._from_canonical(indptr, d, probs, np.arange(n, dtype=np.int64), {})
