"""Every code block of the README, docs/ and benchmarks/README.md is exercised.

- ```python blocks run as written (each in a fresh namespace, in a temporary
  working directory, with the suite's ``filterwarnings=error``).
- ```bash blocks are checked command by command, without the minutes their
  runs would take (test_app.py runs every experiment end to end):
  ``viralsim ...`` is composed against the installed config tree and its
  schemas (every combination of a ``-m`` sweep, every ``???`` resolved);
  ``python -m viralsim.bench ...`` must use the bench's own flags and suites,
  and files it names must exist; ``pip install ...`` must name this
  repository (``.``) and extras that pyproject.toml defines (viralsim is not
  on a package index); ``python -m pytest`` and ``python <script>`` (an
  existing file of the repository) pass as they are.
- ```text blocks are output or file contents, not code.
- A block that must not be checked (it needs a cluster, or is a shell loop)
  has the line ``<!-- skip-test: why -->`` just before its fence. Use it
  sparingly: a skipped block can go stale unnoticed.
A fence in any other language is an error, so that no block is left out silently.
"""

import glob
import itertools
import os
import re
import shlex
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = ["README.md", *sorted(os.path.relpath(p, REPO) for p in glob.glob(
    os.path.join(REPO, "docs", "*.md"))), os.path.join("benchmarks", "README.md")]
SKIP = "<!-- skip-test"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", flags=re.S | re.M)


def blocks(name):
    """``(language, code, line, skipped)`` of each fenced block of ``name``."""
    path = os.path.join(REPO, name)
    if not os.path.exists(path):  # an sdist without docs: nothing to check
        return []
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    out = []
    for m in FENCE.finditer(text):
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        line = text.count("\n", 0, m.start()) + 1
        out.append((m.group(1), m.group(2), line, before.strip().startswith(SKIP)))
    return out


def _params(lang):
    return [pytest.param(code, id=f"{name}:{line}",
                         marks=[pytest.mark.skip(reason="marked skip-test")] if skipped else [])
            for name in FILES for (lg, code, line, skipped) in blocks(name) if lg == lang]


def test_every_block_has_a_known_language():
    odd = [f"{name}:{line} ```{lang}" for name in FILES
           for (lang, _, line, _) in blocks(name) if lang not in ("python", "bash", "text")]
    assert not odd, f"blocks no test checks (use python, bash or text): {odd}"


@pytest.mark.skipif(not os.path.isdir(os.path.join(REPO, "docs")), reason="no docs/ (an sdist)")
def test_the_docs_are_found():
    found = {f.replace(os.sep, "/") for f in FILES}
    pages = {f"docs/{p}.md" for p in ("cli", "models", "strategies", "data", "internals")}
    assert pages <= found, pages - found
    # each page shows how: at least one block that the tests run or check
    assert all(any(not skip for (_, _, _, skip) in blocks(p)) for p in pages)


@pytest.mark.parametrize("code", _params("python"))
def test_python_blocks_run(code, tmp_path, monkeypatch, capsys):
    if ".parquet" in code:  # Parquet needs the optional pyarrow (pip install ".[parquet]")
        pytest.importorskip("pyarrow")
    monkeypatch.chdir(tmp_path)
    try:
        exec(compile(code, "<doc block>", "exec"), {"__name__": "__doc_block__"})
    finally:
        if "matplotlib.pyplot" in sys.modules:  # figures a block left open
            sys.modules["matplotlib.pyplot"].close("all")


# ---------------------------------------------------------------------- links
def _slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path):
    with open(path, encoding="utf-8") as fh:
        text = FENCE.sub("", fh.read())
    return {_slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}


@pytest.mark.parametrize("name", [f for f in FILES if os.path.exists(os.path.join(REPO, f))])
def test_links_resolve(name):
    path = os.path.join(REPO, name)
    with open(path, encoding="utf-8") as fh:
        text = FENCE.sub("", fh.read())
    bad = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        file, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
        if not os.path.exists(dest):
            bad.append(target)
        elif anchor and anchor not in _anchors(dest):
            bad.append(target)
    assert not bad, f"{name}: links to nothing: {bad}"


# ---------------------------------------------------------------------- shell blocks
def commands(code):
    """The commands of a bash block: continuation lines joined, comments dropped,
    ``&&`` chains split, leading ``VAR=value`` assignments removed, the lines of
    a ``for``/``while`` loop dropped (its body is checked)."""
    cmds = []
    for line in code.replace("\\\n", " ").splitlines():
        if re.match(r"\s*(for|while) .*; do\s*$|\s*done\s*$", line):
            continue  # a loop's own lines; its body is checked
        words = shlex.split(line, comments=True)
        cmd = []
        for w in [*words, "&&"]:
            if w == "&&":
                while cmd and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", cmd[0]):
                    cmd.pop(0)
                if cmd:
                    cmds.append(cmd)
                cmd = []
            else:
                cmd.append(w)
    return cmds


def _compose(overrides):
    from hydra import compose, initialize_config_module
    from omegaconf import OmegaConf

    import viralsim.app  # noqa: F401  (registers the schemas)

    search = f"hydra.searchpath=['file://{os.path.join(REPO, 'configs')}']"
    with initialize_config_module("viralsim.conf", version_base="1.3"):
        cfg = compose("config", overrides=[*overrides, search])
    return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)


def check_viralsim(args):
    pytest.importorskip("hydra")
    from hydra.core.override_parser.overrides_parser import OverridesParser

    if args in (["--help"], ["-h"]):
        return
    # the launcher's and Hydra's own keys need the launcher plugins: not composed here
    ours = [a for a in args if a not in ("-m", "--multirun")
            and not a.lstrip("+~").startswith(("hydra.", "hydra/"))]
    parsed = OverridesParser.create().parse_overrides(ours)
    choices = [[f"{o.get_key_element()}={v}" for v in o.sweep_string_iterator()]
               if o.is_sweep_override() else [o.input_line] for o in parsed]
    if any(len(c) > 1 for c in choices):
        assert "-m" in args or "--multirun" in args, f"a sweep without -m: {args}"
    for combo in itertools.product(*choices):
        _compose(list(combo))


def check_bench(args, capsys):
    from viralsim import bench

    with pytest.raises(SystemExit):
        bench.main(["--help"])
    helptext = capsys.readouterr().out
    for i, a in enumerate(args):
        if a.startswith("-"):
            assert a.split("=")[0] in helptext, f"python -m viralsim.bench has no {a}"
        if i and args[i - 1] == "--suite":
            assert a in bench.SUITES, f"no bench suite {a!r}"
        if i and args[i - 1] == "--compare":
            assert os.path.exists(os.path.join(REPO, a)), f"no recorded run {a}"


def extras():
    """The optional-dependency groups pyproject.toml defines (no tomllib on Python 3.10)."""
    with open(os.path.join(REPO, "pyproject.toml"), encoding="utf-8") as fh:
        text = fh.read()
    section = text.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([A-Za-z0-9_-]+)\s*=", section, flags=re.M))


def check_pip(args):
    known = extras()
    for a in args:
        if a.startswith("-"):
            continue
        m = re.fullmatch(r"\.(?:\[([\w,-]+)\])?", a)
        if m is None:  # a package from an index: only tools, never viralsim itself
            assert "viralsim" not in a, f"viralsim is not on a package index: {a!r}; use '.[extra]'"
            continue
        for extra in (m.group(1) or "").split(","):
            assert not extra or extra in known, f"pyproject.toml has no extra {extra!r}"


def check_planner(args):
    """``viralsim-planner``: a console script of pyproject.toml whose flags its parser takes."""
    import tomllib

    with open(os.path.join(REPO, "pyproject.toml"), "rb") as fh:
        scripts = tomllib.load(fh)["project"]["scripts"]
    assert scripts.get("viralsim-planner") == "viralsim.planner.cli:main", scripts
    bad = [a for a in args if a.startswith("-") and a not in ("--port", "--no-browser")]
    assert not bad, f"viralsim-planner takes --port and --no-browser, not {bad}"


@pytest.mark.parametrize("code", _params("bash"))
def test_shell_blocks_are_valid(code, capsys):
    for cmd in commands(code):
        prog, args = cmd[0], cmd[1:]
        if prog == "viralsim":
            check_viralsim(args)
        elif prog == "python" and args[:2] == ["-m", "viralsim"]:
            check_viralsim(args[2:])
        elif prog == "python" and args[:2] == ["-m", "viralsim.bench"]:
            check_bench(args[2:], capsys)
        elif prog == "python" and args[:2] == ["-m", "pytest"]:
            pass
        elif prog == "pip" and args[:1] == ["install"]:
            check_pip(args[1:])
        elif prog == "viralsim-planner":
            check_planner(args)
        elif prog in ("python", "bash") and args and not args[0].startswith("-"):
            assert os.path.exists(os.path.join(REPO, args[0])), f"no file {args[0]}"
        else:
            pytest.fail(f"no check for {' '.join(cmd)!r}: teach tests/test_docs.py, or mark the "
                        "block <!-- skip-test: why -->")
