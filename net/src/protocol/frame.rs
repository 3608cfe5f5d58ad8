//! The per-tick `Frame` message: own authoritative state plus entity enter/update/leave records.

use bytes::Bytes;
use zerocopy::IntoBytes;
use zerocopy::byteorder::little_endian::{I16, I32, U16, U32, U64};

use super::state::dead_reckon;
use super::wire::{EntityEnterWire, EntityUpdateWire, FrameHeadWire, OwnStateWire};
use super::{DecodeError, EntityId, EntityState, expect_end, msg_type, read_fixed};

/// The player's own authoritative state (for prediction reconciliation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OwnState {
    /// Position x, 1/256 tile.
    pub x: i32,
    /// Position y, 1/256 tile.
    pub y: i32,
    /// Velocity x, 1/256 tile per tick.
    pub vx: i16,
    /// Velocity y, 1/256 tile per tick.
    pub vy: i16,
    /// Hit points.
    pub hp: u16,
    /// Maximum hit points.
    pub max_hp: u16,
    /// Current order kind (0 stop, 1 move-to, 2 follow, 3 interact, 4 attack).
    pub order: u8,
    /// Game-defined flags.
    pub flags: u8,
    /// Current order target.
    pub order_target: EntityId,
}

/// An entity entering the client's area, with full state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EntityEnter {
    /// Entity id.
    pub id: EntityId,
    /// Content-defined kind.
    pub kind: u16,
    /// Its state.
    pub state: EntityState,
}

/// A change of an entity the client already knows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EntityUpdate {
    /// Entity id.
    pub id: EntityId,
    /// Its new state.
    pub state: EntityState,
}

/// A decoded `Frame`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    /// Server tick.
    pub tick: u64,
    /// Last applied input sequence number.
    pub last_input_seq: u32,
    /// Own authoritative state.
    pub own: OwnState,
    /// Entities entering the area.
    pub enters: Vec<EntityEnter>,
    /// Entities that changed.
    pub updates: Vec<EntityUpdate>,
    /// Entities leaving the area.
    pub leaves: Vec<EntityId>,
}

impl OwnState {
    /// Position `ticks` after the frame's tick, by the same dead reckoning as
    /// [`EntityState::position_at`].
    pub fn position_at(&self, ticks: u64) -> (i64, i64) {
        (dead_reckon(self.x, self.vx, ticks), dead_reckon(self.y, self.vy, ticks))
    }
}

fn own_wire(o: &OwnState) -> OwnStateWire {
    OwnStateWire {
        x: I32::new(o.x),
        y: I32::new(o.y),
        vx: I16::new(o.vx),
        vy: I16::new(o.vy),
        hp: U16::new(o.hp),
        max_hp: U16::new(o.max_hp),
        order: o.order,
        flags: o.flags,
        order_target: U64::new(o.order_target.0),
    }
}

fn own_from(w: &OwnStateWire) -> OwnState {
    OwnState {
        x: w.x.get(),
        y: w.y.get(),
        vx: w.vx.get(),
        vy: w.vy.get(),
        hp: w.hp.get(),
        max_hp: w.max_hp.get(),
        order: w.order,
        flags: w.flags,
        order_target: EntityId(w.order_target.get()),
    }
}

fn enter_wire(e: &EntityEnter) -> EntityEnterWire {
    EntityEnterWire { id: U64::new(e.id.0), kind: U16::new(e.kind), state: e.state.to_wire() }
}

fn enter_from(w: &EntityEnterWire) -> EntityEnter {
    EntityEnter { id: EntityId(w.id.get()), kind: w.kind.get(), state: EntityState::from_wire(&w.state) }
}

fn update_wire(u: &EntityUpdate) -> EntityUpdateWire {
    EntityUpdateWire { id: U64::new(u.id.0), state: u.state.to_wire() }
}

fn update_from(w: &EntityUpdateWire) -> EntityUpdate {
    EntityUpdate { id: EntityId(w.id.get()), state: EntityState::from_wire(&w.state) }
}

/// Builds an encoded `Frame` record by record, without an intermediate `Frame` value.
///
/// Record counts are u16 on the wire: records past 65,535 of one kind are refused
/// (`push_*` returns false) so the game can carry them over to the next tick.
#[derive(Debug)]
pub struct FrameBuilder {
    head: FrameHeadWire,
    enters: Vec<u8>,
    updates: Vec<u8>,
    leaves: Vec<u8>,
}

impl FrameBuilder {
    /// Starts a frame for `tick` with the player's own state.
    pub fn new(tick: u64, last_input_seq: u32, own: &OwnState) -> Self {
        let head = FrameHeadWire {
            tick: U64::new(tick),
            last_input_seq: U32::new(last_input_seq),
            own: own_wire(own),
            ..FrameHeadWire::default()
        };
        FrameBuilder { head, enters: Vec::new(), updates: Vec::new(), leaves: Vec::new() }
    }

    /// Adds an enter record; false if the frame already holds 65,535 of them.
    pub fn push_enter(&mut self, e: &EntityEnter) -> bool {
        bump(&mut self.head.enters) && {
            self.enters.extend_from_slice(enter_wire(e).as_bytes());
            true
        }
    }

    /// Adds an update record; false if the frame already holds 65,535 of them.
    pub fn push_update(&mut self, u: &EntityUpdate) -> bool {
        bump(&mut self.head.updates) && {
            self.updates.extend_from_slice(update_wire(u).as_bytes());
            true
        }
    }

    /// Adds an update record encoded beforehand with [`EntityUpdate::record`] (one encoding
    /// shared by every client that needs it); false if the frame already holds 65,535.
    pub fn push_update_record(&mut self, record: &[u8; UPDATE_RECORD_LEN]) -> bool {
        bump(&mut self.head.updates) && {
            self.updates.extend_from_slice(record);
            true
        }
    }

    /// Empties the frame for reuse with a new head, keeping the buffers' capacity.
    pub fn reset(&mut self, tick: u64, last_input_seq: u32, own: &OwnState) {
        let head = FrameHeadWire {
            tick: U64::new(tick),
            last_input_seq: U32::new(last_input_seq),
            own: own_wire(own),
            ..FrameHeadWire::default()
        };
        self.head = head;
        self.enters.clear();
        self.updates.clear();
        self.leaves.clear();
    }

    /// Number of records so far (enters + updates + leaves).
    pub fn records(&self) -> usize {
        usize::from(self.head.enters.get())
            + usize::from(self.head.updates.get())
            + usize::from(self.head.leaves.get())
    }

    /// Adds a leave record; false if the frame already holds 65,535 of them.
    pub fn push_leave(&mut self, id: EntityId) -> bool {
        bump(&mut self.head.leaves) && {
            self.leaves.extend_from_slice(U64::new(id.0).as_bytes());
            true
        }
    }

    /// Encoded size in bytes of the frame so far (for bandwidth budgets).
    pub fn encoded_len(&self) -> usize {
        1 + size_of::<FrameHeadWire>() + self.enters.len() + self.updates.len() + self.leaves.len()
    }

    /// Appends the encoded frame to `out`.
    pub fn finish_into(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.push(msg_type::FRAME);
        out.extend_from_slice(self.head.as_bytes());
        out.extend_from_slice(&self.enters);
        out.extend_from_slice(&self.updates);
        out.extend_from_slice(&self.leaves);
    }

    /// Returns the encoded frame as shareable bytes.
    pub fn finish(&self) -> Bytes {
        let mut out = Vec::new();
        self.finish_into(&mut out);
        Bytes::from(out)
    }
}

fn bump(count: &mut U16) -> bool {
    match count.get().checked_add(1) {
        Some(n) => {
            count.set(n);
            true
        }
        None => false,
    }
}

/// Bytes of one encoded update record.
pub const UPDATE_RECORD_LEN: usize = 24;
/// Bytes of one encoded enter record.
pub const ENTER_RECORD_LEN: usize = 26;
/// Bytes of a frame with no records (type byte and head).
pub const FRAME_HEAD_LEN: usize = 45;

impl EntityUpdate {
    /// The record's wire bytes, for [`FrameBuilder::push_update_record`].
    pub fn record(&self) -> [u8; UPDATE_RECORD_LEN] {
        let mut out = [0u8; UPDATE_RECORD_LEN];
        out.copy_from_slice(update_wire(self).as_bytes());
        out
    }
}

impl Frame {
    /// Appends the encoded frame to `out` (records past 65,535 per kind are not encoded).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let mut b = FrameBuilder::new(self.tick, self.last_input_seq, &self.own);
        self.enters.iter().take(usize::from(u16::MAX)).for_each(|e| _ = b.push_enter(e));
        self.updates.iter().take(usize::from(u16::MAX)).for_each(|u| _ = b.push_update(u));
        self.leaves.iter().take(usize::from(u16::MAX)).for_each(|&l| _ = b.push_leave(l));
        b.finish_into(out);
    }

    /// Decodes a `Frame` body (the bytes after the type byte).
    pub(crate) fn decode_body(body: &[u8]) -> Result<Frame, DecodeError> {
        let ty = msg_type::FRAME;
        let (h, mut rest) = read_fixed::<FrameHeadWire>(ty, body)?;
        let need = usize::from(h.enters.get()) * size_of::<EntityEnterWire>()
            + usize::from(h.updates.get()) * size_of::<EntityUpdateWire>()
            + usize::from(h.leaves.get()) * 8;
        if rest.len() < need {
            return Err(DecodeError::Truncated { msg_type: ty, need, got: rest.len() });
        }
        let enters = read_records(ty, &mut rest, h.enters.get(), enter_from)?;
        let updates = read_records(ty, &mut rest, h.updates.get(), update_from)?;
        let leaves = read_records(ty, &mut rest, h.leaves.get(), |w: &U64| EntityId(w.get()))?;
        expect_end(ty, rest)?;
        Ok(Frame {
            tick: h.tick.get(),
            last_input_seq: h.last_input_seq.get(),
            own: own_from(&h.own),
            enters,
            updates,
            leaves,
        })
    }
}

fn read_records<W, T>(
    ty: u8,
    rest: &mut &[u8],
    count: u16,
    convert: impl Fn(&W) -> T,
) -> Result<Vec<T>, DecodeError>
where
    W: zerocopy::FromBytes + zerocopy::KnownLayout + zerocopy::Immutable,
{
    let mut out = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let (w, tail) = read_fixed::<W>(ty, rest)?;
        out.push(convert(&w));
        *rest = tail;
    }
    Ok(out)
}
