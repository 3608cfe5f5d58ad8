//! Gathering and planting in a map simulation with the items and growth features, on SQLite,
//! with a hand-driven clock: a mature tree felled with an axe in hand gives logs of the quality
//! the rule says and leaves a stump, for stamina and gathering experience, all stored; without
//! an axe, or too young, it is refused with its code and nothing changes; interrupted work gives
//! nothing; a bush gives branches, berries and seeds and regrows, a rock gives stones and stays;
//! seeds planted become a crop that ripens with time and is harvested; every planting refusal;
//! item totals change only as the rules say.

use engine::{Entity, ResourceKey};
use game::content::ContentTexts;
use game::gameplay::{self, items::ItemRequest, items::MapItems};
use game::geom::{CHUNK_UNITS, MapGeometry, map_id};
use game::items::Source;
use game::stats::{Experience, Vitals};
use game::wire::{error as code, verb};
use game::{Content, Controller, MapSim, Order, Outcome, SimConfig, SimParts};
use net::protocol::ServerMessage;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{
    Container, ItemOp, ItemRecord, ItemTx, ObjectRecord, PlayerRecord, Position, Store, StoreConfig,
};

const PLAYER: i64 = 1;
/// A Unix-like start time.
const T0: u64 = 1_700_000_000_000;
const MINUTE: u64 = 60_000;
/// Slots of the kit: seeds (quality 12) in 0, a branch in 1; the axe (quality 10) in the hand.
const SEEDS: u16 = 0;
const BRANCH: u16 = 1;

/// The shipped content with no blocking terrain (and `edit` applied to objects.toml).
fn content(edit: impl Fn(&str) -> String) -> Content {
    let terrain = ContentTexts::BUILTIN.terrain.replace("blocks = true", "blocks = false");
    let objects = edit(ContentTexts::BUILTIN.objects);
    Content::from_texts(ContentTexts { terrain: &terrain, objects: &objects, ..ContentTexts::BUILTIN })
        .unwrap()
}

struct Map {
    sim: MapSim,
    items: ResourceKey<MapItems>,
    store: Arc<Store>,
    me: Entity,
    /// Where the character stands: open soil around it.
    at: (i32, i32),
    now: u64,
    next_object: i64,
}

fn kind(m: &Map, name: &str) -> u32 {
    m.sim.content.item_named(name).unwrap().id
}

fn object_kind(m: &Map, name: &str) -> u32 {
    m.sim.content.object(name).unwrap().id
}

/// A map whose player holds 5 seeds of quality 12, a branch and (with `axe`) a stone axe of
/// quality 10 in its hand, standing on open soil near the centre of chunk 3 with nothing around it.
fn map(dir: &tempfile::TempDir, content: Content, axe: bool) -> Map {
    let store = Arc::new(Store::open(StoreConfig::sqlite(dir.path().join("world.db"))).expect("open sqlite"));
    let parts = SimParts {
        content: Arc::new(content),
        map: MapGeometry::new(map_id(0, 0), 8, 8),
        seed: 7,
        store: store.clone(),
        config: SimConfig::default(),
    };
    let mut sim = MapSim::new(parts).expect("sim");
    let items = gameplay::items::install(&mut sim, store.clone()).expect("items");
    gameplay::growth::install(&mut sim).expect("growth");
    let c = sim.content.clone();
    let at = |id, k: &str, quality, count, slot| ItemRecord {
        id,
        kind: c.item_named(k).unwrap().id,
        quality,
        count,
        container: Container::Player(PLAYER),
        slot,
    };
    let mut kit =
        vec![at(100, "seeds", 12, 5, u32::from(SEEDS)), at(101, "branch", 10, 1, u32::from(BRANCH))];
    if axe {
        kit.push(at(102, "stone axe", 10, 1, u32::from(c.item_rules.inventory_slots)));
    }
    let record =
        PlayerRecord { id: PLAYER, name: "gatherer".into(), token_hash: vec![1; 32], ..Default::default() };
    let tx = ItemTx::new("kit", kit.iter().map(|&r| ItemOp::Put(r)).collect());
    store.writer().create_player(record, tx).unwrap().wait(Duration::from_secs(10)).unwrap();
    let at = open_soil(&sim);
    let me = sim.spawn_character(Controller::Player(PLAYER), at.0, at.1);
    sim.world.resource_mut(items).enter(PLAYER, me, &kit);
    let mut m = Map { sim, items, store, me, at, now: T0, next_object: 1 << 40 };
    let start = Instant::now();
    while !(2..=4).all(|c| m.sim.world.resource(m.sim.keys.chunks).is_resident_at(c * CHUNK_UNITS, at.1)) {
        assert!(start.elapsed() < Duration::from_secs(60), "the chunks never loaded");
        m.sim.tick(m.now);
        std::thread::sleep(Duration::from_millis(2));
    }
    for (e, _) in m.sim.objects_near(at.0, at.1, 6 * 256) {
        assert!(m.sim.remove_object(e), "a clear field");
    }
    m.sim.tick(m.now);
    m.take_errors();
    m
}

impl Map {
    /// Puts an object of `kind` at `stage` (started now) and `quality`, `(dx, dy)` from the
    /// character.
    fn place(&mut self, kind: &str, stage: u16, quality: u32, (dx, dy): (i32, i32)) -> Entity {
        let (x, y) = (self.at.0 + dx, self.at.1 + dy);
        let (gx, gy) = MapGeometry::chunk_of(x, y);
        self.next_object += 1;
        let record = ObjectRecord {
            id: self.next_object,
            map: map_id(0, 0),
            grid_x: gx,
            grid_y: gy,
            kind: object_kind(self, kind),
            pos: Position { x, y },
            quality,
            stage,
            stage_started_ms: self.now as i64,
            ..Default::default()
        };
        self.sim.insert_object(record).unwrap()
    }

    fn record(&self, e: Entity) -> Option<ObjectRecord> {
        self.sim.world.column(self.sim.keys.object).get(e).cloned()
    }

    /// Every (kind, quality) held by the player.
    fn totals(&self) -> BTreeMap<(u32, u32), u64> {
        self.sim.world.resource(self.items).world.totals()
    }

    fn vitals(&self) -> (Vitals, Experience) {
        self.sim.stats(self.me).unwrap()
    }

    /// Interacts with `target` (verb use) until the order ends; returns the ticks it took, the
    /// outcome and the error codes sent.
    fn gather(&mut self, target: Entity) -> (u32, Option<Outcome>, Vec<u16>) {
        assert!(self.sim.set_order(self.me, Order::Interact { target, verb: verb::USE }));
        let mut ticks = 0;
        while self.sim.order(self.me).unwrap().current != Order::Idle {
            self.sim.tick(self.now);
            ticks += 1;
            assert!(ticks < 1_000, "the work never ended");
        }
        let outcome = self.sim.order(self.me).unwrap().last.map(|(_, o)| o);
        (ticks, outcome, self.take_errors())
    }

    fn plant(&mut self, slot: u16, (dx, dy): (i32, i32), request: u32) -> Vec<u16> {
        let from = Source::new(Container::Player(PLAYER), slot);
        let plant =
            ItemRequest::Plant { player: PLAYER, request, from, at: (self.at.0 + dx, self.at.1 + dy) };
        self.sim.world.resource_mut(self.items).request(plant);
        self.sim.tick(self.now);
        self.take_errors()
    }

    fn take_errors(&mut self) -> Vec<u16> {
        let outbox = self.sim.world.resource_mut(self.items).take_outbox();
        outbox
            .into_iter()
            .filter_map(|(_, m)| match m {
                ServerMessage::Error(e) => Some(e.code),
                _ => None,
            })
            .collect()
    }

    fn flush(&self) {
        let start = Instant::now();
        while !self.store.writer().flush(Duration::from_secs(10)).complete() {
            assert!(start.elapsed() < Duration::from_secs(60), "the writer never went idle");
        }
    }
}

/// The centre of the tile nearest the centre of chunk 3 with the shipped crop's soil (grass,
/// dirt, forest floor) on every tile within 3 of it (world generation of seed 7).
fn open_soil(sim: &MapSim) -> (i32, i32) {
    let content = &sim.content;
    let soil: Vec<u16> =
        ["grass", "dirt", "forest_floor"].iter().map(|n| content.terrain(n).unwrap().id).collect();
    let chunk = game::worldgen::WorldGen::new(content, 7).unwrap().generate(&sim.geometry(), 3, 3);
    let ok = |x: i32, y: i32| {
        soil.contains(&chunk.tiles.terrain[store::ChunkTiles::index(x as usize, y as usize)])
    };
    let open = |x: i32, y: i32| (-3..=3).all(|dy| (-3..=3).all(|dx| ok(x + dx, y + dy)));
    let mut tiles: Vec<(i32, i32)> = (3..125).flat_map(|y| (3..125).map(move |x| (x, y))).collect();
    tiles.sort_by_key(|&(x, y)| (x - 64).pow(2) + (y - 64).pow(2));
    let (x, y) = tiles.into_iter().find(|&(x, y)| open(x, y)).expect("open soil in chunk 3");
    (3 * CHUNK_UNITS + x * 256 + 128, 3 * CHUNK_UNITS + y * 256 + 128)
}

/// `totals` with `(kind, quality)` changed by `delta`.
fn plus(mut totals: BTreeMap<(u32, u32), u64>, changes: &[((u32, u32), i64)]) -> BTreeMap<(u32, u32), u64> {
    for &(key, delta) in changes {
        let n = totals.entry(key).or_insert(0);
        *n = n.checked_add_signed(delta).unwrap();
        if *n == 0 {
            totals.remove(&key);
        }
    }
    totals
}

#[test]
fn a_mature_tree_felled_with_an_axe_gives_logs_and_leaves_a_stump() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, content(str::to_owned), true);
    let tree = m.place("tree", 2, 12, (200, 0));
    let before = m.totals();
    let (rested, _) = m.vitals();
    let (ticks, outcome, errors) = m.gather(tree);
    assert_eq!((outcome, errors), (Some(Outcome::Done), vec![]));
    assert_eq!(ticks, 40, "a chop takes the content's 40 ticks");
    // Quality (12 + 10) / 2 = 11; a mature tree gives 3 logs.
    let log = kind(&m, "log");
    assert_eq!(m.totals(), plus(before, &[((log, 11), 3)]), "three logs, nothing else");
    let stump = m.record(tree).expect("the same object");
    assert_eq!((stump.kind, stump.quality), (object_kind(&m, "stump"), 12));
    let (v, xp) = m.vitals();
    assert_eq!(v.stamina, rested.stamina - 10, "the chop's stamina (the clock stood still)");
    assert_eq!(xp.gathering, 8);
    // Stored: the logs in the inventory, the stump in place of the tree.
    m.flush();
    let mut db = m.store.connect().unwrap();
    let stored = db.load_items(Container::Player(PLAYER)).unwrap().items;
    let logs: Vec<(u32, u32)> =
        stored.iter().filter(|i| i.kind == log).map(|i| (i.count, i.quality)).collect();
    assert_eq!(logs, [(3, 11)]);
    let chunk = db.load_chunk(stump.chunk()).unwrap();
    let object = chunk.objects.iter().find(|o| o.id == stump.id).expect("stored");
    assert_eq!(object.kind, object_kind(&m, "stump"));
    // An old tree gives 5.
    let old = m.place("tree", 3, 8, (-200, 0));
    let before = m.totals();
    assert_eq!(m.gather(old).1, Some(Outcome::Done));
    assert_eq!(m.totals(), plus(before, &[((log, 9), 5)]), "(8 + 10) / 2 = 9");
}

#[test]
fn felling_needs_an_axe_in_hand_and_a_grown_tree_and_interrupted_work_gives_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, content(str::to_owned), false);
    let tree = m.place("tree", 2, 12, (200, 0));
    let before = m.totals();
    let (ticks, outcome, errors) = m.gather(tree);
    assert_eq!((ticks, outcome), (1, Some(Outcome::Impossible(game::orders::Impossible::Refused))));
    assert_eq!(errors, [code::NEED_TOOL], "refused on the first tick");
    assert_eq!(m.totals(), before);
    assert_eq!(m.record(tree).unwrap().kind, object_kind(&m, "tree"));

    // With the axe in the hand slot, a young tree is still refused.
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, content(str::to_owned), true);
    let young = m.place("tree", 1, 12, (200, 0));
    assert_eq!(m.gather(young).2, [code::NOT_READY]);
    // A chop cut short by a new order gives nothing and costs nothing; the next starts over.
    let tree = m.place("tree", 2, 12, (-200, 0));
    let (before, (rested, _)) = (m.totals(), m.vitals());
    assert!(m.sim.set_order(m.me, Order::Interact { target: tree, verb: verb::USE }));
    for _ in 0..30 {
        m.sim.tick(m.now);
    }
    assert!(m.sim.set_order(m.me, Order::Idle));
    m.sim.tick(m.now);
    assert_eq!((m.totals(), m.vitals().0, m.record(tree).unwrap().stage), (before.clone(), rested, 2));
    assert_eq!(m.gather(tree).0, 40, "40 ticks again from the start");
}

#[test]
fn a_bush_gives_branches_berries_and_seeds_then_regrows_and_a_rock_gives_stones() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, content(str::to_owned), false);
    let bush = m.place("bush", 1, 9, (0, 170));
    let before = m.totals();
    let (ticks, outcome, errors) = m.gather(bush);
    assert_eq!((ticks, outcome, errors), (20, Some(Outcome::Done), vec![]));
    let (branch, berries, seeds) = (kind(&m, "branch"), kind(&m, "berries"), kind(&m, "seeds"));
    let got = [((branch, 9), 2), ((berries, 9), 3), ((seeds, 9), 2)];
    assert_eq!(m.totals(), plus(before.clone(), &got), "the bush's quality, no tool");
    let bare = m.record(bush).unwrap();
    assert_eq!(
        (bare.stage, bare.stage_started_ms, bare.stage_ends_ms),
        (0, m.now as i64, (m.now + 15 * MINUTE) as i64)
    );
    assert_eq!(m.gather(bush).2, [code::NOT_READY], "bare");
    // Laden again after 15 minutes (the growth system moves it on).
    m.now += 15 * MINUTE;
    m.sim.tick(m.now);
    assert_eq!(m.record(bush).unwrap().stage, 1);
    assert_eq!(m.gather(bush).1, Some(Outcome::Done));
    assert_eq!(m.vitals().1.gathering, 4);

    let rock = m.place("rock", 0, 11, (0, -190));
    let before = m.totals();
    assert_eq!(m.gather(rock).0, 30);
    assert_eq!(m.gather(rock).1, Some(Outcome::Done), "a rock is not used up");
    assert_eq!(m.totals(), plus(before, &[((kind(&m, "stone"), 11), 4)]));
    assert_eq!(m.record(rock).unwrap().kind, object_kind(&m, "rock"));
}

#[test]
fn seeds_planted_ripen_with_time_and_are_harvested() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, content(str::to_owned), false);
    let crop_kind = object_kind(&m, "crop");
    let before = m.totals();
    assert_eq!(m.plant(SEEDS, (0, 120), 7), Vec::<u16>::new());
    let crops: Vec<Entity> = m
        .sim
        .objects_near(m.at.0, m.at.1, 512)
        .into_iter()
        .filter(|&(_, k)| k == crop_kind)
        .map(|(e, _)| e)
        .collect();
    let [crop] = crops[..] else { panic!("one crop: {crops:?}") };
    let seeds = kind(&m, "seeds");
    assert_eq!(m.totals(), plus(before, &[((seeds, 12), -1)]), "one seed taken");
    let planted = m.record(crop).unwrap();
    assert_eq!((planted.pos.x, planted.pos.y, planted.quality, planted.stage), (m.at.0, m.at.1 + 120, 12, 0));
    assert_eq!(planted.stage_started_ms, m.now as i64);
    m.flush();
    let stored = m.store.connect().unwrap().load_chunk(planted.chunk()).unwrap();
    assert!(
        stored.objects.iter().any(|o| o.id == planted.id && o.kind == crop_kind),
        "stored with the seed taken"
    );

    // Not ripe: refused. Ripe after 20 + 40 minutes: harvested, the crop gone.
    assert_eq!(m.gather(crop).2, [code::NOT_READY]);
    m.now += 20 * MINUTE;
    m.sim.tick(m.now);
    assert_eq!(m.record(crop).unwrap().stage, 1);
    assert_eq!(m.gather(crop).2, [code::NOT_READY], "growing");
    m.now += 40 * MINUTE;
    m.sim.tick(m.now);
    assert_eq!(m.record(crop).unwrap().stage, 2, "ripe");
    let before = m.totals();
    let (_, outcome, errors) = m.gather(crop);
    assert_eq!((outcome, errors), (Some(Outcome::Done), vec![]));
    assert!(m.record(crop).is_none(), "harvested: gone");
    let gained: Vec<((u32, u32), u64)> = m
        .totals()
        .into_iter()
        .filter(|(key, n)| before.get(key) != Some(n))
        .map(|(key, n)| (key, n - before.get(&key).copied().unwrap_or(0)))
        .collect();
    let (berries, q) = (kind(&m, "berries"), gained[0].0.1);
    assert!((10..=14).contains(&q), "the seed's quality 12 ± 2: {q}");
    assert_eq!(gained, [((seeds, q), 2), ((berries, q), 6)], "by kind id: seeds 4, berries 5");
    m.flush();
    let stored = m.store.connect().unwrap().load_chunk(planted.chunk()).unwrap();
    assert!(!stored.objects.iter().any(|o| o.id == planted.id), "deleted in storage too");
}

#[test]
fn planting_refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, content(str::to_owned), true);
    let tree = m.place("tree", 2, 12, (200, 0));
    let before = m.totals();
    assert_eq!(m.plant(BRANCH, (0, 120), 1), [code::NOT_A_SEED]);
    assert_eq!(m.plant(SEEDS, (0, 4 * 256), 2), [code::TOO_FAR_TO_PLANT]);
    assert_eq!(m.plant(SEEDS, (120, 0), 3), [code::SPOT_TAKEN], "beside the tree");
    assert_eq!(m.plant(5, (0, 120), 4), [code::EMPTY_SLOT]);
    let (mut dead, xp) = m.vitals();
    dead.health = 0;
    assert!(m.sim.set_stats(m.me, dead, xp));
    assert_eq!(m.plant(SEEDS, (0, 120), 5), [code::DEAD]);
    assert_eq!(m.gather(tree).2, Vec::<u16>::new(), "the dead do not act: the order ends at once");
    assert_eq!(m.totals(), before);
    assert_eq!(m.record(tree).unwrap().kind, object_kind(&m, "tree"));

    // Ground the crop's soil does not list.
    let dir = tempfile::tempdir().unwrap();
    let caves_only =
        |o: &str| o.replace("soil = [\"grass\", \"dirt\", \"forest_floor\"]", "soil = [\"cave_floor\"]");
    let mut m = map(&dir, content(caves_only), false);
    let before = m.totals();
    assert_eq!(m.plant(SEEDS, (0, 120), 6), [code::BAD_SOIL]);
    assert_eq!(m.totals(), before);
}

#[test]
fn no_room_for_all_of_it_refuses_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = map(&dir, content(str::to_owned), false);
    // Fill every free inventory slot with one stone each (moves of single stones from a stack
    // would take ids; give them directly in the model instead).
    let stone = kind(&m, "stone");
    {
        let mut items = m.sim.world.resource_mut(m.items);
        let mut next = 500;
        for quality in 0..22 {
            let stack = game::items::Stack { kind: stone, quality: 100 + quality, count: 1 };
            let target = game::items::Target::any(Container::Player(PLAYER));
            items
                .world
                .give(target, stack, &mut || {
                    next += 1;
                    Some(next)
                })
                .unwrap();
        }
    }
    let bush = m.place("bush", 1, 9, (0, 170));
    let before = m.totals();
    let (ticks, _, errors) = m.gather(bush);
    assert_eq!((ticks, errors), (1, vec![code::GATHER_NO_ROOM]));
    assert_eq!((m.totals(), m.record(bush).unwrap().stage), (before, 1), "nothing given, still laden");
}
