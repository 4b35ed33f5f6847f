//! `pinwarden pin`: read or probe each input, assemble chains, report pins.
//!
//! `inputs ==> files: decode | hosts: probe (bounded, progress bar) ==> chains ==> rows ==> render`

use std::io::IsTerminal as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};
use pinwarden_probe::{ProbeOptions, RootSource, Roots, Target};

use crate::args::{PinArgs, PinFormat};
use crate::pin_render;
use crate::pin_report::InputReport;

enum Input {
    /// Neither a file nor a host: why.
    Bad {
        input: String,
        error: String,
    },
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
    let inputs: Vec<Input> = args
        .inputs
        .iter()
        .map(|text| {
            classify(text, &args).unwrap_or_else(|e| Input::Bad {
                input: text.clone(),
                error: format!("{e:#}"),
            })
        })
        .collect();
    let mut reports = gather(inputs, &args, &roots)?;
    for report in &mut reports {
        report.retain_level(args.level);
    }
    let failed_any = reports.iter().any(|r| !r.errors.is_empty());
    for report in &reports {
        for e in &report.errors {
            eprintln!("pinwarden: {e}");
        }
    }
    pin_render::render(&reports, format, roots.store.as_ref(), args.wide)?;
    // The process ends here: let the OS reclaim a bundle's worth of small
    // allocations at once instead of freeing them one by one.
    std::mem::forget(reports);
    Ok(if failed_any {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
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
            Input::Bad { input, error } => InputReport::failed(&input, "unknown", error),
            Input::Stdin => InputReport::from_reader("-", std::io::stdin().lock(), &roots.store),
            Input::File(path) => match std::fs::File::open(&path) {
                Ok(file) => InputReport::from_reader(&path, file, &roots.store),
                Err(e) => InputReport::failed(&path, "file", format!("{path}: {e}")),
            },
            Input::Host(target) => {
                let label = target.label();
                match probed.next().expect("one probe per target") {
                    Ok(p) => InputReport::from_probe(&label, p, &roots.store),
                    Err(e) => InputReport::failed(&label, "host", e.to_string()),
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
