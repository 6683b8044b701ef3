"""Public follower graphs of the influence-maximization literature, by name.

``vs.datasets.load("wiki-Vote")`` returns a :class:`~viralsim.FollowerGraph`.
The file is looked up, in order, at ``path=``, in the data directory
(``data_home=``, else ``$VIRALSIM_DATA``, else ``~/.cache/viralsim``) under its
download name or the name of a known offline copy, and otherwise downloaded
once into the data directory.

Verification. Every file is checked before it is used:

- a download against the registry's SHA-256 of that download when it is
  known; the registry never guesses one (``sha256=None`` means unknown);
- a file whose SHA-256 matches a known copy (``known_copies``, the checksums
  of the copies in the project's shared data folder) is accepted as is;
- otherwise, when the registry knows the SHA-256 of the dataset's edges
  (``edges_sha256``: of its data lines, whitespace-normalised and sorted, so
  that a header, line endings, separators, line order or gzip do not change
  it; measured on the verified offline copies), a file with other edges is
  refused, even with the same counts;
- anything else is parsed and its node and edge counts compared with the
  publisher's numbers.

Downloads follow redirects but never from https to plain http, and give up
after ``max_time`` seconds in all (default :data:`DOWNLOAD_MAX_TIME`), however
slowly the server sends. The temporary ``.part`` file of a download killed
midway is removed by the next :func:`fetch` (a live download holds a lock on
its own, which is left alone).

A file that fails its check, or cannot be read at all (a truncated or corrupt
gzip file, not an edge list), raises :class:`DatasetVerificationError` naming
the file and the fix. A failed download is deleted first: nothing unverified
is left in the cache. A file already there, or given as ``path=``, is never
deleted.
Downloads go to a temporary file first and are renamed into place only once
verified, so an interrupted download leaves nothing that looks complete.
"""

import contextlib
import gzip
import hashlib
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zlib
from dataclasses import dataclass, field

from ._validation import shown
from .exceptions import AttributeNotFound, EdgeListError, ViralsimError
from .io import read_edgelist

__all__ = [
    "Dataset",
    "DatasetVerificationError",
    "REGISTRY",
    "names",
    "info",
    "data_home",
    "fetch",
    "load",
    "sha256_of",
    "edges_sha256_of",
    "DOWNLOAD_MAX_TIME",
    "CascadeDataset",
    "CASCADES",
    "load_cascades",
]

#: Default bound, in seconds, on one download's total time (``fetch(max_time=...)``).
DOWNLOAD_MAX_TIME = 3600.0


class DatasetVerificationError(ViralsimError, ValueError):
    """A dataset file does not match its checksum or its expected counts, or cannot be read."""


@dataclass(frozen=True)
class Dataset:
    """One registry entry.

    Attributes
    ----------
    name : str
    url : str or None
        Where to download it (None: no public direct download; give ``path=``).
    filename : str
        Name of the downloaded file in the data directory.
    directed : bool
        ``False``: each line is a mutual tie (stored as two follower edges).
    n_nodes, n_edges : int
        The publisher's counts (edges as the publisher counts them: arcs for
        a directed graph, undirected pairs for an undirected one).
    self_loops : int or None
        Self-loop lines among ``n_edges`` (dropped when reading); None when not known.
    citation : str
    sha256 : str or None
        SHA-256 of the file at ``url``; None when not known (counts are then verified).
    known_copies : dict of str to str
        File names of verified offline copies and their SHA-256.
    edges_sha256 : str or None
        SHA-256 of the dataset's edges (:func:`edges_sha256_of`), measured on a
        verified copy; None when not known.
    read_kwargs : dict
        Extra arguments for :func:`viralsim.read_edgelist` (``header``, ``probs``...).
    """

    name: str
    url: str
    filename: str
    directed: bool
    n_nodes: int
    n_edges: int
    citation: str
    self_loops: int = None
    sha256: str = None
    known_copies: dict = field(default_factory=dict)
    read_kwargs: dict = field(default_factory=dict)
    description: str = ""
    edges_sha256: str = None

    @property
    def follower_edges(self):
        """Edges of the :class:`FollowerGraph` (self-loops dropped, mutual ties doubled), or None."""
        if self.self_loops is None:
            return None
        e = self.n_edges - self.self_loops
        return e if self.directed else 2 * e


_SNAP = "https://snap.stanford.edu/data/"
_LKF = ("J. Leskovec, J. Kleinberg, C. Faloutsos. Graph evolution: densification and "
        "shrinking diameters. ACM TKDD 1(1), 2007.")

REGISTRY = {
    d.name: d
    for d in [
        Dataset(
            "wiki-Vote", _SNAP + "wiki-Vote.txt.gz", "wiki-Vote.txt.gz", True, 7_115, 103_689,
            "J. Leskovec, D. Huttenlocher, J. Kleinberg. Signed networks in social media. CHI 2010; "
            "Predicting positive and negative links in online social networks. WWW 2010.",
            self_loops=0,
            known_copies={"wiki-Vote.txt": "b05c0226f5544f0e4a8ac607ae573db42e42716b6dd5aa00e8c769a1219c796f"},
            edges_sha256="5ab8b4522135de5a9a3ba002169d55c16ad42230e0403c9ba501f3888bf4af06",
            description="Wikipedia adminship votes; edge A -> B: A voted on B.",
        ),
        Dataset(
            "email-Eu-core", _SNAP + "email-Eu-core.txt.gz", "email-Eu-core.txt.gz", True, 1_005,
            25_571,
            "H. Yin, A. Benson, J. Leskovec, D. Gleich. Local higher-order graph clustering. "
            "KDD 2017; " + _LKF,
            self_loops=642,
            known_copies={"email-Eu-core.txt": "23e0ca0bce21a053025e78f7e9691ac9210ae806a0689bd5edff3c3bac572d4c"},
            edges_sha256="a63cd47177fcc4b86903462fa00172c82690d1ef7bb825795521708e277ba4a4",
            description="E-mails within a European research institution.",
        ),
        Dataset(
            "ca-GrQc", _SNAP + "ca-GrQc.txt.gz", "ca-GrQc.txt.gz", False, 5_242, 14_496, _LKF,
            self_loops=12,
            known_copies={"ca-GrQc.txt": "f8ce6e931e068b878044b783da99ef603f566c87bcbce7991cd53720879f1660"},
            edges_sha256="d01a2264a763cba3aba6ce49667feb305dc57875963e7cac98487cf7750c897d",
            description="arXiv General Relativity co-authorships.",
        ),
        Dataset(
            "ca-HepTh", _SNAP + "ca-HepTh.txt.gz", "ca-HepTh.txt.gz", False, 9_877, 25_998, _LKF,
            self_loops=25,
            known_copies={"ca-HepTh.txt": "2dccd2085bf5e33deb7c08a596a4f11e04f9fe6c12691ffef549b4c41ac3133e"},
            edges_sha256="9b96e61149399c97499637668fdf56264d0851c7fbc334561cb5ac14362415c7",
            description="arXiv High Energy Physics - Theory co-authorships.",
        ),
        Dataset(
            "ca-HepPh", _SNAP + "ca-HepPh.txt.gz", "ca-HepPh.txt.gz", False, 12_008, 118_521, _LKF,
            self_loops=32,
            known_copies={"ca-HepPh.txt.gz": "17f2553692dac625e9733edaf7d85ba8087cda826a2e8890bf372aa125c34fa5"},
            edges_sha256="c133bc406fa2cf078dbbaf023814ddc4a495eb94cfb08e8dde1f60997927fc05",
            description="arXiv High Energy Physics - Phenomenology co-authorships.",
        ),
        Dataset(
            "email-Enron", _SNAP + "email-Enron.txt.gz", "email-Enron.txt.gz", False, 36_692,
            183_831,
            "J. Leskovec, K. Lang, A. Dasgupta, M. Mahoney. Community structure in large networks. "
            "Internet Mathematics 6(1), 2009; B. Klimt, Y. Yang. Introducing the Enron corpus. "
            "CEAS 2004.",
            self_loops=0,
            known_copies={"email-Enron.txt.gz": "dc97cc6d89d62ee113e8092cfc0a55e13d6afd206db7a6c819e986234ab7cf44"},
            edges_sha256="abd81cc13541867d5e7fdb85bfb31d9ebed3abd29fb3a2e48fb45248526d0802",
            description="Enron e-mail communication.",
        ),
        Dataset(
            "soc-Epinions1", _SNAP + "soc-Epinions1.txt.gz", "soc-Epinions1.txt.gz", True, 75_879,
            508_837,
            "M. Richardson, R. Agrawal, P. Domingos. Trust management for the semantic web. "
            "ISWC 2003.",
            description="Epinions who-trusts-whom.",
        ),
        Dataset(
            "com-DBLP", _SNAP + "bigdata/communities/com-dblp.ungraph.txt.gz",
            "com-dblp.ungraph.txt.gz", False, 317_080, 1_049_866,
            "J. Yang, J. Leskovec. Defining and evaluating network communities based on "
            "ground-truth. ICDM 2012.",
            description="DBLP co-authorships.",
        ),
        Dataset(
            "soc-LiveJournal1", _SNAP + "soc-LiveJournal1.txt.gz", "soc-LiveJournal1.txt.gz", True,
            4_847_571, 68_993_773,
            "L. Backstrom, D. Huttenlocher, J. Kleinberg, X. Lan. Group formation in large social "
            "networks. KDD 2006; J. Leskovec, K. Lang, A. Dasgupta, M. Mahoney. Internet "
            "Mathematics 6(1), 2009.",
            description="LiveJournal friendships (directed).",
        ),
        Dataset(
            # Chen's original download (research.microsoft.com .../graphdata.zip) is gone and
            # was a zip of several files: no direct URL; use an offline copy.
            "NetHEPT", None, "nethept_chen_hep.txt", False, 15_233, 31_398,
            "W. Chen, Y. Wang, S. Yang. Efficient influence maximization in social networks. "
            "KDD 2009.",
            self_loops=22,
            known_copies={"nethept_chen_hep.txt": "3d354accc3ba555e37f29e4f4f773c0bae7cda388cf7756fdf4d1b5f6b73230e"},
            edges_sha256="8d0581664d4a09aad29ebecd580e366847f906b0dab88fb1b3301a2773b9c38e",
            read_kwargs={"header": True},
            description="arXiv HEP-Theory co-authorships 1991-2003, the standard IM benchmark. "
            "Counts: 58,891 lines with repeats; 31,376 distinct pairs plus 22 self-loops.",
        ),
    ]
}


def names():
    """Registered dataset names."""
    return list(REGISTRY)


def info(name):
    """The :class:`Dataset` entry of ``name`` (case-insensitive)."""
    if isinstance(name, Dataset):
        return name
    for k, d in REGISTRY.items():
        if k.lower() == str(name).lower():
            return d
    raise AttributeNotFound(f"Unknown dataset {name!r}. Registered: {', '.join(REGISTRY)}.")


def data_home(data_home=None):
    """The data directory: ``data_home``, else ``$VIRALSIM_DATA``, else ``~/.cache/viralsim``."""
    if data_home:
        return os.fspath(data_home)
    env = os.environ.get("VIRALSIM_DATA")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "viralsim")


def sha256_of(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def _open_maybe_gzip(path):
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def edges_sha256_of(path, header=False, comments=(b"#", b"%")):
    r"""SHA-256 of a (possibly gzipped) edge list's edges, whatever its layout.

    The data lines (no blank lines, no comment lines, no header line when
    ``header``), each as its whitespace-separated fields joined by one space,
    sorted, joined by newlines. A header comment, CRLF or LF, tabs or spaces,
    the order of the lines and compression do not change it; any changed,
    added or removed edge does.

    Examples
    --------
    >>> import os, tempfile
    >>> from viralsim.datasets import edges_sha256_of
    >>> d = tempfile.mkdtemp()
    >>> a, b = os.path.join(d, "a.txt"), os.path.join(d, "b.txt")
    >>> with open(a, "w") as fh:
    ...     _ = fh.write("# a header\n1\t2\n2\t3\n")
    >>> with open(b, "w", newline="\r\n") as fh:
    ...     _ = fh.write("2 3\n1 2\n")
    >>> edges_sha256_of(a) == edges_sha256_of(b)
    True
    """
    lines = []
    skip = bool(header)
    with _open_maybe_gzip(path) as fh:
        for line in fh:
            s = line.strip()
            if not s or s.startswith(comments):
                continue
            if skip:
                skip = False
                continue
            lines.append(b" ".join(s.split()))
    lines.sort()
    h = hashlib.sha256()
    for line in lines:
        h.update(line)
        h.update(b"\n")
    return h.hexdigest()


def _read(ds, path):
    with warnings.catch_warnings():
        # self-loops are expected in several SNAP files and are checked by count below
        warnings.simplefilter("ignore")
        return read_edgelist(path, directed=ds.directed, probs=False, **ds.read_kwargs)


# What a truncated or corrupt gzip file raises while it is read (gzip.BadGzipFile
# is an OSError, so it is named rather than catching every OSError).
_DECOMPRESSION_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def _where(ds, path, dest, given):
    """``(subject, shown, fix)`` for a verification error about ``path``.

    ``dest`` is the final cache path when ``path`` is a download's temporary
    file (gone by the time the user reads the message, which names the URL and
    ``dest`` instead), else None; ``given``: ``path`` came as ``path=``.
    """
    if dest is not None:
        return (
            f"The download of dataset {ds.name} from {ds.url}",
            ds.url,
            f"The download was discarded (nothing was saved to {dest}). Try again, or download "
            "the file yourself and pass path= (graph.path= on the command line), or put it in the "
            "data directory.",
        )
    if given:
        source = f" (its source: {ds.url})" if ds.url else ""
        return (
            f"The file {path} given as path= for dataset {ds.name}",
            path,
            f"The file was left in place. Pass path= a correct copy{source}, or leave path= "
            "out to use the data directory.",
        )
    again = f", or delete it and the next call downloads it again from {ds.url}" if ds.url else ""
    return (
        f"The file {path} in the data directory (dataset {ds.name})",
        path,
        f"The file was left in place. Replace it with a correct copy{again}; or pass path= "
        "(graph.path= on the command line) a correct copy.",
    )


def _check_counts(ds, graph, path, dest=None, given=False):
    want_e = ds.follower_edges
    ok = graph.n_nodes == ds.n_nodes
    if want_e is not None:
        ok = ok and graph.n_edges == want_e
    else:  # self-loops unknown: edges within 1% below the publisher's count
        lines = ds.n_edges if ds.directed else 2 * ds.n_edges
        ok = ok and 0.99 * lines <= graph.n_edges <= lines
    if not ok:
        subject, _, fix = _where(ds, path, dest, given)
        raise DatasetVerificationError(
            f"{subject} does not look like {ds.name}: it has {graph.n_nodes:,} nodes and "
            f"{graph.n_edges:,} follower edges; expected {ds.n_nodes:,} nodes and "
            f"{want_e if want_e is not None else ds.n_edges:,} edges. {fix}"
        )


def _verify(ds, path, *, dest=None, given=False):
    """Return the parsed graph when counts had to be checked, else None; raise on mismatch.

    ``dest``: the final cache path when ``path`` is a download's temporary file;
    ``given``: ``path`` came as ``path=`` (both only shape the error message).
    A file that cannot be read (a truncated or corrupt gzip stream, or not an
    edge list) fails verification like a wrong one.
    """
    digest = sha256_of(path)
    if ds.sha256 is not None and dest is not None:
        if digest != ds.sha256:
            raise DatasetVerificationError(
                f"Checksum mismatch for {ds.name} downloaded from {ds.url}: SHA-256 {digest}, "
                f"expected {ds.sha256}. The download was discarded (nothing was saved to "
                f"{dest}); try again, or download it yourself and pass path= (graph.path= on the "
                f"command line)."
            )
        return None
    if digest in ds.known_copies.values() or (ds.sha256 is not None and digest == ds.sha256):
        return None
    try:
        if ds.edges_sha256 is not None:
            edges = edges_sha256_of(path, header=ds.read_kwargs.get("header", False))
            if edges != ds.edges_sha256:
                subject, _, fix = _where(ds, path, dest, given)
                raise DatasetVerificationError(
                    f"{subject} is not {ds.name}: its edges differ from those of the verified "
                    f"copy (edges SHA-256 {edges[:16]}..., expected {ds.edges_sha256[:16]}...), "
                    f"whatever its node and edge counts. {fix}")
            return None
        g = _read(ds, path)
    except _DECOMPRESSION_ERRORS as exc:
        reason = getattr(exc, "reason", None) or "{}: {}".format(
            {zlib.error: "zlib.error", gzip.BadGzipFile: "gzip.BadGzipFile"}.get(
                type(exc), type(exc).__name__), exc)
        subject, _, fix = _where(ds, path, dest, given)
        raise DatasetVerificationError(
            f"{subject} cannot be decompressed ({reason}): it is truncated "
            f"or corrupt. {fix}"
        ) from None
    except EdgeListError as exc:
        subject, shown, fix = _where(ds, path, dest, given)
        reason = str(exc).replace(path, shown).rstrip(".")
        raise DatasetVerificationError(
            f"{subject} cannot be read as an edge list ({reason}). {fix}"
        ) from None
    _check_counts(ds, g, path, dest, given)
    if os.path.basename(path) in ds.known_copies:
        # the name of a copy whose checksum is known, other bytes: the counts agree, but a
        # changed edge with the same counts would pass them too
        from .exceptions import ViralsimWarning

        warnings.warn(
            f"{path} is named like the known copy of {ds.name} but its SHA-256 differs "
            f"({digest[:12]}... vs {ds.known_copies[os.path.basename(path)][:12]}...); it was "
            f"accepted on its node and edge counts only. Replace it with the original if its "
            f"edges may have changed.", ViralsimWarning, stacklevel=3)
    return g


class _NoDowngradeRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects, except from https to anything but https (a man in the
    middle could then serve any file)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old = urllib.parse.urlsplit(req.full_url).scheme.lower()
        new = urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl)).scheme.lower()
        if old == "https" and new != "https":
            raise urllib.error.URLError(
                f"refused a redirect from {req.full_url} to {newurl}: https to {new or 'a relative'} "
                "would drop the encryption")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener():
    return urllib.request.build_opener(_NoDowngradeRedirect)


def _download(url, fh, timeout=60.0, max_time=DOWNLOAD_MAX_TIME):
    """Copy ``url`` into the open binary file ``fh`` within ``max_time`` seconds in all.

    Each read returns what has arrived (at most ``timeout`` s of silence), and the
    clock is checked between reads: a server sending a byte at a time cannot keep
    it running past ``max_time`` (plus at most one read's wait).
    """
    deadline = time.monotonic() + max_time
    with _opener().open(url, timeout=min(timeout, max_time)) as r:
        read = getattr(r, "read1", None) or r.read
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the download took longer than max_time={max_time:g} s")
            block = read(1 << 20)
            if not block:
                break
            fh.write(block)
    if time.monotonic() > deadline:
        raise TimeoutError(f"the download took longer than max_time={max_time:g} s")


_PART = re.compile(r"\..+\.part")


try:
    import fcntl as _fcntl
except ImportError:  # Windows: no advisory locks
    _fcntl = None


def _lock_nowait(fd):
    """Take an exclusive lock on ``fd`` without waiting; True when taken."""
    if _fcntl is None:
        return True
    try:
        _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _clean_partial(home):
    """Remove the ``.part`` files of downloads killed midway: those no live download
    holds a lock on (without OS locks: those untouched for a day). Returns the
    names removed."""
    removed = []
    for name, p in _part_files(home):
        try:
            fd = os.open(p, os.O_RDONLY)
        except OSError:
            continue
        try:
            if _is_stale(fd):
                with contextlib.suppress(OSError):
                    os.unlink(p)
                    removed.append(name)
        finally:
            os.close(fd)
    return removed


def _part_files(home):
    """``(name, path)`` of the regular ``.part`` files in ``home`` (none if unreadable)."""
    try:
        names = os.listdir(home)
    except OSError:
        return []
    paths = ((name, os.path.join(home, name)) for name in names)
    return [(name, p) for name, p in paths
            if _PART.fullmatch(name) and not os.path.islink(p) and os.path.isfile(p)]


def _is_stale(fd):
    """Whether the open ``.part`` file ``fd`` belongs to no live download."""
    if _fcntl is not None:
        return _lock_nowait(fd)
    return time.time() - os.fstat(fd).st_mtime > 86_400  # no OS locks: only an old one is surely dead


def fetch(name, *, path=None, data_home=None, download=True, max_time=None):
    """Path of a verified copy of dataset ``name`` (downloading it once if needed).

    Parameters
    ----------
    name : str or Dataset
    path : str, optional
        An offline copy to use (verified by checksum or counts, never deleted).
    data_home : str, optional
        Data directory (default ``$VIRALSIM_DATA`` or ``~/.cache/viralsim``).
    download : bool, default True
        ``False`` raises instead of downloading when no copy is found.
    max_time : float, optional
        Give up a download after this many seconds in all (default
        :data:`DOWNLOAD_MAX_TIME`).

    Raises
    ------
    KeyError
        Unknown name (the registered ones are listed).
    FileNotFoundError
        ``path`` does not exist, or no copy and ``download=False`` / no URL.
    DatasetVerificationError
        Checksum or count mismatch, or a file that cannot be read (truncated or
        corrupt gzip, not an edge list). A failed download is discarded; a file
        of yours (``path=``, or one in the data directory) is left in place.
    """
    ds = info(name)
    if path is not None:
        path = os.fspath(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"The 'path' given for dataset {ds.name} does not exist: {path}.")
        _verify(ds, path, given=True)
        return path
    home = data_home_ = globals()["data_home"](data_home)
    _clean_partial(home)  # what downloads killed midway left
    for fname in [ds.filename, *ds.known_copies]:
        p = os.path.join(home, fname)
        if os.path.exists(p):
            _verify(ds, p)
            return p
    if not download or ds.url is None:
        why = "download=False" if ds.url is not None else "it has no public direct download"
        raise FileNotFoundError(
            f"No copy of dataset {ds.name} in {data_home_} ({why}). Put "
            f"{' or '.join(dict.fromkeys([ds.filename, *ds.known_copies]))} there, set "
            "VIRALSIM_DATA, or pass path= (graph.path= on the command line)."
        )
    if max_time is None:
        max_time = DOWNLOAD_MAX_TIME
    if not (isinstance(max_time, (int, float)) and max_time > 0):
        raise ValueError(f"The 'max_time' parameter of fetch must be a number of seconds > 0. "
                         f"Got {shown(max_time)} instead.")
    os.makedirs(home, exist_ok=True)
    dest = os.path.join(home, ds.filename)
    fd, tmp = tempfile.mkstemp(prefix=f".{ds.filename}.", suffix=".part", dir=home)
    _lock_nowait(fd)  # held until closed: another fetch's clean-up leaves this file alone
    try:
        try:
            with os.fdopen(os.dup(fd), "wb") as fh:
                _download(ds.url, fh, max_time=max_time)
        except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections
            reason = getattr(exc, "reason", None) or exc
            raise OSError(
                f"Could not download dataset {ds.name} from {ds.url} ({reason}). Without "
                f"network access, put {ds.filename} in {home}, set VIRALSIM_DATA to a folder "
                "holding it, or pass path= (graph.path= on the command line)."
            ) from None
        _verify(ds, tmp, dest=dest)
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        os.close(fd)
    return dest


def load(name, *, path=None, data_home=None, download=True, probabilities=None, rng=None):
    """Dataset ``name`` as a :class:`~viralsim.FollowerGraph` (see :func:`fetch`).

    Undirected datasets are stored with both directions (mutual ties);
    ``probabilities`` is applied with :meth:`FollowerGraph.with_probabilities`.

    Raises
    ------
    KeyError, FileNotFoundError, DatasetVerificationError
        As :func:`fetch`.

    Examples
    --------
    >>> import viralsim as vs
    >>> vs.datasets.info("wiki-Vote").n_nodes
    7115
    """
    ds = info(name)
    p = fetch(ds, path=path, data_home=data_home, download=download)
    g = _read(ds, p)
    if probabilities is not None:
        g = g.with_probabilities(probabilities, rng=rng)
    return g


# ---------------------------------------------------------------- adoption cascades
@dataclass(frozen=True)
class CascadeDataset:
    """A social graph with a dated log of who adopted what (for learning influence).

    Attributes
    ----------
    name, citation, description : str
    source : str
        Where the files come from (no direct download: give ``path=`` or put
        the folder under ``<data directory>/cascades/<name>``).
    files : dict of str to str
        File name -> SHA-256; each file used is checked before it is read.
    """

    name: str
    source: str
    citation: str
    files: dict
    description: str = ""


CASCADES = {
    d.name: d
    for d in [
        CascadeDataset(
            "stackexchange-android",
            "github.com/aravindsankar28/Inf-VAE (commit 6092c386, data/android; BSD-3-Clause)",
            "A. Sankar, X. Zhang, A. Krishnan, J. Han. Inf-VAE: a variational autoencoder "
            "framework to integrate homophily and influence in diffusion prediction. WSDM 2020.",
            {"graph.txt": "30fa4753182b8f010d8ae60d194e03f022d23d637e2d9a322ba9520c4691f9ad",
             "cascades_all.csv": "5008c39489b964e546c8f06aa43b51647106d6062d2949a6fa37e542da60446b"},
            "Stack Exchange Android: 9,958 users, 48,573 undirected links, 679 cascades with "
            "times in seconds and the authors' train/val/test split (475/68/136).",
        ),
        CascadeDataset(
            "lastfm-hetrec2011",
            "github.com/Coder-Yu/QRec (commit 17f68180, dataset/lastfm-2k); non-commercial use",
            "I. Cantador, P. Brusilovsky, T. Kuflik. 2nd Workshop on Information Heterogeneity "
            "and Fusion in Recommender Systems (HetRec 2011). RecSys 2011.",
            {"user_friends.dat": "0360883a3557776e04fdebda851f2e5dd23e796cad7059b968acdebd528d13fa",
             "cascades_first_tag.csv": "055f66994f8d4e85b8a327cbe86ae02ade638c12459fa831d99e999062dabf29"},
            "Last.fm: 1,892 users, 12,717 mutual friendships, 12,523 monthly artist-tagging "
            "cascades (first tag per user and artist). A weak influence signal.",
        ),
    ]
}


def load_cascades(name, *, path=None, data_home=None, test_size=0.2, split=None, rng=0):
    """A cascade dataset as ``(graph, train_log, test_log)``.

    ``stackexchange-android``: the authors' split (train and validation
    cascades for training, their 136 test cascades for testing); the graph
    undirected (both directions), all 9,958 users as nodes.
    ``lastfm-hetrec2011``: mutual friendships; the last ``test_size`` of the
    artists by first tagging month for testing (a split by time; the late
    cascades are cut short by the end of the data), or with ``split="item"``
    a random ``test_size`` of the artists (drawn with ``rng``).

    Parameters
    ----------
    name : str
    path : str, optional
        The dataset's folder. Default: ``<data directory>/cascades/<name>``.

    Raises
    ------
    KeyError
        Unknown name.
    FileNotFoundError
        A file is missing.
    DatasetVerificationError
        A file's SHA-256 differs from the registry's.
    """
    import csv

    import numpy as np

    from .actionlog import read_action_log
    from .graph import FollowerGraph

    ds = CASCADES.get(name)
    if ds is None:
        raise AttributeNotFound(f"Unknown cascade dataset {name!r}. Registered: {', '.join(CASCADES)}.")
    folder = os.fspath(path) if path is not None else os.path.join(data_home_(data_home),
                                                                   "cascades", name)
    for fname, digest in ds.files.items():
        f = os.path.join(folder, fname)
        if not os.path.exists(f):
            raise FileNotFoundError(f"{name}: {f!r} is missing. Get the files from {ds.source} "
                                    "and pass path=<their folder>.")
        if sha256_of(f) != digest:
            raise DatasetVerificationError(f"{name}: {f!r} does not match its SHA-256 "
                                           f"{digest[:12]}...; get a fresh copy from {ds.source}.")
    if name == "stackexchange-android":
        gpath = os.path.join(folder, "graph.txt")
        with open(gpath) as fh:
            n = int(fh.readline().split()[0])
        a = np.loadtxt(gpath, dtype=np.int64, skiprows=1, ndmin=2)
        graph = FollowerGraph.from_edges(np.r_[a[:, 0], a[:, 1]], np.r_[a[:, 1], a[:, 0]],
                                         n_nodes=n)
        cpath = os.path.join(folder, "cascades_all.csv")
        log = read_action_log(cpath, graph=graph, item="cascade_idx", time="t_rel_seconds")
        with open(cpath, newline="") as fh:
            test = sorted({r["cascade_idx"] for r in csv.DictReader(fh) if r["split"] == "test"})
        train, test_log = log.split("item", test_items=test)
    else:
        graph = read_edgelist(os.path.join(folder, "user_friends.dat"), directed=False,
                              header=True)
        log = read_action_log(os.path.join(folder, "cascades_first_tag.csv"), graph=graph,
                              item="artist_id", user="user_id", time="date")
        train, test_log = log.split(split or "time", test_size=test_size, rng=rng)
    return graph, train, test_log


data_home_ = data_home  # load_cascades's data_home argument shadows the function
