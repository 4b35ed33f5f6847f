//! A throwaway database on the machine's PostgreSQL server, made with `psql`
//! and dropped when the value is.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable naming the PostgreSQL server tests use.
pub const POSTGRES_ENV: &str = "PINWARDEN_TEST_POSTGRES";

/// A fresh, empty database; dropped (connections and all) with the value.
#[derive(Debug)]
pub struct PostgresDb {
    admin_url: String,
    name: String,
    /// The database's URL.
    pub url: String,
}

fn psql(url: &str, sql: &str) -> Result<(), String> {
    let out = Command::new("psql")
        .args([
            url,
            "--no-psqlrc",
            "--quiet",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .output()
        .map_err(|e| format!("psql can't run ({e}): ./scripts/test installs postgresql-client"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

impl PostgresDb {
    /// Creates a database on the server `$PINWARDEN_TEST_POSTGRES` names.
    ///
    /// # Panics
    /// When the variable is unset or the server refuses: these tests don't
    /// skip; `./scripts/test` and `.ci/run` set the variable.
    pub fn create() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let admin_url = std::env::var(POSTGRES_ENV).unwrap_or_else(|_| {
            panic!(
                "{POSTGRES_ENV} is not set: point it at a PostgreSQL server \
                 (./scripts/test uses postgres://postgres@127.0.0.1:5432/test)"
            )
        });
        let name = format!(
            "pinwarden_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000
        );
        psql(&admin_url, &format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("creating {name} on {admin_url}: {e}"));
        let (base, _) = admin_url
            .rsplit_once('/')
            .unwrap_or_else(|| panic!("{POSTGRES_ENV}={admin_url} has no database part"));
        let url = format!("{base}/{name}");
        Self {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for PostgresDb {
    fn drop(&mut self) {
        let _ = psql(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}
