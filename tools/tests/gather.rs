//! Gathering over the wire against a shard in process: a player orders its character to use a
//! laden bush near it (an Input interact, action 0), walks there, works, and sees branches,
//! berries and seeds arrive in its inventory, its gathering experience in Stats and the bush
//! bare in an ObjectDelta; using the bare bush again is refused with 131 carrying the Input's
//! seq; a Plant of a branch is refused with 134 carrying its request id.

mod common;

use common::{InProcess, Player, TestDb, unique};
use game::Content;
use game::shard::ShardOptions;
use game::wire::{error as code, verb};
use net::protocol::{ClientMessage, ContainerRef, EntityId, Order};
use std::collections::BTreeMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn content() -> Content {
    Content::builtin()
}

fn kind(name: &str) -> u32 {
    content().item_named(name).map(|k| k.id).expect("shipped item kind")
}

/// What the own inventory holds, by kind.
fn held(p: &Player) -> BTreeMap<u32, u32> {
    let mut out = BTreeMap::new();
    for s in p.game.container(&ContainerRef::Own).map(|v| v.slots.values()).into_iter().flatten() {
        *out.entry(s.kind).or_default() += s.count;
    }
    out
}

/// Laden bushes `p` sees in its chunks, nearest first: (entity, x, y).
fn laden_bushes(p: &Player) -> Vec<(u64, i32, i32)> {
    let c = content();
    let bush = c.object("bush").expect("bush kind");
    let laden = bush.growth.as_ref().and_then(|g| g.stage_named("laden")).expect("laden stage");
    let chunks = p.game.world().chunks();
    let mut out = Vec::new();
    for &(cx, cy) in chunks.keys() {
        let Some(chunk) = chunks.get(cx, cy) else { continue };
        let objects = chunk.objects().iter();
        out.extend(
            objects
                .filter(|o| u32::from(o.kind) == bush.id && o.state == laden)
                .map(|o| (o.entity, o.x, o.y)),
        );
    }
    let (x, y) = p.position().unwrap_or_default();
    out.sort_by_key(|&(_, bx, by)| (i64::from(bx - x)).pow(2) + (i64::from(by - y)).pow(2));
    out
}

/// Sends an interact (use) on `target` and pumps until the order ended (its Input applied and
/// the own order back to 0) or `limit` passed; returns the Input's seq.
fn use_and_wait(p: &mut Player, target: u64, limit: Duration) -> u32 {
    let input = p.game.input(Order::Interact { target: EntityId(target), action: verb::USE });
    p.client.send(&ClientMessage::Input(input)).expect("send input");
    p.pump_until(limit, |p| {
        p.game.world().own().is_some_and(|o| o.last_input_seq >= input.seq && o.state.order == 0)
    });
    input.seq
}

#[test]
fn a_player_gathers_from_a_bush_and_sees_the_items_in_its_inventory() {
    let db = TestDb::sqlite();
    let shard = InProcess::start(db.store_config(), ShardOptions { bots: 0, ..ShardOptions::default() });
    let mut p =
        Player::connect(shard.addr, &unique("gather"), net::protocol::SessionToken::random().unwrap().0)
            .expect("login");
    let ready = p.pump_until(WAIT, |p| {
        p.game.container(&ContainerRef::Own).is_some()
            && p.position().is_some()
            && !laden_bushes(p).is_empty()
    });
    assert!(ready, "the inventory, the own position and a laden bush near the start");

    // The nearest laden bush the character can walk to (a few tries: one may lie behind water).
    let before = held(&p);
    let (branch, berries, seeds) = (kind("branch"), kind("berries"), kind("seeds"));
    let mut gathered = None;
    for (bush, _, _) in laden_bushes(&p).into_iter().take(6) {
        use_and_wait(&mut p, bush, WAIT);
        if p.pump_until(Duration::from_secs(2), |p| held(p) != before) {
            gathered = Some(bush);
            break;
        }
    }
    let bush = gathered.expect("a bush was gathered from");
    let now = held(&p);
    let gained = |k: u32| now.get(&k).copied().unwrap_or(0) - before.get(&k).copied().unwrap_or(0);
    assert_eq!((gained(branch), gained(berries), gained(seeds)), (2, 3, 2), "{before:?} → {now:?}");
    assert!(
        p.pump_until(WAIT, |p| p.game.world().vitals().is_some_and(|s| s.xp_gathering == 2)),
        "Stats shows it"
    );
    let bare = p.pump_until(WAIT, |p| p.game.world().chunks().object(bush).is_some_and(|o| o.state == 0));
    assert!(bare, "the bush is bare for the client too");

    // Bare: refused with 131, carrying the Input's seq.
    let seq = use_and_wait(&mut p, bush, WAIT);
    assert!(p.pump_until(WAIT, |p| !p.errors.is_empty()), "an Error answers");
    assert_eq!((p.errors[0].0, p.errors[0].1), (code::NOT_READY, seq), "{:?}", p.errors);

    // A branch is no seed: refused with 134, carrying the Plant's request id.
    let slot =
        p.game.container(&ContainerRef::Own).unwrap().slots.values().find(|s| s.kind == branch).unwrap().slot;
    let (x, y) = p.position().unwrap();
    let plant = p.game.plant_request(ContainerRef::Own, slot, (x, y + 100));
    p.client.send(&ClientMessage::Plant(plant)).expect("send plant");
    assert!(p.pump_until(WAIT, |p| p.errors.len() >= 2), "an Error answers");
    assert_eq!((p.errors[1].0, p.errors[1].1), (code::NOT_A_SEED, plant.request));
    assert_eq!(held(&p), now, "refusals change nothing");
    drop(p);
    let (report, _) = shard.stop();
    assert!(report.flush.complete(), "{report}");
}
