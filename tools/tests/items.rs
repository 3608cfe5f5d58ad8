//! Items over the wire against a shard in process: the inventory shown from login on, moves
//! into a bag and their refusals (each with its code and request id), drops that lie on the
//! ground as piles other clients see, a race of two players for one pile (exactly one gets
//! it), and the stored items after a restart: nothing duplicated, nothing lost.

mod common;

use common::{InProcess, Player, TestDb, unique};
use game::Content;
use game::shard::ShardOptions;
use game::wire::error as code;
use net::protocol::{ANY_SLOT, ClientMessage, ContainerRef, EntityId, ItemSlot};
use std::collections::BTreeMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn content() -> Content {
    Content::builtin()
}

fn kind(name: &str) -> u32 {
    content().item_named(name).map(|k| k.id).expect("shipped item kind")
}

fn start(db: &TestDb) -> InProcess {
    InProcess::start(db.store_config(), ShardOptions { bots: 0, ..ShardOptions::default() })
}

fn login(shard: &InProcess, name: &str) -> Player {
    let mut p =
        Player::connect(shard.addr, name, net::protocol::SessionToken::random().unwrap().0).expect("login");
    assert!(p.pump_until(WAIT, |p| p.game.container(&ContainerRef::Own).is_some()), "own inventory shown");
    p
}

/// The slot holding the first stack of `kind` in `c`.
fn slot_of(p: &Player, c: &ContainerRef, kind: u32) -> Option<ItemSlot> {
    p.game.container(c)?.slots.values().find(|s| s.kind == kind).copied()
}

/// What `p` holds in all it sees, by (kind, quality).
fn held(p: &Player) -> BTreeMap<(u32, u32), u32> {
    let mut out = BTreeMap::new();
    for view in p.game.containers().values() {
        for s in view.slots.values() {
            *out.entry((s.kind, s.quality)).or_default() += s.count;
        }
    }
    out
}

fn send(p: &mut Player, msg: ClientMessage) {
    p.client.send(&msg).expect("send");
}

/// Piles of the pile kind `p` sees in its chunks: (entity, x, y).
fn piles(p: &Player) -> Vec<(u64, i32, i32)> {
    let pile = content().pile_kind().expect("pile kind").id;
    let chunks = p.game.world().chunks();
    let mut out = Vec::new();
    for &(cx, cy) in chunks.keys() {
        let Some(chunk) = chunks.get(cx, cy) else { continue };
        out.extend(
            chunk.objects().iter().filter(|o| u32::from(o.kind) == pile).map(|o| (o.entity, o.x, o.y)),
        );
    }
    out
}

#[test]
fn the_inventory_is_shown_and_moves_change_it_or_are_refused_with_their_code() {
    let db = TestDb::sqlite();
    let shard = start(&db);
    let mut p = login(&shard, &unique("inv"));
    let bag = slot_of(&p, &ContainerRef::Own, kind("bag")).expect("the starter kit has a bag");
    let bag_ref = ContainerRef::Item(bag.item);
    assert!(p.pump_until(WAIT, |p| p.game.container(&bag_ref).is_some()), "the bag's contents are shown too");
    let berries = slot_of(&p, &ContainerRef::Own, kind("berries")).expect("berries in the kit");
    let before = held(&p);

    // Three berries into the bag: the inventory and the bag change, nothing else.
    let m = p.game.move_request((ContainerRef::Own, berries.slot), (bag_ref, ANY_SLOT), 3);
    send(&mut p, ClientMessage::InventoryMove(m));
    let moved = p.pump_until(WAIT, |p| slot_of(p, &bag_ref, kind("berries")).is_some_and(|s| s.count == 3));
    assert!(moved, "berries in the bag; errors: {:?}", p.errors);
    assert!(p.pump_until(WAIT, |p| {
        slot_of(p, &ContainerRef::Own, kind("berries")).is_some_and(|s| s.count == berries.count - 3)
    }));
    assert_eq!(held(&p), before, "a move creates and destroys nothing");

    // A request made against an old revision is stale.
    let mut stale = p.game.move_request((ContainerRef::Own, berries.slot), (bag_ref, ANY_SLOT), 1);
    stale.from_revision -= 1;
    send(&mut p, ClientMessage::InventoryMove(stale));
    // The bag into itself, and a slot that does not exist.
    let into_itself = p.game.move_request((ContainerRef::Own, bag.slot), (bag_ref, ANY_SLOT), 1);
    send(&mut p, ClientMessage::InventoryMove(into_itself));
    let no_slot = p.game.move_request((ContainerRef::Own, 500), (bag_ref, ANY_SLOT), 1);
    send(&mut p, ClientMessage::InventoryMove(no_slot));
    // A world object that is not open for the player.
    let not_open =
        p.game.move_request((ContainerRef::Object(EntityId(u64::MAX)), 0), (ContainerRef::Own, ANY_SLOT), 1);
    send(&mut p, ClientMessage::InventoryMove(not_open));
    let expected = [
        (code::STALE, stale.request),
        (code::WOULD_CONTAIN_ITSELF, into_itself.request),
        (code::NO_SUCH_SLOT, no_slot.request),
        (code::NO_SUCH_CONTAINER, not_open.request),
    ];
    assert!(p.pump_until(WAIT, |p| p.errors.len() >= expected.len()), "errors: {:?}", p.errors);
    let got: Vec<(u16, u32)> = p.errors.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(got, expected, "each refusal has its own code and carries its request id");
    assert_eq!(held(&p), before, "refusals change nothing");
    drop(p);
    let (report, _) = shard.stop();
    assert!(report.flush.complete(), "{report}");
    assert_eq!(db.orphaned_items(), 0);
}

/// Logs a new player in and out, so it exists with a stored position; returns its name and token.
fn create(shard: &InProcess, prefix: &str) -> (String, [u8; 32]) {
    let name = unique(prefix);
    let p = login(shard, &name);
    let token = p.token();
    drop(p);
    (name, token)
}

fn relogin(shard: &InProcess, (name, token): &(String, [u8; 32])) -> Player {
    let mut p = Player::connect(shard.addr, name, *token).expect("login again");
    assert!(p.pump_until(WAIT, |p| p.game.container(&ContainerRef::Own).is_some() && p.position().is_some()));
    p
}

#[test]
fn a_drop_lies_on_the_ground_and_exactly_one_of_two_racers_picks_it_up() {
    drop_and_race(TestDb::sqlite());
}

#[test]
fn a_drop_and_a_pickup_race_on_postgres() {
    if let Some(db) = TestDb::postgres() {
        drop_and_race(db);
    }
}

fn drop_and_race(db: TestDb) {
    let shard = start(&db);
    let accounts = [create(&shard, "dropper"), create(&shard, "racer"), create(&shard, "racer")];
    let (report, _) = shard.stop();
    assert!(report.complete(), "{report}");
    // The racers stand two tiles east of the dropper, one a tile north, one a tile south.
    let spot = |name: &str| format!("(SELECT id FROM players WHERE name = '{name}')");
    for (i, dy) in [(1, -256), (2, 256)] {
        let sql = format!(
            "UPDATE player_positions SET x = (SELECT x FROM player_positions WHERE id = {a}) + 512, \
             y = (SELECT y FROM player_positions WHERE id = {a}) + {dy} WHERE id = {me}",
            a = spot(&accounts[0].0),
            me = spot(&accounts[i].0)
        );
        db.execute(&sql);
    }
    let shard = start(&db);
    let [mut a, mut b, mut c] = accounts.each_ref().map(|acc| relogin(&shard, acc));
    let items_before = db.items();
    let branches = slot_of(&a, &ContainerRef::Own, kind("branch")).expect("branches in the kit");
    let total = |ps: &[&Player]| {
        ps.iter()
            .map(|p| held(p).get(&(kind("branch"), *game::shard::STARTER_QUALITY)).copied().unwrap_or(0))
            .sum::<u32>()
    };
    let start_total = total(&[&a, &b, &c]);

    let d = a.game.drop_request(ContainerRef::Own, branches.slot, 2);
    send(&mut a, ClientMessage::Drop(d));
    assert!(a.pump_until(WAIT, |p| !piles(p).is_empty()), "the dropper sees the pile");
    let (pile, px, py) = piles(&a)[0];
    assert!(common::tiles((px, py), a.position().unwrap()) <= 2.0, "the pile lies beside the dropper");
    for p in [&mut b, &mut c] {
        assert!(p.pump_until(WAIT, |p| piles(p).iter().any(|x| x.0 == pile)), "others see the pile");
    }

    // The dropper walks off west; both racers ask for the pile in the same tick or two.
    let (ax, ay) = a.position().unwrap();
    a.order(net::protocol::Order::MoveTo { x: ax - 4 * 256, y: ay });
    assert!(a.pump_until(WAIT, |p| p.position().is_some_and(|q| common::tiles(q, (px, py)) > 2.0)));
    let (pb, pc) = (b.game.pickup_request(EntityId(pile)), c.game.pickup_request(EntityId(pile)));
    send(&mut b, ClientMessage::Pickup(pb));
    send(&mut c, ClientMessage::Pickup(pc));
    let gone = |p: &Player| piles(p).iter().all(|x| x.0 != pile);
    for p in [&mut b, &mut c, &mut a] {
        let left = p.pump_until(WAIT, gone);
        assert!(
            left,
            "the emptied pile leaves everyone's view; errors {:?}, order {:?}",
            p.errors,
            p.game.world().own()
        );
    }
    b.pump(Duration::from_millis(300));
    c.pump(Duration::from_millis(300));
    a.pump(Duration::from_millis(300));
    let gained =
        |p: &Player| held(p).get(&(kind("branch"), *game::shard::STARTER_QUALITY)).copied().unwrap_or(0);
    let (gb, gc) = (gained(&b), gained(&c));
    assert!(
        (gb == branches.count + 2 && gc == branches.count)
            || (gc == branches.count + 2 && gb == branches.count),
        "exactly one racer got the pile: {gb} / {gc}"
    );
    assert_eq!(total(&[&a, &b, &c]), start_total, "nothing duplicated, nothing lost");
    // The loser's Pickup is answered: an Error carrying its request id (the pile is gone).
    let (loser, request) = if gb > gc { (&mut c, pc.request) } else { (&mut b, pb.request) };
    let answered = loser.pump_until(WAIT, |p| p.errors.iter().any(|e| e.1 == request));
    assert!(answered, "the losing pickup is answered; errors {:?}", loser.errors);

    drop((a, b, c));
    let (report, _) = shard.stop();
    assert!(report.complete(), "{report}");
    assert_eq!(db.items(), items_before, "the pile's stack merged into the winner's: no new row");
    assert_eq!(db.count("SELECT count(*) FROM objects WHERE holds_items"), 0, "no pile left stored");
    assert_eq!(db.orphaned_items(), 0);
}

/// Boxes of the box kind `p` sees in its chunks: (entity, x, y).
fn boxes(p: &Player) -> Vec<(u64, i32, i32)> {
    let kind = content().object("box").expect("box kind").id;
    let chunks = p.game.world().chunks();
    let mut out = Vec::new();
    for &(cx, cy) in chunks.keys() {
        let Some(chunk) = chunks.get(cx, cy) else { continue };
        out.extend(
            chunk.objects().iter().filter(|o| u32::from(o.kind) == kind).map(|o| (o.entity, o.x, o.y)),
        );
    }
    out
}

fn interact(p: &mut Player, target: u64, verb: u8) {
    p.order(net::protocol::Order::Interact { target: EntityId(target), action: verb });
}

#[test]
fn a_placed_box_holds_items_across_a_restart_closes_out_of_reach_and_is_picked_up_only_when_empty() {
    place_and_stash(TestDb::sqlite());
}

#[test]
fn a_placed_box_on_postgres() {
    if let Some(db) = TestDb::postgres() {
        place_and_stash(db);
    }
}

fn place_and_stash(db: TestDb) {
    let shard = start(&db);
    let account = create(&shard, "boxer");
    let mut p = relogin(&shard, &account);
    let the_box = slot_of(&p, &ContainerRef::Own, kind("box")).expect("the starter kit has a box");
    let before = held(&p);

    // Dropping the box item alone places a box object beside the character.
    let d = p.game.drop_request(ContainerRef::Own, the_box.slot, 1);
    send(&mut p, ClientMessage::Drop(d));
    assert!(p.pump_until(WAIT, |p| !boxes(p).is_empty()), "the box stands in the world");
    assert!(slot_of(&p, &ContainerRef::Own, kind("box")).is_none(), "the box item left the inventory");
    let (entity, bx, by) = boxes(&p)[0];
    let box_ref = ContainerRef::Object(EntityId(entity));

    // Open it and stash the berries.
    interact(&mut p, entity, game::wire::verb::USE);
    assert!(p.pump_until(WAIT, |p| p.game.container(&box_ref).is_some()), "opened; errors {:?}", p.errors);
    let berries = slot_of(&p, &ContainerRef::Own, kind("berries")).unwrap();
    let m = p.game.move_request(
        (ContainerRef::Own, berries.slot),
        (box_ref, ANY_SLOT),
        u16::try_from(berries.count).unwrap(),
    );
    send(&mut p, ClientMessage::InventoryMove(m));
    assert!(p.pump_until(WAIT, |p| slot_of(p, &box_ref, kind("berries")).is_some()));
    // A box that holds items is not picked up.
    interact(&mut p, entity, game::wire::verb::PICK_UP);
    assert!(p.pump_until(WAIT, |p| p.errors.iter().any(|e| e.0 == code::NOT_EMPTY)), "errors {:?}", p.errors);

    // Walking away closes it (a tree in the way may block one direction: try others).
    let (x, y) = p.position().unwrap();
    let (sx, sy) = ((x - bx).signum().max(1), (y - by).signum());
    let ways = [(sx * 4, sy), (sx * 2, 4), (sx * 2, -4), (-sx * 4, 0)];
    let mut closed = false;
    for (dx, dy) in ways {
        p.order(net::protocol::Order::MoveTo { x: x + dx * 256, y: y + dy * 256 });
        if p.pump_until(Duration::from_secs(6), |p| p.game.container(&box_ref).is_none()) {
            closed = true;
            break;
        }
    }
    assert!(closed, "closed out of reach");
    drop(p);
    let (report, _) = shard.stop();
    assert!(report.complete(), "{report}");
    assert_eq!(db.count("SELECT count(*) FROM objects WHERE holds_items"), 1, "the box is stored");

    // After a restart the box and what it holds are back; take the berries and the box.
    let shard = start(&db);
    let mut p = relogin(&shard, &account);
    assert!(p.pump_until(WAIT, |p| boxes(p).iter().any(|b| b.0 != 0)), "the box is back");
    let (entity, ..) = boxes(&p)[0];
    let box_ref = ContainerRef::Object(EntityId(entity));
    interact(&mut p, entity, game::wire::verb::USE);
    assert!(p.pump_until(WAIT, |p| slot_of(p, &box_ref, kind("berries")).is_some()), "errors {:?}", p.errors);
    let stashed = slot_of(&p, &box_ref, kind("berries")).unwrap();
    let m = p.game.move_request(
        (box_ref, stashed.slot),
        (ContainerRef::Own, ANY_SLOT),
        u16::try_from(stashed.count).unwrap(),
    );
    send(&mut p, ClientMessage::InventoryMove(m));
    assert!(p.pump_until(WAIT, |p| slot_of(p, &ContainerRef::Own, kind("berries")).is_some()));
    interact(&mut p, entity, game::wire::verb::PICK_UP);
    assert!(
        p.pump_until(WAIT, |p| boxes(p).is_empty()),
        "the empty box was picked up; errors {:?}",
        p.errors
    );
    assert!(p.pump_until(WAIT, |p| held(p) == before), "everything is back in the inventory");
    drop(p);
    let (report, _) = shard.stop();
    assert!(report.complete(), "{report}");
    assert_eq!(db.count("SELECT count(*) FROM objects WHERE holds_items"), 0);
    assert_eq!(db.orphaned_items(), 0);
}
