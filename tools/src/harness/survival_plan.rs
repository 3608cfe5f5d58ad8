//! What a survival bot can do, read from what its client holds: the items in its inventory and
//! the bags shown (weapons, food, ingredients, told apart by the content, never by name), its
//! vitals (Stats), its own state in the frame head and the characters in view. Every [`Plan`]
//! names slots, recipes, objects and entities the server sent. Gathering, chopping, planting
//! and harvesting are planned in `survival_gather.rs`.

use super::item_plan::bag;
use super::rng::Rng;
use super::survival_mix::SurvivalAction;
use game::client::{CachedObject, GameClient};
use game::content::Recipe;
use game::geom::TILE;
use game::items::EquipSlot;
use net::protocol::{ContainerRef, EntityId, ItemSlot, UseItem, order_code};
use std::time::Duration;

/// What the bots say now and then (one line picked at random).
pub const CHAT_LINES: [&str; 6] = [
    "hello there",
    "anyone seen a bush around here?",
    "this club is not much, but it is mine",
    "berries again...",
    "watch your back",
    "good hunting",
];

/// Bots attack only characters this close (a walk of a few seconds).
pub const ATTACK_PICK_RANGE: i32 = 12 * TILE;
/// An attack lasts between these many milliseconds.
pub const ATTACK_MS: (u64, u64) = (3_000, 6_000);

/// One survival action, ready to become a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// A Craft of one repetition of `recipe`, by hand.
    Craft {
        /// The recipe id.
        recipe: u16,
    },
    /// An InventoryMove of the weapon at `from` into the hand slot `hand`.
    Equip {
        /// Where the weapon is.
        from: (ContainerRef, u16),
        /// The hand slot of the own inventory.
        hand: u16,
    },
    /// A UseItem on the food at `from`.
    Eat {
        /// Where the food is.
        from: (ContainerRef, u16),
    },
    /// A Chat saying `text`.
    Chat {
        /// The line.
        text: &'static str,
    },
    /// An attack on `target`, whose health was `hp` when chosen, for `length`, then a Stop.
    Attack {
        /// The character attacked.
        target: EntityId,
        /// Its health then.
        hp: u16,
        /// How long the attack goes on.
        length: Duration,
    },
    /// An InventoryMove of the item in the hand slot `hand` to the free slot `to` (room in
    /// the hand for a tool).
    Unequip {
        /// The hand slot of the own inventory.
        hand: u16,
        /// Where the item goes.
        to: (ContainerRef, u16),
    },
    /// An interact (Input order 3, use) on `object`: gathering, chopping or harvesting.
    Interact {
        /// Which of the three.
        action: SurvivalAction,
        /// The object worked on.
        object: CachedObject,
    },
    /// An interact (use) on `way`, which leads from map `from` to another layer.
    Travel {
        /// The cave entrance or way out.
        way: CachedObject,
        /// The map the bot is on.
        from: u32,
    },
    /// A Plant of the seed at `from` at `at`, where a `crop` (object kind) grows.
    Plant {
        /// Where the seed is.
        from: (ContainerRef, u16),
        /// Where it goes, 1/256 tile.
        at: (i32, i32),
        /// The object kind it grows into.
        crop: u32,
    },
}

impl Plan {
    /// Which action it is.
    pub fn action(&self) -> SurvivalAction {
        match self {
            Plan::Craft { .. } => SurvivalAction::Craft,
            Plan::Equip { .. } => SurvivalAction::Equip,
            Plan::Eat { .. } => SurvivalAction::Eat,
            Plan::Chat { .. } => SurvivalAction::Chat,
            Plan::Attack { .. } => SurvivalAction::Attack,
            Plan::Unequip { .. } => SurvivalAction::Equip,
            Plan::Interact { action, .. } => *action,
            Plan::Plant { .. } => SurvivalAction::Plant,
            Plan::Travel { .. } => SurvivalAction::Travel,
        }
    }

    /// True when the character must stand still for it: a walk cancels a craft, and a seed is
    /// planted within reach of where the character stands.
    pub fn needs_standing_still(&self) -> bool {
        matches!(self, Plan::Craft { .. } | Plan::Plant { .. })
    }
}

/// The hand slot of the own inventory (`inventory_slots`).
pub fn hand_slot(game: &GameClient) -> u16 {
    EquipSlot::Hand.slot(&game.world().content().item_rules)
}

/// The items the character carries outside its equipment slots: the inventory's first
/// `inventory_slots` slots and the bag shown (where crafting takes ingredients and tools).
pub fn carried(game: &GameClient) -> Vec<(ContainerRef, ItemSlot)> {
    let limit = game.world().content().item_rules.inventory_slots;
    let mut out: Vec<(ContainerRef, ItemSlot)> = game
        .container(&ContainerRef::Own)
        .map(|v| {
            v.slots
                .values()
                .filter(|s| s.slot < limit && s.count > 0)
                .map(|s| (ContainerRef::Own, *s))
                .collect()
        })
        .unwrap_or_default();
    if let Some(b) = bag(game)
        && let Some(view) = game.container(&b)
    {
        out.extend(view.slots.values().filter(|s| s.count > 0).map(|s| (b, *s)));
    }
    out
}

/// True when items of `kind` are weapons.
fn is_weapon(game: &GameClient, kind: u32) -> bool {
    game.world().content().item(kind).is_some_and(|k| k.weapon.is_some())
}

/// The item in the hand slot, if any.
pub fn in_hand(game: &GameClient) -> Option<ItemSlot> {
    game.container(&ContainerRef::Own)?.slot(hand_slot(game)).copied()
}

/// True when the character holds a weapon: in its hand, its inventory or its bag.
pub fn holds_weapon(game: &GameClient) -> bool {
    in_hand(game).is_some_and(|s| is_weapon(game, s.kind))
        || carried(game).iter().any(|(_, s)| is_weapon(game, s.kind))
}

/// True when the character stands still with no order (the frame head's order 0, no velocity):
/// a craft started now is not cancelled by its own walk.
pub fn standing_still(game: &GameClient) -> bool {
    game.world()
        .own()
        .is_some_and(|o| o.state.order == order_code::STOP && o.state.vx == 0 && o.state.vy == 0)
}

/// True when the newest Frame head shows the own character alive (health above 0). Its position
/// is then where the character is: a dead character's frames show where it fell, and after a
/// respawn the Stats saying so come before the Frame that shows where it came back (the shard
/// sends Stats first in a tick, the frames of clients that gave no input after); a move-to
/// worked out from where it fell may lie more than 3 chunks from where it stands (Error 100).
pub fn shown_alive(game: &GameClient) -> bool {
    game.world().own().is_some_and(|o| o.state.hp > 0)
}

/// The first recipe by hand whose result kind is `wanted`, whose ingredients and tools the
/// character carries and whose stamina it has.
pub fn craftable(game: &GameClient, wanted: impl Fn(u32) -> bool) -> Option<&Recipe> {
    let stamina = u32::from(game.world().vitals()?.stamina);
    let content = game.world().content();
    let held = carried(game);
    let count_of = |kind: u32| held.iter().filter(|(_, s)| s.kind == kind).map(|(_, s)| s.count).sum::<u32>();
    let serves = |need: &game::content::ToolNeed| {
        held.iter().any(|(_, s)| content.item(s.kind).is_some_and(|k| need.met_by(k)))
    };
    content.recipes.iter().find(|r| {
        wanted(r.result.kind)
            && r.station.is_none()
            && stamina >= r.stamina
            && r.ingredients.iter().all(|i| count_of(i.kind) >= i.count)
            && r.tools.iter().all(serves)
    })
}

/// A recipe by hand whose result is a weapon, for a character that holds no weapon yet and
/// carries its ingredients and tools and has its stamina (the club from the starter kit's
/// three branches).
pub fn craft_weapon(game: &GameClient) -> Option<Plan> {
    if holds_weapon(game) {
        return None;
    }
    let recipe = craftable(game, |kind| is_weapon(game, kind))?;
    Some(Plan::Craft { recipe: recipe.id })
}

/// True when items of `kind` are the tool some object's gathering needs in hand (the axe).
pub fn is_gathering_tool(game: &GameClient, kind: u32) -> bool {
    let content = game.world().content();
    let Some(item) = content.item(kind) else { return false };
    content.objects.iter().filter_map(|o| content.gather(o.id)?.tool).any(|tag| item.has(tag))
}

/// A weapon carried, into the empty hand slot: one that is also a gathering tool (the axe)
/// first, so that equipping and chopping agree on what the hand should hold.
pub fn equip_weapon(game: &GameClient) -> Option<Plan> {
    if in_hand(game).is_some() {
        return None;
    }
    let weapons = carried(game).into_iter().filter(|(_, s)| is_weapon(game, s.kind));
    let (c, s) = weapons.min_by_key(|(_, s)| !is_gathering_tool(game, s.kind))?;
    Some(Plan::Equip { from: (c, s.slot), hand: hand_slot(game) })
}

/// Food carried, while the Stats show hunger above 0.
pub fn eat_food(game: &GameClient) -> Option<Plan> {
    if game.world().vitals()?.hunger == 0 {
        return None;
    }
    let content = game.world().content();
    let food = |s: &ItemSlot| content.item(s.kind).is_some_and(|k| k.food.is_some());
    let (c, s) = carried(game).into_iter().find(|(_, s)| food(s))?;
    Some(Plan::Eat { from: (c, s.slot) })
}

/// A line to say.
pub fn chat_line(rng: &mut Rng) -> Plan {
    let i = rng.range(0, CHAT_LINES.len() as i64 - 1) as usize;
    Plan::Chat { text: CHAT_LINES[i] }
}

/// A living character other than the bot's own within [`ATTACK_PICK_RANGE`] (a server bot or
/// another client), picked at random, attacked for [`ATTACK_MS`].
pub fn attack_nearby(game: &GameClient, rng: &mut Rng) -> Option<Plan> {
    let world = game.world();
    let (own, me) = (world.own()?, world.player());
    let near = |id: EntityId, hp: u16, x: i32, y: i32| {
        let (dx, dy) = (i64::from(x - own.state.x), i64::from(y - own.state.y));
        Some(id) != me && hp > 0 && dx * dx + dy * dy <= i64::from(ATTACK_PICK_RANGE).pow(2)
    };
    let candidates = || world.entities().filter(|(id, e)| near(*id, e.state.hp, e.state.x, e.state.y));
    let n = candidates().count();
    if n == 0 {
        return None;
    }
    let (target, e) = candidates().nth(rng.range(0, n as i64 - 1) as usize)?;
    let length = rng.millis(ATTACK_MS.0, ATTACK_MS.1);
    Some(Plan::Attack { target, hp: e.state.hp, length })
}

/// A UseItem of the item at `slot` of `container` (eating), made against the revision held.
pub fn use_request(game: &mut GameClient, (container, slot): (ContainerRef, u16)) -> UseItem {
    game.use_item_request(container, slot)
}
