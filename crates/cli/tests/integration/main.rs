//! pinwarden's command-line behaviour, checked against independent tools:
//! openssl for SPKI hashes, curl for pins, xmllint / plistlib / PyYAML for the
//! exported configurations, and rustls servers on 127.0.0.1 for probing.

mod assess_cmd;
mod bad_input;
mod browser;
mod caa_cmd;
mod check_cmd;
mod ct_cmd;
mod ct_monitor;
mod ct_replicas;
mod curl_pinned;
mod export_parsers;
mod export_refusals;
mod first_run;
mod golden;
mod hardening;
mod init_cmd;
mod listener;
mod manifest_cmd;
mod manifest_service;
mod openapi_conformance;
mod openssl_pins;
mod policy_cmds;
mod policy_schema;
mod probe;
mod replicas;
mod serve_cmd;
mod simulate_cmd;
mod simulate_scenarios;
mod support;
mod telemetry;
mod vectors;
