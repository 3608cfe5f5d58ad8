//! The play of the game-level crash test: a real `ItemWorld` with three players (bags in bags in
//! their inventories, a folded box each, armor, a club in one hand, one inventory nearly full),
//! two boxes on the ground (one holding a bag), and the operations the items system performs for
//! them: moves (splits, merges, stale ones refused), drops into new piles (a lone box is placed
//! as a box object instead), pickups that empty and delete piles, two players racing for one
//! pile, empty boxes picked up, and (`life.rs`) crafts, eating, equipping, deaths into corpses,
//! looting and corpses vanishing. Each accepted operation yields the one `ItemTx` the game
//! submits, objects included.
//!
//! **Bookkeeping**: `Play::expected` holds the totals per (kind, quality) every operation so far
//! should leave, each operation saying by how much it changes them, independently of the world:
//! a craft takes each ingredient's `count × times` out (the qualities the preview named) and puts
//! the recipe's result in; eating takes one food item out; a corpse vanishing takes out what it
//! held; placing a box item as an object takes it out and folding a box puts one in; everything
//! else (moves, splits, merges, drops, pickups, equipping, deaths, loot) changes nothing. After
//! every accepted operation the world's totals must equal it, and a refused one must change
//! nothing at all.

#[path = "life.rs"]
mod life;

use std::collections::BTreeMap;
use std::sync::Arc;

use game::Content;
use game::items::{CraftError, EquipSlot, ItemError, ItemWorld, Root, Source, Stack, Target};
use store::{ChunkKey, Container, ItemOp, ItemRecord, ItemTx, ObjectRecord, Position};

use crate::items_common::{content, kind, rec};
use crate::steps::{Accepted, Count, Outcome, Step, Stored, Totals};

pub const PLAYERS: [i64; 3] = [1, 2, 3];
/// The chunks the container objects lie in.
pub const CHUNKS: [ChunkKey; 2] = [ChunkKey { map: 1, cx: 0, cy: 0 }, ChunkKey { map: 1, cx: 1, cy: 0 }];
/// The boxes standing at the start.
const BOXES: [i64; 2] = [100, 101];
const FIRST_ITEM: i64 = 10_000;
const FIRST_OBJECT: i64 = 50_000;

/// One operation's own result: its transaction, if it changed anything.
type Done = Result<Option<ItemTx>, CraftError>;

/// The world the steps act on, the container objects stored, and the id counters.
#[derive(Debug)]
pub struct Play {
    pub world: ItemWorld,
    kinds: Kinds,
    pub objects: BTreeMap<i64, ObjectRecord>,
    /// The totals the operations so far should leave (see the module's doc).
    pub expected: Totals,
    next_item: i64,
    next_object: i64,
}

/// A container object of `kind` in one of the test's chunks.
fn object(id: i64, kind: u32, quality: u32) -> ObjectRecord {
    let key = CHUNKS[id.unsigned_abs() as usize % CHUNKS.len()];
    let pos = Position { x: key.cx * 128 * 256 + 512, y: key.cy * 128 * 256 + 512 };
    ObjectRecord {
        id,
        map: key.map,
        grid_x: key.cx,
        grid_y: key.cy,
        kind,
        pos,
        quality,
        holds_items: true,
        ..Default::default()
    }
}

/// The content's kinds the play uses: (object kind id, capacity) of the box, the pile and the
/// corpse, the folded box item, the inventory's slots (equipment included).
#[derive(Debug, Clone)]
struct Kinds {
    content: Arc<Content>,
    box_object: (u32, u16),
    pile: (u32, u16),
    corpse: (u32, u16),
    box_item: u32,
    inventory: u16,
}

impl Kinds {
    fn new() -> Kinds {
        let content = content();
        let capacity = |k: &game::content::ObjectKind| (k.id, k.capacity.unwrap_or(0));
        let box_object = capacity(content.object("box").expect("a box object kind"));
        let pile = capacity(content.pile_kind().expect("a pile kind"));
        let corpse = capacity(content.corpse_kind().expect("a corpse kind"));
        let inventory = content.item_rules.inventory_capacity();
        Kinds { box_object, pile, corpse, box_item: kind("box"), inventory, content }
    }
}

impl Play {
    /// The starting world and the transaction that stores it (objects, then items parents
    /// first). Everyone wears a bark vest; the first player holds a club; the third carries
    /// seeds of fifteen qualities, so its crafts soon overflow into ground piles.
    pub fn setup() -> (Play, ItemTx) {
        let kinds = Kinds::new();
        let mut world = ItemWorld::new(kinds.content.clone());
        let mut ops = Vec::new();
        for (n, &p) in PLAYERS.iter().enumerate() {
            let c = Container::Player(p);
            let base = p * 100;
            let (bag, inner) = (Container::Item(base + 3), Container::Item(base + 5));
            let body = EquipSlot::Body.slot(&kinds.content.item_rules);
            let mut items = vec![
                rec(base, kind("branch"), 30, c, 0),
                rec(base + 1, kind("berries"), 12 + n as u32, c, 1),
                rec(base + 2, kind("box"), 1, c, 6),
                rec(base + 3, kind("bag"), 1, c, 2),
                rec(base + 4, kind("stone"), 7, bag, 0),
                rec(base + 5, kind("bag"), 1, bag, 3),
                rec(base + 6, kind("seeds"), 20, inner, 1),
                rec(base + 7, kind("stone axe"), 1, c, 3),
                ItemRecord { quality: 1, ..rec(base + 8, kind("log"), 5, c, 4) },
                rec(base + 9, kind("log"), 5, c, 5),
                rec(base + 10, kind("bark vest"), 1, c, u32::from(body)),
            ];
            if n == 0 {
                let hand = EquipSlot::Hand.slot(&kinds.content.item_rules);
                items.push(rec(base + 11, kind("club"), 1, c, u32::from(hand)));
            }
            if n == 2 {
                let seeds = |q: u32| ItemRecord {
                    quality: q,
                    ..rec(base + 11 + i64::from(q), kind("seeds"), 2, c, 7 + q)
                };
                items.extend((1..=15).map(seeds));
            }
            let report = world.insert_container(Root::Player(p), kinds.inventory, &items).unwrap();
            assert!(report.bad.is_empty(), "{:?}", report.bad);
            ops.extend(items.into_iter().map(ItemOp::Put));
        }
        let (box_kind, capacity) = kinds.box_object;
        let mut objects = BTreeMap::new();
        for &b in &BOXES {
            let c = Container::Object(b);
            let bag = Container::Item(b * 10 + 1);
            let items = [
                rec(b * 10, kind("branch"), 45, c, 0),
                rec(b * 10 + 1, kind("bag"), 1, c, 7),
                rec(b * 10 + 2, kind("berries"), 9, bag, 2),
                rec(b * 10 + 3, kind("club"), 1, c, 15),
            ];
            world.insert_container(Root::Object(b), capacity, &items).unwrap();
            let o = object(b, box_kind, 0);
            ops.insert(0, ItemOp::PutObject(o.clone()));
            objects.insert(b, o);
            ops.extend(items.map(ItemOp::Put));
        }
        let expected = world.totals();
        let play = Play { world, kinds, objects, expected, next_item: FIRST_ITEM, next_object: FIRST_OBJECT };
        (play, ItemTx::new("setup", ops))
    }

    /// What storage holds once every accepted operation so far is durable.
    pub fn stored(&self) -> Stored {
        Stored { items: self.world.records().map(|r| (r.id, *r)).collect(), objects: self.objects.clone() }
    }

    /// Runs one step: the outcome of each operation it makes, in order (a race makes two); an
    /// error when an operation broke the bookkeeping (see the module's doc).
    pub fn run(&mut self, step: Step) -> Result<Vec<Outcome>, String> {
        match step {
            Step::SaveChunks { .. } => Ok(Vec::new()),
            Step::Race { pile, first, second } => {
                let second = if second % PLAYERS.len() == first % PLAYERS.len() { first + 1 } else { second };
                let Some(pile) = self.pile(pile) else { return Ok(vec![Ok(None)]) };
                let first = self.judged(step, |play| play.pickup_pile(first, pile))?;
                let second = self.judged(step, |play| play.pickup_pile(second, pile))?;
                Ok(vec![first, second])
            }
            _ => Ok(vec![self.judged(step, |play| play.op(step))?]),
        }
    }

    /// Runs one operation and checks it against the bookkeeping: accepted, the world's totals
    /// are the expected ones; refused or without a change, nothing changed.
    fn judged(&mut self, step: Step, op: impl FnOnce(&mut Play) -> Done) -> Result<Outcome, String> {
        let (before, expected) = (self.stored(), self.expected.clone());
        match op(self) {
            Ok(Some(tx)) if !tx.ops.is_empty() => {
                let after = self.stored();
                if after.totals() != self.expected {
                    return Err(format!(
                        "{step:?}: totals {:?}, the bookkeeping expects {:?}",
                        after.totals(),
                        self.expected
                    ));
                }
                Ok(Ok(Some(Accepted { tx, after, expected: self.expected.clone() })))
            }
            done => {
                if self.stored() != before || self.expected != expected {
                    return Err(format!("{step:?} changed something yet ended {done:?}"));
                }
                Ok(done.map(|_| None))
            }
        }
    }

    /// Books `n` of (kind, quality) into the expected totals.
    fn book_in(&mut self, kind: u32, quality: u32, n: u32) {
        *self.expected.entry((kind, quality)).or_insert(0) += u64::from(n);
    }

    /// Books `n` of (kind, quality) out of the expected totals (which must hold them).
    fn book_out(&mut self, kind: u32, quality: u32, n: u32) {
        let held = self.expected.get_mut(&(kind, quality)).expect("booked out of what is held");
        *held = held.checked_sub(u64::from(n)).expect("booked out no more than is held");
        if *held == 0 {
            self.expected.remove(&(kind, quality));
        }
    }

    fn op(&mut self, step: Step) -> Done {
        match step {
            Step::Move { player, from, slot, to, to_slot, count, stale } => {
                self.move_stack(player, (from, slot), (to, to_slot), count, stale)
            }
            Step::Drop { player, from, slot, count } => self.drop_items(player, from, slot, count),
            Step::Pickup { player, pile } | Step::Race { pile, first: player, .. } => {
                self.pickup(player, pile)
            }
            Step::TakeBox { player, object } => self.take_box(player, object),
            Step::SaveChunks { .. } => Ok(None),
            Step::Craft { player, recipe, times, experience, pile } => {
                self.craft(player, recipe, times, experience, pile)
            }
            Step::Eat { player, food } => self.eat(player, food),
            Step::Equip { player, item, body, fitting } => self.equip(player, item, body, fitting),
            Step::Unequip { player, body, to, to_slot } => self.unequip(player, body, to, to_slot),
            Step::Die { player } => self.die(player),
            Step::Loot { player, corpse, slot, count } => self.loot(player, corpse, slot, count),
            Step::Vanish { corpse } => self.vanish(corpse),
        }
    }

    fn player(n: usize) -> i64 {
        PLAYERS[n % PLAYERS.len()]
    }

    /// The root (player or object) a container is in.
    fn root_of(&self, mut c: Container) -> Option<Container> {
        for _ in 0..=self.world.len() {
            match c {
                Container::Item(id) => c = self.world.item(id)?.container,
                root => return Some(root),
            }
        }
        None
    }

    /// The containers `player` may touch, in a fixed order: its inventory, the boxes, the
    /// corpses, and the bags in any of them (never a pile, never another's inventory).
    fn reachable(&self, player: i64) -> Vec<Container> {
        let mut all: Vec<Container> = self
            .world
            .containers()
            .map(|(c, _)| c)
            .filter(|&c| match self.root_of(c) {
                Some(Container::Player(p)) => p == player,
                Some(Container::Object(o)) => self.is_box(o) || self.is_corpse(o),
                _ => false,
            })
            .collect();
        all.sort_by_key(|c| c.to_parts());
        all
    }

    fn is_box(&self, object: i64) -> bool {
        self.objects.get(&object).is_some_and(|o| o.kind == self.kinds.box_object.0)
    }

    fn is_corpse(&self, object: i64) -> bool {
        self.objects.get(&object).is_some_and(|o| o.kind == self.kinds.corpse.0)
    }

    fn objects_of(&self, kind: u32) -> Vec<i64> {
        self.objects.values().filter(|o| o.kind == kind).map(|o| o.id).collect()
    }

    /// A slot of `c`: mostly an occupied one, sometimes any (maybe out of range).
    fn slot_of(&self, c: Container, raw: u16) -> u16 {
        let slots = self.world.container(c);
        let occupied: Vec<u16> = slots.map(|s| s.occupied().map(|(s, _)| s).collect()).unwrap_or_default();
        if raw.is_multiple_of(8) || occupied.is_empty() {
            return raw % (slots.map_or(0, |s| s.capacity()) + 1);
        }
        occupied[usize::from(raw) % occupied.len()]
    }

    fn how_many(&self, from: Source, count: Count) -> u32 {
        let held = self.world.item_at(from.container, from.slot).map_or(1, |i| i.count);
        match count {
            Count::Whole => held,
            Count::Part(n) => 1 + n % held,
            Count::Zero => 0,
        }
    }

    /// A source as a client sends it: against the revision it holds.
    fn source(&self, c: Container, raw_slot: u16) -> Source {
        Source::new(c, self.slot_of(c, raw_slot)).seen(self.world.revision(c).unwrap_or(0))
    }

    fn move_stack(
        &mut self,
        player: usize,
        (from, slot): (usize, u16),
        (to, to_slot): (usize, Option<u16>),
        count: Count,
        stale: bool,
    ) -> Done {
        let all = self.reachable(Self::player(player));
        let (from, to) = (all[from % all.len()], all[to % all.len()]);
        let mut source = self.source(from, slot);
        if stale {
            source = source.seen(self.world.revision(from).unwrap_or(0).wrapping_add(1));
        }
        let n = self.how_many(source, count);
        let capacity = self.world.container(to).map_or(0, |s| s.capacity());
        let mut target = Target { container: to, slot: to_slot.map(|s| s % (capacity + 1)), revision: None };
        target = target.seen(self.world.revision(to).unwrap_or(0));
        let next = &mut self.next_item;
        let change = self.world.move_stack(source, target, n, &mut || fresh(next))?;
        Ok(Some(change.tx))
    }

    /// A drop: a lone placeable item is placed as its object, anything else goes into a new
    /// pile (what the items system does).
    fn drop_items(&mut self, player: usize, from: usize, slot: u16, count: Count) -> Done {
        let all = self.reachable(Self::player(player));
        let from = all[from % all.len()];
        let source = self.source(from, slot);
        let n = self.how_many(source, count);
        let item = self.world.item_at(from, source.slot).copied();
        let placed = item.and_then(|i| {
            let places = self.kinds.content.item(i.kind).and_then(|k| k.places)?;
            (n == 1 && i.count == 1).then_some((places, i.quality))
        });
        let id = self.next_object;
        let (record, mut change) = match placed {
            Some((kind, quality)) => {
                let capacity = self.kinds.content.object_by_id(kind).and_then(|k| k.capacity).unwrap_or(0);
                let (change, taken) = self.world.take(source, 1)?;
                self.world.insert_container(Root::Object(id), capacity, &[]).expect("a new box");
                self.book_out(taken.kind, taken.quality, 1);
                (object(id, kind, quality), change)
            }
            None => {
                let (kind, capacity) = self.kinds.pile;
                let next = &mut self.next_item;
                let change =
                    self.world.drop_into_new_container(source, n, Root::Object(id), capacity, &mut || {
                        fresh(next)
                    })?;
                (object(id, kind, 0), change)
            }
        };
        self.next_object += 1;
        change.put_object_first(record.clone());
        self.objects.insert(id, record);
        Ok(Some(change.tx))
    }

    /// The `n`th pile, if there is any.
    fn pile(&self, n: usize) -> Option<i64> {
        let piles = self.objects_of(self.kinds.pile.0);
        piles.get(n % piles.len().max(1)).copied()
    }

    fn pickup(&mut self, player: usize, pile: usize) -> Done {
        match self.pile(pile) {
            Some(pile) => self.pickup_pile(player, pile),
            None => Ok(None),
        }
    }

    /// A pickup of a whole pile into the player's inventory; an emptied pile is deleted (a pile
    /// gone already is refused: `NoSuchContainer`).
    fn pickup_pile(&mut self, player: usize, pile: i64) -> Done {
        let to = Target::any(Container::Player(Self::player(player)));
        let next = &mut self.next_item;
        let mut p = self.world.pickup(Source::new(Container::Object(pile), 0), to, &mut || fresh(next))?;
        if p.source_empty {
            p.change.delete_object_last(pile);
            assert_eq!(
                self.world.remove_container(Root::Object(pile)),
                Ok(vec![]),
                "an empty pile holds nothing"
            );
            self.objects.remove(&pile);
        }
        Ok(Some(p.change.tx))
    }

    /// An empty box folded into a box item in the player's inventory (an odd `object` picks
    /// among every box); a box that holds items is refused.
    fn take_box(&mut self, player: usize, object: usize) -> Done {
        let mut boxes = self.objects_of(self.kinds.box_object.0);
        let empty = |id: &i64| self.world.container(Container::Object(*id)).is_some_and(|s| s.is_empty());
        if object.is_multiple_of(2) && boxes.iter().any(empty) {
            boxes.retain(empty);
        }
        let Some(&id) = boxes.get(object % boxes.len().max(1)) else { return Ok(None) };
        if !self.world.container(Container::Object(id)).is_some_and(|s| s.is_empty()) {
            return Err(ItemError::NotEmpty { item: id }.into());
        }
        let quality = self.objects[&id].quality;
        let stack = Stack { kind: self.kinds.box_item, quality, count: 1 };
        let to = Target::any(Container::Player(Self::player(player)));
        let next = &mut self.next_item;
        let mut change = self.world.give(to, stack, &mut || fresh(next))?;
        change.delete_object_last(id);
        assert_eq!(self.world.remove_container(Root::Object(id)), Ok(vec![]), "an empty box holds nothing");
        self.objects.remove(&id);
        self.book_in(stack.kind, quality, 1);
        Ok(Some(change.tx))
    }
}

/// The next item id.
fn fresh(next: &mut i64) -> Option<i64> {
    *next += 1;
    Some(*next)
}

/// Capacity of a root as the game loads it: the inventory's, or the object kind's.
pub fn root_capacity(root: Root, objects: &BTreeMap<i64, ObjectRecord>) -> u16 {
    let content = content();
    match root {
        Root::Player(_) => content.item_rules.inventory_capacity(),
        Root::Object(o) => {
            let kind = objects.get(&o).map_or(0, |r| r.kind);
            content.object_by_id(kind).and_then(|k| k.capacity).unwrap_or(0)
        }
    }
}
