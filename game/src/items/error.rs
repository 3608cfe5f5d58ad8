//! The item error table: every refusal of an item operation with its stable wire code
//! ([`crate::wire::error`]) and its text, and the reasons a stored item is not loaded.

use crate::wire::error as code;
use std::fmt;
use store::{Container, ItemRecord};

/// Why an item operation was refused. Nothing changed when one is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemError {
    /// The container is not loaded here.
    NoSuchContainer(Container),
    /// The slot is outside the container.
    NoSuchSlot { container: Container, slot: u16 },
    /// The slot holds no item.
    EmptySlot { container: Container, slot: u16 },
    /// Nothing of it fits the destination.
    NoRoom(Container),
    /// The item would end up inside itself.
    WouldContainItself { item: i64 },
    /// The item, or something it holds, would be nested deeper than `max`.
    TooDeep { depth: usize, max: u8 },
    /// The destination slot holds a stack of another kind or quality.
    StackMismatch { container: Container, slot: u16 },
    /// The container's revision is not the one the request was made against.
    Stale { container: Container, expected: u32, actual: u32 },
    /// The count is 0 or more than the stack holds.
    BadCount { count: u32, held: u32 },
    /// No new item id is available now: retry later.
    NoIds,
    /// The container is out of the character's reach (the caller's check).
    OutOfReach,
    /// The container is not open for the character (the caller's check).
    NotOpen,
    /// The item still holds items.
    NotEmpty { item: i64 },
    /// The container to create already exists.
    ContainerExists(Container),
    /// The id source handed out an id already in use.
    IdInUse(i64),
    /// The item kind is not in the content.
    UnknownKind(u32),
    /// Storage cannot take the change now (its write queue is full): try again.
    StorageBusy,
    /// An equipment slot does not take an item of this kind.
    WrongSlot { kind: u32, slot: super::EquipSlot },
}

impl ItemError {
    /// The stable code sent in the wire's Error message.
    pub fn code(&self) -> u16 {
        match self {
            ItemError::NoSuchContainer(_) => code::NO_SUCH_CONTAINER,
            ItemError::NoSuchSlot { .. } => code::NO_SUCH_SLOT,
            ItemError::EmptySlot { .. } => code::EMPTY_SLOT,
            ItemError::NoRoom(_) => code::NO_ROOM,
            ItemError::WouldContainItself { .. } => code::WOULD_CONTAIN_ITSELF,
            ItemError::TooDeep { .. } => code::TOO_DEEP,
            ItemError::StackMismatch { .. } => code::STACK_MISMATCH,
            ItemError::Stale { .. } => code::STALE,
            ItemError::BadCount { .. } => code::BAD_COUNT,
            ItemError::NoIds => code::NO_IDS,
            ItemError::OutOfReach => code::OUT_OF_REACH,
            ItemError::NotOpen => code::NOT_OPEN,
            ItemError::NotEmpty { .. } => code::NOT_EMPTY,
            ItemError::ContainerExists(_) => code::CONTAINER_EXISTS,
            ItemError::IdInUse(_) => code::ID_IN_USE,
            ItemError::UnknownKind(_) => code::UNKNOWN_KIND,
            ItemError::StorageBusy => code::STORAGE_BUSY,
            ItemError::WrongSlot { .. } => code::WRONG_SLOT,
        }
    }

    /// True when the same request may succeed later unchanged (ids were not available).
    pub fn retryable(&self) -> bool {
        matches!(self, ItemError::NoIds | ItemError::StorageBusy)
    }
}

impl fmt::Display for ItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemError::NoSuchContainer(c) => write!(f, "no such container {c:?} here"),
            ItemError::NoSuchSlot { container, slot } => write!(f, "{container:?} has no slot {slot}"),
            ItemError::EmptySlot { container, slot } => write!(f, "slot {slot} of {container:?} is empty"),
            ItemError::NoRoom(c) => write!(f, "no room in {c:?}"),
            ItemError::WouldContainItself { item } => write!(f, "item {item} would end up inside itself"),
            ItemError::TooDeep { depth, max } => {
                write!(f, "items would be nested {depth} deep (at most {max})")
            }
            ItemError::StackMismatch { container, slot } => {
                write!(f, "slot {slot} of {container:?} holds a different stack")
            }
            ItemError::Stale { container, expected, actual } => {
                write!(f, "{container:?} changed: revision {actual}, request made at {expected}")
            }
            ItemError::BadCount { count, held } => write!(f, "count {count} is not within 1..={held}"),
            ItemError::NoIds => write!(f, "no item ids available now, try again"),
            ItemError::OutOfReach => write!(f, "out of reach"),
            ItemError::NotOpen => write!(f, "the container is not open"),
            ItemError::NotEmpty { item } => write!(f, "item {item} still holds items"),
            ItemError::ContainerExists(c) => write!(f, "container {c:?} already exists"),
            ItemError::IdInUse(id) => write!(f, "new item id {id} is already in use"),
            ItemError::UnknownKind(k) => write!(f, "unknown item kind {k}"),
            ItemError::StorageBusy => write!(f, "storage is busy, try again"),
            ItemError::WrongSlot { kind, slot } => {
                let takes = match slot {
                    super::EquipSlot::Hand => "a tool or a weapon",
                    super::EquipSlot::Body => "armor",
                };
                write!(f, "the {} slot takes {takes}, not item kind {kind}", slot.name())
            }
        }
    }
}

impl std::error::Error for ItemError {}

/// Why a stored item was not loaded (the rest of its container still is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadItemReason {
    /// Its kind is not in the content.
    UnknownKind,
    /// Its count is 0 or above the kind's `max_stack`.
    BadCount,
    /// Its slot is outside its container.
    SlotOutOfRange,
    /// Another item (of a lower id) already holds its slot.
    SlotTaken,
    /// It is nested deeper than the rules allow.
    TooDeep,
    /// Its id is already loaded.
    DuplicateId,
    /// It is not below the root: an orphan, part of a cycle, or inside an item that was refused
    /// or is not a container.
    Unreachable,
}

impl fmt::Display for BadItemReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BadItemReason::UnknownKind => "unknown kind",
            BadItemReason::BadCount => "count is 0 or above the kind's max_stack",
            BadItemReason::SlotOutOfRange => "slot outside its container",
            BadItemReason::SlotTaken => "slot already taken",
            BadItemReason::TooDeep => "nested too deep",
            BadItemReason::DuplicateId => "id already loaded",
            BadItemReason::Unreachable => "not reachable from the root (orphan, cycle or refused parent)",
        })
    }
}

/// A stored item that was not loaded, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadItem {
    /// The record as stored.
    pub item: ItemRecord,
    /// Why it was refused.
    pub reason: BadItemReason,
}
