//! The mio multi-connection client driver against a real server: many sessions from one thread,
//! broadcast delivery, server close codes and refusals surfaced as events, and connections bound
//! to a chosen local address.

mod common;

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use net::client::{ClientId, Driver, DriverConfig, DriverEvent};
use net::protocol::{ClientMessage, FrameBuilder, Input, Order, OwnState, ServerMessage};
use net::{DisconnectReason, Inbound, Outbound, ServerConfig};

const CLIENTS: usize = 300;

/// Polls the driver until `done` says so or the deadline passes; returns all events.
fn pump(driver: &mut Driver, mut done: impl FnMut(&[DriverEvent]) -> bool) -> Vec<DriverEvent> {
    let deadline = Instant::now() + WAIT;
    let mut all = Vec::new();
    while Instant::now() < deadline && !done(&all) {
        driver.poll(Some(Duration::from_millis(20)), &mut all).unwrap();
    }
    all
}

fn count(events: &[DriverEvent], pred: impl Fn(&DriverEvent) -> bool) -> usize {
    events.iter().filter(|e| pred(e)).count()
}

#[test]
fn hundreds_of_sessions_from_one_thread() {
    let cfg = ServerConfig { max_connections_per_ip: CLIENTS + 10, ..test_config() };
    let ts = TestServer::start(cfg);
    let handle = ts.handle();
    let inbound = ts.inbound.clone();
    // A tiny game: welcome everyone, forward inputs count, broadcast one frame when all are in.
    let game = thread::spawn(move || {
        let mut conns = Vec::new();
        let mut inputs = 0;
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline && inputs < CLIENTS {
            match inbound.recv_timeout(Duration::from_millis(50)) {
                Ok(Inbound::Connected { conn, .. }) => {
                    let w = ServerMessage::Welcome(welcome(conn.to_u64())).encode();
                    handle.send(conn, Outbound::reliable(w)).unwrap();
                    conns.push(conn);
                }
                Ok(Inbound::Message { .. }) => inputs += 1,
                _ => {}
            }
        }
        let frame = FrameBuilder::new(1, 1, &OwnState::default()).finish();
        handle.broadcast(conns.clone(), Outbound::frame(frame)).unwrap();
        (conns, inputs)
    });

    let mut driver = Driver::new(DriverConfig::default()).unwrap();
    let mut ids = HashSet::new();
    for i in 0..CLIENTS {
        ids.insert(driver.connect(ts.addr(), Some(hello(&format!("bot{i}")))).unwrap());
    }
    let welcomed = |e: &DriverEvent| matches!(e, DriverEvent::Message(_, ServerMessage::Welcome(_), _));
    let events = pump(&mut driver, |ev| count(ev, welcomed) == CLIENTS);
    assert_eq!(count(&events, welcomed), CLIENTS, "every bot gets a Welcome");
    for &id in &ids {
        let input = ClientMessage::Input(Input { seq: 1, order: Order::Stop });
        assert!(driver.send(id, &input));
    }
    let framed = |e: &DriverEvent| matches!(e, DriverEvent::Message(_, ServerMessage::Frame(_), _));
    let events = pump(&mut driver, |ev| count(ev, framed) == CLIENTS);
    assert_eq!(count(&events, framed), CLIENTS, "the broadcast reaches every bot");
    let (conns, inputs) = game.join().unwrap();
    assert_eq!((conns.len(), inputs), (CLIENTS, CLIENTS));
    assert_eq!(driver.len(), CLIENTS);
    let stats = driver.stats();
    assert_eq!(stats.messages_in, 2 * CLIENTS as u64);
    assert!(stats.bytes_in > 0 && stats.bytes_out > 0);
}

#[test]
fn close_codes_and_refusals_arrive_as_events() {
    let ts = TestServer::start(ServerConfig { max_connections: 1, ..test_config() });
    let mut driver = Driver::new(DriverConfig::default()).unwrap();
    let first = driver.connect(ts.addr(), Some(hello("one"))).unwrap();
    pump(&mut driver, |ev| ev.iter().any(|e| matches!(e, DriverEvent::Connected(id) if *id == first)));
    let conn = ts.welcome_next();
    let second = driver.connect(ts.addr(), Some(hello("two"))).unwrap();
    let closed_id = |e: &DriverEvent, id: ClientId| matches!(e, DriverEvent::Closed(c, _) if *c == id);
    let events = pump(&mut driver, |ev| ev.iter().any(|e| closed_id(e, second)));
    let refusal = events.iter().find_map(|e| match e {
        DriverEvent::Closed(id, info) if *id == second => Some(info.reason.clone()),
        _ => None,
    });
    assert!(refusal.as_ref().is_some_and(|r| r.contains("503")), "refused with 503: {refusal:?} {events:?}");
    ts.handle().close(conn, 4100, "bye").unwrap();
    let events = pump(&mut driver, |ev| ev.iter().any(|e| closed_id(e, first)));
    let info = events.iter().find_map(|e| match e {
        DriverEvent::Closed(id, info) if *id == first => Some(info.clone()),
        _ => None,
    });
    let info = info.expect("first connection closed");
    assert_eq!((info.code, info.reason.as_str()), (Some(4100), "bye"));
    assert!(driver.is_empty());
}

#[test]
fn a_client_that_leaves_closes_with_1000() {
    let ts = TestServer::start(test_config());
    let mut driver = Driver::new(DriverConfig::default()).unwrap();
    let id = driver.connect(ts.addr(), Some(hello("leaver"))).unwrap();
    pump(&mut driver, |ev| ev.iter().any(|e| matches!(e, DriverEvent::Connected(c) if *c == id)));
    let conn = ts.welcome_next();
    driver.close(id);
    let events =
        pump(&mut driver, |ev| ev.iter().any(|e| matches!(e, DriverEvent::Closed(c, _) if *c == id)));
    assert!(events.iter().any(|e| matches!(e, DriverEvent::Closed(c, _) if *c == id)), "{events:?}");
    let ev = ts.wait_for(|e| matches!(e, Inbound::Disconnected { .. }));
    assert!(
        matches!(ev, Inbound::Disconnected { conn: c, reason: DisconnectReason::PeerClosed(Some(1000)) } if c == conn),
        "the server hears a normal closure: {ev:?}"
    );
}

#[test]
fn connect_from_binds_the_local_address_the_server_sees() {
    // One connection per address: two bound to distinct loopback addresses both get in.
    let ts = TestServer::start(ServerConfig { max_connections_per_ip: 1, ..test_config() });
    let mut driver = Driver::new(DriverConfig::default()).unwrap();
    let sources = [Ipv4Addr::new(127, 0, 0, 2), Ipv4Addr::new(127, 0, 0, 3)].map(IpAddr::V4);
    for (i, &ip) in sources.iter().enumerate() {
        driver.connect_from(ts.addr(), Some(ip), Some(hello(&format!("from{i}")))).unwrap();
    }
    let mut peers = Vec::new();
    let deadline = Instant::now() + WAIT;
    while peers.len() < sources.len() && Instant::now() < deadline {
        // The driver writes the upgrade and Hello as it polls.
        driver.poll(Some(Duration::from_millis(20)), &mut Vec::new()).unwrap();
        for ev in ts.inbound.try_iter() {
            if let Inbound::Connected { peer, hello, .. } = ev {
                peers.push((hello.name, peer.ip()));
            }
        }
    }
    peers.sort();
    assert_eq!(peers, [("from0".to_owned(), sources[0]), ("from1".to_owned(), sources[1])]);
}

#[test]
fn connect_from_an_address_of_the_other_family_fails_at_once() {
    let ts = TestServer::start(test_config());
    let mut driver = Driver::new(DriverConfig::default()).unwrap();
    let v6 = IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);
    assert!(driver.connect_from(ts.addr(), Some(v6), Some(hello("v6"))).is_err());
    assert!(driver.is_empty(), "a failed connect leaves no connection behind");
}
