//! An estimate of the server's current tick from frame arrival times, so an input can be
//! predicted to take effect at the tick after the one the server is running when it is sent
//! (frames are skipped while nothing changes, so the newest frame's tick may be long past).

use std::time::{Duration, Instant};

/// How far the tick phase may drift later per observed frame (µs): the estimate follows a
/// server that slowed down, while the earliest arrivals keep defining the phase.
const CREEP_US: i128 = 500;

/// Tracks the server's tick phase: `tick ≈ (now − offset) / period`, with `offset` the earliest
/// arrival seen of a tick's frame (minus the tick's nominal start).
#[derive(Debug, Clone, Copy)]
pub struct TickClock {
    epoch: Instant,
    period_us: i128,
    offset_us: Option<i128>,
    newest: u64,
}

impl TickClock {
    /// A clock for a server ticking at `tick_rate_hz` (0 is taken as 20).
    pub fn new(tick_rate_hz: u16, epoch: Instant) -> Self {
        let hz = if tick_rate_hz == 0 { 20 } else { i128::from(tick_rate_hz) };
        Self { epoch, period_us: 1_000_000 / hz, offset_us: None, newest: 0 }
    }

    /// The tick period.
    pub fn period(&self) -> Duration {
        Duration::from_micros(self.period_us as u64)
    }

    fn micros(&self, at: Instant) -> i128 {
        at.saturating_duration_since(self.epoch).as_micros() as i128
    }

    /// Notes that the state of `tick` arrived at `at` (a Frame, or Welcome's server tick).
    pub fn observe(&mut self, tick: u64, at: Instant) {
        let sample = self.micros(at) - i128::from(tick) * self.period_us;
        self.offset_us = Some(match self.offset_us {
            Some(o) if sample >= o => o + (sample - o).min(CREEP_US),
            _ => sample,
        });
        self.newest = self.newest.max(tick);
    }

    /// The tick the server is most likely running at `now` (never older than the newest seen);
    /// `None` before any observation.
    pub fn estimate(&self, now: Instant) -> Option<u64> {
        let offset = self.offset_us?;
        let ticks = (self.micros(now) - offset).max(0) / self.period_us;
        Some((ticks as u64).max(self.newest))
    }
}
