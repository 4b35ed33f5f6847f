//! Every metric family the server exports, described once and present from
//! start-up: Prometheus tooling (`promtool check metrics`) wants HELP text on
//! each family, and a dashboard or alert should see a series at 0 rather
//! than no series until the first event.

/// A family: its name, its kind, its HELP text, and the label values it is
/// created with (`("reason", [...])`), if any.
struct Family {
    name: &'static str,
    kind: Kind,
    help: &'static str,
    labels: Option<(&'static str, &'static [&'static str])>,
}

enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Why a report can be refused: the `reason` label of
/// `pinwarden_reports_rejected_total` (see `telemetry::api::reject`).
pub(crate) const REJECT_REASONS: &[&str] = &[
    "app",
    "size",
    "invalid",
    "rate",
    "source-rate",
    "source-new-failures",
    "new-failures",
    "queue",
    "store",
];

static FAMILIES: &[Family] = &[
    Family {
        name: "pinwarden_reports_accepted_total",
        kind: Kind::Counter,
        help: "Pin-failure reports accepted and committed (answered 202).",
        labels: None,
    },
    Family {
        name: "pinwarden_reports_rejected_total",
        kind: Kind::Counter,
        help: "Pin-failure reports refused, by reason: app (bad app name), size, invalid, rate (per source and app), source-rate (per source, all apps and hosts), source-new-failures (new distinct failures per source), new-failures (the server's cap on new distinct failures per minute), queue (full), store (database failure).",
        labels: Some(("reason", REJECT_REASONS)),
    },
    Family {
        name: "pinwarden_reports_deduplicated_total",
        kind: Kind::Counter,
        help: "Accepted reports counted as repeats of a failure already stored in the dedup window.",
        labels: None,
    },
    Family {
        name: "pinwarden_report_queue_depth",
        kind: Kind::Gauge,
        help: "Reports waiting for the writer.",
        labels: None,
    },
    Family {
        name: "pinwarden_report_store_seconds",
        kind: Kind::Histogram,
        help: "Seconds to store a batch of reports, commit and sync included.",
        labels: None,
    },
    Family {
        name: "pinwarden_reports_dedup_remembered",
        kind: Kind::Gauge,
        help: "Failures the SQLite writer remembers for deduplication (0 on PostgreSQL, which uses a unique index).",
        labels: None,
    },
    Family {
        name: "pinwarden_reports_new_failures_total",
        kind: Kind::Counter,
        help: "Distinct failures stored as new rows (what --report-new-failures caps per minute); repeats of a known failure are not counted.",
        labels: None,
    },
    Family {
        name: "pinwarden_http_connections",
        kind: Kind::Gauge,
        help: "HTTP connections being served (at most --max-connections).",
        labels: None,
    },
    Family {
        name: "pinwarden_http_connections_closed_total",
        kind: Kind::Counter,
        help: "HTTP connections the server closed for a limit, by reason: header-timeout, body-timeout (answered 408), idle-timeout, send-timeout (the client stopped reading), evicted (for a new connection when full), refused (full of busy connections: answered 503), dropped (too many waiting: closed unanswered).",
        labels: Some(("reason", crate::listen::CLOSE_REASONS)),
    },
    Family {
        name: "pinwarden_reports_dedup_untracked_total",
        kind: Kind::Counter,
        help: "New failures stored past the dedup memory's cap (their repeats get rows of their own; totals stay right).",
        labels: None,
    },
];

/// Describes every family and creates its series at zero. Call once, after
/// the recorder is installed.
pub(crate) fn register() {
    for f in FAMILIES {
        match f.kind {
            Kind::Counter => {
                metrics::describe_counter!(f.name, f.help);
                match f.labels {
                    Some((key, values)) => {
                        for value in values {
                            metrics::counter!(f.name, key => *value).increment(0);
                        }
                    }
                    None => metrics::counter!(f.name).increment(0),
                }
            }
            Kind::Gauge => {
                metrics::describe_gauge!(f.name, f.help);
                metrics::gauge!(f.name).set(0.0);
            }
            Kind::Histogram => {
                metrics::describe_histogram!(f.name, f.help);
                // Registered without an observation: the exporter shows the
                // family with a zero count.
                let _ = metrics::histogram!(f.name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_help_and_a_prometheus_name() {
        for f in FAMILIES {
            assert!(!f.help.is_empty(), "{}", f.name);
            assert!(f.name.starts_with("pinwarden_"), "{}", f.name);
            assert!(
                f.name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                f.name
            );
            if matches!(f.kind, Kind::Counter) {
                assert!(
                    f.name.ends_with("_total"),
                    "counters end in _total: {}",
                    f.name
                );
            }
        }
    }
}
