//! Reports on a store seeded with known tickets, cases and ratings: the CSV and the PDF
//! carry the numbers this test works out on its own; a backwards range is refused.

use crate::cases::{add_staff, request, signed};
use crate::util::{pdf_text, stderr, TempStation};
use kiosk::domain::calling::CallAction;
use kiosk::domain::case::CaseState;
use kiosk::service::Target;

fn at(hm: &str) -> String {
    format!("2026-11-02T{hm}:00+08:00")
}

/// Four tickets on Monday 2 November: waits 10, 20 and 30 minutes; services 12 and 8
/// minutes; one no-show; one still waiting. Two ratings (5 and 2); one case completed
/// on time.
fn seed(t: &TempStation) {
    add_staff(&t.station_at(&at("08:00")));
    let mut numbers = Vec::new();
    for hm in ["09:00", "09:05", "09:10", "09:20"] {
        let mut st = t.station_at(&at(hm));
        numbers.push(st.take_ticket(&Target::Matter("C01".into()), false).expect("ticket").ticket);
    }
    let act = |hm: &str, f: &dyn Fn(&mut kiosk::service::Station, &kiosk::service::Signed)| {
        let mut st = t.station_at(&at(hm));
        let who = signed(&st, "001");
        f(&mut st, &who);
    };
    act("09:10", &|st, w| {
        st.call_next(w, 1).expect("call");
        st.call_action(w, 1, "C001", CallAction::Start).expect("start");
    });
    act("09:22", &|st, w| {
        st.call_action(w, 1, "C001", CallAction::Finish).expect("finish");
    });
    act("09:25", &|st, w| {
        st.call_next(w, 1).expect("call");
    });
    act("09:33", &|st, w| {
        st.call_action(w, 1, "C002", CallAction::Finish).expect("finish");
    });
    act("09:40", &|st, w| {
        st.call_next(w, 1).expect("call");
        st.call_action(w, 1, "C003", CallAction::NoShow).expect("no-show");
    });
    let st = t.station_at(&at("10:00"));
    st.rate(&numbers[0].token, 5, None, None, kiosk::domain::rating::Channel::Qr).expect("rate");
    st.rate(&numbers[1].token, 2, Some("wait"), None, kiosk::domain::rating::Channel::Qr).expect("rate");
    let mut st = t.station_at(&at("10:00"));
    let tracking = st.submit_case(&request("F03", &[])).expect("case").case.tracking;
    let w = signed(&st, "001");
    st.advance_case(&w, &tracking, CaseState::Accepted, "", None).expect("accept");
    st.advance_case(&w, &tracking, CaseState::Submitted, "报乡镇", None).expect("submit");
    let mut st = t.station_at("2026-11-04T10:00:00+08:00");
    st.advance_case(&w, &tracking, CaseState::Completed, "已备案", None).expect("complete");
}

#[test]
#[ignore = "full suite (./test.sh): needs pdftotext"]
fn csv_and_pdf_carry_the_numbers() {
    let t = TempStation::new();
    seed(&t);
    let now = "2026-11-30T10:00:00+08:00";
    let csv = t.dir.path().join("r.csv");
    let o = t.kiosk(
        now,
        &[
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "csv",
            "--out",
            csv.to_str().expect("utf8"),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&csv).expect("csv");
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a byte-order mark, so Excel reads UTF-8");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf8");
    assert!(text.contains("\r\n"), "CRLF lines");
    // issued 4, called 3, served 2, no-show 1 (33.3 %); waits 10/20/30 → median 20, P90 30;
    // services 12 and 8 → median (nearest rank) 8, mean 10.
    assert!(text.contains("全站,全部,4,3,2,1,33.3%,0,0,20.0,30.0,8.0,10.0"), "{text}");
    assert!(text.contains("类别,C 民政,4,3,2,1,33.3%,0,0,20.0,30.0,8.0,10.0"), "{text}");
    assert!(text.contains("窗口,1号窗口,3,3,2,1,33.3%,0,0,20.0,30.0,8.0,10.0"), "{text}");
    assert!(text.contains("工作人员,001 张三丰,3,3,2,1,"), "{text}");
    assert!(text.contains("合计,1,1,1,100.0%"), "one case, completed on time: {text}");
    assert!(text.contains("次数,1,0,0,1,0,2,50.0%"), "ratings 5 and 2: {text}");
    assert!(text.contains("001 张三丰,1,2,50.0%"), "{text}");

    let pdf = t.dir.path().join("r.pdf");
    let o = t.kiosk(
        now,
        &[
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "pdf",
            "--out",
            pdf.to_str().expect("utf8"),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    crate::util::pdf_picture(&pdf, "report-pdf");
    let text: String = pdf_text(&pdf).chars().filter(|c| !c.is_whitespace()).collect();
    for needle in [
        "取号4人次",
        "办结2",
        "过号1（过号率33.3%）",
        "等候时间中位数20.0分钟",
        "按时办结率100.0%",
        "好差评2次，满意率50.0%",
        "每小时取号人次",
    ] {
        assert!(text.contains(needle), "{needle} missing from the PDF:\n{text}");
    }
    // A backwards range is refused in plain words, and nothing is written.
    let bad = t.dir.path().join("bad.csv");
    let o = t.kiosk(
        now,
        &[
            "report",
            "--from",
            "2026-11-30",
            "--to",
            "2026-11-01",
            "--format",
            "csv",
            "--out",
            bad.to_str().expect("utf8"),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("开始日期 2026-11-30 晚于结束日期 2026-11-01"), "{}", stderr(&o));
    assert!(!bad.exists());
}

#[test]
#[ignore = "full suite (./test.sh): needs chromium and chromedriver"]
fn the_report_page_shows_the_same_numbers_to_the_station_head_only() {
    let t = TempStation::new();
    seed(&t);
    let now = "2026-11-30T10:00:00+08:00";
    let srv = crate::util::Serve::start(&t, Some(now));
    let b = crate::webdriver::Browser::start(1366, 900);
    b.goto(&srv.url("/desk"));
    b.find("input[name=staff]").send_keys("003");
    b.find("input[name=pin]").send_keys(crate::cases::PIN);
    b.find("main.login button[type=submit]").click();
    b.wait_for_text("h1", "请选择您所在的窗口", std::time::Duration::from_secs(10));
    b.goto(&srv.url("/desk/admin/reports?from=2026-11-01&to=2026-11-30"));
    b.wait_for_text("h1", "报表", std::time::Duration::from_secs(5));
    let text = b.find("main").text();
    for needle in ["取号 4 人次", "过号率 33.3%", "等候中位数 20.0 分钟", "满意率 50.0%", "按时率 100.0%"]
    {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    assert_eq!(b.find_all("figure.chart svg").len(), 3, "three charts");
    if let Some(dir) = std::env::var_os("KIOSK_SCREENSHOTS") {
        b.screenshot(&std::path::PathBuf::from(dir).join("web-report.png"));
    }
    let csv = b.execute(
        "return fetch('/desk/admin/reports/file?from=2026-11-01&to=2026-11-30&format=csv').then(r => r.text());",
        vec![],
    );
    assert!(csv.as_str().unwrap_or("").contains("全站,全部,4,3,2,1,33.3%"), "{csv}");
    // A backwards range: a plain message, nothing else.
    b.goto(&srv.url("/desk/admin/reports?from=2026-11-30&to=2026-11-01"));
    b.wait_for_text("main", "晚于结束日期", std::time::Duration::from_secs(5));
    // Staff who are not the station head get nothing.
    let r = crate::util::http().get(&srv.url("/desk/admin/reports")).call().expect("get");
    assert_eq!(r.status().as_u16(), 200, "no session: the sign-in page");
    b.delete_cookies();
    b.goto(&srv.url("/desk"));
    b.find("input[name=staff]").send_keys("001");
    b.find("input[name=pin]").send_keys(crate::cases::PIN);
    b.find("main.login button[type=submit]").click();
    b.wait_for_text("h1", "请选择您所在的窗口", std::time::Duration::from_secs(10));
    b.goto(&srv.url("/desk/admin/reports/file?from=2026-11-01&to=2026-11-30&format=csv"));
    b.wait_for_text("h1", "需要站长权限", std::time::Duration::from_secs(5));
}

#[test]
#[ignore = "full suite (./test.sh): needs pdftotext"]
fn wall_charts_list_matters_rules_and_the_rota_and_nothing_about_villagers() {
    let t = TempStation::new();
    let now = "2026-11-30T10:00:00+08:00";
    {
        let mut st = t.station_at(now);
        add_staff(&st);
        let admin = signed(&st, "003");
        st.admin_set_rota(&admin, 1, "001", true).expect("rota");
        st.admin_set_rota(&admin, 2, "002", true).expect("rota");
        st.admin_set_post(&admin, "C", "001", Some("002")).expect("post");
        st.submit_case(&request("C01", &[])).expect("a villager's case");
    }
    let mut texts = Vec::new();
    for part in ["matters", "rules", "rota", "rating-form"] {
        let out = t.dir.path().join(format!("{part}.pdf"));
        let o = t.kiosk(now, &["wallchart", "--out", out.to_str().expect("utf8"), "--part", part]);
        assert!(o.status.success(), "{}", stderr(&o));
        crate::util::pdf_picture(&out, &format!("wallchart-{part}"));
        texts.push(pdf_text(&out).chars().filter(|c| !c.is_whitespace()).collect::<String>());
    }
    let (matters, rules, rota, form) = (&texts[0], &texts[1], &texts[2], &texts[3]);
    // The blank 书面评价表: the station, the five levels, the reasons in force, the deadline.
    for needle in [
        "新集镇南刘庄村综合服务站",
        "政务服务“好差评”书面评价表",
        "非常满意",
        "非常不满意",
        "等候时间太长",
        "要带的材料没有一次说清楚",
        "15个工作日内跟进整改",
    ] {
        assert!(form.contains(needle), "{needle} not on the rating form:\n{form}");
    }
    for needle in ["便民服务事项清单", "城乡居民基本养老保险参保登记", "最低生活保障申请", "免费", "代办"]
    {
        assert!(matters.contains(needle), "{needle} not on the matters sheet");
    }
    for needle in ["工作制度", "首问负责制", "限时办结制", "AB岗工作制", "一次性告知制"] {
        assert!(rules.contains(needle), "{needle} not on the rules sheet");
    }
    for needle in ["本周值班和AB岗安排", "11月30日星期一张三丰", "12月01日星期二李四", "民政类事项张三丰李四"]
    {
        assert!(rota.contains(needle), "{needle} not on the rota:\n{rota}");
    }
    for text in &texts {
        for secret in [crate::cases::ID, crate::cases::PHONE, "130***", "138****"] {
            assert!(!text.contains(secret), "{secret} on a wall chart");
        }
    }
    let all = t.dir.path().join("all.pdf");
    let o = t.kiosk(now, &["wallchart", "--out", all.to_str().expect("utf8")]);
    assert!(o.status.success());
    let o = crate::util::tool("pdfinfo", &[all.to_str().expect("utf8")]);
    let pages: u32 = crate::util::stdout(&o)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|p| p.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    assert!(pages >= 3, "each sheet starts on its own page: {pages}");
}
