//! Versioned schema migrations from `schemas/migrations/{postgres,sqlite}`, applied at start with
//! refinery (history table `schema_migrations`), on a connection the caller opened (the
//! backend's `Connector::migrate` opens it: this module knows no backend).

use crate::error::StoreError;
use crate::record::name_key;

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

/// Applies pending PostgreSQL migrations under an advisory lock (held by `client`'s session).
pub fn postgres(client: &mut postgres::Client) -> Result<Vec<String>, StoreError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).map_err(mig_err)?;
    let result = pg::migrations::runner().set_migration_table_name(HISTORY_TABLE).run(client);
    let backfill = result.is_ok().then(|| backfill_pg(client));
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    let applied = report(result.map_err(mig_err)?);
    backfill.transpose()?;
    if !applied.is_empty() {
        tracing::info!(?applied, "postgres migrations applied");
    }
    Ok(applied)
}

/// Applies pending SQLite migrations.
pub fn sqlite(conn: &mut rusqlite::Connection) -> Result<Vec<String>, StoreError> {
    let result = lite::migrations::runner().set_migration_table_name(HISTORY_TABLE).run(conn);
    let applied = report(result.map_err(mig_err)?);
    backfill_sqlite(conn)?;
    if !applied.is_empty() {
        tracing::info!(?applied, "sqlite migrations applied");
    }
    Ok(applied)
}

/// Sets the key of a row written before the name keys existed, unless another row holds it.
const SQL_SET_NAME_KEY: &str = "UPDATE players SET name_key = $2 WHERE id = $1 \
     AND NOT EXISTS (SELECT 1 FROM players WHERE name_key = $2)";
const SQL_UNKEYED: &str = "SELECT id, name FROM players WHERE name_key IS NULL ORDER BY id";

/// Gives every player row without a name key its key ([`name_key`], computed here in Rust, so
/// both databases agree). The oldest row of names that share a key gets it; the others keep none
/// and stay reachable by their exact name (logged).
fn backfill_pg(client: &mut postgres::Client) -> Result<(), StoreError> {
    let mut tx = client.transaction().map_err(mig_err)?;
    let rows = tx.query(SQL_UNKEYED, &[]).map_err(mig_err)?;
    let mut keyed = 0;
    for row in &rows {
        let (id, name): (i64, String) = (row.get(0), row.get(1));
        keyed += tx.execute(SQL_SET_NAME_KEY, &[&id, &name_key(&name)]).map_err(mig_err)? as usize;
    }
    tx.commit().map_err(mig_err)?;
    log_backfill(rows.len(), keyed);
    Ok(())
}

/// [`backfill_pg`] for SQLite.
fn backfill_sqlite(conn: &mut rusqlite::Connection) -> Result<(), StoreError> {
    let tx = conn.transaction().map_err(mig_err)?;
    let rows: Vec<(i64, String)> = {
        let mut stmt = tx.prepare(SQL_UNKEYED).map_err(mig_err)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(mig_err)?;
        rows.collect::<Result<_, _>>().map_err(mig_err)?
    };
    let sql = SQL_SET_NAME_KEY.replace('$', "?");
    let mut keyed = 0;
    for (id, name) in &rows {
        keyed += tx.execute(&sql, rusqlite::params![id, name_key(name)]).map_err(mig_err)?;
    }
    tx.commit().map_err(mig_err)?;
    log_backfill(rows.len(), keyed);
    Ok(())
}

fn log_backfill(unkeyed: usize, keyed: usize) {
    if unkeyed > 0 {
        tracing::info!(keyed, "player name keys backfilled");
    }
    if keyed < unkeyed {
        tracing::warn!(
            players = unkeyed - keyed,
            "player names that differ only in case or Unicode form from an older name keep no name \
             key: they log in by their exact name only"
        );
    }
}
