//! The vocabulary of the game-level crash test's play: what storage should hold (`Stored`),
//! totals per (kind, quality), the steps a generated game is made of, and what one operation
//! did (`Outcome`, `Accepted`).

use std::collections::BTreeMap;

use game::items::CraftError;
use store::{Container, ItemRecord, ItemTx, ObjectRecord};

/// Count per (kind, quality).
pub type Totals = BTreeMap<(u32, u32), u64>;

/// What storage should hold: every item and every container object, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored {
    pub items: BTreeMap<i64, ItemRecord>,
    pub objects: BTreeMap<i64, ObjectRecord>,
}

impl Stored {
    /// Total count per (kind, quality).
    pub fn totals(&self) -> Totals {
        let mut totals = BTreeMap::new();
        for i in self.items.values() {
            *totals.entry((i.kind, i.quality)).or_insert(0) += u64::from(i.count);
        }
        totals
    }

    /// Whether `inner` is item `outer` or stored somewhere below it (a cycle counts as inside).
    pub fn is_within(&self, inner: i64, outer: i64) -> bool {
        let mut at = inner;
        for _ in 0..=self.items.len() {
            if at == outer {
                return true;
            }
            match self.items.get(&at).map(|i| i.container) {
                Some(Container::Item(up)) => at = up,
                _ => return false,
            }
        }
        true
    }
}

/// How many items a step asks for.
#[derive(Debug, Clone, Copy)]
pub enum Count {
    Whole,
    /// `1 + n % held`: part of the stack, sometimes all of it.
    Part(u32),
    /// None (refused).
    Zero,
}

/// One step of a game; the numbers pick operands among what exists when it runs.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    Move {
        player: usize,
        from: usize,
        slot: u16,
        to: usize,
        to_slot: Option<u16>,
        count: Count,
        stale: bool,
    },
    Drop {
        player: usize,
        from: usize,
        slot: u16,
        count: Count,
    },
    Pickup {
        player: usize,
        pile: usize,
    },
    /// Two players' pickups of one pile in the same tick.
    Race {
        pile: usize,
        first: usize,
        second: usize,
    },
    /// An empty box picked up (folded into a box item).
    TakeBox {
        player: usize,
        object: usize,
    },
    /// A checkpoint of the chunks listing the container objects as they were `back` operations
    /// ago (a chunk's snapshot may be older than the item transactions after it): no item
    /// operation, the caller submits the saves.
    SaveChunks {
        back: usize,
    },
    /// A craft of the `recipe`th shipped recipe, `times` over, with `experience`; an overflow
    /// goes into a new ground pile when `pile` (without one the craft is refused: no room).
    Craft {
        player: usize,
        recipe: usize,
        times: u16,
        experience: u64,
        pile: bool,
    },
    /// One item of the `food`th food stack the player may touch eaten.
    Eat {
        player: usize,
        food: usize,
    },
    /// The `item`th item the player may touch moved into its hand (or body) slot; `fitting`
    /// picks among the items that fit the slot, else among all (a wrong kind is refused).
    Equip {
        player: usize,
        item: usize,
        body: bool,
        fitting: bool,
    },
    /// What the hand (or body) slot holds moved into a container the player may touch.
    Unequip {
        player: usize,
        body: bool,
        to: usize,
        to_slot: Option<u16>,
    },
    /// The player dies: everything it carries spills into a new corpse, slot for slot.
    Die {
        player: usize,
    },
    /// A stack of the `corpse`th corpse moved into the player's inventory.
    Loot {
        player: usize,
        corpse: usize,
        slot: u16,
        count: Count,
    },
    /// The `corpse`th corpse vanishes with what it holds.
    Vanish {
        corpse: usize,
    },
}

/// An accepted operation that changed something: its transaction, what storage holds once it
/// is durable, and the totals the bookkeeping expects then.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub tx: ItemTx,
    pub after: Stored,
    pub expected: Totals,
}

/// What one operation did: refused (an item refusal is `CraftError::Item`), accepted without a
/// change, or accepted with a change.
pub type Outcome = Result<Option<Accepted>, CraftError>;
