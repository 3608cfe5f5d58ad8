//! A throw-away database of either backend, for tests that inspect what the shard stored.

use super::PgDb;
use std::collections::BTreeMap;
use store::StoreConfig;

/// Items whose owning player row does not exist (a starter kit left behind by a lost race or a
/// half-written creation). Valid SQL on both backends.
const SQL_ORPHANED_ITEMS: &str = "SELECT count(*) FROM items i WHERE i.container_kind = 1 \
     AND NOT EXISTS (SELECT 1 FROM players p WHERE p.id = i.container_id)";

/// A fresh SQLite file or PostgreSQL database, removed on drop.
pub enum TestDb {
    Sqlite { dir: tempfile::TempDir },
    Postgres(PgDb),
}

impl TestDb {
    /// An SQLite file in a new temporary directory (the shard's `--data-dir`).
    pub fn sqlite() -> TestDb {
        TestDb::Sqlite { dir: tempfile::tempdir().expect("temp dir") }
    }

    /// A new PostgreSQL database, or `None` (skip) when PostgreSQL is down outside CI.
    pub fn postgres() -> Option<TestDb> {
        PgDb::create().map(TestDb::Postgres)
    }

    /// The store configuration the shard binary derives from [`TestDb::shard_args`].
    pub fn store_config(&self) -> StoreConfig {
        match self {
            TestDb::Sqlite { dir } => StoreConfig::sqlite(dir.path().join(tools::serve::SQLITE_FILE)),
            TestDb::Postgres(db) => StoreConfig::postgres(db.url.clone()),
        }
    }

    /// The shard binary's storage flags for this database.
    pub fn shard_args(&self) -> Vec<String> {
        match self {
            TestDb::Sqlite { dir } => vec!["--data-dir".into(), dir.path().display().to_string()],
            TestDb::Postgres(db) => vec!["--database-url".into(), db.url.clone()],
        }
    }

    /// Runs a `SELECT count(*) …` and returns the count.
    pub fn count(&self, sql: &str) -> i64 {
        match self {
            TestDb::Sqlite { dir } => {
                let conn = rusqlite::Connection::open(dir.path().join(tools::serve::SQLITE_FILE)).unwrap();
                conn.query_row(sql, [], |r| r.get(0)).unwrap()
            }
            TestDb::Postgres(db) => {
                let mut client = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
                client.query_one(sql, &[]).unwrap().get(0)
            }
        }
    }

    /// Runs a query whose columns are all integers and returns its rows.
    pub fn rows(&self, sql: &str) -> Vec<Vec<i64>> {
        match self {
            TestDb::Sqlite { dir } => {
                let conn = rusqlite::Connection::open(dir.path().join(tools::serve::SQLITE_FILE)).unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                let width = stmt.column_count();
                let rows =
                    stmt.query_map([], |r| (0..width).map(|i| r.get(i)).collect::<Result<Vec<i64>, _>>());
                rows.unwrap().map(Result::unwrap).collect()
            }
            TestDb::Postgres(db) => {
                let mut client = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
                let rows = client.query(sql, &[]).unwrap();
                rows.iter().map(|r| (0..r.len()).map(|i| r.get::<_, i64>(i)).collect()).collect()
            }
        }
    }

    /// Runs a query of three integer columns `(a, b, n)` (cast to BIGINT) and returns `n` by
    /// `(a, b)`, e.g. item counts by kind and quality.
    pub fn totals(&self, sql: &str) -> BTreeMap<(i64, i64), i64> {
        self.rows(sql).into_iter().map(|r| ((r[0], r[1]), r[2])).collect()
    }

    /// Runs one statement that returns no rows (a test arranging stored state).
    pub fn execute(&self, sql: &str) {
        match self {
            TestDb::Sqlite { dir } => {
                let conn = rusqlite::Connection::open(dir.path().join(tools::serve::SQLITE_FILE)).unwrap();
                conn.execute(sql, []).unwrap();
            }
            TestDb::Postgres(db) => {
                let mut client = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
                client.execute(sql, &[]).unwrap();
            }
        }
    }

    /// Player rows stored.
    pub fn players(&self) -> i64 {
        self.count("SELECT count(*) FROM players")
    }

    /// Item rows stored.
    pub fn items(&self) -> i64 {
        self.count("SELECT count(*) FROM items")
    }

    /// Items owned by no stored player.
    pub fn orphaned_items(&self) -> i64 {
        self.count(SQL_ORPHANED_ITEMS)
    }
}
