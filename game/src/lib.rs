//! Game rules composed on the engine, net and store crates, in three parts:
//!
//! - **The map simulation** ([`sim`]): one map's engine world and staged schedule, [`MapSim`]
//!   (characters' hot data in grouped columns, x and y apart; moving things in a `SortedGrid`,
//!   static objects in a `SpatialGrid`), its features (bots, orders, movement, residency), the
//!   chunk service and spawning. Public surface: [`MapSim`], [`SimParts`], [`SimConfig`],
//!   [`Controller`], [`sim::components`], [`sim::bots`] (the bot policy hook), [`Spawner`],
//!   [`sim::object_log`] (object changes by chunk version).
//!   [`gameplay`] is where the rules that give actions their effect plug in, as systems with
//!   declared access ([`MapSim::gameplay_system`]).
//! - **The shard server** ([`shard`]): sessions, maps, the tick loop, replication ([`replicate`],
//!   [`interest`]), logins ([`session`], [`names`]) and local chat ([`chat`]). Public surface:
//!   [`shard::Shard`].
//! - **The client library** ([`client`]): a client's view of the world with prediction.
//!   Public surface: [`client::GameClient`].
//!
//! The rules the shard and the client share, so both compute the same thing: [`geom`] (maps,
//! chunks, fixed-point positions), [`movement`] (integer movement), [`orders`] (orders and
//! actions), [`steering`] (the one order → steering rule), [`wire`] (every game ↔ wire
//! translation and the game's close and error codes), [`content`] (content data and the world
//! layout, recipes included), [`craft`] (the quality of crafted items), [`items`] (the item
//! model: containers, slots and the operations on them, crafting among them),
//! [`chunk_wire`] (chunk contents on the wire), [`worldgen`] (deterministic terrain from the
//! seed), [`growth`] (the stage a growing object shows at any time, in closed form) and
//! [`gather`] (what gathering gives and of what quality, what a planted seed becomes).

pub mod chat;
pub mod chunk_wire;
pub mod client;
pub mod combat;
pub mod content;
pub mod craft;
pub mod error;
pub mod gameplay;
pub mod gather;
pub mod geom;
pub mod growth;
mod ids;
pub mod interest;
pub mod items;
pub mod movement;
pub mod names;
pub mod orders;
pub mod replicate;
pub mod session;
pub mod shard;
pub mod sim;
pub mod stats;
pub mod steering;
pub mod wire;
pub mod worldgen;

// The map simulation's modules at their former top-level paths (the shard, the replicator, the
// client and tools use them there).
pub use sim::{bots, chunks, spawn, world_view};

pub use content::Content;
pub use error::{ContentError, GameError, SpawnError};
pub use geom::{MapGeometry, WorldLayout};
pub use orders::{Action, ActionKind, ActionQueue, ActionResult, Order, OrderSlot, Outcome};
pub use sim::{ChunkCounters, Controller, MapSim, SimClock, SimConfig, SimParts};
pub use spawn::{Probe, SpawnDecision, SpawnWorld, Spawner};
