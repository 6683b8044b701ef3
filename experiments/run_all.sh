#!/usr/bin/env bash
# Run every ready study from the repository root (see experiments/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
viralsim +study=compare_nethept
viralsim +study=compare_wikivote
viralsim +study=sensitivity_map
viralsim +study=scaling_curve
python experiments/make_followers_csv.py && viralsim +study=campaign_csv
viralsim +study=campaign_50k
viralsim +study=learn_android
python experiments/influencer_campaign.py
viralsim +study=campaign_influencers
