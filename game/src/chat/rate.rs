//! The chat's per-player rate limit: a token bucket in integer units on the tick clock (the
//! network layer's per-connection limit counts messages of every kind; this one counts lines).
//!
//! A player may say `per_10s` lines per 10 seconds, and `per_10s` at once after a silence. In
//! units, with the window `W = 10 · tick_hz` ticks:
//!
//! - a line costs `W` units;
//! - every tick adds `per_10s` units, up to `per_10s · W` (the bucket is full at login);
//! - a line finding fewer than `W` units is refused ([`super::ChatError::TooFast`]) and costs
//!   nothing.
//!
//! Worked example (`per_10s` 5 at 20 Hz): `W` = 200 ticks, a line costs 200 units, +5 units a
//! tick, at most 1,000. Five lines at tick 0 empty the bucket and a sixth is refused; at tick
//! 39 it holds 195 units (refused), at tick 40 200 (one more line), so a steady speaker says
//! one line every 40 ticks, 2 s: 5 per 10 s.

/// How fast a player may speak, in the bucket's units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatRate {
    /// Units added per tick: the lines allowed per window.
    per_window: u64,
    /// Ticks in 10 seconds: the cost of a line.
    window_ticks: u64,
}

impl ChatRate {
    /// `per_10s` lines per 10 seconds of ticks at `tick_hz` (each at least 1).
    pub fn new(per_10s: u16, tick_hz: u32) -> Self {
        Self { per_window: u64::from(per_10s.max(1)), window_ticks: 10 * u64::from(tick_hz.max(1)) }
    }

    /// The most units a bucket holds: `per_10s` lines.
    fn capacity(&self) -> u64 {
        self.per_window * self.window_ticks
    }
}

/// One player's bucket: its units as of a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBucket {
    units: u64,
    at_tick: u64,
}

impl RateBucket {
    /// A full bucket at `tick` (a player who just logged in may speak at once).
    pub fn full(rate: &ChatRate, tick: u64) -> Self {
        Self { units: rate.capacity(), at_tick: tick }
    }

    /// Refills the bucket up to `tick`, then takes one line's units if it holds them; false
    /// (nothing taken) when it does not.
    pub fn try_take(&mut self, rate: &ChatRate, tick: u64) -> bool {
        let elapsed = tick.saturating_sub(self.at_tick);
        let refill = elapsed.saturating_mul(rate.per_window);
        self.units = self.units.saturating_add(refill).min(rate.capacity());
        self.at_tick = self.at_tick.max(tick);
        if self.units < rate.window_ticks {
            return false;
        }
        self.units -= rate.window_ticks;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worked_example_five_per_ten_seconds_at_20_hz() {
        let rate = ChatRate::new(5, 20);
        let mut b = RateBucket::full(&rate, 100);
        assert!((0..5).all(|_| b.try_take(&rate, 100)), "five lines at once");
        assert!(!b.try_take(&rate, 100), "the sixth is too fast");
        assert!(!b.try_take(&rate, 139), "195 units after 39 ticks");
        assert!(b.try_take(&rate, 140), "200 units after 40 ticks: one line");
        assert!(!b.try_take(&rate, 140));
        assert!(b.try_take(&rate, 180) && !b.try_take(&rate, 181), "one line every 40 ticks");
    }

    #[test]
    fn a_silence_refills_the_bucket_up_to_the_burst_only() {
        let rate = ChatRate::new(3, 20);
        let mut b = RateBucket::full(&rate, 0);
        assert!((0..3).all(|_| b.try_take(&rate, 0)));
        // An hour of silence gives back three lines, not more.
        let later = 20 * 3600;
        assert!((0..3).all(|_| b.try_take(&rate, later)));
        assert!(!b.try_take(&rate, later));
    }

    #[test]
    fn a_refused_line_costs_nothing_and_old_ticks_refill_nothing() {
        let rate = ChatRate::new(1, 10);
        let mut b = RateBucket::full(&rate, 50);
        assert!(b.try_take(&rate, 50));
        assert!(!b.try_take(&rate, 149), "99 of 100 units");
        assert!(!b.try_take(&rate, 20), "a tick from the past adds nothing");
        assert!(b.try_take(&rate, 150), "the refused tries did not drain it");
    }
}
