//! What the rollout guard counts, shared by every replica: the clients seen
//! fetching a rollout's manifest (each with its network source, one source
//! adding at most a few), the failures per cohort and source, and the
//! notifications that tell other replicas a manifest or rollout changed.

use sqlx::Row as _;

use super::{Store, StoreError, on_pool};

/// A pinwarden client seen fetching a manifest version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenClient {
    /// The app.
    pub app: String,
    /// The manifest version it fetched.
    pub version: i64,
    /// Its pseudonymous id (`pinwarden-client`).
    pub client: String,
    /// Its cohort, 0–99.
    pub cohort: i64,
    /// Its pseudonymous network source.
    pub source: String,
    /// Unix seconds.
    pub seen_at: i64,
}

/// A count per cohort and source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceCount {
    /// The cohort, 0–99.
    pub cohort: i64,
    /// The network source (`None` for reports stored before sources were).
    pub source: Option<String>,
    /// How many.
    pub count: i64,
}

/// The channel replicas tell each other about manifest and rollout changes on.
pub const CHANGES_CHANNEL: &str = "pinwarden_changes";

impl Store {
    /// Records clients seen; a client already recorded keeps its first
    /// cohort and source, and a source that already has `per_source`
    /// clients for that version adds no more (one source can't invent a
    /// crowd).
    pub async fn note_clients(
        &self,
        seen: &[SeenClient],
        per_source: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(|cause| self.error(cause))?;
            for c in seen {
                sqlx::query(
                    "INSERT INTO guard_clients (app, version, client, cohort, source, seen_at) \
                     SELECT $1, $2, $3, $4, $5, $6 WHERE (SELECT COUNT(*) FROM guard_clients \
                     WHERE app = $1 AND version = $2 AND source = $5) < $7 \
                     ON CONFLICT (app, version, client) DO NOTHING",
                )
                .bind(&c.app)
                .bind(c.version)
                .bind(&c.client)
                .bind(c.cohort)
                .bind(&c.source)
                .bind(c.seen_at)
                .bind(per_source)
                .execute(&mut *tx)
                .await
                .map_err(|cause| self.error(cause))?;
            }
            tx.commit().await.map_err(|cause| self.error(cause))?;
        });
        Ok(())
    }

    /// Clients seen for a manifest version, per cohort and source.
    pub async fn guard_clients(
        &self,
        app: &str,
        version: i64,
    ) -> Result<Vec<SourceCount>, StoreError> {
        self.source_counts(
            "SELECT cohort, source, COUNT(*) FROM guard_clients WHERE app = $1 AND version = $2 \
             GROUP BY cohort, source",
            app,
            version,
            None,
        )
        .await
    }

    /// Failures reported for a manifest version since `since`, per cohort
    /// and source (repeats of one failure counted).
    pub async fn guard_failures(
        &self,
        app: &str,
        version: i64,
        since: i64,
    ) -> Result<Vec<SourceCount>, StoreError> {
        self.source_counts(
            "SELECT cohort, source, CAST(SUM(count) AS BIGINT) FROM reports WHERE app = $1 \
             AND manifest_version = $2 AND last_seen >= $3 AND cohort IS NOT NULL GROUP BY cohort, source",
            app,
            version,
            Some(since),
        )
        .await
    }

    async fn source_counts(
        &self,
        sql: &'static str,
        app: &str,
        version: i64,
        since: Option<i64>,
    ) -> Result<Vec<SourceCount>, StoreError> {
        on_pool!(self, pool => {
            let mut query = sqlx::query(sql).bind(app).bind(version);
            if let Some(since) = since {
                query = query.bind(since);
            }
            query
                .fetch_all(pool)
                .await
                .and_then(|rows| {
                    rows.iter()
                        .map(|r| {
                            Ok(SourceCount {
                                cohort: r.try_get(0)?,
                                source: r.try_get(1)?,
                                count: r.try_get(2)?,
                            })
                        })
                        .collect()
                })
                .map_err(|cause| self.error(cause))
        })
    }

    /// Forgets clients of versions other than each app's newest, and any
    /// seen before `before`.
    pub async fn prune_guard_clients(&self, before: i64) -> Result<u64, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "DELETE FROM guard_clients WHERE seen_at < $1 OR version < \
                 (SELECT MAX(version) FROM manifests WHERE manifests.app = guard_clients.app)",
            )
            .bind(before)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(|cause| self.error(cause))
        })
    }

    /// A listener for [`CHANGES_CHANNEL`] on PostgreSQL; `None` on SQLite
    /// (one server per file: nothing to hear).
    pub async fn listen_changes(&self) -> Result<Option<sqlx::postgres::PgListener>, StoreError> {
        let Self::Postgres(pool) = self else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool)
            .await
            .map_err(|cause| self.error(cause))?;
        listener
            .listen(CHANGES_CHANNEL)
            .await
            .map_err(|cause| self.error(cause))?;
        Ok(Some(listener))
    }

    /// Tells the other replicas that `app`'s manifest or rollout changed
    /// (PostgreSQL NOTIFY; a single SQLite server has nobody to tell).
    pub async fn notify_change(&self, app: &str) -> Result<(), StoreError> {
        if let Self::Postgres(pool) = self {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANGES_CHANNEL)
                .bind(app)
                .execute(pool)
                .await
                .map_err(|cause| self.error(cause))?;
        }
        Ok(())
    }
}
