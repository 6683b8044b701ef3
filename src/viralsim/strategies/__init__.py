"""Whom to target: seed-selection strategies behind one interface.

Every strategy is a class whose ``__init__`` stores parameters only and whose
``select(graph, *, k=None, budget=None, costs=None, model=None, rng=None)``
returns a :class:`SeedSelection` (seeds as labels in pick order, marginal
gains, the strategy's own reach estimate, cost, time, notes). Each has a
function twin of the same name as its registry key, and
:func:`viralsim.select_seeds` picks one by name.

========================  ===================  ==========================================
registry name             class                what it does
========================  ===================  ==========================================
``random``                RandomSeeds          uniform random seeds
``degree``                MaxDegree            most followers first
``pagerank``              PageRankSeeds        PageRank on "who listens to whom"
``degree_discount``       DegreeDiscount       Chen, Wang & Yang 2009
``single_discount``       SingleDiscount       Chen, Wang & Yang 2009
``celf``                  CELFGreedy           lazy greedy on fixed worlds (any model)
``imm``                   IMM                  RIS, (1 − 1/e − ε) w.p. 1 − δ
``opim_c``                OPIMC                RIS with a certified ratio
========================  ===================  ==========================================

Models plug in through :mod:`viralsim.strategies._models` (``_ic_equivalent``).
"""

from ._base import (
    CostRule,
    SeedSelection,
    Strategy,
    available_strategies,
    cost_rule,
    get_strategy,
    register_strategy,
    select_seeds,
)
from .celf import CELFGreedy, celf
from .heuristics import (
    DegreeDiscount,
    MaxDegree,
    PageRankSeeds,
    RandomSeeds,
    SingleDiscount,
    degree,
    degree_discount,
    pagerank,
    random,
    single_discount,
)
from .ris import IMM, OPIMC, RRCollection, imm, imm_theta, opim_c, opim_c_bounds

__all__ = [
    "SeedSelection",
    "Strategy",
    "CostRule",
    "cost_rule",
    "register_strategy",
    "get_strategy",
    "available_strategies",
    "select_seeds",
    "RandomSeeds",
    "MaxDegree",
    "PageRankSeeds",
    "DegreeDiscount",
    "SingleDiscount",
    "CELFGreedy",
    "IMM",
    "OPIMC",
    "RRCollection",
    "imm_theta",
    "opim_c_bounds",
    "random",
    "degree",
    "pagerank",
    "degree_discount",
    "single_discount",
    "celf",
    "imm",
    "opim_c",
]
