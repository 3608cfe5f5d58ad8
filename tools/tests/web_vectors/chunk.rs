//! Chunk vectors: ChunkData messages of generated chunks and of edge cases (empty, one object,
//! scattered ids, the far corner, far chunks; raw layout and zstd frame, with the terrain and
//! objects Rust reads), payloads that do not match the layout, ObjectDelta application, and the
//! client chunk cache as a terrain (blocking tiles, circles, lookups).

use super::protocol::server_json;
use super::util::{Rng, big, hex};
use game::Content;
use game::WorldLayout;
use game::chunk_wire::{self, ChunkContent};
use game::client::ChunkCache;
use game::geom::{CHUNK_TILES, CHUNK_UNITS, MapGeometry, map_id};
use game::movement::Terrain;
use game::worldgen::WorldGen;
use net::protocol::{ChunkData, EntityId, ObjectChange, ObjectDelta, ServerMessage, WireObject};
use serde_json::{Value, json};

/// The surface map of continent 0 in the shipped content.
pub fn surface_map(content: &Content) -> MapGeometry {
    *WorldLayout::from_content(content).map(map_id(0, 0)).expect("the shipped content has map 0")
}

/// Generated chunk `(cx, cy)` as the server sends it: terrain and objects with ids from `id_base`
/// (sorted by id, as the payload holds them).
pub fn generated(content: &Content, map: &MapGeometry, (cx, cy): (i32, i32), id_base: u32) -> ChunkContent {
    let chunk = WorldGen::new(content, 7).expect("worldgen").generate(map, cx, cy);
    let mut objects: Vec<WireObject> = chunk
        .objects
        .iter()
        .enumerate()
        .map(|(i, o)| WireObject {
            id: EntityId::from_parts(id_base + i as u32, 1 + (i as u32 % 3)),
            kind: o.kind as u16,
            x: o.x,
            y: o.y,
            state: o.stage,
        })
        .collect();
    objects.sort_unstable_by_key(|o| o.id.0);
    ChunkContent { terrain: chunk.tiles.terrain.to_vec(), objects }
}

/// The content rules JavaScript needs, as /content.json names them.
pub fn content_json(content: &Content) -> Value {
    json!({
        "terrains": content.terrains.iter().map(|t| json!({ "id": t.id, "blocks": t.blocks })).collect::<Vec<_>>(),
        "objects": content.objects.iter().map(|o| json!({ "id": o.id, "radius": o.radius })).collect::<Vec<_>>(),
    })
}

fn object_json(o: &WireObject) -> Value {
    json!({ "entity": big(o.id.0), "kind": o.kind, "x": o.x, "y": o.y, "state": o.state })
}

/// The chunk vector file.
pub fn vectors() -> Value {
    let content = Content::builtin();
    let map = surface_map(&content);
    let last = (map.width_chunks - 1, map.height_chunks - 1);
    let spots = [(0, 0), (3, 3), (7, 12), (15, 2), (2, 3), last];
    let mut cache = ChunkCache::new(&content);
    cache.reset(Some(map));
    let mut chunks = Vec::new();
    for (i, &spot) in spots.iter().enumerate() {
        let c = generated(&content, &map, spot, 1 + 10_000 * i as u32);
        let mut raw = Vec::new();
        let (data, raw_len) = encode(spot, &c, &mut raw);
        assert_eq!(chunk_wire::decode(spot, &data, raw_len).as_ref(), Ok(&c), "Rust reads its own chunk");
        let version = 1 + i as u32 * 1000;
        let msg = ServerMessage::ChunkData(ChunkData {
            map: map.id,
            cx: spot.0,
            cy: spot.1,
            version,
            raw_len,
            data: data.into(),
        });
        cache.insert(spot.0, spot.1, version, &c);
        chunks.push(json!({ "message": hex(&msg.encode()), "fields": server_json(&msg), "raw": hex(&raw),
            "terrain": c.terrain, "objects": c.objects.iter().map(object_json).collect::<Vec<_>>() }));
    }
    json!({
        "content": content_json(&content),
        "map": { "id": map.id, "width_chunks": map.width_chunks, "height_chunks": map.height_chunks },
        "chunks": chunks,
        "cases": edge_cases(&content, &map),
        "bad": bad_payloads(&content, &map),
        "deltas": deltas(&content, &map),
        "cache": cache_queries(&cache, &spots),
    })
}

/// Encodes `c` as chunk `spot` (its objects in any order).
fn encode(spot: (i32, i32), c: &ChunkContent, raw: &mut Vec<u8>) -> (Vec<u8>, u32) {
    let terrain = c.terrain[..].try_into().expect("a whole chunk of terrain");
    chunk_wire::encode(spot, terrain, &mut c.objects.clone(), raw).expect("objects in their chunk")
}

/// Chunk payloads at the layout's edges: no object, one, many with scattered ids (every byte
/// plane in use), objects at the far corner and the origin, chunks far from the origin.
fn edge_cases(content: &Content, map: &MapGeometry) -> Value {
    let mut rng = Rng::new(0x5EED_0005);
    let base = generated(content, map, (2, 3), 1);
    let far = CHUNK_UNITS - 1;
    let at = |(cx, cy): (i32, i32), x: i32, y: i32| (cx * CHUNK_UNITS + x, cy * CHUNK_UNITS + y);
    let object = |id: u64, (x, y): (i32, i32), kind: u16, state: u16| WireObject {
        id: EntityId(id),
        kind,
        x,
        y,
        state,
    };
    let mut cases = Vec::new();
    let mut push = |name: &str, spot: (i32, i32), objects: Vec<WireObject>| {
        let c = ChunkContent { terrain: base.terrain.clone(), objects };
        let mut raw = Vec::new();
        let (data, raw_len) = encode(spot, &c, &mut raw);
        let back = chunk_wire::decode(spot, &data, raw_len).expect("Rust reads its own chunk");
        let mut sorted = c.objects.clone();
        sorted.sort_unstable_by_key(|o| (o.id.0, o.kind, o.x, o.y, o.state));
        assert_eq!(back.objects, sorted, "{name}");
        let msg = ServerMessage::ChunkData(ChunkData {
            map: map.id,
            cx: spot.0,
            cy: spot.1,
            version: 9,
            raw_len,
            data: data.into(),
        });
        cases.push(json!({ "name": name, "message": hex(&msg.encode()), "raw": hex(&raw),
            "objects": back.objects.iter().map(object_json).collect::<Vec<_>>() }));
    };
    push("empty", (2, 3), Vec::new());
    push("one", (2, 3), vec![object(77, at((2, 3), 1000, 2000), 4, 1)]);
    let scattered = (0..500)
        .map(|_| {
            let (x, y) = (rng.range(0, far.into()) as i32, rng.range(0, far.into()) as i32);
            object(
                rng.next_u64() >> rng.range(0, 40),
                at((2, 3), x, y),
                rng.uint(16) as u16,
                rng.uint(16) as u16,
            )
        })
        .collect();
    push("scattered", (2, 3), scattered);
    let corners = vec![
        object(u64::MAX, at((2, 3), far, far), u16::MAX, u16::MAX),
        object(1, at((2, 3), 0, 0), 0, 0),
        object(2, at((2, 3), far, 0), 1, 0),
        object(1 << 63, at((2, 3), 0, far), 2, 3),
    ];
    push("corners", (2, 3), corners);
    let last = (i32::MAX >> 15, i32::MAX >> 15);
    push("last_chunk", last, vec![object(5, at(last, far, far), 1, 1), object(6, at(last, 0, 3), 2, 2)]);
    let first = (i32::MIN >> 15, -1);
    push("first_chunk", first, vec![object(5, at(first, 0, 0), 1, 1), object(9, at(first, far, 0), 2, 2)]);
    Value::Array(cases)
}

/// Raw payloads of chunk `(cx, cy)` that do not match the layout: a tile short or over, an
/// object count that disagrees, ids past `u64::MAX`, a position outside the chunk or past `i32`.
fn bad_payloads(content: &Content, map: &MapGeometry) -> Value {
    let c = generated(content, map, (3, 3), 1);
    let mut raw = Vec::new();
    encode((3, 3), &c, &mut raw);
    let n = c.objects.len();
    let head = chunk_wire::CHUNK_TILE_COUNT * 2 + 4;
    let (ids, xs, ys) = (head, head + 10 * n, head + 12 * n);
    let mut out = Vec::new();
    let mut bad = |name: &str, spot: (i32, i32), bytes: Vec<u8>| {
        let data = zstd::bulk::compress(&bytes, 3).unwrap();
        let refused = chunk_wire::decode(spot, &data, bytes.len() as u32);
        assert_eq!(
            refused,
            Err(chunk_wire::ChunkWireError::Layout { len: bytes.len() }),
            "Rust refuses {name}"
        );
        out.push(json!({ "name": name, "cx": spot.0, "cy": spot.1, "raw": hex(&bytes) }));
    };
    bad("short", (3, 3), raw[..raw.len() - 1].to_vec());
    bad("long", (3, 3), [&raw[..], &[0]].concat());
    bad("tiles_only", (3, 3), raw[..head - 4].to_vec());
    bad("empty", (3, 3), Vec::new());
    let mut count = raw.clone();
    count[head - 4] = count[head - 4].wrapping_add(1);
    bad("count", (3, 3), count);
    let mut huge = raw[..head].to_vec();
    huge[head - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
    bad("count_max", (3, 3), huge);
    // The first and last ids' top bytes: the running sum passes u64::MAX.
    let mut wrap = raw.clone();
    wrap[ids + 7 * n] = 0xFF;
    wrap[ids + 7 * n + n - 1] = 0xFF;
    bad("id_past_max", (3, 3), wrap);
    // The first object's x and y high bytes: local positions of 0x80.. are outside the chunk.
    let mut x = raw.clone();
    x[xs + n] |= 0x80;
    bad("x_outside", (3, 3), x);
    let mut y = raw.clone();
    y[ys + n] |= 0x80;
    bad("y_outside", (3, 3), y);
    bad("x_past_i32", ((i32::MAX >> 15) + 1, 3), raw.clone());
    bad("y_below_i32", (3, i32::MIN), raw);
    Value::Array(out)
}

/// ObjectDeltas against a held chunk (right and wrong versions) and the objects held after.
fn deltas(content: &Content, map: &MapGeometry) -> Value {
    let mut rng = Rng::new(0x5EED_0003);
    let c = generated(content, map, (3, 3), 1);
    let mut raw = Vec::new();
    encode((3, 3), &c, &mut raw);
    let mut out = Vec::new();
    for _ in 0..40 {
        let mut cache = ChunkCache::new(content);
        cache.reset(Some(*map));
        let version = rng.uint(32) as u32;
        cache.insert(3, 3, version, &c);
        let from = if rng.chance(1, 5) { version.wrapping_add(1) } else { version };
        let changes = (0..rng.range(0, 8)).map(|_| change(&mut rng, &c.objects)).collect();
        let delta = ObjectDelta {
            map: map.id,
            cx: 3,
            cy: 3,
            from_version: from,
            to_version: from.wrapping_add(3),
            changes,
        };
        let applied = cache.apply_delta(&delta);
        let held = cache.get(3, 3).expect("held");
        let mut objects: Vec<_> =
            held.objects().iter().map(|o| (o.entity, o.kind, o.x, o.y, o.state, o.radius)).collect();
        objects.sort_unstable();
        out.push(json!({ "version": version, "delta": hex(&ServerMessage::ObjectDelta(delta).encode()),
            "applied": applied, "after_version": held.version(),
            "objects": objects.iter().map(|&(e, k, x, y, s, r)| json!([big(e), k, x, y, s, r])).collect::<Vec<_>>() }));
    }
    json!({ "raw": hex(&raw), "cases": out })
}

fn change(rng: &mut Rng, objects: &[WireObject]) -> ObjectChange {
    let existing = |r: &mut Rng| objects[r.range(0, objects.len() as i64 - 1) as usize];
    let fresh = |r: &mut Rng| WireObject {
        id: EntityId(r.range(1, 1 << 40) as u64),
        kind: r.range(0, 12) as u16,
        x: 3 * CHUNK_UNITS + r.range(0, i64::from(CHUNK_UNITS) - 1) as i32,
        y: 3 * CHUNK_UNITS + r.range(0, i64::from(CHUNK_UNITS) - 1) as i32,
        state: r.range(0, 3) as u16,
    };
    match rng.next_u64() % 5 {
        0 => ObjectChange::Leave(existing(rng).id),
        1 => ObjectChange::Leave(EntityId(rng.uint(64))),
        2 => ObjectChange::Enter(fresh(rng)),
        3 => ObjectChange::Change(WireObject { state: rng.range(0, 4) as u16, ..existing(rng) }),
        _ => ObjectChange::Enter(WireObject { id: existing(rng).id, ..fresh(rng) }),
    }
}

/// Blocking tiles, circles near points and object lookups of the cache holding every chunk.
fn cache_queries(cache: &ChunkCache, spots: &[(i32, i32)]) -> Value {
    let mut rng = Rng::new(0x5EED_0004);
    let mut tiles = Vec::new();
    let mut circles = Vec::new();
    for _ in 0..600 {
        let (cx, cy) = spots[rng.range(0, spots.len() as i64 - 1) as usize];
        let tx = cx * CHUNK_TILES + rng.range(-4, i64::from(CHUNK_TILES) + 3) as i32;
        let ty = cy * CHUNK_TILES + rng.range(-4, i64::from(CHUNK_TILES) + 3) as i32;
        tiles.push(json!([tx, ty, cache.tile_blocked(tx, ty)]));
        let (x, y) = (tx * 256 + rng.range(0, 255) as i32, ty * 256 + rng.range(0, 255) as i32);
        let reach = rng.range(0, 3000) as i32;
        let mut found = Vec::new();
        cache.circles_near(x, y, reach, &mut found);
        let mut found: Vec<_> = found.iter().map(|c| (c.x, c.y, c.r)).collect();
        found.sort_unstable();
        circles.push(json!({ "x": x, "y": y, "reach": reach, "out": found }));
    }
    let (a, b, c, d) = cache.bounds();
    json!({ "tiles": tiles, "circles": circles, "bounds": [a, b, c, d], "max_radius": cache.max_object_radius() })
}
