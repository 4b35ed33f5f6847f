//! One TLS handshake per target: record the chain, then judge it.
//!
//! `resolve ==> connect ==> handshake (accept any chain) ==> record chain ==> WebPKI verdict`

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::net::TcpStream;

use crate::error::Error;
use crate::roots::Roots;
use crate::target::Target;

/// How to probe.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
    /// Limit for connecting and handshaking, per target.
    pub timeout: Duration,
    /// Anchors for the verdict.
    pub roots: Roots,
}

impl ProbeOptions {
    /// Ten-second timeout and the given roots.
    pub fn new(roots: Roots) -> Self {
        Self {
            timeout: Duration::from_secs(10),
            roots,
        }
    }
}

/// What an endpoint presented.
#[derive(Clone, Debug)]
pub struct Probe {
    /// The address that answered.
    pub addr: SocketAddr,
    /// The certificates as served, DER, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// Standard validation's judgement of that chain for the server name.
    pub verdict: Verdict,
    /// The negotiated TLS version.
    pub protocol: String,
}

/// The outcome of standard WebPKI validation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "lowercase")]
pub enum Verdict {
    /// The chain validates to a trusted root for the name.
    Trusted,
    /// It does not, and why.
    Untrusted(String),
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Trusted => f.write_str("trusted"),
            Self::Untrusted(why) => write!(f, "untrusted: {why}"),
        }
    }
}

/// Probes one target.
pub async fn probe(target: &Target, options: &ProbeOptions) -> Result<Probe, Error> {
    let label = target.label();
    tokio::time::timeout(options.timeout, probe_inner(target, options))
        .await
        .map_err(|_| Error::Timeout {
            target: label,
            after: options.timeout,
        })?
}

/// Probes many targets, at most `concurrency` at a time, results in input
/// order; `on_done` runs as each one finishes (for a progress bar).
pub async fn probe_many(
    targets: &[Target],
    options: &ProbeOptions,
    concurrency: usize,
    on_done: &(dyn Fn() + Sync),
) -> Vec<Result<Probe, Error>> {
    futures_util::stream::iter(targets)
        .map(|t| async move {
            let result = probe(t, options).await;
            on_done();
            result
        })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

async fn probe_inner(target: &Target, options: &ProbeOptions) -> Result<Probe, Error> {
    let label = target.label();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_name =
        ServerName::try_from(target.server_name().to_owned()).map_err(|e| Error::BadTarget {
            input: target.server_name().to_owned(),
            reason: e.to_string(),
        })?;

    let addrs: Vec<SocketAddr> = match target.connect {
        Some(addr) => vec![addr],
        // RFC 6761 §6.4: resolvers should answer these negatively at once,
        // without asking any server.
        None if target.host == "invalid" || target.host.ends_with(".invalid") => {
            return Err(Error::Resolve {
                host: target.host.clone(),
                cause: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "names under .invalid never resolve (RFC 6761)",
                ),
            });
        }
        None => tokio::net::lookup_host((target.host.as_str(), target.port))
            .await
            .map_err(|cause| Error::Resolve {
                host: target.host.clone(),
                cause,
            })?
            .collect(),
    };
    let mut last_err = None;
    let mut connected = None;
    for addr in &addrs {
        match TcpStream::connect(addr).await {
            Ok(tcp) => {
                connected = Some((tcp, *addr));
                break;
            }
            Err(e) => last_err = Some((*addr, e)),
        }
    }
    let (tcp, addr) = match (connected, last_err) {
        (Some(c), _) => c,
        (None, Some((addr, cause))) => {
            return Err(Error::Connect {
                target: label,
                addr,
                cause,
            });
        }
        (None, None) => {
            return Err(Error::Resolve {
                host: target.host.clone(),
                cause: std::io::Error::new(std::io::ErrorKind::NotFound, "no addresses"),
            });
        }
    };

    let recorder = Arc::new(AcceptAnyChain {
        algorithms: provider.signature_verification_algorithms,
    });
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls {
            target: label.clone(),
            reason: e.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(recorder)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tls = connector
        .connect(server_name.clone(), tcp)
        .await
        .map_err(|e| Error::Tls {
            target: label.clone(),
            reason: e.to_string(),
        })?;
    let (_, conn) = tls.get_ref();
    let chain: Vec<Vec<u8>> = conn
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|c| c.to_vec())
        .collect();
    let protocol = conn
        .protocol_version()
        .and_then(|v| v.as_str())
        .unwrap_or("unknown")
        .to_owned();
    if chain.is_empty() {
        return Err(Error::NoCertificates { target: label });
    }
    let verdict = judge(&chain, &server_name, &options.roots, provider);
    Ok(Probe {
        addr,
        chain,
        verdict,
        protocol,
    })
}

/// Standard WebPKI validation of a chain (DER, leaf first) for `host`, as a
/// client would do it now: the name, the path to a trusted root, validity.
/// For chains read from files as well as probed.
pub fn validate(chain: &[Vec<u8>], host: &str, roots: &Roots) -> Verdict {
    if chain.is_empty() {
        return Verdict::Untrusted("the chain is empty".to_owned());
    }
    let Ok(name) = ServerName::try_from(host.to_owned()) else {
        return Verdict::Untrusted(format!("{host:?} is not a server name"));
    };
    judge(
        chain,
        &name,
        roots,
        Arc::new(rustls::crypto::ring::default_provider()),
    )
}

/// Standard validation of a recorded chain, as a client would do it now.
fn judge(
    chain: &[Vec<u8>],
    name: &ServerName<'_>,
    roots: &Roots,
    provider: Arc<CryptoProvider>,
) -> Verdict {
    if roots.rustls.is_empty() {
        return Verdict::Untrusted("no trust anchors were loaded (--roots none)".to_owned());
    }
    let verifier =
        match WebPkiServerVerifier::builder_with_provider(roots.rustls.clone(), provider).build() {
            Ok(v) => v,
            Err(e) => return Verdict::Untrusted(format!("can't build a verifier: {e}")),
        };
    let certs: Vec<CertificateDer<'_>> = chain
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    match verifier.verify_server_cert(&certs[0], &certs[1..], name, &[], UnixTime::now()) {
        Ok(_) => Verdict::Trusted,
        Err(e) => Verdict::Untrusted(explain(&e)),
    }
}

/// rustls names some failures only by their variant; say them in words.
fn explain(err: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(cert_err) = err else {
        return err.to_string();
    };
    match cert_err {
        C::UnknownIssuer => {
            "unknown issuer: the chain does not lead to a root in the trust store".to_owned()
        }
        C::BadSignature => "a signature in the chain does not verify".to_owned(),
        C::Expired => "a certificate in the chain has expired".to_owned(),
        C::NotValidYet => "a certificate in the chain is not valid yet".to_owned(),
        C::NotValidForName => "the certificate is not valid for the server name".to_owned(),
        C::InvalidPurpose => "a certificate is not valid for TLS server authentication".to_owned(),
        C::BadEncoding => "a certificate is malformed".to_owned(),
        C::UnhandledCriticalExtension => {
            "a certificate has an unknown critical extension".to_owned()
        }
        C::Revoked => "a certificate is revoked".to_owned(),
        // webpki's own errors arrive wrapped, named by their variant.
        C::Other(other) => match other.to_string().as_str() {
            "CaUsedAsEndEntity" => {
                "the server's certificate is a CA certificate (CA used as end entity)".to_owned()
            }
            name => words(name),
        },
        other => other.to_string(),
    }
}

/// `SomeErrorName` as `some error name`.
fn words(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Accepts any certificate chain so that it can be recorded, but still checks
/// the handshake signatures: the probe must see what the server really holds.
/// Private to this crate: nothing else may connect without validation.
#[derive(Debug)]
struct AcceptAnyChain {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyChain {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
