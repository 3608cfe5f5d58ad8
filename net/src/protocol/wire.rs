//! Fixed little-endian wire layouts of protocol v2 as zerocopy types (the byte after the type byte).
//!
//! All structs are `#[repr(C)]`, unaligned and padding-free, so `size_of` is the wire size and
//! the field order is the byte order documented in `schemas/protocol.md`.

use zerocopy::byteorder::little_endian::{I16, I32, U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::TOKEN_LEN;

/// `Hello` (0x01) fixed part, followed by `name_len` bytes of UTF-8 name. 35 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct HelloWire {
    /// Protocol version; always the first two bytes of `Hello` in every version.
    pub version: U16,
    /// Length of the name tail in bytes (0..=32).
    pub name_len: u8,
    /// Session token to resume, or all zeros.
    pub token: [u8; TOKEN_LEN],
}

/// `Input` (0x02). 22 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct InputWire {
    /// Client input sequence number, increasing by one per input.
    pub seq: U32,
    /// Order kind: 0 stop, 1 move-to, 2 follow, 3 interact, 4 attack.
    pub order: u8,
    /// Interaction action id (interact only, content-defined).
    pub action: u8,
    /// Target entity (follow, interact, attack).
    pub target: U64,
    /// Target x in 1/256 tile (move-to).
    pub x: I32,
    /// Target y in 1/256 tile (move-to).
    pub y: I32,
}

/// `Craft` (0x03). 16 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct CraftWire {
    /// Client-chosen request id echoed in an `Error` about this request.
    pub request: U32,
    /// Recipe id (content-defined).
    pub recipe: U16,
    /// How many times to craft (1..).
    pub count: U16,
    /// Crafting station entity, 0 = none (hand crafting).
    pub station: U64,
}

/// A container reference: 9 bytes, nested in item requests and container messages.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct ContainerRefWire {
    /// 0 the player's own inventory, 1 a world object, 2 a bag item; other values are malformed.
    pub kind: u8,
    /// Kind 0: 0; kind 1: the object's entity id; kind 2: the item id.
    pub id: U64,
}

/// One slot's content in container messages. 22 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct ItemSlotWire {
    /// Slot index.
    pub slot: U16,
    /// Item id, 0 = the slot is empty (in a change).
    pub item: U64,
    /// Item kind (content-defined).
    pub kind: U32,
    /// Quality.
    pub quality: U32,
    /// Stack size.
    pub count: U32,
}

/// `InventoryMove` (0x04). 36 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct InventoryMoveWire {
    /// Request id.
    pub request: U32,
    /// Source container.
    pub from: ContainerRefWire,
    /// Source slot.
    pub from_slot: U16,
    /// Source revision the client saw, 0 = do not check.
    pub from_revision: U32,
    /// Destination container.
    pub to: ContainerRefWire,
    /// Destination slot, 0xFFFF = anywhere (merge into stacks first, then the first free slot).
    pub to_slot: U16,
    /// Destination revision the client saw, 0 = do not check.
    pub to_revision: U32,
    /// Number of items to move.
    pub count: U16,
}

/// `Drop` (0x05). 21 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct DropWire {
    /// Request id.
    pub request: U32,
    /// Container the items are dropped from.
    pub container: ContainerRefWire,
    /// Slot.
    pub slot: U16,
    /// Revision the client saw, 0 = do not check.
    pub revision: U32,
    /// Number of items.
    pub count: U16,
}

/// `Pickup` (0x06). 12 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct PickupWire {
    /// Request id.
    pub request: U32,
    /// The pile object to pick up.
    pub item: U64,
}

/// `Ping` (0x07). 8 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct PingWire {
    /// Opaque value echoed in `Pong` (e.g. client time in microseconds).
    pub nonce: U64,
}

/// `Ack` (0x08). 12 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct AckWire {
    /// Tick of the newest `Frame` received.
    pub tick: U64,
    /// Bit `i` set: the frame of tick `tick - 1 - i` was received too.
    pub received: U32,
}

/// `CloseContainer` (0x09). 9 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct CloseContainerWire {
    /// The container the client no longer looks at.
    pub container: ContainerRefWire,
}

/// `Chat` (0x0A) fixed part; followed by `text_len` bytes of UTF-8 text. 6 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct ChatWire {
    /// Client-chosen request id, echoed in an `Error` about this message and in the speaker's
    /// own `ChatHeard`.
    pub request: U32,
    /// Text length in bytes (0..=1024).
    pub text_len: U16,
}

/// `Welcome` (0x81). 72 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct WelcomeWire {
    /// Protocol version the server speaks.
    pub version: U16,
    /// Simulation ticks per second.
    pub tick_rate_hz: U16,
    /// The player's own entity.
    pub player: U64,
    /// Current server tick.
    pub server_tick: U64,
    /// Map id the player is on.
    pub map: U32,
    /// Session token to present on reconnection.
    pub token: [u8; TOKEN_LEN],
    /// The character's position x where the server placed it, 1/256 tile.
    pub x: I32,
    /// The character's position y, 1/256 tile.
    pub y: I32,
    /// Width of the map in chunks (chunk x runs over `0..width_chunks`).
    pub width_chunks: U16,
    /// Height of the map in chunks (chunk y runs over `0..height_chunks`).
    pub height_chunks: U16,
    /// Continent of the map (`map >> 4`).
    pub continent: U16,
    /// Layer of the map on its continent (`map & 0xF`).
    pub layer: U16,
}

/// Own authoritative state inside `Frame`. 26 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct OwnStateWire {
    /// Position x, 1/256 tile.
    pub x: I32,
    /// Position y, 1/256 tile.
    pub y: I32,
    /// Velocity x, 1/256 tile per tick.
    pub vx: I16,
    /// Velocity y, 1/256 tile per tick.
    pub vy: I16,
    /// Hit points.
    pub hp: U16,
    /// Maximum hit points.
    pub max_hp: U16,
    /// Current order kind (same values as `Input.order`).
    pub order: u8,
    /// State flags (game-defined bits).
    pub flags: u8,
    /// Current order target entity, 0 = none.
    pub order_target: U64,
}

/// `Frame` (0x82) fixed part; followed by the enter, update and leave records. 44 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct FrameHeadWire {
    /// Server tick this frame describes.
    pub tick: U64,
    /// Last input sequence number the server applied.
    pub last_input_seq: U32,
    /// The player's own authoritative state.
    pub own: OwnStateWire,
    /// Number of `EntityEnterWire` records.
    pub enters: U16,
    /// Number of `EntityUpdateWire` records.
    pub updates: U16,
    /// Number of leaving entity ids (u64 each).
    pub leaves: U16,
}

/// An entity's state inside enter and update records. 16 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct EntityStateWire {
    /// Position x, 1/256 tile.
    pub x: I32,
    /// Position y, 1/256 tile.
    pub y: I32,
    /// Velocity x, 1/256 tile per tick.
    pub vx: I16,
    /// Velocity y, 1/256 tile per tick.
    pub vy: I16,
    /// Hit points.
    pub hp: U16,
    /// State flags.
    pub flags: U16,
}

/// An entity entering the client's area, with its full state. 26 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct EntityEnterWire {
    /// Entity id.
    pub id: U64,
    /// Entity kind (content-defined).
    pub kind: U16,
    /// Its state.
    pub state: EntityStateWire,
}

/// A change to an entity already known to the client. 24 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct EntityUpdateWire {
    /// Entity id.
    pub id: U64,
    /// Its state.
    pub state: EntityStateWire,
}

/// `ChunkData` (0x83) fixed part; followed by the zstd-compressed chunk (rest of message). 20 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct ChunkDataWire {
    /// Map id.
    pub map: U32,
    /// Chunk x (in chunks).
    pub cx: I32,
    /// Chunk y (in chunks).
    pub cy: I32,
    /// Chunk content version (increases on every change).
    pub version: U32,
    /// Size of the chunk once decompressed, in bytes.
    pub raw_len: U32,
}

/// `ChunkDrop` (0x84). 12 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct ChunkDropWire {
    /// Map id.
    pub map: U32,
    /// Chunk x.
    pub cx: I32,
    /// Chunk y.
    pub cy: I32,
}

/// `Redirect` (0x85) fixed part; followed by `addr_len` bytes of UTF-8 address. 33 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct RedirectWire {
    /// One-time token to present in the next `Hello`.
    pub token: [u8; TOKEN_LEN],
    /// Address length in bytes (1..=255).
    pub addr_len: u8,
}

/// `Error` (0x86) fixed part; followed by `text_len` bytes of UTF-8 text. 8 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct ErrorWire {
    /// Error code (see `schemas/protocol.md`).
    pub code: U16,
    /// Request id the error is about, 0 = none.
    pub request: U32,
    /// Text length in bytes (0..=1024).
    pub text_len: U16,
}

/// `Pong` (0x87). 16 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct PongWire {
    /// The `Ping.nonce` being answered.
    pub nonce: U64,
    /// Latest server tick known to the network layer.
    pub server_tick: U64,
}

/// An object as a client sees it: an entry of a `ChunkData` payload and the body of an
/// `ObjectDelta` record. 20 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct ObjectWire {
    /// Entity id.
    pub entity: U64,
    /// Object kind (content-defined).
    pub kind: U16,
    /// Position x, 1/256 tile.
    pub x: I32,
    /// Position y, 1/256 tile.
    pub y: I32,
    /// Content-defined state (growth stage, …).
    pub state: U16,
}

/// One record of an `ObjectDelta`. 21 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct ObjectChangeWire {
    /// 1 enter, 2 change, 3 leave.
    pub op: u8,
    /// The object (a leave carries only the entity; the other fields are zero).
    pub object: ObjectWire,
}

/// `ObjectDelta` (0x88) fixed part; followed by `count` [`ObjectChangeWire`] records. 22 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct ObjectDeltaWire {
    /// Map id.
    pub map: U32,
    /// Chunk x.
    pub cx: I32,
    /// Chunk y.
    pub cy: I32,
    /// The chunk version the records apply to.
    pub from_version: U32,
    /// The chunk version once they are applied.
    pub to_version: U32,
    /// Number of records.
    pub count: U16,
}

/// `ContainerContents` (0x89) fixed part; followed by `count` [`ItemSlotWire`] records. 17 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct ContainerContentsWire {
    /// The container.
    pub container: ContainerRefWire,
    /// Its revision.
    pub revision: U32,
    /// Its number of slots.
    pub capacity: U16,
    /// Number of slot records (occupied slots only).
    pub count: U16,
}

/// `ContainerChange` (0x8A) fixed part; followed by `count` [`ItemSlotWire`] records. 19 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct ContainerChangeWire {
    /// The container.
    pub container: ContainerRefWire,
    /// The revision the records apply to.
    pub base_revision: U32,
    /// The revision once they are applied.
    pub revision: U32,
    /// Number of slot records (changed slots only).
    pub count: U16,
}

/// `ContainerClosed` (0x8B). 10 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct ContainerClosedWire {
    /// The container the client no longer sees.
    pub container: ContainerRefWire,
    /// 0 closed on request, 1 out of reach, 2 gone, 3 replaced.
    pub reason: u8,
}

/// `ChatHeard` (0x8C) fixed part; followed by `name_len` bytes of UTF-8 name, a `u16`
/// text length and that many bytes of UTF-8 text. 21 bytes.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
#[repr(C)]
pub struct ChatHeardWire {
    /// The speaker's character entity.
    pub speaker: U64,
    /// The server tick the message was accepted at.
    pub tick: U64,
    /// The `Chat.request` in the speaker's own copy, 0 in everyone else's.
    pub request: U32,
    /// Length of the speaker's name in bytes (0..=32).
    pub name_len: u8,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    #[test]
    fn wire_sizes_match_the_spec() {
        assert_eq!(size_of::<HelloWire>(), 35);
        assert_eq!(size_of::<InputWire>(), 22);
        assert_eq!(size_of::<CraftWire>(), 16);
        assert_eq!(size_of::<InventoryMoveWire>(), 36);
        assert_eq!(size_of::<DropWire>(), 21);
        assert_eq!(size_of::<PickupWire>(), 12);
        assert_eq!(size_of::<PingWire>(), 8);
        assert_eq!(size_of::<AckWire>(), 12);
        assert_eq!(size_of::<WelcomeWire>(), 72);
        assert_eq!(size_of::<CloseContainerWire>(), 9);
        assert_eq!(size_of::<OwnStateWire>(), 26);
        assert_eq!(size_of::<FrameHeadWire>(), 44);
        assert_eq!(size_of::<EntityStateWire>(), 16);
        assert_eq!(size_of::<EntityEnterWire>(), 26);
        assert_eq!(size_of::<EntityUpdateWire>(), 24);
        assert_eq!(size_of::<ChunkDataWire>(), 20);
        assert_eq!(size_of::<ChunkDropWire>(), 12);
        assert_eq!(size_of::<RedirectWire>(), 33);
        assert_eq!(size_of::<ErrorWire>(), 8);
        assert_eq!(size_of::<PongWire>(), 16);
        assert_eq!(size_of::<ObjectWire>(), 20);
        assert_eq!(size_of::<ObjectChangeWire>(), 21);
        assert_eq!(size_of::<ObjectDeltaWire>(), 22);
        assert_eq!(size_of::<ContainerRefWire>(), 9);
        assert_eq!(size_of::<ItemSlotWire>(), 22);
        assert_eq!(size_of::<ContainerContentsWire>(), 17);
        assert_eq!(size_of::<ContainerChangeWire>(), 19);
        assert_eq!(size_of::<ContainerClosedWire>(), 10);
        assert_eq!(size_of::<ChatWire>(), 6);
        assert_eq!(size_of::<ChatHeardWire>(), 21);
    }
}
