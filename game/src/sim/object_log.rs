//! The bounded log of a resident chunk's object changes, by chunk version, so replication can
//! tell a client holding an older version what entered, changed and left since instead of
//! sending the whole chunk again.
//!
//! Every change clients see (an object placed, removed, or its kind or state changed) raises the
//! chunk's version by one and is logged with the version it made. The log keeps the last
//! [`OBJECT_LOG_LEN`] changes; a client whose version is older than the log reaches back to
//! gets the chunk whole. Records name the entity and what happened to it, not its state: the
//! state sent is the object's current one, read when the delta is encoded.

use crate::chunk_wire::is_newer;
use engine::Entity;
use std::collections::VecDeque;

/// Changes a chunk's log keeps.
pub const OBJECT_LOG_LEN: usize = 64;

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectOp {
    /// It appeared in the chunk.
    Enter,
    /// Its kind or state changed.
    Change,
    /// It is gone.
    Leave,
}

/// One logged change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Logged {
    /// The chunk version this change made.
    version: u32,
    entity: Entity,
    op: ObjectOp,
}

/// The log of one resident chunk.
#[derive(Debug, Clone)]
pub struct ObjectLog {
    /// Oldest first.
    changes: VecDeque<Logged>,
    /// Oldest version a delta can start from: the version the chunk was installed at, or the
    /// version of the newest change dropped from the log.
    floor: u32,
}

impl ObjectLog {
    /// An empty log of a chunk installed at `version`.
    pub fn new(version: u32) -> Self {
        Self { changes: VecDeque::new(), floor: version }
    }

    /// Logs the change that made `version` (the chunk's version after it), dropping the oldest
    /// change past [`OBJECT_LOG_LEN`].
    pub fn record(&mut self, version: u32, entity: Entity, op: ObjectOp) {
        if self.changes.len() == OBJECT_LOG_LEN
            && let Some(dropped) = self.changes.pop_front()
        {
            self.floor = dropped.version;
        }
        self.changes.push_back(Logged { version, entity, op });
    }

    /// True when a delta from `from` to `current` (the chunk's version now) can be built: `from`
    /// is not newer than `current` and not older than what the log reaches back to.
    pub fn covers(&self, from: u32, current: u32) -> bool {
        !is_newer(from, current) && !is_newer(self.floor, from)
    }

    /// Writes into `out` (cleared first) the net change of every object changed after version
    /// `from`, in the order each was first changed: an object that entered and left since is
    /// left out; one that entered is an enter whatever followed; otherwise its last change
    /// counts. False (and `out` empty) when the log does not reach back to `from`.
    pub fn changes_since(&self, from: u32, current: u32, out: &mut Vec<(Entity, ObjectOp)>) -> bool {
        out.clear();
        if !self.covers(from, current) {
            return false;
        }
        for c in self.changes.iter().filter(|c| is_newer(c.version, from)) {
            let Some(at) = out.iter().position(|&(e, _)| e == c.entity) else {
                out.push((c.entity, c.op));
                continue;
            };
            match (out[at].1, c.op) {
                // Entered and gone since: the client never needs to hear of it.
                (ObjectOp::Enter, ObjectOp::Leave) => _ = out.remove(at),
                (ObjectOp::Enter, _) => {}
                (_, ObjectOp::Leave) => out[at].1 = ObjectOp::Leave,
                _ => out[at].1 = ObjectOp::Change,
            }
        }
        true
    }

    /// Number of changes kept.
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// True when no change is kept.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(i: u32) -> Entity {
        Entity::from_parts(i, 1)
    }

    #[test]
    fn changes_since_coalesce_per_object() {
        let mut log = ObjectLog::new(10);
        log.record(11, e(1), ObjectOp::Enter);
        log.record(12, e(2), ObjectOp::Change);
        log.record(13, e(1), ObjectOp::Change);
        log.record(14, e(3), ObjectOp::Enter);
        log.record(15, e(3), ObjectOp::Leave);
        log.record(16, e(2), ObjectOp::Leave);
        let mut out = Vec::new();
        assert!(log.changes_since(10, 16, &mut out));
        assert_eq!(out, [(e(1), ObjectOp::Enter), (e(2), ObjectOp::Leave)], "3 came and went");
        assert!(log.changes_since(11, 16, &mut out));
        assert_eq!(out, [(e(2), ObjectOp::Leave), (e(1), ObjectOp::Change)]);
        assert!(log.changes_since(16, 16, &mut out) && out.is_empty(), "nothing since the current version");
        assert!(!log.changes_since(9, 16, &mut out), "older than the chunk's install");
        assert!(!log.changes_since(17, 16, &mut out), "newer than the chunk");
    }

    #[test]
    fn the_log_is_bounded_and_forgets_the_oldest_versions() {
        let mut log = ObjectLog::new(u32::MAX - 5);
        let mut v = u32::MAX - 5;
        for i in 0..OBJECT_LOG_LEN as u32 + 3 {
            v = v.wrapping_add(1);
            log.record(v, e(i), ObjectOp::Enter);
        }
        assert_eq!(log.len(), OBJECT_LOG_LEN);
        let oldest = (u32::MAX - 5).wrapping_add(3);
        assert!(log.covers(oldest, v), "across the wrap");
        assert!(!log.covers(oldest.wrapping_sub(1), v), "its changes were dropped");
        let mut out = Vec::new();
        assert!(log.changes_since(oldest, v, &mut out));
        assert_eq!(out.len(), OBJECT_LOG_LEN);
    }
}
