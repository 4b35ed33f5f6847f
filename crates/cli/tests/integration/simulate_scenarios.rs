//! The simulation scenario suite: `pinwarden simulate` over policies of
//! several applications, each host serving a chain of real public CA
//! certificates (crates/core/data/certs, sources in SOURCES.md) under a
//! test leaf. Cases (tests/scenarios/simulate/*.toml) are written from the
//! incidents they name; each says which applications break, hold, or are
//! not affected, and what the plan must say.

use std::collections::BTreeMap;
use std::path::Path;

use pinwarden_test_support::Pki;

use crate::support::{pinwarden, write};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    title: String,
    source: String,
    /// The `simulate` kind and its arguments.
    change: String,
    #[serde(default)]
    args: Vec<String>,
    /// Per host: the certificates above the leaf, files under data/certs.
    #[serde(default)]
    chains: BTreeMap<String, Vec<String>>,
    /// Per application: "breaks", "holds" or "not-affected".
    expect: BTreeMap<String, String>,
    /// Per application: words its plan or reasons must contain.
    #[serde(default)]
    says: BTreeMap<String, Vec<String>>,
}

/// A leaf for `host` naming the CA certificate `ca` as its issuer
/// (tests/scenarios/leaf_claiming.py, with Python's cryptography).
fn leaf_claiming(ca: &Path, host: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/leaf_claiming.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(ca)
        .arg(host)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_simulation_scenario_plays_out_as_its_incident_did() {
    crate::support::require("python3");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let certs = root.join("../core/data/certs");
    let dir = root.join("tests/scenarios/simulate");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut apps = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).unwrap();
        let mut table: toml::Table =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let s: Scenario = table
            .remove("scenario")
            .unwrap_or_else(|| panic!("{name}: no [scenario]"))
            .try_into()
            .unwrap_or_else(|e| panic!("{name}: [scenario]: {e}"));
        assert!(!s.title.is_empty() && !s.source.is_empty(), "{name}");
        let work = tempfile::tempdir().unwrap();
        let chains = work.path().join("chains");
        std::fs::create_dir(&chains).unwrap();
        for (host, above) in &s.chains {
            // A test leaf that names the first real certificate as its
            // issuer (its subject's very bytes and key identifier), so the
            // chain links as a served one would; simulate reads keys, not
            // signatures.
            let above: Vec<String> = above
                .iter()
                .map(|cert| {
                    std::fs::read_to_string(certs.join(cert))
                        .unwrap_or_else(|e| panic!("{name}: {cert}: {e}"))
                })
                .collect();
            let mut pem = match s.chains[host].first() {
                Some(first) => leaf_claiming(&certs.join(first), host),
                None => Pki::new(&[host.as_str()]).leaf.pem,
            };
            pem.extend(above.iter().map(String::as_str));
            write(&chains, &format!("{host}.pem"), pem);
        }
        let policy = write(
            work.path(),
            "pinwarden.toml",
            toml::to_string(&table).unwrap(),
        );
        let out = pinwarden()
            .arg("simulate")
            .arg(&s.change)
            .args(&s.args)
            .arg("--policy")
            .arg(&policy)
            .arg("--chains")
            .arg(&chains)
            .args(["--roots", "webpki", "--json"])
            .output()
            .unwrap();
        let doc: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(doc) => doc,
            Err(_) => {
                failures.push(format!(
                    "{name}: exit {:?}: {}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr)
                ));
                continue;
            }
        };
        let results = doc["applications"].as_array().unwrap();
        for (app, want) in &s.expect {
            apps += 1;
            let Some(r) = results.iter().find(|r| r["application"] == app.as_str()) else {
                if want != "not-affected" {
                    failures.push(format!("{name}: {app} missing from {doc}"));
                }
                continue;
            };
            let sets = r["pinsets"].as_array().unwrap();
            let got = if r["breaks"] == true {
                "breaks"
            } else if sets.is_empty() || sets.iter().all(|p| p["affected"] == false) {
                "not-affected"
            } else {
                "holds"
            };
            if got != want {
                failures.push(format!(
                    "{name} ({}): {app} {got}, want {want}: {r}",
                    s.title
                ));
            }
            let said = r.to_string();
            for words in s.says.get(app).into_iter().flatten() {
                if !said.contains(words.as_str()) {
                    failures.push(format!("{name}: {app} doesn't say {words:?}: {r}"));
                }
            }
        }
    }
    assert!(
        files.len() >= 10,
        "only {} simulation scenarios",
        files.len()
    );
    assert!(apps >= 20, "only {apps} application verdicts");
    assert!(
        failures.is_empty(),
        "{} failures in {} scenarios:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
