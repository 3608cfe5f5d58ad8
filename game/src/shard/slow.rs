//! The slow-tick report: where one tick's time went, logged as a warning when the tick runs
//! longer than `ShardOptions::slow_tick`, so an operator (or a performance engineer) sees which
//! phase and which simulation stage a spike came from, and how much work the tick had.

use std::fmt::Write as _;
use std::time::Duration;

/// One tick's parts, filled in while it runs.
#[derive(Debug, Default, Clone)]
pub(crate) struct TickTrace {
    /// Client events, logins, spawns, bots.
    pub events: Duration,
    /// Client events taken in.
    pub inbound: u32,
    /// Every map's simulation.
    pub sim: Duration,
    /// Index of the map whose simulation took longest, and how long.
    pub slowest_map: Option<(usize, Duration)>,
    /// Every map's replication.
    pub replicate: Duration,
    /// Handing messages to the network thread.
    pub send: Duration,
    /// Messages handed over.
    pub outbound: usize,
}

impl TickTrace {
    /// Starts a new tick's trace, (nothing allocated).
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    /// Notes one map's simulation time.
    pub(crate) fn map_simulated(&mut self, map: usize, spent: Duration) {
        self.sim += spent;
        if self.slowest_map.is_none_or(|(_, t)| spent > t) {
            self.slowest_map = Some((map, spent));
        }
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
    fn stages_are_listed_in_order_in_milliseconds() {
        let stages = [("ai", Duration::from_micros(80)), ("movement", Duration::from_micros(2_345))];
        assert_eq!(stage_list(stages.into_iter()), "ai 0.08 movement 2.35");
        assert_eq!(ms(Duration::from_micros(12_346)), 12.35);
    }
}
