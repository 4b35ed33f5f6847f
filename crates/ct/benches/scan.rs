//! Parse-and-match rate on one core: `scan::scan` over 10,000 log entries
//! (half certificates, half precertificates, 1% watched) against a
//! 100-item watchlist. Target (issue 7): ≥ 50,000 entries per second.
//!
//! `cargo bench -p pinwarden-ct --bench scan`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pinwarden_ct::monitor::scan::scan;
use pinwarden_ct::{RawEntry, Watchlist, encode_extra_data, encode_precert_leaf, encode_x509_leaf};
use pinwarden_test_support::{Ca, KeyKind};
use sha2::Digest as _;

fn entries() -> (Vec<RawEntry>, Watchlist) {
    let root = Ca::root("Bench Root", KeyKind::EcdsaP256);
    let issuing = root.intermediate("Bench Issuing CA", KeyKind::EcdsaP256);
    let chain = [issuing.der.as_slice(), root.der.as_slice()];
    let key_hash: [u8; 32] = sha2::Sha256::digest(&issuing.spki).into();
    let x509_extra = encode_extra_data(None, &chain);
    let mut pool = Vec::new();
    for i in 0..128 {
        let leaf = issuing.leaf(
            &[&format!("n{i}.noise.test"), &format!("www.n{i}.noise.test")],
            KeyKind::EcdsaP256,
        );
        pool.push(RawEntry {
            leaf_input: encode_x509_leaf(1, &leaf.der),
            extra_data: x509_extra.clone(),
        });
        let pre = issuing.precert(&[&format!("p{i}.noise.test")], KeyKind::EcdsaP256);
        let tbs = pinwarden_ct::reduced_tbs(&pre.der, false).unwrap();
        pool.push(RawEntry {
            leaf_input: encode_precert_leaf(1, &key_hash, &tbs),
            extra_data: encode_extra_data(Some(&pre.der), &chain),
        });
    }
    let mut watchlist = Watchlist::default();
    let mut out = Vec::with_capacity(10_000);
    for j in 0..100 {
        let (item, name) = if j < 50 {
            (format!("w{j}.bench.test"), format!("w{j}.bench.test"))
        } else {
            (format!(".s{j}.bench.test"), format!("x.s{j}.bench.test"))
        };
        watchlist.add(&item).unwrap();
        let leaf = issuing.leaf(&[&name], KeyKind::EcdsaP256);
        out.push(RawEntry {
            leaf_input: encode_x509_leaf(1, &leaf.der),
            extra_data: x509_extra.clone(),
        });
        for k in 0..99 {
            out.push(pool[(j * 99 + k) % pool.len()].clone());
        }
    }
    (out, watchlist)
}

fn bench(c: &mut Criterion) {
    let (entries, watchlist) = entries();
    assert_eq!(scan(0, &entries, &watchlist).matches.len(), 100);
    let mut group = c.benchmark_group("parse-and-match");
    group.throughput(Throughput::Elements(entries.len() as u64));
    group.bench_function("scan 10k entries, 100-item watchlist", |b| {
        b.iter(|| black_box(scan(0, black_box(&entries), &watchlist)));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
