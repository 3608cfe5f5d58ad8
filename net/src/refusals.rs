//! Rate-limited warnings for connections refused with HTTP 503: at most one line per second per
//! reason, each carrying the number refused since the previous line for that reason.

use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Minimum time between two warnings for the same reason.
const EVERY: Duration = Duration::from_secs(1);

/// Why a connection was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `max_connections` reached.
    ServerFull,
    /// `max_connections_per_ip` reached for the peer's address.
    PerIp,
}

impl Refusal {
    const ALL: [Refusal; 2] = [Refusal::ServerFull, Refusal::PerIp];

    /// The limit's configuration name.
    fn limit(self) -> &'static str {
        match self {
            Refusal::ServerFull => "max_connections",
            Refusal::PerIp => "max_connections_per_ip",
        }
    }
}

/// Refusals of one reason not yet reported.
#[derive(Debug, Default)]
struct Tally {
    pending: u64,
    last_peer: Option<IpAddr>,
    last_line: Option<Instant>,
}

/// Counts refusals and logs them, rate-limited (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct RefusalLog {
    tallies: [Tally; 2],
}

impl RefusalLog {
    /// Notes one refusal; logs a warning if this reason's last line is a second old or more.
    pub(crate) fn record(&mut self, why: Refusal, peer: IpAddr, now: Instant) {
        let tally = &mut self.tallies[why as usize];
        tally.pending += 1;
        tally.last_peer = Some(peer);
        self.report(why, now);
    }

    /// Logs the refusals still pending once their second has passed (from housekeeping, so the
    /// tail of a burst is reported even if no further connection comes).
    pub(crate) fn flush(&mut self, now: Instant) {
        for why in Refusal::ALL {
            self.report(why, now);
        }
    }

    fn report(&mut self, why: Refusal, now: Instant) {
        if let Some((refused, peer)) = self.take_due(why, now) {
            tracing::warn!(
                limit = why.limit(),
                refused,
                last_peer = ?peer,
                "connections refused with HTTP 503 since the last report"
            );
        }
    }

    /// The count (and last peer) to report now for `why`, if any; resets the tally.
    fn take_due(&mut self, why: Refusal, now: Instant) -> Option<(u64, Option<IpAddr>)> {
        let tally = &mut self.tallies[why as usize];
        let quiet = tally.last_line.is_none_or(|t| now.saturating_duration_since(t) >= EVERY);
        if tally.pending == 0 || !quiet {
            return None;
        }
        tally.last_line = Some(now);
        let refused = std::mem::take(&mut tally.pending);
        Some((refused, tally.last_peer.take()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn note(log: &mut RefusalLog, why: Refusal, now: Instant) -> Option<u64> {
        let tally = &mut log.tallies[why as usize];
        tally.pending += 1;
        tally.last_peer = Some(PEER);
        log.take_due(why, now).map(|(n, _)| n)
    }

    #[test]
    fn one_line_per_second_per_reason_with_the_count_since_the_last() {
        let mut log = RefusalLog::default();
        let t0 = Instant::now();
        assert_eq!(note(&mut log, Refusal::ServerFull, t0), Some(1));
        for i in 1..=5 {
            assert_eq!(note(&mut log, Refusal::ServerFull, t0 + Duration::from_millis(100 * i)), None);
        }
        assert_eq!(note(&mut log, Refusal::PerIp, t0), Some(1), "reasons are limited apart");
        let later = t0 + Duration::from_millis(1000);
        assert_eq!(note(&mut log, Refusal::ServerFull, later), Some(6));
        assert_eq!(log.take_due(Refusal::ServerFull, later + EVERY), None, "nothing pending");
    }

    #[test]
    fn the_tail_of_a_burst_is_reported_by_flush() {
        let mut log = RefusalLog::default();
        let t0 = Instant::now();
        log.record(Refusal::PerIp, PEER, t0);
        log.record(Refusal::PerIp, PEER, t0);
        assert_eq!(log.tallies[Refusal::PerIp as usize].pending, 1);
        log.flush(t0 + EVERY);
        assert_eq!(log.tallies[Refusal::PerIp as usize].pending, 0);
    }
}
