//! The client library's game side: `ClientWorld` applies hand-built frames and chunk payloads
//! (enter/update/leave, extrapolation, acks with gaps, chunk versions, refusals), and the
//! `Predictor` reproduces a real `MapSim`'s movement exactly for every order (move-to, follow,
//! interact, attack), including unapplied inputs.

use game::chunk_wire::{self, WireObject};
use game::client::{
    AckTracker, Applied, CachedObject, ChunkInsert, ClientWorld, ClientWorldError, GameClient,
};
use game::geom::{CHUNK_TILES, CHUNK_UNITS, MapGeometry, TILE, map_id, split_map_id};
use game::movement::Terrain;
use game::steering::{FOLLOW_GAP, action_reach};
use game::wire::{order_code, order_from_wire};
use game::{Content, Controller, MapSim, SimConfig, SimParts, WorldLayout};
use net::protocol::{
    ChunkData, ChunkDrop, EntityEnter, EntityId, EntityState, EntityUpdate, FrameBuilder, Order, OwnState,
    PROTOCOL_VERSION, ServerMessage, SessionToken, Welcome, order_code,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

const MAP: u32 = 0;

fn content() -> Arc<Content> {
    Arc::new(Content::builtin())
}

/// A Welcome to `map` as the server sends it: the size from the builtin content's layout (32×32
/// chunks for unknown maps), continent and layer from the id, the spawn at (5000, 6000).
fn welcome(player: u64, map: u32) -> ServerMessage {
    let layout = WorldLayout::from_content(&content());
    let geometry = layout.map(map).copied().unwrap_or(MapGeometry::new(map, 32, 32));
    let (continent, layer) = split_map_id(map);
    ServerMessage::Welcome(Welcome {
        version: PROTOCOL_VERSION,
        tick_rate_hz: 20,
        player: EntityId(player),
        server_tick: 1,
        map,
        token: SessionToken([7; 32]),
        x: 5_000,
        y: 6_000,
        width_chunks: geometry.width_chunks as u16,
        height_chunks: geometry.height_chunks as u16,
        continent,
        layer,
    })
}

/// Encodes and decodes a frame as a client would receive it.
fn frame(
    tick: u64,
    seq: u32,
    own: OwnState,
    enters: &[EntityEnter],
    updates: &[EntityUpdate],
    leaves: &[u64],
) -> ServerMessage {
    let mut b = FrameBuilder::new(tick, seq, &own);
    enters.iter().for_each(|e| assert!(b.push_enter(e)));
    updates.iter().for_each(|u| assert!(b.push_update(u)));
    leaves.iter().for_each(|&l| assert!(b.push_leave(EntityId(l))));
    ServerMessage::decode(&b.finish()).expect("frame decodes")
}

fn welcomed() -> ClientWorld {
    let mut w = ClientWorld::new(content());
    assert_eq!(w.apply(&welcome(1, MAP)), Ok(Applied::Welcome));
    w
}

fn enter(id: u64, x: i32, vx: i16) -> EntityEnter {
    EntityEnter { id: EntityId(id), kind: 1, state: EntityState { x, y: 500, vx, vy: -2, hp: 10, flags: 0 } }
}

#[test]
fn frames_enter_update_leave_and_extrapolate() {
    let mut w = welcomed();
    let own = OwnState { x: 9_000, y: 9_100, vx: 3, ..OwnState::default() };
    w.apply(&frame(10, 0, own, &[enter(5, 1_000, 10), enter(6, 2_000, 0)], &[], &[])).unwrap();
    assert_eq!(w.entity_count(), 2);
    assert_eq!(w.position_at(EntityId(5), 13), Some((1_030, 494)), "x + vx·(tick − record tick)");
    assert_eq!(w.position_at(EntityId(1), 12), Some((9_006, 9_100)), "own from the frame head");

    let state = EntityState { x: 1_200, y: 600, vx: -4, vy: 0, hp: 9, flags: 2 };
    let upd = EntityUpdate { id: EntityId(5), state };
    let ghost = EntityUpdate { id: EntityId(99), ..upd };
    assert_eq!(w.apply(&frame(12, 0, own, &[], &[upd, ghost], &[6, 77])), Ok(Applied::Frame { tick: 12 }));
    let e5 = w.entity(EntityId(5)).copied().unwrap();
    assert_eq!(
        (e5.kind, e5.state.x, e5.state.hp, e5.state.flags, e5.tick),
        (1, 1_200, 9, 2, 12),
        "update keeps the kind"
    );
    assert_eq!(w.position_at(EntityId(5), 15), Some((1_188, 600)));
    assert_eq!(w.entity(EntityId(6)), None, "left");
    assert_eq!((w.stats().unknown_updates, w.stats().unknown_leaves), (1, 1));

    // A re-enter overwrites the full state.
    w.apply(&frame(13, 0, own, &[EntityEnter { kind: 4, ..enter(5, 50, 0) }], &[], &[])).unwrap();
    assert_eq!(w.entity(EntityId(5)).map(|e| (e.kind, e.state.x, e.tick)), Some((4, 50, 13)));
    assert_eq!(
        w.apply(&frame(13, 0, own, &[], &[], &[5])),
        Err(ClientWorldError::StaleFrame { tick: 13, newest: 13 })
    );
    assert!(w.entity(EntityId(5)).is_some(), "a refused frame changes nothing");
    assert_eq!(w.own().map(|o| o.tick), Some(13));
}

#[test]
fn ack_reports_gaps() {
    let mut w = welcomed();
    for t in [10, 11, 13, 16] {
        w.apply(&frame(t, 0, OwnState::default(), &[], &[], &[])).unwrap();
    }
    let ack = w.ack().unwrap();
    assert_eq!(ack.tick, 16);
    assert_eq!(ack.received, 0b110100, "15, 14, 12 missing; 13, 11, 10 received");
    assert_eq!((ack.received(13), ack.received(12), ack.received(10)), (Some(true), Some(false), Some(true)));

    let mut t = AckTracker::new();
    assert_eq!(t.ack(), None);
    t.record(100);
    t.record(132);
    assert_eq!(t.ack().unwrap().received, 1 << 31, "tick 100 is the window's last bit");
    t.record(133);
    assert_eq!(t.ack().unwrap().received, 1, "tick 100 fell out of the window");
    t.record(200);
    assert_eq!(t.ack().unwrap().received, 0, "a jump past the window clears it");
    t.record(198);
    assert_eq!(t.ack().unwrap().received, 0b10, "a late tick inside the window is recorded");
}

fn terrain_with_water() -> Vec<u16> {
    // Grass (3) everywhere, deep water (0) on local row 5, an unknown id (999) at (7, 7).
    let mut t = vec![3u16; (CHUNK_TILES * CHUNK_TILES) as usize];
    (0..CHUNK_TILES as usize).for_each(|x| t[5 * CHUNK_TILES as usize + x] = 0);
    t[7 * CHUNK_TILES as usize + 7] = 999;
    t
}

fn chunk_msg(cx: i32, cy: i32, version: u32, terrain: &[u16], objects: &[WireObject]) -> ServerMessage {
    let terrain = terrain.try_into().expect("a whole chunk of terrain");
    let (data, raw_len) =
        chunk_wire::encode((cx, cy), terrain, &mut objects.to_vec(), &mut Vec::new()).unwrap();
    ServerMessage::ChunkData(ChunkData { map: MAP, cx, cy, version, raw_len, data: data.into() })
}

#[test]
fn chunk_cache_blocks_like_the_server_and_replaces_versions() {
    let mut w = welcomed();
    let geometry = *WorldLayout::from_content(&Content::builtin()).map(MAP).unwrap();
    assert_eq!(w.chunks().bounds(), geometry.walkable(), "bounds from the Welcome's map");
    let (ox, oy) = (3 * CHUNK_TILES, 4 * CHUNK_TILES);
    let tree = WireObject { id: EntityId(42), kind: 1, x: (ox + 10) * TILE, y: (oy + 10) * TILE, state: 0 };
    let odd = WireObject { id: EntityId(43), kind: 777, x: (ox + 20) * TILE, y: (oy + 20) * TILE, state: 0 };
    let applied = w.apply(&chunk_msg(3, 4, 5, &terrain_with_water(), &[tree, odd])).unwrap();
    assert_eq!(applied, Applied::Chunk { cx: 3, cy: 4, insert: ChunkInsert::New });

    let c = w.chunks();
    assert!(c.tile_blocked(ox + 9, oy + 5), "water blocks");
    assert!(c.tile_blocked(ox + 7, oy + 7), "unknown terrain blocks");
    assert!(!c.tile_blocked(ox + 9, oy + 6), "grass does not");
    assert!(c.tile_blocked(ox + 9 + CHUNK_TILES, oy + 6), "a chunk not held blocks");
    assert_eq!(c.object(42).map(|o| o.radius), Some(80), "tree radius from content");
    assert_eq!(c.object(43).map(|o| o.radius), Some(0), "unknown kinds do not block");
    let mut circles = Vec::new();
    c.circles_near(tree.x + 100, tree.y, 200, &mut circles);
    assert_eq!(circles, vec![game::movement::Circle { x: tree.x, y: tree.y, r: 80 }]);
    c.circles_near(odd.x, odd.y, 200, &mut circles);
    assert!(circles.is_empty(), "non-blocking objects are no circles");

    // Newer version replaces; an older one is ignored.
    let grass = vec![3u16; (CHUNK_TILES * CHUNK_TILES) as usize];
    let applied = w.apply(&chunk_msg(3, 4, 6, &grass, &[])).unwrap();
    assert_eq!(applied, Applied::Chunk { cx: 3, cy: 4, insert: ChunkInsert::Replaced });
    assert!(!w.chunks().tile_blocked(ox + 9, oy + 5));
    assert_eq!(w.chunks().object(42), None);
    assert_eq!(w.apply(&chunk_msg(3, 4, 5, &terrain_with_water(), &[])), Ok(Applied::StaleChunk));
    assert_eq!(w.chunks().get(3, 4).map(|c| c.version()), Some(6));

    // ChunkDrop forgets.
    let drop = |cx, cy| ServerMessage::ChunkDrop(ChunkDrop { map: MAP, cx, cy });
    assert_eq!(w.apply(&drop(3, 4)), Ok(Applied::ChunkDrop { held: true }));
    assert!(w.chunks().is_empty());
    assert!(w.chunks().tile_blocked(ox + 9, oy + 6));
    assert_eq!(w.apply(&drop(3, 4)), Ok(Applied::ChunkDrop { held: false }));
}

#[test]
fn welcome_gives_the_map_size_and_the_spawn_position_before_any_frame() {
    let mut client = GameClient::new(content());
    assert_eq!((client.map(), client.position()), (None, None));
    let isles = map_id(1, 0);
    client.handle(&welcome(1, isles)).unwrap();
    let map = client.map().copied().unwrap();
    assert_eq!((map.id, map.width_chunks, map.height_chunks), (isles, 16, 16));
    let session = *client.world().session().unwrap();
    assert_eq!((session.continent, session.layer, session.spawn), (1, 0, (5_000, 6_000)));
    assert_eq!(client.position(), Some((5_000, 6_000)), "the spawn until the first frame");
    let own = OwnState { x: 7_000, y: 7_100, ..OwnState::default() };
    client.handle(&frame(2, 0, own, &[], &[], &[])).unwrap();
    assert_eq!(client.position(), Some((7_000, 7_100)), "then the newest frame's");
}

#[test]
fn a_welcome_that_disagrees_with_its_map_is_refused() {
    let with = |edit: fn(&mut Welcome)| {
        let ServerMessage::Welcome(mut w) = welcome(1, map_id(0, 1)) else { unreachable!() };
        edit(&mut w);
        ClientWorld::new(content()).apply(&ServerMessage::Welcome(w))
    };
    assert_eq!(with(|_| {}), Ok(Applied::Welcome));
    let size = ClientWorldError::MapMismatch { map: map_id(0, 1), field: "size" };
    assert_eq!(with(|w| w.width_chunks = 31), Err(size));
    let split = ClientWorldError::MapMismatch { map: map_id(0, 1), field: "continent and layer" };
    assert_eq!(with(|w| w.layer = 0), Err(split.clone()));
    assert_eq!(with(|w| w.continent = 1), Err(split));
}

#[test]
fn bad_messages_are_typed_errors() {
    let mut fresh = ClientWorld::new(content());
    let grass = vec![3u16; (CHUNK_TILES * CHUNK_TILES) as usize];
    assert_eq!(fresh.apply(&chunk_msg(1, 1, 1, &grass, &[])), Err(ClientWorldError::NotWelcomed));
    assert_eq!(
        fresh.apply(&frame(1, 0, OwnState::default(), &[], &[], &[])),
        Err(ClientWorldError::NotWelcomed)
    );
    assert_eq!(fresh.apply(&welcome(1, 0xFFF0)), Err(ClientWorldError::UnknownMap(0xFFF0)));

    let mut w = welcomed();
    let garbage = ServerMessage::ChunkData(ChunkData {
        map: MAP,
        cx: 1,
        cy: 1,
        version: 1,
        raw_len: 100,
        data: net::Bytes::from_static(b"definitely not zstd"),
    });
    assert!(matches!(w.apply(&garbage), Err(ClientWorldError::Chunk(chunk_wire::ChunkWireError::Zstd(_)))));
    // A payload one tile short.
    let raw: Vec<u8> = grass[1..].iter().flat_map(|t| t.to_le_bytes()).chain([0; 4]).collect();
    let (short, len) = (zstd::bulk::compress(&raw, 3).unwrap(), raw.len() as u32);
    let short = ServerMessage::ChunkData(ChunkData {
        map: MAP,
        cx: 1,
        cy: 1,
        version: 1,
        raw_len: len,
        data: short.into(),
    });
    assert!(matches!(
        w.apply(&short),
        Err(ClientWorldError::Chunk(chunk_wire::ChunkWireError::Layout { .. }))
    ));
    let huge = ServerMessage::ChunkData(ChunkData {
        map: MAP,
        cx: 1,
        cy: 1,
        version: 1,
        raw_len: u32::MAX,
        data: net::Bytes::new(),
    });
    assert!(matches!(w.apply(&huge), Err(ClientWorldError::Chunk(chunk_wire::ChunkWireError::TooLarge(_)))));
    let other_map = ServerMessage::ChunkDrop(ChunkDrop { map: 1, cx: 0, cy: 0 });
    assert_eq!(w.apply(&other_map), Err(ClientWorldError::WrongMap { expected: MAP, got: 1 }));
    assert_eq!(
        w.apply(&chunk_msg(-1, 0, 1, &grass, &[])),
        Err(ClientWorldError::ChunkOutsideMap { cx: -1, cy: 0 })
    );
    assert!(w.chunks().is_empty(), "nothing was stored");
}

// ---- Prediction against the real server movement ----

fn server_map() -> MapGeometry {
    *WorldLayout::from_content(&Content::builtin()).map(map_id(0, 0)).unwrap()
}

fn sim(dir: &tempfile::TempDir) -> MapSim {
    let store = store::Store::open(store::StoreConfig::sqlite(dir.path().join("world.db"))).expect("sqlite");
    let parts = SimParts {
        content: content(),
        map: server_map(),
        seed: 7,
        store: Arc::new(store),
        config: SimConfig::default(),
    };
    MapSim::new(parts).expect("sim")
}

fn tick_until(s: &mut MapSim, mut done: impl FnMut(&MapSim) -> bool) {
    let start = Instant::now();
    while !done(s) {
        assert!(start.elapsed() < Duration::from_secs(60), "condition never reached");
        s.tick(1_000);
        std::thread::sleep(Duration::from_millis(2));
    }
}

const AREA: [i32; 3] = [2, 3, 4];

fn area_resident(s: &MapSim) -> bool {
    let chunks = s.world.resource(s.keys.chunks);
    AREA.iter().all(|&cx| AREA.iter().all(|&cy| chunks.resident(cx, cy).is_some()))
}

/// The ChunkData the server would send for a resident chunk.
fn server_chunk(s: &MapSim, cx: i32, cy: i32) -> ServerMessage {
    let chunks = s.world.resource(s.keys.chunks);
    let data = chunks.resident(cx, cy).expect("resident");
    let records = s.world.column(s.keys.object);
    let mut objects: Vec<WireObject> = data
        .objects
        .iter()
        .filter_map(|&e| {
            let r = records.get(e)?;
            let (kind, x, y, state) = (r.kind as u16, r.pos.x, r.pos.y, r.stage);
            Some(WireObject { id: EntityId(e.to_bits()), kind, x, y, state })
        })
        .collect();
    let (bytes, raw_len) =
        chunk_wire::encode((cx, cy), &data.tiles.terrain, &mut objects, &mut Vec::new()).unwrap();
    let msg = ChunkData { map: map_id(0, 0), cx, cy, version: data.version, raw_len, data: bytes.into() };
    ServerMessage::ChunkData(msg)
}

/// A tile centre in chunk (3, 3) with 12 tiles of walkable terrain all around.
fn open_spot(s: &MapSim) -> (i32, i32) {
    let chunks = s.world.resource(s.keys.chunks);
    let base = 3 * CHUNK_TILES;
    for ty in base + 20..base + CHUNK_TILES - 20 {
        for tx in base + 20..base + CHUNK_TILES - 20 {
            let open = (-12..=12).all(|dy| (-12..=12).all(|dx| !chunks.tile_blocked(tx + dx, ty + dy)));
            if open {
                return (tx * TILE + TILE / 2, ty * TILE + TILE / 2);
            }
        }
    }
    panic!("no open ground in chunk (3, 3) for seed 7");
}

/// Drives a sim and a client the way a shard would: inputs take effect at the next tick, and a
/// frame of each tick carries the character's position, its order, the last applied input and
/// the records of the other characters. Time is simulated: tick `t` runs at `t0 + t·50 ms` and
/// its frame arrives 3 ms later.
struct Harness {
    sim: MapSim,
    me: engine::Entity,
    client: GameClient,
    tick: u64,
    applied_seq: u32,
    last: (i32, i32),
    t0: Instant,
    /// Other characters the client is told about, with their position in the last frame.
    others: Vec<(engine::Entity, Option<(i32, i32)>)>,
}

const PERIOD: Duration = Duration::from_millis(50);

impl Harness {
    fn new(dir: &tempfile::TempDir) -> Self {
        let mut sim = sim(dir);
        let first = sim.spawn_character(
            Controller::Player(1),
            3 * CHUNK_UNITS + CHUNK_UNITS / 2,
            3 * CHUNK_UNITS + CHUNK_UNITS / 2,
        );
        tick_until(&mut sim, area_resident);
        let (x, y) = open_spot(&sim);
        assert!(sim.despawn_character(first));
        let me = sim.spawn_character(Controller::Player(1), x, y);
        sim.tick(1_000);
        let tick = sim.world.resource(sim.keys.clock).tick;
        let t0 = Instant::now();
        let mut client = GameClient::new(content());
        let ServerMessage::Welcome(mut w) = welcome(me.to_bits(), map_id(0, 0)) else { unreachable!() };
        w.server_tick = tick;
        client.handle_at(&ServerMessage::Welcome(w), t0 + PERIOD * tick as u32).unwrap();
        for cx in AREA {
            for cy in AREA {
                client.handle(&server_chunk(&sim, cx, cy)).unwrap();
            }
        }
        let mut h = Harness { sim, me, client, tick, applied_seq: 0, last: (x, y), t0, others: Vec::new() };
        h.send_frame();
        h
    }

    /// When the frame of `tick` arrives.
    fn arrival(&self, tick: u64) -> Instant {
        self.t0 + PERIOD * tick as u32 + Duration::from_millis(3)
    }

    /// The client sends a move-to `after` the newest tick's frame arrived.
    fn input(&mut self, (x, y): (i32, i32), after: Duration) -> net::protocol::Input {
        self.order(Order::MoveTo { x, y }, after)
    }

    /// The client sends `order` `after` the newest tick's frame arrived.
    fn order(&mut self, order: Order, after: Duration) -> net::protocol::Input {
        self.client.input_at(order, self.arrival(self.tick) + after)
    }

    /// Spawns another character at `(x, y)`; the next frame carries its enter record.
    fn spawn_other(&mut self, (x, y): (i32, i32)) -> engine::Entity {
        let e = self.sim.spawn_character(Controller::Player(2), x, y);
        self.others.push((e, None));
        e
    }

    /// A server tick whose frame is skipped (nothing changed for the client).
    fn tick_silent(&mut self) {
        self.sim.tick(1_000);
        self.tick += 1;
    }

    fn pos(&self) -> (i32, i32) {
        self.sim.position(self.me).unwrap()
    }

    /// One server tick, optionally applying an input first, then its frame to the client.
    fn tick(&mut self, input: Option<net::protocol::Input>) {
        if let Some(i) = input {
            let order = order_from_wire(i.order, |id| Ok::<_, ()>(engine::Entity::from_bits(id.0))).unwrap();
            assert!(self.sim.set_order(self.me, order));
            self.applied_seq = i.seq;
        }
        self.sim.tick(1_000);
        self.tick += 1;
        self.send_frame();
    }

    fn send_frame(&mut self) {
        let (x, y) = self.pos();
        let (order, target) = order_code(&self.sim.order(self.me).unwrap().current);
        let (vx, vy) = ((x - self.last.0) as i16, (y - self.last.1) as i16);
        let order_target = EntityId(target);
        let own = OwnState { x, y, vx, vy, hp: 100, max_hp: 100, order, order_target, ..OwnState::default() };
        self.last = (x, y);
        let (enters, updates, leaves) = self.others_records();
        let msg = frame(self.tick, self.applied_seq, own, &enters, &updates, &leaves);
        let applied = self.client.handle_at(&msg, self.arrival(self.tick));
        assert_eq!(applied, Ok(Applied::Frame { tick: self.tick }));
    }

    /// This tick's records of the other characters: an enter for a newcomer, an update (position
    /// and displacement since the last frame) for the others, a leave for the despawned.
    fn others_records(&mut self) -> (Vec<EntityEnter>, Vec<EntityUpdate>, Vec<u64>) {
        let (mut enters, mut updates, mut leaves) = (Vec::new(), Vec::new(), Vec::new());
        for (e, last) in &mut self.others {
            let id = EntityId(e.to_bits());
            let Some((x, y)) = self.sim.position(*e) else {
                leaves.push(id.0);
                continue;
            };
            let (vx, vy) = last.map_or((0, 0), |(lx, ly)| ((x - lx) as i16, (y - ly) as i16));
            let state = EntityState { x, y, vx, vy, hp: 100, flags: 0 };
            match last {
                None => enters.push(EntityEnter { id, kind: 1, state }),
                Some(_) => updates.push(EntityUpdate { id, state }),
            }
            *last = Some((x, y));
        }
        self.others.retain(|(e, _)| !leaves.contains(&e.to_bits()));
        (enters, updates, leaves)
    }

    /// The order in the newest frame's head.
    fn head_order(&self) -> (u8, EntityId) {
        let own = self.client.world().own().unwrap().state;
        (own.order, own.order_target)
    }

    /// Gives `order` and checks that the path predicted before the server applied it, `n` ticks
    /// long, is the server's, and that predicting one tick ahead from each frame agrees too.
    fn leg(&mut self, order: Order, n: u64) {
        let input = self.order(order, Duration::from_millis(5));
        let ahead = self.predictions(n);
        self.tick(Some(input));
        assert_eq!(self.pos(), ahead[0], "first tick after the input");
        for &p in &ahead[1..] {
            let next = self.client.predicted(self.tick + 1).unwrap();
            self.tick(None);
            assert_eq!(self.pos(), p, "replayed path");
            assert_eq!(self.pos(), next, "one tick ahead");
        }
    }

    /// The client's predictions for the next `n` ticks.
    fn predictions(&mut self, n: u64) -> Vec<(i32, i32)> {
        (1..=n).map(|k| self.client.predicted(self.tick + k).expect("within range")).collect()
    }
}

#[test]
fn prediction_matches_the_server_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = Harness::new(&dir);
    let start = h.pos();
    let mut goals: Vec<(i32, i32)> = [(7, 3), (-4, 9), (-10, -6), (6, -12), (12, 0), (0, 0)]
        .iter()
        .map(|&(dx, dy)| (start.0 + dx * TILE + 37, start.1 + dy * TILE - 11))
        .collect();
    // Then into the nearest blocking object: stopped by its circle, sliding along it.
    let tree = nearest_blocking_object(&h, start);
    goals.push((tree.0, tree.1));
    let mut travelled = 0;
    for goal in goals {
        let input = h.input(goal, Duration::from_millis(5));
        // The input is not applied yet: the whole leg is a replay of it from the last frame.
        let ahead = h.predictions(60);
        let before = h.pos();
        h.tick(Some(input));
        assert_eq!(h.pos(), ahead[0], "first tick after the input");
        for &p in &ahead[1..] {
            // Predicting one tick ahead from each frame agrees too.
            let next = h.client.predicted(h.tick + 1).unwrap();
            h.tick(None);
            assert_eq!(h.pos(), p, "replayed path");
            assert_eq!(h.pos(), next, "one tick ahead");
        }
        travelled += game::movement::dist(i64::from(h.pos().0 - before.0), i64::from(h.pos().1 - before.1));
    }
    assert!(travelled > 30 * i64::from(TILE), "the character really walked ({travelled})");
    let stats = h.client.predictor().stats();
    assert_eq!(stats.mispredicted, 0, "{stats:?}");
    assert!(stats.predictions >= 7 * 60);
    let reach = i64::from(Content::builtin().character.radius + tree.2);
    assert!(dist_to(h.pos(), (tree.0, tree.1)) >= reach, "the object stopped the character outside it");
    assert_eq!(h.client.predictor().pending().count(), 0);
}

fn dist_to(a: (i32, i32), b: (i32, i32)) -> i64 {
    game::movement::dist(i64::from(a.0 - b.0), i64::from(a.1 - b.1))
}

/// The blocking object nearest to `from` as the client sees it: centre and radius.
fn nearest_blocking_object(h: &Harness, from: (i32, i32)) -> (i32, i32, i32) {
    let tree = nearest_tree(h, from);
    (tree.x, tree.y, tree.radius)
}

/// The blocking object nearest to `from` as the client sees it.
fn nearest_tree(h: &Harness, from: (i32, i32)) -> CachedObject {
    let chunks = h.client.world().chunks();
    let objects = chunks.keys().iter().flat_map(|&(cx, cy)| chunks.get(cx, cy).unwrap().objects());
    let tree = objects.filter(|o| o.radius > 0).min_by_key(|o| dist_to(from, (o.x, o.y))).expect("objects");
    assert!(dist_to(from, (tree.x, tree.y)) < 40 * i64::from(TILE), "a tree within reach of a leg");
    *tree
}

#[test]
fn prediction_follows_interacts_and_attacks_like_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = Harness::new(&dir);
    let rules = Content::builtin().character;
    let start = h.pos();
    let other = h.spawn_other((start.0 + 6 * TILE, start.1 + 2 * TILE));
    h.tick(None);
    let other_id = EntityId(other.to_bits());
    assert!(h.client.world().entity(other_id).is_some(), "the client holds the other character");

    // Follow a character standing still: the whole approach is predicted before it applies.
    h.leg(Order::Follow(other_id), 40);
    assert_eq!(h.head_order(), (order_code::FOLLOW, other_id), "following goes on");
    let gap = dist_to(h.pos(), h.sim.position(other).unwrap());
    // Integer steps stop within a couple of units of the gap.
    assert!(gap <= i64::from(2 * rules.radius + FOLLOW_GAP + 2), "caught up: {gap}");

    // It walks away: from each frame, the next tick of the follower is predicted exactly.
    let away = (start.0 + 11 * TILE, start.1 + 6 * TILE);
    assert!(h.sim.set_order(other, game::Order::MoveTo { x: away.0, y: away.1 }));
    for _ in 0..60 {
        let next = h.client.predicted(h.tick + 1).unwrap();
        h.tick(None);
        assert_eq!(h.pos(), next, "following a moving target");
    }
    assert_eq!(h.sim.position(other), Some(away), "the other character arrived");
    assert_eq!(h.head_order(), (order_code::FOLLOW, other_id));

    // Step back, then attack it: walk into the fist's reach (the hand is empty) and hit; the
    // attack goes on while the target lives.
    h.leg(Order::MoveTo { x: start.0, y: start.1 }, 60);
    h.leg(Order::Attack(other_id), 60);
    let fist = h.sim.content.combat.fist;
    let reach = i64::from(game::steering::attack_reach(&rules, rules.radius, fist.range));
    assert!(dist_to(h.pos(), away) <= reach, "in reach of the attacked character");
    assert_eq!(h.head_order(), (order_code::ATTACK, other_id), "the attack goes on");
    let (hurt, _) = h.sim.stats(other).unwrap();
    assert!(hurt.health < h.sim.content.stats.max_health, "hit: {hurt:?}");
    h.leg(Order::Stop, 5);
    assert_eq!(h.head_order(), (order_code::STOP, EntityId::NONE), "stopped");

    // It leaves; interact with the nearest tree: walk into reach, the interaction completes.
    assert!(h.sim.despawn_character(other));
    h.tick(None);
    assert_eq!(h.client.world().entity(other_id), None, "left");
    let tree = nearest_tree(&h, h.pos());
    h.leg(Order::Interact { target: EntityId(tree.entity), action: 1 }, 60);
    let reach = i64::from(action_reach(&rules, tree.radius));
    // The last integer steps still make progress on a diagonal: the order ends in reach, done.
    assert!(dist_to(h.pos(), (tree.x, tree.y)) <= reach, "at the tree");
    let done = h.sim.order(h.me).unwrap().last.map(|(_, outcome)| outcome);
    assert_eq!(done, Some(game::Outcome::Done), "the interaction completed");
    assert_eq!(h.head_order(), (order_code::STOP, EntityId::NONE), "the interaction ended");

    let stats = h.client.predictor().stats();
    assert_eq!(stats.mispredicted, 0, "{stats:?}");
    assert_eq!(h.client.predictor().pending().count(), 0);
}

#[test]
fn input_not_yet_applied_is_replayed_from_each_frame() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = Harness::new(&dir);
    let start = h.pos();
    let first = h.input((start.0 + 8 * TILE, start.1 + 2 * TILE), Duration::from_millis(1));
    h.tick(Some(first));
    for _ in 0..5 {
        h.tick(None);
    }
    // A second input reaches the server late: two frames still report the first one.
    let second = h.input((start.0 - 2 * TILE, start.1 + 9 * TILE), Duration::from_millis(1));
    h.tick(None);
    h.tick(None);
    assert_eq!(h.client.predictor().pending().map(|i| i.seq).collect::<Vec<_>>(), vec![second.seq]);
    let mispredicted = h.client.predictor().stats().mispredicted;
    assert!(mispredicted >= 1, "the prediction assumed the input applied at once");
    // From the newest frame the pending input is replayed, and the server now applies it.
    let ahead = h.predictions(30);
    h.tick(Some(second));
    assert_eq!(h.client.predictor().pending().count(), 0, "acknowledged by last_input_seq");
    assert_eq!(h.pos(), ahead[0]);
    for &p in &ahead[1..] {
        h.tick(None);
        assert_eq!(h.pos(), p);
    }
    assert_eq!(h.client.predictor().stats().mispredicted, mispredicted, "no new mispredictions");
}

#[test]
fn input_after_skipped_frames_takes_effect_at_the_next_server_tick() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = Harness::new(&dir);
    let start = h.pos();
    // Idle: the server sends no frame for 12 ticks; the input goes out 30 ms into tick +12.
    let base = h.tick;
    for _ in 0..12 {
        h.tick_silent();
    }
    let sent_at = h.arrival(base + 12) + Duration::from_millis(27);
    assert_eq!(h.client.server_tick_at(sent_at), Some(base + 12), "the clock runs without frames");
    let input = h.client.input_at(Order::MoveTo { x: start.0 + 6 * TILE, y: start.1 }, sent_at);
    // Predicted from the old frame: standing still until tick +13, then walking.
    let ahead: Vec<_> = (1..=30).map(|k| h.client.predicted(base + k).unwrap()).collect();
    assert!(ahead[..12].iter().all(|&p| p == start));
    h.tick(Some(input));
    assert_eq!(h.pos(), ahead[12]);
    for &p in &ahead[13..] {
        h.tick(None);
        assert_eq!(h.pos(), p);
    }
    assert_ne!(h.pos(), start);
    assert_eq!(h.client.predictor().stats().mispredicted, 0);
}
