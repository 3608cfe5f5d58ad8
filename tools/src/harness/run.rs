//! The harness loop: one thread, one `net::client::Driver` holding every bot's connection. Takes
//! the bots' accounts (from the accounts file, or new ones), ramps connections up (each from its
//! own loopback address where that applies), feeds every server message to the bot's game client,
//! sends acks and orders (and, in gameplay mode, item requests; in survival mode, the survival
//! loop's requests), measures, prints progress, and
//! closes everything at the end.

use super::HarnessError;
use super::accounts::Account;
use super::bot::{Bot, Phase, wire_len};
use super::config::{HarnessConfig, Mode};
use super::handoff::Refused;
use super::item_play::ItemPlay;
use super::report::{Report, connect_failure_kind};
use super::roster::{accounts_hint, roster};
use super::survival_play::SurvivalPlay;
use super::totals::{RunFacts, Totals};
use game::client::{Applied, GameClient};
use game::wire::close::{HANDOFF_REFUSED, WRONG_TOKEN};
use game::wire::error::NO_SUCH_TARGET;
use hdrhistogram::Histogram;
use net::client::{ClientId, CloseInfo, Driver, DriverConfig, DriverEvent};
use net::protocol::{ClientMessage, Hello, Order, ServerMessage, SessionToken};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Longest wait in one driver poll.
const POLL: Duration = Duration::from_millis(5);
/// Most connections started in one loop turn.
const MAX_CONNECTS_PER_TURN: usize = 256;
/// Bots connected for less than this are left out of the per-client byte rates.
const MIN_RATE_WINDOW: Duration = Duration::from_secs(1);
/// Largest latency recorded, µs (an hour).
const MAX_LATENCY_US: u64 = 3_600_000_000;

/// What the progress line compares against.
#[derive(Debug)]
struct Progress {
    at: Instant,
    frames: u64,
    bytes: u64,
}

/// One run's state.
#[derive(Debug)]
struct Run<'a> {
    cfg: &'a HarnessConfig,
    driver: Driver,
    bots: Vec<Bot>,
    by_id: HashMap<ClientId, usize>,
    started: usize,
    start: Instant,
    latency: Histogram<u64>,
    totals: Totals,
    progress: Progress,
}

/// Runs the bots until the duration passes, `stop` is set, every connection has ended, or (when
/// asked) every bot has been welcomed or has failed; then closes every connection and reports.
/// Fails when the accounts file cannot be used, the driver cannot start or no bot got a Welcome.
pub fn run(cfg: HarnessConfig) -> Result<Report, HarnessError> {
    // The accounts file stays locked until the run returns.
    let (accounts, _held) = roster(&cfg)?;
    let mut run = Run::new(&cfg, accounts)?;
    run.main_loop()?;
    let end = Instant::now();
    run.close_all(end);
    if run.totals.connected == 0 {
        let first_error = run.totals.first_error.take();
        return Err(HarnessError::NothingConnected { attempted: run.started, first_error });
    }
    Ok(run.report(end))
}

impl<'a> Run<'a> {
    fn new(cfg: &'a HarnessConfig, accounts: Vec<Account>) -> Result<Self, HarnessError> {
        let driver = Driver::new(DriverConfig::default()).map_err(HarnessError::Driver)?;
        let now = Instant::now();
        let bot = |(i, a): (usize, Account)| {
            let mut bot = Bot::new(i, a.name, a.token, GameClient::new(cfg.content.clone()), cfg.seed, now);
            bot.play = (cfg.mode == Mode::Gameplay).then(|| ItemPlay::new(now));
            bot.survival = (cfg.mode == Mode::Survival).then(|| SurvivalPlay::new(cfg.mix, now));
            bot
        };
        let bots = accounts.into_iter().enumerate().map(bot).collect();
        let latency = Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("valid histogram bounds");
        Ok(Run {
            cfg,
            driver,
            bots,
            by_id: HashMap::new(),
            started: 0,
            start: now,
            latency,
            totals: Totals::default(),
            progress: Progress { at: now, frames: 0, bytes: 0 },
        })
    }

    fn main_loop(&mut self) -> Result<(), HarnessError> {
        let end = self.start + self.cfg.duration;
        let mut events = Vec::new();
        loop {
            let now = Instant::now();
            let all_ended = self.started == self.bots.len() && self.driver.is_empty();
            let settled = self.cfg.end_when_settled
                && self.started == self.bots.len()
                && !self.bots.iter().any(Bot::is_waiting);
            if self.cfg.stop.load(Ordering::Relaxed) || now >= end || all_ended || settled {
                return Ok(());
            }
            self.ramp(now);
            self.driver.poll(Some(POLL), &mut events).map_err(HarnessError::Driver)?;
            let now = Instant::now();
            for ev in events.drain(..) {
                self.on_event(ev, now);
            }
            self.timers(now);
            self.report_progress(now);
        }
    }

    /// Starts connections up to what the connect rate allows by now.
    fn ramp(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.start).as_secs_f64();
        let allowed = ((elapsed * self.cfg.connect_rate) as usize).saturating_add(1).min(self.bots.len());
        let target = allowed.min(self.started + MAX_CONNECTS_PER_TURN);
        while self.started < target {
            self.connect(self.started);
            self.started += 1;
        }
    }

    fn connect(&mut self, i: usize) {
        let bot = &mut self.bots[i];
        let hello = Hello { name: bot.name.clone(), token: bot.token };
        let local_ip = self.cfg.source_ips.local_ip(self.cfg.server, i);
        match self.driver.connect_from(self.cfg.server, local_ip, Some(hello)) {
            Ok(id) => {
                (bot.id, bot.phase, bot.server) = (Some(id), Phase::Connecting, Some(self.cfg.server));
                self.by_id.insert(id, i);
            }
            Err(e) => {
                bot.phase = Phase::Closed;
                let from = local_ip.map(|ip| format!(" (from {ip}, --source-ips auto)")).unwrap_or_default();
                self.totals.error("connect:io", || format!("{e}{from}"));
            }
        }
    }

    fn on_event(&mut self, ev: DriverEvent, now: Instant) {
        match ev {
            DriverEvent::Connected(id) => {
                if let Some(&i) = self.by_id.get(&id) {
                    let bot = &mut self.bots[i];
                    // The first connection's start: the bot's bytes count over all of its
                    // connections (hand-offs reconnect), so its rate does too.
                    bot.phase = Phase::Open;
                    bot.connected_at.get_or_insert(now);
                }
            }
            DriverEvent::Message(id, msg, read_at) => {
                if let Some(&i) = self.by_id.get(&id) {
                    self.on_message(i, &msg, now, read_at);
                }
            }
            DriverEvent::Malformed(_, e) => self.totals.error("decode", || e.to_string()),
            DriverEvent::Closed(id, info) => self.on_closed(id, &info, now),
        }
    }

    fn on_closed(&mut self, id: ClientId, info: &CloseInfo, now: Instant) {
        let Some(i) = self.by_id.remove(&id) else { return };
        let bot = &mut self.bots[i];
        let was = std::mem::replace(&mut bot.phase, Phase::Closed);
        bot.ended_at = Some(now);
        if was == Phase::Playing {
            self.totals.playing -= 1;
        }
        if bot.closing {
            return;
        }
        if let Some((addr, token)) = bot.redirect.take() {
            return self.follow(i, addr, token);
        }
        if info.code == Some(HANDOFF_REFUSED)
            && let Refused::FallBack(source) = bot.chase.refused()
        {
            // The hand-off failed; the login at the source is an ordinary one.
            if bot.chase.handing_off() {
                bot.chase.handoff_at = None;
                self.totals.handoffs.failed("refused");
            }
            let token = bot.token;
            return self.follow(i, source, token);
        }
        if let (Phase::Connecting, Some(refusal)) = (was, info.reason.strip_prefix("refused with ")) {
            *self.totals.refusals.entry(refusal.to_owned()).or_default() += 1;
        }
        let kind = match (was, info.code) {
            (Phase::Connecting, _) => connect_failure_kind(&info.reason),
            (_, Some(code)) => format!("closed:{code}"),
            (_, None) => "closed:none".to_owned(),
        };
        if bot.chase.ended() {
            self.totals.handoffs.failed(&kind);
        }
        let accounts = self.cfg.accounts.as_deref().filter(|_| info.code == Some(WRONG_TOKEN));
        self.totals.error(&kind, || match accounts {
            Some(path) => format!("{} ({})", info.reason, accounts_hint(path)),
            None => info.reason.clone(),
        });
    }

    /// A message read off bot `i`'s socket at `read_at` (latency is measured to then), handled
    /// at `now`.
    fn on_message(&mut self, i: usize, msg: &ServerMessage, now: Instant, read_at: Instant) {
        let len = wire_len(msg);
        self.bots[i].bytes += len;
        self.totals.down_bytes += len;
        let applied = match self.bots[i].game.handle_at(msg, now) {
            Ok(a) => a,
            Err(e) => return self.totals.error("client_world", || e.to_string()),
        };
        match applied {
            Applied::Welcome => self.on_welcome(i, msg, now),
            Applied::Frame { .. } => self.on_frame(i, msg, now, read_at),
            Applied::Chunk { .. } | Applied::StaleChunk => self.totals.chunk_messages += 1,
            Applied::ChunkDrop { .. } => self.totals.chunk_drops += 1,
            Applied::ObjectDelta { .. } => self.totals.object_deltas += 1,
            Applied::Redirect => self.on_redirect(i, msg, now),
            Applied::ServerError { code, request } => self.on_server_error(i, code, request),
            Applied::Stats => self.on_stats(i, now),
            Applied::CraftProgress { request, state } => self.on_craft_progress(i, request, state),
            Applied::ChatHeard { request, .. } => self.on_chat_heard(i, request),
            Applied::Pong { .. } => {}
            Applied::ContainerContents { .. } => self.totals.items.containers.contents += 1,
            Applied::ContainerChange { .. } => self.totals.items.containers.changes += 1,
            Applied::ContainerClosed { .. } => self.totals.items.containers.closed += 1,
            Applied::ContainerOutOfSync { container, .. } => {
                self.totals.error("container_out_of_sync", || format!("{container:?} missed a change"))
            }
        }
    }

    /// An Error message: a refusal of the bot's pending item or survival action (counted by
    /// code), or else a harness error.
    fn on_server_error(&mut self, i: usize, code: u16, request: u32) {
        let (items, survival) = (&mut self.totals.items, &mut self.totals.survival);
        let bot = &mut self.bots[i];
        if bot.play.as_mut().is_some_and(|p| p.refused(code, request, items))
            || bot.survival.as_mut().is_some_and(|p| p.refused(code, request, survival))
        {
            return;
        }
        if code == NO_SUCH_TARGET && bot.follow_seq == Some(request) {
            self.totals.follows_lost += 1;
            return;
        }
        self.totals.error(&format!("server_error:{code}"), || format!("request {request}"));
    }

    /// Stats: counted; in survival mode, deaths and respawns.
    fn on_stats(&mut self, i: usize, now: Instant) {
        self.totals.stats_messages += 1;
        let bot = &mut self.bots[i];
        if let Some(s) = bot.survival.as_mut() {
            s.stats(&bot.game, &mut bot.rng, now, &mut self.totals.survival);
        }
    }

    /// CraftProgress: its state counted, and the bot's pending craft settled.
    fn on_craft_progress(&mut self, i: usize, request: u32, state: u8) {
        self.totals.survival.seen.craft_progress(state);
        if let Some(s) = self.bots[i].survival.as_mut() {
            s.craft_progress(request, state, &mut self.totals.survival);
        }
    }

    /// ChatHeard: counted, and the bot's pending line settled when it is its own.
    fn on_chat_heard(&mut self, i: usize, request: u32) {
        self.totals.survival.seen.chat_heard += 1;
        if let Some(s) = self.bots[i].survival.as_mut().filter(|_| request != 0) {
            s.heard(request, &mut self.totals.survival);
        }
    }

    /// A Redirect: the bot logs in at its address with its token once the server closes (4107,
    /// not an error). During play it is a hand-off: the bot's inputs in flight are forgotten.
    fn on_redirect(&mut self, i: usize, msg: &ServerMessage, now: Instant) {
        let ServerMessage::Redirect(r) = msg else { return };
        let bot = &mut self.bots[i];
        let mid_session = bot.phase == Phase::Playing;
        if !mid_session {
            self.totals.redirects += 1;
        }
        let from = bot.server.unwrap_or(self.cfg.server);
        let within = bot.chase.redirected(from, mid_session, now);
        let addr = game::client::socket_addr(&r.address);
        if let (true, Some(addr)) = (within, addr) {
            bot.redirect = Some((addr, r.token));
            if let Some(s) = bot.survival.as_mut() {
                s.redirected();
            }
            match mid_session {
                true => bot.in_flight.clear(),
                false => bot.redirected_at = Some(now),
            }
            return;
        }
        let (kind, reason) = if within { ("redirect:address", "address") } else { ("redirect:loop", "loop") };
        if bot.chase.ended() {
            self.totals.handoffs.failed(reason);
        }
        if let Some(id) = bot.id {
            bot.closing = true;
            self.driver.close(id);
        }
        self.totals.error(kind, || format!("cannot follow a Redirect to {:?}", r.address));
    }

    /// Connects bot `i` to where a Redirect (or a refused hand-off) sends it.
    fn follow(&mut self, i: usize, addr: std::net::SocketAddr, token: SessionToken) {
        let bot = &mut self.bots[i];
        let hello = Hello { name: bot.name.clone(), token };
        let local_ip = self.cfg.source_ips.local_ip(addr, i);
        match self.driver.connect_from(addr, local_ip, Some(hello)) {
            Ok(id) => {
                (bot.id, bot.phase, bot.ended_at, bot.server) =
                    (Some(id), Phase::Connecting, None, Some(addr));
                self.by_id.insert(id, i);
            }
            Err(e) => {
                if bot.chase.ended() {
                    self.totals.handoffs.failed("connect");
                }
                self.totals.error("redirect:io", || e.to_string());
            }
        }
    }

    /// Welcome: playing (again). It ends a hand-off (its latency measured) or a login; its token
    /// must be the bot's, or zero ("unchanged") after a Redirect's token.
    fn on_welcome(&mut self, i: usize, msg: &ServerMessage, now: Instant) {
        let bot = &mut self.bots[i];
        if let Some(at) = bot.redirected_at.take() {
            self.totals.redirect_latency.record(now.saturating_duration_since(at));
        }
        let followed = bot.chase.hops > 0;
        if let Some(latency) = bot.chase.welcomed(now) {
            self.totals.handoffs.completed(latency);
        }
        if let ServerMessage::Welcome(w) = msg
            && w.token != bot.token
            && !(followed && w.token.is_none())
        {
            self.totals.error("token_mismatch", || "Welcome's token is not the one sent in Hello".into());
        }
        if !bot.welcomed {
            bot.welcomed = true;
            self.totals.connected += 1;
        }
        if bot.phase != Phase::Playing {
            self.totals.playing += 1;
        }
        bot.phase = Phase::Playing;
        bot.next_order = now + bot.rng.millis(500, 2_000);
        if let Some(play) = bot.play.as_mut() {
            play.welcomed(&mut bot.rng, now);
        }
        if let Some(s) = bot.survival.as_mut() {
            if let ServerMessage::Welcome(w) = msg {
                s.arrived(w.map, &mut self.totals.survival);
            }
            s.welcomed(&mut bot.rng, now);
        }
    }

    fn on_frame(&mut self, i: usize, msg: &ServerMessage, now: Instant, read_at: Instant) {
        self.totals.frames += 1;
        let ServerMessage::Frame(f) = msg else { return };
        let bot = &mut self.bots[i];
        for sent in bot.acked_inputs(f.last_input_seq) {
            let us = read_at.saturating_duration_since(sent).as_micros() as u64;
            self.latency.saturating_record(us.clamp(1, MAX_LATENCY_US));
        }
        bot.ack_due = true;
        if bot.ack_ready(now) {
            self.send_ack(i, now);
        }
    }

    fn send_ack(&mut self, i: usize, now: Instant) {
        let bot = &mut self.bots[i];
        let (Some(id), Some(ack)) = (bot.id, bot.game.ack()) else { return };
        if self.driver.send(id, &ClientMessage::Ack(ack)) {
            self.totals.acks_sent += 1;
        }
        (bot.last_ack, bot.ack_due) = (Some(now), false);
    }

    /// Deferred acks and due orders.
    fn timers(&mut self, now: Instant) {
        for i in 0..self.bots.len() {
            if self.bots[i].phase != Phase::Playing {
                continue;
            }
            if self.bots[i].ack_ready(now) {
                self.send_ack(i, now);
            }
            if now >= self.bots[i].next_order {
                self.give_order(i, now);
            }
            if self.bots[i].play.is_some() {
                self.item_turn(i, now);
            }
            if self.bots[i].survival.is_some() {
                self.survival_turn(i, now);
            }
        }
    }

    /// Gameplay mode: settles bot `i`'s pending item action and sends its next one when due.
    fn item_turn(&mut self, i: usize, now: Instant) {
        let bot = &mut self.bots[i];
        let (Some(play), Some(id)) = (bot.play.as_mut(), bot.id) else { return };
        let Some(msg) = play.turn(&mut bot.game, &mut bot.rng, now, &mut self.totals.items) else { return };
        let sent_at = Instant::now();
        if !self.driver.send(id, &msg) {
            play.unsent(&mut self.totals.items);
            return;
        }
        if let ClientMessage::Input(input) = msg {
            self.totals.inputs_sent += 1;
            bot.sent_input(input.seq, sent_at);
        }
    }

    /// Survival mode: settles bot `i`'s pending action and sends its next message when due.
    fn survival_turn(&mut self, i: usize, now: Instant) {
        let bot = &mut self.bots[i];
        let (Some(s), Some(id)) = (bot.survival.as_mut(), bot.id) else { return };
        let settled = bot.in_flight.is_empty();
        let totals = &mut self.totals.survival;
        let Some(msg) = s.turn(&mut bot.game, &mut bot.rng, now, settled, totals) else { return };
        let sent_at = Instant::now();
        if !self.driver.send(id, &msg) {
            s.unsent(totals);
            return;
        }
        if let ClientMessage::Input(input) = msg {
            self.totals.inputs_sent += 1;
            bot.sent_input(input.seq, sent_at);
        }
    }

    fn give_order(&mut self, i: usize, now: Instant) {
        let bot = &mut self.bots[i];
        let stay = !bot.may_walk();
        let Some(order) = bot.choose_order().filter(|_| !stay) else {
            bot.next_order = now + Duration::from_millis(500);
            return;
        };
        bot.next_order = now + bot.rng.millis(2_000, 6_000);
        let input = bot.input(order, now);
        let Some(id) = bot.id else { return };
        bot.follow_seq = matches!(order, Order::Follow(_)).then_some(input.seq).or(bot.follow_seq);
        // Latency runs from the write, not from when this pass over the bots began.
        let sent_at = Instant::now();
        if self.driver.send(id, &ClientMessage::Input(input)) {
            self.totals.inputs_sent += 1;
            bot.sent_input(input.seq, sent_at);
        }
    }

    fn report_progress(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.progress.at);
        if !self.cfg.progress || dt < Duration::from_secs(1) {
            return;
        }
        let secs = dt.as_secs_f64();
        let frames = (self.totals.frames - self.progress.frames) as f64 / secs;
        let bytes = (self.totals.down_bytes - self.progress.bytes) as f64 / secs;
        let per_client = bytes / self.totals.playing.max(1) as f64 / 1024.0;
        let p99 = self.latency.value_at_quantile(0.99) as f64 / 1000.0;
        eprintln!(
            "[{:>5.1}s] connected {}/{}  frames/s {frames:.0}  down {per_client:.2} KB/s/client  p99 {p99:.1} ms  errors {}",
            now.saturating_duration_since(self.start).as_secs_f64(),
            self.totals.playing,
            self.cfg.clients,
            self.totals.errors(),
        );
        self.progress = Progress { at: now, frames: self.totals.frames, bytes: self.totals.down_bytes };
    }

    /// Counts the bots not yet welcomed, closes every live connection (normal close frames) and
    /// discards what arrives after.
    fn close_all(&mut self, end: Instant) {
        self.totals.unfinished = self.bots.iter().filter(|b| b.is_waiting()).count() as u64;
        for bot in &mut self.bots {
            let Some(id) = bot.id.filter(|_| bot.phase != Phase::Closed) else { continue };
            bot.closing = true;
            bot.ended_at = Some(end);
            self.driver.close(id);
        }
        let mut events = Vec::new();
        let _ = self.driver.poll(Some(Duration::ZERO), &mut events);
    }

    fn report(&self, end: Instant) -> Report {
        let rates = self
            .bots
            .iter()
            .filter(|b| b.connected_for(end) >= MIN_RATE_WINDOW)
            .map(|b| b.bytes as f64 / b.connected_for(end).as_secs_f64())
            .collect();
        let predictions = self.bots.iter().map(|b| b.game.predictor().stats());
        let predictions = predictions.fold((0, 0), |(p, m), s| (p + s.predictions, m + s.mispredicted));
        self.totals.report(RunFacts {
            cfg: self.cfg,
            duration_s: end.saturating_duration_since(self.start).as_secs_f64().max(1e-9),
            attempted: self.started,
            latency: &self.latency,
            rates,
            predictions,
            driver_bytes_in: self.driver.stats().bytes_in,
        })
    }
}
