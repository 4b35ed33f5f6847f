//! The CAA ⇄ pin set cross-check: what a domain's CAA records permit,
//! against what the policy's pin sets accept (by key: a pinned root or
//! intermediate names its CA through the CA dataset) and the CAs the
//! organisation says it uses. Pure: the records come from
//! `pinwarden-probe`; `pinwarden caa` prints the findings, and the server
//! can show the same ones.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::Level;
use crate::caa::Permitted;
use crate::cadata::{Ca, CaDataset};
use crate::policy::{Policy, PolicyPinSet};

/// One finding of the cross-check (or of a `--ca` check).
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// `ca-forbidden` (--ca), `pinset-ca-forbidden`, `caa-permits-unpinned-ca`,
    /// `policy-ca-forbidden`, `policy-ca-unknown`.
    pub kind: &'static str,
    /// The name checked (`example.com` or `*.example.com`).
    pub name: String,
    /// The pin set(s) concerned, comma-separated.
    pub pinset: Option<String>,
    /// The CA concerned.
    pub ca: Option<String>,
    /// The applications that use the pin sets.
    pub applications: Vec<String>,
    /// What it means, in a sentence.
    pub message: String,
}

/// The pin sets a certificate for `name` would meet. For `*.base` that is
/// every pin set with a host one label under `base` (the wildcard serves
/// them all) or a pattern covering such hosts.
pub fn pinsets_for<'p>(policy: &'p Policy, name: &str, wildcard: bool) -> Vec<&'p PolicyPinSet> {
    policy
        .pinsets
        .iter()
        .filter(|p| {
            let set = p.to_pinset();
            if !wildcard {
                return set.covers(name);
            }
            let base = name.trim_start_matches("*.");
            set.covers(&format!("pinwarden-any-label.{base}"))
                || set.effective_hosts().iter().any(|h| {
                    h.domain()
                        .strip_suffix(base)
                        .and_then(|head| head.strip_suffix('.'))
                        .is_some_and(|label| !label.is_empty() && !label.contains('.'))
                })
        })
        .collect()
}

/// The dataset CAs whose keys a pin set pins, with the pinned key's label
/// and level; and whether it pins a leaf key (which any CA may certify).
pub fn accepted_cas<'d>(
    pinset: &PolicyPinSet,
    dataset: &'d CaDataset,
) -> (Vec<(&'d Ca, String, Level)>, bool) {
    let mut cas: Vec<(&Ca, String, Level)> = Vec::new();
    let mut leaf = false;
    for p in &pinset.pins {
        let pin = p.pin.get_ref();
        if let Some(ca) = dataset.by_pin(pin) {
            if !cas.iter().any(|(c, _, _)| c.name == ca.name)
                && let Some((key, level)) = ca.key(pin)
            {
                cas.push((ca, key.label.clone(), level));
            }
        } else if p.level == Some(Level::Leaf) {
            leaf = true;
        }
    }
    (cas, leaf)
}

/// The applications that use any of these pin sets.
pub fn applications_of(policy: &Policy, pinset_ids: &[&str]) -> Vec<String> {
    policy
        .applications
        .iter()
        .filter(|a| {
            a.pinsets
                .iter()
                .any(|p| pinset_ids.contains(&p.get_ref().as_str()))
        })
        .map(|a| a.id.get_ref().clone())
        .collect()
}

fn ca_permitted(ca: &Ca, permitted: &Permitted) -> bool {
    ca.caa.iter().any(|id| permitted.allows(id))
}

/// Checks CAA's `permitted` for `name` (or its wildcard) against the
/// policy's pin sets and CAs, adding what it finds to `findings`.
pub fn cross_check(
    name: &str,
    wildcard: bool,
    permitted: &Permitted,
    policy: &Policy,
    dataset: &CaDataset,
    findings: &mut Vec<Finding>,
) {
    let pinsets = pinsets_for(policy, name, wildcard);
    // Pins accept CA X, CAA forbids X: for the host's own name only (that
    // X may not issue wildcards is no finding while it may issue the name).
    let mut accepted: Vec<(&str, Vec<&Ca>, bool)> = Vec::new();
    for p in &pinsets {
        let id = p.id.get_ref().as_str();
        let (cas, leaf) = accepted_cas(p, dataset);
        for (ca, label, level) in &cas {
            if !wildcard && !ca_permitted(ca, permitted) {
                findings.push(Finding {
                    kind: "pinset-ca-forbidden",
                    name: name.to_owned(),
                    pinset: Some(id.to_owned()),
                    ca: Some(ca.name.clone()),
                    applications: applications_of(policy, &[id]),
                    message: format!(
                        "pin set {id} accepts {} (it pins {label}, {level}) but CAA for {name} forbids {} \
                         (CAA permits {permitted}): that pin can't carry a rotation until CAA names {}",
                        ca.name,
                        ca.name,
                        ca.caa.first().map_or("it", String::as_str),
                    ),
                });
            }
        }
        accepted.push((id, cas.into_iter().map(|(c, _, _)| c).collect(), leaf));
    }
    // CAA permits CA Y that some pin set for the name doesn't accept (for
    // a wildcard: a certificate for *.name would break the hosts under it).
    if !pinsets.is_empty() {
        let refusing = |ca: Option<&Ca>| -> Vec<&str> {
            accepted
                .iter()
                .filter(|(_, cas, leaf)| {
                    !leaf && !ca.is_some_and(|ca| cas.iter().any(|c| c.name == ca.name))
                })
                .map(|(id, _, _)| *id)
                .collect()
        };
        match permitted {
            Permitted::Only(issuers) => {
                let mut seen = BTreeSet::new();
                for issuer in issuers {
                    let ca = dataset.by_caa_identifier(&issuer.domain);
                    let label = ca.map_or_else(|| issuer.domain.clone(), |c| c.name.clone());
                    if !seen.insert(label.clone()) {
                        continue;
                    }
                    let sets = refusing(ca);
                    if sets.is_empty() {
                        continue;
                    }
                    let apps = applications_of(policy, &sets);
                    findings.push(Finding {
                        kind: "caa-permits-unpinned-ca",
                        name: name.to_owned(),
                        pinset: Some(sets.join(", ")),
                        ca: Some(label.clone()),
                        message: format!(
                            "CAA for {name} permits {label}{} that pin set{} {} do{} not accept: \
                             a certificate from {label} breaks {}",
                            if ca.is_some() {
                                String::new()
                            } else {
                                " (not in the CA dataset)".into()
                            },
                            if sets.len() == 1 { "" } else { "s" },
                            sets.join(", "),
                            if sets.len() == 1 { "es" } else { "" },
                            describe_apps(&apps)
                        ),
                        applications: apps,
                    });
                }
            }
            Permitted::Any => {
                let sets = refusing(None);
                if !sets.is_empty() {
                    let apps = applications_of(policy, &sets);
                    findings.push(Finding {
                        kind: "caa-permits-unpinned-ca",
                        name: name.to_owned(),
                        pinset: Some(sets.join(", ")),
                        ca: None,
                        message: format!(
                            "no CAA for {name}: any CA may issue, but pin set{} {} accept{} only some: \
                             a certificate from any other CA breaks {}; publish CAA naming the pinned CAs",
                            if sets.len() == 1 { "" } else { "s" },
                            sets.join(", "),
                            if sets.len() == 1 { "s" } else { "" },
                            describe_apps(&apps)
                        ),
                        applications: apps,
                    });
                }
            }
            Permitted::Nobody(_) => {}
        }
    }
    // The organisation's CAs (its backup among them) must be allowed to
    // issue, or switching to them needs a DNS change first. Checked for the
    // names themselves, not wildcards.
    if !wildcard {
        for ca_name in &policy.organisation.cas {
            match dataset.by_name(ca_name) {
                Some(ca) if !ca_permitted(ca, permitted) => findings.push(Finding {
                    kind: "policy-ca-forbidden",
                    name: name.to_owned(),
                    pinset: None,
                    ca: Some(ca.name.clone()),
                    applications: Vec::new(),
                    message: format!(
                        "the policy's organisation.cas lists {ca_name} but CAA for {name} forbids it \
                         (CAA permits {permitted}): switching to {ca_name} needs a CAA change first"
                    ),
                }),
                Some(_) => {}
                None => findings.push(Finding {
                    kind: "policy-ca-unknown",
                    name: name.to_owned(),
                    pinset: None,
                    ca: Some(ca_name.clone()),
                    applications: Vec::new(),
                    message: format!(
                        "the policy's organisation.cas lists {ca_name:?}, which the CA dataset doesn't know: \
                         its CAA identifiers can't be checked (add it to the dataset, --cas FILE)"
                    ),
                }),
            }
        }
    }
}

/// "app a", "apps a, b and c", or what to say when none uses them.
pub fn describe_apps(apps: &[String]) -> String {
    match apps {
        [] => "those pin sets (no application uses them)".to_owned(),
        [one] => format!("app {one}"),
        [init @ .., last] => format!("apps {} and {last}", init.join(", ")),
    }
}
