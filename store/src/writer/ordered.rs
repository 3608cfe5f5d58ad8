//! The ordered write worker: player saves, item transactions and chunk saves, applied in submit
//! order, consecutive writes of one kind merged into one transaction (group commit), retried
//! until durable.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender};

use crate::backend::{BatchOutcome, CommitMark, Created};
use crate::error::StoreError;
use crate::owner::{Fence, PlayerSave};
use crate::record::{ChunkSave, ItemTx, PlayerRecord};
use crate::retry::Conn;
use crate::stats::Counters;

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
    Barrier,
}

fn kind(m: &Msg) -> Kind {
    match m {
        Msg::Op(WriteOp::Players(_), _) => Kind::Players,
        Msg::Op(WriteOp::Create(..), _) => Kind::Create,
        Msg::Op(WriteOp::Items(_), _) => Kind::Items,
        Msg::Op(WriteOp::Chunks(..), _) => Kind::Chunks,
        Msg::Op(WriteOp::Saves(..), _) => Kind::Saves,
        Msg::Barrier(_) => Kind::Barrier,
    }
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
    pub(crate) fn run(mut self) {
        while let Ok(first) = self.rx.recv() {
            let mut batch = vec![first];
            while batch.len() < self.max_batch {
                match self.rx.try_recv() {
                    Ok(m) => batch.push(m),
                    Err(_) => break,
                }
            }
            self.process(batch);
        }
        tracing::debug!("ordered writer stopped");
    }

    fn process(&mut self, batch: Vec<Msg>) {
        let mut rest = batch.into_iter().peekable();
        while let Some(first) = rest.next() {
            let k = kind(&first);
            let mut group = vec![first];
            // A creation claims a name and answers NameTaken alone: never merged.
            let mergeable = matches!(k, Kind::Players | Kind::Items | Kind::Chunks | Kind::Saves);
            while mergeable && let Some(next) = rest.next_if(|m| kind(m) == k) {
                group.push(next);
            }
            self.run_group(k, group);
        }
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
        match k {
            Kind::Barrier => {}
            Kind::Items => self.run_items(ops),
            Kind::Create | Kind::Players | Kind::Chunks | Kind::Saves => self.run_merged(ops),
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
            (WriteOp::Saves(..), _) => return,
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
    use crate::record::{ChunkKey, ChunkRecord, ObjectRecord};

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
}
