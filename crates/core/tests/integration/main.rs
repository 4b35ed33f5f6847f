//! pinwarden-core against certificates made by rcgen in test-support.

mod chains;
mod decode;
mod lint;
mod policy;
mod report;
