//! Support for tests in this and other crates: a fresh store per test on each backend.
//!
//! PostgreSQL tests read `TEST_DATABASE_URL`. Without it they are skipped with a note on
//! stderr, except when `CI=true`, where a missing server is a failure: CI never skips them.

use std::sync::Arc;

use weiwan_domain::{TableId, Value};

use crate::{PgStore, SqliteStore, Store};

/// An empty in-memory SQLite store.
pub async fn sqlite() -> Arc<dyn Store> {
    match SqliteStore::connect("sqlite::memory:").await {
        Ok(store) => Arc::new(store),
        Err(err) => panic!("cannot open an in-memory sqlite store: {err:#}"),
    }
}

/// An empty PostgreSQL store in a schema of its own, or `None` when no server is configured
/// outside CI.
pub async fn postgres(test_name: &str) -> Option<Arc<dyn Store>> {
    let url = postgres_url(test_name).await?;
    match PgStore::connect(&url, None).await {
        Ok(store) => Some(Arc::new(store)),
        Err(err) => panic!("cannot open postgresql store at {url}: {err:#}"),
    }
}

/// A database URL confined to a fresh, empty schema (through the connection's `search_path`),
/// for tests that hand a URL to the binary. `None` when no server is configured outside CI.
pub async fn postgres_url(test_name: &str) -> Option<String> {
    let url = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!("TEST_DATABASE_URL must be set when CI=true: postgresql tests may not skip in CI");
            }
            eprintln!("skipping postgresql half of {test_name}: TEST_DATABASE_URL is not set");
            return None;
        }
    };
    let sanitized: String = test_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    // One schema per test name, dropped and recreated at the start of the test, so repeated
    // runs do not accumulate schemas in the shared test database.
    let schema = format!("t_{}", &sanitized[..sanitized.len().min(50)]);
    // A plain connection: going through PgStore would migrate the default schema.
    let admin = match sqlx::PgPool::connect(&url).await {
        Ok(admin) => admin,
        Err(err) => panic!("cannot connect to TEST_DATABASE_URL: {err}"),
    };
    for statement in [format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), format!("CREATE SCHEMA {schema}")] {
        if let Err(err) = sqlx::query(sqlx::AssertSqlSafe(statement.clone())).execute(&admin).await {
            panic!("cannot prepare schema {schema}: {err}");
        }
    }
    admin.close().await;
    let separator = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{separator}options=-c%20search_path%3D{schema}"))
}

/// Parses a row written as extract fields, so tests read like the files operators send.
/// Panics on a field the column refuses: fixtures are the test's own.
pub fn row(table: TableId, fields: &[&str]) -> Vec<Value> {
    let columns = table.table().columns;
    assert_eq!(columns.len(), fields.len(), "{table} has {} columns", columns.len());
    columns
        .iter()
        .zip(fields)
        .map(|(c, f)| c.parse(f).unwrap_or_else(|e| panic!("{}: {e}", c.name)))
        .collect()
}
