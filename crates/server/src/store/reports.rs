//! Pin-failure reports: batched, deduplicated inserts; aggregates; samples;
//! retention.

use sqlx::Row as _;

use super::{Store, StoreError, on_pool};
use crate::telemetry::{NewFailures, Refused, Stored};

/// A report ready to store.
#[derive(Clone, Debug)]
pub struct NewReport {
    /// SHA-256 (first 16 bytes, hex) of what makes two reports the same failure.
    pub fingerprint: String,
    /// Unix seconds.
    pub received_at: i64,
    /// The app, from the path or the report.
    pub app: Option<String>,
    /// Host.
    pub host: String,
    /// Port; 0 when the client didn't know it (0 is no TCP port, and the
    /// column predates unknown ports).
    pub port: i64,
    /// Shape (`rfc7469`, `trustkit-ios`…).
    pub format: String,
    /// App version.
    pub app_version: Option<String>,
    /// Platform, normalised (`ios`, `android`, `rust`, `unknown`…).
    pub platform: Option<String>,
    /// Manifest version.
    pub manifest_version: Option<i64>,
    /// Cohort.
    pub cohort: Option<i64>,
    /// Failure class.
    pub class: String,
    /// Why that class.
    pub reason: String,
    /// TrustKit's validation result.
    pub validation_result: Option<i64>,
    /// Whether the client enforced.
    pub enforced: Option<bool>,
    /// JSON of the chain.
    pub chain: String,
    /// JSON of the known pins.
    pub known_pins: String,
    /// The client's time, Unix seconds (none when its zone is unknown).
    pub client_time: Option<i64>,
    /// The client's address, when kept.
    pub client_ip: Option<String>,
    /// JSON of the normalisation notes (field, quirk, detail).
    pub notes: String,
    /// The network it came from, hashed (`source::source_of`): what the
    /// rollout guard counts distinct failures by.
    pub source: Option<String>,
}

/// A stored report (one row: a failure and how often it was seen).
#[derive(Clone, Debug, serde::Serialize)]
pub struct StoredReport {
    /// Row id.
    pub id: i64,
    /// First seen, Unix seconds.
    pub received_at: i64,
    /// Last seen, Unix seconds.
    pub last_seen: i64,
    /// Times seen within the dedup window.
    pub count: i64,
    /// App.
    pub app: Option<String>,
    /// Host.
    pub host: String,
    /// Port: `null` in JSON when the client didn't know it (stored as 0).
    #[serde(serialize_with = "port_or_null")]
    pub port: i64,
    /// Shape.
    pub format: String,
    /// App version.
    pub app_version: Option<String>,
    /// Platform, normalised (`ios`, `macos`, `tvos`, `watchos`, `android`,
    /// `rust`, `unknown`).
    pub platform: String,
    /// Manifest version.
    pub manifest_version: Option<i64>,
    /// Cohort.
    pub cohort: Option<i64>,
    /// Failure class.
    pub class: String,
    /// Why.
    pub reason: String,
    /// The chain (JSON array of certificates: pin, subject, issuer, validity).
    pub chain: serde_json::Value,
    /// The client's pins.
    pub known_pins: serde_json::Value,
    /// What was done with the report's quirks (JSON array of field, quirk,
    /// detail).
    pub notes: serde_json::Value,
}

fn port_or_null<S: serde::Serializer>(port: &i64, s: S) -> Result<S::Ok, S::Error> {
    match port {
        0 => s.serialize_none(),
        p => s.serialize_some(p),
    }
}

/// Which reports an aggregate or a sample covers.
#[derive(Clone, Debug, Default)]
pub struct ReportFilter {
    /// Received at or after (Unix seconds).
    pub since: i64,
    /// Only this app.
    pub app: Option<String>,
    /// Only this host.
    pub host: Option<String>,
    /// Only this class.
    pub class: Option<String>,
}

/// A value and how many failures had it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Count {
    /// The value (`null` when reports didn't say).
    pub key: Option<String>,
    /// Failures (deduplicated ones included).
    pub failures: i64,
}

/// Failures over time and by dimension.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Summary {
    /// Total failures.
    pub total: i64,
    /// Failures per day (`YYYY-MM-DD`), oldest first.
    pub by_day: Vec<Count>,
    /// By host.
    pub by_host: Vec<Count>,
    /// By app.
    pub by_app: Vec<Count>,
    /// By app version.
    pub by_app_version: Vec<Count>,
    /// By manifest version.
    pub by_manifest_version: Vec<Count>,
    /// By cohort.
    pub by_cohort: Vec<Count>,
    /// By class.
    pub by_class: Vec<Count>,
}

/// Folds reports of the same failure in a batch (same fingerprint, same
/// dedup bucket): (index of the first report, how many), in batch order.
pub(crate) fn fold(batch: &[NewReport], window: i64) -> Vec<(usize, i64)> {
    let mut groups: Vec<(usize, i64)> = Vec::new();
    let mut seen: std::collections::HashMap<(&str, i64), usize> = std::collections::HashMap::new();
    for (i, r) in batch.iter().enumerate() {
        let key = (r.fingerprint.as_str(), r.received_at / window.max(1));
        match seen.get(&key) {
            Some(&g) => groups[g].1 += 1,
            None => {
                seen.insert(key, groups.len());
                groups.push((i, 1));
            }
        }
    }
    groups
}

const WHERE: &str = "received_at >= $1 AND ($2 IS NULL OR app = $2) AND ($3 IS NULL OR host = $3) AND ($4 IS NULL OR class = $4)";

impl Store {
    /// Stores a batch in one transaction (PostgreSQL; SQLite's reports are
    /// written by [`crate::telemetry::SqliteReports`]). For each report,
    /// whether it was a duplicate (counted on an existing row) rather than a
    /// new row.
    ///
    /// Reports of the same failure within the batch are folded first (one
    /// row, their number added to `count`), then the rows go in by
    /// multi-row INSERTs of up to 200 rows; the unique `(fingerprint,
    /// bucket)` index counts repeats, also those stored by other servers.
    pub async fn insert_reports(
        &self,
        batch: &[NewReport],
        dedup_window_secs: i64,
    ) -> Result<Vec<bool>, StoreError> {
        let mut unlimited = NewFailures::unlimited();
        Ok(self
            .insert_reports_within(batch, &[], dedup_window_secs, &mut unlimited)
            .await?
            .into_iter()
            .map(|o| o != Stored::New)
            .collect())
    }

    /// [`Self::insert_reports`], each new failure taken from the budget of
    /// its source (`sources[i]` for `batch[i]`) and the server's; a refused
    /// failure is stored nowhere, repeats are always counted. When the
    /// budget has room for every failure of the batch being new, the batch
    /// is stored as is and the failures that turned out new are charged;
    /// only near the cap are the batch's known failures looked up first.
    pub(crate) async fn insert_reports_within(
        &self,
        batch: &[NewReport],
        sources: &[String],
        dedup_window_secs: i64,
        budget: &mut NewFailures,
    ) -> Result<Vec<Stored>, StoreError> {
        const COLUMNS: usize = 22;
        const ROWS: usize = 200;
        let window = dedup_window_secs.max(1);
        let groups = fold(batch, window);
        let source = |i: usize| sources.get(i).map_or("-", String::as_str);
        let now = std::time::Instant::now();
        let mut needed: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        for &(i, _) in &groups {
            *needed.entry(source(i)).or_default() += 1;
        }
        let charge_after = budget.room_for(&needed, now);
        // The count each group's row has after the insert.
        let mut after: std::collections::HashMap<(String, i64), i64> =
            std::collections::HashMap::new();
        let Self::Postgres(pool) = self else {
            return Err(StoreError::Unsupported(
                "SQLite reports are written by the telemetry writer (SqliteReports)",
            ));
        };
        let mut tx = pool.begin().await.map_err(|cause| self.error(cause))?;
        let mut refused: Vec<(&str, i64, Refused)> = Vec::new();
        let groups = if charge_after {
            groups
        } else {
            let fingerprints: Vec<&str> = groups
                .iter()
                .map(|&(i, _)| batch[i].fingerprint.as_str())
                .collect();
            let buckets: Vec<i64> = groups
                .iter()
                .map(|&(i, _)| batch[i].received_at / window)
                .collect();
            let known: std::collections::HashSet<(String, i64)> = sqlx::query(
                "SELECT fingerprint, bucket FROM reports WHERE fingerprint = ANY($1) AND bucket = ANY($2)",
            )
            .bind(&fingerprints)
            .bind(&buckets)
            .fetch_all(&mut *tx)
            .await
            .and_then(|rows| {
                rows.iter()
                    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                    .collect()
            })
            .map_err(|cause| self.error(cause))?;
            let mut admitted = Vec::with_capacity(groups.len());
            for (i, n) in groups {
                let r = &batch[i];
                let bucket = r.received_at / window;
                if known.contains(&(r.fingerprint.clone(), bucket)) {
                    admitted.push((i, n));
                } else {
                    match budget.admit(source(i), now) {
                        Ok(()) => admitted.push((i, n)),
                        Err(why) => refused.push((r.fingerprint.as_str(), bucket, why)),
                    }
                }
            }
            admitted
        };
        // Rows are locked in key order, the same in every replica: two
        // replicas storing the same failures at once then wait for each
        // other instead of deadlocking (PostgreSQL would abort one after
        // deadlock_timeout, a second's stall and a failed batch).
        let mut groups = groups;
        groups.sort_by(|&(a, _), &(b, _)| {
            (batch[a].fingerprint.as_str(), batch[a].received_at / window)
                .cmp(&(batch[b].fingerprint.as_str(), batch[b].received_at / window))
        });
        for chunk in groups.chunks(ROWS) {
            let mut sql = String::from(
                "INSERT INTO reports (fingerprint, bucket, received_at, last_seen, count, app, host, port, format, \
                     app_version, platform, manifest_version, cohort, class, reason, validation_result, enforced, chain, \
                     known_pins, client_time, client_ip, notes, source) VALUES ",
            );
            for row in 0..chunk.len() {
                let p = row * COLUMNS;
                if row > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                // received_at and last_seen share one parameter.
                let numbers: Vec<String> = (1..=COLUMNS).map(|c| format!("${}", p + c)).collect();
                sql.push_str(&format!(
                    "{}, {}, {}, {}, {}",
                    numbers[0], numbers[1], numbers[2], numbers[2], numbers[3]
                ));
                for n in &numbers[4..] {
                    sql.push_str(", ");
                    sql.push_str(n);
                }
                sql.push(')');
            }
            sql.push_str(
                    " ON CONFLICT (fingerprint, bucket) DO UPDATE SET count = reports.count + excluded.count, \
                     last_seen = excluded.last_seen RETURNING fingerprint, bucket, count",
                );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for &(i, n) in chunk {
                let r = &batch[i];
                query = query
                    .bind(&r.fingerprint)
                    .bind(r.received_at / window)
                    .bind(r.received_at)
                    .bind(n)
                    .bind(&r.app)
                    .bind(&r.host)
                    .bind(r.port)
                    .bind(&r.format)
                    .bind(&r.app_version)
                    .bind(&r.platform)
                    .bind(r.manifest_version)
                    .bind(r.cohort)
                    .bind(&r.class)
                    .bind(&r.reason)
                    .bind(r.validation_result)
                    .bind(r.enforced.map(i64::from))
                    .bind(&r.chain)
                    .bind(&r.known_pins)
                    .bind(r.client_time)
                    .bind(&r.client_ip)
                    .bind(&r.notes)
                    .bind(&r.source);
            }
            let rows = query
                .fetch_all(&mut *tx)
                .await
                .map_err(|cause| self.error(cause))?;
            for row in rows {
                let key: (String, i64) = (
                    row.try_get(0).map_err(|cause| self.error(cause))?,
                    row.try_get(1).map_err(|cause| self.error(cause))?,
                );
                let count: i64 = row.try_get(2).map_err(|cause| self.error(cause))?;
                after.insert(key, count);
            }
        }
        tx.commit().await.map_err(|cause| self.error(cause))?;
        // A group's first report is new when the row holds just the group;
        // every later report of a group is a duplicate.
        let mut outcome = vec![Stored::Repeat; batch.len()];
        for &(i, n) in &groups {
            let r = &batch[i];
            let total = after
                .get(&(r.fingerprint.clone(), r.received_at / window))
                .copied()
                .unwrap_or(n + 1);
            if total <= n {
                outcome[i] = Stored::New;
                if charge_after {
                    // There was room for all: this can't be refused.
                    let _ = budget.admit(source(i), now);
                }
            }
        }
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

    /// Failures per value of `column` (a fixed column name, never input).
    async fn count_by(
        &self,
        column: &'static str,
        filter: &ReportFilter,
        limit: i64,
    ) -> Result<Vec<Count>, StoreError> {
        let sql = format!(
            "SELECT CAST({column} AS TEXT), CAST(SUM(count) AS BIGINT) FROM reports WHERE {WHERE} \
             GROUP BY {column} ORDER BY CAST(SUM(count) AS BIGINT) DESC, CAST({column} AS TEXT) LIMIT {limit}"
        );
        on_pool!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(filter.since)
                .bind(&filter.app)
                .bind(&filter.host)
                .bind(&filter.class)
                .fetch_all(pool)
                .await
                .and_then(|rows| {
                    rows.iter()
                        .map(|row| Ok(Count { key: row.try_get(0)?, failures: row.try_get(1)? }))
                        .collect()
                })
                .map_err(|cause| self.error(cause))
        })
    }

    /// The aggregates the telemetry page shows.
    pub async fn report_summary(&self, filter: &ReportFilter) -> Result<Summary, StoreError> {
        let by_day_expr = match self {
            Self::Sqlite(_) => "date(received_at, 'unixepoch')",
            Self::Postgres(_) => {
                "to_char(to_timestamp(received_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
            }
        };
        let sql = format!(
            "SELECT {by_day_expr} AS day, CAST(SUM(count) AS BIGINT) FROM reports WHERE {WHERE} GROUP BY day ORDER BY day"
        );
        let by_day: Vec<Count> = on_pool!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(filter.since)
                .bind(&filter.app)
                .bind(&filter.host)
                .bind(&filter.class)
                .fetch_all(pool)
                .await
                .and_then(|rows| {
                    rows.iter()
                        .map(|row| Ok(Count { key: row.try_get(0)?, failures: row.try_get(1)? }))
                        .collect()
                })
                .map_err(|cause| self.error(cause))?
        });
        Ok(Summary {
            total: by_day.iter().map(|c| c.failures).sum(),
            by_day,
            by_host: self.count_by("host", filter, 20).await?,
            by_app: self.count_by("app", filter, 20).await?,
            by_app_version: self.count_by("app_version", filter, 20).await?,
            by_manifest_version: self.count_by("manifest_version", filter, 20).await?,
            by_cohort: self.count_by("cohort", filter, 100).await?,
            by_class: self.count_by("class", filter, 10).await?,
        })
    }

    /// The newest reports matching `filter`, with their chains.
    pub async fn report_samples(
        &self,
        filter: &ReportFilter,
        limit: i64,
    ) -> Result<Vec<StoredReport>, StoreError> {
        let sql = format!(
            "SELECT id, received_at, last_seen, count, app, host, port, format, app_version, manifest_version, \
             cohort, class, reason, chain, known_pins, platform, notes FROM reports WHERE {WHERE} \
             ORDER BY last_seen DESC, id DESC LIMIT {}",
            limit.clamp(1, 500)
        );
        on_pool!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(filter.since)
                .bind(&filter.app)
                .bind(&filter.host)
                .bind(&filter.class)
                .fetch_all(pool)
                .await
                .and_then(|rows| {
                    rows.iter()
                        .map(|row| {
                            let chain: String = row.try_get(13)?;
                            let pins: String = row.try_get(14)?;
                            let platform: Option<String> = row.try_get(15)?;
                            let notes: String = row.try_get(16)?;
                            Ok(StoredReport {
                                id: row.try_get(0)?,
                                received_at: row.try_get(1)?,
                                last_seen: row.try_get(2)?,
                                count: row.try_get(3)?,
                                app: row.try_get(4)?,
                                host: row.try_get(5)?,
                                port: row.try_get(6)?,
                                format: row.try_get(7)?,
                                app_version: row.try_get(8)?,
                                platform: platform.unwrap_or_else(|| "unknown".into()),
                                manifest_version: row.try_get(9)?,
                                cohort: row.try_get(10)?,
                                class: row.try_get(11)?,
                                reason: row.try_get(12)?,
                                chain: serde_json::from_str(&chain).unwrap_or_default(),
                                known_pins: serde_json::from_str(&pins).unwrap_or_default(),
                                notes: serde_json::from_str(&notes)
                                    .unwrap_or_else(|_| serde_json::Value::Array(Vec::new())),
                            })
                        })
                        .collect()
                })
                .map_err(|cause| self.error(cause))
        })
    }

    /// Failures from pinwarden clients of `app` on manifest `version` since
    /// `since`, per cohort (for the rollout guard).
    pub async fn failures_by_cohort(
        &self,
        app: &str,
        version: i64,
        since: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "SELECT cohort, CAST(SUM(count) AS BIGINT) FROM reports WHERE app = $1 AND manifest_version = $2 \
                 AND received_at >= $3 AND cohort IS NOT NULL GROUP BY cohort",
            )
            .bind(app)
            .bind(version)
            .bind(since)
            .fetch_all(pool)
            .await
            .and_then(|rows| rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect())
            .map_err(|cause| self.error(cause))
        })
    }

    /// Deletes reports last seen before `before` (a failure still being
    /// counted stays); how many rows went.
    pub async fn delete_reports_before(&self, before: i64) -> Result<u64, StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM reports WHERE last_seen < $1")
                .bind(before)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
                .map_err(|cause| self.error(cause))
        })
    }

    /// Every report row's host (for tests that count what was stored).
    pub async fn report_hosts(&self) -> Result<Vec<String>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query("SELECT host FROM reports ORDER BY id")
                .fetch_all(pool)
                .await
                .and_then(|rows| rows.iter().map(|r| r.try_get(0)).collect())
                .map_err(|cause| self.error(cause))
        })
    }
}

#[cfg(test)]
mod tests {
    /// Migration 6 (issue 14) normalises the platforms that rows stored
    /// before it kept as the client sent them, as the parser does now.
    #[test]
    fn migration_6_normalises_stored_platforms() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch(include_str!("../../migrations/sqlite/0003_reports.sql"))
            .unwrap();
        let rows = [
            (Some("IOS"), "trustkit-ios", "ios"),
            (Some("MACOS"), "trustkit-ios", "macos"),
            (Some("TVOS"), "trustkit-ios", "tvos"),
            (Some("WATCHOS"), "trustkit-ios", "watchos"),
            (Some("ANDROID"), "trustkit-android", "android"),
            (Some("rust"), "pinwarden", "rust"),
            (None, "pinwarden", "rust"),
            (None, "rfc7469", "unknown"),
            (Some("BeOS"), "trustkit-ios", "unknown"),
        ];
        for (i, (platform, format, _)) in rows.iter().enumerate() {
            db.execute(
                "INSERT INTO reports (fingerprint, bucket, received_at, last_seen, count, host, port, \
                 format, platform, class, reason, chain, known_pins) \
                 VALUES (?1, 0, 0, 0, 1, 'h.example', 443, ?2, ?3, 'misconfiguration', '', '[]', '[]')",
                rusqlite::params![i.to_string(), format, platform],
            )
            .unwrap();
        }
        db.execute_batch(include_str!(
            "../../migrations/sqlite/0006_report_notes.sql"
        ))
        .unwrap();
        let mut query = db
            .prepare("SELECT platform, notes FROM reports ORDER BY id")
            .unwrap();
        let got: Vec<(String, String)> = query
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let want: Vec<(String, String)> = rows
            .iter()
            .map(|(_, _, p)| ((*p).to_owned(), "[]".to_owned()))
            .collect();
        assert_eq!(got, want);
    }
}
