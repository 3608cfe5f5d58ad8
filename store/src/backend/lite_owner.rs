//! SQLite side of ownership: the [`OwnerTx`] statements over an open (exclusive) write
//! transaction, and the transactions of `take_map`, sequenced saves, fenced positions, claims and
//! hand-offs. Same SQL meaning as `pg_sql.rs`'s ownership statements.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::lite_items::{
    PLAYER_COLS, PLAYER_FROM, SQL_ITEM_TREE, SQL_POSITION, check_fence, check_fences, lite_err, map_epoch,
    player_from_row, query_items, run_item_tx, write_player_with,
};
use super::owner::{self, OwnerTx, TokenRow, newest_saves};
use super::{FaultPoint, Faults};
use crate::error::StoreError;
use crate::owner::{Fence, HandOff, LiveOwner, MapOwner, PlayerSave, SaveSeq, TokenState};
use crate::record::{Container, ItemTx, MapId, PlayerLoad, PositionUpdate};

const SQL_TAKE_MAP: &str = "INSERT INTO map_owners (map, shard, epoch) VALUES (?1, ?2, 1) \
     ON CONFLICT (map) DO UPDATE SET shard = excluded.shard, epoch = map_owners.epoch + 1 RETURNING epoch";
const SQL_LIVE: &str = "SELECT live_shard, live_claim, save_claim, save_n FROM players WHERE id = ?1";
const SQL_TOKEN: &str =
    "SELECT player, from_shard, to_shard, expires_ms, state, claim FROM handoffs WHERE token_hash = ?1";
const SQL_PUT_TOKEN: &str = "INSERT INTO handoffs (token_hash, player, from_shard, to_shard, to_map, \
     expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING";
/// A character's row changes only for a save of its current claim newer than the stored one.
const SQL_SAVE_PLAYER_SEQ: &str = "UPDATE players SET name = ?2, name_key = ?3, token_hash = ?4, \
     health = ?5, hunger = ?6, stamina = ?7, xp_combat = ?8, xp_crafting = ?9, xp_gathering = ?10, \
     save_claim = ?11, save_n = ?12 \
     WHERE id = ?1 AND live_claim = ?11 AND (save_claim, save_n) < (?11, ?12)";
/// Fenced positions: only of characters live on the shard that holds map ?5, under the claim
/// ?6 the position was taken under.
const SQL_POSITION_FENCED: &str = "UPDATE player_positions SET map = ?2, x = ?3, y = ?4 WHERE id = ?1 \
     AND EXISTS (SELECT 1 FROM players pl JOIN map_owners m ON m.shard = pl.live_shard \
     WHERE pl.id = ?1 AND m.map = ?5 AND pl.live_claim = ?6)";

/// One open write transaction.
pub(super) struct LiteOwner<'a, 'c> {
    pub tx: &'a Transaction<'c>,
    pub faults: &'a Faults,
}

fn live_from(r: &rusqlite::Row) -> rusqlite::Result<LiveOwner> {
    Ok(LiveOwner { shard: r.get(0)?, claim: r.get(1)?, saved: SaveSeq { claim: r.get(2)?, n: r.get(3)? } })
}

fn live_row(conn: &Connection, player: i64) -> Result<Option<LiveOwner>, StoreError> {
    let mut stmt = conn.prepare_cached(SQL_LIVE).map_err(lite_err)?;
    stmt.query_row([player], live_from).optional().map_err(lite_err)
}

impl OwnerTx for LiteOwner<'_, '_> {
    fn savepoint(&mut self, sql: &str) -> Result<(), StoreError> {
        self.tx.execute_batch(sql).map_err(lite_err)
    }

    fn map_epoch(&mut self, map: MapId) -> Result<Option<i64>, StoreError> {
        map_epoch(self.tx, map)
    }

    fn lock_players(&mut self, _ids: &[i64]) -> Result<(), StoreError> {
        Ok(()) // the write transaction holds the whole database already
    }

    fn live(&mut self, player: i64) -> Result<Option<LiveOwner>, StoreError> {
        live_row(self.tx, player)
    }

    fn set_live(&mut self, player: i64, shard: Option<&str>, claim: i64) -> Result<(), StoreError> {
        let sql = "UPDATE players SET live_shard = ?2, live_claim = ?3 WHERE id = ?1";
        self.tx.execute(sql, params![player, shard, claim]).map_err(lite_err)?;
        Ok(())
    }

    fn token(&mut self, hash: &[u8]) -> Result<Option<TokenRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(SQL_TOKEN).map_err(lite_err)?;
        stmt.query_row([hash], |r| {
            Ok(TokenRow {
                player: r.get(0)?,
                from_shard: r.get(1)?,
                to_shard: r.get(2)?,
                expires_ms: r.get(3)?,
                state: TokenState::from_i64(r.get(4)?),
                claim: r.get(5)?,
            })
        })
        .optional()
        .map_err(lite_err)
    }

    fn put_token(&mut self, h: &HandOff) -> Result<bool, StoreError> {
        let p = params![h.token_hash, h.save.player.id, h.from_shard, h.to_shard, h.to_map, h.expires_ms];
        Ok(self.tx.execute(SQL_PUT_TOKEN, p).map_err(lite_err)? == 1)
    }

    fn set_token_state(&mut self, hash: &[u8], state: TokenState, claim: i64) -> Result<(), StoreError> {
        let sql = "UPDATE handoffs SET state = ?2, claim = ?3 WHERE token_hash = ?1";
        self.tx.execute(sql, params![hash, state as i64, claim]).map_err(lite_err)?;
        Ok(())
    }

    fn save_players(&mut self, saves: &[&PlayerSave]) -> Result<usize, StoreError> {
        save_players_seq(self.tx, saves)
    }

    fn item_tx(&mut self, tx: &ItemTx) -> Result<(), StoreError> {
        run_item_tx(self.tx, self.faults, tx)
    }

    fn load_player(&mut self, id: i64) -> Result<Option<PlayerLoad>, StoreError> {
        let sql = format!("SELECT {PLAYER_COLS} FROM {PLAYER_FROM} WHERE p.id = ?1");
        let mut stmt = self.tx.prepare_cached(&sql).map_err(lite_err)?;
        let row = stmt.query_row([id], |r| Ok(player_from_row(r))).optional().map_err(lite_err)?;
        let Some(player) = row else { return Ok(None) };
        let player = player.map_err(StoreError::BadRecord)?;
        let (k, pid) = Container::Player(id).to_parts();
        let items = query_items(self.tx, SQL_ITEM_TREE, &[&k, &pid])?;
        Ok(Some(PlayerLoad { player, items: items.items, bad: items.bad }))
    }
}

/// The sequenced saves (one per player) and the positions of those that applied.
fn save_players_seq(tx: &Transaction<'_>, saves: &[&PlayerSave]) -> Result<usize, StoreError> {
    let mut stmt = tx.prepare_cached(SQL_SAVE_PLAYER_SEQ).map_err(lite_err)?;
    let mut pos = tx.prepare_cached(SQL_POSITION).map_err(lite_err)?;
    let mut applied = 0;
    for s in saves {
        let p = &s.player;
        let n = write_player_with(&mut stmt, p, &[&s.seq.claim, &s.seq.n]).map_err(lite_err)?;
        if n == 1 {
            pos.execute(params![p.id, p.map, p.pos.x, p.pos.y]).map_err(lite_err)?;
            applied += 1;
        }
    }
    Ok(applied)
}

fn write_tx(conn: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(lite_err)
}

/// Runs `f` over an [`OwnerTx`] in one write transaction, committed after the `OwnerCommit`
/// fault point when `f` succeeds (a refusal wrote nothing); an error rolls everything back.
pub(super) fn in_tx<T>(
    conn: &mut Connection,
    faults: &Faults,
    f: impl FnOnce(&mut dyn OwnerTx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let tx = write_tx(conn)?;
    let out = f(&mut LiteOwner { tx: &tx, faults })?;
    faults.check(FaultPoint::OwnerCommit)?;
    tx.commit().map_err(lite_err)?;
    faults.check(FaultPoint::OwnerCommitted)?;
    Ok(out)
}

pub(super) fn take_map(conn: &mut Connection, map: MapId, shard: &str) -> Result<Fence, StoreError> {
    let epoch = conn.query_row(SQL_TAKE_MAP, params![map, shard], |r| r.get(0)).map_err(lite_err)?;
    Ok(Fence { map, epoch })
}

pub(super) fn map_owner(conn: &Connection, map: MapId) -> Result<Option<MapOwner>, StoreError> {
    let sql = "SELECT shard, epoch FROM map_owners WHERE map = ?1";
    conn.query_row(sql, [map], |r| Ok(MapOwner { shard: r.get(0)?, epoch: r.get(1)? }))
        .optional()
        .map_err(lite_err)
}

pub(super) fn live_owner(conn: &Connection, player: i64) -> Result<Option<LiveOwner>, StoreError> {
    live_row(conn, player)
}

pub(super) fn save_players_fenced(
    conn: &mut Connection,
    fences: &[Fence],
    saves: &[PlayerSave],
) -> Result<usize, StoreError> {
    let tx = write_tx(conn)?;
    check_fences(&tx, fences)?;
    let n = save_players_seq(&tx, &newest_saves(saves))?;
    tx.commit().map_err(lite_err)?;
    Ok(n)
}

pub(super) fn write_positions(
    conn: &mut Connection,
    faults: &Faults,
    fence: Option<Fence>,
    batch: &[PositionUpdate],
) -> Result<usize, StoreError> {
    let tx = write_tx(conn)?;
    let mut n = 0;
    {
        if let Some(f) = fence {
            check_fence(&tx, f)?;
        }
        let sql = if fence.is_some() { SQL_POSITION_FENCED } else { SQL_POSITION };
        let mut stmt = tx.prepare_cached(sql).map_err(lite_err)?;
        for u in batch {
            n += match fence {
                None => stmt.execute(params![u.player, u.map, u.pos.x, u.pos.y]),
                Some(f) => stmt.execute(params![u.player, u.map, u.pos.x, u.pos.y, f.map, u.claim]),
            }
            .map_err(lite_err)?;
        }
    }
    faults.check(FaultPoint::PositionCommit)?;
    tx.commit().map_err(lite_err)?;
    Ok(n)
}

pub(super) fn hand_off(conn: &mut Connection, faults: &Faults, h: &HandOff) -> Result<(), StoreError> {
    in_tx(conn, faults, |t| owner::hand_off(t, h))
}

/// Hand-offs committed together (see `owner::hand_offs`).
pub(super) fn hand_offs(
    conn: &mut Connection,
    faults: &Faults,
    hs: &[&HandOff],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    in_tx(conn, faults, |t| owner::hand_offs(t, hs))
}

/// Deletes the tokens done with (accepted, cancelled) or expired before `before_ms`.
pub(super) fn prune_handoffs(conn: &Connection, before_ms: i64) -> Result<usize, StoreError> {
    let sql = "DELETE FROM handoffs WHERE expires_ms < ?1";
    conn.execute(sql, [before_ms]).map_err(lite_err)
}
