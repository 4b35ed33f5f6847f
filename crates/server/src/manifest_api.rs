//! `GET /v1/manifests/{app}` for clients, and the admin API under
//! `/v1/admin/` (bearer token; off without one).

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};

use crate::AppState;
use crate::manifests::{ROLLOUT_HEADER, Refusal, valid_app};
use crate::problem::{problem, store_failed};

fn refused(r: &Refusal) -> Response {
    problem(r.status, &r.detail)
}

fn bad_app(app: &str) -> Option<Response> {
    (!valid_app(app)).then(|| {
        problem(
            StatusCode::BAD_REQUEST,
            &format!("app {app:?}: letters, digits, '-', '_' and '.' only, at most 128"),
        )
    })
}

/// Whether an `If-None-Match` header names `etag` (or is `*`).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

pub(crate) async fn get_manifest(
    State(state): State<AppState>,
    Path(app): Path<String>,
    request: Request,
) -> Response {
    let headers = request.headers();
    let Some(served) = state.manifests.served(&app) else {
        return problem(
            StatusCode::NOT_FOUND,
            &format!("no manifest for app {app:?}"),
        );
    };
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let (Some(client), Some(cohort)) = (
        header_text("pinwarden-client"),
        header_text("pinwarden-cohort").and_then(|c| c.parse::<u8>().ok()),
    ) {
        // Without the peer's address (a server that doesn't record it) all
        // clients count as one unknown source.
        let source = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(
                || "-".to_owned(),
                |ConnectInfo(peer)| {
                    crate::source::request_source(*peer, headers, &state.trusted_proxies)
                },
            );
        state
            .manifests
            .note_client(&app, served.version, client, cohort, &source);
    }
    let mut out = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&served.etag) {
        out.insert(header::ETAG, v);
    }
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    if let Some(p) = served.rollout {
        out.insert(ROLLOUT_HEADER, HeaderValue::from(p));
    }
    if not_modified(headers, &served.etag) {
        return (StatusCode::NOT_MODIFIED, out).into_response();
    }
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    (out, Bytes::from_owner(served.body)).into_response()
}

/// Lets a request through only with the configured bearer token.
pub(crate) async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = &state.admin_token else {
        return problem(
            StatusCode::FORBIDDEN,
            "the admin API is off: start the server with --admin-token-file FILE or PINWARDEN_ADMIN_TOKEN",
        );
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compare digests, so the time taken says nothing about the token.
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    let differ = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    if given.is_empty() || differ != 0 {
        let mut response = problem(StatusCode::UNAUTHORIZED, "a valid bearer token is required");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"pinwarden admin\""),
        );
        return response;
    }
    next.run(request).await
}

pub(crate) async fn upload(
    State(state): State<AppState>,
    Path(app): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(r) = bad_app(&app) {
        return r;
    }
    match state.manifests.upload(&state.store, &app, &body).await {
        Ok(new) => {
            let served = state.manifests.served(&app);
            let version = served.map(|s| s.version);
            let status = if new {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (
                status,
                Json(serde_json::json!({ "app": app, "version": version, "new": new })),
            )
                .into_response()
        }
        Err(r) => refused(&r),
    }
}

pub(crate) async fn versions(State(state): State<AppState>, Path(app): Path<String>) -> Response {
    if let Some(r) = bad_app(&app) {
        return r;
    }
    match state.store.manifests(&app).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => store_failed(&e),
    }
}

/// The body of `POST /v1/admin/rollouts/{app}`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RolloutRequest {
    action: String,
    #[serde(default, deserialize_with = "crate::input::percentage")]
    percentage: Option<u8>,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn change_rollout(
    State(state): State<AppState>,
    Path(app): Path<String>,
    crate::input::Body(request): crate::input::Body<RolloutRequest>,
) -> Response {
    if let Some(r) = bad_app(&app) {
        return r;
    }
    if request.reason.chars().count() > 500 {
        return problem(
            StatusCode::BAD_REQUEST,
            "the body is not a valid request: reason: at most 500 characters",
        );
    }
    let reason = if request.reason.is_empty() {
        "by an operator".to_owned()
    } else {
        request.reason
    };
    match state
        .manifests
        .rollout(
            &state.store,
            &app,
            &request.action,
            request.percentage,
            &reason,
        )
        .await
    {
        Ok(s) => Json(s).into_response(),
        Err(r) => refused(&r),
    }
}

pub(crate) async fn rollout_status(
    State(state): State<AppState>,
    Path(app): Path<String>,
) -> Response {
    if let Some(r) = bad_app(&app) {
        return r;
    }
    let rollout = match state.store.rollouts().await {
        Ok(all) => all.into_iter().find(|r| r.app == app),
        Err(e) => return store_failed(&e),
    };
    match state.store.rollout_events(&app).await {
        Ok(events) => {
            Json(serde_json::json!({ "rollout": rollout, "events": events })).into_response()
        }
        Err(e) => store_failed(&e),
    }
}
