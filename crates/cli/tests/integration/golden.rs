//! Golden outputs: what people read from lint, check and simulate, pinned
//! down as insta snapshots (review changes with `cargo insta review`).
//! Random test keys and dates are filtered to placeholders.

use pinwarden_test_support::Pki;

use crate::support::{pinwarden, write};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/pinwarden.toml");

fn text(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn lint_of_the_example() {
    let out = text(pinwarden().args(["lint", EXAMPLE, "--today", "2026-11-29", "--roots", "none"]));
    insta::with_settings!({ filters => vec![(r"\S*examples/pinwarden.toml", "examples/pinwarden.toml")] }, {
        insta::assert_snapshot!(out);
    });
}

#[test]
fn ca_migration_of_the_example() {
    let out = text(pinwarden().args([
        "simulate",
        "ca-migration",
        "--to",
        "DigiCert Global Root G2",
        "--policy",
        EXAMPLE,
    ]));
    insta::assert_snapshot!(out);
}

#[test]
fn check_of_a_chain_file() {
    let pki = Pki::new(&["api.pinwarden.test"]);
    let dir = tempfile::tempdir().unwrap();
    let chains = dir.path().join("chains");
    std::fs::create_dir(&chains).unwrap();
    write(
        &chains,
        "api.pinwarden.test.pem",
        format!("{}{}", pki.leaf.pem, pki.intermediate.pem),
    );
    let roots = write(dir.path(), "roots.pem", &pki.root.pem);
    let root = crate::support::openssl_pin(&roots);
    // The test root as primary, a public root no chain here uses as backup.
    let backup = "sha256/i7WTqTvh0OioIruIfFR4kMPnBqrS2rdiVPl/s2uC/CY=";
    let policy = write(
        dir.path(),
        "pinwarden.toml",
        format!(
            "[[pinset]]\nid = \"api\"\nhosts = [\"api.pinwarden.test\"]\n[[pinset.pins]]\npin = \"{root}\"\n\
             [[pinset.pins]]\npin = \"{backup}\"\nrole = \"backup\"\n"
        ),
    );
    let out = text(
        pinwarden()
            .arg("check")
            .arg(&policy)
            .arg("--chains")
            .arg(&chains)
            .arg("--roots")
            .arg(&roots),
    );
    insta::with_settings!({ filters => vec![(r"\d+ days", "[N] days")] }, {
        insta::assert_snapshot!(out);
    });
}
