//! The watchlist: which certificate names the monitor reports.
//!
//! An item is an exact name (`api.example.com`) or, with a leading dot, a
//! subtree (`.example.com`: the name itself and every name below it), as in
//! certspotter's watchlist files. Matching is wildcard-aware: a certificate
//! for `*.example.com` matches the item `api.example.com`, because it would
//! be accepted for that host.

use std::collections::HashMap;

/// A parsed watchlist.
#[derive(Clone, Debug, Default)]
pub struct Watchlist {
    /// Exact names → the item as written.
    exact: HashMap<String, String>,
    /// Subtree roots (without the dot) → the item as written.
    subtrees: HashMap<String, String>,
    /// The parent of each exact item or subtree root → the item: the bases
    /// of the wildcards that cover them.
    wildcard_bases: HashMap<String, String>,
}

/// A watchlist line that isn't a domain name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("watchlist line {line}: {reason}")]
pub struct WatchlistError {
    /// 1-based line number.
    pub line: usize,
    /// Why it was refused.
    pub reason: String,
}

impl Watchlist {
    /// Parses one item per line; `#` starts a comment, blank lines are
    /// ignored.
    pub fn parse(text: &str) -> Result<Self, WatchlistError> {
        let mut list = Self::default();
        for (n, line) in text.lines().enumerate() {
            let item = line.split('#').next().unwrap_or("").trim();
            if item.is_empty() {
                continue;
            }
            list.add(item).map_err(|reason| WatchlistError {
                line: n + 1,
                reason,
            })?;
        }
        Ok(list)
    }

    /// Adds one item.
    pub fn add(&mut self, item: &str) -> Result<(), String> {
        let (subtree, name) = match item.strip_prefix('.') {
            Some(rest) => (true, rest),
            None => (false, item),
        };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty()
            || name.split('.').any(str::is_empty)
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        {
            return Err(format!(
                "{item:?} is not a domain name (or .domain for a subtree)"
            ));
        }
        if let Some(base) = parent(&name) {
            self.wildcard_bases
                .entry(base.to_owned())
                .or_insert_with(|| item.to_owned());
        }
        let map = if subtree {
            &mut self.subtrees
        } else {
            &mut self.exact
        };
        map.insert(name, item.to_owned());
        Ok(())
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.exact.len() + self.subtrees.len()
    }

    /// No items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first item that `name` (a certificate DNS name, lowercase)
    /// matches, as written in the watchlist.
    pub fn matches(&self, name: &str) -> Option<&str> {
        if let Some(base) = name.strip_prefix("*.") {
            // A wildcard stands for every name one label below its base:
            // it matches an item one label below the base (an exact name
            // or a subtree root), and any subtree above the base.
            if let Some(item) = self.wildcard_bases.get(base) {
                return Some(item);
            }
            return self.subtree_above(base);
        }
        if let Some(item) = self.exact.get(name) {
            return Some(item);
        }
        self.subtree_above(name)
    }

    /// A subtree item containing `name` (the name itself or an ancestor).
    fn subtree_above(&self, name: &str) -> Option<&str> {
        let mut rest = name;
        loop {
            if let Some(item) = self.subtrees.get(rest) {
                return Some(item);
            }
            rest = parent(rest)?;
        }
    }

    /// The first match among a certificate's names.
    pub fn matches_any<'a>(&'a self, names: &[String]) -> Option<&'a str> {
        names.iter().find_map(|n| self.matches(n))
    }
}

fn parent(name: &str) -> Option<&str> {
    name.split_once('.').map(|(_, rest)| rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &str) -> Watchlist {
        Watchlist::parse(items).unwrap()
    }

    #[test]
    fn exact_items_match_only_themselves_and_covering_wildcards() {
        let w = list("api.example.com\n");
        assert_eq!(w.matches("api.example.com"), Some("api.example.com"));
        assert_eq!(w.matches("*.example.com"), Some("api.example.com"));
        assert_eq!(w.matches("example.com"), None);
        assert_eq!(w.matches("x.api.example.com"), None);
        assert_eq!(w.matches("*.api.example.com"), None);
        assert_eq!(w.matches("*.com"), None, "wildcards cover one label only");
    }

    #[test]
    fn subtrees_match_the_root_and_everything_below() {
        let w = list("# comment\n\n.example.com  # trailing\n");
        for name in [
            "example.com",
            "a.example.com",
            "a.b.example.com",
            "*.example.com",
            "*.a.example.com",
        ] {
            assert_eq!(w.matches(name), Some(".example.com"), "{name}");
        }
        assert_eq!(
            w.matches("*.com"),
            Some(".example.com"),
            "*.com covers example.com"
        );
        assert_eq!(w.matches("badexample.com"), None);
        assert_eq!(w.matches("example.org"), None);
    }

    #[test]
    fn a_wildcard_above_a_deep_subtree_matches_it() {
        let w = list(".shop.example.com\n");
        assert_eq!(w.matches("*.example.com"), Some(".shop.example.com"));
        assert_eq!(w.matches("*.other.example.com"), None);
    }

    #[test]
    fn bad_items_name_their_line() {
        let e = Watchlist::parse("ok.example\nbad name\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(Watchlist::parse("..x").is_err());
        assert!(Watchlist::parse(".").is_err());
    }
}
