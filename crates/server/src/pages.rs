//! The UI: server-rendered pages (askama templates in `web/templates`) and
//! the static assets of `web/static`, all compiled into the binary.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use pinwarden_assess::{
    Decision, Report, Status, Verdict, assess, name, radar_svg, report_html, status_words,
    verdict_words,
};

use crate::store::Scenario;
use crate::{AppState, problem, today};

const NAV: [(&str, &str); 5] = [
    ("/", "Radar"),
    ("/applications", "Applications"),
    ("/questions", "Five questions"),
    ("/manifests", "Manifests"),
    ("/report", "Full report"),
];

/// The files of `web/static`, by name.
const ASSETS: [(&str, &str, &str); 3] = [
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../../web/static/style.css"),
    ),
    (
        "radar.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/static/radar.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_str!("../../../web/static/icon.svg"),
    ),
];

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(radar_page))
        .route("/applications", get(applications_page))
        .route("/questions", get(questions_page))
        .route("/report", get(full_report))
        .route("/manifests", get(manifests_page))
        .route("/static/{file}", get(asset))
        .route(
            "/favicon.ico",
            get(|| async { axum::response::Redirect::permanent("/static/icon.svg") }),
        )
}

/// What every page shows around its content.
struct Frame {
    title: &'static str,
    current: &'static str,
    nav: [(&'static str, &'static str); 5],
    policy_name: String,
    today: time::Date,
}

impl Frame {
    fn new(state: &AppState, title: &'static str, current: &'static str) -> Self {
        Self {
            title,
            current,
            nav: NAV,
            policy_name: state.policy_name.to_string(),
            today: today(),
        }
    }
}

/// The words templates put on values; askama calls these as methods.
trait Words {
    fn name<T: serde::Serialize>(&self, value: T) -> String {
        name(value)
    }
    fn verdict_words(&self, v: &Verdict) -> &'static str {
        verdict_words(*v)
    }
    fn status_words(&self, s: &Status) -> &'static str {
        status_words(*s)
    }
    fn level(&self, d: &Decision) -> String {
        d.level.map_or_else(|| "—".into(), name)
    }
}

#[derive(Template)]
#[template(path = "radar.html")]
struct RadarPage {
    frame: Frame,
    report: Report,
    svg: String,
    scenarios: Vec<Scenario>,
    verdict_words_json: String,
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ApplicationsPage {
    frame: Frame,
    report: Report,
}

#[derive(Template)]
#[template(path = "questions.html")]
struct QuestionsPage {
    frame: Frame,
    report: Report,
}

/// One app's line on the manifests page.
struct ManifestRow {
    app: String,
    version: i64,
    expires: String,
    expired: bool,
    versions: usize,
    candidate: String,
    rollout: String,
    rollout_state: String,
}

#[derive(Template)]
#[template(path = "manifests.html")]
struct ManifestsPage {
    frame: Frame,
    rows: Vec<ManifestRow>,
}

impl Words for RadarPage {}
impl Words for ApplicationsPage {}
impl Words for QuestionsPage {}

fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => problem::problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("rendering the page: {e}"),
        ),
    }
}

async fn radar_page(State(state): State<AppState>) -> Response {
    let frame = Frame::new(&state, "PKI Health Radar", "/");
    let report = assess(&state.policy, frame.today);
    let scenarios = match state.store.scenarios().await {
        Ok(s) => s,
        Err(e) => return problem::store_failed(&e),
    };
    let words: serde_json::Map<String, serde_json::Value> = [
        Verdict::Pin,
        Verdict::PinWithConditions,
        Verdict::DontPin,
        Verdict::NotReady,
    ]
    .into_iter()
    .map(|v| (name(v), verdict_words(v).into()))
    .collect();
    render(&RadarPage {
        frame,
        svg: radar_svg(&report.radar),
        report,
        scenarios,
        verdict_words_json: serde_json::Value::Object(words).to_string(),
    })
}

async fn applications_page(State(state): State<AppState>) -> Response {
    let frame = Frame::new(&state, "Applications", "/applications");
    let report = assess(&state.policy, frame.today);
    render(&ApplicationsPage { frame, report })
}

async fn questions_page(State(state): State<AppState>) -> Response {
    let frame = Frame::new(&state, "The five questions", "/questions");
    let report = assess(&state.policy, frame.today);
    render(&QuestionsPage { frame, report })
}

fn date_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

async fn manifests_page(State(state): State<AppState>) -> Response {
    let frame = Frame::new(&state, "Manifests", "/manifests");
    let (latest, rollouts) = match (
        state.store.latest_manifests().await,
        state.store.rollouts().await,
    ) {
        (Ok(l), Ok(r)) => (l, r),
        (Err(e), _) | (_, Err(e)) => return problem::store_failed(&e),
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut rows = Vec::new();
    for m in latest {
        let versions = match state.store.manifests(&m.app).await {
            Ok(v) => v.len(),
            Err(e) => return problem::store_failed(&e),
        };
        let rollout = rollouts
            .iter()
            .find(|r| r.app == m.app && r.version == m.version);
        let (rollout, rollout_state) = match (m.ceiling, rollout) {
            (None, _) => ("—".to_owned(), String::new()),
            (Some(_), None) => ("not started (0%)".to_owned(), "idle".to_owned()),
            (Some(_), Some(r)) => (format!("{} at {}%", r.state, r.percentage), r.state.clone()),
        };
        rows.push(ManifestRow {
            expires: date_time(m.expires_at),
            expired: m.expires_at <= now,
            versions,
            candidate: m
                .ceiling
                .map_or_else(|| "—".to_owned(), |c| format!("up to {c}%")),
            rollout,
            rollout_state,
            version: m.version,
            app: m.app,
        });
    }
    render(&ManifestsPage { frame, rows })
}

async fn full_report(State(state): State<AppState>) -> Html<String> {
    Html(report_html(&assess(&state.policy, today())))
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, kind, body)) => (
            [
                (header::CONTENT_TYPE, *kind),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => problem::problem(StatusCode::NOT_FOUND, &format!("no asset {file:?}")),
    }
}
