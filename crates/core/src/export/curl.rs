//! curl's `--pinnedpubkey`: one argument for one transfer, checked against
//! the server's leaf key only.

use super::level::Placed;
use super::{warn_leaf_only, warn_no_expiry};
use crate::pinset::PinSet;

pub(super) fn render(set: &PinSet, placed: &[Placed<'_>], warnings: &mut Vec<String>) -> String {
    let pins: Vec<String> = set
        .pins
        .iter()
        .map(|e| format!("sha256//{}", e.pin.to_base64()))
        .collect();
    warn_leaf_only(placed, "curl", warnings);
    if set.hosts.len() > 1 || set.hosts.iter().any(|h| h.domain().contains('*')) {
        warnings.push(
            "curl applies --pinnedpubkey to the transfer it is given, whatever the host".to_owned(),
        );
    }
    warn_no_expiry(set, "curl", warnings);
    // Base64 never contains a single quote, so the argument is safe in '…'.
    format!("--pinnedpubkey '{}'\n", pins.join(";"))
}
