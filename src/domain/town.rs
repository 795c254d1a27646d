//! The township's rules that need no store: what a station's code may be (it names the
//! station's subjects, stream and JetStream domain on the link, so it must be short, plain
//! and unambiguous).

/// A station code as written (`S01`, `nlz`): 1–12 letters and digits, starting with a
/// letter; kept in lower case. Returns the problem in words otherwise.
pub fn station_code(input: &str) -> Result<String, &'static str> {
    let code = input.trim().to_ascii_lowercase();
    if code.is_empty() || code.len() > 12 {
        return Err("站点代码要 1 到 12 个字母或数字，例如 s01");
    }
    if !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Err("站点代码只能用英文字母和数字，例如 s01");
    }
    if !code.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("站点代码要以英文字母开头，例如 s01");
    }
    if code == "town" {
        return Err("town 是镇中心自己的名字，请换一个站点代码");
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(station_code(" S01 "), Ok("s01".to_string()));
        assert_eq!(station_code("nlz"), Ok("nlz".to_string()));
        assert!(station_code("").is_err());
        assert!(station_code("1ab").is_err());
        assert!(station_code("s-01").is_err());
        assert!(station_code("s.01").is_err(), "a dot would split the subject");
        assert!(station_code("南刘庄").is_err());
        assert!(station_code("town").is_err());
        assert!(station_code("abcdefghijklm").is_err());
    }
}
