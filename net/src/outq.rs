//! Outbound byte queue and the socket wrapper tungstenite reads from and "writes" into.
//!
//! Data frames are queued as a small WebSocket header plus a shared [`Bytes`] payload, so a
//! payload sent to many clients is never copied in user space. Frames tungstenite produces itself
//! (handshake reply, pong, ping, close) land in the same queue through [`Sock`]'s `Write` impl,
//! which always accepts everything. Only [`OutQueue::flush_to`] touches the socket for writing:
//! it writes with `writev`, remembers how far the front item got, and on WouldBlock simply keeps
//! the rest for the next WRITABLE event: nothing is lost or sent twice.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use mio::net::TcpStream;

use crate::counters::Counters;

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
    /// When the queue went above the soft cap (cleared when it drains below).
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
    #[cfg(test)]
    pub(crate) fn queued_bytes(&self) -> usize {
        self.queued
    }

    /// Since when the queue has been above the soft cap, if it is.
    pub(crate) fn over_cap_since(&self) -> Option<Instant> {
        self.over_cap_since
    }

    /// Appends raw bytes (frames already encoded by tungstenite).
    pub(crate) fn push_raw(&mut self, bytes: Bytes) {
        self.queued += bytes.len();
        let item = OutItem { header: [0; 10], header_len: 0, payload: bytes, replaceable: false };
        self.items.push_back(item);
    }

    /// Queues a binary data frame; a replaceable one supersedes an unsent older replaceable one.
    pub(crate) fn push_frame(
        &mut self,
        payload: Bytes,
        replaceable: bool,
        caps: (usize, usize),
        now: Instant,
    ) -> Pushed {
        let (soft, hard) = caps;
        let replaced = replaceable && self.remove_unsent_replaceable();
        if replaceable && !replaced && self.queued > soft {
            return Pushed::Dropped;
        }
        let (header, header_len) = binary_header(payload.len());
        let item = OutItem { header, header_len, payload, replaceable };
        self.queued += item.len();
        self.items.push_back(item);
        self.update_cap_state(soft, now);
        match (self.queued > hard, replaced) {
            (true, _) => Pushed::HardCap,
            (false, true) => Pushed::Replaced,
            (false, false) => Pushed::Queued,
        }
    }

    /// Removes the newest replaceable frame that has not started to be written.
    fn remove_unsent_replaceable(&mut self) -> bool {
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

    /// Records when the queue crossed the soft cap, or clears it once below.
    pub(crate) fn update_cap_state(&mut self, soft: usize, now: Instant) {
        if self.queued <= soft {
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
    }

    /// Writes as much as the socket takes. Ok(true): queue empty; Ok(false): would block.
    pub(crate) fn flush_to(&mut self, tcp: &mut TcpStream, counters: &Counters) -> io::Result<bool> {
        while !self.items.is_empty() {
            let n = match self.write_some(tcp) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            Counters::add(&counters.bytes_out, n as u64);
            self.advance(n);
        }
        Ok(true)
    }

    fn write_some(&self, tcp: &mut TcpStream) -> io::Result<usize> {
        let mut slices = [IoSlice::new(&[]); MAX_IOV];
        let mut used = 0;
        let mut skip = self.offset;
        for item in &self.items {
            if used + 2 > MAX_IOV {
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
        tcp.write_vectored(&slices[..used])
    }

    fn advance(&mut self, mut n: usize) {
        self.queued -= n;
        while n > 0 {
            let Some(front) = self.items.front() else { break };
            let left = front.len() - self.offset;
            if n < left {
                self.offset += n;
                return;
            }
            n -= left;
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

    /// Flushes the queue to the socket (see [`OutQueue::flush_to`]).
    pub(crate) fn flush_out(&mut self) -> io::Result<bool> {
        self.out.flush_to(&mut self.tcp, &self.counters)
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

    fn q_with(frames: &[(usize, bool)]) -> OutQueue {
        let mut q = OutQueue::default();
        let now = Instant::now();
        for &(len, repl) in frames {
            q.push_frame(Bytes::from(vec![7u8; len]), repl, (1 << 20, 1 << 30), now);
        }
        q
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
        let r = q.push_frame(Bytes::from_static(b"new"), true, (1 << 20, 1 << 30), Instant::now());
        assert_eq!(r, Pushed::Replaced);
        assert_eq!(q.items.len(), 2);
        assert_eq!(q.queued_bytes(), 22 + 5);
    }

    #[test]
    fn a_partly_written_frame_is_never_replaced() {
        let mut q = q_with(&[(10, true)]);
        q.advance(3);
        let r = q.push_frame(Bytes::from_static(b"x"), true, (1 << 20, 1 << 30), Instant::now());
        assert_eq!(r, Pushed::Queued);
        assert_eq!(q.queued_bytes(), 9 + 3);
    }

    #[test]
    fn over_cap_drops_new_frames_and_hard_cap_reports() {
        let now = Instant::now();
        let mut q = OutQueue::default();
        q.push_frame(Bytes::from(vec![0; 100]), false, (50, 150), now);
        assert_eq!(q.over_cap_since(), Some(now));
        assert_eq!(q.push_frame(Bytes::from(vec![0; 10]), true, (50, 150), now), Pushed::Dropped);
        assert_eq!(q.push_frame(Bytes::from(vec![0; 100]), false, (50, 150), now), Pushed::HardCap);
    }

    #[test]
    fn discard_keeps_only_the_started_frame() {
        let mut q = q_with(&[(10, false), (10, false), (10, true)]);
        q.advance(4);
        q.discard_unsent();
        assert_eq!(q.items.len(), 1);
        assert_eq!(q.queued_bytes(), 8);
    }
}
