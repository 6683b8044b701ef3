"""The planner's campaign layer: one budget across influencer posts and targeted ads on
several platforms (plain Python, no web framework).

The page's *Campaign across channels and platforms* mode calls these functions:

1. :func:`read_influencer_upload` (or :func:`example_campaign`): an influencer
   list CSV (and optionally an overlaps CSV) given as bytes, read with
   :func:`viralsim.read_influencers`, to a :class:`CampaignData` that says what
   was read and proposes one row of platform statistics per platform
   (:func:`platform_rows`).
2. :func:`run_campaign`: the platform rows, the ad options (:func:`ad_rows`)
   and :class:`CampaignSettings` (budget, goal, deadline in days, worlds, audience
   draws, seed) become the config of ``viralsim experiment=campaign_influencers``
   (:func:`campaign_config`), and the experiment's own steps run it:
   :func:`~viralsim.experiments.campaign_mix.mix_of` (audiences drawn from the
   list, posts and ads as channel units), ``plan_budget``
   (:func:`viralsim.allocate_budget`: the mix, the best plan on each platform
   alone, each channel alone), ``evaluate_plans``
   (:func:`viralsim.estimate_campaign` in other, common worlds), ``result_rows``,
   ``plan_rows`` and ``mix_report`` (the plain-words sentence).
3. :func:`campaign_paragraph`, :func:`by_day_rows`, :func:`campaign_zip`: the answer
   in words and as files.

Errors are one line in the page's words: the experiment's ``experiment.channels[2]
(tiktok ads)`` becomes ``ad option 3 (tiktok ads)``, a temporary file's path
becomes the uploaded file's name.
"""

import csv
import io
import math
import os
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field

import numpy as np

from ..exceptions import ViralsimError

__all__ = [
    "CampaignData",
    "PlatformFiles",
    "read_platform_files",
    "CampaignSettings",
    "CampaignResults",
    "read_influencer_upload",
    "example_campaign",
    "example_influencers_csv",
    "platform_rows",
    "ad_rows",
    "files_platform_rows",
    "campaign_config",
    "run_campaign",
    "campaign_paragraph",
    "how_paragraph",
    "figure_by_day",
    "by_day_rows",
    "comparison_rows",
    "mix_rows",
    "campaign_csv",
    "campaign_zip",
]

#: The built-in example: runners' influencers on three platforms (prices, followers,
#: engagement and segment shares are made up, as in experiments/influencers/).
EXAMPLE_INFLUENCERS = """\
name,platform,followers,engagement_rate,price,segment_share
trail_tina,Instagram,1700,4.2%,€220,55%
city_runs_max,Instagram,2400,2.8%,€300,40%
parkrun_paul,Instagram,600,6.5%,€90,70%
fitfood_lena,Instagram,3000,1.9%,€380,18%
sprint_sam,TikTok,2500,7.5%,€250,35%
marathon_mia,TikTok,1300,9.1%,€180,62%
gymtok_jo,TikTok,3750,5.0%,€350,20%
shoe_review_sara,YouTube,1500,3.1%,€320,45%
"""
EXAMPLE_SEGMENT = "runners"
#: ASSUMPTION (placeholders, as the campaign_influencers study's): consumers on each
#: platform in the market and its statistics
EXAMPLE_PLATFORMS = {
    "instagram": {"market_size": 10000, "comment_prob": 0.3, "organic_reach": 0.15,
                  "avg_degree": 12.0, "edge_prob": 0.02, "delay_days": 1.0},
    "tiktok": {"market_size": 7500, "comment_prob": 0.2, "organic_reach": 0.35,
               "avg_degree": 8.0, "edge_prob": 0.015, "delay_days": 2.0},
    "youtube": {"market_size": 5000, "comment_prob": 0.1, "organic_reach": 0.25,
                "avg_degree": 3.0, "edge_prob": 0.01, "delay_days": 3.0},
}
#: ASSUMPTION: CPM and conversion per impression of ads to the segment
EXAMPLE_ADS = [
    {"platform": "instagram", "segment": EXAMPLE_SEGMENT, "cpm": 7.0, "conversion_rate": 0.001,
     "frequency_cap": 3, "spend": 300.0, "slices": 3},
    {"platform": "tiktok", "segment": EXAMPLE_SEGMENT, "cpm": 5.0, "conversion_rate": 0.0008,
     "frequency_cap": 3, "spend": 300.0, "slices": 3},
]

#: A platform row's columns: (key, what the page calls it)
PLATFORM_COLUMNS = {
    "platform": "platform",
    "market_size": "consumers",
    "comment_prob": "comments",
    "organic_reach": "post reach",
    "avg_degree": "ties",
    "edge_prob": "persuasion",
    "delay_days": "delay (days)",
}
#: what each platform column means (the page's column help)
PLATFORM_HELP = {
    "platform": "A platform of the influencer list.",
    "market_size": "Consumers on this platform in your market (the audience the influencers' "
                   "followers and the ads' viewers come from).",
    "comment_prob": "Chance that someone who adopted comments (recommends it) on this platform.",
    "organic_reach": "Share of an influencer's followers the platform shows a post to.",
    "avg_degree": "Mean number of accounts a consumer follows among the market's consumers.",
    "edge_prob": "Chance that a comment persuades a follower who sees it.",
    "delay_days": "Mean days between a comment and a follower acting on it (1: the next day).",
}
#: An ad row's columns: (key, what the page calls it)
AD_COLUMNS = {
    "platform": "platform",
    "segment": "shown to",
    "cpm": "CPM",
    "conversion_rate": "conversion",
    "frequency_cap": "frequency cap",
    "spend": "most to spend",
    "slices": "parts",
}
#: what each ad column means (the page's column help)
AD_HELP = {
    "platform": "The platform showing the ad.",
    "segment": "The target segment (only its members see the ad) or everyone.",
    "cpm": "Price of 1,000 impressions.",
    "conversion_rate": "Chance that one impression persuades (0 to 1: 0.001 is 0.1%).",
    "frequency_cap": "Most times one person is shown the ad.",
    "spend": "The most the plan may put into this ad.",
    "slices": "The spend is bought in this many equal parts (the plan may buy some of them).",
}
EVERYONE = "everyone"
GOAL_WORDS = {"adopters": "people who adopt (buy)", "exposure": "people who see it"}


def _error(msg):
    from .core import PlannerError

    return PlannerError(msg)


# ---------------------------------------------------------------------- reading
@dataclass
class CampaignData:
    """An influencer list as the page read it.

    Attributes
    ----------
    influencers : InfluencerList
    data : bytes
        The list as uploaded (written to a temporary file for the experiment).
    name : str
        The uploaded file's name (in messages).
    overlaps, overlaps_name : bytes or None, str
        The overlaps CSV, when given.
    segment : str
        The target segment's name (the ads' ``segment``).
    summary : dict
        What the page shows: influencers, platforms, followers per platform.
    """

    influencers: object
    data: bytes
    name: str
    overlaps: bytes = None
    overlaps_name: str = None
    segment: str = "segment"
    summary: dict = field(default_factory=dict)

    @property
    def platforms(self):
        return list(self.influencers.platform_names)


def _one_line(exc, paths):
    """The library's message, first line, with temporary paths replaced by upload names."""
    msg = str(exc.args[0]) if getattr(exc, "args", None) else str(exc)
    msg = msg.strip().splitlines()[0] if msg.strip() else type(exc).__name__
    for path, name in paths.items():
        msg = msg.replace(repr(path), repr(name)).replace(path, name)
    return msg


def read_influencer_upload(data, name="influencers.csv", overlaps=None,
                           overlaps_name="overlaps.csv", *, segment=None):
    """Read an uploaded influencer list (and overlaps) with :func:`viralsim.read_influencers`.

    Parameters
    ----------
    data : bytes
        Columns ``name``, ``platform``, ``followers``, ``engagement_rate``,
        ``price`` and optionally ``segment_share`` (``3.5%``, ``12.5k``, ``€250``,
        ``;`` files and Windows-1252 are fine).
    name, overlaps_name : str
        The uploaded files' names, used in messages.
    overlaps : bytes, optional
        Columns ``influencer_a``, ``influencer_b``, ``overlap`` (shared followers).
    segment : str, optional
        The target segment's name (default ``"segment"``).

    Returns
    -------
    CampaignData

    Raises
    ------
    PlannerError
        One line naming the uploaded file, the line and the fix.

    Examples
    --------
    >>> from viralsim.planner import read_influencer_upload
    >>> d = read_influencer_upload(b"name;platform;followers;engagement;price\\n"
    ...                            b"ann;Instagram;12,5k;3,5%;250\\n", segment="runners")
    >>> d.platforms, d.summary["influencers"]
    (['instagram'], 1)
    """
    from .. import audiences

    if not data:
        raise _error(f"{name} is empty: upload a CSV with a header row (name, platform, "
                     "followers, engagement_rate, price) and one row per influencer.")
    segment = (segment or "").strip() or "segment"
    tmp = tempfile.mkdtemp(prefix="viralsim-planner-")  # mode 0700: this user only
    try:
        path = os.path.join(tmp, "influencers.csv")
        with open(path, "wb") as fh:
            fh.write(data)
        paths = {path: name}
        opath = None
        if overlaps:
            opath = os.path.join(tmp, "overlaps.csv")
            with open(opath, "wb") as fh:
                fh.write(overlaps)
            paths[opath] = overlaps_name
        try:
            inf = audiences.read_influencers(path, overlaps=opath, segment=segment)
        except (ValueError, TypeError, LookupError, OSError, ViralsimError) as exc:
            raise _error(_one_line(exc, paths)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    per = {p: int(sum(f for f, q in zip(inf.followers.tolist(), inf.platforms) if q == p))
           for p in inf.platform_names}
    summary = {"influencers": len(inf), "platforms": list(inf.platform_names),
               "followers": per, "overlaps": len(inf.overlaps),
               "segment_shares": inf.segment_share is not None, "file": name,
               "overlaps_file": overlaps_name if overlaps else None}
    return CampaignData(inf, bytes(data), name, bytes(overlaps) if overlaps else None,
                        overlaps_name if overlaps else None, segment, summary)


def example_influencers_csv():
    """The built-in example's influencer list, as CSV bytes (a template)."""
    return EXAMPLE_INFLUENCERS.encode("utf-8")


def example_campaign():
    """The built-in example: ``(data, platform rows, ad rows)``.

    Eight runners' influencers on Instagram, TikTok and YouTube, placeholder
    platform statistics (marked ASSUMPTION in this module) and ads to the
    ``runners`` segment on Instagram and TikTok.
    """
    d = read_influencer_upload(example_influencers_csv(), "example influencers.csv",
                               segment=EXAMPLE_SEGMENT)
    plats = [dict(platform=p, **EXAMPLE_PLATFORMS[p]) for p in d.platforms]
    return d, plats, [dict(a) for a in EXAMPLE_ADS]


def platform_rows(data):
    """One row of platform statistics per platform of the list: placeholders to edit.

    The market size defaults to ten times the platform's largest influencer's
    followers (rounded up to a thousand); the rest are
    :data:`viralsim.audiences.DEFAULT_PLATFORM_STATS`.
    """
    from ..audiences import DEFAULT_PLATFORM_STATS as S

    inf = data.influencers
    out = []
    for p in data.platforms:
        top = max(f for f, q in zip(inf.followers.tolist(), inf.platforms) if q == p)
        out.append({"platform": p, "market_size": int(math.ceil(10 * top / 1000) * 1000),
                    "comment_prob": 0.3, "organic_reach": S["organic_reach"],
                    "avg_degree": S["avg_degree"], "edge_prob": S["edge_prob"],
                    "delay_days": 1.0})
    return out


def ad_rows(data, cpm=8.0, conversion_rate=0.001, spend=300.0):
    """One ad option per platform of the list, to the segment: placeholders to edit."""
    return [{"platform": p, "segment": data.segment, "cpm": cpm,
             "conversion_rate": conversion_rate, "frequency_cap": 3, "spend": spend, "slices": 3}
            for p in data.platforms]


@dataclass
class PlatformFiles:
    """Follower files, one per platform (a consumer graph per platform), and
    optionally an influencer list whose influencers post there.

    Attributes
    ----------
    layers : dict of str to Dataset
        Platform -> the follower file as :func:`viralsim.planner.read_upload` read it
        (the platform is the file's name before its first dot, lower-cased).
    influencers : CampaignData or None
        An influencer list: an influencer whose name is an account of its
        platform's file posts to its followers there; any other, to its follower
        count drawn at random among the platform's consumers.
    segment : str
        The target segment's name (a random share of the consumers, for the ads).
    summary : dict
    """

    layers: dict
    influencers: object = None
    segment: str = "segment"
    summary: dict = field(default_factory=dict)

    @property
    def platforms(self):
        return list(self.layers)


def _platform_of(filename):
    stem = os.path.basename(str(filename)).split(".", 1)[0]
    name = re.sub(r"[^0-9a-z_]+", "_", stem.strip().lower()).strip("_")
    if not name:
        raise _error(f"{filename}: name the file after its platform (instagram.csv, "
                     "tiktok.csv): its name gives the platform.")
    return name


def read_platform_files(files, influencers=None, influencers_name="influencers.csv", *,
                        segment=None):
    """Read one follower CSV per platform (and optionally an influencer list).

    Parameters
    ----------
    files : list of (bytes, str)
        Each follower file and its name; the platform is the name before its
        first dot (``instagram.csv`` -> ``instagram``). Columns as the
        single-graph planner reads (:func:`viralsim.planner.read_upload`:
        follower/followed, source/target, ...). The consumers of all files are
        one population, matched by their ids.
    influencers : bytes, optional
        An influencer list (:func:`read_influencer_upload`); its platforms must
        each have a file.
    influencers_name : str
    segment : str, optional
        The target segment's name (default ``"segment"``).

    Returns
    -------
    PlatformFiles

    Raises
    ------
    PlannerError
        One line naming the file and the fix.

    Examples
    --------
    >>> from viralsim.planner import read_platform_files
    >>> pf = read_platform_files([(b"follower,followed\\nbob,ann\\n", "Instagram.csv"),
    ...                           (b"follower,followed\\nann,cid\\n", "tiktok.csv")])
    >>> pf.platforms, pf.summary["consumers"]
    (['instagram', 'tiktok'], 3)
    """
    from .core import read_upload

    if not files:
        raise _error("No follower file: upload one follower CSV per platform, named after it "
                     "(instagram.csv, tiktok.csv).")
    layers, names = {}, {}
    for data, name in files:
        p = _platform_of(name)
        if p in layers:
            raise _error(f"{name} and {names[p]} are both for platform {p!r}: upload one "
                         "file per platform.")
        layers[p], names[p] = read_upload(data, name), name
    segment = (segment or "").strip() or "segment"
    inf = None
    if influencers:
        inf = read_influencer_upload(influencers, influencers_name, segment=segment)
        missing = [p for p in inf.platforms if p not in layers]
        if missing:
            raise _error(f"{influencers_name}: influencers on {', '.join(missing)}, which has no "
                         f"follower file (have: {', '.join(layers)}). Upload {missing[0]}.csv, "
                         "or remove those influencers.")
    ids = set()
    for d in layers.values():
        ids.update(str(x) for x in d.graph.labels.tolist())
    summary = {"platforms": list(layers), "consumers": len(ids),
               "ties": {p: d.graph.n_edges for p, d in layers.items()},
               "members": {p: d.graph.n_nodes for p, d in layers.items()},
               "files": names, "influencers": len(inf.influencers) if inf else 0}
    if inf is not None:
        summary["accounts"] = [n for n, p in zip(inf.influencers.names, inf.influencers.platforms)
                               if n in {str(x) for x in layers[p].graph.labels.tolist()}]
    return PlatformFiles(layers, inf, segment, summary)


def files_platform_rows(files):
    """One row per platform of follower files: comments, post reach and delay (the
    consumers and ties are the file's)."""
    from ..audiences import DEFAULT_PLATFORM_STATS as S

    return [{"platform": p, "comment_prob": 0.3, "organic_reach": S["organic_reach"],
             "delay_days": 1.0} for p in files.platforms]


# ---------------------------------------------------------------------- settings
@dataclass(frozen=True)
class CampaignSettings:
    """What the marketer asks: budget(s), goal, deadline, and how precisely.

    Parameters
    ----------
    budgets : list of float
    goal : {"adopters", "exposure"}
        People who adopt, or people who see it (visibility).
    days : int or None
        The deadline: plans are chosen for, and report, the people reached by
        the end of that day (day 0: the posts and ads). None: until word of
        mouth ends.
    n_sims : int
        Worlds every plan is reported in.
    select_sims : int
        Other worlds the plans are chosen in.
    draws : int
        Audience draws from the list: the mix's range across them.
    rng_seed : int
    currency : str
    segment_share : float or None
        Share of the market in the segment (None: from the list's shares).
    adopt_per_engagement : float
        Adoptions per engagement after a post.
    """

    budgets: tuple = (1000.0,)
    goal: str = "adopters"
    days: int = 7
    n_sims: int = 500
    select_sims: int = 150
    draws: int = 3
    rng_seed: int = 0
    currency: str = "€"
    segment_share: float = 0.22
    adopt_per_engagement: float = 0.05
    confidence: float = 0.95


def _number(v, what, where, low=None, high=None, integer=False, low_open=False):
    if _blank(v):
        raise _error(f"{where}: {what} is empty; fill it in (or remove the row).")
    try:
        x = float(str(v).replace(",", ".").strip().rstrip("%")) / (
            100.0 if str(v).strip().endswith("%") else 1.0)
    except (TypeError, ValueError):
        raise _error(f"{where}: {what} {v!r} is not a number; type a number.") from None
    if not math.isfinite(x):
        raise _error(f"{where}: {what} {v!r} is not a finite number; type a number.")
    if integer and x != int(x):
        raise _error(f"{where}: {what} {x:g} must be a whole number.")
    if low is not None and (x < low or (low_open and x <= low)):
        word = "above" if low_open else "at least"
        raise _error(f"{where}: {what} {x:g} must be {word} {low:g}; fix it.")
    if high is not None and x > high:
        raise _error(f"{where}: {what} {x:g} must be at most {high:g}; fix it.")
    return int(x) if integer else x


def _blank(v):
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""


def _platform_config(data, platforms):
    """``(market_size, platform_stats, platforms config)`` of the page's platform rows."""
    have = set(data.platforms)
    market, stats, conf, seen = {}, {}, [], set()
    for i, row in enumerate(platforms, 1):
        p = str(row.get("platform") or "").strip().lower()
        where = f"platform row {i} ({p or 'no name'})"
        if p not in have:
            raise _error(f"{where}: the influencer list has no platform {p!r} (its platforms: "
                         f"{', '.join(data.platforms)}). Fix the name.")
        if p in seen:
            raise _error(f"{where}: {p} has two rows; keep one.")
        seen.add(p)
        market[p] = _number(row.get("market_size"), "consumers on it", where, low=1,
                            integer=True)
        stats[p] = {
            "comment_prob": _number(row.get("comment_prob"), "the comment chance", where, 0, 1),
            "organic_reach": _number(row.get("organic_reach"), "the share shown a post", where,
                                     0, 1),
            "avg_degree": _number(row.get("avg_degree"), "ties per consumer", where, 0),
            "edge_prob": _number(row.get("edge_prob"), "the chance a comment persuades", where,
                                 0, 1)}
        delay = _number(row.get("delay_days"), "the mean delay in days", where, 1)
        # a mean of 1: every reaction the next day (Delay.fixed(1)); else geometric
        conf.append({"name": p, "delay": 1 if delay == 1 else {"mean_days": float(delay)}})
    missing = [p for p in data.platforms if p not in seen]
    if missing:
        raise _error(f"The platform table has no row for {', '.join(missing)}: add one (the "
                     "influencer list has influencers there).")
    return market, stats, conf


def _ad_config(data, ads):
    """The ad rows as ``experiment.channels`` (empty rows skipped)."""
    out = []
    for i, row in enumerate(ads, 1):
        if all(_blank(v) for v in row.values()):
            continue
        p = str(row.get("platform") or "").strip().lower()
        where = f"ad option {i} ({p or 'no platform'})"
        if p not in data.platforms:
            raise _error(f"{where}: platform {p!r} is not one of the platforms "
                         f"({', '.join(data.platforms)}). Fix the name, or remove the row.")
        seg = str(row.get("segment") or "").strip()
        if seg.lower() in ("", EVERYONE):
            seg = None
        elif seg != data.segment:
            raise _error(f"{where}: segment {seg!r} is not the target segment "
                         f"({data.segment!r}); choose it or '{EVERYONE}'.")
        ch = {"name": f"{p} ads" + (f" to {seg}" if seg else ""), "platform": p,
              "cpm": _number(row.get("cpm"), "the CPM", where, 0, low_open=True),
              "conversion_rate": _number(row.get("conversion_rate"), "the conversion rate",
                                         where, 0, 1),
              "frequency_cap": _number(row.get("frequency_cap"), "the frequency cap", where, 1,
                                       integer=True),
              "spend": _number(row.get("spend"), "the most to spend", where, 0, low_open=True),
              "slices": _number(row.get("slices") if not _blank(row.get("slices")) else 1,
                                "the number of parts", where, 1, 100, integer=True)}
        if seg:
            ch["segment"] = seg
        names = [c["name"] for c in out]
        if ch["name"] in names:
            ch["name"] += f" ({i})"
        out.append(ch)
    return out


def campaign_config(data, platforms, ads, settings, influencers_path, overlaps_path=None):
    """The config of ``viralsim experiment=campaign_influencers`` the page runs.

    Parameters
    ----------
    data : CampaignData
    platforms : list of dict
        :func:`platform_rows`' keys, one row per platform of the list.
    ads : list of dict
        :func:`ad_rows`' keys; rows with every cell empty are skipped.
    settings : CampaignSettings
    influencers_path, overlaps_path : str
        Where the list (and overlaps) were written.

    Returns
    -------
    dict
        The composed config (plain).

    Raises
    ------
    PlannerError
        A platform or ad row with a bad value, named by its row.
    """
    s = settings
    market, stats, plats = _platform_config(data, platforms)
    if s.goal not in GOAL_WORDS:
        raise _error(f"goal {s.goal!r}: choose adopters (people who buy) or exposure (people "
                     "who see it).")
    inf = {"path": influencers_path, "overlaps": overlaps_path, "market_size": market,
           "segment": data.segment, "platform_stats": stats, "draws": int(s.draws),
           "adopt_per_engagement": float(s.adopt_per_engagement)}
    if s.segment_share is not None:
        inf["segment_share"] = float(s.segment_share)
    channels = _ad_config(data, ads)
    _check_budget(data, channels, s)
    exp = {"name": "campaign_influencers", "influencers": inf, "platforms": plats,
           "segments": [], "channels": channels,
           "budgets": [float(b) for b in s.budgets], "goal": s.goal, "currency": s.currency,
           "n_sims": int(s.n_sims), "select_sims": int(s.select_sims), "alone": True,
           "days": None if s.days is None else int(s.days)}
    return {"experiment": exp, "graph": {"name": "influencer list"}, "rng_seed": int(s.rng_seed),
            "confidence": float(s.confidence), "formats": []}


def _check_budget(data, channels, s):
    """A budget below every option's cost is named with the cheapest option."""
    money = s.currency
    if not s.budgets:
        raise _error("No budget given: type the amount to spend, e.g. 1000.")
    inf = data.influencers
    options = [(float(p), f"{n}'s post") for n, p in zip(inf.names, inf.price.tolist())]
    options += [(c["spend"] / c["slices"], f"a part of the {c['name']}") for c in channels]
    cost, what = min(options)
    if max(s.budgets) < cost * (1 - 1e-9):
        from ..experiments.campaign_mix import money as fmt

        raise _error(f"The budget ({fmt(max(s.budgets), money)}) buys nothing: the cheapest "
                     f"option, {what}, costs {fmt(cost, money)}. Raise the budget, or add a "
                     "cheaper option (an ad bought in more parts).")


_CFG_WORDS = [
    (re.compile(r"experiment\.channels\[(\d+)\] \(([^)]*)\)"),
     lambda m, ads: (f"ad option {ads[int(m.group(1))]} ({m.group(2)})"
                     if int(m.group(1)) < len(ads) else f"influencer {m.group(2)}")),
    (re.compile(r"experiment\.influencers \(([^)]*)\)"), lambda m, ads: f"influencer {m.group(1)}"),
    (re.compile(r"experiment\.platforms\[\d+\] \(([^)]*)\)"), lambda m, ads: f"platform {m.group(1)}"),
    (re.compile(r"^influencer_audiences: "), lambda m, ads: ""),
    (re.compile(r"a larger market_size\['([^']*)'\]"),
     lambda m, ads: f"more consumers on {m.group(1)} in the platform table"),
    (re.compile(r"experiment\.influencers\.market_size"), lambda m, ads: "the market sizes"),
    (re.compile(r"experiment\.influencers\.draws"), lambda m, ads: "audience draws"),
    (re.compile(r"experiment\.budgets(=\[[^\]]*\])?"), lambda m, ads: "the budget"),
    (re.compile(r"experiment\.days(=\S+)?"), lambda m, ads: "the deadline"),
    (re.compile(r"experiment\.(n_sims|select_sims)(=\S+)?"), lambda m, ads: "the worlds"),
]


def _page_words(msg, ad_numbers):
    """An experiment's config words in the page's: ``experiment.channels[2] (x)`` is
    ``ad option <its row> (x)``."""
    for rx, words in _CFG_WORDS:
        msg = rx.sub(lambda m, w=words: w(m, ad_numbers), msg)
    return msg


# ---------------------------------------------------------------------- running
@dataclass
class CampaignResults:
    """A finished campaign run: the experiment's objects and the answer's tables.

    Attributes
    ----------
    mix : Mix
        :func:`viralsim.experiments.campaign_mix.mix_of`'s.
    plans_at : dict
        Budget -> ``plan_budget``'s plans (the mix first).
    estimates : dict
        ``evaluate_plans``' estimates (sorted unit positions -> CampaignEstimate).
    rows : list of dict
        ``result_rows``: one per budget and plan.
    plans : list of dict
        ``plan_rows``: each plan's units in the order bought.
    ranges : dict
        Budget -> the mix across audience draws (DrawsEstimate), or empty.
    report : str
        The experiment's ``report.md``.
    settings : CampaignSettings
    elapsed : float
    """

    mix: object
    plans_at: dict
    estimates: dict
    rows: list
    plans: list
    ranges: dict
    report: str
    settings: CampaignSettings
    data: CampaignData
    config: dict
    elapsed: float = 0.0

    @property
    def budgets(self):
        return list(self.plans_at)

    def estimate(self, plan):
        """The CampaignEstimate of a ``plan_budget`` plan."""
        return self.estimates[tuple(sorted(plan["units"]))]

    def best_single(self, budget):
        """The best single-platform plan at ``budget`` (the highest in the reported
        worlds), or None with one platform."""
        singles = [p for p in self.plans_at[budget] if p["kind"] == "platform"]
        key = "reach" if self.mix.goal == "adopters" else "exposure"
        return max(singles, key=lambda p: self.estimate(p).metrics[key].mean, default=None)


def _check(cancel):
    if cancel is not None and cancel.is_set():
        from .core import Cancelled

        raise Cancelled()


def _list_config(data, platforms, ads, settings, tmp):
    """The influencer list's config, its files written to ``tmp``; and the temporary
    paths with the uploaded names."""
    ipath = os.path.join(tmp, "influencers.csv")
    with open(ipath, "wb") as fh:
        fh.write(data.data)
    paths = {ipath: data.name}
    opath = None
    if data.overlaps:
        opath = os.path.join(tmp, "overlaps.csv")
        with open(opath, "wb") as fh:
            fh.write(data.overlaps)
        paths[opath] = data.overlaps_name
    return campaign_config(data, platforms, ads, settings, ipath, opath), paths


def _files_config(files, platforms, ads, settings, tmp):
    """The follower files' config (``experiment=campaign_mix`` with a ``path`` per
    platform), each file's ties written to ``tmp`` as ``source,target``; and the
    temporary paths with the uploaded names."""
    s = settings
    paths, conf, seen = {}, [], {}
    for i, row in enumerate(platforms, 1):
        p = str(row.get("platform") or "").strip().lower()
        where = f"platform row {i} ({p or 'no name'})"
        if p not in files.layers:
            raise _error(f"{where}: no follower file for {p!r} (files: "
                         f"{', '.join(files.platforms)}). Fix the name.")
        seen[p] = {
            "comment_prob": _number(row.get("comment_prob"), "the comment chance", where, 0, 1),
            "organic_reach": _number(row.get("organic_reach"), "the share shown a post", where,
                                     0, 1),
            "delay": _number(row.get("delay_days"), "the mean delay in days", where, 1)}
    for p, d in files.layers.items():
        if p not in seen:
            raise _error(f"The platform table has no row for {p}: add one.")
        path = os.path.join(tmp, f"{p}.csv")
        src, dst, _ = d.graph.edges()
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["source", "target"])
            w.writerows(zip(src.tolist(), dst.tolist()))
        paths[path] = files.summary["files"][p]
        delay = seen[p]["delay"]
        conf.append({"name": p, "path": path, "comment_prob": seen[p]["comment_prob"],
                     "delay": 1 if delay == 1 else {"mean_days": float(delay)}})
    channels = _ad_config(files, ads)
    inf = files.influencers
    if inf is not None:
        il = inf.influencers
        for n, p, f, er, price in zip(il.names, il.platforms, il.followers.tolist(),
                                      il.engagement_rate.tolist(), il.price.tolist()):
            reach = seen[p]["organic_reach"]
            post = {"name": n, "kind": "post", "platform": p, "organic_reach": reach,
                    # a follower adopts with engagement x adoptions per engagement overall,
                    # as viralsim.audiences' posts (step 4 of its model)
                    "adoption_rate": (min(1.0, er * s.adopt_per_engagement / reach)
                                      if reach > 0 else 0.0), "cost": float(price)}
            if n in files.summary["accounts"]:
                post["account"] = n
            else:
                post["n_followers"] = int(f)
            channels.append(post)
        _check_budget(inf, channels[:len(channels) - len(il)], s)
    if not channels:
        raise _error("Nothing to buy: add ad options, or upload an influencer list whose "
                     "influencers post on these platforms.")
    share = s.segment_share if s.segment_share else 0.2
    exp = {"name": "campaign_mix", "platforms": conf,
           "segments": [{"name": files.segment, "share": float(share)}],
           "channels": channels, "budgets": [float(b) for b in s.budgets], "goal": s.goal,
           "currency": s.currency, "n_sims": int(s.n_sims), "select_sims": int(s.select_sims),
           "alone": True, "days": None if s.days is None else int(s.days)}
    cfg = {"experiment": exp, "graph": {"name": "follower files"},
           "probabilities": {"scheme": "weighted_cascade"}, "rng_seed": int(s.rng_seed),
           "confidence": float(s.confidence), "formats": []}
    return cfg, paths


def run_campaign(data, platforms, ads, settings, *, progress=None, cancel=None):
    """Plan the budget(s) across the list's influencers and the ad options.

    The steps of ``viralsim experiment=campaign_influencers`` on
    :func:`campaign_config`'s config: the same plans and numbers as that
    experiment with the same settings and seed.

    Parameters
    ----------
    data : CampaignData
    platforms : list of dict
        One row per platform (:func:`platform_rows`).
    ads : list of dict
        Ad options (:func:`ad_rows`); may be empty (posts only).
    settings : CampaignSettings
    progress : callable, optional
        ``progress(fraction, text)`` between steps.
    cancel : threading.Event, optional
        Set: the run stops at the next step with :class:`~viralsim.planner.Cancelled`.

    Returns
    -------
    CampaignResults

    Raises
    ------
    PlannerError
        One line in the page's words.

    Examples
    --------
    >>> from viralsim.planner import CampaignSettings, example_campaign, run_campaign
    >>> d, plats, ads = example_campaign()
    >>> r = run_campaign(d, plats, ads, CampaignSettings(budgets=[600], n_sims=100,
    ...                  select_sims=50, draws=1))
    >>> r.rows[0]["plan"], r.rows[0]["cost"] <= 600
    ('best mix', True)
    """
    from ..experiments import campaign_mix as cm

    def step(frac, text):
        _check(cancel)
        if progress is not None:
            progress(frac, text)

    t0 = time.time()
    ad_numbers = [i for i, row in enumerate(ads) if not all(_blank(v) for v in row.values())]
    ad_numbers = [i + 1 for i in ad_numbers]
    files = isinstance(data, PlatformFiles)
    step(0.0, "Reading the platforms' follower files" if files else
         "Drawing the audiences behind the influencer list")
    tmp = tempfile.mkdtemp(prefix="viralsim-planner-")
    try:
        if files:
            cfg, paths = _files_config(data, platforms, ads, settings, tmp)
        else:
            cfg, paths = _list_config(data, platforms, ads, settings, tmp)
        try:
            m = cm.mix_of(cfg)
        except (ValueError, TypeError, LookupError, OSError, ViralsimError) as exc:
            raise _error(_page_words(_one_line(exc, paths), ad_numbers)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(m.budgets)
    plans_at, skipped = {}, []
    for j, b in enumerate(m.budgets):
        step(0.1 + 0.5 * j / n, f"Choosing the mix for {m.money(b)} (in "
                                f"{m.select_sims:,} worlds)")
        plans = cm.plan_budget(m, b)
        if plans:
            plans_at[b] = plans
        else:
            skipped.append(b)
    if not plans_at:
        raise _error(f"The budget ({', '.join(m.money(b) for b in skipped)}) buys nothing: "
                     "every influencer and ad option costs more. Raise it, or add cheaper "
                     "options (an ad bought in more parts).")
    step(0.6, f"Estimating every plan in {m.n_sims:,} other worlds")
    ests = cm.evaluate_plans(m, plans_at)
    step(0.8, "The best mix on other draws of the audiences")
    ranges = cm.audience_ranges(m, plans_at)
    step(0.95, "Writing the answer")
    rows = cm.result_rows(m, plans_at, ests, ranges)
    prow = cm.plan_rows(m, plans_at)
    text = cm.mix_report(m, plans_at, ests, rows, {},
                         dict(m.info.report_settings, assumption=m.assumption), skipped, ranges)
    step(1.0, "Done")
    return CampaignResults(m, plans_at, ests, rows, prow, ranges, text, settings, data, cfg,
                           time.time() - t0)


# ---------------------------------------------------------------------- the answer
def campaign_paragraph(results):
    """The plain-words answer: per budget, what to buy and what it reaches by the
    deadline, against the best single-platform plan, and the range across audience
    draws (the experiment's report, its first section, without Markdown)."""
    lines = results.report.split("\n")
    start = next(i for i, x in enumerate(lines) if x.startswith("- "))
    out = []
    for x in lines[start:]:
        if not x.strip():
            break
        out.append(x[2:] if x.startswith("- ") else " " + x.strip())
    text = "\n".join(out).replace("**", "")
    return re.sub(r"\n ", " ", text)


def how_paragraph(results):
    """How the plans were chosen and what the numbers assume (the report's words)."""
    lines = results.report.split("\n")
    how = next((x for x in lines if x.startswith("Plans are chosen")), "")
    assume = results.mix.assumption or ""
    return (how + " " + assume + " Market sizes, platform statistics, CPMs and conversion "
            "rates are the ones in the tables above: placeholders until you enter your "
            "platforms' own.").strip()


def mix_rows(results, budget=None):
    """What the best mix at ``budget`` (default the largest) buys, one row per channel
    in the order first bought: ``buy``, ``kind``, ``platform``, ``parts``, ``cost``
    and ``what`` (the experiment's ``plan.csv`` rows, an ad's parts added up)."""
    budget = results.budgets[-1] if budget is None else budget
    out = {}
    for r in results.plans:
        if r["budget"] != budget or r["plan"] != "best mix":
            continue
        row = out.setdefault(r["channel"], {
            "buy": r["channel"], "kind": {"post": "influencer post", "ad": "ads",
                                          "seeds": "free samples"}.get(r["kind"], r["kind"]),
            "platform": r["platform"], "parts": 0, "cost": 0.0, "what": r["what"]})
        row["parts"] += 1
        row["cost"] += float(r["cost"])
    return list(out.values())


def comparison_rows(results, budget=None):
    """The best mix, each platform alone and each channel alone at ``budget``: cost,
    adopters and people who see it (mean and interval), the difference from the mix in
    the goal's count (paired), and the mix's range across audience draws."""
    budget = results.budgets[-1] if budget is None else budget
    out = []
    for r in results.rows:
        if r["budget"] != budget:
            continue
        row = {"plan": r["plan"], "kind": r["kind"], "cost": r["cost"],
               "adopters": r["mean"], "adopters_low": r["ci_low"], "adopters_high": r["ci_high"],
               "see_it": r["exposure"], "see_it_low": r["exposure_ci_low"],
               "see_it_high": r["exposure_ci_high"], "vs_mix": r["diff"],
               "vs_mix_low": r["diff_ci_low"], "vs_mix_high": r["diff_ci_high"]}
        if r.get("draws") is not None:
            row.update(draws=r["draws"], draws_low=r["draws_low"], draws_high=r["draws_high"])
        if r.get("days") is not None:
            row["by_day"] = r["days"]
        out.append(row)
    return out


def by_day_rows(results, budget=None):
    """People reached by the end of each day (adopters and people who see it, with
    their intervals) for the best mix and the best single-platform plan at ``budget``;
    by round when the run has no deadline."""
    budget = results.budgets[-1] if budget is None else budget
    plans = [results.plans_at[budget][0]]
    single = results.best_single(budget)
    if single is not None and sorted(single["units"]) != sorted(plans[0]["units"]):
        plans.append(single)
    out = []
    for p in plans:
        est = results.estimate(p)
        if est.reach_by_day is not None:
            r, x = est.reach_by_day, est.exposure_by_day
            # every day up to the deadline (word of mouth may have ended before it:
            # then the later days equal the last one)
            last = r.horizon if isinstance(r.horizon, int) else len(r) - 1
            for d in range(last + 1):
                a, e = r.at(d), x.at(d)
                out.append({"plan": p["plan"], "day": d, "adopters": a.mean,
                            "adopters_low": a.ci_low, "adopters_high": a.ci_high,
                            "see_it": e.mean, "see_it_low": e.ci_low, "see_it_high": e.ci_high})
        else:
            t = np.cumsum(np.asarray(est.timeline, dtype=float))
            for d, v in enumerate(t.tolist()):
                out.append({"plan": p["plan"], "round": d, "adopters": v})
    return out


def figure_by_day(results, budget=None):
    """Adopters (or people who see it, with that goal) by day: the mix and the best
    single-platform plan with their bands, and the mix's range across audience draws
    at the deadline."""
    from .. import plots

    budget = results.budgets[-1] if budget is None else budget
    rows = by_day_rows(results, budget)
    key = "adopters" if results.mix.goal == "adopters" else "see_it"
    unit = "day" if rows and "day" in rows[0] else "round"
    ax = plots._axes(None)
    for name in dict.fromkeys(r["plan"] for r in rows):
        mine = [r for r in rows if r["plan"] == name]
        x = [r[unit] for r in mine]
        ax.plot(x, [r[key] for r in mine], marker="o", ms=3, label=name)
        if f"{key}_low" in mine[0]:
            ax.fill_between(x, [r[f"{key}_low"] for r in mine], [r[f"{key}_high"] for r in mine],
                            alpha=0.2)
    rng_ = results.ranges.get(budget)
    if rng_ is not None and rows:
        r = getattr(rng_, "reach" if key == "adopters" else "exposure")
        last = max(x[unit] for x in rows)
        ax.errorbar([last + 0.15], [r.central], yerr=[[r.central - r.low], [r.high - r.central]],
                    fmt="s", color="black", capsize=4, label=f"best mix, {r.means.size} audience draws")
    ax.set_xlabel(unit)
    ax.set_ylabel("adopters so far" if key == "adopters" else "people who saw it so far")
    ax.set_title(f"by {unit}, budget {results.mix.money(budget)}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax.figure


def _csv_bytes(rows):
    from .core import _csv_bytes as to_csv

    return to_csv(rows)


def campaign_csv(results):
    """The comparison at every budget as CSV bytes (one row per budget and plan:
    the experiment's ``results.csv`` columns)."""
    return _csv_bytes(results.rows)


def campaign_zip(results):
    """One zip: ``report.md`` (the experiment's report), ``results.csv``, ``plan.csv``
    (each plan's units) and ``by_day.csv``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("report.md", results.report)
        z.writestr("results.csv", campaign_csv(results))
        z.writestr("plan.csv", _csv_bytes(results.plans))
        z.writestr("by_day.csv", _csv_bytes(
            [dict(budget=b, **r) for b in results.budgets for r in by_day_rows(results, b)]))
    return buf.getvalue()

