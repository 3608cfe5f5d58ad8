//! The game crate's error types: content loading, spawning and the simulation's storage needs.

use std::fmt;

/// A content file that cannot be read, parsed or validated. `field` names the offending entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    /// File (or source label) the error is in.
    pub file: String,
    /// Path of the field, e.g. `object[2].radius`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl ContentError {
    pub(crate) fn new(file: &str, field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { file: file.to_owned(), field: field.into(), reason: reason.into() }
    }
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.field, self.reason)
    }
}

impl std::error::Error for ContentError {}

/// Why a character could not be spawned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpawnError {
    /// Every attempt (saved spot, nearby spots, random spots) failed.
    NoFreeSpot {
        /// Random positions tried.
        attempts: u32,
    },
    /// The saved map is unknown to the world layout.
    UnknownMap(u32),
    /// The new position could not be saved before a hand-off.
    SaveFailed(String),
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NoFreeSpot { attempts } => {
                write!(f, "no free spawn position found after {attempts} random attempts")
            }
            SpawnError::UnknownMap(m) => write!(f, "map {m} does not exist"),
            SpawnError::SaveFailed(e) => write!(f, "could not save the new position: {e}"),
        }
    }
}

impl std::error::Error for SpawnError {}

/// Errors of building or running a map simulation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GameError {
    /// Content data is invalid.
    Content(ContentError),
    /// The engine refused a declaration (a programming error surfaced at build time).
    Engine(String),
    /// The map id is not part of the world layout.
    UnknownMap(u32),
    /// A position lies outside the map's walkable area.
    OutOfBounds {
        /// X in 1/256 tile.
        x: i32,
        /// Y in 1/256 tile.
        y: i32,
    },
    /// The store could not be used.
    Store(String),
}

impl fmt::Display for GameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GameError::Content(e) => write!(f, "content: {e}"),
            GameError::Engine(e) => write!(f, "engine: {e}"),
            GameError::UnknownMap(m) => write!(f, "map {m} does not exist"),
            GameError::OutOfBounds { x, y } => write!(f, "position ({x}, {y}) is outside the map"),
            GameError::Store(e) => write!(f, "store: {e}"),
        }
    }
}

impl std::error::Error for GameError {}

impl From<ContentError> for GameError {
    fn from(e: ContentError) -> Self {
        GameError::Content(e)
    }
}

impl From<engine::EngineError> for GameError {
    fn from(e: engine::EngineError) -> Self {
        GameError::Engine(e.to_string())
    }
}
