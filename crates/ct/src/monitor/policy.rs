//! What the monitor watches and expects, from a policy and the CA dataset:
//! every host the policy names (a wildcard watching its subtree), the pin
//! sets with the applications that use them, and the keys of the
//! organisation's CAs. Shared by `pinwarden ct` and the server's CT task.

use pinwarden_core::PatternKind;
use pinwarden_core::cadata::CaDataset;
use pinwarden_core::policy::Policy;

use super::evaluate::{Expectations, KnownIssuer, PinRule};
use crate::Watchlist;

/// Why a policy can't be turned into a watchlist or expectations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A host the policy names isn't a watchable name.
    #[error("policy host: {0}")]
    Host(String),
    /// The policy names no host at all.
    #[error("the policy names no hosts to watch; give a watchlist file")]
    NoHosts,
    /// `organisation.cas` names a CA the dataset doesn't know.
    #[error(
        "organisation.cas names {0:?}, which the CA dataset doesn't know; add it to a dataset file and pass it (--cas)"
    )]
    UnknownCa(String),
}

/// Every host the policy names: applications' hosts, pin sets' patterns and
/// endpoints. A wildcard host (`*.x`, `**.x`) watches the subtree `.x`.
pub fn watchlist(policy: &Policy) -> Result<Watchlist, PolicyError> {
    let mut list = Watchlist::default();
    let mut add = |item: String| list.add(&item).map_err(PolicyError::Host);
    for app in &policy.applications {
        for host in &app.hosts {
            match host.strip_prefix("**.").or_else(|| host.strip_prefix("*.")) {
                Some(base) => add(format!(".{base}"))?,
                None => add(host.clone())?,
            }
        }
    }
    for set in &policy.pinsets {
        for pattern in &set.hosts {
            match pattern.kind() {
                PatternKind::Exact => add(pattern.domain().to_owned())?,
                PatternKind::OneLabel | PatternKind::AnyDepth => {
                    add(format!(".{}", pattern.domain()))?;
                }
            }
        }
    }
    for endpoint in &policy.endpoints {
        add(endpoint.host.clone())?;
    }
    if list.is_empty() {
        return Err(PolicyError::NoHosts);
    }
    Ok(list)
}

/// Pin sets, applications and CAs from the policy (when there is one),
/// every key the dataset knows mapped to its CA.
pub fn expectations(
    policy: Option<&Policy>,
    dataset: &CaDataset,
) -> Result<Expectations, PolicyError> {
    let mut e = Expectations::default();
    for ca in dataset.cas() {
        for (key, _) in ca.keys() {
            e.known_issuers.insert(
                key.pin,
                KnownIssuer {
                    ca: ca.name.clone(),
                    caa: ca.caa.clone(),
                },
            );
        }
    }
    let Some(policy) = policy else { return Ok(e) };
    for set in &policy.pinsets {
        let id = set.id.get_ref().clone();
        e.pinsets.push(PinRule {
            apps: policy
                .applications
                .iter()
                .filter(|a| a.pinsets.iter().any(|p| p.get_ref() == &id))
                .map(|a| a.id.get_ref().clone())
                .collect(),
            id,
            hosts: set.hosts.clone(),
            pins: set.pins.iter().map(|p| *p.pin.get_ref()).collect(),
        });
    }
    for name in &policy.organisation.cas {
        let ca = dataset
            .by_name(name)
            .ok_or_else(|| PolicyError::UnknownCa(name.clone()))?;
        e.expected_ca_names.push(ca.name.clone());
        e.expected_issuers.extend(ca.keys().map(|(k, _)| k.pin));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_watch_their_subtree_and_unknown_cas_are_named() {
        let policy = Policy::parse(
            r#"
[organisation]
cas = ["Let's Encrypt", "Nonesuch CA"]
[[application]]
id = "a"
type = "mobile"
hosts = ["*.example.com", "api.example.net"]
"#,
        )
        .unwrap();
        let list = watchlist(&policy).unwrap();
        assert!(list.matches("deep.www.example.com").is_some());
        assert!(list.matches("api.example.net").is_some());
        assert!(list.matches("example.org").is_none());
        let err = expectations(Some(&policy), CaDataset::builtin()).unwrap_err();
        assert_eq!(err, PolicyError::UnknownCa("Nonesuch CA".into()));
        assert_eq!(
            watchlist(&Policy::parse("").unwrap()).unwrap_err(),
            PolicyError::NoHosts
        );
    }
}
