"""``experiment=campaign_mix``: one budget across influencer posts, ad buys and free
samples on several platforms; which mix to buy and what it reaches.

Config: ``conf/experiment/campaign_mix.yaml`` (schema :class:`CampaignMixConf`).
The run's steps are functions of their own: :func:`mix_of` reads the config
once (platforms into a :class:`~viralsim.MultiplexGraph`, channels into
channel units), :func:`plan_budget` allocates each budget
(:func:`viralsim.allocate_budget`: the mix over every unit, the best plan on
each platform alone, each channel alone) and :func:`evaluate_plans`
estimates every plan again in fresh worlds (:func:`viralsim.estimate_campaign`),
all in the same worlds, with paired differences against the mix.

Plans are chosen in ``select_sims`` worlds and reported from ``n_sims`` other
worlds: the numbers in the report are not inflated by the choice (a plan
chosen as the best in some worlds looks better there than it is).
"""

import difflib
import logging
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from .. import report
from . import _build, _plans, _rows
from ._schema import MISSING

__all__ = ["CampaignMixConf", "CampaignInfluencersConf", "InfluencersConf", "run_campaign_mix", "mix_of", "plan_budget",
           "evaluate_plans", "mix_report", "money", "plan_in_words", "Mix", "ChannelSpec"]

log = logging.getLogger("viralsim")

FUNC = "experiment=campaign_mix"
GOALS = ("adopters", "exposure")


@dataclass
class InfluencersConf:
    """An influencer list instead of follower graphs (:mod:`viralsim.audiences`).

    Parameters
    ----------
    path : str, optional
        The influencer CSV (one row per influencer: name, platform, followers,
        engagement rate, price, optionally segment share; see
        :func:`viralsim.audiences.read_influencers`).
    market_size : int or dict, optional
        Consumers on each platform in the market (one number: every platform).
    overlaps : str, optional
        A CSV of followers shared by pairs of influencers.
    segment : str, optional
        The target segment's name (ads name it as their ``segment``).
    segment_share : float, optional
        Share of the market in the segment (default: from the list's shares).
    avg_degree : float or dict, optional
        Ties among the market's consumers per member, per platform or for all.
    platform_stats : dict, optional
        Per platform: ``avg_degree``, ``exponent``, ``edge_prob``,
        ``comment_prob``, ``organic_reach`` (the rest: viralsim's placeholders).
    adopt_per_engagement : float, optional
        Adoptions per engagement (default 0.1).
    draws : int
        Audience draws: plans are chosen on the first; the best mix is then
        estimated on every draw, for the range across audiences.
    options : dict, optional
        Other keyword arguments of :func:`viralsim.audiences.influencer_audiences`.
    """

    path: str | None = None
    market_size: Any = None
    overlaps: str | None = None
    segment: str | None = None
    segment_share: float | None = None
    avg_degree: Any = None
    platform_stats: Any = None
    adopt_per_engagement: float | None = None
    draws: int = 1
    options: Any = None


@dataclass
class CampaignMixConf:
    """Schema of ``experiment=campaign_mix``.

    Parameters
    ----------
    platforms : dict, optional
        Platform name -> where its follower graph comes from: ``path`` (a
        follower CSV, with ``source``, ``target``, ``probability``,
        ``consumers`` as :func:`viralsim.io.read_follower_csv`), ``graph`` (a
        graph config with a ``_target_``, as in ``conf/graph``), or neither
        (the run's ``graph``, drawn anew per platform); ``comment_prob`` (the
        chance an adopter comments there) and who is on it (``share`` of the
        consumers at random, or a consumers ``column``). None: one platform,
        the run's ``graph``.
    segments : dict, optional
        Segment name -> ``{share: 0.2}`` (a random share of the consumers) or
        ``{column: c, value: v}`` (consumers whose column ``c`` is ``v``; a
        boolean column needs no value). Ads are shown to a segment.
    channels : list
        What the budget may buy: seed lists (``seeds`` or ``strategy`` + ``k``,
        ``cost``), influencer posts (``account``, ``followers`` or
        ``n_followers``, ``organic_reach``, ``adoption_rate``, ``cost``) and
        ad buys (``spend``, ``cpm``, ``segment``, ``frequency_cap``,
        ``conversion_rate``, ``slices``: the spend bought in that many equal
        slices), each with a ``platform`` and an optional ``name``.
    influencers : InfluencersConf
        An influencer list: its posts become channels, its audiences the graph.
    budgets : list
        One or several budgets (one number is a list of one).
    goal : str
        ``adopters`` (people who adopt) or ``exposure`` (people who see it).
    currency : str
        Written before amounts (``€``, ``$``) or after them (``EUR``).
    n_sims : int
        Worlds in which every plan is reported.
    select_sims : int
        Worlds in which plans are chosen (other worlds than the reported ones).
    alone : bool
        Also report each channel alone (as much of it as each budget buys).
    days : int, optional
        A deadline in days: plans are chosen for, and report, the people
        reached by the end of that day (each platform's ``delay``: days
        between a comment and acting on it; one day when not given).
    """

    name: str = "campaign_mix"
    platforms: Any = None
    segments: Any = None
    channels: Any = field(default_factory=list)
    influencers: InfluencersConf = field(default_factory=InfluencersConf)
    budgets: Any = MISSING
    goal: str = "adopters"
    currency: str = "€"
    n_sims: int | None = 2000
    select_sims: int = 500
    alone: bool = True
    days: int | None = None


@dataclass
class CampaignInfluencersConf(CampaignMixConf):
    """Schema of ``experiment=campaign_influencers``: :class:`CampaignMixConf` from an
    influencer list (``experiment.influencers.path`` and ``.market_size``), without
    the built-in example's platforms and channels."""

    name: str = "campaign_influencers"


# ------------------------------------------------------------------------ config
_PLATFORM_KEYS = {"path", "source", "target", "probability", "consumers", "id_column",
                  "directed", "graph", "comment_prob", "share", "column", "delay"}
_SEGMENT_KEYS = {"share", "column", "value"}
_KINDS = {"seeds": "seeds", "seed_list": "seeds", "samples": "seeds", "free_samples": "seeds",
          "post": "post", "influencer": "post", "influencer_post": "post",
          "ad": "ad", "ads": "ad", "ad_buy": "ad"}
_KEYS = {
    "seeds": {"seeds", "strategy", "k", "cost"},
    "post": {"account", "followers", "n_followers", "organic_reach", "adoption_rate", "cost"},
    "ad": {"spend", "cpm", "segment", "frequency_cap", "conversion_rate", "slices"},
}
_COMMON = {"name", "kind", "platform"}


def _unknown(keys, allowed, where, fix):
    bad = sorted(set(keys) - set(allowed))
    if bad:
        near = difflib.get_close_matches(bad[0], sorted(allowed), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ValueError(f"{where}: unknown key {bad[0]!r}{hint}; {fix}: "
                         f"{', '.join(sorted(allowed))}.")


def _mapping(value, key, example):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{key} must be a mapping, e.g. {example}. Got {value!r} instead.")
    return value


def _named(value, key, example):
    """``{name: item}`` from a list of items with a ``name`` (a list is replaced whole by
    a command-line override, a mapping would be merged) or from a mapping."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)
    if not isinstance(value, list):
        raise ValueError(f"{key} must be a list such as {example}. Got {value!r} instead.")
    out = {}
    for i, item in enumerate(value):
        if not isinstance(item, dict) or item.get("name") is None:
            raise ValueError(f"{key}[{i}] must be a mapping with a 'name', as in {example}. "
                             f"Got {item!r} instead.")
        name = str(item["name"])
        if name in out:
            raise ValueError(f"{key}: the name {name!r} is given twice; give each its own.")
        out[name] = {k: v for k, v in item.items() if k != "name"}
    return out


def money(x, currency="€"):
    """An amount as the report writes it: ``€1,250``, ``€12.50``, ``500 EUR``.

    Parameters
    ----------
    x : float
    currency : str
        A symbol (written before) or a code or word (after, with a space).

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.experiments.campaign_mix import money
    >>> money(1250.0), money(12.5, "$"), money(500, "EUR"), money(3, "")
    ('€1,250', '$12.50', '500 EUR', '3')
    """
    x = float(x)
    num = f"{x:,.0f}" if abs(x - round(x)) < 5e-3 else f"{x:,.2f}"
    cur = str(currency or "")
    if not cur:
        return num
    if cur.isalpha() and len(cur) > 1:
        return f"{num} {cur}"
    return f"{cur}{num}"


@dataclass(frozen=True)
class ChannelSpec:
    """One configured channel and the units it offers (an ad's slices; else one unit).

    Parameters
    ----------
    index : int
        Its position in ``experiment.channels`` (or after them: an influencer).
    name : str
    kind : str
        ``seeds``, ``post`` or ``ad``.
    platform : str or None
        None: a seed list (on no platform in particular).
    units : list of Channel
    """

    index: int
    name: str
    kind: str
    platform: Any
    units: list
    influencer: Any = None  # its name in the influencer list (a post from the list)

    @property
    def unit_cost(self):
        """The cost of one unit."""
        return float(self.units[0].cost)


@dataclass(frozen=True)
class Mix:
    """A campaign_mix's objects, read from its config once (:func:`mix_of`).

    Parameters
    ----------
    graph : MultiplexGraph
    model : DiffusionModel
    specs : list of ChannelSpec
    units : list of Channel
        Every unit of every channel, in order (``owner[i]``: its spec).
    owner : list of int
    budgets : list of float
        Sorted.
    goal : str
    currency : str
    n_sims, select_sims : int
    confidence : float
    max_rounds : int or None
    rng_seed : int
    info : RunInfo
    alone : bool
    sources : dict
        Platform -> where its graph came from (for the report).
    """

    graph: Any
    model: Any
    specs: list
    units: list
    owner: list
    budgets: list
    goal: str
    currency: str
    n_sims: int
    select_sims: int
    confidence: float
    max_rounds: Any
    rng_seed: int
    info: _build.RunInfo
    alone: bool = True
    sources: dict = field(default_factory=dict)
    days: Any = None
    assumption: Any = None  # where the probabilities come from, when not cfg's
    influencers: Any = None  # the InfluencerList
    audiences: list = field(default_factory=list)  # the audience draws (the first planned on)

    @property
    def metric(self):
        """The estimate's metric the goal counts: ``reach`` or ``exposure``."""
        return "reach" if self.goal == "adopters" else "exposure"

    def money(self, x):
        """An amount in the configured currency."""
        return money(x, self.currency)


def _budgets(exp):
    raw = exp.get("budgets")
    if raw is None or raw == MISSING or raw == []:
        raise ValueError("experiment.budgets is empty: give the budget(s) to spend, e.g. "
                         "'experiment.budgets=[250,500]'.")
    budgets = sorted(_plans.numbers(raw, "experiment.budgets") or [])
    if any(not (math.isfinite(b) and b > 0) for b in budgets):
        raise ValueError(f"experiment.budgets={budgets}: every budget must be a number > 0.")
    return budgets


def _days(exp):
    days = exp.get("days")
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"experiment.days={days!r}: give the deadline as a whole number of "
                         "days >= 0 (or null: until word of mouth ends).")
    _by_day_support("experiment.days")
    return days


def _int_setting(exp, key, low):
    v = exp.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise ValueError(f"experiment.{key}={v!r}: give a whole number >= {low}.")
    return v


# ------------------------------------------------------------------------ platforms
def _layer_from_config(cfg, name, p, i):
    """One platform's FollowerGraph (probabilities set) from its config node."""
    seed = int(cfg.get("rng_seed", 0))
    if p.get("path") is not None:
        from ..io import read_follower_csv

        kw = {k: p[k] for k in ("source", "target", "probability", "consumers", "id_column",
                                "directed") if p.get(k) is not None}
        return read_follower_csv(p["path"], **kw), "file"
    gcfg = p.get("graph")
    if gcfg is None:
        gcfg = cfg.get("graph")
        if not gcfg:
            raise ValueError(f"experiment.platforms[{i}] ({name}) names no follower graph: give "
                             f"its 'path' (a follower CSV) or 'graph' (a generator), or a "
                             "graph=... for the run.")
    gcfg = dict(gcfg)
    if "_target_" not in gcfg:
        raise ValueError(f"experiment.platforms[{i}] ({name}): graph needs a '_target_' (e.g. "
                         "viralsim.generators.holme_kim), as the configs in conf/graph have.")
    target = str(gcfg["_target_"])
    if gcfg.get("rng") is None and ("rng" in gcfg or target.startswith("viralsim.generators.")):
        # each generated platform its own draw, reproducible from rng_seed
        gcfg["rng"] = int(_build.sub_rng(seed, 7, i).integers(2**62))
    source = "generated" if target.startswith("viralsim.generators.") else "read"
    return _build.build(gcfg), source


def _aligned(layers):
    """Layers read from files over one set of consumers: the union of their labels,
    each layer's members being the consumers in its file."""
    import numpy as np

    from ..graph import FollowerGraph

    labels, seen = [], {}
    for g in layers.values():
        for x in g.labels.tolist():
            if x not in seen:
                seen[x] = len(labels)
                labels.append(x)
    n = len(labels)
    lab = np.empty(n, dtype=object)
    lab[:] = labels
    out, members = {}, {}
    for name, g in layers.items():
        pos = np.array([seen[x] for x in g.labels.tolist()], dtype=np.int64)
        src = np.repeat(np.arange(g.n_nodes), np.diff(g.indptr))
        attrs = {}
        for a, v in g.node_attrs.items():
            v = np.asarray(v)
            full = (np.full(n, np.nan) if v.dtype.kind in "fiu" else np.full(n, None, dtype=object))
            if v.dtype.kind == "b":
                full = np.zeros(n, dtype=bool)
            full[pos] = v
            attrs[a] = full
        out[name] = FollowerGraph.from_edges(pos[src], pos[g.indices], probs=g.probs,
                                             n_nodes=n, labels=lab, node_attrs=attrs)
        m = np.zeros(n, dtype=bool)
        m[pos] = True
        members[name] = m
    return out, members


def _members(g, name, p, seed, i):
    import numpy as np

    share, column = p.get("share"), p.get("column")
    if share is not None and column is not None:
        raise ValueError(f"experiment.platforms[{i}] ({name}): give 'share' or 'column' (who is on "
                         "the platform), not both.")
    if share is not None:
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise ValueError(f"experiment.platforms[{i}] ({name}): share={share!r}: give the share of "
                             "consumers on the platform, a number in (0, 1].")
        return _build.sub_rng(seed, 8, i).random(g.n_nodes) < float(share)
    if column is not None:
        attr = _plans.attr_name(g, str(column))
        if attr not in g.node_attrs:
            raise ValueError(f"experiment.platforms[{i}] ({name}): column={column!r}: no such consumers "
                             f"column (have: {sorted(g.node_attrs)}). Name a yes/no column.")
        v = np.asarray(g.node_attrs[attr])
        return (v.astype(bool) if v.dtype.kind in "biu" else
                np.array([str(x).strip().lower() in ("1", "true", "yes", "y") for x in v]))
    return None


def _segments(g, exp, seed):
    """``g`` with one boolean node attribute per configured segment."""
    import numpy as np

    segs = _named(exp.get("segments"), "experiment.segments", "[{name: runners, share: 0.2}]")
    for j, (name, s) in enumerate(segs.items()):
        where = f"experiment.segments[{j}] ({name})"
        s = _mapping(s, where, "{share: 0.2} or {column: interest, value: running}")
        _unknown(s, _SEGMENT_KEYS, where, "a segment has")
        if (s.get("share") is None) == (s.get("column") is None):
            raise ValueError(f"{where}: give 'share' (a random share of the consumers) or "
                             "'column' (and 'value'): one of them.")
        if s.get("share") is not None:
            share = s["share"]
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
                raise ValueError(f"{where}: share={share!r}: give a number in (0, 1].")
            mask = _build.sub_rng(seed, 9, j).random(g.n_nodes) < float(share)
        else:
            attr = _plans.attr_name(g, str(s["column"]))
            if attr not in g.node_attrs:
                raise ValueError(f"{where}: column={s['column']!r}: the consumers have no such "
                                 f"column (have: {sorted(g.node_attrs)}). Fix the name, or "
                                 "give the platforms a consumers file.")
            v = np.asarray(g.node_attrs[attr])
            if s.get("value") is None:
                if v.dtype.kind not in "biu":
                    raise ValueError(f"{where}: column {attr!r} is not yes/no; give the "
                                     "'value' that marks the segment.")
                mask = v.astype(bool)
            else:
                want = s["value"]
                mask = (np.array([str(x).strip() == str(want).strip() for x in v])
                        if v.dtype.kind in "OUS" else v == want)
            if not mask.any():
                raise ValueError(f"{where}: no consumer has {attr} = {s.get('value')!r}. "
                                 "Pick a value that occurs.")
        g = g.with_node_attr(str(name), mask)
    return g


def _platforms(cfg, exp):
    """The MultiplexGraph of ``experiment.platforms`` (or of the run's graph) and the
    source of each platform."""
    from ..channels import MultiplexGraph

    seed = int(cfg.get("rng_seed", 0))
    plats = _named(exp.get("platforms"), "experiment.platforms",
                   "[{name: instagram, path: ig.csv}, {name: tiktok, path: tt.csv}]")
    if not plats:
        plats = {"main": {}}
    conf, layers, sources = {}, {}, {}
    for i, (name, p) in enumerate(plats.items()):
        where = f"experiment.platforms[{i}] ({name})"
        p = _mapping(p, where, "{path: followers.csv, comment_prob: 0.3}")
        _unknown(p, _PLATFORM_KEYS, where, "a platform has")
        if p.get("path") is not None and p.get("graph") is not None:
            raise ValueError(f"{where}: give 'path' (a follower CSV) or 'graph' (a generator), "
                             "not both.")
        conf[str(name)] = p
        layers[str(name)], sources[str(name)] = _layer_from_config(cfg, name, p, i)
    files = [n for n, s in sources.items() if s == "file"]
    members = {}
    if files and len(files) < len(sources):
        raise ValueError(f"experiment.platforms: {files} are read from files and the others "
                         "generated; their consumers cannot be matched. Give every platform a "
                         "'path', or none.")
    if files and len(files) > 1:
        layers, members = _aligned(layers)
    n = {g.n_nodes for g in layers.values()}
    if len(n) > 1:
        raise ValueError(f"experiment.platforms: the platforms have different numbers of "
                         f"consumers ({sorted(n)}); give each generator the same n_nodes.")
    prng = _build.sub_rng(seed, 1)
    for name, g in layers.items():
        layers[name] = _build.apply_probabilities(g, cfg.get("probabilities"), prng)
    first = next(iter(layers))
    base = layers[first]
    for g in list(layers.values())[1:]:  # a consumers file given with any platform counts
        for a, v in g.node_attrs.items():
            if a not in base.node_attrs:
                base = base.with_node_attr(a, v)
    base = _segments(base, exp, seed)
    layers[first] = base
    for i, name in enumerate(layers):
        m = _members(base, name, conf[name], seed, i)
        if m is not None:
            members[name] = m if name not in members else (members[name] & m)
    comment = {}
    for i, (name, p) in enumerate(conf.items()):
        if p.get("comment_prob") is not None:
            c = p["comment_prob"]
            if isinstance(c, bool) or not isinstance(c, (int, float)) or not 0 <= c <= 1:
                raise ValueError(f"experiment.platforms[{i}] ({name}): comment_prob={c!r}: give a "
                                 "probability in [0, 1].")
            comment[name] = float(c)
    delays = {name: _delay_of(p["delay"], f"experiment.platforms[{i}] ({name})")
              for i, (name, p) in enumerate(conf.items()) if p.get("delay") is not None}
    extra = {"delays": delays} if delays else {}
    return (MultiplexGraph(layers, comment_probs=comment, members=members or None, **extra),
            sources)


def _by_day_support(what):
    """The by-day forecasts of :mod:`viralsim.channels` (issue 18 item 5), or a one-line
    error naming ``what`` needs them."""
    import inspect

    from .. import channels

    if getattr(channels, "Delay", None) is None or "max_days" not in inspect.signature(
            channels.estimate_campaign).parameters:
        raise ValueError(f"{what} needs forecasts by day (vs.Delay), which this viralsim "
                         "lacks; drop it, or upgrade viralsim.")
    return channels.Delay


def _delay_of(spec, where):
    """A platform's ``delay``: whole days, ``{mean_days: m}`` (geometric) or
    ``{pmf: [p0, p1, ...]}``."""
    delay = _by_day_support(f"{where}: delay")
    try:
        if isinstance(spec, int) and not isinstance(spec, bool):
            return delay.fixed(spec)
        if isinstance(spec, dict) and len(spec) == 1 and "mean_days" in spec:
            return delay.geometric(spec["mean_days"])
        if isinstance(spec, dict) and len(spec) == 1 and "pmf" in spec:
            return delay.pmf(list(spec["pmf"]))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{where}: delay={spec!r}: {str(exc).splitlines()[0]}") from None
    raise ValueError(f"{where}: delay={spec!r}: give whole days (2), {{mean_days: 3}} (a "
                     "geometric law) or {pmf: [0, 0.5, 0.5]} (the chance of each day).")


_INFLUENCER_OPTS = ("segment_share", "avg_degree", "platform_stats", "adopt_per_engagement")
_INFLUENCER_PLATFORM_KEYS = {"comment_prob", "delay"}


def _from_influencers(cfg, exp, icfg):
    """``(graph, audiences, influencer list)`` of ``experiment.influencers``: the first
    audience draw's graph, with the config's segments, comment probabilities and
    delays."""
    try:
        from .. import audiences
    except ImportError:  # pragma: no cover - the module ships with viralsim from issue 18
        raise ValueError("experiment.influencers needs viralsim.audiences, which this install "
                         "lacks; upgrade viralsim, or list the posts in experiment.channels."
                         ) from None
    from ..channels import MultiplexGraph

    _unknown(icfg, set(InfluencersConf.__dataclass_fields__), "experiment.influencers",
             "an influencer list has")
    if icfg.get("market_size") in (None, MISSING):
        raise ValueError("experiment.influencers.market_size is not set: give the consumers on "
                         "each platform in the market (e.g. 20000, or {instagram: 20000, "
                         "tiktok: 15000}).")
    draws = icfg.get("draws", 1)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise ValueError(f"experiment.influencers.draws={draws!r}: give a whole number >= 1.")
    opts = dict(_mapping(icfg.get("options"), "experiment.influencers.options", "{}"))
    opts.update({k: icfg[k] for k in _INFLUENCER_OPTS if icfg.get(k) is not None})
    if icfg.get("segment") is not None:
        opts["segment"] = icfg["segment"]
    infl = audiences.read_influencers(icfg["path"], overlaps=icfg.get("overlaps"),
                                      segment=icfg.get("segment"))
    seed = int(cfg.get("rng_seed", 0))
    auds = audiences.draw_audiences(infl, draws, market_size=icfg["market_size"],
                                    rng=int(_build.sub_rng(seed, 10).integers(2**62)), **opts)
    g = auds[0].graph
    plats = _named(exp.get("platforms"), "experiment.platforms", "[{name: instagram, "
                   "comment_prob: 0.3}]")
    comment, delays = dict(g.comment_probs), dict(getattr(g, "delays", None) or {})
    for i, (name, p) in enumerate(plats.items()):
        where = f"experiment.platforms[{i}] ({name})"
        p = _mapping(p, where, "{comment_prob: 0.3}")
        extra = sorted(set(p) - _INFLUENCER_PLATFORM_KEYS)
        if extra:
            raise ValueError(f"{where}: with an influencer list the platforms' consumers come "
                             f"from it, so {extra[0]!r} cannot be given (only comment_prob or "
                             "delay); for a list without the built-in example's platforms and "
                             "channels use experiment=campaign_influencers.")
        if name not in g.platforms:
            raise ValueError(f"{where}: the influencer list has no platform {name!r} (its "
                             f"platforms: {', '.join(g.platforms)}). Fix the name.")
        if p.get("comment_prob") is not None:
            c = p["comment_prob"]
            if isinstance(c, bool) or not isinstance(c, (int, float)) or not 0 <= c <= 1:
                raise ValueError(f"{where}: comment_prob={c!r}: give a probability in [0, 1].")
            comment[name] = float(c)
        if p.get("delay") is not None:
            delays[name] = _delay_of(p["delay"], where)
    layers = dict(g.layers)
    first = g.platforms[0]
    layers[first] = _segments(layers[first], exp, seed)
    extra = {"delays": delays} if delays else {}
    graph = MultiplexGraph(layers, comment_probs=comment, members=g.members, **extra)
    return graph, auds, infl


def _influencer_assumption(icfg):
    from ..audiences import DEFAULT_PLATFORM_STATS

    given = "experiment.influencers.platform_stats" if icfg.get("platform_stats") else None
    return ("Probabilities: each platform's edge_prob (the chance a comment persuades a "
            "follower who sees it) from " + (f"{given}, else " if given else "")
            + f"viralsim's placeholder {DEFAULT_PLATFORM_STATS['edge_prob']:g}; the audiences "
            "are drawn from the influencer list (viralsim.audiences); assumed, not learned "
            "from data.")


# ------------------------------------------------------------------------ channels
def _kind(ch, where):
    if ch.get("kind") is not None:
        k = _KINDS.get(str(ch["kind"]).strip().lower())
        if k is None:
            raise ValueError(f"{where}: kind={ch['kind']!r} is not a channel; use seeds, post "
                             "or ad.")
        return k
    found = [k for k, keys in (("ad", ("spend", "cpm")),
                               ("post", ("account", "followers", "n_followers")),
                               ("seeds", ("seeds", "strategy"))) if any(x in ch for x in keys)]
    if len(found) != 1:
        seen = " and ".join(found) if found else "no seeds, account, followers or spend"
        raise ValueError(f"{where}: cannot tell what this channel is ({seen}); give kind: "
                         "seeds, post or ad.")
    return found[0]


def _auto_name(kind, ch, platform):
    on = f" on {platform}" if platform else ""
    if kind == "ad":
        seg = f" to {ch['segment']}" if ch.get("segment") else ""
        return f"ads{on}{seg}"
    if kind == "post":
        if ch.get("account") is not None:
            return f"post by {ch['account']}{on}"
        n = ch.get("n_followers")
        return f"post{on} ({n:,} followers)" if isinstance(n, int) else f"post{on}"
    return "free samples"


def _channel_units(kind, ch, platform, graph, model, seed, i):
    from .. import channels as chn

    if kind == "ad":
        slices = ch.get("slices", 1)
        if isinstance(slices, bool) or not isinstance(slices, int) or slices < 1:
            raise ValueError(f"slices={slices!r}: give a whole number >= 1 (the spend is "
                             "bought in that many equal parts).")
        if ch.get("spend") is None or ch.get("cpm") is None:
            raise ValueError("an ad needs 'spend' and 'cpm' (the price of 1,000 impressions).")
        spend = ch["spend"]
        if not isinstance(spend, (int, float)) or isinstance(spend, bool):
            raise ValueError(f"spend={spend!r}: give an amount > 0.")
        kw = {k: ch[k] for k in ("segment", "frequency_cap", "conversion_rate") if k in ch}
        return [chn.AdBuy(spend=float(spend) / slices, cpm=ch["cpm"], platform=platform, **kw)
                for _ in range(slices)]
    if kind == "post":
        kw = {k: ch[k] for k in _KEYS["post"] if k in ch}
        if "followers" in kw and kw["followers"] is not None:
            kw["followers"] = list(kw["followers"])
        return [chn.InfluencerPost(platform=platform, **kw)]
    if ch.get("seeds") is None:
        base = graph.layers[platform] if platform else graph.base
        seeds = _plans.resolve_plan(base, {"strategy": ch.get("strategy"), "k": ch.get("k"),
                                           "name": ch.get("name")}, model=model,
                                    rng=_build.sub_rng(seed, 11, i), func=FUNC)
    else:
        if ch.get("strategy") is not None:
            raise ValueError("give 'seeds' or 'strategy' (with k), not both.")
        seeds = list(ch["seeds"])
    return [chn.SeedList(seeds, cost=ch.get("cost", 0.0), platform=None)]


def _specs(graph, exp, model, seed, posts=None):
    """The configured channels (then the influencer list's posts) as ChannelSpecs."""
    raw = exp.get("channels") or []
    if not isinstance(raw, list):
        raise ValueError("experiment.channels must be a list of channels, e.g. "
                         "[{name: ads, platform: instagram, spend: 200, cpm: 8}].")
    plats = list(graph.platforms)
    kinds, platforms, autos = [], [], []
    for i, ch in enumerate(raw):
        where = f"experiment.channels[{i}]"
        if not isinstance(ch, dict):
            raise ValueError(f"{where} must be a mapping such as {{name: ads, platform: "
                             f"instagram, spend: 200, cpm: 8}}. Got {ch!r} instead.")
        k = _kind(ch, where)
        _unknown(ch, _KEYS[k] | _COMMON, f"{where} ({ch.get('name') or k})", f"a {k} channel has")
        p = ch.get("platform")
        if p is not None and str(p) not in plats:
            near = difflib.get_close_matches(str(p), plats, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ValueError(f"{where}: platform {p!r} is not one of the platforms "
                             f"({', '.join(plats)}){hint}. Fix the name, or add "
                             f"a platform named {p!r} to experiment.platforms.")
        if p is None and k != "seeds":
            if len(plats) > 1:
                raise ValueError(f"{where} ({ch.get('name') or k}) names no platform and there "
                                 f"are several ({', '.join(plats)}); add platform: <name>.")
            p = plats[0]
        kinds.append(k)
        platforms.append(None if p is None else str(p))
        autos.append(_auto_name(k, ch, p if len(plats) > 1 else None))
    names = _plans.plan_names([dict(c) for c in raw], lambda i, c: autos[i])
    specs = []
    for i, ch in enumerate(raw):
        try:
            units = _channel_units(kinds[i], ch, platforms[i], graph, model, seed, i)
        except (ValueError, TypeError, LookupError) as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"experiment.channels[{i}] ({names[i]}): {msg}") from None
        specs.append(ChannelSpec(i, names[i], kinds[i], platforms[i], units))
    taken = set(names)
    for name, post in (posts or {}).items():
        n = str(name) if str(name) not in taken else f"{name} (influencer)"
        taken.add(n)
        specs.append(ChannelSpec(len(specs), n, "post", post.platform, [post], influencer=name))
    if not specs:
        raise ValueError("experiment.channels is empty: list what the budget may buy (seeds, "
                         "posts, ads), or give an influencer list (experiment.influencers.path).")
    return specs


def _check_on_graph(graph, model, specs, n_configured):
    """Each channel against the graph (its platform's members, its segment, its
    seeds), in one world: a bad one is named by its place in the config."""
    from ..channels import estimate_campaign

    for s in specs:
        try:
            estimate_campaign(graph, s.units[:1], model=model, n_sims=1, rng=0)
        except (ValueError, TypeError, LookupError) as exc:
            where = (f"experiment.channels[{s.index}]" if s.index < n_configured
                     else "experiment.influencers")
            msg = str(exc).strip().splitlines()[0]
            msg = msg.split(": ", 1)[1] if msg.startswith("estimate_campaign") else msg
            msg = re.sub(r"^channel \d+ \(([^)]*)\)", r"\1", msg)  # its place is ours
            raise ValueError(f"{where} ({s.name}): {msg}") from None


def mix_of(cfg, keys=None):
    """The :class:`Mix` of a composed config: the one place its config is read.

    Parameters
    ----------
    cfg : dict
        The composed config (plain), ``experiment`` as :class:`CampaignMixConf`.
    keys : dict, optional
        Extra columns for every row.

    Returns
    -------
    Mix

    Raises
    ------
    ValueError
        One line naming the key and the fix: no budgets, a budget below every
        channel's cost, a platform named in a channel but not configured, a
        rate outside [0, 1], a CPM <= 0, an unknown key, kind or goal.

    Examples
    --------
    >>> from viralsim.experiments.campaign_mix import mix_of
    >>> cfg = {"experiment": {"name": "campaign_mix", "budgets": [100],
    ...        "channels": [{"name": "ads", "spend": 100, "cpm": 10, "slices": 2}]},
    ...        "graph": {"_target_": "viralsim.generators.holme_kim", "n_nodes": 60, "m": 2,
    ...                  "p_triangle": 0.3}, "probabilities": {"scheme": "weighted_cascade"}}
    >>> m = mix_of(cfg)
    >>> m.graph.platforms, [u.cost for u in m.units]
    (('main',), [50.0, 50.0])
    """
    exp = cfg["experiment"]
    _unknown(exp, set(CampaignMixConf.__dataclass_fields__), "experiment",
             f"experiment={exp.get('name')} has")
    budgets = _budgets(exp)
    goal = exp.get("goal") or "adopters"
    if goal not in GOALS:
        raise ValueError(f"experiment.goal={goal!r}: choose adopters (people who adopt) or "
                         "exposure (people who see it).")
    n_sims = _int_setting(exp, "n_sims", 2) if exp.get("n_sims") is not None else 2000
    select = _int_setting(exp, "select_sims", 2) if exp.get("select_sims") is not None else 500
    seed = int(cfg.get("rng_seed", 0))
    model = _build.build_model(cfg)
    icfg = _mapping(exp.get("influencers"), "experiment.influencers",
                    "{path: influencers.csv, market_size: 20000}")
    posts, sources, auds, infl, assumption = None, {}, [], None, None
    if icfg.get("path") is not None:
        graph, auds, infl = _from_influencers(cfg, exp, icfg)
        posts = dict(auds[0].posts)
        sources = {p: "influencer list" for p in graph.platforms}
        assumption = _influencer_assumption(icfg)
    else:
        graph, sources = _platforms(cfg, exp)
    specs = _specs(graph, exp, model, seed, posts)
    _check_on_graph(graph, model, specs, len(exp.get("channels") or []))
    units, owner = [], []
    for s in specs:
        units += s.units
        owner += [s.index] * len(s.units)
    cheapest = min(u.cost for u in units)
    if not _plans.within_budget(cheapest, budgets[-1]):
        raise ValueError(f"experiment.budgets={budgets}: every budget is below the cost of "
                         f"every channel (the cheapest costs {cheapest:,.2f}). Raise the budgets "
                         "or add cheaper channels (or more ad slices).")
    return Mix(graph=graph, model=model, specs=specs, units=units, owner=owner, budgets=budgets,
               goal=goal, currency=str(exp.get("currency") if exp.get("currency") is not None
                                       else "€"),
               n_sims=n_sims, select_sims=select, confidence=float(cfg.get("confidence", 0.95)),
               max_rounds=cfg.get("max_rounds"), rng_seed=seed,
               info=_build.RunInfo.from_config(cfg, keys), alone=bool(exp.get("alone", True)),
               days=_days(exp), assumption=assumption, influencers=infl, audiences=auds,
               sources=sources)


# ------------------------------------------------------------------------ planning
def _allocate(m, pick, budget, rng):
    """``allocate_budget`` over the units ``pick`` (positions in ``m.units``): the
    positions bought, in order (None when no unit fits)."""
    from ..channels import allocate_budget

    if not pick or not any(_plans.within_budget(m.units[i].cost, budget) for i in pick):
        return None
    by_day = {} if m.days is None else {"deadline": m.days}
    a = allocate_budget(m.graph, [m.units[i] for i in pick], budget, goal=m.goal, model=m.model,
                        n_sims=m.select_sims, rng=rng, confidence=m.confidence,
                        max_rounds=m.max_rounds, **by_day)
    return _canonical(m, [pick[i] for i in a.chosen]), a.value


def _canonical(m, units):
    """The same plan with each channel's first slices: an ad's slices are alike, so two
    plans that buy as many slices of each channel are one plan (one estimate)."""
    free = {}
    for i, o in enumerate(m.owner):
        free.setdefault(o, []).append(i)
    taken = {}
    out = []
    for i in units:
        o = m.owner[i]
        out.append(free[o][taken.get(o, 0)])
        taken[o] = taken.get(o, 0) + 1
    return out


def plan_budget(m, budget):
    """The plans to compare at one budget: the mix, each platform alone, each channel alone.

    Parameters
    ----------
    m : Mix
    budget : float

    Returns
    -------
    list of dict
        ``{"plan", "kind", "units", "select_value"}``; ``kind`` is ``mix``,
        ``platform`` or ``channel``; ``units``: positions in ``m.units``.
        The mix is the better (in the selection worlds) of the allocation over
        every unit and the best single-platform allocation; its ``kind`` is
        ``mix`` either way.
    """
    rng = _build.sub_rng(m.rng_seed, 12).integers(2**62)  # the selection worlds
    everything = list(range(len(m.units)))
    out = []
    mix = _allocate(m, everything, budget, rng)
    if mix is None:
        return []
    plats = list(m.graph.platforms)
    singles = []
    if len(plats) > 1:
        for p in plats:
            pick = [i for i in everything if m.units[i].platform == p]
            got = _allocate(m, pick, budget, rng)
            if got is not None:
                singles.append({"plan": f"{p} only", "kind": "platform", "platform": p,
                                "units": got[0], "select_value": got[1]})
    best_single = max(singles, key=lambda s: s["select_value"], default=None)
    if best_single is not None and best_single["select_value"] > mix[1]:
        mix = (best_single["units"], best_single["select_value"])
    out.append({"plan": "best mix", "kind": "mix", "units": mix[0], "select_value": mix[1]})
    out += singles
    if m.alone:
        for s in m.specs:
            pos = [i for i in everything if m.owner[i] == s.index]
            n = 0
            for _ in pos:  # as many of its units as the budget buys
                if _plans.within_budget(s.unit_cost * (n + 1), budget):
                    n += 1
            if n:
                out.append({"plan": f"{s.name} alone", "kind": "channel", "platform": s.platform,
                            "units": pos[:n], "select_value": None})
    return out


def evaluate_plans(m, plans_at):
    """Every plan estimated in the same ``n_sims`` worlds (other than the selection
    ones); identical plans are estimated once.

    Parameters
    ----------
    m : Mix
    plans_at : dict
        Budget -> :func:`plan_budget`'s list.

    Returns
    -------
    dict
        ``tuple(units) -> CampaignEstimate``.
    """
    from ..channels import estimate_campaign

    rng = _build.sub_rng(m.rng_seed, 13).integers(2**62)  # the reported worlds
    by_day = {} if m.days is None else {"max_days": m.days}
    done = {}
    for plans in plans_at.values():
        for p in plans:
            key = tuple(sorted(p["units"]))
            if key not in done:
                done[key] = estimate_campaign(m.graph, [m.units[i] for i in key], model=m.model,
                                              n_sims=m.n_sims, rng=rng,
                                              confidence=m.confidence, max_rounds=m.max_rounds,
                                              **by_day)
    return done


def _base(m):
    from .. import __version__

    row = dict(m.info.keys)
    row.update(experiment=m.info.experiment,
               graph=", ".join(f"{p} ({m.sources.get(p, '')})" for p in m.graph.platforms),
               n_nodes=m.graph.n_nodes,
               n_edges=sum(g.n_edges for g in m.graph.layers.values()),
               probabilities=("edge_prob per platform (influencer list)"
                              if m.influencers is not None else m.info.probabilities),
               model=m.info.model)
    return row, {"rng_seed": m.rng_seed, "version": __version__}


def _est_cols(est):
    cols = {}
    for name, e in est.metrics.items():
        pre = "" if name == "reach" else f"{name}_"
        if name == "reach":
            cols.update(mean=e.mean, ci_low=e.ci_low, ci_high=e.ci_high, stderr=e.stderr)
        else:
            cols.update({name: e.mean, f"{pre}ci_low": e.ci_low, f"{pre}ci_high": e.ci_high})
    return cols


def audience_ranges(m, plans_at):
    """The best mix at each budget on every audience draw of the influencer list
    (:func:`viralsim.audiences.estimate_across_draws`): budget -> DrawsEstimate.
    Empty without an influencer list, or with one draw. With a deadline
    (``experiment.days``) the range is of the people reached by that day, with
    the platforms' delays.

    Parameters
    ----------
    m : Mix
    plans_at : dict
        Budget -> :func:`plan_budget`'s list.

    Returns
    -------
    dict
    """
    if len(m.audiences) < 2:
        return {}
    from ..audiences import estimate_across_draws

    specs = {s.index: s for s in m.specs}
    rng = int(_build.sub_rng(m.rng_seed, 14).integers(2**62))
    # by a deadline, with the platforms' delays (the drawn audiences have none of their
    # own); without one the delays change no one's adoption, only its day
    delays = getattr(m.graph, "delays", None) or {}
    by_day = {} if m.days is None else {"max_days": m.days, "delay": dict(delays) or None}
    out = {}
    for b, plans in plans_at.items():
        # a post from the list is its influencer's post in each draw; other channels as they are
        items = [specs[m.owner[i]].influencer or m.units[i] for i in plans[0]["units"]]
        out[b] = estimate_across_draws(m.influencers, items, audiences=m.audiences,
                                       n_sims=m.n_sims, rng=rng, model=m.model,
                                       confidence=m.confidence, max_rounds=m.max_rounds,
                                       **by_day)
    return out


def result_rows(m, plans_at, ests, ranges=None):
    """``results.csv``: one row per budget and plan, with paired differences in the
    goal's metric against the mix at that budget.

    Parameters
    ----------
    m : Mix
    plans_at : dict
        Budget -> :func:`plan_budget`'s list.
    ests : dict
        :func:`evaluate_plans`' estimates.

    Returns
    -------
    list of dict
    """
    base, tail = _base(m)
    rows = []
    for b, plans in plans_at.items():
        ref = ests[tuple(sorted(plans[0]["units"]))]
        for p in plans:
            est = ests[tuple(sorted(p["units"]))]
            d, se, lo, hi = _rows.paired(est.per_world[m.metric], ref.per_world[m.metric],
                                         m.confidence)
            plats = sorted({m.units[i].platform for i in p["units"]
                            if m.units[i].platform is not None})
            row = dict(base, budget=b, plan=p["plan"], kind=p["kind"],
                       platforms=" ".join(plats), units=len(p["units"]), cost=est.cost,
                       goal=m.goal, **_est_cols(est))
            row["cost_per_adopter"] = est.cost / est.reach.mean if est.reach.mean > 0 else None
            row.update(n_sims=est.n_sims, elapsed=est.elapsed, vs_best="best mix", diff=d,
                       diff_stderr=se, diff_ci_low=lo, diff_ci_high=hi,
                       rounds=int(len(est.timeline)) - 1)
            days = _by_day(est)
            if days is not None:  # the last day: the deadline, or when word of mouth ended
                horizon = getattr(est.reach_by_day, "horizon", None)
                row["days"] = horizon if isinstance(horizon, int) else int(days.size) - 1
            rng_ = (ranges or {}).get(b)
            if rng_ is not None and p["kind"] == "mix":  # the mix across audience draws
                r = getattr(rng_, m.metric)
                row.update(draws=int(r.means.size), draws_low=r.low, draws_central=r.central,
                           draws_high=r.high)
            row.update(tail)
            rows.append(row)
    return rows


def plan_rows(m, plans_at):
    """``plan.csv``: what each plan buys, unit by unit, in the order chosen.

    Parameters
    ----------
    m : Mix
    plans_at : dict

    Returns
    -------
    list of dict
        ``budget``, ``plan``, ``pick``, ``channel``, ``kind``, ``platform``,
        ``what`` (in words), ``cost`` and ``total_cost``.
    """
    names = {s.index: s for s in m.specs}
    out = []
    for b, plans in plans_at.items():
        for p in plans:
            total = 0.0
            for pick, i in enumerate(p["units"], 1):
                u, s = m.units[i], names[m.owner[i]]
                total += float(u.cost)
                out.append({"budget": b, "plan": p["plan"], "pick": pick, "channel": s.name,
                            "kind": s.kind, "platform": u.platform or "", "what": u.describe(),
                            "cost": float(u.cost), "total_cost": total})
    return out


# ------------------------------------------------------------------------ words
def plan_in_words(m, units):
    """What a plan buys, in a phrase: "2 influencer posts on instagram (anna, bob),
    €200 of ads on instagram to the 'runners' segment and free samples to 5
    consumers".

    Parameters
    ----------
    m : Mix
    units : list of int
        Positions in ``m.units``.

    Returns
    -------
    str
    """
    by = {}
    for i in units:
        by.setdefault(m.owner[i], []).append(i)
    specs = {s.index: s for s in m.specs}
    posts, parts = {}, []
    for j in by:
        s = specs[j]
        if s.kind == "post":
            posts.setdefault(s.platform, []).append(s.name)
    for plat, names in posts.items():
        on = f" on {plat}" if plat else ""
        n = len(names)
        parts.append(f"{n} influencer post{'' if n == 1 else 's'}{on} ({', '.join(names)})")
    for j, pos in by.items():
        s = specs[j]
        if s.kind == "ad":
            u = m.units[pos[0]]
            seg = f" to the {u.segment!r} segment" if u.segment else ""
            on = f" on {s.platform}" if s.platform else ""
            spend = sum(m.units[i].cost for i in pos)
            parts.append(f"{m.money(spend)} of ads{on}{seg}")
        elif s.kind == "seeds":
            k = len(m.units[pos[0]].seeds)
            parts.append(f"free samples to {k} consumer{'' if k == 1 else 's'} ({s.name})")
    if not parts:
        return "nothing"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _by_day(est):
    """Mean adopters by the end of each day, when the estimate has a by-day timeline
    (``reach_by_day``: a DayTimeline with ``mean``, or a sequence), else None."""
    import numpy as np

    if not hasattr(est, "reach_by_day") or est.reach_by_day is None:
        return None
    days = est.reach_by_day
    mean = getattr(days, "mean", None)
    if mean is not None and not callable(mean):
        return np.asarray(mean, dtype=float)
    return np.asarray([float(getattr(v, "mean", v)) for v in days], dtype=float)


def _when(est, share=0.9):
    """``(" by day 7", " (90% of them by day 3)")``: when the people are reached.

    By day when the estimate has a by-day timeline (``reach_by_day``), else by
    round (a round: one step of comments after the channels' round 0).
    """
    import numpy as np

    cum = _by_day(est)
    unit = "day"
    if cum is None:
        unit, cum = "round", np.cumsum(np.asarray(est.timeline, dtype=float))
    if cum.size == 0 or cum[-1] <= 0:
        return "", ""
    last = int(cum.size - 1)
    horizon = getattr(getattr(est, "reach_by_day", None), "horizon", None)
    if isinstance(horizon, int) and unit == "day":
        last = horizon  # a deadline: the totals are those by that day
    early = int(np.searchsorted(cum, share * cum[-1] - 1e-9))
    extra = (f" ({share:.0%} of them by {unit} {early})" if early < last else "")
    return f" by {unit} {last}", extra


def _pm(est, metric):
    e = est.metrics[metric]
    return report.plus_minus(e.mean, e.ci_low, e.ci_high)


def mix_report(m, plans_at, ests, rows, figs, cfg, skipped=(), ranges=None):
    """``report.md``: per budget, the mix to buy and what it reaches by when, against
    the best single-platform plan and each channel alone; then the tables.

    Parameters
    ----------
    m : Mix
    plans_at : dict
        Budget -> :func:`plan_budget`'s list.
    ests : dict
        :func:`evaluate_plans`' estimates.
    rows : list of dict
        :func:`result_rows`.
    figs : dict
        Figure title -> file.
    cfg : mapping
        ``confidence``, ``rng_seed`` and ``assumption`` (the report header's).
    skipped : list of float
        Budgets below every channel's cost.
    ranges : dict, optional
        :func:`audience_ranges`: the mix across audience draws, per budget.

    Returns
    -------
    str
    """
    verb = "reach" if m.goal == "adopters" else "are seen by"
    verb1 = "reaches" if m.goal == "adopters" else "is seen by"
    words = []
    for b, plans in plans_at.items():
        mix = plans[0]
        est = ests[tuple(sorted(mix["units"]))]
        by, extra = _when(est)
        line = (f"- **With {m.money(b)}**, {plan_in_words(m, mix['units'])} "
                f"({m.money(est.cost)} in all) {verb} {_pm(est, m.metric)} people{by}{extra}")
        if m.goal == "adopters":
            line += f"; {_pm(est, 'exposure')} people see it"
        else:
            line += f"; {_pm(est, 'reach')} of them adopt"
        singles = [r for r in rows if r["budget"] == b and r["kind"] == "platform"]
        if singles:
            best = max(singles, key=lambda r: r["diff"])
            plan = next(p for p in plans if p["plan"] == best["plan"])
            d, lo, hi = best["diff"], best["diff_ci_low"], best["diff_ci_high"]
            if sorted(plan["units"]) == sorted(mix["units"]):
                words.append(line + f". This plan uses {plan['platform']} only: no plan over "
                             "several platforms did better in the worlds the plans were "
                             "chosen in.")
                _range_line(m, ranges, b, words)
                _alone_line(m, rows, b, words)
                continue
            line += (f". The best single-platform plan ({best['plan']}: "
                     f"{plan_in_words(m, plan['units'])}) {verb1} "
                     f"{_pm(ests[tuple(sorted(plan['units']))], m.metric)} people")
            if d <= 0:
                line += (f", {report.plus_minus(-d, -hi, -lo)} fewer in the same worlds"
                         + ("" if hi < 0 else ", within the noise"))
            else:
                line += (f", {report.plus_minus(d, lo, hi)} more in the same worlds"
                         + ("" if lo > 0 else ", within the noise"))
        words.append(line + ".")
        _range_line(m, ranges, b, words)
        _alone_line(m, rows, b, words)
    for b in skipped:
        words.append(f"- With {m.money(b)} nothing can be bought (every channel costs more).")
    for s in m.specs:
        if not _plans.within_budget(s.unit_cost, m.budgets[-1]):
            words.append(f"- Left out: **{s.name}** costs {m.money(s.unit_cost)}, over the "
                         f"largest budget ({m.money(m.budgets[-1])}).")
    goal = ("people who adopt" if m.goal == "adopters" else
            "people who see it (visibility)")
    how = (f"Plans are chosen for the goal, {goal}, by a cost-effective greedy over channel "
           f"units (each ad bought in slices) against the best single unit, in "
           f"{m.select_sims:,} worlds; every number here comes from {m.n_sims:,} other worlds, "
           "the same for every plan, so the differences are paired. "
           + _time_words(m, ests, plans_at))
    out = [report.header("Campaign mix: what to buy", rows, cfg), "",
           "\n".join(words), "", how, "",
           "## Plans at each budget", ""]
    what = "adopters" if m.metric == "reach" else "people who see it"
    out += [f"Costs are in {m.currency or 'the configured units'}. \"vs best/baseline\": "
            f"{what} minus the best mix's, in the same worlds.", ""]
    for b in plans_at:
        at = [r for r in rows if r["budget"] == b]
        out += [f"### Budget {m.money(b)}", "", report.markdown_table(at), ""]
    out += [_platform_lines(m), "", "Every plan's units and their cost: plan.csv.", "",
            report.figure_links(figs), ""]
    return "\n".join(out)


def _time_words(m, ests, plans_at):
    """What "by round" or "by day" means in this report."""
    any_est = next(iter(ests.values()), None)
    if any_est is None or _by_day(any_est) is None:
        return "A round is one step of comments after the channels' own round 0."
    delays = getattr(m.graph, "delays", None) or {}
    said = "; ".join(f"{p}: {d.describe() if hasattr(d, 'describe') else d}"
                     for p, d in delays.items()) if isinstance(delays, dict) else ""
    dl = (f" Delays between a comment and acting on it: {said}." if said else
          " No platform has a delay configured: a comment is acted on the next day.")
    if m.days is not None:
        dl += f" Plans are chosen for the people reached by day {m.days}."
    return "Day 0 is the channels' day." + dl


def _range_line(m, ranges, b, words):
    """The mix across audience draws of the influencer list, as a sentence."""
    r = (ranges or {}).get(b)
    if r is None:
        return
    verb = "reaches" if m.goal == "adopters" else "is seen by"
    words.append(f"  On several draws of the audiences behind the influencer list, the same "
                 f"plan {verb} {getattr(r, m.metric).words()}.")


def _alone_line(m, rows, b, words):
    """The best channel alone at budget ``b``, as a sentence (none without such rows)."""
    col = "mean" if m.metric == "reach" else "exposure"
    alone = sorted((r for r in rows if r["budget"] == b and r["kind"] == "channel"),
                   key=lambda r: -r[col])
    if alone:
        top = alone[0]
        lo, hi = ((top["ci_low"], top["ci_high"]) if col == "mean" else
                  (top["exposure_ci_low"], top["exposure_ci_high"]))
        verb = "reaches" if m.goal == "adopters" else "is seen by"
        words.append(f"  The best channel alone, {top['plan'][:-len(' alone')]} "
                     f"({m.money(top['cost'])}), {verb} {report.plus_minus(top[col], lo, hi)} "
                     "people.")


def _platform_lines(m):
    lines = ["## Platforms", ""]
    for p in m.graph.platforms:
        g = m.graph.layers[p]
        members = int(m.graph.members[p].sum())
        c = m.graph.comment_probs.get(p, getattr(m.model, "comment_prob", 1.0))
        lines.append(f"- **{p}** ({m.sources.get(p, '')}): {members:,} of {m.graph.n_nodes:,} "
                     f"consumers on it, {g.n_edges:,} follower edges, an adopter comments "
                     f"there with probability {c:g}.")
    return "\n".join(lines)


# ------------------------------------------------------------------------ run
def _figures(m, rows, plans_at, ests, out_dir, files):
    from .. import plots

    figs = {}
    col = "mean" if m.metric == "reach" else "exposure"
    curve = [dict(r, mean=r[col],
                  ci_low=r["ci_low" if col == "mean" else "exposure_ci_low"],
                  ci_high=r["ci_high" if col == "mean" else "exposure_ci_high"])
             for r in rows if r["kind"] in ("mix", "platform")]
    if len(m.budgets) > 1:
        ax = plots.reach_curve(curve, x="budget", group="plan",
                               ylabel="expected adopters" if col == "mean"
                               else "expected people who see it")
        ax.set_title("what each budget buys")
        _rows.save_figure(ax, out_dir, "reach_vs_budget", m.info, files)
        figs["Reach per budget"] = "reach_vs_budget.png"
    top = max(plans_at)
    at = [r for r in rows if r["budget"] == top and r["kind"] != "mix"]
    if at:
        ax = plots.paired_differences(at, label="plan", against="the best mix")
        ax.set_title(f"other plans against the best mix, budget {m.money(top)}")
        _rows.save_figure(ax, out_dir, "paired_differences", m.info, files)
        figs[f"Other plans against the best mix at {m.money(top)}"] = "paired_differences.png"
    est = ests[tuple(sorted(plans_at[top][0]["units"]))]
    ax = plots._axes(None)
    import numpy as np

    y = _by_day(est)
    if y is not None:
        ax.set_xlabel("day")
    else:
        y = np.cumsum(np.asarray(est.timeline, dtype=float))
        ax.set_xlabel("round")
    ax.plot(np.arange(y.size), y, marker="o", ms=3, label="best mix")
    ax.set_ylabel("adopters so far (mean over worlds)")
    ax.set_title(f"when the best mix reaches people, budget {m.money(top)}")
    ax.grid(alpha=0.3)
    _rows.save_figure(ax, out_dir, "timeline", m.info, files)
    figs["When the best mix reaches people"] = "timeline.png"
    return figs


def run_campaign_mix(cfg, out_dir, keys=None):
    """Plan each budget across channels and platforms; write the tables, figures and report.

    Writes ``results.csv`` (one row per budget and plan: the best mix, the best
    plan on each platform alone, each channel alone), ``plan.csv`` (each plan's
    units and their cost), ``reach_vs_budget``, ``paired_differences`` and
    ``timeline`` figures, and ``report.md``.

    Parameters
    ----------
    cfg : dict
        The composed config (plain), ``experiment`` as :class:`CampaignMixConf`.
    out_dir : str
        Where the files go (it exists).
    keys : dict, optional
        Extra columns for every row (a sweep's overrides).

    Returns
    -------
    Outcome
        The rows; ``extra["plans"]``: :func:`plan_rows`.

    Raises
    ------
    ValueError
        See :func:`mix_of`.

    Examples
    --------
    >>> import tempfile
    >>> from viralsim.experiments.campaign_mix import run_campaign_mix
    >>> cfg = {"experiment": {"name": "campaign_mix", "budgets": [2], "n_sims": 50,
    ...        "select_sims": 20, "channels": [{"name": "a", "seeds": [0], "cost": 1},
    ...                                        {"name": "b", "seeds": [1], "cost": 1}]},
    ...        "graph": {"_target_": "viralsim.generators.holme_kim", "n_nodes": 60, "m": 2,
    ...                  "p_triangle": 0.3}, "probabilities": {"scheme": "weighted_cascade"},
    ...        "formats": []}
    >>> [r["plan"] for r in run_campaign_mix(cfg, tempfile.mkdtemp()).rows]
    ['best mix', 'a alone', 'b alone']
    """
    from .. import results as res

    m = mix_of(cfg, keys)
    plans_at, skipped = {}, []
    for b in m.budgets:
        plans = plan_budget(m, b)
        if plans:
            plans_at[b] = plans
        else:
            skipped.append(b)
            log.warning("budget %s buys no channel: skipped", m.money(b))
    ests = evaluate_plans(m, plans_at)
    ranges = audience_ranges(m, plans_at)
    rows = result_rows(m, plans_at, ests, ranges)
    files = _rows.write_rows(rows, out_dir)
    prow = plan_rows(m, plans_at)
    files += res.write_table(prow, os.path.join(out_dir, "plan.csv"))
    figs = _figures(m, rows, plans_at, ests, out_dir, files)
    text = mix_report(m, plans_at, ests, rows, figs,
                      dict(m.info.report_settings,
                           assumption=m.assumption or _build.probability_assumption(cfg)),
                      skipped, ranges)
    files.append(report.write(out_dir, text))
    return _rows.Outcome(rows, files, {"plans": prow}, text)
