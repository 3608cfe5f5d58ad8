//! Test support: a fresh PostgreSQL database, SQLite file or Redis prefix per test, removed on drop.
//!
//! Under `CI=true` a missing service fails the test; otherwise the test prints a notice and skips.

#![allow(dead_code)]

pub mod owned;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use store::meta::RedisMeta;
use store::{BackendConfig, Connector, StoreConfig};

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn unavailable(service: &str, err: &dyn std::fmt::Display) {
    if required() {
        panic!("{service} is required under CI=true but unavailable: {err}");
    }
    eprintln!("NOTICE: skipping test, {service} unavailable: {err}");
}

pub fn pg_base_url() -> String {
    std::env::var("SHARD_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub fn redis_url() -> String {
    std::env::var("SHARD_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A throw-away PostgreSQL database, dropped (connections terminated) on drop.
pub struct PgDb {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl PgDb {
    pub fn connector(&self) -> Connector {
        Connector::new(BackendConfig::Postgres { url: self.url.clone() })
    }

    pub fn config(&self) -> StoreConfig {
        StoreConfig::postgres(self.url.clone())
    }

    /// A plain client on the test database, for inspecting or sabotaging it.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("connect test db")
    }

    fn admin(&self) -> postgres::Client {
        postgres::Client::connect(&self.admin_url, postgres::NoTls).expect("connect admin db")
    }

    /// Terminates every other session on the test database; returns how many.
    pub fn kill_connections(&self) -> i64 {
        let mut c = self.admin();
        let row = c
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&self.name],
            )
            .expect("terminate");
        row.get(0)
    }

    /// Refuses new connections and kills the open ones: the database is "down".
    pub fn take_down(&self) {
        let mut c = self.admin();
        c.batch_execute(&format!("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false", self.name))
            .expect("disallow connections");
        drop(c);
        self.kill_connections();
    }

    pub fn bring_up(&self) {
        let mut c = self.admin();
        c.batch_execute(&format!("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true", self.name))
            .expect("allow connections");
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            if let Err(e) = c.batch_execute(&sql) {
                eprintln!("could not drop test database {}: {e}", self.name);
            }
        }
    }
}

/// Creates a fresh database, or `None` (skip) when PostgreSQL is down outside CI.
pub fn pg_db() -> Option<PgDb> {
    let admin_url = pg_base_url();
    let mut admin = match postgres::Client::connect(&admin_url, postgres::NoTls) {
        Ok(c) => c,
        Err(e) => {
            unavailable("PostgreSQL", &e);
            return None;
        }
    };
    let name = format!("shard_test_{}", unique());
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
    let url = store::admin::url_with_database(&admin_url, &name);
    Some(PgDb { name, url, admin_url })
}

/// A throw-away SQLite file in its own directory, removed on drop.
pub struct LiteDb {
    dir: PathBuf,
    pub path: PathBuf,
}

impl LiteDb {
    pub fn connector(&self) -> Connector {
        Connector::new(BackendConfig::Sqlite { path: self.path.clone() })
    }

    pub fn config(&self) -> StoreConfig {
        StoreConfig::sqlite(self.path.clone())
    }
}

impl Drop for LiteDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn sqlite_db() -> LiteDb {
    let dir = std::env::temp_dir().join(format!("shard_store_test_{}", unique()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("world.db");
    LiteDb { dir, path }
}

/// A Redis metadata store under a fresh key prefix, whose keys are deleted on drop.
pub struct RedisGuard(pub RedisMeta);

impl Drop for RedisGuard {
    fn drop(&mut self) {
        if let Err(e) = self.0.delete_all() {
            eprintln!("could not clean test redis keys: {e}");
        }
    }
}

pub fn redis_meta() -> Option<RedisGuard> {
    let prefix = format!("shard_test:{}", unique());
    match RedisMeta::connect(&redis_url(), &prefix) {
        Ok(m) => Some(RedisGuard(m)),
        Err(e) => {
            unavailable("Redis", &e);
            None
        }
    }
}

/// Generates the test modules `postgres_backend` and `sqlite_backend` of a test file: each
/// `connector:` function `f(&Connector)` and each `config:` function `f(StoreConfig)` runs as a
/// test on a fresh database of each backend; `postgres: { … }` and `sqlite: { … }` add the items
/// (tests) of one backend to its module. Use after `mod common;` as `common::on_both_backends!`.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    (
        $(connector: [$($c:ident),* $(,)?])?
        $(config: [$($s:ident),* $(,)?])?
        $(postgres: { $($pg:item)* })?
        $(sqlite: { $($lite:item)* })?
    ) => {
        mod postgres_backend {
            $($(#[test] fn $c() {
                let Some(db) = crate::common::pg_db() else { return };
                super::$c(&db.connector());
            })*)?
            $($(#[test] fn $s() {
                let Some(db) = crate::common::pg_db() else { return };
                super::$s(db.config());
            })*)?
            $($($pg)*)?
        }
        mod sqlite_backend {
            $($(#[test] fn $c() {
                let db = crate::common::sqlite_db();
                super::$c(&db.connector());
            })*)?
            $($(#[test] fn $s() {
                let db = crate::common::sqlite_db();
                super::$s(db.config());
            })*)?
            $($($lite)*)?
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_backends;
