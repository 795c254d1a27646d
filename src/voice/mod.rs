//! The calling voice: when staff call a queue ticket, the station box says it aloud in
//! Mandarin — a chime, then "请 A零零一 号 到 一号窗口 办理", twice — so that people waiting
//! in the hall, many of whom do not watch the screen or read easily, hear their turn.
//!
//! Speech is made offline by Debian's `espeak-ng` (voice `cmn-latn-pinyin`), one short clip a
//! word, cached as WAV files under the data folder; a station may replace any clip with its
//! own recording. An announcement is the clips joined in memory and played by an external
//! player (`aplay`) on one background thread, one call at a time, in call order.
//!
//! What this module must not do: block or fail a call — `Announcer::announce` returns at
//! once, and a missing speech engine, player or sound card only costs the voice, with one
//! warning in the log; speak anything but the ticket number and the window (never a name or
//! other personal data); reach the network; let two announcements overlap; or leave a
//! half-written clip in the cache after a crash (clips are written under a temporary name
//! and renamed).

mod announce;
mod clips;
pub mod guidance;
mod wav;

use std::path::PathBuf;

pub use announce::{
    render, write_wav, Announcer, AnnouncerStats, CHIME_PAUSE_MS, MAX_REPEAT, PLAYER_GRACE, REPEAT_PAUSE_MS,
    WORD_GAP_MS,
};
pub use clips::{chime, load_clip, phrase, prefix_warnings, prepare, read_wav, ClipKey, PrepareReport};
pub use wav::{Pcm, WavError};

/// The sample rate of every clip and announcement (espeak-ng's own rate).
pub const SAMPLE_RATE: u32 = 22_050;

/// How the station speaks calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceConfig {
    /// Off: `Announcer::announce` accepts calls and says nothing.
    pub enabled: bool,
    /// Loudness of the calls, 0-100 % of the rendered sound.
    pub volume: u32,
    /// How many times each call is said (1 to `MAX_REPEAT`).
    pub repeat: u32,
    /// When more calls than this are waiting behind the one about to be said, it is said once.
    pub max_waiting_for_repeat: usize,
    /// The espeak-ng program (a name looked up in PATH, or a path).
    pub espeak: String,
    /// The espeak-ng voice; `cmn-latn-pinyin` reads 请/号/到/窗口/办理 right, plain `cmn` does not.
    pub voice: String,
    /// The player command; each `{file}` in it becomes the WAV file's path (appended if absent).
    pub player: Vec<String>,
    /// Where rendered clips are cached (and `tmp/` for files being written or played).
    pub cache_dir: PathBuf,
    /// The station's own recordings, named like the cached clips (`qing.wav`, `letter-a.wav`, ...).
    pub custom_dir: Option<PathBuf>,
}

impl Default for VoiceConfig {
    fn default() -> Self {
        VoiceConfig {
            enabled: true,
            volume: 100,
            repeat: 2,
            max_waiting_for_repeat: 3,
            espeak: "espeak-ng".into(),
            voice: "cmn-latn-pinyin".into(),
            player: vec!["aplay".into(), "-q".into(), "{file}".into()],
            cache_dir: PathBuf::from("data/voice"),
            custom_dir: None,
        }
    }
}

/// Why a clip or an announcement could not be made or played.
#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error("ticket number {0:?} cannot be called: it must be one capital letter A-Z and three digits, like A001")]
    BadNumber(String),
    #[error("window {0} cannot be called: windows are numbered 1 to 99")]
    BadWindow(u32),
    #[error("clip {0:?} has no text to speak")]
    NoText(ClipKey),
    #[error(
        "the speech program {program:?} was not found: install the Debian package espeak-ng \
         (apt-get install espeak-ng)"
    )]
    EspeakMissing { program: String },
    #[error("{program} could not speak {text:?} with voice {voice:?}: {reason}")]
    EspeakFailed { program: String, voice: String, text: String, reason: String },
    #[error("clip file {} is not usable: {source}", path.display())]
    BadClip {
        path: PathBuf,
        #[source]
        source: WavError,
    },
    #[error("clip file {} holds only silence", path.display())]
    SilentClip { path: PathBuf },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the sound was stopped")]
    Stopped,
    #[error("player {command:?} {reason}")]
    Player { command: String, reason: String },
}

impl VoiceError {
    fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> VoiceError {
        VoiceError::Io { action, path: path.into(), source }
    }
}
