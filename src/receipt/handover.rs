//! The 代办交接单: the cases a station carries to the town's 便民服务中心 on one trip, each
//! with a QR code of `STATION:TRACKING` (what the town reads with a USB scanner), and the
//! lines the one who hands over and the one who receives sign. Paper is masked like every
//! paper: the ID and phone numbers show their ends only.

use super::a4::{Doc, BLACK, BLUE, GREY};
use super::{ReceiptError, ReceiptFont};
use chrono::NaiveDate;

/// One case on the list (already masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverLine {
    pub tracking: String,
    pub matter: String,
    pub applicant: String,
    pub id_masked: String,
    pub phone_masked: String,
    /// The materials received, and those still missing, in words.
    pub materials: String,
    pub due: Option<NaiveDate>,
    pub first_responder: Option<String>,
}

pub struct HandoverData<'a> {
    pub station: &'a str,
    /// The station's code at the town (its join file), if joined.
    pub code: Option<&'a str>,
    pub day: NaiveDate,
    pub lines: &'a [HandoverLine],
    pub generated: String,
}

impl HandoverData<'_> {
    /// What a case's QR code holds.
    pub fn key(&self, l: &HandoverLine) -> String {
        match self.code {
            Some(c) => format!("{c}:{}", l.tracking),
            None => l.tracking.clone(),
        }
    }
}

/// The list as an A4 PDF.
pub fn pdf(font: &ReceiptFont, d: &HandoverData<'_>) -> Result<Vec<u8>, ReceiptError> {
    let title = format!("{} 代办交接单", d.station);
    let mut doc = Doc::new(font, &title, &format!("{} · {} · 生成于 {}", d.station, d.day, d.generated));
    doc.center(&title, 18.0, BLACK);
    doc.center(&format!("{}　报送镇便民服务中心　共 {} 件", d.day.format("%Y年%m月%d日"), d.lines.len()), 12.0, BLUE);
    doc.para("每件右边的二维码是“站点代码:代办编号”：镇中心接件时用扫码枪扫一下即登记接收。身份证号和电话只印首尾，完整信息在系统里。", 9.0, GREY);
    doc.gap(6.0);
    for (i, l) in d.lines.iter().enumerate() {
        let due = l.due.map(|d| d.to_string()).unwrap_or_else(|| "暂停计时".into());
        let lines = vec![
            (format!("{}. {}　{}", i + 1, l.tracking, l.matter), 11.0, BLACK),
            (format!("申请人 {}　身份证 {}　电话 {}", l.applicant, l.id_masked, l.phone_masked), 9.5, BLACK),
            (format!("材料：{}", l.materials), 9.0, BLACK),
            (format!("承诺办结 {due}　首问责任人 {}", l.first_responder.as_deref().unwrap_or("—")), 9.0, GREY),
        ];
        doc.qr_block(&lines, &d.key(l), 22.0)?;
    }
    if d.lines.is_empty() {
        doc.para("这一天没有报送的代办。", 11.0, GREY);
    }
    doc.gap(18.0);
    doc.para("交件人（签字）：______________　　时间：______________", 11.0, BLACK);
    doc.gap(10.0);
    doc.para("接收人（签字）：______________　　时间：______________", 11.0, BLACK);
    doc.render()
}
