//! pinwarden-server: the HTTP side of pinwarden. So far: the assessment API
//! (`/api/v1/assess`), saved what-if scenarios, the OpenAPI document, and the
//! UI pages (PKI Health Radar, applications, questions, full report).
//!
//! `request ==> policy (the loaded one, or the body's) ==> radar (+ overrides) ==> assess ==> JSON`

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use pinwarden_core::policy::Policy;

mod assess_api;
mod openapi;
mod pages;
mod problem;
mod scenarios_api;
pub mod store;

pub use store::Store;

/// What the server serves from.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The organisation's policy.
    pub policy: Arc<Policy>,
    /// Where the policy came from, for people (a file name).
    pub policy_name: Arc<str>,
    /// The database.
    pub store: Store,
}

/// The router of every endpoint.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .route(
            "/api/v1/assess",
            get(assess_api::assess_loaded).post(assess_api::assess_posted),
        )
        .route("/api/v1/scenarios", get(scenarios_api::list))
        .route(
            "/api/v1/scenarios/{name}",
            get(scenarios_api::one)
                .put(scenarios_api::save)
                .delete(scenarios_api::delete),
        )
        .route("/api/openapi.json", get(openapi::serve))
        .fallback(|| async {
            problem::problem(
                axum::http::StatusCode::NOT_FOUND,
                "no such page or endpoint",
            )
        })
        .with_state(state)
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}
