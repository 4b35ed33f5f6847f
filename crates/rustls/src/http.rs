//! The HTTPS client for manifests and reports: standard WebPKI validation
//! with the given roots, never pinned (a pinning mistake must not also cut
//! off the channel that fixes it or reports it).

use std::sync::Arc;

use rustls::RootCertStore;

/// A reqwest client over rustls with `roots`.
pub(crate) fn client(roots: Arc<RootCertStore>) -> Result<reqwest::Client, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(std::time::Duration::from_secs(30))
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())
}
