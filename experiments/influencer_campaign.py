"""Plan a multi-platform campaign from an influencer list and an ad budget (issue 18).

    python experiments/influencer_campaign.py [--budget 1000] [--deadline 7] [--early 3]
        [--draws 3] [--sims 200]
        [--influencers experiments/influencers/influencers_example.csv]
        [--overlaps experiments/influencers/influencer_overlaps_example.csv]
        [--out experiments/results/influencer_campaign] [--scale 1.0] [--rng 0]
        [--record benchmarks/results/2026-12-05-2cpu-influencer-campaign]

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
(same audiences and worlds: a paired comparison). Time: each platform has a
delay between seeing a comment and acting on it (``DELAY_MEAN_DAYS``), the
posts and ads act on day 0, and every plan is chosen for, and reports, the
people reached by the end of day ``--deadline`` (``allocate_across_draws(...,
deadline=, delay=)``). The report says in plain words which mix to buy and
what it reaches by when (by the deadline and by day ``--early``);
``plans.csv`` holds the table, ``by_day.csv`` the reach of every plan by the
end of each day.

``--record PREFIX`` also writes ``PREFIX.md`` (the report and how the run went:
command, commit, wall and CPU time, the machine's load) and ``PREFIX.csv``
(the table): the benchmark results file is this command's output, nothing
edited by hand.

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
# ASSUMPTION: mean days between seeing an adopter's comment and acting on it, per platform
# (geometric: each day from the next one, a follower who has not acted yet acts with
# probability 1 / mean): short-video feeds are acted on soonest, long videos are watched
# days later. The posts' and ads' own adopters act on day 0.
DELAY_MEAN_DAYS = {"instagram": 2.0, "tiktok": 1.5, "youtube": 4.0}
DELAYS = {p: vs.Delay.geometric(m) for p, m in DELAY_MEAN_DAYS.items()}
DEADLINE, EARLY = 7, 3  # ASSUMPTION: the campaign's deadline, and an earlier day to report
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
    ap.add_argument("--deadline", type=int, default=DEADLINE,
                    help="plans are chosen for the people reached by the end of this day")
    ap.add_argument("--early", type=int, default=EARLY,
                    help="an earlier day also reported (at most the deadline)")
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--sims", type=int, default=200)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--rng", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "influencer_campaign"))
    ap.add_argument("--record", default=None, metavar="PREFIX",
                    help="also write PREFIX.md (report and run conditions) and PREFIX.csv")
    a = ap.parse_args(argv)
    if a.deadline < 0 or not 0 <= a.early <= a.deadline:
        ap.error(f"--deadline {a.deadline} --early {a.early}: give 0 <= early <= deadline.")
    return a


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


def _row(label, alloc, inf, early):
    """One plan's row of plans.csv: reach, runners and exposure by the deadline (the
    median over the draws, its simulation ± and the range across draws), reach by
    day ``early``."""
    r = alloc.result
    seg = np.array([e.metrics["segment_reach"].mean for e in r.estimates])
    e = r.by_day(early)
    return {
        "plan": label,
        "buy": describe_plan(alloc.plan, CURRENCY, inf),
        "cost": round(alloc.cost, 2),
        "deadline_day": r.max_days,
        "reach": round(r.reach.central, 1),
        "reach_pm": round(r.reach.half_width, 1),
        "reach_low": round(r.reach.low, 1),
        "reach_high": round(r.reach.high, 1),
        "early_day": early,
        "reach_early": round(e.central, 1),
        "reach_early_pm": round(e.half_width, 1),
        "runners_reached": round(float(np.median(seg)), 1),
        "exposure": round(r.exposure.central, 1),
        "exposure_pm": round(r.exposure.half_width, 1),
        "chosen_on": f"{alloc.picked_in}/{len(alloc.allocations)}",
    }


def _day_rows(label, alloc):
    """by_day.csv: the plan's adopters and people who saw it by the end of each day
    (median over the draws, simulation ±, range across draws)."""
    r = alloc.result
    out = []
    for d in range(r.max_days + 1):
        x, v = r.by_day(d), r.by_day(d, "exposure")
        out.append({"plan": label, "day": d, "reach": round(x.central, 1),
                    "reach_pm": round(x.half_width, 1), "reach_low": round(x.low, 1),
                    "reach_high": round(x.high, 1), "exposure": round(v.central, 1),
                    "exposure_pm": round(v.half_width, 1)})
    return out


def _write_csv(path, rows):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def main(argv=None):
    a = _args(argv)
    t0, c0, load0 = time.perf_counter(), time.process_time(), _load()
    commit = _commit()  # the code that runs, before anything can change it
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
    # every plan is chosen for, and reports, the people reached by the deadline
    common = dict(audiences=auds, check_audiences=check, rng=a.rng, n_sims=a.sims, model=model,
                  deadline=a.deadline, delay=DELAYS)
    ads = _ad_units(a.scale)
    plans = {"mix": allocate_across_draws(inf, a.budget, ads=ads, **common)}
    for p in inf.platform_names:
        plans[p] = allocate_across_draws(inf, a.budget, ads=ads, platforms=[p], **common)
    single = max(inf.platform_names, key=lambda p: plans[p].result.reach.central)
    labels = {"mix": "best mix (all platforms)"}
    labels.update({p: f"{_platform_word(p)} only" for p in inf.platform_names})
    rows = [_row(labels[k], plans[k], inf, a.early) for k in labels]
    days = [x for k in labels for x in _day_rows(labels[k], plans[k])]
    diff = _paired(plans["mix"].result, plans[single].result)
    run = {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
           "load_start": load0, "load_end": _load(), "commit": commit}
    os.makedirs(a.out, exist_ok=True)
    _write_csv(os.path.join(a.out, "plans.csv"), rows)
    _write_csv(os.path.join(a.out, "by_day.csv"), days)
    text = _report(a, inf, market, plans, single, rows, days, diff, run["seconds"])
    with open(os.path.join(a.out, "report.md"), "w") as fh:
        fh.write(text)
    with open(os.path.join(a.out, "results.json"), "w") as fh:
        json.dump({"rows": rows, "by_day": days, "best_single_platform": single,
                   "paired_difference": diff, "run": run, "args": vars(a)}, fh, indent=1)
    if a.record:
        _record(a, argv, text, rows, run)
    print(text)
    return {"rows": rows, "by_day": days, "plans": plans, "single": single, "diff": diff,
            "report": text, "seconds": run["seconds"]}


def _load():
    """The 1-minute load average (None where the system does not say)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _commit():
    """The checkout's commit, flagged when tracked files differ from it."""
    import subprocess

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=HERE, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + (" (with uncommitted changes)" if dirty.strip() else "")


def _record(a, argv, text, rows, run):
    """PREFIX.md (the report and the run's conditions) and PREFIX.csv (plans.csv)."""
    import platform

    commit = run["commit"]
    args = " ".join(sys.argv[1:] if argv is None else argv)
    cmd = f"python experiments/influencer_campaign.py {args}".strip()
    how = (f"Run: `{cmd}` at commit {commit}, viralsim {vs.__version__}, Python "
           f"{platform.python_version()}, {os.cpu_count()} CPU cores; load average (1 min) "
           f"{run['load_start']} at the start and {run['load_end']} at the end (the machine "
           f"is shared: a load above the core count means other work ran beside this); "
           f"{run['seconds']:.0f} s wall, {run['cpu_seconds']:.0f} s CPU in this process. "
           "The same command gives the same numbers (fixed rng); the times vary with load. "
           "This file and the CSV beside it are that command's output, unedited.")
    os.makedirs(os.path.dirname(os.path.abspath(a.record)), exist_ok=True)
    with open(a.record + ".md", "w") as fh:
        fh.write(text.rstrip("\n") + "\n\n" + how + "\n")
    _write_csv(a.record + ".csv", rows)


def _by_day_table(rows, days, single_label, early, deadline):
    """Reach by the end of each day, the mix beside the best single-platform plan."""
    mix, one = rows[0]["plan"], single_label
    head = ["end of day", "best mix: adopters (± simulation)",
            f"{one}: adopters (± simulation)", "best mix: people who saw it"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    by = {(x["plan"], x["day"]): x for x in days}
    for d in range(deadline + 1):
        m, s = by[(mix, d)], by[(one, d)]
        mark = " (deadline)" if d == deadline else (" (early)" if d == early else "")
        lines.append(f"| {d}{mark} | {_n(m['reach'])} ± {_n(m['reach_pm'])} | "
                     f"{_n(s['reach'])} ± {_n(s['reach_pm'])} | {_n(m['exposure'])} |")
    return "\n".join(lines)


def _report(a, inf, market, plans, single, rows, days, diff, elapsed):
    mix, best = plans["mix"], plans[single]
    c = CURRENCY
    dl, ea = a.deadline, a.early
    # the sentence quotes the table's numbers (rounded once, in _row)
    r = rows[0]
    label = f"{_platform_word(single)} only"
    b = next(row for row in rows if row["plan"] == label)
    answer = (
        f"With {c}{_n(a.budget)} and a deadline of day {dl}, buy "
        f"{describe_plan(mix.plan, c, inf)} (cost {c}{_n(mix.cost)}). By the end of day {dl} "
        f"it reaches {_n(r['reach'])} ± {_n(r['reach_pm'])} people ({_n(r['reach_low'])} to "
        f"{_n(r['reach_high'])} across {a.draws} audience draws), {_n(r['runners_reached'])} "
        f"of them runners, and {_n(r['exposure'])} people see it; by day {ea}, "
        f"{_n(r['reach_early'])} ± {_n(r['reach_early_pm'])} people. The best single-platform "
        f"plan for the same deadline ({_platform_word(single)}: "
        f"{describe_plan(best.plan, c, inf)}) reaches {_n(b['reach'])} ± {_n(b['reach_pm'])} "
        f"by day {dl} ({_n(b['reach_early'])} ± {_n(b['reach_early_pm'])} by day {ea}); by "
        f"day {dl}, {_versus(diff)}"
    )
    head = ["plan", "buy", "cost", f"reach by day {dl} (± simulation, 95%)",
            "range across draws", f"reach by day {ea}", "runners reached", "people who see it",
            "chosen on draws"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        lines.append(
            f"| {row['plan']} | {row['buy']} | {c}{_n(row['cost'])} | {_n(row['reach'])} ± "
            f"{_n(row['reach_pm'])} | {_n(row['reach_low'])} to {_n(row['reach_high'])} | "
            f"{_n(row['reach_early'])} ± {_n(row['reach_early_pm'])} | "
            f"{_n(row['runners_reached'])} | {_n(row['exposure'])} ± "
            f"{_n(row['exposure_pm'])} | {row['chosen_on']} |")
    stats = "; ".join(
        f"{_platform_word(p)}: {market[p]:,} consumers, {s['avg_degree']:g} ties each, "
        f"edge {s['edge_prob']:g}, comments {s['comment_prob']:g}, organic reach "
        f"{s['organic_reach']:.0%}" for p, s in PLATFORM_STATS.items() if p in market)
    ads = "; ".join(f"{_platform_word(p)} CPM {c}{cpm / a.scale:g}, conversion {conv:.2%}"
                    for p, (cpm, conv) in ADS.items())
    delays = "; ".join(f"{_platform_word(p)} {DELAYS[p].describe()}" for p in DELAY_MEAN_DAYS
                       if p in market)
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
        "on gain per cost, within (1 - 1/e)/2 of the best plan) for the people reached by "
        f"the end of day {dl} (`deadline={dl}`), on each draw; the plan chosen most often was "
        "re-estimated on fresh audiences and worlds, the same ones for every row (paired).",
        "",
        "## By when (the best mix and the best single-platform plan)",
        "",
        _by_day_table(rows, days, label, ea, dl),
        "",
        "Day 0 is the day of the posts and ads (their own adopters act that day); later "
        "days are word of mouth, each comment acted on after the platform's delay. "
        "`by_day.csv` has every plan's series, with the range across draws.",
        "",
        "## Inputs",
        "",
        f"- Influencers: `{os.path.relpath(a.influencers)}` ({len(inf)} influencers), overlaps "
        f"`{os.path.relpath(a.overlaps)}` ({len(inf.overlaps)} pairs).",
        f"- Budget {c}{_n(a.budget)}; ads to {SEGMENT!r} in slices of {c}{AD_SLICE:g} (up to "
        f"{AD_SLICES} per platform), frequency cap {FREQUENCY_CAP}: {ads}.",
        f"- Market (assumptions): {stats}. Runners: {SEGMENT_SHARE:.0%} of the market. "
        f"A follower adopts after a post with engagement rate × {ADOPT_PER_ENGAGEMENT:g}. "
        f"Days from seeing a comment to acting on it: {delays}.",
        f"- {a.draws} audience draws, {a.sims} worlds per plan evaluation ({2 * a.sims} for "
        f"the re-estimates), rng {a.rng}, scale {a.scale:g}; {elapsed:.0f} s.",
        "",
    ])


if __name__ == "__main__":
    main(sys.argv[1:])
