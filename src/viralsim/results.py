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
    interrupted job, whatever else it holds. It names the configuration (its
    hash) and certifies the files beside it by their SHA-256: a directory whose
    files differ from what its marker certifies is not done.
``.viralsim.lock``
    held (an OS file lock, released when the process ends however it ends) by
    the one process writing into the directory (:func:`lock_dir`); a second
    process gets :class:`DirectoryLocked` instead of mixing its files in.

Every file is written atomically (a temporary file in the same directory,
flushed and fsynced, then :func:`os.replace`), so a killed job never leaves a
file that looks complete. A sweep merges the tables of its finished jobs into
one (:func:`merge_sweep`) and a re-run of the sweep skips the jobs whose
``DONE`` marker carries the same configuration hash and whose files are the
ones it certifies (:func:`is_done`). The inputs a configuration names are part
of that hash by content (:func:`input_fingerprints`), not by size and time.

Text cells of the CSV tables are written so that a spreadsheet shows them and
never evaluates them: a cell starting with ``= + - @``, a tab or a carriage
return (and, so that reading back is exact, one starting with a quote) gets a
``'`` in front (OWASP's advice against CSV injection); :func:`read_table` takes
it off again. Numbers are written as they are.

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
import re
import secrets
import subprocess
import sys
import threading
import time

from .exceptions import ViralsimError

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
    "lock_dir",
    "acquire_lock",
    "DirectoryLocked",
    "clean_temporaries",
    "spreadsheet_safe",
    "file_sha256",
    "RESULT_COLUMNS",
]

#: Columns every experiment table has (others come first: the config keys).
RESULT_COLUMNS = ("mean", "ci_low", "ci_high", "stderr", "n_sims", "elapsed", "rng_seed", "version")

DONE = "DONE"
FAILED = "FAILED"
TABLE = "results.csv"
LOCK = ".viralsim.lock"
#: Files a ``DONE`` marker always certifies when they are present beside it.
CERTIFIED = ("config.yaml", "meta.json", TABLE, "results.parquet")
# the names atomic_write gives its temporary files
_TEMPORARY = re.compile(r"\..+\.[0-9a-f]{12}\.tmp")


class DirectoryLocked(ViralsimError, RuntimeError):
    """Another process (or thread) is writing into a run or sweep directory."""


_HELD = {}  # realpath -> [fd, thread id, depth]: the directory locks this process holds
_HELD_GUARD = threading.Lock()


def _lock_fd(fd):
    """Take the OS lock on ``fd`` without waiting; False when another holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(path):
    try:
        with open(path, encoding="utf-8") as fh:
            who = json.load(fh)
        return (f" (process {who.get('pid')} on {who.get('host')}: a {who.get('what')} "
                f"started at {who.get('since')})")
    except (OSError, ValueError, AttributeError):
        return ""


def acquire_lock(directory, what="run"):
    """Make this process the one writer of ``directory``; return the function that
    releases it.

    The lock is an OS file lock on ``directory/.viralsim.lock``: it is released
    when the process ends, however it ends (``kill -9`` leaves no stale lock).
    The same thread may take it again (nested: a job of an in-process sweep
    writing into the sweep's directory); another process or thread gets
    :class:`DirectoryLocked`, whose message names the holder and the fix. Once
    held, the temporary files of killed writers are removed
    (:func:`clean_temporaries`).
    """
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    key = os.path.realpath(directory)
    me = threading.get_ident()
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is not None:
            if held[1] != me:
                raise DirectoryLocked(_busy(directory, what, "another thread of this process"))
            held[2] += 1
            return _releaser(key)
        path = os.path.join(directory, LOCK)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        if not _lock_fd(fd):
            os.close(fd)
            raise DirectoryLocked(_busy(directory, what,
                                        "another viralsim process" + _holder(path)))
        stamp = json.dumps({"pid": os.getpid(), "host": platform.node(), "what": what,
                            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}).encode()
        with contextlib.suppress(OSError):  # who holds it, for the second one's message
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, stamp)
        _HELD[key] = [fd, me, 1]
    clean_temporaries(directory)
    return _releaser(key)


def _busy(directory, what, who):
    return (f"The {what} directory {os.path.abspath(directory)} is in use by {who}. Wait for "
            f"it to finish, or write into another directory (hydra.run.dir=... for a run, "
            f"hydra.sweep.dir=... for a sweep).")


def _releaser(key):
    done = []

    def release():
        if done:
            return
        done.append(True)
        with _HELD_GUARD:
            held = _HELD.get(key)
            if held is None:
                return
            held[2] -= 1
            if held[2] == 0:
                del _HELD[key]
                os.close(held[0])  # closing the descriptor releases the OS lock

    return release


@contextlib.contextmanager
def lock_dir(directory, what="run"):
    """Hold the directory's lock for the block (:func:`acquire_lock`).

    Examples
    --------
    >>> import tempfile
    >>> from viralsim.results import lock_dir
    >>> d = tempfile.mkdtemp()
    >>> with lock_dir(d):
    ...     pass
    """
    release = acquire_lock(directory, what)
    try:
        yield
    finally:
        release()


def holds_lock(directory):
    """Whether this thread holds the lock of ``directory``."""
    with _HELD_GUARD:
        held = _HELD.get(os.path.realpath(os.fspath(directory)))
    return held is not None and held[1] == threading.get_ident()


def clean_temporaries(directory):
    """Remove the temporary files :func:`atomic_write` left in ``directory`` (not below
    it) when its process was killed. Call it only while holding the directory's
    lock: a live writer's temporary file looks the same. Returns the names removed."""
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        p = os.path.join(directory, name)
        if _TEMPORARY.fullmatch(name) and os.path.isfile(p) and not os.path.islink(p):
            with contextlib.suppress(OSError):
                os.unlink(p)
                removed.append(name)
    return removed


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


# a cell a spreadsheet may evaluate starts with one of these (OWASP, CSV injection);
# the quote itself is escaped too, so that reading back is exact
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(text):
    """``text`` as a CSV cell a spreadsheet shows and never evaluates.

    A cell starting with ``= + - @``, a tab or a carriage return gets a ``'`` in
    front (OWASP's advice against CSV injection), and so does one starting with
    ``'`` (so that :func:`read_table` gives back exactly what was written); a
    plain number (``-1.5``, ``+3e-4``) is left as it is.

    Examples
    --------
    >>> from viralsim.results import spreadsheet_safe
    >>> print(spreadsheet_safe('=HYPERLINK("http://evil.example","x")'))
    '=HYPERLINK("http://evil.example","x")
    >>> spreadsheet_safe("-0.5"), spreadsheet_safe("plan")
    ('-0.5', 'plan')
    """
    text = str(text)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _unquote(text):
    return text[1:] if text.startswith("'") else text


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return spreadsheet_safe(" ".join(str(x) for x in v))
    if hasattr(v, "item"):
        return _cell(v.item())
    return spreadsheet_safe(str(v))


def write_table(rows, path, *, parquet=None):
    """Write ``rows`` (list of dicts) as CSV at ``path``, atomically.

    Columns are the union of the rows' keys in first-seen order, with
    :data:`RESULT_COLUMNS` last. Floats are written with ``repr`` (exact
    round trip). ``parquet=None`` also writes ``<path>.parquet`` (same stem)
    when pyarrow is importable; ``True`` requires it. Text cells are written
    with :func:`spreadsheet_safe` (the parquet file keeps them as they are).

    Returns the list of paths written.
    """
    rows = list(rows)
    cols = _columns(rows)
    write_text(path, _csv_text(rows, cols))
    written = [os.fspath(path)]
    if parquet is not False:
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            if parquet:
                raise
        else:
            written.append(_write_parquet(rows, cols, path))
    return written


def _csv_text(rows, cols):
    """The CSV text of ``rows`` (header made safe for spreadsheets, cells by :func:`_cell`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    # with "\n" as line end, the writer would leave a carriage return in a cell
    # unquoted (a reader then splits the row there): such rows are quoted whole
    w_cr = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for line in [[spreadsheet_safe(c) for c in cols],
                 *([_cell(r.get(c)) for c in cols] for r in rows)]:
        (w_cr if any("\r" in c for c in line) else w).writerow(line)
    return buf.getvalue()


def _one_type_per_column(data, cols):
    """Columns whose cells mix types (or hold ints beyond 64 bits) as text, in place:
    "4" and "4 1 0" (seed lists) are both text."""
    for c in cols:
        kinds = {type(r[c]) for r in data if r[c] is not None}
        huge = int in kinds and any(isinstance(r[c], int) and not -2**63 <= r[c] < 2**63
                                    for r in data)  # e.g. a seed of 20 digits
        if huge or (len(kinds) > 1 and not kinds <= {int, float}):
            for r in data:
                if r[c] is not None:
                    r[c] = str(r[c])


def _write_parquet(rows, cols, path):
    """``rows`` as ``<path stem>.parquet`` (atomically); its path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ppath = os.path.splitext(os.fspath(path))[0] + ".parquet"
    data = [{c: _plain(r.get(c)) for c in cols} for r in rows]
    _one_type_per_column(data, cols)
    table = pa.Table.from_pylist(data)
    with atomic_write(ppath, "wb") as fh:
        pq.write_table(table, fh)
    return ppath


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


def _read_cell(s):
    if s.startswith("'"):  # text that write_table made safe for spreadsheets
        return s[1:]
    return _parse(s)


def read_table(path):
    """Read a table written by :func:`write_table`: list of dicts, numbers parsed
    (and the quote :func:`spreadsheet_safe` put before text taken off)."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return [{_unquote(k): _read_cell(v) for k, v in r.items()} for r in reader]


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


def file_sha256(path, chunk=1 << 20):
    """SHA-256 (hex) of a file's bytes, read in chunks (memory does not grow with the file)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def _inside(out_dir, name):
    """``out_dir/name`` when ``name`` is a relative path inside ``out_dir``, else None."""
    name = str(name)
    if os.path.isabs(name) or os.pardir in name.replace("\\", "/").split("/"):
        return None
    return os.path.join(out_dir, name)


def mark_done(out_dir, cfg, files=()):
    """Write the job-done marker (last thing a job does).

    It holds the configuration's hash, the job's ``files`` (paths relative to
    ``out_dir``) and the SHA-256 of each of them and of the standard files
    present beside it (:data:`CERTIFIED`): :func:`is_done` accepts the
    directory only while they are exactly these files.
    """
    out_dir = os.fspath(out_dir)
    names = list(dict.fromkeys([*(str(f) for f in files),
                                *(n for n in CERTIFIED if os.path.isfile(os.path.join(out_dir, n)))]))
    hashes = {}
    for n in names:
        p = _inside(out_dir, n)
        if p is None or not os.path.isfile(p):
            raise FileNotFoundError(f"The job's file {n!r} is not a file inside {out_dir}: a DONE "
                                    "marker certifies only files beside it.")
        hashes[n] = file_sha256(p)
    write_json(os.path.join(out_dir, DONE), {"config_hash": config_hash(cfg), "files": names,
                                              "sha256": hashes,
                                              "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")})


def _locked_by_another(out_dir):
    """True when another process or thread holds ``out_dir``'s lock (its markers are
    that writer's, not ours to change)."""
    if holds_lock(out_dir) or not os.path.exists(os.path.join(out_dir, LOCK)):
        return False
    try:
        release = acquire_lock(out_dir)
    except DirectoryLocked:
        return True
    except OSError:
        return False
    release()
    return False


def clear_done(out_dir):
    """Remove the job's done and failed markers: a job (re)starting in ``out_dir`` is
    neither. Nothing is removed while another process holds the directory's lock
    (a second run refused by it must not unmark the first's)."""
    if _locked_by_another(out_dir):
        return
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
    """Record that the job in ``out_dir`` stopped on an error (the sweep goes on);
    not while another process holds the directory's lock (then the error was
    being refused by that lock, and the directory is the other's)."""
    if _locked_by_another(out_dir):
        return
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
    """``{path: "sha256:<hex>"}`` of the existing files a configuration names
    (``graph.path``, ``graph.consumers``, ...: string values under keys ``path``
    or ``consumers``; for a directory holding a saved fit, ``graph=fitted``'s,
    its ``fit.npz``), so that a resume sees a changed input file. By content,
    streamed: a file edited to the same size with its time put back is changed."""
    out = {}

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("path", "consumers") and isinstance(v, str) and os.path.isfile(v):
                    out[os.path.abspath(v)] = "sha256:" + file_sha256(v)
                elif k == "path" and isinstance(v, str) and os.path.isfile(
                        os.path.join(v, "fit.npz")):  # graph=fitted: a learn run's directory
                    f = os.path.join(v, "fit.npz")
                    out[os.path.abspath(f)] = "sha256:" + file_sha256(f)
                else:
                    walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)

    walk(cfg)
    return out


def is_done(out_dir, cfg=None):
    """True when ``out_dir`` holds a finished job (of the same configuration when given).

    Finished means: a ``DONE`` marker (of ``cfg``'s hash when given) whose
    certified files are all there with the same SHA-256, and no standard file
    (:data:`CERTIFIED`) beside it that it does not certify. A marker without
    hashes (an older viralsim's) certifies nothing: the job is run again.
    """
    out_dir = os.fspath(out_dir)
    try:
        with open(os.path.join(out_dir, DONE)) as fh:
            marker = json.load(fh)
        certified = marker.get("sha256")
    except (OSError, ValueError, AttributeError):
        return False
    if not isinstance(certified, dict):
        return False
    if cfg is not None and marker.get("config_hash") != config_hash(cfg):
        return False
    if any(n not in certified and os.path.exists(os.path.join(out_dir, n)) for n in CERTIFIED):
        return False
    for name, digest in certified.items():
        p = _inside(out_dir, name)
        try:
            if p is None or file_sha256(p) != digest:
                return False
        except OSError:
            return False
    return True


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
