//! Encoded `ChunkData` messages, one per resident chunk version, shared by every client that
//! needs the chunk (clients receive clones of the same `Bytes`). Encoding is bounded per tick.

use crate::chunk_wire::{self, WireObject};
use crate::chunks::{ChunkTable, ResidentChunk};
use engine::Column;
use net::Bytes;
use net::protocol::{ChunkData, ServerMessage};
use store::{MapId, ObjectRecord};

/// One encoded chunk.
#[derive(Debug, Clone)]
pub(crate) struct EncodedChunk {
    /// The resident version it was encoded from.
    pub version: u32,
    /// The whole encoded `ChunkData` message.
    pub message: Bytes,
}

/// Encoded chunks by dense chunk index, plus reusable encoding buffers.
#[derive(Debug)]
pub(crate) struct ChunkCache {
    map: MapId,
    /// By dense chunk index.
    slots: Vec<Option<EncodedChunk>>,
    /// Indices of filled slots (swept every tick).
    filled: Vec<usize>,
    /// Encodings left this tick.
    budget: usize,
    raw: Vec<u8>,
    objects: Vec<WireObject>,
}

impl ChunkCache {
    /// An empty cache for map `map`.
    pub fn new(map: MapId) -> Self {
        Self { map, slots: Vec::new(), filled: Vec::new(), budget: 0, raw: Vec::new(), objects: Vec::new() }
    }

    /// Starts a tick: drops encodings of chunks no longer resident or changed since, and allows
    /// `budget` new encodings.
    pub fn begin_tick(&mut self, table: &ChunkTable, budget: usize) {
        let count = table.geometry().chunk_count();
        if self.slots.len() != count {
            self.slots.clear();
            self.slots.resize(count, None);
            self.filled.clear();
        }
        let slots = &mut self.slots;
        self.filled.retain(|&index| {
            let (cx, cy) = table.geometry().chunk_coords(index);
            let current = table.resident(cx, cy).map(|c| c.version);
            let keep = matches!((&slots[index], current), (Some(e), Some(v)) if e.version == v);
            if !keep {
                slots[index] = None;
            }
            keep
        });
        self.budget = budget;
    }

    /// The current encoding of chunk `index`, if any (valid for this tick after
    /// [`ChunkCache::begin_tick`]).
    pub fn get(&self, index: usize) -> Option<&EncodedChunk> {
        self.slots.get(index).and_then(Option::as_ref)
    }

    /// Encodings left this tick.
    pub fn budget_left(&self) -> usize {
        self.budget
    }

    /// Encodes chunk `(cx, cy)` unless it is already encoded, not resident, or this tick's
    /// allowance is used up; true when it encoded.
    pub fn ensure(&mut self, table: &ChunkTable, records: &Column<ObjectRecord>, cx: i32, cy: i32) -> bool {
        let Some(index) = table.geometry().chunk_index(cx, cy) else { return false };
        if self.get(index).is_some() || self.budget == 0 {
            return false;
        }
        let Some(chunk) = table.resident(cx, cy) else { return false };
        self.budget -= 1;
        let message = self.encode(chunk, records, cx, cy);
        self.slots[index] = Some(EncodedChunk { version: chunk.version, message });
        self.filled.push(index);
        true
    }

    /// Encodes one resident chunk as a whole `ChunkData` message.
    fn encode(&mut self, chunk: &ResidentChunk, records: &Column<ObjectRecord>, cx: i32, cy: i32) -> Bytes {
        self.objects.clear();
        self.objects.extend(chunk.objects.iter().filter_map(|&e| {
            let rec = records.get(e)?;
            let kind = u16::try_from(rec.kind).unwrap_or(u16::MAX);
            Some(WireObject { entity: e.to_bits(), kind, x: rec.pos.x, y: rec.pos.y })
        }));
        let (data, raw_len) = chunk_wire::encode(&chunk.tiles.terrain[..], &self.objects, &mut self.raw);
        let msg =
            ChunkData { map: self.map, cx, cy, version: chunk.version, raw_len, data: Bytes::from(data) };
        ServerMessage::ChunkData(msg).encode()
    }
}
