//! Objects entering and leaving a map while it runs, as world-level functions a system's
//! commands can call (a dropped pile appears, an emptied one goes): the entity and its record,
//! the static grid, the chunk's object list and its change log (clients hold the chunk by
//! version); and which object kinds hold items, with the items below one container object.

use super::components::Keys;
use super::object_log::ObjectOp;
use crate::content::Content;
use crate::error::GameError;
use engine::{Entity, World};
use store::{Container, ItemRecord, ObjectRecord};

/// True when objects of `kind` hold items (the content gives the kind a capacity).
pub fn holds_items(content: &Content, kind: u32) -> bool {
    content.object_by_id(kind).is_some_and(|k| k.capacity.is_some_and(|c| c > 0))
}

/// Adds an object to its resident chunk: the chunk is dirty and one version newer, and its log
/// tells clients holding it that the object entered. Fails when the chunk is not resident.
pub fn insert_object(
    world: &mut World,
    k: &Keys,
    content: &Content,
    record: ObjectRecord,
) -> Result<Entity, GameError> {
    let (x, y) = (record.pos.x, record.pos.y);
    if !world.resource(k.chunks).is_resident_at(x, y) {
        return Err(GameError::OutOfBounds { x, y });
    }
    let radius = content.object_by_id(record.kind).map_or(0, |kind| kind.radius);
    let e = spawn_object(world, k, record, radius);
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
