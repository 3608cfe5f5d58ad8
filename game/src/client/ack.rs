//! Which frames arrived, in the shape of the protocol's Ack (§3, 0x08): the newest tick plus a
//! 32-bit mask of the ticks before it. Ticks received need not be contiguous: the server skips
//! empty frames and the net layer replaces unsent ones.

use net::protocol::Ack;

/// Number of ticks before the newest that an [`Ack`] can report.
pub const ACK_WINDOW: u64 = 32;

/// Records frame ticks as they arrive and produces the Ack to send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AckTracker {
    newest: Option<u64>,
    mask: u32,
}

impl AckTracker {
    /// An empty tracker (nothing received yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets everything (a new session).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Notes that the frame of `tick` arrived (duplicates and out-of-window ticks are harmless).
    pub fn record(&mut self, tick: u64) {
        let Some(newest) = self.newest else {
            self.newest = Some(tick);
            return;
        };
        if tick > newest {
            self.advance(tick - newest);
            self.newest = Some(tick);
        } else if tick < newest {
            let back = newest - 1 - tick;
            if back < ACK_WINDOW {
                self.mask |= 1 << back;
            }
        }
    }

    /// Shifts the window forward by `d ≥ 1` ticks; the old newest becomes bit `d − 1`.
    fn advance(&mut self, d: u64) {
        if d > ACK_WINDOW {
            self.mask = 0;
            return;
        }
        let shifted = (u64::from(self.mask) << d) | (1u64 << (d - 1));
        self.mask = shifted as u32;
    }

    /// The newest tick received, if any.
    pub fn newest(&self) -> Option<u64> {
        self.newest
    }

    /// The Ack describing what arrived, or `None` before the first frame.
    pub fn ack(&self) -> Option<Ack> {
        self.newest.map(|tick| Ack { tick, received: self.mask })
    }
}
