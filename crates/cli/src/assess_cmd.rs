//! `pinwarden assess`: the decision framework's report, for a terminal, as
//! Markdown, or as JSON; `--explain APP` prints one application's rule trace.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use pinwarden_assess::{
    Decision, Report, RuleStatus, assess, gate_words, name, readiness_words, report_html,
    rule_status_words, status_words, type_words, verdict_words,
};

use crate::args::{AssessArgs, AssessFormat};

/// `--today`, or today.
pub(crate) fn today(given: Option<&str>) -> anyhow::Result<time::Date> {
    match given {
        Some(d) => time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
            .with_context(|| format!("--today {d:?} is not a date like 2027-06-30")),
        None => Ok(time::OffsetDateTime::now_utc().date()),
    }
}

pub(crate) fn run(args: AssessArgs) -> anyhow::Result<ExitCode> {
    let today = today(args.today.as_deref())?;
    if args.interactive {
        return crate::interactive::run(today);
    }
    let policy = crate::policy_file::load(&args.policy)?;
    let report = assess(&policy, today);
    if let Some(id) = &args.explain {
        let Some(d) = report.decisions.iter().find(|d| d.application == *id) else {
            let known: Vec<&str> = report
                .decisions
                .iter()
                .map(|d| d.application.as_str())
                .collect();
            anyhow::bail!(
                "{}: no application {id:?} (there are: {})",
                args.policy,
                known.join(", ")
            );
        };
        if args.json || args.format == AssessFormat::Json {
            println!("{}", serde_json::to_string_pretty(d)?);
        } else {
            print!("{}", explain(d));
        }
        return Ok(ExitCode::SUCCESS);
    }
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

/// One application's rule trace: every rule, its status, the facts it read.
fn explain(d: &Decision) -> String {
    let mut out = String::new();
    let level = d
        .level
        .map(|l| format!(" at {}", name(l)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{} ({}): {}{level}",
        d.application,
        type_words(d.app_type),
        verdict_words(d.verdict)
    );
    if !d.rules.is_empty() {
        let _ = writeln!(out, "decided by: {}", d.rules.join(", "));
    }
    let _ = writeln!(out, "\nRules");
    for step in &d.trace {
        let mark = if step.decided { "*" } else { " " };
        let _ = writeln!(
            out,
            "{mark} {:<17} {:<14} {}",
            step.rule,
            rule_status_words(step.status),
            step.asks
        );
        if step.status == RuleStatus::NotApplicable {
            continue;
        }
        let _ = writeln!(out, "  {:<17} section: {}", "", step.section);
        let _ = writeln!(out, "  {:<17} reads: {}", "", step.reads.join(", "));
        if !step.facts.is_empty() {
            let _ = writeln!(out, "  {:<17} facts: {}", "", step.facts);
        }
        if let (Some(cap), Some(then)) = (step.cap, step.then) {
            let _ = writeln!(
                out,
                "  {:<17} => at most {}: {then}",
                "",
                verdict_words(cap)
            );
        }
    }
    let _ = writeln!(out, "\n* decided the verdict");
    out
}

fn bar(value: u8) -> String {
    let full = usize::from(value) / 5;
    format!("{}{}", "█".repeat(full), "·".repeat(20 - full))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn text(report: &Report) -> String {
    let mut out = String::new();
    let o = &report.organisation;
    let _ = writeln!(out, "Organisation: {}", readiness_words(o.readiness));
    let _ = writeln!(out, "  {}", o.summary);
    for w in &o.why {
        let _ = writeln!(out, "      because {w}");
    }
    for (verdict, apps) in o.groups() {
        let _ = writeln!(out, "  {}: {}", verdict_words(verdict), apps.join(", "));
    }
    for s in &o.first_steps {
        let _ = writeln!(out, "  first: {s}");
    }
    for a in &o.alternatives {
        let _ = writeln!(out, "  alternative: {a}");
    }
    let _ = writeln!(out, "\nDecisions");
    for d in &report.decisions {
        let level = d
            .level
            .map(|l| format!(" at {}", name(l)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} ({}): {}{level}",
            d.application,
            type_words(d.app_type),
            verdict_words(d.verdict)
        );
        for r in &d.reasons {
            let _ = writeln!(out, "      because {r}");
        }
        for c in &d.conditions {
            let _ = writeln!(out, "      also needs: {c}");
        }
        let trace: Vec<String> = d
            .trace
            .iter()
            .filter(|s| s.status != RuleStatus::NotApplicable)
            .map(|s| format!("{} {}", s.rule, rule_status_words(s.status)))
            .collect();
        let _ = writeln!(out, "      rules: {}", trace.join(" · "));
        if let Some(b) = &d.backup {
            let _ = writeln!(out, "      backup: {b}");
        }
        for i in &d.instead {
            let _ = writeln!(out, "      instead/also: {i}");
        }
    }
    let _ = writeln!(
        out,
        "\n  (pinwarden assess --explain APP shows every rule for one application)"
    );
    let _ = writeln!(out, "\nPKI Health Radar (overall {}/100)", report.overall);
    for s in &report.radar.scores {
        let value = if s.applies {
            format!("{} {:>3}", bar(s.value), s.value)
        } else {
            format!("{:<20} n/a", "")
        };
        let _ = writeln!(
            out,
            "  {:<38} {value}  {}",
            s.dimension.title(),
            s.facts.join("; ")
        );
    }
    let _ = writeln!(out, "\nGates");
    for gate in &report.gates {
        let _ = writeln!(
            out,
            "  [{}] {} [{}]",
            gate_words(gate.state),
            gate.finding,
            gate.rule
        );
    }
    let _ = writeln!(out, "\nThe five questions");
    for (n, q) in report.questions.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. {} [{}]\n     {} [{}]",
            n + 1,
            q.question,
            status_words(q.status),
            q.answer,
            q.rules.join(", ")
        );
    }
    let c = &report.cost;
    let _ = writeln!(
        out,
        "\nCost ({}, {})",
        plural(
            c.pinned_applications,
            "pinned application",
            "pinned applications"
        ),
        c.currency
    );
    for line in &c.lines {
        let _ = writeln!(
            out,
            "  {}: {} {}\n      {}",
            line.item,
            pinwarden_assess::amount(line.amount),
            line.unit,
            line.assumption
        );
    }
    let _ = writeln!(out, "  instead: {}", c.instead);
    out
}

fn markdown(report: &Report) -> String {
    let o = &report.organisation;
    let mut out = format!(
        "# Pinning assessment\n\n## Organisation: {}\n\n{}\n\n",
        readiness_words(o.readiness),
        o.summary
    );
    for w in &o.why {
        let _ = writeln!(out, "- {w}");
    }
    let _ = writeln!(out);
    for (verdict, apps) in o.groups() {
        let _ = writeln!(out, "- **{}:** {}", verdict_words(verdict), apps.join(", "));
    }
    if !o.first_steps.is_empty() {
        let _ = writeln!(out, "\nFirst steps:\n");
        for s in &o.first_steps {
            let _ = writeln!(out, "1. {s}");
        }
    }
    let _ = writeln!(out, "\nAlternatives, for everything not pinned:\n");
    for a in &o.alternatives {
        let _ = writeln!(out, "- {a}");
    }
    out.push_str(
        "\n## Decisions\n\n| application | type | verdict | level | backup | why (rule ids) | instead, or also |\n|---|---|---|---|---|---|---|\n",
    );
    for d in &report.decisions {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            d.application,
            type_words(d.app_type),
            verdict_words(d.verdict),
            d.level.map(name).unwrap_or_else(|| "—".into()),
            d.backup.as_deref().unwrap_or("—"),
            d.reasons.join("; ").replace('|', "\\|"),
            d.instead.join("; ").replace('|', "\\|")
        );
    }
    let _ = writeln!(out, "\n## Rule traces\n");
    for d in &report.decisions {
        let _ = writeln!(
            out,
            "### {}: {}\n\n| rule | status | facts |\n|---|---|---|",
            d.application,
            verdict_words(d.verdict)
        );
        for step in d
            .trace
            .iter()
            .filter(|s| s.status != RuleStatus::NotApplicable)
        {
            let mark = if step.decided { " (decided)" } else { "" };
            let _ = writeln!(
                out,
                "| {} | {}{mark} | {} |",
                step.rule,
                rule_status_words(step.status),
                step.facts.replace('|', "\\|")
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "## PKI Health Radar: {}/100\n\n| dimension | score | facts |\n|---|---|---|",
        report.overall
    );
    for s in &report.radar.scores {
        let value = if s.applies {
            s.value.to_string()
        } else {
            "n/a".into()
        };
        let _ = writeln!(
            out,
            "| {} | {value} | {} |",
            s.dimension.title(),
            s.facts.join("; ")
        );
    }
    let _ = writeln!(out, "\n## Gates\n");
    for gate in &report.gates {
        let _ = writeln!(
            out,
            "- {}: {} [{}]",
            gate_words(gate.state),
            gate.finding,
            gate.rule
        );
    }
    let _ = writeln!(out, "\n## The five questions\n");
    for (n, q) in report.questions.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. **{}** ({}) {} [{}]",
            n + 1,
            q.question,
            status_words(q.status),
            q.answer,
            q.rules.join(", ")
        );
    }
    let c = &report.cost;
    let _ = writeln!(
        out,
        "\n## Cost ({}, amounts in {})\n\n| item | amount | unit | assumption |\n|---|---|---|---|",
        plural(
            c.pinned_applications,
            "pinned application",
            "pinned applications"
        ),
        c.currency
    );
    for line in &c.lines {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            line.item,
            pinwarden_assess::amount(line.amount),
            line.unit,
            line.assumption
        );
    }
    let _ = writeln!(out, "\nInstead: {}", c.instead);
    out
}
