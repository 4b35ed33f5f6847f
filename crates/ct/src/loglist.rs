//! Log lists in Chrome's v3 schema (`log_list.json`): operators, their
//! RFC 6962 `logs` and static-ct-api `tiled_logs`, normalised into [`Log`]s.
//! A log whose `log_id` is not the SHA-256 of its key is refused.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::sth::{LogKey, SthError};

#[derive(Debug, serde::Deserialize)]
struct ListV3 {
    operators: Vec<Operator>,
}

#[derive(Debug, serde::Deserialize)]
struct Operator {
    name: String,
    #[serde(default)]
    logs: Vec<Entry>,
    #[serde(default)]
    tiled_logs: Vec<Entry>,
}

#[derive(Debug, serde::Deserialize)]
struct Entry {
    #[serde(default)]
    description: String,
    log_id: String,
    key: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    submission_url: Option<String>,
    #[serde(default)]
    monitoring_url: Option<String>,
    mmd: u64,
    #[serde(default)]
    state: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    temporal_interval: Option<Interval>,
}

/// Which certificates a (sharded) log takes: `not_after` in [start, end).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Interval {
    /// RFC 3339.
    pub start_inclusive: String,
    /// RFC 3339.
    pub end_exclusive: String,
}

/// How a log is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Api {
    /// RFC 6962: `get-sth`, `get-entries`, proofs, under this URL.
    Rfc6962 {
        /// The log's base URL.
        url: String,
    },
    /// static-ct-api: checkpoint and tiles under the monitoring URL.
    Tiled {
        /// Where checkpoint and tiles are read.
        monitoring_url: String,
        /// Where certificates are submitted.
        submission_url: String,
    },
}

/// A log, from the list.
#[derive(Clone, Debug)]
pub struct Log {
    /// Its operator.
    pub operator: String,
    /// Its description.
    pub description: String,
    /// SHA-256 of its key.
    pub log_id: [u8; 32],
    /// Its key.
    pub key: LogKey,
    /// How it is read.
    pub api: Api,
    /// Maximum merge delay, seconds.
    pub mmd: u64,
    /// Its state (`usable`, `readonly`, `retired`, …), when the list says.
    pub state: Option<String>,
    /// The certificates it takes, when sharded.
    pub interval: Option<Interval>,
}

/// Why a log list is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogListError {
    /// Not the v3 JSON.
    #[error("not a v3 log list: {0}")]
    Json(String),
    /// One log is unusable; the message names it.
    #[error("{operator} / {log}: {cause}")]
    Log {
        /// The operator.
        operator: String,
        /// The log's description or id.
        log: String,
        /// Why.
        cause: String,
    },
}

/// Parses a v3 log list; every log must be well-formed.
pub fn parse_log_list(bytes: &[u8]) -> Result<Vec<Log>, LogListError> {
    let list: ListV3 =
        serde_json::from_slice(bytes).map_err(|e| LogListError::Json(e.to_string()))?;
    let mut logs = Vec::new();
    for op in list.operators {
        for (entry, tiled) in op
            .logs
            .into_iter()
            .map(|e| (e, false))
            .chain(op.tiled_logs.into_iter().map(|e| (e, true)))
        {
            let fail = |cause: String| LogListError::Log {
                operator: op.name.clone(),
                log: if entry.description.is_empty() {
                    entry.log_id.clone()
                } else {
                    entry.description.clone()
                },
                cause,
            };
            let key = LogKey::from_base64(&entry.key).map_err(|e: SthError| fail(e.to_string()))?;
            let log_id: [u8; 32] = STANDARD
                .decode(&entry.log_id)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| fail("log_id is not 32 bytes of base64".into()))?;
            if log_id != key.log_id() {
                return Err(fail("log_id is not the SHA-256 of the key".into()));
            }
            let api = if tiled {
                match (entry.monitoring_url.clone(), entry.submission_url.clone()) {
                    (Some(monitoring_url), Some(submission_url)) => Api::Tiled {
                        monitoring_url,
                        submission_url,
                    },
                    _ => {
                        return Err(fail(
                            "a tiled log needs monitoring_url and submission_url".into(),
                        ));
                    }
                }
            } else {
                match entry.url.clone() {
                    Some(url) => Api::Rfc6962 { url },
                    None => return Err(fail("an RFC 6962 log needs a url".into())),
                }
            };
            logs.push(Log {
                operator: op.name.clone(),
                description: entry.description.clone(),
                log_id,
                key,
                api,
                mmd: entry.mmd,
                state: entry.state.as_ref().and_then(|s| s.keys().next().cloned()),
                interval: entry.temporal_interval.clone(),
            });
        }
    }
    Ok(logs)
}
