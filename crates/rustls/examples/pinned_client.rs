//! The whole loop in one program: built-in pins as the floor, a signed
//! manifest fetched and refreshed in the background, a pinned HTTPS request,
//! and pin-failure reports.
//!
//! ```text
//! pinwarden manifest keygen --out signer
//! pinwarden manifest sign --key signer.key --policy pinwarden.toml --app mobile --version 1 -o v1.json
//! pinwarden serve --manifest-trust signer.pub --admin-token-file token &
//! curl -X PUT -H "authorization: Bearer $(cat token)" --data-binary @v1.json \
//!      http://127.0.0.1:8080/v1/admin/manifests/mobile
//! cargo run -p pinwarden-rustls --example pinned_client -- \
//!      http://127.0.0.1:8080/v1/manifests/mobile signer.pub mobile https://api.example.com/
//! ```

use std::sync::Arc;
use std::time::Duration;

use pinwarden_manifest::{TrustSet, VerifyingKey};
use pinwarden_rustls::{ManifestUpdater, PinningVerifier, Reporter, ReporterConfig, UpdaterConfig};

/// `$XDG_CACHE_HOME/pinwarden`, else `$HOME/.cache/pinwarden`.
fn user_cache_dir() -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(dir) if !dir.is_empty() => std::path::PathBuf::from(dir),
        _ => std::path::PathBuf::from(std::env::var_os("HOME").ok_or("HOME is not set")?)
            .join(".cache"),
    };
    Ok(base.join("pinwarden"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [manifest_url, trust_key, app, target] = args.as_slice() else {
        eprintln!("usage: pinned_client MANIFEST_URL TRUSTED_KEY.pub APP https://HOST/PATH");
        std::process::exit(2);
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = Arc::new(rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    });

    // The keys manifests must be signed with are compiled into a real app;
    // here they come from a file.
    let key = VerifyingKey::from_text(&std::fs::read_to_string(trust_key)?)?;
    let updater = Arc::new(ManifestUpdater::new(UpdaterConfig {
        url: manifest_url.clone(),
        app: app.clone(),
        install_id: "example-install".into(),
        trust: TrustSet::new(vec![key], 1)?,
        // The user's own cache directory, never the shared temporary one:
        // the updater keeps a private (0700) directory per app under it.
        cache_dir: user_cache_dir()?,
        // No built-in pins: until a manifest arrives, plain WebPKI (and so
        // no baseline: a real app ships both).
        built_in: Vec::new(),
        baseline: None,
        roots: Arc::clone(&roots),
        refresh: Duration::from_secs(3600),
        retry: Duration::from_secs(5),
    })?);
    match updater.refresh_now().await {
        Ok(r) => println!("manifest: {r:?}, version {:?}", updater.version()),
        Err(e) => println!("manifest: {e} (keeping the pins in force)"),
    }
    let _background = Arc::clone(&updater).spawn();

    let reporter = Reporter::spawn(ReporterConfig::new(app.clone(), "1.0", Arc::clone(&roots)))?;
    let verifier =
        PinningVerifier::new(roots, Arc::clone(&provider), updater.pins())?.with_reporter(reporter);
    // Resumption forgets sessions when the pins change; no 0-RTT.
    let tls = Arc::new(verifier).client_config(provider)?;
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()?;
    match client.get(target).send().await {
        Ok(response) => println!("{target}: HTTP {}", response.status()),
        Err(e) => println!("{target}: refused: {e:?}"),
    }
    Ok(())
}
