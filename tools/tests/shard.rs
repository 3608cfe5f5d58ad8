//! End to end: a real shard (in process, on a SQLite store) and real WebSocket clients with the
//! client library: log in, move, see each other enter and leave, reconnect at the saved
//! position, a wrong token refused, a login welcomed between ticks, and a clean stop that saves
//! everyone.

mod common;

use common::{InProcess, Player, tiles, unique};
use game::shard::{ShardOptions, close};
use net::client::ClientError;
use net::protocol::Order;
use std::time::Duration;
use store::StoreConfig;

const LONG: Duration = Duration::from_secs(30);

fn start(dir: &std::path::Path) -> InProcess {
    start_with(dir, ShardOptions::default())
}

fn start_with(dir: &std::path::Path, opts: ShardOptions) -> InProcess {
    InProcess::start(StoreConfig::sqlite(dir.join("e2e.sqlite3")), opts)
}

#[test]
fn players_log_in_see_each_other_move_and_come_back_where_they_left() {
    let dir = tempfile::tempdir().unwrap();
    let shard = start(dir.path());
    let (alice_name, bob_name) = (unique("alice"), unique("bob"));
    let mut alice = Player::connect(shard.addr, &alice_name, [0; 32]).expect("alice logs in");
    let mut bob = Player::connect(shard.addr, &bob_name, [0; 32]).expect("bob logs in");
    assert_ne!(alice.token(), [0; 32], "a new player gets a session token");

    // Welcome says where: the map (its continent, layer and size) and the spawn spot, where
    // alice's first frame finds her.
    let w = alice.welcome;
    let map = *game::Content::builtin().layout().map(w.map).expect("a map of the content");
    assert_eq!(game::geom::split_map_id(w.map), (w.continent, w.layer));
    assert_eq!(
        (i32::from(w.width_chunks), i32::from(w.height_chunks)),
        (map.width_chunks, map.height_chunks)
    );
    assert_eq!(alice.game.map(), Some(&map));
    assert_eq!(alice.game.position(), Some((w.x, w.y)), "known before any frame");
    assert!(alice.pump_until(LONG, |a| a.position().is_some()));
    assert_eq!(alice.position(), Some((w.x, w.y)), "the first frame finds her at the spawn spot");

    // Enter: each sees the other with full state, never itself.
    let bob_id = bob.me();
    let seen = alice.pump_until(LONG, |a| a.sees(bob_id));
    bob.pump(Duration::from_millis(300));
    assert!(
        seen,
        "alice sees bob enter: alice at {:?}, bob at {:?}, alice sees {}",
        alice.position(),
        bob.position(),
        alice.game.world().entity_count()
    );
    bob.pump(Duration::from_millis(300));
    assert!(bob.sees(alice.me()) && !bob.sees(bob_id), "bob sees alice, not himself");
    let chunks = alice.game.world().chunks().len();
    assert!(chunks >= 4, "alice holds the chunks around her ({chunks})");

    // Move: bob walks 5 tiles; his own frames and alice's view follow.
    let start = bob.position().expect("bob's own state");
    let goal = (start.0 + 5 * 256, start.1);
    bob.order(Order::MoveTo { x: goal.0, y: goal.1 });
    assert!(bob.pump_until(LONG, |b| b.position().is_some_and(|p| tiles(p, start) > 2.0)), "bob moves");
    bob.pump(Duration::from_secs(2));
    let moved = bob.position().unwrap();
    alice.pump(Duration::from_secs(1));
    let seen = alice.game.world().entity(bob_id).map(|e| (e.state.x, e.state.y)).expect("bob still in view");
    assert!(tiles(seen, moved) < 1.0, "alice sees bob where he is: {seen:?} vs {moved:?}");
    let last_applied = bob.game.world().own().unwrap().last_input_seq;
    assert_eq!(last_applied, 1, "the frame acknowledges the applied input");

    // Leave: bob logs out, alice sees him leave.
    let bob_token = bob.token();
    bob.client.close();
    assert!(alice.pump_until(LONG, |a| !a.sees(bob_id)), "alice sees bob leave");

    // Reconnect: bob comes back where he was; alice sees the new character enter.
    let mut bob = Player::connect(shard.addr, &bob_name, bob_token).expect("bob logs in again");
    assert!(bob.pump_until(LONG, |b| b.position().is_some()));
    let back = bob.position().unwrap();
    assert!(tiles(back, moved) < 0.5, "bob is back at his saved position: {back:?} vs {moved:?}");
    assert_eq!((bob.welcome.x, bob.welcome.y), back, "his Welcome said so");
    let new_id = bob.me();
    assert!(alice.pump_until(LONG, |a| a.sees(new_id)), "alice sees bob enter again");

    // A wrong token is refused with the game close code; the name stays bob's.
    let mut wrong = bob_token;
    wrong[0] ^= 0xff;
    match Player::connect(shard.addr, &bob_name, wrong) {
        Err(ClientError::Closed(info)) => assert_eq!(info.code, Some(close::WRONG_TOKEN)),
        Err(e) => panic!("expected close 4100, got {e}"),
        Ok(_) => panic!("a wrong token was accepted"),
    }
    // The refused attempt did not disturb bob's session.
    bob.pump(Duration::from_millis(300));
    assert!(bob.position().is_some());

    let (report, store) = shard.stop();
    assert!(report.complete(), "clean stop flushes everything: {report:?}");
    assert_eq!(report.players_online, 2);
    let alice_row = store.loader().load_player_by_name(&alice_name).unwrap().wait(LONG).unwrap().unwrap();
    let kit: Vec<(u32, u32)> = alice_row.items.iter().map(|i| (i.kind, i.count)).collect();
    assert_eq!(kit, game::shard::STARTER_KIT.to_vec(), "the starter kit is stored once");
}

#[test]
fn bad_orders_get_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let shard = start(dir.path());
    let mut p = Player::connect(shard.addr, &unique("carol"), [0; 32]).expect("log in");
    assert!(p.pump_until(LONG, |p| p.position().is_some()));
    let here = p.position().unwrap();
    p.order(Order::MoveTo { x: here.0 + 2_000 * 256, y: here.1 });
    p.order(Order::MoveTo { x: -1, y: -1 });
    p.order(Order::Follow(net::protocol::EntityId(12345)));
    assert!(p.pump_until(LONG, |p| p.errors.len() >= 3), "three refusals: {:?}", p.errors);
    let codes: Vec<u16> = p.errors.iter().map(|e| e.0).collect();
    assert_eq!(
        codes,
        [
            game::shard::error::INVALID_ORDER,
            game::shard::error::INVALID_ORDER,
            game::shard::error::NO_SUCH_TARGET
        ]
    );
    let requests: Vec<u32> = p.errors.iter().map(|e| e.1).collect();
    assert_eq!(requests, [1, 2, 3], "each error carries the seq of the Input it refuses");
    p.pump(Duration::from_millis(500));
    assert!(tiles(p.position().unwrap(), here) < 0.01, "refused orders move nobody");
    assert_eq!(p.game.world().own().unwrap().last_input_seq, 3, "refused inputs are still consumed");
    let (report, _) = shard.stop();
    assert!(report.complete());
}

#[test]
fn metrics_time_every_stage_and_tick_phase_and_count_slow_ticks_of_a_live_shard() {
    use tools::admin::{AdminSource, Metrics};
    let dir = tempfile::tempdir().unwrap();
    // Every tick counts as slow: each is logged with its breakdown and counted.
    let opts = ShardOptions { slow_tick: Some(Duration::from_nanos(1)), ..ShardOptions::default() };
    let shard = start_with(dir.path(), opts);
    let mut player = Player::connect(shard.addr, &unique("metrics"), [0; 32]).expect("log in");
    // The status is published once a second.
    player.pump(Duration::from_millis(2_500));
    let mut out = Metrics::default();
    tools::metrics::ShardAdmin::new(shard.status.clone(), 0).metrics(&mut out);
    let text = out.into_text();
    for phase in ["events", "send"] {
        let line = format!(r#"shard_phase_seconds{{phase="{phase}",quantile="0.99"}}"#);
        assert!(text.contains(&line), "{line} in\n{text}");
    }
    for stage in ["movement", "replicate"] {
        let line = format!(r#"stage="{stage}",system="",quantile="0.5"}}"#);
        assert!(text.contains(&line), "{line} in\n{text}");
    }
    assert!(text.contains("shard_clients 1"), "{text}");
    let slow =
        text.lines().find_map(|l| l.strip_prefix("shard_slow_ticks_total ")).expect("slow-tick counter");
    assert!(slow.parse::<f64>().unwrap() >= 20.0, "every tick over 1 ns is slow: {slow}");
    player.client.close();
    shard.stop();
}

/// A login whose store answers come in between two ticks is welcomed then, not at the next
/// tick: with a tick a second, a returning player's Welcome names the tick before its first
/// Frame's (the Welcome was sent between them).
#[test]
fn a_returning_login_is_welcomed_between_ticks() {
    let dir = tempfile::tempdir().unwrap();
    let shard = start_with(dir.path(), ShardOptions { tick_hz: 1, ..ShardOptions::default() });
    let name = unique("dora");
    let mut first = Player::connect(shard.addr, &name, [0; 32]).expect("log in");
    assert!(first.pump_until(LONG, |p| p.position().is_some()), "a first Frame");
    let token = first.welcome.token.0;
    drop(first);
    // The character leaves; its chunk stays resident, so the next spawn needs no tick.
    let again = (0..60).find_map(|_| match Player::connect(shard.addr, &name, token) {
        Ok(p) => Some(p),
        Err(_) => {
            std::thread::sleep(Duration::from_millis(500));
            None
        }
    });
    let mut again = again.expect("logs in again once the first session ended");
    assert!(again.pump_until(LONG, |p| p.game.world().own().is_some()), "a Frame");
    let framed = again.game.world().own().unwrap().tick;
    assert!(
        again.welcome.server_tick < framed,
        "Welcome at tick {} came before the tick of the first Frame ({framed})",
        again.welcome.server_tick
    );
    let (report, _) = shard.stop();
    assert!(report.complete());
}
