"""The console script: errors as one line, exit codes, a non-editable install."""

import os
import shlex
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


def _installed_non_editable():
    """The console script of this environment when viralsim is installed here from a wheel
    (``pip install .``, as CI does), else None (an editable install or a checkout)."""
    import viralsim

    here = os.path.dirname(viralsim.__file__)
    exe = shutil.which("viralsim", path=os.path.dirname(sys.executable))
    if "site-packages" not in here or exe is None or os.environ.get("PYTHONPATH"):
        return None
    return exe


def _wheel_into_fresh_venv(tmp_path, env):
    """``pip wheel`` this checkout and install the wheel alone into a new venv, whose
    dependencies come from this environment: ``(python, console script)``."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                            "-w", str(wheels), REPO],
                           capture_output=True, text=True, timeout=600, env=env)
    assert build.returncode == 0, build.stderr
    whl = next(wheels.glob("viralsim-*.whl"))
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(whl)],
                         capture_output=True, text=True, timeout=600, env=env)
    assert pip.returncode == 0, pip.stderr
    # only then the dependencies, from this environment (a .pth line is appended to
    # sys.path after the venv's own site-packages, and runs no editable-install hook,
    # so viralsim itself still comes from the wheel)
    import site

    new_site = subprocess.run([str(py), "-c", "import site; print(site.getsitepackages()[0])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(new_site, "_viralsim_test_deps.pth"), "w") as fh:
        fh.write("\n".join(site.getsitepackages()) + "\n")
    exe = shutil.which("viralsim", path=str(env_dir / "bin"))
    assert exe is not None
    return str(py), exe


@pytest.mark.slow
def test_non_editable_install_runs_default_from_empty_dir(tmp_path):
    """A non-editable install runs ``viralsim`` from an empty directory: the Hydra config
    tree ships inside the package. Where this environment has one (CI installs with
    ``pip install .`` and asserts it), that install is used; else (an editable install)
    a wheel of this checkout goes into a fresh venv (its kernels then compile anew: a
    minute)."""
    # without PYTHONPATH: a checkout's src/ on it makes pip take viralsim as installed
    # already (and create no console script) when a developer runs this test
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    exe = _installed_non_editable()
    if exe is not None:
        py, prefix = sys.executable, os.path.dirname(os.path.dirname(exe))
    else:
        py, exe = _wheel_into_fresh_venv(tmp_path, env)
        prefix = str(tmp_path / "venv")
    work = tmp_path / "empty"
    work.mkdir()
    p = subprocess.run([exe], cwd=work, capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode == 0, p.stderr
    assert "5 most followed" in p.stdout and "reach (mean ± CI)" in p.stdout
    # the package came from that environment's site-packages, not this checkout
    loc = subprocess.run([py, "-c", "import viralsim; print(viralsim.__file__)"], cwd=work,
                         capture_output=True, text=True, env=env).stdout
    assert loc.startswith(prefix) and "site-packages" in loc, loc
    assert not loc.startswith(REPO), loc
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


# ---------------------------------------------------------------------- a forgiving front door
@pytest.mark.parametrize("argv, want", [
    (["experiment=campain"], "experiment=campain: there is no experiment named 'campain'. Did you "
                             "mean experiment=campaign? The choices: campaign, campaign_influencers,"),
    (["-m", "graph=holme_kim,holme_kin"], "there is no graph named 'holme_kin'. Did you mean "
                                          "graph=holme_kim?"),
    (["+experimnt=campaign"], "+experimnt=campaign: there is no setting or group 'experimnt'. "
                              "Did you mean experiment=campaign?"),
    (["experimnt=campaign"], "Did you mean experiment=campaign?"),
    (["n_sim=5"], "there is no setting or group 'n_sim'. Did you mean n_sims=5?"),
    (["experiment=campaign", "experiment.budget=[1,2]"],
     "experiment.budget=[1,2]: experiment=campaign has no setting 'budget'. Did you mean "
     "experiment.budgets=[1,2]?"),
    (["graph.path=f.csv"], "graph=holme_kim has no setting 'path'. Choose an option that has it: "
                           "graph=dataset or graph=edgelist or graph=fitted or "
                           "graph=follower_csv."),
    (["followers.csv"], "'followers.csv' is not a setting: the command line takes key=value "
                        "settings. To read it as a follower CSV: viralsim graph=follower_csv "
                        "graph.path=followers.csv"),
    (["followers (export).csv"], "graph=follower_csv graph.path='\"followers (export).csv\"'"),
    (["graph=follower_csv", "graph.path=followers (export).csv"],
     "cannot read the setting 'graph.path=followers (export).csv': a value with letters beyond "
     "ASCII (ü, é), spaces or any of ( ) [ ] { } , : = must be quoted. Type it as "
     "graph.path='\"followers (export).csv\"'"),
    (["graph=follower_csv", "graph.path=müller.csv"], "Type it as graph.path='\"müller.csv\"'"),
    (["experiment.plans=[{name: a, seeds: [1, 2]"],
     "cannot read the setting experiment.plans: "),
    (["hello"], "'hello' is not a setting: the command line takes key=value settings"),
])
def test_command_line_mistakes_are_one_line_with_the_fix(argv, want):
    from viralsim.app._errors import check_command_line

    msg = check_command_line(argv)
    assert msg is not None and want in msg and "\n" not in msg


def test_valid_command_lines_pass_the_check(tmp_path):
    from viralsim.app._errors import check_command_line

    ok = [
        [],
        ["graph=follower_csv", "graph.path=\"followers (export).csv\"", "graph.consumers=c.csv"],
        ["-m", "rng_seed=0,1", "probabilities=uniform", "probabilities.p=0.01,0.02",
         "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweep.dir=s"],
        ["strategy=null", "~strategy", "--cfg", "job", "experiment=campaign",
         "experiment.budgets=[1,2]", "experiment.target_segment=students",
         "'experiment.plans=[{name: a, seeds: [1]}]'".strip("'")],
        ["--info", "defaults", "graph=holme_kim", "graph.n_nodes=10"],
        ["graph=barabasi_albert,holme_kim", "-m", "strategy=degree", "experiment=compare",
         "experiment.k=[1,5]"],
        ["--config-dir", "elsewhere", "+mine=x"],  # another tree: Hydra checks it
        ["graph=glob(*)", "-m"],
    ]
    for argv in ok:
        assert check_command_line(argv, str(tmp_path)) is None, argv
    # a study preset in ./configs is a group like the others
    (tmp_path / "configs" / "preset").mkdir(parents=True)
    (tmp_path / "configs" / "preset" / "mystudy.yaml").write_text("# @package _global_\n")
    assert check_command_line(["+preset=mystudy", "experiment.budgets=[1]"], str(tmp_path)) is None
    assert "Did you mean preset=mystudy?" in check_command_line(["+preset=mystduy"], str(tmp_path))


@pytest.mark.parametrize("argv, want", [
    (["graph.n_nodes=ten"], "graph.n_nodes=ten: graph.n_nodes takes a whole number (int), not "
                            "'ten'. For example: graph.n_nodes=10000."),
    (["n_sims=abc"], "n_sims takes a whole number (int), not 'abc'. For example: n_sims=10."),
    (["n_sims=1.5"], "n_sims takes a whole number (int), not '1.5'"),
    (["-m", "n_sims=10,abc"], "n_sims takes a whole number (int), not 'abc'"),
    (["graph=erdos_renyi", "graph.p_edge=1.5x"],
     "graph.p_edge takes a number (float), not '1.5x'. For example: graph.p_edge="),
    (["probabilities=uniform", "probabilities.p=1.5x"], "probabilities.p takes a number (float)"),
    (["exposure=maybe"], "exposure takes true or false (bool), not 'maybe'. For example: "
                         "exposure=true."),
    (["graph.n_nodes=null"], "graph.n_nodes cannot be empty (null); it takes a whole number."),
    (["-m", "strategy=degree", "experiment.k=[1,5]"],
     "experiment.k takes one value, a whole number (int), not a list. For example: "
     "experiment.k=10; to run each value, sweep with -m: viralsim -m experiment.k=1,5."),
    (["experiment=campaign", "experiment.costs.base=x"],
     "experiment.costs.base takes a number (float), not 'x'. For example: "
     "experiment.costs.base=1.0."),
])
def test_wrongly_typed_values_are_one_line_with_an_example(argv, want):
    from viralsim.app._errors import check_command_line

    msg = check_command_line(argv)
    assert msg is not None and want in msg and "\n" not in msg, msg
    for ok in (["n_sims=1_000"], ["n_sims=null"], ["exposure=no"], ["exposure=0"],
               ["probabilities=uniform", "probabilities.p=1e-3"], ["n_sims=${rng_seed}"],
               ["graph.n_nodes=500", "-m", "rng_seed=1,2"]):
        assert check_command_line(ok) is None, ok


def test_cli_type_error_is_one_line_exit_1(tmp_path):
    p = _cli(["graph.n_nodes=ten"], tmp_path, timeout=120)
    assert p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert p.stderr.startswith("Error: graph.n_nodes=ten: graph.n_nodes takes a whole number")
    assert not (tmp_path / "outputs").exists()


def test_cli_mistyped_plus_group_is_an_error_not_a_default_run(tmp_path):
    p = _cli(["+experimnt=campaign", "n_sims=10"], tmp_path, timeout=120)
    assert p.returncode == 1, p.stdout
    assert p.stderr.startswith("Error: +experimnt=campaign: there is no setting or group "
                               "'experimnt'. Did you mean experiment=campaign?")
    assert len(p.stderr.strip().splitlines()) == 1 and not (tmp_path / "outputs").exists()
    p = _cli(["followers.csv"], tmp_path, timeout=120)
    assert p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1
    assert "graph=follower_csv graph.path=followers.csv" in p.stderr


def test_cli_help_lists_the_groups_a_user_chooses_from(tmp_path):
    p = _cli(["--help"], tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    for group in ("graph", "model", "probabilities", "strategy", "experiment", "backend"):
        assert f"\n  {group}=" in p.stdout
    assert "campaign" in p.stdout and "follower_csv" in p.stdout and "holme_kim*" in p.stdout
    assert "schema" not in p.stdout  # Hydra's help listed the internal schema/... groups
    assert "pip install \".[joblib]\"" in p.stdout and "--hydra-help" in p.stdout


def test_cli_path_with_spaces_and_parentheses_quoted_as_the_message_says(tmp_path):
    f = tmp_path / "followers (export).csv"
    f.write_text("follower,followed\nbob,ann\ncid,ann\n")
    p = _cli(["graph=follower_csv", "graph.path=followers (export).csv"], tmp_path, timeout=120)
    assert p.returncode == 1
    typed = p.stderr.split("Type it as ", 1)[1].split(" (the outer", 1)[0]
    assert typed == "graph.path='\"followers (export).csv\"'"
    (arg,) = shlex.split(typed)  # what the shell passes when that is typed
    p = _cli(["graph=follower_csv", arg, "n_sims=50",
              "formats=[]", "hydra.run.dir=run", "experiment.plans=[{name: a, seeds: [ann]}]"],
             tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "edges read from column 'followed' to column 'follower'" in p.stdout + p.stderr
    (row,) = res.read_table(tmp_path / "run" / "results.csv")
    assert row["n_nodes"] == 3 and row["mean"] == 3.0  # ann's posts reach bob and cid


def test_install_hints_work_from_a_clone():
    # viralsim is on no package index: "viralsim[extra]" cannot be installed
    import re

    files = [os.path.join(REPO, "README.md")]
    for d, _, fs in os.walk(os.path.join(REPO, "src", "viralsim")):
        files += [os.path.join(d, f) for f in fs if f.endswith((".py", ".yaml"))]
    bad = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            if re.search(r"viralsim\[", fh.read()):
                bad.append(f)
    assert bad == []


def _readme_commands():
    import re

    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    blocks, lang, cur = [], None, []
    for line in text.splitlines():
        if line.startswith("```"):
            if lang is None:
                lang, cur = line[3:].strip() or "text", []
            else:
                if lang in ("bash", "sh", "shell"):
                    blocks.append("\n".join(cur))
                lang = None
        elif lang is not None:
            cur.append(line)
    cmds = []
    for block in blocks:
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.strip()
            if line.startswith("viralsim ") or line == "viralsim":
                try:
                    words = shlex.split(line, comments=True)
                except ValueError:
                    continue
                cmds.append(words[1:words.index("&&")] if "&&" in words else words[1:])
    return cmds


def test_the_readmes_command_lines_pass_the_check(tmp_path):
    # the check must not turn a documented command into an error
    from viralsim.app._errors import check_command_line

    cmds = _readme_commands()
    assert len(cmds) >= 5
    for argv in cmds:
        assert check_command_line(argv, str(tmp_path)) is None, argv


def test_cli_refuses_configs_that_run_code_hang_or_cannot_fit(tmp_path):
    """Issue 20 #2, #3, #7, #13: the probe's command lines, each one clear line."""
    cases = [
        (["~model", '+model={_target_: subprocess.getoutput, cmd: "touch PWNED"}'],
         "'_target_' 'subprocess.getoutput' is not allowed"),
        (["graph=barabasi_albert", "graph.n_nodes=500", "n_sims=200", "backend.batch_size=-1"],
         "backend.batch_size=-1: give a number of worlds per batch >= 1"),
        (["n_sims=9223372036854775808"], "n_sims=9223372036854775808 is more worlds"),
        (["graph=edgelist", "graph.path=cut.txt.gz"],  # the file named (issue 20 #13)
         "cut.txt.gz: the gzip file is truncated or corrupt"),
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


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("VIRALSIM_TEST_SCALE", "ci") != "full",
                    reason="compiles every kernel of a run from a cold cache (about 2 minutes): "
                           "VIRALSIM_TEST_SCALE=full")
def test_first_run_says_it_compiles_and_later_runs_do_not(tmp_path):
    """A cold Numba cache (its own folder): the notice on stderr, before the results; a
    second run loads the kernels from that cache and says nothing. About 2 minutes."""
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    args = ["graph.n_nodes=300", "n_sims=200", "formats=[]", "strategy=imm", "experiment.k=2"]
    p = _cli([*args, "hydra.run.dir=a"], tmp_path, env=env, timeout=900)
    assert p.returncode == 0, p.stderr
    notice = "viralsim: compiling the fast kernels once (about 40 s the first time"
    assert p.stderr.count(notice) == 1 and notice not in p.stdout
    p = _cli([*args, "hydra.run.dir=b"], tmp_path, env=env, timeout=900)
    assert p.returncode == 0 and notice not in p.stderr, p.stderr
