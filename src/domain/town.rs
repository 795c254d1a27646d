//! The township's rules that need no store: what a station's code may be (it names the
//! station's subjects, stream and JetStream domain on the link, so it must be short, plain
//! and unambiguous), what a ticket's event makes of it at the town, when a station counts
//! as online, and which station needs the town's attention first.

use super::calling::TicketStatus;

/// A station is online while the town has heard from it within this many seconds: two
/// and a half heartbeats (one a minute).
pub const ONLINE_SECONDS: i64 = 150;

/// The status a ticket has after the event `kind` (the part after `ticket.`), None for an
/// event that does not change it.
pub fn status_after(kind: &str) -> Option<TicketStatus> {
    Some(match kind {
        "taken" | "transferred" | "kept" => TicketStatus::Waiting,
        "called" | "recalled" | "callback" => TicketStatus::Called,
        "started" => TicketStatus::Serving,
        "finished" | "auto_finished" => TicketStatus::Served,
        "no_show" => TicketStatus::NoShow,
        "cancelled" | "expired" => TicketStatus::Cancelled,
        _ => return None,
    })
}

/// The town's own name in a configured centre name, when it does not already name the
/// centre: "新集镇" and "新集" give "新集"; "新集镇行政综合服务中心" gives None (shown as is).
pub fn town_of(configured: &str) -> Option<&str> {
    (!configured.ends_with("中心")).then(|| configured.trim_end_matches('镇'))
}

/// What the town's overview weighs when it orders the stations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Health {
    /// Seconds since the town last heard from it; None if never.
    pub silent_for: Option<i64>,
    /// Receipts that did not print (the printer is down or out of paper).
    pub unprinted: i64,
    /// Free disk in MB, as its last heartbeat said.
    pub free_disk_mb: Option<i64>,
    /// 差评 whose follow-up is past its 15 working days.
    pub overdue_followups: i64,
    /// 差评 not followed up yet.
    pub open_bad: i64,
}

/// Below this much free disk a station needs a visit.
pub const LOW_DISK_MB: i64 = 500;

impl Health {
    pub fn online(&self) -> bool {
        self.silent_for.is_some_and(|s| s < ONLINE_SECONDS)
    }

    /// What needs attention, most urgent first, in words (empty when all is well).
    pub fn attention(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if !self.online() {
            v.push(if self.silent_for.is_none() { tr_later!("从未连上") } else { tr_later!("离线") });
        }
        if self.unprinted > 0 {
            v.push(tr_later!("打印机故障"));
        }
        if self.free_disk_mb.is_some_and(|m| m < LOW_DISK_MB) {
            v.push(tr_later!("磁盘快满了"));
        }
        if self.overdue_followups > 0 {
            v.push(tr_later!("差评跟进逾期"));
        }
        v
    }

    /// The overview's order: offline longest first, then printer down, low disk, overdue
    /// follow-ups, open 差评; smaller is more urgent.
    pub fn rank(&self) -> (u8, i64) {
        if !self.online() {
            return (0, -self.silent_for.unwrap_or(i64::MAX));
        }
        if self.unprinted > 0 {
            return (1, -self.unprinted);
        }
        if self.free_disk_mb.is_some_and(|m| m < LOW_DISK_MB) {
            return (2, self.free_disk_mb.unwrap_or(0));
        }
        if self.overdue_followups > 0 {
            return (3, -self.overdue_followups);
        }
        (4, -self.open_bad)
    }
}

/// A station code as written (`S01`, `nlz`): 1–12 letters and digits, starting with a
/// letter; kept in lower case. Returns the problem in words otherwise.
pub fn station_code(input: &str) -> Result<String, &'static str> {
    let code = input.trim().to_ascii_lowercase();
    if code.is_empty() || code.len() > 12 {
        return Err("站点代码要 1 到 12 个字母或数字，例如 s01");
    }
    if !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Err("站点代码只能用英文字母和数字，例如 s01");
    }
    if !code.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("站点代码要以英文字母开头，例如 s01");
    }
    if code == "town" {
        return Err("town 是镇中心自己的名字，请换一个站点代码");
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(station_code(" S01 "), Ok("s01".to_string()));
        assert_eq!(station_code("nlz"), Ok("nlz".to_string()));
        assert!(station_code("").is_err());
        assert!(station_code("1ab").is_err());
        assert!(station_code("s-01").is_err());
        assert!(station_code("s.01").is_err(), "a dot would split the subject");
        assert!(station_code("南刘庄").is_err());
        assert!(station_code("town").is_err());
        assert!(station_code("abcdefghijklm").is_err());
    }

    #[test]
    fn events_and_attention() {
        assert_eq!(status_after("called"), Some(TicketStatus::Called));
        assert_eq!(status_after("auto_finished"), Some(TicketStatus::Served));
        assert_eq!(status_after("transferred"), Some(TicketStatus::Waiting));
        assert_eq!(status_after("window-pause"), None);
        assert_eq!(town_of("新集镇"), Some("新集"));
        assert_eq!(town_of("新集"), Some("新集"));
        assert_eq!(town_of("新集镇行政综合服务中心"), None);
        let off_long = Health { silent_for: Some(7200), ..Default::default() };
        let off_short = Health { silent_for: Some(600), ..Default::default() };
        let never = Health::default();
        let printer = Health { silent_for: Some(10), unprinted: 2, ..Default::default() };
        let overdue = Health { silent_for: Some(10), overdue_followups: 1, ..Default::default() };
        let fine = Health { silent_for: Some(10), free_disk_mb: Some(9000), ..Default::default() };
        let mut all =
            [fine.clone(), overdue.clone(), printer.clone(), off_short.clone(), never.clone(), off_long.clone()];
        all.sort_by_key(|h| h.rank());
        assert_eq!(all, [never, off_long, off_short, printer, overdue, fine.clone()]);
        assert!(fine.attention().is_empty() && fine.online());
        assert_eq!(
            Health { silent_for: Some(10), free_disk_mb: Some(100), ..Default::default() }.attention(),
            ["磁盘快满了"]
        );
    }
}
