//! The report as one self-contained HTML file (styles inline, the radar as
//! inline SVG), and the words the text renderings share.

use std::fmt::Write as _;

use pinwarden_core::xml_escape;

use crate::svg::radar_svg;
use crate::{GateState, Readiness, Report, RuleStatus, Status, Verdict};

/// The name a value has in the JSON output (`dont-pin`, `private-root`…).
pub fn name<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Words for a verdict.
pub fn verdict_words(v: Verdict) -> &'static str {
    match v {
        Verdict::Pin => "pin",
        Verdict::PinWithConditions => "pin, with conditions",
        Verdict::DontPin => "don't pin",
        Verdict::NotReady => "not ready to pin",
    }
}

/// Words for an application type.
pub fn type_words(t: pinwarden_core::policy::AppType) -> &'static str {
    use pinwarden_core::policy::AppType;
    match t {
        AppType::Mobile => "mobile",
        AppType::Web => "web (browser)",
        AppType::Service => "internal service",
        AppType::Iot => "IoT",
        AppType::ThirdParty => "third-party API",
        AppType::Desktop => "desktop",
    }
}

/// Words for the organisation's readiness.
pub fn readiness_words(r: Readiness) -> &'static str {
    match r {
        Readiness::Ready => "ready to pin",
        Readiness::NotReady => "not ready to pin",
        Readiness::Undetermined => "readiness not determined",
    }
}

/// Words for a rule's status.
pub fn rule_status_words(s: RuleStatus) -> &'static str {
    match s {
        RuleStatus::Met => "met",
        RuleStatus::NotMet => "not met",
        RuleStatus::NotStated => "not stated",
        RuleStatus::NotApplicable => "n/a",
    }
}

/// Words for a gate's state.
pub fn gate_words(s: GateState) -> &'static str {
    match s {
        GateState::Passed => "passed",
        GateState::Closed => "holds back",
        GateState::Unknown => "unknown",
    }
}

/// Words for a question's status.
pub fn status_words(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::AtRisk => "at risk",
        Status::Unknown => "unknown",
    }
}

/// The full report's styles: inline in [`report_html`]'s one file, a
/// stylesheet of its own in [`report_html_linked`]'s page.
pub const REPORT_CSS: &str = "\
     body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#222}\n\
     table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}\n\
     .pin,.ready{color:#0a6b2c}.dont-pin{color:#8a1c1c}.not-ready,.pin-with-conditions,.undetermined{color:#8a5a00}\n\
     .org{border:2px solid #888;padding:.5rem 1rem;margin:1rem 0}\n\
     svg{max-width:28rem;display:block;margin:auto}\n\
     details{margin:.3rem 0}\n\
     @media print{body{max-width:none}a{color:inherit}}\n";

/// One file, no external resources: styles inline, the radar as inline SVG.
pub fn report_html(report: &Report) -> String {
    report_document(report, &format!("<style>\n{REPORT_CSS}</style>"))
}

/// The same report with its styles from the stylesheet at `href`
/// ([`REPORT_CSS`]), for a server whose Content-Security-Policy allows no
/// inline style.
pub fn report_html_linked(report: &Report, href: &str) -> String {
    report_document(
        report,
        &format!("<link rel=\"stylesheet\" href=\"{}\">", xml_escape(href)),
    )
}

fn report_document(report: &Report, styles: &str) -> String {
    let o = &report.organisation;
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Pinning assessment</title>\n{styles}\n</head>\n<body>\n<h1>Pinning assessment</h1>\n",
    );
    let _ = writeln!(
        out,
        "<section class=\"org\" id=\"organisation\"><h2>Organisation: <span class=\"{}\">{}</span></h2>\n<p>{}</p>\n<ul>",
        name(o.readiness),
        readiness_words(o.readiness),
        xml_escape(&o.summary)
    );
    for w in &o.why {
        let _ = writeln!(out, "<li>{}</li>", xml_escape(w));
    }
    out.push_str("</ul>\n<ul>\n");
    for (verdict, apps) in o.groups() {
        let _ = writeln!(
            out,
            "<li><strong>{}:</strong> {}</li>",
            verdict_words(verdict),
            xml_escape(&apps.join(", "))
        );
    }
    out.push_str("</ul>\n");
    if !o.first_steps.is_empty() {
        out.push_str("<p>First steps:</p><ol>\n");
        for s in &o.first_steps {
            let _ = writeln!(out, "<li>{}</li>", xml_escape(s));
        }
        out.push_str("</ol>\n");
    }
    out.push_str("<p>Alternatives, for everything not pinned:</p><ul>\n");
    for a in &o.alternatives {
        let _ = writeln!(out, "<li>{}</li>", xml_escape(a));
    }
    out.push_str(
        "</ul></section>\n<h2>Decisions</h2>\n\
         <table><thead><tr><th>application</th><th>verdict</th><th>level</th><th>backup</th><th>why (rule ids), and what else</th></tr></thead><tbody>\n",
    );
    for d in &report.decisions {
        let class = name(d.verdict);
        let level = d.level.map_or_else(|| "—".into(), name);
        let why: Vec<String> = d
            .reasons
            .iter()
            .chain(&d.conditions)
            .chain(&d.instead)
            .map(|r| xml_escape(r))
            .collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"{class}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            xml_escape(&d.application),
            verdict_words(d.verdict),
            xml_escape(&level),
            xml_escape(d.backup.as_deref().unwrap_or("—")),
            why.join("<br>")
        );
    }
    out.push_str("</tbody></table>\n<h2>Rule traces</h2>\n");
    for d in &report.decisions {
        let _ = writeln!(
            out,
            "<details class=\"trace\"><summary>{}: {}</summary>\n<table><thead><tr><th>rule</th><th>status</th><th>asks</th><th>facts</th></tr></thead><tbody>",
            xml_escape(&d.application),
            verdict_words(d.verdict)
        );
        for step in d
            .trace
            .iter()
            .filter(|s| s.status != RuleStatus::NotApplicable)
        {
            let decided = if step.decided { " (decided)" } else { "" };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}{decided}</td><td>{}</td><td>{}</td></tr>",
                step.rule,
                rule_status_words(step.status),
                xml_escape(step.asks),
                xml_escape(&step.facts)
            );
        }
        out.push_str("</tbody></table></details>\n");
    }
    let _ = writeln!(out, "<h2>PKI Health Radar: {}/100</h2>", report.overall);
    out.push_str(&radar_svg(&report.radar));
    out.push_str(
        "<table><thead><tr><th>dimension</th><th>score</th><th>facts</th></tr></thead><tbody>\n",
    );
    for s in &report.radar.scores {
        let value = if s.applies {
            s.value.to_string()
        } else {
            "n/a".into()
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{value}</td><td>{}</td></tr>",
            s.dimension.title(),
            xml_escape(&s.facts.join("; "))
        );
    }
    out.push_str("</tbody></table>\n<h2>Gates</h2>\n<ul>\n");
    for g in &report.gates {
        let _ = writeln!(
            out,
            "<li>{}: {} [{}]</li>",
            gate_words(g.state),
            xml_escape(&g.finding),
            g.rule
        );
    }
    out.push_str("</ul>\n<h2>The five questions</h2>\n<ol>\n");
    for q in &report.questions {
        let _ = writeln!(
            out,
            "<li><strong>{}</strong> ({}) {} [{}]</li>",
            xml_escape(q.question),
            status_words(q.status),
            xml_escape(&q.answer),
            q.rules.join(", ")
        );
    }
    let c = &report.cost;
    let _ = writeln!(
        out,
        "</ol>\n<h2>Cost (amounts in {})</h2>\n<table><thead><tr><th>item</th><th>amount</th><th>unit</th><th>assumption</th></tr></thead><tbody>",
        xml_escape(&c.currency)
    );
    for line in &c.lines {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            xml_escape(&line.item),
            crate::cost::amount(line.amount),
            xml_escape(&line.unit),
            xml_escape(&line.assumption)
        );
    }
    let _ = writeln!(
        out,
        "</tbody></table>\n<p>Instead: {}</p>\n</body>\n</html>",
        xml_escape(&c.instead)
    );
    out
}
