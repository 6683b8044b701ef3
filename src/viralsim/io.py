"""Reading follower graphs from SNAP-style edge lists (plain text or gzip)."""

import gzip
import itertools
import os
import warnings

import numpy as np

from .exceptions import EdgeListError
from .graph import FollowerGraph

__all__ = ["read_edgelist", "EdgeListNotFound"]


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
    i8, f8 = np.int64, np.float64
    try:
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
    the name).

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
            f"The 'probs' parameter of {func} must be 'auto', True or False. Got {probs!r} instead."
        )
    if not isinstance(directed, (bool, np.bool_)):
        raise TypeError(
            f"The 'directed' parameter of {func} must be True or False. Got {directed!r} instead."
        )
    path = os.fspath(path)
    if not os.path.exists(path):
        raise EdgeListNotFound(
            f"Edge list {path!r} does not exist. Check the path (relative paths are "
            f"resolved from {os.getcwd()!r})."
        )
    if os.path.isdir(path):
        raise EdgeListError(f"Edge list {path!r} is a directory, not a file.")
    comments = tuple(comments)
    fast = _read_integer_ids(path, comments, header, probs)
    if fast is not None:
        a, p = fast
        ids = np.concatenate([a["d"], a["s"]] if reverse else [a["s"], a["d"]])
        del a, fast  # the parsed table (16-24 bytes per edge) is not needed any more
        labels, inverse = _int_labels(ids)
        del ids
        return _build(labels, inverse, p, directed, probabilities, rng, path)
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
                parts = s.split()
                if len(parts) < 2:
                    csv_hint = (
                        " Its fields are separated by commas or semicolons: for a CSV with a "
                        "header row (source,target[,probability]) use "
                        "viralsim.experiments.read_follower_csv (graph=follower_csv on the "
                        "command line)." if ("," in s or ";" in s) else "")
                    raise EdgeListError(
                        f"{path}:{lineno}: expected 'source target [probability]' separated by "
                        f"spaces or tabs, got {s!r}.{csv_hint}"
                    )
                src.append(parts[0])
                dst.append(parts[1])
                if probs is not False:
                    has = len(parts) >= 3
                    if ncols is None:
                        ncols = has
                    if probs is True and not has:
                        raise EdgeListError(
                            f"{path}:{lineno}: probs=True needs a probability column, got {s!r}."
                        )
                    if has != ncols and probs == "auto":
                        header_like = (has and len(src) == 2 and not header  # "n m", then edges
                                       and _is_float(parts[2]))
                        raise EdgeListError(
                            f"{path}:{lineno}: some lines have a probability column and some do "
                            f"not (got {s!r}). "
                            + ("The first line may be a header ('n m'): pass header=True "
                               "(graph.header=true on the command line). " if header_like else "")
                            + "Fix the file, or pass probs=False to ignore the column "
                            "(graph.probs=false on the command line)."
                        )
                    if has:
                        pcol.append(parts[2])
                        plines.append(lineno)
        except UnicodeDecodeError as exc:
            raise EdgeListError(f"{path}: not a text edge list ({exc}).") from None
    if not src:
        raise EdgeListError(
            f"Edge list {path!r} contains no edges (only comments or blank lines, or nothing)."
        )
    p = None
    if pcol:
        try:
            p = np.array(pcol, dtype=np.float64)
        except ValueError:
            for tok, ln in zip(pcol, plines):
                try:
                    float(tok)
                except ValueError:
                    raise EdgeListError(
                        f"{path}:{ln}: the probability {tok!r} is not a number. Fix the file or "
                        "pass probs=False to ignore the third column (graph.probs=false on the "
                        "command line)."
                    ) from None
        bad = np.flatnonzero(~((p >= 0.0) & (p <= 1.0)))
        if bad.size:
            i = int(bad[0])
            raise EdgeListError(
                f"{path}:{plines[i]}: the probability {pcol[i]} is outside [0, 1] "
                f"({bad.size} such line(s)). If the third column holds counts or weights, pass "
                "probs=False and set probabilities with with_probabilities(...) (on the command "
                "line: graph.probs=false and a probabilities= scheme)."
            )
    if reverse:
        src, dst = dst, src
    labels, inverse = label_ids(src + dst)
    return _build(labels, inverse, p, directed, probabilities, rng, path)


def label_ids(tokens, *, canonical_ints=False):
    """``(labels, inverse)`` of a list of id strings: sorted int64 labels when
    every id is an integer within int64, else sorted strings (object array);
    ``labels[inverse]`` gives the ids back. ``canonical_ints``: integers only
    when every id is written as Python writes its integer ("7", "-3"; not
    "007" or "+7"), so that "007" and "7" stay two consumers."""
    if canonical_ints and not all(t == str(int(t)) if _is_int(t) else False for t in tokens):
        labels, inverse = np.unique(np.array(tokens), return_inverse=True)
        return labels.astype(object), inverse
    tokens = np.array(tokens)
    try:
        return _int_labels(tokens.astype(np.int64))
    except (ValueError, OverflowError):
        labels, inverse = np.unique(tokens, return_inverse=True)
        return labels.astype(object), inverse


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


def _is_float(t):
    try:
        float(t)
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
        s_idx, d_idx, p = _one_line_per_tie(s_idx, d_idx, p, labels, path)
        s_idx, d_idx = np.concatenate([s_idx, d_idx]), np.concatenate([d_idx, s_idx])
        if p is not None:
            p = np.concatenate([p, p])
    g = FollowerGraph.from_edges(s_idx, d_idx, probs=p, labels=labels)
    if probabilities is not None:
        g = g.with_probabilities(probabilities, rng=rng)
    return g
