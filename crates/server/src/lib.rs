//! pinwarden-server: the HTTP side of pinwarden. So far: the assessment API
//! (`/api/v1/assess`), saved what-if scenarios, signed manifests for clients
//! (`/v1/manifests/{app}`) with an admin API for uploads and staged rollouts,
//! the OpenAPI document, and the UI pages (PKI Health Radar, applications,
//! questions, manifests, telemetry, CT alerts, full report), pin-failure
//! reports and the CT monitor's alerts and coverage.
//!
//! `request ==> policy (the loaded one, or the body's) ==> radar (+ overrides) ==> assess ==> JSON`

// The OpenAPI document is one `json!` literal per part, deeper than the
// macro's default recursion limit allows.
#![recursion_limit = "256"]

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use pinwarden_core::policy::Policy;

mod assess_api;
pub mod ct;
mod headers;
mod input;
pub mod listen;
mod manifest_api;
pub mod manifests;
pub(crate) mod metrics;
mod openapi;
mod pages;
mod problem;
mod scenarios_api;
pub mod source;
pub mod store;
pub mod telemetry;

pub use manifests::Manifests;
pub use store::Store;
pub use telemetry::{Telemetry, TelemetryConfig};

/// What the server serves from.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The organisation's policy.
    pub policy: Arc<Policy>,
    /// Where the policy came from, for people (a file name).
    pub policy_name: Arc<str>,
    /// The database.
    pub store: Store,
    /// Signed manifests and their rollouts.
    pub manifests: Arc<Manifests>,
    /// The admin API's bearer token; without one the admin API is off.
    pub admin_token: Option<Arc<str>>,
    /// Report ingestion; without it `/v1/reports` answers 503.
    pub telemetry: Option<Arc<Telemetry>>,
    /// The CT monitor's status, when one runs under this server.
    pub ct: Option<Arc<ct::CtStatus>>,
    /// Proxies whose `X-Forwarded-For` names the client (load balancers in
    /// front of the replicas); anyone else's is ignored.
    pub trusted_proxies: Arc<[source::Cidr]>,
}

/// The router of every endpoint.
pub fn router(state: AppState) -> Router {
    let admin = Router::new()
        .route(
            "/v1/admin/manifests/{app}",
            get(manifest_api::versions).put(manifest_api::upload),
        )
        .route(
            "/v1/admin/rollouts/{app}",
            get(manifest_api::rollout_status).post(manifest_api::change_rollout),
        )
        .layer(axum::extract::DefaultBodyLimit::max(
            pinwarden_manifest::MAX_ENVELOPE_BYTES,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            manifest_api::require_token,
        ));
    Router::new()
        .merge(admin)
        .route("/v1/manifests/{app}", get(manifest_api::get_manifest))
        .route(
            "/v1/reports",
            axum::routing::post(telemetry::api::post_report),
        )
        .route(
            "/v1/reports/{app}",
            axum::routing::post(telemetry::api::post_app_report),
        )
        .route("/api/v1/reports/summary", get(telemetry::api::summary))
        .route("/api/v1/reports", get(telemetry::api::samples))
        .route("/metrics", get(telemetry::api::metrics_text))
        .route("/api/v1/ct/alerts", get(ct::alerts))
        .route("/api/v1/ct/coverage", get(ct::coverage))
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
        .layer(axum::middleware::map_response(
            problem::every_error_a_problem,
        ))
        // Outermost, so no answer leaves without them.
        .layer(axum::middleware::map_response(headers::secure))
        .with_state(state)
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}
