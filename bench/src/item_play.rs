//! Item play for the in-process world benchmark (`world_tick --items`): players created in the
//! store with the starter kit, their inventories loaded into the map's `MapItems`, and each one
//! making an item request every few seconds as a client would: rearranging, splitting and
//! merging stacks, moving things into and out of the bag, dropping piles and walking to piles to
//! pick them up (interact orders), placing the box, opening a box nearby, stashing things in it,
//! taking them back, closing it and picking the empty box up again. Requests carry the
//! revisions the player sees, as a client's do; what the game refuses is counted, not avoided.

use crate::Rng;
use engine::{Entity, ResourceKey};
use game::gameplay::items::{ItemCounters, ItemRequest, MapItems};
use game::items::{ItemWorld, Source, Target};
use game::wire::verb;
use game::{Content, MapSim, Order};
use net::protocol::ServerMessage;
use std::collections::BTreeMap;
use std::time::Duration;
use store::{
    Container, IdKind, ItemOp, ItemRecord, ItemTx, MapId, PlayerRecord, Store, StoreError, WriterStats,
};

/// One fixed-point tile (1/256).
const TILE: i32 = crate::TILE;
/// How far a player looks for a pile or a box to walk to.
const LOOK: i32 = 8 * TILE;
/// How long the setup waits for the store.
const SETUP_WAIT: Duration = Duration::from_secs(120);

/// A player created in the store: its id and its starter kit's records.
#[derive(Debug, Clone)]
pub struct StoredPlayer {
    /// Player id (the character's `Controller::Player`).
    pub id: i64,
    /// The starter kit as stored.
    pub items: Vec<ItemRecord>,
}

/// Creates `n` players with the content's starter kit in the store (ids reserved from it, as a
/// login does) and waits until they are durable.
pub fn create_players(
    store: &Store,
    content: &Content,
    n: usize,
    map: MapId,
) -> Result<Vec<StoredPlayer>, StoreError> {
    let kit = &content.starter_kit;
    let count = |k: usize| u32::try_from(k).unwrap_or(u32::MAX);
    let ids = store.loader().reserve_ids(IdKind::Player, count(n))?.wait(SETUP_WAIT)?;
    let item_ids = store.loader().reserve_ids(IdKind::Item, count(n * kit.len()))?.wait(SETUP_WAIT)?;
    let mut next_item = item_ids.start;
    let mut out = Vec::with_capacity(n);
    for id in ids {
        let items: Vec<ItemRecord> = kit
            .iter()
            .enumerate()
            .map(|(slot, s)| {
                next_item += 1;
                let container = Container::Player(id);
                ItemRecord {
                    id: next_item - 1,
                    kind: s.kind,
                    quality: 0,
                    count: s.count,
                    container,
                    slot: slot as u32,
                }
            })
            .collect();
        let record =
            PlayerRecord { id, name: format!("wt{id}"), token_hash: vec![0; 32], map, ..Default::default() };
        let ops = items.iter().map(|r| ItemOp::Put(*r)).collect();
        store.writer().create_player(record, ItemTx::new("starter kit", ops))?;
        out.push(StoredPlayer { id, items });
    }
    if !store.writer().flush(SETUP_WAIT).complete() {
        return Err(StoreError::Timeout);
    }
    Ok(out)
}

/// What a player does with its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// A whole stack to an empty slot of the inventory.
    Rearrange,
    /// Half a stack to an empty slot.
    Split,
    /// A stack onto another of the same kind.
    Merge,
    /// A stack into the bag.
    BagIn,
    /// A stack out of the bag.
    BagOut,
    /// Part of a stack dropped on the ground (a pile).
    Drop,
    /// Walk to a pile nearby and pick it up (interact order).
    PickUpPile,
    /// The box placed on the ground.
    PlaceBox,
    /// Walk to a box nearby and open it (interact order).
    OpenBox,
    /// A stack from the inventory into the open box.
    Stash,
    /// A stack from the open box into the inventory.
    Unstash,
    /// The open box closed.
    CloseBox,
    /// Walk to the open box, empty, and pick it up (interact order).
    PickUpBox,
}

/// Ops tried when no box is open, with their weights.
const FREE_OPS: [(Op, u32); 9] = [
    (Op::Rearrange, 20),
    (Op::Split, 15),
    (Op::Merge, 10),
    (Op::BagIn, 10),
    (Op::BagOut, 10),
    (Op::Drop, 10),
    (Op::PickUpPile, 15),
    (Op::PlaceBox, 5),
    (Op::OpenBox, 5),
];
/// Ops tried with a box open.
const BOX_OPS: [(Op, u32); 4] = [(Op::Stash, 40), (Op::Unstash, 35), (Op::CloseBox, 10), (Op::PickUpBox, 15)];

/// One playing character.
#[derive(Debug, Clone, Copy)]
struct Actor {
    id: i64,
    entity: Entity,
    due: u64,
}

/// The counters at the start of the measured part.
#[derive(Debug, Clone)]
pub struct Baseline {
    items: ItemCounters,
    writer: WriterStats,
}

/// What one decision does to the map.
enum Act {
    Request(ItemRequest),
    Order(Entity, Order),
}

/// Counts of what the play did and was told.
#[derive(Debug, Clone, Default)]
pub struct PlayStats {
    /// Decisions by op (requests queued and interact orders given).
    pub ops: BTreeMap<Op, u64>,
    /// Decisions where nothing the player could do applied.
    pub idle: u64,
    /// ContainerContents messages for the players.
    pub contents: u64,
    /// ContainerChange messages.
    pub changes: u64,
    /// ContainerClosed messages.
    pub closed: u64,
    /// Error messages.
    pub errors: u64,
}

/// The players' item play on one map.
#[derive(Debug)]
pub struct ItemPlay {
    items: ResourceKey<MapItems>,
    actors: Vec<Actor>,
    rng: Rng,
    period: (u64, u64),
    kinds: Kinds,
    /// What the play did so far.
    pub stats: PlayStats,
}

/// The item and object kinds the play needs from the content.
#[derive(Debug, Clone, Copy)]
struct Kinds {
    pile: u32,
    box_object: u32,
}

impl ItemPlay {
    /// Play for the players entered into `items`, each acting every `period` ticks (lowest,
    /// highest), starting at a random point of its first period.
    pub fn new(
        items: ResourceKey<MapItems>,
        content: &Content,
        players: &[(i64, Entity)],
        period: (u64, u64),
    ) -> Self {
        let mut rng = Rng::new(0x17_17);
        let period = (period.0.max(1), period.1.max(period.0.max(1)));
        let actors = players
            .iter()
            .map(|&(id, entity)| Actor { id, entity, due: rng.next_u64() % period.1 })
            .collect();
        let pile = content.pile_kind().map_or(0, |k| k.id);
        let box_object = content.items.iter().find_map(|k| k.places).unwrap_or(0);
        Self { items, actors, rng, period, kinds: Kinds { pile, box_object }, stats: PlayStats::default() }
    }

    /// The players due at `tick` decide and act (requests queued for the next tick's items
    /// system, interact orders given).
    pub fn act(&mut self, sim: &mut MapSim, tick: u64) {
        let mut acts = Vec::new();
        {
            let items = sim.world.resource(self.items);
            for i in 0..self.actors.len() {
                if self.actors[i].due > tick {
                    continue;
                }
                let actor = self.actors[i];
                let mut wait = self.period.0 + self.rng.next_u64() % (self.period.1 - self.period.0 + 1);
                match self.decide(sim, &items, actor) {
                    Some((op, act)) => {
                        *self.stats.ops.entry(op).or_default() += 1;
                        // At a box, a player moves things quickly, as at its own inventory.
                        if matches!(op, Op::OpenBox | Op::Stash | Op::Unstash) {
                            wait = wait.div_ceil(3);
                        }
                        acts.push(act);
                    }
                    None => self.stats.idle += 1,
                }
                self.actors[i].due = tick + wait;
            }
        }
        for act in acts {
            match act {
                Act::Request(r) => sim.world.resource_mut(self.items).request(r),
                Act::Order(e, order) => {
                    sim.set_order(e, order);
                }
            }
        }
    }

    /// Takes the messages the items system produced and counts them.
    pub fn drain(&mut self, sim: &MapSim) {
        for (_, msg) in sim.world.resource_mut(self.items).take_outbox() {
            match msg {
                ServerMessage::ContainerContents(_) => self.stats.contents += 1,
                ServerMessage::ContainerChange(_) => self.stats.changes += 1,
                ServerMessage::ContainerClosed(_) => self.stats.closed += 1,
                ServerMessage::Error(_) => self.stats.errors += 1,
                _ => {}
            }
        }
    }

    /// The map's item counters now.
    pub fn counters(&self, sim: &MapSim) -> ItemCounters {
        sim.world.resource(self.items).counters.clone()
    }

    /// Starts the measured part: the play's counts restart, and what the counters hold now is
    /// returned, so the report shows the measured part alone.
    pub fn start_measuring(&mut self, sim: &MapSim, writer: WriterStats) -> Baseline {
        self.stats = PlayStats::default();
        Baseline { items: self.counters(sim), writer }
    }

    /// Prints what the play did and the game answered since `before`, over `secs` of simulated
    /// time.
    pub fn report(&self, sim: &MapSim, before: &Baseline, writer: &WriterStats, secs: f64) {
        let (now, was) = (self.counters(sim), &before.items);
        let st = &self.stats;
        let decided: u64 = st.ops.values().sum();
        let done = now.done - was.done;
        println!(
            "items: {decided} decisions ({:.0}/s simulated, {} idle), {done} operations done ({:.0}/s), \
             {} submit failures, {} items not loaded",
            decided as f64 / secs,
            st.idle,
            done as f64 / secs,
            now.submit_failed - was.submit_failed,
            now.bad_items - was.bad_items
        );
        let ops: Vec<String> = st.ops.iter().map(|(op, n)| format!("{op:?} {n}")).collect();
        println!("  decisions: {}", ops.join(", "));
        let refused: Vec<String> = now
            .refused
            .iter()
            .map(|(code, n)| (code, n - was.refused.get(code).copied().unwrap_or(0)))
            .filter(|&(_, n)| n > 0)
            .map(|(code, n)| format!("{code}: {n}"))
            .collect();
        println!(
            "  refused by code: {}",
            if refused.is_empty() { "none".into() } else { refused.join(", ") }
        );
        println!(
            "  messages: {} contents, {} changes, {} closed, {} errors",
            st.contents, st.changes, st.closed, st.errors
        );
        println!(
            "  store: {} item transactions committed, {} failed, queue depth {} at the end",
            writer.item_txs_ok - before.writer.item_txs_ok,
            writer.item_txs_failed - before.writer.item_txs_failed,
            writer.queue_depth
        );
        let (piles, boxes) = self.ground(sim);
        println!("  on the ground now: {piles} piles, {boxes} boxes");
    }

    /// Piles and boxes on the map.
    fn ground(&self, sim: &MapSim) -> (usize, usize) {
        let objects = sim.world.column(sim.keys.object);
        let kinds = objects.values().iter().map(|r| r.kind);
        kinds.fold((0, 0), |(p, b), k| {
            (p + usize::from(k == self.kinds.pile), b + usize::from(k == self.kinds.box_object))
        })
    }

    /// A weighted pick of the ops that apply, trying the others in turn when it does not.
    fn decide(&mut self, sim: &MapSim, items: &MapItems, a: Actor) -> Option<(Op, Act)> {
        let open = items.view(a.id)?.open;
        let menu: &[(Op, u32)] = if open.is_some() { &BOX_OPS } else { &FREE_OPS };
        let first = self.weighted(menu);
        (0..menu.len()).find_map(|k| {
            let op = menu[(first + k) % menu.len()].0;
            self.try_op(op, sim, &items.world, a, open.map(|b| (b.object, b.entity))).map(|act| (op, act))
        })
    }

    /// The index of a weighted random pick of `menu`.
    fn weighted(&mut self, menu: &[(Op, u32)]) -> usize {
        let total: u32 = menu.iter().map(|m| m.1).sum();
        let mut roll = (self.rng.next_u64() % u64::from(total.max(1))) as u32;
        for (i, &(_, weight)) in menu.iter().enumerate() {
            if roll < weight {
                return i;
            }
            roll -= weight;
        }
        0
    }

    fn try_op(
        &mut self,
        op: Op,
        sim: &MapSim,
        w: &ItemWorld,
        a: Actor,
        open: Option<(i64, Entity)>,
    ) -> Option<Act> {
        let own = Container::Player(a.id);
        let bag = w
            .items_in(own)
            .find(|i| w.container(Container::Item(i.id)).is_some())
            .map(|i| Container::Item(i.id));
        let player = a.id;
        match op {
            Op::Rearrange => {
                let item = self.pick(w, own, |_| true)?;
                let to = self.free_slot(w, own)?;
                Some(self.move_req(w, player, (own, slot(&item)), Target::slot(own, to), item.count))
            }
            Op::Split => {
                let item = self.pick(w, own, |i| i.count >= 2)?;
                let to = self.free_slot(w, own)?;
                Some(self.move_req(w, player, (own, slot(&item)), Target::slot(own, to), item.count / 2))
            }
            Op::Merge => {
                let stackable = |i: &ItemRecord| w.content().item(i.kind).is_some_and(|k| k.stackable());
                let stacks: Vec<&ItemRecord> = w.items_in(own).filter(|i| stackable(i)).collect();
                let (onto, from) = stacks.iter().enumerate().find_map(|(i, x)| {
                    let y = stacks[i + 1..].iter().find(|y| (y.kind, y.quality) == (x.kind, x.quality))?;
                    Some((*x, *y))
                })?;
                Some(self.move_req(w, player, (own, slot(from)), Target::slot(own, slot(onto)), from.count))
            }
            Op::BagIn => {
                let bag = bag?;
                let item = self.pick(w, own, |i| Container::Item(i.id) != bag)?;
                Some(self.move_req(w, player, (own, slot(&item)), Target::any(bag), item.count))
            }
            Op::BagOut => {
                let bag = bag?;
                let item = self.pick(w, bag, |_| true)?;
                Some(self.move_req(w, player, (bag, slot(&item)), Target::any(own), item.count))
            }
            Op::Drop => {
                let places = |i: &ItemRecord| w.content().item(i.kind).is_some_and(|k| k.places.is_some());
                let item =
                    self.pick(w, own, |i| w.container(Container::Item(i.id)).is_none() && !places(i))?;
                let count = 1 + (self.rng.next_u64() % u64::from(item.count)) as u32;
                Some(self.drop_req(w, player, own, slot(&item), count))
            }
            Op::PlaceBox => {
                let item =
                    self.pick(w, own, |i| w.content().item(i.kind).is_some_and(|k| k.places.is_some()))?;
                Some(self.drop_req(w, player, own, slot(&item), 1))
            }
            Op::PickUpPile => self.walk_to(sim, a.entity, self.kinds.pile, verb::PICK_UP),
            Op::OpenBox => self.walk_to(sim, a.entity, self.kinds.box_object, verb::USE),
            Op::Stash => {
                let (object, _) = open?;
                let item = self.pick(w, own, |i| w.container(Container::Item(i.id)).is_none())?;
                let to = Container::Object(object);
                Some(self.move_req(w, player, (own, slot(&item)), Target::any(to), item.count))
            }
            Op::Unstash => {
                let from = Container::Object(open?.0);
                let item = self.pick(w, from, |_| true)?;
                Some(self.move_req(w, player, (from, slot(&item)), Target::any(own), item.count))
            }
            Op::CloseBox => open.map(|_| Act::Request(ItemRequest::Close { player })),
            Op::PickUpBox => {
                let (object, entity) = open?;
                let empty = w.container(Container::Object(object)).is_some_and(|s| s.is_empty());
                empty.then_some(Act::Order(a.entity, Order::Interact { target: entity, verb: verb::PICK_UP }))
            }
        }
    }

    /// A random item of `c` that `keep` accepts.
    fn pick(
        &mut self,
        w: &ItemWorld,
        c: Container,
        keep: impl Fn(&ItemRecord) -> bool,
    ) -> Option<ItemRecord> {
        let n = w.items_in(c).filter(|i| keep(i)).count();
        if n == 0 {
            return None;
        }
        let k = (self.rng.next_u64() % n as u64) as usize;
        w.items_in(c).filter(|i| keep(i)).nth(k).copied()
    }

    /// A random empty slot of `c`.
    fn free_slot(&mut self, w: &ItemWorld, c: Container) -> Option<u16> {
        let slots = w.container(c)?;
        let last = match c {
            // The equipment slots after the inventory take only what fits them.
            Container::Player(_) => slots.capacity().min(w.content().item_rules.inventory_slots),
            _ => slots.capacity(),
        };
        let free: Vec<u16> = (0..last).filter(|&s| slots.get(s).is_none()).collect();
        free.get((self.rng.next_u64() % free.len().max(1) as u64) as usize).copied()
    }

    fn move_req(&self, w: &ItemWorld, player: i64, (c, s): (Container, u16), to: Target, count: u32) -> Act {
        let from = Source::new(c, s).seen(w.revision(c).unwrap_or(0));
        let to = to.seen(w.revision(to.container).unwrap_or(0));
        Act::Request(ItemRequest::Move { player, request: 0, from, to, count })
    }

    fn drop_req(&self, w: &ItemWorld, player: i64, c: Container, slot: u16, count: u32) -> Act {
        let from = Source::new(c, slot).seen(w.revision(c).unwrap_or(0));
        Act::Request(ItemRequest::Drop { player, request: 0, from, count })
    }

    /// An interact order on the nearest object of `kind` around `who`.
    fn walk_to(&self, sim: &MapSim, who: Entity, kind: u32, verb: u8) -> Option<Act> {
        let (x, y) = sim.position(who)?;
        let near = sim.objects_near(x, y, LOOK);
        let dist = |e: Entity| sim.position(e).map_or(i64::MAX, |(ox, oy)| sq(ox - x) + sq(oy - y));
        let target = near.iter().filter(|o| o.1 == kind).map(|o| o.0).min_by_key(|&e| dist(e))?;
        Some(Act::Order(who, Order::Interact { target, verb }))
    }
}

fn slot(i: &ItemRecord) -> u16 {
    u16::try_from(i.slot).unwrap_or(u16::MAX)
}

fn sq(v: i32) -> i64 {
    i64::from(v) * i64::from(v)
}
