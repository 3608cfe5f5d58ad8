//! Gameplay as systems with declared access: orders queue interact and attack actions once in
//! reach, a gameplay system judges them and changes its own column, the drain ends or keeps the
//! orders by the result; without gameplay every action completes at once; a gameplay system
//! touching a column it did not declare panics.

use engine::{ColumnKey, Entity};
use game::geom::{CHUNK_UNITS, MapGeometry, map_id};
use game::orders::Impossible;
use game::{ActionKind, ActionResult, Content, Controller, MapSim, Order, Outcome, SimConfig, SimParts};
use std::sync::Arc;
use store::{Store, StoreConfig};

const C: i32 = 3 * CHUNK_UNITS + CHUNK_UNITS / 2;

fn sim(dir: &tempfile::TempDir) -> MapSim {
    let store = Arc::new(Store::open(StoreConfig::sqlite(dir.path().join("world.db"))).expect("open sqlite"));
    let parts = SimParts {
        content: Arc::new(Content::builtin()),
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
fn without_gameplay_an_action_completes_its_order_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim(&dir);
    let (a, b) = pair(&mut s);
    for order in [Order::Interact { target: b, verb: 0 }, Order::Attack { target: b }] {
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
