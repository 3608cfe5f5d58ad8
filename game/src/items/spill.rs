//! Whole containers at once: what a character carries (inventory and equipment, bags with what
//! they hold) spills into its corpse, slot for slot, in one change; a corpse that vanishes
//! takes what it holds with it, in one change.

use super::error::ItemError;
use super::plan::{Effect, ItemChange, Plan};
use super::world::{ItemWorld, Root};
use store::Container;

impl ItemWorld {
    /// Moves every item directly in `from` (with whatever it holds) into a new root container
    /// `to` of `capacity` slots, each to the slot it had. Refused, changing nothing, when `from`
    /// is not loaded, `to` already exists, or an occupied slot of `from` is beyond `capacity`.
    /// An empty `from` still creates `to` (an empty corpse).
    pub fn spill_into_new_container(
        &mut self,
        from: Container,
        to: Root,
        capacity: u16,
    ) -> Result<ItemChange, ItemError> {
        let root = to.container();
        if self.containers.contains_key(&root) {
            return Err(ItemError::ContainerExists(root));
        }
        let slots = self.slots(from)?;
        let mut plan = Plan::new("spill");
        plan.effects.push(Effect::NewContainer { root, capacity });
        for (slot, id) in slots.occupied() {
            if slot >= capacity {
                return Err(ItemError::NoRoom(root));
            }
            let count = self.items.get(&id).map_or(0, |i| i.count);
            plan.count += count;
            plan.effects.push(Effect::Relocate { id, to: root, slot, count });
        }
        self.apply(plan, &mut || None::<i64>)
    }
}

impl ItemWorld {
    /// Deletes everything in container `c` (bags with what they hold, innermost first) in one
    /// change: a corpse vanishing with what it holds. The container stays, empty.
    pub fn destroy_contents(&mut self, c: Container) -> Result<ItemChange, ItemError> {
        self.slots(c)?;
        let ids = self.subtree(c);
        let mut plan = Plan::new("destroy");
        for &id in ids.iter().rev() {
            plan.count += self.items.get(&id).map_or(0, |i| i.count);
            plan.effects.push(Effect::Delete { id });
        }
        self.apply(plan, &mut || None::<i64>)
    }
}
