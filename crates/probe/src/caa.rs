//! Finding a name's relevant CAA RRset in DNS (RFC 8659 §3), for
//! `pinwarden_core::caa` to evaluate.
//!
//! ```text
//! name ==> CAA? (aliases followed) ==> non-empty: the relevant RRset
//!               | NXDOMAIN / NODATA
//!               v
//!          parent ==> CAA? ==> ...  until the TLD has been asked: no CAA, any CA
//!          SERVFAIL / REFUSED / timeout at any step: an error, never "any CA"
//! ```
//!
//! The search climbs the tree of the name asked about, not of an alias'
//! target: RFC 8659 §3 has the DNS lookup at each step follow CNAMEs (the
//! resolver does), but `Parent` is always taken of the original name (an
//! erratum of RFC 6844's tree climbing that RFC 8659 fixed).
//!
//! hickory asks over UDP; answers it can't decode (CAA tags longer than 15
//! octets) or that don't fit in UDP are asked again over TCP and read by
//! `wire`, pinwarden's own reader of CAA answers.

mod wire;

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ProtocolConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::ProtoError;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use pinwarden_core::caa::{self, CaaRecord, Permitted};

use crate::Error;

/// The errors of CAA lookups: the crate's [`Error`] (its `Caa*` and
/// `ResolverConfig` variants).
pub type CaaError = Error;

/// Looks up relevant CAA RRsets through one resolver (hickory's answers are
/// cached for the records' TTLs, so many names under one domain cost few
/// queries; the few read over TCP by `wire` are not).
#[derive(Clone)]
pub struct CaaResolver {
    resolver: TokioResolver,
    /// The same servers over TCP, for what hickory can't read.
    tcp: wire::TcpCaa,
    config: ResolverConfig,
    options: ResolverOpts,
}

impl std::fmt::Debug for CaaResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaaResolver").finish_non_exhaustive()
    }
}

/// The relevant CAA RRset of a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelevantCaa {
    /// The name searched for: lowercase, no trailing dot, and without the
    /// `*.` of a wildcard (whose search starts at its base name).
    pub name: String,
    /// The owner name of the relevant RRset: the name itself, an ancestor,
    /// or, when the name (or ancestor) is an alias, the alias' target.
    /// `None` when no CAA was found up to the top-level domain.
    pub found_at: Option<String>,
    /// The records of the relevant RRset, as served (any case).
    pub records: Vec<CaaRecord>,
}

impl RelevantCaa {
    /// Which CAs may issue for the name (`wildcard`: for `*.name`).
    pub fn permitted(&self, wildcard: bool) -> Permitted {
        caa::permitted(&self.records, wildcard)
    }

    /// Whether the CA with this CAA identifier (`letsencrypt.org`) may issue.
    /// RFC 8657 parameters (`accounturi`, `validationmethods`) restrict a CA
    /// in ways a certificate doesn't show, so a listed CA counts as
    /// permitted whatever its parameters; see [`Self::uncheckable`].
    pub fn permits(&self, caa_identifier: &str, wildcard: bool) -> bool {
        self.permitted(wildcard).allows(caa_identifier)
    }

    /// Where CAs report refused requests (`iodef` values).
    pub fn iodef(&self) -> Vec<&str> {
        caa::iodef(&self.records)
    }

    /// Records with tags RFC 8659 and RFC 8657 don't define; a critical one
    /// means no CA may issue at all.
    pub fn unknown_tags(&self) -> Vec<&CaaRecord> {
        self.records
            .iter()
            .filter(|r| {
                ![
                    "issue",
                    "issuewild",
                    "iodef",
                    "contactemail",
                    "contactphone",
                ]
                .iter()
                .any(|t| r.tag.eq_ignore_ascii_case(t))
            })
            .collect()
    }

    /// The permitted CAs' parameters (RFC 8657 `accounturi`,
    /// `validationmethods`, or others), as (CA identifier, key, value): they
    /// bind issuance to an ACME account or validation method, which a
    /// certificate does not record, so nobody can check them afterwards.
    pub fn uncheckable(&self, wildcard: bool) -> Vec<(String, String, String)> {
        match self.permitted(wildcard) {
            Permitted::Only(issuers) => issuers
                .into_iter()
                .flat_map(|i| {
                    let domain = i.domain;
                    i.parameters
                        .into_iter()
                        .map(move |(k, v)| (domain.clone(), k, v))
                })
                .collect(),
            Permitted::Any | Permitted::Nobody(_) => Vec::new(),
        }
    }
}

impl CaaResolver {
    /// The system's resolver, from /etc/resolv.conf.
    pub fn system() -> Result<Self, CaaError> {
        let (config, options) = hickory_resolver::system_conf::read_system_conf().map_err(|e| {
            Error::ResolverConfig {
                reason: e.to_string(),
            }
        })?;
        Ok(Self::build(config, options))
    }

    /// Asks only the nameserver at `addr` (UDP, and TCP for long answers).
    pub fn with_server(addr: SocketAddr) -> Self {
        let mut udp = ConnectionConfig::udp();
        udp.port = addr.port();
        let mut tcp = ConnectionConfig::tcp();
        tcp.port = addr.port();
        let server = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
        let mut options = ResolverOpts::default();
        options.timeout = Duration::from_secs(3);
        options.attempts = 2;
        Self::build(ResolverConfig::from_name_servers(vec![server]), options)
    }

    /// The same servers with another per-query timeout (each query is
    /// tried twice before the lookup fails).
    pub fn with_timeout(self, timeout: Duration) -> Self {
        let mut options = self.options;
        options.timeout = timeout;
        options.attempts = 2;
        Self::build(self.config, options)
    }

    fn build(config: ResolverConfig, mut options: ResolverOpts) -> Self {
        // CAA answers are never in /etc/hosts; the alias chain is kept so
        // that `found_at` can say where the records really live.
        options.use_hosts_file = ResolveHosts::Never;
        options.preserve_intermediates = true;
        // hickory over UDP only: over TCP it drops an answer it can't decode
        // and waits for the timeout, so TCP is left to `wire`, which reads
        // what hickory can't (see `step`).
        let mut udp = config.clone();
        for server in &mut udp.name_servers {
            server
                .connections
                .retain(|c| matches!(c.protocol, ProtocolConfig::Udp));
        }
        let resolver =
            hickory_resolver::Resolver::builder_with_config(udp, TokioRuntimeProvider::default())
                .with_options(options.clone())
                .build()
                // Invariant: building fails only while setting up DNS-over-TLS,
                // which the features pinwarden enables don't include.
                .expect("a plain UDP resolver builds");
        Self {
            resolver,
            tcp: wire::TcpCaa::new(&config, &options),
            config,
            options,
        }
    }

    /// The relevant CAA RRset for `name` (a leading `*.` is dropped: a
    /// wildcard's search starts at its base name; ask
    /// [`RelevantCaa::permitted`] with `wildcard: true`).
    pub async fn relevant(&self, name: &str) -> Result<RelevantCaa, CaaError> {
        let (text, mut domain) = parse_name(name)?;
        while !domain.is_root() {
            let queried = domain.to_ascii();
            let queried = queried.trim_end_matches('.');
            let failed = |reason: String| Error::CaaLookup {
                name: text.clone(),
                queried: queried.to_owned(),
                reason,
            };
            match self.step(&domain).await.map_err(failed)? {
                Step::Found { owner, records } => {
                    return Ok(RelevantCaa {
                        name: text,
                        found_at: Some(owner),
                        records,
                    });
                }
                Step::Empty => {}
            }
            domain = domain.base_name();
        }
        Ok(RelevantCaa {
            name: text,
            found_at: None,
            records: Vec::new(),
        })
    }

    /// The CAA RRset at `domain` (after aliases), if any. NXDOMAIN and
    /// NODATA are `Empty`; other failures are the reason, as text.
    async fn step(&self, domain: &Name) -> Result<Step, String> {
        let lookup = match self.resolver.lookup(domain.clone(), RecordType::CAA).await {
            Ok(lookup) => lookup,
            Err(NetError::Dns(DnsError::NoRecordsFound(none)))
                if matches!(
                    none.response_code,
                    ResponseCode::NoError | ResponseCode::NXDomain
                ) =>
            {
                return Ok(Step::Empty);
            }
            Err(NetError::Dns(DnsError::NoRecordsFound(none))) => {
                return Err(answered(none.response_code));
            }
            Err(NetError::Dns(DnsError::ResponseCode(code))) => return Err(answered(code)),
            Err(NetError::Timeout) => return Err("no answer (timed out)".into()),
            // hickory-proto 0.26 can't decode a CAA tag longer than 15 octets
            // (RFC 8659 allows 255), and drops the whole answer: read it here.
            Err(NetError::Proto(ProtoError::Decode(e))) => {
                return self.tcp.lookup(domain).await.map_err(|tcp| {
                    format!(
                        "{tcp} (asked over TCP because the UDP answer could not be decoded: {e})"
                    )
                });
            }
            // Too big for UDP: hickory may not use TCP (see `build`).
            Err(NetError::Truncated) => return self.tcp.lookup(domain).await,
            Err(e) => return Err(e.to_string()),
        };
        let mut owner = None;
        let mut records = Vec::new();
        for r in lookup.answers() {
            if let RData::CAA(caa) = &r.data {
                owner.get_or_insert_with(|| owner_text(&r.name));
                records.push(CaaRecord {
                    critical: caa.issuer_critical,
                    tag: caa.tag.clone(),
                    value: String::from_utf8_lossy(&caa.value).into_owned(),
                });
            }
        }
        Ok(match owner {
            Some(owner) => Step::Found { owner, records },
            // An answer without CAA records (only an alias chain): empty.
            None => Step::Empty,
        })
    }
}

/// What one step of the search found.
#[derive(Debug)]
enum Step {
    /// A non-empty CAA RRset, at this owner (lowercase, no trailing dot).
    Found {
        owner: String,
        records: Vec<CaaRecord>,
    },
    /// NXDOMAIN, NODATA, or an alias chain to either.
    Empty,
}

/// A DNS name as `RelevantCaa` shows it: lowercase, no trailing dot.
fn owner_text(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

/// A response code as DNS people write it (`SERVFAIL`), then its meaning.
fn answered(code: ResponseCode) -> String {
    let short = match code {
        ResponseCode::FormErr => "FORMERR".to_owned(),
        ResponseCode::ServFail => "SERVFAIL".to_owned(),
        ResponseCode::NXDomain => "NXDOMAIN".to_owned(),
        ResponseCode::NotImp => "NOTIMP".to_owned(),
        ResponseCode::Refused => "REFUSED".to_owned(),
        other => format!("RCODE {}", u16::from(other)),
    };
    format!("the server answered {short} ({code})")
}

/// The name as text (lowercase, no trailing dot, no `*.`) and as a fully
/// qualified DNS name, so that no search domain is ever appended.
fn parse_name(input: &str) -> Result<(String, Name), Error> {
    let bad = |reason: &str| Error::CaaName {
        name: input.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = input.trim().trim_end_matches('.');
    let base = trimmed.strip_prefix("*.").unwrap_or(trimmed);
    if base.is_empty() {
        return Err(bad("it is empty"));
    }
    if base.contains('*') {
        return Err(bad("only a leading `*.` label may be a wildcard"));
    }
    if base
        .chars()
        .any(|c| c.is_whitespace() || c == '/' || c == ':')
    {
        return Err(bad(
            "it contains a space, `/` or `:` (give a bare domain name)",
        ));
    }
    if base.split('.').any(str::is_empty) {
        return Err(bad("it has an empty label"));
    }
    let name = Name::from_utf8(format!("{base}.")).map_err(|e| bad(&e.to_string()))?;
    let text = name.to_ascii().trim_end_matches('.').to_ascii_lowercase();
    Ok((text, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_or_refused() {
        let ok = |s: &str| parse_name(s).unwrap().0;
        assert_eq!(ok("Example.COM."), "example.com");
        assert_eq!(ok("*.example.com"), "example.com");
        assert_eq!(ok("bücher.example"), "xn--bcher-kva.example");
        for bad in [
            "",
            "*.",
            "a.*.example",
            "a..example",
            "https://example.com",
            "a b.example",
        ] {
            assert!(parse_name(bad).is_err(), "{bad:?}");
        }
        let e = parse_name("a..example").unwrap_err().to_string();
        assert!(
            e.contains("\"a..example\"") && e.contains("empty label"),
            "{e}"
        );
    }
}
