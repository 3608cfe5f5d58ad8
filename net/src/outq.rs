//! Outbound byte queue and the socket wrapper tungstenite reads from and "writes" into.
//!
//! Data frames are queued as a small WebSocket header plus a shared [`Bytes`] payload, so a
//! payload sent to many clients is never copied in user space. Frames tungstenite produces itself
//! (handshake reply, pong, ping, close) land in the same queue through [`Sock`]'s `Write` impl,
//! which always accepts everything. Only [`OutQueue::flush_to`] touches the socket for writing:
//! it writes with `writev`, remembers how far the front item got, and on WouldBlock simply keeps
//! the rest for the next WRITABLE event: nothing is lost or sent twice.
//!
//! The kernel's send buffer is part of the backlog ([`KernelBacklog`]): a state frame is held
//! back while the kernel holds more than `kernel_backlog_bytes` (a newer frame then replaces it),
//! the soft cap counts the queue plus the kernel's unsent bytes, and a client whose kernel still
//! holds a state frame older than the slow-client timeout is reported slow.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use mio::net::TcpStream;

use crate::counters::{ConnTraffic, Counters};
use crate::kernel::{KernelBacklog, KernelPolicy, Wire};

/// Maximum slices handed to one `writev`.
const MAX_IOV: usize = 64;

/// One queued frame: an encoded header (possibly empty) and a payload.
#[derive(Debug)]
struct OutItem {
    header: [u8; 10],
    header_len: u8,
    payload: Bytes,
    replaceable: bool,
}

impl OutItem {
    fn len(&self) -> usize {
        usize::from(self.header_len) + self.payload.len()
    }
}

/// What happened to a pushed data frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// Appended to the queue.
    Queued,
    /// Appended after removing an unsent older replaceable frame.
    Replaced,
    /// Not queued: the queue is over its cap and there was nothing to replace.
    Dropped,
    /// Queued, and the queue is now above the hard cap: the caller must close.
    HardCap,
}

/// Per-connection outbound queue with byte accounting.
#[derive(Debug, Default)]
pub(crate) struct OutQueue {
    items: VecDeque<OutItem>,
    /// Bytes of the front item already written.
    offset: usize,
    /// Bytes not yet written.
    queued: usize,
    /// What the kernel holds for the socket, and since when.
    kernel: KernelBacklog,
    /// The queue holds a replaceable frame not started yet (there is never more than one).
    unstarted_frame: bool,
    /// When the backlog, queue plus kernel, went above the soft cap (cleared when below).
    over_cap_since: Option<Instant>,
}

/// Encodes an unmasked, final, binary WebSocket frame header for a payload of `len` bytes.
pub(crate) fn binary_header(len: usize) -> ([u8; 10], u8) {
    let mut h = [0u8; 10];
    h[0] = 0x82;
    if len < 126 {
        h[1] = len as u8;
        (h, 2)
    } else if len <= usize::from(u16::MAX) {
        h[1] = 126;
        h[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        (h, 4)
    } else {
        h[1] = 127;
        h[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        (h, 10)
    }
}

impl OutQueue {
    /// Bytes waiting to be written.
    pub(crate) fn queued_bytes(&self) -> usize {
        self.queued
    }

    /// Since when the backlog (queue plus kernel) has been above the soft cap, if it is.
    pub(crate) fn over_cap_since(&self) -> Option<Instant> {
        self.over_cap_since
    }

    /// True if the kernel still holds a state frame written more than `limit` ago (the client is
    /// not keeping up); asks the kernel only when the oldest mark is that old.
    pub(crate) fn kernel_held_over(
        &mut self,
        wire: &impl Wire,
        limit: Duration,
        now: Instant,
        c: &Counters,
    ) -> bool {
        self.kernel.held_over(wire, limit, now, c)
    }

    /// Appends raw bytes (frames already encoded by tungstenite).
    pub(crate) fn push_raw(&mut self, bytes: Bytes) {
        self.queued += bytes.len();
        let item = OutItem { header: [0; 10], header_len: 0, payload: bytes, replaceable: false };
        self.items.push_back(item);
    }

    /// Queues a binary data frame; a replaceable one supersedes an unsent older replaceable one.
    /// The soft cap counts the kernel's share as last seen; the hard cap counts the queue only.
    pub(crate) fn push_frame(&mut self, payload: Bytes, replaceable: bool, caps: (usize, usize)) -> Pushed {
        let (soft, hard) = caps;
        let replaced = replaceable && self.remove_unsent_replaceable();
        if replaceable && !replaced && self.queued + self.kernel.bound() > soft {
            return Pushed::Dropped;
        }
        let (header, header_len) = binary_header(payload.len());
        let item = OutItem { header, header_len, payload, replaceable };
        self.queued += item.len();
        self.items.push_back(item);
        self.unstarted_frame |= replaceable;
        match (self.queued > hard, replaced) {
            (true, _) => Pushed::HardCap,
            (false, true) => Pushed::Replaced,
            (false, false) => Pushed::Queued,
        }
    }

    /// Removes the newest replaceable frame that has not started to be written.
    fn remove_unsent_replaceable(&mut self) -> bool {
        if !self.unstarted_frame {
            return false;
        }
        let first_unsent = usize::from(self.offset > 0);
        let found = self.items.iter().enumerate().rev().find(|(_, i)| i.replaceable);
        match found {
            Some((idx, _)) if idx >= first_unsent => {
                if let Some(old) = self.items.remove(idx) {
                    self.queued -= old.len();
                }
                true
            }
            _ => false,
        }
    }

    /// Records when the backlog, queue plus kernel, crossed the soft cap, or clears it once
    /// below. Asks the kernel only when the upper bound says the backlog may be above `soft`.
    pub(crate) fn update_cap_state(&mut self, wire: &impl Wire, soft: usize, now: Instant, c: &Counters) {
        let over = self.queued.saturating_add(self.kernel.bound()) > soft
            && self.queued.saturating_add(self.kernel.read(wire, c)) > soft;
        if !over {
            self.over_cap_since = None;
        } else if self.over_cap_since.is_none() {
            self.over_cap_since = Some(now);
        }
    }

    /// Drops everything not yet started (before a close that abandons the backlog).
    pub(crate) fn discard_unsent(&mut self) {
        let keep = usize::from(self.offset > 0);
        while self.items.len() > keep {
            if let Some(item) = self.items.pop_back() {
                self.queued -= item.len();
            }
        }
        self.unstarted_frame = false;
    }

    /// Writes, in order, as much as the socket takes. Under a policy, while the kernel holds more
    /// than its backlog limit, a state frame not started yet stays queued (and so does everything
    /// behind it), where a newer frame can replace it; at most one kernel reading per call.
    /// Ok(true): the queue is empty; Ok(false): bytes remain (would block or held back).
    pub(crate) fn flush_to(
        &mut self,
        wire: &mut impl Wire,
        policy: Option<&KernelPolicy>,
        c: &Counters,
    ) -> io::Result<bool> {
        let limit = policy.map_or(usize::MAX, |p| p.backlog_limit);
        let hold = self.unstarted_frame && self.kernel.over(wire, limit, c);
        if hold {
            Counters::inc(&c.outbound_held);
        }
        while let Some(front) = self.items.front() {
            if hold && self.offset == 0 && front.replaceable {
                break;
            }
            let n = match self.write_some(wire, hold) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            Counters::add(&c.bytes_out, n as u64);
            self.kernel.wrote(n);
            self.advance(n, policy);
        }
        Ok(self.items.is_empty())
    }

    /// One `writev` of the queue's front; with `hold`, stops before the unstarted state frame.
    fn write_some(&self, wire: &mut impl Wire, hold: bool) -> io::Result<usize> {
        let mut slices = [IoSlice::new(&[]); MAX_IOV];
        let mut used = 0;
        let mut skip = self.offset;
        for (idx, item) in self.items.iter().enumerate() {
            let started = idx == 0 && self.offset > 0;
            if used + 2 > MAX_IOV || (hold && item.replaceable && !started) {
                break;
            }
            for part in [&item.header[..usize::from(item.header_len)], &item.payload[..]] {
                if skip >= part.len() {
                    skip -= part.len();
                    continue;
                }
                slices[used] = IoSlice::new(&part[skip..]);
                skip = 0;
                used += 1;
            }
        }
        wire.write_vectored(&slices[..used])
    }

    /// Drops `n` bytes just written from the front; under a policy, dates each state frame whose
    /// writing starts here.
    fn advance(&mut self, mut n: usize, policy: Option<&KernelPolicy>) {
        self.queued -= n;
        // Where the front item starts, in bytes written over the connection's life.
        let mut start = self.kernel.written().saturating_sub((n + self.offset) as u64);
        while n > 0 {
            let Some(front) = self.items.front() else { break };
            let len = front.len();
            if self.offset == 0 && front.replaceable {
                self.unstarted_frame = false;
                if let Some(p) = policy {
                    self.kernel.mark(start + len as u64, p);
                }
            }
            let left = len - self.offset;
            if n < left {
                self.offset += n;
                return;
            }
            n -= left;
            start += len as u64;
            self.offset = 0;
            self.items.pop_front();
        }
    }
}

/// The stream given to tungstenite: reads come from the socket, writes go to the queue.
///
/// Short-read shortcut: with edge-triggered epoll, a read that returns less than asked means the
/// socket was drained, and new bytes will raise a new event; so the next read reports WouldBlock
/// without a syscall. Not used once the peer's FIN was seen with data (`note_read_closed`), where
/// no further edge would announce the EOF.
///
/// Turn budget (server side): reads are bounded per turn ([`Sock::start_turn`]; unbounded until
/// the first one, so the client driver never meets it). Once the turn's bytes are
/// used up, reads report WouldBlock artificially and the socket is marked `throttled`: it may
/// still hold input that no new edge will announce, so the loop must resume it later. This is
/// what bounds the work tungstenite does for one connection, even for frames it swallows.
#[derive(Debug)]
pub(crate) struct Sock {
    /// The non-blocking socket.
    pub(crate) tcp: TcpStream,
    /// Everything waiting to be written to `tcp`.
    pub(crate) out: OutQueue,
    counters: Arc<Counters>,
    /// This connection's own byte counts.
    traffic: Arc<ConnTraffic>,
    drained: bool,
    read_closed: bool,
    /// Bytes this turn may still read.
    turn_left: usize,
    /// Bytes read since the last [`Sock::take_read`].
    read: usize,
    /// A read was refused because the turn's budget was used up.
    throttled: bool,
}

impl Sock {
    /// Wraps an accepted or connecting socket.
    pub(crate) fn new(tcp: TcpStream, counters: Arc<Counters>) -> Self {
        Sock {
            tcp,
            out: OutQueue::default(),
            counters,
            traffic: Arc::default(),
            drained: false,
            read_closed: false,
            turn_left: usize::MAX,
            read: 0,
            throttled: false,
        }
    }

    /// Starts a turn: reads may take up to `budget` bytes from the socket.
    pub(crate) fn start_turn(&mut self, budget: usize) {
        self.turn_left = budget;
        self.throttled = false;
    }

    /// True if a read stopped at the turn budget (input may be left unread).
    pub(crate) fn throttled(&self) -> bool {
        self.throttled
    }

    /// Bytes read from the socket since the last call.
    pub(crate) fn take_read(&mut self) -> usize {
        std::mem::take(&mut self.read)
    }

    /// A readiness event: the next read must reach the socket.
    pub(crate) fn on_event(&mut self, read_closed: bool) {
        self.drained = false;
        self.read_closed |= read_closed;
    }

    /// This connection's byte counts (shared).
    pub(crate) fn traffic(&self) -> &Arc<ConnTraffic> {
        &self.traffic
    }

    /// Flushes the queue to the socket (see [`OutQueue::flush_to`]).
    pub(crate) fn flush_out(&mut self, policy: Option<&KernelPolicy>) -> io::Result<bool> {
        let before = self.out.queued;
        let result = self.out.flush_to(&mut self.tcp, policy, &self.counters);
        self.traffic.wrote(before.saturating_sub(self.out.queued));
        result
    }

    /// Updates the soft-cap clock (see [`OutQueue::update_cap_state`]).
    pub(crate) fn update_cap_state(&mut self, soft: usize, now: Instant) {
        self.out.update_cap_state(&self.tcp, soft, now, &self.counters)
    }

    /// True if the client is not keeping up: its backlog has been above the soft cap for
    /// `timeout`, or the kernel still holds a state frame written more than `timeout` ago.
    pub(crate) fn is_slow(&mut self, timeout: Duration, now: Instant) -> bool {
        let over_cap = self.out.over_cap_since().is_some_and(|t| now.saturating_duration_since(t) > timeout);
        over_cap || self.out.kernel_held_over(&self.tcp, timeout, now, &self.counters)
    }
}

impl Read for Sock {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if std::mem::take(&mut self.drained) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if self.turn_left == 0 && !buf.is_empty() {
            self.throttled = true;
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let want = buf.len().min(self.turn_left);
        let n = self.tcp.read(&mut buf[..want])?;
        self.drained = n > 0 && n < want && !self.read_closed;
        self.turn_left -= n;
        self.read += n;
        Counters::add(&self.counters.bytes_in, n as u64);
        self.traffic.read(n);
        Ok(n)
    }
}

impl Write for Sock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !buf.is_empty() {
            self.out.push_raw(Bytes::copy_from_slice(buf));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: (usize, usize) = (1 << 20, 1 << 30);

    /// A socket that takes up to `room` bytes, then would block; the kernel holds `unsent`.
    #[derive(Default)]
    struct FakeWire {
        room: usize,
        written: Vec<u8>,
        unsent: usize,
    }

    impl Write for FakeWire {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[IoSlice::new(buf)])
        }

        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let before = self.written.len();
            for b in bufs {
                let n = b.len().min(self.room - (self.written.len() - before));
                self.written.extend_from_slice(&b[..n]);
            }
            let n = self.written.len() - before;
            self.room -= n;
            self.unsent += n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Wire for FakeWire {
        fn unsent(&self) -> Option<usize> {
            Some(self.unsent)
        }
    }

    fn q_with(frames: &[(usize, bool)]) -> OutQueue {
        let mut q = OutQueue::default();
        for &(len, repl) in frames {
            q.push_frame(Bytes::from(vec![7u8; len]), repl, CAPS);
        }
        q
    }

    fn wire(room: usize, unsent: usize) -> FakeWire {
        FakeWire { room, unsent, ..FakeWire::default() }
    }

    #[test]
    fn headers_use_the_right_length_form() {
        assert_eq!(binary_header(5).1, 2);
        assert_eq!(binary_header(126).1, 4);
        assert_eq!(&binary_header(300).0[..4], &[0x82, 126, 1, 44]);
        assert_eq!(binary_header(70_000).1, 10);
    }

    #[test]
    fn a_new_state_frame_replaces_an_unsent_one() {
        let mut q = q_with(&[(10, true), (20, false)]);
        let r = q.push_frame(Bytes::from_static(b"new"), true, CAPS);
        assert_eq!(r, Pushed::Replaced);
        assert_eq!(q.items.len(), 2);
        assert_eq!(q.queued_bytes(), 22 + 5);
    }

    #[test]
    fn a_partly_written_frame_is_never_replaced() {
        let mut q = q_with(&[(10, true)]);
        q.advance(3, None);
        let r = q.push_frame(Bytes::from_static(b"x"), true, CAPS);
        assert_eq!(r, Pushed::Queued);
        assert_eq!(q.queued_bytes(), 9 + 3);
        assert_eq!(q.push_frame(Bytes::from_static(b"y"), true, CAPS), Pushed::Replaced);
    }

    #[test]
    fn over_cap_drops_new_frames_and_hard_cap_reports() {
        let mut q = OutQueue::default();
        q.push_frame(Bytes::from(vec![0; 100]), false, (50, 150));
        assert_eq!(q.push_frame(Bytes::from(vec![0; 10]), true, (50, 150)), Pushed::Dropped);
        assert_eq!(q.push_frame(Bytes::from(vec![0; 100]), false, (50, 150)), Pushed::HardCap);
    }

    #[test]
    fn discard_keeps_only_the_started_frame() {
        let mut q = q_with(&[(10, false), (10, false), (10, true)]);
        q.advance(4, None);
        q.discard_unsent();
        assert_eq!(q.items.len(), 1);
        assert_eq!(q.queued_bytes(), 8);
    }

    fn policy(limit: usize) -> KernelPolicy {
        KernelPolicy { backlog_limit: limit, mark_every: Duration::from_millis(100), now: Instant::now() }
    }

    #[test]
    fn a_full_kernel_holds_the_state_frame_back_until_it_drains() {
        let (c, p) = (Counters::default(), policy(1000));
        let mut w = wire(1 << 20, 0);
        let mut q = q_with(&[(3000, false), (100, true)]);
        assert!(q.flush_to(&mut w, Some(&p), &c).unwrap(), "below the limit nothing is held");
        assert_eq!(c.snapshot().kernel_checks, 0, "the bound alone proved the kernel was below");
        q.push_frame(Bytes::from(vec![1; 50]), false, CAPS);
        q.push_frame(Bytes::from(vec![2; 100]), true, CAPS);
        assert!(!q.flush_to(&mut w, Some(&p), &c).unwrap());
        assert_eq!(w.written.len(), 3004 + 102 + 52, "reliable bytes ahead still go out");
        assert_eq!((q.items.len(), c.snapshot().kernel_checks, c.snapshot().outbound_held), (1, 1, 1));
        assert_eq!(q.push_frame(Bytes::from(vec![3; 100]), true, CAPS), Pushed::Replaced);
        w.unsent = 400;
        assert!(q.flush_to(&mut w, Some(&p), &c).unwrap(), "the newest frame goes once it drained");
        assert_eq!(w.written[w.written.len() - 1], 3);
        assert_eq!(c.snapshot().kernel_checks, 2);
    }

    #[test]
    fn the_kernels_unsent_bytes_count_toward_the_soft_cap() {
        let (c, t0) = (Counters::default(), Instant::now());
        let mut w = wire(1 << 20, 0);
        let mut q = q_with(&[(20_000, false)]);
        q.flush_to(&mut w, Some(&policy(1000)), &c).unwrap();
        q.update_cap_state(&w, 10_000, t0, &c);
        assert_eq!(q.over_cap_since(), Some(t0), "the queue is empty, the kernel holds it all");
        w.unsent = 0;
        q.update_cap_state(&w, 10_000, t0, &c);
        assert_eq!(q.over_cap_since(), None);
        q.update_cap_state(&w, 10_000, t0, &c);
        assert_eq!(c.snapshot().kernel_checks, 2, "a fresh reading below the cap needs no other");
    }

    #[test]
    fn a_client_is_slow_once_the_kernel_holds_old_bytes() {
        let (c, p) = (Counters::default(), policy(1 << 20));
        let mut w = wire(1 << 20, 0);
        let mut q = q_with(&[(100, true)]);
        q.flush_to(&mut w, Some(&p), &c).unwrap();
        let timeout = Duration::from_secs(5);
        assert!(!q.kernel_held_over(&w, timeout, p.now + timeout / 2, &c));
        assert!(q.kernel_held_over(&w, timeout, p.now + timeout * 2, &c));
        w.unsent = 0;
        assert!(!q.kernel_held_over(&w, timeout, p.now + timeout * 2, &c), "the client took it");
    }

    #[test]
    fn a_closing_flush_holds_nothing_back() {
        let c = Counters::default();
        let mut w = wire(1 << 20, 50_000);
        let mut q = q_with(&[(100, true), (10, false)]);
        q.kernel.wrote(50_000);
        assert!(q.flush_to(&mut w, None, &c).unwrap());
        assert_eq!(c.snapshot().kernel_checks, 0);
    }
}
