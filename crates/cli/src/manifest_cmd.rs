//! `pinwarden manifest keygen|sign|verify|show|publish|vectors`.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use pinwarden_core::PinSet;
use pinwarden_manifest::{
    Accepted, AfterExpiry, Algorithm, Candidate, Envelope, Manifest, SigningKey, TrustSet,
    VerifiedManifest, VerifyingKey, sign,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::args::{
    KeygenArgs, ManifestCommand, PublishArgs, ShowArgs, SignArgs, TrustArgs, VectorsArgs,
    VerifyArgs,
};

pub(crate) fn run(command: ManifestCommand) -> anyhow::Result<ExitCode> {
    match command {
        ManifestCommand::Keygen(a) => keygen(&a),
        ManifestCommand::Sign(a) => sign_cmd(&a),
        ManifestCommand::Verify(a) => verify(&a),
        ManifestCommand::Show(a) => show(&a),
        ManifestCommand::Publish(a) => publish(&a),
        ManifestCommand::Vectors(a) => vectors(&a),
    }
}

/// Checks that a key file can be written at `path`: nothing is there, or
/// (with `force`) a regular file. A symbolic link is refused even with
/// `force`: writing through it would put a private key wherever it points,
/// or replace the file it points to (issue 15).
fn check_key_path(path: &Path, force: bool) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("can't check {}", path.display())),
        Ok(m) if m.file_type().is_symlink() => bail!(
            "{} is a symbolic link: keys are never written through one, even with --force; \
             remove the link or choose another --out",
            path.display()
        ),
        Ok(m) if !m.is_file() => bail!(
            "{} exists and is not a regular file; choose another --out",
            path.display()
        ),
        Ok(_) if !force => bail!("{} exists; pass --force to replace it", path.display()),
        Ok(_) => Ok(()),
    }
}

/// Creates `path` with `contents` and `mode` (less the umask). Fails if
/// anything is at `path`: O_CREAT|O_EXCL never follows a symbolic link, not
/// even a dangling one (POSIX open(2)), so a link planted after
/// [`check_key_path`] is refused here too.
fn create_new(path: &Path, contents: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .with_context(|| format!("can't create {}", path.display()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("can't write {}", path.display()))?;
    Ok(())
}

/// Writes `path` through a temporary file and a rename, so readers (a CDN
/// sync, a client) never see half a file.
fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    let mut file =
        std::fs::File::create(&tmp).with_context(|| format!("can't create {}", tmp.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("can't move {} into place", path.display()))?;
    Ok(())
}

/// A time as RFC 3339 (`2026-12-29T06:14:38Z`).
fn when(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn read_input(path: &str) -> anyhow::Result<Vec<u8>> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        return Ok(buf);
    }
    std::fs::read(path).with_context(|| format!("can't read {path}"))
}

fn keygen(a: &KeygenArgs) -> anyhow::Result<ExitCode> {
    let algorithm: Algorithm = a.alg.parse()?;
    let private = PathBuf::from(format!("{}.key", a.out));
    let public = PathBuf::from(format!("{}.pub", a.out));
    // Both paths are checked before either is touched, so a refusal leaves
    // an existing pair as it was.
    check_key_path(&private, a.force)?;
    check_key_path(&public, a.force)?;
    if a.force {
        for path in [&private, &public] {
            // Removes a link itself, never its target, should one appear
            // after the check; `create_new` then refuses anything new.
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("can't replace {}", path.display()));
                }
                _ => {}
            }
        }
    }
    let key = SigningKey::generate(algorithm)?;
    create_new(&private, key.to_pem().as_bytes(), 0o600)?;
    let verifying = key.verifying_key();
    create_new(&public, verifying.to_pem().as_bytes(), 0o644)?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "algorithm": algorithm,
                "keyid": verifying.id().as_str(),
                "public_key_base64": verifying.to_base64(),
                "private_key_file": private,
                "public_key_file": public,
            })
        );
    } else {
        println!("algorithm   {algorithm}");
        println!("key id      {}", verifying.id());
        println!(
            "private key {} (mode 0600: keep it off every client)",
            private.display()
        );
        println!("public key  {}", public.display());
        println!("embed       {}", verifying.to_base64());
    }
    Ok(ExitCode::SUCCESS)
}

fn load_signing_key(path: &str) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path).with_context(|| format!("can't read key {path}"))?;
    SigningKey::from_pem(&text).with_context(|| format!("key {path}"))
}

fn load_trust(t: &TrustArgs) -> anyhow::Result<TrustSet> {
    trust_set(&t.trust, t.threshold)
}

/// Trusted keys from files or base64 text, with a threshold.
pub(crate) fn trust_set(keys: &[String], threshold: usize) -> anyhow::Result<TrustSet> {
    let keys = keys
        .iter()
        .map(|k| {
            let text = if Path::new(k).exists() {
                std::fs::read_to_string(k).with_context(|| format!("can't read key {k}"))?
            } else {
                k.clone()
            };
            VerifyingKey::from_text(&text).with_context(|| format!("trusted key {k}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(TrustSet::new(keys, threshold)?)
}

/// The app's pin sets from the policy, and the candidate list when asked:
/// the same sets, with every set that shares a host with a candidate replaced
/// by the candidate.
fn from_policy(a: &SignArgs, path: &str, app_id: &str) -> anyhow::Result<Manifest> {
    let policy = crate::policy_file::load(path)?;
    let Some(app) = policy
        .applications
        .iter()
        .find(|app| app.id.get_ref() == app_id)
    else {
        let ids: Vec<&str> = policy
            .applications
            .iter()
            .map(|a| a.id.get_ref().as_str())
            .collect();
        bail!(
            "{path}: no application {app_id:?} (there are: {})",
            ids.join(", ")
        );
    };
    let stable: Vec<PinSet> = app
        .pinsets
        .iter()
        .filter_map(|id| policy.pinset(id.get_ref()))
        .map(|p| p.to_pinset())
        .collect();
    if stable.is_empty() {
        bail!("{path}: application {app_id:?} has no pin sets to put in a manifest");
    }
    let Some(version) = a.version else {
        bail!("--version is required: a number higher than every version clients have seen");
    };
    let now = OffsetDateTime::now_utc().replace_nanosecond(0)?;
    let mut manifest = Manifest::new(
        app_id,
        version,
        now,
        now + time::Duration::days(i64::from(a.expires_in)),
    );
    manifest.report_uri = stable.iter().find_map(|s| s.report_uri.clone());
    manifest.after_expiry = match a.after_expiry.as_str() {
        "fall-back-to-built-in" => AfterExpiry::FallBackToBuiltIn,
        "suspend-and-report" => AfterExpiry::SuspendAndReport,
        other => bail!("--after-expiry {other:?}: use fall-back-to-built-in or suspend-and-report"),
    };
    if !a.candidate_pinsets.is_empty() {
        let mut candidates = Vec::new();
        for id in &a.candidate_pinsets {
            let set = policy
                .pinset(id)
                .with_context(|| format!("{path}: no pin set {id:?}"))?;
            candidates.push(set.to_pinset());
        }
        let shares_host = |s: &PinSet, c: &PinSet| {
            s.hosts
                .iter()
                .any(|h| c.hosts.iter().any(|ch| ch.to_string() == h.to_string()))
        };
        let mut pin_sets: Vec<PinSet> = stable
            .iter()
            .filter(|s| !candidates.iter().any(|c| shares_host(s, c)))
            .cloned()
            .collect();
        pin_sets.extend(candidates);
        manifest.candidate = Some(Candidate {
            pin_sets,
            percentage: a.percentage.unwrap_or(0),
        });
    }
    manifest.pin_sets = stable;
    Ok(manifest)
}

fn sign_cmd(a: &SignArgs) -> anyhow::Result<ExitCode> {
    let manifest = match (&a.policy, &a.app, &a.payload) {
        (Some(path), Some(app), None) => from_policy(a, path, app)?,
        (None, _, Some(payload)) => {
            let bytes = read_input(payload)?;
            let mut m =
                Manifest::from_json(&bytes).with_context(|| format!("payload {payload}"))?;
            if let Some(v) = a.version {
                m.version = v;
            }
            m
        }
        _ => bail!("give either --policy FILE --app ID, or --payload FILE"),
    };
    let keys = a
        .keys
        .iter()
        .map(|k| load_signing_key(k))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let refs: Vec<&SigningKey> = keys.iter().collect();
    let envelope = sign(&manifest, &refs)?;
    let json = envelope.to_json() + "\n";
    match &a.output {
        Some(path) => write_atomic(Path::new(path), json.as_bytes())?,
        None => print!("{json}"),
    }
    eprintln!(
        "signed {} version {} ({} pin set(s){}), expires {}, with {} key(s)",
        manifest.app,
        manifest.version,
        manifest.pin_sets.len(),
        manifest
            .candidate
            .as_ref()
            .map(|c| format!(", candidate for {}%", c.percentage))
            .unwrap_or_default(),
        when(manifest.expires_at),
        keys.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Verifies `bytes`; the app is the one asked for, or else the one the
/// payload names (a signature still has to verify over it).
fn verify_bytes(
    trust: &TrustSet,
    bytes: &[u8],
    app: Option<&str>,
    last: Option<&Accepted>,
) -> Result<VerifiedManifest, pinwarden_manifest::Error> {
    let named;
    let app = match app {
        Some(app) => app,
        None => {
            named = Envelope::from_json(bytes)?.unverified_manifest()?.app;
            &named
        }
    };
    trust.verify(bytes, app, last)
}

fn verify(a: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let trust = load_trust(&a.trust)?;
    let bytes = read_input(&a.envelope)?;
    let last = a.last_version.map(|version| Accepted {
        version,
        payload_sha256: a.last_sha256.clone().unwrap_or_default().to_lowercase(),
    });
    let now = OffsetDateTime::now_utc();
    match verify_bytes(&trust, &bytes, a.app.as_deref(), last.as_ref()) {
        Ok(v) => {
            let m = v.manifest();
            let expired = v.expired(now);
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({
                        "verified": true,
                        "expired": expired,
                        "signed_by": v.signed_by(),
                        "accepted": v.accepted(),
                        "manifest": m,
                    })
                );
            } else {
                println!(
                    "{}: verified {} version {} (signed by {}); {}",
                    a.envelope,
                    m.app,
                    m.version,
                    v.signed_by().join(", "),
                    if expired {
                        format!("EXPIRED at {}", when(m.expires_at))
                    } else {
                        format!("valid until {}", when(m.expires_at))
                    }
                );
                println!("payload sha256 {}", v.accepted().payload_sha256);
            }
            Ok(if expired {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Err(e) => {
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({ "verified": false, "reason": e.to_string() })
                );
            } else {
                println!("{}: REFUSED: {e}", a.envelope);
            }
            Ok(ExitCode::from(1))
        }
    }
}

fn show(a: &ShowArgs) -> anyhow::Result<ExitCode> {
    let bytes = read_input(&a.envelope)?;
    let envelope = Envelope::from_json(&bytes).with_context(|| a.envelope.clone())?;
    let manifest = envelope
        .unverified_manifest()
        .with_context(|| a.envelope.clone())?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "verified": false,
                "signatures": envelope.signatures.iter().map(|s| s.keyid_hint()).collect::<Vec<_>>(),
                "manifest": manifest,
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("NOT VERIFIED: use `pinwarden manifest verify --trust KEY` before relying on this");
    println!(
        "app {}  version {}  issued {}  expires {}  after expiry: {}",
        manifest.app,
        manifest.version,
        when(manifest.issued_at),
        when(manifest.expires_at),
        serde_json::to_value(manifest.after_expiry)?
            .as_str()
            .unwrap_or_default()
    );
    if let Some(uri) = &manifest.report_uri {
        println!("reports to {uri}");
    }
    let print_sets = |label: &str, sets: &[PinSet]| {
        for s in sets {
            let hosts: Vec<String> = s.hosts.iter().map(ToString::to_string).collect();
            println!(
                "{label} {} [{}] {}{}",
                s.id,
                hosts.join(", "),
                if s.enforce { "enforce" } else { "report-only" },
                if s.include_subdomains {
                    ", subdomains"
                } else {
                    ""
                }
            );
            for p in &s.pins {
                println!("    {} {}", p.pin, p.role);
            }
        }
    };
    print_sets("pin set", &manifest.pin_sets);
    if let Some(c) = &manifest.candidate {
        println!("candidate for {}% of installations:", c.percentage);
        print_sets("  pin set", &c.pin_sets);
    }
    for s in &envelope.signatures {
        println!("signature by {}", s.keyid_hint().unwrap_or("(no key id)"));
    }
    Ok(ExitCode::SUCCESS)
}

fn publish(a: &PublishArgs) -> anyhow::Result<ExitCode> {
    let trust = load_trust(&a.trust)?;
    let now = OffsetDateTime::now_utc();
    let out = Path::new(&a.out);
    for path in &a.envelopes {
        let bytes = read_input(path)?;
        let app = Envelope::from_json(&bytes)
            .and_then(|e| e.unverified_manifest())
            .with_context(|| path.clone())?
            .app;
        if app.contains(['/', '\\']) || app.starts_with('.') {
            bail!("{path}: app {app:?} can't be a directory name");
        }
        let dir = out.join(&app);
        let current = dir.join("manifest.json");
        // What is published now is the last accepted version.
        let last = match std::fs::read(&current) {
            Ok(published) => Some(
                verify_bytes(&trust, &published, Some(&app), None)
                    .with_context(|| format!("the published {}", current.display()))?
                    .accepted()
                    .clone(),
            ),
            Err(_) => None,
        };
        let v = verify_bytes(&trust, &bytes, Some(&app), last.as_ref())
            .with_context(|| format!("{path}: refused"))?;
        if v.expired(now) {
            bail!(
                "{path}: refused: expired at {}",
                when(v.manifest().expires_at)
            );
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("can't create {}", dir.display()))?;
        let version = dir.join(format!("v{}.json", v.manifest().version));
        write_atomic(&version, &bytes)?;
        write_atomic(&current, &bytes)?;
        println!(
            "published {app} version {} to {} and {}",
            v.manifest().version,
            current.display(),
            version.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the shared test vectors (pinwarden_manifest::vectors), with the
/// chain cases' certificates made here (crate::vectors_pki).
fn vectors(a: &VectorsArgs) -> anyhow::Result<ExitCode> {
    let pki = crate::vectors_pki::make()?;
    let vectors = pinwarden_manifest::vectors::Vectors::generate(&pki)?;
    let out = Path::new(&a.out);
    vectors
        .write(out)
        .with_context(|| format!("can't write the vectors to {}", out.display()))?;
    println!(
        "wrote {}: {} keys, {} manifest, {} cohort, {} host, {} pin-set and {} chain cases",
        out.display(),
        vectors.keys.keys.len(),
        vectors.manifests.cases.len(),
        vectors.cohorts.cases.len(),
        vectors.hosts.cases.len(),
        vectors.sets.cases.len(),
        vectors.chains.cases.len()
    );
    if vectors.disagreements.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "warning: pinwarden's host patterns disagree with OkHttp's semantics in {} case(s) \
         (hosts.json keeps OkHttp's answer):",
        vectors.disagreements.len()
    );
    for d in &vectors.disagreements {
        eprintln!("  {d}");
    }
    Ok(ExitCode::from(1))
}
