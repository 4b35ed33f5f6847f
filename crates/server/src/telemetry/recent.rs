//! The failures of the current dedup window, in the SQLite writer's memory:
//! for each (bucket, fingerprint) the row that counts it.
//!
//! This replaces a unique index on `(fingerprint, bucket)`: every new
//! failure landed on a random page of that index, which cost the writer
//! more than the row itself (bench/BENCHMARKS.md). The map is derived data:
//! at start it is rebuilt from the rows of the current and previous bucket
//! (through the `received_at` index), and only the writer that owns it
//! writes reports to the file (the WAL lock in `sqlite_writer`).
//!
//! It holds at most `capacity` failures. Past that, a new failure is still
//! stored, just not remembered, so a repeat of it gets a row of its own:
//! the counts stay right (every aggregate sums `count`), only the "stored
//! once" saving is lost for that flood. `pinwarden_reports_dedup_untracked_total`
//! counts such failures.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rusqlite::Connection;
use rustc_hash::FxHasher;

/// Fingerprints are SHA-256 bits already: a cheap hasher spreads them well.
type Rows = HashMap<u64, i64, BuildHasherDefault<FxHasher>>;

/// Remembered failures by bucket.
#[derive(Debug, Default)]
pub(crate) struct Recent {
    buckets: HashMap<i64, Rows>,
    len: usize,
    capacity: usize,
}

/// The map key of a fingerprint: its first 64 bits when it is the hex
/// pinwarden writes, else none (such a report is stored, never matched from
/// memory). 64 bits halve the map against all 128; two failures sharing a
/// key (about one chance in 40 million among a million) cost a row, never a
/// wrong count, since the `UPDATE` checks the whole fingerprint.
pub(crate) fn key(fingerprint: &str) -> Option<u64> {
    if fingerprint.is_empty() || fingerprint.len() > 32 {
        return None;
    }
    let head = fingerprint.get(..fingerprint.len().min(16))?;
    // The rest must be hex too, or it isn't one of pinwarden's.
    if !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(head, 16).ok()
}

/// The rows of bucket `?2` and later, found through the `received_at`
/// index (`?1` = `?2` × the window `?3`). Rows stored under another window
/// length have buckets that mean something else; `bucket = received_at /
/// window` keeps them out.
const CURRENT: &str = "received_at >= ?1 AND bucket >= ?2 AND bucket = received_at / ?3";

impl Recent {
    /// Rebuilds the map from the rows of bucket `current` and the one
    /// before, newest first (the likeliest to be seen again), up to
    /// `capacity`. Where a failure has several rows (stored past the cap),
    /// the newest counts its repeats.
    pub(crate) fn load(
        conn: &Connection,
        window: i64,
        current: i64,
        capacity: usize,
    ) -> rusqlite::Result<Self> {
        let mut recent = Self {
            capacity,
            ..Self::default()
        };
        let mut statement = conn.prepare(&format!(
            "SELECT id, fingerprint, bucket FROM reports WHERE {CURRENT} ORDER BY id DESC"
        ))?;
        let first = current - 1;
        let params = rusqlite::params![first.saturating_mul(window), first, window];
        // Each bucket's map sized once: growing a map of a million entries
        // step by step leaves the smaller tables behind in the allocator.
        let mut sizes = conn.prepare(&format!(
            "SELECT bucket, count(*) FROM reports WHERE {CURRENT} GROUP BY bucket"
        ))?;
        let mut room = capacity;
        let mut counts = sizes.query(params)?;
        while let Some(row) = counts.next()? {
            let n = usize::try_from(row.get::<_, i64>(1)?)
                .unwrap_or(0)
                .min(room);
            room -= n;
            recent.buckets.entry(row.get(0)?).or_default().reserve(n);
        }
        let mut rows = statement.query(params)?;
        while let Some(row) = rows.next()? {
            let fingerprint: String = row.get(1)?;
            if let Some(k) = key(&fingerprint) {
                if recent.len >= recent.capacity {
                    break;
                }
                let map = recent.buckets.entry(row.get(2)?).or_default();
                if let std::collections::hash_map::Entry::Vacant(slot) = map.entry(k) {
                    slot.insert(row.get(0)?);
                    recent.len += 1;
                }
            }
        }
        Ok(recent)
    }

    /// The row counting this failure, if remembered.
    pub(crate) fn get(&self, bucket: i64, key: u64) -> Option<i64> {
        self.buckets.get(&bucket)?.get(&key).copied()
    }

    /// Remembers the row of a failure; false when the map is full.
    pub(crate) fn remember(&mut self, bucket: i64, key: u64, id: i64) -> bool {
        if self.len >= self.capacity {
            return false;
        }
        if self
            .buckets
            .entry(bucket)
            .or_default()
            .insert(key, id)
            .is_none()
        {
            self.len += 1;
        }
        true
    }

    /// Forgets the buckets before `bucket`: no report counts on them again.
    pub(crate) fn forget_before(&mut self, bucket: i64) {
        let mut len = self.len;
        self.buckets.retain(|&b, map| {
            let keep = b >= bucket;
            if !keep {
                len -= map.len();
            }
            keep
        });
        self.len = len;
    }

    /// Failures remembered.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_hex_fingerprints() {
        assert_eq!(key("00000000000000010000000000000002"), Some(1));
        assert_eq!(key("fa"), Some(0xfa));
        assert_eq!(key("0000000000000001000000000000000z"), None);
        assert_eq!(key(""), None);
        assert_eq!(key("not hex"), None);
        assert_eq!(key(&"f".repeat(33)), None);
    }

    /// Reloading keeps the newest rows when capped, the newest row of a
    /// failure stored twice, and nothing from other buckets or windows.
    #[test]
    fn load_prefers_the_newest_rows() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE reports (id INTEGER PRIMARY KEY, fingerprint TEXT, bucket INTEGER, received_at INTEGER);
             CREATE INDEX reports_received ON reports (received_at);
             INSERT INTO reports VALUES
               (1, '0a', 10, 36000),  -- a, once
               (2, '0b', 10, 36001),  -- b, stored twice (past a cap)
               (3, '0b', 10, 36002),
               (4, '0c', 10, 36003),
               (5, '0d', 8, 28800),   -- an older bucket
               (6, '0e', 35, 36004);  -- another window's bucket (60 s)",
        )
        .unwrap();
        let all = Recent::load(&conn, 3600, 10, 10).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all.get(10, 0x0b), Some(3));
        assert_eq!(all.get(8, 0x0d), None);
        assert_eq!(all.get(35, 0x0e), None);
        let capped = Recent::load(&conn, 3600, 10, 2).unwrap();
        assert_eq!(capped.len(), 2);
        assert_eq!(capped.get(10, 0x0c), Some(4));
        assert_eq!(capped.get(10, 0x0b), Some(3));
        assert_eq!(capped.get(10, 0x0a), None, "the oldest is left out");
    }

    #[test]
    fn full_map_refuses_and_old_buckets_are_forgotten() {
        let mut recent = Recent {
            capacity: 2,
            ..Recent::default()
        };
        assert!(recent.remember(10, 1, 100));
        assert!(recent.remember(11, 2, 101));
        assert!(!recent.remember(11, 3, 102), "over capacity");
        assert_eq!(recent.get(11, 3), None);
        assert_eq!(recent.get(10, 1), Some(100));
        recent.forget_before(11);
        assert_eq!(recent.len(), 1);
        assert_eq!(recent.get(10, 1), None);
        assert!(recent.remember(11, 3, 102), "room again");
        assert_eq!(recent.get(11, 3), Some(102));
    }
}
