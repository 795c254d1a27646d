//! What the kiosk remembers about the villager in front of it, as plain Rust: where they
//! are and how they got there (返回), the page of a list, the search text, the chosen
//! matter, the 申请代办 answers typed so far and the 进度查询 digits. The page adapters only
//! wire Slint's callbacks to these methods and copy the result to the screen, so all of it
//! is unit-tested without a Slint backend. Everything here is personal or may be: it is
//! dropped by [`Session::forget`] when the villager finishes or walks away.

use super::Page;
use crate::domain::case::TRACKING_DIGITS;
use crate::domain::identity;
use crate::service::Target;
use chrono::NaiveDate;

/// The longest name the on-screen keyboard takes, in characters.
pub const MAX_NAME: usize = 10;

#[derive(Debug, Clone, Default)]
pub struct Session {
    /// The page on screen and its argument (a category or matter code).
    pub current: (Page, String),
    /// Where 返回 goes, most recent last.
    pub history: Vec<(Page, String)>,
    pub matters_page: usize,
    pub query: String,
    pub search_page: usize,
    /// What a ticket would be taken for (a matter, or a whole category).
    pub target: Option<Target>,
    pub idle_secs: u32,
    pub case: CaseDraft,
    pub lookup: LookupDraft,
}

impl Session {
    /// Goes forward to `page`, remembering where we were for 返回 (never the ticket page,
    /// and not the same page twice); a list or the search starts from its beginning.
    pub fn go(&mut self, page: Page, arg: &str) {
        let here = self.current.clone();
        if here.0 != Page::Ticket && here != (page, arg.to_string()) {
            self.history.push(here);
        }
        match page {
            Page::Matters => self.matters_page = 0,
            Page::Search => {
                self.query.clear();
                self.search_page = 0;
            }
            Page::Lookup => self.lookup = LookupDraft::default(),
            _ => {}
        }
    }

    /// The page now on screen.
    pub fn arrive(&mut self, page: Page, arg: &str) {
        self.current = (page, arg.to_string());
    }

    /// Where 返回 leads (home when there is nowhere left to go back to).
    pub fn back(&mut self) -> (Page, String) {
        self.history.pop().unwrap_or((Page::Home, String::new()))
    }

    /// 首页: the way back is forgotten and so is anything personal typed so far (back on
    /// home the idle timer no longer runs, so nothing else would clear it).
    pub fn home(&mut self) {
        self.history.clear();
        self.case = CaseDraft::default();
        self.lookup = LookupDraft::default();
    }

    /// Forgets the villager entirely (完成, or idle).
    pub fn forget(&mut self) {
        *self = Session::default();
    }

    /// A ticket was taken or a request submitted: 返回 would lead back into doing it again,
    /// so the way back starts over from home.
    pub fn no_way_back(&mut self) {
        self.history.clear();
    }

    /// Starts a 代办 request for `matter` with `materials` to tick.
    pub fn start_case(&mut self, matter: &str, materials: usize) {
        self.case = CaseDraft { matter: matter.to_string(), brought: vec![false; materials], ..Default::default() };
    }
}

/// The 申请代办 answers, one question per screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseDraft {
    pub matter: String,
    pub brought: Vec<bool>,
    pub phone: String,
    pub phone2: String,
    /// The keypad types into the second phone (a family member's or a village cadre's).
    pub second: bool,
    pub id: String,
    pub name: String,
    /// Pinyin typed and not yet turned into a character.
    pub letters: String,
    /// A 修改 from the confirmation page: 下一步 goes straight back there.
    pub back_to_confirm: bool,
    /// When the villager pressed 下一步 under the privacy notice (before anything personal).
    pub noticed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// A card was read in this session: it is not read again until it was lifted.
    pub card_read: bool,
}

impl CaseDraft {
    pub fn toggle_material(&mut self, i: usize) {
        if let Some(b) = self.brought.get_mut(i) {
            *b = !*b;
        }
    }

    /// A key of the on-screen keypad or keyboard, on `page`.
    pub fn key(&mut self, page: Page, k: &str) {
        match page {
            Page::CasePhone => {
                let f = if self.second { &mut self.phone2 } else { &mut self.phone };
                if f.chars().count() < 14 {
                    f.push_str(k);
                }
            }
            Page::CaseId if self.id.chars().count() < 18 => self.id.push_str(k),
            Page::CaseName if self.letters.len() < 6 && self.name.chars().count() < MAX_NAME => {
                self.letters.push_str(&k.to_lowercase());
            }
            _ => {}
        }
    }

    /// 删除 on `page`: on the name page the pinyin being typed goes first, then the name.
    pub fn backspace(&mut self, page: Page) {
        match page {
            Page::CasePhone if self.second => {
                self.phone2.pop();
            }
            Page::CasePhone => {
                self.phone.pop();
            }
            Page::CaseId => {
                self.id.pop();
            }
            Page::CaseName => {
                let _ = self.letters.pop().or_else(|| self.name.pop());
            }
            _ => {}
        }
    }

    /// A character picked from the candidates: the pinyin typed for it is done.
    pub fn pick(&mut self, c: &str) {
        if self.name.chars().count() < MAX_NAME {
            self.name.push_str(c);
        }
        self.letters.clear();
    }

    /// 下一步 on `page`: the next page, or the sentence to show at the field. On the phone
    /// page the field in error is chosen; on the ID page a 15-digit number becomes 18.
    pub fn next(&mut self, page: Page, today: NaiveDate) -> Result<Page, String> {
        let normal = match page {
            // The privacy notice comes once, before the first personal question.
            Page::CaseMaterials if self.noticed_at.is_none() => Page::CaseNotice,
            Page::CaseMaterials | Page::CaseNotice => Page::CasePhone,
            Page::CasePhone => {
                if let Err(e) = identity::parse_phone(&self.phone) {
                    self.second = false;
                    return Err(tr!("联系电话：{}", e));
                }
                if !self.phone2.is_empty() {
                    if let Err(e) = identity::parse_phone(&self.phone2) {
                        self.second = true;
                        return Err(tr!("家人或村干部电话：{}", e));
                    }
                }
                Page::CaseId
            }
            Page::CaseId => {
                let parsed = identity::parse_id(&self.id, today).map_err(|e| e.to_string())?;
                self.id = parsed.as_str().to_string();
                Page::CaseName
            }
            Page::CaseName if !self.letters.is_empty() => {
                return Err(tr!("拼音还没有选字：请点上面的字，或按“删除”去掉拼音").into());
            }
            Page::CaseName => Page::CaseConfirm,
            other => return Ok(other),
        };
        Ok(if std::mem::take(&mut self.back_to_confirm) { Page::CaseConfirm } else { normal })
    }
}

/// The 进度查询 keypad: the tracking code's digits, then the phone's last four.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookupDraft {
    /// 0: the code's digits; 1: the phone's last four.
    pub field: i32,
    pub digits: String,
    pub last4: String,
}

impl LookupDraft {
    pub fn choose_field(&mut self, f: i32) {
        self.field = f.clamp(0, 1);
    }

    /// A digit: the code's digits first (moving on to the phone once all are in; an older
    /// seven-digit code: the villager taps the phone field), then the phone's.
    pub fn key(&mut self, k: &str) {
        if self.field == 0 {
            if self.digits.len() < TRACKING_DIGITS {
                self.digits.push_str(k);
            }
            if self.digits.len() == TRACKING_DIGITS {
                self.field = 1;
            }
        } else if self.last4.len() < 4 {
            self.last4.push_str(k);
        }
    }

    /// 删除: an empty phone field goes back to the code.
    pub fn backspace(&mut self) {
        if self.field == 0 {
            self.digits.pop();
        } else if self.last4.pop().is_none() {
            self.field = 0;
            self.digits.pop();
        }
    }

    /// The tracking code ("D" and its digits) and the last four, once both are complete:
    /// nine digits (seven on receipts made before the year was in the code) and four.
    pub fn ready(&self) -> Result<(String, String), String> {
        if !(self.digits.len() == TRACKING_DIGITS || self.digits.len() == 7) || self.last4.len() != 4 {
            return Err(tr!("请输入编号的全部{}个数字和电话后4位", TRACKING_DIGITS));
        }
        Ok((format!("D{}", self.digits), self.last4.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    #[test]
    fn back_retraces_the_way_and_never_returns_to_a_ticket() {
        let mut s = Session::default();
        s.go(Page::Categories, "");
        s.arrive(Page::Categories, "");
        s.go(Page::Matters, "C");
        s.arrive(Page::Matters, "C");
        s.matters_page = 2;
        s.go(Page::Matters, "C");
        assert_eq!(s.matters_page, 0, "arriving anew starts the list from its beginning");
        assert_eq!(s.history.len(), 2, "the same page is not remembered twice");
        s.go(Page::Matter, "C02");
        s.arrive(Page::Matter, "C02");
        assert_eq!(s.back(), (Page::Matters, "C".to_string()));
        s.arrive(Page::Ticket, "");
        s.no_way_back();
        s.go(Page::Lookup, "");
        assert_eq!(s.back(), (Page::Home, String::new()), "nothing leads back to the ticket");
    }

    #[test]
    fn home_forgets_what_was_typed_and_forget_forgets_everything() {
        let mut s = Session::default();
        s.start_case("C02", 3);
        s.case.key(Page::CasePhone, "1");
        s.lookup.key("2");
        s.go(Page::CasePhone, "C02");
        s.target = Some(Target::Matter("C02".into()));
        s.home();
        assert_eq!((s.case.clone(), s.lookup.clone()), (CaseDraft::default(), LookupDraft::default()));
        assert!(s.history.is_empty());
        s.query.push_str("dbsq");
        s.idle_secs = 40;
        s.forget();
        assert!(s.query.is_empty() && s.target.is_none() && s.idle_secs == 0);
        assert_eq!(s.current, (Page::Home, String::new()));
    }

    #[test]
    fn the_case_keypads_keep_to_their_lengths() {
        let mut d = CaseDraft::default();
        for _ in 0..20 {
            d.key(Page::CasePhone, "1");
            d.key(Page::CaseId, "2");
        }
        assert_eq!((d.phone.len(), d.id.len()), (14, 18));
        d.second = true;
        d.key(Page::CasePhone, "0");
        d.backspace(Page::CasePhone);
        assert_eq!((d.phone.len(), d.phone2.len()), (14, 0));
        for k in ["W", "A", "N", "G", "X", "Y", "Z"] {
            d.key(Page::CaseName, k);
        }
        assert_eq!(d.letters, "wangxy", "six letters of pinyin at most, lower case");
        d.pick("王");
        assert_eq!((d.name.as_str(), d.letters.as_str()), ("王", ""));
        d.key(Page::CaseName, "x");
        d.backspace(Page::CaseName);
        d.backspace(Page::CaseName);
        assert_eq!(d.name, "", "the pinyin goes first, then the name");
        d.brought = vec![false; 2];
        d.toggle_material(1);
        d.toggle_material(7);
        assert_eq!(d.brought, [false, true], "a tick outside the list changes nothing");
    }

    #[test]
    fn next_checks_each_answer_where_it_is_typed() {
        let mut d = CaseDraft { phone: "1381234".into(), ..Default::default() };
        assert_eq!(d.next(Page::CaseMaterials, today()), Ok(Page::CaseNotice));
        assert_eq!(d.next(Page::CaseNotice, today()), Ok(Page::CasePhone));
        let e = d.next(Page::CasePhone, today()).unwrap_err();
        assert!(e.starts_with("联系电话："), "{e}");
        d.phone = "13812345678".into();
        d.phone2 = "12".into();
        assert!(d.next(Page::CasePhone, today()).unwrap_err().starts_with("家人或村干部电话："));
        assert!(d.second, "the keypad moves to the field in error");
        d.phone2.clear();
        assert_eq!(d.next(Page::CasePhone, today()), Ok(Page::CaseId));
        d.id = "11010519491231002X".into();
        assert_eq!(d.next(Page::CaseId, today()), Ok(Page::CaseName));
        d.id = "110105194912310021".into();
        assert!(d.next(Page::CaseId, today()).is_err(), "a wrong check character is refused");
        d.letters = "wang".into();
        assert!(d.next(Page::CaseName, today()).unwrap_err().contains("拼音还没有选字"));
        d.letters.clear();
        assert_eq!(d.next(Page::CaseName, today()), Ok(Page::CaseConfirm));
        d.back_to_confirm = true;
        assert_eq!(d.next(Page::CaseMaterials, today()), Ok(Page::CaseConfirm), "修改 returns to the read-back");
        assert!(!d.back_to_confirm);
    }

    #[test]
    fn the_lookup_keypad_moves_from_the_code_to_the_phone_and_back() {
        let mut l = LookupDraft::default();
        for k in "2612070011234".chars() {
            l.key(&k.to_string());
        }
        assert_eq!((l.digits.as_str(), l.last4.as_str(), l.field), ("261207001", "1234", 1));
        assert_eq!(l.ready(), Ok(("D261207001".to_string(), "1234".to_string())));
        for _ in 0..5 {
            l.backspace();
        }
        assert_eq!((l.digits.as_str(), l.last4.as_str(), l.field), ("26120700", "", 0));
        assert!(l.ready().is_err());
        l.choose_field(1);
        for k in ["5", "6", "7", "8"] {
            l.key(k);
        }
        assert!(l.ready().is_err(), "eight digits are not a code");
    }
}
