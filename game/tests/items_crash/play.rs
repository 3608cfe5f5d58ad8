//! The play of the game-level crash test: a real `ItemWorld` with three players (bags in bags in
//! their inventories, a folded box each), two boxes on the ground (one holding a bag), and the
//! operations the items system performs for them: moves (splits, merges, stale ones refused),
//! drops into new piles (a lone box is placed as a box object instead), pickups that empty and
//! delete piles, two players racing for one pile, and empty boxes picked up. Each accepted
//! operation yields the one `ItemTx` the game submits, objects included.

use std::collections::BTreeMap;
use std::sync::Arc;

use game::Content;
use game::items::{ItemError, ItemWorld, Root, Source, Stack, Target};
use store::{ChunkKey, Container, ItemOp, ItemRecord, ItemTx, ObjectRecord, Position};

use crate::items_common::{content, kind, rec};

pub const PLAYERS: [i64; 3] = [1, 2, 3];
/// The chunks the container objects lie in.
pub const CHUNKS: [ChunkKey; 2] = [ChunkKey { map: 1, cx: 0, cy: 0 }, ChunkKey { map: 1, cx: 1, cy: 0 }];
/// The boxes standing at the start.
const BOXES: [i64; 2] = [100, 101];
const FIRST_ITEM: i64 = 10_000;
const FIRST_OBJECT: i64 = 50_000;

/// What storage should hold: every item and every container object, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored {
    pub items: BTreeMap<i64, ItemRecord>,
    pub objects: BTreeMap<i64, ObjectRecord>,
}

impl Stored {
    /// Total count per (kind, quality).
    pub fn totals(&self) -> BTreeMap<(u32, u32), u64> {
        let mut totals = BTreeMap::new();
        for i in self.items.values() {
            *totals.entry((i.kind, i.quality)).or_insert(0) += u64::from(i.count);
        }
        totals
    }

    /// Whether `inner` is item `outer` or stored somewhere below it (a cycle counts as inside).
    pub fn is_within(&self, inner: i64, outer: i64) -> bool {
        let mut at = inner;
        for _ in 0..=self.items.len() {
            if at == outer {
                return true;
            }
            match self.items.get(&at).map(|i| i.container) {
                Some(Container::Item(up)) => at = up,
                _ => return false,
            }
        }
        true
    }
}

/// How many items a step asks for.
#[derive(Debug, Clone, Copy)]
pub enum Count {
    Whole,
    /// `1 + n % held`: part of the stack, sometimes all of it.
    Part(u32),
    /// None (refused).
    Zero,
}

/// One step of a game; the numbers pick operands among what exists when it runs.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    Move {
        player: usize,
        from: usize,
        slot: u16,
        to: usize,
        to_slot: Option<u16>,
        count: Count,
        stale: bool,
    },
    Drop {
        player: usize,
        from: usize,
        slot: u16,
        count: Count,
    },
    Pickup {
        player: usize,
        pile: usize,
    },
    /// Two players' pickups of one pile in the same tick.
    Race {
        pile: usize,
        first: usize,
        second: usize,
    },
    /// An empty box picked up (folded into a box item).
    TakeBox {
        player: usize,
        object: usize,
    },
    /// A checkpoint of the chunks listing the container objects as they were `back` operations
    /// ago (a chunk's snapshot may be older than the item transactions after it): no item
    /// operation, the caller submits the saves.
    SaveChunks {
        back: usize,
    },
}

/// What one operation did: refused, accepted without a change, or accepted with its transaction
/// and what storage holds once it is durable.
pub type Outcome = Result<Option<(ItemTx, Stored)>, ItemError>;

/// One operation's own result: its transaction, if it changed anything.
type Done = Result<Option<ItemTx>, ItemError>;

/// The world the steps act on, the container objects stored, and the id counters.
#[derive(Debug)]
pub struct Play {
    pub world: ItemWorld,
    kinds: Kinds,
    pub objects: BTreeMap<i64, ObjectRecord>,
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

/// The content's kinds the play uses: (object kind id, capacity) of the box and the pile, the
/// folded box item, the inventory's slots.
#[derive(Debug, Clone)]
struct Kinds {
    content: Arc<Content>,
    box_object: (u32, u16),
    pile: (u32, u16),
    box_item: u32,
    inventory: u16,
}

impl Kinds {
    fn new() -> Kinds {
        let content = content();
        let capacity = |k: &game::content::ObjectKind| (k.id, k.capacity.unwrap_or(0));
        let box_object = capacity(content.object("box").expect("a box object kind"));
        let pile = capacity(content.pile_kind().expect("a pile kind"));
        let inventory = content.item_rules.inventory_slots;
        Kinds { box_object, pile, box_item: kind("box"), inventory, content }
    }
}

impl Play {
    /// The starting world and the transaction that stores it (objects, then items parents
    /// first).
    pub fn setup() -> (Play, ItemTx) {
        let kinds = Kinds::new();
        let mut world = ItemWorld::new(kinds.content.clone());
        let mut ops = Vec::new();
        for (n, &p) in PLAYERS.iter().enumerate() {
            let c = Container::Player(p);
            let base = p * 100;
            let (bag, inner) = (Container::Item(base + 3), Container::Item(base + 5));
            let items = [
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
            ];
            let report = world.insert_container(Root::Player(p), kinds.inventory, &items).unwrap();
            assert!(report.bad.is_empty());
            ops.extend(items.map(ItemOp::Put));
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
        let play = Play { world, kinds, objects, next_item: FIRST_ITEM, next_object: FIRST_OBJECT };
        (play, ItemTx::new("setup", ops))
    }

    /// What storage holds once every accepted operation so far is durable.
    pub fn stored(&self) -> Stored {
        Stored { items: self.world.records().map(|r| (r.id, *r)).collect(), objects: self.objects.clone() }
    }

    /// Runs one step: the outcome of each operation it makes, in order (a race makes two).
    pub fn run(&mut self, step: Step) -> Vec<Outcome> {
        match step {
            Step::SaveChunks { .. } => Vec::new(),
            Step::Race { pile, first, second } => {
                let second = if second % PLAYERS.len() == first % PLAYERS.len() { first + 1 } else { second };
                let Some(pile) = self.pile(pile) else { return vec![Ok(None)] };
                let first = self.pickup_pile(first, pile);
                let first = self.outcome(first);
                let second = self.pickup_pile(second, pile);
                vec![first, self.outcome(second)]
            }
            _ => {
                let done = self.op(step);
                vec![self.outcome(done)]
            }
        }
    }

    fn outcome(&self, done: Done) -> Outcome {
        done.map(|tx| tx.filter(|tx| !tx.ops.is_empty()).map(|tx| (tx, self.stored())))
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

    /// The containers `player` may touch, in a fixed order: its inventory, the boxes, and the
    /// bags in either (never a pile, never another's inventory).
    fn reachable(&self, player: i64) -> Vec<Container> {
        let mut all: Vec<Container> = self
            .world
            .containers()
            .map(|(c, _)| c)
            .filter(|&c| match self.root_of(c) {
                Some(Container::Player(p)) => p == player,
                Some(Container::Object(o)) => self.is_box(o),
                _ => false,
            })
            .collect();
        all.sort_by_key(|c| c.to_parts());
        all
    }

    fn is_box(&self, object: i64) -> bool {
        self.objects.get(&object).is_some_and(|o| o.kind == self.kinds.box_object.0)
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
                let (change, _) = self.world.take(source, 1)?;
                self.world.insert_container(Root::Object(id), capacity, &[]).expect("a new box");
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
            return Err(ItemError::NotEmpty { item: id });
        }
        let quality = self.objects[&id].quality;
        let stack = Stack { kind: self.kinds.box_item, quality, count: 1 };
        let to = Target::any(Container::Player(Self::player(player)));
        let next = &mut self.next_item;
        let mut change = self.world.give(to, stack, &mut || fresh(next))?;
        change.delete_object_last(id);
        assert_eq!(self.world.remove_container(Root::Object(id)), Ok(vec![]), "an empty box holds nothing");
        self.objects.remove(&id);
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
        Root::Player(_) => content.item_rules.inventory_slots,
        Root::Object(o) => {
            let kind = objects.get(&o).map_or(0, |r| r.kind);
            content.object_by_id(kind).and_then(|k| k.capacity).unwrap_or(0)
        }
    }
}
