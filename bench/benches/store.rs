//! Storage benchmarks (#4): chunk codec, 6,000-position flush on PostgreSQL and SQLite, chunk +
//! objects load throughput. PostgreSQL groups need `SHARD_TEST_PG` (default local server); they
//! are skipped with a notice when it is unreachable.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use store::codec::{CHUNK_SIDE, TILES};
use store::{
    Backend, ChunkCodec, ChunkKey, ChunkRecord, ChunkSave, ChunkTiles, Connector, Container, ItemOp,
    ItemRecord, ItemTx, ObjectRecord, PlayerRecord, Position, PositionUpdate, Store, StoreConfig,
};

const PLAYERS: i64 = 6_000;
const LOAD_CHUNKS: i32 = 256;
const OBJECTS_PER_CHUNK: i64 = 40;

fn hash(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// Smooth value noise in [0, 1) with a cell size in tiles.
fn noise(seed: u64, x: usize, y: usize, cell: usize) -> f32 {
    let (gx, gy) = (x / cell, y / cell);
    let (fx, fy) = ((x % cell) as f32 / cell as f32, (y % cell) as f32 / cell as f32);
    let v =
        |i: usize, j: usize| (hash(seed ^ ((gx + i) as u64) << 20 ^ (gy + j) as u64) % 1024) as f32 / 1024.0;
    let s = |t: f32| t * t * (3.0 - 2.0 * t);
    let top = v(0, 0) + (v(1, 0) - v(0, 0)) * s(fx);
    let bottom = v(0, 1) + (v(1, 1) - v(0, 1)) * s(fx);
    top + (bottom - top) * s(fy)
}

/// A plausible generated chunk: two octaves of value noise classified into a handful of terrain
/// types (water, sand, grass, forest floor, rock), heights quantized to 16 levels.
fn generated_chunk(seed: u64) -> ChunkTiles {
    let mut t = ChunkTiles::default();
    for y in 0..CHUNK_SIDE {
        for x in 0..CHUNK_SIDE {
            let h = 0.75 * noise(seed, x, y, 48) + 0.25 * noise(seed + 1, x, y, 12);
            let moist = noise(seed + 2, x, y, 32);
            let terrain = match h {
                h if h < 0.25 => 6,    // deep water
                h if h < 0.32 => 5,    // shallow water
                h if h < 0.36 => 3,    // sand
                h if h > 0.78 => 7,    // rock
                _ if moist > 0.6 => 4, // forest floor
                _ => 1,                // grass
            };
            let i = ChunkTiles::index(x, y);
            t.terrain[i] = terrain;
            t.height[i] = (h * 16.0) as u8 * 16;
        }
    }
    t
}

fn codec(c: &mut Criterion) {
    let tiles = generated_chunk(7);
    let mut codec = ChunkCodec::new();
    let bytes = codec.encode(&tiles);
    eprintln!("store/codec: generated chunk {TILES} tiles -> {} bytes compressed", bytes.len());
    let mut g = c.benchmark_group("store/codec");
    let mut out = Vec::new();
    g.bench_function("encode", |b| b.iter(|| codec.encode_into(black_box(&tiles), &mut out)));
    let mut back = ChunkTiles::default();
    g.bench_function("decode", |b| {
        b.iter(|| codec.decode_into(black_box(&bytes), &mut back).expect("decode"))
    });
    g.finish();
}

/// A throw-away PostgreSQL database for one benchmark, dropped afterwards.
struct PgDb {
    admin: String,
    name: String,
    url: String,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl PgDb {
    fn create() -> Option<PgDb> {
        let admin = std::env::var("SHARD_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("shard_bench_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        match store::admin::create_database(&admin, &name) {
            Ok(url) => Some(PgDb { admin, name, url }),
            Err(e) => {
                eprintln!("NOTICE: skipping PostgreSQL benchmarks: {e}");
                None
            }
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = store::admin::drop_database(&self.admin, &self.name);
    }
}

fn sqlite_path(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("shard_bench_{}_{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("world.db")
}

fn seeded_backend(connector: &Connector) -> Box<dyn Backend> {
    connector.migrate().expect("migrate");
    let mut b = connector.connect().expect("connect");
    let players: Vec<PlayerRecord> = (1..=PLAYERS)
        .map(|id| PlayerRecord { id, name: format!("p{id}"), token_hash: vec![0; 32], ..Default::default() })
        .collect();
    b.save_players(&players).expect("seed players");
    b
}

fn bench_flush(c: &mut Criterion, label: &str, connector: &Connector) {
    let mut b = seeded_backend(connector);
    let mut batch: Vec<PositionUpdate> = (1..=PLAYERS)
        .map(|id| PositionUpdate { player: id, map: 1, pos: Position { x: 0, y: id as i32 }, claim: 0 })
        .collect();
    let mut g = c.benchmark_group("store/positions");
    g.sample_size(30).measurement_time(Duration::from_secs(6));
    g.throughput(Throughput::Elements(PLAYERS as u64));
    g.bench_function(format!("flush_6000/{label}"), |bench| {
        bench.iter(|| {
            batch.iter_mut().for_each(|u| u.pos.x += 3);
            assert_eq!(b.write_positions(&batch).expect("flush"), PLAYERS as usize);
        })
    });
    g.finish();
}

fn positions(c: &mut Criterion) {
    if let Some(db) = PgDb::create() {
        bench_flush(c, "postgres", &Connector::new(store::BackendConfig::Postgres { url: db.url.clone() }));
    }
    let path = sqlite_path("positions");
    bench_flush(c, "sqlite", &Connector::new(store::BackendConfig::Sqlite { path: path.clone() }));
    let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
}

/// Stores `LOAD_CHUNKS` chunks with 40 objects each; every 8th object is a box holding 3 items.
fn seed_world(store: &Store) {
    let data = ChunkCodec::new().encode(&generated_chunk(3));
    let saves: Vec<ChunkSave> = (0..LOAD_CHUNKS)
        .map(|i| {
            let key = ChunkKey { map: 1, cx: i % 16, cy: i / 16 };
            let objects = (0..OBJECTS_PER_CHUNK)
                .map(|j| ObjectRecord {
                    id: i64::from(i) * OBJECTS_PER_CHUNK + j + 1,
                    map: 1,
                    grid_x: key.cx,
                    grid_y: key.cy,
                    kind: (j % 5) as u32,
                    stage_ends_ms: 1_700_000_000_000,
                    state: vec![0; 8],
                    ..Default::default()
                })
                .collect();
            ChunkSave { key, chunk: Some(ChunkRecord { key, version: 1, data: data.clone() }), objects }
        })
        .collect();
    let w = store.writer();
    w.save_chunks(saves).expect("queue").wait(Duration::from_secs(60)).expect("seed chunks");
    let boxes = (1..=i64::from(LOAD_CHUNKS) * OBJECTS_PER_CHUNK).step_by(8);
    for (n, obj) in boxes.enumerate() {
        let ops = (0..3)
            .map(|k| {
                let id = n as i64 * 3 + k + 1;
                let container = Container::Object(obj);
                ItemOp::Put(ItemRecord { id, kind: 2, quality: 10, count: 1, container, slot: k as u32 })
            })
            .collect();
        w.item_tx(ItemTx::new("seed", ops)).expect("queue");
    }
    assert!(w.flush(Duration::from_secs(60)).complete());
}

fn loads(c: &mut Criterion) {
    let Some(db) = PgDb::create() else { return };
    let store = Store::open(StoreConfig::postgres(db.url.clone())).expect("open");
    seed_world(&store);
    let mut g = c.benchmark_group("store/load");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(LOAD_CHUNKS as u64));
    let (tx, rx) = store::crossbeam_channel::unbounded();
    g.bench_function("chunks_with_objects_256/postgres_loader_2_threads", |b| {
        b.iter(|| {
            for i in 0..LOAD_CHUNKS {
                let key = ChunkKey { map: 1, cx: i % 16, cy: i / 16 };
                store.loader().load_chunk_to(key, &tx).expect("queue");
            }
            for _ in 0..LOAD_CHUNKS {
                let (_, load) = rx.recv().expect("reply");
                assert_eq!(load.expect("load").objects.len(), OBJECTS_PER_CHUNK as usize);
            }
        })
    });
    let mut conn = store.connect().expect("connect");
    g.bench_function("chunks_with_objects_256/postgres_one_connection", |b| {
        b.iter(|| {
            for i in 0..LOAD_CHUNKS {
                let key = ChunkKey { map: 1, cx: i % 16, cy: i / 16 };
                black_box(conn.load_chunk(key).expect("load"));
            }
        })
    });
    g.finish();
    drop(conn);
    store.shutdown(Duration::from_secs(10));
}

criterion_group!(benches, codec, positions, loads);
criterion_main!(benches);
