//! `pinwarden pin`: read or probe each input, assemble chains, report pins.
//!
//! `inputs ==> files: decode | hosts: probe (bounded, progress bar) ==> chains ==> rows ==> render`

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};
use pinwarden_core::{Certificate, Chain, ChainStatus, Item, Link, OrderProblem, TrustStore};
use pinwarden_probe::{ProbeOptions, RootSource, Roots, Target, Verdict};

use crate::args::{LevelFilter, PinArgs, PinFormat};
use crate::pin_render;

/// What one input gave.
#[derive(Debug, serde::Serialize)]
pub(crate) struct InputReport {
    pub(crate) input: String,
    pub(crate) kind: &'static str,
    pub(crate) rows: Vec<Row>,
    pub(crate) chains: Vec<Chain>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) verdict: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) address: Option<String>,
    pub(crate) notes: Vec<String>,
    pub(crate) errors: Vec<String>,
}

/// One certificate or key of an input, as shown.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Row {
    /// Position in the input, from 1; absent for roots taken from the store.
    pub(crate) position: Option<usize>,
    pub(crate) source: &'static str,
    pub(crate) level: Option<pinwarden_core::Level>,
    pub(crate) subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) issuer: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub(crate) not_after: Option<time::OffsetDateTime>,
    pub(crate) key: pinwarden_core::KeyInfo,
    pub(crate) pin: pinwarden_core::SpkiPin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) certificate: Option<Certificate>,
}

enum Input {
    Stdin,
    File(String),
    Host(Target),
}

pub(crate) fn run(args: PinArgs) -> anyhow::Result<ExitCode> {
    let format = match (args.json, args.format) {
        (true, _) => PinFormat::Json,
        (false, Some(f)) => f,
        (false, None) => PinFormat::Table,
    };
    if !(args.timeout > 0.0 && args.timeout <= 3600.0) {
        bail!("--timeout must be between 0 and 3600 seconds");
    }
    let roots = Roots::load(&RootSource::parse(&args.roots))?;
    let mut inputs = Vec::with_capacity(args.inputs.len());
    let mut reports: Vec<Option<InputReport>> = Vec::new();
    for text in &args.inputs {
        match classify(text, &args) {
            Ok(input) => {
                inputs.push(input);
                reports.push(None);
            }
            Err(e) => {
                reports.push(Some(failed(text, "unknown", format!("{e:#}"))));
            }
        }
    }
    let mut filled = gather(inputs, &args, &roots)?.into_iter();
    let mut reports: Vec<InputReport> = reports
        .into_iter()
        .map(|r| {
            r.or_else(|| filled.next())
                .expect("one report per classified input")
        })
        .collect();
    for report in &mut reports {
        report.rows.retain(|r| keep(args.level, r.level));
    }
    let failed_any = reports.iter().any(|r| !r.errors.is_empty());
    for report in &reports {
        for e in &report.errors {
            eprintln!("pinwarden: {e}");
        }
    }
    pin_render::render(&reports, format, roots.store.as_ref())?;
    Ok(if failed_any {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn keep(filter: LevelFilter, level: Option<pinwarden_core::Level>) -> bool {
    use pinwarden_core::Level;
    match filter {
        LevelFilter::All => true,
        LevelFilter::Leaf => level == Some(Level::Leaf),
        LevelFilter::Intermediate => level == Some(Level::Intermediate),
        LevelFilter::Root => level == Some(Level::Root),
    }
}

fn classify(text: &str, args: &PinArgs) -> anyhow::Result<Input> {
    if text == "-" {
        return Ok(Input::Stdin);
    }
    if Path::new(text).exists() {
        return Ok(Input::File(text.to_owned()));
    }
    if text.contains('/') && !text.starts_with("https://") {
        bail!("{text}: no such file");
    }
    let mut target: Target = text
        .parse()
        .with_context(|| format!("{text}: no such file, and not HOST[:PORT]"))?;
    target.sni = args.sni.clone();
    if let Some(addr) = &args.connect {
        target.set_connect(addr)?;
    }
    Ok(Input::Host(target))
}

fn empty(input: &str, kind: &'static str) -> InputReport {
    InputReport {
        input: input.to_owned(),
        kind,
        rows: Vec::new(),
        chains: Vec::new(),
        verdict: None,
        address: None,
        notes: Vec::new(),
        errors: Vec::new(),
    }
}

fn failed(input: &str, kind: &'static str, error: String) -> InputReport {
    let mut report = empty(input, kind);
    report.errors.push(error);
    report
}

/// Reads the files and stdin, probes the hosts, in input order.
fn gather(inputs: Vec<Input>, args: &PinArgs, roots: &Roots) -> anyhow::Result<Vec<InputReport>> {
    let targets: Vec<Target> = inputs
        .iter()
        .filter_map(|i| match i {
            Input::Host(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let mut probed = if targets.is_empty() {
        Vec::new()
    } else {
        probe_all(&targets, args, roots)?
    }
    .into_iter();
    let mut out = Vec::with_capacity(inputs.len());
    for input in inputs {
        out.push(match input {
            Input::Stdin => {
                let mut bytes = Vec::new();
                match std::io::stdin().read_to_end(&mut bytes) {
                    Ok(_) => from_bytes("-", &bytes, &roots.store),
                    Err(e) => failed("-", "stdin", format!("-: can't read stdin: {e}")),
                }
            }
            Input::File(path) => match std::fs::read(&path) {
                Ok(bytes) => from_bytes(&path, &bytes, &roots.store),
                Err(e) => failed(&path, "file", format!("{path}: {e}")),
            },
            Input::Host(target) => {
                let label = target.label();
                match probed.next().expect("one probe per target") {
                    Ok(p) => from_probe(&label, p, &roots.store),
                    Err(e) => failed(&label, "host", e.to_string()),
                }
            }
        });
    }
    Ok(out)
}

fn probe_all(
    targets: &[Target],
    args: &PinArgs,
    roots: &Roots,
) -> anyhow::Result<Vec<Result<pinwarden_probe::Probe, pinwarden_probe::Error>>> {
    let mut options = ProbeOptions::new(roots.clone());
    options.timeout = Duration::from_secs_f64(args.timeout);
    let bar = if targets.len() > 1 && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(targets.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} probing {pos}/{len} hosts {wide_bar} {elapsed}",
            )
            .context("progress template")?,
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let results = runtime.block_on(pinwarden_probe::probe_many(
        targets,
        &options,
        args.concurrency,
        &|| bar.inc(1),
    ));
    bar.finish_and_clear();
    Ok(results)
}

fn from_bytes(input: &str, bytes: &[u8], store: &TrustStore) -> InputReport {
    let kind = if input == "-" { "stdin" } else { "file" };
    let decoded = match pinwarden_core::decode(bytes) {
        Ok(d) => d,
        Err(e) => return failed(input, kind, format!("{input}: {e}")),
    };
    let mut report = empty(input, kind);
    report.errors = decoded
        .errors
        .iter()
        .map(|e| format!("{input}: {e}"))
        .collect();
    if decoded.items.is_empty() && decoded.errors.is_empty() {
        report.errors.push(format!(
            "{input}: no certificate or public key in it ({})",
            decoded.skipped.join("; ")
        ));
        return report;
    }
    report.notes = decoded.skipped.clone();
    let mut certs = Vec::new();
    for (i, item) in decoded.items.into_iter().enumerate() {
        match item {
            Item::Certificate(c) => {
                report.rows.push(cert_row(Some(i + 1), "input", &c));
                certs.push(*c);
            }
            Item::PublicKey(k) => report.rows.push(Row {
                position: Some(i + 1),
                source: "input",
                level: None,
                subject: k.source.clone(),
                issuer: None,
                not_after: None,
                key: k.key,
                pin: k.pin,
                certificate: None,
            }),
        }
    }
    if !certs.is_empty() {
        // Rows hold certificates in item order; certificates are a subset of
        // items, so map chain links back through their own index.
        let positions: Vec<usize> = report
            .rows
            .iter()
            .filter(|r| r.level.is_some())
            .filter_map(|r| r.position)
            .collect();
        let chains = pinwarden_core::assemble(&certs, store);
        add_store_roots(&mut report, &chains, store);
        report.notes.extend(chain_notes(&chains, &certs, store));
        report.chains = chains
            .into_iter()
            .map(|mut c| {
                for link in &mut c.links {
                    if let Link::Input(i) = link {
                        *i = positions[*i] - 1;
                    }
                }
                c
            })
            .collect();
    }
    report
}

fn from_probe(label: &str, probe: pinwarden_probe::Probe, store: &TrustStore) -> InputReport {
    let mut report = empty(label, "host");
    report.address = Some(probe.addr.to_string());
    let mut certs = Vec::new();
    for (i, der) in probe.chain.iter().enumerate() {
        match Certificate::from_der(der, i + 1) {
            Ok(c) => certs.push(c),
            Err(e) => report.errors.push(format!("{label}: served {e}")),
        }
    }
    for (i, c) in certs.iter().enumerate() {
        report.rows.push(cert_row(Some(i + 1), "served", c));
    }
    if let Some((chain, problems)) = pinwarden_core::presented(&certs, store) {
        let chains = vec![chain];
        add_store_roots(&mut report, &chains, store);
        report.notes.extend(chain_notes(&chains, &certs, store));
        report
            .notes
            .extend(problems.iter().map(OrderProblem::to_string));
        report.chains = chains;
    }
    report.verdict = Some(probe.verdict);
    report
}

fn cert_row(position: Option<usize>, source: &'static str, c: &Certificate) -> Row {
    Row {
        position,
        source,
        level: Some(c.level()),
        subject: c.subject.clone(),
        issuer: Some(c.issuer.clone()),
        not_after: Some(c.not_after),
        key: c.key.clone(),
        pin: c.pin,
        certificate: Some(c.clone()),
    }
}

/// Adds a row for each root a chain was completed with, once per root.
fn add_store_roots(report: &mut InputReport, chains: &[Chain], store: &TrustStore) {
    let mut added = Vec::new();
    for chain in chains {
        for link in &chain.links {
            let Link::TrustStore(i) = *link else { continue };
            if added.contains(&i) {
                continue;
            }
            added.push(i);
            let anchor = &store.anchors()[i];
            let row = match &anchor.certificate {
                Some(c) => cert_row(None, "trust-store", c),
                None => Row {
                    position: None,
                    source: "trust-store",
                    level: Some(pinwarden_core::Level::Root),
                    subject: anchor.subject.clone(),
                    issuer: Some(anchor.subject.clone()),
                    not_after: None,
                    key: key_of(anchor.spki_der()),
                    pin: anchor.pin,
                    certificate: None,
                },
            };
            report.rows.push(row);
        }
    }
}

fn key_of(spki: &[u8]) -> pinwarden_core::KeyInfo {
    pinwarden_core::PublicKey::from_spki_der(spki, 1)
        .map(|k| k.key)
        .unwrap_or(pinwarden_core::KeyInfo {
            algorithm: "unknown".to_owned(),
            curve: None,
            bits: None,
        })
}

/// Plain sentences about chains that are not complete; long lists are cut.
fn chain_notes(chains: &[Chain], certs: &[Certificate], store: &TrustStore) -> Vec<String> {
    const SHOWN: usize = 5;
    let bad: Vec<String> = chains
        .iter()
        .filter(|c| c.status != ChainStatus::Complete)
        .map(|c| {
            let start = match c.links[0] {
                Link::Input(i) => certs[i].display_name().to_owned(),
                Link::TrustStore(i) => store.anchors()[i].display_name().to_owned(),
            };
            match &c.status {
                ChainStatus::Incomplete { missing_issuer } => format!(
                    "chain of {start:?} is incomplete: its issuer {missing_issuer:?} is neither in the input nor in the trust store ({})",
                    store.name
                ),
                other => format!("chain of {start:?} is {other}"),
            }
        })
        .collect();
    let mut notes: Vec<String> = bad.iter().take(SHOWN).cloned().collect();
    if bad.len() > SHOWN {
        notes.push(format!(
            "… and {} more incomplete chains (see --json)",
            bad.len() - SHOWN
        ));
    }
    notes
}
