//! Protocol v2: message types, shared identifiers and the encoders/decoders for both directions.
//!
//! Every WebSocket binary message carries exactly one protocol message. Byte 0 is the message type;
//! the rest is a fixed little-endian layout (see [`wire`]) optionally followed by a variable tail
//! whose length is given in the fixed part. `schemas/protocol.md` is the normative description.

mod chat;
mod client_msg;
mod codes;
mod containers;
mod crafting;
mod error;
mod frame;
mod object_delta;
mod planting;
mod server_msg;
mod state;
mod survival;
pub mod wire;

pub use chat::{CHAT_HEAD_LEN, CHAT_HEARD_HEAD_LEN, Chat, ChatHeard, MAX_CHAT_TEXT_LEN};
pub use client_msg::{
    Ack, ClientMessage, CloseContainer, Craft, Drop, Hello, Input, InventoryMove, Order, Pickup,
    encode_hello_with_version,
};
pub use codes::{close_code, error_code, order_code};
pub use containers::{
    ANY_SLOT, CONTAINER_CHANGE_HEAD_LEN, CONTAINER_CLOSED_LEN, CONTAINER_CONTENTS_HEAD_LEN, ContainerChange,
    ContainerClosed, ContainerContents, ContainerRef, ITEM_SLOT_LEN, ItemSlot, MAX_CONTAINER_SLOTS,
    closed_reason, container_kind,
};
pub use crafting::{CRAFT_PROGRESS_LEN, CraftProgress, craft_state};
pub use error::DecodeError;
pub use frame::{
    ENTER_RECORD_LEN, EntityEnter, EntityUpdate, FRAME_HEAD_LEN, Frame, FrameBuilder, OwnState,
    UPDATE_RECORD_LEN,
};
pub use object_delta::{
    OBJECT_CHANGE_LEN, OBJECT_DELTA_HEAD_LEN, OBJECT_ENTRY_LEN, ObjectChange, ObjectDelta, WireObject,
    object_op,
};
pub use planting::{PLANT_LEN, Plant};
pub use server_msg::{ChunkData, ChunkDrop, ErrorMsg, Pong, Redirect, ServerMessage, WELCOME_LEN, Welcome};
pub use state::{EntityState, MAX_RECKON_TICKS, dead_reckon};
pub use survival::{STATS_LEN, Stats, USE_ITEM_LEN, UseItem};

/// The protocol version this crate speaks; sent in `Hello` and echoed in `Welcome`.
pub const PROTOCOL_VERSION: u16 = 2;
/// Length in bytes of a session token or one-time redirect token.
pub const TOKEN_LEN: usize = 32;
/// Maximum length in bytes of a player name (UTF-8).
pub const MAX_NAME_LEN: usize = 32;
/// Maximum length in bytes of the text of an `Error` message (UTF-8).
pub const MAX_ERROR_TEXT_LEN: usize = 1024;
/// Maximum length in bytes of a redirect address (UTF-8).
pub const MAX_ADDRESS_LEN: usize = 255;
/// Fixed-point scale of positions: one tile is this many units.
pub const POSITION_SCALE: i32 = 256;

/// Message type bytes (byte 0 of every message).
pub mod msg_type {
    /// Client → server: first message, protocol version, name, session token.
    pub const HELLO: u8 = 0x01;
    /// Client → server: one order with its input sequence number.
    pub const INPUT: u8 = 0x02;
    /// Client → server: craft a recipe.
    pub const CRAFT: u8 = 0x03;
    /// Client → server: move items from a slot of one container to another (or the same).
    pub const INVENTORY_MOVE: u8 = 0x04;
    /// Client → server: drop items from a slot on the ground (a pile object).
    pub const DROP: u8 = 0x05;
    /// Client → server: pick up an item entity.
    pub const PICKUP: u8 = 0x06;
    /// Client → server: latency probe, answered by `PONG`.
    pub const PING: u8 = 0x07;
    /// Client → server: which recent frames arrived (deltas are built against them).
    pub const ACK: u8 = 0x08;
    /// Client → server: stop looking at a container.
    pub const CLOSE_CONTAINER: u8 = 0x09;
    /// Client → server: use the item in a slot (eat food).
    pub const USE_ITEM: u8 = 0x0B;
    /// Client → server: a line of text said to everyone near the character.
    pub const CHAT: u8 = 0x0A;
    /// Client → server: plant one seed from a slot at a point.
    pub const PLANT: u8 = 0x0C;
    /// Server → client: the session is accepted.
    pub const WELCOME: u8 = 0x81;
    /// Server → client: per-tick state.
    pub const FRAME: u8 = 0x82;
    /// Server → client: one compressed chunk.
    pub const CHUNK_DATA: u8 = 0x83;
    /// Server → client: a chunk left the client's area.
    pub const CHUNK_DROP: u8 = 0x84;
    /// Server → client: reconnect to another shard.
    pub const REDIRECT: u8 = 0x85;
    /// Server → client: an error code and text.
    pub const ERROR: u8 = 0x86;
    /// Server → client: answer to `PING`.
    pub const PONG: u8 = 0x87;
    /// Server → client: objects of a held chunk that entered, changed or left.
    pub const OBJECT_DELTA: u8 = 0x88;
    /// Server → client: the full contents of a container the client sees.
    pub const CONTAINER_CONTENTS: u8 = 0x89;
    /// Server → client: the slots of a container that changed between two revisions.
    pub const CONTAINER_CHANGE: u8 = 0x8A;
    /// Server → client: a container is no longer shown.
    pub const CONTAINER_CLOSED: u8 = 0x8B;
    /// Server → client: the own character's vitals and experience.
    pub const STATS: u8 = 0x8D;
    /// Server → client: a line said near the client's character.
    pub const CHAT_HEARD: u8 = 0x8C;
    /// Server → client: what became of an accepted Craft (started, done, cancelled, failed).
    pub const CRAFT_PROGRESS: u8 = 0x8E;

    /// The message's name as in `schemas/protocol.md` (`Input`), `None` for an unknown type.
    pub fn name(msg_type: u8) -> Option<&'static str> {
        Some(match msg_type {
            HELLO => "Hello",
            INPUT => "Input",
            CRAFT => "Craft",
            INVENTORY_MOVE => "InventoryMove",
            DROP => "Drop",
            PICKUP => "Pickup",
            PING => "Ping",
            ACK => "Ack",
            WELCOME => "Welcome",
            FRAME => "Frame",
            CHUNK_DATA => "ChunkData",
            CHUNK_DROP => "ChunkDrop",
            REDIRECT => "Redirect",
            ERROR => "Error",
            PONG => "Pong",
            OBJECT_DELTA => "ObjectDelta",
            CLOSE_CONTAINER => "CloseContainer",
            CONTAINER_CONTENTS => "ContainerContents",
            CONTAINER_CHANGE => "ContainerChange",
            CONTAINER_CLOSED => "ContainerClosed",
            USE_ITEM => "UseItem",
            STATS => "Stats",
            CHAT => "Chat",
            PLANT => "Plant",
            CHAT_HEARD => "ChatHeard",
            CRAFT_PROGRESS => "CraftProgress",
            _ => return None,
        })
    }
}

/// An entity id on the wire: index in the low 32 bits, generation in the high 32 bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(pub u64);

impl EntityId {
    /// The "no entity" value (0).
    pub const NONE: EntityId = EntityId(0);

    /// Builds an id from its index and generation.
    pub fn from_parts(index: u32, generation: u32) -> Self {
        EntityId(u64::from(index) | (u64::from(generation) << 32))
    }

    /// The slot index part.
    pub fn index(self) -> u32 {
        self.0 as u32
    }

    /// The generation part.
    pub fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

/// An opaque 32-byte session token or one-time redirect token; all zeros means "none".
///
/// A client that logs in under a new name should send a token of its own from
/// [`SessionToken::random`] and keep it: the server stores only its hash, and a retry with the
/// same token after a cut connection gets the same character (protocol §2).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SessionToken(pub [u8; TOKEN_LEN]);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A secret: never printed into logs.
        f.write_str(if self.is_none() { "SessionToken(none)" } else { "SessionToken(…)" })
    }
}

impl SessionToken {
    /// The empty token (a new session is requested).
    pub const NONE: SessionToken = SessionToken([0; TOKEN_LEN]);

    /// A fresh secret from the operating system's random source (never all zeros).
    pub fn random() -> Result<SessionToken, getrandom::Error> {
        let mut bytes = [0u8; TOKEN_LEN];
        while bytes == [0; TOKEN_LEN] {
            getrandom::fill(&mut bytes)?;
        }
        Ok(SessionToken(bytes))
    }

    /// True for the all-zero token.
    pub fn is_none(&self) -> bool {
        self.0 == [0; TOKEN_LEN]
    }
}

/// Reads a fixed layout `T` from the front of `bytes`, or reports a truncated message (lengths
/// relative to `bytes`; the message's decoder restates them with [`DecodeError::in_message`]).
pub(crate) fn read_fixed<T>(msg_type: u8, bytes: &[u8]) -> Result<(T, &[u8]), DecodeError>
where
    T: zerocopy::FromBytes + zerocopy::KnownLayout + zerocopy::Immutable,
{
    T::read_from_prefix(bytes).map_err(|_| DecodeError::Truncated {
        msg_type,
        need: std::mem::size_of::<T>(),
        got: bytes.len(),
    })
}

/// Fails if bytes remain after a message's last field.
pub(crate) fn expect_end(msg_type: u8, rest: &[u8]) -> Result<(), DecodeError> {
    if rest.is_empty() { Ok(()) } else { Err(DecodeError::TrailingBytes { msg_type, extra: rest.len() }) }
}

/// Splits a UTF-8 string of exactly `len` bytes (at most `max`) off the front of `bytes`.
pub(crate) fn take_str<'a>(
    msg_type: u8,
    field: &'static str,
    bytes: &'a [u8],
    len: usize,
    max: usize,
) -> Result<(&'a str, &'a [u8]), DecodeError> {
    if len > max {
        return Err(DecodeError::FieldTooLong { field, len, max });
    }
    if bytes.len() < len {
        return Err(DecodeError::Truncated { msg_type, need: len, got: bytes.len() });
    }
    let (text, rest) = bytes.split_at(len);
    let text = std::str::from_utf8(text).map_err(|_| DecodeError::InvalidUtf8 { field })?;
    Ok((text, rest))
}

/// Truncates `text` to at most `max` bytes on a character boundary.
pub(crate) fn clamp_str(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
