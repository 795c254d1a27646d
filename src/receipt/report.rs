//! The report as documents: a CSV that opens in Excel with the Chinese intact (UTF-8
//! with a byte-order mark, CRLF lines) and the printable monthly report (月报) for the
//! town, A4 with the same charts as the page. Plain figures in, bytes out.

use super::a4::{Doc, BLACK, BLUE, GREEN, GREY, RED};
use super::{ReceiptError, ReceiptFont};
use crate::domain::report::{mins, pct, Labels, Report, TicketFigures};

const LEVELS: [&str; 5] = ["非常不满意", "不满意", "基本满意", "满意", "非常满意"];

/// A CSV cell, quoted where it must be.
pub fn csv_cell(s: &str) -> String {
    cell(s)
}

fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn line(out: &mut String, cells: &[String]) {
    out.push_str(&cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
}

fn ticket_cells(kind: &str, name: &str, f: &TicketFigures) -> Vec<String> {
    vec![
        kind.into(),
        name.into(),
        f.issued.to_string(),
        f.called.to_string(),
        f.served.to_string(),
        f.no_show.to_string(),
        pct(f.no_show_rate()),
        f.expired.to_string(),
        f.kept.to_string(),
        mins(f.wait_median),
        mins(f.wait_p90),
        mins(f.service_median),
        mins(f.service_mean),
    ]
}

pub const TICKET_HEAD: [&str; 13] = [
    "分项",
    "名称",
    "取号",
    "叫号",
    "办结",
    "过号",
    "过号率",
    "过期",
    "留到次日",
    "等候中位数(分钟)",
    "等候P90(分钟)",
    "办理中位数(分钟)",
    "平均办理(分钟)",
];

/// The ticket rows of a report: the station, then each category, window, staff member.
pub fn ticket_rows(r: &Report, l: &Labels) -> Vec<Vec<String>> {
    let mut rows = vec![ticket_cells("全站", "全部", &r.all)];
    for (c, f) in &r.by_category {
        rows.push(ticket_cells("类别", &l.category(c), f));
    }
    for (w, f) in &r.by_window {
        rows.push(ticket_cells("窗口", &format!("{w}号窗口"), f));
    }
    for (s, f) in &r.by_staff {
        rows.push(ticket_cells("工作人员", &l.staff(s), &f.tickets));
    }
    rows
}

/// The columns of each staff member's time.
pub const STAFF_TIME_HEAD: [&str; 11] = [
    "工作人员",
    "办结取号",
    "平均办理(分钟)",
    "办结号平均等候(分钟)",
    "选叫次数",
    "在岗(分钟)",
    "午休(分钟)",
    "外出代办(分钟)",
    "会议(分钟)",
    "其他暂停(分钟)",
    "空闲(分钟)",
];

/// Each staff member's time: served, average service and wait, out-of-turn calls, time
/// signed in, paused by reason and idle.
pub fn staff_time_rows(r: &Report, l: &Labels) -> Vec<Vec<String>> {
    use crate::domain::calling::PauseReason;
    let whole = |m: f64| format!("{m:.0}");
    r.by_staff
        .iter()
        .map(|(s, f)| {
            let t = &f.time;
            let mut row = vec![
                l.staff(s),
                f.tickets.served.to_string(),
                mins(f.tickets.service_mean),
                mins(f.tickets.wait_served_mean),
                t.out_of_turn.to_string(),
                whole(t.signed_in),
            ];
            for reason in PauseReason::ALL {
                row.push(whole(t.paused.get(&reason).copied().unwrap_or(0.0)));
            }
            row.push(whole(t.idle));
            row
        })
        .collect()
}

/// The report as CSV bytes (UTF-8 with BOM, for Excel).
pub fn csv(r: &Report, l: &Labels) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    line(&mut out, &["服务站".into(), l.station.clone()]);
    line(&mut out, &["统计期间".into(), r.from.to_string(), r.to.to_string()]);
    line(&mut out, &["生成时间".into(), l.generated.clone()]);
    out.push_str("\r\n");
    line(&mut out, &TICKET_HEAD.map(String::from));
    for row in ticket_rows(r, l) {
        line(&mut out, &row);
    }
    out.push_str("\r\n");
    line(&mut out, &["工作人员".into(), "代办办结".into(), "评价数".into(), "满意率".into()]);
    for (s, f) in &r.by_staff {
        line(
            &mut out,
            &[l.staff(s), f.cases_completed.to_string(), f.ratings.total().to_string(), pct(f.ratings.satisfaction())],
        );
    }
    out.push_str("\r\n");
    line(&mut out, &STAFF_TIME_HEAD.map(String::from));
    for row in staff_time_rows(r, l) {
        line(&mut out, &row);
    }
    out.push_str("\r\n");
    line(&mut out, &["全程代办".into(), "新增".into(), "办结".into(), "按时办结".into(), "按时率".into()]);
    let c = &r.cases;
    line(
        &mut out,
        &["合计".into(), c.opened.to_string(), c.completed.to_string(), c.on_time.to_string(), pct(c.on_time_rate())],
    );
    out.push_str("\r\n");
    line(&mut out, &["超期代办".into(), "编号".into(), "事项".into(), "承诺日期".into(), "超期天数".into()]);
    for (tr, m, due, days) in &c.overdue {
        line(&mut out, &["".into(), tr.clone(), m.clone(), due.to_string(), days.to_string()]);
    }
    out.push_str("\r\n");
    let mut head: Vec<String> = vec!["好差评".into()];
    head.extend(LEVELS.iter().rev().map(|s| s.to_string()));
    head.extend(["合计".into(), "满意率".into()]);
    line(&mut out, &head);
    let mut counts: Vec<String> = vec!["次数".into()];
    counts.extend(r.ratings.counts.iter().rev().map(|n| n.to_string()));
    counts.extend([r.ratings.total().to_string(), pct(r.ratings.satisfaction())]);
    line(&mut out, &counts);
    // Ratings of tickets and requests taken with a staff member's help at the kiosk.
    let mut assisted: Vec<String> = vec!["其中帮办".into()];
    assisted.extend(r.assisted_ratings.counts.iter().rev().map(|n| n.to_string()));
    assisted.extend([r.assisted_ratings.total().to_string(), pct(r.assisted_ratings.satisfaction())]);
    line(&mut out, &assisted);
    out.push_str("\r\n");
    let mut hours: Vec<String> = vec!["时段".into()];
    hours.extend((0..24).map(|h| format!("{h}时")));
    line(&mut out, &hours);
    let mut per: Vec<String> = vec!["取号".into()];
    per.extend(r.per_hour.iter().map(|n| n.to_string()));
    line(&mut out, &per);
    out.into_bytes()
}

/// The hours shown on charts: office hours and a little around them, or every hour that
/// had a ticket.
pub fn chart_hours(r: &Report) -> std::ops::RangeInclusive<usize> {
    let first = r.per_hour.iter().position(|n| *n > 0).unwrap_or(8).min(8);
    let last = r.per_hour.iter().rposition(|n| *n > 0).unwrap_or(17).max(17);
    first..=last
}

/// The printable monthly report (月报).
pub fn pdf(font: &ReceiptFont, r: &Report, l: &Labels) -> Result<Vec<u8>, ReceiptError> {
    let title = format!("{} 工作报表", l.station);
    let mut d = Doc::new(font, &title, &format!("{} · {} 至 {} · 生成于 {}", l.station, r.from, r.to, l.generated));
    d.center(&l.station, 18.0, BLACK);
    d.center(&format!("服务情况报表（{} 至 {}）", r.from, r.to), 14.0, BLUE);
    let a = &r.all;
    d.para(
        &format!(
            "取号 {} 人次，办结 {}，过号 {}（过号率 {}）；等候时间中位数 {} 分钟，90% 的人在 {} 分钟内被叫到；\
             每件平均办理 {} 分钟。全程代办新增 {} 件，办结 {} 件，按时办结率 {}，目前超期 {} 件。\
             好差评 {} 次，满意率 {}。",
            a.issued,
            a.served,
            a.no_show,
            pct(a.no_show_rate()),
            mins(a.wait_median),
            mins(a.wait_p90),
            mins(a.service_mean),
            r.cases.opened,
            r.cases.completed,
            pct(r.cases.on_time_rate()),
            r.cases.overdue.len(),
            r.ratings.total(),
            pct(r.ratings.satisfaction())
        ),
        10.5,
        BLACK,
    );
    d.heading("一、取号与办理");
    let hours = chart_hours(r);
    d.bars(
        "每小时取号人次",
        &hours.clone().map(|h| format!("{h}时")).collect::<Vec<_>>(),
        &hours.map(|h| r.per_hour[h] as f64).collect::<Vec<_>>(),
        BLUE,
    );
    let cats: Vec<(&String, &TicketFigures)> = r.by_category.iter().collect();
    d.bars(
        "各类别取号人次",
        &cats.iter().map(|(c, _)| l.categories.get(*c).cloned().unwrap_or_else(|| c.to_string())).collect::<Vec<_>>(),
        &cats.iter().map(|(_, f)| f.issued as f64).collect::<Vec<_>>(),
        GREEN,
    );
    let rows = ticket_rows(r, l);
    d.table(&TICKET_HEAD, &[0.08, 0.14, 0.06, 0.06, 0.06, 0.06, 0.07, 0.05, 0.06, 0.1, 0.08, 0.1, 0.08], &rows, 7.5);
    if r.per_day.len() > 1 {
        d.bars(
            "每天取号人次",
            &r.per_day.keys().map(|k| k.format("%d").to_string()).collect::<Vec<_>>(),
            &r.per_day.values().map(|v| *v as f64).collect::<Vec<_>>(),
            BLUE,
        );
    }
    d.heading("二、全程代办");
    let c = &r.cases;
    d.table(
        &["新增", "办结", "按时办结", "按时率", "目前超期"],
        &[0.2, 0.2, 0.2, 0.2, 0.2],
        &[vec![
            c.opened.to_string(),
            c.completed.to_string(),
            c.on_time.to_string(),
            pct(c.on_time_rate()),
            c.overdue.len().to_string(),
        ]],
        9.0,
    );
    if !c.overdue.is_empty() {
        let rows: Vec<Vec<String>> = c
            .overdue
            .iter()
            .map(|(t, m, due, days)| vec![t.clone(), m.clone(), due.to_string(), format!("{days} 天")])
            .collect();
        d.para("超期代办：", 10.0, RED);
        d.table(&["编号", "事项", "承诺日期", "超期"], &[0.2, 0.5, 0.15, 0.15], &rows, 8.5);
    }
    d.heading("三、好差评");
    // 非常满意 … 非常不满意: the good ones green, 差评 red (not one colour for both).
    d.bars_each(
        &format!(
            "评价次数（共 {} 次，满意率 {}；其中帮办 {} 次，满意率 {}）",
            r.ratings.total(),
            pct(r.ratings.satisfaction()),
            r.assisted_ratings.total(),
            pct(r.assisted_ratings.satisfaction())
        ),
        &LEVELS.iter().rev().map(|s| s.to_string()).collect::<Vec<_>>(),
        &r.ratings.counts.iter().rev().map(|n| *n as f64).collect::<Vec<_>>(),
        &[GREEN, GREEN, GREEN, RED, RED],
    );
    if !r.by_staff.is_empty() {
        d.heading("四、工作人员");
        let rows: Vec<Vec<String>> = r
            .by_staff
            .iter()
            .map(|(s, f)| {
                vec![
                    l.staff(s),
                    f.tickets.served.to_string(),
                    mins(f.tickets.service_mean),
                    f.cases_completed.to_string(),
                    f.ratings.total().to_string(),
                    pct(f.ratings.satisfaction()),
                ]
            })
            .collect();
        d.table(
            &["工作人员", "办结取号", "平均办理(分钟)", "代办办结", "评价数", "满意率"],
            &[0.25, 0.15, 0.18, 0.14, 0.13, 0.15],
            &rows,
            9.0,
        );
        d.table(
            &STAFF_TIME_HEAD,
            &[0.14, 0.07, 0.09, 0.1, 0.07, 0.08, 0.08, 0.1, 0.08, 0.09, 0.1],
            &staff_time_rows(r, l),
            7.0,
        );
    }
    d.para("说明：等候时间从取号到第一次叫号；办理时间从开始办理（或叫号）到办结；满意率 = （非常满意＋满意＋基本满意）÷ 全部评价。", 8.0, GREY);
    d.render()
}

/// The columns of the township report's comparison of stations.
pub const TOWN_HEAD: [&str; 11] = [
    tr_later!("站点"),
    tr_later!("名称"),
    tr_later!("取号"),
    tr_later!("办结"),
    tr_later!("过号率"),
    tr_later!("等候中位数(分钟)"),
    tr_later!("等候P90(分钟)"),
    tr_later!("平均办理(分钟)"),
    tr_later!("评价数"),
    tr_later!("差评"),
    tr_later!("满意率"),
];

/// One line per station, then the township's.
pub fn town_rows(r: &crate::town::office::TownReport) -> Vec<Vec<String>> {
    let cells = |code: &str, name: &str, x: &Report| {
        vec![
            code.to_string(),
            name.to_string(),
            x.all.issued.to_string(),
            x.all.served.to_string(),
            pct(x.all.no_show_rate()),
            mins(x.all.wait_median),
            mins(x.all.wait_p90),
            mins(x.all.service_mean),
            x.ratings.total().to_string(),
            (x.ratings.counts[0] + x.ratings.counts[1]).to_string(),
            pct(x.ratings.satisfaction()),
        ]
    };
    let mut rows: Vec<Vec<String>> = r.stations.iter().map(|(c, n, x)| cells(c, n, x)).collect();
    rows.push(cells("全镇", "合计", &r.all));
    rows
}

/// The 全程代办 cases each station handed to the town.
pub const TOWN_CASE_HEAD: [&str; 6] = [
    tr_later!("站点"),
    tr_later!("名称"),
    tr_later!("报送镇中心"),
    tr_later!("镇中心办结"),
    tr_later!("按时办结率"),
    tr_later!("逾期未办结"),
];

/// One line per station, then the township's: the cases handed up in the period, those the
/// town completed in it, how many of those by the promised date, and those overdue at its end.
pub fn town_case_rows(r: &crate::town::office::TownReport) -> Vec<Vec<String>> {
    let cells = |code: &str, name: &str, x: &Report| {
        vec![
            code.to_string(),
            name.to_string(),
            x.cases.opened.to_string(),
            x.cases.completed.to_string(),
            pct(x.cases.on_time_rate()),
            x.cases.overdue.len().to_string(),
        ]
    };
    let mut rows: Vec<Vec<String>> = r.stations.iter().map(|(c, n, x)| cells(c, n, x)).collect();
    rows.push(cells("全镇", "合计", &r.all));
    rows
}

/// The township report as CSV (UTF-8 with BOM, for Excel).
pub fn town_csv(r: &crate::town::office::TownReport) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    line(&mut out, &["乡镇".into(), r.town.clone()]);
    line(&mut out, &["统计期间".into(), r.from.to_string(), r.to.to_string()]);
    line(&mut out, &["生成时间".into(), r.generated.clone()]);
    out.push_str("\r\n");
    line(&mut out, &TOWN_HEAD.map(String::from));
    for row in town_rows(r) {
        line(&mut out, &row);
    }
    out.push_str("\r\n");
    line(&mut out, &["全程代办".into()]);
    line(&mut out, &TOWN_CASE_HEAD.map(String::from));
    for row in town_case_rows(r) {
        line(&mut out, &row);
    }
    out.push_str("\r\n");
    let mut hours: Vec<String> = vec!["时段".into()];
    hours.extend((0..24).map(|h| format!("{h}时")));
    line(&mut out, &hours);
    let mut per: Vec<String> = vec!["全镇取号".into()];
    per.extend(r.all.per_hour.iter().map(|n| n.to_string()));
    line(&mut out, &per);
    out.into_bytes()
}

/// The township's printable monthly report: the stations compared, with charts.
pub fn town_pdf(font: &ReceiptFont, r: &crate::town::office::TownReport) -> Result<Vec<u8>, ReceiptError> {
    let title = format!("{} 村级服务站工作报表", r.town);
    let mut d = Doc::new(font, &title, &format!("{} · {} 至 {} · 生成于 {}", r.town, r.from, r.to, r.generated));
    d.center(&title, 18.0, BLACK);
    d.center(&format!("{} 至 {}，{} 个服务站", r.from, r.to, r.stations.len()), 14.0, BLUE);
    let a = &r.all;
    d.para(
        &format!(
            "全镇取号 {} 人次，办结 {}，过号率 {}；等候时间中位数 {} 分钟，90% 的人在 {} 分钟内被叫到；\
             好差评 {} 次，满意率 {}（其中帮办 {} 次，满意率 {}）。",
            a.all.issued,
            a.all.served,
            pct(a.all.no_show_rate()),
            mins(a.all.wait_median),
            mins(a.all.wait_p90),
            a.ratings.total(),
            pct(a.ratings.satisfaction()),
            a.assisted_ratings.total(),
            pct(a.assisted_ratings.satisfaction())
        ),
        10.5,
        BLACK,
    );
    d.heading("一、各站点比较");
    let names: Vec<String> =
        r.stations.iter().map(|(c, n, _)| if n.is_empty() { c.clone() } else { n.clone() }).collect();
    d.bars("各站点取号人次", &names, &r.stations.iter().map(|(_, _, x)| x.all.issued as f64).collect::<Vec<_>>(), BLUE);
    d.bars(
        "各站点等候时间中位数（分钟）",
        &names,
        &r.stations.iter().map(|(_, _, x)| x.all.wait_median.unwrap_or(0.0)).collect::<Vec<_>>(),
        GREEN,
    );
    d.bars(
        "各站点满意率（%）",
        &names,
        &r.stations.iter().map(|(_, _, x)| x.ratings.satisfaction().unwrap_or(0.0) * 100.0).collect::<Vec<_>>(),
        GREEN,
    );
    d.table(&TOWN_HEAD, &[0.07, 0.21, 0.06, 0.06, 0.07, 0.1, 0.1, 0.1, 0.07, 0.06, 0.1], &town_rows(r), 7.5);
    d.heading("二、全程代办（报送镇中心的）");
    d.para(
        &format!(
            "本期报送镇中心 {} 件，镇中心办结 {} 件，按时办结率 {}；期末逾期未办结 {} 件。",
            a.cases.opened,
            a.cases.completed,
            pct(a.cases.on_time_rate()),
            a.cases.overdue.len()
        ),
        10.5,
        BLACK,
    );
    d.table(&TOWN_CASE_HEAD, &[0.1, 0.3, 0.15, 0.15, 0.15, 0.15], &town_case_rows(r), 7.5);
    if !a.cases.overdue.is_empty() {
        let late: Vec<Vec<String>> = a
            .cases
            .overdue
            .iter()
            .take(40)
            .map(|(t, m, due, days)| vec![t.clone(), m.clone(), due.to_string(), format!("{days} 天")])
            .collect();
        d.table(&["受理编号", "事项", "承诺日期", "已逾期"], &[0.3, 0.3, 0.2, 0.2], &late, 7.5);
    }
    d.heading("三、全镇每小时取号");
    let hours = chart_hours(a);
    d.bars(
        "每小时取号人次",
        &hours.clone().map(|h| format!("{h}时")).collect::<Vec<_>>(),
        &hours.map(|h| a.per_hour[h] as f64).collect::<Vec<_>>(),
        BLUE,
    );
    d.para("说明：数字来自各站点上报镇中心的取号、叫号、评价和代办记录；离线站点连通后自动补齐。等候时间从取号到第一次叫号；满意率 = （非常满意＋满意＋基本满意）÷ 全部评价；代办按报送镇中心的日期计入，按时 = 在服务站承诺的日期前办结。", 8.0, GREY);
    d.render()
}
