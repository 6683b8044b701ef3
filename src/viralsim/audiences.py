"""Audiences from an influencer list: plans without a consumer-to-consumer graph.

A marketer knows, per candidate influencer, the platform, the follower count,
the engagement rate, the price and the share of the audience in the target
segment, sometimes the pairwise audience overlaps, and the platforms'
audience sizes in the market. :func:`read_influencers` reads that list;
:func:`influencer_audiences` draws one plausible consumer population from it
(a :class:`~viralsim.MultiplexGraph`, one layer per platform) together with
the influencers' posts as :class:`~viralsim.InfluencerPost` channels, ready
for :func:`~viralsim.estimate_campaign` and :func:`~viralsim.allocate_budget`.
Several draws give a range (:func:`estimate_across_draws`,
:func:`allocate_across_draws`), reported beside the simulation's ±.

The generative model (documented in :func:`influencer_audiences` and in
``docs/channels.md``):

1. **Population.** ``n_consumers`` consumers (default: the largest platform's
   market size). Platform ``p``'s members are a uniform random subset of
   ``market_size[p]`` of them, independently per platform. The segment is a
   uniform random subset of ``round(segment_share * n_consumers)``.
2. **Followers.** Influencers are taken in list order. Influencer ``j``'s
   followers are drawn among platform ``p_j``'s members with inclusion
   probabilities ``pi_v = expit(a + sum_i b_i [v follows i] + c [v in
   segment])`` (``i`` over the earlier influencers with a given overlap with
   ``j``), the maximum-entropy independent-inclusion model whose expected
   follower count, overlaps and segment count equal the targets (the
   parameters solve the convex dual by Newton's method, as a logistic
   regression with given sufficient statistics). Exactly ``followers[j]``
   consumers are then drawn by Pareto order sampling (Rosen 1997): the
   smallest ``u_v (1 - pi_v) / (pi_v (1 - u_v))``, ``u_v`` uniform, whose
   inclusion probabilities stay close to ``pi_v`` (closer than sequential
   Poisson sampling's ``u_v / pi_v``, Ohlsson 1998). Overlaps not given are left
   to chance (the expected overlap of independent audiences).
3. **Consumer ties.** On each platform, who follows whom among the members is
   a Chung-Lu power-law graph (:func:`viralsim.generators.power_law`: mean
   follower count ``avg_degree``, tail exponent ``exponent``), the members
   placed at random, each tie persuading with ``edge_prob``; adopters
   comment on a platform with its ``comment_prob``.
4. **Posts.** A post shows each follower the product with the platform's
   ``organic_reach``; a follower who saw it adopts with
   ``min(1, engagement_rate * adopt_per_engagement / organic_reach)``, so a
   follower adopts with ``engagement_rate * adopt_per_engagement`` overall
   (engagement can only come from people who saw the post).

References
----------
B. Rosen. On sampling with probability proportional to size. Journal of
Statistical Planning and Inference 62 (2), 1997 (Pareto sampling).

E. Ohlsson. Sequential Poisson sampling. Journal of Official Statistics
14 (2), 1998.

F. Chung, L. Lu. Connected components in random graphs with given expected
degree sequences. Annals of Combinatorics 6, 2002.

E. T. Jaynes. Information theory and statistical mechanics. Physical Review
106 (4), 1957 (maximum entropy under moment constraints).
"""

import logging
import math
import numbers
import os
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from ._validation import check_float, check_int, check_probability, check_rng
from .exceptions import EdgeListError
from .graph import FollowerGraph

__all__ = [
    "InfluencerList",
    "Audience",
    "DrawRange",
    "DrawsEstimate",
    "DrawsAllocation",
    "read_influencers",
    "influencer_audiences",
    "estimate_across_draws",
    "allocate_across_draws",
    "draw_audiences",
    "describe_plan",
    "DEFAULT_PLATFORM_STATS",
]

log = logging.getLogger("viralsim")

#: Platform statistics used where none are given. These are placeholders, not
#: measurements: replace them with the platform's own figures for the market.
DEFAULT_PLATFORM_STATS = {
    "avg_degree": 10.0,       # consumer ties: mean followers among the market's consumers
    "exponent": 2.5,          # tail exponent of the follower counts (Chung-Lu)
    "edge_prob": 0.02,        # chance that a comment persuades a follower who sees it
    "comment_prob": None,     # chance that an adopter comments there (None: the model's)
    "organic_reach": 0.2,     # share of an influencer's followers shown a post
}

_COLUMNS = {  # what each column may be called (matched without case, spaces, '_' or '-')
    "name": ("name", "influencer", "account", "handle"),
    "platform": ("platform", "network"),
    "followers": ("followers", "followercount", "nfollowers", "audience"),
    "engagement_rate": ("engagementrate", "engagement", "er"),
    "price": ("price", "cost", "fee"),
    "segment_share": ("segmentshare", "shareinsegment", "segment%", "segmentpct"),
}
_OVERLAP_COLUMNS = {
    "a": ("influencera", "a", "first", "influencer1", "name1"),
    "b": ("influencerb", "b", "second", "influencer2", "name2"),
    "overlap": ("overlap", "sharedfollowers", "commonfollowers"),
}


def _key(name):
    return "".join(ch for ch in str(name).casefold() if not (ch.isspace() or ch in "_-"))


# ------------------------------------------------------------------------ the list
@dataclass(frozen=True, eq=False)
class InfluencerList:
    """Candidate influencers as the marketer knows them.

    Parameters
    ----------
    names : sequence of str
        Unique names.
    platforms : sequence of str
        Each influencer's platform (lower-cased, e.g. ``"instagram"``).
    followers : sequence of int >= 1
        Follower counts in the market.
    engagement_rate : sequence of float in [0, 1]
        Share of the followers who engage with a post (likes, comments).
    price : sequence of float >= 0
        Price of one post.
    segment_share : sequence of float in [0, 1], optional
        Share of each influencer's followers in the target segment.
    overlaps : dict of (str, str) to int, optional
        Followers two influencers share; at most the smaller audience.
    segment : str, optional
        The segment's name (default ``"segment"`` when shares are given).

    Examples
    --------
    >>> from viralsim.audiences import InfluencerList
    >>> inf = InfluencerList(["ann", "bob"], ["instagram", "tiktok"], [1000, 500],
    ...                      [0.03, 0.05], [200.0, 120.0], overlaps={("ann", "bob"): 100})
    >>> len(inf), inf.overlap("bob", "ann")
    (2, 100)
    """

    names: tuple
    platforms: tuple
    followers: np.ndarray
    engagement_rate: np.ndarray
    price: np.ndarray
    segment_share: np.ndarray = None
    overlaps: dict = field(default=None)
    segment: str = None
    source: str = field(default=None, repr=False)

    def __post_init__(self):
        f = "InfluencerList"
        names = tuple(str(x).strip() for x in self.names)
        n = len(names)
        if n == 0:
            raise ValueError(f"{f}: the list is empty; give at least one influencer.")
        dup = [k for k, c in Counter(names).items() if c > 1]
        if dup:
            raise ValueError(f"{f}: influencer {dup[0]!r} is listed twice. Give each "
                             "influencer one row (one name per account).")
        plats = tuple(str(p).strip().lower() for p in self.platforms)
        if len(plats) != n or any(not p for p in plats):
            raise ValueError(f"{f}: every influencer needs a platform ({n} names, "
                             f"{len(plats)} platforms, or an empty one).")
        fol = _as_array(self.followers, n, "followers", f)
        if np.any(fol < 1) or np.any(fol != np.round(fol)):
            i = int(np.flatnonzero((fol < 1) | (fol != np.round(fol)))[0])
            raise ValueError(f"{f}: {names[i]!r} has {fol[i]:g} followers; give a whole "
                             "number >= 1.")
        er = _as_array(self.engagement_rate, n, "engagement_rate", f)
        _check_rates(er, names, "engagement rate", f)
        price = _as_array(self.price, n, "price", f)
        if np.any(price < 0):
            i = int(np.flatnonzero(price < 0)[0])
            raise ValueError(f"{f}: {names[i]!r} has price {price[i]:g}; give a price >= 0.")
        share = None
        if self.segment_share is not None:
            share = _as_array(self.segment_share, n, "segment_share", f)
            _check_rates(share, names, "segment share", f)
        seg = self.segment
        if seg is not None and not isinstance(seg, str):
            raise TypeError(f"{f}: 'segment' must be a name (str). Got {seg!r} instead.")
        if share is not None and seg is None:
            seg = "segment"
        ov = _check_overlaps(self.overlaps, names, fol.astype(np.int64), f)
        for k, v in (("names", names), ("platforms", plats), ("followers", fol.astype(np.int64)),
                     ("engagement_rate", er), ("price", price), ("segment_share", share),
                     ("overlaps", ov), ("segment", seg)):
            object.__setattr__(self, k, v)

    def __len__(self):
        return len(self.names)

    def index(self, name):
        """Position of an influencer in the list."""
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"no influencer {name!r} in the list (names: "
                           f"{', '.join(self.names[:8])}{' ...' if len(self) > 8 else ''})."
                           ) from None

    def overlap(self, a, b):
        """Given followers shared by ``a`` and ``b``, or None when not given."""
        i, j = sorted((self.index(a), self.index(b)))
        return self.overlaps.get((self.names[i], self.names[j]))

    @property
    def platform_names(self):
        """The platforms, in order of first appearance."""
        return tuple(dict.fromkeys(self.platforms))


def _as_array(x, n, name, f):
    try:
        a = np.asarray(x, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise TypeError(f"{f}: '{name}' must be numbers, one per influencer. Got {x!r} "
                        "instead.") from None
    if a.size != n:
        raise ValueError(f"{f}: '{name}' has {a.size} values for {n} influencers; give one "
                         "per influencer.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{f}: '{name}' has a value that is not a finite number.")
    return a


def _check_rates(a, names, what, f):
    bad = np.flatnonzero((a < 0) | (a > 1))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{f}: {names[i]!r} has {what} {a[i]:g}, outside [0, 1]. Write it "
                         f"as a share (0.035) or a percentage (3.5%).")


def _check_overlaps(overlaps, names, fol, f):
    """``{(a, b): count}`` keyed in list order, each within the smaller audience."""
    if overlaps is None:
        return {}
    if not isinstance(overlaps, dict):
        raise TypeError(f"{f}: 'overlaps' must be a dict of (name, name) -> shared followers. "
                        f"Got {type(overlaps).__name__} instead.")
    pos = {n: i for i, n in enumerate(names)}
    out = {}
    for pair, v in overlaps.items():
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"{f}: overlaps are keyed by (name, name) pairs. Got {pair!r}.")
        a, b = (str(x).strip() for x in pair)
        for x in (a, b):
            if x not in pos:
                raise ValueError(f"{f}: the overlap of {a!r} and {b!r} names {x!r}, who is not "
                                 "in the influencer list. Fix the name or drop the row.")
        if a == b:
            raise ValueError(f"{f}: an overlap of {a!r} with itself; overlaps are between two "
                             "influencers.")
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real) or not (
                math.isfinite(v) and v >= 0 and v == int(v)):
            raise ValueError(f"{f}: the overlap of {a!r} and {b!r} is {v!r}; give a whole "
                             "number of shared followers >= 0.")
        i, j = sorted((pos[a], pos[b]))
        small = int(min(fol[i], fol[j]))
        if v > small:
            raise ValueError(
                f"{f}: the overlap of {a!r} and {b!r} is {int(v):,} followers, more than the "
                f"smaller audience ({small:,}). Give at most {small:,} shared followers.")
        key = (names[i], names[j])
        if key in out:
            raise ValueError(f"{f}: the overlap of {a!r} and {b!r} is given twice; keep one.")
        out[key] = int(v)
    return out


# ------------------------------------------------------------------------ reading
def read_influencers(path, *, overlaps=None, segment=None):
    """Read a marketer's influencer list (CSV).

    Columns (names matched without regard to case, spaces, ``_`` or ``-``):
    ``name``, ``platform``, ``followers``, ``engagement_rate`` (or
    ``engagement``), ``price`` (or ``cost``, ``fee``) and optionally
    ``segment_share``. Separators ``,``, ``;`` (then decimal commas), tab or
    ``|``; UTF-8, cp1252 or latin-1, as :func:`viralsim.io.read_follower_csv`.
    Rates may be shares (``0.035``) or percentages (``3.5%``); counts may be
    written ``12,500`` (quoted), ``12.5k`` or ``1.2M``; prices may carry a
    currency sign (``€250``).

    Parameters
    ----------
    path : str or os.PathLike
    overlaps : str or os.PathLike, optional
        A CSV with columns ``influencer_a``, ``influencer_b``, ``overlap``
        (shared followers), one row per known pair.
    segment : str, optional
        The target segment's name (e.g. ``"runners"``); default ``"segment"``
        when the list has segment shares.

    Returns
    -------
    InfluencerList

    Raises
    ------
    EdgeListError
        One line naming the file, the line and the fix: a missing column, a
        rate outside [0, 1], an overlap larger than the smaller audience, a
        name the list lacks.

    Examples
    --------
    >>> import os, tempfile
    >>> import viralsim as vs
    >>> d = tempfile.mkdtemp()
    >>> p = os.path.join(d, "inf.csv")
    >>> with open(p, "w") as fh:
    ...     _ = fh.write("name,platform,followers,engagement rate,price\\n"
    ...                  "ann,Instagram,12.5k,3.5%,€250\\nbob,TikTok,8000,0.06,150\\n")
    >>> inf = vs.read_influencers(p)
    >>> inf.platforms, inf.followers.tolist(), inf.engagement_rate.tolist()
    (('instagram', 'tiktok'), [12500, 8000], [0.035, 0.06])
    """
    from .io import _check_nul, _check_unique_columns, _open_csv

    path = os.fspath(path)
    fh, reader, comma = _open_csv(path, "Influencer CSV")
    with fh:
        cols = reader.fieldnames or []
        if not cols:
            raise EdgeListError(f"Influencer CSV {path!r} is empty: it needs a header row "
                                "(name,platform,followers,engagement_rate,price).")
        _check_unique_columns(cols, path)
        found = _columns(cols, _COLUMNS, ("segment_share",), path)
        rows = {k: [] for k in found}
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue  # a blank line
            line = reader.line_num
            for k, col in found.items():
                text = (row.get(col) or "").strip()
                _check_nul(path, line, text)
                if not text:
                    raise EdgeListError(f"{path}:{line}: no {col!r} value. Every influencer "
                                        "needs one (or drop the row).")
                rows[k].append(_cell(k, text, path, line, col, comma))
    if not rows["name"]:
        raise EdgeListError(f"Influencer CSV {path!r} has no rows.")
    ov = _read_overlaps(overlaps) if overlaps is not None else None
    try:
        return InfluencerList(
            rows["name"], rows["platform"], rows["followers"], rows["engagement_rate"],
            rows["price"], rows.get("segment_share"), ov, segment, source=path)
    except (ValueError, TypeError) as exc:
        raise EdgeListError(f"{path}: {exc}".replace("InfluencerList: ", "")) from None


def _columns(cols, names, optional, path):
    """``{field: header column}`` for the fields ``names`` knows."""
    keyed = {_key(c): c for c in cols if c is not None}
    found = {}
    for k, aliases in names.items():
        hit = next((keyed[a] for a in aliases if a in keyed), None)
        if hit is not None:
            found[k] = hit
        elif k not in optional:
            need = ", ".join(names)
            raise EdgeListError(f"{path}: no {k!r} column in the header {cols}. The list needs "
                                f"the columns {need} (the last one optional).")
    return found


def _cell(kind, text, path, line, col, comma):
    """One cell read as its kind (text, a count, a rate, a price)."""
    if kind in ("name", "platform"):
        return text
    t = text.replace("\u00a0", "").replace(" ", "").replace("_", "")
    pct = t.endswith("%")
    if pct:
        t = t[:-1]
    if kind == "price":
        t = t.strip("€$£¥").replace("EUR", "").replace("USD", "")
    mult = 1.0
    if kind == "followers":
        if t[-1:].lower() in ("k", "m"):
            mult = 1e3 if t[-1].lower() == "k" else 1e6
            t = t[:-1]
        if not comma and t.count(",") and "." not in t:
            t = t.replace(",", "")  # 12,500 (thousands) in a comma-separated file
    from .io import _to_float

    try:
        v = _to_float(t, comma)
    except ValueError:
        raise EdgeListError(f"{path}:{line}: the {col!r} value {text!r} is not a number."
                            ) from None
    if not math.isfinite(v):
        raise EdgeListError(f"{path}:{line}: the {col!r} value {text!r} is not a finite number.")
    if pct:
        v /= 100.0
    v *= mult
    if kind in ("engagement_rate", "segment_share") and not 0.0 <= v <= 1.0:
        raise EdgeListError(f"{path}:{line}: the {col!r} value {text!r} is outside [0, 1]. "
                            "Write a rate as a share (0.035) or a percentage (3.5%).")
    if kind == "followers":
        v = round(v)
        if v < 1:
            raise EdgeListError(f"{path}:{line}: {text!r} followers; give a count >= 1.")
    if kind == "price" and v < 0:
        raise EdgeListError(f"{path}:{line}: the price {text!r} is negative; give a price "
                            ">= 0.")
    return v


def _read_overlaps(path):
    """``{(a, b): shared followers}`` from an overlap CSV."""
    from .io import _open_csv

    path = os.fspath(path)
    fh, reader, comma = _open_csv(path, "Overlap CSV")
    out = {}
    with fh:
        cols = reader.fieldnames or []
        found = _columns(cols, _OVERLAP_COLUMNS, (), path)
        for row in reader:
            line = reader.line_num
            a = (row.get(found["a"]) or "").strip()
            b = (row.get(found["b"]) or "").strip()
            text = (row.get(found["overlap"]) or "").strip()
            if not a and not b and not text:
                continue
            if not a or not b or not text:
                raise EdgeListError(f"{path}:{line}: a row needs two names and an overlap; "
                                    f"got {row}.")
            v = _cell("followers", text, path, line, found["overlap"], comma) if text not in (
                "0", "0.0") else 0
            key = (a, b)
            if key in out or (b, a) in out:
                raise EdgeListError(f"{path}:{line}: the overlap of {a!r} and {b!r} is given "
                                    "twice; keep one row.")
            out[key] = int(v)
    return out


# ------------------------------------------------------------------------ audiences
@dataclass(frozen=True, eq=False)
class Audience:
    """One draw of the audiences behind an influencer list.

    Attributes
    ----------
    graph : MultiplexGraph
        The synthetic consumers (labels ``0 .. n_consumers - 1``), one layer per
        platform, with a boolean node attribute named after the segment.
    posts : dict of str to InfluencerPost
        Each influencer's post (cost = price), on its platform.
    segment : str or None
        The segment attribute's name (for ``AdBuy(segment=...)``).
    influencers : InfluencerList
    followers : dict of str to ndarray
        Each influencer's followers (node indices, sorted).
    targets : dict
        What the draw aimed at: ``{"followers": {...}, "overlaps": {...},
        "segment_share": {...}}`` and the inclusion-variance sums used for the
        tolerances (``"var_overlaps"``, ``"var_segment"``).
    """

    graph: object
    posts: dict
    segment: str
    influencers: InfluencerList = field(repr=False)
    followers: dict = field(repr=False)
    targets: dict = field(repr=False)

    def units(self, ads=(), platforms=None):
        """The posts (and ``ads``) as channel units for :func:`~viralsim.allocate_budget`,
        optionally only those on ``platforms``."""
        keep = None if platforms is None else {p.lower() for p in platforms}
        units = [p for p in self.posts.values() if keep is None or p.platform in keep]
        units += [a for a in ads if keep is None or a.platform in keep]
        return units

    def check(self):
        """Targets against this draw: rows ``(what, target, drawn)``."""
        rows = []
        inf = self.influencers
        for name in inf.names:
            rows.append((f"followers of {name}", int(self.targets["followers"][name]),
                         int(self.followers[name].size)))
        for (a, b), v in inf.overlaps.items():
            got = np.intersect1d(self.followers[a], self.followers[b], assume_unique=True).size
            rows.append((f"overlap of {a} and {b}", v, int(got)))
        if self.segment is not None and inf.segment_share is not None:
            seg = self.graph.base.node_attrs[self.segment]
            for name, s in zip(inf.names, inf.segment_share):
                f = self.followers[name]
                rows.append((f"{self.segment} share of {name}", float(s),
                             float(seg[f].mean()) if f.size else 0.0))
        return rows


def influencer_audiences(influencers, *, market_size, rng=None, segment_share=None,
                         segment=None, overlaps=None, avg_degree=None, n_consumers=None,
                         platform_stats=None, adopt_per_engagement=0.1):
    """Draw a consumer population behind an influencer list, and the posts to buy.

    Parameters
    ----------
    influencers : InfluencerList or str or os.PathLike
        The list (a path is read with :func:`read_influencers`).
    market_size : int or dict of str to int
        Each platform's audience in the market (consumers on that platform);
        an int applies to every platform of the list.
    rng : anything ``np.random.default_rng`` accepts
        The same rng gives the same audience.
    segment_share : float in [0, 1], optional
        Share of the market's consumers in the segment. Default: the
        follower-weighted mean of the influencers' segment shares (logged);
        without shares in the list, no segment unless this is given (then
        the influencers' audiences ignore it and ads can target it).
    segment : str, optional
        The segment attribute's name; default the list's (``"segment"``
        when it has none).
    overlaps : dict of (str, str) to int, or path, optional
        Pairwise shared followers (as :class:`InfluencerList`'s, or an
        overlap CSV as :func:`read_influencers` reads), added to the list's
        (a pair given in both takes this value).
    avg_degree : float or dict of str to float, optional
        Shorthand for ``platform_stats[p]["avg_degree"]`` (every platform, or
        per platform).
    n_consumers : int, optional
        Consumers in the market; default the largest ``market_size``.
    platform_stats : dict of str to dict, optional
        Per platform, any of ``avg_degree``, ``exponent``, ``edge_prob``,
        ``comment_prob``, ``organic_reach``; the rest from
        :data:`DEFAULT_PLATFORM_STATS` (placeholders: give the platform's own).
    adopt_per_engagement : float in [0, 1], default 0.1
        Adoptions per engagement: a follower adopts after a post with
        probability ``engagement_rate * adopt_per_engagement``.

    Returns
    -------
    Audience

    Raises
    ------
    ValueError
        One line naming the fix: more followers than the platform's market, a
        segment share the market cannot supply, overlaps that cannot hold
        together, a platform without a market size.

    Notes
    -----
    The generative model is the module's (:mod:`viralsim.audiences`):
    platform members and the segment are uniform random subsets; influencer
    ``j``'s followers have inclusion probabilities from the maximum-entropy
    (logistic) model matching its follower count, its given overlaps with
    earlier influencers and its segment count in expectation, and exactly
    ``followers[j]`` are drawn by Pareto order sampling (Rosen 1997). A drawn overlap or segment count then differs from its target by
    about ``sqrt(sum pi_v (1 - pi_v))`` over the consumers concerned
    (stored in ``Audience.targets``); the follower counts are exact. Ties
    between consumers are Chung-Lu power-law graphs per platform (Chung &
    Lu 2002), independent of who follows which influencer. Cost: one pass
    over the platform's members per influencer, plus the ties.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim.audiences import InfluencerList
    >>> inf = InfluencerList(["ann", "bob"], ["instagram", "instagram"], [300, 200],
    ...                      [0.04, 0.05], [100.0, 80.0], segment_share=[0.5, 0.2],
    ...                      overlaps={("ann", "bob"): 50}, segment="runners")
    >>> aud = vs.influencer_audiences(inf, market_size=2000, segment_share=0.25, rng=0)
    >>> aud.graph.platforms, len(aud.posts["ann"].followers), aud.segment
    (('instagram',), 300, 'runners')
    >>> aud.posts["bob"].cost
    80.0
    """
    from .channels import InfluencerPost, MultiplexGraph
    from .generators import power_law

    f = "influencer_audiences"
    if isinstance(influencers, (str, os.PathLike)):
        influencers = read_influencers(influencers)
    if not isinstance(influencers, InfluencerList):
        raise TypeError(f"The 'influencers' parameter of {f} must be an InfluencerList (see "
                        f"read_influencers) or a path. Got {type(influencers).__name__} instead.")
    if overlaps is not None:
        influencers = _with_overlaps(influencers, overlaps, f)
    plats = influencers.platform_names
    sizes = _market_sizes(market_size, plats, f)
    if avg_degree is not None:
        platform_stats = _with_degree(platform_stats, avg_degree, plats)
    N = max(sizes.values()) if n_consumers is None else check_int(
        n_consumers, "n_consumers", f, low=max(sizes.values()))
    stats = _platform_stats(platform_stats, plats, f)
    k = check_probability(adopt_per_engagement, "adopt_per_engagement", f)
    gen = check_rng(rng)
    # one child stream per step, so adding a platform does not move the others' draws
    ss = np.random.SeedSequence(int(gen.integers(0, 2**63 - 1, dtype=np.int64)))
    g_members, g_seg, g_fol, g_ties = (np.random.default_rng(s) for s in ss.spawn(4))

    members = {}
    for p in plats:
        m = np.zeros(N, dtype=bool)
        m[g_members.choice(N, size=sizes[p], replace=False)] = True
        members[p] = m
    seg_name = influencers.segment if segment is None else segment
    share = influencers.segment_share
    seg = None
    if share is not None and segment_share is None:
        segment_share = float(np.average(share, weights=influencers.followers))
        log.info("%s: segment_share not given: %.3f, the follower-weighted mean of the "
                 "influencers' shares", f, segment_share)
    if segment_share is not None:  # a segment without shares: ads can target it all the same
        segment_share = check_probability(segment_share, "segment_share", f)
        if not isinstance(seg_name, str):
            seg_name = "segment" if seg_name is None else _bad_segment(seg_name, f)
        seg = np.zeros(N, dtype=bool)
        seg[g_seg.choice(N, size=int(round(segment_share * N)), replace=False)] = True

    followers, var_ov, var_seg = _draw_followers(influencers, members,
                                                 seg if share is not None else None, g_fol, f)

    layers, cprobs = {}, {}
    for p in plats:
        st = stats[p]
        mem = np.flatnonzero(members[p])
        order = g_ties.permutation(mem)
        deg = st["avg_degree"]
        if mem.size >= 2 and deg > 0:
            if deg > mem.size - 1:
                raise ValueError(f"{f}: platform {p!r} has avg_degree={deg:g} but only "
                                 f"{mem.size:,} members; lower avg_degree.")
            t = power_law(mem.size, deg, st["exponent"], rng=g_ties)
            src = np.repeat(np.arange(t.n_nodes), np.diff(t.indptr))
            s, d = order[src], order[t.indices]
        else:
            s = d = np.zeros(0, dtype=np.int64)
        ep = st["edge_prob"]
        g = FollowerGraph.from_edges(s, d, probs=ep if not isinstance(ep, str) else None,
                                     n_nodes=N)
        if isinstance(ep, str):
            g = g.with_probabilities(ep, rng=g_ties)
        layers[p] = g
        if st["comment_prob"] is not None:
            cprobs[p] = st["comment_prob"]
    if seg is not None:
        first = plats[0]
        layers[first] = layers[first].with_node_attr(seg_name, seg)
    graph = MultiplexGraph(layers, comment_probs=cprobs, members=members)

    posts = {}
    for i, name in enumerate(influencers.names):
        p = influencers.platforms[i]
        r = stats[p]["organic_reach"]
        e = float(influencers.engagement_rate[i])
        adopt = 0.0 if r == 0 else min(1.0, e * k / r)
        posts[name] = InfluencerPost(followers=followers[name], organic_reach=r,
                                     adoption_rate=adopt, cost=float(influencers.price[i]),
                                     platform=p)
    targets = {
        "followers": dict(zip(influencers.names, influencers.followers.tolist())),
        "overlaps": dict(influencers.overlaps),
        "segment_share": (None if share is None else dict(zip(influencers.names,
                                                              share.tolist()))),
        "var_overlaps": var_ov, "var_segment": var_seg, "n_consumers": N,
        "market_size": sizes, "segment_share_market": segment_share,
    }
    return Audience(graph=graph, posts=posts, segment=seg_name if seg is not None else None,
                    influencers=influencers, followers=followers, targets=targets)


def _with_overlaps(inf, overlaps, f):
    """The list with ``overlaps`` (a dict or an overlap CSV) added to its own."""
    if isinstance(overlaps, (str, os.PathLike)):
        overlaps = _read_overlaps(overlaps)
    if not isinstance(overlaps, dict):
        raise TypeError(f"The 'overlaps' parameter of {f} must be a dict of (name, name) -> "
                        f"shared followers, or an overlap CSV. Got {type(overlaps).__name__}.")
    merged = dict(inf.overlaps)
    for (a, b), v in overlaps.items():
        merged.pop((b, a), None)
        merged[(a, b)] = v
    return InfluencerList(inf.names, inf.platforms, inf.followers, inf.engagement_rate,
                          inf.price, inf.segment_share, merged, inf.segment, source=inf.source)


def _with_degree(platform_stats, avg_degree, plats):
    stats = {} if platform_stats is None else {str(k).strip().lower(): dict(v)
                                               for k, v in platform_stats.items()}
    per = ({str(k).strip().lower(): v for k, v in avg_degree.items()}
           if isinstance(avg_degree, dict) else {p: avg_degree for p in plats})
    for p, d in per.items():
        stats.setdefault(p, {})["avg_degree"] = d
    return stats


def _bad_segment(name, f):
    raise TypeError(f"The 'segment' parameter of {f} must be a name (str). Got {name!r} "
                    "instead.")


def _market_sizes(market_size, plats, f):
    if isinstance(market_size, dict):
        sizes = {str(k).strip().lower(): v for k, v in market_size.items()}
        missing = [p for p in plats if p not in sizes]
        if missing:
            raise ValueError(f"{f}: no market size for platform {missing[0]!r} (given: "
                             f"{', '.join(sizes) or 'none'}). Add market_size[{missing[0]!r}], "
                             "the consumers on that platform in the market.")
    else:
        sizes = {p: market_size for p in plats}
    return {p: check_int(sizes[p], f"market_size[{p!r}]", f, low=1) for p in plats}


def _platform_stats(platform_stats, plats, f):
    given = {} if platform_stats is None else {str(k).strip().lower(): dict(v)
                                               for k, v in platform_stats.items()}
    out = {}
    for p in plats:
        st = dict(DEFAULT_PLATFORM_STATS)
        extra = set(given.get(p, {})) - set(st)
        if extra:
            raise ValueError(f"{f}: unknown platform statistic {sorted(extra)[0]!r} for {p!r}; "
                             f"known: {', '.join(DEFAULT_PLATFORM_STATS)}.")
        st.update(given.get(p, {}))
        st["avg_degree"] = check_float(st["avg_degree"], f"platform_stats[{p!r}]['avg_degree']",
                                       f, low=0.0)
        st["exponent"] = check_float(st["exponent"], f"platform_stats[{p!r}]['exponent']", f,
                                     low=1.0, low_open=True)
        if not isinstance(st["edge_prob"], str):
            st["edge_prob"] = check_probability(st["edge_prob"],
                                                f"platform_stats[{p!r}]['edge_prob']", f)
        if st["comment_prob"] is not None:
            st["comment_prob"] = check_probability(st["comment_prob"],
                                                   f"platform_stats[{p!r}]['comment_prob']", f)
        st["organic_reach"] = check_probability(st["organic_reach"],
                                                f"platform_stats[{p!r}]['organic_reach']", f)
        out[p] = st
    return out


def _draw_followers(inf, members, seg, gen, f):
    """Each influencer's followers (sorted node indices), in list order, and the
    variance sums of the drawn overlap and segment counts (tolerances)."""
    followers, var_ov, var_seg = {}, {}, {}
    N = next(iter(members.values())).size
    in_aud = {}
    for j, name in enumerate(inf.names):
        p = inf.platforms[j]
        elig = np.flatnonzero(members[p])
        F = int(inf.followers[j])
        if F > elig.size:
            raise ValueError(
                f"{f}: {name!r} has {F:,} followers but platform {p!r} has {elig.size:,} "
                f"consumers in the market. Give the followers in the market, or a larger "
                f"market_size[{p!r}].")
        cons = [(i, inf.overlaps[(inf.names[i], name)]) for i in range(j)
                if (inf.names[i], name) in inf.overlaps]
        cols = [np.ones(elig.size, dtype=bool)]
        tgt = [float(F)]
        what = ["followers"]
        for i, v in cons:
            cols.append(in_aud[inf.names[i]][elig])
            tgt.append(float(v))
            what.append(f"overlap with {inf.names[i]!r}")
        if seg is not None:
            cols.append(seg[elig])
            tgt.append(float(inf.segment_share[j]) * F)
            what.append("segment share")
        X = np.stack(cols, axis=1)
        pi = _inclusion_probabilities(X, np.asarray(tgt), name, what, f)
        keyv = _pareto_keys(gen.random(elig.size), pi)
        pick = np.sort(elig[np.argpartition(keyv, F - 1)[:F]]) if F < elig.size else elig
        followers[name] = pick.astype(np.int64)
        mask = np.zeros(N, dtype=bool)
        mask[pick] = True
        in_aud[name] = mask
        v = pi * (1.0 - pi)
        for c, (i, _) in enumerate(cons, start=1):
            var_ov[(inf.names[i], name)] = float(v[X[:, c]].sum())
        if seg is not None:
            var_seg[name] = float(v[X[:, -1]].sum())
    return followers, var_ov, var_seg


def _pareto_keys(u, pi):
    """Pareto sampling's ranking keys ``u (1 - pi) / (pi (1 - u))`` (Rosen 1997): the
    ``F`` smallest are a sample of exactly ``F`` whose inclusion probabilities are
    close to ``pi`` when ``sum(pi) == F`` (closer than sequential Poisson sampling's
    ``u / pi``). ``pi == 0`` is never drawn before ``pi > 0``; ``pi == 1`` first."""
    with np.errstate(divide="ignore", invalid="ignore"):
        k = (u * (1.0 - pi)) / (pi * (1.0 - u))
    k[pi <= 0.0] = np.inf
    k[pi >= 1.0] = -1.0
    return k


def _inclusion_probabilities(X, t, name, what, f):
    """``expit(X @ theta)`` per row, ``theta`` making ``sum_v pi_v X[v] == t``.

    Rows are grouped by pattern; ``theta`` minimises the convex dual
    ``sum_v log(1 + exp(x_v theta)) - theta t`` by damped Newton steps. A
    target on the boundary (an overlap equal to the smaller audience) sends
    a parameter to infinity: it is capped at 40 (``expit(40) = 1 - 4e-18``).
    """
    avail = X.sum(axis=0).astype(np.float64)
    for c in range(1, X.shape[1]):  # pairwise necessary conditions, for a precise message
        inside = avail[c]
        outside = avail[0] - inside
        if t[c] > inside + 1e-9 or t[0] - t[c] > outside + 1e-9:
            raise ValueError(
                f"{f}: {name!r}'s {what[c]} ({t[c]:,.0f} of {t[0]:,.0f} followers) cannot be "
                f"drawn: the market offers {inside:,.0f} such consumers and {outside:,.0f} "
                "others on its platform. Check the overlap or share, or the market size.")
    if X.shape[1] <= 62:  # one int64 code per row: a 1-D unique, much faster than axis=0
        codes = X.astype(np.int64) @ (np.int64(1) << np.arange(X.shape[1], dtype=np.int64))
        _, first, inv, cnt = np.unique(codes, return_index=True, return_inverse=True,
                                       return_counts=True)
        pat = X[first]
    else:
        pat, inv, cnt = np.unique(X, axis=0, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    A = pat.astype(np.float64)
    w = cnt.astype(np.float64)
    d = A.shape[1]
    theta = np.zeros(d)
    frac = min(max(t[0] / w.sum(), 1e-12), 1 - 1e-12)
    theta[0] = math.log(frac / (1 - frac))
    scale = max(1.0, float(t.max()))

    def dual(th):
        z = A @ th
        return float(w @ np.logaddexp(0.0, z)) - float(th @ t)

    grad = None
    for _ in range(200):
        pi = expit(A @ theta)
        grad = A.T @ (w * pi) - t
        if np.max(np.abs(grad)) <= 1e-7 * scale:
            break
        H = (A * (w * pi * (1 - pi))[:, None]).T @ A + 1e-9 * scale * np.eye(d)
        step = np.linalg.solve(H, grad)
        cur, s = dual(theta), 1.0
        while s > 1e-8:
            new = np.clip(theta - s * step, -40.0, 40.0)
            if dual(new) <= cur - 1e-4 * s * float(grad @ step) or s < 1e-6:
                break
            s *= 0.5
        if np.allclose(new, theta, rtol=0, atol=1e-12):
            break
        theta = new
    pi = expit(A @ theta)
    grad = A.T @ (w * pi) - t
    if np.max(np.abs(grad)) > max(0.5, 1e-6 * scale):
        worst = int(np.argmax(np.abs(grad)))
        raise ValueError(
            f"{f}: {name!r}'s followers cannot match the targets together ({what[worst]}: "
            f"{t[worst]:,.0f} asked, {t[worst] + grad[worst]:,.0f} reachable). The overlaps "
            "with several influencers, or with the segment share, contradict each other; "
            "check them.")
    return pi[inv]


# ------------------------------------------------------------------------ ranges
@dataclass(frozen=True, eq=False)
class DrawRange:
    """One metric over audience draws: each draw's mean and simulation ±.

    Attributes
    ----------
    means, half_widths : ndarray
        Per draw: the estimate and its confidence-interval half-width.
    low, central, high : float
        Smallest, median and largest mean across the draws.
    half_width : float
        The median simulation half-width (the ``±`` reported).
    day : int or None
        The day the metric is counted by (``"by day 7"`` in :meth:`words`);
        None: when the cascades end (or the estimate's own horizon).
    """

    metric: str
    means: np.ndarray
    half_widths: np.ndarray
    confidence: float = 0.95
    day: int = None

    @property
    def low(self):
        return float(self.means.min())

    @property
    def central(self):
        return float(np.median(self.means))

    @property
    def high(self):
        return float(self.means.max())

    @property
    def half_width(self):
        return float(np.median(self.half_widths))

    def words(self, unit="people"):
        """"1,850 ± 60 people (simulation, 95%; 1,700 to 1,990 across 5 audience draws)"."""
        n = self.means.size
        u = f" {unit}" if unit else ""
        if self.day is not None:
            u += f" by day {self.day}"
        return (f"{_num(self.central)} ± {_num(self.half_width)}{u} (simulation, "
                f"{self.confidence:.0%}; {_num(self.low)} to {_num(self.high)} across {n} "
                f"audience draw{'' if n == 1 else 's'})")

    def __str__(self):
        return self.words("")


@dataclass(frozen=True, eq=False)
class DrawsEstimate:
    """A plan estimated on several audience draws: ``reach`` and ``exposure`` ranges,
    and each draw's :class:`~viralsim.CampaignEstimate`.

    Attributes
    ----------
    plan : list of str or Channel
    reach, exposure : DrawRange
        By the end of day ``max_days`` when it is set (their ``day``).
    estimates : list of CampaignEstimate
        One per draw, with ``reach_by_day`` and ``exposure_by_day``.
    cost : float
    max_days : int or None
        The last day simulated (``estimate_across_draws(max_days=...)``).
    """

    plan: list
    reach: DrawRange
    exposure: DrawRange
    estimates: list = field(repr=False)
    cost: float = 0.0
    max_days: int = None

    def by_day(self, day, metric="reach"):
        """The range across draws of the people reached (``metric="reach"``) or who
        saw it (``"exposure"``) by the end of ``day``: each draw's
        ``reach_by_day.at(day)`` (or ``exposure_by_day``), as a :class:`DrawRange`.

        Examples
        --------
        >>> import viralsim as vs
        >>> from viralsim.audiences import InfluencerList, estimate_across_draws
        >>> inf = InfluencerList(["ann"], ["instagram"], [300], [0.05], [100.0])
        >>> r = estimate_across_draws(inf, ["ann"], market_size=1000, n_draws=2, n_sims=100,
        ...                           rng=0, delay=vs.Delay.geometric(2.0), max_days=7)
        >>> r.by_day(3).day, bool((r.by_day(3).means <= r.reach.means).all())
        (3, True)
        """
        f = "DrawsEstimate.by_day"
        if metric not in ("reach", "exposure"):
            raise ValueError(f"{f}: metric={metric!r}: use 'reach' or 'exposure'.")
        day = check_int(day, "day", f, low=0)
        if self.max_days is not None and day > self.max_days:
            raise ValueError(f"{f}: day {day} is past the last day simulated "
                             f"({self.max_days}). Estimate again with max_days >= {day}.")
        tls = [getattr(e, f"{metric}_by_day") for e in self.estimates]
        if any(t is None for t in tls):
            raise ValueError(f"{f}: the estimates were made with exposure=False; ask for "
                             "metric='reach'.")
        at = [t.at(day) for t in tls]
        conf = self.reach.confidence
        return DrawRange(metric, np.array([x.mean for x in at]),
                         np.array([x.half_width for x in at]), conf, day)

    def __str__(self):
        return (f"reach {self.reach.words()}; exposure {self.exposure.words()}; cost "
                f"{self.cost:g}")


def _num(x):
    """A count as people read it: 1,850 (never -0)."""
    return f"{x:,.0f}".replace("-0", "0") if abs(x) < 0.5 else f"{x:,.0f}"


def _streams(rng):
    """The three independent streams behind ``rng``: audiences, worlds, re-estimates."""
    gen = check_rng(rng)
    return np.random.SeedSequence(int(gen.integers(0, 2**63 - 1, dtype=np.int64))).spawn(3)


def draw_audiences(influencers, n_draws, *, market_size, rng=None, **opts):
    """``n_draws`` independent audiences (:func:`influencer_audiences`) from one list.

    The same ``rng`` gives the audiences that :func:`estimate_across_draws` and
    :func:`allocate_across_draws` draw for themselves with that ``rng``; pass
    them as ``audiences=`` to compare several plans on the same audiences
    without drawing them again.

    Examples
    --------
    >>> from viralsim.audiences import InfluencerList, draw_audiences
    >>> inf = InfluencerList(["ann"], ["instagram"], [300], [0.05], [100.0])
    >>> auds = draw_audiences(inf, 2, market_size=1000, rng=0)
    >>> [a.graph.n_nodes for a in auds]
    [1000, 1000]
    """
    n_draws = check_int(n_draws, "n_draws", "draw_audiences", low=1)
    if isinstance(influencers, (str, os.PathLike)):
        influencers = read_influencers(influencers)
    aud_ss = _streams(rng)[0]
    return [influencer_audiences(influencers, market_size=market_size,
                                 rng=np.random.default_rng(s), **opts)
            for s in aud_ss.spawn(n_draws)]


def _check_opts(opts, f):
    """``**opts`` are :func:`influencer_audiences`' options: a name it lacks is a
    one-line TypeError (a misspelt ``delay`` or ``deadline`` would otherwise go
    unnoticed when ``audiences=`` is given)."""
    import inspect

    known = set(inspect.signature(influencer_audiences).parameters) - {"influencers"}
    for k in opts:
        if k not in known:
            hint = {"delays": "delay", "deadline": "max_days", "max_days": "deadline"}.get(k)
            fix = f" Did you mean {hint}=?" if hint else " Pass influencer_audiences' options only."
            raise TypeError(f"{f} got an unexpected keyword argument {k!r}.{fix}")


def _check_draw_timing(auds, model, delay, max_days, name, f):
    """``max_days`` (validated as ``name``) and ``delay`` checked on every audience
    before any world runs; returns ``max_days``."""
    from .channels import _check_timing

    if max_days is not None:
        max_days = check_int(max_days, name, f, low=0)
    for aud in auds:
        _check_timing(aud.graph, model, delay, max_days, f)
    return max_days


def _audiences(influencers, audiences, n_draws, market_size, rng, opts, f):
    _check_opts(opts, f)
    if audiences is not None:
        audiences = list(audiences)
        if not audiences or not all(isinstance(a, Audience) for a in audiences):
            raise TypeError(f"{f}: 'audiences' must be a non-empty list of Audience (see "
                            "draw_audiences).")
        return audiences
    if market_size is None:
        raise ValueError(f"{f}: give market_size= (each platform's consumers in the market), "
                         "or audiences= drawn by draw_audiences.")
    return draw_audiences(influencers, n_draws, market_size=market_size, rng=rng, **opts)


def _resolve_plan(plan, aud, f):
    from .channels import Channel

    out = []
    for item in plan:
        if isinstance(item, str):
            if item not in aud.posts:
                raise ValueError(f"{f}: the plan names {item!r}, who is not in the influencer "
                                 "list. Fix the name.")
            out.append(aud.posts[item])
        elif isinstance(item, Channel):
            out.append(item)
        else:
            raise TypeError(f"{f}: a plan item must be an influencer's name or a channel "
                            f"(vs.AdBuy, vs.SeedList). Got {item!r} instead.")
    return out


def _range_of(ests, confidence, day=None):
    r = np.array([e.reach.mean for e in ests])
    rh = np.array([e.reach.half_width for e in ests])
    x = np.array([e.exposure.mean for e in ests])
    xh = np.array([e.exposure.half_width for e in ests])
    return (DrawRange("reach", r, rh, confidence, day),
            DrawRange("exposure", x, xh, confidence, day))


def estimate_across_draws(influencers, plan, *, market_size=None, n_draws=5, rng=None,
                          n_sims=1000, model=None, confidence=0.95, max_rounds=None,
                          delay=None, max_days=None, audiences=None, **opts):
    """Estimate a plan on ``n_draws`` audiences drawn from the same influencer list.

    Parameters
    ----------
    influencers : InfluencerList or path
    plan : list of str or Channel
        Influencers' names (their posts) and other channels (``vs.AdBuy`` on a
        platform and the segment, ``vs.SeedList``).
    market_size : int or dict
        As :func:`influencer_audiences`.
    n_draws : int >= 1, default 5
    rng : anything ``np.random.default_rng`` accepts
        Draw ``d`` has its own audience (from one stream of ``rng``) and its
        own worlds (from another), so two plans estimated with the same
        ``rng`` meet the same audiences and worlds (a paired comparison).
    n_sims, model, confidence, max_rounds
        As :func:`~viralsim.estimate_campaign`.
    delay : Delay, int, or dict of str to Delay, optional
        Days between a comment and a follower acting on it, for every
        platform or per platform (as :func:`~viralsim.estimate_campaign`'s
        ``delay``; the drawn audiences have no delays of their own).
    max_days : int >= 0, optional
        The last day simulated: ``reach`` and ``exposure`` are then the people
        reached, and who saw it, by the end of that day (a deadline).
    audiences : list of Audience, optional
        Drawn already (:func:`draw_audiences`); then ``market_size``,
        ``n_draws`` and ``opts`` are not used.
    **opts
        Passed to :func:`influencer_audiences` (any other name is a TypeError).

    Returns
    -------
    DrawsEstimate
        ``reach`` and ``exposure``: low/central/high across the draws beside
        the simulation ± (the median half-width); :meth:`DrawsEstimate.by_day`
        for earlier days. Each draw's estimate is
        ``estimate_campaign(audience.graph, plan, ..., delay=delay,
        max_days=max_days)`` in that draw's worlds.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim.audiences import InfluencerList, estimate_across_draws
    >>> inf = InfluencerList(["ann", "bob"], ["instagram", "tiktok"], [300, 200],
    ...                      [0.05, 0.05], [100.0, 80.0])
    >>> r = estimate_across_draws(inf, ["ann", "bob"], market_size=1000, n_draws=2,
    ...                           n_sims=200, rng=0)
    >>> r.cost, r.reach.means.size
    (180.0, 2)

    By a deadline, with each platform's delay:

    >>> r = estimate_across_draws(inf, ["ann", "bob"], market_size=1000, n_draws=2,
    ...                           n_sims=200, rng=0, max_days=7,
    ...                           delay={"instagram": vs.Delay.geometric(2.0), "tiktok": 1})
    >>> r.reach.day, r.by_day(3).day
    (7, 3)
    """
    from .channels import estimate_campaign

    f = "estimate_across_draws"
    n_draws = check_int(n_draws, "n_draws", f, low=1)
    auds = _audiences(influencers, audiences, n_draws, market_size, rng, opts, f)
    max_days = _check_draw_timing(auds, model, delay, max_days, "max_days", f)
    sim_ss = _streams(rng)[1]
    ests, cost = [], 0.0
    for aud, s in zip(auds, sim_ss.spawn(len(auds))):
        chans = _resolve_plan(plan, aud, f)
        cost = float(sum(c.cost for c in chans))
        ests.append(estimate_campaign(aud.graph, chans, model=model, n_sims=n_sims,
                                      rng=np.random.default_rng(s), confidence=confidence,
                                      max_rounds=max_rounds, delay=delay, max_days=max_days))
    reach, expo = _range_of(ests, confidence, max_days)
    return DrawsEstimate(plan=list(plan), reach=reach, exposure=expo, estimates=ests, cost=cost,
                         max_days=max_days)


@dataclass(frozen=True, eq=False)
class DrawsAllocation:
    """Result of :func:`allocate_across_draws`.

    Attributes
    ----------
    plan : list of str or Channel
        The plan bought: influencers' names and ad units, in the order the
        greedy bought them on the first draw that chose this plan.
    picked_in : int
        Draws (of ``n_draws``) whose allocation chose exactly this plan.
    allocations : list of Allocation
        Each draw's allocation.
    result : DrawsEstimate
        The plan re-estimated on fresh audience draws in fresh worlds (unbiased).
    budget : float
    """

    plan: list
    picked_in: int
    allocations: list = field(repr=False)
    result: DrawsEstimate
    budget: float

    @property
    def cost(self):
        return self.result.cost

    def __str__(self):
        return (f"with {self.budget:g}: {describe_plan(self.plan)} (cost {self.cost:g}; "
                f"chosen on {self.picked_in} of {len(self.allocations)} audience draws) "
                f"reaches {self.result.reach.words()}")


def describe_plan(plan, currency="", influencers=None):
    """A plan in plain words.

    Parameters
    ----------
    plan : list of str or Channel
        Influencers' names and channels (ads are summed by platform and segment).
    currency : str, default ""
        Put before amounts ("€").
    influencers : InfluencerList, optional
        To group the posts by platform.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim.audiences import describe_plan
    >>> ad = vs.AdBuy(spend=200.0, cpm=8.0, segment="runners", platform="tiktok")
    >>> describe_plan(["ann", "bob", ad], currency="€")
    "2 influencer posts (ann, bob) and €200 of ads to 'runners' on TikTok"
    """
    from .channels import AdBuy

    posts, ads, other = {}, {}, 0
    for item in plan:
        if isinstance(item, str):
            plat = None if influencers is None else influencers.platforms[
                influencers.index(item)]
            posts.setdefault(plat, []).append(item)
        elif isinstance(item, AdBuy):
            k = (item.platform, item.segment)
            ads[k] = ads.get(k, 0.0) + item.spend
        else:
            other += 1
    parts = []
    for plat, names in posts.items():
        on = f" on {_platform_word(plat)}" if plat else ""
        parts.append(f"{len(names)} influencer post{'' if len(names) == 1 else 's'}{on} "
                     f"({', '.join(names)})")
    for (plat, seg), spend in ads.items():
        to = f" to {seg!r}" if seg else ""
        on = f" on {_platform_word(plat)}" if plat else ""
        parts.append(f"{currency}{spend:,.0f} of ads{to}{on}")
    if other:
        parts.append(f"{other} other channel{'' if other == 1 else 's'}")
    if not parts:
        return "nothing"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


_WORDS = {"tiktok": "TikTok", "youtube": "YouTube", "x": "X", "linkedin": "LinkedIn"}


def _platform_word(p):
    """A platform's name as people write it."""
    return _WORDS.get(p, p.capitalize())


def allocate_across_draws(influencers, budget, *, market_size=None, ads=(), platforms=None,
                          n_draws=3, rng=None, n_sims=500, goal="adopters", model=None,
                          confidence=0.95, max_rounds=None, deadline=None, delay=None,
                          n_sims_check=None, audiences=None, check_audiences=None, **opts):
    """Spend one budget on influencer posts and ad units, on several audience draws.

    Each draw's audience gets its own :func:`~viralsim.allocate_budget` over
    the influencers' posts and the ``ads`` units; the plan chosen on most
    draws (ties: the largest mean value) is then re-estimated on other,
    fresh audience draws in fresh worlds (no winner's curse), so its reach
    carries both the simulation ± and the range across audience draws.

    Parameters
    ----------
    influencers : InfluencerList or path
    budget : float > 0
    market_size : int or dict
        As :func:`influencer_audiences`.
    ads : sequence of AdBuy
        Ad units to choose from (list slices, e.g. four ``AdBuy(spend=50, ...)``,
        to let the plan choose how much goes into ads).
    platforms : sequence of str, optional
        Only units on these platforms (e.g. ``["instagram"]`` for the best
        single-platform plan).
    n_draws : int >= 1, default 3
    rng : anything ``np.random.default_rng`` accepts
        Three streams: the audiences, the allocations' worlds, the
        re-estimate (its audiences and worlds). Plans allocated with the same
        ``rng`` are re-estimated on the same audiences and worlds (paired).
    n_sims, goal, model, confidence, max_rounds
        As :func:`~viralsim.allocate_budget`.
    deadline : int >= 0, optional
        Optimise, and report, the goal by the end of this day
        (:func:`~viralsim.allocate_budget`'s ``deadline``; the re-estimate's
        ``max_days``).
    delay : Delay, int, or dict of str to Delay, optional
        Each platform's delay, as :func:`estimate_across_draws`' ``delay``.
    n_sims_check : int, optional
        Worlds of the re-estimate (default ``2 * n_sims``).
    audiences, check_audiences : list of Audience, optional
        Drawn already (:func:`draw_audiences`): the ones to allocate on and the
        ones to re-estimate on (``market_size``, ``n_draws`` and ``opts``
        then serve only what is not given).
    **opts
        Passed to :func:`influencer_audiences`.

    Returns
    -------
    DrawsAllocation

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim.audiences import InfluencerList, allocate_across_draws
    >>> inf = InfluencerList(["ann", "bob", "cy"], ["instagram"] * 3, [300, 200, 100],
    ...                      [0.05, 0.05, 0.05], [100.0, 80.0, 60.0])
    >>> a = allocate_across_draws(inf, 150.0, market_size=1000, n_draws=2, n_sims=100,
    ...                           rng=0)
    >>> a.cost <= 150.0
    True
    """
    from .channels import allocate_budget

    f = "allocate_across_draws"
    n_draws = check_int(n_draws, "n_draws", f, low=1)
    n_check = 2 * n_sims if n_sims_check is None else check_int(n_sims_check, "n_sims_check",
                                                                  f, low=1)
    _, sim_ss, check_ss = _streams(rng)
    auds = _audiences(influencers, audiences, n_draws, market_size, rng, opts, f)
    deadline = _check_draw_timing(auds, model, delay, deadline, "deadline", f)
    keep = None if platforms is None else {str(x).strip().lower() for x in platforms}
    ads = list(ads)
    allocs, plans = [], []
    for aud, s in zip(auds, sim_ss.spawn(len(auds))):
        names = [n for n, p in aud.posts.items() if keep is None or p.platform in keep]
        keep_ads = [a for a in ads if keep is None or a.platform in keep]
        if not names and not keep_ads:
            raise ValueError(f"{f}: no influencer or ad on platforms {sorted(keep)}; name "
                             "platforms of the list.")
        items = names + keep_ads
        a = allocate_budget(aud.graph, [aud.posts[n] for n in names] + keep_ads, budget,
                            goal=goal, model=model, n_sims=n_sims,
                            rng=np.random.default_rng(s), confidence=confidence,
                            max_rounds=max_rounds, deadline=deadline, delay=delay)
        allocs.append(a)
        plans.append([items[i] for i in a.chosen])
    # identical ad slices are one kind of unit: a plan is a multiset of posts and ad kinds
    keys = [tuple(sorted(Counter(("post", x) if isinstance(x, str) else ("unit", x.describe())
                                 for x in p).items())) for p in plans]
    count = Counter(keys)
    value = {k: np.mean([a.value for a, kk in zip(allocs, keys) if kk == k]) for k in count}
    best = max(count, key=lambda k: (count[k], value[k]))
    plan = plans[keys.index(best)]
    inf = auds[0].influencers
    result = estimate_across_draws(inf, plan, market_size=market_size, n_draws=len(auds),
                                   rng=np.random.default_rng(check_ss), n_sims=n_check,
                                   model=model, confidence=confidence, max_rounds=max_rounds,
                                   delay=delay, max_days=deadline, audiences=check_audiences,
                                   **opts)
    return DrawsAllocation(plan=plan, picked_in=count[best], allocations=allocs, result=result,
                           budget=float(budget))
