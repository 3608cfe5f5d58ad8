//! Containers and items on the wire: the container reference and slot record that item requests
//! and the container messages share, and the three server messages that show a client a
//! container: `ContainerContents` (0x89, everything), `ContainerChange` (0x8A, changed slots
//! between two revisions) and `ContainerClosed` (0x8B, no longer shown).

use zerocopy::IntoBytes;
use zerocopy::byteorder::little_endian::{U16, U32, U64};

use super::wire::{
    ContainerChangeWire, ContainerClosedWire, ContainerContentsWire, ContainerRefWire, ItemSlotWire,
};
use super::{DecodeError, EntityId, msg_type, read_fixed};

/// `InventoryMove.to_slot` meaning "anywhere": merge into matching stacks first, then the first
/// free slot.
pub const ANY_SLOT: u16 = 0xFFFF;
/// Most slot records a container message may carry.
pub const MAX_CONTAINER_SLOTS: usize = 1024;
/// Bytes of one slot record ([`ItemSlotWire`]).
pub const ITEM_SLOT_LEN: usize = size_of::<ItemSlotWire>();
/// Bytes of a `ContainerContents` without slot records (type byte and fixed part).
pub const CONTAINER_CONTENTS_HEAD_LEN: usize = 1 + size_of::<ContainerContentsWire>();
/// Bytes of a `ContainerChange` without slot records (type byte and fixed part).
pub const CONTAINER_CHANGE_HEAD_LEN: usize = 1 + size_of::<ContainerChangeWire>();
/// Bytes of a `ContainerClosed` (type byte included).
pub const CONTAINER_CLOSED_LEN: usize = 1 + size_of::<ContainerClosedWire>();

/// The `kind` byte of a container reference.
pub mod container_kind {
    /// The player's own inventory (id 0).
    pub const OWN: u8 = 0;
    /// A world object (box, pile): id is its entity id.
    pub const OBJECT: u8 = 1;
    /// A bag item: id is its item id.
    pub const ITEM: u8 = 2;
}

/// The `reason` byte of `ContainerClosed`.
pub mod closed_reason {
    /// The client asked (`CloseContainer`).
    pub const ON_REQUEST: u8 = 0;
    /// The character walked out of reach.
    pub const OUT_OF_REACH: u8 = 1;
    /// The container is gone: the object was removed, or the bag left what the client sees.
    pub const GONE: u8 = 2;
    /// Another container was opened in its place.
    pub const REPLACED: u8 = 3;
    /// The largest defined reason; larger values are malformed.
    pub const MAX: u8 = REPLACED;
}

/// A container as the wire names it: 9 bytes, `u8 kind, u64 id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContainerRef {
    /// The player's own inventory (kind 0, id 0).
    Own,
    /// A world object known from ChunkData / ObjectDelta (kind 1, its entity id).
    Object(EntityId),
    /// A bag item (kind 2, its item id).
    Item(u64),
}

impl ContainerRef {
    /// Its `kind` byte ([`container_kind`]).
    pub fn kind(&self) -> u8 {
        match self {
            ContainerRef::Own => container_kind::OWN,
            ContainerRef::Object(_) => container_kind::OBJECT,
            ContainerRef::Item(_) => container_kind::ITEM,
        }
    }

    /// Its `id` field (0 for the own inventory).
    pub fn id(&self) -> u64 {
        match *self {
            ContainerRef::Own => 0,
            ContainerRef::Object(e) => e.0,
            ContainerRef::Item(item) => item,
        }
    }

    /// The fixed layout.
    pub fn to_wire(&self) -> ContainerRefWire {
        ContainerRefWire { kind: self.kind(), id: U64::new(self.id()) }
    }

    /// From the fixed layout; a kind above 2 is malformed. The id of kind 0 is ignored.
    pub fn from_wire(w: &ContainerRefWire) -> Result<Self, DecodeError> {
        let id = w.id.get();
        match w.kind {
            container_kind::OWN => Ok(ContainerRef::Own),
            container_kind::OBJECT => Ok(ContainerRef::Object(EntityId(id))),
            container_kind::ITEM => Ok(ContainerRef::Item(id)),
            other => Err(DecodeError::InvalidEnum { field: "container.kind", value: u32::from(other) }),
        }
    }
}

/// One slot's content: 22 bytes `u16 slot, u64 item, u32 kind, u32 quality, u32 count`. An
/// emptied slot (in a change) is item 0, kind 0, quality 0, count 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ItemSlot {
    /// Slot index.
    pub slot: u16,
    /// Item id (0: the slot is empty).
    pub item: u64,
    /// Item kind (content-defined).
    pub kind: u32,
    /// Quality.
    pub quality: u32,
    /// Stack size.
    pub count: u32,
}

impl ItemSlot {
    /// The record of an emptied slot.
    pub fn empty(slot: u16) -> Self {
        ItemSlot { slot, ..ItemSlot::default() }
    }

    /// True for the record of an emptied slot (item 0).
    pub fn is_empty(&self) -> bool {
        self.item == 0
    }

    /// The fixed layout.
    pub fn to_wire(&self) -> ItemSlotWire {
        ItemSlotWire {
            slot: U16::new(self.slot),
            item: U64::new(self.item),
            kind: U32::new(self.kind),
            quality: U32::new(self.quality),
            count: U32::new(self.count),
        }
    }

    /// From the fixed layout.
    pub fn from_wire(w: &ItemSlotWire) -> Self {
        ItemSlot {
            slot: w.slot.get(),
            item: w.item.get(),
            kind: w.kind.get(),
            quality: w.quality.get(),
            count: w.count.get(),
        }
    }
}

/// The full contents of a container (occupied slots only); whatever the client held of it
/// before is replaced. Sent whenever a client's view of a container (re)starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerContents {
    /// The container.
    pub container: ContainerRef,
    /// Its revision.
    pub revision: u32,
    /// Its number of slots.
    pub capacity: u16,
    /// The occupied slots (at most `min(capacity, 1024)` are encoded).
    pub slots: Vec<ItemSlot>,
}

impl ContainerContents {
    /// How many slot records are encoded: at most the capacity and [`MAX_CONTAINER_SLOTS`].
    fn encoded_slots(&self) -> usize {
        self.slots.len().min(usize::from(self.capacity)).min(MAX_CONTAINER_SLOTS)
    }

    /// Encoded size in bytes (type byte included).
    pub fn encoded_len(&self) -> usize {
        CONTAINER_CONTENTS_HEAD_LEN + self.encoded_slots() * ITEM_SLOT_LEN
    }

    /// Appends the fixed part and the slot records (no type byte) to `out`.
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        let slots = &self.slots[..self.encoded_slots()];
        let head = ContainerContentsWire {
            container: self.container.to_wire(),
            revision: U32::new(self.revision),
            capacity: U16::new(self.capacity),
            count: U16::new(slots.len() as u16),
        };
        out.reserve(self.encoded_len());
        out.extend_from_slice(head.as_bytes());
        encode_slots(slots, out);
    }

    /// Decodes the bytes after the type byte.
    pub(crate) fn decode_body(body: &[u8]) -> Result<Self, DecodeError> {
        let ty = msg_type::CONTAINER_CONTENTS;
        let (h, rest) = read_fixed::<ContainerContentsWire>(ty, body)?;
        let container = ContainerRef::from_wire(&h.container)?;
        let capacity = h.capacity.get();
        let max = usize::from(capacity).min(MAX_CONTAINER_SLOTS);
        let slots = decode_slots(ty, usize::from(h.count.get()), max, rest)?;
        Ok(ContainerContents { container, revision: h.revision.get(), capacity, slots })
    }
}

/// The slots of a container that changed between two revisions. A client holding the container
/// at `base_revision` applies them and then holds `revision`; any other client missed
/// something and waits for the next `ContainerContents`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerChange {
    /// The container.
    pub container: ContainerRef,
    /// The revision the records apply to.
    pub base_revision: u32,
    /// The revision once they are applied.
    pub revision: u32,
    /// The changed slots, an emptied one as [`ItemSlot::empty`] (at most 1024 are encoded).
    pub slots: Vec<ItemSlot>,
}

impl ContainerChange {
    fn encoded_slots(&self) -> usize {
        self.slots.len().min(MAX_CONTAINER_SLOTS)
    }

    /// Encoded size in bytes (type byte included).
    pub fn encoded_len(&self) -> usize {
        CONTAINER_CHANGE_HEAD_LEN + self.encoded_slots() * ITEM_SLOT_LEN
    }

    /// Appends the fixed part and the slot records (no type byte) to `out`.
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        let slots = &self.slots[..self.encoded_slots()];
        let head = ContainerChangeWire {
            container: self.container.to_wire(),
            base_revision: U32::new(self.base_revision),
            revision: U32::new(self.revision),
            count: U16::new(slots.len() as u16),
        };
        out.reserve(self.encoded_len());
        out.extend_from_slice(head.as_bytes());
        encode_slots(slots, out);
    }

    /// Decodes the bytes after the type byte.
    pub(crate) fn decode_body(body: &[u8]) -> Result<Self, DecodeError> {
        let ty = msg_type::CONTAINER_CHANGE;
        let (h, rest) = read_fixed::<ContainerChangeWire>(ty, body)?;
        let container = ContainerRef::from_wire(&h.container)?;
        let slots = decode_slots(ty, usize::from(h.count.get()), MAX_CONTAINER_SLOTS, rest)?;
        Ok(ContainerChange {
            container,
            base_revision: h.base_revision.get(),
            revision: h.revision.get(),
            slots,
        })
    }
}

/// The client no longer sees a container (and every bag inside it); it forgets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerClosed {
    /// The container.
    pub container: ContainerRef,
    /// Why ([`closed_reason`]).
    pub reason: u8,
}

impl ContainerClosed {
    /// Appends the fixed part (no type byte) to `out`.
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        let w = ContainerClosedWire { container: self.container.to_wire(), reason: self.reason };
        out.extend_from_slice(w.as_bytes());
    }

    /// Decodes the bytes after the type byte; a reason above 3 is malformed.
    pub(crate) fn decode_body(body: &[u8]) -> Result<Self, DecodeError> {
        let ty = msg_type::CONTAINER_CLOSED;
        let (w, rest) = read_fixed::<ContainerClosedWire>(ty, body)?;
        super::expect_end(ty, rest)?;
        let container = ContainerRef::from_wire(&w.container)?;
        if w.reason > closed_reason::MAX {
            return Err(DecodeError::InvalidEnum { field: "reason", value: u32::from(w.reason) });
        }
        Ok(ContainerClosed { container, reason: w.reason })
    }
}

fn encode_slots(slots: &[ItemSlot], out: &mut Vec<u8>) {
    for s in slots {
        out.extend_from_slice(s.to_wire().as_bytes());
    }
}

/// Reads `count` slot records that must fill `rest` exactly; a count over `max` is refused
/// before anything is allocated, so what is allocated is bounded by the message's own length.
fn decode_slots(ty: u8, count: usize, max: usize, rest: &[u8]) -> Result<Vec<ItemSlot>, DecodeError> {
    if count > max {
        return Err(DecodeError::TooManyRecords { msg_type: ty, count, max });
    }
    let need = count * ITEM_SLOT_LEN;
    if rest.len() < need {
        return Err(DecodeError::Truncated { msg_type: ty, need, got: rest.len() });
    }
    if rest.len() > need {
        return Err(DecodeError::TrailingBytes { msg_type: ty, extra: rest.len() - need });
    }
    let mut slots = Vec::with_capacity(count);
    for record in rest.chunks_exact(ITEM_SLOT_LEN) {
        let (w, _) = read_fixed::<ItemSlotWire>(ty, record)?;
        slots.push(ItemSlot::from_wire(&w));
    }
    Ok(slots)
}
