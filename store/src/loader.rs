//! Off-thread loads: players with their inventory tree, chunks with their objects. Requests and
//! replies travel over channels; the tick polls or selects on the replies.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::backend::{Backend, Connector, ItemsLoad};
use crate::error::StoreError;
use crate::pending::Pending;
use crate::record::{ChunkKey, ChunkLoad, Container, IdKind, PlayerLoad};
use crate::retry::{Backoff, Conn};
use crate::stats::Counters;

/// A reply for a chunk load sent to a caller-owned channel (one channel for many loads).
pub type ChunkReply = (ChunkKey, Result<ChunkLoad, StoreError>);

enum Request {
    Player(i64, Sender<Result<Option<PlayerLoad>, StoreError>>),
    PlayerByName(String, Sender<Result<Option<PlayerLoad>, StoreError>>),
    Items(Container, Sender<Result<ItemsLoad, StoreError>>),
    Chunk(ChunkKey, Sender<ChunkReply>),
    ChunkPending(ChunkKey, Sender<Result<ChunkLoad, StoreError>>),
    Ids(IdKind, u32, Sender<Result<std::ops::Range<i64>, StoreError>>),
}

/// Tuning of the loader pool.
#[derive(Debug, Clone)]
pub struct LoaderConfig {
    pub threads: usize,
    /// Most requests queued before requests fail with `QueueFull`.
    pub queue_bound: usize,
    /// How long a load keeps retrying a lost connection before it reports `Unavailable`.
    pub retry_for: Duration,
    pub backoff: Backoff,
}

impl Default for LoaderConfig {
    fn default() -> Self {
        LoaderConfig {
            threads: 2,
            queue_bound: 16_384,
            retry_for: Duration::from_secs(2),
            backoff: Backoff::default(),
        }
    }
}

/// Handle to the loader threads.
#[derive(Debug)]
pub struct Loader {
    tx: Option<Sender<Request>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Loader {
    pub fn start(connector: Connector, config: LoaderConfig) -> Loader {
        let (tx, rx) = crossbeam_channel::bounded(config.queue_bound);
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let threads = (0..config.threads.max(1))
            .map(|i| {
                let conn =
                    Conn::new(connector.clone(), config.backoff, stop.clone(), counters.clone(), "loader");
                let rx: Receiver<Request> = rx.clone();
                let retry_for = config.retry_for;
                std::thread::Builder::new()
                    .name(format!("store-loader-{i}"))
                    .spawn(move || serve(conn, rx, retry_for))
                    .expect("spawn loader thread")
            })
            .collect();
        Loader { tx: Some(tx), stop, threads }
    }

    fn send(&self, req: Request) -> Result<(), StoreError> {
        let tx = self.tx.as_ref().ok_or(StoreError::Closed)?;
        tx.try_send(req).map_err(|e| match e {
            TrySendError::Full(_) => StoreError::QueueFull { depth: tx.len() },
            TrySendError::Disconnected(_) => StoreError::Closed,
        })
    }

    /// Loads a player and every item below it (see [`PlayerLoad::inventory`]).
    pub fn load_player(&self, id: i64) -> Result<Pending<Option<PlayerLoad>>, StoreError> {
        let (tx, p) = Pending::channel();
        self.send(Request::Player(id, tx)).map(|_| p)
    }

    /// Loads a player by its unique name (login).
    pub fn load_player_by_name(&self, name: &str) -> Result<Pending<Option<PlayerLoad>>, StoreError> {
        let (tx, p) = Pending::channel();
        self.send(Request::PlayerByName(name.to_owned(), tx)).map(|_| p)
    }

    /// Loads every item below a container (a box's contents, a bag's contents).
    pub fn load_items(&self, root: Container) -> Result<Pending<ItemsLoad>, StoreError> {
        let (tx, p) = Pending::channel();
        self.send(Request::Items(root, tx)).map(|_| p)
    }

    /// Loads a chunk with its objects and their items.
    pub fn load_chunk(&self, key: ChunkKey) -> Result<Pending<ChunkLoad>, StoreError> {
        let (tx, p) = Pending::channel();
        self.send(Request::ChunkPending(key, tx)).map(|_| p)
    }

    /// Loads a chunk and sends the reply to `reply` (one channel can collect many loads).
    pub fn load_chunk_to(&self, key: ChunkKey, reply: &Sender<ChunkReply>) -> Result<(), StoreError> {
        self.send(Request::Chunk(key, reply.clone()))
    }

    /// Reserves a block of fresh ids.
    pub fn reserve_ids(&self, kind: IdKind, count: u32) -> Result<Pending<std::ops::Range<i64>>, StoreError> {
        let (tx, p) = Pending::channel();
        self.send(Request::Ids(kind, count, tx)).map(|_| p)
    }

    /// Stops the threads after the queued requests.
    pub fn shutdown(mut self) {
        self.stop_threads();
    }

    fn stop_threads(&mut self) {
        self.tx = None;
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        self.stop_threads();
    }
}

fn serve(mut conn: Conn, rx: Receiver<Request>, retry_for: Duration) {
    while let Ok(req) = rx.recv() {
        let deadline = Some(Instant::now() + retry_for);
        match req {
            Request::Player(id, tx) => {
                let _ = tx.send(run_typed(&mut conn, deadline, |b| b.load_player(id)));
            }
            Request::PlayerByName(name, tx) => {
                let _ = tx.send(run_typed(&mut conn, deadline, |b| b.load_player_by_name(&name)));
            }
            Request::Items(root, tx) => {
                let _ = tx.send(run_typed(&mut conn, deadline, |b| b.load_items(root)));
            }
            Request::Chunk(key, tx) => {
                let _ = tx.send((key, run_typed(&mut conn, deadline, |b| b.load_chunk(key))));
            }
            Request::ChunkPending(key, tx) => {
                let _ = tx.send(run_typed(&mut conn, deadline, |b| b.load_chunk(key)));
            }
            Request::Ids(kind, n, tx) => {
                let _ = tx.send(run_typed(&mut conn, deadline, |b| b.reserve_ids(kind, n)));
            }
        }
    }
}

fn run_typed<T>(
    conn: &mut Conn,
    deadline: Option<Instant>,
    mut f: impl FnMut(&mut dyn Backend) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.retry(deadline, &mut f)
}
