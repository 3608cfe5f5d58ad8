//! The world: live entities, their component columns, per-entity presence bitsets, column groups
//! and resources (singletons). Structural changes need `&mut World`; systems share `&World`.

use crate::column::{AnyColumn, Column};
use crate::entity::{Entities, Entity};
use crate::error::EngineError;
use atomic_refcell::{AtomicRef, AtomicRefCell, AtomicRefMut};
use std::any::Any;
use std::marker::PhantomData;

/// Most columns one world can hold (the width of an entity's presence bitset).
pub const MAX_COLUMNS: usize = 128;
/// Most resources one world can hold.
pub const MAX_RESOURCES: usize = 128;

/// Typed handle to a column, returned by [`World::register`].
#[derive(Debug)]
pub struct ColumnKey<T> {
    id: u8,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for ColumnKey<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for ColumnKey<T> {}

impl<T> ColumnKey<T> {
    /// The column's index, also its bit in presence and access sets.
    pub fn id(self) -> usize {
        self.id as usize
    }
}

/// Typed handle to a resource, returned by [`World::insert_resource`].
#[derive(Debug)]
pub struct ResourceKey<R> {
    id: u8,
    _type: PhantomData<fn() -> R>,
}

impl<R> Clone for ResourceKey<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for ResourceKey<R> {}

impl<R> ResourceKey<R> {
    /// The resource's index, also its bit in access sets.
    pub fn id(self) -> usize {
        self.id as usize
    }
}

/// Identifies a group made by [`World::group`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupId(usize);

/// A set of columns kept in identical order: entities that have all of them occupy slots
/// `0..len` of every member, in the same order, so joins over them are plain slice zips.
#[derive(Debug)]
struct Group {
    members: Vec<usize>,
    mask: u128,
    len: usize,
}

struct ColumnEntry {
    name: &'static str,
    group: Option<usize>,
    cell: AtomicRefCell<Box<dyn AnyColumn>>,
}

struct ResourceEntry {
    name: &'static str,
    cell: AtomicRefCell<Box<dyn Any + Send + Sync>>,
}

/// Entities and their data. See the crate docs for the layout.
#[derive(Default)]
pub struct World {
    entities: Entities,
    masks: Vec<u128>,
    columns: Vec<ColumnEntry>,
    groups: Vec<Group>,
    resources: Vec<ResourceEntry>,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.columns.iter().map(|c| c.name).collect();
        f.debug_struct("World")
            .field("entities", &self.entities.len())
            .field("columns", &names)
            .field("groups", &self.groups)
            .finish()
    }
}

impl World {
    /// An empty world.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a column of `T` named `name` (names show up in errors and timings).
    pub fn register<T: Send + Sync + 'static>(
        &mut self,
        name: &'static str,
    ) -> Result<ColumnKey<T>, EngineError> {
        if self.columns.len() >= MAX_COLUMNS {
            return Err(EngineError::TooManyColumns);
        }
        let id = self.columns.len() as u8;
        let column: Box<dyn AnyColumn> = Box::new(Column::<T>::default());
        self.columns.push(ColumnEntry { name, group: None, cell: AtomicRefCell::new(column) });
        Ok(ColumnKey { id, _type: PhantomData })
    }

    /// Adds a resource: one value of `R` that systems read or write like a column.
    pub fn insert_resource<R: Send + Sync + 'static>(
        &mut self,
        name: &'static str,
        value: R,
    ) -> Result<ResourceKey<R>, EngineError> {
        if self.resources.len() >= MAX_RESOURCES {
            return Err(EngineError::TooManyResources);
        }
        let id = self.resources.len() as u8;
        self.resources.push(ResourceEntry { name, cell: AtomicRefCell::new(Box::new(value)) });
        Ok(ResourceKey { id, _type: PhantomData })
    }

    /// Name given to column `id` at registration.
    pub fn column_name(&self, id: usize) -> &'static str {
        self.columns.get(id).map_or("?", |c| c.name)
    }

    /// Name given to resource `id` at insertion.
    pub fn resource_name(&self, id: usize) -> &'static str {
        self.resources.get(id).map_or("?", |r| r.name)
    }

    /// The entity allocator (liveness checks, iteration).
    pub fn entities(&self) -> &Entities {
        &self.entities
    }

    /// True when `entity` is alive.
    pub fn is_alive(&self, entity: Entity) -> bool {
        self.entities.is_alive(entity)
    }

    /// Creates an entity with no components.
    pub fn spawn(&mut self) -> Entity {
        let entity = self.entities.alloc();
        let i = entity.index() as usize;
        if i >= self.masks.len() {
            self.masks.resize(i + 1, 0);
        }
        self.masks[i] = 0;
        entity
    }

    /// Removes `entity` and all its components.
    pub fn despawn(&mut self, entity: Entity) -> Result<(), EngineError> {
        if !self.entities.is_alive(entity) {
            return Err(EngineError::NoSuchEntity(entity));
        }
        let mask = self.masks[entity.index() as usize];
        for id in bits(mask) {
            self.detach(entity, id);
            // Clear as we go: a group is left once, when its first member goes.
            self.masks[entity.index() as usize] &= !(1u128 << id);
        }
        self.entities.free(entity);
        Ok(())
    }

    /// Sets `entity`'s `T` component, returning the value it replaced.
    pub fn insert<T: Send + Sync + 'static>(
        &mut self,
        entity: Entity,
        key: ColumnKey<T>,
        value: T,
    ) -> Result<Option<T>, EngineError> {
        if !self.entities.is_alive(entity) {
            return Err(EngineError::NoSuchEntity(entity));
        }
        let old = column_mut::<T>(&mut self.columns[key.id()]).insert(entity, value);
        if old.is_none() {
            self.masks[entity.index() as usize] |= 1u128 << key.id;
            self.promote_if_complete(entity, key.id());
        }
        Ok(old)
    }

    /// Removes `entity`'s `T` component and returns it.
    pub fn remove<T: Send + Sync + 'static>(
        &mut self,
        entity: Entity,
        key: ColumnKey<T>,
    ) -> Result<Option<T>, EngineError> {
        if !self.entities.is_alive(entity) {
            return Err(EngineError::NoSuchEntity(entity));
        }
        if !self.has_id(entity, key.id()) {
            return Ok(None);
        }
        self.demote_if_member(entity, key.id());
        self.masks[entity.index() as usize] &= !(1u128 << key.id);
        Ok(column_mut::<T>(&mut self.columns[key.id()]).remove(entity))
    }

    /// Removes column `id`'s component from `entity` without knowing its type.
    pub(crate) fn remove_by_id(&mut self, entity: Entity, id: usize) -> Result<bool, EngineError> {
        if !self.entities.is_alive(entity) {
            return Err(EngineError::NoSuchEntity(entity));
        }
        if id >= self.columns.len() || !self.has_id(entity, id) {
            return Ok(false);
        }
        self.detach(entity, id);
        self.masks[entity.index() as usize] &= !(1u128 << id);
        Ok(true)
    }

    /// True when `entity` is alive and has a `T` component.
    pub fn has<T>(&self, entity: Entity, key: ColumnKey<T>) -> bool {
        self.entities.is_alive(entity) && self.has_id(entity, key.id())
    }

    /// Presence bitset of `entity` (bit `i` set when it has column `i`); 0 for dead ids.
    pub fn presence(&self, entity: Entity) -> u128 {
        if self.entities.is_alive(entity) { self.masks[entity.index() as usize] } else { 0 }
    }

    /// Shared borrow of a column. Panics if a system holds it mutably: the scheduler's access
    /// declarations rule that out, so a panic here is a wrong declaration, not bad input.
    pub fn column<T: 'static>(&self, key: ColumnKey<T>) -> AtomicRef<'_, Column<T>> {
        AtomicRef::map(self.columns[key.id()].cell.borrow(), |c| downcast_ref(c.as_ref()))
    }

    /// Exclusive borrow of a column's values (not its structure). Panics like [`World::column`].
    pub fn column_mut<T: 'static>(&self, key: ColumnKey<T>) -> AtomicRefMut<'_, Column<T>> {
        AtomicRefMut::map(self.columns[key.id()].cell.borrow_mut(), |c| downcast_mut(c.as_mut()))
    }

    /// Shared borrow of a resource.
    pub fn resource<R: 'static>(&self, key: ResourceKey<R>) -> AtomicRef<'_, R> {
        AtomicRef::map(self.resources[key.id()].cell.borrow(), |r| {
            r.downcast_ref::<R>().expect("resource key from another world")
        })
    }

    /// Exclusive borrow of a resource.
    pub fn resource_mut<R: 'static>(&self, key: ResourceKey<R>) -> AtomicRefMut<'_, R> {
        AtomicRefMut::map(self.resources[key.id()].cell.borrow_mut(), |r| {
            r.downcast_mut::<R>().expect("resource key from another world")
        })
    }

    /// Keeps `columns` in identical order from now on (see [`GroupId`]); existing entities that
    /// have all of them are gathered first.
    pub fn group(&mut self, columns: &[usize]) -> Result<GroupId, EngineError> {
        let mut members = columns.to_vec();
        members.sort_unstable();
        members.dedup();
        if members.len() < 2 || members.iter().any(|&id| id >= self.columns.len()) {
            return Err(EngineError::GroupTooSmall);
        }
        if let Some(&id) = members.iter().find(|&&id| self.columns[id].group.is_some()) {
            return Err(EngineError::ColumnAlreadyGrouped { column: self.columns[id].name });
        }
        let gid = self.groups.len();
        let mask = members.iter().fold(0u128, |m, &id| m | 1 << id);
        for &id in &members {
            self.columns[id].group = Some(gid);
        }
        self.groups.push(Group { members, mask, len: 0 });
        let owners: Vec<Entity> = self.entities.iter().collect();
        for entity in owners {
            if self.masks[entity.index() as usize] & mask == mask {
                self.promote(gid, entity);
            }
        }
        Ok(GroupId(gid))
    }

    /// Number of entities in the group: the shared prefix length of its member columns.
    pub fn group_len(&self, group: GroupId) -> usize {
        self.groups[group.0].len
    }

    /// Number of columns registered.
    pub fn column_count(&self) -> usize {
        self.columns.len()
    }

    /// Number of resources inserted.
    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    fn has_id(&self, entity: Entity, id: usize) -> bool {
        self.masks[entity.index() as usize] & (1u128 << id) != 0
    }

    /// Removes column `id`'s value of `entity`, leaving its group first if needed.
    fn detach(&mut self, entity: Entity, id: usize) {
        self.demote_if_member(entity, id);
        self.columns[id].cell.get_mut().remove_entity(entity);
    }

    fn promote_if_complete(&mut self, entity: Entity, id: usize) {
        if let Some(gid) = self.columns[id].group {
            let mask = self.groups[gid].mask;
            if self.masks[entity.index() as usize] & mask == mask {
                self.promote(gid, entity);
            }
        }
    }

    fn demote_if_member(&mut self, entity: Entity, id: usize) {
        if let Some(gid) = self.columns[id].group {
            let mask = self.groups[gid].mask;
            if self.masks[entity.index() as usize] & mask == mask {
                self.demote(gid, entity);
            }
        }
    }

    /// Moves `entity` to slot `len` of every member and grows the group.
    fn promote(&mut self, gid: usize, entity: Entity) {
        let Group { members, len, .. } = &mut self.groups[gid];
        for &id in members.iter() {
            let column = self.columns[id].cell.get_mut();
            if let Some(slot) = column.slot_of(entity) {
                column.swap(slot, *len);
            }
        }
        *len += 1;
    }

    /// Moves `entity` to slot `len - 1` of every member and shrinks the group.
    fn demote(&mut self, gid: usize, entity: Entity) {
        let Group { members, len, .. } = &mut self.groups[gid];
        *len -= 1;
        for &id in members.iter() {
            let column = self.columns[id].cell.get_mut();
            if let Some(slot) = column.slot_of(entity) {
                column.swap(slot, *len);
            }
        }
    }
}

fn column_mut<T: 'static>(entry: &mut ColumnEntry) -> &mut Column<T> {
    downcast_mut(entry.cell.get_mut().as_mut())
}

fn downcast_ref<T: 'static>(c: &dyn AnyColumn) -> &Column<T> {
    c.as_any().downcast_ref().expect("column key from another world")
}

fn downcast_mut<T: 'static>(c: &mut dyn AnyColumn) -> &mut Column<T> {
    c.as_any_mut().downcast_mut().expect("column key from another world")
}

/// Indices of the set bits of `mask`, lowest first.
pub(crate) fn bits(mut mask: u128) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let bit = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        Some(bit)
    })
}
