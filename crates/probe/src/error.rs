//! The errors of pinwarden-probe.

use std::net::SocketAddr;
use std::time::Duration;

use thiserror::Error;

/// Everything that can go wrong while probing.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The target's text is not `HOST[:PORT]`.
    #[error("{input:?} is not HOST[:PORT]: {reason}")]
    BadTarget {
        /// The text as given.
        input: String,
        /// Why.
        reason: String,
    },
    /// The name did not resolve.
    #[error("{host}: can't resolve the name: {cause}")]
    Resolve {
        /// The host name.
        host: String,
        /// The resolver's error.
        cause: std::io::Error,
    },
    /// No address accepted a TCP connection.
    #[error("{target}: can't connect to {addr}: {cause}")]
    Connect {
        /// The target as given.
        target: String,
        /// The last address tried.
        addr: SocketAddr,
        /// The socket error.
        cause: std::io::Error,
    },
    /// Connecting and handshaking took longer than the timeout.
    #[error("{target}: no TLS handshake within {after:?}")]
    Timeout {
        /// The target as given.
        target: String,
        /// The timeout.
        after: Duration,
    },
    /// The TLS handshake failed.
    #[error("{target}: TLS handshake failed: {reason}")]
    Tls {
        /// The target as given.
        target: String,
        /// rustls' explanation.
        reason: String,
    },
    /// The server completed a handshake without sending certificates.
    #[error("{target}: the server sent no certificate")]
    NoCertificates {
        /// The target as given.
        target: String,
    },
    /// A roots file could not be read.
    #[error("roots file {path}: {reason}")]
    Roots {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}
