//! The dated dataset of distrusted CAs (`data/distrust.toml`).

use std::sync::OnceLock;

use crate::pin::SpkiPin;

/// A CA that root programs stopped trusting, or will.
#[derive(Debug, serde::Deserialize)]
pub struct DistrustedCa {
    /// Its name.
    pub name: String,
    /// Lower-case names to look for in a pin's source and label.
    #[serde(rename = "match")]
    pub names: Vec<String>,
    /// When the distrust takes effect.
    pub effective: toml::value::Datetime,
    /// What happens.
    pub event: String,
    /// SPKI pins of its roots.
    pub pins: Vec<SpkiPin>,
}

#[derive(serde::Deserialize)]
struct Dataset {
    ca: Vec<DistrustedCa>,
}

/// The dataset compiled into pinwarden.
pub fn distrusted() -> &'static [DistrustedCa] {
    static DATA: OnceLock<Vec<DistrustedCa>> = OnceLock::new();
    DATA.get_or_init(|| {
        // A test parses this file; a mistake in it fails the build's tests.
        toml::from_str::<Dataset>(include_str!("../../data/distrust.toml"))
            .map(|d| d.ca)
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_parses_and_has_the_documented_events() {
        let data: Dataset = toml::from_str(include_str!("../../data/distrust.toml")).unwrap();
        let names: Vec<&str> = data.ca.iter().map(|c| c.name.as_str()).collect();
        for expected in [
            "Symantec",
            "Entrust",
            "Chunghwa Telecom",
            "NetLock",
            "DST Root CA X3",
        ] {
            assert!(
                names.iter().any(|n| n.contains(expected)),
                "{expected} missing: {names:?}"
            );
        }
        assert_eq!(distrusted().len(), data.ca.len());
        for ca in &data.ca {
            assert!(
                crate::policy::calendar_date(&ca.effective).is_some(),
                "{}",
                ca.name
            );
            assert!(
                ca.names.iter().all(|n| *n == n.to_lowercase()),
                "{}",
                ca.name
            );
        }
    }
}
