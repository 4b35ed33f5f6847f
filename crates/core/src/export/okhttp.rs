//! OkHttp's `CertificatePinner`, as Kotlin. OkHttp's host patterns are
//! pinwarden's own (`*.` one label, `**.` any depth), and it checks pins
//! against every certificate of the cleaned chain.

use std::fmt::Write as _;

use super::{quote, warn_no_expiry, warn_no_reporting};
use crate::pinset::PinSet;

pub(super) fn render(set: &PinSet, warnings: &mut Vec<String>) -> String {
    let mut out = format!(
        "// pinwarden pin set {}\nval certificatePinner = CertificatePinner.Builder()\n",
        set.id.replace('\n', " ")
    );
    let pins: Vec<String> = set.pins.iter().map(|e| quote(&e.pin.to_string())).collect();
    for host in set.effective_hosts() {
        let _ = writeln!(
            out,
            "    .add({}, {})",
            quote(&host.to_string()),
            pins.join(", ")
        );
    }
    out.push_str("    .build()\n");
    warn_no_expiry(set, "OkHttp's CertificatePinner", warnings);
    warn_no_reporting(set, "OkHttp's CertificatePinner", warnings);
    out
}
