//! The queue-ticket receipt (排队凭条): number, matter, wait, materials, QR.

use super::layout::{Block, Receipt};
use crate::domain::clock;
use crate::domain::matter::Matter;
use crate::domain::ticket;

pub struct TicketReceiptData<'a> {
    pub station_name: &'a str,
    pub station_phone: &'a str,
    pub hours: &'a str,
    pub footer: &'a str,
    pub number: &'a str,
    pub priority: bool,
    /// The matter, or None for a ticket taken for a whole category.
    pub matter: Option<&'a Matter>,
    pub category_name: &'a str,
    pub issued_local: chrono::NaiveDateTime,
    pub ahead: u32,
    pub estimated_wait_min: u32,
    pub status_url: &'a str,
    pub token: &'a str,
    /// 帮办: the masked name of the staff member who helped at the kiosk.
    pub helper: Option<&'a str>,
}

pub fn build(d: &TicketReceiptData<'_>) -> Receipt {
    let mut b = vec![
        Block::Center { text: d.station_name.to_string(), size: 12.0 },
        Block::Center { text: "排队凭条".into(), size: 9.0 },
        Block::Rule,
        Block::Center { text: "您的号码".into(), size: 10.0 },
        Block::Center { text: d.number.to_string(), size: 40.0 },
    ];
    if d.priority {
        b.push(Block::Center { text: "【优先办理】".into(), size: 12.0 });
    }
    b.push(Block::Gap(4.0));
    let what = match d.matter {
        Some(m) => m.name.clone(),
        None => format!("{}类事项（到窗口咨询）", d.category_name),
    };
    b.push(Block::Field { label: "办理事项：".into(), value: what, size: 10.0 });
    let t = d.issued_local;
    b.push(Block::Field {
        label: "取号时间：".into(),
        value: format!("{} {}", clock::date_cn(t.date()), t.format("%H:%M")),
        size: 10.0,
    });
    b.push(Block::Field { label: "前面还有：".into(), value: format!("{} 人", d.ahead), size: 10.0 });
    let wait =
        if d.ahead == 0 { "马上就到您".to_string() } else { format!("约 {} 分钟", d.estimated_wait_min) };
    b.push(Block::Field { label: "预计等候：".into(), value: wait, size: 10.0 });
    if let Some(h) = d.helper {
        b.push(Block::Field { label: "帮办人：".into(), value: h.to_string(), size: 10.0 });
    }
    b.push(Block::Rule);
    match d.matter {
        Some(m) => {
            b.push(Block::Left {
                text: "请备齐以下材料（一次性告知）：".into(), size: 10.0, indent: 0.0
            });
            for (i, mat) in m.materials.iter().enumerate() {
                b.push(Block::Left { text: format!("{}. {}", i + 1, mat.name), size: 10.0, indent: 12.0 });
                let mut req = mat.requirement();
                if !mat.note.is_empty() {
                    req.push_str(&format!("；{}", mat.note));
                }
                b.push(Block::Left { text: format!("   {req}"), size: 9.0, indent: 12.0 });
            }
            b.push(Block::Field {
                label: "办理方式：".into(), value: m.mode.explanation().to_string(), size: 9.0
            });
            b.push(Block::Field { label: "承诺时限：".into(), value: m.promise_text(), size: 9.0 });
            b.push(Block::Field { label: "收费：".into(), value: m.fee.clone(), size: 9.0 });
        }
        None => {
            b.push(Block::Left {
                text: "到窗口后工作人员会告诉您要带的全部材料。".into(), size: 10.0, indent: 0.0
            });
        }
    }
    b.push(Block::Rule);
    b.push(Block::Center { text: "手机扫码查看排队进度".into(), size: 9.0 });
    b.push(Block::Qr { data: d.status_url.to_string(), size_mm: 36.0 });
    b.push(Block::Center { text: format!("凭证码 {}", ticket::short_token(d.token)), size: 10.0 });
    b.push(Block::Rule);
    if !d.footer.is_empty() {
        b.push(Block::Left { text: d.footer.to_string(), size: 8.0, indent: 0.0 });
    }
    if !d.station_phone.is_empty() {
        b.push(Block::Left { text: format!("服务电话：{}", d.station_phone), size: 8.0, indent: 0.0 });
    }
    if !d.hours.is_empty() {
        b.push(Block::Left { text: format!("办公时间：{}", d.hours), size: 8.0, indent: 0.0 });
    }
    Receipt { title: format!("{} 排队凭条 {}", d.station_name, d.number), blocks: b }
}
