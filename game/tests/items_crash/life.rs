//! The crash play's steps of a character's life: crafting (the overflow into a new ground
//! pile), eating, equipping and unequipping, dying into a corpse, looting it and the corpse
//! vanishing with what it holds, each as the items system performs it and each booked in
//! `Play::expected` (see `play.rs`).

use game::content::Recipe;
use game::items::{Craft, CraftOutcome, EquipSlot, GroundPile, Root, Source, Target};
use store::{Container, ItemRecord};

use super::{Done, Play, fresh, object};
use crate::steps::Count;

impl Play {
    /// A craft of the `recipe`th shipped recipe (what `gameplay/items/craft.rs` does at a
    /// craft's finish): the preview first; an overflow offered a new pile when `offer_pile`,
    /// the pile's object put first in the transaction.
    pub(super) fn craft(
        &mut self,
        player: usize,
        recipe: usize,
        times: u16,
        experience: u64,
        offer_pile: bool,
    ) -> Done {
        let content = self.kinds.content.clone();
        let recipe = content.recipes.iter().nth(recipe % content.recipes.len()).expect("shipped recipes");
        let craft = Craft { player: Self::player(player), recipe: recipe.id, times, experience };
        let preview = self.world.craft_preview(craft)?;
        let (pile_kind, capacity) = self.kinds.pile;
        let id = self.next_object;
        let ground =
            (offer_pile && preview.overflow > 0).then_some(GroundPile { root: Root::Object(id), capacity });
        let next = &mut self.next_item;
        let mut done = self.world.craft(craft, ground, &mut || fresh(next))?;
        assert_eq!(done.outcome, preview, "the preview is what the craft does");
        check_recipe(recipe, times, &done.outcome);
        if let Some(pile) = done.pile {
            assert_eq!(pile, Root::Object(id), "the overflow went into the pile offered");
            let record = object(id, pile_kind, 0);
            done.change.put_object_first(record.clone());
            self.objects.insert(id, record);
            self.next_object += 1;
        }
        for s in &done.outcome.consumed {
            self.book_out(s.kind, s.quality, s.count);
        }
        let made = done.outcome.result;
        self.book_in(made.kind, made.quality, made.count);
        Ok(Some(done.change.tx))
    }

    /// The items in the containers the player may touch, in their order.
    fn touchable(&self, player: i64) -> Vec<ItemRecord> {
        let all = self.reachable(player);
        all.iter().flat_map(|&c| self.world.items_in(c).copied().collect::<Vec<_>>()).collect()
    }

    fn source_of(&self, item: &ItemRecord) -> Source {
        let slot = u16::try_from(item.slot).expect("a slot fits u16");
        Source::new(item.container, slot).seen(self.world.revision(item.container).unwrap_or(0))
    }

    /// One item of the `food`th food stack the player may touch eaten (UseItem): taken out of
    /// the world; the caller lowers hunger.
    pub(super) fn eat(&mut self, player: usize, food: usize) -> Done {
        let is_food = |i: &ItemRecord| self.kinds.content.item(i.kind).is_some_and(|k| k.food.is_some());
        let foods: Vec<ItemRecord> =
            self.touchable(Self::player(player)).into_iter().filter(is_food).collect();
        let Some(item) = foods.get(food % foods.len().max(1)).copied() else { return Ok(None) };
        let (change, taken) = self.world.take(self.source_of(&item), 1)?;
        assert_eq!((taken.kind, taken.quality, taken.count), (item.kind, item.quality, 1));
        self.book_out(item.kind, item.quality, 1);
        Ok(Some(change.tx))
    }

    fn equip_slot(&self, body: bool) -> (EquipSlot, u16) {
        let e = if body { EquipSlot::Body } else { EquipSlot::Hand };
        (e, e.slot(&self.kinds.content.item_rules))
    }

    /// The `item`th item the player may touch, whole, into its hand or body slot (an item
    /// that does not fit is refused, as is one onto another stack).
    pub(super) fn equip(&mut self, player: usize, item: usize, body: bool, fitting: bool) -> Done {
        let p = Self::player(player);
        let (e, slot) = self.equip_slot(body);
        let fits = |i: &ItemRecord| !fitting || self.kinds.content.item(i.kind).is_some_and(|k| e.accepts(k));
        let held: Vec<ItemRecord> = self.touchable(p).into_iter().filter(fits).collect();
        let Some(item) = held.get(item % held.len().max(1)).copied() else { return Ok(None) };
        let to = Container::Player(p);
        let target = Target { container: to, slot: Some(slot), revision: None };
        let target = target.seen(self.world.revision(to).unwrap_or(0));
        let source = self.source_of(&item);
        let next = &mut self.next_item;
        let change = self.world.move_stack(source, target, item.count, &mut || fresh(next))?;
        Ok(Some(change.tx))
    }

    /// What the hand or body slot holds, whole, into a container the player may touch.
    pub(super) fn unequip(&mut self, player: usize, body: bool, to: usize, to_slot: Option<u16>) -> Done {
        let p = Self::player(player);
        let (_, slot) = self.equip_slot(body);
        let Some(item) = self.world.item_at(Container::Player(p), slot).copied() else { return Ok(None) };
        let all = self.reachable(p);
        let to = all[to % all.len()];
        let capacity = self.world.container(to).map_or(0, |s| s.capacity());
        let target = Target { container: to, slot: to_slot.map(|s| s % (capacity + 1)), revision: None };
        let target = target.seen(self.world.revision(to).unwrap_or(0));
        let source = self.source_of(&item);
        let next = &mut self.next_item;
        let change = self.world.move_stack(source, target, item.count, &mut || fresh(next))?;
        Ok(Some(change.tx))
    }

    /// The player dies: what it carries spills into a new corpse (its object first in the
    /// transaction); a player carrying nothing leaves none.
    pub(super) fn die(&mut self, player: usize) -> Done {
        let from = Container::Player(Self::player(player));
        if self.world.items_in(from).next().is_none() {
            return Ok(None);
        }
        let (kind, capacity) = self.kinds.corpse;
        let id = self.next_object;
        let mut change = self.world.spill_into_new_container(from, Root::Object(id), capacity)?;
        let record = object(id, kind, 0);
        change.put_object_first(record.clone());
        self.objects.insert(id, record);
        self.next_object += 1;
        Ok(Some(change.tx))
    }

    /// The `n`th corpse, if there is any.
    fn corpse(&self, n: usize) -> Option<i64> {
        let corpses = self.objects_of(self.kinds.corpse.0);
        corpses.get(n % corpses.len().max(1)).copied()
    }

    /// A stack (or part of it) of a corpse into the player's inventory.
    pub(super) fn loot(&mut self, player: usize, corpse: usize, slot: u16, count: Count) -> Done {
        let Some(corpse) = self.corpse(corpse) else { return Ok(None) };
        let source = self.source(Container::Object(corpse), slot);
        let n = self.how_many(source, count);
        let to = Container::Player(Self::player(player));
        let target = Target::any(to).seen(self.world.revision(to).unwrap_or(0));
        let next = &mut self.next_item;
        let change = self.world.move_stack(source, target, n, &mut || fresh(next))?;
        Ok(Some(change.tx))
    }

    /// A corpse vanishes: its contents destroyed and its object deleted last, in one
    /// transaction; what it held is booked out.
    pub(super) fn vanish(&mut self, corpse: usize) -> Done {
        let Some(id) = self.corpse(corpse) else { return Ok(None) };
        let c = Container::Object(id);
        let gone: Vec<ItemRecord> =
            self.world.records().filter(|r| self.root_of(r.container) == Some(c)).copied().collect();
        let mut change = self.world.destroy_contents(c)?;
        change.delete_object_last(id);
        assert_eq!(
            self.world.remove_container(Root::Object(id)),
            Ok(vec![]),
            "a destroyed corpse holds nothing"
        );
        self.objects.remove(&id);
        for r in gone {
            self.book_out(r.kind, r.quality, r.count);
        }
        Ok(Some(change.tx))
    }
}

/// A craft made what its recipe says: each ingredient's `count × times` consumed (in whatever
/// qualities), the result's `count × times` made.
fn check_recipe(recipe: &Recipe, times: u16, o: &CraftOutcome) {
    let times = u32::from(times);
    for ingredient in &recipe.ingredients {
        let used: u32 = o.consumed.iter().filter(|s| s.kind == ingredient.kind).map(|s| s.count).sum();
        assert_eq!(used, ingredient.count * times, "{} consumed of kind {}", recipe.name, ingredient.kind);
    }
    let kinds = |k: u32| recipe.ingredients.iter().any(|i| i.kind == k);
    assert!(o.consumed.iter().all(|s| kinds(s.kind)), "{} consumed only its ingredients", recipe.name);
    assert_eq!((o.result.kind, o.result.count), (recipe.result.kind, recipe.result.count * times));
}
