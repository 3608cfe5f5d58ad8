//! What the shard tells operators: a status snapshot the tick publishes once per second and the
//! admin port reads (health and metrics), so the admin thread never touches the simulation.

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

impl super::Shard {
    /// Publishes the status for the admin port and rotates the timing window when due.
    pub(crate) fn publish(&mut self, ticks: &engine::TickStats) {
        self.rotate_window();
        let t = &self.timing;
        let window = t.last_window.unwrap_or_else(|| t.window.summary());
        let maps = self.maps.list.iter().enumerate().map(|(i, m)| self.map_status(i, m)).collect();
        let net = self.net.counters().snapshot();
        let now = std::time::Instant::now();
        let (bytes_in_per_s, bytes_out_per_s) = match self.timing.net_prev {
            Some((at, bytes_in, bytes_out)) => {
                let dt = now.duration_since(at).as_secs_f64().max(1e-3);
                ((net.bytes_in - bytes_in) as f64 / dt, (net.bytes_out - bytes_out) as f64 / dt)
            }
            None => (0.0, 0.0),
        };
        self.timing.net_prev = Some((now, net.bytes_in, net.bytes_out));
        let status = ShardStatus {
            phase: Phase::Running,
            shard_id: self.opts.shard_id.clone(),
            tick_hz: self.opts.tick_hz,
            tick: ticks.ticks,
            uptime_s: self.started.elapsed().as_secs_f64(),
            tick_window: window,
            tick_total: ticks.tick_summary(),
            window_s: super::WINDOW.as_secs(),
            overruns: ticks.overruns,
            late_ticks: ticks.late_ticks,
            slow_ticks: self.counts.slow_ticks,
            players: self.players.len() as u64,
            logins: (self.logins.len() + self.arrivals.len()) as u64,
            bots: u64::from(self.bots.placed),
            logins_refused: self.counts.logins_refused,
            orders_refused: self.counts.orders_refused,
            phases: self.phases(),
            maps,
            net,
            bytes_in_per_s,
            bytes_out_per_s,
            writer: self.store.writer().stats(),
            meta_errors: self
                .meta
                .as_ref()
                .map_or(0, |m| m.errors.load(std::sync::atomic::Ordering::Relaxed)),
            send_overflows: self.counts.send_overflows,
        };
        self.status.publish(status);
    }

    fn map_status(&self, index: usize, m: &super::maps::MapRuntime) -> MapStatus {
        let stages = match self.timing.stages.get(index) {
            Some(s) if !s.is_empty() => s.clone(),
            _ => {
                // No window finished yet: the times so far.
                let mut t = m.sim.schedule.timings();
                if let Some(h) = self.timing.replicate.get(index) {
                    t.push(SystemTiming { stage: "replicate".into(), system: None, summary: h.summary() });
                }
                t
            }
        };
        MapStatus {
            map: m.sim.geometry().id,
            characters: m.sim.character_count() as u64,
            clients: m.view.client_count() as u64,
            chunks: m.sim.chunk_counters(),
            replication: m.view.stats(),
            stages,
        }
    }

    /// The tick phases of the last finished window, or so far when none has finished.
    fn phases(&self) -> Vec<SystemTiming> {
        if !self.timing.phases.is_empty() {
            return self.timing.phases.clone();
        }
        phase_timings(&self.timing.events, &self.timing.send)
    }

    /// Every [`super::WINDOW`]: keeps the finished window's tick and stage times, starts anew.
    fn rotate_window(&mut self) {
        if self.timing.rotated_at.elapsed() < super::WINDOW {
            return;
        }
        self.timing.rotated_at = std::time::Instant::now();
        self.timing.last_window = Some(self.timing.window.summary());
        self.timing.window.reset();
        self.timing.phases = phase_timings(&self.timing.events, &self.timing.send);
        self.timing.events.reset();
        self.timing.send.reset();
        self.timing.stages = self
            .maps
            .list
            .iter_mut()
            .zip(&mut self.timing.replicate)
            .map(|(m, replicate)| {
                let mut t = m.sim.schedule.timings();
                m.sim.schedule.reset_timings();
                t.push(SystemTiming {
                    stage: "replicate".into(),
                    system: None,
                    summary: replicate.summary(),
                });
                replicate.reset();
                t
            })
            .collect();
    }
}

/// The tick phases as timings named `events` and `send`.
fn phase_timings(events: &engine::DurationHistogram, send: &engine::DurationHistogram) -> Vec<SystemTiming> {
    [("events", events), ("send", send)]
        .into_iter()
        .map(|(stage, h)| SystemTiming { stage: stage.into(), system: None, summary: h.summary() })
        .collect()
}
