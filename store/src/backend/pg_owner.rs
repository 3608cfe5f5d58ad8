//! PostgreSQL side of ownership: the [`OwnerTx`] statements over an open transaction, and the
//! transactions of `take_map`, sequenced saves, fenced positions, claims and hand-offs.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, Transaction};

use super::owner::{self, OwnerTx, TokenRow, newest_saves};
use super::pg_items::{
    NESTING_LOCK, Prepared, check_fence, check_fences, item_from_row, map_i32, needs_nesting_lock, pg_err,
    player_columns, player_from_row, refs, run_item_tx,
};
use super::pg_sql::*;
use super::{FaultPoint, Faults, partition};
use crate::error::StoreError;
use crate::owner::{Fence, HandOff, LiveOwner, MapOwner, PlayerSave, SaveSeq, TokenState};
use crate::record::{Container, ItemTx, MapId, PlayerLoad, PlayerRecord, PositionUpdate};

/// One open transaction and the connection's statements.
pub(super) struct PgOwner<'a, 't> {
    pub tx: &'a mut Transaction<'t>,
    pub stmts: &'a Prepared,
    pub faults: &'a Faults,
}

fn token_from(r: &postgres::Row) -> TokenRow {
    TokenRow {
        player: r.get(0),
        from_shard: r.get(1),
        to_shard: r.get(2),
        expires_ms: r.get(3),
        state: TokenState::from_i64(r.get::<_, i16>(4).into()),
        claim: r.get(5),
    }
}

fn live_from(row: &postgres::Row) -> LiveOwner {
    LiveOwner { shard: row.get(0), claim: row.get(1), saved: SaveSeq { claim: row.get(2), n: row.get(3) } }
}

impl OwnerTx for PgOwner<'_, '_> {
    fn savepoint(&mut self, sql: &str) -> Result<(), StoreError> {
        self.tx.batch_execute(sql).map_err(pg_err)
    }

    fn map_epoch(&mut self, map: MapId) -> Result<Option<i64>, StoreError> {
        let row = self.tx.query_opt(&self.stmts.map_epoch, &[&map_i32(map)]).map_err(pg_err)?;
        Ok(row.map(|r| r.get(0)))
    }

    fn lock_players(&mut self, ids: &[i64]) -> Result<(), StoreError> {
        lock_players(self.tx, ids.iter().copied())
    }

    fn live(&mut self, player: i64) -> Result<Option<LiveOwner>, StoreError> {
        let row = self.tx.query_opt(SQL_LIVE, &[&player]).map_err(pg_err)?;
        Ok(row.as_ref().map(live_from))
    }

    fn set_live(&mut self, player: i64, shard: Option<&str>, claim: i64) -> Result<(), StoreError> {
        self.tx.execute(SQL_SET_LIVE, &[&player, &shard, &claim]).map_err(pg_err)?;
        Ok(())
    }

    fn token(&mut self, hash: &[u8]) -> Result<Option<TokenRow>, StoreError> {
        let row = self.tx.query_opt(SQL_TOKEN, &[&hash]).map_err(pg_err)?;
        Ok(row.as_ref().map(token_from))
    }

    fn tokens(&mut self, hashes: &[&[u8]]) -> Result<Vec<Option<TokenRow>>, StoreError> {
        let rows = self.tx.query(SQL_TOKENS, &[&hashes]).map_err(pg_err)?;
        let found: HashMap<Vec<u8>, TokenRow> = rows.iter().map(|r| (r.get(6), token_from(r))).collect();
        Ok(hashes.iter().map(|h| found.get(*h).cloned()).collect())
    }

    fn lives(&mut self, players: &[i64]) -> Result<Vec<Option<LiveOwner>>, StoreError> {
        let rows = self.tx.query(SQL_LIVES, &[&players]).map_err(pg_err)?;
        let found: HashMap<i64, LiveOwner> = rows.iter().map(|r| (r.get(4), live_from(r))).collect();
        Ok(players.iter().map(|p| found.get(p).cloned()).collect())
    }

    fn set_lives(&mut self, lives: &[(i64, i64)], shard: Option<&str>) -> Result<(), StoreError> {
        let (ids, claims): (Vec<i64>, Vec<i64>) = lives.iter().copied().unzip();
        self.tx.execute(SQL_SET_LIVES, &[&ids, &claims, &shard]).map_err(pg_err)?;
        Ok(())
    }

    fn set_token_states(&mut self, tokens: &[(&[u8], i64)], state: TokenState) -> Result<(), StoreError> {
        let (hashes, claims): (Vec<&[u8]>, Vec<i64>) = tokens.iter().copied().unzip();
        self.tx.execute(SQL_TOKEN_STATES, &[&hashes, &claims, &(state as i16)]).map_err(pg_err)?;
        Ok(())
    }

    fn put_tokens(&mut self, hs: &[&HandOff]) -> Result<usize, StoreError> {
        let hashes: Vec<&[u8]> = hs.iter().map(|h| h.token_hash.as_slice()).collect();
        let players: Vec<i64> = hs.iter().map(|h| h.save.player.id).collect();
        let from: Vec<&str> = hs.iter().map(|h| h.from_shard.as_str()).collect();
        let to: Vec<&str> = hs.iter().map(|h| h.to_shard.as_str()).collect();
        let maps: Vec<i32> = hs.iter().map(|h| map_i32(h.to_map)).collect();
        let expires: Vec<i64> = hs.iter().map(|h| h.expires_ms).collect();
        let params: [&(dyn ToSql + Sync); 6] = [&hashes, &players, &from, &to, &maps, &expires];
        Ok(self.tx.execute(SQL_PUT_TOKENS, &params).map_err(pg_err)? as usize)
    }

    fn put_token(&mut self, h: &HandOff) -> Result<bool, StoreError> {
        let params: [&(dyn ToSql + Sync); 6] =
            [&h.token_hash, &h.save.player.id, &h.from_shard, &h.to_shard, &map_i32(h.to_map), &h.expires_ms];
        Ok(self.tx.execute(SQL_PUT_TOKEN, &params).map_err(pg_err)? == 1)
    }

    fn set_token_state(&mut self, hash: &[u8], state: TokenState, claim: i64) -> Result<(), StoreError> {
        self.tx.execute(SQL_TOKEN_STATE, &[&hash, &(state as i16), &claim]).map_err(pg_err)?;
        Ok(())
    }

    fn save_players(&mut self, saves: &[&PlayerSave]) -> Result<usize, StoreError> {
        save_players_seq(self.tx, saves)
    }

    fn item_tx(&mut self, tx: &ItemTx) -> Result<(), StoreError> {
        run_item_tx(self.tx, self.stmts, self.faults, tx)
    }

    fn load_player(&mut self, id: i64) -> Result<Option<PlayerLoad>, StoreError> {
        let sql = format!("SELECT {PLAYER_COLS} FROM {PLAYER_FROM} WHERE p.id = $1");
        let Some(row) = self.tx.query_opt(&sql, &[&id]).map_err(pg_err)? else {
            return Ok(None);
        };
        let player = player_from_row(&row).map_err(StoreError::BadRecord)?;
        let (k, pid) = Container::Player(id).to_parts();
        let rows = self.tx.query(&self.stmts.item_tree, &[&k, &pid]).map_err(pg_err)?;
        let (items, bad) = partition(rows.iter().map(item_from_row).collect());
        Ok(Some(PlayerLoad { player, items, bad }))
    }

    fn load_players(&mut self, ids: &[i64]) -> Result<Vec<Option<PlayerLoad>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {PLAYER_COLS} FROM {PLAYER_FROM} WHERE p.id = ANY($1::int8[])");
        let mut players = HashMap::new();
        for row in self.tx.query(&sql, &[&ids]).map_err(pg_err)? {
            let player = player_from_row(&row).map_err(StoreError::BadRecord)?;
            players.insert(player.id, player);
        }
        let (k, _) = Container::Player(0).to_parts();
        let mut trees: HashMap<i64, Vec<_>> = HashMap::new();
        for row in self.tx.query(SQL_ITEM_TREES, &[&k, &ids]).map_err(pg_err)? {
            trees.entry(row.get::<_, i64>(7)).or_default().push(item_from_row(&row));
        }
        let load = |id: &i64| {
            let player = players.get(id)?.clone();
            let (items, bad) = partition(trees.get(id).cloned().unwrap_or_default());
            Some(PlayerLoad { player, items, bad })
        };
        Ok(ids.iter().map(load).collect())
    }
}

/// The sequenced upsert of [`SQL_SAVE_PLAYERS_SEQ`] (one save per player); rows applied.
fn save_players_seq(tx: &mut Transaction<'_>, saves: &[&PlayerSave]) -> Result<usize, StoreError> {
    if saves.is_empty() {
        return Ok(0);
    }
    lock_players(tx, saves.iter().map(|s| s.player.id))?;
    let players: Vec<PlayerRecord> = saves.iter().map(|s| s.player.clone()).collect();
    let (main, pos) = player_columns(&players);
    let claims: Vec<i64> = saves.iter().map(|s| s.seq.claim).collect();
    let ns: Vec<i64> = saves.iter().map(|s| s.seq.n).collect();
    let mut params = refs(&main);
    params.push(&claims);
    params.push(&ns);
    params.extend(refs(&pos));
    Ok(tx.execute(SQL_SAVE_PLAYERS_SEQ, &params).map_err(pg_err)? as usize)
}

/// Locks the `players` rows of `ids` in id order ([`SQL_LOCK_PLAYERS`]).
fn lock_players(tx: &mut Transaction<'_>, ids: impl Iterator<Item = i64>) -> Result<(), StoreError> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    tx.execute(SQL_LOCK_PLAYERS, &[&ids]).map_err(pg_err)?;
    Ok(())
}

/// Runs `f` over an [`OwnerTx`] in one transaction, committed after the `OwnerCommit` fault
/// point when `f` succeeds (a refusal wrote nothing); an error rolls everything back.
pub(super) fn in_tx<T>(
    client: &mut Client,
    stmts: &Prepared,
    faults: &Faults,
    nesting: bool,
    f: impl FnOnce(&mut dyn OwnerTx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut tx = client.transaction().map_err(pg_err)?;
    if nesting {
        tx.execute(&stmts.nesting_lock, &[&NESTING_LOCK]).map_err(pg_err)?;
    }
    let out = f(&mut PgOwner { tx: &mut tx, stmts, faults })?;
    faults.check(FaultPoint::OwnerCommit)?;
    tx.commit().map_err(pg_err)?;
    faults.check(FaultPoint::OwnerCommitted)?;
    Ok(out)
}

pub(super) fn take_map(client: &mut Client, map: MapId, shard: &str) -> Result<Fence, StoreError> {
    let row = client.query_one(SQL_TAKE_MAP, &[&map_i32(map), &shard]).map_err(pg_err)?;
    Ok(Fence { map, epoch: row.get(0) })
}

pub(super) fn map_owner(client: &mut Client, map: MapId) -> Result<Option<MapOwner>, StoreError> {
    let row = client.query_opt(SQL_MAP_OWNER, &[&map_i32(map)]).map_err(pg_err)?;
    Ok(row.map(|r| MapOwner { shard: r.get(0), epoch: r.get(1) }))
}

pub(super) fn live_owner(client: &mut Client, player: i64) -> Result<Option<LiveOwner>, StoreError> {
    let sql = "SELECT live_shard, live_claim, save_claim, save_n FROM players WHERE id = $1";
    let row = client.query_opt(sql, &[&player]).map_err(pg_err)?;
    Ok(row.as_ref().map(live_from))
}

pub(super) fn save_players_fenced(
    client: &mut Client,
    stmts: &Prepared,
    fences: &[Fence],
    saves: &[PlayerSave],
) -> Result<usize, StoreError> {
    let mut tx = client.transaction().map_err(pg_err)?;
    check_fences(&mut tx, stmts, fences)?;
    let n = save_players_seq(&mut tx, &newest_saves(saves))?;
    tx.commit().map_err(pg_err)?;
    Ok(n)
}

pub(super) fn write_positions(
    client: &mut Client,
    stmts: &Prepared,
    faults: &Faults,
    fence: Option<Fence>,
    batch: &[PositionUpdate],
) -> Result<usize, StoreError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = batch.iter().map(|u| u.player).collect();
    let maps: Vec<i32> = batch.iter().map(|u| map_i32(u.map)).collect();
    let xs: Vec<i32> = batch.iter().map(|u| u.pos.x).collect();
    let ys: Vec<i32> = batch.iter().map(|u| u.pos.y).collect();
    let claims: Vec<i64> = batch.iter().map(|u| u.claim).collect();
    let mut tx = client.transaction().map_err(pg_err)?;
    // Positions are rewritten every second: a crash may lose the last one, never items.
    tx.batch_execute("SET LOCAL synchronous_commit TO OFF").map_err(pg_err)?;
    let n = match fence {
        None => tx.execute(&stmts.positions, &[&ids, &maps, &xs, &ys]).map_err(pg_err)?,
        Some(f) => {
            check_fence(&mut tx, stmts, f)?;
            let params: [&(dyn ToSql + Sync); 6] = [&ids, &maps, &xs, &ys, &map_i32(f.map), &claims];
            tx.execute(SQL_POSITIONS_FENCED, &params).map_err(pg_err)?
        }
    };
    faults.check(FaultPoint::PositionCommit)?;
    tx.commit().map_err(pg_err)?;
    Ok(n as usize)
}

pub(super) fn hand_off(
    client: &mut Client,
    stmts: &Prepared,
    faults: &Faults,
    h: &HandOff,
) -> Result<(), StoreError> {
    let nesting = h.items.iter().any(needs_nesting_lock);
    in_tx(client, stmts, faults, nesting, |t| owner::hand_off(t, h))
}

/// Hand-offs committed together (see `owner::hand_offs`).
pub(super) fn hand_offs(
    client: &mut Client,
    stmts: &Prepared,
    faults: &Faults,
    hs: &[&HandOff],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let nesting = hs.iter().flat_map(|h| &h.items).any(needs_nesting_lock);
    in_tx(client, stmts, faults, nesting, |t| owner::hand_offs(t, hs))
}

pub(super) fn prune_handoffs(client: &mut Client, before_ms: i64) -> Result<usize, StoreError> {
    Ok(client.execute(SQL_PRUNE_HANDOFFS, &[&before_ms]).map_err(pg_err)? as usize)
}
