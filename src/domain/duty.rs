//! AB岗: each category (or matter) has an A and a B post holder. New cases go to A unless
//! A is away today, then to B; the two are never both away (if they are, the case still
//! goes to A and the console flags it: there must be no empty post).

use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// A category code (one letter) or a matter code (A01): the matter's own post wins.
    pub scope: String,
    pub a: String,
    pub b: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    pub assignee: String,
    /// Both A and B are away: somebody must cover today.
    pub uncovered: bool,
    /// B took the case because A is away.
    pub covered_by_b: bool,
}

/// The post responsible for a matter: its own, else its category's.
pub fn post_for<'a>(posts: &'a [Post], matter_code: &str, category: &str) -> Option<&'a Post> {
    posts.iter().find(|p| p.scope == matter_code).or_else(|| posts.iter().find(|p| p.scope == category))
}

pub fn route(post: &Post, away_today: &HashSet<String>) -> Routing {
    let a_away = away_today.contains(&post.a);
    match (&post.b, a_away) {
        (_, false) => Routing { assignee: post.a.clone(), uncovered: false, covered_by_b: false },
        (Some(b), true) if !away_today.contains(b) => {
            Routing { assignee: b.clone(), uncovered: false, covered_by_b: true }
        }
        _ => Routing { assignee: post.a.clone(), uncovered: true, covered_by_b: false },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posts() -> Vec<Post> {
        vec![
            Post { scope: "C".into(), a: "001".into(), b: Some("002".into()) },
            Post { scope: "C02".into(), a: "003".into(), b: Some("001".into()) },
        ]
    }

    #[test]
    fn matter_post_beats_category_post() {
        let p = posts();
        assert_eq!(post_for(&p, "C02", "C").map(|p| p.a.as_str()), Some("003"));
        assert_eq!(post_for(&p, "C01", "C").map(|p| p.a.as_str()), Some("001"));
        assert_eq!(post_for(&p, "A01", "A"), None);
    }

    #[test]
    fn a_away_goes_to_b() {
        let p = &posts()[0];
        let none = HashSet::new();
        assert_eq!(route(p, &none), Routing { assignee: "001".into(), uncovered: false, covered_by_b: false });
        let a_away: HashSet<String> = ["001".to_string()].into();
        assert_eq!(route(p, &a_away), Routing { assignee: "002".into(), uncovered: false, covered_by_b: true });
        let both: HashSet<String> = ["001".to_string(), "002".to_string()].into();
        assert_eq!(route(p, &both), Routing { assignee: "001".into(), uncovered: true, covered_by_b: false });
        let no_b = Post { scope: "A".into(), a: "001".into(), b: None };
        assert!(route(&no_b, &a_away).uncovered);
    }
}
