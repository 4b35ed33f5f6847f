//! Host patterns with OkHttp's semantics.
//!
//! - `api.example.com` matches that name only;
//! - `*.example.com` matches exactly one label below `example.com`;
//! - `**.example.com` matches `example.com` itself and any depth below it.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A host name pattern that a pin set applies to.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPattern {
    kind: PatternKind,
    /// Lower-case domain without the wildcard prefix and without a trailing dot.
    domain: String,
}

/// How far below its domain a pattern reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatternKind {
    /// The domain itself only.
    Exact,
    /// One label below the domain (`*.`), not the domain itself.
    OneLabel,
    /// The domain and any depth below it (`**.`).
    AnyDepth,
}

impl HostPattern {
    /// The domain under the wildcard, or the exact name.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// How far the pattern reaches.
    pub fn kind(&self) -> PatternKind {
        self.kind
    }

    /// A pattern reaching the same domain with another kind.
    pub fn with_kind(&self, kind: PatternKind) -> Self {
        Self {
            kind,
            domain: self.domain.clone(),
        }
    }

    /// How specific it is, for choosing among patterns that all match one
    /// host: a longer domain first, then exact before `*.` before `**.`.
    pub fn specificity(&self) -> (usize, u8) {
        self.specificity_as(self.kind)
    }

    /// [`Self::specificity`] as if the pattern were of `kind`.
    pub(crate) fn specificity_as(&self, kind: PatternKind) -> (usize, u8) {
        let labels = self.domain.split('.').count();
        let rank = match kind {
            PatternKind::Exact => 2,
            PatternKind::OneLabel => 1,
            PatternKind::AnyDepth => 0,
        };
        (labels, rank)
    }

    /// Whether `host` falls under this pattern (case-insensitive, trailing
    /// dot ignored; an IPv6 address in any notation, brackets or not).
    pub fn matches(&self, host: &str) -> bool {
        self.matches_as(self.kind, host)
    }

    /// [`Self::matches`] as if the pattern were of `kind` (a pin set's
    /// `include_subdomains` widens an exact name), without a copy.
    pub(crate) fn matches_as(&self, kind: PatternKind, host: &str) -> bool {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<std::net::Ipv6Addr>() {
            return kind == PatternKind::Exact && self.domain == ip.to_string();
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        match kind {
            PatternKind::Exact => host == self.domain,
            PatternKind::OneLabel => host
                .strip_suffix(&self.domain)
                .and_then(|head| head.strip_suffix('.'))
                .is_some_and(|label| !label.is_empty() && !label.contains('.')),
            PatternKind::AnyDepth => {
                host == self.domain
                    || host
                        .strip_suffix(&self.domain)
                        .is_some_and(|head| head.len() > 1 && head.ends_with('.'))
            }
        }
    }
}

impl FromStr for HostPattern {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Error> {
        let bad = |reason| Error::HostPattern {
            input: input.to_owned(),
            reason,
        };
        let s = input.trim().to_ascii_lowercase();
        let (kind, domain) = if let Some(rest) = s.strip_prefix("**.") {
            (PatternKind::AnyDepth, rest)
        } else if let Some(rest) = s.strip_prefix("*.") {
            (PatternKind::OneLabel, rest)
        } else {
            (PatternKind::Exact, s.as_str())
        };
        // An IPv6 address (`::1`, `[2001:db8::1]`): an exact pattern only,
        // kept in its canonical form so every notation matches.
        let bare = domain.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<std::net::Ipv6Addr>() {
            if kind != PatternKind::Exact {
                return Err(bad("an IP address can't take a wildcard"));
            }
            return Ok(Self {
                kind,
                domain: ip.to_string(),
            });
        }
        let domain = domain.strip_suffix('.').unwrap_or(domain);
        if domain.is_empty() {
            return Err(bad("no domain name"));
        }
        if domain.contains('*') {
            return Err(bad(
                "a wildcard may only be the whole first label: `*.example.com` or `**.example.com`",
            ));
        }
        if domain.contains("://") || domain.contains('/') {
            return Err(bad(
                "a host pattern is a name, not a URL: drop the scheme and path",
            ));
        }
        if domain.contains(':') {
            return Err(bad(
                "a host pattern has no port (an IPv6 address is written bare or in brackets)",
            ));
        }
        for label in domain.split('.') {
            if label.is_empty() {
                return Err(bad("empty label (two dots in a row?)"));
            }
            if label.len() > 63 {
                return Err(bad("a label is longer than 63 characters"));
            }
            if !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(bad(
                    "only letters, digits, '-' and '_' are allowed in a label (use the punycode form of IDNs)",
                ));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(bad("a label may not start or end with '-'"));
            }
        }
        if kind != PatternKind::Exact && !domain.contains('.') {
            return Err(bad(
                "a wildcard directly under a top-level domain matches far too much",
            ));
        }
        Ok(Self {
            kind,
            domain: domain.to_owned(),
        })
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PatternKind::Exact => f.write_str(&self.domain),
            PatternKind::OneLabel => write!(f, "*.{}", self.domain),
            PatternKind::AnyDepth => write!(f, "**.{}", self.domain),
        }
    }
}

impl fmt::Debug for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostPattern({self})")
    }
}

impl serde::Serialize for HostPattern {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for HostPattern {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> HostPattern {
        s.parse().unwrap()
    }

    #[test]
    fn okhttp_semantics() {
        let exact = p("api.example.com");
        assert!(exact.matches("api.example.com"));
        assert!(exact.matches("API.Example.com."));
        assert!(!exact.matches("x.api.example.com"));

        let one = p("*.example.com");
        assert!(one.matches("api.example.com"));
        assert!(!one.matches("example.com"));
        assert!(!one.matches("a.b.example.com"));
        assert!(!one.matches("badexample.com"));

        let any = p("**.example.com");
        assert!(any.matches("example.com"));
        assert!(any.matches("api.example.com"));
        assert!(any.matches("a.b.example.com"));
        assert!(!any.matches("badexample.com"));
        assert!(!any.matches("example.com.evil.net"));
    }

    #[test]
    fn display_round_trips_and_normalises() {
        for (input, shown) in [
            ("API.example.com.", "api.example.com"),
            ("*.Example.com", "*.example.com"),
            ("**.example.com", "**.example.com"),
        ] {
            let pat = p(input);
            assert_eq!(pat.to_string(), shown);
            assert_eq!(p(shown), pat);
        }
    }

    #[test]
    fn ipv6_addresses_are_exact_patterns_in_any_notation() {
        for written in ["::1", "[::1]", "0:0:0:0:0:0:0:1"] {
            let pattern = p(written);
            assert_eq!(pattern.to_string(), "::1", "{written}");
            assert!(
                pattern.matches("::1") && pattern.matches("[::1]"),
                "{written}"
            );
            assert!(!pattern.matches("::2"));
        }
        assert!(p("2001:DB8::1").matches("2001:db8:0:0:0:0:0:1"));
        assert!("*.::1".parse::<HostPattern>().is_err());
        assert!("api.example.com:443".parse::<HostPattern>().is_err());
    }

    #[test]
    fn bad_patterns_say_why() {
        for (input, needle) in [
            ("", "no domain"),
            ("*.", "no domain"),
            ("**.", "no domain"),
            ("api.*.example.com", "wildcard"),
            ("*foo.example.com", "wildcard"),
            ("https://example.com/", "URL"),
            ("example.com:443", "port"),
            ("a..b", "empty label"),
            ("*.com", "top-level"),
            ("exa mple.com", "letters"),
        ] {
            let err = input.parse::<HostPattern>().unwrap_err().to_string();
            assert!(err.contains(needle), "{input:?} gave {err:?}");
        }
    }
}
