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
    /// A name given for a CAA lookup is not a domain name.
    #[error("{name:?} is not a domain name: {reason}")]
    CaaName {
        /// The name as given.
        name: String,
        /// Why.
        reason: String,
    },
    /// The system's resolver configuration could not be read.
    #[error(
        "can't read the system's DNS configuration (/etc/resolv.conf): {reason}; name a server instead (--dns-server IP:PORT)"
    )]
    ResolverConfig {
        /// Why.
        reason: String,
    },
    /// A CAA query got no usable answer (SERVFAIL, REFUSED, a timeout, a
    /// malformed message). This is not "no CAA": a CA that can't look CAA
    /// up does not issue (RFC 8659 §3), so nothing can be concluded.
    #[error(
        "CAA lookup for {name} failed when asking for {queried}: {reason} (not the same as no CAA: a CA won't issue while CAA can't be looked up)"
    )]
    CaaLookup {
        /// The name whose relevant CAA RRset was being searched for.
        name: String,
        /// The name being queried when it failed (the name or an ancestor).
        queried: String,
        /// What went wrong.
        reason: String,
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
