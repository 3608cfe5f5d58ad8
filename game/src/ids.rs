//! Blocks of store ids (players, items, objects) fetched ahead off the tick, so a login or an item
//! operation never waits for a round trip to the database just to name a new record.

use std::ops::Range;
use store::{IdKind, Loader, Pending};

/// Ids handed out per request to the store.
const BLOCK: u32 = 256;
/// Ask for the next block when fewer than this many ids are left.
const LOW_WATER: i64 = 64;

/// A prefetched supply of one kind of id.
#[derive(Debug)]
pub(crate) struct IdPool {
    kind: IdKind,
    ready: Range<i64>,
    next: Option<Range<i64>>,
    pending: Option<Pending<Range<i64>>>,
    /// Ids per block request.
    block: u32,
    /// Ask for the next block when fewer than this many are left.
    low_water: i64,
    /// Failed block requests (retried on the next take).
    pub(crate) errors: u64,
}

impl IdPool {
    pub(crate) fn new(kind: IdKind) -> Self {
        Self::with_block(kind, BLOCK)
    }

    /// A pool fetching `block` ids at a time, the next block asked for at half of one left
    /// (item operations draw ids many times faster than logins).
    pub(crate) fn with_block(kind: IdKind, block: u32) -> Self {
        let low_water = i64::from(block / 2).max(LOW_WATER);
        Self { kind, ready: 0..0, next: None, pending: None, block, low_water, errors: 0 }
    }

    /// Ids on hand (asks for more when running low).
    pub(crate) fn available(&mut self, loader: &Loader) -> usize {
        self.poll(loader);
        self.held() as usize
    }

    /// Ids in the current and the next block.
    fn held(&self) -> i64 {
        self.ready.end - self.ready.start + self.next.as_ref().map_or(0, |r| r.end - r.start)
    }

    /// Takes `n` consecutive-or-not ids, or `None` (and a refill request) when not enough are here.
    pub(crate) fn take(&mut self, loader: &Loader, n: usize) -> Option<Vec<i64>> {
        if self.available(loader) < n {
            return None;
        }
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            if self.ready.is_empty() {
                self.ready = self.next.take().unwrap_or(0..0);
            }
            out.extend(self.ready.next());
        }
        self.poll(loader);
        Some(out)
    }

    /// Collects a finished block and asks for another when running low.
    fn poll(&mut self, loader: &Loader) {
        if let Some(result) = self.pending.as_ref().and_then(|p| p.try_take()) {
            self.pending = None;
            match result {
                Ok(block) if self.ready.is_empty() => self.ready = block,
                Ok(block) => self.next = Some(block),
                Err(e) => {
                    self.errors += 1;
                    tracing::warn!(kind = self.kind.as_str(), error = %e, "id block request failed");
                }
            }
        }
        if self.held() < self.low_water && self.pending.is_none() && self.next.is_none() {
            match loader.reserve_ids(self.kind, self.block) {
                Ok(p) => self.pending = Some(p),
                Err(e) => {
                    self.errors += 1;
                    tracing::warn!(kind = self.kind.as_str(), error = %e, "cannot request ids");
                }
            }
        }
    }
}
