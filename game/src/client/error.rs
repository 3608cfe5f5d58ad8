//! Why the client library refused a server message: typed, never a panic.

use crate::chunk_wire::ChunkWireError;
use net::protocol::ContainerRef;
use std::fmt;

/// A server message the client world could not apply. Nothing was changed by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientWorldError {
    /// A message that needs a session arrived before Welcome.
    NotWelcomed,
    /// Welcome named a protocol version this library does not speak.
    UnsupportedVersion(u16),
    /// Welcome named a map the content's world layout does not have.
    UnknownMap(u32),
    /// Welcome's description of its map disagrees with the map id (continent, layer) or with
    /// the content's world layout (size): client and server run different content.
    MapMismatch {
        /// The map id.
        map: u32,
        /// What disagrees.
        field: &'static str,
    },
    /// A chunk message for another map than the session's.
    WrongMap {
        /// The session's map.
        expected: u32,
        /// The message's map.
        got: u32,
    },
    /// A chunk outside the map.
    ChunkOutsideMap {
        /// Chunk x.
        cx: i32,
        /// Chunk y.
        cy: i32,
    },
    /// The chunk payload did not decode.
    Chunk(ChunkWireError),
    /// A frame not newer than one already applied.
    StaleFrame {
        /// The frame's tick.
        tick: u64,
        /// The newest tick applied.
        newest: u64,
    },
    /// A container message named a slot outside the container's capacity.
    SlotOutsideContainer {
        /// The container.
        container: ContainerRef,
        /// The slot.
        slot: u16,
        /// The container's number of slots.
        capacity: u16,
    },
    /// A `ContainerContents` listed a slot twice.
    RepeatedSlot {
        /// The container.
        container: ContainerRef,
        /// The slot.
        slot: u16,
    },
}

impl fmt::Display for ClientWorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotWelcomed => write!(f, "message before Welcome"),
            Self::UnsupportedVersion(v) => write!(f, "server speaks protocol version {v}"),
            Self::UnknownMap(m) => write!(f, "map {m} is not in the content's world layout"),
            Self::MapMismatch { map, field } => {
                write!(f, "Welcome's {field} of map {map} disagrees with the map id or the content")
            }
            Self::WrongMap { expected, got } => write!(f, "chunk of map {got}, session is on map {expected}"),
            Self::ChunkOutsideMap { cx, cy } => write!(f, "chunk ({cx}, {cy}) is outside the map"),
            Self::Chunk(e) => write!(f, "bad chunk payload: {e}"),
            Self::StaleFrame { tick, newest } => write!(f, "frame of tick {tick} after tick {newest}"),
            Self::SlotOutsideContainer { container, slot, capacity } => {
                write!(f, "slot {slot} of {container:?} is outside its {capacity} slots")
            }
            Self::RepeatedSlot { container, slot } => {
                write!(f, "contents of {container:?} list slot {slot} twice")
            }
        }
    }
}

impl std::error::Error for ClientWorldError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Chunk(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ChunkWireError> for ClientWorldError {
    fn from(e: ChunkWireError) -> Self {
        Self::Chunk(e)
    }
}
