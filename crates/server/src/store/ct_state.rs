//! The CT monitor's per-log state and the leases that give each log to one
//! replica at a time (PostgreSQL only; issue 15).
//!
//! A lease row names its owner (a replica), an epoch bumped every time the
//! lease changes hands, and an expiry by the database's clock. A replica
//! writes a log's state, and its alerts, only in a transaction that first
//! locks the lease row and finds its own owner id and epoch there, unexpired:
//! a replica that lost the lease (expired, or taken over, even if it has
//! since taken the lease back) can't write, and no replica can take the
//! lease while a write is between its check and its commit. The state's
//! version is compared and set as well, so a write is always made on the
//! state it was computed from.

use std::time::Duration;

use pinwarden_ct::monitor::alert::Alert;
use sqlx::Row as _;
use sqlx::postgres::PgPool;

use super::{Store, StoreError};

/// A replica's hold on one log, which every write it makes for the log
/// carries (a fencing token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtFence {
    /// The log id, base64.
    pub log_id: String,
    /// The replica.
    pub owner: String,
    /// Which tenure of the lease: bumped each time it is taken.
    pub epoch: i64,
}

/// A log's lease as the database has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtLease {
    /// The log id, base64.
    pub log_id: String,
    /// The replica that holds or last held it (empty: never held).
    pub owner: String,
    /// Its tenure.
    pub epoch: i64,
    /// Milliseconds until it expires by the database's clock (≤ 0: free).
    pub remaining_ms: i64,
}

/// What a fenced write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FencedWrite {
    /// Written (for an alert: or already there).
    Written,
    /// Nothing written: the lease is another replica's, another tenure's,
    /// or expired.
    NotHeld,
    /// Nothing written: the state was saved by someone else since it was read.
    Stale,
}

const LOCK_LEASE: &str = "SELECT 1 FROM ct_leases \
     WHERE log_id = $1 AND owner = $2 AND epoch = $3 AND expires_at > clock_timestamp() \
     FOR SHARE";

impl Store {
    fn ct_postgres(&self) -> Result<&PgPool, StoreError> {
        match self {
            Self::Postgres(pool) => Ok(pool),
            Self::Sqlite(_) => Err(StoreError::Unsupported(
                "CT leases need PostgreSQL: on SQLite one process monitors every log, \
                 with its state in --ct-state-dir",
            )),
        }
    }

    /// Makes sure every log has a lease row (free until taken).
    pub async fn ct_lease_logs(&self, log_ids: &[String]) -> Result<(), StoreError> {
        let pool = self.ct_postgres()?;
        sqlx::query(
            "INSERT INTO ct_leases (log_id) SELECT unnest($1::text[]) ON CONFLICT (log_id) DO NOTHING",
        )
        .bind(log_ids)
        .execute(pool)
        .await
        .map_err(|cause| self.error(cause))?;
        Ok(())
    }

    /// Every lease, with the time left by the database's clock.
    pub async fn ct_leases(&self) -> Result<Vec<CtLease>, StoreError> {
        let pool = self.ct_postgres()?;
        let rows = sqlx::query(
            "SELECT log_id, owner, epoch, \
             (EXTRACT(EPOCH FROM (expires_at - clock_timestamp())) * 1000)::bigint \
             FROM ct_leases ORDER BY log_id",
        )
        .fetch_all(pool)
        .await
        .map_err(|cause| self.error(cause))?;
        rows.iter()
            .map(|row| {
                Ok(CtLease {
                    log_id: row.try_get(0)?,
                    owner: row.try_get(1)?,
                    epoch: row.try_get(2)?,
                    remaining_ms: row.try_get(3)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|cause| self.error(cause))
    }

    /// Takes a log's lease for `owner` if it is free or expired; the new
    /// tenure's fence, or `None` when another replica holds it.
    pub async fn ct_lease_acquire(
        &self,
        log_id: &str,
        owner: &str,
        period: Duration,
    ) -> Result<Option<CtFence>, StoreError> {
        let pool = self.ct_postgres()?;
        // Two replicas racing for an expired lease: the row lock orders
        // them, and the second re-reads the row and finds it taken.
        let epoch: Option<i64> = sqlx::query(
            "UPDATE ct_leases SET owner = $2, epoch = epoch + 1, \
             expires_at = clock_timestamp() + make_interval(secs => $3) \
             WHERE log_id = $1 AND expires_at <= clock_timestamp() RETURNING epoch",
        )
        .bind(log_id)
        .bind(owner)
        .bind(period.as_secs_f64())
        .fetch_optional(pool)
        .await
        .map_err(|cause| self.error(cause))?
        .map(|row| row.try_get(0))
        .transpose()
        .map_err(|cause| self.error(cause))?;
        Ok(epoch.map(|epoch| CtFence {
            log_id: log_id.to_owned(),
            owner: owner.to_owned(),
            epoch,
        }))
    }

    /// Extends a held lease by `period` from now; `false` when it is no
    /// longer this tenure's (expired or taken).
    pub async fn ct_lease_renew(
        &self,
        fence: &CtFence,
        period: Duration,
    ) -> Result<bool, StoreError> {
        let pool = self.ct_postgres()?;
        let renewed = sqlx::query(
            "UPDATE ct_leases SET expires_at = clock_timestamp() + make_interval(secs => $4) \
             WHERE log_id = $1 AND owner = $2 AND epoch = $3 AND expires_at > clock_timestamp()",
        )
        .bind(&fence.log_id)
        .bind(&fence.owner)
        .bind(fence.epoch)
        .bind(period.as_secs_f64())
        .execute(pool)
        .await
        .map_err(|cause| self.error(cause))?
        .rows_affected();
        Ok(renewed == 1)
    }

    /// Gives a held lease up at once, so another replica needn't wait for
    /// it to expire.
    pub async fn ct_lease_release(&self, fence: &CtFence) -> Result<bool, StoreError> {
        let pool = self.ct_postgres()?;
        let released = sqlx::query(
            "UPDATE ct_leases SET expires_at = clock_timestamp() \
             WHERE log_id = $1 AND owner = $2 AND epoch = $3 AND expires_at > clock_timestamp()",
        )
        .bind(&fence.log_id)
        .bind(&fence.owner)
        .bind(fence.epoch)
        .execute(pool)
        .await
        .map_err(|cause| self.error(cause))?
        .rows_affected();
        Ok(released == 1)
    }

    /// Gives up every lease `owner` holds, in one statement (at shutdown).
    pub async fn ct_lease_release_all(&self, owner: &str) -> Result<u64, StoreError> {
        let pool = self.ct_postgres()?;
        Ok(sqlx::query(
            "UPDATE ct_leases SET expires_at = clock_timestamp() \
             WHERE owner = $1 AND expires_at > clock_timestamp()",
        )
        .bind(owner)
        .execute(pool)
        .await
        .map_err(|cause| self.error(cause))?
        .rows_affected())
    }

    /// A log's saved state (JSON) and its version; reading needs no lease.
    pub async fn ct_state(&self, log_id: &str) -> Result<Option<(i64, String)>, StoreError> {
        let pool = self.ct_postgres()?;
        let row = sqlx::query("SELECT version, state FROM ct_state WHERE log_id = $1")
            .bind(log_id)
            .fetch_optional(pool)
            .await
            .map_err(|cause| self.error(cause))?;
        row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .transpose()
            .map_err(|cause| self.error(cause))
    }

    /// Every saved state's version, to re-read only what changed.
    pub async fn ct_state_versions(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let pool = self.ct_postgres()?;
        let rows = sqlx::query("SELECT log_id, version FROM ct_state")
            .fetch_all(pool)
            .await
            .map_err(|cause| self.error(cause))?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|cause| self.error(cause))
    }

    /// Replaces a log's state (version `version` → `version + 1`; 0: none
    /// saved yet) if `fence` still holds the log's lease, in one
    /// transaction with the lease check.
    pub async fn save_ct_state_fenced(
        &self,
        fence: &CtFence,
        version: i64,
        state: &str,
    ) -> Result<FencedWrite, StoreError> {
        let pool = self.ct_postgres()?;
        let fail = |cause| self.error(cause);
        let mut tx = pool.begin().await.map_err(fail)?;
        if !lock_lease(&mut tx, fence).await.map_err(fail)? {
            return Ok(FencedWrite::NotHeld);
        }
        let saved = sqlx::query(
            "INSERT INTO ct_state (log_id, version, state, saved_by, saved_at) \
             VALUES ($1, $2 + 1, $3, $4, clock_timestamp()) \
             ON CONFLICT (log_id) DO UPDATE SET version = excluded.version, \
             state = excluded.state, saved_by = excluded.saved_by, saved_at = excluded.saved_at \
             WHERE ct_state.version = $2",
        )
        .bind(&fence.log_id)
        .bind(version)
        .bind(state)
        .bind(&fence.owner)
        .execute(&mut *tx)
        .await
        .map_err(fail)?
        .rows_affected();
        if saved != 1 {
            return Ok(FencedWrite::Stale);
        }
        tx.commit().await.map_err(fail)?;
        Ok(FencedWrite::Written)
    }

    /// Stores an alert (once per id) if `fence` still holds the lease on
    /// the alert's log, in one transaction with the lease check.
    pub async fn save_ct_alert_fenced(
        &self,
        fence: &CtFence,
        alert: &Alert,
        received_at: i64,
    ) -> Result<FencedWrite, StoreError> {
        let pool = self.ct_postgres()?;
        let fail = |cause| self.error(cause);
        let json = serde_json::to_string(alert).map_err(|e| {
            self.error(sqlx::Error::Encode(
                format!("alert {}: {e}", alert.id).into(),
            ))
        })?;
        let mut tx = pool.begin().await.map_err(fail)?;
        if fence.log_id != alert.log_id || !lock_lease(&mut tx, fence).await.map_err(fail)? {
            return Ok(FencedWrite::NotHeld);
        }
        sqlx::query(
            "INSERT INTO ct_alerts (id, log_id, entry_index, verdict, names, alert, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&alert.id)
        .bind(&alert.log_id)
        .bind(i64::try_from(alert.entry_index).unwrap_or(i64::MAX))
        .bind(alert.verdict.as_str())
        .bind(alert.names.join(","))
        .bind(&json)
        .bind(received_at)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        Ok(FencedWrite::Written)
    }
}

/// Locks the lease row if `fence` still holds it: until the transaction
/// ends, no replica can take, renew or release the lease.
async fn lock_lease(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    fence: &CtFence,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(LOCK_LEASE)
        .bind(&fence.log_id)
        .bind(&fence.owner)
        .bind(fence.epoch)
        .fetch_optional(&mut **tx)
        .await?
        .is_some())
}
