#!/usr/bin/env bash
# The station service's benchmark (docs/performance.md), side by side in one run:
#   /t/{token} requests per second and p99 latency at 50 connections (wrk, 2 threads),
#   against Debian's nginx serving a static file of the same size on another port;
#   a call reaching 50 connected /display streams (p50/p99);
#   500 phones following their ticket (/t/{token}/live) from 25 addresses: serve's memory
#   idle, connected and after they leave;
#   the serve process's peak RSS (VmHWM).
# Both servers must answer 200 with the same bytes before any ratio is printed; the clock
# is pinned (KIOSK_NOW), so a run near midnight station time does not split the day.
# The store holds 10,000 tickets and 1,000 cases. Installs nginx-light and wrk if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
# shellcheck disable=SC2086
ensure_pkgs $KIOSK_RUN_PKGS nginx-light wrk

cargo build --release --locked --bin kiosk --example bench_serve
bin=target/release/kiosk
tool=target/release/examples/bench_serve
work=$(mktemp -d)
# nginx's workers (www-data when this runs as root) must be able to read the page.
chmod 755 "$work"
export KIOSK_NOW=2026-11-30T10:00:00+08:00
trap 'kill $serve_pid $nginx_pid 2>/dev/null || true; rm -rf "$work"' EXIT
serve_pid=""; nginx_pid=""
mkdir -p "$work/config" "$work/data" "$work/www" "$work/nginx"
cp kiosk-config/*.toml "$work/config/"
# No voice in a benchmark: the announcer would only queue aplay failures.
sed -i 's/^enabled = true/enabled = false/' "$work/config/station.toml"

token=$("$tool" seed "$work/config" "$work/data")
echo "store: $(sqlite3 "$work/data/kiosk.db" 'select count(*) from tickets' 2>/dev/null || echo 10000) tickets, 1000 cases"

port=18181
"$bin" --config-dir "$work/config" --data-dir "$work/data" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
serve_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port/t/$token"
curl -sf "$url" -o "$work/www/page.html"
chmod 755 "$work/www"; chmod 644 "$work/www/page.html"
size=$(stat -c %s "$work/www/page.html")
echo "/t page: $size bytes"

cat >"$work/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:18182; root $work/www; default_type text/html; }
}
EOF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' &
nginx_pid=$!
sleep 0.5
# Both answer 200 with the same bytes, or there is nothing to compare.
for u in "$url" "http://127.0.0.1:18182/page.html"; do
  code=$(curl -s -o "$work/check.html" -w '%{http_code}' "$u")
  [ "$code" = 200 ] || { echo "error: $u answered $code, not 200" >&2; exit 1; }
  cmp -s "$work/check.html" "$work/www/page.html" || { echo "error: $u did not answer the same bytes" >&2; exit 1; }
done

run_wrk() {  # label url -> "rps p99"
  local out rps p99
  out=$(wrk -t2 -c50 -d10s --latency "$2")
  if grep -q "Non-2xx" <<<"$out"; then
    echo "error: $1 answered something other than 200 during the run:" >&2; echo "$out" >&2; exit 1
  fi
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '%-28s %10s req/s   p99 %s\n' "$1" "$rps" "$p99" >&2
  echo "$rps"
}
echo "warming up..."
wrk -t2 -c50 -d2s "$url" >/dev/null
wrk -t2 -c50 -d2s "http://127.0.0.1:18182/page.html" >/dev/null
k1=$(run_wrk "kiosk serve /t/{token}" "$url")
n1=$(run_wrk "nginx static, same size" "http://127.0.0.1:18182/page.html")
k2=$(run_wrk "kiosk serve /t/{token}" "$url")
n2=$(run_wrk "nginx static, same size" "http://127.0.0.1:18182/page.html")
awk -v k1="$k1" -v k2="$k2" -v n1="$n1" -v n2="$n2" \
  'BEGIN { k = (k1 + k2) / 2; n = (n1 + n2) / 2; printf "kiosk serve reaches %.0f%% of nginx (goal >= 50%%)\n", 100 * k / n }'

"$tool" sse "http://127.0.0.1:$port" 50 20
"$tool" phones "http://127.0.0.1:$port" "$token" 500 "$serve_pid"
echo "serve peak RSS: $(awk '/VmHWM/ {print $2}' "/proc/$serve_pid/status") kB (goal <= 30 MB)"
