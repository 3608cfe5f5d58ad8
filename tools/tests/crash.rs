//! Crash safety: the `shard` binary is killed with SIGKILL while players walk; after a restart
//! their positions are at most about a second old and their inventories are intact. Runs on the
//! embedded SQLite store and on PostgreSQL + Redis. A SIGTERM afterwards exits 0.

mod common;

use common::{PgDb, Player, RedisPrefix, ShardProcess, redis_url, tiles, unique};
use net::protocol::Order;
use std::time::{Duration, Instant};
use store::{Store, StoreConfig};

const LONG: Duration = Duration::from_secs(30);
/// Walking speed: 100 units per tick at 20 Hz.
const TILES_PER_S: f64 = 100.0 * 20.0 / 256.0;

struct Walker {
    name: String,
    token: [u8; 32],
    last_seen: (i32, i32),
    /// Path length walked before the kill, in tiles: the sum of the steps seen between pumps,
    /// so turning back after a blocked stride still counts.
    walked: f64,
}

/// Logs players in, sets them walking, and kills the shard mid-walk.
fn play_and_crash(shard: ShardProcess, names: &[String]) -> Vec<Walker> {
    let mut players: Vec<Player> =
        names.iter().map(|n| Player::connect(shard.listen, n, [0; 32]).expect("log in")).collect();
    let mut walkers = Vec::new();
    for (p, name) in players.iter_mut().zip(names) {
        assert!(p.pump_until(LONG, |p| p.position().is_some()), "{name} gets frames");
        let at = p.position().unwrap();
        walkers.push(Walker { name: name.clone(), token: p.token(), last_seen: at, walked: 0.0 });
    }
    // Walk for three seconds (positions are batched once a second), turning whenever something
    // blocks the way, then kill mid-stride.
    let mut checks: Vec<((i32, i32), usize)> = walkers.iter().map(|w| (w.last_seen, 0)).collect();
    for (p, check) in players.iter_mut().zip(&mut checks) {
        walk(p, check);
    }
    let until = Instant::now() + Duration::from_secs(3);
    let mut next_check = Instant::now() + Duration::from_millis(400);
    while Instant::now() < until {
        for (p, w) in players.iter_mut().zip(&mut walkers) {
            p.pump(Duration::from_millis(20));
            note_step(p, w);
        }
        if Instant::now() >= next_check {
            next_check += Duration::from_millis(400);
            for (p, check) in players.iter_mut().zip(&mut checks) {
                let at = p.position().unwrap();
                if tiles(at, check.0) < 1.0 {
                    walk(p, check);
                }
                check.0 = at;
            }
        }
    }
    for (p, w) in players.iter_mut().zip(&mut walkers) {
        p.pump(Duration::from_millis(20));
        note_step(p, w);
    }
    shard.kill_hard();
    walkers
}

/// Adds the step since the last sample to the walker's path and remembers where it stands.
fn note_step(p: &Player, w: &mut Walker) {
    let at = p.position().unwrap();
    w.walked += tiles(at, w.last_seen);
    w.last_seen = at;
}

/// Orders a walk of 40 tiles in the next of eight directions.
fn walk(p: &mut Player, (at, turn): &mut ((i32, i32), usize)) {
    const DIRS: [(i32, i32); 8] = [(1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, 1), (-1, -1), (1, -1)];
    let (dx, dy) = DIRS[*turn % DIRS.len()];
    *turn += 1;
    let here = p.position().unwrap_or(*at);
    p.order(Order::MoveTo { x: here.0 + dx * 40 * 256, y: here.1 + dy * 40 * 256 });
}

/// After the restart: each player logs in with its token and stands where it was about a
/// second before the kill.
fn check_positions(shard: &ShardProcess, walkers: &[Walker]) {
    for w in walkers {
        let mut p = Player::connect(shard.listen, &w.name, w.token).expect("log in after the crash");
        assert!(p.pump_until(LONG, |p| p.position().is_some()));
        let back = p.position().unwrap();
        let walked = w.walked;
        assert!(walked > 5.0, "{} walked before the kill ({walked:.1} tiles)", w.name);
        let lost = tiles(back, w.last_seen);
        eprintln!(
            "{}: walked {walked:.1} tiles, restart lost {lost:.2} tiles ({:.2} s)",
            w.name,
            lost / TILES_PER_S
        );
        // One second of batching, a tick of slack and the kill's own latency.
        assert!(
            lost <= 1.6 * TILES_PER_S,
            "{}: restart position {back:?} is {lost:.1} tiles from the last seen {:?}",
            w.name,
            w.last_seen
        );
        p.client.close();
    }
}

/// Every player still has exactly the starter kit.
fn check_inventories(store: &Store, walkers: &[Walker]) {
    for w in walkers {
        let load =
            store.loader().load_player_by_name(&w.name).unwrap().wait(LONG).unwrap().expect("player row");
        let mut kit: Vec<(u32, u32)> = load.items.iter().map(|i| (i.kind, i.count)).collect();
        kit.sort_unstable();
        let mut expected = game::shard::STARTER_KIT.to_vec();
        expected.sort_unstable();
        assert_eq!(kit, expected, "{}'s inventory", w.name);
        assert!(load.bad.is_empty(), "no unreadable rows");
    }
}

fn crash_and_recover(args: &[String], store_config: impl Fn() -> StoreConfig) {
    let names: Vec<String> = (0..3).map(|i| unique(&format!("w{i}_"))).collect();
    let walkers = play_and_crash(ShardProcess::start(args), &names);
    let shard = ShardProcess::start(args);
    check_positions(&shard, &walkers);
    assert_eq!(shard.terminate(), Some(0), "SIGTERM exits 0 after saving everything");
    let store = Store::open(store_config()).expect("open the store after the shard");
    check_inventories(&store, &walkers);
}

#[test]
fn sqlite_shard_killed_mid_walk_loses_at_most_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let args = vec!["--data-dir".to_owned(), dir.path().display().to_string()];
    let db = dir.path().join(tools::serve::SQLITE_FILE);
    crash_and_recover(&args, || StoreConfig::sqlite(&db));
}

#[test]
fn postgres_and_redis_shard_killed_mid_walk_loses_at_most_a_second() {
    let Some(db) = PgDb::create() else { return };
    let Some(redis) = RedisPrefix::create() else { return };
    let args = vec![
        "--database-url".to_owned(),
        db.url.clone(),
        "--redis-url".to_owned(),
        redis_url(),
        "--redis-prefix".to_owned(),
        redis.prefix.clone(),
        "--shard-id".to_owned(),
        unique("crash-"),
    ];
    crash_and_recover(&args, || StoreConfig::postgres(db.url.clone()));
}
