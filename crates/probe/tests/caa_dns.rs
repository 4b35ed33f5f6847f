//! CAA lookups against a real authoritative DNS server (Debian's knotd on a
//! loopback port, started per test): RFC 8659's relevant-RRset search, its
//! alias rule, and failures that must not read as "any CA may issue".

use std::collections::BTreeSet;
use std::time::Duration;

use pinwarden_core::caa::{CaaRecord, Permitted};
use pinwarden_probe::{CaaResolver, Error, RelevantCaa};
use pinwarden_test_support::{CAA, DnsServer, Zone};

/// Every scenario's zones on one server. The root zone makes knotd
/// authoritative for every name, so climbing to a TLD gets NXDOMAIN (as
/// from a real resolver) rather than REFUSED.
fn zones() -> Vec<Zone> {
    let many: String = (1..=40)
        .map(|i| {
            format!("@ CAA 0 issue \"ca{i:02}.issuers.example.net; account=customer-{i:02}\"\n")
        })
        .collect();
    vec![
        Zone::new(".", ""),
        Zone::new("nocaa.test", "www A 192.0.2.1"),
        Zone::new("deny.test", "@ CAA 0 issue \";\"\nwww A 192.0.2.1"),
        Zone::new(
            "climb.test",
            "@ CAA 0 issue \"letsencrypt.org\"\n\
             @ CAA 0 iodef \"mailto:security@climb.test\"\n\
             b.c A 192.0.2.1",
        ),
        Zone::new(
            "critical.test",
            "@ CAA 128 tbs \"x\"\n@ CAA 0 issue \"letsencrypt.org\"\n\
             relaxed CAA 0 tbs \"x\"\nrelaxed CAA 0 issue \"letsencrypt.org\"",
        ),
        Zone::new(
            "alias.test",
            "@ CAA 0 issue \"letsencrypt.org\"\n\
             shop CNAME customer.cdn.test.\n\
             blog CNAME nothing.cdn.test.\n\
             broken CNAME www.servfail.test.",
        ),
        Zone::new(
            "cdn.test",
            "@ CAA 0 issue \"sectigo.com\"\ncustomer CAA 0 issue \"pki.goog\"\nnothing A 192.0.2.2",
        ),
        Zone::new(
            "wild.test",
            "@ CAA 0 issue \"letsencrypt.org\"\n@ CAA 0 issuewild \"digicert.com\"\n\
             nowild CAA 0 issue \"letsencrypt.org\"\nnowild CAA 0 issuewild \";\"",
        ),
        Zone::new(
            "case.test",
            "@ CAA 0 IsSuE \"LetsEncrypt.org\"\n@ CAA 0 IODEF \"mailto:pki@case.test\"",
        ),
        Zone::new(
            "params.test",
            "@ CAA 0 issue \"letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1234; validationmethods=dns-01\"",
        ),
        Zone::new("many.test", &many),
        Zone::unloadable("servfail.test"),
    ]
}

async fn lookup(server: &DnsServer, name: &str) -> RelevantCaa {
    CaaResolver::with_server(server.addr)
        .relevant(name)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}\nknotd log:\n{}", server.log()))
}

/// The permitted CA identifiers, or `None` for "any CA", or `Some(["<nobody>"])`.
fn ids(p: &Permitted) -> Option<BTreeSet<String>> {
    match p {
        Permitted::Any => None,
        Permitted::Only(list) => Some(list.iter().map(|i| i.domain.clone()).collect()),
        Permitted::Nobody(_) => Some(BTreeSet::from(["<nobody>".to_owned()])),
    }
}

fn set(items: &[&str]) -> Option<BTreeSet<String>> {
    Some(items.iter().map(|s| (*s).to_owned()).collect())
}

#[tokio::test]
async fn no_caa_anywhere_permits_any_ca() {
    let dns = DnsServer::start(&zones());
    for name in ["www.nocaa.test", "nocaa.test", "missing.nocaa.test"] {
        let caa = lookup(&dns, name).await;
        assert_eq!(caa.found_at, None, "{name}");
        assert!(caa.records.is_empty());
        assert_eq!(caa.permitted(false), Permitted::Any);
        assert_eq!(caa.permitted(true), Permitted::Any);
        assert!(caa.permits("letsencrypt.org", true));
    }
}

#[tokio::test]
async fn issue_semicolon_denies_every_ca_for_names_and_wildcards() {
    let dns = DnsServer::start(&zones());
    let caa = lookup(&dns, "www.deny.test").await;
    assert_eq!(caa.found_at.as_deref(), Some("deny.test"));
    assert_eq!(ids(&caa.permitted(false)), set(&["<nobody>"]));
    assert_eq!(ids(&caa.permitted(true)), set(&["<nobody>"]));
    assert!(!caa.permits("letsencrypt.org", false));
}

#[tokio::test]
async fn the_search_climbs_through_nxdomain_and_empty_non_terminals() {
    let dns = DnsServer::start(&zones());
    // a.b.c: NXDOMAIN; b.c: exists without CAA; c: empty non-terminal.
    let caa = lookup(&dns, "a.b.c.climb.test").await;
    assert_eq!(caa.name, "a.b.c.climb.test");
    assert_eq!(caa.found_at.as_deref(), Some("climb.test"));
    assert_eq!(ids(&caa.permitted(false)), set(&["letsencrypt.org"]));
    assert_eq!(ids(&caa.permitted(true)), set(&["letsencrypt.org"]));
    assert_eq!(caa.iodef(), ["mailto:security@climb.test"]);
    assert!(!caa.permits("digicert.com", false));
}

#[tokio::test]
async fn an_unknown_critical_tag_permits_nobody_and_a_non_critical_one_is_ignored() {
    let dns = DnsServer::start(&zones());
    let caa = lookup(&dns, "www.critical.test").await;
    assert_eq!(caa.found_at.as_deref(), Some("critical.test"));
    let Permitted::Nobody(why) = caa.permitted(false) else {
        panic!("{:?}", caa.permitted(false))
    };
    assert!(why.contains("tbs"), "{why}");
    assert_eq!(ids(&caa.permitted(true)), set(&["<nobody>"]));
    assert_eq!(
        caa.unknown_tags(),
        [&CaaRecord {
            critical: true,
            tag: "tbs".into(),
            value: "x".into()
        }]
    );

    let relaxed = lookup(&dns, "relaxed.critical.test").await;
    assert_eq!(relaxed.found_at.as_deref(), Some("relaxed.critical.test"));
    assert_eq!(ids(&relaxed.permitted(false)), set(&["letsencrypt.org"]));
    assert_eq!(relaxed.unknown_tags().len(), 1);
}

#[tokio::test]
async fn aliases_are_followed_but_the_climb_stays_on_the_original_name() {
    let dns = DnsServer::start(&zones());
    // shop.alias.test is a CNAME to customer.cdn.test, which has CAA: that
    // RRset is the relevant one (RFC 8659 §3: the lookup follows aliases).
    let shop = lookup(&dns, "shop.alias.test").await;
    assert_eq!(shop.name, "shop.alias.test");
    assert_eq!(shop.found_at.as_deref(), Some("customer.cdn.test"));
    assert_eq!(ids(&shop.permitted(false)), set(&["pki.goog"]));

    // blog.alias.test aliases nothing.cdn.test, which has none: the search
    // goes on at alias.test (the original name's parent), not at cdn.test
    // (the target's parent, as RFC 6844 once had it).
    let blog = lookup(&dns, "blog.alias.test").await;
    assert_eq!(blog.found_at.as_deref(), Some("alias.test"));
    assert_eq!(ids(&blog.permitted(false)), set(&["letsencrypt.org"]));
    assert!(!blog.permits("sectigo.com", false));

    // An alias into a zone that fails: an error, not the parent's CAA.
    let err = CaaResolver::with_server(dns.addr)
        .relevant("broken.alias.test")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::CaaLookup { queried, .. } if queried == "broken.alias.test"),
        "{err}"
    );
}

#[tokio::test]
async fn issuewild_governs_wildcards_only() {
    let dns = DnsServer::start(&zones());
    let caa = lookup(&dns, "*.wild.test").await;
    assert_eq!(
        caa.name, "wild.test",
        "a wildcard's search starts at its base"
    );
    assert_eq!(ids(&caa.permitted(false)), set(&["letsencrypt.org"]));
    assert_eq!(ids(&caa.permitted(true)), set(&["digicert.com"]));
    assert!(caa.permits("digicert.com", true) && !caa.permits("digicert.com", false));

    let caa = lookup(&dns, "nowild.wild.test").await;
    assert_eq!(ids(&caa.permitted(false)), set(&["letsencrypt.org"]));
    assert_eq!(ids(&caa.permitted(true)), set(&["<nobody>"]));
}

#[tokio::test]
async fn tags_and_issuer_names_match_in_any_case() {
    let dns = DnsServer::start(&zones());
    let caa = lookup(&dns, "WWW.Case.TEST.").await;
    assert_eq!(caa.name, "www.case.test");
    assert_eq!(caa.found_at.as_deref(), Some("case.test"));
    // The server kept the case it was given: matching ignored it, not knotd.
    assert!(
        caa.records.iter().any(|r| r.tag == "IsSuE"),
        "{:?}",
        caa.records
    );
    assert_eq!(ids(&caa.permitted(false)), set(&["letsencrypt.org"]));
    assert!(caa.permits("LETSENCRYPT.ORG", false));
    assert_eq!(caa.iodef(), ["mailto:pki@case.test"]);
    assert!(caa.unknown_tags().is_empty());
}

#[tokio::test]
async fn rfc_8657_parameters_are_reported_as_uncheckable() {
    let dns = DnsServer::start(&zones());
    let caa = lookup(&dns, "params.test").await;
    assert!(caa.permits("letsencrypt.org", false));
    let params = caa.uncheckable(false);
    let keys: Vec<&str> = params.iter().map(|(_, k, _)| k.as_str()).collect();
    assert_eq!(keys, ["accounturi", "validationmethods"]);
    assert!(params.iter().all(|(ca, _, _)| ca == "letsencrypt.org"));
    assert_eq!(params[1].2, "dns-01");
}

#[tokio::test]
async fn forty_records_come_over_tcp_after_a_truncated_udp_answer() {
    let dns = DnsServer::start(&zones());
    let udp = dns.query_udp("many.test", CAA).expect("knotd answers");
    assert!(
        udp.truncated,
        "the RRset must not fit in UDP for this test: {udp:?}"
    );
    let caa = lookup(&dns, "www.many.test").await;
    assert_eq!(caa.records.len(), 40);
    let expected: BTreeSet<String> = (1..=40)
        .map(|i| format!("ca{i:02}.issuers.example.net"))
        .collect();
    assert_eq!(ids(&caa.permitted(false)), Some(expected));
    assert_eq!(caa.uncheckable(false).len(), 40);
}

#[tokio::test]
async fn servfail_is_an_error_not_any_ca() {
    let dns = DnsServer::start(&zones());
    let err = CaaResolver::with_server(dns.addr)
        .relevant("www.servfail.test")
        .await
        .unwrap_err();
    let Error::CaaLookup {
        name,
        queried,
        reason,
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(
        (name.as_str(), queried.as_str()),
        ("www.servfail.test", "www.servfail.test")
    );
    assert!(reason.contains("SERVFAIL"), "{reason}");
    assert!(err.to_string().contains("not the same as no CAA"), "{err}");
}

#[tokio::test]
async fn refused_while_climbing_is_an_error_not_any_ca() {
    // This server has no root zone: asking it about `test.` is REFUSED.
    let dns = DnsServer::start(&[Zone::new("nocaa.test", "www A 192.0.2.1")]);
    let err = CaaResolver::with_server(dns.addr)
        .relevant("www.nocaa.test")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::CaaLookup { queried, reason, .. }
            if queried == "test" && reason.contains("REFUSED")),
        "{err}"
    );
}

#[tokio::test]
async fn a_silent_or_garbling_server_is_an_error() {
    // Silent: a bound UDP socket that never answers (and no TCP listener).
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let err = CaaResolver::with_server(silent.local_addr().unwrap())
        .with_timeout(Duration::from_millis(200))
        .relevant("example.test")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::CaaLookup { .. }), "{err}");

    // Garbling: answers every query with its own id and 20 bytes of junk.
    let garbler = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = garbler.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = garbler.recv_from(&mut buf).await {
            if n >= 2 {
                let mut reply = vec![buf[0], buf[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
                reply.extend_from_slice(&[0xff; 20]);
                let _ = garbler.send_to(&reply, from).await;
            }
        }
    });
    let err = CaaResolver::with_server(addr)
        .with_timeout(Duration::from_millis(200))
        .relevant("example.test")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::CaaLookup { .. }), "{err}");
    task.abort();
}

#[tokio::test]
async fn bad_names_are_refused_before_any_query() {
    let resolver = CaaResolver::with_server("127.0.0.1:9".parse().unwrap());
    for bad in ["", "a..test", "https://example.test", "a.*.test"] {
        let err = resolver.relevant(bad).await.unwrap_err();
        assert!(matches!(err, Error::CaaName { .. }), "{bad:?}: {err}");
    }
}

// SSLMate's CAA Test Suite (testdata/caatestsuite, README.md there): its
// zones served by knotd, its answers checked for every CA pinwarden knows.
// Issue 14: hickory 0.26 can't decode critical1's and critical2's 25-octet
// tag, and those cases ended in a lookup error instead of a verdict.

fn suite_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/caatestsuite")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn caatestsuite() -> DnsServer {
    DnsServer::start(&[
        Zone::new(".", ""),
        Zone::raw("caatestsuite.com", &suite_file("caatestsuite.com.zone")),
        Zone::raw(
            "ipv6only.caatestsuite.com",
            &suite_file("ipv6only.caatestsuite.com.zone"),
        ),
    ])
}

#[tokio::test]
async fn caatestsuite_gives_the_suites_answer_for_every_case_without_dnssec() {
    let dns = caatestsuite();
    let dataset = pinwarden_core::cadata::CaDataset::builtin();
    let identifiers: Vec<&str> = dataset
        .cas()
        .iter()
        .flat_map(|ca| ca.caa.iter().map(String::as_str))
        .collect();
    assert!(identifiers.len() > 5, "{identifiers:?}");

    let expected = suite_file("expected.txt");
    let cases: Vec<(&str, bool)> = expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [fqdn, "deny"] => (fqdn, false),
            [fqdn, "permit"] => (fqdn, true),
            _ => panic!("expected.txt: {l:?}"),
        })
        .collect();
    assert_eq!(cases.len(), 23, "every non-DNSSEC case");

    let resolver = CaaResolver::with_server(dns.addr);
    let mut wrong = Vec::new();
    for (fqdn, may_issue) in cases {
        let wildcard = fqdn.starts_with("*.");
        let caa = match resolver.relevant(fqdn).await {
            Ok(caa) => caa,
            Err(e) => {
                wrong.push(format!("{fqdn}: {e}"));
                continue;
            }
        };
        for id in &identifiers {
            if caa.permits(id, wildcard) != may_issue {
                wrong.push(format!(
                    "{fqdn}: {id} {} (the suite: {}); CAA at {:?} permits {}",
                    if may_issue {
                        "may not issue"
                    } else {
                        "may issue"
                    },
                    if may_issue { "permit" } else { "deny" },
                    caa.found_at,
                    caa.permitted(wildcard)
                ));
                break;
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{}\nknotd log:\n{}",
        wrong.join("\n"),
        dns.log()
    );
    // The deny cases deny because their records name another issuer, not
    // because nothing could be read.
    let deny = lookup(&dns, "big.basic.caatestsuite.com").await;
    assert_eq!(deny.records.len(), 1001);
    assert!(deny.permits("caatestsuite.com", false));
}

#[tokio::test]
async fn caatestsuite_critical1_and_critical2_read_as_kdig_reads_them() {
    // https://github.com/SSLMate/caatestsuite: `128` and `130
    // caatestsuitedummyproperty "test"`, a critical tag nobody knows.
    let dns = caatestsuite();
    for (name, flags) in [("critical1", "128"), ("critical2", "130")] {
        let fqdn = format!("{name}.basic.caatestsuite.com");
        let caa = lookup(&dns, &fqdn).await;
        assert_eq!(caa.found_at.as_deref(), Some(fqdn.as_str()));
        let record = CaaRecord {
            critical: true,
            tag: "caatestsuitedummyproperty".into(),
            value: "test".into(),
        };
        assert_eq!(caa.records, std::slice::from_ref(&record));
        assert_eq!(caa.unknown_tags(), [&record]);
        let Permitted::Nobody(why) = caa.permitted(false) else {
            panic!("{fqdn}: {:?}", caa.permitted(false))
        };
        assert!(why.contains("caatestsuitedummyproperty"), "{why}");

        // kdig, independent of hickory and of pinwarden, reads the same.
        assert_eq!(
            dns.kdig(&fqdn, "CAA"),
            [format!("{flags} {} {:?}", record.tag, record.value)]
        );
    }
}

/// Tags RFC 8659 allows but hickory can't decode (16 to 255 octets), in
/// every place a lookup meets them.
fn long_tag_zones() -> Vec<Zone> {
    let longest = "t".repeat(255);
    let many: String = (1..=40)
        .map(|i| format!("big CAA 0 issue \"ca{i:02}.issuers.example.net\"\n"))
        .collect();
    vec![
        Zone::new(".", ""),
        Zone::new(
            "longtag.test",
            &format!(
                "@ CAA 0 {longest} \"not critical\"\n\
                 @ CAA 0 contactemailaddress \"pki@longtag.test\"\n\
                 @ CAA 0 issue \"letsencrypt.org\"\n\
                 www A 192.0.2.1\n\
                 {many}big CAA 0 sixteenoctettags \"\"\n\
                 empty CAA 0 issue \"\"\n\
                 empty CAA 0 anotherlongpropertytag \"\"\n\
                 alias CNAME target.elsewhere.test.\n\
                 hyphen CAA 0 is-sue \"x\"\n\
                 short TYPE257 \\# 3 00 05 61"
            ),
        ),
        Zone::new(
            "elsewhere.test",
            "target CAA 0 issue \"pki.goog\"\ntarget CAA 128 averyverylongcriticaltag \"x\"",
        ),
    ]
}

#[tokio::test]
async fn a_long_non_critical_tag_does_not_fail_the_lookup() {
    let dns = DnsServer::start(&long_tag_zones());
    let caa = lookup(&dns, "www.longtag.test").await;
    assert_eq!(caa.found_at.as_deref(), Some("longtag.test"));
    assert_eq!(caa.records.len(), 3);
    let longest = caa.records.iter().find(|r| r.tag.len() == 255);
    assert!(
        matches!(longest, Some(r) if !r.critical && r.value == "not critical"),
        "{:?}",
        caa.records
    );
    assert_eq!(ids(&caa.permitted(false)), set(&["letsencrypt.org"]));
    assert_eq!(caa.unknown_tags().len(), 2);
    // kdig agrees on the 255-octet tag.
    let kdig = dns.kdig("longtag.test", "CAA");
    assert!(
        kdig.contains(&format!("0 {} \"not critical\"", "t".repeat(255))),
        "{kdig:?}"
    );

    // Too big for UDP as well: read over TCP.
    let big = lookup(&dns, "big.longtag.test").await;
    assert_eq!(big.records.len(), 41);
    assert!(big.permits("ca40.issuers.example.net", false));
    assert!(!big.permits("letsencrypt.org", false));

    // An empty value: `issue ""` names no CA.
    let empty = lookup(&dns, "empty.longtag.test").await;
    assert!(empty.records.iter().all(|r| r.value.is_empty()));
    assert_eq!(ids(&empty.permitted(false)), set(&["<nobody>"]));

    // Through an alias into another zone, with a critical long tag there.
    let alias = lookup(&dns, "alias.longtag.test").await;
    assert_eq!(alias.found_at.as_deref(), Some("target.elsewhere.test"));
    let Permitted::Nobody(why) = alias.permitted(false) else {
        panic!("{:?}", alias.permitted(false))
    };
    assert!(why.contains("averyverylongcriticaltag"), "{why}");
}

#[tokio::test]
async fn malformed_caa_rdata_is_an_error_naming_the_domain_and_the_cause() {
    let dns = DnsServer::start(&long_tag_zones());
    let resolver = CaaResolver::with_server(dns.addr);
    for (name, cause) in [
        // RDATA `00 05 61`: a five-octet tag, one octet left.
        ("short.longtag.test", "tag length is 5 but only 1"),
        ("hyphen.longtag.test", "other than letters and digits"),
    ] {
        let err = resolver.relevant(&format!("www.{name}")).await.unwrap_err();
        let Error::CaaLookup {
            name: asked,
            queried,
            reason,
        } = &err
        else {
            panic!("{name}: {err}")
        };
        assert_eq!(asked, &format!("www.{name}"));
        assert_eq!(queried, name);
        assert!(
            reason.contains(&format!("CAA record 1 of {name} is malformed"))
                && reason.contains(cause),
            "{reason}"
        );
        assert!(err.to_string().contains("not the same as no CAA"), "{err}");
    }
}
