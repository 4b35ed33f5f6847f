//! Envoy's upstream TLS context with `verify_certificate_spki`, which Envoy
//! checks against the leaf certificate only.

use std::fmt::Write as _;

use super::level::Placed;
use super::{quote, warn_leaf_only, warn_no_expiry, warn_no_reporting};
use crate::pinset::PinSet;

pub(super) fn render(set: &PinSet, placed: &[Placed<'_>], warnings: &mut Vec<String>) -> String {
    let hosts: Vec<String> = set
        .effective_hosts()
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut out = format!(
        "# pinwarden pin set {} for {}\n\
         transport_socket:\n  name: envoy.transport_sockets.tls\n  typed_config:\n    \
         \"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext\n",
        set.id.replace('\n', " "),
        hosts.join(", ")
    );
    if let [only] = set.hosts.as_slice()
        && only.kind() == crate::host::PatternKind::Exact
        && !set.include_subdomains
    {
        let _ = writeln!(out, "    sni: {}", quote(only.domain()));
    }
    out.push_str(
        "    common_tls_context:\n      validation_context:\n        \
         trusted_ca:\n          filename: /etc/ssl/certs/ca-certificates.crt\n        \
         verify_certificate_spki:\n",
    );
    for entry in &set.pins {
        let _ = writeln!(out, "          - {}", quote(&entry.pin.to_base64()));
    }
    warn_leaf_only(placed, "Envoy", warnings);
    warn_no_expiry(set, "Envoy", warnings);
    warn_no_reporting(set, "Envoy", warnings);
    out
}
