//! What interacting with an object gives (`gather` of an object kind in `objects.toml`): the tool
//! it needs in hand, how long it takes, what it costs and earns, what it yields (at every stage,
//! or by growth stage), and what becomes of the object; as the file spells it and as validated
//! (item and object kinds by id, stages by index). `validate_gathering.rs` holds the checks.

use super::item_kinds::ItemTag;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Longest gathering: a minute at 20 ticks/s.
pub const MAX_GATHER_TICKS: u32 = 1200;
/// Most item kinds one gathering gives.
pub const MAX_YIELD_KINDS: usize = 8;
/// Largest quality spread (± points around the base quality).
pub const MAX_QUALITY_SPREAD: u32 = 100;

/// `gather` of an object kind as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatherDef {
    /// An item tag the character must hold in its hand slot (`"axe"`).
    #[serde(default)]
    pub tool: Option<String>,
    /// Ticks the work takes (20 ticks/s).
    pub ticks: u32,
    /// Stamina it costs.
    pub stamina: u16,
    /// Gathering experience it gives.
    pub experience: u32,
    /// Quality variation: what it gives is the base quality ± up to `spread`.
    #[serde(default)]
    pub spread: u32,
    /// Item name → count given at any stage.
    #[serde(default)]
    pub items: BTreeMap<String, u32>,
    /// Stage name → (item name → count): what it gives at each stage listed (a growing kind);
    /// at a stage not listed it gives nothing yet.
    #[serde(default)]
    pub stages: BTreeMap<String, BTreeMap<String, u32>>,
    /// Object kind the object becomes (a tree becomes a stump).
    #[serde(default)]
    pub leaves: Option<String>,
    /// Growth stage the object goes back to, starting again (a bush stripped bare).
    #[serde(default)]
    pub back_to: Option<String>,
    /// True when the object is gone afterwards (a crop harvested).
    #[serde(default)]
    pub removed: bool,
}

/// So many items of one kind given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Yield {
    /// Item kind id.
    pub kind: u32,
    /// How many (at most the kind's `max_stack`).
    pub count: u32,
}

/// What becomes of a gathered object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Nothing: it can be gathered again at once (a rock).
    Stays,
    /// It becomes an object of this kind (a tree's stump), at stage 0 from the gathering.
    Becomes(u32),
    /// It goes back to this growth stage, which starts at the gathering (a bush regrows).
    Regrows(u16),
    /// It leaves the world (a harvested crop).
    Removed,
}

/// `gather` of an object kind, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gather {
    /// The tag of the item the character must hold in its hand slot, if any.
    pub tool: Option<ItemTag>,
    /// Ticks the work takes (1..=[`MAX_GATHER_TICKS`]).
    pub ticks: u32,
    /// Stamina it costs (paid when the work completes).
    pub stamina: u16,
    /// Gathering experience it gives.
    pub experience: u32,
    /// Quality variation (0..=[`MAX_QUALITY_SPREAD`]).
    pub spread: u32,
    /// What becomes of the object.
    pub after: After,
    /// What it gives by stage index (one entry for a kind that does not grow); an empty entry
    /// gives nothing at that stage.
    pub(super) yields: Vec<Vec<Yield>>,
}

impl Gather {
    /// What gathering gives at growth stage `stage` (a stage beyond the table reads as the last,
    /// as growth does); empty when nothing can be gathered at that stage.
    pub fn yields_at(&self, stage: u16) -> &[Yield] {
        let last = self.yields.len().saturating_sub(1);
        self.yields.get(usize::from(stage).min(last)).map_or(&[], Vec::as_slice)
    }
}
