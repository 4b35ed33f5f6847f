//! `GET/POST /api/v1/assess`: the report for the server's policy, or for a
//! posted one, with radar scores overridden.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pinwarden_assess::{Dimension, Report, assess, assess_what_if, name, radar_svg};
use pinwarden_core::policy::Policy;

use crate::problem::problem;
use crate::store::scenarios::check_radar;
use crate::{AppState, today};

/// The body of `POST /api/v1/assess`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssessRequest {
    /// A policy as TOML; the server's own when absent (never `null`).
    #[serde(default, deserialize_with = "crate::input::present")]
    policy: Option<String>,
    /// Radar scores to use instead of the facts', by dimension name.
    #[serde(default, deserialize_with = "crate::input::radar_scores")]
    radar: BTreeMap<String, u8>,
    /// Add the radar as SVG (`radar_svg`) to the answer.
    #[serde(default)]
    svg: bool,
}

pub(crate) async fn assess_loaded(State(state): State<AppState>) -> Json<Report> {
    Json(assess(&state.policy, today()))
}

pub(crate) async fn assess_posted(
    State(state): State<AppState>,
    crate::input::Body(request): crate::input::Body<AssessRequest>,
) -> Response {
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
    if let Err(e) = check_radar(&request.radar) {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string());
    }
    let overrides: Vec<(Dimension, u8)> = Dimension::ALL
        .into_iter()
        .filter_map(|d| Some((d, *request.radar.get(&name(d))?)))
        .collect();
    let report = assess_what_if(&policy, today(), &overrides);
    if !request.svg {
        return Json(report).into_response();
    }
    let svg = radar_svg(&report.radar);
    let mut value = serde_json::to_value(&report).unwrap_or_default();
    value["radar_svg"] = serde_json::Value::String(svg);
    Json(value).into_response()
}
