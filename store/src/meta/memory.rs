//! In-process metadata for the embedded single-shard mode, with TTLs on a controllable clock.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::{ChunkMeta, MetaStore, Session, ShardInfo};
use crate::error::StoreError;
use crate::record::{ChunkKey, MapId};

/// Monotonic time source for TTLs.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Time since an arbitrary fixed origin.
    fn now(&self) -> Duration;
}

/// The real monotonic clock.
#[derive(Debug)]
pub struct SystemClock(Instant);

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock(Instant::now())
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_nanos() as u64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::SeqCst))
    }
}

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<i64, (Session, Duration)>,
    chunks: HashMap<ChunkKey, ChunkMeta>,
    shards: HashMap<String, (ShardInfo, Duration)>,
    maps: HashMap<MapId, (String, Duration)>,
}

/// In-process [`MetaStore`]. Expired entries behave as absent and are purged lazily.
#[derive(Debug)]
pub struct MemoryMeta {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl Default for MemoryMeta {
    fn default() -> Self {
        MemoryMeta::new(Arc::new(SystemClock::default()))
    }
}

impl MemoryMeta {
    pub fn new(clock: Arc<dyn Clock>) -> MemoryMeta {
        MemoryMeta { clock, state: Mutex::new(State::default()) }
    }

    /// Locks the state after dropping every expired entry.
    fn live(&self) -> (parking_lot::MutexGuard<'_, State>, Duration) {
        let now = self.clock.now();
        let mut s = self.state.lock();
        s.sessions.retain(|_, (_, exp)| *exp > now);
        s.shards.retain(|_, (_, exp)| *exp > now);
        s.maps.retain(|_, (_, exp)| *exp > now);
        (s, now)
    }
}

impl MetaStore for MemoryMeta {
    fn put_session(&self, player: i64, session: &Session, ttl: Duration) -> Result<(), StoreError> {
        let (mut s, now) = self.live();
        s.sessions.insert(player, (session.clone(), now + ttl));
        Ok(())
    }

    fn get_session(&self, player: i64) -> Result<Option<Session>, StoreError> {
        Ok(self.live().0.sessions.get(&player).map(|(v, _)| v.clone()))
    }

    fn heartbeat_session(&self, player: i64, ttl: Duration) -> Result<bool, StoreError> {
        let (mut s, now) = self.live();
        Ok(s.sessions.get_mut(&player).map(|(_, exp)| *exp = now + ttl).is_some())
    }

    fn remove_session(&self, player: i64) -> Result<(), StoreError> {
        self.live().0.sessions.remove(&player);
        Ok(())
    }

    fn put_chunk_meta(&self, key: ChunkKey, meta: &ChunkMeta) -> Result<(), StoreError> {
        self.state.lock().chunks.insert(key, meta.clone());
        Ok(())
    }

    fn put_chunk_metas(&self, metas: &[(ChunkKey, ChunkMeta)]) -> Result<(), StoreError> {
        let mut s = self.state.lock();
        s.chunks.extend(metas.iter().cloned());
        Ok(())
    }

    fn get_chunk_meta(&self, key: ChunkKey) -> Result<Option<ChunkMeta>, StoreError> {
        Ok(self.state.lock().chunks.get(&key).cloned())
    }

    fn touch_chunk(&self, key: ChunkKey, now_ms: u64) -> Result<bool, StoreError> {
        let mut s = self.state.lock();
        Ok(s.chunks.get_mut(&key).map(|m| m.last_activity_ms = now_ms).is_some())
    }

    fn remove_chunk_meta(&self, key: ChunkKey) -> Result<(), StoreError> {
        self.state.lock().chunks.remove(&key);
        Ok(())
    }

    fn register_shard(&self, info: &ShardInfo, ttl: Duration) -> Result<(), StoreError> {
        let (mut s, now) = self.live();
        s.shards.insert(info.id.clone(), (info.clone(), now + ttl));
        Ok(())
    }

    fn heartbeat_shard(&self, id: &str, ttl: Duration) -> Result<bool, StoreError> {
        let (mut s, now) = self.live();
        Ok(s.shards.get_mut(id).map(|(_, exp)| *exp = now + ttl).is_some())
    }

    fn get_shard(&self, id: &str) -> Result<Option<ShardInfo>, StoreError> {
        Ok(self.live().0.shards.get(id).map(|(v, _)| v.clone()))
    }

    fn list_shards(&self) -> Result<Vec<ShardInfo>, StoreError> {
        let mut all: Vec<ShardInfo> = self.live().0.shards.values().map(|(v, _)| v.clone()).collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }

    fn unregister_shard(&self, id: &str) -> Result<(), StoreError> {
        self.live().0.shards.remove(id);
        Ok(())
    }

    fn claim_map(&self, map: MapId, shard: &str, ttl: Duration) -> Result<bool, StoreError> {
        let (mut s, now) = self.live();
        match s.maps.get(&map) {
            Some((owner, _)) if owner != shard => Ok(false),
            _ => {
                s.maps.insert(map, (shard.to_owned(), now + ttl));
                Ok(true)
            }
        }
    }

    fn map_owner(&self, map: MapId) -> Result<Option<String>, StoreError> {
        Ok(self.live().0.maps.get(&map).map(|(o, _)| o.clone()))
    }

    fn release_map(&self, map: MapId, shard: &str) -> Result<bool, StoreError> {
        let (mut s, _) = self.live();
        if s.maps.get(&map).is_some_and(|(o, _)| o == shard) {
            s.maps.remove(&map);
            return Ok(true);
        }
        Ok(false)
    }
}
