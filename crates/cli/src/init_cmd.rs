//! `pinwarden init`: a starting policy from live endpoints. It pins the CA
//! level of what each host serves today, leaves a clearly marked place for
//! the backup pin it can't know, and TODOs for the facts only people know.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use pinwarden_core::Level;
use pinwarden_core::check::ChainKey;
use pinwarden_probe::Target;

use crate::args::InitArgs;
use crate::chains::{Prober, keys};

pub(crate) fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    let prober = Prober::new(&args.probe)?;
    let roots = &prober.roots;
    let mut endpoints = Vec::new();
    for text in &args.hosts {
        let target: Target = text.parse()?;
        if endpoints
            .iter()
            .any(|(t, _): &(Target, _)| t.host == target.host)
        {
            continue;
        }
        let certs = prober
            .chain(&target.host, target.port, &args.probe.resolve)
            .with_context(|| format!("{text}: can't start from this endpoint"))?;
        endpoints.push((target, keys(&certs, &roots.store)));
    }
    let policy = render(&endpoints);
    // What we write must read back; a failure here is a bug in init.
    if let Err(problems) = pinwarden_core::policy::Policy::parse(&policy) {
        bail!("init produced a policy that doesn't parse: {problems:?}");
    }
    match &args.output {
        Some(path) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .with_context(|| format!("{path}: won't overwrite, or can't create"))?;
            file.write_all(policy.as_bytes())?;
            eprintln!("wrote {path}; fill in the TODOs, then run `pinwarden lint {path}`");
        }
        None => print!("{policy}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn render(endpoints: &[(Target, Vec<ChainKey>)]) -> String {
    let mut out = String::from(
        "# pinwarden.toml, started by `pinwarden init` from live endpoints.\n\
         # Lines marked TODO are facts pinwarden can't know; `pinwarden lint`\n\
         # reports what is still missing, `pinwarden schema` lists every key.\n\n\
         [organisation]\n\
         # name = \"TODO\"\n\
         # owner = \"TODO: who owns the pin lifecycle\"\n\
         # automated_renewal_percent = 0   # TODO\n\
         # certificate_lifetime_days = 90   # TODO\n\
         # backup_ca = \"TODO: a second CA\"\n\
         # backup_ca_contracted = true\n\
         # hours_to_switch_ca = 24\n\
         # telemetry = \"none\"              # TODO: none | reports | alerting | auto-rollback\n\n\
         # [[application]]                  # TODO: one per client application\n\
         # id = \"TODO\"\n\
         # type = \"mobile\"                 # mobile | web | service | iot | third-party | desktop\n\
         # update_mechanism = \"app-store\"  # app-store | mandatory-auto-update | ota-signed | ota-unsigned | none\n\
         # update_days_to_95 = 21\n\
         # remote_pin_config = false\n\
         # data = [\"financial\"]          # financial | health | auth-tokens | regulated | personal | public\n\
         # pinsets = [\"TODO\"]\n",
    );
    for (target, keys) in endpoints {
        let id = target.host.replace('.', "-");
        let _ = write!(
            out,
            "\n[[endpoint]]\nhost = {:?}\nport = {}\n# owner = \"TODO\"\n\n\
             [[pinset]]\nid = {id:?}\nhosts = [{:?}]\n# expires = 2027-06-30   # TODO: within the pins' planned lifetime\n\
             # report_uri = \"TODO: where clients send pin-failure reports\"\n",
            target.host, target.port, target.host
        );
        // CA level: the intermediates and the root, never the leaf.
        for key in keys.iter().filter(|k| k.level != Level::Leaf) {
            let _ = write!(
                out,
                "\n[[pinset.pins]]\npin = \"{}\"\nrole = \"primary\"\nlevel = \"{}\"\nlabel = {:?}\n",
                key.pin, key.level, key.name
            );
        }
        if keys.iter().all(|k| k.level == Level::Leaf) {
            out.push_str("\n# TODO: the chain has no CA certificate to pin (self-signed?): pin the key of a CA you control\n");
        }
        out.push_str(
            "\n# TODO BACKUP PIN: add a key this chain does not use, from a second CA\n\
             # or a pre-generated key kept offline. Without it, a CA change locks\n\
             # clients out (pinwarden lint: PW001).\n\
             # [[pinset.pins]]\n\
             # pin = \"sha256/...\"\n\
             # role = \"backup\"\n",
        );
    }
    out
}
