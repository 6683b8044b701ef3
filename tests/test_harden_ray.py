"""Issue 20 #9 and #14: Ray from several threads. Starting Ray is thread-safe; the Ray
viralsim started is shut down at exit and its session folder removed."""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip("ray")

import viralsim  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.abspath(viralsim.__file__)))
FULL = os.environ.get("VIRALSIM_TEST_SCALE", "ci") == "full"


def _ray_processes(session):
    """Pids of processes whose command line names the session folder."""
    name = os.path.basename(session).encode()
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if name in fh.read():
                    out.append(int(pid))
        except OSError:
            continue
    return out


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to find Ray's processes")
@pytest.mark.skipif(not FULL, reason="starts Ray in a fresh process (about 35 s): "
                    "VIRALSIM_TEST_SCALE=full (CI's time)")
def test_ten_threads_start_ray_once_and_nothing_outlives_the_process(tmp_path):
    n_sims = 20_000 if FULL else 2_000
    code = textwrap.dedent(f"""
        import json, os, sys, threading
        sys.path.insert(0, {SRC!r})
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        import viralsim as vs
        from viralsim.distributed import ray_backend

        g = vs.generators.barabasi_albert(300, 2, rng=1).with_probabilities(0.1)
        serial = vs.estimate_reach(g, [0, 1], n_sims={n_sims}, rng=5).mean
        errors, means = [], []

        def work():
            try:
                means.append(vs.estimate_reach(g, [0, 1], n_sims={n_sims}, rng=5,
                                               backend={{"name": "ray", "num_cpus": 2,
                                                         "batch_size": 500}}).mean)
            except Exception as exc:
                errors.append(repr(exc)[:300])

        threads = [threading.Thread(target=work) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(json.dumps({{"errors": errors, "means": means, "serial": serial,
                          "sessions": list(ray_backend._STARTED)}}), flush=True)
    """)
    env = dict(os.environ, RAY_AUTH_MODE="disabled")
    env.pop("RAY_ADDRESS", None)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=600, cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stderr[-3000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["errors"] == []
    assert out["means"] == [out["serial"]] * 10  # bit-identical to serial, every thread
    assert len(out["sessions"]) == 1  # one Ray started, by one thread
    session = out["sessions"][0]
    assert not os.path.exists(session)  # its folder removed at exit
    deadline = time.monotonic() + 30  # processes Ray was told to stop may take a moment
    while _ray_processes(session) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _ray_processes(session) == []
