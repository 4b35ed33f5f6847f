//! Pin-failure report parsing on arbitrary bytes: an error or a report,
//! never a panic; a parsed report always has a host and a chain.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = pinwarden_core::report::parse_report(data) {
        assert!(!report.host.is_empty());
        assert!(!report.chain.is_empty());
        assert!(report.chain.len() <= pinwarden_core::report::MAX_CHAIN);
    }
});
