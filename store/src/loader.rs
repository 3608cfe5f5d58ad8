//! Off-thread loads: players with their inventory tree, chunks with their objects; and the
//! ownership requests of scale-out (claims, hand-off accepts and cancels, map fences). Requests
//! and replies travel over channels; the tick polls or selects on the replies.
//!
//! Two lanes: what a player waits on (logins, claims, hand-off acceptance, ids, a box's
//! contents) goes ahead of chunk loads and maintenance, which come in bursts of dozens (players
//! arriving together, walking into new land). A thread takes the next urgent request whenever
//! there is one, so an urgent request waits for at most the load each thread is running.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError, select_biased};

use crate::backend::{Backend, Connector, ItemsLoad};
use crate::error::StoreError;
use crate::owner::{AcceptRequest, Acceptance, Cancellation, Claim, Fence, LiveOwner};
use crate::pending::Pending;
use crate::record::{ChunkKey, ChunkLoad, Container, IdKind, MapId, PlayerLoad};
use crate::retry::{Backoff, Conn};
use crate::stats::Counters;

/// A reply for a chunk load sent to a caller-owned channel (one channel for many loads).
pub type ChunkReply = (ChunkKey, Result<ChunkLoad, StoreError>);

enum Request {
    Player(i64, Sender<Result<Option<PlayerLoad>, StoreError>>),
    PlayerByName(String, Sender<Result<Option<PlayerLoad>, StoreError>>),
    Items(Container, Sender<Result<ItemsLoad, StoreError>>),
    Chunk(ChunkKey, Sender<ChunkReply>),
    ChunkPending(ChunkKey, Sender<Result<ChunkLoad, StoreError>>),
    Ids(IdKind, u32, Sender<Result<std::ops::Range<i64>, StoreError>>),
    Owner(OwnerRequest),
    Login { name: String, handoff: Option<HandoffToken>, reply: Reply<LoginLoad> },
}

/// A token to try as a one-time hand-off token at a login ([`Loader::login`]).
#[derive(Debug, Clone)]
pub struct HandoffToken {
    /// SHA-256 of the token as presented.
    pub hash: Vec<u8>,
    /// The shard accepting it.
    pub shard: String,
    /// The accepting shard's clock, ms since the Unix epoch (the token's expiry).
    pub now_ms: i64,
}

/// What a login's first request found ([`Loader::login`]).
#[derive(Debug)]
pub enum LoginLoad {
    /// The token was a hand-off token for this shard, now used up: the character is claimed
    /// here (always [`Acceptance::Accepted`]).
    HandedOff(Acceptance),
    /// The token was not accepted as a hand-off token (or none was tried): the player by name,
    /// and the store's answer to the token (`None`: not tried), kept for when the token turns
    /// out not to be the player's session token.
    ByName { load: Result<Option<PlayerLoad>, StoreError>, handoff: Option<Result<Acceptance, StoreError>> },
}

type Reply<T> = Sender<Result<T, StoreError>>;

/// The ownership requests, each run in its own transaction and safe to retry after a lost
/// connection (see the [`Loader`] methods).
enum OwnerRequest {
    Claim { player: i64, shard: String, dead: Option<String>, reply: Reply<Claim> },
    Accept { hash: Vec<u8>, shard: String, now_ms: i64, reply: Reply<Acceptance> },
    Cancel { hash: Vec<u8>, source: String, reply: Reply<Cancellation> },
    TakeMap { map: MapId, shard: String, reply: Reply<Fence> },
    LiveOwner { player: i64, reply: Reply<Option<LiveOwner>> },
    Prune { before_ms: i64, reply: Reply<usize> },
}

/// Tuning of the loader pool.
#[derive(Debug, Clone)]
pub struct LoaderConfig {
    pub threads: usize,
    /// Most requests queued before requests fail with `QueueFull`.
    pub queue_bound: usize,
    /// How long a load keeps retrying a lost connection before it reports `Unavailable`.
    pub retry_for: Duration,
    pub backoff: Backoff,
}

impl Default for LoaderConfig {
    fn default() -> Self {
        LoaderConfig {
            threads: 4,
            queue_bound: 16_384,
            retry_for: Duration::from_secs(2),
            backoff: Backoff::default(),
        }
    }
}

/// The senders of the two lanes.
#[derive(Debug)]
struct Lanes {
    urgent: Sender<Request>,
    bulk: Sender<Request>,
}

impl Request {
    /// Whether a player is waiting on this request (the urgent lane).
    fn is_urgent(&self) -> bool {
        !matches!(
            self,
            Request::Chunk(..) | Request::ChunkPending(..) | Request::Owner(OwnerRequest::Prune { .. })
        )
    }
}

/// Handle to the loader threads.
#[derive(Debug)]
pub struct Loader {
    tx: Option<Lanes>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Loader {
    pub fn start(connector: Connector, config: LoaderConfig) -> Loader {
        let (urgent, urgent_rx) = crossbeam_channel::bounded(config.queue_bound);
        let (bulk, bulk_rx) = crossbeam_channel::bounded(config.queue_bound);
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let threads = (0..config.threads.max(1))
            .map(|i| {
                let conn =
                    Conn::new(connector.clone(), config.backoff, stop.clone(), counters.clone(), "loader");
                let lanes: (Receiver<Request>, Receiver<Request>) = (urgent_rx.clone(), bulk_rx.clone());
                let retry_for = config.retry_for;
                std::thread::Builder::new()
                    .name(format!("store-loader-{i}"))
                    .spawn(move || serve(conn, lanes, retry_for))
                    .expect("spawn loader thread")
            })
            .collect();
        Loader { tx: Some(Lanes { urgent, bulk }), stop, threads }
    }

    fn send(&self, req: Request) -> Result<(), StoreError> {
        let lanes = self.tx.as_ref().ok_or(StoreError::Closed)?;
        let tx = if req.is_urgent() { &lanes.urgent } else { &lanes.bulk };
        tx.try_send(req).map_err(|e| match e {
            TrySendError::Full(_) => StoreError::QueueFull { depth: tx.len() },
            TrySendError::Disconnected(_) => StoreError::Closed,
        })
    }

    /// Loads a player and every item below it (see [`PlayerLoad::inventory`]).
    pub fn load_player(&self, id: i64) -> Result<Pending<Option<PlayerLoad>>, StoreError> {
        let (tx, p) = Pending::channel();
        self.send(Request::Player(id, tx)).map(|_| p)
    }

    /// A login's first request, one loader round trip: tries `handoff` as a one-time hand-off
    /// token ([`Loader::accept_handoff`]) and, unless it was accepted, loads the player by
    /// `name`. An arrival by hand-off costs one acceptance, a returning player one refused
    /// acceptance (a lookup by hash) and the load.
    pub fn login(&self, name: &str, handoff: Option<HandoffToken>) -> Result<Pending<LoginLoad>, StoreError> {
        let (reply, p) = Pending::channel();
        self.send(Request::Login { name: name.to_owned(), handoff, reply }).map(|_| p)
    }

    /// Loads a player by its unique name (login).
    pub fn load_player_by_name(&self, name: &str) -> Result<Pending<Option<PlayerLoad>>, StoreError> {
        let (tx, p) = Pending::channel();
        self.send(Request::PlayerByName(name.to_owned(), tx)).map(|_| p)
    }

    /// Loads every item below a container (a box's contents, a bag's contents).
    pub fn load_items(&self, root: Container) -> Result<Pending<ItemsLoad>, StoreError> {
        let (tx, p) = Pending::channel();
        self.send(Request::Items(root, tx)).map(|_| p)
    }

    /// Loads a chunk with its objects and their items.
    pub fn load_chunk(&self, key: ChunkKey) -> Result<Pending<ChunkLoad>, StoreError> {
        let (tx, p) = Pending::channel();
        self.send(Request::ChunkPending(key, tx)).map(|_| p)
    }

    /// Loads a chunk and sends the reply to `reply` (one channel can collect many loads).
    pub fn load_chunk_to(&self, key: ChunkKey, reply: &Sender<ChunkReply>) -> Result<(), StoreError> {
        self.send(Request::Chunk(key, reply.clone()))
    }

    /// Reserves a block of fresh ids.
    pub fn reserve_ids(&self, kind: IdKind, count: u32) -> Result<Pending<std::ops::Range<i64>>, StoreError> {
        let (tx, p) = Pending::channel();
        self.send(Request::Ids(kind, count, tx)).map(|_| p)
    }

    /// Claims a character for `shard` ([`Backend::claim_player`]). Retried like a load: a retry
    /// after a lost commit finds the character already the shard's and keeps its claim.
    pub fn claim_player(&self, player: i64, shard: &str) -> Result<Pending<Claim>, StoreError> {
        self.claim(player, shard, None)
    }

    /// [`Loader::claim_player`], also taking the character over from the dead shard `dead`.
    pub fn claim_player_from(
        &self,
        player: i64,
        shard: &str,
        dead: &str,
    ) -> Result<Pending<Claim>, StoreError> {
        self.claim(player, shard, Some(dead.to_owned()))
    }

    fn claim(&self, player: i64, shard: &str, dead: Option<String>) -> Result<Pending<Claim>, StoreError> {
        let (reply, p) = Pending::channel();
        self.send(Request::Owner(OwnerRequest::Claim { player, shard: shard.to_owned(), dead, reply }))
            .map(|_| p)
    }

    /// Uses a hand-off token for `shard` ([`Backend::accept_handoff`]). A retry after a lost
    /// commit is answered `Accepted` again (same claim, current load) while the character is
    /// still live on `shard` under that claim.
    pub fn accept_handoff(
        &self,
        token_hash: Vec<u8>,
        shard: &str,
        now_ms: i64,
    ) -> Result<Pending<Acceptance>, StoreError> {
        let (reply, p) = Pending::channel();
        let req = OwnerRequest::Accept { hash: token_hash, shard: shard.to_owned(), now_ms, reply };
        self.send(Request::Owner(req)).map(|_| p)
    }

    /// The source takes its character back ([`Backend::cancel_handoff`]); a retry after a lost
    /// commit is answered `Reclaimed` again while the character is still live on the source.
    pub fn cancel_handoff(
        &self,
        token_hash: Vec<u8>,
        source: &str,
    ) -> Result<Pending<Cancellation>, StoreError> {
        let (reply, p) = Pending::channel();
        let req = OwnerRequest::Cancel { hash: token_hash, source: source.to_owned(), reply };
        self.send(Request::Owner(req)).map(|_| p)
    }

    /// Takes a map for `shard` ([`Backend::take_map`]). A retry after a lost commit bumps the
    /// epoch once more: the fence answered is still the current one, held by `shard`.
    pub fn take_map(&self, map: MapId, shard: &str) -> Result<Pending<Fence>, StoreError> {
        let (reply, p) = Pending::channel();
        self.send(Request::Owner(OwnerRequest::TakeMap { map, shard: shard.to_owned(), reply })).map(|_| p)
    }

    /// The live owner of a character as stored ([`Backend::live_owner`]).
    pub fn live_owner(&self, player: i64) -> Result<Pending<Option<LiveOwner>>, StoreError> {
        let (reply, p) = Pending::channel();
        self.send(Request::Owner(OwnerRequest::LiveOwner { player, reply })).map(|_| p)
    }

    /// Deletes hand-off tokens that expired before `before_ms` ([`Backend::prune_handoffs`]).
    pub fn prune_handoffs(&self, before_ms: i64) -> Result<Pending<usize>, StoreError> {
        let (reply, p) = Pending::channel();
        self.send(Request::Owner(OwnerRequest::Prune { before_ms, reply })).map(|_| p)
    }

    /// Stops the threads after the queued requests.
    pub fn shutdown(mut self) {
        self.stop_threads();
    }

    fn stop_threads(&mut self) {
        self.tx = None;
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        self.stop_threads();
    }
}

/// Serves the lanes until both are closed and empty: the urgent one first whenever it holds a
/// request.
fn serve(mut conn: Conn, (urgent, bulk): (Receiver<Request>, Receiver<Request>), retry_for: Duration) {
    let mut deferred: VecDeque<Request> = VecDeque::new();
    while let Some(req) = deferred.pop_front().or_else(|| next_request(&urgent, &bulk)) {
        if !matches!(req, Request::Login { .. }) {
            handle(&mut conn, req, retry_for);
            continue;
        }
        // The logins queued behind this one join it: their tokens are accepted together.
        let mut logins = vec![req];
        while logins.len() < LOGIN_BATCH {
            match urgent.try_recv() {
                Ok(login @ Request::Login { .. }) => logins.push(login),
                Ok(other) => deferred.push_back(other),
                Err(_) => break,
            }
        }
        handle_logins(&mut conn, logins, retry_for);
    }
}

/// Most logins served together ([`handle_logins`]).
const LOGIN_BATCH: usize = 64;

/// Logins served together: every hand-off token among them tried in one transaction
/// ([`Backend::accept_handoffs`]: a burst of arrivals costs a few statements, not a few per
/// arrival) and the accepted ones answered, then the others loaded by name, one by one.
fn handle_logins(conn: &mut Conn, logins: Vec<Request>, retry_for: Duration) {
    let logins: Vec<(String, Option<HandoffToken>, Reply<LoginLoad>)> = logins
        .into_iter()
        .filter_map(|r| match r {
            Request::Login { name, handoff, reply } => Some((name, handoff, reply)),
            _ => None,
        })
        .collect();
    let reqs: Vec<AcceptRequest<'_>> = logins
        .iter()
        .filter_map(|(_, h, _)| h.as_ref())
        .map(|t| AcceptRequest { hash: &t.hash, shard: &t.shard, now_ms: t.now_ms })
        .collect();
    let mut answers = accept_all(conn, Some(Instant::now() + retry_for), &reqs).into_iter();
    // The arrivals accepted are answered at once; the others then load by name, one by one.
    let mut by_name = Vec::new();
    for (name, handoff, reply) in &logins {
        match handoff.as_ref().and_then(|_| answers.next()) {
            Some(Ok(accepted @ Acceptance::Accepted { .. })) => {
                let _ = reply.send(Ok(LoginLoad::HandedOff(accepted)));
            }
            handoff => by_name.push((name, handoff, reply)),
        }
    }
    for (name, handoff, reply) in by_name {
        let deadline = Some(Instant::now() + retry_for);
        let load = run_typed(conn, deadline, |b| b.load_player_by_name(name));
        let _ = reply.send(Ok(LoginLoad::ByName { load, handoff }));
    }
}

/// Accepts hand-off tokens in one transaction, retried like a load (an attempt after a failed
/// one may follow a commit whose answer was lost: `again`); one answer per token.
fn accept_all(
    conn: &mut Conn,
    deadline: Option<Instant>,
    reqs: &[AcceptRequest<'_>],
) -> Vec<Result<Acceptance, StoreError>> {
    if reqs.is_empty() {
        return Vec::new();
    }
    let mut again = false;
    let answers = run_typed(conn, deadline, |b| {
        let r = b.accept_handoffs(reqs, again);
        again = true;
        r
    });
    match answers {
        Ok(answers) => answers,
        Err(e) => reqs.iter().map(|_| Err(e.clone())).collect(),
    }
}

/// The next request: an urgent one if any is queued, else whichever lane has one first; `None`
/// once both lanes are closed and drained.
fn next_request(urgent: &Receiver<Request>, bulk: &Receiver<Request>) -> Option<Request> {
    match urgent.try_recv() {
        Ok(req) => return Some(req),
        Err(TryRecvError::Disconnected) => return bulk.recv().ok(),
        Err(TryRecvError::Empty) => {}
    }
    select_biased! {
        recv(urgent) -> r => r.ok().or_else(|| bulk.recv().ok()),
        recv(bulk) -> r => r.ok().or_else(|| urgent.recv().ok()),
    }
}

fn handle(conn: &mut Conn, req: Request, retry_for: Duration) {
    let deadline = Some(Instant::now() + retry_for);
    match req {
        Request::Player(id, tx) => {
            let _ = tx.send(run_typed(conn, deadline, |b| b.load_player(id)));
        }
        Request::PlayerByName(name, tx) => {
            let _ = tx.send(run_typed(conn, deadline, |b| b.load_player_by_name(&name)));
        }
        Request::Items(root, tx) => {
            let _ = tx.send(run_typed(conn, deadline, |b| b.load_items(root)));
        }
        Request::Chunk(key, tx) => {
            let _ = tx.send((key, run_typed(conn, deadline, |b| b.load_chunk(key))));
        }
        Request::ChunkPending(key, tx) => {
            let _ = tx.send(run_typed(conn, deadline, |b| b.load_chunk(key)));
        }
        Request::Ids(kind, n, tx) => {
            let _ = tx.send(run_typed(conn, deadline, |b| b.reserve_ids(kind, n)));
        }
        Request::Owner(req) => serve_owner(conn, deadline, req),
        Request::Login { .. } => handle_logins(conn, vec![req], retry_for),
    }
}

/// Accepts a hand-off token, retried like a load: an attempt after a failed one may follow a
/// commit whose answer was lost (`accept_handoff_again`).
fn accept(
    conn: &mut Conn,
    deadline: Option<Instant>,
    hash: &[u8],
    shard: &str,
    now_ms: i64,
) -> Result<Acceptance, StoreError> {
    let mut again = false;
    run_typed(conn, deadline, |b| {
        let r = if again {
            b.accept_handoff_again(hash, shard, now_ms)
        } else {
            b.accept_handoff(hash, shard, now_ms)
        };
        again = true;
        r
    })
}

fn serve_owner(conn: &mut Conn, deadline: Option<Instant>, req: OwnerRequest) {
    match req {
        OwnerRequest::Claim { player, shard, dead, reply } => {
            let r = run_typed(conn, deadline, |b| b.claim_player_from(player, &shard, dead.as_deref()));
            let _ = reply.send(r);
        }
        OwnerRequest::Accept { hash, shard, now_ms, reply } => {
            let _ = reply.send(accept(conn, deadline, &hash, &shard, now_ms));
        }
        OwnerRequest::Cancel { hash, source, reply } => {
            let mut again = false;
            let answer = run_typed(conn, deadline, |b| {
                let r = if again {
                    b.cancel_handoff_again(&hash, &source)
                } else {
                    b.cancel_handoff(&hash, &source)
                };
                again = true;
                r
            });
            let _ = reply.send(answer);
        }
        OwnerRequest::TakeMap { map, shard, reply } => {
            let _ = reply.send(run_typed(conn, deadline, |b| b.take_map(map, &shard)));
        }
        OwnerRequest::LiveOwner { player, reply } => {
            let _ = reply.send(run_typed(conn, deadline, |b| b.live_owner(player)));
        }
        OwnerRequest::Prune { before_ms, reply } => {
            let _ = reply.send(run_typed(conn, deadline, |b| b.prune_handoffs(before_ms)));
        }
    }
}

fn run_typed<T>(
    conn: &mut Conn,
    deadline: Option<Instant>,
    mut f: impl FnMut(&mut dyn Backend) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.retry(deadline, &mut f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(cx: i32) -> Request {
        let (tx, _p) = Pending::channel();
        Request::ChunkPending(ChunkKey { map: 0, cx, cy: 0 }, tx)
    }

    fn by_name(name: &str) -> Request {
        let (tx, _p) = Pending::channel();
        Request::PlayerByName(name.into(), tx)
    }

    fn label(req: &Request) -> String {
        match req {
            Request::ChunkPending(key, _) => format!("c{}", key.cx),
            Request::PlayerByName(name, _) => name.clone(),
            _ => "?".into(),
        }
    }

    #[test]
    fn a_waiting_player_goes_ahead_of_queued_chunk_loads_and_both_lanes_drain_at_shutdown() {
        let (urgent_tx, urgent) = crossbeam_channel::unbounded();
        let (bulk_tx, bulk) = crossbeam_channel::unbounded();
        for cx in 0..3 {
            bulk_tx.send(chunk(cx)).unwrap();
        }
        urgent_tx.send(by_name("ann")).unwrap();
        assert!(!chunk(0).is_urgent() && by_name("x").is_urgent());
        let first = next_request(&urgent, &bulk).map(|r| label(&r));
        assert_eq!(first.as_deref(), Some("ann"), "the login before the chunks queued earlier");
        assert_eq!(next_request(&urgent, &bulk).map(|r| label(&r)).as_deref(), Some("c0"));
        urgent_tx.send(by_name("bob")).unwrap();
        drop((urgent_tx, bulk_tx));
        let rest: Vec<String> =
            std::iter::from_fn(|| next_request(&urgent, &bulk)).map(|r| label(&r)).collect();
        assert_eq!(rest, ["bob", "c1", "c2"], "closed lanes are drained, the urgent one first");
    }
}
