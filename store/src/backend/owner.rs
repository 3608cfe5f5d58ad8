//! The ownership rules both databases share (fence verdicts, claims, hand-off and its accept and
//! cancel), written once over [`OwnerTx`]: the few reads and writes each backend runs inside one
//! open transaction. See `crate::owner` for the invariants.

use std::collections::{HashMap, HashSet};

use crate::error::StoreError;
use crate::owner::{
    AcceptRequest, Acceptance, Cancellation, Claim, Fence, HandOff, LiveOwner, PlayerSave, Refusal,
    TokenState,
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
    /// The claim the accept or cancel gave the character (`None` while pending).
    pub claim: Option<i64>,
}

/// The statements of one backend, run inside the caller's open transaction. Reads of rows the
/// transaction goes on to change lock them (PostgreSQL: `FOR UPDATE`; SQLite's write
/// transaction is exclusive already); the map epoch read locks its row `FOR SHARE`, so
/// [`crate::Backend::take_map`] waits for the fenced writes in flight.
pub(crate) trait OwnerTx {
    fn map_epoch(&mut self, map: MapId) -> Result<Option<i64>, StoreError>;
    /// Locks these characters' rows (in any order, duplicates allowed) in id order (PostgreSQL;
    /// a no-op where the transaction is exclusive), so a group of writes takes them in the same
    /// order as every other group.
    fn lock_players(&mut self, ids: &[i64]) -> Result<(), StoreError>;
    fn live(&mut self, player: i64) -> Result<Option<LiveOwner>, StoreError>;
    fn set_live(&mut self, player: i64, shard: Option<&str>, claim: i64) -> Result<(), StoreError>;
    fn token(&mut self, hash: &[u8]) -> Result<Option<TokenRow>, StoreError>;
    /// Stores a pending token; false when the hash is taken.
    fn put_token(&mut self, h: &HandOff) -> Result<bool, StoreError>;
    /// Marks a token accepted or cancelled, with the claim that gave its character.
    fn set_token_state(&mut self, hash: &[u8], state: TokenState, claim: i64) -> Result<(), StoreError>;
    /// The conditional upserts of [`crate::Backend::save_players_seq`] (one save per player);
    /// returns how many applied.
    fn save_players(&mut self, saves: &[&PlayerSave]) -> Result<usize, StoreError>;
    /// One item transaction (its fence checked) with the backend's invariants.
    fn item_tx(&mut self, tx: &ItemTx) -> Result<(), StoreError>;
    fn load_player(&mut self, id: i64) -> Result<Option<PlayerLoad>, StoreError>;
    /// Runs one savepoint statement (`SAVEPOINT`, `RELEASE SAVEPOINT`, `ROLLBACK TO SAVEPOINT`).
    fn savepoint(&mut self, sql: &str) -> Result<(), StoreError>;

    // Set-based forms for a group of hand-offs (one statement each in PostgreSQL); the defaults
    // run the row forms one by one.

    /// [`OwnerTx::load_player`] of each character, in order.
    fn load_players(&mut self, ids: &[i64]) -> Result<Vec<Option<PlayerLoad>>, StoreError> {
        ids.iter().map(|&id| self.load_player(id)).collect()
    }
    /// [`OwnerTx::token`] of each hash, in order.
    fn tokens(&mut self, hashes: &[&[u8]]) -> Result<Vec<Option<TokenRow>>, StoreError> {
        hashes.iter().map(|h| self.token(h)).collect()
    }
    /// [`OwnerTx::live`] of each character, in order.
    fn lives(&mut self, players: &[i64]) -> Result<Vec<Option<LiveOwner>>, StoreError> {
        players.iter().map(|&p| self.live(p)).collect()
    }
    /// [`OwnerTx::set_live`] of each `(character, claim)` to `shard`.
    fn set_lives(&mut self, lives: &[(i64, i64)], shard: Option<&str>) -> Result<(), StoreError> {
        lives.iter().try_for_each(|&(player, claim)| self.set_live(player, shard, claim))
    }
    /// [`OwnerTx::set_token_state`] of each `(hash, claim)` to `state`.
    fn set_token_states(&mut self, tokens: &[(&[u8], i64)], state: TokenState) -> Result<(), StoreError> {
        tokens.iter().try_for_each(|&(hash, claim)| self.set_token_state(hash, state, claim))
    }
    /// [`OwnerTx::put_token`] of each hand-off; returns how many were stored.
    fn put_tokens(&mut self, hs: &[&HandOff]) -> Result<usize, StoreError> {
        hs.iter().try_fold(0, |n, h| Ok(n + usize::from(self.put_token(h)?)))
    }
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
        Some(s) if s == shard => Ok(Claim::Claimed { claim: live.claim, saved: live.saved }),
        Some(s) if Some(s.as_str()) != dead => Ok(Claim::LiveOn { shard: s }),
        _ => {
            let claim = live.claim + 1;
            t.set_live(player, Some(shard), claim)?;
            Ok(Claim::Claimed { claim, saved: live.saved })
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
///
/// Idempotent: when the token is stored already, still pending, for the same character and
/// source, an earlier attempt committed (its answer was lost) and nothing changes.
pub(crate) fn hand_off(t: &mut dyn OwnerTx, h: &HandOff) -> Result<(), StoreError> {
    if handoff_committed(h, t.token(&h.token_hash)?.as_ref()) {
        return Ok(());
    }
    check_fences(t, h.fence)?;
    let live = live_of(t, h.save.player.id)?;
    handoff_allowed(h, &live)?;
    if t.save_players(&[&h.save])? == 0 {
        return Err(not_newer(h, &live));
    }
    h.items.iter().try_for_each(|tx| t.item_tx(tx))?;
    t.set_live(h.save.player.id, None, live.claim)?;
    if !t.put_token(h)? {
        return Err(hash_taken());
    }
    Ok(())
}

/// Whether `h` committed already: its token is stored, pending, for the same character and
/// source (a retry whose first answer was lost).
fn handoff_committed(h: &HandOff, token: Option<&TokenRow>) -> bool {
    token.is_some_and(|row| {
        row.state == TokenState::Pending && row.player == h.save.player.id && row.from_shard == h.from_shard
    })
}

/// The ownership rules of a hand-off: the source holds the character under the save's claim,
/// and the save puts it on the target map.
fn handoff_allowed(h: &HandOff, live: &LiveOwner) -> Result<(), StoreError> {
    let id = h.save.player.id;
    if live.shard.as_deref() != Some(h.from_shard.as_str()) || live.claim != h.save.seq.claim {
        return Err(StoreError::NotOwner { player: id, live: live.shard.clone() });
    }
    if h.save.player.map != h.to_map {
        return Err(StoreError::Rejected(format!(
            "hand-off of player {id} to map {} saves it on map {}",
            h.to_map, h.save.player.map
        )));
    }
    Ok(())
}

fn not_newer(h: &HandOff, live: &LiveOwner) -> StoreError {
    StoreError::Rejected(format!(
        "hand-off save {:?} of player {} is not newer than the stored one {:?}",
        h.save.seq, h.save.player.id, live.saved
    ))
}

fn hash_taken() -> StoreError {
    StoreError::Rejected("hand-off token hash already stored".into())
}

/// Several hand-offs in one transaction (one commit for a burst of them), each answered on its
/// own: a refused one (any error but a lost connection) changes nothing and is answered with its
/// error; the others commit together. A lost connection fails the whole attempt, which the
/// caller retries: every hand-off that committed answers Ok again (see [`hand_off`]). The
/// tokens and then the characters' rows (in id order, [`OwnerTx::lock_players`]) are locked
/// first.
///
/// Hand-offs without item transactions (all a shard submits) are written set-based: the rules
/// of [`hand_off`] are checked for the whole group on what a few reads return (tokens, fences,
/// live owners), then the saves, releases and tokens of the allowed ones are written with one
/// statement each, so a burst of fifty costs about eight statements, not five hundred. A group
/// with item transactions runs [`hand_off`] behind a savepoint each.
pub(crate) fn hand_offs(
    t: &mut dyn OwnerTx,
    hs: &[&HandOff],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    // Tokens first, then characters in id order: the order accepts and cancels lock them in.
    let hashes: Vec<&[u8]> = hs.iter().map(|h| h.token_hash.as_slice()).collect();
    let tokens = t.tokens(&hashes)?;
    t.lock_players(&ids_of(hs))?;
    if hs.iter().all(|h| h.items.is_empty()) {
        return hand_offs_set(t, hs, tokens);
    }
    hs.iter()
        .map(|h| {
            t.savepoint("SAVEPOINT hand_off")?;
            match hand_off(t, h) {
                Ok(()) => t.savepoint("RELEASE SAVEPOINT hand_off").map(|()| Ok(())),
                Err(e) if e.is_transient() => Err(e),
                Err(e) => t.savepoint("ROLLBACK TO SAVEPOINT hand_off").map(|()| Err(e)),
            }
        })
        .collect()
}

fn ids_of(hs: &[&HandOff]) -> Vec<i64> {
    hs.iter().map(|h| h.save.player.id).collect()
}

/// The verdict of [`hand_off`] on one hand-off of a set-based group, from what the group read:
/// `Ok(true)` committed already, `Ok(false)` to write, `Err` refused. `released`: characters an
/// earlier hand-off of the group releases.
fn handoff_verdict(
    h: &HandOff,
    token: Option<&TokenRow>,
    live: Option<&LiveOwner>,
    fences: &[(Fence, Result<(), StoreError>)],
    released: &HashSet<i64>,
) -> Result<bool, StoreError> {
    if handoff_committed(h, token) {
        return Ok(true);
    }
    if let Some(f) = h.fence {
        fences.iter().find(|(seen, _)| *seen == f).map_or(Ok(()), |(_, v)| v.clone())?;
    }
    let id = h.save.player.id;
    let mut live = live.cloned().ok_or(StoreError::UnknownPlayer(id))?;
    if released.contains(&id) {
        live.shard = None;
    }
    handoff_allowed(h, &live)?;
    if live.saved >= h.save.seq {
        return Err(not_newer(h, &live));
    }
    if token.is_some() {
        return Err(hash_taken());
    }
    Ok(false)
}

/// [`hand_offs`] of a group without item transactions: the verdicts of [`hand_off`] one after
/// the other (a character twice in the group: the second finds it released), written together.
fn hand_offs_set(
    t: &mut dyn OwnerTx,
    hs: &[&HandOff],
    tokens: Vec<Option<TokenRow>>,
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let mut fences: Vec<(Fence, Result<(), StoreError>)> = Vec::new();
    for f in hs.iter().filter_map(|h| h.fence) {
        if !fences.iter().any(|(seen, _)| *seen == f) {
            let verdict = fence_verdict(f, t.map_epoch(f.map)?);
            fences.push((f, verdict));
        }
    }
    let lives = t.lives(&ids_of(hs))?;
    // Written earlier in this group: characters released, and each token's first verdict.
    let mut released: HashSet<i64> = HashSet::new();
    let mut first: HashMap<&[u8], usize> = HashMap::new();
    let mut verdicts: Vec<Result<bool, StoreError>> = Vec::with_capacity(hs.len());
    for (i, (h, (token, live))) in hs.iter().zip(tokens.iter().zip(&lives)).enumerate() {
        let verdict = match first.get(h.token_hash.as_slice()) {
            // The same token again: a retry of the first, which found it stored if it was written.
            Some(&j) => verdicts[j].clone().map(|_| true),
            None => {
                first.insert(&h.token_hash, i);
                handoff_verdict(h, token.as_ref(), live.as_ref(), &fences, &released)
            }
        };
        if matches!(verdict, Ok(false)) {
            released.insert(h.save.player.id);
        }
        verdicts.push(verdict);
    }
    let writes: Vec<&HandOff> =
        hs.iter().zip(&verdicts).filter(|(_, v)| matches!(v, Ok(false))).map(|(h, _)| *h).collect();
    if !writes.is_empty() {
        let saves: Vec<&PlayerSave> = writes.iter().map(|h| &h.save).collect();
        let claims: Vec<(i64, i64)> = writes.iter().map(|h| (h.save.player.id, h.save.seq.claim)).collect();
        let (saved, _, stored) =
            (t.save_players(&saves)?, t.set_lives(&claims, None)?, t.put_tokens(&writes)?);
        if saved != writes.len() || stored != writes.len() {
            // Impossible while the rows are locked: refuse the whole group rather than half of it.
            return Err(StoreError::Rejected(format!(
                "hand-off group: {saved} saves and {stored} tokens written for {} hand-offs",
                writes.len()
            )));
        }
    }
    Ok(verdicts.into_iter().map(|v| v.map(|_| ())).collect())
}

/// Why a token cannot be used now (`None`: it can). Shared by accept and cancel.
fn token_refusal(row: &TokenRow) -> Option<Refusal> {
    match row.state {
        TokenState::Pending => None,
        TokenState::Accepted => Some(Refusal::Used),
        TokenState::Cancelled => Some(Refusal::Cancelled),
    }
}

/// The claim a finished accept (`done` = `Accepted`) or cancel (`Cancelled`) of `row` gave
/// `shard`, if the character is still live there under it: the same request again is a retry
/// whose first answer was lost, answered as the first time.
fn repeated(
    t: &mut dyn OwnerTx,
    row: &TokenRow,
    done: TokenState,
    shard: &str,
) -> Result<Option<i64>, StoreError> {
    if !finished_for(row, done, shard) {
        return Ok(None);
    }
    Ok(still_live(row, shard, &live_of(t, row.player)?))
}

/// Whether `row` was accepted (`done` = `Accepted`) or cancelled for `shard`.
fn finished_for(row: &TokenRow, done: TokenState, shard: &str) -> bool {
    let named = if done == TokenState::Accepted { &row.to_shard } else { &row.from_shard };
    row.state == done && named == shard && row.claim.is_some()
}

/// The claim `row`'s use gave `shard`, if its character is still live there under it.
fn still_live(row: &TokenRow, shard: &str, live: &LiveOwner) -> Option<i64> {
    let same = live.shard.as_deref() == Some(shard) && Some(live.claim) == row.claim;
    same.then_some(live.claim)
}

/// What [`accept_all`] decided for one token before writing.
enum Verdict {
    Refused(Refusal),
    /// A retry of an accept that committed: answered again, nothing written.
    Again {
        player: i64,
        claim: i64,
    },
    /// Accept it: the character is claimed here under `claim`.
    Accept {
        player: i64,
        claim: i64,
    },
}

/// Uses each token for the shard it names and claims its character there, all in one
/// transaction (a burst of arrivals; a single accept is a batch of one), each answered as if
/// accepted one after the other (the same token twice: the second finds it used). A used token
/// is refused. With `retry` (the caller's earlier attempt of this very request may have
/// committed, its answer lost), the same accept again, while the character is still live there
/// under the claim it gave, is answered `Accepted` again with the current load; a new request is
/// never a retry: a replayed token is refused even by the shard that accepted it. The tokens
/// and their characters are read with one statement each, the accepted ones written with one
/// statement each, then their characters loaded. A character's error (unknown) fails its own
/// answer only.
pub(crate) fn accept_all(
    t: &mut dyn OwnerTx,
    reqs: &[AcceptRequest<'_>],
    retry: bool,
) -> Result<Vec<Result<Acceptance, StoreError>>, StoreError> {
    let hashes: Vec<&[u8]> = reqs.iter().map(|r| r.hash).collect();
    let mut tokens = t.tokens(&hashes)?;
    let players: Vec<i64> = tokens.iter().flatten().map(|row| row.player).collect();
    let found = t.lives(&players)?;
    let mut lives: HashMap<i64, LiveOwner> =
        players.into_iter().zip(found).filter_map(|(p, live)| Some((p, live?))).collect();
    let mut used: Vec<(&[u8], i64)> = Vec::new();
    let mut claimed: Vec<(&str, i64, i64)> = Vec::new();
    let mut verdicts = Vec::with_capacity(reqs.len());
    for (i, req) in reqs.iter().enumerate() {
        let verdict = accept_verdict(req, tokens[i].as_ref(), &lives, retry);
        if let Ok(Verdict::Accept { player, claim }) = verdict {
            used.push((req.hash, claim));
            claimed.push((req.shard, player, claim));
            lives.entry(player).and_modify(|l| (l.shard, l.claim) = (Some(req.shard.to_owned()), claim));
            // Later requests of the same token read it as used now.
            for (r, row) in reqs.iter().zip(tokens.iter_mut()).skip(i + 1) {
                if let Some(row) = row.as_mut().filter(|_| r.hash == req.hash) {
                    (row.state, row.claim) = (TokenState::Accepted, Some(claim));
                }
            }
        }
        verdicts.push(verdict);
    }
    if !used.is_empty() {
        t.set_token_states(&used, TokenState::Accepted)?;
    }
    let mut shards: Vec<&str> = claimed.iter().map(|c| c.0).collect();
    shards.sort_unstable();
    shards.dedup();
    for shard in shards {
        let lives: Vec<(i64, i64)> = claimed.iter().filter(|c| c.0 == shard).map(|c| (c.1, c.2)).collect();
        t.set_lives(&lives, Some(shard))?;
    }
    let accepted: Vec<i64> = verdicts
        .iter()
        .filter_map(|v| match v {
            Ok(Verdict::Again { player, .. } | Verdict::Accept { player, .. }) => Some(*player),
            _ => None,
        })
        .collect();
    let mut loads = t.load_players(&accepted)?.into_iter();
    verdicts
        .into_iter()
        .map(|verdict| match verdict {
            Ok(Verdict::Refused(r)) => Ok(Acceptance::Refused(r)),
            Ok(Verdict::Again { player, claim } | Verdict::Accept { player, claim }) => {
                let load = loads.next().flatten().ok_or(StoreError::UnknownPlayer(player))?;
                Ok(Acceptance::Accepted { load: Box::new(load), claim })
            }
            Err(e) => Err(e),
        })
        .map(Ok)
        .collect()
}

/// The rules of [`accept_all`] for one token, on what it read.
fn accept_verdict(
    req: &AcceptRequest<'_>,
    token: Option<&TokenRow>,
    lives: &HashMap<i64, LiveOwner>,
    retry: bool,
) -> Result<Verdict, StoreError> {
    let Some(row) = token else { return Ok(Verdict::Refused(Refusal::Unknown)) };
    let live = || lives.get(&row.player).ok_or(StoreError::UnknownPlayer(row.player));
    if retry
        && finished_for(row, TokenState::Accepted, req.shard)
        && let Some(claim) = still_live(row, req.shard, live()?)
    {
        return Ok(Verdict::Again { player: row.player, claim });
    }
    let refusal = token_refusal(row).or_else(|| {
        if row.to_shard != req.shard {
            Some(Refusal::OtherShard { named: row.to_shard.clone() })
        } else if req.now_ms > row.expires_ms {
            Some(Refusal::Expired)
        } else {
            None
        }
    });
    if let Some(r) = refusal {
        return Ok(Verdict::Refused(r));
    }
    let live = live()?;
    if let Some(s) = &live.shard {
        return Ok(Verdict::Refused(Refusal::StillLive { shard: s.clone() }));
    }
    Ok(Verdict::Accept { player: row.player, claim: live.claim + 1 })
}

/// Voids an unused token and gives its character back to the source. With `retry` (as for
/// [`accept_all`]), the same cancel again, while the character is still live on the source under the
/// claim it gave, is answered `Reclaimed` again.
pub(crate) fn cancel(
    t: &mut dyn OwnerTx,
    hash: &[u8],
    source: &str,
    retry: bool,
) -> Result<Cancellation, StoreError> {
    let Some(row) = t.token(hash)? else {
        return Ok(Cancellation::Refused(Refusal::Unknown));
    };
    if retry && let Some(claim) = repeated(t, &row, TokenState::Cancelled, source)? {
        return Ok(Cancellation::Reclaimed { claim });
    }
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
    t.set_token_state(hash, TokenState::Cancelled, claim)?;
    t.set_live(row.player, Some(source), claim)?;
    Ok(Cancellation::Reclaimed { claim })
}
