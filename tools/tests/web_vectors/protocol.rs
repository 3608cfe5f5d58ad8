//! Protocol vectors: every message type in several random and edge instances, encoded by the
//! Rust encoders, with the fields the Rust decoder reads from them; plus mutated buffers
//! (truncated, extended, flipped bytes, bad enum values) and whether the Rust decoder takes them.

use super::util::{Rng, big, hex};
use net::protocol::{
    Ack, Chat, ChatHeard, ChunkData, ChunkDrop, ClientMessage, CloseContainer, ContainerChange,
    ContainerClosed, ContainerContents, ContainerRef, Craft, CraftProgress, Drop, EntityEnter, EntityId,
    EntityState, EntityUpdate, ErrorMsg, Frame, Hello, Input, InventoryMove, ItemSlot, ObjectChange,
    ObjectDelta, Order, OwnState, Pickup, Plant, Pong, Redirect, ServerMessage, SessionToken, Stats, UseItem,
    Welcome, WireObject,
};
use serde_json::{Value, json};

/// Instances per message type.
const PER_TYPE: usize = 12;
/// Random byte flips per instance.
const FLIPS: usize = 6;

/// The protocol vector file: `good` (bytes, decoded fields, client or server) and `mutated`
/// (bytes, whether Rust accepts them; accepted ones carry their fields).
pub fn vectors() -> Value {
    let mut rng = Rng::new(0x5EED_0001);
    let mut good = Vec::new();
    let mut mutated = Vec::new();
    for _ in 0..PER_TYPE {
        for msg in client_messages(&mut rng) {
            let bytes = msg.encode();
            let back = ClientMessage::decode(&bytes).expect("Rust decodes what it encodes");
            assert_eq!(back.encode(), bytes, "re-encodes identically");
            good.push(json!({ "dir": "client", "hex": hex(&bytes), "fields": client_json(&back) }));
            mutate(&mut rng, &bytes, &mut mutated, "client");
        }
        for msg in server_messages(&mut rng) {
            let bytes = msg.encode().to_vec();
            let back = ServerMessage::decode(&bytes).expect("Rust decodes what it encodes");
            assert_eq!(back.encode()[..], bytes[..], "re-encodes identically");
            good.push(json!({ "dir": "server", "hex": hex(&bytes), "fields": server_json(&back) }));
            mutate(&mut rng, &bytes, &mut mutated, "server");
        }
    }
    for msg in edge_client_messages() {
        let bytes = msg.encode();
        good.push(json!({ "dir": "client", "hex": hex(&bytes), "fields": client_json(&msg) }));
        mutate(&mut rng, &bytes, &mut mutated, "client");
    }
    for msg in edge_server_messages() {
        let bytes = msg.encode().to_vec();
        good.push(json!({ "dir": "server", "hex": hex(&bytes), "fields": server_json(&msg) }));
        mutate(&mut rng, &bytes, &mut mutated, "server");
    }
    for ty in 0..=255u8 {
        mutated.push(judge(&[ty], "client"));
        mutated.push(judge(&[ty], "server"));
    }
    json!({ "good": good, "mutated": mutated })
}

/// The Rust verdict on `bytes`: accepted with its fields (only when it re-encodes to the same
/// bytes, so the fields say everything the bytes do), or refused.
fn judge(bytes: &[u8], dir: &str) -> Value {
    let fields = if dir == "client" {
        ClientMessage::decode(bytes).ok().filter(|m| m.encode() == bytes).map(|m| client_json(&m))
    } else {
        ServerMessage::decode(bytes).ok().filter(|m| m.encode()[..] == *bytes).map(|m| server_json(&m))
    };
    let accepted = if dir == "client" {
        ClientMessage::decode(bytes).is_ok()
    } else {
        ServerMessage::decode(bytes).is_ok()
    };
    json!({ "dir": dir, "hex": hex(bytes), "ok": accepted, "fields": fields })
}

/// Truncations, extensions, and flips of single bytes (type byte kept), judged by Rust.
fn mutate(rng: &mut Rng, bytes: &[u8], out: &mut Vec<Value>, dir: &str) {
    out.push(judge(&bytes[..bytes.len() - 1], dir));
    out.push(judge(&bytes[..bytes.len() / 2], dir));
    let mut longer = bytes.to_vec();
    longer.push(rng.next_u64() as u8);
    out.push(judge(&longer, dir));
    for _ in 0..FLIPS {
        if bytes.len() < 2 {
            break;
        }
        let mut flipped = bytes.to_vec();
        let at = rng.range(1, bytes.len() as i64 - 1) as usize;
        flipped[at] = match rng.next_u64() % 4 {
            0 => 0xFF,
            1 => 0x80,
            2 => flipped[at].wrapping_add(1),
            _ => rng.next_u64() as u8,
        };
        let verdict = judge(&flipped, dir);
        // Accepted flips that do not re-encode identically carry no fields: keep them only as
        // "accepted" (JavaScript must accept too).
        out.push(verdict);
    }
}

/// Strings of exactly the longest length, in ASCII and in four-byte characters.
fn edge_client_messages() -> Vec<ClientMessage> {
    let token = SessionToken([0xFF; 32]);
    vec![
        ClientMessage::Hello(Hello { name: "n".repeat(32), token }),
        ClientMessage::Hello(Hello { name: "😀".repeat(8), token: SessionToken::NONE }),
        ClientMessage::Hello(Hello { name: String::new(), token }),
        ClientMessage::Chat(Chat { request: u32::MAX, text: "x".repeat(1024) }),
        ClientMessage::Chat(Chat { request: 0, text: "日本".repeat(170) + "ab" }),
        ClientMessage::Input(Input { seq: u32::MAX, order: Order::MoveTo { x: i32::MIN, y: i32::MAX } }),
    ]
}

/// Server messages at their limits: longest strings, most slot records, empty records.
fn edge_server_messages() -> Vec<ServerMessage> {
    let slot = ItemSlot { slot: u16::MAX, item: u64::MAX, kind: u32::MAX, quality: 0, count: 1 };
    vec![
        ServerMessage::Redirect(Redirect { address: "a".repeat(255), token: SessionToken([1; 32]) }),
        ServerMessage::Redirect(Redirect { address: String::new(), token: SessionToken::NONE }),
        ServerMessage::Error(ErrorMsg { code: u16::MAX, request: u32::MAX, text: "é".repeat(512) }),
        ServerMessage::ChatHeard(ChatHeard {
            speaker: EntityId(u64::MAX),
            tick: u64::MAX,
            request: 0,
            name: "Ａ".repeat(10) + "bc",
            text: "😀".repeat(256),
        }),
        ServerMessage::ContainerContents(ContainerContents {
            container: ContainerRef::Item(u64::MAX),
            revision: 1,
            capacity: 1024,
            slots: vec![slot; 1024],
        }),
        ServerMessage::ContainerChange(ContainerChange {
            container: ContainerRef::Own,
            base_revision: u32::MAX,
            revision: 0,
            slots: vec![slot; 1024],
        }),
        ServerMessage::Frame(Frame::default()),
        ServerMessage::ObjectDelta(ObjectDelta::default()),
    ]
}

fn entity(rng: &mut Rng) -> EntityId {
    EntityId(rng.uint(64))
}

fn container(rng: &mut Rng) -> ContainerRef {
    match rng.next_u64() % 3 {
        0 => ContainerRef::Own,
        1 => ContainerRef::Object(entity(rng)),
        _ => ContainerRef::Item(rng.uint(64)),
    }
}

fn token(rng: &mut Rng) -> SessionToken {
    if rng.chance(1, 4) { SessionToken::NONE } else { SessionToken(rng.bytes::<32>()) }
}

fn order(rng: &mut Rng) -> Order {
    match rng.next_u64() % 5 {
        0 => Order::Stop,
        1 => Order::MoveTo { x: rng.int(32) as i32, y: rng.int(32) as i32 },
        2 => Order::Follow(entity(rng)),
        3 => Order::Interact { target: entity(rng), action: rng.uint(8) as u8 },
        _ => Order::Attack(entity(rng)),
    }
}

fn client_messages(rng: &mut Rng) -> Vec<ClientMessage> {
    let (u16r, u32r) = (|r: &mut Rng| r.uint(16) as u16, |r: &mut Rng| r.uint(32) as u32);
    vec![
        ClientMessage::Hello(Hello { name: rng.text(32), token: token(rng) }),
        ClientMessage::Input(Input { seq: u32r(rng), order: order(rng) }),
        ClientMessage::Craft(Craft {
            request: u32r(rng),
            recipe: u16r(rng),
            count: u16r(rng),
            station: entity(rng),
        }),
        ClientMessage::InventoryMove(InventoryMove {
            request: u32r(rng),
            from: container(rng),
            from_slot: u16r(rng),
            from_revision: u32r(rng),
            to: container(rng),
            to_slot: u16r(rng),
            to_revision: u32r(rng),
            count: u16r(rng),
        }),
        ClientMessage::Drop(Drop {
            request: u32r(rng),
            container: container(rng),
            slot: u16r(rng),
            revision: u32r(rng),
            count: u16r(rng),
        }),
        ClientMessage::Pickup(Pickup { request: u32r(rng), item: entity(rng) }),
        ClientMessage::Ping { nonce: rng.uint(64) },
        ClientMessage::Ack(Ack { tick: rng.uint(64), received: u32r(rng) }),
        ClientMessage::CloseContainer(CloseContainer { container: container(rng) }),
        ClientMessage::Chat(Chat { request: u32r(rng), text: rng.text(1024) }),
        ClientMessage::UseItem(UseItem {
            request: u32r(rng),
            container: container(rng),
            slot: u16r(rng),
            revision: u32r(rng),
        }),
        ClientMessage::Plant(Plant {
            request: u32r(rng),
            container: container(rng),
            slot: u16r(rng),
            x: rng.int(32) as i32,
            y: rng.int(32) as i32,
        }),
    ]
}

fn state(rng: &mut Rng) -> EntityState {
    EntityState {
        x: rng.int(32) as i32,
        y: rng.int(32) as i32,
        vx: rng.int(16) as i16,
        vy: rng.int(16) as i16,
        hp: rng.uint(16) as u16,
        flags: rng.uint(16) as u16,
    }
}

fn frame(rng: &mut Rng) -> Frame {
    let own = OwnState {
        x: rng.int(32) as i32,
        y: rng.int(32) as i32,
        vx: rng.int(16) as i16,
        vy: rng.int(16) as i16,
        hp: rng.uint(16) as u16,
        max_hp: rng.uint(16) as u16,
        order: rng.uint(8) as u8,
        flags: rng.uint(8) as u8,
        order_target: entity(rng),
    };
    let n = |r: &mut Rng| r.range(0, 4) as usize;
    let enters = (0..n(rng))
        .map(|_| EntityEnter { id: entity(rng), kind: rng.uint(16) as u16, state: state(rng) })
        .collect();
    let updates = (0..n(rng)).map(|_| EntityUpdate { id: entity(rng), state: state(rng) }).collect();
    let leaves = (0..n(rng)).map(|_| entity(rng)).collect();
    Frame { tick: rng.uint(64), last_input_seq: rng.uint(32) as u32, own, enters, updates, leaves }
}

fn object(rng: &mut Rng) -> WireObject {
    WireObject {
        id: entity(rng),
        kind: rng.uint(16) as u16,
        x: rng.int(32) as i32,
        y: rng.int(32) as i32,
        state: rng.uint(16) as u16,
    }
}

fn slot(rng: &mut Rng) -> ItemSlot {
    ItemSlot {
        slot: rng.uint(16) as u16,
        item: rng.uint(64),
        kind: rng.uint(32) as u32,
        quality: rng.uint(32) as u32,
        count: rng.uint(32) as u32,
    }
}

fn server_messages(rng: &mut Rng) -> Vec<ServerMessage> {
    let (u16r, u32r, i32r) =
        (|r: &mut Rng| r.uint(16) as u16, |r: &mut Rng| r.uint(32) as u32, |r: &mut Rng| r.int(32) as i32);
    let changes = (0..rng.range(0, 5))
        .map(|_| match rng.next_u64() % 3 {
            0 => ObjectChange::Enter(object(rng)),
            1 => ObjectChange::Change(object(rng)),
            _ => ObjectChange::Leave(entity(rng)),
        })
        .collect();
    let capacity = if rng.chance(1, 4) { 0 } else { rng.range(0, 40) as u16 };
    let contents_slots = (0..rng.range(0, i64::from(capacity.min(6)))).map(|_| slot(rng)).collect();
    let data: Vec<u8> = (0..rng.range(0, 40)).map(|_| rng.next_u64() as u8).collect();
    vec![
        ServerMessage::Welcome(Welcome {
            version: u16r(rng),
            tick_rate_hz: u16r(rng),
            player: entity(rng),
            server_tick: rng.uint(64),
            map: u32r(rng),
            token: token(rng),
            x: i32r(rng),
            y: i32r(rng),
            width_chunks: u16r(rng),
            height_chunks: u16r(rng),
            continent: u16r(rng),
            layer: u16r(rng),
        }),
        ServerMessage::Frame(frame(rng)),
        ServerMessage::ChunkData(ChunkData {
            map: u32r(rng),
            cx: i32r(rng),
            cy: i32r(rng),
            version: u32r(rng),
            raw_len: u32r(rng),
            data: data.into(),
        }),
        ServerMessage::ChunkDrop(ChunkDrop { map: u32r(rng), cx: i32r(rng), cy: i32r(rng) }),
        ServerMessage::Redirect(Redirect { address: rng.text(255), token: token(rng) }),
        ServerMessage::Error(ErrorMsg { code: u16r(rng), request: u32r(rng), text: rng.text(1024) }),
        ServerMessage::Pong(Pong { nonce: rng.uint(64), server_tick: rng.uint(64) }),
        ServerMessage::ObjectDelta(ObjectDelta {
            map: u32r(rng),
            cx: i32r(rng),
            cy: i32r(rng),
            from_version: u32r(rng),
            to_version: u32r(rng),
            changes,
        }),
        ServerMessage::ContainerContents(ContainerContents {
            container: container(rng),
            revision: u32r(rng),
            capacity,
            slots: contents_slots,
        }),
        ServerMessage::ContainerChange(ContainerChange {
            container: container(rng),
            base_revision: u32r(rng),
            revision: u32r(rng),
            slots: (0..rng.range(0, 5)).map(|_| slot(rng)).collect(),
        }),
        ServerMessage::ContainerClosed(ContainerClosed {
            container: container(rng),
            reason: rng.range(0, 3) as u8,
        }),
        ServerMessage::Stats(Stats {
            health: u16r(rng),
            max_health: u16r(rng),
            hunger: u16r(rng),
            hunger_limit: u16r(rng),
            stamina: u16r(rng),
            max_stamina: u16r(rng),
            xp_combat: u32r(rng),
            xp_crafting: u32r(rng),
            xp_gathering: u32r(rng),
        }),
        ServerMessage::ChatHeard(ChatHeard {
            speaker: entity(rng),
            tick: rng.uint(64),
            request: u32r(rng),
            name: rng.text(32),
            text: rng.text(1024),
        }),
        ServerMessage::CraftProgress(CraftProgress {
            request: u32r(rng),
            recipe: u16r(rng),
            state: rng.range(0, 3) as u8,
            code: u16r(rng),
            started: rng.uint(64),
            finish: rng.uint(64),
            kind: u32r(rng),
            quality: u32r(rng),
            made: u32r(rng),
            ground: u32r(rng),
        }),
    ]
}

fn cref(c: &ContainerRef) -> Value {
    json!({ "kind": c.kind(), "id": big(c.id()) })
}

/// The fields of a client message as the JavaScript decoder names them (protocol.md's tables).
pub fn client_json(msg: &ClientMessage) -> Value {
    match msg {
        ClientMessage::Hello(h) => {
            json!({ "type": "Hello", "version": net::protocol::PROTOCOL_VERSION, "name": h.name, "token": hex(&h.token.0) })
        }
        ClientMessage::Input(i) => input_json(i),
        ClientMessage::Craft(c) => json!({ "type": "Craft", "request": c.request, "recipe": c.recipe,
            "count": c.count, "station": big(c.station.0) }),
        ClientMessage::InventoryMove(m) => json!({ "type": "InventoryMove", "request": m.request,
            "from": cref(&m.from), "from_slot": m.from_slot, "from_revision": m.from_revision, "to": cref(&m.to),
            "to_slot": m.to_slot, "to_revision": m.to_revision, "count": m.count }),
        ClientMessage::Drop(d) => {
            json!({ "type": "Drop", "request": d.request, "container": cref(&d.container),
            "slot": d.slot, "revision": d.revision, "count": d.count })
        }
        ClientMessage::Pickup(p) => json!({ "type": "Pickup", "request": p.request, "item": big(p.item.0) }),
        ClientMessage::Ping { nonce } => json!({ "type": "Ping", "nonce": big(*nonce) }),
        ClientMessage::Ack(a) => json!({ "type": "Ack", "tick": big(a.tick), "received": a.received }),
        ClientMessage::CloseContainer(c) => {
            json!({ "type": "CloseContainer", "container": cref(&c.container) })
        }
        ClientMessage::Chat(c) => json!({ "type": "Chat", "request": c.request, "text": c.text }),
        ClientMessage::UseItem(u) => json!({ "type": "UseItem", "request": u.request,
            "container": cref(&u.container), "slot": u.slot, "revision": u.revision }),
        ClientMessage::Plant(p) => {
            json!({ "type": "Plant", "request": p.request, "container": cref(&p.container),
            "slot": p.slot, "x": p.x, "y": p.y })
        }
    }
}

/// An Input's fields (unused ones 0, as the encoder writes them).
pub fn input_json(i: &Input) -> Value {
    let (mut action, mut x, mut y) = (0u8, 0i32, 0i32);
    match i.order {
        Order::MoveTo { x: px, y: py } => (x, y) = (px, py),
        Order::Interact { action: a, .. } => action = a,
        _ => {}
    }
    json!({ "type": "Input", "seq": i.seq, "order": i.order.code(), "action": action,
        "target": big(i.order.target().0), "x": x, "y": y })
}

fn state_json(s: &EntityState) -> [(&'static str, Value); 6] {
    [
        ("x", s.x.into()),
        ("y", s.y.into()),
        ("vx", s.vx.into()),
        ("vy", s.vy.into()),
        ("hp", s.hp.into()),
        ("flags", s.flags.into()),
    ]
}

fn record_json(id: EntityId, kind: Option<u16>, s: &EntityState) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), big(id.0));
    if let Some(k) = kind {
        m.insert("kind".into(), k.into());
    }
    for (k, v) in state_json(s) {
        m.insert(k.into(), v);
    }
    Value::Object(m)
}

fn frame_json(f: &Frame) -> Value {
    let o = &f.own;
    json!({ "type": "Frame", "tick": big(f.tick), "last_input_seq": f.last_input_seq,
        "own": { "x": o.x, "y": o.y, "vx": o.vx, "vy": o.vy, "hp": o.hp, "max_hp": o.max_hp, "order": o.order,
            "flags": o.flags, "order_target": big(o.order_target.0) },
        "enters": f.enters.iter().map(|e| record_json(e.id, Some(e.kind), &e.state)).collect::<Vec<_>>(),
        "updates": f.updates.iter().map(|u| record_json(u.id, None, &u.state)).collect::<Vec<_>>(),
        "leaves": f.leaves.iter().map(|l| big(l.0)).collect::<Vec<_>>() })
}

fn slot_json(s: &ItemSlot) -> Value {
    json!({ "slot": s.slot, "item": big(s.item), "kind": s.kind, "quality": s.quality, "count": s.count })
}

fn change_json(c: &ObjectChange) -> Value {
    let (op, o) = match *c {
        ObjectChange::Enter(o) => (1, o),
        ObjectChange::Change(o) => (2, o),
        ObjectChange::Leave(id) => (3, WireObject { id, ..WireObject::default() }),
    };
    json!({ "op": op, "entity": big(o.id.0), "kind": o.kind, "x": o.x, "y": o.y, "state": o.state })
}

/// The fields of a server message as the JavaScript decoder names them (protocol.md's tables).
pub fn server_json(msg: &ServerMessage) -> Value {
    match msg {
        ServerMessage::Welcome(w) => {
            json!({ "type": "Welcome", "version": w.version, "tick_rate_hz": w.tick_rate_hz,
            "player": big(w.player.0), "server_tick": big(w.server_tick), "map": w.map, "token": hex(&w.token.0),
            "x": w.x, "y": w.y, "width_chunks": w.width_chunks, "height_chunks": w.height_chunks,
            "continent": w.continent, "layer": w.layer })
        }
        ServerMessage::Frame(f) => frame_json(f),
        ServerMessage::ChunkData(c) => json!({ "type": "ChunkData", "map": c.map, "cx": c.cx, "cy": c.cy,
            "version": c.version, "raw_len": c.raw_len, "data": hex(&c.data) }),
        ServerMessage::ChunkDrop(c) => json!({ "type": "ChunkDrop", "map": c.map, "cx": c.cx, "cy": c.cy }),
        ServerMessage::Redirect(r) => {
            json!({ "type": "Redirect", "token": hex(&r.token.0), "address": r.address })
        }
        ServerMessage::Error(e) => {
            json!({ "type": "Error", "code": e.code, "request": e.request, "text": e.text })
        }
        ServerMessage::Pong(p) => {
            json!({ "type": "Pong", "nonce": big(p.nonce), "server_tick": big(p.server_tick) })
        }
        ServerMessage::ObjectDelta(d) => json!({ "type": "ObjectDelta", "map": d.map, "cx": d.cx, "cy": d.cy,
            "from_version": d.from_version, "to_version": d.to_version,
            "records": d.changes.iter().map(change_json).collect::<Vec<_>>() }),
        ServerMessage::ContainerContents(c) => {
            json!({ "type": "ContainerContents", "container": cref(&c.container),
            "revision": c.revision, "capacity": c.capacity, "slots": c.slots.iter().map(slot_json).collect::<Vec<_>>() })
        }
        ServerMessage::ContainerChange(c) => {
            json!({ "type": "ContainerChange", "container": cref(&c.container),
            "base_revision": c.base_revision, "revision": c.revision,
            "slots": c.slots.iter().map(slot_json).collect::<Vec<_>>() })
        }
        ServerMessage::ContainerClosed(c) => {
            json!({ "type": "ContainerClosed", "container": cref(&c.container),
            "reason": c.reason })
        }
        ServerMessage::Stats(s) => json!({ "type": "Stats", "health": s.health, "max_health": s.max_health,
            "hunger": s.hunger, "hunger_limit": s.hunger_limit, "stamina": s.stamina, "max_stamina": s.max_stamina,
            "xp_combat": s.xp_combat, "xp_crafting": s.xp_crafting, "xp_gathering": s.xp_gathering }),
        ServerMessage::ChatHeard(h) => {
            json!({ "type": "ChatHeard", "speaker": big(h.speaker.0), "tick": big(h.tick),
            "request": h.request, "name": h.name, "text": h.text })
        }
        ServerMessage::CraftProgress(p) => {
            json!({ "type": "CraftProgress", "request": p.request, "recipe": p.recipe,
            "state": p.state, "code": p.code, "started": big(p.started), "finish": big(p.finish), "kind": p.kind,
            "quality": p.quality, "made": p.made, "ground": p.ground })
        }
    }
}
