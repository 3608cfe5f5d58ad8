//! The slow-tick report: where one tick's time went, logged as a warning (at most one a
//! second) when the tick runs longer than `ShardOptions::slow_tick`, so an operator (or a
//! performance engineer) sees which phase and which simulation stage a spike came from, and how
//! much work the tick had.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// What the kernel counted for the calling thread: CPU time and context switches. Wall time
/// beyond the CPU time with neither kind of switch was taken by interrupts or, in a virtual
/// machine, by the host (steal).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ThreadUsage {
    /// User plus system time.
    pub cpu: Duration,
    /// Involuntary context switches.
    pub preempted: u64,
    /// Voluntary context switches (the thread blocked, e.g. waiting for a rayon helper).
    pub waited: u64,
}

impl ThreadUsage {
    /// The calling thread's usage so far (zero where the kernel does not say).
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn now() -> Self {
        Self::default()
    }

    /// The calling thread's usage so far (zero where the kernel does not say).
    #[cfg(target_os = "linux")]
    pub(crate) fn now() -> Self {
        // SAFETY: `getrusage` only writes the struct it is given, which is plain data.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) } != 0 {
            return Self::default();
        }
        let time = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
        };
        Self {
            cpu: time(u.ru_utime) + time(u.ru_stime),
            preempted: u.ru_nivcsw.max(0) as u64,
            waited: u.ru_nvcsw.max(0) as u64,
        }
    }

    /// What was used between `earlier` and `self`.
    pub(crate) fn since(self, earlier: Self) -> Self {
        Self {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            preempted: self.preempted.saturating_sub(earlier.preempted),
            waited: self.waited.saturating_sub(earlier.waited),
        }
    }
}

/// The parts of a tick's client events, in the order the tick runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventPart {
    /// The clients' messages, connections and disconnections.
    Inbound,
    /// Logins, spawns, bots and the store's replies.
    Lobby,
    /// Characters leaving through a way (each a hand-off).
    Travels,
    /// Arrivals spawned where their spot became resident.
    Arrivals,
}

impl EventPart {
    /// Every part, in order.
    pub(crate) const ALL: [EventPart; 4] =
        [EventPart::Inbound, EventPart::Lobby, EventPart::Travels, EventPart::Arrivals];

    /// The part's name in the slow-tick warning.
    pub(crate) fn name(self) -> &'static str {
        match self {
            EventPart::Inbound => "inbound",
            EventPart::Lobby => "lobby",
            EventPart::Travels => "travels",
            EventPart::Arrivals => "arrivals",
        }
    }
}

/// `inbound 0.31 lobby 0.02 travels 0.00 arrivals 0.12`: each part's milliseconds.
pub(crate) fn event_list(parts: &[Duration; 4]) -> String {
    let mut out = String::new();
    for (part, spent) in EventPart::ALL.iter().zip(parts) {
        let sep = if out.is_empty() { "" } else { " " };
        let _ = write!(out, "{sep}{} {:.2}", part.name(), ms(*spent));
    }
    out
}

/// One tick's parts, filled in while it runs.
#[derive(Debug, Default, Clone)]
pub(crate) struct TickTrace {
    /// Client events, logins, spawns, bots.
    pub events: Duration,
    /// [`TickTrace::events`] by [`EventPart`].
    pub event_parts: [Duration; 4],
    /// Client events taken in.
    pub inbound: u32,
    /// Every map's simulation.
    pub sim: Duration,
    /// Index of the map whose simulation took longest, and how long.
    pub slowest_map: Option<(usize, Duration)>,
    /// Handing messages to the network thread.
    pub send: Duration,
    /// Messages handed over.
    pub outbound: usize,
    /// The tick thread's usage when the tick began (read back only for a slow tick).
    pub usage_at_start: ThreadUsage,
}

impl TickTrace {
    /// Starts a new tick's trace, (nothing allocated).
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    /// Notes time spent on client events, in `part`.
    pub(crate) fn event(&mut self, part: EventPart, spent: Duration) {
        self.events += spent;
        self.event_parts[part as usize] += spent;
    }

    /// Notes one map's simulation time.
    pub(crate) fn map_simulated(&mut self, map: usize, spent: Duration) {
        self.sim += spent;
        if self.slowest_map.is_none_or(|(_, t)| spent > t) {
            self.slowest_map = Some((map, spent));
        }
    }
}

/// Rate limit of the slow-tick warning: one a second, counting the slow ticks not logged.
#[derive(Debug, Default)]
pub(crate) struct SlowLog {
    last: Option<Instant>,
    unlogged: u64,
}

impl SlowLog {
    /// True when a slow tick at `now` may be logged (none was in the last second); otherwise it
    /// is counted as unlogged.
    pub(crate) fn admit(&mut self, now: Instant) -> bool {
        if self.last.is_some_and(|at| now.saturating_duration_since(at) < Duration::from_secs(1)) {
            self.unlogged += 1;
            return false;
        }
        self.last = Some(now);
        true
    }

    /// Slow ticks not logged since the previous warning (and resets the count).
    pub(crate) fn take_unlogged(&mut self) -> u64 {
        std::mem::take(&mut self.unlogged)
    }
}

/// Milliseconds with two decimals, for log fields.
pub(crate) fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

/// `"ai 0.08 orders 0.14 …"`: each stage's last time in ms.
pub(crate) fn stage_list<'a>(stages: impl Iterator<Item = (&'a str, Duration)>) -> String {
    let mut out = String::new();
    for (name, spent) in stages {
        let sep = if out.is_empty() { "" } else { " " };
        let _ = write!(out, "{sep}{name} {:.2}", ms(spent));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slowest_map_is_the_one_reported() {
        let mut t = TickTrace::default();
        t.map_simulated(0, Duration::from_millis(2));
        t.map_simulated(1, Duration::from_millis(5));
        t.map_simulated(2, Duration::from_millis(1));
        assert_eq!(t.sim, Duration::from_millis(8));
        assert_eq!(t.slowest_map, Some((1, Duration::from_millis(5))));
        t.clear();
        assert_eq!(t.slowest_map, None);
    }

    #[test]
    fn client_events_add_up_and_each_part_is_named() {
        let mut t = TickTrace::default();
        t.event(EventPart::Inbound, Duration::from_micros(310));
        t.event(EventPart::Travels, Duration::from_micros(1_250));
        t.event(EventPart::Inbound, Duration::from_micros(10));
        assert_eq!(t.events, Duration::from_micros(1_570));
        assert_eq!(event_list(&t.event_parts), "inbound 0.32 lobby 0.00 travels 1.25 arrivals 0.00");
    }

    #[test]
    fn at_most_one_warning_a_second_and_the_rest_are_counted() {
        let (mut log, t0) = (SlowLog::default(), Instant::now());
        assert!(log.admit(t0));
        assert!(!log.admit(t0 + Duration::from_millis(50)));
        assert!(!log.admit(t0 + Duration::from_millis(999)));
        assert!(log.admit(t0 + Duration::from_millis(1_000)));
        assert_eq!(log.take_unlogged(), 2);
        assert_eq!(log.take_unlogged(), 0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn thread_usage_counts_the_work_this_thread_did() {
        let before = ThreadUsage::now();
        let spin = Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let used = ThreadUsage::now().since(before);
        assert!(used.cpu > Duration::ZERO, "30 ms of spinning shows as CPU time");
        assert!(used.cpu <= spin.elapsed() + Duration::from_millis(20), "{used:?}");
    }

    #[test]
    fn stages_are_listed_in_order_in_milliseconds() {
        let stages = [("ai", Duration::from_micros(80)), ("movement", Duration::from_micros(2_345))];
        assert_eq!(stage_list(stages.into_iter()), "ai 0.08 movement 2.35");
        assert_eq!(ms(Duration::from_micros(12_346)), 12.35);
    }
}
