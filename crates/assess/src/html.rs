//! The report as one self-contained HTML file (styles inline, the radar as
//! inline SVG), and the words the text renderings share.

use std::fmt::Write as _;

use pinwarden_core::xml_escape;

use crate::svg::radar_svg;
use crate::{Report, Status, Verdict};

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

/// Words for a question's status.
pub fn status_words(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::AtRisk => "at risk",
        Status::Unknown => "unknown",
    }
}

/// One file, no external resources: styles inline, the radar as inline SVG.
pub fn report_html(report: &Report) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Pinning assessment</title>\n<style>\n\
         body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#222}\n\
         table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}\n\
         .pin{color:#0a6b2c}.dont-pin{color:#8a1c1c}.not-ready,.pin-with-conditions{color:#8a5a00}\n\
         svg{max-width:28rem;display:block;margin:auto}\n\
         @media print{body{max-width:none}a{color:inherit}}\n\
         </style>\n</head>\n<body>\n<h1>Pinning assessment</h1>\n<h2>Decisions</h2>\n\
         <table><thead><tr><th>application</th><th>verdict</th><th>level</th><th>backup</th><th>why, and what else</th></tr></thead><tbody>\n",
    );
    for d in &report.decisions {
        let class = name(d.verdict);
        let level = d.level.map_or_else(|| "—".into(), name);
        let why: Vec<String> = d
            .reasons
            .iter()
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
    let _ = writeln!(
        out,
        "</tbody></table>\n<h2>PKI Health Radar: {}/100</h2>",
        report.overall
    );
    out.push_str(&radar_svg(&report.radar));
    out.push_str(
        "<table><thead><tr><th>dimension</th><th>score</th><th>facts</th></tr></thead><tbody>\n",
    );
    for s in &report.radar.scores {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            s.dimension.title(),
            s.value,
            xml_escape(&s.facts.join("; "))
        );
    }
    out.push_str("</tbody></table>\n<h2>Gates</h2>\n<ul>\n");
    for g in &report.gates {
        let state = if g.closed { "applies" } else { "passed" };
        let _ = writeln!(out, "<li>{state}: {}</li>", xml_escape(g.rule));
    }
    out.push_str("</ul>\n<h2>The five questions</h2>\n<ol>\n");
    for q in &report.questions {
        let _ = writeln!(
            out,
            "<li><strong>{}</strong> ({}) {}</li>",
            xml_escape(q.question),
            status_words(q.status),
            xml_escape(&q.answer)
        );
    }
    let c = &report.cost;
    let _ = writeln!(
        out,
        "</ol>\n<h2>Cost</h2>\n<ul><li>pinned applications: {}</li><li>implementation: {:.1} engineer-weeks</li>\
         <li>pin changes a year: {:.1} ({:.0} a year)</li><li>expected outage cost: {:.0} a year</li></ul>\n</body>\n</html>",
        c.pinned_applications,
        c.implementation_weeks,
        c.pin_changes_per_year,
        c.yearly_operations,
        c.yearly_outage_risk
    );
    out
}
