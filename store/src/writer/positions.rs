//! Position coalescing: the tick overwrites the latest position per player in a map; a worker
//! writes the whole map once per interval in one batched statement.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select};
use parking_lot::Mutex;

use crate::error::StoreError;
use crate::record::PositionUpdate;
use crate::retry::Conn;
use crate::stats::Counters;

/// Latest unwritten position per player. Holding the lock is O(1) for the tick.
#[derive(Debug, Default)]
pub(crate) struct PositionSink {
    latest: Mutex<HashMap<i64, PositionUpdate>>,
}

impl PositionSink {
    pub(crate) fn set(&self, u: PositionUpdate) {
        self.latest.lock().insert(u.player, u);
    }

    pub(crate) fn set_many(&self, updates: impl IntoIterator<Item = PositionUpdate>) {
        let mut map = self.latest.lock();
        for u in updates {
            map.insert(u.player, u);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.latest.lock().len()
    }

    fn take(&self) -> Vec<PositionUpdate> {
        let map = std::mem::take(&mut *self.latest.lock());
        let mut batch: Vec<PositionUpdate> = map.into_values().collect();
        // A stable row order keeps concurrent batches (several shards) from deadlocking.
        batch.sort_unstable_by_key(|u| u.player);
        batch
    }

    /// Puts a failed batch back without overwriting positions set since.
    fn restore(&self, batch: Vec<PositionUpdate>) {
        let mut map = self.latest.lock();
        for u in batch {
            map.entry(u.player).or_insert(u);
        }
    }
}

/// Control messages for the position worker.
#[derive(Debug)]
pub(crate) enum PosCtl {
    /// Write everything now (retrying until the deadline), then answer.
    FlushNow(Instant, Sender<()>),
}

pub(crate) struct PositionWorker {
    pub conn: Conn,
    pub sink: Arc<PositionSink>,
    pub ctl: Receiver<PosCtl>,
    pub interval: Duration,
    pub counters: Arc<Counters>,
}

impl PositionWorker {
    pub(crate) fn run(mut self) {
        let mut due = Instant::now() + self.interval;
        let mut failures = 0u32;
        loop {
            let wait = due.saturating_duration_since(Instant::now());
            select! {
                recv(self.ctl) -> msg => match msg {
                    Ok(PosCtl::FlushNow(deadline, ack)) => {
                        self.flush_until(deadline);
                        let _ = ack.send(());
                    }
                    Err(_) => return,
                },
                default(wait) => {
                    failures = if self.flush_once().is_ok() { 0 } else { failures + 1 };
                    due = Instant::now() + self.interval * (1 << failures.min(3));
                }
            }
        }
    }

    /// One batch; on failure the positions go back into the sink for the next attempt.
    fn flush_once(&mut self) -> Result<(), StoreError> {
        let batch = self.sink.take();
        if batch.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        match self.conn.try_once(&mut |b| b.write_positions(&batch)) {
            Ok(n) => {
                self.counters.positions_written.fetch_add(n as u64, Ordering::Relaxed);
                self.counters.position_batches.fetch_add(1, Ordering::Relaxed);
                self.counters.record_flush(started.elapsed());
                tracing::trace!(rows = n, took = ?started.elapsed(), "positions written");
                Ok(())
            }
            Err(e) => {
                self.counters.retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, pending = batch.len(), "position batch failed, will retry");
                self.sink.restore(batch);
                Err(e)
            }
        }
    }

    fn flush_until(&mut self, deadline: Instant) {
        let mut delay = Duration::from_millis(50);
        while self.flush_once().is_err() && Instant::now() + delay < deadline {
            if !self.conn.sleep(delay) {
                return;
            }
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }
}
