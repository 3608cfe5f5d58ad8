//! Hand-offs: a character moved to a map another shard simulates (an operator's move from the
//! admin port, [`Control`]; the spawn fallback of §5 when the free spot found is on another
//! shard's map). The source takes the character out of its world as a logout does, then the
//! store's ordered writer commits, after every write queued before it and in one transaction:
//! the character saved on the target map, its release, and the hash of a one-time token
//! ([`store::HandOff`]). Only once that committed does the client get a Redirect with the token;
//! the target accepts the token once (`login.rs`) and spawns the character under §5. A hand-off
//! the store refuses leaves the character here: it is saved as at a logout and the client is
//! closed with a clear reason, to log in again.

use super::Shard;
use super::lease::LeaseCounters;
use super::moving::{Departing, HandoffStep, test_pause};
use crate::geom::MapGeometry;
use crate::wire::close;
use crossbeam_channel::{Receiver, Sender};
use net::ConnId;
use net::protocol::{Redirect, ServerMessage, SessionToken};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use store::{
    HandOff, ItemRecord, MapId, Pending, PlayerRecord, PlayerSave, Position, SaveSeq, StoreError, Ticket,
};

/// A hand-off token is accepted until this long after it was issued.
pub const HANDOFF_TTL: Duration = Duration::from_secs(30);

/// Hand-off tokens are deleted this long after they expired: far past any retry of their accept.
pub const HANDOFF_KEEP: Duration = Duration::from_secs(3_600);

/// Upper bounds (milliseconds) of the hand-off latency histogram's buckets (the last is +Inf).
pub const HANDOFF_BUCKETS_MS: [u64; 10] = [5, 10, 25, 50, 100, 200, 500, 1_000, 2_500, 5_000];

/// Whom an operator moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Movers {
    /// The online player of this name.
    Named(String),
    /// Up to this many online players (on any map of this shard other than the target).
    Count(usize),
}

/// An operator's request to move players to map `to` (at `at`, kept inside the map, else each
/// at the same place relative to the maps' walkable areas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveRequest {
    pub who: Movers,
    pub to: MapId,
    pub at: Option<(i32, i32)>,
}

/// What a [`MoveRequest`] started: hand-offs submitted, or why none could be.
pub type MoveAnswer = Result<usize, String>;

/// The admin port's handle on the running shard's tick: made before the shard (the admin port
/// starts first) and given to it in [`super::Bound`]; clones talk to the same tick.
#[derive(Debug, Clone)]
pub struct Control {
    tx: Sender<(MoveRequest, Sender<MoveAnswer>)>,
    rx: Receiver<(MoveRequest, Sender<MoveAnswer>)>,
}

impl Default for Control {
    fn default() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        Self { tx, rx }
    }
}

impl Control {
    /// Asks the tick to move players; waits at most `timeout` for its answer.
    pub fn move_players(&self, request: MoveRequest, timeout: Duration) -> MoveAnswer {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.tx.send((request, reply)).map_err(|_| "the shard is stopping".to_owned())?;
        answer.recv_timeout(timeout).map_err(|_| "the shard did not answer in time".to_owned())?
    }
}

/// A character on its way out: its hand-off is committing.
#[derive(Debug)]
struct Leaving {
    conn: ConnId,
    /// The character as it left (on this shard's map).
    record: PlayerRecord,
    /// Its claim's save sequence.
    seq: SaveSeq,
    items: Vec<ItemRecord>,
    item_ticket: Option<Ticket>,
    /// The hand-off's commit (`None`: the writer would not take it).
    committed: Option<Ticket>,
    token: [u8; 32],
    address: String,
    to: MapId,
    started: Instant,
}

/// The hand-offs in flight and the operators' requests.
#[derive(Debug)]
pub(crate) struct Handoffs {
    leaving: Vec<Leaving>,
    control: Control,
    /// The deletion of old tokens in flight.
    pruning: Option<Pending<usize>>,
}

impl Handoffs {
    pub(crate) fn new(control: Control) -> Self {
        Self { leaving: Vec::new(), control, pruning: None }
    }

    pub(crate) fn control(&self) -> Control {
        self.control.clone()
    }
}

/// Where a map's owner is, for a hand-off.
pub(super) struct Target {
    shard: String,
    address: String,
}

impl Shard {
    /// The operators' requests, then the hand-offs whose commit ended.
    pub(crate) fn step_handoffs(&mut self) {
        let requests: Vec<_> = self.handoffs.control.rx.try_iter().collect();
        for (request, reply) in requests {
            let _ = reply.send(self.move_players(&request));
        }
        self.step_handoff_commits();
    }

    /// Hand-offs in flight (their commits not answered yet).
    pub(crate) fn handoffs_in_flight(&self) -> usize {
        self.handoffs.leaving.len()
    }

    /// The hand-offs whose commit ended: Redirects for the committed ones (also between ticks:
    /// the characters left the world when their hand-offs started).
    pub(crate) fn step_handoff_commits(&mut self) {
        for leaving in std::mem::take(&mut self.handoffs.leaving) {
            match leaving.committed.as_ref().and_then(Ticket::try_take) {
                None => self.handoffs.leaving.push(leaving),
                Some(Ok(())) => self.handed_off(leaving),
                Some(Err(e)) => self.handoff_failed(leaving, &e),
            }
        }
    }

    /// Deletes the hand-off tokens that expired more than [`HANDOFF_KEEP`] ago (every shard
    /// does, now and then; deleting twice is harmless).
    pub(crate) fn prune_handoffs(&mut self) {
        if let Some(p) = &self.handoffs.pruning {
            match p.try_take() {
                None => return,
                Some(Ok(n)) => tracing::debug!(deleted = n, "old hand-off tokens deleted"),
                Some(Err(e)) => tracing::warn!(error = %e, "cannot delete old hand-off tokens"),
            }
        }
        let before = super::unix_ms().saturating_sub(HANDOFF_KEEP.as_millis() as i64);
        self.handoffs.pruning = self.store.loader().prune_handoffs(before).ok();
    }

    /// Starts the hand-offs an operator asked for.
    fn move_players(&mut self, request: &MoveRequest) -> MoveAnswer {
        let target = self.handoff_target(request.to)?;
        let to = self.maps.index_of(request.to);
        let conns: Vec<ConnId> = match &request.who {
            Movers::Named(name) => {
                let name = crate::names::normalize(name)?;
                let online = self.players.iter().find(|p| p.record.name == name);
                let online = online.ok_or_else(|| format!("{name} is not playing on this shard"))?;
                if Some(online.map) == to {
                    return Err(format!("{name} is on map {} already", request.to));
                }
                vec![online.conn]
            }
            Movers::Count(n) => {
                self.players.iter().filter(|p| Some(p.map) != to).map(|p| p.conn).take(*n).collect()
            }
        };
        let mut started = 0;
        for conn in conns {
            match self.hand_off(conn, request.to, request.at, &target) {
                Ok(()) => started += 1,
                Err(e) => tracing::warn!(%conn, error = %e, "cannot start a hand-off"),
            }
        }
        tracing::info!(to = request.to, started, shard = %target.shard, "operator moved players");
        Ok(started)
    }

    /// The shard simulating `map`: this one (a move between its own maps goes through a
    /// Redirect back here too), or another live one.
    pub(super) fn handoff_target(&self, map: MapId) -> Result<Target, String> {
        if self.maps.layout.map(map).is_none() {
            return Err(format!("there is no map {map}"));
        }
        if self.maps.index_of(map).is_some() {
            return Ok(Target { shard: self.opts.shard_id.clone(), address: self.address.clone() });
        }
        let owner = self.meta.as_ref().and_then(|m| m.directory.owner(map));
        let owner = owner.ok_or_else(|| format!("no live shard simulates map {map} now"))?;
        Ok(Target { shard: owner.shard, address: owner.addr })
    }

    /// Takes the player of `conn` out of this shard's world and submits its hand-off.
    pub(super) fn hand_off(
        &mut self,
        conn: ConnId,
        to: MapId,
        at: Option<(i32, i32)>,
        target: &Target,
    ) -> Result<(), String> {
        let token = random_token()?;
        let dest = *self.maps.layout.map(to).ok_or_else(|| format!("there is no map {to}"))?;
        let online = self.players.remove(conn).ok_or("not playing")?;
        let record = self.current_record(&online);
        let pos = match at {
            Some((x, y)) => inside(Position { x, y }, &dest),
            None => {
                let here = self.maps.list[online.map].sim.geometry();
                let Position { x, y } = same_place(record.pos, &here, &dest);
                let (x, y) = self.maps.land_near(&dest, (x, y));
                Position { x, y }
            }
        };
        let m = &mut self.maps.list[online.map];
        m.view.remove_client(conn);
        m.sim.despawn_character(online.entity);
        let departure = self.maps.items(online.map).leave(record.id);
        let (items, item_ticket) = (departure.items, departure.ticket);
        let departing = Departing { conn, record, seq: online.seq, items, item_ticket };
        self.submit_handoff(departing, (to, pos), (token, target))
    }

    /// An arrival whose spawn search chose a free spot on a map another shard simulates (§5):
    /// handed off there, or closed when no shard simulates it now (its stored state unchanged).
    pub(crate) fn hand_off_arrival(&mut self, departing: Departing, to: MapId, at: (i32, i32)) {
        let conn = departing.conn;
        let ready = self.handoff_target(to).and_then(|target| Ok((target, random_token()?)));
        let outcome = ready.and_then(|(target, token)| {
            let pos = Position { x: at.0, y: at.1 };
            self.submit_handoff(departing, (to, pos), (token, &target))
        });
        if let Err(why) = outcome {
            tracing::warn!(%conn, to, why, "cannot hand off an arrival");
            self.outbox.close(conn, close::MAP_UNAVAILABLE, &format!("the spawn spot's map {to}: {why}"));
        }
    }

    /// Submits the hand-off of `d` to map `to` at `pos` on `target` with the one-time `token`.
    /// `Err`: the writer would not take it (the character was saved as at a logout).
    fn submit_handoff(
        &mut self,
        d: Departing,
        (to, pos): (MapId, Position),
        (token, target): ([u8; 32], &Target),
    ) -> Result<(), String> {
        if let Some(meta) = &self.meta {
            meta.offline(d.record.id);
        }
        let arriving = PlayerRecord { map: to, pos, ..d.record.clone() };
        let mut seq = d.seq;
        seq.n += 1;
        let fence = self.maps.index_of(d.record.map).map(|i| self.maps.list[i].fence);
        let h = HandOff {
            from_shard: self.opts.shard_id.clone(),
            fence,
            save: PlayerSave { player: arriving, seq },
            items: Vec::new(),
            token_hash: crate::session::token_hash(&SessionToken(token)).to_vec(),
            to_shard: target.shard.clone(),
            to_map: to,
            expires_ms: super::unix_ms().saturating_add(HANDOFF_TTL.as_millis() as i64),
        };
        test_pause(self.opts.test_pause, HandoffStep::Submitted);
        let (committed, refused) = match self.store.writer().hand_off(h) {
            Ok(ticket) => (Some(ticket), None),
            Err(e) => (None, Some(e)),
        };
        let leaving = Leaving {
            conn: d.conn,
            record: d.record,
            seq,
            items: d.items,
            item_ticket: d.item_ticket,
            committed,
            token,
            address: target.address.clone(),
            to,
            started: Instant::now(),
        };
        match refused {
            None => {
                self.handoffs.leaving.push(leaving);
                Ok(())
            }
            Some(e) => {
                self.handoff_failed(leaving, &e);
                Err(e.to_string())
            }
        }
    }

    /// The hand-off committed: the client gets the Redirect with its one-time token.
    fn handed_off(&mut self, leaving: Leaving) {
        test_pause(self.opts.test_pause, HandoffStep::Committed);
        let Leaving { conn, record, address, token, to, started, .. } = leaving;
        let hash = crate::session::token_hash(&SessionToken(token)).to_vec();
        self.returns.sent(record.id, hash, (record.map, record.pos));
        let msg = ServerMessage::Redirect(Redirect { address, token: SessionToken(token) });
        self.outbox.reply(conn, &msg);
        self.send();
        self.outbox.close(conn, close::REDIRECTED, "play on the shard the Redirect names");
        if let Some(link) = &self.meta {
            link.counters.handed_off(started.elapsed());
        }
        tracing::info!(%conn, player = record.id, to, ms = started.elapsed().as_millis() as u64, "handed off");
    }

    /// The store refused the hand-off (or could not take it): nothing of it committed, so the
    /// character is still this shard's. It is saved as at a logout and the client closed.
    fn handoff_failed(&mut self, mut leaving: Leaving, error: &StoreError) {
        if let Some(link) = &self.meta {
            link.counters.handoffs_failed.fetch_add(1, Ordering::Relaxed);
        }
        let id = leaving.record.id;
        tracing::error!(player = id, to = leaving.to, %error, "hand-off failed: the character stays here");
        let (code, reason) = match error {
            StoreError::Fenced { .. } => {
                (close::MAP_LOST, "this shard lost the map; log in again".to_owned())
            }
            StoreError::NotOwner { .. } => (close::REPLACED, "the character is playing elsewhere".to_owned()),
            e => {
                let mut tickets: Vec<Ticket> = leaving.item_ticket.take().into_iter().collect();
                let fence = self.maps.index_of(leaving.record.map).map(|i| self.maps.list[i].fence);
                leaving.seq.n += 1;
                let save = PlayerSave { player: leaving.record.clone(), seq: leaving.seq };
                match self.store.writer().save_players_seq(fence, vec![save]) {
                    Ok(t) => tickets.push(t),
                    Err(e) => tracing::error!(player = id, error = %e, "cannot queue the player's save"),
                }
                self.departed.left(leaving.record.clone(), std::mem::take(&mut leaving.items), tickets);
                (close::TRY_LATER, format!("the move to map {} failed ({e}); log in again", leaving.to))
            }
        };
        self.outbox.close(leaving.conn, code, &reason);
    }
}

impl LeaseCounters {
    /// A hand-off out of this shard completed `latency` after it started.
    pub(crate) fn handed_off(&self, latency: Duration) {
        self.handoffs_out.fetch_add(1, Ordering::Relaxed);
        let ms = latency.as_millis() as u64;
        let bucket = HANDOFF_BUCKETS_MS.iter().position(|&b| ms <= b).unwrap_or(HANDOFF_BUCKETS_MS.len());
        self.handoff_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.handoff_us_sum.fetch_add(latency.as_micros() as u64, Ordering::Relaxed);
    }
}

/// `pos` kept inside `map`'s walkable area.
fn inside(pos: Position, map: &MapGeometry) -> Position {
    let (x0, y0, x1, y1) = map.walkable();
    Position { x: pos.x.clamp(x0, x1), y: pos.y.clamp(y0, y1) }
}

/// Where a character at `pos` on `from` lands on `to` when the mover names no spot: the same place
/// relative to each map's walkable area (the same coordinates between maps of one size, such as
/// the layers of a continent), so characters spread over the target as they stood.
fn same_place(pos: Position, from: &MapGeometry, to: &MapGeometry) -> Position {
    let ((fx0, fy0, fx1, fy1), (tx0, ty0, tx1, ty1)) = (from.walkable(), to.walkable());
    let scale = |v: i32, (a0, a1): (i32, i32), (b0, b1): (i32, i32)| -> i32 {
        let (span_a, span_b) = (i64::from(a1 - a0).max(1), i64::from(b1 - b0));
        let offset = i64::from(v.clamp(a0, a1) - a0) * span_b / span_a;
        (i64::from(b0) + offset) as i32
    };
    Position { x: scale(pos.x, (fx0, fx1), (tx0, tx1)), y: scale(pos.y, (fy0, fy1), (ty0, ty1)) }
}

/// A fresh one-time token.
fn random_token() -> Result<[u8; 32], String> {
    SessionToken::random().map(|t| t.0).map_err(|e| format!("cannot draw a token: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(id: MapId, chunks: i32) -> MapGeometry {
        *crate::geom::WorldLayout::from_content(&crate::Content::builtin())
            .maps()
            .iter()
            .find(|m| m.id == id && m.width_chunks == chunks)
            .expect("a shipped map of that size")
    }

    #[test]
    fn characters_land_at_the_same_place_relative_to_each_map() {
        let (big, layer, small) = (map(0, 32), map(1, 32), map(16, 16));
        let p = Position { x: 300_000, y: 500_000 };
        assert_eq!(same_place(p, &big, &layer), p, "the layers of a continent share coordinates");
        let q = same_place(p, &big, &small);
        let (x0, y0, x1, y1) = small.walkable();
        assert!((x0..=x1).contains(&q.x) && (y0..=y1).contains(&q.y), "inside the smaller map");
        let (bx0, _, bx1, _) = big.walkable();
        let rel = |v: i32, a: i32, b: i32| f64::from(v - a) / f64::from(b - a);
        assert!((rel(q.x, x0, x1) - rel(p.x, bx0, bx1)).abs() < 1e-3, "the same place relative to the map");
        let far = Position { x: i32::MAX, y: i32::MIN };
        assert_eq!(same_place(far, &big, &small), Position { x: x1, y: y0 }, "off-map input is kept inside");
        assert_eq!(inside(far, &small), Position { x: x1, y: y0 });
    }
}
