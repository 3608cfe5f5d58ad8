//! PostgreSQL backend: batched `UNNEST` writes, one transaction per item change, indexed loads.

use std::ops::Range;
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement, Transaction};

use super::{
    Backend, BackendKind, Created, FaultPoint, Faults, ItemsLoad, cycle_verdict, item_from_parts, partition,
    to_u16, to_u32,
};
use crate::error::{BadRecord, RecordRef, StoreError};
use crate::record::{
    ChunkKey, ChunkLoad, ChunkRecord, ChunkSave, Container, IdKind, ItemOp, ItemRecord, ItemTx, ObjectRecord,
    PlayerLoad, PlayerRecord, Position, PositionUpdate, name_key,
};

/// Serializes item transactions that nest items, across shards, so two concurrent moves cannot
/// build a cycle that each cycle check alone would miss.
const NESTING_LOCK: i64 = 0x5348_4152_4449_544d;

const PLAYER_COLS: &str = "p.id, p.name, p.token_hash, pp.map, pp.x, pp.y, p.health, p.hunger, \
     p.stamina, p.xp_combat, p.xp_crafting, p.xp_gathering";
const PLAYER_FROM: &str = "players p JOIN player_positions pp ON pp.id = p.id";
const ITEM_COLS: &str = "id, kind, quality, count, container_kind, container_id, slot";
const OBJECT_COLS: &str = "id, map, grid_x, grid_y, kind, x, y, quality, stage, \
     stage_started_ms, stage_ends_ms, state";

const SQL_POSITIONS: &str = "UPDATE player_positions AS p SET map = u.map, x = u.x, y = u.y \
     FROM UNNEST($1::int8[], $2::int4[], $3::int4[], $4::int4[]) AS u(id, map, x, y) \
     WHERE p.id = u.id";
const SQL_SAVE_PLAYERS: &str = "INSERT INTO players (id, name, name_key, token_hash, health, \
     hunger, stamina, xp_combat, xp_crafting, xp_gathering) SELECT * FROM UNNEST($1::int8[], \
     $2::text[], $3::text[], $4::bytea[], $5::int4[], $6::int4[], $7::int4[], $8::int8[], \
     $9::int8[], $10::int8[]) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, \
     name_key = EXCLUDED.name_key, token_hash = EXCLUDED.token_hash, \
     health = EXCLUDED.health, hunger = EXCLUDED.hunger, stamina = EXCLUDED.stamina, \
     xp_combat = EXCLUDED.xp_combat, xp_crafting = EXCLUDED.xp_crafting, \
     xp_gathering = EXCLUDED.xp_gathering";
/// A new player claims its name: nothing happens when the id or the name's key is taken.
const SQL_CREATE_PLAYER: &str = "INSERT INTO players (id, name, name_key, token_hash, health, \
     hunger, stamina, xp_combat, xp_crafting, xp_gathering) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING";
const SQL_CREATE_POSITION: &str = "INSERT INTO player_positions VALUES ($1, $2, $3, $4)";
/// By the name's key; a legacy row whose key is unset (see migration V3) by its exact name, which
/// wins over a key match.
const SQL_PLAYER_BY_NAME: &str = "WHERE p.name_key = $1 OR (p.name_key IS NULL AND p.name = $2) \
     ORDER BY p.name_key IS NULL DESC LIMIT 1";
const SQL_SAVE_POSITIONS: &str = "INSERT INTO player_positions SELECT * FROM UNNEST($1::int8[], \
     $2::int4[], $3::int4[], $4::int4[]) ON CONFLICT (id) DO UPDATE SET map = EXCLUDED.map, \
     x = EXCLUDED.x, y = EXCLUDED.y";
const SQL_PUT_ITEM: &str = "INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, quality = EXCLUDED.quality, \
     count = EXCLUDED.count, container_kind = EXCLUDED.container_kind, \
     container_id = EXCLUDED.container_id, slot = EXCLUDED.slot";
const SQL_MOVE_ITEM: &str =
    "UPDATE items SET container_kind = $2, container_id = $3, slot = $4 WHERE id = $1";
const SQL_ITEM_COUNT: &str = "UPDATE items SET count = $2 WHERE id = $1";
const SQL_HOLDS_ITEMS: &str =
    "SELECT EXISTS (SELECT 1 FROM items WHERE container_kind = $1 AND container_id = $2)";
const SQL_CYCLE: &str = "WITH RECURSIVE up(id, ck, cid, depth) AS ( \
     SELECT id, container_kind, container_id, 0 FROM items WHERE id = $1 \
     UNION ALL SELECT i.id, i.container_kind, i.container_id, up.depth + 1 \
     FROM items i JOIN up ON up.ck = 3 AND i.id = up.cid WHERE up.depth < 64) \
     SELECT count(*) FILTER (WHERE id = $2), count(*), coalesce(max(depth), 0)::int8 FROM up";
const SQL_PUT_OBJECTS: &str = "INSERT INTO objects SELECT * FROM UNNEST($1::int8[], $2::int4[], \
     $3::int4[], $4::int4[], $5::int8[], $6::int4[], $7::int4[], $8::int8[], $9::int4[], \
     $10::int8[], $11::int8[], $12::bytea[]) ON CONFLICT (id) DO UPDATE SET map = EXCLUDED.map, \
     grid_x = EXCLUDED.grid_x, grid_y = EXCLUDED.grid_y, kind = EXCLUDED.kind, x = EXCLUDED.x, \
     y = EXCLUDED.y, quality = EXCLUDED.quality, stage = EXCLUDED.stage, \
     stage_started_ms = EXCLUDED.stage_started_ms, stage_ends_ms = EXCLUDED.stage_ends_ms, \
     state = EXCLUDED.state";
const SQL_SAVE_CHUNKS: &str = "INSERT INTO chunks SELECT * FROM UNNEST($1::int4[], $2::int4[], \
     $3::int4[], $4::int8[], $5::bytea[]) ON CONFLICT (map, cx, cy) DO UPDATE SET \
     version = EXCLUDED.version, data = EXCLUDED.data";
const SQL_PRUNE_OBJECTS: &str = "DELETE FROM objects AS o \
     USING UNNEST($1::int4[], $2::int4[], $3::int4[]) AS c(map, gx, gy) \
     WHERE o.map = c.map AND o.grid_x = c.gx AND o.grid_y = c.gy AND o.id <> ALL($4::int8[]) \
     AND NOT EXISTS (SELECT 1 FROM items i WHERE i.container_kind = 2 AND i.container_id = o.id)";
const SQL_ITEM_TREE: &str = "WITH RECURSIVE tree AS ( \
     SELECT id, kind, quality, count, container_kind, container_id, slot, 0 AS depth FROM items \
     WHERE container_kind = $1 AND container_id = $2 \
     UNION ALL SELECT c.id, c.kind, c.quality, c.count, c.container_kind, c.container_id, c.slot, \
     t.depth + 1 FROM items c JOIN tree t ON c.container_kind = 3 AND c.container_id = t.id \
     WHERE t.depth < 64) SELECT id, kind, quality, count, container_kind, container_id, slot FROM tree";
const SQL_CHUNK_ITEMS: &str = "WITH RECURSIVE tree AS ( \
     SELECT i.id, i.kind, i.quality, i.count, i.container_kind, i.container_id, i.slot, 0 AS depth \
     FROM items i JOIN objects o ON i.container_kind = 2 AND i.container_id = o.id \
     WHERE o.map = $1 AND o.grid_x = $2 AND o.grid_y = $3 \
     UNION ALL SELECT c.id, c.kind, c.quality, c.count, c.container_kind, c.container_id, c.slot, \
     t.depth + 1 FROM items c JOIN tree t ON c.container_kind = 3 AND c.container_id = t.id \
     WHERE t.depth < 64) SELECT id, kind, quality, count, container_kind, container_id, slot FROM tree";

/// Statements prepared once per connection.
struct Prepared {
    positions: Statement,
    put_item: Statement,
    move_item: Statement,
    cycle: Statement,
    item_tree: Statement,
    chunk: Statement,
    objects: Statement,
    chunk_items: Statement,
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
        let stmts = Prepared {
            positions: client.prepare(SQL_POSITIONS).map_err(pg_err)?,
            put_item: client.prepare(SQL_PUT_ITEM).map_err(pg_err)?,
            move_item: client.prepare(SQL_MOVE_ITEM).map_err(pg_err)?,
            cycle: client.prepare(SQL_CYCLE).map_err(pg_err)?,
            item_tree: client.prepare(SQL_ITEM_TREE).map_err(pg_err)?,
            chunk: client
                .prepare("SELECT version, data FROM chunks WHERE map = $1 AND cx = $2 AND cy = $3")
                .map_err(pg_err)?,
            objects: client
                .prepare(&format!(
                    "SELECT {OBJECT_COLS} FROM objects WHERE map = $1 AND grid_x = $2 AND grid_y = $3"
                ))
                .map_err(pg_err)?,
            chunk_items: client.prepare(SQL_CHUNK_ITEMS).map_err(pg_err)?,
        };
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

fn holds_items(tx: &mut Transaction<'_>, c: Container) -> Result<bool, StoreError> {
    let (k, id) = c.to_parts();
    let row = tx.query_one(SQL_HOLDS_ITEMS, &[&k, &id]).map_err(pg_err)?;
    Ok(row.get(0))
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
            let n = tx.execute(SQL_ITEM_COUNT, &[id, &i64::from(*count)]).map_err(pg_err)?;
            Ok((n == 0).then(|| format!("item {id} does not exist")))
        }
        ItemOp::Delete { id } => {
            if holds_items(tx, Container::Item(*id))? {
                return Ok(Some(format!("item {id} still holds items")));
            }
            tx.execute("DELETE FROM items WHERE id = $1", &[id]).map_err(pg_err)?;
            Ok(None)
        }
        ItemOp::PutObject(obj) => {
            put_objects(tx, std::slice::from_ref(obj))?;
            Ok(None)
        }
        ItemOp::DeleteObject { id } => {
            if holds_items(tx, Container::Object(*id))? {
                return Ok(Some(format!("object {id} still holds items")));
            }
            tx.execute("DELETE FROM objects WHERE id = $1", &[id]).map_err(pg_err)?;
            Ok(None)
        }
    }
}

fn put_objects(tx: &mut Transaction<'_>, objs: &[ObjectRecord]) -> Result<(), StoreError> {
    if objs.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&ObjectRecord) -> i64| objs.iter().map(f).collect::<Vec<i64>>();
    let col32 = |f: fn(&ObjectRecord) -> i32| objs.iter().map(f).collect::<Vec<i32>>();
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
    tx.execute(SQL_PUT_OBJECTS, &params).map_err(pg_err)?;
    Ok(())
}

fn save_chunk_tiles(tx: &mut Transaction<'_>, saves: &[ChunkSave]) -> Result<(), StoreError> {
    let chunks: Vec<&ChunkRecord> = saves.iter().filter_map(|s| s.chunk.as_ref()).collect();
    if chunks.is_empty() {
        return Ok(());
    }
    let maps: Vec<i32> = chunks.iter().map(|c| map_i32(c.key.map)).collect();
    let cx: Vec<i32> = chunks.iter().map(|c| c.key.cx).collect();
    let cy: Vec<i32> = chunks.iter().map(|c| c.key.cy).collect();
    let versions: Vec<i64> = chunks.iter().map(|c| i64::from(c.version)).collect();
    let data: Vec<&[u8]> = chunks.iter().map(|c| c.data.as_slice()).collect();
    tx.execute(SQL_SAVE_CHUNKS, &[&maps, &cx, &cy, &versions, &data]).map_err(pg_err)?;
    Ok(())
}

fn prune_objects(tx: &mut Transaction<'_>, saves: &[ChunkSave]) -> Result<(), StoreError> {
    let maps: Vec<i32> = saves.iter().map(|s| map_i32(s.key.map)).collect();
    let gx: Vec<i32> = saves.iter().map(|s| s.key.cx).collect();
    let gy: Vec<i32> = saves.iter().map(|s| s.key.cy).collect();
    let keep: Vec<i64> = saves.iter().flat_map(|s| s.objects.iter().map(|o| o.id)).collect();
    tx.execute(SQL_PRUNE_OBJECTS, &[&maps, &gx, &gy, &keep]).map_err(pg_err)?;
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
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&NESTING_LOCK]).map_err(pg_err)?;
        }
        for (i, op) in itx.ops.iter().enumerate() {
            self.faults.check(FaultPoint::ItemOp { op: i })?;
            if let Some(reason) = apply_op(&mut tx, &self.stmts, op)? {
                return Err(StoreError::ItemTx { label: itx.label.clone(), op: i, reason });
            }
        }
        tx.commit().map_err(pg_err)
    }

    fn create_player(&mut self, player: &PlayerRecord, kit: &ItemTx) -> Result<Created, StoreError> {
        let mut tx = self.client.transaction().map_err(pg_err)?;
        if needs_nesting_lock(kit) {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&NESTING_LOCK]).map_err(pg_err)?;
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
        for (i, op) in kit.ops.iter().enumerate() {
            self.faults.check(FaultPoint::ItemOp { op: i })?;
            if let Some(reason) = apply_op(&mut tx, &self.stmts, op)? {
                return Err(StoreError::ItemTx { label: kit.label.clone(), op: i, reason });
            }
        }
        tx.commit().map_err(pg_err)?;
        Ok(Created::New)
    }

    fn save_chunks(&mut self, saves: &[ChunkSave]) -> Result<(), StoreError> {
        if saves.is_empty() {
            return Ok(());
        }
        let mut tx = self.client.transaction().map_err(pg_err)?;
        self.faults.check(FaultPoint::ChunkStmt { stmt: 0 })?;
        save_chunk_tiles(&mut tx, saves)?;
        self.faults.check(FaultPoint::ChunkStmt { stmt: 1 })?;
        prune_objects(&mut tx, saves)?;
        self.faults.check(FaultPoint::ChunkStmt { stmt: 2 })?;
        let objs: Vec<ObjectRecord> = saves.iter().flat_map(|s| s.objects.clone()).collect();
        put_objects(&mut tx, &objs)?;
        self.faults.check(FaultPoint::ChunkStmt { stmt: 3 })?;
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
