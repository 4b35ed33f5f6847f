//! The chain and the two verifiers both benchmarks compare.

use std::sync::Arc;

use pinwarden_core::{PinSet, SpkiPin};
use pinwarden_rustls::{PinStore, PinningVerifier};
use pinwarden_test_support::Pki;
use rustls::client::WebPkiServerVerifier;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// One chain, one clock, two verifiers with the same roots.
pub(crate) struct Fixture {
    pub(crate) leaf: CertificateDer<'static>,
    pub(crate) intermediates: [CertificateDer<'static>; 1],
    pub(crate) name: ServerName<'static>,
    pub(crate) now: UnixTime,
    pub(crate) plain: Arc<WebPkiServerVerifier>,
    pub(crate) pinning: PinningVerifier,
}

/// test-support's ECDSA P-256 root → intermediate → leaf for
/// `api.pinwarden.test`, the root trusted. The pin set holds a pin that
/// matches nothing and then the root's, so the check hashes every key of the
/// validated path before it matches: the slowest match.
pub(crate) fn fixture() -> Fixture {
    let pki = Pki::new(&["api.pinwarden.test"]);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(pki.root.der.clone()))
        .expect("the test root is a valid anchor");
    let roots = Arc::new(roots);
    let set = PinSet::enforced(
        "api",
        vec!["api.pinwarden.test".parse().expect("a valid pattern")],
        [
            SpkiPin::from_digest([7; 32]),
            SpkiPin::from_spki_der(&pki.root.spki),
        ],
    );
    let pinning = PinningVerifier::new(
        Arc::clone(&roots),
        Arc::clone(&provider),
        PinStore::new(vec![set]),
    )
    .expect("ring's algorithms build a verifier");
    let plain = WebPkiServerVerifier::builder_with_provider(roots, provider)
        .build()
        .expect("ring's algorithms build a verifier");
    Fixture {
        leaf: CertificateDer::from(pki.leaf.der.clone()),
        intermediates: [CertificateDer::from(pki.intermediate.der)],
        name: ServerName::try_from("api.pinwarden.test").expect("a valid name"),
        now: UnixTime::now(),
        plain,
        pinning,
    }
}
