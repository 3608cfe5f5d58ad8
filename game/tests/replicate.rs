//! Replication against a real `MapSim` on SQLite: every emitted message is decoded and applied to
//! a minimal client model (entity table, chunk set, acks). Chunks are made resident before the
//! scenario starts, so from then on every tick is deterministic.

use game::bots::{BotPolicy, BotState, BotView};
use game::chunk_wire::WireObject;
use game::geom::{CHUNK_UNITS, MapGeometry, TILE, map_id};
use game::interest::DEFAULT_MARGIN;
use game::replicate::{KIND_BOT, KIND_PLAYER, Outgoing, ReplicationConfig, Replicator};
use game::{Content, Controller, MapSim, Order, SimConfig, SimParts};
use net::protocol::{Ack, EntityId, Frame, ObjectChange, ObjectDelta, ServerMessage};
use net::{Bytes, ConnId, Outbound};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{ObjectRecord, Position, Store, StoreConfig};

/// Centre of chunk 3 on both axes.
const C: i32 = 3 * CHUNK_UNITS + CHUNK_UNITS / 2;
const TOL: i32 = 32;
/// Message type bytes.
const FRAME: u8 = 0x82;
const CHUNK_DATA: u8 = 0x83;
/// The default frame budget.
const BUDGET: usize = 190;

/// Bots that never decide anything (so scenes stay still unless told).
#[derive(Debug)]
struct Still;

impl BotPolicy for Still {
    fn decide(&self, _: &BotView<'_>, _: &mut BotState) -> Option<Order> {
        None
    }
}

/// Content where no terrain blocks and nothing is scattered.
fn open_content() -> Content {
    let t = include_str!("../../schemas/content/terrain.toml").replace("blocks = true", "blocks = false");
    let o = "[[object]]\nid = 3\nname = \"rock\"\nradius = 64\n";
    Content::from_strs(&t, o, include_str!("../../schemas/content/world.toml")).unwrap()
}

/// An entity as the client model holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    kind: u16,
    x: i32,
    y: i32,
    vx: i16,
    vy: i16,
    hp: u16,
    tick: u64,
}

impl Held {
    /// Dead-reckoned position at `tick`.
    fn at(&self, tick: u64) -> (i32, i32) {
        let dt = (tick - self.tick) as i32;
        (self.x + i32::from(self.vx) * dt, self.y + i32::from(self.vy) * dt)
    }
}

/// A minimal client: applies frames and chunk messages, produces acks.
#[derive(Debug, Default)]
struct Model {
    own: u64,
    entities: BTreeMap<u64, Held>,
    chunks: BTreeMap<(i32, i32), u32>,
    chunk_payloads: BTreeMap<(i32, i32), Bytes>,
    drops: Vec<(i32, i32)>,
    deltas: Vec<ObjectDelta>,
    frames: Vec<Frame>,
    received: BTreeSet<u64>,
    /// Tick each entity first entered.
    entered_at: BTreeMap<u64, u64>,
}

impl Model {
    fn new(own: u64) -> Self {
        Self { own, ..Self::default() }
    }

    fn apply(&mut self, out: &Outbound) {
        match ServerMessage::decode(&out.payload).expect("decodes") {
            ServerMessage::Frame(f) => {
                assert!(out.replaceable, "frames are replaceable");
                self.apply_frame(f);
            }
            ServerMessage::ChunkData(c) => {
                assert!(!out.replaceable);
                let content =
                    game::chunk_wire::decode((c.cx, c.cy), &c.data, c.raw_len).expect("chunk payload");
                assert_eq!(content.terrain.len(), 128 * 128);
                self.chunks.insert((c.cx, c.cy), c.version);
                self.chunk_payloads.insert((c.cx, c.cy), out.payload.clone());
            }
            ServerMessage::ObjectDelta(d) => {
                assert!(!out.replaceable);
                let held = self.chunks.get_mut(&(d.cx, d.cy)).expect("a delta of a chunk it holds");
                assert_eq!(*held, d.from_version, "a delta from the version it holds");
                *held = d.to_version;
                self.deltas.push(d);
            }
            ServerMessage::ChunkDrop(d) => {
                assert!(!out.replaceable);
                assert!(self.chunks.remove(&(d.cx, d.cy)).is_some(), "dropped a chunk it held");
                self.drops.push((d.cx, d.cy));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    fn apply_frame(&mut self, f: Frame) {
        assert!(self.received.insert(f.tick), "one frame per tick");
        for e in &f.enters {
            assert_ne!(e.id.0, self.own, "own character in enters");
            let s = &e.state;
            let held = Held { kind: e.kind, x: s.x, y: s.y, vx: s.vx, vy: s.vy, hp: s.hp, tick: f.tick };
            self.entities.insert(e.id.0, held);
            self.entered_at.entry(e.id.0).or_insert(f.tick);
        }
        for u in &f.updates {
            assert_ne!(u.id.0, self.own, "own character in updates");
            let held = self.entities.get_mut(&u.id.0).expect("update of an entity the client holds");
            let s = &u.state;
            (held.x, held.y, held.vx, held.vy, held.hp, held.tick) = (s.x, s.y, s.vx, s.vy, s.hp, f.tick);
        }
        for l in &f.leaves {
            assert_ne!(l.0, self.own, "own character in leaves");
            self.entities.remove(&l.0);
        }
        self.frames.push(f);
    }

    /// The Ack a client sends after its newest frame.
    fn ack(&self) -> Option<Ack> {
        let &tick = self.received.last()?;
        let mut received = 0u32;
        for i in 0..32u64 {
            if tick > i && self.received.contains(&(tick - 1 - i)) {
                received |= 1 << i;
            }
        }
        Some(Ack { tick, received })
    }

    fn last_frame(&self) -> &Frame {
        self.frames.last().expect("a frame")
    }
}

/// A simulation, a replicator and the models of its clients.
struct Scene {
    sim: MapSim,
    rep: Replicator,
    tick: u64,
    clients: BTreeMap<ConnId, Model>,
    /// Messages of the last step, per client, in order.
    last: BTreeMap<ConnId, Vec<Outbound>>,
    /// Clients whose messages of the last step were queued to go first.
    answered: BTreeSet<ConnId>,
    _dir: tempfile::TempDir,
}

impl Scene {
    /// A sim whose chunks (1..=7) × (1..=5) are resident, with nobody on the map.
    fn new(config: ReplicationConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(StoreConfig::sqlite(dir.path().join("world.db"))).unwrap());
        let parts = SimParts {
            content: Arc::new(open_content()),
            map: MapGeometry::new(map_id(0, 0), 9, 7),
            seed: 7,
            store,
            config: SimConfig::default(),
        };
        let mut sim = MapSim::new(parts).unwrap();
        sim.set_bot_policy(Box::new(Still));
        let mut scene = Self {
            sim,
            rep: Replicator::new(map_id(0, 0), config),
            tick: 0,
            clients: BTreeMap::new(),
            last: BTreeMap::new(),
            answered: BTreeSet::new(),
            _dir: dir,
        };
        scene.preload();
        scene
    }

    /// Makes chunks resident with temporary characters, then removes them.
    fn preload(&mut self) {
        let loaders: Vec<_> = [2, 4, 6]
            .iter()
            .flat_map(|&cx| [2, 4].map(|cy| (cx, cy)))
            .map(|(cx, cy)| {
                let at = |c: i32| c * CHUNK_UNITS + CHUNK_UNITS / 2;
                self.sim.spawn_character(Controller::Player(1000), at(cx), at(cy))
            })
            .collect();
        let start = Instant::now();
        while !(1..=7).all(|cx| (1..=5).all(|cy| self.resident(cx, cy))) {
            assert!(start.elapsed() < Duration::from_secs(60), "chunks never became resident");
            self.sim_tick();
            std::thread::sleep(Duration::from_millis(2));
        }
        loaders.into_iter().for_each(|e| assert!(self.sim.despawn_character(e)));
        self.sim_tick();
    }

    fn resident(&self, cx: i32, cy: i32) -> bool {
        self.sim.world.resource(self.sim.keys.chunks).resident(cx, cy).is_some()
    }

    fn sim_tick(&mut self) {
        self.tick += 1;
        self.sim.tick(self.tick * 50);
    }

    fn join(&mut self, conn: u64, entity: engine::Entity) -> ConnId {
        let conn = ConnId::from_u64(conn);
        self.rep.add_client(conn, entity);
        self.clients.insert(conn, Model::new(entity.to_bits()));
        conn
    }

    /// One tick: simulate, replicate, deliver everything to the models (none acks).
    fn step(&mut self) {
        self.step_with(|_, _| true);
    }

    /// One tick, delivering a message only when `deliver(conn, message)` says so.
    fn step_with(&mut self, mut deliver: impl FnMut(ConnId, &Outbound) -> bool) {
        self.sim_tick();
        let mut out = Outgoing::default();
        self.rep.build(&self.sim, self.tick, &mut out);
        self.answered = out.first.iter().map(|(conn, _)| *conn).collect();
        let mut batch = Vec::new();
        out.drain_into(&mut batch);
        self.last.clear();
        for (conn, msg) in batch {
            if msg.replaceable {
                assert!(msg.payload.len() <= BUDGET, "frame over budget");
            }
            self.last.entry(conn).or_default().push(msg.clone());
            if deliver(conn, &msg) {
                self.clients.get_mut(&conn).expect("known client").apply(&msg);
            }
        }
    }

    /// One tick where every client acks its newest frame afterwards.
    fn step_acked(&mut self) {
        self.step();
        self.ack_all();
    }

    fn ack_all(&mut self) {
        let acks: Vec<_> = self.clients.iter().filter_map(|(&c, m)| m.ack().map(|a| (c, a))).collect();
        acks.into_iter().for_each(|(c, a)| self.rep.on_ack(c, a));
    }

    /// Applies a new input for `conn`, so its next Frame is sent whatever else happens.
    fn nudge(&mut self, conn: ConnId) {
        self.rep.set_last_input(conn, self.tick as u32 + 1);
    }

    fn model(&self, conn: ConnId) -> &Model {
        &self.clients[&conn]
    }

    fn pos(&self, e: engine::Entity) -> (i32, i32) {
        self.sim.position(e).unwrap()
    }

    /// Frames of the last step for `conn`.
    fn frames_now(&self, conn: ConnId) -> Vec<Frame> {
        let msgs = self.last.get(&conn).map(Vec::as_slice).unwrap_or_default();
        msgs.iter()
            .filter_map(|m| match ServerMessage::decode(&m.payload).unwrap() {
                ServerMessage::Frame(f) => Some(f),
                _ => None,
            })
            .collect()
    }
}

fn square(cx: i32, cy: i32) -> BTreeSet<(i32, i32)> {
    (-1..=1).flat_map(|dy| (-1..=1).map(move |dx| (cx + dx, cy + dy))).collect()
}

#[test]
fn neighbours_enter_update_and_leave_and_own_never_appears() {
    let mut s = Scene::new(ReplicationConfig::default());
    let ax = 4 * CHUNK_UNITS - 4 * TILE;
    let a = s.sim.spawn_character(Controller::Player(1), ax, C);
    let b = s.sim.spawn_character(Controller::Player(2), ax + 6 * TILE, C);
    let bot = s.sim.spawn_character(Controller::Bot, ax, C - 5 * TILE);
    let (ca, cb) = (s.join(1, a), s.join(2, b));
    s.step_acked();

    let first = s.model(ca).last_frame().clone();
    assert_eq!((first.own.x, first.own.y, first.own.hp, first.own.max_hp), (ax, C, 100, 100));
    let held_b = s.model(ca).entities[&b.to_bits()];
    assert_eq!(
        (held_b.kind, held_b.x, held_b.y, held_b.vx, held_b.vy, held_b.hp),
        (KIND_PLAYER, ax + 6 * TILE, C, 0, 0, 100)
    );
    assert_eq!(s.model(ca).entities[&bot.to_bits()].kind, KIND_BOT);
    assert!(s.model(cb).entities.contains_key(&a.to_bits()), "b sees a");

    // B walks east: A sees it move, with its order in B's own head.
    assert!(s.sim.set_order(b, Order::MoveTo { x: 5 * CHUNK_UNITS + 4 * TILE, y: C }));
    for _ in 0..5 {
        s.step_acked();
    }
    assert_eq!(s.model(cb).last_frame().own.order, 1, "move-to order in the head");
    let seen = s.model(ca).entities[&b.to_bits()];
    assert_eq!(seen.vx, 100, "moving at full speed");
    let (bx, _) = s.pos(b);
    assert!((seen.at(s.tick).0 - bx).abs() <= TOL, "dead-reckoned track");
    let updates =
        s.model(ca).frames.iter().flat_map(|f| &f.updates).filter(|u| u.id.0 == b.to_bits()).count();
    assert!(updates >= 1, "velocity change sent as an update");

    // B walks out of A's chunks (column 5): A is told it left.
    let mut ticks = 0;
    while s.model(ca).entities.contains_key(&b.to_bits()) {
        s.step_acked();
        ticks += 1;
        assert!(ticks < 600, "b never left a's view");
    }
    assert!(s.pos(b).0 >= 5 * CHUNK_UNITS, "left only once outside the area's chunks");

    // The bot despawns: it leaves at once.
    assert!(s.sim.despawn_character(bot));
    s.step_acked();
    assert!(s.frames_now(ca)[0].leaves.iter().any(|l| l.0 == bot.to_bits()));
    assert!(!s.model(ca).entities.contains_key(&bot.to_bits()));
}

#[test]
fn chunks_arrive_on_join_are_shared_and_drop_past_the_margin() {
    let mut s = Scene::new(ReplicationConfig::default());
    let a = s.sim.spawn_character(Controller::Player(1), C, C);
    let b = s.sim.spawn_character(Controller::Player(2), C + 2 * TILE, C);
    let (ca, cb) = (s.join(1, a), s.join(2, b));
    s.step_acked();
    for conn in [ca, cb] {
        assert_eq!(s.model(conn).chunks.keys().copied().collect::<BTreeSet<_>>(), square(3, 3));
        let kinds: Vec<u8> = s.last[&conn].iter().map(|m| m.payload[0]).collect();
        assert_eq!(kinds, [vec![CHUNK_DATA; 9], vec![FRAME]].concat(), "ChunkData first, then the Frame");
    }
    for (chunk, payload) in &s.model(ca).chunk_payloads {
        let other = &s.model(cb).chunk_payloads[chunk];
        assert_eq!(payload.as_ptr(), other.as_ptr(), "one encoding shared by both clients");
    }
    assert_eq!(s.rep.stats().chunk_encodes, 9);
    assert_eq!(s.rep.stats().chunk_data_msgs, 18);

    // A walks east into chunk 4: column 5 enters at once, column 2 leaves only past the margin.
    let keep_edge = 4 * CHUNK_UNITS + DEFAULT_MARGIN;
    assert!(s.sim.set_order(a, Order::MoveTo { x: keep_edge + 2 * TILE, y: C }));
    while s.pos(a).0 < 4 * CHUNK_UNITS {
        s.step_acked();
    }
    s.step_acked();
    assert!(s.model(ca).chunks.contains_key(&(5, 3)), "column 5 entered");
    assert!(s.model(ca).chunks.contains_key(&(2, 3)), "column 2 kept within the margin");
    assert!(s.model(ca).drops.is_empty());
    while s.pos(a).0 <= keep_edge {
        assert!(s.model(ca).drops.is_empty(), "no drop before the margin");
        s.step_acked();
    }
    s.step_acked();
    let dropped: BTreeSet<_> = s.model(ca).drops.iter().copied().collect();
    assert_eq!(dropped, [(2, 2), (2, 3), (2, 4)].into_iter().collect());
    let held: BTreeSet<_> = s.model(ca).chunks.keys().copied().collect();
    assert_eq!(held, (3..=5).flat_map(|cx| (2..=4).map(move |cy| (cx, cy))).collect());
    assert!(s.model(cb).drops.is_empty(), "b stayed");
}

/// Chebyshev distance.
fn dist(a: (i32, i32), b: (i32, i32)) -> i32 {
    (a.0 - b.0).abs().max((a.1 - b.1).abs())
}

#[test]
fn a_crowd_fits_the_budget_nearest_first_and_all_enter() {
    let mut s = Scene::new(ReplicationConfig { max_visible: 1_000, ..ReplicationConfig::default() });
    let a = s.sim.spawn_character(Controller::Player(1), C, C);
    let mut crowd = BTreeMap::new();
    for i in 0..201 {
        let (gx, gy) = (i % 21 - 10, i / 21 - 5);
        if (gx, gy) == (0, 0) {
            continue;
        }
        // Spacing grows with the ring so distances are varied: 2 tiles on x, 3 on y.
        let (x, y) = (C + gx * 2 * TILE, C + gy * 3 * TILE);
        let e = s.sim.spawn_character(Controller::Player(10 + i64::from(i)), x, y);
        crowd.insert(e.to_bits(), dist((x, y), (C, C)));
    }
    assert_eq!(crowd.len(), 200);
    let ca = s.join(1, a);
    let mut ticks = 0;
    while s.model(ca).entities.len() < crowd.len() {
        s.step_acked();
        ticks += 1;
        assert!(ticks <= 50, "every character entered within 50 ticks");
    }
    assert!(s.model(ca).frames.iter().all(|f| f.enters.len() + f.updates.len() <= 5));
    assert!(s.rep.stats().records_deferred > 0);
    // Nearer first: every entity entered no later than any farther one.
    let entered = &s.model(ca).entered_at;
    for (id, tick) in entered {
        for (other, other_tick) in entered {
            if crowd[id] < crowd[other] {
                assert!(tick <= other_tick, "{id} at {} entered after a farther one", crowd[id]);
            }
        }
    }
}

/// True for a Frame carrying update records.
fn carries_updates(m: &Outbound) -> bool {
    matches!(ServerMessage::decode(&m.payload), Ok(ServerMessage::Frame(f)) if !f.updates.is_empty())
}

/// Enter and update records about `id` a model received.
fn records_about(m: &Model, id: u64) -> usize {
    let ids =
        m.frames.iter().flat_map(|f| f.enters.iter().map(|e| e.id.0).chain(f.updates.iter().map(|u| u.id.0)));
    ids.filter(|&i| i == id).count()
}

#[test]
fn a_lost_enter_is_resent_and_a_received_one_is_not() {
    let mut s = Scene::new(ReplicationConfig::default());
    let a = s.sim.spawn_character(Controller::Player(1), C, C);
    let b = s.sim.spawn_character(Controller::Player(2), C + 4 * TILE, C);
    let (ca, cb, bid) = (s.join(1, a), s.join(2, b), b.to_bits());
    // A's first frame (entering B) is lost; B's (entering A) arrives and is acked.
    s.step_with(|conn, m| conn != ca || m.payload[0] != FRAME);
    let lost_tick = s.tick;
    assert_eq!(s.frames_now(ca)[0].enters[0].id.0, bid);
    s.ack_all();
    // A's next frame (a new input) arrives; its ack reports the first one lost.
    s.nudge(ca);
    s.step_acked();
    assert!(s.frames_now(ca)[0].enters.is_empty(), "in flight until answered");
    assert_eq!(s.model(ca).ack().unwrap().received(lost_tick), Some(false));
    s.nudge(ca);
    s.step_acked();
    assert_eq!(s.frames_now(ca)[0].enters.iter().map(|e| e.id.0).collect::<Vec<_>>(), [bid], "resent");
    assert_eq!(s.rep.stats().records_resent, 1);
    assert!(s.model(ca).entities.contains_key(&bid));
    // B's enter of A was acked: nothing about A is sent again, even past the in-flight time.
    for _ in 0..60 {
        s.step_acked();
    }
    assert_eq!(records_about(s.model(cb), a.to_bits()), 1, "a received record is never resent");
    assert_eq!(s.rep.stats().records_resent, 1);
}

#[test]
fn ack_bits_of_ticks_without_a_frame_say_nothing() {
    let mut s = Scene::new(ReplicationConfig::default());
    let bot = s.sim.spawn_character(Controller::Bot, C + 4 * TILE, C);
    let a = s.sim.spawn_character(Controller::Player(1), C, C);
    let b = s.sim.spawn_character(Controller::Player(2), C, C + 2 * TILE);
    let (ca, cb, bot_id) = (s.join(1, a), s.join(2, b), bot.to_bits());
    s.step();
    let entered = s.tick;
    assert!(s.frames_now(ca)[0].enters.iter().any(|e| e.id.0 == bot_id));
    // Four ticks with nothing new: no Frame is sent.
    for _ in 0..4 {
        s.step();
        assert!(s.frames_now(ca).is_empty() && s.frames_now(cb).is_empty(), "a still scene skips frames");
    }
    s.nudge(ca);
    s.nudge(cb);
    s.step();
    let newest = s.tick;
    assert_eq!(newest - entered, 5);
    // Bits 0..=3 are the four ticks without a Frame, bit 4 the tick of the enters. A reports them
    // as the spec says (0); B sets them to 1 but reports the enters' Frame lost.
    s.rep.on_ack(ca, Ack { tick: newest, received: 0b1_0000 });
    s.rep.on_ack(cb, Ack { tick: newest, received: 0b0_1111 });
    for _ in 0..60 {
        s.nudge(ca);
        s.nudge(cb);
        s.step_acked();
    }
    assert_eq!(records_about(s.model(ca), bot_id), 1, "A's zeros for skipped ticks lose nothing");
    assert_eq!(records_about(s.model(cb), bot_id), 2, "B's ones for skipped ticks save nothing");
    assert_eq!(s.rep.stats().records_resent, 2, "B's two enters (the bot and A), nothing of A's");
}

#[test]
fn a_lost_update_is_sent_again() {
    let mut s = Scene::new(ReplicationConfig::default());
    let a = s.sim.spawn_character(Controller::Player(1), C, C);
    let b = s.sim.spawn_character(Controller::Player(2), C + 4 * TILE, C);
    let (ca, bid) = (s.join(1, a), b.to_bits());
    s.step_acked();
    assert!(s.sim.set_order(b, Order::MoveTo { x: C + 40 * TILE, y: C }));
    // The first frame carrying B's update is lost.
    let (mut lost, start) = (false, s.tick);
    while !lost {
        assert!(s.tick - start < 20, "no update of b");
        s.nudge(ca);
        s.step_with(|_, m| {
            let lose = !lost && carries_updates(m);
            lost |= lose;
            !lose
        });
        s.ack_all();
    }
    // The next frame arrives and its ack reports the loss; then B's update comes again.
    let mut resent = false;
    for _ in 0..2 {
        s.nudge(ca);
        s.step_acked();
        resent |= s.frames_now(ca)[0].updates.iter().any(|u| u.id.0 == bid);
    }
    assert!(resent, "update resent after the loss was reported");
    assert_eq!(s.rep.stats().records_resent, 1);
}

#[test]
fn chunk_encodings_are_bounded_and_a_new_version_is_sent() {
    let config = ReplicationConfig {
        chunk_encodes_per_tick: 4,
        object_delta_ticks: 1,
        ..ReplicationConfig::default()
    };
    let mut s = Scene::new(config);
    let a = s.sim.spawn_character(Controller::Player(1), C, C);
    let ca = s.join(1, a);
    let mut per_tick = Vec::new();
    for _ in 0..3 {
        s.step_acked();
        per_tick.push(s.last[&ca].iter().filter(|m| m.payload[0] == CHUNK_DATA).count());
    }
    assert_eq!(per_tick, [4, 4, 1], "at most 4 encodings a tick; the rest wait");
    assert_eq!(s.model(ca).chunks.keys().copied().collect::<BTreeSet<_>>(), square(3, 3));
    // An object placed in chunk (3, 3) bumps its version: the client is told in an ObjectDelta.
    let old = s.model(ca).chunks[&(3, 3)];
    let pos = Position { x: C + 300, y: C };
    let rec = ObjectRecord { id: 9_000_001, grid_x: 3, grid_y: 3, kind: 3, pos, ..Default::default() };
    let rock = s.sim.insert_object(rec).unwrap();
    s.step_acked();
    assert_eq!(s.model(ca).chunks[&(3, 3)], old + 1);
    let rock = WireObject { id: EntityId(rock.to_bits()), kind: 3, x: C + 300, y: C, state: 0 };
    assert_eq!(s.model(ca).deltas.last().map(|d| d.changes.clone()), Some(vec![ObjectChange::Enter(rock)]));
    assert_eq!(s.rep.stats().chunk_encodes, 9, "no ChunkData encoded again");
    assert_eq!(s.rep.stats().object_delta_encodes, 1);
}

#[test]
fn an_idle_scene_sends_only_heartbeats() {
    let mut s = Scene::new(ReplicationConfig::default());
    let a = s.sim.spawn_character(Controller::Player(1), C, C);
    s.sim.spawn_character(Controller::Bot, C + 3 * TILE, C);
    let ca = s.join(1, a);
    for _ in 0..101 {
        s.step_acked();
    }
    let ticks: Vec<u64> = s.model(ca).frames.iter().map(|f| f.tick).collect();
    let first = ticks[0];
    assert_eq!(ticks, (0..6).map(|i| first + 20 * i).collect::<Vec<_>>(), "a frame every 20 ticks");
    assert!(s.model(ca).frames[1..].iter().all(|f| f.enters.is_empty() && f.updates.is_empty()));
    assert_eq!(s.rep.stats().frames_skipped, 95);
    assert_eq!(s.rep.stats().frames, 6);
    // Stale connections are ignored.
    let stale = ConnId::from_u64(99);
    s.rep.on_ack(stale, Ack { tick: u64::MAX, received: u32::MAX });
    s.rep.set_last_input(stale, 5);
    s.rep.remove_client(stale);
    assert_eq!(s.rep.client_count(), 1);
    s.rep.remove_client(ca);
    s.step();
    assert_eq!(s.rep.client_count(), 0);
    assert!(s.last.is_empty(), "nothing for a removed client");
}

#[test]
fn the_model_tracks_movement_within_tolerance_and_converges() {
    let mut s = Scene::new(ReplicationConfig::default());
    let a = s.sim.spawn_character(Controller::Player(1), C, C);
    let ca = s.join(1, a);
    let movers: Vec<_> = (0..4)
        .map(|i| {
            s.sim.spawn_character(Controller::Player(2 + i), C + (i as i32 - 2) * 3 * TILE, C + 5 * TILE)
        })
        .collect();
    s.step_acked();
    let goals = [
        (C - 30 * TILE, C + 40 * TILE),
        (C + 7 * TILE, C - 20 * TILE),
        (C + 45 * TILE, C + 9 * TILE),
        (C - 3 * TILE, C - 3 * TILE + 77),
    ];
    for (&m, &(x, y)) in movers.iter().zip(&goals) {
        assert!(s.sim.set_order(m, Order::MoveTo { x, y }));
    }
    let check = |s: &Scene| {
        for &m in &movers {
            let held = s.model(ca).entities[&m.to_bits()];
            let (px, py) = held.at(s.tick);
            let (x, y) = s.pos(m);
            assert!(
                (px - x).abs() <= TOL && (py - y).abs() <= TOL,
                "{m:?}: model ({px}, {py}) vs ({x}, {y})"
            );
        }
    };
    let mut ticks = 0;
    while movers.iter().any(|&m| s.sim.order(m).unwrap().current != Order::Idle) {
        s.step_acked();
        check(&s);
        ticks += 1;
        assert!(ticks < 400, "movers never arrived");
    }
    for _ in 0..30 {
        s.step_acked();
        check(&s);
    }
    for &m in &movers {
        let held = s.model(ca).entities[&m.to_bits()];
        assert_eq!((held.vx, held.vy), (0, 0), "stopped");
    }
}

#[test]
fn a_crowd_beyond_the_cap_shows_only_the_nearest() {
    let mut s = Scene::new(ReplicationConfig { max_visible: 40, ..ReplicationConfig::default() });
    let a = s.sim.spawn_character(Controller::Player(1), C, C);
    let mut crowd = BTreeMap::new();
    for i in 0..121 {
        let (gx, gy) = (i % 11 - 5, i / 11 - 5);
        if (gx, gy) == (0, 0) {
            continue;
        }
        let (x, y) = (C + gx * 2 * TILE, C + gy * 3 * TILE);
        let e = s.sim.spawn_character(Controller::Player(10 + i64::from(i)), x, y);
        crowd.insert(e.to_bits(), dist((x, y), (C, C)));
    }
    let ca = s.join(1, a);
    for _ in 0..60 {
        s.step_acked();
        assert!(s.model(ca).entities.len() <= 40, "never more than the cap");
    }
    let seen: Vec<u64> = s.model(ca).entities.keys().copied().collect();
    assert_eq!(seen.len(), 40, "the cap is filled");
    let farthest_seen = seen.iter().map(|id| crowd[id]).max().unwrap();
    let nearer_unseen = crowd.iter().filter(|(id, d)| !seen.contains(id) && **d < farthest_seen).count();
    assert_eq!(nearer_unseen, 0, "the nearest ones are the ones shown");
}

#[test]
fn a_newcomer_appears_within_the_refresh_period_and_a_departure_at_once() {
    let config = ReplicationConfig::default();
    let mut s = Scene::new(config);
    let a = s.sim.spawn_character(Controller::Player(1), C, C);
    let ca = s.join(1, a);
    for _ in 0..10 {
        s.step_acked();
    }
    // Newcomers arrive on every tick of the refresh cycle; each shows up within one cycle.
    let mut newcomers = Vec::new();
    for i in 0..config.view_refresh_ticks as i32 {
        let e = s.sim.spawn_character(Controller::Bot, C + (i + 2) * TILE, C);
        s.step_acked();
        newcomers.push((e, s.tick));
    }
    for _ in 0..config.view_refresh_ticks {
        s.step_acked();
    }
    for (e, spawned) in newcomers {
        let entered = s.model(ca).entered_at.get(&e.to_bits()).copied().expect("newcomer entered");
        assert!(entered - spawned < config.view_refresh_ticks, "entered {entered}, spawned {spawned}");
    }
    // Between refreshes a despawned character still leaves on the next frame.
    let gone = s.sim.spawn_character(Controller::Bot, C - 3 * TILE, C);
    while !s.model(ca).entities.contains_key(&gone.to_bits()) {
        s.step_acked();
    }
    s.step_acked();
    assert!(s.sim.despawn_character(gone));
    s.step_acked();
    assert!(s.frames_now(ca)[0].leaves.iter().any(|l| l.0 == gone.to_bits()));
}

#[test]
fn frames_answering_a_new_input_are_queued_first() {
    let mut s = Scene::new(ReplicationConfig::default());
    let a = s.sim.spawn_character(Controller::Player(1), C, C);
    let b = s.sim.spawn_character(Controller::Player(2), C + 4 * TILE, C);
    let (ca, cb) = (s.join(1, a), s.join(2, b));
    s.step_acked();
    s.step_acked();
    s.nudge(cb);
    s.step_acked();
    assert_eq!(s.answered, BTreeSet::from([cb]), "only b's frame answers an input");
    assert!(!s.frames_now(cb).is_empty());
    s.nudge(ca);
    s.step_acked();
    assert_eq!(s.answered, BTreeSet::from([ca]), "b's input was answered already");
    s.step_acked();
    assert!(s.answered.is_empty());
}

#[test]
fn near_characters_are_reviewed_every_tick_and_far_ones_in_turn() {
    let config = ReplicationConfig {
        near_visible: 1,
        far_review_ticks: 4,
        view_refresh_ticks: 1_000,
        ..ReplicationConfig::default()
    };
    let mut s = Scene::new(config);
    let a = s.sim.spawn_character(Controller::Player(1), C, C);
    let near = s.sim.spawn_character(Controller::Player(2), C + 2 * TILE, C);
    let far: Vec<_> =
        (0..4).map(|i| s.sim.spawn_character(Controller::Bot, C - 20 * TILE, C + i * 3 * TILE)).collect();
    let ca = s.join(1, a);
    for _ in 0..20 {
        s.step_acked();
    }
    assert_eq!(s.model(ca).entities.len(), 5, "all entered and settled");
    // Everyone starts walking on the same tick: the near one's update goes out at once, each far
    // one's within its turn.
    let walk = |x: i32, y: i32| Order::MoveTo { x: x + 10 * TILE, y };
    for &e in far.iter().chain([&near]) {
        let (x, y) = s.sim.position(e).unwrap();
        assert!(s.sim.set_order(e, walk(x, y)));
    }
    let mut first_update = BTreeMap::new();
    for t in 1..=config.far_review_ticks {
        s.step_acked();
        for f in s.frames_now(ca) {
            for u in &f.updates {
                first_update.entry(u.id.0).or_insert(t);
            }
        }
    }
    assert_eq!(first_update.get(&near.to_bits()), Some(&1), "the near one at once: {first_update:?}");
    for e in &far {
        let t = first_update.get(&e.to_bits()).copied();
        assert!(
            t.is_some_and(|t| t <= config.far_review_ticks),
            "far {e:?} within its turn: {first_update:?}"
        );
    }
    assert!(first_update.values().any(|&t| t > 1), "some far one waited for its turn: {first_update:?}");
}

#[test]
fn clients_that_leave_together_get_nothing_and_the_rest_carry_on() {
    let mut s = Scene::new(ReplicationConfig::default());
    let conns: Vec<ConnId> = (0..6)
        .map(|i| {
            let e = s.sim.spawn_character(Controller::Player(1 + i as i64), C + (i as i32) * TILE, C);
            s.join(1 + i, e)
        })
        .collect();
    s.step_acked();
    // Every other client leaves in the same tick; one of them also sends late input and acks.
    for &gone in conns.iter().step_by(2) {
        s.rep.remove_client(gone);
    }
    s.rep.remove_client(conns[0]);
    s.rep.set_last_input(conns[0], 77);
    s.rep.on_ack(conns[0], Ack { tick: s.tick, received: 1 });
    assert_eq!(s.rep.client_count(), 3, "departures count at once");
    // One returns on the same connection before the next build and starts over.
    let back = s.sim.spawn_character(Controller::Player(50), C, C + TILE);
    s.rep.add_client(conns[2], back);
    s.clients.insert(conns[2], Model::new(back.to_bits()));
    assert_eq!(s.rep.client_count(), 4);
    for c in [conns[1], conns[3], conns[5]] {
        s.nudge(c);
    }
    s.step();
    let got: BTreeSet<ConnId> = s.last.keys().copied().collect();
    assert_eq!(got, BTreeSet::from([conns[1], conns[2], conns[3], conns[5]]), "none for those who left");
    assert!(s.model(conns[2]).chunks.len() >= 9, "the returning client gets its area afresh");
    for c in [conns[1], conns[3], conns[5]] {
        assert_eq!(s.model(c).last_frame().last_input_seq, s.tick as u32, "inputs still echo");
    }
    assert_eq!(s.rep.client_count(), 4);
}
