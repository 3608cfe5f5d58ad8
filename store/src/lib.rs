//! Persistence layer: Postgres and SQLite backends, Redis metadata, chunk codec and write-behind pool.
//!
//! The store knows nothing of the game's rules: it stores records ([`record`]). Open a [`Store`]
//! (migrations run at open), submit writes through [`Store::writer`] (never blocks), load through
//! [`Store::loader`] (replies over channels), encode chunk tiles with [`ChunkCodec`], and keep
//! session and chunk metadata in a [`meta::MetaStore`] (Redis, or in-process when embedded).

pub mod admin;
pub mod backend;
pub mod codec;
mod error;
pub mod loader;
pub mod meta;
mod migrate;
pub mod owner;
mod pending;
pub mod record;
mod retry;
mod stats;
mod store;
pub mod writer;

/// The channel crate of the public API (reply channels, `select!` over tickets).
pub use crossbeam_channel;

pub use backend::{
    Backend, BackendConfig, BackendKind, BatchOutcome, CommitMark, Connector, Created, FaultPoint, Faults,
    ItemsLoad,
};
pub use codec::{ChunkCodec, ChunkTiles, DEFAULT_LEVEL};
pub use error::{BadRecord, DecodeError, RecordRef, StoreError};
pub use loader::{ChunkReply, HandoffToken, Loader, LoaderConfig, LoginLoad};
pub use owner::{
    AcceptRequest, Acceptance, Cancellation, Claim, Fence, HandOff, LiveOwner, MapOwner, PlayerSave, Refusal,
    SaveSeq,
};
pub use pending::{Pending, Ticket};
pub use record::*;
pub use retry::Backoff;
pub use stats::{FlushReport, WriterStats};
pub use store::{Store, StoreConfig};
pub use writer::{WriteFailure, Writer, WriterConfig};
