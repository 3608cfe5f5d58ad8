//! The map's shared data, declared once: the characters' columns (x and y apart, grouped with
//! orders and steering), objects' records, the grids and chunk table every stage reads, the
//! clock and the tunables. Data only: features (bots, orders, movement, residency, gameplay)
//! import it and own their own keys and stages; the composer registers it.

use super::chunks::ChunkTable;
use crate::combat::Wielded;
use crate::content::CharacterRules;
use crate::geom::{MapGeometry, TILE};
use crate::growth::GrowthTimers;
use crate::orders::{ActionKind, OrderSlot};
use crate::stats::{Experience, Vitals};
use crate::steering::Progress;
use engine::grid::GridGeometry;
use engine::{ColumnKey, EngineError, Entity, GroupId, ResourceKey, SortedGrid, SpatialGrid, World};
use store::{ItemRecord, ObjectRecord};

/// Grid cells of 4 tiles (`1 << 10` units) for characters and objects.
pub const CELL_SHIFT: u32 = 10;
/// Most bucket-table bits of a grid (2^18 buckets: 256 K).
const MAX_BUCKET_BITS: u32 = 18;

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
            follow_range: 64 * TILE,
            bot_seed: 0xB075,
        }
    }
}

/// Rules the stages need, copied out of content and the config.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Characters' size, speed and reach.
    pub character: CharacterRules,
    /// Tunables.
    pub config: SimConfig,
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
    /// Progress toward the goal (the shared stuck rule, [`Progress`]).
    pub progress: Progress,
    /// Set by order planning when the character is in reach; moved into the action queue at
    /// once (always `None` between stages).
    pub action: Option<ActionKind>,
    /// The order sequence number this steering belongs to (a new order resets `stuck`).
    pub seq: u32,
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

/// The clock the tick runs on (tests drive it by hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SimClock {
    /// Tick number.
    pub tick: u64,
    /// Milliseconds (any epoch; only differences matter).
    pub now_ms: u64,
}

/// Handles of the shared columns and resources.
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
    /// Health, hunger and stamina (grouped).
    pub vitals: ColumnKey<Vitals>,
    /// Experience by kind.
    pub experience: ColumnKey<Experience>,
    /// What each character fights with and its cooldown (grouped).
    pub wielded: ColumnKey<Wielded>,
    /// The characters' group.
    pub group: GroupId,
    /// Who controls each character.
    pub controller: ColumnKey<Controller>,
    /// Objects' stored records.
    pub object: ColumnKey<ObjectRecord>,
    /// Characters' grid, rebuilt every tick before movement (pre-move positions).
    pub movers: ResourceKey<SortedGrid>,
    /// Objects' grid and radii.
    pub objects: ResourceKey<Objects>,
    /// Resident chunks.
    pub chunks: ResourceKey<ChunkTable>,
    /// The clock.
    pub clock: ResourceKey<SimClock>,
    /// Container objects loaded or unloaded with their chunks (for the items feature).
    pub containers: ResourceKey<ContainerEvents>,
    /// When resident growing objects change stage (scheduled once the growth system is
    /// installed: `gameplay::growth`).
    pub growth: ResourceKey<GrowthTimers>,
}

impl Keys {
    /// Registers the shared columns and resources of a map in `world`.
    pub fn register(world: &mut World, map: MapGeometry) -> Result<Keys, EngineError> {
        let (x, y) = (world.register::<i32>("x")?, world.register::<i32>("y")?);
        let order = world.register::<OrderSlot>("order")?;
        let steer = world.register::<Steer>("steer")?;
        let vitals = world.register::<Vitals>("vitals")?;
        let wielded = world.register::<Wielded>("wielded")?;
        let group = world.group(&[x.id(), y.id(), order.id(), steer.id(), vitals.id(), wielded.id()])?;
        let geometry = grid_geometry(&map);
        let objects =
            Objects { grid: SpatialGrid::with_geometry(geometry), radius: Vec::new(), max_radius: 0 };
        Ok(Keys {
            x,
            y,
            order,
            steer,
            vitals,
            experience: world.register("experience")?,
            wielded,
            group,
            controller: world.register("controller")?,
            object: world.register("object")?,
            movers: world.insert_resource("movers", SortedGrid::with_geometry(geometry))?,
            objects: world.insert_resource("objects", objects)?,
            chunks: world.insert_resource("chunks", ChunkTable::new(map))?,
            clock: world.insert_resource("clock", SimClock::default())?,
            containers: world.insert_resource("containers", ContainerEvents::default())?,
            growth: world.insert_resource("growth", GrowthTimers::default())?,
        })
    }
}

/// Grid geometry whose bucket table covers the whole map (up to [`MAX_BUCKET_BITS`]), so cells
/// far apart rarely share a bucket and a query scans only its own cells' entries.
fn grid_geometry(map: &MapGeometry) -> GridGeometry {
    let bits = |units: i32| ((units >> CELL_SHIFT).max(1) as u32).next_power_of_two().trailing_zeros();
    let wanted = bits(map.width_units()) + bits(map.height_units());
    GridGeometry::new(CELL_SHIFT, wanted.min(MAX_BUCKET_BITS))
}

/// A container object that came into memory with its chunk, with every item below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedContainer {
    /// The object's stored id.
    pub object: i64,
    /// Its entity.
    pub entity: Entity,
    /// Its object kind.
    pub kind: u32,
    /// The items below it at any depth, flat (as the store loaded them).
    pub items: Vec<ItemRecord>,
}

/// Container objects loaded or unloaded with their chunks since the items feature last looked.
#[derive(Debug, Default)]
pub struct ContainerEvents {
    /// Came into memory (in load order).
    pub loaded: Vec<LoadedContainer>,
    /// Left memory with their chunk: stored object ids.
    pub unloaded: Vec<i64>,
}
