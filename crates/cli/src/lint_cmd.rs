//! `pinwarden lint`: the policy's risks, grouped by severity.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use owo_colors::OwoColorize as _;
use pinwarden_core::Certificate;
use pinwarden_core::lint::{self, Finding, Served, Severity};
use pinwarden_core::policy::line_column;

use crate::args::{LintArgs, LintFormat};

pub(crate) fn run(args: LintArgs) -> anyhow::Result<ExitCode> {
    let threshold: Severity = args.severity.parse().map_err(anyhow::Error::msg)?;
    let today = match &args.today {
        Some(d) => time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
            .with_context(|| format!("--today {d:?} is not a date like 2027-06-30"))?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    let policy = crate::policy_file::load(&args.policy)?;
    let text = std::fs::read_to_string(&args.policy)
        .with_context(|| format!("can't read {}", args.policy))?;
    let roots = pinwarden_probe::Roots::load(&pinwarden_probe::RootSource::parse(&args.roots))?;
    let certificates: Vec<Certificate> = roots
        .store
        .anchors()
        .iter()
        .filter_map(|a| a.certificate.as_deref().cloned())
        .collect();
    let served = match &args.chains {
        Some(dir) => served_chains(dir)?,
        None => Vec::new(),
    };
    let cas = match &args.private_cas {
        Some(file) => {
            let private = pinwarden_core::cadata::CaDataset::load(file)?;
            Some(pinwarden_core::cadata::CaDataset::builtin().extend(&private, file)?)
        }
        None => None,
    };
    let keys = pinwarden_core::cadata::KeyModel {
        cas: cas
            .as_ref()
            .unwrap_or_else(|| pinwarden_core::cadata::CaDataset::builtin()),
        distrust: pinwarden_core::cadata::DistrustDataset::builtin(),
    };
    let context = lint::Context {
        today,
        certificates: &certificates,
        served: &served,
        keys,
    };
    let findings = lint::lint(&policy, &context);
    let located = |f: &Finding| f.span.as_ref().map(|s| line_column(&text, s.start));

    if args.format == LintFormat::Sarif {
        let cwd = std::env::current_dir().context("the current directory")?;
        let log = lint::sarif(&findings, Path::new(&args.policy), &cwd, |offset| {
            line_column(&text, offset)
        });
        println!("{}", serde_json::to_string_pretty(&log)?);
    } else if args.json || args.format == LintFormat::Json {
        let items: Vec<serde_json::Value> = findings
            .iter()
            .map(|f| {
                let rule = lint::rule(f.rule);
                let (line, column) = located(f).map_or((None, None), |(l, c)| (Some(l), Some(c)));
                serde_json::json!({
                    "rule": f.rule,
                    "severity": f.severity,
                    "title": rule.map(|r| r.title),
                    "message": f.message,
                    "file": args.policy,
                    "line": line,
                    "column": column,
                    "fix": rule.map(|r| r.fix),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "findings": items }))?
        );
    } else {
        let mut out = anstream::stdout();
        use std::io::Write as _;
        for severity in [Severity::Error, Severity::Warning, Severity::Info] {
            for f in findings.iter().filter(|f| f.severity == severity) {
                let Some(rule) = lint::rule(f.rule) else {
                    continue;
                };
                let head = format!("{severity}[{}]", f.rule);
                let head = match severity {
                    Severity::Error => head.red().bold().to_string(),
                    Severity::Warning => head.yellow().bold().to_string(),
                    Severity::Info => head.blue().bold().to_string(),
                };
                let place = located(f).map_or_else(
                    || args.policy.clone(),
                    |(l, c)| format!("{}:{l}:{c}", args.policy),
                );
                writeln!(out, "{head}: {}", rule.title)?;
                writeln!(out, "  --> {place}: {}", f.message)?;
                writeln!(out, "  = fix: {}", rule.fix)?;
            }
        }
        let count = |s| findings.iter().filter(|f| f.severity == s).count();
        writeln!(
            out,
            "{} errors, {} warnings, {} info",
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info)
        )?;
    }
    Ok(if findings.iter().any(|f| f.severity >= threshold) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// DIR/HOST.pem files, each a chain as HOST serves it.
fn served_chains(dir: &str) -> anyhow::Result<Vec<Served>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("--chains {dir}"))? {
        let path = entry?.path();
        let (Some(host), Some("pem")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        let bytes = std::fs::read(&path).with_context(|| path.display().to_string())?;
        let decoded = pinwarden_core::decode(&bytes).with_context(|| path.display().to_string())?;
        out.push(Served {
            host: host.to_owned(),
            chain: decoded.certificates,
        });
    }
    out.sort_by(|a, b| a.host.cmp(&b.host));
    Ok(out)
}
