//! The ordered write worker: player saves, item transactions and chunk saves, applied in submit
//! order, consecutive saves merged into one transaction, retried until durable.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender};

use crate::backend::Created;
use crate::error::StoreError;
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
    Chunks(Vec<ChunkSave>),
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
}

enum Kind {
    Players,
    Items,
    Chunks,
    Barrier,
}

fn kind(m: &Msg) -> Kind {
    match m {
        Msg::Op(WriteOp::Players(_), _) => Kind::Players,
        Msg::Op(WriteOp::Items(_) | WriteOp::Create(..), _) => Kind::Items,
        Msg::Op(WriteOp::Chunks(_), _) => Kind::Chunks,
        Msg::Barrier(_) => Kind::Barrier,
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
            let mut group = vec![first];
            let k = kind(&group[0]);
            let mergeable = matches!(k, Kind::Players | Kind::Chunks);
            while mergeable
                && rest.peek().is_some_and(|m| std::mem::discriminant(&kind(m)) == std::mem::discriminant(&k))
            {
                group.push(rest.next().expect("peeked"));
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
            Kind::Items => ops.into_iter().for_each(|(op, reply)| self.run_merged(vec![(op, reply)])),
            Kind::Players | Kind::Chunks => self.run_merged(ops),
        }
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
            WriteOp::Items(tx) => self.conn.retry(None, &mut |b| b.apply_item_tx(tx)),
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
            WriteOp::Chunks(_) => {
                let saves = merge_chunk_saves(ops);
                self.conn.retry(None, &mut |b| b.save_chunks(&saves))
            }
        }
    }

    fn finish(&mut self, ops: Vec<(WriteOp, Reply)>, result: Result<(), StoreError>) {
        for (op, reply) in ops {
            self.count(&op, result.is_ok());
            if let Err(e) = &result
                && !matches!(e, StoreError::NameTaken(_))
            {
                self.report_failure(&op, e);
            }
            self.depth.fetch_sub(1, Ordering::Relaxed);
            let _ = reply.send(result.clone());
        }
    }

    fn count(&self, op: &WriteOp, ok: bool) {
        let c = &self.counters;
        let (counter, n) = match (op, ok) {
            (WriteOp::Players(p), true) => (&c.players_saved, p.len()),
            (WriteOp::Create(..), true) => (&c.players_saved, 1),
            (WriteOp::Create(..), false) => (&c.players_failed, 1),
            (WriteOp::Items(_), true) => (&c.item_txs_ok, 1),
            (WriteOp::Items(_), false) => (&c.item_txs_failed, 1),
            (WriteOp::Chunks(s), true) => (&c.chunks_saved, s.len()),
            (WriteOp::Chunks(s), false) => (&c.chunk_saves_failed, s.len()),
            (WriteOp::Players(p), false) => (&c.players_failed, p.len()),
        };
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    fn report_failure(&self, op: &WriteOp, error: &StoreError) {
        let what = describe(op);
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
        WriteOp::Items(tx) => format!("item transaction '{}' ({} ops)", tx.label, tx.ops.len()),
        WriteOp::Create(p, _) => format!("creation of player {}", p.id),
        WriteOp::Chunks(s) => {
            let keys: Vec<_> = s.iter().map(|s| (s.key.map, s.key.cx, s.key.cy)).collect();
            format!("chunk save {keys:?}")
        }
    }
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
        WriteOp::Chunks(saves) => saves.as_slice(),
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
        WriteOp::Chunks(vec![ChunkSave { key, chunk, objects }])
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
