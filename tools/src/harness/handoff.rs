//! Hand-offs in the harness: a bot that gets a Redirect during play (a hand-off: its token is
//! one-time) reconnects through the driver to the address it names, with the same name and that
//! token; the hand-off completes at the next Welcome (its latency runs from the Redirect
//! received). A refused hand-off token (close 4108) sends the bot back to the shard that sent
//! the Redirect with its own session token. [`Chase`] is one bot's state of that, and
//! [`HandoffTotals`] the run's counts and latencies.

use super::report::{LatencyMs, latency_ms};
use game::client::MAX_REDIRECTS;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Largest hand-off latency recorded, µs (an hour).
const MAX_LATENCY_US: u64 = 3_600_000_000;

/// A hand-off that failed: the close code (`closed:<code>`, `refused` for 4108), `connect`
/// (the new shard could not be reached), `address` (the Redirect's address is not a `ws://`
/// one), `loop` (more than [`MAX_REDIRECTS`] Redirects and fallbacks in a row).
pub type FailReason = String;

/// The run's hand-offs.
#[derive(Debug)]
pub struct HandoffTotals {
    /// Hand-offs that reached a Welcome at the shard named (possibly through further Redirects).
    pub completed: u64,
    /// Hand-offs that did not, by reason.
    pub failed: BTreeMap<FailReason, u64>,
    /// Redirect received → Welcome, µs, of the completed ones.
    latency: Histogram<u64>,
}

impl Default for HandoffTotals {
    fn default() -> Self {
        let latency = Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("valid histogram bounds");
        HandoffTotals { completed: 0, failed: BTreeMap::new(), latency }
    }
}

impl HandoffTotals {
    /// A hand-off completed `latency` after its Redirect.
    pub fn completed(&mut self, latency: Duration) {
        self.completed += 1;
        let us = latency.as_micros().min(u128::from(MAX_LATENCY_US)) as u64;
        self.latency.saturating_record(us.max(1));
    }

    /// A hand-off failed for `reason`.
    pub fn failed(&mut self, reason: &str) {
        *self.failed.entry(reason.to_owned()).or_default() += 1;
    }

    /// Hand-off latency percentiles, ms.
    pub fn latency_ms(&self) -> LatencyMs {
        latency_ms(&self.latency)
    }
}

/// Where one bot's Redirects stand between two Welcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Chase {
    /// The shard that sent the Redirect being followed (where a 4108 falls back to).
    pub source: Option<SocketAddr>,
    /// When the mid-session Redirect of the hand-off in progress arrived.
    pub handoff_at: Option<Instant>,
    /// Redirects and fallbacks followed since the last Welcome.
    pub hops: usize,
}

/// What to do after a close with code 4108.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Log in again at this shard with the own session token.
    FallBack(SocketAddr),
    /// No Redirect was being followed, or too many were: an error.
    GiveUp,
}

impl Chase {
    /// A Redirect from the shard at `from`, received at `now`, while playing (`mid_session`: a
    /// hand-off starts) or before Welcome. False when it is one too many.
    pub fn redirected(&mut self, from: SocketAddr, mid_session: bool, now: Instant) -> bool {
        if mid_session {
            *self = Chase { handoff_at: Some(now), ..Chase::default() };
        }
        self.source = Some(from);
        self.hops += 1;
        self.hops <= MAX_REDIRECTS
    }

    /// A close with 4108 (the hand-off token refused): where to log in again.
    pub fn refused(&mut self) -> Refused {
        match self.source {
            Some(source) if self.hops < MAX_REDIRECTS => {
                self.hops += 1;
                Refused::FallBack(source)
            }
            _ => Refused::GiveUp,
        }
    }

    /// True while a hand-off is in progress.
    pub fn handing_off(&self) -> bool {
        self.handoff_at.is_some()
    }

    /// A Welcome at `now`: the chase ends; the hand-off latency when one was in progress.
    pub fn welcomed(&mut self, now: Instant) -> Option<Duration> {
        let at = std::mem::take(self).handoff_at?;
        Some(now.saturating_duration_since(at))
    }

    /// The connection ended otherwise: the chase ends; true when a hand-off was in progress.
    pub fn ended(&mut self) -> bool {
        std::mem::take(self).handoff_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 1);
    const B: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 2);

    #[test]
    fn a_handoff_measures_from_its_redirect_to_the_welcome() {
        let (mut chase, t0) = (Chase::default(), Instant::now());
        assert!(chase.redirected(A, true, t0));
        assert!(chase.handing_off());
        let latency = chase.welcomed(t0 + Duration::from_millis(30));
        assert_eq!(latency, Some(Duration::from_millis(30)));
        assert_eq!(chase, Chase::default(), "a Welcome ends the chase");
        assert!(chase.redirected(A, false, t0));
        assert_eq!(chase.welcomed(t0), None, "a login Redirect is no hand-off");
    }

    #[test]
    fn a_refusal_falls_back_to_the_last_sender_until_too_many_hops() {
        let (mut chase, t0) = (Chase::default(), Instant::now());
        assert_eq!(chase.refused(), Refused::GiveUp, "no Redirect followed: nowhere to fall back");
        chase.redirected(A, true, t0);
        chase.redirected(B, false, t0);
        assert_eq!(chase.refused(), Refused::FallBack(B));
        assert!(chase.handing_off(), "still the same hand-off");
        chase.hops = MAX_REDIRECTS;
        assert_eq!(chase.refused(), Refused::GiveUp);
        assert!(!chase.redirected(A, false, t0), "one Redirect too many");
    }

    #[test]
    fn totals_count_completions_failures_and_latency() {
        let mut totals = HandoffTotals::default();
        totals.completed(Duration::from_millis(20));
        totals.completed(Duration::from_millis(40));
        totals.failed("refused");
        totals.failed("refused");
        assert_eq!((totals.completed, totals.failed.get("refused")), (2, Some(&2)));
        let ms = totals.latency_ms();
        assert!((19.9..20.1).contains(&ms.p50) && (39.9..40.1).contains(&ms.max), "{ms:?}");
    }
}
