//! The typed error every protocol decoder returns; decoding never panics.

use std::fmt;

/// Why a message could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The message had no bytes at all.
    Empty,
    /// Byte 0 is not a message type known in this direction.
    UnknownType(u8),
    /// The message is shorter than its fixed layout or its declared tail. Both lengths count
    /// the whole message, type byte included (a 22-byte Input: need 23, got 22).
    Truncated {
        /// Message type byte.
        msg_type: u8,
        /// Bytes the message needs (at least; a tail's length is known once its count is read).
        need: usize,
        /// Bytes the message has.
        got: usize,
    },
    /// Bytes remain after the last field.
    TrailingBytes {
        /// Message type byte.
        msg_type: u8,
        /// Number of unexpected bytes.
        extra: usize,
    },
    /// `Hello` announced a protocol version this side does not speak.
    VersionMismatch {
        /// The version the peer sent.
        got: u16,
        /// The version this side speaks.
        expected: u16,
    },
    /// An enumerated field holds an undefined value.
    InvalidEnum {
        /// Field name as in `schemas/protocol.md`.
        field: &'static str,
        /// The value received.
        value: u32,
    },
    /// A text field is not valid UTF-8.
    InvalidUtf8 {
        /// Field name.
        field: &'static str,
    },
    /// A variable-length field is longer than allowed.
    FieldTooLong {
        /// Field name.
        field: &'static str,
        /// Declared length.
        len: usize,
        /// Maximum allowed.
        max: usize,
    },
    /// A record count is above what the message may carry.
    TooManyRecords {
        /// Message type byte.
        msg_type: u8,
        /// Declared number of records.
        count: usize,
        /// Maximum allowed.
        max: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => write!(f, "empty message"),
            DecodeError::UnknownType(t) => write!(f, "unknown message type 0x{t:02x}"),
            DecodeError::Truncated { msg_type, need, got } => {
                write!(f, "{} needs {need} bytes, got {got}", Named(*msg_type))
            }
            DecodeError::TrailingBytes { msg_type, extra } => {
                write!(f, "{} has {extra} bytes past its end", Named(*msg_type))
            }
            DecodeError::VersionMismatch { got, expected } => {
                write!(f, "protocol version {got} not supported (server speaks {expected})")
            }
            DecodeError::InvalidEnum { field, value } => {
                write!(f, "invalid value {value} for field {field}")
            }
            DecodeError::InvalidUtf8 { field } => write!(f, "field {field} is not valid UTF-8"),
            DecodeError::FieldTooLong { field, len, max } => {
                write!(f, "field {field} is {len} bytes long, maximum is {max}")
            }
            DecodeError::TooManyRecords { msg_type, count, max } => {
                write!(f, "message 0x{msg_type:02x} declares {count} records, maximum is {max}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    /// Restates a truncation found while decoding the body of a `total`-byte message (where
    /// `got` was what remained at that point) in lengths of the whole message.
    pub(crate) fn in_message(self, total: usize) -> Self {
        match self {
            DecodeError::Truncated { msg_type, need, got } => {
                let read = total.saturating_sub(got);
                DecodeError::Truncated { msg_type, need: read + need, got: total }
            }
            other => other,
        }
    }
}

/// A message type shown by its name (`Input`), or by its byte when unknown (`message 0x7f`).
struct Named(u8);

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match super::msg_type::name(self.0) {
            Some(name) => f.write_str(name),
            None => write!(f, "message 0x{:02x}", self.0),
        }
    }
}
