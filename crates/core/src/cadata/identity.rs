//! What a pinned key is: one model every rule, simulation and export asks.
//!
//! A key the CA dataset knows is what the dataset says, whatever the policy
//! calls it: its level, its validity, the roots it chains to and the
//! operator that runs it today. A policy's `level`, `label` and `source` only
//! fill in for keys the dataset doesn't know (a leaf, a private CA, a
//! partner's key). Labels are for people; decisions come from keys.

use std::borrow::Cow;

use rustc_hash::FxHashSet;

use super::{Ca, CaDataset, CaKey, DistrustDataset, DistrustEvent};
use crate::cert::Level;
use crate::pin::SpkiPin;

/// What a policy says about a pin (all optional).
#[derive(Clone, Copy, Debug, Default)]
pub struct Stated<'a> {
    /// The level it claims.
    pub level: Option<Level>,
    /// Its label.
    pub label: Option<&'a str>,
    /// Its source (`ca:DigiCert`, `private-ca:…`, `partner:…`, a host, a file).
    pub source: Option<&'a str>,
}

/// What pinwarden knows of one key.
#[derive(Clone, Debug)]
pub struct KeyFacts<'a> {
    /// The key.
    pub pin: SpkiPin,
    /// The dataset's entry, when the key is a known public CA key.
    pub known: Option<(&'a Ca, &'a CaKey)>,
    /// The operator that runs it, by key when known, else by the stated
    /// `ca:` source (resolved through the dataset's names and aliases).
    pub operator: Option<Cow<'a, str>>,
    /// Its level, by key when known, else as stated.
    pub level: Option<Level>,
    /// A name for messages: the certificate's when known, else the label.
    pub label: Option<&'a str>,
    /// When its certificate expires, when known.
    pub not_after: Option<time::Date>,
    /// The distrust that covers it, when one does.
    pub distrust: Option<&'a DistrustEvent>,
    /// Whether the policy marks it a key of its own or a partner's
    /// (`private-ca:`, `partner:`), untouched by public-CA events.
    pub private: bool,
}

impl KeyFacts<'_> {
    /// Its name for messages: the label, else the pin.
    pub fn name(&self) -> String {
        self.label
            .map_or_else(|| self.pin.to_string(), ToOwned::to_owned)
    }

    /// Whether it is a CA's key (root or intermediate), not a leaf's.
    pub fn is_ca(&self) -> bool {
        matches!(self.level, Some(Level::Root | Level::Intermediate))
    }
}

/// The CA dataset and the distrust dataset, asked together.
#[derive(Clone, Copy, Debug)]
pub struct KeyModel<'a> {
    /// Public CAs by key.
    pub cas: &'a CaDataset,
    /// Distrusted roots by key.
    pub distrust: &'a DistrustDataset,
}

impl KeyModel<'static> {
    /// The datasets compiled into pinwarden.
    pub fn builtin() -> Self {
        Self {
            cas: CaDataset::builtin(),
            distrust: DistrustDataset::builtin(),
        }
    }
}

impl<'a> KeyModel<'a> {
    /// What `pin` is, given what the policy states about it.
    pub fn identify(&self, pin: &SpkiPin, stated: Stated<'a>) -> KeyFacts<'a> {
        let known = self.cas.key(pin);
        let source = stated.source.map(str::trim);
        let public = known.is_some() || self.distrust.key(pin).is_some();
        let private = !public
            && source.is_some_and(|s| s.starts_with("private-ca:") || s.starts_with("partner:"));
        let operator = match known {
            Some((ca, _)) => Some(Cow::Borrowed(ca.name.as_str())),
            None => match self.distrust.key(pin) {
                Some((event, _)) => Some(Cow::Borrowed(event.name.as_str())),
                None => source.and_then(|s| self.operator_named(s)),
            },
        };
        let (level, label, not_after) = match (known, self.distrust.key(pin)) {
            (Some((_, key)), _) => (Some(key.level), Some(key.label.as_str()), key.not_after),
            (None, Some((_, key))) => (Some(Level::Root), Some(key.label.as_str()), key.not_after),
            (None, None) => (stated.level, stated.label, None),
        };
        KeyFacts {
            pin: *pin,
            known,
            operator,
            level,
            label,
            not_after,
            distrust: self.distrust_of(pin),
            private,
        }
    }

    /// The operator a `ca:NAME` source names: the dataset's name for it
    /// when it knows the name or an alias, else the name as written.
    fn operator_named(&self, source: &'a str) -> Option<Cow<'a, str>> {
        let name = source.strip_prefix("ca:")?.trim();
        if name.is_empty() {
            return None;
        }
        Some(match self.cas.by_name(name) {
            Some(ca) => Cow::Borrowed(ca.name.as_str()),
            None => Cow::Borrowed(name),
        })
    }

    /// Every key above `pin` in the dataset: its issuers, theirs, and so on
    /// (cross-signs included), without `pin` itself.
    pub fn ancestors(&self, pin: &SpkiPin) -> Vec<SpkiPin> {
        let mut seen = FxHashSet::default();
        let mut out = Vec::new();
        let mut todo = vec![*pin];
        while let Some(next) = todo.pop() {
            let Some((_, key)) = self.cas.key(&next) else {
                continue;
            };
            for issuer in &key.issued_by {
                if issuer != pin && seen.insert(*issuer) {
                    out.push(*issuer);
                    todo.push(*issuer);
                }
            }
        }
        out
    }

    /// The roots `pin` chains to in the dataset (itself when it is one):
    /// self-signed roots and the distrusted roots that cross-signed it.
    pub fn roots_of(&self, pin: &SpkiPin) -> Vec<SpkiPin> {
        std::iter::once(*pin)
            .chain(self.ancestors(pin))
            .filter(|p| {
                self.distrust.key(p).is_some()
                    || self.cas.key(p).is_some_and(|(_, k)| k.level == Level::Root)
            })
            .collect()
    }

    /// Whether `pin` is `root` or a key under it.
    pub fn under(&self, pin: &SpkiPin, root: &SpkiPin) -> bool {
        pin == root || self.ancestors(pin).contains(root)
    }

    /// The distrust covering `pin`: its own, or, for a CA key, the one that
    /// covers every root it chains to (an Entrust intermediate is distrusted
    /// with Entrust's roots; R3, cross-signed by the expired DST Root CA X3
    /// but issued by ISRG Root X1 too, is not).
    pub fn distrust_of(&self, pin: &SpkiPin) -> Option<&'a DistrustEvent> {
        if let Some((event, _)) = self.distrust.key(pin) {
            return Some(event);
        }
        // A root of its own stands on its own: ISRG Root X1 is not distrusted
        // with the DST Root CA X3 that once cross-signed it.
        if self.cas.key(pin)?.1.level == Level::Root {
            return None;
        }
        let roots: Vec<SpkiPin> = self
            .roots_of(pin)
            .into_iter()
            .filter(|r| r != pin)
            .collect();
        let first = self.distrust.key(roots.first()?)?.0;
        roots
            .iter()
            .all(|r| self.distrust.key(r).is_some())
            .then_some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(s: &str) -> SpkiPin {
        s.parse().unwrap()
    }

    // Pins computed with openssl from the certificates under data/certs/
    // (see data/certs/SOURCES.md), not by pinwarden.
    const X1: &str = "sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=";
    const X2: &str = "sha256/diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI=";

    #[test]
    fn a_known_key_is_what_the_dataset_says_whatever_the_policy_states() {
        let model = KeyModel::builtin();
        let lying = Stated {
            level: Some(Level::Leaf),
            label: Some("my leaf"),
            source: Some("ca:DigiCert"),
        };
        let x1 = model.identify(&pin(X1), lying);
        assert_eq!(x1.operator.as_deref(), Some("Let's Encrypt"));
        assert_eq!(x1.level, Some(Level::Root));
        assert_eq!(x1.label, Some("ISRG Root X1"));
        let bare = model.identify(&pin(X2), Stated::default());
        assert_eq!(bare.operator.as_deref(), Some("Let's Encrypt"));
    }

    #[test]
    fn an_unknown_key_is_what_the_policy_states() {
        let model = KeyModel::builtin();
        let other = SpkiPin::from_spki_der(b"someone's key");
        let facts = model.identify(
            &other,
            Stated {
                level: Some(Level::Intermediate),
                label: None,
                source: Some("ca:ISRG"),
            },
        );
        assert_eq!(facts.operator.as_deref(), Some("Let's Encrypt"));
        assert_eq!(facts.level, Some(Level::Intermediate));
        let private = model.identify(
            &other,
            Stated {
                source: Some("private-ca:devices"),
                ..Stated::default()
            },
        );
        assert!(private.private && private.operator.is_none());
    }
}
