//! The content of a `ChunkData` message (protocol §4): a chunk's terrain and the objects lying in
//! it, laid out as byte planes and compressed as one zstd frame. The server encodes it once per
//! chunk version; the client library decodes it to know which tiles and objects block movement.
//!
//! Raw layout (protocol version 2). A *column* of `n` values `w` bytes wide is stored as `w`
//! byte planes: first byte 0 (the lowest) of every value, then byte 1 of every value, and so on
//! (`n × w` bytes; byte `b` of value `i` is at `b × n + i`). In order:
//!
//! 1. terrain: the `u16` terrain id of each of the 128 × 128 tiles, row by row (`y * 128 + x`),
//!    as a column (32,768 bytes);
//! 2. `u32 n` (little-endian): the object count, at most [`MAX_OBJECTS`];
//! 3. five columns of `n` values, objects sorted by entity id ascending:
//!    - `u64` id: the difference to the previous object's id (the first one's to 0), so the
//!      running sum is the id; it must not pass `u64::MAX`;
//!    - `u16` kind;
//!    - `u16` x and `u16` y: the difference, modulo 2¹⁶, of the object's chunk-local position
//!      (`x − cx × CHUNK_UNITS`, in `[0, CHUNK_UNITS)`) to the previous object's (the first
//!      one's to 0); the running sum modulo 2¹⁶ is the local position, which must be below
//!      [`CHUNK_UNITS`];
//!    - `u16` state.
//!
//! The raw length is therefore exactly `32,768 + 4 + 16 × n`. Sorting by id and coding
//! differences leaves mostly-zero high planes and small repeated low bytes, which zstd packs
//! well (a generated chunk of ~480 objects: ~3.2 KB instead of ~5.5 KB in version 1's 20-byte
//! entries; `bench/README.md`). Objects outside their chunk cannot be encoded
//! ([`ChunkWireError::OutsideChunk`]).
//!
//! Versions: a chunk's version grows by one with every change clients see (protocol §4); both
//! sides compare versions with [`is_newer`], so they may wrap.

use crate::geom::{CHUNK_TILES, CHUNK_UNITS};
pub use net::protocol::{OBJECT_ENTRY_LEN, WireObject};
use std::fmt;

/// Tiles in one chunk.
pub const CHUNK_TILE_COUNT: usize = (CHUNK_TILES * CHUNK_TILES) as usize;
/// Most objects one payload holds.
pub const MAX_OBJECTS: usize = 65_536;
/// Raw bytes of one object (its five columns).
pub const OBJECT_RAW_LEN: usize = 8 + 2 + 2 + 2 + 2;
/// Raw bytes before the object columns: terrain and count.
const HEAD_LEN: usize = CHUNK_TILE_COUNT * 2 + 4;
/// Largest raw size a client accepts (terrain plus [`MAX_OBJECTS`] objects).
pub const MAX_RAW_LEN: usize = HEAD_LEN + MAX_OBJECTS * OBJECT_RAW_LEN;
/// zstd level of chunk payloads (encoded once per version, so a little effort pays).
const LEVEL: i32 = 3;

/// True when chunk version `a` is newer than `b` (a wrapping comparison: versions may wrap).
pub fn is_newer(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// The chunk-local coordinates of `(x, y)` in chunk `(cx, cy)`, if the point lies in it.
pub fn local_position(cx: i32, cy: i32, x: i32, y: i32) -> Option<(u16, u16)> {
    let local = |v: i32, c: i32| {
        let l = i64::from(v) - i64::from(c) * i64::from(CHUNK_UNITS);
        (0..i64::from(CHUNK_UNITS)).contains(&l).then_some(l as u16)
    };
    Some((local(x, cx)?, local(y, cy)?))
}

/// A decoded chunk payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkContent {
    /// Terrain id per tile, row by row.
    pub terrain: Vec<u16>,
    /// Objects lying in the chunk, by entity id ascending.
    pub objects: Vec<WireObject>,
}

/// Why a chunk payload was refused (decoding) or could not be built (encoding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkWireError {
    /// The declared raw size is over [`MAX_RAW_LEN`].
    TooLarge(u32),
    /// zstd refused the data.
    Zstd(String),
    /// The decompressed bytes do not match the layout (wrong length or object count, ids past
    /// `u64::MAX`, a position outside the chunk).
    Layout { len: usize },
    /// Encoding: more than [`MAX_OBJECTS`] objects.
    TooManyObjects(usize),
    /// Encoding: the object with this id does not lie in the chunk.
    OutsideChunk { id: u64 },
}

impl fmt::Display for ChunkWireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge(n) => write!(f, "chunk payload declares {n} raw bytes, over {MAX_RAW_LEN}"),
            Self::Zstd(e) => write!(f, "chunk payload is not a valid zstd frame: {e}"),
            Self::Layout { len } => write!(f, "chunk payload of {len} bytes does not match its layout"),
            Self::TooManyObjects(n) => write!(f, "{n} objects in one chunk, over {MAX_OBJECTS}"),
            Self::OutsideChunk { id } => write!(f, "object {id:#x} lies outside its chunk"),
        }
    }
}

impl std::error::Error for ChunkWireError {}

/// Writes byte `b` of `v` (`w` bytes wide) to plane `b` of the column at `raw[at..at + w × n]`.
#[inline]
fn put(raw: &mut [u8], at: usize, n: usize, i: usize, w: usize, v: u64) {
    for b in 0..w {
        raw[at + b * n + i] = (v >> (8 * b)) as u8;
    }
}

/// Value `i` (`w` bytes wide) of the column at `raw[at..at + w × n]`.
#[inline]
fn get(raw: &[u8], at: usize, n: usize, i: usize, w: usize) -> u64 {
    (0..w).fold(0, |v, b| v | u64::from(raw[at + b * n + i]) << (8 * b))
}

/// Builds the raw layout of chunk `(cx, cy)` into `raw` (cleared first) and compresses it;
/// returns the compressed bytes and the raw length. Sorts `objects` by id in place (no other
/// allocation than `raw`'s growth and the compressed bytes). Refuses more than [`MAX_OBJECTS`]
/// objects or one outside the chunk.
pub fn encode(
    (cx, cy): (i32, i32),
    terrain: &[u16; CHUNK_TILE_COUNT],
    objects: &mut [WireObject],
    raw: &mut Vec<u8>,
) -> Result<(Vec<u8>, u32), ChunkWireError> {
    let n = objects.len();
    if n > MAX_OBJECTS {
        return Err(ChunkWireError::TooManyObjects(n));
    }
    objects.sort_unstable_by_key(|o| (o.id.0, o.kind, o.x, o.y, o.state));
    raw.clear();
    raw.resize(HEAD_LEN + n * OBJECT_RAW_LEN, 0);
    for (i, &t) in terrain.iter().enumerate() {
        put(raw, 0, CHUNK_TILE_COUNT, i, 2, u64::from(t));
    }
    raw[HEAD_LEN - 4..HEAD_LEN].copy_from_slice(&(n as u32).to_le_bytes());
    let (ids, kinds, xs) = (HEAD_LEN, HEAD_LEN + 8 * n, HEAD_LEN + 10 * n);
    let (ys, states) = (HEAD_LEN + 12 * n, HEAD_LEN + 14 * n);
    let (mut id, mut lx, mut ly) = (0u64, 0u16, 0u16);
    for (i, o) in objects.iter().enumerate() {
        let (x, y) = local_position(cx, cy, o.x, o.y).ok_or(ChunkWireError::OutsideChunk { id: o.id.0 })?;
        put(raw, ids, n, i, 8, o.id.0.wrapping_sub(id));
        put(raw, kinds, n, i, 2, u64::from(o.kind));
        put(raw, xs, n, i, 2, u64::from(x.wrapping_sub(lx)));
        put(raw, ys, n, i, 2, u64::from(y.wrapping_sub(ly)));
        put(raw, states, n, i, 2, u64::from(o.state));
        (id, lx, ly) = (o.id.0, x, y);
    }
    // Compressing an in-memory buffer cannot fail short of allocation failure.
    let data = zstd::bulk::compress(raw, LEVEL).unwrap_or_default();
    Ok((data, raw.len() as u32))
}

/// Decompresses and parses the payload of chunk `(cx, cy)` whose raw size the message declared.
pub fn decode((cx, cy): (i32, i32), data: &[u8], raw_len: u32) -> Result<ChunkContent, ChunkWireError> {
    if raw_len as usize > MAX_RAW_LEN {
        return Err(ChunkWireError::TooLarge(raw_len));
    }
    let raw =
        zstd::bulk::decompress(data, raw_len as usize).map_err(|e| ChunkWireError::Zstd(e.to_string()))?;
    parse((cx, cy), &raw)
}

/// Parses a decompressed payload of chunk `(cx, cy)`.
fn parse((cx, cy): (i32, i32), raw: &[u8]) -> Result<ChunkContent, ChunkWireError> {
    let bad = || ChunkWireError::Layout { len: raw.len() };
    let count = raw.get(HEAD_LEN - 4..HEAD_LEN).ok_or_else(bad)?;
    let n = u32::from_le_bytes(count.try_into().map_err(|_| bad())?) as usize;
    if n > MAX_OBJECTS || raw.len() != HEAD_LEN + n * OBJECT_RAW_LEN {
        return Err(bad());
    }
    let terrain = (0..CHUNK_TILE_COUNT).map(|i| get(raw, 0, CHUNK_TILE_COUNT, i, 2) as u16).collect();
    let (ids, kinds, xs) = (HEAD_LEN, HEAD_LEN + 8 * n, HEAD_LEN + 10 * n);
    let (ys, states) = (HEAD_LEN + 12 * n, HEAD_LEN + 14 * n);
    let (x0, y0) = (i64::from(cx) * i64::from(CHUNK_UNITS), i64::from(cy) * i64::from(CHUNK_UNITS));
    let (mut id, mut lx, mut ly) = (0u64, 0u16, 0u16);
    let mut objects = Vec::with_capacity(n);
    for i in 0..n {
        id = id.checked_add(get(raw, ids, n, i, 8)).ok_or_else(bad)?;
        lx = lx.wrapping_add(get(raw, xs, n, i, 2) as u16);
        ly = ly.wrapping_add(get(raw, ys, n, i, 2) as u16);
        let inside = |l: u16| i32::from(l) < CHUNK_UNITS;
        if !inside(lx) || !inside(ly) {
            return Err(bad());
        }
        let x = i32::try_from(x0 + i64::from(lx)).map_err(|_| bad())?;
        let y = i32::try_from(y0 + i64::from(ly)).map_err(|_| bad())?;
        let kind = get(raw, kinds, n, i, 2) as u16;
        let state = get(raw, states, n, i, 2) as u16;
        objects.push(WireObject { id: net::protocol::EntityId(id), kind, x, y, state });
    }
    Ok(ChunkContent { terrain, objects })
}

#[cfg(test)]
mod tests {
    use super::*;
    use net::protocol::EntityId;
    use proptest::prelude::*;

    fn terrain() -> Box<[u16; CHUNK_TILE_COUNT]> {
        let t: Vec<u16> = (0..CHUNK_TILE_COUNT).map(|i| (i % 7) as u16 * 300).collect();
        t.into_boxed_slice().try_into().unwrap()
    }

    fn object(id: u64, x: i32, y: i32) -> WireObject {
        WireObject { id: EntityId(id), kind: 3, x, y, state: 2 }
    }

    /// Raw bytes compressed as the server would, without the encoder's checks.
    fn payload(raw: &[u8]) -> (Vec<u8>, u32) {
        (zstd::bulk::compress(raw, LEVEL).unwrap(), raw.len() as u32)
    }

    #[test]
    fn payload_round_trips_sorted_by_id_with_local_positions() {
        let (cx, cy) = (-2, 5);
        let (x0, y0) = (cx * CHUNK_UNITS, cy * CHUNK_UNITS);
        let far = CHUNK_UNITS - 1;
        let mut objects = vec![
            object(u64::MAX, x0 + far, y0 + far),
            object((1 << 32) | 5, x0, y0 + 7),
            object(9, x0 + 3, y0),
        ];
        let mut raw = Vec::new();
        let (data, raw_len) = encode((cx, cy), &terrain(), &mut objects, &mut raw).unwrap();
        assert_eq!(raw_len as usize, HEAD_LEN + 3 * 16, "16 bytes per object");
        assert_eq!(&raw[HEAD_LEN..HEAD_LEN + 3], &[9, 252, 250], "low bytes of the id differences");
        let back = decode((cx, cy), &data, raw_len).unwrap();
        assert_eq!(back.terrain, terrain().to_vec());
        assert_eq!(back.objects.iter().map(|o| o.id.0).collect::<Vec<_>>(), [9, (1 << 32) | 5, u64::MAX]);
        assert_eq!(back.objects, objects, "the encoder sorted its input the same way");
        assert_eq!((back.objects[2].x, back.objects[2].y), (x0 + far, y0 + far));
        let other = decode((cx + 1, cy), &data, raw_len).unwrap();
        assert_eq!(other.objects[0].x, x0 + 3 + CHUNK_UNITS, "positions are relative to the chunk");
        let (empty, len) = encode((0, 0), &terrain(), &mut [], &mut raw).unwrap();
        assert_eq!(decode((0, 0), &empty, len).unwrap().objects, []);
    }

    #[test]
    fn objects_outside_the_chunk_or_too_many_are_refused_by_the_encoder() {
        let mut raw = Vec::new();
        for (x, y) in [(CHUNK_UNITS, 0), (0, -1), (-1, 5), (i32::MAX, i32::MIN), (5, 2 * CHUNK_UNITS)] {
            let mut objects = [object(1, 0, 0), object(7, x, y)];
            assert_eq!(
                encode((0, 0), &terrain(), &mut objects, &mut raw),
                Err(ChunkWireError::OutsideChunk { id: 7 })
            );
        }
        let mut edge = [object(1, i32::MAX, i32::MAX)];
        let c = crate::geom::MapGeometry::chunk_of(i32::MAX, i32::MAX);
        let (data, len) = encode(c, &terrain(), &mut edge, &mut raw).unwrap();
        assert_eq!(decode(c, &data, len).unwrap().objects, edge, "the last chunk of i32 space");
        let mut many = vec![object(1, 0, 0); MAX_OBJECTS + 1];
        assert_eq!(
            encode((0, 0), &terrain(), &mut many, &mut raw),
            Err(ChunkWireError::TooManyObjects(MAX_OBJECTS + 1))
        );
    }

    #[test]
    fn malformed_payloads_are_refused() {
        let mut objects = vec![object(5, 10, 10), object(6, 20, 20)];
        let mut raw = Vec::new();
        let (data, raw_len) = encode((0, 0), &terrain(), &mut objects, &mut raw).unwrap();
        assert!(matches!(decode((0, 0), &data, raw_len - 1), Err(ChunkWireError::Zstd(_))));
        assert!(matches!(decode((0, 0), &data[..10], raw_len), Err(ChunkWireError::Zstd(_))));
        assert_eq!(decode((0, 0), &data, u32::MAX), Err(ChunkWireError::TooLarge(u32::MAX)));
        let layout = |bytes: &[u8]| {
            let (d, l) = payload(bytes);
            assert_eq!(
                decode((0, 0), &d, l),
                Err(ChunkWireError::Layout { len: bytes.len() }),
                "{}",
                bytes.len()
            );
        };
        layout(&raw[..raw.len() - 1]);
        layout(&[raw.clone(), vec![0]].concat());
        layout(&raw[..10]);
        layout(&[]);
        let mut count = raw.clone();
        count[HEAD_LEN - 4] = 3;
        layout(&count);
        let mut huge = raw[..HEAD_LEN].to_vec();
        huge[HEAD_LEN - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
        layout(&huge);
        // Ids past u64::MAX: both differences' top bytes.
        let mut wrap = raw.clone();
        wrap[HEAD_LEN + 7 * 2] = 0xFF;
        wrap[HEAD_LEN + 7 * 2 + 1] = 0xFF;
        layout(&wrap);
        // x difference landing at CHUNK_UNITS: the first object's high plane.
        let mut outside = raw.clone();
        outside[HEAD_LEN + 10 * 2 + 2] = 0x80;
        layout(&outside);
        // Far positions of a far chunk must still fit i32.
        let mut far = [object(1, CHUNK_UNITS - 1, 0)];
        let (d, l) = encode((0, 0), &terrain(), &mut far, &mut raw).unwrap();
        assert!(decode(((i32::MAX >> 15) + 1, 0), &d, l).is_err(), "x past i32::MAX");
        assert!(decode((i32::MIN, i32::MIN), &d, l).is_err(), "x below i32::MIN");
    }

    proptest! {
        #[test]
        fn random_objects_round_trip(
            cx in -65_536i32..65_536,
            cy in prop_oneof![Just(-65_536i32), Just(65_535), -3i32..3],
            objects in prop::collection::vec(
                (any::<u64>(), any::<u16>(), 0..CHUNK_UNITS, prop_oneof![Just(0), Just(CHUNK_UNITS - 1), 0..CHUNK_UNITS], any::<u16>()),
                0..300,
            ),
            dense in any::<bool>(),
        ) {
            let mut objects: Vec<WireObject> = objects
                .iter()
                .enumerate()
                .map(|(i, &(id, kind, x, y, state))| WireObject {
                    id: EntityId(if dense { (1 << 32) + i as u64 } else { id }),
                    kind,
                    x: cx * CHUNK_UNITS + x,
                    y: cy * CHUNK_UNITS + y,
                    state,
                })
                .collect();
            let mut expected = objects.clone();
            expected.sort_unstable_by_key(|o| (o.id.0, o.kind, o.x, o.y, o.state));
            let mut raw = Vec::new();
            let (data, raw_len) = encode((cx, cy), &terrain(), &mut objects, &mut raw).unwrap();
            prop_assert_eq!(raw_len as usize, HEAD_LEN + objects.len() * OBJECT_RAW_LEN);
            let back = decode((cx, cy), &data, raw_len).unwrap();
            prop_assert_eq!(back.objects, expected);
        }
    }

    #[test]
    fn newer_versions_compare_across_the_wrap() {
        assert!(is_newer(6, 5) && !is_newer(5, 6) && !is_newer(5, 5));
        assert!(is_newer(2, u32::MAX), "2 follows the wrap");
        assert!(!is_newer(u32::MAX, 2));
    }
}
