//! Equipment: a character's inventory container ends with two equipment slots, the hand (a
//! tool or a weapon: what the character works and fights with) and the body (armor). Equipping
//! and unequipping are ordinary item moves into and out of those slots, so they are atomic and
//! stored like any move; a stack placed "anywhere" in an inventory never lands in them, and a
//! move into one is refused unless the item's kind fits it.

use super::world::ItemWorld;
use crate::content::{ItemKind, ItemRules, ItemTag};
use store::{Container, ItemRecord};

/// One equipment slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EquipSlot {
    /// The tool or weapon in use: slot `inventory_slots`.
    Hand,
    /// Armor: slot `inventory_slots + 1`.
    Body,
}

impl EquipSlot {
    /// Both slots, in slot order.
    pub const ALL: [EquipSlot; 2] = [EquipSlot::Hand, EquipSlot::Body];

    /// The slot's index in the character's inventory container.
    pub fn slot(self, rules: &ItemRules) -> u16 {
        rules.inventory_slots + self as u16
    }

    /// The equipment slot at `slot` of a character's inventory, if it is one.
    pub fn at(rules: &ItemRules, slot: u16) -> Option<EquipSlot> {
        EquipSlot::ALL.into_iter().find(|e| e.slot(rules) == slot)
    }

    /// True when an item of `kind` may go in this slot: the hand takes tools, weapons and
    /// axes; the body takes armor.
    pub fn accepts(self, kind: &ItemKind) -> bool {
        match self {
            EquipSlot::Hand => {
                [ItemTag::Tool, ItemTag::Weapon, ItemTag::Axe].into_iter().any(|t| kind.has(t))
            }
            EquipSlot::Body => kind.has(ItemTag::Armor),
        }
    }

    /// Lower-case name for messages.
    pub fn name(self) -> &'static str {
        match self {
            EquipSlot::Hand => "hand",
            EquipSlot::Body => "body",
        }
    }
}

/// Slots of a character's inventory container: the inventory, then the equipment
/// ([`ItemRules::inventory_capacity`]).
pub fn inventory_capacity(rules: &ItemRules) -> u16 {
    rules.inventory_capacity()
}

impl ItemWorld {
    /// The equipment slot `slot` of container `c` is, if `c` is a character's inventory.
    pub(super) fn equip_slot(&self, c: Container, slot: u16) -> Option<EquipSlot> {
        match c {
            Container::Player(_) => EquipSlot::at(&self.content().item_rules, slot),
            _ => None,
        }
    }

    /// What `player` holds in equipment slot `e`.
    pub fn equipped(&self, player: i64, e: EquipSlot) -> Option<&ItemRecord> {
        self.item_at(Container::Player(player), e.slot(&self.content().item_rules))
    }
}
