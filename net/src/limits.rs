//! Per-connection input rate limiting (message and byte token buckets, ack credit, an abuse
//! score) and per-IP accounting.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

/// Token bucket: `rate` tokens per second up to `burst`; one token per client message.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn new(rate: u32, burst: u32, now: Instant) -> Self {
        let burst = f64::from(burst);
        TokenBucket { tokens: burst, rate: f64::from(rate), burst, last: now }
    }

    /// Takes one token; false means the message must be dropped.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Takes `amount` tokens, as many as there are; returns the shortfall (0 when covered).
    pub(crate) fn take_up_to(&mut self, amount: f64, now: Instant) -> f64 {
        self.refill(now);
        let taken = amount.min(self.tokens);
        self.tokens -= taken;
        amount - taken
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
    }
}

/// Acks the server asked for: each Frame queued for the client grants one credit (up to `cap`),
/// and an Ack spends one instead of a rate token, so acking every Frame costs no rate budget.
/// Acks beyond the Frames received pay like any message.
#[derive(Debug)]
pub(crate) struct AckCredit {
    credits: u32,
    cap: u32,
}

impl AckCredit {
    /// No credit yet; at most `cap` credits are ever held.
    pub(crate) fn new(cap: u32) -> Self {
        AckCredit { credits: 0, cap }
    }

    /// A Frame went out: one more Ack is free (up to the cap).
    pub(crate) fn grant(&mut self) {
        self.credits = (self.credits + 1).min(self.cap);
    }

    /// Spends one credit for an Ack; false when none is left (the Ack pays a rate token).
    pub(crate) fn spend(&mut self) -> bool {
        let had = self.credits > 0;
        self.credits = self.credits.saturating_sub(1);
        had
    }
}

/// Byte budget of a connection's input: a token bucket of bytes whose shortfall is converted
/// into abuse points, one per `unit` bytes (the average message size the two rates allow), so
/// frames tungstenite consumes without returning a message (continuations) still cost.
#[derive(Debug)]
pub(crate) struct ByteBudget {
    bucket: TokenBucket,
    unit: f64,
}

impl ByteBudget {
    /// A full budget of `burst` bytes refilled at `rate` bytes/s; `messages_per_sec` sets the unit.
    pub(crate) fn new(rate: u32, burst: u32, messages_per_sec: u32, now: Instant) -> Self {
        let unit = (f64::from(rate) / f64::from(messages_per_sec.max(1))).max(1.0);
        ByteBudget { bucket: TokenBucket::new(rate, burst, now), unit }
    }

    /// Charges `bytes` read; returns how many of them the budget did not cover.
    pub(crate) fn charge(&mut self, bytes: usize, now: Instant) -> f64 {
        if bytes == 0 {
            return 0.0;
        }
        self.bucket.take_up_to(bytes as f64, now)
    }

    /// Abuse points for `over` bytes beyond the budget.
    pub(crate) fn points(&self, over: f64) -> f64 {
        over / self.unit
    }
}

/// Abuse score: +1 per dropped message, decaying at `decay` per second. Crossing the threshold
/// means the client keeps sending well above its allowed rate (sustained abuse).
#[derive(Debug)]
pub(crate) struct AbuseMeter {
    score: f64,
    decay: f64,
    threshold: f64,
    last: Instant,
}

impl AbuseMeter {
    /// A meter at zero.
    pub(crate) fn new(decay_per_sec: u32, threshold: u32, now: Instant) -> Self {
        AbuseMeter { score: 0.0, decay: f64::from(decay_per_sec), threshold: f64::from(threshold), last: now }
    }

    /// Records one dropped message; true once the threshold is crossed.
    pub(crate) fn record_drop(&mut self, now: Instant) -> bool {
        self.record(1.0, now)
    }

    /// Adds `points` (e.g. bytes over budget, converted); true once the threshold is crossed.
    pub(crate) fn record(&mut self, points: f64, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.score = (self.score - elapsed * self.decay).max(0.0) + points;
        self.score >= self.threshold
    }
}

/// Number of sockets held per remote IP address.
#[derive(Debug, Default)]
pub(crate) struct IpCounts {
    counts: HashMap<IpAddr, u32>,
}

impl IpCounts {
    /// Counts one more socket from `ip` unless it already holds `max`; false means refuse.
    pub(crate) fn try_add(&mut self, ip: IpAddr, max: usize) -> bool {
        let n = self.counts.entry(ip).or_insert(0);
        if *n as usize >= max {
            return false;
        }
        *n += 1;
        true
    }

    /// Forgets one socket from `ip`.
    pub(crate) fn remove(&mut self, ip: IpAddr) {
        if let Some(n) = self.counts.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                self.counts.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_allows_burst_then_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10, 5, t0);
        assert_eq!((0..8).filter(|_| b.take(t0)).count(), 5);
        assert!(b.take(t0 + Duration::from_millis(100)));
        assert!(!b.take(t0 + Duration::from_millis(100)));
    }

    #[test]
    fn ack_credit_is_granted_per_frame_up_to_the_cap() {
        let mut c = AckCredit::new(3);
        assert!(!c.spend(), "no frame, no credit");
        (0..5).for_each(|_| c.grant());
        assert_eq!((0..5).filter(|_| c.spend()).count(), 3, "capped");
        c.grant();
        assert!(c.spend() && !c.spend());
        let mut off = AckCredit::new(0);
        off.grant();
        assert!(!off.spend(), "a cap of 0 turns the credit off");
    }

    #[test]
    fn abuse_needs_sustained_drops() {
        let t0 = Instant::now();
        let mut m = AbuseMeter::new(10, 20, t0);
        // One drop every 200 ms never accumulates.
        assert!((0..100).all(|i| !m.record_drop(t0 + Duration::from_millis(200 * i))));
        let t1 = t0 + Duration::from_secs(100);
        assert!((0..25).any(|_| m.record_drop(t1)));
    }

    #[test]
    fn byte_budget_converts_the_shortfall_into_points() {
        let t0 = Instant::now();
        // 1000 B/s for 10 messages/s: one point per 100 bytes beyond the 500-byte burst.
        let mut b = ByteBudget::new(1000, 500, 10, t0);
        assert_eq!(b.charge(400, t0), 0.0);
        let over = b.charge(300, t0);
        assert_eq!(b.points(over), 2.0);
        // Half a second refills 500 bytes.
        assert_eq!(b.charge(500, t0 + Duration::from_millis(500)), 0.0);
        assert_eq!(b.charge(0, t0 + Duration::from_millis(500)), 0.0);
    }

    #[test]
    fn abuse_points_can_be_weighted() {
        let t0 = Instant::now();
        let mut m = AbuseMeter::new(10, 20, t0);
        assert!(!m.record(19.5, t0));
        assert!(m.record(0.5, t0));
    }

    #[test]
    fn ip_counts_cap_and_release() {
        let ip: IpAddr = [127, 0, 0, 1].into();
        let mut c = IpCounts::default();
        assert!(c.try_add(ip, 2) && c.try_add(ip, 2));
        assert!(!c.try_add(ip, 2));
        c.remove(ip);
        assert!(c.try_add(ip, 2));
    }
}
