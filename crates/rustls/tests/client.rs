//! pinwarden-rustls against real TLS servers on 127.0.0.1: the verifier, a
//! pin rotation shipped as a signed manifest from pinwarden's own server
//! (over TLS), the cache across restarts and crashes, expiry, rollouts, and
//! failure reports reaching a collector.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pinwarden_core::policy::Policy;
use pinwarden_core::{PinSet, SpkiPin};
use pinwarden_manifest::{AfterExpiry, Candidate, Manifest, SigningKey, TrustSet, sign};
use pinwarden_rustls::{
    ManifestUpdater, PinSource, PinStore, PinningVerifier, Refreshed, Reporter, ReporterConfig,
    UpdaterConfig,
};
use pinwarden_server::{AppState, Manifests, Store, router};
use pinwarden_test_support::{Ca, KeyKind, Leaf, ReportSink, TlsListener, TlsServer};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, ServerName};
use time::OffsetDateTime;
use tokio::net::TcpStream;

const HOST: &str = "api.pinwarden.test";
const APP: &str = "mobile";

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(cas: &[&Ca]) -> Arc<RootCertStore> {
    let mut store = RootCertStore::empty();
    for ca in cas {
        store.add(CertificateDer::from(ca.der.clone())).unwrap();
    }
    Arc::new(store)
}

fn pin_set(host: &str, keys: &[&[u8]]) -> PinSet {
    PinSet::enforced(
        "api",
        vec![host.parse().unwrap()],
        keys.iter().map(|k| SpkiPin::from_spki_der(k)),
    )
}

/// A server for HOST whose leaf `ca` issued directly.
fn server(ca: &Ca) -> (TlsServer, Leaf) {
    let leaf = ca.leaf(&[HOST], KeyKind::EcdsaP256);
    let server = TlsServer::start(vec![leaf.der.clone()], leaf.key_der.clone());
    (server, leaf)
}

async fn handshake(verifier: Arc<PinningVerifier>, addr: SocketAddr) -> Result<(), String> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    connector
        .connect(ServerName::try_from(HOST).unwrap(), tcp)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn pins_are_enforced_on_the_validated_chain_only() {
    let old_ca = Ca::root("Old CA", KeyKind::EcdsaP256);
    let new_ca = Ca::root("New CA", KeyKind::EcdsaP256);
    let roots = roots(&[&old_ca, &new_ca]);
    let pins = PinStore::new(vec![pin_set(HOST, &[&old_ca.spki])]);
    let verifier =
        Arc::new(PinningVerifier::new(Arc::clone(&roots), provider(), pins.clone()).unwrap());

    let (on_old, _) = server(&old_ca);
    let (on_new, new_leaf) = server(&new_ca);
    handshake(Arc::clone(&verifier), on_old.addr).await.unwrap();
    let e = handshake(Arc::clone(&verifier), on_new.addr)
        .await
        .unwrap_err();
    assert!(e.contains("pin mismatch for api.pinwarden.test"), "{e}");
    assert!(
        e.contains(&SpkiPin::from_spki_der(&new_leaf.spki).to_string()),
        "names the keys it saw: {e}"
    );

    // The pinned CA's certificate sent along, but not on the validated path:
    // still a mismatch.
    let sneaky = TlsServer::start(
        vec![new_leaf.der.clone(), old_ca.der.clone()],
        new_leaf.key_der.clone(),
    );
    let e = handshake(Arc::clone(&verifier), sneaky.addr)
        .await
        .unwrap_err();
    assert!(e.contains("pin mismatch"), "{e}");

    // WebPKI comes first: a pinned leaf key from an untrusted CA fails.
    let stranger = Ca::root("Stranger", KeyKind::EcdsaP256);
    let (untrusted, untrusted_leaf) = server(&stranger);
    pins.replace(pinwarden_rustls::ActivePins::built_in(vec![pin_set(
        HOST,
        &[&untrusted_leaf.spki],
    )]));
    let e = handshake(Arc::clone(&verifier), untrusted.addr)
        .await
        .unwrap_err();
    assert!(
        e.contains("UnknownIssuer") || e.contains("unknown issuer"),
        "{e}"
    );

    // Unpinned hosts get plain WebPKI validation.
    pins.replace(pinwarden_rustls::ActivePins::built_in(vec![pin_set(
        "other.pinwarden.test",
        &[&old_ca.spki],
    )]));
    handshake(Arc::clone(&verifier), on_new.addr).await.unwrap();
    assert!(handshake(verifier, untrusted.addr).await.is_err());
}

/// pinwarden's server with a trusted manifest key, over TLS for `localhost`.
struct ManifestServer {
    url: String,
    state: AppState,
    _data: tempfile::TempDir,
}

async fn manifest_server(ca: &Ca, key: &SigningKey) -> ManifestServer {
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}/pw.db", data.path().display()))
        .await
        .unwrap();
    let trust = TrustSet::new(vec![key.verifying_key()], 1).unwrap();
    let manifests = Manifests::load(&store, Some(trust)).await.unwrap();
    let state = AppState {
        policy: Arc::new(Policy::parse("").unwrap()),
        policy_name: "test".into(),
        store,
        manifests: Arc::new(manifests),
        admin_token: None,
        telemetry: None,
        ct: None,
        trusted_proxies: Arc::from([]),
    };
    let leaf = ca.leaf(&["localhost"], KeyKind::EcdsaP256);
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der.clone())],
            rustls_pki_types::PrivateKeyDer::Pkcs8(leaf.key_der.clone().into()),
        )
        .unwrap();
    let listener = TlsListener::bind(Arc::new(config)).await;
    let port = axum::serve::Listener::local_addr(&listener).unwrap().port();
    let app = router(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    ManifestServer {
        url: format!("https://localhost:{port}/v1/manifests/{APP}"),
        state,
        _data: data,
    }
}

impl ManifestServer {
    async fn publish(&self, envelope: &str) {
        self.state
            .manifests
            .upload(&self.state.store, APP, envelope.as_bytes())
            .await
            .map_err(|r| r.detail)
            .unwrap();
    }
}

fn manifest(version: u64, sets: Vec<PinSet>) -> Manifest {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let mut m = Manifest::new(APP, version, now, now + time::Duration::days(30));
    m.pin_sets = sets;
    m
}

fn updater_config(
    server: &ManifestServer,
    key: &SigningKey,
    roots: Arc<RootCertStore>,
    cache: &std::path::Path,
    built_in: Vec<PinSet>,
) -> UpdaterConfig {
    UpdaterConfig {
        url: server.url.clone(),
        app: APP.into(),
        install_id: "install-1".into(),
        trust: TrustSet::new(vec![key.verifying_key()], 1).unwrap(),
        cache_dir: cache.to_owned(),
        built_in,
        baseline: None,
        roots,
        refresh: Duration::from_secs(3600),
        retry: Duration::from_secs(1),
    }
}

#[tokio::test]
async fn a_rotation_ships_as_a_signed_manifest_without_a_restart() {
    let old_ca = Ca::root("Old CA", KeyKind::EcdsaP256);
    let new_ca = Ca::root("New CA", KeyKind::EcdsaP256);
    let web_ca = Ca::root("Manifest server CA", KeyKind::EcdsaP256);
    let roots = roots(&[&old_ca, &new_ca, &web_ca]);
    let key = SigningKey::generate(pinwarden_manifest::Algorithm::Ed25519).unwrap();
    let server = manifest_server(&web_ca, &key).await;
    let cache = tempfile::tempdir().unwrap();

    let old_pins = vec![pin_set(HOST, &[&old_ca.spki])];
    server
        .publish(
            &sign(&manifest(1, old_pins.clone()), &[&key])
                .unwrap()
                .to_json(),
        )
        .await;
    let updater = Arc::new(
        ManifestUpdater::new(updater_config(
            &server,
            &key,
            Arc::clone(&roots),
            cache.path(),
            old_pins,
        ))
        .unwrap(),
    );
    assert_eq!(updater.refresh_now().await.unwrap(), Refreshed::Updated(1));
    let verifier =
        Arc::new(PinningVerifier::new(Arc::clone(&roots), provider(), updater.pins()).unwrap());

    // The server rotates to the new CA: the old manifest's pins refuse it.
    let (rotated, _) = server_for(&new_ca);
    assert!(
        handshake(Arc::clone(&verifier), rotated.addr)
            .await
            .unwrap_err()
            .contains("pin mismatch")
    );

    // Version 2 pins the new CA, keeping the old one as backup.
    server
        .publish(
            &sign(
                &manifest(2, vec![pin_set(HOST, &[&new_ca.spki, &old_ca.spki])]),
                &[&key],
            )
            .unwrap()
            .to_json(),
        )
        .await;
    assert_eq!(updater.refresh_now().await.unwrap(), Refreshed::Updated(2));
    handshake(Arc::clone(&verifier), rotated.addr)
        .await
        .unwrap();
    assert_eq!(updater.version(), Some(2));
    // Nothing new: the ETag answers 304.
    assert_eq!(updater.refresh_now().await.unwrap(), Refreshed::Unchanged);

    // A restart starts from the cache, offline: the server is not asked.
    drop(server);
    let crashed_tmp = cache
        .path()
        .join(APP)
        .join(".manifest-state.json.99999.tmp");
    std::fs::write(&crashed_tmp, b"{\"half a wri").unwrap();
    let restarted = ManifestUpdater::new(updater_config_offline(
        &key,
        Arc::clone(&roots),
        cache.path(),
    ))
    .unwrap();
    assert_eq!(
        restarted.version(),
        Some(2),
        "the cache survives restart and a crash mid-write"
    );
    let verifier =
        Arc::new(PinningVerifier::new(Arc::clone(&roots), provider(), restarted.pins()).unwrap());
    handshake(verifier, rotated.addr).await.unwrap();

    // A tampered cache is ignored: the built-in pins are the floor.
    let state_file = cache.path().join(APP).join("manifest-state.json");
    let text = std::fs::read_to_string(&state_file).unwrap();
    let mut state: serde_json::Value = serde_json::from_str(&text).unwrap();
    let envelope = state["envelope"]
        .as_str()
        .unwrap()
        .replace("\"sig\": \"", "\"sig\": \"AAAA");
    state["envelope"] = envelope.into();
    std::fs::write(&state_file, state.to_string()).unwrap();
    let floor = ManifestUpdater::new(updater_config_offline(&key, roots, cache.path())).unwrap();
    assert_eq!(floor.version(), None);
    assert_eq!(floor.pins().current().source, PinSource::BuiltIn);
}

fn server_for(ca: &Ca) -> (TlsServer, Leaf) {
    server(ca)
}

fn updater_config_offline(
    key: &SigningKey,
    roots: Arc<RootCertStore>,
    cache: &std::path::Path,
) -> UpdaterConfig {
    UpdaterConfig {
        url: "https://localhost:1/v1/manifests/mobile".into(),
        app: APP.into(),
        install_id: "install-1".into(),
        trust: TrustSet::new(vec![key.verifying_key()], 1).unwrap(),
        cache_dir: cache.to_owned(),
        built_in: vec![pin_set(HOST, &[&[1u8, 2, 3][..]])],
        baseline: None,
        roots,
        refresh: Duration::from_secs(3600),
        retry: Duration::from_secs(1),
    }
}

#[tokio::test]
async fn rollback_tampering_expiry_and_rollouts() {
    let ca = Ca::root("CA", KeyKind::EcdsaP256);
    let other = Ca::root("Other CA", KeyKind::EcdsaP256);
    let web_ca = Ca::root("Manifest server CA", KeyKind::EcdsaP256);
    let roots = roots(&[&ca, &other, &web_ca]);
    let key = SigningKey::generate(pinwarden_manifest::Algorithm::EcdsaP256).unwrap();
    let server = manifest_server(&web_ca, &key).await;
    let cache = tempfile::tempdir().unwrap();
    let built_in = vec![pin_set(HOST, &[&ca.spki])];

    let mut m = manifest(3, vec![pin_set(HOST, &[&other.spki])]);
    m.after_expiry = AfterExpiry::SuspendAndReport;
    m.candidate = Some(Candidate {
        pin_sets: vec![pin_set(HOST, &[&ca.spki, &other.spki])],
        percentage: 100,
    });
    server.publish(&sign(&m, &[&key]).unwrap().to_json()).await;
    let updater = ManifestUpdater::new(updater_config(
        &server,
        &key,
        Arc::clone(&roots),
        cache.path(),
        built_in.clone(),
    ))
    .unwrap();
    updater.refresh_now().await.unwrap();
    // Signed for 100%, but the server hasn't started the rollout: stable pins.
    let active = updater.pins().current();
    assert_eq!(
        active.source,
        PinSource::Manifest {
            version: 3,
            candidate: false,
            expired: false
        }
    );
    server
        .state
        .manifests
        .rollout(&server.state.store, APP, "start", Some(100), "test")
        .await
        .map_err(|r| r.detail)
        .unwrap();
    updater.refresh_now().await.unwrap();
    assert_eq!(
        updater.pins().current().source,
        PinSource::Manifest {
            version: 3,
            candidate: true,
            expired: false
        }
    );

    // Expired: suspend-and-report keeps the sets but stops enforcing them.
    updater.reapply(OffsetDateTime::now_utc() + time::Duration::days(31));
    let expired = updater.pins().current();
    assert!(matches!(
        expired.source,
        PinSource::Manifest { expired: true, .. }
    ));
    assert!(expired.sets.iter().all(|s| !s.enforce));
    updater.reapply(OffsetDateTime::now_utc());
    assert!(updater.pins().current().sets.iter().all(|s| s.enforce));

    // A different trust set refuses the server's manifest and keeps the pins.
    let stranger = SigningKey::generate(pinwarden_manifest::Algorithm::Ed25519).unwrap();
    let wrong_cache = tempfile::tempdir().unwrap();
    let mut wrong = updater_config(
        &server,
        &stranger,
        Arc::clone(&roots),
        wrong_cache.path(),
        built_in.clone(),
    );
    wrong.trust = TrustSet::new(vec![stranger.verifying_key()], 1).unwrap();
    let refusing = ManifestUpdater::new(wrong).unwrap();
    let e = refusing.refresh_now().await.unwrap_err().to_string();
    assert!(e.contains("refused") && e.contains("not trusted"), "{e}");
    assert_eq!(refusing.pins().current().source, PinSource::BuiltIn);

    // Expired fall-back-to-built-in.
    let mut m4 = manifest(4, vec![pin_set(HOST, &[&other.spki])]);
    m4.after_expiry = AfterExpiry::FallBackToBuiltIn;
    server.publish(&sign(&m4, &[&key]).unwrap().to_json()).await;
    updater.refresh_now().await.unwrap();
    updater.reapply(OffsetDateTime::now_utc() + time::Duration::days(31));
    let floor = updater.pins().current();
    assert_eq!(floor.source, PinSource::BuiltIn);
    assert_eq!(floor.sets, built_in);
}

#[tokio::test]
async fn failures_are_reported_once_and_report_only_lets_the_connection_through() {
    let ca = Ca::root("CA", KeyKind::EcdsaP256);
    let other = Ca::root("Other CA", KeyKind::EcdsaP256);
    let roots = roots(&[&ca, &other]);

    // A collector for reports, on plain HTTP.
    let sink = ReportSink::start().await;

    let mut config = ReporterConfig::new("com.example.mobile", "5.1.0", Arc::clone(&roots));
    config.default_report_uri = Some(sink.uri());
    let reporter = Reporter::spawn(config).unwrap();
    let pins = PinStore::new(vec![pin_set(HOST, &[&ca.spki])]);
    let (wrong, wrong_leaf) = server(&other);

    let enforcing = Arc::new(
        PinningVerifier::new(Arc::clone(&roots), provider(), pins.clone())
            .unwrap()
            .with_reporter(reporter.clone())
            .with_port(wrong.addr.port()),
    );
    for _ in 0..3 {
        assert!(handshake(Arc::clone(&enforcing), wrong.addr).await.is_err());
    }
    let report_only = Arc::new(
        pinwarden_rustls::danger::report_only(
            Arc::clone(&roots),
            provider(),
            pins,
            reporter.clone(),
        )
        .unwrap(),
    );
    handshake(report_only, wrong.addr).await.unwrap();

    // Bounded wait for the background sender.
    for _ in 0..100 {
        if reporter.sent() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        reporter.sent(),
        2,
        "one enforced and one report-only failure"
    );
    assert_eq!(
        reporter.deduplicated(),
        2,
        "the same failure again is not resent"
    );
    let reports = sink.received();
    let report = &reports[0];
    assert_eq!(report["app-bundle-id"], "com.example.mobile");
    assert_eq!(report["hostname"], HOST);
    assert_eq!(report["noted-hostname"], HOST);
    assert_eq!(report["port"], wrong.addr.port());
    assert_eq!(report["validation-result"], 1);
    assert_eq!(
        report["known-pins"][0],
        format!(
            "pin-sha256=\"{}\"",
            SpkiPin::from_spki_der(&ca.spki).to_base64()
        )
    );
    let chain = report["validated-certificate-chain"][0].as_str().unwrap();
    assert!(chain.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(chain.contains(&wrong_leaf.pem.lines().nth(1).unwrap().to_owned()));
    let enforced: Vec<bool> = reports
        .iter()
        .map(|r| r["enforce-pinning"].as_bool().unwrap())
        .collect();
    assert!(
        enforced.contains(&true) && enforced.contains(&false),
        "{enforced:?}"
    );
}
