//! Errors as RFC 9457 problem documents.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error as JSON, with a reason a person can act on.
pub(crate) fn problem(status: StatusCode, detail: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        Json(serde_json::json!({ "status": status.as_u16(), "detail": detail })),
    )
        .into_response()
}

/// A request body that isn't the JSON the endpoint takes.
pub(crate) fn bad_body(e: &axum::extract::rejection::JsonRejection) -> Response {
    problem(
        StatusCode::BAD_REQUEST,
        &format!("the body is not a valid request: {}", e.body_text()),
    )
}

/// The database failed: say so without the details (they may name the
/// server's internals); the server's log has them.
pub(crate) fn store_failed(e: &crate::store::StoreError) -> Response {
    eprintln!("pinwarden: {e}");
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "the database failed; the server's log says why",
    )
}

/// Every error answer is a problem document, whoever made it (issue 15):
/// axum's own rejections are plain text (a path segment that isn't UTF-8,
/// a body over the limit) and its 405 is empty. They get a problem body
/// with their text as the detail and keep their other headers (the 405's
/// `Allow`, which axum adds on the way out).
pub(crate) async fn every_error_a_problem(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (parts, body) = response.into_parts();
    let detail = if status == StatusCode::METHOD_NOT_ALLOWED {
        "this endpoint doesn't take that method: the Allow header lists those it takes".to_owned()
    } else {
        // axum's rejection texts are a line; anything longer or not text
        // is left out rather than read further.
        axum::body::to_bytes(body, 4096)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned())
    };
    let mut out = problem(status, &detail);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}
