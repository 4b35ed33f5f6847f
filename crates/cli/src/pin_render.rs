//! Output of `pinwarden pin`: a table for people, one-per-line formats for
//! pipes and configs, JSON for machines.

use std::io::{IsTerminal as _, Write as _};

use comfy_table::{ContentArrangement, Table, presets};
use owo_colors::OwoColorize as _;
use pinwarden_core::{Level, TrustStore};

use crate::args::PinFormat;
use crate::pin_cmd::{InputReport, Row};

pub(crate) fn render(
    reports: &[InputReport],
    format: PinFormat,
    store: &TrustStore,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = anstream::AutoStream::auto(stdout.lock());
    match format {
        PinFormat::Json => {
            let doc = serde_json::json!({ "roots": store.name, "inputs": reports });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        PinFormat::Table => table(&mut out, reports)?,
        PinFormat::Plain => lines(&mut out, reports, |r| r.pin.to_string())?,
        PinFormat::Hpkp => lines(&mut out, reports, |r| {
            format!("pin-sha256=\"{}\";", r.pin.to_base64())
        })?,
        PinFormat::Okhttp => lines(&mut out, reports, |r| {
            format!(
                "\"{}\", // {} ({})",
                r.pin,
                short(&r.subject),
                level_name(r.level)
            )
        })?,
        PinFormat::Curl => {
            for report in reports.iter().filter(|r| !r.rows.is_empty()) {
                let pins: Vec<String> = report
                    .rows
                    .iter()
                    .map(|r| format!("sha256//{}", r.pin.to_base64()))
                    .collect();
                writeln!(out, "{}", pins.join(";"))?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn lines(
    out: &mut impl std::io::Write,
    reports: &[InputReport],
    line: impl Fn(&Row) -> String,
) -> anyhow::Result<()> {
    // Large bundles: one buffered write per line, no per-line locking.
    let mut buf = String::new();
    for row in reports.iter().flat_map(|r| &r.rows) {
        buf.push_str(&line(row));
        buf.push('\n');
    }
    out.write_all(buf.as_bytes())?;
    Ok(())
}

fn table(out: &mut impl std::io::Write, reports: &[InputReport]) -> anyhow::Result<()> {
    let now = time::OffsetDateTime::now_utc();
    let many = reports.len() > 1;
    for (n, report) in reports.iter().enumerate() {
        if report.rows.is_empty() && report.notes.is_empty() {
            continue;
        }
        if many || report.kind == "host" {
            if n > 0 {
                writeln!(out)?;
            }
            let mut head = format!("{}", report.input.bold());
            if let Some(addr) = &report.address {
                head.push_str(&format!(" ({addr})"));
            }
            if let Some(v) = &report.verdict {
                let v = match v {
                    pinwarden_probe::Verdict::Trusted => v.to_string().green().to_string(),
                    pinwarden_probe::Verdict::Untrusted(_) => v.to_string().yellow().to_string(),
                };
                head.push_str(&format!(" — {v}"));
            }
            writeln!(out, "{head}")?;
        }
        if !report.rows.is_empty() {
            let mut t = Table::new();
            t.load_preset(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(["#", "level", "subject", "issuer", "expires", "key", "pin"]);
            if !std::io::stdout().is_terminal() {
                t.force_no_tty();
            }
            for r in &report.rows {
                let expires = match r.not_after {
                    Some(t) if t < now => format!("{} (expired)", t.date()),
                    Some(t) => t.date().to_string(),
                    None => "—".to_owned(),
                };
                t.add_row([
                    r.position
                        .map_or_else(|| "store".to_owned(), |p| p.to_string()),
                    level_name(r.level).to_owned(),
                    short(&r.subject).to_owned(),
                    r.issuer.as_deref().map_or("—", short).to_owned(),
                    expires,
                    r.key.to_string(),
                    r.pin.to_string(),
                ]);
            }
            writeln!(out, "{t}")?;
        }
        for note in &report.notes {
            writeln!(out, "{} {note}", "note:".yellow())?;
        }
    }
    Ok(())
}

fn level_name(level: Option<Level>) -> &'static str {
    match level {
        Some(Level::Leaf) => "leaf",
        Some(Level::Intermediate) => "intermediate",
        Some(Level::Root) => "root",
        None => "key",
    }
}

/// The CN of a distinguished name, else the whole name.
fn short(dn: &str) -> &str {
    dn.split(", ")
        .find_map(|p| p.strip_prefix("CN="))
        .unwrap_or(dn)
}
