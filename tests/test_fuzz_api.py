"""Property-based fuzzing of the public functions' arguments (issue 20).

Every call gives a result or one clean error (ViralsimError / ValueError /
TypeError / MemoryError, one line), never another exception, never a hang
(each case must answer within the worker's timeout) and never memory beyond
the worker's ``RLIMIT_AS`` (see ``fuzz_worker``). Arguments are drawn half
sane, half hostile: NaN, infinities, negatives, 2**63, wrong types, empty
things. Work sizes (worlds, iterations) are drawn among small values and
values that must be refused, never among large legitimate ones (10**9 worlds
is a long run, not a hang). CI runs a reduced number of examples;
``VIRALSIM_TEST_SCALE=full`` many more (run with ``-s`` to see the counts).
"""

import math
import os

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .fuzz_worker import Make, Ref, check, fuzz_fixtures  # noqa: E402

FULL = os.environ.get("VIRALSIM_TEST_SCALE", "ci") == "full"

JUNK = st.sampled_from([
    None, True, False, 0, 1, -1, 3, 2**31, 2**63 - 1, 2**63, -2**63, 2**64, 10**30,
    0.0, -0.0, 0.5, 1.0, -0.5, 1.5, 1e-300, 1 - 1e-16, 5e-324, 1e300, math.nan, math.inf,
    -math.inf, np.int64(3), np.int64(-1), np.float64(math.nan), np.float32(0.5), np.uint8(2),
    np.bool_(True), "", "a", "10", "0.5", "imm", b"x", [], [0], [0, 0], (1,), {}, {"a": 1},
    complex(1, 1), np.array([]), np.array([[1, 2], [3, 4]]), np.zeros(40), object(),
    "x" * 500, "a\nb",
])
# work sizes: small, or refused (never a large legitimate size)
COUNT_JUNK = st.sampled_from([
    None, 0, -1, -2**63, 2**40 + 1, 2**63, 2**64, 10**30, math.nan, math.inf, 1.5, 10.0,
    np.int64(-5), np.float64(20.0), "10", True, [], object(),
])
def _either(sane, junk=JUNK):
    """Mostly ``sane`` (so a call gets past its checks often), sometimes ``junk``."""
    return st.sampled_from([False] * 9 + [True]).flatmap(lambda j: junk if j else sane)


def _count(*values):
    return _either(st.sampled_from(values), COUNT_JUNK)


GRAPHS = st.sampled_from([Ref("g"), Ref("gs"), Ref("gnp"), Ref("g1"), Ref("g0"), Ref("mux")])
INT_LABELS = st.integers(-3, 35)
LABELS = st.one_of(INT_LABELS, st.sampled_from(["u0", "u1", "u29", "zz", "0", 1.0, None,
                                                np.int64(2), np.int32(40), 2**63]))
SEEDS = _either(st.one_of(st.lists(st.integers(0, 29), max_size=4, unique=True),
                          st.lists(LABELS, max_size=6)))


MODELS = st.one_of(
    st.just(None), st.just(None), st.just(None),
    st.builds(Make, st.just("IC"), segment_attr=st.sampled_from([None, "runners", "w", "nope"])),
    st.builds(Make, st.just("WordOfMouth"), comment_prob=_either(st.floats(0, 1)),
              reinforcement=_either(st.floats(0, 1)), amplification=_either(st.floats(0, 3)),
              segment_attr=st.sampled_from([None, "runners", "w", "nope", 3]),
              off_target_factor=_either(st.floats(0, 1))),
    st.builds(Make, st.just("LinearThreshold"),
              weights=_either(st.just("weighted_cascade"),
                              st.sampled_from(["probabilities", "x", 1.0, None]))),
    JUNK,
)
RNG = _either(st.integers(0, 2**32))
BACKEND = st.one_of(st.just(None), st.just(None), st.just(None),
                    st.sampled_from([None, "serial", "nope", {"name": "serial"}]),
                    st.builds(lambda b: {"name": "serial", "batch_size": b},
                              _count(1, 7, 100)), JUNK)


def _settings(n):
    return settings(max_examples=(20 * n if FULL else n), deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


worker, tally = fuzz_fixtures("test_fuzz_api", full=FULL)


@_settings(25)
@given(graph=_either(GRAPHS), seeds=SEEDS, model=MODELS,
       n_sims=_count(None, 1, 2, 50, 300), precision=_either(st.sampled_from([None, 0.3, 0.1])),
       confidence=_either(st.floats(0.01, 0.99)), max_rounds=_either(st.integers(1, 5)),
       rng=RNG, max_sims=_count(10, 200, 1000), exposure=_either(st.booleans()),
       return_sizes=_either(st.booleans()), backend=BACKEND)
def test_estimate_reach(worker, tally, graph, seeds, model, n_sims, precision, confidence,
                        max_rounds, rng, max_sims, exposure, return_sizes, backend):
    kw = dict(model=model, n_sims=n_sims, precision=precision, confidence=confidence,
              max_rounds=max_rounds, rng=rng, max_sims=max_sims, exposure=exposure,
              return_sizes=return_sizes, backend=backend)
    check(worker, tally, ("estimate_reach", (graph, seeds), kw))


STRATEGY_PARAMS = {
    "celf": st.fixed_dictionaries({}, optional={"n_worlds": _count(5, 50),
                                                "lookahead": _either(st.booleans()),
                                                "batch": _count(1, 3, 8),
                                                "max_rounds": _either(st.integers(1, 4))}),
    "imm": st.fixed_dictionaries({}, optional={"eps": _either(st.sampled_from([0.3, 0.5])),
                                               "delta": _either(st.sampled_from([None, 0.1])),
                                               "weight_attr": st.sampled_from([None, "w", "x"]),
                                               "min_rr_sets": _count("auto", 10, 100)}),
    "opim_c": st.fixed_dictionaries({}, optional={"eps": _either(st.sampled_from([0.3, 0.5])),
                                                  "delta": _either(st.sampled_from([0.1])),
                                                  "min_rr_sets": _count("auto", 10)}),
    "pagerank": st.fixed_dictionaries({}, optional={"alpha": _either(st.floats(0, 1)),
                                                    "use_probs": _either(st.booleans()),
                                                    "tol": _either(st.sampled_from([1e-6, 1e-3])),
                                                    "max_iter": _count(1, 10, 100)}),
    "degree_discount": st.fixed_dictionaries({}, optional={"p": _either(st.floats(0, 1))}),
    "degree": st.just({}), "random": st.just({}), "single_discount": st.just({}),
}
STRATEGY = st.sampled_from(sorted(STRATEGY_PARAMS)).flatmap(
    lambda name: st.tuples(st.just(name), STRATEGY_PARAMS[name]))
COSTS = st.one_of(st.none(), st.sampled_from(["runners", "w", "nope", 2.0, -1.0, math.nan]),
                  st.builds(Make, st.just("strategies.cost_rule"), a=_either(st.floats(0, 5)),
                            b=_either(st.floats(0, 5)), e=_either(st.floats(-2, 3))),
                  st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=31), JUNK)
K = _either(st.integers(-1, 40))
BUDGET = st.sampled_from([False] * 6 + [True]).flatmap(
    lambda b: _either(st.floats(0, 50)) if b else st.none())


@_settings(25)
@given(graph=_either(GRAPHS), strategy=STRATEGY, k=K, budget=BUDGET, model=MODELS,
       rng=RNG, costs=COSTS, by_name=st.booleans())
def test_select_seeds(worker, tally, graph, strategy, k, budget, model, rng, costs, by_name):
    name, params = strategy
    kw = dict(k=k, budget=budget, model=model, rng=rng, costs=costs)
    if by_name:
        check(worker, tally, ("select_seeds", (graph,), dict(kw, strategy=name, **params)))
    else:
        check(worker, tally, ("strategy", (name, params, graph), kw))


@_settings(10)
@given(graph=_either(GRAPHS),
       strategies=_either(st.lists(st.sampled_from(["degree", "random", "pagerank", "imm",
                                                    "degree_discount", "celf"]),
                                   min_size=1, max_size=3)),
       k=_either(st.lists(st.integers(0, 5), min_size=1, max_size=3)),
       budget=st.sampled_from([None] * 9 + [5.0, [1.0, 3.0], -1.0, math.nan]), model=MODELS,
       n_sims=_count(1, 20, 100), rng=RNG,
       baseline=st.sampled_from([None] * 6 + ["best_heuristic", "random", "degree", "nope", 3]),
       confidence=_either(st.floats(0.01, 0.99)), max_rounds=_either(st.integers(1, 4)),
       segment_attr=st.sampled_from([None, "runners", "w", "nope"]), backend=BACKEND)
def test_compare_strategies(worker, tally, graph, strategies, k, budget, model, n_sims, rng,
                            baseline, confidence, max_rounds, segment_attr, backend):
    kw = dict(k=k, budget=budget, model=model, n_sims=n_sims, rng=rng, baseline=baseline,
              confidence=confidence, max_rounds=max_rounds, segment_attr=segment_attr,
              backend=backend)
    check(worker, tally, ("compare_strategies", (graph, strategies), kw))


ARRAYS = st.one_of(st.lists(st.one_of(st.integers(-2, 12), st.sampled_from(
    [2**63, math.nan, 1.5, "a", None, "", "7", np.int64(3)])), max_size=8),
    st.lists(st.integers(0, 9), min_size=1, max_size=8), JUNK)


@_settings(25)
@given(src=ARRAYS, dst=ARRAYS,
       probs=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                       st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=8),
                       JUNK),
       n_nodes=st.one_of(st.none(), st.integers(-1, 14), COUNT_JUNK),
       labels=st.one_of(st.none(), st.lists(st.sampled_from(["a", "b", 1, 1, None, math.nan]),
                                            max_size=14), JUNK),
       node_attrs=st.one_of(st.none(), st.dictionaries(
           st.sampled_from(["x", "", 3]), st.one_of(st.lists(st.floats(), max_size=14), JUNK),
           max_size=2), JUNK))
def test_from_edges(worker, tally, src, dst, probs, n_nodes, labels, node_attrs):
    check(worker, tally, ("from_edges", (src, dst),
                          dict(probs=probs, n_nodes=n_nodes, labels=labels,
                               node_attrs=node_attrs)))


@_settings(25)
@given(graph=st.sampled_from([Ref("g"), Ref("gs"), Ref("gnp"), Ref("g1"), Ref("g0")]),
       call=st.one_of(
           st.tuples(st.just("with_probabilities"),
                     st.tuples(st.one_of(st.sampled_from(["weighted_cascade", "trivalency",
                                                          "uniform_random", "nope"]),
                                         st.floats(allow_nan=True, allow_infinity=True),
                                         st.lists(st.floats(allow_nan=True), max_size=90),
                                         JUNK)),
                     st.fixed_dictionaries({}, optional={"rng": RNG, "low": JUNK,
                                                         "high": JUNK})),
           st.tuples(st.just("with_node_attr"),
                     st.tuples(st.one_of(st.sampled_from(["x", "runners", ""]), JUNK),
                               st.one_of(st.lists(st.floats(allow_nan=True), max_size=31),
                                         JUNK)), st.just({})),
           st.tuples(st.sampled_from(["followers", "index_of"]),
                     st.tuples(st.one_of(LABELS, st.lists(LABELS, max_size=4), JUNK)),
                     st.just({})),
           st.tuples(st.sampled_from(["out_degree", "in_degree", "edges", "reverse_csr",
                                      "to_networkx", "probability_summary"]),
                     st.just(()), st.just({}))))
def test_graph_methods(worker, tally, graph, call):
    method, args, kw = call
    check(worker, tally, ("graph_method", (graph, method) + tuple(args), kw))


@_settings(20)
@given(graph=_either(st.sampled_from([Ref("g")] * 8 + [Ref("gs"), Ref("g0")])),
       log=_either(st.just(Ref("log"))),
       method=_either(st.sampled_from(["em", "frequency"]), st.sampled_from(["nope", None, 3])),
       rule=_either(st.sampled_from(["earlier", "previous_step"]), st.sampled_from(["nope", None])),
       outside=_either(st.booleans()),
       prior=st.one_of(st.sampled_from(["auto", None, 0.0, 1.0, 10.0, -1.0, math.nan]),
                       st.tuples(st.floats(-1, 20), st.floats(-1, 2)), JUNK),
       max_iter=_count(1, 5, 30), tol=_either(st.sampled_from([1e-8, 1e-3, 0.0])),
       holdout=_either(st.sampled_from([0.0, 0.2, 0.5])), rng=RNG)
def test_fit_influence(worker, tally, graph, log, method, rule, outside, prior, max_iter, tol,
                       holdout, rng):
    kw = dict(method=method, rule=rule, outside=outside, prior=prior, max_iter=max_iter,
              tol=tol, holdout=holdout, rng=rng)
    check(worker, tally, ("fit_influence", (graph, log), kw))


@_settings(15)
@given(fit=_either(st.just(Ref("fit"))), log=_either(st.just(Ref("log"))),
       n_sims=_count(1, 10, 50), rng=RNG, n_draws=_count(1, 3), level=_either(st.floats(0, 1)),
       baselines=st.one_of(st.lists(st.sampled_from(["weighted_cascade", "trivalency",
                                                     "uniform", "nope", 3]), max_size=3),
                           JUNK),
       max_items=st.one_of(st.none(), st.integers(-1, 5), COUNT_JUNK))
def test_backtest(worker, tally, fit, log, n_sims, rng, n_draws, level, baselines, max_items):
    kw = dict(n_sims=n_sims, rng=rng, n_draws=n_draws, level=level, baselines=baselines,
              max_items=max_items)
    check(worker, tally, ("backtest", (fit, log), kw))


CHANNEL = st.one_of(
    st.builds(Make, st.just("SeedList"), _either(st.lists(st.integers(0, 29), max_size=4),
                                                 st.one_of(st.lists(LABELS, max_size=4), JUNK)),
              cost=_either(st.floats(0, 100)),
              platform=st.sampled_from([None] * 6 + ["a", "b", "zz", 3])),
    st.builds(lambda which, v, **kw: Make("InfluencerPost", **{which: v}, **kw),
              st.sampled_from(["account", "followers", "n_followers"]),
              _either(st.one_of(st.integers(0, 29), st.lists(st.integers(0, 29), max_size=3)),
                      st.one_of(LABELS, st.lists(LABELS, max_size=3), st.integers(-1, 40),
                                JUNK)),
              organic_reach=_either(st.floats(0, 1)), adoption_rate=_either(st.floats(0, 1)),
              cost=_either(st.floats(0, 100))),
    # sane: at most 2 million impressions a world (delivered one at a time)
    st.builds(Make, st.just("AdBuy"), spend=_either(st.floats(0, 1e3)),
              cpm=_either(st.floats(0.5, 100)),
              segment=st.sampled_from([None, None, "runners", "runners", "w", "nope", 3]),
              frequency_cap=_count(1, 2, 5), conversion_rate=_either(st.floats(0, 1))),
)


@_settings(20)
@given(graph=_either(GRAPHS), channels=_either(st.lists(CHANNEL, max_size=3)),
       model=MODELS, n_sims=_count(1, 20, 200), rng=RNG,
       confidence=_either(st.floats(0.01, 0.99)), max_rounds=_either(st.integers(1, 4)),
       platform=st.sampled_from([None, "a", "b", "zz"]))
def test_estimate_campaign(worker, tally, graph, channels, model, n_sims, rng, confidence,
                           max_rounds, platform):
    kw = dict(model=model, n_sims=n_sims, rng=rng, confidence=confidence,
              max_rounds=max_rounds, platform=platform)
    check(worker, tally, ("estimate_campaign", (graph, channels), kw))


@_settings(15)
@given(graph=_either(GRAPHS), units=_either(st.lists(CHANNEL, min_size=1, max_size=4)),
       budget=_either(st.floats(0, 300)),
       goal=st.sampled_from(["adopters", "exposure", "nope", None]),
       model=MODELS, n_sims=_count(1, 20, 100), rng=RNG,
       confidence=_either(st.floats(0.01, 0.99)), max_rounds=_either(st.integers(1, 4)))
def test_allocate_budget(worker, tally, graph, units, budget, goal, model, n_sims, rng,
                         confidence, max_rounds):
    kw = dict(goal=goal, model=model, n_sims=n_sims, rng=rng, confidence=confidence,
              max_rounds=max_rounds)
    check(worker, tally, ("allocate_budget", (graph, units, budget), kw))
