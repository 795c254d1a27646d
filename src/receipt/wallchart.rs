//! The 公示栏: printable A4 sheets for the station's wall — the list of matters, the
//! station's rules, and this week's duty rota with the AB posts. Staff names are printed
//! in full (staff are public officials); nothing about any villager is ever on them.

use super::a4::{Doc, BLACK, BLUE, GREY};
use super::{ReceiptError, ReceiptFont};

/// One matter as listed on the wall.
pub struct MatterLine {
    pub code: String,
    pub name: String,
    pub how: String,
    pub promise: String,
    pub department: String,
    pub fee: String,
}

pub struct WallData<'a> {
    pub station: &'a str,
    pub phone: &'a str,
    pub hours: &'a str,
    pub printed: &'a str,
    pub catalog_version: i64,
    /// Category name and its matters, in catalogue order.
    pub matters: Vec<(String, Vec<MatterLine>)>,
    pub rules: Vec<(String, String)>,
    /// This week's days: (date and weekday, staff on duty by full name).
    pub week: Vec<(String, Vec<String>)>,
    /// AB posts: (scope in words, A, B).
    pub posts: Vec<(String, String, String)>,
    /// The 差评 reasons in force (labels, in order) and the list's version (0: shipped).
    pub reasons: Vec<String>,
    pub reasons_version: i64,
    /// Working days to put a 差评 right.
    pub followup_days: u32,
}

/// Which sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Matters,
    Rules,
    Rota,
    /// 书面评价表: the blank paper rating form (not printed with the others by default).
    RatingForm,
}

impl Part {
    /// The wall's three sheets (the rating form is asked for by name).
    pub const ALL: [Part; 3] = [Part::Matters, Part::Rules, Part::Rota];

    pub fn from_key(k: &str) -> Option<Part> {
        match k {
            "matters" => Some(Part::Matters),
            "rules" => Some(Part::Rules),
            "rota" => Some(Part::Rota),
            "rating-form" => Some(Part::RatingForm),
            _ => None,
        }
    }
}

fn matters(d: &mut Doc, w: &WallData) {
    d.center(w.station, 20.0, BLACK);
    d.center("便民服务事项清单", 18.0, BLUE);
    d.para(
        &format!("以下事项可以在本站办理或由本站全程代办，办事不收费。办公时间：{}；服务电话：{}。", w.hours, w.phone),
        10.0,
        BLACK,
    );
    for (category, list) in &w.matters {
        d.heading(category);
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|m| {
                vec![
                    m.code.clone(),
                    m.name.clone(),
                    m.how.clone(),
                    m.promise.clone(),
                    m.department.clone(),
                    m.fee.clone(),
                ]
            })
            .collect();
        d.table(
            &["编号", "事项", "怎么办", "承诺时限", "主管部门", "收费"],
            &[0.07, 0.37, 0.11, 0.12, 0.25, 0.08],
            &rows,
            9.0,
        );
    }
    d.para(&format!("（事项清单第{}版，{}打印）", w.catalog_version, w.printed), 8.0, GREY);
}

fn rules(d: &mut Doc, w: &WallData) {
    d.center(w.station, 20.0, BLACK);
    d.center("工作制度", 18.0, BLUE);
    for (i, (title, text)) in w.rules.iter().enumerate() {
        d.heading(&format!(
            "{}、{title}",
            ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"].get(i).unwrap_or(&"")
        ));
        for para in text.split("\n\n") {
            d.para(para.trim(), 11.5, BLACK);
        }
    }
    d.gap(12.0);
    d.para(&format!("监督电话：{}", w.phone), 11.0, BLACK);
}

fn rota(d: &mut Doc, w: &WallData) {
    d.center(w.station, 20.0, BLACK);
    d.center("本周值班和AB岗安排", 18.0, BLUE);
    d.heading("值班安排（村两委干部轮流坐班）");
    let rows: Vec<Vec<String>> = w
        .week
        .iter()
        .map(|(day, names)| vec![day.clone(), if names.is_empty() { "—".into() } else { names.join("、") }])
        .collect();
    d.table(&["日期", "值班人员"], &[0.3, 0.7], &rows, 11.0);
    d.heading("AB岗（A岗不在时由B岗顶岗）");
    let rows: Vec<Vec<String>> =
        w.posts.iter().map(|(scope, a, b)| vec![scope.clone(), a.clone(), b.clone()]).collect();
    if rows.is_empty() {
        d.para("（尚未设置）", 11.0, GREY);
    } else {
        d.table(&["岗位", "A岗", "B岗"], &[0.4, 0.3, 0.3], &rows, 11.0);
    }
    d.para(&format!("办公时间：{}　服务电话：{}　（{}打印）", w.hours, w.phone, w.printed), 10.0, BLACK);
}

/// 书面评价表 (冀政办字〔2020〕72号: village points without a rating device provide a paper
/// form): the station, five levels and the 差评 reasons in force to tick, room for words.
/// Nothing is pre-ticked.
fn rating_form(d: &mut Doc, w: &WallData) {
    d.center(w.station, 18.0, BLACK);
    d.center("政务服务“好差评”书面评价表", 18.0, BLUE);
    d.para(
        "请在括号里打“√”。评价自愿，工作人员不得干预或代填；您的评价只用于改进服务，不会公开您的个人信息。",
        10.5,
        BLACK,
    );
    let blank = |label: &str| vec![label.to_string(), String::new()];
    d.table(
        &["项目", "请填写"],
        &[0.3, 0.7],
        &[blank("号票号码或代办编号"), blank("办理的事情"), blank("办理日期"), blank("窗口或工作人员")],
        12.5,
    );
    d.heading("一、您对这次服务满意吗？（只选一项）");
    let levels: Vec<Vec<String>> = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
        .iter()
        .map(|l| vec!["（　　）".to_string(), l.to_string()])
        .collect();
    d.table(&["打“√”", "满意度"], &[0.14, 0.86], &levels, 12.5);
    d.heading("二、选了“不满意”或“非常不满意”，请勾选原因（可多选）");
    let reasons: Vec<Vec<String>> = w.reasons.iter().map(|r| vec!["（　　）".to_string(), r.clone()]).collect();
    d.table(&["打“√”", "原因"], &[0.14, 0.86], &reasons, 12.5);
    d.heading("三、您的意见和建议（可不填）");
    let lines: Vec<Vec<String>> = (0..3).map(|_| vec![" ".to_string()]).collect();
    d.table(&[""], &[1.0], &lines, 16.0);
    d.para(
        &format!(
            "填好后交给窗口工作人员录入，或投入意见箱。不满意、非常不满意的评价，服务站在{}个工作日内跟进整改。服务电话：{}",
            w.followup_days, w.phone
        ),
        10.0,
        BLACK,
    );
    let list = if w.reasons_version == 0 {
        "差评原因为随软件提供的清单".to_string()
    } else {
        format!("差评原因清单为镇中心发布的第{}版", w.reasons_version)
    };
    d.para(&format!("（{list}，{}打印）", w.printed), 8.0, GREY);
}

/// The sheets asked for (all three when `parts` is empty), each starting on a new page.
pub fn pdf(font: &ReceiptFont, w: &WallData, parts: &[Part]) -> Result<Vec<u8>, ReceiptError> {
    let parts = if parts.is_empty() { &Part::ALL[..] } else { parts };
    let mut d = Doc::new(font, &format!("{} 公示栏", w.station), w.station);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            d.new_page();
        }
        match p {
            Part::Matters => matters(&mut d, w),
            Part::Rules => rules(&mut d, w),
            Part::Rota => rota(&mut d, w),
            Part::RatingForm => rating_form(&mut d, w),
        }
    }
    d.render()
}
