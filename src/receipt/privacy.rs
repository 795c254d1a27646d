//! 个人信息告知单: what the station holds about a person who asked at the window, masked
//! as the receipts are, for them to take away.

use super::a4::{Doc, BLACK, BLUE, GREY};
use super::{ReceiptError, ReceiptFont};
use crate::service::HeldCase;

pub fn pdf(
    font: &ReceiptFont,
    station: &str,
    phone: &str,
    retention_days: u32,
    printed: &str,
    id_masked: &str,
    held: &[HeldCase],
) -> Result<Vec<u8>, ReceiptError> {
    let mut d = Doc::new(font, &format!("{station} 个人信息告知单"), station);
    d.center(station, 18.0, BLACK);
    d.center("本站保存的您的个人信息", 18.0, BLUE);
    d.para(
        &format!("身份证号 {id_masked} 的本人申请查看。以下是本站保存的全部代办记录（号码只显示部分）。"),
        11.0,
        BLACK,
    );
    if held.is_empty() {
        d.para("本站没有保存您的个人信息。", 12.0, BLACK);
    } else {
        let rows: Vec<Vec<String>> = held
            .iter()
            .map(|h| {
                let phones = match &h.phone2 {
                    Some(p2) => format!("{}、{p2}", h.phone),
                    None => h.phone.clone(),
                };
                vec![
                    h.tracking.clone(),
                    h.matter.clone(),
                    h.state.to_string(),
                    h.created.clone(),
                    if h.name.is_empty() { "（未填）".into() } else { h.name.clone() },
                    h.id.clone(),
                    phones,
                ]
            })
            .collect();
        d.table(
            &["编号", "事项", "状态", "申请日期", "姓名", "身份证号", "电话"],
            &[0.14, 0.2, 0.1, 0.12, 0.08, 0.2, 0.16],
            &rows,
            9.0,
        );
    }
    d.heading("怎么保存、谁能看到");
    d.para(
        &format!(
            "这些信息只用于代您办理上面的事情。事情办结后保存 {retention_days} 天，然后自动隐去身份证号、电话和姓名；只有经办的工作人员能看到完整号码。已经办结的事情，您可以随时要求立即删除（隐去）；还在办理中的，办结后可以再来申请。"
        ),
        11.0,
        BLACK,
    );
    d.para(&format!("服务电话：{phone}　（{printed}打印）"), 10.0, GREY);
    d.render()
}
