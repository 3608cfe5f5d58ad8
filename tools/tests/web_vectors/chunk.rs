//! Chunk vectors: ChunkData messages of generated chunks (raw layout and zstd frame, with the
//! terrain and objects Rust reads), payloads that do not match the layout, ObjectDelta
//! application, and the client chunk cache as a terrain (blocking tiles, circles, lookups).

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

/// Generated chunk `(cx, cy)` as the server sends it: terrain and objects with ids from `id_base`.
pub fn generated(content: &Content, map: &MapGeometry, (cx, cy): (i32, i32), id_base: u32) -> ChunkContent {
    let chunk = WorldGen::new(content, 7).expect("worldgen").generate(map, cx, cy);
    let objects = chunk
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
        let (data, raw_len) = chunk_wire::encode(&c.terrain, &c.objects, &mut raw);
        assert_eq!(chunk_wire::decode(&data, raw_len).as_ref(), Ok(&c), "Rust reads its own chunk");
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
        "bad": bad_payloads(&content, &map),
        "deltas": deltas(&content, &map),
        "cache": cache_queries(&cache, &spots),
    })
}

/// Payloads of the wrong size: one tile short or long, an object count that disagrees.
fn bad_payloads(content: &Content, map: &MapGeometry) -> Value {
    let c = generated(content, map, (3, 3), 1);
    let mut out = Vec::new();
    for terrain in
        [&c.terrain[..c.terrain.len() - 1], &[c.terrain.clone(), vec![0]].concat()[..], &c.terrain[..10]]
    {
        let mut raw = Vec::new();
        let (data, raw_len) = chunk_wire::encode(terrain, &c.objects, &mut raw);
        assert!(chunk_wire::decode(&data, raw_len).is_err(), "Rust refuses it");
        out.push(json!({ "raw": hex(&raw) }));
    }
    let mut raw = Vec::new();
    chunk_wire::encode(&c.terrain, &c.objects, &mut raw);
    let at = (CHUNK_TILES * CHUNK_TILES * 2) as usize;
    raw[at] = raw[at].wrapping_add(1);
    out.push(json!({ "raw": hex(&raw) }));
    Value::Array(out)
}

/// ObjectDeltas against a held chunk (right and wrong versions) and the objects held after.
fn deltas(content: &Content, map: &MapGeometry) -> Value {
    let mut rng = Rng::new(0x5EED_0003);
    let c = generated(content, map, (3, 3), 1);
    let mut raw = Vec::new();
    chunk_wire::encode(&c.terrain, &c.objects, &mut raw);
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
