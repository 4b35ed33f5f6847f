//! The manifest document: what a client enforces, for how long, and what it
//! does when the manifest expires.

use pinwarden_core::PinSet;
use time::OffsetDateTime;

use crate::Error;

/// The highest manifest version: 2^53 - 1, the largest integer every JSON
/// reader holds exactly (RFC 8259 §6; JavaScript's `Number.MAX_SAFE_INTEGER`).
/// A version beyond it reads differently in different clients, and one near
/// `u64::MAX` or `i64::MAX` would leave no room for the versions after it.
pub const MAX_VERSION: u64 = (1 << 53) - 1;

/// What a client does once the manifest has expired and no newer one came.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AfterExpiry {
    /// Enforce the pins built into the client instead (the safe default).
    #[default]
    FallBackToBuiltIn,
    /// Stop enforcing pins for the manifest's hosts and report every
    /// connection that would have failed.
    SuspendAndReport,
}

/// A staged rollout: some clients use these pin sets instead of the
/// manifest's stable ones.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// The candidate pin sets.
    pub pin_sets: Vec<PinSet>,
    /// Share of installations (0–100) that use them; see [`crate::cohort`].
    pub percentage: u8,
}

/// A versioned, expiring pin configuration for one app.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The app it configures.
    pub app: String,
    /// Strictly increasing from one manifest of the app to the next, from 1
    /// to [`MAX_VERSION`].
    pub version: u64,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When clients stop trusting it.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The pin sets to enforce.
    pub pin_sets: Vec<PinSet>,
    /// Where to send pin-failure reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_uri: Option<String>,
    /// What to do after `expires_at`.
    #[serde(default)]
    pub after_expiry: AfterExpiry,
    /// A staged rollout of other pin sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<Candidate>,
}

impl Manifest {
    /// An empty manifest (no pin sets yet).
    pub fn new(
        app: impl Into<String>,
        version: u64,
        issued_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Self {
        Self {
            app: app.into(),
            version,
            issued_at,
            expires_at,
            pin_sets: Vec::new(),
            report_uri: None,
            after_expiry: AfterExpiry::default(),
            candidate: None,
        }
    }

    /// Parses and checks a payload.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        if !crate::envelope::is_json_object(bytes) {
            return Err(Error::Payload("a manifest is a JSON object".into()));
        }
        let manifest: Self =
            serde_json::from_slice(bytes).map_err(|e| Error::Payload(e.to_string()))?;
        manifest.check()?;
        Ok(manifest)
    }

    /// Checks what serde can't: a name, a version, a validity window, and pin
    /// sets a client can use.
    pub fn check(&self) -> Result<(), Error> {
        let bad = |what: String| Err(Error::Payload(what));
        if self.app.is_empty() || self.app.len() > 128 || self.app.chars().any(char::is_control) {
            return bad(format!(
                "app {:?}: 1 to 128 characters, no control characters",
                self.app
            ));
        }
        if self.version == 0 {
            return bad("version must be 1 or more".into());
        }
        if self.version > MAX_VERSION {
            return Err(Error::VersionTooLarge {
                version: self.version,
                max: MAX_VERSION,
            });
        }
        if self.expires_at <= self.issued_at {
            return bad(format!(
                "expires_at {} is not after issued_at {}",
                self.expires_at, self.issued_at
            ));
        }
        check_sets("pin_sets", &self.pin_sets)?;
        if let Some(c) = &self.candidate {
            if c.percentage > 100 {
                return bad(format!(
                    "candidate percentage {} is above 100",
                    c.percentage
                ));
            }
            check_sets("candidate.pin_sets", &c.pin_sets)?;
        }
        Ok(())
    }

    /// Whether the manifest has expired at `now`.
    pub fn expired(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_at
    }

    /// The pin sets an installation uses: the candidate's when its cohort is
    /// in the rollout, the stable ones otherwise.
    pub fn pin_sets_for(&self, install_id: &str) -> &[PinSet] {
        match &self.candidate {
            Some(c) if crate::in_candidate(install_id, &self.app, c.percentage) => &c.pin_sets,
            _ => &self.pin_sets,
        }
    }

    /// Serialises the payload (what gets signed).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

fn check_sets(field: &str, sets: &[PinSet]) -> Result<(), Error> {
    let mut ids = std::collections::HashSet::new();
    for set in sets {
        if !ids.insert(set.id.as_str()) {
            return Err(Error::Payload(format!(
                "{field}: pin set id {:?} appears twice",
                set.id
            )));
        }
        if set.hosts.is_empty() {
            return Err(Error::Payload(format!(
                "{field}: pin set {:?} names no hosts",
                set.id
            )));
        }
        if set.pins.is_empty() {
            return Err(Error::Payload(format!(
                "{field}: pin set {:?} has no pins",
                set.id
            )));
        }
    }
    Ok(())
}
