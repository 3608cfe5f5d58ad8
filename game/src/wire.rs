//! The one place the game meets the wire: game orders from wire orders and their Frame-head codes,
//! the kinds of enter records, and the game's close and error codes (the protocol reserves
//! 4100..=4999 and 100..=65535 for them, `schemas/protocol.md` §5).

use crate::content::StatRules;
use crate::orders::Order;
use crate::stats::{Experience, Vitals};
use engine::Entity;
use net::protocol::{EntityId, Order as WireOrder, Stats, order_code as code};

/// Enter-record kind of a player's character.
pub const KIND_PLAYER: u16 = 1;
/// Enter-record kind of a bot.
pub const KIND_BOT: u16 = 2;

/// Game close codes (4100–4999) a connection can end with.
pub mod close {
    /// Wrong or missing session token for an existing name.
    pub const WRONG_TOKEN: u16 = 4100;
    /// No spawn spot could be found.
    pub const SPAWN_FAILED: u16 = 4101;
    /// Storage is unavailable or too slow; try again later.
    pub const TRY_LATER: u16 = 4102;
    /// The same character logged in on another connection.
    pub const REPLACED: u16 = 4103;
    /// The character's map is simulated by no reachable shard.
    pub const MAP_UNAVAILABLE: u16 = 4104;
    /// The name is empty or not acceptable.
    pub const BAD_NAME: u16 = 4105;
    /// This shard stopped simulating the character's map (its lease was lost) and knows no new
    /// owner yet: log in again shortly.
    pub const MAP_LOST: u16 = 4106;
    /// A Redirect was sent just before: connect to its address with its token.
    pub const REDIRECTED: u16 = 4107;
    /// The one-time hand-off token of a mid-session Redirect was refused (unknown, already
    /// used, expired or meant for another shard): log in again with the own session token at
    /// the shard that sent the Redirect.
    pub const HANDOFF_REFUSED: u16 = 4108;
    /// The shard is shutting down.
    pub const SHUTTING_DOWN: u16 = net::protocol::close_code::GOING_AWAY;
}

/// Interact verbs: the `action` byte of an Input with order 3 (interact).
pub mod verb {
    /// Use the target: open a box, pick up a pile of items, gather from an object that gives
    /// something (fell a tree, pick a bush, break stones off a rock, harvest a crop).
    pub const USE: u8 = 0;
    /// Pick the target up: a pile's items, or an empty box, which becomes a box item.
    pub const PICK_UP: u8 = 1;
}

/// Game error codes (Error message; the connection stays open).
pub mod error {
    /// The order is not valid (target outside the map or too far away).
    pub const INVALID_ORDER: u16 = 100;
    /// The order's target entity does not exist here.
    pub const NO_SUCH_TARGET: u16 = 101;
    /// Reserved, unused: was "not available yet", the answer to Craft before crafting ran in
    /// play. Kept so the item codes after it keep their numbers.
    pub const NOT_AVAILABLE: u16 = 102;

    // Item refusals, one per `items::ItemError` variant (its `code()` and text).

    /// The container is not here (not loaded, or no such object or bag).
    pub const NO_SUCH_CONTAINER: u16 = 103;
    /// The slot is outside the container.
    pub const NO_SUCH_SLOT: u16 = 104;
    /// The slot holds no item.
    pub const EMPTY_SLOT: u16 = 105;
    /// The destination has no room for any of it.
    pub const NO_ROOM: u16 = 106;
    /// The item would end up inside itself.
    pub const WOULD_CONTAIN_ITSELF: u16 = 107;
    /// The item would be nested deeper than the rules allow.
    pub const TOO_DEEP: u16 = 108;
    /// The destination slot holds a different stack.
    pub const STACK_MISMATCH: u16 = 109;
    /// The container changed since the client saw it (revision).
    pub const STALE: u16 = 110;
    /// The count is 0 or more than the stack holds.
    pub const BAD_COUNT: u16 = 111;
    /// No item ids are available right now: try again.
    pub const NO_IDS: u16 = 112;
    /// The container is out of the character's reach (checked by the caller).
    pub const OUT_OF_REACH: u16 = 113;
    /// The container is not open for this character (checked by the caller).
    pub const NOT_OPEN: u16 = 114;
    /// The item still holds items.
    pub const NOT_EMPTY: u16 = 115;
    /// The container already exists.
    pub const CONTAINER_EXISTS: u16 = 116;
    /// A new item id is already in use (an id source handed it out twice).
    pub const ID_IN_USE: u16 = 117;
    /// The item kind is not in the content.
    pub const UNKNOWN_KIND: u16 = 118;
    /// Storage cannot take the change now: try again.
    pub const STORAGE_BUSY: u16 = 119;

    // Craft refusals (`items::CraftError`; its item-level refusals keep the codes above).

    /// The Craft message names no recipe of the content.
    pub const UNKNOWN_RECIPE: u16 = 120;
    /// The inventory and the bags in it hold too few of an ingredient.
    pub const MISSING_INGREDIENTS: u16 = 121;
    /// No item in the inventory or the bags in it serves as a tool the recipe needs.
    pub const MISSING_TOOL: u16 = 122;
    /// The result fits neither the inventory nor the ground pile offered for the rest.
    pub const CRAFT_NO_ROOM: u16 = 123;
    /// Not enough stamina for the repetitions asked (checked by the caller).
    pub const NOT_ENOUGH_STAMINA: u16 = 124;
    /// The recipe's station is not in the character's reach (checked by the caller).
    pub const STATION_NOT_IN_REACH: u16 = 125;
    /// The craft count is 0.
    pub const BAD_CRAFT_COUNT: u16 = 126;

    // Gathering and planting refusals (`gather::GatherError`; 138–139 reserved).

    /// The object needs a tool in the hand slot that is not there (an axe to fell a tree).
    pub const NEED_TOOL: u16 = 130;
    /// The object gives nothing at its stage: a tree too young, a bush bare, a crop not ripe.
    pub const NOT_READY: u16 = 131;
    /// The object changed while the character worked on it: nothing is left to gather.
    pub const NOTHING_LEFT: u16 = 132;
    /// The inventory has no room for all of what the object gives.
    pub const GATHER_NO_ROOM: u16 = 133;
    /// The item to plant is not a seed.
    pub const NOT_A_SEED: u16 = 134;
    /// The ground at the spot does not take the seed.
    pub const BAD_SOIL: u16 = 135;
    /// Something lies or stands at the spot to plant at.
    pub const SPOT_TAKEN: u16 = 136;
    /// The spot to plant at is beyond the character's reach.
    pub const TOO_FAR_TO_PLANT: u16 = 137;

    // Chat refusals, one per `chat::ChatError` variant (its `code()` and text).

    /// The chat line has more characters than the content's `chat.max_chars`.
    pub const CHAT_TOO_LONG: u16 = 140;
    /// The player said more lines than the content's `chat.per_10s` allows: wait.
    pub const CHAT_TOO_FAST: u16 = 141;
    /// Nothing is left of the chat line once sanitized.
    pub const CHAT_EMPTY: u16 = 142;
    /// The chat line holds a control character (C0, DEL, C1, line or paragraph separator).
    pub const CHAT_CONTROL_CHARACTER: u16 = 143;
    /// The chat line holds a bidirectional control (override, embedding, isolate or mark).
    pub const CHAT_BIDI_CONTROL: u16 = 144;

    // Vitals refusals (UseItem; 145–159 are the character's).

    /// The item cannot be used (it is not food).
    pub const NOT_USABLE: u16 = 145;
    /// The character is dead.
    pub const DEAD: u16 = 146;
    /// The character is not hungry: food would be wasted.
    pub const NOT_HUNGRY: u16 = 147;
    /// The equipment slot does not take this item (hand: tools and weapons; body: armor).
    pub const WRONG_SLOT: u16 = 148;
    /// A move to another shard did not complete (the client came back: its target was down or
    /// refused the token); the character is back where it left. Sent after the Welcome.
    pub const HANDOFF_RETURNED: u16 = 149;
    /// The way (a cave entrance or exit) leads to a map no live shard simulates now: the
    /// character stays. Its request is the seq of the Input that ordered the use.
    pub const WAY_CLOSED: u16 = 150;
}

/// The Stats message of a character's vitals and experience under `rules`.
pub fn stats_message(v: &Vitals, xp: &Experience, rules: &StatRules) -> Stats {
    Stats {
        health: v.health,
        max_health: rules.max_health,
        hunger: v.hunger,
        hunger_limit: rules.hunger_limit,
        stamina: v.stamina,
        max_stamina: rules.max_stamina,
        xp_combat: xp.combat,
        xp_crafting: xp.crafting,
        xp_gathering: xp.gathering,
    }
}

/// The Frame head's order code of `order` ([`net::protocol::order_code`]; idle is stop) and its
/// target's wire id (0 = none).
pub fn order_code(order: &Order) -> (u8, u64) {
    let kind = match order {
        Order::Idle => code::STOP,
        Order::MoveTo { .. } => code::MOVE_TO,
        Order::Follow { .. } => code::FOLLOW,
        Order::Interact { .. } => code::INTERACT,
        Order::Attack { .. } => code::ATTACK,
    };
    (kind, order.target().map_or(0, |t| t.to_bits()))
}

/// The game order a wire order asks for, its target resolved by `target` (which may refuse).
/// Stop is idle; interact's action id is the order's verb ([`verb`]).
pub fn order_from_wire<E>(
    order: WireOrder,
    target: impl Fn(EntityId) -> Result<Entity, E>,
) -> Result<Order, E> {
    Ok(match order {
        WireOrder::Stop => Order::Idle,
        WireOrder::MoveTo { x, y } => Order::MoveTo { x, y },
        WireOrder::Follow(id) => Order::Follow { target: target(id)? },
        WireOrder::Interact { target: id, action } => Order::Interact { target: target(id)?, verb: action },
        WireOrder::Attack(id) => Order::Attack { target: target(id)? },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use net::protocol::{close_code, error_code};

    #[test]
    fn game_codes_stay_in_their_ranges() {
        let closes = [close::WRONG_TOKEN, close::SPAWN_FAILED, close::TRY_LATER, close::REPLACED];
        let closes = [closes.as_slice(), &[close::MAP_UNAVAILABLE, close::BAD_NAME]].concat();
        assert!(closes.iter().all(|c| (close_code::GAME_FIRST..=4999).contains(c)));
        let errors = [error::INVALID_ORDER, error::NO_SUCH_TARGET, error::NOT_AVAILABLE];
        assert!(errors.iter().all(|&c| c >= error_code::GAME_FIRST));
        // The item codes follow, one per `ItemError` (each checked in tests/items_rules.rs).
        assert_eq!(error::NO_SUCH_CONTAINER, error::NOT_AVAILABLE + 1);
        // The craft codes follow the item codes and stay within 120..=129.
        let craft = [
            error::UNKNOWN_RECIPE,
            error::MISSING_INGREDIENTS,
            error::MISSING_TOOL,
            error::CRAFT_NO_ROOM,
            error::NOT_ENOUGH_STAMINA,
            error::STATION_NOT_IN_REACH,
            error::BAD_CRAFT_COUNT,
        ];
        assert_eq!(error::UNKNOWN_RECIPE, error::STORAGE_BUSY + 1);
        assert!(craft.iter().all(|c| (120..=129).contains(c)));
        assert!(craft.windows(2).all(|w| w[1] == w[0] + 1), "one code each, in order");
    }

    #[test]
    fn wire_orders_and_codes_agree() {
        let e = Entity::from_bits(EntityId::from_parts(3, 1).0);
        let resolve = |id: EntityId| Ok::<_, ()>(Entity::from_bits(id.0));
        let wire = [
            WireOrder::Stop,
            WireOrder::MoveTo { x: 5, y: -6 },
            WireOrder::Follow(EntityId(e.to_bits())),
            WireOrder::Interact { target: EntityId(e.to_bits()), action: 9 },
            WireOrder::Attack(EntityId(e.to_bits())),
        ];
        for w in wire {
            let game = order_from_wire(w, resolve).unwrap();
            assert_eq!(order_code(&game), (w.code(), w.target().0), "{w:?}");
        }
        assert_eq!(order_from_wire(WireOrder::Attack(EntityId(1)), |_| Err::<Entity, _>(7)), Err(7));
    }
}
