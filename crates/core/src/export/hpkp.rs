//! HTTP Public Key Pinning headers (RFC 7469).
//!
//! Browsers dropped HPKP (Chrome 72, Firefox 72), so the header only reaches
//! custom clients and report collectors. RFC 7469 §4.3 requires a backup pin:
//! a key that is not in the current chain. Report-only is the default;
//! enforcing needs an explicit request.

use super::quote;
use crate::host::PatternKind;
use crate::pinset::PinSet;

use super::Options;

pub(super) fn render(
    set: &PinSet,
    options: &Options,
    warnings: &mut Vec<String>,
) -> Result<String, String> {
    if set.backups().next().is_none() {
        return Err(
            "RFC 7469 requires a backup pin (a key not in the current chain): add one with --backup-pin"
                .to_owned(),
        );
    }
    if set.pins.len() < 2 {
        return Err("RFC 7469 requires at least two pins".to_owned());
    }
    let name = if set.enforce {
        "Public-Key-Pins"
    } else {
        "Public-Key-Pins-Report-Only"
    };
    let mut directives: Vec<String> = set
        .pins
        .iter()
        .map(|e| format!("pin-sha256={}", quote(&e.pin.to_base64())))
        .collect();
    directives.push(format!("max-age={}", options.hpkp_max_age));
    let any_depth = set
        .effective_hosts()
        .iter()
        .any(|h| h.kind() != PatternKind::Exact);
    if any_depth {
        directives.push("includeSubDomains".to_owned());
    }
    if set
        .effective_hosts()
        .iter()
        .any(|h| h.kind() == PatternKind::OneLabel)
    {
        warnings.push(
            "HPKP's includeSubDomains covers every depth; one-label patterns widen".to_owned(),
        );
    }
    if let Some(uri) = &set.report_uri {
        directives.push(format!("report-uri={}", quote(uri)));
    } else if !set.enforce {
        warnings.push("a report-only header without --report-uri does nothing".to_owned());
    }
    if let Some(date) = set.expires {
        warnings.push(format!(
            "HPKP has no expiry date, only max-age ({} s from each response): {date} is not carried",
            options.hpkp_max_age
        ));
    }
    warnings.push(
        "browsers ignore HPKP since Chrome 72 and Firefox 72; only custom clients read it"
            .to_owned(),
    );
    Ok(format!("{name}: {}\n", directives.join("; ")))
}
