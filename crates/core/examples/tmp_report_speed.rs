use std::time::Instant;
fn main() {
    let lua = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    let _ = lua;
    let body = std::fs::read(std::env::args().nth(2).unwrap()).unwrap();
    let policy = pinwarden_core::policy::Policy::parse(
        &std::fs::read_to_string("examples/pinwarden.toml").unwrap(),
    )
    .unwrap();
    let n = 20000;
    let t = Instant::now();
    for _ in 0..n {
        let r = pinwarden_core::report::parse_report(&body).unwrap();
        std::hint::black_box(r);
    }
    let parse = t.elapsed().as_secs_f64() / n as f64 * 1e6;
    let r = pinwarden_core::report::parse_report(&body).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(pinwarden_core::report::classify(&r, &policy, now));
    }
    let class = t.elapsed().as_secs_f64() / n as f64 * 1e6;
    println!("parse {parse:.1} µs, classify {class:.1} µs");
}
