#!/usr/bin/env bash
# Regenerates the shipped detector (occupancy/models/data/detector.skops); see docs/detector.md.
set -euo pipefail
BIN=${BIN:-.venv/bin}
"$BIN"/occupancy-sim generate --units 1000 --days 7 --seed 1001 --start 2025-01-13 --interval 15 --community train-1001 --out var/train/1001
"$BIN"/occupancy-sim generate --units 1000 --days 7 --seed 1002 --start 2025-04-14 --interval 15 --community train-1002 --out var/train/1002
"$BIN"/occupancy-sim generate --units 1000 --days 7 --seed 1003 --start 2025-07-21 --interval 60 --community train-1003 --out var/train/1003
"$BIN"/occupancy-sim generate --units 1000 --days 7 --seed 1004 --start 2025-10-13 --interval 15 --community train-1004 --out var/train/1004
"$BIN"/occupancy-sim generate --units 300 --days 7 --seed 2001 --start 2025-02-10 --interval 15 --community holdout-2001 --out var/holdout/2001
"$BIN"/occupancy-sim generate --units 300 --days 7 --seed 2002 --start 2025-08-04 --interval 60 --community holdout-2002 --out var/holdout/2002
"$BIN"/occupancy-sim generate --units 300 --days 7 --seed 2003 --start 2025-05-05 --interval 30 --community holdout-2003 --out var/holdout/2003
"$BIN"/occupancy-sim generate --units 300 --days 7 --seed 2004 --start 2025-11-17 --interval 15 --community holdout-2004 --out var/holdout/2004
"$BIN"/occupancy train \
  --data var/train/1001 --data var/train/1002 --data var/train/1003 --data var/train/1004 \
  --holdout var/holdout/2001 --holdout var/holdout/2002 \
  --holdout var/holdout/2003 --holdout var/holdout/2004 \
  --out occupancy/models/data/detector.skops
