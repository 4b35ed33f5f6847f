//! `pinwarden simulate`: a change played out for every application.
//!
//! `policy ==> today's chains (files or probes) ==> the change ==> per pin set: breaks? ==> per application: clients, lead time, plan`

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use pinwarden_core::Level;
use pinwarden_core::cadata::{KeyModel, Stated};
use pinwarden_core::simulate::{Change, Lead, Outcome, simulate};
use pinwarden_core::{SpkiPin, TrustStore};

use crate::args::{SimulateArgs, SimulateKind};
use crate::chains::{Prober, chain_from_file, keys as chain_keys, targets};

#[derive(Debug, serde::Serialize)]
struct AppResult {
    application: String,
    #[serde(rename = "type")]
    app_type: serde_json::Value,
    update_mechanism: serde_json::Value,
    lead_days: Option<u32>,
    lead: Lead,
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
    let keys = KeyModel::builtin();
    let change = change(&args, &roots.store, &keys)?;
    let all_targets = targets(&policy);
    let mut results = Vec::new();
    for app in policy.applications.iter().filter(|a| !a.pinsets.is_empty()) {
        let lead = Lead::of(app, args.overlap_days);
        let mut sets = Vec::new();
        for id in &app.pinsets {
            let Some(policy_set) = policy.pinset(id.get_ref()) else {
                continue;
            };
            let set = policy_set.to_pinset();
            // A move between public CAs or a public root's distrust leaves
            // alone the pin sets whose keys are all a private CA's or a
            // partner's (their `source` says so, and no public CA holds them).
            let private = policy_set.pins.iter().all(|pin| {
                keys.identify(
                    pin.pin.get_ref(),
                    Stated {
                        level: pin.level,
                        label: pin.label.as_deref(),
                        source: pin.source.as_deref(),
                    },
                )
                .private
            });
            let public_change = matches!(
                change,
                Change::CaMigration { .. } | Change::RootDistrust { .. }
            );
            if public_change && private {
                continue;
            }
            if let Change::CaMigration { .. } = change {
                // The chain after a migration is the new CA's whole: today's
                // chain doesn't matter, so no host needs to be reached.
                let hosts: Vec<String> = set.hosts.iter().map(ToString::to_string).collect();
                sets.push(SetResult {
                    pinset: set.id.clone(),
                    host: hosts.join(", "),
                    outcome: Some(simulate(policy_set, &[], &change, &lead, &keys)),
                    error: None,
                });
                continue;
            }
            for (_, host, port) in all_targets.iter().filter(|(s, _, _)| *s == set.id) {
                let chain = match &args.chains {
                    Some(dir) => chain_from_file(dir, host),
                    None => prober.chain(host, *port, &args.probe.resolve),
                };
                // A root's distrust is judged on a chain that reaches a root:
                // one that stops short might go through it, and "not
                // affected" would be a guess.
                let chain = chain.and_then(|certs| {
                    let today = chain_keys(&certs, &roots.store);
                    let complete = today.last().is_some_and(|k| k.level == Level::Root);
                    if matches!(change, Change::RootDistrust { .. }) && !complete {
                        bail!(
                            "today's chain doesn't reach a root (not served, not in the trust \
                             store {}): can't tell whether it goes through the distrusted one",
                            roots.store.name
                        );
                    }
                    Ok(today)
                });
                sets.push(match chain {
                    Ok(today) => SetResult {
                        pinset: set.id.clone(),
                        host: host.clone(),
                        outcome: Some(simulate(policy_set, &today, &change, &lead, &keys)),
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
            lead_days: lead.days(),
            lead,
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

fn change(args: &SimulateArgs, store: &TrustStore, model: &KeyModel<'_>) -> anyhow::Result<Change> {
    Ok(match args.kind {
        SimulateKind::LeafRotation => Change::LeafRotation,
        SimulateKind::IntermediateChange => Change::IntermediateChange,
        SimulateKind::EmergencyReissue => Change::EmergencyReissue,
        SimulateKind::CaMigration => match (&args.to, &args.chain) {
            (Some(name), _) => match model.cas.by_name(name) {
                // A CA operator the dataset knows: the new chain goes to one
                // of its roots.
                Some(ca) => Change::CaMigration {
                    to: ca.name.clone(),
                    keys: ca.roots().map(|k| k.pin).collect(),
                },
                None => {
                    let (pin, subject) = named_root(store, model, name)?;
                    Change::CaMigration {
                        to: subject,
                        keys: vec![pin],
                    }
                }
            },
            (None, Some(file)) => {
                let bytes = std::fs::read(file).with_context(|| file.clone())?;
                let certs = pinwarden_core::decode(&bytes)
                    .with_context(|| file.clone())?
                    .certificates;
                let keys = chain_keys(&certs, store);
                let Some(top) = keys.last() else {
                    bail!("{file}: no certificates")
                };
                Change::CaMigration {
                    to: top.name.clone(),
                    keys: keys.iter().skip(1).map(|k| k.pin).collect(),
                }
            }
            (None, None) => {
                bail!("ca-migration needs --to CA (a CA of the dataset, or a root) or --chain FILE")
            }
        },
        SimulateKind::RootDistrust => {
            let name = args
                .ca
                .as_deref()
                .context("root-distrust needs the CA: pinwarden simulate root-distrust NAME|PIN")?;
            let norm = pinwarden_core::cadata::normalise_name;
            // A distrust event of the dataset covers all its roots (Entrust,
            // Symantec); else one root, by pin or name.
            let events: Vec<_> = model
                .distrust
                .events()
                .iter()
                .filter(|e| norm(&e.name).contains(&norm(name)))
                .collect();
            match events.as_slice() {
                [event] => Change::RootDistrust {
                    roots: event.keys.iter().map(|k| k.pin).collect(),
                    name: event.name.clone(),
                },
                _ => {
                    let (root, name) = named_root(store, model, name)?;
                    Change::RootDistrust {
                        roots: vec![root],
                        name,
                    }
                }
            }
        }
    })
}

/// A root by pin, by its exact name in the CA dataset, or by the one
/// trust-store root whose name contains `name`.
fn named_root(
    store: &TrustStore,
    model: &KeyModel<'_>,
    name: &str,
) -> anyhow::Result<(SpkiPin, String)> {
    if let Ok(pin) = name.parse::<SpkiPin>() {
        let label = model.identify(&pin, Stated::default()).name();
        return Ok((pin, label));
    }
    let known = model
        .cas
        .cas()
        .iter()
        .flat_map(|ca| ca.roots())
        .find(|k| k.label.eq_ignore_ascii_case(name.trim()));
    if let Some(key) = known {
        return Ok((key.pin, key.label.clone()));
    }
    anchor(store, name)
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
        let untouched = app
            .pinsets
            .iter()
            .all(|s| s.outcome.as_ref().is_some_and(|o| !o.affected));
        let verdict = match (app.breaks, app.pinsets.is_empty(), untouched) {
            (true, _, _) => "BREAKS",
            (false, true, _) => "not affected (its pins are a private CA's or a partner's)",
            (false, false, true) => "not affected (its chains don't go through it)",
            (false, false, false) => "holds",
        };
        let mechanism = app.update_mechanism.as_str().unwrap_or("?");
        let lead = match &app.lead {
            Lead::Days { days, via } => format!("{days} days by {via}"),
            Lead::Unknown => "unknown".to_owned(),
            Lead::NoPath => "none: no update path".to_owned(),
        };
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
