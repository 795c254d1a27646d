//! The calling voice end to end: `kiosk announce` writes exactly what would be played; the
//! station service announces every call from any process, one at a time in call order;
//! without a working sound device calling goes on and the failure is logged once.

use crate::cases::{add_staff, signed};
use crate::util::{stderr, Serve, TempStation};
use kiosk::service::Target;
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-30T09:30:00+08:00";

/// A station whose player is `player` (TOML array text).
fn with_player(player: &str) -> TempStation {
    let toml = kiosk::config::SHIPPED_STATION
        .replace("player = [\"aplay\", \"-q\", \"{file}\"]", &format!("player = {player}"));
    assert_ne!(toml, kiosk::config::SHIPPED_STATION, "the template's player line moved");
    TempStation::with_station_toml(&toml)
}

#[test]
#[ignore = "full suite (./test.sh): needs espeak-ng"]
fn announce_writes_what_would_be_played() {
    let t = TempStation::new();
    let out = t.dir.path().join("a001.wav");
    let o = t.kiosk(NOW, &["announce", "--number", "A001", "--window", "1", "--out", out.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&out).expect("the WAV");
    let pcm = kiosk::voice::Pcm::parse(&bytes).expect("a valid WAV");
    assert_eq!(pcm.rate, kiosk::voice::SAMPLE_RATE);
    // Chime + "请 A零零一 号 到 一号窗口 办理", twice: the same as the library renders from the
    // same clips (which the command cached in the data folder).
    let cfg = kiosk::voice::VoiceConfig { cache_dir: t.data_dir().join("voice"), ..Default::default() };
    let expected = kiosk::voice::render(&cfg, "A001", 1, 2).expect("render");
    assert_eq!(pcm.samples, expected.samples, "the file is exactly the announcement");
    let secs = pcm.duration().as_secs_f32();
    assert!((8.0..16.0).contains(&secs), "two repetitions with the chime: {secs} s");
    let once = kiosk::voice::render(&cfg, "A001", 1, 1).expect("render");
    assert!(once.samples.len() < pcm.samples.len(), "said twice by default");
    let chime = kiosk::voice::chime();
    assert_eq!(&pcm.samples[..chime.samples.len()], &chime.samples[..], "it starts with the chime");
    // Window numbers are read as numbers: 十号窗口 is one clip, not 一 and 零.
    let out10 = t.dir.path().join("a001-10.wav");
    let o = t.kiosk(NOW, &["announce", "--number", "A001", "--window", "10", "--out", out10.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(t.data_dir().join("voice/window-10.wav").is_file());
    let o = t.kiosk(NOW, &["announce", "--number", "A1", "--window", "1", "--out", "x.wav"]);
    assert_eq!(o.status.code(), Some(2), "a bad number is refused: {}", stderr(&o));
}

#[test]
#[ignore = "full suite (./test.sh): needs espeak-ng"]
fn every_call_is_announced_in_order_without_overlap() {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("played.log");
    let player = dir.path().join("player.sh");
    // A player that takes its time, like a speaker: it logs when each file starts and ends.
    std::fs::write(
        &player,
        format!(
            "#!/bin/sh\nf=$(basename \"$1\")\necho \"start $f $(stat -c %s \"$1\") $(date +%s%N)\" >> {0}\nsleep 0.25\necho \"end $f $(date +%s%N)\" >> {0}\n",
            log.display()
        ),
    )
    .expect("player");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&player, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let t = with_player(&format!("[\"{}\", \"{{file}}\"]", player.display()));
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let who = signed(&st, "001");
    for _ in 0..10 {
        st.take_ticket(&Target::Matter("A01".into()), false).expect("ticket");
    }
    let srv = Serve::start(&t, Some(NOW));
    // Once the service has its clips, call ten times in a burst from another process (this
    // test), alternating windows: far faster than they can be spoken, so they pile up.
    crate::util::log_until(&t, "clips ready");
    for i in 0..10 {
        st.call_next(&who, 1 + (i % 2)).expect("call");
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let text = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.lines().filter(|l| l.starts_with("end ")).count() >= 10 || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(srv);
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(lines.len(), 20, "ten announcements, each started and ended:\n{text}");
    let mut sizes = Vec::new();
    for (i, pair) in lines.chunks(2).enumerate() {
        let (start, end) = (&pair[0], &pair[1]);
        assert_eq!((start[0], end[0]), ("start", "end"), "one at a time, never overlapping:\n{text}");
        assert_eq!(start[1], end[1]);
        let expected = format!("call-A{:03}-", i + 1);
        assert!(start[1].starts_with(&expected), "in call order: {} at {i}:\n{text}", start[1]);
        sizes.push(start[2].parse::<u64>().expect("size"));
    }
    // While more than three wait, the repetition is dropped: those files are shorter.
    assert!(sizes[1] < sizes[0], "the second call had more than three behind it: said once ({sizes:?})");
    assert!(sizes[9] > sizes[1] * 3 / 2, "the last one, alone again, is said twice ({sizes:?})");
}

#[test]
fn no_sound_device_calls_go_on_and_it_is_logged_once() {
    let t = with_player("[\"false\"]");
    let mut st = t.station_at(NOW);
    add_staff(&st);
    let who = signed(&st, "001");
    for _ in 0..3 {
        st.take_ticket(&Target::Matter("C01".into()), false).expect("ticket");
    }
    let srv = Serve::start(&t, Some(NOW));
    for _ in 0..3 {
        st.call_next(&who, 1).expect("calling works without sound");
        std::thread::sleep(Duration::from_millis(300));
    }
    let display = crate::util::sse_until(&srv.url("/display/live"), Duration::from_secs(5), |d| d.contains("C003"))
        .expect("the display follows the calls");
    assert!(display.0.contains("请 C003 号 到 1 号窗口"));
    // A box without sound logs once and then says nothing per call, by design: there is no
    // event to wait on, so the announcer is given a moment to try the last calls too.
    std::thread::sleep(Duration::from_secs(2));
    assert!(srv.stop().success());
    let log = crate::util::serve_log(&t);
    let warnings = log.lines().filter(|l| l.contains("WARN") && l.contains("no sound")).count();
    assert_eq!(warnings, 1, "one warning, not one per call:\n{log}");
}
