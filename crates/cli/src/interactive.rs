//! `pinwarden assess --interactive`: the framework as a conversation. The
//! answers become a one-application policy, assessed like any other.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use pinwarden_assess::{Dimension, assess};
use pinwarden_core::policy::Policy;

use pinwarden_assess::{name, verdict_words};

/// Asks on stdout, reads stdin, a line per answer.
struct Asker<R, W> {
    input: R,
    output: W,
}

impl<R: BufRead, W: Write> Asker<R, W> {
    /// One answer: blank takes the default; anything outside `choices` (when
    /// given) is asked again, at most three times.
    fn ask(&mut self, question: &str, choices: &[&str], default: &str) -> anyhow::Result<String> {
        for _ in 0..3 {
            let options = if choices.is_empty() {
                String::new()
            } else {
                format!(" [{}]", choices.join("/"))
            };
            write!(self.output, "{question}{options} ({default}): ")?;
            self.output.flush()?;
            let mut line = String::new();
            if self.input.read_line(&mut line)? == 0 {
                bail!("the input ended before every question was answered");
            }
            let answer = line.trim();
            let answer = if answer.is_empty() { default } else { answer };
            if choices.is_empty() || choices.contains(&answer) {
                return Ok(answer.to_owned());
            }
            writeln!(
                self.output,
                "  please answer one of: {}",
                choices.join(", ")
            )?;
        }
        bail!("no valid answer to {question:?}")
    }

    fn yes(&mut self, question: &str, default: &str) -> anyhow::Result<bool> {
        Ok(self.ask(question, &["y", "n"], default)? == "y")
    }

    fn number(&mut self, question: &str, default: &str) -> anyhow::Result<Option<u32>> {
        for _ in 0..3 {
            let answer = self.ask(question, &[], default)?;
            if answer == "unknown" {
                return Ok(None);
            }
            match answer.parse() {
                Ok(n) => return Ok(Some(n)),
                Err(_) => writeln!(self.output, "  please answer a whole number, or unknown")?,
            }
        }
        bail!("no valid answer to {question:?}")
    }
}

pub(crate) fn run(today: time::Date) -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin();
    let mut asker = Asker {
        input: stdin.lock(),
        output: std::io::stdout(),
    };
    let policy = interview(&mut asker)?;
    let report = assess(&policy, today);
    let d = &report.decisions[0];
    let out = &mut asker.output;
    writeln!(out, "\nVerdict: {}", verdict_words(d.verdict))?;
    if let Some(level) = d.level {
        writeln!(out, "Level: {}", name(level))?;
    }
    if let Some(backup) = &d.backup {
        writeln!(out, "Backup: {backup}")?;
    }
    for r in &d.reasons {
        writeln!(out, "  because {r}")?;
    }
    for i in &d.instead {
        writeln!(out, "  instead/also: {i}")?;
    }
    for dim in [
        Dimension::PinUpdateSpeed,
        Dimension::Telemetry,
        Dimension::OwnershipRunbooks,
    ] {
        writeln!(out, "{}: {}/100", dim.title(), report.radar.get(dim))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The questions, in the framework's order, as a policy.
fn interview<R: BufRead, W: Write>(a: &mut Asker<R, W>) -> anyhow::Result<Policy> {
    let app_type = a.ask(
        "Application type",
        &["mobile", "web", "service", "iot", "third-party", "desktop"],
        "mobile",
    )?;
    const CLASSES: [&str; 6] = [
        "financial",
        "health",
        "auth-tokens",
        "regulated",
        "personal",
        "public",
    ];
    let mut data = String::new();
    for attempt in 0..3 {
        data = a.ask("Data it handles (comma-separated: financial, health, auth-tokens, regulated, personal, public)", &[], "public")?;
        if data.split(',').all(|d| CLASSES.contains(&d.trim())) {
            break;
        }
        if attempt == 2 {
            bail!("no valid answer about the data");
        }
        writeln!(a.output, "  please use: {}", CLASSES.join(", "))?;
    }
    let mechanism = a.ask(
        "How updates reach clients",
        &[
            "app-store",
            "mandatory-auto-update",
            "ota-signed",
            "ota-unsigned",
            "none",
        ],
        "app-store",
    )?;
    let automated = a.number(
        "Share of certificate renewals that are automated, 0-100 (or unknown)",
        "unknown",
    )?;
    let days = a.number(
        "1. Days for an update to reach 95% of clients (or unknown)",
        "unknown",
    )?;
    let remote = a.yes("   Can pins change remotely, without a release?", "n")?;
    let backup_ca = a.yes("2. Is a second CA under contract?", "n")?;
    let hours = if backup_ca {
        a.number("   Hours to switch CA", "168")?
    } else {
        None
    };
    let telemetry = a.ask(
        "3. Pin-failure telemetry",
        &["none", "reports", "alerting", "auto-rollback"],
        "none",
    )?;
    let runbooks = a.yes(
        "4. Do runbooks for rotation, CA migration and emergency re-issuance include pin updates?",
        "n",
    )?;
    let owner = a.ask(
        "5. Who owns the pin configuration lifecycle (blank: nobody)",
        &[],
        "",
    )?;
    let (mut private_ca, mut partner, mut notice, mut own) = (false, false, None, true);
    match app_type.as_str() {
        "service" => private_ca = a.yes("Do its peers use a private CA?", "n")?,
        "third-party" => {
            own = false;
            partner = a.yes("Does the partner publish pin sets?", "n")?;
            if partner {
                notice = a.number(
                    "   Days of advance notice of changes it commits to (or unknown)",
                    "unknown",
                )?;
            }
        }
        "desktop" => own = a.yes("Does it talk only to your own infrastructure?", "y")?,
        _ => {}
    }
    let lifetime = if app_type == "service" {
        a.number("Certificate lifetime in days", "90")?
    } else {
        None
    };

    let data: Vec<String> = data
        .split(',')
        .map(|d| format!("{:?}", d.trim()))
        .filter(|d| d != "\"\"")
        .collect();
    let mut toml = String::from("[organisation]\n");
    if !owner.is_empty() {
        toml.push_str(&format!("owner = {owner:?}\n"));
    }
    if let Some(p) = automated {
        toml.push_str(&format!("automated_renewal_percent = {}\n", p.min(100)));
    }
    if backup_ca {
        toml.push_str("backup_ca = \"the contracted backup CA\"\n");
    }
    if let Some(h) = hours {
        toml.push_str(&format!("hours_to_switch_ca = {h}\n"));
    }
    toml.push_str(&format!("telemetry = {telemetry:?}\n"));
    if runbooks {
        for kind in ["rotation", "ca-migration", "emergency-reissue"] {
            toml.push_str(&format!(
                "[[organisation.runbook]]\nkind = {kind:?}\npath = \"(stated in the interview)\"\npin_step = true\n"
            ));
        }
    }
    let host = "app.example";
    toml.push_str(&format!(
        "[[application]]\nid = \"your-application\"\ntype = {app_type:?}\ndata = [{}]\nupdate_mechanism = {mechanism:?}\n\
         remote_pin_config = {remote}\nprivate_ca = {private_ca}\nhosts = [\"{host}\"]\n",
        data.join(", ")
    ));
    if let Some(d) = days {
        toml.push_str(&format!("update_days_to_95 = {d}\n"));
    }
    if let Some(l) = lifetime {
        toml.push_str(&format!("certificate_lifetime_days = {l}\n"));
    }
    // No pin set yet: the interview is about whether to pin. The partner
    // entry says what was answered about it; a desktop that talks to others
    // has its host listed as a third party's.
    if !own {
        toml.push_str(&format!(
            "[[partner]]\nid = \"partner\"\nhosts = [\"{host}\"]\npublishes_pins = {partner}\n"
        ));
        if let Some(n) = notice {
            toml.push_str(&format!("notice_days = {n}\n"));
        }
    }
    if own {
        toml.push_str(&format!("[[endpoint]]\nhost = \"{host}\"\n"));
    }
    Policy::parse(&toml)
        .map_err(|d| anyhow::anyhow!("{d:?}"))
        .context("the answers don't make a policy (a bug)")
}
