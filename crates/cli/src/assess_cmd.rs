//! `pinwarden assess`: the decision framework's report, for a terminal, as
//! Markdown, or as JSON.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use pinwarden_assess::{Dimension, Report, Status, Verdict, assess, radar_svg};

use crate::args::{AssessArgs, AssessFormat};

pub(crate) fn run(args: AssessArgs) -> anyhow::Result<ExitCode> {
    let today = match &args.today {
        Some(d) => time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
            .with_context(|| format!("--today {d:?} is not a date like 2027-06-30"))?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    if args.interactive {
        return crate::interactive::run(today);
    }
    let policy = crate::policy_file::load(&args.policy)?;
    let report = assess(&policy, today);
    let format = if args.json {
        AssessFormat::Json
    } else {
        args.format
    };
    match format {
        AssessFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        AssessFormat::Md => print!("{}", markdown(&report)),
        AssessFormat::Html => print!("{}", html(&report)),
        AssessFormat::Text => print!("{}", text(&report)),
    }
    Ok(ExitCode::SUCCESS)
}

/// The name a value has in the JSON output (`dont-pin`, `private-root`…).
pub(crate) fn name<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn verdict_words(v: Verdict) -> &'static str {
    match v {
        Verdict::Pin => "pin",
        Verdict::PinWithConditions => "pin, with conditions",
        Verdict::DontPin => "don't pin",
        Verdict::NotReady => "not ready to pin",
    }
}

fn status_words(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::AtRisk => "at risk",
        Status::Unknown => "unknown",
    }
}

fn bar(value: u8) -> String {
    let full = usize::from(value) / 5;
    format!("{}{}", "█".repeat(full), "·".repeat(20 - full))
}

fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Decisions");
    for d in &report.decisions {
        let level = d
            .level
            .map(|l| format!(" at {}", name(l)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}: {}{level}",
            d.application,
            verdict_words(d.verdict)
        );
        for r in &d.reasons {
            let _ = writeln!(out, "      because {r}");
        }
        if let Some(b) = &d.backup {
            let _ = writeln!(out, "      backup: {b}");
        }
        for i in &d.instead {
            let _ = writeln!(out, "      instead/also: {i}");
        }
    }
    let _ = writeln!(
        out,
        "\nPKI Health Radar (overall {}/100)",
        report.radar.overall(None)
    );
    for s in &report.radar.scores {
        let _ = writeln!(
            out,
            "  {:<38} {} {:>3}  {}",
            s.dimension.title(),
            bar(s.value),
            s.value,
            s.facts.join("; ")
        );
    }
    let _ = writeln!(out, "\nGates");
    for (d, rule) in [
        (
            Dimension::PinUpdateSpeed,
            "pin update speed < 50: no leaf pins",
        ),
        (Dimension::Telemetry, "telemetry < 50: report-only at most"),
        (
            Dimension::OwnershipRunbooks,
            "ownership < 50: not ready to pin",
        ),
    ] {
        let closed = report.radar.get(d) < 50;
        let _ = writeln!(
            out,
            "  [{}] {rule}",
            if closed { "applies" } else { "passed" }
        );
    }
    let _ = writeln!(out, "\nThe five questions");
    for (n, q) in report.questions.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. {} [{}]\n     {}",
            n + 1,
            q.question,
            status_words(q.status),
            q.answer
        );
    }
    let c = &report.cost;
    let _ = writeln!(
        out,
        "\nCost\n  {} pinned applications: {:.1} engineer-weeks to implement, {:.1} pin changes a year costing {:.0} a year, outage risk {:.0} a year",
        c.pinned_applications,
        c.implementation_weeks,
        c.pin_changes_per_year,
        c.yearly_operations,
        c.yearly_outage_risk
    );
    out
}

fn markdown(report: &Report) -> String {
    let mut out = String::from(
        "# Pinning assessment\n\n## Decisions\n\n| application | type | verdict | level | backup | why |\n|---|---|---|---|---|---|\n",
    );
    for d in &report.decisions {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            d.application,
            name(d.app_type),
            verdict_words(d.verdict),
            d.level.map(name).unwrap_or_else(|| "—".into()),
            d.backup.as_deref().unwrap_or("—"),
            d.reasons
                .iter()
                .chain(&d.instead)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let _ = writeln!(
        out,
        "\n## PKI Health Radar: {}/100\n\n| dimension | score | facts |\n|---|---|---|",
        report.radar.overall(None)
    );
    for s in &report.radar.scores {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            s.dimension.title(),
            s.value,
            s.facts.join("; ")
        );
    }
    let _ = writeln!(out, "\n## The five questions\n");
    for (n, q) in report.questions.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. **{}** ({}) {}",
            n + 1,
            q.question,
            status_words(q.status),
            q.answer
        );
    }
    let c = &report.cost;
    let _ = writeln!(
        out,
        "\n## Cost\n\n- pinned applications: {}\n- implementation: {:.1} engineer-weeks\n- pin changes a year: {:.1} ({:.0} a year)\n- expected outage cost: {:.0} a year",
        c.pinned_applications,
        c.implementation_weeks,
        c.pin_changes_per_year,
        c.yearly_operations,
        c.yearly_outage_risk
    );
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One file, no external resources: styles inline, the radar as inline SVG.
fn html(report: &Report) -> String {
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
            .map(|r| escape(r))
            .collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"{class}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&d.application),
            verdict_words(d.verdict),
            escape(&level),
            escape(d.backup.as_deref().unwrap_or("—")),
            why.join("<br>")
        );
    }
    let _ = writeln!(
        out,
        "</tbody></table>\n<h2>PKI Health Radar: {}/100</h2>",
        report.radar.overall(None)
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
            escape(&s.facts.join("; "))
        );
    }
    out.push_str("</tbody></table>\n<h2>The five questions</h2>\n<ol>\n");
    for q in &report.questions {
        let _ = writeln!(
            out,
            "<li><strong>{}</strong> ({}) {}</li>",
            escape(q.question),
            status_words(q.status),
            escape(&q.answer)
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
