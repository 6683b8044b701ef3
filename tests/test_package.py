"""Cheap whole-package checks."""

import subprocess
import sys


def test_import_is_light_and_warning_free():
    code = (
        "import sys, viralsim; "
        "bad = [m for m in ('hydra', 'omegaconf', 'matplotlib', 'ray', 'cynetdiff', 'ndlib', "
        "'scipy.stats') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)


def test_public_surface():
    import viralsim as vs

    for name in ("FollowerGraph", "read_edgelist", "generators", "IC", "estimate_reach", "ReachEstimate"):
        assert hasattr(vs, name), name
    assert set(vs.__all__) <= set(dir(vs))


def test_normal_quantile_equals_scipys():
    # the CI's z comes from the standard library (scipy.stats costs 0.35 s to import)
    from scipy import stats

    from viralsim.estimate import _z

    for c in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1 - 1e-9):
        want = float(stats.norm.ppf(0.5 + c / 2))
        assert abs(_z(c) - want) <= 1e-15 * want, c  # a few ulps
