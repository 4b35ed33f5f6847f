//! pinwarden-rustls against a hostile network and a hostile disk, with
//! real TLS servers on 127.0.0.1: racing refreshes, a fresh install served
//! old manifests, huge bodies, cross-origin redirects, links and edits in the
//! cache, two apps in one directory, overlapping pin sets, resumption after
//! a pin change, and expired pin sets. Each asserts the refusal.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pinwarden_core::{PinSet, SpkiPin};
use pinwarden_manifest::{AfterExpiry, Manifest, SigningKey, TrustSet, sign};
use pinwarden_rustls::{
    ActivePins, Baseline, ManifestUpdater, PinSource, PinStore, PinningVerifier, Reporter,
    ReporterConfig, UpdaterConfig, UpdaterError,
};
use pinwarden_test_support::{Ca, KeyKind, ReportSink, TlsListener};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use time::OffsetDateTime;
use tokio::net::TcpStream;

const HOST: &str = "api.example.test";
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

fn set(id: &str, pattern: &str, keys: &[&[u8]], enforce: bool) -> PinSet {
    let mut s = PinSet::enforced(
        id,
        vec![pattern.parse().unwrap()],
        keys.iter().map(|k| SpkiPin::from_spki_der(k)),
    );
    s.enforce = enforce;
    s
}

/// An HTTPS server for `localhost` (issued by `ca`) running `app`.
async fn https(ca: &Ca, app: axum::Router) -> SocketAddr {
    let leaf = ca.leaf(&["localhost"], KeyKind::EcdsaP256);
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der.clone())],
            PrivateKeyDer::Pkcs8(leaf.key_der.clone().into()),
        )
        .unwrap();
    let listener = TlsListener::bind(Arc::new(config)).await;
    let addr = axum::serve::Listener::local_addr(&listener).unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

struct Fixture {
    /// Issues the manifest and report servers' certificates.
    web: Ca,
    /// Issues the pinned servers' certificates.
    serving: Ca,
    roots: Arc<RootCertStore>,
    key: SigningKey,
    cache: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let web = Ca::root("Web CA", KeyKind::EcdsaP256);
        let serving = Ca::root("Serving CA", KeyKind::EcdsaP256);
        Self {
            roots: roots(&[&web, &serving]),
            web,
            serving,
            key: SigningKey::generate(pinwarden_manifest::Algorithm::Ed25519).unwrap(),
            cache: tempfile::tempdir().unwrap(),
        }
    }

    fn manifest(&self, version: u64, issued_days_ago: i64, sets: Vec<PinSet>) -> String {
        let issued = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
            - time::Duration::days(issued_days_ago);
        let mut m = Manifest::new(APP, version, issued, issued + time::Duration::days(30));
        m.pin_sets = sets;
        sign(&m, &[&self.key]).unwrap().to_json()
    }

    fn config(
        &self,
        url: String,
        built_in: Vec<PinSet>,
        baseline: Option<Baseline>,
    ) -> UpdaterConfig {
        UpdaterConfig {
            url,
            app: APP.into(),
            install_id: "install-1".into(),
            trust: TrustSet::new(vec![self.key.verifying_key()], 1).unwrap(),
            cache_dir: self.cache.path().to_owned(),
            built_in,
            baseline,
            roots: Arc::clone(&self.roots),
            refresh: Duration::from_secs(3600),
            retry: Duration::from_secs(1),
        }
    }
}

/// Answers GET /m with `answers[n]` for the n-th request (the last one
/// after that), each after its delay.
fn scripted(answers: Vec<(Duration, String)>) -> axum::Router {
    let count = Arc::new(AtomicUsize::new(0));
    let answers = Arc::new(answers);
    axum::Router::new().route(
        "/m",
        axum::routing::get(move || {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let answers = Arc::clone(&answers);
            async move {
                let (delay, body) = answers[n.min(answers.len() - 1)].clone();
                tokio::time::sleep(delay).await;
                body
            }
        }),
    )
}

#[tokio::test]
async fn racing_refreshes_never_leave_an_older_manifest_in_force() {
    let f = Fixture::new();
    let sets = vec![set("api", HOST, &[&f.serving.spki], true)];
    // The first request is answered slowly with v2, the second at once
    // with v3: before, v3 landed first and v2 overwrote it.
    let addr = https(
        &f.web,
        scripted(vec![
            (Duration::from_millis(400), f.manifest(2, 1, sets.clone())),
            (Duration::ZERO, f.manifest(3, 0, sets.clone())),
        ]),
    )
    .await;
    let url = format!("https://localhost:{}/m", addr.port());
    let updater = ManifestUpdater::new(f.config(url.clone(), Vec::new(), None)).unwrap();
    let (a, b) = tokio::join!(updater.refresh_now(), updater.refresh_now());
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    assert_eq!(updater.version(), Some(3));
    // And on disk: a restart, offline, starts from v3.
    let offline = f.config("https://localhost:1/m".into(), Vec::new(), None);
    assert_eq!(ManifestUpdater::new(offline).unwrap().version(), Some(3));

    // The other way round (v3 first, then a stale v2): the v2 is refused.
    let f = Fixture::new();
    let addr = https(
        &f.web,
        scripted(vec![
            (Duration::ZERO, f.manifest(3, 0, sets.clone())),
            (Duration::ZERO, f.manifest(2, 1, sets)),
        ]),
    )
    .await;
    let url = format!("https://localhost:{}/m", addr.port());
    let updater = ManifestUpdater::new(f.config(url, Vec::new(), None)).unwrap();
    let (a, b) = tokio::join!(updater.refresh_now(), updater.refresh_now());
    assert!(
        a.is_ok() != b.is_ok(),
        "one succeeds, the stale one is refused: {a:?} {b:?}"
    );
    assert_eq!(updater.version(), Some(3));
}

#[tokio::test]
async fn a_fresh_install_takes_nothing_older_than_its_built_in_pins() {
    let f = Fixture::new();
    let built_in = vec![set("api", HOST, &[&f.serving.spki], true)];
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let baseline = Baseline {
        version: 5,
        issued_at: now - time::Duration::days(2),
    };
    // An old v1, validly signed, and an expired one with suspend-and-report:
    // whoever answers the (unpinned) manifest URL may serve either.
    let old = f.manifest(1, 10, Vec::new());
    let issued = now - time::Duration::days(60);
    let mut expired = Manifest::new(APP, 2, issued, issued + time::Duration::days(30));
    expired.after_expiry = AfterExpiry::SuspendAndReport;
    let expired = sign(&expired, &[&f.key]).unwrap().to_json();
    for envelope in [old, expired] {
        let addr = https(&f.web, scripted(vec![(Duration::ZERO, envelope)])).await;
        let url = format!("https://localhost:{}/m", addr.port());
        let updater =
            ManifestUpdater::new(f.config(url, built_in.clone(), Some(baseline))).unwrap();
        let e = updater.refresh_now().await.unwrap_err();
        assert!(matches!(e, UpdaterError::OlderThanBuiltIn { .. }), "{e}");
        let active = updater.pins().current();
        assert_eq!(active.source, PinSource::BuiltIn);
        assert!(active.for_host(HOST).unwrap().enforce);
    }

    // A newer manifest that has expired with suspend-and-report never
    // weakens the built-in pins: they still enforce for the host.
    let issued = now - time::Duration::days(1);
    let mut newer = Manifest::new(APP, 6, issued, issued + time::Duration::days(30));
    newer.after_expiry = AfterExpiry::SuspendAndReport;
    newer.pin_sets = vec![set("wide", "**.example.test", &[&f.web.spki], true)];
    let newer = sign(&newer, &[&f.key]).unwrap().to_json();
    let addr = https(&f.web, scripted(vec![(Duration::ZERO, newer)])).await;
    let url = format!("https://localhost:{}/m", addr.port());
    let cache = tempfile::tempdir().unwrap();
    let mut config = f.config(url, built_in.clone(), Some(baseline));
    config.cache_dir = cache.path().to_owned();
    let updater = ManifestUpdater::new(config).unwrap();
    updater.refresh_now().await.unwrap();
    updater.reapply(OffsetDateTime::now_utc() + time::Duration::days(60));
    let active = updater.pins().current();
    let applied = active.for_host(HOST).unwrap();
    assert_eq!(applied.id, "api", "the built-in set, not the suspended one");
    assert!(applied.enforce);
    // Elsewhere the expired manifest's set reports without enforcing.
    assert!(!active.for_host("www.example.test").unwrap().enforce);
}

#[tokio::test]
async fn a_huge_manifest_answer_is_refused_without_being_held() {
    use futures_util::StreamExt as _;
    let f = Fixture::new();
    // 256 MiB, streamed with no declared length, then one declared.
    let streamed = axum::Router::new().route(
        "/m",
        axum::routing::get(|| async {
            let chunk = bytes_of(1 << 16);
            let stream =
                futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()))
                    .take(4096);
            axum::body::Body::from_stream(stream)
        }),
    );
    // A 256 MiB length declared, then a body that never ends.
    let declared = axum::Router::new().route(
        "/m",
        axum::routing::get(|| async {
            let stream =
                futures_util::stream::once(async { Ok::<_, std::io::Error>(bytes_of(16)) })
                    .chain(futures_util::stream::pending());
            (
                [("content-length", (256u64 << 20).to_string())],
                axum::body::Body::from_stream(stream),
            )
        }),
    );
    for app in [streamed, declared] {
        let addr = https(&f.web, app).await;
        let url = format!("https://localhost:{}/m", addr.port());
        let updater = ManifestUpdater::new(f.config(url, Vec::new(), None)).unwrap();
        let before = peak_rss_kib();
        let e = updater.refresh_now().await.unwrap_err().to_string();
        assert!(e.contains("limit"), "{e}");
        let grew = peak_rss_kib().saturating_sub(before);
        assert!(grew < 32 * 1024, "peak memory grew by {grew} KiB");
    }
}

fn bytes_of(n: usize) -> Vec<u8> {
    vec![b' '; n]
}

/// The process's peak resident memory (VmHWM), KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn redirects_stay_on_the_origin_and_reports_are_never_reposted() {
    let f = Fixture::new();
    // The other origin records whatever reaches it.
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&seen);
    let elsewhere = https(
        &f.web,
        axum::Router::new().fallback(move |req: axum::extract::Request| {
            let log = Arc::clone(&log);
            async move {
                let headers: Vec<String> = req
                    .headers()
                    .keys()
                    .map(|k| k.as_str().to_owned())
                    .collect();
                log.lock()
                    .unwrap()
                    .push(format!("{} {} {headers:?}", req.method(), req.uri()));
                "nothing here"
            }
        }),
    )
    .await;
    let away = format!("https://localhost:{}/m", elsewhere.port());
    let envelope = f.manifest(1, 0, Vec::new());
    let app = axum::Router::new()
        .route(
            "/away",
            axum::routing::get(move || {
                let to = away.clone();
                async move { axum::response::Redirect::temporary(&to) }
            }),
        )
        .route(
            "/here",
            axum::routing::get(|| async { axum::response::Redirect::temporary("/m") }),
        )
        .route(
            "/m",
            axum::routing::get(move || {
                let e = envelope.clone();
                async move { e }
            }),
        );
    let origin = https(&f.web, app).await;
    let updater = ManifestUpdater::new(f.config(
        format!("https://localhost:{}/away", origin.port()),
        Vec::new(),
        None,
    ))
    .unwrap();
    let e = updater.refresh_now().await.unwrap_err().to_string();
    assert!(e.contains("another origin"), "{e}");
    // Within the origin, a redirect is followed.
    let same = ManifestUpdater::new(f.config(
        format!("https://localhost:{}/here", origin.port()),
        Vec::new(),
        None,
    ))
    .unwrap();
    same.refresh_now().await.unwrap();
    assert_eq!(same.version(), Some(1));

    // A collector that answers 307 to the other origin: the report body is
    // not re-posted there.
    let away = format!("https://localhost:{}/collect", elsewhere.port());
    let collector = https(
        &f.web,
        axum::Router::new().route(
            "/report",
            axum::routing::post(move || {
                let to = away.clone();
                async move { axum::response::Redirect::temporary(&to) }
            }),
        ),
    )
    .await;
    let mut config = ReporterConfig::new("com.example", "1.0", Arc::clone(&f.roots));
    config.default_report_uri = Some(format!("https://localhost:{}/report", collector.port()));
    let reporter = Reporter::spawn(config).unwrap();
    let pins = PinStore::new(vec![set("api", "localhost", &[&[9u8; 32][..]], true)]);
    let verifier = Arc::new(
        PinningVerifier::new(Arc::clone(&f.roots), provider(), pins)
            .unwrap()
            .with_reporter(reporter.clone()),
    );
    assert!(handshake(verifier, origin, "localhost").await.is_err());
    for _ in 0..100 {
        if reporter.failed() + reporter.sent() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(reporter.failed(), 1, "a 307 is not a delivery");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        seen.lock().unwrap().is_empty(),
        "the other origin was reached: {:?}",
        seen.lock().unwrap()
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_cache_is_private_refuses_links_and_never_moves_back() {
    use std::os::unix::fs::PermissionsExt as _;
    let f = Fixture::new();
    let sets = vec![set("api", HOST, &[&f.serving.spki], true)];
    let addr = https(
        &f.web,
        scripted(vec![
            (Duration::ZERO, f.manifest(3, 0, sets.clone())),
            (Duration::ZERO, f.manifest(2, 1, sets.clone())),
        ]),
    )
    .await;
    let url = format!("https://localhost:{}/m", addr.port());

    // The app's directory is created private, and tightened if it is not.
    let dir = f.cache.path().join(APP);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A link planted at the old, predictable temporary name is not followed.
    let victim = f.cache.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    for pid in [std::process::id(), 1] {
        let _ = std::os::unix::fs::symlink(
            &victim,
            dir.join(format!(".manifest-state.json.{pid}.tmp")),
        );
    }
    let updater = ManifestUpdater::new(f.config(url.clone(), Vec::new(), None)).unwrap();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    updater.refresh_now().await.unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    let state = dir.join("manifest-state.json");
    assert_eq!(
        std::fs::metadata(&state).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // A tampered envelope is reported, and its recorded version still
    // bounds what comes next: the server's stale v2 is refused.
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let mut envelope: serde_json::Value =
        serde_json::from_str(doc["envelope"].as_str().unwrap()).unwrap();
    let sig = envelope["signatures"][0]["sig"]
        .as_str()
        .unwrap()
        .to_owned();
    envelope["signatures"][0]["sig"] = format!("AAAA{}", &sig[4..]).into();
    doc["envelope"] = envelope.to_string().into();
    std::fs::write(&state, doc.to_string()).unwrap();
    let restarted = ManifestUpdater::new(f.config(url.clone(), Vec::new(), None)).unwrap();
    assert!(restarted.cache_problem().unwrap().contains("refused"));
    assert_eq!(restarted.version(), None);
    let e = restarted.refresh_now().await.unwrap_err().to_string();
    assert!(e.contains("refused"), "v2 after v3: {e}");

    // The state file replaced by a link: reported, not read.
    std::fs::remove_file(&state).unwrap();
    std::os::unix::fs::symlink(&victim, &state).unwrap();
    let linked = ManifestUpdater::new(f.config(url.clone(), Vec::new(), None)).unwrap();
    assert!(
        linked
            .cache_problem()
            .unwrap()
            .contains("not a regular file")
    );

    // The app's directory itself a link: refused.
    let elsewhere = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), cache.path().join(APP)).unwrap();
    let mut config = f.config(url, Vec::new(), None);
    config.cache_dir = cache.path().to_owned();
    let e = ManifestUpdater::new(config).unwrap_err();
    assert!(matches!(e, UpdaterError::CacheDir { .. }), "{e}");
}

#[tokio::test]
async fn apps_and_updaters_sharing_a_directory_keep_apart() {
    let f = Fixture::new();
    let sets = vec![set("api", HOST, &[&f.serving.spki], true)];
    let addr = https(
        &f.web,
        scripted(vec![(Duration::ZERO, f.manifest(4, 0, sets))]),
    )
    .await;
    let url = format!("https://localhost:{}/m", addr.port());
    // Two updaters of one app in one directory, refreshing at once, many
    // times: every refresh succeeds (no shared temporary name).
    let a = ManifestUpdater::new(f.config(url.clone(), Vec::new(), None)).unwrap();
    let b = ManifestUpdater::new(f.config(url.clone(), Vec::new(), None)).unwrap();
    for _ in 0..20 {
        let (x, y) = tokio::join!(a.refresh_now(), b.refresh_now());
        assert!(x.is_ok() && y.is_ok(), "{x:?} {y:?}");
    }
    // Another app in the same directory has its own state.
    let mut other = f.config("https://localhost:1/m".into(), Vec::new(), None);
    other.app = "desktop".into();
    assert_eq!(ManifestUpdater::new(other).unwrap().version(), None);
    assert!(
        f.cache
            .path()
            .join(APP)
            .join("manifest-state.json")
            .exists()
    );
    assert!(f.cache.path().join("desktop").is_dir());
}

async fn handshake_with(
    config: Arc<ClientConfig>,
    addr: SocketAddr,
    name: &str,
) -> Result<Option<rustls::HandshakeKind>, String> {
    let connector = tokio_rustls::TlsConnector::from(config);
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let mut tls = connector
        .connect(ServerName::try_from(name.to_owned()).unwrap(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    let kind = tls.get_ref().1.handshake_kind();
    // Read the server's session tickets (TLS 1.3 sends them after the
    // handshake), so a resumption is possible next time.
    use tokio::io::AsyncWriteExt as _;
    let _ = tls.write_all(b"GET / HTTP/1.0\r\n\r\n").await;
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(
        Duration::from_millis(200),
        tokio::io::AsyncReadExt::read_to_end(&mut tls, &mut sink),
    )
    .await;
    Ok(kind)
}

async fn handshake(
    verifier: Arc<PinningVerifier>,
    addr: SocketAddr,
    name: &str,
) -> Result<Option<rustls::HandshakeKind>, String> {
    handshake_with(
        verifier.client_config(provider()).map(Arc::new).unwrap(),
        addr,
        name,
    )
    .await
}

#[tokio::test]
async fn overlapping_sets_resolve_to_the_most_specific_and_never_weaken_enforcement() {
    let f = Fixture::new();
    let leaf = f.serving.leaf(&[HOST], KeyKind::EcdsaP256);
    let server =
        pinwarden_test_support::TlsServer::start(vec![leaf.der.clone()], leaf.key_der.clone());
    let wrong: &[u8] = &[7u8; 40];
    // A broad report-only set and a narrow enforced one, in both orders:
    // the host's own (enforced) set applies.
    for sets in [
        vec![
            set("wide", "**.example.test", &[wrong], false),
            set("api", HOST, &[wrong], true),
        ],
        vec![
            set("api", HOST, &[wrong], true),
            set("wide", "**.example.test", &[wrong], false),
        ],
    ] {
        let pins = PinStore::new(sets);
        let verifier =
            Arc::new(PinningVerifier::new(Arc::clone(&f.roots), provider(), pins).unwrap());
        let e = handshake(verifier, server.addr, HOST).await.unwrap_err();
        assert!(e.contains("pin mismatch"), "{e}");
    }
    // Two sets at one pattern, one enforced: enforcement wins.
    let pins = PinStore::new(vec![
        set("a", HOST, &[wrong], false),
        set("b", HOST, &[wrong], true),
    ]);
    let active = pins.current();
    assert!(active.for_host(HOST).unwrap().enforce);
    // A broad set's pins don't override the narrow set's: the narrow set
    // pins the serving CA and the connection goes through.
    let pins = PinStore::new(vec![
        set("wide", "**.example.test", &[wrong], true),
        set("api", HOST, &[&f.serving.spki], true),
    ]);
    let verifier = Arc::new(PinningVerifier::new(Arc::clone(&f.roots), provider(), pins).unwrap());
    handshake(verifier, server.addr, HOST).await.unwrap();
}

#[tokio::test]
async fn a_manifest_that_omits_a_built_in_host_leaves_it_pinned() {
    let f = Fixture::new();
    let built_in = vec![set("api", HOST, &[&[7u8; 40][..]], true)];
    let elsewhere = vec![set("www", "www.example.test", &[&f.serving.spki], true)];
    let addr = https(
        &f.web,
        scripted(vec![(Duration::ZERO, f.manifest(1, 0, elsewhere))]),
    )
    .await;
    let url = format!("https://localhost:{}/m", addr.port());
    let updater = ManifestUpdater::new(f.config(url, built_in, None)).unwrap();
    updater.refresh_now().await.unwrap();
    let active = updater.pins().current();
    assert_eq!(active.for_host(HOST).unwrap().id, "api");
    assert_eq!(active.for_host("www.example.test").unwrap().id, "www");
}

#[tokio::test]
async fn resumption_after_a_pin_change_meets_the_new_pins() {
    let f = Fixture::new();
    // rustls' server keeps sessions (TLS 1.2 ids, TLS 1.3 tickets) by
    // default; the client is limited to one version at a time.
    let leaf = f.serving.leaf(&[HOST], KeyKind::EcdsaP256);
    let server =
        pinwarden_test_support::TlsServer::start(vec![leaf.der.clone()], leaf.key_der.clone());
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let pins = PinStore::new(vec![set("api", HOST, &[&f.serving.spki], true)]);
        let verifier =
            Arc::new(PinningVerifier::new(Arc::clone(&f.roots), provider(), pins.clone()).unwrap());
        let config = Arc::clone(&verifier).client_config(provider()).unwrap();
        assert!(!config.enable_early_data, "no 0-RTT while pinning");
        // The same configuration, limited to one version.
        let mut limited = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[version])
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(
                Arc::clone(&verifier) as Arc<dyn rustls::client::danger::ServerCertVerifier>
            )
            .with_no_client_auth();
        limited.resumption = config.resumption.clone();
        limited.enable_early_data = false;
        let limited = Arc::new(limited);
        handshake_with(Arc::clone(&limited), server.addr, HOST)
            .await
            .unwrap();
        // The second connection resumes: the verifier isn't asked again.
        let kind = handshake_with(Arc::clone(&limited), server.addr, HOST)
            .await
            .unwrap();
        assert_eq!(kind, Some(rustls::HandshakeKind::Resumed), "{version:?}");
        // The pins change: the next connection must not resume past them.
        pins.replace(ActivePins::built_in(vec![set(
            "api",
            HOST,
            &[&[7u8; 40][..]],
            true,
        )]));
        let e = handshake_with(limited, server.addr, HOST)
            .await
            .unwrap_err();
        assert!(e.contains("pin mismatch"), "{version:?}: {e}");
    }
}

#[tokio::test]
async fn an_expired_pin_set_reports_instead_of_enforcing() {
    let f = Fixture::new();
    let leaf = f.serving.leaf(&[HOST], KeyKind::EcdsaP256);
    let server =
        pinwarden_test_support::TlsServer::start(vec![leaf.der.clone()], leaf.key_der.clone());
    let mut expired = set("api", HOST, &[&[7u8; 40][..]], true);
    expired.expires = Some(OffsetDateTime::now_utc().date() - time::Duration::days(1));
    let mut config = ReporterConfig::new("com.example", "1.0", Arc::clone(&f.roots));
    config.default_report_uri = Some("https://localhost:1/report".into());
    let reporter = Reporter::spawn(config).unwrap();
    let verifier = Arc::new(
        PinningVerifier::new(
            Arc::clone(&f.roots),
            provider(),
            PinStore::new(vec![expired]),
        )
        .unwrap()
        .with_reporter(reporter.clone()),
    );
    handshake(verifier, server.addr, HOST).await.unwrap();
    for _ in 0..100 {
        if reporter.failed() + reporter.sent() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        reporter.failed() + reporter.sent(),
        1,
        "the mismatch was reported"
    );
}

#[tokio::test]
async fn reports_name_the_pattern_that_matched_and_use_the_manifests_uri() {
    let f = Fixture::new();
    let leaf = f.serving.leaf(&[HOST], KeyKind::EcdsaP256);
    let server =
        pinwarden_test_support::TlsServer::start(vec![leaf.der.clone()], leaf.key_der.clone());
    // A collector on plain HTTP.
    let sink = ReportSink::start().await;
    // No report URI on the set, none by default: the manifest's applies.
    let reporter = Reporter::spawn(ReporterConfig::new(
        "com.example",
        "1.0",
        Arc::clone(&f.roots),
    ))
    .unwrap();
    let pins = PinStore::new(Vec::new());
    pins.replace(ActivePins {
        report_uri: Some(sink.uri()),
        ..ActivePins::built_in(vec![set(
            "wide",
            "**.example.test",
            &[&[7u8; 40][..]],
            true,
        )])
    });
    let verifier = Arc::new(
        PinningVerifier::new(Arc::clone(&f.roots), provider(), pins)
            .unwrap()
            .with_reporter(reporter.clone()),
    );
    assert!(handshake(verifier, server.addr, HOST).await.is_err());
    for _ in 0..100 {
        if !sink.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let reports = sink.received();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0]["hostname"], HOST);
    assert_eq!(reports[0]["noted-hostname"], "**.example.test");
}

#[tokio::test]
async fn another_updater_never_moves_the_cache_back() {
    let f = Fixture::new();
    let sets = vec![set("api", HOST, &[&f.serving.spki], true)];
    // The first answer is v5, a stale one after it v4.
    let addr = https(
        &f.web,
        scripted(vec![
            (Duration::ZERO, f.manifest(5, 0, sets.clone())),
            (Duration::ZERO, f.manifest(4, 1, sets)),
        ]),
    )
    .await;
    let url = format!("https://localhost:{}/m", addr.port());
    // Two updaters of one app on one cache (two processes, say), both
    // started before either fetched.
    let first = ManifestUpdater::new(f.config(url.clone(), Vec::new(), None)).unwrap();
    let second = ManifestUpdater::new(f.config(url, Vec::new(), None)).unwrap();
    assert_eq!(
        first.refresh_now().await.unwrap(),
        pinwarden_rustls::Refreshed::Updated(5)
    );
    // The second verifies the stale v4 on its own, but the cache holds v5.
    second.refresh_now().await.unwrap();
    let offline = f.config("https://localhost:1/m".into(), Vec::new(), None);
    assert_eq!(ManifestUpdater::new(offline).unwrap().version(), Some(5));
}
