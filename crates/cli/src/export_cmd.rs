//! `pinwarden export`: an ad-hoc pin set to a platform's configuration.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use pinwarden_core::export::{self, Format, Options, PinnedCertificate};
use pinwarden_core::{HostPattern, Level, PinEntry, PinRole, PinSet, SpkiPin, short_name};
use pinwarden_probe::{RootSource, Roots};

use crate::args::{ExportArgs, FromLevel, PinLevelArg};
use crate::pin_report::{InputReport, RowItem};

pub(crate) fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let (set, options) = checked(&args)?;
    let out = export::export(&set, args.to, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", out.content);
        for w in &out.warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Turns the raw flags into a pin set, or says which flag is wrong.
fn checked(args: &ExportArgs) -> anyhow::Result<(PinSet, Options)> {
    let mut options = Options {
        hpkp_max_age: args.max_age,
        today: crate::assess_cmd::today(args.today.as_deref())?,
        danger_single_pin: args.danger_single_pin,
        certificates: Vec::new(),
    };
    if let Some(id) = &args.pinset {
        let policy = crate::policy_file::load(&args.policy)?;
        let Some(found) = policy.pinset(id) else {
            let known: Vec<&str> = policy
                .pinsets
                .iter()
                .map(|p| p.id.get_ref().as_str())
                .collect();
            bail!(
                "{}: no pin set {id:?} (the file defines: {})",
                args.policy,
                known.join(", ")
            );
        };
        let mut set = found.to_pinset();
        if args.report_only {
            set.enforce = false;
        }
        return Ok((set, options));
    }
    if args.pins.is_empty()
        && args.backup_pins.is_empty()
        && args.pins_from.is_empty()
        && args.backup_pins_from.is_empty()
    {
        bail!(
            "no pins: give --pin PIN (and --backup-pin PIN), or --pins-from FILE \
             (and --backup-pins-from FILE), at least once"
        );
    }
    let level = args.pin_level.map(|l| match l {
        PinLevelArg::Leaf => Level::Leaf,
        PinLevelArg::Intermediate => Level::Intermediate,
        PinLevelArg::Root => Level::Root,
    });
    let mut pins: Vec<PinEntry> = Vec::new();
    for (texts, role, from) in [
        (&args.pins, PinRole::Primary, "--pins-from"),
        (&args.backup_pins, PinRole::Backup, "--backup-pins-from"),
    ] {
        for text in texts {
            if std::path::Path::new(text).is_file() {
                bail!(
                    "{text:?} is a file, not a pin: to pin the keys of its certificates, \
                     use {from} {text}"
                );
            }
            let pin: SpkiPin = text.parse().map_err(|reason| pinwarden_core::Error::Pin {
                input: text.clone(),
                reason,
            })?;
            if pins.iter().any(|p| p.pin == pin) {
                bail!("pin {pin} is given twice");
            }
            pins.push(PinEntry {
                pin,
                role,
                level,
                label: None,
            });
        }
    }
    options.certificates = pins_from_files(args, level, &mut pins)?;
    let hosts = args
        .hosts
        .iter()
        .map(|h| h.parse::<HostPattern>())
        .collect::<Result<Vec<_>, _>>()?;
    let expires = args
        .expires
        .as_deref()
        .map(|d| {
            time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                .with_context(|| format!("--expires {d:?} is not a date like 2027-06-30"))
        })
        .transpose()?;
    if let Some(uri) = &args.report_uri
        && !(uri.starts_with("https://") || uri.starts_with("http://"))
    {
        bail!("--report-uri {uri:?} must be an http(s) URL");
    }
    // HPKP is report-only unless enforcing is asked for; everything else enforces.
    let enforce = if args.report_only {
        false
    } else {
        args.enforce || args.to != Format::Hpkp
    };
    let set = PinSet {
        id: args.id.clone(),
        hosts,
        pins,
        enforce,
        include_subdomains: args.include_subdomains,
        expires,
        report_uri: args.report_uri.clone(),
    };
    Ok((set, options))
}

/// Adds the keys of the --pins-from and --backup-pins-from files to `pins`,
/// and returns every certificate read, for the expiry warnings.
fn pins_from_files(
    args: &ExportArgs,
    stated: Option<Level>,
    pins: &mut Vec<PinEntry>,
) -> anyhow::Result<Vec<PinnedCertificate>> {
    let mut certificates = Vec::new();
    if args.pins_from.is_empty() && args.backup_pins_from.is_empty() {
        return Ok(certificates);
    }
    let roots = Roots::load(&RootSource::parse(&args.roots))?;
    let store = roots.store.as_ref();
    for (files, role, flag) in [
        (&args.pins_from, PinRole::Primary, "--pins-from"),
        (
            &args.backup_pins_from,
            PinRole::Backup,
            "--backup-pins-from",
        ),
    ] {
        for path in files {
            let report = if path == "-" {
                InputReport::from_reader("-", std::io::stdin().lock(), store)
            } else {
                let file = std::fs::File::open(path).with_context(|| format!("{flag} {path}"))?;
                InputReport::from_reader(path, file, store)
            };
            if !report.errors.is_empty() {
                bail!("{flag}: {}", report.errors.join("; "));
            }
            let mut taken = 0;
            for row in &report.rows {
                let cert = match row.item {
                    RowItem::Cert(i) => Some(&report.certs[i]),
                    RowItem::Anchor(i) => store.anchors()[i].certificate.as_deref(),
                    RowItem::Key(_) => None,
                };
                let facts = cert.and_then(|c| c.facts().ok());
                let name = match row.item {
                    RowItem::Key(i) => report.keys[i].source.clone(),
                    RowItem::Anchor(i) => store.anchors()[i].display_name().to_owned(),
                    RowItem::Cert(i) => facts.map_or_else(
                        || report.certs[i].subject_text(),
                        |f| short_name(&f.subject).to_owned(),
                    ),
                };
                if let Some(f) = facts {
                    certificates.push(PinnedCertificate {
                        pin: row.pin,
                        level: row.level,
                        name: name.clone(),
                        not_after: f.not_after.date(),
                    });
                }
                let level = match row.item {
                    RowItem::Key(_) => stated,
                    _ => row.level,
                };
                if !takes(args.from_level, row.item, row.level) {
                    continue;
                }
                taken += 1;
                if let Some(known) = pins.iter().find(|p| p.pin == row.pin) {
                    if known.role != role {
                        bail!(
                            "pin {} is given both as a pin and as a backup pin ({flag} {path})",
                            row.pin
                        );
                    }
                    continue;
                }
                pins.push(PinEntry {
                    pin: row.pin,
                    role,
                    level,
                    label: Some(name),
                });
            }
            if taken == 0 {
                let mut why = format!(
                    "{flag} {path}: no key at --from-level {}",
                    level_name(args.from_level)
                );
                for note in &report.notes {
                    why.push_str(&format!("; {note}"));
                }
                bail!(why);
            }
        }
    }
    Ok(certificates)
}

/// Whether --from-level takes a row: public keys and requests always.
fn takes(filter: FromLevel, item: RowItem, level: Option<Level>) -> bool {
    if matches!(item, RowItem::Key(_)) {
        return true;
    }
    match filter {
        FromLevel::All => true,
        FromLevel::Leaf => level == Some(Level::Leaf),
        FromLevel::Intermediate => level == Some(Level::Intermediate),
        FromLevel::Root => level == Some(Level::Root),
        FromLevel::Ca => matches!(level, Some(Level::Intermediate | Level::Root)),
    }
}

fn level_name(filter: FromLevel) -> &'static str {
    match filter {
        FromLevel::Leaf => "leaf",
        FromLevel::Intermediate => "intermediate",
        FromLevel::Root => "root",
        FromLevel::Ca => "ca",
        FromLevel::All => "all",
    }
}
