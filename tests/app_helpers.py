"""Helpers shared by the command-line tests (composition, the console script, sweep jobs)."""

import contextlib
import os
import subprocess
import sys

import pytest

hydra = pytest.importorskip("hydra")
from hydra import compose, initialize_config_module  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

import viralsim as vs  # noqa: E402
from viralsim import app  # noqa: E402

CONF = os.path.join(os.path.dirname(vs.__file__), "conf")


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


DATA = os.environ.get("VIRALSIM_DATA") or os.path.join(REPO, "..", "shared", "data")


TINY = ["graph.n_nodes=300", "n_sims=200", "formats=[png]"]


def options(group):
    d = os.path.join(CONF, group)
    return sorted(f[:-5] for f in os.listdir(d) if f.endswith(".yaml"))


def cfg_of(*overrides):
    with initialize_config_module("viralsim.conf", version_base="1.3"):
        return compose("config", overrides=list(overrides))


def plain(cfg):
    return OmegaConf.to_container(cfg, resolve=True)


def _as_a_sweep_job(monkeypatch, out_dir):
    class HC:  # what _task reads of Hydra's runtime config, in a multirun
        class runtime:
            output_dir = str(out_dir)
            choices = {"hydra/launcher": "basic"}

        class job:
            num = 0

        class overrides:
            task = []

    from hydra.types import RunMode

    HC.mode = RunMode.MULTIRUN
    monkeypatch.setattr(app.HydraConfig, "get", staticmethod(lambda: HC))


def _cli(args, cwd, env=None, timeout=300):
    e = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "viralsim", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=e)


def _hydra_cfg_of(*overrides):
    with initialize_config_module("viralsim.conf", version_base="1.3"):
        return compose("config", overrides=list(overrides), return_hydra_config=True)


def _shut_down_loky_pool():
    """Shut joblib's pool down, if one is up (without starting one to do so)."""
    pool = app._live_loky_pool()
    if pool is not None:
        pool.shutdown(wait=True, kill_workers=True)


@contextlib.contextmanager
def _viralsim_messages(level=None):
    """The messages logged to the ``viralsim`` logger meanwhile (at ``level``, if given)."""
    import logging

    logger, seen = logging.getLogger("viralsim"), []
    handler = logging.Handler()
    handler.emit = lambda r: seen.append(r.getMessage())
    old = logger.level
    logger.addHandler(handler)
    if level is not None:
        logger.setLevel(level)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def _cli_in_terminal(args, cwd, timeout=300):
    """Run the command line with stdout and stderr on a pseudo-terminal (progress bars on)."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 24 x 80
    e = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    e["PYTHONWARNINGS"] = "ignore"
    proc = subprocess.Popen([sys.executable, "-m", "viralsim", *args], cwd=cwd, stdin=slave,
                            stdout=slave, stderr=slave, env=e)
    os.close(slave)
    out = bytearray()
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                proc.kill()
                raise TimeoutError(out.decode(errors="replace"))
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    return proc.wait(timeout=timeout), out.decode(errors="replace")
