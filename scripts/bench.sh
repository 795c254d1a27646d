#!/usr/bin/env bash
# Benchmarks reported in docs/performance.md: ticket issue p50/p99, the headless home render and
# page changes (in-process, cargo bench); start to home page on screen and memory against
# a full-screen Chromium (scripts/bench-start.sh); the station service; a year of data.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
# shellcheck disable=SC2086
ensure_pkgs $KIOSK_RUN_PKGS

cargo bench --locked --bench kiosk
# Page changes at 1920x1080 after the first frame, and that first frame.
cargo bench --locked --bench kiosk -- --pages
# Start to home page on screen and memory, side by side with the web-kiosk baseline: on X
# with the kiosk's own X11 platform, and as the Debian package runs it, under cage.
./scripts/bench-start.sh
SESSION=cage ./scripts/bench-start.sh

# The station service: /t/{token} against nginx, calls reaching 50 display streams, 500
# phones following their ticket, RSS.
./scripts/bench-serve.sh

# A year of data: the monthly report page and PDF, the desk's queue pages.
./scripts/bench-year.sh

# The township link: a ticket reaching the town, a day caught up, a joined station's memory.
./scripts/bench-town.sh
