#!/usr/bin/env bash
# A year of data for a busy station (docs/performance.md): 100,000 tickets, 5,000 代办
# cases and 20,000 ratings, seeded into a fresh store; then, against a running
# `kiosk serve`, the last full month's report page, PDF and CSV, and the desk's queue
# pages, each timed by the service itself (Server-Timing) and by the client on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
# shellcheck disable=SC2086
ensure_pkgs $KIOSK_RUN_PKGS

cargo build --release --locked --bin kiosk --example bench_serve
bin=target/release/kiosk
tool=target/release/examples/bench_serve
work=$(mktemp -d)
# The clock pinned: the same year of data and the same month every run, near midnight too.
export KIOSK_NOW=2026-11-30T10:00:00+08:00
serve_pid=""
trap 'kill $serve_pid 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/config" "$work/data"
cp kiosk-config/*.toml "$work/config/"
sed -i 's/^enabled = true/enabled = false/' "$work/config/station.toml"

start=$(date +%s)
echo "seeding: $("$tool" seed-year "$work/config" "$work/data") in $(( $(date +%s) - start )) s"
echo "store: $(du -h "$work/data/kiosk.db" | cut -f1)"
# The check every writing process runs before its first write (quick_check), on this
# store: one `kiosk ticket take` from the command line, its steps timed by
# KIOSK_START_TRACE (median of 5).
for _ in 1 2 3 4 5; do
  KIOSK_START_TRACE=1 "$bin" --config-dir "$work/config" --data-dir "$work/data" \
    ticket take --matter A01 --json 2>&1 >/dev/null | awk '
      /data folder ready/ {a=$2} /store checked/ {b=$2} END {printf "%.1f %.1f\n", b-a, b}'
done | sort -n | awk '{c[NR]=$1; t[NR]=$2} END {printf "store check (quick_check) before a command writes: %s ms of the command'"'"'s first %s ms (median of %d)\n", c[int((NR+1)/2)], t[int((NR+1)/2)], NR}'
port=18183
"$bin" --config-dir "$work/config" --data-dir "$work/data" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
serve_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
"$tool" year "http://127.0.0.1:$port"
echo "serve peak RSS: $(awk '/VmHWM/ {print $2}' "/proc/$serve_pid/status") kB"
