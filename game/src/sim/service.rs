//! The chunk service: a worker thread between the store's loader and the tick. Loaded chunks are
//! decoded there, missing ones generated, given object ids and stored there; the tick only
//! receives ready chunks over a channel and never waits. Undecodable chunks are reported for
//! quarantine, never regenerated. A generated chunk's growing objects (trees) start growing at
//! the time the tick requested the chunk, so two maps with the same seed that request a chunk at
//! the same time generate identical records.

use crate::geom::MapGeometry;
use crate::growth::clock_ms;
use crate::worldgen::WorldGen;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;
use store::{
    ChunkCodec, ChunkKey, ChunkLoad, ChunkRecord, ChunkReply, ChunkSave, ChunkTiles, Fence, IdKind,
    ItemRecord, ObjectRecord, Position, Store, StoreError, Ticket,
};

/// How long the worker waits for a block of object ids.
const ID_WAIT: Duration = Duration::from_secs(5);

/// What the worker hands to the tick.
#[derive(Debug)]
pub enum ChunkEvent {
    /// A chunk ready to install.
    Ready {
        /// Which chunk.
        key: ChunkKey,
        /// Its tiles.
        tiles: ChunkTiles,
        /// Stored version.
        version: u32,
        /// Its objects.
        objects: Vec<ObjectRecord>,
        /// The items inside its container objects, at any depth, flat.
        items: Vec<ItemRecord>,
        /// Save of a freshly generated chunk, still in flight (`None` when loaded from storage).
        generated_save: Option<Ticket>,
        /// Object rows that could not be read (only those are missing).
        bad_rows: usize,
    },
    /// Stored data cannot be decoded.
    Quarantine {
        /// Which chunk.
        key: ChunkKey,
        /// Why.
        reason: String,
    },
    /// The load failed (database down, queue full); the tick retries later.
    Failed {
        /// Which chunk.
        key: ChunkKey,
        /// The error.
        error: StoreError,
    },
}

/// Handle to the worker thread; dropping it stops the thread.
#[derive(Debug)]
pub struct ChunkService {
    store: Arc<Store>,
    /// The map's ownership epoch, once the shard took the map: every chunk save carries it.
    fence: Arc<OnceLock<Fence>>,
    replies: Option<Sender<ChunkReply>>,
    /// When each request was made (sim clock), for the worker: a generated chunk starts then.
    requested: Sender<(ChunkKey, u64)>,
    events: Receiver<ChunkEvent>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// How often an idle worker checks whether it was stopped.
const STOP_POLL: Duration = Duration::from_millis(50);

impl ChunkService {
    /// Starts the worker for chunks of `map`.
    pub fn start(store: Arc<Store>, map: MapGeometry, worldgen: WorldGen) -> Self {
        let (replies, rx) = crossbeam_channel::unbounded();
        let (tx, events) = crossbeam_channel::unbounded();
        let (requested, times) = crossbeam_channel::unbounded();
        let fence = Arc::new(OnceLock::new());
        let worker = Worker {
            store: store.clone(),
            fence: fence.clone(),
            map,
            worldgen,
            codec: ChunkCodec::new(),
            out: tx,
            times,
            requested_at: HashMap::new(),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("chunks-{}", map.id))
            .spawn(move || worker.run(rx, flag))
            .expect("spawn chunk worker");
        Self { store, fence, replies: Some(replies), requested, events, stop, thread: Some(thread) }
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Fences every later chunk save with `fence` (set once, before the map's first tick; a
    /// second call is ignored).
    pub fn set_fence(&self, fence: Fence) {
        let _ = self.fence.set(fence);
    }

    /// Queues a chunk save, fenced when the map has a fence.
    pub fn save(&self, save: ChunkSave) -> Result<Ticket, StoreError> {
        submit_save(&self.store, &self.fence, save)
    }

    /// Asks the loader for `key` (non-blocking) at `now_ms` (sim clock: if the chunk was never
    /// stored, it is generated as of then). An error means: retry later.
    pub fn request(&self, key: ChunkKey, now_ms: u64) -> Result<(), StoreError> {
        let replies = self.replies.as_ref().ok_or(StoreError::Closed)?;
        // Sent first, so the worker has it when the reply comes; a failed request's time is
        // replaced by the retry's.
        let _ = self.requested.send((key, now_ms));
        self.store.loader().load_chunk_to(key, replies)
    }

    /// The next ready event, if any (non-blocking).
    pub fn poll(&self) -> Option<ChunkEvent> {
        self.events.try_recv().ok()
    }

    /// Stops the worker once the loads in flight are answered; whatever it submitted to the store
    /// (first saves of generated chunks) is queued when this returns, so a flush after it covers
    /// everything. Later requests fail with [`StoreError::Closed`].
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.replies = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ChunkService {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Worker {
    store: Arc<Store>,
    fence: Arc<OnceLock<Fence>>,
    map: MapGeometry,
    worldgen: WorldGen,
    codec: ChunkCodec,
    out: Sender<ChunkEvent>,
    /// Request times from the tick ([`ChunkService::request`]).
    times: Receiver<(ChunkKey, u64)>,
    /// Request times received and not yet answered (at most one per chunk).
    requested_at: HashMap<ChunkKey, u64>,
}

impl Worker {
    fn run(mut self, rx: Receiver<ChunkReply>, stop: Arc<AtomicBool>) {
        // Ends when stopped (loads still in flight are not waited for: their chunks were never
        // installed, so nothing of them needs saving) or when every sender is gone.
        while !stop.load(Ordering::Acquire) {
            let (key, reply) = match rx.recv_timeout(STOP_POLL) {
                Ok(next) => next,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            self.requested_at.extend(self.times.try_iter());
            let requested_ms = self.requested_at.remove(&key).unwrap_or(0);
            let event = match reply {
                Ok(load) => self.prepare(load, requested_ms),
                Err(error) => ChunkEvent::Failed { key, error },
            };
            if self.out.send(event).is_err() {
                return;
            }
        }
    }

    fn prepare(&mut self, load: ChunkLoad, requested_ms: u64) -> ChunkEvent {
        let key = load.key;
        let bad_rows = load.bad.len();
        match &load.chunk {
            Some(record) => match self.codec.decode(&record.data) {
                Ok(tiles) => {
                    let version = record.version;
                    ChunkEvent::Ready {
                        key,
                        tiles,
                        version,
                        objects: load.objects,
                        items: load.items,
                        generated_save: None,
                        bad_rows,
                    }
                }
                Err(e) => ChunkEvent::Quarantine { key, reason: e.to_string() },
            },
            None => self.generate(key, load.objects, load.items, clock_ms(requested_ms)),
        }
    }

    /// Generates a never-stored chunk as of `generated_ms`, stores it and hands it over with its
    /// save in flight. Objects already stored with the chunk (e.g. dropped before it was ever
    /// saved) are kept.
    fn generate(
        &mut self,
        key: ChunkKey,
        mut objects: Vec<ObjectRecord>,
        items: Vec<ItemRecord>,
        generated_ms: i64,
    ) -> ChunkEvent {
        let chunk = self.worldgen.generate(&self.map, key.cx, key.cy);
        let n = chunk.objects.len() as u32;
        let ids =
            match self.store.loader().reserve_ids(IdKind::Object, n.max(1)).and_then(|p| p.wait(ID_WAIT)) {
                Ok(ids) => ids,
                Err(error) => return ChunkEvent::Failed { key, error },
            };
        for (o, id) in chunk.objects.iter().zip(ids) {
            let pos = Position { x: o.x, y: o.y };
            let mut record = ObjectRecord {
                id,
                map: key.map,
                grid_x: key.cx,
                grid_y: key.cy,
                kind: o.kind,
                pos,
                quality: o.quality,
                ..Default::default()
            };
            if let Some(at) = self.worldgen.stage_at(o, generated_ms, generated_ms) {
                at.write(&mut record);
            }
            objects.push(record);
        }
        let data = self.codec.encode(&chunk.tiles);
        let record = ChunkRecord { key, version: 1, data };
        let save = ChunkSave { key, chunk: Some(record), objects: objects.clone() };
        match submit_save(&self.store, &self.fence, save) {
            Ok(ticket) => ChunkEvent::Ready {
                key,
                tiles: chunk.tiles,
                version: 1,
                objects,
                items,
                generated_save: Some(ticket),
                bad_rows: 0,
            },
            Err(error) => ChunkEvent::Failed { key, error },
        }
    }
}

/// A chunk save through the writer, fenced when `fence` is set.
fn submit_save(store: &Store, fence: &OnceLock<Fence>, save: ChunkSave) -> Result<Ticket, StoreError> {
    match fence.get() {
        Some(&f) => store.writer().save_chunks_fenced(f, vec![save]),
        None => store.writer().save_chunk(save),
    }
}
