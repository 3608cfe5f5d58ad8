//! The ownership rules both databases share (fence verdicts, claims, hand-off and its accept and
//! cancel), written once over [`OwnerTx`]: the few reads and writes each backend runs inside one
//! open transaction. See `crate::owner` for the invariants.

use std::collections::HashMap;

use crate::error::StoreError;
use crate::owner::{
    Acceptance, Cancellation, Claim, Fence, HandOff, LiveOwner, PlayerSave, Refusal, TokenState,
};
use crate::record::{ItemTx, MapId, PlayerLoad};

/// A stored hand-off token.
#[derive(Debug, Clone)]
pub(crate) struct TokenRow {
    pub player: i64,
    pub from_shard: String,
    pub to_shard: String,
    pub expires_ms: i64,
    pub state: TokenState,
}

/// The statements of one backend, run inside the caller's open transaction. Reads of rows the
/// transaction goes on to change lock them (PostgreSQL: `FOR UPDATE`; SQLite's write
/// transaction is exclusive already); the map epoch read locks its row `FOR SHARE`, so
/// [`crate::Backend::take_map`] waits for the fenced writes in flight.
pub(crate) trait OwnerTx {
    fn map_epoch(&mut self, map: MapId) -> Result<Option<i64>, StoreError>;
    fn live(&mut self, player: i64) -> Result<Option<LiveOwner>, StoreError>;
    fn set_live(&mut self, player: i64, shard: Option<&str>, claim: i64) -> Result<(), StoreError>;
    fn token(&mut self, hash: &[u8]) -> Result<Option<TokenRow>, StoreError>;
    /// Stores a pending token; false when the hash is taken.
    fn put_token(&mut self, h: &HandOff) -> Result<bool, StoreError>;
    fn set_token_state(&mut self, hash: &[u8], state: TokenState) -> Result<(), StoreError>;
    /// The conditional upserts of [`crate::Backend::save_players_seq`] (one save per player);
    /// returns how many applied.
    fn save_players(&mut self, saves: &[&PlayerSave]) -> Result<usize, StoreError>;
    /// One item transaction (its fence checked) with the backend's invariants.
    fn item_tx(&mut self, tx: &ItemTx) -> Result<(), StoreError>;
    fn load_player(&mut self, id: i64) -> Result<Option<PlayerLoad>, StoreError>;
}

/// The verdict on a write of `fence` when the map's stored epoch is `current`.
pub(crate) fn fence_verdict(fence: Fence, current: Option<i64>) -> Result<(), StoreError> {
    match current {
        Some(c) if c == fence.epoch => Ok(()),
        c => Err(StoreError::Fenced { map: fence.map, held: fence.epoch, current: c.unwrap_or(0) }),
    }
}

/// Checks every fence (each distinct one once).
pub(crate) fn check_fences(
    t: &mut dyn OwnerTx,
    fences: impl IntoIterator<Item = Fence>,
) -> Result<(), StoreError> {
    let mut seen: Vec<Fence> = Vec::new();
    for f in fences {
        if !seen.contains(&f) {
            let current = t.map_epoch(f.map)?;
            fence_verdict(f, current)?;
            seen.push(f);
        }
    }
    Ok(())
}

/// The newest save of each player, in first-seen order.
pub(crate) fn newest_saves(saves: &[PlayerSave]) -> Vec<&PlayerSave> {
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut out: Vec<&PlayerSave> = Vec::new();
    for s in saves {
        match index.get(&s.player.id) {
            Some(&i) if out[i].seq >= s.seq => {}
            Some(&i) => out[i] = s,
            None => {
                index.insert(s.player.id, out.len());
                out.push(s);
            }
        }
    }
    out
}

fn live_of(t: &mut dyn OwnerTx, player: i64) -> Result<LiveOwner, StoreError> {
    t.live(player)?.ok_or(StoreError::UnknownPlayer(player))
}

/// Claims `player` for `shard` if it is released, already the shard's, or live on `dead`.
pub(crate) fn claim(
    t: &mut dyn OwnerTx,
    player: i64,
    shard: &str,
    dead: Option<&str>,
) -> Result<Claim, StoreError> {
    let live = live_of(t, player)?;
    match live.shard {
        Some(s) if s == shard => Ok(Claim::Claimed { claim: live.claim }),
        Some(s) if Some(s.as_str()) != dead => Ok(Claim::LiveOn { shard: s }),
        _ => {
            let claim = live.claim + 1;
            t.set_live(player, Some(shard), claim)?;
            Ok(Claim::Claimed { claim })
        }
    }
}

/// Releases `player` if `shard` holds it; true if it did.
pub(crate) fn release(t: &mut dyn OwnerTx, player: i64, shard: &str) -> Result<bool, StoreError> {
    let live = live_of(t, player)?;
    if live.shard.as_deref() != Some(shard) {
        return Ok(false);
    }
    t.set_live(player, None, live.claim)?;
    Ok(true)
}

/// Saves, writes the items of, releases and issues the token of a hand-off.
pub(crate) fn hand_off(t: &mut dyn OwnerTx, h: &HandOff) -> Result<(), StoreError> {
    check_fences(t, h.fence)?;
    let id = h.save.player.id;
    let live = live_of(t, id)?;
    if live.shard.as_deref() != Some(h.from_shard.as_str()) || live.claim != h.save.seq.claim {
        return Err(StoreError::NotOwner { player: id, live: live.shard });
    }
    if h.save.player.map != h.to_map {
        return Err(StoreError::Rejected(format!(
            "hand-off of player {id} to map {} saves it on map {}",
            h.to_map, h.save.player.map
        )));
    }
    if t.save_players(&[&h.save])? == 0 {
        return Err(StoreError::Rejected(format!(
            "hand-off save {:?} of player {id} is not newer than the stored one {:?}",
            h.save.seq, live.saved
        )));
    }
    h.items.iter().try_for_each(|tx| t.item_tx(tx))?;
    t.set_live(id, None, live.claim)?;
    if !t.put_token(h)? {
        return Err(StoreError::Rejected("hand-off token hash already stored".into()));
    }
    Ok(())
}

/// Why a token cannot be used now (`None`: it can). Shared by accept and cancel.
fn token_refusal(row: &TokenRow) -> Option<Refusal> {
    match row.state {
        TokenState::Pending => None,
        TokenState::Accepted => Some(Refusal::Used),
        TokenState::Cancelled => Some(Refusal::Cancelled),
    }
}

/// Uses a token for the shard it names and claims its character there.
pub(crate) fn accept(
    t: &mut dyn OwnerTx,
    hash: &[u8],
    shard: &str,
    now_ms: i64,
) -> Result<Acceptance, StoreError> {
    let Some(row) = t.token(hash)? else {
        return Ok(Acceptance::Refused(Refusal::Unknown));
    };
    let refusal = token_refusal(&row).or_else(|| {
        if row.to_shard != shard {
            Some(Refusal::OtherShard { named: row.to_shard.clone() })
        } else if now_ms > row.expires_ms {
            Some(Refusal::Expired)
        } else {
            None
        }
    });
    if let Some(r) = refusal {
        return Ok(Acceptance::Refused(r));
    }
    let live = live_of(t, row.player)?;
    if let Some(s) = live.shard {
        return Ok(Acceptance::Refused(Refusal::StillLive { shard: s }));
    }
    let claim = live.claim + 1;
    t.set_token_state(hash, TokenState::Accepted)?;
    t.set_live(row.player, Some(shard), claim)?;
    let load = t.load_player(row.player)?.ok_or(StoreError::UnknownPlayer(row.player))?;
    Ok(Acceptance::Accepted { load: Box::new(load), claim })
}

/// Voids an unused token and gives its character back to the source.
pub(crate) fn cancel(t: &mut dyn OwnerTx, hash: &[u8], source: &str) -> Result<Cancellation, StoreError> {
    let Some(row) = t.token(hash)? else {
        return Ok(Cancellation::Refused(Refusal::Unknown));
    };
    let refusal = token_refusal(&row).or_else(|| {
        (row.from_shard != source).then(|| Refusal::OtherShard { named: row.from_shard.clone() })
    });
    if let Some(r) = refusal {
        return Ok(Cancellation::Refused(r));
    }
    let live = live_of(t, row.player)?;
    if let Some(s) = live.shard {
        return Ok(Cancellation::Refused(Refusal::StillLive { shard: s }));
    }
    let claim = live.claim + 1;
    t.set_token_state(hash, TokenState::Cancelled)?;
    t.set_live(row.player, Some(source), claim)?;
    Ok(Cancellation::Reclaimed { claim })
}
