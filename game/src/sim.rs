//! One map's simulation: the engine world with the game's columns and resources, the staged
//! schedule (ai → orders → actions → movement → residency) and the API the shard uses.

use crate::bots::{BotPolicy, BotState, WanderPolicy};
use crate::chunks::ChunkTable;
use crate::content::Content;
use crate::error::GameError;
use crate::geom::MapGeometry;
use crate::orders::{ActionHandlers, ActionKind, NoGameplay, Order, OrderSlot};
use crate::residency::Residency;
use crate::service::ChunkService;
use crate::worldgen::WorldGen;
use engine::grid::GridGeometry;
use engine::{ColumnKey, Entity, GroupId, ResourceKey, Schedule, SortedGrid, SpatialGrid, World};
use std::sync::Arc;
use store::{ObjectRecord, Store};

/// Grid cells of 4 tiles (`1 << 10` units) for characters and objects.
pub const CELL_SHIFT: u32 = 10;

/// Tunables of a map simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimConfig {
    /// A chunk idle this long (ms) is saved if dirty and unloaded (default 60 s).
    pub idle_unload_ms: u64,
    /// Load ahead: chunks within this many tiles beyond a character's 3×3 are loaded too.
    pub ahead_tiles: i32,
    /// Most ready chunks installed per tick (bounds the tick's work).
    pub installs_per_tick: usize,
    /// A move order without progress for this many ticks is impossible.
    pub stuck_ticks: u16,
    /// A follow order ends when the target is farther than this (1/256 tile).
    pub follow_range: i32,
    /// Seed of bots' decisions.
    pub bot_seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            idle_unload_ms: 60_000,
            ahead_tiles: 32,
            installs_per_tick: 8,
            stuck_ticks: 40,
            follow_range: 64 * crate::geom::TILE,
            bot_seed: 0xB075,
        }
    }
}

/// Who controls a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Controller {
    /// A player with its stored id.
    Player(i64),
    /// A server-side bot.
    Bot,
}

/// Per-character steering state written by the orders and movement systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Steer {
    /// Goal x.
    pub goal_x: i32,
    /// Goal y.
    pub goal_y: i32,
    /// Stop this close to the goal.
    pub stop_dist: i32,
    /// True while there is somewhere to go.
    pub active: bool,
    /// Set by movement: within `stop_dist` after the last step.
    pub arrived: bool,
    /// Ticks in a row without progress.
    pub stuck: u16,
    /// Set by the orders system: perform this action this tick.
    pub action: Option<ActionKind>,
    /// The order sequence number this steering belongs to (a new order resets `stuck`).
    pub seq: u32,
}

/// One character's movement result, in grid order (scratch of the movement system).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Moved {
    /// New x.
    pub x: i32,
    /// New y.
    pub y: i32,
    /// Updated steering.
    pub steer: Steer,
    /// True when the position changed.
    pub moved: bool,
}

/// Per-object data kept beside the static grid: collision radius by entity index.
#[derive(Debug)]
pub struct Objects {
    /// Static things (trees, rocks, dropped items).
    pub grid: SpatialGrid,
    /// Collision radius by entity index (0: does not block).
    pub radius: Vec<i32>,
    /// Largest radius present.
    pub max_radius: i32,
}

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

/// The clock the tick runs on (tests drive it by hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SimClock {
    /// Tick number.
    pub tick: u64,
    /// Milliseconds (any epoch; only differences matter).
    pub now_ms: u64,
}

/// Column and resource handles.
#[derive(Debug, Clone, Copy)]
pub struct Keys {
    /// X positions (grouped).
    pub x: ColumnKey<i32>,
    /// Y positions (grouped).
    pub y: ColumnKey<i32>,
    /// Orders (grouped).
    pub order: ColumnKey<OrderSlot>,
    /// Steering (grouped).
    pub steer: ColumnKey<Steer>,
    /// The characters' group.
    pub group: GroupId,
    /// Who controls each character.
    pub controller: ColumnKey<Controller>,
    /// Bots' AI state.
    pub bot: ColumnKey<BotState>,
    /// Objects' stored records.
    pub object: ColumnKey<ObjectRecord>,
    /// Characters' grid, rebuilt every tick before movement (pre-move positions).
    pub movers: ResourceKey<SortedGrid>,
    /// Movement results in grid order (scratch, reused every tick).
    pub scratch: ResourceKey<Vec<Moved>>,
    /// Objects' grid and radii.
    pub objects: ResourceKey<Objects>,
    /// Resident chunks.
    pub chunks: ResourceKey<ChunkTable>,
    /// Residency bookkeeping and the chunk service.
    pub residency: ResourceKey<Residency>,
    /// The clock.
    pub clock: ResourceKey<SimClock>,
    /// Action hooks.
    pub handlers: ResourceKey<Box<dyn ActionHandlers>>,
    /// Bot decision hook.
    pub policy: ResourceKey<Box<dyn BotPolicy>>,
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
    /// Handles.
    pub keys: Keys,
    /// Content data.
    pub content: Arc<Content>,
    /// Tunables.
    pub config: SimConfig,
    /// Characters spawned since the last grid rebuild: spawning checks them too, so two spawns in
    /// one tick never share a spot.
    pub(crate) fresh: Vec<(i32, i32)>,
}

impl MapSim {
    /// Builds the world and schedule with the default hooks.
    pub fn new(parts: SimParts) -> Result<Self, GameError> {
        let worldgen = WorldGen::new(&parts.content, parts.seed)?;
        let mut world = World::new();
        let keys = register(&mut world, &parts, worldgen)?;
        let mut schedule = Schedule::new();
        crate::systems::build(&mut schedule, keys, &parts.content, parts.config)?;
        Ok(Self { world, schedule, keys, content: parts.content, config: parts.config, fresh: Vec::new() })
    }

    /// Replaces the interact and attack hooks.
    pub fn set_handlers(&mut self, handlers: Box<dyn ActionHandlers>) {
        *self.world.resource_mut(self.keys.handlers) = handlers;
    }

    /// Replaces the bots' decision hook.
    pub fn set_bot_policy(&mut self, policy: Box<dyn BotPolicy>) {
        *self.world.resource_mut(self.keys.policy) = policy;
    }

    /// Runs one tick at time `now_ms`.
    pub fn tick(&mut self, now_ms: u64) {
        {
            let mut clock = self.world.resource_mut(self.keys.clock);
            clock.tick += 1;
            clock.now_ms = now_ms;
        }
        self.schedule.run(&mut self.world);
        self.world.clear_changed();
        // The movement stage rebuilt the character grid with this tick's spawns in it.
        self.fresh.clear();
    }

    /// The map's geometry.
    pub fn geometry(&self) -> MapGeometry {
        *self.world.resource(self.keys.chunks).geometry()
    }

    /// Adds a character at `(x, y)` (use [`crate::spawn`] to choose the spot).
    pub fn spawn_character(&mut self, controller: Controller, x: i32, y: i32) -> Entity {
        let k = self.keys;
        let e = self.world.spawn();
        let ok = self.world.insert(e, k.x, x).is_ok()
            && self.world.insert(e, k.y, y).is_ok()
            && self.world.insert(e, k.order, OrderSlot::default()).is_ok()
            && self.world.insert(e, k.steer, Steer::default()).is_ok()
            && self.world.insert(e, k.controller, controller).is_ok();
        debug_assert!(ok, "fresh entity");
        self.fresh.push((x, y));
        if controller == Controller::Bot {
            let seed = self.config.bot_seed ^ u64::from(e.index()) << 20;
            let _ = self.world.insert(e, k.bot, BotState::new(seed));
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

    /// Adds an object to its resident chunk and marks the chunk dirty.
    pub fn insert_object(&mut self, record: ObjectRecord) -> Result<Entity, GameError> {
        let (x, y) = (record.pos.x, record.pos.y);
        if !self.world.resource(self.keys.chunks).is_resident_at(x, y) {
            return Err(GameError::OutOfBounds { x, y });
        }
        let radius = self.content.object_by_id(record.kind).map_or(0, |k| k.radius);
        let e = crate::residency::spawn_object(&mut self.world, &self.keys, record, radius);
        let mut chunks = self.world.resource_mut(self.keys.chunks);
        chunks.mark_dirty_at(x, y);
        if let Some(list) = chunks.objects_at_mut(x, y) {
            list.push(e);
        }
        Ok(e)
    }

    /// Removes an object (chopped, picked up) and marks its chunk dirty.
    pub fn remove_object(&mut self, e: Entity) -> bool {
        let Some(pos) = self.world.column(self.keys.object).get(e).map(|r| r.pos) else { return false };
        crate::residency::despawn_object(&mut self.world, &self.keys, e);
        let mut chunks = self.world.resource_mut(self.keys.chunks);
        chunks.mark_dirty_at(pos.x, pos.y);
        if let Some(list) = chunks.objects_at_mut(pos.x, pos.y) {
            list.retain(|&o| o != e);
        }
        true
    }

    /// Stops the chunk worker (see `ChunkService::stop`): before the shutdown's final flush, so
    /// no first save of a generated chunk arrives after it.
    pub fn stop_chunk_service(&mut self) {
        self.world.resource_mut(self.keys.residency).service.stop();
    }

    /// Submits saves of every chunk with unsaved changes (checkpoint or shutdown); the store's
    /// writer makes them durable. Returns how many were submitted.
    pub fn save_dirty_chunks(&mut self) -> usize {
        let now = self.world.resource(self.keys.clock).now_ms;
        let mut chunks = self.world.resource_mut(self.keys.chunks);
        let mut res = self.world.resource_mut(self.keys.residency);
        let objects = self.world.column(self.keys.object);
        crate::residency::checkpoint(&mut chunks, &mut res, &objects, now)
    }

    /// Chunk residency counters: `(resident, loads, unloads, storage errors, quarantined)`.
    pub fn chunk_counters(&self) -> ChunkCounters {
        let chunks = self.world.resource(self.keys.chunks);
        let res = self.world.resource(self.keys.residency);
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

/// Most bucket-table bits of a grid (2^18 buckets: 256 K).
const MAX_BUCKET_BITS: u32 = 18;

/// Grid geometry whose bucket table covers the whole map (up to [`MAX_BUCKET_BITS`]), so cells
/// far apart rarely share a bucket and a query scans only its own cells' entries.
fn grid_geometry(map: &MapGeometry) -> GridGeometry {
    let bits = |units: i32| ((units >> CELL_SHIFT).max(1) as u32).next_power_of_two().trailing_zeros();
    let wanted = bits(map.width_units()) + bits(map.height_units());
    GridGeometry::new(CELL_SHIFT, wanted.min(MAX_BUCKET_BITS))
}

fn register(world: &mut World, parts: &SimParts, worldgen: WorldGen) -> Result<Keys, GameError> {
    let (x, y) = (world.register::<i32>("x")?, world.register::<i32>("y")?);
    let order = world.register::<OrderSlot>("order")?;
    let steer = world.register::<Steer>("steer")?;
    let group = world.group(&[x.id(), y.id(), order.id(), steer.id()])?;
    let geometry = grid_geometry(&parts.map);
    let objects = Objects { grid: SpatialGrid::with_geometry(geometry), radius: Vec::new(), max_radius: 0 };
    let service = ChunkService::start(parts.store.clone(), parts.map, worldgen);
    let no_gameplay: Box<dyn ActionHandlers> = Box::new(NoGameplay);
    let wander: Box<dyn BotPolicy> = Box::new(WanderPolicy::default());
    Ok(Keys {
        x,
        y,
        order,
        steer,
        group,
        controller: world.register("controller")?,
        bot: world.register("bot")?,
        object: world.register("object")?,
        movers: world.insert_resource("movers", SortedGrid::with_geometry(geometry))?,
        objects: world.insert_resource("objects", objects)?,
        scratch: world.insert_resource("move-scratch", Vec::new())?,
        chunks: world.insert_resource("chunks", ChunkTable::new(parts.map))?,
        residency: world.insert_resource("residency", Residency::new(service, &parts.content))?,
        clock: world.insert_resource("clock", SimClock::default())?,
        handlers: world.insert_resource("handlers", no_gameplay)?,
        policy: world.insert_resource("bot-policy", wander)?,
    })
}
