//! What the kernel still holds for a socket: how many unsent bytes, and since when.
//!
//! A socket's send buffer absorbs bytes out of `OutQueue`'s sight, so the outbound policy keeps a
//! [`KernelBacklog`] per connection: an upper bound of the bytes the kernel holds (the last
//! reading plus every byte written since) and a few marks telling when the state frames among
//! them were written. The kernel is asked (one `ioctl`, [`Wire::unsent`]) only when the bound or
//! the oldest mark crosses a limit, never per message.

use std::io::Write;
use std::time::{Duration, Instant};

use mio::net::TcpStream;

use crate::counters::Counters;
use crate::sockopt;

/// Write marks kept per connection; when all are in use the newest one grows.
const MARKS: usize = 8;

/// What the outbound queue needs from a socket: writes, and what the kernel still holds.
pub(crate) trait Wire: Write {
    /// Bytes written but not yet acknowledged by the peer; `None` where the platform cannot tell.
    fn unsent(&self) -> Option<usize>;
}

impl Wire for TcpStream {
    fn unsent(&self) -> Option<usize> {
        sockopt::unsent_bytes(self)
    }
}

/// How an open connection's flush treats the kernel (a closing one, or a client, passes none).
#[derive(Clone, Copy, Debug)]
pub(crate) struct KernelPolicy {
    /// A state frame waits while the kernel holds more than this many unsent bytes.
    pub(crate) backlog_limit: usize,
    /// Writes closer together than this share a mark (a fraction of the slow-client timeout).
    pub(crate) mark_every: Duration,
    /// The flush's time, for the marks.
    pub(crate) now: Instant,
}

/// One mark: the state frames ending at or before `end` (in bytes written over the connection's
/// life) and after the previous mark were written at `at` or later.
#[derive(Clone, Copy, Debug)]
struct Mark {
    end: u64,
    at: Instant,
}

/// The kernel's share of a connection's backlog (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct KernelBacklog {
    /// Upper bound of the bytes the kernel still holds.
    bound: usize,
    /// Bytes written to the socket so far.
    written: u64,
    /// Marks of state frames not known to be acknowledged, oldest first.
    marks: [Option<Mark>; MARKS],
}

impl KernelBacklog {
    /// The upper bound of the bytes the kernel holds (no system call).
    pub(crate) fn bound(&self) -> usize {
        self.bound
    }

    /// Bytes written to the socket so far.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Accounts `n` bytes just written.
    pub(crate) fn wrote(&mut self, n: usize) {
        self.bound = self.bound.saturating_add(n);
        self.written += n as u64;
    }

    /// Notes a state frame ending at `end` (in bytes written) whose writing starts now.
    pub(crate) fn mark(&mut self, end: u64, p: &KernelPolicy) {
        let mark = Mark { end, at: p.now };
        match self.marks.iter().rposition(Option::is_some) {
            None => self.marks[0] = Some(mark),
            Some(last) if last + 1 < MARKS && !self.recent(last, p) => self.marks[last + 1] = Some(mark),
            Some(last) => {
                if let Some(m) = &mut self.marks[last] {
                    m.end = end;
                }
            }
        }
    }

    fn recent(&self, idx: usize, p: &KernelPolicy) -> bool {
        self.marks[idx].is_some_and(|m| p.now.saturating_duration_since(m.at) < p.mark_every)
    }

    /// Asks the kernel how much it holds; where it cannot tell, assumes nothing (the send buffer
    /// size is then the only bound).
    pub(crate) fn read(&mut self, wire: &impl Wire, counters: &Counters) -> usize {
        Counters::inc(&counters.kernel_checks);
        self.bound = wire.unsent().unwrap_or(0);
        let acked = self.written.saturating_sub(self.bound as u64);
        while self.marks[0].is_some_and(|m| m.end <= acked) {
            self.marks.rotate_left(1);
            self.marks[MARKS - 1] = None;
        }
        self.bound
    }

    /// True if the kernel holds more than `limit` bytes; asks it only if the bound is above.
    pub(crate) fn over(&mut self, wire: &impl Wire, limit: usize, counters: &Counters) -> bool {
        self.bound > limit && self.read(wire, counters) > limit
    }

    /// True if the kernel still holds a state frame written more than `limit` ago; asks it only
    /// if the oldest mark is that old.
    pub(crate) fn held_over(
        &mut self,
        wire: &impl Wire,
        limit: Duration,
        now: Instant,
        c: &Counters,
    ) -> bool {
        let old = |b: &Self| b.marks[0].is_some_and(|m| now.saturating_duration_since(m.at) > limit);
        if !old(self) {
            return false;
        }
        self.read(wire, c);
        old(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    /// A socket whose kernel holds `unsent` bytes.
    struct Held(usize);

    impl Write for Held {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Wire for Held {
        fn unsent(&self) -> Option<usize> {
            Some(self.0)
        }
    }

    fn at(t0: Instant, ms: u64) -> KernelPolicy {
        let now = t0 + Duration::from_millis(ms);
        KernelPolicy { backlog_limit: 1000, mark_every: Duration::from_millis(100), now }
    }

    /// Writes a state frame of `n` bytes at `p.now`.
    fn frame(k: &mut KernelBacklog, n: usize, p: &KernelPolicy) {
        k.mark(k.written() + n as u64, p);
        k.wrote(n);
    }

    #[test]
    fn the_bound_grows_with_writes_and_a_reading_resets_it() {
        let c = Counters::default();
        let mut k = KernelBacklog::default();
        k.wrote(600);
        assert!(!k.over(&Held(5000), 1000, &c), "below the limit without asking");
        k.wrote(600);
        assert!(!k.over(&Held(300), 1000, &c));
        assert_eq!((k.bound(), c.snapshot().kernel_checks), (300, 1));
        k.wrote(900);
        assert!(k.over(&Held(1100), 1000, &c));
    }

    #[test]
    fn the_oldest_unacknowledged_write_dates_the_backlog() {
        let (c, t0) = (Counters::default(), Instant::now());
        let mut k = KernelBacklog::default();
        frame(&mut k, 100, &at(t0, 0));
        frame(&mut k, 100, &at(t0, 50));
        k.wrote(1000);
        frame(&mut k, 100, &at(t0, 500));
        let limit = Duration::from_millis(400);
        assert!(!k.held_over(&Held(1300), limit, t0 + Duration::from_millis(300), &c));
        assert_eq!(c.snapshot().kernel_checks, 0, "no mark old enough to ask");
        let now = t0 + Duration::from_millis(600);
        assert!(k.held_over(&Held(1250), limit, now, &c), "frames of t0 are still held");
        assert!(!k.held_over(&Held(1100), limit, now, &c), "only bytes that are no state frame");
        assert!(!k.held_over(&Held(100), limit, now, &c), "only the frame of t0+500 remains");
        assert!(k.held_over(&Held(100), limit, t0 + Duration::from_millis(1000), &c));
        assert!(!k.held_over(&Held(0), limit, t0 + Duration::from_millis(1000), &c));
        assert!(k.marks[0].is_none());
    }

    #[test]
    fn when_the_marks_run_out_the_newest_grows_and_keeps_its_age() {
        let (c, t0) = (Counters::default(), Instant::now());
        let mut k = KernelBacklog::default();
        for i in 0..20 {
            frame(&mut k, 10, &at(t0, 200 * i));
        }
        assert_eq!(k.marks[MARKS - 1].map(|m| (m.end, m.at)), Some((200, t0 + Duration::from_millis(1400))));
        let now = t0 + Duration::from_millis(4000);
        assert!(
            k.held_over(&Held(10), Duration::from_millis(2000), now, &c),
            "dated by 1.4 s, the worst case"
        );
    }
}
