//! Receipts: the PDF holds the number, matter and materials as real (subset) text, and
//! its QR code, rendered as a thermal printer would, decodes to the status URL.

use crate::util::{decode_qr, pdf_text, stdout, tool, TempStation};
use kiosk::service::Target;

#[test]
#[ignore = "full suite (./test.sh): needs pdftotext, pdftoppm and zbarimg"]
fn receipt_text_and_qr_decode() {
    let t = TempStation::new();
    let mut st = t.station_at("2026-11-28T09:30:00+08:00");
    st.take_ticket(&Target::Matter("A01".into()), false).expect("first");
    let issued = st.take_ticket(&Target::Matter("D01".into()), true).expect("ticket");
    let pdf = issued.receipt.clone().expect("receipt written");
    assert!(pdf.starts_with(t.data_dir().join("spool")), "receipt lives in the spool: {}", pdf.display());

    let text = pdf_text(&pdf);
    for needle in [
        "D001",
        "残疾人证新办",
        "居民身份证",
        "户口簿",
        "2寸白底",
        "前面还有",
        "0 人",
        "优先办理",
        "新集镇南刘庄村综合服务站",
        "一次性告知",
    ] {
        assert!(text.contains(needle), "receipt text lacks {needle:?}:\n{text}");
    }
    let matter = st.cfg.catalog.matter("D01").expect("D01");
    for m in &matter.materials {
        assert!(
            text.replace(char::is_whitespace, "").contains(&m.name.replace(char::is_whitespace, "")),
            "material {} missing",
            m.name
        );
    }

    let scratch = tempfile::tempdir().expect("tmp");
    let codes = decode_qr(&pdf, scratch.path());
    let url = format!("http://192.168.1.10:8080/t/{}", issued.ticket.token);
    assert_eq!(codes, vec![url.clone()], "QR must decode to the status URL");
    assert_eq!(issued.status_url, url);
    assert!(
        issued.ticket.token.len() >= 20
            && issued.ticket.token.chars().all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c))
    );

    // Chinese is embedded as a subset of the CJK font, so the PDF prints anywhere.
    let fonts = stdout(&tool("pdffonts", &[pdf.to_str().expect("utf8")]));
    let line = fonts.lines().nth(2).unwrap_or_default().to_string();
    assert!(line.contains("yes yes"), "font must be embedded and subset:\n{fonts}");
    let size = std::fs::metadata(&pdf).expect("pdf").len();
    assert!(size < 200_000, "a subset receipt is small, got {size} bytes");
}

#[test]
fn tokens_are_unguessable_and_distinct() {
    let t = TempStation::new();
    let mut st = t.station_at("2026-11-28T09:30:00+08:00");
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let i = st.take_ticket(&Target::Matter("B01".into()), false).expect("ticket");
        // 16 random bytes in base32: 26 characters, 128 bits.
        assert_eq!(i.ticket.token.len(), 26);
        assert!(seen.insert(i.ticket.token));
    }
}

#[test]
fn missing_font_keeps_the_ticket_and_says_why() {
    let toml = kiosk::config::SHIPPED_STATION
        .replace("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/nonexistent/font.ttc");
    let t = TempStation::with_station_toml(&toml);
    let mut st = t.station_at("2026-11-28T09:30:00+08:00");
    let issued = st.take_ticket(&Target::Matter("C02".into()), false).expect("ticket still issued");
    assert_eq!(issued.ticket.number, "C001");
    assert!(issued.receipt.is_none());
    let why = issued.receipt_error.expect("reason");
    assert!(why.contains("/nonexistent/font.ttc") && why.contains("font-path"), "{why}");
    let jobs = st.unprinted_jobs().expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, "failed");
}

#[test]
#[ignore = "full suite (./test.sh): needs pdftotext"]
fn printed_pages_keep_their_words_in_their_columns() {
    use kiosk::receipt::layout::{wrap, wrap_within};
    let t = TempStation::new();
    let st = t.station_at("2026-11-27T10:00:00+08:00");
    let font = st.font().expect("the receipt font");
    // A table cell never passes its column (issue 13: 恢复（解封）'s bracket ran into the
    // next column of the wall chart), for every matter's name and department at the wall
    // chart's widths, down to narrow columns.
    for m in &st.cfg.catalog.matters {
        for text in [&m.name, &m.department] {
            for width in [40.0_f32, 80.0, 120.0, 180.0] {
                for line in wrap_within(&font, text, 9.0, width) {
                    let w = font.width_pt(&line, 9.0);
                    assert!(
                        w <= width + 0.01 || line.chars().count() == 1,
                        "{line:?} is {w} pt in a {width} pt column"
                    );
                    assert!(!line.starts_with(['）', '，', '、', '。']), "{line:?} starts with closing punctuation");
                }
            }
        }
    }
    // A short bracketed group stays whole: 「（15个工作日）」 is never split across lines.
    for width in [80.0_f32, 100.0, 140.0, 180.0] {
        let lines = wrap(&font, "2026年12月18日 星期五（15个工作日）", 10.0, width);
        assert!(lines.iter().any(|l| l.contains("（15个工作日）")), "{width}: {lines:?}");
    }
    let o = t.kiosk(
        "2026-11-27T10:00:00+08:00",
        &["request", "submit", "--matter", "C05", "--phone", "13812345678", "--id", "130110194503150138", "--json"],
    );
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    let pdf = t.data_dir().join(v["receipt"].as_str().expect("receipt"));
    let pdf = if pdf.exists() { pdf } else { std::path::PathBuf::from(v["receipt"].as_str().expect("receipt")) };
    let text = pdf_text(&pdf);
    assert!(text.contains("（5个工作日）"), "the promise is on one line:\n{text}");
}
