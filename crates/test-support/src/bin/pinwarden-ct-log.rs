//! A local RFC 6962 log for benchmarks: `pinwarden-ct-log --entries N
//! --dir DIR` fills a log with N entries (certificates and precertificates,
//! 100 of them for watched names), writes DIR/logs.json (a Chrome v3 log
//! list) and DIR/watchlist (50 exact names, 50 subtrees), prints its URL and
//! serves on 127.0.0.1 until stdin closes or it is killed. `--extra-name
//! NAME` (repeatable) logs one more certificate for NAME at the end.

use std::io::Read as _;
use std::sync::Arc;

use pinwarden_test_support::{Ca, CtLog, KeyKind};

enum Noise {
    Cert(Vec<u8>),
    Precert { tbs: Vec<u8>, extra: Arc<[u8]> },
}

fn main() {
    let mut entries: u64 = 1_000_000;
    let mut dir = std::path::PathBuf::from(".");
    let mut extra_names: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--entries" => {
                entries = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--entries N")
            }
            "--dir" => dir = args.next().expect("--dir DIR").into(),
            "--extra-name" => extra_names.push(args.next().expect("--extra-name NAME")),
            _ => {
                eprintln!(
                    "usage: pinwarden-ct-log [--entries N] [--dir DIR] [--extra-name NAME]..."
                );
                std::process::exit(2);
            }
        }
    }
    let started = std::time::Instant::now();
    let root = Ca::root("Bench Root", KeyKind::EcdsaP256);
    let issuing = root.intermediate("Bench Issuing CA", KeyKind::EcdsaP256);
    let chain = [issuing.der.as_slice(), root.der.as_slice()];
    let log = CtLog::start();

    // A pool of distinct certificates and precertificates, logged over and
    // over with different timestamps, as unrelated traffic.
    let pool = 256;
    let issuer_key_hash: [u8; 32] = {
        use sha2::Digest as _;
        sha2::Sha256::digest(&issuing.spki).into()
    };
    let mut noise = Vec::with_capacity(pool * 2);
    for i in 0..pool {
        let leaf = issuing.leaf(
            &[&format!("n{i}.noise.test"), &format!("www.n{i}.noise.test")],
            KeyKind::EcdsaP256,
        );
        noise.push(Noise::Cert(leaf.der));
        let pre = issuing.precert(&[&format!("p{i}.noise.test")], KeyKind::EcdsaP256);
        noise.push(Noise::Precert {
            tbs: pinwarden_ct::reduced_tbs(&pre.der, false).expect("rcgen's DER"),
            extra: pinwarden_ct::encode_extra_data(Some(&pre.der), &chain).into(),
        });
    }
    let extra_x509: Arc<[u8]> = pinwarden_ct::encode_extra_data(None, &chain).into();
    // 100 watched entries spread evenly: 50 exact names, 50 under subtrees.
    let mut watched = Vec::new();
    for j in 0..100 {
        let name = if j < 50 {
            format!("w{j}.bench.test")
        } else {
            format!("x.s{j}.bench.test")
        };
        watched.push(issuing.leaf(&[&name], KeyKind::EcdsaP256).der);
    }
    let every = (entries / 100).max(1);
    let base_ts = 1_790_000_000_000u64;
    for i in 0..entries {
        let ts = base_ts + i;
        if i % every == every / 2 && (i / every) < 100 {
            let cert = &watched[(i / every) as usize];
            log.add_raw(pinwarden_ct::encode_x509_leaf(ts, cert), extra_x509.clone());
            continue;
        }
        match &noise[(i % (pool as u64 * 2)) as usize] {
            Noise::Cert(der) => {
                log.add_raw(pinwarden_ct::encode_x509_leaf(ts, der), extra_x509.clone());
            }
            Noise::Precert { tbs, extra } => {
                log.add_raw(
                    pinwarden_ct::encode_precert_leaf(ts, &issuer_key_hash, tbs),
                    extra.clone(),
                );
            }
        }
    }
    // Certificates for names the caller asked for, from the log's own test
    // CA (not a public CA: pinned apps would reject them).
    for (k, name) in extra_names.iter().enumerate() {
        let leaf = issuing.leaf(&[name], KeyKind::EcdsaP256);
        log.add_raw(
            pinwarden_ct::encode_x509_leaf(base_ts + entries + k as u64, &leaf.der),
            extra_x509.clone(),
        );
    }
    log.publish();
    std::fs::create_dir_all(&dir).expect("create --dir");
    std::fs::write(dir.join("logs.json"), log.log_list_json()).expect("write logs.json");
    let mut watchlist = String::new();
    for j in 0..100 {
        if j < 50 {
            watchlist.push_str(&format!("w{j}.bench.test\n"));
        } else {
            watchlist.push_str(&format!(".s{j}.bench.test\n"));
        }
    }
    std::fs::write(dir.join("watchlist"), watchlist).expect("write watchlist");
    println!(
        "{} {} entries, ready in {:.1} s",
        log.url,
        log.size(),
        started.elapsed().as_secs_f64()
    );
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}
