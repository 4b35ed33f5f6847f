//! pinwarden-rustls: public-key pinning for Rust clients on rustls.
//!
//! - [`PinningVerifier`], a rustls `ServerCertVerifier`: standard WebPKI
//!   validation first, then, for hosts a pin set covers, a pin match on the
//!   chain that validation actually built (never on certificates the server
//!   merely sent). Unpinned hosts get plain WebPKI validation.
//! - [`ManifestUpdater`]: fetches the app's signed manifest, verifies it
//!   (trusted keys, threshold, anti-rollback), keeps it in a cache directory
//!   that survives restarts and crashes, refreshes it in the background, and
//!   swaps the active pins without a restart. Built-in pins are the floor.
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

mod errors;
mod http;
mod pins;
mod reporter;
mod updater;
mod verifier;

pub use pins::{ActivePins, PinSource, PinStore};
pub use reporter::{PinFailure, Reporter, ReporterConfig};
pub use updater::{ManifestUpdater, Refreshed, UpdaterConfig, UpdaterError};
pub use verifier::{PinMismatch, PinningVerifier};

/// Report-only pinning: mismatches are reported and the connection goes on.
/// For measuring a pin set before enforcing it; never the end state.
pub mod danger {
    pub use crate::verifier::report_only;
}
