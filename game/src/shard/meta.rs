//! The shard's link to the metadata store (Redis or in-process): registration and map claims at
//! start, then a worker thread for session mapping, heartbeats and the map leases
//! ([`super::lease`]), because Redis calls block and the tick never waits on the network.

use super::lease::{Directory, LeaseCounters, LeaseEvent, Leases, TakeMap, heartbeat};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use store::meta::{MetaStore, Session, ShardInfo};
use store::{MapId, StoreError};

/// Shard registrations and map claims expire this long after the last heartbeat, unless the
/// shard is given another lease ([`super::ShardOptions::lease`]).
pub const SHARD_TTL: Duration = super::lease::DEFAULT_LEASE;
/// Sessions expire this long after the last heartbeat (a dead shard's players free up).
pub const SESSION_TTL: Duration = Duration::from_secs(60);

/// Why the shard could not register or claim its maps.
#[derive(Debug)]
pub enum ClaimError {
    /// The metadata store failed.
    Store(StoreError),
    /// The database would not give the map's ownership epoch.
    Fence(MapId, StoreError),
}

impl std::fmt::Display for ClaimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Store(e) => write!(f, "metadata store: {e}"),
            Self::Fence(map, e) => write!(f, "cannot take map {map}'s ownership epoch in the database: {e}"),
        }
    }
}

impl std::error::Error for ClaimError {}

enum Command {
    Online {
        player: i64,
        token_hash: Vec<u8>,
    },
    Offline {
        player: i64,
    },
    /// The tick could not start a map it was given.
    GiveUp {
        map: MapId,
    },
    Stop,
}

/// Registers the shard and claims the free ones of the maps it may simulate (`info.maps`),
/// synchronously (before the shard accepts anyone). Returns the maps it owns now; those owned by
/// another live shard it watches from standby.
pub fn claim(meta: &dyn MetaStore, info: &ShardInfo, lease: Duration) -> Result<Vec<MapId>, ClaimError> {
    meta.register_shard(info, lease).map_err(ClaimError::Store)?;
    let mut owned = Vec::new();
    for &map in &info.maps {
        if meta.claim_map(map, &info.id, lease).map_err(ClaimError::Store)? {
            owned.push(map);
        } else {
            let owner = meta.map_owner(map).map_err(ClaimError::Store)?.unwrap_or_default();
            tracing::info!(map, owner, "map owned by another live shard: standing by for it");
        }
    }
    Ok(owned)
}

/// What the worker starts from: the registered shard, its lease, the maps it owns and the maps
/// whose owners it follows for Redirects.
#[derive(Debug, Clone)]
pub struct LinkSetup {
    pub info: ShardInfo,
    pub lease: Duration,
    pub owned: Vec<MapId>,
    pub watched: Vec<MapId>,
}

/// The worker's handle: session changes are queued, never waited for.
#[derive(Debug)]
pub struct MetaLink {
    tx: Sender<Command>,
    thread: Option<JoinHandle<()>>,
    /// Failed metadata calls so far (each one is logged).
    pub errors: Arc<AtomicU64>,
    /// Maps gained and lost, for the tick.
    pub(crate) leases: Receiver<LeaseEvent>,
    /// Lease counters.
    pub counters: Arc<LeaseCounters>,
    /// Who owns the other maps.
    pub directory: Arc<Directory>,
}

impl MetaLink {
    /// Starts the worker for a registered shard; `take_map` fences a map it takes over.
    pub(crate) fn start(
        meta: Arc<dyn MetaStore>,
        setup: LinkSetup,
        take_map: TakeMap,
    ) -> std::io::Result<Self> {
        let (tx, rx) = unbounded();
        let (events, leases) = unbounded();
        let errors = Arc::new(AtomicU64::new(0));
        let (counters, directory) = (Arc::<LeaseCounters>::default(), Arc::<Directory>::default());
        let LinkSetup { info, lease, owned, watched } = setup;
        directory.refresh(&*meta, &info.id, &watched);
        let maps = (info.maps.clone(), owned.as_slice(), watched);
        let shared = (counters.clone(), directory.clone());
        let leases_state = Leases::new(info.id.clone(), lease, maps, (events, take_map), shared);
        let worker = Worker {
            meta,
            info,
            lease,
            leases: leases_state,
            errors: errors.clone(),
            online: HashMap::new(),
        };
        let thread = std::thread::Builder::new().name("meta".into()).spawn(move || worker.run(rx))?;
        Ok(Self { tx, thread: Some(thread), errors, leases, counters, directory })
    }

    /// The tick could not start `map`: release its claim.
    pub(crate) fn give_up(&self, map: MapId) {
        let _ = self.tx.send(Command::GiveUp { map });
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
    lease: Duration,
    leases: Leases,
    errors: Arc<AtomicU64>,
    online: HashMap<i64, Vec<u8>>,
}

impl Worker {
    fn run(mut self, rx: Receiver<Command>) {
        let beat = heartbeat(self.lease);
        let mut next_beat = Instant::now() + beat;
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
                Ok(Command::GiveUp { map }) => self.leases.give_up(&*self.meta, map),
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    next_beat = Instant::now() + beat;
                    self.beat();
                }
            }
        }
        self.release();
    }

    fn beat(&mut self) {
        let alive = self.meta.heartbeat_shard(&self.info.id, self.lease);
        if matches!(alive, Ok(false)) {
            let r = self.meta.register_shard(&self.info, self.lease);
            self.check(r, "re-register shard");
        }
        self.check(alive.map(drop), "shard heartbeat");
        self.leases.beat(&*self.meta);
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
        let r = self.leases.release_all(&*self.meta);
        self.check(r, "release map");
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
