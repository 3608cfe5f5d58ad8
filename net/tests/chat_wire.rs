//! Chat on the wire: golden bytes of `Chat` (0x0A) and `ChatHeard` (0x8C) at the offsets
//! `schemas/protocol.md` documents, refusals (a text length over 1024, bad UTF-8, lengths that do
//! not match the bytes), encoders that truncate on a character boundary instead of panicking,
//! near-valid fuzzing, and over a real socket: a good Chat reaches the simulation, a malformed
//! one closes the connection with 4002 while another connection keeps working.

mod common;

use common::*;
use net::protocol::*;
use net::{DisconnectReason, Inbound};
use proptest::prelude::*;

fn heard() -> ChatHeard {
    ChatHeard { speaker: EntityId(0x0102), tick: 0x0A0B, request: 7, name: "ann".into(), text: "hé".into() }
}

#[test]
fn chat_golden_bytes() {
    let chat = ClientMessage::Chat(Chat { request: 0x0403_0201, text: "hé!".into() });
    let bytes = chat.encode();
    let expected: Vec<u8> = [&[0x0A, 1, 2, 3, 4][..], &4u16.to_le_bytes(), "hé!".as_bytes()].concat();
    assert_eq!(bytes, expected, "type 0, request 1, text_len 5, text 7");
    assert_eq!(bytes.len(), CHAT_HEAD_LEN + 4);
    assert_eq!(CHAT_HEAD_LEN, 7);
    assert_eq!(ClientMessage::decode(&bytes), Ok(chat));
}

#[test]
fn chat_heard_golden_bytes() {
    let msg = ServerMessage::ChatHeard(heard());
    let bytes = msg.encode();
    let expected: Vec<u8> = [
        &[0x8C][..],
        &0x0102u64.to_le_bytes(),
        &0x0A0Bu64.to_le_bytes(),
        &7u32.to_le_bytes(),
        &[3],
        b"ann",
        &3u16.to_le_bytes(),
        "hé".as_bytes(),
    ]
    .concat();
    assert_eq!(&bytes[..], &expected[..], "speaker 1, tick 9, request 17, name_len 21, name 22, …");
    assert_eq!(CHAT_HEARD_HEAD_LEN, 24);
    assert_eq!(bytes.len(), CHAT_HEARD_HEAD_LEN + 3 + 3);
    assert_eq!(bytes.len(), heard().encoded_len());
    assert_eq!(ServerMessage::decode(&bytes), Ok(msg));
}

#[test]
fn an_over_long_text_is_malformed() {
    let mut bytes = vec![0x0A, 1, 0, 0, 0];
    bytes.extend_from_slice(&1025u16.to_le_bytes());
    bytes.extend(std::iter::repeat_n(b'a', 1025));
    assert_eq!(
        ClientMessage::decode(&bytes),
        Err(DecodeError::FieldTooLong { field: "text", len: 1025, max: MAX_CHAT_TEXT_LEN })
    );
    // The longest text the wire carries decodes.
    let mut longest = vec![0x0A, 1, 0, 0, 0];
    longest.extend_from_slice(&1024u16.to_le_bytes());
    longest.extend(std::iter::repeat_n(b'a', 1024));
    assert!(matches!(ClientMessage::decode(&longest), Ok(ClientMessage::Chat(c)) if c.text.len() == 1024));
    // A length over the limit is refused before the bytes are looked at.
    let mut huge = vec![0x0A, 1, 0, 0, 0];
    huge.extend_from_slice(&u16::MAX.to_le_bytes());
    assert!(matches!(ClientMessage::decode(&huge), Err(DecodeError::FieldTooLong { len: 65_535, .. })));
}

#[test]
fn bad_utf8_is_malformed() {
    let mut chat = ClientMessage::Chat(Chat { request: 1, text: "ab".into() }).encode();
    let n = chat.len();
    chat[n - 1] = 0xFF;
    assert_eq!(ClientMessage::decode(&chat), Err(DecodeError::InvalidUtf8 { field: "text" }));

    // A name or text cut in the middle of a character is not UTF-8 either.
    let mut h = ServerMessage::ChatHeard(heard()).encode().to_vec();
    h[22] = 0xC3;
    assert_eq!(ServerMessage::decode(&h), Err(DecodeError::InvalidUtf8 { field: "name" }));
    let mut h = ServerMessage::ChatHeard(heard()).encode().to_vec();
    let n = h.len();
    h[n - 1] = 0x41;
    assert_eq!(ServerMessage::decode(&h), Err(DecodeError::InvalidUtf8 { field: "text" }));
}

#[test]
fn lengths_that_do_not_match_the_bytes_are_refused() {
    let chat = ClientMessage::Chat(Chat { request: 1, text: "hello".into() }).encode();
    assert_eq!(chat.len(), 12);
    let err = ClientMessage::decode(&chat[..10]).unwrap_err();
    assert_eq!(err.to_string(), "Chat needs 12 bytes, got 10", "counts the whole message");
    let mut long = chat.clone();
    long.push(b'!');
    assert_eq!(ClientMessage::decode(&long), Err(DecodeError::TrailingBytes { msg_type: 0x0A, extra: 1 }));
    assert_eq!(ClientMessage::decode(&[0x0A, 1]).unwrap_err().to_string(), "Chat needs 7 bytes, got 2");

    let h = ServerMessage::ChatHeard(heard()).encode();
    let err = ServerMessage::decode(&h[..24]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ChatHeard needs 25 bytes, got 24",
        "the name is cut: its text_len is unread"
    );
    let err = ServerMessage::decode(&h[..h.len() - 1]).unwrap_err();
    assert_eq!(err.to_string(), format!("ChatHeard needs {} bytes, got {}", h.len(), h.len() - 1));
    let mut name_too_long = h.to_vec();
    name_too_long[21] = 33;
    assert!(matches!(
        ServerMessage::decode(&name_too_long),
        Err(DecodeError::FieldTooLong { field: "name", len: 33, max: 32 })
    ));
}

#[test]
fn encoders_truncate_on_character_boundaries() {
    let text = "é".repeat(600);
    let bytes = ClientMessage::Chat(Chat { request: 1, text: text.clone() }).encode();
    let Ok(ClientMessage::Chat(c)) = ClientMessage::decode(&bytes) else { panic!("decodes") };
    assert_eq!(c.text.len(), MAX_CHAT_TEXT_LEN);
    assert_eq!(c.text, "é".repeat(512));
    let name = "ü".repeat(20);
    let msg = ChatHeard { name, text, ..heard() };
    let bytes = ServerMessage::ChatHeard(msg.clone()).encode();
    assert_eq!(bytes.len(), msg.encoded_len());
    let Ok(ServerMessage::ChatHeard(h)) = ServerMessage::decode(&bytes) else { panic!("decodes") };
    assert_eq!(h.name, "ü".repeat(16));
    assert_eq!(h.text.len(), MAX_CHAT_TEXT_LEN);
}

/// Chat and ChatHeard messages whose lengths are near the valid ones and whose bytes are
/// mostly ASCII with some invalid UTF-8, so decoders get past the length checks.
fn chat_like() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![8 => 0x20u8..0x7F, 1 => any::<u8>()];
    let tail = prop::collection::vec(byte, 0..80);
    (any::<bool>(), 0..40u16, 0..40u8, tail, -1..=1i32).prop_map(|(heard, text_len, name_len, tail, skew)| {
        let mut out = if heard {
            let mut h = vec![0x8C];
            h.extend_from_slice(&[0; 20]);
            h.push(name_len);
            let name = usize::from(name_len).min(tail.len());
            h.extend_from_slice(&tail[..name]);
            h.extend_from_slice(&text_len.to_le_bytes());
            h
        } else {
            [&[0x0A, 0, 0, 0, 0][..], &text_len.to_le_bytes()].concat()
        };
        let want = (i32::from(text_len) + skew).clamp(0, tail.len() as i32) as usize;
        out.extend_from_slice(&tail[..want]);
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn near_valid_chat_messages_never_panic(bytes in chat_like()) {
        match bytes[0] {
            0x0A => if let Ok(msg) = ClientMessage::decode(&bytes) {
                prop_assert_eq!(msg.encode(), bytes);
            },
            _ => if let Ok(msg) = ServerMessage::decode(&bytes) {
                prop_assert_eq!(&msg.encode()[..], &bytes[..]);
            },
        }
    }

    #[test]
    fn any_text_round_trips(request in any::<u32>(), text in "\\PC{0,300}") {
        let chat = Chat { request, text };
        let bytes = ClientMessage::Chat(chat.clone()).encode();
        prop_assert_eq!(bytes.len(), chat.encoded_len());
        prop_assert_eq!(ClientMessage::decode(&bytes), Ok(ClientMessage::Chat(chat)));
    }
}

#[test]
fn a_chat_reaches_the_simulation_and_a_malformed_one_closes_with_4002() {
    let ts = TestServer::start(test_config());
    let (mut good, good_id) = connect(&ts, "good");
    let (mut bad, bad_id) = connect(&ts, "bad");
    let line = Chat { request: 3, text: "hello there".into() };
    good.send(&ClientMessage::Chat(line.clone())).unwrap();
    let ev = ts.wait_for(|e| matches!(e, Inbound::Message { msg: ClientMessage::Chat(_), .. }));
    assert!(
        matches!(ev, Inbound::Message { conn, msg: ClientMessage::Chat(c) } if conn == good_id && c == line)
    );

    let mut bad_utf8 = ClientMessage::Chat(Chat { request: 4, text: "ok".into() }).encode();
    let n = bad_utf8.len();
    bad_utf8[n - 2] = 0xFF;
    bad.send_raw(bad_utf8).unwrap();
    assert_eq!(close_code_of(&mut bad), Some(close_code::MALFORMED));
    let ev = ts.wait_for(|e| matches!(e, Inbound::Disconnected { .. }));
    let expected = DisconnectReason::ServerClosed(close_code::MALFORMED);
    assert!(matches!(ev, Inbound::Disconnected { conn, reason } if conn == bad_id && reason == expected));
    assert_alive(&mut good);
}
