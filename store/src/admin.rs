//! Administrative helpers for tools, benchmarks and tests: create or drop a PostgreSQL database.

use crate::backend::PgBackend;
use crate::backend::pg_err;
use crate::error::StoreError;

/// `base` (a `postgres://` URL) with its database name replaced by `db`.
pub fn url_with_database(base: &str, db: &str) -> String {
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let (head, tail) = base.split_at(scheme_end);
    let path_start = tail.find('/').unwrap_or(tail.len());
    let query = tail[path_start..].find('?').map(|q| &tail[path_start + q..]).unwrap_or("");
    format!("{head}{}/{db}{query}", &tail[..path_start])
}

fn check_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() < 64
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok { Ok(()) } else { Err(StoreError::Rejected(format!("bad database name '{name}'"))) }
}

/// Creates database `name` through the server at `admin_url`; returns the new database's URL.
pub fn create_database(admin_url: &str, name: &str) -> Result<String, StoreError> {
    check_name(name)?;
    let mut c = PgBackend::raw_client(admin_url)?;
    c.batch_execute(&format!("CREATE DATABASE {name}")).map_err(pg_err)?;
    Ok(url_with_database(admin_url, name))
}

/// Drops database `name` (terminating its sessions) if it exists.
pub fn drop_database(admin_url: &str, name: &str) -> Result<(), StoreError> {
    check_name(name)?;
    let mut c = PgBackend::raw_client(admin_url)?;
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).map_err(pg_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_rewrite() {
        let f = url_with_database;
        assert_eq!(f("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(f("postgres://u@h/postgres?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
        assert_eq!(f("postgres://u@h", "x"), "postgres://u@h/x");
        assert!(check_name("a; DROP").is_err());
    }
}
