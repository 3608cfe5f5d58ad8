//! SQLite statements, row conversions and the item operations, shared by the backend
//! (`sqlite.rs`) and its ownership transactions (`lite_owner.rs`).

use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, Transaction};
use rusqlite::{ToSql, params};

use super::owner::fence_verdict;
use super::{FaultPoint, Faults, ItemsLoad, cycle_verdict, item_from_parts, partition, to_u16, to_u32};
use crate::error::{BadRecord, RecordRef, StoreError};
use crate::owner::Fence;
use crate::record::{
    ChunkSave, Container, ItemOp, ItemRecord, ItemTx, ObjectRecord, PlayerRecord, Position, name_key,
};

pub(super) const PLAYER_COLS: &str = "p.id, p.name, p.token_hash, pp.map, pp.x, pp.y, p.health, p.hunger, \
     p.stamina, p.xp_combat, p.xp_crafting, p.xp_gathering";
pub(super) const PLAYER_FROM: &str = "players p JOIN player_positions pp ON pp.id = p.id";
pub(super) const ITEM_COLS: &str = "id, kind, quality, count, container_kind, container_id, slot";
pub(super) const OBJECT_COLS: &str = "id, map, grid_x, grid_y, kind, x, y, quality, stage, \
     stage_started_ms, stage_ends_ms, state, holds_items";

// Every write is an upsert on the primary key: `INSERT OR REPLACE` would delete a row that
// conflicts on another unique key (a player's name) and orphan what it owns.
pub(super) const SQL_SAVE_PLAYER: &str = "INSERT INTO players (id, name, name_key, token_hash, health, \
     hunger, stamina, xp_combat, xp_crafting, xp_gathering) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO UPDATE SET \
     name = excluded.name, name_key = excluded.name_key, token_hash = excluded.token_hash, \
     health = excluded.health, hunger = excluded.hunger, stamina = excluded.stamina, \
     xp_combat = excluded.xp_combat, xp_crafting = excluded.xp_crafting, \
     xp_gathering = excluded.xp_gathering";
/// A new player claims its name: nothing happens when the id or the name's key is taken.
pub(super) const SQL_CREATE_PLAYER: &str = "INSERT INTO players (id, name, name_key, token_hash, health, \
     hunger, stamina, xp_combat, xp_crafting, xp_gathering) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING";
pub(super) const SQL_SAVE_POSITION: &str = "INSERT INTO player_positions VALUES (?1, ?2, ?3, ?4) \
     ON CONFLICT (id) DO UPDATE SET map = excluded.map, x = excluded.x, y = excluded.y";
/// By the name's key; a legacy row whose key is unset (see migration V3) by its exact name, which
/// wins over a key match.
pub(super) const SQL_PLAYER_BY_NAME: &str = "WHERE p.name_key = ?1 OR (p.name_key IS NULL AND p.name = ?2) \
     ORDER BY p.name_key IS NULL DESC LIMIT 1";
pub(super) const SQL_POSITION: &str = "UPDATE player_positions SET map = ?2, x = ?3, y = ?4 WHERE id = ?1";
pub(super) const SQL_PUT_ITEM: &str = "INSERT INTO items VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, quality = excluded.quality, \
     count = excluded.count, container_kind = excluded.container_kind, \
     container_id = excluded.container_id, slot = excluded.slot";
pub(super) const SQL_MOVE_ITEM: &str =
    "UPDATE items SET container_kind = ?2, container_id = ?3, slot = ?4 WHERE id = ?1";
pub(super) const SQL_HOLDS_ITEMS: &str =
    "SELECT EXISTS (SELECT 1 FROM items WHERE container_kind = ?1 AND container_id = ?2)";
pub(super) const SQL_CYCLE: &str = "WITH RECURSIVE up(id, ck, cid, depth) AS ( \
     SELECT id, container_kind, container_id, 0 FROM items WHERE id = ?1 \
     UNION ALL SELECT i.id, i.container_kind, i.container_id, up.depth + 1 \
     FROM items i JOIN up ON up.ck = 3 AND i.id = up.cid WHERE up.depth < 64) \
     SELECT coalesce(sum(id = ?2), 0), count(*), coalesce(max(depth), 0) FROM up";
/// An item transaction's object: every field, the container flag included.
pub(super) const SQL_PUT_OBJECT: &str = "INSERT INTO objects (id, map, grid_x, grid_y, kind, x, y, quality, \
     stage, stage_started_ms, stage_ends_ms, state, holds_items) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (id) DO UPDATE SET \
     map = excluded.map, grid_x = excluded.grid_x, grid_y = excluded.grid_y, kind = excluded.kind, \
     x = excluded.x, y = excluded.y, quality = excluded.quality, stage = excluded.stage, \
     stage_started_ms = excluded.stage_started_ms, stage_ends_ms = excluded.stage_ends_ms, \
     state = excluded.state, holds_items = excluded.holds_items";
/// A chunk save's plain object: never overwrites a container object of the item layer.
pub(super) const SQL_SAVE_OBJECT: &str = "INSERT INTO objects (id, map, grid_x, grid_y, kind, x, y, quality, \
     stage, stage_started_ms, stage_ends_ms, state) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (id) DO UPDATE SET \
     map = excluded.map, grid_x = excluded.grid_x, grid_y = excluded.grid_y, kind = excluded.kind, \
     x = excluded.x, y = excluded.y, quality = excluded.quality, stage = excluded.stage, \
     stage_started_ms = excluded.stage_started_ms, stage_ends_ms = excluded.stage_ends_ms, \
     state = excluded.state WHERE objects.holds_items = 0";
/// Stores a batch's mark unless it is stored already (then the batch committed before).
pub(super) const SQL_COMMIT_MARK: &str = "INSERT INTO item_commits (writer, seq) VALUES (?1, ?2) \
     ON CONFLICT (writer) DO UPDATE SET seq = excluded.seq WHERE item_commits.seq < excluded.seq";
pub(super) const SQL_SAVE_CHUNK: &str = "INSERT INTO chunks VALUES (?1, ?2, ?3, ?4, ?5) \
     ON CONFLICT (map, cx, cy) DO UPDATE SET version = excluded.version, data = excluded.data";
pub(super) const SQL_ITEM_TREE: &str = "WITH RECURSIVE tree AS ( \
     SELECT id, kind, quality, count, container_kind, container_id, slot, 0 AS depth FROM items \
     WHERE container_kind = ?1 AND container_id = ?2 \
     UNION ALL SELECT c.id, c.kind, c.quality, c.count, c.container_kind, c.container_id, c.slot, \
     t.depth + 1 FROM items c JOIN tree t ON c.container_kind = 3 AND c.container_id = t.id \
     WHERE t.depth < 64) SELECT id, kind, quality, count, container_kind, container_id, slot FROM tree";
pub(super) const SQL_CHUNK_ITEMS: &str = "WITH RECURSIVE tree AS ( \
     SELECT i.id, i.kind, i.quality, i.count, i.container_kind, i.container_id, i.slot, 0 AS depth \
     FROM items i JOIN objects o ON i.container_kind = 2 AND i.container_id = o.id \
     WHERE o.map = ?1 AND o.grid_x = ?2 AND o.grid_y = ?3 \
     UNION ALL SELECT c.id, c.kind, c.quality, c.count, c.container_kind, c.container_id, c.slot, \
     t.depth + 1 FROM items c JOIN tree t ON c.container_kind = 3 AND c.container_id = t.id \
     WHERE t.depth < 64) SELECT id, kind, quality, count, container_kind, container_id, slot FROM tree";

/// Maps a driver error: a busy/locked/unreachable file may be retried, the rest is rejected.
pub(crate) fn lite_err(e: rusqlite::Error) -> StoreError {
    let transient = matches!(
        e.sqlite_error_code(),
        Some(
            ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::SystemIoFailure
                | ErrorCode::CannotOpen
                | ErrorCode::DiskFull
        )
    );
    if transient { StoreError::Unavailable(e.to_string()) } else { StoreError::Rejected(e.to_string()) }
}

/// Reads a column, turning a type mismatch into a bad-record error.
pub(super) fn col<T: rusqlite::types::FromSql>(row: &Row, i: usize, rec: &RecordRef) -> Result<T, BadRecord> {
    row.get(i).map_err(|e| BadRecord { record: rec.clone(), reason: e.to_string() })
}

/// Runs a players insert (`SQL_SAVE_PLAYER` or `SQL_CREATE_PLAYER`) for one record.
pub(super) fn write_player(
    stmt: &mut rusqlite::CachedStatement<'_>,
    p: &PlayerRecord,
) -> rusqlite::Result<usize> {
    write_player_with(stmt, p, &[])
}

/// Runs a players statement whose first ten parameters are the record's columns (id, name,
/// name key, token hash, vitals, experience) and whose next ones are `extra`.
pub(super) fn write_player_with(
    stmt: &mut rusqlite::CachedStatement<'_>,
    p: &PlayerRecord,
    extra: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<usize> {
    let key = name_key(&p.name);
    let columns: [&dyn rusqlite::ToSql; 10] = [
        &p.id,
        &p.name,
        &key,
        &p.token_hash,
        &p.health,
        &p.hunger,
        &p.stamina,
        &p.xp_combat,
        &p.xp_crafting,
        &p.xp_gathering,
    ];
    stmt.execute(rusqlite::params_from_iter(columns.iter().chain(extra)))
}

pub(super) fn player_from_row(row: &Row) -> Result<PlayerRecord, BadRecord> {
    let id: i64 = row.get(0).unwrap_or_default();
    let rec = RecordRef::Player(id);
    Ok(PlayerRecord {
        id,
        name: col(row, 1, &rec)?,
        token_hash: col(row, 2, &rec)?,
        map: to_u32(col(row, 3, &rec)?, &rec, "map")?,
        pos: Position { x: col(row, 4, &rec)?, y: col(row, 5, &rec)? },
        health: col(row, 6, &rec)?,
        hunger: col(row, 7, &rec)?,
        stamina: col(row, 8, &rec)?,
        xp_combat: col(row, 9, &rec)?,
        xp_crafting: col(row, 10, &rec)?,
        xp_gathering: col(row, 11, &rec)?,
    })
}

pub(super) fn item_from_row(row: &Row) -> Result<ItemRecord, BadRecord> {
    let id: i64 = row.get(0).unwrap_or_default();
    let rec = RecordRef::Item(id);
    let mut cols = [0i64; 6];
    for (i, c) in cols.iter_mut().enumerate() {
        *c = col(row, i + 1, &rec)?;
    }
    item_from_parts(id, cols)
}

pub(super) fn object_from_row(row: &Row) -> Result<ObjectRecord, BadRecord> {
    let id: i64 = row.get(0).unwrap_or_default();
    let rec = RecordRef::Object(id);
    Ok(ObjectRecord {
        id,
        map: to_u32(col(row, 1, &rec)?, &rec, "map")?,
        grid_x: col(row, 2, &rec)?,
        grid_y: col(row, 3, &rec)?,
        kind: to_u32(col(row, 4, &rec)?, &rec, "kind")?,
        pos: Position { x: col(row, 5, &rec)?, y: col(row, 6, &rec)? },
        quality: to_u32(col(row, 7, &rec)?, &rec, "quality")?,
        stage: to_u16(col(row, 8, &rec)?, &rec, "stage")?,
        stage_started_ms: col(row, 9, &rec)?,
        stage_ends_ms: col(row, 10, &rec)?,
        state: col(row, 11, &rec)?,
        holds_items: col(row, 12, &rec)?,
    })
}

pub(super) fn check_nesting(
    tx: &Transaction<'_>,
    target: i64,
    moving: i64,
) -> Result<Option<String>, StoreError> {
    let mut stmt = tx.prepare_cached(SQL_CYCLE).map_err(lite_err)?;
    let walk = stmt
        .query_row(params![target, moving], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(lite_err)?;
    Ok(cycle_verdict(target, moving, walk))
}

pub(super) fn holds_items(tx: &Transaction<'_>, c: Container) -> Result<bool, StoreError> {
    let (k, id) = c.to_parts();
    let mut stmt = tx.prepare_cached(SQL_HOLDS_ITEMS).map_err(lite_err)?;
    stmt.query_row(params![k, id], |r| r.get(0)).map_err(lite_err)
}

/// The columns both object statements write, in order.
pub(super) fn object_fields(o: &ObjectRecord) -> Vec<&dyn ToSql> {
    vec![
        &o.id,
        &o.map,
        &o.grid_x,
        &o.grid_y,
        &o.kind,
        &o.pos.x,
        &o.pos.y,
        &o.quality,
        &o.stage,
        &o.stage_started_ms,
        &o.stage_ends_ms,
        &o.state,
    ]
}

/// Writes an object of the item layer, its container flag included.
pub(super) fn put_object(tx: &Transaction<'_>, o: &ObjectRecord) -> Result<(), StoreError> {
    let mut fields = object_fields(o);
    fields.push(&o.holds_items);
    let mut stmt = tx.prepare_cached(SQL_PUT_OBJECT).map_err(lite_err)?;
    stmt.execute(fields.as_slice()).map_err(lite_err)?;
    Ok(())
}

/// Writes a plain object of a chunk save; a stored container object stays as it is.
pub(super) fn save_object(tx: &Transaction<'_>, o: &ObjectRecord) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(SQL_SAVE_OBJECT).map_err(lite_err)?;
    stmt.execute(object_fields(o).as_slice()).map_err(lite_err)?;
    Ok(())
}

/// Deletes the row of `holder` (`sql`: `DELETE … WHERE id = ?1`) unless it still holds items;
/// `Some(reason)` when it does.
pub(super) fn delete_container(
    tx: &Transaction<'_>,
    holder: Container,
    what: &str,
    sql: &str,
) -> Result<Option<String>, StoreError> {
    let id = holder.to_parts().1;
    if holds_items(tx, holder)? {
        return Ok(Some(format!("{what} {id} still holds items")));
    }
    let mut stmt = tx.prepare_cached(sql).map_err(lite_err)?;
    stmt.execute([id]).map_err(lite_err)?;
    Ok(None)
}

pub(super) fn put_item(tx: &Transaction<'_>, item: &ItemRecord) -> Result<Option<String>, StoreError> {
    if let Container::Item(target) = item.container
        && let Some(r) = check_nesting(tx, target, item.id)?
    {
        return Ok(Some(r));
    }
    let (ck, cid) = item.container.to_parts();
    let mut stmt = tx.prepare_cached(SQL_PUT_ITEM).map_err(lite_err)?;
    stmt.execute(params![item.id, item.kind, item.quality, item.count, ck, cid, item.slot])
        .map_err(lite_err)?;
    Ok(None)
}

pub(super) fn move_item(
    tx: &Transaction<'_>,
    id: i64,
    to: Container,
    slot: u32,
) -> Result<Option<String>, StoreError> {
    if let Container::Item(target) = to
        && let Some(r) = check_nesting(tx, target, id)?
    {
        return Ok(Some(r));
    }
    let (ck, cid) = to.to_parts();
    let mut stmt = tx.prepare_cached(SQL_MOVE_ITEM).map_err(lite_err)?;
    let n = stmt.execute(params![id, ck, cid, slot]).map_err(lite_err)?;
    Ok((n == 0).then(|| format!("item {id} does not exist")))
}

/// Runs one op; `Ok(Some(reason))` is an invariant violation that aborts the transaction.
pub(super) fn apply_op(tx: &Transaction<'_>, op: &ItemOp) -> Result<Option<String>, StoreError> {
    match op {
        ItemOp::Put(item) => put_item(tx, item),
        ItemOp::Move { id, to, slot } => move_item(tx, *id, *to, *slot),
        ItemOp::SetCount { id, count } => {
            let mut stmt =
                tx.prepare_cached("UPDATE items SET count = ?2 WHERE id = ?1").map_err(lite_err)?;
            let n = stmt.execute(params![id, count]).map_err(lite_err)?;
            Ok((n == 0).then(|| format!("item {id} does not exist")))
        }
        ItemOp::Delete { id } => {
            delete_container(tx, Container::Item(*id), "item", "DELETE FROM items WHERE id = ?1")
        }
        ItemOp::PutObject(obj) => put_object(tx, obj).map(|_| None),
        ItemOp::DeleteObject { id } => {
            delete_container(tx, Container::Object(*id), "object", "DELETE FROM objects WHERE id = ?1")
        }
    }
}

/// Runs the ops of one item transaction inside `tx`, with a fault point before each.
pub(super) fn run_item_tx(tx: &Transaction<'_>, faults: &Faults, itx: &ItemTx) -> Result<(), StoreError> {
    if let Some(fence) = itx.fence {
        check_fence(tx, fence)?;
    }
    for (i, op) in itx.ops.iter().enumerate() {
        faults.check(FaultPoint::ItemOp { op: i })?;
        if let Some(reason) = apply_op(tx, op)? {
            return Err(StoreError::ItemTx { label: itx.label.clone(), op: i, reason });
        }
    }
    Ok(())
}

pub(super) fn save_chunk(tx: &Transaction<'_>, save: &ChunkSave) -> Result<(), StoreError> {
    if let Some(c) = &save.chunk {
        let mut stmt = tx.prepare_cached(SQL_SAVE_CHUNK).map_err(lite_err)?;
        stmt.execute(params![c.key.map, c.key.cx, c.key.cy, c.version, c.data]).map_err(lite_err)?;
    }
    let keep: Vec<String> = save.objects.iter().map(|o| o.id.to_string()).collect();
    // Ids are integers we format ourselves: no injection is possible. A container object is the
    // item layer's, and an object that still holds items is never pruned (that would orphan
    // them) even if unmarked: it stays until emptied.
    let prune = format!(
        "DELETE FROM objects WHERE map = ?1 AND grid_x = ?2 AND grid_y = ?3 AND id NOT IN ({}) \
         AND holds_items = 0 AND NOT EXISTS \
         (SELECT 1 FROM items i WHERE i.container_kind = 2 AND i.container_id = objects.id)",
        keep.join(",")
    );
    tx.execute(&prune, params![save.key.map, save.key.cx, save.key.cy]).map_err(lite_err)?;
    save.objects.iter().filter(|o| !o.holds_items).try_for_each(|o| save_object(tx, o))
}

pub(super) fn query_items(conn: &Connection, sql: &str, p: &[&dyn ToSql]) -> Result<ItemsLoad, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(lite_err)?;
    let rows = stmt.query_map(p, |r| Ok(item_from_row(r))).map_err(lite_err)?;
    let rows = rows.collect::<Result<Vec<_>, _>>().map_err(lite_err)?;
    let (items, bad) = partition(rows);
    Ok(ItemsLoad { items, bad })
}

/// The map's current epoch (the write transaction is exclusive: no lock needed).
pub(super) fn map_epoch(tx: &Transaction<'_>, map: u32) -> Result<Option<i64>, StoreError> {
    let mut stmt = tx.prepare_cached("SELECT epoch FROM map_owners WHERE map = ?1").map_err(lite_err)?;
    stmt.query_row([map], |r| r.get(0)).optional().map_err(lite_err)
}

pub(super) fn check_fence(tx: &Transaction<'_>, fence: Fence) -> Result<(), StoreError> {
    fence_verdict(fence, map_epoch(tx, fence.map)?)
}

/// Checks every distinct fence.
pub(super) fn check_fences(tx: &Transaction<'_>, fences: &[Fence]) -> Result<(), StoreError> {
    for (i, f) in fences.iter().enumerate() {
        if !fences[..i].contains(f) {
            check_fence(tx, *f)?;
        }
    }
    Ok(())
}
