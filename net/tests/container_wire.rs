//! Container references, slot records and the container messages on the wire: golden bytes at
//! the offsets `schemas/protocol.md` documents, refusals (bad kind or reason, counts that do not
//! match the bytes, counts over the bounds, truncation) and encoders that clamp instead of
//! panicking. Round trips of every message are in `roundtrip.rs`.

use net::protocol::*;

/// Little-endian bytes of a container reference as §3 documents them.
fn container_bytes(kind: u8, id: u64) -> Vec<u8> {
    [&[kind][..], &id.to_le_bytes()].concat()
}

#[test]
fn item_request_golden_bytes() {
    let mv = ClientMessage::InventoryMove(InventoryMove {
        request: 0x0403_0201,
        from: ContainerRef::Own,
        from_slot: 3,
        from_revision: 7,
        to: ContainerRef::Object(EntityId(0x0102)),
        to_slot: ANY_SLOT,
        to_revision: 0,
        count: 5,
    })
    .encode();
    let expected: Vec<u8> = [
        &[0x04, 1, 2, 3, 4][..],
        &container_bytes(0, 0),
        &3u16.to_le_bytes(),
        &7u32.to_le_bytes(),
        &container_bytes(1, 0x0102),
        &[0xFF, 0xFF],
        &0u32.to_le_bytes(),
        &5u16.to_le_bytes(),
    ]
    .concat();
    assert_eq!(mv, expected, "request 1, from 5, from_slot 14, from_revision 16, to 20, to_slot 29, …");
    assert_eq!(mv.len(), 37);

    let drop = ClientMessage::Drop(Drop {
        request: 9,
        container: ContainerRef::Item(77),
        slot: 2,
        revision: 4,
        count: 1,
    })
    .encode();
    let expected: Vec<u8> = [
        &[0x05][..],
        &9u32.to_le_bytes(),
        &container_bytes(2, 77),
        &2u16.to_le_bytes(),
        &4u32.to_le_bytes(),
        &1u16.to_le_bytes(),
    ]
    .concat();
    assert_eq!(drop, expected);
    assert_eq!(drop.len(), 22);

    let close =
        ClientMessage::CloseContainer(CloseContainer { container: ContainerRef::Object(EntityId(6)) });
    assert_eq!(close.encode(), [&[0x09][..], &container_bytes(1, 6)].concat());
}

#[test]
fn container_message_golden_bytes() {
    let sword = ItemSlot { slot: 4, item: 0x0A0B, kind: 12, quality: 3, count: 1 };
    let contents = ServerMessage::ContainerContents(ContainerContents {
        container: ContainerRef::Own,
        revision: 5,
        capacity: 20,
        slots: vec![sword],
    });
    let bytes = contents.encode();
    let slot: Vec<u8> = [
        &4u16.to_le_bytes()[..],
        &0x0A0Bu64.to_le_bytes(),
        &12u32.to_le_bytes(),
        &3u32.to_le_bytes(),
        &1u32.to_le_bytes(),
    ]
    .concat();
    let head: Vec<u8> =
        [&[0x89][..], &container_bytes(0, 0), &5u32.to_le_bytes(), &20u16.to_le_bytes(), &1u16.to_le_bytes()]
            .concat();
    assert_eq!(
        &bytes[..],
        &[&head[..], &slot].concat()[..],
        "container 1, revision 10, capacity 14, count 16"
    );
    assert_eq!(bytes.len(), 18 + 22);

    let change = ServerMessage::ContainerChange(ContainerChange {
        container: ContainerRef::Item(3),
        base_revision: 5,
        revision: 6,
        slots: vec![ItemSlot::empty(4)],
    });
    let bytes = change.encode();
    let head: Vec<u8> =
        [&[0x8A][..], &container_bytes(2, 3), &5u32.to_le_bytes(), &6u32.to_le_bytes(), &1u16.to_le_bytes()]
            .concat();
    assert_eq!(&bytes[..20], &head[..], "container 1, base_revision 10, revision 14, count 18");
    assert_eq!(&bytes[20..], &[&4u16.to_le_bytes()[..], &[0; 20]].concat()[..], "an emptied slot is zeros");
    assert!(ItemSlot::empty(4).is_empty());

    let closed = ServerMessage::ContainerClosed(ContainerClosed {
        container: ContainerRef::Object(EntityId(8)),
        reason: closed_reason::OUT_OF_REACH,
    });
    assert_eq!(&closed.encode()[..], &[&[0x8B][..], &container_bytes(1, 8), &[1]].concat()[..]);
    assert_eq!(closed.encode().len(), CONTAINER_CLOSED_LEN);
}

#[test]
fn container_references_are_checked() {
    let close = |kind: u8, id: u64| [&[0x09][..], &container_bytes(kind, id)].concat();
    assert_eq!(
        ClientMessage::decode(&close(3, 1)),
        Err(DecodeError::InvalidEnum { field: "container.kind", value: 3 }),
        "kind above 2 is malformed (the server closes with 4002)"
    );
    let own = ClientMessage::CloseContainer(CloseContainer { container: ContainerRef::Own });
    assert_eq!(ClientMessage::decode(&close(0, 99)), Ok(own), "the id of the own inventory is ignored");

    let mv = InventoryMove {
        request: 1,
        from: ContainerRef::Own,
        from_slot: 0,
        from_revision: 0,
        to: ContainerRef::Item(2),
        to_slot: 1,
        to_revision: 0,
        count: 1,
    };
    let mut bytes = ClientMessage::InventoryMove(mv).encode();
    bytes[20] = 7; // to.kind
    assert_eq!(
        ClientMessage::decode(&bytes),
        Err(DecodeError::InvalidEnum { field: "container.kind", value: 7 })
    );
    let drop = Drop { request: 1, container: ContainerRef::Own, slot: 0, revision: 0, count: 1 };
    let mut bytes = ClientMessage::Drop(drop).encode();
    bytes[5] = 0xFF; // container.kind
    assert!(matches!(ClientMessage::decode(&bytes), Err(DecodeError::InvalidEnum { value: 255, .. })));
    bytes.pop();
    assert_eq!(
        ClientMessage::decode(&bytes),
        Err(DecodeError::Truncated { msg_type: 0x05, need: 22, got: 21 })
    );

    let closed = ServerMessage::ContainerClosed(ContainerClosed { container: ContainerRef::Own, reason: 0 });
    let mut bytes = closed.encode().to_vec();
    bytes[1] = 3;
    assert_eq!(
        ServerMessage::decode(&bytes),
        Err(DecodeError::InvalidEnum { field: "container.kind", value: 3 })
    );
    bytes[1] = 0;
    bytes[10] = 4;
    assert_eq!(ServerMessage::decode(&bytes), Err(DecodeError::InvalidEnum { field: "reason", value: 4 }));
}

#[test]
fn container_slot_counts_are_bounded() {
    let slot = ItemSlot { slot: 0, item: 1, kind: 1, quality: 0, count: 1 };
    let contents =
        ContainerContents { container: ContainerRef::Own, revision: 1, capacity: 2, slots: vec![slot] };
    let bytes = ServerMessage::ContainerContents(contents).encode().to_vec();

    // The count says 2 records, one is there.
    let mut short = bytes.clone();
    short[16] = 2;
    assert_eq!(
        ServerMessage::decode(&short),
        Err(DecodeError::Truncated { msg_type: 0x89, need: 62, got: 40 })
    );
    // The count says 0 records, one is there.
    let mut long = bytes.clone();
    long[16] = 0;
    assert_eq!(ServerMessage::decode(&long), Err(DecodeError::TrailingBytes { msg_type: 0x89, extra: 22 }));
    // More records than the container has slots, refused before the bytes are looked at.
    let mut over = bytes.clone();
    over[16] = 3;
    assert_eq!(
        ServerMessage::decode(&over),
        Err(DecodeError::TooManyRecords { msg_type: 0x89, count: 3, max: 2 })
    );
    // A change may not announce more than 1024 records.
    let change =
        ContainerChange { container: ContainerRef::Own, base_revision: 1, revision: 2, slots: vec![] };
    let mut huge = ServerMessage::ContainerChange(change).encode().to_vec();
    huge[18..20].copy_from_slice(&u16::MAX.to_le_bytes());
    assert_eq!(
        ServerMessage::decode(&huge),
        Err(DecodeError::TooManyRecords { msg_type: 0x8A, count: 65_535, max: MAX_CONTAINER_SLOTS })
    );
    assert!(
        DecodeError::TooManyRecords { msg_type: 0x8A, count: 65_535, max: 1024 }.to_string().contains("1024")
    );
    for cut in 0..bytes.len() {
        assert!(ServerMessage::decode(&bytes[..cut]).is_err(), "a prefix of {cut} bytes is refused");
    }
}

#[test]
fn container_encoders_clamp_what_they_cannot_carry() {
    let slots: Vec<ItemSlot> =
        (0..2_000u16).map(|s| ItemSlot { slot: s, item: 1, ..ItemSlot::default() }).collect();
    let contents =
        ContainerContents { container: ContainerRef::Own, revision: 1, capacity: 3, slots: slots.clone() };
    let Ok(ServerMessage::ContainerContents(c)) =
        ServerMessage::decode(&ServerMessage::ContainerContents(contents).encode())
    else {
        panic!("clamped contents decode")
    };
    assert_eq!(c.slots, slots[..3], "no more records than slots");
    let change = ContainerChange { container: ContainerRef::Own, base_revision: 1, revision: 2, slots };
    assert_eq!(change.encoded_len(), CONTAINER_CHANGE_HEAD_LEN + MAX_CONTAINER_SLOTS * ITEM_SLOT_LEN);
    let Ok(ServerMessage::ContainerChange(d)) =
        ServerMessage::decode(&ServerMessage::ContainerChange(change).encode())
    else {
        panic!("clamped change decodes")
    };
    assert_eq!(d.slots.len(), MAX_CONTAINER_SLOTS);
}
