//! Shared set-up of the tests that play on one map: a map simulation on its own SQLite store
//! (with or without the items feature), a player stored with a kit and standing on the map,
//! and waits that tick the map's clock (they wait for worker threads, never assert on time).

#![allow(dead_code)]

use engine::{Entity, ResourceKey};
use game::gameplay::items::{self, MapItems};
use game::geom::{MapGeometry, map_id};
use game::{Content, Controller, MapSim, SimConfig, SimParts};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{ItemOp, ItemRecord, ItemTx, PlayerRecord, Store, StoreConfig};

/// A map simulation (8×8 chunks, seed 7) on a SQLite store in `dir`, without the items feature.
pub fn plain_map(dir: &tempfile::TempDir, content: Arc<Content>) -> (MapSim, Arc<Store>) {
    let store = Arc::new(Store::open(StoreConfig::sqlite(dir.path().join("world.db"))).expect("open sqlite"));
    let parts = SimParts {
        content,
        map: MapGeometry::new(map_id(0, 0), 8, 8),
        seed: 7,
        store: store.clone(),
        config: SimConfig::default(),
    };
    (MapSim::new(parts).expect("sim"), store)
}

/// A map simulation as [`plain_map`], with the items feature.
pub fn map_with_items(
    dir: &tempfile::TempDir,
    content: Arc<Content>,
) -> (MapSim, ResourceKey<MapItems>, Arc<Store>) {
    let (mut sim, store) = plain_map(dir, content);
    let items = items::install(&mut sim, store.clone()).expect("items");
    (sim, items, store)
}

/// Stores player `id` named `name` with `kit` (as a creation does), spawns its character at
/// `at` and lets the items feature take its inventory in.
pub fn enter_player(
    (sim, items, store): (&mut MapSim, ResourceKey<MapItems>, &Store),
    (id, name): (i64, &str),
    kit: &[ItemRecord],
    at: (i32, i32),
) -> Entity {
    let record = PlayerRecord { id, name: name.into(), token_hash: vec![1; 32], ..Default::default() };
    let tx = ItemTx::new("kit", kit.iter().map(|&r| ItemOp::Put(r)).collect());
    store.writer().create_player(record, tx).unwrap().wait(Duration::from_secs(10)).unwrap();
    let me = sim.spawn_character(Controller::Player(id), at.0, at.1);
    sim.world.resource_mut(items).enter(id, me, kit);
    me
}

/// Ticks at `now_ms` until the chunk at `(x, y)` is resident.
pub fn tick_until_resident(sim: &mut MapSim, (x, y): (i32, i32), now_ms: u64) {
    let start = Instant::now();
    while !sim.world.resource(sim.keys.chunks).is_resident_at(x, y) {
        assert!(start.elapsed() < Duration::from_secs(60), "the chunk never loaded");
        sim.tick(now_ms);
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Flushes the store's writer until it is idle (chunks around may still be saved meanwhile),
/// so everything submitted before is durable.
pub fn flush_until_idle(store: &Store) {
    let start = Instant::now();
    while !store.writer().flush(Duration::from_secs(10)).complete() {
        assert!(start.elapsed() < Duration::from_secs(60), "the writer never went idle");
    }
}
