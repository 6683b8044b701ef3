"""Dataset registry: download via file:// URLs, checksums, counts, cache hygiene."""

import gzip
import hashlib
import os
import warnings

import pytest

import viralsim as vs
from viralsim import datasets
from viralsim.datasets import Dataset, DatasetVerificationError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("VIRALSIM_DATA") or os.path.join(REPO, "..", "shared", "data")

EDGES = "# toy\n1 2\n2 3\n3 1\n3 4\n"


@pytest.fixture
def source(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    p = src / "toy.txt.gz"
    with gzip.open(p, "wt") as fh:
        fh.write(EDGES)
    return p


def _ds(source, sha256="auto", **kw):
    digest = hashlib.sha256(source.read_bytes()).hexdigest() if sha256 == "auto" else sha256
    args = dict(name="toy", url=source.as_uri(), filename="toy.txt.gz", directed=True, n_nodes=4,
                n_edges=4, citation="nobody", self_loops=0, sha256=digest)
    args.update(kw)
    return Dataset(**args)


def test_download_verify_and_cache(source, tmp_path):
    home = tmp_path / "cache"
    ds = _ds(source)
    p = datasets.fetch(ds, data_home=home)
    assert p == str(home / "toy.txt.gz") and os.listdir(home) == ["toy.txt.gz"]
    g = datasets.load(ds, data_home=home)
    assert (g.n_nodes, g.n_edges) == (4, 4)
    # second call: from the cache, no download (the source is gone)
    os.remove(source)
    assert datasets.fetch(ds, data_home=home) == p


def test_checksum_mismatch_keeps_nothing(source, tmp_path):
    home = tmp_path / "cache"
    ds = _ds(source, sha256="0" * 64)
    with pytest.raises(DatasetVerificationError, match="Checksum mismatch for toy"):
        datasets.fetch(ds, data_home=home)
    assert os.listdir(home) == []


def test_unknown_checksum_verifies_counts(source, tmp_path):
    home = tmp_path / "cache"
    assert datasets.fetch(_ds(source, sha256=None), data_home=home)
    with pytest.raises(DatasetVerificationError, match="expected 5 nodes"):
        datasets.fetch(_ds(source, sha256=None, filename="b.txt.gz", n_nodes=5), data_home=home)
    assert os.listdir(home) == ["toy.txt.gz"]


def test_env_variable_is_the_data_dir(source, tmp_path, monkeypatch):
    monkeypatch.setenv("VIRALSIM_DATA", str(tmp_path / "env"))
    p = datasets.fetch(_ds(source))
    assert p.startswith(str(tmp_path / "env"))


def test_offline_path_and_no_download(source, tmp_path):
    ds = _ds(source)
    assert datasets.fetch(ds, path=source) == str(source)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        datasets.fetch(ds, path=tmp_path / "missing.txt")
    with pytest.raises(FileNotFoundError, match="download=False"):
        datasets.fetch(ds, data_home=tmp_path / "empty", download=False)
    # a wrong offline copy is an error, and it is not deleted (it is the user's)
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2\n")
    with pytest.raises(DatasetVerificationError):
        datasets.fetch(_ds(source, sha256=None), path=bad)
    assert bad.exists()


def test_unknown_name_lists_registry():
    with pytest.raises(KeyError, match="wiki-Vote"):
        datasets.info("wiki-vote-2")
    assert datasets.info("WIKI-VOTE").name == "wiki-Vote"


def test_registry_entries_are_complete():
    want = {"wiki-Vote", "email-Eu-core", "ca-GrQc", "ca-HepTh", "ca-HepPh", "email-Enron",
            "soc-Epinions1", "com-DBLP", "soc-LiveJournal1", "NetHEPT"}
    assert set(datasets.names()) == want
    for d in datasets.REGISTRY.values():
        assert d.citation and d.n_nodes > 0 and d.n_edges > 0
        assert d.url is None or d.url.startswith("https://")
        for s in [d.sha256, *d.known_copies.values()]:
            assert s is None or (len(s) == 64 and int(s, 16) >= 0)


def test_known_copies_match_shared_sums():
    """Every checksum in the registry is one of the shared data folder's (none invented)."""
    sums = os.path.join(DATA, "SHA256SUMS")
    if not os.path.exists(sums):
        pytest.skip("shared data absent")
    with open(sums) as fh:
        known = dict(line.split()[::-1] for line in fh if line.strip())
    for d in datasets.REGISTRY.values():
        for fname, digest in d.known_copies.items():
            assert known[fname] == digest


@pytest.mark.parametrize("name", ["email-Eu-core", "ca-GrQc", "NetHEPT", "wiki-Vote"])
def test_local_copies_load_with_published_counts(name):
    if not os.path.isdir(DATA):
        pytest.skip("shared data absent")
    d = datasets.info(name)
    g = vs.datasets.load(name, data_home=DATA, download=False)
    assert g.n_nodes == d.n_nodes and g.n_edges == d.follower_edges
    # the count check (used when no checksum matches) agrees with the file
    datasets._check_counts(d, g, "copy")


def test_unreachable_url_says_how_to_work_offline(source, tmp_path):
    home = tmp_path / "cache"
    ds = _ds(source, url=(tmp_path / "nowhere" / "toy.txt.gz").as_uri())  # no such file: URLError
    with pytest.raises(OSError, match=r"Could not download dataset toy from file://.*Without network "
                       r"access, put toy.txt.gz in .*cache, set VIRALSIM_DATA"):
        datasets.fetch(ds, data_home=home)
    assert os.listdir(home) == []  # no partial download left


def _deflate_start(b):
    """Offset of the deflate stream in gzip bytes ``b`` (after the name gzip.open stores)."""
    return b.index(b"\0", 10) + 1 if b[3] & 0x08 else 10


# Corruptions of a gzip file and what each makes the reader raise underneath.
CORRUPT = {
    "truncated": lambda b: b[: len(b) // 2],  # EOFError
    "trailing garbage": lambda b: b + b"garbage!",  # gzip.BadGzipFile
    "bad crc": lambda b: b[:-8] + bytes([b[-8] ^ 1]) + b[-7:],  # gzip.BadGzipFile
    "bad deflate block": lambda b: (b[:_deflate_start(b)] + bytes([b[_deflate_start(b)] | 0x06])
                                    + b[_deflate_start(b) + 1:]),  # zlib.error
}


@pytest.mark.parametrize("how", CORRUPT)
def test_corrupt_gzip_in_the_data_dir_names_file_and_fix_and_is_kept(source, tmp_path, how):
    home = tmp_path / "cache"
    home.mkdir()
    bad = home / "toy.txt.gz"
    bad.write_bytes(CORRUPT[how](source.read_bytes()))
    for sha in ["auto", None]:
        with pytest.raises(DatasetVerificationError) as err:
            datasets.load(_ds(source, sha256=sha), data_home=home)
        msg = str(err.value)
        assert f"The file {bad} in the data directory (dataset toy) cannot be decompressed" in msg
        assert "truncated or corrupt" in msg and "left in place" in msg
        assert f"delete it and the next call downloads it again from {source.as_uri()}" in msg
        assert bad.exists()  # the user's file is never deleted


@pytest.mark.parametrize("how", CORRUPT)
def test_corrupt_gzip_given_as_path_is_an_error_and_is_kept(source, tmp_path, how):
    bad = tmp_path / "mine.txt.gz"
    bad.write_bytes(CORRUPT[how](source.read_bytes()))
    with pytest.raises(DatasetVerificationError,
                       match=r"mine.txt.gz given as path= for dataset toy cannot be decompressed.*"
                       r"left in place\. Pass path= a correct copy"):
        datasets.fetch(_ds(source), path=bad)
    assert bad.exists()


@pytest.mark.parametrize("how", CORRUPT)
def test_corrupt_gzip_download_is_discarded_and_named_by_url(source, tmp_path, how):
    home = tmp_path / "cache"
    served = tmp_path / "served.txt.gz"
    served.write_bytes(CORRUPT[how](source.read_bytes()))
    ds = _ds(source, sha256=None, url=served.as_uri())
    with pytest.raises(DatasetVerificationError) as err:
        datasets.fetch(ds, data_home=home)
    msg = str(err.value)
    assert f"The download of dataset toy from {served.as_uri()} cannot be decompressed" in msg
    assert f"The download was discarded (nothing was saved to {home / 'toy.txt.gz'})" in msg
    assert ".part" not in msg
    assert os.listdir(home) == []


def test_real_truncated_gzip_is_a_verification_error(tmp_path):
    """The report: the first 300 kB of ca-HepPh.txt.gz gave a bare EOFError naming no file."""
    src = os.path.join(DATA, "ca-HepPh.txt.gz")
    if not os.path.exists(src):
        pytest.skip("shared data absent")
    with open(src, "rb") as fh:
        (tmp_path / "ca-HepPh.txt.gz").write_bytes(fh.read(300_000))
    with pytest.raises(DatasetVerificationError, match=r"ca-HepPh.txt.gz in the data directory "
                       r"\(dataset ca-HepPh\) cannot be decompressed \(EOFError: .*truncated"):
        datasets.load("ca-HepPh", data_home=tmp_path, download=False)
    assert (tmp_path / "ca-HepPh.txt.gz").exists()


def test_failed_download_names_url_and_cache_path_not_the_part_file(source, tmp_path):
    home = tmp_path / "cache"
    dest = home / "toy.txt.gz"
    with pytest.raises(DatasetVerificationError) as err:
        datasets.fetch(_ds(source, sha256=None, n_nodes=5), data_home=home)
    msg = str(err.value)
    assert msg.startswith(f"The download of dataset toy from {source.as_uri()} does not look like "
                          "toy: it has 4 nodes")
    assert f"The download was discarded (nothing was saved to {dest})" in msg
    assert ".part" not in msg and "can be deleted" not in msg
    with pytest.raises(DatasetVerificationError, match="Checksum mismatch") as err:
        datasets.fetch(_ds(source, sha256="0" * 64), data_home=home)
    assert f"discarded (nothing was saved to {dest})" in str(err.value)
    assert ".part" not in str(err.value)
    assert os.listdir(home) == []


def test_download_that_is_not_an_edge_list_is_discarded(source, tmp_path):
    home = tmp_path / "cache"
    page = tmp_path / "page.html"
    page.write_text("<html>\n<body>moved</body>\n</html>\n")
    with pytest.raises(DatasetVerificationError) as err:
        datasets.fetch(_ds(source, sha256=None, url=page.as_uri()), data_home=home)
    msg = str(err.value)
    assert f"from {page.as_uri()} cannot be read as an edge list ({page.as_uri()}:1: " in msg
    assert ".part" not in msg and "discarded" in msg
    assert os.listdir(home) == []


def test_a_known_copy_name_with_other_bytes_warns(source, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "toy.txt").write_text(EDGES.replace("3 4", "4 3"))  # same counts, one edge turned
    ds = _ds(source, sha256=None, filename="toy.txt", known_copies={"toy.txt": "0" * 64})
    with pytest.warns(vs.ViralsimWarning, match=r"named like the known copy of toy but its "
                                                 r"SHA-256 differs .* counts only"):
        assert datasets.fetch(ds, data_home=home, download=False) == str(home / "toy.txt")
    # a file under another name, checked by its counts: no warning (nothing to compare with)
    ds = _ds(source, sha256=None, filename="toy.txt", known_copies={})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        datasets.fetch(ds, data_home=home, download=False)
