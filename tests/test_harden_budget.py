"""Issue 20 #7 (prepared helper, not yet called by estimate_reach): batches of bounded
memory whatever n_sims is, timelines sized by what can happen, and a one-line refusal
of what cannot fit, before any work."""

import numpy as np
import pytest

from viralsim import _budget
from viralsim._budget import (
    BATCH_BYTES,
    WORLD_BYTES,
    check_batch_size,
    require_memory,
    timeline_length,
    world_batch,
)


def test_batches_are_bounded_whatever_n_sims_is():
    for n in (1, 999, 10**7, 2**40):
        b = world_batch(n)
        assert 1 <= b <= n and b * WORLD_BYTES <= BATCH_BYTES
    assert world_batch(10**7) * WORLD_BYTES <= 256 << 20  # the 652 MB batch
    assert world_batch(10**7, 20_000) == 20_000 and world_batch(5, 20_000) == 5


@pytest.mark.parametrize("bad, exc", [(-1, ValueError), (0, ValueError), (2.5, TypeError),
                                      ("10", TypeError), (True, TypeError)])
def test_a_batch_size_that_would_hang_or_mean_all_at_once_is_refused(bad, exc):
    with pytest.raises(exc, match=r"'batch_size' parameter .* int >= 1") as err:
        check_batch_size(bad)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("bad, exc", [(2**63, ValueError), (0, ValueError), (-5, ValueError),
                                      (1e6, TypeError), (np.float64(3), TypeError)])
def test_n_sims_out_of_range_is_one_line(bad, exc):
    with pytest.raises(exc, match="'n_sims' parameter") as err:
        world_batch(bad)
    assert "\n" not in str(err.value)
    assert world_batch(np.int64(10)) == 10


def test_timelines_last_no_longer_than_the_graph_has_consumers():
    assert timeline_length(10**9, 5) == 6  # the 59.6 GiB on a 5-node graph
    assert timeline_length(3, 5) == 4 and timeline_length(None, 5) == 6
    assert timeline_length(None, 10**6, cap=1024) == 1025 and timeline_length(1, 0) == 2


def test_what_cannot_fit_is_refused_before_any_work():
    with pytest.raises(MemoryError, match=r"^the timelines need 59\.6 GiB but 1\.0 GiB of memory "
                                          r"is available\. Reduce max_rounds\.$"):
        require_memory(4 * 10**9 * 8 * 2, "the timelines", "max_rounds", available=1 << 30)
    require_memory(1 << 20, "x", "y", available=1 << 30)
    avail = _budget.available_memory()
    assert avail is None or avail > 0


@pytest.mark.parametrize("bad", [-1, 0])
def test_the_serial_backend_refuses_a_batch_size_that_hangs_or_means_all(bad):
    """Issue 20 #2: backend.batch_size=-1 ran for ever (split() never reached the end),
    0 was silently "all at once"."""
    import viralsim as vs
    from viralsim.distributed import SerialBackend, split

    with pytest.raises(ValueError, match=r"'batch_size' parameter of the serial backend must be "
                                         r"an int >= 1") as err:
        SerialBackend(batch_size=bad)
    assert "\n" not in str(err.value)
    g = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=0.5)
    with pytest.raises(ValueError, match="'batch_size' parameter"):
        vs.estimate_reach(g, [0], n_sims=200, rng=0, backend={"name": "serial", "batch_size": bad})
    with pytest.raises(ValueError, match="batch size must be an int >= 1"):
        split(0, 10, bad)
    assert split(0, 5, 2) == [(0, 2), (2, 2), (4, 1)]
