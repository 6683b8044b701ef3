"""The campaign planner: a local web page over the library (``pip install ".[app]"``,
then ``viralsim-planner``).

This package's planning layer (:mod:`viralsim.planner.core`) is plain Python and
imports no web framework; only :mod:`viralsim.planner.page` (the Streamlit
page) and the ``viralsim-planner`` command need the ``app`` extra.
"""

from .core import (
    Cancelled,
    Dataset,
    Plan,
    PlannerError,
    Results,
    Settings,
    answer_paragraph,
    example_dataset,
    example_files,
    parse_budgets,
    plans_csv,
    read_upload,
    report_zip,
    run_plans,
    targets_csv,
    targets_rows,
    warm_up,
)

__all__ = [
    "Dataset",
    "Settings",
    "Plan",
    "Results",
    "Cancelled",
    "PlannerError",
    "read_upload",
    "example_dataset",
    "example_files",
    "parse_budgets",
    "run_plans",
    "targets_rows",
    "targets_csv",
    "plans_csv",
    "answer_paragraph",
    "report_zip",
    "warm_up",
]
