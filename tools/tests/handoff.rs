//! Hand-offs between `shard` processes over one PostgreSQL database and one Redis (own database
//! and key prefix per test): shard A simulates map 0, shard B map 16. A character crafts a club,
//! equips it and puts food in its bag on A; an operator moves it to map 16 (`POST
//! /admin/handoff`); the client follows the mid-session Redirect to B with its one-time token
//! and finds its position, vitals, experience, equipment and nested inventory there. The token
//! works once; a forged one is refused; a login on A with the session token is redirected to B.
//! Through three shards (A the mainland's surface, B the isles, C the mainland's cave), the last
//! leg is the character's own: it climbs out of C's cave by its way out and arrives on A beside
//! the cave entrance.

mod common;

use common::caves::a_way_down;
use common::cluster::{cluster_shard, meta, metric, post, wait_for, ws};
use common::{PgDb, RedisPrefix, unique};
use game::Content;
use game::client::{Followed, GameClient, connect_following};
use game::shard::close;
use net::client::ClientError;
use net::protocol::{
    ANY_SLOT, ClientMessage, ContainerRef, Craft, EntityId, Hello, InventoryMove, ItemSlot, ServerMessage,
    SessionToken, Stats,
};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use store::meta::MetaStore;

const TIMEOUT: Duration = Duration::from_secs(20);
const HAND: u16 = 24;

fn hello(name: &str, token: [u8; 32]) -> Hello {
    Hello { name: name.to_owned(), token: SessionToken(token) }
}

/// What a client saw of its own character.
#[derive(Debug, Default)]
struct Seen {
    own: BTreeMap<u16, ItemSlot>,
    bags: BTreeMap<u64, BTreeMap<u16, ItemSlot>>,
    stats: Option<Stats>,
    crafted: bool,
    redirect: Option<(String, [u8; 32])>,
    closed: Option<Option<u16>>,
    errors: Vec<u16>,
    /// The client library's view (chunks and their objects), when kept.
    world: Option<GameClient>,
}

impl Seen {
    fn take(&mut self, msg: &ServerMessage) {
        if let Some(world) = &mut self.world {
            world.handle(msg).expect("server messages apply");
        }
        let slots = |into: &mut BTreeMap<u16, ItemSlot>, slots: &[ItemSlot], whole: bool| {
            if whole {
                into.clear();
            }
            for s in slots {
                if s.is_empty() {
                    into.remove(&s.slot)
                } else {
                    into.insert(s.slot, *s)
                };
            }
        };
        match msg {
            ServerMessage::ContainerContents(c) => match c.container {
                ContainerRef::Own => slots(&mut self.own, &c.slots, true),
                ContainerRef::Item(id) => slots(self.bags.entry(id).or_default(), &c.slots, true),
                ContainerRef::Object(_) => {}
            },
            ServerMessage::ContainerChange(c) => match c.container {
                ContainerRef::Own => slots(&mut self.own, &c.slots, false),
                ContainerRef::Item(id) => slots(self.bags.entry(id).or_default(), &c.slots, false),
                ContainerRef::Object(_) => {}
            },
            ServerMessage::Stats(s) => self.stats = Some(*s),
            ServerMessage::CraftProgress(p) => self.crafted |= p.state == net::protocol::craft_state::DONE,
            ServerMessage::Redirect(r) => self.redirect = Some((r.address.clone(), r.token.0)),
            ServerMessage::Error(e) => self.errors.push(e.code),
            _ => {}
        }
    }

    fn slot_of(&self, kind: u32) -> Option<ItemSlot> {
        self.own.values().find(|s| s.kind == kind).copied()
    }
}

/// Receives (acking frames) until `done` holds, the server closes, or `limit` passes.
fn pump(f: &mut Followed, seen: &mut Seen, limit: Duration, done: impl Fn(&Seen) -> bool) -> bool {
    f.client.set_read_timeout(Duration::from_millis(20)).unwrap();
    let until = Instant::now() + limit;
    while Instant::now() < until && !done(seen) && seen.closed.is_none() {
        match f.client.recv() {
            Ok(msg) => {
                if let ServerMessage::Frame(frame) = &msg {
                    let ack = net::protocol::Ack { tick: frame.tick, received: 0 };
                    let _ = f.client.send(&ClientMessage::Ack(ack));
                }
                seen.take(&msg);
            }
            Err(ClientError::Timeout) => {}
            Err(ClientError::Closed(c)) => seen.closed = Some(c.code),
            Err(_) => seen.closed = Some(None),
        }
    }
    done(seen)
}

/// A spot on map `map` near its centre where a character fits: a tile whose neighbours are open
/// land too and with no generated object within 3 tiles (the shard's default seed).
fn open_land(content: &Content, map: u32) -> (i32, i32) {
    use game::geom::{CHUNK_TILES, TILE};
    let geometry = *content.layout().map(map).expect("the map");
    let worldgen = game::worldgen::WorldGen::new(content, game::shard::ShardOptions::default().seed).unwrap();
    let (cx, cy) = (geometry.width_chunks / 2, geometry.height_chunks / 2);
    let chunk = worldgen.generate(&geometry, cx, cy);
    let open = |lx: i32, ly: i32| {
        let t = chunk.tiles.terrain[store::ChunkTiles::index(lx as usize, ly as usize)];
        !content.blocks(t)
    };
    for ly in 8..CHUNK_TILES - 8 {
        for lx in 8..CHUNK_TILES - 8 {
            let (x, y) =
                ((cx * CHUNK_TILES + lx) * TILE + TILE / 2, (cy * CHUNK_TILES + ly) * TILE + TILE / 2);
            let clear =
                chunk.objects.iter().all(|o| (o.x - x).abs() > 3 * TILE || (o.y - y).abs() > 3 * TILE);
            let land = (-3..=3).all(|d| open(lx + d, ly) && open(lx, ly + d));
            if clear && land {
                return (x, y);
            }
        }
    }
    panic!("no open land near the centre of map {map}");
}

fn move_item(f: &mut Followed, request: u32, from: ItemSlot, to: ContainerRef, to_slot: u16) {
    let m = InventoryMove {
        request,
        from: ContainerRef::Own,
        from_slot: from.slot,
        from_revision: 0,
        to,
        to_slot,
        to_revision: 0,
        count: from.count as u16,
    };
    f.client.send(&ClientMessage::InventoryMove(m)).unwrap();
}

#[test]
fn a_character_is_handed_off_with_everything_and_its_token_works_once() {
    let Some(db) = PgDb::create() else { return };
    let Some(redis) = RedisPrefix::create() else { return };
    let m = meta(&redis);
    let a = cluster_shard("a", "0", 3, (&db, &redis), &[]);
    let b = cluster_shard("b", "16", 3, (&db, &redis), &[]);
    assert!(wait_for(TIMEOUT, || m.map_owner(0).ok().flatten().as_deref() == Some("a")));
    assert!(wait_for(TIMEOUT, || m.map_owner(16).ok().flatten().as_deref() == Some("b")));
    // A learns B's address from the directory on its heartbeat.
    std::thread::sleep(Duration::from_millis(1500));

    let content = Content::builtin();
    let kind = |name: &str| content.item_named(name).expect("shipped item").id;
    let (club, bag, berries) = (kind("club"), kind("bag"), kind("berries"));
    let (name, token) = (unique("handoff"), [0x42u8; 32]);
    let mut on_a = connect_following(a.listen, hello(&name, token), TIMEOUT).expect("login on A");
    assert_eq!(on_a.welcome.map, 0);
    let mut seen = Seen::default();
    assert!(pump(&mut on_a, &mut seen, TIMEOUT, |s| s.slot_of(bag).is_some() && s.stats.is_some()));

    // Craft a club from the three branches, equip it, put the berries in the bag.
    let craft = Craft { request: 1, recipe: 2, count: 1, station: EntityId::NONE };
    on_a.client.send(&ClientMessage::Craft(craft)).unwrap();
    assert!(pump(&mut on_a, &mut seen, TIMEOUT, |s| s.crafted && s.slot_of(club).is_some()), "crafted");
    move_item(&mut on_a, 2, seen.slot_of(club).unwrap(), ContainerRef::Own, HAND);
    let bag_item = seen.slot_of(bag).unwrap().item;
    move_item(&mut on_a, 3, seen.slot_of(berries).unwrap(), ContainerRef::Item(bag_item), ANY_SLOT);
    assert!(pump(&mut on_a, &mut seen, TIMEOUT, |s| s.own.get(&HAND).is_some_and(|h| h.kind == club)
        && s.slot_of(berries).is_none()));
    let before = seen.stats.expect("stats");
    assert!(before.xp_crafting > 0, "the craft gave experience");

    // The operator moves the character to map 16, which B simulates.
    let started = Instant::now();
    let (x, y) = open_land(&content, 16);
    let (status, body) = post(a.admin, &format!("/admin/handoff?to=16&name={name}&x={x}&y={y}"));
    assert_eq!((status, body.trim()), (200, r#"{"started":1}"#));
    assert!(pump(&mut on_a, &mut seen, TIMEOUT, |s| s.redirect.is_some()), "a Redirect mid-session");
    let (address, one_time) = seen.redirect.clone().unwrap();
    assert_eq!(address, ws(b.listen));
    assert_ne!(one_time, token, "a one-time token, not the session token");
    pump(&mut on_a, &mut seen, TIMEOUT, |_| false);
    assert_eq!(seen.closed, Some(Some(close::REDIRECTED)));

    let mut on_b = connect_following(b.listen, hello(&name, one_time), TIMEOUT).expect("accepted on B");
    println!("hand-off latency (request to Welcome on B): {:?}", started.elapsed());
    assert_eq!(on_b.welcome.map, 16);
    assert_eq!(on_b.welcome.token.0, [0; 32], "Welcome after a hand-off: keep your own token");
    assert_eq!((on_b.welcome.x, on_b.welcome.y), (x, y), "spawned where the operator sent it");
    let mut there = Seen::default();
    assert!(pump(&mut on_b, &mut there, TIMEOUT, |s| s.stats.is_some()
        && s.own.contains_key(&HAND)
        && !s.bags.is_empty()));
    let after = there.stats.unwrap();
    assert_eq!(
        (after.xp_crafting, after.health, after.hunger),
        (before.xp_crafting, before.health, before.hunger)
    );
    assert_eq!(there.own.get(&HAND).map(|h| (h.item, h.kind)), seen.own.get(&HAND).map(|h| (h.item, h.kind)));
    let in_bag: Vec<(u32, u32)> = there.bags[&bag_item].values().map(|s| (s.kind, s.count)).collect();
    assert_eq!(in_bag, vec![(berries, 5)], "the bag arrived with what it holds");
    let items = |s: &Seen| s.own.values().map(|i| (i.item, i.kind, i.count)).collect::<Vec<_>>();
    assert_eq!(items(&there), items(&seen), "the same items, ids and counts");

    // The database agrees: live on B, on map 16, the same items.
    let mut pg = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let row = pg
        .query_one(
            "SELECT p.live_shard, pp.map FROM players p JOIN player_positions pp ON pp.id = p.id WHERE p.name = $1",
            &[&name.to_lowercase()],
        )
        .unwrap();
    assert_eq!((row.get::<_, Option<String>>(0).as_deref(), row.get::<_, i32>(1)), (Some("b"), 16));

    // The token works once; a forged one is refused; the session token on A leads to B.
    match connect_following(b.listen, hello(&name, one_time), TIMEOUT) {
        Err(ClientError::Closed(c)) => assert_eq!(c.code, Some(close::HANDOFF_REFUSED), "{c:?}"),
        other => panic!("a replayed token must be refused, got {:?}", other.map(|f| f.welcome)),
    }
    match connect_following(b.listen, hello(&name, [0x17; 32]), TIMEOUT) {
        Err(ClientError::Closed(c)) => assert_eq!(c.code, Some(close::WRONG_TOKEN), "{c:?}"),
        other => panic!("a forged token must be refused, got {:?}", other.map(|f| f.welcome)),
    }
    let again = connect_following(a.listen, hello(&name, token), TIMEOUT).expect("session token on A");
    assert_eq!(again.redirects.len(), 1, "redirected to B, where the character lives");
    assert_eq!(again.redirects[0].address, ws(b.listen));
    assert_eq!(again.welcome.map, 16);

    assert!(wait_for(TIMEOUT, || metric(a.admin, "shard_handoffs_out_total") == Some(1.0)));
    assert!(wait_for(TIMEOUT, || metric(b.admin, "shard_handoffs_in_total") == Some(1.0)));
    assert_eq!(metric(a.admin, "shard_handoffs_failed_total"), Some(0.0));
    drop((on_b, again));
    assert_eq!(a.terminate(), Some(0));
    assert_eq!(b.terminate(), Some(0));
}

#[test]
fn a_hand_off_to_a_map_nobody_simulates_is_refused_and_the_character_stays() {
    let Some(db) = PgDb::create() else { return };
    let Some(redis) = RedisPrefix::create() else { return };
    let a = cluster_shard("a", "0", 3, (&db, &redis), &[]);
    let name = unique("stay");
    let mut on_a = connect_following(a.listen, hello(&name, [5; 32]), TIMEOUT).expect("login on A");
    let mut seen = Seen::default();
    assert!(pump(&mut on_a, &mut seen, TIMEOUT, |s| s.stats.is_some()));
    let (status, body) = post(a.admin, &format!("/admin/handoff?to=16&name={name}"));
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("no live shard"), "{body}");
    let (status, body) = post(a.admin, "/admin/handoff?to=0&count=5");
    assert_eq!((status, body.trim()), (200, r#"{"started":0}"#), "everyone is on map 0 already");
    let (status, body) = post(a.admin, &format!("/admin/handoff?to=0&name={name}"));
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("already"), "{body}");
    assert_eq!(post(a.admin, "/admin/handoff?to=999&count=5").0, 409, "no such map");
    assert_eq!(post(a.admin, "/admin/handoff?count=5").0, 400, "to= is required");
    assert!(!pump(&mut on_a, &mut seen, Duration::from_secs(1), |s| s.redirect.is_some()), "still playing");
    assert_eq!(seen.closed, None);
    drop(on_a);
    assert_eq!(a.terminate(), Some(0));
}

/// Moves the character of `f` from the shard at `from_admin` to map `to` (at `at`, else at
/// open land) and follows the Redirect; returns the new connection and what it saw there.
fn move_and_follow(
    f: &mut Followed,
    from_admin: std::net::SocketAddr,
    name: &str,
    (to, at): (u32, Option<(i32, i32)>),
    content: &Content,
) -> (Followed, Seen) {
    let (x, y) = at.unwrap_or_else(|| open_land(content, to));
    let (status, body) = post(from_admin, &format!("/admin/handoff?to={to}&name={name}&x={x}&y={y}"));
    assert_eq!((status, body.trim()), (200, r#"{"started":1}"#));
    let (next, there) = follow(f, name);
    assert_eq!((next.welcome.map, next.welcome.x, next.welcome.y), (to, x, y));
    (next, there)
}

/// Waits for the Redirect of a hand-off and follows it with its one-time token; returns the new
/// connection and what it saw there (its world kept).
fn follow(f: &mut Followed, name: &str) -> (Followed, Seen) {
    let mut seen = Seen::default();
    assert!(pump(f, &mut seen, TIMEOUT, |s| s.redirect.is_some()), "a Redirect mid-session");
    let (address, one_time) = seen.redirect.clone().unwrap();
    let addr = game::client::socket_addr(&address).expect("a ws:// address");
    let mut next = connect_following(addr, hello(name, one_time), TIMEOUT).expect("accepted");
    let mut world = GameClient::new(std::sync::Arc::new(Content::builtin()));
    world.handle(&ServerMessage::Welcome(next.welcome)).expect("the Welcome applies");
    let mut there = Seen { world: Some(world), ..Seen::default() };
    assert!(pump(&mut next, &mut there, TIMEOUT, |s| s.stats.is_some() && !s.own.is_empty()));
    (next, there)
}

/// The object of kind `kind` in `seen`'s chunks nearest `at`: its entity and place.
fn object_near(seen: &Seen, kind: u32, at: (i32, i32)) -> Option<(EntityId, (i32, i32))> {
    let chunks = seen.world.as_ref()?.world().chunks();
    let all = chunks.keys().iter().filter_map(|&(cx, cy)| chunks.get(cx, cy)).flat_map(|c| c.objects());
    let of_kind = all.filter(|o| u32::from(o.kind) == kind).map(|o| (EntityId(o.entity), (o.x, o.y)));
    of_kind.min_by_key(|o| (i64::from(o.1.0 - at.0)).pow(2) + (i64::from(o.1.1 - at.1)).pow(2))
}

#[test]
fn a_character_travels_through_three_shards_and_back_with_its_items() {
    let Some(db) = PgDb::create() else { return };
    let Some(redis) = RedisPrefix::create() else { return };
    let m = meta(&redis);
    let shards = [("a", "0", 0u32), ("b", "16", 16), ("c", "1", 1)]
        .map(|(id, maps, map)| (cluster_shard(id, maps, 3, (&db, &redis), &[]), id, map));
    for (_, id, map) in &shards {
        assert!(wait_for(TIMEOUT, || m.map_owner(*map).ok().flatten().as_deref() == Some(*id)));
    }
    std::thread::sleep(Duration::from_millis(1500)); // every directory knows every owner
    let content = Content::builtin();
    let (name, token) = (unique("travel"), [0x33u8; 32]);
    let mut f = connect_following(shards[0].0.listen, hello(&name, token), TIMEOUT).expect("login on A");
    let mut first = Seen::default();
    assert!(pump(&mut f, &mut first, TIMEOUT, |s| s.stats.is_some() && !s.own.is_empty()));
    let items = |s: &Seen| s.own.values().map(|i| (i.item, i.kind, i.count)).collect::<Vec<_>>();
    // An operator moves it to B, then into C's cave at the foot of a way out; it climbs out
    // through the way (a cave exit: a hand-off from C to A, which simulates the surface above).
    let cave = a_way_down(&content, game::shard::ShardOptions::default().seed);
    let mut there = Seen::default();
    for (from, to, at) in [(0, 1, None), (1, 2, Some(cave))] {
        let (next, seen) = move_and_follow(&mut f, shards[from].0.admin, &name, (shards[to].2, at), &content);
        assert_eq!(items(&seen), items(&first), "the same items on {}", shards[to].1);
        assert_eq!(seen.stats.map(|s| s.xp_crafting), first.stats.map(|s| s.xp_crafting));
        (f, there) = (next, seen);
    }
    let way_up = content.caves.unwrap().up;
    assert!(pump(&mut f, &mut there, TIMEOUT, |s| object_near(s, way_up, cave).is_some()), "the way out");
    let (exit, place) = object_near(&there, way_up, cave).unwrap();
    assert_eq!(place, cave, "the way out stands below the entrance");
    let input =
        there.world.as_mut().unwrap().input(net::protocol::Order::Interact { target: exit, action: 0 });
    f.client.send(&ClientMessage::Input(input)).unwrap();
    let (next, seen) = follow(&mut f, &name);
    assert_eq!(next.welcome.map, 0, "on the surface, on A");
    let (dx, dy) = (next.welcome.x - cave.0, next.welcome.y - cave.1);
    assert!(dx.abs() <= 2 * game::geom::TILE && dy.abs() <= 2 * game::geom::TILE, "beside the entrance");
    assert_eq!(items(&seen), items(&first), "the same items back on A");
    f = next;
    for (shard, id, _) in &shards {
        let out = |name: &str| metric(shard.admin, name);
        assert!(wait_for(TIMEOUT, || out("shard_handoffs_out_total") == Some(1.0)), "{id} out");
        assert!(wait_for(TIMEOUT, || out("shard_handoffs_in_total") == Some(1.0)), "{id} in");
    }
    drop(f);
    for (shard, _, _) in shards {
        assert_eq!(shard.terminate(), Some(0));
    }
}

#[test]
fn a_client_that_cannot_reach_the_target_takes_its_character_back_to_the_source() {
    let Some(db) = PgDb::create() else { return };
    let Some(redis) = RedisPrefix::create() else { return };
    let m = meta(&redis);
    let a = cluster_shard("a", "0", 3, (&db, &redis), &[]);
    let b = cluster_shard("b", "16", 3, (&db, &redis), &[]);
    assert!(wait_for(TIMEOUT, || m.map_owner(16).ok().flatten().as_deref() == Some("b")));
    std::thread::sleep(Duration::from_millis(1500));
    let (name, token) = (unique("back"), [0x61u8; 32]);
    let mut on_a = connect_following(a.listen, hello(&name, token), TIMEOUT).expect("login on A");
    let (x, y) = (on_a.welcome.x, on_a.welcome.y);
    let mut seen = Seen::default();
    assert!(pump(&mut on_a, &mut seen, TIMEOUT, |s| s.stats.is_some() && !s.own.is_empty()));
    let (status, _) = post(a.admin, &format!("/admin/handoff?to=16&name={name}"));
    assert_eq!(status, 200);
    assert!(pump(&mut on_a, &mut seen, TIMEOUT, |s| s.redirect.is_some()));
    let (_, one_time) = seen.redirect.clone().unwrap();
    drop(on_a);
    // The client cannot reach B: it logs in at A again with its own token and is back there.
    let mut back = connect_following(a.listen, hello(&name, token), TIMEOUT).expect("back on A");
    assert!(back.redirects.is_empty(), "taken back, not redirected");
    assert_eq!(back.welcome.map, 0);
    assert!((back.welcome.x - x).abs() <= 2 * 256 && (back.welcome.y - y).abs() <= 2 * 256, "where it left");
    let mut again = Seen::default();
    let returned = game::wire::error::HANDOFF_RETURNED;
    assert!(pump(&mut back, &mut again, TIMEOUT, |s| !s.own.is_empty() && s.errors.contains(&returned)));
    assert_eq!(again.errors, [returned], "told once that the move did not complete");
    assert!(!seen.errors.contains(&returned), "not on a first login");
    let items = |s: &Seen| s.own.values().map(|i| (i.item, i.kind, i.count)).collect::<Vec<_>>();
    assert_eq!(items(&again), items(&seen), "with its items");
    // The cancelled token is refused at B; the character stays on A.
    match connect_following(b.listen, hello(&name, one_time), TIMEOUT) {
        Err(ClientError::Closed(c)) => assert_eq!(c.code, Some(close::HANDOFF_REFUSED)),
        Ok(f) => panic!("a cancelled token must be refused, got {:?}", f.welcome),
        Err(e) => panic!("{e}"),
    }
    let mut pg = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let row = pg
        .query_one("SELECT p.live_shard FROM players p WHERE p.name = $1", &[&name.to_lowercase()])
        .unwrap();
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some("a"));
    drop(back);
    assert_eq!(a.terminate(), Some(0));
    assert_eq!(b.terminate(), Some(0));
}
