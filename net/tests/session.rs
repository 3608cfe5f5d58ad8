//! End-to-end sessions over real loopback sockets: Hello/Welcome, messages both ways, broadcast,
//! ping/pong, game-initiated close, stale ids, shutdown.

mod common;

use std::thread;
use std::time::Duration;

use common::{TestServer, WAIT, eventually, hello, test_config};
use net::client::{Client, ClientError};
use net::protocol::{ClientMessage, EntityId, Frame, FrameBuilder, Input, Order, OwnState, ServerMessage};
use net::{DisconnectReason, Inbound, Outbound};

#[test]
fn hello_welcome_input_and_frame_round_trip() {
    let ts = TestServer::start(test_config());
    let addr = ts.addr();
    let client = thread::spawn(move || Client::connect(addr, hello("ann"), WAIT));
    let conn = ts.welcome_next();
    let (mut c, welcome) = client.join().unwrap().expect("client connects");
    assert_eq!(welcome.player, EntityId(conn.to_u64()));

    let input = Input { seq: 1, order: Order::MoveTo { x: 256 * 10, y: -5 } };
    c.send(&ClientMessage::Input(input)).unwrap();
    match ts.next_event() {
        Inbound::Message { conn: from, msg } => {
            assert_eq!(from, conn);
            assert_eq!(msg, ClientMessage::Input(input));
        }
        other => panic!("unexpected {other:?}"),
    }

    let own = OwnState { x: 10, y: 20, hp: 5, max_hp: 9, ..OwnState::default() };
    let frame = FrameBuilder::new(42, 1, &own).finish();
    ts.handle().send(conn, Outbound::frame(frame)).unwrap();
    match c.recv().unwrap() {
        ServerMessage::Frame(f) => {
            assert_eq!(f, Frame { tick: 42, last_input_seq: 1, own, ..Frame::default() })
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn ping_is_answered_by_the_network_layer() {
    let ts = TestServer::start(test_config());
    let addr = ts.addr();
    let client = thread::spawn(move || Client::connect(addr, hello("bob"), WAIT));
    ts.welcome_next();
    let (mut c, _) = client.join().unwrap().unwrap();
    ts.handle().set_server_tick(99);
    c.send(&ClientMessage::Ping { nonce: 1234 }).unwrap();
    match c.recv().unwrap() {
        ServerMessage::Pong(p) => assert_eq!((p.nonce, p.server_tick), (1234, 99)),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn broadcast_reaches_everyone_and_close_reports_the_code() {
    let ts = TestServer::start(test_config());
    let addr = ts.addr();
    let mut clients = Vec::new();
    let mut conns = Vec::new();
    for i in 0..5 {
        let t = thread::spawn(move || Client::connect(addr, hello(&format!("p{i}")), WAIT));
        conns.push(ts.welcome_next());
        clients.push(t.join().unwrap().unwrap().0);
    }
    let payload = ServerMessage::Pong(net::protocol::Pong { nonce: 5, server_tick: 6 }).encode();
    ts.handle().broadcast(conns.clone(), Outbound::reliable(payload)).unwrap();
    for c in &mut clients {
        assert!(matches!(c.recv().unwrap(), ServerMessage::Pong(_)));
    }
    ts.handle().close(conns[0], 4100, "kicked").unwrap();
    match clients[0].recv() {
        Err(ClientError::Closed(info)) => {
            assert_eq!((info.code, info.reason.as_str()), (Some(4100), "kicked"))
        }
        other => panic!("unexpected {other:?}"),
    }
    let ev = ts.wait_for(|e| matches!(e, Inbound::Disconnected { .. }));
    assert!(
        matches!(ev, Inbound::Disconnected { conn, reason: DisconnectReason::ServerClosed(4100) } if conn == conns[0])
    );
    // The stale id is ignored; the others still work.
    ts.handle().send(conns[0], Outbound::reliable(bytes::Bytes::from_static(b"\x87"))).unwrap();
    let pong = ServerMessage::Pong(net::protocol::Pong { nonce: 1, server_tick: 1 }).encode();
    ts.handle().send(conns[1], Outbound::reliable(pong)).unwrap();
    assert!(matches!(clients[1].recv().unwrap(), ServerMessage::Pong(_)));
    assert!(eventually(|| ts.server.counters().snapshot().sends_to_closed >= 1));
}

#[test]
fn client_close_is_reported_and_shutdown_says_going_away() {
    let ts = TestServer::start(test_config());
    let addr = ts.addr();
    let a = thread::spawn(move || Client::connect(addr, hello("a"), WAIT));
    let conn_a = ts.welcome_next();
    let (ca, _) = a.join().unwrap().unwrap();
    let b = thread::spawn(move || Client::connect(addr, hello("b"), WAIT));
    ts.welcome_next();
    let (mut cb, _) = b.join().unwrap().unwrap();
    ca.close();
    let ev = ts.wait_for(|e| matches!(e, Inbound::Disconnected { .. }));
    assert!(
        matches!(ev, Inbound::Disconnected { conn, reason: DisconnectReason::PeerClosed(Some(1000)) } if conn == conn_a),
        "a client that leaves says so with 1000: {ev:?}"
    );
    let TestServer { server, inbound } = ts;
    thread::spawn(move || server.shutdown());
    match cb.recv() {
        Err(ClientError::Closed(info)) => assert_eq!(info.code, Some(1001)),
        other => panic!("unexpected {other:?}"),
    }
    assert!(inbound.recv_timeout(WAIT).is_ok());
    let _ = Duration::ZERO;
}

#[test]
fn backpressure_keeps_every_byte_in_order_exactly_once() {
    use net::protocol::ChunkData;
    let cfg = net::ServerConfig {
        outbound_cap_bytes: 64 << 20,
        outbound_hard_cap_bytes: 128 << 20,
        ..test_config()
    };
    let ts = TestServer::start(cfg);
    let (mut c, conn) = common::connect(&ts, "late-reader");
    const N: i32 = 600;
    for i in 0..N {
        let size = 1000 + (i as usize * 7919) % 40_000;
        let data = bytes::Bytes::from(vec![(i % 251) as u8; size]);
        let msg = ServerMessage::ChunkData(ChunkData { map: 1, cx: i, cy: 0, version: 0, raw_len: 0, data });
        ts.handle().send(conn, Outbound::reliable(msg.encode())).unwrap();
    }
    // Kernel buffers fill up, the loop keeps the rest and resumes on WRITABLE.
    thread::sleep(Duration::from_millis(300));
    for i in 0..N {
        match c.recv().unwrap() {
            ServerMessage::ChunkData(d) => {
                assert_eq!(d.cx, i, "in order, none lost or repeated");
                assert_eq!(d.data.len(), 1000 + (i as usize * 7919) % 40_000);
                assert!(d.data.iter().all(|&b| b == (i % 251) as u8));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn a_stale_id_never_reaches_the_slot_s_next_occupant() {
    let ts = TestServer::start(test_config());
    let (a, old) = common::connect(&ts, "a");
    a.close();
    ts.wait_for(|e| matches!(e, Inbound::Disconnected { .. }));
    assert!(eventually(|| ts.server.counters().snapshot().active_connections == 0));
    let (mut b, new) = common::connect(&ts, "b");
    assert_eq!(old.to_u64() as u32, new.to_u64() as u32, "slot reused");
    assert_ne!(old, new, "with a new generation");
    let pong = |n| ServerMessage::Pong(net::protocol::Pong { nonce: n, server_tick: 0 }).encode();
    ts.handle().send(old, Outbound::reliable(pong(1))).unwrap();
    ts.handle().send(new, Outbound::reliable(pong(2))).unwrap();
    match b.recv().unwrap() {
        ServerMessage::Pong(p) => assert_eq!(p.nonce, 2, "the message for the stale id was dropped"),
        other => panic!("unexpected {other:?}"),
    }
}
