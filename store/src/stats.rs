//! Counters of the write-behind pool and the snapshots and flush reports built from them.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters shared by the pool's threads.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub players_saved: AtomicU64,
    pub players_failed: AtomicU64,
    pub positions_written: AtomicU64,
    pub position_batches: AtomicU64,
    pub item_txs_ok: AtomicU64,
    pub item_txs_failed: AtomicU64,
    pub chunks_saved: AtomicU64,
    pub chunk_saves_failed: AtomicU64,
    pub retries: AtomicU64,
    pub fenced: AtomicU64,
    pub player_saves_stale: AtomicU64,
    pub handoffs: AtomicU64,
    pub handoffs_refused: AtomicU64,
    pub rejected_full: AtomicU64,
    pub dropped_at_stop: AtomicU64,
    pub flush_us_sum: AtomicU64,
    pub flushes: AtomicU64,
    pub last_flush_us: AtomicU64,
}

/// A snapshot of the write-behind counters (totals since start), for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    pub players_saved: u64,
    pub players_failed: u64,
    pub positions_written: u64,
    pub position_batches: u64,
    pub item_txs_ok: u64,
    pub item_txs_failed: u64,
    pub chunks_saved: u64,
    pub chunk_saves_failed: u64,
    /// Failed attempts that were retried (connection lost, database down).
    pub retries: u64,
    /// Writes refused because their map's fence is stale ([`crate::StoreError::Fenced`]): another
    /// shard took the map. Each failed for good (its ticket and [`crate::WriteFailure`] say which
    /// map); the shard stops simulating that map.
    pub fenced: u64,
    /// Sequenced saves that changed nothing because a newer save (or claim) was stored.
    pub player_saves_stale: u64,
    /// Hand-offs committed through [`crate::Writer::hand_off`].
    pub handoffs: u64,
    /// Hand-offs that failed for good: refused ([`crate::StoreError::Fenced`], `NotOwner`,
    /// `Rejected`) or still queued when the pool stopped.
    pub handoffs_refused: u64,
    /// Submissions refused because the queue was full.
    pub rejected_full: u64,
    /// Operations still queued when the pool was stopped (logged as errors).
    pub dropped_at_stop: u64,
    /// Transactions and position batches written (each one is a flush to the database).
    pub flushes: u64,
    /// Their total duration, microseconds (with `flushes`: the mean flush latency).
    pub flush_us_sum: u64,
    /// Duration of the most recent one, microseconds.
    pub last_flush_us: u64,
    /// Operations queued or in flight right now.
    pub queue_depth: u64,
    /// Players whose position waits for the next batch.
    pub positions_pending: u64,
}

impl Counters {
    /// Records one database write (transaction or position batch) that took `took`.
    pub(crate) fn record_flush(&self, took: std::time::Duration) {
        let us = took.as_micros().min(u128::from(u64::MAX)) as u64;
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.flush_us_sum.fetch_add(us, Ordering::Relaxed);
        self.last_flush_us.store(us, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, queue_depth: u64, positions_pending: u64) -> WriterStats {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WriterStats {
            players_saved: get(&self.players_saved),
            players_failed: get(&self.players_failed),
            positions_written: get(&self.positions_written),
            position_batches: get(&self.position_batches),
            item_txs_ok: get(&self.item_txs_ok),
            item_txs_failed: get(&self.item_txs_failed),
            chunks_saved: get(&self.chunks_saved),
            chunk_saves_failed: get(&self.chunk_saves_failed),
            retries: get(&self.retries),
            fenced: get(&self.fenced),
            player_saves_stale: get(&self.player_saves_stale),
            handoffs: get(&self.handoffs),
            handoffs_refused: get(&self.handoffs_refused),
            rejected_full: get(&self.rejected_full),
            dropped_at_stop: get(&self.dropped_at_stop),
            flushes: get(&self.flushes),
            flush_us_sum: get(&self.flush_us_sum),
            last_flush_us: get(&self.last_flush_us),
            queue_depth,
            positions_pending,
        }
    }
}

/// What a flush wrote (since the previous flush) and what, if anything, is still unwritten.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushReport {
    pub players_saved: u64,
    pub players_failed: u64,
    pub positions_written: u64,
    pub item_txs_ok: u64,
    pub item_txs_failed: u64,
    pub chunks_saved: u64,
    pub chunk_saves_failed: u64,
    pub retries: u64,
    /// Operations still queued because the deadline passed (database down).
    pub pending_ops: u64,
    /// Positions still unwritten because the deadline passed.
    pub pending_positions: u64,
}

impl FlushReport {
    /// True when everything submitted before the flush is durable (or was reported as failed).
    pub fn complete(&self) -> bool {
        self.pending_ops == 0 && self.pending_positions == 0
    }

    pub(crate) fn between(before: &WriterStats, after: &WriterStats) -> FlushReport {
        FlushReport {
            players_saved: after.players_saved - before.players_saved,
            players_failed: after.players_failed - before.players_failed,
            positions_written: after.positions_written - before.positions_written,
            item_txs_ok: after.item_txs_ok - before.item_txs_ok,
            item_txs_failed: after.item_txs_failed - before.item_txs_failed,
            chunks_saved: after.chunks_saved - before.chunks_saved,
            chunk_saves_failed: after.chunk_saves_failed - before.chunk_saves_failed,
            retries: after.retries - before.retries,
            pending_ops: after.queue_depth,
            pending_positions: after.positions_pending,
        }
    }
}

impl std::fmt::Display for FlushReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "player saves {} ok / {} failed, positions written {}, item transactions {} ok / {} failed, \
             chunk saves {} ok / {} failed, retries {}, still pending: {} operations, {} positions",
            self.players_saved,
            self.players_failed,
            self.positions_written,
            self.item_txs_ok,
            self.item_txs_failed,
            self.chunks_saved,
            self.chunk_saves_failed,
            self.retries,
            self.pending_ops,
            self.pending_positions
        )
    }
}
