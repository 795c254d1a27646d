#!/usr/bin/env bash
# Runs every test (unit, integration, headless UI) on temp folders.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/deps.sh
# shellcheck disable=SC2086
ensure_pkgs $KIOSK_TEST_PKGS
ensure_axe
exec cargo test --locked "$@"
