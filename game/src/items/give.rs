//! Giving several stacks at once, all or nothing: what gathering yields (a bush's branches,
//! berries and seeds) arrives in one change, or nothing arrives when any of it does not fit.

use super::error::ItemError;
use super::place::Stack;
use super::plan::{Effect, IdSource, ItemChange, Plan};
use super::world::{ItemId, ItemWorld};
use store::Container;

/// Stands for a slot an earlier stack of the same change takes (ids of stored items are
/// positive, so it names no item).
const TAKEN: ItemId = -1;

impl ItemWorld {
    /// Creates every stack of `stacks` in `to`, each merged into the stacks of the same kind
    /// and quality (slot order), then into free slots (never equipment slots), each new stack a
    /// new id, all in one change. Stacks of the same kind and quality are given as one.
    /// Refused, changing nothing, when any of it does not fit (`NoRoom`), a count is 0
    /// (`BadCount`), a kind is unknown, `to` is not loaded, or there are too few ids.
    pub fn give_all(
        &mut self,
        to: Container,
        stacks: &[Stack],
        ids: &mut dyn IdSource,
    ) -> Result<ItemChange, ItemError> {
        let plan = self.plan_give_all(to, stacks)?;
        self.apply(plan, ids)
    }

    /// Checks that [`ItemWorld::give_all`] would fit all of `stacks` in `to`, changing nothing
    /// (the ids it would need aside): refused exactly as it would be.
    pub fn check_give_all(&self, to: Container, stacks: &[Stack]) -> Result<(), ItemError> {
        self.plan_give_all(to, stacks).map(|_| ())
    }

    fn plan_give_all(&self, to: Container, stacks: &[Stack]) -> Result<Plan, ItemError> {
        let depth = self.depth(to).ok_or(ItemError::NoSuchContainer(to))?;
        self.check_nesting(to, depth, None)?;
        // The container as the stacks before each one leave it.
        let mut after = self.slots(to)?.clone();
        let mut plan = Plan::new("gather");
        for stack in combined(stacks) {
            if stack.count == 0 {
                return Err(ItemError::BadCount { count: 0, held: 0 });
            }
            let kind = self.kind(stack.kind)?;
            let fill = self.fill((to, &after), kind, stack.quality, stack.count, None, true);
            if fill.placed < stack.count {
                return Err(ItemError::NoRoom(to));
            }
            plan.count = plan.count.saturating_add(stack.count);
            plan.effects.extend(fill.merges.iter().map(|&(id, count)| Effect::Count { id, count }));
            for &(slot, count) in &fill.free {
                after.slots[usize::from(slot)] = Some(TAKEN);
                let (kind, quality) = (stack.kind, stack.quality);
                plan.effects.push(Effect::Create { kind, quality, count, to, slot });
            }
        }
        Ok(plan)
    }
}

/// The stacks with those of the same kind and quality added together, in first-seen order.
fn combined(stacks: &[Stack]) -> Vec<Stack> {
    let mut out: Vec<Stack> = Vec::with_capacity(stacks.len());
    for s in stacks {
        match out.iter_mut().find(|o| o.kind == s.kind && o.quality == s.quality) {
            Some(o) => o.count = o.count.saturating_add(s.count),
            None => out.push(*s),
        }
    }
    out
}
