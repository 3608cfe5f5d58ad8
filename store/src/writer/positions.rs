//! Position coalescing: the tick overwrites the latest position per player in a map; a worker
//! writes the whole map once per interval in one batched statement.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select};
use parking_lot::Mutex;

use crate::error::StoreError;
use crate::owner::Fence;
use crate::record::PositionUpdate;
use crate::retry::Conn;
use crate::stats::Counters;

/// Latest unwritten position per player. Holding the lock is O(1) for the tick.
#[derive(Debug, Default)]
pub(crate) struct PositionSink {
    latest: Mutex<HashMap<i64, (PositionUpdate, Option<Fence>)>>,
}

/// Positions written together: those of one fence (or none).
type Group = (Option<Fence>, Vec<PositionUpdate>);

impl PositionSink {
    pub(crate) fn set(&self, u: PositionUpdate) {
        self.latest.lock().insert(u.player, (u, None));
    }

    pub(crate) fn set_many(&self, updates: impl IntoIterator<Item = PositionUpdate>) {
        self.set_many_fenced(None, updates);
    }

    pub(crate) fn set_many_fenced(
        &self,
        fence: Option<Fence>,
        updates: impl IntoIterator<Item = PositionUpdate>,
    ) {
        let mut map = self.latest.lock();
        for u in updates {
            map.insert(u.player, (u, fence));
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.latest.lock().len()
    }

    /// Everything pending, grouped by fence.
    fn take(&self) -> Vec<Group> {
        let map = std::mem::take(&mut *self.latest.lock());
        let mut groups: HashMap<Option<Fence>, Vec<PositionUpdate>> = HashMap::new();
        for (u, fence) in map.into_values() {
            groups.entry(fence).or_default().push(u);
        }
        let mut out: Vec<Group> = groups.into_iter().collect();
        // A stable row order keeps concurrent batches (several shards) from deadlocking.
        out.iter_mut().for_each(|(_, batch)| batch.sort_unstable_by_key(|u| u.player));
        out.sort_unstable_by_key(|(f, _)| f.map(|f| (f.map, f.epoch)));
        out
    }

    /// Puts a failed batch back without overwriting positions set since.
    fn restore(&self, fence: Option<Fence>, batch: Vec<PositionUpdate>) {
        let mut map = self.latest.lock();
        for u in batch {
            map.entry(u.player).or_insert((u, fence));
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

    /// One batch per fence; on failure the positions go back into the sink for the next
    /// attempt, except those of a stale fence, which are dropped and counted.
    fn flush_once(&mut self) -> Result<(), StoreError> {
        let mut result = Ok(());
        for (fence, batch) in self.sink.take() {
            if let Err(e) = self.write_group(fence, batch) {
                result = Err(e);
            }
        }
        result
    }

    fn write_group(&mut self, fence: Option<Fence>, batch: Vec<PositionUpdate>) -> Result<(), StoreError> {
        let started = Instant::now();
        match self.conn.try_once(&mut |b| b.write_positions_fenced(fence, &batch)) {
            Ok(n) => {
                self.counters.positions_written.fetch_add(n as u64, Ordering::Relaxed);
                self.counters.position_batches.fetch_add(1, Ordering::Relaxed);
                self.counters.record_flush(started.elapsed());
                tracing::trace!(rows = n, took = ?started.elapsed(), "positions written");
                Ok(())
            }
            Err(e @ StoreError::Fenced { .. }) => {
                self.counters.fenced.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, dropped = batch.len(), "position batch fenced, dropped");
                Ok(())
            }
            Err(e) => {
                self.counters.retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, pending = batch.len(), "position batch failed, will retry");
                self.sink.restore(fence, batch);
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
