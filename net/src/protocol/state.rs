//! An entity's replicated state `{x, y, vx, vy, hp, flags}`: the one typed value enter and update
//! records carry, and the dead-reckoning rule by which the server decides a client's copy is still
//! good and the client extrapolates it (both call [`EntityState::position_at`]).

use zerocopy::byteorder::little_endian::{I16, I32, U16};

use super::wire::EntityStateWire;

/// Longest gap dead reckoning extrapolates over: a longer gap counts as this many ticks (a 16-bit
/// velocity times it stays far inside an `i64`).
pub const MAX_RECKON_TICKS: u64 = u32::MAX as u64;

/// `pos + v·ticks`, exact in `i64`, with `ticks` capped at [`MAX_RECKON_TICKS`].
pub fn dead_reckon(pos: i32, v: i16, ticks: u64) -> i64 {
    let dt = ticks.min(MAX_RECKON_TICKS) as i64;
    i64::from(pos) + i64::from(v) * dt
}

/// One entity's state as the wire carries it in enter and update records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EntityState {
    /// Position x, 1/256 tile.
    pub x: i32,
    /// Position y, 1/256 tile.
    pub y: i32,
    /// Velocity x, 1/256 tile per tick.
    pub vx: i16,
    /// Velocity y, 1/256 tile per tick.
    pub vy: i16,
    /// Hit points.
    pub hp: u16,
    /// Game-defined flags.
    pub flags: u16,
}

impl EntityState {
    /// Position `ticks` after the tick this state describes, by dead reckoning:
    /// `(x + vx·ticks, y + vy·ticks)` ([`dead_reckon`]).
    pub fn position_at(&self, ticks: u64) -> (i64, i64) {
        (dead_reckon(self.x, self.vx, ticks), dead_reckon(self.y, self.vy, ticks))
    }

    /// True when the velocity is zero on both axes.
    pub fn is_still(&self) -> bool {
        self.vx == 0 && self.vy == 0
    }

    /// The wire layout.
    pub(crate) fn to_wire(self) -> EntityStateWire {
        EntityStateWire {
            x: I32::new(self.x),
            y: I32::new(self.y),
            vx: I16::new(self.vx),
            vy: I16::new(self.vy),
            hp: U16::new(self.hp),
            flags: U16::new(self.flags),
        }
    }

    /// From the wire layout.
    pub(crate) fn from_wire(w: &EntityStateWire) -> Self {
        EntityState {
            x: w.x.get(),
            y: w.y.get(),
            vx: w.vx.get(),
            vy: w.vy.get(),
            hp: w.hp.get(),
            flags: w.flags.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_reckoning_is_exact_and_capped() {
        let s = EntityState { x: 1000, y: -5, vx: 50, vy: -2, ..EntityState::default() };
        assert_eq!(s.position_at(0), (1000, -5));
        assert_eq!(s.position_at(4), (1200, -13));
        let far = EntityState { x: i32::MAX, vx: i16::MAX, ..EntityState::default() };
        let cap = i64::from(i32::MAX) + i64::from(i16::MAX) * MAX_RECKON_TICKS as i64;
        assert_eq!(far.position_at(u64::MAX).0, cap, "past i32, capped gap");
        assert!(!s.is_still() && EntityState::default().is_still());
    }
}
