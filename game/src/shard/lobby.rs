//! Everyone on the way into the world: logins in progress, verified players searching a spawn
//! spot (arrivals) and the server-side bots still to place. The lobby advances them once per
//! tick and yields what the shard must apply ([`Event`]: a login verified, a player spawned, a
//! connection refused); bots need nothing from the shard and are placed here.

use super::login::{Ids, LoginCtx, LoginJob, StartArea, Step, Verified, close};
use super::maps::Maps;
use crate::sim::Controller;
use crate::spawn::{SpawnDecision, Spawner};
use engine::Entity;
use net::ConnId;
use store::{ItemRecord, PlayerRecord, SaveSeq, Store};

/// Most spawn-search steps for bots per tick (bots fill the world over the first seconds).
const BOT_STEPS_PER_TICK: usize = 200;

/// What the shard applies for the lobby.
#[derive(Debug)]
pub(crate) enum Event {
    /// The player is who it claims to be: the shard claims the character (`super::claims`)
    /// unless the login holds a claim already.
    Verified(Verified),
    /// The character is claimed here (`claim` is set): the shard ends an older session of the
    /// same character, then hands it back with [`Lobby::arrive`] to search a spawn spot.
    Claimed(Verified),
    /// The player's character was spawned on map `map` (an index into the shard's maps) as
    /// `entity`; `record` holds the spawn position. The shard welcomes it and lists it online.
    Entered {
        conn: ConnId,
        record: PlayerRecord,
        items: Vec<ItemRecord>,
        token: [u8; 32],
        map: usize,
        entity: Entity,
        /// The claim's save sequence so far.
        seq: SaveSeq,
    },
    /// The spawn search of an arrival chose a free spot on map `to`, which this shard does not
    /// simulate (§5): the shard hands the character off there.
    Moving { departing: super::moving::Departing, to: store::MapId, at: (i32, i32) },
    /// The connection cannot play: close it with a game close code.
    Refused { conn: ConnId, code: u16, reason: String },
}

/// A verified player looking for a spawn spot.
#[derive(Debug)]
struct Arrival {
    conn: ConnId,
    record: PlayerRecord,
    items: Vec<ItemRecord>,
    token: [u8; 32],
    seq: SaveSeq,
    spawner: Spawner,
}

/// Bots still to place.
#[derive(Debug)]
struct BotSpawns {
    /// Bots wanted in the world.
    target: u32,
    /// Bots placed so far.
    placed: u32,
    /// Spawn searches in progress.
    searches: Vec<Spawner>,
    /// Searches that failed (no free spot).
    failed: u32,
}

/// Logins, arrivals and bots on their way into the world.
#[derive(Debug)]
pub(crate) struct Lobby {
    logins: Vec<LoginJob>,
    arrivals: Vec<Arrival>,
    bots: BotSpawns,
    ids: Ids,
    start: StartArea,
    /// Connections refused, by any reason.
    refused: u64,
}

impl Lobby {
    /// An empty lobby that will place `bots` bots in `start`.
    pub(crate) fn new(start: StartArea, bots: u32) -> Self {
        Self {
            logins: Vec::new(),
            arrivals: Vec::new(),
            bots: BotSpawns { target: bots, placed: 0, searches: Vec::new(), failed: 0 },
            ids: Ids::new(),
            start,
            refused: 0,
        }
    }

    /// Logins and arrivals in progress.
    pub(crate) fn in_progress(&self) -> usize {
        self.logins.len() + self.arrivals.len()
    }

    /// The map new characters begin on.
    pub(crate) fn start_map(&self) -> store::MapId {
        self.start.map
    }

    /// The start area's land spots (where the dead of its map come back).
    pub(crate) fn start_land(&self) -> std::sync::Arc<Vec<(i32, i32)>> {
        self.start.land.clone()
    }

    /// Bots placed so far.
    pub(crate) fn bots_placed(&self) -> u32 {
        self.bots.placed
    }

    /// Connections refused so far.
    pub(crate) fn refused(&self) -> u64 {
        self.refused
    }

    /// A Hello: starts loading the player by name (and trying its token as a hand-off token
    /// for `shard`), or refuses a name that cannot be one.
    pub(crate) fn hello(
        &mut self,
        hello: (ConnId, String, [u8; 32]),
        store: (&Store, &str),
        clocks: (u64, i64),
    ) -> Option<Event> {
        let conn = hello.0;
        match LoginJob::start(hello, store, clocks) {
            Ok(job) => {
                self.logins.push(job);
                None
            }
            Err(reason) => Some(refuse(&mut self.refused, conn, close::BAD_NAME, reason)),
        }
    }

    /// Drops whatever `conn` had in progress (it disconnected).
    pub(crate) fn forget(&mut self, conn: ConnId) {
        self.logins.retain(|j| j.conn != conn);
        self.arrivals.retain(|a| a.conn != conn);
    }

    /// Takes out the arrivals headed for map `map` (it is no longer simulated here): their
    /// connections and tokens.
    pub(crate) fn leave_map(&mut self, map: store::MapId) -> Vec<(ConnId, [u8; 32])> {
        let (gone, kept) = std::mem::take(&mut self.arrivals).into_iter().partition(|a| a.record.map == map);
        self.arrivals = kept;
        gone.into_iter().map(|a: Arrival| (a.conn, a.token)).collect()
    }

    /// Advances every login by what the store answered: verified and refused ones leave.
    pub(crate) fn step_logins(
        &mut self,
        (store, shard): (&Store, &str),
        (now_ms, unix_ms): (u64, i64),
        test_pause: Option<(super::moving::HandoffStep, std::time::Duration)>,
    ) -> Vec<Event> {
        let mut events = Vec::new();
        let mut jobs = std::mem::take(&mut self.logins);
        let ctx = LoginCtx { store, shard, area: &self.start, now_ms, unix_ms, test_pause };
        jobs.retain_mut(|job| match job.step(&ctx, &mut self.ids) {
            Step::Wait => true,
            Step::Refuse(code, reason) => {
                events.push(refuse(&mut self.refused, job.conn, code, reason));
                false
            }
            Step::Verified(v) => {
                events.push(Event::Verified(v));
                false
            }
        });
        jobs.append(&mut self.logins);
        self.logins = jobs;
        events
    }

    /// A verified player starts its spawn search; an arrival of the same character on another
    /// connection is dropped and its connection returned (to close as replaced).
    pub(crate) fn arrive(&mut self, login: Verified, seq: SaveSeq) -> Option<ConnId> {
        let Verified { conn, record, items, token, .. } = login;
        let replaced = self.arrivals.iter().position(|a| a.record.id == record.id);
        let replaced = replaced.map(|i| self.arrivals.swap_remove(i).conn);
        let spawner = Spawner::new(record.map, record.pos.x, record.pos.y, record.id as u64);
        self.arrivals.push(Arrival { conn, record, items, token, seq, spawner });
        replaced
    }

    /// Advances every arrival's spawn search; a found spot gets its character at once (so the
    /// next search sees it), the others are refused.
    pub(crate) fn step_arrivals(&mut self, maps: &mut Maps) -> Vec<Event> {
        let mut events = Vec::new();
        let mut arrivals = std::mem::take(&mut self.arrivals);
        arrivals.retain_mut(|a| match spawn_step(a, maps) {
            SpawnDecision::Wait => true,
            SpawnDecision::Spawn { map, x, y } => {
                events.extend(spawn(a, maps, map, x, y));
                false
            }
            SpawnDecision::HandOff { map, x, y } => {
                let record = std::mem::take(&mut a.record);
                let (items, seq) = (std::mem::take(&mut a.items), a.seq);
                let departing =
                    super::moving::Departing { conn: a.conn, record, seq, items, item_ticket: None };
                events.push(Event::Moving { departing, to: map, at: (x, y) });
                false
            }
            SpawnDecision::Failed(e) => {
                events.push(refuse(&mut self.refused, a.conn, close::SPAWN_FAILED, e.to_string()));
                false
            }
        });
        arrivals.append(&mut self.arrivals);
        self.arrivals = arrivals;
        events
    }

    /// Starts bot spawn searches up to the target and advances them; found spots get a bot.
    pub(crate) fn step_bots(&mut self, maps: &mut Maps) {
        let bots = &mut self.bots;
        while bots.placed + bots.failed + (bots.searches.len() as u32) < bots.target
            && bots.searches.len() < BOT_STEPS_PER_TICK
        {
            let n = bots.placed + bots.failed + bots.searches.len() as u32;
            bots.searches.push(self.start.spawner(0xB07 ^ u64::from(n) << 16));
        }
        let (placed, failed) = (&mut bots.placed, &mut bots.failed);
        bots.searches.retain_mut(|s| {
            let mut no_save = |_, _, _| Err("bots are not handed off".to_owned());
            match maps.spawn_step(s, &mut no_save) {
                SpawnDecision::Wait => true,
                SpawnDecision::Spawn { map, x, y } => {
                    if let Some(i) = maps.index_of(map) {
                        maps.list[i].sim.spawn_character(Controller::Bot, x, y);
                        *placed += 1;
                    }
                    false
                }
                SpawnDecision::HandOff { .. } | SpawnDecision::Failed(_) => {
                    *failed += 1;
                    false
                }
            }
        });
    }
}

/// Counts a refusal and makes its event.
fn refuse(refused: &mut u64, conn: ConnId, code: u16, reason: String) -> Event {
    *refused += 1;
    Event::Refused { conn, code, reason }
}

/// One step of an arrival's spawn search (a spot on another shard's map is stored by the
/// hand-off itself, so nothing is written here).
fn spawn_step(a: &mut Arrival, maps: &mut Maps) -> SpawnDecision {
    let id = a.record.id;
    let mut save = |_, _, _| Ok(());
    let decision = maps.spawn_step(&mut a.spawner, &mut save);
    if decision != SpawnDecision::Wait {
        tracing::debug!(player = id, from = ?(a.record.map, a.record.pos), ?decision, attempts = a.spawner.attempts(), "spawn decided");
    }
    decision
}

/// Spawns an arrival's character at a found spot (nothing if the map is not local).
fn spawn(a: &mut Arrival, maps: &mut Maps, map: store::MapId, x: i32, y: i32) -> Option<Event> {
    let index = maps.index_of(map)?;
    let sim = &mut maps.list[index].sim;
    let entity = sim.spawn_character(Controller::Player(a.record.id), x, y);
    let (vitals, xp) = crate::stats::load_from(&a.record, &sim.content.stats);
    sim.set_stats(entity, vitals, xp);
    let mut record = a.record.clone();
    (record.map, record.pos) = (map, store::Position { x, y });
    let items = std::mem::take(&mut a.items);
    Some(Event::Entered { conn: a.conn, record, items, token: a.token, map: index, entity, seq: a.seq })
}
