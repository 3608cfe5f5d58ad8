//! Planting on the wire: `Plant` (0x0C, client → server): plant one seed from a slot of a
//! container the client sees at a point of the map (the game checks the seed, the reach, the
//! ground and the spot, and answers a refusal with an Error carrying the request id).

use zerocopy::byteorder::little_endian::{I32, U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::wire::ContainerRefWire;
use super::{ContainerRef, DecodeError, expect_end, msg_type, read_fixed};

/// Bytes of an encoded `Plant` (type byte included).
pub const PLANT_LEN: usize = 1 + size_of::<PlantWire>();

/// Plant one seed of the stack in a slot at a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plant {
    /// Request id (echoed in an Error about this request).
    pub request: u32,
    /// The container the seed is in.
    pub container: ContainerRef,
    /// The slot.
    pub slot: u16,
    /// Where to plant, x in 1/256 tile.
    pub x: i32,
    /// Where to plant, y in 1/256 tile.
    pub y: i32,
}

/// `Plant` (0x0C) after the type byte. 23 bytes.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default)]
#[repr(C)]
pub(crate) struct PlantWire {
    request: U32,
    container: ContainerRefWire,
    slot: U16,
    x: I32,
    y: I32,
}

impl Plant {
    /// Appends the bytes after the type byte to `out`.
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        let w = PlantWire {
            request: self.request.into(),
            container: self.container.to_wire(),
            slot: self.slot.into(),
            x: self.x.into(),
            y: self.y.into(),
        };
        out.extend_from_slice(w.as_bytes());
    }

    /// Decodes the bytes after the type byte.
    pub(crate) fn decode_body(body: &[u8]) -> Result<Self, DecodeError> {
        let (w, rest) = read_fixed::<PlantWire>(msg_type::PLANT, body)?;
        expect_end(msg_type::PLANT, rest)?;
        Ok(Plant {
            request: w.request.get(),
            container: ContainerRef::from_wire(&w.container)?,
            slot: w.slot.get(),
            x: w.x.get(),
            y: w.y.get(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ClientMessage, EntityId};

    #[test]
    fn plant_matches_the_spec_and_refuses_bad_lengths() {
        assert_eq!(PLANT_LEN, 24);
        let p = Plant { request: 9, container: ContainerRef::Own, slot: 3, x: -5, y: 70_000 };
        let bytes = ClientMessage::Plant(p).encode();
        assert_eq!(bytes.len(), PLANT_LEN);
        assert_eq!(bytes[0], 0x0C);
        assert_eq!(&bytes[1..5], &9u32.to_le_bytes(), "request at 1");
        assert_eq!(bytes[5], 0, "container kind at 5: own");
        assert_eq!(&bytes[14..16], &3u16.to_le_bytes(), "slot at 14");
        assert_eq!(&bytes[16..20], &(-5i32).to_le_bytes(), "x at 16");
        assert_eq!(&bytes[20..24], &70_000i32.to_le_bytes(), "y at 20");
        assert_eq!(ClientMessage::decode(&bytes).unwrap(), ClientMessage::Plant(p));
        let in_box = Plant { container: ContainerRef::Object(EntityId(77)), ..p };
        let bytes = ClientMessage::Plant(in_box).encode();
        assert_eq!(ClientMessage::decode(&bytes).unwrap(), ClientMessage::Plant(in_box));
        assert!(ClientMessage::decode(&bytes[..PLANT_LEN - 1]).is_err());
        let mut long = bytes.clone();
        long.push(0);
        assert!(ClientMessage::decode(&long).is_err());
        let mut bad_kind = bytes;
        bad_kind[5] = 7;
        assert!(ClientMessage::decode(&bad_kind).is_err(), "container kind 7 is malformed");
    }
}
