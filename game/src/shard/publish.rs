//! Publishing the shard's status once a second: gathered from the parts (players, lobby, outbox,
//! store, metadata link) and the meter into a [`ShardStatus`] on the board the admin port reads.

use super::Shard;
use super::maps::MapRuntime;
use super::meter::WINDOW;
use super::status::{MapStatus, Phase, ShardStatus};

impl Shard {
    /// Publishes the status for the admin port and rotates the timing window when due.
    pub(crate) fn publish(&mut self, ticks: &engine::TickStats) {
        self.meter.rotate_window(&mut self.maps.list);
        let net = self.outbox.net_counters();
        let (bytes_in_per_s, bytes_out_per_s) = self.meter.net_rates(&net);
        let m = &self.meter;
        let status = ShardStatus {
            phase: Phase::Running,
            shard_id: self.opts.shard_id.clone(),
            tick_hz: self.opts.tick_hz,
            tick: ticks.ticks,
            uptime_s: m.uptime_s(),
            tick_window: m.tick_window(),
            tick_total: ticks.tick_summary(),
            window_s: WINDOW.as_secs(),
            overruns: ticks.overruns,
            late_ticks: ticks.late_ticks,
            slow_ticks: m.slow_ticks(),
            players: self.players.len() as u64,
            logins: self.lobby.in_progress() as u64,
            bots: u64::from(self.lobby.bots_placed()),
            logins_refused: self.lobby.refused(),
            orders_refused: m.orders_refused(),
            phases: m.phases(),
            maps: self.maps.list.iter().enumerate().map(|(i, map)| self.map_status(i, map)).collect(),
            net,
            bytes_in_per_s,
            bytes_out_per_s,
            writer: self.store.writer().stats(),
            meta_errors: self
                .meta
                .as_ref()
                .map_or(0, |m| m.errors.load(std::sync::atomic::Ordering::Relaxed)),
            send_overflows: self.outbox.overflows(),
            lease: self.meta.as_ref().map(|m| m.counters.snapshot()).unwrap_or_default(),
        };
        m.status.publish(status);
    }

    fn map_status(&self, index: usize, m: &MapRuntime) -> MapStatus {
        MapStatus {
            map: m.sim.geometry().id,
            characters: m.sim.character_count() as u64,
            clients: m.view.client_count() as u64,
            chunks: m.sim.chunk_counters(),
            replication: m.view.stats(),
            items: m.sim.world.resource(m.items).counters.clone(),
            bot_steps: m.sim.world.resource(m.bots).counters.clone(),
            stages: self.meter.map_stages(index, m),
        }
    }
}
