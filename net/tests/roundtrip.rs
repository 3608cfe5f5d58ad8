//! Property tests: every message of both directions survives encode → decode unchanged, and
//! every strict prefix of an encoding is refused with an error (never a panic).

use bytes::Bytes;
use net::protocol::*;
use proptest::prelude::*;

fn entity() -> impl Strategy<Value = EntityId> {
    any::<u64>().prop_map(EntityId)
}

fn token() -> impl Strategy<Value = SessionToken> {
    any::<[u8; 32]>().prop_map(SessionToken)
}

fn order() -> impl Strategy<Value = Order> {
    prop_oneof![
        Just(Order::Stop),
        (any::<i32>(), any::<i32>()).prop_map(|(x, y)| Order::MoveTo { x, y }),
        entity().prop_map(Order::Follow),
        (entity(), any::<u8>()).prop_map(|(target, action)| Order::Interact { target, action }),
        entity().prop_map(Order::Attack),
    ]
}

fn container() -> impl Strategy<Value = ContainerRef> {
    prop_oneof![
        Just(ContainerRef::Own),
        entity().prop_map(ContainerRef::Object),
        any::<u64>().prop_map(ContainerRef::Item),
    ]
}

fn item_slot() -> impl Strategy<Value = ItemSlot> {
    (any::<(u16, u64)>(), any::<(u32, u32, u32)>())
        .prop_map(|((slot, item), (kind, quality, count))| ItemSlot { slot, item, kind, quality, count })
}

fn contents() -> impl Strategy<Value = ContainerContents> {
    (container(), any::<u32>(), any::<u16>(), prop::collection::vec(item_slot(), 0..12)).prop_map(
        |(container, revision, capacity, mut slots)| {
            slots.truncate(usize::from(capacity));
            ContainerContents { container, revision, capacity, slots }
        },
    )
}

fn change() -> impl Strategy<Value = ContainerChange> {
    (container(), any::<(u32, u32)>(), prop::collection::vec(item_slot(), 0..12)).prop_map(
        |(container, (base_revision, revision), slots)| ContainerChange {
            container,
            base_revision,
            revision,
            slots,
        },
    )
}

fn craft_progress() -> impl Strategy<Value = CraftProgress> {
    (any::<(u32, u16, u16, u64, u64)>(), 0..=craft_state::MAX, any::<(u32, u32, u32, u32)>()).prop_map(
        |((request, recipe, code, started, finish), state, (kind, quality, made, ground))| CraftProgress {
            request,
            recipe,
            state,
            code,
            started,
            finish,
            kind,
            quality,
            made,
            ground,
        },
    )
}

fn closed() -> impl Strategy<Value = ContainerClosed> {
    (container(), 0..=closed_reason::MAX)
        .prop_map(|(container, reason)| ContainerClosed { container, reason })
}

fn client_message() -> impl Strategy<Value = ClientMessage> {
    prop_oneof![
        ("\\PC{0,8}", token()).prop_map(|(name, token)| ClientMessage::Hello(Hello { name, token })),
        (any::<u32>(), order()).prop_map(|(seq, order)| ClientMessage::Input(Input { seq, order })),
        (any::<u32>(), any::<u16>(), any::<u16>(), entity()).prop_map(|(request, recipe, count, station)| {
            ClientMessage::Craft(Craft { request, recipe, count, station })
        }),
        (
            any::<u32>(),
            (container(), any::<u16>(), any::<u32>()),
            (container(), any::<u16>(), any::<u32>()),
            any::<u16>()
        )
            .prop_map(
                |(request, (from, from_slot, from_revision), (to, to_slot, to_revision), count)| {
                    ClientMessage::InventoryMove(InventoryMove {
                        request,
                        from,
                        from_slot,
                        from_revision,
                        to,
                        to_slot,
                        to_revision,
                        count,
                    })
                }
            ),
        (any::<u32>(), container(), any::<(u16, u32, u16)>()).prop_map(
            |(request, container, (slot, revision, count))| {
                ClientMessage::Drop(Drop { request, container, slot, revision, count })
            }
        ),
        container().prop_map(|container| ClientMessage::CloseContainer(CloseContainer { container })),
        (any::<u32>(), entity()).prop_map(|(request, item)| ClientMessage::Pickup(Pickup { request, item })),
        any::<u64>().prop_map(|nonce| ClientMessage::Ping { nonce }),
        (any::<u64>(), any::<u32>()).prop_map(|(tick, received)| ClientMessage::Ack(Ack { tick, received })),
        (any::<u32>(), "\\PC{0,40}").prop_map(|(request, text)| ClientMessage::Chat(Chat { request, text })),
        (any::<u32>(), container(), any::<(u16, i32, i32)>()).prop_map(
            |(request, container, (slot, x, y))| {
                ClientMessage::Plant(Plant { request, container, slot, x, y })
            }
        ),
    ]
}

fn own() -> impl Strategy<Value = OwnState> {
    (any::<(i32, i32, i16, i16)>(), any::<(u16, u16, u8, u8)>(), entity()).prop_map(
        |((x, y, vx, vy), (hp, max_hp, order, flags), order_target)| OwnState {
            x,
            y,
            vx,
            vy,
            hp,
            max_hp,
            order,
            flags,
            order_target,
        },
    )
}

fn enter() -> impl Strategy<Value = EntityEnter> {
    (entity(), any::<u16>(), any::<(i32, i32, i16, i16)>(), any::<(u16, u16)>()).prop_map(
        |(id, kind, (x, y, vx, vy), (hp, flags))| EntityEnter {
            id,
            kind,
            state: EntityState { x, y, vx, vy, hp, flags },
        },
    )
}

fn update() -> impl Strategy<Value = EntityUpdate> {
    (entity(), any::<(i32, i32, i16, i16)>(), any::<(u16, u16)>()).prop_map(
        |(id, (x, y, vx, vy), (hp, flags))| EntityUpdate {
            id,
            state: EntityState { x, y, vx, vy, hp, flags },
        },
    )
}

fn frame() -> impl Strategy<Value = Frame> {
    let records = (
        prop::collection::vec(enter(), 0..8),
        prop::collection::vec(update(), 0..8),
        prop::collection::vec(entity(), 0..8),
    );
    (any::<u64>(), any::<u32>(), own(), records).prop_map(
        |(tick, last_input_seq, own, (enters, updates, leaves))| Frame {
            tick,
            last_input_seq,
            own,
            enters,
            updates,
            leaves,
        },
    )
}

fn wire_object() -> impl Strategy<Value = WireObject> {
    (entity(), any::<(u16, i32, i32, u16)>()).prop_map(|(id, (kind, x, y, state))| WireObject {
        id,
        kind,
        x,
        y,
        state,
    })
}

fn object_change() -> impl Strategy<Value = ObjectChange> {
    prop_oneof![
        wire_object().prop_map(ObjectChange::Enter),
        wire_object().prop_map(ObjectChange::Change),
        entity().prop_map(ObjectChange::Leave),
    ]
}

fn object_delta() -> impl Strategy<Value = ObjectDelta> {
    (any::<(u32, i32, i32, u32, u32)>(), prop::collection::vec(object_change(), 0..8)).prop_map(
        |((map, cx, cy, from_version, to_version), changes)| ObjectDelta {
            map,
            cx,
            cy,
            from_version,
            to_version,
            changes,
        },
    )
}

fn server_message() -> impl Strategy<Value = ServerMessage> {
    prop_oneof![
        (
            any::<(u16, u16, u64, u32)>(),
            entity(),
            token(),
            any::<(i32, i32)>(),
            any::<(u16, u16, u16, u16)>()
        )
            .prop_map(|((version, tick_rate_hz, server_tick, map), player, token, (x, y), sizes)| {
                let (width_chunks, height_chunks, continent, layer) = sizes;
                ServerMessage::Welcome(Welcome {
                    version,
                    tick_rate_hz,
                    player,
                    server_tick,
                    map,
                    token,
                    x,
                    y,
                    width_chunks,
                    height_chunks,
                    continent,
                    layer,
                })
            }),
        frame().prop_map(ServerMessage::Frame),
        (any::<(u32, i32, i32, u32, u32)>(), prop::collection::vec(any::<u8>(), 0..64)).prop_map(
            |((map, cx, cy, version, raw_len), data)| ServerMessage::ChunkData(ChunkData {
                map,
                cx,
                cy,
                version,
                raw_len,
                data: Bytes::from(data),
            })
        ),
        any::<(u32, i32, i32)>().prop_map(|(map, cx, cy)| ServerMessage::ChunkDrop(ChunkDrop {
            map,
            cx,
            cy
        })),
        ("\\PC{1,40}", token())
            .prop_map(|(address, token)| ServerMessage::Redirect(Redirect { address, token })),
        (any::<u16>(), any::<u32>(), "\\PC{0,40}")
            .prop_map(|(code, request, text)| ServerMessage::Error(ErrorMsg { code, request, text })),
        any::<(u64, u64)>().prop_map(|(nonce, server_tick)| ServerMessage::Pong(Pong { nonce, server_tick })),
        object_delta().prop_map(ServerMessage::ObjectDelta),
        contents().prop_map(ServerMessage::ContainerContents),
        change().prop_map(ServerMessage::ContainerChange),
        closed().prop_map(ServerMessage::ContainerClosed),
        chat_heard().prop_map(ServerMessage::ChatHeard),
        craft_progress().prop_map(ServerMessage::CraftProgress),
    ]
}

fn chat_heard() -> impl Strategy<Value = ChatHeard> {
    (entity(), any::<(u64, u32)>(), "\\PC{0,8}", "\\PC{0,40}")
        .prop_map(|(speaker, (tick, request), name, text)| ChatHeard { speaker, tick, request, name, text })
}

/// Cuts of `bytes` whose truncation report is not in whole-message lengths: `got` must be the
/// cut and `need` past it, at most the full message.
fn truncation_faults(bytes: &[u8], decode: impl Fn(&[u8]) -> Option<DecodeError>) -> Vec<String> {
    let full = bytes.len();
    (1..full)
        .filter_map(|cut| match decode(&bytes[..cut]) {
            Some(DecodeError::Truncated { msg_type, need, got })
                if msg_type != bytes[0] || got != cut || need <= cut || need > full =>
            {
                Some(format!("cut {cut} of {full}: need {need}, got {got}"))
            }
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn client_messages_round_trip(msg in client_message()) {
        let bytes = msg.encode();
        prop_assert_eq!(ClientMessage::decode(&bytes), Ok(msg));
        // A prefix is never a valid encoding of the same message (variable tails may still decode
        // a shorter Hello, which is fine); it must never panic either way.
        for cut in 0..bytes.len() {
            let _ = ClientMessage::decode(&bytes[..cut]);
        }
    }

    #[test]
    fn server_messages_round_trip(msg in server_message()) {
        let bytes = msg.encode();
        prop_assert_eq!(ServerMessage::decode(&bytes), Ok(msg.clone()));
        if !matches!(msg, ServerMessage::ChunkData(_)) {
            for cut in 0..bytes.len() {
                prop_assert!(ServerMessage::decode(&bytes[..cut]).is_err());
            }
        }
    }

    #[test]
    fn object_delta_length_is_its_record_count(d in object_delta()) {
        let bytes = ServerMessage::ObjectDelta(d.clone()).encode();
        prop_assert_eq!(bytes.len(), d.encoded_len());
        prop_assert_eq!(bytes.len(), OBJECT_DELTA_HEAD_LEN + d.changes.len() * OBJECT_CHANGE_LEN);
        let mut longer = bytes.to_vec();
        longer.push(0);
        let decoded = ServerMessage::decode(&longer);
        let trailing = matches!(decoded, Err(DecodeError::TrailingBytes { extra: 1, .. }));
        prop_assert!(trailing);
    }

    #[test]
    fn truncations_count_the_whole_message(msg in server_message(), c in client_message()) {
        let server = truncation_faults(&msg.encode(), |b| ServerMessage::decode(b).err());
        prop_assert!(server.is_empty(), "{:?}", server);
        let client = truncation_faults(&c.encode(), |b| ClientMessage::decode(b).err());
        prop_assert!(client.is_empty(), "{:?}", client);
    }

    #[test]
    fn container_message_lengths_are_their_slot_counts(c in contents(), d in change()) {
        let bytes = ServerMessage::ContainerContents(c.clone()).encode();
        prop_assert_eq!(bytes.len(), c.encoded_len());
        prop_assert_eq!(bytes.len(), CONTAINER_CONTENTS_HEAD_LEN + c.slots.len() * ITEM_SLOT_LEN);
        let bytes = ServerMessage::ContainerChange(d.clone()).encode();
        prop_assert_eq!(bytes.len(), d.encoded_len());
        prop_assert_eq!(bytes.len(), CONTAINER_CHANGE_HEAD_LEN + d.slots.len() * ITEM_SLOT_LEN);
        let mut longer = bytes.to_vec();
        longer.extend_from_slice(&[0; ITEM_SLOT_LEN]);
        let trailing = matches!(
            ServerMessage::decode(&longer),
            Err(DecodeError::TrailingBytes { extra: ITEM_SLOT_LEN, .. })
        );
        prop_assert!(trailing, "a record the count does not announce is refused");
    }

    #[test]
    fn frame_builder_matches_frame_encoding(f in frame()) {
        let mut b = FrameBuilder::new(f.tick, f.last_input_seq, &f.own);
        f.enters.iter().for_each(|e| assert!(b.push_enter(e)));
        f.updates.iter().for_each(|u| assert!(b.push_update(u)));
        f.leaves.iter().for_each(|&l| assert!(b.push_leave(l)));
        prop_assert_eq!(b.encoded_len(), b.finish().len());
        prop_assert_eq!(&b.finish()[..], &ServerMessage::Frame(f).encode()[..]);
    }
}

#[test]
fn long_texts_are_truncated_on_char_boundaries() {
    let name = "é".repeat(40);
    let bytes = ClientMessage::Hello(Hello { name, token: SessionToken::NONE }).encode();
    let Ok(ClientMessage::Hello(h)) = ClientMessage::decode(&bytes) else { panic!("decodes") };
    assert_eq!(h.name.len(), 32);
    let text = "x".repeat(5000);
    let bytes = ServerMessage::Error(ErrorMsg { code: 1, request: 0, text }).encode();
    let Ok(ServerMessage::Error(e)) = ServerMessage::decode(&bytes) else { panic!("decodes") };
    assert_eq!(e.text.len(), MAX_ERROR_TEXT_LEN);
}

#[test]
fn specific_errors_are_reported() {
    assert_eq!(ClientMessage::decode(&[]), Err(DecodeError::Empty));
    assert_eq!(ClientMessage::decode(&[0x81]), Err(DecodeError::UnknownType(0x81)));
    assert_eq!(ServerMessage::decode(&[0x01]), Err(DecodeError::UnknownType(0x01)));
    let mut input = ClientMessage::Input(Input { seq: 1, order: Order::Stop }).encode();
    input[5] = 9;
    assert_eq!(ClientMessage::decode(&input), Err(DecodeError::InvalidEnum { field: "order", value: 9 }));
    input.push(0);
    assert!(matches!(ClientMessage::decode(&input), Err(DecodeError::TrailingBytes { .. })));
    // A version 1 client (before the ChunkData byte planes) is refused.
    let hello = encode_hello_with_version(&Hello { name: "a".into(), token: SessionToken::NONE }, 1);
    assert_eq!(ClientMessage::decode(&hello), Err(DecodeError::VersionMismatch { got: 1, expected: 2 }));
    let mut bad_utf8 = encode_hello_with_version(&Hello { name: "ab".into(), token: SessionToken::NONE }, 2);
    let n = bad_utf8.len();
    bad_utf8[n - 1] = 0xff;
    assert_eq!(ClientMessage::decode(&bad_utf8), Err(DecodeError::InvalidUtf8 { field: "name" }));
}

#[test]
fn truncation_texts_count_the_type_byte() {
    let input = ClientMessage::Input(Input { seq: 1, order: Order::Stop }).encode();
    assert_eq!(input.len(), 23);
    let err = ClientMessage::decode(&input[..22]).unwrap_err();
    assert_eq!(err, DecodeError::Truncated { msg_type: msg_type::INPUT, need: 23, got: 22 });
    assert_eq!(err.to_string(), "Input needs 23 bytes, got 22");
    assert_eq!(ClientMessage::decode(&[0x08]).unwrap_err().to_string(), "Ack needs 13 bytes, got 1");
    // A Hello whose name is cut: the need is the whole message its name_len announces.
    let hello = ClientMessage::Hello(Hello { name: "abcd".into(), token: SessionToken::NONE }).encode();
    let err = ClientMessage::decode(&hello[..38]).unwrap_err();
    assert_eq!(err.to_string(), "Hello needs 40 bytes, got 38");
    // A Frame whose records are cut.
    let mut b = FrameBuilder::new(1, 1, &OwnState::default());
    b.push_leave(EntityId(5));
    let frame = b.finish();
    let err = ServerMessage::decode(&frame[..50]).unwrap_err();
    assert_eq!(err.to_string(), format!("Frame needs {} bytes, got 50", FRAME_HEAD_LEN + 8));
    let welcome = ServerMessage::decode(&[0x81, 1, 0]).unwrap_err();
    assert_eq!(welcome.to_string(), format!("Welcome needs {WELCOME_LEN} bytes, got 3"));
    let mut long = input.clone();
    long.push(0);
    assert_eq!(ClientMessage::decode(&long).unwrap_err().to_string(), "Input has 1 bytes past its end");
}

#[test]
fn welcome_fields_sit_at_the_documented_offsets() {
    let w = Welcome {
        version: 1,
        tick_rate_hz: 20,
        player: EntityId(0x0102),
        server_tick: 3,
        map: 0x21,
        token: SessionToken([7; 32]),
        x: -2,
        y: 0x0403_0201,
        width_chunks: 0x0605,
        height_chunks: 0x0807,
        continent: 2,
        layer: 1,
    };
    let bytes = ServerMessage::Welcome(w).encode();
    assert_eq!(bytes.len(), WELCOME_LEN);
    assert_eq!(WELCOME_LEN, 73);
    assert_eq!(&bytes[..5], &[0x81, 1, 0, 20, 0]);
    assert_eq!(&bytes[21..25], &[0x21, 0, 0, 0], "map at 21");
    assert_eq!(&bytes[25..57], &[7; 32], "token at 25");
    assert_eq!(&bytes[57..61], &(-2i32).to_le_bytes(), "x at 57");
    assert_eq!(&bytes[61..65], &[1, 2, 3, 4], "y at 61");
    assert_eq!(&bytes[65..69], &[5, 6, 7, 8], "width and height in chunks at 65 and 67");
    assert_eq!(&bytes[69..73], &[2, 0, 1, 0], "continent at 69, layer at 71");
}

#[test]
fn golden_bytes_match_the_documented_offsets() {
    let input = ClientMessage::Input(Input { seq: 0x0403_0201, order: Order::MoveTo { x: -2, y: 256 } });
    let expected: Vec<u8> =
        [&[0x02, 1, 2, 3, 4, 1, 0][..], &[0; 8], &(-2i32).to_le_bytes(), &256i32.to_le_bytes()].concat();
    assert_eq!(input.encode(), expected);

    let hello = ClientMessage::Hello(Hello { name: "ab".into(), token: SessionToken([7; 32]) }).encode();
    assert_eq!(&hello[..4], &[0x01, 2, 0, 2], "type, protocol version 2, name length");
    assert_eq!(&hello[4..36], &[7; 32]);
    assert_eq!(&hello[36..], b"ab");

    let mut b = FrameBuilder::new(5, 6, &OwnState { order_target: EntityId(9), ..OwnState::default() });
    b.push_update(&EntityUpdate { id: EntityId(3), ..EntityUpdate::default() });
    b.push_leave(EntityId(4));
    let f = b.finish();
    assert_eq!(f.len(), 45 + 24 + 8);
    assert_eq!(&f[..2], &[0x82, 5]);
    assert_eq!(f[9], 6);
    assert_eq!(f[31], 9, "own.order_target at offset 31");
    assert_eq!(&f[39..45], &[0, 0, 1, 0, 1, 0], "E, U, L counts at 39, 41, 43");
    assert_eq!(f[45], 3, "first update id at 45");
    assert_eq!(f[45 + 24], 4, "leave id after the updates");

    let err = ServerMessage::Error(ErrorMsg { code: 2, request: 3, text: "hi".into() }).encode();
    assert_eq!(&err[..], &[0x86, 2, 0, 3, 0, 0, 0, 2, 0, b'h', b'i']);
}

#[test]
fn object_delta_golden_bytes_and_refusals() {
    let tree = WireObject { id: EntityId(0x0102), kind: 7, x: -2, y: 256, state: 3 };
    let d = ObjectDelta {
        map: 5,
        cx: -1,
        cy: 2,
        from_version: 9,
        to_version: 11,
        changes: vec![ObjectChange::Enter(tree), ObjectChange::Leave(EntityId(4))],
    };
    let bytes = ServerMessage::ObjectDelta(d.clone()).encode();
    assert_eq!(bytes.len(), 23 + 2 * 21);
    assert_eq!(&bytes[..5], &[0x88, 5, 0, 0, 0], "type, map at 1");
    assert_eq!(&bytes[5..9], &(-1i32).to_le_bytes(), "cx at 5");
    assert_eq!(&bytes[9..13], &2i32.to_le_bytes(), "cy at 9");
    assert_eq!(&bytes[13..17], &9u32.to_le_bytes(), "from_version at 13");
    assert_eq!(&bytes[17..21], &11u32.to_le_bytes(), "to_version at 17");
    assert_eq!(&bytes[21..23], &[2, 0], "count at 21");
    let first: Vec<u8> = [
        &[1][..],
        &0x0102u64.to_le_bytes(),
        &7u16.to_le_bytes(),
        &(-2i32).to_le_bytes(),
        &256i32.to_le_bytes(),
        &3u16.to_le_bytes(),
    ]
    .concat();
    assert_eq!(&bytes[23..44], &first[..], "op, entity, kind, x, y, state");
    assert_eq!(
        &bytes[44..],
        &[&[3][..], &4u64.to_le_bytes(), &[0; 12]].concat()[..],
        "a leave carries zeros"
    );
    assert_eq!(ServerMessage::decode(&bytes), Ok(ServerMessage::ObjectDelta(d)));

    let mut bad_op = bytes.to_vec();
    bad_op[23] = 9;
    assert_eq!(ServerMessage::decode(&bad_op), Err(DecodeError::InvalidEnum { field: "op", value: 9 }));
    // A count the bytes do not hold is refused before anything is allocated for it.
    let mut huge = bytes[..23].to_vec();
    huge[21..23].copy_from_slice(&u16::MAX.to_le_bytes());
    assert_eq!(
        ServerMessage::decode(&huge),
        Err(DecodeError::Truncated { msg_type: 0x88, need: 23 + 65_535 * 21, got: 23 })
    );
    let mut entry = Vec::new();
    tree.encode_into(&mut entry);
    assert_eq!(entry.len(), OBJECT_ENTRY_LEN);
    assert_eq!(WireObject::decode(&entry), Some(tree));
    assert_eq!(WireObject::decode(&entry[1..]), None, "an entry is exactly 20 bytes");
}

#[test]
fn ack_window_says_which_frames_arrived() {
    let ack = ClientMessage::Ack(Ack { tick: 100, received: 0b101 });
    assert_eq!(&ack.encode()[..], &[&[0x08][..], &100u64.to_le_bytes(), &5u32.to_le_bytes()].concat()[..]);
    let ClientMessage::Ack(a) = ClientMessage::decode(&ack.encode()).unwrap() else { panic!("not an ack") };
    assert_eq!(a.received(100), Some(true));
    assert_eq!(a.received(99), Some(true), "bit 0");
    assert_eq!(a.received(98), Some(false), "bit 1");
    assert_eq!(a.received(97), Some(true), "bit 2");
    assert_eq!(a.received(68), Some(false), "bit 31");
    assert_eq!(a.received(67), None, "older than the window");
    assert_eq!(a.received(101), None, "newer than the ack");
}

#[test]
fn shared_update_records_encode_like_pushed_ones() {
    let u =
        EntityUpdate { id: EntityId(7), state: EntityState { x: -3, y: 9, vx: 1, vy: -1, hp: 50, flags: 2 } };
    let own = OwnState::default();
    let mut a = FrameBuilder::new(1, 2, &own);
    a.push_update(&u);
    let mut b = FrameBuilder::new(9, 9, &own);
    b.push_leave(EntityId(1));
    b.reset(1, 2, &own);
    b.push_update_record(&u.record());
    assert_eq!(a.finish(), b.finish());
    assert_eq!(b.records(), 1);
    assert_eq!(b.encoded_len(), FRAME_HEAD_LEN + UPDATE_RECORD_LEN);
}
