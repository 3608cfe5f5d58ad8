//! Two players over real sockets for scenario tests: pumped in turn so neither falls behind on
//! what the server sends, the first one (the actor) doing things the way a client would, each
//! waited for until the server's answer shows (gathering from the nearest suitable objects,
//! crafting, moving stacks, walking and walking back), and a ledger of what the actor's
//! inventory should hold by kind. Plus what a player sees: stacks by kind, objects by kind.

use super::{Player, tiles};
use game::Content;
use game::wire::verb;
use net::protocol::{
    ANY_SLOT, ClientMessage, ContainerRef, CraftProgress, EntityId, ItemSlot, Order, craft_state,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest wait for one answer of the server (generous: a slow, busy machine).
pub const WAIT: Duration = Duration::from_secs(30);
/// The longest wait for something that takes game time (a walk, a fight, a crop to ripen).
pub const LONG: Duration = Duration::from_secs(90);
/// Candidate objects tried for one gathering (the nearest may lie behind something).
const TRIES: usize = 8;

/// What the own inventory (equipment slots included) shows, by kind.
pub fn held(p: &Player) -> BTreeMap<u32, i64> {
    let mut out = BTreeMap::new();
    for s in slots(p, &ContainerRef::Own).into_values() {
        *out.entry(s.1).or_default() += i64::from(s.3);
    }
    out
}

/// The first stack of `kind` in container `c` as the player sees it.
pub fn stack(p: &Player, c: &ContainerRef, kind: u32) -> Option<ItemSlot> {
    p.game.container(c)?.slots.values().find(|s| s.kind == kind).copied()
}

/// What container `c` shows, by slot: (item id, kind, quality, count), as the store has it.
pub fn slots(p: &Player, c: &ContainerRef) -> BTreeMap<u32, (i64, u32, u32, u32)> {
    let view = p.game.container(c).map(|v| v.slots.values()).into_iter().flatten();
    let id = |s: &ItemSlot| i64::try_from(s.item).expect("item id");
    view.map(|s| (u32::from(s.slot), (id(s), s.kind, s.quality, s.count))).collect()
}

/// Objects of `kind` the player sees in its chunks, nearest first: (entity, x, y, state).
pub fn objects(p: &Player, kind: u32) -> Vec<(u64, i32, i32, u16)> {
    let chunks = p.game.world().chunks();
    let mut out: Vec<(u64, i32, i32, u16)> = chunks
        .keys()
        .iter()
        .filter_map(|&(cx, cy)| chunks.get(cx, cy))
        .flat_map(|c| c.objects().iter())
        .filter(|o| u32::from(o.kind) == kind)
        .map(|o| (o.entity, o.x, o.y, o.state))
        .collect();
    let at = p.position().unwrap_or_default();
    out.sort_by(|a, b| tiles(at, (a.1, a.2)).total_cmp(&tiles(at, (b.1, b.2))));
    out
}

/// How an interact (use) on an object ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Used {
    /// The inventory changed.
    Gained,
    /// Refused: an Error carrying the Input's seq, with its code.
    Refused(u16),
    /// The order ended without either (the character could not get there).
    Ended,
}

/// Two players; `a` is the actor.
pub struct Duo {
    pub a: Player,
    pub b: Player,
    pub content: Arc<Content>,
    /// What `a`'s inventory should hold, by kind: what the test books for each step.
    pub ledger: BTreeMap<u32, i64>,
    /// Where `a` stood before each gathering that took it somewhere, in order: the way back.
    trail: Vec<(i32, i32)>,
}

impl Duo {
    pub fn new(a: Player, b: Player, content: Arc<Content>) -> Duo {
        Duo { a, b, content, ledger: BTreeMap::new(), trail: Vec::new() }
    }

    /// The item kind called `name`.
    pub fn item(&self, name: &str) -> u32 {
        self.content.item_named(name).map(|k| k.id).unwrap_or_else(|| panic!("item kind {name}"))
    }

    /// The object kind called `name`.
    pub fn object(&self, name: &str) -> u32 {
        self.content.object(name).map(|k| k.id).unwrap_or_else(|| panic!("object kind {name}"))
    }

    /// The index of growth stage `stage` of object kind `object`.
    pub fn stage(&self, object: &str, stage: &str) -> u16 {
        let growth = self.content.object(object).and_then(|k| k.growth.as_ref()).expect("a growing kind");
        growth.stage_named(stage).unwrap_or_else(|| panic!("{object} has no stage {stage}"))
    }

    /// Pumps both players until `done` holds or `limit` passes; true when it held.
    pub fn until(&mut self, limit: Duration, mut done: impl FnMut(&Player, &Player) -> bool) -> bool {
        let end = Instant::now() + limit;
        loop {
            if done(&self.a, &self.b) {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            self.a.pump(Duration::from_millis(10));
            self.b.pump(Duration::from_millis(10));
        }
    }

    /// Adds `n` items of `name` to the ledger (negative: takes them).
    pub fn book(&mut self, name: &str, n: i64) {
        *self.ledger.entry(self.item(name)).or_default() += n;
        self.ledger.retain(|_, n| *n != 0);
    }

    /// Asserts that `a`'s inventory comes to hold what the ledger says.
    pub fn check_ledger(&mut self, step: &str) {
        let want = self.ledger.clone();
        let ok = self.until(WAIT, |a, _| held(a) == want);
        assert!(ok, "{step}: {:?} held, the ledger says {want:?}; errors {:?}", held(&self.a), self.a.errors);
    }

    /// Waits until `a` has `need` stamina (work costs it; it comes back every second).
    pub fn rest(&mut self, need: u16) {
        let rested = |a: &Player| a.game.world().vitals().is_some_and(|s| s.stamina >= need);
        assert!(self.until(LONG, |a, _| rested(a)), "never got {need} stamina back");
    }

    /// `a` uses `target` (interact, action 0) and waits for the outcome.
    pub fn use_object(&mut self, target: u64) -> Used {
        let before = held(&self.a);
        let input = self.a.game.input(Order::Interact { target: EntityId(target), action: verb::USE });
        self.a.client.send(&ClientMessage::Input(input)).expect("send input");
        let seq = input.seq;
        let refused = |a: &Player| a.errors.iter().find(|e| e.1 == seq).map(|e| e.0);
        let ended =
            |a: &Player| a.game.world().own().is_some_and(|o| o.last_input_seq >= seq && o.state.order == 0);
        self.until(LONG, |a, _| held(a) != before || refused(a).is_some() || ended(a));
        // The order's end and the items it gave may arrive a tick or two apart.
        self.until(Duration::from_secs(3), |a, _| held(a) != before || refused(a).is_some());
        match refused(&self.a) {
            _ if held(&self.a) != before => Used::Gained,
            Some(code) => Used::Refused(code),
            None => Used::Ended,
        }
    }

    /// `a` uses the nearest objects of kind `kind` at a stage `pick` accepts, one after another
    /// (back where it set out from after each that gave nothing), until one gives something;
    /// returns that object as it was seen before.
    pub fn gather_from(&mut self, kind: &str, pick: impl Fn(u16) -> bool) -> (u64, i32, i32, u16) {
        let kind = self.object(kind);
        let found = self.until(WAIT, |a, _| objects(a, kind).iter().any(|o| pick(o.3)));
        assert!(found, "no object of kind {kind} at a suitable stage in sight");
        let candidates: Vec<_> =
            objects(&self.a, kind).into_iter().filter(|o| pick(o.3)).take(TRIES).collect();
        let mut tried = Vec::new();
        for object in candidates {
            let from = self.a.position().expect("own position");
            let used = self.use_object(object.0);
            if used == Used::Gained {
                self.trail.push(from);
                return object;
            }
            if self.a.position().is_some_and(|at| tiles(at, from) > 1.0) {
                self.walk(false, from, 1.0);
            }
            tried.push((object, used));
        }
        panic!("nothing gathered from objects of kind {kind}: {tried:?}; at {:?}", self.a.position());
    }

    /// `a` crafts `recipe` once by hand (rested enough first) and waits until it ends; returns
    /// its CraftProgress `done`.
    pub fn craft(&mut self, recipe: &str) -> CraftProgress {
        let r = self.content.recipe_named(recipe).unwrap_or_else(|| panic!("recipe {recipe}"));
        let (id, stamina) = (r.id, u16::try_from(r.stamina).expect("stamina fits"));
        self.rest(stamina);
        let craft = self.a.game.craft_request(id, 1, EntityId::NONE);
        self.a.client.send(&ClientMessage::Craft(craft)).expect("send craft");
        let progress =
            |a: &Player| a.game.world().craft_progress().copied().filter(|g| g.request == craft.request);
        let ended = |a: &Player| {
            progress(a).is_some_and(|g| g.state != craft_state::STARTED)
                || a.errors.iter().any(|e| e.1 == craft.request)
        };
        assert!(self.until(LONG, |a, _| ended(a)), "the {recipe} craft never ended");
        let last = progress(&self.a);
        let done = last.filter(|g| g.state == craft_state::DONE);
        done.unwrap_or_else(|| panic!("the {recipe} craft failed: {last:?}; errors {:?}", self.a.errors))
    }

    /// `a` moves the whole stack in its inventory slot `from` to slot `to` (an equipment slot,
    /// or [`ANY_SLOT`]) and waits until the inventory shows it moved.
    pub fn move_own(&mut self, from: u16, to: u16) {
        let own = ContainerRef::Own;
        let item = self.a.game.container(&own).and_then(|v| v.slot(from)).copied().expect("a stack to move");
        let m = self.a.game.move_request((own, from), (own, to), u16::try_from(item.count).expect("count"));
        self.a.client.send(&ClientMessage::InventoryMove(m)).expect("send move");
        let moved = |a: &Player| {
            let at = |s: u16| a.game.container(&own).and_then(|v| v.slot(s)).map(|s| s.item);
            if to == ANY_SLOT { at(from) != Some(item.item) } else { at(to) == Some(item.item) }
        };
        let ok = self.until(WAIT, |a, _| moved(a));
        assert!(ok, "the move of {item:?} to {to} never showed; errors {:?}", self.a.errors);
    }

    /// Walks `a` (or `b`) towards `(x, y)` until within `within` tiles of it or the walk ends
    /// (arrived, or blocked: the shard steers straight on); true when within.
    pub fn walk(&mut self, b: bool, (x, y): (i32, i32), within: f64) -> bool {
        let p = if b { &mut self.b } else { &mut self.a };
        let input = p.game.input(Order::MoveTo { x, y });
        p.client.send(&ClientMessage::Input(input)).expect("send input");
        let near = |p: &Player| p.position().is_some_and(|at| tiles(at, (x, y)) <= within);
        let ended = |p: &Player| {
            p.game.world().own().is_some_and(|o| o.last_input_seq >= input.seq && o.state.order == 0)
        };
        self.until(LONG, |pa, pb| {
            let p = if b { pb } else { pa };
            near(p) || ended(p)
        });
        near(if b { &self.b } else { &self.a })
    }

    /// Walks `a` back the way it came to its gatherings (each leg was walkable going out).
    pub fn walk_back(&mut self) {
        for at in std::mem::take(&mut self.trail).into_iter().rev() {
            self.walk(false, at, 1.0);
        }
    }
}
