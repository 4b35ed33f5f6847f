//! Bad input never panics: each bad input gets one line naming it and the
//! cause, the exit code is 2, and the other inputs are still processed.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;

use pinwarden_test_support::Pki;

use crate::support::{pinwarden, write};

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = pinwarden().args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_files_are_named_and_the_good_one_still_processed() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(&["ok.pinwarden.test"]);
    let good = write(dir.path(), "good.pem", &pki.leaf.pem);
    let leaf_pem = &pki.leaf.pem;
    let cut = leaf_pem.len() / 2;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "garbage.txt",
            b"hello, this is not a certificate\n".to_vec(),
            "no certificate or public key found",
        ),
        ("empty.pem", Vec::new(), "empty"),
        (
            "truncated.pem",
            leaf_pem.as_bytes()[..cut].to_vec(),
            "truncated",
        ),
        (
            "badbase64.pem",
            b"-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----\n".to_vec(),
            "bad base64",
        ),
        (
            "key-only.pem",
            pki.leaf.key_pem.as_bytes().to_vec(),
            "private key",
        ),
        (
            "truncated.der",
            pki.leaf.der[..pki.leaf.der.len() / 2].to_vec(),
            "not a valid X.509 certificate",
        ),
        (
            "binary.bin",
            vec![0xff, 0x00, 0x13, 0x37, 0x30],
            "no certificate or public key found",
        ),
        (
            "notcert.pem",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
            "certificate #1 is not a valid X.509 certificate",
        ),
    ];
    let mut args = vec![
        "pin".to_owned(),
        "--format".into(),
        "plain".into(),
        "--roots".into(),
        "none".into(),
    ];
    for (name, bytes, _) in &cases {
        args.push(write(dir.path(), name, bytes).display().to_string());
    }
    args.push(good.display().to_string());
    args.push(dir.path().join("missing.pem").display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, Some(2), "stderr: {stderr}");
    // The good input's pin is printed despite the others.
    assert_eq!(stdout.lines().count(), 1, "stdout: {stdout}");
    assert!(stdout.starts_with("sha256/"));
    for (name, _, cause) in &cases {
        let line = stderr
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no error line for {name} in:\n{stderr}"));
        assert!(line.contains(cause), "{name}: wanted {cause:?} in {line:?}");
    }
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("missing.pem") && l.contains("no such file")),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn mixed_pem_reports_the_bad_block_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(&["mixed.pinwarden.test"]);
    let bundle = format!(
        "{}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n{}-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
        pki.leaf.pem, pki.intermediate.pem
    );
    let file = write(dir.path(), "mixed.pem", bundle);
    let (code, stdout, stderr) = run(&[
        "pin",
        "--format",
        "plain",
        "--roots",
        "none",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stderr.contains("mixed.pem: certificate #2 is not a valid X.509 certificate"),
        "{stderr}"
    );
}

#[test]
fn stdin_is_an_input() {
    let pki = Pki::new(&["stdin.pinwarden.test"]);
    let out = pinwarden()
        .args(["pin", "--format", "plain", "--roots", "none", "-"])
        .write_stdin(pki.full_chain_pem())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
}

#[test]
fn unreachable_hosts_are_named_with_their_cause() {
    // A port with nothing listening: bind, learn the port, close.
    let refused_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // A TCP server that speaks plain HTTP, not TLS.
    let plain = TcpListener::bind("127.0.0.1:0").unwrap();
    let plain_port = plain.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        if let Ok((mut s, _)) = plain.accept() {
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n");
        }
    });
    let refused = format!("127.0.0.1:{refused_port}");
    let not_tls = format!("127.0.0.1:{plain_port}");
    let (code, _, stderr) = run(&[
        "pin",
        "--roots",
        "none",
        "--timeout",
        "5",
        "nonexistent.invalid",
        &refused,
        &not_tls,
        "exa mple.com",
    ]);
    server.join().unwrap();
    assert_eq!(code, Some(2));
    let expect = [
        ("nonexistent.invalid", "can't resolve"),
        (refused.as_str(), "can't connect"),
        (not_tls.as_str(), "TLS handshake failed"),
        ("exa mple.com", "not HOST[:PORT]"),
    ];
    for (input, cause) in expect {
        let line = stderr
            .lines()
            .find(|l| l.contains(input))
            .unwrap_or_else(|| panic!("no line for {input}:\n{stderr}"));
        assert!(
            line.contains(cause),
            "{input}: wanted {cause:?} in {line:?}"
        );
    }
    assert_eq!(
        stderr.lines().count(),
        4,
        "one line per bad input:\n{stderr}"
    );
}

#[test]
fn bad_pins_say_what_they_are() {
    for (pin, cause) in [
        ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "SHA-1"),
        (
            "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
            "fingerprint",
        ),
        ("sha256/short", "a pin has 44"),
    ] {
        let (code, stdout, stderr) = run(&[
            "export",
            "--to",
            "json",
            "--host",
            "example.com",
            "--pin",
            pin,
        ]);
        assert_eq!(code, Some(2), "{pin}");
        assert!(stdout.is_empty());
        assert!(stderr.contains(cause), "{pin}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
