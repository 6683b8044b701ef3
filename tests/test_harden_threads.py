"""Issue 20 #14: Numba's workqueue threading layer aborts the interpreter when two
threads launch parallel kernels together; viralsim runs them one at a time there."""

import json
import os
import subprocess
import sys
import textwrap

import viralsim
from viralsim import _numba_threads

SRC = os.path.dirname(os.path.dirname(os.path.abspath(viralsim.__file__)))


def test_the_threading_layer_is_known_and_judged():
    layer = _numba_threads.threading_layer()
    assert layer in ("tbb", "omp", "workqueue")
    assert _numba_threads.concurrent_calls_safe() == (layer != "workqueue")


def test_concurrent_estimates_on_workqueue_run_one_at_a_time_instead_of_aborting(tmp_path):
    code = textwrap.dedent(f"""
        import json, sys, threading
        sys.path.insert(0, {SRC!r})
        import numba
        import viralsim as vs
        from viralsim import _numba_threads

        g = vs.generators.barabasi_albert(2000, 3, rng=1).with_probabilities(0.05)
        want = vs.estimate_reach(g, [0, 1], n_sims=3000, rng=5, backend="serial").mean
        got, errors = [], []

        def work():
            try:
                for _ in range(15):
                    got.append(vs.estimate_reach(g, [0, 1], n_sims=3000, rng=5,
                                                 backend="serial").mean)
            except Exception as exc:
                errors.append(repr(exc))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(json.dumps({{"layer": numba.threading_layer(), "want": want, "got": got,
                          "errors": errors, "safe": _numba_threads.concurrent_calls_safe()}}))
    """)
    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue", NUMBA_NUM_THREADS="2")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                       env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]  # workqueue aborts: "Concurrent access"
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["layer"] == "workqueue" and out["safe"] is False
    assert out["errors"] == [] and out["got"] == [out["want"]] * 60
