//! A client's known-entity table: per entity, what the client surely holds (acknowledged) and
//! the newest record in flight, how selective acks settle them, and the merge against this
//! tick's visible set that yields the records the client needs.

use super::snapshot::{Character, Snapshot};
use super::state::{Baseline, EntityState};
use net::protocol::Ack;

/// The kind of a record in a Frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SendKind {
    /// Leave record (sorted first: leaves go before everything else).
    Leave,
    /// Enter record (full state).
    Enter,
    /// Update record.
    Update,
}

/// A record sent and not yet settled by an ack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InFlight {
    /// Tick of the Frame that carried it.
    pub tick: u64,
    /// Record kind.
    pub kind: SendKind,
    /// State it carried (unused for leaves).
    pub state: EntityState,
}

/// What became of an entry after an ack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    /// Keep the entry.
    Keep,
    /// Its Leave arrived: forget the entity.
    Forget,
}

/// One entity a client may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Known {
    /// Wire id.
    pub id: u64,
    /// The state the client surely holds, with the tick it is from.
    pub acked: Option<Baseline>,
    /// The newest record in flight.
    pub in_flight: Option<InFlight>,
    /// A record may have reached the client since it last surely forgot the entity, so a Leave
    /// is owed when the entity goes out of view.
    pub maybe_held: bool,
    /// A send was lost: the next record for this entry is a resend.
    pub lost: bool,
    /// Last tick the entry needed nothing (a waiting record's age counts from here).
    pub settled_tick: u64,
}

impl Known {
    /// A fresh entry the client does not hold.
    fn new(id: u64, tick: u64) -> Self {
        Self { id, acked: None, in_flight: None, maybe_held: false, lost: false, settled_tick: tick }
    }

    /// What updates are measured against: the newest state sent, else the acknowledged one.
    fn baseline(&self) -> Option<Baseline> {
        match self.in_flight {
            Some(f) if f.kind != SendKind::Leave => Some(Baseline { tick: f.tick, state: f.state }),
            Some(_) => None,
            None => self.acked,
        }
    }

    /// The record this entry needs now, given the entity's state if it is visible.
    fn need(&self, visible: Option<&Character>, tick: u64, tolerance: i32) -> Option<SendKind> {
        let Some(c) = visible else {
            let leaving = matches!(self.in_flight, Some(f) if f.kind == SendKind::Leave);
            return (self.maybe_held && !leaving).then_some(SendKind::Leave);
        };
        match self.baseline() {
            None => Some(SendKind::Enter),
            Some(b) if !b.drifted(&c.state, tick, tolerance) => None,
            Some(_) if self.acked.is_some() => Some(SendKind::Update),
            Some(_) => Some(SendKind::Enter),
        }
    }

    /// True when nothing is owed or pending for an entity out of view.
    fn forgettable(&self) -> bool {
        !self.maybe_held && self.in_flight.is_none()
    }

    /// Records that a record of `kind` carrying `state` went out in the Frame of `tick`;
    /// returns true when it is a resend of a lost one.
    pub fn mark_sent(&mut self, kind: SendKind, state: EntityState, tick: u64) -> bool {
        self.in_flight = Some(InFlight { tick, kind, state });
        if kind == SendKind::Leave {
            // Once the Leave may have arrived, the client no longer surely holds anything.
            self.acked = None;
        }
        self.maybe_held = true;
        self.settled_tick = tick;
        std::mem::take(&mut self.lost)
    }

    /// Applies a selective ack to the record in flight.
    pub fn on_ack(&mut self, ack: &Ack) -> Settled {
        let Some(f) = self.in_flight else { return Settled::Keep };
        match ack.received(f.tick) {
            Some(true) if f.kind == SendKind::Leave => return Settled::Forget,
            Some(true) => self.acked = Some(Baseline { tick: f.tick, state: f.state }),
            Some(false) => self.lost = true,
            None => return Settled::Keep,
        }
        self.in_flight = None;
        Settled::Keep
    }

    /// Treats a record unanswered for `inflight_ticks` as lost.
    pub fn expire(&mut self, tick: u64, inflight_ticks: u64) {
        if let Some(f) = self.in_flight
            && tick.saturating_sub(f.tick) >= inflight_ticks
        {
            self.in_flight = None;
            self.lost = true;
        }
    }
}

/// An entity in view: its wire id and snapshot position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Visible {
    /// Wire id.
    pub id: u64,
    /// Position in the snapshot.
    pub at: u32,
}

/// A record the client needs this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Record kind.
    pub kind: SendKind,
    /// Entry in the known table.
    pub entry: u32,
    /// Snapshot position (meaningless for leaves).
    pub at: u32,
    /// Ticks the record has been waiting.
    pub age: u64,
    /// Priority, higher first (filled in by the selection).
    pub score: i64,
}

/// The per-tick inputs of a merge.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MergeInput<'a> {
    /// This tick's characters.
    pub snapshot: &'a Snapshot,
    /// Entities in view, sorted by id.
    pub visible: &'a [Visible],
    /// Current tick.
    pub tick: u64,
    /// Dead-reckoning tolerance.
    pub tolerance: i32,
}

/// A known table being rebuilt: the merge writes the surviving entries into `next` and the
/// records they need into `candidates`.
#[derive(Debug)]
pub(crate) struct Merge<'a> {
    /// Entries after the merge, sorted by id.
    pub next: &'a mut Vec<Known>,
    /// Records needed.
    pub candidates: &'a mut Vec<Candidate>,
}

impl Merge<'_> {
    /// Merges the sorted `known` table with the sorted visible list.
    pub fn run(&mut self, known: &[Known], input: &MergeInput<'_>) {
        self.next.clear();
        self.candidates.clear();
        let (mut k, mut v) = (0, 0);
        while k < known.len() || v < input.visible.len() {
            let known_id = known.get(k).map_or(u64::MAX, |e| e.id);
            let seen = input.visible.get(v).filter(|s| s.id <= known_id);
            match seen {
                Some(s) if k < known.len() && s.id == known_id => {
                    self.keep(known[k], Some(*s), input);
                    (k, v) = (k + 1, v + 1);
                }
                Some(s) => {
                    self.keep(Known::new(s.id, input.tick), Some(*s), input);
                    v += 1;
                }
                None => {
                    self.keep(known[k], None, input);
                    k += 1;
                }
            }
        }
    }

    /// Keeps `entry` (unless it is out of view with nothing owed) and notes what it needs.
    fn keep(&mut self, mut entry: Known, seen: Option<Visible>, input: &MergeInput<'_>) {
        let character = seen.map(|s| input.snapshot.character(s.at as usize));
        let need = entry.need(character, input.tick, input.tolerance);
        if need.is_none() && seen.is_none() && entry.forgettable() {
            return;
        }
        if need.is_none() {
            entry.settled_tick = input.tick;
        }
        let index = self.next.len() as u32;
        self.next.push(entry);
        if let Some(kind) = need {
            let at = seen.map_or(0, |s| s.at);
            let age = input.tick.saturating_sub(entry.settled_tick);
            self.candidates.push(Candidate { kind, entry: index, at, age, score: 0 });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(kind: SendKind, tick: u64) -> Known {
        let mut k = Known::new(7, 0);
        k.mark_sent(kind, EntityState::default(), tick);
        k
    }

    #[test]
    fn acks_settle_lose_and_forget() {
        let mut enter = sent(SendKind::Enter, 10);
        assert_eq!(enter.on_ack(&Ack { tick: 9, received: 0 }), Settled::Keep);
        assert!(enter.in_flight.is_some(), "an older ack says nothing");
        enter.on_ack(&Ack { tick: 12, received: 0b10 });
        assert_eq!((enter.acked.map(|b| b.tick), enter.in_flight), (Some(10), None));

        let mut lost = sent(SendKind::Update, 10);
        lost.on_ack(&Ack { tick: 11, received: 0 });
        assert!(lost.lost && lost.in_flight.is_none());
        assert!(lost.mark_sent(SendKind::Update, EntityState::default(), 12), "counted as a resend");

        let mut leave = sent(SendKind::Enter, 3);
        leave.mark_sent(SendKind::Leave, EntityState::default(), 4);
        assert_eq!(leave.acked, None, "a leave that may arrive ends what the client surely holds");
        assert_eq!(leave.on_ack(&Ack { tick: 4, received: 0 }), Settled::Forget);

        let mut silent = sent(SendKind::Enter, 10);
        silent.expire(49, 40);
        assert!(silent.in_flight.is_some());
        silent.expire(50, 40);
        assert!(silent.lost && silent.in_flight.is_none(), "unanswered too long counts as lost");
    }
}
