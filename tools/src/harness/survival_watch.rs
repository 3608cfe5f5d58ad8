//! How a survival action goes over the wire: the message a [`Plan`] becomes (made with the client
//! library's helpers), what answers it with an Error ([`Answer`]) and what shows it took effect
//! ([`Watch`]): CraftProgress, a container's revision moving on, the bot's own line heard back,
//! the attack target's health dropping, items arriving in the inventory, a crop appearing where a
//! seed was planted.

use super::item_plan::still_there;
use super::order_watch::{LOST_GRACE, OrderWatch};
use super::survival_counts::SurvivalSeen;
use super::survival_plan::{Plan, use_request};
use game::client::GameClient;
use game::geom::MapGeometry;
use game::wire::{error as code, verb};
use net::protocol::{ClientMessage, ContainerRef, EntityId, Order};
use std::time::Instant;

/// Where an Error answering the pending action comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A request: its id.
    Request(u32),
    /// An attack Input: its sequence number (refused with 100 or 101).
    Input(u32),
    /// An interact Input that gathers: its sequence number (refused with 100 or 101, or by the
    /// gathering it ordered: 124, 130–133, 146 and the item codes 103–119).
    Work(u32),
    /// An interact Input on a way: its sequence number (refused with 100 or 101, or 150 when no
    /// shard simulates the map it leads to).
    Way(u32),
}

impl Answer {
    /// True when an Error with `code` about `request` answers this.
    pub fn answered_by(self, code: u16, request: u32) -> bool {
        match self {
            Answer::Request(id) => request == id,
            Answer::Input(seq) => request == seq && is_order_refusal(code),
            Answer::Work(seq) => request == seq && (is_order_refusal(code) || is_gathering_refusal(code)),
            Answer::Way(seq) => request == seq && (is_order_refusal(code) || code == code::WAY_CLOSED),
        }
    }
}

/// The refusals of an order itself (100, 101).
fn is_order_refusal(c: u16) -> bool {
    matches!(c, code::INVALID_ORDER | code::NO_SUCH_TARGET)
}

/// The refusals of the gathering an interact ordered (schemas/protocol.md, *Gathering and
/// planting*): no stamina, no tool, nothing at this stage, nothing left, no room, dead, and the
/// item codes.
fn is_gathering_refusal(c: u16) -> bool {
    matches!(c, code::NOT_ENOUGH_STAMINA | code::DEAD)
        || (code::NEED_TOOL..=code::GATHER_NO_ROOM).contains(&c)
        || (code::NO_SUCH_CONTAINER..=code::STORAGE_BUSY).contains(&c)
}

/// What tells that the pending action took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watch {
    /// CraftProgress about the request (`SurvivalPlay::craft_progress`).
    Craft,
    /// The container's revision moves on from `revision`.
    Revision { container: ContainerRef, revision: u32 },
    /// The bot's own line is heard back (`SurvivalPlay::heard`).
    Heard,
    /// Until `until`, the target's health is watched; `landed` once it was seen to drop.
    Attack { target: EntityId, last_hp: u16, until: Instant, landed: bool },
    /// The own inventory holds more than `own_items` items (what the work gave arrived); the
    /// interact order is watched in the frame head (over without items: ended), and the target
    /// in view (gone without items: another took it first).
    Gain { own_items: u32, order: OrderWatch, gone_since: Option<Instant> },
    /// An object of kind `crop` lies at `at` (the planted seed's ObjectDelta enter; the spot was
    /// free when planned).
    Planted { crop: u32, at: (i32, i32) },
    /// A Welcome on another map than `from` (`SurvivalPlay::arrived`). Until the Redirect comes
    /// the interact order is watched in the frame head (over without one: ended).
    Travel { from: u32, order: OrderWatch, redirected: bool },
}

/// How the watched effect stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Not yet.
    Waiting,
    /// Seen.
    Done,
    /// Over without effect (a craft cancelled or failed, an attack that landed no hit, an
    /// interact order that stopped).
    Ended,
    /// The target went to someone else first.
    Lost,
}

/// Items in the own inventory (equipment included), all kinds together.
pub fn own_items(game: &GameClient) -> u32 {
    let own = game.container(&ContainerRef::Own);
    own.map_or(0, |v| v.slots.values().map(|s| s.count).sum())
}

/// True when an object of kind `kind` lies exactly at `at`.
fn lies_at(game: &GameClient, kind: u32, at: (i32, i32)) -> bool {
    let (cx, cy) = MapGeometry::chunk_of(at.0, at.1);
    let chunk = game.world().chunks().get(cx, cy);
    chunk.is_some_and(|c| c.objects().iter().any(|o| u32::from(o.kind) == kind && (o.x, o.y) == at))
}

impl Watch {
    /// Looks at what `game` holds now; an attack adds the damage it sees to `seen` and is over at
    /// its end or its target's death.
    pub fn progress(&mut self, game: &GameClient, now: Instant, seen: &mut SurvivalSeen) -> Progress {
        match self {
            Watch::Revision { container, revision } => {
                let moved = game.container(container).is_some_and(|v| v.revision != *revision);
                if moved { Progress::Done } else { Progress::Waiting }
            }
            Watch::Attack { target, last_hp, until, landed } => {
                let hp = game.world().entity(*target).map_or(0, |e| e.state.hp);
                if hp < *last_hp {
                    seen.damage_dealt += u64::from(*last_hp - hp);
                    *landed = true;
                }
                *last_hp = hp;
                match (now < *until && hp > 0, *landed) {
                    (true, _) => Progress::Waiting,
                    (false, true) => Progress::Done,
                    (false, false) => Progress::Ended,
                }
            }
            Watch::Gain { own_items: before, order, gone_since } => {
                if own_items(game) > *before {
                    return Progress::Done;
                }
                if still_there(game, order.target, order.at) {
                    *gone_since = None;
                } else if now.saturating_duration_since(*gone_since.get_or_insert(now)) >= LOST_GRACE {
                    return Progress::Lost;
                }
                if order.ended(game, now) { Progress::Ended } else { Progress::Waiting }
            }
            Watch::Planted { crop, at } => {
                if lies_at(game, *crop, *at) {
                    Progress::Done
                } else {
                    Progress::Waiting
                }
            }
            Watch::Travel { order, redirected, .. } => {
                if !*redirected && order.ended(game, now) {
                    Progress::Ended
                } else {
                    Progress::Waiting
                }
            }
            Watch::Craft | Watch::Heard => Progress::Waiting,
        }
    }
}

/// The message for `plan`, where its answer comes from, and what shows its effect.
pub fn request(plan: Plan, game: &mut GameClient, now: Instant) -> (ClientMessage, Answer, Watch) {
    match plan {
        Plan::Craft { recipe } => {
            let c = game.craft_request(recipe, 1, EntityId::NONE);
            (ClientMessage::Craft(c), Answer::Request(c.request), Watch::Craft)
        }
        Plan::Equip { from, hand } => {
            let m = game.move_request(from, (ContainerRef::Own, hand), 1);
            let watch = Watch::Revision { container: ContainerRef::Own, revision: m.to_revision };
            (ClientMessage::InventoryMove(m), Answer::Request(m.request), watch)
        }
        Plan::Unequip { hand, to } => {
            let m = game.move_request((ContainerRef::Own, hand), to, 1);
            let watch = Watch::Revision { container: ContainerRef::Own, revision: m.from_revision };
            (ClientMessage::InventoryMove(m), Answer::Request(m.request), watch)
        }
        Plan::Eat { from } => {
            let u = use_request(game, from);
            let watch = Watch::Revision { container: from.0, revision: u.revision };
            (ClientMessage::UseItem(u), Answer::Request(u.request), watch)
        }
        Plan::Chat { text } => {
            let c = game.chat_request(text);
            let request = c.request;
            (ClientMessage::Chat(c), Answer::Request(request), Watch::Heard)
        }
        Plan::Attack { target, hp, length } => {
            let input = game.input_at(Order::Attack(target), now);
            let watch = Watch::Attack { target, last_hp: hp, until: now + length, landed: false };
            (ClientMessage::Input(input), Answer::Input(input.seq), watch)
        }
        Plan::Interact { object, .. } => {
            let watch = Watch::Gain {
                own_items: own_items(game),
                order: OrderWatch::new(&object, game),
                gone_since: None,
            };
            let order = Order::Interact { target: EntityId(object.entity), action: verb::USE };
            let input = game.input_at(order, now);
            (ClientMessage::Input(input), Answer::Work(input.seq), watch)
        }
        Plan::Travel { way, from } => {
            let watch = Watch::Travel { from, order: OrderWatch::new(&way, game), redirected: false };
            let input =
                game.input_at(Order::Interact { target: EntityId(way.entity), action: verb::USE }, now);
            (ClientMessage::Input(input), Answer::Way(input.seq), watch)
        }
        Plan::Plant { from, at, crop } => {
            let p = game.plant_request(from.0, from.1, at);
            (ClientMessage::Plant(p), Answer::Request(p.request), Watch::Planted { crop, at })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interact_is_answered_by_the_refusals_of_the_gathering_it_ordered() {
        let (work, attack) = (Answer::Work(7), Answer::Input(7));
        assert!(work.answered_by(code::NOT_READY, 7) && work.answered_by(code::NO_SUCH_TARGET, 7));
        assert!(work.answered_by(code::STORAGE_BUSY, 7) && work.answered_by(code::NOT_ENOUGH_STAMINA, 7));
        assert!(!work.answered_by(code::NOT_READY, 8), "another input's");
        assert!(!work.answered_by(code::CHAT_TOO_FAST, 7), "a chat's, whose request id is 7 too");
        assert!(attack.answered_by(code::INVALID_ORDER, 7) && !attack.answered_by(code::NOT_READY, 7));
        let way = Answer::Way(7);
        assert!(way.answered_by(code::WAY_CLOSED, 7) && way.answered_by(code::NO_SUCH_TARGET, 7));
        assert!(!way.answered_by(code::WAY_CLOSED, 8) && !way.answered_by(code::NOT_READY, 7));
        assert!(!work.answered_by(code::WAY_CLOSED, 7), "a gathering is not refused so");
        assert!(
            Answer::Request(7).answered_by(code::BAD_SOIL, 7)
                && !Answer::Request(7).answered_by(code::BAD_SOIL, 6)
        );
    }
}
