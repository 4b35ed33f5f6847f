//! The verifier overhead as a ratio measured on a noisy machine: batches of
//! `WebPkiServerVerifier` and `PinningVerifier` calls alternate (the order
//! swapped every round), and the median of the per-round ratios is the
//! answer. Run: `cargo bench -p pinwarden-rustls --bench verifier_interleaved`.

use std::time::Instant;

use rustls::client::danger::ServerCertVerifier;

mod common;

const ROUNDS: usize = 41;
const BATCH: u32 = 200;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let f = common::fixture();
    let verifiers: [(&str, &dyn ServerCertVerifier); 2] =
        [("webpki", f.plain.as_ref()), ("pinning", &f.pinning)];

    let time = |v: &dyn ServerCertVerifier| {
        let start = Instant::now();
        for _ in 0..BATCH {
            v.verify_server_cert(&f.leaf, &f.intermediates, &f.name, &[], f.now)
                .unwrap();
        }
        start.elapsed().as_secs_f64() * 1e6 / f64::from(BATCH)
    };
    // Warm up both.
    for (_, v) in verifiers {
        time(v);
    }
    let (mut plain_us, mut pinning_us, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        let mut t = [0.0; 2];
        for i in order {
            t[i] = time(verifiers[i].1);
        }
        plain_us.push(t[0]);
        pinning_us.push(t[1]);
        ratios.push(t[1] / t[0]);
    }
    println!(
        "webpki {:.1} µs, pinning {:.1} µs per verification (medians of {ROUNDS} rounds of {BATCH}); \
         overhead {:+.2}% (median of per-round ratios)",
        median(plain_us),
        median(pinning_us),
        (median(ratios) - 1.0) * 100.0
    );
}
