"""What a budget buys: seed lists, influencer posts and targeted ad buys.

A campaign is a list of channels. :func:`estimate_campaign` draws, in every
world, the consumers each channel shows the product to and persuades (a pure
function of the rng's key, the world, the channel's position in the list and
the consumer), then runs word of mouth from those first adopters in the same
world as :func:`viralsim.estimate_reach` would (common random numbers): a
campaign of seed lists only gives estimate_reach's numbers bit for bit.
:func:`allocate_budget` picks the channel units a budget buys.

The exact world definition is in :mod:`viralsim._kernels.campaign`.
"""

import functools
import itertools
import math
import numbers
import time
from dataclasses import dataclass, field

import numba
import numpy as np

from ._kernels import ic as _ic
from ._kernels.campaign import (
    DELAY_FIXED,
    DELAY_GEOMETRIC,
    DELAY_PMF,
    KIND_AD,
    KIND_POST,
    campaign_worlds,
    multiplex_days,
    multiplex_worlds,
    unlisted_ads,
)
from ._limits import MAX_SIMS, rounds_that_can_happen
from ._validation import (
    check_float,
    check_int,
    check_probability,
    param_error,
    seed_from_rng,
    shown,
)
from .estimate import MAX_TIMELINE, Estimate, check_max_rounds, check_model
from .exceptions import ModelNotSupported
from .graph import FollowerGraph
from .models import IC, WordOfMouth, _segment_arrays, segment_weights
from .stats import mean_interval

__all__ = [
    "Channel",
    "SeedList",
    "InfluencerPost",
    "AdBuy",
    "CampaignEstimate",
    "DayTimeline",
    "Delay",
    "MultiplexGraph",
    "Allocation",
    "estimate_campaign",
    "allocate_budget",
]


def _check_cost(cost, func):
    return check_float(cost, "cost", func, low=0.0)


def _check_platform(platform, func):
    if platform is not None and not isinstance(platform, str):
        raise param_error("platform", func, "None or a platform name such as 'instagram'",
                          platform, exc=TypeError)
    return platform


class Channel:
    """Base class of what a budget buys. Subclasses are frozen dataclasses with a
    ``cost`` and a ``platform`` (None: the campaign graph's platform)."""

    def _resolve(self, graph, func):  # -> (kind, audience idx, p_see, p_adopt, imps, cap)
        raise NotImplementedError

    def describe(self):
        """One line in plain words."""
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class SeedList(Channel):
    """Chosen consumers who get the product (free samples): each adopts for sure.

    Parameters
    ----------
    seeds : sequence of node labels
    cost : float >= 0, default 0
    platform : str, optional

    Examples
    --------
    >>> import viralsim as vs
    >>> vs.SeedList([1, 2], cost=20.0).describe()
    'seed list of 2 consumers (cost 20)'
    """

    seeds: tuple
    cost: float = 0.0
    platform: str = None

    def __post_init__(self):
        f = "SeedList"
        if isinstance(self.seeds, (str, bytes)) or not hasattr(self.seeds, "__iter__"):
            raise param_error("seeds", f, "a sequence of node labels", self.seeds, exc=TypeError)
        object.__setattr__(self, "seeds", tuple(np.asarray(self.seeds).tolist()))
        object.__setattr__(self, "cost", _check_cost(self.cost, f))
        _check_platform(self.platform, f)

    def _resolve(self, graph, func):
        idx = graph.index_of(list(self.seeds), param="seeds", func=f"{func} (a SeedList)",
                             allow_duplicates=True)
        return KIND_POST, np.unique(idx), 1.0, 1.0, 0, 0

    def describe(self):
        k = len(self.seeds)
        return f"seed list of {k} consumer{'' if k == 1 else 's'} (cost {self.cost:g})"


@dataclass(frozen=True, eq=False)
class InfluencerPost(Channel):
    """An influencer posts once; each follower sees it with the platform's organic
    reach rate and, having seen it, adopts with the post's adoption rate.

    Give exactly one of ``account`` (a node of the graph: its followers are its
    followers there), ``followers`` (node labels: an account outside the graph
    whose followers are known) or ``n_followers`` (only a count: each world
    draws the audience, every consumer following with probability
    ``n_followers / n_consumers``, independently).

    Parameters
    ----------
    account : node label, optional
    followers : sequence of node labels, optional
    n_followers : int >= 0, optional
    organic_reach : float in [0, 1], default 1
        Share of the followers the platform shows the post to.
    adoption_rate : float in [0, 1], default 1
        Chance that a follower who saw the post adopts.
    cost : float >= 0, default 0
    platform : str, optional

    Notes
    -----
    A follower adopts with probability ``organic_reach * adoption_rate``
    (times ``n_followers / n_consumers`` for a count), independently of the
    others and of every other channel. The account itself is not counted.

    Examples
    --------
    >>> import viralsim as vs
    >>> vs.InfluencerPost(n_followers=5000, organic_reach=0.1, adoption_rate=0.02,
    ...                   cost=300.0).describe()
    'influencer post to 5,000 followers (reach 10%, adoption 2%, cost 300)'
    """

    account: object = None
    followers: tuple = None
    n_followers: int = None
    organic_reach: float = 1.0
    adoption_rate: float = 1.0
    cost: float = 0.0
    platform: str = None

    def __post_init__(self):
        f = "InfluencerPost"
        given = [x is not None for x in (self.account, self.followers, self.n_followers)]
        if sum(given) != 1:
            raise ValueError(
                f"{f} needs exactly one of 'account' (a node of the graph), 'followers' "
                f"(their labels) or 'n_followers' (a count). Got {sum(given)} of them instead."
            )
        if self.followers is not None:
            if isinstance(self.followers, (str, bytes)) or not hasattr(self.followers,
                                                                       "__iter__"):
                raise param_error("followers", f, "a sequence of node labels", self.followers,
                                  exc=TypeError)
            object.__setattr__(self, "followers", tuple(np.asarray(self.followers).tolist()))
        if self.n_followers is not None:
            object.__setattr__(self, "n_followers",
                               check_int(self.n_followers, "n_followers", f, low=0))
        for name in ("organic_reach", "adoption_rate"):
            object.__setattr__(self, name, check_probability(getattr(self, name), name, f))
        object.__setattr__(self, "cost", _check_cost(self.cost, f))
        _check_platform(self.platform, f)

    def _resolve(self, graph, func):
        p = self.organic_reach
        if self.account is not None:
            (u,) = graph.index_of([self.account], param="account",
                                  func=f"{func} (an InfluencerPost)")
            aud = graph.indices[graph.indptr[u]:graph.indptr[u + 1]]
            aud = np.unique(aud)
        elif self.followers is not None:
            aud = np.unique(graph.index_of(list(self.followers), param="followers",
                                           func=f"{func} (an InfluencerPost)",
                                           allow_duplicates=True))
        else:
            n = graph.n_nodes
            if self.n_followers > n:
                raise ValueError(
                    f"{func}: an InfluencerPost has n_followers={self.n_followers:,} but the "
                    f"graph has only {n:,} consumers. Give the followers in the market (the "
                    "graph's population), or a larger graph."
                )
            aud = np.arange(n, dtype=np.int32)
            p = p * (self.n_followers / n)
        return KIND_POST, aud.astype(np.int32), p, self.adoption_rate, 0, 0

    def describe(self):
        if self.account is not None:
            who = f"account {self.account!r}"
        elif self.followers is not None:
            who = f"{len(self.followers):,} followers"
        else:
            who = f"{self.n_followers:,} followers"
        on = f" on {self.platform}" if self.platform else ""
        return (f"influencer post{on} to {who} (reach {self.organic_reach:.0%}, adoption "
                f"{self.adoption_rate:.0%}, cost {self.cost:g})")


_MAX_IMPRESSIONS = 2.0**53  # impressions bought: exact in a float, far within int64


@dataclass(frozen=True, eq=False)
class AdBuy(Channel):
    """A targeted ad: ``spend`` at a CPM buys ``floor(1000 * spend / cpm)`` impressions,
    shown to members of a segment, each at most ``frequency_cap`` times.

    Parameters
    ----------
    spend : float > 0
        Also the channel's cost.
    cpm : float > 0
        Price of 1,000 impressions.
    segment : str, optional
        A boolean node attribute marking who the ad may be shown to (or a
        float one in [0, 1]: members are those with weight > 0); None: everyone.
    frequency_cap : int >= 1, default 1
        Most impressions per person.
    conversion_rate : float in [0, 1], default 0.01
        Chance that one impression persuades.
    platform : str, optional

    Notes
    -----
    Delivery: each impression goes to a member drawn uniformly among those
    shown fewer than ``frequency_cap`` times (so at most ``frequency_cap *
    members`` impressions are delivered), and persuades with probability
    ``conversion_rate``, independently: a member shown ``m`` times adopts
    with probability ``1 - (1 - conversion_rate) ** m``. Without a binding
    cap (``frequency_cap >= impressions``), a given member adopts with
    probability ``1 - (1 - conversion_rate / members) ** impressions``.
    Each world draws its own viewers and adopters
    (:mod:`viralsim._kernels.ads`): how many are persuaded in one exact
    binomial draw where the cap allows it (a cap of 1, everyone at the
    cap), else impression by impression. More
    impressions show it to a superset in the same world and persuade a
    superset (but for the step to everyone at a cap above 1). Cost per world: the distinct viewers (a binding cap
    above 1: the impressions), or with ``exposure=False`` and a cap of 1,
    one that does not bind or everyone at the cap, about the adopters. On a single graph, by round,
    an ad to everyone (no ``segment``) with a cap of 1 or enough impressions
    to bring everyone to the cap costs about its adopters with exposure
    counted too: its other viewers are not drawn one by one, only how many
    of them were shown the campaign anyway (exact in law; other random
    draws than listing them, which the other kernels do). An ad to a
    segment always lists its viewers when exposure is counted, and a
    binding cap above 1 always plays its delivery impression by impression
    (its adopters depend on it); see ``docs/channels.md`` for which path
    runs when.

    Examples
    --------
    >>> import viralsim as vs
    >>> ad = vs.AdBuy(spend=200.0, cpm=8.0, segment="runners", frequency_cap=3,
    ...               conversion_rate=0.01)
    >>> ad.impressions, ad.cost
    (25000, 200.0)
    """

    spend: float
    cpm: float
    segment: str = None
    frequency_cap: int = 1
    conversion_rate: float = 0.01
    platform: str = None

    def __post_init__(self):
        f = "AdBuy"
        object.__setattr__(self, "spend", check_float(self.spend, "spend", f, low=0.0,
                                                      low_open=True))
        cpm = self.cpm
        if isinstance(cpm, numbers.Real) and not isinstance(cpm, bool) and cpm <= 0:
            raise ValueError(f"The 'cpm' parameter of {f} must be a price > 0 (per 1,000 "
                             f"impressions). Got {shown(cpm)} instead; use the platform's quoted "
                             "CPM, e.g. cpm=8.0.")
        object.__setattr__(self, "cpm", check_float(cpm, "cpm", f, low=0.0, low_open=True))
        if 1000.0 * self.spend / self.cpm >= _MAX_IMPRESSIONS:
            raise ValueError(
                f"{f}: spend={self.spend:g} at cpm={self.cpm:g} buys more than "
                f"{_MAX_IMPRESSIONS:.3g} impressions. Check the units of spend and cpm (the "
                "price of 1,000 impressions).")
        object.__setattr__(self, "frequency_cap",
                           check_int(self.frequency_cap, "frequency_cap", f, low=1))
        object.__setattr__(self, "conversion_rate",
                           check_probability(self.conversion_rate, "conversion_rate", f))
        if self.segment is not None and not isinstance(self.segment, str):
            raise param_error("segment", f, "None or the name of a node attribute",
                              self.segment, exc=TypeError)
        _check_platform(self.platform, f)

    @property
    def cost(self):
        """The spend."""
        return self.spend

    @property
    def impressions(self):
        """Impressions bought: ``floor(1000 * spend / cpm)``."""
        return int(math.floor(1000.0 * self.spend / self.cpm + 1e-9))

    def _resolve(self, graph, func):
        if self.segment is None:
            aud = np.arange(graph.n_nodes, dtype=np.int32)
        else:
            w, _ = segment_weights(graph, self.segment, f"{func} (an AdBuy's segment)")
            aud = np.flatnonzero(w > 0.0).astype(np.int32)
        # a cap above the impressions never binds, and no more than cap * members
        # impressions can be delivered: the same draws, with int64-safe numbers
        # and a delivery loop bounded by the audience
        imps = self.impressions
        cap = min(self.frequency_cap, imps)
        return KIND_AD, aud, 1.0, self.conversion_rate, min(imps, cap * aud.size), cap

    def describe(self):
        on = f" on {self.platform}" if self.platform else ""
        seg = f" to segment {self.segment!r}" if self.segment else ""
        return (f"ads{on}{seg}: {self.spend:g} at CPM {self.cpm:g} ({self.impressions:,} "
                f"impressions, cap {self.frequency_cap}, conversion {self.conversion_rate:.1%})")


# ------------------------------------------------------------------------ delays
@dataclass(frozen=True, eq=False)
class Delay:
    """Days between an adopter's comment and a follower seeing and acting on it.

    Build one with :meth:`fixed`, :meth:`geometric` or :meth:`pmf`; give it to
    :func:`estimate_campaign` (``delay=``, every platform, or a dict per
    platform) or to :class:`MultiplexGraph` (``delays=``).

    Attributes
    ----------
    kind : {"fixed", "geometric", "pmf"}
    probs : tuple of float
        ``probs[d]``: the chance of a delay of ``d`` days (``fixed``: a single 1
        at ``d``; ``geometric``: empty, the law is unbounded).
    mean_days : float

    Notes
    -----
    In world ``r`` the delay of follower ``v`` of commenter ``u`` on a platform
    is drawn once (from a key of ``(rng, r, platform, u, v)``); v sees the
    comment on day ``t_u + delay`` and, if the edge is live, adopts then. The
    adopters are those of the model without delays; only their days change
    (the continuous-time independent cascade of Gomez-Rodriguez et al. 2011 and
    Du et al. 2013, in whole days). Channels act on day 0.

    References
    ----------
    M. Gomez-Rodriguez, D. Balduzzi, B. Schölkopf. Uncovering the temporal
    dynamics of diffusion networks. ICML 2011.

    N. Du, L. Song, M. Gomez-Rodriguez, H. Zha. Scalable influence estimation
    in continuous-time diffusion networks. NIPS 2013.

    Examples
    --------
    >>> import viralsim as vs
    >>> vs.Delay.fixed(2).describe(), vs.Delay.geometric(3.0).describe()
    ('2 days', 'geometric, mean 3 days')
    >>> vs.Delay.pmf([0.0, 0.5, 0.5]).mean_days
    1.5
    """

    kind: str
    probs: tuple
    mean_days: float

    @classmethod
    def fixed(cls, days):
        """Every reaction takes exactly ``days`` days (int >= 0)."""
        days = check_int(days, "days", "Delay.fixed", low=0)
        return cls("fixed", tuple([0.0] * days + [1.0]), float(days))

    @classmethod
    def geometric(cls, mean_days):
        """Reactions on day 1, 2, ... with a geometric law of mean ``mean_days`` >= 1
        (each day, a follower who has not acted yet acts with probability 1 / mean)."""
        mean = check_float(mean_days, "mean_days", "Delay.geometric", low=1.0)
        return cls("geometric", (), mean)

    @classmethod
    def pmf(cls, probs):
        """``probs[d]``: the chance of a delay of ``d`` days (non-negative, sum 1)."""
        f = "Delay.pmf"
        try:
            p = np.asarray(probs, dtype=np.float64)
        except (TypeError, ValueError):
            raise param_error("probs", f, "a sequence of probabilities (day 0, 1, ...)",
                              probs, exc=TypeError) from None
        if p.ndim != 1 or p.size == 0 or not np.all(np.isfinite(p)) or np.any(p < 0):
            raise param_error("probs", f, "a non-empty sequence of probabilities >= 0 "
                              "(day 0, 1, ...)", probs)
        if abs(p.sum() - 1.0) > 1e-9:
            raise ValueError(f"The 'probs' parameter of {f} must sum to 1. Got a sum of "
                             f"{p.sum():g} instead; divide by the sum.")
        nz = np.flatnonzero(p)
        p = p[: nz[-1] + 1] / p.sum()
        return cls("pmf", tuple(p.tolist()), float(np.dot(np.arange(p.size), p)))

    @property
    def min_days(self):
        """The shortest delay with a positive chance."""
        return 1 if self.kind == "geometric" else int(np.flatnonzero(self.probs)[0])

    @property
    def max_days(self):
        """The longest delay with a positive chance (inf for geometric)."""
        return math.inf if self.kind == "geometric" else len(self.probs) - 1

    def _arrays(self):
        """``(kernel kind, parameter, cdf)`` for :func:`viralsim._kernels.campaign.draw_delay`."""
        if self.kind == "fixed":
            return DELAY_FIXED, float(len(self.probs) - 1), np.ones(1)
        if self.kind == "geometric":  # the kernel's 1 / log(1 - p) (0 for p = 1: one day)
            p = 1.0 / self.mean_days
            return DELAY_GEOMETRIC, (1.0 / math.log1p(-p) if p < 1.0 else 0.0), np.ones(1)
        cdf = np.cumsum(self.probs)
        cdf[-1] = 1.0
        return DELAY_PMF, 0.0, cdf

    def describe(self):
        """One line in plain words."""
        if self.kind == "fixed":
            d = len(self.probs) - 1
            return f"{d} day{'' if d == 1 else 's'}"
        if self.kind == "geometric":
            return f"geometric, mean {self.mean_days:g} days"
        return f"pmf over 0..{len(self.probs) - 1} days, mean {self.mean_days:.3g}"


def _as_delay(d, what, func):
    """A :class:`Delay` from a Delay or a whole number of days (None stays None)."""
    if d is None or isinstance(d, Delay):
        return d
    if isinstance(d, numbers.Integral) and not isinstance(d, bool):
        return Delay.fixed(int(d))
    raise param_error(what, func, "a vs.Delay (Delay.fixed, Delay.geometric, Delay.pmf) "
                      "or a whole number of days", d, exc=TypeError)


# ------------------------------------------------------------------------ platforms
class MultiplexGraph:
    """Several platforms over the same consumers: one follower graph per platform.

    Parameters
    ----------
    layers : dict of str to FollowerGraph
        Platform name -> its follower graph, each with edge probabilities and
        the same consumers (same number of nodes and labels, in the same
        order). The first platform is layer 0.
    comment_probs : dict of str to float in [0, 1], optional
        Each platform's comment probability; default: the model's
        ``comment_prob`` on every platform.
    members : dict of str to bool array, optional
        Who is on each platform (default: everyone). Ads and count-only posts
        on a platform reach its members only; a consumer comments only on the
        platforms they are on.
    delays : dict of str to Delay or int, optional
        Each platform's reaction delay in days (:class:`Delay`); with none,
        forecasts by day are by round (a comment acted on the next day).

    Notes
    -----
    A consumer adopts once, whatever platform persuaded them; an adopter
    comments on each platform they are on (independently, with that
    platform's probability; first adopters always do), and the comment
    persuades along that platform's live edges. Each (world, platform) has
    its own live edges, platform 0's being today's, so a single layer is
    :func:`estimate_campaign` on that graph, world by world. The model stays a
    live-edge model (an edge ``u -> v`` of platform ``l`` is live iff u
    comments on ``l`` and its coin succeeds), so reach is monotone and
    submodular in the first adopters. Node attributes (segments) are taken
    from the layers, the first layer's winning.

    Examples
    --------
    >>> import viralsim as vs
    >>> ig = vs.FollowerGraph.from_edges([0], [1], n_nodes=3, probs=1.0)
    >>> tt = vs.FollowerGraph.from_edges([1], [2], n_nodes=3, probs=1.0)
    >>> mg = vs.MultiplexGraph({"instagram": ig, "tiktok": tt})
    >>> vs.estimate_campaign(mg, [vs.SeedList([0])], n_sims=10, rng=0).reach.mean
    3.0
    """

    def __init__(self, layers, comment_probs=None, members=None, delays=None):
        f = "MultiplexGraph"
        names = _check_layers(layers, f)
        first = layers[names[0]]
        attrs = {}
        for g in reversed(list(layers.values())):
            attrs.update(g.node_attrs)
        self._attrs = attrs
        self.layers = {}
        for name, g in layers.items():
            for a, v in attrs.items():
                if a not in g.node_attrs:
                    g = g.with_node_attr(a, v)
            self.layers[name] = g
        self.platforms = tuple(names)
        cp = {} if comment_probs is None else dict(comment_probs)
        for name in cp:
            self._platform_index(name, f"{f} (comment_probs)")
        self.comment_probs = {k: check_probability(v, f"comment_probs[{k!r}]", f)
                              for k, v in cp.items()}
        mem = {} if members is None else dict(members)
        self.members = {name: _member_mask(mem.pop(name, None), name, first.n_nodes, f)
                        for name in names}
        if mem:
            self._platform_index(next(iter(mem)), f"{f} (members)")
        dl = {} if delays is None else dict(delays)
        for name in dl:
            self._platform_index(name, f"{f} (delays)")
        self.delays = {k: _as_delay(v, f"delays[{k!r}]", f) for k, v in dl.items()}

    @property
    def n_nodes(self):
        """Consumers (the same on every platform)."""
        return self.layers[self.platforms[0]].n_nodes

    @property
    def base(self):
        """Layer 0's graph (labels, node attributes)."""
        return self.layers[self.platforms[0]]

    def _platform_index(self, name, func):
        if name not in self.platforms:
            have = ", ".join(repr(p) for p in self.platforms)
            raise ValueError(f"{func}: platform {name!r} is not in the graph (its platforms: "
                             f"{have}). Fix the name, or add a layer for it.")
        return self.platforms.index(name)

    def coupled(self, model=None):
        """The platforms as one independent-cascade graph (for IMM and OPIM-C).

        Parameters
        ----------
        model : IC or live-edge WordOfMouth, default ``vs.IC()``
            Gives the comment probability of platforms without one in
            ``comment_probs`` (IC: 1).

        Returns
        -------
        viralsim.multiplex_ris.CoupledGraph
            ``.graph``: consumers ``0 .. n - 1``, then one comment node per
            member of each platform with comment probability < 1 (and
            followers there): ``u -> (u, l)`` with the comment probability,
            ``(u, l) -> v`` with the edge's; on a platform with comment
            probability 1, ``u -> v`` directly. ``.is_consumer`` marks the
            consumers, ``.owner`` maps each node to its consumer, and
            ``.seeds_of(consumers)`` adds the seeds' comment nodes (a seed
            always comments). IC on ``.graph`` from those seeds reaches the
            consumers this graph's campaign model reaches, in distribution
            (:mod:`viralsim.multiplex_ris`).

        Examples
        --------
        >>> import viralsim as vs
        >>> ig = vs.FollowerGraph.from_edges([0], [1], n_nodes=3, probs=0.5)
        >>> tt = vs.FollowerGraph.from_edges([1], [2], n_nodes=3, probs=1.0)
        >>> cg = vs.MultiplexGraph({"ig": ig, "tt": tt}, comment_probs={"ig": 0.4}).coupled()
        >>> cg.graph.n_nodes, cg.n_consumers, cg.seeds_of([0]).tolist()
        (4, 3, [0, 3])
        """
        from .multiplex_ris import couple

        return couple(self, model)

    def __repr__(self):
        return (f"MultiplexGraph(platforms={list(self.platforms)}, n_nodes={self.n_nodes}, "
                f"n_edges={[g.n_edges for g in self.layers.values()]})")


def _layer_for(graph, channel, i, func):
    """``(layer graph, member mask or None, layer index)`` a channel resolves against."""
    if isinstance(graph, FollowerGraph):
        return graph, None, 0
    if channel.platform is None:
        if isinstance(channel, SeedList) or len(graph.platforms) == 1:
            name = graph.platforms[0]
        else:
            raise ValueError(
                f"{func}: channel {i} ({type(channel).__name__}) names no platform, and the "
                f"graph has several ({', '.join(map(repr, graph.platforms))}). Pass "
                "platform='<name>' to the channel."
            )
    else:
        name = channel.platform
        graph._platform_index(name, f"{func} (channel {i}, {type(channel).__name__})")
    return graph.layers[name], graph.members[name], graph.platforms.index(name)


# ------------------------------------------------------------------------ estimation
@dataclass(frozen=True, eq=False)
class CampaignEstimate:
    """Result of :func:`estimate_campaign`.

    Attributes
    ----------
    reach : Estimate
        Adopters: through the channels and word of mouth.
    exposure : Estimate or None
        Distinct consumers who saw the product (a channel showed it, or a
        comment), each counted once; None when estimated with
        ``exposure=False`` (then ``"exposure"`` and ``"channel_viewers"`` are
        absent from ``metrics``, ``per_world`` and ``by_platform``, and
        ``exposure_by_day`` is None).
    metrics : dict of str to Estimate
        ``"reach"``, ``"exposure"``, ``"first_adopters"`` (persuaded by a
        channel), ``"channel_viewers"`` (shown it by a channel),
        ``"segment_reach"``, ``"comments"``, ``"impressions"`` (comment views).
    cost : float
        Sum of the channels' costs.
    n_sims : int
    rng_key : int
    per_world : dict of str to ndarray
        Per-world values of the metrics (for paired comparisons).
    timeline : ndarray
        Mean new adopters per round (round 0: the channels' adopters).
    elapsed : float
        Seconds spent in the kernel.
    reach_by_day, exposure_by_day : DayTimeline (exposure_by_day: or None)
        Adopters and distinct viewers by the end of day 0, 1, ... with their
        intervals (day 0: the channels). Without delays a day is a round.
    by_platform : dict of str to dict of str to Estimate
        Per platform (a FollowerGraph's: ``platform``, or ``"default"``):
        ``"exposure"`` (people shown it there, by a channel on that platform or
        a comment there), ``"comments"``, ``"impressions"`` (comment views
        there). A person seen on two platforms counts on both, once in
        ``exposure``.
    platform_per_world : dict of str to dict of str to ndarray
        The same, per world.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 0], [1, 2], probs=1.0)
    >>> est = vs.estimate_campaign(g, [vs.SeedList([0], cost=5.0)], n_sims=10, rng=0)
    >>> est.reach.mean, est.exposure.mean, est.cost
    (3.0, 3.0, 5.0)
    """

    reach: Estimate
    exposure: Estimate
    metrics: dict = field(repr=False)
    cost: float
    n_sims: int
    rng_key: int = field(repr=False)
    per_world: dict = field(repr=False)
    timeline: np.ndarray = field(repr=False)
    elapsed: float = field(default=0.0, repr=False)
    reach_by_day: "DayTimeline" = field(default=None, repr=False)
    exposure_by_day: "DayTimeline" = field(default=None, repr=False)
    by_platform: dict = field(default=None, repr=False)
    platform_per_world: dict = field(default=None, repr=False)

    def __str__(self):
        seen = "" if self.exposure is None else f", exposure {self.exposure}"
        return f"reach {self.reach} people{seen}, cost {self.cost:g}, {self.n_sims:,} worlds"

    def by_day(self, day):
        """``"by day 3: 1,200 ± 40 people adopted, 5,100 ± 90 saw it"``."""
        r = self.reach_by_day.at(day)
        if self.exposure_by_day is None:
            return f"by day {day}: {r} people adopted"
        return f"by day {day}: {r} people adopted, {self.exposure_by_day.at(day)} saw it"


@dataclass(frozen=True, eq=False)
class DayTimeline:
    """A running total by day (adopters or viewers), with intervals.

    Attributes
    ----------
    mean, stderr, ci_low, ci_high : ndarray
        Entry ``d``: the total by the end of day ``d`` over the worlds.
    confidence : float
    horizon : int or None
        The last day simulated (``max_days``); None: until the cascades end.
    complete : bool
        Whether every cascade ended within the entries (then later days equal
        the last entry); False when the timeline was cut at
        :data:`viralsim.estimate.MAX_TIMELINE` days.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=1.0)
    >>> est = vs.estimate_campaign(g, [vs.SeedList([0])], n_sims=5, rng=0,
    ...                            delay=vs.Delay.fixed(2))
    >>> est.reach_by_day.mean.tolist(), est.reach_by_day.at(30).mean
    ([1.0, 1.0, 2.0, 2.0, 3.0], 3.0)
    """

    mean: np.ndarray
    stderr: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    confidence: float
    horizon: int = None
    complete: bool = True

    def __len__(self):
        return self.mean.size

    def at(self, day):
        """The :class:`~viralsim.estimate.Estimate` of the total by the end of ``day``."""
        day = check_int(day, "day", "DayTimeline.at", low=0)
        if self.horizon is not None and day > self.horizon:
            raise ValueError(f"DayTimeline.at: day {day} is past the last day simulated "
                             f"({self.horizon}). Estimate again with max_days >= {day}.")
        if day >= self.mean.size and not self.complete:
            raise ValueError(f"DayTimeline.at: day {day} is past the {self.mean.size} days "
                             "kept (some cascades went on). Pass max_days to keep that day.")
        d = min(day, self.mean.size - 1)
        return Estimate(float(self.mean[d]), float(self.stderr[d]), float(self.ci_low[d]),
                        float(self.ci_high[d]), self.confidence)

    def __str__(self):
        days = range(min(self.mean.size, 8))
        return "; ".join(f"by day {d}: {self.at(d)}" for d in days) + (
            "; ..." if self.mean.size > 8 else "")


def _check_channels(channels, func, name="channels"):
    if isinstance(channels, Channel):
        channels = [channels]
    try:
        channels = list(channels)
    except TypeError:
        raise param_error(name, func, "a list of channels (SeedList, InfluencerPost, AdBuy)",
                          channels, exc=TypeError) from None
    for i, ch in enumerate(channels):
        if not isinstance(ch, Channel):
            raise TypeError(
                f"The {name!r} parameter of {func} must hold channels (vs.SeedList, "
                f"vs.InfluencerPost, vs.AdBuy). Got {shown(ch)} at position {i} instead."
            )
    return channels


def _check_platforms(channels, platform, func):
    if platform is None:
        return
    for i, ch in enumerate(channels):
        if ch.platform is not None and ch.platform != platform:
            raise ValueError(
                f"{func}: channel {i} ({type(ch).__name__}) is on platform {ch.platform!r}, "
                f"but the graph is platform {platform!r}, the only one in this campaign. "
                f"Drop the channel, set its platform to {platform!r}, or pass that "
                "platform's graph."
            )


def _check_campaign_model(model, graph, func):
    model = IC() if model is None else check_model(model, func)
    if not isinstance(model, (IC, WordOfMouth)) or not model.is_live_edge:
        raise ModelNotSupported(
            f"{func} runs vs.IC() and live-edge vs.WordOfMouth (reinforcement = "
            f"amplification = 0). Got {shown(model)} instead; use one of those."
        )
    model._validate_for(graph, func)
    return model


class _Plan:
    """Channels flattened into the kernel's arrays; ``stream[c]`` is fixed per channel."""

    def __init__(self, graph, channels, streams, func):
        # complexity ~16: one branch per kind of channel (seed list, post by account, by
        # follower list, by count, ad), each filling the same flat arrays the kernel reads
        parts = []
        clayer = []
        for i, ch in enumerate(channels):
            layer, member, lay = _layer_for(graph, ch, i, func)
            clayer.append(lay)
            p = ch._resolve(layer, func)
            if member is not None and isinstance(ch, AdBuy):
                p = (p[0], p[1][member[p[1]]]) + p[2:]
            elif member is not None and getattr(ch, "n_followers", None) is not None:
                aud = p[1][member[p[1]]]
                if ch.n_followers > aud.size:
                    raise ValueError(
                        f"{func}: channel {i} (an InfluencerPost) has n_followers="
                        f"{ch.n_followers:,} but platform {ch.platform!r} has only "
                        f"{aud.size:,} members. Lower n_followers or widen the members."
                    )
                see = ch.organic_reach * (ch.n_followers / aud.size) if aud.size else 0.0
                p = (p[0], aud, see) + p[3:]
            parts.append(p)
        k = len(parts)
        self.kind = np.array([p[0] for p in parts], dtype=np.int64)
        self.stream = np.asarray(streams, dtype=np.uint64).reshape(k)
        sizes = np.array([p[1].size for p in parts], dtype=np.int64)
        self.aptr = np.zeros(k + 1, dtype=np.int64)
        np.cumsum(sizes, out=self.aptr[1:])
        self.aidx = (np.concatenate([p[1] for p in parts]).astype(np.int32) if k
                     else np.zeros(0, dtype=np.int32))
        self.p_see = np.array([p[2] for p in parts], dtype=np.float64)
        self.p_adopt = np.array([p[3] for p in parts], dtype=np.float64)
        self.imps = np.array([p[4] for p in parts], dtype=np.int64)
        # a cap above an ad's impressions never binds: capped there, the kernel's view
        # counts stay below the impressions
        self.cap = np.minimum([p[5] for p in parts], [max(p[4], 1) for p in parts]).astype(
            np.int64).reshape(k)
        self.clayer = np.array(clayer, dtype=np.int64)

    def subset(self, pick):
        """The plan of channels ``pick`` (their streams kept)."""
        out = _Plan.__new__(_Plan)
        pick = np.asarray(pick, dtype=np.int64)
        out.kind, out.stream = self.kind[pick], self.stream[pick]
        out.p_see, out.p_adopt = self.p_see[pick], self.p_adopt[pick]
        out.imps, out.cap = self.imps[pick], self.cap[pick]
        out.clayer = self.clayer[pick]
        sizes = self.aptr[pick + 1] - self.aptr[pick]
        out.aptr = np.zeros(pick.size + 1, dtype=np.int64)
        np.cumsum(sizes, out=out.aptr[1:])
        out.aidx = (np.concatenate([self.aidx[self.aptr[i]:self.aptr[i + 1]] for i in pick])
                    if pick.size else np.zeros(0, dtype=np.int32))
        return out

    def arrays(self):
        """The plan tuple of the multiplex kernels."""
        return (self.kind, self.stream, self.aptr, self.aidx, self.p_see, self.p_adopt,
                self.imps, self.cap, self.clayer)


def _multiplex_arrays(graph):
    """The layers stacked for :mod:`viralsim._kernels.campaign`'s multiplex kernels (cached).

    Row u of layer l is ``lidx[lptr[l, u]:lptr[l, u + 1]]`` (positions in the
    stacked arrays, so the kernels index them without slicing per commenter).
    """
    arrs = getattr(graph, "_stacked", None)
    if arrs is None:
        gs = [graph.layers[p] for p in graph.platforms]
        eoff = np.zeros(len(gs) + 1, dtype=np.int64)
        np.cumsum([g.n_edges for g in gs], out=eoff[1:])
        lptr = np.stack([g.indptr.astype(np.int64) + eoff[i] for i, g in enumerate(gs)])
        lidx = np.concatenate([g.indices for g in gs]).astype(np.int32)
        lprobs = np.concatenate([g.probs for g in gs]).astype(np.float32)
        lnone = np.stack([g._derived("skip_row_none_live", _ic.skip_row_none_live)
                          for g in gs])
        member = np.stack([graph.members[p] for p in graph.platforms]).astype(np.uint8)
        arrs = graph._stacked = (lptr, lidx, lprobs, lnone, member)
    return arrs


class _Run:
    """One kernel run: per-world ``out`` (dict of arrays), per-platform ``lout``
    (dict metric -> (L, n_sims) array, or None: one platform, the totals),
    ``tl`` (4, tl_len) sums of the per-round (or per-day) new counts,
    ``cum_sum, cum_sq`` (4, tl_len) sums of the running totals and of their
    squares, ``exact_last`` (whether the last column is a day of its own rather
    than that day and later), ``by_day`` (a run with delays) and ``elapsed``."""

    def __init__(self, out, lout, tl, cum, exact_last, by_day, elapsed):
        cum_sum, cum_sq, end_sum, end_sq = (a.sum(axis=0) for a in cum)
        self.out, self.lout, self.tl, self.elapsed = out, lout, tl, elapsed
        self.cum_sum = cum_sum + np.cumsum(end_sum, axis=1)
        self.cum_sq = cum_sq + np.cumsum(end_sq, axis=1)
        self.exact_last, self.by_day = exact_last, by_day


def _timeline_len(n_nodes, horizon, longest_step=1):
    """Columns of a timeline: rounds (or days) 0 .. T, T the horizon capped at the
    last one a cascade can reach (``(n_nodes - 1) * longest_step``: each adoption
    after the channels' adds a step) and at :data:`MAX_TIMELINE`; a cap below the
    horizon makes the last column collect its day and later ones. Returns
    ``(tl_len, exact_last)``."""
    reach = max(n_nodes - 1, 1) * longest_step
    t = min(math.inf if horizon is None else horizon, reach)
    exact = t <= MAX_TIMELINE
    return max(int(min(t, MAX_TIMELINE)) + 1, 2), exact


_NO_LF = np.zeros(1)
_NO_LF.setflags(write=False)  # read-only like _log_factorials: one compiled kernel


@functools.lru_cache(maxsize=4)
def _log_factorials(n):
    """``log i!`` for ``i = 0 .. n`` (read-only; kept for the last few graph sizes)."""
    from scipy.special import gammaln

    lf = gammaln(np.arange(1, n + 2, dtype=np.float64))
    lf.setflags(write=False)
    return lf


def _has_unlisted(graph, plan, segments=True):
    """Whether an ad of ``plan`` leaves its viewers unlisted on ``graph`` when exposure
    is counted (:func:`viralsim._kernels.campaign.unlisted_ads`)."""
    k = plan.kind.size
    unl = unlisted_ads(graph.n_nodes, plan.kind, plan.aptr, plan.aidx, plan.imps, plan.cap,
                       segments)
    return bool(np.any(unl[:k] >= 0))


#: worlds of the pilot run that decides whether ads to a segment leave their viewers
#: unlisted (:func:`_segments_unlisted`): always worlds 0 .. PILOT_WORLDS - 1 of the key
PILOT_WORLDS = 16

#: ads to a segment leave their viewers unlisted when the pilot's cascades show the
#: product at most this many times per viewer of those ads (measured, one thread: the
#: count per round costs about 2-3 ns per impression of the cascade, listing a viewer
#: 4-8 ns)
SEGMENT_SCAN_PER_VIEWER = 2.0


def _segments_unlisted(graph, model, plan, key, max_rounds):
    """Whether the ads to a segment (cap 1, or every member at the cap) leave their
    viewers unlisted in this call: ``(decision, kernel seconds)``.

    Unlisted, an ad's viewers cost a second scan of the cascade's comments (each
    round's new viewers counted in the segment,
    :func:`viralsim._kernels.campaign.segment_rounds`), listed they cost each viewer;
    so a pilot of :data:`PILOT_WORLDS` worlds (always worlds 0, 1, ... of the key:
    the choice, and with it every world's numbers, depends on the call's
    arguments only, not on its batches or threads) counts the cascades'
    impressions, and the viewers are left unlisted when those average at most
    :data:`SEGMENT_SCAN_PER_VIEWER` per viewer of the ads. Either way the numbers
    have the same law (other draws)."""
    k = plan.kind.size
    unl = unlisted_ads(graph.n_nodes, plan.kind, plan.aptr, plan.aidx, plan.imps, plan.cap,
                       True)
    seg = int(unl[2 * k])
    if seg < 0:
        return False, 0.0
    viewers = int(sum(unl[c] for c in range(k) if unl[c] >= 0
                      and plan.aptr[c + 1] - plan.aptr[c] < graph.n_nodes))
    run = _run_plan(graph, model, plan, key, PILOT_WORLDS, max_rounds, exposure=False)
    return bool(run.out["impressions"].mean() <= SEGMENT_SCAN_PER_VIEWER * viewers), run.elapsed


def _run_plan(graph, model, plan, key, n_sims, max_rounds, delays=None, max_days=None,
              exposure=True):
    """Per-world outcomes of a plan (:class:`_Run`). ``delays``: None (by round), or a
    list of :class:`Delay` per platform (by day, ``graph`` then a MultiplexGraph).
    ``exposure=False`` skips counting viewers on a FollowerGraph by round (the
    other kernels count them anyway): the exposure outputs are then not
    viewers, and :func:`_campaign_result` drops them."""
    if delays is not None:
        return _run_days(graph, model, plan, key, n_sims, delays, max_days)
    if isinstance(graph, MultiplexGraph):
        return _run_multiplex(graph, model, plan, key, n_sims, max_rounds)
    tl_len, exact = _timeline_len(graph.n_nodes, max_rounds)
    segw, has_seg, _ = _segment_arrays(graph, model.segment_attr, type(model).__name__)
    gamma = getattr(model, "off_target_factor", 1.0)
    if has_seg and gamma < 1.0:
        thin = np.append(segw + gamma * (1.0 - segw), 1.0)
        has_thin = bool(np.any(thin < 1.0))
    else:
        thin, has_thin = np.ones(1), False
    c = float(getattr(model, "comment_prob", 1.0))
    pilot = 0.0
    segments = False
    if exposure:
        segments, pilot = _segments_unlisted(graph, model, plan, key, max_rounds)
    out, seg, tl_sum, tl_sq, visits, cum = _kernel_outputs(n_sims, tl_len)
    t0 = time.perf_counter()
    campaign_worlds(
        graph.indptr, graph.indices, graph.probs,
        graph._derived("skip_row_none_live", _ic.skip_row_none_live),
        np.uint64(key), np.int64(0), np.int64(n_sims),
        np.int64(-1 if max_rounds is None else max_rounds), c, thin, has_thin, segw, has_seg,
        bool(exposure), plan.kind, plan.stream, plan.aptr, plan.aidx, plan.p_see, plan.p_adopt, plan.imps,
        plan.cap, out["reach"], out["exposure"], out["comments"], out["impressions"], seg,
        out["first_adopters"], out["channel_viewers"], tl_sum, tl_sq, visits, cum,
        _log_factorials(graph.n_nodes) if exposure and _has_unlisted(graph, plan, segments)
        else _NO_LF, segments,
    )
    elapsed = time.perf_counter() - t0 + pilot  # (the pilot's: part of the call's work)
    out["segment_reach"] = seg if has_seg else out["reach"].astype(np.float64)
    return _Run(out, None, tl_sum.sum(axis=0), cum, exact, False, elapsed)


def _kernel_outputs(n_sims, tl_len):
    """The campaign kernels' output arrays: per-world counts, segment reach, the
    per-thread timeline sums, edge visits, and running-total sums."""
    nt = max(1, min(numba.get_num_threads(), n_sims))
    out = {k: np.empty(n_sims, dtype=np.int64) for k in
           ("reach", "exposure", "comments", "impressions", "first_adopters",
            "channel_viewers")}
    seg = np.zeros(n_sims, dtype=np.float64)
    tl_sum = np.zeros((nt, 4, tl_len), dtype=np.int64)
    tl_sq = np.zeros((nt, 4, tl_len), dtype=np.int64)
    visits = np.zeros(nt, dtype=np.int64)
    cum = tuple(np.zeros((nt, 4, tl_len), dtype=np.int64) for _ in range(4))
    return out, seg, tl_sum, tl_sq, visits, cum


PLATFORM_METRICS = ("exposure", "comments", "impressions")
#: one bit per platform in the kernels' viewer marks (:func:`viralsim._kernels.campaign._see_on`)
MAX_PLATFORMS = 32


def _multiplex_call(graph, model, plan, n_sims, tl_len):
    """Arguments shared by the multiplex kernels, and the arrays they fill."""
    if len(graph.platforms) > MAX_PLATFORMS:
        raise ValueError(f"a MultiplexGraph with {len(graph.platforms)} platforms: campaigns "
                         f"count exposure on at most {MAX_PLATFORMS}. Merge platforms.")
    segw, has_seg, _ = _segment_arrays(graph.base, model.segment_attr, type(model).__name__)
    c = float(getattr(model, "comment_prob", 1.0))
    cprob = np.array([graph.comment_probs.get(p, c) for p in graph.platforms])
    lptr, lidx, lprobs, lnone, member = _multiplex_arrays(graph)
    out, seg, tl_sum, tl_sq, visits, cum = _kernel_outputs(n_sims, tl_len)
    outs = (out["reach"], out["exposure"], out["comments"], out["impressions"], seg,
            out["first_adopters"], out["channel_viewers"])
    lout = {k: np.zeros((len(graph.platforms), n_sims), dtype=np.int64)
            for k in PLATFORM_METRICS}
    head = (lptr, lidx, lprobs, lnone, member, cprob)
    tail = (segw, has_seg, plan.arrays(), outs, tuple(lout.values()), (tl_sum, tl_sq, cum),
            visits)
    return head, tail, out, seg, has_seg, lout, tl_sum, cum


def _run_multiplex(graph, model, plan, key, n_sims, max_rounds):
    tl_len, exact = _timeline_len(graph.n_nodes, max_rounds)
    head, tail, out, seg, has_seg, lout, tl_sum, cum = _multiplex_call(graph, model, plan,
                                                                      n_sims, tl_len)
    t0 = time.perf_counter()
    multiplex_worlds(*head, np.uint64(key), np.int64(0), np.int64(n_sims),
                     np.int64(-1 if max_rounds is None else max_rounds), *tail)
    elapsed = time.perf_counter() - t0
    out["segment_reach"] = seg if has_seg else out["reach"].astype(np.float64)
    return _Run(out, lout, tl_sum.sum(axis=0), cum, exact, False, elapsed)


def _run_days(graph, model, plan, key, n_sims, delays, max_days):
    longest = max(d.max_days for d in delays)
    tl_len, exact = _timeline_len(graph.n_nodes, max_days, max(longest, 1))
    head, tail, out, seg, has_seg, lout, tl_sum, cum = _multiplex_call(graph, model, plan,
                                                                      n_sims, tl_len)
    arrs = [d._arrays() for d in delays]
    width = max(a[2].size for a in arrs)
    dcdf = np.ones((len(arrs), width))
    for i, a in enumerate(arrs):
        dcdf[i, :a[2].size] = a[2]
    dl = (np.array([a[0] for a in arrs], dtype=np.int64),
          np.array([a[1] for a in arrs], dtype=np.float64), dcdf,
          np.array([d.min_days for d in delays], dtype=np.int64))
    t0 = time.perf_counter()
    multiplex_days(*head, dl, np.uint64(key), np.int64(0), np.int64(n_sims),
                   np.int64(-1 if max_days is None else max_days), *tail)
    elapsed = time.perf_counter() - t0
    out["segment_reach"] = seg if has_seg else out["reach"].astype(np.float64)
    return _Run(out, lout, tl_sum.sum(axis=0), cum, exact, True, elapsed)


def _estimate_of(values, confidence):
    v = np.asarray(values)
    if v.dtype.kind == "f":
        tot, tot2 = math.fsum(v), math.fsum(v * v)
    else:
        w = v.astype(object)
        tot, tot2 = int(w.sum()), int((w * w).sum())
    return Estimate(*mean_interval(tot, tot2, v.size, confidence), confidence)


def _check_common(graph, channels, model, n_sims, confidence, max_rounds, platform, func):
    multi = isinstance(graph, MultiplexGraph)
    if not isinstance(graph, FollowerGraph) and not multi:
        raise TypeError(f"The 'graph' parameter of {func} must be a FollowerGraph or a "
                        f"MultiplexGraph. Got {type(graph).__name__} instead; convert with "
                        "FollowerGraph.from_networkx.")
    if graph.n_nodes == 0:
        raise ValueError(f"{func}: the graph has no nodes; there is nobody to reach.")
    channels = _check_channels(channels, func)
    _check_platform(platform, func)
    if multi:
        if platform is not None:
            raise ValueError(f"{func}: 'platform' names a single graph's platform; a "
                             "MultiplexGraph names its own. Leave platform=None.")
        for g in graph.layers.values():
            model = _check_campaign_model(model, g, func)
        if getattr(model, "off_target_factor", 1.0) < 1.0:
            raise ModelNotSupported(f"{func}: off_target_factor < 1 is not supported on a "
                                    "MultiplexGraph yet. Use off_target_factor=1.")
    else:
        _check_platforms(channels, platform, func)
        model = _check_campaign_model(model, graph, func)
    n_sims = check_int(n_sims, "n_sims", func, low=1)
    if n_sims > MAX_SIMS:
        raise ValueError(f"n_sims={n_sims} is more worlds than {func} runs (at most 2**40, "
                         "about 1.1e12: each world's counts are kept). Use fewer worlds, e.g. "
                         "n_sims=10_000.")
    confidence = check_float(confidence, "confidence", func, low=0.0, high=1.0,
                             low_open=True, high_open=True)
    # a cascade cannot last more rounds than there are consumers: the cap changes no
    # outcome and sizes the timelines by the graph (max_rounds=2**62 asked for exabytes)
    max_rounds = rounds_that_can_happen(check_max_rounds(max_rounds, func), graph.n_nodes)
    return channels, model, n_sims, confidence, max_rounds


#: ad impressions are delivered one at a time in each world: at most this many in all
#: (about half a minute of deliveries; more is refused before any work)
MAX_AD_STEPS = 1 << 33


def _check_ad_work(plan, n_sims, func):
    """Refuse, before any work, ads whose delivery (one step per impression per world,
    ``min(impressions, cap * audience)`` a world) would run for hours."""
    m = plan.aptr[1:] - plan.aptr[:-1]
    ads = plan.kind == KIND_AD
    per_world = sum(min(int(i), int(c) * int(a))
                    for i, c, a in zip(plan.imps[ads], plan.cap[ads], m[ads]))
    if per_world * n_sims > MAX_AD_STEPS:
        raise ValueError(
            f"{func}: the ads deliver {per_world:,} impressions in each of {n_sims:,} worlds, "
            f"one at a time ({per_world * n_sims:.3g} steps, more than {MAX_AD_STEPS:.3g}). "
            "Use fewer worlds, a lower frequency_cap, or smaller ad units.")


def _check_timing(graph, model, delay, max_days, func):
    """``(delays, day graph, max_days)``: the per-platform :class:`Delay` list (None:
    no delays anywhere, by round) and the graph the day kernel runs on (a
    FollowerGraph as a one-platform MultiplexGraph)."""
    if max_days is not None:
        max_days = check_int(max_days, "max_days", func, low=0)
    multi = isinstance(graph, MultiplexGraph)
    names = graph.platforms if multi else ("default",)
    given = {}
    if isinstance(delay, dict):
        if not multi:
            raise TypeError(f"The 'delay' parameter of {func} is a dict of platforms, but the "
                            "graph is a FollowerGraph (one platform). Pass one vs.Delay.")
        for k, v in delay.items():
            graph._platform_index(k, f"{func} (delay)")
            given[k] = _as_delay(v, f"delay[{k!r}]", func)
        common = None
    else:
        common = _as_delay(delay, "delay", func)
    own = graph.delays if multi else {}
    per = [given.get(p) or common or own.get(p) for p in names]
    if all(d is None for d in per):
        return None, None, max_days
    if getattr(model, "off_target_factor", 1.0) < 1.0:
        raise ModelNotSupported(f"{func}: off_target_factor < 1 is not supported with delays "
                                "yet. Use off_target_factor=1, or no delay.")
    per = [Delay.fixed(1) if d is None else d for d in per]
    return per, graph if multi else MultiplexGraph({"default": graph}), max_days


def _platform_names(graph, platform):
    if isinstance(graph, MultiplexGraph):
        return list(graph.platforms)
    return [platform if platform is not None else "default"]


def estimate_campaign(graph, channels, *, model=None, n_sims=10_000, rng=None, confidence=0.95,
                      max_rounds=None, platform=None, delay=None, max_days=None, exposure=True):
    """Expected reach and exposure of a campaign: channels, then word of mouth.

    Parameters
    ----------
    graph : FollowerGraph or MultiplexGraph
        The consumers and who follows whom, with edge probabilities (all 0:
        no word of mouth).
    channels : list of Channel
        :class:`SeedList`, :class:`InfluencerPost`, :class:`AdBuy`. Channel
        ``i`` draws from stream ``i`` of every world.
    model : IC or WordOfMouth, default ``vs.IC()``
        Live-edge models only.
    n_sims : int >= 1, default 10,000
    rng : anything ``np.random.default_rng`` accepts
        The same rng gives the same worlds as :func:`viralsim.estimate_reach`.
    confidence : float in (0, 1), default 0.95
    max_rounds : int >= 1, optional
        Rounds of comments after the channels' round (without delays).
    platform : str, optional
        The graph's platform; a channel on another platform is an error.
    delay : Delay, int, or dict of str to Delay, optional
        Days between a comment and a follower's seeing and acting on it
        (:class:`Delay`; an int: that many days), for every platform or per
        platform of a MultiplexGraph (overriding its ``delays``). None
        anywhere: one day, and the by-day forecast is the by-round one.
    max_days : int >= 0, optional
        The last day simulated: adoptions and views after it do not happen
        (reach, exposure, ... are then "by that day").
    exposure : bool, default True
        Count the people who saw it. False: reach only (``est.exposure`` is
        None), the same adopters world by world; on a FollowerGraph without
        delays the viewers are then not drawn at all, so an ad costs about
        its adopters instead of its impressions (:class:`AdBuy`) and the
        cascade follows live edges only.

    Returns
    -------
    CampaignEstimate
        With ``reach_by_day`` and ``exposure_by_day``, and per-platform
        exposure, comments and impressions in ``by_platform``.

    Raises
    ------
    ValueError, TypeError, NodeNotFound, ModelNotSupported
        One line naming the fix.

    Notes
    -----
    People persuaded by a channel are the cascade's seeds: like seeds, they
    always comment. Reach and exposure count each person once whatever the
    channels and comments that reached them. With seed lists only the worlds
    are :func:`viralsim.estimate_reach`'s (same reach per world); cost per
    world is each channel's audience (a post) or viewers (an ad; with
    ``exposure=False``, or shown to everyone with a cap of 1, about its
    adopters: :class:`AdBuy`), plus the
    cascade's (the followers of every commenter are scanned for exposure).

    With delays, world ``r`` keeps the live edges and comment coins it has
    without them, so the final adopters are the same; each follower's day is
    the shortest delay-weighted path from the channels' adopters
    (:mod:`viralsim._kernels.campaign`). The by-round ``timeline`` then comes
    from a second run of the same worlds without delays (twice the cost).

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=0.0)
    >>> post = vs.InfluencerPost(followers=[0, 1, 2], organic_reach=1.0, adoption_rate=0.5)
    >>> est = vs.estimate_campaign(g, [post], n_sims=2000, rng=0)
    >>> abs(est.reach.mean - 1.5) < 0.1, est.exposure.mean
    (True, 3.0)
    """
    func = "estimate_campaign"
    channels, model, n_sims, confidence, max_rounds = _check_common(
        graph, channels, model, n_sims, confidence, max_rounds, platform, func)
    delays, day_graph, max_days = _check_timing(graph, model, delay, max_days, func)
    if not isinstance(exposure, (bool, np.bool_)):
        raise param_error("exposure", func, "True or False", exposure,
                          "Use exposure=False for reach only.", exc=TypeError)
    exposure = bool(exposure)
    key = seed_from_rng(rng)
    plan = _Plan(graph, channels, np.arange(len(channels)), func)
    _check_ad_work(plan, n_sims, func)
    rounds = _min_horizon(max_rounds, None if delays is not None else max_days)
    run = _run_plan(graph, model, plan, key, n_sims, rounds, exposure=exposure)
    horizon = rounds
    if delays is not None:
        by_round = run
        run = _run_plan(day_graph, model, plan, key, n_sims, None, delays, max_days)
        horizon = max_days
    else:
        by_round = None
    return _campaign_result(run, channels, n_sims, key, confidence,
                            _platform_names(graph, platform), horizon, by_round, exposure)


def _min_horizon(a, b):
    return a if b is None else (b if a is None else min(a, b))


def _day_timeline(run, k, n_sims, confidence, horizon):
    """Running totals of series ``k`` (0: adopters, 3: exposure) by day, trimmed
    after the last day anything happened."""
    tl = run.tl
    n_cols = tl.shape[1] if run.exact_last else tl.shape[1] - 1
    busy = np.flatnonzero(tl[0] | tl[3])
    used = int(busy[-1]) + 1 if busy.size else 1
    complete = used <= n_cols
    used = max(1, min(used, n_cols))
    rows = [mean_interval(int(run.cum_sum[k, d]), int(run.cum_sq[k, d]), n_sims, confidence)
            for d in range(used)]
    m, se, lo, hi = (np.array(c, dtype=np.float64) for c in zip(*rows))
    return DayTimeline(m, se, lo, hi, confidence, horizon, complete)


def _campaign_result(run, channels, n_sims, key, confidence, platforms, horizon=None,
                     by_round=None, exposure=True):
    out = run.out
    if not exposure:  # viewers not counted (or not asked for): none reported
        out = {k: v for k, v in out.items() if k not in ("exposure", "channel_viewers")}
    metrics = {k: _estimate_of(v, confidence) for k, v in out.items()}
    s = (by_round or run).tl[0]
    last = int(np.flatnonzero(s)[-1]) + 1 if s.any() else 1
    names = [k for k in PLATFORM_METRICS if exposure or k != "exposure"]
    if run.lout is None:  # one platform: its numbers are the totals
        ppw = {platforms[0]: {k: out[k] for k in names}}
    else:
        ppw = {p: {k: run.lout[k][i] for k in names} for i, p in enumerate(platforms)}
    return CampaignEstimate(
        reach=metrics["reach"], exposure=metrics.get("exposure"), metrics=metrics,
        cost=float(sum(ch.cost for ch in channels)), n_sims=n_sims, rng_key=key,
        per_world=out, timeline=s[:last] / n_sims,
        elapsed=run.elapsed + (by_round.elapsed if by_round else 0.0),
        reach_by_day=_day_timeline(run, 0, n_sims, confidence, horizon),
        exposure_by_day=(_day_timeline(run, 3, n_sims, confidence, horizon) if exposure
                         else None),
        by_platform={p: {k: _estimate_of(v, confidence) for k, v in d.items()}
                     for p, d in ppw.items()},
        platform_per_world=ppw,
    )


# ------------------------------------------------------------------------ allocation
@dataclass(frozen=True, eq=False)
class Allocation:
    """Result of :func:`allocate_budget`.

    Attributes
    ----------
    chosen : list of int
        Positions of the bought units in ``channel_units``, in the order bought.
    channels : list of Channel
    cost, budget : float
    value : float
        The goal's mean over the worlds (adopters or exposure).
    estimate : CampaignEstimate
        The chosen plan, in the worlds it was chosen in (each unit drawing
        from its stream in ``channel_units``; ``estimate_campaign(graph,
        channels)`` numbers channels by their position in ``channels``, so
        it meets other channel draws: an unbiased re-estimate).
    rule : str
        ``"greedy"`` (gain per cost) or ``"best single"``: which candidate won.
    evaluations : int
        Plans simulated.
    """

    chosen: list
    channels: list
    cost: float
    budget: float
    value: float
    estimate: CampaignEstimate
    rule: str
    evaluations: int = 0

    def __str__(self):
        lines = [f"with {self.budget:g}: buy {len(self.chosen)} unit(s), cost {self.cost:g}, "
                 f"reach {self.estimate.reach} people, exposure {self.estimate.exposure}"]
        lines += [f"  - {ch.describe()}" for ch in self.channels]
        return "\n".join(lines)


GOALS = ("adopters", "exposure")


def allocate_budget(graph, channel_units, budget, *, goal="adopters", model=None, n_sims=1000,
                    rng=None, confidence=0.95, max_rounds=None, platform=None, deadline=None,
                    delay=None):
    """Pick the channel units a budget buys: cost-effective greedy and best single unit.

    Parameters
    ----------
    graph : FollowerGraph
    channel_units : list of Channel
        The candidates, each bought whole or not at all (to let the plan put
        more into ads, list several ad units, e.g. 4 × 50 of spend; each unit
        draws its own viewers). Unit ``i`` draws from stream ``i`` of every
        world, whatever else is bought.
    budget : float > 0
    goal : {"adopters", "exposure"}, default "adopters"
        People who adopt, or people who see it (visibility).
    model, n_sims, rng, confidence, max_rounds, platform, delay
        As :func:`estimate_campaign`; every plan is evaluated in the same
        ``n_sims`` worlds (common random numbers).
    deadline : int >= 0, optional
        Optimise the goal by the end of this day (:func:`estimate_campaign`'s
        ``max_days``; without delays, a day is a round).

    Returns
    -------
    Allocation
        Never costs more than ``budget``.

    Notes
    -----
    The objective, the mean over fixed worlds of the people reached, is
    monotone and submodular in the set of units for live-edge models (per
    world: a union of the units' first adopters, or viewers, spread along
    live edges: a coverage function). Cost-effective greedy adds the
    affordable unit of largest marginal gain per cost (lazily, CELF: gains
    only shrink), and the result is the better of that plan and the best
    single affordable unit: at least ``(1 - 1/e) / 2`` of the best plan's
    value in those worlds (Khuller, Moss & Naor 1999; Leskovec et al. 2007).
    Alon, Gamzu & Tennenholtz (WWW 2012) study this budget allocation across
    sources. Cost: one campaign simulation per gain evaluated. With a deadline
    the objective, the people reached by that day over fixed worlds (live
    edges and delays), is still a coverage function (Du et al., NIPS 2013):
    the same guarantee holds.

    References
    ----------
    S. Khuller, A. Moss, J. Naor. The budgeted maximum coverage problem.
    Information Processing Letters 70 (1), 1999.

    J. Leskovec, A. Krause, C. Guestrin, C. Faloutsos, J. VanBriesen, N.
    Glance. Cost-effective outbreak detection in networks. KDD 2007.

    N. Alon, I. Gamzu, M. Tennenholtz. Optimizing budget allocation among
    channels and influencers. WWW 2012.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 0, 3], [1, 2, 4], probs=1.0)
    >>> units = [vs.SeedList([0], cost=2.0), vs.SeedList([3], cost=1.0),
    ...          vs.SeedList([1], cost=1.0)]
    >>> a = vs.allocate_budget(g, units, 3.0, n_sims=10, rng=0)
    >>> a.chosen, a.cost, a.value
    ([1, 0], 3.0, 5.0)
    """
    func = "allocate_budget"
    units, model, n_sims, confidence, max_rounds = _check_common(
        graph, channel_units, model, n_sims, confidence, max_rounds, platform, func)
    budget, costs = _check_allocation(units, budget, goal, func)
    if deadline is not None:
        deadline = check_int(deadline, "deadline", func, low=0)
    delays, day_graph, _ = _check_timing(graph, model, delay, deadline, func)
    key = seed_from_rng(rng)
    full = _Plan(graph, units, np.arange(len(units)), func)
    _check_ad_work(full, n_sims, func)
    metric = "reach" if goal == "adopters" else "exposure"
    evals = [0]
    cache = {}
    rounds = _min_horizon(max_rounds, None if delays is not None else deadline)

    # the goal "adopters" needs no viewers: candidate plans run without them (the same
    # adopters world by world, ads at the cost of their adopters); the chosen plan's
    # estimate is run again with them
    see = goal == "exposure"

    def run(pick):
        pick = tuple(sorted(pick))
        if pick not in cache:
            if delays is None:
                r = _run_plan(graph, model, full.subset(list(pick)), key, n_sims, rounds,
                              exposure=see)
            else:
                r = _run_plan(day_graph, model, full.subset(list(pick)), key, n_sims, None,
                              delays, deadline)
            evals[0] += 1
            cache[pick] = (float(r.out[metric].mean()), r)
        return cache[pick]

    # cost-effective lazy greedy, kept in one piece (complexity ~17) on purpose: its upper
    # bounds, the set of fresh candidates and the memo of evaluated plans are the state the
    # brute-force tests check; split, they would travel between functions as arguments
    chosen, spent = [], 0.0
    base = run(())[0]
    current = base
    # upper bounds of gain per cost (free units: gain itself, ranked first)
    bound = {i: math.inf for i in range(len(units))}
    while True:
        best, best_ratio = None, -math.inf
        fresh = set()
        while True:
            cand = [i for i in bound if spent + costs[i] <= budget]
            if not cand:
                break
            i = max(cand, key=lambda j: (bound[j], -j))
            if i in fresh:
                best, best_ratio = i, bound[i]
                break
            gain = run(chosen + [i])[0] - current
            # Python floats: a gain over a cost of 5e-324 is inf (nearly free), no warning
            c = float(costs[i])
            bound[i] = float(gain) / c if c > 0 else (math.inf if gain > 0 else 0.0)
            fresh.add(i)
        if best is None or best_ratio <= 0.0:
            break
        chosen.append(best)
        spent += costs[best]
        current = run(chosen)[0]
        del bound[best]
    # best single affordable unit
    single = max((i for i in range(len(units)) if costs[i] <= budget),
                 key=lambda i: (run([i])[0], -costs[i], -i))
    rule = "greedy"
    if run([single])[0] > current:
        chosen, current, rule = [single], run([single])[0], "best single"
    val, r = run(chosen)
    if not see and delays is None and not isinstance(graph, MultiplexGraph):
        r = _run_plan(graph, model, full.subset(sorted(chosen)), key, n_sims, rounds)
    pick = [units[i] for i in chosen]
    est = _campaign_result(r, pick, n_sims, key, confidence, _platform_names(graph, platform),
                           rounds if delays is None else deadline)
    return Allocation(chosen=list(chosen), channels=pick,
                      cost=float(sum(costs[i] for i in chosen)), budget=budget, value=val,
                      estimate=est, rule=rule, evaluations=evals[0])


def _brute_force(graph, channel_units, budget, *, goal="adopters", model=None, n_sims=1000,
                 rng=None, deadline=None, delay=None):
    """The best affordable subset by enumeration (tests): ``(value, positions)``."""
    units = list(channel_units)
    model = IC() if model is None else model
    delays, day_graph, _ = _check_timing(graph, model, delay, deadline, "_brute_force")
    key = seed_from_rng(rng)
    full = _Plan(graph, units, np.arange(len(units)), "_brute_force")
    metric = "reach" if goal == "adopters" else "exposure"
    best = (-math.inf, ())
    for r in range(len(units) + 1):
        for pick in itertools.combinations(range(len(units)), r):
            if sum(units[i].cost for i in pick) > budget:
                continue
            if delays is None:
                r = _run_plan(graph, model, full.subset(list(pick)), key, n_sims, deadline)
            else:
                r = _run_plan(day_graph, model, full.subset(list(pick)), key, n_sims, None,
                              delays, deadline)
            best = max(best, (float(r.out[metric].mean()), pick))
    return best


def _check_layers(layers, f):
    """The platform names of ``layers``, checked: a non-empty dict of str -> FollowerGraph
    with probabilities, every layer over the same consumers in the same order."""
    if not isinstance(layers, dict) or not layers:
        raise param_error("layers", f, "a non-empty dict of platform name -> "
                          "FollowerGraph", layers, exc=TypeError)
    names = list(layers)
    first = layers[names[0]]
    for name, g in layers.items():
        if not isinstance(name, str):
            raise param_error("layers", f, "keyed by platform names (str)", name,
                              exc=TypeError)
        if not isinstance(g, FollowerGraph):
            raise TypeError(f"MultiplexGraph: layer {name!r} must be a FollowerGraph. Got "
                            f"{type(g).__name__} instead.")
        g._require_probs(f"MultiplexGraph (layer {name!r})")
        if g.n_nodes != first.n_nodes or not np.array_equal(g.labels, first.labels):
            raise ValueError(
                f"MultiplexGraph: layer {name!r} has other consumers than layer "
                f"{shown(names[0])} ({g.n_nodes:,} vs {first.n_nodes:,} nodes, or other labels "
                "or order). Build every layer with the same n_nodes and labels."
            )
    return names


def _member_mask(m, name, n_nodes, f):
    """Who is on platform ``name``: a boolean array of ``n_nodes`` (None: everyone)."""
    if m is None:
        return np.ones(n_nodes, dtype=bool)
    m = np.asarray(m)
    if m.dtype != bool or m.shape != (n_nodes,):
        raise param_error(f"members[{name!r}]", f, f"a boolean array of {n_nodes} consumers",
                          f"{m.dtype} array of shape {m.shape}")
    return m


def _check_allocation(units, budget, goal, func):
    """``(budget, costs)`` checked: units to choose from, a budget > 0 that buys at least
    one of them, a known goal."""
    if not units:
        raise ValueError(f"{func}: 'channel_units' is empty; list the channels to choose from.")
    budget = check_float(budget, "budget", func, low=0.0, low_open=True)
    if goal not in GOALS:
        raise param_error("goal", func, f"one of {GOALS}", goal)
    costs = np.array([u.cost for u in units], dtype=np.float64)
    if not np.any(costs <= budget):
        raise ValueError(
            f"{func}: the budget {budget:g} is below every channel unit's cost (the cheapest "
            f"costs {costs.min():g}). Raise the budget or add cheaper units."
        )
    return budget, costs
