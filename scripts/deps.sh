# Debian packages the kiosk needs, installed on first use so the two commands in the
# README are the whole set-up. Sourced by run.sh and test.sh.

# Build: fontconfig headers for Slint. Run: CJK fonts (screen and receipts), CUPS client
# (lp), the X11 libraries winit loads at run time (windowed, and when the kiosk's own X11
# platform cannot be used), and for the station service's calling voice espeak-ng
# (offline Mandarin) and aplay (alsa-utils); nats-server carries the township link. Tests: xvfb runs the kiosk on a real X server.
KIOSK_RUN_PKGS="pkg-config libfontconfig1-dev fontconfig fonts-noto-cjk fonts-wqy-microhei cups-client
  libx11-6 libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon0 libxkbcommon-x11-0 espeak-ng alsa-utils nats-server"
# Tests also read the receipts back: pdftotext/pdftoppm/pdffonts (poppler), zbarimg; and
# drive the station's pages in a real browser (Debian's chromium and its WebDriver); read
# the store beside the running kiosk with the sqlite3 shell, as a technician would.
KIOSK_TEST_PKGS="$KIOSK_RUN_PKGS xvfb cups cage xwayland kbd systemd poppler-utils zbar-tools chromium chromium-driver sqlite3 strace"

ensure_pkgs() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing Debian packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The accessibility check of the station's pages (tests only): axe-core from the npm
# registry, pinned, into target/test-tools (never shipped: it runs inside the test browser).
AXE_VERSION="4.14.1"
ensure_axe() {
  local dir="target/test-tools"
  local have
  have=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$dir/node_modules/axe-core/package.json" 2>/dev/null | head -1 || true)
  [ "$have" = "$AXE_VERSION" ] && return 0
  command -v npm >/dev/null || ensure_pkgs npm
  echo "Installing axe-core $AXE_VERSION (npm) into $dir" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --silent "axe-core@$AXE_VERSION" >/dev/null
}
