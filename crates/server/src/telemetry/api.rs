//! `POST /v1/reports[/{app}]`, the aggregates under `/api/v1/reports`, and
//! `/metrics`.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pinwarden_core::report::{
    ClientTime, FailureClass, MAX_REPORT_BYTES, Note, PinReport, Platform, classify, parse_report,
};
use sha2::{Digest as _, Sha256};

use super::{Limited, Refused, Submit};
use crate::AppState;
use crate::input::ApiQuery;
use crate::problem::{problem, store_failed};
use crate::store::{NewReport, ReportFilter};

fn reject(status: StatusCode, reason: &'static str, detail: &str) -> Response {
    metrics::counter!("pinwarden_reports_rejected_total", "reason" => reason).increment(1);
    problem(status, detail)
}

fn retry_after(mut response: Response, seconds: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// What makes two reports the same failure: SHA-256 over the fields that
/// say so, each length-prefixed (or marked absent) so that no two different
/// reports hash the same bytes. Hashed field by field rather than through a
/// JSON rendering, which cost more than the hash (bench/BENCHMARKS.md).
///
/// The class is part of it: it depends on more than these fields (the
/// client's `date-time`, the policy), and a repeat is counted on the first
/// report's row, class and all. Without it one future-dated report, counted
/// on the row of three interception reports or first of them in the
/// window, had them all shown as `clock-skew` (issue 15).
fn fingerprint(app: Option<&str>, r: &PinReport, class: FailureClass, source: &str) -> String {
    fn field(h: &mut Sha256, bytes: Option<&[u8]>) {
        match bytes {
            Some(b) => {
                h.update([1]);
                h.update((b.len() as u64).to_be_bytes());
                h.update(b);
            }
            None => h.update([0]),
        }
    }
    let mut h = Sha256::new();
    field(&mut h, app.map(str::as_bytes));
    field(&mut h, Some(r.host.as_bytes()));
    // An unknown port hashes as absent; a known one as before.
    field(
        &mut h,
        r.port.map(u16::to_be_bytes).as_ref().map(|b| &b[..]),
    );
    field(&mut h, Some(r.format.to_string().as_bytes()));
    field(&mut h, r.app_version.as_deref().map(str::as_bytes));
    field(
        &mut h,
        r.manifest_version
            .map(u64::to_be_bytes)
            .as_ref()
            .map(|b| &b[..]),
    );
    field(&mut h, r.cohort.map(|c| [c]).as_ref().map(|b| &b[..]));
    field(
        &mut h,
        r.enforced.map(|e| [u8::from(e)]).as_ref().map(|b| &b[..]),
    );
    h.update((r.chain.len() as u64).to_be_bytes());
    for c in &r.chain {
        h.update(c.pin.as_bytes());
    }
    h.update((r.known_pins.len() as u64).to_be_bytes());
    for pin in &r.known_pins {
        h.update(pin.as_bytes());
    }
    // A report the rollout guard counts (it names a cohort) stays apart per
    // network: the guard needs failures from several sources, so the same
    // failure from two networks is two rows, not one counted twice.
    field(&mut h, r.cohort.map(|_| source.as_bytes()));
    field(&mut h, Some(class.as_str().as_bytes()));
    // 128 bits: plenty to tell failures apart (PostgreSQL's unique index
    // holds all of them; SQLite's writer keys its memory on the first 64).
    let digest = h.finalize();
    let mut hex = String::with_capacity(32);
    for b in &digest[..16] {
        for nibble in [b >> 4, b & 0x0f] {
            hex.push(char::from(b"0123456789abcdef"[usize::from(nibble)]));
        }
    }
    hex
}

/// The answer to an accepted report.
#[derive(serde::Serialize)]
struct Accepted<'a> {
    class: FailureClass,
    reason: &'a str,
    duplicate: bool,
    /// The platform, normalised.
    platform: Platform,
    /// What was done with the report's quirks.
    notes: &'a [Note],
}

pub(crate) async fn post_report(State(state): State<AppState>, request: Request) -> Response {
    ingest(state, None, request).await
}

pub(crate) async fn post_app_report(
    State(state): State<AppState>,
    Path(app): Path<String>,
    request: Request,
) -> Response {
    if !crate::manifests::valid_app(&app) {
        return reject(
            StatusCode::BAD_REQUEST,
            "app",
            &format!("app {app:?}: letters, digits, '-', '_' and '.' only, at most 128"),
        );
    }
    ingest(state, Some(app), request).await
}

async fn ingest(state: AppState, app: Option<String>, request: Request) -> Response {
    let Some(telemetry) = state.telemetry.clone() else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "telemetry is not running on this server",
        );
    };
    // The client's address (behind trusted proxies, the one they forward)
    // and the network it counts as for the rate limits.
    let (client_ip, source) = match request.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(peer)) => {
            let ip = crate::source::client_ip(*peer, request.headers(), &state.trusted_proxies);
            (Some(ip.to_string()), crate::source::source_of(ip))
        }
        None => (None, "-".to_owned()),
    };
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_REPORT_BYTES).await else {
        return reject(
            StatusCode::PAYLOAD_TOO_LARGE,
            "size",
            &format!("a report is at most {MAX_REPORT_BYTES} bytes"),
        );
    };
    let report = match parse_report(&body) {
        Ok(r) => r,
        Err(e) => return reject(StatusCode::BAD_REQUEST, "invalid", &format!("report: {e}")),
    };
    let app = app.or_else(|| report.app.clone());
    if let Err(limited) = telemetry
        .limiter
        .take(&source, app.as_deref().unwrap_or(&report.host))
    {
        let (reason, detail, wait) = match limited {
            Limited::App(wait) => (
                "rate",
                "too many reports from this source for this app; slow down",
                wait,
            ),
            Limited::Source(wait) => (
                "source-rate",
                "too many reports from this network, all apps and hosts together; slow down",
                wait,
            ),
        };
        return retry_after(reject(StatusCode::TOO_MANY_REQUESTS, reason, detail), wait);
    }
    let now = time::OffsetDateTime::now_utc();
    let class = classify(&report, &state.policy, now);
    let new = NewReport {
        fingerprint: fingerprint(app.as_deref(), &report, class.class, &source),
        received_at: now.unix_timestamp(),
        app,
        // The store keeps 0 for a port the client didn't know.
        port: i64::from(report.port.unwrap_or(0)),
        format: report.format.to_string(),
        manifest_version: report.manifest_version.and_then(|v| i64::try_from(v).ok()),
        cohort: report.cohort.map(i64::from),
        class: class.class.as_str().to_owned(),
        reason: class.reason.clone(),
        validation_result: report.validation_result,
        enforced: report.enforced,
        chain: serde_json::to_string(&report.chain).unwrap_or_else(|_| "[]".into()),
        known_pins: serde_json::to_string(&report.known_pins).unwrap_or_else(|_| "[]".into()),
        // A time in an unknown zone is no instant: its note keeps the text.
        client_time: report
            .client_time
            .and_then(ClientTime::instant)
            .map(time::OffsetDateTime::unix_timestamp),
        notes: serde_json::to_string(&report.notes).unwrap_or_else(|_| "[]".into()),
        source: Some(source.clone()),
        client_ip: client_ip.filter(|_| telemetry.config.store_client_ip),
        // Moved, not copied: only the platform and notes are read after
        // this, for the answer.
        host: report.host,
        app_version: report.app_version,
        platform: Some(report.platform.as_str().to_owned()),
    };
    match telemetry.submit(new, source).await {
        Ok(duplicate) => {
            telemetry.counters.accepted.increment(1);
            if duplicate {
                telemetry.counters.deduplicated.increment(1);
            }
            (
                StatusCode::ACCEPTED,
                Json(Accepted {
                    class: class.class,
                    reason: &class.reason,
                    duplicate,
                    platform: report.platform,
                    notes: &report.notes,
                }),
            )
                .into_response()
        }
        Err(Submit::Refused(Refused::Source(wait))) => retry_after(
            reject(
                StatusCode::TOO_MANY_REQUESTS,
                "source-new-failures",
                "too many new distinct failures from this network; repeats of known ones are still counted",
            ),
            wait,
        ),
        Err(Submit::Refused(Refused::Server(wait))) => retry_after(
            reject(
                StatusCode::SERVICE_UNAVAILABLE,
                "new-failures",
                "the server has stored its limit of new distinct failures this minute; retry later",
            ),
            wait,
        ),
        Err(Submit::Full) => retry_after(
            reject(
                StatusCode::SERVICE_UNAVAILABLE,
                "queue",
                "the report queue is full; retry shortly",
            ),
            1,
        ),
        Err(Submit::Failed) => retry_after(
            reject(
                StatusCode::SERVICE_UNAVAILABLE,
                "store",
                "the report could not be stored; retry",
            ),
            5,
        ),
    }
}

/// Query parameters of the aggregates and samples.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportQuery {
    /// Days back from now (default 7, 1 to 365).
    days: Option<i64>,
    app: Option<String>,
    host: Option<String>,
    class: Option<FailureClass>,
    /// Samples only: how many (default 20, 1 to 500).
    limit: Option<i64>,
}

impl ReportQuery {
    /// A 400 problem when a parameter is outside the API's schema; `limit`
    /// only where `limit_max` says samples are asked for.
    fn refused(&self, limit_max: Option<i64>) -> Option<Response> {
        if let Some(r) = self
            .days
            .and_then(|d| crate::input::out_of_range("days", d, 1, 365))
        {
            return Some(r);
        }
        match (self.limit, limit_max) {
            (Some(l), Some(max)) => crate::input::out_of_range("limit", l, 1, max),
            (Some(_), None) => Some(problem(
                StatusCode::BAD_REQUEST,
                "query string: limit: only /api/v1/reports takes it",
            )),
            (None, _) => None,
        }
    }

    pub(crate) fn filter(&self) -> ReportFilter {
        let days = self.days.unwrap_or(7).clamp(1, 365);
        ReportFilter {
            since: time::OffsetDateTime::now_utc().unix_timestamp() - days * 86_400,
            app: self.app.clone().filter(|s| !s.is_empty()),
            host: self.host.clone().filter(|s| !s.is_empty()),
            class: self.class.map(|c| c.as_str().to_owned()),
        }
    }
}

pub(crate) async fn summary(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Response {
    if let Some(refused) = q.refused(None) {
        return refused;
    }
    match state.store.report_summary(&q.filter()).await {
        Ok(s) => Json(s).into_response(),
        Err(e) => store_failed(&e),
    }
}

pub(crate) async fn samples(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Response {
    if let Some(refused) = q.refused(Some(500)) {
        return refused;
    }
    match state
        .store
        .report_samples(&q.filter(), q.limit.unwrap_or(20))
        .await
    {
        Ok(s) => Json(s).into_response(),
        Err(e) => store_failed(&e),
    }
}

pub(crate) async fn metrics_text() -> Response {
    match super::prometheus() {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "another metrics recorder is installed in this process",
        ),
    }
}
