//! Pin-aware judgement of a matched certificate: its chain's SPKI pins
//! against the policy's pin sets and the organisation's CAs, and its
//! issuer against the names' CAA records.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use pinwarden_core::{HostPattern, PatternKind, SpkiPin};

use crate::monitor::alert::{Finding, Verdict};

/// A pin set as the monitor needs it.
#[derive(Clone, Debug)]
pub struct PinRule {
    /// The pin set's id.
    pub id: String,
    /// Hosts it covers.
    pub hosts: Vec<HostPattern>,
    /// Its pins.
    pub pins: Vec<SpkiPin>,
    /// Applications that use it.
    pub apps: Vec<String>,
}

/// A known CA key.
#[derive(Clone, Debug)]
pub struct KnownIssuer {
    /// The CA's name.
    pub ca: String,
    /// Its CAA identifiers (`letsencrypt.org`, ...).
    pub caa: Vec<String>,
}

/// What the organisation expects, from the policy and the CA dataset.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    /// Pin sets to check matched certificates against.
    pub pinsets: Vec<PinRule>,
    /// Keys of the organisation's own CAs (roots and intermediates). Empty:
    /// no issuer expectation.
    pub expected_issuers: Vec<SpkiPin>,
    /// Names of the organisation's CAs, for messages.
    pub expected_ca_names: Vec<String>,
    /// Every key the CA dataset knows → its CA.
    pub known_issuers: HashMap<SpkiPin, KnownIssuer>,
}

/// Looks up whether CAA permits a CA for a name. The monitor asks once per
/// matched name and alert, so an implementation should cache its lookups.
pub trait CaaCheck: Send + Sync {
    /// `Ok(Some(reason))` when the records at `name` (a wildcard as
    /// `*.example.com`) don't permit a CA with the identifiers `caa`
    /// (empty: an issuer the dataset doesn't know); `Ok(None)` when they
    /// do; `Err` when the lookup failed.
    fn violation<'a>(
        &'a self,
        name: &'a str,
        caa: &'a [String],
    ) -> Pin<Box<dyn Future<Output = Result<Option<String>, String>> + Send + 'a>>;
}

/// What evaluation needs from a matched entry.
#[derive(Clone, Debug)]
pub struct Candidate<'a> {
    /// DNS names.
    pub names: &'a [String],
    /// The leaf's pin.
    pub leaf: SpkiPin,
    /// The issuing chain's pins, issuer first.
    pub chain: &'a [SpkiPin],
    /// Issuer DN, for messages.
    pub issuer_dn: &'a str,
}

impl Expectations {
    /// The CA the dataset knows for the first chain key it recognises.
    pub fn issuer_of(&self, chain: &[SpkiPin]) -> Option<&KnownIssuer> {
        chain.iter().find_map(|pin| self.known_issuers.get(pin))
    }

    /// Findings from pins and issuers (CAA is asked separately: it needs
    /// the network).
    pub fn evaluate(&self, c: &Candidate<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for rule in &self.pinsets {
            let covered: Vec<&String> = c
                .names
                .iter()
                .filter(|name| rule.hosts.iter().any(|h| covers(h, name)))
                .collect();
            if covered.is_empty() {
                continue;
            }
            let matched = std::iter::once(&c.leaf)
                .chain(c.chain)
                .any(|pin| rule.pins.contains(pin));
            if !matched {
                findings.push(Finding {
                    verdict: Verdict::WouldBreakPinset,
                    pinset: Some(rule.id.clone()),
                    apps: rule.apps.clone(),
                    detail: format!(
                        "no key in this certificate's chain is in pin set {} (covers {}); {} would reject it",
                        rule.id,
                        covered
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        if rule.apps.is_empty() {
                            "a client pinning it".to_owned()
                        } else {
                            rule.apps.join(", ")
                        }
                    ),
                });
            }
        }
        if !self.expected_issuers.is_empty()
            && !c
                .chain
                .iter()
                .any(|pin| self.expected_issuers.contains(pin))
        {
            let who = self
                .issuer_of(c.chain)
                .map_or_else(|| c.issuer_dn.to_owned(), |k| k.ca.clone());
            findings.push(Finding {
                verdict: Verdict::UnexpectedIssuer,
                pinset: None,
                apps: Vec::new(),
                detail: format!(
                    "issued by {who}, not by the organisation's CAs ({})",
                    self.expected_ca_names.join(", ")
                ),
            });
        }
        findings
    }
}

/// Whether a pin set host pattern covers a certificate name; a wildcard
/// name `*.base` stands for every host one label below `base`.
fn covers(pattern: &HostPattern, name: &str) -> bool {
    let Some(base) = name.strip_prefix("*.") else {
        return pattern.matches(name);
    };
    let domain = pattern.domain();
    let parent_is_base = domain.split_once('.').is_some_and(|(_, p)| p == base);
    match pattern.kind() {
        PatternKind::Exact => parent_is_base,
        PatternKind::OneLabel => domain == base,
        PatternKind::AnyDepth => parent_is_base || pattern.matches(base),
    }
}
