#!/usr/bin/env bash
# Benchmarks reported in the README: ticket issue p50/p99 and headless home render
# (in-process, cargo bench), then cold start to first frame and peak RSS of the kiosk on
# the home screen, measured from outside under Xvfb (the software renderer cannot report
# its first frame from inside).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
# shellcheck disable=SC2086
ensure_pkgs $KIOSK_RUN_PKGS xvfb x11-apps

cargo bench --locked --bench kiosk
cargo build --release --locked --bin kiosk
bin=target/release/kiosk
data=$(mktemp -d)
export DISPLAY=:77
Xvfb :77 -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 50); do xwd -root -silent >/dev/null 2>&1 && break; sleep 0.1; done
blank=$(xwd -root -silent | md5sum)

measure() {  # prints ms from exec to the first changed pixels, and the peak RSS
  local start now pid rss
  start=$(date +%s%N)
  "$bin" --data-dir "$data" --windowed >/dev/null 2>&1 &
  pid=$!
  while [ "$(xwd -root -silent 2>/dev/null | md5sum)" = "$blank" ]; do
    kill -0 $pid 2>/dev/null || { echo "kiosk exited early" >&2; return 1; }
  done
  now=$(date +%s%N)
  sleep 3
  rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  kill $pid; wait $pid 2>/dev/null || true
  echo "$(( (now - start) / 1000000 )) $rss"
}

sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null && cold="(page cache dropped)" || cold="(page cache not droppable here)"
read -r first rss < <(measure)
echo "cold start to first frame under Xvfb $cold: ${first} ms; peak RSS on the home screen: $((rss / 1024)) MB"
for i in 1 2 3; do
  read -r t r < <(measure)
  echo "warm start $i: ${t} ms; peak RSS $((r / 1024)) MB"
done

# The station service: /t/{token} against nginx, calls reaching 50 display streams, RSS.
./scripts/bench-serve.sh

# A year of data: the monthly report page and PDF, the desk's queue pages.
./scripts/bench-year.sh
