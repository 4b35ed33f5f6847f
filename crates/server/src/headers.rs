//! Headers on every answer, whatever made it (a page, the API, a static
//! file, an error, axum's own 404 or 405): issue 15.
//!
//! - `Content-Security-Policy`: scripts, styles and everything else from
//!   this server only, no inline script or style (the pages keep theirs in
//!   `/static`), no plugins, no `<base>`, forms post here, and no framing
//!   (`frame-ancestors`, which answers clickjacking).
//! - `X-Content-Type-Options: nosniff`: a browser takes the content type as
//!   given, so an uploaded envelope or a problem document is never run as
//!   script.
//! - `Referrer-Policy: no-referrer`: links out of the pages don't tell other
//!   sites which app, version or report was being looked at.
//! - `X-Frame-Options: DENY`, for browsers older than `frame-ancestors`.

use axum::http::header::{self, HeaderName};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;

/// The policy of every answer. The directives `default-src` already covers
/// are written out, so a reader sees what scripts and styles may do.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The headers, as a table; an answer written outside the router (the
/// listener's own refusals) takes them from here too.
pub(crate) const HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// Sets the headers on `response`, replacing any a handler set.
pub(crate) async fn secure(mut response: Response) -> Response {
    set(response.headers_mut());
    response
}

/// Sets the headers in `headers`, replacing any there.
pub(crate) fn set(headers: &mut HeaderMap) {
    for (name, value) in HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
}
