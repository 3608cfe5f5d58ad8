//! Prediction vectors: a scripted session fed to the Rust `Predictor` over a real `ClientWorld`
//! (generated chunks around the character, frames with corrections, skipped frames and late
//! inputs, other characters entering, moving and leaving, every order kind, weapon range
//! changes, an ObjectDelta and a ChunkDrop), recording every call and what it returned, so the
//! JavaScript `Predictor` can replay the same calls and must return the same.

use super::chunk::{generated, surface_map};
use super::protocol::input_json;
use super::util::{Rng, big, hex};
use game::Content;
use game::chunk_wire;
use game::client::{CachedObject, ClientWorld, Predictor};
use game::geom::{CHUNK_TILES, MapGeometry, TILE};
use game::movement::Terrain;
use net::protocol::{
    ChunkData, ChunkDrop, EntityEnter, EntityId, EntityState, EntityUpdate, Frame, Input, ObjectChange,
    ObjectDelta, Order, OwnState, PROTOCOL_VERSION, ServerMessage, SessionToken, Welcome, WireObject,
};
use serde_json::{Value, json};
use std::sync::Arc;

const TICKS: u64 = 700;
const PLAYER: EntityId = EntityId(7 << 32 | 999);
const AHEAD: [u64; 7] = [0, 1, 2, 5, 20, 64, 65];

/// The scripted session and what it records.
struct Script {
    world: ClientWorld,
    predictor: Predictor,
    map: MapGeometry,
    events: Vec<Value>,
    rng: Rng,
    tick: u64,
    seq: u32,
    /// Inputs sent, with the tick the server applies them at.
    sent: Vec<(Input, u64)>,
    applied: Option<(Input, u64)>,
    last_pos: (i32, i32),
    others: Vec<(EntityId, EntityState, bool)>,
}

impl Script {
    fn apply(&mut self, msg: &ServerMessage) {
        self.world.apply(msg).expect("the world takes the scripted message");
    }

    fn predict(&mut self, tick: u64) -> Option<(i32, i32)> {
        let p = self.predictor.predicted(&self.world, tick);
        self.events.push(json!({ "e": "predict", "tick": big(tick), "out": p.map(|(x, y)| [x, y]) }));
        p
    }

    fn stats(&mut self) {
        let s = self.predictor.stats();
        let pending: Vec<u32> = self.predictor.pending().map(|i| i.seq).collect();
        self.events.push(json!({ "e": "stats", "out": { "predictions": s.predictions,
            "mispredicted": s.mispredicted, "maxError": s.max_error }, "pending": pending }));
    }

    fn invalidate(&mut self) {
        self.predictor.invalidate();
        self.events.push(json!({ "e": "invalidate" }));
    }

    fn send(&mut self, order: Order) {
        let input = Input { seq: self.seq, order };
        self.seq += 1;
        let apply_tick = if self.rng.chance(1, 6) { 0 } else { self.tick + self.rng.range(1, 3) as u64 };
        self.predictor.record_input(input, apply_tick);
        let bytes = net::protocol::ClientMessage::Input(input).encode();
        self.events.push(json!({ "e": "input", "hex": hex(&bytes), "fields": input_json(&input),
            "apply_tick": big(apply_tick) }));
        let lag = self.rng.range(0, 2) as u64;
        self.sent.push((input, apply_tick.max(self.tick + 1) + lag));
    }

    fn random_order(&mut self, pos: (i32, i32)) -> Order {
        let other = self.others[self.rng.range(0, self.others.len() as i64 - 1) as usize].0;
        let tree = nearest_object(&self.world, pos);
        let target = tree.map_or(EntityId::NONE, |o| EntityId(o.entity));
        match self.rng.next_u64() % 10 {
            0 => Order::Stop,
            1 => Order::Follow(other),
            2 => Order::Attack(other),
            3 => Order::Interact { target, action: 0 },
            4 => Order::Follow(EntityId(123_456)),
            5 => Order::Interact { target: PLAYER, action: 1 },
            // Into the object's centre: blocked against it until the order ends stuck.
            6 => tree.map_or(Order::Stop, |o| Order::MoveTo { x: o.x, y: o.y }),
            _ => {
                let (dx, dy) = (self.rng.range(-14, 14) as i32, self.rng.range(-14, 14) as i32);
                Order::MoveTo { x: pos.0 + dx * TILE + 37, y: pos.1 + dy * TILE - 11 }
            }
        }
    }

    /// The other characters' records of this tick: some move, one leaves and comes back.
    fn records(&mut self) -> (Vec<EntityEnter>, Vec<EntityUpdate>, Vec<EntityId>) {
        let (mut enters, mut updates, mut leaves) = (Vec::new(), Vec::new(), Vec::new());
        let tick = self.tick;
        for (id, s, shown) in &mut self.others {
            if !*shown {
                // Characters 1 and 3 enter with the first frame; 2 comes and goes.
                if id.index() != 2 || tick % 97 == 13 {
                    *shown = true;
                    enters.push(EntityEnter { id: *id, kind: 1, state: *s });
                }
                continue;
            }
            if tick % 151 == 150 && id.index() == 2 {
                *shown = false;
                leaves.push(*id);
                continue;
            }
            if self.rng.chance(1, 4) {
                s.x += i32::from(s.vx) * 4;
                s.y += i32::from(s.vy) * 4;
                s.vx = self.rng.range(-20, 20) as i16;
                s.vy = self.rng.range(-20, 20) as i16;
                updates.push(EntityUpdate { id: *id, state: *s });
            }
        }
        (enters, updates, leaves)
    }

    /// One server tick: maybe a frame (own position = the prediction, sometimes corrected).
    fn tick(&mut self) {
        self.tick += 1;
        let due: Vec<(Input, u64)> = self.sent.iter().copied().filter(|&(_, at)| at <= self.tick).collect();
        self.sent.retain(|&(_, at)| at > self.tick);
        if let Some(&last) = due.last() {
            self.applied = Some(last);
        }
        if self.rng.chance(1, 5) {
            return;
        }
        let predicted = self.predict(self.tick).unwrap_or(self.last_pos);
        let mut pos = predicted;
        if self.rng.chance(1, 8) {
            pos.0 += self.rng.range(-40, 40) as i32;
            pos.1 += self.rng.range(-40, 40) as i32;
        }
        let (order, order_target) = match self.applied {
            Some((i, at)) if self.tick < at + self.rng.range(5, 80) as u64 => {
                (i.order.code(), i.order.target())
            }
            _ => (0, EntityId::NONE),
        };
        let own = OwnState {
            x: pos.0,
            y: pos.1,
            vx: (pos.0 - self.last_pos.0) as i16,
            vy: (pos.1 - self.last_pos.1) as i16,
            hp: 100,
            max_hp: 100,
            order,
            flags: 0,
            order_target,
        };
        self.last_pos = pos;
        let (enters, updates, leaves) = self.records();
        let last_input_seq = self.applied.map_or(0, |(i, _)| i.seq);
        let frame = Frame { tick: self.tick, last_input_seq, own, enters, updates, leaves };
        let msg = ServerMessage::Frame(frame.clone());
        self.apply(&msg);
        self.events.push(json!({ "e": "frame", "hex": hex(&msg.encode()) }));
        self.predictor.on_frame(&self.world, &frame);
    }
}

/// The blocking object nearest to `pos`.
fn nearest_object(world: &ClientWorld, pos: (i32, i32)) -> Option<CachedObject> {
    let chunks = world.chunks();
    let objects = chunks.keys().iter().flat_map(|&(cx, cy)| chunks.get(cx, cy).expect("held").objects());
    let d = |o: &&CachedObject| (i64::from(o.x - pos.0)).pow(2) + (i64::from(o.y - pos.1)).pow(2);
    objects.filter(|o| o.radius > 0).min_by_key(d).copied()
}

/// A tile centre of chunk (3, 3) with 6 walkable tiles all around.
fn open_spot(world: &ClientWorld) -> (i32, i32) {
    let t = world.chunks();
    let base = 3 * CHUNK_TILES;
    for ty in base + 30..base + CHUNK_TILES - 30 {
        for tx in base + 30..base + CHUNK_TILES - 30 {
            if (-6..=6).all(|dy| (-6..=6).all(|dx| !t.tile_blocked(tx + dx, ty + dy))) {
                return (tx * TILE + TILE / 2, ty * TILE + TILE / 2);
            }
        }
    }
    panic!("no open ground in chunk (3, 3)");
}

/// The prediction vector file.
pub fn vectors() -> Value {
    let content = Arc::new(Content::builtin());
    let map = surface_map(&content);
    let mut s = Script {
        world: ClientWorld::new(content.clone()),
        predictor: Predictor::new(content.character),
        map,
        events: Vec::new(),
        rng: Rng::new(0x5EED_0005),
        tick: 1_000,
        seq: 1,
        sent: Vec::new(),
        applied: None,
        last_pos: (0, 0),
        others: Vec::new(),
    };
    let welcome = ServerMessage::Welcome(Welcome {
        version: PROTOCOL_VERSION,
        tick_rate_hz: 20,
        player: PLAYER,
        server_tick: s.tick,
        map: map.id,
        token: SessionToken([9; 32]),
        x: 3 * 32_768 + 16_384,
        y: 3 * 32_768 + 16_384,
        width_chunks: map.width_chunks as u16,
        height_chunks: map.height_chunks as u16,
        continent: 0,
        layer: 0,
    });
    s.apply(&welcome);
    s.events.push(json!({ "e": "welcome", "hex": hex(&welcome.encode()) }));
    for cx in 2..=4 {
        for cy in 2..=4 {
            send_chunk(&mut s, (cx, cy), 5);
        }
    }
    let start = open_spot(&s.world);
    s.last_pos = start;
    for i in 0..3u32 {
        let state = EntityState {
            x: start.0 + (i as i32 * 3 - 3) * TILE,
            y: start.1 + 5 * TILE,
            vx: 0,
            vy: 0,
            hp: 100,
            flags: 0,
        };
        s.others.push((EntityId::from_parts(i + 1, 4), state, false));
    }
    play(&mut s, start);
    s.stats();
    assert!(s.world.entity_count() >= 2, "the other characters are held");
    json!({ "rules": { "radius": content.character.radius, "max_speed": content.character.max_speed,
        "interact_range": content.character.interact_range },
        "content": super::chunk::content_json(&content),
        "map": { "id": map.id, "width_chunks": map.width_chunks, "height_chunks": map.height_chunks },
        "player": big(PLAYER.0), "events": s.events })
}

fn send_chunk(s: &mut Script, spot: (i32, i32), version: u32) {
    let c = generated(&s.world.content().clone(), &s.map, spot, 1 + 10_000 * (spot.0 * 10 + spot.1) as u32);
    let mut raw = Vec::new();
    let terrain = c.terrain[..].try_into().expect("a whole chunk");
    let (data, raw_len) = chunk_wire::encode(spot, terrain, &mut c.objects.clone(), &mut raw).unwrap();
    let msg = ChunkData { map: s.map.id, cx: spot.0, cy: spot.1, version, raw_len, data: data.into() };
    s.apply(&ServerMessage::ChunkData(msg));
    s.events.push(json!({ "e": "chunk", "cx": spot.0, "cy": spot.1, "version": version, "raw": hex(&raw) }));
    s.invalidate();
}

/// The session: a first frame at the spot, then orders, frames and world changes.
fn play(s: &mut Script, start: (i32, i32)) {
    let first = Frame {
        tick: s.tick,
        last_input_seq: 0,
        own: OwnState { x: start.0, y: start.1, hp: 100, max_hp: 100, ..OwnState::default() },
        enters: Vec::new(),
        updates: Vec::new(),
        leaves: Vec::new(),
    };
    let msg = ServerMessage::Frame(first.clone());
    s.apply(&msg);
    s.events.push(json!({ "e": "frame", "hex": hex(&msg.encode()) }));
    s.predictor.on_frame(&s.world, &first);
    for n in 0..TICKS {
        let pos = s.last_pos;
        if n == 400 {
            // Into the nearest object's centre, for long enough that the order ends stuck.
            let tree = nearest_object(&s.world, pos).expect("objects near");
            s.send(Order::MoveTo { x: tree.x, y: tree.y });
        } else if !(400..520).contains(&n) && (n % 23 == 0 || s.rng.chance(1, 40)) {
            let pos = s.predict(s.tick).unwrap_or(pos);
            let order = s.random_order(pos);
            s.send(order);
        }
        if n % 97 == 50 {
            let range = s.rng.range(0, 300) as i32;
            s.predictor.set_weapon_range(range);
            s.events.push(json!({ "e": "weapon", "range": range }));
        }
        if n == 300 {
            world_change(s);
        }
        if n == 600 {
            let msg = ServerMessage::ChunkDrop(ChunkDrop { map: s.map.id, cx: 4, cy: 4 });
            s.apply(&msg);
            s.events.push(json!({ "e": "drop", "hex": hex(&msg.encode()) }));
            s.invalidate();
        }
        for k in AHEAD {
            s.predict(s.tick + k);
        }
        s.predict(s.tick.saturating_sub(1));
        s.tick();
        if n % 50 == 0 {
            s.stats();
        }
    }
}

/// An ObjectDelta: the nearest object leaves and a rock enters beside the character.
fn world_change(s: &mut Script) {
    let pos = s.last_pos;
    let gone = nearest_object(&s.world, pos).map_or(EntityId::NONE, |o| EntityId(o.entity));
    let rock = WireObject { id: EntityId(77 << 32 | 5), kind: 3, x: pos.0 + 2 * TILE, y: pos.1, state: 0 };
    let (cx, cy) = (pos.0 >> 15, pos.1 >> 15);
    let version = s.world.chunks().get(cx, cy).expect("held").version();
    let changes = vec![ObjectChange::Leave(gone), ObjectChange::Enter(rock)];
    let delta =
        ObjectDelta { map: s.map.id, cx, cy, from_version: version, to_version: version + 2, changes };
    let msg = ServerMessage::ObjectDelta(delta);
    s.apply(&msg);
    s.events.push(json!({ "e": "delta", "hex": hex(&msg.encode()) }));
    s.invalidate();
}
