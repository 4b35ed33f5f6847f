//! Rollout cohorts, computed the same way by the server and every client:
//!
//! `cohort = first 8 bytes of SHA-256(install_id || app), big-endian, mod 100`
//!
//! A client is in a candidate rollout of `p` percent when `cohort < p`, so
//! raising the percentage only ever adds clients.

use ring::digest::{SHA256, digest};

/// The cohort (0–99) of an installation of an app.
pub fn cohort(install_id: &str, app: &str) -> u8 {
    let mut input = Vec::with_capacity(install_id.len() + app.len());
    input.extend_from_slice(install_id.as_bytes());
    input.extend_from_slice(app.as_bytes());
    let hash = digest(&SHA256, &input);
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_ref()[..8]);
    // The remainder is below 100, so it always fits.
    u8::try_from(u64::from_be_bytes(first) % 100).unwrap_or(0)
}

/// Whether an installation takes part in a rollout of `percentage` percent.
pub fn in_candidate(install_id: &str, app: &str, percentage: u8) -> bool {
    cohort(install_id, app) < percentage
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohorts_match_an_independent_computation() {
        // From Python: int.from_bytes(sha256((i + a).encode()).digest()[:8], "big") % 100
        assert_eq!(cohort("install-1", "mobile"), 81);
        assert_eq!(
            cohort("4b7e2c1a-0f3d-4c55-9a61-2f0e8d9c7b10", "northwind-mobile"),
            74
        );
        assert_eq!(cohort("", ""), 52);
        assert!(in_candidate("install-1", "mobile", 82));
        assert!(!in_candidate("install-1", "mobile", 81));
        assert!(!in_candidate("x", "app", 0));
    }
}
