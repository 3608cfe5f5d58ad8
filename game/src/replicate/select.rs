//! Which records make this tick's Frame: leaves first, then enters and updates by priority
//! ([`score`](super::record::score)), packed into the byte budget.

use super::known::Known;
use super::record::{Candidate, LEAVE_RECORD_LEN, SendKind, record_len};
use super::snapshot::Snapshot;
use net::protocol::{EntityId, EntityState, FrameBuilder};
use std::cmp::Reverse;

/// Puts the best `limit` candidates first, in order (no frame can hold more records than
/// that; the rest keep their unordered places). Leaves go before everything else.
pub(crate) fn prioritize(candidates: &mut [Candidate], limit: usize) {
    let key = |c: &Candidate| (c.kind != SendKind::Leave, Reverse(c.score), c.entry);
    if limit > 0 && candidates.len() > limit {
        // Selection is linear; sorting only the winners keeps a crowd's cost near one pass.
        candidates.select_nth_unstable_by_key(limit - 1, key);
        candidates[..limit].sort_unstable_by_key(key);
    } else {
        candidates.sort_unstable_by_key(key);
    }
}

/// Most records a frame of `budget` bytes can hold (all of the smallest kind).
pub(crate) fn max_records(budget: usize) -> usize {
    budget.saturating_sub(net::protocol::FRAME_HEAD_LEN) / LEAVE_RECORD_LEN
}

/// What filling a frame did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Filled {
    /// Records that did not fit and wait for a later tick.
    pub deferred: u64,
    /// Records sent again after a loss.
    pub resent: u64,
}

/// Where the records go and what they are about.
#[derive(Debug)]
pub(crate) struct Packer<'a> {
    /// The frame being built.
    pub builder: &'a mut FrameBuilder,
    /// The client's known table (entries are marked in flight as their records go in).
    pub known: &'a mut [Known],
    /// This tick's characters.
    pub snapshot: &'a Snapshot,
    /// Current tick.
    pub tick: u64,
    /// Largest frame, bytes.
    pub budget: usize,
}

impl Packer<'_> {
    /// Adds candidates in order while they fit; the rest stay unsent for a later tick.
    pub fn fill(&mut self, candidates: &[Candidate]) -> Filled {
        let mut filled = Filled::default();
        for c in candidates {
            let fits = self.builder.encoded_len() + record_len(c.kind) <= self.budget;
            if !(fits && self.push(c)) {
                filled.deferred += 1;
                continue;
            }
            let state = self.state_of(c);
            if let Some(entry) = self.known.get_mut(c.entry as usize)
                && entry.mark_sent(c.kind, state, self.tick)
            {
                filled.resent += 1;
            }
        }
        filled
    }

    /// Writes one record; false if the frame refused it.
    fn push(&mut self, c: &Candidate) -> bool {
        let Some(id) = self.known.get(c.entry as usize).map(|e| e.id) else { return false };
        match c.kind {
            SendKind::Leave => self.builder.push_leave(EntityId(id)),
            SendKind::Update => self.builder.push_update_record(self.snapshot.record(c.at as usize)),
            SendKind::Enter => self.builder.push_enter(&self.snapshot.character(c.at as usize).enter()),
        }
    }

    /// The state a record carries.
    fn state_of(&self, c: &Candidate) -> EntityState {
        match c.kind {
            SendKind::Leave => EntityState::default(),
            _ => self.snapshot.motion(c.at as usize).state,
        }
    }
}
