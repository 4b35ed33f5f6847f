//! Rate limits on reports, as token buckets (a burst, then a steady rate),
//! keyed on the report's network source (`crate::source`: a /24 or /48,
//! behind trusted proxies the forwarded client's):
//!
//! - [`RateLimiter`], in the handlers: reports per source and app, and
//!   per source across all apps and hosts (issue 15: keyed on source and
//!   app alone, one source stored 20,000 distinct hosts in 4.7 s).
//! - [`NewFailures`], in the writer, which alone knows whether a failure is
//!   new (the dedup memory or the database says): new distinct failures per
//!   source, and server-wide. A repeat of a known failure costs a counter,
//!   not a row, and takes nothing from these.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Instant;

/// Sources (or source and app pairs) remembered at most before full
/// buckets are forgotten.
const MAX_KEYS: usize = 100_000;

/// A bucket's size and refill rate.
#[derive(Clone, Copy, Debug)]
struct Rate {
    burst: f64,
    per_second: f64,
}

impl Rate {
    fn new(burst: f64, per_second: f64) -> Self {
        Self {
            burst: burst.max(1.0),
            per_second: per_second.max(0.001),
        }
    }

    /// `per_minute` at once, refilled over a minute.
    fn per_minute(per_minute: u32) -> Self {
        Self::new(f64::from(per_minute), f64::from(per_minute) / 60.0)
    }

    fn refill(&self, b: &mut Bucket, now: Instant) {
        b.tokens =
            (b.tokens + now.duration_since(b.at).as_secs_f64() * self.per_second).min(self.burst);
        b.at = now;
    }

    /// Whole seconds until the bucket holds `n` tokens (at least 1).
    fn wait(&self, b: &Bucket, n: f64) -> u64 {
        ((n - b.tokens) / self.per_second).ceil().max(1.0) as u64
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets by key, all of one rate.
#[derive(Debug)]
struct Buckets<K> {
    rate: Rate,
    map: HashMap<K, Bucket>,
}

impl<K: Hash + Eq> Buckets<K> {
    fn new(rate: Rate) -> Self {
        Self {
            rate,
            map: HashMap::new(),
        }
    }

    /// The key's bucket, refilled to `now` (a new key's is full).
    fn get(&mut self, key: K, now: Instant) -> &mut Bucket {
        let rate = self.rate;
        if self.map.len() > MAX_KEYS {
            // Forget full buckets rather than grow without bound: a full
            // bucket is what a new key gets anyway.
            self.map.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * rate.per_second < rate.burst
            });
        }
        let bucket = self.map.entry(key).or_insert(Bucket {
            tokens: rate.burst,
            at: now,
        });
        rate.refill(bucket, now);
        bucket
    }
}

/// Which limit a report hit, and the seconds until it would be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Limited {
    /// Too many reports from this source for this app.
    App(u64),
    /// Too many reports from this source, all apps and hosts together.
    Source(u64),
}

/// Reports per source and app, and per source.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    buckets: Mutex<Limiters>,
}

#[derive(Debug)]
struct Limiters {
    per_app: Buckets<(String, String)>,
    per_source: Buckets<String>,
}

impl RateLimiter {
    /// `burst` and `per_second` per source and app; `source_burst` and
    /// `source_per_second` per source.
    pub(crate) fn new(
        burst: u32,
        per_second: f64,
        source_burst: u32,
        source_per_second: f64,
    ) -> Self {
        Self {
            buckets: Mutex::new(Limiters {
                per_app: Buckets::new(Rate::new(f64::from(burst), per_second)),
                per_source: Buckets::new(Rate::new(f64::from(source_burst), source_per_second)),
            }),
        }
    }

    /// Takes a token from the source's bucket for `app` and from its own;
    /// neither is taken unless both have one.
    pub(crate) fn take(&self, source: &str, app: &str) -> Result<(), Limited> {
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            // Poisoned by a panic elsewhere; don't refuse reports for it.
            return Ok(());
        };
        let Limiters {
            per_app,
            per_source,
        } = &mut *buckets;
        let (app_rate, source_rate) = (per_app.rate, per_source.rate);
        let a = per_app.get((source.to_owned(), app.to_owned()), now);
        if a.tokens < 1.0 {
            return Err(Limited::App(app_rate.wait(a, 1.0)));
        }
        let s = per_source.get(source.to_owned(), now);
        if s.tokens < 1.0 {
            return Err(Limited::Source(source_rate.wait(s, 1.0)));
        }
        s.tokens -= 1.0;
        a.tokens -= 1.0;
        Ok(())
    }
}

/// Why a new failure was not stored, and the seconds until it would be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The source has added its share of new failures.
    Source(u64),
    /// The server has stored its cap of new failures.
    Server(u64),
}

/// The budget of new distinct failures: per source and server-wide, each
/// a minute's worth at once, refilled over the minute. Owned by the one
/// writer, so it needs no lock; on PostgreSQL it is per server process.
#[derive(Debug)]
pub(crate) struct NewFailures {
    limits: Option<(Buckets<String>, Rate, Bucket)>,
}

impl NewFailures {
    /// `per_source` new failures a minute from one source, `per_minute`
    /// from all.
    pub(crate) fn new(per_source: u32, per_minute: u32) -> Self {
        let server = Rate::per_minute(per_minute);
        Self {
            limits: Some((
                Buckets::new(Rate::per_minute(per_source)),
                server,
                Bucket {
                    tokens: server.burst,
                    at: Instant::now(),
                },
            )),
        }
    }

    /// No limit (the writers' own tests, and tools that load data).
    pub(crate) fn unlimited() -> Self {
        Self { limits: None }
    }

    /// Takes one new failure from `source`'s budget and the server's.
    pub(crate) fn admit(&mut self, source: &str, now: Instant) -> Result<(), Refused> {
        let Some((sources, rate, server)) = &mut self.limits else {
            return Ok(());
        };
        rate.refill(server, now);
        if server.tokens < 1.0 {
            return Err(Refused::Server(rate.wait(server, 1.0)));
        }
        let source_rate = sources.rate;
        let mine = sources.get(source.to_owned(), now);
        if mine.tokens < 1.0 {
            return Err(Refused::Source(source_rate.wait(mine, 1.0)));
        }
        mine.tokens -= 1.0;
        server.tokens -= 1.0;
        Ok(())
    }

    /// Whether every failure of a batch could be new and still be admitted
    /// (`needed`: how many per source): then the writer stores the batch
    /// first and charges for the failures that turned out new.
    pub(crate) fn room_for(&mut self, needed: &HashMap<&str, u32>, now: Instant) -> bool {
        let Some((sources, rate, server)) = &mut self.limits else {
            return true;
        };
        rate.refill(server, now);
        let total: u32 = needed.values().sum();
        server.tokens >= f64::from(total)
            && needed
                .iter()
                .all(|(source, n)| sources.get((*source).to_owned(), now).tokens >= f64::from(*n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn one_source_is_limited_across_apps_and_hosts() {
        let limiter = RateLimiter::new(100, 1.0, 5, 1.0);
        for host in 0..5 {
            assert_eq!(limiter.take("s", &format!("h{host}.example")), Ok(()));
        }
        assert_eq!(
            limiter.take("s", "h99.example"),
            Err(Limited::Source(1)),
            "a sixth host from the same source"
        );
        assert_eq!(
            limiter.take("other", "h99.example"),
            Ok(()),
            "another source"
        );
    }

    #[test]
    fn a_refusal_takes_no_token() {
        let limiter = RateLimiter::new(1, 1.0, 2, 1.0);
        assert_eq!(limiter.take("s", "a"), Ok(()));
        assert_eq!(limiter.take("s", "a"), Err(Limited::App(1)));
        // The refusal for app a left the source's second token.
        assert_eq!(limiter.take("s", "b"), Ok(()));
        assert_eq!(limiter.take("s", "c"), Err(Limited::Source(1)));
    }

    #[test]
    fn new_failures_per_source_then_server_wide() {
        let mut budget = NewFailures::new(2, 3);
        let now = Instant::now();
        assert_eq!(budget.admit("a", now), Ok(()));
        assert_eq!(budget.admit("a", now), Ok(()));
        // 2 a minute refill one every 30 s.
        assert_eq!(budget.admit("a", now), Err(Refused::Source(30)));
        assert_eq!(budget.admit("b", now), Ok(()));
        // 3 a minute: one every 20 s.
        assert_eq!(budget.admit("c", now), Err(Refused::Server(20)));
        let later = now + Duration::from_secs(20);
        assert_eq!(budget.admit("c", later), Ok(()));
        assert!(!budget.room_for(&HashMap::from([("d", 1)]), later));
        assert!(NewFailures::unlimited().room_for(&HashMap::from([("d", 1_000_000)]), later));
    }
}
