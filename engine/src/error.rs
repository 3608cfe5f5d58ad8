//! The engine's error type: every fallible structural operation says exactly what went wrong.

use crate::entity::Entity;
use std::fmt;

/// Errors from world, schedule and grid operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    /// The id is stale (its slot was freed, maybe reused) or was never issued.
    NoSuchEntity(Entity),
    /// The world already has the maximum number of columns ([`crate::MAX_COLUMNS`]).
    TooManyColumns,
    /// The world already has the maximum number of resources ([`crate::MAX_RESOURCES`]).
    TooManyResources,
    /// A column may belong to at most one group.
    ColumnAlreadyGrouped { column: &'static str },
    /// A group needs at least two distinct columns.
    GroupTooSmall,
    /// A stage index beyond the schedule's stages.
    NoSuchStage(usize),
    /// A system declared the same column or resource as read and as written, or a name twice.
    BadSystemDeclaration { system: String, reason: &'static str },
    /// A configuration value outside its allowed range.
    InvalidConfig { field: &'static str, reason: &'static str },
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSuchEntity(e) => write!(f, "entity {e:?} is not alive"),
            Self::TooManyColumns => write!(f, "a world holds at most {} columns", crate::MAX_COLUMNS),
            Self::TooManyResources => write!(f, "a world holds at most {} resources", crate::MAX_RESOURCES),
            Self::ColumnAlreadyGrouped { column } => {
                write!(f, "column `{column}` already belongs to a group")
            }
            Self::GroupTooSmall => write!(f, "a group needs at least two distinct columns"),
            Self::NoSuchStage(i) => write!(f, "stage {i} does not exist"),
            Self::BadSystemDeclaration { system, reason } => write!(f, "system `{system}`: {reason}"),
            Self::InvalidConfig { field, reason } => write!(f, "invalid `{field}`: {reason}"),
        }
    }
}

impl std::error::Error for EngineError {}
