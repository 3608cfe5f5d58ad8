//! The item play of `world_tick --items` on a small crowd: the players' requests and interact
//! orders are carried out (every kind of decision made, most operations accepted, none lost on
//! the way to the store), and once the store's writer has flushed, what is stored equals what
//! the map holds in memory, item for item.

use bench::item_play::{ItemPlay, Op, create_players};
use game::geom::{CHUNK_UNITS, TILE, map_id};
use game::{Content, Controller, MapSim, Probe, SimConfig, SimParts};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{Container, ItemRecord, Store, StoreConfig};

const TICK_MS: u64 = 50;
const PLAYERS: usize = 40;
const WAIT: Duration = Duration::from_secs(120);

/// Ticks until the chunks around `(x, y)` are resident; returns the clock.
fn load_around(sim: &mut MapSim, (x, y): (i32, i32)) -> u64 {
    let (deadline, mut now) = (Instant::now() + WAIT, 0);
    while sim.probe(x, y) == Probe::Unknown {
        assert!(Instant::now() < deadline, "the start area never became resident");
        now += TICK_MS;
        sim.tick(now);
        std::thread::sleep(Duration::from_millis(2));
    }
    now
}

/// Every item stored below the players and the map's container objects, by id.
fn stored_items(store: &Store, sim: &MapSim, players: &[i64]) -> Vec<ItemRecord> {
    let objects = sim.world.column(sim.keys.object);
    let roots = players
        .iter()
        .map(|&p| Container::Player(p))
        .chain(objects.values().iter().filter(|o| o.holds_items).map(|o| Container::Object(o.id)));
    let mut out = Vec::new();
    for root in roots {
        let load = store.loader().load_items(root).unwrap().wait(WAIT).unwrap();
        assert!(load.bad.is_empty(), "{root:?}: {:?}", load.bad);
        out.extend(load.items);
    }
    out.sort_by_key(|i| i.id);
    out
}

#[test]
fn the_play_is_carried_out_and_storage_ends_equal_to_memory() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(StoreConfig::sqlite(dir.path().join("play.db"))).unwrap());
    let content = Arc::new(Content::builtin());
    let land = content.continents[0].clone();
    let map = game::MapGeometry::new(map_id(land.id, 0), land.width_chunks, land.height_chunks);
    let parts = SimParts {
        content: content.clone(),
        map,
        seed: 1,
        store: store.clone(),
        config: SimConfig::default(),
    };
    let mut sim = MapSim::new(parts).unwrap();
    let key = game::gameplay::items::install(&mut sim, store.clone()).unwrap();
    let stored = create_players(&store, &content, PLAYERS, map.id).unwrap();

    // The players stand close together around the middle of a chunk, so piles and boxes are
    // within each other's reach.
    let centre = (map.width_chunks / 2 * CHUNK_UNITS + CHUNK_UNITS / 2, map.height_chunks / 2 * CHUNK_UNITS);
    let mut now = load_around(&mut sim, centre);
    let spots = (-12..=12).flat_map(|dy| (-12..=12).map(move |dx| (dx, dy)));
    let mut free = spots.map(|(dx, dy)| (centre.0 + dx * TILE, centre.1 + dy * TILE));
    let mut entered = Vec::new();
    for p in &stored {
        let (x, y) = free.find(|&(x, y)| sim.probe(x, y) == Probe::Free).expect("room for every player");
        let e = sim.spawn_character(Controller::Player(p.id), x, y);
        sim.world.resource_mut(key).enter(p.id, e, &p.items);
        entered.push((p.id, e));
    }

    // Each player decides every 2-6 ticks: far busier than a real one, so 400 ticks see many
    // rounds of every kind of decision.
    let mut play = ItemPlay::new(key, &content, &entered, (2, 6));
    for _ in 0..400 {
        now += TICK_MS;
        play.act(&mut sim, now / TICK_MS);
        sim.tick(now);
        play.drain(&sim);
    }
    assert!(store.writer().flush(WAIT).complete(), "the store took every transaction");

    let counters = play.counters(&sim);
    let stats = &play.stats;
    let refused: u64 = counters.refused.values().sum();
    assert_eq!((counters.submit_failed, counters.bad_items), (0, 0), "{counters:?}");
    assert_eq!(stats.errors, refused, "each refusal answered once: {counters:?}");
    let decided: u64 = stats.ops.values().sum();
    assert!(counters.done >= decided / 2, "most decisions are carried out: {counters:?} of {stats:?}");
    for op in
        [Op::Rearrange, Op::Split, Op::BagIn, Op::Drop, Op::PickUpPile, Op::PlaceBox, Op::OpenBox, Op::Stash]
    {
        assert!(stats.ops.contains_key(&op), "{op:?} never decided: {stats:?}");
    }
    assert!(stats.changes > 0 && stats.contents > 0, "the players were shown what changed: {stats:?}");

    let ids: Vec<i64> = stored.iter().map(|p| p.id).collect();
    let mut memory: Vec<ItemRecord> = sim.world.resource(key).world.records().copied().collect();
    memory.sort_by_key(|i| i.id);
    assert_eq!(stored_items(&store, &sim, &ids), memory, "storage equals memory");
}
