//! Hot metadata shared by shards: session mapping, chunk metadata, shard registry and map
//! ownership. [`RedisMeta`] serves several shards; [`MemoryMeta`] is the in-process equivalent
//! for the embedded single-shard mode, with the same TTL semantics.
//!
//! Calls block briefly on the network (Redis): call them from a service thread, not the tick.

mod memory;
mod redis;

use std::time::Duration;

use crate::error::StoreError;
use crate::record::{ChunkKey, MapId};

pub use self::memory::{Clock, ManualClock, MemoryMeta, SystemClock};
pub use self::redis::RedisMeta;

/// Which shard a player is on and the hash of its session token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub shard: String,
    pub token_hash: Vec<u8>,
}

/// Which shard holds a chunk, when a player was last near it, and its stored version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkMeta {
    pub shard: String,
    /// Milliseconds since the Unix epoch.
    pub last_activity_ms: u64,
    pub version: u32,
}

/// A live shard: where clients reach it and which maps it simulates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardInfo {
    pub id: String,
    pub addr: String,
    pub maps: Vec<MapId>,
}

/// The metadata interface. Entries with a TTL vanish unless refreshed (heartbeat) in time.
pub trait MetaStore: Send + Sync {
    /// Creates or replaces a player's session; it expires after `ttl` without heartbeat.
    fn put_session(&self, player: i64, session: &Session, ttl: Duration) -> Result<(), StoreError>;
    fn get_session(&self, player: i64) -> Result<Option<Session>, StoreError>;
    /// Extends the session's TTL; false if it already expired or never existed.
    fn heartbeat_session(&self, player: i64, ttl: Duration) -> Result<bool, StoreError>;
    fn remove_session(&self, player: i64) -> Result<(), StoreError>;

    /// Chunk metadata has no TTL: it describes stored data.
    fn put_chunk_meta(&self, key: ChunkKey, meta: &ChunkMeta) -> Result<(), StoreError>;
    /// Many entries in one round trip.
    fn put_chunk_metas(&self, metas: &[(ChunkKey, ChunkMeta)]) -> Result<(), StoreError>;
    fn get_chunk_meta(&self, key: ChunkKey) -> Result<Option<ChunkMeta>, StoreError>;
    /// Updates the last activity of an existing entry; false if there is none.
    fn touch_chunk(&self, key: ChunkKey, now_ms: u64) -> Result<bool, StoreError>;
    fn remove_chunk_meta(&self, key: ChunkKey) -> Result<(), StoreError>;

    /// Registers (or refreshes) a shard; it expires after `ttl` without heartbeat.
    fn register_shard(&self, info: &ShardInfo, ttl: Duration) -> Result<(), StoreError>;
    /// Extends the shard's TTL; false if it already expired (re-register then).
    fn heartbeat_shard(&self, id: &str, ttl: Duration) -> Result<bool, StoreError>;
    fn get_shard(&self, id: &str) -> Result<Option<ShardInfo>, StoreError>;
    /// Live shards, sorted by id.
    fn list_shards(&self) -> Result<Vec<ShardInfo>, StoreError>;
    fn unregister_shard(&self, id: &str) -> Result<(), StoreError>;

    /// Claims (or renews) a map for a shard: true if the shard owns it now. A map is owned by
    /// one shard at a time; the claim expires after `ttl` unless renewed.
    fn claim_map(&self, map: MapId, shard: &str, ttl: Duration) -> Result<bool, StoreError>;
    fn map_owner(&self, map: MapId) -> Result<Option<String>, StoreError>;
    /// Releases a map if `shard` owns it; true if it did.
    fn release_map(&self, map: MapId, shard: &str) -> Result<bool, StoreError>;
}
