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
}

/// Which sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Matters,
    Rules,
    Rota,
}

impl Part {
    pub const ALL: [Part; 3] = [Part::Matters, Part::Rules, Part::Rota];

    pub fn from_key(k: &str) -> Option<Part> {
        match k {
            "matters" => Some(Part::Matters),
            "rules" => Some(Part::Rules),
            "rota" => Some(Part::Rota),
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
        }
    }
    d.render()
}
