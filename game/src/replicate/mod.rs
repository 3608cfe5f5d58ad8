//! Server side of interest management (§13): per-client chunk areas with `ChunkData` /
//! `ObjectDelta` / `ChunkDrop`, and per-client delta Frames built against what each client
//! acknowledged.
//!
//! Every tick [`Replicator::build`] snapshots the characters once (state quantized, update
//! records encoded once, bucketed by chunk), moves each client's
//! [`ChunkArea`](crate::interest::ChunkArea), encodes what clients lack of their chunks (a
//! chunk's first appearance as ChunkData, bounded per tick, one shared `Bytes` per chunk version;
//! object changes since the version a client holds as an ObjectDelta, one shared `Bytes` per
//! chunk and from-version), then builds each client's messages in parallel: ChunkData or
//! ObjectDelta, ChunkDrop, then at most one Frame whose records (leaves, enters, updates beyond
//! dead reckoning) fit the byte budget by priority.
//! Selective acks ([`Replicator::on_ack`]) settle records in flight; lost ones are re-evaluated.

mod chunk_cache;
mod client;
mod config;
mod known;
mod record;
mod select;
mod snapshot;
mod state;

pub use crate::wire::{KIND_BOT, KIND_PLAYER};
pub use config::{CREDIT_TICKS, FREE_AREA_TICKS, MIN_FRAME_BYTES, ReplicationConfig, ReplicationStats};

use crate::MapSim;
use chunk_cache::{ChunkCache, Prepared};
use client::{ClientState, TickContext};
use engine::Entity;
use net::protocol::Ack;
use net::{ConnId, Outbound};
use rayon::prelude::*;
use snapshot::Snapshot;
use store::MapId;

/// A tick's messages for the network thread in sending order: `first` (messages that answer
/// something a player did: Frames acknowledging a new input, replies) go out before `later`
/// (everyone else's Frames and chunks), so answers do not wait behind a thousand other builds
/// and writes.
#[derive(Debug, Default)]
pub struct Outgoing {
    /// Sent first.
    pub first: Vec<(ConnId, Outbound)>,
    /// Sent after `first`.
    pub later: Vec<(ConnId, Outbound)>,
}

impl Outgoing {
    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.first.is_empty() && self.later.is_empty()
    }

    /// Moves everything onto the end of `batch`, `first` before `later`.
    pub fn drain_into(&mut self, batch: &mut Vec<(ConnId, Outbound)>) {
        batch.append(&mut self.first);
        batch.append(&mut self.later);
    }
}

/// Replication of one map to its clients.
#[derive(Debug)]
pub struct Replicator {
    map: MapId,
    config: ReplicationConfig,
    /// Sorted by connection id; may hold departed clients until the next build.
    clients: Vec<ClientState>,
    /// Departed clients still in `clients` (removed in one pass at the next build, so a
    /// thousand disconnects in one tick cost one pass instead of a thousand shifts).
    departed: usize,
    snapshot: Snapshot,
    cache: ChunkCache,
    stats: ReplicationStats,
    /// Which client asks for chunk encodings first this tick (rotates so none starves).
    encode_turn: usize,
    /// Scratch: one client's chunks that may need encoding, with the version it holds.
    wanted: Vec<((i32, i32), Option<u32>)>,
}

impl Replicator {
    /// A replicator for map `map` without clients.
    pub fn new(map: MapId, config: ReplicationConfig) -> Self {
        Self {
            map,
            config,
            clients: Vec::new(),
            departed: 0,
            snapshot: Snapshot::default(),
            cache: ChunkCache::new(map),
            stats: ReplicationStats::default(),
            encode_turn: 0,
            wanted: Vec::new(),
        }
    }

    /// Starts replicating to `conn`, whose character is `entity`. A connection already present
    /// starts over (it is assumed to hold nothing).
    pub fn add_client(&mut self, conn: ConnId, entity: Entity) {
        let client = ClientState::new(conn, entity, self.config.area_margin);
        match self.find(conn) {
            Ok(at) => {
                if self.clients[at].departed {
                    self.departed -= 1;
                }
                self.clients[at] = client;
            }
            Err(at) => self.clients.insert(at, client),
        }
    }

    /// Stops replicating to `conn` (unknown connections are ignored). Its state is freed now;
    /// its place in the list goes at the next build.
    pub fn remove_client(&mut self, conn: ConnId) {
        if let Some(at) = self.live(conn) {
            self.clients[at] = ClientState::departed(conn);
            self.departed += 1;
        }
    }

    /// Applies a client's Ack: records in Frames it received become its baseline, records in
    /// Frames it reports lost are re-evaluated and sent again. Unknown connections are ignored.
    pub fn on_ack(&mut self, conn: ConnId, ack: Ack) {
        if let Some(at) = self.live(conn) {
            self.clients[at].on_ack(ack);
        }
    }

    /// The last `Input.seq` applied to `conn`'s character.
    pub fn last_input(&self, conn: ConnId) -> Option<u32> {
        self.live(conn).map(|at| self.clients[at].last_input)
    }

    /// Records the last `Input.seq` applied to `conn`'s character (echoed in its Frames).
    pub fn set_last_input(&mut self, conn: ConnId, seq: u32) {
        if let Some(at) = self.live(conn) {
            self.clients[at].last_input = seq;
        }
    }

    /// Called once per tick right after [`MapSim::tick`]: [`Replicator::build_first`] then
    /// [`Replicator::build_later`], everything appended to `out`.
    pub fn build(&mut self, sim: &MapSim, tick: u64, out: &mut Outgoing) {
        self.build_first(sim, tick, &mut out.first);
        self.build_later(&mut out.later);
    }

    /// First half of a tick's replication, right after [`MapSim::tick`]: snapshots all
    /// characters once, moves every client's chunk area, encodes the chunks clients lack, then
    /// builds the messages of the clients whose Frame acknowledges a new input (a handful per
    /// tick, and their players wait on it), appended to `out`. Each client's messages are
    /// ChunkData (reliable) for chunks entering its area, ChunkDrop (reliable) for chunks
    /// leaving it, then at most one Frame ([`Outbound::frame`], replaceable).
    pub fn build_first(&mut self, sim: &MapSim, tick: u64, out: &mut Vec<(ConnId, Outbound)>) {
        if self.departed > 0 {
            self.clients.retain(|c| !c.departed);
            self.departed = 0;
        }
        self.snapshot.rebuild(sim, tick);
        let geometry = sim.geometry();
        for client in &mut self.clients {
            client.update_area(&self.snapshot, &geometry);
        }
        self.encode_chunks(sim);
        let ctx = TickContext::new(&self.snapshot, &self.cache, &self.config, self.map);
        for client in self.clients.iter_mut().filter(|c| c.awaits_answer()) {
            client.build(&ctx);
            out.append(&mut client.outbox);
            self.stats.add(&std::mem::take(&mut client.stats));
        }
    }

    /// Second half: builds the messages of every client [`Replicator::build_first`] did not
    /// (in parallel), appended to `out` client by client.
    pub fn build_later(&mut self, out: &mut Vec<(ConnId, Outbound)>) {
        let ctx = TickContext::new(&self.snapshot, &self.cache, &self.config, self.map);
        self.clients.par_iter_mut().filter(|c| !c.is_built(ctx.tick)).for_each(|c| c.build(&ctx));
        for client in &mut self.clients {
            out.append(&mut client.outbox);
            self.stats.add(&std::mem::take(&mut client.stats));
        }
    }

    /// Encodes what clients lack of their areas' chunks: the ObjectDeltas from the versions
    /// they hold, and (within this tick's allowance, starting with a different client every
    /// tick) the ChunkData of chunks they do not hold or hold at a version older than the
    /// chunk's log reaches back to.
    fn encode_chunks(&mut self, sim: &MapSim) {
        let table = sim.world.resource(sim.keys.chunks);
        let records = sim.world.column(sim.keys.object);
        self.cache.begin_tick(&table, self.config.chunk_encodes_per_tick);
        let n = self.clients.len();
        self.encode_turn = self.encode_turn.wrapping_add(1);
        let deltas_due = self.config.deltas_due(self.snapshot.tick);
        for i in 0..n {
            self.wanted.clear();
            self.wanted
                .extend(self.clients[(self.encode_turn + i) % n].stale_chunks(&self.cache, deltas_due));
            for &(coords, held) in &self.wanted {
                match self.cache.prepare(&table, &records, coords, held) {
                    Prepared::Chunk => self.stats.chunk_encodes += 1,
                    Prepared::Delta => self.stats.object_delta_encodes += 1,
                    Prepared::Nothing => {}
                }
            }
        }
    }

    /// Number of clients.
    pub fn client_count(&self) -> usize {
        self.clients.len() - self.departed
    }

    /// Cumulative counters.
    pub fn stats(&self) -> ReplicationStats {
        self.stats
    }

    /// Position of `conn` in the sorted client list, or where it would go.
    fn find(&self, conn: ConnId) -> Result<usize, usize> {
        self.clients.binary_search_by_key(&conn, |c| c.conn)
    }

    /// Position of `conn` if it is a client that has not departed.
    fn live(&self, conn: ConnId) -> Option<usize> {
        self.find(conn).ok().filter(|&at| !self.clients[at].departed)
    }
}
