//! Voice guidance (issue 17): every kiosk screen has a prompt, `kiosk guidance say` writes
//! valid sound of a sensible length for each, the words are read with the lexicon's
//! readings (checked by espeak-ng's phonemes), a voice pack's recordings are used only when
//! their checksums match, and a call always wins the shared speaker.

use crate::util::{stderr, stdout, TempStation};
use kiosk::domain::guidance::SCREENS;
use std::process::Command;
use std::time::{Duration, Instant};

const NOW: &str = "2026-12-07T09:30:00+08:00";

/// espeak-ng's phonemes for `text` (`-x`), without the marks that only move with context.
fn phonemes(text: &str) -> String {
    let o = Command::new("espeak-ng").args(["-q", "-x", "-v", "cmn-latn-pinyin", text]).output().expect("espeak-ng");
    assert!(o.status.success(), "espeak-ng failed on {text:?}");
    String::from_utf8_lossy(&o.stdout).chars().filter(|c| !matches!(c, ' ' | '\'' | ',' | '_' | '|' | '\n')).collect()
}

/// Every text the kiosk speaks with the shipped configuration: the prompts' fixed words,
/// the categories, the matters, the materials, the states a 代办 request can be in.
fn spoken_texts(cfg: &kiosk::config::LoadedConfig) -> Vec<String> {
    let mut texts: Vec<String> = Vec::new();
    for t in cfg.prompts.screens.values().chain(cfg.prompts.phrases.values()) {
        texts.extend(t.texts().into_iter().map(str::to_string));
    }
    texts.extend(cfg.catalog.categories.iter().map(|c| c.name.clone()));
    for m in &cfg.catalog.matters {
        texts.push(m.name.clone());
        texts.extend(m.materials.iter().map(|x| x.name.clone()));
    }
    texts.extend(kiosk::domain::case::CaseState::ALL.iter().map(|s| s.label().to_string()));
    texts.sort();
    texts.dedup();
    texts
}

#[test]
fn every_polyphone_the_kiosk_says_has_its_reading_in_the_lexicon() {
    let cfg = kiosk::config::load(None).expect("the shipped configuration");
    let list = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/polyphones.txt")).unwrap();
    let polyphones: Vec<char> =
        list.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.trim().chars().next()).collect();
    assert!(polyphones.len() > 30, "the list of polyphones");
    let mut missing = Vec::new();
    for text in spoken_texts(&cfg) {
        let chars: Vec<char> = text.chars().collect();
        let mut covered = vec![false; chars.len()];
        for (at, word) in cfg.lexicon.matches(&text) {
            for c in covered.iter_mut().skip(at).take(word.chars().count()) {
                *c = true;
            }
        }
        for (i, c) in chars.iter().enumerate() {
            if polyphones.contains(c) && !covered[i] {
                missing.push(format!("{c} in {text}"));
            }
        }
    }
    assert!(missing.is_empty(), "polyphones read without a lexicon entry:\n{}", missing.join("\n"));
    for w in ["长辈模式", "重新", "银行", "还款", "户口簿"] {
        assert!(cfg.lexicon.reading(w).is_some(), "{w}");
    }
}

#[test]
#[ignore = "full suite (./test.sh): needs espeak-ng"]
fn every_prompt_and_matter_name_is_read_with_the_lexicons_readings() {
    let cfg = kiosk::config::load(None).expect("the shipped configuration");
    // The readings espeak-ng gets wrong on its own are right through the lexicon.
    for (word, wrong, right) in
        [("长辈模式", "ts.hA35N", "ts.a21N"), ("银行", "S;i35N", "Xa35N"), ("还款", "Xai35", "Xua35n")]
    {
        let raw = phonemes(word);
        let said = phonemes(&cfg.lexicon.apply(word));
        assert!(raw.contains(wrong), "{word}: espeak-ng alone says {raw}");
        assert!(said.contains(right) && !said.contains(wrong), "{word} through the lexicon: {said}");
    }
    // In every text, each lexicon word is said as its pinyin is said alone. A third tone
    // changes before another syllable (214 → 21, or 35 before another third tone: tone
    // sandhi, as a person says it), so words with one are compared without the tones.
    let mut wrong = Vec::new();
    let texts = spoken_texts(&cfg);
    let mut checked = 0;
    for text in &texts {
        let said = phonemes(&cfg.lexicon.apply(text));
        for (_, word) in cfg.lexicon.matches(text) {
            let pinyin = cfg.lexicon.reading(word).expect("reading");
            let alone = phonemes(pinyin);
            let untoned = |p: &str| p.chars().filter(|c| !c.is_ascii_digit()).collect::<String>();
            let sandhi = pinyin.contains('3') && untoned(&said).contains(&untoned(&alone));
            if !said.contains(&alone) && !sandhi {
                wrong.push(format!("{word} ({pinyin}) in {text}: {said} lacks {alone}"));
            }
            checked += 1;
        }
    }
    eprintln!("{} texts, {checked} lexicon words checked by their phonemes", texts.len());
    assert!(checked > 100);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn guidance_list_names_every_screen_with_its_text_and_source() {
    let t = TempStation::new();
    let o = t.kiosk(NOW, &["guidance", "list", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).expect("a JSON array");
    let screens: Vec<&str> = rows.iter().map(|r| r["screen"].as_str().expect("screen")).collect();
    assert_eq!(screens, SCREENS.to_vec(), "one object per kiosk screen");
    for r in &rows {
        assert_eq!(r.as_object().expect("object").len(), 3, "keys screen, text, source: {r}");
        assert!(!r["text"].as_str().expect("text").is_empty());
        assert_eq!(r["source"], "synthesized", "no voice pack: {r}");
    }
    let ticket = rows.iter().find(|r| r["screen"] == "ticket").expect("ticket");
    assert!(ticket["text"].as_str().unwrap().contains("{number}"), "{ticket}");
}

#[test]
#[ignore = "full suite (./test.sh): needs espeak-ng"]
fn guidance_say_writes_sensible_audio_for_every_screen() {
    let t = TempStation::new();
    for screen in SCREENS {
        let out = t.dir.path().join(format!("{screen}.wav"));
        let o = t.kiosk(NOW, &["guidance", "say", "--screen", screen, "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{screen}: {}", stderr(&o));
        let pcm = kiosk::voice::Pcm::parse(&std::fs::read(&out).expect("wav")).expect("valid WAV");
        let secs = pcm.duration().as_secs_f32();
        // About four syllables a second: a prompt of a dozen characters or more.
        assert!((2.0..45.0).contains(&secs), "{screen}: {secs} s");
        assert!(pcm.peak() > 3000, "{screen}: not silent");
        eprintln!("{screen}: {secs:.1} s — {}", stdout(&o).trim());
    }
    let x = t.dir.path().join("x.wav");
    let x = x.to_str().unwrap();
    // The matter page reads the materials item by item; the ticket page says the number.
    let out = t.dir.path().join("m.wav");
    let o = t.kiosk(NOW, &["guidance", "say", "--screen", "matter", "--matter", "C01", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("第1样") && stdout(&o).contains("第2样"), "{}", stdout(&o));
    let o = t.kiosk(NOW, &["guidance", "say", "--screen", "ticket", "--number", "A005", "--ahead", "0", "--out", x]);
    assert!(stdout(&o).contains("A005") && stdout(&o).contains("马上"), "{}", stdout(&o));
    // Mistakes are refused in words, with exit 2.
    let o = t.kiosk(NOW, &["guidance", "say", "--screen", "nowhere", "--out", x]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("case-materials"), "{}", stderr(&o));
    let o = t.kiosk(NOW, &["guidance", "say", "--screen", "matter", "--matter", "ZZ9", "--out", x]);
    assert_eq!(o.status.code(), Some(2));
}

/// SHA-256 as `sha256sum` prints it.
fn sha256(path: &std::path::Path) -> String {
    let o = Command::new("sha256sum").arg(path).output().expect("sha256sum");
    String::from_utf8_lossy(&o.stdout).split_whitespace().next().unwrap_or_default().to_string()
}

#[test]
#[ignore = "full suite (./test.sh): needs espeak-ng"]
fn a_voice_pack_is_used_only_where_its_checksums_match() {
    let toml = kiosk::config::SHIPPED_STATION.replace("voice-pack = \"\"", "voice-pack = \"pack\"");
    let t = TempStation::with_station_toml(&toml);
    let pack = t.config_dir().join("pack");
    std::fs::create_dir_all(&pack).unwrap();
    // "Recordings": a person would record them; here a tone of a known length each.
    let tone = |ms: u32| {
        let n = 22050 * ms / 1000;
        let samples = (0..n).map(|i| ((i as f32 * 0.06).sin() * 12000.0) as i16).collect();
        kiosk::voice::Pcm::new(22050, samples).to_wav_bytes()
    };
    std::fs::write(pack.join("home.wav"), tone(3000)).unwrap();
    std::fs::write(pack.join("search.wav"), tone(2500)).unwrap();
    std::fs::write(pack.join("five.wav"), tone(400)).unwrap();
    let good = sha256(&pack.join("home.wav"));
    let manifest = format!(
        "[[clip]]\nfile = \"home.wav\"\nscreen = \"home\"\nsha256 = \"{good}\"\n\n\
         [[clip]]\nfile = \"search.wav\"\nscreen = \"search\"\nsha256 = \"{}\"\n\n\
         [[clip]]\nfile = \"five.wav\"\nclip = \"digit-5\"\nsha256 = \"{}\"\n",
        "0".repeat(64),
        sha256(&pack.join("five.wav"))
    );
    std::fs::write(pack.join("manifest.toml"), manifest).unwrap();
    let o = t.kiosk(NOW, &["guidance", "list", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    let source = |s: &str| rows.iter().find(|r| r["screen"] == s).map(|r| r["source"].clone()).unwrap();
    assert_eq!(source("home"), "recorded");
    assert_eq!(source("search"), "synthesized", "a recording whose checksum does not match is not used");
    let o = t.kiosk(NOW, &["guidance", "list"]);
    assert!(stderr(&o).contains("search.wav") && stderr(&o).contains("校验值不对"), "{}", stderr(&o));
    // The home prompt is the recording itself (at the prompt volume, 80 %).
    let out = t.dir.path().join("home.wav");
    let o = t.kiosk(NOW, &["guidance", "say", "--screen", "home", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pcm = kiosk::voice::Pcm::parse(&std::fs::read(&out).unwrap()).unwrap();
    let secs = pcm.duration().as_secs_f32();
    assert!((2.9..3.05).contains(&secs), "the 3 s recording: {secs}");
    assert!((9000..10000).contains(&pcm.peak()), "80 % of 12000: {}", pcm.peak());
    // A recorded digit joins the synthesized words: 前面还有五个人.
    let out5 = t.dir.path().join("t5.wav");
    let out6 = t.dir.path().join("t6.wav");
    for (ahead, out) in [("5", &out5), ("6", &out6)] {
        let o =
            t.kiosk(NOW, &["guidance", "say", "--screen", "ticket", "--ahead", ahead, "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let five = kiosk::voice::Pcm::parse(&std::fs::read(&out5).unwrap()).unwrap();
    let six = kiosk::voice::Pcm::parse(&std::fs::read(&out6).unwrap()).unwrap();
    let recorded = kiosk::voice::Pcm::parse(&tone(400)).unwrap().scaled(80);
    let contains = |hay: &[i16], needle: &[i16]| hay.windows(needle.len()).any(|w| w == needle);
    assert!(contains(&five.samples, &recorded.samples[200..2000]), "the recorded 五 is in the prompt");
    assert!(!contains(&six.samples, &recorded.samples[200..2000]));
}

#[test]
#[ignore = "full suite (./test.sh): needs espeak-ng"]
fn a_call_always_wins_the_speaker() {
    use kiosk::voice::guidance::{GuidePlayer, Speech, Spoken, VoicePack, CALL_MARKER};
    let dir = tempfile::tempdir().unwrap();
    let voice_dir = dir.path().join("voice");
    std::fs::create_dir_all(&voice_dir).unwrap();
    let cfg = kiosk::config::load(None).unwrap();
    // A player that takes as long as a real one would with a long prompt.
    let voice = kiosk::voice::VoiceConfig {
        cache_dir: voice_dir.clone(),
        player: vec!["sh".into(), "-c".into(), "sleep 20".into(), "{file}".into()],
        ..Default::default()
    };
    let speech = Speech { voice, volume: 80, pack: VoicePack::default(), lexicon: cfg.lexicon.clone() };
    let spoken = || {
        let prompt = cfg.prompts.screen("home").unwrap().fill(&Default::default());
        Spoken { screen: None, shown: prompt.text.clone(), prompt }
    };
    let player = GuidePlayer::start(Some(speech));
    let wait = |what: &str, f: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !f() {
            assert!(start.elapsed() < Duration::from_secs(10), "{what}");
            std::thread::sleep(Duration::from_millis(20));
        }
        start.elapsed()
    };
    // A call starts while a prompt plays: the prompt is cut short at once.
    player.play(spoken());
    std::thread::sleep(Duration::from_millis(800));
    assert!(player.is_playing());
    std::fs::write(voice_dir.join(CALL_MARKER), "1").unwrap();
    let took = wait("the prompt stops for the call", &|| !player.is_playing());
    assert!(took < Duration::from_secs(1), "{took:?}");
    // While the call plays, no prompt starts.
    player.play(spoken());
    wait("the prompt is skipped", &|| !player.is_playing());
    assert_eq!(player.counts(), (0, 1));
    // After the call, prompts play again; a touch (stop) cuts them.
    std::fs::remove_file(voice_dir.join(CALL_MARKER)).unwrap();
    player.play(spoken());
    std::thread::sleep(Duration::from_millis(500));
    assert!(player.is_playing());
    player.stop();
    let took = wait("a touch stops the prompt", &|| !player.is_playing());
    assert!(took < Duration::from_secs(1), "{took:?}");
}

/// The clips numbers are joined from (the calling voice's digits, and 十 百 两 of the
/// counts) are read as their pinyin is: 一共两样, 前面还有十二个人.
#[test]
#[ignore = "full suite (./test.sh): needs espeak-ng"]
fn the_number_clips_are_read_as_numbers() {
    use kiosk::voice::ClipKey;
    let readings = ["ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"];
    for (d, pinyin) in readings.iter().enumerate() {
        let text = ClipKey::Digit(d as u8).text().expect("a digit's text");
        assert_eq!(phonemes(&text), phonemes(pinyin), "digit {d} ({text}) is read as {pinyin}");
    }
    for (word, pinyin) in [("十", "shi2"), ("百", "bai3"), ("两", "liang3")] {
        assert_eq!(phonemes(word), phonemes(pinyin), "{word} is read as {pinyin}");
    }
}
