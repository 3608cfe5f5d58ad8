//! Publishing the shard's status once a second: gathered from the parts (players, lobby, outbox,
//! store, metadata link) and the meter into a [`ShardStatus`] on the board the admin port reads;
//! and, just before it, painting the live map (`picture.rs`) from the maps and the players.

use super::Shard;
use super::maps::MapRuntime;
use super::meter::WINDOW;
use super::picture::{MapPicture, MapView, PlayerView, chunk_marks, dots};
use super::status::{MapStatus, Phase, ShardStatus};
use std::time::Instant;

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
            map_picture_s: self.painter.last_paint_s,
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

    /// Paints the live map and publishes it (once a second, before the status, which reports
    /// how long this took).
    pub(crate) fn paint(&mut self, tick: u64) {
        let started = Instant::now();
        let mut thumbs_changed = false;
        let mut maps = Vec::with_capacity(self.maps.list.len());
        let mut room = MapPicture::MAX_DOTS;
        for m in &self.maps.list {
            let geometry = m.sim.geometry();
            let table = m.sim.world.resource(m.sim.keys.chunks);
            thumbs_changed |= self.painter.update_thumbs(geometry.id, &table);
            maps.push(MapView {
                map: geometry.id,
                width_chunks: geometry.width_chunks,
                height_chunks: geometry.height_chunks,
                chunks: chunk_marks(&table),
                dots: dots(&m.sim, &mut room),
                characters: m.sim.character_count(),
            });
        }
        let players = self.player_views();
        let paint_s = started.elapsed().as_secs_f64();
        let picture = MapPicture { tick, maps, players, player_count: self.players.len(), paint_s };
        self.painter.publish(picture, thumbs_changed);
    }

    /// The players online (at most `MapPicture::MAX_PLAYERS`) with their connections.
    fn player_views(&mut self) -> Vec<PlayerView> {
        let now = Instant::now();
        let mut out = Vec::with_capacity(self.players.len().min(MapPicture::MAX_PLAYERS));
        for p in self.players.iter().take(MapPicture::MAX_PLAYERS) {
            let sim = &self.maps.list[p.map].sim;
            let (x, y) = sim.position(p.entity).unwrap_or((0, 0));
            let link = self.links.rate(p.conn, now);
            out.push(PlayerView {
                name: p.record.name.clone(),
                entity: p.entity.to_bits(),
                map: sim.geometry().id,
                x,
                y,
                peer: link.peer,
                connected_s: link.connected_s,
                down_bps: link.down_bps,
                up_bps: link.up_bps,
            });
        }
        out
    }
}
