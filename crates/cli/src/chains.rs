//! Where the chains of a policy's hosts come from: chain files or live
//! probes, completed with the trust store's root. Shared by check and simulate.

use anyhow::{Context as _, bail};
use pinwarden_core::check::ChainKey;
use pinwarden_core::policy::Policy;
use pinwarden_core::{Certificate, Level, Link, TrustStore};
use pinwarden_probe::{ProbeOptions, RootSource, Roots, Target};

use crate::args::ProbeFlags;

/// What reaching hosts takes: the trust anchors, the probe options, and an
/// async runtime to run probes on.
pub(crate) struct Prober {
    pub(crate) roots: Roots,
    pub(crate) options: ProbeOptions,
    pub(crate) runtime: tokio::runtime::Runtime,
}

impl Prober {
    pub(crate) fn new(flags: &ProbeFlags) -> anyhow::Result<Self> {
        if !(flags.timeout > 0.0 && flags.timeout <= 3600.0) {
            bail!("--timeout must be between 0 and 3600 seconds");
        }
        let roots = Roots::load(&RootSource::parse(&flags.roots))?;
        let mut options = ProbeOptions::new(roots.clone());
        options.timeout = std::time::Duration::from_secs_f64(flags.timeout);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        Ok(Self {
            roots,
            options,
            runtime,
        })
    }

    /// The chain `host:port` serves, honouring --resolve.
    pub(crate) fn chain(
        &self,
        host: &str,
        port: u16,
        resolve: &[String],
    ) -> anyhow::Result<Vec<Certificate>> {
        chain_from_host(&self.runtime, &self.options, host, port, resolve)
    }
}

/// (pin set id, host, port) for every exact host pattern, and every endpoint
/// a pattern covers (wildcards can only be checked through named endpoints).
pub(crate) fn targets(policy: &Policy) -> Vec<(String, String, u16)> {
    let mut out = Vec::new();
    for set in &policy.pinsets {
        let pinset = set.to_pinset();
        let mut push = |host: &str, port: u16| {
            let row = (pinset.id.clone(), host.to_owned(), port);
            if !out.contains(&row) {
                out.push(row);
            }
        };
        for endpoint in policy.endpoints.iter().filter(|e| pinset.covers(&e.host)) {
            push(&endpoint.host, endpoint.port);
        }
        for pattern in pinset
            .hosts
            .iter()
            .filter(|p| p.kind() == pinwarden_core::PatternKind::Exact)
        {
            if !policy.endpoints.iter().any(|e| e.host == pattern.domain()) {
                push(pattern.domain(), 443);
            }
        }
    }
    out
}

pub(crate) fn chain_from_file(dir: &str, host: &str) -> anyhow::Result<Vec<Certificate>> {
    let path = std::path::Path::new(dir).join(format!("{host}.pem"));
    let bytes = std::fs::read(&path).with_context(|| format!("{}", path.display()))?;
    let decoded = pinwarden_core::decode(&bytes).with_context(|| format!("{}", path.display()))?;
    if let Some(e) = decoded.errors.first() {
        bail!("{}: {e}", path.display());
    }
    Ok(decoded.certificates)
}

pub(crate) fn chain_from_host(
    runtime: &tokio::runtime::Runtime,
    options: &ProbeOptions,
    host: &str,
    port: u16,
    resolve: &[String],
) -> anyhow::Result<Vec<Certificate>> {
    let mut target: Target = format!("{host}:{port}").parse()?;
    let prefix = format!("{host}:{port}:");
    if let Some(addr) = resolve.iter().find_map(|r| r.strip_prefix(&prefix)) {
        target.set_connect(addr)?;
    }
    let probe = runtime.block_on(pinwarden_probe::probe(&target, options))?;
    probe
        .chain
        .iter()
        .enumerate()
        .map(|(i, der)| Certificate::from_der(der, i + 1).map_err(anyhow::Error::from))
        .collect()
}

/// The chain's keys as a client sees them: served certificates in chain
/// order, then the root the trust store completes it with.
pub(crate) fn keys(certs: &[Certificate], store: &TrustStore) -> Vec<ChainKey> {
    let Some((chain, _)) = pinwarden_core::presented(certs, store) else {
        return Vec::new();
    };
    chain
        .links
        .iter()
        .enumerate()
        .map(|(depth, link)| match *link {
            Link::Input(i) => ChainKey::of(&certs[i], depth),
            Link::TrustStore(i) => {
                let anchor = &store.anchors()[i];
                ChainKey {
                    pin: anchor.pin,
                    level: Level::Root,
                    name: anchor.display_name().to_owned(),
                }
            }
        })
        .collect()
}
