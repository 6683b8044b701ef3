"""Issue 20 #11: downloads verified by hash wherever one is known, no https -> http
redirect, a bound on the total time, no .part file left by a killed download.
Servers here listen on 127.0.0.1 only."""

import dataclasses
import gzip
import http.server
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request

import pytest

from viralsim import datasets
from viralsim.datasets import Dataset, DatasetVerificationError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("VIRALSIM_DATA") or os.path.join(REPO, "..", "shared", "data")
SRC = os.path.dirname(os.path.dirname(os.path.abspath(datasets.__file__)))
EDGES = b"# toy\n1 2\n2 3\n3 1\n3 4\n"


class _Server:
    """A local HTTP server: /file serves ``self.body``, /redirect sends there, /slow
    trickles a byte every 0.2 s."""

    def __init__(self):
        self.body = gzip.compress(EDGES)
        self.stop = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "/file")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path == "/file":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(outer.body)))
                    self.end_headers()
                    self.wfile.write(outer.body)
                    return
                if self.path == "/slow":
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    try:
                        while not outer.stop.wait(0.2):
                            self.wfile.write(b"1")
                            self.wfile.flush()
                    except OSError:  # the client went away
                        pass
                    return
                self.send_error(404)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


def _toy(url, **kw):
    args = dict(name="toy", url=url, filename="toy.txt.gz", directed=True, n_nodes=4, n_edges=4,
                citation="nobody", self_loops=0)
    args.update(kw)
    return Dataset(**args)


# --------------------------------------------------------------- verify by hash
def test_edges_hash_ignores_layout_and_sees_any_changed_edge(tmp_path):
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt.gz", tmp_path / "c.txt"
    a.write_bytes(b"# header\r\n1\t2\r\n2\t3\r\n3 1\n3 4\n")
    b.write_bytes(gzip.compress(b"3 4\n3 1\n2 3\n1 2\n"))
    c.write_bytes(b"1 2\n2 3\n3 1\n4 3\n")  # one edge turned: same counts
    assert datasets.edges_sha256_of(a) == datasets.edges_sha256_of(b)
    assert datasets.edges_sha256_of(a) != datasets.edges_sha256_of(c)


def _shared(name):
    ds = datasets.info(name)
    fname = next(iter(ds.known_copies))
    p = os.path.join(DATA, fname)
    if not os.path.exists(p):
        pytest.skip("shared data absent")
    return ds, p


@pytest.mark.parametrize("name", [n for n, d in datasets.REGISTRY.items() if d.known_copies])
def test_every_entry_with_a_verified_copy_knows_the_hash_of_its_edges(name):
    ds, p = _shared(name)
    assert ds.edges_sha256 == datasets.edges_sha256_of(p, header=ds.read_kwargs.get("header", False))


def _turn_one_edge(raw):
    """The edge list with the targets of two edges swapped: same nodes, same edge count,
    same self-loops, other edges."""
    lines = raw.decode().splitlines(keepends=True)
    data = [i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")]
    edges = {tuple(lines[i].split()) for i in data}
    for i in data:
        for j in data[1:]:
            (u1, v1), (u2, v2) = lines[i].split(), lines[j].split()
            if len({u1, v1, u2, v2}) == 4 and (u1, v2) not in edges and (u2, v1) not in edges:
                lines[i], lines[j] = f"{u1} {v2}\n", f"{u2} {v1}\n"
                return "".join(lines).encode()
    raise AssertionError("no edge pair to swap")


def test_a_download_with_other_edges_and_the_same_counts_is_refused(server, tmp_path):
    """The issue's case: a server serving a changed file with the publisher's counts."""
    ds, p = _shared("email-Eu-core")
    with open(p, "rb") as fh:
        raw = fh.read()
    ds = dataclasses.replace(ds, url=server.url + "/file")
    home = tmp_path / "home"
    server.body = gzip.compress(_turn_one_edge(raw))
    with pytest.raises(DatasetVerificationError, match="its edges differ from those of the "
                                                       "verified copy"):
        datasets.fetch(ds, data_home=home)
    assert os.listdir(home) == []  # nothing unverified cached
    server.body = gzip.compress(raw.replace(b"\n", b"\r\n"))  # the same edges, other bytes
    assert datasets.fetch(ds, data_home=home) == str(home / ds.filename)


# ------------------------------------------------------------------ redirects
def test_https_to_http_redirect_is_refused_others_followed():
    h = datasets._NoDowngradeRedirect()
    req = urllib.request.Request("https://snap.stanford.edu/data/wiki-Vote.txt.gz")
    with pytest.raises(urllib.error.URLError, match="https to http"):
        h.redirect_request(req, None, 302, "Found", {}, "http://evil.example/wiki-Vote.txt.gz")
    ok = h.redirect_request(req, None, 301, "Moved", {}, "https://mirror.example/w.txt.gz")
    assert ok.full_url == "https://mirror.example/w.txt.gz"
    assert any(isinstance(x, datasets._NoDowngradeRedirect) for x in datasets._opener().handlers)


def test_http_redirect_is_followed(server, tmp_path):
    ds = _toy(server.url + "/redirect")
    assert datasets.fetch(ds, data_home=tmp_path) == str(tmp_path / "toy.txt.gz")


# -------------------------------------------------------------- total time bound
def test_a_trickling_server_cannot_keep_a_download_running(server, tmp_path):
    ds = _toy(server.url + "/slow")
    t0 = time.monotonic()
    with pytest.raises(OSError, match=r"took longer than max_time=1 s.*Without network access"):
        datasets.fetch(ds, data_home=tmp_path, max_time=1.0)
    assert time.monotonic() - t0 < 10
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match="'max_time' parameter of fetch"):
        datasets.fetch(ds, data_home=tmp_path, max_time=0)


# ------------------------------------------------- partial files of killed downloads
def test_a_killed_downloads_part_file_is_removed_a_live_ones_kept(server, tmp_path):
    home = tmp_path / "home"
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {SRC!r})
        from viralsim import datasets
        ds = datasets.Dataset(name="toy", url={server.url + "/slow"!r}, filename="toy.txt.gz",
                              directed=True, n_nodes=4, n_edges=4, citation="x", self_loops=0)
        datasets.fetch(ds, data_home={str(home)!r}, max_time=120)
    """)
    p = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while not (home.is_dir() and any(n.endswith(".part") for n in os.listdir(home))):
            assert p.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        part = [n for n in os.listdir(home) if n.endswith(".part")]
        assert datasets._clean_partial(str(home)) == []  # a live download's: kept
        assert [n for n in os.listdir(home) if n.endswith(".part")] == part
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    assert [n for n in os.listdir(home) if n.endswith(".part")] == part  # kill -9 left it
    server.body = gzip.compress(EDGES)
    ds = _toy(server.url + "/file")
    assert datasets.fetch(ds, data_home=home) == str(home / "toy.txt.gz")
    assert sorted(os.listdir(home)) == ["toy.txt.gz"]
