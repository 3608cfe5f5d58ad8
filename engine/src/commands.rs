//! Command buffers: systems queue spawn, despawn, insert and remove while the world is shared,
//! and the schedule applies them at the end of the stage, in system order, then queue order.

use crate::entity::Entity;
use crate::error::EngineError;
use crate::world::{ColumnKey, World};

type Deferred = Box<dyn FnOnce(&mut World) -> Result<(), EngineError> + Send>;

enum Command {
    Despawn(Entity),
    Remove { entity: Entity, column: usize },
    Deferred(Deferred),
}

/// A queue of structural changes owned by one system.
#[derive(Default)]
pub struct Commands {
    queue: Vec<Command>,
}

impl std::fmt::Debug for Commands {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Commands").field("queued", &self.queue.len()).finish()
    }
}

/// What applying a buffer did; failures name the entity involved and never stop the rest.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ApplyReport {
    /// Commands applied.
    pub applied: usize,
    /// Commands that failed (typically the entity died earlier in the same stage).
    pub failed: Vec<EngineError>,
}

impl Commands {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of queued commands.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Queues a new entity built by `build`, which receives the new id and the world.
    pub fn spawn(
        &mut self,
        build: impl FnOnce(Entity, &mut World) -> Result<(), EngineError> + Send + 'static,
    ) {
        self.queue.push(Command::Deferred(Box::new(move |world| {
            let entity = world.spawn();
            build(entity, world)
        })));
    }

    /// Queues arbitrary structural work (several spawns, grid bookkeeping) to run with
    /// `&mut World` at the end of the stage, in order with the other commands.
    pub fn run(&mut self, work: impl FnOnce(&mut World) -> Result<(), EngineError> + Send + 'static) {
        self.queue.push(Command::Deferred(Box::new(work)));
    }

    /// Queues the removal of `entity` and all its components.
    pub fn despawn(&mut self, entity: Entity) {
        self.queue.push(Command::Despawn(entity));
    }

    /// Queues setting `entity`'s component in `key`'s column.
    pub fn insert<T: Send + Sync + 'static>(&mut self, entity: Entity, key: ColumnKey<T>, value: T) {
        self.queue.push(Command::Deferred(Box::new(move |world| world.insert(entity, key, value).map(drop))));
    }

    /// Queues removing `entity`'s component in `key`'s column.
    pub fn remove<T>(&mut self, entity: Entity, key: ColumnKey<T>) {
        self.queue.push(Command::Remove { entity, column: key.id() });
    }

    /// Moves every command of `other` to the end of this buffer (for per-chunk buffers of a
    /// parallel system, appended in chunk order).
    pub fn append(&mut self, other: &mut Commands) {
        self.queue.append(&mut other.queue);
    }

    /// Applies and empties the buffer, in queue order.
    pub fn apply(&mut self, world: &mut World, report: &mut ApplyReport) {
        for command in self.queue.drain(..) {
            let result = match command {
                Command::Despawn(entity) => world.despawn(entity),
                Command::Remove { entity, column } => world.remove_by_id(entity, column).map(drop),
                Command::Deferred(f) => f(world),
            };
            match result {
                Ok(()) => report.applied += 1,
                Err(e) => report.failed.push(e),
            }
        }
    }
}
