//! PostgreSQL backend: batched `UNNEST` writes, item transactions grouped into one database
//! transaction per batch over prepared statements, indexed loads.

use std::ops::Range;
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row};

use super::owner;
use super::pg_items::{
    NESTING_LOCK, Prepared, check_fences, item_from_row, map_i32, needs_nesting_lock, object_from_row,
    pg_err, player_columns, player_from_row, prune_objects, refs, run_item_tx, save_chunk_tiles,
    save_objects,
};
use super::pg_owner::{self, in_tx};
use super::pg_sql::*;
use super::{
    Backend, BackendKind, BatchOutcome, CommitMark, Created, FaultPoint, Faults, ItemsLoad, batch_step,
};
use super::{partition, to_u32};
use crate::error::{BadRecord, RecordRef, StoreError};
use crate::owner::{
    AcceptRequest, Acceptance, Cancellation, Claim, Fence, HandOff, LiveOwner, MapOwner, PlayerSave,
};
use crate::record::{
    ChunkKey, ChunkLoad, ChunkRecord, ChunkSave, Container, IdKind, ItemRecord, ItemTx, MapId, PlayerLoad,
    PlayerRecord, PositionUpdate, name_key,
};

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

    fn write_positions_fenced(
        &mut self,
        fence: Option<Fence>,
        batch: &[PositionUpdate],
    ) -> Result<usize, StoreError> {
        pg_owner::write_positions(&mut self.client, &self.stmts, &self.faults, fence, batch)
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

    fn save_chunks_fenced(&mut self, fences: &[Fence], saves: &[ChunkSave]) -> Result<(), StoreError> {
        if saves.is_empty() {
            return Ok(());
        }
        let mut tx = self.client.transaction().map_err(pg_err)?;
        let (stmts, faults) = (&self.stmts, &self.faults);
        check_fences(&mut tx, stmts, fences)?;
        faults.check(FaultPoint::ChunkStmt { stmt: 0 })?;
        save_chunk_tiles(&mut tx, &stmts.save_chunks, saves)?;
        faults.check(FaultPoint::ChunkStmt { stmt: 1 })?;
        prune_objects(&mut tx, &stmts.prune_objects, saves)?;
        faults.check(FaultPoint::ChunkStmt { stmt: 2 })?;
        save_objects(&mut tx, &stmts.save_objects, saves)?;
        faults.check(FaultPoint::ChunkStmt { stmt: 3 })?;
        tx.commit().map_err(pg_err)
    }

    fn take_map(&mut self, map: MapId, shard: &str) -> Result<Fence, StoreError> {
        pg_owner::take_map(&mut self.client, map, shard)
    }

    fn map_owner(&mut self, map: MapId) -> Result<Option<MapOwner>, StoreError> {
        pg_owner::map_owner(&mut self.client, map)
    }

    fn save_players_seq(&mut self, fences: &[Fence], saves: &[PlayerSave]) -> Result<usize, StoreError> {
        pg_owner::save_players_fenced(&mut self.client, &self.stmts, fences, saves)
    }

    fn claim_player_from(
        &mut self,
        player: i64,
        shard: &str,
        dead: Option<&str>,
    ) -> Result<Claim, StoreError> {
        in_tx(&mut self.client, &self.stmts, &self.faults, false, |t| owner::claim(t, player, shard, dead))
    }

    fn release_player(&mut self, player: i64, shard: &str) -> Result<bool, StoreError> {
        in_tx(&mut self.client, &self.stmts, &self.faults, false, |t| owner::release(t, player, shard))
    }

    fn live_owner(&mut self, player: i64) -> Result<Option<LiveOwner>, StoreError> {
        pg_owner::live_owner(&mut self.client, player)
    }

    fn hand_off(&mut self, h: &HandOff) -> Result<(), StoreError> {
        pg_owner::hand_off(&mut self.client, &self.stmts, &self.faults, h)
    }

    fn hand_offs(&mut self, hs: &[&HandOff]) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        pg_owner::hand_offs(&mut self.client, &self.stmts, &self.faults, hs)
    }

    fn accept_handoffs(
        &mut self,
        reqs: &[AcceptRequest<'_>],
        again: bool,
    ) -> Result<Vec<Result<Acceptance, StoreError>>, StoreError> {
        in_tx(&mut self.client, &self.stmts, &self.faults, false, |t| owner::accept_all(t, reqs, again))
    }

    fn cancel_handoff(&mut self, hash: &[u8], source: &str) -> Result<Cancellation, StoreError> {
        in_tx(&mut self.client, &self.stmts, &self.faults, false, |t| owner::cancel(t, hash, source, false))
    }

    fn cancel_handoff_again(&mut self, hash: &[u8], source: &str) -> Result<Cancellation, StoreError> {
        in_tx(&mut self.client, &self.stmts, &self.faults, false, |t| owner::cancel(t, hash, source, true))
    }

    fn prune_handoffs(&mut self, before_ms: i64) -> Result<usize, StoreError> {
        pg_owner::prune_handoffs(&mut self.client, before_ms)
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
