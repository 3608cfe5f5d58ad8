//! Crafting in play, in a map simulation with a hand-driven clock: a Craft is checked up front
//! (each refusal an Error with its code, nothing changed), runs for exactly `ticks × count`
//! ticks, then makes its result of the formula's quality in one transaction (stamina spent at
//! the start, experience gained at the end, the overflow in a ground pile); a new order, a
//! step or a second Craft cancels it with nothing consumed; ingredients gone by the end fail
//! it with their code.

mod map_common;

use engine::{Entity, ResourceKey};
use game::content::ContentTexts;
use game::gameplay::items::{self, ItemRequest, MapItems};
use game::geom::{CHUNK_UNITS, MapGeometry, map_id};
use game::items::Source;
use game::stats::{Experience, Vitals};
use game::wire::error;
use game::{Content, MapSim, Order};
use map_common::{enter_player, map_with_items, tick_until_resident};
use net::protocol::{Craft, CraftProgress, EntityId, ServerMessage, craft_state};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{Container, ItemRecord, ObjectRecord, Position, Store};

/// Where the character stands: the middle of chunk (3, 3) in x, open land south of the river
/// that crosses its middle (seed 7), so piles find room beside it.
const X: i32 = 3 * CHUNK_UNITS + CHUNK_UNITS / 2;
const Y: i32 = (3 * 128 + 100) * 256 + 128;
const PLAYER: i64 = 1;
const INV: Container = Container::Player(PLAYER);
/// The club recipe (shipped): 3 branches, 6 stamina, 40 ticks, 10 crafting experience.
const CLUB: u16 = 2;
/// The stone axe recipe (shipped): 2 branches and 3 stones.
const AXE: u16 = 1;
/// The box recipe (shipped): 4 logs and an axe as a tool.
const BOX: u16 = 3;
/// A test recipe: a club made at a box.
const BENCH_CLUB: u16 = 9;

struct Map {
    sim: MapSim,
    items: ResourceKey<MapItems>,
    store: Arc<Store>,
    me: Entity,
    content: Arc<Content>,
    next_request: u32,
}

fn kind(content: &Content, name: &str) -> u32 {
    content.item_named(name).unwrap_or_else(|| panic!("no item {name}")).id
}

/// `count` of `name` at quality `quality` in inventory slot `slot`, item id `100 + slot`.
fn held(content: &Content, name: &str, quality: u32, count: u32, slot: u16) -> ItemRecord {
    let kind = kind(content, name);
    ItemRecord { id: 100 + i64::from(slot), kind, quality, count, container: INV, slot: u32::from(slot) }
}

/// The shipped content plus [`BENCH_CLUB`], whose station is a box.
fn content_with_station() -> Content {
    let recipes = format!(
        "{}\n[[recipe]]\nid = {BENCH_CLUB}\nname = \"bench club\"\nresult = {{ item = \"club\", count = 1 }}\n\
         ingredients = {{ branch = 3 }}\nstamina = 6\nticks = 40\n\
         experience = {{ kind = \"crafting\", amount = 10 }}\nstation = \"box\"\n",
        ContentTexts::BUILTIN.recipes
    );
    Content::from_texts(ContentTexts { recipes: &recipes, ..ContentTexts::BUILTIN }).expect("content")
}

/// A map with one player at the middle of a chunk holding `kit` (made by `kit(content)`), its
/// stamina at 50 and crafting experience at 100. The clock's milliseconds stand still, so
/// vitals do not change by themselves: only ticks pass.
fn map(dir: &tempfile::TempDir, content: Content, kit: impl Fn(&Content) -> Vec<ItemRecord>) -> Map {
    let content = Arc::new(content);
    let (mut sim, items, store) = map_with_items(dir, content.clone());
    let kit = kit(&content);
    let me = enter_player((&mut sim, items, &store), (PLAYER, "crafter"), &kit, (X, Y));
    tick_until_resident(&mut sim, (X, Y), 1_000);
    let mut m = Map { sim, items, store, me, content, next_request: 1 };
    m.tick();
    let mut v = m.vitals();
    v.stamina = 50;
    assert!(m.sim.set_stats(m.me, v, Experience { crafting: 100, ..Experience::default() }));
    m
}

/// Three branches of quality 30 (slot 0) and three stones of quality 10 (slot 1).
fn branches_and_stones(c: &Content) -> Vec<ItemRecord> {
    vec![held(c, "branch", 30, 3, 0), held(c, "stone", 10, 3, 1)]
}

impl Map {
    /// One tick; the messages the items system sent.
    fn tick(&mut self) -> Vec<ServerMessage> {
        self.sim.tick(1_000);
        self.sim.world.resource_mut(self.items).take_outbox().into_iter().map(|(_, m)| m).collect()
    }

    fn now(&self) -> u64 {
        self.sim.world.resource(self.sim.keys.clock).tick
    }

    /// Sends a Craft (station: an entity, or none) and runs the tick that takes it up: its
    /// request id and the messages of that tick.
    fn craft(&mut self, recipe: u16, count: u16, station: Option<Entity>) -> (u32, Vec<ServerMessage>) {
        let request = self.next_request;
        self.next_request += 1;
        let station = EntityId(station.map_or(0, |e| e.to_bits()));
        let c = Craft { request, recipe, count, station };
        let k = self.sim.keys;
        let r = items::craft_request(&self.sim.world, &k, PLAYER, self.me, &c);
        self.sim.world.resource_mut(self.items).request(r);
        (request, self.tick())
    }

    /// The code of the one Error a refused Craft got, checking its request id.
    fn refused(&mut self, recipe: u16, count: u16, station: Option<Entity>) -> u16 {
        let (request, out) = self.craft(recipe, count, station);
        assert_eq!(progress(&out), [], "a refused craft does not start");
        let errors: Vec<_> = out
            .iter()
            .filter_map(|m| match m {
                ServerMessage::Error(e) => Some((e.request, e.code)),
                _ => None,
            })
            .collect();
        assert_eq!(errors.len(), 1, "one Error: {out:?}");
        assert_eq!(errors[0].0, request, "the Error names its request");
        errors[0].1
    }

    /// Sends a Craft that must start: its CraftProgress `started`.
    fn start(&mut self, recipe: u16, count: u16, station: Option<Entity>) -> CraftProgress {
        let (request, out) = self.craft(recipe, count, station);
        let p = progress(&out);
        assert_eq!(p.len(), 1, "started: {out:?}");
        assert_eq!((p[0].request, p[0].state), (request, craft_state::STARTED));
        p[0]
    }

    fn vitals(&self) -> Vitals {
        self.sim.stats(self.me).unwrap().0
    }

    fn experience(&self) -> Experience {
        self.sim.stats(self.me).unwrap().1
    }

    fn inventory(&self) -> Vec<ItemRecord> {
        let world = &self.sim.world.resource(self.items).world;
        let mut out: Vec<ItemRecord> = world.items_in(INV).copied().collect();
        out.sort_by_key(|r| r.slot);
        out
    }

    fn transactions(&self) -> u64 {
        self.sim.world.resource(self.items).counters.done
    }

    /// Flushes the writer until idle (chunks around may be saved meanwhile): what was accepted
    /// is durable.
    fn flush(&self) {
        let start = Instant::now();
        while !self.store.writer().flush(Duration::from_secs(10)).complete() {
            assert!(start.elapsed() < Duration::from_secs(60), "the writer never went idle");
        }
    }

    fn stored(&self, c: Container) -> Vec<ItemRecord> {
        let mut items = self.store.connect().unwrap().load_items(c).unwrap().items;
        items.sort_by_key(|r| r.slot);
        items
    }
}

/// The CraftProgress messages among `out`.
fn progress(out: &[ServerMessage]) -> Vec<CraftProgress> {
    out.iter()
        .filter_map(|m| match m {
            ServerMessage::CraftProgress(p) => Some(*p),
            _ => None,
        })
        .collect()
}

#[test]
fn a_club_is_made_after_exactly_its_ticks_with_the_formulas_quality() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, Content::builtin(), branches_and_stones);
    let club = kind(&m.content, "club");
    let started = m.start(CLUB, 1, None);
    let t = m.now();
    assert_eq!((started.started, started.finish), (t, t + 40), "40 ticks from the tick it started");
    assert_eq!(m.vitals().stamina, 44, "6 stamina spent at the start");
    let before = m.transactions();
    for _ in 0..39 {
        assert_eq!(progress(&m.tick()), [], "still crafting at tick {}", m.now());
    }
    assert_eq!(m.inventory()[0].kind, kind(&m.content, "branch"), "nothing consumed before the end");
    let out = m.tick();
    let done = progress(&out);
    assert_eq!(done.len(), 1, "{out:?}");
    // Quality: branches of 30 → Qi 30, no tools → Qt = Qi, base (4·30 + 30) / 5 = 30; skill
    // S = 10 + isqrt(100) = 20 < 30 → (30 + 20) / 2 = 25.
    let want = CraftProgress {
        request: started.request,
        recipe: CLUB,
        state: craft_state::DONE,
        code: 0,
        started: t,
        finish: t + 40,
        kind: club,
        quality: 25,
        made: 1,
        ground: 0,
    };
    assert_eq!(done[0], want);
    assert_eq!(m.now(), t + 40);
    assert_eq!(m.transactions(), before + 1, "one transaction");
    let inv = m.inventory();
    assert_eq!(inv.len(), 2, "{inv:?}");
    assert_eq!(
        (inv[0].kind, inv[0].quality, inv[0].count, inv[0].slot),
        (club, 25, 1, 0),
        "in the freed slot"
    );
    assert_eq!(inv[1].id, 101, "the stones stay");
    assert_eq!(m.experience().crafting, 110, "10 crafting experience gained");
    assert_eq!(m.vitals().stamina, 44);
    assert!(m.sim.world.resource(m.items).craft_of(PLAYER).is_none());

    m.flush();
    let stored = m.stored(INV);
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert_eq!((stored[0].kind, stored[0].quality, stored[0].count), (club, 25, 1), "the club is stored");
    assert!(stored.iter().all(|r| r.id != 100), "the branches are gone from storage");
}

#[test]
fn repetitions_take_ticks_stamina_and_experience_times_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, Content::builtin(), |c| vec![held(c, "branch", 30, 6, 0)]);
    let started = m.start(CLUB, 2, None);
    assert_eq!(started.finish - started.started, 80);
    assert_eq!(m.vitals().stamina, 50 - 12);
    let mut done = Vec::new();
    for _ in 0..80 {
        done.extend(progress(&m.tick()));
    }
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].state, done[0].made, done[0].finish), (craft_state::DONE, 2, started.finish));
    assert_eq!(m.experience().crafting, 120);
    let clubs = m.inventory().iter().filter(|r| r.kind == kind(&m.content, "club")).count();
    assert_eq!(clubs, 2, "two clubs, one a slot (they do not stack)");
}

#[test]
fn a_new_order_cancels_the_craft_and_nothing_is_consumed() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, Content::builtin(), branches_and_stones);
    let before = m.inventory();
    let started = m.start(CLUB, 1, None);
    m.tick();
    // A Stop: the character stays where it is, but it is a new order.
    assert!(m.sim.set_order(m.me, Order::Idle));
    let out = progress(&m.tick());
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].request, out[0].state), (started.request, craft_state::CANCELLED));
    assert_eq!(out[0].finish, m.now(), "cancelled at this tick");
    for _ in 0..45 {
        assert_eq!(progress(&m.tick()), []);
    }
    assert_eq!(m.inventory(), before, "nothing consumed, nothing made");
    assert_eq!(m.vitals().stamina, 44, "the stamina stays spent");
    assert_eq!(m.experience().crafting, 100);
}

#[test]
fn a_step_cancels_the_craft_and_nothing_is_consumed() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, Content::builtin(), branches_and_stones);
    let before = m.inventory();
    let started = m.start(CLUB, 1, None);
    let k = m.sim.keys;
    *m.sim.world.column_mut(k.x).get_mut(m.me).unwrap() += 16;
    let out = progress(&m.tick());
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].request, out[0].state), (started.request, craft_state::CANCELLED));
    for _ in 0..45 {
        assert_eq!(progress(&m.tick()), []);
    }
    assert_eq!(m.inventory(), before);
    assert_eq!(m.vitals().stamina, 44);
}

#[test]
fn a_second_craft_replaces_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, Content::builtin(), branches_and_stones);
    let first = m.start(CLUB, 1, None);
    m.tick();
    let (second, out) = m.craft(AXE, 1, None);
    let p = progress(&out);
    assert_eq!(p.len(), 2, "{out:?}");
    assert_eq!((p[0].request, p[0].state), (first.request, craft_state::CANCELLED));
    assert_eq!((p[1].request, p[1].state), (second, craft_state::STARTED));
    assert_eq!(m.vitals().stamina, 50 - 6 - 10, "both paid");
    let mut done = Vec::new();
    for _ in 0..60 {
        done.extend(progress(&m.tick()));
    }
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].request, done[0].kind), (second, kind(&m.content, "stone axe")));
    let inv = m.inventory();
    assert_eq!(inv.len(), 2, "an axe and the one branch left: {inv:?}");
    assert!(inv.iter().all(|r| r.kind != kind(&m.content, "club")), "the club was never made");
}

#[test]
fn each_refusal_up_front_has_its_code_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, Content::builtin(), |c| {
        vec![held(c, "branch", 30, 3, 0), held(c, "stone", 10, 2, 1), held(c, "log", 10, 4, 2)]
    });
    let before = m.inventory();
    assert_eq!(m.refused(77, 1, None), error::UNKNOWN_RECIPE);
    assert_eq!(m.refused(CLUB, 0, None), error::BAD_CRAFT_COUNT);
    assert_eq!(m.refused(AXE, 1, None), error::MISSING_INGREDIENTS, "2 stones of 3");
    assert_eq!(m.refused(CLUB, 2, None), error::MISSING_INGREDIENTS, "3 branches of 6");
    assert_eq!(m.refused(BOX, 1, None), error::MISSING_TOOL, "logs but no axe");
    let mut v = m.vitals();
    v.stamina = 5;
    assert!(m.sim.set_stats(m.me, v, m.experience()));
    assert_eq!(m.refused(CLUB, 1, None), error::NOT_ENOUGH_STAMINA, "5 of 6");
    v.stamina = 50;
    v.health = 0;
    assert!(m.sim.set_stats(m.me, v, m.experience()));
    assert_eq!(m.refused(CLUB, 1, None), error::DEAD);
    assert_eq!(m.inventory(), before, "nothing changed");
    assert_eq!(m.vitals().stamina, 50, "no stamina spent");
    assert!(m.sim.world.resource(m.items).craft_of(PLAYER).is_none());
    let refused = &m.sim.world.resource(m.items).counters.refused;
    assert_eq!(refused.values().sum::<u64>(), 7, "{refused:?}");
}

#[test]
fn the_station_must_be_named_of_its_kind_and_in_reach() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, content_with_station(), branches_and_stones);
    let box_kind = m.content.object("box").unwrap().id;
    let rock_kind = m.content.object("rock").unwrap().id;
    let object = |id: i64, kind: u32, x: i32| {
        let (gx, gy) = MapGeometry::chunk_of(x, Y);
        let pos = Position { x, y: Y };
        ObjectRecord { id, map: map_id(0, 0), grid_x: gx, grid_y: gy, kind, pos, ..Default::default() }
    };
    // Reach for a box: character radius 77 + box radius 40 + interact range 64 (+ slack 32).
    let near = m.sim.insert_object(object(900, box_kind, X + 150)).unwrap();
    let far = m.sim.insert_object(object(901, box_kind, X - 600)).unwrap();
    let rock = m.sim.insert_object(object(902, rock_kind, X - 200)).unwrap();
    m.tick();
    assert_eq!(m.refused(BENCH_CLUB, 1, None), error::STATION_NOT_IN_REACH, "by hand");
    assert_eq!(m.refused(BENCH_CLUB, 1, Some(far)), error::STATION_NOT_IN_REACH, "too far");
    assert_eq!(m.refused(BENCH_CLUB, 1, Some(rock)), error::STATION_NOT_IN_REACH, "not a box");
    assert_eq!(m.refused(BENCH_CLUB, 1, Some(m.me)), error::STATION_NOT_IN_REACH, "not an object");
    assert_eq!(m.vitals().stamina, 50);
    let started = m.start(BENCH_CLUB, 1, Some(near));
    let mut done = Vec::new();
    for _ in 0..40 {
        done.extend(progress(&m.tick()));
    }
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].request, done[0].state), (started.request, craft_state::DONE));
    assert_eq!(done[0].kind, kind(&m.content, "club"));
    // A recipe without a station ignores the one named.
    assert_eq!(m.refused(CLUB, 1, Some(far)), error::MISSING_INGREDIENTS, "the branches are used up");
}

#[test]
fn what_does_not_fit_lands_in_a_ground_pile_in_the_same_transaction() {
    let dir = tempfile::tempdir().unwrap();
    // Four branches (one stays, so their slot is not freed) and 23 full slots of stones.
    let mut m = map(&dir, Content::builtin(), |c| {
        let mut kit = vec![held(c, "branch", 30, 4, 0)];
        kit.extend((1..24).map(|slot| held(c, "stone", 10, 50, slot)));
        kit
    });
    let club = kind(&m.content, "club");
    let pile_kind = m.content.pile_kind().unwrap().id;
    let started = m.start(CLUB, 1, None);
    let before = m.transactions();
    let mut done = Vec::new();
    for _ in 0..40 {
        done.extend(progress(&m.tick()));
    }
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].request, done[0].state), (started.request, craft_state::DONE));
    assert_eq!((done[0].made, done[0].ground), (1, 1), "the club lies on the ground");
    assert_eq!(m.transactions(), before + 1, "consuming, making and the pile: one transaction");
    assert_eq!(m.inventory()[0].count, 1, "one branch left");
    let world = &m.sim.world.resource(m.items).world;
    let on_ground: Vec<ItemRecord> = world.records().filter(|r| r.kind == club).copied().collect();
    assert_eq!(on_ground.len(), 1);
    let Container::Object(pile) = on_ground[0].container else { panic!("{:?}", on_ground[0]) };
    let entity = m.sim.world.resource(m.items).object_entity(pile).expect("the pile is in the map");
    let (x, y) = m.sim.position(entity).unwrap();
    assert!((x - X).abs() < 3 * 256 && (y - Y).abs() < 3 * 256, "beside the character: {x}, {y}");
    let piles = m.sim.objects_near(X, Y, 3 * 256);
    assert!(piles.contains(&(entity, pile_kind)), "{piles:?}");

    m.flush();
    let stored = m.stored(Container::Object(pile));
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].kind, stored[0].quality, stored[0].count), (club, 25, 1));
    assert_eq!(m.stored(INV)[0].count, 1, "the branches consumed in storage too");
}

#[test]
fn ingredients_gone_by_the_end_fail_the_craft_with_their_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, Content::builtin(), branches_and_stones);
    let started = m.start(CLUB, 1, None);
    // One branch dropped while crafting (a drop is no order and no step).
    let from = Source::new(INV, 0);
    let drop = ItemRequest::Drop { player: PLAYER, request: 50, from, count: 1 };
    m.sim.world.resource_mut(m.items).request(drop);
    let mut out = Vec::new();
    for _ in 0..40 {
        out.extend(progress(&m.tick()));
    }
    assert_eq!(out.len(), 1, "{out:?}");
    let failed = out[0];
    assert_eq!((failed.request, failed.state), (started.request, craft_state::FAILED));
    assert_eq!((failed.code, failed.made, failed.finish), (error::MISSING_INGREDIENTS, 0, started.finish));
    let inv = m.inventory();
    assert_eq!((inv[0].kind, inv[0].count), (kind(&m.content, "branch"), 2), "nothing consumed");
    assert_eq!(m.experience().crafting, 100, "no experience");
    assert_eq!(m.vitals().stamina, 44);
}
