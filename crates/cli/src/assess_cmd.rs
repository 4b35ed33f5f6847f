//! `pinwarden assess`: the decision framework's report, for a terminal, as
//! Markdown, or as JSON.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use pinwarden_assess::{Report, assess, name, report_html, status_words, verdict_words};

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
        AssessFormat::Html => print!("{}", report_html(&report)),
        AssessFormat::Text => print!("{}", text(&report)),
    }
    Ok(ExitCode::SUCCESS)
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
    let _ = writeln!(out, "\nPKI Health Radar (overall {}/100)", report.overall);
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
    for gate in &report.gates {
        let state = if gate.closed { "applies" } else { "passed" };
        let _ = writeln!(out, "  [{state}] {}", gate.rule);
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
        report.overall
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
    let _ = writeln!(out, "\n## Gates\n");
    for gate in &report.gates {
        let state = if gate.closed { "applies" } else { "passed" };
        let _ = writeln!(out, "- {state}: {}", gate.rule);
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
