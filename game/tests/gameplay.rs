//! Gameplay as systems with declared access: orders queue interact and attack actions once in
//! reach, a gameplay system judges them and changes its own column, the drain ends or keeps the
//! orders by the result; an action no system judges completes at once; a gameplay system
//! touching a column it did not declare panics.

use engine::{ColumnKey, Entity};
use game::content::ContentTexts;
use game::geom::{CHUNK_UNITS, MapGeometry, TILE, map_id};
use game::orders::Impossible;
use game::{ActionKind, ActionResult, Content, Controller, MapSim, Order, Outcome, SimConfig, SimParts};
use std::sync::Arc;
use store::{Store, StoreConfig};

const C: i32 = 3 * CHUNK_UNITS + CHUNK_UNITS / 2;

fn sim(dir: &tempfile::TempDir) -> MapSim {
    sim_with(dir, Content::builtin())
}

/// A map whose middle is open ground: no blocking terrain, and no objects within 16 tiles of
/// `(C, C)` once its chunks are resident.
fn open_ground(dir: &tempfile::TempDir) -> MapSim {
    let terrain = ContentTexts::BUILTIN.terrain.replace("blocks = true", "blocks = false");
    let content = Content::from_texts(ContentTexts { terrain: &terrain, ..ContentTexts::BUILTIN }).unwrap();
    let mut s = sim_with(dir, content);
    let probe = s.spawn_character(Controller::Player(99), C, C);
    let start = std::time::Instant::now();
    let resident = |s: &MapSim| {
        let chunks = s.world.resource(s.keys.chunks);
        [(-1, -1), (-1, 1), (1, -1), (1, 1)]
            .iter()
            .all(|&(dx, dy)| chunks.is_resident_at(C + dx * 16 * TILE, C + dy * 16 * TILE))
    };
    while !resident(&s) {
        assert!(start.elapsed().as_secs() < 60, "chunks never loaded");
        s.tick(0);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    for (e, _) in s.objects_near(C, C, 16 * TILE) {
        assert!(s.remove_object(e));
    }
    assert!(s.despawn_character(probe));
    s
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

/// Two players side by side, within reach of each other.
fn pair(s: &mut MapSim) -> (Entity, Entity) {
    let r = s.content.character.radius;
    let a = s.spawn_character(Controller::Player(1), C, C);
    let b = s.spawn_character(Controller::Player(2), C + 2 * r + 1, C);
    (a, b)
}

/// Adds a gameplay system counting hits on targets: interacts are done at once, attacks
/// continue until the third hit, attacks on a target with 5+ hits are refused.
fn add_hits(s: &mut MapSim) -> ColumnKey<u32> {
    let hits = s.world.register::<u32>("hits").unwrap();
    let queue = s.actions;
    s.gameplay_system("hits")
        .writes(hits)
        .writes_resource(queue)
        .run(move |ctx, _| {
            let mut hits = ctx.write(hits);
            for action in ctx.resource_mut(queue).actions_mut() {
                let Some(h) = hits.get_mut(action.target) else { continue };
                *h += 1;
                action.result = match action.kind {
                    ActionKind::Interact { .. } => ActionResult::Done,
                    ActionKind::Attack if *h > 5 => ActionResult::Refused,
                    ActionKind::Attack if *h % 3 == 0 => ActionResult::Done,
                    ActionKind::Attack => ActionResult::Continue,
                };
            }
        })
        .unwrap();
    hits
}

fn last(s: &MapSim, e: Entity) -> Option<(Order, Outcome)> {
    s.order(e).unwrap().last
}

#[test]
fn an_action_nobody_judges_completes_its_order_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim(&dir);
    let (a, b) = pair(&mut s);
    // Interacting with a character is judged by no system (attacks are: `tests/combat.rs`).
    for order in [Order::Interact { target: b, verb: 0 }, Order::Interact { target: b, verb: 1 }] {
        assert!(s.set_order(a, order));
        s.tick(50);
        assert_eq!(last(&s, a), Some((order, Outcome::Done)));
        assert_eq!(s.order(a).unwrap().current, Order::Idle);
        assert!(s.world.resource(s.actions).is_empty(), "the queue is drained every tick");
    }
}

#[test]
fn a_gameplay_system_judges_actions_and_changes_its_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim(&dir);
    let (a, b) = pair(&mut s);
    let hits = add_hits(&mut s);
    for e in [a, b] {
        s.world.insert(e, hits, 0).unwrap();
    }
    s.set_order(a, Order::Interact { target: b, verb: 0 });
    s.tick(50);
    assert_eq!(*s.world.column(hits).get(b).unwrap(), 1);
    assert_eq!(last(&s, a), Some((Order::Interact { target: b, verb: 0 }, Outcome::Done)));

    // Attacks continue until the third hit, then the order is done.
    let attack = Order::Attack { target: b };
    s.set_order(a, attack);
    s.tick(100);
    assert_eq!(s.order(a).unwrap().current, attack, "continue keeps the order");
    s.tick(150);
    assert_eq!(*s.world.column(hits).get(b).unwrap(), 3);
    assert_eq!(last(&s, a), Some((attack, Outcome::Done)));

    // Past five hits the attack is refused: the order ends as impossible.
    s.set_order(a, attack);
    for t in 0..3 {
        s.tick(200 + 50 * t);
    }
    assert_eq!(*s.world.column(hits).get(b).unwrap(), 6);
    assert_eq!(last(&s, a), Some((attack, Outcome::Impossible(Impossible::Refused))));
    assert_eq!(*s.world.column(hits).get(a).unwrap(), 0, "only targets are hit");
}

#[test]
#[should_panic(expected = "without declaring")]
fn a_gameplay_system_touching_an_undeclared_column_panics() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim(&dir);
    let (a, b) = pair(&mut s);
    let (x, queue) = (s.keys.x, s.actions);
    s.gameplay_system("sneaky")
        .reads_resource(queue)
        .run(move |ctx, _| {
            for action in ctx.resource(queue).actions() {
                let _ = ctx.read(x).get(action.target);
            }
        })
        .unwrap();
    s.set_order(a, Order::Interact { target: b, verb: 0 });
    s.tick(50);
}

/// A target walled in by a ring of standing characters cannot be reached: the walker slides
/// along the ring (it moves, but comes no nearer) and its order ends blocked instead of running
/// forever; a target it can reach is still reached.
#[test]
fn an_order_that_comes_no_nearer_ends_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open_ground(&dir);
    let r = s.content.character.radius;
    let target = s.spawn_character(Controller::Player(2), C, C);
    let ring: i32 = 16;
    let ring_r = 4 * r;
    let mut ring_members = Vec::new();
    for i in 0..ring {
        let a = std::f64::consts::TAU * f64::from(i) / f64::from(ring);
        let (x, y) = (C + (f64::from(ring_r) * a.cos()) as i32, C + (f64::from(ring_r) * a.sin()) as i32);
        ring_members.push(s.spawn_character(Controller::Player(100 + i64::from(i)), x, y));
    }
    // Start off the ring's axis so the walker meets it at an angle and slides.
    let walker = s.spawn_character(Controller::Player(1), C + 12 * r, C + r);
    let order = Order::Interact { target, verb: 0 };
    assert!(s.set_order(walker, order));
    let limit = u64::from(SimConfig::default().stuck_ticks);
    let mut ticks = 0;
    while s.order(walker).unwrap().current == order {
        ticks += 1;
        assert!(ticks < 40 + 4 * limit, "the order still runs after {ticks} ticks");
        s.tick(50 * ticks);
    }
    assert_eq!(last(&s, walker), Some((order, Outcome::Impossible(Impossible::Blocked))));
    let (x, y) = s.position(walker).unwrap();
    let away = game::movement::dist(i64::from(x - C), i64::from(y - C));
    assert!(away >= i64::from(ring_r + r), "stopped outside the ring ({away})");

    // Open the ring: the same order now reaches the target.
    for e in ring_members {
        assert!(s.despawn_character(e));
    }
    assert!(s.set_order(walker, order));
    for t in 0..200 {
        s.tick(50 * (ticks + t));
    }
    assert_eq!(last(&s, walker), Some((order, Outcome::Done)));
}
