//! Signed manifests, rollouts and rollout events.

use sqlx::Row as _;

use super::{Store, StoreError, on_pool};

/// A manifest as uploaded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredManifest {
    /// The app.
    pub app: String,
    /// Its version.
    pub version: i64,
    /// The DSSE envelope, byte for byte as uploaded.
    #[serde(skip)]
    pub envelope: String,
    /// SHA-256 of the payload, hex.
    pub payload_sha256: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// The signed candidate percentage, when the manifest has a candidate.
    pub ceiling: Option<i64>,
    /// Unix seconds.
    pub uploaded_at: i64,
}

/// The rollout of an app's candidate pin sets.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RolloutState {
    /// The app.
    pub app: String,
    /// The manifest version whose candidate rolls out.
    pub version: i64,
    /// The share of installations that use the candidate now.
    pub percentage: i64,
    /// `active`, `halted` or `complete`.
    pub state: String,
    /// Unix seconds.
    pub updated_at: i64,
    /// Bumped by every change: a change is made only against the revision
    /// it was decided on (compare-and-set), whichever replica makes it.
    pub revision: i64,
}

/// Something that happened to a rollout.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RolloutEvent {
    /// Unix seconds.
    pub at: i64,
    /// The manifest version.
    pub version: i64,
    /// `start`, `advance`, `halt` or `complete`.
    pub action: String,
    /// The percentage after the event.
    pub percentage: i64,
    /// Why (a person's words, or the guard's).
    pub reason: String,
}

const MANIFEST_COLUMNS: &str =
    "app, version, envelope, payload_sha256, issued_at, expires_at, ceiling, uploaded_at";

fn manifest_row<R: sqlx::Row>(row: &R) -> Result<StoredManifest, sqlx::Error>
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(StoredManifest {
        app: row.try_get(0)?,
        version: row.try_get(1)?,
        envelope: row.try_get(2)?,
        payload_sha256: row.try_get(3)?,
        issued_at: row.try_get(4)?,
        expires_at: row.try_get(5)?,
        ceiling: row.try_get(6)?,
        uploaded_at: row.try_get(7)?,
    })
}

impl Store {
    /// Stores a verified manifest; false when that app and version were
    /// already stored (by a concurrent upload, say), which is left as it was.
    pub async fn insert_manifest(&self, m: &StoredManifest) -> Result<bool, StoreError> {
        let inserted = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO manifests (app, version, envelope, payload_sha256, issued_at, expires_at, ceiling, uploaded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (app, version) DO NOTHING",
            )
            .bind(&m.app)
            .bind(m.version)
            .bind(&m.envelope)
            .bind(&m.payload_sha256)
            .bind(m.issued_at)
            .bind(m.expires_at)
            .bind(m.ceiling)
            .bind(m.uploaded_at)
            .execute(pool)
            .await
            .map_err(|cause| self.error(cause))?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// An app's manifests, newest first.
    pub async fn manifests(&self, app: &str) -> Result<Vec<StoredManifest>, StoreError> {
        let sql = format!(
            "SELECT {MANIFEST_COLUMNS} FROM manifests WHERE app = $1 ORDER BY version DESC"
        );
        on_pool!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(app)
                .fetch_all(pool)
                .await
                .and_then(|rows| rows.iter().map(manifest_row).collect())
                .map_err(|cause| self.error(cause))
        })
    }

    /// The newest manifest of every app.
    pub async fn latest_manifests(&self) -> Result<Vec<StoredManifest>, StoreError> {
        let sql = format!(
            "SELECT {MANIFEST_COLUMNS} FROM manifests m WHERE version = \
             (SELECT MAX(version) FROM manifests WHERE app = m.app) ORDER BY app"
        );
        on_pool!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await
                .and_then(|rows| rows.iter().map(manifest_row).collect())
                .map_err(|cause| self.error(cause))
        })
    }

    /// Every rollout.
    pub async fn rollouts(&self) -> Result<Vec<RolloutState>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "SELECT app, version, percentage, state, updated_at, revision FROM rollouts ORDER BY app",
            )
            .fetch_all(pool)
            .await
            .and_then(|rows| {
                rows.iter()
                    .map(|row| {
                        Ok(RolloutState {
                            app: row.try_get(0)?,
                            version: row.try_get(1)?,
                            percentage: row.try_get(2)?,
                            state: row.try_get(3)?,
                            updated_at: row.try_get(4)?,
                            revision: row.try_get(5)?,
                        })
                    })
                    .collect()
            })
            .map_err(|cause| self.error(cause))
        })
    }

    /// Sets a rollout's state and records the event, in one transaction,
    /// only if the rollout is still at `expected` (its revision, or `None`
    /// for no rollout yet): compare-and-set. `Ok(false)` when another change
    /// came first; nothing is written then. `state.revision` must be the
    /// next one (`expected + 1`, or 1).
    pub async fn set_rollout(
        &self,
        state: &RolloutState,
        event: &RolloutEvent,
        expected: Option<i64>,
    ) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(|cause| self.error(cause))?;
            let changed = match expected {
                None => sqlx::query(
                    "INSERT INTO rollouts (app, version, percentage, state, updated_at, revision)                      VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app) DO NOTHING",
                ),
                Some(_) => sqlx::query(
                    "UPDATE rollouts SET version = $2, percentage = $3, state = $4, updated_at = $5, revision = $6 \
                     WHERE app = $1 AND revision = $7",
                ),
            }
            .bind(&state.app)
            .bind(state.version)
            .bind(state.percentage)
            .bind(&state.state)
            .bind(state.updated_at)
            .bind(state.revision)
            .bind(expected.unwrap_or_default())
            .execute(&mut *tx)
            .await
            .map_err(|cause| self.error(cause))?
            .rows_affected()
                == 1;
            if !changed {
                tx.rollback().await.map_err(|cause| self.error(cause))?;
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO rollout_events (app, at, version, action, percentage, reason) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&state.app)
            .bind(event.at)
            .bind(event.version)
            .bind(&event.action)
            .bind(event.percentage)
            .bind(&event.reason)
            .execute(&mut *tx)
            .await
            .map_err(|cause| self.error(cause))?;
            tx.commit().await.map_err(|cause| self.error(cause))?;
        });
        Ok(true)
    }

    /// An app's rollout events, newest first.
    pub async fn rollout_events(&self, app: &str) -> Result<Vec<RolloutEvent>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "SELECT at, version, action, percentage, reason FROM rollout_events WHERE app = $1 ORDER BY seq DESC",
            )
            .bind(app)
            .fetch_all(pool)
            .await
            .and_then(|rows| {
                rows.iter()
                    .map(|row| {
                        Ok(RolloutEvent {
                            at: row.try_get(0)?,
                            version: row.try_get(1)?,
                            action: row.try_get(2)?,
                            percentage: row.try_get(3)?,
                            reason: row.try_get(4)?,
                        })
                    })
                    .collect()
            })
            .map_err(|cause| self.error(cause))
        })
    }
}
