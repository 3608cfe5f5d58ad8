//! Orders (§6): what a character was told to do, how it persists across ticks, and the hooks
//! that interact and attack call (filled with gameplay by a later issue).

use engine::{Commands, Entity, World};

pub use crate::steering::{FOLLOW_GAP, Goal, action_reach};

/// An order a client (or a bot's policy) gives a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Nothing to do.
    #[default]
    Idle,
    /// Walk to a point.
    MoveTo {
        /// Goal x (1/256 tile).
        x: i32,
        /// Goal y.
        y: i32,
    },
    /// Stay close to an entity until told otherwise.
    Follow {
        /// The entity to follow.
        target: Entity,
    },
    /// Walk to an entity and interact with it once in range (chop, pick up, open, ...).
    Interact {
        /// The entity to interact with.
        target: Entity,
    },
    /// Walk to an entity and attack it while it stays valid.
    Attack {
        /// The entity to attack.
        target: Entity,
    },
}

impl Order {
    /// The targeted entity, if any.
    pub fn target(&self) -> Option<Entity> {
        match *self {
            Order::Follow { target } | Order::Interact { target } | Order::Attack { target } => Some(target),
            Order::Idle | Order::MoveTo { .. } => None,
        }
    }
}

/// Why an order ended without being done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impossible {
    /// The goal lies outside the map's walkable area.
    OutOfBounds,
    /// The target no longer exists.
    TargetGone,
    /// The target is the character itself.
    SelfTarget,
    /// The character made no progress for too long.
    Blocked,
    /// The target went out of reach.
    TooFar,
    /// The action handler refused.
    Refused,
}

/// How the previous order ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Completed.
    Done,
    /// Replaced by a newer order.
    Replaced,
    /// Could not be carried out.
    Impossible(Impossible),
}

/// The order column's value: the current order and how the previous one ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderSlot {
    /// The order being carried out.
    pub current: Order,
    /// The last finished order and its outcome (for replies to the client).
    pub last: Option<(Order, Outcome)>,
    /// Bumped on every change of `current`.
    pub seq: u32,
}

impl OrderSlot {
    /// Replaces the current order (the old one, if any, ends as `Replaced`).
    pub fn give(&mut self, order: Order) {
        if self.current != Order::Idle {
            self.last = Some((self.current, Outcome::Replaced));
        }
        self.current = order;
        self.seq = self.seq.wrapping_add(1);
    }

    /// Ends the current order with `outcome`.
    pub fn finish(&mut self, outcome: Outcome) {
        self.last = Some((self.current, outcome));
        self.current = Order::Idle;
        self.seq = self.seq.wrapping_add(1);
    }
}

/// Which action an arrived character performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// Interact once.
    Interact,
    /// Attack (repeats each tick while the handler says `Continue`).
    Attack,
}

/// What an action handler decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionResult {
    /// The order is complete.
    Done,
    /// Keep the order (e.g. attack on cooldown); the handler is called again next tick.
    Continue,
    /// The action cannot happen; the order ends as impossible.
    Refused,
}

/// Gameplay hooks for interact and attack, called in tick order on one thread with the world
/// (shared) and a command buffer for structural changes. Issue #7 supplies the real ones.
pub trait ActionHandlers: Send + Sync + std::fmt::Debug {
    /// `actor` is in range of `target` for an interact order.
    fn interact(&self, world: &World, actor: Entity, target: Entity, commands: &mut Commands)
    -> ActionResult;
    /// `actor` is in range of `target` for an attack order.
    fn attack(&self, world: &World, actor: Entity, target: Entity, commands: &mut Commands) -> ActionResult;
}

/// Default hooks: interacting completes at once; attacking completes at once (no combat yet).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoGameplay;

impl ActionHandlers for NoGameplay {
    fn interact(&self, _: &World, _: Entity, _: Entity, _: &mut Commands) -> ActionResult {
        ActionResult::Done
    }
    fn attack(&self, _: &World, _: Entity, _: Entity, _: &mut Commands) -> ActionResult {
        ActionResult::Done
    }
}
