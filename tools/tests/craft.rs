//! Crafting over the wire against a shard in process: a new player crafts a club from the three
//! branches of its starter kit and sees CraftProgress started, then done 40 ticks later, the
//! club in its inventory and the experience in its Stats; a Craft of an unknown recipe is
//! refused with an Error carrying its request id; what was made is stored.

mod common;

use common::{InProcess, Player, TestDb, unique};
use game::Content;
use game::shard::ShardOptions;
use game::wire::error as code;
use net::protocol::{ClientMessage, ContainerRef, CraftProgress, EntityId, craft_state};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn kind(name: &str) -> u32 {
    Content::builtin().item_named(name).map(|k| k.id).expect("shipped item kind")
}

fn count_of(p: &Player, kind: u32) -> u32 {
    let own = p.game.container(&ContainerRef::Own);
    own.map_or(0, |v| v.slots.values().filter(|s| s.kind == kind).map(|s| s.count).sum())
}

fn progress(p: &Player) -> Option<CraftProgress> {
    p.game.world().craft_progress().copied()
}

#[test]
fn a_club_is_crafted_from_the_starter_branches_and_an_unknown_recipe_is_refused() {
    let db = TestDb::sqlite();
    let shard = InProcess::start(db.store_config(), ShardOptions { bots: 0, ..ShardOptions::default() });
    let token = net::protocol::SessionToken::random().unwrap().0;
    let name = unique("crafter");
    let mut p = Player::connect(shard.addr, &name, token).expect("login");
    let shown =
        |p: &Player| p.game.container(&ContainerRef::Own).is_some() && p.game.world().vitals().is_some();
    assert!(p.pump_until(WAIT, shown), "the inventory and Stats arrive after Welcome");
    let (branch, club) = (kind("branch"), kind("club"));
    assert_eq!((count_of(&p, branch), count_of(&p, club)), (3, 0), "the starter kit's branches");

    let unknown = p.game.craft_request(999, 1, EntityId::NONE);
    p.client.send(&ClientMessage::Craft(unknown)).unwrap();
    assert!(p.pump_until(WAIT, |p| !p.errors.is_empty()), "the refusal arrives");
    assert_eq!((p.errors[0].0, p.errors[0].1), (code::UNKNOWN_RECIPE, unknown.request));
    assert_eq!(progress(&p), None, "a refused Craft does not start");

    let craft = p.game.craft_request(Content::builtin().recipe_named("club").unwrap().id, 1, EntityId::NONE);
    p.client.send(&ClientMessage::Craft(craft)).unwrap();
    assert!(p.pump_until(WAIT, |p| progress(p).is_some()), "CraftProgress arrives");
    let started = progress(&p).unwrap();
    assert_eq!((started.request, started.state), (craft.request, craft_state::STARTED), "{started:?}");
    assert_eq!(started.finish - started.started, 40, "the club takes 40 ticks");
    let done = |p: &Player| progress(p).is_some_and(|g| g.state != craft_state::STARTED);
    assert!(p.pump_until(WAIT, done), "the craft ends");
    let ended = progress(&p).unwrap();
    assert_eq!((ended.request, ended.state), (craft.request, craft_state::DONE), "{ended:?}");
    assert_eq!((ended.started, ended.finish), (started.started, started.finish));
    assert_eq!((ended.kind, ended.made, ended.ground), (club, 1, 0));
    assert!(p.pump_until(WAIT, |p| count_of(p, club) == 1), "the club is in the inventory");
    assert_eq!(count_of(&p, branch), 0, "the branches are used");
    let xp = |p: &Player| p.game.world().vitals().is_some_and(|s| s.xp_crafting == 10);
    assert!(p.pump_until(WAIT, xp), "Stats tell the crafting experience");
    assert_eq!(p.errors.len(), 1, "no other error: {:?}", p.errors);
    drop(p);

    let (report, store) = shard.stop();
    assert!(report.flush.complete(), "{report}");
    let mut conn = store.connect().unwrap();
    let stored = conn.load_player_by_name(&name).unwrap().expect("stored");
    assert_eq!(stored.player.xp_crafting, 10, "the experience is stored at logout");
    let clubs = stored.items.iter().filter(|i| i.kind == club).count();
    let branches = stored.items.iter().filter(|i| i.kind == branch).count();
    assert_eq!((clubs, branches), (1, 0), "the club is stored, the branches gone");
}
