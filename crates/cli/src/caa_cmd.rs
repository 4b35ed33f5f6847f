//! `pinwarden caa`: which CAs may issue for names and their wildcards
//! (RFC 8659), named with the CA dataset and checked against the policy's
//! pin sets.
//!
//! ```text
//! DOMAIN… ==> relevant CAA RRset (probe::CaaResolver) ==> permitted CAs for
//!   the name and *.name (core::caa) ==> --ca checks, pin-set cross-check
//!   ==> text or JSON; exit 0 fine, 1 findings, 2 input or lookup error
//! ```

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use pinwarden_core::Level;
use pinwarden_core::caa::{CaaRecord, Permitted};
use pinwarden_core::cadata::{Ca, CaDataset};
use pinwarden_core::policy::{Policy, PolicyPinSet};
use pinwarden_probe::{CaaResolver, RelevantCaa};
use serde::Serialize;

use crate::args::CaaArgs;

/// The checked flags.
struct Config {
    domains: Vec<String>,
    cas: Vec<CaSpec>,
    policy: Option<Policy>,
    dataset: CaDataset,
    resolver: CaaResolver,
}

/// A `--ca` argument: a CAA identifier, or a dataset CA (by name or by one
/// of its identifiers), which may issue when any of its identifiers is permitted.
struct CaSpec {
    given: String,
    identifiers: Vec<String>,
}

pub(crate) fn run(a: CaaArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // The resolver's background tasks live on this runtime.
    let _guard = runtime.enter();
    let config = Config::check(&a)?;
    let mut reports = Vec::new();
    for domain in &config.domains {
        let found = runtime.block_on(config.resolver.relevant(domain));
        reports.push(evaluate(domain, found, &config));
    }
    let failed = reports.iter().any(|r| r.error.is_some());
    let findings = reports.iter().any(|r| !r.findings.is_empty());
    if a.json {
        let out = JsonOut {
            names: &reports,
            ok: !failed && !findings,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for r in &reports {
            print!("{}", render(r));
        }
    }
    Ok(if failed {
        ExitCode::from(2)
    } else if findings {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

impl Config {
    fn check(a: &CaaArgs) -> anyhow::Result<Self> {
        if !(a.timeout > 0.0 && a.timeout <= 300.0) {
            bail!("--timeout must be between 0 and 300 seconds");
        }
        let dataset = match &a.dataset {
            Some(path) => CaDataset::load(path)?,
            None => CaDataset::builtin(),
        };
        let policy = a
            .policy
            .as_deref()
            .map(crate::policy_file::load)
            .transpose()?;
        let cas = a
            .cas
            .iter()
            .map(|given| CaSpec::parse(given, &dataset))
            .collect::<anyhow::Result<_>>()?;
        let resolver = match &a.dns_server {
            Some(text) => CaaResolver::with_server(parse_server(text)?),
            None => CaaResolver::system()?,
        }
        .with_timeout(Duration::from_secs_f64(a.timeout));
        let mut domains = Vec::new();
        for d in &a.domains {
            let norm = d.trim().trim_end_matches('.').to_ascii_lowercase();
            if !domains.contains(&norm) {
                domains.push(norm);
            }
        }
        Ok(Self {
            domains,
            cas,
            policy,
            dataset,
            resolver,
        })
    }
}

impl CaSpec {
    fn parse(given: &str, dataset: &CaDataset) -> anyhow::Result<Self> {
        let ca = dataset
            .by_name(given)
            .or_else(|| dataset.by_caa_identifier(given));
        let identifiers = match ca {
            Some(ca) => ca.caa.clone(),
            None if given.contains('.') && !given.contains(char::is_whitespace) => {
                vec![given.trim().trim_end_matches('.').to_ascii_lowercase()]
            }
            None => bail!(
                "--ca {given:?}: not a CA in the dataset and not a CAA identifier \
                 (a domain such as letsencrypt.org)"
            ),
        };
        Ok(Self {
            given: given.to_owned(),
            identifiers,
        })
    }
}

/// `IP:PORT`, or a bare IP for port 53.
fn parse_server(text: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    text.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| anyhow::anyhow!("--dns-server {text:?}: expected IP or IP:PORT"))
}

// --- the report ------------------------------------------------------------

#[derive(Serialize)]
struct JsonOut<'a> {
    names: &'a [NameReport],
    ok: bool,
}

/// What was found for one DOMAIN argument.
#[derive(Serialize)]
struct NameReport {
    /// The argument, normalised (lowercase, no trailing dot).
    name: String,
    /// The lookup's error; nothing else is filled in then.
    error: Option<String>,
    /// Where the relevant RRset was (None: no CAA up to the TLD).
    found_at: Option<String>,
    records: Vec<RecordOut>,
    iodef: Vec<String>,
    unknown_tags: Vec<RecordOut>,
    /// The name itself and its wildcard (only the wildcard for `*.` arguments).
    checks: Vec<Check>,
    /// `--ca` results.
    ca_checks: Vec<CaCheck>,
    findings: Vec<Finding>,
}

#[derive(Serialize)]
struct RecordOut {
    critical: bool,
    tag: String,
    value: String,
}

/// Who may issue for one name (`example.com` or `*.example.com`).
#[derive(Serialize)]
struct Check {
    name: String,
    wildcard: bool,
    /// `any`, `only` or `nobody`.
    permits: &'static str,
    /// Why nobody may issue.
    reason: Option<String>,
    issuers: Vec<IssuerOut>,
}

#[derive(Serialize)]
struct IssuerOut {
    identifier: String,
    /// The dataset's name for the CA, when known.
    ca: Option<String>,
    /// RFC 8657 (or other) parameters: not checkable from a certificate.
    parameters: Vec<ParamOut>,
}

#[derive(Serialize)]
struct ParamOut {
    key: String,
    value: String,
}

#[derive(Serialize)]
struct CaCheck {
    ca: String,
    name: String,
    may_issue: bool,
}

#[derive(Serialize)]
struct Finding {
    /// `ca-forbidden` (--ca), `pinset-ca-forbidden`, `caa-permits-unpinned-ca`,
    /// `policy-ca-forbidden`, `policy-ca-unknown`.
    kind: &'static str,
    name: String,
    pinset: Option<String>,
    ca: Option<String>,
    applications: Vec<String>,
    message: String,
}

fn record_out(r: &CaaRecord) -> RecordOut {
    RecordOut {
        critical: r.critical,
        tag: r.tag.clone(),
        value: r.value.clone(),
    }
}

fn evaluate(
    domain: &str,
    found: Result<RelevantCaa, pinwarden_probe::CaaError>,
    config: &Config,
) -> NameReport {
    let mut report = NameReport {
        name: domain.to_owned(),
        error: None,
        found_at: None,
        records: Vec::new(),
        iodef: Vec::new(),
        unknown_tags: Vec::new(),
        checks: Vec::new(),
        ca_checks: Vec::new(),
        findings: Vec::new(),
    };
    let caa = match found {
        Ok(caa) => caa,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    report.found_at.clone_from(&caa.found_at);
    // An RRset has no order; sorted, the output is stable.
    report.records = caa.records.iter().map(record_out).collect();
    report.records.sort_by(|a, b| {
        (a.tag.to_ascii_lowercase(), &a.value).cmp(&(b.tag.to_ascii_lowercase(), &b.value))
    });
    report.iodef = caa.iodef().into_iter().map(str::to_owned).collect();
    report.unknown_tags = caa.unknown_tags().into_iter().map(record_out).collect();

    let only_wildcard = domain.starts_with("*.");
    let base = &caa.name;
    let targets: Vec<(String, bool)> = if only_wildcard {
        vec![(format!("*.{base}"), true)]
    } else {
        vec![(base.clone(), false), (format!("*.{base}"), true)]
    };
    for (name, wildcard) in &targets {
        let permitted = caa.permitted(*wildcard);
        report
            .checks
            .push(check_out(name, *wildcard, &permitted, &config.dataset));
        // --ca is about the names as given; the wildcard row of a plain
        // name is information (many domains refuse wildcards on purpose).
        if *wildcard == only_wildcard {
            for spec in &config.cas {
                let may = spec.identifiers.iter().any(|id| permitted.allows(id));
                report.ca_checks.push(CaCheck {
                    ca: spec.given.clone(),
                    name: name.clone(),
                    may_issue: may,
                });
                if !may {
                    report.findings.push(Finding {
                        kind: "ca-forbidden",
                        name: name.clone(),
                        pinset: None,
                        ca: Some(spec.given.clone()),
                        applications: Vec::new(),
                        message: format!(
                            "{} may not issue for {name}: CAA permits {permitted}",
                            spec.given
                        ),
                    });
                }
            }
        }
        if let Some(policy) = &config.policy {
            cross_check(
                name,
                *wildcard,
                &permitted,
                policy,
                &config.dataset,
                &mut report.findings,
            );
        }
    }
    report
}

fn check_out(name: &str, wildcard: bool, permitted: &Permitted, dataset: &CaDataset) -> Check {
    let (permits, reason, issuers) = match permitted {
        Permitted::Any => ("any", None, Vec::new()),
        Permitted::Nobody(why) => ("nobody", Some(why.clone()), Vec::new()),
        Permitted::Only(list) => (
            "only",
            None,
            list.iter()
                .map(|i| IssuerOut {
                    identifier: i.domain.clone(),
                    ca: dataset.by_caa_identifier(&i.domain).map(|c| c.name.clone()),
                    parameters: i
                        .parameters
                        .iter()
                        .map(|(k, v)| ParamOut {
                            key: k.clone(),
                            value: v.clone(),
                        })
                        .collect(),
                })
                .collect(),
        ),
    };
    let mut issuers = issuers;
    issuers.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    Check {
        name: name.to_owned(),
        wildcard,
        permits,
        reason,
        issuers,
    }
}

/// The pin sets a certificate for `name` would meet. For `*.base` that is
/// every pin set with a host one label under `base` (the wildcard serves
/// them all) or a pattern covering such hosts.
fn pinsets_for<'p>(policy: &'p Policy, name: &str, wildcard: bool) -> Vec<&'p PolicyPinSet> {
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
fn accepted_cas<'d>(
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

fn applications_of(policy: &Policy, pinset_ids: &[&str]) -> Vec<String> {
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

fn cross_check(
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

fn describe_apps(apps: &[String]) -> String {
    match apps {
        [] => "those pin sets (no application uses them)".to_owned(),
        [one] => format!("app {one}"),
        [init @ .., last] => format!("apps {} and {last}", init.join(", ")),
    }
}

// --- text ------------------------------------------------------------------

fn render(r: &NameReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    // Writing to a String can't fail.
    let _ = writeln!(out, "{}", r.name);
    if let Some(e) = &r.error {
        let _ = writeln!(out, "  ERROR: {e}");
        return out;
    }
    match &r.found_at {
        Some(at) => {
            let _ = writeln!(out, "  relevant CAA RRset at {at}:");
            for rec in &r.records {
                let _ = writeln!(
                    out,
                    "    {} {} {:?}",
                    if rec.critical { 128 } else { 0 },
                    rec.tag,
                    rec.value
                );
            }
        }
        None => {
            let _ = writeln!(out, "  no CAA records up to the top-level domain");
        }
    }
    for c in &r.checks {
        let who = match c.permits {
            "any" => "any CA may issue".to_owned(),
            "nobody" => format!(
                "no CA may issue ({})",
                c.reason.as_deref().unwrap_or_default()
            ),
            _ => {
                let names: Vec<String> = c
                    .issuers
                    .iter()
                    .map(|i| match &i.ca {
                        Some(ca) => format!("{} ({ca})", i.identifier),
                        None => format!("{} (not in the CA dataset)", i.identifier),
                    })
                    .collect();
                format!("only {}", names.join(", "))
            }
        };
        let _ = writeln!(out, "  {}: {who}", c.name);
        for i in &c.issuers {
            for p in &i.parameters {
                let _ = writeln!(
                    out,
                    "    {} {}={} (RFC 8657: not checkable from a certificate)",
                    i.identifier, p.key, p.value
                );
            }
        }
    }
    if !r.iodef.is_empty() {
        let _ = writeln!(out, "  iodef: {}", r.iodef.join(", "));
    }
    for t in &r.unknown_tags {
        let _ = writeln!(
            out,
            "  unknown tag {} {:?}{}",
            t.tag,
            t.value,
            if t.critical {
                " (critical: no CA may issue)"
            } else {
                " (not critical: ignored)"
            }
        );
    }
    for c in &r.ca_checks {
        if c.may_issue {
            let _ = writeln!(out, "  ok: {} may issue for {}", c.ca, c.name);
        }
    }
    for f in &r.findings {
        let _ = writeln!(out, "  ! {}", f.message);
    }
    out
}
