//! The storage interface both databases implement, how to open one, and shared row helpers.

mod lite_items;
mod lite_owner;
mod owner;
mod pg_items;
mod pg_owner;
mod pg_sql;
mod postgres;
mod sqlite;

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{BadRecord, RecordRef, StoreError};
use crate::owner::{
    AcceptRequest, Acceptance, Cancellation, Claim, Fence, HandOff, LiveOwner, MapOwner, PlayerSave,
};
use crate::record::{
    ChunkKey, ChunkLoad, ChunkSave, Container, IdKind, ItemRecord, ItemTx, MapId, PlayerLoad, PlayerRecord,
    PositionUpdate,
};

pub(crate) use self::pg_items::pg_err;
pub use self::postgres::PgBackend;
pub use self::sqlite::SqliteBackend;

/// Which database a backend talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Postgres,
    Sqlite,
}

/// One blocking connection to a database. Each worker thread owns its own.
///
/// Write methods are all-or-nothing: on error nothing of the call was committed (except that a
/// lost connection may hide a successful commit; every write is an absolute state, so replaying it
/// is harmless, and a batch of item transactions carries a [`CommitMark`] so it is not replayed).
pub trait Backend: Send {
    fn kind(&self) -> BackendKind;
    /// Hands out `count` fresh ids of a kind (a block, so the game can create records without
    /// waiting for the database).
    fn reserve_ids(&mut self, kind: IdKind, count: u32) -> Result<Range<i64>, StoreError>;
    /// Creates a new player, its position and its starter items (`kit`) in one transaction, if
    /// neither its id nor its name (by [`crate::name_key`]) is taken; otherwise writes nothing.
    fn create_player(&mut self, player: &PlayerRecord, kit: &ItemTx) -> Result<Created, StoreError>;
    /// Creates or overwrites players (an upsert on the id, which never deletes a row), in one
    /// transaction.
    fn save_players(&mut self, players: &[PlayerRecord]) -> Result<(), StoreError>;
    /// Writes coalesced positions in one batched statement; returns rows updated.
    fn write_positions(&mut self, batch: &[PositionUpdate]) -> Result<usize, StoreError> {
        self.write_positions_fenced(None, batch)
    }
    /// [`Backend::write_positions`] checked against `fence` in the same transaction; a fenced
    /// batch writes only characters live on the shard holding the fence's map.
    fn write_positions_fenced(
        &mut self,
        fence: Option<Fence>,
        batch: &[PositionUpdate],
    ) -> Result<usize, StoreError>;
    /// Applies one logical item change atomically, checking the item invariants.
    fn apply_item_tx(&mut self, tx: &ItemTx) -> Result<(), StoreError>;
    /// Applies item transactions in order in one database transaction (group commit): all of
    /// them commit or none does. `mark` is stored in the same transaction; a batch whose mark is
    /// already stored was committed by an earlier attempt whose answer was lost, and is not
    /// applied again. A permanent failure of one transaction (an invariant, a rejected
    /// statement) is `Ok(BatchOutcome::Failed)` naming it; a lost connection is `Err`.
    fn apply_item_txs(&mut self, txs: &[ItemTx], mark: CommitMark) -> Result<BatchOutcome, StoreError>;
    /// Saves chunks and their plain object sets in one transaction; container objects
    /// ([`crate::ObjectRecord::holds_items`]) are neither written nor deleted.
    fn save_chunks(&mut self, saves: &[ChunkSave]) -> Result<(), StoreError> {
        self.save_chunks_fenced(&[], saves)
    }
    /// [`Backend::save_chunks`] after checking every fence in the same transaction.
    fn save_chunks_fenced(&mut self, fences: &[Fence], saves: &[ChunkSave]) -> Result<(), StoreError>;

    /// Takes `map` for `shard` (after it won the map's lease, before it loads the map): bumps the
    /// map's epoch and records the shard in one transaction. Writes fenced with an older epoch
    /// of the map fail with [`StoreError::Fenced`] from then on; fenced writes in flight finish
    /// first (PostgreSQL: they hold the map's row `FOR SHARE`).
    fn take_map(&mut self, map: MapId, shard: &str) -> Result<Fence, StoreError>;
    fn map_owner(&mut self, map: MapId) -> Result<Option<MapOwner>, StoreError>;
    /// Saves characters, each only if its sequence names the character's current claim and is
    /// newer than the stored save (an older save changes nothing); fences checked first, all in
    /// one transaction. Updates existing characters only. Returns how many saves applied.
    fn save_players_seq(&mut self, fences: &[Fence], saves: &[PlayerSave]) -> Result<usize, StoreError>;
    /// Makes `shard` the live owner of `player` if it is released or already the shard's.
    fn claim_player(&mut self, player: i64, shard: &str) -> Result<Claim, StoreError> {
        self.claim_player_from(player, shard, None)
    }
    /// [`Backend::claim_player`], also taking the character over from `dead` (a shard known to
    /// be dead) when it is live there.
    fn claim_player_from(
        &mut self,
        player: i64,
        shard: &str,
        dead: Option<&str>,
    ) -> Result<Claim, StoreError>;
    /// Releases `player` (logout) if `shard` holds it; true if it did. Save first.
    fn release_player(&mut self, player: i64, shard: &str) -> Result<bool, StoreError>;
    fn live_owner(&mut self, player: i64) -> Result<Option<LiveOwner>, StoreError>;
    /// Hands a character off in one transaction (see [`HandOff`]): the save, its item
    /// transactions, the release and the token commit together or not at all. This is the API
    /// that commits world writes together with a character's save.
    fn hand_off(&mut self, h: &HandOff) -> Result<(), StoreError>;
    /// Several hand-offs in one transaction, each as [`Backend::hand_off`] alone would do it:
    /// the answers, in order (a refused one changed nothing; the others committed). `Err`: the
    /// attempt failed as a whole (nothing committed, or the answer was lost: retry it).
    fn hand_offs(&mut self, hs: &[&HandOff]) -> Result<Vec<Result<(), StoreError>>, StoreError>;
    /// Uses a hand-off token in one transaction: refused (nothing changes) unless it exists, is
    /// unused, names `shard`, has not expired at `now_ms` and its character is released.
    fn accept_handoff(
        &mut self,
        token_hash: &[u8],
        shard: &str,
        now_ms: i64,
    ) -> Result<Acceptance, StoreError> {
        accept_one(self, token_hash, (shard, now_ms), false)
    }
    /// [`Backend::accept_handoff`] retried by a caller whose earlier attempt of the same request
    /// may have committed (its answer lost): while the character is still live on `shard` under
    /// the claim that acceptance gave, answered `Accepted` again. Never for a new request: a
    /// replayed token must be refused.
    fn accept_handoff_again(
        &mut self,
        token_hash: &[u8],
        shard: &str,
        now_ms: i64,
    ) -> Result<Acceptance, StoreError> {
        accept_one(self, token_hash, (shard, now_ms), true)
    }
    /// Several tokens in one transaction (a burst of arrivals), each answered as
    /// [`Backend::accept_handoff`] (or, with `again`, [`Backend::accept_handoff_again`]) one
    /// after the other would: the answers, in order. `Err`: the attempt failed as a whole.
    fn accept_handoffs(
        &mut self,
        reqs: &[AcceptRequest<'_>],
        again: bool,
    ) -> Result<Vec<Result<Acceptance, StoreError>>, StoreError>;
    /// The source takes its character back (the target is down or refused): only while the
    /// token is unused and the character released; the token is void afterwards.
    fn cancel_handoff(&mut self, token_hash: &[u8], source: &str) -> Result<Cancellation, StoreError>;
    /// [`Backend::cancel_handoff`] retried (as [`Backend::accept_handoff_again`]).
    fn cancel_handoff_again(&mut self, token_hash: &[u8], source: &str) -> Result<Cancellation, StoreError>;
    /// Deletes the hand-off tokens whose `expires_ms` is before `before_ms` (used, cancelled or
    /// never used); returns how many. A token is kept until then, so a replay during its life
    /// is answered `Used` and a retried accept or cancel finds it; pass a time well past any
    /// retry in flight.
    fn prune_handoffs(&mut self, before_ms: i64) -> Result<usize, StoreError>;
    fn load_player(&mut self, id: i64) -> Result<Option<PlayerLoad>, StoreError>;
    fn load_player_by_name(&mut self, name: &str) -> Result<Option<PlayerLoad>, StoreError>;
    /// Every item below a container, recursively, flat; bad rows reported apart.
    fn load_items(&mut self, root: Container) -> Result<ItemsLoad, StoreError>;
    fn load_item(&mut self, id: i64) -> Result<Option<ItemRecord>, StoreError>;
    /// A chunk, the objects stored with it (by `map, grid_x, grid_y`) and the items they hold.
    fn load_chunk(&mut self, key: ChunkKey) -> Result<ChunkLoad, StoreError>;
}

/// What [`Backend::create_player`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// The player and its starter items are stored.
    New,
    /// The name (or the id) was already taken; nothing was written.
    NameTaken,
}

/// Names one batch of item transactions of one writer, whatever attempt applies it: `seq` grows
/// with every batch of the writer `writer` (a random id per [`crate::Writer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitMark {
    pub writer: i64,
    pub seq: i64,
}

/// What [`Backend::apply_item_txs`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Every transaction of the batch is durable (by this call or by an earlier attempt).
    Committed,
    /// Transaction `index` of the batch failed permanently; nothing of the batch was committed.
    Failed { index: usize, error: StoreError },
}

/// Items read from the database, with the rows that could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemsLoad {
    pub items: Vec<ItemRecord>,
    pub bad: Vec<BadRecord>,
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendConfig {
    /// A libpq-style URL or key/value string, e.g. `postgres://postgres@127.0.0.1/shard`.
    Postgres { url: String },
    /// An SQLite database file (created if missing), opened in WAL mode.
    Sqlite { path: PathBuf },
}

/// Opens connections of one configuration (cheap to clone; every worker thread calls `connect`).
#[derive(Debug, Clone)]
pub struct Connector {
    config: BackendConfig,
    faults: Faults,
}

impl Connector {
    pub fn new(config: BackendConfig) -> Connector {
        Connector { config, faults: Faults::default() }
    }

    /// The same configuration with a fault hook (tests only).
    pub fn with_faults(mut self, faults: Faults) -> Connector {
        self.faults = faults;
        self
    }

    pub fn config(&self) -> &BackendConfig {
        &self.config
    }

    /// Opens a new connection.
    pub fn connect(&self) -> Result<Box<dyn Backend>, StoreError> {
        match &self.config {
            BackendConfig::Postgres { url } => Ok(Box::new(PgBackend::connect(url, self.faults.clone())?)),
            BackendConfig::Sqlite { path } => Ok(Box::new(SqliteBackend::open(path, self.faults.clone())?)),
        }
    }

    /// Applies pending migrations on a connection of its own (the SQLite file is created if
    /// missing); returns the names of those applied now.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        match &self.config {
            BackendConfig::Postgres { url } => crate::migrate::postgres(&mut PgBackend::raw_client(url)?),
            BackendConfig::Sqlite { path } => {
                crate::migrate::sqlite(&mut SqliteBackend::raw_connection(path)?)
            }
        }
    }
}

/// A point between two statements where a test can inject a failure or act (kill a connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// Before operation `op` of an item transaction (after the earlier ones ran).
    ItemOp { op: usize },
    /// Before transaction `tx` of a batch of item transactions (after the earlier ones ran).
    ItemTx { tx: usize },
    /// Before the commit of a batch of item transactions.
    ItemCommit,
    /// Before statement `stmt` of a chunk batch.
    ChunkStmt { stmt: usize },
    /// Before the commit of a position batch.
    PositionCommit,
    /// Before the commit of a claim, release, hand-off, accept or cancel.
    OwnerCommit,
    /// Right after that commit: an error here is a connection lost with the commit done.
    OwnerCommitted,
}

type Hook = Box<dyn FnMut(FaultPoint) -> Result<(), StoreError> + Send>;

/// Test hook shared by every connection of a [`Connector`]. Inactive unless a hook is set.
#[derive(Clone, Default)]
pub struct Faults(Arc<Mutex<Option<Hook>>>);

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Faults")
    }
}

impl Faults {
    /// Installs a hook called at every [`FaultPoint`]; an error it returns aborts the operation.
    pub fn set(&self, hook: impl FnMut(FaultPoint) -> Result<(), StoreError> + Send + 'static) {
        *self.0.lock() = Some(Box::new(hook));
    }

    pub fn clear(&self) {
        *self.0.lock() = None;
    }

    pub(crate) fn check(&self, point: FaultPoint) -> Result<(), StoreError> {
        match self.0.lock().as_mut() {
            Some(hook) => hook(point),
            None => Ok(()),
        }
    }
}

/// Sorts the result of one transaction of a batch: a permanent error fails that transaction (the
/// batch rolls back), a transient one the whole attempt.
pub(crate) fn batch_step(
    index: usize,
    result: Result<(), StoreError>,
) -> Result<Option<BatchOutcome>, StoreError> {
    match result {
        Ok(()) => Ok(None),
        Err(e) if e.is_transient() => Err(e),
        Err(error) => Ok(Some(BatchOutcome::Failed { index, error })),
    }
}

/// Converts a stored integer to `u32`, naming the record and field on failure.
pub(crate) fn to_u32(v: i64, rec: &RecordRef, field: &str) -> Result<u32, BadRecord> {
    u32::try_from(v)
        .map_err(|_| BadRecord { record: rec.clone(), reason: format!("{field} {v} out of range") })
}

/// Converts a stored integer to `u16`.
pub(crate) fn to_u16(v: i64, rec: &RecordRef, field: &str) -> Result<u16, BadRecord> {
    u16::try_from(v)
        .map_err(|_| BadRecord { record: rec.clone(), reason: format!("{field} {v} out of range") })
}

/// Builds an item from stored columns (kind, quality, count, container kind/id, slot).
pub(crate) fn item_from_parts(id: i64, cols: [i64; 6]) -> Result<ItemRecord, BadRecord> {
    let rec = RecordRef::Item(id);
    let [kind, quality, count, ck, cid, slot] = cols;
    let container = i16::try_from(ck)
        .ok()
        .and_then(|k| Container::from_parts(k, cid))
        .ok_or_else(|| BadRecord { record: rec.clone(), reason: format!("container kind {ck}") })?;
    Ok(ItemRecord {
        id,
        kind: to_u32(kind, &rec, "kind")?,
        quality: to_u32(quality, &rec, "quality")?,
        count: to_u32(count, &rec, "count")?,
        container,
        slot: to_u32(slot, &rec, "slot")?,
    })
}

/// Splits results into good records and bad rows.
/// One token accepted as a batch of one ([`Backend::accept_handoffs`]).
fn accept_one<B: Backend + ?Sized>(
    b: &mut B,
    hash: &[u8],
    (shard, now_ms): (&str, i64),
    again: bool,
) -> Result<Acceptance, StoreError> {
    let mut answers = b.accept_handoffs(&[AcceptRequest { hash, shard, now_ms }], again)?;
    answers.pop().unwrap_or(Err(StoreError::Closed))
}

pub(crate) fn partition<T>(rows: Vec<Result<T, BadRecord>>) -> (Vec<T>, Vec<BadRecord>) {
    let mut good = Vec::with_capacity(rows.len());
    let mut bad = Vec::new();
    for r in rows {
        match r {
            Ok(v) => good.push(v),
            Err(b) => bad.push(b),
        }
    }
    (good, bad)
}

/// Message for a cycle-check result: `(hits, rows, max_depth)` of the walk up from the target.
pub(crate) fn cycle_verdict(target: i64, moving: i64, walk: (i64, i64, i64)) -> Option<String> {
    let (hits, rows, depth) = walk;
    if rows == 0 {
        Some(format!("container item {target} does not exist"))
    } else if hits > 0 {
        Some(format!("item {moving} cannot be stored inside itself (via item {target})"))
    } else if depth >= crate::record::MAX_NESTING as i64 {
        Some(format!("nesting below item {target} is too deep"))
    } else {
        None
    }
}
