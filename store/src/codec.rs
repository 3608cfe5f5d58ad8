//! Chunk codec: a 128×128 chunk's tile layers to a compact, versioned, checksummed zstd blob.
//!
//! Layout (little-endian): `b"CK"`, version `u8`, flags `u8`, raw length `u32`, CRC-32 of the
//! raw payload `u32`, then one zstd frame. The raw payload is the terrain layer split into its low
//! and high byte planes, each XOR-coded with the previous tile (the high plane is left out, flag
//! bit 0, when every terrain id is < 256), then the height layer delta-coded along rows: uniform
//! regions become zero runs that zstd packs tightly and quickly.

use crate::error::DecodeError;

/// Tiles along one side of a chunk.
pub const CHUNK_SIDE: usize = 128;
/// Tiles in a chunk.
pub const TILES: usize = CHUNK_SIDE * CHUNK_SIDE;
/// Current format version.
pub const FORMAT_VERSION: u8 = 1;
/// Default zstd level (level 1–3 give nearly the same size here; 1 is the fastest).
pub const DEFAULT_LEVEL: i32 = 1;

const MAGIC: [u8; 2] = *b"CK";
const HEADER_LEN: usize = 12;
const RAW_LEN: usize = TILES * 3;
const RAW_LEN_NARROW: usize = TILES * 2;
/// Flag: the terrain high byte plane is omitted (all zero).
const FLAG_NARROW: u8 = 1;

/// The tile layers of one chunk: a terrain type per tile and a quantized height per tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkTiles {
    pub terrain: Box<[u16; TILES]>,
    pub height: Box<[u8; TILES]>,
}

impl Default for ChunkTiles {
    fn default() -> Self {
        ChunkTiles { terrain: Box::new([0; TILES]), height: Box::new([0; TILES]) }
    }
}

impl ChunkTiles {
    /// Index of the tile at local coordinates (x, y).
    pub fn index(x: usize, y: usize) -> usize {
        y * CHUNK_SIDE + x
    }
}

/// Encoder and decoder with reused zstd contexts and scratch buffers. One per thread.
pub struct ChunkCodec {
    compressor: zstd::bulk::Compressor<'static>,
    decompressor: zstd::bulk::Decompressor<'static>,
    raw: Vec<u8>,
    packed: Vec<u8>,
}

impl std::fmt::Debug for ChunkCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkCodec").finish_non_exhaustive()
    }
}

impl ChunkCodec {
    /// A codec compressing at [`DEFAULT_LEVEL`].
    pub fn new() -> ChunkCodec {
        ChunkCodec::with_level(DEFAULT_LEVEL)
    }

    /// A codec compressing at `level` (clamped to zstd's range by zstd itself).
    pub fn with_level(level: i32) -> ChunkCodec {
        // Context creation only fails on allocation failure, which aborts anyway.
        let compressor = zstd::bulk::Compressor::new(level).expect("zstd compressor");
        let decompressor = zstd::bulk::Decompressor::new().expect("zstd decompressor");
        ChunkCodec {
            compressor,
            decompressor,
            raw: Vec::with_capacity(RAW_LEN),
            packed: Vec::with_capacity(zstd::zstd_safe::compress_bound(RAW_LEN)),
        }
    }

    /// Encodes the tiles into a new buffer.
    pub fn encode(&mut self, tiles: &ChunkTiles) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(tiles, &mut out);
        out
    }

    /// Encodes the tiles, replacing the contents of `out`.
    pub fn encode_into(&mut self, tiles: &ChunkTiles, out: &mut Vec<u8>) {
        let flags = pack_raw(tiles, &mut self.raw);
        let crc = crc32fast::hash(&self.raw);
        self.packed.clear();
        // The buffer has compress_bound capacity, so compression of RAW_LEN bytes cannot overflow.
        let n = self.compressor.compress_to_buffer(&self.raw, &mut self.packed).expect("zstd");
        out.clear();
        out.reserve(HEADER_LEN + n);
        out.extend_from_slice(&MAGIC);
        out.push(FORMAT_VERSION);
        out.push(flags);
        out.extend_from_slice(&(self.raw.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&self.packed[..n]);
    }

    /// Decodes stored bytes. Every failure is typed; arbitrary input never panics.
    pub fn decode(&mut self, data: &[u8]) -> Result<ChunkTiles, DecodeError> {
        let mut tiles = ChunkTiles::default();
        self.decode_into(data, &mut tiles)?;
        Ok(tiles)
    }

    /// Decodes into existing tiles (left unspecified on error).
    pub fn decode_into(&mut self, data: &[u8], tiles: &mut ChunkTiles) -> Result<(), DecodeError> {
        let (flags, raw_len, crc) = check_header(data)?;
        self.raw.clear();
        self.raw.reserve(RAW_LEN);
        let n = self
            .decompressor
            .decompress_to_buffer(&data[HEADER_LEN..], &mut self.raw)
            .map_err(|e| DecodeError::Zstd(e.to_string()))?;
        if n != raw_len {
            return Err(DecodeError::BadLength { expected: raw_len, actual: n });
        }
        let actual = crc32fast::hash(&self.raw);
        if actual != crc {
            return Err(DecodeError::BadChecksum { expected: crc, actual });
        }
        unpack_raw(&self.raw, flags & FLAG_NARROW != 0, tiles);
        Ok(())
    }
}

impl Default for ChunkCodec {
    fn default() -> Self {
        ChunkCodec::new()
    }
}

/// Validates the header; returns the flags, the raw payload length and the stored checksum.
fn check_header(data: &[u8]) -> Result<(u8, usize, u32), DecodeError> {
    if data.len() < HEADER_LEN {
        return Err(DecodeError::Truncated { len: data.len(), needed: HEADER_LEN });
    }
    if data[0..2] != MAGIC {
        return Err(DecodeError::BadMagic([data[0], data[1]]));
    }
    if data[2] != FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion(data[2]));
    }
    let flags = data[3];
    let expected = if flags & FLAG_NARROW != 0 { RAW_LEN_NARROW } else { RAW_LEN };
    let raw_len = u32::from_le_bytes([data[4], data[5], data[6], data[7]]) as usize;
    if raw_len != expected {
        return Err(DecodeError::BadLength { expected, actual: raw_len });
    }
    Ok((flags, raw_len, u32::from_le_bytes([data[8], data[9], data[10], data[11]])))
}

/// Fills the raw payload; returns the flags describing it. Every plane is stored as the XOR
/// (terrain) or difference (height) with the previous tile, so uniform regions become zero runs.
fn pack_raw(tiles: &ChunkTiles, raw: &mut Vec<u8>) -> u8 {
    raw.clear();
    let narrow = tiles.terrain.iter().all(|t| *t < 256);
    let mut prev = 0u16;
    raw.extend(tiles.terrain.iter().map(|t| {
        let d = (*t ^ prev) as u8;
        prev = *t;
        d
    }));
    if !narrow {
        let mut prev = 0u16;
        raw.extend(tiles.terrain.iter().map(|t| {
            let d = ((*t ^ prev) >> 8) as u8;
            prev = *t;
            d
        }));
    }
    let mut prev = 0u8;
    raw.extend(tiles.height.iter().map(|h| {
        let d = h.wrapping_sub(prev);
        prev = *h;
        d
    }));
    if narrow { FLAG_NARROW } else { 0 }
}

fn unpack_raw(raw: &[u8], narrow: bool, tiles: &mut ChunkTiles) {
    let (lo, rest) = raw.split_at(TILES);
    let (hi, heights) = if narrow { (None, rest) } else { (Some(&rest[..TILES]), &rest[TILES..]) };
    let mut prev = 0u16;
    match hi {
        Some(hi) => {
            for ((t, l), h) in tiles.terrain.iter_mut().zip(lo).zip(hi) {
                prev ^= u16::from(*l) | (u16::from(*h) << 8);
                *t = prev;
            }
        }
        None => {
            for (t, l) in tiles.terrain.iter_mut().zip(lo) {
                prev ^= u16::from(*l);
                *t = prev;
            }
        }
    }
    let mut prev = 0u8;
    for (h, d) in tiles.height.iter_mut().zip(heights) {
        prev = prev.wrapping_add(*d);
        *h = prev;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ChunkTiles {
        let mut t = ChunkTiles::default();
        for y in 0..CHUNK_SIDE {
            for x in 0..CHUNK_SIDE {
                let i = ChunkTiles::index(x, y);
                t.terrain[i] = ((x / 32 + y / 16) % 5) as u16 + if x == y { 300 } else { 0 };
                t.height[i] = ((x + 2 * y) / 7) as u8;
            }
        }
        t
    }

    #[test]
    fn round_trip() {
        let mut c = ChunkCodec::new();
        let t = sample();
        let bytes = c.encode(&t);
        assert!(bytes.len() < 8 * 1024, "{} bytes", bytes.len());
        assert_eq!(c.decode(&bytes).unwrap(), t);
        // Contexts are reusable.
        let again = c.encode(&t);
        assert_eq!(c.decode(&again).unwrap(), t);
    }

    #[test]
    fn narrow_terrain_round_trip() {
        let mut c = ChunkCodec::new();
        let mut t = sample();
        t.terrain.iter_mut().for_each(|v| *v &= 0xff);
        let bytes = c.encode(&t);
        assert_eq!(bytes[3], FLAG_NARROW);
        assert_eq!(c.decode(&bytes).unwrap(), t);
        let mut bad = bytes.clone();
        bad[3] = 0;
        assert!(matches!(c.decode(&bad), Err(DecodeError::BadLength { .. })));
    }

    #[test]
    fn typed_errors() {
        let mut c = ChunkCodec::new();
        let good = c.encode(&sample());
        assert!(matches!(c.decode(&good[..5]), Err(DecodeError::Truncated { .. })));
        let mut bad = good.clone();
        bad[0] = b'X';
        assert!(matches!(c.decode(&bad), Err(DecodeError::BadMagic(_))));
        let mut bad = good.clone();
        bad[2] = 9;
        assert_eq!(c.decode(&bad), Err(DecodeError::UnsupportedVersion(9)));
        let mut bad = good.clone();
        bad[8] ^= 1;
        assert!(matches!(c.decode(&bad), Err(DecodeError::BadChecksum { .. })));
        assert!(matches!(c.decode(&good[..good.len() - 3]), Err(DecodeError::Zstd(_))));
        let mut bad = good.clone();
        bad[4] = 1;
        assert!(matches!(c.decode(&bad), Err(DecodeError::BadLength { .. })));
    }
}
