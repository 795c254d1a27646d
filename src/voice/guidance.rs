//! The kiosk's spoken prompts: what each screen says, made into sound, and the one player
//! that plays them on the speaker the calling voice also uses.
//!
//! A prompt is said from recordings where the station or the town supplied them (a voice
//! pack: WAV files and a manifest.toml with their SHA-256), else from speech rendered by
//! espeak-ng once and cached, the text first passed through the pronunciation lexicon;
//! letters and digits come from the calling voice's clips (so a ticket number sounds the
//! same on the kiosk as in the hall).
//!
//! The speaker is shared with the calling voice and a call always wins: while the station
//! service plays a call it keeps a marker file in the voice folder ([`CALL_MARKER`]); no
//! prompt starts while it is there, and a prompt playing when it appears is cut short.

use super::announce::run_player;
use super::clips::{load_clip, read_wav, temp_dir, temp_path};
use super::{ClipKey, Pcm, VoiceConfig, VoiceError, SAMPLE_RATE};
use crate::config::LoadedConfig;
use crate::domain::guidance::{Lexicon, Piece, Prompt, Values, SCREENS};
use crate::domain::matter::Matter;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, SystemTime};

/// While a call is being played, this file is in the voice folder.
pub const CALL_MARKER: &str = "calling.now";
/// A marker older than this was left by a service that stopped mid-call: it is ignored.
const MARKER_STALE: Duration = Duration::from_secs(60);
/// The silence between two pieces of one sentence.
const PIECE_GAP_MS: u32 = 40;
/// The folder under the voice cache for rendered prompt pieces.
const PIECES_DIR: &str = "guidance";

/// What a screen says: the text shown with it and the pieces said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spoken {
    /// The screen, when its whole prompt may be said by one recording (a prompt without slots).
    pub screen: Option<String>,
    pub prompt: Prompt,
    /// What is shown as text under the top bar: the prompt, less what the screen already
    /// lists itself (the materials read item by item on the matter page).
    pub shown: String,
}

/// What fills a screen's prompt: the matter, category, ticket or state on screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The matter's code (matter, case-materials, case-done).
    pub matter: Option<String>,
    /// The category's code (matters).
    pub category: Option<String>,
    /// The ticket number and how many are ahead of it (ticket).
    pub ticket: Option<(String, u32)>,
    /// The state of a 代办 request, in words (lookup-result).
    pub status: Option<String>,
    /// A card reader is connected (case-id).
    pub card_reader: bool,
}

/// The prompt of `screen` filled in from `ctx`; None for a screen the kiosk does not have.
pub fn screen_prompt(cfg: &LoadedConfig, screen: &str, ctx: &Context) -> Option<Spoken> {
    let prompts = &cfg.prompts;
    let template = prompts.screen(screen)?;
    let matter = ctx.matter.as_deref().and_then(|c| cfg.catalog.matter(c));
    let phrase = |name: &str, values: &Values| prompts.phrase(name).map(|t| t.fill(values)).unwrap_or_default();
    let mut values = Values::new();
    if let Some(m) = matter {
        values = values.text("matter", m.name.clone()).count("count", m.materials.len() as u32);
    }
    let category =
        ctx.category.as_deref().or(matter.map(|m| m.category.as_str())).and_then(|c| cfg.catalog.category(c));
    if let Some(c) = category {
        values = values.text("category", c.name.clone());
    }
    if let Some((number, ahead)) = &ctx.ticket {
        values = values.ticket("number", number.clone()).count("ahead", *ahead);
    }
    if let Some(s) = &ctx.status {
        values = values.text("status", s.clone());
    }
    match screen {
        "case-notice" => values = values.count("days", cfg.station.retention_days),
        "case-done" => values = values.count("days", matter.and_then(|m| m.promised_days).unwrap_or(0)),
        _ => {}
    }
    let mut shown = None;
    let prompt = match screen {
        "ticket" if ctx.ticket.as_ref().is_some_and(|t| t.1 == 0) => phrase("ticket-next", &values),
        "case-id" if ctx.card_reader => phrase("case-id-card", &values),
        "matter" => {
            let mut p = template.fill(&values);
            shown = Some(format!("{}{}", p.text, phrase("matter-end", &values).text));
            for item in matter.map(materials_read).unwrap_or_default() {
                p.then(phrase("material", &item_values(&item)));
            }
            p.then(phrase("matter-end", &values));
            p
        }
        _ => template.fill(&values),
    };
    let prompt = tidy(prompt);
    let whole = !template.has_slots() && !matches!(screen, "matter" | "ticket" | "case-id");
    let shown = shown.unwrap_or_else(|| prompt.text.clone());
    Some(Spoken { screen: whole.then(|| screen.to_string()), prompt, shown })
}

/// The materials as read item by item: (number, name).
fn materials_read(m: &Matter) -> Vec<(u32, String)> {
    m.materials.iter().enumerate().map(|(i, mat)| (i as u32 + 1, mat.name.clone())).collect()
}

fn item_values(item: &(u32, String)) -> Values {
    Values::new().count("n", item.0).text("material", item.1.clone())
}

/// One pause between sentences, none at the ends.
fn tidy(p: Prompt) -> Prompt {
    let mut pieces: Vec<Piece> = Vec::new();
    for piece in p.pieces {
        if matches!(piece, Piece::Pause(_)) && matches!(pieces.last(), None | Some(Piece::Pause(_))) {
            continue;
        }
        pieces.push(piece);
    }
    while matches!(pieces.last(), Some(Piece::Pause(_))) {
        pieces.pop();
    }
    Prompt { text: p.text, pieces }
}

/// The card reader's "take the card away" sentence.
pub fn card_remove_prompt(cfg: &LoadedConfig) -> Prompt {
    cfg.prompts.phrase("card-remove").map(|t| t.fill(&Values::new())).unwrap_or_default()
}

/// The sound of the prompts: the calling voice's engine and clips, the station's volume,
/// the voice pack and the lexicon.
#[derive(Debug, Clone)]
pub struct Speech {
    pub voice: VoiceConfig,
    /// 0-100 %.
    pub volume: u32,
    pub pack: VoicePack,
    pub lexicon: Lexicon,
}

impl Speech {
    /// The whole prompt as sound at 22050 Hz, at the configured volume.
    pub fn render(&self, spoken: &Spoken) -> Result<Pcm, VoiceError> {
        let mut out = Pcm::new(SAMPLE_RATE, Vec::new());
        let whole = spoken.screen.as_deref().and_then(|s| self.pack.get(&PackKey::Screen(s.to_string())));
        if let Some(pcm) = whole {
            out = pcm.clone();
        } else {
            let mut first = true;
            for piece in &spoken.prompt.pieces {
                let pcm = match piece {
                    Piece::Pause(ms) => {
                        out.append(&Pcm::silence(SAMPLE_RATE, *ms));
                        first = true;
                        continue;
                    }
                    Piece::Words(w) if !speakable(w) => {
                        out.append(&Pcm::silence(SAMPLE_RATE, 150));
                        continue;
                    }
                    Piece::Words(w) => self.words(w)?,
                    Piece::Letter(c) => self.clip(ClipKey::Letter(*c))?,
                    Piece::Digit(d) => self.clip(ClipKey::Digit(*d))?,
                };
                if !first {
                    out.append(&Pcm::silence(SAMPLE_RATE, PIECE_GAP_MS));
                }
                out.append(&pcm);
                first = false;
            }
        }
        Ok(out.scaled(self.volume))
    }

    /// Where each fixed piece of `spoken` comes from: all recorded, or some synthesized.
    pub fn recorded(&self, spoken: &Spoken) -> bool {
        if spoken.screen.as_deref().is_some_and(|s| self.pack.has(&PackKey::Screen(s.into()))) {
            return true;
        }
        spoken.prompt.pieces.iter().all(|p| match p {
            Piece::Words(w) => !speakable(w) || self.pack.has(&PackKey::Text(w.trim().into())),
            Piece::Letter(c) => self.pack.has(&PackKey::Clip(ClipKey::Letter(*c).file_name())),
            Piece::Digit(d) => self.pack.has(&PackKey::Clip(ClipKey::Digit(*d).file_name())),
            Piece::Pause(_) => true,
        })
    }

    fn clip(&self, key: ClipKey) -> Result<Pcm, VoiceError> {
        match self.pack.get(&PackKey::Clip(key.file_name())) {
            Some(pcm) => Ok(pcm.clone()),
            None => load_clip(&self.voice, key),
        }
    }

    /// Words: the pack's recording of exactly these words, else the cached rendering, else
    /// rendered now through the lexicon (and cached).
    fn words(&self, words: &str) -> Result<Pcm, VoiceError> {
        let words = words.trim();
        if let Some(pcm) = self.pack.get(&PackKey::Text(words.into())) {
            return Ok(pcm.clone());
        }
        let said = self.lexicon.apply(words);
        let path = self.cache_path(&said);
        if let Ok(pcm) = read_wav(&path) {
            if !pcm.samples.is_empty() {
                return Ok(pcm.resample(SAMPLE_RATE));
            }
        }
        let pcm = super::clips::speak(&self.voice, &said)?;
        let dir = self.voice.cache_dir.join(PIECES_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| VoiceError::io("create the folder", &dir, e))?;
        crate::system::write_atomically(&path, &pcm.to_wav_bytes()).map_err(|e| VoiceError::io("write", &path, e))?;
        Ok(pcm)
    }

    /// A rendering is cached under the hash of the voice and the text espeak-ng is given,
    /// so a changed lexicon or voice renders anew.
    fn cache_path(&self, said: &str) -> PathBuf {
        let hash = hex(&Sha256::digest(format!("{}\n{}", self.voice.voice, said).as_bytes()));
        self.voice.cache_dir.join(PIECES_DIR).join(format!("{}.wav", &hash[..24]))
    }

    /// Renders ahead of time every piece any screen may say with this configuration (the
    /// fixed words, each matter's and category's name, each material): the first prompt is
    /// then not delayed by synthesis. Returns how many pieces were rendered now.
    pub fn prepare(&self, cfg: &LoadedConfig) -> Result<usize, VoiceError> {
        let mut words: Vec<String> = Vec::new();
        for t in cfg.prompts.screens.values().chain(cfg.prompts.phrases.values()) {
            words.extend(t.texts().into_iter().map(str::to_string));
        }
        for c in &cfg.catalog.categories {
            words.push(c.name.clone());
        }
        for m in &cfg.catalog.matters {
            words.push(m.name.clone());
            words.extend(m.materials.iter().map(|x| x.name.clone()));
        }
        for extra in ["十", "百", "两"] {
            words.push(extra.into());
        }
        words.sort();
        words.dedup();
        let mut rendered = 0;
        for w in words.iter().map(|w| w.trim()).filter(|w| speakable(w)) {
            if self.pack.has(&PackKey::Text(w.into())) {
                continue;
            }
            let path = self.cache_path(&self.lexicon.apply(w));
            if !path.exists() {
                self.words(w)?;
                rendered += 1;
            }
        }
        Ok(rendered)
    }
}

/// Words with something to say (not only punctuation).
fn speakable(w: &str) -> bool {
    w.chars().any(|c| c.is_alphanumeric())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a recording in a voice pack stands for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PackKey {
    /// A screen's whole prompt (one without slots).
    Screen(String),
    /// Exactly these words wherever a prompt says them.
    Text(String),
    /// A calling-voice clip: `digit-5.wav`, `letter-a.wav`.
    Clip(String),
}

/// A station's or the town's recordings, checked against their manifest.
#[derive(Debug, Clone, Default)]
pub struct VoicePack {
    clips: BTreeMap<PackKey, Pcm>,
    /// Recordings named in the manifest that are not used, with the reason.
    pub refused: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[serde(default)]
    clip: Vec<RawPackClip>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackClip {
    file: String,
    sha256: String,
    screen: Option<String>,
    text: Option<String>,
    clip: Option<String>,
}

/// The manifest's name inside a voice pack folder.
pub const MANIFEST: &str = "manifest.toml";

impl VoicePack {
    /// Loads the pack in `dir`: each recording whose checksum matches and whose sound is
    /// usable; the others are listed in `refused` (and said by synthesis instead). A
    /// missing or unreadable manifest is an error.
    pub fn load(dir: &Path) -> Result<VoicePack, String> {
        let manifest = dir.join(MANIFEST);
        let src = std::fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
        let raw: RawManifest =
            toml::from_str(&src).map_err(|e| format!("{}: {}", manifest.display(), e.message().trim()))?;
        let mut pack = VoicePack::default();
        for (i, c) in raw.clip.iter().enumerate() {
            let at = format!("{} clip {} ({})", manifest.display(), i + 1, c.file);
            let key = match (&c.screen, &c.text, &c.clip) {
                (Some(s), None, None) if SCREENS.contains(&s.as_str()) => PackKey::Screen(s.clone()),
                (Some(s), None, None) => {
                    pack.refused.push(format!("{at}: 没有 {s} 这个屏幕"));
                    continue;
                }
                (None, Some(t), None) if speakable(t) => PackKey::Text(t.trim().to_string()),
                (None, None, Some(k)) if ClipKey::from_file_name(&format!("{k}.wav")).is_some() => {
                    PackKey::Clip(format!("{k}.wav"))
                }
                _ => {
                    pack.refused.push(format!(
                        "{at}: 要写 screen（整屏提示）、text（一句话）或 clip（digit-0 … letter-z）其中一个"
                    ));
                    continue;
                }
            };
            if c.file.contains('/') || c.file.contains("..") {
                pack.refused.push(format!("{at}: 文件要放在录音包文件夹里，不能带路径"));
                continue;
            }
            let path = dir.join(&c.file);
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    pack.refused.push(format!("{at}: 读不到文件：{e}"));
                    continue;
                }
            };
            let sum = hex(&Sha256::digest(&bytes));
            if !sum.eq_ignore_ascii_case(c.sha256.trim()) {
                pack.refused.push(format!("{at}: 校验值不对（文件可能损坏或被换过），用合成的声音代替"));
                continue;
            }
            match Pcm::parse(&bytes) {
                Ok(pcm) => {
                    let pcm = pcm.resample(SAMPLE_RATE).trim_silence(256, 15);
                    if pcm.samples.is_empty() {
                        pack.refused.push(format!("{at}: 只有静音"));
                    } else {
                        pack.clips.insert(key, pcm);
                    }
                }
                Err(e) => pack.refused.push(format!("{at}: 不是可用的 WAV 文件：{e}")),
            }
        }
        for r in &pack.refused {
            tracing::warn!("voice pack: {r}");
        }
        Ok(pack)
    }

    pub fn len(&self) -> usize {
        self.clips.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clips.is_empty()
    }

    fn get(&self, key: &PackKey) -> Option<&Pcm> {
        self.clips.get(key)
    }

    fn has(&self, key: &PackKey) -> bool {
        self.clips.contains_key(key)
    }
}

/// Whether a call is being played now (the marker is there and fresh).
pub fn call_playing(voice_dir: &Path) -> bool {
    std::fs::metadata(voice_dir.join(CALL_MARKER))
        .and_then(|m| m.modified())
        .is_ok_and(|t| SystemTime::now().duration_since(t).map_or(true, |age| age < MARKER_STALE))
}

/// Holds the call marker while a call plays (removed when dropped).
pub struct CallMarker(PathBuf);

impl CallMarker {
    pub fn set(voice_dir: &Path) -> CallMarker {
        let path = voice_dir.join(CALL_MARKER);
        if let Err(e) = std::fs::write(&path, std::process::id().to_string()) {
            tracing::debug!("call marker not written ({}): {e}", path.display());
        }
        CallMarker(path)
    }
}

impl Drop for CallMarker {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Plays the kiosk's prompts on one background thread, one at a time: a new prompt
/// replaces the one playing, [`GuidePlayer::stop`] silences it, and a call cuts it short.
pub struct GuidePlayer {
    tx: Option<mpsc::Sender<Spoken>>,
    shared: Arc<PlayerShared>,
    worker: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct PlayerShared {
    /// Bumped by every play and stop: a prompt plays while the generation is its own.
    generation: AtomicU64,
    /// A prompt was asked for and the player has not taken it up yet.
    pending: AtomicBool,
    /// The generation of the prompt being rendered or played (0: none).
    active: AtomicU64,
    shutdown: AtomicBool,
    /// What was played last (for tests and diagnostics): the text and the file's length.
    last: Mutex<Option<(String, Duration)>>,
    played: AtomicU64,
    skipped_for_call: AtomicU64,
}

impl GuidePlayer {
    /// Starts the player (none when `speech` is None: prompts are then only shown).
    pub fn start(speech: Option<Speech>) -> GuidePlayer {
        let shared = Arc::new(PlayerShared::default());
        let Some(speech) = speech else {
            return GuidePlayer { tx: None, shared, worker: None };
        };
        let (tx, rx) = mpsc::channel::<Spoken>();
        let s = shared.clone();
        let worker = std::thread::Builder::new().name("guidance".into()).spawn(move || run(speech, rx, s));
        match worker {
            Ok(h) => GuidePlayer { tx: Some(tx), shared, worker: Some(h) },
            Err(e) => {
                tracing::warn!("no spoken prompts: the player thread did not start: {e}");
                GuidePlayer { tx: None, shared, worker: None }
            }
        }
    }

    /// Plays `spoken`, stopping whatever prompt is playing.
    pub fn play(&self, spoken: Spoken) {
        let Some(tx) = &self.tx else { return };
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
        self.shared.pending.store(true, Ordering::SeqCst);
        if tx.send(spoken).is_err() {
            self.shared.pending.store(false, Ordering::SeqCst);
        }
    }

    /// Stops the prompt playing (a touch, leaving the screen).
    pub fn stop(&self) {
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// A prompt is being prepared or played.
    pub fn is_playing(&self) -> bool {
        let active = self.shared.active.load(Ordering::SeqCst);
        self.shared.pending.load(Ordering::SeqCst)
            || (active != 0 && active == self.shared.generation.load(Ordering::SeqCst))
    }

    /// The last prompt played to its end or cut: its text and its sound's length.
    pub fn last(&self) -> Option<(String, Duration)> {
        self.shared.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// (prompts played, prompts not started because a call was playing).
    pub fn counts(&self) -> (u64, u64) {
        (self.shared.played.load(Ordering::SeqCst), self.shared.skipped_for_call.load(Ordering::SeqCst))
    }
}

impl Drop for GuidePlayer {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        self.stop();
        self.tx = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

fn run(speech: Speech, rx: mpsc::Receiver<Spoken>, shared: Arc<PlayerShared>) {
    let mut failing = false;
    while let Ok(mut spoken) = rx.recv() {
        // Only the newest request matters.
        while let Ok(newer) = rx.try_recv() {
            spoken = newer;
        }
        let generation = shared.generation.load(Ordering::SeqCst);
        shared.active.store(generation, Ordering::SeqCst);
        shared.pending.store(false, Ordering::SeqCst);
        let result = play_one(&speech, &spoken, generation, &shared);
        shared.active.store(0, Ordering::SeqCst);
        match result {
            Ok(()) if failing => {
                tracing::info!("sound works again: prompts are spoken");
                failing = false;
            }
            Ok(()) => {}
            Err(e) if !failing => {
                tracing::warn!("no sound: the kiosk's prompts are shown as text only: {e}");
                failing = true;
            }
            Err(e) => tracing::debug!("prompt not spoken: {e}"),
        }
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
    }
    shared.active.store(0, Ordering::SeqCst);
    shared.pending.store(false, Ordering::SeqCst);
}

fn play_one(speech: &Speech, spoken: &Spoken, generation: u64, shared: &PlayerShared) -> Result<(), VoiceError> {
    let cut = || shared.generation.load(Ordering::SeqCst) != generation || shared.shutdown.load(Ordering::SeqCst);
    if call_playing(&speech.voice.cache_dir) {
        shared.skipped_for_call.fetch_add(1, Ordering::SeqCst);
        return Ok(());
    }
    let pcm = speech.render(spoken)?;
    if cut() {
        return Ok(());
    }
    let dir = temp_dir(&speech.voice);
    std::fs::create_dir_all(&dir).map_err(|e| VoiceError::io("create the folder", &dir, e))?;
    let file = temp_path(&speech.voice, "prompt", "wav");
    crate::system::write_atomically(&file, &pcm.to_wav_bytes()).map_err(|e| VoiceError::io("write", &file, e))?;
    let voice_dir = speech.voice.cache_dir.clone();
    let stop = || cut() || call_playing(&voice_dir);
    let result = run_player(&speech.voice, &file, pcm.duration() + super::PLAYER_GRACE, &stop);
    let _ = std::fs::remove_file(&file);
    *shared.last.lock().unwrap_or_else(|e| e.into_inner()) = Some((spoken.prompt.text.clone(), pcm.duration()));
    match result {
        Err(VoiceError::Stopped) => Ok(()),
        Err(e) => Err(e),
        Ok(()) => {
            shared.played.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }
}
