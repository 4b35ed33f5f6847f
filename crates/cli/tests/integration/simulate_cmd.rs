//! `pinwarden simulate` on chain files made with rcgen: which applications
//! break under each change, and the plan.

use pinwarden_test_support::{Ca, KeyKind, Pki};

use crate::support::{pinwarden, write};

/// A policy with two mobile apps on api.pinwarden.test: one pins the
/// intermediate only, one pins the root and a second CA's root as backup.
fn policy(inter: &str, root: &str, second_root: &str) -> String {
    format!(
        "[[application]]\nid = \"narrow\"\ntype = \"mobile\"\nupdate_mechanism = \"app-store\"\nupdate_days_to_95 = 21\n\
         remote_pin_config = true\nhosts = [\"api.pinwarden.test\"]\npinsets = [\"inter-only\"]\n\
         [[application]]\nid = \"wide\"\ntype = \"mobile\"\nupdate_mechanism = \"app-store\"\nupdate_days_to_95 = 14\n\
         remote_pin_config = true\nhosts = [\"api.pinwarden.test\"]\npinsets = [\"two-cas\"]\n\
         [[pinset]]\nid = \"inter-only\"\nhosts = [\"api.pinwarden.test\"]\n[[pinset.pins]]\npin = \"{inter}\"\n\
         [[pinset]]\nid = \"two-cas\"\nhosts = [\"api.pinwarden.test\"]\n[[pinset.pins]]\npin = \"{root}\"\n\
         [[pinset.pins]]\npin = \"{second_root}\"\nrole = \"backup\"\n"
    )
}

fn pin(ca: &Ca) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "ca.pem", &ca.pem);
    crate::support::openssl_pin(&f)
}

fn run(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = pinwarden()
        .arg("simulate")
        .args(args)
        .arg("--policy")
        .arg(dir.join("pinwarden.toml"))
        .arg("--chains")
        .arg(dir.join("chains"))
        .arg("--roots")
        .arg(dir.join("roots.pem"))
        .arg("--json")
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), doc)
}

fn breaks(doc: &serde_json::Value, app: &str) -> bool {
    doc["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["application"] == app)
        .unwrap()["breaks"]
        .as_bool()
        .unwrap()
}

#[test]
fn each_change_breaks_what_it_should() {
    crate::support::require("openssl");
    let pki = Pki::new(&["api.pinwarden.test"]);
    let second_root = Ca::root("Second Test Root", KeyKind::EcdsaP384);
    let second_inter = second_root.intermediate("Second Test Intermediate", KeyKind::EcdsaP256);
    let second_leaf = second_inter.leaf(&["api.pinwarden.test"], KeyKind::EcdsaP256);
    let dir = tempfile::tempdir().unwrap();
    let chains = dir.path().join("chains");
    std::fs::create_dir(&chains).unwrap();
    write(
        &chains,
        "api.pinwarden.test.pem",
        format!("{}{}", pki.leaf.pem, pki.intermediate.pem),
    );
    write(
        dir.path(),
        "roots.pem",
        format!("{}{}", pki.root.pem, second_root.pem),
    );
    write(
        dir.path(),
        "second-chain.pem",
        format!("{}{}", second_leaf.pem, second_inter.pem),
    );
    write(
        dir.path(),
        "pinwarden.toml",
        policy(&pin(&pki.intermediate), &pin(&pki.root), &pin(&second_root)),
    );
    let second_chain = dir.path().join("second-chain.pem");
    let second_chain = second_chain.to_str().unwrap();

    let (code, doc) = run(dir.path(), &["leaf-rotation"]);
    assert_eq!(code, Some(0), "{doc}");
    assert!(!breaks(&doc, "narrow") && !breaks(&doc, "wide"));

    let (code, doc) = run(dir.path(), &["intermediate-change"]);
    assert_eq!(code, Some(1));
    assert!(breaks(&doc, "narrow") && !breaks(&doc, "wide"), "{doc}");
    let narrow = &doc["applications"][0];
    // The fastest path is the remote pin configuration (refreshed daily by
    // default), not the 21 days an app update takes: 1 + 7 days of overlap.
    assert_eq!(
        narrow["lead_days"], 8,
        "a day for the remote pin configuration plus the default 7 days of overlap"
    );
    assert_eq!(narrow["lead"]["via"], "remote pin configuration");
    let plan: Vec<&str> = narrow["pinsets"][0]["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        plan[1].contains("wait 8 days (remote pin configuration)"),
        "{plan:?}"
    );

    let (code, doc) = run(dir.path(), &["ca-migration", "--chain", second_chain]);
    assert_eq!(code, Some(1));
    assert!(
        breaks(&doc, "narrow") && !breaks(&doc, "wide"),
        "the backup root carries 'wide': {doc}"
    );

    let (code, doc) = run(dir.path(), &["root-distrust", "pinwarden Test Root"]);
    assert_eq!(code, Some(1));
    assert!(breaks(&doc, "narrow") && !breaks(&doc, "wide"), "{doc}");

    let (_, doc) = run(dir.path(), &["emergency-reissue"]);
    assert!(
        !breaks(&doc, "narrow") && !breaks(&doc, "wide"),
        "CA-level pins survive a new leaf: {doc}"
    );
}

#[test]
fn an_ambiguous_ca_name_is_refused_with_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let a = Ca::root("Alpha Root", KeyKind::EcdsaP256);
    let b = Ca::root("Alpha Root G2", KeyKind::EcdsaP256);
    write(dir.path(), "roots.pem", format!("{}{}", a.pem, b.pem));
    write(dir.path(), "pinwarden.toml", "");
    std::fs::create_dir(dir.path().join("chains")).unwrap();
    let out = pinwarden()
        .args(["simulate", "root-distrust", "alpha", "--policy"])
        .arg(dir.path().join("pinwarden.toml"))
        .arg("--roots")
        .arg(dir.path().join("roots.pem"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("names 2 roots") && stderr.contains("Alpha Root G2"),
        "{stderr}"
    );
}

#[test]
fn a_ca_migration_on_the_example_names_the_apps_that_break() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/pinwarden.toml");
    let out = pinwarden()
        .args([
            "simulate",
            "ca-migration",
            "--to",
            "DigiCert Global Root G2",
            "--policy",
            example,
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdicts: Vec<(String, bool, usize)> = doc["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["application"].as_str().unwrap().to_owned(),
                a["breaks"].as_bool().unwrap(),
                a["pinsets"].as_array().unwrap().len(),
            )
        })
        .collect();
    let expect = |app: &str, breaks: bool, sets: usize| (app.to_owned(), breaks, sets);
    assert_eq!(
        verdicts,
        [
            // Holds: DigiCert Global Root G2 is its backup pin.
            expect("northwind-mobile", false, 1),
            // Pins DigiCert Global Root CA and ISRG Root X1, not G2.
            expect("payments-core", true, 1),
            // A private CA and a partner's keys: a public CA move doesn't touch them.
            expect("atm-fleet", false, 0),
            expect("card-processing", false, 0),
            // One CA, no backup.
            expect("teller-desktop", true, 1),
        ]
    );
    let plan = doc["applications"][1]["pinsets"][0]["plan"]
        .as_array()
        .unwrap();
    assert!(
        plan[0]
            .as_str()
            .unwrap()
            .contains("add a root of the new CA (DigiCert Global Root G2)"),
        "{plan:?}"
    );
    assert!(
        plan[1].as_str().unwrap().contains("wait 8 days"),
        "1 day to 95% + 7 days overlap: {plan:?}"
    );
}

#[test]
fn a_root_distrust_on_a_chain_that_reaches_no_root_is_not_guessed() {
    // The server sends leaf and intermediate; the trust store lacks the
    // root: whether the chain goes through the distrusted root can't be
    // told, so the answer is an error (exit 2), never "not affected".
    let pki = Pki::new(&["api.pinwarden.test"]);
    let stranger = Ca::root("Stranger Root", KeyKind::EcdsaP256);
    let dir = tempfile::tempdir().unwrap();
    let chains = dir.path().join("chains");
    std::fs::create_dir(&chains).unwrap();
    write(
        &chains,
        "api.pinwarden.test.pem",
        format!("{}{}", pki.leaf.pem, pki.intermediate.pem),
    );
    write(dir.path(), "roots.pem", &stranger.pem);
    write(
        dir.path(),
        "pinwarden.toml",
        policy(&pin(&pki.intermediate), &pin(&pki.root), &pin(&stranger)),
    );
    let out = pinwarden()
        .args(["simulate", "root-distrust", "DST Root CA X3", "--policy"])
        .arg(dir.path().join("pinwarden.toml"))
        .arg("--chains")
        .arg(&chains)
        .arg("--roots")
        .arg(dir.path().join("roots.pem"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("can't tell"), "{text}");
    assert!(!text.contains("not affected"), "{text}");
}
