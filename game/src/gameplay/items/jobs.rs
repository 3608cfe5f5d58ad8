//! The crafts running on a map (data only): who crafts what since when, and what the
//! character stood and was told at the start, so a new order or a step cancels the craft.

use crate::orders::{Order, OrderSlot, Outcome};
use engine::Entity;

/// The character's order as a Craft found it. A new order given since (any Input applied for
/// the character) cancels the craft; the order merely ending (done, or impossible) does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderMark {
    /// The order slot's `seq` then.
    pub seq: u32,
    /// The order then.
    pub order: Order,
}

impl OrderMark {
    /// The mark of `slot` as it is now.
    pub fn of(slot: &OrderSlot) -> OrderMark {
        OrderMark { seq: slot.seq, order: slot.current }
    }

    /// True when a new order was given since the mark. `seq` bumps both when an order is given
    /// and when one ends, so exactly one bump that ended the marked order (it is idle now and
    /// the marked order is the last, not replaced) is that order ending: the mark moves on to
    /// the idle slot, and any later order is seen as new.
    pub fn replaced(&mut self, slot: &OrderSlot) -> bool {
        if slot.seq == self.seq {
            return false;
        }
        let ended = slot.seq == self.seq.wrapping_add(1)
            && self.order != Order::Idle
            && slot.current == Order::Idle
            && matches!(slot.last, Some((o, outcome)) if o == self.order && outcome != Outcome::Replaced);
        if ended {
            *self = OrderMark::of(slot);
        }
        !ended
    }
}

/// One player's craft in progress (stamina already spent, nothing consumed yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CraftJob {
    /// The crafting player.
    pub player: i64,
    /// Its character.
    pub entity: Entity,
    /// The Craft's request id.
    pub request: u32,
    /// The recipe id.
    pub recipe: u16,
    /// Repetitions.
    pub count: u16,
    /// The station named (a recipe without one ignores it).
    pub station: Option<Entity>,
    /// Where the character stood at the start: a step cancels the craft.
    pub at: (i32, i32),
    /// The order it had: a new one cancels the craft.
    pub order: OrderMark,
    /// The tick it started at.
    pub started: u64,
    /// The tick it completes at: `started + ticks × count`.
    pub finish: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::Impossible;

    fn slot_with(order: Order) -> OrderSlot {
        let mut slot = OrderSlot::default();
        slot.give(order);
        slot
    }

    #[test]
    fn an_order_ending_moves_the_mark_and_a_new_one_replaces_it() {
        let walk = Order::MoveTo { x: 5, y: 5 };
        let mut slot = slot_with(walk);
        let mut mark = OrderMark::of(&slot);
        assert!(!mark.replaced(&slot), "nothing happened");
        slot.finish(Outcome::Done);
        assert!(!mark.replaced(&slot), "the walk ended on its own");
        assert_eq!(mark, OrderMark { seq: slot.seq, order: Order::Idle });
        slot.give(Order::Idle);
        assert!(mark.replaced(&slot), "a Stop after it is a new order");
    }

    #[test]
    fn any_order_given_replaces_even_a_stop_on_an_idle_character() {
        let mut slot = OrderSlot::default();
        let mut mark = OrderMark::of(&slot);
        slot.give(Order::Idle);
        assert!(mark.replaced(&slot));
        let mut slot = slot_with(Order::MoveTo { x: 1, y: 2 });
        let mut mark = OrderMark::of(&slot);
        slot.give(Order::MoveTo { x: 1, y: 2 });
        assert!(mark.replaced(&slot), "the same order given again is a new order");
        let mut slot = slot_with(Order::MoveTo { x: 1, y: 2 });
        let mut mark = OrderMark::of(&slot);
        slot.finish(Outcome::Impossible(Impossible::Blocked));
        slot.give(Order::Idle);
        assert!(mark.replaced(&slot), "ended and then replaced within one look");
    }
}
