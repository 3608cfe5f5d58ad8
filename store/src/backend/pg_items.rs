//! PostgreSQL statements prepared per connection, row conversions and the item operations, shared by
//! the backend (`postgres.rs`) and its ownership transactions (`pg_owner.rs`).

use postgres::types::ToSql;
use postgres::{Client, Row, Statement, Transaction};

use super::owner::fence_verdict;
use super::pg_sql::*;
use super::{FaultPoint, Faults, cycle_verdict, item_from_parts, to_u16, to_u32};
use crate::error::{BadRecord, RecordRef, StoreError};
use crate::owner::Fence;
use crate::record::{
    ChunkRecord, ChunkSave, Container, ItemOp, ItemRecord, ItemTx, ObjectRecord, PlayerRecord, Position,
    name_key,
};

/// Serializes item transactions that nest items, across shards, so two concurrent moves cannot
/// build a cycle that each cycle check alone would miss.
pub(super) const NESTING_LOCK: i64 = 0x5348_4152_4449_544d;

/// Statements prepared once per connection: every write of an item transaction or a chunk save
/// and every load is one round trip.
pub(super) struct Prepared {
    pub(super) positions: Statement,
    pub(super) put_item: Statement,
    pub(super) move_item: Statement,
    pub(super) set_count: Statement,
    pub(super) delete_item: Statement,
    pub(super) delete_object: Statement,
    pub(super) put_object: Statement,
    pub(super) cycle: Statement,
    pub(super) commit_mark: Statement,
    pub(super) nesting_lock: Statement,
    pub(super) save_chunks: Statement,
    pub(super) save_objects: Statement,
    pub(super) prune_objects: Statement,
    pub(super) item_tree: Statement,
    pub(super) chunk: Statement,
    pub(super) objects: Statement,
    pub(super) chunk_items: Statement,
    pub(super) map_epoch: Statement,
}

impl Prepared {
    pub(super) fn new(client: &mut Client) -> Result<Prepared, StoreError> {
        let mut prepare = |sql: &str| client.prepare(sql).map_err(pg_err);
        Ok(Prepared {
            positions: prepare(SQL_POSITIONS)?,
            put_item: prepare(SQL_PUT_ITEM)?,
            move_item: prepare(SQL_MOVE_ITEM)?,
            set_count: prepare(SQL_ITEM_COUNT)?,
            delete_item: prepare(SQL_DELETE_ITEM)?,
            delete_object: prepare(SQL_DELETE_OBJECT)?,
            put_object: prepare(SQL_PUT_OBJECT)?,
            cycle: prepare(SQL_CYCLE)?,
            commit_mark: prepare(SQL_COMMIT_MARK)?,
            nesting_lock: prepare(SQL_NESTING_LOCK)?,
            save_chunks: prepare(SQL_SAVE_CHUNKS)?,
            save_objects: prepare(SQL_SAVE_OBJECTS)?,
            prune_objects: prepare(SQL_PRUNE_OBJECTS)?,
            item_tree: prepare(SQL_ITEM_TREE)?,
            chunk: prepare("SELECT version, data FROM chunks WHERE map = $1 AND cx = $2 AND cy = $3")?,
            objects: prepare(&format!(
                "SELECT {OBJECT_COLS} FROM objects WHERE map = $1 AND grid_x = $2 AND grid_y = $3"
            ))?,
            chunk_items: prepare(SQL_CHUNK_ITEMS)?,
            map_epoch: prepare(SQL_MAP_EPOCH)?,
        })
    }
}

/// Maps a driver error: connection-class and transient server errors may be retried.
pub(crate) fn pg_err(e: postgres::Error) -> StoreError {
    let msg = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    };
    let transient = match e.code() {
        Some(code) => matches!(&code.code()[..2], "08" | "40" | "53" | "57" | "58"),
        None => {
            e.is_closed()
                || msg.contains("communicating")
                || msg.contains("connecting")
                || msg.contains("timeout")
        }
    };
    if transient { StoreError::Unavailable(msg) } else { StoreError::Rejected(msg) }
}

pub(super) fn map_i32(map: u32) -> i32 {
    map as i32
}

pub(super) fn player_from_row(row: &Row) -> Result<PlayerRecord, BadRecord> {
    let id: i64 = row.get(0);
    let rec = RecordRef::Player(id);
    let bad = |e: postgres::Error| BadRecord { record: rec.clone(), reason: e.to_string() };
    Ok(PlayerRecord {
        id,
        name: row.try_get(1).map_err(bad)?,
        token_hash: row.try_get(2).map_err(bad)?,
        map: row.try_get::<_, i32>(3).map_err(bad)? as u32,
        pos: Position { x: row.try_get(4).map_err(bad)?, y: row.try_get(5).map_err(bad)? },
        health: row.try_get(6).map_err(bad)?,
        hunger: row.try_get(7).map_err(bad)?,
        stamina: row.try_get(8).map_err(bad)?,
        xp_combat: row.try_get(9).map_err(bad)?,
        xp_crafting: row.try_get(10).map_err(bad)?,
        xp_gathering: row.try_get(11).map_err(bad)?,
    })
}

pub(super) fn item_from_row(row: &Row) -> Result<ItemRecord, BadRecord> {
    let id: i64 = row.get(0);
    let ck: i16 = row.get(4);
    item_from_parts(id, [row.get(1), row.get(2), row.get(3), ck.into(), row.get(5), row.get(6)])
}

pub(super) fn object_from_row(row: &Row) -> Result<ObjectRecord, BadRecord> {
    let id: i64 = row.get(0);
    let rec = RecordRef::Object(id);
    let bad = |e: postgres::Error| BadRecord { record: rec.clone(), reason: e.to_string() };
    Ok(ObjectRecord {
        id,
        map: row.try_get::<_, i32>(1).map_err(bad)? as u32,
        grid_x: row.try_get(2).map_err(bad)?,
        grid_y: row.try_get(3).map_err(bad)?,
        kind: to_u32(row.try_get(4).map_err(bad)?, &rec, "kind")?,
        pos: Position { x: row.try_get(5).map_err(bad)?, y: row.try_get(6).map_err(bad)? },
        quality: to_u32(row.try_get(7).map_err(bad)?, &rec, "quality")?,
        stage: to_u16(row.try_get::<_, i32>(8).map_err(bad)?.into(), &rec, "stage")?,
        stage_started_ms: row.try_get(9).map_err(bad)?,
        stage_ends_ms: row.try_get(10).map_err(bad)?,
        state: row.try_get(11).map_err(bad)?,
        holds_items: row.try_get(12).map_err(bad)?,
    })
}

/// Rejects moving `moving` into item `target` when that would nest it inside itself.
pub(super) fn check_nesting(
    tx: &mut Transaction<'_>,
    stmt: &Statement,
    target: i64,
    moving: i64,
) -> Result<Option<String>, StoreError> {
    let row = tx.query_one(stmt, &[&target, &moving]).map_err(pg_err)?;
    Ok(cycle_verdict(target, moving, (row.get(0), row.get(1), row.get(2))))
}

/// Runs one of the delete-unless-it-holds-items statements; `Some(reason)` when it still does.
pub(super) fn delete_container(
    tx: &mut Transaction<'_>,
    stmt: &Statement,
    id: i64,
    what: &str,
) -> Result<Option<String>, StoreError> {
    let held: bool = tx.query_one(stmt, &[&id]).map_err(pg_err)?.get(0);
    Ok(held.then(|| format!("{what} {id} still holds items")))
}

pub(super) fn needs_nesting_lock(tx: &ItemTx) -> bool {
    tx.ops.iter().any(|op| match op {
        ItemOp::Put(i) => matches!(i.container, Container::Item(_)),
        ItemOp::Move { to, .. } => matches!(to, Container::Item(_)),
        _ => false,
    })
}

/// Runs one op; `Ok(Some(reason))` is an invariant violation that aborts the transaction.
pub(super) fn apply_op(
    tx: &mut Transaction<'_>,
    stmts: &Prepared,
    op: &ItemOp,
) -> Result<Option<String>, StoreError> {
    match op {
        ItemOp::Put(item) => {
            if let Container::Item(target) = item.container
                && let Some(r) = check_nesting(tx, &stmts.cycle, target, item.id)?
            {
                return Ok(Some(r));
            }
            let (ck, cid) = item.container.to_parts();
            let params: [&(dyn ToSql + Sync); 7] = [
                &item.id,
                &i64::from(item.kind),
                &i64::from(item.quality),
                &i64::from(item.count),
                &ck,
                &cid,
                &i64::from(item.slot),
            ];
            tx.execute(&stmts.put_item, &params).map_err(pg_err)?;
            Ok(None)
        }
        ItemOp::Move { id, to, slot } => {
            if let Container::Item(target) = *to
                && let Some(r) = check_nesting(tx, &stmts.cycle, target, *id)?
            {
                return Ok(Some(r));
            }
            let (ck, cid) = to.to_parts();
            let n = tx.execute(&stmts.move_item, &[id, &ck, &cid, &i64::from(*slot)]).map_err(pg_err)?;
            Ok((n == 0).then(|| format!("item {id} does not exist")))
        }
        ItemOp::SetCount { id, count } => {
            let n = tx.execute(&stmts.set_count, &[id, &i64::from(*count)]).map_err(pg_err)?;
            Ok((n == 0).then(|| format!("item {id} does not exist")))
        }
        ItemOp::Delete { id } => delete_container(tx, &stmts.delete_item, *id, "item"),
        ItemOp::PutObject(obj) => {
            put_object(tx, &stmts.put_object, obj)?;
            Ok(None)
        }
        ItemOp::DeleteObject { id } => delete_container(tx, &stmts.delete_object, *id, "object"),
    }
}

/// Runs the ops of one item transaction inside `tx`, with a fault point before each.
pub(super) fn run_item_tx(
    tx: &mut Transaction<'_>,
    stmts: &Prepared,
    faults: &Faults,
    itx: &ItemTx,
) -> Result<(), StoreError> {
    if let Some(fence) = itx.fence {
        check_fence(tx, stmts, fence)?;
    }
    for (i, op) in itx.ops.iter().enumerate() {
        faults.check(FaultPoint::ItemOp { op: i })?;
        if let Some(reason) = apply_op(tx, stmts, op)? {
            return Err(StoreError::ItemTx { label: itx.label.clone(), op: i, reason });
        }
    }
    Ok(())
}

/// Writes an object of the item layer, its container flag included.
pub(super) fn put_object(
    tx: &mut Transaction<'_>,
    stmt: &Statement,
    o: &ObjectRecord,
) -> Result<(), StoreError> {
    let params: [&(dyn ToSql + Sync); 13] = [
        &o.id,
        &map_i32(o.map),
        &o.grid_x,
        &o.grid_y,
        &i64::from(o.kind),
        &o.pos.x,
        &o.pos.y,
        &i64::from(o.quality),
        &i32::from(o.stage),
        &o.stage_started_ms,
        &o.stage_ends_ms,
        &o.state,
        &o.holds_items,
    ];
    tx.execute(stmt, &params).map_err(pg_err)?;
    Ok(())
}

/// Writes the plain objects of chunk saves in one statement; listed container objects are not
/// the chunk's to write and are skipped, stored ones are left as they are.
pub(super) fn save_objects(
    tx: &mut Transaction<'_>,
    stmt: &Statement,
    saves: &[ChunkSave],
) -> Result<(), StoreError> {
    let objs: Vec<&ObjectRecord> =
        saves.iter().flat_map(|s| s.objects.iter()).filter(|o| !o.holds_items).collect();
    if objs.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&ObjectRecord) -> i64| objs.iter().map(|o| f(o)).collect::<Vec<i64>>();
    let col32 = |f: fn(&ObjectRecord) -> i32| objs.iter().map(|o| f(o)).collect::<Vec<i32>>();
    let ids = col(|o| o.id);
    let maps = col32(|o| map_i32(o.map));
    let gx = col32(|o| o.grid_x);
    let gy = col32(|o| o.grid_y);
    let kinds = col(|o| o.kind.into());
    let xs = col32(|o| o.pos.x);
    let ys = col32(|o| o.pos.y);
    let quality = col(|o| o.quality.into());
    let stage = col32(|o| o.stage.into());
    let started = col(|o| o.stage_started_ms);
    let ends = col(|o| o.stage_ends_ms);
    let states: Vec<&[u8]> = objs.iter().map(|o| o.state.as_slice()).collect();
    let params: [&(dyn ToSql + Sync); 12] =
        [&ids, &maps, &gx, &gy, &kinds, &xs, &ys, &quality, &stage, &started, &ends, &states];
    tx.execute(stmt, &params).map_err(pg_err)?;
    Ok(())
}

pub(super) fn save_chunk_tiles(
    tx: &mut Transaction<'_>,
    stmt: &Statement,
    saves: &[ChunkSave],
) -> Result<(), StoreError> {
    let chunks: Vec<&ChunkRecord> = saves.iter().filter_map(|s| s.chunk.as_ref()).collect();
    if chunks.is_empty() {
        return Ok(());
    }
    let maps: Vec<i32> = chunks.iter().map(|c| map_i32(c.key.map)).collect();
    let cx: Vec<i32> = chunks.iter().map(|c| c.key.cx).collect();
    let cy: Vec<i32> = chunks.iter().map(|c| c.key.cy).collect();
    let versions: Vec<i64> = chunks.iter().map(|c| i64::from(c.version)).collect();
    let data: Vec<&[u8]> = chunks.iter().map(|c| c.data.as_slice()).collect();
    tx.execute(stmt, &[&maps, &cx, &cy, &versions, &data]).map_err(pg_err)?;
    Ok(())
}

pub(super) fn prune_objects(
    tx: &mut Transaction<'_>,
    stmt: &Statement,
    saves: &[ChunkSave],
) -> Result<(), StoreError> {
    let maps: Vec<i32> = saves.iter().map(|s| map_i32(s.key.map)).collect();
    let gx: Vec<i32> = saves.iter().map(|s| s.key.cx).collect();
    let gy: Vec<i32> = saves.iter().map(|s| s.key.cy).collect();
    let keep: Vec<i64> = saves.iter().flat_map(|s| s.objects.iter().map(|o| o.id)).collect();
    tx.execute(stmt, &[&maps, &gx, &gy, &keep]).map_err(pg_err)?;
    Ok(())
}

/// Columns of the players table, then of the positions table (id, map, x, y).
pub(super) type Columns<'a> = Vec<Box<dyn ToSql + Sync + 'a>>;

pub(super) fn player_columns(players: &[PlayerRecord]) -> (Columns<'_>, Columns<'_>) {
    let i64s = |f: fn(&PlayerRecord) -> i64| Box::new(players.iter().map(f).collect::<Vec<_>>());
    let i32s = |f: fn(&PlayerRecord) -> i32| Box::new(players.iter().map(f).collect::<Vec<_>>());
    let main: Columns<'_> = vec![
        i64s(|p| p.id),
        Box::new(players.iter().map(|p| p.name.as_str()).collect::<Vec<_>>()),
        Box::new(players.iter().map(|p| name_key(&p.name)).collect::<Vec<_>>()),
        Box::new(players.iter().map(|p| p.token_hash.as_slice()).collect::<Vec<_>>()),
        i32s(|p| p.health),
        i32s(|p| p.hunger),
        i32s(|p| p.stamina),
        i64s(|p| p.xp_combat),
        i64s(|p| p.xp_crafting),
        i64s(|p| p.xp_gathering),
    ];
    let pos: Columns<'_> =
        vec![i64s(|p| p.id), i32s(|p| map_i32(p.map)), i32s(|p| p.pos.x), i32s(|p| p.pos.y)];
    (main, pos)
}

pub(super) fn refs<'a>(cols: &'a Columns<'_>) -> Vec<&'a (dyn ToSql + Sync)> {
    cols.iter().map(|c| c.as_ref() as &(dyn ToSql + Sync)).collect()
}

/// Checks a fence, locking the map's row `FOR SHARE` until the transaction ends.
pub(super) fn check_fence(
    tx: &mut Transaction<'_>,
    stmts: &Prepared,
    fence: Fence,
) -> Result<(), StoreError> {
    let row = tx.query_opt(&stmts.map_epoch, &[&map_i32(fence.map)]).map_err(pg_err)?;
    fence_verdict(fence, row.map(|r| r.get(0)))
}

/// Checks every distinct fence.
pub(super) fn check_fences(
    tx: &mut Transaction<'_>,
    stmts: &Prepared,
    fences: &[Fence],
) -> Result<(), StoreError> {
    for (i, f) in fences.iter().enumerate() {
        if !fences[..i].contains(f) {
            check_fence(tx, stmts, *f)?;
        }
    }
    Ok(())
}
