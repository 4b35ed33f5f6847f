//! Output of `pinwarden pin`: a table for people, one-per-line formats for
//! pipes and configs, JSON for machines. Only the table and JSON decode the
//! certificates' descriptive facts.

use std::io::{ErrorKind, IsTerminal as _, Write as _};

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use owo_colors::OwoColorize as _;
use pinwarden_core::{KeyInfo, Level, Link, TrustStore, short_name};
use serde_json::{Value, json};
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

use crate::args::PinFormat;
use crate::pin_report::{InputReport, Row, RowItem};

/// Writes the reports; a reader that goes away early (`| head`) is not an error.
pub(crate) fn render(
    reports: &[InputReport],
    format: PinFormat,
    store: &TrustStore,
    wide: bool,
) -> anyhow::Result<()> {
    match write_all(reports, format, store, wide) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn write_all(
    reports: &[InputReport],
    format: PinFormat,
    store: &TrustStore,
    wide: bool,
) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out: Box<dyn std::io::Write> = if format == PinFormat::Table {
        // Colours on a terminal, stripped elsewhere.
        Box::new(anstream::AutoStream::auto(stdout.lock()))
    } else {
        Box::new(std::io::BufWriter::new(stdout.lock()))
    };
    match format {
        PinFormat::Table => table(&mut out, reports, store, wide)?,
        PinFormat::Json => {
            let doc = json!({
                "roots": store.name,
                "inputs": reports.iter().map(|r| report_json(r, store)).collect::<Vec<_>>(),
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        PinFormat::Plain => {
            // The common case for large bundles: pins straight into one buffer.
            let rows: usize = reports.iter().map(|r| r.rows.len()).sum();
            let mut buf = String::with_capacity(rows * 52);
            for row in reports.iter().flat_map(|r| &r.rows) {
                row.pin.write_to(&mut buf);
                buf.push('\n');
            }
            out.write_all(buf.as_bytes())?;
        }
        PinFormat::Hpkp => lines(&mut out, reports, |_, r| {
            format!("pin-sha256=\"{}\";", r.pin.to_base64())
        })?,
        PinFormat::Okhttp => lines(&mut out, reports, |report, r| {
            let (subject, _, _, _) = describe(report, r, store);
            format!(
                "\"{}\", // {} ({})",
                r.pin,
                short_name(&subject),
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
    out.flush()
}

fn lines(
    out: &mut impl std::io::Write,
    reports: &[InputReport],
    line: impl Fn(&InputReport, &Row) -> String,
) -> std::io::Result<()> {
    // One write for the lot: bundles of thousands print in one go.
    let rows: usize = reports.iter().map(|r| r.rows.len()).sum();
    let mut buf = String::with_capacity(rows * 64);
    for report in reports {
        for row in &report.rows {
            buf.push_str(&line(report, row));
            buf.push('\n');
        }
    }
    out.write_all(buf.as_bytes())
}

/// Subject, issuer, expiry and key of a row, decoding facts as needed.
fn describe(
    report: &InputReport,
    row: &Row,
    store: &TrustStore,
) -> (
    String,
    Option<String>,
    Option<time::OffsetDateTime>,
    Option<KeyInfo>,
) {
    match row.item {
        RowItem::Cert(i) => {
            let cert = &report.certs[i];
            match cert.facts() {
                Ok(f) => (
                    f.subject.clone(),
                    Some(f.issuer.clone()),
                    Some(f.not_after),
                    Some(f.key.clone()),
                ),
                Err(e) => (format!("({e})"), None, None, None),
            }
        }
        RowItem::Key(i) => {
            let key = &report.keys[i];
            (key.source.clone(), None, None, Some(key.key.clone()))
        }
        RowItem::Anchor(i) => {
            let anchor = &store.anchors()[i];
            match anchor.certificate.as_deref().map(|c| c.facts()) {
                Some(Ok(f)) => (
                    f.subject.clone(),
                    Some(f.issuer.clone()),
                    Some(f.not_after),
                    Some(f.key.clone()),
                ),
                _ => (
                    anchor.subject.clone(),
                    Some(anchor.subject.clone()),
                    None,
                    pinwarden_core::PublicKey::from_spki_der(anchor.spki_der(), 1)
                        .ok()
                        .map(|k| k.key),
                ),
            }
        }
    }
}

fn report_json(report: &InputReport, store: &TrustStore) -> Value {
    let rows: Vec<Value> = report
        .rows
        .iter()
        .map(|row| {
            let (subject, issuer, not_after, key) = describe(report, row, store);
            let mut v = json!({
                "position": row.position,
                "source": match (row.item, report.kind) {
                    (RowItem::Anchor(_), _) => "trust-store",
                    (_, "host") => "served",
                    _ => "input",
                },
                "level": row.level,
                "subject": subject,
                "issuer": issuer,
                "not_after": not_after.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
                "key": key,
                "pin": row.pin,
            });
            let cert = match row.item {
                RowItem::Cert(i) => Some(&report.certs[i]),
                RowItem::Anchor(i) => store.anchors()[i].certificate.as_deref(),
                RowItem::Key(_) => None,
            };
            if let Some(cert) = cert {
                v["certificate"] = serde_json::to_value(cert).unwrap_or(Value::Null);
            }
            v
        })
        .collect();
    let chains: Vec<Value> = report
        .chains
        .iter()
        .map(|chain| {
            let links: Vec<Value> = chain
                .links
                .iter()
                .map(|&link| match link {
                    Link::Input(i) => json!({
                        "position": report.link_position(link),
                        "pin": report.certs[i].pin,
                    }),
                    Link::TrustStore(i) => json!({
                        "trust_store": store.anchors()[i].subject,
                        "pin": store.anchors()[i].pin,
                    }),
                })
                .collect();
            let mut v = serde_json::to_value(&chain.status).unwrap_or(Value::Null);
            v["certificates"] = Value::Array(links);
            v
        })
        .collect();
    json!({
        "input": report.input,
        "kind": report.kind,
        "address": report.address,
        "verdict": report.verdict,
        "rows": rows,
        "chains": chains,
        "notes": report.notes,
        "errors": report.errors,
    })
}

/// The width the table fits unless --wide: the subject gives way.
const TABLE_WIDTH: usize = 120;
/// A subject is never cut shorter than this (the table then grows past
/// [`TABLE_WIDTH`] instead).
const MIN_SUBJECT: usize = 16;

/// One row of the table, as text.
struct Line {
    position: String,
    level: &'static str,
    subject: String,
    issuer: String,
    expires: String,
    expired: bool,
    key: String,
    pin: String,
}

fn table(
    out: &mut impl std::io::Write,
    reports: &[InputReport],
    store: &TrustStore,
    wide: bool,
) -> std::io::Result<()> {
    let now = time::OffsetDateTime::now_utc();
    let many = reports.len() > 1;
    let mut first = true;
    for report in reports {
        if report.rows.is_empty() && report.notes.is_empty() {
            continue;
        }
        if many || report.kind == "host" {
            if !first {
                writeln!(out)?;
            }
            let mut head = format!("{}", report.input.bold());
            if let Some(addr) = report.address.as_ref().filter(|a| **a != report.input) {
                head.push_str(&format!(" ({addr})"));
            }
            match &report.verdict {
                Some(v @ pinwarden_probe::Verdict::Trusted) => {
                    head.push_str(&format!(" — {}", v.green()))
                }
                Some(v) => head.push_str(&format!(" — {}", v.yellow())),
                None => {}
            }
            writeln!(out, "{head}")?;
        }
        first = false;
        let lines: Vec<Line> = report
            .rows
            .iter()
            .map(|row| {
                let (subject, issuer, not_after, key) = describe(report, row, store);
                let expired = not_after.is_some_and(|t| t < now);
                Line {
                    position: row
                        .position
                        .map_or_else(|| "store".to_owned(), |p| p.to_string()),
                    level: level_name(row.level),
                    subject: short_name(&subject).to_owned(),
                    issuer: issuer.as_deref().map_or("—", short_name).to_owned(),
                    expires: match not_after {
                        Some(t) if expired => format!("EXPIRED {}", t.date()),
                        Some(t) => t.date().to_string(),
                        None => "—".to_owned(),
                    },
                    expired,
                    key: key.map_or_else(|| "—".to_owned(), |k| k.to_string()),
                    pin: row.pin.to_string(),
                }
            })
            .collect();
        if !lines.is_empty() {
            writeln!(out, "{}", render_table(&lines, wide))?;
        }
        let expired = lines.iter().filter(|l| l.expired).count();
        if expired > 0 {
            let said = if expired == 1 {
                "1 certificate above has expired: clients refuse it; its pin matches only a renewal \
                 with the same key"
                    .to_owned()
            } else {
                format!(
                    "{expired} certificates above have expired: clients refuse them; their pins \
                     match only a renewal with the same key"
                )
            };
            writeln!(out, "{} {said}", "warning:".red().bold())?;
        }
        for note in &report.notes {
            writeln!(out, "{} {note}", "note:".yellow())?;
        }
    }
    Ok(())
}

/// The table of one input: every column with `wide`, else position, level,
/// subject (shortened with `…` to fit [`TABLE_WIDTH`]), expiry and pin.
fn render_table(lines: &[Line], wide: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if !std::io::stdout().is_terminal() {
        t.force_no_tty();
    }
    let expires = |l: &Line| {
        let cell = Cell::new(&l.expires);
        if l.expired { cell.fg(Color::Red) } else { cell }
    };
    if wide {
        t.set_header(["#", "level", "subject", "issuer", "expires", "key", "pin"]);
        for l in lines {
            t.add_row(vec![
                Cell::new(&l.position),
                Cell::new(l.level),
                Cell::new(&l.subject),
                Cell::new(&l.issuer),
                expires(l),
                Cell::new(&l.key),
                Cell::new(&l.pin),
            ]);
        }
        return t;
    }
    let header = ["#", "level", "subject", "expires", "pin"];
    let widest = |head: &str, cell: &dyn Fn(&Line) -> &str| {
        lines
            .iter()
            .map(|l| cell(l).width())
            .chain([head.width()])
            .max()
            .unwrap_or(0)
    };
    // Each column takes its padding and one rule; the table one more rule.
    let frame = 3 * header.len() + 1;
    let others = widest("#", &|l| &l.position)
        + widest("level", &|l| l.level)
        + widest("expires", &|l| &l.expires)
        + widest("pin", &|l| &l.pin);
    let room = TABLE_WIDTH.saturating_sub(frame + others).max(MIN_SUBJECT);
    t.set_header(header);
    for l in lines {
        t.add_row(vec![
            Cell::new(&l.position),
            Cell::new(l.level),
            Cell::new(shorten(&l.subject, room)),
            expires(l),
            Cell::new(&l.pin),
        ]);
    }
    t
}

/// `text` cut to `width` columns, ending in `…` when cut.
fn shorten(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    let mut out = out.trim_end().to_owned();
    out.push('…');
    out
}

fn level_name(level: Option<Level>) -> &'static str {
    match level {
        Some(Level::Leaf) => "leaf",
        Some(Level::Intermediate) => "intermediate",
        Some(Level::Root) => "root",
        None => "key",
    }
}
