//! The shard's link to the metadata store (Redis or in-process): registration and map claims at
//! start, then a worker thread for session mapping and heartbeats, because Redis calls block and
//! the tick never waits on the network.

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use store::meta::{MetaStore, Session, ShardInfo};
use store::{MapId, StoreError};

/// Shard registrations and map claims expire this long after the last heartbeat.
pub const SHARD_TTL: Duration = Duration::from_secs(15);
/// Sessions expire this long after the last heartbeat (a dead shard's players free up).
pub const SESSION_TTL: Duration = Duration::from_secs(60);
/// Heartbeat period of the worker.
const BEAT: Duration = Duration::from_secs(5);

/// Why the shard could not take its maps.
#[derive(Debug)]
pub enum ClaimError {
    /// The metadata store failed.
    Store(StoreError),
    /// Another live shard owns the map.
    Owned { map: MapId, owner: String },
}

impl std::fmt::Display for ClaimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Store(e) => write!(f, "metadata store: {e}"),
            Self::Owned { map, owner } => write!(f, "map {map} is owned by live shard {owner:?}"),
        }
    }
}

impl std::error::Error for ClaimError {}

enum Command {
    Online { player: i64, token_hash: Vec<u8> },
    Offline { player: i64 },
    Stop,
}

/// Registers the shard and claims its maps, synchronously (before the shard accepts anyone).
pub fn claim(meta: &dyn MetaStore, info: &ShardInfo) -> Result<(), ClaimError> {
    meta.register_shard(info, SHARD_TTL).map_err(ClaimError::Store)?;
    for &map in &info.maps {
        if !meta.claim_map(map, &info.id, SHARD_TTL).map_err(ClaimError::Store)? {
            let owner = meta.map_owner(map).map_err(ClaimError::Store)?.unwrap_or_default();
            return Err(ClaimError::Owned { map, owner });
        }
    }
    Ok(())
}

/// The worker's handle: session changes are queued, never waited for.
#[derive(Debug)]
pub struct MetaLink {
    tx: Sender<Command>,
    thread: Option<JoinHandle<()>>,
    /// Failed metadata calls so far (each one is logged).
    pub errors: Arc<AtomicU64>,
}

impl MetaLink {
    /// Starts the worker for a registered shard.
    pub fn start(meta: Arc<dyn MetaStore>, info: ShardInfo) -> std::io::Result<Self> {
        let (tx, rx) = unbounded();
        let errors = Arc::new(AtomicU64::new(0));
        let worker = Worker { meta, info, errors: errors.clone(), online: HashMap::new() };
        let thread = std::thread::Builder::new().name("meta".into()).spawn(move || worker.run(rx))?;
        Ok(Self { tx, thread: Some(thread), errors })
    }

    /// The player is playing here now.
    pub fn online(&self, player: i64, token_hash: Vec<u8>) {
        let _ = self.tx.send(Command::Online { player, token_hash });
    }

    /// The player left.
    pub fn offline(&self, player: i64) {
        let _ = self.tx.send(Command::Offline { player });
    }

    /// Drains the queue, releases the maps, unregisters the shard and joins the worker.
    pub fn stop(mut self) {
        let _ = self.tx.send(Command::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Worker {
    meta: Arc<dyn MetaStore>,
    info: ShardInfo,
    errors: Arc<AtomicU64>,
    online: HashMap<i64, Vec<u8>>,
}

impl Worker {
    fn run(mut self, rx: Receiver<Command>) {
        let mut next_beat = Instant::now() + BEAT;
        loop {
            match rx.recv_timeout(next_beat.saturating_duration_since(Instant::now())) {
                Ok(Command::Online { player, token_hash }) => {
                    let session = Session { shard: self.info.id.clone(), token_hash: token_hash.clone() };
                    let r = self.meta.put_session(player, &session, SESSION_TTL);
                    self.check(r, "put session");
                    self.online.insert(player, token_hash);
                }
                Ok(Command::Offline { player }) => {
                    self.online.remove(&player);
                    let r = self.meta.remove_session(player);
                    self.check(r, "remove session");
                }
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    self.beat();
                    next_beat = Instant::now() + BEAT;
                }
            }
        }
        self.release();
    }

    fn beat(&mut self) {
        let alive = self.meta.heartbeat_shard(&self.info.id, SHARD_TTL);
        if matches!(alive, Ok(false)) {
            let r = self.meta.register_shard(&self.info, SHARD_TTL);
            self.check(r, "re-register shard");
        }
        self.check(alive.map(drop), "shard heartbeat");
        for &map in &self.info.maps.clone() {
            match self.meta.claim_map(map, &self.info.id, SHARD_TTL) {
                Ok(true) => {}
                Ok(false) => tracing::error!(map, "lost the claim on a map to another shard"),
                Err(e) => self.check(Err(e), "renew map claim"),
            }
        }
        let players: Vec<(i64, Vec<u8>)> = self.online.iter().map(|(p, h)| (*p, h.clone())).collect();
        for (player, token_hash) in players {
            if let Ok(false) = self.meta.heartbeat_session(player, SESSION_TTL) {
                let session = Session { shard: self.info.id.clone(), token_hash };
                let r = self.meta.put_session(player, &session, SESSION_TTL);
                self.check(r, "restore session");
            }
        }
    }

    fn release(&mut self) {
        for player in std::mem::take(&mut self.online).into_keys() {
            let r = self.meta.remove_session(player);
            self.check(r, "remove session");
        }
        for &map in &self.info.maps.clone() {
            let r = self.meta.release_map(map, &self.info.id).map(drop);
            self.check(r, "release map");
        }
        let r = self.meta.unregister_shard(&self.info.id);
        self.check(r, "unregister shard");
    }

    fn check(&self, result: Result<(), StoreError>, what: &str) {
        if let Err(e) = result {
            self.errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "metadata: {what} failed");
        }
    }
}
