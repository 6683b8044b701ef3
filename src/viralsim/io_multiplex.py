"""Reading a multiplex follower graph: one follower CSV per platform, or one CSV
with a ``platform`` column (issue 18).

The rows are read as :func:`viralsim.io.read_follower_csv` reads them (same
separators, encodings, header pairs, direction rules and id rule), and every
platform's layer is built over one set of consumers: the ids of all the files
(and of a consumers file).
"""

import logging
import os

import numpy as np

from .exceptions import EdgeListError
from .graph import FollowerGraph

__all__ = ["read_multiplex"]

log = logging.getLogger("viralsim")


def read_multiplex(files, *, platform_column="platform", source="source", target="target",
                   probability=None, probabilities=None, consumers=None, id_column="id",
                   directed=True, comment_probs=None, rng=None):
    """Follower lists of several platforms as one :class:`~viralsim.MultiplexGraph`.

    Parameters
    ----------
    files : dict of str to path, or a path
        ``{platform: follower CSV}``, one file per platform; or one CSV whose
        ``platform_column`` names each row's platform.
    platform_column : str, default "platform"
        With one file: the column naming the platform (case and spaces
        ignored; platform names are lower-cased).
    source, target, probability
        As :func:`viralsim.io.read_follower_csv` (``target`` follows
        ``source``; ``probability``: the column of edge probabilities).
    probabilities : float or str, optional
        A scheme for every layer (:meth:`FollowerGraph.with_probabilities`,
        e.g. ``0.05`` or ``"weighted_cascade"``), replacing the files'
        probabilities; needed when a file has none.
    consumers : path, optional
        A consumers CSV keyed by ``id_column``: its other columns become node
        attributes (segments, costs), as in ``read_follower_csv``, and it may
        add consumers found in no follower list. A column named like a
        platform (``instagram``: 1/0, yes/no, true/false) adds those
        consumers to the platform's members.
    id_column : str, default "id"
    directed : bool, default True
        False: each row is a mutual tie.
    comment_probs : dict of str to float, optional
        Per platform, passed to :class:`~viralsim.MultiplexGraph`.
    rng : int, Generator, optional
        For random probability schemes (each layer draws in turn).

    Returns
    -------
    MultiplexGraph
        Consumers: every id of the files (and the consumers file), labelled
        by the id rule of :func:`viralsim.io.label_ids`. A platform's members
        are the consumers appearing in its rows (as account or follower),
        plus those the consumers file marks.

    Raises
    ------
    EdgeListError
        One line naming the file and the fix: a missing file or column, a row
        without a platform, a layer without probabilities.

    Examples
    --------
    >>> import os, tempfile
    >>> import viralsim as vs
    >>> d = tempfile.mkdtemp()
    >>> with open(os.path.join(d, "f.csv"), "w") as fh:
    ...     _ = fh.write("platform,source,target\\nInstagram,ann,bob\\nTikTok,bob,cid\\n")
    >>> mg = vs.read_multiplex(os.path.join(d, "f.csv"), probabilities=0.5)
    >>> mg.platforms, mg.base.labels.tolist()
    (('instagram', 'tiktok'), ['ann', 'bob', 'cid'])
    >>> mg.members["tiktok"].tolist()
    [False, True, True]
    """
    from .channels import MultiplexGraph
    from .io import _read_follower_rows, label_ids

    f = "read_multiplex"
    if isinstance(files, dict):
        if not files:
            raise EdgeListError(f"{f}: 'files' is empty; give {{platform: follower CSV}} or "
                                "one CSV with a platform column.")
        parts = {}
        for name, path in files.items():
            plat = _platform_name(name, f)
            if plat in parts:
                raise EdgeListError(f"{f}: platform {plat!r} is given twice; give one file "
                                    "per platform.")
            parts[plat] = _read_follower_rows(os.fspath(path), source, target, probability)
            parts[plat] += (os.fspath(path),)
    elif isinstance(files, (str, os.PathLike)):
        parts = _read_platform_rows(os.fspath(files), platform_column, source, target,
                                    probability)
    else:
        raise TypeError(f"The 'files' parameter of {f} must be a dict of platform -> path or "
                        f"one path. Got {type(files).__name__} instead.")
    from .io import _read_consumers, _with_consumers

    rows, attrs = _read_consumers(consumers, id_column) if consumers else ([], {})
    tokens = []
    for src, dst, _, _ in parts.values():
        tokens += src
        tokens += dst
    labels, inverse = label_ids(tokens + [r[0] for r in rows])
    n = labels.size
    layers, members, at = {}, {}, 0
    for plat, (src, _dst, p, path) in parts.items():
        m = len(src)
        s_idx, d_idx = inverse[at:at + m], inverse[at + m:at + 2 * m]
        at += 2 * m
        if not directed:
            from .io import _mutual_edges

            s_idx, d_idx, p = _mutual_edges(s_idx, d_idx, p, labels, path)
        if probabilities is not None:
            p = None
        elif p is None:
            raise EdgeListError(
                f"{path}: platform {plat!r} has no probability column. Add one, or pass "
                "probabilities= (e.g. 0.05 or 'weighted_cascade') to set every layer's.")
        g = FollowerGraph.from_edges(s_idx, d_idx, probs=p, n_nodes=n, labels=labels)
        if probabilities is not None:
            g = g.with_probabilities(probabilities, rng=rng)
        mem = np.zeros(n, dtype=bool)
        mem[s_idx] = True
        mem[d_idx] = True
        layers[plat], members[plat] = g, mem
    if consumers:
        first = next(iter(layers))
        cat = inverse[at:]
        layers[first] = _with_consumers(layers[first], cat, attrs, consumers)
        for plat in layers:
            col = next((a for a in attrs if _platform_name(a, f) == plat), None)
            if col is not None:
                members[plat][cat] |= _yes(attrs[col], consumers, col)
        for plat in layers:  # attributes live on every layer (MultiplexGraph copies the first's)
            if plat != first:
                for a, v in layers[first].node_attrs.items():
                    layers[plat] = layers[plat].with_node_attr(a, v)
    for plat, mem in members.items():
        log.info("%s: platform %r: %d consumers, %d follow ties", f, plat, int(mem.sum()),
                 layers[plat].n_edges)
    return MultiplexGraph(layers, comment_probs=comment_probs, members=members)


def _platform_name(name, f):
    if not isinstance(name, str) or not name.strip():
        raise EdgeListError(f"{f}: a platform name must be a non-empty text (e.g. "
                            f"'instagram'). Got {name!r} instead.")
    return name.strip().lower()


def _yes(values, path, col):
    """A consumers-file membership column as booleans (1/0, yes/no, true/false)."""
    v = np.asarray(values)
    if v.dtype.kind == "f":
        return v > 0
    words = {"1": True, "yes": True, "y": True, "true": True, "x": True, "0": False,
             "no": False, "n": False, "false": False, "": False}
    out = np.zeros(v.size, dtype=bool)
    for i, t in enumerate(v):
        k = str(t).strip().lower()
        if k not in words:
            raise EdgeListError(f"{path}: column {col!r} marks platform members; {t!r} is not "
                                "one of 1/0, yes/no, true/false.")
        out[i] = words[k]
    return out


def _read_platform_rows(path, platform_column, source, target, probability):
    """``{platform: (sources, targets, probabilities or None, path)}`` of one CSV with
    a platform column, read with the follower CSV's rules."""
    from .io import (
        _check_nul,
        _check_unique_columns,
        _csv_number,
        _csv_probabilities,
        _find_column,
        _follower_columns,
        _open_csv,
        _probability_column,
        _say_direction,
    )

    fh, reader, comma = _open_csv(path, "Follower CSV")
    rows = {}
    with fh:
        cols = reader.fieldnames or []
        if not cols:
            raise EdgeListError(f"Follower CSV {path!r} is empty: it needs a header row "
                                f"({platform_column},{source},{target}).")
        _check_unique_columns(cols, path)
        pcol = _find_column(cols, platform_column)
        if pcol is None:
            raise EdgeListError(
                f"{path}: no {platform_column!r} column in the header {cols}. Name each "
                "row's platform in a 'platform' column (or platform_column=), or give one "
                "file per platform: read_multiplex({'instagram': path, ...}).")
        prob = _probability_column(probability, cols, path)
        if prob and prob not in cols:
            raise EdgeListError(f"{path}: no column {prob!r} in the header {cols}.")
        su, tv, how = _follower_columns([c for c in cols if c != pcol], source, target, path)
        first = None
        for row in reader:
            line = reader.line_num
            u, v = (row[su] or "").strip(), (row[tv] or "").strip()
            plat = (row[pcol] or "").strip().lower()
            _check_nul(path, line, u, v, plat)
            if not u or not v:
                raise EdgeListError(f"{path}:{line}: a row needs both {su!r} and {tv!r}; got "
                                    f"{row}. Fix or remove the row.")
            if not plat:
                raise EdgeListError(f"{path}:{line}: no {pcol!r}; every row names its "
                                    "platform (e.g. instagram).")
            s, d, pr, lines = rows.setdefault(plat, ([], [], [], []))
            s.append(u)
            d.append(v)
            if prob:
                pr.append(_csv_number(row[prob], path, line, prob, comma=comma))
                lines.append(line)
            first = first or (u, v)
    if not rows:
        raise EdgeListError(f"Follower CSV {path!r} has no rows.")
    _say_direction(path, su, tv, how, first)
    return {plat: (s, d, _csv_probabilities(pr, lines, path, prob) if prob else None, path)
            for plat, (s, d, pr, lines) in rows.items()}
