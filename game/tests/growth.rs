//! Trees and crops growing (§10) with a hand-driven clock on SQLite: a chunk unloaded and
//! reloaded after hours or days shows, object by object, exactly what the same chunk shows in a
//! second map that kept it resident and ticked through the time at coarse steps; a resident
//! stage change reaches a client holding the chunk as an ObjectDelta change and survives a save
//! and a reload; removed objects never fire; world generation starts trees in varied,
//! deterministic stages; content growth tables are validated with errors naming file and field.

use game::ContentError;
use game::chunks::ChunkState;
use game::content::Growth;
use game::gameplay;
use game::geom::{CHUNK_UNITS, MapGeometry, TILE, map_id};
use game::growth::NEVER;
use game::replicate::{Outgoing, ReplicationConfig, Replicator};
use game::worldgen::WorldGen;
use game::{Content, Controller, MapSim, SimConfig, SimParts, WorldLayout};
use net::ConnId;
use net::protocol::{EntityId, ObjectChange, PROTOCOL_VERSION, ServerMessage, SessionToken, Welcome};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{ChunkKey, ObjectRecord, Position, Store, StoreConfig};

/// A Unix-like start time (the shard's clock is Unix time in ms).
const T0: u64 = 1_700_000_000_000;
const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;
/// Centre of chunk 3 on both axes.
const C: i32 = 3 * CHUNK_UNITS + CHUNK_UNITS / 2;
const CROP: u32 = 7;

fn content() -> Arc<Content> {
    Arc::new(Content::builtin())
}

fn map() -> MapGeometry {
    *WorldLayout::from_content(&Content::builtin()).map(map_id(0, 0)).unwrap()
}

fn open_store(dir: &Path) -> Arc<Store> {
    Arc::new(Store::open(StoreConfig::sqlite(dir.join("world.db"))).expect("open sqlite"))
}

/// A map on the store in `dir` (seed 7), with the growth feature installed.
fn grown_sim(dir: &Path) -> MapSim {
    let parts = SimParts {
        content: content(),
        map: map(),
        seed: 7,
        store: open_store(dir),
        config: SimConfig::default(),
    };
    let mut sim = MapSim::new(parts).expect("sim");
    gameplay::growth::install(&mut sim).expect("install growth");
    sim
}

/// Ticks at a fixed clock until `done` (the wait is for worker threads, not asserted on time).
fn tick_until(s: &mut MapSim, now: u64, mut done: impl FnMut(&MapSim) -> bool) {
    let start = Instant::now();
    while !done(s) {
        assert!(start.elapsed() < Duration::from_secs(60), "condition never reached");
        s.tick(now);
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn state(s: &MapSim, cx: i32, cy: i32) -> ChunkState {
    s.world.resource(s.keys.chunks).state(cx, cy).unwrap()
}

fn area_resident(s: &MapSim) -> bool {
    (2..=4).all(|cx| (2..=4).all(|cy| state(s, cx, cy) == ChunkState::Resident))
}

fn area_absent(s: &MapSim) -> bool {
    (2..=4).all(|cx| (2..=4).all(|cy| state(s, cx, cy) == ChunkState::Absent))
}

/// A growing object as compared between maps: position, kind, stage and stage times.
type Growing = (i32, i32, u32, u16, i64, i64);

/// Every growing object of the 3×3 chunks around chunk (3, 3), sorted by position (object ids
/// come from each map's own store, so they are not compared).
fn growing(s: &MapSim) -> Vec<Growing> {
    let chunks = s.world.resource(s.keys.chunks);
    let records = s.world.column(s.keys.object);
    let mut out = Vec::new();
    for (cx, cy) in (2..=4).flat_map(|cx| (2..=4).map(move |cy| (cx, cy))) {
        let chunk = chunks.resident(cx, cy).expect("resident");
        for r in chunk.objects.iter().filter_map(|&e| records.get(e)) {
            if s.content.growth(r.kind).is_some() {
                out.push((r.pos.x, r.pos.y, r.kind, r.stage, r.stage_started_ms, r.stage_ends_ms));
            }
        }
    }
    out.sort_unstable();
    out
}

/// How many objects are in each stage (index) of `list`.
fn stage_counts(list: &[Growing]) -> [usize; 4] {
    let mut counts = [0; 4];
    list.iter().for_each(|g| counts[usize::from(g.3)] += 1);
    counts
}

/// Ticks `s` from after `from` to `to` every `step` ms, then exactly at `to`.
fn tick_through(s: &mut MapSim, from: u64, to: u64, step: u64) {
    let mut t = from + step;
    while t < to {
        s.tick(t);
        t += step;
    }
    s.tick(to);
}

#[test]
fn a_chunk_reloaded_after_time_away_matches_one_that_stayed_resident() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut resident, mut away) = (grown_sim(dir_a.path()), grown_sim(dir_b.path()));
    resident.spawn_character(Controller::Player(1), C, C);
    let visitor = away.spawn_character(Controller::Player(1), C, C);
    // Both request the chunks at T0: generated identically, growing from T0.
    tick_until(&mut resident, T0, area_resident);
    tick_until(&mut away, T0, area_resident);
    let start = growing(&resident);
    assert_eq!(start, growing(&away), "same seed, same generation time: same trees");
    assert!(start.len() > 50, "a forest to watch: {} growing objects", start.len());
    assert!(stage_counts(&start).iter().all(|&n| n > 0), "varied stages: {:?}", stage_counts(&start));

    // `away` leaves; its chunks are saved and unloaded.
    assert!(away.despawn_character(visitor));
    tick_until(&mut away, T0 + 61_000, area_absent);

    // After 4 hours and a bit (stages mixed), then after 3 days (all grown old).
    let mut last = T0;
    for back in [T0 + 4 * HOUR + 7 * MINUTE + 11, T0 + 3 * DAY + 12_345] {
        // The resident map ticks every 37 minutes: stage ends fall between its ticks.
        tick_through(&mut resident, last, back, 37 * MINUTE);
        let visitor = away.spawn_character(Controller::Player(1), C, C);
        tick_until(&mut away, back, area_resident);
        let (kept, reloaded) = (growing(&resident), growing(&away));
        assert_eq!(kept.len(), start.len());
        for (k, r) in kept.iter().zip(&reloaded) {
            assert_eq!(k, r, "object at ({}, {}) after {} ms", k.0, k.1, back - T0);
        }
        assert_eq!(kept, reloaded);
        assert_ne!(kept, start, "trees grew");
        assert!(away.despawn_character(visitor));
        tick_until(&mut away, back + 61_000, area_absent);
        last = back;
    }
    let end = growing(&resident);
    let last = |kind: u32| resident.content.growth(kind).unwrap().last_stage();
    assert!(end.iter().all(|g| g.3 == last(g.2)), "after 3 days every tree is old, every bush laden");
    assert_eq!(stage_counts(&end.iter().filter(|g| g.2 == 1).copied().collect::<Vec<_>>())[..3], [0, 0, 0]);
    assert!(end.iter().all(|g| g.5 == NEVER), "the last stage never ends");
}

/// A client of a map, replicated by a `Replicator`, applying every message.
struct Scene {
    sim: MapSim,
    rep: Replicator,
    tick: u64,
    now: u64,
    client: game::client::ClientWorld,
    /// The ObjectDelta changes of the last step.
    changes: Vec<ObjectChange>,
}

impl Scene {
    fn new(dir: &Path) -> Self {
        let mut sim = grown_sim(dir);
        let e = sim.spawn_character(Controller::Player(1), C, C);
        tick_until(&mut sim, T0, area_resident);
        // Deltas every tick: these tests follow stage changes tick by tick.
        let config = ReplicationConfig { object_delta_ticks: 1, ..ReplicationConfig::default() };
        let mut rep = Replicator::new(map_id(0, 0), config);
        rep.add_client(ConnId::from_u64(1), e);
        let mut client = game::client::ClientWorld::new(content());
        client.apply(&welcome(e.to_bits(), &map())).expect("welcome");
        let mut scene = Self { sim, rep, tick: 0, now: T0, client, changes: Vec::new() };
        scene.step(T0);
        scene
    }

    /// One tick at `now`: simulate, replicate, apply.
    fn step(&mut self, now: u64) {
        (self.tick, self.now) = (self.tick + 1, now);
        self.sim.tick(now);
        let mut out = Outgoing::default();
        self.rep.build(&self.sim, self.tick, &mut out);
        let mut batch = Vec::new();
        out.drain_into(&mut batch);
        self.changes.clear();
        for (_, msg) in batch {
            let decoded = ServerMessage::decode(&msg.payload).expect("decodes");
            if let ServerMessage::ObjectDelta(d) = &decoded {
                self.changes.extend(d.changes.iter().copied());
            }
            self.client.apply(&decoded).expect("applies");
        }
    }

    /// The last step's ObjectDelta records about `entities` (trees around grow too).
    fn changes_of(&self, entities: &[engine::Entity]) -> Vec<ObjectChange> {
        let about = |c: &ObjectChange| match *c {
            ObjectChange::Enter(o) | ObjectChange::Change(o) => o.id,
            ObjectChange::Leave(id) => id,
        };
        let ids: Vec<u64> = entities.iter().map(|e| e.to_bits()).collect();
        self.changes.iter().filter(|c| ids.contains(&about(c).0)).copied().collect()
    }

    /// Plants a crop at `(x, y)` in chunk (3, 3) now.
    fn plant(&mut self, id: i64, x: i32, y: i32) -> engine::Entity {
        let now = self.now as i64;
        let record = ObjectRecord {
            id,
            grid_x: 3,
            grid_y: 3,
            kind: CROP,
            pos: Position { x, y },
            stage_started_ms: now,
            ..Default::default()
        };
        self.sim.insert_object(record).expect("resident chunk")
    }

    fn record(&self, e: engine::Entity) -> ObjectRecord {
        self.sim.world.column(self.sim.keys.object).get(e).cloned().expect("an object")
    }

    fn held_state(&self, e: engine::Entity) -> Option<u16> {
        self.client.chunks().object(e.to_bits()).map(|o| o.state)
    }
}

fn welcome(player: u64, map: &MapGeometry) -> ServerMessage {
    ServerMessage::Welcome(Welcome {
        version: PROTOCOL_VERSION,
        tick_rate_hz: 20,
        player: EntityId(player),
        server_tick: 1,
        map: map.id,
        token: SessionToken([7; 32]),
        x: C,
        y: C,
        width_chunks: map.width_chunks as u16,
        height_chunks: map.height_chunks as u16,
        continent: 0,
        layer: 0,
    })
}

#[test]
fn a_resident_stage_change_reaches_the_client_and_survives_a_save_and_reload() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Scene::new(dir.path());
    assert!(s.client.chunks().get(3, 3).is_some(), "the client holds the chunk");
    let planted = s.now;
    let (x, y) = (C + 6 * TILE, C - 3 * TILE);
    let crop = s.plant(9_100_001, x, y);
    let weed = s.plant(9_100_002, x + 4 * TILE, y);
    s.step(planted + 50);
    assert_eq!(s.held_state(crop), Some(0), "planted as a seedling");
    assert_eq!(s.record(crop).stage_ends_ms, planted as i64 + 1_200_000, "20 minutes as a seedling");
    assert!(s.sim.remove_object(weed), "pulled up before it sprouts");
    s.step(planted + 100);

    // The pull is saved with its chunk; the crop is stored as the seedling it is.
    let store = open_store(dir.path());
    let key = ChunkKey { map: map().id, cx: 3, cy: 3 };
    assert!(s.sim.save_dirty_chunks() >= 1, "the pull dirtied the chunk");
    let stored = |store: &Store| store.connect().unwrap().load_chunk(key).unwrap().objects;
    let start = Instant::now();
    while load_has(&store, key, 9_100_002) || !load_has(&store, key, 9_100_001) {
        assert!(start.elapsed() < Duration::from_secs(60), "the save never landed");
        s.step(s.now);
        std::thread::sleep(Duration::from_millis(5));
    }

    // Just before the end: nothing. Then a tick 3 s after it: one change, state 1.
    s.step(planted + 20 * MINUTE - 1);
    assert_eq!(s.changes_of(&[crop, weed]), [], "nothing is due yet");
    s.step(planted + 20 * MINUTE + 3_000);
    let wire = s.client.chunks().object(crop.to_bits()).expect("held");
    let changes = s.changes_of(&[crop, weed]);
    assert_eq!(changes.len(), 1, "only the crop still planted changes: {changes:?}");
    assert!(matches!(changes[0], ObjectChange::Change(o) if o.id.0 == crop.to_bits() && o.state == 1));
    assert_eq!((wire.kind, wire.state), (CROP as u16, 1), "the client sees it growing");
    let grown = s.record(crop);
    let sprouted = planted as i64 + 1_200_000;
    assert_eq!(
        (grown.stage, grown.stage_started_ms, grown.stage_ends_ms),
        (1, sprouted, sprouted + 2_400_000),
        "the stage starts when the last ended, not at the tick"
    );

    // Growth alone dirties nothing: the stored seedling's stage times already say it sprouted.
    assert_eq!(s.sim.save_dirty_chunks(), 0, "nothing to save");
    let seedling = stored(&store).into_iter().find(|o| o.id == grown.id).expect("stored");
    assert_eq!((seedling.stage, seedling.stage_ends_ms), (0, sprouted), "stored as planted");
    assert!(!load_has(&store, key, 9_100_002), "the pulled crop is not stored");

    // A new map on the same store (a restart) at the same time loads it at the same stage.
    drop(s);
    let mut again = grown_sim(dir.path());
    again.spawn_character(Controller::Player(1), C, C);
    let now = planted + 20 * MINUTE + 4_000;
    tick_until(&mut again, now, |m| !m.objects_near(x, y, 4).is_empty());
    let (e, kind) = again.objects_near(x, y, 4)[0];
    assert_eq!(kind, CROP);
    let reloaded = again.world.column(again.keys.object).get(e).cloned().unwrap();
    assert_eq!(
        (reloaded.stage, reloaded.stage_started_ms, reloaded.stage_ends_ms),
        (1, sprouted, sprouted + 2_400_000)
    );
    // And it keeps growing there: ripe 40 minutes after it sprouted.
    again.tick(sprouted as u64 + 40 * MINUTE);
    let ripe = again.world.column(again.keys.object).get(e).cloned().unwrap();
    assert_eq!((ripe.stage, ripe.stage_started_ms, ripe.stage_ends_ms), (2, sprouted + 2_400_000, NEVER));
}

fn load_has(store: &Store, key: ChunkKey, id: i64) -> bool {
    store.connect().unwrap().load_chunk(key).unwrap().objects.iter().any(|o| o.id == id)
}

#[test]
fn an_object_changed_into_a_growing_kind_grows_from_its_new_stage() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Scene::new(dir.path());
    let (x, y) = (C - 9 * TILE, C + 9 * TILE);
    let record = ObjectRecord {
        id: 9_200_001,
        grid_x: 3,
        grid_y: 3,
        kind: 6,
        pos: Position { x, y },
        ..Default::default()
    };
    let stump = s.sim.insert_object(record).unwrap();
    assert_eq!(s.record(stump).stage_ends_ms, 0, "a stump does not grow: its record is left alone");
    let changed = s.now as i64;
    assert!(s.sim.update_object(stump, |r| {
        (r.kind, r.stage, r.stage_started_ms) = (CROP, 1, changed);
    }));
    assert_eq!(s.record(stump).stage_ends_ms, changed + 2_400_000, "the end is derived from the table");
    s.step(changed as u64 + 40 * MINUTE);
    assert_eq!(s.held_state(stump), Some(2), "ripe on time");
    assert_eq!(s.record(stump).stage_ends_ms, NEVER);
}

// ---- World generation ----

#[test]
fn generated_trees_start_in_varied_stages_that_regenerate_identically() {
    let content = Content::builtin();
    let gen_ = WorldGen::new(&content, 7).unwrap();
    let m = map();
    let tree = content.object("tree").unwrap().id;
    let growth = content.growth(tree).unwrap().clone();
    let chunk = gen_.generate(&m, 3, 3);
    assert_eq!(chunk, gen_.generate(&m, 3, 3), "the same chunk every time");
    let trees: Vec<_> = chunk.objects.iter().filter(|o| o.kind == tree).collect();
    assert!(trees.len() > 20);
    let mut seen = [false; 4];
    for o in &trees {
        seen[usize::from(o.stage)] = true;
        match growth.duration_ms(o.stage) {
            Some(d) => assert!((0..d).contains(&o.age_ms), "within its stage: {o:?}"),
            None => assert_eq!(o.age_ms, 0, "the last stage has no end to measure from"),
        }
        let at = gen_.stage_at(o, 5_000_000, 5_000_000).unwrap();
        assert_eq!((at.stage, at.started_ms), (o.stage, 5_000_000 - o.age_ms), "growing since generation");
    }
    assert_eq!(seen, [true; 4], "every stage appears");
    let ages: std::collections::BTreeSet<_> = trees.iter().map(|o| o.age_ms).collect();
    assert!(ages.len() > trees.len() / 2, "stage changes are scattered in time");
    let rock = chunk.objects.iter().find(|o| o.kind == content.object("rock").unwrap().id);
    if let Some(rock) = rock {
        assert_eq!((rock.stage, rock.age_ms), (0, 0));
        assert_eq!(gen_.stage_at(rock, 0, 0), None, "rocks do not grow");
    }
    let other_seed = WorldGen::new(&content, 8).unwrap().generate(&m, 3, 3);
    assert_ne!(other_seed, chunk);
}

// ---- Content ----

/// The shipped content with the tree's growth line replaced by `growth`.
fn with_tree_growth(growth: &str) -> Result<Content, ContentError> {
    let objects = include_str!("../../schemas/content/objects.toml");
    let line = objects.lines().find(|l| l.starts_with("growth = { stages = [\"sapling\"")).unwrap();
    let texts = game::content::ContentTexts {
        objects: &objects.replace(line, growth),
        ..game::content::ContentTexts::BUILTIN
    };
    Content::from_texts(texts)
}

#[test]
fn the_shipped_growth_tables() {
    let content = Content::builtin();
    let tree = content.object("tree").unwrap();
    let g = tree.growth.as_ref().unwrap();
    assert_eq!(g.stages, ["sapling", "young", "mature", "old"]);
    assert_eq!((g.last_stage(), g.duration_ms(0), g.duration_ms(3)), (3, Some(1_800_000), None));
    assert_eq!(g.stage_named("mature"), Some(2));
    let crop = content.object("crop").unwrap();
    assert_eq!((crop.id, crop.radius), (CROP, 0), "a crop does not block");
    assert_eq!(crop.growth.as_ref().map(|g| g.stages.len()), Some(3));
    let stump = content.object("stump").unwrap();
    assert_eq!((stump.id, stump.growth.clone()), (6, None::<Growth>));
    assert_eq!(content.object("pile").unwrap().id, 5, "existing ids kept");
}

#[test]
fn bad_growth_tables_are_refused_naming_file_and_field() {
    let cases = [
        ("growth = { stages = [], seconds = [] }", "growth.stages", "at least one"),
        ("growth = { stages = [\"a\", \"b\"], seconds = [] }", "growth.seconds", "0 durations for 2"),
        ("growth = { stages = [\"a\", \"b\"], seconds = [0] }", "growth.seconds[0]", "at least one second"),
        ("growth = { stages = [\"a\", \"a\"], seconds = [5] }", "growth.stages[1]", "duplicate stage `a`"),
        ("growth = { stages = [\"a\", \"\"], seconds = [5] }", "growth.stages[1]", "empty name"),
        ("growth = { stages = [\"a\"], seconds = [5] }", "growth.seconds", "one per stage"),
    ];
    for (growth, field, why) in cases {
        let e = with_tree_growth(growth).expect_err(growth);
        assert_eq!(
            (e.file.as_str(), e.field.as_str()),
            ("objects.toml", &*format!("object[0] (tree).{field}"))
        );
        assert!(e.reason.contains(why), "{growth}: {e}");
    }
    let e = with_tree_growth("growth = { stages = [\"a\"], secs = [] }").expect_err("unknown key");
    assert_eq!(e.file, "objects.toml");
    assert!(e.field.starts_with("line ") && e.reason.contains("unknown field `secs`"), "{e}");
    let seventeen: Vec<String> = (0..17).map(|i| format!("\"s{i}\"")).collect();
    let long =
        format!("growth = {{ stages = [{}], seconds = [{}] }}", seventeen.join(", "), ["1"; 16].join(", "));
    let e = with_tree_growth(&long).expect_err("17 stages");
    assert_eq!(e.field, "object[0] (tree).growth.stages");
    assert!(e.reason.contains("at most 16"), "{e}");
    // The tree's `gather` names its mature and old stages: the sixteen keep those names.
    let sixteen = format!(
        "growth = {{ stages = [{}, \"mature\", \"old\"], seconds = [{}] }}",
        seventeen[..14].join(", "),
        ["1"; 15].join(", ")
    );
    assert!(with_tree_growth(&sixteen).is_ok(), "16 stages are allowed");
}
