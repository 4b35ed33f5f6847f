//! `pinwarden export`: an ad-hoc pin set to a platform's configuration.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use pinwarden_core::export::{self, Format, Options};
use pinwarden_core::{HostPattern, Level, PinEntry, PinRole, PinSet, SpkiPin};

use crate::args::{ExportArgs, PinLevelArg};

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
    let options = Options {
        hpkp_max_age: args.max_age,
        today: crate::assess_cmd::today(args.today.as_deref())?,
        danger_single_pin: args.danger_single_pin,
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
    if args.pins.is_empty() && args.backup_pins.is_empty() {
        bail!("no pins: give --pin PIN (and --backup-pin PIN) at least once");
    }
    let level = args.pin_level.map(|l| match l {
        PinLevelArg::Leaf => Level::Leaf,
        PinLevelArg::Intermediate => Level::Intermediate,
        PinLevelArg::Root => Level::Root,
    });
    let mut pins: Vec<PinEntry> = Vec::new();
    for (texts, role) in [
        (&args.pins, PinRole::Primary),
        (&args.backup_pins, PinRole::Backup),
    ] {
        for text in texts {
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
