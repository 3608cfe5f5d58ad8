//! The browser client's zstd decoder (`tools/web/play/js/zstd.js`) against the `zstd` crate:
//! writes vectors (real `ChunkData` payloads of the default world, synthetic data at many levels
//! and frame options, corrupted frames) to a temp dir and runs
//! `node --test tools/web/tests/unit/zstd.test.mjs` on them (`ZSTD_VECTORS` names the dir;
//! `ZSTD_VECTORS_OUT=DIR` writes them to DIR and keeps them).

use game::chunk_wire;
use game::geom::CHUNK_TILES;
use game::worldgen::WorldGen;
use game::{Content, MapGeometry};
use net::protocol::{EntityId, WireObject};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The shard's default world seed (`ShardOptions::default().seed`).
fn default_seed() -> u64 {
    game::shard::ShardOptions::default().seed
}

/// Vectors collected for the manifest: each one's compressed file, original and expectation.
struct Vectors {
    dir: PathBuf,
    entries: Vec<Value>,
}

impl Vectors {
    /// A frame that must decode to `raw` exactly.
    fn good(&mut self, name: &str, frame: &[u8], raw: &[u8]) {
        self.write(name, frame, raw, "ok");
    }

    /// A frame that must throw (`expect = "error"`) or, for `"bounded"`, either throw or return
    /// at most `raw_len` bytes (and exactly `raw` when the frame has a checksum).
    fn bad(&mut self, name: &str, frame: &[u8], raw: &[u8], expect: &str) {
        self.write(name, frame, raw, expect);
    }

    fn write(&mut self, name: &str, frame: &[u8], raw: &[u8], expect: &str) {
        std::fs::write(self.dir.join(format!("{name}.zst")), frame).unwrap();
        std::fs::write(self.dir.join(format!("{name}.raw")), raw).unwrap();
        self.entries.push(json!({ "name": name, "expect": expect, "raw_len": raw.len() }));
    }
}

/// The raw payload and zstd frame of a generated chunk, exactly as the server encodes it.
fn chunk_payload(generator: &WorldGen, map: &MapGeometry, cx: i32, cy: i32) -> (Vec<u8>, Vec<u8>) {
    let chunk = generator.generate(map, cx, cy);
    let mut objects: Vec<WireObject> = chunk
        .objects
        .iter()
        .enumerate()
        .map(|(i, o)| WireObject {
            id: EntityId((1 << 32) | i as u64),
            kind: o.kind as u16,
            x: o.x,
            y: o.y,
            state: o.stage,
        })
        .collect();
    let mut raw = Vec::new();
    let (frame, raw_len) =
        chunk_wire::encode((cx, cy), &chunk.tiles.terrain, &mut objects, &mut raw).unwrap();
    assert_eq!(raw_len as usize, raw.len());
    (raw, frame)
}

/// Chunks of the default world: the most watery and the most wooded of a sample, corners and
/// edges, a cave layer and the isles.
fn chunk_vectors(v: &mut Vectors) -> (Vec<u8>, Vec<u8>) {
    let content = Content::builtin();
    let generator = WorldGen::new(&content, default_seed()).unwrap();
    let layout = content.layout();
    let maps = layout.maps();
    let surface = &maps[0];
    let (w, h) = (surface.width_chunks, surface.height_chunks);
    let water = [content.terrain("deep_water").unwrap().id, content.terrain("shallow_water").unwrap().id];
    let (mut wettest, mut woodiest) = ((0, 0, 0), (0, 0, 0));
    for cy in (1..h - 1).step_by(5) {
        for cx in (1..w - 1).step_by(5) {
            let chunk = generator.generate(surface, cx, cy);
            let wet = chunk.tiles.terrain.iter().filter(|t| water.contains(t)).count();
            wettest = wettest.max((wet, cx, cy));
            woodiest = woodiest.max((chunk.objects.len(), cx, cy));
        }
    }
    let mut picks = vec![
        ("water", surface, wettest.1, wettest.2),
        ("forest", surface, woodiest.1, woodiest.2),
        ("corner", surface, 0, 0),
        ("edge", surface, w - 1, h / 2),
        ("centre", surface, w / 2, h / 2),
    ];
    picks.extend(maps.get(1).map(|cave| ("cave", cave, 3, 3)));
    picks.extend(maps.get(2).map(|isles| ("isles", isles, 1, 1)));
    let mut sample = (Vec::new(), Vec::new());
    for (name, map, cx, cy) in picks {
        let (raw, frame) = chunk_payload(&generator, map, cx, cy);
        assert!(raw.len() >= (CHUNK_TILES * CHUNK_TILES * 2) as usize, "{name}: terrain and objects");
        v.good(&format!("chunk_{name}_{cx}_{cy}"), &frame, &raw);
        if name == "forest" {
            sample = (frame, raw);
        }
    }
    sample
}

/// Deterministic bytes (xorshift64*).
fn noise(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

/// Text-like data: words from a small vocabulary in a pseudo-random order.
fn text(len: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "the ",
        "chunk ",
        "tree ",
        "of ",
        "water ",
        "stone ",
        "and ",
        "a ",
        "bot ",
        "walks ",
        "to ",
        "craft ",
        "axe ",
        "\n",
        "shard ",
        "tick ",
        "frame, ",
        "zstd ",
        "decoder. ",
    ];
    let picks = noise(len, 7);
    let mut out = Vec::with_capacity(len + 16);
    let mut i = 0;
    while out.len() < len {
        out.extend_from_slice(WORDS[picks[i] as usize % WORDS.len()].as_bytes());
        i += 1;
    }
    out.truncate(len);
    out
}

/// Long runs of few values, with some structure between them (RLE blocks and long matches).
fn runs(len: usize) -> Vec<u8> {
    let lengths = noise(len / 64 + 1, 11);
    let mut out = Vec::with_capacity(len);
    let mut k = 0;
    while out.len() < len {
        let n = 200 + lengths[k % lengths.len()] as usize * 300;
        out.extend(std::iter::repeat_n((k % 3) as u8 * 0x41, n));
        k += 1;
    }
    out.truncate(len);
    out
}

/// Few small byte values, skewed: literals only, Huffman-coded with direct 4-bit weights and, in
/// blocks of 128 KiB, the 18-bit literals header.
fn small_alphabet(len: usize) -> Vec<u8> {
    noise(len, 13).into_iter().map(|b| (b.leading_zeros() as u8).min(7)).collect()
}

/// A random block, then blocks copied from it with one `z` between the copies: the later blocks'
/// literals are all `z` (RLE literals).
fn copies(len: usize) -> Vec<u8> {
    let mut out = noise(130_000, 17);
    let picks = noise(len / 16, 19);
    for p in picks.chunks_exact(4) {
        let at = u16::from_le_bytes([p[0], p[1]]) as usize;
        out.push(b'z');
        out.extend_from_within(at..at + 40 + p[2] as usize);
        if out.len() >= len {
            break;
        }
    }
    out
}

/// Matches at offsets one less than the one before, with no literal between them: the repeat
/// offset "first repeat − 1".
fn sliding(len: usize) -> Vec<u8> {
    let mut out = noise(8_192, 23);
    let picks = noise(len / 8, 29);
    let mut offset = 0;
    for (i, p) in picks.chunks_exact(2).enumerate() {
        offset = if i % 12 == 0 { 3_000 + p[0] as usize * 16 } else { offset - 1 };
        let from = out.len() - offset;
        out.extend_from_within(from..from + 24 + (p[1] as usize % 40));
        if out.len() >= len {
            break;
        }
    }
    out
}

/// Synthetic inputs: name and bytes.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut mixed = text(50_000);
    mixed.extend(noise(40_000, 3));
    mixed.extend(runs(60_000));
    mixed.extend(text(30_000));
    vec![
        ("empty", Vec::new()),
        ("one", vec![0x5a]),
        ("random", noise(70_000, 1)),
        ("runs", runs(300_000)),
        ("zeros", vec![0; 200_000]),
        ("text", text(20_000)),
        ("big_text", text(400_000)),
        ("mixed", mixed),
        ("small_alphabet", small_alphabet(300_000)),
        ("copies", copies(400_000)),
        ("sliding", sliding(200_000)),
    ]
}

/// Compresses with the streaming encoder and the given frame options.
fn compress(data: &[u8], level: i32, checksum: bool, size: bool) -> Vec<u8> {
    compress_window(data, level, checksum, size, None)
}

/// Like [`compress`], with a window of `2^window_log` bytes (a frame with a content size larger
/// than its window is not single-segment).
fn compress_window(data: &[u8], level: i32, checksum: bool, size: bool, window_log: Option<u32>) -> Vec<u8> {
    let mut enc = zstd::stream::Encoder::new(Vec::new(), level).unwrap();
    if let Some(log) = window_log {
        enc.window_log(log).unwrap();
    }
    enc.include_checksum(checksum).unwrap();
    enc.include_contentsize(size).unwrap();
    if size {
        enc.set_pledged_src_size(Some(data.len() as u64)).unwrap();
    }
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn synthetic_vectors(v: &mut Vectors) {
    for (name, data) in inputs() {
        for level in [-5, -1, 1, 3, 9, 19] {
            // Every option pair at the fast levels; the slow ones (debug-built C) get two.
            let options = [(true, true), (false, false), (true, false), (false, true)];
            for &(checksum, size) in &options[..if level >= 9 { 2 } else { 4 }] {
                let tag = format!("{name}_l{level}_c{}_s{}", checksum as u8, size as u8);
                v.good(&tag, &compress(&data, level, checksum, size), &data);
            }
        }
        v.good(&format!("{name}_bulk"), &zstd::bulk::compress(&data, 3).unwrap(), &data);
        for level in [3, 19] {
            let frame = compress_window(&data, level, true, true, Some(17));
            v.good(&format!("{name}_l{level}_w17"), &frame, &data);
        }
    }
    // Several frames in a row, a skippable frame between them.
    let (a, b) = (text(5_000), runs(9_000));
    let mut frames = compress(&a, 3, true, true);
    frames.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 1, 2, 3, 4, 5]);
    frames.extend(compress(&b, 19, false, false));
    v.good("concatenated", &frames, &[a, b].concat());
}

/// Corrupted frames: truncations, bad magic, flipped bytes (checksummed and not).
fn corrupt_vectors(v: &mut Vectors, (chunk, chunk_raw): &(Vec<u8>, Vec<u8>)) {
    let data = text(60_000);
    let summed = compress(&data, 3, true, true);
    let plain = compress(&data, 19, false, true);
    for cut in [1, 4, 5, 8, 20, summed.len() / 2, summed.len() - 4, summed.len() - 1] {
        v.bad(&format!("truncated_{cut}"), &summed[..cut], &data, "error");
    }
    v.bad("truncated_chunk", &chunk[..chunk.len() - 3], chunk_raw, "error");
    let mut magic = summed.clone();
    magic[0] ^= 1;
    v.bad("bad_magic", &magic, &data, "error");
    v.bad("garbage", &noise(500, 5), &data, "error");
    let mut trailing = summed.clone();
    trailing.extend_from_slice(&[1, 2, 3]);
    v.bad("trailing_garbage", &trailing, &data, "error");
    let picks = noise(80, 9);
    for (i, p) in picks.chunks(2).enumerate() {
        for (label, frame) in [("summed", &summed), ("plain", &plain)] {
            let mut flipped = frame.clone();
            let at = 4 + (u16::from_le_bytes([p[0], p[1]]) as usize) % (frame.len() - 4);
            flipped[at] ^= 1 << (i % 8);
            v.bad(&format!("flip_{label}_{i}_{at}"), &flipped, &data, "bounded");
        }
    }
}

/// Runs the JS unit test on the vectors; a missing node fails only under CI.
fn run_node(dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if Command::new("node").arg("--version").output().is_err() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "node is required under CI");
        println!("skipped: node is not installed");
        return;
    }
    let out = Command::new("node")
        .args(["--test", "tools/web/tests/unit/zstd.test.mjs"])
        .current_dir(&root)
        .env("ZSTD_VECTORS", dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for line in
        text.lines().filter(|l| l.contains("per chunk") || l.starts_with("# fail") || l.starts_with("# pass"))
    {
        println!("{line}");
    }
    assert!(out.status.success(), "node --test failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_browser_zstd_decoder_matches_the_zstd_crate() {
    let temp = tempfile::tempdir().unwrap();
    // ZSTD_VECTORS_OUT keeps the vectors (to run the JS test on them by hand).
    let dir = std::env::var_os("ZSTD_VECTORS_OUT").map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    let mut v = Vectors { dir: dir.clone(), entries: Vec::new() };
    let chunk = chunk_vectors(&mut v);
    synthetic_vectors(&mut v);
    corrupt_vectors(&mut v, &chunk);
    let manifest = json!({ "vectors": v.entries, "timing": chunk_timing_name(&v) });
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
    run_node(&dir);
}

/// The vector the JS test times (the most wooded chunk: the most objects).
fn chunk_timing_name(v: &Vectors) -> String {
    let forest = v.entries.iter().filter_map(|e| e["name"].as_str()).find(|n| n.starts_with("chunk_forest"));
    forest.unwrap().to_owned()
}
