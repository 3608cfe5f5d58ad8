//! What gameplay mode counts of the bots' item actions (sent, done, refused by error code, lost
//! races, interact orders ended without effect, unanswered) and of the container messages every
//! bot receives, and how the report shows it. The per-kind counting ([`ActionTally`]) and its
//! report lines ([`ItemLines`]) serve survival mode's actions too.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// One kind of item action a gameplay bot takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ActionKind {
    /// An InventoryMove between the inventory and the bag, or inside the inventory (a split
    /// into a free slot, a merge onto a stack of the same kind).
    Move,
    /// A Drop of part of a stack: a pile appears beside the character.
    Drop,
    /// A Pickup of a pile seen in the bot's chunks (its own or another's).
    Pickup,
    /// A Drop of the box item alone: a box object is placed.
    Place,
    /// An interact (verb USE) on the bot's box: its contents are shown.
    Open,
    /// An InventoryMove from the inventory into the open box.
    Stash,
    /// An InventoryMove from the open box back into the inventory.
    Take,
    /// A CloseContainer for the open box.
    Close,
    /// An interact (verb PICK_UP) on the bot's emptied box: it becomes a box item again.
    PickUpBox,
}

/// A kind of bot action counted per kind in the report.
pub trait Action: Copy + Ord {
    /// The name the report uses.
    fn name(self) -> &'static str;
}

impl Action for ActionKind {
    fn name(self) -> &'static str {
        match self {
            ActionKind::Move => "move",
            ActionKind::Drop => "drop",
            ActionKind::Pickup => "pickup",
            ActionKind::Place => "place",
            ActionKind::Open => "open",
            ActionKind::Stash => "stash",
            ActionKind::Take => "take",
            ActionKind::Close => "close",
            ActionKind::PickUpBox => "pick_up_box",
        }
    }
}

/// Counts of one kind of item action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ActionCounts {
    /// Requests sent.
    pub sent: u64,
    /// Requests whose change was observed (a container's revision moved on, a container was
    /// shown or closed, a placed box appeared, a picked-up object left).
    pub done: u64,
    /// Requests an Error message refused (by code in `item_refused`).
    pub refused: u64,
    /// Interact orders (pickups, opening or picking up a box; gathering, chopping, harvesting)
    /// seen under way in the frame head that then ended without their change and without an
    /// Error (blocked on the way, or the target gone: the server tells nothing); in survival mode
    /// also crafts cancelled or failed and attacks that landed no hit.
    pub ended: u64,
    /// Requests neither done, refused nor ended within the harness's timeout (15 s).
    pub unanswered: u64,
    /// Pickups, or in survival mode gatherings and harvests, whose object left the bot's view
    /// without its items reaching the inventory (another player got there first: a lost race,
    /// not a failure).
    pub lost: u64,
}

/// Container messages received, all bots together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ContainerMessages {
    /// ContainerContents (a container shown whole).
    pub contents: u64,
    /// ContainerChange applied at the revision held.
    pub changes: u64,
    /// ContainerClosed.
    pub closed: u64,
}

/// Counts by action kind and refusals by error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionTally<K: Action> {
    /// By action kind.
    pub actions: BTreeMap<K, ActionCounts>,
    /// Refusals by error code.
    pub refused: BTreeMap<u16, u64>,
}

impl<K: Action> Default for ActionTally<K> {
    fn default() -> Self {
        ActionTally { actions: BTreeMap::new(), refused: BTreeMap::new() }
    }
}

impl<K: Action> ActionTally<K> {
    fn counts(&mut self, kind: K) -> &mut ActionCounts {
        self.actions.entry(kind).or_default()
    }

    /// A request of `kind` went out.
    pub fn sent(&mut self, kind: K) {
        self.counts(kind).sent += 1;
    }

    /// A request of `kind` could not be queued after all (its `sent` is taken back).
    pub fn unsent(&mut self, kind: K) {
        let c = self.counts(kind);
        c.sent = c.sent.saturating_sub(1);
    }

    /// A request of `kind` was seen to take effect.
    pub fn done(&mut self, kind: K) {
        self.counts(kind).done += 1;
    }

    /// A request of `kind` was refused with `code`.
    pub fn refused(&mut self, kind: K, code: u16) {
        self.counts(kind).refused += 1;
        *self.refused.entry(code).or_default() += 1;
    }

    /// A request of `kind` ended without its change (and without an Error).
    pub fn ended(&mut self, kind: K) {
        self.counts(kind).ended += 1;
    }

    /// A request of `kind` got no answer in time.
    pub fn unanswered(&mut self, kind: K) {
        self.counts(kind).unanswered += 1;
    }

    /// A pickup of `kind` lost its race.
    pub fn lost(&mut self, kind: K) {
        self.counts(kind).lost += 1;
    }

    /// The report's form: counts by action name.
    pub fn by_name(&self) -> BTreeMap<String, ActionCounts> {
        self.actions.iter().map(|(k, c)| (k.name().to_owned(), *c)).collect()
    }

    /// Requests sent, every kind.
    pub fn total_sent(&self) -> u64 {
        self.actions.values().map(|c| c.sent).sum()
    }

    /// Requests done, every kind.
    pub fn total_done(&self) -> u64 {
        self.actions.values().map(|c| c.done).sum()
    }
}

/// Run-wide item counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemTotals {
    /// By action kind, and refusals by code.
    pub tally: ActionTally<ActionKind>,
    /// Container messages received.
    pub containers: ContainerMessages,
    /// The first few interact orders that ended without effect or got no answer, described.
    pub samples: Vec<String>,
}

/// Most described cases kept.
const MAX_SAMPLES: usize = 8;

impl ItemTotals {
    /// Keeps the description of an action that ended without effect or got no answer (the first
    /// [`MAX_SAMPLES`] only).
    pub fn sample(&mut self, describe: impl FnOnce() -> String) {
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push(describe());
        }
    }
}

/// The report's action lines: `actions` by name, `refused` by code, under `label` (`item`,
/// `survival`).
pub struct ItemLines<'a> {
    /// What the actions are (the line starts `{label} actions:`).
    pub label: &'static str,
    /// Counts by action name.
    pub actions: &'a BTreeMap<String, ActionCounts>,
    /// Refusals by code.
    pub refused: &'a BTreeMap<u16, u64>,
}

impl fmt::Display for ItemLines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sum = |field: fn(&ActionCounts) -> u64| self.actions.values().map(field).sum::<u64>();
        write!(
            f,
            "{} actions: {} sent, {} done, {} refused {:?}, {} lost races, {} orders ended without \
             effect, {} unanswered",
            self.label,
            sum(|c| c.sent),
            sum(|c| c.done),
            sum(|c| c.refused),
            self.refused,
            sum(|c| c.lost),
            sum(|c| c.ended),
            sum(|c| c.unanswered),
        )?;
        let each: Vec<String> =
            self.actions.iter().map(|(name, c)| format!("{name} {}/{}", c.done, c.sent)).collect();
        write!(f, "\n  done/sent: {}", each.join(", "))
    }
}
