//! `pinwarden simulate`: a change played out for every application.
//!
//! `policy ==> today's chains (files or probes) ==> the change ==> per pin set: breaks? ==> per application: clients, lead time, plan`

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use pinwarden_core::simulate::{Change, Outcome, simulate};
use pinwarden_core::{SpkiPin, TrustStore};

use crate::args::{SimulateArgs, SimulateKind};
use crate::chains::{Prober, chain_from_file, keys, targets};

#[derive(Debug, serde::Serialize)]
struct AppResult {
    application: String,
    #[serde(rename = "type")]
    app_type: serde_json::Value,
    update_mechanism: serde_json::Value,
    lead_days: Option<u32>,
    breaks: bool,
    pinsets: Vec<SetResult>,
}

#[derive(Debug, serde::Serialize)]
struct SetResult {
    pinset: String,
    host: String,
    #[serde(flatten)]
    outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub(crate) fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let policy = crate::policy_file::load(&args.policy)?;
    let prober = Prober::new(&args.probe)?;
    let roots = &prober.roots;
    let change = change(&args, &roots.store)?;
    let all_targets = targets(&policy);
    let mut results = Vec::new();
    for app in policy.applications.iter().filter(|a| !a.pinsets.is_empty()) {
        let lead_days = app.update_days_to_95.map(|d| d + args.overlap_days);
        let mut sets = Vec::new();
        for id in &app.pinsets {
            let Some(set) = policy.pinset(id.get_ref()).map(|p| p.to_pinset()) else {
                continue;
            };
            // A move between public CAs leaves alone the pin sets whose keys
            // are all a private CA's or a partner's (their `source` says so).
            let public_ca = policy.pinset(id.get_ref()).is_some_and(|p| {
                p.pins
                    .iter()
                    .any(|pin| pin.source.as_deref().is_none_or(|s| s.starts_with("ca:")))
            });
            if matches!(change, Change::CaMigration { .. }) && !public_ca {
                continue;
            }
            if let Change::CaMigration { .. } = change {
                // The chain after a migration is the new CA's whole: today's
                // chain doesn't matter, so no host needs to be reached.
                let hosts: Vec<String> = set.hosts.iter().map(ToString::to_string).collect();
                sets.push(SetResult {
                    pinset: set.id.clone(),
                    host: hosts.join(", "),
                    outcome: Some(simulate(&set, &[], &change, lead_days)),
                    error: None,
                });
                continue;
            }
            for (_, host, port) in all_targets.iter().filter(|(s, _, _)| *s == set.id) {
                let chain = match &args.chains {
                    Some(dir) => chain_from_file(dir, host),
                    None => prober.chain(host, *port, &args.probe.resolve),
                };
                sets.push(match chain {
                    Ok(certs) => SetResult {
                        pinset: set.id.clone(),
                        host: host.clone(),
                        outcome: Some(simulate(
                            &set,
                            &keys(&certs, &roots.store),
                            &change,
                            lead_days,
                        )),
                        error: None,
                    },
                    Err(e) => SetResult {
                        pinset: set.id.clone(),
                        host: host.clone(),
                        outcome: None,
                        error: Some(format!("{e:#}")),
                    },
                });
            }
        }
        results.push(AppResult {
            application: app.id.get_ref().clone(),
            app_type: serde_json::to_value(app.app_type)?,
            update_mechanism: serde_json::to_value(app.update_mechanism)?,
            lead_days,
            breaks: sets
                .iter()
                .any(|s| s.outcome.as_ref().is_some_and(|o| o.breaks)),
            pinsets: sets,
        });
    }
    if args.json {
        let doc = serde_json::json!({ "change": change.to_string(), "applications": results });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print_text(&change, &results);
    }
    let broken = results.iter().any(|r| r.breaks);
    let failed = results
        .iter()
        .flat_map(|r| &r.pinsets)
        .any(|s| s.error.is_some());
    Ok(if broken {
        ExitCode::from(1)
    } else if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn change(args: &SimulateArgs, store: &TrustStore) -> anyhow::Result<Change> {
    Ok(match args.kind {
        SimulateKind::LeafRotation => Change::LeafRotation,
        SimulateKind::IntermediateChange => Change::IntermediateChange,
        SimulateKind::EmergencyReissue => Change::EmergencyReissue,
        SimulateKind::CaMigration => match (&args.to, &args.chain) {
            (Some(name), _) => {
                let (pin, subject) = anchor(store, name)?;
                Change::CaMigration {
                    to: subject,
                    keys: vec![pin],
                }
            }
            (None, Some(file)) => {
                let bytes = std::fs::read(file).with_context(|| file.clone())?;
                let certs = pinwarden_core::decode(&bytes)
                    .with_context(|| file.clone())?
                    .certificates;
                let keys = keys(&certs, store);
                let Some(top) = keys.last() else {
                    bail!("{file}: no certificates")
                };
                Change::CaMigration {
                    to: top.name.clone(),
                    keys: keys.iter().skip(1).map(|k| k.pin).collect(),
                }
            }
            (None, None) => {
                bail!("ca-migration needs --to CA (a root in the trust store) or --chain FILE")
            }
        },
        SimulateKind::RootDistrust => {
            let name = args
                .ca
                .as_deref()
                .context("root-distrust needs the CA: pinwarden simulate root-distrust NAME")?;
            let (root, name) = anchor(store, name)?;
            Change::RootDistrust { root, name }
        }
    })
}

/// The one trust-store root whose name contains `name`.
fn anchor(store: &TrustStore, name: &str) -> anyhow::Result<(SpkiPin, String)> {
    let wanted = name.to_lowercase();
    let found: Vec<_> = store
        .anchors()
        .iter()
        .filter(|a| a.subject.to_lowercase().contains(&wanted))
        .collect();
    match found.as_slice() {
        [one] => Ok((one.pin, one.display_name().to_owned())),
        [] => bail!(
            "no root in the trust store ({}) is named like {name:?}",
            store.name
        ),
        many => {
            let names: Vec<&str> = many.iter().map(|a| a.display_name()).collect();
            bail!(
                "{name:?} names {} roots; pick one: {}",
                many.len(),
                names.join("; ")
            )
        }
    }
}

fn print_text(change: &Change, results: &[AppResult]) {
    println!("Simulating the {change}:\n");
    for app in results {
        let verdict = match (app.breaks, app.pinsets.is_empty()) {
            (true, _) => "BREAKS",
            (false, true) => "not affected (its pins are a private CA's or a partner's)",
            (false, false) => "holds",
        };
        let mechanism = app.update_mechanism.as_str().unwrap_or("?");
        let lead = app
            .lead_days
            .map_or("unknown".to_owned(), |d| format!("{d} days"));
        println!(
            "{} ({}, updates by {mechanism}; lead time {lead}): {verdict}",
            app.application,
            app.app_type.as_str().unwrap_or("?")
        );
        for set in &app.pinsets {
            match (&set.outcome, &set.error) {
                (Some(o), _) => {
                    println!("  {} on {}: {}", set.pinset, set.host, o.reason);
                    for step in &o.plan {
                        println!("    {step}");
                    }
                }
                (None, Some(e)) => println!("  {} on {}: can't tell: {e}", set.pinset, set.host),
                (None, None) => {}
            }
        }
        println!();
    }
}
