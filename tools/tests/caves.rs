//! Caves over a real socket, on one in-process shard: an operator sets a character down at a
//! cave's way out (a move between two maps of the same shard: a Redirect back to it); using the
//! way up brings it to the surface beside the cave entrance, and using the entrance takes it
//! down again, each time through a Redirect with a one-time token and with its inventory
//! intact. A way to a map no live shard simulates is refused with Error 150 naming the Input,
//! and the character stays. Harness bots in survival mode travel up and down on their own.

mod common;

use common::caves::a_way_down;
use common::{InProcess, ItemAudit, Player, TestDb, tiles, unique};
use game::Content;
use game::client::{GameClient, follow_handoff};
use game::geom::{TILE, map_id};
use game::shard::{MoveRequest, Movers, ShardOptions};
use game::wire::{error, verb};
use net::protocol::{ClientMessage, ContainerRef, EntityId, Hello, Order, ServerMessage, SessionToken};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tools::harness::{self, Action, HarnessConfig, Mode, SurvivalAction};

const WAIT: Duration = Duration::from_secs(30);
const SURFACE: u32 = map_id(0, 0);
const CAVE: u32 = map_id(0, 1);

/// A new character on `shard`, its inventory and position shown.
fn new_player(shard: &InProcess, name: &str, token: [u8; 32]) -> Player {
    let mut p = Player::connect(shard.addr, name, token).expect("login");
    let shown = |p: &Player| p.game.container(&ContainerRef::Own).is_some() && p.position().is_some();
    assert!(p.pump_until(WAIT, shown), "inventory and position arrive");
    p
}

/// What the own inventory holds, by kind.
fn held(p: &Player) -> BTreeMap<u32, u32> {
    let mut out = BTreeMap::new();
    for s in p.game.container(&ContainerRef::Own).map(|c| c.slots.values()).into_iter().flatten() {
        *out.entry(s.kind).or_default() += s.count;
    }
    out
}

/// Waits for the Redirect of `p`'s hand-off and follows it with its one-time token; returns
/// the player welcomed there with its inventory shown.
fn follow(mut p: Player, shard: &InProcess, name: &str, token: [u8; 32]) -> Player {
    assert!(p.pump_until(WAIT, |p| p.game.world().redirect().is_some()), "a Redirect; errors {:?}", p.errors);
    let redirect = p.game.world().redirect().cloned().unwrap();
    let session = Hello { name: name.to_owned(), token: SessionToken(token) };
    let mut there = follow_handoff(&redirect, Instant::now(), shard.addr, session, WAIT).expect("followed");
    assert_eq!(there.redirects.len(), 1, "straight back to this shard: {:?}", there.redirects);
    there.client.set_read_timeout(Duration::from_millis(20)).unwrap();
    let mut game = GameClient::new(Arc::new(Content::builtin()));
    game.handle(&ServerMessage::Welcome(there.welcome)).expect("welcome applies");
    let mut p = Player { client: there.client, game, welcome: there.welcome, errors: Vec::new() };
    let shown = |p: &Player| p.game.container(&ContainerRef::Own).is_some() && p.position().is_some();
    assert!(p.pump_until(WAIT, shown), "inventory and position arrive after the move");
    p
}

/// The object of `kind` nearest `p`, as it sees it: its entity and place.
fn nearest(p: &mut Player, kind: u32) -> (EntityId, (i32, i32)) {
    let find = |p: &Player| {
        let chunks = p.game.world().chunks();
        let at = p.position()?;
        let all = chunks.keys().iter().filter_map(|&(cx, cy)| chunks.get(cx, cy)).flat_map(|c| c.objects());
        let of_kind = all.filter(|o| u32::from(o.kind) == kind).map(|o| (EntityId(o.entity), (o.x, o.y)));
        of_kind.min_by(|a, b| tiles(at, a.1).total_cmp(&tiles(at, b.1)))
    };
    assert!(p.pump_until(WAIT, |p| find(p).is_some()), "an object of kind {kind} in view");
    find(p).unwrap()
}

/// Uses the way `way` (walks there and interacts with it); returns the Input's seq.
fn use_way(p: &mut Player, way: EntityId) -> u32 {
    let input = p.game.input(Order::Interact { target: way, action: verb::USE });
    p.client.send(&ClientMessage::Input(input)).expect("send input");
    input.seq
}

#[test]
fn a_character_goes_down_a_cave_entrance_and_up_its_way_out_on_one_shard() {
    let db = TestDb::sqlite();
    let content = Content::builtin();
    let caves = content.caves.expect("the shipped content has caves");
    let opts = ShardOptions { bots: 0, maps: vec![SURFACE, CAVE], ..ShardOptions::default() };
    let at = a_way_down(&content, opts.seed);
    let shard = InProcess::start(db.store_config(), opts);
    let (name, token) = (unique("caver"), SessionToken::random().unwrap().0);
    let p = new_player(&shard, &name, token);
    let kit = held(&p);

    // An operator sets the character down in the cave, at the foot of the way up.
    let request = MoveRequest { who: Movers::Named(name.clone()), to: CAVE, at: Some(at) };
    assert_eq!(shard.control.move_players(request, WAIT), Ok(1));
    let mut p = follow(p, &shard, &name, token);
    assert_eq!(p.welcome.map, CAVE);
    assert!(tiles(p.position().unwrap(), at) <= 2.5, "spawned at the way out: {:?} vs {at:?}", p.position());

    // Up the way out: on the surface beside the entrance.
    let (exit, exit_at) = nearest(&mut p, caves.up);
    assert_eq!(exit_at, at, "the way out stands where the entrance is above");
    use_way(&mut p, exit);
    let mut p = follow(p, &shard, &name, token);
    assert_eq!(p.welcome.map, SURFACE);
    assert!(tiles(p.position().unwrap(), at) <= 2.5, "beside the entrance: {:?} vs {at:?}", p.position());

    // And down the entrance again.
    let (entrance, entrance_at) = nearest(&mut p, caves.down);
    assert_eq!(entrance_at, at);
    use_way(&mut p, entrance);
    let mut p = follow(p, &shard, &name, token);
    assert_eq!(p.welcome.map, CAVE);
    assert!(p.pump_until(WAIT, |p| held(p) == kit), "the inventory went along: {:?} vs {kit:?}", held(&p));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    drop(p);
    let (report, _) = shard.stop();
    assert!(report.complete(), "{report}");
    let sql = format!("SELECT p.map FROM player_positions p JOIN players USING (id) WHERE name = '{name}'");
    let row = db.rows(&sql);
    assert_eq!(row[0][0], i64::from(CAVE), "stored in the cave");
}

#[test]
fn a_way_to_a_map_no_shard_simulates_is_refused_and_the_character_stays() {
    let db = TestDb::sqlite();
    let content = Content::builtin();
    let caves = content.caves.unwrap();
    // New characters begin on the isles; the mainland's surface is this shard's, its cave nobody's.
    let opts = ShardOptions { bots: 0, maps: vec![map_id(1, 0), SURFACE], ..ShardOptions::default() };
    let at = a_way_down(&content, opts.seed);
    let shard = InProcess::start(db.store_config(), opts);
    let (name, token) = (unique("shut"), SessionToken::random().unwrap().0);
    let p = new_player(&shard, &name, token);
    let beside = (at.0 + 2 * TILE, at.1);
    let request = MoveRequest { who: Movers::Named(name.clone()), to: SURFACE, at: Some(beside) };
    assert_eq!(shard.control.move_players(request, WAIT), Ok(1));
    let mut p = follow(p, &shard, &name, token);
    assert_eq!(p.welcome.map, SURFACE);
    let (entrance, _) = nearest(&mut p, caves.down);
    let seq = use_way(&mut p, entrance);
    let refused = |p: &Player| p.errors.iter().any(|e| e.0 == error::WAY_CLOSED && e.1 == seq);
    assert!(p.pump_until(WAIT, refused), "Error 150 for the Input; errors {:?}", p.errors);
    p.pump(Duration::from_millis(500));
    assert!(p.game.world().redirect().is_none(), "no Redirect");
    assert!(p.position().is_some(), "still playing on the surface");
    drop(p);
    let (report, _) = shard.stop();
    assert!(report.complete(), "{report}");
}

/// Harness bots in survival mode that only travel: an operator sets them down in the cave at
/// the foot of a way out; each then goes up and down through the caves on this one shard, every
/// trip a hand-off followed through its Redirect, and their starter kits arrive unchanged.
#[test]
fn survival_bots_travel_up_and_down_through_the_caves() {
    const BOTS: usize = 4;
    let db = TestDb::sqlite();
    let content = Arc::new(Content::builtin());
    let opts = ShardOptions { bots: 0, maps: vec![SURFACE, CAVE], ..ShardOptions::default() };
    let at = a_way_down(&content, opts.seed);
    let shard = InProcess::start(db.store_config(), opts);
    let mut cfg = HarnessConfig::new(shard.addr, BOTS);
    cfg.mode = Mode::Survival;
    cfg.duration = Duration::from_secs(25);
    cfg.content = content.clone();
    let others: Vec<String> = SurvivalAction::ALL
        .iter()
        .filter(|a| **a != SurvivalAction::Travel)
        .map(|a| format!("{}=0", a.name()))
        .collect();
    cfg.mix = format!("travel=100,{}", others.join(",")).parse().expect("a valid mix");
    let bots = std::thread::spawn(move || harness::run(cfg));

    let (mut moved, until) = (0, Instant::now() + WAIT);
    while moved < BOTS && Instant::now() < until {
        let request = MoveRequest { who: Movers::Count(BOTS - moved), to: CAVE, at: Some(at) };
        moved += shard.control.move_players(request, WAIT).unwrap_or(0);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(moved, BOTS, "every bot set down in the cave");
    let report = bots.join().expect("the harness thread").expect("the bots ran");
    let (shutdown, _) = shard.stop();
    assert!(shutdown.complete(), "{shutdown}");
    println!("{report}");

    assert_eq!((report.connected, report.errors), (BOTS as u64, 0), "{report}");
    let travel = report.survival_actions.get("travel").copied().unwrap_or_default();
    assert!(travel.done >= BOTS as u64, "every bot travelled about once at least:\n{report}");
    assert_eq!(travel.refused, 0, "{report}");
    assert!(report.handoffs >= BOTS as u64 + travel.done, "the operator's moves and each trip:\n{report}");
    assert!(report.handoffs_failed.is_empty(), "{report}");
    let mut kits = BTreeMap::new();
    for stack in &content.starter_kit {
        *kits.entry((stack.kind, stack.quality)).or_insert(0) += u64::from(stack.count) * BOTS as u64;
    }
    assert_eq!(ItemAudit::read(&db).totals(&content), kits, "the starter kits, nothing more or less");
    let maps = db.rows("SELECT DISTINCT map FROM player_positions");
    assert!(maps.iter().all(|r| [i64::from(SURFACE), i64::from(CAVE)].contains(&r[0])), "{maps:?}");
}
