//! The character's own vitals on the wire: `UseItem` (0x0B, client → server: use an item in a
//! slot, e.g. eat food) and `Stats` (0x8D, server → client: health, hunger, stamina and
//! experience, sent on entering the world and whenever one of them changes).

use zerocopy::byteorder::little_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::wire::ContainerRefWire;
use super::{ContainerRef, DecodeError, expect_end, msg_type, read_fixed};

/// Bytes of an encoded `UseItem` (type byte included).
pub const USE_ITEM_LEN: usize = 1 + size_of::<UseItemWire>();
/// Bytes of an encoded `Stats` (type byte included).
pub const STATS_LEN: usize = 1 + size_of::<StatsWire>();

/// Use the item in a slot of a container the client sees (the own inventory, a bag in it, or
/// the open box): food is eaten, one item of the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UseItem {
    /// Request id (echoed in an Error about this request).
    pub request: u32,
    /// The container.
    pub container: ContainerRef,
    /// The slot.
    pub slot: u16,
    /// The container's revision the client saw; 0 = do not check.
    pub revision: u32,
}

/// The own character's vitals and experience.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Health points; 0 is dead.
    pub health: u16,
    /// Health of a rested character.
    pub max_health: u16,
    /// Hunger points: 0 fed; health drains at `hunger_limit`.
    pub hunger: u16,
    /// The hunger limit.
    pub hunger_limit: u16,
    /// Stamina points.
    pub stamina: u16,
    /// Stamina of a rested character.
    pub max_stamina: u16,
    /// Combat experience.
    pub xp_combat: u32,
    /// Crafting experience.
    pub xp_crafting: u32,
    /// Gathering experience.
    pub xp_gathering: u32,
}

/// `UseItem` (0x0B) after the type byte. 19 bytes.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default)]
#[repr(C)]
pub(crate) struct UseItemWire {
    request: U32,
    container: ContainerRefWire,
    slot: U16,
    revision: U32,
}

/// `Stats` (0x8D) after the type byte. 24 bytes.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, Default)]
#[repr(C)]
pub(crate) struct StatsWire {
    health: U16,
    max_health: U16,
    hunger: U16,
    hunger_limit: U16,
    stamina: U16,
    max_stamina: U16,
    xp_combat: U32,
    xp_crafting: U32,
    xp_gathering: U32,
}

impl UseItem {
    /// Appends the bytes after the type byte to `out`.
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        let w = UseItemWire {
            request: self.request.into(),
            container: self.container.to_wire(),
            slot: self.slot.into(),
            revision: self.revision.into(),
        };
        out.extend_from_slice(w.as_bytes());
    }

    /// Decodes the bytes after the type byte.
    pub(crate) fn decode_body(body: &[u8]) -> Result<Self, DecodeError> {
        let (w, rest) = read_fixed::<UseItemWire>(msg_type::USE_ITEM, body)?;
        expect_end(msg_type::USE_ITEM, rest)?;
        Ok(UseItem {
            request: w.request.get(),
            container: ContainerRef::from_wire(&w.container)?,
            slot: w.slot.get(),
            revision: w.revision.get(),
        })
    }
}

impl Stats {
    /// Appends the bytes after the type byte to `out`.
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        let w = StatsWire {
            health: self.health.into(),
            max_health: self.max_health.into(),
            hunger: self.hunger.into(),
            hunger_limit: self.hunger_limit.into(),
            stamina: self.stamina.into(),
            max_stamina: self.max_stamina.into(),
            xp_combat: self.xp_combat.into(),
            xp_crafting: self.xp_crafting.into(),
            xp_gathering: self.xp_gathering.into(),
        };
        out.extend_from_slice(w.as_bytes());
    }

    /// Decodes the bytes after the type byte.
    pub(crate) fn decode_body(body: &[u8]) -> Result<Self, DecodeError> {
        let (w, rest) = read_fixed::<StatsWire>(msg_type::STATS, body)?;
        expect_end(msg_type::STATS, rest)?;
        Ok(Stats {
            health: w.health.get(),
            max_health: w.max_health.get(),
            hunger: w.hunger.get(),
            hunger_limit: w.hunger_limit.get(),
            stamina: w.stamina.get(),
            max_stamina: w.max_stamina.get(),
            xp_combat: w.xp_combat.get(),
            xp_crafting: w.xp_crafting.get(),
            xp_gathering: w.xp_gathering.get(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ClientMessage, ServerMessage};

    #[test]
    fn sizes_match_the_spec() {
        assert_eq!(USE_ITEM_LEN, 20);
        assert_eq!(STATS_LEN, 25);
    }

    #[test]
    fn use_item_and_stats_round_trip_and_refuse_bad_lengths() {
        let u = UseItem { request: 7, container: ContainerRef::Item(99), slot: 3, revision: 12 };
        let bytes = ClientMessage::UseItem(u).encode();
        assert_eq!(bytes.len(), USE_ITEM_LEN);
        assert_eq!(bytes[0], 0x0B);
        assert_eq!(ClientMessage::decode(&bytes).unwrap(), ClientMessage::UseItem(u));
        assert!(ClientMessage::decode(&bytes[..bytes.len() - 1]).is_err());
        let mut long = bytes.to_vec();
        long.push(0);
        assert!(ClientMessage::decode(&long).is_err());
        let mut bad_kind = bytes.to_vec();
        bad_kind[5] = 9;
        assert!(ClientMessage::decode(&bad_kind).is_err(), "container kind 9 is malformed");

        let s = Stats {
            health: 90,
            max_health: 100,
            hunger: 12,
            hunger_limit: 100,
            stamina: 40,
            max_stamina: 100,
            xp_combat: 1,
            xp_crafting: 70_000,
            xp_gathering: 3,
        };
        let bytes = ServerMessage::Stats(s).encode();
        assert_eq!(bytes.len(), STATS_LEN);
        assert_eq!(bytes[0], 0x8D);
        assert_eq!(&bytes[1..3], &90u16.to_le_bytes());
        assert_eq!(&bytes[17..21], &70_000u32.to_le_bytes(), "xp_crafting at offset 17");
        assert_eq!(ServerMessage::decode(&bytes).unwrap(), ServerMessage::Stats(s));
        assert!(ServerMessage::decode(&bytes[..STATS_LEN - 1]).is_err());
    }
}
