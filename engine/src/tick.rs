//! The fixed-rate tick loop: ticks are paced from the intended start time (tick `n` is due at
//! `start + n * period`), so the rate never drifts; a late tick runs at once, never skipped, and
//! lag and overruns are reported.

use crate::error::EngineError;
use crate::timing::{DurationHistogram, TimingSummary};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// Source of time for the loop; tests substitute a simulated clock.
pub trait Clock {
    /// The current instant.
    fn now(&mut self) -> Instant;
    /// Blocks until `deadline` (or returns at once if it has passed).
    fn sleep_until(&mut self, deadline: Instant);
}

/// The operating system's monotonic clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&mut self) -> Instant {
        Instant::now()
    }
    fn sleep_until(&mut self, deadline: Instant) {
        let now = Instant::now();
        if deadline > now {
            std::thread::sleep(deadline - now);
        }
    }
}

/// Passed to the tick body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickInfo {
    /// Tick number, from 0.
    pub tick: u64,
    /// When the tick was due.
    pub due: Instant,
    /// How late it started (zero when on time).
    pub lag: Duration,
    /// The fixed period.
    pub period: Duration,
}

/// Counters and histograms of a tick loop.
#[derive(Debug, Clone, Default)]
pub struct TickStats {
    /// Ticks run.
    pub ticks: u64,
    /// Ticks whose body took longer than the period.
    pub overruns: u64,
    /// Ticks that started late by more than one period.
    pub late_ticks: u64,
    /// Lag of the most recent tick.
    pub last_lag: Duration,
    /// Largest lag seen.
    pub max_lag: Duration,
    /// Body run times.
    pub tick_time: DurationHistogram,
}

impl TickStats {
    /// p50/p99/max of the body run time.
    pub fn tick_summary(&self) -> TimingSummary {
        self.tick_time.summary()
    }
}

/// A fixed-rate loop. `run` calls the body once per period until it breaks.
#[derive(Debug)]
pub struct TickLoop<C: Clock = SystemClock> {
    clock: C,
    period: Duration,
    start: Option<Instant>,
    next_tick: u64,
    stats: TickStats,
}

impl TickLoop<SystemClock> {
    /// A loop at `hz` ticks per second on the system clock (1..=1000).
    pub fn new(hz: u32) -> Result<Self, EngineError> {
        Self::with_clock(hz, SystemClock)
    }
}

impl<C: Clock> TickLoop<C> {
    /// A loop at `hz` ticks per second on `clock`.
    pub fn with_clock(hz: u32, clock: C) -> Result<Self, EngineError> {
        if !(1..=1000).contains(&hz) {
            return Err(EngineError::InvalidConfig {
                field: "tick_hz",
                reason: "must be between 1 and 1000",
            });
        }
        let period = Duration::from_nanos(1_000_000_000 / u64::from(hz));
        Ok(Self { clock, period, start: None, next_tick: 0, stats: TickStats::default() })
    }

    /// The fixed period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Counters and histograms so far.
    pub fn stats(&self) -> &TickStats {
        &self.stats
    }

    /// Mutable stats, e.g. to reset the histogram after exporting a window.
    pub fn stats_mut(&mut self) -> &mut TickStats {
        &mut self.stats
    }

    /// When tick `n` is due: computed from the start, never accumulated, so it cannot drift.
    pub fn due(&self, n: u64) -> Option<Instant> {
        let offset = u128::from(n) * self.period.as_nanos();
        Some(self.start? + Duration::from_nanos(u64::try_from(offset).ok()?))
    }

    /// Runs ticks until `body` returns `Break`.
    pub fn run(&mut self, mut body: impl FnMut(TickInfo) -> ControlFlow<()>) {
        while self.step(&mut body).is_continue() {}
    }

    /// Waits for the next tick, runs `body` once and records it.
    pub fn step(&mut self, body: &mut impl FnMut(TickInfo) -> ControlFlow<()>) -> ControlFlow<()> {
        let now = self.clock.now();
        let start = *self.start.get_or_insert(now);
        let due = self.due(self.next_tick).unwrap_or(start);
        self.clock.sleep_until(due);
        let began = self.clock.now();
        let lag = began.saturating_duration_since(due);
        let info = TickInfo { tick: self.next_tick, due, lag, period: self.period };
        let flow = body(info);
        let took = self.clock.now().saturating_duration_since(began);
        self.record(lag, took);
        self.next_tick += 1;
        flow
    }

    fn record(&mut self, lag: Duration, took: Duration) {
        let s = &mut self.stats;
        s.ticks += 1;
        s.tick_time.record(took);
        s.overruns += u64::from(took > self.period);
        s.late_ticks += u64::from(lag > self.period);
        s.last_lag = lag;
        s.max_lag = s.max_lag.max(lag);
    }
}
