//! pinwarden-rustls: public-key pinning for Rust clients on rustls.
//!
//! - [`PinningVerifier`], a rustls `ServerCertVerifier`: standard WebPKI
//!   validation first, then, for hosts a pin set covers, a pin match on the
//!   chain that validation actually built (never on certificates the server
//!   merely sent). Unpinned hosts get plain WebPKI validation.
//! - [`ManifestUpdater`]: fetches the app's signed manifest, verifies it
//!   (trusted keys, threshold, anti-rollback, the built-in [`Baseline`]),
//!   keeps it in a private cache directory that survives restarts and
//!   crashes, refreshes it in the background, and swaps the active pins
//!   without a restart. Built-in pins are the floor.
//! - [`Reporter`]: TrustKit-compatible pin-failure reports (plus manifest
//!   version and cohort), deduplicated for 24 hours, sent from a bounded queue
//!   over a connection that is not itself pinned; a handshake never waits.
//!
//! ```text
//! built-in pins ─┐
//! manifest ──verify──> PinStore ──> PinningVerifier ──mismatch──> Reporter ──> report URI
//! ```
//!
//! See `examples/pinned_client.rs` for the whole loop.
//!
//! # Threat model
//!
//! | who | can | what stops it |
//! |---|---|---|
//! | an attacker on the network, or a mis-issuing CA | present a chain that validates through another CA, or send the pinned CA's certificate along unused | pins are matched only on the path webpki validated ([`PinningVerifier`]) |
//! | the same, on a resumed session | skip verification altogether (TLS 1.2 ids, TLS 1.3 tickets, 0-RTT) | [`PinningVerifier::client_config`]: sessions are forgotten when the pins change ([`PinAwareSessions`]), early data off |
//! | whoever answers the manifest URL (the channel is not pinned) | serve old, expired or huge manifests, race two answers, redirect | signatures and threshold; versions only move forward, under one lock, checked again at commit; nothing older than the app's [`Baseline`]; expiry never weakens the built-in pins; bodies capped; redirects only within the origin, no `Referer` |
//! | whoever answers a report URI | redirect the report elsewhere | reports follow no redirect: a 3xx is a failed delivery |
//! | other local users | read or plant files in the cache | a private directory per app (0700, links refused), state written through an unpredictable, exclusively created temporary file (0600), the cache verified again at start; damage is reported ([`ManifestUpdater::cache_problem`]) and never lowers the accepted version |
//! | a crash | leave a half-written state | atomic replace: temporary file, fsync, rename, fsync of the directory |
//!
//! Not defended: code running as the app's own user (it can replace the
//! app), and a rolled-back state file written by that user.
//!
//! Which pin set applies when several cover a host: the most specific
//! pattern, then an enforced set over a report-only one
//! ([`pinwarden_core::set_for_host`]); a host a built-in set covers keeps it
//! unless the manifest covers the host itself. A pin set past its `expires`
//! day is not enforced (as on Android and TrustKit): its mismatches are
//! reported and the connection goes on.

mod errors;
mod http;
mod pins;
mod reporter;
mod sessions;
mod updater;
mod verifier;

pub use pins::{ActivePins, PinSource, PinStore};
pub use reporter::{PinFailure, Reporter, ReporterConfig};
pub use sessions::PinAwareSessions;
pub use updater::{Baseline, ManifestUpdater, Refreshed, UpdaterConfig, UpdaterError};
pub use verifier::{PinMismatch, PinningVerifier};

/// Report-only pinning: mismatches are reported and the connection goes on.
/// For measuring a pin set before enforcing it; never the end state.
pub mod danger {
    pub use crate::verifier::report_only;
}
