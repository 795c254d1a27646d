//! Crash storm: four processes take tickets and submit cases through the service layer
//! (receipt PDFs written, print jobs recorded) while this test kills them at random with
//! SIGKILL and starts them again, as power cuts and crashes would. Afterwards: no duplicate
//! and no missing number, a sound store, a print job for every committed ticket and case,
//! and (after the start-up recovery) no half-written receipt.

use crate::util::TempStation;
use kiosk::service::Target;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const AT: &str = "2026-11-30T09:00:00+08:00";
const TICKETS: i64 = 1000;
const CASES: i64 = 200;
/// Matters of different categories, so the day's 999 numbers per letter are not reached.
const MATTERS: [&str; 5] = ["A01", "C02", "B01", "D01", "F01"];

fn counts(db: &Path) -> (i64, i64) {
    let Ok(c) = rusqlite::Connection::open(db) else { return (0, 0) };
    let _ = c.busy_timeout(Duration::from_secs(30));
    let t = c.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0)).unwrap_or(0);
    let k = c.query_row("SELECT count(*) FROM cases", [], |r| r.get(0)).unwrap_or(0);
    (t, k)
}

/// Not a test on its own: the body of each process of the storm.
#[test]
fn worker_storm() {
    let Ok(dir) = std::env::var("KIOSK_TEST_STORM_DIR") else { return };
    let t = TempStation::at(PathBuf::from(dir));
    let mut st = t.station_at(AT);
    // What the kiosk and the station service do at start.
    st.recover_prints().expect("recover");
    let db = t.data_dir().join("kiosk.db");
    let me = std::process::id() as usize;
    let mut i = me;
    loop {
        let (tickets, cases) = counts(&db);
        if tickets >= TICKETS && cases >= CASES {
            return;
        }
        if cases * 5 < tickets && cases < CASES {
            let sub = st.submit_case(&crate::cases::request("C02", &[])).expect("case");
            for task in &sub.print_tasks {
                let _ = task.run(&st.clock);
            }
        } else if tickets < TICKETS {
            let issued = st
                .take_ticket(&Target::Matter(MATTERS[i % MATTERS.len()].into()), i.is_multiple_of(7))
                .expect("ticket");
            if let Some(task) = st.print_task(&issued) {
                let _ = task.run(&st.clock);
            }
        }
        i += 1;
    }
}

fn spawn(exe: &Path, dir: &Path) -> Child {
    Command::new(exe)
        .args(["--exact", "crash::worker_storm", "--test-threads=1", "--nocapture"])
        .env("KIOSK_TEST_STORM_DIR", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn worker")
}

/// A small xorshift: the kills land at different moments each run, reproducibly per seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn crash_storm_loses_and_doubles_nothing() {
    let t = TempStation::new();
    drop(t.station_at(AT)); // the store exists before the storm
    let db = t.data_dir().join("kiosk.db");
    let exe = std::env::current_exe().expect("test binary");
    let seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(7);
    eprintln!("crash storm seed {seed}");
    let mut rng = Rng(seed | 1);
    let mut workers: Vec<Child> = (0..4).map(|_| spawn(&exe, t.dir.path())).collect();
    let started = Instant::now();
    let mut kills = 0;
    loop {
        std::thread::sleep(Duration::from_millis(100 + rng.next(400)));
        let (tickets, cases) = counts(&db);
        if tickets >= TICKETS && cases >= CASES {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "storm too slow: {tickets} tickets, {cases} cases");
        let w = rng.next(4) as usize;
        // SIGKILL: no destructor, no rollback handler, like a pulled plug for the process.
        let _ = workers[w].kill();
        let _ = workers[w].wait();
        kills += 1;
        workers[w] = spawn(&exe, t.dir.path());
    }
    for mut w in workers {
        let _ = w.kill();
        let _ = w.wait();
    }
    eprintln!("crash storm: {kills} kills in {:?}", started.elapsed());
    assert!(kills >= 10, "the storm killed only {kills} times");

    let c = crate::util::db(&t);
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("check");
    assert_eq!(ok, "ok");
    // Numbers: per letter, exactly 1..=n, and the counter agrees.
    let mut seqs: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut st = c.prepare("SELECT prefix, seq FROM tickets").expect("q");
    for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))).expect("rows") {
        let (p, s) = row.expect("row");
        seqs.entry(p).or_default().push(s);
    }
    let mut total = 0;
    for (prefix, mut s) in seqs {
        s.sort_unstable();
        let n = s.len() as u32;
        total += n;
        assert_eq!(s, (1..=n).collect::<Vec<_>>(), "prefix {prefix}: duplicates or gaps");
        let last: u32 = c
            .query_row("SELECT last_seq FROM ticket_counters WHERE prefix = ?1", [&prefix], |r| r.get(0))
            .expect("counter");
        assert_eq!(last, n, "prefix {prefix}: the counter and the tickets agree");
    }
    assert!(total as i64 >= TICKETS);
    let tracking: Vec<String> = c
        .prepare("SELECT tracking FROM cases")
        .and_then(|mut s| s.query_map([], |r| r.get(0)).and_then(|r| r.collect()))
        .expect("cases");
    let distinct: HashSet<&String> = tracking.iter().collect();
    assert_eq!(distinct.len(), tracking.len(), "no tracking code twice");
    assert!(tracking.len() as i64 >= CASES);
    let (case_last, cases_n): (u32, u32) = c
        .query_row("SELECT (SELECT max(last_seq) FROM case_counters), (SELECT count(*) FROM cases)", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("case counter");
    assert_eq!(case_last, cases_n, "no case number lost or doubled");
    let orphans: i64 = c
        .query_row(
            "SELECT (SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM print_jobs j WHERE j.ticket_id = t.id))
                  + (SELECT count(*) FROM cases k WHERE NOT EXISTS (SELECT 1 FROM print_jobs j WHERE j.case_id = k.id))",
            [],
            |r| r.get(0),
        )
        .expect("orphans");
    assert_eq!(orphans, 0, "every committed ticket and case has its print job");

    // The next start: half-written receipts go, jobs left waiting are listed for reprint.
    let later = t.station_at("2026-11-30T09:30:00+08:00");
    let r = later.recover_prints().expect("recover");
    eprintln!("after the storm: {r:?}");
    assert!(
        crate::util::part_files(&t.data_dir()).is_empty(),
        "no .part file left: {:?}",
        crate::util::part_files(&t.data_dir())
    );
    let pending: i64 =
        c.query_row("SELECT count(*) FROM print_jobs WHERE status = 'pending'", [], |r| r.get(0)).expect("q");
    assert_eq!(pending, 0, "no job left in limbo");
    let missing: Vec<String> = c
        .prepare("SELECT pdf_path FROM print_jobs WHERE status <> 'failed'")
        .and_then(|mut s| s.query_map([], |r| r.get(0)).and_then(|r| r.collect()))
        .expect("jobs");
    for p in &missing {
        assert!(Path::new(p).is_file(), "a job counted as done has its receipt: {p}");
    }
}
