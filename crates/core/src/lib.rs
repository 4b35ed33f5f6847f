//! pinwarden-core: the pure core of pinwarden.
//!
//! Pins, host patterns, pin sets, certificate facts, chain assembly and the
//! platform exports. No I/O and no async: callers bring bytes and get values.
//!
//! # Getting started
//! ```
//! use pinwarden_core::{SpkiPin, decode};
//!
//! // Any notation a client uses parses to the same pin.
//! let pin: SpkiPin = "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".parse()?;
//! assert_eq!(pin.to_string(), "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
//!
//! // A fingerprint pasted by mistake says so.
//! assert!("AB:CD:EF:01".parse::<SpkiPin>().unwrap_err().to_string().contains("fingerprint"));
//!
//! // Bytes without certificates are an error, not a panic.
//! assert!(decode(b"hello").is_err());
//! # Ok::<(), pinwarden_core::PinError>(())
//! ```

pub mod caa;
pub mod caa_pins;
pub mod cadata;
mod cert;
mod chain;
pub mod check;
mod error;
pub mod export;
mod frame;
mod host;
mod input;
pub mod lifetime;
pub mod lint;
mod pin;
mod pinset;
pub mod policy;
pub mod report;
pub mod simulate;
mod truststore;

pub use cert::{Certificate, Facts, KeyInfo, Level, PublicKey, short_name};
pub use chain::{Chain, ChainStatus, Link, OrderProblem, assemble, presented};
pub use error::{Error, PinError};
pub use export::xml_escape;
pub use host::{HostPattern, PatternKind};
pub use input::{Decoded, Decoder, Found, Item, decode};
pub use pin::SpkiPin;
pub use pinset::{PinEntry, PinRole, PinSet, set_for_host};
pub use truststore::{Anchor, TrustStore};
