//! `/api/v1/scenarios`: what-if radar scores saved by name.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::problem::{problem, store_failed};
use crate::store::Scenario;

/// The body of `PUT /api/v1/scenarios/{name}`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SaveRequest {
    #[serde(deserialize_with = "crate::input::radar_scores")]
    radar: BTreeMap<String, u8>,
}

pub(crate) async fn list(State(state): State<AppState>) -> Response {
    match state.store.scenarios().await {
        Ok(all) => Json(all).into_response(),
        Err(e) => store_failed(&e),
    }
}

pub(crate) async fn one(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    match state.store.scenarios().await {
        Ok(all) => match all.into_iter().find(|s| s.name == name) {
            Some(s) => Json(s).into_response(),
            None => problem(StatusCode::NOT_FOUND, &format!("no scenario {name:?}")),
        },
        Err(e) => store_failed(&e),
    }
}

pub(crate) async fn save(
    State(state): State<AppState>,
    Path(name): Path<String>,
    crate::input::Body(request): crate::input::Body<SaveRequest>,
) -> Response {
    let scenario = Scenario {
        name,
        radar: request.radar,
        saved_at: time::OffsetDateTime::now_utc().unix_timestamp(),
    };
    if let Err(e) = scenario.check() {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string());
    }
    match state.store.save_scenario(&scenario).await {
        Ok(()) => Json(scenario).into_response(),
        Err(e) => store_failed(&e),
    }
}

pub(crate) async fn delete(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    match state.store.delete_scenario(&name).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => problem(StatusCode::NOT_FOUND, &format!("no scenario {name:?}")),
        Err(e) => store_failed(&e),
    }
}
