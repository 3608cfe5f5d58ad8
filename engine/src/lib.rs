//! The data-oriented core of the shard: generational entities, archetype-free Structure-of-Arrays
//! component columns, a spatial hash grid, a stage scheduler and a fixed-rate tick loop.
//!
//! The engine knows nothing of the game. Its priorities, in order:
//!
//! 1. **Correctness that cannot be forgotten**: a stale [`Entity`] is rejected everywhere, two
//!    writers of one column never run together (declared access, checked again at borrow time),
//!    and structural changes happen only between stages, in a deterministic order.
//! 2. **Predictable speed**: values live in packed columns (hot numeric data split into primitive
//!    columns such as `x` and `y` apart), column [groups](World::group) keep joined columns in
//!    identical order so hot loops are slice zips that vectorize, and nothing on a per-entity path
//!    allocates or hashes.
//! 3. **Measurability**: every system, stage and tick is timed into HDR histograms.
//!
//! # Layout
//! - [`World`] owns the [`Entities`] allocator, one presence bitset (`u128`) per entity, the
//!   [`Column`]s and the resources. Structural changes need `&mut World`.
//! - A [`Schedule`] runs stages; inside a stage, systems whose [`Access`] does not conflict run in
//!   parallel on rayon; their [`Commands`] are applied when the stage ends.
//! - [`SpatialGrid`] answers radius, rectangle and region queries.
//! - [`TickLoop`] paces ticks from their intended start and records lag and overruns.

mod bitset;
mod column;
mod commands;
mod entity;
mod error;
pub mod grid;
mod join;
mod schedule;
mod tick;
mod timing;
mod world;

pub use bitset::BitSet;
pub use column::Column;
pub use commands::{ApplyReport, Commands};
pub use entity::{Entities, Entity};
pub use error::EngineError;
pub use grid::{GridEntry, Rect, SortedGrid, SpatialGrid};
pub use join::{join2, join2_mut, join3, par_join2_mut};
pub use schedule::{Access, Schedule, SystemBuilder, SystemContext, SystemTiming};
pub use tick::{Clock, SystemClock, TickInfo, TickLoop, TickStats};
pub use timing::{DurationHistogram, TimingSummary};
pub use world::{ColumnKey, GroupId, MAX_COLUMNS, MAX_RESOURCES, ResourceKey, World};
