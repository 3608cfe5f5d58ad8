//! The game side of the Rust client library (protocol §13): what a client knows and predicts,
//! built from the server messages `net::client` delivers.
//!
//! - [`ClientWorld`] applies every [`ServerMessage`]: the session (Welcome), a chunk cache
//!   (ChunkData / ChunkDrop) that is also the movement [`crate::movement::Terrain`], the entity
//!   table and own state (Frame deltas, extrapolated by velocity) and the [`AckTracker`].
//! - [`Predictor`] predicts the own character with the server's exact integer movement and
//!   reconciles on every frame, counting mispredictions.
//! - [`GameClient`] ties both together with input sequence numbers.

mod ack;
mod chunk_cache;
mod error;
mod predict;
mod world;

pub use ack::{ACK_WINDOW, AckTracker};
pub use chunk_cache::{CachedChunk, CachedObject, ChunkCache, ChunkInsert, ChunkRules};
pub use error::ClientWorldError;
pub use predict::{MAX_PREDICT_TICKS, MISPREDICT_THRESHOLD, PredictionStats, Predictor};
pub use world::{Applied, ClientWorld, EntityState, OwnView, Session, WorldStats};

use crate::content::Content;
use net::protocol::{Ack, Input, Order, ServerMessage};
use std::sync::Arc;

/// A client's game state: the world, the predictor and the next input sequence number.
#[derive(Debug, Clone)]
pub struct GameClient {
    world: ClientWorld,
    predictor: Predictor,
    next_seq: u32,
}

impl GameClient {
    /// A client for `content` (the content the server runs).
    pub fn new(content: Arc<Content>) -> Self {
        let predictor = Predictor::new(content.character);
        Self { world: ClientWorld::new(content), predictor, next_seq: 1 }
    }

    /// Applies a server message to the world, then reconciles the predictor on frames.
    pub fn handle(&mut self, msg: &ServerMessage) -> Result<Applied, ClientWorldError> {
        let applied = self.world.apply(msg)?;
        match (&applied, msg) {
            (Applied::Welcome, _) => self.predictor.reset(),
            (Applied::Frame { .. }, ServerMessage::Frame(f)) => self.predictor.on_frame(&self.world, f),
            (Applied::Chunk { .. } | Applied::ChunkDrop { held: true }, _) => self.predictor.invalidate(),
            _ => {}
        }
        Ok(applied)
    }

    /// Makes the next Input for `order` and records it for prediction; the caller sends it.
    pub fn input(&mut self, order: Order) -> Input {
        let input = Input { seq: self.next_seq, order };
        self.next_seq = self.next_seq.wrapping_add(1);
        self.predictor.record_input(input);
        input
    }

    /// The Ack to send for the frames received so far.
    pub fn ack(&self) -> Option<Ack> {
        self.world.ack()
    }

    /// Predicted own position at `tick` (see [`Predictor::predicted`]).
    pub fn predicted(&mut self, tick: u64) -> Option<(i32, i32)> {
        self.predictor.predicted(&self.world, tick)
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
