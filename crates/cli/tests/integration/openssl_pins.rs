//! Pins equal openssl's for every key type and for the machine's CA bundle.

use crate::support::{openssl_pin, pinwarden, require, sh_ok, stdout_of, write};

#[test]
fn pins_match_openssl_for_every_key_type() {
    require("openssl");
    let dir = tempfile::tempdir().unwrap();
    let kinds = [
        ("rsa2048", "-newkey rsa:2048"),
        ("rsa4096", "-newkey rsa:4096"),
        ("p256", "-newkey ec -pkeyopt ec_paramgen_curve:P-256"),
        ("p384", "-newkey ec -pkeyopt ec_paramgen_curve:P-384"),
        ("ed25519", "-newkey ed25519"),
    ];
    for (name, newkey) in kinds {
        let cert = dir.path().join(format!("{name}.pem"));
        let key = dir.path().join(format!("{name}.key"));
        sh_ok(&format!(
            "openssl req -x509 {newkey} -nodes -days 30 -subj '/CN={name}.pinwarden.test' \
             -keyout '{}' -out '{}' 2>/dev/null",
            key.display(),
            cert.display()
        ));
        let expected = openssl_pin(&cert);
        let got = stdout_of(
            pinwarden()
                .args(["pin", "--format", "plain", "--roots", "none"])
                .arg(&cert),
        );
        assert_eq!(got.trim(), expected, "{name} certificate");

        // The same key as a PEM public key and as DER, and the certificate as DER.
        let pub_pem = write(
            dir.path(),
            &format!("{name}.pub.pem"),
            sh_ok(&format!("openssl pkey -in '{}' -pubout", key.display())),
        );
        let pub_der = dir.path().join(format!("{name}.pub.der"));
        sh_ok(&format!(
            "openssl pkey -in '{}' -pubout -outform der -out '{}'",
            key.display(),
            pub_der.display()
        ));
        let cert_der = dir.path().join(format!("{name}.der"));
        sh_ok(&format!(
            "openssl x509 -in '{}' -outform der -out '{}'",
            cert.display(),
            cert_der.display()
        ));
        for input in [&pub_pem, &pub_der, &cert_der] {
            let got = stdout_of(
                pinwarden()
                    .args(["pin", "--format", "plain", "--roots", "none"])
                    .arg(input),
            );
            assert_eq!(got.trim(), expected, "{name}: {}", input.display());
        }

        // The table shows the key algorithm openssl reports.
        let json = stdout_of(
            pinwarden()
                .args(["pin", "--json", "--roots", "none"])
                .arg(&cert),
        );
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        let key_info = &doc["inputs"][0]["rows"][0]["key"];
        let expected_alg = match name {
            "rsa2048" | "rsa4096" => "RSA",
            "p256" | "p384" => "EC",
            _ => "Ed25519",
        };
        assert_eq!(key_info["algorithm"], expected_alg, "{name}: {key_info}");
        if let Some(bits) = name.strip_prefix("rsa") {
            assert_eq!(key_info["bits"], bits.parse::<u32>().unwrap());
        }
    }
}

#[test]
fn pins_match_openssl_for_the_machines_ca_bundle() {
    require("openssl");
    let bundle = std::path::Path::new("/etc/ssl/certs/ca-certificates.crt");
    assert!(
        bundle.exists(),
        "{} is missing: install ca-certificates",
        bundle.display()
    );
    let text = std::fs::read_to_string(bundle).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for (i, block) in text
        .split_inclusive("-----END CERTIFICATE-----")
        .enumerate()
    {
        let Some(start) = block.find("-----BEGIN CERTIFICATE-----") else {
            continue;
        };
        let path = write(dir.path(), &format!("{i}.pem"), &block[start..]);
        expected.push(openssl_pin(&path));
    }
    assert!(
        expected.len() > 50,
        "only {} certificates in the CA bundle",
        expected.len()
    );
    let got = stdout_of(
        pinwarden()
            .args(["pin", "--format", "plain", "--roots", "none"])
            .arg(bundle),
    );
    let got: Vec<&str> = got.lines().collect();
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "certificate #{} of the CA bundle", i + 1);
    }
}
