//! The items feature (§7): the map's [`ItemWorld`] as a resource ([`MapItems`]) and the
//! "items" gameplay system that changes it. Every operation is checked in memory first, then
//! submitted to the store's ordered writer as one transaction in accept order (the writer
//! commits them in groups, never one round trip each on the tick), so memory is never behind
//! storage and storage is always a prefix of what was accepted.
//!
//! Each tick the system: takes in the container objects (boxes, piles) residency loaded or
//! unloaded; judges interact actions on containers (a pile is picked up, as much as fits; a box
//! is opened, or picked up when empty) and on objects that give something (gathering); carries
//! out the queued requests (moves, drops, uses, plantings, closing the box); closes boxes their
//! viewers walked away from; and sends every affected player what changed in what it sees
//! ([`view`]). Objects appear, change and disappear through commands (a pile dropped, a crop
//! planted, a tree felled to a stump, an emptied pile or a picked-up box removed), so clients
//! see them as object deltas.
//!
//! Crafts (`craft.rs`) are checked when their request comes up, then run for the recipe's
//! ticks while the character stands still and is given no new order, and complete as one item
//! transaction; each step is told to the player as a CraftProgress.
//!
//! `requests.rs` translates wire requests, `view.rs` keeps what each player was sent,
//! `ground.rs` finds room on the ground, `eat.rs` uses items (eating), `gather.rs` gathers from
//! objects (felling, picking, harvesting), `plant.rs` plants seeds, `corpse.rs` lays and clears
//! corpses and keeps what each player wields in step with its hand slot, `jobs.rs` holds the
//! crafts running, `act.rs` is the system's work.
mod act;
mod corpse;
mod craft;
mod eat;
mod gather;
mod ground;
mod jobs;
mod plant;
mod requests;
mod view;

pub use corpse::BOT_CORPSE;
pub use jobs::{CraftJob, OrderMark};
pub use requests::{
    CraftRequest, ItemRequest, Refusal, container_of, craft_request, drop_request, move_request,
    plant_request, use_request,
};
pub use view::{OpenBox, View, root_of, visible_containers};

use crate::content::Content;
use crate::error::GameError;
use crate::ids::IdPool;
use crate::items::{ItemWorld, LoadReport, Root, bot_holder, is_bot_holder as is_bot};
use crate::sim::MapSim;
use engine::{Entity, ResourceKey};
use net::protocol::{ErrorMsg, ServerMessage};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use store::{IdKind, ItemRecord, Store, Ticket};

/// Item and object ids a map fetches at a time (a few seconds of busy play).
const ID_BLOCK: u32 = 2048;

/// Item counters of one map since start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemCounters {
    /// Operations carried out (moves, drops, pickups, boxes placed or picked up, food eaten,
    /// crafts made).
    pub done: u64,
    /// Refusals of players' requests by error code (crafts failed at completion included).
    pub refused: BTreeMap<u16, u64>,
    /// Refusals of bots' requests by error code.
    pub bot_refused: BTreeMap<u16, u64>,
    /// Transactions the store's writer refused (queue full or closed): logged, never silent.
    pub submit_failed: u64,
    /// Stored items that could not be loaded (reported; they stay in storage).
    pub bad_items: u64,
}

/// What a player leaving the map takes along: its inventory's records and the ticket that
/// resolves once every item change of it is durable.
#[derive(Debug)]
pub struct Departure {
    /// Every item below the player, flat.
    pub items: Vec<ItemRecord>,
    /// Durability of the last item transaction touching the inventory, if any.
    pub ticket: Option<Ticket>,
}

/// The items of one map and who sees what of them.
#[derive(Debug)]
pub struct MapItems {
    /// Every loaded container and item.
    pub world: ItemWorld,
    content: Arc<Content>,
    store: Arc<Store>,
    /// The map's ownership epoch: every item transaction carries it (`None`: unfenced, a map
    /// outside a shard).
    fence: Option<store::Fence>,
    item_ids: IdPool,
    object_ids: IdPool,
    requests: Vec<ItemRequest>,
    outbox: Vec<(i64, ServerMessage)>,
    views: HashMap<i64, View>,
    /// Container objects in memory: stored object id → entity.
    objects: HashMap<i64, Entity>,
    /// Players whose view changed this tick (refreshed at its end).
    dirty: Vec<i64>,
    /// Players with a box open.
    openers: Vec<i64>,
    /// Players with a Pickup on its way (its order walking to the pile).
    pickers: Vec<i64>,
    /// Players whose inventory changed this tick: what they fight with is brought up to date.
    armed: Vec<i64>,
    /// Corpses in memory.
    corpses: Vec<corpse::Corpse>,
    /// The clock second corpses were last looked at.
    corpse_second: u64,
    /// The crafts running, at most one per player.
    crafts: Vec<CraftJob>,
    /// The server tick the shard simulates now (crafts count in it); `None`: the map clock's.
    server_tick: Option<u64>,
    /// Who is gathering what.
    gathering: gather::Gathering,
    /// Counters since start.
    pub counters: ItemCounters,
}

impl MapItems {
    /// Fences every later item transaction of the map with the shard's ownership epoch.
    pub fn set_fence(&mut self, fence: store::Fence) {
        self.fence = Some(fence);
    }

    fn new(content: Arc<Content>, store: Arc<Store>) -> Self {
        Self {
            fence: None,
            world: ItemWorld::new(content.clone()),
            content,
            store,
            item_ids: IdPool::with_block(IdKind::Item, ID_BLOCK),
            object_ids: IdPool::with_block(IdKind::Object, ID_BLOCK),
            requests: Vec::new(),
            outbox: Vec::new(),
            views: HashMap::new(),
            objects: HashMap::new(),
            dirty: Vec::new(),
            openers: Vec::new(),
            pickers: Vec::new(),
            armed: Vec::new(),
            corpses: Vec::new(),
            corpse_second: 0,
            crafts: Vec::new(),
            server_tick: None,
            gathering: gather::Gathering::default(),
            counters: ItemCounters::default(),
        }
    }

    /// A player's character entered the map with its stored items: its inventory is loaded
    /// (bad records reported and left in storage) and sent at the next tick.
    pub fn enter(&mut self, player: i64, entity: Entity, items: &[ItemRecord]) -> LoadReport {
        let slots = crate::items::inventory_capacity(&self.content.item_rules);
        let report = match self.world.insert_container(Root::Player(player), slots, items) {
            Ok(report) => report,
            Err(e) => {
                tracing::error!(player, error = %e, "inventory already loaded");
                LoadReport::default()
            }
        };
        for bad in &report.bad {
            tracing::warn!(player, item = bad.item.id, reason = %bad.reason, "stored item not loaded");
        }
        self.counters.bad_items += report.bad.len() as u64;
        self.views.insert(player, View::new(entity));
        self.armed.push(player);
        self.dirty.push(player);
        report
    }

    /// A player left the map: its view ends and its inventory leaves memory.
    pub fn leave(&mut self, player: i64) -> Departure {
        self.requests.retain(|r| requester(r) != player);
        let (entity, ticket) =
            self.views.remove(&player).map_or((None, None), |v| (Some(v.entity), v.last_ticket));
        self.openers.retain(|&p| p != player);
        self.pickers.retain(|&p| p != player);
        self.crafts.retain(|c| c.player != player);
        self.gathering.forget(player, entity);
        let items = self.world.remove_container(Root::Player(player)).unwrap_or_default();
        Departure { items, ticket }
    }

    /// Queues a request for the next tick.
    pub fn request(&mut self, request: ItemRequest) {
        self.requests.push(request);
    }

    /// Remembers the request id of a Pickup: errors of the interact it started carry it.
    pub fn expect_pickup(&mut self, player: i64, target: Entity, request: u32) {
        if let Some(view) = self.views.get_mut(&player) {
            view.pickup = Some((target, request));
            if !self.pickers.contains(&player) {
                self.pickers.push(player);
            }
        }
    }

    /// Refuses a request that could not be translated (a container reference that names
    /// nothing here): the Error is sent in turn with the answers to the requests before it.
    pub fn refuse(&mut self, player: i64, request: u32, refusal: Refusal) {
        self.requests.push(ItemRequest::Refused { player, request, refusal });
    }

    /// The messages for players since the last call, in order.
    pub fn take_outbox(&mut self) -> Vec<(i64, ServerMessage)> {
        std::mem::take(&mut self.outbox)
    }

    /// Sets the server tick the next simulation runs as: crafts' ticks (CraftProgress) are
    /// server ticks then. A map simulated alone counts in its own clock's ticks.
    pub fn set_server_tick(&mut self, tick: u64) {
        self.server_tick = Some(tick);
    }

    /// The craft `player` has running, if any.
    pub fn craft_of(&self, player: i64) -> Option<&CraftJob> {
        self.crafts.iter().find(|c| c.player == player)
    }

    /// The player's view, if it is on this map.
    pub fn view(&self, player: i64) -> Option<&View> {
        self.views.get(&player)
    }

    /// The entity of a container object in memory.
    pub fn object_entity(&self, object: i64) -> Option<Entity> {
        self.objects.get(&object).copied()
    }

    /// Marks `player`'s view for a refresh at the end of the tick.
    fn touch(&mut self, player: i64) {
        if let Some(view) = self.views.get_mut(&player)
            && !view.dirty
        {
            view.dirty = true;
            self.dirty.push(player);
        }
    }

    fn error(&mut self, player: i64, request: u32, code: u16, text: String) {
        self.count_refusal(player, code);
        self.tell_player(player, ServerMessage::Error(ErrorMsg { code, request, text }));
    }

    /// Counts a refusal with `code` of a player's (or a bot's) request.
    fn count_refusal(&mut self, player: i64, code: u16) {
        let counts = if is_bot(player) { &mut self.counters.bot_refused } else { &mut self.counters.refused };
        *counts.entry(code).or_default() += 1;
    }

    /// Queues a message for a player (bots are told nothing: they read the world directly).
    fn tell_player(&mut self, player: i64, message: ServerMessage) {
        if !is_bot(player) {
            self.outbox.push((player, message));
        }
    }

    /// A server-side bot's character entered the map: it gets an empty inventory of its own,
    /// which is never stored ([`crate::items::Root`]).
    pub fn enter_bot(&mut self, entity: Entity) {
        self.enter(bot_holder(entity.index()), entity, &[]);
    }

    /// A bot's character left the map: what it carried is gone with it.
    pub fn leave_bot(&mut self, entity: Entity) {
        self.leave(bot_holder(entity.index()));
    }
}

/// Who made a request.
fn requester(r: &ItemRequest) -> i64 {
    match *r {
        ItemRequest::Move { player, .. }
        | ItemRequest::Drop { player, .. }
        | ItemRequest::Use { player, .. }
        | ItemRequest::Plant { player, .. }
        | ItemRequest::Close { player }
        | ItemRequest::Craft(CraftRequest { player, .. })
        | ItemRequest::Refused { player, .. } => player,
    }
}

/// Adds the items feature to a map: the [`MapItems`] resource and the "items" gameplay system.
pub fn install(sim: &mut MapSim, store: Arc<Store>) -> Result<ResourceKey<MapItems>, GameError> {
    let items = sim.world.insert_resource("items", MapItems::new(sim.content.clone(), store))?;
    act::add_system(sim, items)?;
    Ok(items)
}
