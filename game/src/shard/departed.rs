//! Players who just left, kept in memory until their last writes are durable and no login that
//! may have read older stored data is still running. Memory is never behind storage, so a
//! player who logs in again while its logout's writes are in flight (or whose login load
//! started before they landed) gets the record and items it left with, not the stale rows.

use super::login::LOGIN_TIMEOUT_MS;
use std::collections::HashMap;
use store::{ItemRecord, PlayerRecord, Ticket};

/// One player who left.
#[derive(Debug)]
struct Departed {
    record: PlayerRecord,
    items: Vec<ItemRecord>,
    /// Writes still in flight (the logout save, the last item transaction).
    tickets: Vec<Ticket>,
    /// When every write was durable (`None`: not yet).
    durable_at_ms: Option<u64>,
}

/// The players who left recently, by player id.
#[derive(Debug, Default)]
pub(crate) struct Departures {
    by_player: HashMap<i64, Departed>,
}

impl Departures {
    /// Remembers a player who left with `record` and `items`, its writes behind `tickets`.
    pub(crate) fn left(&mut self, record: PlayerRecord, items: Vec<ItemRecord>, tickets: Vec<Ticket>) {
        let departed = Departed { record, items, tickets, durable_at_ms: None };
        self.by_player.insert(departed.record.id, departed);
    }

    /// Follows the writes in flight and forgets players whose data every login now reads
    /// fresh (durable for longer than a login may take).
    pub(crate) fn step(&mut self, now_ms: u64) {
        self.by_player.retain(|_, d| {
            if d.durable_at_ms.is_none() {
                // A write that failed for good is logged by the writer; the memory copy stays the truth.
                d.tickets.retain(|t| t.try_take().is_none());
                if d.tickets.is_empty() {
                    d.durable_at_ms = Some(now_ms);
                }
            }
            d.durable_at_ms.is_none_or(|at| now_ms.saturating_sub(at) <= LOGIN_TIMEOUT_MS)
        });
    }

    /// The record and items `player` left with, when a login whose load started at
    /// `load_started_ms` may have read older data; the entry is consumed.
    pub(crate) fn take_newer(
        &mut self,
        player: i64,
        load_started_ms: u64,
    ) -> Option<(PlayerRecord, Vec<ItemRecord>)> {
        let stale = self.by_player.get(&player)?.durable_at_ms.is_none_or(|at| load_started_ms <= at);
        let d = self.by_player.remove(&player)?;
        stale.then_some((d.record, d.items))
    }
}
