"""Run every docstring example of the *imported* viralsim (the installed package in CI).

Collected here rather than with ``--doctest-modules`` on ``src/`` so that the
examples run against what ``pip install .`` actually installed.
"""

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import viralsim

# modules whose examples need optional extras are skipped when those are absent
OPTIONAL = {"viralsim.distributed.ray_backend": "ray"}
# examples (by a word in their name) that need an optional extra, skipped without it
OPTIONAL_EXAMPLES = {"parquet": "pyarrow"}


def _modules():
    names = [viralsim.__name__]
    for info in pkgutil.walk_packages(viralsim.__path__, prefix="viralsim."):
        if ".__main__" in info.name or info.name.endswith(".__main__"):
            continue
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    if name in OPTIONAL:
        pytest.importorskip(OPTIONAL[name])
    mod = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    missing = [w for w, m in OPTIONAL_EXAMPLES.items() if importlib.util.find_spec(m) is None]
    for test in finder.find(mod, name, globs={}):
        if not any(w in test.name.lower() for w in missing):
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_the_core_modules_examples_are_collected():
    # walk_packages finds every module; these must never drop out of it unnoticed
    core = {"viralsim.stats", "viralsim.probabilities", "viralsim.formatting", "viralsim.plots",
            "viralsim.estimate", "viralsim.compare", "viralsim.graph"}
    assert core <= set(_modules())
