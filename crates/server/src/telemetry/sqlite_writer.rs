//! The report writer for SQLite: its own thread and its own connection
//! (rusqlite, on the same file as the sqlx pool), one prepared statement
//! reused for every row, one transaction per batch. sqlx's SQLite driver
//! hands every operation to a worker thread; for the hottest write path that
//! hand-off cost more than SQLite itself (see bench/BENCHMARKS.md).

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use tokio::sync::mpsc;

use super::{Job, answer, gather};
use crate::store::{NewReport, fold};

/// Opens the writer's connection with the pool's durability settings.
pub(crate) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Checkpoint every 10,000 pages (~40 MB of WAL) rather than 1,000: new
    // reports land on random pages of the dedup index, so a longer interval
    // copies each dirtied page to the database once for many commits
    // (28k -> 34k reports/s on a fresh table, bench/BENCHMARKS.md).
    // SQLite's default page cache: 64 MiB was slower (its hash-table walks
    // in pcache1TruncateUnsafe showed in perf).
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    Ok(conn)
}

/// Stores a batch in one transaction; for each report whether it was a
/// duplicate. Same failures in the batch are folded first.
pub(crate) fn insert(
    conn: &mut Connection,
    batch: &[NewReport],
    window: i64,
) -> rusqlite::Result<Vec<bool>> {
    let window = window.max(1);
    let groups = fold(batch, window);
    let mut duplicate = vec![true; batch.len()];
    let tx = conn.transaction()?;
    {
        let mut statement = tx.prepare_cached(
            "INSERT INTO reports (fingerprint, bucket, received_at, last_seen, count, app, host, port, format, \
             app_version, platform, manifest_version, cohort, class, reason, validation_result, enforced, chain, \
             known_pins, client_time, client_ip) \
             VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20) \
             ON CONFLICT (fingerprint, bucket) DO UPDATE SET count = reports.count + excluded.count, \
             last_seen = excluded.last_seen RETURNING count",
        )?;
        for &(i, n) in &groups {
            let r = &batch[i];
            let total: i64 = statement.query_row(
                params![
                    r.fingerprint,
                    r.received_at / window,
                    r.received_at,
                    n,
                    r.app,
                    r.host,
                    r.port,
                    r.format,
                    r.app_version,
                    r.platform,
                    r.manifest_version,
                    r.cohort,
                    r.class,
                    r.reason,
                    r.validation_result,
                    r.enforced.map(i64::from),
                    r.chain,
                    r.known_pins,
                    r.client_time,
                    r.client_ip,
                ],
                |row| row.get(0),
            )?;
            duplicate[i] = total > n;
        }
    }
    tx.commit()?;
    Ok(duplicate)
}

/// The writer loop: whatever is queued becomes one transaction.
pub(crate) fn run(mut conn: Connection, mut rx: mpsc::Receiver<Job>, batch: usize, window: i64) {
    while let Some(first) = rx.blocking_recv() {
        let (reports, dones) = gather(first, &mut rx, batch);
        let started = Instant::now();
        let result = insert(&mut conn, &reports, window).map_err(|e| e.to_string());
        answer(dones, result, started);
    }
}
