//! The store against real databases: an SQLite file and the machine's
//! PostgreSQL server (`$PINWARDEN_TEST_POSTGRES`).

use std::path::Path;

use pinwarden_server::Store;
use pinwarden_server::store::NewReport;
use pinwarden_server::store::Scenario;
use pinwarden_server::telemetry::SqliteReports;
use pinwarden_test_support::PostgresDb;

fn scenario(name: &str, scores: &[(&str, u8)]) -> Scenario {
    Scenario {
        name: name.to_owned(),
        radar: scores.iter().map(|&(d, v)| (d.to_owned(), v)).collect(),
        saved_at: 1_795_900_000,
    }
}

/// Saves, replaces, lists and deletes; then reopens the same database and
/// finds what was left, so migrations run once and data survives.
async fn round_trip(url: &str) {
    let store = Store::open(url).await.unwrap();
    assert!(store.scenarios().await.unwrap().is_empty());

    let a = scenario("no telemetry", &[("telemetry", 20)]);
    let b = scenario(
        "nöthing ownéd ✓",
        &[("ownership-runbooks", 0), ("ct-caa", 100)],
    );
    store.save_scenario(&a).await.unwrap();
    store.save_scenario(&b).await.unwrap();
    let replaced = scenario("no telemetry", &[("telemetry", 30), ("ca-agility", 5)]);
    store.save_scenario(&replaced).await.unwrap();
    assert_eq!(store.scenarios().await.unwrap(), vec![replaced, b]);

    assert!(store.delete_scenario("nöthing ownéd ✓").await.unwrap());
    assert!(!store.delete_scenario("nöthing ownéd ✓").await.unwrap());
    // A name that would be trouble if it reached the SQL text.
    let quoted = scenario("x'); DROP TABLE scenarios; --", &[]);
    store.save_scenario(&quoted).await.unwrap();
    store.close().await;

    let again = Store::open(url).await.unwrap();
    let names: Vec<String> = again
        .scenarios()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, vec!["no telemetry", "x'); DROP TABLE scenarios; --"]);
    again.close().await;
}

#[tokio::test]
async fn sqlite_keeps_scenarios_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/data/pw.db", dir.path().display());
    round_trip(&url).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("nested/data"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "the data directory is private");
    }
}

#[tokio::test]
async fn postgres_keeps_scenarios_across_reopening() {
    let db = PostgresDb::create();
    round_trip(&db.url).await;
}

#[tokio::test]
async fn bad_locations_are_named_and_passwords_hidden() {
    let e = Store::open("mysql://root@127.0.0.1/x")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("mysql://root@127.0.0.1/x") && e.contains("sqlite://"),
        "{e}"
    );

    // Port 1 on loopback: nothing listens, the connection is refused.
    let e = Store::open("postgres://app:hunter2@127.0.0.1:1/pw")
        .await
        .unwrap_err()
        .to_string();
    assert!(!e.contains("hunter2"), "{e}");
    assert!(e.contains("postgres://app:***@127.0.0.1:1/pw"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "not a directory").unwrap();
    let e = Store::open(&format!("sqlite://{}/pw.db", file.display()))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("can't create") && e.contains("file"), "{e}");
}

#[test]
fn scenarios_are_checked_before_saving() {
    assert!(scenario("fine", &[("telemetry", 100)]).check().is_ok());
    for (bad, needle) in [
        (scenario("", &[]), "1 to 64"),
        (scenario(&"x".repeat(65), &[]), "1 to 64"),
        (scenario("tab\there", &[]), "control"),
        (scenario("x", &[("nonsense", 1)]), "unknown radar dimension"),
        (scenario("x", &[("telemetry", 101)]), "0 to 100"),
    ] {
        let e = bad.check().unwrap_err().to_string();
        assert!(e.contains(needle), "{e}");
    }
}

fn new_report(host: &str, fingerprint: &str, at: i64) -> NewReport {
    NewReport {
        fingerprint: fingerprint.into(),
        received_at: at,
        app: Some("mobile".into()),
        host: host.into(),
        port: 443,
        format: "trustkit-ios".into(),
        app_version: None,
        platform: None,
        manifest_version: Some(3),
        cohort: Some(7),
        class: "possible-interception".into(),
        reason: "test".into(),
        validation_result: Some(1),
        enforced: Some(true),
        chain: "[]".into(),
        known_pins: "[]".into(),
        client_time: None,
        client_ip: None,
        notes: "[]".into(),
        source: None,
    }
}

/// Duplicates within the window are counted on one row (also within one
/// batch), retention deletes what is older, on both backends. `insert` is
/// the backend's writer: the store's batch insert on PostgreSQL, the
/// telemetry writer on SQLite.
async fn reports_dedup_and_retention(
    url: &str,
    mut insert: impl AsyncFnMut(&Store, &[NewReport]) -> Vec<bool>,
) {
    let store = Store::open(url).await.unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let batch = [
        new_report("a.example", "fa", now),
        new_report("a.example", "fa", now),
        new_report("b.example", "fb", now - 40 * 86_400),
    ];
    assert_eq!(insert(&store, &batch).await, [false, true, false]);
    assert_eq!(insert(&store, &batch[..1]).await, [true]);
    let filter = pinwarden_server::store::ReportFilter {
        since: now - 365 * 86_400,
        ..Default::default()
    };
    let summary = store.report_summary(&filter).await.unwrap();
    assert_eq!(summary.total, 4);
    assert_eq!(
        store.report_hosts().await.unwrap(),
        ["a.example", "b.example"]
    );
    assert_eq!(
        store
            .failures_by_cohort("mobile", 3, now - 60)
            .await
            .unwrap(),
        [(7, 3)]
    );
    assert_eq!(
        store
            .delete_reports_before(now - 30 * 86_400)
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.report_hosts().await.unwrap(), ["a.example"]);
    store.close().await;
}

/// The SQLite writer on `path`, opened on first use (after the store has
/// migrated the file), each batch synced.
fn sqlite_writer(path: &Path) -> impl AsyncFnMut(&Store, &[NewReport]) -> Vec<bool> {
    let mut writer: Option<SqliteReports> = None;
    async move |_: &Store, batch: &[NewReport]| {
        let writer = writer.get_or_insert_with(|| SqliteReports::open(path, 3600, 1000).unwrap());
        let duplicates = writer.insert(batch).unwrap();
        writer.sync().unwrap();
        duplicates
    }
}

#[tokio::test]
async fn reports_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pw.db");
    reports_dedup_and_retention(
        &format!("sqlite://{}", path.display()),
        sqlite_writer(&path),
    )
    .await;
}

/// The SQLite writer keeps the window's failures in memory: a new writer
/// rebuilds them from the file; a second writer on the same file is
/// refused; past its capacity a failure is stored but a repeat of it gets
/// its own row (the counts stay right); a remembered row deleted under it
/// is replaced, never counted on another failure's row.
#[tokio::test]
async fn sqlite_writer_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pw.db");
    let store = Store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let a = new_report("a.example", "0a", now);
    let b = new_report("b.example", "0b", now);
    let c = new_report("c.example", "0c", now);

    let mut writer = SqliteReports::open(&path, 3600, 2).unwrap();
    assert_eq!(
        writer.insert(&[a.clone(), b.clone()]).unwrap(),
        [false, false]
    );
    let second = SqliteReports::open(&path, 3600, 2).unwrap_err();
    assert!(second.contains("another pinwarden server"), "{second}");
    drop(writer);

    // The store's own batch insert is PostgreSQL's; on SQLite it says who writes.
    let e = store
        .insert_reports(std::slice::from_ref(&a), 3600)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("SqliteReports"), "{e}");

    // Rebuilt from the file: a and b are known, c fits no more.
    let mut writer = SqliteReports::open(&path, 3600, 2).unwrap();
    assert_eq!(
        writer.insert(&[a.clone(), c.clone()]).unwrap(),
        [true, false]
    );
    assert_eq!(
        writer.insert(&[c.clone(), b.clone()]).unwrap(),
        [false, true]
    );
    writer.sync().unwrap();
    let filter = pinwarden_server::store::ReportFilter {
        since: now - 86_400,
        ..Default::default()
    };
    assert_eq!(store.report_summary(&filter).await.unwrap().total, 6);
    assert_eq!(
        store.report_hosts().await.unwrap(),
        ["a.example", "b.example", "c.example", "c.example"]
    );

    // Retention takes every row; a's remembered row is gone, so a is new.
    assert_eq!(store.delete_reports_before(now + 1).await.unwrap(), 4);
    assert_eq!(writer.insert(std::slice::from_ref(&a)).unwrap(), [false]);
    assert_eq!(store.report_hosts().await.unwrap(), ["a.example"]);

    // A fingerprint that isn't pinwarden's hex is stored, never matched.
    let odd = new_report("odd.example", "not hex", now);
    assert_eq!(writer.insert(std::slice::from_ref(&odd)).unwrap(), [false]);
    assert_eq!(writer.insert(&[odd]).unwrap(), [false]);
    store.close().await;
}

#[tokio::test]
async fn reports_on_postgres() {
    let db = PostgresDb::create();
    reports_dedup_and_retention(&db.url, async |store: &Store, batch: &[NewReport]| {
        store.insert_reports(batch, 3600).await.unwrap()
    })
    .await;
}

/// Two replicas storing the same failures at once, in opposite orders:
/// before rows were locked in key order, PostgreSQL aborted one batch as a
/// deadlock (after a second's stall) now and then (issue 15, found by
/// bench/replicas.sh).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_of_the_same_failures_do_not_deadlock_on_postgres() {
    let db = PostgresDb::create();
    let a = Store::open(&db.url).await.unwrap();
    let b = Store::open(&db.url).await.unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for round in 0..20 {
        let forward: Vec<NewReport> = (0..300)
            .map(|i| new_report(&format!("h{i}.example"), &format!("f{round}-{i:04}"), now))
            .collect();
        let backward: Vec<NewReport> = forward.iter().rev().cloned().collect();
        let (x, y) = tokio::join!(
            a.insert_reports(&forward, 3600),
            b.insert_reports(&backward, 3600)
        );
        x.unwrap();
        y.unwrap();
    }
    let summary = a
        .report_summary(&pinwarden_server::store::ReportFilter {
            since: now - 60,
            app: None,
            host: None,
            class: None,
        })
        .await
        .unwrap();
    // Every failure stored once, counted twice.
    assert_eq!(summary.total, 20 * 300 * 2);
}
