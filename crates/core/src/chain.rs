//! Assembling certificates into chains, leaf first, and completing them with a
//! root from a trust store.
//!
//! A certificate's issuer is found by name, narrowed by key identifiers (AKI of
//! the child equals SKI of the parent when both are present). Bundles of
//! thousands of certificates are handled with a name index, not pairwise.

use std::fmt;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::cert::Certificate;
use crate::truststore::TrustStore;

/// Where a certificate of a chain comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "from", content = "index", rename_all = "kebab-case")]
pub enum Link {
    /// The certificate at this index (from 0) of the input.
    Input(usize),
    /// The anchor at this index of the trust store.
    TrustStore(usize),
}

/// How a chain ends.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum ChainStatus {
    /// It ends at a self-issued root (from the input or the trust store).
    Complete,
    /// Its last certificate's issuer is neither in the input nor in the store.
    Incomplete {
        /// The issuer that could not be found.
        missing_issuer: String,
    },
    /// The issuer links go round in a circle.
    Loop,
}

/// A chain of certificates, leaf (or lowest certificate) first.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Chain {
    /// The certificates, child before issuer.
    pub links: Vec<Link>,
    /// How it ends.
    #[serde(flatten)]
    pub status: ChainStatus,
}

impl fmt::Display for ChainStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Complete => f.write_str("complete"),
            Self::Incomplete { missing_issuer } => write!(
                f,
                "incomplete: the issuer {missing_issuer:?} is neither in the input nor in the trust store"
            ),
            Self::Loop => f.write_str("broken: the issuer links form a loop"),
        }
    }
}

/// How a presented (ordered) chain differs from a correct one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum OrderProblem {
    /// The certificate at `position` did not issue the one before it.
    NotIssuerOfPrevious {
        /// Index (from 0) in the presented order.
        position: usize,
    },
    /// A presented certificate is not part of the leaf's chain.
    Unused {
        /// Index (from 0) in the presented order.
        position: usize,
    },
}

impl fmt::Display for OrderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotIssuerOfPrevious { position } => write!(
                f,
                "certificate #{} did not issue certificate #{} (served out of order)",
                position + 1,
                position
            ),
            Self::Unused { position } => write!(
                f,
                "certificate #{} is not part of the leaf's chain (served but unused)",
                position + 1
            ),
        }
    }
}

/// Each certificate's issuer among the input certificates, found once.
struct Parents<'a> {
    certs: &'a [Certificate],
    parent: Vec<Option<usize>>,
}

impl<'a> Parents<'a> {
    fn new(certs: &'a [Certificate]) -> Self {
        let mut by_subject: FxHashMap<&[u8], Vec<usize>> = FxHashMap::default();
        by_subject.reserve(certs.len());
        for (i, c) in certs.iter().enumerate() {
            by_subject.entry(c.subject_raw()).or_default().push(i);
        }
        // Each lookup is independent; large bundles spread them over the cores.
        let parent = (0..certs.len())
            .into_par_iter()
            .map(|i| {
                let cert = &certs[i];
                if cert.is_self_issued() {
                    return None;
                }
                issuer_among(certs, i, by_subject.get(cert.issuer_raw())?)
            })
            .collect();
        Self { certs, parent }
    }
}

/// Which of `candidates` (certificates named as the issuer) issued `certs[child]`.
fn issuer_among(certs: &[Certificate], child: usize, candidates: &[usize]) -> Option<usize> {
    let c = &certs[child];
    let keys_agree = |p: &Certificate| match (c.aki(), p.ski()) {
        (Some(aki), Some(ski)) => aki == ski,
        _ => true,
    };
    let mut fitting = candidates
        .iter()
        .copied()
        .filter(|&p| p != child && keys_agree(&certs[p]));
    let first = fitting.next()?;
    match fitting.next() {
        None => Some(first),
        // Several certificates share the name and key id (cross-signs of one
        // key): any of them carries the same key, so the pin is the same.
        // Prefer one whose signature really verifies.
        Some(second) => [first, second]
            .into_iter()
            .chain(fitting)
            .find(|&p| c.is_signed_by(certs[p].spki_der()))
            .or(Some(first)),
    }
}

/// Follows issuer links from `start` until a root, a missing issuer or a loop.
fn walk(parents: &Parents<'_>, store: &TrustStore, start: usize) -> Chain {
    let mut links = Vec::with_capacity(4);
    links.push(Link::Input(start));
    let mut current = start;
    loop {
        let cert = &parents.certs[current];
        if cert.is_self_issued() {
            return Chain {
                links,
                status: ChainStatus::Complete,
            };
        }
        match parents.parent[current] {
            Some(next) if links.contains(&Link::Input(next)) => {
                return Chain {
                    links,
                    status: ChainStatus::Loop,
                };
            }
            Some(next) => {
                links.push(Link::Input(next));
                current = next;
            }
            None => {
                let status = match store.issuer_of(cert) {
                    Some(i) => {
                        links.push(Link::TrustStore(i));
                        ChainStatus::Complete
                    }
                    None => ChainStatus::Incomplete {
                        missing_issuer: cert.issuer_text(),
                    },
                };
                return Chain { links, status };
            }
        }
    }
}

/// Assembles an unordered bundle into chains.
///
/// Every certificate that issued no other certificate of the bundle starts a
/// chain; so a bundle of unrelated roots gives one chain per root, and a server's
/// `fullchain.pem` gives one chain completed from the store.
pub fn assemble(certs: &[Certificate], store: &TrustStore) -> Vec<Chain> {
    let parents = Parents::new(certs);
    let mut is_issuer = vec![false; certs.len()];
    for p in parents.parent.iter().flatten() {
        is_issuer[*p] = true;
    }
    let mut chains = Vec::with_capacity(is_issuer.iter().filter(|i| !**i).count());
    chains.extend(
        (0..certs.len())
            .filter(|&i| !is_issuer[i])
            .map(|i| walk(&parents, store, i)),
    );
    // Certificates that issue each other in a circle have no starting point.
    let mut seen = vec![false; certs.len()];
    for chain in &chains {
        for link in &chain.links {
            if let Link::Input(i) = link {
                seen[*i] = true;
            }
        }
    }
    for i in 0..certs.len() {
        if !seen[i] {
            let chain = walk(&parents, store, i);
            for link in &chain.links {
                if let Link::Input(j) = link {
                    seen[*j] = true;
                }
            }
            chains.push(chain);
        }
    }
    chains
}

/// The chain a server presented, in the order it was served: the leaf's chain
/// built from the presented certificates, plus what is wrong with the order.
pub fn presented(certs: &[Certificate], store: &TrustStore) -> Option<(Chain, Vec<OrderProblem>)> {
    if certs.is_empty() {
        return None;
    }
    let parents = Parents::new(certs);
    let chain = walk(&parents, store, 0);
    let mut problems = Vec::new();
    for (position, link) in chain.links.iter().enumerate().skip(1) {
        if *link != Link::Input(position) && matches!(link, Link::Input(_)) {
            problems.push(OrderProblem::NotIssuerOfPrevious { position });
            break;
        }
    }
    for position in 0..certs.len() {
        if !chain.links.contains(&Link::Input(position)) {
            problems.push(OrderProblem::Unused { position });
        }
    }
    Some((chain, problems))
}
