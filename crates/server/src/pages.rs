//! The UI: server-rendered pages (askama templates in `web/templates`) and
//! the static assets of `web/static`, all compiled into the binary.
//!
//! Pages: the overview (`/`: the organisation's verdict, a grade, verdict
//! counts, top risks and next actions), the PKI Health Radar (`/radar`, with
//! what-if sliders whose scores live in the query string), applications,
//! the five questions, manifests, telemetry, CT and the full report.

use std::collections::HashMap;
use std::fmt::Write as _;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use pinwarden_assess::{
    Decision, Dimension, GateState, Readiness, Report, RuleStatus, Status, Step, Verdict, assess,
    assess_what_if, gate_words, name, readiness_words, report_html_linked, rule_status_words,
    status_words, type_words, verdict_words,
};
use pinwarden_core::policy::AppType;

use pinwarden_core::report::FailureClass;

use crate::store::{Count, ReportFilter, RolloutEvent, Scenario, StoredReport, Summary};
use crate::{AppState, problem, today};

const NAV: [(&str, &str); 8] = [
    ("/", "Overview"),
    ("/radar", "Radar"),
    ("/applications", "Applications"),
    ("/questions", "Five questions"),
    ("/manifests", "Manifests"),
    ("/telemetry", "Telemetry"),
    ("/ct", "CT"),
    ("/report", "Full report"),
];

/// The files of `web/static`, by name, and the full report's stylesheet.
const ASSETS: [(&str, &str, &str); 6] = [
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
        "telemetry.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/static/telemetry.js"),
    ),
    (
        "sort.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/static/sort.js"),
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
        .route("/", get(overview_page))
        .route("/radar", get(radar_page))
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
    nav: [(&'static str, &'static str); 8],
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

/// A letter for the radar's overall score, as SSL Labs grades a server.
pub(crate) fn grade(overall: u8) -> &'static str {
    match overall {
        85.. => "A",
        70..=84 => "B",
        55..=69 => "C",
        40..=54 => "D",
        _ => "F",
    }
}

/// A short name of a dimension, for the radar's axes.
fn short_title(d: Dimension) -> &'static str {
    match d {
        Dimension::LifecycleAutomation => "Automation",
        Dimension::PinUpdateSpeed => "Update speed",
        Dimension::CaAgility => "CA agility",
        Dimension::Telemetry => "Telemetry",
        Dimension::OwnershipRunbooks => "Ownership",
        Dimension::CtCaa => "CT and CAA",
        Dimension::LifetimeHygiene => "Lifetimes",
        Dimension::PrivatePki => "Private PKI",
        Dimension::OtaUpdates => "OTA updates",
    }
}

/// A pin-failure class for people.
fn class_words(class: &str) -> &'static str {
    match class {
        "rotation-drift" => "rotation drift",
        "possible-interception" => "possible interception",
        "clock-skew" => "clock skew",
        "expired-pin-set" => "expired pin set",
        "misconfiguration" => "misconfiguration",
        _ => "other",
    }
}

/// A CT verdict for people.
fn ct_words(verdict: &str) -> &'static str {
    match verdict {
        "caa-violation" => "CAA violation",
        "would-break-pinset" => "would break a pin set",
        "unexpected-issuer" => "unexpected issuer",
        "discovered" => "discovered",
        _ => "other",
    }
}

/// `unix` as "2026-12-04 10:00 UTC".
fn absolute(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// `unix` in RFC 3339, for `<time datetime>`.
fn machine_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// `unix` relative to `now`: "in 12 days", "3 hours ago", "just now".
fn relative(now: i64, unix: i64) -> String {
    let delta = unix - now;
    let abs = delta.unsigned_abs();
    let (n, unit) = match abs {
        0..60 => return "just now".to_owned(),
        60..3_600 => (abs / 60, "minute"),
        3_600..86_400 => (abs / 3_600, "hour"),
        86_400..5_184_000 => (abs / 86_400, "day"),
        5_184_000..63_072_000 => (abs / 2_592_000, "month"),
        _ => (abs / 31_536_000, "year"),
    };
    let unit = if n == 1 {
        unit.to_owned()
    } else {
        format!("{unit}s")
    };
    if delta > 0 {
        format!("in {n} {unit}")
    } else {
        format!("{n} {unit} ago")
    }
}

/// A time for a page: words, the absolute time on hover, the machine's in `datetime`.
pub(crate) struct When {
    words: String,
    absolute: String,
    machine: String,
}

impl When {
    fn at(now: i64, unix: i64) -> Self {
        Self {
            words: relative(now, unix),
            absolute: absolute(unix),
            machine: machine_time(unix),
        }
    }
}

impl std::fmt::Display for When {
    /// Escaped by askama like any other value, so this is plain text.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words)
    }
}

// ---------------------------------------------------------------------------
// The radar, drawn for the page (the same drawing as web/static/radar.js).

/// One axis of the page's radar.
struct Axis {
    short: &'static str,
    value: u8,
    fact: u8,
    applies: bool,
}

const RADAR_R: f64 = 105.0;
const RADAR_LABEL_R: f64 = 126.0;
const RADAR_FONT: f64 = 18.0;

fn radar_point(i: usize, n: usize, fraction: f64) -> (f64, f64) {
    let angle = std::f64::consts::TAU * i as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
    (
        RADAR_R * fraction * angle.cos(),
        RADAR_R * fraction * angle.sin(),
    )
}

fn radar_polygon(n: usize, fractions: impl Iterator<Item = f64>) -> String {
    fractions
        .enumerate()
        .map(|(i, f)| {
            let (x, y) = radar_point(i, n, f);
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The radar as the page draws it: rings with their values, the facts'
/// outline (dashed) under the what-if fill, moved axes marked, labels at
/// 18 units in a 500-unit-wide drawing (12 px and more on a 375 px phone).
fn radar_chart(axes: &[Axis], overall: u8) -> String {
    let n = axes.len();
    let mut desc = Vec::new();
    for a in axes {
        desc.push(match (a.applies, a.value == a.fact) {
            (false, _) => format!("{}: n/a", a.short),
            (true, true) => format!("{}: {}", a.short, a.value),
            (true, false) => format!("{}: {}, facts {}", a.short, a.value, a.fact),
        });
    }
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-250 -170 500 335\" role=\"img\" aria-labelledby=\"radar-title radar-desc\">\n\
         <title id=\"radar-title\">PKI Health Radar, overall {overall} of 100</title>\n<desc id=\"radar-desc\">{}</desc>\n",
        desc.join("; ")
    );
    for ring in [0.25, 0.5, 0.75, 1.0] {
        let _ = writeln!(
            out,
            "<polygon class=\"ring\" points=\"{}\"/>",
            radar_polygon(n, std::iter::repeat_n(ring, n))
        );
    }
    for i in 0..n {
        let (x, y) = radar_point(i, n, 1.0);
        let _ = writeln!(
            out,
            "<line class=\"spoke\" x1=\"0\" y1=\"0\" x2=\"{x:.1}\" y2=\"{y:.1}\"/>"
        );
    }
    let _ = writeln!(
        out,
        "<polygon class=\"facts-outline\" points=\"{}\"/>",
        radar_polygon(n, axes.iter().map(|a| f64::from(a.fact) / 100.0))
    );
    let _ = writeln!(
        out,
        "<polygon class=\"scores\" points=\"{}\"/>",
        radar_polygon(n, axes.iter().map(|a| f64::from(a.value) / 100.0))
    );
    for ring in [25u8, 50, 75, 100] {
        let _ = writeln!(
            out,
            "<text class=\"ring-label\" x=\"4\" y=\"{:.1}\" font-size=\"{RADAR_FONT}\">{ring}</text>",
            -RADAR_R * f64::from(ring) / 100.0 + 6.0
        );
    }
    for (i, a) in axes.iter().enumerate() {
        let moved = a.applies && a.value != a.fact;
        if moved {
            let (x, y) = radar_point(i, n, f64::from(a.value) / 100.0);
            let _ = writeln!(
                out,
                "<circle class=\"moved-dot\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\"/>"
            );
        }
        let angle = std::f64::consts::TAU * i as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
        let (c, s) = (angle.cos(), angle.sin());
        let (lx, mut ly) = (RADAR_LABEL_R * c, RADAR_LABEL_R * s);
        let anchor = if c.abs() < 0.2 {
            "middle"
        } else if c > 0.0 {
            "start"
        } else {
            "end"
        };
        // Two lines: up from the top, down from the bottom, centred beside.
        if s < -0.7 {
            ly -= 22.0;
        } else if s > 0.7 {
            ly += 4.0;
        } else {
            ly -= 9.0;
        }
        let value = match (a.applies, moved) {
            (false, _) => "n/a".to_owned(),
            (true, false) => a.value.to_string(),
            (true, true) => format!("{}, was {}", a.value, a.fact),
        };
        let _ = writeln!(
            out,
            "<text class=\"axis-label{}\" x=\"{lx:.1}\" y=\"{ly:.1}\" font-size=\"{RADAR_FONT}\" text-anchor=\"{anchor}\"><tspan x=\"{lx:.1}\">{}</tspan><tspan class=\"value\" x=\"{lx:.1}\" dy=\"20\">{value}</tspan></text>",
            if moved { " moved" } else { "" },
            a.short
        );
    }
    out.push_str("</svg>\n");
    out
}

// ---------------------------------------------------------------------------
// Overview

/// Something that needs attention, most severe first.
struct Risk {
    severity: u8,
    label: &'static str,
    text: String,
    href: String,
}

/// One tile of verdict counts.
struct CountTile {
    verdict: String,
    words: &'static str,
    count: usize,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    frame: Frame,
    report: Report,
    grade: &'static str,
    counts: Vec<CountTile>,
    risks: Vec<Risk>,
    actions: Vec<(String, String)>,
    costs: Vec<(String, String, String)>,
    cost_instead: String,
    failures_week: i64,
    manifests: usize,
}

impl Words for OverviewPage {}

async fn overview_page(State(state): State<AppState>) -> Response {
    let frame = Frame::new(&state, "Overview", "/").await;
    let report = assess(&state.policy, frame.today);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    let counts = [
        Verdict::Pin,
        Verdict::PinWithConditions,
        Verdict::NotReady,
        Verdict::DontPin,
    ]
    .into_iter()
    .map(|v| CountTile {
        verdict: name(v),
        words: verdict_words(v),
        count: report.decisions.iter().filter(|d| d.verdict == v).count(),
    })
    .collect();

    let mut risks = Vec::new();
    for g in report.gates.iter().filter(|g| g.closed) {
        risks.push(Risk {
            severity: 3,
            label: "gate closed",
            text: format!("{} [{}]", g.finding, g.rule),
            href: "/radar#gates".to_owned(),
        });
    }
    for (i, q) in report.questions.iter().enumerate() {
        if q.status == Status::AtRisk {
            risks.push(Risk {
                severity: 2,
                label: "at risk",
                text: format!("{} {}", q.question, q.answer),
                href: format!("/questions#q-{}", i + 1),
            });
        }
    }
    // Operations: manifests near or past expiry, halted rollouts, interception.
    let mut manifests = 0;
    if let Ok(latest) = state.store.latest_manifests().await {
        manifests = latest.len();
        for m in &latest {
            let left = m.expires_at - now;
            if left <= 7 * 86_400 {
                risks.push(Risk {
                    severity: if left <= 0 { 4 } else { 3 },
                    label: if left <= 0 { "expired" } else { "expiring" },
                    text: format!(
                        "{}'s manifest version {} {} {}",
                        m.app,
                        m.version,
                        if left <= 0 { "expired" } else { "expires" },
                        relative(now, m.expires_at)
                    ),
                    href: format!("/manifests#manifest-{}", m.app),
                });
            }
        }
    }
    if let Ok(rollouts) = state.store.rollouts().await {
        for r in rollouts.iter().filter(|r| r.state == "halted") {
            risks.push(Risk {
                severity: 3,
                label: "rollout halted",
                text: format!(
                    "{} version {} halted at {}%",
                    r.app, r.version, r.percentage
                ),
                href: format!("/manifests#manifest-{}", r.app),
            });
        }
    }
    let week = ReportFilter {
        since: now - 7 * 86_400,
        app: None,
        host: None,
        class: None,
    };
    let mut failures_week = 0;
    if let Ok(summary) = state.store.report_summary(&week).await {
        failures_week = summary.total;
        for c in &summary.by_class {
            if c.key.as_deref() == Some("possible-interception") && c.failures > 0 {
                risks.push(Risk {
                    severity: 4,
                    label: "interception?",
                    text: format!(
                        "{} pin failures in 7 days look like interception (a CA nobody expects)",
                        c.failures
                    ),
                    href: "/telemetry?days=7&class=possible-interception".to_owned(),
                });
            }
        }
    }
    if let Ok(alerts) = state.store.ct_alerts(500).await {
        use pinwarden_ct::monitor::alert::Verdict as CtVerdict;
        for v in [CtVerdict::CaaViolation, CtVerdict::WouldBreakPinset] {
            let n = alerts.iter().filter(|a| a.verdict == v).count();
            if n > 0 {
                risks.push(Risk {
                    severity: 3,
                    label: "CT",
                    text: format!("{n} logged certificate(s): {}", ct_words(v.as_str())),
                    href: "/ct".to_owned(),
                });
            }
        }
    }
    risks.sort_by_key(|r| std::cmp::Reverse(r.severity));
    risks.truncate(6);

    // Next actions: the engine's first steps, what the conditional and
    // not-ready applications need, then what operations need.
    let mut actions: Vec<(String, String)> = report
        .organisation
        .first_steps
        .iter()
        .map(|s| (s.clone(), "/radar#gates".to_owned()))
        .collect();
    for d in &report.decisions {
        let href = format!("/applications#app-{}", d.application);
        match d.verdict {
            Verdict::PinWithConditions => {
                for c in d.conditions.iter().chain(&d.instead) {
                    actions.push((format!("{}: {c}", d.application), href.clone()));
                }
            }
            Verdict::NotReady => {
                if let Some(r) = d.reasons.first() {
                    actions.push((format!("{}: {r}", d.application), href.clone()));
                }
            }
            Verdict::Pin | Verdict::DontPin => {}
        }
    }
    let mut ops = Vec::new();
    for r in &risks {
        match r.label {
            "expired" | "expiring" => ops.push((
                format!("Sign and upload a new manifest: {}", r.text),
                r.href.clone(),
            )),
            "rollout halted" => ops.push((
                format!("Find why, then resume or roll back: {}", r.text),
                r.href.clone(),
            )),
            _ => {}
        }
    }
    let at = report.organisation.first_steps.len();
    actions.splice(at..at, ops);
    actions.truncate(5);

    let c = &report.cost;
    let money = |v: f64| format!("{} {}", c.currency, pinwarden_assess::grouped(v));
    let costs = vec![
        (
            "Implementation".to_owned(),
            format!(
                "{} engineer-weeks",
                pinwarden_assess::amount(c.implementation_weeks)
            ),
            format!("{} pinned application(s)", c.pinned_applications),
        ),
        (
            "Operations".to_owned(),
            format!("{} a year", money(c.yearly_operations)),
            format!(
                "{} pin changes a year",
                pinwarden_assess::amount(c.pin_changes_per_year)
            ),
        ),
        (
            "Incident response".to_owned(),
            format!("{} a year", money(c.yearly_incident_response)),
            String::new(),
        ),
        (
            "Outage risk".to_owned(),
            format!("{} a year", money(c.yearly_outage_risk)),
            "expected cost of a lock-out".to_owned(),
        ),
    ];
    render(&OverviewPage {
        grade: grade(report.overall),
        cost_instead: c.instead.clone(),
        frame,
        report,
        counts,
        risks,
        actions,
        costs,
        failures_week,
        manifests,
    })
}

// ---------------------------------------------------------------------------
// Radar

/// A slider of the radar page.
struct Slider {
    key: String,
    title: &'static str,
    short: &'static str,
    value: u8,
    fact: u8,
    applies: bool,
    weight: u32,
    facts: String,
}

/// A row of the radar page's verdicts, with the facts' verdict beside.
struct VerdictRow {
    decision: Decision,
    fact: Verdict,
}

#[derive(Template)]
#[template(path = "radar.html")]
struct RadarPage {
    frame: Frame,
    report: Report,
    grade: &'static str,
    what_if: bool,
    svg: String,
    sliders: Vec<Slider>,
    rows: Vec<VerdictRow>,
    scenarios: Vec<Scenario>,
    verdict_words_json: String,
}

impl RadarPage {
    fn count(&self, v: Verdict) -> usize {
        self.report
            .decisions
            .iter()
            .filter(|d| d.verdict == v)
            .count()
    }
    fn changed(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.decision.verdict != r.fact)
            .count()
    }
}

/// The what-if scores of a query string (`?ca-agility=75`): dimensions that
/// apply, values 0–100; anything else is ignored.
fn what_if_scores(facts: &Report, query: &HashMap<String, String>) -> Vec<(Dimension, u8)> {
    Dimension::ALL
        .into_iter()
        .filter(|d| facts.radar.applies(*d))
        .filter_map(|d| {
            let v: u8 = query.get(&name(d))?.parse().ok()?;
            (v <= 100 && v != facts.radar.get(d)).then_some((d, v))
        })
        .collect()
}

async fn radar_page(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let frame = Frame::new(&state, "PKI Health Radar", "/radar").await;
    let facts = assess(&state.policy, frame.today);
    let overrides = what_if_scores(&facts, &query);
    let report = if overrides.is_empty() {
        facts.clone()
    } else {
        assess_what_if(&state.policy, frame.today, &overrides)
    };
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
    let sliders: Vec<Slider> = report
        .radar
        .scores
        .iter()
        .zip(&facts.radar.scores)
        .map(|(s, f)| Slider {
            key: name(s.dimension),
            title: s.dimension.title(),
            short: short_title(s.dimension),
            value: if s.applies { s.value } else { 0 },
            fact: if f.applies { f.value } else { 0 },
            applies: s.applies,
            weight: s.dimension.weight(),
            facts: f.facts.join("; "),
        })
        .collect();
    let axes: Vec<Axis> = sliders
        .iter()
        .map(|s| Axis {
            short: s.short,
            value: s.value,
            fact: s.fact,
            applies: s.applies,
        })
        .collect();
    let rows = report
        .decisions
        .iter()
        .zip(&facts.decisions)
        .map(|(d, f)| VerdictRow {
            decision: d.clone(),
            fact: f.verdict,
        })
        .collect();
    render(&RadarPage {
        grade: grade(report.overall),
        what_if: !overrides.is_empty(),
        svg: radar_chart(&axes, report.overall),
        sliders,
        rows,
        report,
        frame,
        scenarios,
        verdict_words_json: words.to_string(),
    })
}

// ---------------------------------------------------------------------------
// Applications and questions

/// A pin of a pin set, for an application's card.
struct PinLine {
    label: String,
    role: String,
    level: String,
    pin: String,
}

/// A pin set of an application.
struct PinSetCard {
    id: String,
    hosts: String,
    expires: String,
    pins: Vec<PinLine>,
}

/// An application's card: its decision and what the policy says about it.
struct AppCard {
    decision: Decision,
    owner: Option<String>,
    hosts: Vec<String>,
    pinsets: Vec<PinSetCard>,
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ApplicationsPage {
    frame: Frame,
    report: Report,
    cards: Vec<AppCard>,
    filter: Option<(String, &'static str)>,
    total: usize,
}

#[derive(Template)]
#[template(path = "questions.html")]
struct QuestionsPage {
    frame: Frame,
    report: Report,
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

async fn applications_page(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let frame = Frame::new(&state, "Applications", "/applications").await;
    let mut report = assess(&state.policy, frame.today);
    let total = report.decisions.len();
    let filter = [
        Verdict::Pin,
        Verdict::PinWithConditions,
        Verdict::NotReady,
        Verdict::DontPin,
    ]
    .into_iter()
    .find(|v| query.get("verdict").is_some_and(|q| *q == name(*v)));
    if let Some(v) = filter {
        report.decisions.retain(|d| d.verdict == v);
    }
    let cards = report
        .decisions
        .iter()
        .map(|d| {
            let app = state
                .policy
                .applications
                .iter()
                .find(|a| *a.id.get_ref() == d.application);
            let pinsets = app
                .map(|a| {
                    a.pinsets
                        .iter()
                        .map(|id| {
                            let set = state
                                .policy
                                .pinsets
                                .iter()
                                .find(|p| p.id.get_ref() == id.get_ref());
                            PinSetCard {
                                id: id.get_ref().clone(),
                                hosts: set.map_or_else(String::new, |s| {
                                    s.hosts
                                        .iter()
                                        .map(ToString::to_string)
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                }),
                                expires: set.and_then(|s| s.expires.as_ref()).map_or_else(
                                    || "no expiry".to_owned(),
                                    |e| format!("expires {}", e.get_ref()),
                                ),
                                pins: set
                                    .map(|s| {
                                        s.pins
                                            .iter()
                                            .map(|p| PinLine {
                                                label: p
                                                    .label
                                                    .clone()
                                                    .unwrap_or_else(|| "unlabelled key".into()),
                                                role: name(p.role),
                                                level: p.level.map(name).unwrap_or_default(),
                                                pin: p.pin.get_ref().to_string(),
                                            })
                                            .collect()
                                    })
                                    .unwrap_or_default(),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            AppCard {
                decision: d.clone(),
                owner: app.and_then(|a| a.owner.clone()),
                hosts: app.map(|a| a.hosts.clone()).unwrap_or_default(),
                pinsets,
            }
        })
        .collect();
    render(&ApplicationsPage {
        frame,
        report,
        cards,
        filter: filter.map(|v| (name(v), verdict_words(v))),
        total,
    })
}

async fn questions_page(State(state): State<AppState>) -> Response {
    let frame = Frame::new(&state, "The five questions", "/questions").await;
    let report = assess(&state.policy, frame.today);
    render(&QuestionsPage { frame, report })
}

// ---------------------------------------------------------------------------
// Manifests

/// One app's line on the manifests page.
struct ManifestRow {
    app: String,
    version: i64,
    issued: When,
    expires: When,
    /// `expired`, `expiring` (within 7 days) or empty.
    expiry: &'static str,
    versions: usize,
    candidate: String,
    rollout: String,
    rollout_state: String,
    /// The latest halt: why, and when.
    halt: Option<(String, When)>,
}

#[derive(Template)]
#[template(path = "manifests.html")]
struct ManifestsPage {
    frame: Frame,
    rows: Vec<ManifestRow>,
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
        let (rollout_words, rollout_state) = match (m.ceiling, rollout) {
            (None, _) => ("—".to_owned(), String::new()),
            (Some(_), None) => ("not started (0%)".to_owned(), "idle".to_owned()),
            (Some(_), Some(r)) => (format!("{} at {}%", r.state, r.percentage), r.state.clone()),
        };
        let halt = if rollout.is_some_and(|r| r.state == "halted") {
            let events: Vec<RolloutEvent> = match state.store.rollout_events(&m.app).await {
                Ok(e) => e,
                Err(e) => return problem::store_failed(&e),
            };
            events
                .into_iter()
                .find(|e| e.action == "halt" && e.version == m.version)
                .map(|e| (e.reason, When::at(now, e.at)))
        } else {
            None
        };
        let left = m.expires_at - now;
        rows.push(ManifestRow {
            issued: When::at(now, m.issued_at),
            expires: When::at(now, m.expires_at),
            expiry: if left <= 0 {
                "expired"
            } else if left <= 7 * 86_400 {
                "expiring"
            } else {
                ""
            },
            versions,
            candidate: m
                .ceiling
                .map_or_else(|| "—".to_owned(), |c| format!("up to {c}%")),
            rollout: rollout_words,
            rollout_state,
            halt,
            version: m.version,
            app: m.app,
        });
    }
    render(&ManifestsPage { frame, rows })
}

// ---------------------------------------------------------------------------
// Telemetry

/// A day of the chart: its total and its failures per class.
type DayColumn = (time::Date, i64, Vec<(&'static str, i64)>);

/// Failures per day as an SVG bar chart: one bar per day of the window,
/// stacked by failure class, with a value axis, day labels, each bar's total
/// above it and a legend (in the page, beside the chart).
fn day_chart(by_class: &[(&'static str, Summary)], total: &Summary, days: u32) -> String {
    let today = time::OffsetDateTime::now_utc().date();
    let days = days.clamp(1, 365);
    let count = |s: &Summary, day: &str| {
        s.by_day
            .iter()
            .find(|c| c.key.as_deref() == Some(day))
            .map_or(0, |c| c.failures)
    };
    let columns: Vec<DayColumn> = (0..days)
        .rev()
        .map(|back| {
            let day = today - time::Duration::days(i64::from(back));
            let key = day.to_string();
            let parts = by_class
                .iter()
                .map(|(class, s)| (*class, count(s, &key)))
                .filter(|(_, n)| *n > 0)
                .collect();
            (day, count(total, &key), parts)
        })
        .collect();
    let max = columns.iter().map(|c| c.1).max().unwrap_or(0).max(1);
    // A round top for the axis: 1, 2, 5 × 10^k at or above the highest bar.
    let mut top = 1i64;
    'round: for scale in [1i64, 10, 100, 1_000, 10_000, 100_000, 1_000_000] {
        for step in [1, 2, 5] {
            if step * scale >= max {
                top = step * scale;
                break 'round;
            }
        }
        top = max;
    }
    let (left, right, plot_top, plot_bottom) = (48.0, 8.0, 24.0, 190.0);
    let width = 640.0;
    let plot_w = width - left - right;
    let plot_h = plot_bottom - plot_top;
    let bar = plot_w / f64::from(days);
    let y = |v: i64| plot_bottom - plot_h * (v as f64) / (top as f64);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} 226\" role=\"img\" aria-labelledby=\"chart-title\">\n\
         <title id=\"chart-title\">Failures per day over {days} day(s), by class; at most {max} a day</title>\n"
    );
    // The value axis: gridlines at 0, half and the top, with their values.
    for v in [0, top / 2, top] {
        let _ = writeln!(
            svg,
            "<line class=\"grid\" x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"13\">{v}</text>",
            width - right,
            y(v),
            y(v),
            left - 6.0,
            y(v) + 4.0
        );
    }
    let _ = writeln!(
        svg,
        "<line class=\"axis\" x1=\"{left}\" x2=\"{left}\" y1=\"{plot_top}\" y2=\"{plot_bottom}\"/>\n\
         <line class=\"axis\" x1=\"{left}\" x2=\"{}\" y1=\"{plot_bottom}\" y2=\"{plot_bottom}\"/>",
        width - right
    );
    // Day labels: every day up to 14, else about seven of them.
    let every = if days <= 14 { 1 } else { days.div_ceil(7) };
    for (i, (day, n, parts)) in columns.iter().enumerate() {
        let x = left + bar * i as f64;
        let mut base = 0i64;
        for (class, k) in parts {
            let _ = writeln!(
                svg,
                "<rect class=\"stack c-{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{day}: {k} {}</title></rect>",
                x + bar * 0.15,
                y(base + k),
                bar * 0.7,
                y(base) - y(base + k),
                class_words(class)
            );
            base += k;
        }
        if *n > 0 && days <= 31 {
            let _ = writeln!(
                svg,
                "<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"13\">{n}</text>",
                x + bar / 2.0,
                y(*n) - 5.0
            );
        }
        let i = u32::try_from(i).unwrap_or(0);
        if (days - 1 - i).is_multiple_of(every) {
            let label = if days <= 14 {
                format!("{} {}", day.day(), &day.month().to_string()[..3])
            } else {
                format!("{}-{:02}", u8::from(day.month()), day.day())
            };
            let _ = writeln!(
                svg,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\">{label}</text>",
                x + bar / 2.0,
                plot_bottom + 18.0
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// A breakdown table of the telemetry page.
struct Breakdown {
    title: &'static str,
    id: &'static str,
    /// The filter a key links to, when there is one.
    param: &'static str,
    /// What a key is, for the column header.
    what: &'static str,
    numeric: bool,
    rows: Vec<Count>,
    max: i64,
}

#[derive(Template)]
#[template(path = "telemetry.html")]
struct TelemetryPage {
    frame: Frame,
    days: u32,
    app: String,
    host: String,
    class: String,
    classes: Vec<(&'static str, &'static str)>,
    legend: Vec<(&'static str, &'static str, i64)>,
    summary: Summary,
    chart: String,
    days_table: Vec<(String, i64)>,
    breakdowns: Vec<Breakdown>,
    samples: Vec<StoredReport>,
    summary_url: String,
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
    fn class_words(&self, class: &str) -> &'static str {
        class_words(class)
    }
    fn thousands(&self, n: &i64) -> String {
        pinwarden_assess::grouped(*n as f64)
    }
    fn share(&self, n: &i64, max: &i64) -> i64 {
        // Tenths of the widest bar, for a class: no style attribute needed.
        (n * 10 + max - 1) / (*max).max(1)
    }
    fn seen(&self, s: &StoredReport) -> When {
        When::at(
            time::OffsetDateTime::now_utc().unix_timestamp(),
            s.last_seen,
        )
    }
}

async fn telemetry_page(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
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
    // Per class, for the chart's stacks: one summary per class that has failures.
    let mut by_class = Vec::new();
    for class in FailureClass::ALL.iter().map(|c| c.as_str()) {
        let n = summary
            .by_class
            .iter()
            .find(|c| c.key.as_deref() == Some(class))
            .map_or(0, |c| c.failures);
        if n == 0 {
            continue;
        }
        let one = ReportFilter {
            class: Some(class.to_owned()),
            ..filter.clone()
        };
        match state.store.report_summary(&one).await {
            Ok(s) => by_class.push((class, s)),
            Err(e) => return problem::store_failed(&e),
        }
    }
    let legend = by_class
        .iter()
        .map(|(c, s)| (*c, class_words(c), s.total))
        .collect();
    let mut cohorts = summary.by_cohort.clone();
    cohorts.sort_by_key(|c| {
        c.key
            .as_deref()
            .and_then(|k| k.parse::<i64>().ok())
            .unwrap_or(i64::MAX)
    });
    let breakdown = |title, id, param, what, numeric, rows: Vec<Count>| Breakdown {
        title,
        id,
        param,
        what,
        numeric,
        max: rows.iter().map(|r| r.failures).max().unwrap_or(1),
        rows,
    };
    let breakdowns = vec![
        breakdown(
            "By class",
            "class",
            "class",
            "class",
            false,
            summary.by_class.clone(),
        ),
        breakdown(
            "By host",
            "host",
            "host",
            "host",
            false,
            summary.by_host.clone(),
        ),
        breakdown("By app", "app", "app", "app", false, summary.by_app.clone()),
        breakdown(
            "By app version",
            "app-version",
            "",
            "version",
            true,
            summary.by_app_version.clone(),
        ),
        breakdown(
            "By manifest version",
            "manifest-version",
            "",
            "version",
            true,
            summary.by_manifest_version.clone(),
        ),
        breakdown("By cohort", "cohort", "", "cohort", true, cohorts),
    ];
    let days_table = summary
        .by_day
        .iter()
        .map(|c| (c.key.clone().unwrap_or_default(), c.failures))
        .collect();
    let mut summary_url = format!("/api/v1/reports/summary?days={days}");
    for (k, v) in [
        ("app", &filter.app),
        ("host", &filter.host),
        ("class", &filter.class),
    ] {
        if let Some(v) = v {
            let _ = write!(summary_url, "&{k}={}", urlencode(v));
        }
    }
    render(&TelemetryPage {
        frame,
        days,
        app: text("app"),
        host: text("host"),
        class: text("class"),
        classes: FailureClass::ALL
            .iter()
            .map(|c| (c.as_str(), class_words(c.as_str())))
            .collect(),
        legend,
        chart: day_chart(&by_class, &summary, days),
        days_table,
        summary,
        breakdowns,
        samples,
        summary_url,
    })
}

/// Percent-encodes everything but unreserved characters.
fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

// ---------------------------------------------------------------------------
// CT and the full report

#[derive(Template)]
#[template(path = "ct.html")]
struct CtPage {
    frame: Frame,
    monitoring: bool,
    coverage: Vec<pinwarden_ct::monitor::Coverage>,
    counts: Vec<(&'static str, &'static str, usize)>,
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

    fn ct_words(&self, verdict: &str) -> &'static str {
        ct_words(verdict)
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
    .map(|v| {
        (
            v.as_str(),
            ct_words(v.as_str()),
            alerts.iter().filter(|a| a.verdict == v).count(),
        )
    })
    .filter(|(_, _, n)| *n > 0)
    .collect();
    render(&CtPage {
        frame,
        monitoring: state.ct.is_some(),
        coverage: state.ct.as_ref().map(|c| c.coverage()).unwrap_or_default(),
        counts,
        alerts,
    })
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    frame: Frame,
    /// The report's body, as pinwarden-assess writes (and escapes) it.
    body: String,
}

/// The full report inside the UI's frame: navigation, landmarks, each table
/// in a scroll region a keyboard can reach.
async fn full_report(State(state): State<AppState>) -> Response {
    let frame = Frame::new(&state, "Full report", "/report").await;
    // pinwarden-assess escapes every value it writes into the document.
    let document = report_html_linked(&assess(&state.policy, frame.today), "/static/report.css");
    let body = document
        .split_once("<body>")
        .and_then(|(_, rest)| rest.rsplit_once("</body>"))
        .map_or(document.as_str(), |(body, _)| body);
    let mut tables = 0;
    let mut wrapped = String::with_capacity(body.len() + 2048);
    let mut rest = body;
    while let Some(at) = rest.find("<table>") {
        tables += 1;
        wrapped.push_str(&rest[..at]);
        let _ = write!(
            wrapped,
            "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Table {tables} of the report\"><table>"
        );
        rest = &rest[at + "<table>".len()..];
        if let Some(end) = rest.find("</table>") {
            wrapped.push_str(&rest[..end]);
            wrapped.push_str("</table></div>");
            rest = &rest[end + "</table>".len()..];
        }
    }
    wrapped.push_str(rest);
    render(&ReportPage {
        frame,
        body: wrapped,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_from_the_overall_score() {
        assert_eq!(
            [100, 85, 84, 70, 69, 55, 54, 40, 39, 0].map(grade),
            ["A", "A", "B", "B", "C", "C", "D", "D", "F", "F"]
        );
    }

    #[test]
    fn amounts_carry_thousands_separators() {
        assert_eq!(pinwarden_assess::amount(16_800.0), "16,800");
        assert_eq!(pinwarden_assess::amount(2.5), "2.5");
        assert_eq!(pinwarden_assess::amount(18.0), "18");
    }

    #[test]
    fn times_read_as_words() {
        let now = 1_000_000_000;
        assert_eq!(relative(now, now + 12 * 86_400 + 5), "in 12 days");
        assert_eq!(relative(now, now - 3 * 3_600), "3 hours ago");
        assert_eq!(relative(now, now + 86_400), "in 1 day");
        assert_eq!(relative(now, now + 10), "just now");
        assert_eq!(relative(now, now - 400 * 86_400), "13 months ago");
        assert_eq!(relative(now, now - 800 * 86_400), "2 years ago");
        assert_eq!(absolute(0), "1970-01-01 00:00 UTC");
    }

    #[test]
    fn the_radar_marks_moved_axes_and_draws_the_facts_under_the_fill() {
        let axes = [
            Axis {
                short: "A",
                value: 75,
                fact: 50,
                applies: true,
            },
            Axis {
                short: "B<",
                value: 20,
                fact: 20,
                applies: true,
            },
            Axis {
                short: "C",
                value: 0,
                fact: 0,
                applies: false,
            },
        ];
        let svg = radar_chart(&axes, 40);
        let outline = svg.find("facts-outline").unwrap();
        let fill = svg.find("class=\"scores\"").unwrap();
        assert!(outline < fill, "the outline is under the fill");
        assert!(svg.contains("75, was 50") && svg.contains(">n/a<"));
        assert_eq!(svg.matches("moved-dot").count(), 1);
        assert!(svg.contains("overall 40 of 100"));
    }

    #[test]
    fn the_chart_has_axes_values_and_classes() {
        let day = time::OffsetDateTime::now_utc().date().to_string();
        let count = |n| Count {
            key: Some(day.clone()),
            failures: n,
        };
        let total = Summary {
            total: 7,
            by_day: vec![count(7)],
            ..Summary::default()
        };
        let drift = Summary {
            total: 4,
            by_day: vec![count(4)],
            ..Summary::default()
        };
        let mitm = Summary {
            total: 3,
            by_day: vec![count(3)],
            ..Summary::default()
        };
        let svg = day_chart(
            &[("rotation-drift", drift), ("possible-interception", mitm)],
            &total,
            7,
        );
        assert_eq!(svg.matches("class=\"axis\"").count(), 2);
        assert!(svg.contains("c-rotation-drift") && svg.contains("c-possible-interception"));
        assert!(svg.contains(">7</text>"), "the day's total above its bar");
        assert!(svg.contains(">10</text>"), "a round top on the value axis");
    }

    #[test]
    fn query_strings_set_only_known_dimensions_in_range() {
        let policy =
            pinwarden_core::policy::Policy::parse(include_str!("../../../examples/pinwarden.toml"))
                .unwrap();
        let facts = assess(&policy, today());
        let q: HashMap<String, String> = [
            ("ca-agility", "95"),
            ("telemetry", "101"),
            ("nonsense", "5"),
            ("ct-caa", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(what_if_scores(&facts, &q), vec![(Dimension::CaAgility, 95)]);
    }
}
