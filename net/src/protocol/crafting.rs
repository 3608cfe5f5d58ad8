//! Crafting on the wire, server → client: `CraftProgress` (0x8E), what became of an accepted
//! Craft (0x03): started, done (with what it made), cancelled or failed. A Craft refused up
//! front is answered with an Error instead.

use zerocopy::byteorder::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{DecodeError, expect_end, msg_type, read_fixed};

/// Bytes of an encoded `CraftProgress` (type byte included).
pub const CRAFT_PROGRESS_LEN: usize = 1 + size_of::<CraftProgressWire>();

/// The `state` byte of `CraftProgress`.
pub mod craft_state {
    /// The craft was accepted and runs (its stamina is spent).
    pub const STARTED: u8 = 0;
    /// The craft completed: ingredients consumed, the result made.
    pub const DONE: u8 = 1;
    /// A new order, a move or another Craft stopped it: nothing was consumed.
    pub const CANCELLED: u8 = 2;
    /// The check at completion refused it (`code` says why): nothing was consumed.
    pub const FAILED: u8 = 3;
    /// The largest defined state; larger values are malformed.
    pub const MAX: u8 = FAILED;
}

/// What became of an accepted Craft.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CraftProgress {
    /// The Craft's request id.
    pub request: u32,
    /// The Craft's recipe id.
    pub recipe: u16,
    /// [`craft_state`].
    pub state: u8,
    /// Failed: the error code (protocol §5) of the refusal at completion; otherwise 0.
    pub code: u16,
    /// The server tick the craft started at.
    pub started: u64,
    /// Started: the tick it will finish at; done, cancelled or failed: the tick it ended at.
    pub finish: u64,
    /// Done: the result's item kind; otherwise 0.
    pub kind: u32,
    /// Done: the result's quality; otherwise 0.
    pub quality: u32,
    /// Done: how many were made (inventory and ground together); otherwise 0.
    pub made: u32,
    /// Done: how many of them did not fit the inventory and lie in a new pile beside the
    /// character; otherwise 0.
    pub ground: u32,
}

/// `CraftProgress` (0x8E) after the type byte. 41 bytes.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default)]
#[repr(C)]
pub(crate) struct CraftProgressWire {
    request: U32,
    recipe: U16,
    state: u8,
    code: U16,
    started: U64,
    finish: U64,
    kind: U32,
    quality: U32,
    made: U32,
    ground: U32,
}

impl CraftProgress {
    /// Appends the bytes after the type byte to `out`.
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        let w = CraftProgressWire {
            request: self.request.into(),
            recipe: self.recipe.into(),
            state: self.state,
            code: self.code.into(),
            started: self.started.into(),
            finish: self.finish.into(),
            kind: self.kind.into(),
            quality: self.quality.into(),
            made: self.made.into(),
            ground: self.ground.into(),
        };
        out.extend_from_slice(w.as_bytes());
    }

    /// Decodes the bytes after the type byte; a state above 3 is malformed.
    pub(crate) fn decode_body(body: &[u8]) -> Result<Self, DecodeError> {
        let (w, rest) = read_fixed::<CraftProgressWire>(msg_type::CRAFT_PROGRESS, body)?;
        expect_end(msg_type::CRAFT_PROGRESS, rest)?;
        if w.state > craft_state::MAX {
            return Err(DecodeError::InvalidEnum { field: "state", value: u32::from(w.state) });
        }
        Ok(CraftProgress {
            request: w.request.get(),
            recipe: w.recipe.get(),
            state: w.state,
            code: w.code.get(),
            started: w.started.get(),
            finish: w.finish.get(),
            kind: w.kind.get(),
            quality: w.quality.get(),
            made: w.made.get(),
            ground: w.ground.get(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ServerMessage;

    #[test]
    fn the_size_matches_the_spec() {
        assert_eq!(CRAFT_PROGRESS_LEN, 42);
    }

    #[test]
    fn craft_progress_round_trips_at_its_offsets_and_refuses_bad_bytes() {
        let p = CraftProgress {
            request: 7,
            recipe: 2,
            state: craft_state::DONE,
            code: 0,
            started: 1_000,
            finish: 1_040,
            kind: 9,
            quality: 10,
            made: 3,
            ground: 1,
        };
        let bytes = ServerMessage::CraftProgress(p).encode();
        assert_eq!(bytes.len(), CRAFT_PROGRESS_LEN);
        assert_eq!(bytes[0], 0x8E);
        assert_eq!(&bytes[1..5], &7u32.to_le_bytes(), "request at 1");
        assert_eq!(&bytes[5..7], &2u16.to_le_bytes(), "recipe at 5");
        assert_eq!(bytes[7], 1, "state at 7");
        assert_eq!(&bytes[10..18], &1_000u64.to_le_bytes(), "started at 10");
        assert_eq!(&bytes[18..26], &1_040u64.to_le_bytes(), "finish at 18");
        assert_eq!(&bytes[26..30], &9u32.to_le_bytes(), "kind at 26");
        assert_eq!(&bytes[38..42], &1u32.to_le_bytes(), "ground at 38");
        assert_eq!(ServerMessage::decode(&bytes).unwrap(), ServerMessage::CraftProgress(p));
        assert!(ServerMessage::decode(&bytes[..CRAFT_PROGRESS_LEN - 1]).is_err());
        let mut long = bytes.to_vec();
        long.push(0);
        assert!(ServerMessage::decode(&long).is_err());
        let mut bad = bytes.to_vec();
        bad[7] = 4;
        assert_eq!(
            ServerMessage::decode(&bad),
            Err(DecodeError::InvalidEnum { field: "state", value: 4 }),
            "state 4 is malformed"
        );
        let failed = CraftProgress { state: craft_state::FAILED, code: 121, ..p };
        let bytes = ServerMessage::CraftProgress(failed).encode();
        assert_eq!(&bytes[8..10], &121u16.to_le_bytes(), "code at 8");
    }
}
