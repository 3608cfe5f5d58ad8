//! The items feature in a map simulation on the SQLite backend with a hand-driven clock: a drop
//! becomes a pile object holding the stack, stored with its chunk; the chunk unloads with the
//! pile's items once nobody is near and brings them back when it loads again; a pickup empties
//! and removes the pile in one transaction; a drop never lands behind an object it could not be
//! walked to past.

use engine::{Entity, ResourceKey};
use game::content::ContentTexts;
use game::gameplay::items::{self, ItemRequest, MapItems};
use game::geom::{CHUNK_UNITS, MapGeometry, map_id};
use game::items::Source;
use game::wire::verb;
use game::{Content, Controller, MapSim, Order, SimConfig, SimParts};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{
    Container, ItemOp, ItemRecord, ItemTx, ObjectRecord, PlayerRecord, Position, Store, StoreConfig,
};

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

/// Drops around a character hemmed in by trees on every side but one: every pile lands where the
/// straight way from the character is clear (inside the ring or out through the gap), never
/// behind a tree where straight-line steering could not take the character to pick it up.
#[test]
fn a_drop_never_lands_behind_an_object() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir);
    let kit = create_player(&m.store);
    let me = m.sim.spawn_character(Controller::Player(PLAYER), C, C);
    m.sim.world.resource_mut(m.items).enter(PLAYER, me, &kit);
    tick_until(&mut m, 1_000, |m| m.sim.world.resource(m.sim.keys.chunks).is_resident_at(C, C));
    for (e, _) in m.sim.objects_near(C, C, 8 * 256) {
        assert!(m.sim.remove_object(e));
    }
    // Trees (radius 80) every 20° on a circle 1.2 tiles out, except toward the east.
    let tree = m.sim.content.objects.iter().find(|k| k.name == "tree").unwrap();
    let (tree_kind, tree_r) = (tree.id, tree.radius);
    let ring = 307;
    let mut trees = Vec::new();
    for k in 2..17 {
        let a = std::f64::consts::TAU * f64::from(k) / 18.0;
        let at = (C + (f64::from(ring) * a.cos()) as i32, C + (f64::from(ring) * a.sin()) as i32);
        let (gx, gy) = MapGeometry::chunk_of(at.0, at.1);
        let rec = ObjectRecord {
            id: (1 << 40) + i64::from(k),
            map: map_id(0, 0),
            grid_x: gx,
            grid_y: gy,
            kind: tree_kind,
            pos: Position { x: at.0, y: at.1 },
            ..Default::default()
        };
        m.sim.insert_object(rec).unwrap();
        trees.push(at);
    }
    // Drops of one branch until no spot is left: the first fill the room inside the ring, the
    // next go out through the gap, then a drop is refused with 106 (no room on the ground).
    let mut refused = None;
    for request in 1..=9 {
        let from = Source::new(Container::Player(PLAYER), 0);
        let drop = ItemRequest::Drop { player: PLAYER, request, from, count: 1 };
        m.sim.world.resource_mut(m.items).request(drop);
        let before = piles(&m).len();
        let mut errors = Vec::new();
        tick_until(&mut m, 2_000, |m| {
            let outbox = m.sim.world.resource_mut(m.items).take_outbox();
            errors.extend(outbox.into_iter().filter_map(|(_, msg)| match msg {
                net::protocol::ServerMessage::Error(e) => Some(e.code),
                _ => None,
            }));
            piles(m).len() > before || !errors.is_empty()
        });
        if let Some(&code) = errors.first() {
            refused = Some((request, code));
            break;
        }
    }
    let r = m.sim.content.character.radius;
    let mut outside = 0;
    for pile in piles(&m) {
        let at = m.sim.position(pile).unwrap();
        for &t in &trees {
            let d = segment_distance((C, C), at, t);
            assert!(d >= f64::from(tree_r + r / 2), "pile at {at:?} lies behind the tree at {t:?} ({d:.0})");
        }
        let away = f64::from(at.0 - C).hypot(f64::from(at.1 - C));
        if away > f64::from(ring) {
            outside += 1;
            assert!(at.0 > C, "a pile outside the ring went out through the gap to the east: {at:?}");
        }
    }
    assert!(outside > 0, "the ring filled up and some piles went further out");
    let (request, code) = refused.expect("the ground around the character filled up");
    assert_eq!(code, game::wire::error::NO_ROOM, "drop {request} refused for want of a spot");
}

/// Distance from `p` to the segment `a`–`b`.
fn segment_distance(a: (i32, i32), b: (i32, i32), p: (i32, i32)) -> f64 {
    let (ax, ay, bx, by) = (f64::from(a.0), f64::from(a.1), f64::from(b.0), f64::from(b.1));
    let (px, py) = (f64::from(p.0), f64::from(p.1));
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 { 0.0 } else { (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0) };
    (px - (ax + t * dx)).hypot(py - (ay + t * dy))
}
