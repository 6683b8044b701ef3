"""Audiences from an influencer list (issue 18, item 4): reading the list, the
generative model's targets, ranges across audience draws."""

import math
import re

import numpy as np
import pytest

import viralsim as vs
from viralsim.audiences import (
    InfluencerList,
    _draw_followers,
    _inclusion_probabilities,
    allocate_across_draws,
    describe_plan,
    estimate_across_draws,
    influencer_audiences,
    read_influencers,
)
from viralsim.exceptions import EdgeListError

Z = 4.5  # standard deviations allowed in a single statistical check


def _list(**kw):
    base = dict(
        names=["ann", "bob", "cy", "dee", "eve"],
        platforms=["instagram", "instagram", "tiktok", "instagram", "tiktok"],
        followers=[1500, 1000, 2000, 800, 600],
        engagement_rate=[0.04, 0.05, 0.06, 0.03, 0.08],
        price=[100.0, 80.0, 120.0, 50.0, 40.0],
        segment_share=[0.5, 0.2, 0.3, 0.6, 0.4],
        overlaps={("ann", "bob"): 400, ("ann", "dee"): 300, ("bob", "dee"): 150,
                  ("ann", "cy"): 250, ("cy", "eve"): 200},
        segment="runners",
    )
    base.update(kw)
    return InfluencerList(**base)


MARKET = {"instagram": 8000, "tiktok": 6000}


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


# ------------------------------------------------------------------ reading
def test_read_influencers_forgiving_formats(tmp_path):
    p = _write(tmp_path / "inf.csv",
               "Name;Platform;Followers;Engagement Rate;Price;Segment share\n"
               "Zoë;Instagram;12,5k;3,5%;€250;40%\n"
               "bob;TikTok;8000;0,06;150,50;0,2\n"
               "\n", encoding="cp1252")
    inf = read_influencers(p, segment="runners")
    assert inf.names == ("Zoë", "bob")
    assert inf.platforms == ("instagram", "tiktok")
    assert inf.followers.tolist() == [12500, 8000]
    assert inf.engagement_rate.tolist() == pytest.approx([0.035, 0.06])
    assert inf.price.tolist() == [250.0, 150.5]
    assert inf.segment_share.tolist() == pytest.approx([0.4, 0.2])
    assert inf.segment == "runners" and inf.overlaps == {}


def test_read_influencers_with_overlaps(tmp_path):
    p = _write(tmp_path / "inf.csv", "name,platform,followers,engagement_rate,price\n"
               'ann,instagram,"1,200",0.03,100\nbob,instagram,900,0.05,80\n'
               "cy,tiktok,2k,0.02,60\n")
    o = _write(tmp_path / "ov.csv", "influencer_a,influencer_b,overlap\nbob,ann,300\n"
               "ann,cy,0\n")
    inf = read_influencers(p, overlaps=o)
    assert inf.followers.tolist() == [1200, 900, 2000]
    assert inf.overlap("ann", "bob") == 300 and inf.overlap("cy", "ann") == 0
    assert inf.overlap("bob", "cy") is None
    assert inf.segment_share is None and inf.segment is None


@pytest.mark.parametrize("row, words", [
    ("ann,instagram,1000,1.5,100", r"outside \[0, 1\]"),
    ("ann,instagram,1000,150%,100", r"outside \[0, 1\]"),
    ("ann,instagram,1000,-0.1,100", r"outside \[0, 1\]"),
    ("ann,instagram,lots,0.1,100", "is not a number"),
    ("ann,instagram,1000,0.1,", "no 'price' value"),
    ("ann,instagram,1000,0.1,-5", "negative"),
    ("ann,instagram,0,0.1,5", "count >= 1"),
])
def test_read_influencers_bad_cells(tmp_path, row, words):
    p = _write(tmp_path / "inf.csv", "name,platform,followers,engagement_rate,price\n" + row
               + "\n")
    with pytest.raises(EdgeListError, match=words) as e:
        read_influencers(p)
    assert "\n" not in str(e.value) and "inf.csv:2" in str(e.value)


def test_read_influencers_bad_files(tmp_path):
    p = _write(tmp_path / "a.csv", "name,platform,followers,price\nann,instagram,10,5\n")
    with pytest.raises(EdgeListError, match="no 'engagement_rate' column"):
        read_influencers(p)
    p = _write(tmp_path / "b.csv", "name,platform,followers,engagement_rate,price\n"
               "ann,instagram,10,0.1,5\nann,tiktok,10,0.1,5\n")
    with pytest.raises(EdgeListError, match="listed twice"):
        read_influencers(p)
    good = _write(tmp_path / "c.csv", "name,platform,followers,engagement_rate,price\n"
                  "ann,instagram,1000,0.1,5\nbob,instagram,300,0.1,5\n")
    o = _write(tmp_path / "o.csv", "influencer_a,influencer_b,overlap\nann,bob,301\n")
    with pytest.raises(EdgeListError, match=r"more than the smaller audience \(300\)") as e:
        read_influencers(good, overlaps=o)
    assert "at most 300" in str(e.value) and "\n" not in str(e.value)
    o = _write(tmp_path / "o2.csv", "influencer_a,influencer_b,overlap\nann,zed,1\n")
    with pytest.raises(EdgeListError, match="'zed', who is not in the influencer list"):
        read_influencers(good, overlaps=o)
    o = _write(tmp_path / "o3.csv", "a,b,overlap\nann,bob,1\nbob,ann,2\n")
    with pytest.raises(EdgeListError, match="given twice"):
        read_influencers(good, overlaps=o)
    with pytest.raises(EdgeListError, match="does not exist"):
        read_influencers(tmp_path / "missing.csv")


def test_influencer_list_checks():
    with pytest.raises(ValueError, match="engagement rate 1.2, outside"):
        _list(engagement_rate=[0.04, 1.2, 0.06, 0.03, 0.08])
    with pytest.raises(ValueError, match="segment share -0.1, outside"):
        _list(segment_share=[0.5, -0.1, 0.3, 0.6, 0.4])
    with pytest.raises(ValueError, match="more than the smaller audience"):
        _list(overlaps={("dee", "ann"): 801})
    with pytest.raises(ValueError, match="with itself"):
        _list(overlaps={("dee", "dee"): 1})
    with pytest.raises(ValueError, match="5 influencers"):
        _list(price=[1.0])


# ------------------------------------------------------------------ the generative model
def test_inclusion_probabilities_meet_targets_exactly():
    rng = np.random.default_rng(3)
    X = np.stack([np.ones(5000, bool), rng.random(5000) < 0.3, rng.random(5000) < 0.2], axis=1)
    t = np.array([800.0, 500.0, 100.0])
    pi = _inclusion_probabilities(X, t, "x", ["followers", "a", "b"], "f")
    assert np.allclose(X.T.astype(float) @ pi, t, atol=1e-4)
    # the boundary: every member of the first group follows (overlap = smaller audience)
    X = X[:, :2]
    t = np.array([float(X[:, 1].sum()) + 10, float(X[:, 1].sum())])
    pi = _inclusion_probabilities(X, t, "x", ["followers", "a"], "f")
    assert np.allclose(X.T.astype(float) @ pi, t, atol=1e-3)
    assert pi[X[:, 1]].min() > 1 - 1e-6


def _check_draw(aud):
    """Follower counts exact; overlaps and segment counts within Z standard deviations of
    the inclusion-probability variance (Pareto sampling's is at most Poisson sampling's
    sum pi (1 - pi), up to O(1/n))."""
    inf, tg = aud.influencers, aud.targets
    seg = aud.graph.base.node_attrs["runners"]
    for i, name in enumerate(inf.names):
        f = aud.followers[name]
        assert f.size == inf.followers[i] and np.unique(f).size == f.size
        assert aud.graph.members[inf.platforms[i]][f].all()  # followers are on the platform
        want = inf.segment_share[i] * f.size
        assert abs(seg[f].sum() - want) <= Z * math.sqrt(tg["var_segment"][name]) + 1
    for (a, b), v in inf.overlaps.items():
        got = np.intersect1d(aud.followers[a], aud.followers[b]).size
        assert abs(got - v) <= Z * math.sqrt(tg["var_overlaps"][(a, b)]) + 1, (a, b, got, v)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_audience_reproduces_targets(seed):
    aud = influencer_audiences(_list(), market_size=MARKET, segment_share=0.2, rng=seed)
    _check_draw(aud)
    g = aud.graph
    assert g.platforms == ("instagram", "tiktok") and g.n_nodes == 8000
    assert g.members["instagram"].sum() == 8000 and g.members["tiktok"].sum() == 6000
    assert g.base.node_attrs["runners"].sum() == round(0.2 * 8000)
    rows = aud.check()
    assert len(rows) == 5 + 5 + 5 and rows[0] == ("followers of ann", 1500, 1500)


def test_drawn_overlaps_unbiased_over_draws():
    """Averaged over 30 draws, overlaps and segment counts sit within Z standard errors of
    the targets: Pareto sampling keeps the inclusion probabilities fitted to them."""
    inf = _list()
    n, R = 8000, 30
    gen = np.random.default_rng(11)
    dev = {}
    for _ in range(R):
        mem = {"instagram": np.ones(n, bool), "tiktok": np.zeros(n, bool)}
        mem["tiktok"][gen.choice(n, 6000, replace=False)] = True
        seg = np.zeros(n, bool)
        seg[gen.choice(n, 1600, replace=False)] = True
        fol, vo, vsg = _draw_followers(inf, mem, seg, gen, "t")
        for (a, b), v in inf.overlaps.items():
            got = np.intersect1d(fol[a], fol[b]).size
            dev.setdefault((a, b), []).append((got - v) / math.sqrt(vo[(a, b)]))
        for i, name in enumerate(inf.names):
            want = inf.segment_share[i] * inf.followers[i]
            dev.setdefault(name, []).append((seg[fol[name]].sum() - want) / math.sqrt(vsg[name]))
    for k, d in dev.items():
        assert abs(np.mean(d)) <= Z / math.sqrt(R), k


def test_audience_reproducible_and_rng_dependent():
    a = influencer_audiences(_list(), market_size=MARKET, segment_share=0.2, rng=5)
    b = influencer_audiences(_list(), market_size=MARKET, segment_share=0.2, rng=5)
    c = influencer_audiences(_list(), market_size=MARKET, segment_share=0.2, rng=6)
    for name in a.followers:
        assert np.array_equal(a.followers[name], b.followers[name])
    for p in a.graph.platforms:
        assert a.graph.layers[p] == b.graph.layers[p]
        assert np.array_equal(a.graph.members[p], b.graph.members[p])
    assert not np.array_equal(a.followers["ann"], c.followers["ann"])


def test_ties_and_posts_follow_platform_stats():
    stats = {"instagram": {"avg_degree": 6.0, "edge_prob": 0.05, "organic_reach": 0.25,
                           "comment_prob": 0.4},
             "tiktok": {"avg_degree": 3.0, "edge_prob": 0.1, "organic_reach": 0.5}}
    aud = influencer_audiences(_list(), market_size=MARKET, segment_share=0.2, rng=0,
                               platform_stats=stats, adopt_per_engagement=0.2)
    g = aud.graph
    for p, n in MARKET.items():
        layer = g.layers[p]
        src, dst, probs = layer.edges()
        assert g.members[p][src].all() and g.members[p][dst].all()
        # Chung-Lu: Poisson(n * avg_degree) draws, minus self-draws and repeats
        m = n * stats[p]["avg_degree"]
        assert 0.9 * m <= layer.n_edges <= m + Z * math.sqrt(m)
        assert np.allclose(probs, stats[p]["edge_prob"])
    assert g.comment_probs == {"instagram": 0.4}
    ann = aud.posts["ann"]
    assert (ann.cost, ann.platform, ann.organic_reach) == (100.0, "instagram", 0.25)
    assert ann.adoption_rate == pytest.approx(0.04 * 0.2 / 0.25)
    assert aud.posts["eve"].adoption_rate == pytest.approx(0.08 * 0.2 / 0.5)
    assert sorted(ann.followers) == aud.followers["ann"].tolist()


def test_post_reach_without_word_of_mouth_is_closed_form():
    """No consumer ties: a post's adopters number followers * engagement *
    adopt_per_engagement in expectation, its viewers followers * organic_reach (each
    follower independently)."""
    stats = {p: {"avg_degree": 0.0, "organic_reach": 0.3} for p in MARKET}
    aud = influencer_audiences(_list(), market_size=MARKET, segment_share=0.2, rng=0,
                               platform_stats=stats, adopt_per_engagement=0.5)
    est = vs.estimate_campaign(aud.graph, [aud.posts["cy"]], n_sims=4000, rng=1)
    q = 0.06 * 0.5
    mean, sd = 2000 * q, math.sqrt(2000 * q * (1 - q) / 4000)
    assert abs(est.reach.mean - mean) <= Z * sd
    assert abs(est.exposure.mean - 2000 * 0.3) <= Z * math.sqrt(2000 * 0.21 / 4000)


def test_audience_bad_input():
    inf = _list()
    with pytest.raises(ValueError, match="no market size for platform 'tiktok'"):
        influencer_audiences(inf, market_size={"instagram": 8000}, rng=0)
    with pytest.raises(ValueError, match="'cy' has 2,000 followers but platform 'tiktok' has "
                                         "1,500"):
        influencer_audiences(inf, market_size={"instagram": 8000, "tiktok": 1500}, rng=0)
    with pytest.raises(ValueError, match="segment share.*cannot be drawn"):
        influencer_audiences(inf, market_size=MARKET, segment_share=0.01, rng=0)
    with pytest.raises(ValueError, match="unknown platform statistic 'reach'"):
        influencer_audiences(inf, market_size=MARKET, rng=0,
                             platform_stats={"tiktok": {"reach": 0.1}})
    with pytest.raises(TypeError, match="InfluencerList"):
        influencer_audiences([1, 2], market_size=MARKET, rng=0)
    # overlaps that hold pairwise but not together
    tri = InfluencerList(["a", "b", "c"], ["x"] * 3, [500, 500, 500], [0.1] * 3, [1.0] * 3,
                         overlaps={("a", "b"): 500, ("a", "c"): 500, ("b", "c"): 0})
    with pytest.raises(ValueError, match="contradict each other") as e:
        influencer_audiences(tri, market_size=5000, rng=0)
    assert "\n" not in str(e.value)


def test_segment_without_influencer_shares():
    inf = _list(segment_share=None, segment=None)
    aud = influencer_audiences(inf, market_size=MARKET, rng=0)
    assert aud.segment is None and aud.graph.base.node_attrs == {}
    aud = influencer_audiences(inf, market_size=MARKET, rng=0, segment_share=0.3,
                               segment="students")
    assert aud.segment == "students"
    assert aud.graph.base.node_attrs["students"].sum() == round(0.3 * 8000)
    ad = vs.AdBuy(spend=1.0, cpm=1.0, segment="students", platform="tiktok")
    assert vs.estimate_campaign(aud.graph, [ad], n_sims=20, rng=0).cost == 1.0


def test_overlaps_and_degree_given_to_influencer_audiences(tmp_path):
    inf = _list(overlaps=None)
    o = _write(tmp_path / "o.csv", "influencer_a,influencer_b,overlap\nbob,ann,400\n")
    for ov in ({("bob", "ann"): 400}, o):
        aud = influencer_audiences(inf, market_size=MARKET, segment_share=0.2, rng=0,
                                   overlaps=ov, avg_degree={"tiktok": 2.0})
        assert aud.influencers.overlap("ann", "bob") == 400
        _check_draw(aud)
        assert aud.graph.layers["tiktok"].n_edges <= 6000 * 2 + Z * math.sqrt(12000)
        assert aud.graph.layers["instagram"].n_edges >= 0.9 * 8000 * 10  # the default
    with pytest.raises(ValueError, match="more than the smaller audience"):
        influencer_audiences(inf, market_size=MARKET, rng=0, overlaps={("ann", "dee"): 900})


def test_top_level_names():
    assert vs.read_influencers is read_influencers
    assert vs.influencer_audiences is influencer_audiences
    assert vs.audiences.InfluencerList is InfluencerList


# ------------------------------------------------------------------ ranges across draws
def test_estimate_across_draws_range():
    inf = _list()
    ad = vs.AdBuy(spend=20.0, cpm=10.0, segment="runners", conversion_rate=0.02,
                  platform="tiktok")
    r = estimate_across_draws(inf, ["ann", "cy", ad], market_size=MARKET, n_draws=3,
                              n_sims=300, rng=0, segment_share=0.2)
    assert r.cost == 240.0 and len(r.estimates) == 3
    for x in (r.reach, r.exposure):
        assert x.low <= x.central <= x.high and x.half_width > 0
    assert "across 3 audience draws)" in str(r.reach)
    assert str(r).startswith("reach ") and " people (simulation, 95%; " in str(r)
    again = estimate_across_draws(inf, ["ann", "cy", ad], market_size=MARKET, n_draws=3,
                                  n_sims=300, rng=0, segment_share=0.2)
    assert np.array_equal(r.reach.means, again.reach.means)
    with pytest.raises(ValueError, match="'zed', who is not in the influencer list"):
        estimate_across_draws(inf, ["zed"], market_size=MARKET, n_draws=1, n_sims=10, rng=0)


def test_allocate_across_draws_within_budget_and_platforms():
    inf = _list()
    ads = [vs.AdBuy(spend=30.0, cpm=10.0, segment="runners", conversion_rate=0.02,
                    platform=p) for p in ("instagram", "tiktok")]
    a = allocate_across_draws(inf, 200.0, market_size=MARKET, ads=ads, n_draws=2, n_sims=150,
                              rng=0, segment_share=0.2)
    assert a.cost <= 200.0 and 1 <= a.picked_in <= 2 and len(a.allocations) == 2
    assert all(x.cost <= 200.0 for x in a.allocations)
    one = allocate_across_draws(inf, 200.0, market_size=MARKET, ads=ads, platforms=["tiktok"],
                                n_draws=2, n_sims=150, rng=0, segment_share=0.2)
    for item in one.plan:
        plat = inf.platforms[inf.index(item)] if isinstance(item, str) else item.platform
        assert plat == "tiktok"
    assert "with 200:" in str(one)


def test_across_draws_pass_delays_and_deadline_to_each_draw():
    """estimate_across_draws(delay=, max_days=) is estimate_campaign called on each draw
    by hand (same audiences, same world streams): the same worlds, day by day; and
    allocate_across_draws(deadline=, delay=) is allocate_budget on each draw."""
    from viralsim.audiences import _streams, draw_audiences

    inf = _list(followers=[300, 200, 400, 160, 120],
                overlaps={("ann", "bob"): 80, ("cy", "eve"): 40})
    market = {"instagram": 1500, "tiktok": 1200}
    stats = {p: {"edge_prob": 0.2, "avg_degree": 6.0} for p in market}
    delay = {"instagram": vs.Delay.geometric(2.5), "tiktok": vs.Delay.pmf([0.3, 0.4, 0.3])}
    ad = vs.AdBuy(spend=4.0, cpm=10.0, segment="runners", conversion_rate=0.05,
                  platform="tiktok")
    plan = ["ann", "cy", ad]
    auds = draw_audiences(inf, 2, rng=3, market_size=market, segment_share=0.2,
                          platform_stats=stats)
    r = estimate_across_draws(inf, plan, n_sims=60, rng=3, delay=delay, max_days=4,
                              audiences=auds)
    streams = _streams(3)[1].spawn(2)
    for est, aud, s in zip(r.estimates, auds, streams):
        chans = [aud.posts["ann"], aud.posts["cy"], ad]
        want = vs.estimate_campaign(aud.graph, chans, n_sims=60, rng=np.random.default_rng(s),
                                    delay=delay, max_days=4)
        for k in ("reach", "exposure", "first_adopters"):
            np.testing.assert_array_equal(est.per_world[k], want.per_world[k])
        np.testing.assert_array_equal(est.reach_by_day.mean, want.reach_by_day.mean)
        assert est.reach_by_day.horizon == 4
    assert r.reach.day == 4 and r.max_days == 4 and "people by day 4 (simulation" in str(r)
    # the deadline cuts: by day 4 at most the total of the same worlds without one, and
    # some world's word of mouth goes on after day 4 here (geometric delays, p = 0.2)
    full = estimate_across_draws(inf, plan, n_sims=60, rng=3, delay=delay, audiences=auds)
    assert np.all(r.reach.means <= full.reach.means) and np.any(r.reach.means < full.reach.means)
    # by_day: each draw's reach_by_day.at(day), its interval's half-width as the ±
    d2 = r.by_day(2)
    assert d2.day == 2 and d2.means.tolist() == [e.reach_by_day.at(2).mean for e in r.estimates]
    assert d2.half_widths.tolist() == [e.reach_by_day.at(2).half_width for e in r.estimates]
    assert np.all(r.by_day(0).means <= d2.means) and np.all(d2.means <= r.by_day(4).means)
    assert r.by_day(4).means.tolist() == r.reach.means.tolist()
    # allocation by the deadline: each draw is allocate_budget with deadline and delay
    ads = [vs.AdBuy(spend=4.0, cpm=10.0, segment="runners", conversion_rate=0.05,
                    platform=p) for p in market]
    a = allocate_across_draws(inf, 150.0, ads=ads, n_sims=40, rng=3, delay=delay, deadline=4,
                              audiences=auds[:1], check_audiences=auds[:1])
    assert a.cost <= 150.0 and a.result.reach.day == 4 and len(a.allocations) == 1
    for got, aud, s in zip(a.allocations, auds, _streams(3)[1].spawn(1)):
        want = vs.allocate_budget(aud.graph, list(aud.posts.values()) + ads, 150.0, n_sims=40,
                                  rng=np.random.default_rng(s), delay=delay, deadline=4)
        assert got.chosen == want.chosen and got.value == want.value


@pytest.fixture(scope="module")
def one_audience():
    inf = _list(followers=[300, 200, 400, 160, 120], overlaps={})
    return inf, influencer_audiences(inf, market_size=1000, rng=0, segment_share=0.2)


@pytest.mark.parametrize("call,kw,match", [
    ("estimate", dict(max_days=-1), r"^The 'max_days' parameter of estimate_across_draws"),
    ("estimate", dict(delay={"facebook": 2}), r"estimate_across_draws \(delay\).*facebook"),
    ("estimate", dict(delay="two days"), r"^The 'delay' parameter of estimate_across_draws"),
    ("estimate", dict(deadline=3), r"^estimate_across_draws got an unexpected keyword "
                                   r"argument 'deadline'\. Did you mean max_days=\?$"),
    ("allocate", dict(deadline=1.5), r"^The 'deadline' parameter of allocate_across_draws"),
    ("allocate", dict(delays=2), r"argument 'delays'\. Did you mean delay=\?$"),
])
def test_across_draws_bad_timing_is_one_line(call, kw, match, one_audience):
    inf, aud = one_audience
    with pytest.raises((ValueError, TypeError, LookupError)) as ei:
        if call == "estimate":
            estimate_across_draws(inf, ["ann"], audiences=[aud], n_sims=10, rng=0, **kw)
        else:
            allocate_across_draws(inf, 100.0, audiences=[aud], n_sims=10, rng=0, **kw)
    msg = str(ei.value)
    assert "\n" not in msg and re.search(match, msg), msg


def test_describe_plan_in_words():
    ad = vs.AdBuy(spend=100.0, cpm=8.0, segment="runners", platform="instagram")
    ad2 = vs.AdBuy(spend=100.0, cpm=8.0, segment="runners", platform="instagram")
    assert describe_plan(["ann", "bob", ad, ad2], currency="€") == (
        "2 influencer posts (ann, bob) and €200 of ads to 'runners' on Instagram")
    assert describe_plan([]) == "nothing"


# ------------------------------------------------------------------ multiplex from files
def _edge_set(g):
    s, d, p = g.edges()
    return sorted(zip(s.tolist(), d.tolist(), [round(float(x), 6) for x in p]))


def test_read_multiplex_one_file_per_platform(tmp_path):
    ig = _write(tmp_path / "ig.csv", "followed,follower,probability\nann,bob,0.5\nann,cid,0.2\n"
                "bob,cid,1\n")
    tt = _write(tmp_path / "tt.csv", "source;target;probability\ncid;dan;0,3\ndan;eve;0,4\n")
    mg = vs.read_multiplex({"Instagram": ig, "tiktok": tt})
    assert mg.platforms == ("instagram", "tiktok")
    assert mg.base.labels.tolist() == ["ann", "bob", "cid", "dan", "eve"]
    assert mg.members["instagram"].tolist() == [True, True, True, False, False]
    assert mg.members["tiktok"].tolist() == [False, False, True, True, True]
    assert _edge_set(mg.layers["instagram"]) == [("ann", "bob", 0.5), ("ann", "cid", 0.2),
                                                 ("bob", "cid", 1.0)]
    assert _edge_set(mg.layers["tiktok"]) == [("cid", "dan", 0.3), ("dan", "eve", 0.4)]
    # each layer holds the same ties as read_follower_csv of its file
    for plat, path in (("instagram", ig), ("tiktok", tt)):
        assert _edge_set(mg.layers[plat]) == _edge_set(vs.io.read_follower_csv(path))


def test_read_multiplex_platform_column_equals_files(tmp_path):
    one = _write(tmp_path / "all.csv", "Platform,source,target\nInstagram,1,2\ninstagram,1,3\n"
                 "TikTok,3,4\ntiktok,4,1\n")
    ig = _write(tmp_path / "ig.csv", "source,target\n1,2\n1,3\n")
    tt = _write(tmp_path / "tt.csv", "source,target\n3,4\n4,1\n")
    a = vs.read_multiplex(one, probabilities=0.25, comment_probs={"tiktok": 0.5})
    b = vs.read_multiplex({"instagram": ig, "tiktok": tt}, probabilities=0.25)
    assert a.platforms == b.platforms == ("instagram", "tiktok")
    assert a.base.labels.tolist() == [1, 2, 3, 4]
    for p in a.platforms:
        assert a.layers[p] == b.layers[p]
        assert np.array_equal(a.members[p], b.members[p])
    assert a.comment_probs == {"tiktok": 0.5}


def test_read_multiplex_single_platform_is_the_follower_graph(tmp_path):
    """One platform read as a multiplex graph gives read_follower_csv's campaign numbers,
    world by world."""
    rows = "\n".join(f"{u},{v},0.3" for u, v in
                     [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (4, 0), (2, 5), (5, 6)])
    path = _write(tmp_path / "f.csv", "source,target,probability\n" + rows + "\n")
    mg = vs.read_multiplex({"instagram": path})
    g = vs.io.read_follower_csv(path)
    plan = [vs.SeedList([0])]
    a = vs.estimate_campaign(mg, plan, n_sims=500, rng=3)
    b = vs.estimate_campaign(g, plan, n_sims=500, rng=3)
    assert np.array_equal(a.per_world["reach"], b.per_world["reach"])
    assert np.array_equal(a.per_world["exposure"], b.per_world["exposure"])


def test_read_multiplex_consumers_file(tmp_path):
    f = _write(tmp_path / "f.csv", "platform,source,target\ninstagram,a,b\ntiktok,b,c\n")
    cons = _write(tmp_path / "c.csv", "id,runners,TikTok\na,1,yes\nb,0,no\nc,1,yes\nd,1,no\n")
    mg = vs.read_multiplex(f, probabilities=0.5, consumers=cons)
    assert mg.base.labels.tolist() == ["a", "b", "c", "d"]  # d: in the consumers file only
    assert mg.members["instagram"].tolist() == [True, True, False, False]
    assert mg.members["tiktok"].tolist() == [True, True, True, False]  # a added by the file
    for p in mg.platforms:
        assert mg.layers[p].node_attrs["runners"].tolist() == [1.0, 0.0, 1.0, 1.0]
    ad = vs.AdBuy(spend=1.0, cpm=100.0, segment="runners", conversion_rate=1.0,
                  platform="tiktok")
    est = vs.estimate_campaign(mg, [ad], n_sims=50, rng=0)
    # 10 impressions, cap 1, to runners on TikTok: a and c (d is not on TikTok)
    assert np.all(est.per_world["channel_viewers"] == 2)


def test_read_multiplex_bad_input(tmp_path):
    f = _write(tmp_path / "f.csv", "source,target\na,b\n")
    with pytest.raises(EdgeListError, match="no 'platform' column") as e:
        vs.read_multiplex(f, probabilities=0.1)
    assert "one file per platform" in str(e.value)
    with pytest.raises(EdgeListError, match="has no probability column.*probabilities="):
        vs.read_multiplex({"instagram": f})
    g = _write(tmp_path / "g.csv", "platform,source,target\ninstagram,a,b\n,b,c\n")
    with pytest.raises(EdgeListError, match="g.csv:3: no 'platform'"):
        vs.read_multiplex(g, probabilities=0.1)
    with pytest.raises(EdgeListError, match="does not exist"):
        vs.read_multiplex({"x": tmp_path / "missing.csv"}, probabilities=0.1)
    with pytest.raises(EdgeListError, match="'files' is empty"):
        vs.read_multiplex({})
    with pytest.raises(EdgeListError, match="given twice"):
        vs.read_multiplex({"X": f, "x": f}, probabilities=0.1)
    with pytest.raises(TypeError, match="dict of platform -> path"):
        vs.read_multiplex(3)
    cons = _write(tmp_path / "c.csv", "id,instagram\na,maybe\nb,1\n")
    h = _write(tmp_path / "h.csv", "platform,source,target\ninstagram,a,b\n")
    with pytest.raises(EdgeListError, match="'maybe' is not a number"):
        vs.read_multiplex(h, probabilities=0.1, consumers=cons)


# ------------------------------------------------------------------ the study, at CI size
def test_influencer_campaign_study_tiny(tmp_path):
    """experiments/influencer_campaign.py at 5% of its market: it reads the example list,
    writes report and tables, stays within budget and says the plan and what it reaches
    by when in plain words (by the deadline and an earlier day, reach by day per plan)."""
    import csv
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "experiments" / "influencer_campaign.py"
    spec = importlib.util.spec_from_file_location("influencer_campaign", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.main(["--scale", "0.05", "--draws", "2", "--sims", "40", "--budget", "800",
                    "--deadline", "5", "--early", "2", "--out", str(tmp_path),
                    "--record", str(tmp_path / "rec" / "bench")])
    with open(tmp_path / "plans.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["plan"] for r in rows] == ["best mix (all platforms)", "Instagram only",
                                         "TikTok only", "YouTube only"]
    for r in rows:
        assert 0 < float(r["cost"]) <= 800 and r["deadline_day"] == "5"
        assert float(r["reach_low"]) <= float(r["reach"]) <= float(r["reach_high"])
        assert float(r["reach_early"]) <= float(r["reach"]) <= float(r["exposure"])
    # plans chosen and reported by the deadline, with the platforms' delays
    for p in out["plans"].values():
        assert p.result.max_days == 5 and all(a.estimate.reach_by_day.horizon == 5
                                              for a in p.allocations)
    with open(tmp_path / "by_day.csv", newline="") as fh:
        days = list(csv.DictReader(fh))
    for r in rows:  # days 0..5, cumulative, ending at the table's reach
        mine = [float(x["reach"]) for x in days if x["plan"] == r["plan"]]
        assert len(mine) == 6 and np.all(np.diff(mine) >= -1e-9)
        assert mine[5] == float(r["reach"]) and mine[2] == float(r["reach_early"])
    text = (tmp_path / "report.md").read_text()
    assert text.startswith("# Influencer campaign")
    assert "With €800 and a deadline of day 5, buy " in text
    mix = rows[0]
    assert (f"By the end of day 5 it reaches {float(mix['reach']):,.0f} ± "
            f"{float(mix['reach_pm']):,.0f} people" in text)
    assert f"by day 2, {float(mix['reach_early']):,.0f} ± " in text
    assert "The best single-platform plan for the same deadline (" in text
    assert "| plan | buy |" in text and "| 5 (deadline) |" in text
    rec = (tmp_path / "rec" / "bench.md").read_text()
    assert rec.startswith(text.rstrip("\n")) and "Run: `python experiments/" in rec
    assert "load average" in rec and (tmp_path / "rec" / "bench.csv").exists()
    # the mix is chosen among all platforms' units, so on the draws it was chosen on it is
    # at least (1 - 1/e)/2 of the best single-platform plan's value there
    mix = out["plans"]["mix"].allocations
    single = out["plans"][out["single"]].allocations
    for m, s in zip(mix, single):
        assert m.value >= (1 - 1 / math.e) / 2 * s.value
