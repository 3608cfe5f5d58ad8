//! Crash safety: the `shard` binary is killed with SIGKILL while players walk; after a restart
//! their positions are at most about a second old and their inventories are intact. It is also
//! killed in the middle of a storm of first logins: after the restart every client logs in with
//! the token it chose, each name is one character with its full starter kit, and no item is
//! orphaned. It is killed while players play with their items (stacks into bags and back,
//! drops, pickups, a box placed, filled with stacks and bags, emptied and folded): the database
//! then holds exactly the starter kits created, per (kind, quality), with no item orphaned, in two
//! places or inside itself, and the restarted shard plays on with what it finds. It is killed
//! while players craft clubs one after another and fight (frail, so some die and leave corpses
//! mid-craft): every (kind, quality) stored is then the starting holdings with `c` whole crafts
//! applied (each one's branches out, its club in), `c` at most the crafts acknowledged done plus
//! those in flight, and no item orphaned or duplicated. Runs on the embedded SQLite store and on
//! PostgreSQL + Redis. A SIGTERM afterwards exits 0.

mod common;

use common::{
    Crafter, Fighter, ItemAudit, PgDb, Player, RedisPrefix, ShardProcess, Stasher, TestDb, redis_url, tiles,
    unique,
};
use game::Content;
use net::protocol::{ContainerRef, Order, SessionToken};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use store::{Container, Store, StoreConfig};

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

/// First logins in flight when the shard dies.
const STORM: usize = 40;

/// Starts `STORM` first logins, each with a token its client chose, and kills the shard once a
/// few of them were welcomed (the rest are at every step of their login).
fn storm_and_crash(shard: ShardProcess) -> Vec<(String, [u8; 32])> {
    let logins: Vec<(String, [u8; 32])> =
        (0..STORM).map(|i| (unique(&format!("s{i}_")), SessionToken::random().unwrap().0)).collect();
    let welcomed = Arc::new(AtomicUsize::new(0));
    let addr = shard.listen;
    let clients: Vec<_> = logins
        .iter()
        .cloned()
        .map(|(name, token)| {
            let welcomed = welcomed.clone();
            std::thread::spawn(move || {
                if let Ok(p) = Player::connect(addr, &name, token) {
                    welcomed.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_secs(2));
                    drop(p);
                }
            })
        })
        .collect();
    let until = Instant::now() + LONG;
    while welcomed.load(Ordering::Relaxed) < STORM / 8 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(1));
    }
    shard.kill_hard();
    clients.into_iter().for_each(|c| c.join().unwrap());
    let n = welcomed.load(Ordering::Relaxed);
    eprintln!("{n} of {STORM} first logins were welcomed before the kill");
    logins
}

fn login_storm_killed(db: &TestDb, args: &[String]) {
    let logins = storm_and_crash(ShardProcess::start(args));
    let shard = ShardProcess::start(args);
    for (name, token) in &logins {
        let p = Player::connect(shard.listen, name, *token).expect("the client logs in after the crash");
        assert_eq!(p.token(), *token, "{name} keeps the token its client chose");
    }
    assert_eq!(shard.terminate(), Some(0));
    assert_eq!(db.players(), STORM as i64, "one character per name");
    let kit = game::shard::STARTER_KIT.len() as i64;
    assert_eq!(db.items(), STORM as i64 * kit, "one full starter kit each");
    assert_eq!(db.orphaned_items(), 0, "items without their player");
}

#[test]
fn sqlite_shard_killed_mid_login_storm_keeps_every_name() {
    let db = TestDb::sqlite();
    login_storm_killed(&db, &db.shard_args());
}

#[test]
fn postgres_and_redis_shard_killed_mid_login_storm_keeps_every_name() {
    let Some(db) = TestDb::postgres() else { return };
    let Some(redis) = RedisPrefix::create() else { return };
    let mut args = db.shard_args();
    args.extend(["--redis-url".to_owned(), redis_url(), "--redis-prefix".to_owned(), redis.prefix.clone()]);
    args.extend(["--shard-id".to_owned(), unique("storm-")]);
    login_storm_killed(&db, &args);
}

/// Players who play with their items when the shard dies.
const STASHERS: usize = 3;

/// The seed of the item play: `CRASH_ITEMS_SEED`, or the clock's.
fn seed() -> u64 {
    let clock = || {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    };
    std::env::var("CRASH_ITEMS_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(clock)
}

/// Creates `players` players (each with its starter kit), stops the shard, and moves them all
/// next to the first one, so they see and race for each other's piles and boxes.
fn gather(db: &TestDb, args: &[String], players: usize) -> Vec<(String, [u8; 32])> {
    let shard = ShardProcess::start(args);
    let accounts: Vec<(String, [u8; 32])> = (0..players)
        .map(|i| {
            let name = unique(&format!("i{i}_"));
            let p = Player::connect(shard.listen, &name, [0; 32]).expect("log in");
            (name, p.token())
        })
        .collect();
    assert_eq!(shard.terminate(), Some(0));
    let id = |name: &str| format!("(SELECT id FROM players WHERE name = '{name}')");
    let first = id(&accounts[0].0);
    for (i, (name, _)) in accounts.iter().enumerate().skip(1) {
        let dy = if i % 2 == 1 { -256 } else { 256 };
        db.execute(&format!(
            "UPDATE player_positions SET x = (SELECT x FROM player_positions WHERE id = {first}) + 384, \
             y = (SELECT y FROM player_positions WHERE id = {first}) + {dy} WHERE id = {me}",
            me = id(name)
        ));
    }
    accounts
}

/// Logs every account in and waits until it sees its inventory and its position.
fn stashers(shard: &ShardProcess, accounts: &[(String, [u8; 32])], seed: u64) -> Vec<Stasher> {
    let mut out = Vec::new();
    for (i, (name, token)) in accounts.iter().enumerate() {
        let mut p = Player::connect(shard.listen, name, *token).expect("log in");
        let ready =
            p.pump_until(LONG, |p| p.game.container(&ContainerRef::Own).is_some() && p.position().is_some());
        assert!(ready, "{name} sees its inventory");
        let seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(i as u64 + 1));
        out.push(Stasher::new(p, name, shard.listen, seed));
    }
    out
}

/// Everyone acts on their items, round after round, for `d`.
fn play_with_items(stashers: &mut [Stasher], d: Duration) {
    let until = Instant::now() + d;
    while Instant::now() < until {
        for s in stashers.iter_mut() {
            s.player.pump(Duration::from_millis(10));
            s.act();
        }
    }
}

/// What the play sent, by action, and the refusals it got.
fn summary(stashers: &[Stasher]) -> (BTreeMap<&'static str, u32>, usize) {
    let mut sent = BTreeMap::new();
    for s in stashers {
        for (&action, &n) in &s.sent {
            *sent.entry(action).or_default() += n;
        }
    }
    (sent, stashers.iter().map(|s| s.player.errors.len()).sum())
}

/// The starter kits of `players` players, per (kind, quality): the shipped content's kit.
fn kits(content: &Content, players: usize) -> BTreeMap<(u32, u32), u64> {
    let mut totals = BTreeMap::new();
    for s in &content.starter_kit {
        *totals.entry((s.kind, s.quality)).or_insert(0) += u64::from(s.count) * players as u64;
    }
    totals
}

/// The database holds exactly the starter kits, and every item invariant.
fn audit(db: &TestDb, content: &Content, when: &str) -> ItemAudit {
    let audit = ItemAudit::read(db);
    audit.check(content);
    assert_eq!(audit.totals(content), kits(content, STASHERS), "totals per (kind, quality) {when}");
    audit
}

/// The inventory and bags a player is shown after the restart are what the database holds.
fn check_views(p: &mut Player, name: &str, db: &TestDb, stored: &ItemAudit, content: &Content) {
    let id = db.rows(&format!("SELECT id FROM players WHERE name = '{name}'"))[0][0];
    let is_bag = |kind: u32| content.item(kind).is_some_and(|k| k.is_container());
    let own = Container::Player(id);
    let bags: Vec<i64> =
        stored.items.values().filter(|i| i.container == own && is_bag(i.kind)).map(|i| i.id).collect();
    let bag_ref = |bag: i64| ContainerRef::Item(bag as u64);
    let shown = p.pump_until(LONG, |p| bags.iter().all(|&b| p.game.container(&bag_ref(b)).is_some()));
    assert!(shown, "{name} is shown its bags {bags:?}");
    let views = std::iter::once((ContainerRef::Own, own))
        .chain(bags.iter().map(|&b| (bag_ref(b), Container::Item(b))));
    for (view, stored_as) in views {
        let slots = &p.game.container(&view).expect("shown").slots;
        let shown: BTreeMap<u32, (i64, u32, u32, u32)> = slots
            .values()
            .map(|s| (u32::from(s.slot), (s.item as i64, s.kind, s.quality, s.count)))
            .collect();
        assert_eq!(shown, stored.slots_of(stored_as), "{name}'s {view:?} after the restart");
    }
}

fn items_survive_a_kill(db: &TestDb, args: &[String]) {
    let content = Content::builtin();
    let seed = seed();
    eprintln!("item play seed {seed} (CRASH_ITEMS_SEED)");
    let accounts = gather(db, args, STASHERS);
    let before = audit(db, &content, "before the play");

    let shard = ShardProcess::start(args);
    let mut players = stashers(&shard, &accounts, seed);
    play_with_items(&mut players, Duration::from_millis(1500 + seed % 2000));
    shard.kill_hard();
    let (sent, refused) = summary(&players);
    drop(players);
    let crashed = audit(db, &content, "after the kill");
    let (pile, boxes) = (content.pile_kind().unwrap().id, content.object("box").unwrap().id);
    eprintln!(
        "sent {sent:?}, {refused} refused; at the kill: {} item rows ({} in bags), {} piles, {} boxes \
         placed holding {} stacks",
        crashed.items.len(),
        crashed.items_in_bags(),
        crashed.objects_of(pile),
        crashed.objects_of(boxes),
        crashed.items_in_objects_of(boxes)
    );
    assert!(crashed.items != before.items || !crashed.objects.is_empty(), "the play stored something");

    // Restart: everyone is shown what was recovered, plays on with it, and a clean stop saves
    // it all.
    let shard = ShardProcess::start(args);
    let mut players = stashers(&shard, &accounts, seed.rotate_left(17));
    for (s, (name, _)) in players.iter_mut().zip(&accounts) {
        check_views(&mut s.player, name, db, &crashed, &content);
    }
    play_with_items(&mut players, Duration::from_secs(1));
    drop(players);
    assert_eq!(shard.terminate(), Some(0));
    audit(db, &content, "after the restart");
}

#[test]
fn sqlite_shard_killed_mid_item_play_keeps_every_item_once() {
    let db = TestDb::sqlite();
    items_survive_a_kill(&db, &db.shard_args());
}

#[test]
fn postgres_and_redis_shard_killed_mid_item_play_keeps_every_item_once() {
    let Some(db) = TestDb::postgres() else { return };
    let Some(redis) = RedisPrefix::create() else { return };
    let mut args = db.shard_args();
    args.extend(["--redis-url".to_owned(), redis_url(), "--redis-prefix".to_owned(), redis.prefix.clone()]);
    args.extend(["--shard-id".to_owned(), unique("items-")]);
    items_survive_a_kill(&db, &args);
}

/// Players who craft clubs when the shard dies, and players who fight.
const CRAFTERS: usize = 2;
const FIGHTERS: usize = 2;
/// Branches each crafter carries (the kit's 3 raised, so it makes one club after another).
const BRANCHES: u32 = 30;
/// Health everyone starts with: two fist hits kill.
const FRAIL: u32 = 5;

/// Gives the crafters their branches and everyone frail health, in the database.
fn arm(db: &TestDb, content: &Content, accounts: &[(String, [u8; 32])]) {
    let branch = content.item_named("branch").expect("branch").id;
    for (name, _) in &accounts[..CRAFTERS] {
        db.execute(&format!(
            "UPDATE items SET count = {BRANCHES} WHERE kind = {branch} AND container_kind = 1 \
             AND container_id = (SELECT id FROM players WHERE name = '{name}')"
        ));
    }
    db.execute(&format!("UPDATE players SET health = {FRAIL}"));
}

/// Logs every account in and waits until it sees its inventory.
fn log_in(shard: &ShardProcess, accounts: &[(String, [u8; 32])]) -> Vec<Player> {
    let mut out = Vec::new();
    for (name, token) in accounts {
        let mut p = Player::connect(shard.listen, name, *token).expect("log in");
        let ready = p.pump_until(LONG, |p| p.game.container(&ContainerRef::Own).is_some());
        assert!(ready, "{name} sees its inventory");
        out.push(p);
    }
    out
}

/// The crafters craft clubs while the fighters attack the first crafter and each other (the
/// second crafter is left in peace), for `d` and at least until a craft is done (a generous
/// deadline on a busy machine); then the shard is killed.
fn brawl_and_crash(shard: ShardProcess, mut players: Vec<Player>, club: u16, d: Duration) -> Vec<Crafter> {
    let ids: Vec<_> = players.iter().map(Player::me).collect();
    let fighters: Vec<Player> = players.split_off(CRAFTERS);
    let mut crafters: Vec<Crafter> = players.into_iter().map(|p| Crafter::new(p, club)).collect();
    let mut fighters: Vec<Fighter> = fighters
        .into_iter()
        .enumerate()
        .map(|(i, p)| Fighter::new(p, vec![ids[0], ids[CRAFTERS + (i + 1) % FIGHTERS]]))
        .collect();
    let (until, limit) = (Instant::now() + d, Instant::now() + LONG);
    let done = |crafters: &[Crafter]| crafters.iter().any(|c| !c.done.is_empty());
    while (Instant::now() < until || !done(&crafters)) && Instant::now() < limit {
        for c in &mut crafters {
            c.player.pump(Duration::from_millis(10));
            c.act();
        }
        for f in &mut fighters {
            f.player.pump(Duration::from_millis(10));
            f.act();
        }
    }
    for c in &mut crafters {
        c.player.pump(Duration::from_millis(10));
        c.act();
    }
    shard.kill_hard();
    let orders: u32 = fighters.iter().map(|f| f.orders).sum();
    assert!(orders > 0, "the fighters fought");
    crafters
}

/// What the stored totals say was crafted: `c` whole crafts of `recipe` applied to `before`
/// (each one's ingredients out, whatever their quality, its result in), nothing else changed.
/// Returns `c`.
fn crafts_stored(
    content: &Content,
    before: &BTreeMap<(u32, u32), u64>,
    stored: &BTreeMap<(u32, u32), u64>,
    club: u16,
) -> u64 {
    let recipe = content.recipe(club).expect("the club recipe");
    let keys: BTreeSet<(u32, u32)> = before.keys().chain(stored.keys()).copied().collect();
    let mut by_kind: BTreeMap<u32, i64> = BTreeMap::new();
    for key in keys {
        let diff =
            stored.get(&key).copied().unwrap_or(0) as i64 - before.get(&key).copied().unwrap_or(0) as i64;
        let crafted = key.0 == recipe.result.kind || recipe.ingredients.iter().any(|i| i.kind == key.0);
        assert!(diff == 0 || crafted, "{key:?} changed by {diff} though no craft makes or uses it");
        *by_kind.entry(key.0).or_insert(0) += diff;
    }
    let made = by_kind.get(&recipe.result.kind).copied().unwrap_or(0);
    assert!(made >= 0 && made % i64::from(recipe.result.count) == 0, "{made} clubs made");
    let c = made / i64::from(recipe.result.count);
    for i in &recipe.ingredients {
        let used = -by_kind.get(&i.kind).copied().unwrap_or(0);
        assert_eq!(used, c * i64::from(i.count), "kind {} used by {c} whole crafts", i.kind);
    }
    c as u64
}

fn crafts_and_fights_survive_a_kill(db: &TestDb, args: &[String]) {
    let content = Content::builtin();
    let seed = seed();
    let club = content.recipe_named("club").expect("the club recipe").id;
    let accounts = gather(db, args, CRAFTERS + FIGHTERS);
    arm(db, &content, &accounts);
    let before = ItemAudit::read(db);
    before.check(&content);
    let before = before.totals(&content);

    let shard = ShardProcess::start(args);
    let players = log_in(&shard, &accounts);
    let crafters = brawl_and_crash(shard, players, club, Duration::from_millis(2500 + seed % 2500));
    let crashed = ItemAudit::read(db);
    crashed.check(&content);
    let stored = crafts_stored(&content, &before, &crashed.totals(&content), club);
    let done: Vec<_> = crafters.iter().flat_map(|c| &c.done).collect();
    let in_flight = crafters.iter().filter(|c| c.in_flight.is_some()).count() as u64;
    let ended: u32 = crafters.iter().map(|c| c.ended).sum();
    let corpse = content.corpse_kind().expect("a corpse kind").id;
    eprintln!(
        "seed {seed}: {} crafts done, {in_flight} in flight, {ended} without a result; {stored} stored; \
         {} corpses",
        done.len(),
        crashed.objects_of(corpse)
    );
    assert!(!done.is_empty(), "a craft completed before the kill");
    let kind = content.recipe(club).unwrap().result.kind;
    assert!(done.iter().all(|g| (g.kind, g.made, g.ground) == (kind, 1, 0)), "{done:?}");
    assert!(
        stored <= done.len() as u64 + in_flight,
        "{stored} crafts stored, only {} done and {in_flight} in flight",
        done.len()
    );
    drop(crafters);

    // Restart: everyone logs in to what was recovered; a clean stop changes no total.
    let shard = ShardProcess::start(args);
    drop(log_in(&shard, &accounts));
    assert_eq!(shard.terminate(), Some(0));
    let after = ItemAudit::read(db);
    after.check(&content);
    assert_eq!(after.totals(&content), crashed.totals(&content), "totals after the restart");
}

#[test]
fn sqlite_shard_killed_mid_craft_and_fight_keeps_every_item_once() {
    let db = TestDb::sqlite();
    crafts_and_fights_survive_a_kill(&db, &db.shard_args());
}

#[test]
fn postgres_and_redis_shard_killed_mid_craft_and_fight_keeps_every_item_once() {
    let Some(db) = TestDb::postgres() else { return };
    let Some(redis) = RedisPrefix::create() else { return };
    let mut args = db.shard_args();
    args.extend(["--redis-url".to_owned(), redis_url(), "--redis-prefix".to_owned(), redis.prefix.clone()]);
    args.extend(["--shard-id".to_owned(), unique("brawl-")]);
    crafts_and_fights_survive_a_kill(&db, &args);
}
