"""The console script: errors as one line, exit codes, a non-editable install."""

import os
import shutil
import subprocess
import sys
import venv

import pytest

hydra = pytest.importorskip("hydra")

from viralsim import results as res  # noqa: E402

from .app_helpers import (  # noqa: E402
    REPO,
    _cli,
)


def test_cli_shows_viralsim_warnings_as_log_lines(tmp_path):
    f = tmp_path / "loops.txt"
    f.write_text("0 1 0.5\n1 1 0.5\n1 2 0.5\n")
    p = _cli(["graph=edgelist", f"graph.path={f}", "probabilities=keep", "n_sims=100",
              "formats=[png]", "hydra.run.dir=run", "experiment.plans=[{name: a, seeds: [0]}]"],
             tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "[viralsim][WARNING] - " in p.stdout + p.stderr and "self-loop" in p.stdout + p.stderr
    assert "ViralsimWarning" not in p.stderr and "warnings.warn" not in p.stderr
    assert "self-loop" in (tmp_path / "run" / "viralsim.log").read_text()


def test_cli_unknown_choice_lists_options(tmp_path):
    p = _cli(["graph=nope"], tmp_path, timeout=120)
    assert p.returncode != 0
    assert "nope" in p.stderr and "holme_kim" in p.stderr and "barabasi_albert" in p.stderr


@pytest.mark.slow
def test_non_editable_install_runs_default_from_empty_dir(tmp_path):
    """``pip install .`` (not editable) into a fresh venv, then ``viralsim`` from an empty dir."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                            "-w", str(wheels), REPO],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    whl = next(wheels.glob("viralsim-*.whl"))
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(whl)],
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr
    # only then the dependencies, from this environment (a .pth line is appended to
    # sys.path after the venv's own site-packages, and runs no editable-install hook,
    # so viralsim itself still comes from the wheel)
    import site

    new_site = subprocess.run([str(py), "-c", "import site; print(site.getsitepackages()[0])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(new_site, "_viralsim_test_deps.pth"), "w") as fh:
        fh.write("\n".join(site.getsitepackages()) + "\n")
    work = tmp_path / "empty"
    work.mkdir()
    exe = shutil.which("viralsim", path=str(env_dir / "bin"))
    assert exe is not None
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    p = subprocess.run([exe], cwd=work, capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode == 0, p.stderr
    assert "5 most followed" in p.stdout and "reach (mean ± CI)" in p.stdout
    # the package came from site-packages, not this checkout
    loc = subprocess.run([str(py), "-c", "import viralsim; print(viralsim.__file__)"], cwd=work,
                         capture_output=True, text=True, env=env).stdout
    assert loc.startswith(str(env_dir)), loc
    runs = [os.path.join(d, f) for d, _, fs in os.walk(work / "outputs") for f in fs]
    names = {os.path.basename(f) for f in runs}
    assert {"results.csv", "adoption.png", "report.md", "DONE"} <= names
    table = res.read_table(next(f for f in runs if f.endswith("results.csv")))
    assert len(table) == 3 and all(r["converged"] for r in table)
    assert all((r["ci_high"] - r["ci_low"]) / 2 <= 0.01 * r["mean"] for r in table)


def test_cli_bad_input_is_one_clear_line(tmp_path):
    p = _cli(["probabilities=uniform", "probabilities.p=1.5"], tmp_path, timeout=120)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert p.stderr.startswith("Error: The 'probabilities.p' parameter of probabilities=uniform "
                               "must be a float in [0, 1]. Got 1.5 instead.")
    (tmp_path / "b").mkdir()
    p = _cli(["graph=edgelist", "graph.path=nope.txt"], tmp_path / "b", timeout=120)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "Edge list 'nope.txt' does not exist" in p.stderr
    (logfile,) = (tmp_path / "b").glob("outputs/*/*/viralsim.log")  # the traceback: in the log
    assert "Traceback" in logfile.read_text() and "EdgeListNotFound" in logfile.read_text()
    # and the traceback on request
    p = _cli(["graph=edgelist", "graph.path=nope.txt"], tmp_path, env={"HYDRA_FULL_ERROR": "1"},
             timeout=120)
    assert p.returncode == 1 and "Traceback" in p.stderr and "EdgeListNotFound" in p.stderr


def test_cli_refuses_configs_that_run_code_hang_or_cannot_fit(tmp_path):
    """Issue 20 #2, #3, #7, #13: the probe's command lines, each one clear line."""
    cases = [
        (["~model", '+model={_target_: subprocess.getoutput, cmd: "touch PWNED"}'],
         "'_target_' 'subprocess.getoutput' is not allowed"),
        (["graph=barabasi_albert", "graph.n_nodes=500", "n_sims=200", "backend.batch_size=-1"],
         "backend.batch_size=-1: give a number of worlds per batch >= 1"),
        (["n_sims=9223372036854775808"], "n_sims=9223372036854775808 is more worlds"),
        (["graph=edgelist", "graph.path=cut.txt.gz"], "A gzip file is truncated or corrupt"),
    ]
    import gzip

    for i, (args, expected) in enumerate(cases):
        d = tmp_path / str(i)
        d.mkdir()
        z = gzip.compress(b"".join(b"%d %d\n" % (j, j + 1) for j in range(3000)))
        (d / "cut.txt.gz").write_bytes(z[: len(z) // 2])
        p = _cli(args, d, timeout=180)
        assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr[-2000:]
        assert p.stderr.startswith(f"Error: {expected}"), p.stderr[-2000:]
        assert not (d / "PWNED").exists()
