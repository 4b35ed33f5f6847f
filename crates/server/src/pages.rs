//! The UI: server-rendered pages (askama templates in `web/templates`) and
//! the static assets of `web/static`, all compiled into the binary.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use pinwarden_assess::{
    Decision, GateState, Readiness, Report, RuleStatus, Status, Step, Verdict, assess, gate_words,
    name, radar_svg, readiness_words, report_html_linked, rule_status_words, status_words,
    type_words, verdict_words,
};
use pinwarden_core::policy::AppType;

use pinwarden_core::report::FailureClass;

use crate::store::{Count, ReportFilter, Scenario, StoredReport, Summary};
use crate::{AppState, problem, today};

const NAV: [(&str, &str); 7] = [
    ("/", "Radar"),
    ("/applications", "Applications"),
    ("/questions", "Five questions"),
    ("/manifests", "Manifests"),
    ("/telemetry", "Telemetry"),
    ("/ct", "CT"),
    ("/report", "Full report"),
];

/// The files of `web/static`, by name, and the full report's stylesheet.
const ASSETS: [(&str, &str, &str); 4] = [
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
    (
        "report.css",
        "text/css; charset=utf-8",
        pinwarden_assess::REPORT_CSS,
    ),
];

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(radar_page))
        .route("/applications", get(applications_page))
        .route("/questions", get(questions_page))
        .route("/report", get(full_report))
        .route("/manifests", get(manifests_page))
        .route("/telemetry", get(telemetry_page))
        .route("/ct", get(ct_page))
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
    nav: [(&'static str, &'static str); 7],
    policy_name: String,
    today: time::Date,
    /// Rollouts the guard halted: shown on every page until resumed.
    banners: Vec<String>,
}

impl Frame {
    async fn new(state: &AppState, title: &'static str, current: &'static str) -> Self {
        let mut banners = Vec::new();
        if let Ok(rollouts) = state.store.rollouts().await {
            for r in rollouts.iter().filter(|r| r.state == "halted") {
                if let Ok(events) = state.store.rollout_events(&r.app).await
                    && let Some(e) = events
                        .first()
                        .filter(|e| e.reason.starts_with("rollout guard"))
                {
                    banners.push(format!("{} version {}: {}", r.app, r.version, e.reason));
                }
            }
        }
        Self {
            title,
            current,
            nav: NAV,
            policy_name: state.policy_name.to_string(),
            today: today(),
            banners,
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
    fn type_words(&self, t: &AppType) -> &'static str {
        type_words(*t)
    }
    fn readiness_words(&self, r: &Readiness) -> &'static str {
        readiness_words(*r)
    }
    fn gate_words(&self, s: &GateState) -> &'static str {
        gate_words(*s)
    }
    fn rule_status_words(&self, s: &RuleStatus) -> &'static str {
        rule_status_words(*s)
    }
    fn rule_applies(&self, s: &Step) -> bool {
        s.status != RuleStatus::NotApplicable
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

#[derive(Template)]
#[template(path = "telemetry.html")]
struct TelemetryPage {
    frame: Frame,
    days: u32,
    app: String,
    host: String,
    class: String,
    classes: Vec<&'static str>,
    summary: Summary,
    chart: String,
    breakdowns: Vec<(&'static str, &'static str, Vec<Count>)>,
    samples: Vec<StoredReport>,
}

impl TelemetryPage {
    /// (pin, subject, issuer) of each certificate of a stored report's chain.
    fn chain_rows(&self, s: &StoredReport) -> Vec<(String, String, String)> {
        s.chain
            .as_array()
            .map(|certs| {
                certs
                    .iter()
                    .map(|c| {
                        let field = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
                        (field("pin"), field("subject"), field("issuer"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
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
    let frame = Frame::new(&state, "PKI Health Radar", "/").await;
    let report = assess(&state.policy, frame.today);
    let scenarios = match state.store.scenarios().await {
        Ok(s) => s,
        Err(e) => return problem::store_failed(&e),
    };
    // The words the page's script puts on values, so that it says what the
    // server-rendered page says.
    let map = |pairs: Vec<(String, &'static str)>| {
        serde_json::Value::Object(pairs.into_iter().map(|(k, v)| (k, v.into())).collect())
    };
    let words = serde_json::json!({
        "verdict": map([Verdict::Pin, Verdict::PinWithConditions, Verdict::DontPin, Verdict::NotReady]
            .into_iter().map(|v| (name(v), verdict_words(v))).collect()),
        "readiness": map([Readiness::Ready, Readiness::NotReady, Readiness::Undetermined]
            .into_iter().map(|r| (name(r), readiness_words(r))).collect()),
        "gate": map([GateState::Passed, GateState::Closed, GateState::Unknown]
            .into_iter().map(|g| (name(g), gate_words(g))).collect()),
        "type": map([AppType::Mobile, AppType::Web, AppType::Service, AppType::Iot, AppType::ThirdParty, AppType::Desktop]
            .into_iter().map(|t| (name(t), type_words(t))).collect()),
    });
    render(&RadarPage {
        frame,
        svg: radar_svg(&report.radar),
        report,
        scenarios,
        verdict_words_json: words.to_string(),
    })
}

async fn applications_page(State(state): State<AppState>) -> Response {
    let frame = Frame::new(&state, "Applications", "/applications").await;
    let report = assess(&state.policy, frame.today);
    render(&ApplicationsPage { frame, report })
}

async fn questions_page(State(state): State<AppState>) -> Response {
    let frame = Frame::new(&state, "The five questions", "/questions").await;
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
    let frame = Frame::new(&state, "Manifests", "/manifests").await;
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

/// Failures per day as an SVG bar chart, one bar per day of the window.
fn day_chart(summary: &Summary, days: u32) -> String {
    use std::fmt::Write as _;
    let today = time::OffsetDateTime::now_utc().date();
    let days = days.clamp(1, 365);
    let counts: Vec<(time::Date, i64)> = (0..days)
        .rev()
        .map(|back| {
            let day = today - time::Duration::days(i64::from(back));
            let key = day.to_string();
            let n = summary
                .by_day
                .iter()
                .find(|c| c.key.as_deref() == Some(key.as_str()))
                .map_or(0, |c| c.failures);
            (day, n)
        })
        .collect();
    let max = counts.iter().map(|c| c.1).max().unwrap_or(0).max(1);
    let (width, height) = (600.0, 160.0);
    let bar = width / f64::from(days);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {}\" role=\"img\" aria-labelledby=\"chart-title\">\n\
         <title id=\"chart-title\">Failures per day over {days} day(s), at most {max} a day</title>\n",
        height + 20.0
    );
    for (i, (day, n)) in counts.iter().enumerate() {
        let h = height * (*n as f64) / (max as f64);
        let x = bar * i as f64;
        let _ = writeln!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#1e6ec8\"><title>{day}: {n}</title></rect>",
            x + bar * 0.1,
            height - h,
            bar * 0.8
        );
    }
    let _ = writeln!(
        svg,
        "<line x1=\"0\" y1=\"{height}\" x2=\"{width}\" y2=\"{height}\" stroke=\"#888\"/>\n\
         <text x=\"0\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{width}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{today}</text>\n</svg>",
        height + 15.0,
        counts.first().map(|c| c.0.to_string()).unwrap_or_default(),
        height + 15.0
    );
    svg
}

async fn telemetry_page(
    State(state): State<AppState>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let frame = Frame::new(&state, "Telemetry", "/telemetry").await;
    let text = |k: &str| q.get(k).cloned().unwrap_or_default();
    let days = q
        .get("days")
        .and_then(|d| d.parse::<u32>().ok())
        .unwrap_or(7)
        .clamp(1, 365);
    let filter = ReportFilter {
        since: time::OffsetDateTime::now_utc().unix_timestamp() - i64::from(days) * 86_400,
        app: Some(text("app")).filter(|s| !s.is_empty()),
        host: Some(text("host")).filter(|s| !s.is_empty()),
        class: Some(text("class")).filter(|s| !s.is_empty()),
    };
    let (summary, samples) = match (
        state.store.report_summary(&filter).await,
        state.store.report_samples(&filter, 20).await,
    ) {
        (Ok(s), Ok(r)) => (s, r),
        (Err(e), _) | (_, Err(e)) => return problem::store_failed(&e),
    };
    let breakdowns = vec![
        ("By class", "class", summary.by_class.clone()),
        ("By host", "host", summary.by_host.clone()),
        ("By app", "app", summary.by_app.clone()),
        ("By app version", "", summary.by_app_version.clone()),
        (
            "By manifest version",
            "",
            summary.by_manifest_version.clone(),
        ),
        ("By cohort", "", summary.by_cohort.clone()),
    ];
    render(&TelemetryPage {
        frame,
        days,
        app: text("app"),
        host: text("host"),
        class: text("class"),
        classes: FailureClass::ALL.iter().map(|c| c.as_str()).collect(),
        chart: day_chart(&summary, days),
        summary,
        breakdowns,
        samples,
    })
}

#[derive(Template)]
#[template(path = "ct.html")]
struct CtPage {
    frame: Frame,
    monitoring: bool,
    coverage: Vec<pinwarden_ct::monitor::Coverage>,
    counts: Vec<(&'static str, usize)>,
    alerts: Vec<pinwarden_ct::monitor::alert::Alert>,
}

impl CtPage {
    /// The first 16 hex digits of a hash, for a table cell.
    fn short(&self, hash: &str) -> String {
        format!("{}…", hash.get(..16).unwrap_or(hash))
    }

    fn date(&self, secs: &i64) -> String {
        time::OffsetDateTime::from_unix_timestamp(*secs)
            .map(|t| t.date().to_string())
            .unwrap_or_default()
    }
}

async fn ct_page(State(state): State<AppState>) -> Response {
    use pinwarden_ct::monitor::alert::Verdict as CtVerdict;
    let frame = Frame::new(&state, "Certificate Transparency", "/ct").await;
    let mut alerts = match state.store.ct_alerts(500).await {
        Ok(a) => a,
        Err(e) => return problem::store_failed(&e),
    };
    // Most severe first, newest first within a verdict.
    alerts.sort_by_key(|a| std::cmp::Reverse(a.verdict));
    let counts = [
        CtVerdict::CaaViolation,
        CtVerdict::WouldBreakPinset,
        CtVerdict::UnexpectedIssuer,
        CtVerdict::Discovered,
    ]
    .into_iter()
    .map(|v| (v.as_str(), alerts.iter().filter(|a| a.verdict == v).count()))
    .filter(|(_, n)| *n > 0)
    .collect();
    render(&CtPage {
        frame,
        monitoring: state.ct.is_some(),
        coverage: state.ct.as_ref().map(|c| c.coverage()).unwrap_or_default(),
        counts,
        alerts,
    })
}

async fn full_report(State(state): State<AppState>) -> Html<String> {
    // Styles linked, not inline: the Content-Security-Policy allows none.
    Html(report_html_linked(
        &assess(&state.policy, today()),
        "/static/report.css",
    ))
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
