//! Fetching a run of entries from a log politely: a requests-per-second
//! budget shared by a log's parallel requests, the log's Retry-After on
//! 429, jittered exponential backoff on other transient failures, and
//! short `get-entries` answers completed by asking again for the rest.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::LogApi;
use crate::client::{ClientError, RawEntry};

/// A requests-per-second budget: requests are spaced evenly.
#[derive(Debug)]
pub struct Budget {
    spacing: Option<Duration>,
    next: Mutex<Instant>,
}

impl Budget {
    /// At most `per_second` requests a second; `None` or ≤ 0: unlimited.
    pub fn new(per_second: Option<f64>) -> Self {
        Self {
            // At least one request an hour, whatever the rate says.
            spacing: per_second.filter(|r| *r > 0.0).map(|r| {
                Duration::try_from_secs_f64(1.0 / r).map_or(Duration::from_secs(3600), |d| {
                    d.min(Duration::from_secs(3600))
                })
            }),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for the next request slot.
    pub async fn acquire(&self) {
        let Some(spacing) = self.spacing else { return };
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let at = (*next).max(Instant::now());
            *next = at + spacing;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// Retry policy for one log.
#[derive(Clone, Copy, Debug)]
pub struct Retry {
    /// Attempts per request before giving up.
    pub attempts: u32,
    /// First backoff; doubles each time, jittered, capped at `max`.
    pub base: Duration,
    /// Longest backoff, and longest Retry-After honoured.
    pub max: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 8,
            base: Duration::from_millis(200),
            max: Duration::from_secs(60),
        }
    }
}

/// A random factor in [0.5, 1.0) for backoff jitter.
fn jitter() -> f64 {
    use ring::rand::SecureRandom as _;
    let mut b = [0u8; 2];
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    0.5 + f64::from(u16::from_be_bytes(b)) / 131_072.0
}

/// One request with the budget and the retry policy.
pub(crate) async fn with_retry<T, F, Fut>(
    budget: &Budget,
    retry: Retry,
    mut call: F,
) -> Result<T, ClientError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ClientError>>,
{
    let mut attempt = 0;
    loop {
        budget.acquire().await;
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_transient() && attempt + 1 < retry.attempts => {
                let backoff = retry
                    .base
                    .saturating_mul(1 << attempt.min(16))
                    .min(retry.max)
                    .mul_f64(jitter());
                let wait = match &e {
                    ClientError::RateLimited {
                        retry_after: Some(after),
                        ..
                    } => (*after).min(retry.max),
                    _ => backoff,
                };
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Entries `start..=end`, however few the log returns per answer. For a
/// tiled log the range is one data tile (see `LogApi::chunks`).
pub(crate) async fn fetch_range(
    api: &LogApi,
    budget: &Budget,
    retry: Retry,
    start: u64,
    end: u64,
) -> Result<Vec<RawEntry>, ClientError> {
    let client = match api {
        LogApi::Rfc6962(client) => client,
        LogApi::Tiled(client) => {
            return with_retry(budget, retry, || client.entries(start, end)).await;
        }
    };
    let mut entries = Vec::with_capacity((end - start + 1) as usize);
    let mut next = start;
    while next <= end {
        let got = with_retry(budget, retry, || client.get_entries(next, end)).await?;
        next += got.len() as u64;
        entries.extend(got);
    }
    Ok(entries)
}
