//! `pinwarden caa`: which CAs may issue for names and their wildcards
//! (RFC 8659), named with the CA dataset and checked against the policy's
//! pin sets.
//!
//! ```text
//! DOMAIN… ==> relevant CAA RRset (probe::CaaResolver) ==> permitted CAs for
//!   the name and *.name (core::caa) ==> --ca checks, pin-set cross-check
//!   ==> text or JSON; exit 0 fine, 1 findings, 2 input or lookup error
//! ```

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use pinwarden_core::caa::{CaaRecord, Permitted};
use pinwarden_core::caa_pins::{Finding, cross_check};
use pinwarden_core::cadata::CaDataset;
use pinwarden_core::policy::Policy;
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
            None => CaDataset::builtin().clone(),
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
