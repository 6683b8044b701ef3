"""Cheap whole-package checks."""

import subprocess
import sys


def test_import_is_light_and_warning_free():
    code = (
        "import sys, viralsim; "
        "bad = [m for m in ('hydra', 'omegaconf', 'matplotlib', 'ray', 'cynetdiff', 'ndlib') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)


def test_public_surface():
    import viralsim as vs

    for name in ("FollowerGraph", "read_edgelist", "generators", "IC", "estimate_reach", "ReachEstimate"):
        assert hasattr(vs, name), name
    assert set(vs.__all__) <= set(dir(vs))
