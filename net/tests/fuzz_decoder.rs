//! Decoder fuzzing with proptest: arbitrary and mutated byte strings must decode to a value or a
//! typed error, never panic; whatever decodes must re-encode to a message that decodes the same.
//!
//! Default: 2,000 cases per property (fast). Long run, e.g. a million cases:
//! `NET_FUZZ_CASES=1000000 cargo test -p net --release --test fuzz_decoder`

use net::protocol::{ClientMessage, ServerMessage, msg_type};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("NET_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000)
}

/// Bytes that start with a real type byte most of the time, so decoders get past byte 0.
fn message_like() -> impl Strategy<Value = Vec<u8>> {
    let types = prop::sample::select(vec![
        msg_type::HELLO,
        msg_type::INPUT,
        msg_type::CRAFT,
        msg_type::INVENTORY_MOVE,
        msg_type::DROP,
        msg_type::PICKUP,
        msg_type::PING,
        msg_type::ACK,
        msg_type::CLOSE_CONTAINER,
        msg_type::CHAT,
        msg_type::PLANT,
        msg_type::WELCOME,
        msg_type::FRAME,
        msg_type::CHUNK_DATA,
        msg_type::CHUNK_DROP,
        msg_type::REDIRECT,
        msg_type::ERROR,
        msg_type::PONG,
        msg_type::OBJECT_DELTA,
        msg_type::CONTAINER_CONTENTS,
        msg_type::CONTAINER_CHANGE,
        msg_type::CONTAINER_CLOSED,
        msg_type::CHAT_HEARD,
        msg_type::USE_ITEM,
        msg_type::STATS,
        msg_type::CRAFT_PROGRESS,
    ]);
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        (types, prop::collection::vec(any::<u8>(), 0..128)).prop_map(|(t, mut rest)| {
            rest.insert(0, t);
            rest
        }),
    ]
}

/// Container messages whose reference kind, record count and length are near the valid ones, so
/// the decoders get past the count and length checks into the records.
fn container_like() -> impl Strategy<Value = Vec<u8>> {
    let server = prop::sample::select(vec![msg_type::CONTAINER_CONTENTS, msg_type::CONTAINER_CHANGE]);
    let fields = (0..4u8, any::<[u8; 8]>(), any::<[u8; 8]>(), 0..6u16, 0..4u16);
    (server, fields, prop::collection::vec(any::<u8>(), 0..140), -1..=1i32).prop_map(
        |(ty, (kind, id, revisions, capacity, count), records, skew)| {
            let mut out = vec![ty, kind];
            out.extend_from_slice(&id);
            if ty == msg_type::CONTAINER_CONTENTS {
                out.extend_from_slice(&revisions[..4]);
                out.extend_from_slice(&capacity.to_le_bytes());
            } else {
                out.extend_from_slice(&revisions);
            }
            out.extend_from_slice(&count.to_le_bytes());
            let len = (i32::from(count) * 22 + skew).clamp(0, records.len() as i32) as usize;
            out.extend_from_slice(&records[..len]);
            out
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn client_decoder_never_panics(bytes in message_like()) {
        if let Ok(msg) = ClientMessage::decode(&bytes) {
            prop_assert_eq!(ClientMessage::decode(&msg.encode()), Ok(msg));
        }
    }

    #[test]
    fn container_decoders_never_panic(bytes in container_like()) {
        if let Ok(msg) = ServerMessage::decode(&bytes) {
            prop_assert_eq!(ServerMessage::decode(&msg.encode()), Ok(msg));
        }
    }

    #[test]
    fn server_decoder_never_panics(bytes in message_like()) {
        if let Ok(msg) = ServerMessage::decode(&bytes) {
            prop_assert_eq!(ServerMessage::decode(&msg.encode()), Ok(msg));
        }
    }
}
