//! Encoded chunk messages, shared by every client that needs them (clients receive clones of
//! the same `Bytes`): per resident chunk version, its whole `ChunkData` (encodings bounded per
//! tick) and the `ObjectDelta`s bringing a client from an older version to it, one per older
//! version a client holds. A chunk's entry is dropped when its version changes.

use crate::chunk_wire::{self, WireObject};
use crate::chunks::{ChunkTable, ResidentChunk};
use crate::sim::object_log::ObjectOp;
use engine::{Column, Entity};
use net::Bytes;
use net::protocol::{ChunkData, EntityId, ObjectChange, ObjectDelta, ServerMessage};
use store::{MapId, ObjectRecord};

/// What one resident chunk version is encoded as.
#[derive(Debug, Clone)]
pub(crate) struct EncodedChunk {
    /// The resident version.
    pub version: u32,
    /// The whole `ChunkData` message at this version, once encoded.
    pub data: Option<Bytes>,
    /// `ObjectDelta` messages to this version, by the version they start from.
    deltas: Vec<(u32, Bytes)>,
}

impl EncodedChunk {
    /// The `ObjectDelta` from version `from` to this one, if encoded.
    pub fn delta(&self, from: u32) -> Option<&Bytes> {
        self.deltas.iter().find(|(v, _)| *v == from).map(|(_, m)| m)
    }
}

/// What [`ChunkCache::prepare`] encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prepared {
    /// Nothing: the client is current, the chunk is not resident, the message was encoded
    /// already, or the tick's allowance of `ChunkData` encodings is used up.
    Nothing,
    /// A `ChunkData`.
    Chunk,
    /// An `ObjectDelta`.
    Delta,
}

/// Encoded chunks by dense chunk index, plus reusable encoding buffers.
#[derive(Debug)]
pub(crate) struct ChunkCache {
    map: MapId,
    /// By dense chunk index.
    slots: Vec<Option<EncodedChunk>>,
    /// Indices of filled slots (swept every tick).
    filled: Vec<usize>,
    /// `ChunkData` encodings left this tick.
    budget: usize,
    buffers: Buffers,
}

impl ChunkCache {
    /// An empty cache for map `map`.
    pub fn new(map: MapId) -> Self {
        Self { map, slots: Vec::new(), filled: Vec::new(), budget: 0, buffers: Buffers::default() }
    }

    /// Starts a tick: drops the entries of chunks no longer resident or changed since, and
    /// allows `budget` new `ChunkData` encodings.
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

    /// The current entry of chunk `index`, if any (valid for this tick after
    /// [`ChunkCache::begin_tick`]).
    pub fn get(&self, index: usize) -> Option<&EncodedChunk> {
        self.slots.get(index).and_then(Option::as_ref)
    }

    /// Encodes what a client holding chunk `(cx, cy)` at version `held` (`None`: not at all)
    /// lacks, unless it is encoded already: nothing when it holds the current version, the
    /// `ObjectDelta` from `held` when the chunk's log reaches back to it, otherwise the whole
    /// `ChunkData` if this tick's allowance is not used up.
    pub fn prepare(
        &mut self,
        table: &ChunkTable,
        records: &Column<ObjectRecord>,
        (cx, cy): (i32, i32),
        held: Option<u32>,
    ) -> Prepared {
        let Some(index) = table.geometry().chunk_index(cx, cy) else { return Prepared::Nothing };
        let Some(chunk) = table.resident(cx, cy) else { return Prepared::Nothing };
        if self.slots[index].is_none() {
            self.filled.push(index);
        }
        // The entry exists even for a client that is current, so it is not asked again.
        let entry = self.slots[index].get_or_insert_with(|| EncodedChunk {
            version: chunk.version,
            data: None,
            deltas: Vec::new(),
        });
        if held == Some(chunk.version) {
            return Prepared::Nothing;
        }
        let at = Place { map: self.map, cx, cy };
        match held.filter(|&from| chunk.log.covers(from, chunk.version)) {
            Some(from) if entry.delta(from).is_none() => {
                entry.deltas.push((from, self.buffers.delta(at, chunk, records, from)));
                Prepared::Delta
            }
            None if entry.data.is_none() && self.budget > 0 => {
                self.budget -= 1;
                entry.data = Some(self.buffers.chunk(at, chunk, records));
                Prepared::Chunk
            }
            _ => Prepared::Nothing,
        }
    }
}

/// Which chunk a message is about.
#[derive(Debug, Clone, Copy)]
struct Place {
    map: MapId,
    cx: i32,
    cy: i32,
}

/// Encoding buffers, reused from message to message.
#[derive(Debug, Default)]
struct Buffers {
    raw: Vec<u8>,
    objects: Vec<WireObject>,
    logged: Vec<(Entity, ObjectOp)>,
    changes: Vec<ObjectChange>,
}

impl Buffers {
    /// One resident chunk as a whole `ChunkData` message.
    fn chunk(&mut self, at: Place, chunk: &ResidentChunk, records: &Column<ObjectRecord>) -> Bytes {
        let (map, cx, cy, version) = (at.map, at.cx, at.cy, chunk.version);
        self.objects.clear();
        // An object stored with the chunk but lying outside it (a damaged record) cannot be
        // encoded; nor can objects past the payload's limit. Both are left out, not the chunk.
        let inside = |o: &WireObject| chunk_wire::local_position(cx, cy, o.x, o.y).is_some();
        let objects = chunk.objects.iter().filter_map(|&e| records.get(e).map(|r| wire_object(e, r)));
        self.objects.extend(objects.filter(inside).take(chunk_wire::MAX_OBJECTS));
        let skipped = chunk.objects.len() - self.objects.len();
        if skipped > 0 {
            tracing::debug!(
                map,
                cx,
                cy,
                skipped,
                "objects without a record, outside the chunk or past the limit left out of a ChunkData"
            );
        }
        let terrain = &chunk.tiles.terrain;
        // The filter above leaves nothing to refuse; were something refused, the terrain alone
        // still lets clients move.
        let (data, raw_len) = chunk_wire::encode((cx, cy), terrain, &mut self.objects, &mut self.raw)
            .or_else(|_| chunk_wire::encode((cx, cy), terrain, &mut [], &mut self.raw))
            .unwrap_or_default();
        let msg = ChunkData { map, cx, cy, version, raw_len, data: Bytes::from(data) };
        ServerMessage::ChunkData(msg).encode()
    }

    /// The `ObjectDelta` from version `from` (which the chunk's log covers) to the chunk's
    /// current one: each object changed since, once, with its current record.
    fn delta(
        &mut self,
        at: Place,
        chunk: &ResidentChunk,
        records: &Column<ObjectRecord>,
        from: u32,
    ) -> Bytes {
        chunk.log.changes_since(from, chunk.version, &mut self.logged);
        self.changes.clear();
        self.changes.extend(self.logged.iter().map(|&(e, op)| match (op, records.get(e)) {
            (ObjectOp::Enter, Some(r)) => ObjectChange::Enter(wire_object(e, r)),
            (ObjectOp::Change, Some(r)) => ObjectChange::Change(wire_object(e, r)),
            // Gone, or no record left to describe it: gone for the client too.
            _ => ObjectChange::Leave(EntityId(e.to_bits())),
        }));
        let delta = ObjectDelta {
            map: at.map,
            cx: at.cx,
            cy: at.cy,
            from_version: from,
            to_version: chunk.version,
            changes: std::mem::take(&mut self.changes),
        };
        let msg = ServerMessage::ObjectDelta(delta);
        let bytes = msg.encode();
        if let ServerMessage::ObjectDelta(d) = msg {
            self.changes = d.changes;
        }
        bytes
    }
}

/// An object as clients see it: its kind, and its stage as the wire's `state`.
fn wire_object(e: Entity, r: &ObjectRecord) -> WireObject {
    let kind = u16::try_from(r.kind).unwrap_or(u16::MAX);
    WireObject { id: EntityId(e.to_bits()), kind, x: r.pos.x, y: r.pos.y, state: r.stage }
}
