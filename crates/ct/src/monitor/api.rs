//! The two ways a log is read: RFC 6962 (`get-sth`, `get-entries`) and
//! static-ct-api (checkpoint, data tiles). The monitor asks for the same
//! three things of both — a signature-checked tree head, entries in order,
//! a URL to name the log by — and dispatches here.

use super::MonitorError;
use super::download::{Budget, Retry, with_retry};
use crate::client::{ClientError, LogClient};
use crate::loglist::{Api, Log};
use crate::sth::SignedTreeHead;
use crate::tiled::{TILE_WIDTH, TiledClient};

/// A log's client, by API.
#[derive(Clone, Debug)]
pub enum LogApi {
    /// An RFC 6962 log.
    Rfc6962(LogClient),
    /// A static-ct-api (tiled) log.
    Tiled(TiledClient),
}

impl From<LogClient> for LogApi {
    fn from(c: LogClient) -> Self {
        Self::Rfc6962(c)
    }
}

impl From<TiledClient> for LogApi {
    fn from(c: TiledClient) -> Self {
        Self::Tiled(c)
    }
}

impl LogApi {
    /// The client the log list says to use for `log`.
    pub fn for_log(log: &Log) -> Result<Self, ClientError> {
        Ok(match &log.api {
            Api::Rfc6962 { url } => LogClient::new(url)?.into(),
            Api::Tiled {
                monitoring_url,
                submission_url,
            } => TiledClient::new(monitoring_url, submission_url)?.into(),
        })
    }

    /// The URL entries are read from (the monitoring prefix of a tiled log).
    pub fn url(&self) -> &str {
        match self {
            Self::Rfc6962(c) => c.url(),
            Self::Tiled(c) => c.url(),
        }
    }

    /// The newest tree head. A tiled log's checkpoint is verified here
    /// (its log signature is the tree head's); an RFC 6962 head is
    /// returned as served, and the caller verifies both alike.
    /// Transient failures (transport, 429, 5xx) are retried with `retry`.
    pub(crate) async fn tree_head(
        &self,
        log: &Log,
        retry: Retry,
    ) -> Result<SignedTreeHead, MonitorError> {
        let budget = Budget::new(None);
        match self {
            Self::Rfc6962(c) => Ok(with_retry(&budget, retry, || c.get_sth()).await?),
            Self::Tiled(c) => with_retry(&budget, retry, || c.checkpoint())
                .await?
                .verify(c.origin(), &log.key)
                .map_err(|e| MonitorError::BadTreeHead {
                    log: log.description.clone(),
                    reason: e.to_string(),
                }),
        }
    }

    /// Splits entries `start..end` into requests: `batch` entries for
    /// RFC 6962; for a tiled log one data tile each (the tile, not
    /// `batch`, is the unit a tiled log serves), the first and last
    /// possibly partial.
    pub(crate) fn chunks(
        &self,
        start: u64,
        end: u64,
        batch: u64,
    ) -> impl Iterator<Item = (u64, u64)> + use<> {
        let tiled = matches!(self, Self::Tiled(_));
        let batch = batch.max(1);
        let mut next = start;
        std::iter::from_fn(move || {
            if next >= end {
                return None;
            }
            let stop = if tiled {
                (next / TILE_WIDTH + 1) * TILE_WIDTH
            } else {
                next.saturating_add(batch)
            }
            .min(end);
            let chunk = (next, stop - 1);
            next = stop;
            Some(chunk)
        })
    }
}
