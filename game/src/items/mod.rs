//! The in-memory item model (§7): the items of one map's containers, pure and deterministic
//! (no I/O, no simulation).
//!
//! Every item sits in exactly one slot of one container ([`store::Container`]): a character's
//! inventory, a world object (box, pile) or a bag item. A container has a fixed number of slots
//! and a revision that grows on every change, so a request made against an older view is
//! refused as stale. Operations ([`ItemWorld::move_stack`], [`ItemWorld::drop_into_new_container`],
//! [`ItemWorld::take`], [`ItemWorld::give`], [`ItemWorld::give_all`], [`ItemWorld::pickup`],
//! [`ItemWorld::craft`]) check
//! everything before they change anything: on error nothing changed and nothing is emitted; on
//! success they
//! return one [`store::ItemTx`] of absolute ops that makes storage equal to memory, and the
//! containers that changed with their new revisions.
//!
//! Depth: an item directly in a root container is at depth 1, an item in a bag there at depth 2;
//! no item is deeper than the content's `max_depth`, counting what a moved bag holds. No item
//! is ever inside itself.
//!
//! Equipment: a character's inventory ends with a hand and a body slot (`equip.rs`); equipping
//! is a move into one, refused for an item that does not fit it (`WrongSlot`); stacks placed
//! anywhere never land there.
//!
//! `world.rs` holds the state and its queries, `load.rs` loading and unloading, `place.rs` the
//! checks and where stacks fit, `plan.rs` applying a checked plan, `ops.rs` the operations,
//! `spill.rs` a whole container into a new one (a corpse), `give.rs` several stacks at once (what
//! gathering yields), `craft.rs` crafting (a recipe's ingredients consumed and its result made in one change),
//! `error.rs` and `craft_error.rs` the error tables.

mod craft;
mod craft_error;
mod equip;
mod error;
mod give;
mod load;
mod ops;
mod place;
mod plan;
mod spill;
mod world;

pub use crate::content::EQUIPMENT_SLOTS;
pub use craft::{Craft, CraftOutcome, Crafted, GroundPile};
pub use craft_error::CraftError;
pub use equip::{EquipSlot, inventory_capacity};
pub use error::{BadItem, BadItemReason, ItemError};
pub use load::LoadReport;
pub use ops::Pickup;
pub use place::{Source, Stack, Target};
pub use plan::{IdSource, ItemChange, Revised};
pub use world::{ItemId, ItemWorld, Root, Slots, bot_holder, is_bot_holder};
