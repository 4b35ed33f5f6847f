//! The report writer for SQLite: its own thread and its own connection
//! (rusqlite, on the same file as the sqlx pool), one prepared statement
//! reused for every row, one transaction per batch. sqlx's SQLite driver
//! hands every operation to a worker thread; for the hottest write path that
//! hand-off cost more than SQLite itself (see bench/BENCHMARKS.md).
//!
//! Durability is group commit: the writer commits a batch into the WAL
//! without waiting for the disk (`synchronous=NORMAL`), then `fdatasync`s
//! the WAL itself and only then answers 202, so what a client is told was
//! stored is on disk, as with `synchronous=FULL`. Syncing by hand means
//! `fdatasync` (no inode times to journal) and lets a failed sync stop all
//! later acknowledgements (see [`SqliteReports::sync`]). A separate syncer thread,
//! overlapping one batch's sync with the next one's commit, measured slower
//! on two cores: the hand-offs cost more than the overlap won
//! (bench/BENCHMARKS.md).
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use tokio::sync::mpsc;

use super::recent::{self, Recent};
use super::{Job, NewFailures, Stored, answer, gather};
use crate::store::{NewReport, fold};

/// The one writer of reports into an SQLite file.
#[derive(Debug)]
pub struct SqliteReports {
    conn: Connection,
    /// The WAL, locked (`flock`) for as long as this writer lives.
    wal: File,
    window: i64,
    recent: Recent,
    /// Why a sync of the WAL failed, once one has.
    sync_failed: Option<String>,
    /// How many new failures may still be stored (unlimited unless
    /// telemetry sets it).
    pub(crate) budget: NewFailures,
}

impl SqliteReports {
    /// Opens the writer on a database the store has migrated: its own
    /// connection, the WAL (locked, so a second server on the same file
    /// fails here rather than counting the same failures twice), and the
    /// failures of the current dedup window (`window_secs`), at most
    /// `remember` of them.
    pub fn open(path: &Path, window_secs: i64, remember: usize) -> Result<Self, String> {
        let window = window_secs.max(1);
        let conn = Connection::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let pragmas = || -> rusqlite::Result<()> {
            conn.busy_timeout(Duration::from_secs(5))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            // Commits don't wait for the disk here; `sync` (fdatasync of
            // the WAL) does, before any answer. Checkpoints still sync the
            // WAL before copying and the database after.
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            // Checkpoint every 10,000 pages (~40 MB of WAL) rather than
            // 1,000: a longer interval copies each dirtied page to the
            // database once for many commits (bench/BENCHMARKS.md).
            conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
            // Make sure the WAL exists before it is opened below.
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
        };
        pragmas().map_err(|e| format!("{}: {e}", path.display()))?;
        let mut wal_path = path.as_os_str().to_owned();
        wal_path.push("-wal");
        let wal_path = PathBuf::from(wal_path);
        let wal = File::open(&wal_path).map_err(|e| format!("{}: {e}", wal_path.display()))?;
        match wal.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(format!(
                    "{}: another pinwarden server is writing reports to this database; \
                     run one server per SQLite file (or use PostgreSQL)",
                    path.display()
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("locking {}: {e}", wal_path.display()));
            }
        }
        // The WAL's directory entry must be durable too: synchronous=FULL
        // would sync the directory on the WAL's first sync; do it here.
        wal.sync_data()
            .map_err(|e| format!("syncing {}: {e}", wal_path.display()))?;
        if let Some(dir) = wal_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| format!("syncing {}: {e}", dir.display()))?;
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let recent = Recent::load(&conn, window, now / window, remember)
            .map_err(|e| format!("{}: reading the current reports: {e}", path.display()))?;
        metrics::gauge!("pinwarden_reports_dedup_remembered").set(recent.len() as f64);
        Ok(Self {
            conn,
            wal,
            window,
            recent,
            sync_failed: None,
            budget: NewFailures::unlimited(),
        })
    }

    /// Stores a batch in one transaction (committed, not yet synced: see
    /// [`Self::sync`]); for each report whether it was a duplicate, counted
    /// on a row already there. Same failures in the batch are folded first.
    pub fn insert(&mut self, batch: &[NewReport]) -> rusqlite::Result<Vec<bool>> {
        Ok(self
            .insert_within(batch, &[])?
            .into_iter()
            .map(|o| o != Stored::New)
            .collect())
    }

    /// [`Self::insert`], each new failure taken from the budget of its
    /// source (`sources[i]` for `batch[i]`; `-` where missing) and the
    /// server's: what the writer knows is new, the budget caps, and a
    /// refused failure is stored nowhere. Repeats are always counted.
    pub(crate) fn insert_within(
        &mut self,
        batch: &[NewReport],
        sources: &[String],
    ) -> rusqlite::Result<Vec<Stored>> {
        let window = self.window;
        let groups = fold(batch, window);
        let now = Instant::now();
        let mut outcome = vec![Stored::Repeat; batch.len()];
        let mut refused = Vec::new();
        // Rows this batch adds, remembered only once it has committed: a
        // rolled-back row id may be handed out again.
        let mut added = Vec::new();
        let tx = self.conn.transaction()?;
        {
            // The fingerprint and bucket are checked again, so a stale
            // memory (a row deleted by retention) can never count a report
            // on another failure's row: it just adds a new row.
            let mut bump = tx.prepare_cached(
                "UPDATE reports SET count = count + ?1, last_seen = max(last_seen, ?2) \
                 WHERE id = ?3 AND fingerprint = ?4 AND bucket = ?5",
            )?;
            let mut add = tx.prepare_cached(
                "INSERT INTO reports (fingerprint, bucket, received_at, last_seen, count, app, host, port, format, \
                 app_version, platform, manifest_version, cohort, class, reason, validation_result, enforced, chain, \
                 known_pins, client_time, client_ip, notes, source) \
                 VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
            )?;
            for &(i, n) in &groups {
                let r = &batch[i];
                let bucket = r.received_at / window;
                let key = recent::key(&r.fingerprint);
                if let Some(id) = key.and_then(|k| self.recent.get(bucket, k))
                    && bump.execute(params![n, r.received_at, id, r.fingerprint, bucket])? == 1
                {
                    continue;
                }
                let source = sources.get(i).map_or("-", String::as_str);
                if let Err(why) = self.budget.admit(source, now) {
                    refused.push((r.fingerprint.as_str(), bucket, why));
                    continue;
                }
                add.execute(params![
                    r.fingerprint,
                    bucket,
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
                    r.notes,
                    r.source,
                ])?;
                outcome[i] = Stored::New;
                if let Some(k) = key {
                    added.push((bucket, k, tx.last_insert_rowid()));
                }
            }
        }
        tx.commit()?;
        let mut untracked = 0u64;
        for (bucket, k, id) in added {
            if !self.recent.remember(bucket, k, id) {
                untracked += 1;
            }
        }
        if untracked > 0 {
            metrics::counter!("pinwarden_reports_dedup_untracked_total").increment(untracked);
        }
        if let Some(newest) = batch.iter().map(|r| r.received_at / window).max() {
            self.recent.forget_before(newest - 1);
        }
        metrics::gauge!("pinwarden_reports_dedup_remembered").set(self.recent.len() as f64);
        // Every report of a refused failure is refused, not only the first.
        for (fingerprint, bucket, why) in refused {
            for (r, o) in batch.iter().zip(outcome.iter_mut()) {
                if r.fingerprint == fingerprint && r.received_at / window == bucket {
                    *o = Stored::Refused(why);
                }
            }
        }
        Ok(outcome)
    }

    /// Flushes every committed batch to the disk. After a failed fsync the
    /// kernel may have dropped the dirty pages, and a later fsync can
    /// succeed without them, so once one fails every later call fails too:
    /// nothing written after it can be promised until a restart (which
    /// recovers from what really is on disk).
    pub fn sync(&mut self) -> Result<(), String> {
        if self.sync_failed.is_none()
            && let Err(e) = self.wal.sync_data()
        {
            eprintln!(
                "pinwarden: syncing the report WAL failed ({e}); no report is acknowledged until a restart"
            );
            self.sync_failed = Some(format!("syncing the WAL: {e}"));
        }
        self.sync_failed.clone().map_or(Ok(()), Err)
    }
}

/// Starts the writer on its own thread: whatever is queued becomes one
/// transaction, synced, then answered.
pub(crate) fn spawn(
    mut writer: SqliteReports,
    mut rx: mpsc::Receiver<Job>,
    batch: usize,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("pinwarden-reports".into())
        .spawn(move || {
            while let Some(first) = rx.blocking_recv() {
                let b = gather(first, &mut rx, batch);
                let started = Instant::now();
                let result = writer
                    .insert_within(&b.reports, &b.sources)
                    .map_err(|e| e.to_string())
                    .and_then(|outcomes| writer.sync().map(|()| outcomes));
                answer(b.dones, result, started);
            }
        })?;
    Ok(())
}
