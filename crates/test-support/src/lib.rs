//! Test fixtures for pinwarden: certificate hierarchies made with rcgen and
//! local TLS servers made with rustls. Nothing here is for production.

mod pki;
mod tls_server;

pub use pki::{Ca, KeyKind, Leaf, Pki};
pub use tls_server::TlsServer;
