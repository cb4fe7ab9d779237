#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1
.venv/bin/python scripts/reader_pilot.py --out runs/reader-pilot/minilm --steps 600
.venv/bin/python scripts/reader_pilot.py --out runs/reader-pilot/control --steps 600 --control
.venv/bin/python scripts/reader_pilot.py --out runs/reader-pilot/shipped --eval-only
