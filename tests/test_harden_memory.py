"""Issue 20 #8: out of memory inside a parallel Numba kernel is a MemoryError that says
what to reduce, not Numba's SystemError."""

import numpy as np
import pytest
from numba import njit, prange

from viralsim._memory import kernel_memory, memory_cause
from viralsim.distributed.serial import SerialBackend

HUGE = 2**45  # 256 TiB of int64: refused at once by the allocator, nothing is touched


@njit(parallel=True, cache=False)
def _hungry(n, k):
    s = 0
    for _i in prange(k):
        a = np.empty(n, np.int64)
        s += a.size
    return s


def test_numba_reports_a_parallel_kernels_oom_as_system_error():
    """What the helper is for (if Numba ever raises MemoryError itself, this says so)."""
    with pytest.raises(SystemError) as err:
        _hungry(HUGE, 2)
    assert isinstance(memory_cause(err.value), MemoryError)


def test_kernel_memory_turns_it_into_a_memory_error_naming_what_to_reduce():
    with pytest.raises(MemoryError) as err:
        with kernel_memory("simulating worlds", "n_sims"):
            _hungry(HUGE, 2)
    msg = str(err.value)
    assert type(err.value) is MemoryError and "\n" not in msg
    assert msg.startswith("Out of memory while simulating worlds") and msg.endswith("Reduce n_sims.")
    with pytest.raises(SystemError, match="unrelated"):  # other SystemErrors pass unchanged
        with kernel_memory("x", "y"):
            raise SystemError("unrelated")


class _HungryModel:
    def _simulate(self, graph, seeds, key, start, n, **kw):
        return _hungry(HUGE, 2)


def test_the_serial_backend_says_to_reduce_the_batch():
    with pytest.raises(MemoryError, match=r"Out of memory while simulating a batch of 1,000 "
                                          r"worlds .*Reduce backend.batch_size"):
        SerialBackend(batch_size=1000).simulate(_HungryModel(), None, None, 0, 0, 5000)
