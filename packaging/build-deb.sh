#!/bin/sh
# Builds the Debian package of the kiosk, kiosk_<version>_<arch>.deb, with plain
# dpkg-deb from a staging folder: the binary, the commented default configuration in
# /etc/kiosk (conffiles: an upgrade never overwrites a station's edits), the systemd
# units and the maintainer scripts of packaging/. Build the binary first:
#   cargo build --release --locked && packaging/build-deb.sh
set -eu

usage() {
    cat <<'EOF'
Usage: packaging/build-deb.sh [--binary PATH] [--out DIR] [--version V] [--compress TYPE]
  --binary PATH    the kiosk binary to package (default: target/release/kiosk)
  --out DIR        where to write kiosk_<version>_<arch>.deb (default: .)
  --version V      the package version (default: the version in Cargo.toml)
  --compress TYPE  dpkg-deb compression: xz (default), gzip, zstd or none
EOF
}

root=$(cd "$(dirname "$0")/.." && pwd)
binary=$root/target/release/kiosk
out=.
version=
compress=xz

while [ $# -gt 0 ]; do
    case $1 in
        --binary | --out | --version | --compress)
            [ $# -ge 2 ] || { echo "build-deb.sh: $1 needs a value" >&2; exit 2; }
            case $1 in
                --binary) binary=$2 ;;
                --out) out=$2 ;;
                --version) version=$2 ;;
                --compress) compress=$2 ;;
            esac
            shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "build-deb.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

if [ ! -x "$binary" ]; then
    echo "build-deb.sh: no kiosk binary at $binary; build it first (cargo build --release --locked) or name it with --binary" >&2
    exit 1
fi
if [ -z "$version" ]; then
    # The first version line of [package]; a Cargo pre-release (0.2.0-rc.1) becomes
    # 0.2.0~rc.1 so that dpkg orders it before the release.
    version=$(sed -n '/^\[package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1 | tr '-' '~')
    [ -n "$version" ] || { echo "build-deb.sh: no version in $root/Cargo.toml" >&2; exit 1; }
fi
case $version in
    [0-9]*) ;;
    *) echo "build-deb.sh: a Debian version starts with a digit: $version" >&2; exit 2 ;;
esac
arch=$(dpkg --print-architecture)
mkdir -p "$out"
deb=$(cd "$out" && pwd)/kiosk_${version}_${arch}.deb

umask 022
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"

install -D -m 0755 "$binary" "$stage/usr/bin/kiosk"

# Every file of kiosk-config/ goes to /etc/kiosk and is a conffile.
install -d -m 0755 "$stage/etc/kiosk" "$stage/DEBIAN"
: >"$stage/DEBIAN/conffiles"
(cd "$root/kiosk-config" && find . -type f | LC_ALL=C sort) | while IFS= read -r f; do
    f=${f#./}
    install -D -m 0644 "$root/kiosk-config/$f" "$stage/etc/kiosk/$f"
    echo "/etc/kiosk/$f" >>"$stage/DEBIAN/conffiles"
done

install -d -m 0755 "$stage/lib/systemd/system"
for unit in "$root"/packaging/systemd/*.service "$root"/packaging/systemd/*.timer; do
    install -m 0644 "$unit" "$stage/lib/systemd/system/"
done

install -D -m 0644 "$root/packaging/deb/copyright" "$stage/usr/share/doc/kiosk/copyright"

for script in postinst prerm postrm; do
    install -m 0755 "$root/packaging/deb/$script" "$stage/DEBIAN/$script"
done

installed_kib=$(du -sk --apparent-size --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOF
Package: kiosk
Version: $version
Architecture: $arch
Maintainer: Kiosk maintainers <kiosk@localhost>
Installed-Size: $installed_kib
Depends: libc6 (>= 2.36), libgcc-s1, adduser, fonts-noto-cjk, fonts-wqy-microhei, fontconfig, libfontconfig1, cups-client, nats-server, cage, xwayland, seatd, kbd, espeak-ng, alsa-utils, libxkbcommon0, libwayland-client0, libwayland-cursor0, libxkbcommon-x11-0, libx11-6, libx11-xcb1, libxcursor1, libxrandr2, libxi6
Recommends: cups
Section: misc
Priority: optional
Description: self-service touchscreen kiosk for village service stations
 The touchscreen kiosk of a village comprehensive service station: villagers
 find a service matter, read what to bring, take a queue number and a printed
 receipt, or hand a matter to the station to be carried out for them. The
 station service (kiosk serve) runs beside it on the station LAN: status pages
 behind the receipts' QR codes, the staff desk in the browser, the calling
 display with a Mandarin voice, and the rating pad.
 .
 The package runs the kiosk full screen on tty7 under cage, with no desktop,
 and the station service, a nightly backup and the daily retention purge as
 systemd units, as the system user kiosk. Configuration is in /etc/kiosk,
 data in /var/lib/kiosk.
 .
 村级综合服务站自助终端：村民在触摸屏上查找服务事项，查看一次性告知的材料清单，
 取号并打印回执，或申请全程代办。站点服务（kiosk serve）在服务站局域网内提供
 回执二维码的进度页面、工作人员的浏览器工作台、叫号屏（普通话语音播报）和
 好差评评价器。配置在 /etc/kiosk，数据在 /var/lib/kiosk。
EOF

dpkg-deb --build --root-owner-group "-Z$compress" "$stage" "$deb" >/dev/null
echo "$deb"
