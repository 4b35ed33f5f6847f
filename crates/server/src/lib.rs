//! pinwarden-server: the HTTP side of pinwarden. So far: the assessment API
//! (`/api/v1/assess`), its OpenAPI document, and a page with the report.
//!
//! `request ==> policy (the loaded one, or the body's) ==> radar (+ overrides) ==> assess ==> JSON`

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use pinwarden_assess::{Dimension, Report, assess_with, name, radar, report_html};
use pinwarden_core::policy::Policy;

mod openapi;

/// What the server serves from.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The organisation's policy.
    pub policy: Arc<Policy>,
}

/// The router of every endpoint.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/api/v1/assess", get(assess_loaded).post(assess_posted))
        .route(
            "/api/openapi.json",
            get(|| async { Json(openapi::document()) }),
        )
        .with_state(state)
}

/// The body of `POST /api/v1/assess`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessRequest {
    /// A policy as TOML; the server's own when absent.
    policy: Option<String>,
    /// Radar scores to use instead of the facts', by dimension name.
    #[serde(default)]
    radar: HashMap<String, u8>,
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

async fn assess_loaded(State(state): State<AppState>) -> Json<Report> {
    let radar = radar(&state.policy, today());
    Json(assess_with(&state.policy, radar, today()))
}

async fn assess_posted(
    State(state): State<AppState>,
    body: Result<Json<AssessRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let request = match body {
        Ok(Json(r)) => r,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("the body is not a valid request: {e}"),
            );
        }
    };
    let policy = match &request.policy {
        Some(text) => match Policy::parse(text) {
            Ok(p) => Arc::new(p),
            Err(problems) => {
                let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
                return problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &format!("policy: {}", lines.join("; ")),
                );
            }
        },
        None => Arc::clone(&state.policy),
    };
    let mut radar = radar(&policy, today());
    for (wanted, value) in &request.radar {
        let Some(dimension) = Dimension::ALL.into_iter().find(|d| name(d) == *wanted) else {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("unknown radar dimension {wanted:?}"),
            );
        };
        if *value > 100 {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("{wanted} = {value}: scores run from 0 to 100"),
            );
        }
        radar.set(dimension, *value);
    }
    Json(assess_with(&policy, radar, today())).into_response()
}

/// An error as JSON, with a reason a person can act on.
fn problem(status: StatusCode, detail: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        Json(serde_json::json!({ "status": status.as_u16(), "detail": detail })),
    )
        .into_response()
}

async fn index(State(state): State<AppState>) -> Html<String> {
    Html(report_html(&assess_with(
        &state.policy,
        radar(&state.policy, today()),
        today(),
    )))
}
