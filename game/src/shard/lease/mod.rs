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
use store::meta::MetaStore;
use store::{Fence, MapId};

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
    /// The shard claimed a map it did not own (standby takeover) and took its fence in the
    /// database: start simulating it, every write carrying the fence.
    Gained(MapId, Fence),
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
    /// Characters handed off to another shard (their Redirect sent).
    pub handoffs_out: AtomicU64,
    /// Characters that arrived by hand-off and entered the world here.
    pub handoffs_in: AtomicU64,
    /// Hand-offs out that the store refused or could not take (the character stayed here).
    pub handoffs_failed: AtomicU64,
    /// Hand-offs out by latency (start → Redirect sent), one count per bucket of
    /// `HANDOFF_BUCKETS_MS` and one past the last.
    pub handoff_buckets: [AtomicU64; 11],
    /// The sum of those latencies, in microseconds.
    pub handoff_us_sum: AtomicU64,
}

impl LeaseCounters {
    /// A snapshot of the counters.
    pub fn snapshot(&self) -> LeaseSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        LeaseSnapshot {
            owned: get(&self.owned),
            renewals: get(&self.renewals),
            losses: get(&self.losses),
            takeovers: get(&self.takeovers),
            redirects: get(&self.redirects),
            handoffs_out: get(&self.handoffs_out),
            handoffs_in: get(&self.handoffs_in),
            handoffs_failed: get(&self.handoffs_failed),
            handoff_buckets: std::array::from_fn(|i| get(&self.handoff_buckets[i])),
            handoff_us_sum: get(&self.handoff_us_sum),
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
    pub handoffs_out: u64,
    pub handoffs_in: u64,
    pub handoffs_failed: u64,
    /// Hand-offs out per latency bucket (`HANDOFF_BUCKETS_MS`, then +Inf), not cumulative.
    pub handoff_buckets: [u64; 11],
    pub handoff_us_sum: u64,
}

/// Takes a map's ownership epoch in the database (`store::Backend::take_map`): every write of
/// the previous owner that has not committed yet is refused from then on.
pub(crate) type TakeMap = Box<dyn FnMut(MapId) -> Result<Fence, store::StoreError> + Send>;

/// The [`TakeMap`] of shard `shard` on `store`: one connection per takeover (they are rare).
pub(crate) fn fence_taker(store: &Arc<store::Store>, shard: &str) -> TakeMap {
    let (store, shard) = (store.clone(), shard.to_owned());
    Box::new(move |map| store.connect()?.take_map(map, &shard))
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
    take_map: TakeMap,
}

impl Leases {
    /// Leases of `shard`, owning `owned` (claimed at start, just now) of `may_simulate`.
    pub(crate) fn new(
        shard: String,
        lease: Duration,
        (may_simulate, owned, watched): (Vec<MapId>, &[MapId], Vec<MapId>),
        (events, take_map): (Sender<LeaseEvent>, TakeMap),
        (counters, directory): (Arc<LeaseCounters>, Arc<Directory>),
    ) -> Self {
        let now = Instant::now();
        let owned: BTreeMap<MapId, Instant> = owned.iter().map(|&m| (m, now)).collect();
        counters.owned.store(owned.len() as u64, Ordering::Relaxed);
        Self { shard, lease, may_simulate, owned, watched, events, counters, directory, take_map }
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
        for map in self.may_simulate.clone() {
            if self.owned.contains_key(&map) {
                continue;
            }
            let began = Instant::now();
            match meta.claim_map(map, &self.shard, self.lease) {
                Ok(true) => self.take_over(meta, map, began),
                Ok(false) => {}
                Err(e) => tracing::debug!(map, error = %e, "cannot poll a free map"),
            }
        }
    }

    /// A free map claimed: its fence taken in the database, then handed to the tick. Without
    /// the fence the claim is given back (tried again next heartbeat).
    fn take_over(&mut self, meta: &dyn MetaStore, map: MapId, began: Instant) {
        match (self.take_map)(map) {
            Ok(fence) => {
                tracing::info!(map, epoch = fence.epoch, "claimed a free map: taking it over");
                self.owned.insert(map, began);
                self.counters.takeovers.fetch_add(1, Ordering::Relaxed);
                let _ = self.events.send(LeaseEvent::Gained(map, fence));
            }
            Err(e) => {
                tracing::warn!(map, error = %e, "claimed a free map but cannot take its fence: giving the claim back");
                if let Err(e) = meta.release_map(map, &self.shard) {
                    tracing::warn!(map, error = %e, "cannot release a map's claim");
                }
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
        (Leases::new(shard.into(), LEASE, (vec![0], owned, vec![0]), (tx, epochs()), shared), rx)
    }

    /// Fences numbered 1, 2, … as the database would give them.
    fn epochs() -> TakeMap {
        let mut epoch = 0;
        Box::new(move |map| {
            epoch += 1;
            Ok(Fence { map, epoch })
        })
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
        assert_eq!(b_events.try_recv().unwrap(), LeaseEvent::Gained(0, Fence { map: 0, epoch: 1 }));
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
        let mut a = Leases::new("a".into(), lease, (vec![0], &[0], vec![0]), (tx, epochs()), shared);
        a.beat(&Down);
        std::thread::sleep(heartbeat(lease) * 2 + Duration::from_millis(50));
        a.beat(&Down);
        assert_eq!(rx.try_recv().unwrap(), LeaseEvent::Lost { map: 0, owner: None });
        assert!(rx.try_recv().is_err(), "lost once");
        assert_eq!(a.counters.snapshot().owned, 0);
    }
}
