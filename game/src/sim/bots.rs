//! Bots (§11): per-bot state, a decision hook ([`BotPolicy`]) and the default policy, which
//! wanders and sometimes approaches or follows a nearby character. Bots are characters like
//! players, so they collide and keep chunks resident the same way.

use super::components::Keys;
use crate::error::GameError;
use crate::geom::{TILE, dist2};
use crate::orders::Order;
use engine::{ColumnKey, EngineError, Entity, ResourceKey, Schedule, SortedGrid, World};

/// A bot's private state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BotState {
    /// Deterministic random state (xorshift64*).
    pub rng: u64,
    /// Tick of the next decision.
    pub next_tick: u64,
}

impl BotState {
    /// A state seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self { rng: seed | 1, next_tick: 0 }
    }

    /// Next random number.
    pub fn next_u64(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Random integer in `lo..=hi`.
    pub fn range(&mut self, lo: i32, hi: i32) -> i32 {
        let span = (i64::from(hi) - i64::from(lo) + 1).max(1) as u64;
        (i64::from(lo) + (self.next_u64() % span) as i64) as i32
    }
}

/// What a policy sees of the world.
#[derive(Debug)]
pub struct BotView<'a> {
    /// The bot.
    pub me: Entity,
    /// Its position.
    pub x: i32,
    /// Its position.
    pub y: i32,
    /// Current tick.
    pub tick: u64,
    /// Characters as of the last grid rebuild.
    pub movers: &'a SortedGrid,
    /// Walkable bounds of the map.
    pub bounds: (i32, i32, i32, i32),
}

/// The decision hook: called when `state.next_tick` is due; returns a new order or `None` to
/// keep the current one. It must set `state.next_tick`.
pub trait BotPolicy: Send + Sync + std::fmt::Debug {
    /// Decides the bot's next order.
    fn decide(&self, view: &BotView<'_>, state: &mut BotState) -> Option<Order>;

    /// The bot was hit last tick by `attacker`, standing at `from`: what it does now (the
    /// policy's choice). The default flees: it runs [`FLEE_TILES`] straight away from the
    /// attacker and decides nothing else for 3 s.
    fn attacked(
        &self,
        view: &BotView<'_>,
        state: &mut BotState,
        attacker: Entity,
        from: (i32, i32),
    ) -> Option<Order> {
        let _ = attacker;
        state.next_tick = view.tick + 60;
        Some(flee(view, from))
    }
}

/// How far a fleeing bot runs, in tiles.
pub const FLEE_TILES: i32 = 10;

/// A move-to [`FLEE_TILES`] away from `from`, straight away from it (clamped to the map).
fn flee(v: &BotView<'_>, from: (i32, i32)) -> Order {
    let (dx, dy) = (i64::from(v.x - from.0), i64::from(v.y - from.1));
    let d = crate::movement::dist(dx, dy).max(1);
    let run = i64::from(FLEE_TILES * TILE);
    let (x0, y0, x1, y1) = v.bounds;
    let x = (i64::from(v.x) + dx * run / d).clamp(i64::from(x0), i64::from(x1)) as i32;
    let y = (i64::from(v.y) + dy * run / d).clamp(i64::from(y0), i64::from(y1)) as i32;
    Order::MoveTo { x, y }
}

/// Default policy: every 2–6 s pick a point within `wander_tiles`, or (one time in four)
/// approach or follow the nearest character within `notice_tiles`.
#[derive(Debug, Clone, Copy)]
pub struct WanderPolicy {
    /// Wander radius in tiles.
    pub wander_tiles: i32,
    /// Notice radius in tiles.
    pub notice_tiles: i32,
}

impl Default for WanderPolicy {
    fn default() -> Self {
        Self { wander_tiles: 12, notice_tiles: 8 }
    }
}

impl BotPolicy for WanderPolicy {
    fn decide(&self, v: &BotView<'_>, s: &mut BotState) -> Option<Order> {
        s.next_tick = v.tick + s.range(40, 120) as u64;
        if s.next_u64().is_multiple_of(4)
            && let Some(target) = nearest(v, self.notice_tiles * TILE)
        {
            return Some(if s.next_u64().is_multiple_of(2) {
                Order::Follow { target }
            } else {
                Order::Interact { target, verb: crate::wire::verb::USE }
            });
        }
        let (x, y) = random_point(s, (v.x, v.y), self.wander_tiles * TILE, v.bounds);
        Some(Order::MoveTo { x, y })
    }
}

/// The nearest other character within `r` (ties broken by grid order).
fn nearest(v: &BotView<'_>, r: i32) -> Option<Entity> {
    nearest_character(v.movers, v.me, (v.x, v.y), r, |_| true)
}

/// The nearest character other than `me` within `r` of `at` that `keep` accepts, as of the last
/// grid rebuild (ties broken by grid order).
pub fn nearest_character(
    movers: &SortedGrid,
    me: Entity,
    at: (i32, i32),
    r: i32,
    keep: impl Fn(Entity) -> bool,
) -> Option<Entity> {
    let mut best: Option<(i64, Entity)> = None;
    movers.for_each_in_radius(at.0, at.1, r, |g| {
        let d = dist2((g.x, g.y), at);
        if g.entity != me && best.is_none_or(|(b, _)| d < b) && keep(g.entity) {
            best = Some((d, g.entity));
        }
    });
    best.map(|(_, e)| e)
}

/// A random point up to `r` from `at` on each axis, clamped to `bounds` (a wander's goal).
pub fn random_point(s: &mut BotState, at: (i32, i32), r: i32, bounds: (i32, i32, i32, i32)) -> (i32, i32) {
    let (x0, y0, x1, y1) = bounds;
    ((at.0 + s.range(-r, r)).clamp(x0, x1), (at.1 + s.range(-r, r)).clamp(y0, y1))
}

/// Handles of the bots' column and decision hook.
#[derive(Debug, Clone, Copy)]
pub struct BotKeys {
    /// Bots' AI state.
    pub bot: ColumnKey<BotState>,
    /// The decision hook.
    pub policy: ResourceKey<Box<dyn BotPolicy>>,
}

impl BotKeys {
    /// Registers the bot column and the default policy ([`WanderPolicy`]).
    pub fn register(world: &mut World) -> Result<BotKeys, EngineError> {
        let wander: Box<dyn BotPolicy> = Box::new(WanderPolicy::default());
        Ok(BotKeys { bot: world.register("bot")?, policy: world.insert_resource("bot-policy", wander)? })
    }
}

/// Adds the "ai" stage: the `bots` system gives due bots their policy's orders.
pub(crate) fn add_stage(
    schedule: &mut Schedule,
    k: Keys,
    b: BotKeys,
    strikes: ResourceKey<crate::gameplay::combat::Strikes>,
) -> Result<(), GameError> {
    let stage = schedule.add_stage("ai");
    let sys = schedule.system(stage, "bots").writes(b.bot).writes(k.order).reads(k.x).reads(k.y);
    sys.reads_resource(k.movers)
        .reads_resource(k.clock)
        .reads_resource(b.policy)
        .reads_resource(k.chunks)
        .reads_resource(strikes)
        .reads(k.vitals)
        .run(move |ctx, _| {
            let tick = ctx.resource(k.clock).tick;
            let (movers, policy) = (ctx.resource(k.movers), ctx.resource(b.policy));
            let bounds = ctx.resource(k.chunks).geometry().walkable();
            let (x, y) = (ctx.read(k.x), ctx.read(k.y));
            let (mut bots, mut orders) = (ctx.write(b.bot), ctx.write(k.order));
            let (owners, states) = bots.split_mut();
            for (&me, state) in owners.iter().zip(states.iter_mut()) {
                if state.next_tick > tick {
                    continue;
                }
                let (Some(&bx), Some(&by)) = (x.get(me), y.get(me)) else { continue };
                let view = BotView { me, x: bx, y: by, tick, movers: &movers, bounds };
                if let (Some(order), Some(slot)) = (policy.decide(&view, state), orders.get_mut(me)) {
                    slot.give(order);
                }
            }
            // Bots hit last tick (a few a tick, not a pass over every bot).
            let vitals = ctx.read(k.vitals);
            for &(me, attacker) in &ctx.resource(strikes).last {
                let alive = vitals.get(me).is_some_and(|v| !v.is_dead());
                let (Some(state), true) = (bots.get_mut(me), alive) else { continue };
                let (Some(&bx), Some(&by), Some(&ax), Some(&ay)) =
                    (x.get(me), y.get(me), x.get(attacker), y.get(attacker))
                else {
                    continue;
                };
                let view = BotView { me, x: bx, y: by, tick, movers: &movers, bounds };
                if let (Some(order), Some(slot)) =
                    (policy.attacked(&view, state, attacker, (ax, ay)), orders.get_mut(me))
                {
                    slot.give(order);
                }
            }
        })
        .map_err(Into::into)
}
