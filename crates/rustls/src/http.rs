//! The HTTPS client for manifests and reports: standard WebPKI validation
//! with the given roots, never pinned (a pinning mistake must not also cut
//! off the channel that fixes it or reports it).
//!
//! That channel is not trusted for anything but delivery: manifests are
//! verified by signature, and whoever answers may be an attacker. So bodies
//! are read up to a cap, no `Referer` is sent, and redirects are followed
//! only within the URL's own origin (scheme, host and port), so the client
//! id and cohort headers never reach another host, or not at all (reports:
//! a 307 must not re-send a report body elsewhere).

use std::sync::Arc;

use rustls::RootCertStore;

/// Which redirects to follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Redirects {
    /// Up to 5, each to the same origin as the first URL.
    SameOrigin,
    /// None: a 3xx answer is the answer.
    None,
}

/// A reqwest client over rustls with `roots`.
pub(crate) fn client(
    roots: Arc<RootCertStore>,
    redirects: Redirects,
) -> Result<reqwest::Client, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let policy = match redirects {
        Redirects::None => reqwest::redirect::Policy::none(),
        Redirects::SameOrigin => reqwest::redirect::Policy::custom(|attempt| {
            let first = attempt.previous().first().map(reqwest::Url::origin);
            if attempt.previous().len() > 5 {
                attempt.error("more than 5 redirects")
            } else if first.as_ref() == Some(&attempt.url().origin()) {
                attempt.follow()
            } else {
                let to = attempt.url().origin().ascii_serialization();
                attempt.error(format!(
                    "a redirect to another origin ({to}) is not followed"
                ))
            }
        }),
    };
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(policy)
        .referer(false)
        .timeout(std::time::Duration::from_secs(30))
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())
}

/// Reads `response`'s body, refusing one longer than `cap` bytes before
/// holding more than that in memory (a declared length over the cap is
/// refused before reading).
pub(crate) async fn body_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, String> {
    if let Some(declared) = response.content_length()
        && declared > cap as u64
    {
        return Err(format!(
            "{declared} bytes declared, over the {cap}-byte limit"
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > cap {
            return Err(format!("over the {cap}-byte limit"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An error and its causes, as one line: reqwest's own message leaves out
/// why (a refused redirect, a TLS failure).
pub(crate) fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}
