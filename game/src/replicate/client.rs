//! One client's replication state and its per-tick work: the chunk area and the chunks sent,
//! the known-entity table, and the Frame built against what the client holds.

use super::chunk_cache::ChunkCache;
use super::config::{ReplicationConfig, ReplicationStats};
use super::known::{Known, Merge, PassInput, Visible};
use super::record::Candidate;
use super::select::{Packer, max_records, prioritize};
use super::snapshot::{Character, Snapshot};
use crate::geom::MapGeometry;
use crate::interest::{AreaChange, ChunkArea};
use engine::Entity;
use net::protocol::{Ack, ChunkDrop, EntityId, FrameBuilder, OwnState, ServerMessage};
use net::{ConnId, Outbound};
use store::MapId;

/// Most acks queued between two builds (a client acks about once per Frame).
const MAX_PENDING_ACKS: usize = 8;

/// What every client's work reads this tick.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TickContext<'a> {
    /// This tick's characters.
    pub snapshot: &'a Snapshot,
    /// Encoded chunks.
    pub cache: &'a ChunkCache,
    /// Tunables.
    pub config: &'a ReplicationConfig,
    /// Map id for ChunkDrop.
    pub map: MapId,
    /// Current tick.
    pub tick: u64,
}

impl<'a> TickContext<'a> {
    /// The context of the tick `snapshot` describes.
    pub fn new(
        snapshot: &'a Snapshot,
        cache: &'a ChunkCache,
        config: &'a ReplicationConfig,
        map: MapId,
    ) -> Self {
        Self { snapshot, cache, config, map, tick: snapshot.tick }
    }
}

/// A chunk of the client's area inside the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeldChunk {
    /// Chunk coordinates.
    pub coords: (i32, i32),
    /// Dense chunk index.
    pub index: usize,
    /// Version the client holds (sent as ChunkData or reached by ObjectDeltas), if any.
    pub sent_version: Option<u32>,
}

/// The head of the last Frame sent (to skip frames that would say nothing new).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LastFrame {
    tick: u64,
    own: OwnState,
    input_seq: u32,
}

/// Buffers a client's build needs only while it runs, one set per thread: they stay warm in
/// that core's cache from client to client instead of each client dragging its own through
/// memory every tick.
#[derive(Debug, Default)]
struct Scratch {
    /// The known table being merged (swapped with the client's after a refresh).
    next_known: Vec<Known>,
    /// The visible set of a refresh.
    visible: Vec<Visible>,
    /// Per snapshot slot: marks the visible set during a merge (all zero otherwise).
    chosen: Vec<u32>,
    /// Characters in the area, distance to the viewer and slot packed.
    nearby: Vec<u64>,
    /// Records the client needs this tick.
    candidates: Vec<Candidate>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// One connected client.
#[derive(Debug)]
pub(crate) struct ClientState {
    /// The connection.
    pub conn: ConnId,
    /// The player's character.
    pub entity: Entity,
    /// Last Input.seq applied.
    pub last_input: u32,
    /// Own character's position this tick; `None` when it does not exist (nothing is sent).
    viewer: Option<(i32, i32)>,
    area: ChunkArea,
    change: AreaChange,
    /// In-map chunks of the area.
    chunks: Vec<HeldChunk>,
    /// Sent chunks that left the area this tick.
    drops: Vec<(i32, i32)>,
    known: Vec<Known>,
    /// Acks that arrived since the last build, oldest first (applied during the next pass).
    acks: Vec<Ack>,
    /// The visible set must be gathered afresh at the next build (new client, area changed).
    refresh_due: bool,
    builder: FrameBuilder,
    last_frame: Option<LastFrame>,
    /// Bytes the client may still be sent (refills every tick; ChunkData can overdraw it).
    credit: i64,
    /// First tick built for this client: the chunks of its first area are not charged.
    joined: Option<u64>,
    /// Tick of the last build.
    built: Option<u64>,
    /// Messages of this tick, drained by the replicator.
    pub outbox: Vec<(ConnId, Outbound)>,
    /// Counters of this tick, drained by the replicator.
    pub stats: ReplicationStats,
    /// The connection left: nothing is built, and the replicator drops the entry at its next
    /// build.
    pub departed: bool,
}

impl ClientState {
    /// A client that holds nothing yet.
    pub fn new(conn: ConnId, entity: Entity, margin: i32) -> Self {
        Self {
            conn,
            entity,
            last_input: 0,
            viewer: None,
            area: ChunkArea::new(margin),
            change: AreaChange::default(),
            chunks: Vec::new(),
            drops: Vec::new(),
            known: Vec::new(),
            acks: Vec::new(),
            refresh_due: true,
            builder: FrameBuilder::new(0, 0, &OwnState::default()),
            last_frame: None,
            credit: i64::MAX,
            joined: None,
            built: None,
            outbox: Vec::new(),
            stats: ReplicationStats::default(),
            departed: false,
        }
    }

    /// The place of a client that left (holds nothing, builds nothing).
    pub fn departed(conn: ConnId) -> Self {
        // No entity has the largest index: the entry never finds a character.
        Self { departed: true, ..Self::new(conn, Entity::from_parts(u32::MAX, u32::MAX), 0) }
    }

    /// True when an input was applied that no Frame has acknowledged yet (or none was sent).
    pub fn awaits_answer(&self) -> bool {
        self.last_frame.is_none_or(|last| last.input_seq != self.last_input)
    }

    /// True when this tick's messages are built.
    pub fn is_built(&self, tick: u64) -> bool {
        self.built == Some(tick)
    }

    /// Queues a selective ack for the next build's pass over the known table. Only the newest
    /// [`MAX_PENDING_ACKS`] are kept: what an older one would settle expires and is resent.
    pub fn on_ack(&mut self, ack: Ack) {
        if self.acks.len() >= MAX_PENDING_ACKS {
            self.acks.remove(0);
        }
        self.acks.push(ack);
    }

    /// Moves the chunk area to the character's position (serial phase, before encoding).
    pub fn update_area(&mut self, snapshot: &Snapshot, geometry: &MapGeometry) {
        self.viewer = snapshot.find(self.entity).map(|c| (c.state.x, c.state.y));
        let Some((x, y)) = self.viewer else { return };
        self.area.update(x, y, &mut self.change);
        if !(self.change.left.is_empty() && self.change.entered.is_empty()) {
            self.refresh_due = true;
        }
        for &left in &self.change.left {
            if let Some(at) = self.chunks.iter().position(|h| h.coords == left) {
                let held = self.chunks.swap_remove(at);
                if held.sent_version.is_some() {
                    self.drops.push(left);
                }
            }
        }
        for &(cx, cy) in &self.change.entered {
            if let Some(index) = geometry.chunk_index(cx, cy) {
                self.chunks.push(HeldChunk { coords: (cx, cy), index, sent_version: None });
            }
        }
    }

    /// Chunks of the area with the version the client holds, for those whose current content
    /// it may lack (the serial phase encodes what they need).
    pub fn stale_chunks<'a>(
        &'a self,
        cache: &'a ChunkCache,
        deltas_due: bool,
    ) -> impl Iterator<Item = ((i32, i32), Option<u32>)> + 'a {
        let current = |h: &HeldChunk| cache.get(h.index).is_some_and(|e| h.sent_version == Some(e.version));
        let wanted = move |h: &&HeldChunk| !current(h) && (deltas_due || h.sent_version.is_none());
        self.chunks.iter().filter(wanted).map(|h| (h.coords, h.sent_version))
    }

    /// Builds this tick's messages into the outbox (parallel phase).
    pub fn build(&mut self, ctx: &TickContext<'_>) {
        self.built = Some(ctx.tick);
        if self.viewer.is_none() {
            return;
        }
        let rate = ctx.config.rate_bytes_per_tick as i64;
        self.credit = self.credit.saturating_add(rate).min(rate * super::config::CREDIT_TICKS);
        let joined = *self.joined.get_or_insert(ctx.tick);
        let charge_chunks = ctx.tick.saturating_sub(joined) >= super::config::FREE_AREA_TICKS;
        self.send_chunks(ctx.cache, charge_chunks, ctx.config.deltas_due(ctx.tick));
        self.send_drops(ctx.map);
        if let Some(own) = ctx.snapshot.find(self.entity).copied() {
            SCRATCH.with_borrow_mut(|scratch| self.send_frame(ctx, &own, scratch));
        }
    }

    /// For every area chunk whose current version the client does not hold: the ObjectDelta
    /// from the version it holds when there is one (on ticks `deltas_due`), else the whole
    /// ChunkData once encoded.
    /// Deltas always count against the credit; ChunkData unless `charge` is false (the first
    /// area).
    fn send_chunks(&mut self, cache: &ChunkCache, charge: bool, deltas_due: bool) {
        for held in &mut self.chunks {
            let Some(encoded) = cache.get(held.index) else { continue };
            if held.sent_version == Some(encoded.version) || (held.sent_version.is_some() && !deltas_due) {
                continue;
            }
            let delta = held.sent_version.and_then(|from| encoded.delta(from));
            let message = match (delta, &encoded.data) {
                (Some(delta), _) => {
                    self.stats.object_delta_msgs += 1;
                    self.stats.object_delta_bytes += delta.len() as u64;
                    self.credit -= delta.len() as i64;
                    delta
                }
                (None, Some(data)) => {
                    self.stats.chunk_data_msgs += 1;
                    self.stats.chunk_data_bytes += data.len() as u64;
                    if charge {
                        self.credit -= data.len() as i64;
                    }
                    data
                }
                (None, None) => continue,
            };
            held.sent_version = Some(encoded.version);
            self.outbox.push((self.conn, Outbound::reliable(message.clone())));
        }
    }

    /// ChunkDrop for every sent chunk that left the area.
    fn send_drops(&mut self, map: MapId) {
        for (cx, cy) in self.drops.drain(..) {
            let message = ServerMessage::ChunkDrop(ChunkDrop { map, cx, cy }).encode();
            self.outbox.push((self.conn, Outbound::reliable(message)));
        }
    }

    /// Builds the Frame against what the client holds, or skips it when it would say nothing.
    fn send_frame(&mut self, ctx: &TickContext<'_>, own: &Character, scratch: &mut Scratch) {
        let own_state = own_state(own, ctx.snapshot.max_hp);
        self.builder.reset(ctx.tick, self.last_input, &own_state);
        self.pack_records(ctx, own, scratch);
        let head = LastFrame { tick: ctx.tick, own: own_state, input_seq: self.last_input };
        if self.is_redundant(&head, ctx.config.heartbeat_ticks) {
            self.stats.frames_skipped += 1;
            return;
        }
        let payload = self.builder.finish();
        self.stats.frames += 1;
        self.stats.frame_bytes += payload.len() as u64;
        self.credit -= payload.len() as i64;
        self.outbox.push((self.conn, Outbound::frame(payload)));
        self.last_frame = Some(head);
    }

    /// Settles acks and expired sends, works out what each known or newly visible entity needs
    /// (gathering the visible set afresh when due, following the same entities otherwise), and
    /// packs the records the client needs into the frame by priority within the budget.
    fn pack_records(&mut self, ctx: &TickContext<'_>, own: &Character, scratch: &mut Scratch) {
        let tick = ctx.tick;
        let input = PassInput {
            snapshot: ctx.snapshot,
            acks: &self.acks,
            tick,
            tolerance: ctx.config.tolerance,
            inflight_ticks: ctx.config.inflight_ticks,
            viewer: (own.state.x, own.state.y),
            far_every: ctx.config.far_review_ticks.max(1),
        };
        let Scratch { next_known, visible, chosen, nearby, candidates } = scratch;
        let mut pass = Merge { next: next_known, candidates };
        // Clients refresh on different ticks (by connection), so the work is even across ticks.
        let period = ctx.config.view_refresh_ticks.max(1);
        if self.refresh_due || tick.wrapping_add(self.conn.to_u64()).is_multiple_of(period) {
            let cap = (ctx.config.max_visible, ctx.config.near_visible);
            gather_visible(nearby, visible, &self.area, ctx.snapshot, own, cap);
            pass.run(&self.known, visible, chosen, &input);
            std::mem::swap(&mut self.known, pass.next);
            self.refresh_due = false;
        } else {
            pass.review(&mut self.known, &input);
        }
        self.acks.clear();
        let budget = ctx.config.frame_budget(self.credit);
        prioritize(pass.candidates, max_records(budget));
        let builder = &mut self.builder;
        let mut packer = Packer { builder, known: &mut self.known, snapshot: ctx.snapshot, tick, budget };
        let filled = packer.fill(pass.candidates);
        self.stats.records_deferred += filled.deferred;
        self.stats.records_resent += filled.resent;
    }

    /// True when the frame carries no records, the head is unchanged and the heartbeat is not due.
    fn is_redundant(&self, head: &LastFrame, heartbeat_ticks: u64) -> bool {
        let Some(last) = self.last_frame else { return false };
        self.builder.records() == 0
            && last.own == head.own
            && last.input_seq == head.input_seq
            && head.tick.saturating_sub(last.tick) < heartbeat_ticks
    }
}

/// Characters in the area's chunks except the viewer's own, at most `cap.0` of them (the
/// nearest), into `visible`, the nearest `cap.1` marked near (`nearby` is scratch:
/// distance and slot packed in one word, so the selections compare plain integers).
fn gather_visible(
    nearby: &mut Vec<u64>,
    visible: &mut Vec<Visible>,
    area: &ChunkArea,
    snapshot: &Snapshot,
    own: &Character,
    (cap, near): (usize, usize),
) {
    visible.clear();
    nearby.clear();
    let (x, y) = (i64::from(own.state.x), i64::from(own.state.y));
    let own_slot = snapshot.locate(own.id, u32::MAX);
    for &(cx, cy) in area.chunks() {
        for c in snapshot.in_chunk(cx, cy) {
            if Some(c.at) != own_slot {
                let d = (i64::from(c.x) - x).abs().max((i64::from(c.y) - y).abs());
                let d = u64::try_from(d).unwrap_or(0).min(u64::from(u32::MAX));
                nearby.push(d << 32 | u64::from(c.at));
            }
        }
    }
    if nearby.len() > cap {
        // A crowd beyond what a client can follow: keep the nearest (linear selection).
        nearby.select_nth_unstable(cap);
        nearby.truncate(cap);
    }
    if nearby.len() > near {
        nearby.select_nth_unstable(near);
    }
    visible
        .extend(nearby.iter().enumerate().map(|(rank, &key)| Visible { at: key as u32, near: rank < near }));
}

/// The Frame head's own state of a character.
fn own_state(c: &Character, max_hp: u16) -> OwnState {
    let s = &c.state;
    OwnState {
        x: s.x,
        y: s.y,
        vx: s.vx,
        vy: s.vy,
        hp: s.hp,
        max_hp,
        order: c.order,
        // The head's flags are one byte: the low bits of the character's flags.
        flags: s.flags as u8,
        order_target: EntityId(c.order_target),
    }
}
