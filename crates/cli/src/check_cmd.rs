//! `pinwarden check`: every pin set against what its hosts serve.
//!
//! `policy ==> (pin set, host) pairs ==> chains (probe or --chains DIR) ==> complete with roots ==> check ==> report`

use std::process::ExitCode;

use pinwarden_core::check::{HostCheck, Survival, check};
use pinwarden_probe::{Verdict, validate};

use crate::chains::{Prober, chain_from_file, keys, targets};

use crate::args::CheckArgs;

/// One host of one pin set, and what was found.
#[derive(Debug, serde::Serialize)]
struct Row {
    pinset: String,
    host: String,
    port: u16,
    /// Standard validation first (name, trust, completeness): pins are
    /// judged on a chain clients accept, and a chain they refuse is said so.
    #[serde(skip_serializing_if = "Option::is_none")]
    validation: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<HostCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    leaf_expires_in_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub(crate) fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let policy = crate::policy_file::load(&args.policy)?;
    let prober = Prober::new(&args.probe)?;
    let roots = &prober.roots;
    let mut rows = Vec::new();
    for (pinset, host, port) in targets(&policy) {
        let set = policy.pinset(&pinset).map(|p| p.to_pinset());
        let Some(set) = set else { continue };
        let chain = match &args.chains {
            Some(dir) => chain_from_file(dir, &host),
            None => prober.chain(&host, port, &args.probe.resolve),
        };
        let row = match chain {
            Ok(certs) => {
                let der: Vec<Vec<u8>> = certs.iter().map(|c| c.der().to_vec()).collect();
                let validation = validate(&der, &host, roots);
                let keys = keys(&certs, &roots.store);
                let days = certs
                    .first()
                    .and_then(|c| c.facts().ok())
                    .map(|f| (f.not_after - time::OffsetDateTime::now_utc()).whole_days());
                Row {
                    pinset,
                    host,
                    port,
                    validation: Some(validation),
                    result: Some(check(&set, &keys)),
                    leaf_expires_in_days: days,
                    error: None,
                }
            }
            Err(e) => Row {
                pinset,
                host,
                port,
                validation: None,
                result: None,
                leaf_expires_in_days: None,
                error: Some(format!("{e:#}")),
            },
        };
        rows.push(row);
    }
    report(&rows, args.json)?;
    // A host whose chain clients refuse is a finding like one no pin matches.
    let unmatched = rows.iter().any(|r| {
        r.result.as_ref().is_some_and(|c| c.matched.is_none())
            || matches!(r.validation, Some(Verdict::Untrusted(_)))
    });
    let failed = rows.iter().any(|r| r.error.is_some());
    Ok(if unmatched {
        ExitCode::from(1)
    } else if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn report(rows: &[Row], json: bool) -> anyhow::Result<()> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "hosts": rows }))?
        );
        return Ok(());
    }
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header([
            "pin set",
            "host",
            "matched",
            "backups held",
            "leaf expires",
            "survives CA change",
        ]);
    for row in rows {
        let (matched, backups, survives) = match (&row.result, &row.error) {
            (Some(c), _) => (
                match (&row.validation, &c.matched) {
                    (Some(Verdict::Untrusted(why)), _) => {
                        format!("CHAIN REFUSED: {why} (pins not judged)")
                    }
                    (_, None) => "NO PIN MATCHES".to_owned(),
                    (_, Some(m)) => format!("{} ({}, depth {})", m.name, m.level, m.depth),
                },
                c.backups_outside_chain.to_string(),
                match c.survives_ca_change {
                    Survival::Yes => format!("yes ({})", c.backup_operators.join(", ")),
                    Survival::No if c.chain_operators.is_empty() => "no".to_owned(),
                    Survival::No => format!("no (only {})", c.chain_operators.join(", ")),
                    Survival::Unknown => "unknown (backup keys of no known CA)".to_owned(),
                },
            ),
            (None, Some(e)) => (format!("error: {e}"), "—".to_owned(), "—".to_owned()),
            (None, None) => ("—".to_owned(), "—".to_owned(), "—".to_owned()),
        };
        table.add_row([
            row.pinset.clone(),
            format!("{}:{}", row.host, row.port),
            matched,
            backups,
            row.leaf_expires_in_days
                .map_or("—".to_owned(), |d| format!("{d} days")),
            survives,
        ]);
    }
    println!("{table}");
    for row in rows {
        if let Some(c) = &row.result {
            for pin in &c.backups_in_chain {
                println!(
                    "note: {}: backup pin {pin} is in today's chain: it is no reserve",
                    row.pinset
                );
            }
        }
    }
    Ok(())
}
