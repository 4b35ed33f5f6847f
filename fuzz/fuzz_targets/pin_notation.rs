//! Text ==> SpkiPin and HostPattern parsers: errors, never panics, and every
//! accepted pin survives a round trip through its display form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinwarden_core::{HostPattern, SpkiPin};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(pin) = text.parse::<SpkiPin>() {
        assert_eq!(pin.to_string().parse::<SpkiPin>().ok(), Some(pin));
    }
    if let Ok(pattern) = text.parse::<HostPattern>() {
        assert_eq!(pattern.to_string().parse::<HostPattern>().ok(), Some(pattern));
    }
});
