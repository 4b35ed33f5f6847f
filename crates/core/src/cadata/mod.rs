//! The CA dataset (`data/cas.toml`): public CAs by name, by the CAA issuer
//! domain names they answer to, and by the SPKI pins of their roots and
//! intermediates.
//!
//! CAA records name CAs by domain (`letsencrypt.org`), pin sets by key, and
//! policies by name ("Let's Encrypt"); this is the table that joins the three.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::cert::Level;
use crate::error::Error;
use crate::pin::SpkiPin;

mod distrust;
mod identity;

pub use distrust::{DistrustDataset, DistrustEvent, DistrustKey, DistrustKind};
pub use identity::{KeyFacts, KeyModel, Stated};

/// One CA operator: the organisation that runs a set of roots and the
/// intermediates under them today, whatever brands it sells them under.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ca {
    /// Its usual name (`Let's Encrypt`).
    pub name: String,
    /// Other names a policy may use (`ISRG`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The CAA issuer domain names it honours, lowercase (`letsencrypt.org`);
    /// empty for a private CA.
    #[serde(default)]
    pub caa: Vec<String>,
    /// Where the CAA identifiers come from.
    #[serde(default)]
    pub caa_source: Option<String>,
    /// Anything a reader of the dataset should know (transferred roots, distrust).
    #[serde(default)]
    pub note: Option<String>,
    /// Where the CA says it moves issuance among its intermediates without
    /// notice (so an intermediate pin breaks at its choosing); absent when
    /// it makes no such statement.
    #[serde(default)]
    pub rotates_intermediates: Option<String>,
    /// Its root and intermediate keys.
    pub keys: Vec<CaKey>,
}

/// A root or intermediate key of a CA, with what its certificates say.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaKey {
    /// The subject's common name.
    pub label: String,
    /// SHA-256 of its SubjectPublicKeyInfo.
    pub pin: SpkiPin,
    /// Root (a self-signed certificate carries it) or intermediate.
    pub level: Level,
    /// The earliest start of its certificates' validity.
    #[serde(default, deserialize_with = "date")]
    pub not_before: Option<time::Date>,
    /// When it stops validating: a root's self-signed certificate's end, an
    /// intermediate's latest certificate's end.
    #[serde(default, deserialize_with = "date")]
    pub not_after: Option<time::Date>,
    /// The keys that signed a certificate for this one (a root's cross-signs,
    /// an intermediate's issuers).
    #[serde(default)]
    pub issued_by: Vec<SpkiPin>,
    /// The certificates it was computed from (files under `data/certs/`).
    #[serde(default)]
    pub certs: Vec<String>,
}

/// A TOML date (`2035-06-04`) as a calendar date.
fn date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<time::Date>, D::Error> {
    let raw: Option<toml::value::Datetime> = serde::Deserialize::deserialize(d)?;
    raw.map(|dt| {
        crate::policy::calendar_date(&dt)
            .ok_or_else(|| serde::de::Error::custom(format!("{dt} is not a calendar date")))
    })
    .transpose()
}

impl Ca {
    /// Every key with its level, in file order.
    pub fn keys(&self) -> impl Iterator<Item = (&CaKey, Level)> {
        self.keys.iter().map(|k| (k, k.level))
    }

    /// Its root keys.
    pub fn roots(&self) -> impl Iterator<Item = &CaKey> {
        self.keys.iter().filter(|k| k.level == Level::Root)
    }

    /// The key with this pin, if it is one of this CA's.
    pub fn key(&self, pin: &SpkiPin) -> Option<(&CaKey, Level)> {
        self.keys().find(|(k, _)| &k.pin == pin)
    }

    /// Whether `identifier` is one of its CAA issuer domain names.
    pub fn has_caa_identifier(&self, identifier: &str) -> bool {
        let id = normalise_identifier(identifier);
        self.caa.contains(&id)
    }
}

/// The CA dataset, indexed.
#[derive(Clone, Debug)]
pub struct CaDataset {
    cas: Vec<Ca>,
    by_name: FxHashMap<String, usize>,
    by_caa: FxHashMap<String, usize>,
    by_pin: FxHashMap<[u8; 32], (usize, usize)>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    ca: Vec<Ca>,
}

impl CaDataset {
    /// The dataset compiled into pinwarden (`crates/core/data/cas.toml`).
    pub fn builtin() -> &'static Self {
        static DATA: OnceLock<CaDataset> = OnceLock::new();
        DATA.get_or_init(|| {
            // Invariant: the compiled-in file is valid; the test
            // `builtin_dataset_is_valid_and_names_the_policy_cas` parses it.
            Self::parse(include_str!("../../data/cas.toml"), "built-in cas.toml")
                .expect("the built-in CA dataset is valid (tested)")
        })
    }

    /// Reads a dataset file in the same format as the built-in one.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::CaDataset {
            file: path.display().to_string(),
            reason: format!("can't read it: {e}"),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses a dataset's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, Error> {
        let err = |reason: String| Error::CaDataset {
            file: file.to_owned(),
            reason,
        };
        let File { ca: cas } = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        Self::from_cas(cas, file)
    }

    fn from_cas(mut cas: Vec<Ca>, file: &str) -> Result<Self, Error> {
        let err = |reason: String| Error::CaDataset {
            file: file.to_owned(),
            reason,
        };
        let mut by_name = FxHashMap::default();
        let mut by_caa = FxHashMap::default();
        let mut by_pin = FxHashMap::default();
        for (i, ca) in cas.iter_mut().enumerate() {
            if ca.name.trim().is_empty() {
                return Err(err(format!("CA #{} has an empty name", i + 1)));
            }
            for name in std::iter::once(&ca.name).chain(&ca.aliases) {
                let key = normalise_name(name);
                if key.is_empty() {
                    return Err(err(format!("{}: the name {name:?} is empty", ca.name)));
                }
                if let Some(&j) = by_name.get(&key)
                    && j != i
                {
                    return Err(err(format!(
                        "{}: the name {name:?} is already taken by CA #{}",
                        ca.name,
                        j + 1
                    )));
                }
                by_name.insert(key, i);
            }
            for id in &mut ca.caa {
                let norm = normalise_identifier(id);
                let valid = !norm.is_empty()
                    && norm.split('.').all(|l| {
                        !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    });
                if !valid {
                    return Err(err(format!(
                        "{}: {id:?} is not a CAA issuer domain name",
                        ca.name
                    )));
                }
                if let Some(j) = by_caa.insert(norm.clone(), i) {
                    return Err(err(format!(
                        "{}: the CAA identifier {norm} is also listed for CA #{}",
                        ca.name,
                        j + 1
                    )));
                }
                *id = norm;
            }
            if ca.keys.is_empty() {
                return Err(err(format!("{}: no keys", ca.name)));
            }
            for (k, key) in ca.keys.iter().enumerate() {
                if key.level == Level::Leaf {
                    return Err(err(format!(
                        "{}: {:?} is a leaf key; the dataset holds CA keys only",
                        ca.name, key.label
                    )));
                }
                if let Some((j, _)) = by_pin.insert(*key.pin.as_bytes(), (i, k)) {
                    return Err(err(format!(
                        "{}: the pin of {:?} ({}) is listed twice (also under CA #{})",
                        ca.name,
                        key.label,
                        key.pin,
                        j + 1
                    )));
                }
            }
        }
        Ok(Self {
            cas,
            by_name,
            by_caa,
            by_pin,
        })
    }

    /// Every CA, in file order.
    pub fn cas(&self) -> &[Ca] {
        &self.cas
    }

    /// The CA with this name or alias, ignoring case, spaces and punctuation
    /// (`Let's Encrypt`, `letsencrypt`, `ISRG`).
    pub fn by_name(&self, name: &str) -> Option<&Ca> {
        self.by_name
            .get(&normalise_name(name))
            .map(|&i| &self.cas[i])
    }

    /// The CA that answers to this CAA issuer domain name (`letsencrypt.org`), any case.
    pub fn by_caa_identifier(&self, identifier: &str) -> Option<&Ca> {
        self.by_caa
            .get(&normalise_identifier(identifier))
            .map(|&i| &self.cas[i])
    }

    /// The CA one of whose root or intermediate keys has this pin.
    pub fn by_pin(&self, pin: &SpkiPin) -> Option<&Ca> {
        self.key(pin).map(|(ca, _)| ca)
    }

    /// The CA and its key with this pin.
    pub fn key(&self, pin: &SpkiPin) -> Option<(&Ca, &CaKey)> {
        self.by_pin
            .get(pin.as_bytes())
            .map(|&(i, k)| (&self.cas[i], &self.cas[i].keys[k]))
    }

    /// Adds the CAs of `other` (a private CA's file), refusing a name or
    /// key both hold.
    pub fn extend(&self, other: &Self, file: &str) -> Result<Self, Error> {
        let mut all = self.cas.clone();
        all.extend(other.cas.iter().cloned());
        Self::from_cas(all, file)
    }
}

/// Whether two CA names are one: they compare by their letters and digits
/// only, lowercase ("Let's Encrypt", "LetsEncrypt", "lets-encrypt").
pub fn same_name(a: &str, b: &str) -> bool {
    normalise_name(a) == normalise_name(b)
}

/// A name by its letters and digits only, lowercase.
pub fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// CAA issuer domain names compare case-insensitively (RFC 8659 §4.2 keeps
/// DNS semantics), without a trailing dot.
fn normalise_identifier(id: &str) -> String {
    id.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_dataset_is_valid_and_names_the_policy_cas() {
        let data = CaDataset::parse(include_str!("../../data/cas.toml"), "cas.toml").unwrap();
        assert!(data.cas().len() >= 10);
        let le = data.by_name("Let's Encrypt").unwrap();
        assert_eq!(le.caa, ["letsencrypt.org"]);
        for alias in ["ISRG", "letsencrypt", "LETS ENCRYPT", "lets-encrypt"] {
            assert_eq!(
                data.by_name(alias).unwrap().name,
                "Let's Encrypt",
                "{alias}"
            );
        }
        let dc = data.by_name("DigiCert").unwrap();
        assert!(dc.has_caa_identifier("DigiCert.com."));
        assert_eq!(
            data.by_caa_identifier("rapidssl.com").unwrap().name,
            "DigiCert"
        );
        assert_eq!(
            data.by_caa_identifier("PKI.GOOG").unwrap().name,
            "Google Trust Services"
        );
        assert_eq!(
            data.by_caa_identifier("comodoca.com").unwrap().name,
            "Sectigo"
        );
        assert!(data.by_caa_identifier("ca.example.net").is_none());
        assert!(data.by_name("Nobody CA").is_none());
        for ca in data.cas() {
            assert!(!ca.caa.is_empty() && ca.roots().count() > 0, "{}", ca.name);
        }
        // The pins the example policy carries (computed there independently).
        let x1: SpkiPin = "sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M="
            .parse()
            .unwrap();
        let (key, level) = le.key(&x1).unwrap();
        assert_eq!((key.label.as_str(), level), ("ISRG Root X1", Level::Root));
        let g2: SpkiPin = "sha256/i7WTqTvh0OioIruIfFR4kMPnBqrS2rdiVPl/s2uC/CY="
            .parse()
            .unwrap();
        assert_eq!(data.by_pin(&g2).unwrap().name, "DigiCert");
        assert_eq!(CaDataset::builtin().cas().len(), data.cas().len());
        // Brands belong to the operator whose root issued them, by key:
        // RapidSSL's intermediate today is DigiCert's.
        let rapidssl = data
            .cas()
            .iter()
            .flat_map(|ca| ca.keys.iter().map(move |k| (ca, k)))
            .find(|(_, k)| k.label.starts_with("RapidSSL"))
            .expect("a RapidSSL intermediate");
        assert_eq!(rapidssl.0.name, "DigiCert");
        assert_eq!(rapidssl.1.level, Level::Intermediate);
    }

    #[test]
    fn pins_and_dates_match_the_certificates_they_name() {
        // Recomputes every key's pin and validity from its certificates under
        // data/certs/ (public certificates; data/certs/SOURCES.md): the
        // regeneration script (openssl) and pinwarden (x509-parser) agree.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/certs");
        let keys = CaDataset::builtin().cas().iter().flat_map(|ca| {
            ca.keys
                .iter()
                .map(|k| (k.pin, k.level, k.not_after, &k.certs))
        });
        let distrusted = DistrustDataset::builtin().events().iter().flat_map(|e| {
            e.keys
                .iter()
                .map(|k| (k.pin, Level::Root, k.not_after, &k.certs))
        });
        let mut checked = 0;
        for (pin, level, not_after, certs) in keys.chain(distrusted) {
            assert!(!certs.is_empty(), "{pin}: no certificate named");
            let mut ends = Vec::new();
            for file in certs {
                let pem = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
                let cert = &crate::decode(&pem).unwrap().certificates[0];
                assert_eq!(SpkiPin::from_spki_der(cert.spki_der()), pin, "{file}");
                let facts = cert.facts().unwrap();
                if level != Level::Root || cert.is_self_signed() {
                    ends.push(facts.not_after.date());
                }
                checked += 1;
            }
            assert_eq!(ends.iter().max().copied(), not_after, "{pin} ({certs:?})");
        }
        assert!(checked > 100, "{checked}");
    }

    #[test]
    fn bad_files_are_errors_naming_the_file_and_cause() {
        let e = |text: &str| CaDataset::parse(text, "my.toml").unwrap_err().to_string();
        let ca = |name: &str, caa: &str, pin: &str| {
            format!(
                "[[ca]]\nname = \"{name}\"\ncaa = [\"{caa}\"]\ncaa_source = \"x\"\n\
                 [[ca.keys]]\nlabel = \"R\"\npin = \"{pin}\"\nlevel = \"root\"\n"
            )
        };
        let p1 = "sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=";
        let p2 = "sha256/diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI=";
        assert!(CaDataset::parse(&ca("A", "a.example", p1), "ok").is_ok());
        let msg = e("[[ca]]\nname = 1\n");
        assert!(msg.starts_with("CA dataset my.toml:"), "{msg}");
        assert!(e(&ca("A", "a.example", "sha256/short")).contains("pin"));
        assert!(e(&ca("A", "not a domain", p1)).contains("not a CAA issuer domain name"));
        let twice = ca("A", "a.example", p1) + &ca("a", "b.example", p2);
        assert!(e(&twice).contains("already taken"), "{}", e(&twice));
        let same_caa = ca("A", "a.example", p1) + &ca("B", "A.example", p2);
        assert!(e(&same_caa).contains("also listed"));
        let same_pin = ca("A", "a.example", p1) + &ca("B", "b.example", p1);
        assert!(e(&same_pin).contains("listed twice"));
        let unknown = ca("A", "a.example", p1) + "colour = \"red\"\n";
        assert!(e(&unknown).contains("colour"), "{}", e(&unknown));
        let missing = CaDataset::load("/nonexistent/cas.toml")
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("/nonexistent/cas.toml") && missing.contains("can't read"),
            "{missing}"
        );
    }
}
