//! What the station tells a villager before a 代办 request takes any personal data (PIPL
//! arts. 17 and 30: what is collected, why, how long it is kept), and what it may say
//! about a person who asks what it keeps. Versioned: the case records the version the
//! villager acknowledged.

/// The version of [`notice`]'s words; raise it whenever they change.
pub const NOTICE_VERSION: u32 = 1;

/// The notice's lines: (heading, words); `{}` in the words is the days a closed case's
/// personal data is kept (`[privacy] retention-days`).
pub const NOTICE: [(&str, &str); 4] = [
    (tr_later!("收集什么"), tr_later!("您的姓名、身份证号和联系电话（可以再留一个家人或村干部的电话）。")),
    (tr_later!("为什么"), tr_later!("只用于代您办理这件事：填写申请、交给镇里或县里的部门、办好后通知您。")),
    (tr_later!("保存多久"), tr_later!("事情办结后保存 {} 天，然后自动隐去身份证号、电话和姓名。")),
    (
        tr_later!("谁能看到"),
        tr_later!("只有经办的工作人员；屏幕、回执和查询页面上都只显示部分号码。您可以随时到窗口查看或要求删除。"),
    ),
];

/// The notice in one paragraph, in Chinese (for the record and the tests).
pub fn notice_text(retention_days: u32) -> String {
    NOTICE
        .iter()
        .map(|(h, w)| format!("{h}：{}", w.replace("{}", &retention_days.to_string())))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_says_what_why_and_how_long() {
        let t = notice_text(180);
        for needle in ["身份证号", "联系电话", "只用于代您办理", "保存 180 天", "要求删除"] {
            assert!(t.contains(needle), "{needle}: {t}");
        }
    }
}
