//! Trust anchors for validation verdicts and for completing chains.

use std::sync::Arc;

use pinwarden_core::{Certificate, TrustStore};
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;

use crate::error::Error;

/// Where trust anchors come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RootSource {
    /// Mozilla's roots as compiled into pinwarden (webpki-roots): reproducible.
    Webpki,
    /// The operating system's store.
    System,
    /// A PEM or DER file of root certificates.
    File(String),
    /// No roots: nothing validates and no chain is completed.
    None,
}

impl RootSource {
    /// Reads `webpki`, `system`, `none`, or anything else as a file path.
    pub fn parse(text: &str) -> Self {
        match text {
            "webpki" | "mozilla" => Self::Webpki,
            "system" => Self::System,
            "none" => Self::None,
            path => Self::File(path.to_owned()),
        }
    }
}

/// Trust anchors in the two forms pinwarden needs: rustls' for validation,
/// pinwarden-core's for completing chains.
#[derive(Clone, Debug)]
pub struct Roots {
    /// For the standard-validation verdict.
    pub rustls: Arc<RootCertStore>,
    /// For completing chains with their root.
    pub store: Arc<TrustStore>,
}

impl Roots {
    /// Loads the anchors from `source`.
    pub fn load(source: &RootSource) -> Result<Self, Error> {
        match source {
            RootSource::Webpki => Ok(Self {
                rustls: Arc::new(RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                }),
                store: Arc::new(TrustStore::webpki_roots()),
            }),
            RootSource::System => {
                let found = rustls_native_certs::load_native_certs();
                Ok(Self::from_ders(
                    "system store",
                    found.certs.into_iter().map(|c| c.to_vec()).collect(),
                ))
            }
            RootSource::File(path) => {
                let bytes = std::fs::read(path).map_err(|e| Error::Roots {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                let decoded = pinwarden_core::decode(&bytes).map_err(|e| Error::Roots {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                if let Some(err) = decoded.errors.first() {
                    return Err(Error::Roots {
                        path: path.clone(),
                        reason: err.to_string(),
                    });
                }
                let ders: Vec<Vec<u8>> = decoded
                    .certificates
                    .iter()
                    .map(|c| c.der().to_vec())
                    .collect();
                if ders.is_empty() {
                    return Err(Error::Roots {
                        path: path.clone(),
                        reason: "no certificates in it".to_owned(),
                    });
                }
                Ok(Self::from_ders(path, ders))
            }
            RootSource::None => Ok(Self {
                rustls: Arc::new(RootCertStore::empty()),
                store: Arc::new(TrustStore::empty()),
            }),
        }
    }

    fn from_ders(name: &str, ders: Vec<Vec<u8>>) -> Self {
        let mut rustls = RootCertStore::empty();
        let mut certs = Vec::with_capacity(ders.len());
        for (i, der) in ders.into_iter().enumerate() {
            // Stores sometimes hold certificates one parser accepts and the
            // other doesn't; each keeps what it can use.
            let _ = rustls.add(CertificateDer::from(der.clone()));
            if let Ok(cert) = Certificate::from_der(&der, i + 1) {
                certs.push(cert);
            }
        }
        Self {
            rustls: Arc::new(rustls),
            store: Arc::new(TrustStore::from_certificates(name, certs)),
        }
    }
}
