//! Why a craft was refused: the craft's own refusals with their stable wire codes
//! ([`crate::wire::error`], 120–126) and the item model's, which keep theirs (103–119).

use super::error::ItemError;
use super::place::Stack;
use crate::wire::error as code;

/// Why a craft was refused. Nothing changed when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CraftError {
    /// The content has no recipe with this id.
    #[error("unknown recipe {0}")]
    UnknownRecipe(u16),
    /// The craft count is 0.
    #[error("the craft count must be at least 1")]
    BadCount,
    /// The inventory and its bags hold fewer of an ingredient than the repetitions need.
    #[error("not enough {item}: {needed} needed, {held} held")]
    MissingIngredients {
        /// The ingredient kind's name.
        item: String,
        /// How many the craft needs (per repetition × repetitions).
        needed: u64,
        /// How many the inventory and its bags hold (usable ones: a bag holding items is not).
        held: u64,
    },
    /// No item held serves as a tool the recipe needs.
    #[error("missing tool: {tool}")]
    MissingTool {
        /// The tag or the item kind's name, as the recipe needs it.
        tool: String,
    },
    /// What does not fit the inventory has nowhere to go: no ground pile was offered, or it is
    /// too small. `overflow` is what did not fit (the caller may offer a pile for it and craft
    /// again: nothing changed).
    #[error("no room for {} of the result", overflow.count)]
    NoRoom {
        /// The part of the result the inventory cannot take.
        overflow: Stack,
    },
    /// Not enough stamina for the repetitions asked (the caller's check).
    #[error("not enough stamina: {needed} needed, {left} left")]
    NotEnoughStamina {
        /// Stamina the repetitions cost.
        needed: u64,
        /// Stamina the character has.
        left: u64,
    },
    /// The recipe's station is not in reach (the caller's check).
    #[error("no {station} in reach")]
    StationNotInReach {
        /// The station's object kind name.
        station: String,
    },
    /// An item-level refusal (the inventory is not loaded, no ids, storage busy, ...).
    #[error(transparent)]
    Item(#[from] ItemError),
}

impl CraftError {
    /// The stable code sent in the wire's Error message.
    pub fn code(&self) -> u16 {
        match self {
            CraftError::UnknownRecipe(_) => code::UNKNOWN_RECIPE,
            CraftError::BadCount => code::BAD_CRAFT_COUNT,
            CraftError::MissingIngredients { .. } => code::MISSING_INGREDIENTS,
            CraftError::MissingTool { .. } => code::MISSING_TOOL,
            CraftError::NoRoom { .. } => code::CRAFT_NO_ROOM,
            CraftError::NotEnoughStamina { .. } => code::NOT_ENOUGH_STAMINA,
            CraftError::StationNotInReach { .. } => code::STATION_NOT_IN_REACH,
            CraftError::Item(e) => e.code(),
        }
    }

    /// True when the same request may succeed later unchanged (ids or storage were not
    /// available).
    pub fn retryable(&self) -> bool {
        matches!(self, CraftError::Item(e) if e.retryable())
    }
}
