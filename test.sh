#!/usr/bin/env bash
# Runs every test — the fast suite and the ones that need outside programs (chromium,
# cupsd, Xvfb, cage, systemd-analyze, strace, poppler, zbar, sqlite3, espeak-ng), marked
# #[ignore] so that a bare `cargo test` runs without them — on temp folders, after the
# formatting and lint checks. Ends with one line: N passed, N failed (every test binary,
# plus one failed for each of the format and lint checks that failed); the exit code is
# non-zero when anything failed.
# Extra arguments go to cargo test: ./test.sh --test tests -- browser::
set -euo pipefail
cd "$(dirname "$0")"
. scripts/deps.sh
# A fresh checkout (CI) gains nothing from incremental compilation, and its cache more
# than doubled the build's size on disk: a CI run once failed with the disk full.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# shellcheck disable=SC2086
ensure_pkgs $KIOSK_TEST_PKGS
ensure_axe

# A failed check does not stop the run: the tests still run and the summary still ends it.
failed_checks=()
cargo fmt --check || failed_checks+=("cargo fmt --check")
cargo clippy --locked --all-targets -- -D warnings || failed_checks+=("cargo clippy")

args=("$@")
has_sep=0
for a in "${args[@]}"; do [ "$a" = "--" ] && has_sep=1; done
if [ $has_sep -eq 1 ]; then args+=(--include-ignored); else args+=(-- --include-ignored); fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --locked --no-fail-fast "${args[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# What failed first, then the summary as the last line.
[ $rc -eq 0 ] || echo "cargo test ended with exit code $rc" >&2
for c in ${failed_checks[@]+"${failed_checks[@]}"}; do echo "$c failed" >&2; done
awk -v checks="${#failed_checks[@]}" '/^test result:/ {
       for (i = 2; i <= NF; i++) {
         if ($i ~ /^passed;?$/) p += $(i - 1)
         if ($i ~ /^failed;?$/) f += $(i - 1)
       }
     }
     END { printf "%d passed, %d failed\n", p, f + checks }' "$log"
[ $rc -ne 0 ] || [ ${#failed_checks[@]} -eq 0 ] || rc=1
exit $rc
