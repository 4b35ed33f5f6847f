//! bytes ==> decode ==> certificate facts ==> pins ==> chains: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinwarden_core::{TrustStore, assemble, decode, presented};

fuzz_target!(|data: &[u8]| {
    let Ok(decoded) = decode(data) else { return };
    let certs = decoded.certificates;
    for cert in &certs {
        let _ = cert.pin.to_string();
        let _ = cert.level();
        if let Ok(facts) = cert.facts() {
            let _ = facts.key.to_string();
        }
        let _ = (cert.ski(), cert.aki());
        let _ = cert.is_self_signed();
    }
    let store = TrustStore::empty();
    for chain in assemble(&certs, &store) {
        let _ = chain.status.to_string();
    }
    let _ = presented(&certs, &store);
});
