//! Announcements: the clips joined into one sound, and the one thread that plays them.

use super::clips::{load_clip, phrase, run_command, temp_dir, temp_path, RunFailure};
use super::{ClipKey, Pcm, VoiceConfig, VoiceError, SAMPLE_RATE};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Silence between the chime and the first word.
pub const CHIME_PAUSE_MS: u32 = 300;
/// Silence between two words. Each clip keeps 15 ms of its own quiet ends, so the ear hears
/// about 100 ms between digits: they stay apart ("零、零、一") without sounding spelled out.
pub const WORD_GAP_MS: u32 = 70;
/// Silence before the announcement is said again.
pub const REPEAT_PAUSE_MS: u32 = 700;
/// The player is stopped when it runs this much longer than the sound it plays.
pub const PLAYER_GRACE: Duration = Duration::from_secs(5);
/// More repetitions than this are not made, whatever the configuration says.
pub const MAX_REPEAT: u32 = 5;

/// The whole announcement at 22050 Hz: the chime, a pause, then the phrase for ticket
/// `number` at `window` said `repeat` times (at least once, at most [`MAX_REPEAT`]) with a
/// pause between.
pub fn render(cfg: &VoiceConfig, number: &str, window: u32, repeat: u32) -> Result<Pcm, VoiceError> {
    let keys = phrase(number, window)?;
    let mut words = Pcm::new(SAMPLE_RATE, Vec::new());
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 {
            words.append(&Pcm::silence(SAMPLE_RATE, WORD_GAP_MS));
        }
        words.append(&load_clip(cfg, key)?);
    }
    let mut out = load_clip(cfg, ClipKey::Chime)?;
    out.append(&Pcm::silence(SAMPLE_RATE, CHIME_PAUSE_MS));
    for r in 0..repeat.clamp(1, MAX_REPEAT) {
        if r > 0 {
            out.append(&Pcm::silence(SAMPLE_RATE, REPEAT_PAUSE_MS));
        }
        out.append(&words);
    }
    Ok(out)
}

/// Writes `pcm` as a canonical 16-bit mono WAV file.
pub fn write_wav(path: &Path, pcm: &Pcm) -> Result<(), VoiceError> {
    std::fs::write(path, pcm.to_wav_bytes()).map_err(|e| VoiceError::io("write", path, e))
}

/// What the announcer has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnnouncerStats {
    /// Announcements the player finished.
    pub played: u64,
    /// Announcements that could not be rendered or played (no espeak-ng, no player, no sound card).
    pub failed: u64,
    /// Announcements said once only because too many calls were waiting.
    pub said_once: u64,
}

/// Plays calls one at a time, in call order, on one background thread.
///
/// [`Announcer::announce`] only queues the call and returns. Each call is said `cfg.repeat`
/// times, or once when more than `cfg.max_waiting_for_repeat` calls are waiting behind it
/// (counted when it starts). Failures never stop the queue: the first one is logged as a
/// warning ("no sound: calls continue without voice: ..."), the next ones at debug level
/// until the sound works again. Dropping the announcer stops the player and the thread and
/// forgets the calls still waiting.
pub struct Announcer {
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Call>,
    busy: bool,
    stats: AnnouncerStats,
}

struct Call {
    number: String,
    window: u32,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent under every lock, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Announcer {
    /// Starts the announcer thread (none when `cfg.enabled` is false: calls are then ignored).
    pub fn start(cfg: &VoiceConfig) -> Announcer {
        let shared =
            Arc::new(Shared { state: Mutex::default(), changed: Condvar::new(), stop: AtomicBool::new(false) });
        if !cfg.enabled {
            tracing::debug!("voice disabled: calls are not announced");
            return Announcer { shared, worker: None };
        }
        let (cfg, thread_shared) = (cfg.clone(), shared.clone());
        let worker = std::thread::Builder::new().name("voice".into()).spawn(move || run(cfg, thread_shared));
        match worker {
            Ok(handle) => Announcer { shared, worker: Some(handle) },
            Err(e) => {
                tracing::warn!("no sound: calls continue without voice: the voice thread did not start: {e}");
                Announcer { shared, worker: None }
            }
        }
    }

    /// Queues the call of ticket `number` to `window` and returns at once. Only a malformed
    /// number or window is refused; nothing about the sound is reported here.
    pub fn announce(&self, number: &str, window: u32) -> Result<(), VoiceError> {
        phrase(number, window)?;
        if self.worker.is_none() {
            return Ok(());
        }
        self.shared.lock().queue.push_back(Call { number: number.to_string(), window });
        self.shared.changed.notify_all();
        Ok(())
    }

    /// Calls queued and not yet started.
    pub fn waiting(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// Waits until nothing is playing or waiting; false if that did not happen within `timeout`.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while self.worker.is_some() && (state.busy || !state.queue.is_empty()) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self.shared.changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }

    pub fn stats(&self) -> AnnouncerStats {
        self.shared.lock().stats
    }
}

impl Drop for Announcer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// The announcer thread: takes calls in order and plays each to the end.
fn run(cfg: VoiceConfig, shared: Arc<Shared>) {
    let mut failing = false;
    loop {
        let (call, behind) = {
            let mut state = shared.lock();
            loop {
                if shared.stop.load(Ordering::SeqCst) {
                    if !state.queue.is_empty() {
                        tracing::debug!("voice stopping: {} waiting calls not announced", state.queue.len());
                        state.queue.clear();
                    }
                    shared.changed.notify_all();
                    return;
                }
                if let Some(call) = state.queue.pop_front() {
                    state.busy = true;
                    let behind = state.queue.len();
                    break (call, behind);
                }
                state = shared.changed.wait(state).unwrap_or_else(|e| e.into_inner());
            }
        };
        let once = behind > cfg.max_waiting_for_repeat;
        let repeat = if once { 1 } else { cfg.repeat.max(1) };
        let result = play(&cfg, &call, repeat, &shared.stop);
        {
            let mut state = shared.lock();
            state.busy = false;
            match &result {
                Ok(()) => state.stats.played += 1,
                Err(_) => state.stats.failed += 1,
            }
            if once {
                state.stats.said_once += 1;
            }
        }
        shared.changed.notify_all();
        match result {
            Ok(()) => {
                if failing {
                    tracing::info!("sound works again: calls are announced");
                }
                failing = false;
            }
            Err(_) if shared.stop.load(Ordering::SeqCst) => {}
            Err(e) if !failing => {
                tracing::warn!("no sound: calls continue without voice: {e}");
                failing = true;
            }
            Err(e) => tracing::debug!("no sound for {}: {e}", call.number),
        }
    }
}

/// Renders one call, writes it to a temp file and runs the player on it.
fn play(cfg: &VoiceConfig, call: &Call, repeat: u32, stop: &AtomicBool) -> Result<(), VoiceError> {
    let pcm = render(cfg, &call.number, call.window, repeat)?.scaled(cfg.volume);
    let dir = temp_dir(cfg);
    std::fs::create_dir_all(&dir).map_err(|e| VoiceError::io("create the folder", dir, e))?;
    let file = temp_path(cfg, &format!("call-{}", call.number), "wav");
    write_wav(&file, &pcm)?;
    let _marker = super::guidance::CallMarker::set(&cfg.cache_dir);
    let result = run_player(cfg, &file, pcm.duration() + PLAYER_GRACE, &|| stop.load(Ordering::SeqCst));
    let _ = std::fs::remove_file(&file);
    result
}

/// Runs the configured player on `file` until it ends, `timeout` passes or `stop` says so
/// ([`VoiceError::Stopped`]).
pub(super) fn run_player(
    cfg: &VoiceConfig,
    file: &Path,
    timeout: Duration,
    stop: &dyn Fn() -> bool,
) -> Result<(), VoiceError> {
    let command = cfg.player.join(" ");
    let Some((program, rest)) = cfg.player.split_first() else {
        return Err(VoiceError::Player { command, reason: "is empty: no player is configured".into() });
    };
    let mut args: Vec<OsString> = rest
        .iter()
        .map(|a| if a == "{file}" { file.into() } else { a.replace("{file}", &file.to_string_lossy()).into() })
        .collect();
    if !rest.iter().any(|a| a.contains("{file}")) {
        args.push(file.into());
    }
    run_command(program, &args, timeout, stop).map_err(|e| {
        let reason = match e {
            RunFailure::Stopped => return VoiceError::Stopped,
            RunFailure::Spawn(ref io) if io.kind() == std::io::ErrorKind::NotFound => {
                format!("{e} (for aplay: apt-get install alsa-utils)")
            }
            _ => e.to_string(),
        };
        VoiceError::Player { command, reason }
    })
}

#[cfg(test)]
mod tests {
    use super::super::clips::tests::{shared_cache, test_dir};
    use super::*;
    use std::path::PathBuf;

    fn samples_of(path: PathBuf) -> Vec<i16> {
        Pcm::parse(&std::fs::read(&path).unwrap()).unwrap().samples
    }

    fn zeros(ms: u32) -> Vec<i16> {
        vec![0; (22050 * ms / 1000) as usize]
    }

    /// chime + pause + (words joined by gaps) x repeat, from the given clip sample buffers.
    fn expected(chime: Vec<i16>, words: &[Vec<i16>], repeat: usize) -> Vec<i16> {
        let mut phrase = Vec::new();
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                phrase.extend(zeros(WORD_GAP_MS));
            }
            phrase.extend_from_slice(w);
        }
        let mut out = chime;
        out.extend(zeros(CHIME_PAUSE_MS));
        for r in 0..repeat {
            if r > 0 {
                out.extend(zeros(REPEAT_PAUSE_MS));
            }
            out.extend_from_slice(&phrase);
        }
        out
    }

    const A001_AT_1: [&str; 9] = [
        "qing.wav",
        "letter-a.wav",
        "digit-0.wav",
        "digit-0.wav",
        "digit-1.wav",
        "hao.wav",
        "dao.wav",
        "window-1.wav",
        "banli.wav",
    ];

    #[test]
    #[ignore = "full suite (./test.sh): needs espeak-ng"]
    fn a001_is_chime_pause_and_clips_twice() {
        let Some((cfg, _)) = shared_cache() else { return };
        let words: Vec<Vec<i16>> = A001_AT_1.iter().map(|n| samples_of(cfg.cache_dir.join(n))).collect();
        let chime = samples_of(cfg.cache_dir.join("chime.wav"));
        for (name, w) in A001_AT_1.iter().zip(&words) {
            eprintln!("{name}: {:.3} s", w.len() as f64 / 22050.0);
        }
        let pcm = render(cfg, "A001", 1, 2).unwrap();
        assert_eq!(pcm.rate, 22050);
        assert_eq!(pcm.samples, expected(chime.clone(), &words, 2));
        eprintln!(
            "chime {:.3} s; A001 at window 1, repeat 2: {:.3} s",
            chime.len() as f64 / 22050.0,
            pcm.duration().as_secs_f64()
        );
        let once = render(cfg, "A001", 1, 1).unwrap();
        assert_eq!(once.samples, expected(chime.clone(), &words, 1));
        assert_eq!(render(cfg, "A001", 1, 0).unwrap(), once);
        let most = render(cfg, "A001", 1, MAX_REPEAT).unwrap();
        assert_eq!(render(cfg, "A001", 1, u32::MAX).unwrap(), most);
        let path = test_dir("write-wav").join("a001.wav");
        write_wav(&path, &pcm).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 44 + 2 * pcm.samples.len() as u64);
        assert!(matches!(render(cfg, "A01", 1, 2), Err(VoiceError::BadNumber(_))));
    }

    #[test]
    #[ignore = "full suite (./test.sh): needs espeak-ng"]
    fn a_custom_clip_replaces_the_rendered_one() {
        let Some((cfg, _)) = shared_cache() else { return };
        let custom = test_dir("custom-qing");
        // A square wave loud from its first to its last sample: trimming leaves it whole.
        let qing: Vec<i16> = (0..5000).map(|i| if (i / 25) % 2 == 0 { 8000 } else { -8000 }).collect();
        write_wav(&custom.join("qing.wav"), &Pcm::new(22050, qing.clone())).unwrap();
        let cfg = VoiceConfig { custom_dir: Some(custom), ..cfg.clone() };
        let mut words: Vec<Vec<i16>> = A001_AT_1.iter().map(|n| samples_of(cfg.cache_dir.join(n))).collect();
        assert_ne!(words[0], qing);
        words[0] = qing;
        let chime = samples_of(cfg.cache_dir.join("chime.wav"));
        assert_eq!(render(&cfg, "A001", 1, 2).unwrap().samples, expected(chime, &words, 2));
        let report = super::super::prepare(&cfg, &[1, 2, 10]).unwrap();
        assert_eq!(report.custom, [ClipKey::Qing]);
        assert_eq!(report.rendered, []);
    }

    /// A configuration whose clips are all the station's own (simple tones): no espeak-ng needed.
    fn synthetic_voice(name: &str) -> VoiceConfig {
        let custom = test_dir(&format!("{name}-custom"));
        let mut keys = vec![ClipKey::Qing, ClipKey::Letter('A'), ClipKey::Hao, ClipKey::Dao, ClipKey::Window(1)];
        keys.extend((0..=9).map(ClipKey::Digit));
        keys.push(ClipKey::Banli);
        for (i, key) in keys.iter().enumerate() {
            let n = 22050 * (80 + 10 * i) / 1000;
            let hz = 300.0 + 20.0 * i as f64;
            let samples = (0..n)
                .map(|j| (8000.0 * (2.0 * std::f64::consts::PI * hz * j as f64 / 22050.0).sin()) as i16)
                .collect();
            write_wav(&custom.join(key.file_name()), &Pcm::new(22050, samples)).unwrap();
        }
        VoiceConfig {
            espeak: "/nonexistent/espeak-ng".into(),
            cache_dir: test_dir(&format!("{name}-cache")),
            custom_dir: Some(custom),
            ..VoiceConfig::default()
        }
    }

    #[test]
    fn calls_play_in_order_one_at_a_time() {
        let mut cfg = synthetic_voice("order");
        let dir = test_dir("order-player");
        let log = dir.join("log");
        let script = dir.join("player.sh");
        // While the gate file exists the player holds the first call, so that the others are
        // surely queued behind it however slow the machine is.
        let gate = dir.join("gate");
        std::fs::write(&gate, "").unwrap();
        std::fs::write(
            &script,
            format!(
                "f=\"$1\"\nn=$(basename \"$f\")\ns=$(wc -c < \"$f\")\n\
                 echo \"start $n $s $(date +%s.%N)\" >> '{log}'\n\
                 i=0; while [ -e '{gate}' ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done\n\
                 sleep 0.2\necho \"end $n $(date +%s.%N)\" >> '{log}'\n",
                log = log.display(),
                gate = gate.display()
            ),
        )
        .unwrap();
        cfg.player = vec!["sh".into(), script.display().to_string(), "{file}".into()];
        let announcer = Announcer::start(&cfg);
        let first = Instant::now();
        announcer.announce("A001", 1).unwrap();
        // The rest are queued once A001 plays, so A001 had nobody waiting behind it.
        while !std::fs::read_to_string(&log).unwrap_or_default().contains("start") {
            assert!(first.elapsed() < Duration::from_secs(10), "the player never started");
            std::thread::sleep(Duration::from_millis(5));
        }
        // The player is held at its gate: had announce waited for it, this would never end.
        for i in 2..=10 {
            announcer.announce(&format!("A{i:03}"), 1).unwrap();
        }
        assert_eq!(announcer.waiting(), 9);
        std::fs::remove_file(&gate).unwrap();
        assert!(announcer.wait_idle(Duration::from_secs(30)));
        let text = std::fs::read_to_string(&log).unwrap();
        let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
        assert_eq!(lines.len(), 20, "{text}");
        // 8 behind A002 when it starts, ... 4 behind A006 (said once); 3 behind A007 (twice).
        let repeats = [2, 1, 1, 1, 1, 1, 2, 2, 2, 2];
        let mut last_end = 0.0;
        for (i, pair) in lines.chunks(2).enumerate() {
            let number = format!("A{:03}", i + 1);
            let (start, end) = (&pair[0], &pair[1]);
            assert_eq!((start[0], end[0]), ("start", "end"), "{text}");
            assert!(start[1].starts_with(&format!("call-{number}-")), "{number} out of order:\n{text}");
            assert_eq!(start[1], end[1]);
            let size: u64 = start[2].parse().unwrap();
            let want = render(&cfg, &number, 1, repeats[i]).unwrap();
            assert_eq!(size, 44 + 2 * want.samples.len() as u64, "{number} said {} times?", repeats[i]);
            let (t0, t1): (f64, f64) = (start[3].parse().unwrap(), end[2].parse().unwrap());
            assert!(t0 >= last_end, "{number} started before the previous call ended:\n{text}");
            assert!(t1 - t0 >= 0.19, "{text}");
            last_end = t1;
        }
        assert_eq!(announcer.stats(), AnnouncerStats { played: 10, failed: 0, said_once: 5 });
        // Played files are removed.
        let left: Vec<_> = std::fs::read_dir(cfg.cache_dir.join("tmp")).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_failing_player_does_not_stop_the_queue() {
        for player in [vec!["false".to_string()], vec!["/nonexistent/aplay".to_string(), "{file}".to_string()]] {
            let cfg = VoiceConfig { player: player.clone(), ..synthetic_voice("failing") };
            let announcer = Announcer::start(&cfg);
            for n in ["A001", "A002", "A003"] {
                announcer.announce(n, 1).unwrap();
            }
            assert!(announcer.wait_idle(Duration::from_secs(20)), "{player:?}");
            assert_eq!(announcer.stats().failed, 3, "{player:?}");
            announcer.announce("A004", 1).unwrap();
            assert!(announcer.wait_idle(Duration::from_secs(20)));
            assert_eq!(announcer.stats(), AnnouncerStats { played: 0, failed: 4, said_once: 0 });
        }
        // No espeak-ng and no custom clips: rendering fails, the queue still goes on.
        let cfg = VoiceConfig {
            espeak: "/nonexistent/espeak-ng".into(),
            player: vec!["true".into()],
            cache_dir: test_dir("no-clips"),
            ..VoiceConfig::default()
        };
        let announcer = Announcer::start(&cfg);
        announcer.announce("B123", 7).unwrap();
        announcer.announce("C456", 8).unwrap();
        assert!(announcer.wait_idle(Duration::from_secs(20)));
        assert_eq!(announcer.stats().failed, 2);
    }

    #[test]
    fn the_player_command_gets_the_file() {
        let dir = test_dir("player-args");
        let out = dir.join("args");
        // Without {file} the path is appended.
        let cfg = VoiceConfig {
            player: vec!["sh".into(), "-c".into(), format!("echo \"$0\" \"$1\" > '{}'", out.display()), "x".into()],
            ..synthetic_voice("player-args")
        };
        let announcer = Announcer::start(&cfg);
        announcer.announce("A001", 1).unwrap();
        assert!(announcer.wait_idle(Duration::from_secs(20)));
        let args = std::fs::read_to_string(&out).unwrap();
        assert!(args.starts_with("x ") && args.contains("call-A001-") && args.trim_end().ends_with(".wav"), "{args}");
        let empty = VoiceConfig { player: vec![], ..cfg };
        let err = run_player(&empty, Path::new("x.wav"), Duration::from_secs(1), &|| false);
        assert!(err.unwrap_err().to_string().contains("no player"));
    }

    #[test]
    fn drop_stops_a_playing_call_promptly() {
        let cfg = VoiceConfig {
            player: vec!["sh".into(), "-c".into(), "exec sleep 30".into(), "{file}".into()],
            ..synthetic_voice("drop")
        };
        let announcer = Announcer::start(&cfg);
        announcer.announce("A001", 1).unwrap();
        announcer.announce("A002", 1).unwrap();
        let asked = Instant::now();
        while announcer.waiting() != 1 {
            assert!(asked.elapsed() < Duration::from_secs(10), "A001 never started");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(!announcer.wait_idle(Duration::from_millis(200)));
        // The player sleeps 30 s: dropping the announcer stops it instead of waiting for it
        // (20 s only bounds a failure).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            drop(announcer);
            let _ = tx.send(());
        });
        assert!(rx.recv_timeout(Duration::from_secs(20)).is_ok(), "the playing call was not stopped");
    }

    #[test]
    fn a_disabled_announcer_accepts_calls_and_says_nothing() {
        let cfg = VoiceConfig { enabled: false, player: vec!["false".into()], ..synthetic_voice("disabled") };
        let announcer = Announcer::start(&cfg);
        announcer.announce("A001", 1).unwrap();
        assert!(matches!(announcer.announce("A1", 1), Err(VoiceError::BadNumber(_))));
        assert!(matches!(announcer.announce("A001", 0), Err(VoiceError::BadWindow(0))));
        assert!(announcer.wait_idle(Duration::ZERO));
        assert_eq!(announcer.stats(), AnnouncerStats::default());
        assert_eq!(announcer.waiting(), 0);
    }
}
