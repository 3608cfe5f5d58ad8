//! The own character's vitals over the wire against a shard in process: a Stats message on
//! entering the world (a new character rested and fed), UseItem refusals with their codes and
//! request ids (a branch is not food; fed characters do not eat), and the vitals stored at
//! logout and shown again at the next login.

mod common;

use common::{InProcess, Player, TestDb, unique};
use game::Content;
use game::shard::ShardOptions;
use game::wire::error as code;
use net::protocol::{ClientMessage, ContainerRef, UseItem};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn start(db: &TestDb) -> InProcess {
    InProcess::start(db.store_config(), ShardOptions { bots: 0, ..ShardOptions::default() })
}

fn login(shard: &InProcess, name: &str, token: [u8; 32]) -> Player {
    let mut p = Player::connect(shard.addr, name, token).expect("login");
    let shown = p.pump_until(WAIT, |p| {
        p.game.world().vitals().is_some() && p.game.container(&ContainerRef::Own).is_some()
    });
    assert!(shown, "Stats and the inventory arrive after Welcome");
    p
}

fn slot_of(p: &Player, item: &str) -> u16 {
    let kind = Content::builtin().item_named(item).unwrap().id;
    let own = p.game.container(&ContainerRef::Own).unwrap();
    own.slots.values().find(|s| s.kind == kind).map(|s| s.slot).expect("in the starter kit")
}

#[test]
fn stats_arrive_on_login_and_use_item_refusals_carry_their_codes() {
    let db = TestDb::sqlite();
    let shard = start(&db);
    let rules = Content::builtin().stats;
    let (name, token) = (unique("vitals"), net::protocol::SessionToken::random().unwrap().0);
    let mut p = login(&shard, &name, token);
    let stats = *p.game.world().vitals().unwrap();
    assert_eq!((stats.health, stats.max_health), (rules.max_health, rules.max_health));
    assert_eq!((stats.hunger, stats.hunger_limit), (0, rules.hunger_limit));
    assert_eq!((stats.stamina, stats.max_stamina), (rules.max_stamina, rules.max_stamina));

    let use_slot = |request, slot| {
        ClientMessage::UseItem(UseItem { request, container: ContainerRef::Own, slot, revision: 0 })
    };
    p.client.send(&use_slot(7, slot_of(&p, "branch"))).unwrap();
    p.client.send(&use_slot(8, slot_of(&p, "berries"))).unwrap();
    p.client.send(&use_slot(9, 23)).unwrap();
    assert!(p.pump_until(WAIT, |p| p.errors.len() >= 3), "errors: {:?}", p.errors);
    let got: Vec<(u16, u32)> = p.errors.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(got, [(code::NOT_USABLE, 7), (code::NOT_HUNGRY, 8), (code::EMPTY_SLOT, 9)]);
    drop(p);

    // Stored at logout, shown again at the next login.
    let (report, store) = shard.stop();
    assert!(report.flush.complete(), "{report}");
    let stored = store.connect().unwrap().load_player_by_name(&name).unwrap().expect("stored").player;
    assert_eq!((stored.health, stored.hunger), (i32::from(rules.max_health), 0));
    assert_eq!(stored.stamina, i32::from(rules.max_stamina));
    drop(store);
    let shard = start(&db);
    let p = login(&shard, &name, token);
    assert_eq!(*p.game.world().vitals().unwrap(), stats);
    drop(p);
    shard.stop();
}
