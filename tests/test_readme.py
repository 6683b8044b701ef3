"""The README starts with the two set-up commands, and they stay true.

Its code blocks (with those of docs/) run in tests/test_docs.py.
"""

import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(REPO, "README.md")

pytestmark = pytest.mark.skipif(not os.path.exists(README), reason="no README (an sdist)")


def _first_block():
    with open(README, encoding="utf-8") as fh:
        text = fh.read()
    m = re.search(r"```(\w*)\n(.*?)```", text, flags=re.S)
    assert m is not None and text[:m.start()].strip().startswith("# viralsim"), \
        "the README opens with its title, then the set-up commands"
    return m.group(1), [line.split("#")[0].strip() for line in m.group(2).splitlines()]


def test_the_two_set_up_commands_come_first():
    lang, lines = _first_block()
    assert lang == "bash"
    assert lines == ["pip install . && viralsim", 'pip install ".[test]" && python -m pytest']


def test_the_readme_test_command_is_what_ci_runs():
    with open(os.path.join(REPO, ".ci", "run"), encoding="utf-8") as fh:
        ci = fh.read()
    # CI's own test command (its environment variables aside) is the README's
    ran = [line.strip() for line in ci.splitlines() if re.match(r"\s*python -m pytest\s*$", line)]
    assert ran == ["python -m pytest"]
    assert ran[0] in _first_block()[1][1]
    # and CI installs the README's extra for it
    assert re.search(r'pip install[^\n]*"\.\[[^\]]*\btest\b', ci)


def test_the_readme_points_into_docs():
    with open(README, encoding="utf-8") as fh:
        text = fh.read()
    for page in ("cli", "models", "strategies", "data", "internals"):
        assert f"(docs/{page}.md" in text, page
    assert "(benchmarks/README.md" in text
