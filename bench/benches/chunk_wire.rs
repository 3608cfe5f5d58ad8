//! ChunkData payload benchmark (#18 downstream): the payload size of generated chunks (seed 1,
//! chunks 4..8 × 4..8 of map 0, ids consecutive as a fresh load gives them or scattered) and the
//! cost of `chunk_wire::encode` (done on the tick thread, once per chunk version) and `decode`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use game::Content;
use game::chunk_wire::{self, CHUNK_TILE_COUNT, WireObject};
use game::worldgen::WorldGen;
use net::protocol::EntityId;

/// One generated chunk: its coordinates, terrain and objects (in generation order).
struct Sample {
    at: (i32, i32),
    terrain: Box<[u16; CHUNK_TILE_COUNT]>,
    objects: Vec<WireObject>,
}

/// The 16 chunks, with ids consecutive per chunk or scattered (generations 1–4, indices below
/// 200,000, as a long-running shard's reused slots leave them).
fn samples(scattered: bool) -> Vec<Sample> {
    let content = Content::builtin();
    let generator = WorldGen::new(&content, 1).expect("worldgen");
    let layout = content.layout();
    let map = &layout.maps()[0];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = Vec::new();
    for cy in 4..8 {
        for cx in 4..8 {
            let chunk = generator.generate(map, cx, cy);
            let base = out.len() as u64 * 1_000;
            let objects = chunk
                .objects
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let id = if scattered {
                        ((1 + next() % 4) << 32) | (next() % 200_000)
                    } else {
                        (1 << 32) | (base + i as u64 + 1)
                    };
                    WireObject { id: EntityId(id), kind: o.kind as u16, x: o.x, y: o.y, state: o.stage }
                })
                .collect();
            out.push(Sample { at: (cx, cy), terrain: chunk.tiles.terrain.clone(), objects });
        }
    }
    out
}

/// Average compressed and raw bytes per chunk.
fn sizes(samples: &[Sample]) -> (usize, usize) {
    let (mut data, mut raw_len, mut raw) = (0, 0, Vec::new());
    for s in samples {
        let (d, r) =
            chunk_wire::encode(s.at, &s.terrain, &mut s.objects.clone(), &mut raw).expect("in chunk");
        data += d.len();
        raw_len += r as usize;
    }
    (data / samples.len(), raw_len / samples.len())
}

fn chunk_payloads(c: &mut Criterion) {
    let consecutive = samples(false);
    let scattered = samples(true);
    let objects = consecutive.iter().map(|s| s.objects.len()).sum::<usize>() / consecutive.len();
    for (name, set) in [("consecutive ids", &consecutive), ("scattered ids", &scattered)] {
        let (data, raw) = sizes(set);
        eprintln!(
            "chunk_wire: {name}: {objects} objects per chunk, {raw} raw -> {data} bytes compressed per chunk"
        );
    }
    let mut g = c.benchmark_group("chunk_wire");
    g.throughput(Throughput::Elements(consecutive.len() as u64));
    let (mut raw, mut buffer) = (Vec::new(), Vec::new());
    g.bench_function("encode_16_chunks", |b| {
        b.iter(|| {
            for s in &consecutive {
                // As the server: the objects buffer refilled from the chunk, then encoded.
                buffer.clear();
                buffer.extend_from_slice(&s.objects);
                black_box(chunk_wire::encode(s.at, &s.terrain, &mut buffer, &mut raw).expect("in chunk"));
            }
        });
    });
    let encoded: Vec<_> = consecutive
        .iter()
        .map(|s| {
            (s.at, chunk_wire::encode(s.at, &s.terrain, &mut s.objects.clone(), &mut raw).expect("in chunk"))
        })
        .collect();
    g.bench_function("decode_16_chunks", |b| {
        b.iter(|| {
            for (at, (data, raw_len)) in &encoded {
                black_box(chunk_wire::decode(*at, data, *raw_len).expect("decodes"));
            }
        });
    });
    g.finish();
}

criterion_group!(benches, chunk_payloads);
criterion_main!(benches);
