//! PostgreSQL for the tests, when one runs: `OPSDECK_TEST_POSTGRES` names a server
//! (`postgres://opsdeck@127.0.0.1:15432`, which `.ci/run` starts), and each test server gets a
//! database of its own there, made fresh. Without it the tests run on SQLite alone.
#![allow(dead_code)]

/// The server the tests may use, if one is named.
pub fn server() -> Option<String> {
    std::env::var("OPSDECK_TEST_POSTGRES").ok().filter(|url| !url.trim().is_empty())
}

/// A new, empty database on `server`; its URL.
pub async fn fresh_database(server: &str) -> String {
    use sqlx::Connection;
    let base = server.trim_end_matches('/');
    let admin = format!("{base}/postgres");
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| panic!("connecting to {admin}: {e}"));
    let name = format!("opsdeck_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("creating a test database");
    conn.close().await.ok();
    format!("{base}/{name}")
}
