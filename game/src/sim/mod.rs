//! The map simulation: one map's engine world and staged schedule, composed from features that
//! each own their data and stage: bots (ai) → orders → gameplay → actions → movement (grid
//! rebuild, then moves in grid order) → residency. [`MapSim`] is the API the shard uses; the
//! shared columns and resources are declared in [`components`].

pub mod bots;
pub mod chunks;
pub mod components;
mod movement_stage;
pub mod object_log;
pub mod objects;
mod order_stage;
pub mod residency;
pub mod service;
pub mod spawn;
pub mod world_view;

pub use components::{Controller, Keys, Objects, SimClock, SimConfig, Steer};

use crate::combat::Wielded;
use crate::content::Content;
use crate::error::GameError;
use crate::geom::MapGeometry;
use crate::orders::{ActionQueue, Order, OrderSlot};
use crate::stats::{Experience, Vitals};
use crate::worldgen::WorldGen;
use bots::{BotKeys, BotPolicy, BotState};
use components::Rules;
use engine::{Entity, ResourceKey, Schedule, SystemBuilder, World};
use residency::Residency;
use service::ChunkService;
use std::sync::Arc;
use store::{ObjectRecord, Store};

/// Chunk residency counters of one map (totals since start, except `resident`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChunkCounters {
    /// Chunks in memory now.
    pub resident: u64,
    /// Chunks installed (loaded or generated).
    pub loads: u64,
    /// Chunks unloaded.
    pub unloads: u64,
    /// Storage errors (retried).
    pub errors: u64,
    /// Chunks quarantined.
    pub quarantined: u64,
}

/// Everything a map simulation is built from.
#[derive(Debug)]
pub struct SimParts {
    /// Content data.
    pub content: Arc<Content>,
    /// The map.
    pub map: MapGeometry,
    /// World seed.
    pub seed: u64,
    /// The store (chunks load from and save to it).
    pub store: Arc<Store>,
    /// Tunables.
    pub config: SimConfig,
}

/// One map's simulation.
#[derive(Debug)]
pub struct MapSim {
    /// The engine world.
    pub world: World,
    /// The staged schedule.
    pub schedule: Schedule,
    /// Handles of the shared columns and resources.
    pub keys: Keys,
    /// Handles of the bots' column and policy.
    pub bots: BotKeys,
    /// Handle of the residency bookkeeping.
    pub residency: ResourceKey<Residency>,
    /// Handle of the tick's action queue (gameplay systems judge it; see [`crate::gameplay`]).
    pub actions: ResourceKey<ActionQueue>,
    /// Handle of the map's deaths and respawns.
    pub deaths: ResourceKey<crate::gameplay::death::Deaths>,
    /// Handle of the travels to other layers decided since the shard last took them.
    pub travels: ResourceKey<crate::gameplay::ways::Travels>,
    /// Content data.
    pub content: Arc<Content>,
    /// Tunables.
    pub config: SimConfig,
    /// Index of the "gameplay" stage.
    gameplay_stage: usize,
    /// Characters spawned since the last grid rebuild: spawning checks them too, so two spawns in
    /// one tick never share a spot.
    pub(crate) fresh: Vec<(i32, i32)>,
}

impl MapSim {
    /// Builds the world and schedule with the default bot policy and no gameplay.
    pub fn new(parts: SimParts) -> Result<Self, GameError> {
        let worldgen = WorldGen::new(&parts.content, parts.seed)?;
        let mut world = World::new();
        let keys = Keys::register(&mut world, parts.map)?;
        let bots = BotKeys::register(&mut world)?;
        let service = ChunkService::start(parts.store.clone(), parts.map, worldgen);
        let residency = world.insert_resource("residency", Residency::new(service, parts.content.clone()))?;
        let actions = world.insert_resource("actions", ActionQueue::default())?;
        let rules = Rules { character: parts.content.character, config: parts.config };
        let mut schedule = Schedule::new();
        let strikes = world.insert_resource("strikes", crate::gameplay::combat::Strikes::default())?;
        bots::add_stage(&mut schedule, keys, bots, strikes)?;
        order_stage::add_stage(&mut schedule, keys, actions, rules)?;
        let gameplay_stage = crate::gameplay::add_stages(&mut schedule, keys, actions)?;
        let deaths = crate::gameplay::death::register(&mut world)?;
        let (stats, combat) = (parts.content.stats, parts.content.combat);
        crate::gameplay::vitals::add_system(&mut schedule, &mut world, gameplay_stage, keys, deaths, stats)?;
        let hits = (deaths, strikes);
        crate::gameplay::combat::add_system(&mut schedule, gameplay_stage, keys, actions, hits, combat)?;
        let respawn = (stats, combat.respawn_seconds);
        crate::gameplay::death::add_system(&mut schedule, gameplay_stage, keys, deaths, respawn)?;
        let travels = crate::gameplay::ways::register(&mut world)?;
        let ways = (parts.map.id, parts.content.clone());
        crate::gameplay::ways::add_system(&mut schedule, gameplay_stage, keys, (actions, travels), ways)?;
        movement_stage::add_stage(&mut schedule, &mut world, keys, rules)?;
        residency::add_stage(&mut schedule, keys, residency, parts.config)?;
        Ok(Self {
            world,
            schedule,
            keys,
            bots,
            residency,
            actions,
            deaths,
            travels,
            content: parts.content,
            config: parts.config,
            gameplay_stage,
            fresh: Vec::new(),
        })
    }

    /// Takes the travels to other layers decided since the last call (`gameplay::ways`).
    pub fn take_travels(&mut self) -> Vec<crate::gameplay::ways::Travel> {
        std::mem::take(&mut self.world.resource_mut(self.travels).list)
    }

    /// Starts declaring a gameplay system (see [`crate::gameplay`]): it runs every tick after
    /// orders queued the tick's actions and before their results end or keep the orders. Declare
    /// every column and resource it touches, [`MapSim::actions`] written to judge actions;
    /// `run` adds it. Register its own columns in [`MapSim::world`] first.
    pub fn gameplay_system(&mut self, name: impl Into<String>) -> SystemBuilder<'_> {
        self.schedule.system(self.gameplay_stage, name)
    }

    /// Replaces the bots' decision hook.
    pub fn set_bot_policy(&mut self, policy: Box<dyn BotPolicy>) {
        *self.world.resource_mut(self.bots.policy) = policy;
    }

    /// Residency bookkeeping: recent storage errors, quarantined chunks, counters.
    pub fn residency(&self) -> impl std::ops::Deref<Target = Residency> + '_ {
        self.world.resource(self.residency)
    }

    /// Runs one tick at time `now_ms`.
    pub fn tick(&mut self, now_ms: u64) {
        {
            let mut clock = self.world.resource_mut(self.keys.clock);
            clock.tick += 1;
            clock.now_ms = now_ms;
        }
        self.schedule.run(&mut self.world);
        // The movement stage rebuilt the character grid with this tick's spawns in it.
        self.fresh.clear();
    }

    /// The map's geometry.
    pub fn geometry(&self) -> MapGeometry {
        *self.world.resource(self.keys.chunks).geometry()
    }

    /// Adds a character at `(x, y)` (use [`spawn`] to choose the spot).
    pub fn spawn_character(&mut self, controller: Controller, x: i32, y: i32) -> Entity {
        let k = self.keys;
        let e = self.world.spawn();
        let ok = self.world.insert(e, k.x, x).is_ok()
            && self.world.insert(e, k.y, y).is_ok()
            && self.world.insert(e, k.order, OrderSlot::default()).is_ok()
            && self.world.insert(e, k.steer, Steer::default()).is_ok()
            && self.world.insert(e, k.vitals, Vitals::rested(&self.content.stats)).is_ok()
            && self.world.insert(e, k.experience, Experience::default()).is_ok()
            && self.world.insert(e, k.wielded, Wielded::fist(&self.content.combat)).is_ok()
            && self.world.insert(e, k.controller, controller).is_ok();
        debug_assert!(ok, "fresh entity");
        self.fresh.push((x, y));
        if controller == Controller::Bot {
            let seed = self.config.bot_seed ^ u64::from(e.index()) << 20;
            let _ = self.world.insert(e, self.bots.bot, BotState::new(seed));
        }
        e
    }

    /// Removes a character (logout, transfer).
    pub fn despawn_character(&mut self, e: Entity) -> bool {
        self.world.has(e, self.keys.steer) && self.world.despawn(e).is_ok()
    }

    /// Gives `e` an order (replacing the current one). False when `e` is not a character.
    pub fn set_order(&mut self, e: Entity, order: Order) -> bool {
        let mut orders = self.world.column_mut(self.keys.order);
        orders.get_mut(e).map(|slot| slot.give(order)).is_some()
    }

    /// A character's vitals and experience.
    pub fn stats(&self, e: Entity) -> Option<(Vitals, Experience)> {
        let vitals = self.world.column(self.keys.vitals).get(e).copied()?;
        Some((vitals, self.world.column(self.keys.experience).get(e).copied().unwrap_or_default()))
    }

    /// Sets a character's vitals and experience (a player's stored values at login). False when
    /// `e` is not a character. A character set dead (it logged out dead) comes back after the
    /// respawn delay.
    pub fn set_stats(&mut self, e: Entity, vitals: Vitals, experience: Experience) -> bool {
        let was_dead = self.world.column(self.keys.vitals).get(e).is_some_and(|v| v.is_dead());
        let set = self.world.column_mut(self.keys.vitals).get_mut(e).map(|v| *v = vitals).is_some();
        if set && vitals.is_dead() && !was_dead {
            let now = self.world.resource(self.keys.clock).now_ms;
            let due = now + u64::from(self.content.combat.respawn_seconds) * 1000;
            self.world.resource_mut(self.deaths).wait(e, due);
        }
        set && self.world.insert(e, self.keys.experience, experience).is_ok()
    }

    /// `e`'s order slot.
    pub fn order(&self, e: Entity) -> Option<OrderSlot> {
        self.world.column(self.keys.order).get(e).copied()
    }

    /// Position of a character or object.
    pub fn position(&self, e: Entity) -> Option<(i32, i32)> {
        let (x, y) = (self.world.column(self.keys.x), self.world.column(self.keys.y));
        if let (Some(&x), Some(&y)) = (x.get(e), y.get(e)) {
            return Some((x, y));
        }
        self.world.resource(self.keys.objects).grid.get(e).map(|g| (g.x, g.y))
    }

    /// Number of characters.
    pub fn character_count(&self) -> usize {
        self.world.group_len(self.keys.group)
    }

    /// Adds an object to its resident chunk: the chunk is dirty and one version newer, and its
    /// log tells clients holding it that the object entered.
    pub fn insert_object(&mut self, record: ObjectRecord) -> Result<Entity, GameError> {
        objects::insert_object(&mut self.world, &self.keys, &self.content, record)
    }

    /// Removes an object (chopped, picked up): its chunk is dirty and one version newer, and
    /// its log tells clients holding it that the object left.
    pub fn remove_object(&mut self, e: Entity) -> bool {
        objects::remove_object(&mut self.world, &self.keys, e)
    }

    /// Changes object `e`'s record in place with `change` (a tree grows a stage, a box changes
    /// kind) and marks its chunk dirty; a change of what clients see (kind or stage, the wire's
    /// `state`) also makes the chunk one version newer and is logged, so clients holding it
    /// are told. Objects do not move and keep their identity: `change` may not alter the id,
    /// map, chunk or position (they are restored); move one by removing and inserting it. An
    /// object whose kind grows is then brought up to now from its stage and stage start
    /// ([`crate::growth::advance`]: the end is derived) and its next stage change scheduled.
    /// False when `e` is not an object.
    pub fn update_object(&mut self, e: Entity, change: impl FnOnce(&mut ObjectRecord)) -> bool {
        objects::update_object(&mut self.world, &self.keys, &self.content, e, change)
    }

    /// Fences the map's chunk saves with the shard's ownership epoch (see `store::Fence`): set
    /// once, before the first tick.
    pub fn set_fence(&mut self, fence: store::Fence) {
        self.world.resource(self.residency).service.set_fence(fence);
    }

    /// Stops the chunk worker (see `ChunkService::stop`): before the shutdown's final flush, so
    /// no first save of a generated chunk arrives after it.
    pub fn stop_chunk_service(&mut self) {
        self.world.resource_mut(self.residency).service.stop();
    }

    /// Submits saves of every chunk with unsaved changes (checkpoint or shutdown); the store's
    /// writer makes them durable. Returns how many were submitted.
    pub fn save_dirty_chunks(&mut self) -> usize {
        let now = self.world.resource(self.keys.clock).now_ms;
        let mut chunks = self.world.resource_mut(self.keys.chunks);
        let mut res = self.world.resource_mut(self.residency);
        let objects = self.world.column(self.keys.object);
        residency::checkpoint(&mut chunks, &mut res, &objects, now)
    }

    /// Chunk residency counters: `(resident, loads, unloads, storage errors, quarantined)`.
    pub fn chunk_counters(&self) -> ChunkCounters {
        let chunks = self.world.resource(self.keys.chunks);
        let res = self.world.resource(self.residency);
        ChunkCounters {
            resident: chunks.resident_count() as u64,
            loads: res.loads,
            unloads: res.unloads,
            errors: res.error_count,
            quarantined: res.quarantine_reports.len() as u64,
        }
    }

    /// Object entities near `(x, y)` within `r`, with their records' kinds.
    pub fn objects_near(&self, x: i32, y: i32, r: i32) -> Vec<(Entity, u32)> {
        let objects = self.world.resource(self.keys.objects);
        let records = self.world.column(self.keys.object);
        let mut out = Vec::new();
        objects.grid.for_each_in_radius(x, y, r, |g| {
            if let Some(rec) = records.get(g.entity) {
                out.push((g.entity, rec.kind));
            }
        });
        out
    }
}
