//! Test fixtures for pinwarden: certificate hierarchies made with rcgen and
//! local TLS servers made with rustls, throwaway PostgreSQL databases,
//! an authoritative DNS server (knotd) on loopback. Nothing here is for production.

mod ct_certs;
mod ct_common;
mod ct_log;
mod ct_tiled_log;
mod dns;
mod pki;
mod postgres;
mod report_sink;
mod tls_listener;
mod tls_server;

pub use ct_certs::{CtIssuers, LogEntries, now_ms};
pub use ct_log::{CtLog, Misbehaviour};
pub use ct_tiled_log::{CtTiledLog, TiledMisbehaviour};
pub use dns::{CAA, DnsServer, SOA, UdpAnswer, Zone};
pub use pki::{Ca, KeyKind, Leaf, Pki, Precert};
pub use postgres::{POSTGRES_ENV, PostgresDb};
pub use report_sink::ReportSink;
pub use tls_listener::TlsListener;
pub use tls_server::TlsServer;
