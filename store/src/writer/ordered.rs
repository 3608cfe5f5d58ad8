//! The ordered write worker: player saves, item transactions, chunk saves, hand-offs and
//! releases, applied in submit order, consecutive writes of one kind merged into one transaction
//! (group commit; hand-offs and releases each in their own), retried until durable.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender};

use crate::backend::{BatchOutcome, CommitMark, Created};
use crate::error::StoreError;
use crate::owner::{Fence, HandOff, PlayerSave};
use crate::record::{ChunkSave, ItemTx, PlayerRecord};
use crate::retry::Conn;
use crate::stats::Counters;
use std::collections::VecDeque;

pub(crate) type Reply = Sender<Result<(), StoreError>>;

/// One submitted write.
#[derive(Debug)]
pub(crate) enum WriteOp {
    Players(Vec<PlayerRecord>),
    /// A new player with its starter items, claiming its name (never merged).
    Create(Box<PlayerRecord>, ItemTx),
    Items(ItemTx),
    /// Chunk saves, with the fence of their map when fenced.
    Chunks(Option<Fence>, Vec<ChunkSave>),
    /// Sequenced character saves (applied only when newer), fenced or not.
    Saves(Option<Fence>, Vec<PlayerSave>),
    /// A hand-off in its own transaction (never merged; a refusal fails only it).
    HandOff(Box<HandOff>),
    /// The release of a character by a shard (never merged).
    Release(i64, String),
}

#[derive(Debug)]
pub(crate) enum Msg {
    Op(WriteOp, Reply),
    /// Answered once every message before it is done.
    Barrier(Sender<()>),
}

/// A write that failed permanently (it will not be retried); also sent to the submit ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFailure {
    pub what: String,
    pub error: StoreError,
}

pub(crate) struct Ordered {
    pub conn: Conn,
    pub rx: Receiver<Msg>,
    pub max_batch: usize,
    pub depth: Arc<AtomicU64>,
    pub counters: Arc<Counters>,
    pub failures: Sender<WriteFailure>,
    /// This worker's id in the commit marks of item batches (random per writer).
    pub writer_id: i64,
    /// The mark of the last batch of item transactions.
    pub batch_seq: i64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Players,
    Create,
    Items,
    Chunks,
    Saves,
    HandOff,
    Release,
    Barrier,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Players => "positions",
            Kind::Create => "creation",
            Kind::Items => "items",
            Kind::Chunks => "chunks",
            Kind::Saves => "player saves",
            Kind::HandOff => "hand-offs",
            Kind::Release => "release",
            Kind::Barrier => "barrier",
        }
    }
}

/// A write group taking at least this long is logged (debug).
const SLOW_GROUP_MS: u128 = 20;

fn kind(m: &Msg) -> Kind {
    match m {
        Msg::Op(WriteOp::Players(_), _) => Kind::Players,
        Msg::Op(WriteOp::Create(..), _) => Kind::Create,
        Msg::Op(WriteOp::Items(_), _) => Kind::Items,
        Msg::Op(WriteOp::Chunks(..), _) => Kind::Chunks,
        Msg::Op(WriteOp::Saves(..), _) => Kind::Saves,
        Msg::Op(WriteOp::HandOff(_), _) => Kind::HandOff,
        Msg::Op(WriteOp::Release(..), _) => Kind::Release,
        Msg::Barrier(_) => Kind::Barrier,
    }
}

/// Whether a queued write may commit before the chunk saves queued ahead of it: it writes
/// character rows only (player records and sequenced saves, releases, and hand-offs that carry
/// no item transaction: the character, its position and a token). A chunk save writes a chunk's
/// tiles and its plain objects and nothing else (`SQL_SAVE_OBJECTS`, `SQL_PRUNE_OBJECTS`), so
/// the two commute. Item transactions, creations (starter items) and barriers never pass: the
/// items and the world's objects stay a prefix of the submitted writes after any crash
/// (`tests/crash_prefix.rs`).
fn passes_chunk_saves(m: &Msg) -> bool {
    match m {
        Msg::Op(WriteOp::Players(_) | WriteOp::Saves(..) | WriteOp::Release(..), _) => true,
        Msg::Op(WriteOp::HandOff(h), _) => h.items.is_empty(),
        Msg::Op(WriteOp::Items(_) | WriteOp::Create(..) | WriteOp::Chunks(..), _) | Msg::Barrier(_) => false,
    }
}

/// Moves every queued write that commutes with chunk saves ([`passes_chunk_saves`]) ahead of
/// the run of chunk saves queued right before it; everything else keeps its order (the writes
/// that pass keep theirs among themselves, the chunk saves theirs). A checkpoint of hundreds of
/// chunks therefore delays a hand-off or a player save by one chunk group at most, not by the
/// whole checkpoint (the checkpoint's own player saves, queued after its chunk saves, included).
fn chunk_saves_last(queue: &mut VecDeque<Msg>) {
    if !queue.iter().any(|m| kind(m) == Kind::Chunks) {
        return;
    }
    let mut out = VecDeque::with_capacity(queue.len());
    let mut run: Vec<Msg> = Vec::new();
    for m in queue.drain(..) {
        if kind(&m) == Kind::Chunks {
            run.push(m);
        } else if passes_chunk_saves(&m) {
            out.push_back(m);
        } else {
            out.extend(run.drain(..));
            out.push_back(m);
        }
    }
    out.extend(run);
    *queue = out;
}

/// Most chunk saves merged into one transaction. A chunk's first save writes its tiles and every
/// object (hundreds of rows), so an unbounded run (a checkpoint, or a burst of arrivals
/// generating their surroundings) made one transaction of seconds that every later write
/// waited behind; in groups this small the writer looks at its channel between them, and
/// hand-offs and item transactions submitted meanwhile wait for one group at most.
pub(crate) const CHUNK_GROUP: usize = 8;

/// Takes the first group off the queue: one write, or the run of consecutive writes of its
/// kind when that kind merges, at most `max_batch` (chunk saves up to [`CHUNK_GROUP`]). A
/// creation claims a name and answers NameTaken alone, a release is answered alone: never
/// merged. Hand-offs commit together, each answered on its own.
fn next_group(queue: &mut VecDeque<Msg>, max_batch: usize) -> (Kind, Vec<Msg>) {
    let Some(first) = queue.pop_front() else { return (Kind::Barrier, Vec::new()) };
    let k = kind(&first);
    let mut group = vec![first];
    let mergeable = matches!(k, Kind::Players | Kind::Items | Kind::Chunks | Kind::Saves | Kind::HandOff);
    let most = if k == Kind::Chunks { CHUNK_GROUP } else { max_batch };
    while mergeable && group.len() < most && queue.front().is_some_and(|m| kind(m) == k) {
        group.extend(queue.pop_front());
    }
    (k, group)
}

/// Where the next attempt of a run of item transactions ends, and whether they go one by one.
struct ItemRun {
    start: usize,
    end: usize,
    one_by_one: bool,
}

impl ItemRun {
    /// The next attempt after the transactions before `start` were settled.
    fn advance(&mut self, start: usize, len: usize) {
        self.start = start;
        self.end = if self.one_by_one { (start + 1).min(len) } else { len };
    }
}

impl Ordered {
    /// Takes everything queued on the channel and runs the first group, then looks at the channel
    /// again before the next group, so a write submitted meanwhile joins the queue (and passes
    /// the chunk saves waiting before it, see [`chunk_saves_last`], however many there are: the
    /// submit bound, not this queue, limits what waits).
    pub(crate) fn run(mut self) {
        let mut queue: VecDeque<Msg> = VecDeque::new();
        loop {
            if queue.is_empty() {
                match self.rx.recv() {
                    Ok(m) => queue.push_back(m),
                    Err(_) => break,
                }
            }
            queue.extend(self.rx.try_iter());
            chunk_saves_last(&mut queue);
            let (k, group) = next_group(&mut queue, self.max_batch);
            self.run_group(k, group);
        }
        tracing::debug!("ordered writer stopped");
    }

    fn run_group(&mut self, k: Kind, group: Vec<Msg>) {
        let ops: Vec<(WriteOp, Reply)> = group
            .into_iter()
            .filter_map(|m| match m {
                Msg::Op(op, reply) => Some((op, reply)),
                Msg::Barrier(ack) => {
                    let _ = ack.send(());
                    None
                }
            })
            .collect();
        let (began, writes) = (std::time::Instant::now(), ops.len());
        match k {
            Kind::Barrier => {}
            Kind::Items => self.run_items(ops),
            Kind::HandOff => self.run_handoffs(ops),
            Kind::Create | Kind::Players | Kind::Chunks | Kind::Saves | Kind::Release => self.run_merged(ops),
        }
        let ms = began.elapsed().as_millis();
        if ms >= SLOW_GROUP_MS {
            tracing::debug!(kind = k.name(), writes, ms, queued = self.rx.len(), "slow write group");
        }
    }

    /// Group commit: applies consecutive item transactions in one database transaction, in
    /// submit order. When one fails permanently nothing of the attempt committed: the ones before
    /// it are committed again as a batch, it is settled alone (so only it fails), and the batch
    /// goes on after it. A permanent failure of the whole attempt (its commit refused) falls back
    /// to one transaction at a time; connection losses are retried by [`Conn::retry`].
    fn run_items(&mut self, ops: Vec<(WriteOp, Reply)>) {
        let (txs, replies): (Vec<ItemTx>, Vec<Reply>) = ops
            .into_iter()
            .filter_map(|(op, reply)| match op {
                WriteOp::Items(tx) => Some((tx, reply)),
                _ => None,
            })
            .unzip();
        let mut run = ItemRun { start: 0, end: txs.len(), one_by_one: false };
        while run.start < txs.len() {
            let batch = &txs[run.start..run.end];
            let started = std::time::Instant::now();
            let outcome = self.apply_items(batch);
            let settle = |from: usize, to: usize, result: &Result<(), StoreError>| {
                (from..to).for_each(|i| self.finish_item(&txs[i], &replies[i], result.clone()));
            };
            match outcome {
                Ok(BatchOutcome::Committed) => {
                    self.counters.record_flush(started.elapsed());
                    settle(run.start, run.end, &Ok(()));
                    run.advance(run.end, txs.len());
                }
                // Applied first in a fresh transaction, it failed as it would have alone.
                Ok(BatchOutcome::Failed { index: 0, error }) => {
                    settle(run.start, run.start + 1, &Err(error));
                    run.advance(run.start + 1, txs.len());
                }
                // Commit the ones before it (nothing of this attempt committed).
                Ok(BatchOutcome::Failed { index, .. }) => run.end = (run.start + index).min(run.end),
                Err(StoreError::Closed) => {
                    settle(run.start, txs.len(), &Err(StoreError::Closed));
                    run.advance(txs.len(), txs.len());
                }
                Err(error) if batch.len() > 1 => {
                    tracing::warn!(%error, txs = batch.len(), "item batch failed, retrying one by one");
                    run.one_by_one = true;
                    run.advance(run.start, txs.len());
                }
                Err(error) => {
                    settle(run.start, run.start + 1, &Err(error));
                    run.advance(run.start + 1, txs.len());
                }
            }
        }
    }

    /// One attempt at a batch under a fresh commit mark (kept across its retries).
    fn apply_items(&mut self, batch: &[ItemTx]) -> Result<BatchOutcome, StoreError> {
        self.batch_seq += 1;
        let mark = CommitMark { writer: self.writer_id, seq: self.batch_seq };
        self.conn.retry(None, &mut |b| b.apply_item_txs(batch, mark))
    }

    fn finish_item(&self, tx: &ItemTx, reply: &Reply, result: Result<(), StoreError>) {
        let counter =
            if result.is_ok() { &self.counters.item_txs_ok } else { &self.counters.item_txs_failed };
        counter.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = &result {
            self.report_failure(describe_items(tx), e);
        }
        self.depth.fetch_sub(1, Ordering::Relaxed);
        let _ = reply.send(result);
    }

    /// Applies a run of same-kind ops in one transaction; on a permanent failure of a merged run,
    /// applies each op alone so only the faulty one fails.
    /// Consecutive hand-offs in one transaction (a burst of them costs one commit), each answered
    /// with its own result. Retried after a lost connection: a hand-off whose commit was lost
    /// finds its pending token and answers Ok; a refusal (Fenced, NotOwner, Rejected) is final.
    fn run_handoffs(&mut self, ops: Vec<(WriteOp, Reply)>) {
        let hs: Vec<&HandOff> = ops
            .iter()
            .filter_map(|(op, _)| match op {
                WriteOp::HandOff(h) => Some(&**h),
                _ => None,
            })
            .collect();
        let started = std::time::Instant::now();
        let results = self.conn.retry(None, &mut |b| b.hand_offs(&hs));
        drop(hs);
        match results {
            Ok(results) => {
                self.counters.record_flush(started.elapsed());
                for (one, result) in ops.into_iter().zip(results) {
                    self.finish(vec![one], result);
                }
            }
            Err(e) => self.finish(ops, Err(e)),
        }
    }

    fn run_merged(&mut self, ops: Vec<(WriteOp, Reply)>) {
        if ops.is_empty() {
            return;
        }
        let refs: Vec<&WriteOp> = ops.iter().map(|(op, _)| op).collect();
        let started = std::time::Instant::now();
        let result = self.apply(&refs);
        if result.is_ok() {
            self.counters.record_flush(started.elapsed());
        }
        match result {
            Err(e) if ops.len() > 1 && !matches!(e, StoreError::Closed) => {
                tracing::warn!(error = %e, ops = ops.len(), "merged write failed, retrying ops one by one");
                ops.into_iter().for_each(|one| self.run_merged(vec![one]));
            }
            result => self.finish(ops, result),
        }
    }

    fn apply(&mut self, ops: &[&WriteOp]) -> Result<(), StoreError> {
        match ops[0] {
            WriteOp::Items(_) => {
                let txs: Vec<ItemTx> = ops
                    .iter()
                    .filter_map(|op| match op {
                        WriteOp::Items(tx) => Some(tx.clone()),
                        _ => None,
                    })
                    .collect();
                match self.apply_items(&txs)? {
                    BatchOutcome::Committed => Ok(()),
                    BatchOutcome::Failed { error, .. } => Err(error),
                }
            }
            WriteOp::Create(player, kit) => {
                // A retry after a commit whose answer was lost finds the name taken by itself: the
                // caller tells the two apart by loading the player and checking its token.
                match self.conn.retry(None, &mut |b| b.create_player(player, kit))? {
                    Created::New => Ok(()),
                    Created::NameTaken => Err(StoreError::NameTaken(player.name.clone())),
                }
            }
            WriteOp::Players(_) => {
                let players = merge_players(ops);
                self.conn.retry(None, &mut |b| b.save_players(&players))
            }
            WriteOp::Chunks(..) => {
                let saves = merge_chunk_saves(ops);
                let fences = fences_of(ops);
                self.conn.retry(None, &mut |b| b.save_chunks_fenced(&fences, &saves))
            }
            WriteOp::Saves(..) => {
                let fences = fences_of(ops);
                let saves: Vec<PlayerSave> = ops
                    .iter()
                    .flat_map(|op| match op {
                        WriteOp::Saves(_, s) => s.as_slice(),
                        _ => &[],
                    })
                    .cloned()
                    .collect();
                let applied = self.conn.retry(None, &mut |b| b.save_players_seq(&fences, &saves))?;
                let stale = (saves.len() - applied.min(saves.len())) as u64;
                self.counters.player_saves_stale.fetch_add(stale, Ordering::Relaxed);
                Ok(())
            }
            // Hand-offs run through `run_handoffs`; one alone here would commit the same way.
            WriteOp::HandOff(h) => self.conn.retry(None, &mut |b| b.hand_off(h)),
            // A retry after a lost commit finds the character released already: Ok too.
            WriteOp::Release(player, shard) => {
                self.conn.retry(None, &mut |b| b.release_player(*player, shard)).map(|_| ())
            }
        }
    }

    fn finish(&mut self, ops: Vec<(WriteOp, Reply)>, result: Result<(), StoreError>) {
        for (op, reply) in ops {
            self.count(&op, result.is_ok());
            if let Err(e) = &result
                && !matches!(e, StoreError::NameTaken(_))
            {
                self.report_failure(describe(&op), e);
            }
            self.depth.fetch_sub(1, Ordering::Relaxed);
            let _ = reply.send(result.clone());
        }
    }

    fn count(&self, op: &WriteOp, ok: bool) {
        let c = &self.counters;
        if let WriteOp::Saves(_, s) = op {
            let counter = if ok { &c.players_saved } else { &c.players_failed };
            counter.fetch_add(s.len() as u64, Ordering::Relaxed);
            return;
        }
        let (counter, n) = match (op, ok) {
            (WriteOp::Players(p), true) => (&c.players_saved, p.len()),
            (WriteOp::Create(..), true) => (&c.players_saved, 1),
            (WriteOp::Create(..), false) => (&c.players_failed, 1),
            (WriteOp::Items(_), true) => (&c.item_txs_ok, 1),
            (WriteOp::Items(_), false) => (&c.item_txs_failed, 1),
            (WriteOp::Chunks(_, s), true) => (&c.chunks_saved, s.len()),
            (WriteOp::Chunks(_, s), false) => (&c.chunk_saves_failed, s.len()),
            (WriteOp::HandOff(_), true) => (&c.handoffs, 1),
            (WriteOp::HandOff(_), false) => (&c.handoffs_refused, 1),
            (WriteOp::Saves(..) | WriteOp::Release(..), _) => return,
            (WriteOp::Players(p), false) => (&c.players_failed, p.len()),
        };
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    fn report_failure(&self, what: String, error: &StoreError) {
        if matches!(error, StoreError::Fenced { .. }) {
            self.counters.fenced.fetch_add(1, Ordering::Relaxed);
        }
        if matches!(error, StoreError::Closed) {
            self.counters.dropped_at_stop.fetch_add(1, Ordering::Relaxed);
            tracing::error!(%what, "store stopped before this write was durable");
        } else {
            tracing::error!(%what, %error, "write failed permanently");
        }
        let _ = self.failures.try_send(WriteFailure { what, error: error.clone() });
    }
}

fn describe(op: &WriteOp) -> String {
    match op {
        WriteOp::Players(p) => format!("save of {} player(s)", p.len()),
        WriteOp::Items(tx) => describe_items(tx),
        WriteOp::Create(p, _) => format!("creation of player {}", p.id),
        WriteOp::Saves(_, s) => format!("sequenced save of {} player(s)", s.len()),
        WriteOp::HandOff(h) => {
            format!("hand-off of player {} from {} to {}", h.save.player.id, h.from_shard, h.to_shard)
        }
        WriteOp::Release(player, shard) => format!("release of player {player} by {shard}"),
        WriteOp::Chunks(_, s) => {
            let keys: Vec<_> = s.iter().map(|s| (s.key.map, s.key.cx, s.key.cy)).collect();
            format!("chunk save {keys:?}")
        }
    }
}

fn describe_items(tx: &ItemTx) -> String {
    format!("item transaction '{}' ({} ops)", tx.label, tx.ops.len())
}

/// The distinct fences of merged ops.
fn fences_of(ops: &[&WriteOp]) -> Vec<Fence> {
    let mut fences: Vec<Fence> = Vec::new();
    for op in ops {
        if let WriteOp::Chunks(Some(f), _) | WriteOp::Saves(Some(f), _) = op
            && !fences.contains(f)
        {
            fences.push(*f);
        }
    }
    fences
}

/// Later saves of the same player replace earlier ones.
fn merge_players(ops: &[&WriteOp]) -> Vec<PlayerRecord> {
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut out: Vec<PlayerRecord> = Vec::new();
    for op in ops {
        let WriteOp::Players(players) = op else { continue };
        for p in players {
            match index.get(&p.id) {
                Some(&i) => out[i] = p.clone(),
                None => {
                    index.insert(p.id, out.len());
                    out.push(p.clone());
                }
            }
        }
    }
    out
}

/// Merges chunk saves in submit order: a later save of a chunk replaces its object set and, when
/// it carries tiles, its tiles; an object listed by several chunks (it moved) keeps only the record
/// from the latest save.
pub(crate) fn merge_chunk_saves(ops: &[&WriteOp]) -> Vec<ChunkSave> {
    let mut index: HashMap<crate::record::ChunkKey, usize> = HashMap::new();
    let mut out: Vec<ChunkSave> = Vec::new();
    let mut seq_of: Vec<usize> = Vec::new();
    let saves = ops.iter().flat_map(|op| match op {
        WriteOp::Chunks(_, saves) => saves.as_slice(),
        _ => &[],
    });
    for (seq, s) in saves.enumerate() {
        match index.get(&s.key) {
            Some(&i) => {
                let old = std::mem::replace(&mut out[i], s.clone());
                if out[i].chunk.is_none() {
                    out[i].chunk = old.chunk;
                }
                seq_of[i] = seq;
            }
            None => {
                index.insert(s.key, out.len());
                out.push(s.clone());
                seq_of.push(seq);
            }
        }
    }
    dedup_objects(&mut out, &seq_of);
    out
}

fn dedup_objects(saves: &mut [ChunkSave], seq_of: &[usize]) {
    let mut winner: HashMap<i64, usize> = HashMap::new();
    for (i, s) in saves.iter().enumerate() {
        for o in &s.objects {
            let w = winner.entry(o.id).or_insert(i);
            if seq_of[i] >= seq_of[*w] {
                *w = i;
            }
        }
    }
    for (i, s) in saves.iter_mut().enumerate() {
        s.objects.retain(|o| winner[&o.id] == i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pending::Pending;
    use crate::record::{ChunkKey, ChunkRecord, ObjectRecord, PlayerRecord};

    fn save(cx: i32, tiles: Option<u8>, objects: &[(i64, u32)]) -> WriteOp {
        let key = ChunkKey { map: 1, cx, cy: 0 };
        let chunk = tiles.map(|t| ChunkRecord { key, version: 1, data: vec![t] });
        let objects = objects
            .iter()
            .map(|&(id, kind)| ObjectRecord { id, grid_x: cx, map: 1, kind, ..Default::default() })
            .collect();
        WriteOp::Chunks(None, vec![ChunkSave { key, chunk, objects }])
    }

    #[test]
    fn later_saves_win_and_moved_objects_appear_once() {
        let ops = [
            save(2, Some(1), &[]),
            save(1, Some(7), &[(10, 1)]),
            save(2, None, &[(10, 2)]), // object 10 moved from chunk 1 to chunk 2
        ];
        let refs: Vec<&WriteOp> = ops.iter().collect();
        let merged = merge_chunk_saves(&refs);
        assert_eq!(merged.len(), 2);
        let c2 = merged.iter().find(|s| s.key.cx == 2).unwrap();
        let c1 = merged.iter().find(|s| s.key.cx == 1).unwrap();
        assert_eq!(c2.chunk.as_ref().unwrap().data, vec![1], "tiles kept from the earlier save");
        assert_eq!(c2.objects.len(), 1);
        assert_eq!(c2.objects[0].kind, 2, "latest record of the moved object");
        assert!(c1.objects.is_empty());
    }

    fn msg(op: WriteOp) -> Msg {
        let (reply, _ticket) = Pending::channel();
        Msg::Op(op, reply)
    }

    fn handoff(items: Vec<ItemTx>) -> WriteOp {
        let save =
            PlayerSave { player: PlayerRecord::default(), seq: crate::owner::SaveSeq { claim: 1, n: 1 } };
        WriteOp::HandOff(Box::new(HandOff {
            from_shard: "a".into(),
            fence: None,
            save,
            items,
            token_hash: vec![1],
            to_shard: "b".into(),
            to_map: 0,
            expires_ms: 0,
        }))
    }

    fn kinds(queue: &VecDeque<Msg>) -> String {
        let letter = |m: &Msg| match kind(m) {
            Kind::Chunks => 'c',
            Kind::HandOff => 'h',
            Kind::Items => 'i',
            Kind::Players | Kind::Saves => 's',
            Kind::Barrier => 'b',
            Kind::Release => 'r',
            _ => '?',
        };
        queue.iter().map(letter).collect()
    }

    #[test]
    fn character_writes_pass_queued_chunk_saves_and_nothing_else() {
        let tx = || ItemTx::new("t", vec![]);
        let barrier = || Msg::Barrier(crossbeam_channel::bounded(1).0);
        let mut queue: VecDeque<Msg> = [
            msg(save(1, Some(1), &[])),
            msg(WriteOp::Items(tx())),
            msg(save(2, Some(1), &[])),
            msg(save(3, Some(1), &[])),
            msg(handoff(vec![])),
            msg(save(4, Some(1), &[])),
            msg(handoff(vec![tx()])), // carries world writes: keeps its place
            msg(save(5, Some(1), &[])),
            msg(WriteOp::Saves(None, vec![])),
            barrier(),
            msg(save(6, Some(1), &[])),
            msg(WriteOp::Release(1, "A".into())),
            msg(handoff(vec![])),
        ]
        .into_iter()
        .collect();
        chunk_saves_last(&mut queue);
        assert_eq!(kinds(&queue), "cihccchscbrhc");
        let (k, group) = next_group(&mut queue, 512);
        assert!(k == Kind::Chunks && group.len() == 1);
        let (k, group) = next_group(&mut queue, 512);
        assert!(k == Kind::Items && group.len() == 1);
        assert!(
            next_group(&mut queue, 512).0 == Kind::HandOff,
            "the hand-off before the chunk saves it passed"
        );
    }

    #[test]
    fn chunk_saves_commit_in_bounded_groups_so_later_writes_get_a_turn() {
        let mut queue: VecDeque<Msg> =
            (0..2 * CHUNK_GROUP as i32 + 3).map(|cx| msg(save(cx, Some(1), &[]))).collect();
        let sizes: Vec<usize> = std::iter::from_fn(|| {
            let (k, group) = next_group(&mut queue, 512);
            (!group.is_empty()).then(|| {
                assert!(k == Kind::Chunks);
                group.len()
            })
        })
        .collect();
        assert_eq!(sizes, [CHUNK_GROUP, CHUNK_GROUP, 3]);
        // Other writes merge up to the batch bound.
        let mut queue: VecDeque<Msg> = (0..5).map(|_| msg(WriteOp::Saves(None, vec![]))).collect();
        assert_eq!(next_group(&mut queue, 3).1.len(), 3);
        assert_eq!(next_group(&mut queue, 3).1.len(), 2);
        // A hand-off submitted while the first group commits passes the saves still queued.
        let mut queue: VecDeque<Msg> =
            (0..2 * CHUNK_GROUP as i32).map(|cx| msg(save(cx, Some(1), &[]))).collect();
        let _running = next_group(&mut queue, 512);
        queue.push_back(msg(handoff(vec![])));
        queue.push_back(msg(WriteOp::Saves(None, vec![])));
        chunk_saves_last(&mut queue);
        assert!(next_group(&mut queue, 512).0 == Kind::HandOff);
        assert!(next_group(&mut queue, 512).0 == Kind::Saves);
    }
}
