//! The in-process world macro benchmark (issue #5): players with random orders plus bots on a
//! generated map (SQLite store in a temporary directory) with residency and collisions. Prints
//! tick p50/p99/max and the per-stage times of the game schedule.
//!
//! Usage: `cargo run --release -p bench --bin world_tick -- [entities] [ticks] [clients]
//! [per_chunk] [flags]` (one player per six entities, the rest bots; default 6,000 entities, 600
//! measured ticks, no clients, about 170 characters per chunk). With clients, the first
//! `clients` players are replicated to (each acknowledging every Frame it gets) and the
//! replication time per tick is reported too, as the shard's `replicate` stage: e.g.
//! `-- 6000 300 1000 25` is the shard benchmark's crowd (1,000 clients among 6,000 characters,
//! ~25 per chunk). `WT_MAX_VISIBLE`, `WT_NEAR`, `WT_FAR_TICKS` and `WT_REFRESH` override the
//! replication config's `max_visible`, `near_visible`, `far_review_ticks` and
//! `view_refresh_ticks`.
//!
//! Flags (`bench::world_args`): `--items` installs the items feature and has every player,
//! created in the store with the starter kit, make an item request or interact order every
//! 1–3 s (`--item-every LO-HI`; `bench::item_play`); it implies `--as-shard`: ticks paced at
//! 20 Hz in real time (`--unpaced`: back to back) and threads set up as the shard's
//! (`--tick-priority N`: the tick in the real-time class). `--players-every K`: one player per
//! K characters. With `--items` the bots play the survival loop (`game::gameplay::bots`) with
//! the default mix or `--bot-mix MIX` (e.g. `wander=1`: they only wander).

use bench::item_play::{self, ItemPlay};
use bench::world_args::WorldArgs;
use engine::DurationHistogram;
use game::chunks::ChunkState;
use game::geom::{CHUNK_UNITS, TILE, map_id};
use game::replicate::{Outgoing, ReplicationConfig, Replicator};
use game::{Content, Controller, MapSim, Order, Probe, SimConfig, SimParts};
use net::protocol::Ack;
use net::{ConnId, Outbound};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{Store, StoreConfig};

/// Simulated milliseconds per tick (20 Hz).
const TICK_MS: u64 = 50;

struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i32
    }
}

fn main() {
    let a = match WorldArgs::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let n = a.entities;
    let dir = std::env::temp_dir().join(format!("world_tick_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let content = Arc::new(Content::builtin());
    let mainland = content.continents[0].clone();
    let map = game::MapGeometry::new(map_id(mainland.id, 0), mainland.width_chunks, mainland.height_chunks);
    let (store, mut sim) = a.start_threads(|| {
        let store = Arc::new(Store::open(StoreConfig::sqlite(dir.join("world.db"))).expect("sqlite store"));
        let config = SimConfig::default();
        let parts = SimParts { content: content.clone(), map, seed: 1, store: store.clone(), config };
        (store, MapSim::new(parts).expect("sim"))
    });
    let items =
        a.items.then(|| game::gameplay::items::install(&mut sim, store.clone()).expect("items feature"));
    // Trees grow on every map the shard runs; so here.
    game::gameplay::growth::install(&mut sim).expect("growth feature");
    let looped = items.map(|key| game::gameplay::bots::install(&mut sim, key, a.bot_mix).expect("bot loop"));
    let stored = if a.items {
        let count = n.div_ceil(a.players_every);
        item_play::create_players(&store, &content, count, map.id).expect("players in the store")
    } else {
        Vec::new()
    };
    // About `per_chunk` characters per chunk of area, centred on the map.
    let side = ((n as f64 / a.per_chunk).sqrt().ceil() as i32).clamp(2, map.width_chunks - 4);
    let c0 = (map.width_chunks - side) / 2;
    let area = (c0 * CHUNK_UNITS, (c0 + side) * CHUNK_UNITS - 1);
    let mut now = load_area(&mut sim, c0, side);
    let mut rng = Rng(0x5EED);
    let ids: Vec<i64> = stored.iter().map(|p| p.id).collect();
    let players = spawn_all(&mut sim, &mut rng, (n, a.players_every, &ids), area, &mut now);
    println!(
        "{n} characters ({} players) on {side}×{side} chunks; {} threads{}{}",
        players.len(),
        rayon::current_num_threads(),
        if a.paced { "; paced at 20 Hz" } else { "" },
        a.tick_priority.map_or(String::new(), |p| format!("; tick in SCHED_FIFO {p}"))
    );
    let mut play = items.map(|key| {
        let entered: Vec<(i64, engine::Entity)> = ids.iter().copied().zip(players.iter().copied()).collect();
        let mut m = sim.world.resource_mut(key);
        for (p, &(id, e)) in stored.iter().zip(&entered) {
            m.enter(id, e, &p.items);
        }
        let ticks = |s: f64| (s * 1000.0 / TICK_MS as f64).round() as u64;
        ItemPlay::new(key, &content, &entered, (ticks(a.item_every.0), ticks(a.item_every.1)))
    });
    for _ in 0..50 {
        now += TICK_MS;
        if let Some(play) = play.as_mut() {
            play.act(&mut sim, now / TICK_MS);
        }
        sim.tick(now);
        if let Some(play) = play.as_mut() {
            play.drain(&sim);
        }
    }
    let mut view = Viewers::new(&players[..a.clients.min(players.len())]);
    sim.schedule.reset_timings();
    let before = play.as_mut().map(|p| p.start_measuring(&sim, store.writer().stats()));
    let mut run = Run { view: &mut view, play: play.as_mut(), paced: a.paced };
    let hist = measure(&mut sim, &mut run, &players, &mut rng, a.ticks, &mut now);
    report(&sim, &hist, a.ticks);
    view.report();
    if let (Some(play), Some(before)) = (&play, &before) {
        let secs = (a.ticks * TICK_MS) as f64 / 1000.0;
        play.report(&sim, before, &store.writer().stats(), secs);
    }
    if let (Some(looped), Some(items)) = (looped, items) {
        report_bots(&sim, looped, items);
    }
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Requests every chunk of the area (plus a ring) and ticks until they are resident.
fn load_area(sim: &mut MapSim, c0: i32, side: i32) -> u64 {
    let start = Instant::now();
    let mut now = 0;
    loop {
        let mut missing = 0;
        for cy in c0..c0 + side {
            for cx in c0..c0 + side {
                let (x, y) = (cx * CHUNK_UNITS + CHUNK_UNITS / 2, cy * CHUNK_UNITS + CHUNK_UNITS / 2);
                sim.request_area(x, y);
                missing += usize::from(
                    sim.world.resource(sim.keys.chunks).state(cx, cy) != Some(ChunkState::Resident),
                );
            }
        }
        if missing == 0 {
            break;
        }
        now += TICK_MS;
        sim.tick(now);
        std::thread::sleep(Duration::from_millis(5));
    }
    let resident = sim.world.resource(sim.keys.chunks).resident_count();
    println!("generated/loaded {resident} chunks in {:.1} s", start.elapsed().as_secs_f64());
    now
}

/// Spawns `n` characters at free random spots of the area, one player per `every` (player `k`
/// controlled as `ids[k]`, or `k` when there are fewer ids); returns the players.
fn spawn_all(
    sim: &mut MapSim,
    rng: &mut Rng,
    (n, every, ids): (usize, usize, &[i64]),
    area: (i32, i32),
    now: &mut u64,
) -> Vec<engine::Entity> {
    let mut players = Vec::new();
    for i in 0..n {
        let (x, y) = (0..200)
            .map(|_| (rng.range(area.0, area.1), rng.range(area.0, area.1)))
            .find(|&(x, y)| sim.probe(x, y) == Probe::Free)
            .unwrap_or((area.0 + CHUNK_UNITS / 2, area.0 + CHUNK_UNITS / 2));
        let k = players.len();
        let controller = if i % every == 0 {
            Controller::Player(ids.get(k).copied().unwrap_or(k as i64))
        } else {
            Controller::Bot
        };
        let e = sim.spawn_character(controller, x, y);
        if i % every == 0 {
            players.push(e);
        }
        if i % 1000 == 999 {
            *now += TICK_MS;
            sim.tick(*now);
        }
    }
    players
}

/// What runs beside the simulation in the measured ticks.
struct Run<'a> {
    view: &'a mut Viewers,
    play: Option<&'a mut ItemPlay>,
    paced: bool,
}

fn measure(
    sim: &mut MapSim,
    run: &mut Run<'_>,
    players: &[engine::Entity],
    rng: &mut Rng,
    ticks: u64,
    now: &mut u64,
) -> DurationHistogram {
    let mut hist = DurationHistogram::new();
    let started = Instant::now();
    for n in 0..ticks {
        if run.paced {
            let due = started + Duration::from_millis(n * TICK_MS);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        give_orders(sim, players, rng);
        *now += TICK_MS;
        if let Some(play) = run.play.as_deref_mut() {
            play.act(sim, *now / TICK_MS);
        }
        let start = Instant::now();
        sim.tick(*now);
        hist.record(start.elapsed());
        if let Some(play) = run.play.as_deref_mut() {
            play.drain(sim);
        }
        run.view.tick(sim, *now / TICK_MS);
    }
    hist
}

/// Replication to some players' clients, each acknowledging every Frame it is sent.
struct Viewers {
    replicator: Replicator,
    conns: Vec<ConnId>,
    out: Outgoing,
    batch: Vec<(ConnId, Outbound)>,
    hist: DurationHistogram,
    frame_bytes: u64,
    frames: u64,
    built: u64,
}

/// Ticks of replication not measured: the clients' first areas are encoded and sent.
const WARM_UP_TICKS: u64 = 60;

impl Viewers {
    fn new(players: &[engine::Entity]) -> Self {
        let mut config = ReplicationConfig::default();
        override_from_env("WT_MAX_VISIBLE", &mut config.max_visible);
        override_from_env("WT_NEAR", &mut config.near_visible);
        override_from_env("WT_FAR_TICKS", &mut config.far_review_ticks);
        override_from_env("WT_REFRESH", &mut config.view_refresh_ticks);
        let mut replicator = Replicator::new(map_id(0, 0), config);
        let conns: Vec<ConnId> = (0..players.len() as u64).map(|i| ConnId::from_u64(i + 1)).collect();
        for (&conn, &player) in conns.iter().zip(players) {
            replicator.add_client(conn, player);
        }
        let (out, batch) = (Outgoing::default(), Vec::new());
        Self {
            replicator,
            conns,
            out,
            batch,
            hist: DurationHistogram::new(),
            frame_bytes: 0,
            frames: 0,
            built: 0,
        }
    }

    fn tick(&mut self, sim: &MapSim, tick: u64) {
        if self.conns.is_empty() {
            return;
        }
        let start = Instant::now();
        self.replicator.build(sim, tick, &mut self.out);
        self.built += 1;
        if self.built > WARM_UP_TICKS {
            self.hist.record(start.elapsed());
        }
        self.batch.clear();
        self.out.drain_into(&mut self.batch);
        for (conn, msg) in &self.batch {
            if msg.replaceable {
                self.frames += 1;
                self.frame_bytes += msg.payload.len() as u64;
                self.replicator.on_ack(*conn, Ack { tick, received: u32::MAX });
            }
        }
    }

    fn report(&self) {
        if self.conns.is_empty() {
            return;
        }
        let s = self.hist.summary();
        println!(
            "replicate to {} clients (after {WARM_UP_TICKS} ticks): p50 {} µs  p99 {} µs  max {} µs  ({} frames, {:.0} B each)",
            self.conns.len(),
            s.p50_us,
            s.p99_us,
            s.max_us,
            self.frames,
            self.frame_bytes as f64 / self.frames.max(1) as f64
        );
        let st = self.replicator.stats();
        println!(
            "  records deferred per frame {:.1}, resent per frame {:.2}",
            st.records_deferred as f64 / st.frames.max(1) as f64,
            st.records_resent as f64 / st.frames.max(1) as f64
        );
        println!(
            "  object deltas: {} messages, {} B, {} encodings; chunk data {} messages, {} B",
            st.object_delta_msgs,
            st.object_delta_bytes,
            st.object_delta_encodes,
            st.chunk_data_msgs,
            st.chunk_data_bytes
        );
    }
}

/// Replaces `value` with the environment variable `name` when it is set and parses.
fn override_from_env<T: std::str::FromStr>(name: &str, value: &mut T) {
    if let Some(v) = std::env::var(name).ok().and_then(|v| v.parse().ok()) {
        *value = v;
    }
}

/// About one player in 40 gets a new random order each tick.
fn give_orders(sim: &mut MapSim, players: &[engine::Entity], rng: &mut Rng) {
    for _ in 0..players.len().div_ceil(40) {
        let p = players[(rng.next_u64() % players.len() as u64) as usize];
        let Some((x, y)) = sim.position(p) else { continue };
        let order = match rng.next_u64() % 20 {
            0..=13 => Order::MoveTo {
                x: x + rng.range(-16 * TILE, 16 * TILE),
                y: y + rng.range(-16 * TILE, 16 * TILE),
            },
            14..=16 => Order::Follow { target: players[(rng.next_u64() % players.len() as u64) as usize] },
            _ => match sim.objects_near(x, y, 8 * TILE).first() {
                Some(&(target, _)) => Order::Interact { target, verb: 0 },
                None => Order::Idle,
            },
        };
        sim.set_order(p, order);
    }
}

fn report(sim: &MapSim, hist: &DurationHistogram, ticks: u64) {
    let s = hist.summary();
    let resident = sim.world.resource(sim.keys.chunks).resident_count();
    println!(
        "{ticks} ticks: p50 {} µs  p99 {} µs  max {} µs  ({resident} chunks resident)",
        s.p50_us, s.p99_us, s.max_us
    );
    for t in sim.schedule.timings() {
        let name = t.system.map_or_else(|| format!("stage {}", t.stage), |s| format!("  {}/{s}", t.stage));
        println!(
            "{name:<28} p50 {:>7} µs  p99 {:>7} µs  max {:>7} µs",
            t.summary.p50_us, t.summary.p99_us, t.summary.max_us
        );
    }
}

/// What the bots playing the loop did over the whole run (warm-up included).
fn report_bots(
    sim: &MapSim,
    looped: engine::ResourceKey<game::gameplay::bots::BotLoop>,
    items: engine::ResourceKey<game::gameplay::items::MapItems>,
) {
    let counters = sim.world.resource(looped).counters.clone();
    let steps: Vec<String> = game::gameplay::bots::LoopCounters::NAMES
        .iter()
        .zip(counters.steps)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    println!("bot steps: {} (nothing near: {})", steps.join(", "), counters.nothing_near);
    let refused = sim.world.resource(items).counters.bot_refused.clone();
    println!("bot item refusals by code: {refused:?}");
}
