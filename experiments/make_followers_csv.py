"""Write a synthetic marketer's input: followers.csv and consumers.csv (50,000 consumers).

    python experiments/make_followers_csv.py [OUT_DIR] [N_CONSUMERS]

followers.csv: ``source,target`` (target follows source), a Holme-Kim
follower graph (power-law follower counts, clustering) with string ids
``c00000``...; consumers.csv: ``id,segment,cost`` with five interest segments
and a price that grows with the audience (1 + 0.05 per follower).
"""

import csv
import os
import sys

import numpy as np

import viralsim as vs


def main(out_dir="experiments/data", n=50_000):
    os.makedirs(out_dir, exist_ok=True)
    g = vs.generators.holme_kim(int(n), 4, 0.3, rng=7)
    ids = np.array([f"c{i:05d}" for i in range(g.n_nodes)])
    src, dst, _ = g.edges()
    with open(os.path.join(out_dir, "followers.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["source", "target"])
        w.writerows(zip(ids[src].tolist(), ids[dst].tolist()))
    rng = np.random.default_rng(7)
    seg = rng.integers(0, 5, g.n_nodes)
    cost = 1.0 + 0.05 * g.out_degree()
    with open(os.path.join(out_dir, "consumers.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "segment", "cost"])
        w.writerows(zip(ids.tolist(), seg.tolist(), np.round(cost, 2).tolist()))
    print(f"wrote {g.n_edges:,} follower rows and {g.n_nodes:,} consumers to {out_dir}")


if __name__ == "__main__":
    main(*sys.argv[1:])
