//! Redis metadata for several shards. Keys (under a configurable prefix `p`):
//! `p:session:{player}` hash {shard, token} with TTL; `p:chunk:{map}:{cx}:{cy}` hash
//! {shard, last, version}; `p:shard:{id}` hash {addr, maps} with TTL plus the set `p:shards`;
//! `p:map:{map}` string (owning shard) with TTL.

use std::time::Duration;

use parking_lot::Mutex;
use redis::{Connection, RedisError, RedisResult, Script};

use super::{ChunkMeta, MetaStore, Session, ShardInfo};
use crate::error::StoreError;
use crate::record::{ChunkKey, MapId};

const CLAIM: &str = "local v = redis.call('GET', KEYS[1]) \
    if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) \
    return 1 else return 0 end";
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
    redis.call('DEL', KEYS[1]) return 1 else return 0 end";
const TOUCH: &str = "if redis.call('EXISTS', KEYS[1]) == 1 then \
    redis.call('HSET', KEYS[1], 'last', ARGV[1]) return 1 else return 0 end";

const TIMEOUT: Duration = Duration::from_secs(2);

/// Redis-backed [`MetaStore`]; one connection, reopened once on a broken pipe per call.
pub struct RedisMeta {
    client: redis::Client,
    prefix: String,
    con: Mutex<Option<Connection>>,
    claim: Script,
    release: Script,
    touch: Script,
}

impl std::fmt::Debug for RedisMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisMeta").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

fn meta_err(e: RedisError) -> StoreError {
    StoreError::Meta(e.to_string())
}

fn ms(ttl: Duration) -> u64 {
    (ttl.as_millis() as u64).max(1)
}

fn encode_maps(maps: &[MapId]) -> String {
    maps.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(",")
}

fn decode_maps(s: &str) -> Result<Vec<MapId>, StoreError> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().map_err(|_| StoreError::Meta(format!("bad map list '{s}'"))))
        .collect()
}

impl RedisMeta {
    /// Connects to `url` (e.g. `redis://127.0.0.1:6379`); every key starts with `prefix:`.
    pub fn connect(url: &str, prefix: &str) -> Result<RedisMeta, StoreError> {
        let client = redis::Client::open(url).map_err(meta_err)?;
        let meta = RedisMeta {
            client,
            prefix: prefix.to_owned(),
            con: Mutex::new(None),
            claim: Script::new(CLAIM),
            release: Script::new(RELEASE),
            touch: Script::new(TOUCH),
        };
        meta.with_con(|c| redis::cmd("PING").exec(c))?;
        Ok(meta)
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let con = self.client.get_connection_with_timeout(TIMEOUT).map_err(meta_err)?;
        con.set_read_timeout(Some(TIMEOUT)).map_err(meta_err)?;
        con.set_write_timeout(Some(TIMEOUT)).map_err(meta_err)?;
        Ok(con)
    }

    fn with_con<T>(&self, f: impl Fn(&mut Connection) -> RedisResult<T>) -> Result<T, StoreError> {
        let mut guard = self.con.lock();
        let mut attempt = 0;
        loop {
            if guard.is_none() {
                *guard = Some(self.open()?);
            }
            match f(guard.as_mut().expect("opened above")) {
                Ok(v) => return Ok(v),
                Err(e) if attempt == 0 && (e.is_io_error() || e.is_connection_dropped()) => {
                    tracing::warn!(error = %e, "redis connection lost, reconnecting");
                    *guard = None;
                    attempt += 1;
                }
                Err(e) => return Err(meta_err(e)),
            }
        }
    }

    fn session_key(&self, player: i64) -> String {
        format!("{}:session:{player}", self.prefix)
    }

    fn chunk_key(&self, k: ChunkKey) -> String {
        format!("{}:chunk:{}:{}:{}", self.prefix, k.map, k.cx, k.cy)
    }

    fn shard_key(&self, id: &str) -> String {
        format!("{}:shard:{id}", self.prefix)
    }

    fn shards_key(&self) -> String {
        format!("{}:shards", self.prefix)
    }

    fn map_key(&self, map: MapId) -> String {
        format!("{}:map:{map}", self.prefix)
    }

    /// Deletes every key under the prefix (tests, tooling). Returns how many were deleted.
    pub fn delete_all(&self) -> Result<usize, StoreError> {
        let pattern = format!("{}:*", self.prefix);
        let keys: Vec<String> = self.with_con(|c| {
            let iter = redis::cmd("SCAN").cursor_arg(0).arg("MATCH").arg(&pattern).clone();
            let keys: Vec<String> = iter.iter(c)?.collect::<RedisResult<_>>()?;
            Ok(keys)
        })?;
        if keys.is_empty() {
            return Ok(0);
        }
        self.with_con(|c| redis::cmd("DEL").arg(&keys).query::<usize>(c))
    }
}

impl MetaStore for RedisMeta {
    fn put_session(&self, player: i64, s: &Session, ttl: Duration) -> Result<(), StoreError> {
        let key = self.session_key(player);
        self.with_con(|c| {
            redis::pipe()
                .atomic()
                .del(&key)
                .hset_multiple(&key, &[("shard", s.shard.as_bytes()), ("token", &s.token_hash)])
                .pexpire(&key, ms(ttl) as i64)
                .exec(c)
        })
    }

    fn get_session(&self, player: i64) -> Result<Option<Session>, StoreError> {
        let key = self.session_key(player);
        let (shard, token): (Option<String>, Option<Vec<u8>>) =
            self.with_con(|c| redis::cmd("HMGET").arg(&key).arg("shard").arg("token").query(c))?;
        Ok(shard.zip(token).map(|(shard, token_hash)| Session { shard, token_hash }))
    }

    fn heartbeat_session(&self, player: i64, ttl: Duration) -> Result<bool, StoreError> {
        let key = self.session_key(player);
        self.with_con(|c| redis::cmd("PEXPIRE").arg(&key).arg(ms(ttl)).query(c))
    }

    fn remove_session(&self, player: i64) -> Result<(), StoreError> {
        let key = self.session_key(player);
        self.with_con(|c| redis::cmd("DEL").arg(&key).exec(c))
    }

    fn put_chunk_meta(&self, key: ChunkKey, meta: &ChunkMeta) -> Result<(), StoreError> {
        self.put_chunk_metas(&[(key, meta.clone())])
    }

    fn put_chunk_metas(&self, metas: &[(ChunkKey, ChunkMeta)]) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        for (k, m) in metas {
            let fields = [
                ("shard", m.shard.clone()),
                ("last", m.last_activity_ms.to_string()),
                ("version", m.version.to_string()),
            ];
            pipe.hset_multiple(self.chunk_key(*k), &fields).ignore();
        }
        self.with_con(|c| pipe.exec(c))
    }

    fn get_chunk_meta(&self, key: ChunkKey) -> Result<Option<ChunkMeta>, StoreError> {
        let k = self.chunk_key(key);
        let (shard, last, version): (Option<String>, Option<u64>, Option<u32>) =
            self.with_con(|c| redis::cmd("HMGET").arg(&k).arg("shard").arg("last").arg("version").query(c))?;
        Ok(match (shard, last, version) {
            (Some(shard), Some(last_activity_ms), Some(version)) => {
                Some(ChunkMeta { shard, last_activity_ms, version })
            }
            _ => None,
        })
    }

    fn touch_chunk(&self, key: ChunkKey, now_ms: u64) -> Result<bool, StoreError> {
        let k = self.chunk_key(key);
        self.with_con(|c| self.touch.key(&k).arg(now_ms).invoke::<i32>(c)).map(|v| v == 1)
    }

    fn remove_chunk_meta(&self, key: ChunkKey) -> Result<(), StoreError> {
        let k = self.chunk_key(key);
        self.with_con(|c| redis::cmd("DEL").arg(&k).exec(c))
    }

    fn register_shard(&self, info: &ShardInfo, ttl: Duration) -> Result<(), StoreError> {
        let key = self.shard_key(&info.id);
        let fields = [("addr", info.addr.clone()), ("maps", encode_maps(&info.maps))];
        self.with_con(|c| {
            redis::pipe()
                .atomic()
                .del(&key)
                .hset_multiple(&key, &fields)
                .pexpire(&key, ms(ttl) as i64)
                .sadd(self.shards_key(), &info.id)
                .exec(c)
        })
    }

    fn heartbeat_shard(&self, id: &str, ttl: Duration) -> Result<bool, StoreError> {
        let key = self.shard_key(id);
        self.with_con(|c| redis::cmd("PEXPIRE").arg(&key).arg(ms(ttl)).query(c))
    }

    fn get_shard(&self, id: &str) -> Result<Option<ShardInfo>, StoreError> {
        let key = self.shard_key(id);
        let (addr, maps): (Option<String>, Option<String>) =
            self.with_con(|c| redis::cmd("HMGET").arg(&key).arg("addr").arg("maps").query(c))?;
        match (addr, maps) {
            (Some(addr), Some(maps)) => {
                Ok(Some(ShardInfo { id: id.to_owned(), addr, maps: decode_maps(&maps)? }))
            }
            _ => Ok(None),
        }
    }

    fn list_shards(&self) -> Result<Vec<ShardInfo>, StoreError> {
        let mut ids: Vec<String> =
            self.with_con(|c| redis::cmd("SMEMBERS").arg(self.shards_key()).query(c))?;
        ids.sort();
        let mut live = Vec::with_capacity(ids.len());
        for id in ids {
            match self.get_shard(&id)? {
                Some(info) => live.push(info),
                // Expired: drop it from the index too.
                None => self.with_con(|c| redis::cmd("SREM").arg(self.shards_key()).arg(&id).exec(c))?,
            }
        }
        Ok(live)
    }

    fn unregister_shard(&self, id: &str) -> Result<(), StoreError> {
        let key = self.shard_key(id);
        self.with_con(|c| redis::pipe().del(&key).srem(self.shards_key(), id).exec(c))
    }

    fn claim_map(&self, map: MapId, shard: &str, ttl: Duration) -> Result<bool, StoreError> {
        let key = self.map_key(map);
        self.with_con(|c| self.claim.key(&key).arg(shard).arg(ms(ttl)).invoke::<i32>(c)).map(|v| v == 1)
    }

    fn map_owner(&self, map: MapId) -> Result<Option<String>, StoreError> {
        let key = self.map_key(map);
        self.with_con(|c| redis::cmd("GET").arg(&key).query(c))
    }

    fn release_map(&self, map: MapId, shard: &str) -> Result<bool, StoreError> {
        let key = self.map_key(map);
        self.with_con(|c| self.release.key(&key).arg(shard).invoke::<i32>(c)).map(|v| v == 1)
    }
}
