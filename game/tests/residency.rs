//! Residency on the SQLite backend with a hand-driven clock: chunks stay while needed, unload
//! after idle, are saved before unloading, reload with their objects; undecodable chunks are
//! quarantined; the simulation gives the same result for 1 and N threads.

use game::chunks::ChunkState;
use game::geom::{CHUNK_UNITS, MapGeometry, map_id};
use game::{Content, Controller, MapSim, SimConfig, SimParts};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{ChunkKey, ChunkRecord, ChunkSave, ObjectRecord, Position, Store, StoreConfig};

fn sim(dir: &tempfile::TempDir) -> MapSim {
    sim_with(dir, Content::builtin())
}

/// Content where no terrain blocks and nothing is scattered: only residency limits movement.
fn open_content() -> Content {
    let t = include_str!("../../schemas/content/terrain.toml").replace("blocks = true", "blocks = false");
    let o = "[[object]]\nid = 3\nname = \"rock\"\nradius = 64\n";
    Content::from_strs(&t, o, include_str!("../../schemas/content/world.toml")).unwrap()
}

fn sim_with(dir: &tempfile::TempDir, content: Content) -> MapSim {
    let store = Arc::new(Store::open(StoreConfig::sqlite(dir.path().join("world.db"))).expect("open sqlite"));
    let parts = SimParts {
        content: Arc::new(content),
        map: MapGeometry::new(map_id(0, 0), 8, 8),
        seed: 7,
        store,
        config: SimConfig::default(),
    };
    MapSim::new(parts).expect("sim")
}

/// Ticks at a fixed clock until `done` (the wait is for worker threads, not asserted on time).
fn tick_until(s: &mut MapSim, now: u64, mut done: impl FnMut(&MapSim) -> bool) {
    let start = Instant::now();
    while !done(s) {
        assert!(start.elapsed() < Duration::from_secs(60), "condition never reached");
        s.tick(now);
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn state(s: &MapSim, cx: i32, cy: i32) -> ChunkState {
    s.world.resource(s.keys.chunks).state(cx, cy).unwrap()
}

const C: i32 = 3 * CHUNK_UNITS + CHUNK_UNITS / 2;

#[test]
fn residency_lifecycle_with_save_and_reload() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim(&dir);
    let p = s.spawn_character(Controller::Player(1), C, C);
    tick_until(&mut s, 1_000, |s| (2..=4).all(|c| (2..=4).all(|d| state(s, c, d) == ChunkState::Resident)));
    assert_eq!(state(s_ref(&s), 6, 6), ChunkState::Absent, "far chunks stay unloaded");

    // Needed: stays resident however long.
    for t in 0..5 {
        s.tick(1_000 + t * 30_000);
    }
    assert_eq!(state(&s, 3, 3), ChunkState::Resident);

    // Add an object (dirty), leave, wait past the idle time: saved, then unloaded.
    let rec = ObjectRecord {
        id: 9_000_001,
        map: 0,
        grid_x: 3,
        grid_y: 3,
        kind: 3,
        pos: Position { x: C + 300, y: C },
        ..Default::default()
    };
    s.insert_object(rec).unwrap();
    assert!(s.despawn_character(p));
    let later = 1_000 + 5 * 30_000 + 61_000;
    tick_until(&mut s, later, |s| state(s, 3, 3) == ChunkState::Absent);
    assert!(s.objects_near(C + 300, C, 10).is_empty(), "objects left with the chunk");

    // Come back: the chunk reloads from storage with the saved object.
    s.spawn_character(Controller::Player(1), C, C);
    tick_until(&mut s, later + 1_000, |s| state(s, 3, 3) == ChunkState::Resident);
    tick_until(&mut s, later + 1_000, |s| !s.objects_near(C + 300, C, 10).is_empty());
    assert!(s.objects_near(C + 300, C, 10).iter().any(|&(_, kind)| kind == 3));
}

fn s_ref(s: &MapSim) -> &MapSim {
    s
}

#[test]
fn undecodable_chunk_is_quarantined_not_regenerated() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim(&dir);
    let key = ChunkKey { map: 0, cx: 3, cy: 3 };
    let bad = ChunkSave {
        key,
        chunk: Some(ChunkRecord { key, version: 1, data: b"not a chunk".to_vec() }),
        objects: vec![],
    };
    let store = Store::open(StoreConfig::sqlite(dir.path().join("world.db"))).unwrap();
    store.connect().unwrap().save_chunks(&[bad]).unwrap();
    s.spawn_character(Controller::Bot, C, C);
    tick_until(&mut s, 1_000, |s| state(s, 3, 3) == ChunkState::Quarantined);
    let res = s.residency();
    assert_eq!(res.quarantine_reports.len(), 1);
    let reloaded = store.connect().unwrap().load_chunk(key).unwrap();
    assert_eq!(reloaded.chunk.unwrap().data, b"not a chunk".to_vec(), "stored data untouched");
}

fn run_bots(threads: usize) -> Vec<(i32, i32)> {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim(&dir);
    s.spawn_character(Controller::Player(1), C, C);
    tick_until(&mut s, 0, |s| (2..=4).all(|c| (2..=4).all(|d| state(s, c, d) == ChunkState::Resident)));
    let bots: Vec<_> = (0..300)
        .map(|i| s.spawn_character(Controller::Bot, C - 2560 + (i % 20) * 256, C - 2560 + (i / 20) * 256))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| (0..100).for_each(|t| s.tick(t * 50)));
    bots.iter().map(|&b| s.position(b).unwrap()).collect()
}

#[test]
fn same_world_for_one_and_many_threads() {
    let one = run_bots(1);
    let many = run_bots(4);
    assert_eq!(one, many);
    let start: Vec<_> = (0..300).map(|i| (C - 2560 + (i % 20) * 256, C - 2560 + (i / 20) * 256)).collect();
    assert_ne!(one, start, "bots moved");
}

#[test]
fn full_speed_never_enters_an_unloaded_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim_with(&dir, open_content());
    let p = s.spawn_character(Controller::Player(1), C, C);
    tick_until(&mut s, 0, |s| state(s, 3, 3) == ChunkState::Resident);
    let goal_x = 6 * CHUNK_UNITS + CHUNK_UNITS / 2;
    s.set_order(p, game::Order::MoveTo { x: goal_x, y: C });
    let mut max_chunk = 3;
    for t in 1..3_000u64 {
        s.tick(t * 50);
        let (x, y) = s.position(p).unwrap();
        let (cx, cy) = MapGeometry::chunk_of(x, y);
        assert_eq!(state(&s, cx, cy), ChunkState::Resident, "entered chunk ({cx}, {cy}) unloaded");
        max_chunk = max_chunk.max(cx);
        if s.order(p).unwrap().current == game::Order::Idle {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let last = s.order(p).unwrap().last;
    assert_eq!(last, Some((game::Order::MoveTo { x: goal_x, y: C }, game::Outcome::Done)));
    assert_eq!(max_chunk, 6);
}

#[test]
fn spawn_on_a_real_map_moves_off_an_occupied_spot() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim_with(&dir, open_content());
    let layout = game::WorldLayout::from_maps(vec![s.geometry()]);
    let mut saves = |_: u32, _: i32, _: i32| Ok(());
    let mut spawner = game::Spawner::new(0, C, C, 1);
    let mut first = None;
    s.request_area(C, C);
    tick_until(&mut s, 0, |s| s.world.resource(s.keys.chunks).is_resident_at(C, C));
    for _ in 0..2 {
        let mut view = game::world_view::LocalSpawn { sim: &mut s, save: &mut saves };
        match spawner.step(&layout, &mut view) {
            game::SpawnDecision::Spawn { x, y, .. } => {
                first = Some(s.spawn_character(Controller::Player(1), x, y))
            }
            d => panic!("unexpected {d:?}"),
        }
        s.tick(0);
        spawner = game::Spawner::new(0, C, C, 2);
    }
    let positions: Vec<_> = s
        .world
        .column(s.keys.x)
        .values()
        .iter()
        .copied()
        .zip(s.world.column(s.keys.y).values().iter().copied())
        .collect();
    assert_eq!(positions.len(), 2);
    assert!(s.position(first.unwrap()).is_some());
    let (a, b) = (positions[0], positions[1]);
    let d2 = i64::from(a.0 - b.0).pow(2) + i64::from(a.1 - b.1).pow(2);
    assert!((154 * 154..=512 * 512).contains(&d2), "second spawn is a nearby free spot: {a:?} {b:?}");
}

#[test]
fn two_spawns_in_one_tick_never_share_a_spot() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim_with(&dir, open_content());
    let layout = game::WorldLayout::from_maps(vec![s.geometry()]);
    let mut saves = |_: u32, _: i32, _: i32| Ok(());
    s.request_area(C, C);
    tick_until(&mut s, 0, |s| s.world.resource(s.keys.chunks).is_resident_at(C, C));
    let mut spots = Vec::new();
    // No tick between the spawns: the second must see the first although the grid has not been
    // rebuilt yet.
    for seed in 0..2 {
        let mut spawner = game::Spawner::new(0, C, C, seed);
        let mut view = game::world_view::LocalSpawn { sim: &mut s, save: &mut saves };
        match spawner.step(&layout, &mut view) {
            game::SpawnDecision::Spawn { x, y, .. } => {
                s.spawn_character(Controller::Player(seed as i64 + 1), x, y);
                spots.push((x, y));
            }
            d => panic!("unexpected {d:?}"),
        }
    }
    let (a, b) = (spots[0], spots[1]);
    assert_ne!(a, b);
    let d2 = i64::from(a.0 - b.0).pow(2) + i64::from(a.1 - b.1).pow(2);
    assert!(d2 >= 154 * 154, "characters overlap: {a:?} {b:?}");
}
