"""Tidy result tables that survive interruption.

A *job* (one run of the command-line application, or one job of a sweep)
writes into its own directory:

``results.csv`` (and ``results.parquet`` when pyarrow is installed)
    one row per (plan or strategy, k or budget, parameter value ...): the
    config keys that define the job, then ``mean``, ``ci_low``, ``ci_high``,
    ``stderr``, ``n_sims``, ``elapsed``, ``rng_seed``, ``version``.
``config.yaml``
    the composed configuration, resolved.
``meta.json``
    package and dependency versions, git revision (when run from a git
    checkout), host, start time and a hash of the configuration.
``DONE``
    the job-done marker, written **last**: a job directory without it is an
    interrupted job, whatever else it holds.

Every file is written atomically (a temporary file in the same directory,
flushed and fsynced, then :func:`os.replace`), so a killed job never leaves a
file that looks complete. A sweep merges the tables of its finished jobs into
one (:func:`merge_sweep`) and a re-run of the sweep skips the jobs whose
``DONE`` marker carries the same configuration hash (:func:`is_done`).

Nothing here imports Hydra; the application calls these functions.
"""

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import platform
import secrets
import subprocess
import sys
import time

__all__ = [
    "atomic_write",
    "write_text",
    "write_json",
    "write_table",
    "read_table",
    "write_meta",
    "environment",
    "config_hash",
    "mark_done",
    "is_done",
    "merge_sweep",
    "RESULT_COLUMNS",
]

#: Columns every experiment table has (others come first: the config keys).
RESULT_COLUMNS = ("mean", "ci_low", "ci_high", "stderr", "n_sims", "elapsed", "rng_seed", "version")

DONE = "DONE"
FAILED = "FAILED"
TABLE = "results.csv"


@contextlib.contextmanager
def atomic_write(path, mode="w", **kwargs):
    """Open a temporary file next to ``path``; on success rename it to ``path``.

    If the block raises (or the process dies), ``path`` is untouched: either
    the old file or no file, never a partial one. The temporary file is named
    ``.<name>.<random>.tmp`` and removed on error.

    Examples
    --------
    >>> import os, tempfile
    >>> from viralsim.results import atomic_write
    >>> d = tempfile.mkdtemp()
    >>> with atomic_write(os.path.join(d, "a.txt")) as fh:
    ...     _ = fh.write("hello")
    >>> with open(os.path.join(d, "a.txt")) as fh:
    ...     fh.read()
    'hello'
    """
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = _create_temp(d, os.path.basename(path))
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _create_temp(d, name):
    """A new temporary file next to ``name``, created with mode 0666 less the umask
    (mkstemp's 0600 would hide results from the others sharing a sweep)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(d, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {d}")


def write_text(path, text):
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def write_json(path, obj):
    write_text(path, json.dumps(obj, indent=1, sort_keys=True, default=_jsonable) + "\n")


def _jsonable(x):
    if hasattr(x, "item"):
        return x.item()
    if hasattr(x, "tolist"):
        return x.tolist()
    return str(x)


def _columns(rows):
    cols = []
    for r in rows:
        for c in r:
            if c not in cols:
                cols.append(c)
    # the result columns last, in their fixed order
    tail = [c for c in RESULT_COLUMNS if c in cols]
    return [c for c in cols if c not in tail] + tail


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    if isinstance(v, (list, tuple)):
        return " ".join(str(x) for x in v)
    if hasattr(v, "item"):
        return _cell(v.item())
    return str(v)


def write_table(rows, path, *, parquet=None):
    """Write ``rows`` (list of dicts) as CSV at ``path``, atomically.

    Columns are the union of the rows' keys in first-seen order, with
    :data:`RESULT_COLUMNS` last. Floats are written with ``repr`` (exact
    round trip). ``parquet=None`` also writes ``<path>.parquet`` (same stem)
    when pyarrow is importable; ``True`` requires it.

    Returns the list of paths written.
    """
    rows = list(rows)
    cols = _columns(rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in cols])
    write_text(path, buf.getvalue())
    written = [os.fspath(path)]
    if parquet is not False:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            if parquet:
                raise
        else:
            ppath = os.path.splitext(os.fspath(path))[0] + ".parquet"
            data = [{c: _plain(r.get(c)) for c in cols} for r in rows]
            for c in cols:  # one type per column: "4" and "4 1 0" (seed lists) are both text
                kinds = {type(r[c]) for r in data if r[c] is not None}
                huge = int in kinds and any(isinstance(r[c], int) and not -2**63 <= r[c] < 2**63
                                            for r in data)  # e.g. a seed of 20 digits
                if huge or (len(kinds) > 1 and not kinds <= {int, float}):
                    for r in data:
                        if r[c] is not None:
                            r[c] = str(r[c])
            table = pa.Table.from_pylist(data)
            with atomic_write(ppath, "wb") as fh:
                pq.write_table(table, fh)
            written.append(ppath)
    return written


def _plain(v):
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, (list, tuple)):
        return " ".join(str(x) for x in v)
    return v


def _parse(s):
    if s == "":
        return None
    for conv in (int, float):
        try:
            return conv(s)
        except ValueError:
            pass
    if s in ("True", "False"):
        return s == "True"
    return s


def read_table(path):
    """Read a table written by :func:`write_table`: list of dicts, numbers parsed."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [{k: _parse(v) for k, v in r.items()} for r in csv.DictReader(fh)]


def _version(dist):
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return None


def git_revision(path=None):
    """The git commit of the checkout holding ``path`` (or the cwd), or None."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=path or os.getcwd(),
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    rev = out.stdout.strip()
    if out.returncode != 0 or not rev:
        return None
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=path or os.getcwd(), capture_output=True, text=True, timeout=5,
    ).stdout.strip()
    return rev + ("-dirty" if dirty else "")


def environment():
    """Versions of viralsim, Python and the dependencies, the git revision, the host."""
    from . import __version__

    deps = ["numpy", "scipy", "networkx", "numba", "matplotlib", "hydra-core", "omegaconf",
            "tqdm", "pyarrow", "ray"]
    src = os.path.dirname(os.path.abspath(__file__))
    return {
        "viralsim": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "host": platform.node(),
        "dependencies": {d: _version(d) for d in deps if _version(d) is not None},
        "git_revision": git_revision(src) or git_revision(),
    }


def config_hash(cfg):
    """A stable hash of a (plain, JSON-able) configuration mapping."""
    blob = json.dumps(cfg, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def write_meta(out_dir, cfg, **extra):
    meta = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "config_hash": config_hash(cfg)}
    meta.update(environment())
    meta.update(extra)
    write_json(os.path.join(out_dir, "meta.json"), meta)
    return meta


def mark_done(out_dir, cfg, files=()):
    """Write the job-done marker (last thing a job does)."""
    write_json(os.path.join(out_dir, DONE), {"config_hash": config_hash(cfg), "files": list(files),
                                              "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")})


def clear_done(out_dir):
    """Remove the job's done and failed markers: a job (re)starting in ``out_dir`` is
    neither."""
    for name in (DONE, FAILED):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(out_dir, name))


def clear_previous(out_dir):
    """Before a run starts in ``out_dir``: remove the files an earlier finished run
    listed in its ``DONE`` marker (a campaign's budget curve must not sit beside a
    later estimate's report), then the markers. Only files inside ``out_dir``."""
    try:
        with open(os.path.join(out_dir, DONE)) as fh:
            files = json.load(fh).get("files") or []
    except (OSError, ValueError):
        files = []
    root = os.path.realpath(out_dir)
    for f in files:
        p = os.path.join(out_dir, str(f))
        # the name itself (a link, not what it points to), only directly in out_dir
        if (os.path.realpath(os.path.dirname(p)) == root and os.path.basename(p) == str(f)
                and (os.path.islink(p) or os.path.isfile(p))):
            with contextlib.suppress(OSError):
                os.unlink(p)
    clear_done(out_dir)


def mark_failed(out_dir, message):
    """Record that the job in ``out_dir`` stopped on an error (the sweep goes on)."""
    write_json(os.path.join(out_dir, FAILED), {"error": str(message),
                                                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z")})


def failure(out_dir):
    """The error a failed job recorded, or None."""
    try:
        with open(os.path.join(out_dir, FAILED)) as fh:
            return json.load(fh).get("error", "failed")
    except (OSError, ValueError):
        return None


def input_fingerprints(cfg):
    """``{path: [size, mtime_ns]}`` of the existing files a configuration names
    (``graph.path``, ``graph.consumers``, ...: string values under keys ``path``
    or ``consumers``), so that a resume sees a changed input file."""
    out = {}

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("path", "consumers") and isinstance(v, str) and os.path.isfile(v):
                    st = os.stat(v)
                    out[os.path.abspath(v)] = [st.st_size, st.st_mtime_ns]
                else:
                    walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)

    walk(cfg)
    return out


def is_done(out_dir, cfg=None):
    """True when ``out_dir`` holds a finished job (of the same configuration when given)."""
    p = os.path.join(out_dir, DONE)
    if not os.path.exists(p):
        return False
    if cfg is None:
        return True
    try:
        with open(p) as fh:
            return json.load(fh).get("config_hash") == config_hash(cfg)
    except (OSError, ValueError):
        return False


def _is_job_dir(d):
    return os.path.isdir(os.path.join(d, ".hydra")) or os.path.exists(os.path.join(d, "config.yaml"))


def job_dirs(sweep_dir):
    """The job directories of a sweep, as paths relative to ``sweep_dir``, sorted
    (``2`` before ``10``). A job directory holds Hydra's ``.hydra/`` or the
    run's ``config.yaml``; ``hydra.sweep.subdir`` may nest them
    (``s/${hydra.job.num}``, ``${hydra.job.override_dirname}``), and nothing below
    a job directory is searched."""
    found = []
    for root, dirs, _ in os.walk(sweep_dir):
        keep = []
        for name in dirs:
            if name.startswith("."):
                continue
            d = os.path.join(root, name)
            if _is_job_dir(d):
                found.append(os.path.relpath(d, sweep_dir))
            else:
                keep.append(name)
        dirs[:] = keep
    return sorted(found, key=lambda s: [(len(p), p) for p in s.split(os.sep)])


def merge_sweep(sweep_dir, *, out=None, n_jobs=None):
    """Concatenate the tables of the finished jobs of a sweep into one.

    Each row gains a ``job`` column (the job's directory, relative to the sweep's;
    nested ones as ``s/1``). Jobs
    without their ``DONE`` marker (killed, still running) are left out and
    listed in the return value. With ``n_jobs`` and the sub-directories
    ``0 .. n_jobs - 1`` all present, only those are read.

    Returns
    -------
    rows : list of dict
    missing : list of str
        Sub-directories that look like jobs but are not finished.
    """
    rows, missing = [], []
    names = job_dirs(sweep_dir)
    ours = [str(i) for i in range(n_jobs)] if n_jobs else []
    if ours and all(os.path.isdir(os.path.join(sweep_dir, n)) for n in ours):
        names = ours  # this sweep's jobs only, not those an earlier one left
    for name in names:
        d = os.path.join(sweep_dir, name)
        if not os.path.isdir(d):
            continue
        if is_done(d) and os.path.exists(os.path.join(d, TABLE)):
            for r in read_table(os.path.join(d, TABLE)):
                rows.append({"job": _parse(name), **r})
        elif _is_job_dir(d):
            missing.append(name)
    if out is not None:
        write_table(rows, out)
    return rows, missing
