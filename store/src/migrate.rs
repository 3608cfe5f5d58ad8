//! Versioned schema migrations from `schemas/migrations/{postgres,sqlite}`, applied at start with
//! refinery (history table `schema_migrations`).

use std::path::Path;

use crate::error::StoreError;

mod pg {
    refinery::embed_migrations!("../schemas/migrations/postgres");
}

mod lite {
    refinery::embed_migrations!("../schemas/migrations/sqlite");
}

const HISTORY_TABLE: &str = "schema_migrations";
/// Advisory lock key serializing migrations of shards that start together.
const MIGRATION_LOCK: i64 = 0x5348_4152_444d_4947;

fn report(r: refinery::Report) -> Vec<String> {
    r.applied_migrations().iter().map(|m| m.to_string()).collect()
}

fn mig_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Migration(e.to_string())
}

/// Applies pending PostgreSQL migrations under an advisory lock.
pub fn postgres(url: &str) -> Result<Vec<String>, StoreError> {
    let mut client = crate::backend::PgBackend::raw_client(url)?;
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).map_err(mig_err)?;
    let result = pg::migrations::runner().set_migration_table_name(HISTORY_TABLE).run(&mut client);
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    let applied = report(result.map_err(mig_err)?);
    if !applied.is_empty() {
        tracing::info!(?applied, "postgres migrations applied");
    }
    Ok(applied)
}

/// Applies pending SQLite migrations (the file is created if missing).
pub fn sqlite(path: &Path) -> Result<Vec<String>, StoreError> {
    let mut conn = crate::backend::SqliteBackend::raw_connection(path)?;
    let result = lite::migrations::runner().set_migration_table_name(HISTORY_TABLE).run(&mut conn);
    let applied = report(result.map_err(mig_err)?);
    if !applied.is_empty() {
        tracing::info!(?applied, "sqlite migrations applied");
    }
    Ok(applied)
}
