//! pinwarden-manifest's integration tests, one binary.

mod dsse;
mod signing;
mod vectors;
