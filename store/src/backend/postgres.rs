//! PostgreSQL backend: batched `UNNEST` writes, item transactions grouped into one database
//! transaction per batch over prepared statements, indexed loads.

use std::ops::Range;
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement, Transaction};

use super::pg_sql::*;
use super::{
    Backend, BackendKind, BatchOutcome, CommitMark, Created, FaultPoint, Faults, ItemsLoad, batch_step,
    cycle_verdict, item_from_parts, partition, to_u16, to_u32,
};
use crate::error::{BadRecord, RecordRef, StoreError};
use crate::record::{
    ChunkKey, ChunkLoad, ChunkRecord, ChunkSave, Container, IdKind, ItemOp, ItemRecord, ItemTx, ObjectRecord,
    PlayerLoad, PlayerRecord, Position, PositionUpdate, name_key,
};

/// Serializes item transactions that nest items, across shards, so two concurrent moves cannot
/// build a cycle that each cycle check alone would miss.
const NESTING_LOCK: i64 = 0x5348_4152_4449_544d;

/// Statements prepared once per connection: every write of an item transaction or a chunk save
/// and every load is one round trip.
struct Prepared {
    positions: Statement,
    put_item: Statement,
    move_item: Statement,
    set_count: Statement,
    delete_item: Statement,
    delete_object: Statement,
    put_object: Statement,
    cycle: Statement,
    commit_mark: Statement,
    nesting_lock: Statement,
    save_chunks: Statement,
    save_objects: Statement,
    prune_objects: Statement,
    item_tree: Statement,
    chunk: Statement,
    objects: Statement,
    chunk_items: Statement,
}

impl Prepared {
    fn new(client: &mut Client) -> Result<Prepared, StoreError> {
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
        })
    }
}

/// One PostgreSQL connection (the `postgres` crate runs its own runtime inside; keep it on a
/// dedicated blocking thread).
pub struct PgBackend {
    client: Client,
    stmts: Prepared,
    faults: Faults,
}

impl std::fmt::Debug for PgBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackend").finish_non_exhaustive()
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

impl PgBackend {
    /// A plain client with the store's connection settings.
    pub(crate) fn raw_client(url: &str) -> Result<Client, StoreError> {
        let mut config: postgres::Config =
            url.parse().map_err(|e| StoreError::Rejected(format!("bad postgres url: {e}")))?;
        config
            .connect_timeout(Duration::from_secs(5))
            .keepalives_idle(Duration::from_secs(30))
            .application_name("shard-store");
        config.connect(NoTls).map_err(pg_err)
    }

    pub fn connect(url: &str, faults: Faults) -> Result<PgBackend, StoreError> {
        let mut client = PgBackend::raw_client(url)?;
        let stmts = Prepared::new(&mut client)?;
        Ok(PgBackend { client, stmts, faults })
    }

    fn load_player_where(
        &mut self,
        filter: &str,
        args: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<PlayerLoad>, StoreError> {
        let sql = format!("SELECT {PLAYER_COLS} FROM {PLAYER_FROM} {filter}");
        let Some(row) = self.client.query_opt(&sql, args).map_err(pg_err)? else {
            return Ok(None);
        };
        let player = player_from_row(&row).map_err(StoreError::BadRecord)?;
        let items = self.load_items(Container::Player(player.id))?;
        Ok(Some(PlayerLoad { player, items: items.items, bad: items.bad }))
    }
}

fn map_i32(map: u32) -> i32 {
    map as i32
}

fn player_from_row(row: &Row) -> Result<PlayerRecord, BadRecord> {
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

fn item_from_row(row: &Row) -> Result<ItemRecord, BadRecord> {
    let id: i64 = row.get(0);
    let ck: i16 = row.get(4);
    item_from_parts(id, [row.get(1), row.get(2), row.get(3), ck.into(), row.get(5), row.get(6)])
}

fn object_from_row(row: &Row) -> Result<ObjectRecord, BadRecord> {
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
fn check_nesting(
    tx: &mut Transaction<'_>,
    stmt: &Statement,
    target: i64,
    moving: i64,
) -> Result<Option<String>, StoreError> {
    let row = tx.query_one(stmt, &[&target, &moving]).map_err(pg_err)?;
    Ok(cycle_verdict(target, moving, (row.get(0), row.get(1), row.get(2))))
}

/// Runs one of the delete-unless-it-holds-items statements; `Some(reason)` when it still does.
fn delete_container(
    tx: &mut Transaction<'_>,
    stmt: &Statement,
    id: i64,
    what: &str,
) -> Result<Option<String>, StoreError> {
    let held: bool = tx.query_one(stmt, &[&id]).map_err(pg_err)?.get(0);
    Ok(held.then(|| format!("{what} {id} still holds items")))
}

fn needs_nesting_lock(tx: &ItemTx) -> bool {
    tx.ops.iter().any(|op| match op {
        ItemOp::Put(i) => matches!(i.container, Container::Item(_)),
        ItemOp::Move { to, .. } => matches!(to, Container::Item(_)),
        _ => false,
    })
}

/// Runs one op; `Ok(Some(reason))` is an invariant violation that aborts the transaction.
fn apply_op(tx: &mut Transaction<'_>, stmts: &Prepared, op: &ItemOp) -> Result<Option<String>, StoreError> {
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
fn run_item_tx(
    tx: &mut Transaction<'_>,
    stmts: &Prepared,
    faults: &Faults,
    itx: &ItemTx,
) -> Result<(), StoreError> {
    for (i, op) in itx.ops.iter().enumerate() {
        faults.check(FaultPoint::ItemOp { op: i })?;
        if let Some(reason) = apply_op(tx, stmts, op)? {
            return Err(StoreError::ItemTx { label: itx.label.clone(), op: i, reason });
        }
    }
    Ok(())
}

/// Writes an object of the item layer, its container flag included.
fn put_object(tx: &mut Transaction<'_>, stmt: &Statement, o: &ObjectRecord) -> Result<(), StoreError> {
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
fn save_objects(tx: &mut Transaction<'_>, stmt: &Statement, saves: &[ChunkSave]) -> Result<(), StoreError> {
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

fn save_chunk_tiles(
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

fn prune_objects(tx: &mut Transaction<'_>, stmt: &Statement, saves: &[ChunkSave]) -> Result<(), StoreError> {
    let maps: Vec<i32> = saves.iter().map(|s| map_i32(s.key.map)).collect();
    let gx: Vec<i32> = saves.iter().map(|s| s.key.cx).collect();
    let gy: Vec<i32> = saves.iter().map(|s| s.key.cy).collect();
    let keep: Vec<i64> = saves.iter().flat_map(|s| s.objects.iter().map(|o| o.id)).collect();
    tx.execute(stmt, &[&maps, &gx, &gy, &keep]).map_err(pg_err)?;
    Ok(())
}

/// Columns of the players table, then of the positions table (id, map, x, y).
type Columns<'a> = Vec<Box<dyn ToSql + Sync + 'a>>;

fn player_columns(players: &[PlayerRecord]) -> (Columns<'_>, Columns<'_>) {
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

fn refs<'a>(cols: &'a Columns<'_>) -> Vec<&'a (dyn ToSql + Sync)> {
    cols.iter().map(|c| c.as_ref() as &(dyn ToSql + Sync)).collect()
}

impl Backend for PgBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Postgres
    }

    fn reserve_ids(&mut self, kind: IdKind, count: u32) -> Result<Range<i64>, StoreError> {
        let n = i64::from(count);
        let row = self
            .client
            .query_one(
                "UPDATE id_blocks SET next = next + $2 WHERE kind = $1 RETURNING next - $2",
                &[&kind.as_str(), &n],
            )
            .map_err(pg_err)?;
        let start: i64 = row.get(0);
        Ok(start..start + n)
    }

    fn save_players(&mut self, players: &[PlayerRecord]) -> Result<(), StoreError> {
        if players.is_empty() {
            return Ok(());
        }
        let (main, pos) = player_columns(players);
        let mut tx = self.client.transaction().map_err(pg_err)?;
        tx.execute(SQL_SAVE_PLAYERS, &refs(&main)).map_err(pg_err)?;
        tx.execute(SQL_SAVE_POSITIONS, &refs(&pos)).map_err(pg_err)?;
        tx.commit().map_err(pg_err)
    }

    fn write_positions(&mut self, batch: &[PositionUpdate]) -> Result<usize, StoreError> {
        if batch.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = batch.iter().map(|u| u.player).collect();
        let maps: Vec<i32> = batch.iter().map(|u| map_i32(u.map)).collect();
        let xs: Vec<i32> = batch.iter().map(|u| u.pos.x).collect();
        let ys: Vec<i32> = batch.iter().map(|u| u.pos.y).collect();
        let mut tx = self.client.transaction().map_err(pg_err)?;
        // Positions are rewritten every second: a crash may lose the last one, never items.
        tx.batch_execute("SET LOCAL synchronous_commit TO OFF").map_err(pg_err)?;
        let n = tx.execute(&self.stmts.positions, &[&ids, &maps, &xs, &ys]).map_err(pg_err)?;
        self.faults.check(FaultPoint::PositionCommit)?;
        tx.commit().map_err(pg_err)?;
        Ok(n as usize)
    }

    fn apply_item_tx(&mut self, itx: &ItemTx) -> Result<(), StoreError> {
        let mut tx = self.client.transaction().map_err(pg_err)?;
        if needs_nesting_lock(itx) {
            tx.execute(&self.stmts.nesting_lock, &[&NESTING_LOCK]).map_err(pg_err)?;
        }
        run_item_tx(&mut tx, &self.stmts, &self.faults, itx)?;
        tx.commit().map_err(pg_err)
    }

    fn apply_item_txs(&mut self, txs: &[ItemTx], mark: CommitMark) -> Result<BatchOutcome, StoreError> {
        let mut tx = self.client.transaction().map_err(pg_err)?;
        let (stmts, faults) = (&self.stmts, &self.faults);
        if tx.execute(&stmts.commit_mark, &[&mark.writer, &mark.seq]).map_err(pg_err)? == 0 {
            // An earlier attempt committed this batch; its answer was lost.
            return Ok(BatchOutcome::Committed);
        }
        if txs.iter().any(needs_nesting_lock) {
            tx.execute(&stmts.nesting_lock, &[&NESTING_LOCK]).map_err(pg_err)?;
        }
        for (i, itx) in txs.iter().enumerate() {
            let result = faults
                .check(FaultPoint::ItemTx { tx: i })
                .and_then(|()| run_item_tx(&mut tx, stmts, faults, itx));
            if let Some(failed) = batch_step(i, result)? {
                return Ok(failed);
            }
        }
        faults.check(FaultPoint::ItemCommit)?;
        tx.commit().map_err(pg_err)?;
        Ok(BatchOutcome::Committed)
    }

    fn create_player(&mut self, player: &PlayerRecord, kit: &ItemTx) -> Result<Created, StoreError> {
        let mut tx = self.client.transaction().map_err(pg_err)?;
        if needs_nesting_lock(kit) {
            tx.execute(&self.stmts.nesting_lock, &[&NESTING_LOCK]).map_err(pg_err)?;
        }
        let p = player;
        let key = name_key(&p.name);
        let row: [&(dyn ToSql + Sync); 10] = [
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
        if tx.execute(SQL_CREATE_PLAYER, &row).map_err(pg_err)? == 0 {
            // The transaction rolls back on drop: nothing of this player persists.
            return Ok(Created::NameTaken);
        }
        let pos: [&(dyn ToSql + Sync); 4] = [&p.id, &map_i32(p.map), &p.pos.x, &p.pos.y];
        tx.execute(SQL_CREATE_POSITION, &pos).map_err(pg_err)?;
        run_item_tx(&mut tx, &self.stmts, &self.faults, kit)?;
        tx.commit().map_err(pg_err)?;
        Ok(Created::New)
    }

    fn save_chunks(&mut self, saves: &[ChunkSave]) -> Result<(), StoreError> {
        if saves.is_empty() {
            return Ok(());
        }
        let mut tx = self.client.transaction().map_err(pg_err)?;
        let (stmts, faults) = (&self.stmts, &self.faults);
        faults.check(FaultPoint::ChunkStmt { stmt: 0 })?;
        save_chunk_tiles(&mut tx, &stmts.save_chunks, saves)?;
        faults.check(FaultPoint::ChunkStmt { stmt: 1 })?;
        prune_objects(&mut tx, &stmts.prune_objects, saves)?;
        faults.check(FaultPoint::ChunkStmt { stmt: 2 })?;
        save_objects(&mut tx, &stmts.save_objects, saves)?;
        faults.check(FaultPoint::ChunkStmt { stmt: 3 })?;
        tx.commit().map_err(pg_err)
    }

    fn load_player(&mut self, id: i64) -> Result<Option<PlayerLoad>, StoreError> {
        self.load_player_where("WHERE p.id = $1", &[&id])
    }

    fn load_player_by_name(&mut self, name: &str) -> Result<Option<PlayerLoad>, StoreError> {
        self.load_player_where(SQL_PLAYER_BY_NAME, &[&name_key(name), &name])
    }

    fn load_items(&mut self, root: Container) -> Result<ItemsLoad, StoreError> {
        let (k, id) = root.to_parts();
        let rows = self.client.query(&self.stmts.item_tree, &[&k, &id]).map_err(pg_err)?;
        let (items, bad) = partition(rows.iter().map(item_from_row).collect());
        Ok(ItemsLoad { items, bad })
    }

    fn load_item(&mut self, id: i64) -> Result<Option<ItemRecord>, StoreError> {
        let sql = format!("SELECT {ITEM_COLS} FROM items WHERE id = $1");
        let row = self.client.query_opt(&sql, &[&id]).map_err(pg_err)?;
        row.map(|r| item_from_row(&r).map_err(StoreError::BadRecord)).transpose()
    }

    fn load_chunk(&mut self, key: ChunkKey) -> Result<ChunkLoad, StoreError> {
        let params: [&(dyn ToSql + Sync); 3] = [&map_i32(key.map), &key.cx, &key.cy];
        let c = self.client.query_opt(&self.stmts.chunk, &params).map_err(pg_err)?;
        // A bad chunk row fails this load only: the world quarantines the chunk.
        let chunk = c.map(|row| chunk_from_row(key, &row)).transpose();
        let chunk = chunk.map_err(StoreError::BadRecord)?;
        let rows = self.client.query(&self.stmts.objects, &params).map_err(pg_err)?;
        let (objects, mut bad) = partition(rows.iter().map(object_from_row).collect());
        let rows = self.client.query(&self.stmts.chunk_items, &params).map_err(pg_err)?;
        let (items, bad_items) = partition(rows.iter().map(item_from_row).collect());
        bad.extend(bad_items);
        Ok(ChunkLoad { key, chunk, objects, items, bad })
    }
}

fn chunk_from_row(key: ChunkKey, row: &Row) -> Result<ChunkRecord, BadRecord> {
    let rec = RecordRef::Chunk { map: key.map, cx: key.cx, cy: key.cy };
    let version = to_u32(row.get(0), &rec, "version")?;
    Ok(ChunkRecord { key, version, data: row.get(1) })
}
