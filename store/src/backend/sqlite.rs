//! SQLite backend (embedded default): WAL mode, one transaction per batch with prepared statements.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};
use rusqlite::{ToSql, params};

use super::lite_items::*;
use super::lite_owner::{self, in_tx};
use super::owner;
use super::{
    Backend, BackendKind, BatchOutcome, CommitMark, Created, FaultPoint, Faults, ItemsLoad, batch_step,
};
use super::{partition, to_u32};
use crate::error::{RecordRef, StoreError};
use crate::owner::{
    AcceptRequest, Acceptance, Cancellation, Claim, Fence, HandOff, LiveOwner, MapOwner, PlayerSave,
};
use crate::record::{
    ChunkKey, ChunkLoad, ChunkRecord, ChunkSave, Container, IdKind, ItemRecord, ItemTx, MapId, PlayerLoad,
    PlayerRecord, PositionUpdate, name_key,
};

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

    fn write_positions_fenced(
        &mut self,
        fence: Option<Fence>,
        batch: &[PositionUpdate],
    ) -> Result<usize, StoreError> {
        lite_owner::write_positions(&mut self.conn, &self.faults, fence, batch)
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

    fn save_chunks_fenced(&mut self, fences: &[Fence], saves: &[ChunkSave]) -> Result<(), StoreError> {
        let faults = self.faults.clone();
        let tx = self.write_tx()?;
        check_fences(&tx, fences)?;
        for (i, save) in saves.iter().enumerate() {
            faults.check(FaultPoint::ChunkStmt { stmt: i })?;
            save_chunk(&tx, save)?;
        }
        tx.commit().map_err(lite_err)
    }

    fn take_map(&mut self, map: MapId, shard: &str) -> Result<Fence, StoreError> {
        lite_owner::take_map(&mut self.conn, map, shard)
    }

    fn map_owner(&mut self, map: MapId) -> Result<Option<MapOwner>, StoreError> {
        lite_owner::map_owner(&self.conn, map)
    }

    fn save_players_seq(&mut self, fences: &[Fence], saves: &[PlayerSave]) -> Result<usize, StoreError> {
        lite_owner::save_players_fenced(&mut self.conn, fences, saves)
    }

    fn claim_player_from(
        &mut self,
        player: i64,
        shard: &str,
        dead: Option<&str>,
    ) -> Result<Claim, StoreError> {
        in_tx(&mut self.conn, &self.faults, |t| owner::claim(t, player, shard, dead))
    }

    fn release_player(&mut self, player: i64, shard: &str) -> Result<bool, StoreError> {
        in_tx(&mut self.conn, &self.faults, |t| owner::release(t, player, shard))
    }

    fn live_owner(&mut self, player: i64) -> Result<Option<LiveOwner>, StoreError> {
        lite_owner::live_owner(&self.conn, player)
    }

    fn hand_off(&mut self, h: &HandOff) -> Result<(), StoreError> {
        lite_owner::hand_off(&mut self.conn, &self.faults, h)
    }

    fn hand_offs(&mut self, hs: &[&HandOff]) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        lite_owner::hand_offs(&mut self.conn, &self.faults, hs)
    }

    fn accept_handoffs(
        &mut self,
        reqs: &[AcceptRequest<'_>],
        again: bool,
    ) -> Result<Vec<Result<Acceptance, StoreError>>, StoreError> {
        in_tx(&mut self.conn, &self.faults, |t| owner::accept_all(t, reqs, again))
    }

    fn cancel_handoff(&mut self, hash: &[u8], source: &str) -> Result<Cancellation, StoreError> {
        in_tx(&mut self.conn, &self.faults, |t| owner::cancel(t, hash, source, false))
    }

    fn cancel_handoff_again(&mut self, hash: &[u8], source: &str) -> Result<Cancellation, StoreError> {
        in_tx(&mut self.conn, &self.faults, |t| owner::cancel(t, hash, source, true))
    }

    fn prune_handoffs(&mut self, before_ms: i64) -> Result<usize, StoreError> {
        lite_owner::prune_handoffs(&self.conn, before_ms)
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
