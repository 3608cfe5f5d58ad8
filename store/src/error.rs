//! Error types of the store: one enum for storage operations, one for the chunk codec.

use std::fmt;

/// Which record a bad row belongs to, for errors that affect only that record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordRef {
    Player(i64),
    Item(i64),
    Object(i64),
    Chunk { map: u32, cx: i32, cy: i32 },
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordRef::Player(id) => write!(f, "player {id}"),
            RecordRef::Item(id) => write!(f, "item {id}"),
            RecordRef::Object(id) => write!(f, "object {id}"),
            RecordRef::Chunk { map, cx, cy } => write!(f, "chunk {map}/{cx},{cy}"),
        }
    }
}

/// A row read from the database that cannot be turned into a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    pub record: RecordRef,
    pub reason: String,
}

impl fmt::Display for BadRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad {}: {}", self.record, self.reason)
    }
}

impl std::error::Error for BadRecord {}

/// Errors from storage operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The database could not be reached or the connection broke; the operation may be retried.
    Unavailable(String),
    /// The database rejected the operation; retrying the same operation will fail again.
    Rejected(String),
    /// Migrations could not be applied.
    Migration(String),
    /// An item transaction violated an invariant; `op` is the index of the failing operation.
    ItemTx { label: String, op: usize, reason: String },
    /// A new player's name (or id) is already taken; nothing of it was written.
    NameTaken(String),
    /// A stored row is malformed; only that record is affected.
    BadRecord(BadRecord),
    /// The bounded write queue is full: the caller must refuse the change (e.g. an item move).
    QueueFull { depth: usize },
    /// The store is shut down or its worker thread is gone.
    Closed,
    /// A wait on a ticket or flush ran out of time.
    Timeout,
    /// Redis or the in-process metadata store failed.
    Meta(String),
    /// A fault injected by a test hook.
    Injected(String),
    /// A write carried epoch `held` of `map`, whose current epoch is `current` (another shard
    /// took the map): nothing of its transaction committed. Permanent: the writer stops
    /// simulating the map.
    Fenced { map: u32, held: i64, current: i64 },
    /// A hand-off by a shard that does not hold the character's live claim; nothing written.
    NotOwner { player: i64, live: Option<String> },
    /// No character has this id.
    UnknownPlayer(i64),
}

impl StoreError {
    /// True when retrying the same operation later may succeed (connection problems).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Unavailable(m) => write!(f, "database unavailable: {m}"),
            StoreError::Rejected(m) => write!(f, "database rejected the operation: {m}"),
            StoreError::Migration(m) => write!(f, "migration failed: {m}"),
            StoreError::ItemTx { label, op, reason } => {
                write!(f, "item transaction '{label}' failed at op {op}: {reason}")
            }
            StoreError::NameTaken(name) => write!(f, "the name {name:?} is already taken"),
            StoreError::BadRecord(b) => b.fmt(f),
            StoreError::QueueFull { depth } => write!(f, "write queue full ({depth} pending)"),
            StoreError::Closed => f.write_str("store is closed"),
            StoreError::Timeout => f.write_str("timed out waiting for storage"),
            StoreError::Meta(m) => write!(f, "metadata store error: {m}"),
            StoreError::Injected(m) => write!(f, "injected fault: {m}"),
            StoreError::Fenced { map, held, current } => {
                write!(f, "map {map} fenced: write of epoch {held}, current epoch {current}")
            }
            StoreError::NotOwner { player, live } => {
                write!(f, "player {player} is not live on this shard (live on {live:?})")
            }
            StoreError::UnknownPlayer(id) => write!(f, "no player {id}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// Why stored chunk bytes could not be decoded. The world quarantines such a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the header or the declared payload needs.
    Truncated { len: usize, needed: usize },
    /// The first bytes are not the chunk magic.
    BadMagic([u8; 2]),
    /// A format version this build does not know.
    UnsupportedVersion(u8),
    /// zstd failed to decompress the payload.
    Zstd(String),
    /// The decompressed payload has the wrong size.
    BadLength { expected: usize, actual: usize },
    /// The checksum over the decompressed payload does not match.
    BadChecksum { expected: u32, actual: u32 },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { len, needed } => {
                write!(f, "chunk data truncated: {len} bytes, need {needed}")
            }
            DecodeError::BadMagic(m) => write!(f, "chunk data has bad magic {m:02x?}"),
            DecodeError::UnsupportedVersion(v) => write!(f, "unsupported chunk version {v}"),
            DecodeError::Zstd(m) => write!(f, "zstd decompression failed: {m}"),
            DecodeError::BadLength { expected, actual } => {
                write!(f, "chunk payload is {actual} bytes, expected {expected}")
            }
            DecodeError::BadChecksum { expected, actual } => {
                write!(f, "chunk checksum {actual:08x} does not match {expected:08x}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}
