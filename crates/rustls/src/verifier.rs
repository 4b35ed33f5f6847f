//! The verifier: WebPKI validation, then a pin match on the validated chain.
//!
//! For a pinned host the path is built by webpki with a callback that checks
//! each candidate path's keys against the pin set, so a chain that validates
//! through some other CA while the pinned CA's (public) certificate rides
//! along unused never passes, and when the server offers several paths (a
//! cross-signed root, say) the one that matches the pins is found. rustls'
//! own `WebPkiServerVerifier` can't say which path it validated, so pinned
//! hosts are validated here with the same webpki calls; unpinned hosts are
//! handed to it unchanged.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use pinwarden_core::{PinSet, SpkiPin};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::PinStore;
use crate::errors::pki_error;
use crate::reporter::{PinFailure, Reporter};

/// A chain that validated but whose keys match none of the host's pins.
/// Its `Debug` is its message, since rustls shows the cause with `{:?}`.
#[derive(Clone)]
pub struct PinMismatch {
    /// The host.
    pub host: String,
    /// The pin set that applied.
    pub pin_set: String,
    /// The keys of the validated chain, leaf first.
    pub saw: Vec<SpkiPin>,
}

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let saw: Vec<String> = self.saw.iter().map(ToString::to_string).collect();
        write!(
            f,
            "pin mismatch for {}: the validated chain's keys [{}] match none of pin set {:?}",
            self.host,
            saw.join(", "),
            self.pin_set
        )
    }
}

impl fmt::Debug for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for PinMismatch {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Enforce,
    ReportOnly,
}

/// A rustls verifier that enforces the pins of a [`PinStore`].
#[derive(Debug)]
pub struct PinningVerifier {
    inner: Arc<WebPkiServerVerifier>,
    roots: Arc<RootCertStore>,
    algorithms: WebPkiSupportedAlgorithms,
    pins: PinStore,
    reporter: Option<Reporter>,
    port: u16,
    mode: Mode,
}

/// A report-only verifier: mismatches are reported to `reporter`,
/// connections go on. It takes the reporter because a report-only verifier
/// without one would accept everything and tell no one.
pub fn report_only(
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
    pins: PinStore,
    reporter: Reporter,
) -> Result<PinningVerifier, rustls::client::VerifierBuilderError> {
    let mut v = PinningVerifier::new(roots, provider, pins)?.with_reporter(reporter);
    v.mode = Mode::ReportOnly;
    Ok(v)
}

/// What the path callback found.
struct Outcome {
    matched: bool,
    /// Keys of the last validated path that failed the pins.
    saw: Vec<SpkiPin>,
    /// The certificates of that path, leaf first.
    chain: Vec<Vec<u8>>,
}

impl PinningVerifier {
    /// Verifies against `roots` with `provider`'s algorithms, enforcing the
    /// pins `pins` holds (whatever they are at each handshake).
    pub fn new(
        roots: Arc<RootCertStore>,
        provider: Arc<CryptoProvider>,
        pins: PinStore,
    ) -> Result<Self, rustls::client::VerifierBuilderError> {
        let algorithms = provider.signature_verification_algorithms;
        let inner =
            WebPkiServerVerifier::builder_with_provider(Arc::clone(&roots), provider).build()?;
        Ok(Self {
            inner,
            roots,
            algorithms,
            pins,
            reporter: None,
            port: 443,
            mode: Mode::Enforce,
        })
    }

    /// Sends a report for every mismatch.
    #[must_use]
    pub fn with_reporter(mut self, reporter: Reporter) -> Self {
        self.reporter = Some(reporter);
        self
    }

    /// The port reports name (rustls doesn't tell a verifier; 443 by default).
    #[must_use]
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The pins this verifier enforces.
    pub fn pins(&self) -> &PinStore {
        &self.pins
    }

    /// A rustls client configuration around this verifier, safe against
    /// resumption: sessions are forgotten whenever the pins change
    /// ([`crate::PinAwareSessions`]) and early data (0-RTT, sent before the
    /// server's certificate is seen) is off. Build a configuration by hand
    /// only with the same two settings.
    ///
    /// # Errors
    /// When `provider` supports no safe protocol version.
    pub fn client_config(
        self: Arc<Self>,
        provider: Arc<CryptoProvider>,
    ) -> Result<rustls::ClientConfig, rustls::Error> {
        let sessions = Arc::new(crate::PinAwareSessions::new(self.pins.clone()));
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(self)
            .with_no_client_auth();
        config.resumption = rustls::client::Resumption::store(sessions);
        config.enable_early_data = false;
        Ok(config)
    }

    fn check_pinned(
        &self,
        set: &PinSet,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<Option<Outcome>, rustls::Error> {
        let ee = webpki::EndEntityCert::try_from(end_entity).map_err(pki_error)?;
        let outcome = RefCell::new(Outcome {
            matched: false,
            saw: Vec::new(),
            chain: Vec::new(),
        });
        let check = |path: &webpki::VerifiedPath<'_>| -> Result<(), webpki::Error> {
            let mut keys = vec![SpkiPin::from_spki_der(
                path.end_entity().subject_public_key_info().as_ref(),
            )];
            keys.extend(
                path.intermediate_certificates()
                    .map(|c| SpkiPin::from_spki_der(c.subject_public_key_info().as_ref())),
            );
            keys.push(SpkiPin::from_spki_der(
                webpki::spki_for_anchor(path.anchor()).as_ref(),
            ));
            if keys.iter().any(|k| set.pins.iter().any(|p| p.pin == *k)) {
                outcome.borrow_mut().matched = true;
                return Ok(());
            }
            let mut o = outcome.borrow_mut();
            o.chain = std::iter::once(path.end_entity().der().to_vec())
                .chain(path.intermediate_certificates().map(|c| c.der().to_vec()))
                .collect();
            o.saw = keys;
            // Any error: webpki goes on to the next candidate path.
            Err(webpki::Error::UnknownIssuer)
        };
        let validated = ee.verify_for_usage(
            self.algorithms.all,
            &self.roots.roots,
            intermediates,
            now,
            webpki::KeyUsage::server_auth(),
            None,
            Some(&check),
        );
        let outcome = outcome.into_inner();
        match validated {
            Ok(_) => {}
            // A path validated but no path matched the pins.
            Err(_) if !outcome.saw.is_empty() => {
                ee.verify_is_valid_for_subject_name(server_name)
                    .map_err(pki_error)?;
                return Ok(Some(outcome));
            }
            Err(e) => return Err(pki_error(e)),
        }
        ee.verify_is_valid_for_subject_name(server_name)
            .map_err(pki_error)?;
        debug_assert!(outcome.matched);
        Ok(None)
    }
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let host = match server_name {
            ServerName::DnsName(name) => name.as_ref().to_owned(),
            ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
            _ => String::new(),
        };
        let active = self.pins.current();
        let Some((set, pattern)) = active.resolve(&host) else {
            return self.inner.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            );
        };
        let Some(mismatch) = self.check_pinned(set, end_entity, intermediates, server_name, now)?
        else {
            return Ok(ServerCertVerified::assertion());
        };
        // An expired set is no longer enforced, as on Android and TrustKit:
        // its mismatches are reported, the connection goes on (a pin set
        // forgotten for years must not lock out clients that never update).
        let today = time::OffsetDateTime::from_unix_timestamp(
            i64::try_from(now.as_secs()).unwrap_or(i64::MAX),
        )
        .map_or(time::Date::MAX, time::OffsetDateTime::date);
        let enforce = set.enforce && self.mode == Mode::Enforce && !set.expired_on(today);
        if let Some(reporter) = &self.reporter {
            reporter.report(PinFailure {
                host: host.clone(),
                port: self.port,
                noted_hostname: pattern.to_string(),
                include_subdomains: set.include_subdomains,
                enforce,
                chain_der: mismatch.chain,
                known_pins: set.pins.iter().map(|p| p.pin).collect(),
                manifest_version: active.manifest_version(),
                cohort: active.cohort,
                report_uri: set.report_uri.clone().or_else(|| active.report_uri.clone()),
            });
        }
        if !enforce {
            return Ok(ServerCertVerified::assertion());
        }
        Err(
            CertificateError::Other(rustls::OtherError(Arc::new(PinMismatch {
                host,
                pin_set: set.id.clone(),
                saw: mismatch.saw,
            })))
            .into(),
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
