//! The shard server: the maps this process simulates, the network server, logins, players and
//! bots, persistence cadence and the shutdown that saves everything. One thread runs the tick;
//! the network, storage, metadata and chunk services run on their own threads and are only ever
//! talked to through queues, so the tick never waits on a socket or a database.
//!
//! A tick (`tick.rs`): drain client events (logins start, orders apply, acks arrive, sessions
//! end) → advance logins, arrivals and bots (the `Lobby`, `lobby.rs`, whose events the shard
//! applies) → simulate each map → build every client's messages → hand them to the network
//! thread (the `Outbox`, `outbox.rs`). The `Meter` (`meter.rs`) times these steps and reports
//! slow ticks. Four times a second: positions to the store; once a second: a status for the
//! admin port.

mod claims;
mod departed;
mod handoff;
mod lease;
mod lobby;
mod login;
mod maps;
mod meta;
mod meter;
mod moving;
mod outbox;
mod picture;
mod players;
mod publish;
mod returns;
mod saves;
mod slow;
mod status;
mod takeover;
mod tick;
mod travel;
mod vitals;

pub use handoff::{Control, HANDOFF_BUCKETS_MS, HANDOFF_TTL, MoveAnswer, MoveRequest, Movers};
pub use lease::{DEFAULT_LEASE, LeaseSnapshot, heartbeat};
pub use login::{STARTER_KIT, STARTER_QUALITY, close};
pub use maps::client_content;
pub use meta::{ClaimError, SESSION_TTL, SHARD_TTL};
pub use moving::HandoffStep;
pub use picture::{
    ChunkMark, MapBoard, MapPicture, MapView, PlayerView, THUMB_SIDE, Thumbnail, dot, thumbnail,
};
pub use players::{MAX_ORDER_DISTANCE, error};
pub use status::{MapStatus, Phase, ShardStatus, StatusBoard};

use crate::content::Content;
use crate::error::GameError;
use crate::gameplay::bots::BotMix;
use crate::geom::WorldLayout;
use crate::replicate::ReplicationConfig;
use engine::TickLoop;
use lobby::Lobby;
use login::StartArea;
use maps::Maps;
use meta::{LinkSetup, MetaLink};
use meter::Meter;
use net::{InboundReceiver, Server, ServerConfig};
use outbox::Outbox;
use picture::Painter;
use players::{Links, Players};
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use store::meta::{MetaStore, ShardInfo};
use store::{FlushReport, MapId, PlayerRecord, Store};

/// How often logins are stepped between ticks (`Shard::wait_for_tick`); none is stepped within
/// this long of the next tick.
const BETWEEN_TICKS: Duration = Duration::from_millis(5);

/// How a shard is set up.
#[derive(Debug, Clone)]
pub struct ShardOptions {
    /// Network server settings (its `bind` is where clients connect).
    pub net: ServerConfig,
    /// Ticks per second.
    pub tick_hz: u32,
    /// Server-side bots to keep in the world.
    pub bots: u32,
    /// What the bots do: they play the survival loop with these weights.
    pub bot_mix: BotMix,
    /// Maps this shard may simulate; empty: every map of the content (each continent's surface
    /// and the layers below it, in the content's order). At start it
    /// claims the free ones and stands by for the others (taking one over when its owner's
    /// lease expires). The first is where new characters begin.
    pub maps: Vec<MapId>,
    /// A map claim and the shard's registration expire this long after their last renewal;
    /// renewals and standby polls happen every third of it.
    pub lease: Duration,
    /// The WebSocket URL other shards redirect clients to; `None`: `ws://{bound address}/`.
    pub public_address: Option<String>,
    /// World seed (generation of never-stored chunks).
    pub seed: u64,
    /// This shard's id in the metadata store.
    pub shard_id: String,
    /// New characters appear within this many tiles of the first map's centre.
    pub start_radius_tiles: i32,
    /// Interest management and frame budget.
    pub replication: ReplicationConfig,
    /// Dirty chunks are saved at least this often while they stay loaded.
    pub checkpoint_every: Duration,
    /// Longest wait for storage at shutdown.
    pub flush_timeout: Duration,
    /// A tick longer than this is counted and logged (at most one warning a second) with where
    /// its time went; `None`: half the tick period.
    pub slow_tick: Option<Duration>,
    /// For crash tests only: the tick sleeps this long at this step of every hand-off, so a
    /// test can kill the process exactly there. `None` in production.
    pub test_pause: Option<(HandoffStep, Duration)>,
}

impl Default for ShardOptions {
    fn default() -> Self {
        Self {
            net: ServerConfig { bind: SocketAddr::from(([127, 0, 0, 1], 7777)), ..ServerConfig::default() },
            tick_hz: 20,
            bots: 0,
            bot_mix: BotMix::default(),
            maps: Vec::new(),
            lease: lease::DEFAULT_LEASE,
            public_address: None,
            seed: 0x5EED,
            shard_id: "shard-1".into(),
            start_radius_tiles: 1024,
            replication: ReplicationConfig::default(),
            checkpoint_every: Duration::from_secs(30),
            flush_timeout: Duration::from_secs(60),
            slow_tick: None,
            test_pause: None,
        }
    }
}

/// What a shard can be given ready-made by [`Shard::start_on`]; by default it binds
/// `opts.net.bind` itself and publishes to a fresh status board.
#[derive(Debug, Default)]
pub struct Bound {
    /// The clients' listener, already bound (`opts.net.bind` is then not used).
    pub listener: Option<std::net::TcpListener>,
    /// Where the shard publishes its status.
    pub status: Arc<StatusBoard>,
    /// Where the shard publishes the live map.
    pub map: Arc<MapBoard>,
    /// What the admin port moves players with.
    pub control: Control,
}

/// Why a shard could not start.
#[derive(Debug)]
pub enum ShardError {
    /// Content, maps or the simulation could not be built.
    Game(GameError),
    /// The network server could not start.
    Net(net::StartError),
    /// The maps could not be claimed in the metadata store.
    Claim(ClaimError),
    /// A thread could not be started.
    Io(std::io::Error),
    /// An option is invalid.
    Invalid(String),
}

impl std::fmt::Display for ShardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Game(e) => write!(f, "{e}"),
            Self::Net(e) => write!(f, "{e}"),
            Self::Claim(e) => write!(f, "{e}"),
            Self::Io(e) => write!(f, "cannot start a thread: {e}"),
            Self::Invalid(e) => write!(f, "invalid shard option: {e}"),
        }
    }
}

impl std::error::Error for ShardError {}

/// What the shutdown saved.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShutdownReport {
    /// Players online at the shutdown, whose final save it submitted.
    pub players_online: usize,
    /// Chunk saves submitted by the final checkpoint.
    pub chunks_submitted: usize,
    /// The store's final flush.
    pub flush: FlushReport,
}

impl ShutdownReport {
    /// True when everything reached the store.
    pub fn complete(&self) -> bool {
        self.flush.complete()
    }
}

impl std::fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "final save of {} online players and {} chunks submitted; the store's final flush: {}",
            self.players_online, self.chunks_submitted, self.flush
        )
    }
}

/// A running shard (until [`Shard::run`] returns).
#[derive(Debug)]
pub struct Shard {
    opts: ShardOptions,
    /// Where clients reach this shard (`public_address`, else the address the server bound):
    /// Redirects to a map of this shard (travel between its layers) point here.
    address: String,
    store: Arc<Store>,
    meta: Option<MetaLink>,
    server: Option<Server>,
    inbound: InboundReceiver,
    maps: Maps,
    players: Players,
    lobby: Lobby,
    claims: claims::Claims,
    handoffs: handoff::Handoffs,
    returns: returns::Returns,
    departed: departed::Departures,
    outbox: Outbox,
    meter: Meter,
    links: Links,
    painter: Painter,
}

impl Shard {
    /// Builds the maps, claims them, starts the network server and the metadata worker.
    pub fn start(
        opts: ShardOptions,
        content: Arc<Content>,
        store: Arc<Store>,
        meta: Arc<dyn MetaStore>,
    ) -> Result<Self, ShardError> {
        Self::start_on(opts, Bound::default(), content, store, meta)
    }

    /// Like [`Shard::start`], with what the caller prepared before opening the store: the
    /// clients' listener already bound, the status board the admin port already serves.
    pub fn start_on(
        opts: ShardOptions,
        bound: Bound,
        content: Arc<Content>,
        store: Arc<Store>,
        meta: Arc<dyn MetaStore>,
    ) -> Result<Self, ShardError> {
        let ids = map_ids(&opts, &content)?;
        let maps = Maps::new(&content, (opts.seed, opts.tick_hz, opts.bot_mix), &store, opts.replication);
        let mut maps = maps.map_err(ShardError::Game)?;
        let start = start_area(&maps, ids[0], &content, opts.start_radius_tiles)?;
        let bound_addr = bound.listener.as_ref().and_then(|l| l.local_addr().ok()).unwrap_or(opts.net.bind);
        let addr = opts.public_address.clone().unwrap_or_else(|| format!("ws://{bound_addr}/"));
        let info = ShardInfo { id: opts.shard_id.clone(), addr, maps: ids.clone() };
        let owned = meta::claim(&*meta, &info, opts.lease).map_err(ShardError::Claim)?;
        let mut take_map = lease::fence_taker(&store, &opts.shard_id);
        for &id in &owned {
            let fence = take_map(id).map_err(|e| ShardError::Claim(ClaimError::Fence(id, e)))?;
            maps.start(id, fence).map_err(ShardError::Game)?;
        }
        let watched = watched_maps(&maps.layout, &ids);
        let setup = LinkSetup { info, lease: opts.lease, owned: owned.clone(), watched };
        let link = MetaLink::start(meta, setup, take_map).map_err(ShardError::Io)?;
        let (server, inbound) = match bound.listener {
            Some(listener) => Server::start_with_listener(opts.net.clone(), listener),
            None => Server::start(opts.net.clone()),
        }
        .map_err(ShardError::Net)?;
        let local = server.local_addr();
        tracing::info!(addr = %local, maps = ?ids, ?owned, shard = %opts.shard_id, "shard listening");
        let slow_after = slow_tick_threshold(&opts);
        let mut shard = Self {
            outbox: Outbox::new(server.handle()),
            server: Some(server),
            inbound,
            meta: Some(link),
            lobby: Lobby::new(start, opts.bots),
            claims: claims::Claims::default(),
            handoffs: handoff::Handoffs::new(bound.control),
            returns: returns::Returns::default(),
            departed: departed::Departures::default(),
            address: opts.public_address.clone().unwrap_or_else(|| format!("ws://{local}/")),
            opts,
            store,
            maps,
            players: Players::default(),
            meter: Meter::new(bound.status, slow_after),
            links: Links::default(),
            painter: Painter::new(bound.map),
        };
        (0..shard.maps.list.len()).for_each(|i| shard.set_respawn_points(i));
        Ok(shard)
    }

    /// Where clients connect (the bound address, useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.as_ref().map_or(self.opts.net.bind, Server::local_addr)
    }

    /// The status board the admin port reads.
    pub fn status(&self) -> Arc<StatusBoard> {
        self.meter.status.clone()
    }

    /// The handle the admin port moves players with.
    pub fn control(&self) -> Control {
        self.handoffs.control()
    }

    /// The live map board the admin port reads.
    pub fn map_board(&self) -> Arc<MapBoard> {
        self.painter.board.clone()
    }

    /// Runs ticks until `stop` is set (SIGTERM), then saves every player and dirty chunk and
    /// waits for the store to make them durable.
    pub fn run(mut self, stop: &AtomicBool) -> Result<ShutdownReport, ShardError> {
        let mut ticks = TickLoop::new(self.opts.tick_hz).map_err(|e| ShardError::Invalid(e.to_string()))?;
        self.meter.status.set_phase(Phase::Running);
        let hz = u64::from(self.opts.tick_hz);
        loop {
            self.wait_for_tick(&ticks);
            if ticks.step(&mut |info| self.tick_body(info.tick, stop, hz)).is_break() {
                break;
            }
            if ticks.stats().ticks % hz == 1 {
                self.paint(ticks.stats().ticks);
                self.publish(ticks.stats());
            }
        }
        Ok(self.shutdown())
    }

    /// Until the next tick is due, steps the logins every [`BETWEEN_TICKS`], so a login whose
    /// store answer came in goes on at once instead of at the next tick (`Shard::between_ticks`).
    fn wait_for_tick(&mut self, ticks: &TickLoop) {
        let next = ticks.stats().ticks;
        let Some(due) = ticks.due(next) else { return };
        loop {
            let left = due.saturating_duration_since(Instant::now());
            if left <= BETWEEN_TICKS {
                return;
            }
            // A Hello cuts the wait short: its login starts at once.
            let _ = self.inbound.wait_hello(Instant::now() + BETWEEN_TICKS.min(left - BETWEEN_TICKS));
            self.between_ticks(next.saturating_sub(1));
        }
    }

    /// A tick, then the positions four times a second and the once-a-second work.
    fn tick_body(&mut self, tick: u64, stop: &AtomicBool, hz: u64) -> ControlFlow<()> {
        if stop.load(Ordering::Acquire) {
            return ControlFlow::Break(());
        }
        self.tick(tick);
        if tick.is_multiple_of((hz / 4).max(1)) {
            self.save_positions();
        }
        if tick.is_multiple_of(hz) {
            self.every_second(tick);
        }
        ControlFlow::Continue(())
    }

    /// Stops accepting, saves every player and dirty chunk, flushes the store.
    fn shutdown(mut self) -> ShutdownReport {
        tracing::info!(players = self.players.len(), "shutting down: saving players and chunks");
        self.meter.status.set_phase(Phase::Stopping);
        if let Some(server) = self.server.take() {
            server.shutdown();
        }
        let players_online = self.save_online();
        self.maps.list.iter_mut().for_each(|m| m.sim.stop_chunk_service());
        let chunks_submitted = self.maps.list.iter_mut().map(|m| m.sim.save_dirty_chunks()).sum();
        let flush = self.store.writer().flush(self.opts.flush_timeout);
        if let Some(link) = self.meta.take() {
            link.stop();
        }
        let report = ShutdownReport { players_online, chunks_submitted, flush };
        tracing::info!(%report, complete = report.complete(), "shutdown flush finished");
        report
    }

    /// A player's record with its current position, vitals and experience.
    fn current_record(&self, p: &players::Online) -> PlayerRecord {
        saves::current_record(&self.maps, p)
    }
}

/// Milliseconds since the Unix epoch as the store keeps them (hand-off token expiry, save
/// sequences): the meter's wall clock.
pub(crate) fn unix_ms() -> i64 {
    crate::growth::clock_ms(meter::unix_ms())
}

/// The slow-tick threshold: `ShardOptions::slow_tick`, or half the tick period.
fn slow_tick_threshold(opts: &ShardOptions) -> Duration {
    let budget = Duration::from_secs(1) / opts.tick_hz.max(1);
    opts.slow_tick.unwrap_or(budget / 2)
}

fn map_ids(opts: &ShardOptions, content: &Content) -> Result<Vec<MapId>, ShardError> {
    if !opts.maps.is_empty() {
        return Ok(opts.maps.clone());
    }
    let layout = WorldLayout::from_content(content);
    // Every layer of every continent, so the caves under its surfaces are simulated too; the
    // first continent's surface comes first (new characters begin there).
    let ids: Vec<MapId> = layout.maps().iter().map(|m| m.id).collect();
    if ids.is_empty() {
        return Err(ShardError::Invalid("the content defines no map".into()));
    }
    Ok(ids)
}

/// The start area on map `first` (simulated here or not: new characters on another shard's map
/// are redirected there).
fn start_area(
    maps: &Maps,
    first: MapId,
    content: &Content,
    radius_tiles: i32,
) -> Result<StartArea, ShardError> {
    let map = maps.layout.map(first).ok_or(ShardError::Game(GameError::UnknownMap(first)))?;
    Ok(StartArea::new(map, &maps.worldgen, content, radius_tiles))
}

/// The maps whose owners the directory follows: every map of the world (a login, a lost map
/// or a hand-off may lead to any of them) and those this shard may simulate.
fn watched_maps(layout: &WorldLayout, ids: &[MapId]) -> Vec<MapId> {
    let mut watched: Vec<MapId> = ids.iter().copied().chain(layout.maps().iter().map(|m| m.id)).collect();
    watched.sort_unstable();
    watched.dedup();
    watched
}
