#!/usr/bin/env bash
# The township at full size on this machine: the town centre and every station (36 by
# default), each station with its own service and NATS server, linked to the town through
# a TCP proxy (socat) that this script cuts and restores at random while villagers take
# tickets at random stations and staff call, serve and finish them, and villagers rate
# them (a 差评 now and then). Then every link is restored and the script waits until the
# town holds every event of every station, and checks it holds each exactly once and that
# the town's totals (tickets, served, ratings, 差评) equal each station's own counts.
#
#   scripts/town-soak.sh [MINUTES] [STATIONS]      (default 5 minutes, 36 stations)
#
# Prints: the time until every station was linked, tickets taken, served and rated, cuts
# made, the catch-up time after the last cut healed, the checks, the town's and an average
# station's memory.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
# shellcheck disable=SC2086
ensure_pkgs $KIOSK_RUN_PKGS sqlite3 socat jq

minutes=${1:-5}
n=${2:-36}
cargo build --release --locked --bin kiosk 2>/dev/null || cargo build --release --locked --bin kiosk
bin=$PWD/target/release/kiosk
work=$(mktemp -d)
export KIOSK_NOW=2026-11-30T09:30:00+08:00
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$work"/proxy-*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT
# Ports from a counter in a file: `$(port)` runs in a subshell.
echo 21000 > "$work/ports"
port() { local p; p=$(( $(cat "$work/ports") + 1 )); echo "$p" > "$work/ports"; echo "$p"; }
ms() { date +%s%3N; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

leaf=$(port)
town=(--config-dir "$work/town/cfg" --data-dir "$work/town/data")
"$bin" "${town[@]}" town init --name 试验镇 --leaf-listen "127.0.0.1:$leaf" \
  --nats-listen "127.0.0.1:$(port)" --nats-monitor "127.0.0.1:$(port)" >/dev/null
codes=()
pin=246813
for i in $(seq -w 1 "$n"); do
  c="s$i"
  codes+=("$c")
  "$bin" "${town[@]}" town add-station "$c" --name "第${i}村综合服务站" --out "$work/$c.join" >/dev/null
  st=(--config-dir "$work/$c/cfg" --data-dir "$work/$c/data")
  "$bin" "${st[@]}" town join "$work/$c.join" --nats-listen "127.0.0.1:$(port)" --nats-monitor "127.0.0.1:$(port)" >/dev/null
  # Each station dials the town through its own proxy, which the script cuts.
  proxy=$(port)
  echo "$proxy" > "$work/proxy-$c.port"
  sed -i "s/^hub = .*/hub = \"127.0.0.1:$proxy\"/" "$work/$c/cfg/town-join.toml"
  sed -i 's/^enabled = true/enabled = false/' "$work/$c/cfg/station.toml"
  # A member of staff who calls at window 1 (the PIN goes on standard input).
  "$bin" "${st[@]}" staff add --no 001 --name 测试员 >/dev/null
  echo "$pin" | "$bin" "${st[@]}" staff set-pin 001 >/dev/null
done

link_up() { # start the proxy of station $1
  local p; p=$(cat "$work/proxy-$1.port")
  socat "TCP-LISTEN:$p,bind=127.0.0.1,fork,reuseaddr" "TCP:127.0.0.1:$leaf" 2>/dev/null &
  echo $! > "$work/proxy-$1.pid"
}
link_down() { # cut it: the proxy and every connection through it
  [ -f "$work/proxy-$1.pid" ] || return 0
  pkill -P "$(cat "$work/proxy-$1.pid")" 2>/dev/null || true
  kill "$(cat "$work/proxy-$1.pid")" 2>/dev/null || true
  rm -f "$work/proxy-$1.pid"
}

t0=$(ms)
# Leaves are told a dead address, so that they come back only through their proxy.
# (Ports are taken before a command goes to the background: the counter is not shared.)
site=$(port); dead=$(port)
"$bin" "${town[@]}" town serve --listen "127.0.0.1:$site" --advertise "127.0.0.1:$dead" >/dev/null 2>&1 &
town_pid=$!; pids+=("$town_pid")
for c in "${codes[@]}"; do
  link_up "$c"
  p=$(port)
  "$bin" --config-dir "$work/$c/cfg" --data-dir "$work/$c/data" serve --listen "127.0.0.1:$p" >/dev/null 2>&1 &
  pids+=($!)
  echo $! > "$work/serve-$c.pid"
done
online() { "$bin" "${town[@]}" town status --json | grep -o '"online":true' | wc -l; }
until [ "$(online)" -ge "$n" ]; do
  [ $(( $(ms) - t0 )) -gt 300000 ] && { echo "only $(online) of $n stations linked after 5 minutes" >&2; exit 1; }
  sleep 1
done
echo "linked: all $n stations online at the town $(( ($(ms) - t0) / 1000 )) s after start"

# Traffic and cuts for the soak's minutes.
matters=(C02 C01 A01 B01)
reasons=(wait slow attitude unclear)
end=$(( $(ms) + minutes * 60000 ))
taken=0; served=0; rated=0; bad=0; cuts=0
declare -A back_at=()
# `kiosk call ACTION …` at station $1 as staff 001 (PIN on stdin); its JSON.
call() { local c=$1; shift; echo "$pin" | "$bin" --config-dir "$work/$c/cfg" --data-dir "$work/$c/data" call "$@" --staff 001 --json 2>/dev/null; }
while [ "$(ms)" -lt "$end" ]; do
  c=${codes[$((RANDOM % n))]}
  st=(--config-dir "$work/$c/cfg" --data-dir "$work/$c/data")
  if [ $((RANDOM % 5)) -lt 3 ]; then
    "$bin" "${st[@]}" ticket take --matter "${matters[$((RANDOM % 4))]}" >/dev/null 2>&1 \
      && taken=$((taken + 1))
  else
    # Window 1 calls the next ticket, serves it, finishes it; most villagers then rate it.
    out=$(call "$c" next --window 1) || out=""
    num=$(jq -r '.number // empty' <<<"$out" 2>/dev/null || true)
    tok=$(jq -r '.token // empty' <<<"$out" 2>/dev/null || true)
    if [ -n "$num" ] && call "$c" start --number "$num" --window 1 >/dev/null \
      && call "$c" finish --number "$num" --window 1 >/dev/null; then
      served=$((served + 1))
      if [ $((RANDOM % 4)) -lt 3 ]; then
        level=$(( RANDOM % 5 + 1 ))
        why=()
        if [ "$level" -le 2 ]; then why=(--reason "${reasons[$((RANDOM % 4))]}"); fi
        if "$bin" "${st[@]}" rate --token "$tok" --level "$level" "${why[@]}" --json >/dev/null 2>&1; then
          rated=$((rated + 1))
          if [ "$level" -le 2 ]; then bad=$((bad + 1)); fi
        fi
      fi
    fi
  fi
  # Now and then a cut of 10 to 60 seconds at a station that is linked.
  if [ $((RANDOM % 15)) = 0 ]; then
    v=${codes[$((RANDOM % n))]}
    if [ -z "${back_at[$v]:-}" ]; then
      link_down "$v"; cuts=$((cuts + 1))
      back_at[$v]=$(( $(ms) + 10000 + (RANDOM % 50) * 1000 ))
    fi
  fi
  for v in "${!back_at[@]}"; do
    if [ "$(ms)" -gt "${back_at[$v]}" ]; then link_up "$v"; unset "back_at[$v]"; fi
  done
  sleep 0.2
done
for v in "${!back_at[@]}"; do link_up "$v"; done
healed=$(ms)
echo "soaked: $minutes min, $taken tickets taken at random stations, $served called, served and finished," \
  "$rated rated ($bad 差评), $cuts cuts of 10-60 s"

# Every event of every station at the town, once.
townq() { sqlite3 "file:$work/town/data/town.db?mode=ro" "$1" 2>/dev/null || echo -1; }
behind() {
  local left=0
  for c in "${codes[@]}"; do
    local want have
    want=$(sqlite3 "file:$work/$c/data/kiosk.db?mode=ro" "SELECT coalesce(max(seq), 0) FROM outbox" 2>/dev/null || echo 0)
    have=$(townq "SELECT count(*) FROM events WHERE station = '$c'")
    [ "$have" -lt "$want" ] && left=$((left + 1))
  done
  echo "$left"
}
while [ "$(behind)" -gt 0 ]; do
  [ $(( $(ms) - healed )) -gt 600000 ] && { echo "$(behind) stations still behind 10 minutes after healing" >&2; exit 1; }
  sleep 1
done
echo "caught up: every station's events at the town $(( ($(ms) - healed) / 1000 )) s after the last link came back"
total=0; sums_station=(0 0 0 0); sums_town=(0 0 0 0)
for c in "${codes[@]}"; do
  stq() { sqlite3 "file:$work/$c/data/kiosk.db?mode=ro" "$1"; }
  want=$(stq "SELECT coalesce(max(seq), 0) FROM outbox")
  have=$(townq "SELECT count(*) || ' ' || coalesce(max(seq), 0) FROM events WHERE station = '$c'")
  [ "$have" = "$want $want" ] || { echo "$c: the town holds $have (count, max) of $want" >&2; exit 1; }
  # The town's totals against the station's own counts: tickets, served, ratings, 差评.
  here=$(stq "SELECT (SELECT count(*) FROM tickets) || ' ' || (SELECT count(*) FROM tickets WHERE status = 'served')
                || ' ' || (SELECT count(*) FROM ratings) || ' ' || (SELECT count(*) FROM ratings WHERE level <= 2)")
  there=$(townq "SELECT (SELECT count(*) FROM tickets WHERE station = '$c' AND taken_at IS NOT NULL)
                 || ' ' || (SELECT count(*) FROM tickets WHERE station = '$c' AND status = 'served')
                 || ' ' || (SELECT count(*) FROM ratings WHERE station = '$c')
                 || ' ' || (SELECT count(*) FROM ratings WHERE station = '$c' AND level <= 2)")
  [ "$here" = "$there" ] || {
    echo "$c: tickets, served, ratings, 差评: $here at the station, $there at the town" >&2; exit 1; }
  read -r -a h <<<"$here"; read -r -a t <<<"$there"
  for k in 0 1 2 3; do
    sums_station[k]=$(( sums_station[k] + h[k] )); sums_town[k]=$(( sums_town[k] + t[k] ))
  done
  total=$((total + want))
done
echo "checked: $total events of $n stations, each once and in order (count = max sequence)"
echo "totals: the town ${sums_town[0]} tickets, ${sums_town[1]} served, ${sums_town[2]} ratings, ${sums_town[3]} 差评;" \
  "the stations ${sums_station[0]}, ${sums_station[1]}, ${sums_station[2]}, ${sums_station[3]} (equal at each station)"
[ "${sums_town[*]}" = "${sums_station[*]}" ] || { echo "the town's totals differ from the stations'" >&2; exit 1; }

town_nats=$(cat "$work/town/data/nats/nats-server.pid")
first=${codes[0]}
station_rss=$(( $(rss "$(cat "$work/serve-$first.pid")") + $(rss "$(cat "$work/$first/data/nats/nats-server.pid")") ))
echo "memory: the town $(( ($(rss "$town_pid") + $(rss "$town_nats")) / 1024 )) MB (service + nats-server)," \
  "station $first $(( station_rss / 1024 )) MB (service + nats-server)"
t1=$(ms); "$bin" "${town[@]}" town status --json >/dev/null
echo "kiosk town status with $n stations: $(( $(ms) - t1 )) ms (the command's own start included)"
