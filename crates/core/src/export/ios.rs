//! iOS App Transport Security `NSPinnedDomains` (iOS 14+).
//!
//! Apple's rules: `NSIncludesSubdomains` reaches one label below the named
//! domain; there is no expiry and no reporting; when both CA and leaf
//! identities are listed, a chain must match one of each. A key goes into
//! the list of its level ([`super::level`]): a leaf key among the CA
//! identities, or a CA key among the leaf ones, never matches.

use std::fmt::Write as _;

use super::level::{self, Placed};
use super::{warn_no_expiry, warn_no_reporting, xml_escape};
use crate::host::PatternKind;
use crate::pinset::{PinEntry, PinSet};

pub(super) fn render(set: &PinSet, placed: &[Placed<'_>], warnings: &mut Vec<String>) -> String {
    let mut out = String::from(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n",
        "<plist version=\"1.0\">\n<dict>\n",
        "\t<key>NSAppTransportSecurity</key>\n\t<dict>\n",
        "\t\t<key>NSPinnedDomains</key>\n\t\t<dict>\n",
    ));
    // A key of unknown level goes with the CA keys, as it always has; say so,
    // because a leaf key there never matches.
    if let Some(pins) = level::unknown(placed) {
        warnings.push(format!(
            "the level of {pins} is unknown: listed in NSPinnedCAIdentities, where a leaf key \
             never matches; give --pin-level (or `level` in the policy)"
        ));
    }
    let (leaf, ca): (Vec<&Placed<'_>>, Vec<&Placed<'_>>) = placed.iter().partition(|p| p.is_leaf());
    let leaf: Vec<&PinEntry> = leaf.into_iter().map(|p| p.entry).collect();
    let ca: Vec<&PinEntry> = ca.into_iter().map(|p| p.entry).collect();
    if !leaf.is_empty() && !ca.is_empty() {
        warnings.push(format!(
            "iOS requires a match in both lists when CA and leaf identities are given: \
             a chain must match one of the {} CA pins AND one of the {} leaf pins, \
             which is stricter than the pin set",
            ca.len(),
            leaf.len()
        ));
    }
    let mut seen = Vec::new();
    for host in set.effective_hosts() {
        let sub = match host.kind() {
            PatternKind::Exact => false,
            PatternKind::OneLabel => {
                warnings.push(format!(
                    "iOS can't exclude the domain itself: for {host} the config also pins {}",
                    host.domain()
                ));
                true
            }
            PatternKind::AnyDepth => {
                warnings.push(format!(
                    "iOS subdomain matching reaches one label: for {host} names like a.b.{} are not pinned",
                    host.domain()
                ));
                true
            }
        };
        if seen.contains(&host.domain().to_owned()) {
            warnings.push(format!(
                "{} appears in more than one pattern; iOS keeps one entry per domain",
                host.domain()
            ));
            continue;
        }
        seen.push(host.domain().to_owned());
        let _ = write!(
            out,
            "\t\t\t<key>{}</key>\n\t\t\t<dict>\n\t\t\t\t<key>NSIncludesSubdomains</key>\n\t\t\t\t<{sub}/>\n",
            xml_escape(host.domain())
        );
        for (key, pins) in [
            ("NSPinnedCAIdentities", &ca),
            ("NSPinnedLeafIdentities", &leaf),
        ] {
            if pins.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\t\t\t\t<key>{key}</key>\n\t\t\t\t<array>");
            for entry in pins.iter() {
                let _ = writeln!(
                    out,
                    "\t\t\t\t\t<dict>\n\t\t\t\t\t\t<key>SPKI-SHA256-BASE64</key>\n\t\t\t\t\t\t<string>{}</string>\n\t\t\t\t\t</dict>",
                    entry.pin.to_base64()
                );
            }
            out.push_str("\t\t\t\t</array>\n");
        }
        out.push_str("\t\t\t</dict>\n");
    }
    out.push_str("\t\t</dict>\n\t</dict>\n</dict>\n</plist>\n");
    warn_no_expiry(set, "iOS NSPinnedDomains", warnings);
    warn_no_reporting(set, "iOS NSPinnedDomains", warnings);
    out
}
