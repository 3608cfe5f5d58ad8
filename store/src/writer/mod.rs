//! Write-behind pool: the tick submits writes without blocking; blocking worker threads fed by
//! crossbeam channels make them durable, batched, in order, retrying while the database is down.

mod ordered;
mod positions;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use parking_lot::Mutex;

use self::ordered::{Msg, Ordered, WriteOp};
use self::positions::{PosCtl, PositionSink, PositionWorker};
use crate::backend::Connector;
use crate::error::StoreError;
use crate::owner::{Fence, HandOff, PlayerSave};
use crate::pending::{Pending, Ticket};
use crate::record::{ChunkSave, ItemTx, MapId, PlayerRecord, Position, PositionUpdate};
use crate::retry::{Backoff, Conn};
use crate::stats::{Counters, FlushReport, WriterStats};

pub use self::ordered::WriteFailure;

/// Tuning of the write-behind pool.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Most writes (player saves, item transactions, chunk saves) queued before submits fail.
    pub queue_bound: usize,
    /// How often coalesced positions are written.
    pub position_interval: Duration,
    /// Most queued writes taken into one batch.
    pub max_batch: usize,
    pub backoff: Backoff,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            queue_bound: 65_536,
            position_interval: Duration::from_secs(1),
            max_batch: 512,
            backoff: Backoff::default(),
        }
    }
}

/// Handle to the write-behind pool. Every submit returns at once.
#[derive(Debug)]
pub struct Writer {
    tx: Option<Sender<Msg>>,
    pos_ctl: Option<Sender<PosCtl>>,
    sink: Arc<PositionSink>,
    depth: Arc<AtomicU64>,
    bound: usize,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    was_full: AtomicBool,
    failures: Receiver<WriteFailure>,
    last_flush: Mutex<WriterStats>,
    threads: Vec<JoinHandle<()>>,
}

impl Writer {
    /// Starts the ordered worker and the position worker, each with its own connection
    /// (opened lazily, so a database that is down at start only delays writes).
    pub fn start(connector: Connector, config: WriterConfig) -> Writer {
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let depth = Arc::new(AtomicU64::new(0));
        let sink = Arc::new(PositionSink::default());
        let conn = |name| Conn::new(connector.clone(), config.backoff, stop.clone(), counters.clone(), name);
        let (tx, rx) = crossbeam_channel::bounded(config.queue_bound.max(1) + 16);
        let (fail_tx, failures) = crossbeam_channel::bounded(4096);
        let ordered = Ordered {
            conn: conn("ordered"),
            rx,
            max_batch: config.max_batch.max(1),
            depth: depth.clone(),
            counters: counters.clone(),
            failures: fail_tx,
            writer_id: random_writer_id(),
            batch_seq: 0,
        };
        let (pos_ctl, ctl) = crossbeam_channel::unbounded();
        let pos = PositionWorker {
            conn: conn("positions"),
            sink: sink.clone(),
            ctl,
            interval: config.position_interval,
            counters: counters.clone(),
        };
        let threads =
            vec![spawn("store-writer", move || ordered.run()), spawn("store-positions", move || pos.run())];
        Writer {
            tx: Some(tx),
            pos_ctl: Some(pos_ctl),
            sink,
            depth,
            bound: config.queue_bound,
            counters,
            stop,
            was_full: AtomicBool::new(false),
            failures,
            last_flush: Mutex::new(WriterStats::default()),
            threads,
        }
    }

    /// Records the latest position of a player; written with the next batch (coalesced).
    pub fn set_position(&self, player: i64, map: MapId, pos: Position) {
        self.sink.set(PositionUpdate { player, map, pos, claim: 0 });
    }

    /// Records many positions under one lock.
    pub fn set_positions(&self, updates: impl IntoIterator<Item = PositionUpdate>) {
        self.sink.set_many(updates);
    }

    /// Records positions written under `fence` (checked in the batch's transaction; a fenced
    /// batch writes only characters live on the shard holding the map, under the claim each
    /// update names). A stale fence drops them and counts [`WriterStats::fenced`].
    pub fn set_positions_fenced(&self, fence: Fence, updates: impl IntoIterator<Item = PositionUpdate>) {
        self.sink.set_many_fenced(Some(fence), updates);
    }

    /// Saves a whole player record (position included).
    pub fn save_player(&self, player: PlayerRecord) -> Result<Ticket, StoreError> {
        self.save_players(vec![player])
    }

    /// Saves player records in one transaction.
    pub fn save_players(&self, players: Vec<PlayerRecord>) -> Result<Ticket, StoreError> {
        // Keep the coalesced position equal to the saved one, whichever lands last.
        let positions =
            players.iter().map(|p| PositionUpdate { player: p.id, map: p.map, pos: p.pos, claim: 0 });
        self.sink.set_many(positions);
        self.submit(WriteOp::Players(players))
    }

    /// Queues the creation of a new player with its starter items (`kit`), all in one
    /// transaction that first claims the name: the ticket fails with [`StoreError::NameTaken`]
    /// (and nothing is written) when another player holds the name or its key. Its position is
    /// written by the creation, not through the coalesced positions.
    pub fn create_player(&self, player: PlayerRecord, kit: ItemTx) -> Result<Ticket, StoreError> {
        self.submit(WriteOp::Create(Box::new(player), kit))
    }

    /// Queues one logical item change; it commits entirely or not at all, after every item
    /// change queued before it (consecutive ones share one database transaction, and one that
    /// fails fails alone). The ticket carries its per-operation failure (e.g. an item stored
    /// inside itself, or [`StoreError::Fenced`] for a change fenced with [`ItemTx::fenced`]).
    pub fn item_tx(&self, tx: ItemTx) -> Result<Ticket, StoreError> {
        self.submit(WriteOp::Items(tx))
    }

    /// Queues a chunk save; the ticket resolves once it is durable (unload only after that).
    pub fn save_chunk(&self, save: ChunkSave) -> Result<Ticket, StoreError> {
        self.submit(WriteOp::Chunks(None, vec![save]))
    }

    /// Queues several chunk saves as one operation with one ticket.
    pub fn save_chunks(&self, saves: Vec<ChunkSave>) -> Result<Ticket, StoreError> {
        self.submit(WriteOp::Chunks(None, saves))
    }

    /// [`Writer::save_chunks`] committed only while `fence` holds: otherwise the ticket fails
    /// with [`StoreError::Fenced`] (not retried) and nothing of it is written.
    pub fn save_chunks_fenced(&self, fence: Fence, saves: Vec<ChunkSave>) -> Result<Ticket, StoreError> {
        self.submit(WriteOp::Chunks(Some(fence), saves))
    }

    /// Queues sequenced character saves ([`crate::Backend::save_players_seq`]): each applies
    /// only if newer than the stored save of the character's current claim; one that is not
    /// changes nothing and counts in [`WriterStats::player_saves_stale`] (the ticket succeeds).
    /// With a fence, a stale fence fails the ticket with [`StoreError::Fenced`]. Positions are
    /// written by the save itself, not through the coalesced positions.
    pub fn save_players_seq(
        &self,
        fence: Option<Fence>,
        saves: Vec<PlayerSave>,
    ) -> Result<Ticket, StoreError> {
        self.submit(WriteOp::Saves(fence, saves))
    }

    /// Queues a hand-off ([`crate::Backend::hand_off`]: save, item transactions, release and
    /// token in one transaction of its own), in order after every write submitted before it (so
    /// the character's earlier item transactions and saves commit first). A refusal
    /// ([`StoreError::Fenced`], [`StoreError::NotOwner`], [`StoreError::Rejected`]) fails only
    /// this ticket, without retry; a lost connection is retried (safe: a hand-off already
    /// committed is recognised by its pending token). Counted in [`WriterStats::handoffs`] and
    /// [`WriterStats::handoffs_refused`].
    pub fn hand_off(&self, h: HandOff) -> Result<Ticket, StoreError> {
        self.submit(WriteOp::HandOff(Box::new(h)))
    }

    /// Queues the release of a character held by `shard` (logout), in order after every write
    /// submitted before it (save first). The ticket succeeds also when `shard` did not hold it.
    pub fn release_player(&self, player: i64, shard: String) -> Result<Ticket, StoreError> {
        self.submit(WriteOp::Release(player, shard))
    }

    fn submit(&self, op: WriteOp) -> Result<Ticket, StoreError> {
        let tx = self.tx.as_ref().ok_or(StoreError::Closed)?;
        let (reply, ticket) = Pending::channel();
        // The bound counts queued and in-flight writes, so it holds exactly.
        if self.depth.fetch_add(1, Ordering::Relaxed) >= self.bound as u64 {
            self.depth.fetch_sub(1, Ordering::Relaxed);
            return Err(self.refused(TrySendError::Full(Msg::Op(op, reply))));
        }
        match tx.try_send(Msg::Op(op, reply)) {
            Ok(()) => {
                self.was_full.store(false, Ordering::Relaxed);
                Ok(ticket)
            }
            Err(e) => {
                self.depth.fetch_sub(1, Ordering::Relaxed);
                Err(self.refused(e))
            }
        }
    }

    fn refused(&self, e: TrySendError<Msg>) -> StoreError {
        match e {
            TrySendError::Full(_) => {
                self.counters.rejected_full.fetch_add(1, Ordering::Relaxed);
                if !self.was_full.swap(true, Ordering::Relaxed) {
                    tracing::error!(bound = self.bound, "storage write queue full: refusing writes");
                }
                StoreError::QueueFull { depth: self.bound }
            }
            TrySendError::Disconnected(_) => StoreError::Closed,
        }
    }

    /// Writes that failed permanently (each also resolved its ticket with the error).
    pub fn failures(&self) -> &Receiver<WriteFailure> {
        &self.failures
    }

    /// Writes queued or in flight.
    pub fn queue_depth(&self) -> u64 {
        self.depth.load(Ordering::Relaxed)
    }

    /// True when a submit now would be queued (the queue is below its bound and the pool runs).
    /// A caller that is the only submitter (the tick) can check this before changing memory,
    /// so the change and its write never part.
    pub fn has_room(&self) -> bool {
        self.tx.is_some() && self.queue_depth() < self.bound as u64
    }

    pub fn stats(&self) -> WriterStats {
        self.counters.snapshot(self.queue_depth(), self.sink.len() as u64)
    }

    /// Makes everything submitted so far durable (blocking, up to `timeout`): queued writes in
    /// order, then all pending positions. Reports what was written since the last flush and
    /// what is still pending if the deadline passed (database down).
    pub fn flush(&self, timeout: Duration) -> FlushReport {
        let deadline = Instant::now() + timeout;
        if let Some(tx) = &self.tx {
            let (ack, done) = crossbeam_channel::bounded(1);
            if tx.send_deadline(Msg::Barrier(ack), deadline).is_ok() {
                let _ = done.recv_deadline(deadline);
            }
        }
        if let Some(ctl) = &self.pos_ctl {
            let (ack, done) = crossbeam_channel::bounded(1);
            if ctl.send(PosCtl::FlushNow(deadline, ack)).is_ok() {
                let _ = done.recv_deadline(deadline + Duration::from_millis(100));
            }
        }
        let now = self.stats();
        let report = FlushReport::between(&self.last_flush.lock(), &now);
        *self.last_flush.lock() = now;
        if report.complete() {
            tracing::info!(%report, "storage flushed");
        } else {
            tracing::error!(%report, "storage flush incomplete");
        }
        report
    }

    /// Flushes (up to `timeout`) and stops the workers. Anything still unwritten is in the
    /// report and logged as an error, never dropped silently.
    pub fn shutdown(mut self, timeout: Duration) -> FlushReport {
        let report = self.flush(timeout);
        self.stop_threads();
        report
    }

    fn stop_threads(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.tx = None;
        self.pos_ctl = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let lost = self.sink.len();
        if lost > 0 {
            tracing::error!(players = lost, "positions unwritten at shutdown");
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            self.stop_threads();
        }
    }
}

/// A random id for the commit marks of one writer's item batches (see [`crate::CommitMark`]).
fn random_writer_id() -> i64 {
    use std::hash::BuildHasher as _;
    let seed = (std::process::id(), std::time::SystemTime::now());
    std::collections::hash_map::RandomState::new().hash_one(seed) as i64
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::Builder::new().name(name.into()).spawn(f).expect("spawn storage thread")
}
