"""Plan a multi-platform campaign from an influencer list and an ad budget (issue 18).

    python experiments/influencer_campaign.py [--budget 1000] [--draws 3] [--sims 200]
        [--influencers experiments/influencers/influencers_example.csv]
        [--overlaps experiments/influencers/influencer_overlaps_example.csv]
        [--out experiments/results/influencer_campaign] [--scale 1.0] [--rng 0]

The marketer's inputs: 12 candidate influencers on Instagram, TikTok and
YouTube (followers in the market, engagement rate, price per post, share of
the audience who run; some pairwise overlaps), the platforms' audiences in the
market, ad prices (CPM) and one budget. No consumer graph: each audience draw
is built by :func:`viralsim.influencer_audiences` (followers matching the
counts, overlaps and segment shares; consumer ties from a power-law
generator). One budget is spent by :func:`viralsim.allocate_budget` across
the influencers' posts and ad slices targeted at runners, on each of
``--draws`` audiences; the plan chosen most often is re-estimated on fresh
audiences and worlds, as is the best plan restricted to each single platform
(same audiences and worlds: a paired comparison). The report says in plain
words which mix to buy and what it reaches; ``plans.csv`` holds the table.

``--scale`` shrinks the market, follower counts and overlaps (and raises the
CPMs by the same factor, so ads buy proportionally fewer impressions): the
CI test runs the study at ``--scale 0.05``.

Every number below marked ASSUMPTION is a placeholder a marketer replaces
with the platforms' own statistics for their market.
"""

import argparse
import csv
import json
import math
import os
import sys
import time

import numpy as np

import viralsim as vs
from viralsim.audiences import (
    InfluencerList,
    _platform_word,
    allocate_across_draws,
    describe_plan,
    draw_audiences,
)

HERE = os.path.dirname(os.path.abspath(__file__))
SEGMENT = "runners"
# ASSUMPTION: consumers on each platform in the market (a city of ~150,000 adults; the
# largest platform's users are the population, the others random subsets of it)
MARKET = {"instagram": 100_000, "tiktok": 70_000, "youtube": 80_000}
SEGMENT_SHARE = 0.22  # ASSUMPTION: share of the market who run
# ASSUMPTION: per platform, ties among local consumers and how they act on a post
PLATFORM_STATS = {
    "instagram": {"avg_degree": 12.0, "exponent": 2.4, "edge_prob": 0.02,
                  "comment_prob": 0.3, "organic_reach": 0.15},
    "tiktok": {"avg_degree": 8.0, "exponent": 2.3, "edge_prob": 0.015,
               "comment_prob": 0.2, "organic_reach": 0.35},
    "youtube": {"avg_degree": 3.0, "exponent": 2.6, "edge_prob": 0.01,
                "comment_prob": 0.1, "organic_reach": 0.25},
}
ADOPT_PER_ENGAGEMENT = 0.05  # ASSUMPTION: one adopter per 20 engagements
# ASSUMPTION: ads to runners: price per 1,000 impressions and chance one impression persuades
ADS = {"instagram": (7.0, 0.001), "tiktok": (5.0, 0.0008), "youtube": (9.0, 0.0012)}
AD_SLICE, AD_SLICES, FREQUENCY_CAP = 100.0, 3, 3
CURRENCY = "€"


def _n(x):
    """A number of people as a reader wants it: 1,850, never -0."""
    t = f"{x:,.0f}"
    return "0" if t == "-0" else t


def _args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--influencers", default=os.path.join(HERE, "influencers",
                                                          "influencers_example.csv"))
    ap.add_argument("--overlaps", default=os.path.join(HERE, "influencers",
                                                       "influencer_overlaps_example.csv"))
    ap.add_argument("--budget", type=float, default=1000.0)
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--sims", type=int, default=200)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--rng", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "influencer_campaign"))
    return ap.parse_args(argv)


def _scaled(inf, s):
    """The list with followers and overlaps times ``s`` (at least 1 follower)."""
    if s == 1.0:
        return inf
    fol = np.maximum(1, np.round(inf.followers * s)).astype(np.int64)
    ov = {k: min(int(round(v * s)), int(min(fol[inf.index(k[0])], fol[inf.index(k[1])])))
          for k, v in inf.overlaps.items()}
    return InfluencerList(inf.names, inf.platforms, fol, inf.engagement_rate, inf.price,
                          inf.segment_share, ov, inf.segment, source=inf.source)


def _ad_units(scale):
    return [vs.AdBuy(spend=AD_SLICE, cpm=cpm / scale, segment=SEGMENT,
                     frequency_cap=FREQUENCY_CAP, conversion_rate=conv, platform=p)
            for p, (cpm, conv) in ADS.items() for _ in range(AD_SLICES)]


def _by_round(result, share=0.9):
    """Rounds of word of mouth by which ``share`` of the adopters are reached (mean
    timeline over the draws; round 0 is the posts' and ads' own adopters)."""
    tls = [e.timeline for e in result.estimates]
    n = max(t.size for t in tls)
    tl = np.mean([np.pad(t, (0, n - t.size)) for t in tls], axis=0)
    cum = np.cumsum(tl)
    return int(np.searchsorted(cum, share * cum[-1] - 1e-9)), cum


def _paired(a, b):
    """Mean per-world difference of reach, a - b, pooled over the draws (same audiences,
    same worlds), with its 95% half-width, and the range of the draws' mean differences."""
    d = [ea.per_world["reach"] - eb.per_world["reach"]
         for ea, eb in zip(a.estimates, b.estimates)]
    allv = np.concatenate(d).astype(np.float64)
    hw = 1.96 * allv.std(ddof=1) / math.sqrt(allv.size) if allv.size > 1 else 0.0
    per = [float(x.mean()) for x in d]
    return float(allv.mean()), hw, min(per), max(per)


def _versus(diff):
    """The paired difference mix - best single platform, in words."""
    d, hw, lo, hi = diff
    if abs(d) <= hw:
        return (f"the difference, {_n(d)} ± {_n(hw)} people in the same worlds ({_n(lo)} to "
                f"{_n(hi)} across draws), is within the simulation's noise.")
    word = "more" if d > 0 else "fewer"
    return (f"the mix reaches {_n(abs(d))} ± {_n(hw)} {word} people in the same worlds "
            f"({_n(lo)} to {_n(hi)} across draws).")


def _row(label, alloc, inf):
    r = alloc.result
    seg = np.array([e.metrics["segment_reach"].mean for e in r.estimates])
    return {
        "plan": label,
        "buy": describe_plan(alloc.plan, CURRENCY, inf),
        "cost": round(alloc.cost, 2),
        "reach": round(r.reach.central, 1),
        "reach_pm": round(r.reach.half_width, 1),
        "reach_low": round(r.reach.low, 1),
        "reach_high": round(r.reach.high, 1),
        "runners_reached": round(float(np.median(seg)), 1),
        "exposure": round(r.exposure.central, 1),
        "exposure_pm": round(r.exposure.half_width, 1),
        "chosen_on": f"{alloc.picked_in}/{len(alloc.allocations)}",
    }


def main(argv=None):
    a = _args(argv)
    t0 = time.perf_counter()
    inf = _scaled(vs.read_influencers(a.influencers, overlaps=a.overlaps, segment=SEGMENT),
                  a.scale)
    market = {p: max(2, int(round(n * a.scale))) for p, n in MARKET.items()}
    opts = dict(market_size=market, segment_share=SEGMENT_SHARE, platform_stats=PLATFORM_STATS,
                adopt_per_engagement=ADOPT_PER_ENGAGEMENT)
    model = vs.IC(segment_attr=SEGMENT)
    # every plan is chosen on the same audiences and re-estimated on the same fresh ones,
    # in the same worlds (the same rng): the comparison between rows is paired
    auds = draw_audiences(inf, a.draws, rng=a.rng, **opts)
    check = draw_audiences(inf, a.draws, rng=a.rng + 10_000, **opts)
    common = dict(audiences=auds, check_audiences=check, rng=a.rng, n_sims=a.sims, model=model)
    ads = _ad_units(a.scale)
    plans = {"mix": allocate_across_draws(inf, a.budget, ads=ads, **common)}
    for p in inf.platform_names:
        plans[p] = allocate_across_draws(inf, a.budget, ads=ads, platforms=[p], **common)
    single = max(inf.platform_names, key=lambda p: plans[p].result.reach.central)
    rows = [_row("best mix (all platforms)", plans["mix"], inf)]
    rows += [_row(f"{_platform_word(p)} only", plans[p], inf) for p in inf.platform_names]
    diff = _paired(plans["mix"].result, plans[single].result)
    rounds, _ = _by_round(plans["mix"].result)
    elapsed = time.perf_counter() - t0
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "plans.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    text = _report(a, inf, market, plans, single, rows, diff, rounds, elapsed)
    with open(os.path.join(a.out, "report.md"), "w") as fh:
        fh.write(text)
    with open(os.path.join(a.out, "results.json"), "w") as fh:
        json.dump({"rows": rows, "best_single_platform": single, "paired_difference": diff,
                   "rounds_to_90pct": rounds, "seconds": elapsed, "args": vars(a)}, fh,
                  indent=1)
    print(text)
    return {"rows": rows, "plans": plans, "single": single, "diff": diff, "rounds": rounds,
            "report": text, "seconds": elapsed}


def _report(a, inf, market, plans, single, rows, diff, rounds, elapsed):
    mix, best = plans["mix"], plans[single]
    c = CURRENCY
    # the sentence quotes the table's numbers (rounded once, in _row)
    r = rows[0]
    b = next(row for row in rows if row["plan"] == f"{_platform_word(single)} only")
    answer = (
        f"With {c}{_n(a.budget)}, buy {describe_plan(mix.plan, c, inf)} "
        f"(cost {c}{_n(mix.cost)}). It reaches {_n(r['reach'])} ± {_n(r['reach_pm'])} people "
        f"({_n(r['reach_low'])} to {_n(r['reach_high'])} across {a.draws} audience draws), "
        f"{_n(r['runners_reached'])} of them runners, and {_n(r['exposure'])} people see it; "
        f"90% of those adopters are reached within {rounds} round{'' if rounds == 1 else 's'} "
        f"of word of mouth after the posts and ads. The best single-platform plan "
        f"({_platform_word(single)}: {describe_plan(best.plan, c, inf)}) reaches "
        f"{_n(b['reach'])} ± {_n(b['reach_pm'])}; {_versus(diff)}"
    )
    head = ["plan", "buy", "cost", "reach (± simulation, 95%)", "range across draws",
            "runners reached", "people who see it", "chosen on draws"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        lines.append(
            f"| {row['plan']} | {row['buy']} | {c}{_n(row['cost'])} | {_n(row['reach'])} ± "
            f"{_n(row['reach_pm'])} | {_n(row['reach_low'])} to {_n(row['reach_high'])} | "
            f"{_n(row['runners_reached'])} | {_n(row['exposure'])} ± "
            f"{_n(row['exposure_pm'])} | {row['chosen_on']} |")
    stats = "; ".join(
        f"{_platform_word(p)}: {market[p]:,} consumers, {s['avg_degree']:g} ties each, "
        f"edge {s['edge_prob']:g}, comments {s['comment_prob']:g}, organic reach "
        f"{s['organic_reach']:.0%}" for p, s in PLATFORM_STATS.items() if p in market)
    ads = "; ".join(f"{_platform_word(p)} CPM {c}{cpm / a.scale:g}, conversion {conv:.2%}"
                    for p, (cpm, conv) in ADS.items())
    return "\n".join([
        "# Influencer campaign: which mix to buy",
        "",
        answer,
        "",
        "\n".join(lines),
        "",
        "How to read it: **±** is the simulation's 95% interval on one audience draw (the "
        "median over draws); the **range across draws** is the lowest and highest estimate over "
        f"{a.draws} audiences drawn from the same influencer list, the uncertainty of not "
        "knowing who exactly follows whom. Each plan was chosen by `allocate_budget` (greedy "
        "on gain per cost, within (1 - 1/e)/2 of the best plan) on each draw; the plan chosen "
        "most often was re-estimated on fresh audiences and worlds, the same ones for every "
        "row (paired).",
        "",
        "## Inputs",
        "",
        f"- Influencers: `{os.path.relpath(a.influencers)}` ({len(inf)} influencers), overlaps "
        f"`{os.path.relpath(a.overlaps)}` ({len(inf.overlaps)} pairs).",
        f"- Budget {c}{_n(a.budget)}; ads to {SEGMENT!r} in slices of {c}{AD_SLICE:g} (up to "
        f"{AD_SLICES} per platform), frequency cap {FREQUENCY_CAP}: {ads}.",
        f"- Market (assumptions): {stats}. Runners: {SEGMENT_SHARE:.0%} of the market. "
        f"A follower adopts after a post with engagement rate × {ADOPT_PER_ENGAGEMENT:g}.",
        f"- {a.draws} audience draws, {a.sims} worlds per plan evaluation ({2 * a.sims} for "
        f"the re-estimates), rng {a.rng}, scale {a.scale:g}; {elapsed:.0f} s.",
        "",
        "A round is one exchange of comments; the study assumes no delays (the by-day "
        "timeline is issue 18 item 5).",
        "",
    ])


if __name__ == "__main__":
    main(sys.argv[1:])
