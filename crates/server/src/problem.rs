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

/// axum answers a method a route doesn't take with an empty 405 (and adds
/// its `Allow` header further out): give it a problem body too.
pub(crate) async fn method_not_allowed(response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let mut out = problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "this endpoint doesn't take that method: the Allow header lists those it takes",
    );
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}
