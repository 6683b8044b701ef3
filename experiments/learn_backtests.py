"""Backtests of the learned influence model on the two real cascade datasets (issue 16).

Stack Exchange Android: fitted on the authors' train + validation cascades,
scored on their 136 test cascades. Last.fm: fitted on the earlier 80% of the
artists (by first tagging month), scored on the rest. For each: the fit's
summary, the backtest table (learned model beside weighted cascade,
trivalency and the best uniform p) and the shuffle test (the share of
adoptions credited to the graph, real order against shuffled times).

Run from the repository root (reads $VIRALSIM_DATA, else ../shared/data):

    python experiments/learn_backtests.py [--n-sims 1000] [--shuffles 5] [--lastfm-max-items N] [--datasets a,b]
"""

import argparse
import os
import time
import warnings

import viralsim as vs
from viralsim.learn import shuffle_test


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-sims", type=int, default=1000)
    ap.add_argument("--shuffles", type=int, default=5)
    ap.add_argument("--lastfm-max-items", type=int, default=None,
                    help="forecast only the first N of Last.fm's ~2,570 test artists (quicker)")
    ap.add_argument("--datasets", default="stackexchange-android,lastfm-hetrec2011")
    ap.add_argument("--data", default=os.environ.get("VIRALSIM_DATA") or
                    os.path.join("..", "shared", "data"))
    a = ap.parse_args()
    for name, max_items in (("stackexchange-android", None),
                            ("lastfm-hetrec2011", a.lastfm_max_items)):
        folder = os.path.join(a.data, "cascades", name)
        if name not in a.datasets.split(","):
            continue
        if not os.path.isdir(folder):
            print(f"{name}: {folder} absent, skipped")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", vs.ViralsimWarning)  # the data's duplicate ties
            g, train, test = vs.datasets.load_cascades(name, path=folder)
        t = time.perf_counter()
        fit = vs.fit_influence(g, train)
        print(f"\n## {name}\n\nfit in {time.perf_counter() - t:.1f} s\n{fit.summary()}\n")
        t = time.perf_counter()
        bt = vs.backtest(fit, test, n_sims=a.n_sims, rng=0, max_items=max_items)
        print(f"backtest in {time.perf_counter() - t:.1f} s\n{bt.summary()}\n")
        st = shuffle_test(g, train, n_shuffles=a.shuffles, rng=0)
        print(f"shuffle test: share of adoptions credited to the graph {st['graph_share']:.3f} "
              f"(real order) against {sum(st['shuffled_shares']) / len(st['shuffled_shares']):.3f} "
              f"(shuffled times); excess {st['excess']:.3f}, z {st['z']:.1f}", flush=True)


if __name__ == "__main__":
    main()
