//! What the replicator reports for a character that gameplay does not define yet (flags), its
//! velocity, and the drift test: when a client's copy, dead-reckoned by the one
//! protocol rule ([`EntityState::position_at`]), is too far off.

use net::protocol::EntityState;

/// Flags every character reports until gameplay defines some.
pub(crate) const CHARACTER_FLAGS: u16 = 0;
/// A velocity change larger than this (1/256 tile per tick, either axis) is sent at once.
const VELOCITY_SLACK: i32 = 2;

/// A state a client holds (or will hold) together with the tick it describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Baseline {
    /// Tick the state is from.
    pub tick: u64,
    /// The state.
    pub state: EntityState,
}

impl Baseline {
    /// True when `now` (at `tick`) is off the client's dead-reckoned copy by more than
    /// `tolerance` on an axis, or its velocity, hp or flags changed noticeably.
    pub fn drifted(&self, now: &EntityState, tick: u64, tolerance: i32) -> bool {
        let base = &self.state;
        let (px, py) = base.position_at(tick.saturating_sub(self.tick));
        let off = |pos: i32, predicted: i64| (i64::from(pos) - predicted).abs() > i64::from(tolerance);
        let turned = |a: i16, b: i16| (i32::from(a) - i32::from(b)).abs() > VELOCITY_SLACK;
        off(now.x, px)
            || off(now.y, py)
            || turned(now.vx, base.vx)
            || turned(now.vy, base.vy)
            || now.is_still() != base.is_still()
            || now.hp != base.hp
            || now.flags != base.flags
    }
}

/// A displacement as a wire velocity; a jump that does not fit (a teleport) counts as still.
pub(crate) fn velocity(now: i32, before: i32) -> i16 {
    i16::try_from(i64::from(now) - i64::from(before)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(x: i32, vx: i16) -> EntityState {
        EntityState { x, y: 0, vx, vy: 0, hp: 100, flags: 0 }
    }

    #[test]
    fn dead_reckoning_follows_velocity_and_flags_turns_and_stops() {
        let base = Baseline { tick: 10, state: state(1000, 50) };
        assert!(!base.drifted(&state(1000 + 50 * 4, 50), 14, 32), "on the predicted track");
        assert!(!base.drifted(&state(1000 + 50 * 4 + 32, 51), 14, 32), "within tolerance and slack");
        assert!(base.drifted(&state(1000 + 50 * 4 + 33, 50), 14, 32), "too far off");
        assert!(base.drifted(&state(1200, 53), 14, 32), "velocity changed");
        let slow = Baseline { tick: 10, state: state(1000, 1) };
        assert!(slow.drifted(&state(1001, 0), 11, 32), "stopped");
        assert_eq!(velocity(i32::MAX, i32::MIN), 0);
        assert_eq!(velocity(5, 105), -100);
    }
}
