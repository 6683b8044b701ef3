"""The serial backend: batches of worlds in this process (Numba threads over worlds)."""

import sys

__all__ = ["SerialBackend", "run_worlds"]


def run_worlds(model, graph, seeds, key, start, n, **kw):
    """``model._simulate`` over worlds ``start .. start + n - 1``, guarded.

    The one place a batch of worlds runs in this process (the serial backend,
    ``estimate_reach`` without a backend, CELF's oracle): parallel kernel
    launches are serialised where Numba's threading layer cannot take
    concurrent ones (``workqueue``), and an out-of-memory inside the kernel is
    one :class:`MemoryError` naming what to reduce.
    """
    from .._memory import kernel_memory
    from .._numba_threads import parallel_section

    with parallel_section(), kernel_memory(
            f"simulating a batch of {n:,} worlds",
            "backend.batch_size (worlds held in memory at once), n_sims or max_rounds"):
        return model._simulate(graph, seeds, key, start, n, **kw)


def progress_enabled(progress, stream=None):
    """``progress=None`` means: only when the output is a terminal."""
    if progress is not None:
        return bool(progress)
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


class SerialBackend:
    """Run worlds here; optionally in batches with a tqdm progress bar.

    Parameters
    ----------
    batch_size : int >= 1, optional
        Worlds per batch (default: all at once, fastest, up to
        ``viralsim._limits.MAX_WORLDS_PER_BATCH`` worlds a batch, which also
        caps a larger value: memory stays bounded whatever ``n`` is). With a
        progress bar and no batch size, batches of ``max(n // 20, 1000)``.
    progress : bool or None, default None
        Show a tqdm bar over batches; None shows it only on a terminal.
    """

    name = "serial"

    def __init__(self, batch_size=None, progress=None):
        from .._limits import check_batch_size

        self.batch_size = check_batch_size(batch_size)
        self.progress = progress

    def simulate(self, model, graph, seeds, key, start, n, **kw):
        from .._limits import MAX_WORLDS_PER_BATCH
        from . import split

        show = progress_enabled(self.progress) and n >= 10_000
        size = self.batch_size or (max(n // 20, 1000) if show else n)
        size = min(size, MAX_WORLDS_PER_BATCH)  # any split gives the same worlds
        parts = split(start, n, size)
        if show and len(parts) > 1:
            from tqdm.auto import tqdm

            bar = tqdm(total=n, unit="world", unit_scale=True, leave=False, desc="worlds")
        else:
            bar = None
        out = []
        for s, c in parts:
            out.append(run_worlds(model, graph, seeds, key, s, c, **kw))
            if bar is not None:
                bar.update(c)
        if bar is not None:
            bar.close()
        return out
