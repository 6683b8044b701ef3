"""The large kernels compile once whatever the caller's arrays are.

Numba compiles a kernel once per combination of argument types, and an array's
writeable flag is part of its type: a read-only seed array (or the graph's own
arrays passed in place of a computed one) beside a writeable one doubles the
compile time of a kernel of tens of seconds. The wrappers pass input-only
arrays read-only (:func:`viralsim._kernels.config.readonly`); these tests call
each wrapper both ways and check that the second way adds no specialization.
"""

import numba
import numpy as np
import pytest

import viralsim as vs
from viralsim._kernels import campaign as _campaign
from viralsim._kernels import ic as _ic
from viralsim._kernels import lt as _lt
from viralsim._kernels import rr as _rr
from viralsim._kernels import wom as _wom
from viralsim._kernels.config import readonly


def _graph(p=0.2):
    return vs.generators.barabasi_albert(60, 2, rng=3).with_probabilities(p)


def _frozen(a):
    a = np.array(a)
    a.setflags(write=False)
    return a


def _added(kernel, first, second):
    """Signatures the ``second`` call adds after the ``first`` (compiled or loaded)."""
    first()
    before = set(kernel.signatures)
    second()
    return set(kernel.signatures) - before


def test_readonly_is_a_view_and_keeps_read_only_arrays():
    a = np.arange(5)
    r = readonly(a)
    assert not r.flags.writeable and a.flags.writeable
    assert np.shares_memory(a, r) and np.array_equal(a, r)
    assert readonly(r) is r


def _index_seeds(g, frozen):
    idx = np.array([0, 1, 2], dtype=np.int32)
    if frozen:  # as a caller holding read-only arrays passes them (Ray, a cached plan)
        idx.setflags(write=False)
    return idx


def _simulate(model, g, seeds):
    return model._simulate(g, seeds, 7, 0, 100, max_rounds=None, tl_len=8, exposure=True)


@pytest.mark.parametrize("share", [True, False])
def test_word_of_mouth_kernel_one_signature_for_any_seed_array(share, monkeypatch):
    g = _graph()
    monkeypatch.setattr(_wom, "SHARE_VIEWERS", share)
    m = vs.IC()
    assert not _added(_wom._worlds_live, lambda: _simulate(m, g, _index_seeds(g, False)),
                      lambda: _simulate(m, g, _index_seeds(g, True)))


def test_word_of_mouth_kernel_one_signature_shared_or_not(monkeypatch):
    # shared viewers on: computed residual lists; off: the graph's arrays in their place
    g = _graph()
    m = vs.IC()
    seeds = _index_seeds(g, False)
    none_live = g._derived("skip_row_none_live", _ic.skip_row_none_live)
    assert _wom.shared_viewer_data(g.indptr, g.indices, none_live, seeds, 100)[0]  # it shares

    def run(share):
        monkeypatch.setattr(_wom, "SHARE_VIEWERS", share)
        return _simulate(m, g, seeds)

    # the arguments' types, compared directly (a signature compiled by an earlier test
    # would hide a second specialization from _added)
    on = _wom.shared_viewer_data(g.indptr, g.indices, none_live, seeds, 100)
    off = _wom.shared_viewer_data(g.indptr, g.indices, none_live, seeds, 100, share=False)
    assert [numba.typeof(x) for x in on] == [numba.typeof(x) for x in off]
    a = []
    assert not _added(_wom._worlds_live, lambda: a.append(run(True)),
                      lambda: a.append(run(False)))
    assert np.array_equal(a[0].metrics["exposure"], a[1].metrics["exposure"])  # the same numbers


def test_linear_threshold_kernel_one_signature_for_any_seed_array():
    g = _graph()
    m = vs.LinearThreshold()
    assert not _added(_lt.lt_worlds, lambda: _simulate(m, g, _index_seeds(g, False)),
                      lambda: _simulate(m, g, _index_seeds(g, True)))


def test_campaign_kernel_one_signature_with_or_without_unlisted_ads():
    g = _graph(0.1)
    ad = vs.AdBuy(spend=2.0, cpm=100.0, frequency_cap=1, conversion_rate=0.2)
    assert not _added(_campaign.campaign_worlds,
                      lambda: vs.estimate_campaign(g, [vs.SeedList([0, 1])], n_sims=100, rng=0),
                      lambda: vs.estimate_campaign(g, [ad], n_sims=100, rng=0))


def test_rr_kernel_one_signature_serial_or_on_ray_actors():
    # a Ray actor reads the same arrays from the object store: all read-only
    from viralsim.distributed import ray_rr
    from viralsim.strategies.ris import RRCollection

    g = _graph(0.1)
    c = RRCollection(g, 5)

    def on_actor():
        frozen = [_frozen(a) for a in (c.none_live, c.cum_w)]
        ray_rr.generate_range(tuple(c.rev), frozen[0], 5, 0, 300, frozen[1], c.total_w,
                              c._kernel_mode, 1.0, 1)

    assert not _added(_rr.rr_generate, lambda: c.extend_to(300), on_actor)


def test_word_of_mouth_kernel_one_signature_with_or_without_coin_thresholds():
    # weighted cascade: mixed coin rows, the graph's integer thresholds (a real table);
    # one probability: no mixed rows, the empty table in its place (the same type)
    wc = _graph("weighted_cascade")
    one = _graph(0.2)
    assert _ic.coin_thresholds(wc.indptr, wc.probs).size == wc.n_edges
    assert _ic.coin_thresholds(one.indptr, one.probs).size == 0
    assert (numba.typeof(wc._derived("coin_thresholds", _ic.coin_thresholds))
            == numba.typeof(one._derived("coin_thresholds", _ic.coin_thresholds))
            == numba.typeof(_ic.NO_THRESHOLDS))
    m = vs.IC()
    seeds = _index_seeds(wc, False)
    assert not _added(_wom._worlds_live, lambda: _simulate(m, wc, seeds),
                      lambda: _simulate(m, one, seeds))
