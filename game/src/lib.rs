//! Game rules composed on the engine and store crates: content data, map geometry, deterministic
//! world generation, integer movement and orders, bots, spawning and chunk residency.
//!
//! A [`MapSim`] simulates one map: characters' hot data in grouped columns (x and y apart), moving
//! things in a `SortedGrid`, static objects in a `SpatialGrid`, and a staged schedule
//! (ai → orders → actions → movement → residency; movement rebuilds the grid first).

pub mod bots;
pub mod chunk_wire;
pub mod chunks;
pub mod client;
pub mod content;
pub mod error;
pub mod geom;
pub mod interest;
pub mod movement;
pub mod names;
pub mod orders;
pub mod replicate;
pub mod residency;
pub mod service;
pub mod session;
pub mod shard;
pub mod sim;
pub mod spawn;
pub mod steering;
mod systems;
pub mod wire;
pub mod world_view;
pub mod worldgen;

pub use content::Content;
pub use error::{ContentError, GameError, SpawnError};
pub use geom::{MapGeometry, WorldLayout};
pub use orders::{ActionHandlers, ActionResult, Order, OrderSlot, Outcome};
pub use sim::{Controller, MapSim, SimClock, SimConfig, SimParts};
pub use spawn::{Probe, SpawnDecision, SpawnWorld, Spawner};
