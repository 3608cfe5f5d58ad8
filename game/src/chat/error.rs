//! The chat's refusals: every reason a line is not said, with its stable wire code
//! ([`crate::wire::error`], 140–144) and its text for the client.

use crate::wire::error as code;
use std::fmt;

/// Why a chat line was refused. Nobody heard it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatError {
    /// The line has more characters than the content allows once sanitized.
    TooLong {
        /// Characters in the sanitized line.
        chars: usize,
        /// The content's `chat.max_chars`.
        max: u16,
    },
    /// The player said more lines than the content's `chat.per_10s` allows.
    TooFast,
    /// Nothing is left of the line once sanitized (blank, or only invisible characters).
    Empty,
    /// The line holds a control character: C0 (tab and newline included), DEL, C1, or the line
    /// or paragraph separator.
    ControlCharacter(char),
    /// The line holds a bidirectional embedding, override or isolate, which could reorder what
    /// others read (U+202A–U+202E, U+2066–U+2069).
    BidiControl(char),
}

impl ChatError {
    /// The stable code sent in the wire's Error message.
    pub fn code(&self) -> u16 {
        match self {
            ChatError::TooLong { .. } => code::CHAT_TOO_LONG,
            ChatError::TooFast => code::CHAT_TOO_FAST,
            ChatError::Empty => code::CHAT_EMPTY,
            ChatError::ControlCharacter(_) => code::CHAT_CONTROL_CHARACTER,
            ChatError::BidiControl(_) => code::CHAT_BIDI_CONTROL,
        }
    }
}

impl fmt::Display for ChatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChatError::TooLong { chars, max } => {
                write!(f, "the line has {chars} characters, at most {max} are allowed")
            }
            ChatError::TooFast => write!(f, "too many lines: wait a moment"),
            ChatError::Empty => write!(f, "the line is empty"),
            ChatError::ControlCharacter(c) => {
                write!(f, "the line holds the control character U+{:04X}", u32::from(*c))
            }
            ChatError::BidiControl(c) => {
                write!(f, "the line holds the bidirectional control U+{:04X}", u32::from(*c))
            }
        }
    }
}

impl std::error::Error for ChatError {}
