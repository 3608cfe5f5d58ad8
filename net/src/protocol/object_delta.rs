//! `ObjectDelta` (0x88): the objects of one chunk that entered, changed or left between two
//! chunk versions, as small fixed records instead of a new `ChunkData`. Also the one object
//! layout ([`WireObject`]) that `ChunkData` payloads reuse for their object entries.

use zerocopy::IntoBytes;
use zerocopy::byteorder::little_endian::{I32, U16, U32, U64};

use super::wire::{ObjectChangeWire, ObjectDeltaWire, ObjectWire};
use super::{DecodeError, EntityId, msg_type, read_fixed};

/// Bytes of one object entry ([`ObjectWire`]).
pub const OBJECT_ENTRY_LEN: usize = size_of::<ObjectWire>();
/// Bytes of one `ObjectDelta` record ([`ObjectChangeWire`]).
pub const OBJECT_CHANGE_LEN: usize = size_of::<ObjectChangeWire>();
/// Bytes of an `ObjectDelta` without records (type byte and fixed part).
pub const OBJECT_DELTA_HEAD_LEN: usize = 1 + size_of::<ObjectDeltaWire>();

/// The `op` byte of an `ObjectDelta` record.
pub mod object_op {
    /// The object appeared in the chunk.
    pub const ENTER: u8 = 1;
    /// The object's kind or state changed.
    pub const CHANGE: u8 = 2;
    /// The object is gone.
    pub const LEAVE: u8 = 3;
}

/// An object as a client sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WireObject {
    /// Entity id.
    pub id: EntityId,
    /// Content-defined kind.
    pub kind: u16,
    /// Position x, 1/256 tile.
    pub x: i32,
    /// Position y, 1/256 tile.
    pub y: i32,
    /// Content-defined state (growth stage, …; 0 when the kind has none).
    pub state: u16,
}

impl WireObject {
    /// The fixed layout.
    pub fn to_wire(&self) -> ObjectWire {
        ObjectWire {
            entity: U64::new(self.id.0),
            kind: U16::new(self.kind),
            x: I32::new(self.x),
            y: I32::new(self.y),
            state: U16::new(self.state),
        }
    }

    /// From the fixed layout.
    pub fn from_wire(w: &ObjectWire) -> Self {
        WireObject {
            id: EntityId(w.entity.get()),
            kind: w.kind.get(),
            x: w.x.get(),
            y: w.y.get(),
            state: w.state.get(),
        }
    }

    /// Appends the [`OBJECT_ENTRY_LEN`] bytes of the entry to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.to_wire().as_bytes());
    }

    /// Reads an entry from exactly [`OBJECT_ENTRY_LEN`] bytes; `None` for any other length.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        use zerocopy::FromBytes;
        ObjectWire::read_from_bytes(bytes).ok().map(|w| Self::from_wire(&w))
    }
}

/// One record of an `ObjectDelta`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectChange {
    /// The object appeared (placed, dropped, grown): add it.
    Enter(WireObject),
    /// The object's kind or state changed: replace it.
    Change(WireObject),
    /// The object is gone (picked up, chopped): remove it.
    Leave(EntityId),
}

impl ObjectChange {
    /// The entity the record is about.
    pub fn id(&self) -> EntityId {
        match self {
            ObjectChange::Enter(o) | ObjectChange::Change(o) => o.id,
            ObjectChange::Leave(id) => *id,
        }
    }

    fn to_wire(self) -> ObjectChangeWire {
        let (op, object) = match self {
            ObjectChange::Enter(o) => (object_op::ENTER, o.to_wire()),
            ObjectChange::Change(o) => (object_op::CHANGE, o.to_wire()),
            ObjectChange::Leave(id) => {
                (object_op::LEAVE, ObjectWire { entity: U64::new(id.0), ..ObjectWire::default() })
            }
        };
        ObjectChangeWire { op, object }
    }

    fn from_wire(w: &ObjectChangeWire) -> Result<Self, DecodeError> {
        let object = WireObject::from_wire(&w.object);
        match w.op {
            object_op::ENTER => Ok(ObjectChange::Enter(object)),
            object_op::CHANGE => Ok(ObjectChange::Change(object)),
            object_op::LEAVE => Ok(ObjectChange::Leave(object.id)),
            other => Err(DecodeError::InvalidEnum { field: "op", value: u32::from(other) }),
        }
    }
}

/// The objects of one chunk that changed between two versions of it. A client holding the
/// chunk at `from_version` applies the changes in order and then holds `to_version`; a client
/// holding any other version ignores the message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectDelta {
    /// Map id.
    pub map: u32,
    /// Chunk x.
    pub cx: i32,
    /// Chunk y.
    pub cy: i32,
    /// The version the changes apply to.
    pub from_version: u32,
    /// The version once they are applied.
    pub to_version: u32,
    /// The changes, in order (at most 65,535 are encoded).
    pub changes: Vec<ObjectChange>,
}

impl ObjectDelta {
    /// Encoded size in bytes (type byte included).
    pub fn encoded_len(&self) -> usize {
        OBJECT_DELTA_HEAD_LEN + self.changes.len().min(usize::from(u16::MAX)) * OBJECT_CHANGE_LEN
    }

    /// Appends the fixed part and the records (no type byte) to `out`.
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        let changes = &self.changes[..self.changes.len().min(usize::from(u16::MAX))];
        let head = ObjectDeltaWire {
            map: U32::new(self.map),
            cx: I32::new(self.cx),
            cy: I32::new(self.cy),
            from_version: U32::new(self.from_version),
            to_version: U32::new(self.to_version),
            count: U16::new(changes.len() as u16),
        };
        out.reserve(self.encoded_len());
        out.extend_from_slice(head.as_bytes());
        for c in changes {
            out.extend_from_slice(c.to_wire().as_bytes());
        }
    }

    /// Decodes the bytes after the type byte. The records must fill the rest of the message
    /// exactly, so what is allocated is bounded by the message's own length.
    pub(crate) fn decode_body(body: &[u8]) -> Result<Self, DecodeError> {
        let ty = msg_type::OBJECT_DELTA;
        let (h, rest) = read_fixed::<ObjectDeltaWire>(ty, body)?;
        let need = usize::from(h.count.get()) * OBJECT_CHANGE_LEN;
        if rest.len() < need {
            return Err(DecodeError::Truncated { msg_type: ty, need, got: rest.len() });
        }
        if rest.len() > need {
            return Err(DecodeError::TrailingBytes { msg_type: ty, extra: rest.len() - need });
        }
        let mut changes = Vec::with_capacity(usize::from(h.count.get()));
        for record in rest.chunks_exact(OBJECT_CHANGE_LEN) {
            let (w, _) = read_fixed::<ObjectChangeWire>(ty, record)?;
            changes.push(ObjectChange::from_wire(&w)?);
        }
        Ok(ObjectDelta {
            map: h.map.get(),
            cx: h.cx.get(),
            cy: h.cy.get(),
            from_version: h.from_version.get(),
            to_version: h.to_version.get(),
            changes,
        })
    }
}
