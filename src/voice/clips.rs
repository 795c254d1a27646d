//! The words an announcement is made of: one WAV clip each, rendered once by espeak-ng into
//! the cache folder (or recorded by the station), plus a chime made here in code.

use super::{Pcm, VoiceConfig, VoiceError, SAMPLE_RATE};
use crate::system::ChildError;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Samples at most this loud (about -42 dBFS) count as silence when trimming a clip's ends.
const TRIM_THRESHOLD: i16 = 256;
/// How much of that near-silence is kept at each end, so soft onsets and decays survive.
const TRIM_KEEP_MS: u32 = 15;
/// espeak-ng's amplitude (`-a`, default 100). At 100 it clips 二 (er4) at full scale; at 80
/// the loudest clip (十二号窗口) peaks at 0.91 of full scale.
const ESPEAK_AMPLITUDE: &str = "80";
/// espeak-ng speaks a word in well under a second; this only guards against a hang.
const ESPEAK_TIMEOUT: Duration = Duration::from_secs(30);
/// Bump when the spoken texts or the way clips are cut change: cached clips are then rendered anew.
const CACHE_VERSION: u32 = 1;
const STAMP_FILE: &str = "clips.stamp";

const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// One clip of an announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClipKey {
    /// The two-tone chime before the words (made in code, not spoken).
    Chime,
    /// 请
    Qing,
    /// The ticket's prefix letter, A-Z.
    Letter(char),
    /// One digit of the ticket number, 0-9.
    Digit(u8),
    /// 号
    Hao,
    /// 到
    Dao,
    /// N号窗口, N in 1..=99
    Window(u32),
    /// 办理
    Banli,
}

impl ClipKey {
    /// The clip's file name in the cache and custom folders, e.g. `letter-a.wav`, `window-10.wav`.
    pub fn file_name(&self) -> String {
        match *self {
            ClipKey::Chime => "chime.wav".into(),
            ClipKey::Qing => "qing.wav".into(),
            ClipKey::Letter(c) => format!("letter-{}.wav", c.to_ascii_lowercase()),
            ClipKey::Digit(d) => format!("digit-{d}.wav"),
            ClipKey::Hao => "hao.wav".into(),
            ClipKey::Dao => "dao.wav".into(),
            ClipKey::Window(n) => format!("window-{n}.wav"),
            ClipKey::Banli => "banli.wav".into(),
        }
    }

    /// The clip a file name stands for, if it is one of ours.
    pub fn from_file_name(name: &str) -> Option<ClipKey> {
        let stem = name.strip_suffix(".wav")?;
        let key = match stem {
            "chime" => ClipKey::Chime,
            "qing" => ClipKey::Qing,
            "hao" => ClipKey::Hao,
            "dao" => ClipKey::Dao,
            "banli" => ClipKey::Banli,
            _ => {
                if let Some(letter) = stem.strip_prefix("letter-") {
                    let mut chars = letter.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) if c.is_ascii_lowercase() => ClipKey::Letter(c.to_ascii_uppercase()),
                        _ => return None,
                    }
                } else if let Some(digit) = stem.strip_prefix("digit-") {
                    match digit.as_bytes() {
                        [d @ b'0'..=b'9'] => ClipKey::Digit(d - b'0'),
                        _ => return None,
                    }
                } else if let Some(n) = stem.strip_prefix("window-") {
                    let n: u32 = n.parse().ok()?;
                    ClipKey::Window(n)
                } else {
                    return None;
                }
            }
        };
        (key.file_name() == name && key.is_valid()).then_some(key)
    }

    fn is_valid(&self) -> bool {
        match *self {
            ClipKey::Letter(c) => c.is_ascii_uppercase(),
            ClipKey::Digit(d) => d <= 9,
            ClipKey::Window(n) => (1..=99).contains(&n),
            _ => true,
        }
    }

    /// What espeak-ng is given to say for this clip; `None` for the chime and for keys out of range.
    pub fn text(&self) -> Option<String> {
        if !self.is_valid() {
            return None;
        }
        match *self {
            ClipKey::Chime => None,
            ClipKey::Qing => Some("请".into()),
            ClipKey::Letter(c) => Some(letter_text(c).into()),
            ClipKey::Digit(d) => Some(DIGITS[d as usize].into()),
            ClipKey::Hao => Some("号".into()),
            ClipKey::Dao => Some("到".into()),
            ClipKey::Window(n) => Some(format!("{}号窗口", chinese_number(n))),
            ClipKey::Banli => Some("办理".into()),
        }
    }

    /// Every clip that any ticket called to any of `windows` needs: the chime, 请, the letters
    /// A-Z, the digits, 号, 到, each window once, 办理.
    pub fn needed(windows: &[u32]) -> Vec<ClipKey> {
        let mut keys = vec![ClipKey::Chime, ClipKey::Qing];
        keys.extend(('A'..='Z').map(ClipKey::Letter));
        keys.extend((0..=9).map(ClipKey::Digit));
        keys.extend([ClipKey::Hao, ClipKey::Dao]);
        for &w in windows {
            if !keys.contains(&ClipKey::Window(w)) {
                keys.push(ClipKey::Window(w));
            }
        }
        keys.push(ClipKey::Banli);
        keys
    }
}

/// The text for a ticket's prefix letter.
///
/// espeak-ng 1.51 with `cmn-latn-pinyin` says a lone capital letter by the name Mandarin
/// speakers give English letters (`espeak-ng -v cmn-latn-pinyin -x -q A`, in pinyin):
/// A ei4, B bi4, C sei1, D di4, E yi4, F ai2-f, G zhi4, H ei2-ch, I ai4, J zhei4, K kei4,
/// L ai2-l, M ai2-m, N en1, O ou1, P pi4, Q kiu1, R er2, S ai2-s, T ti4, U you1, V vei1
/// (northern speakers' "wei"), W da2-bliu, X ai2-ks, Y wai4, Z zi4. Lower case is the same.
/// Those are fine but for two, given in pinyin instead (the voice reads pinyin with tones):
/// - G: "zhi4" is retroflex, not how G is said; "ji4" (as in GDP, ji-di-pi) is.
/// - R: "er2" (儿) is only a tone away from 二 (er4), so R001 could be heard as 二零零一;
///   "a4er" (à-r, the usual 阿儿) cannot be.
///
/// E ("yi4") is near 一 (yi1) and has no better spelling: the shipped prefixes avoid it, and
/// `kiosk config check` warns about it (see [`prefix_warnings`]) unless the station
/// recorded its own `letter-e.wav`.
fn letter_text(c: char) -> &'static str {
    const LETTERS: [&str; 26] = [
        "A", "B", "C", "D", "E", "F", "ji4", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "a4er", "S", "T", "U",
        "V", "W", "X", "Y", "Z",
    ];
    if c.is_ascii_uppercase() {
        LETTERS[(c as u8 - b'A') as usize]
    } else {
        ""
    }
}

/// Letters the voice says ambiguously as a ticket prefix: E (yi4) is heard as 一, so E001
/// sounds like 一零零一.
const HEARD_AS_DIGIT: [(char, &str); 1] = [('E', "读出来像“一”，E001 听起来是“一零零一”")];

/// Pairs the voice tells apart only by a puff of breath (bi4/pi4, di4/ti4): in a noisy
/// hall B001 and P001 are easily mixed up.
const CONFUSED_PAIRS: [(char, char); 2] = [('B', 'P'), ('D', 'T')];

/// What is wrong with these ticket prefixes when they are spoken, for `kiosk config
/// check`: (prefix, why) for each letter the voice says ambiguously, unless the station
/// recorded its own clip for it in `custom` (`letter-e.wav`).
pub fn prefix_warnings(prefixes: &[char], custom: Option<&std::path::Path>) -> Vec<(char, String)> {
    let recorded = |c: char| custom.is_some_and(|d| d.join(ClipKey::Letter(c).file_name()).is_file());
    let mut out = Vec::new();
    for &p in prefixes {
        if recorded(p) {
            continue;
        }
        if let Some((_, why)) = HEARD_AS_DIGIT.iter().find(|(c, _)| *c == p) {
            out.push((
                p,
                format!("字头 {p} {why}。请换一个字头（例如 K），或录一段 {}", ClipKey::Letter(p).file_name()),
            ));
        }
        for (a, b) in CONFUSED_PAIRS {
            let other = if p == a {
                b
            } else if p == b {
                a
            } else {
                continue;
            };
            if prefixes.contains(&other) && !recorded(other) {
                out.push((
                    p,
                    format!(
                        "字头 {p} 和 {other} 读出来只差送气，叫号时容易听混。请换掉其中一个，或录一段 {}",
                        ClipKey::Letter(p).file_name()
                    ),
                ));
            }
        }
    }
    out
}

/// 1..=99 as spoken: 1 一, 10 十, 11 十一, 20 二十, 21 二十一.
fn chinese_number(n: u32) -> String {
    let (tens, ones) = ((n / 10) as usize, (n % 10) as usize);
    match (tens, ones) {
        (0, o) => DIGITS[o].to_string(),
        (1, 0) => "十".to_string(),
        (1, o) => format!("十{}", DIGITS[o]),
        (t, 0) => format!("{}十", DIGITS[t % 10]),
        (t, o) => format!("{}十{}", DIGITS[t % 10], DIGITS[o]),
    }
}

/// The clips that say ticket `number` (one capital letter and three digits, like `A001`) is
/// called to `window` (1..=99): 请, the letter, each digit, 号, 到, N号窗口, 办理.
pub fn phrase(number: &str, window: u32) -> Result<Vec<ClipKey>, VoiceError> {
    let bad = || VoiceError::BadNumber(number.to_string());
    let bytes = number.as_bytes();
    let [letter @ b'A'..=b'Z', digits @ ..] = bytes else {
        return Err(bad());
    };
    if digits.len() != 3 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    if !(1..=99).contains(&window) {
        return Err(VoiceError::BadWindow(window));
    }
    let mut keys = vec![ClipKey::Qing, ClipKey::Letter(*letter as char)];
    keys.extend(digits.iter().map(|d| ClipKey::Digit(d - b'0')));
    keys.extend([ClipKey::Hao, ClipKey::Dao, ClipKey::Window(window), ClipKey::Banli]);
    Ok(keys)
}

/// A two-tone "ding-dong" at 22050 Hz, 1.2 s: E5 (659 Hz) then C5 (523 Hz), each a decaying
/// sine with a little octave overtone that dies first, so it rings like a soft bell.
pub fn chime() -> Pcm {
    const TONES: [(f64, f64); 2] = [(659.25, 0.0), (523.25, 0.45)];
    const TOTAL_S: f64 = 1.2;
    const DECAY_S: f64 = 0.3;
    const OVERTONE_DECAY_S: f64 = 0.08;
    const ATTACK_S: f64 = 0.004;
    const FADE_S: f64 = 0.04;
    const LEVEL: f64 = 0.38 * i16::MAX as f64;
    let rate = SAMPLE_RATE as f64;
    let n = (TOTAL_S * rate).round() as usize;
    let fade = (FADE_S * rate) as usize;
    let two_pi = 2.0 * std::f64::consts::PI;
    let samples = (0..n)
        .map(|i| {
            let t = i as f64 / rate;
            let mut v = 0.0;
            for (hz, start) in TONES {
                if t < start {
                    continue;
                }
                let tau = t - start;
                let env = (tau / ATTACK_S).min(1.0) * (-tau / DECAY_S).exp();
                let overtone = 0.3 * (-tau / OVERTONE_DECAY_S).exp() * (two_pi * 2.0 * hz * tau).sin();
                v += env * ((two_pi * hz * tau).sin() + overtone);
            }
            let tail = (n - 1 - i).min(fade) as f64 / fade as f64;
            (v * tail * LEVEL).round().clamp(i16::MIN as f64, i16::MAX as f64) as i16
        })
        .collect();
    Pcm::new(SAMPLE_RATE, samples)
}

/// What [`prepare`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrepareReport {
    /// Clips that were missing (or unreadable) in the cache and were rendered now.
    pub rendered: Vec<ClipKey>,
    /// Clips already in the cache.
    pub cached: usize,
    /// Clips the station recorded itself (these are not rendered).
    pub custom: Vec<ClipKey>,
    /// Custom clips that could not be used (the rendered clip is used instead), with the reason.
    pub bad_custom: Vec<String>,
}

/// Makes sure every clip any ticket at any of `windows` needs is in `cfg.cache_dir`,
/// rendering only the missing ones with espeak-ng. Clips the station recorded in
/// `cfg.custom_dir` are checked instead of rendered. Run it at startup (it takes a couple of
/// seconds the first time) so the first call is not delayed; `render` works without it.
pub fn prepare(cfg: &VoiceConfig, windows: &[u32]) -> Result<PrepareReport, VoiceError> {
    if let Some(&w) = windows.iter().find(|w| !(1..=99).contains(*w)) {
        return Err(VoiceError::BadWindow(w));
    }
    check_cache(cfg)?;
    remove_stale_temp_files(cfg);
    let mut report = PrepareReport::default();
    for key in ClipKey::needed(windows) {
        if let Some(path) = custom_path(cfg, key) {
            match read_custom(&path) {
                Ok(_) => {
                    report.custom.push(key);
                    continue;
                }
                Err(e) => {
                    tracing::warn!("custom voice clip not used: {e}");
                    report.bad_custom.push(e.to_string());
                }
            }
        }
        let path = cache_path(cfg, key);
        if path.exists() {
            match read_wav(&path) {
                Ok(pcm) if !pcm.samples.is_empty() => {
                    report.cached += 1;
                    continue;
                }
                Ok(_) => tracing::warn!("cached voice clip {} is empty: rendering it again", path.display()),
                Err(e) => tracing::warn!("{e}: rendering it again"),
            }
        }
        render_into_cache(cfg, key)?;
        report.rendered.push(key);
    }
    if !report.rendered.is_empty() {
        tracing::info!("voice clips rendered: {}", report.rendered.len());
    }
    Ok(report)
}

/// Reads a WAV file (any PCM 8/16-bit rate and channel count) as mono.
pub fn read_wav(path: &Path) -> Result<Pcm, VoiceError> {
    let bytes = std::fs::read(path).map_err(|e| VoiceError::io("read", path, e))?;
    Pcm::parse(&bytes).map_err(|source| VoiceError::BadClip { path: path.to_path_buf(), source })
}

/// One clip at 22050 Hz: the station's recording if it has a usable one, else the cached
/// clip, else rendered now (and cached).
pub fn load_clip(cfg: &VoiceConfig, key: ClipKey) -> Result<Pcm, VoiceError> {
    if let Some(path) = custom_path(cfg, key) {
        match read_custom(&path) {
            Ok(pcm) => return Ok(pcm),
            Err(e) => tracing::debug!("custom voice clip not used: {e}"),
        }
    }
    if let Err(e) = check_cache(cfg) {
        tracing::debug!("voice cache stamp not checked: {e}");
    }
    let path = cache_path(cfg, key);
    match read_wav(&path) {
        Ok(pcm) if !pcm.samples.is_empty() => return Ok(pcm.resample(SAMPLE_RATE)),
        Ok(_) => tracing::debug!("cached voice clip {} is empty: rendering it again", path.display()),
        Err(VoiceError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::debug!("{e}: rendering it again"),
    }
    render_into_cache(cfg, key)
}

fn cache_path(cfg: &VoiceConfig, key: ClipKey) -> PathBuf {
    cfg.cache_dir.join(key.file_name())
}

fn custom_path(cfg: &VoiceConfig, key: ClipKey) -> Option<PathBuf> {
    let path = cfg.custom_dir.as_ref()?.join(key.file_name());
    path.is_file().then_some(path)
}

/// A station's recording: any rate, mono or stereo, its silent ends cut like rendered clips.
fn read_custom(path: &Path) -> Result<Pcm, VoiceError> {
    let pcm = read_wav(path)?.resample(SAMPLE_RATE).trim_silence(TRIM_THRESHOLD, TRIM_KEEP_MS);
    if pcm.samples.is_empty() {
        return Err(VoiceError::SilentClip { path: path.to_path_buf() });
    }
    Ok(pcm)
}

/// The folder for files being written or played.
pub(super) fn temp_dir(cfg: &VoiceConfig) -> PathBuf {
    cfg.cache_dir.join("tmp")
}

/// A fresh path in the temp folder: `{stem}-{pid}-{counter}.{ext}`.
pub(super) fn temp_path(cfg: &VoiceConfig, stem: &str, ext: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    temp_dir(cfg).join(format!("{stem}-{}-{n}.{ext}", std::process::id()))
}

fn create_dirs(cfg: &VoiceConfig) -> Result<(), VoiceError> {
    let tmp = temp_dir(cfg);
    std::fs::create_dir_all(&tmp).map_err(|e| VoiceError::io("create the folder", tmp, e))
}

/// Writes `bytes` to `path` whole or not at all (`system::write_atomically`).
fn write_atomic(cfg: &VoiceConfig, path: &Path, bytes: &[u8]) -> Result<(), VoiceError> {
    create_dirs(cfg)?;
    crate::system::write_atomically(path, bytes).map_err(|e| VoiceError::io("write", path, e))
}

/// Cached clips carry a stamp naming the voice and the clip format; when it does not match
/// the configuration (another voice, a newer version of this module) they are dropped.
fn check_cache(cfg: &VoiceConfig) -> Result<(), VoiceError> {
    create_dirs(cfg)?;
    let stamp_path = cfg.cache_dir.join(STAMP_FILE);
    let expected = format!("voice clips {CACHE_VERSION}\nvoice {}\n", cfg.voice);
    if std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == expected) {
        return Ok(());
    }
    let entries = std::fs::read_dir(&cfg.cache_dir).map_err(|e| VoiceError::io("list", &cfg.cache_dir, e))?;
    let mut dropped = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_str().and_then(ClipKey::from_file_name).is_some() && std::fs::remove_file(entry.path()).is_ok() {
            dropped += 1;
        }
    }
    if dropped > 0 {
        tracing::info!("voice settings changed: {dropped} cached clips dropped");
    }
    write_atomic(cfg, &stamp_path, expected.as_bytes())
}

/// Files a crash left in the temp folder; only old ones, a running player may be reading a new one.
fn remove_stale_temp_files(cfg: &VoiceConfig) {
    let Ok(entries) = std::fs::read_dir(temp_dir(cfg)) else { return };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > Duration::from_secs(3600)));
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn render_into_cache(cfg: &VoiceConfig, key: ClipKey) -> Result<Pcm, VoiceError> {
    let pcm = match key {
        ClipKey::Chime => chime(),
        _ => speak(cfg, &key.text().ok_or(VoiceError::NoText(key))?)?,
    };
    write_atomic(cfg, &cache_path(cfg, key), &pcm.to_wav_bytes())?;
    tracing::debug!("voice clip {} rendered", key.file_name());
    Ok(pcm)
}

/// Runs espeak-ng on `text` and returns the speech at 22050 Hz with its silent ends cut.
pub(super) fn speak(cfg: &VoiceConfig, text: &str) -> Result<Pcm, VoiceError> {
    create_dirs(cfg)?;
    let out = temp_path(cfg, "espeak", "wav");
    let failed = |reason: String| VoiceError::EspeakFailed {
        program: cfg.espeak.clone(),
        voice: cfg.voice.clone(),
        text: text.to_string(),
        reason,
    };
    let args: Vec<OsString> = vec![
        "-a".into(),
        ESPEAK_AMPLITUDE.into(),
        "-v".into(),
        cfg.voice.clone().into(),
        "-w".into(),
        out.clone().into(),
        text.into(),
    ];
    let result = run_command(&cfg.espeak, &args, ESPEAK_TIMEOUT, &|| false);
    let bytes = std::fs::read(&out);
    let _ = std::fs::remove_file(&out);
    match result {
        Ok(()) => {}
        Err(RunFailure::Spawn(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(VoiceError::EspeakMissing { program: cfg.espeak.clone() })
        }
        Err(e) => return Err(failed(e.to_string())),
    }
    let bytes = bytes.map_err(|e| failed(format!("it wrote no WAV file ({e})")))?;
    let pcm = Pcm::parse(&bytes).map_err(|e| failed(format!("its WAV file is unreadable ({e})")))?;
    let pcm = pcm.resample(SAMPLE_RATE).trim_silence(TRIM_THRESHOLD, TRIM_KEEP_MS);
    if pcm.samples.is_empty() {
        return Err(failed("it produced only silence".into()));
    }
    Ok(pcm)
}

/// How a command run by [`run_command`] went wrong.
#[derive(Debug)]
pub(super) enum RunFailure {
    Spawn(std::io::Error),
    Exit { status: String, stderr: String },
    TimedOut(Duration),
    Stopped,
}

impl std::fmt::Display for RunFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunFailure::Spawn(e) => write!(f, "could not be started: {e}"),
            RunFailure::Exit { status, stderr } if stderr.is_empty() => write!(f, "failed ({status})"),
            RunFailure::Exit { status, stderr } => write!(f, "failed ({status}): {stderr}"),
            RunFailure::TimedOut(t) => write!(f, "ran longer than {:.1} s and was stopped", t.as_secs_f64()),
            RunFailure::Stopped => write!(f, "was stopped because the announcer is shutting down"),
        }
    }
}

/// Runs `program args` to its end with `system::run` (the deadline and the stop are
/// there); a failed exit keeps the start of its stderr for the message.
pub(super) fn run_command(
    program: &str,
    args: &[OsString],
    timeout: Duration,
    stop: &dyn Fn() -> bool,
) -> Result<(), RunFailure> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    match crate::system::run(cmd, timeout, stop) {
        Ok(done) if done.status.success() => Ok(()),
        Ok(done) => {
            let stderr: String = done.stderr.trim().chars().take(4096).collect();
            Err(RunFailure::Exit { status: done.status.to_string(), stderr })
        }
        Err(ChildError::Spawn(e)) => Err(RunFailure::Spawn(e)),
        Err(ChildError::TimedOut(t)) => Err(RunFailure::TimedOut(t)),
        Err(ChildError::Stopped) => Err(RunFailure::Stopped),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// A fresh, empty folder for one test.
    pub(in super::super) fn test_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kiosk-voice-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// espeak-ng is installed by the test command (./test.sh); a machine without it fails
    /// these tests rather than passing them unexercised. `KIOSK_NO_ESPEAK=1` skips them
    /// deliberately (a developer's machine without the package).
    pub(in super::super) fn espeak_installed() -> bool {
        let ok = Command::new("espeak-ng").arg("--version").output().is_ok_and(|o| o.status.success());
        if !ok {
            assert!(
                std::env::var_os("KIOSK_NO_ESPEAK").is_some(),
                "espeak-ng is not installed (./test.sh installs it; KIOSK_NO_ESPEAK=1 skips these tests)"
            );
            eprintln!("espeak-ng is not installed: test skipped (KIOSK_NO_ESPEAK)");
        }
        ok
    }

    /// One cache prepared for windows [1, 2, 10], shared by the tests that need espeak-ng;
    /// with the report of that first `prepare`. `None` without espeak-ng.
    pub(in super::super) fn shared_cache() -> Option<&'static (VoiceConfig, PrepareReport)> {
        static CACHE: OnceLock<Option<(VoiceConfig, PrepareReport)>> = OnceLock::new();
        CACHE
            .get_or_init(|| {
                if !espeak_installed() {
                    return None;
                }
                let cfg = VoiceConfig { cache_dir: test_dir("shared-cache"), ..VoiceConfig::default() };
                let report = prepare(&cfg, &[1, 2, 10]).expect("prepare with espeak-ng");
                Some((cfg, report))
            })
            .as_ref()
    }

    #[test]
    fn phrase_of_a001_at_window_1() {
        use ClipKey::*;
        assert_eq!(
            phrase("A001", 1).unwrap(),
            [Qing, Letter('A'), Digit(0), Digit(0), Digit(1), Hao, Dao, Window(1), Banli]
        );
        assert_eq!(
            phrase("Z987", 99).unwrap(),
            [Qing, Letter('Z'), Digit(9), Digit(8), Digit(7), Hao, Dao, Window(99), Banli]
        );
    }

    #[test]
    fn bad_numbers_and_windows_are_refused() {
        for bad in
            ["", "A", "A01", "A0001", "a001", "AA01", "1001", "A00x", "Ａ001", "A００1", " A001", "A001 ", "É001"]
        {
            assert!(matches!(phrase(bad, 1), Err(VoiceError::BadNumber(n)) if n == bad), "{bad:?}");
        }
        assert!(matches!(phrase("A001", 0), Err(VoiceError::BadWindow(0))));
        assert!(matches!(phrase("A001", 100), Err(VoiceError::BadWindow(100))));
        let msg = phrase("a001", 1).unwrap_err().to_string();
        assert!(msg.contains("\"a001\"") && msg.contains("A001"), "{msg}");
    }

    #[test]
    fn window_texts_read_as_numbers() {
        let text = |n| ClipKey::Window(n).text().unwrap();
        assert_eq!(text(1), "一号窗口");
        assert_eq!(text(2), "二号窗口");
        assert_eq!(text(10), "十号窗口");
        assert_eq!(text(11), "十一号窗口");
        assert_eq!(text(19), "十九号窗口");
        assert_eq!(text(20), "二十号窗口");
        assert_eq!(text(21), "二十一号窗口");
        assert_eq!(text(99), "九十九号窗口");
        assert_eq!(ClipKey::Window(0).text(), None);
        assert_eq!(ClipKey::Window(100).text(), None);
    }

    #[test]
    fn clip_texts_and_file_names() {
        assert_eq!(ClipKey::Qing.text().as_deref(), Some("请"));
        assert_eq!(ClipKey::Digit(0).text().as_deref(), Some("零"));
        assert_eq!(ClipKey::Digit(7).text().as_deref(), Some("七"));
        assert_eq!(ClipKey::Letter('A').text().as_deref(), Some("A"));
        assert_eq!(ClipKey::Letter('G').text().as_deref(), Some("ji4"));
        assert_eq!(ClipKey::Letter('R').text().as_deref(), Some("a4er"));
        assert_eq!(ClipKey::Letter('a').text(), None);
        assert_eq!(ClipKey::Digit(10).text(), None);
        assert_eq!(ClipKey::Chime.text(), None);
        assert_eq!(ClipKey::Letter('A').file_name(), "letter-a.wav");
        assert_eq!(ClipKey::Window(10).file_name(), "window-10.wav");
        let names = ["chime.wav", "qing.wav", "letter-a.wav", "digit-0.wav", "hao.wav", "dao.wav", "window-10.wav"];
        for name in names.iter().chain(&["banli.wav"]) {
            assert_eq!(ClipKey::from_file_name(name).unwrap().file_name(), *name);
        }
        for key in ClipKey::needed(&[1, 99]) {
            assert_eq!(ClipKey::from_file_name(&key.file_name()), Some(key));
        }
        for bad in ["letter-A.wav", "letter-ab.wav", "digit-10.wav", "window-0.wav", "window-01.wav", "window-100.wav"]
        {
            assert_eq!(ClipKey::from_file_name(bad), None, "{bad}");
        }
        assert_eq!(ClipKey::from_file_name("qing.mp3"), None);
        assert_eq!(ClipKey::from_file_name(STAMP_FILE), None);
    }

    #[test]
    fn needed_clips_cover_every_ticket() {
        let keys = ClipKey::needed(&[2, 1, 2]);
        assert_eq!(keys.len(), 1 + 1 + 26 + 10 + 2 + 2 + 1);
        assert_eq!(keys.iter().filter(|k| matches!(k, ClipKey::Window(_))).count(), 2);
        for n in ["A000", "Z999", "M505"] {
            for w in [1, 2] {
                assert!(phrase(n, w).unwrap().iter().all(|k| keys.contains(k)));
            }
        }
    }

    #[test]
    fn chime_is_a_soft_two_tone() {
        let c = chime();
        assert_eq!(c.rate, 22050);
        assert_eq!(c.samples.len(), 26460);
        let peak = c.peak() as f64 / i16::MAX as f64;
        assert!((0.4..0.7).contains(&peak), "peak {peak}");
        assert_eq!(*c.samples.last().unwrap(), 0);
        assert!(c.samples[26000..].iter().all(|s| s.abs() < 1000));
        // The second tone starts at 0.45 s: louder right after it than right before it.
        let energy = |from: f64, to: f64| {
            let (a, b) = ((from * 22050.0) as usize, (to * 22050.0) as usize);
            c.samples[a..b].iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / (b - a) as f64
        };
        assert!(energy(0.46, 0.5) > 3.0 * energy(0.4, 0.44));
    }

    #[test]
    fn run_command_reports_exit_timeout_and_missing_program() {
        let none: [OsString; 0] = [];
        assert!(run_command("true", &none, Duration::from_secs(5), &|| false).is_ok());
        let args: Vec<OsString> = vec!["-c".into(), "echo oops >&2; exit 3".into()];
        match run_command("sh", &args, Duration::from_secs(5), &|| false) {
            Err(RunFailure::Exit { status, stderr }) => {
                assert!(status.contains('3'), "{status}");
                assert_eq!(stderr, "oops");
            }
            other => panic!("{other:?}"),
        }
        let sleep: Vec<OsString> = vec!["5".into()];
        assert!(matches!(
            run_command("sleep", &sleep, Duration::from_millis(300), &|| false),
            Err(RunFailure::TimedOut(_))
        ));
        assert!(matches!(run_command("sleep", &sleep, Duration::from_secs(10), &|| true), Err(RunFailure::Stopped)));
        match run_command("/nonexistent/espeak-ng", &none, Duration::from_secs(1), &|| false) {
            Err(RunFailure::Spawn(e)) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_espeak_names_the_debian_package() {
        let cfg = VoiceConfig {
            espeak: "/nonexistent/espeak-ng".into(),
            cache_dir: test_dir("no-espeak"),
            ..Default::default()
        };
        let err = prepare(&cfg, &[1]).unwrap_err();
        assert!(matches!(err, VoiceError::EspeakMissing { .. }), "{err:?}");
        assert!(err.to_string().contains("apt-get install espeak-ng"), "{err}");
        assert!(matches!(prepare(&cfg, &[0]), Err(VoiceError::BadWindow(0))));
        // The chime needs no espeak and is cached whole; nothing half-written is left behind.
        assert!(cfg.cache_dir.join("chime.wav").is_file());
        let leftovers: Vec<_> = std::fs::read_dir(temp_dir(&cfg)).unwrap().collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    #[ignore = "full suite (./test.sh): needs espeak-ng"]
    fn a_wrong_voice_is_a_clear_error() {
        if !espeak_installed() {
            return;
        }
        // (A name like "no-such-voice" would be taken as Norwegian, "no".)
        let cfg = VoiceConfig { voice: "zzvoice".into(), cache_dir: test_dir("bad-voice"), ..Default::default() };
        let Err(err) = load_clip(&cfg, ClipKey::Qing) else { panic!("an unknown voice spoke") };
        assert!(matches!(err, VoiceError::EspeakFailed { .. }), "{err:?}");
        assert!(err.to_string().contains("zzvoice") && err.to_string().contains("does not exist"), "{err}");
        assert!(!cfg.cache_dir.join("qing.wav").exists());
    }

    #[test]
    #[ignore = "full suite (./test.sh): needs espeak-ng"]
    fn prepare_renders_every_clip_once() {
        let Some((cfg, first)) = shared_cache() else { return };
        let needed = ClipKey::needed(&[1, 2, 10]);
        assert_eq!(first.rendered, needed);
        assert_eq!((first.cached, first.custom.len(), first.bad_custom.len()), (0, 0, 0));
        for key in &needed {
            let bytes = std::fs::read(cfg.cache_dir.join(key.file_name())).unwrap();
            assert_eq!(u32::from_le_bytes(bytes[24..28].try_into().unwrap()), 22050, "{key:?}");
            let pcm = Pcm::parse(&bytes).unwrap();
            assert_eq!(pcm.rate, 22050);
            assert!(pcm.duration() > Duration::from_millis(100), "{key:?}: {:?}", pcm.duration());
            assert!(pcm.duration() < Duration::from_millis(1500), "{key:?}: {:?}", pcm.duration());
            assert!(pcm.peak() > 3000, "{key:?} is too quiet");
            assert!(pcm.peak() < 32000, "{key:?} clips");
        }
        let second = prepare(cfg, &[1, 2, 10]).unwrap();
        assert_eq!(second.rendered, []);
        assert_eq!(second.cached, needed.len());
        // Nothing half-written or temporary is left.
        assert_eq!(std::fs::read_dir(temp_dir(cfg)).unwrap().count(), 0);
    }

    #[test]
    #[ignore = "full suite (./test.sh): needs espeak-ng"]
    fn a_damaged_cached_clip_is_rendered_again() {
        if !espeak_installed() {
            return;
        }
        let cfg = VoiceConfig { cache_dir: test_dir("damaged"), ..Default::default() };
        let good = load_clip(&cfg, ClipKey::Hao).unwrap();
        let path = cfg.cache_dir.join("hao.wav");
        assert_eq!(read_wav(&path).unwrap(), good);
        std::fs::write(&path, b"RIFF....garbage").unwrap();
        let report = prepare(&cfg, &[]).unwrap();
        assert!(report.rendered.contains(&ClipKey::Hao));
        assert_eq!(read_wav(&path).unwrap(), good);
        // Another voice drops the cached clips.
        let other = VoiceConfig { voice: "cmn".into(), ..cfg.clone() };
        check_cache(&other).unwrap();
        assert!(!path.exists());
        assert!(std::fs::read_to_string(cfg.cache_dir.join(STAMP_FILE)).unwrap().contains("voice cmn\n"));
    }

    #[test]
    fn custom_clips_replace_rendered_ones() {
        let custom = test_dir("custom-clips");
        let cfg = VoiceConfig {
            espeak: "/nonexistent/espeak-ng".into(),
            cache_dir: test_dir("custom-cache"),
            custom_dir: Some(custom.clone()),
            ..Default::default()
        };
        // 44.1 kHz stereo with silence around it, as a recorder might leave it.
        let mut bytes = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x02\0\x44\xac\0\0\x10\xb1\x02\0\x04\0\x10\0".to_vec();
        let frames: Vec<i16> = (0..44100).map(|i| if (11025..33075).contains(&i) { 9000 } else { 0 }).collect();
        bytes.extend_from_slice(b"data");
        bytes.extend_from_slice(&(frames.len() as u32 * 4).to_le_bytes());
        for s in &frames {
            bytes.extend_from_slice(&s.to_le_bytes());
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        std::fs::write(custom.join("qing.wav"), &bytes).unwrap();
        std::fs::write(custom.join("hao.wav"), b"not a wav").unwrap();
        let qing = load_clip(&cfg, ClipKey::Qing).unwrap();
        assert_eq!(qing.rate, 22050);
        // 0.5 s of sound plus 15 ms kept at each end.
        let expect = 11025 + 2 * 330;
        assert!((qing.samples.len() as i64 - expect).abs() <= 2, "{}", qing.samples.len());
        // A broken custom clip falls back to rendering (which fails here: no espeak).
        assert!(matches!(load_clip(&cfg, ClipKey::Hao), Err(VoiceError::EspeakMissing { .. })));
        let err = prepare(&cfg, &[1]).unwrap_err();
        assert!(matches!(err, VoiceError::EspeakMissing { .. }));
    }
}
