//! The items feature in a map simulation on the SQLite backend with a hand-driven clock: a drop
//! becomes a pile object holding the stack, stored with its chunk; the chunk unloads with the
//! pile's items once nobody is near and brings them back when it loads again; a pickup empties
//! and removes the pile in one transaction.

use engine::{Entity, ResourceKey};
use game::content::ContentTexts;
use game::gameplay::items::{self, ItemRequest, MapItems};
use game::geom::{CHUNK_UNITS, MapGeometry, map_id};
use game::items::Source;
use game::wire::verb;
use game::{Content, Controller, MapSim, Order, SimConfig, SimParts};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{Container, ItemOp, ItemRecord, ItemTx, PlayerRecord, Store, StoreConfig};

const C: i32 = 3 * CHUNK_UNITS + CHUNK_UNITS / 2;
const PLAYER: i64 = 1;

/// The shipped content with no blocking terrain, so a free spot is always beside the character.
fn content() -> Content {
    let terrain = ContentTexts::BUILTIN.terrain.replace("blocks = true", "blocks = false");
    Content::from_texts(ContentTexts { terrain: &terrain, ..ContentTexts::BUILTIN }).unwrap()
}

struct Map {
    sim: MapSim,
    items: ResourceKey<MapItems>,
    store: Arc<Store>,
}

fn map(dir: &tempfile::TempDir) -> Map {
    let store = Arc::new(Store::open(StoreConfig::sqlite(dir.path().join("world.db"))).expect("open sqlite"));
    let parts = SimParts {
        content: Arc::new(content()),
        map: MapGeometry::new(map_id(0, 0), 8, 8),
        seed: 7,
        store: store.clone(),
        config: SimConfig::default(),
    };
    let mut sim = MapSim::new(parts).expect("sim");
    let items = items::install(&mut sim, store.clone()).expect("items");
    Map { sim, items, store }
}

/// Stores a player with 10 branches (id 100) and 5 berries (id 101), as a creation does.
fn create_player(store: &Store) -> Vec<ItemRecord> {
    let c = content();
    let kind = |n: &str| c.item_named(n).unwrap().id;
    let at = |id, k, count, slot| ItemRecord {
        id,
        kind: kind(k),
        quality: 0,
        count,
        container: Container::Player(PLAYER),
        slot,
    };
    let kit = vec![at(100, "branch", 10, 0), at(101, "berries", 5, 1)];
    let record =
        PlayerRecord { id: PLAYER, name: "piler".into(), token_hash: vec![1; 32], ..Default::default() };
    let tx = ItemTx::new("kit", kit.iter().map(|&r| ItemOp::Put(r)).collect());
    store.writer().create_player(record, tx).unwrap().wait(Duration::from_secs(10)).unwrap();
    kit
}

/// Ticks at a fixed clock until `done` (the wait is for worker threads, not asserted on time).
fn tick_until(m: &mut Map, now: u64, mut done: impl FnMut(&Map) -> bool) {
    let start = Instant::now();
    while !done(m) {
        assert!(start.elapsed() < Duration::from_secs(60), "condition never reached");
        m.sim.tick(now);
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn piles(m: &Map) -> Vec<Entity> {
    let pile = m.sim.content.pile_kind().unwrap().id;
    m.sim.objects_near(C, C, 4 * 256).into_iter().filter(|&(_, k)| k == pile).map(|(e, _)| e).collect()
}

fn pile_items(m: &Map, e: Entity) -> Vec<ItemRecord> {
    let id = m.sim.world.column(m.sim.keys.object).get(e).unwrap().id;
    m.sim.world.resource(m.items).world.items_in(Container::Object(id)).copied().collect()
}

#[test]
fn a_pile_lives_with_its_chunk_and_a_pickup_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir);
    let kit = create_player(&m.store);
    let me = m.sim.spawn_character(Controller::Player(PLAYER), C, C);
    m.sim.world.resource_mut(m.items).enter(PLAYER, me, &kit);
    tick_until(&mut m, 1_000, |m| m.sim.world.resource(m.sim.keys.chunks).is_resident_at(C, C));

    // Drop 4 of the 10 branches: a pile with a new stack of 4 appears beside the character.
    let from = Source::new(Container::Player(PLAYER), 0);
    m.sim.world.resource_mut(m.items).request(ItemRequest::Drop {
        player: PLAYER,
        request: 1,
        from,
        count: 4,
    });
    tick_until(&mut m, 1_000, |m| !piles(m).is_empty());
    let pile = piles(&m)[0];
    let dropped = pile_items(&m, pile);
    assert_eq!(dropped.iter().map(|i| i.count).collect::<Vec<_>>(), [4]);
    let outbox = m.sim.world.resource_mut(m.items).take_outbox();
    assert!(
        outbox.iter().all(|(p, msg)| *p == PLAYER && !matches!(msg, net::protocol::ServerMessage::Error(_)))
    );

    // Everyone leaves; the chunk unloads after the idle time, and the pile's items with it.
    let departure = m.sim.world.resource_mut(m.items).leave(PLAYER);
    assert_eq!(departure.items.iter().map(|i| i.count).sum::<u32>(), 6 + 5);
    assert!(m.sim.despawn_character(me));
    tick_until(&mut m, 200_000, |m| !m.sim.world.resource(m.sim.keys.chunks).is_resident_at(C, C));
    m.sim.tick(200_000); // the items system takes the unload in at its next run
    assert_eq!(
        m.sim.world.resource(m.items).world.items_in(Container::Object(dropped[0].container_id())).count(),
        0
    );

    // Back again: the chunk loads with the pile and its stack, from storage.
    let me = m.sim.spawn_character(Controller::Player(PLAYER), C, C);
    m.sim.world.resource_mut(m.items).enter(PLAYER, me, &departure.items);
    tick_until(&mut m, 201_000, |m| !piles(m).is_empty() && !pile_items(m, piles(m)[0]).is_empty());
    let pile = piles(&m)[0];
    assert_eq!(pile_items(&m, pile), dropped, "the same stack, id and count, came back");

    // Pick it up: the stack merges into the branches, the pile leaves the world and storage.
    m.sim.set_order(me, Order::Interact { target: pile, verb: verb::PICK_UP });
    tick_until(&mut m, 201_000, |m| piles(m).is_empty());
    let held: u32 =
        m.sim.world.resource(m.items).world.items_in(Container::Player(PLAYER)).map(|i| i.count).sum();
    assert_eq!(held, 10 + 5, "everything is back in the inventory");
    let report = m.store.writer().flush(Duration::from_secs(10));
    assert!(report.complete(), "{report}");
    let mut db = m.store.connect().unwrap();
    let stored = db.load_items(Container::Player(PLAYER)).unwrap();
    assert_eq!(stored.items.iter().map(|i| i.count).sum::<u32>(), 15);
    assert!(db.load_items(Container::Object(dropped[0].container_id())).unwrap().items.is_empty());
}

/// The object id of the container an item lies in (objects only).
trait ContainerId {
    fn container_id(&self) -> i64;
}

impl ContainerId for ItemRecord {
    fn container_id(&self) -> i64 {
        match self.container {
            Container::Object(id) | Container::Player(id) | Container::Item(id) => id,
        }
    }
}
