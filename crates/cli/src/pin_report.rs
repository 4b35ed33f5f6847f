//! What `pinwarden pin` found in one input: certificates, keys, chains, and
//! the rows to show. Certificates are held once; rows point at them, so the
//! descriptive facts are decoded only when a format shows them.

use std::io::Read;

use pinwarden_core::{
    Certificate, Chain, ChainStatus, Decoder, Item, Level, Link, OrderProblem, PublicKey, SpkiPin,
    TrustStore,
};
use pinwarden_probe::Verdict;

use crate::args::LevelFilter;

/// One input's results.
#[derive(Debug)]
pub(crate) struct InputReport {
    pub(crate) input: String,
    pub(crate) kind: &'static str,
    pub(crate) certs: Vec<Certificate>,
    /// Input position (from 1) of each of `certs`.
    pub(crate) cert_positions: Vec<usize>,
    pub(crate) keys: Vec<PublicKey>,
    pub(crate) rows: Vec<Row>,
    pub(crate) chains: Vec<Chain>,
    pub(crate) verdict: Option<Verdict>,
    pub(crate) address: Option<String>,
    pub(crate) notes: Vec<String>,
    pub(crate) errors: Vec<String>,
}

/// One line of output.
#[derive(Debug)]
pub(crate) struct Row {
    /// Position in the input, from 1; `None` for a root from the trust store.
    pub(crate) position: Option<usize>,
    pub(crate) item: RowItem,
    pub(crate) pin: SpkiPin,
    pub(crate) level: Option<Level>,
}

/// What a row shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowItem {
    /// `certs[i]` of the report.
    Cert(usize),
    /// `keys[i]` of the report.
    Key(usize),
    /// Anchor `i` of the trust store.
    Anchor(usize),
}

impl InputReport {
    pub(crate) fn empty(input: &str, kind: &'static str) -> Self {
        Self {
            input: input.to_owned(),
            kind,
            certs: Vec::new(),
            cert_positions: Vec::new(),
            keys: Vec::new(),
            rows: Vec::new(),
            chains: Vec::new(),
            verdict: None,
            address: None,
            notes: Vec::new(),
            errors: Vec::new(),
        }
    }

    pub(crate) fn failed(input: &str, kind: &'static str, error: String) -> Self {
        let mut report = Self::empty(input, kind);
        report.errors.push(error);
        report
    }

    /// A file or stdin, read in pieces so a large bundle never sits in memory whole.
    pub(crate) fn from_reader(input: &str, mut reader: impl Read, store: &TrustStore) -> Self {
        let kind = if input == "-" { "stdin" } else { "file" };
        let mut decoder = Decoder::new();
        if let Err(e) = decoder.read_from(&mut reader) {
            return Self::failed(input, kind, format!("{input}: can't read: {e}"));
        }
        let decoded = match decoder.finish() {
            Ok(d) => d,
            Err(e) => return Self::failed(input, kind, format!("{input}: {e}")),
        };
        let mut report = Self::empty(input, kind);
        report.errors = decoded
            .errors
            .iter()
            .map(|e| format!("{input}: {e}"))
            .collect();
        if decoded.order.is_empty() && decoded.errors.is_empty() {
            report.errors.push(format!(
                "{input}: no certificate or public key in it ({})",
                decoded.skipped.join("; ")
            ));
            return report;
        }
        report.notes = decoded.skipped;
        report.rows = decoded
            .order
            .iter()
            .map(|found| match found.item {
                Item::Certificate(i) => {
                    let c = &decoded.certificates[i];
                    Row {
                        position: Some(found.position),
                        item: RowItem::Cert(i),
                        pin: c.pin,
                        level: Some(c.level()),
                    }
                }
                Item::PublicKey(i) => Row {
                    position: Some(found.position),
                    item: RowItem::Key(i),
                    pin: decoded.public_keys[i].pin,
                    level: None,
                },
            })
            .collect();
        report.cert_positions = vec![0; decoded.certificates.len()];
        for found in &decoded.order {
            if let Item::Certificate(i) = found.item {
                report.cert_positions[i] = found.position;
            }
        }
        report.certs = decoded.certificates;
        report.keys = decoded.public_keys;
        if !report.certs.is_empty() {
            let chains = pinwarden_core::assemble(&report.certs, store);
            report.finish_chains(chains, store);
        }
        report
    }

    /// A live endpoint's presented chain.
    pub(crate) fn from_probe(
        label: &str,
        probe: pinwarden_probe::Probe,
        store: &TrustStore,
    ) -> Self {
        let mut report = Self::empty(label, "host");
        report.address = Some(probe.addr.to_string());
        for (i, der) in probe.chain.iter().enumerate() {
            match Certificate::from_der(der, i + 1) {
                Ok(c) => {
                    report.rows.push(Row {
                        position: Some(i + 1),
                        item: RowItem::Cert(report.certs.len()),
                        pin: c.pin,
                        // The first certificate a server sends is its own,
                        // whatever its contents say (a self-signed CA, say).
                        level: Some(if i == 0 { Level::Leaf } else { c.level() }),
                    });
                    report.certs.push(c);
                    report.cert_positions.push(i + 1);
                }
                Err(e) => report.errors.push(format!("{label}: served {e}")),
            }
        }
        if let Some((chain, problems)) = pinwarden_core::presented(&report.certs, store) {
            report.finish_chains(vec![chain], store);
            report
                .notes
                .extend(problems.iter().map(OrderProblem::to_string));
        }
        report.verdict = Some(probe.verdict);
        report
    }

    /// Keeps the chains, adds a row for each root taken from the store, and
    /// says plainly which chains are not complete.
    fn finish_chains(&mut self, chains: Vec<Chain>, store: &TrustStore) {
        let mut added = Vec::new();
        for link in chains.iter().flat_map(|c| &c.links) {
            if let Link::TrustStore(i) = *link
                && !added.contains(&i)
            {
                added.push(i);
                self.rows.push(Row {
                    position: None,
                    item: RowItem::Anchor(i),
                    pin: store.anchors()[i].pin,
                    level: Some(Level::Root),
                });
            }
        }
        const SHOWN: usize = 5;
        let bad: Vec<&Chain> = chains
            .iter()
            .filter(|c| c.status != ChainStatus::Complete)
            .collect();
        for chain in bad.iter().take(SHOWN) {
            let start = match chain.links[0] {
                Link::Input(i) => self.certs[i].display_name(),
                Link::TrustStore(i) => store.anchors()[i].display_name().to_owned(),
            };
            self.notes.push(match &chain.status {
                ChainStatus::Incomplete { missing_issuer } => format!(
                    "chain of {start:?} is incomplete: its issuer {missing_issuer:?} is neither in the input nor in the trust store ({})",
                    store.name
                ),
                other => format!("chain of {start:?} is {other}"),
            });
        }
        if bad.len() > SHOWN {
            self.notes.push(format!(
                "… and {} more chains that are not complete (see --json)",
                bad.len() - SHOWN
            ));
        }
        self.chains = chains;
    }

    /// Drops the rows outside the level filter.
    pub(crate) fn retain_level(&mut self, filter: LevelFilter) {
        let want = match filter {
            LevelFilter::All => return,
            LevelFilter::Leaf => Level::Leaf,
            LevelFilter::Intermediate => Level::Intermediate,
            LevelFilter::Root => Level::Root,
        };
        self.rows.retain(|r| r.level == Some(want));
    }

    /// The position shown for a chain link.
    pub(crate) fn link_position(&self, link: Link) -> Option<usize> {
        match link {
            Link::Input(i) => self.cert_positions.get(i).copied(),
            Link::TrustStore(_) => None,
        }
    }
}
