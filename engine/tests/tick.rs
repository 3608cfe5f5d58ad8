//! Tick loop pacing: no drift over a simulated day, late ticks run at once (never skipped) and are
//! reported, and a short real-clock run paces at the configured rate.

use engine::{Clock, TickLoop};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// A clock that only moves when told to; sleeping jumps to the deadline.
struct FakeClock {
    now: Instant,
}

impl Clock for FakeClock {
    fn now(&mut self) -> Instant {
        self.now
    }
    fn sleep_until(&mut self, deadline: Instant) {
        self.now = self.now.max(deadline);
    }
}

struct Shared(std::rc::Rc<std::cell::Cell<Instant>>);
impl Clock for Shared {
    fn now(&mut self) -> Instant {
        self.0.get()
    }
    fn sleep_until(&mut self, deadline: Instant) {
        self.0.set(self.0.get().max(deadline));
    }
}

#[test]
fn ticks_do_not_drift_over_a_simulated_day() {
    let origin = Instant::now();
    let mut tick_loop = TickLoop::with_clock(20, FakeClock { now: origin }).unwrap();
    let ticks = 20 * 60 * 60 * 24u64;
    let mut last_due = origin;
    tick_loop.run(|info| {
        last_due = info.due;
        if info.tick + 1 == ticks { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    assert_eq!(last_due - origin, Duration::from_millis(50) * (ticks as u32 - 1));
    assert_eq!(tick_loop.stats().ticks, ticks);
    assert_eq!(tick_loop.stats().overruns, 0);
}

#[test]
fn late_ticks_run_immediately_and_are_reported() {
    let origin = Instant::now();
    let time = std::rc::Rc::new(std::cell::Cell::new(origin));
    let mut tick_loop = TickLoop::with_clock(20, Shared(time.clone())).unwrap();
    let mut seen = Vec::new();
    tick_loop.run(|info| {
        seen.push((info.tick, info.lag));
        // Tick 2 takes 180 ms: ticks 3..=5 are late and must still run, back to back.
        let work = if info.tick == 2 { 180 } else { 5 };
        time.set(time.get() + Duration::from_millis(work));
        if info.tick == 9 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    let ticks: Vec<u64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(ticks, (0..10).collect::<Vec<_>>(), "no tick skipped");
    // Tick 2 ran 100..280 ms; tick 3 was due at 150, tick 4 at 200, tick 5 at 250.
    assert_eq!(seen[3].1, Duration::from_millis(130));
    assert_eq!(seen[4].1, Duration::from_millis(85));
    assert_eq!(seen[5].1, Duration::from_millis(40));
    assert_eq!(seen[6].1, Duration::ZERO, "caught up");
    let stats = tick_loop.stats();
    assert_eq!(stats.overruns, 1);
    assert_eq!(stats.late_ticks, 2, "ticks 3 and 4 started more than a period late");
    assert_eq!(stats.max_lag, Duration::from_millis(130));
    let max = stats.tick_summary().max_us;
    assert!((180_000..180_200).contains(&max), "max {max} µs (3 significant digits)");
}

#[test]
fn real_clock_paces_at_the_configured_rate() {
    let mut tick_loop = TickLoop::new(200).unwrap();
    let start = Instant::now();
    tick_loop.run(|info| if info.tick == 20 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) });
    // 21 ticks at 5 ms: the 21st is due 100 ms after the first. Only a lower bound: busy machines
    // run late, never early.
    assert!(start.elapsed() >= Duration::from_millis(100));
    assert_eq!(tick_loop.stats().ticks, 21);
}

#[test]
fn rate_is_validated() {
    assert!(TickLoop::new(0).is_err());
    assert!(TickLoop::new(5000).is_err());
}
