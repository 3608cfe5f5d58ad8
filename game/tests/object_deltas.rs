//! Objects over the wire: a real `MapSim` on SQLite, a `Replicator`, and clients that apply
//! every message with the client library's `ClientWorld`. An object that enters, changes or
//! leaves a chunk a client holds arrives as a small `ObjectDelta` shared by every client at the
//! same version; ChunkData is sent only for a chunk's first appearance, or to a client further
//! behind than the chunk's log reaches. The client library applies a delta only at its
//! `from_version`.

use game::chunk_wire::{self, WireObject};
use game::client::{Applied, ClientWorld, ClientWorldError};
use game::geom::{CHUNK_UNITS, MapGeometry, TILE, map_id};
use game::replicate::{Outgoing, ReplicationConfig, Replicator};
use game::sim::object_log::OBJECT_LOG_LEN;
use game::{Content, Controller, MapSim, SimConfig, SimParts, WorldLayout};
use net::protocol::{
    ChunkData, EntityId, OBJECT_CHANGE_LEN, OBJECT_DELTA_HEAD_LEN, ObjectChange, ObjectDelta,
    PROTOCOL_VERSION, ServerMessage, SessionToken, Welcome, msg_type,
};
use net::{ConnId, Outbound};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{ObjectRecord, Position, Store, StoreConfig};

/// Centre of chunk 3 on both axes.
const C: i32 = 3 * CHUNK_UNITS + CHUNK_UNITS / 2;
const TREE: u32 = 1;
/// A kind that does not grow (a changed object keeps the stage it was given).
const ROCK: u32 = 3;

fn content() -> Arc<Content> {
    Arc::new(Content::builtin())
}

fn map() -> MapGeometry {
    *WorldLayout::from_content(&Content::builtin()).map(map_id(0, 0)).unwrap()
}

fn welcome(player: u64) -> ServerMessage {
    ServerMessage::Welcome(Welcome {
        version: PROTOCOL_VERSION,
        tick_rate_hz: 20,
        player: EntityId(player),
        server_tick: 1,
        map: map_id(0, 0),
        token: SessionToken([7; 32]),
        x: C,
        y: C,
        width_chunks: map().width_chunks as u16,
        height_chunks: map().height_chunks as u16,
        continent: 0,
        layer: 0,
    })
}

/// A client: the library's world, and the messages of the last step.
struct Client {
    world: ClientWorld,
    last: Vec<Outbound>,
}

impl Client {
    /// Types of the last step's messages other than Frames.
    fn kinds(&self) -> Vec<u8> {
        self.last.iter().map(|m| m.payload[0]).filter(|&t| t != msg_type::FRAME).collect()
    }

    /// The last step's ObjectDeltas, as sent.
    fn deltas(&self) -> Vec<&Outbound> {
        self.last.iter().filter(|m| m.payload[0] == msg_type::OBJECT_DELTA).collect()
    }

    fn version(&self, cx: i32, cy: i32) -> Option<u32> {
        self.world.chunks().get(cx, cy).map(|c| c.version())
    }
}

/// A simulation with chunks resident around (3, 3), its replicator and its clients.
struct Scene {
    sim: MapSim,
    rep: Replicator,
    tick: u64,
    clients: BTreeMap<ConnId, Client>,
    _dir: tempfile::TempDir,
}

impl Scene {
    /// A scene sending ObjectDeltas every tick (these tests follow changes tick by tick).
    fn new() -> Self {
        Self::with(ReplicationConfig { object_delta_ticks: 1, ..ReplicationConfig::default() })
    }

    fn with(config: ReplicationConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(StoreConfig::sqlite(dir.path().join("world.db"))).unwrap());
        let parts = SimParts { content: content(), map: map(), seed: 7, store, config: SimConfig::default() };
        let sim = MapSim::new(parts).unwrap();
        let rep = Replicator::new(map_id(0, 0), config);
        let mut scene = Self { sim, rep, tick: 0, clients: BTreeMap::new(), _dir: dir };
        let loader = scene.sim.spawn_character(Controller::Player(1000), C, C);
        let start = Instant::now();
        while !(2..=4).all(|cx| (2..=4).all(|cy| scene.server_version(cx, cy).is_some())) {
            assert!(start.elapsed() < Duration::from_secs(60), "chunks never became resident");
            scene.sim_tick();
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(scene.sim.despawn_character(loader));
        scene
    }

    fn sim_tick(&mut self) {
        self.tick += 1;
        self.sim.tick(self.tick * 50);
    }

    fn server_version(&self, cx: i32, cy: i32) -> Option<u32> {
        self.sim.world.resource(self.sim.keys.chunks).resident(cx, cy).map(|c| c.version)
    }

    /// A new player near the centre of chunk (3, 3), replicated to connection `conn`.
    fn join(&mut self, conn: u64) -> ConnId {
        let e = self.sim.spawn_character(Controller::Player(conn as i64), C + conn as i32 * TILE, C);
        let conn = ConnId::from_u64(conn);
        self.rep.add_client(conn, e);
        let mut world = ClientWorld::new(content());
        assert_eq!(world.apply(&welcome(e.to_bits())), Ok(Applied::Welcome));
        self.clients.insert(conn, Client { world, last: Vec::new() });
        conn
    }

    /// One tick: simulate, replicate, every message applied by its client.
    fn step(&mut self) {
        self.sim_tick();
        let mut out = Outgoing::default();
        self.rep.build(&self.sim, self.tick, &mut out);
        let mut batch = Vec::new();
        out.drain_into(&mut batch);
        self.clients.values_mut().for_each(|c| c.last.clear());
        for (conn, msg) in batch {
            let client = self.clients.get_mut(&conn).expect("known client");
            let decoded = ServerMessage::decode(&msg.payload).expect("decodes");
            let applied = client.world.apply(&decoded).expect("applies");
            if let Applied::ObjectDelta { applied, .. } = applied {
                assert!(applied, "the server sends a delta only from the version the client holds");
            }
            client.last.push(msg);
        }
    }

    fn client(&self, conn: ConnId) -> &Client {
        &self.clients[&conn]
    }

    /// Places an object of `kind` in chunk (3, 3).
    fn place(&mut self, kind: u32, x: i32, y: i32) -> engine::Entity {
        let record = ObjectRecord {
            id: 9_000_000 + i64::from(x),
            grid_x: 3,
            grid_y: 3,
            kind,
            pos: Position { x, y },
            ..Default::default()
        };
        self.sim.insert_object(record).unwrap()
    }
}

fn wire(e: engine::Entity, kind: u16, x: i32, y: i32, state: u16) -> WireObject {
    WireObject { id: EntityId(e.to_bits()), kind, x, y, state }
}

fn decode_delta(m: &Outbound) -> ObjectDelta {
    match ServerMessage::decode(&m.payload) {
        Ok(ServerMessage::ObjectDelta(d)) => d,
        other => panic!("not an ObjectDelta: {other:?}"),
    }
}

#[test]
fn objects_enter_change_and_leave_as_small_deltas_the_client_collides_with() {
    let mut s = Scene::new();
    let a = s.join(1);
    s.step();
    assert_eq!(s.client(a).kinds(), vec![msg_type::CHUNK_DATA; 9], "the first area arrives whole");
    let chunk_bytes =
        s.client(a).last.iter().find(|m| m.payload[0] == msg_type::CHUNK_DATA).unwrap().payload.len();
    let v0 = s.server_version(3, 3).unwrap();
    assert_eq!(s.client(a).version(3, 3), Some(v0));

    // A tree is planted: one enter record, tens of bytes, no ChunkData.
    let (x, y) = (C + 20 * TILE, C - 7 * TILE);
    let tree = s.place(TREE, x, y);
    s.step();
    assert_eq!(s.client(a).kinds(), [msg_type::OBJECT_DELTA]);
    let sent = s.client(a).deltas()[0];
    assert!(!sent.replaceable, "deltas are reliable");
    assert_eq!(sent.payload.len(), OBJECT_DELTA_HEAD_LEN + OBJECT_CHANGE_LEN);
    assert_eq!(sent.payload.len(), 44, "tens of bytes, against {chunk_bytes} for the chunk");
    let d = decode_delta(sent);
    assert_eq!((d.cx, d.cy, d.from_version, d.to_version), (3, 3, v0, v0 + 1));
    assert_eq!(d.changes, [ObjectChange::Enter(wire(tree, 1, x, y, 0))]);
    let held = s.client(a).world.chunks().object(tree.to_bits()).expect("the client holds the tree");
    assert_eq!((held.kind, held.x, held.y, held.state, held.radius), (1, x, y, 0, 80));
    let mut circles = Vec::new();
    s.client(a).world.chunks().circles_near(x + 100, y, 200, &mut circles);
    assert!(circles.contains(&game::movement::Circle { x, y, r: 80 }), "it blocks the client's movement");

    // It grows a stage, then turns into a rock: change records carrying the current state.
    assert!(s.sim.update_object(tree, |r| r.stage = 2));
    s.step();
    let d = decode_delta(s.client(a).deltas()[0]);
    assert_eq!(d.changes, [ObjectChange::Change(wire(tree, 1, x, y, 2))]);
    assert!(s.sim.update_object(tree, |r| {
        r.kind = ROCK;
        r.pos.x += 5 * TILE;
    }));
    assert_eq!(s.sim.position(tree), Some((x, y)), "objects do not move");
    s.step();
    let d = decode_delta(s.client(a).deltas()[0]);
    assert_eq!(d.changes, [ObjectChange::Change(wire(tree, 3, x, y, 2))]);
    let held = s.client(a).world.chunks().object(tree.to_bits()).unwrap();
    assert_eq!((held.kind, held.state, held.radius), (3, 2, 64), "radius of the new kind");
    // A change nobody sees (a stage's end time) is saved but sends nothing.
    assert!(s.sim.update_object(tree, |r| r.stage_ends_ms = 99));
    s.step();
    assert!(s.client(a).kinds().is_empty());
    assert_eq!(s.server_version(3, 3), Some(v0 + 3));

    // It is picked up: a leave, and the client no longer collides with it.
    assert!(s.sim.remove_object(tree));
    s.step();
    let d = decode_delta(s.client(a).deltas()[0]);
    assert_eq!(d.changes, [ObjectChange::Leave(EntityId(tree.to_bits()))]);
    assert_eq!(s.client(a).world.chunks().object(tree.to_bits()), None);
    s.client(a).world.chunks().circles_near(x, y, 200, &mut circles);
    assert!(!circles.contains(&game::movement::Circle { x, y, r: 48 }));
    assert_eq!(s.client(a).version(3, 3), s.server_version(3, 3));
    let stats = s.rep.stats();
    assert_eq!((stats.chunk_encodes, stats.object_delta_encodes, stats.object_delta_msgs), (9, 4, 4));
    assert_eq!(stats.object_delta_bytes, 4 * 44);
}

#[test]
fn changes_within_the_delta_period_arrive_together_in_one_delta() {
    let mut s = Scene::with(ReplicationConfig::default());
    let every = ReplicationConfig::default().object_delta_ticks;
    assert!(every > 1);
    let a = s.join(1);
    s.step();
    assert_eq!(s.client(a).kinds(), vec![msg_type::CHUNK_DATA; 9], "the first area arrives at once");
    let v0 = s.server_version(3, 3).unwrap();
    // Just after a delta tick: two objects placed and one of them changed, on three ticks.
    while (s.tick + 1) % every != 1 {
        s.step();
    }
    let (x, y) = (C + 20 * TILE, C - 7 * TILE);
    let tree = s.place(TREE, x, y);
    s.step();
    let rock = s.place(ROCK, x + 3 * TILE, y);
    s.step();
    assert!(s.sim.update_object(tree, |r| r.stage = 2));
    let mut deltas = Vec::new();
    for _ in 0..every {
        s.step();
        deltas.extend(s.client(a).deltas().into_iter().map(decode_delta));
    }
    assert_eq!(deltas.len(), 1, "one message for the period: {deltas:?}");
    let d = &deltas[0];
    assert_eq!((d.from_version, d.to_version), (v0, v0 + 3));
    assert_eq!(d.changes.len(), 2, "the tree once, as it is now, and the rock: {:?}", d.changes);
    assert!(d.changes.contains(&ObjectChange::Enter(wire(tree, 1, x, y, 2))));
    assert!(d.changes.contains(&ObjectChange::Enter(wire(rock, 3, x + 3 * TILE, y, 0))));
    assert_eq!(s.client(a).version(3, 3), Some(v0 + 3));
}

#[test]
fn clients_at_one_version_share_a_delta_and_a_later_one_gets_the_chunk_whole() {
    let mut s = Scene::new();
    let (a, b) = (s.join(1), s.join(2));
    s.step();
    let (x, y) = (C - 30 * TILE, C + 11 * TILE);
    let tree = s.place(TREE, x, y);
    let other = s.place(TREE, x + 4 * TILE, y);
    assert!(s.sim.remove_object(other), "placed and gone within the tick");
    assert!(s.sim.update_object(tree, |r| r.stage = 1));
    s.step();
    let (da, db) = (s.client(a).deltas(), s.client(b).deltas());
    assert_eq!((da.len(), db.len()), (1, 1));
    assert_eq!(da[0].payload.as_ptr(), db[0].payload.as_ptr(), "one encoding shared by both");
    assert_eq!(s.rep.stats().object_delta_encodes, 1);
    let d = decode_delta(da[0]);
    assert_eq!(d.to_version, d.from_version + 4, "one version per change");
    assert_eq!(d.changes, [ObjectChange::Enter(wire(tree, 1, x, y, 1))], "only the net change");

    // A client joining later gets ChunkData holding the current objects.
    let c = s.join(3);
    s.step();
    assert_eq!(s.client(c).kinds(), vec![msg_type::CHUNK_DATA; 9]);
    let late = s.client(c).world.chunks().object(tree.to_bits());
    assert_eq!(late, s.client(a).world.chunks().object(tree.to_bits()));
    assert_eq!(late.map(|o| o.state), Some(1));
    assert_eq!(s.client(c).version(3, 3), s.server_version(3, 3));
    assert_eq!(s.client(c).world.chunks().object(other.to_bits()), None);
}

#[test]
fn a_client_further_behind_than_the_log_gets_chunk_data() {
    let mut s = Scene::new();
    let a = s.join(1);
    s.step();
    let encodes = s.rep.stats().chunk_encodes;
    // More changes in one tick than the log keeps: the version the client holds is forgotten.
    let trees: Vec<_> = (0..OBJECT_LOG_LEN as i32 + 6)
        .map(|i| s.place(TREE, C - 60 * TILE + i * TILE, C + 40 * TILE))
        .collect();
    s.step();
    assert_eq!(s.client(a).kinds(), [msg_type::CHUNK_DATA]);
    assert_eq!(s.rep.stats().chunk_encodes, encodes + 1);
    assert_eq!(s.client(a).version(3, 3), s.server_version(3, 3));
    assert!(trees.iter().all(|t| s.client(a).world.chunks().object(t.to_bits()).is_some()));
    // Back within the log's reach, deltas again.
    assert!(s.sim.remove_object(trees[0]));
    s.step();
    assert_eq!(s.client(a).kinds(), [msg_type::OBJECT_DELTA]);
}

// ---- The client library alone ----

fn chunk(version: u32, objects: &[WireObject]) -> ServerMessage {
    let terrain = [3u16; chunk_wire::CHUNK_TILE_COUNT];
    let (data, raw_len) =
        chunk_wire::encode((3, 4), &terrain, &mut objects.to_vec(), &mut Vec::new()).unwrap();
    ServerMessage::ChunkData(ChunkData { map: 0, cx: 3, cy: 4, version, raw_len, data: data.into() })
}

fn delta(cx: i32, from: u32, to: u32, changes: Vec<ObjectChange>) -> ServerMessage {
    ServerMessage::ObjectDelta(ObjectDelta { map: 0, cx, cy: 4, from_version: from, to_version: to, changes })
}

#[test]
fn the_client_applies_a_delta_only_at_its_from_version() {
    let mut w = ClientWorld::new(content());
    assert_eq!(w.apply(&delta(3, 5, 6, vec![])), Err(ClientWorldError::NotWelcomed));
    assert_eq!(w.apply(&welcome(1)), Ok(Applied::Welcome));
    let (ox, oy) = (3 * CHUNK_UNITS, 4 * CHUNK_UNITS);
    let tree = WireObject { id: EntityId(42), kind: 1, x: ox + 10 * TILE, y: oy + 10 * TILE, state: 0 };
    let rock = WireObject { id: EntityId(43), kind: 3, x: ox + 90 * TILE, y: oy + 3 * TILE, state: 0 };
    w.apply(&chunk(5, &[tree])).unwrap();

    // Out of order: a delta from a version the client does not hold changes nothing.
    let later = delta(3, 6, 7, vec![ObjectChange::Leave(tree.id)]);
    assert_eq!(w.apply(&later), Ok(Applied::ObjectDelta { cx: 3, cy: 4, applied: false }));
    assert!(w.chunks().object(42).is_some());
    assert_eq!(w.chunks().get(3, 4).map(|c| c.version()), Some(5));
    let elsewhere = delta(2, 5, 6, vec![ObjectChange::Enter(rock)]);
    assert_eq!(w.apply(&elsewhere), Ok(Applied::ObjectDelta { cx: 2, cy: 4, applied: false }), "not held");

    // In order: applied, in order within the message.
    let grown = WireObject { state: 3, ..tree };
    let next = delta(3, 5, 6, vec![ObjectChange::Enter(rock), ObjectChange::Change(grown)]);
    assert_eq!(w.apply(&next), Ok(Applied::ObjectDelta { cx: 3, cy: 4, applied: true }));
    assert_eq!(w.chunks().get(3, 4).map(|c| c.version()), Some(6));
    assert_eq!(w.chunks().object(42).map(|o| o.state), Some(3));
    assert_eq!(w.chunks().object(43).map(|o| o.radius), Some(64));
    let mut circles = Vec::new();
    w.chunks().circles_near(rock.x, rock.y, 100, &mut circles);
    assert_eq!(circles, [game::movement::Circle { x: rock.x, y: rock.y, r: 64 }]);
    assert_eq!(w.apply(&next), Ok(Applied::ObjectDelta { cx: 3, cy: 4, applied: false }), "never twice");
    let now_in_order = w.apply(&later);
    assert_eq!(now_in_order, Ok(Applied::ObjectDelta { cx: 3, cy: 4, applied: true }), "held at 6 now");
    assert_eq!(w.chunks().object(42), None);
    w.chunks().circles_near(tree.x, tree.y, 100, &mut circles);
    assert!(circles.is_empty());
    assert_eq!((w.stats().object_deltas, w.stats().ignored_object_deltas), (2, 3));

    let wrong_map =
        ServerMessage::ObjectDelta(ObjectDelta { map: 9, cx: 3, cy: 4, ..ObjectDelta::default() });
    assert_eq!(w.apply(&wrong_map), Err(ClientWorldError::WrongMap { expected: 0, got: 9 }));
}
