//! Gameplay mode (`bots --mode gameplay`): besides walking, each bot handles items as a player
//! would, one action at a time, one every 1–3 s. While it carries its box it moves stacks between
//! its inventory and its bag (splits and merges), drops a few items (a pile appears), picks up
//! piles it sees nearby (its own or others'), and now and then places its box; then it stands by
//! the box: opens it (interact, verb USE), stashes a stack or two, takes everything back, closes
//! it and picks it up again (interact, verb PICK_UP).
//!
//! Requests are made with the client library's helpers ([`GameClient::move_request`] and the
//! others), against the revisions the client holds, from what the server showed: the containers
//! and the objects in the bot's chunks ([`super::item_plan`]). An action is *done* when its
//! change is observed (the source container's revision moved on, the box was shown or closed, a
//! new box appeared beside the bot, the picked-up object's items arrived), *refused* when an
//! Error names its request (an item request's id; an interact's input sequence number for the
//! order refusals 100/101, request 0 for the item refusals the interact meets), *lost* when a
//! picked-up object vanished without reaching the inventory (another player was first), *ended*
//! when the character's interact order (pickup, open, pick up the box) was seen in the frame
//! head and then ended without the change (blocked on the way, or the target gone: the server
//! sends nothing then), and *unanswered* after [`ACTION_TIMEOUT`].

use super::item_counts::{Action, ActionKind, ItemTotals};
use super::item_plan::{
    Plan, drop_some, inventory_move, object_ref, objects_near, pile_nearby, place_box, stash, still_there,
    take_back,
};
use super::order_watch::{LOST_GRACE, OrderWatch};
use super::rng::Rng;
use game::client::{CachedObject, GameClient};
use game::geom::TILE;
use game::wire::{error as code, verb};
use net::protocol::{ClientMessage, ContainerRef, EntityId, Order};
use std::time::{Duration, Instant};

/// An action neither done nor refused by then is counted unanswered.
pub const ACTION_TIMEOUT: Duration = Duration::from_secs(15);
/// How often a pending action is checked against what the client holds.
const CHECK_EVERY: Duration = Duration::from_millis(50);
/// A placed box appears within this distance of the bot.
const BOX_SEARCH: i32 = 4 * TILE;
/// Boxes already within this distance when the box is placed are not the new one.
const BOX_BEFORE: i32 = 8 * TILE;
/// Weights of the actions a bot carrying its box chooses among: move, drop, pickup, place.
const WEIGHTS: [u32; 4] = [30, 25, 35, 10];

/// Where an Error answering the pending action comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// An item request: its id.
    Request(u32),
    /// An interact order: its input sequence number.
    Input(u32),
    /// Nothing answers with an Error (CloseContainer).
    Nothing,
}

/// What tells that the pending action took effect.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Watch {
    /// The container's revision moves on from `revision`.
    Revision { container: ContainerRef, revision: u32 },
    /// The container is shown.
    Shown(ContainerRef),
    /// The container is no longer shown.
    Closed(ContainerRef),
    /// The inventory's revision moves on from `own_revision` (the object's items arrived); the
    /// object leaving view first, for [`LOST_GRACE`], is a lost race.
    Taken { entity: u64, at: (i32, i32), own_revision: u32, gone_since: Option<Instant> },
    /// The inventory's revision moves on and a box of object kind `kind` not in `before`
    /// appears beside the bot.
    Placed { kind: u32, before: Vec<u64>, own_revision: u32 },
}

/// The action in flight.
#[derive(Debug, Clone)]
struct Pending {
    kind: ActionKind,
    answer: Answer,
    sent: Instant,
    watch: Watch,
    /// The interact order it runs as, if any.
    order: Option<OrderWatch>,
}

/// How the pending action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Waiting,
    /// Done; a placed box, when that is what it was.
    Done(Option<CachedObject>),
    Lost,
    Ended,
    Unanswered,
}

/// The bot's box while it stands in the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PlacedBox {
    object: CachedObject,
    /// Stacks still to stash once it is open.
    to_stash: u8,
    /// Closed after it was seen empty: next, pick it up.
    emptied: bool,
}

/// One gameplay bot's item behaviour.
#[derive(Debug, Clone)]
pub struct ItemPlay {
    next_action: Instant,
    next_check: Instant,
    pending: Option<Pending>,
    placed: Option<PlacedBox>,
}

impl ItemPlay {
    /// Nothing to do before a Welcome.
    pub fn new(now: Instant) -> Self {
        ItemPlay { next_action: now, next_check: now, pending: None, placed: None }
    }

    /// A session started: the first action comes 1–3 s later.
    pub fn welcomed(&mut self, rng: &mut Rng, now: Instant) {
        *self = ItemPlay::new(now);
        self.next_action = now + rng.millis(1_000, 3_000);
    }

    /// False while the bot's character must stay where it is: walking to a pile or its box, or
    /// standing by its box (a walk would replace the interact order, or take the box out of
    /// reach).
    pub fn may_walk(&self) -> bool {
        let interacting = self
            .pending
            .as_ref()
            .is_some_and(|p| matches!(p.kind, ActionKind::Pickup | ActionKind::Open | ActionKind::PickUpBox));
        self.placed.is_none() && !interacting
    }

    /// Settles the pending action against what `game` holds, then, when it is time, chooses the
    /// next action and returns its message (the caller sends it, or calls [`ItemPlay::unsent`]).
    pub fn turn(
        &mut self,
        game: &mut GameClient,
        rng: &mut Rng,
        now: Instant,
        totals: &mut ItemTotals,
    ) -> Option<ClientMessage> {
        if now >= self.next_check {
            self.next_check = now + CHECK_EVERY;
            self.check(game, now, totals);
        }
        if self.pending.is_some() || now < self.next_action {
            return None;
        }
        let Some(plan) = self.plan(game, rng) else {
            self.next_action = now + Duration::from_millis(500);
            return None;
        };
        self.next_action = now + rng.millis(1_000, 3_000);
        let (msg, pending) = request(plan, game, now);
        totals.tally.sent(pending.kind);
        self.pending = Some(pending);
        Some(msg)
    }

    /// The message [`ItemPlay::turn`] returned could not be sent: the action is forgotten.
    pub fn unsent(&mut self, totals: &mut ItemTotals) {
        if let Some(p) = self.pending.take() {
            totals.tally.unsent(p.kind);
        }
    }

    /// An Error with `code` about `request` arrived: true when it answers the pending action
    /// (then counted as a refusal), false when it is about something else.
    pub fn refused(&mut self, code: u16, request: u32, totals: &mut ItemTotals) -> bool {
        let Some(p) = &self.pending else { return false };
        let ours = match p.answer {
            Answer::Request(id) => request == id,
            Answer::Input(seq) => {
                (request == seq && matches!(code, code::INVALID_ORDER | code::NO_SUCH_TARGET))
                    || (request == 0 && is_item_refusal(code))
            }
            Answer::Nothing => false,
        };
        if !ours {
            return false;
        }
        totals.tally.refused(p.kind, code);
        if p.kind == ActionKind::PickUpBox
            && code == code::NOT_EMPTY
            && let Some(b) = self.placed.as_mut()
        {
            b.emptied = false;
        }
        self.pending = None;
        true
    }

    fn check(&mut self, game: &GameClient, now: Instant, totals: &mut ItemTotals) {
        let Some(p) = self.pending.as_mut() else { return };
        let mut progress = watch(&mut p.watch, game, now);
        if progress == Progress::Waiting && p.order.as_mut().is_some_and(|o| o.ended(game, now)) {
            progress = Progress::Ended;
        }
        if progress == Progress::Waiting && now.saturating_duration_since(p.sent) >= ACTION_TIMEOUT {
            progress = Progress::Unanswered;
        }
        let kind = p.kind;
        match progress {
            Progress::Waiting => return,
            Progress::Done(found) => {
                totals.tally.done(kind);
                match (kind, found) {
                    (ActionKind::Place, Some(object)) => {
                        self.placed = Some(PlacedBox { object, to_stash: 0, emptied: false });
                    }
                    (ActionKind::PickUpBox, _) => self.placed = None,
                    _ => {}
                }
            }
            Progress::Lost => {
                totals.tally.lost(kind);
                if kind == ActionKind::PickUpBox {
                    self.placed = None;
                }
            }
            Progress::Ended | Progress::Unanswered => {
                let outcome = if progress == Progress::Ended { "ended" } else { "unanswered" };
                if let Some(o) = p.order {
                    totals.sample(|| o.describe(kind.name(), outcome, p.sent, game, now));
                }
                if progress == Progress::Ended {
                    totals.tally.ended(kind)
                } else {
                    totals.tally.unanswered(kind)
                }
            }
        }
        self.pending = None;
    }

    /// The next action, if any fits what the bot holds.
    fn plan(&mut self, game: &GameClient, rng: &mut Rng) -> Option<Plan> {
        game.container(&ContainerRef::Own)?;
        if self.placed.is_some() {
            return self.box_plan(game, rng);
        }
        let options = [
            inventory_move(game, rng),
            drop_some(game, rng),
            pile_nearby(game, rng),
            place_box(game).map(|(plan, _)| plan),
        ];
        let total: u32 = options.iter().zip(WEIGHTS).filter(|(o, _)| o.is_some()).map(|(_, w)| w).sum();
        if total == 0 {
            return None;
        }
        let mut roll = rng.range(0, i64::from(total) - 1) as u32;
        for (option, weight) in options.into_iter().zip(WEIGHTS) {
            let Some(plan) = option else { continue };
            if roll < weight {
                return Some(plan);
            }
            roll -= weight;
        }
        None
    }

    /// The next step with the box: while open, stash, then take everything back, then close;
    /// closed, open it, or pick it up once it was emptied.
    fn box_plan(&mut self, game: &GameClient, rng: &mut Rng) -> Option<Plan> {
        let b = self.placed.as_mut()?;
        let container = object_ref(b.object.entity);
        if game.container(&container).is_some() {
            if b.to_stash > 0
                && let Some(plan) = stash(game, rng, container)
            {
                b.to_stash -= 1;
                return Some(plan);
            }
            b.to_stash = 0;
            if let Some(plan) = take_back(game, container) {
                return Some(plan);
            }
            b.emptied = true;
            return Some(Plan::Close { container });
        }
        if !still_there(game, b.object.entity, (b.object.x, b.object.y)) {
            // Gone from view (picked up by someone else, or its chunk dropped): carry on without.
            self.placed = None;
            return None;
        }
        if b.emptied {
            return Some(Plan::Interact {
                kind: ActionKind::PickUpBox,
                object: b.object,
                verb: verb::PICK_UP,
            });
        }
        b.to_stash = rng.range(1, 3) as u8;
        Some(Plan::Interact { kind: ActionKind::Open, object: b.object, verb: verb::USE })
    }
}

/// True for the item refusals (`game::wire::error` 103–119).
fn is_item_refusal(c: u16) -> bool {
    (code::NO_SUCH_CONTAINER..=code::STORAGE_BUSY).contains(&c)
}

/// The revision held of `c` (0 when it is not shown).
fn revision(game: &GameClient, c: &ContainerRef) -> u32 {
    game.container(c).map_or(0, |v| v.revision)
}

/// The message of `plan` (a request made with `game`'s helpers) and what to watch for.
fn request(plan: Plan, game: &mut GameClient, now: Instant) -> (ClientMessage, Pending) {
    let kind = plan.kind();
    let own_revision = revision(game, &ContainerRef::Own);
    let pending = |answer, watch, order| Pending { kind, answer, sent: now, watch, order };
    match plan {
        Plan::Move { from, to, count, .. } => {
            let m = game.move_request(from, to, count);
            let watch = Watch::Revision { container: from.0, revision: m.from_revision };
            (ClientMessage::InventoryMove(m), pending(Answer::Request(m.request), watch, None))
        }
        Plan::Drop { from, count, .. } => {
            let places = placed_kind(game, from);
            let d = game.drop_request(from.0, from.1, count);
            let watch = match (kind, places) {
                (ActionKind::Place, Some(kind)) => {
                    let at = game.position().unwrap_or_default();
                    let before = objects_near(game, at, BOX_BEFORE, kind).iter().map(|o| o.entity).collect();
                    Watch::Placed { kind, before, own_revision }
                }
                _ => Watch::Revision { container: from.0, revision: d.revision },
            };
            (ClientMessage::Drop(d), pending(Answer::Request(d.request), watch, None))
        }
        Plan::Pickup { pile } => {
            let p = game.pickup_request(EntityId(pile.entity));
            let watch =
                Watch::Taken { entity: pile.entity, at: (pile.x, pile.y), own_revision, gone_since: None };
            (
                ClientMessage::Pickup(p),
                pending(Answer::Request(p.request), watch, Some(OrderWatch::new(&pile, game))),
            )
        }
        Plan::Interact { object, verb, .. } => {
            let input = game.input_at(Order::Interact { target: EntityId(object.entity), action: verb }, now);
            let container = object_ref(object.entity);
            let watch = if kind == ActionKind::Open {
                Watch::Shown(container)
            } else {
                Watch::Taken {
                    entity: object.entity,
                    at: (object.x, object.y),
                    own_revision,
                    gone_since: None,
                }
            };
            (
                ClientMessage::Input(input),
                pending(Answer::Input(input.seq), watch, Some(OrderWatch::new(&object, game))),
            )
        }
        Plan::Close { container } => {
            let c = game.close_request(container);
            (ClientMessage::CloseContainer(c), pending(Answer::Nothing, Watch::Closed(container), None))
        }
    }
}

/// The object kind the item at `from` places, if it is placeable.
fn placed_kind(game: &GameClient, (container, slot): (ContainerRef, u16)) -> Option<u32> {
    let item = game.container(&container)?.slot(slot)?;
    game.world().content().item(item.kind)?.places
}

/// How the watched change stands.
fn watch(w: &mut Watch, game: &GameClient, now: Instant) -> Progress {
    let own_moved = |own_revision: u32| revision(game, &ContainerRef::Own) != own_revision;
    match w {
        Watch::Revision { container, revision: r } => {
            let moved = game.container(container).is_some_and(|v| v.revision != *r);
            if moved { Progress::Done(None) } else { Progress::Waiting }
        }
        Watch::Shown(c) if game.container(c).is_some() => Progress::Done(None),
        Watch::Closed(c) if game.container(c).is_none() => Progress::Done(None),
        Watch::Shown(_) | Watch::Closed(_) => Progress::Waiting,
        Watch::Taken { own_revision, .. } if own_moved(*own_revision) => Progress::Done(None),
        Watch::Taken { entity, at, gone_since, .. } => {
            if still_there(game, *entity, *at) {
                *gone_since = None;
                return Progress::Waiting;
            }
            let since = *gone_since.get_or_insert(now);
            if now.saturating_duration_since(since) >= LOST_GRACE {
                Progress::Lost
            } else {
                Progress::Waiting
            }
        }
        Watch::Placed { kind, before, own_revision } => {
            let Some(at) = game.position().filter(|_| own_moved(*own_revision)) else {
                return Progress::Waiting;
            };
            let distance = |o: &CachedObject| (i64::from(o.x - at.0)).pow(2) + (i64::from(o.y - at.1)).pow(2);
            let new =
                objects_near(game, at, BOX_SEARCH, *kind).into_iter().filter(|o| !before.contains(&o.entity));
            match new.min_by_key(distance) {
                Some(object) => Progress::Done(Some(object)),
                None => Progress::Waiting,
            }
        }
    }
}
