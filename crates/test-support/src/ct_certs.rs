//! Certificates for CT tests: the organisation's expected CA and another
//! one, logged into either local log.

use crate::pki::{Ca, KeyKind};
use crate::{CtLog, CtTiledLog};

/// A log that takes certificate and precertificate entries.
pub trait LogEntries {
    /// Appends a certificate entry (`chain[0]` the certificate, then its
    /// issuers); returns its index.
    fn add_x509(&self, chain: &[Vec<u8>], timestamp: u64) -> u64;
    /// Appends a precertificate entry; returns its index.
    fn add_precert(
        &self,
        precert: &[u8],
        issuer_spki: &[u8],
        issuers: &[Vec<u8>],
        timestamp: u64,
    ) -> u64;
}

impl LogEntries for CtLog {
    fn add_x509(&self, chain: &[Vec<u8>], timestamp: u64) -> u64 {
        Self::add_x509(self, chain, timestamp)
    }
    fn add_precert(
        &self,
        precert: &[u8],
        issuer_spki: &[u8],
        issuers: &[Vec<u8>],
        timestamp: u64,
    ) -> u64 {
        Self::add_precert(self, precert, issuer_spki, issuers, timestamp)
    }
}

impl LogEntries for CtTiledLog {
    fn add_x509(&self, chain: &[Vec<u8>], timestamp: u64) -> u64 {
        Self::add_x509(self, chain, timestamp)
    }
    fn add_precert(
        &self,
        precert: &[u8],
        issuer_spki: &[u8],
        issuers: &[Vec<u8>],
        timestamp: u64,
    ) -> u64 {
        Self::add_precert(self, precert, issuer_spki, issuers, timestamp)
    }
}

/// Two hierarchies, root → issuing CA: the expected one and another.
#[derive(Debug)]
pub struct CtIssuers {
    /// The expected root.
    pub root: Ca,
    /// The expected issuing CA.
    pub issuing: Ca,
    /// Another root.
    pub other_root: Ca,
    /// Its issuing CA.
    pub other_issuing: Ca,
}

impl Default for CtIssuers {
    fn default() -> Self {
        Self::new()
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl CtIssuers {
    /// Fresh ECDSA P-256 hierarchies.
    pub fn new() -> Self {
        let root = Ca::root("Expected Root", KeyKind::EcdsaP256);
        let issuing = root.intermediate("Expected Issuing CA", KeyKind::EcdsaP256);
        let other_root = Ca::root("Other Root", KeyKind::EcdsaP256);
        let other_issuing = other_root.intermediate("Other Issuing CA", KeyKind::EcdsaP256);
        Self {
            root,
            issuing,
            other_root,
            other_issuing,
        }
    }

    /// Leaf, issuing CA and root for `names`, from the expected hierarchy
    /// or the other one.
    pub fn chain(&self, names: &[&str], expected: bool) -> Vec<Vec<u8>> {
        let (ca, root) = if expected {
            (&self.issuing, &self.root)
        } else {
            (&self.other_issuing, &self.other_root)
        };
        let leaf = ca.leaf(names, KeyKind::EcdsaP256);
        vec![leaf.der, ca.der.clone(), root.der.clone()]
    }

    /// Logs a certificate for `names`; returns its index.
    pub fn log_cert(&self, log: &impl LogEntries, names: &[&str], expected: bool) -> u64 {
        log.add_x509(&self.chain(names, expected), now_ms())
    }

    /// Logs a precertificate for `names` from the expected issuing CA.
    pub fn log_precert(&self, log: &impl LogEntries, names: &[&str]) -> u64 {
        let pre = self.issuing.precert(names, KeyKind::EcdsaP256);
        log.add_precert(
            &pre.der,
            &self.issuing.spki,
            &[self.issuing.der.clone(), self.root.der.clone()],
            now_ms(),
        )
    }

    /// Logs one unrelated certificate `n` times (distinct timestamps).
    pub fn log_noise(&self, log: &impl LogEntries, n: usize) {
        let chain = self.chain(&["noise.unrelated.test"], true);
        let t = now_ms();
        for i in 0..n {
            log.add_x509(&chain, t + i as u64);
        }
    }
}
