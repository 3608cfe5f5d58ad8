//! Crafting as one item operation: a recipe made `times` over by a player from the ingredients
//! in its inventory and the bags in it, with tools it holds there, the result put in its
//! inventory and what does not fit in a new ground pile, all in one [`ItemChange`] (one
//! transaction).
//!
//! **Which stacks are consumed**: for each ingredient kind, the usable stacks of that kind held
//! (a bag that holds items is not usable) in order of quality, highest first; among equal
//! qualities, inventory slots in order, then the bags' contents level by level (the world's
//! walk order). The last stack taken may be used in part. Highest first because the Craft
//! message names no stacks: the crafter asks for the best result its inventory allows, and
//! keeps a material out of a craft by not carrying it (a box holds what it wants to keep).
//! **Tools**: for each tool the recipe needs, the held item of the highest quality that serves
//! (first in walk order among equals); kept, and its quality feeds `Qt`. One item may serve two
//! needs. The quality formula is [`crate::craft::quality`]'s, over everything the repetitions
//! consume, so all of one craft's results share one quality and stack together.
//!
//! **Where the result goes**: merged into the inventory's stacks of the same kind and quality
//! (slot order), then into its free slots, counting the slots the consumed stacks free (lowest
//! first); never into bags. What does not fit is the **overflow**. The caller learns it before
//! anything changes ([`ItemWorld::craft_preview`]); when it is not 0, the caller finds a spot
//! and an object id for a pile as for a drop and offers it ([`GroundPile`]): [`ItemWorld::craft`]
//! then creates the pile's container and puts the overflow in it within the same change, and
//! the caller adds the pile object's record first ([`ItemChange::put_object_first`]) and the
//! object to the map, so consuming, making and dropping are one transaction. Without a pile, or
//! with one too small, the craft is refused with [`CraftError::NoRoom`] naming the overflow,
//! and nothing changed.

use super::craft_error::CraftError;
use super::error::ItemError;
use super::place::Stack;
use super::plan::{Effect, IdSource, ItemChange, Plan};
use super::world::{ItemId, ItemWorld, Root};
use crate::content::{Content, ItemKind, Recipe, ToolNeed};
use crate::craft::{KindMean, QualityBreakdown, Used, craft_quality, kind_mean};
use std::cmp::Reverse;
use store::{Container, ItemRecord};

/// What to craft, and by whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Craft {
    /// The crafting player (its inventory `Container::Player(player)` must be loaded).
    pub player: i64,
    /// The recipe id (the Craft message's `recipe`).
    pub recipe: u16,
    /// How many repetitions (the Craft message's `count`, at least 1).
    pub times: u16,
    /// The crafter's crafting experience (its skill caps the quality).
    pub experience: u64,
}

/// A new ground container offered for the overflow: a pile object the caller will create (its
/// id unused, its capacity the pile kind's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroundPile {
    /// The pile's container (a new object id).
    pub root: Root,
    /// Its slots.
    pub capacity: u16,
}

/// What a craft uses and makes, known before anything changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CraftOutcome {
    /// Everything made: the result kind, its quality, `result.count × times`.
    pub result: Stack,
    /// How many of it do not fit the inventory (they go to the ground pile).
    pub overflow: u32,
    /// Every step of the quality.
    pub quality: QualityBreakdown,
    /// What is consumed, per kind (ascending) and quality (highest first).
    pub consumed: Vec<Stack>,
    /// The item serving as each tool, in the recipe's order.
    pub tools: Vec<ItemId>,
}

/// A craft done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crafted {
    /// The one change: ingredients consumed, result made (its `count` is how many).
    pub change: ItemChange,
    /// What was used and made.
    pub outcome: CraftOutcome,
    /// The ground pile created for the overflow (the caller adds its object); `None` when all
    /// of the result fit the inventory (the pile offered, if any, was not used).
    pub pile: Option<Root>,
}

/// A checked craft: its outcome and the effects that carry it out in the inventory.
#[derive(Debug)]
struct Prepared {
    outcome: CraftOutcome,
    /// Ingredients consumed (counts lowered, stacks deleted).
    consume: Vec<Effect>,
    /// Inventory stacks of the result and their counts after the merge.
    merges: Vec<(ItemId, u32)>,
    /// Free inventory slots (once the ingredients are consumed) and how many go in each.
    free: Vec<(u16, u32)>,
    /// The result kind's `max_stack`.
    max_stack: u32,
}

/// The ingredients taken so far.
#[derive(Debug)]
struct Taking {
    /// The crafter's inventory.
    inventory: Container,
    effects: Vec<Effect>,
    consumed: Vec<Stack>,
    means: Vec<KindMean>,
    /// Inventory slots the fully consumed stacks leave empty.
    freed: Vec<u16>,
}

impl ItemWorld {
    /// What [`ItemWorld::craft`] would use and make, and how much of it would not fit the
    /// inventory; refused exactly as the craft would be, except for the overflow's room.
    pub fn craft_preview(&self, craft: Craft) -> Result<CraftOutcome, CraftError> {
        Ok(self.prepare(craft)?.outcome)
    }

    /// Crafts `craft.times` repetitions of a recipe in one change (see the module's doc):
    /// consumes the ingredients, makes the result in the inventory and the overflow in
    /// `ground`. Refused, changing nothing, for an unknown recipe, a count of 0, missing
    /// ingredients or tools, an overflow without room, an inventory not loaded, or too few ids.
    pub fn craft(
        &mut self,
        craft: Craft,
        ground: Option<GroundPile>,
        ids: &mut dyn IdSource,
    ) -> Result<Crafted, CraftError> {
        let p = self.prepare(craft)?;
        let Stack { kind, quality, count } = p.outcome.result;
        let mut plan = Plan::new("craft");
        plan.count = count;
        plan.effects.extend(p.consume);
        plan.effects.extend(p.merges.iter().map(|&(id, count)| Effect::Count { id, count }));
        let to = Container::Player(craft.player);
        let creates = p.free.iter().map(|&(slot, count)| Effect::Create { kind, quality, count, to, slot });
        plan.effects.extend(creates);
        let pile = match p.outcome.overflow {
            0 => None,
            overflow => {
                let stack = Stack { kind, quality, count: overflow };
                let ground = ground.ok_or(CraftError::NoRoom { overflow: stack })?;
                self.pile_effects(&mut plan, ground, stack, p.max_stack)?;
                Some(ground.root)
            }
        };
        let change = self.apply(plan, ids)?;
        Ok(Crafted { change, outcome: p.outcome, pile })
    }

    /// Checks the craft and works out what it consumes, its quality and where the result goes.
    fn prepare(&self, craft: Craft) -> Result<Prepared, CraftError> {
        let content = self.content.clone();
        let recipe = content.recipe(craft.recipe).ok_or(CraftError::UnknownRecipe(craft.recipe))?;
        if craft.times == 0 {
            return Err(CraftError::BadCount);
        }
        let inventory = Container::Player(craft.player);
        let slots = self.slots(inventory)?;
        let held: Vec<&ItemRecord> =
            self.subtree(inventory).iter().filter_map(|id| self.items.get(id)).collect();
        let mut taking = Taking {
            inventory,
            effects: Vec::new(),
            consumed: Vec::new(),
            means: Vec::with_capacity(recipe.ingredients.len()),
            freed: Vec::new(),
        };
        for ingredient in &recipe.ingredients {
            let needed = u64::from(ingredient.count) * u64::from(craft.times);
            self.take_ingredient(&content, &held, ingredient.kind, needed, &mut taking)?;
        }
        let (tools, tool_qualities) = choose_tools(&content, recipe, &held)?;
        let quality = craft_quality(&taking.means, &tool_qualities, recipe.weights, craft.experience);
        let kind = self.kind(recipe.result.kind)?;
        let total = u64::from(recipe.result.count) * u64::from(craft.times);
        let total = u32::try_from(total).map_err(|_| CraftError::BadCount)?;
        let fill = self.fill((inventory, slots), kind, quality.result, total, None, false);
        let mut left = total - fill.placed;
        // Free inventory slots (never the equipment slots), then those the ingredients free.
        let empty = (0..slots.capacity())
            .filter(|&s| slots.get(s).is_none() && self.equip_slot(inventory, s).is_none());
        let mut empty: Vec<u16> = empty.collect();
        empty.extend(&taking.freed);
        empty.sort_unstable();
        let mut free = Vec::new();
        for slot in empty {
            if left == 0 {
                break;
            }
            let n = left.min(kind.max_stack);
            free.push((slot, n));
            left -= n;
        }
        let result = Stack { kind: kind.id, quality: quality.result, count: total };
        let outcome = CraftOutcome { result, overflow: left, quality, consumed: taking.consumed, tools };
        Ok(Prepared {
            outcome,
            consume: taking.effects,
            merges: fill.merges,
            free,
            max_stack: kind.max_stack,
        })
    }

    /// Takes `needed` items of `kind` from `held`, highest quality first (walk order among
    /// equals): the effects, what is consumed, the kind's mean quality, the slots freed.
    fn take_ingredient(
        &self,
        content: &Content,
        held: &[&ItemRecord],
        kind: u32,
        needed: u64,
        taking: &mut Taking,
    ) -> Result<(), CraftError> {
        let mut stacks: Vec<&ItemRecord> =
            held.iter().copied().filter(|r| r.kind == kind && self.usable(r)).collect();
        stacks.sort_by_key(|r| Reverse(r.quality));
        let available: u64 = stacks.iter().map(|r| u64::from(r.count)).sum();
        if available < needed {
            let item = content.item(kind).map_or_else(|| format!("item kind {kind}"), |k| k.name.clone());
            return Err(CraftError::MissingIngredients { item, needed, held: available });
        }
        let mut used = Vec::new();
        let mut left = needed;
        for r in stacks {
            if left == 0 {
                break;
            }
            let n = u32::try_from(left.min(u64::from(r.count))).unwrap_or(r.count);
            left -= u64::from(n);
            used.push(Used { quality: r.quality, count: n });
            if n == r.count {
                taking.effects.push(Effect::Delete { id: r.id });
                if r.container == taking.inventory
                    && let Ok(slot) = u16::try_from(r.slot)
                    && self.equip_slot(taking.inventory, slot).is_none()
                {
                    taking.freed.push(slot);
                }
            } else {
                taking.effects.push(Effect::Count { id: r.id, count: r.count - n });
            }
            match taking.consumed.last_mut() {
                Some(s) if s.kind == kind && s.quality == r.quality => s.count += n,
                _ => taking.consumed.push(Stack { kind, quality: r.quality, count: n }),
            }
        }
        taking.means.push(kind_mean(&used));
        Ok(())
    }

    /// An item a craft may consume: anything but a bag that holds items.
    fn usable(&self, r: &ItemRecord) -> bool {
        self.container(Container::Item(r.id)).is_none_or(|s| s.is_empty())
    }

    /// Adds the ground pile (a new root container) and the overflow's stacks in its first slots.
    fn pile_effects(
        &self,
        plan: &mut Plan,
        ground: GroundPile,
        overflow: Stack,
        max_stack: u32,
    ) -> Result<(), CraftError> {
        let root = ground.root.container();
        if self.containers.contains_key(&root) {
            return Err(ItemError::ContainerExists(root).into());
        }
        let stacks = overflow.count.div_ceil(max_stack.max(1));
        if stacks > u32::from(ground.capacity) {
            return Err(CraftError::NoRoom { overflow });
        }
        plan.effects.push(Effect::NewContainer { root, capacity: ground.capacity });
        let (mut left, mut slot) = (overflow.count, 0u16);
        while left > 0 {
            let count = left.min(max_stack);
            let (kind, quality) = (overflow.kind, overflow.quality);
            plan.effects.push(Effect::Create { kind, quality, count, to: root, slot });
            (left, slot) = (left - count, slot + 1);
        }
        Ok(())
    }
}

/// For each tool the recipe needs, the held item of the highest quality that serves (first in
/// walk order among equals): their ids and qualities.
fn choose_tools(
    content: &Content,
    recipe: &Recipe,
    held: &[&ItemRecord],
) -> Result<(Vec<ItemId>, Vec<u32>), CraftError> {
    let mut ids = Vec::with_capacity(recipe.tools.len());
    let mut qualities = Vec::with_capacity(recipe.tools.len());
    for &need in &recipe.tools {
        let serves = |r: &&&ItemRecord| content.item(r.kind).is_some_and(|k: &ItemKind| need.met_by(k));
        let best = held.iter().filter(serves).min_by_key(|r| Reverse(r.quality));
        let Some(tool) = best else {
            return Err(CraftError::MissingTool { tool: tool_name(content, need) });
        };
        ids.push(tool.id);
        qualities.push(tool.quality);
    }
    Ok((ids, qualities))
}

/// How a missing tool is named to the player.
fn tool_name(content: &Content, need: ToolNeed) -> String {
    match need {
        ToolNeed::Tag(tag) => format!("any {}", tag.name()),
        ToolNeed::Kind(id) => content.item(id).map_or_else(|| format!("item kind {id}"), |k| k.name.clone()),
    }
}
