//! A loop-playing bot's decisions, pure: what it carries ([`Pack`], read from the map's items)
//! and its vitals decide its next [`Step`]. Needs come first (eat when hungry, rest when spent,
//! make room when the inventory is nearly full); then the activity the mix picked, each falling
//! back on what leads to it (no axe to chop with: craft one, or gather what makes one).

use super::mix::Activity;
use crate::content::{Content, ItemTag, Recipe, StatRules};
use crate::items::{EquipSlot, ItemWorld};
use crate::stats::Vitals;
use store::Container;

/// Free inventory slots below which a bot drops a stack (gathering a bush gives three kinds).
pub const ROOM_WANTED: u16 = 3;

/// What a bot carries, as its decisions need it (slots are its inventory container's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pack {
    /// Items held by kind: `(kind, count)` (inventory and equipment, not inside bags).
    pub held: Vec<(u32, u32)>,
    /// A slot holding food.
    pub food: Option<u16>,
    /// A slot holding a seed.
    pub seed: Option<u16>,
    /// A slot (not the hand) holding an axe.
    pub axe: Option<u16>,
    /// A slot (not the hand) holding a weapon.
    pub weapon: Option<u16>,
    /// The kind in the hand slot.
    pub hand: Option<u32>,
    /// True when the hand holds an axe.
    pub hand_axe: bool,
    /// Empty inventory slots (equipment not counted).
    pub free: u16,
    /// The biggest stack of a material (what is dropped to make room): slot and count.
    pub biggest: Option<(u16, u32)>,
}

impl Pack {
    /// Reads the inventory of `holder` into `self` (its vectors reused).
    pub fn read(&mut self, world: &ItemWorld, content: &Content, holder: i64) {
        let held = std::mem::take(&mut self.held);
        *self = Pack { held, ..Pack::default() };
        self.held.clear();
        let rules = &content.item_rules;
        let hand = EquipSlot::Hand.slot(rules);
        let mut used = 0u16;
        for item in world.items_in(Container::Player(holder)) {
            let Some(kind) = content.item(item.kind) else { continue };
            let Ok(slot) = u16::try_from(item.slot) else { continue };
            match self.held.iter_mut().find(|(k, _)| *k == item.kind) {
                Some((_, n)) => *n = n.saturating_add(item.count),
                None => self.held.push((item.kind, item.count)),
            }
            if slot == hand {
                self.hand = Some(item.kind);
                self.hand_axe = kind.has(ItemTag::Axe);
                continue;
            }
            if EquipSlot::at(rules, slot).is_some() {
                continue;
            }
            used += 1;
            let first = |s: &mut Option<u16>, yes: bool| {
                if yes && s.is_none() {
                    *s = Some(slot);
                }
            };
            first(&mut self.food, kind.food.is_some());
            first(&mut self.seed, kind.plants.is_some());
            first(&mut self.axe, kind.has(ItemTag::Axe));
            first(&mut self.weapon, kind.weapon.is_some());
            if kind.has(ItemTag::Material) && self.biggest.is_none_or(|(_, n)| item.count > n) {
                self.biggest = Some((slot, item.count));
            }
        }
        self.free = rules.inventory_slots.saturating_sub(used);
    }

    /// How many items of `kind` are held.
    pub fn count(&self, kind: u32) -> u32 {
        self.held.iter().find(|(k, _)| *k == kind).map_or(0, |&(_, n)| n)
    }

    /// True when everything `recipe` takes and needs is held (once).
    pub fn can_craft(&self, recipe: &Recipe, content: &Content) -> bool {
        let ingredients = recipe.ingredients.iter().all(|i| self.count(i.kind) >= i.count);
        let tool_held = |need: &crate::content::ToolNeed| {
            self.held.iter().any(|(k, _)| content.item(*k).is_some_and(|k| need.met_by(k)))
        };
        ingredients && recipe.tools.iter().all(tool_held)
    }
}

/// What an object must be for a bot to work it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Anything that gives something with what the bot holds in its hand (or a pile).
    Anything,
    /// A grown tree (its work needs the axe the bot holds).
    Tree,
}

/// A bot's next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Eat from this slot.
    Eat(u16),
    /// Stand still for a while (stamina comes back).
    Rest,
    /// Drop this many from this slot.
    Drop(u16, u32),
    /// Empty the hand (into any inventory slot).
    Unequip,
    /// Move the item in this slot into the hand.
    Equip(u16),
    /// Craft this recipe once.
    Craft(u16),
    /// Plant the seed in this slot beside the bot.
    Plant(u16),
    /// Walk to the nearest object wanted and work it.
    Work(Want),
    /// Attack the nearest other bot.
    Fight,
    /// Walk somewhere nearby.
    Wander,
}

/// Stamina below which a bot rests: a tenth of the most it can have.
pub fn spent(vitals: &Vitals, stats: &StatRules) -> bool {
    vitals.stamina < stats.max_stamina / 10
}

/// A bot's next step: needs first, then `activity` with its fallbacks. `roll` is a random
/// number (it rotates the recipe tried first).
pub fn decide(pack: &Pack, vitals: &Vitals, content: &Content, activity: Activity, roll: u64) -> Step {
    let stats = &content.stats;
    if let Some(slot) = pack.food.filter(|_| vitals.hunger > 0 && vitals.hunger >= stats.hunger_limit / 4) {
        return Step::Eat(slot);
    }
    if spent(vitals, stats) {
        return Step::Rest;
    }
    if pack.free < ROOM_WANTED
        && let Some((slot, count)) = pack.biggest
    {
        return Step::Drop(slot, count);
    }
    match activity {
        Activity::Gather => Step::Work(Want::Anything),
        Activity::Chop => chop(pack, content),
        Activity::Craft => craft(pack, content, roll).map_or(Step::Work(Want::Anything), Step::Craft),
        Activity::Plant => pack.seed.map_or(Step::Work(Want::Anything), Step::Plant),
        Activity::Fight => match (pack.hand, pack.weapon) {
            (None, Some(slot)) => Step::Equip(slot),
            _ => Step::Fight,
        },
        Activity::Wander => Step::Wander,
    }
}

/// Chopping: with an axe in hand, a tree; an axe elsewhere goes to the hand (emptied first);
/// without one, craft one, or gather what one is made of.
fn chop(pack: &Pack, content: &Content) -> Step {
    if pack.hand_axe {
        return Step::Work(Want::Tree);
    }
    match (pack.axe, pack.hand) {
        (Some(_), Some(_)) => return Step::Unequip,
        (Some(slot), None) => return Step::Equip(slot),
        _ => {}
    }
    let makes_axe = |r: &&Recipe| content.item(r.result.kind).is_some_and(|k| k.has(ItemTag::Axe));
    match content.recipes.iter().filter(makes_axe).find(|r| pack.can_craft(r, content)) {
        Some(r) => Step::Craft(r.id),
        None => Step::Work(Want::Anything),
    }
}

/// A recipe the bot has everything for, the search starting at a random one.
fn craft(pack: &Pack, content: &Content, roll: u64) -> Option<u16> {
    let n = content.recipes.len();
    let start = usize::try_from(roll % n.max(1) as u64).unwrap_or(0);
    let later = content.recipes.iter().skip(start);
    let first = later.chain(content.recipes.iter().take(start));
    first.filter(|r| pack.can_craft(r, content)).map(|r| r.id).next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Content;
    use std::sync::Arc;
    use store::ItemRecord;

    fn content() -> Arc<Content> {
        Arc::new(
            Content::load_dir(std::path::Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../schemas/content"
            )))
            .unwrap(),
        )
    }

    fn kind(c: &Content, name: &str) -> u32 {
        c.item_named(name).unwrap().id
    }

    /// A pack holding `stacks` (kind name, count, slot).
    fn pack(c: &Arc<Content>, stacks: &[(&str, u32, u16)]) -> Pack {
        let records: Vec<ItemRecord> = stacks
            .iter()
            .enumerate()
            .map(|(i, &(name, count, slot))| ItemRecord {
                id: i as i64 + 1,
                kind: kind(c, name),
                quality: 10,
                count,
                container: Container::Player(-1),
                slot: u32::from(slot),
            })
            .collect();
        let mut world = ItemWorld::new(c.clone());
        let capacity = c.item_rules.inventory_capacity();
        world.insert_container(crate::items::Root::Player(-1), capacity, &records).unwrap();
        let mut p = Pack::default();
        p.read(&world, c, -1);
        p
    }

    fn fed(c: &Content) -> Vitals {
        Vitals::rested(&c.stats)
    }

    #[test]
    fn a_hungry_bot_with_food_eats_first() {
        let c = content();
        let p = pack(&c, &[("berries", 3, 4)]);
        let mut v = fed(&c);
        v.hunger = c.stats.hunger_limit / 2;
        assert_eq!(decide(&p, &v, &c, Activity::Fight, 0), Step::Eat(4));
        assert_eq!(decide(&p, &fed(&c), &c, Activity::Gather, 0), Step::Work(Want::Anything));
    }

    #[test]
    fn chopping_leads_through_crafting_and_equipping_an_axe() {
        let c = content();
        let hand = EquipSlot::Hand.slot(&c.item_rules);
        let v = fed(&c);
        let nothing = pack(&c, &[("branch", 1, 0)]);
        assert_eq!(decide(&nothing, &v, &c, Activity::Chop, 0), Step::Work(Want::Anything));
        let makings = pack(&c, &[("branch", 2, 0), ("stone", 3, 1)]);
        let axe = c.recipe_named("stone axe").unwrap().id;
        assert_eq!(decide(&makings, &v, &c, Activity::Chop, 0), Step::Craft(axe));
        let held = pack(&c, &[("stone axe", 1, 5)]);
        assert_eq!(decide(&held, &v, &c, Activity::Chop, 0), Step::Equip(5));
        let club_in_hand = pack(&c, &[("stone axe", 1, 5), ("club", 1, hand)]);
        assert_eq!(decide(&club_in_hand, &v, &c, Activity::Chop, 0), Step::Unequip);
        let ready = pack(&c, &[("stone axe", 1, hand)]);
        assert_eq!(decide(&ready, &v, &c, Activity::Chop, 0), Step::Work(Want::Tree));
    }

    #[test]
    fn crafting_picks_only_what_can_be_made() {
        let c = content();
        let v = fed(&c);
        let club = c.recipe_named("club").unwrap().id;
        let branches = pack(&c, &[("branch", 3, 0)]);
        for roll in 0..8 {
            assert_eq!(decide(&branches, &v, &c, Activity::Craft, roll), Step::Craft(club));
        }
        let logs_no_axe = pack(&c, &[("log", 4, 0)]);
        assert_eq!(decide(&logs_no_axe, &v, &c, Activity::Craft, 0), Step::Work(Want::Anything));
    }

    #[test]
    fn a_full_bot_drops_its_biggest_material_and_a_spent_one_rests() {
        let c = content();
        let slots = c.item_rules.inventory_slots;
        let mut stacks: Vec<(&str, u32, u16)> = (0..slots).map(|s| ("berries", 1, s)).collect();
        stacks[7] = ("stone", 9, 7);
        stacks[8] = ("branch", 4, 8);
        let full = pack(&c, &stacks);
        assert_eq!(full.free, 0);
        assert_eq!(decide(&full, &fed(&c), &c, Activity::Gather, 0), Step::Drop(7, 9));
        let mut tired = fed(&c);
        tired.stamina = 0;
        assert_eq!(decide(&pack(&c, &[]), &tired, &c, Activity::Gather, 0), Step::Rest);
    }

    #[test]
    fn planting_needs_a_seed_and_fighting_takes_up_a_weapon() {
        let c = content();
        let v = fed(&c);
        assert_eq!(decide(&pack(&c, &[("seeds", 2, 3)]), &v, &c, Activity::Plant, 0), Step::Plant(3));
        assert_eq!(decide(&pack(&c, &[]), &v, &c, Activity::Plant, 0), Step::Work(Want::Anything));
        assert_eq!(decide(&pack(&c, &[("club", 1, 2)]), &v, &c, Activity::Fight, 0), Step::Equip(2));
        assert_eq!(decide(&pack(&c, &[]), &v, &c, Activity::Fight, 0), Step::Fight);
    }
}
