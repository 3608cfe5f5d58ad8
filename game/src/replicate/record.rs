//! The records a Frame carries: their kinds and sizes, a record a client needs with its priority,
//! and the priority rule (nearer and faster first, older waits rising so nothing starves). Read by
//! the known table's passes, which score candidates, and by the selection, which packs them.

use crate::geom::TILE;
use net::protocol::{ENTER_RECORD_LEN, EntityState, UPDATE_RECORD_LEN};

/// Bytes of a leave record.
pub(crate) const LEAVE_RECORD_LEN: usize = 8;
/// Priority gained per tick of waiting, in distance units: 4 tiles a tick, so a record that
/// waited about 64 ticks outranks a fresh one anywhere in a 3×3 chunk area.
const AGE_WEIGHT: i64 = 4 * TILE as i64;
/// Priority per unit of speed (1/256 tile per tick), in distance units.
const SPEED_WEIGHT: i64 = 64;

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

/// A record the client needs this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Record kind.
    pub kind: SendKind,
    /// Entry in the known table.
    pub entry: u32,
    /// Snapshot position (meaningless for leaves).
    pub at: u32,
    /// Priority, higher first.
    pub score: i64,
}

/// Priority of a record of `kind` that waited `age` ticks, for an entity in `state` (none for
/// a leave) seen from `(x, y)`: waiting time and speed raise it, distance lowers it.
#[inline]
pub(crate) fn score(kind: SendKind, age: u64, state: Option<&EntityState>, (x, y): (i32, i32)) -> i64 {
    let age = i64::try_from(age).unwrap_or(i64::MAX / 4).saturating_mul(AGE_WEIGHT);
    let Some(s) = state.filter(|_| kind != SendKind::Leave) else { return age };
    let dx = (i64::from(s.x) - i64::from(x)).abs();
    let dy = (i64::from(s.y) - i64::from(y)).abs();
    age.saturating_add(speed(s) * SPEED_WEIGHT) - dx.max(dy)
}

/// Speed for prioritising: |vx| + |vy|.
fn speed(s: &EntityState) -> i64 {
    i64::from(s.vx).abs() + i64::from(s.vy).abs()
}

/// Wire size of a record.
pub(crate) fn record_len(kind: SendKind) -> usize {
    match kind {
        SendKind::Leave => LEAVE_RECORD_LEN,
        SendKind::Enter => ENTER_RECORD_LEN,
        SendKind::Update => UPDATE_RECORD_LEN,
    }
}
