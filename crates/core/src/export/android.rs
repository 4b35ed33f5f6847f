//! Android Network Security Config.
//!
//! `<domain includeSubdomains>` covers a name and every name below it; the
//! pin-set `expiration` makes Android stop pinning (fail open) after the date.

use std::fmt::Write as _;

use super::{warn_no_reporting, xml_escape};
use crate::host::PatternKind;
use crate::pinset::PinSet;

pub(super) fn render(set: &PinSet, warnings: &mut Vec<String>) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<network-security-config>\n    <domain-config>\n",
    );
    for host in set.effective_hosts() {
        let sub = match host.kind() {
            PatternKind::Exact => false,
            PatternKind::AnyDepth => true,
            PatternKind::OneLabel => {
                warnings.push(format!(
                    "Android can't pin one label only ({host}): the config pins {0} itself and every name below it",
                    host.domain()
                ));
                true
            }
        };
        let _ = writeln!(
            out,
            "        <domain includeSubdomains=\"{sub}\">{}</domain>",
            xml_escape(host.domain())
        );
    }
    match set.expires {
        Some(date) => {
            let _ = writeln!(out, "        <pin-set expiration=\"{date}\">");
        }
        None => out.push_str("        <pin-set>\n"),
    }
    for entry in &set.pins {
        if let Some(label) = &entry.label {
            let _ = writeln!(
                out,
                "            <!-- {} ({}) -->",
                xml_escape(label).replace("--", "- -"),
                entry.role
            );
        }
        let _ = writeln!(
            out,
            "            <pin digest=\"SHA-256\">{}</pin>",
            entry.pin.to_base64()
        );
    }
    out.push_str("        </pin-set>\n    </domain-config>\n</network-security-config>\n");
    warn_no_reporting(set, "Android's Network Security Config", warnings);
    out
}
