//! pinwarden-probe: connect to TLS endpoints and record what they present.
//!
//! The chain is recorded whatever it is (untrusted, expired, self-signed, for
//! another name); whether standard WebPKI validation accepts it is reported
//! separately, as a [`Verdict`].
//!
//! [`CaaResolver`] finds a name's relevant CAA RRset (RFC 8659) in DNS, for
//! `pinwarden_core::caa` to evaluate.
//!
//! # Getting started
//! ```no_run
//! # async fn demo() -> Result<(), pinwarden_probe::Error> {
//! use pinwarden_probe::{ProbeOptions, Roots, Target, probe};
//!
//! let roots = Roots::load(&pinwarden_probe::RootSource::Webpki)?;
//! let target: Target = "example.com".parse()?;
//! let seen = probe(&target, &ProbeOptions::new(roots)).await?;
//! println!("{} certificates, {}", seen.chain.len(), seen.verdict);
//! # Ok(()) }
//! ```

mod caa;
mod error;
mod observe;
mod roots;
mod target;

pub use caa::{CaaError, CaaResolver, RelevantCaa};
pub use error::Error;
pub use observe::{Probe, ProbeOptions, Verdict, probe, probe_many, validate};
pub use roots::{RootSource, Roots};
pub use target::Target;
