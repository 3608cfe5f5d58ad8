//! Vitals in a map simulation with a hand-driven clock: hunger rises with the map's time, a
//! character eats food from its inventory (one item, one transaction, hunger lowered by the
//! food's value scaled by its quality), and every refusal (not food, not hungry, dead) changes
//! nothing.

mod map_common;

use engine::{Entity, ResourceKey};
use game::gameplay::items::{ItemRequest, MapItems};
use game::geom::CHUNK_UNITS;
use game::items::Source;
use game::stats::{Experience, Vitals};
use game::wire::error;
use game::{Content, MapSim};
use map_common::{enter_player, flush_until_idle, map_with_items, tick_until_resident};
use net::protocol::ServerMessage;
use std::sync::Arc;
use store::{Container, ItemRecord, Store};

const C: i32 = 3 * CHUNK_UNITS + CHUNK_UNITS / 2;
const PLAYER: i64 = 1;

struct Map {
    sim: MapSim,
    items: ResourceKey<MapItems>,
    store: Arc<Store>,
    me: Entity,
    now: u64,
}

/// A map with one player holding 5 berries of quality 40 (slot 0) and 3 branches (slot 1).
fn map(dir: &tempfile::TempDir) -> Map {
    let content = Arc::new(Content::builtin());
    let (mut sim, items, store) = map_with_items(dir, content.clone());
    let kind = |n: &str| content.item_named(n).unwrap().id;
    let at = |id, k, quality, count, slot| ItemRecord {
        id,
        kind: kind(k),
        quality,
        count,
        container: Container::Player(PLAYER),
        slot,
    };
    let kit = vec![at(100, "berries", 40, 5, 0), at(101, "branch", 10, 3, 1)];
    let me = enter_player((&mut sim, items, &store), (PLAYER, "eater"), &kit, (C, C));
    tick_until_resident(&mut sim, (C, C), 1_000);
    Map { sim, items, store, me, now: 1_000 }
}

impl Map {
    fn vitals(&self) -> Vitals {
        self.sim.stats(self.me).unwrap().0
    }

    fn set_hunger(&mut self, hunger: u16, health: u16) {
        let mut v = self.vitals();
        (v.hunger, v.health) = (hunger, health);
        assert!(self.sim.set_stats(self.me, v, Experience::default()));
    }

    fn eat(&mut self, slot: u16, request: u32) -> Vec<u16> {
        let from = Source::new(Container::Player(PLAYER), slot);
        self.sim.world.resource_mut(self.items).request(ItemRequest::Use { player: PLAYER, request, from });
        self.sim.tick(self.now);
        let outbox = self.sim.world.resource_mut(self.items).take_outbox();
        outbox
            .into_iter()
            .filter_map(|(_, m)| match m {
                ServerMessage::Error(e) => {
                    assert_eq!(e.request, request, "the error names its request");
                    Some(e.code)
                }
                _ => None,
            })
            .collect()
    }

    fn count(&self, slot: u16) -> Option<u32> {
        let world = &self.sim.world.resource(self.items).world;
        world.item_at(Container::Player(PLAYER), slot).map(|i| i.count)
    }
}

#[test]
fn hunger_rises_with_the_maps_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir);
    let rules = m.sim.content.stats;
    assert_eq!(m.vitals(), Vitals::rested(&rules));
    let per_point = u64::from(rules.hunger_seconds) * 1000;
    // Ticks every 250 ms: the system applies whole seconds only.
    let until = m.now + 3 * per_point;
    while m.now < until {
        m.now += 250;
        m.sim.tick(m.now);
    }
    assert_eq!(m.vitals().hunger, 3);
    assert_eq!(m.vitals().health, rules.max_health);
}

#[test]
fn eating_takes_one_item_and_lowers_hunger_by_its_quality() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir);
    m.set_hunger(30, 100);
    // Berries: food 5 at quality 40: 5 × sqrt(40/10) = 10 points.
    assert_eq!(m.eat(0, 1), Vec::<u16>::new());
    assert_eq!(m.vitals().hunger, 20);
    assert_eq!(m.count(0), Some(4));
    flush_until_idle(&m.store);
    let stored = m.store.connect().unwrap().load_items(Container::Player(PLAYER)).unwrap();
    let berries = stored.items.iter().find(|i| i.id == 100).unwrap();
    assert_eq!(berries.count, 4, "the eaten berry is gone from storage too");
}

#[test]
fn refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir);
    m.set_hunger(30, 100);
    assert_eq!(m.eat(1, 2), [error::NOT_USABLE], "a branch is not food");
    assert_eq!(m.eat(5, 3), [error::EMPTY_SLOT]);
    m.set_hunger(0, 100);
    assert_eq!(m.eat(0, 4), [error::NOT_HUNGRY]);
    m.set_hunger(30, 0);
    assert_eq!(m.eat(0, 5), [error::DEAD]);
    assert_eq!((m.count(0), m.count(1)), (Some(5), Some(3)));
    assert_eq!(m.vitals().hunger, 30);
}
