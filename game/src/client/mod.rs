//! The game side of the Rust client library (protocol §13): what a client knows and predicts,
//! built from the server messages `net::client` delivers.
//!
//! - [`ClientWorld`] applies every [`ServerMessage`]: the session (Welcome), a chunk cache
//!   (ChunkData / ChunkDrop / ObjectDelta) that is also the movement [`crate::movement::Terrain`], the entity
//!   table and own state (Frame deltas, extrapolated by velocity), the [`AckTracker`] and the
//!   containers shown ([`ContainerView`]: ContainerContents / ContainerChange / ContainerClosed),
//!   the vitals (Stats) and the last craft's progress (CraftProgress).
//! - [`Predictor`] predicts the own character with the server's exact integer movement and
//!   reconciles on every frame, counting mispredictions.
//! - [`GameClient`] ties both together with input sequence numbers and a [`TickClock`] that
//!   says which tick an input will take effect at, and makes item and craft requests (request
//!   ids, the revisions held) and chat lines (request ids); the lines heard are kept in a
//!   bounded [`ChatLog`].
//! - [`connect_following`] logs in through Redirects (a shard that does not simulate the
//!   character's map sends the client to the one that does); [`follow_handoff`] follows a
//!   Redirect received during play (a hand-off: a one-time token, 4108 falls back to the
//!   sending shard), and the session token is kept over a Welcome whose token is zero.

mod ack;
mod chat;
mod chunk_cache;
mod clock;
mod containers;
mod error;
mod predict;
mod redirect;
mod world;

pub use ack::{ACK_WINDOW, AckTracker};
pub use chat::{CHAT_LOG_LINES, ChatLog, HeardLine};
pub use chunk_cache::{CachedChunk, CachedObject, ChunkCache, ChunkInsert, ChunkRules};
pub use clock::TickClock;
pub use containers::ContainerView;
pub use error::ClientWorldError;
pub use predict::{MAX_PREDICT_TICKS, MISPREDICT_THRESHOLD, PredictionStats, Predictor};
pub use redirect::{
    Followed, HandedOff, MAX_REDIRECTS, Redirected, connect_following, follow_handoff, kept_token,
    socket_addr,
};
pub use world::{Applied, ClientWorld, HeldEntity, OwnView, Session, WorldStats};

use crate::content::Content;
use crate::geom::MapGeometry;
use net::protocol::{
    Ack, Chat, CloseContainer, ContainerRef, Craft, Drop, EntityId, Input, InventoryMove, Order, Pickup,
    Plant, ServerMessage, UseItem,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// A client's game state: the world, the predictor, the server tick clock, the next input
/// sequence number and the next request id.
#[derive(Debug, Clone)]
pub struct GameClient {
    world: ClientWorld,
    predictor: Predictor,
    clock: Option<TickClock>,
    next_seq: u32,
    next_request: u32,
}

impl GameClient {
    /// A client for `content` (the content the server runs).
    pub fn new(content: Arc<Content>) -> Self {
        let predictor = Predictor::new(content.character);
        Self { world: ClientWorld::new(content), predictor, clock: None, next_seq: 1, next_request: 1 }
    }

    /// [`GameClient::handle_at`] now.
    pub fn handle(&mut self, msg: &ServerMessage) -> Result<Applied, ClientWorldError> {
        self.handle_at(msg, Instant::now())
    }

    /// Applies a server message received at `now` to the world, then reconciles the predictor
    /// on frames and keeps the tick clock.
    pub fn handle_at(&mut self, msg: &ServerMessage, now: Instant) -> Result<Applied, ClientWorldError> {
        let applied = self.world.apply(msg)?;
        match (&applied, msg) {
            (Applied::Welcome, ServerMessage::Welcome(w)) => {
                self.predictor.reset();
                self.predictor.set_weapon_range(self.world.wielded().weapon.range);
                let mut clock = TickClock::new(w.tick_rate_hz, now);
                clock.observe(w.server_tick, now);
                self.clock = Some(clock);
            }
            (Applied::Frame { tick }, ServerMessage::Frame(f)) => {
                if let Some(c) = self.clock.as_mut() {
                    c.observe(*tick, now);
                }
                self.predictor.on_frame(&self.world, f);
            }
            (
                Applied::Chunk { .. }
                | Applied::ChunkDrop { held: true }
                | Applied::ObjectDelta { applied: true, .. },
                _,
            ) => self.predictor.invalidate(),
            (Applied::ContainerContents { container: ContainerRef::Own, .. }, _)
            | (Applied::ContainerChange { container: ContainerRef::Own, .. }, _) => {
                self.predictor.set_weapon_range(self.world.wielded().weapon.range);
            }
            _ => {}
        }
        Ok(applied)
    }

    /// [`GameClient::input_at`] now.
    pub fn input(&mut self, order: Order) -> Input {
        self.input_at(order, Instant::now())
    }

    /// Makes the next Input for `order`, sent at `now`, and records it for prediction as taking
    /// effect at the tick after the one the server is estimated to run; the caller sends it.
    pub fn input_at(&mut self, order: Order, now: Instant) -> Input {
        let input = Input { seq: self.next_seq, order };
        self.next_seq = self.next_seq.wrapping_add(1);
        let apply_tick = self.clock.and_then(|c| c.estimate(now)).map_or(0, |t| t + 1);
        self.predictor.record_input(input, apply_tick);
        input
    }

    /// The server tick estimated to be running at `now` (after Welcome).
    pub fn server_tick_at(&self, now: Instant) -> Option<u64> {
        self.clock.and_then(|c| c.estimate(now))
    }

    /// The Ack to send for the frames received so far.
    pub fn ack(&self) -> Option<Ack> {
        self.world.ack()
    }

    /// Predicted own position at `tick` (see [`Predictor::predicted`]).
    pub fn predicted(&mut self, tick: u64) -> Option<(i32, i32)> {
        self.predictor.predicted(&self.world, tick)
    }

    /// The map the session is on (id and size in chunks, from Welcome).
    pub fn map(&self) -> Option<&MapGeometry> {
        self.world.map()
    }

    /// Own authoritative position (1/256 tile): from the newest Frame, or from Welcome before
    /// the first Frame. [`GameClient::predicted`] is where the character is drawn.
    pub fn position(&self) -> Option<(i32, i32)> {
        self.world.own_position()
    }

    /// Every container shown and not closed since (see [`ClientWorld::containers`]).
    pub fn containers(&self) -> &BTreeMap<ContainerRef, ContainerView> {
        self.world.containers()
    }

    /// What is held of one container.
    pub fn container(&self, container: &ContainerRef) -> Option<&ContainerView> {
        self.world.container(container)
    }

    /// The next request id (never 0: an Error with request 0 is about no request).
    fn request_id(&mut self) -> u32 {
        let id = self.next_request;
        self.next_request = self.next_request.checked_add(1).unwrap_or(1);
        id
    }

    /// The revision held of `container`, 0 ("do not check") when it is not held.
    fn revision(&self, container: &ContainerRef) -> u32 {
        self.container(container).map_or(0, |v| v.revision)
    }

    /// An InventoryMove of `count` items from `from`'s `from_slot` to `to`'s `to_slot` (or
    /// [`net::protocol::ANY_SLOT`]), made against the revisions held, with a new request id;
    /// the caller sends it.
    pub fn move_request(
        &mut self,
        (from, from_slot): (ContainerRef, u16),
        (to, to_slot): (ContainerRef, u16),
        count: u16,
    ) -> InventoryMove {
        InventoryMove {
            request: self.request_id(),
            from,
            from_slot,
            from_revision: self.revision(&from),
            to,
            to_slot,
            to_revision: self.revision(&to),
            count,
        }
    }

    /// A Drop of `count` items from `container`'s `slot`, made against the revision held.
    pub fn drop_request(&mut self, container: ContainerRef, slot: u16, count: u16) -> Drop {
        let revision = self.revision(&container);
        Drop { request: self.request_id(), container, slot, revision, count }
    }

    /// A UseItem of the item in `container`'s `slot` (eat food), made against the revision held.
    pub fn use_item_request(&mut self, container: ContainerRef, slot: u16) -> UseItem {
        let revision = self.revision(&container);
        UseItem { request: self.request_id(), container, slot, revision }
    }

    /// A Pickup of the pile `pile`, with a new request id.
    pub fn pickup_request(&mut self, pile: EntityId) -> Pickup {
        Pickup { request: self.request_id(), item: pile }
    }

    /// A Craft of `count` repetitions of `recipe`, at `station` (`EntityId::NONE`: by hand),
    /// with a new request id; what becomes of it arrives as CraftProgress (or an Error).
    pub fn craft_request(&mut self, recipe: u16, count: u16, station: EntityId) -> Craft {
        Craft { request: self.request_id(), recipe, count, station }
    }

    /// A Plant of one seed from `container`'s `slot` at `(x, y)` (1/256 tile), with a new
    /// request id: an Error with that id refuses it; the crop appears as an ObjectDelta and the
    /// seed leaves the container's view. The caller sends it.
    pub fn plant_request(&mut self, container: ContainerRef, slot: u16, (x, y): (i32, i32)) -> Plant {
        Plant { request: self.request_id(), container, slot, x, y }
    }

    /// A CloseContainer for `container` (the view is forgotten when ContainerClosed arrives).
    pub fn close_request(&self, container: ContainerRef) -> CloseContainer {
        CloseContainer { container }
    }

    /// A Chat saying `text`, with a new request id: an Error with that id refuses it, the
    /// speaker's own ChatHeard with that id confirms it. The caller sends it.
    pub fn chat_request(&mut self, text: impl Into<String>) -> Chat {
        Chat { request: self.request_id(), text: text.into() }
    }

    /// The recent chat lines heard (own lines included).
    pub fn chat(&self) -> &ChatLog {
        self.world.chat()
    }

    /// The world.
    pub fn world(&self) -> &ClientWorld {
        &self.world
    }

    /// The predictor.
    pub fn predictor(&self) -> &Predictor {
        &self.predictor
    }
}
