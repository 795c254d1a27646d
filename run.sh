#!/usr/bin/env bash
# Runs the kiosk full screen with the shipped configuration (kiosk-config/) and a local
# data folder (./data). Extra arguments go to the kiosk: ./run.sh --windowed
set -euo pipefail
cd "$(dirname "$0")"
. scripts/deps.sh
# shellcheck disable=SC2086
ensure_pkgs $KIOSK_RUN_PKGS
exec cargo run --release --locked --bin kiosk -- "$@"
