//! The test's model of the item layer: a world of items and objects, the writes a validating game
//! would submit against it (every one valid on the state before it), and their effect.

use std::collections::{BTreeMap, BTreeSet};

use store::{ChunkKey, ChunkSave, Container, ItemOp, ItemRecord, ItemTx, ObjectRecord, Position};

pub const PLAYERS: [i64; 3] = [1, 2, 3];
pub const CHUNKS: [ChunkKey; 2] = [ChunkKey { map: 1, cx: 0, cy: 0 }, ChunkKey { map: 1, cx: 1, cy: 0 }];
/// The item kind that holds items (a bag).
const BAG: u32 = 9;
const TREES_PER_CHUNK: i64 = 4;

/// What the database should hold: every item and every object, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct World {
    pub items: BTreeMap<i64, ItemRecord>,
    pub objects: BTreeMap<i64, ObjectRecord>,
}

impl World {
    /// Total count per (kind, quality): what crafting and trading must conserve.
    pub fn totals(&self) -> BTreeMap<(u32, u32), u64> {
        let mut totals = BTreeMap::new();
        for i in self.items.values() {
            *totals.entry((i.kind, i.quality)).or_insert(0) += u64::from(i.count);
        }
        totals
    }

    /// Whether `inner` is item `outer` or stored somewhere below it.
    pub fn is_within(&self, inner: i64, outer: i64) -> bool {
        let mut at = Some(inner);
        for _ in 0..=self.items.len() {
            match at {
                Some(id) if id == outer => return true,
                Some(id) => match self.items.get(&id).map(|i| i.container) {
                    Some(Container::Item(up)) => at = Some(up),
                    _ => return false,
                },
                None => return false,
            }
        }
        true // a cycle: treat as inside
    }

    fn holds(&self, c: Container) -> bool {
        self.items.values().any(|i| i.container == c)
    }
}

/// One submitted write.
#[derive(Debug, Clone)]
pub enum Write {
    Items(ItemTx),
    Chunk(ChunkSave),
}

/// One step of a generated game: which action, and three numbers that pick its operands.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub action: u8,
    pub a: u16,
    pub b: u16,
    pub c: u16,
}

fn nth<T: Copy>(xs: &[T], n: u16) -> Option<T> {
    (!xs.is_empty()).then(|| xs[usize::from(n) % xs.len()])
}

/// The model: the world now plus the ids it hands out.
#[derive(Debug, Default)]
pub struct Model {
    pub world: World,
    next_item: i64,
    next_object: i64,
}

impl Model {
    pub fn new() -> Model {
        Model { world: World::default(), next_item: 1, next_object: 100_000 }
    }

    /// Turns a step into a write valid on the current world, and applies it.
    pub fn plan(&mut self, s: Step) -> Write {
        let write = match s.action % 11 {
            0 | 1 => self.create(s),
            2 | 3 => self.moved(s),
            4 => self.split(s),
            5 => self.merge(s),
            6 => self.drop_item(s),
            7 => self.pick_up(s),
            8 => self.consume(s),
            9 => Write::Chunk(self.stale_chunk_save(s)),
            _ => self.change_container(s),
        };
        match &write {
            Write::Items(tx) => tx.ops.iter().for_each(|op| apply_op(&mut self.world, op)),
            Write::Chunk(save) => apply_chunk_save(&mut self.world, save),
        }
        write
    }

    fn item_ids(&self, keep: impl Fn(&ItemRecord) -> bool) -> Vec<i64> {
        self.world.items.values().filter(|i| keep(i)).map(|i| i.id).collect()
    }

    fn container_ids(&self, chunk: Option<ChunkKey>) -> Vec<i64> {
        let mut ids = self.world.objects.values().filter(|o| o.holds_items);
        let ids = ids.by_ref().filter(|o| chunk.is_none_or(|k| o.chunk() == k));
        ids.map(|o| o.id).collect()
    }

    /// A player, a container object or a bag.
    fn container(&self, n: u16) -> Container {
        let mut all: Vec<Container> = PLAYERS.iter().map(|&p| Container::Player(p)).collect();
        all.extend(self.container_ids(None).into_iter().map(Container::Object));
        all.extend(self.item_ids(|i| i.kind == BAG).into_iter().map(Container::Item));
        nth(&all, n).unwrap_or(Container::Player(PLAYERS[0]))
    }

    /// A container `id` may move into (never itself or anything inside it).
    fn target_for(&self, id: i64, n: u16) -> Container {
        match self.container(n) {
            Container::Item(bag) if self.world.is_within(bag, id) => Container::Player(PLAYERS[0]),
            c => c,
        }
    }

    fn new_item(
        &mut self,
        kind: u32,
        quality: u32,
        count: u32,
        container: Container,
        slot: u16,
    ) -> ItemRecord {
        self.next_item += 1;
        ItemRecord { id: self.next_item, kind, quality, count, container, slot: u32::from(slot % 16) }
    }

    fn new_container(&mut self, s: Step) -> ObjectRecord {
        self.next_object += 1;
        let key = CHUNKS[usize::from(s.b) % CHUNKS.len()];
        let pos = Position { x: i32::from(s.a), y: i32::from(s.c) };
        let state = vec![s.c as u8];
        let kind = 30 + u32::from(s.a % 2);
        ObjectRecord {
            id: self.next_object,
            map: key.map,
            grid_x: key.cx,
            grid_y: key.cy,
            kind,
            pos,
            state,
            holds_items: true,
            ..Default::default()
        }
    }

    fn create(&mut self, s: Step) -> Write {
        let bag = s.a.is_multiple_of(5);
        let kind = if bag { BAG } else { 1 + u32::from(s.a % 3) };
        let count = if bag { 1 } else { 1 + u32::from(s.c % 20) };
        let item = self.new_item(kind, 1 + u32::from(s.a / 3 % 2), count, self.container(s.b), s.c);
        Write::Items(ItemTx::new("create", vec![ItemOp::Put(item)]))
    }

    fn moved(&mut self, s: Step) -> Write {
        let Some(id) = nth(&self.item_ids(|_| true), s.a) else { return self.create(s) };
        let to = self.target_for(id, s.b);
        Write::Items(ItemTx::new("move", vec![ItemOp::Move { id, to, slot: u32::from(s.c % 16) }]))
    }

    fn split(&mut self, s: Step) -> Write {
        let Some(id) = nth(&self.item_ids(|i| i.kind != BAG && i.count >= 2), s.a) else {
            return self.create(s);
        };
        let from = self.world.items[&id];
        let part = 1 + u32::from(s.c) % (from.count - 1);
        let new = self.new_item(from.kind, from.quality, part, self.target_for(id, s.b), s.c);
        let ops = vec![ItemOp::SetCount { id, count: from.count - part }, ItemOp::Put(new)];
        Write::Items(ItemTx::new("split", ops))
    }

    fn merge(&mut self, s: Step) -> Write {
        let Some(into) = nth(&self.item_ids(|i| i.kind != BAG), s.a) else { return self.create(s) };
        let x = self.world.items[&into];
        let same = self.item_ids(|i| i.id != into && i.kind == x.kind && i.quality == x.quality);
        let Some(gone) = nth(&same, s.b) else { return self.moved(s) };
        let count = x.count + self.world.items[&gone].count;
        let ops = vec![ItemOp::SetCount { id: into, count }, ItemOp::Delete { id: gone }];
        Write::Items(ItemTx::new("merge", ops))
    }

    /// A new pile on the ground with an item moved into it (or an empty box placed).
    fn drop_item(&mut self, s: Step) -> Write {
        let pile = self.new_container(s);
        let mut ops = vec![ItemOp::PutObject(pile.clone())];
        if let Some(id) = nth(&self.item_ids(|_| true), s.a) {
            ops.push(ItemOp::Move { id, to: Container::Object(pile.id), slot: 0 });
        }
        Write::Items(ItemTx::new("drop", ops))
    }

    /// Everything directly in a container object goes to a player, and the object goes.
    fn pick_up(&mut self, s: Step) -> Write {
        let Some(obj) = nth(&self.container_ids(None), s.a) else { return self.drop_item(s) };
        let player = Container::Player(PLAYERS[usize::from(s.b) % PLAYERS.len()]);
        let inside = self.item_ids(|i| i.container == Container::Object(obj));
        let mut ops: Vec<ItemOp> = inside
            .iter()
            .enumerate()
            .map(|(n, &id)| ItemOp::Move { id, to: player, slot: n as u32 })
            .collect();
        ops.push(ItemOp::DeleteObject { id: obj });
        Write::Items(ItemTx::new("pick up", ops))
    }

    fn consume(&mut self, s: Step) -> Write {
        let empty = self.item_ids(|i| !self.world.holds(Container::Item(i.id)));
        let Some(id) = nth(&empty, s.a) else { return self.create(s) };
        Write::Items(ItemTx::new("consume", vec![ItemOp::Delete { id }]))
    }

    /// A container object changes (a box opened, a pile decays) by an item transaction.
    fn change_container(&mut self, s: Step) -> Write {
        let Some(id) = nth(&self.container_ids(None), s.a) else { return self.drop_item(s) };
        let mut obj = self.world.objects[&id].clone();
        obj.stage = obj.stage.wrapping_add(1);
        obj.state = vec![s.c as u8, 1];
        Write::Items(ItemTx::new("change box", vec![ItemOp::PutObject(obj)]))
    }

    /// A chunk save from a snapshot that is older than the item layer: some trees, and stale
    /// copies of the chunk's container objects (some of them without the flag).
    fn stale_chunk_save(&self, s: Step) -> ChunkSave {
        let key = CHUNKS[usize::from(s.b) % CHUNKS.len()];
        let base = 500_000 + i64::from(key.cx) * 100;
        let mut objects: Vec<ObjectRecord> = (0..TREES_PER_CHUNK)
            .filter(|j| s.c >> j & 1 == 1)
            .map(|j| ObjectRecord {
                id: base + j,
                map: key.map,
                grid_x: key.cx,
                grid_y: key.cy,
                kind: 1,
                stage: s.a % 5,
                ..Default::default()
            })
            .collect();
        for (k, id) in self.container_ids(Some(key)).into_iter().enumerate() {
            if s.a >> (k % 16) & 1 == 1 {
                let stale = ObjectRecord {
                    state: vec![0xEE],
                    holds_items: s.c >> 8 & 1 == 1,
                    ..self.world.objects[&id].clone()
                };
                objects.push(stale);
            }
        }
        ChunkSave { key, chunk: None, objects }
    }
}

/// The store's semantics of one item operation (on a valid transaction).
fn apply_op(w: &mut World, op: &ItemOp) {
    match op {
        ItemOp::Put(item) => {
            w.items.insert(item.id, *item);
        }
        ItemOp::Move { id, to, slot } => {
            let item = w.items.get_mut(id).expect("the model moves existing items");
            (item.container, item.slot) = (*to, *slot);
        }
        ItemOp::SetCount { id, count } => w.items.get_mut(id).expect("existing item").count = *count,
        ItemOp::Delete { id } => {
            w.items.remove(id);
        }
        ItemOp::PutObject(obj) => {
            w.objects.insert(obj.id, obj.clone());
        }
        ItemOp::DeleteObject { id } => {
            w.objects.remove(id);
        }
    }
}

/// The store's semantics of a chunk save: plain objects of the chunk replaced by the listed
/// plain ones; container objects neither written nor deleted.
fn apply_chunk_save(w: &mut World, save: &ChunkSave) {
    let listed: BTreeSet<i64> = save.objects.iter().map(|o| o.id).collect();
    w.objects.retain(|id, o| o.holds_items || o.chunk() != save.key || listed.contains(id));
    for o in save.objects.iter().filter(|o| !o.holds_items) {
        if !w.objects.get(&o.id).is_some_and(|stored| stored.holds_items) {
            w.objects.insert(o.id, o.clone());
        }
    }
}
