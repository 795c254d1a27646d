#!/usr/bin/env bash
# The township link (docs/performance.md), one town and one joined station on this machine
# with real nats-server processes, and an unjoined station beside them for memory:
#   - how long a ticket taken at the station takes to be in the town's store (p50, p99);
#   - a station cut off for a working day (300 tickets with their calls, 40 ratings)
#     caught up after the link returns;
#   - the memory of a joined station (its service and its NATS server) against an unjoined
#     one, side by side;
#   - with 36 stations and a year of their events in the town's store, the town's overview
#     and its monthly township report, each against the 200 ms the issue allows.
# Each figure is checked before it is reported: the town holds exactly the station's events,
# the pages show the totals seeded. `bench-town.sh year` runs only the last part.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
# shellcheck disable=SC2086
ensure_pkgs $KIOSK_RUN_PKGS sqlite3 curl

cargo build --release --locked --bin kiosk --example bench_town 2>/dev/null ||
  cargo build --release --locked --bin kiosk --example bench_town
bin=$PWD/target/release/kiosk
helper=$PWD/target/release/examples/bench_town
work=$(mktemp -d)
export KIOSK_NOW=2026-11-30T09:30:00+08:00
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; rm -rf "$work"' EXIT
port() { shuf -i 20000-60000 -n 1; }
ms() { date +%s%3N; }

if [ "${1:-}" != year ]; then  # `bench-town.sh year`: only the 36 stations' year
town=(--config-dir "$work/town/cfg" --data-dir "$work/town/data")
s01=(--config-dir "$work/s01/cfg" --data-dir "$work/s01/data")
solo=(--config-dir "$work/solo/cfg" --data-dir "$work/solo/data")
"$bin" "${town[@]}" town init --name 试验镇 --leaf-listen "127.0.0.1:$(port)" \
  --nats-listen "127.0.0.1:$(port)" --nats-monitor "127.0.0.1:$(port)" >/dev/null
"$bin" "${town[@]}" town add-station s01 --name 一村 --out "$work/s01.join" >/dev/null
"$bin" "${s01[@]}" town join "$work/s01.join" --nats-listen "127.0.0.1:$(port)" --nats-monitor "127.0.0.1:$(port)" >/dev/null
mkdir -p "$work/solo/cfg"
cp "$work/s01/cfg/station.toml" "$work/s01/cfg/matters.toml" "$work/solo/cfg/"
for d in s01 solo; do sed -i 's/^enabled = true/enabled = false/' "$work/$d/cfg/station.toml"; done
"$bin" "${s01[@]}" staff add --no 001 --name 张三 >/dev/null
echo 246813 | "$bin" "${s01[@]}" staff set-pin 001 >/dev/null

echo 246813 | "$bin" "${town[@]}" town staff add 900 --name 试验员 >/dev/null
town_site=127.0.0.1:$(port)
start_town() { "$bin" "${town[@]}" town serve --listen "$town_site" >/dev/null 2>&1 & town_pid=$!; pids+=("$town_pid"); }
start_town
"$bin" "${s01[@]}" serve --listen "127.0.0.1:$(port)" >/dev/null 2>&1 & s01_pid=$!; pids+=("$s01_pid")
"$bin" "${solo[@]}" serve --listen "127.0.0.1:$(port)" >/dev/null 2>&1 & solo_pid=$!; pids+=("$solo_pid")

townq() { sqlite3 "file:$work/town/data/town.db?mode=ro" "$1" 2>/dev/null || echo 0; }
stationq() { sqlite3 "file:$work/s01/data/kiosk.db?mode=ro" "$1" 2>/dev/null || echo 0; }
events() { townq "SELECT count(*) FROM events WHERE station = 's01'"; }
wait_events() { # wait until the town holds $1 events of s01 (at most $2 seconds)
  local until=$(( $(ms) + $2 * 1000 ))
  while [ "$(events)" -lt "$1" ]; do
    [ "$(ms)" -gt "$until" ] && { echo "the town holds $(events) of $1 events" >&2; exit 1; }
    sleep 0.02
  done
}
# Linked: wait for the link, then one ticket at a time.
until [ "$("$bin" "${s01[@]}" sync status --json | grep -c '"connected":true')" = 1 ]; do sleep 0.2; done
lat=()
for _ in $(seq 1 100); do
  want=$(( $(events) + 1 ))
  t0=$(ms)
  "$bin" "${s01[@]}" ticket take --matter C02 >/dev/null
  wait_events "$want" 30
  lat+=($(( $(ms) - t0 )))
done
sorted=$(printf '%s\n' "${lat[@]}" | sort -n)
p50=$(echo "$sorted" | sed -n '50p'); p99=$(echo "$sorted" | sed -n '99p')
echo "linked: a ticket taken at the station is in the town's store after p50 ${p50} ms, p99 ${p99} ms (100 tickets, the command line's own start included)"
# And on the town's overview as an open page shows it (its live stream).
until curl -s -o /dev/null "http://$town_site/" 2>/dev/null; do sleep 0.2; done
"$helper" overview-lag "http://$town_site" 900 246813 "$bin" "$work/s01/cfg" "$work/s01/data" 50

# Cut off for a working day: the town's service stops; the station works on.
kill "$town_pid"; wait "$town_pid" 2>/dev/null || true
before=$(events)
for i in $(seq 1 300); do "$bin" "${s01[@]}" ticket take --matter A01 --json >/dev/null; done
# Each called, started and finished at window 1.
for i in $(seq 1 300); do
  n=$(echo 246813 | "$bin" "${s01[@]}" call next --window 1 --staff 001 --json 2>/dev/null | sed -n 's/.*"number":"\([A-Z0-9]*\)".*/\1/p')
  [ -n "$n" ] || continue
  echo 246813 | "$bin" "${s01[@]}" call start --number "$n" --window 1 --staff 001 --json >/dev/null 2>&1 || true
  echo 246813 | "$bin" "${s01[@]}" call finish --number "$n" --window 1 --staff 001 --json >/dev/null 2>&1 || true
done
for t in $(stationq "SELECT token FROM tickets WHERE status = 'served' ORDER BY id DESC LIMIT 40"); do
  "$bin" "${s01[@]}" rate --token "$t" --level 5 --json >/dev/null 2>&1 || true
done
total=$(stationq "SELECT count(*) FROM outbox")
echo "cut off: $(( total - before )) events recorded at the station while the town was away"
t0=$(ms)
start_town
wait_events "$total" 120
echo "caught up: all ${total} events in the town's store $(( $(ms) - t0 )) ms after the town came back (its own start included)"
dups=$(townq "SELECT count(*) - count(DISTINCT seq) FROM events WHERE station = 's01'")
gaps=$(townq "SELECT count(*) FROM gaps")
[ "$dups" = 0 ] && [ "$gaps" = 0 ] || { echo "duplicates $dups, gaps $gaps" >&2; exit 1; }
echo "checked: each event once (max seq $(townq "SELECT max(seq) FROM events WHERE station='s01'") = $total), no gap"

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
nats=$(cat "$work/s01/data/nats/nats-server.pid")
joined=$(( $(rss "$s01_pid") + $(rss "$nats") ))
alone=$(rss "$solo_pid")
echo "memory: joined station ${joined} kB (service $(rss "$s01_pid") + nats-server $(rss "$nats")), unjoined ${alone} kB: +$(( (joined - alone) / 1024 )) MB"

fi

# 36 stations and a year of their events: the overview and the township's monthly report.
year=(--config-dir "$work/year/cfg" --data-dir "$work/year/data")
"$bin" "${year[@]}" town init --name 试验镇 --leaf-listen "127.0.0.1:$(port)" \
  --nats-listen "127.0.0.1:$(port)" --nats-monitor "127.0.0.1:$(port)" >/dev/null
for i in $(seq -w 1 36); do
  "$bin" "${year[@]}" town add-station "s$i" --name "第${i}村综合服务站" --out "$work/year/s$i.join" >/dev/null
done
echo 246813 | "$bin" "${year[@]}" town staff add 900 --name 试验员 >/dev/null
t0=$(ms)
seeded=$("$helper" seed-year "$work/year/cfg" "$work/year/data" 40)
echo "a year of 36 stations seeded in $(( $(ms) - t0 )) ms: $seeded; town.db $(du -m "$work/year/data/town.db" | cut -f1) MB"
field() { echo "$seeded" | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
site=127.0.0.1:$(port)
"$bin" "${year[@]}" town serve --listen "$site" >/dev/null 2>&1 & year_pid=$!; pids+=("$year_pid")
until curl -s -o /dev/null "http://$site/" 2>/dev/null || [ "$(ms)" -gt $(( t0 + 600000 )) ]; do sleep 0.2; done
"$helper" time "http://$site" 900 246813 "$(field today)" "$(field month)" "$(field month_tickets)" 30 \
  "$(field open_case)"
