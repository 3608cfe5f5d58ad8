//! One tick of the shard: client events, logins, spawns, the maps' simulation and replication,
//! and the hand-off of every message to the network thread.

use super::login::{Step, close};
use super::players::Online;
use super::slow;
use super::{LoginJob, Shard};
use crate::sim::Controller;
use crate::spawn::{SpawnDecision, Spawner};
use net::protocol::{
    ClientMessage, EntityId, ErrorMsg, PROTOCOL_VERSION, ServerMessage, SessionToken, Welcome,
};
use net::{ConnId, Inbound, Outbound, SendError};
use std::time::{Duration, Instant};
use store::PlayerRecord;

/// Most spawn-search steps for bots per tick (bots fill the world over the first seconds).
const BOT_STEPS_PER_TICK: usize = 200;

/// A verified player looking for a spawn spot.
#[derive(Debug)]
pub(crate) struct Arrival {
    conn: ConnId,
    record: PlayerRecord,
    token: [u8; 32],
    spawner: Spawner,
}

/// Bots still to place.
#[derive(Debug)]
pub(crate) struct BotSpawns {
    /// Bots wanted in the world.
    pub target: u32,
    /// Bots placed so far.
    pub placed: u32,
    /// Spawn searches in progress.
    searches: Vec<Spawner>,
    /// Searches that failed (no free spot).
    pub failed: u32,
}

impl BotSpawns {
    pub(crate) fn new(target: u32) -> Self {
        Self { target, placed: 0, searches: Vec::new(), failed: 0 }
    }
}

/// Counters of the shard's own work.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counts {
    pub logins_refused: u64,
    pub send_overflows: u64,
    pub orders_refused: u64,
    /// Ticks longer than the slow-tick threshold.
    pub slow_ticks: u64,
}

impl Shard {
    /// Runs one tick numbered `tick`, noting where its time went in `self.trace`.
    pub(crate) fn tick(&mut self, tick: u64) {
        let began = Instant::now();
        self.trace.clear();
        self.trace.usage_at_start = slow::ThreadUsage::now();
        let now_ms = self.now_ms();
        self.drain_inbound(now_ms);
        self.advance_logins(now_ms);
        self.advance_arrivals(tick);
        self.advance_bots();
        self.net.set_server_tick(tick);
        self.trace.events = began.elapsed();
        self.timing.events.record(self.trace.events);
        let maps = self.maps.list.len();
        self.replicate_spent.clear();
        self.replicate_spent.resize(maps, Duration::ZERO);
        for (i, (m, spent)) in self.maps.list.iter_mut().zip(&mut self.replicate_spent).enumerate() {
            let began = Instant::now();
            m.sim.tick(now_ms);
            let simulated = Instant::now();
            self.trace.map_simulated(i, simulated - began);
            m.view.build_first(&m.sim, tick, &mut self.out.first);
            *spent += simulated.elapsed();
        }
        // Frames answering inputs leave now; everyone else's are built while they are written.
        let mut sending = self.send_out();
        for (m, spent) in self.maps.list.iter_mut().zip(&mut self.replicate_spent) {
            let began = Instant::now();
            m.view.build_later(&mut self.out.later);
            *spent += began.elapsed();
        }
        sending += self.send_out();
        self.trace.send = sending;
        self.timing.send.record(sending);
        self.timing.replicate.resize_with(maps, engine::DurationHistogram::new);
        for (time, spent) in self.timing.replicate.iter_mut().zip(&self.replicate_spent) {
            time.record(*spent);
        }
    }

    /// Counts a tick that took `spent`, longer than the slow-tick threshold, and logs where its
    /// time went (at most one warning a second; the others are counted in the next one).
    pub(crate) fn report_slow_tick(&mut self, tick: u64, spent: Duration) {
        self.counts.slow_ticks += 1;
        if !self.slow_log.admit(Instant::now()) {
            return;
        }
        let t = &self.trace;
        let used = slow::ThreadUsage::now().since(t.usage_at_start);
        let (map, stages) = match t.slowest_map {
            Some((i, _)) => {
                let m = &self.maps.list[i];
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

    fn drain_inbound(&mut self, now_ms: u64) {
        while let Ok(event) = self.inbound.try_recv() {
            self.trace.inbound += 1;
            match event {
                Inbound::Connected { conn, peer, hello } => {
                    tracing::debug!(%conn, %peer, name = %hello.name, "hello");
                    match LoginJob::start(conn, hello.name, hello.token.0, &self.store, now_ms) {
                        Ok(job) => self.logins.push(job),
                        Err(reason) => self.refuse(conn, close::BAD_NAME, &reason),
                    }
                }
                Inbound::Message { conn, msg } => self.on_message(conn, msg),
                Inbound::Disconnected { conn, reason } => self.on_disconnected(conn, &reason),
            }
        }
    }

    fn on_message(&mut self, conn: ConnId, msg: ClientMessage) {
        let Some(player) = self.players.get_mut(conn) else { return };
        let map = &mut self.maps.list[player.map];
        match msg {
            ClientMessage::Input(input) => {
                match super::players::game_order(input.order, &map.sim, player.entity) {
                    Ok(order) => {
                        map.sim.set_order(player.entity, order);
                        player.last_input_seq = input.seq;
                        map.view.set_last_input(conn, input.seq);
                    }
                    Err((code, text)) => {
                        // The input is consumed (acked) even when refused, so prediction moves on.
                        player.last_input_seq = input.seq;
                        map.view.set_last_input(conn, input.seq);
                        self.counts.orders_refused += 1;
                        self.error(conn, code, 0, text);
                    }
                }
            }
            ClientMessage::Ack(ack) => map.view.on_ack(conn, ack),
            ClientMessage::Craft(c) => self.not_available(conn, c.request),
            ClientMessage::InventoryMove(m) => self.not_available(conn, m.request),
            ClientMessage::Drop(d) => self.not_available(conn, d.request),
            ClientMessage::Pickup(p) => self.not_available(conn, p.request),
            ClientMessage::Hello(_) | ClientMessage::Ping { .. } => {}
        }
    }

    fn not_available(&mut self, conn: ConnId, request: u32) {
        self.error(conn, super::error::NOT_AVAILABLE, request, "items and crafting are not available yet");
    }

    fn on_disconnected(&mut self, conn: ConnId, reason: &net::DisconnectReason) {
        self.logins.retain(|j| j.conn != conn);
        self.arrivals.retain(|a| a.conn != conn);
        if let Some(player) = self.logout(conn) {
            tracing::info!(%conn, player = player.id, ?reason, "logged out");
        }
    }

    /// Takes a player out of the world and saves it; `None` if `conn` was not playing.
    fn logout(&mut self, conn: ConnId) -> Option<PlayerRecord> {
        let online = self.players.remove(conn)?;
        let record = self.current_record(&online);
        let map = &mut self.maps.list[online.map];
        map.view.remove_client(conn);
        map.sim.despawn_character(online.entity);
        if let Err(e) = self.store.writer().save_player(record.clone()) {
            tracing::error!(player = record.id, error = %e, "cannot queue the logout save");
        }
        if let Some(meta) = &self.meta {
            meta.offline(record.id);
        }
        Some(record)
    }

    fn advance_logins(&mut self, now_ms: u64) {
        let mut jobs = std::mem::take(&mut self.logins);
        jobs.retain_mut(|job| match job.step(&self.store, &mut self.ids, &self.start, now_ms) {
            Step::Wait => true,
            Step::Refuse(code, reason) => {
                self.refuse(job.conn, code, &reason);
                false
            }
            Step::Verified { record, token } => {
                self.verified(job.conn, record, token);
                false
            }
        });
        jobs.append(&mut self.logins);
        self.logins = jobs;
    }

    /// A verified login: replaces an older session of the same character, then spawns.
    fn verified(&mut self, conn: ConnId, mut record: PlayerRecord, token: [u8; 32]) {
        if let Some(old) = self.players.conn_of(record.id) {
            if let Some(latest) = self.logout(old) {
                (record.map, record.pos) = (latest.map, latest.pos);
            }
            let _ = self.net.close(old, close::REPLACED, "logged in from another connection");
        }
        if let Some(i) = self.arrivals.iter().position(|a| a.record.id == record.id) {
            let old = self.arrivals.swap_remove(i);
            let _ = self.net.close(old.conn, close::REPLACED, "logged in from another connection");
        }
        let spawner = Spawner::new(record.map, record.pos.x, record.pos.y, record.id as u64);
        self.arrivals.push(Arrival { conn, record, token, spawner });
    }

    fn advance_arrivals(&mut self, tick: u64) {
        let mut arrivals = std::mem::take(&mut self.arrivals);
        arrivals.retain_mut(|a| {
            let writer = self.store.writer();
            let id = a.record.id;
            let mut save = |map, x, y| {
                writer.set_position(id, map, store::Position { x, y });
                Ok(())
            };
            let decision = self.maps.spawn_step(&mut a.spawner, &mut save);
            if decision != SpawnDecision::Wait {
                tracing::debug!(player = id, from = ?(a.record.map, a.record.pos), ?decision, attempts = a.spawner.attempts(), "spawn decided");
            }
            match decision {
                SpawnDecision::Wait => true,
                SpawnDecision::Spawn { map, x, y } => {
                    self.enter(a, map, x, y, tick);
                    false
                }
                SpawnDecision::HandOff { map, .. } => {
                    self.refuse(a.conn, close::MAP_UNAVAILABLE, &format!("map {map} is not simulated here"));
                    false
                }
                SpawnDecision::Failed(e) => {
                    self.refuse(a.conn, close::SPAWN_FAILED, &e.to_string());
                    false
                }
            }
        });
        arrivals.append(&mut self.arrivals);
        self.arrivals = arrivals;
    }

    /// Puts a spawned player in the world and welcomes it.
    fn enter(&mut self, a: &Arrival, map: store::MapId, x: i32, y: i32, tick: u64) {
        let Some(index) = self.maps.index_of(map) else { return };
        let runtime = &mut self.maps.list[index];
        let entity = runtime.sim.spawn_character(Controller::Player(a.record.id), x, y);
        runtime.view.add_client(a.conn, entity);
        let welcome = ServerMessage::Welcome(Welcome {
            version: PROTOCOL_VERSION,
            tick_rate_hz: self.opts.tick_hz as u16,
            player: EntityId(entity.to_bits()),
            server_tick: tick,
            map,
            token: SessionToken(a.token),
        });
        self.out.first.push((a.conn, Outbound::reliable(welcome.encode())));
        let mut record = a.record.clone();
        (record.map, record.pos) = (map, store::Position { x, y });
        if let Some(meta) = &self.meta {
            meta.online(record.id, record.token_hash.clone());
        }
        tracing::info!(conn = %a.conn, player = record.id, name = %record.name, x, y, "entered the world");
        self.players.insert(Online { conn: a.conn, record, map: index, entity, last_input_seq: 0 });
    }

    fn advance_bots(&mut self) {
        let bots = &mut self.bots;
        while bots.placed + bots.failed + (bots.searches.len() as u32) < bots.target
            && bots.searches.len() < BOT_STEPS_PER_TICK
        {
            let n = bots.placed + bots.failed + bots.searches.len() as u32;
            bots.searches.push(self.start.spawner(0xB07 ^ u64::from(n) << 16));
        }
        let mut searches = std::mem::take(&mut self.bots.searches);
        searches.retain_mut(|s| {
            let mut no_save = |_, _, _| Err("bots are not handed off".to_owned());
            match self.maps.spawn_step(s, &mut no_save) {
                SpawnDecision::Wait => true,
                SpawnDecision::Spawn { map, x, y } => {
                    if let Some(i) = self.maps.index_of(map) {
                        self.maps.list[i].sim.spawn_character(Controller::Bot, x, y);
                        self.bots.placed += 1;
                    }
                    false
                }
                SpawnDecision::HandOff { .. } | SpawnDecision::Failed(_) => {
                    self.bots.failed += 1;
                    false
                }
            }
        });
        self.bots.searches = searches;
    }

    /// Closes a connection that cannot play, with a game close code.
    pub(crate) fn refuse(&mut self, conn: ConnId, code: u16, reason: &str) {
        self.counts.logins_refused += 1;
        tracing::info!(%conn, code, reason, "login refused");
        let _ = self.net.close(conn, code, reason);
    }

    fn error(&mut self, conn: ConnId, code: u16, request: u32, text: &str) {
        let msg = ServerMessage::Error(ErrorMsg { code, request, text: text.to_owned() });
        self.out.first.push((conn, Outbound::reliable(msg.encode())));
    }

    /// Hands the queued messages to the network thread (reliable ones that did not fit wait for
    /// the next call); returns the time it took.
    fn send_out(&mut self) -> Duration {
        if self.out.is_empty() && self.backlog.is_empty() {
            return Duration::ZERO;
        }
        let began = Instant::now();
        let mut batch = std::mem::take(&mut self.backlog);
        self.out.drain_into(&mut batch);
        self.trace.outbound += batch.len();
        let keep: Vec<(ConnId, Outbound)> = batch.iter().filter(|(_, o)| !o.replaceable).cloned().collect();
        match self.net.send_many(batch) {
            Ok(()) => {}
            Err(SendError::Full) => {
                self.counts.send_overflows += 1;
                self.backlog = keep;
            }
            Err(SendError::Stopped) => {}
        }
        began.elapsed()
    }

    /// Hands every player's position to the store's writer, which coalesces them and writes one
    /// batch a second: after a crash a position is at most about a second old.
    pub(crate) fn save_positions(&mut self) {
        let updates: Vec<store::PositionUpdate> = self
            .players
            .iter()
            .filter_map(|p| {
                let m = &self.maps.list[p.map];
                let (x, y) = m.sim.position(p.entity)?;
                Some(store::PositionUpdate {
                    player: p.record.id,
                    map: m.sim.geometry().id,
                    pos: store::Position { x, y },
                })
            })
            .collect();
        self.store.writer().set_positions(updates);
    }

    /// Once a second: a chunk checkpoint when due.
    pub(crate) fn every_second(&mut self, tick: u64) {
        let period = self.opts.checkpoint_every.as_secs().max(1) * u64::from(self.opts.tick_hz);
        if tick > 0 && tick.is_multiple_of(period) {
            let n: usize = self.maps.list.iter_mut().map(|m| m.sim.save_dirty_chunks()).sum();
            tracing::debug!(chunks = n, "checkpoint");
        }
    }
}
