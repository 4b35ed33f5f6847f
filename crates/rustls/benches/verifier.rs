//! Handshake certificate verification with criterion: `PinningVerifier` on a
//! pinned host against rustls' `WebPkiServerVerifier`, same chain, roots and
//! clock. Each is measured on its own, which this noisy VM can skew; the
//! interleaved bench (`verifier_interleaved`) gives the ratio that counts.
//! Run: `cargo bench -p pinwarden-rustls --bench verifier`.

use criterion::{Criterion, criterion_group, criterion_main};
use rustls::client::danger::ServerCertVerifier;

mod common;

fn bench(c: &mut Criterion) {
    let f = common::fixture();
    let mut group = c.benchmark_group("verify_server_cert");
    group.bench_function("webpki", |b| {
        b.iter(|| {
            f.plain
                .verify_server_cert(&f.leaf, &f.intermediates, &f.name, &[], f.now)
        });
    });
    group.bench_function("pinning", |b| {
        b.iter(|| {
            f.pinning
                .verify_server_cert(&f.leaf, &f.intermediates, &f.name, &[], f.now)
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
