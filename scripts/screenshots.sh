#!/usr/bin/env bash
# Renders the kiosk's screens into docs/screenshots (normal and large text), as the guide
# shows them: `scripts/screenshots.sh` after `cargo build`. A fixed time inside opening
# hours, so no "closed" notice; a scratch data folder.
set -euo pipefail
cd "$(dirname "$0")/.."
K=target/debug/kiosk
OUT=docs/screenshots
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
export KIOSK_NOW=2026-11-27T10:00:00+08:00
shot() { # name page [extra args...]
    local name=$1 page=$2
    shift 2
    "$K" --data-dir "$DATA" screenshot --page "$page" "$@" --out "$OUT/$name.png" >/dev/null
    "$K" --data-dir "$DATA" screenshot --page "$page" --large-text "$@" --out "$OUT/$name-large.png" >/dev/null
}
shot home home
shot categories categories
shot categories-ticket categories:ticket
shot matters-C matters:C
shot matter-C01 matter:C01
shot matter-C02 matter:C02
shot search-dbsq search:dbsq
shot priority-C02 priority:C02
shot ticket ticket
shot ticket-failed ticket:failed
shot idle idle
for step in materials notice phone id name confirm done; do
    shot "case-$step" "request:$step"
done
shot lookup lookup
shot lookup-result lookup-result
# 帮办: the sign-in on the kiosk's keypad, and the banner on the screens.
shot assist-signin assist
shot assist-matter-C01 "matter:C01+assist"
shot assist-case-confirm "request:confirm+assist"
shot assist-ticket "ticket+assist"
"$K" --data-dir "$DATA" screenshot --page home --lang en --out "$OUT/home-en.png" >/dev/null
echo "screenshots written to $OUT"
