//! The "items" gameplay system: container objects in and out with their chunks, interact
//! actions on piles and boxes and on objects that give something (`gather.rs`), the queued
//! requests (planting: `plant.rs`), the crafts running, boxes closed by distance, then each
//! affected player's view brought up to date. Every accepted operation is one store
//! transaction submitted at once, in accept order.

use super::MapItems;
use super::ground::{Clearance, free_spot, object_record, placement};
use super::requests::ItemRequest;
use super::view::{OpenBox, root_of};
use crate::content::{CharacterRules, Content, ObjectRole};
use crate::error::GameError;
use crate::items::{
    IdSource, ItemChange, ItemError, Root, Source, Stack, Target, bot_holder, is_bot_holder as is_bot,
};
use crate::orders::{
    ActionKind, ActionQueue, ActionResult, Impossible, Order, OrderSlot, Outcome, action_reach,
};
use crate::sim::MapSim;
use crate::sim::chunks::ChunkTable;
use crate::sim::components::ContainerEvents;
use crate::sim::components::{Controller, Keys, Objects, SimClock};
use crate::sim::objects::{insert_object, remove_object};
use crate::stats::{Experience, Vitals};
use crate::wire::{error as wire_error, verb};
use engine::{Column, Commands, Entity, ResourceKey, SortedGrid};
use net::protocol::closed_reason;
use store::{Container, Loader, ObjectRecord};

/// Room between a dropped or placed object and the character dropping it (1/256 tile).
const DROP_GAP: i32 = 16;
/// Extra reach allowed beyond an interact order's (movement stops up to a unit short of it).
const REACH_SLACK: i32 = 32;

/// What the system reads of the map this tick.
pub(super) struct Here<'a> {
    pub(super) x: &'a Column<i32>,
    pub(super) y: &'a Column<i32>,
    pub(super) controller: &'a Column<Controller>,
    pub(super) object: &'a Column<ObjectRecord>,
    pub(super) objects: &'a Objects,
    pub(super) movers: &'a SortedGrid,
    pub(super) orders: &'a Column<OrderSlot>,
    pub(super) rules: CharacterRules,
    pub(super) content: &'a Content,
    pub(super) keys: Keys,
    pub(super) items: ResourceKey<MapItems>,
    pub(super) clock: SimClock,
}

/// The characters' columns the system changes: vitals (eating, crafts' stamina) and
/// experience (crafts).
pub(super) struct Body<'a> {
    pub(super) vitals: &'a mut Column<Vitals>,
    pub(super) experience: &'a mut Column<Experience>,
}

impl Here<'_> {
    pub(super) fn position(&self, e: Entity) -> Option<(i32, i32)> {
        Some((*self.x.get(e)?, *self.y.get(e)?))
    }

    /// Whose inventory `e` carries: its player's, or a bot's own ([`bot_holder`]).
    pub(super) fn player_of(&self, e: Entity) -> Option<i64> {
        match self.controller.get(e)? {
            Controller::Player(id) => Some(*id),
            Controller::Bot => Some(bot_holder(e.index())),
        }
    }

    /// True when `who` stands within interact reach of object `e`.
    pub(super) fn in_reach(&self, who: Entity, e: Entity) -> bool {
        let (Some(at), Some(rec)) = (self.position(who), self.object.get(e)) else { return false };
        let radius = self.content.object_by_id(rec.kind).map_or(0, |k| k.radius);
        self.reaches(at, (rec.pos.x, rec.pos.y), radius)
    }

    /// True when a character standing at `from` reaches a thing of `radius` at `to`: the
    /// interact reach (both radii plus the interact range) and [`REACH_SLACK`].
    pub(super) fn reaches(&self, from: (i32, i32), to: (i32, i32), radius: i32) -> bool {
        let reach = i64::from(action_reach(&self.rules, radius) + REACH_SLACK);
        let (dx, dy) = (i64::from(to.0) - i64::from(from.0), i64::from(to.1) - i64::from(from.1));
        dx * dx + dy * dy <= reach * reach
    }
}

/// Registers the system in the map's gameplay stage.
pub(super) fn add_system(sim: &mut MapSim, items: ResourceKey<MapItems>) -> Result<(), GameError> {
    let (k, actions, content, deaths) = (sim.keys, sim.actions, sim.content.clone(), sim.deaths);
    sim.gameplay_system("items")
        .reads(k.x)
        .reads(k.y)
        .reads(k.controller)
        .reads(k.object)
        .reads(k.order)
        .writes(k.vitals)
        .writes(k.experience)
        .writes(k.wielded)
        .reads_resource(k.clock)
        .reads_resource(deaths)
        .reads_resource(k.objects)
        .reads_resource(k.movers)
        .writes_resource(items)
        .writes_resource(actions)
        .writes_resource(k.chunks)
        .writes_resource(k.containers)
        .run(move |ctx, cmds| {
            let (x, y, controller, object) =
                (ctx.read(k.x), ctx.read(k.y), ctx.read(k.controller), ctx.read(k.object));
            let orders = ctx.read(k.order);
            let (objects, movers) = (ctx.resource(k.objects), ctx.resource(k.movers));
            let here = Here {
                x: &x,
                y: &y,
                controller: &controller,
                object: &object,
                objects: &objects,
                movers: &movers,
                orders: &orders,
                rules: content.character,
                content: &content,
                keys: k,
                items,
                clock: *ctx.resource(k.clock),
            };
            let mut m = ctx.resource_mut(items);
            let mut chunks = ctx.resource_mut(k.chunks);
            m.prefetch_ids();
            m.take_containers(&mut ctx.resource_mut(k.containers), &here);
            let (mut vitals, mut experience) = (ctx.write(k.vitals), ctx.write(k.experience));
            let mut queue = ctx.resource_mut(actions);
            m.judge_actions(&mut queue, &here, &mut chunks, cmds);
            m.judge_gathering(&mut queue, &here, &mut chunks, (&mut vitals, &mut experience), cmds);
            m.answer_failed_pickups(&orders);
            let now_ms = ctx.resource(k.clock).now_ms;
            m.lay_corpses(&ctx.resource(deaths).fresh, now_ms, &here, &mut chunks, cmds);
            let mut body = Body { vitals: &mut vitals, experience: &mut experience };
            let now = m.server_tick.unwrap_or(ctx.resource(k.clock).tick);
            m.run_requests(&here, &mut chunks, &mut body, cmds, now);
            m.advance_crafts(&here, &mut chunks, &mut body, cmds, now);
            m.expire_corpses(now_ms, &here, &mut chunks, cmds);
            m.close_out_of_reach(&here);
            m.refresh_wielded(&mut ctx.write(k.wielded));
            m.refresh_views();
        })?;
    Ok(())
}

impl MapItems {
    /// Keeps blocks of item and object ids on hand (fetched off the tick), so an operation
    /// that needs a new id rarely finds none.
    fn prefetch_ids(&mut self) {
        let loader = self.store.loader();
        self.item_ids.available(loader);
        self.object_ids.available(loader);
    }

    /// Loads the containers residency brought in, unloads those it took out.
    fn take_containers(&mut self, events: &mut ContainerEvents, here: &Here<'_>) {
        for c in events.loaded.drain(..) {
            let capacity = here.content.object_by_id(c.kind).and_then(|k| k.capacity).unwrap_or(0);
            match self.world.insert_container(Root::Object(c.object), capacity, &c.items) {
                Ok(report) => {
                    for bad in &report.bad {
                        tracing::warn!(object = c.object, item = bad.item.id, reason = %bad.reason, "stored item not loaded");
                    }
                    self.counters.bad_items += report.bad.len() as u64;
                }
                Err(e) => tracing::error!(object = c.object, error = %e, "container loaded twice"),
            }
            self.objects.insert(c.object, c.entity);
            self.corpse_loaded(c.object, c.entity, here);
        }
        for object in events.unloaded.drain(..) {
            let _ = self.world.remove_container(Root::Object(object));
            self.objects.remove(&object);
            self.corpses.retain(|c| c.object != object);
            self.close_box_everywhere(object, closed_reason::GONE);
        }
    }

    /// Interact actions by players on container objects: piles are picked up, boxes opened or
    /// (empty, with the pick-up verb) taken; a container that becomes no item opens either way.
    fn judge_actions(
        &mut self,
        queue: &mut ActionQueue,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        cmds: &mut Commands,
    ) {
        for action in queue.actions_mut() {
            let ActionKind::Interact { verb } = action.kind else { continue };
            let Some(player) = here.player_of(action.actor) else { continue };
            let Some(rec) = here.object.get(action.target) else { continue };
            let Some(kind) = here.content.object_by_id(rec.kind) else { continue };
            if kind.capacity.is_none() || !self.views.contains_key(&player) {
                continue;
            }
            let request = self.take_pickup_request(player, action.target);
            let (object, entity) = (rec.id, action.target);
            let result = if kind.role == Some(ObjectRole::Pile) {
                self.pick_up_pile(player, object, entity, here, chunks, cmds)
            } else if verb == verb::PICK_UP && kind.becomes.is_some() {
                self.pick_up_box(player, rec, entity, here, chunks, cmds)
            } else {
                self.open_box(player, object, entity);
                Ok(())
            };
            action.result = match result {
                Ok(()) => ActionResult::Done,
                Err(e) => {
                    self.error(player, request, e.code(), e.to_string());
                    ActionResult::Refused
                }
            };
        }
    }

    /// A Pickup whose walk ended without reaching the pile (blocked, the pile gone) is answered
    /// with an Error carrying its request id; one replaced by another order is forgotten.
    fn answer_failed_pickups(&mut self, orders: &Column<OrderSlot>) {
        for player in std::mem::take(&mut self.pickers) {
            let Some(view) = self.views.get_mut(&player) else { continue };
            let Some((target, request)) = view.pickup else { continue };
            let Some(slot) = orders.get(view.entity) else { continue };
            if matches!(slot.current, Order::Interact { target: t, .. } if t == target) {
                self.pickers.push(player);
                continue;
            }
            view.pickup = None;
            let ended =
                slot.last.filter(|(o, _)| matches!(o, Order::Interact { target: t, .. } if *t == target));
            match ended.map(|(_, outcome)| outcome) {
                Some(Outcome::Impossible(Impossible::TargetGone)) => {
                    self.error(player, request, wire_error::NO_SUCH_TARGET, "the pile is gone".into())
                }
                Some(Outcome::Impossible(Impossible::Blocked | Impossible::TooFar)) => {
                    self.error(player, request, wire_error::OUT_OF_REACH, "could not walk to the pile".into())
                }
                _ => {}
            }
        }
    }

    fn take_pickup_request(&mut self, player: i64, target: Entity) -> u32 {
        let view = self.views.get_mut(&player);
        match view.and_then(|v| v.pickup.take()) {
            Some((t, request)) if t == target => request,
            _ => 0,
        }
    }

    fn pick_up_pile(
        &mut self,
        player: i64,
        object: i64,
        entity: Entity,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        cmds: &mut Commands,
    ) -> Result<(), ItemError> {
        self.check_room()?;
        let from = Source::new(Container::Object(object), 0);
        let mut pickup = {
            let mut ids = pool_source(&mut self.item_ids, self.store.loader());
            self.world.pickup(from, Target::any(Container::Player(player)), &mut ids)?
        };
        if pickup.source_empty {
            pickup.change.delete_object_last(object);
            self.take_out_of_world(object, entity, here.keys, cmds);
        }
        self.commit(pickup.change, here, chunks);
        Ok(())
    }

    fn pick_up_box(
        &mut self,
        player: i64,
        rec: &ObjectRecord,
        entity: Entity,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        cmds: &mut Commands,
    ) -> Result<(), ItemError> {
        self.check_room()?;
        let becomes = here.content.object_by_id(rec.kind).and_then(|k| k.becomes.as_deref());
        let item = becomes.and_then(|name| here.content.item_named(name));
        let item = item.ok_or(ItemError::UnknownKind(rec.kind))?;
        if !self.world.container(Container::Object(rec.id)).is_some_and(|s| s.is_empty()) {
            return Err(ItemError::NotEmpty { item: rec.id });
        }
        let stack = Stack { kind: item.id, quality: rec.quality, count: 1 };
        let mut change = {
            let mut ids = pool_source(&mut self.item_ids, self.store.loader());
            self.world.give(Target::any(Container::Player(player)), stack, &mut ids)?
        };
        change.delete_object_last(rec.id);
        self.take_out_of_world(rec.id, entity, here.keys, cmds);
        self.commit(change, here, chunks);
        Ok(())
    }

    /// An emptied container object leaves: its (empty) container now, its entity through a
    /// command (clients see it leave as an object delta), and every viewer's box closes.
    pub(super) fn take_out_of_world(&mut self, object: i64, entity: Entity, k: Keys, cmds: &mut Commands) {
        let _ = self.world.remove_container(Root::Object(object));
        self.objects.remove(&object);
        self.close_box_everywhere(object, closed_reason::GONE);
        cmds.run(move |world| {
            remove_object(world, &k, entity);
            Ok(())
        });
    }

    fn open_box(&mut self, player: i64, object: i64, entity: Entity) {
        let Some(view) = self.views.get_mut(&player) else { return };
        if view.open.is_some_and(|b| b.object != object) {
            view.closing = Some(closed_reason::REPLACED);
        }
        view.open = Some(OpenBox { object, entity });
        if !self.openers.contains(&player) {
            self.openers.push(player);
        }
        self.touch(player);
    }

    /// Closes the box `player` has open, telling why.
    pub(super) fn close_box(&mut self, player: i64, reason: u8) {
        if let Some(view) = self.views.get_mut(&player)
            && view.open.take().is_some()
        {
            view.closing = Some(reason);
            self.touch(player);
        }
        self.openers.retain(|&p| p != player);
    }

    /// Closes box `object` for every player who has it open.
    fn close_box_everywhere(&mut self, object: i64, reason: u8) {
        for player in self.viewers_of(object) {
            self.close_box(player, reason);
        }
    }

    /// The players who have box `object` open.
    fn viewers_of(&self, object: i64) -> Vec<i64> {
        let opened = |p: &&i64| self.views.get(p).and_then(|v| v.open).is_some_and(|b| b.object == object);
        self.openers.iter().filter(opened).copied().collect()
    }

    fn run_requests(
        &mut self,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        body: &mut Body<'_>,
        cmds: &mut Commands,
        now: u64,
    ) {
        for request in std::mem::take(&mut self.requests) {
            match request {
                ItemRequest::Move { player, request, from, to, count } => {
                    let result = self.move_items(player, from, to, count, here, chunks);
                    self.answer(player, request, result);
                }
                ItemRequest::Drop { player, request, from, count } => {
                    let result = self.drop_items(player, from, count, here, chunks, cmds);
                    self.answer(player, request, result);
                }
                ItemRequest::Refused { player, request, refusal: (code, text) } => {
                    self.error(player, request, code, text);
                }
                ItemRequest::Close { player } => self.close_box(player, closed_reason::ON_REQUEST),
                ItemRequest::Use { player, request, from } => {
                    if let Err((code, text)) = self.use_item(player, from, here, chunks, body.vitals) {
                        self.error(player, request, code, text);
                    }
                }
                ItemRequest::Craft(craft) => {
                    if let Err((code, text)) = self.start_craft(craft, here, chunks, body, now) {
                        self.error(craft.player, craft.request, code, text);
                    }
                }
                ItemRequest::Plant { player, request, from, at } => {
                    if let Err(e) = self.plant((player, from, at), here, chunks, body.vitals, cmds) {
                        self.error(player, request, e.code(), e.to_string());
                    }
                }
            }
        }
    }

    pub(super) fn answer(&mut self, player: i64, request: u32, result: Result<(), ItemError>) {
        if let Err(e) = result {
            self.error(player, request, e.code(), e.to_string());
        }
    }

    /// A container the player may touch: its own inventory, its open box, or a bag in either.
    pub(super) fn check_access(&self, player: i64, c: Container) -> Result<(), ItemError> {
        let view = self.views.get(&player).ok_or(ItemError::NotOpen)?;
        let root = root_of(&self.world, c).ok_or(ItemError::NoSuchContainer(c))?;
        match root {
            Container::Player(p) if p == player => Ok(()),
            Container::Object(o) if view.open.is_some_and(|b| b.object == o) => Ok(()),
            _ if self.world.container(c).is_none() => Err(ItemError::NoSuchContainer(c)),
            _ => Err(ItemError::NotOpen),
        }
    }

    fn move_items(
        &mut self,
        player: i64,
        from: Source,
        to: Target,
        count: u32,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
    ) -> Result<(), ItemError> {
        self.check_access(player, from.container)?;
        self.check_access(player, to.container)?;
        self.check_room()?;
        let change = {
            let mut ids = pool_source(&mut self.item_ids, self.store.loader());
            self.world.move_stack(from, to, count, &mut ids)?
        };
        self.commit(change, here, chunks);
        Ok(())
    }

    fn drop_items(
        &mut self,
        player: i64,
        from: Source,
        count: u32,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        cmds: &mut Commands,
    ) -> Result<(), ItemError> {
        self.check_access(player, from.container)?;
        self.check_room()?;
        let entity = self.views.get(&player).map(|v| v.entity).ok_or(ItemError::NotOpen)?;
        let at = here.position(entity).ok_or(ItemError::NotOpen)?;
        let item = *self
            .world
            .item_at(from.container, from.slot)
            .ok_or(ItemError::EmptySlot { container: from.container, slot: from.slot })?;
        let what = placement(here.content, &item, count).ok_or(ItemError::NoRoom(from.container))?;
        let spot = spot_beside(here, chunks, at, what.radius).ok_or(ItemError::NoRoom(from.container))?;
        let object = self.new_object_id()?;
        let root = Root::Object(object);
        if self.world.container(root.container()).is_some() {
            return Err(ItemError::ContainerExists(root.container()));
        }
        let mut change = if what.placed {
            let (change, _) = self.world.take(from, 1)?;
            // A fresh object id: the container cannot exist (checked above).
            let _ = self.world.insert_container(root, what.capacity, &[]);
            change
        } else {
            let mut ids = pool_source(&mut self.item_ids, self.store.loader());
            self.world.drop_into_new_container(from, count, root, what.capacity, &mut ids)?
        };
        let quality = if what.placed { item.quality } else { 0 };
        let record = object_record(object, chunks.geometry().id, what.kind, spot, quality);
        self.place_object(record, &mut change, here, cmds);
        self.commit(change, here, chunks);
        Ok(())
    }

    /// Puts a new container object's record first in `change` (object and items commit in one
    /// transaction) and places its entity through a command.
    pub(super) fn place_object(
        &mut self,
        record: ObjectRecord,
        change: &mut ItemChange,
        here: &Here<'_>,
        cmds: &mut Commands,
    ) {
        change.put_object_first(record.clone());
        self.add_to_world(record, here, cmds);
    }

    /// A new object id from the map's pool (none while a refill is pending: retry later).
    pub(super) fn new_object_id(&mut self) -> Result<i64, ItemError> {
        let object = self.object_ids.take(self.store.loader(), 1).and_then(|v| v.first().copied());
        object.ok_or(ItemError::NoIds)
    }

    /// A new container object (a dropped pile or placed box, a craft's overflow) enters the
    /// world through a command at the end of the stage: clients see it as an object delta.
    pub(super) fn add_to_world(&self, record: ObjectRecord, here: &Here<'_>, cmds: &mut Commands) {
        let (k, items_key, content, object) = (here.keys, here.items, self.content.clone(), record.id);
        cmds.run(move |world| {
            match insert_object(world, &k, &content, record) {
                Ok(e) => {
                    world.resource_mut(items_key).objects.insert(object, e);
                }
                Err(e) => tracing::error!(object, error = %e, "new object's chunk is not resident"),
            }
            Ok(())
        });
    }

    /// Refuses an operation now when the store's writer could not take its transaction (the
    /// operation would change memory without storage).
    pub(super) fn check_room(&self) -> Result<(), ItemError> {
        if self.store.writer().has_room() { Ok(()) } else { Err(ItemError::StorageBusy) }
    }

    /// Submits an accepted operation's transaction and marks who and what it touched.
    pub(super) fn commit(&mut self, change: ItemChange, here: &Here<'_>, chunks: &mut ChunkTable) {
        if change.is_empty() {
            return;
        }
        self.counters.done += 1;
        let touched: Vec<Container> = change.revised.iter().map(|r| r.container).collect();
        let mut ticket = if change.tx.ops.is_empty() {
            None // a bot's inventory alone changed: nothing to store
        } else {
            let tx = match self.fence {
                Some(f) => change.tx.fenced(f),
                None => change.tx,
            };
            match self.store.writer().item_tx(tx) {
                Ok(t) => Some(t),
                Err(e) => {
                    self.counters.submit_failed += 1;
                    tracing::error!(error = %e, "item transaction not queued: memory is ahead of storage");
                    None
                }
            }
        };
        for c in touched {
            match root_of(&self.world, c).unwrap_or(c) {
                Container::Player(p) => {
                    if let Some(view) = self.views.get_mut(&p)
                        && let Some(t) = ticket.take()
                    {
                        view.last_ticket = Some(t);
                    }
                    if c == Container::Player(p) && !self.armed.contains(&p) {
                        self.armed.push(p);
                    }
                    self.touch(p);
                }
                Container::Object(o) => {
                    for p in self.viewers_of(o) {
                        self.touch(p);
                    }
                    if let Some(rec) = self.objects.get(&o).and_then(|&e| here.object.get(e)) {
                        chunks.mark_dirty_at(rec.pos.x, rec.pos.y);
                    }
                }
                Container::Item(_) => {}
            }
        }
    }

    /// Closes every open box its viewer walked out of reach of (only players with a box open
    /// are looked at).
    fn close_out_of_reach(&mut self, here: &Here<'_>) {
        let far = |p: &&i64| {
            let view = self.views.get(p);
            view.and_then(|v| Some((v.entity, v.open?))).is_some_and(|(me, b)| !here.in_reach(me, b.entity))
        };
        let far: Vec<i64> = self.openers.iter().filter(far).copied().collect();
        for player in far {
            self.close_box(player, closed_reason::OUT_OF_REACH);
        }
    }

    /// Sends every changed view what changed (only the players marked this tick).
    fn refresh_views(&mut self) {
        let mut out = Vec::new();
        let objects = &self.objects;
        for player in self.dirty.drain(..) {
            let Some(view) = self.views.get_mut(&player) else { continue };
            if is_bot(player) {
                view.dirty = false; // bots read the world directly
                continue;
            }
            view.refresh(player, &self.world, |o| objects.get(&o).copied(), &mut out);
            self.outbox.extend(out.drain(..).map(|m| (player, m)));
        }
    }
}

/// The nearest free spot for a new object of `radius` beside a character standing at `at`:
/// never under it (others must be able to reach what lies there).
pub(super) fn spot_beside(
    here: &Here<'_>,
    chunks: &ChunkTable,
    at: (i32, i32),
    radius: i32,
) -> Option<(i32, i32)> {
    let clearance =
        Clearance { chunks, objects: here.objects, movers: here.movers, character_radius: here.rules.radius };
    let start = here.rules.radius + radius.max(DROP_GAP) + DROP_GAP;
    free_spot(&clearance, at, radius, start)
}

/// New item ids from the map's pool (a block fetched ahead; none while a refill is pending).
pub(super) fn pool_source<'a>(pool: &'a mut crate::ids::IdPool, loader: &'a Loader) -> impl IdSource + 'a {
    move || pool.take(loader, 1).and_then(|v| v.first().copied())
}
