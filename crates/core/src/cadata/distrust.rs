//! The dated dataset of distrusted roots (`data/distrust.toml`), by key.
//!
//! A root program's distrust is of keys, never of names: "RapidSSL" today
//! is a DigiCert brand issuing under DigiCert Global Root G2, while the
//! RapidSSL, GeoTrust and VeriSign roots Symantec ran were distrusted in
//! 2018. So an entry lists the keys it covers, computed from the roots'
//! certificates; an intermediate is covered when every root it chains to is.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::error::Error;
use crate::pin::SpkiPin;

/// What the root programs did, or will do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DistrustKind {
    /// The root's certificate expired: no chain through it validates.
    Expired,
    /// Every certificate under it is rejected from `effective` on.
    Distrusted,
    /// Certificates issued (or logged) after `effective` are rejected;
    /// older ones validate until they expire, so renewals can't come from it.
    IssuedAfter,
}

/// One distrust event and the root keys it covers.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistrustEvent {
    /// The CA or root, as the announcements name it.
    pub name: String,
    /// When it takes effect.
    #[serde(deserialize_with = "required_date")]
    pub effective: time::Date,
    /// What happens from then on.
    pub kind: DistrustKind,
    /// What happened, in a sentence, citing the announcement.
    pub event: String,
    /// The keys covered.
    pub keys: Vec<DistrustKey>,
}

/// A distrusted root key.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistrustKey {
    /// The certificate's common name.
    pub label: String,
    /// SHA-256 of its SubjectPublicKeyInfo.
    pub pin: SpkiPin,
    /// When its certificate expires.
    #[serde(default, deserialize_with = "super::date")]
    pub not_after: Option<time::Date>,
    /// The certificates it was computed from (files under `data/certs/`).
    #[serde(default)]
    pub certs: Vec<String>,
}

fn required_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<time::Date, D::Error> {
    super::date(d)?.ok_or_else(|| serde::de::Error::custom("a date is required"))
}

/// The distrust events, indexed by key.
#[derive(Clone, Debug)]
pub struct DistrustDataset {
    events: Vec<DistrustEvent>,
    by_pin: FxHashMap<[u8; 32], (usize, usize)>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    ca: Vec<DistrustEvent>,
}

impl DistrustDataset {
    /// The dataset compiled into pinwarden (`crates/core/data/distrust.toml`).
    pub fn builtin() -> &'static Self {
        static DATA: OnceLock<DistrustDataset> = OnceLock::new();
        DATA.get_or_init(|| {
            // Invariant: the compiled-in file is valid; a test parses it.
            Self::parse(
                include_str!("../../data/distrust.toml"),
                "built-in distrust.toml",
            )
            .expect("the built-in distrust dataset is valid (tested)")
        })
    }

    /// Parses a dataset's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, Error> {
        let err = |reason: String| Error::CaDataset {
            file: file.to_owned(),
            reason,
        };
        let File { ca: events } = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let mut by_pin = FxHashMap::default();
        for (i, event) in events.iter().enumerate() {
            if event.keys.is_empty() {
                return Err(err(format!("{}: no keys", event.name)));
            }
            for (k, key) in event.keys.iter().enumerate() {
                if by_pin.insert(*key.pin.as_bytes(), (i, k)).is_some() {
                    return Err(err(format!(
                        "{}: the key of {:?} is listed twice",
                        event.name, key.label
                    )));
                }
            }
        }
        Ok(Self { events, by_pin })
    }

    /// Every event, in file order.
    pub fn events(&self) -> &[DistrustEvent] {
        &self.events
    }

    /// The event covering this root key, and the key.
    pub fn key(&self, pin: &SpkiPin) -> Option<(&DistrustEvent, &DistrustKey)> {
        self.by_pin
            .get(pin.as_bytes())
            .map(|&(i, k)| (&self.events[i], &self.events[i].keys[k]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_parses_and_has_the_documented_events_by_key() {
        let data = DistrustDataset::builtin();
        // The events the issue and the framework name; each must carry keys,
        // so a bare pin (no label, no source) is recognised.
        for expected in [
            "Symantec",
            "Entrust",
            "Chunghwa Telecom",
            "NetLock",
            "DST Root CA X3",
            "TrustCor",
            "Camerfirma",
        ] {
            let event = data
                .events()
                .iter()
                .find(|e| e.name.contains(expected))
                .unwrap_or_else(|| panic!("{expected} missing"));
            assert!(!event.keys.is_empty(), "{expected}");
        }
        // DST Root CA X3 expired on 2021-09-30 (its certificate says so).
        let dst = data
            .events()
            .iter()
            .find(|e| e.name == "DST Root CA X3")
            .unwrap();
        assert_eq!(dst.kind, DistrustKind::Expired);
        assert_eq!(
            dst.keys[0].not_after,
            Some(time::macros::date!(2021 - 09 - 30))
        );
    }

    #[test]
    fn bad_files_are_named() {
        let e = DistrustDataset::parse("[[ca]]\nname = \"X\"\n", "d.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("d.toml"), "{e}");
        let no_keys = "[[ca]]\nname = \"X\"\neffective = 2020-01-01\nkind = \"distrusted\"\n\
                       event = \"e\"\nkeys = []\n";
        let e = DistrustDataset::parse(no_keys, "d.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no keys"), "{e}");
        let bad_kind = no_keys.replace("distrusted", "sad");
        let e = DistrustDataset::parse(&bad_kind, "d.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("sad") || e.contains("variant"), "{e}");
    }
}
