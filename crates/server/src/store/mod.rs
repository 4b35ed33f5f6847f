//! The server's state: SQLite by default (one file under `./pinwarden-data`),
//! PostgreSQL when given a `postgres://` URL. Both run the same queries with
//! `$1` placeholders; each has its own migrations folder, embedded in the
//! binary.

use std::borrow::Cow;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::ConnectOptions as _;
use sqlx::Connection as _;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};

mod ct_alerts;
mod ct_state;
mod guard;
mod location;
mod manifests;
mod reports;
pub(crate) mod scenarios;
mod sqlite_file;

pub use ct_state::{CtFence, CtLease, FencedWrite};
pub use guard::{CHANGES_CHANNEL, SeenClient, SourceCount};
pub use location::redact;
pub use manifests::{RolloutEvent, RolloutState, StoredManifest};
pub(crate) use reports::fold;
pub use reports::{Count, NewReport, ReportFilter, StoredReport, Summary};
pub use scenarios::{Scenario, ScenarioError};

/// Where the server keeps its state.
#[derive(Clone, Debug)]
pub enum Store {
    /// An SQLite file.
    Sqlite(SqlitePool),
    /// A PostgreSQL database.
    Postgres(PgPool),
}

/// Why the store can't be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no backend pinwarden has.
    #[error("{0}: not a database URL pinwarden knows (use sqlite://PATH or postgres://…)")]
    Url(String),
    /// The SQLite file's directory can't be created.
    #[error("can't create {path}: {cause}")]
    Directory {
        /// The directory.
        path: String,
        /// What the system said.
        cause: std::io::Error,
    },
    /// A file of the SQLite database can't be checked or created.
    #[error("{path}: {cause}")]
    File {
        /// The file.
        path: String,
        /// What the system said.
        cause: std::io::Error,
    },
    /// The database's directory or a file of it is open to group or others
    /// and can't be made private.
    #[error(
        "{path} is open to group or others (mode {mode:04o}) and can't be made private ({cause}): \
         run chmod {want:o} {path} as its owner, or choose another --database"
    )]
    Permissions {
        /// The directory or file.
        path: String,
        /// Its mode.
        mode: u32,
        /// The mode it should have.
        want: u32,
        /// What the system said.
        cause: std::io::Error,
    },
    /// The database's directory is shared by design (sticky, like `/tmp`).
    #[error(
        "{path} is shared with other users (mode {mode:04o}): keep the database in a \
         directory of its own, such as {path}/pinwarden/pinwarden.db"
    )]
    SharedDirectory {
        /// The directory.
        path: String,
        /// Its mode.
        mode: u32,
    },
    /// The database path is a symbolic link to nothing.
    #[error(
        "{path} is a symbolic link to {target}, which doesn't exist: create that file \
         (empty will do; mode 0600) or remove the link"
    )]
    DanglingLink {
        /// The link.
        path: String,
        /// Where it points.
        target: String,
    },
    /// A journal, WAL or shared-memory file is a symbolic link: SQLite would
    /// write through it.
    #[error(
        "{path} is a symbolic link: SQLite would write the database's journal through it; \
         remove it (only the database path itself may be a link)"
    )]
    LinkedCompanion {
        /// The link.
        path: String,
    },
    /// The database refused or failed.
    #[error("database {location}: {cause}")]
    Database {
        /// Where, with any password hidden.
        location: String,
        /// What the driver said.
        cause: sqlx::Error,
    },
    /// The schema couldn't be brought up to date.
    #[error("database {location}: migrating the schema: {cause}")]
    Migrate {
        /// Where, with any password hidden.
        location: String,
        /// What the migrator said.
        cause: sqlx::migrate::MigrateError,
    },
    /// The operation isn't done this way on this backend.
    #[error("{0}")]
    Unsupported(&'static str),
}

/// Runs `$body` with `$pool` bound to whichever pool the store holds; the
/// queries are the same text for both backends.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// The default database: a file in `./pinwarden-data`.
pub const DEFAULT_URL: &str = "sqlite://pinwarden-data/pinwarden.db";

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "scenarios",
        include_str!("../../migrations/sqlite/0001_scenarios.sql"),
    ),
    (
        2,
        "manifests",
        include_str!("../../migrations/sqlite/0002_manifests.sql"),
    ),
    (
        3,
        "reports",
        include_str!("../../migrations/sqlite/0003_reports.sql"),
    ),
    (
        4,
        "ct_alerts",
        include_str!("../../migrations/sqlite/0004_ct_alerts.sql"),
    ),
    (
        5,
        "reports_dedup_in_memory",
        include_str!("../../migrations/sqlite/0005_reports_dedup_in_memory.sql"),
    ),
    (
        6,
        "report_notes",
        include_str!("../../migrations/sqlite/0006_report_notes.sql"),
    ),
    (
        7,
        "replicas",
        include_str!("../../migrations/sqlite/0007_replicas.sql"),
    ),
    (
        8,
        "ct_leases",
        include_str!("../../migrations/sqlite/0008_ct_leases.sql"),
    ),
];

const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "scenarios",
        include_str!("../../migrations/postgres/0001_scenarios.sql"),
    ),
    (
        2,
        "manifests",
        include_str!("../../migrations/postgres/0002_manifests.sql"),
    ),
    (
        3,
        "reports",
        include_str!("../../migrations/postgres/0003_reports.sql"),
    ),
    (
        4,
        "ct_alerts",
        include_str!("../../migrations/postgres/0004_ct_alerts.sql"),
    ),
    (
        5,
        "reports_dedup_in_memory",
        include_str!("../../migrations/postgres/0005_reports_dedup_in_memory.sql"),
    ),
    (
        6,
        "report_notes",
        include_str!("../../migrations/postgres/0006_report_notes.sql"),
    ),
    (
        7,
        "replicas",
        include_str!("../../migrations/postgres/0007_replicas.sql"),
    ),
    (
        8,
        "ct_leases",
        include_str!("../../migrations/postgres/0008_ct_leases.sql"),
    ),
];

fn migrator(list: &[(i64, &'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        list.iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sqlx::SqlSafeStr::into_sql_str(sql),
                    false,
                )
            })
            .collect(),
    )
}

impl Store {
    /// Opens (creating if needed) the database at `url` and migrates it.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let location = redact(url);
        let database = |cause| StoreError::Database {
            location: location.clone(),
            cause,
        };
        let store = if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let options = SqliteConnectOptions::from_str(url).map_err(database)?;
            let options = if in_memory(path) {
                options
            } else {
                // The path as sqlx decoded it, made private and with a
                // symbolic link resolved.
                let file = sqlite_file::prepare(options.get_filename())?;
                options.filename(file)
            };
            let options = options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                // 64 MiB of page cache for the pool's reads (aggregates over
                // the reports table); reports are written by the telemetry writer.
                .pragma("cache_size", "-65536");
            // Few connections: SQLite has one writer anyway, and each
            // connection's sqlx worker thread spins (sched_yield) while it
            // waits for work, taking CPU from the requests.
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(2)
                .connect_with(options)
                .await
                .map_err(database)?;
            Self::Sqlite(pool)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(database)?;
            // One direct connection first, so a wrong address or password
            // fails at once with the server's reason rather than after the
            // pool's retries time out.
            options
                .connect()
                .await
                .map_err(database)?
                .close()
                .await
                .map_err(database)?;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(database)?;
            Self::Postgres(pool)
        } else {
            return Err(StoreError::Url(location));
        };
        let migrated = match &store {
            Self::Sqlite(pool) => migrator(SQLITE_MIGRATIONS).run(pool).await,
            Self::Postgres(pool) => migrator(POSTGRES_MIGRATIONS).run(pool).await,
        };
        migrated.map_err(|cause| StoreError::Migrate { location, cause })?;
        Ok(store)
    }

    /// The SQLite file, for a store that is one.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        match self {
            Self::Sqlite(pool) => Some(pool.connect_options().get_filename().to_owned()),
            Self::Postgres(_) => None,
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// A query's failure, named by backend.
    pub(crate) fn error(&self, cause: sqlx::Error) -> StoreError {
        StoreError::Database {
            location: self.backend().to_owned(),
            cause,
        }
    }

    /// Closes every connection (SQLite checkpoints its write-ahead log).
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
    }
}

/// Whether an `sqlite:` URL's path (after the scheme) names an in-memory
/// database, as sqlx reads it: `:memory:` or `mode=memory`.
fn in_memory(path: &str) -> bool {
    let (database, params) = path.split_once('?').unwrap_or((path, ""));
    database == ":memory:"
        || url::form_urlencoded::parse(params.as_bytes()).any(|(k, v)| k == "mode" && v == "memory")
}
