//! The chat a client heard: the most recent `ChatHeard` lines, oldest first, in a bounded list
//! (the oldest line goes when a new one would pass the bound), so a client that never reads
//! them keeps a fixed amount of memory.

use net::protocol::{ChatHeard, EntityId};
use std::collections::VecDeque;

/// Lines kept by default.
pub const CHAT_LOG_LINES: usize = 64;

/// One line heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeardLine {
    /// The speaker's character entity.
    pub speaker: EntityId,
    /// The speaker's name.
    pub name: String,
    /// The server tick the line was said at.
    pub tick: u64,
    /// The request id of the client's own Chat when this is its own line, else 0.
    pub request: u32,
    /// The text.
    pub text: String,
}

impl From<&ChatHeard> for HeardLine {
    fn from(h: &ChatHeard) -> Self {
        HeardLine {
            speaker: h.speaker,
            name: h.name.clone(),
            tick: h.tick,
            request: h.request,
            text: h.text.clone(),
        }
    }
}

/// The recent lines heard, at most `capacity` of them.
#[derive(Debug, Clone)]
pub struct ChatLog {
    lines: VecDeque<HeardLine>,
    capacity: usize,
    heard: u64,
}

impl Default for ChatLog {
    fn default() -> Self {
        Self::with_capacity(CHAT_LOG_LINES)
    }
}

impl ChatLog {
    /// An empty log keeping at most `capacity` lines (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self { lines: VecDeque::with_capacity(capacity), capacity, heard: 0 }
    }

    /// Adds a line, dropping the oldest one when the log is full.
    pub fn push(&mut self, line: HeardLine) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
        self.heard += 1;
    }

    /// The lines kept, oldest first.
    pub fn lines(&self) -> impl ExactSizeIterator<Item = &HeardLine> {
        self.lines.iter()
    }

    /// The newest line.
    pub fn last(&self) -> Option<&HeardLine> {
        self.lines.back()
    }

    /// Lines heard since the log was made (kept or not).
    pub fn heard(&self) -> u64 {
        self.heard
    }

    /// Forgets every line (a new session).
    pub fn clear(&mut self) {
        self.lines.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: u64) -> HeardLine {
        HeardLine { speaker: EntityId(1), name: "a".into(), tick: n, request: 0, text: n.to_string() }
    }

    #[test]
    fn the_log_keeps_the_newest_lines_up_to_its_capacity() {
        let mut log = ChatLog::with_capacity(3);
        (1..=5).for_each(|n| log.push(line(n)));
        let ticks: Vec<u64> = log.lines().map(|l| l.tick).collect();
        assert_eq!(ticks, [3, 4, 5], "the two oldest went");
        assert_eq!(log.heard(), 5);
        assert_eq!(log.last().map(|l| l.text.as_str()), Some("5"));
        log.clear();
        assert_eq!(log.lines().len(), 0);
        assert_eq!(ChatLog::with_capacity(0).capacity, 1, "a log keeps at least one line");
    }
}
