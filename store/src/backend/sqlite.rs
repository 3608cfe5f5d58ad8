//! SQLite backend (embedded default): WAL mode, one transaction per batch with prepared statements.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, Transaction, TransactionBehavior};
use rusqlite::{ToSql, params};

use super::{
    Backend, BackendKind, BatchOutcome, CommitMark, Created, FaultPoint, Faults, ItemsLoad, batch_step,
    cycle_verdict, item_from_parts, partition, to_u16, to_u32,
};
use crate::error::{BadRecord, RecordRef, StoreError};
use crate::record::{
    ChunkKey, ChunkLoad, ChunkRecord, ChunkSave, Container, IdKind, ItemOp, ItemRecord, ItemTx, ObjectRecord,
    PlayerLoad, PlayerRecord, Position, PositionUpdate, name_key,
};

const PLAYER_COLS: &str = "p.id, p.name, p.token_hash, pp.map, pp.x, pp.y, p.health, p.hunger, \
     p.stamina, p.xp_combat, p.xp_crafting, p.xp_gathering";
const PLAYER_FROM: &str = "players p JOIN player_positions pp ON pp.id = p.id";
const ITEM_COLS: &str = "id, kind, quality, count, container_kind, container_id, slot";
const OBJECT_COLS: &str = "id, map, grid_x, grid_y, kind, x, y, quality, stage, \
     stage_started_ms, stage_ends_ms, state, holds_items";

// Every write is an upsert on the primary key: `INSERT OR REPLACE` would delete a row that
// conflicts on another unique key (a player's name) and orphan what it owns.
const SQL_SAVE_PLAYER: &str = "INSERT INTO players (id, name, name_key, token_hash, health, \
     hunger, stamina, xp_combat, xp_crafting, xp_gathering) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO UPDATE SET \
     name = excluded.name, name_key = excluded.name_key, token_hash = excluded.token_hash, \
     health = excluded.health, hunger = excluded.hunger, stamina = excluded.stamina, \
     xp_combat = excluded.xp_combat, xp_crafting = excluded.xp_crafting, \
     xp_gathering = excluded.xp_gathering";
/// A new player claims its name: nothing happens when the id or the name's key is taken.
const SQL_CREATE_PLAYER: &str = "INSERT INTO players (id, name, name_key, token_hash, health, \
     hunger, stamina, xp_combat, xp_crafting, xp_gathering) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING";
const SQL_SAVE_POSITION: &str = "INSERT INTO player_positions VALUES (?1, ?2, ?3, ?4) \
     ON CONFLICT (id) DO UPDATE SET map = excluded.map, x = excluded.x, y = excluded.y";
/// By the name's key; a legacy row whose key is unset (see migration V3) by its exact name, which
/// wins over a key match.
const SQL_PLAYER_BY_NAME: &str = "WHERE p.name_key = ?1 OR (p.name_key IS NULL AND p.name = ?2) \
     ORDER BY p.name_key IS NULL DESC LIMIT 1";
const SQL_POSITION: &str = "UPDATE player_positions SET map = ?2, x = ?3, y = ?4 WHERE id = ?1";
const SQL_PUT_ITEM: &str = "INSERT INTO items VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, quality = excluded.quality, \
     count = excluded.count, container_kind = excluded.container_kind, \
     container_id = excluded.container_id, slot = excluded.slot";
const SQL_MOVE_ITEM: &str =
    "UPDATE items SET container_kind = ?2, container_id = ?3, slot = ?4 WHERE id = ?1";
const SQL_HOLDS_ITEMS: &str =
    "SELECT EXISTS (SELECT 1 FROM items WHERE container_kind = ?1 AND container_id = ?2)";
const SQL_CYCLE: &str = "WITH RECURSIVE up(id, ck, cid, depth) AS ( \
     SELECT id, container_kind, container_id, 0 FROM items WHERE id = ?1 \
     UNION ALL SELECT i.id, i.container_kind, i.container_id, up.depth + 1 \
     FROM items i JOIN up ON up.ck = 3 AND i.id = up.cid WHERE up.depth < 64) \
     SELECT coalesce(sum(id = ?2), 0), count(*), coalesce(max(depth), 0) FROM up";
/// An item transaction's object: every field, the container flag included.
const SQL_PUT_OBJECT: &str = "INSERT INTO objects (id, map, grid_x, grid_y, kind, x, y, quality, \
     stage, stage_started_ms, stage_ends_ms, state, holds_items) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (id) DO UPDATE SET \
     map = excluded.map, grid_x = excluded.grid_x, grid_y = excluded.grid_y, kind = excluded.kind, \
     x = excluded.x, y = excluded.y, quality = excluded.quality, stage = excluded.stage, \
     stage_started_ms = excluded.stage_started_ms, stage_ends_ms = excluded.stage_ends_ms, \
     state = excluded.state, holds_items = excluded.holds_items";
/// A chunk save's plain object: never overwrites a container object of the item layer.
const SQL_SAVE_OBJECT: &str = "INSERT INTO objects (id, map, grid_x, grid_y, kind, x, y, quality, \
     stage, stage_started_ms, stage_ends_ms, state) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (id) DO UPDATE SET \
     map = excluded.map, grid_x = excluded.grid_x, grid_y = excluded.grid_y, kind = excluded.kind, \
     x = excluded.x, y = excluded.y, quality = excluded.quality, stage = excluded.stage, \
     stage_started_ms = excluded.stage_started_ms, stage_ends_ms = excluded.stage_ends_ms, \
     state = excluded.state WHERE objects.holds_items = 0";
/// Stores a batch's mark unless it is stored already (then the batch committed before).
const SQL_COMMIT_MARK: &str = "INSERT INTO item_commits (writer, seq) VALUES (?1, ?2) \
     ON CONFLICT (writer) DO UPDATE SET seq = excluded.seq WHERE item_commits.seq < excluded.seq";
const SQL_SAVE_CHUNK: &str = "INSERT INTO chunks VALUES (?1, ?2, ?3, ?4, ?5) \
     ON CONFLICT (map, cx, cy) DO UPDATE SET version = excluded.version, data = excluded.data";
const SQL_ITEM_TREE: &str = "WITH RECURSIVE tree AS ( \
     SELECT id, kind, quality, count, container_kind, container_id, slot, 0 AS depth FROM items \
     WHERE container_kind = ?1 AND container_id = ?2 \
     UNION ALL SELECT c.id, c.kind, c.quality, c.count, c.container_kind, c.container_id, c.slot, \
     t.depth + 1 FROM items c JOIN tree t ON c.container_kind = 3 AND c.container_id = t.id \
     WHERE t.depth < 64) SELECT id, kind, quality, count, container_kind, container_id, slot FROM tree";
const SQL_CHUNK_ITEMS: &str = "WITH RECURSIVE tree AS ( \
     SELECT i.id, i.kind, i.quality, i.count, i.container_kind, i.container_id, i.slot, 0 AS depth \
     FROM items i JOIN objects o ON i.container_kind = 2 AND i.container_id = o.id \
     WHERE o.map = ?1 AND o.grid_x = ?2 AND o.grid_y = ?3 \
     UNION ALL SELECT c.id, c.kind, c.quality, c.count, c.container_kind, c.container_id, c.slot, \
     t.depth + 1 FROM items c JOIN tree t ON c.container_kind = 3 AND c.container_id = t.id \
     WHERE t.depth < 64) SELECT id, kind, quality, count, container_kind, container_id, slot FROM tree";

/// One SQLite connection. Several may share a file (WAL: readers never block the writer).
pub struct SqliteBackend {
    conn: Connection,
    faults: Faults,
}

impl std::fmt::Debug for SqliteBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteBackend").finish_non_exhaustive()
    }
}

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

impl SqliteBackend {
    /// A plain connection with the store's pragmas (WAL, NORMAL sync, busy timeout).
    pub(crate) fn raw_connection(path: &Path) -> Result<Connection, StoreError> {
        let conn = Connection::open(path).map_err(lite_err)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(lite_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(lite_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(lite_err)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }

    pub fn open(path: &Path, faults: Faults) -> Result<SqliteBackend, StoreError> {
        Ok(SqliteBackend { conn: SqliteBackend::raw_connection(path)?, faults })
    }

    fn write_tx(&mut self) -> Result<Transaction<'_>, StoreError> {
        self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(lite_err)
    }

    fn load_player_where(
        &mut self,
        filter: &str,
        args: &[&dyn ToSql],
    ) -> Result<Option<PlayerLoad>, StoreError> {
        let sql = format!("SELECT {PLAYER_COLS} FROM {PLAYER_FROM} {filter}");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(lite_err)?;
        let row = stmt.query_row(args, |r| Ok(player_from_row(r))).optional();
        let Some(player) = row.map_err(lite_err)? else {
            return Ok(None);
        };
        drop(stmt);
        let player = player.map_err(StoreError::BadRecord)?;
        let items = self.load_items(Container::Player(player.id))?;
        Ok(Some(PlayerLoad { player, items: items.items, bad: items.bad }))
    }
}

/// Reads a column, turning a type mismatch into a bad-record error.
fn col<T: rusqlite::types::FromSql>(row: &Row, i: usize, rec: &RecordRef) -> Result<T, BadRecord> {
    row.get(i).map_err(|e| BadRecord { record: rec.clone(), reason: e.to_string() })
}

/// Runs a players insert (`SQL_SAVE_PLAYER` or `SQL_CREATE_PLAYER`) for one record.
fn write_player(stmt: &mut rusqlite::CachedStatement<'_>, p: &PlayerRecord) -> rusqlite::Result<usize> {
    stmt.execute(params![
        p.id,
        p.name,
        name_key(&p.name),
        p.token_hash,
        p.health,
        p.hunger,
        p.stamina,
        p.xp_combat,
        p.xp_crafting,
        p.xp_gathering
    ])
}

fn player_from_row(row: &Row) -> Result<PlayerRecord, BadRecord> {
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

fn item_from_row(row: &Row) -> Result<ItemRecord, BadRecord> {
    let id: i64 = row.get(0).unwrap_or_default();
    let rec = RecordRef::Item(id);
    let mut cols = [0i64; 6];
    for (i, c) in cols.iter_mut().enumerate() {
        *c = col(row, i + 1, &rec)?;
    }
    item_from_parts(id, cols)
}

fn object_from_row(row: &Row) -> Result<ObjectRecord, BadRecord> {
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

fn check_nesting(tx: &Transaction<'_>, target: i64, moving: i64) -> Result<Option<String>, StoreError> {
    let mut stmt = tx.prepare_cached(SQL_CYCLE).map_err(lite_err)?;
    let walk = stmt
        .query_row(params![target, moving], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(lite_err)?;
    Ok(cycle_verdict(target, moving, walk))
}

fn holds_items(tx: &Transaction<'_>, c: Container) -> Result<bool, StoreError> {
    let (k, id) = c.to_parts();
    let mut stmt = tx.prepare_cached(SQL_HOLDS_ITEMS).map_err(lite_err)?;
    stmt.query_row(params![k, id], |r| r.get(0)).map_err(lite_err)
}

/// The columns both object statements write, in order.
fn object_fields(o: &ObjectRecord) -> Vec<&dyn ToSql> {
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
fn put_object(tx: &Transaction<'_>, o: &ObjectRecord) -> Result<(), StoreError> {
    let mut fields = object_fields(o);
    fields.push(&o.holds_items);
    let mut stmt = tx.prepare_cached(SQL_PUT_OBJECT).map_err(lite_err)?;
    stmt.execute(fields.as_slice()).map_err(lite_err)?;
    Ok(())
}

/// Writes a plain object of a chunk save; a stored container object stays as it is.
fn save_object(tx: &Transaction<'_>, o: &ObjectRecord) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(SQL_SAVE_OBJECT).map_err(lite_err)?;
    stmt.execute(object_fields(o).as_slice()).map_err(lite_err)?;
    Ok(())
}

/// Deletes the row of `holder` (`sql`: `DELETE … WHERE id = ?1`) unless it still holds items;
/// `Some(reason)` when it does.
fn delete_container(
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

fn put_item(tx: &Transaction<'_>, item: &ItemRecord) -> Result<Option<String>, StoreError> {
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

fn move_item(tx: &Transaction<'_>, id: i64, to: Container, slot: u32) -> Result<Option<String>, StoreError> {
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
fn apply_op(tx: &Transaction<'_>, op: &ItemOp) -> Result<Option<String>, StoreError> {
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
fn run_item_tx(tx: &Transaction<'_>, faults: &Faults, itx: &ItemTx) -> Result<(), StoreError> {
    for (i, op) in itx.ops.iter().enumerate() {
        faults.check(FaultPoint::ItemOp { op: i })?;
        if let Some(reason) = apply_op(tx, op)? {
            return Err(StoreError::ItemTx { label: itx.label.clone(), op: i, reason });
        }
    }
    Ok(())
}

fn save_chunk(tx: &Transaction<'_>, save: &ChunkSave) -> Result<(), StoreError> {
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

fn query_items(conn: &Connection, sql: &str, p: &[&dyn ToSql]) -> Result<ItemsLoad, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(lite_err)?;
    let rows = stmt.query_map(p, |r| Ok(item_from_row(r))).map_err(lite_err)?;
    let rows = rows.collect::<Result<Vec<_>, _>>().map_err(lite_err)?;
    let (items, bad) = partition(rows);
    Ok(ItemsLoad { items, bad })
}

impl Backend for SqliteBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Sqlite
    }

    fn reserve_ids(&mut self, kind: IdKind, count: u32) -> Result<Range<i64>, StoreError> {
        let sql = "UPDATE id_blocks SET next = next + ?2 WHERE kind = ?1 RETURNING next - ?2";
        let start: i64 =
            self.conn.query_row(sql, params![kind.as_str(), count], |r| r.get(0)).map_err(lite_err)?;
        Ok(start..start + i64::from(count))
    }

    fn save_players(&mut self, players: &[PlayerRecord]) -> Result<(), StoreError> {
        let tx = self.write_tx()?;
        {
            let mut stmt = tx.prepare_cached(SQL_SAVE_PLAYER).map_err(lite_err)?;
            let mut pos = tx.prepare_cached(SQL_SAVE_POSITION).map_err(lite_err)?;
            for p in players {
                write_player(&mut stmt, p).map_err(lite_err)?;
                pos.execute(params![p.id, p.map, p.pos.x, p.pos.y]).map_err(lite_err)?;
            }
        }
        tx.commit().map_err(lite_err)
    }

    fn write_positions(&mut self, batch: &[PositionUpdate]) -> Result<usize, StoreError> {
        let faults = self.faults.clone();
        let tx = self.write_tx()?;
        let mut n = 0;
        {
            let mut stmt = tx.prepare_cached(SQL_POSITION).map_err(lite_err)?;
            for u in batch {
                n += stmt.execute(params![u.player, u.map, u.pos.x, u.pos.y]).map_err(lite_err)?;
            }
        }
        faults.check(FaultPoint::PositionCommit)?;
        tx.commit().map_err(lite_err)?;
        Ok(n)
    }

    fn apply_item_tx(&mut self, itx: &ItemTx) -> Result<(), StoreError> {
        let faults = self.faults.clone();
        let tx = self.write_tx()?;
        run_item_tx(&tx, &faults, itx)?;
        tx.commit().map_err(lite_err)
    }

    fn apply_item_txs(&mut self, txs: &[ItemTx], mark: CommitMark) -> Result<BatchOutcome, StoreError> {
        let faults = self.faults.clone();
        let tx = self.write_tx()?;
        let marked = tx.execute(SQL_COMMIT_MARK, params![mark.writer, mark.seq]).map_err(lite_err)?;
        if marked == 0 {
            // An earlier attempt committed this batch; its answer was lost.
            return Ok(BatchOutcome::Committed);
        }
        for (i, itx) in txs.iter().enumerate() {
            let result =
                faults.check(FaultPoint::ItemTx { tx: i }).and_then(|()| run_item_tx(&tx, &faults, itx));
            if let Some(failed) = batch_step(i, result)? {
                return Ok(failed);
            }
        }
        faults.check(FaultPoint::ItemCommit)?;
        tx.commit().map_err(lite_err)?;
        Ok(BatchOutcome::Committed)
    }

    fn create_player(&mut self, player: &PlayerRecord, kit: &ItemTx) -> Result<Created, StoreError> {
        let faults = self.faults.clone();
        let tx = self.write_tx()?;
        let p = player;
        let claimed = tx
            .prepare_cached(SQL_CREATE_PLAYER)
            .and_then(|mut stmt| write_player(&mut stmt, p))
            .map_err(lite_err)?;
        if claimed == 0 {
            // The transaction rolls back on drop: nothing of this player persists.
            return Ok(Created::NameTaken);
        }
        tx.execute(SQL_SAVE_POSITION, params![p.id, p.map, p.pos.x, p.pos.y]).map_err(lite_err)?;
        run_item_tx(&tx, &faults, kit)?;
        tx.commit().map_err(lite_err)?;
        Ok(Created::New)
    }

    fn save_chunks(&mut self, saves: &[ChunkSave]) -> Result<(), StoreError> {
        let faults = self.faults.clone();
        let tx = self.write_tx()?;
        for (i, save) in saves.iter().enumerate() {
            faults.check(FaultPoint::ChunkStmt { stmt: i })?;
            save_chunk(&tx, save)?;
        }
        tx.commit().map_err(lite_err)
    }

    fn load_player(&mut self, id: i64) -> Result<Option<PlayerLoad>, StoreError> {
        self.load_player_where("WHERE p.id = ?1", &[&id])
    }

    fn load_player_by_name(&mut self, name: &str) -> Result<Option<PlayerLoad>, StoreError> {
        self.load_player_where(SQL_PLAYER_BY_NAME, &[&name_key(name), &name])
    }

    fn load_items(&mut self, root: Container) -> Result<ItemsLoad, StoreError> {
        let (k, id) = root.to_parts();
        query_items(&self.conn, SQL_ITEM_TREE, &[&k, &id])
    }

    fn load_item(&mut self, id: i64) -> Result<Option<ItemRecord>, StoreError> {
        let sql = format!("SELECT {ITEM_COLS} FROM items WHERE id = ?1");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(lite_err)?;
        let row = stmt.query_row([id], |r| Ok(item_from_row(r))).optional().map_err(lite_err)?;
        row.map(|r| r.map_err(StoreError::BadRecord)).transpose()
    }

    fn load_chunk(&mut self, key: ChunkKey) -> Result<ChunkLoad, StoreError> {
        let p: [&dyn ToSql; 3] = [&key.map, &key.cx, &key.cy];
        let chunk = load_chunk_row(&self.conn, key)?;
        let sql = format!("SELECT {OBJECT_COLS} FROM objects WHERE map = ?1 AND grid_x = ?2 AND grid_y = ?3");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(lite_err)?;
        let rows = stmt.query_map(p, |r| Ok(object_from_row(r))).map_err(lite_err)?;
        let rows = rows.collect::<Result<Vec<_>, _>>().map_err(lite_err)?;
        let (objects, mut bad) = partition(rows);
        let items = query_items(&self.conn, SQL_CHUNK_ITEMS, &p)?;
        bad.extend(items.bad);
        Ok(ChunkLoad { key, chunk, objects, items: items.items, bad })
    }
}

/// The chunk row; a malformed one fails this load only (the world quarantines the chunk).
fn load_chunk_row(conn: &Connection, key: ChunkKey) -> Result<Option<ChunkRecord>, StoreError> {
    let sql = "SELECT version, data FROM chunks WHERE map = ?1 AND cx = ?2 AND cy = ?3";
    let rec = RecordRef::Chunk { map: key.map, cx: key.cx, cy: key.cy };
    let mut stmt = conn.prepare_cached(sql).map_err(lite_err)?;
    let row = stmt
        .query_row(params![key.map, key.cx, key.cy], |r| {
            Ok(col::<i64>(r, 0, &rec).and_then(|v| {
                let version = to_u32(v, &rec, "version")?;
                Ok(ChunkRecord { key, version, data: col(r, 1, &rec)? })
            }))
        })
        .optional()
        .map_err(lite_err)?;
    row.transpose().map_err(StoreError::BadRecord)
}
