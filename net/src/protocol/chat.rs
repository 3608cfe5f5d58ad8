//! Local chat on the wire: the client's `Chat` (0x0A, a line of text with a request id) and the
//! server's `ChatHeard` (0x8C, a line someone near said: speaker, name, tick, text). Both carry
//! UTF-8 text of at most [`MAX_CHAT_TEXT_LEN`] bytes; a longer length or bad UTF-8 is a
//! malformed message. What the text may contain is the game's rule, not the wire's.

use zerocopy::IntoBytes;
use zerocopy::byteorder::little_endian::{U16, U32, U64};

use super::wire::{ChatHeardWire, ChatWire};
use super::{DecodeError, EntityId, MAX_NAME_LEN, clamp_str, expect_end, msg_type, read_fixed, take_str};

/// Most bytes of chat text a `Chat` or `ChatHeard` may carry (UTF-8).
pub const MAX_CHAT_TEXT_LEN: usize = 1024;
/// Bytes of a `Chat` without its text (type byte and fixed part).
pub const CHAT_HEAD_LEN: usize = 1 + size_of::<ChatWire>();
/// Bytes of a `ChatHeard` without its name and text (type byte, fixed part, text length).
pub const CHAT_HEARD_HEAD_LEN: usize = 1 + size_of::<ChatHeardWire>() + size_of::<U16>();

/// A line of text the player says to everyone near its character.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chat {
    /// Request id, echoed in an Error refusing the line and in the speaker's own `ChatHeard`.
    pub request: u32,
    /// The text, UTF-8 (at most [`MAX_CHAT_TEXT_LEN`] bytes; the encoder truncates on a
    /// character boundary).
    pub text: String,
}

impl Chat {
    /// Encoded size in bytes (type byte included).
    pub fn encoded_len(&self) -> usize {
        CHAT_HEAD_LEN + clamp_str(&self.text, MAX_CHAT_TEXT_LEN).len()
    }

    /// Appends the fixed part and the text (no type byte) to `out`.
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        let text = clamp_str(&self.text, MAX_CHAT_TEXT_LEN);
        let w = ChatWire { request: U32::new(self.request), text_len: U16::new(text.len() as u16) };
        out.extend_from_slice(w.as_bytes());
        out.extend_from_slice(text.as_bytes());
    }

    /// Decodes the bytes after the type byte.
    pub(crate) fn decode_body(body: &[u8]) -> Result<Self, DecodeError> {
        let ty = msg_type::CHAT;
        let (w, rest) = read_fixed::<ChatWire>(ty, body)?;
        let len = usize::from(w.text_len.get());
        let (text, rest) = take_str(ty, "text", rest, len, MAX_CHAT_TEXT_LEN)?;
        expect_end(ty, rest)?;
        Ok(Chat { request: w.request.get(), text: text.to_owned() })
    }
}

/// A line said near the client's character (its own lines included, as confirmation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatHeard {
    /// The speaker's character entity.
    pub speaker: EntityId,
    /// The server tick the line was accepted at.
    pub tick: u64,
    /// The `Chat.request` in the speaker's own copy, 0 in everyone else's.
    pub request: u32,
    /// The speaker's name (at most 32 bytes; the encoder truncates).
    pub name: String,
    /// The line, as the server accepted it (at most [`MAX_CHAT_TEXT_LEN`] bytes).
    pub text: String,
}

impl ChatHeard {
    /// Encoded size in bytes (type byte included).
    pub fn encoded_len(&self) -> usize {
        let name = clamp_str(&self.name, MAX_NAME_LEN).len();
        CHAT_HEARD_HEAD_LEN + name + clamp_str(&self.text, MAX_CHAT_TEXT_LEN).len()
    }

    /// Appends the fixed part, the name, the text length and the text (no type byte) to `out`.
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        let name = clamp_str(&self.name, MAX_NAME_LEN);
        let text = clamp_str(&self.text, MAX_CHAT_TEXT_LEN);
        let w = ChatHeardWire {
            speaker: U64::new(self.speaker.0),
            tick: U64::new(self.tick),
            request: U32::new(self.request),
            name_len: name.len() as u8,
        };
        out.reserve(self.encoded_len());
        out.extend_from_slice(w.as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(U16::new(text.len() as u16).as_bytes());
        out.extend_from_slice(text.as_bytes());
    }

    /// Decodes the bytes after the type byte.
    pub(crate) fn decode_body(body: &[u8]) -> Result<Self, DecodeError> {
        let ty = msg_type::CHAT_HEARD;
        let (w, rest) = read_fixed::<ChatHeardWire>(ty, body)?;
        let (name, rest) = take_str(ty, "name", rest, usize::from(w.name_len), MAX_NAME_LEN)?;
        let (text_len, rest) = read_fixed::<U16>(ty, rest)?;
        let (text, rest) = take_str(ty, "text", rest, usize::from(text_len.get()), MAX_CHAT_TEXT_LEN)?;
        expect_end(ty, rest)?;
        Ok(ChatHeard {
            speaker: EntityId(w.speaker.get()),
            tick: w.tick.get(),
            request: w.request.get(),
            name: name.to_owned(),
            text: text.to_owned(),
        })
    }
}
