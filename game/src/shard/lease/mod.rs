//! Map leases: which of the maps this shard may simulate it owns now. A map is owned through a
//! claim in the metadata store that expires `lease` after its last renewal; the metadata worker
//! ([`super::meta`]) renews every owned claim each heartbeat (a third of the lease), tries to
//! claim the maps it may simulate but does not own (standby), and tells the tick what changed
//! ([`LeaseEvent`]). It also keeps the [`Directory`] of who owns every map, for Redirects.
//!
//! A renewal refused (another shard holds the claim) loses the map at once. A renewal that fails
//! (the store unreachable) loses it when the claim could expire before the next heartbeat, so
//! the shard stops simulating a map before another shard can claim it.

mod directory;

pub use directory::Directory;

use crossbeam_channel::Sender;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use store::MapId;
use store::meta::MetaStore;

/// The default lease: a claim (and the shard's registration) expires this long after its last
/// renewal.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(15);

/// The heartbeat of a lease: renewals and standby polls happen this often.
pub fn heartbeat(lease: Duration) -> Duration {
    lease / 3
}

/// What changed in the maps this shard owns, for the tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LeaseEvent {
    /// The shard claimed a map it did not own (standby takeover): start simulating it.
    Gained(MapId),
    /// The shard lost a map: stop simulating it now. `owner` is the new owner's address when
    /// known (its clients are redirected there).
    Lost { map: MapId, owner: Option<String> },
}

/// Lease counters for `/metrics`.
#[derive(Debug, Default)]
pub struct LeaseCounters {
    /// Maps owned now.
    pub owned: AtomicU64,
    /// Claims renewed.
    pub renewals: AtomicU64,
    /// Maps lost (claim taken by another shard, or not renewed in time).
    pub losses: AtomicU64,
    /// Maps claimed after start (a standby taking over).
    pub takeovers: AtomicU64,
    /// Redirects sent to clients.
    pub redirects: AtomicU64,
}

impl LeaseCounters {
    /// A snapshot of the counters: `(owned, renewals, losses, takeovers, redirects)`.
    pub fn snapshot(&self) -> LeaseSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        LeaseSnapshot {
            owned: get(&self.owned),
            renewals: get(&self.renewals),
            losses: get(&self.losses),
            takeovers: get(&self.takeovers),
            redirects: get(&self.redirects),
        }
    }
}

/// The lease counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeaseSnapshot {
    pub owned: u64,
    pub renewals: u64,
    pub losses: u64,
    pub takeovers: u64,
    pub redirects: u64,
}

/// The worker's side of the leases.
pub(crate) struct Leases {
    shard: String,
    lease: Duration,
    /// The maps this shard may simulate.
    may_simulate: Vec<MapId>,
    /// Owned maps, with the start of their last successful renewal.
    owned: BTreeMap<MapId, Instant>,
    /// Maps whose owner the directory follows.
    watched: Vec<MapId>,
    events: Sender<LeaseEvent>,
    counters: Arc<LeaseCounters>,
    directory: Arc<Directory>,
}

impl Leases {
    /// Leases of `shard`, owning `owned` (claimed at start, just now) of `may_simulate`.
    pub(crate) fn new(
        shard: String,
        lease: Duration,
        (may_simulate, owned, watched): (Vec<MapId>, &[MapId], Vec<MapId>),
        events: Sender<LeaseEvent>,
        (counters, directory): (Arc<LeaseCounters>, Arc<Directory>),
    ) -> Self {
        let now = Instant::now();
        let owned: BTreeMap<MapId, Instant> = owned.iter().map(|&m| (m, now)).collect();
        counters.owned.store(owned.len() as u64, Ordering::Relaxed);
        Self { shard, lease, may_simulate, owned, watched, events, counters, directory }
    }

    /// One heartbeat: renew, take free maps, refresh the directory.
    pub(crate) fn beat(&mut self, meta: &dyn MetaStore) {
        self.renew(meta);
        self.take_free(meta);
        self.directory.refresh(meta, &self.shard, &self.watched);
        self.counters.owned.store(self.owned.len() as u64, Ordering::Relaxed);
    }

    fn renew(&mut self, meta: &dyn MetaStore) {
        let heartbeat = heartbeat(self.lease);
        for (map, renewed) in self.owned.clone() {
            let began = Instant::now();
            match meta.claim_map(map, &self.shard, self.lease) {
                Ok(true) => {
                    self.owned.insert(map, began);
                    self.counters.renewals.fetch_add(1, Ordering::Relaxed);
                }
                Ok(false) => {
                    tracing::error!(map, "lost the claim on a map to another shard: stopping it");
                    let owner = Directory::lookup(meta, map, &self.shard).map(|o| o.addr);
                    self.lose(map, owner);
                }
                Err(e) if began.duration_since(renewed) + heartbeat >= self.lease => {
                    tracing::error!(map, error = %e, "cannot renew a map's claim before it may expire: stopping it");
                    self.lose(map, None);
                }
                Err(e) => {
                    tracing::warn!(map, error = %e, "cannot renew a map's claim; retrying next heartbeat")
                }
            }
        }
    }

    fn take_free(&mut self, meta: &dyn MetaStore) {
        for &map in &self.may_simulate {
            if self.owned.contains_key(&map) {
                continue;
            }
            let began = Instant::now();
            match meta.claim_map(map, &self.shard, self.lease) {
                Ok(true) => {
                    tracing::info!(map, "claimed a free map: taking it over");
                    self.owned.insert(map, began);
                    self.counters.takeovers.fetch_add(1, Ordering::Relaxed);
                    let _ = self.events.send(LeaseEvent::Gained(map));
                }
                Ok(false) => {}
                Err(e) => tracing::debug!(map, error = %e, "cannot poll a free map"),
            }
        }
    }

    fn lose(&mut self, map: MapId, owner: Option<String>) {
        self.owned.remove(&map);
        self.counters.losses.fetch_add(1, Ordering::Relaxed);
        let _ = self.events.send(LeaseEvent::Lost { map, owner });
    }

    /// The tick could not start a map it was given: give the claim back, and stop trying for it.
    pub(crate) fn give_up(&mut self, meta: &dyn MetaStore, map: MapId) {
        self.owned.remove(&map);
        self.may_simulate.retain(|&m| m != map);
        if let Err(e) = meta.release_map(map, &self.shard) {
            tracing::warn!(map, error = %e, "cannot release a map's claim");
        }
    }

    /// Releases every owned map (shutdown).
    pub(crate) fn release_all(&mut self, meta: &dyn MetaStore) -> Result<(), store::StoreError> {
        let mut result = Ok(());
        for map in std::mem::take(&mut self.owned).into_keys() {
            if let Err(e) = meta.release_map(map, &self.shard) {
                result = Err(e);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::meta::{ManualClock, MemoryMeta};

    const LEASE: Duration = Duration::from_secs(3);

    fn leases(shard: &str, owned: &[MapId]) -> (Leases, crossbeam_channel::Receiver<LeaseEvent>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        let shared = (Arc::default(), Arc::default());
        (Leases::new(shard.into(), LEASE, (vec![0], owned, vec![0]), tx, shared), rx)
    }

    #[test]
    fn a_standby_takes_an_expired_map_and_the_old_owner_loses_it() {
        let clock = Arc::new(ManualClock::default());
        let meta = MemoryMeta::new(clock.clone());
        assert!(meta.claim_map(0, "a", LEASE).unwrap());
        let (mut a, a_events) = leases("a", &[0]);
        let (mut b, b_events) = leases("b", &[]);
        b.beat(&meta);
        assert!(b_events.try_recv().is_err(), "a live owner keeps its map");
        a.beat(&meta);
        assert!(a_events.try_recv().is_err(), "renewed");
        clock.advance(LEASE + Duration::from_millis(1));
        b.beat(&meta);
        assert_eq!(b_events.try_recv().unwrap(), LeaseEvent::Gained(0));
        a.beat(&meta);
        assert_eq!(a_events.try_recv().unwrap(), LeaseEvent::Lost { map: 0, owner: None });
        assert_eq!(a.counters.snapshot().losses, 1);
        assert_eq!(
            b.counters.snapshot(),
            LeaseSnapshot { owned: 1, takeovers: 1, ..LeaseSnapshot::default() }
        );
    }

    /// A metadata store that is down.
    struct Down;

    fn down<T>() -> Result<T, store::StoreError> {
        Err(store::StoreError::Meta("connection refused".into()))
    }

    impl MetaStore for Down {
        fn put_session(
            &self,
            _: i64,
            _: &store::meta::Session,
            _: Duration,
        ) -> Result<(), store::StoreError> {
            down()
        }
        fn get_session(&self, _: i64) -> Result<Option<store::meta::Session>, store::StoreError> {
            down()
        }
        fn heartbeat_session(&self, _: i64, _: Duration) -> Result<bool, store::StoreError> {
            down()
        }
        fn remove_session(&self, _: i64) -> Result<(), store::StoreError> {
            down()
        }
        fn put_chunk_meta(
            &self,
            _: store::ChunkKey,
            _: &store::meta::ChunkMeta,
        ) -> Result<(), store::StoreError> {
            down()
        }
        fn put_chunk_metas(
            &self,
            _: &[(store::ChunkKey, store::meta::ChunkMeta)],
        ) -> Result<(), store::StoreError> {
            down()
        }
        fn get_chunk_meta(
            &self,
            _: store::ChunkKey,
        ) -> Result<Option<store::meta::ChunkMeta>, store::StoreError> {
            down()
        }
        fn touch_chunk(&self, _: store::ChunkKey, _: u64) -> Result<bool, store::StoreError> {
            down()
        }
        fn remove_chunk_meta(&self, _: store::ChunkKey) -> Result<(), store::StoreError> {
            down()
        }
        fn register_shard(&self, _: &store::meta::ShardInfo, _: Duration) -> Result<(), store::StoreError> {
            down()
        }
        fn heartbeat_shard(&self, _: &str, _: Duration) -> Result<bool, store::StoreError> {
            down()
        }
        fn get_shard(&self, _: &str) -> Result<Option<store::meta::ShardInfo>, store::StoreError> {
            down()
        }
        fn list_shards(&self) -> Result<Vec<store::meta::ShardInfo>, store::StoreError> {
            down()
        }
        fn unregister_shard(&self, _: &str) -> Result<(), store::StoreError> {
            down()
        }
        fn claim_map(&self, _: MapId, _: &str, _: Duration) -> Result<bool, store::StoreError> {
            down()
        }
        fn map_owner(&self, _: MapId) -> Result<Option<String>, store::StoreError> {
            down()
        }
        fn release_map(&self, _: MapId, _: &str) -> Result<bool, store::StoreError> {
            down()
        }
    }

    #[test]
    fn a_store_down_loses_the_map_before_its_claim_can_expire() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let lease = Duration::from_millis(300);
        let shared = (Arc::default(), Arc::default());
        let mut a = Leases::new("a".into(), lease, (vec![0], &[0], vec![0]), tx, shared);
        a.beat(&Down);
        std::thread::sleep(heartbeat(lease) * 2 + Duration::from_millis(50));
        a.beat(&Down);
        assert_eq!(rx.try_recv().unwrap(), LeaseEvent::Lost { map: 0, owner: None });
        assert!(rx.try_recv().is_err(), "lost once");
        assert_eq!(a.counters.snapshot().owned, 0);
    }
}
