//! Metadata conformance: the same suite runs on Redis (real short TTLs) and on the in-process
//! store (a manual clock), so both expire entries the same way.

mod common;

use std::sync::Arc;
use std::time::Duration;

use store::ChunkKey;
use store::meta::{ChunkMeta, ManualClock, MemoryMeta, MetaStore, Session, ShardInfo};

const TTL: Duration = Duration::from_millis(300);

/// `advance` lets time pass: a real sleep for Redis, a clock step for the in-process store.
fn suite(m: &dyn MetaStore, advance: &dyn Fn(Duration)) {
    sessions(m, advance);
    chunk_meta(m);
    shards(m, advance);
    maps(m, advance);
}

fn sessions(m: &dyn MetaStore, advance: &dyn Fn(Duration)) {
    let s = Session { shard: "shard-a".into(), token_hash: vec![0, 255, 7, 0] };
    assert_eq!(m.get_session(1).unwrap(), None);
    assert!(!m.heartbeat_session(1, TTL).unwrap(), "no session to heartbeat");
    m.put_session(1, &s, TTL).unwrap();
    m.put_session(2, &s, TTL).unwrap();
    assert_eq!(m.get_session(1).unwrap(), Some(s.clone()));
    advance(TTL * 2 / 3);
    assert!(m.heartbeat_session(1, TTL).unwrap());
    advance(TTL * 2 / 3);
    assert_eq!(m.get_session(1).unwrap(), Some(s.clone()), "heartbeat kept it alive");
    assert_eq!(m.get_session(2).unwrap(), None, "no heartbeat: expired");
    assert!(!m.heartbeat_session(2, TTL).unwrap(), "expired sessions are not revived");
    let moved = Session { shard: "shard-b".into(), token_hash: vec![9] };
    m.put_session(1, &moved, TTL).unwrap();
    assert_eq!(m.get_session(1).unwrap(), Some(moved));
    m.remove_session(1).unwrap();
    assert_eq!(m.get_session(1).unwrap(), None);
}

fn chunk_meta(m: &dyn MetaStore) {
    let k = ChunkKey { map: 4, cx: -1, cy: 2 };
    let meta = ChunkMeta { shard: "shard-a".into(), last_activity_ms: 1_700_000_000_000, version: 3 };
    assert!(!m.touch_chunk(k, 5).unwrap(), "touching a missing entry creates nothing");
    assert_eq!(m.get_chunk_meta(k).unwrap(), None);
    m.put_chunk_meta(k, &meta).unwrap();
    assert!(m.touch_chunk(k, 1_700_000_000_500).unwrap());
    let got = m.get_chunk_meta(k).unwrap().unwrap();
    assert_eq!((got.last_activity_ms, got.version), (1_700_000_000_500, 3));
    let many: Vec<_> = (0..100)
        .map(|i| (ChunkKey { map: 5, cx: i, cy: 0 }, ChunkMeta { version: i as u32, ..meta.clone() }))
        .collect();
    m.put_chunk_metas(&many).unwrap();
    assert_eq!(m.get_chunk_meta(ChunkKey { map: 5, cx: 42, cy: 0 }).unwrap().unwrap().version, 42);
    m.remove_chunk_meta(k).unwrap();
    assert_eq!(m.get_chunk_meta(k).unwrap(), None);
}

fn shards(m: &dyn MetaStore, advance: &dyn Fn(Duration)) {
    let a = ShardInfo { id: "a".into(), addr: "10.0.0.1:7000".into(), maps: vec![1, 2, 3_000_000_000] };
    let b = ShardInfo { id: "b".into(), addr: "10.0.0.2:7000".into(), maps: vec![] };
    m.register_shard(&a, TTL).unwrap();
    m.register_shard(&b, TTL).unwrap();
    assert_eq!(m.list_shards().unwrap(), vec![a.clone(), b.clone()]);
    advance(TTL * 2 / 3);
    assert!(m.heartbeat_shard("a", TTL).unwrap());
    advance(TTL * 2 / 3);
    assert_eq!(m.list_shards().unwrap(), vec![a.clone()], "b missed its heartbeat");
    assert_eq!(m.get_shard("b").unwrap(), None);
    assert!(!m.heartbeat_shard("b", TTL).unwrap());
    m.unregister_shard("a").unwrap();
    assert!(m.list_shards().unwrap().is_empty());
}

fn maps(m: &dyn MetaStore, advance: &dyn Fn(Duration)) {
    assert!(m.claim_map(7, "a", TTL).unwrap());
    assert!(!m.claim_map(7, "b", TTL).unwrap(), "one shard per map");
    assert!(m.claim_map(7, "a", TTL).unwrap(), "renewal by the owner");
    assert_eq!(m.map_owner(7).unwrap().as_deref(), Some("a"));
    assert!(!m.release_map(7, "b").unwrap());
    advance(TTL + TTL / 3);
    assert_eq!(m.map_owner(7).unwrap(), None, "claim expired");
    assert!(m.claim_map(7, "b", TTL).unwrap(), "another shard may take it over");
    assert!(m.release_map(7, "b").unwrap());
    assert_eq!(m.map_owner(7).unwrap(), None);
}

#[test]
fn redis_meta() {
    let Some(guard) = common::redis_meta() else { return };
    suite(&guard.0, &|d| std::thread::sleep(d));
}

#[test]
fn memory_meta() {
    let clock = Arc::new(ManualClock::default());
    let m = MemoryMeta::new(clock.clone());
    suite(&m, &|d| clock.advance(d));
}

#[test]
fn redis_keys_are_cleaned_up_and_prefixed() {
    let Some(guard) = common::redis_meta() else { return };
    let s = Session { shard: "x".into(), token_hash: vec![1] };
    guard.0.put_session(1, &s, Duration::from_secs(60)).unwrap();
    guard
        .0
        .put_chunk_meta(
            ChunkKey { map: 1, cx: 1, cy: 1 },
            &ChunkMeta { shard: "x".into(), last_activity_ms: 1, version: 1 },
        )
        .unwrap();
    assert_eq!(guard.0.delete_all().unwrap(), 2);
}
