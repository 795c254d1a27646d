//! Paper for 全程代办: the 代办受理回执 the villager keeps, and the 委托书 they sign so the
//! station may act for them. Personal data is masked on both (DOMAIN §6.3): staff see it
//! in full only in their own case view.

use super::layout::{Block, Receipt};
use crate::domain::case::Case;
use crate::domain::clock;
use crate::domain::identity::{mask_id, mask_name, mask_phone};

pub struct CaseReceiptData<'a> {
    pub station_name: &'a str,
    pub station_phone: &'a str,
    pub case: &'a Case,
    pub submitted_local: chrono::NaiveDateTime,
    /// The matter's promise in words ("15个工作日").
    pub promise: String,
    /// 帮办: the masked name of the staff member who helped at the kiosk.
    pub helper: Option<String>,
}

fn name_line(c: &Case) -> String {
    c.name.as_deref().map(mask_name).filter(|n| !n.is_empty()).unwrap_or_else(|| "（受理时由工作人员填写）".into())
}

pub fn acceptance(d: &CaseReceiptData<'_>, status_url: &str) -> Receipt {
    let c = d.case;
    let mut b = vec![
        Block::Center { text: d.station_name.to_string(), size: 12.0 },
        Block::Center { text: "代办受理回执".into(), size: 14.0 },
        Block::Rule,
        Block::Center { text: "代办编号".into(), size: 10.0 },
        Block::Center { text: c.tracking.clone(), size: 24.0 },
        Block::Center { text: "打电话询问时请报这个编号".into(), size: 8.0 },
        Block::Gap(4.0),
        Block::Field { label: "办理事项：".into(), value: c.matter_name.clone(), size: 10.0 },
        Block::Field {
            label: "申请时间：".into(),
            value: format!("{} {}", clock::date_cn(d.submitted_local.date()), d.submitted_local.format("%H:%M")),
            size: 10.0,
        },
    ];
    if let Some(h) = &d.helper {
        b.push(Block::Field { label: "帮办人：".into(), value: h.clone(), size: 10.0 });
    }
    let due = match c.due_on {
        Some(due) => format!("{}（{}）", clock::date_cn(due), d.promise),
        None => d.promise.clone(),
    };
    b.push(Block::Field { label: "承诺办结：".into(), value: due, size: 10.0 });
    if c.due_beyond_calendar {
        b.push(Block::Left {
            text: "（明年节假日安排公布后，日期可能调整）".into(), size: 8.0, indent: 0.0
        });
    }
    b.push(Block::Field { label: "申请人：".into(), value: name_line(c), size: 10.0 });
    b.push(Block::Field { label: "身份证号：".into(), value: mask_id(&c.id_number), size: 10.0 });
    b.push(Block::Field { label: "联系电话：".into(), value: mask_phone(&c.phone), size: 10.0 });
    if let Some(p2) = &c.phone2 {
        b.push(Block::Field { label: "备用电话：".into(), value: mask_phone(p2), size: 10.0 });
    }
    b.push(Block::Rule);
    let (got, missing): (Vec<_>, Vec<_>) = c.materials.iter().partition(|m| m.received);
    b.push(Block::Left { text: format!("已收材料（{}项）：", got.len()), size: 10.0, indent: 0.0 });
    for (i, m) in got.iter().enumerate() {
        b.push(Block::Left { text: format!("{}. {}（{}）", i + 1, m.name, m.requirement), size: 9.0, indent: 12.0 });
    }
    if missing.is_empty() {
        b.push(Block::Left { text: "材料齐全。".into(), size: 10.0, indent: 0.0 });
    } else {
        b.push(Block::Left {
            text: format!("还需补交（{}项，一次性告知）：", missing.len()), size: 10.0, indent: 0.0
        });
        for (i, m) in missing.iter().enumerate() {
            b.push(Block::Left {
                text: format!("{}. {}（{}）", i + 1, m.name, m.requirement),
                size: 9.0,
                indent: 12.0,
            });
        }
        b.push(Block::Left {
            text: "补齐后交到服务站；补交前办理时间暂停计算。".into(), size: 8.0, indent: 0.0
        });
    }
    b.push(Block::Rule);
    b.push(Block::Center { text: "手机扫码查看办理进度".into(), size: 9.0 });
    b.push(Block::Qr { data: status_url.to_string(), size_mm: 36.0 });
    b.push(Block::Center {
        text: format!("也可在服务站终端“进度查询”输入编号 {}", c.tracking), size: 8.0
    });
    b.push(Block::Rule);
    b.push(Block::Left { text: "本站全程代办，不收任何费用。".into(), size: 8.0, indent: 0.0 });
    if !d.station_phone.is_empty() {
        b.push(Block::Left { text: format!("服务电话：{}", d.station_phone), size: 8.0, indent: 0.0 });
    }
    Receipt { title: format!("代办受理回执 {}", c.tracking), blocks: b }
}

pub fn authorization(d: &CaseReceiptData<'_>) -> Receipt {
    let c = d.case;
    let b = vec![
        Block::Center { text: "委 托 书".into(), size: 16.0 },
        Block::Center { text: format!("代办编号 {}", c.tracking), size: 9.0 },
        Block::Rule,
        Block::Field { label: "委托人：".into(), value: name_line(c), size: 10.0 },
        Block::Field { label: "身份证号：".into(), value: mask_id(&c.id_number), size: 10.0 },
        Block::Field { label: "联系电话：".into(), value: mask_phone(&c.phone), size: 10.0 },
        Block::Field { label: "受托方：".into(), value: d.station_name.to_string(), size: 10.0 },
    ];
    let mut b = b;
    if let Some(h) = &d.helper {
        b.push(Block::Field { label: "帮办人：".into(), value: h.clone(), size: 10.0 });
    }
    b.extend([
        Block::Gap(6.0),
        Block::Left {
            text: format!(
                "本人自愿委托{}，代为办理“{}”的申请、材料报送、进度查询和结果领取等手续。委托期限自签字之日起，至该事项办结为止。受托方不收取任何费用，对本人提供的个人信息负有保密责任。",
                d.station_name, c.matter_name
            ),
            size: 10.0,
            indent: 0.0,
        },
        Block::Gap(18.0),
        Block::Left { text: "委托人（签字或按手印）：".into(), size: 10.0, indent: 0.0 },
        Block::Gap(30.0),
        Block::Rule,
        Block::Left { text: "日期：        年      月      日".into(), size: 10.0, indent: 0.0 },
        Block::Gap(14.0),
        Block::Left { text: "经办人（服务站工作人员）：".into(), size: 10.0, indent: 0.0 },
        Block::Gap(30.0),
        Block::Rule,
        Block::Left { text: "请签字后交给工作人员，工作人员核对身份证原件后受理。".into(), size: 8.0, indent: 0.0 },
    ]);
    Receipt { title: format!("委托书 {}", c.tracking), blocks: b }
}
