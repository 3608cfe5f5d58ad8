//! One test per limit and protocol violation: each offending connection is closed or answered
//! with the documented code while another connection keeps working.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use net::client::{Client, ClientError};
use net::protocol::{
    Ack, ChunkData, ClientMessage, FrameBuilder, Input, Order, OwnState, Pong, ServerMessage, close_code,
    encode_hello_with_version, error_code,
};
use net::{DisconnectReason, Inbound, Outbound, ServerConfig};
use tungstenite::Message;

#[test]
fn oversized_message_is_closed_with_1009() {
    let ts = TestServer::start(ServerConfig { max_message_size: 1024, ..test_config() });
    let (mut good, _) = connect(&ts, "good");
    let mut ws = raw_ws(ts.addr());
    ws.send(Message::Binary(vec![0x02; 4000].into())).unwrap();
    assert_eq!(raw_close_code(&mut ws), Some(close_code::MESSAGE_TOO_BIG));
    assert_alive(&mut good);
}

#[test]
fn text_frame_is_closed_with_1003() {
    let ts = TestServer::start(test_config());
    let (mut good, _) = connect(&ts, "good");
    let mut ws = raw_ws(ts.addr());
    ws.send(Message::Text("hello".into())).unwrap();
    assert_eq!(raw_close_code(&mut ws), Some(close_code::UNSUPPORTED_DATA));
    assert_alive(&mut good);
}

#[test]
fn wrong_version_is_closed_with_4001() {
    let ts = TestServer::start(test_config());
    let (mut good, _) = connect(&ts, "good");
    // 1: a client from before the ChunkData byte planes (protocol version 2).
    for version in [0, 1, 3] {
        let mut c = Client::connect_raw(ts.addr(), WAIT).unwrap();
        c.send_raw(encode_hello_with_version(&hello("old"), version)).unwrap();
        assert_eq!(close_code_of(&mut c), Some(close_code::VERSION_MISMATCH), "version {version}");
    }
    assert_alive(&mut good);
}

#[test]
fn message_before_hello_is_closed_with_4000() {
    let ts = TestServer::start(test_config());
    let (mut good, _) = connect(&ts, "good");
    let mut c = Client::connect_raw(ts.addr(), WAIT).unwrap();
    c.send(&ClientMessage::Ping { nonce: 1 }).unwrap();
    assert_eq!(close_code_of(&mut c), Some(close_code::HELLO_REQUIRED));
    let mut c = Client::connect_raw(ts.addr(), WAIT).unwrap();
    c.send_raw(vec![0x7f, 1, 2, 3]).unwrap();
    assert_eq!(close_code_of(&mut c), Some(close_code::HELLO_REQUIRED));
    assert_alive(&mut good);
}

#[test]
fn unknown_type_gets_an_error_and_the_session_continues() {
    let ts = TestServer::start(test_config());
    let (mut c, _) = connect(&ts, "curious");
    c.send_raw(vec![0x70, 1, 2, 3]).unwrap();
    match c.recv().unwrap() {
        ServerMessage::Error(e) => assert_eq!(e.code, error_code::UNKNOWN_MESSAGE_TYPE),
        other => panic!("unexpected {other:?}"),
    }
    assert_alive(&mut c);
}

#[test]
fn malformed_message_is_closed_with_4002() {
    let ts = TestServer::start(test_config());
    let (mut good, _) = connect(&ts, "good");
    let (mut bad, bad_id) = connect(&ts, "bad");
    bad.send_raw(vec![0x02, 1, 2, 3]).unwrap();
    assert_eq!(close_code_of(&mut bad), Some(close_code::MALFORMED));
    let ev = ts.wait_for(|e| matches!(e, Inbound::Disconnected { .. }));
    let expected = DisconnectReason::ServerClosed(close_code::MALFORMED);
    assert!(matches!(ev, Inbound::Disconnected { conn, reason } if conn == bad_id && reason == expected));
    assert_alive(&mut good);
}

#[test]
fn a_truncated_message_is_closed_with_its_whole_length_in_the_reason() {
    let ts = TestServer::start(test_config());
    let (mut bad, _) = connect(&ts, "short");
    let input = ClientMessage::Input(Input { seq: 1, order: Order::Stop }).encode();
    bad.send_raw(input[..22].to_vec()).unwrap();
    loop {
        match bad.recv() {
            Ok(_) => {}
            Err(ClientError::Closed(info)) => {
                assert_eq!(info.code, Some(close_code::MALFORMED));
                assert_eq!(info.reason, "Input needs 23 bytes, got 22");
                break;
            }
            Err(e) => panic!("expected a close frame, got {e}"),
        }
    }
}

/// An encoded Frame of `tick` with nothing in it.
fn empty_frame(tick: u64) -> Bytes {
    FrameBuilder::new(tick, 0, &OwnState::default()).finish()
}

/// Messages forwarded to the game until `expected` arrived or the generous deadline passed.
fn forwarded_messages(ts: &TestServer, expected: usize) -> usize {
    let deadline = Instant::now() + WAIT;
    let mut n = 0;
    while n < expected {
        let left = deadline.saturating_duration_since(Instant::now());
        match ts.inbound.recv_timeout(left) {
            Ok(Inbound::Message { .. }) => n += 1,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    n
}

/// The test's frames end with this Pong, so the client knows every Frame arrived.
const LAST: u64 = 0xE4D;

/// Sends inputs at 60/s (input `i` at `i`/60 s, a late one at once: the rate the bucket
/// refills) and acks every Frame, until the closing Pong arrived and `inputs` were sent; returns
/// the number of acks sent.
fn play_at_full_rate(client: &mut Client, inputs: u32) -> usize {
    let start = Instant::now();
    let due = |i: u32| start + Duration::from_secs(u64::from(i)) / 60;
    let (mut sent, mut acks, mut done) = (0u32, 0usize, false);
    while sent < inputs || !done {
        let now = Instant::now();
        if sent < inputs && now >= due(sent) {
            client.send(&ClientMessage::Input(Input { seq: sent, order: Order::Stop })).unwrap();
            sent += 1;
            continue;
        }
        let wait = if sent < inputs { due(sent).saturating_duration_since(now) } else { WAIT };
        client.set_read_timeout(wait.max(Duration::from_millis(1))).unwrap();
        match client.recv() {
            Ok(ServerMessage::Frame(f)) => {
                client.send(&ClientMessage::Ack(Ack { tick: f.tick, received: u32::MAX })).unwrap();
                acks += 1;
            }
            Ok(ServerMessage::Pong(p)) if p.nonce == LAST => done = true,
            Ok(_) | Err(ClientError::Timeout) => {}
            Err(e) => panic!("client must stay connected: {e}"),
        }
    }
    acks
}

#[test]
fn acking_every_frame_costs_no_rate_budget() {
    // Default limits: 60 messages/s, a burst of 30. Inputs at the full rate for four seconds
    // plus an ack of each of 80 Frames would overdraw the bucket by about 50 without the credit.
    let ts = TestServer::start(test_config());
    let (mut client, conn) = connect(&ts, "acker");
    const INPUTS: u32 = 240;
    let player = thread::spawn(move || play_at_full_rate(&mut client, INPUTS));
    let handle = ts.handle();
    let mut tick = 0;
    while !player.is_finished() && tick < 80 {
        tick += 1;
        handle.send(conn, Outbound::frame(empty_frame(tick))).unwrap();
        thread::sleep(Duration::from_millis(50));
    }
    let last = ServerMessage::Pong(Pong { nonce: LAST, server_tick: tick });
    handle.send(conn, Outbound::reliable(last.encode())).unwrap();
    let acks = player.join().unwrap();
    assert!(acks > 0, "the client received frames");
    let forwarded = forwarded_messages(&ts, INPUTS as usize + acks);
    let snap = ts.server.counters().snapshot();
    assert_eq!(snap.rate_limit_drops, 0, "nothing throttled: {snap:?}");
    assert_eq!(forwarded, INPUTS as usize + acks, "every input and ack reached the game");
}

#[test]
fn acks_beyond_the_frames_sent_pay_a_token() {
    const CAP: u32 = 8;
    let cfg = ServerConfig { input_rate_per_sec: 1, input_burst: 10, ack_credit_cap: CAP, ..test_config() };
    let ts = TestServer::start(cfg);
    let (mut client, conn) = connect(&ts, "eager");
    // Twelve Frames, each received before the next is sent (none replaces another): the credit
    // stops at its cap of 8.
    for tick in 1..=12 {
        ts.handle().send(conn, Outbound::frame(empty_frame(tick))).unwrap();
        assert!(matches!(client.recv().unwrap(), ServerMessage::Frame(f) if f.tick == tick));
    }
    let started = Instant::now();
    const ACKS: usize = 30;
    for _ in 0..ACKS {
        client.send(&ClientMessage::Ack(Ack { tick: 12, received: u32::MAX })).unwrap();
    }
    let drops = || ts.server.counters().snapshot().rate_limit_drops as usize;
    let mut forwarded = 0;
    let settled = eventually(|| {
        forwarded += ts.inbound.try_iter().filter(|e| matches!(e, Inbound::Message { .. })).count();
        forwarded + drops() >= ACKS
    });
    let drops = drops();
    assert!(settled && forwarded + drops == ACKS, "each ack forwarded or dropped: {forwarded} + {drops}");
    // 8 on credit plus the bucket: at most its burst of 10 (9 after Hello) and what it refilled
    // at 1/s while the acks were read.
    let refill = started.elapsed().as_secs() as usize + 1;
    assert!(forwarded >= CAP as usize + 9, "the credit let 8 acks in for free: {forwarded}");
    assert!(forwarded <= CAP as usize + 10 + refill, "acks past the credit pay: {forwarded}");
    assert!(drops > 0, "acks past the credit and the bucket are dropped");
}

#[test]
fn flood_is_dropped_then_closed_with_1008() {
    let cfg = ServerConfig { input_rate_per_sec: 20, input_burst: 10, abuse_threshold: 50, ..test_config() };
    let ts = TestServer::start(cfg);
    let (mut good, _) = connect(&ts, "good");
    let (mut flood, _) = connect(&ts, "flood");
    for seq in 0..2000 {
        let msg = ClientMessage::Input(Input { seq, order: Order::Stop });
        if flood.send(&msg).is_err() {
            break;
        }
    }
    assert_eq!(close_code_of(&mut flood), Some(close_code::POLICY_VIOLATION));
    let snap = ts.server.counters().snapshot();
    assert!(snap.rate_limit_drops >= 40, "{snap:?}");
    assert_eq!(snap.rate_limit_closes, 1);
    let forwarded = ts.inbound.try_iter().filter(|e| matches!(e, Inbound::Message { .. })).count();
    assert!(forwarded <= 20, "only about the burst may pass, got {forwarded}");
    assert_alive(&mut good);
}

#[test]
fn slowloris_upgrade_is_dropped_and_missing_hello_is_closed_with_4003() {
    let cfg = ServerConfig { handshake_timeout: Duration::from_millis(300), ..test_config() };
    let ts = TestServer::start(cfg);
    let (mut good, _) = connect(&ts, "good");
    let mut slow = TcpStream::connect(ts.addr()).unwrap();
    slow.set_read_timeout(Some(WAIT)).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let mut buf = [0u8; 64];
    let n = slow.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "server must drop the half-open upgrade");
    let mut silent = Client::connect_raw(ts.addr(), WAIT).unwrap();
    assert_eq!(close_code_of(&mut silent), Some(close_code::HELLO_TIMEOUT));
    assert!(ts.server.counters().snapshot().handshake_timeouts >= 2);
    assert_alive(&mut good);
}

#[test]
fn idle_connection_is_pinged_then_closed_with_4004() {
    let cfg = ServerConfig {
        ping_interval: Duration::from_millis(150),
        idle_timeout: Duration::from_millis(600),
        ..test_config()
    };
    let ts = TestServer::start(cfg);
    let (mut active, _) = connect(&ts, "active");
    let (_idle, idle_id) = connect(&ts, "idle");
    // The active client keeps reading, so tungstenite answers the server's pings with pongs.
    let reader = thread::spawn(move || {
        active.set_read_timeout(Duration::from_millis(50)).unwrap();
        let until = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < until {
            match active.recv() {
                Ok(_) | Err(ClientError::Timeout) => {}
                Err(e) => panic!("active client must survive: {e}"),
            }
        }
        active
    });
    let ev = ts.wait_for(|e| matches!(e, Inbound::Disconnected { .. }));
    let idle_code = DisconnectReason::ServerClosed(close_code::IDLE_TIMEOUT);
    assert!(matches!(ev, Inbound::Disconnected { conn, reason } if conn == idle_id && reason == idle_code));
    let mut active = reader.join().unwrap();
    active.set_read_timeout(WAIT).unwrap();
    assert_alive(&mut active);
    assert!(ts.server.counters().snapshot().idle_timeouts == 1);
}

#[test]
fn max_connections_refuses_with_503_then_recovers() {
    let ts = TestServer::start(ServerConfig { max_connections: 2, ..test_config() });
    let (mut a, _) = connect(&ts, "a");
    let (b, _) = connect(&ts, "b");
    match Client::connect_raw(ts.addr(), WAIT) {
        Err(ClientError::Refused { status, .. }) => assert_eq!(status, 503),
        other => panic!("expected HTTP 503, got {other:?}"),
    }
    assert_eq!(ts.server.counters().snapshot().rejected_max_connections, 1);
    b.close();
    assert!(eventually(|| ts.server.counters().snapshot().active_connections == 1));
    let (mut c, _) = connect(&ts, "c");
    assert_alive(&mut a);
    assert_alive(&mut c);
}

#[test]
fn per_ip_limit_refuses_with_503() {
    let ts = TestServer::start(ServerConfig { max_connections_per_ip: 2, ..test_config() });
    let (mut a, _) = connect(&ts, "a");
    let (_b, _) = connect(&ts, "b");
    match Client::connect_raw(ts.addr(), WAIT) {
        Err(ClientError::Refused { status, body }) => {
            assert_eq!(status, 503);
            assert!(body.contains("address"), "{body}");
        }
        other => panic!("expected HTTP 503, got {other:?}"),
    }
    assert_eq!(ts.server.counters().snapshot().rejected_per_ip, 1);
    assert_alive(&mut a);
}

#[test]
fn slow_reader_is_closed_with_1013_and_frames_are_replaced() {
    let cfg = ServerConfig {
        outbound_cap_bytes: 64 * 1024,
        outbound_hard_cap_bytes: 1 << 30,
        slow_client_timeout: Duration::from_millis(300),
        close_linger: Duration::from_secs(20),
        ..test_config()
    };
    let ts = TestServer::start(cfg);
    let (mut good, _) = connect(&ts, "good");
    let (mut slow, slow_id) = connect(&ts, "slow");
    let chunk = ServerMessage::ChunkData(ChunkData {
        map: 1,
        cx: 0,
        cy: 0,
        version: 1,
        raw_len: 65_536,
        data: Bytes::from(vec![0xAB; 64 * 1024]),
    })
    .encode();
    let frame = ServerMessage::Pong(net::protocol::Pong { nonce: 0, server_tick: 0 }).encode();
    let handle = ts.handle();
    let deadline = Instant::now() + Duration::from_secs(30);
    let closed = loop {
        assert!(Instant::now() < deadline, "slow reader was never closed");
        handle.send(slow_id, Outbound::reliable(chunk.clone())).unwrap();
        handle.send(slow_id, Outbound::frame(frame.clone())).unwrap();
        handle.send(slow_id, Outbound::frame(frame.clone())).unwrap();
        thread::sleep(Duration::from_millis(2));
        if let Some(ev) = ts.inbound.try_iter().find(|e| matches!(e, Inbound::Disconnected { .. })) {
            break ev;
        }
    };
    let expected = DisconnectReason::ServerClosed(close_code::TRY_AGAIN_LATER);
    assert!(
        matches!(closed, Inbound::Disconnected { conn, reason } if conn == slow_id && reason == expected)
    );
    let snap = ts.server.counters().snapshot();
    assert_eq!(snap.slow_consumer_closes, 1);
    assert!(snap.outbound_replaced + snap.outbound_dropped > 0, "{snap:?}");
    assert_eq!(close_code_of(&mut slow), Some(close_code::TRY_AGAIN_LATER));
    assert_alive(&mut good);
}
