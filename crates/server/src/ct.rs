//! The CT monitor under `pinwarden serve`: a sink that stores alerts, the
//! latest coverage per log, and the API the CT page and scripts read.

use std::sync::{Arc, RwLock};

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use pinwarden_ct::monitor::Coverage;
use pinwarden_ct::monitor::alert::Alert;
use pinwarden_ct::monitor::notify::{BoxFuture, Sink};

use crate::input::ApiQuery;
use crate::{AppState, Store, problem};

/// What the monitor task shares with the pages.
#[derive(Debug, Default)]
pub struct CtStatus {
    coverage: RwLock<Vec<Coverage>>,
}

impl CtStatus {
    /// Records a log's coverage after a round (replacing the last one).
    pub fn update(&self, coverage: Coverage) {
        let mut all = self.coverage.write().unwrap_or_else(|e| e.into_inner());
        match all.iter_mut().find(|c| c.log_id == coverage.log_id) {
            Some(c) => *c = coverage,
            None => all.push(coverage),
        }
    }

    /// Every log's latest coverage.
    pub fn coverage(&self) -> Vec<Coverage> {
        self.coverage
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Stores alerts in the server's database.
#[derive(Debug)]
pub struct StoreSink {
    store: Store,
}

impl StoreSink {
    /// A sink writing to `store`.
    pub fn new(store: Store) -> Arc<Self> {
        Arc::new(Self { store })
    }
}

impl Sink for StoreSink {
    fn name(&self) -> String {
        "store".to_owned()
    }

    fn deliver<'a>(&'a self, alert: &'a Alert) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            self.store
                .save_ct_alert(alert, now)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertQuery {
    limit: Option<i64>,
}

/// `GET /api/v1/ct/alerts?limit=N`: newest alerts first (default 100, at most 1000).
pub(crate) async fn alerts(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> Response {
    let limit = q.limit.unwrap_or(100);
    if let Some(refused) = crate::input::out_of_range("limit", limit, 1, 1000) {
        return refused;
    }
    match state.store.ct_alerts(limit).await {
        Ok(alerts) => Json(serde_json::json!({
            "monitoring": state.ct.is_some(),
            "alerts": alerts,
        }))
        .into_response(),
        Err(e) => problem::store_failed(&e),
    }
}

/// `GET /api/v1/ct/coverage`: per log, verified size, tree head age, gaps.
pub(crate) async fn coverage(State(state): State<AppState>) -> Response {
    Json(serde_json::json!({
        "monitoring": state.ct.is_some(),
        "logs": state.ct.as_ref().map(|c| c.coverage()).unwrap_or_default(),
    }))
    .into_response()
}
