//! The content of a `ChunkData` message (protocol §4): a chunk's terrain and the objects lying in
//! it, laid out flat and compressed as one zstd frame. The server encodes it once per chunk
//! version; the client library decodes it to know which tiles and objects block movement.
//!
//! Raw layout (little-endian): `u16 terrain[128 × 128]` row by row (`y * 128 + x`), then
//! `u32 object_count`, then per object the protocol's object entry ([`WireObject`]:
//! `u64 entity, u16 kind, i32 x, i32 y, u16 state`, 20 bytes, the body of an `ObjectDelta`
//! record too).
//!
//! Versions: a chunk's version grows by one with every change clients see (protocol §4); both
//! sides compare versions with [`is_newer`], so they may wrap.

use crate::geom::CHUNK_TILES;
pub use net::protocol::{OBJECT_ENTRY_LEN, WireObject};
use std::fmt;

/// Tiles in one chunk.
pub const CHUNK_TILE_COUNT: usize = (CHUNK_TILES * CHUNK_TILES) as usize;
/// Largest raw size a client accepts (terrain plus 65,536 objects).
pub const MAX_RAW_LEN: usize = CHUNK_TILE_COUNT * 2 + 4 + 65_536 * OBJECT_ENTRY_LEN;
/// zstd level of chunk payloads (encoded once per version, so a little effort pays).
const LEVEL: i32 = 3;

/// True when chunk version `a` is newer than `b` (a wrapping comparison: versions may wrap).
pub fn is_newer(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// A decoded chunk payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkContent {
    /// Terrain id per tile, row by row.
    pub terrain: Vec<u16>,
    /// Objects lying in the chunk.
    pub objects: Vec<WireObject>,
}

/// Why a chunk payload was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkWireError {
    /// The declared raw size is over [`MAX_RAW_LEN`].
    TooLarge(u32),
    /// zstd refused the data.
    Zstd(String),
    /// The decompressed bytes do not match the layout (wrong length or object count).
    Layout { len: usize },
}

impl fmt::Display for ChunkWireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge(n) => write!(f, "chunk payload declares {n} raw bytes, over {MAX_RAW_LEN}"),
            Self::Zstd(e) => write!(f, "chunk payload is not a valid zstd frame: {e}"),
            Self::Layout { len } => write!(f, "chunk payload of {len} bytes does not match its layout"),
        }
    }
}

impl std::error::Error for ChunkWireError {}

/// Builds the raw layout into `raw` (cleared first) and compresses it; returns the compressed
/// bytes and the raw length.
pub fn encode(terrain: &[u16], objects: &[WireObject], raw: &mut Vec<u8>) -> (Vec<u8>, u32) {
    raw.clear();
    raw.reserve(terrain.len() * 2 + 4 + objects.len() * OBJECT_ENTRY_LEN);
    for t in terrain {
        raw.extend_from_slice(&t.to_le_bytes());
    }
    raw.extend_from_slice(&(objects.len() as u32).to_le_bytes());
    for o in objects {
        o.encode_into(raw);
    }
    // Compressing an in-memory buffer cannot fail short of allocation failure.
    let data = zstd::bulk::compress(raw, LEVEL).unwrap_or_default();
    (data, raw.len() as u32)
}

/// Decompresses and parses a payload whose raw size the message declared.
pub fn decode(data: &[u8], raw_len: u32) -> Result<ChunkContent, ChunkWireError> {
    if raw_len as usize > MAX_RAW_LEN {
        return Err(ChunkWireError::TooLarge(raw_len));
    }
    let raw =
        zstd::bulk::decompress(data, raw_len as usize).map_err(|e| ChunkWireError::Zstd(e.to_string()))?;
    parse(&raw)
}

fn parse(raw: &[u8]) -> Result<ChunkContent, ChunkWireError> {
    let bad = || ChunkWireError::Layout { len: raw.len() };
    let tiles_len = CHUNK_TILE_COUNT * 2;
    let (tiles, rest) = raw.split_at_checked(tiles_len).ok_or_else(bad)?;
    let (count, rest) = rest.split_at_checked(4).ok_or_else(bad)?;
    let count = u32::from_le_bytes(count.try_into().map_err(|_| bad())?) as usize;
    if rest.len() != count.checked_mul(OBJECT_ENTRY_LEN).ok_or_else(bad)? {
        return Err(bad());
    }
    let terrain = tiles.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
    let objects = rest.chunks_exact(OBJECT_ENTRY_LEN).map(WireObject::decode).collect::<Option<_>>();
    Ok(ChunkContent { terrain, objects: objects.ok_or_else(bad)? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use net::protocol::EntityId;

    #[test]
    fn payload_round_trips_and_bad_payloads_are_refused() {
        let terrain: Vec<u16> = (0..CHUNK_TILE_COUNT).map(|i| (i % 7) as u16).collect();
        let objects = vec![WireObject { id: EntityId(1 << 32 | 5), kind: 3, x: -1, y: 99, state: 2 }];
        let mut raw = Vec::new();
        let (data, raw_len) = encode(&terrain, &objects, &mut raw);
        let back = decode(&data, raw_len).unwrap();
        assert_eq!(back, ChunkContent { terrain: terrain.clone(), objects });
        assert!(matches!(decode(&data, raw_len - 1), Err(ChunkWireError::Zstd(_))));
        assert!(matches!(decode(&data[..10], raw_len), Err(ChunkWireError::Zstd(_))));
        assert_eq!(decode(&data, u32::MAX), Err(ChunkWireError::TooLarge(u32::MAX)));
        let (short, len) = encode(&terrain[..10], &[], &mut raw);
        assert_eq!(decode(&short, len), Err(ChunkWireError::Layout { len: len as usize }));
        assert_eq!(raw_len as usize, CHUNK_TILE_COUNT * 2 + 4 + 20, "20 bytes per object");
    }

    #[test]
    fn newer_versions_compare_across_the_wrap() {
        assert!(is_newer(6, 5) && !is_newer(5, 6) && !is_newer(5, 5));
        assert!(is_newer(2, u32::MAX), "2 follows the wrap");
        assert!(!is_newer(u32::MAX, 2));
    }
}
