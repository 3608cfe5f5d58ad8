//! Orders (§6): what a character was told to do, how it persists across ticks, and the actions an
//! interact or attack order queues once in reach, for gameplay systems to judge
//! (the `gameplay` module).

use engine::Entity;

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
        /// What to do with it (the wire's interact action id; see [`crate::wire::verb`]).
        verb: u8,
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
            Order::Follow { target } | Order::Interact { target, .. } | Order::Attack { target } => {
                Some(target)
            }
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
    /// Gameplay refused the action.
    Refused,
    /// The character is dead.
    Dead,
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
    /// Interact once, with the order's verb.
    Interact {
        /// The interact order's verb.
        verb: u8,
    },
    /// Attack (repeats each tick while gameplay says `Continue`).
    Attack,
}

/// What gameplay decided about an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionResult {
    /// The order is complete.
    Done,
    /// Keep the order (e.g. attack on cooldown); the action comes again next tick.
    Continue,
    /// The action cannot happen; the order ends as impossible.
    Refused,
}

impl ActionResult {
    /// How the actor's order ends, or `None` when it continues.
    pub fn outcome(self) -> Option<Outcome> {
        match self {
            ActionResult::Done => Some(Outcome::Done),
            ActionResult::Continue => None,
            ActionResult::Refused => Some(Outcome::Impossible(Impossible::Refused)),
        }
    }
}

/// One action of this tick: `actor` reached `target` for an interact or attack order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// The character acting.
    pub actor: Entity,
    /// The entity acted on.
    pub target: Entity,
    /// Interact or attack.
    pub kind: ActionKind,
    /// The actor's order sequence number when it was planned: the result applies to that order
    /// only, not to one given since.
    pub seq: u32,
    /// What gameplay decided: `Done` until a gameplay system says otherwise, so with no gameplay
    /// every action completes its order at once.
    pub result: ActionResult,
}

/// The tick's actions in character order: filled by order planning, judged by gameplay systems
/// (which set each handled action's [`Action::result`]), drained by the actions stage. The
/// buffer is kept across ticks: no allocation per tick once it has grown.
#[derive(Debug, Default)]
pub struct ActionQueue {
    actions: Vec<Action>,
}

impl ActionQueue {
    /// Queues an action (result `Done` until gameplay decides).
    pub fn push(&mut self, actor: Entity, target: Entity, kind: ActionKind, seq: u32) {
        self.actions.push(Action { actor, target, kind, seq, result: ActionResult::Done });
    }

    /// The queued actions.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// The queued actions, for gameplay to set their results.
    pub fn actions_mut(&mut self) -> &mut [Action] {
        &mut self.actions
    }

    /// Removes every action, keeping the buffer.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Action> {
        self.actions.drain(..)
    }

    /// Number of queued actions.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// True when no action is queued.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}
