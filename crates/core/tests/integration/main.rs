//! pinwarden-core against certificates made by rcgen in test-support.

mod chains;
mod decode;
mod lint;
mod lint_keys_property;
mod policy;
mod report;
mod scenarios;
