//! Each spawn fallback path, on a fake world: saved spot, nearest free spot, random local spot,
//! hand-off to another shard (position saved first), waiting for chunks, and the bounded failure.

use game::geom::{MapGeometry, WorldLayout, map_id};
use game::{Probe, SpawnDecision, SpawnError, SpawnWorld, Spawner};

struct Fake {
    local: Vec<u32>,
    free: Box<dyn Fn(u32, i32, i32) -> Probe>,
    saved: Vec<(u32, i32, i32)>,
}

impl SpawnWorld for Fake {
    fn is_local(&self, map: u32) -> bool {
        self.local.contains(&map)
    }
    fn probe(&mut self, map: u32, x: i32, y: i32) -> Probe {
        (self.free)(map, x, y)
    }
    fn save_position(&mut self, map: u32, x: i32, y: i32) -> Result<(), String> {
        self.saved.push((map, x, y));
        Ok(())
    }
}

fn layout() -> WorldLayout {
    WorldLayout::from_maps(vec![MapGeometry::new(map_id(0, 0), 4, 4), MapGeometry::new(map_id(0, 1), 4, 4)])
}

const P: i32 = 100 * 256;

#[test]
fn saved_position_when_free() {
    let mut w = Fake { local: vec![0], free: Box::new(|_, _, _| Probe::Free), saved: vec![] };
    let d = Spawner::new(0, P, P, 1).step(&layout(), &mut w);
    assert_eq!(d, SpawnDecision::Spawn { map: 0, x: P, y: P });
}

#[test]
fn nearest_free_spot_within_two_tiles() {
    // Free only strictly east of P + 1 tile.
    let free = |_, x: i32, _| if x >= P + 256 { Probe::Free } else { Probe::Blocked };
    let mut w = Fake { local: vec![0], free: Box::new(free), saved: vec![] };
    let d = Spawner::new(0, P, P, 1).step(&layout(), &mut w);
    assert_eq!(d, SpawnDecision::Spawn { map: 0, x: P + 256, y: P });
}

#[test]
fn random_spot_on_a_surface_map() {
    let free = |_, x: i32, _| if (P - 512..=P + 512).contains(&x) { Probe::Blocked } else { Probe::Free };
    let mut w = Fake { local: vec![0], free: Box::new(free), saved: vec![] };
    match Spawner::new(0, P, P, 7).step(&layout(), &mut w) {
        SpawnDecision::Spawn { map, x, y } => {
            assert_eq!(map, 0, "layer 0 only");
            assert!(MapGeometry::new(0, 4, 4).in_walkable(x, y));
        }
        d => panic!("expected a random spawn, got {d:?}"),
    }
}

#[test]
fn hand_off_when_the_random_map_is_remote() {
    let two = WorldLayout::from_maps(vec![
        MapGeometry::new(map_id(0, 0), 4, 4),
        MapGeometry::new(map_id(1, 0), 4, 4),
    ]);
    let mut w = Fake { local: vec![map_id(0, 0)], free: Box::new(|_, _, _| Probe::Blocked), saved: vec![] };
    let mut s = Spawner::new(map_id(0, 0), P, P, 3);
    let d = s.step(&two, &mut w);
    match d {
        SpawnDecision::HandOff { map, x, y } => {
            assert_eq!(map, map_id(1, 0));
            assert_eq!(w.saved, vec![(map, x, y)], "position saved before the hand-off");
        }
        d => panic!("expected a hand-off, got {d:?}"),
    }
}

#[test]
fn waits_for_chunks_then_spawns() {
    let mut w = Fake { local: vec![0], free: Box::new(|_, _, _| Probe::Unknown), saved: vec![] };
    let mut s = Spawner::new(0, P, P, 1);
    assert_eq!(s.step(&layout(), &mut w), SpawnDecision::Wait);
    w.free = Box::new(|_, _, _| Probe::Free);
    assert_eq!(s.step(&layout(), &mut w), SpawnDecision::Spawn { map: 0, x: P, y: P });
}

#[test]
fn bounded_retries_then_clear_error() {
    let mut w = Fake { local: vec![0], free: Box::new(|_, _, _| Probe::Blocked), saved: vec![] };
    let mut s = Spawner::new(0, P, P, 1);
    match s.step(&layout(), &mut w) {
        SpawnDecision::Failed(SpawnError::NoFreeSpot { attempts }) => {
            assert_eq!(attempts, game::spawn::MAX_RANDOM_ATTEMPTS)
        }
        d => panic!("expected failure, got {d:?}"),
    }
}
