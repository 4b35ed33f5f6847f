//! The rollout guard end to end: simulated clients built on pinwarden-rustls
//! fetch a manifest with a candidate rollout from pinwarden's server, connect
//! to a local TLS server, and report failures to the same server. A bad
//! candidate is halted by the guard (with a webhook); a good one is left alone.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pinwarden_core::policy::Policy;
use pinwarden_core::{PinSet, SpkiPin};
use pinwarden_manifest::{Candidate, Manifest, SigningKey, TrustSet, sign};
use pinwarden_rustls::{ManifestUpdater, PinningVerifier, Reporter, ReporterConfig, UpdaterConfig};
use pinwarden_server::telemetry::guard::{self, GuardConfig};
use pinwarden_server::{AppState, Manifests, Store, Telemetry, TelemetryConfig, router};
use pinwarden_test_support::{Ca, KeyKind, TlsServer};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::net::{TcpListener, TcpStream};

const HOST: &str = "api.pinwarden.test";
const APP: &str = "mobile";
const CLIENTS: usize = 60;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

struct World {
    url: String,
    state: AppState,
    key: SigningKey,
    roots: Arc<RootCertStore>,
    tls: TlsServer,
    serving_ca: Ca,
    other_ca: Ca,
    webhook: Arc<Mutex<Vec<serde_json::Value>>>,
    webhook_url: String,
    _data: tempfile::TempDir,
}

async fn serve(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    addr
}

async fn world() -> World {
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}/pw.db", data.path().display()))
        .await
        .unwrap();
    let key = SigningKey::generate(pinwarden_manifest::Algorithm::Ed25519).unwrap();
    let manifests = Arc::new(
        Manifests::load(
            &store,
            Some(TrustSet::new(vec![key.verifying_key()], 1).unwrap()),
        )
        .await
        .unwrap(),
    );
    let telemetry = Telemetry::start(
        store.clone(),
        TelemetryConfig {
            per_second: 10_000.0,
            burst: 10_000,
            ..TelemetryConfig::default()
        },
    )
    .unwrap();
    let state = AppState {
        policy: Arc::new(Policy::parse("").unwrap()),
        policy_name: "test".into(),
        store,
        manifests,
        admin_token: None,
        telemetry: Some(telemetry),
        ct: None,
        trusted_proxies: Arc::from([]),
    };
    // Clients seen fetching manifests reach the store (as under `serve`).
    state
        .manifests
        .spawn_sync(state.store.clone(), Duration::from_secs(5), 1_000);
    let addr = serve(router(state.clone())).await;

    let webhook: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let sink = Arc::clone(&webhook);
    let hook = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(v): axum::Json<serde_json::Value>| {
            let sink = Arc::clone(&sink);
            async move {
                sink.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let hook_addr = serve(hook).await;

    let serving_ca = Ca::root("Serving CA", KeyKind::EcdsaP256);
    let other_ca = Ca::root("Other CA", KeyKind::EcdsaP256);
    let mut roots = RootCertStore::empty();
    for ca in [&serving_ca, &other_ca] {
        roots.add(CertificateDer::from(ca.der.clone())).unwrap();
    }
    let leaf = serving_ca.leaf(&[HOST], KeyKind::EcdsaP256);
    let tls = TlsServer::start(vec![leaf.der.clone()], leaf.key_der);
    World {
        url: format!("http://{addr}"),
        state,
        key,
        roots: Arc::new(roots),
        tls,
        serving_ca,
        other_ca,
        webhook,
        webhook_url: format!("http://{hook_addr}/hook"),
        _data: data,
    }
}

impl World {
    fn set(&self, keys: &[&[u8]]) -> PinSet {
        let mut set = PinSet::enforced(
            "api",
            vec![HOST.parse().unwrap()],
            keys.iter().map(|k| SpkiPin::from_spki_der(k)),
        );
        set.report_uri = Some(format!("{}/v1/reports/{APP}", self.url));
        set
    }

    /// Publishes a manifest whose candidate pins `candidate` (signed for up
    /// to 100%) and starts its rollout at 50%.
    async fn roll_out(&self, version: u64, candidate: Vec<PinSet>) {
        let now = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap();
        let mut m = Manifest::new(APP, version, now, now + time::Duration::days(30));
        m.pin_sets = vec![self.set(&[&self.serving_ca.spki, &self.other_ca.spki])];
        m.candidate = Some(Candidate {
            pin_sets: candidate,
            percentage: 100,
        });
        let envelope = sign(&m, &[&self.key]).unwrap().to_json();
        let (store, manifests) = (&self.state.store, &self.state.manifests);
        manifests
            .upload(store, APP, envelope.as_bytes())
            .await
            .map_err(|r| r.detail)
            .unwrap();
        manifests
            .rollout(store, APP, "start", Some(50), "test")
            .await
            .map_err(|r| r.detail)
            .unwrap();
    }

    /// Each client fetches the manifest, connects once, and reports a
    /// failure if it has one. Returns how many failed.
    async fn run_clients(&self, caches: &tempfile::TempDir) -> usize {
        let mut reporters = Vec::new();
        let mut failed = 0;
        for i in 0..CLIENTS {
            let updater = ManifestUpdater::new(UpdaterConfig {
                url: format!("{}/v1/manifests/{APP}", self.url),
                app: APP.into(),
                install_id: format!("install-{i}"),
                trust: TrustSet::new(vec![self.key.verifying_key()], 1).unwrap(),
                cache_dir: caches.path().join(format!("c{i}")),
                built_in: vec![self.set(&[&self.serving_ca.spki])],
                baseline: None,
                roots: Arc::clone(&self.roots),
                refresh: Duration::from_secs(3600),
                retry: Duration::from_secs(1),
            })
            .unwrap();
            updater.refresh_now().await.unwrap();
            let reporter =
                Reporter::spawn(ReporterConfig::new(APP, "1.0", Arc::clone(&self.roots))).unwrap();
            let verifier =
                PinningVerifier::new(Arc::clone(&self.roots), provider(), updater.pins())
                    .unwrap()
                    .with_reporter(reporter.clone())
                    .with_port(self.tls.addr.port());
            let config = ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth();
            let tcp = TcpStream::connect(self.tls.addr).await.unwrap();
            let connected = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(ServerName::try_from(HOST).unwrap(), tcp)
                .await;
            if connected.is_err() {
                failed += 1;
                reporters.push(reporter);
            }
        }
        // Bounded wait for every failing client's report to be delivered.
        for _ in 0..200 {
            if reporters.iter().all(|r| r.sent() + r.failed() >= 1) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(
            reporters.iter().all(|r| r.sent() == 1),
            "every failure reached the server"
        );
        failed
    }

    async fn rollout_state(&self) -> String {
        self.state.store.rollouts().await.unwrap()[0].state.clone()
    }
}

fn guard_config(world: &World) -> GuardConfig {
    GuardConfig {
        interval: Duration::from_millis(100),
        min_clients: 10,
        threshold: 0.05,
        webhook: Some(world.webhook_url.clone()),
        // Every client of this test runs on one machine: one network
        // source, which the defaults (3 sources, 20 clients each) rightly
        // distrust. Guard integrity is tested in the server's tests.
        min_sources: 1,
        per_source: 1_000,
        ..GuardConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_candidate_is_halted_by_the_guard() {
    let w = world().await;
    // The candidate pins only the other CA: the server's chain fails it.
    w.roll_out(1, vec![w.set(&[&w.other_ca.spki])]).await;
    let caches = tempfile::tempdir().unwrap();
    let failed = w.run_clients(&caches).await;
    assert!(
        (15..=45).contains(&failed),
        "about half the clients are in the candidate: {failed}"
    );

    w.state
        .manifests
        .flush_clients(&w.state.store, 1_000)
        .await
        .unwrap();
    guard::spawn(
        w.state.store.clone(),
        Arc::clone(&w.state.manifests),
        guard_config(&w),
    );
    for _ in 0..100 {
        if !w.webhook.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(w.rollout_state().await, "halted");
    let events = w.state.store.rollout_events(APP).await.unwrap();
    assert!(
        events[0].reason.starts_with("rollout guard: Halted"),
        "{:?}",
        events[0]
    );
    let hook = w.webhook.lock().unwrap().clone();
    assert_eq!(hook.len(), 1, "{hook:?}");
    assert!(
        hook[0]["text"]
            .as_str()
            .unwrap()
            .contains("candidate failure rate 100%"),
        "{hook:?}"
    );
    assert_eq!(w.state.manifests.served(APP).unwrap().rollout, Some(0));
    // The banner is on the pages.
    let page = get_page(&w.url, "/manifests").await;
    assert!(
        page.contains("class=\"banner\"") && page.contains("rollout guard"),
        "{page}"
    );

    // With the rollout halted, every client is back on the stable pins.
    let again = tempfile::tempdir().unwrap();
    assert_eq!(w.run_clients(&again).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_candidate_is_left_alone() {
    let w = world().await;
    // The candidate adds a backup: the server's chain still passes.
    w.roll_out(1, vec![w.set(&[&w.serving_ca.spki, &w.other_ca.spki])])
        .await;
    let caches = tempfile::tempdir().unwrap();
    assert_eq!(w.run_clients(&caches).await, 0);
    w.state
        .manifests
        .flush_clients(&w.state.store, 1_000)
        .await
        .unwrap();
    let verdicts = guard::check(&w.state.store, &w.state.manifests, &guard_config(&w)).await;
    assert_eq!(verdicts.len(), 1);
    assert!(!verdicts[0].halted, "{}", verdicts[0].text);
    assert_eq!(
        verdicts[0].candidate_clients + verdicts[0].stable_clients,
        CLIENTS
    );
    assert_eq!(w.rollout_state().await, "active");
}

/// A GET over a plain socket (the test needs no HTTP client for one page).
async fn get_page(base: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}
