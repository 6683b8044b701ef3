"""Dataset registry: download via file:// URLs, checksums, counts, cache hygiene."""

import gzip
import hashlib
import os

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
