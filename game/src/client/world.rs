//! `ClientWorld`: everything a client knows, built from the server messages it receives: the
//! session (Welcome), the chunk cache (ChunkData / ChunkDrop / ObjectDelta), the entity table
//! and own state (Frame deltas), the frames received (for Ack), the containers shown
//! (ContainerContents / ContainerChange / ContainerClosed), the vitals (Stats), the last
//! craft's progress (CraftProgress) and the chat heard (ChatHeard).

use super::ack::AckTracker;
use super::chat::{ChatLog, HeardLine};
use super::chunk_cache::{ChunkCache, ChunkInsert};
use super::containers::{ChangeOutcome, ContainerView, Containers};
use super::error::ClientWorldError;
use super::redirect::kept_token;
use crate::chunk_wire;
use crate::content::Content;
use crate::geom::{MapGeometry, WorldLayout, split_map_id};
use net::protocol::{
    Ack, ChatHeard, ChunkData, ChunkDrop, ContainerChange, ContainerClosed, ContainerContents, ContainerRef,
    CraftProgress, EntityEnter, EntityId, EntityState, EntityUpdate, Frame, ObjectDelta, OwnState,
    PROTOCOL_VERSION, Redirect, ServerMessage, SessionToken, Stats, Welcome,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The session the server granted (from Welcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// The player's own entity.
    pub player: EntityId,
    /// The map the player is on: its id and its size in chunks, as Welcome stated them.
    pub map: MapGeometry,
    /// The map's continent (`map id >> 4`).
    pub continent: u16,
    /// The map's layer (`map id & 0xF`).
    pub layer: u16,
    /// Where the server placed the character (1/256 tile), the own position until a Frame.
    pub spawn: (i32, i32),
    /// Simulation ticks per second.
    pub tick_rate_hz: u16,
    /// The server's tick when Welcome was sent.
    pub server_tick: u64,
    /// Token to present when reconnecting.
    pub token: SessionToken,
}

/// What the client holds about another entity: its last record and the tick of that record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldEntity {
    /// Content-defined kind (from the enter record).
    pub kind: u16,
    /// The state the last record carried.
    pub state: EntityState,
    /// Tick of the frame that carried this record.
    pub tick: u64,
}

impl HeldEntity {
    /// Position extrapolated to `tick` with the server's dead reckoning
    /// ([`EntityState::position_at`]; a tick before the record's is the record's position).
    pub fn position_at(&self, tick: u64) -> (i32, i32) {
        saturate(self.state.position_at(tick.saturating_sub(self.tick)))
    }
}

/// A dead-reckoned position saturated into map coordinates.
fn saturate((x, y): (i64, i64)) -> (i32, i32) {
    let clamp = |v: i64| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
    (clamp(x), clamp(y))
}

/// The player's own authoritative state from the newest frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnView {
    /// The frame's tick.
    pub tick: u64,
    /// Last input applied by the server.
    pub last_input_seq: u32,
    /// The frame head's own state.
    pub state: OwnState,
}

/// What applying a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// A session started (everything before it was forgotten).
    Welcome,
    /// A frame was applied.
    Frame {
        /// Its tick.
        tick: u64,
    },
    /// A chunk was stored.
    Chunk {
        /// Chunk x.
        cx: i32,
        /// Chunk y.
        cy: i32,
        /// New or replacing an older version.
        insert: ChunkInsert,
    },
    /// A chunk older than the one held was ignored.
    StaleChunk,
    /// The own character's vitals and experience arrived ([`ClientWorld::vitals`]).
    Stats,
    /// What became of an accepted Craft arrived ([`ClientWorld::craft_progress`]).
    CraftProgress {
        /// The Craft's request id.
        request: u32,
        /// Its state (`net::protocol::craft_state`).
        state: u8,
    },
    /// A chunk was forgotten (`held`: it was held).
    ChunkDrop {
        /// True when the chunk was held.
        held: bool,
    },
    /// An ObjectDelta arrived: applied when the chunk is held at its `from_version` (it is then
    /// held at `to_version`), ignored otherwise (a chunk not held, or held at another version).
    ObjectDelta {
        /// Chunk x.
        cx: i32,
        /// Chunk y.
        cy: i32,
        /// True when the changes were applied.
        applied: bool,
    },
    /// A container's full contents replaced what was held of it (or showed it first).
    ContainerContents {
        /// The container.
        container: ContainerRef,
        /// The revision now held.
        revision: u32,
    },
    /// A container change was applied at the revision held.
    ContainerChange {
        /// The container.
        container: ContainerRef,
        /// The revision now held.
        revision: u32,
    },
    /// A container change was not made against the revision held (or the container is not
    /// held): a change was missed, the view is marked out of sync until the next contents.
    ContainerOutOfSync {
        /// The container.
        container: ContainerRef,
        /// The revision held, `None` when the container is not held.
        held: Option<u32>,
        /// The change's `base_revision`.
        base_revision: u32,
    },
    /// A container is no longer shown and was forgotten.
    ContainerClosed {
        /// The container.
        container: ContainerRef,
        /// Why (`net::protocol::closed_reason`).
        reason: u8,
        /// True when it was held.
        held: bool,
    },
    /// The server asks to reconnect elsewhere (kept in [`ClientWorld::redirect`]).
    Redirect,
    /// The server reported an error (the connection stays open).
    ServerError {
        /// Error code (protocol §5).
        code: u16,
        /// Request id the error is about.
        request: u32,
    },
    /// A Pong.
    Pong {
        /// The nonce sent in Ping.
        nonce: u64,
    },
    /// A chat line was heard (kept in [`ClientWorld::chat`]).
    ChatHeard {
        /// The speaker's character.
        speaker: EntityId,
        /// The request id of the client's own Chat when the line is its own, else 0.
        request: u32,
    },
}

/// Counters of anomalies that are not errors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorldStats {
    /// Frames applied.
    pub frames: u64,
    /// ChunkData messages stored.
    pub chunks: u64,
    /// ChunkDrop messages applied.
    pub chunk_drops: u64,
    /// ObjectDelta messages applied.
    pub object_deltas: u64,
    /// ObjectDelta messages ignored (chunk not held, or held at another version).
    pub ignored_object_deltas: u64,
    /// Update records for entities not held (ignored).
    pub unknown_updates: u64,
    /// Leave records for entities not held.
    pub unknown_leaves: u64,
    /// Container changes applied.
    pub container_changes: u64,
    /// Container changes that found the container out of sync (or not held).
    pub containers_out_of_sync: u64,
}

/// Everything a client knows about the game, kept up to date by [`ClientWorld::apply`].
#[derive(Debug, Clone)]
pub struct ClientWorld {
    content: Arc<Content>,
    layout: WorldLayout,
    session: Option<Session>,
    chunks: ChunkCache,
    entities: HashMap<u64, HeldEntity>,
    own: Option<OwnView>,
    acks: AckTracker,
    redirect: Option<Redirect>,
    containers: Containers,
    vitals: Option<Stats>,
    chat: ChatLog,
    craft: Option<CraftProgress>,
    stats: WorldStats,
}

impl ClientWorld {
    /// An empty world for `content` (the same content the server runs).
    pub fn new(content: Arc<Content>) -> Self {
        let layout = WorldLayout::from_content(&content);
        let chunks = ChunkCache::new(&content);
        Self {
            content,
            layout,
            session: None,
            chunks,
            entities: HashMap::new(),
            own: None,
            acks: AckTracker::new(),
            redirect: None,
            containers: Containers::default(),
            vitals: None,
            chat: ChatLog::default(),
            craft: None,
            stats: WorldStats::default(),
        }
    }

    /// Applies one server message. On error nothing changed.
    pub fn apply(&mut self, msg: &ServerMessage) -> Result<Applied, ClientWorldError> {
        match msg {
            ServerMessage::Welcome(w) => self.welcome(w),
            ServerMessage::Frame(f) => self.frame(f),
            ServerMessage::ChunkData(c) => self.chunk(c),
            ServerMessage::ChunkDrop(d) => self.chunk_drop(d),
            ServerMessage::ObjectDelta(d) => self.object_delta(d),
            ServerMessage::Redirect(r) => {
                self.redirect = Some(r.clone());
                Ok(Applied::Redirect)
            }
            ServerMessage::Error(e) => Ok(Applied::ServerError { code: e.code, request: e.request }),
            ServerMessage::Pong(p) => Ok(Applied::Pong { nonce: p.nonce }),
            ServerMessage::ContainerContents(c) => self.container_contents(c),
            ServerMessage::ContainerChange(c) => self.container_change(c),
            ServerMessage::ContainerClosed(c) => self.container_closed(c),
            ServerMessage::Stats(s) => {
                self.vitals = Some(*s);
                Ok(Applied::Stats)
            }
            ServerMessage::ChatHeard(h) => self.chat_heard(h),
            ServerMessage::CraftProgress(p) => {
                self.craft = Some(*p);
                Ok(Applied::CraftProgress { request: p.request, state: p.state })
            }
        }
    }

    /// Applies a Welcome: a new session (the map, the spawn), everything else forgotten; the
    /// session token is kept over a Welcome whose token is zero (the answer to a hand-off).
    fn welcome(&mut self, w: &Welcome) -> Result<Applied, ClientWorldError> {
        if w.version != PROTOCOL_VERSION {
            return Err(ClientWorldError::UnsupportedVersion(w.version));
        }
        let map = self.welcome_map(w)?;
        self.session = Some(Session {
            player: w.player,
            map,
            continent: w.continent,
            layer: w.layer,
            spawn: (w.x, w.y),
            tick_rate_hz: w.tick_rate_hz,
            server_tick: w.server_tick,
            token: kept_token(self.session.map(|s| s.token), w.token),
        });
        self.chunks.reset(Some(map));
        self.entities.clear();
        self.own = None;
        self.acks.reset();
        self.redirect = None;
        self.containers.clear();
        self.vitals = None;
        self.craft = None;
        Ok(Applied::Welcome)
    }

    /// The map Welcome describes, checked against its id and the content's world layout (the
    /// client runs the server's content, so both must agree on every map's size).
    fn welcome_map(&self, w: &Welcome) -> Result<MapGeometry, ClientWorldError> {
        let map = *self.layout.map(w.map).ok_or(ClientWorldError::UnknownMap(w.map))?;
        let mismatch = |field| Err(ClientWorldError::MapMismatch { map: w.map, field });
        if split_map_id(w.map) != (w.continent, w.layer) {
            return mismatch("continent and layer");
        }
        let size = (i32::from(w.width_chunks), i32::from(w.height_chunks));
        if size != (map.width_chunks, map.height_chunks) {
            return mismatch("size");
        }
        Ok(map)
    }

    fn frame(&mut self, f: &Frame) -> Result<Applied, ClientWorldError> {
        self.session.ok_or(ClientWorldError::NotWelcomed)?;
        if let Some(newest) = self.acks.newest().filter(|&n| f.tick <= n) {
            return Err(ClientWorldError::StaleFrame { tick: f.tick, newest });
        }
        self.acks.record(f.tick);
        self.own = Some(OwnView { tick: f.tick, last_input_seq: f.last_input_seq, state: f.own });
        f.enters.iter().for_each(|e| self.enter(e, f.tick));
        f.updates.iter().for_each(|u| self.update(u, f.tick));
        for id in &f.leaves {
            if self.entities.remove(&id.0).is_none() {
                self.stats.unknown_leaves += 1;
            }
        }
        self.stats.frames += 1;
        Ok(Applied::Frame { tick: f.tick })
    }

    fn enter(&mut self, e: &EntityEnter, tick: u64) {
        self.entities.insert(e.id.0, HeldEntity { kind: e.kind, state: e.state, tick });
    }

    fn update(&mut self, u: &EntityUpdate, tick: u64) {
        let Some(s) = self.entities.get_mut(&u.id.0) else {
            self.stats.unknown_updates += 1;
            return;
        };
        (s.state, s.tick) = (u.state, tick);
    }

    /// Checks that a chunk message is for the session's map and inside it.
    fn check_chunk(&self, map: u32, cx: i32, cy: i32) -> Result<(), ClientWorldError> {
        let session = self.session.ok_or(ClientWorldError::NotWelcomed)?;
        if map != session.map.id {
            return Err(ClientWorldError::WrongMap { expected: session.map.id, got: map });
        }
        match session.map.chunk_index(cx, cy) {
            Some(_) => Ok(()),
            None => Err(ClientWorldError::ChunkOutsideMap { cx, cy }),
        }
    }

    fn chunk(&mut self, c: &ChunkData) -> Result<Applied, ClientWorldError> {
        self.check_chunk(c.map, c.cx, c.cy)?;
        if !self.chunks.wants(c.cx, c.cy, c.version) {
            return Ok(Applied::StaleChunk);
        }
        let content = chunk_wire::decode((c.cx, c.cy), &c.data, c.raw_len)?;
        let insert = self.chunks.insert(c.cx, c.cy, c.version, &content);
        self.stats.chunks += 1;
        Ok(Applied::Chunk { cx: c.cx, cy: c.cy, insert })
    }

    fn chunk_drop(&mut self, d: &ChunkDrop) -> Result<Applied, ClientWorldError> {
        self.check_chunk(d.map, d.cx, d.cy)?;
        self.stats.chunk_drops += 1;
        Ok(Applied::ChunkDrop { held: self.chunks.remove(d.cx, d.cy) })
    }

    fn object_delta(&mut self, d: &ObjectDelta) -> Result<Applied, ClientWorldError> {
        self.check_chunk(d.map, d.cx, d.cy)?;
        let applied = self.chunks.apply_delta(d);
        if applied {
            self.stats.object_deltas += 1;
        } else {
            self.stats.ignored_object_deltas += 1;
        }
        Ok(Applied::ObjectDelta { cx: d.cx, cy: d.cy, applied })
    }

    fn container_contents(&mut self, c: &ContainerContents) -> Result<Applied, ClientWorldError> {
        self.session.ok_or(ClientWorldError::NotWelcomed)?;
        self.containers.contents(c)?;
        Ok(Applied::ContainerContents { container: c.container, revision: c.revision })
    }

    fn container_change(&mut self, c: &ContainerChange) -> Result<Applied, ClientWorldError> {
        self.session.ok_or(ClientWorldError::NotWelcomed)?;
        Ok(match self.containers.change(c)? {
            ChangeOutcome::Applied => {
                self.stats.container_changes += 1;
                Applied::ContainerChange { container: c.container, revision: c.revision }
            }
            ChangeOutcome::OutOfSync { held } => {
                self.stats.containers_out_of_sync += 1;
                Applied::ContainerOutOfSync { container: c.container, held, base_revision: c.base_revision }
            }
        })
    }

    fn container_closed(&mut self, c: &ContainerClosed) -> Result<Applied, ClientWorldError> {
        self.session.ok_or(ClientWorldError::NotWelcomed)?;
        let held = self.containers.closed(c);
        Ok(Applied::ContainerClosed { container: c.container, reason: c.reason, held })
    }

    /// What the own character fights with: the weapon in its hand slot as shown, or the fist.
    pub fn wielded(&self) -> crate::combat::Wielded {
        let own = self.containers.views().get(&ContainerRef::Own);
        let hand = crate::items::EquipSlot::Hand.slot(&self.content.item_rules);
        let held = own.and_then(|v| v.slots.get(&hand)).map(|s| (s.kind, s.quality));
        crate::combat::Wielded::holding(&self.content, held, 0)
    }

    /// The own character's vitals and experience as last sent (`None` before the first Stats
    /// of the session).
    pub fn vitals(&self) -> Option<&Stats> {
        self.vitals.as_ref()
    }

    /// Keeps a line heard; the log survives a new Welcome (it is history, not state).
    fn chat_heard(&mut self, h: &ChatHeard) -> Result<Applied, ClientWorldError> {
        self.session.ok_or(ClientWorldError::NotWelcomed)?;
        self.chat.push(HeardLine::from(h));
        Ok(Applied::ChatHeard { speaker: h.speaker, request: h.request })
    }

    /// The recent chat lines heard.
    pub fn chat(&self) -> &ChatLog {
        &self.chat
    }

    /// The last CraftProgress of the session (`None` before the first): the craft running, or
    /// how the last one ended.
    pub fn craft_progress(&self) -> Option<&CraftProgress> {
        self.craft.as_ref()
    }

    /// Every container shown and not closed since, by reference.
    pub fn containers(&self) -> &BTreeMap<ContainerRef, ContainerView> {
        self.containers.views()
    }

    /// What is held of one container.
    pub fn container(&self, container: &ContainerRef) -> Option<&ContainerView> {
        self.containers.views().get(container)
    }

    /// The content this world was built with.
    pub fn content(&self) -> &Arc<Content> {
        &self.content
    }

    /// The session, once Welcome arrived.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The player's own entity, once welcomed.
    pub fn player(&self) -> Option<EntityId> {
        self.session.map(|s| s.player)
    }

    /// The map's geometry, once welcomed.
    pub fn map(&self) -> Option<&MapGeometry> {
        self.session.as_ref().map(|s| &s.map)
    }

    /// The chunk cache (also the [`crate::movement::Terrain`] for prediction).
    pub fn chunks(&self) -> &ChunkCache {
        &self.chunks
    }

    /// Own authoritative state from the newest frame.
    pub fn own(&self) -> Option<&OwnView> {
        self.own.as_ref()
    }

    /// Own authoritative position (1/256 tile): the newest Frame's, or before the first Frame
    /// the one Welcome placed the character at.
    pub fn own_position(&self) -> Option<(i32, i32)> {
        match (self.own, self.session) {
            (Some(own), _) => Some((own.state.x, own.state.y)),
            (None, session) => session.map(|s| s.spawn),
        }
    }

    /// Another entity's last record.
    pub fn entity(&self, id: EntityId) -> Option<&HeldEntity> {
        self.entities.get(&id.0)
    }

    /// Every entity held, by wire id.
    pub fn entities(&self) -> impl Iterator<Item = (EntityId, &HeldEntity)> {
        self.entities.iter().map(|(&id, s)| (EntityId(id), s))
    }

    /// Number of entities held.
    pub fn entity_count(&self) -> usize {
        self.entities.len()
    }

    /// Position of `id` extrapolated to `tick`: another entity from its record, the own
    /// character from the newest frame head.
    pub fn position_at(&self, id: EntityId, tick: u64) -> Option<(i32, i32)> {
        if let Some(s) = self.entities.get(&id.0) {
            return Some(s.position_at(tick));
        }
        let own = self.own.filter(|_| self.player() == Some(id))?;
        Some(saturate(own.state.position_at(tick.saturating_sub(own.tick))))
    }

    /// The tick of the newest frame applied.
    pub fn newest_tick(&self) -> Option<u64> {
        self.acks.newest()
    }

    /// The Ack to send for the frames received so far.
    pub fn ack(&self) -> Option<Ack> {
        self.acks.ack()
    }

    /// The frames-received tracker.
    pub fn ack_tracker(&self) -> &AckTracker {
        &self.acks
    }

    /// The last Redirect received in this session.
    pub fn redirect(&self) -> Option<&Redirect> {
        self.redirect.as_ref()
    }

    /// Anomaly counters.
    pub fn stats(&self) -> WorldStats {
        self.stats
    }
}
