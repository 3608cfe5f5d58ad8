//! A client's known-entity table: per entity, what the client surely holds (acknowledged) and
//! the newest record in flight, how selective acks settle them, and the two passes that yield
//! the records the client needs: the merge against a freshly gathered visible set, and the
//! in-place review between refreshes that follows the same entities by id.

use super::record::{Candidate, SendKind, score};
use super::snapshot::Snapshot;
use super::state::Baseline;
use net::protocol::{Ack, EntityState};

/// The record of an entry in flight, if any (one byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flight {
    /// Nothing unanswered.
    None,
    /// A record of this kind went out at [`Known::flight_tick`] and no ack has answered it.
    Sent(SendKind),
}

/// What became of an entry after an ack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    /// Keep the entry.
    Keep,
    /// Its Leave arrived: forget the entity.
    Forget,
}

/// One entity a client may hold: 48 bytes, since every client's table is read each tick.
/// Ticks are kept as their low 32 bits (differences wrap correctly for 6 years of ticks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Known {
    /// Wire id.
    pub id: u64,
    /// The state updates are measured against: the newest state sent (the client holds it once
    /// the record in flight arrives, or already holds it when nothing is in flight).
    base: EntityState,
    /// Tick of `base`.
    base_tick: u32,
    /// Tick of the record in flight.
    flight_tick: u32,
    /// Tick since which a record has been waiting to be sent, [`QUIET`] while none is.
    pub waiting_since: u32,
    /// Snapshot slot it was last seen in (a hint for the next lookup).
    pub slot: u32,
    /// The record in flight.
    pub flight: Flight,
    /// The client surely holds the entity (an Enter or Update of it was acknowledged since the
    /// last Leave went out).
    pub acked: bool,
    /// A record may have reached the client since it last surely forgot the entity, so a Leave
    /// is owed when the entity goes out of view.
    pub maybe_held: bool,
    /// A send was lost: the next record for this entry is a resend.
    pub lost: bool,
    /// The entity was in the visible set at the last refresh (and still exists).
    pub in_view: bool,
    /// It was among the viewer's nearest at the last refresh: reviewed every tick.
    pub near: bool,
}

/// The full tick whose low 32 bits are `low`, at most 2^32 - 1 ticks before `now`.
fn widen(low: u32, now: u64) -> u64 {
    now.wrapping_sub(u64::from((now as u32).wrapping_sub(low)))
}

impl Known {
    /// A fresh entry the client does not hold.
    fn new(id: u64) -> Self {
        Self {
            id,
            base: EntityState::default(),
            base_tick: 0,
            flight_tick: 0,
            waiting_since: QUIET,
            slot: 0,
            flight: Flight::None,
            acked: false,
            maybe_held: false,
            lost: false,
            in_view: false,
            near: false,
        }
    }

    /// Applies the acks that arrived since the last pass (oldest first), then treats a record
    /// unanswered for `inflight_ticks` as lost.
    pub fn settle(&mut self, acks: &[Ack], tick: u64, inflight_ticks: u64) -> Settled {
        if self.flight == Flight::None {
            return Settled::Keep;
        }
        for ack in acks {
            if self.on_ack(ack, tick) == Settled::Forget {
                return Settled::Forget;
            }
        }
        self.expire(tick, inflight_ticks);
        Settled::Keep
    }

    /// What updates are measured against, if the client holds (or will hold) the entity.
    fn baseline(&self, tick: u64) -> Option<Baseline> {
        let held = match self.flight {
            Flight::Sent(SendKind::Leave) => false,
            Flight::Sent(_) => true,
            Flight::None => self.acked,
        };
        held.then(|| Baseline { tick: widen(self.base_tick, tick), state: self.base })
    }

    /// The record this entry needs now, given the entity's state if it is visible.
    fn need(&self, visible: Option<&EntityState>, tick: u64, tolerance: i32) -> Option<SendKind> {
        let Some(now) = visible else {
            let leaving = self.flight == Flight::Sent(SendKind::Leave);
            return (self.maybe_held && !leaving).then_some(SendKind::Leave);
        };
        let resend = if self.acked { SendKind::Update } else { SendKind::Enter };
        if self.lost {
            // What the client holds is older than `base`: send the current state again.
            return Some(resend);
        }
        match self.baseline(tick) {
            None => Some(SendKind::Enter),
            Some(b) if !b.drifted(now, tick, tolerance) => None,
            Some(_) => Some(resend),
        }
    }

    /// True when nothing is owed or pending for an entity out of view.
    fn forgettable(&self) -> bool {
        !self.maybe_held && self.flight == Flight::None
    }

    /// Records that a record of `kind` carrying `state` went out in the Frame of `tick`;
    /// returns true when it is a resend of a lost one.
    pub fn mark_sent(&mut self, kind: SendKind, state: EntityState, tick: u64) -> bool {
        self.flight = Flight::Sent(kind);
        self.flight_tick = tick as u32;
        if kind == SendKind::Leave {
            // Once the Leave may have arrived, the client no longer surely holds anything.
            self.acked = false;
        } else {
            (self.base, self.base_tick) = (state, tick as u32);
        }
        self.maybe_held = true;
        self.waiting_since = QUIET;
        std::mem::take(&mut self.lost)
    }

    /// Applies a selective ack (received before tick `now`) to the record in flight.
    pub fn on_ack(&mut self, ack: &Ack, now: u64) -> Settled {
        let Flight::Sent(kind) = self.flight else { return Settled::Keep };
        match ack.received(widen(self.flight_tick, now)) {
            Some(true) if kind == SendKind::Leave => return Settled::Forget,
            Some(true) => self.acked = true,
            Some(false) => self.lost = true,
            None => return Settled::Keep,
        }
        self.flight = Flight::None;
        Settled::Keep
    }

    /// Treats a record unanswered for `inflight_ticks` as lost.
    pub fn expire(&mut self, tick: u64, inflight_ticks: u64) {
        if self.flight != Flight::None
            && u64::from((tick as u32).wrapping_sub(self.flight_tick)) >= inflight_ticks
        {
            self.flight = Flight::None;
            self.lost = true;
        }
    }
}

/// [`Known::waiting_since`] of an entry that needs nothing.
pub(crate) const QUIET: u32 = u32::MAX;

/// An entity in view: its snapshot position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Visible {
    /// Slot in the snapshot.
    pub at: u32,
    /// Among the viewer's nearest (reviewed every tick until the next refresh).
    pub near: bool,
}

/// The per-tick inputs of a pass over the known table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PassInput<'a> {
    /// This tick's characters.
    pub snapshot: &'a Snapshot,
    /// Acks that arrived since the last pass, oldest first.
    pub acks: &'a [Ack],
    /// Current tick.
    pub tick: u64,
    /// Dead-reckoning tolerance.
    pub tolerance: i32,
    /// Ticks after which an unanswered record counts as lost.
    pub inflight_ticks: u64,
    /// The viewer's position (candidates are scored against it).
    pub viewer: (i32, i32),
    /// Ticks between reviews of entries that are not near (at least 1).
    pub far_every: u64,
}

impl PassInput<'_> {
    /// Settles `entry` and works out what it needs given the entity's slot (if in view) and
    /// state there: `None` when its Leave arrived or it is out of view with nothing owed (forget
    /// it), else the record it needs, if any. Updates the entry's view, slot and waiting tick.
    /// Works in place: every client runs this on every entry it follows, every tick.
    #[inline]
    fn judge(&self, entry: &mut Known, seen: Option<(u32, &EntityState)>) -> Option<Option<SendKind>> {
        if entry.settle(self.acks, self.tick, self.inflight_ticks) == Settled::Forget {
            return None;
        }
        let need = entry.need(seen.map(|(_, s)| s), self.tick, self.tolerance);
        if need.is_none() && seen.is_none() && entry.forgettable() {
            return None;
        }
        entry.waiting_since = match need {
            None => QUIET,
            Some(_) if entry.waiting_since == QUIET => self.tick as u32,
            Some(_) => entry.waiting_since,
        };
        entry.in_view = seen.is_some();
        if let Some((at, _)) = seen {
            entry.slot = at;
        }
        Some(need)
    }

    /// True when a review must look at `entry` whatever its turn: near, out of view (a Leave
    /// may be owed), with a record in flight, or not surely held by the client (an Enter is
    /// owed: entering goes nearest first across the whole view).
    #[inline]
    fn due(&self, entry: &Known) -> bool {
        entry.near || !entry.in_view || entry.flight != Flight::None || !entry.acked
    }

    /// The slot and state of a visible entity.
    #[inline]
    fn state_at(&self, at: u32) -> (u32, &EntityState) {
        (at, &self.snapshot.motion(at as usize).state)
    }
}

/// A known table pass: writes the surviving entries and the records they need.
#[derive(Debug)]
pub(crate) struct Merge<'a> {
    /// Entries after a merge: the surviving ones in their order, then the newcomers (unused by
    /// a review, which works in place).
    pub next: &'a mut Vec<Known>,
    /// Records needed, scored.
    pub candidates: &'a mut Vec<Candidate>,
}

impl Merge<'_> {
    /// Merges the `known` table with a freshly gathered visible set: entities in the set are in
    /// view, all others are not; entities of the set the table lacks are appended. `chosen` is
    /// per-slot scratch, all zero before and after (it marks the set by slot, so matching
    /// entries to it takes one lookup each and neither list is sorted).
    pub fn run(
        &mut self,
        known: &[Known],
        visible: &[Visible],
        chosen: &mut Vec<u32>,
        input: &PassInput<'_>,
    ) {
        self.next.clear();
        self.candidates.clear();
        if chosen.len() < input.snapshot.len() {
            chosen.resize(input.snapshot.len(), 0);
        }
        for (i, v) in visible.iter().enumerate() {
            chosen[v.at as usize] = i as u32 + 1;
        }
        for e in known {
            let mut entry = *e;
            let seen = input.snapshot.locate(entry.id, entry.slot).and_then(|at| {
                let mark = std::mem::take(&mut chosen[at as usize]);
                (mark != 0).then(|| visible[mark as usize - 1])
            });
            self.keep(&mut entry, seen, input);
        }
        for v in visible {
            if std::mem::take(&mut chosen[v.at as usize]) != 0 {
                let mut entry = Known::new(input.snapshot.motion(v.at as usize).id);
                self.keep(&mut entry, Some(*v), input);
            }
        }
    }

    /// Judges `entry` against its place in the new visible set and keeps it unless forgotten.
    #[inline]
    fn keep(&mut self, entry: &mut Known, seen: Option<Visible>, input: &PassInput<'_>) {
        entry.near = seen.is_some_and(|s| s.near);
        let seen = seen.map(|s| input.state_at(s.at));
        let Some(need) = input.judge(entry, seen) else { return };
        self.note(need, self.next.len(), entry, seen, input);
        self.next.push(*entry);
    }

    /// Reviews the table in place between refreshes: entities in view at the last refresh stay
    /// in view while they exist (found by id in this tick's snapshot), all others stay out.
    /// Entries that are not near are reviewed every `far_every` ticks (taking turns by position)
    /// unless [`PassInput::due`] says otherwise; skipped ones need nothing this tick.
    pub fn review(&mut self, known: &mut Vec<Known>, input: &PassInput<'_>) {
        self.candidates.clear();
        let mut kept = 0;
        // Far entries take turns by position: one in `far_every`, a different one each tick.
        let mut turn = (input.tick % input.far_every) as u32;
        let far_every = input.far_every as u32;
        for read in 0..known.len() {
            let mut entry = known[read];
            turn = if turn + 1 >= far_every { 0 } else { turn + 1 };
            if !(turn == 0 || input.due(&entry)) {
                known[kept] = entry;
                kept += 1;
                continue;
            }
            let seen = if entry.in_view { input.snapshot.locate(entry.id, entry.slot) } else { None };
            let seen = seen.map(|at| input.state_at(at));
            let Some(need) = input.judge(&mut entry, seen) else { continue };
            known[kept] = entry;
            self.note(need, kept, &entry, seen, input);
            kept += 1;
        }
        known.truncate(kept);
    }

    /// Adds the record entry `index` needs, if any, to the candidates with its priority.
    #[inline]
    fn note(
        &mut self,
        need: Option<SendKind>,
        index: usize,
        entry: &Known,
        seen: Option<(u32, &EntityState)>,
        input: &PassInput<'_>,
    ) {
        if let Some(kind) = need {
            let at = seen.map_or(0, |(at, _)| at);
            let age = u64::from((input.tick as u32).wrapping_sub(entry.waiting_since));
            let score = score(kind, age, seen.map(|(_, s)| s), input.viewer);
            self.candidates.push(Candidate { kind, entry: index as u32, at, score });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(kind: SendKind, tick: u64) -> Known {
        let mut k = Known::new(7);
        k.mark_sent(kind, EntityState::default(), tick);
        k
    }

    #[test]
    fn an_entry_fits_in_48_bytes() {
        assert!(std::mem::size_of::<Known>() <= 48, "{} bytes", std::mem::size_of::<Known>());
    }

    #[test]
    fn acks_settle_lose_and_forget() {
        let mut enter = sent(SendKind::Enter, 10);
        assert_eq!(enter.on_ack(&Ack { tick: 9, received: 0 }, 12), Settled::Keep);
        assert_eq!(enter.flight, Flight::Sent(SendKind::Enter), "an older ack says nothing");
        enter.on_ack(&Ack { tick: 12, received: 0b10 }, 13);
        assert_eq!((enter.acked, enter.flight), (true, Flight::None));
        assert_eq!(enter.baseline(13).map(|b| b.tick), Some(10));

        let mut lost = sent(SendKind::Update, 10);
        lost.on_ack(&Ack { tick: 11, received: 0 }, 12);
        assert!(lost.lost && lost.flight == Flight::None);
        assert_eq!(lost.need(Some(&EntityState::default()), 12, 32), Some(SendKind::Enter), "resent");
        assert!(lost.mark_sent(SendKind::Update, EntityState::default(), 12), "counted as a resend");

        let mut leave = sent(SendKind::Enter, 3);
        leave.on_ack(&Ack { tick: 3, received: 0 }, 4);
        leave.mark_sent(SendKind::Leave, EntityState::default(), 4);
        assert!(!leave.acked, "a leave that may arrive ends what the client surely holds");
        assert_eq!(leave.on_ack(&Ack { tick: 4, received: 0 }, 5), Settled::Forget);

        let mut silent = sent(SendKind::Enter, 10);
        silent.expire(49, 40);
        assert_eq!(silent.flight, Flight::Sent(SendKind::Enter));
        silent.expire(50, 40);
        assert!(silent.lost && silent.flight == Flight::None, "unanswered too long counts as lost");
    }

    #[test]
    fn ticks_past_32_bits_still_settle_and_reckon() {
        let start = u64::from(u32::MAX) - 1;
        let mut k = sent(SendKind::Enter, start);
        assert_eq!(k.on_ack(&Ack { tick: start + 3, received: 0b100 }, start + 4), Settled::Keep);
        assert!(k.acked && k.flight == Flight::None);
        assert_eq!(k.baseline(start + 4).map(|b| b.tick), Some(start));
        let mut late = sent(SendKind::Update, start);
        late.expire(start + 40, 40);
        assert!(late.lost, "expiry counts across the wrap");
    }
}
