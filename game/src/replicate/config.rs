//! Replication tunables and the cumulative counters the shard reports.

use crate::interest::DEFAULT_MARGIN;
use net::protocol::{ENTER_RECORD_LEN, FRAME_HEAD_LEN};

/// Tunables of replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicationConfig {
    /// Largest Frame per client per tick, whole message including the 45-byte head (default
    /// 190). A budget too small for one enter record is raised to fit one, so views converge.
    pub frame_budget_bytes: usize,
    /// Dead-reckoning error allowed before an update is sent, 1/256 tile (default 32: 1/8 tile).
    pub tolerance: i32,
    /// A Frame goes out at least this often even when nothing changed, ticks (default 20).
    pub heartbeat_ticks: u64,
    /// A record no Ack has answered after this many ticks is treated as lost (default 40).
    pub inflight_ticks: u64,
    /// Most `ChunkData` encodings per tick (default 32).
    pub chunk_encodes_per_tick: usize,
    /// Chunk area hysteresis, 1/256 tile (default [`DEFAULT_MARGIN`]).
    pub area_margin: i32,
    /// Average downstream allowance per client per tick (default 125 bytes: 2.5 KB/s at 20 Hz).
    /// ChunkData, ObjectDeltas and Frames draw on one credit that refills by this much each
    /// tick; while a burst of chunks is paid back, Frames shrink to [`MIN_FRAME_BYTES`], so the
    /// view keeps moving and the average stays within the allowance. The first area's chunks are
    /// free ([`FREE_AREA_TICKS`]).
    pub rate_bytes_per_tick: usize,
    /// Most characters a client follows at once (default 64): in a denser crowd it sees the
    /// nearest ones. Bounds each client's work per tick however crowded the area is, and
    /// matches what the allowance keeps fresh: at 125 B per tick a crowd's frame carries about
    /// 8 records, so 64 followed characters each get an update about every 8 ticks, where 128
    /// would wait 16 (measured: 11 records deferred per frame at 64, 45 at 128).
    pub max_visible: usize,
    /// A client's visible set (which characters it follows) is gathered afresh every this many
    /// ticks and whenever its chunk area changes (default 4); in between, the same characters are
    /// followed by id, so newcomers appear and departures leave at most this late.
    pub view_refresh_ticks: u64,
    /// Of the characters a client follows, this many nearest (as of the last refresh) are
    /// reviewed every tick (default 32); the farther ones every [`Self::far_review_ticks`].
    pub near_visible: usize,
    /// Ticks between two reviews of a followed character beyond the nearest
    /// [`Self::near_visible`] (default 2; 1 reviews everything every tick). Records in flight,
    /// characters not yet entered and characters out of view are looked at every tick
    /// regardless; a far character that despawns leaves on its turn.
    pub far_review_ticks: u64,
    /// ObjectDeltas go out on ticks that are a multiple of this (default 5: 250 ms), each
    /// bringing a chunk from the version the client holds to the current one, so the changes of
    /// those ticks share one message (and an object changed twice is sent once) and every
    /// client at the same version shares one encoding. 1: every tick. ChunkData of chunks
    /// entering the area is not delayed.
    pub object_delta_ticks: u64,
}

/// Smallest Frame budget while the credit is spent: the head and two update records.
pub const MIN_FRAME_BYTES: usize = FRAME_HEAD_LEN + 2 * 24;
/// ChunkData of a client's first area (sent within this many ticks of joining) is not charged:
/// the allowance governs the steady state, not the one-time download of the surroundings.
pub const FREE_AREA_TICKS: u64 = 40;
/// Most credit a quiet client saves up (and a new client starts with), in ticks of allowance.
pub const CREDIT_TICKS: i64 = 20;

impl Default for ReplicationConfig {
    fn default() -> Self {
        Self {
            frame_budget_bytes: 190,
            tolerance: 32,
            heartbeat_ticks: 20,
            inflight_ticks: 40,
            chunk_encodes_per_tick: 32,
            area_margin: DEFAULT_MARGIN,
            rate_bytes_per_tick: 125,
            max_visible: 64,
            view_refresh_ticks: 4,
            near_visible: 32,
            far_review_ticks: 2,
            object_delta_ticks: 5,
        }
    }
}

impl ReplicationConfig {
    /// True when `tick` sends ObjectDeltas ([`Self::object_delta_ticks`]).
    pub(crate) fn deltas_due(&self, tick: u64) -> bool {
        tick.is_multiple_of(self.object_delta_ticks.max(1))
    }

    /// The frame budget actually applied: at least a head plus one enter record.
    pub(crate) fn effective_budget(&self) -> usize {
        self.frame_budget_bytes.max(FRAME_HEAD_LEN + ENTER_RECORD_LEN)
    }

    /// This tick's frame budget for a client with `credit` bytes saved.
    pub(crate) fn frame_budget(&self, credit: i64) -> usize {
        let floor = MIN_FRAME_BYTES.min(self.effective_budget());
        usize::try_from(credit).unwrap_or(0).clamp(floor, self.effective_budget())
    }
}

/// Cumulative replication counters (since the [`super::Replicator`] was made).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplicationStats {
    /// Frames sent.
    pub frames: u64,
    /// Bytes of the Frames sent.
    pub frame_bytes: u64,
    /// `ChunkData` messages sent (one per client and chunk version).
    pub chunk_data_msgs: u64,
    /// Bytes of the `ChunkData` messages sent.
    pub chunk_data_bytes: u64,
    /// `ChunkData` encodings made (shared by every client that receives them).
    pub chunk_encodes: u64,
    /// `ObjectDelta` messages sent (one per client and chunk version reached).
    pub object_delta_msgs: u64,
    /// Bytes of the `ObjectDelta` messages sent.
    pub object_delta_bytes: u64,
    /// `ObjectDelta` encodings made (shared by every client at the same version).
    pub object_delta_encodes: u64,
    /// Records that did not fit a Frame's budget and waited for a later tick.
    pub records_deferred: u64,
    /// Records sent again because the Frame carrying them was lost or never acknowledged.
    pub records_resent: u64,
    /// Frames not sent because they would have carried nothing new.
    pub frames_skipped: u64,
}

impl ReplicationStats {
    /// Adds `other` to these counters.
    pub(crate) fn add(&mut self, other: &ReplicationStats) {
        self.frames += other.frames;
        self.frame_bytes += other.frame_bytes;
        self.chunk_data_msgs += other.chunk_data_msgs;
        self.chunk_data_bytes += other.chunk_data_bytes;
        self.chunk_encodes += other.chunk_encodes;
        self.object_delta_msgs += other.object_delta_msgs;
        self.object_delta_bytes += other.object_delta_bytes;
        self.object_delta_encodes += other.object_delta_encodes;
        self.records_deferred += other.records_deferred;
        self.records_resent += other.records_resent;
        self.frames_skipped += other.frames_skipped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_budget_follows_the_credit_between_floor_and_cap() {
        let c = ReplicationConfig::default();
        assert_eq!(c.frame_budget(i64::MAX), 190);
        assert_eq!(c.frame_budget(150), 150);
        assert_eq!(c.frame_budget(0), MIN_FRAME_BYTES, "a spent credit still moves the view");
        assert_eq!(c.frame_budget(-30_000), MIN_FRAME_BYTES);
        let tiny = ReplicationConfig { frame_budget_bytes: 10, ..c };
        assert_eq!(tiny.frame_budget(0), FRAME_HEAD_LEN + ENTER_RECORD_LEN, "never below one enter");
    }
}
