//! TrustKit's `TSKConfiguration` (iOS), as a plist fragment for Info.plist.
//!
//! TrustKit refuses an enforcing configuration with fewer than two pins, so
//! that an app always ships with a backup; `TSKIncludeSubdomains` covers every
//! depth; `TSKExpirationDate` stops enforcement after the date.

use std::fmt::Write as _;

use super::xml_escape;
use crate::host::PatternKind;
use crate::pinset::PinSet;

pub(super) fn render(set: &PinSet, warnings: &mut Vec<String>) -> Result<String, String> {
    if set.pins.len() < 2 {
        if set.enforce {
            return Err(format!(
                "TrustKit refuses an enforcing pin set with fewer than two pins (this one has {}): \
                 add a backup pin from another CA or a pre-generated key",
                set.pins.len()
            ));
        }
        warnings.push(
            "fewer than two pins: TrustKit versions before 1.6 refuse this even in report-only mode"
                .to_owned(),
        );
    }
    let mut out = String::from(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n",
        "<plist version=\"1.0\">\n<dict>\n",
        "\t<key>TSKConfiguration</key>\n\t<dict>\n",
        "\t\t<key>TSKSwizzleNetworkDelegates</key>\n\t\t<true/>\n",
        "\t\t<key>TSKPinnedDomains</key>\n\t\t<dict>\n",
    ));
    for host in set.effective_hosts() {
        let sub = match host.kind() {
            PatternKind::Exact => false,
            PatternKind::AnyDepth => true,
            PatternKind::OneLabel => {
                warnings.push(format!(
                    "TrustKit can't pin one label only ({host}): the config pins {0} and every name below it",
                    host.domain()
                ));
                true
            }
        };
        let _ = write!(
            out,
            "\t\t\t<key>{}</key>\n\t\t\t<dict>\n\
             \t\t\t\t<key>TSKEnforcePinning</key>\n\t\t\t\t<{}/>\n\
             \t\t\t\t<key>TSKIncludeSubdomains</key>\n\t\t\t\t<{sub}/>\n",
            xml_escape(host.domain()),
            set.enforce
        );
        if let Some(date) = set.expires {
            let _ = write!(
                out,
                "\t\t\t\t<key>TSKExpirationDate</key>\n\t\t\t\t<string>{date}</string>\n"
            );
        }
        out.push_str("\t\t\t\t<key>TSKPublicKeyHashes</key>\n\t\t\t\t<array>\n");
        for entry in &set.pins {
            let _ = writeln!(out, "\t\t\t\t\t<string>{}</string>", entry.pin.to_base64());
        }
        out.push_str("\t\t\t\t</array>\n");
        if let Some(uri) = &set.report_uri {
            let _ = write!(
                out,
                "\t\t\t\t<key>TSKReportUris</key>\n\t\t\t\t<array>\n\t\t\t\t\t<string>{}</string>\n\t\t\t\t</array>\n\
                 \t\t\t\t<key>TSKDisableDefaultReportUri</key>\n\t\t\t\t<true/>\n",
                xml_escape(uri)
            );
        }
        out.push_str("\t\t\t</dict>\n");
    }
    out.push_str("\t\t</dict>\n\t</dict>\n</dict>\n</plist>\n");
    Ok(out)
}
