//! One tick of the shard: client events, the lobby (logins, spawns, bots), the maps' simulation
//! and replication, and the hand-off of every message to the network thread; then what the
//! lobby's events and the clients' messages do to the players online.

use super::Shard;
use super::lobby::Event;
use super::login::{Verified, close};
use super::meter::TickPhase;
use super::players::Online;
use super::slow::EventPart;
use crate::chat::Speaker;
use crate::gameplay::items;
use crate::geom::{MapGeometry, split_map_id};
use net::protocol::{
    ClientMessage, EntityId, ErrorMsg, PROTOCOL_VERSION, ServerMessage, SessionToken, Welcome,
};
use net::{ConnId, Inbound};
use std::time::Instant;
use store::PlayerRecord;

impl Shard {
    /// Runs one tick numbered `tick`: client events and the lobby → each map's simulation and
    /// the frames answering inputs → arrivals whose spot became resident → their send →
    /// everyone else's frames → their send.
    pub(crate) fn tick(&mut self, tick: u64) {
        self.apply_lease_events();
        let now_ms = self.meter.begin_tick(self.maps.list.len());
        self.timed(TickPhase::Events(EventPart::Inbound), |s| s.drain_inbound(tick, now_ms));
        self.timed(TickPhase::Events(EventPart::Lobby), |s| {
            s.advance_lobby(tick, now_ms);
            s.outbox.set_server_tick(tick);
        });
        self.simulate(tick, now_ms);
        self.timed(TickPhase::Events(EventPart::Travels), Self::step_travels);
        // An arrival whose spot's chunk the simulation installed just now spawns in this tick,
        // not the next one (the lobby ran before the simulation).
        self.timed(TickPhase::Events(EventPart::Arrivals), |s| s.step_arrivals(tick));
        self.send_item_messages();
        self.send_stats();
        // Frames answering inputs leave now; everyone else's are built while they are written.
        self.send();
        self.replicate_later();
        self.send();
        self.meter.end_tick(tick, &self.maps.list);
    }

    /// Runs `step`, adding its time to `phase` of this tick.
    fn timed<R>(&mut self, phase: TickPhase, step: impl FnOnce(&mut Self) -> R) -> R {
        let began = Instant::now();
        let result = step(self);
        self.meter.add(phase, began.elapsed());
        result
    }

    /// Simulates each map and builds the frames answering inputs.
    fn simulate(&mut self, tick: u64, now_ms: u64) {
        for (i, m) in self.maps.list.iter_mut().enumerate() {
            let began = Instant::now();
            m.sim.world.resource_mut(m.items).set_server_tick(tick);
            m.sim.tick(now_ms);
            let simulated = Instant::now();
            self.meter.map_simulated(i, simulated - began);
            m.view.build_first(&m.sim, tick, &mut self.outbox.out.first);
            self.meter.map_replicated(i, simulated.elapsed());
        }
    }

    /// Hands every map's item messages (contents, changes, refusals) to their players.
    fn send_item_messages(&mut self) {
        for i in 0..self.maps.list.len() {
            let messages = self.maps.items(i).take_outbox();
            for (player, msg) in messages {
                if let Some(conn) = self.players.conn_of(player) {
                    self.outbox.reply(conn, &msg);
                }
            }
        }
    }

    /// Builds every other client's frames.
    fn replicate_later(&mut self) {
        for (i, m) in self.maps.list.iter_mut().enumerate() {
            let began = Instant::now();
            m.view.build_later(&mut self.outbox.out.later);
            self.meter.map_replicated(i, began.elapsed());
        }
    }

    /// Hands the queued messages to the network thread (reliable ones that did not fit wait for
    /// the next send).
    pub(crate) fn send(&mut self) {
        if !self.outbox.is_empty() {
            let sent = self.timed(TickPhase::Send, |s| s.outbox.send());
            self.meter.outbound(sent);
        }
    }

    fn drain_inbound(&mut self, tick: u64, now_ms: u64) {
        while let Ok(event) = self.inbound.try_recv() {
            self.meter.inbound();
            match event {
                Inbound::Connected { .. } => self.hello(event, tick, now_ms),
                Inbound::Message { conn, msg } => self.on_message(conn, msg, tick),
                Inbound::Disconnected { conn, reason } => {
                    self.links.gone(conn);
                    self.on_disconnected(conn, &reason);
                }
            }
        }
    }

    /// A connection's Hello (an `Inbound::Connected`): its login starts.
    fn hello(&mut self, event: Inbound, tick: u64, now_ms: u64) {
        let Inbound::Connected { conn, peer, hello, traffic } = event else { return };
        tracing::debug!(%conn, %peer, name = %hello.name, "hello");
        self.links.connected(conn, peer, traffic);
        let store = (self.store.as_ref(), self.opts.shard_id.as_str());
        let clocks = (now_ms, super::unix_ms());
        if let Some(e) = self.lobby.hello((conn, hello.name, hello.token.0), store, clocks) {
            self.apply(e, tick);
        }
    }

    /// Advances logins, then arrivals (a login verified now searches its spot this tick), then
    /// bots, applying what they lead to.
    fn advance_lobby(&mut self, tick: u64, now_ms: u64) {
        self.departed.step(now_ms);
        self.step_logins(tick, now_ms);
        self.step_handoffs();
        self.step_returns();
        self.step_arrivals(tick);
        self.lobby.step_bots(&mut self.maps);
    }

    /// Between two ticks: Hellos that came in start their logins, hand-offs whose commit ended
    /// get their Redirects, and logins whose store answers came in since the tick go on at once
    /// (verified, claimed, spawned and welcomed) instead of at the next tick; the Welcomes and
    /// Redirects leave now. `tick` is the last tick run. Client
    /// messages wait for the tick (`InboundReceiver::try_hello` takes the Hellos alone), and
    /// nothing of the simulation runs here: an arrival whose spot is resident gets its character
    /// as at the tick's lobby step, and its first Frame comes with the next tick.
    pub(crate) fn between_ticks(&mut self, tick: u64) {
        let now_ms = self.meter.now_ms();
        while let Some(hello) = self.inbound.try_hello() {
            self.meter.inbound();
            self.hello(hello, tick, now_ms);
        }
        if self.lobby.in_progress() == 0 && self.claims.is_empty() && self.handoffs_in_flight() == 0 {
            return;
        }
        self.step_handoff_commits();
        self.step_logins(tick, now_ms);
        self.step_arrivals(tick);
        self.send();
    }

    /// Advances the logins and the claims by what the store answered, applying what they lead
    /// to (a verified login claims its character, a claimed one starts its spawn search).
    fn step_logins(&mut self, tick: u64, now_ms: u64) {
        let unix_ms = super::unix_ms();
        let shard = self.opts.shard_id.as_str();
        let stepped = self.lobby.step_logins((&self.store, shard), (now_ms, unix_ms), self.opts.test_pause);
        for event in stepped {
            self.apply(event, tick);
        }
        for event in self.claims.step(&self.store, &self.opts.shard_id, unix_ms) {
            self.apply(event, tick);
        }
    }

    /// Advances the arrivals' spawn searches, applying what they lead to.
    fn step_arrivals(&mut self, tick: u64) {
        for event in self.lobby.step_arrivals(&mut self.maps) {
            self.apply(event, tick);
        }
    }

    fn apply(&mut self, event: Event, tick: u64) {
        match event {
            Event::Verified(login) => self.verified(login, tick),
            Event::Claimed(login) => self.claimed(login),
            Event::Entered { conn, record, items, token, map, entity, seq } => {
                let player = Online { conn, record, map, entity, sent_stats: None, token, seq };
                self.enter(player, &items, token, tick);
            }
            Event::Moving { departing, to, at } => self.hand_off_arrival(departing, to, at),
            Event::Refused { conn, code, reason } => {
                tracing::info!(%conn, code, reason, "login refused");
                self.outbox.close(conn, code, &reason);
            }
        }
    }

    fn on_message(&mut self, conn: ConnId, msg: ClientMessage, tick: u64) {
        let Some(player) = self.players.get_mut(conn) else { return };
        let map = &mut self.maps.list[player.map];
        match msg {
            ClientMessage::Input(input) => {
                match super::players::game_order(input.order, &map.sim, player.entity) {
                    Ok(order) => {
                        map.sim.set_order(player.entity, order);
                        map.view.set_last_input(conn, input.seq);
                        map.sim.world.resource_mut(map.items).note_input(player.record.id, input.seq);
                    }
                    Err((code, text)) => {
                        // The input is consumed (acked) even when refused, so prediction moves on.
                        map.view.set_last_input(conn, input.seq);
                        self.meter.order_refused();
                        self.error(conn, code, input.seq, text);
                    }
                }
            }
            ClientMessage::Ack(ack) => map.view.on_ack(conn, ack),
            ClientMessage::Craft(c) => {
                let (id, me, k) = (player.record.id, player.entity, map.sim.keys);
                let request = items::craft_request(&map.sim.world, &k, id, me, &c);
                self.maps.items(player.map).request(request);
            }
            ClientMessage::InventoryMove(m) => {
                let (id, k) = (player.record.id, map.sim.keys);
                let request = items::move_request(&map.sim.world, &k, id, &m);
                self.item_request(conn, m.request, request);
            }
            ClientMessage::Drop(d) => {
                let (id, k) = (player.record.id, map.sim.keys);
                let request = items::drop_request(&map.sim.world, &k, id, &d);
                self.item_request(conn, d.request, request);
            }
            ClientMessage::Pickup(p) => self.pickup(conn, p),
            ClientMessage::UseItem(u) => {
                let (id, k) = (player.record.id, map.sim.keys);
                let request = items::use_request(&map.sim.world, &k, id, &u);
                self.item_request(conn, u.request, request);
            }
            ClientMessage::Plant(p) => {
                let (id, k) = (player.record.id, map.sim.keys);
                let request = items::plant_request(&map.sim.world, &k, id, &p);
                self.item_request(conn, p.request, request);
            }
            ClientMessage::CloseContainer(_) => {
                let id = player.record.id;
                self.maps.items(player.map).request(items::ItemRequest::Close { player: id });
            }
            ClientMessage::Chat(line) => self.chat(conn, &line, tick),
            ClientMessage::Hello(_) | ClientMessage::Ping { .. } => {}
        }
    }

    /// A chat line: said to the players near the speaker's character, or refused with an Error
    /// carrying its request id. Its text is never logged.
    fn chat(&mut self, conn: ConnId, line: &net::protocol::Chat, tick: u64) {
        let Some(player) = self.players.get_mut(conn) else { return };
        let map = &self.maps.list[player.map];
        let speaker = Speaker { character: player.entity, name: &player.record.name };
        let out = &mut self.outbox.out.first;
        match map.chat.say(&map.sim, speaker, line, tick, |to, msg| out.push((to, msg))) {
            Ok(heard) => tracing::debug!(player = player.record.id, heard, "chat line said"),
            Err(refusal) => {
                let (id, code) = (player.record.id, refusal.code());
                tracing::debug!(player = id, code, "chat line refused");
                self.error(conn, code, line.request, &refusal.to_string());
            }
        }
    }

    /// Queues a translated item request for the player's map, or refuses it at once.
    fn item_request(
        &mut self,
        conn: ConnId,
        request: u32,
        translated: Result<items::ItemRequest, items::Refusal>,
    ) {
        let Some(player) = self.players.get_mut(conn) else { return };
        let (id, map) = (player.record.id, player.map);
        let mut items = self.maps.items(map);
        match translated {
            Ok(r) => items.request(r),
            Err(refusal) => items.refuse(id, request, refusal),
        }
    }

    /// A Pickup: the character walks to the pile and picks it up (an interact order), and the
    /// order's refusal carries the request id.
    fn pickup(&mut self, conn: ConnId, p: net::protocol::Pickup) {
        let Some(player) = self.players.get_mut(conn) else { return };
        let (id, me) = (player.record.id, player.entity);
        let map = &mut self.maps.list[player.map];
        let target = engine::Entity::from_bits(p.item.0);
        if map.sim.world.column(map.sim.keys.object).get(target).is_none() {
            self.error(conn, super::error::NO_SUCH_TARGET, p.request, "no such object here");
            return;
        }
        map.sim.set_order(me, crate::orders::Order::Interact { target, verb: crate::wire::verb::PICK_UP });
        map.sim.world.resource_mut(map.items).expect_pickup(id, target, p.request);
    }

    pub(super) fn error(&mut self, conn: ConnId, code: u16, request: u32, text: &str) {
        let msg = ServerMessage::Error(ErrorMsg { code, request, text: text.to_owned() });
        self.outbox.reply(conn, &msg);
    }

    fn on_disconnected(&mut self, conn: ConnId, reason: &net::DisconnectReason) {
        self.lobby.forget(conn);
        self.claims.forget(conn);
        self.returns.forget(conn);
        if let Some(player) = self.logout(conn) {
            tracing::info!(%conn, player = player.id, ?reason, "logged out");
        }
    }

    /// Takes a player out of the world and saves it; `None` if `conn` was not playing. What
    /// it leaves with stays in memory until durable ([`super::departed`]).
    fn logout(&mut self, conn: ConnId) -> Option<PlayerRecord> {
        let mut online = self.players.remove(conn)?;
        let record = self.current_record(&online);
        let map = &mut self.maps.list[online.map];
        map.view.remove_client(conn);
        map.sim.despawn_character(online.entity);
        let departure = self.maps.items(online.map).leave(record.id);
        let mut tickets: Vec<store::Ticket> = departure.ticket.into_iter().collect();
        tickets.extend(self.save_leaving(&mut online, record.clone()));
        self.departed.left(record.clone(), departure.items, tickets);
        if let Some(meta) = &self.meta {
            meta.offline(record.id);
        }
        Some(record)
    }

    /// A verified login: a character on a map simulated elsewhere is redirected there; one on a
    /// map simulated here is claimed (unless a hand-off claimed it already), then spawns.
    fn verified(&mut self, login: Verified, tick: u64) {
        tracing::debug!(conn = %login.conn, claimed = login.claim.is_some(), "verified");
        if self.maps.index_of(login.record.map).is_none() {
            // A character handed off moments ago whose client came back takes the hand-off back.
            if let Some(login) = self.take_back(login) {
                self.send_elsewhere(login.conn, login.record.map, login.token);
            }
            return;
        }
        if login.claim.is_some() {
            self.claimed(login);
        } else if let Some(refused) = self.claims.start(login, &self.store, &self.opts.shard_id) {
            self.apply(refused, tick);
        }
    }

    /// A login whose character is claimed here: replaces an older session of the same
    /// character, then searches its spawn spot.
    pub(crate) fn claimed(&mut self, mut login: Verified) {
        if self.maps.index_of(login.record.map).is_none() {
            // The map was lost while the claim was in flight.
            self.send_elsewhere(login.conn, login.record.map, login.token);
            return;
        }
        let id = login.record.id;
        if let Some(old) = self.players.conn_of(id) {
            self.logout(old);
            self.outbox.close(old, close::REPLACED, "logged in from another connection");
        }
        if let Some((latest, left_with)) = self.departed.take_newer(id, login.started_ms) {
            let token_hash = std::mem::take(&mut login.record.token_hash);
            (login.record, login.items) = (PlayerRecord { token_hash, ..latest }, left_with);
        }
        let seq = login.claim.unwrap_or_default();
        if let Some(old) = self.lobby.arrive(login, seq) {
            self.outbox.close(old, close::REPLACED, "logged in from another connection");
        }
    }

    /// Welcomes a player whose character the lobby spawned and lists it online.
    fn enter(&mut self, player: Online, items: &[store::ItemRecord], token: [u8; 32], tick: u64) {
        let Online { conn, ref record, map, entity, .. } = player;
        self.maps.items(map).enter(record.id, entity, items);
        let m = &mut self.maps.list[map];
        m.chat.listen(&mut m.sim, entity, conn, tick);
        self.maps.list[map].view.add_client(conn, entity);
        let geometry = self.maps.list[map].sim.geometry();
        let session = (EntityId(entity.to_bits()), SessionToken(token));
        let welcome = welcome(self.opts.tick_hz as u16, tick, session, &geometry, record.pos);
        self.outbox.reply(conn, &ServerMessage::Welcome(welcome));
        if self.returns.welcomed_back(conn) {
            let text = "the move to another shard did not complete: you are back where you left";
            self.error(conn, super::error::HANDOFF_RETURNED, 0, text);
        }
        if let Some(meta) = &self.meta {
            meta.online(record.id, record.token_hash.clone());
            if token == [0; 32] {
                meta.counters.handoffs_in.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let store::Position { x, y } = record.pos;
        tracing::info!(%conn, player = record.id, name = %record.name, x, y, "entered the world");
        self.players.insert(player);
    }

    /// Once a second: a checkpoint when due (dirty chunks, and every online player's record:
    /// vitals and experience are never older than a checkpoint after a crash).
    pub(crate) fn every_second(&mut self, tick: u64) {
        let period = self.opts.checkpoint_every.as_secs().max(1) * u64::from(self.opts.tick_hz);
        if tick > 0 && tick.is_multiple_of(period) {
            let n: usize = self.maps.list.iter_mut().map(|m| m.sim.save_dirty_chunks()).sum();
            let players = self.save_online();
            tracing::debug!(chunks = n, players, "checkpoint");
            self.prune_handoffs();
        }
    }
}

/// The Welcome of a player who entered at `pos` on the map of `geometry` at `tick`: who it is,
/// where the server placed it and the map's size, so the client can draw its world at once.
fn welcome(
    tick_rate_hz: u16,
    tick: u64,
    (player, token): (EntityId, SessionToken),
    geometry: &MapGeometry,
    pos: store::Position,
) -> Welcome {
    let (continent, layer) = split_map_id(geometry.id);
    let side = |chunks: i32| u16::try_from(chunks).unwrap_or(u16::MAX);
    Welcome {
        version: PROTOCOL_VERSION,
        tick_rate_hz,
        player,
        server_tick: tick,
        map: geometry.id,
        token,
        x: pos.x,
        y: pos.y,
        width_chunks: side(geometry.width_chunks),
        height_chunks: side(geometry.height_chunks),
        continent,
        layer,
    }
}
