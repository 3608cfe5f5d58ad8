//! What the shard tells operators: a status snapshot the tick publishes once per second and the
//! admin port reads (health and metrics), so the admin thread never touches the simulation.

use crate::gameplay::bots::LoopCounters;
use crate::gameplay::items::ItemCounters;
use crate::replicate::ReplicationStats;
use crate::sim::ChunkCounters;
use engine::{SystemTiming, TimingSummary};
use net::CountersSnapshot;
use std::sync::{Mutex, MutexGuard, PoisonError};
use store::WriterStats;

/// Life stage of the shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// Maps are being claimed and bots spawned; not yet accepting players.
    #[default]
    Starting,
    /// Playing.
    Running,
    /// SIGTERM received: saving everything.
    Stopping,
}

impl Phase {
    /// Lower-case name for health documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::Running => "running",
            Phase::Stopping => "stopping",
        }
    }
}

/// One map's part of the status.
#[derive(Debug, Clone, Default)]
pub struct MapStatus {
    /// Map id.
    pub map: u32,
    /// Characters (players and bots).
    pub characters: u64,
    /// Players with a client on this map.
    pub clients: u64,
    /// Chunk residency counters.
    pub chunks: ChunkCounters,
    /// Replication counters.
    pub replication: ReplicationStats,
    /// Item operations done and refused, writer refusals, stored items not loaded.
    pub items: ItemCounters,
    /// Steps the map's bots took playing the loop.
    pub bot_steps: LoopCounters,
    /// Per-stage and per-system tick times over the last window.
    pub stages: Vec<SystemTiming>,
}

/// Everything the admin port reports.
#[derive(Debug, Clone, Default)]
pub struct ShardStatus {
    /// Life stage.
    pub phase: Phase,
    /// Shard id.
    pub shard_id: String,
    /// Ticks per second.
    pub tick_hz: u32,
    /// Current tick.
    pub tick: u64,
    /// Seconds since start.
    pub uptime_s: f64,
    /// Whole-tick time over the last window (see `window_s`).
    pub tick_window: TimingSummary,
    /// Whole-tick time since start.
    pub tick_total: TimingSummary,
    /// Length of the timing window in seconds.
    pub window_s: u64,
    /// Ticks that took longer than the period.
    pub overruns: u64,
    /// Ticks that started more than a period late.
    pub late_ticks: u64,
    /// Ticks longer than the slow-tick threshold (each logged with where its time went).
    pub slow_ticks: u64,
    /// Players online.
    pub players: u64,
    /// Logins in progress.
    pub logins: u64,
    /// Bots alive.
    pub bots: u64,
    /// Logins refused, by any reason.
    pub logins_refused: u64,
    /// Orders refused (Error 100/101).
    pub orders_refused: u64,
    /// Tick phases outside the maps' stages, over the last window: `events` (client events,
    /// logins, spawns, bots) and `send` (handing the tick's messages to the network thread).
    pub phases: Vec<SystemTiming>,
    /// Per map.
    pub maps: Vec<MapStatus>,
    /// Network counters.
    pub net: CountersSnapshot,
    /// Bytes read from clients per second, over the last second.
    pub bytes_in_per_s: f64,
    /// Bytes written to clients per second, over the last second.
    pub bytes_out_per_s: f64,
    /// Write-behind counters.
    pub writer: WriterStats,
    /// Failed metadata (Redis) calls.
    pub meta_errors: u64,
    /// Outbound batches the network thread could not take (its queue was full).
    pub send_overflows: u64,
    /// Seconds the last live-map picture took to paint (`MapPicture`).
    pub map_picture_s: f64,
    /// Map leases: maps owned, renewals, losses, takeovers, redirects sent.
    pub lease: super::lease::LeaseSnapshot,
}

/// The published status, shared between the tick and the admin port.
#[derive(Debug, Default)]
pub struct StatusBoard(Mutex<ShardStatus>);

impl StatusBoard {
    /// A copy of the latest status.
    pub fn snapshot(&self) -> ShardStatus {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, ShardStatus> {
        // A panic elsewhere cannot leave a half-written status: it is replaced whole.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the status.
    pub(crate) fn publish(&self, status: ShardStatus) {
        *self.lock() = status;
    }

    /// Changes only the phase.
    pub(crate) fn set_phase(&self, phase: Phase) {
        self.lock().phase = phase;
    }
}
