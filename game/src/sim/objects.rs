//! Objects entering and leaving a map while it runs, as world-level functions a system's
//! commands can call (a dropped pile appears, an emptied one goes): the entity and its record,
//! the static grid, the chunk's object list and its change log (clients hold the chunk by
//! version); objects changing in place (a tree grows a stage, a box changes kind); and which
//! object kinds hold items, with the items below one container object.
//!
//! A growing object (its kind has a growth table) is brought up to the clock's time with
//! `growth::advance` whenever it enters or changes, and its next stage change is scheduled in
//! the map's `GrowthTimers`.

use super::chunks::ChunkTable;
use super::components::Keys;
use super::object_log::ObjectOp;
use crate::content::Content;
use crate::error::GameError;
use crate::growth::{self, clock_ms};
use engine::{Column, Entity, World};
use store::{Container, ItemRecord, ObjectRecord};

/// True when objects of `kind` hold items (the content gives the kind a capacity).
pub fn holds_items(content: &Content, kind: u32) -> bool {
    content.object_by_id(kind).is_some_and(|k| k.capacity.is_some_and(|c| c > 0))
}

/// Adds an object to its resident chunk: the chunk is dirty and one version newer, and its log
/// tells clients holding it that the object entered. A growing object is brought up to now from
/// its record's stage and stage start (a crop planted now: stage 0 started now) and its next
/// stage change scheduled. Fails when the chunk is not resident.
pub fn insert_object(
    world: &mut World,
    k: &Keys,
    content: &Content,
    mut record: ObjectRecord,
) -> Result<Entity, GameError> {
    let (x, y) = (record.pos.x, record.pos.y);
    if !world.resource(k.chunks).is_resident_at(x, y) {
        return Err(GameError::OutOfBounds { x, y });
    }
    let grows = content.growth(record.kind);
    if let Some(g) = grows {
        growth::bring_up_to_date(&mut record, g, clock_ms(world.resource(k.clock).now_ms));
    }
    let ends = record.stage_ends_ms;
    let radius = content.object_by_id(record.kind).map_or(0, |kind| kind.radius);
    let e = spawn_object(world, k, record, radius);
    if grows.is_some() {
        world.resource_mut(k.growth).schedule(ends, e);
    }
    let mut chunks = world.resource_mut(k.chunks);
    chunks.record_object_at(x, y, e, ObjectOp::Enter);
    if let Some(list) = chunks.objects_at_mut(x, y) {
        list.push(e);
    }
    Ok(e)
}

/// Removes an object (chopped, picked up): its chunk is dirty and one version newer, and its
/// log tells clients holding it that the object left. False when `e` is not an object.
pub fn remove_object(world: &mut World, k: &Keys, e: Entity) -> bool {
    let Some(pos) = world.column(k.object).get(e).map(|r| r.pos) else { return false };
    despawn_object(world, k, e);
    let mut chunks = world.resource_mut(k.chunks);
    chunks.record_object_at(pos.x, pos.y, e, ObjectOp::Leave);
    if let Some(list) = chunks.objects_at_mut(pos.x, pos.y) {
        list.retain(|&o| o != e);
    }
    true
}

/// Changes object `e`'s record in place with `change` and tells its chunk (see
/// [`MapSim::update_object`](super::MapSim::update_object)): a growing object (after the change)
/// is brought up to now and, when its stage's end moved, scheduled again; a new kind gets its
/// radius. False when `e` is not an object.
pub fn update_object(
    world: &mut World,
    k: &Keys,
    content: &Content,
    e: Entity,
    change: impl FnOnce(&mut ObjectRecord),
) -> bool {
    let now = clock_ms(world.resource(k.clock).now_ms);
    let updated = {
        let mut records = world.column_mut(k.object);
        let mut chunks = world.resource_mut(k.chunks);
        update_record(&mut records, &mut chunks, e, |r| {
            change(r);
            if let Some(g) = content.growth(r.kind) {
                growth::bring_up_to_date(r, g, now);
            }
        })
    };
    let Some(update) = updated else { return false };
    if update.kind_before != update.after.kind {
        let radius = content.object_by_id(update.after.kind).map_or(0, |kind| kind.radius);
        set_object_radius(world, k, e, radius);
    }
    let grows = content.growth(update.after.kind).is_some();
    if grows && (update.ends_before != update.after.stage_ends_ms || update.kind_before != update.after.kind)
    {
        world.resource_mut(k.growth).schedule(update.after.stage_ends_ms, e);
    }
    true
}

/// What [`update_record`] changed.
#[derive(Debug)]
pub struct RecordUpdate {
    /// The kind before the change.
    pub kind_before: u32,
    /// The stage's end before the change.
    pub ends_before: i64,
    /// The record after it.
    pub after: ObjectRecord,
}

/// The record half of an object change, for callers holding the object column and the chunk
/// table (a system changing objects in place): applies `change` to `e`'s record, restoring its
/// identity (id, map, chunk, position: objects do not move), and tells the chunk: a change of
/// what clients see (kind or stage, the wire's `state`) makes it one version newer and is
/// logged; any other change only marks it dirty (saved before it unloads). The caller fixes the
/// radius when the kind changed. `None` when `e` is not an object.
pub fn update_record(
    records: &mut Column<ObjectRecord>,
    chunks: &mut ChunkTable,
    e: Entity,
    change: impl FnOnce(&mut ObjectRecord),
) -> Option<RecordUpdate> {
    apply(records, chunks, e, change, true)
}

/// [`update_record`] for a stage reached by growth alone: clients see it (the chunk one version
/// newer, the change logged), but the chunk is not dirty. The stored record's stage and stage
/// times give the same stage in closed form on any load (`growth::advance`), so saving it would
/// only rewrite the chunk (with a thousand players about, growth alone dirtied a few hundred
/// chunks between checkpoints).
pub fn grow_record(
    records: &mut Column<ObjectRecord>,
    chunks: &mut ChunkTable,
    e: Entity,
    change: impl FnOnce(&mut ObjectRecord),
) -> Option<RecordUpdate> {
    apply(records, chunks, e, change, false)
}

fn apply(
    records: &mut Column<ObjectRecord>,
    chunks: &mut ChunkTable,
    e: Entity,
    change: impl FnOnce(&mut ObjectRecord),
    stored: bool,
) -> Option<RecordUpdate> {
    let record = records.get_mut(e)?;
    let before = record.clone();
    change(record);
    (record.id, record.map, record.grid_x, record.grid_y, record.pos) =
        (before.id, before.map, before.grid_x, before.grid_y, before.pos);
    let (x, y) = (before.pos.x, before.pos.y);
    if (record.kind, record.stage) != (before.kind, before.stage) {
        if stored {
            chunks.record_object_at(x, y, e, ObjectOp::Change);
        } else {
            chunks.record_seen_at(x, y, e, ObjectOp::Change);
        }
    } else if *record != before && stored {
        chunks.mark_dirty_at(x, y);
    }
    Some(RecordUpdate { kind_before: before.kind, ends_before: before.stage_ends_ms, after: record.clone() })
}

/// The items of `items` that lie below `object` at any depth (the store loads a chunk's items
/// flat, for all its containers at once).
pub fn items_below(object: i64, items: &[ItemRecord]) -> Vec<ItemRecord> {
    let mut out: Vec<ItemRecord> =
        items.iter().filter(|i| i.container == Container::Object(object)).copied().collect();
    let mut next = 0;
    while next < out.len() && out.len() <= items.len() {
        let parent = out[next].id;
        out.extend(items.iter().filter(|i| i.container == Container::Item(parent)).copied());
        next += 1;
    }
    out
}

/// Adds one object entity to the world and the static grid (not to a chunk's list).
pub(crate) fn spawn_object(world: &mut World, k: &Keys, record: ObjectRecord, radius: i32) -> Entity {
    let e = world.spawn();
    let (x, y) = (record.pos.x, record.pos.y);
    let _ = world.insert(e, k.object, record);
    let mut objects = world.resource_mut(k.objects);
    objects.grid.insert(e, x, y);
    let i = e.index() as usize;
    if objects.radius.len() <= i {
        objects.radius.resize(i + 1, 0);
    }
    objects.radius[i] = radius;
    objects.max_radius = objects.max_radius.max(radius);
    e
}

/// Sets the collision radius of object `e` (its kind changed).
pub(crate) fn set_object_radius(world: &mut World, k: &Keys, e: Entity, radius: i32) {
    let mut objects = world.resource_mut(k.objects);
    if let Some(r) = objects.radius.get_mut(e.index() as usize) {
        *r = radius;
    }
    objects.max_radius = objects.max_radius.max(radius);
}

/// Removes one object entity from the world and the static grid.
pub(crate) fn despawn_object(world: &mut World, k: &Keys, e: Entity) {
    {
        let mut objects = world.resource_mut(k.objects);
        objects.grid.remove(e);
        if let Some(r) = objects.radius.get_mut(e.index() as usize) {
            *r = 0;
        }
    }
    let _ = world.despawn(e);
}
