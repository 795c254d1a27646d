#!/usr/bin/env bash
# Fast start and a small footprint (issue 8), side by side in one run: the kiosk against
# the web-kiosk baseline in ../shared/bench/web-kiosk-baseline/ (a full-screen Chromium
# showing home.html, a static copy of the kiosk's home page). Both are measured the same
# way, with the baseline's own tools: on Xvfb 1920x1080x24 with matchbox-window-manager,
# fastpoll.c forks and execs the program in a new session and polls the whole screen
# through MIT-SHM; "home page complete" is the last change of the picture within 4 s of
# exec. Memory is the PSS (/proc/PID/smaps_rollup) summed over every process of that
# session, read on the home page at max(5 s after exec, 3 s after the last change), by
# measure.py's own functions. Launches alternate, Chromium then kiosk, RUNS times each.
#
# The kiosk runs full screen from an empty folder (so the configuration shipped in the
# binary), with --data-dir a temporary folder: its first start creates the store and is
# reported apart; the counted runs are warm restarts over the existing store, as after a
# crash. Chromium gets a fresh profile each launch (as in the baseline) and one launch
# before the counted ones, so both have their files in the page cache.
# The kiosk's clock is pinned (KIOSK_NOW, a Monday morning), so every run draws the same
# home page whatever the hour.
# Also: time to sd_notify READY=1 (the kiosk's $NOTIFY_SOCKET), and tap to next page:
# an XTest click on the 办事指南 tile to the 办事指南 page complete on screen (1920x1080).
#
# With SESSION=cage both are measured as the Debian package runs the kiosk: each under cage
# (kiosk-ui.service's compositor; the kiosk through Slint's winit backend on Wayland,
# Chromium with --ozone-platform=wayland), cage drawing into an X11 window on the same
# Xvfb (its output is the only difference from a station's screen: an X window instead of
# DRM), as an unprivileged user (cage refuses root). Memory then counts cage and its
# Xwayland too; the tap goes through cage.
#
# usage: scripts/bench-start.sh [RUNS]      (default 7; about 2 minutes)
# env:   KIOSK_BIN=path  measure this binary and build nothing (default target/release/kiosk,
#                        built with cargo first only when missing or older than the sources)
#        BASELINE_DIR=dir  the baseline (default ../shared/bench/web-kiosk-baseline)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
case $runs in '' | *[!0-9]* | 0) echo "usage: $0 [RUNS>0]" >&2; exit 2 ;; esac
baseline=$(realpath "${BASELINE_DIR:-../shared/bench/web-kiosk-baseline}")
for f in measure.py fastpoll.c home.html; do
  [ -f "$baseline/$f" ] || { echo "error: $baseline/$f is missing (set BASELINE_DIR)" >&2; exit 1; }
done

# shellcheck source=scripts/deps.sh disable=SC1091
. scripts/deps.sh
# shellcheck disable=SC2086
ensure_pkgs $KIOSK_RUN_PKGS xvfb x11-utils x11-apps matchbox-window-manager chromium \
  python3 gcc libc6-dev libx11-dev libxext-dev libxtst-dev cage xwayland

if [ -n "${KIOSK_BIN:-}" ]; then
  bin=$KIOSK_BIN
else
  bin=target/release/kiosk
  if [ ! -x "$bin" ] || [ -n "$(find src ui assets kiosk-config build.rs Cargo.toml Cargo.lock \
    -newer "$bin" -print -quit 2>/dev/null)" ]; then
    cargo build --release --locked --bin kiosk
  fi
fi
[ -x "$bin" ] || { echo "error: no kiosk binary at $bin" >&2; exit 1; }
bin=$(realpath "$bin")

work=$(mktemp -d /tmp/bench-start.XXXXXX)
xvfb_pid=""
wm_pid=""
cleanup() {
  local p
  for p in $wm_pid $xvfb_pid; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
export BASELINE_OUT=$work/out # measure.py's folder: Chromium profiles, logs, fastpoll
mkdir -p "$BASELINE_OUT/logs" "$work/cwd" "$work/data"

gcc -O2 -o "$BASELINE_OUT/fastpoll" "$baseline/fastpoll.c" -lX11 -lXext
cat >"$work/clickpoll.c" <<'C'
/* clickpoll: a tap at (x, y) through XTest, then the screen polled as fastpoll.c polls it
 * (whole root window via MIT-SHM, the same hash), each change logged.
 * usage: clickpoll x y duration_ms interval_us
 * stdout: "CHG <ts_ms> <te_ms> <hash>" per change (ms since just before the tap), then
 * "POLLS <n> <mean_capture_ms>". The pointer goes back where it was afterwards. */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <X11/extensions/XTest.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static uint64_t hash_buf(const void *p, size_t n) {
    const uint64_t *w = p; size_t k = n / 8; uint64_t h = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < k; i++) { h ^= w[i]; h *= 0x100000001B3ull; h ^= h >> 29; }
    return h;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: clickpoll x y dur_ms interval_us\n"); return 2; }
    int x = atoi(argv[1]), y = atoi(argv[2]); double dur = atof(argv[3]); int interval = atoi(argv[4]);
    Display *dpy = XOpenDisplay(NULL); if (!dpy) { fprintf(stderr, "no display\n"); return 1; }
    int scr = DefaultScreen(dpy); Window root = RootWindow(dpy, scr);
    int w = DisplayWidth(dpy, scr), h = DisplayHeight(dpy, scr);
    XShmSegmentInfo si;
    XImage *img = XShmCreateImage(dpy, DefaultVisual(dpy, scr), DefaultDepth(dpy, scr), ZPixmap, NULL, &si, w, h);
    si.shmid = shmget(IPC_PRIVATE, (size_t)img->bytes_per_line * img->height, IPC_CREAT | 0600);
    si.shmaddr = img->data = shmat(si.shmid, NULL, 0); si.readOnly = False;
    XShmAttach(dpy, &si); XSync(dpy, False); shmctl(si.shmid, IPC_RMID, NULL);
    size_t nbytes = (size_t)img->bytes_per_line * img->height;
    Window rr, cr; int px, py, wx, wy; unsigned int mask;
    XQueryPointer(dpy, root, &rr, &cr, &px, &py, &wx, &wy, &mask);
    XShmGetImage(dpy, root, img, 0, 0, AllPlanes);
    uint64_t last = hash_buf(img->data, nbytes);
    double t0 = now_ms();
    XTestFakeMotionEvent(dpy, scr, x, y, CurrentTime);
    XTestFakeButtonEvent(dpy, 1, True, CurrentTime);
    XTestFakeButtonEvent(dpy, 1, False, CurrentTime);
    XFlush(dpy);
    long polls = 0; double cap_sum = 0;
    for (;;) {
        double ts = now_ms() - t0;
        if (ts > dur) break;
        XShmGetImage(dpy, root, img, 0, 0, AllPlanes);
        uint64_t hv = hash_buf(img->data, nbytes);
        double te = now_ms() - t0;
        polls++; cap_sum += te - ts;
        if (hv != last) {
            printf("CHG %.2f %.2f %016llx\n", ts, te, (unsigned long long)hv); fflush(stdout);
            last = hv;
        }
        if (interval > 0) usleep(interval);
    }
    printf("POLLS %ld %.3f\n", polls, cap_sum / (polls ? polls : 1));
    XTestFakeMotionEvent(dpy, scr, px, py, CurrentTime);
    XSync(dpy, False);
    return 0;
}
C
gcc -O2 -o "$work/clickpoll" "$work/clickpoll.c" -lX11 -lXext -lXtst

# A display of our own, set up as the baseline's run.sh sets up :77 (from :77 up, first free).
n=77
while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do n=$((n + 1)); done
export DISPLAY=:$n
Xvfb "$DISPLAY" -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo >/dev/null 2>&1 || { echo "error: Xvfb $DISPLAY did not start" >&2; exit 1; }
matchbox-window-manager -use_titlebar no >/dev/null 2>&1 &
wm_pid=$!
sleep 0.5

cat >"$work/driver.py" <<'PY'
import importlib.util, json, os, queue, shutil, socket, statistics as st, subprocess, sys, tempfile, threading, time

work, baseline, kiosk_bin, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
spec = importlib.util.spec_from_file_location('measure', os.path.join(baseline, 'measure.py'))
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)  # also makes this process the sub-reaper of what it launches
m.DISP = os.environ['DISPLAY']
m.env = {k: v for k, v in os.environ.items() if k != 'WAYLAND_DISPLAY'}  # both on the same X server
OUT = m.OUT
FASTPOLL, CLICKPOLL = os.path.join(OUT, 'fastpoll'), os.path.join(work, 'clickpoll')
POLL_MS, TAP_MS = 4000, 1500
TAP_AT = (350, 430)  # the first tile, 办事指南, at 1920x1080 (with or without the closed notice)

# sd_notify: the kiosk's READY=1, stamped when it arrives.
notify_path = os.path.join(work, 'notify.sock')
notes = queue.Queue()
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(notify_path)
def listen():
    while True:
        data = sock.recv(4096)
        notes.put((time.monotonic(), data.decode(errors='replace')))
threading.Thread(target=listen, daemon=True).start()

kiosk_env = {k: v for k, v in m.env.items() if k not in ('KIOSK_CONFIG_DIR', 'KIOSK_DATA_DIR', 'KIOSK_NOW')}
# The clock is pinned to a Monday morning within opening hours, as scripts/bench-serve.sh
# pins it: a run near midnight (or after closing) station time shows the same home page.
kiosk_env['KIOSK_NOW'] = '2026-11-30T10:00:00+08:00'
kiosk_env['NOTIFY_SOCKET'] = notify_path
kiosk_cmd = [kiosk_bin, '--data-dir', os.path.join(work, 'data')]

# SESSION=cage: each program under cage, as kiosk-ui.service runs the kiosk (see the top).
CAGE = os.environ.get('SESSION') == 'cage'
session = 'cage (wlroots X11 output) on Xvfb 1920×1080' if CAGE else 'Xvfb 1920×1080 with matchbox'
chromium_env = m.env
if CAGE:
    xdg = os.path.join(work, 'xdg')
    home = os.path.join(work, 'home')
    for d in (xdg, home):
        os.makedirs(d, exist_ok=True)
    as_user = []
    if os.geteuid() == 0:
        # nobody stands in for the kiosk user, as in the package test.
        for d in (xdg, home, os.path.join(work, 'data'), os.path.join(work, 'cwd'), OUT):
            for root, dirs, files in os.walk(d):
                for x in [root] + [os.path.join(root, f) for f in dirs + files]:
                    os.chown(x, 65534, 65534)
        os.chmod(notify_path, 0o666)
        os.chmod(work, 0o755)
        as_user = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']
    os.chmod(xdg, 0o700)
    cage_env = {'WLR_BACKENDS': 'x11', 'WLR_RENDERER': 'pixman', 'WLR_LIBINPUT_NO_DEVICES': '1',
                'XDG_RUNTIME_DIR': xdg, 'HOME': home}
    kiosk_env = dict(kiosk_env, **cage_env)
    chromium_env = dict(m.env, **cage_env)
    kiosk_cmd = as_user + ['cage', '-d', '--'] + kiosk_cmd
    def chromium_cmd(udd):
        c = m.app_cmd('chromium-fs', udd)
        return as_user + ['cage', '-d', '--', c[0], '--ozone-platform=wayland'] + c[1:]
else:
    def chromium_cmd(udd):
        return m.app_cmd('chromium-fs', udd)


def changes_of(lines):
    out, polls = [], None
    for line in lines:
        f = line.split()
        if f and f[0] == 'CHG':
            out.append((float(f[1]), float(f[2]), f[3]))
        elif f and f[0] == 'POLLS':
            polls = (int(f[1]), float(f[2]))
    return out, polls


def screen_hash():
    """The screen now, hashed as fastpoll hashes it (its BASE line; the command is `true`)."""
    out = subprocess.run([FASTPOLL, '0', '0', '-', 'true'], capture_output=True, text=True, env=m.env).stdout
    m.reap()
    return next(line.split()[1] for line in out.splitlines() if line.startswith('BASE'))


def clear_of_minute(need_s):
    """The kiosk shows HH:MM; wait so that no minute turns while it is being measured."""
    s = time.time() % 60
    if s + need_s > 59.5:
        time.sleep(60.2 - s)


def launch(label, app, tap=False):
    """One launch as measure.py's shm method does it; for the kiosk, READY=1 and a tap too."""
    udd = tempfile.mkdtemp(prefix='udd-', dir=OUT) if app == 'chromium' else None
    if udd and CAGE and os.geteuid() == 0:
        os.chown(udd, 65534, 65534)
    cmd = chromium_cmd(udd) if app == 'chromium' else kiosk_cmd
    env, cwd = (chromium_env, None) if app == 'chromium' else (kiosk_env, os.path.join(work, 'cwd'))
    if app == 'kiosk':
        clear_of_minute(10.0 if tap else 6.0)
    while not notes.empty():
        notes.get()
    idle = m.xwd_hash()
    r = {'label': label, 'app': app}
    logf = open(os.path.join(OUT, 'logs', label + '.stderr'), 'w')
    t0 = time.monotonic()
    p = subprocess.Popen([FASTPOLL, str(POLL_MS), '7000', '-', *cmd], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=logf, env=env, cwd=cwd, text=True)
    pid = int(p.stdout.readline().split()[1])
    t_fork = time.monotonic()  # fastpoll's t0 is just before its fork, < 1 ms before this
    changes, polls = changes_of(p.stdout)
    p.wait()
    r['pid'], r['changes'], r['polls'] = pid, len(changes), polls
    r['settled_ms'] = changes[-1][1] if changes else None
    r['first_change_ms'] = changes[0][1] if changes else None
    r['ready_ms'] = None
    while not notes.empty():
        t, msg = notes.get()
        if 'READY=1' in msg.split('\n') and r['ready_ms'] is None:
            r['ready_ms'] = (t - t_fork) * 1000
    delay = max(5000.0, (r['settled_ms'] or 0) + 3000.0) / 1000 - (time.monotonic() - t0)
    if delay > 0:
        time.sleep(delay)
    procs = [q for q in (m.mem_of(q) for q in m.session_pids(pid)) if not q.get('gone')]
    r['n_procs'] = len(procs)
    r['pss_mib'] = sum(q.get('Pss', 0) for q in procs) / 1024
    # Complete means the picture of the last change is still the picture now; a page
    # still changing when the poll ended (slower than POLL_MS) is not counted.
    r['final'] = changes[-1][2][:8] if changes else None
    if changes and screen_hash() != changes[-1][2]:
        print(f'warning: {label}: the picture changed after {POLL_MS} ms; not counted', file=sys.stderr)
        r['settled_ms'] = None
    if tap and r['settled_ms']:
        before = m.xwd_hash()
        out = subprocess.run([CLICKPOLL, str(TAP_AT[0]), str(TAP_AT[1]), str(TAP_MS), '2000'],
                             capture_output=True, text=True, env=m.env, check=True).stdout
        tc, _ = changes_of(out.splitlines())
        after = m.xwd_hash()
        r['tap_ms'] = tc[-1][1] if tc and after != before else None
    left = m.kill_session(pid)
    if left:
        print(f'warning: {label}: processes left after SIGKILL: {left}', file=sys.stderr)
    for _ in range(100):  # back to the empty screen before the next launch
        if m.xwd_hash() == idle:
            break
        time.sleep(0.05)
    if udd:
        shutil.rmtree(udd, ignore_errors=True)
    logf.close()
    with open(os.path.join(OUT, 'results.jsonl'), 'a') as f:
        f.write(json.dumps(r) + '\n')
    shown = {k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items() if k not in ('pid', 'polls')}
    print('  ' + json.dumps(shown, ensure_ascii=False), file=sys.stderr, flush=True)
    return r


load_start = os.getloadavg()[0]
print(f'display {m.DISP}: {session}; {runs} launches each, interleaved; '
      f'load average {load_start:.2f} at start', file=sys.stderr)
if load_start > 1.0:
    print(f'warning: load average {load_start:.2f}: something else is running; the times will be slower '
          'and noisier (the interleaved ratios less so)', file=sys.stderr)
first = launch('kiosk-first', 'kiosk')      # creates the store; reported apart
launch('chromium-warmup', 'chromium')       # not counted: page cache, as the kiosk's first start
rows = []
for i in range(1, runs + 1):
    rows.append(launch(f'chromium-{i}', 'chromium'))
    rows.append(launch(f'kiosk-{i}', 'kiosk', tap=True))


def stats(app, key):  # over the complete runs only, as the baseline's run.sh counts them
    v = [r[key] for r in rows if r['app'] == app and r['settled_ms'] is not None and r.get(key) is not None]
    return (st.median(v), min(v), max(v), len(v)) if v else None


def cell(s, unit, fmt='{:,.0f}'):
    if not s:
        return 'n/a'
    med, lo, hi, n = s
    return f'**{fmt.format(med)} {unit}** ({fmt.format(lo)}–{fmt.format(hi)}, n={n})'


failed = [r['label'] for r in rows if r['settled_ms'] is None]
if failed:
    print(f'warning: not counted (no picture, or not settled within {POLL_MS} ms): {failed}', file=sys.stderr)
t_k, t_c = stats('kiosk', 'settled_ms'), stats('chromium', 'settled_ms')
m_k, m_c = stats('kiosk', 'pss_mib'), stats('chromium', 'pss_mib')
if not (t_k and t_c and m_k and m_c):
    sys.exit('error: a side has no complete run; see the lines above and ' + os.path.join(OUT, 'logs'))
rt, rm = t_c[0] / t_k[0], m_c[0] / m_k[0]
ok = lambda b: 'yes' if b else '**no**'
ready, tap = stats('kiosk', 'ready_ms'), stats('kiosk', 'tap_ms')
print(f'\nstart → home page complete on screen: kiosk {t_k[0]:.0f} ms, Chromium {t_c[0]:.0f} ms: '
      f'{rt:.1f}× faster (goal ≥ 10×: {"met" if rt >= 10 else "NOT met"})')
print(f'memory on the home page (PSS):        kiosk {m_k[0]:.1f} MiB, Chromium {m_c[0]:.1f} MiB: '
      f'{rm:.1f}× smaller (goal ≥ 12×: {"met" if rm >= 12 else "NOT met"})')
print(f'\nMeasured by `scripts/bench-start.sh` on {time.strftime("%Y-%m-%d")} (release build, '
      f'{os.cpu_count()} cores, no GPU, {session}; {runs} launches of each, interleaved; '
      f'load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end); median (min–max):\n')
print('| what | kiosk | web kiosk (Chromium) | Chromium ÷ kiosk | goal | met |')
print('|---|---|---|---|---|---|')
print(f'| start → home page complete on screen (warm restart) | {cell(t_k, "ms")} | {cell(t_c, "ms")} '
      f'| {rt:.1f}× | ≥ 10× | {ok(rt >= 10)} |')
print(f'| memory on the home page (PSS, all processes) | {cell(m_k, "MiB", "{:.1f}")} | {cell(m_c, "MiB", "{:.0f}")} '
      f'| {rm:.1f}× | ≥ 12× | {ok(rm >= 12)} |')
fs = f'{first["settled_ms"]:,.0f} ms' if first['settled_ms'] else 'n/a'
print(f'| first start (store created) → home page on screen | {fs} | | | | |')
no_ready = 'n/a (no READY=1 came: a binary without sd_notify?)'
print(f'| start → sd_notify READY=1 | {cell(ready, "ms") if ready else no_ready} | | | | |')
print(f'| tap on a tile → next page complete on screen | {cell(tap, "ms")} | | | | |')
PY

python3 "$work/driver.py" "$work" "$baseline" "$bin" "$runs"
