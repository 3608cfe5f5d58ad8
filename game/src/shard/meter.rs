//! The shard's meter: how long each tick and each of its phases took (the current tick's
//! [`TickTrace`], and histograms over rotating windows for the status), the slow-tick warning
//! with its breakdown, and the counters the status reports beside them. The tick only tells it
//! where time went; the meter owns every clock and histogram.

use super::maps::MapRuntime;
use super::slow::{self, EventPart, SlowLog, ThreadUsage, TickTrace};
use super::status::StatusBoard;
use engine::{DurationHistogram, SystemTiming, TimingSummary};
use net::CountersSnapshot;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Length of a timing window.
pub(crate) const WINDOW: Duration = Duration::from_secs(30);

/// A part of the tick outside the maps' own stages, timed as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TickPhase {
    /// Client events (its part of [`TickPhase::Events`] named in the slow-tick warning): the
    /// clients' messages, connections and disconnections; the lobby (logins, spawns, bots, store
    /// replies); travels through ways; arrivals spawned at their spot.
    Events(EventPart),
    /// Handing the tick's messages to the network thread.
    Send,
}

/// Times and counters of the shard's work.
#[derive(Debug)]
pub(crate) struct Meter {
    /// Where the status is published for the admin port.
    pub status: Arc<StatusBoard>,
    started: Instant,
    /// Unix time (ms) at `started`: the simulation clock counts from it, so times stored with
    /// objects (growth stages) mean the same after a restart.
    epoch_ms: u64,
    /// A tick longer than this is counted and logged.
    slow_after: Duration,
    /// When the current tick began.
    tick_began: Instant,
    /// Where the current (or last) tick's time went.
    trace: TickTrace,
    /// This tick's replication time per map.
    replicate_spent: Vec<Duration>,
    slow_log: SlowLog,
    /// Ticks longer than `slow_after`.
    slow_ticks: u64,
    /// Orders refused (Error 100/101).
    orders_refused: u64,
    windows: Windows,
    /// Network byte counters at the previous publish, for per-second rates.
    net_prev: Option<(Instant, u64, u64)>,
}

/// Tick, phase and stage times over rotating windows.
#[derive(Debug)]
struct Windows {
    /// Whole ticks, this window.
    tick: DurationHistogram,
    /// The last finished window's [`Windows::tick`].
    last_tick: Option<TimingSummary>,
    /// Per map: the last finished window's stage times and replication.
    stages: Vec<Vec<SystemTiming>>,
    /// Per map: time to build every client's messages (replication), this window.
    replicate: Vec<DurationHistogram>,
    /// [`TickPhase::Events`], this window.
    events: DurationHistogram,
    /// [`TickPhase::Send`], this window.
    send: DurationHistogram,
    /// The last finished window's [`Windows::events`] and [`Windows::send`].
    phases: Vec<SystemTiming>,
    rotated_at: Instant,
}

impl Meter {
    /// A meter that counts ticks over `slow_after` as slow and publishes to `status`.
    pub(crate) fn new(status: Arc<StatusBoard>, slow_after: Duration) -> Self {
        let now = Instant::now();
        Self {
            status,
            started: now,
            epoch_ms: unix_ms(),
            slow_after,
            tick_began: now,
            trace: TickTrace::default(),
            replicate_spent: Vec::new(),
            slow_log: SlowLog::default(),
            slow_ticks: 0,
            orders_refused: 0,
            windows: Windows::new(),
            net_prev: None,
        }
    }

    /// The simulation's clock: Unix time in ms when the shard started plus the monotonic time
    /// since (so it never goes back while the shard runs, and stored times survive restarts).
    pub(crate) fn now_ms(&self) -> u64 {
        self.epoch_ms.saturating_add(self.started.elapsed().as_millis() as u64)
    }

    /// Seconds since the shard started.
    pub(crate) fn uptime_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Starts timing a tick over `maps` maps; returns [`Meter::now_ms`].
    pub(crate) fn begin_tick(&mut self, maps: usize) -> u64 {
        self.tick_began = Instant::now();
        self.trace.clear();
        self.trace.usage_at_start = ThreadUsage::now();
        self.replicate_spent.clear();
        self.replicate_spent.resize(maps, Duration::ZERO);
        self.now_ms()
    }

    /// Adds `spent` to a phase of this tick.
    pub(crate) fn add(&mut self, phase: TickPhase, spent: Duration) {
        match phase {
            TickPhase::Events(part) => self.trace.event(part, spent),
            TickPhase::Send => self.trace.send += spent,
        }
    }

    /// Counts a client event taken in.
    pub(crate) fn inbound(&mut self) {
        self.trace.inbound += 1;
    }

    /// Counts messages handed to the network thread.
    pub(crate) fn outbound(&mut self, messages: usize) {
        self.trace.outbound += messages;
    }

    /// Counts a refused order.
    pub(crate) fn order_refused(&mut self) {
        self.orders_refused += 1;
    }

    /// Notes map `map`'s simulation time.
    pub(crate) fn map_simulated(&mut self, map: usize, spent: Duration) {
        self.trace.map_simulated(map, spent);
    }

    /// Adds to map `map`'s replication time.
    pub(crate) fn map_replicated(&mut self, map: usize, spent: Duration) {
        self.replicate_spent[map] += spent;
    }

    /// Ends tick `tick`: records its times, and counts and logs it when slow.
    pub(crate) fn end_tick(&mut self, tick: u64, maps: &[MapRuntime]) {
        let w = &mut self.windows;
        w.events.record(self.trace.events);
        w.send.record(self.trace.send);
        w.replicate.resize_with(self.replicate_spent.len(), DurationHistogram::new);
        for (time, spent) in w.replicate.iter_mut().zip(&self.replicate_spent) {
            time.record(*spent);
        }
        let spent = self.tick_began.elapsed();
        w.tick.record(spent);
        if spent > self.slow_after {
            self.report_slow_tick(tick, spent, maps);
        }
    }

    /// Counts a tick that took `spent`, longer than the slow-tick threshold, and logs where its
    /// time went (at most one warning a second; the others are counted in the next one).
    fn report_slow_tick(&mut self, tick: u64, spent: Duration, maps: &[MapRuntime]) {
        self.slow_ticks += 1;
        if !self.slow_log.admit(Instant::now()) {
            return;
        }
        let t = &self.trace;
        let used = ThreadUsage::now().since(t.usage_at_start);
        let (map, stages) = match t.slowest_map {
            Some((i, _)) => {
                let m = &maps[i];
                (m.sim.geometry().id, slow::stage_list(m.sim.schedule.last_stage_times()))
            }
            None => (0, String::new()),
        };
        tracing::warn!(
            tick,
            total_ms = slow::ms(spent),
            thread_cpu_ms = slow::ms(used.cpu),
            preempted = used.preempted,
            waited = used.waited,
            events_ms = slow::ms(t.events),
            event_parts_ms = %slow::event_list(&t.event_parts),
            inbound = t.inbound,
            sim_ms = slow::ms(t.sim),
            slowest_map = map,
            stages_ms = %stages,
            replicate_ms = slow::ms(self.replicate_spent.iter().sum()),
            send_ms = slow::ms(t.send),
            outbound = t.outbound,
            unlogged_since = self.slow_log.take_unlogged(),
            "slow tick"
        );
    }

    /// Ticks longer than the slow-tick threshold so far.
    pub(crate) fn slow_ticks(&self) -> u64 {
        self.slow_ticks
    }

    /// Orders refused so far.
    pub(crate) fn orders_refused(&self) -> u64 {
        self.orders_refused
    }

    /// Whole-tick times of the last finished window, or so far when none has finished.
    pub(crate) fn tick_window(&self) -> TimingSummary {
        self.windows.last_tick.unwrap_or_else(|| self.windows.tick.summary())
    }

    /// The tick phases of the last finished window, or so far when none has finished.
    pub(crate) fn phases(&self) -> Vec<SystemTiming> {
        let w = &self.windows;
        if !w.phases.is_empty() {
            return w.phases.clone();
        }
        phase_timings(&w.events, &w.send)
    }

    /// Map `index`'s stage and replication times of the last finished window, or so far.
    pub(crate) fn map_stages(&self, index: usize, m: &MapRuntime) -> Vec<SystemTiming> {
        match self.windows.stages.get(index) {
            Some(s) if !s.is_empty() => s.clone(),
            _ => {
                // No window finished yet: the times so far.
                let mut t = m.sim.schedule.timings();
                if let Some(h) = self.windows.replicate.get(index) {
                    t.push(SystemTiming { stage: "replicate".into(), system: None, summary: h.summary() });
                }
                t
            }
        }
    }

    /// Bytes read and written per second since the previous call.
    pub(crate) fn net_rates(&mut self, net: &CountersSnapshot) -> (f64, f64) {
        let now = Instant::now();
        let rates = match self.net_prev {
            Some((at, bytes_in, bytes_out)) => {
                let dt = now.duration_since(at).as_secs_f64().max(1e-3);
                ((net.bytes_in - bytes_in) as f64 / dt, (net.bytes_out - bytes_out) as f64 / dt)
            }
            None => (0.0, 0.0),
        };
        self.net_prev = Some((now, net.bytes_in, net.bytes_out));
        rates
    }

    /// Map `index` stopped: its window times go, the maps after it move down one.
    pub(crate) fn map_stopped(&mut self, index: usize) {
        let w = &mut self.windows;
        if index < w.replicate.len() {
            w.replicate.remove(index);
        }
        if index < w.stages.len() {
            w.stages.remove(index);
        }
    }

    /// Every [`WINDOW`]: keeps the finished window's tick, phase and stage times, starts anew.
    pub(crate) fn rotate_window(&mut self, maps: &mut [MapRuntime]) {
        let w = &mut self.windows;
        if w.rotated_at.elapsed() < WINDOW {
            return;
        }
        w.rotated_at = Instant::now();
        w.last_tick = Some(w.tick.summary());
        w.tick.reset();
        w.phases = phase_timings(&w.events, &w.send);
        w.events.reset();
        w.send.reset();
        w.stages =
            maps.iter_mut().zip(&mut w.replicate).map(|(m, replicate)| map_window(m, replicate)).collect();
    }
}

impl Windows {
    fn new() -> Self {
        Self {
            tick: DurationHistogram::new(),
            last_tick: None,
            stages: Vec::new(),
            replicate: Vec::new(),
            events: DurationHistogram::new(),
            send: DurationHistogram::new(),
            phases: Vec::new(),
            rotated_at: Instant::now(),
        }
    }
}

/// A map's finished window: its stage times and replication, both reset.
fn map_window(m: &mut MapRuntime, replicate: &mut DurationHistogram) -> Vec<SystemTiming> {
    let mut t = m.sim.schedule.timings();
    m.sim.schedule.reset_timings();
    t.push(SystemTiming { stage: "replicate".into(), system: None, summary: replicate.summary() });
    replicate.reset();
    t
}

/// The tick phases as timings named `events` and `send`.
fn phase_timings(events: &DurationHistogram, send: &DurationHistogram) -> Vec<SystemTiming> {
    [("events", events), ("send", send)]
        .into_iter()
        .map(|(stage, h)| SystemTiming { stage: stage.into(), system: None, summary: h.summary() })
        .collect()
}

/// Milliseconds since the Unix epoch (0 if the system clock is before it).
pub(crate) fn unix_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| d.as_millis() as u64)
}
