//! The HTTP side of the upgrade, over raw TCP: requests that are not a valid WebSocket upgrade
//! get an HTTP status with a one-line body and a clean close (EOF, no reset); valid upgrades
//! still work, also split over several reads or followed at once by the first frame.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use common::*;
use net::Inbound;
use net::protocol::ClientMessage;

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// A valid upgrade request head with `extra` header lines.
fn upgrade_head(extra: &str) -> String {
    format!("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{extra}\r\n")
}

fn versioned(version: &str) -> String {
    upgrade_head(&format!("Sec-WebSocket-Version: {version}\r\nSec-WebSocket-Key: {KEY}\r\n"))
}

/// A parsed HTTP response: status code, head, body.
struct Reply {
    status: u16,
    head: String,
    body: String,
}

/// Sends `request` and reads the answer until EOF (a reset fails the test).
fn ask(ts: &TestServer, request: &[u8]) -> Reply {
    let mut tcp = TcpStream::connect(ts.addr()).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp.set_write_timeout(Some(WAIT)).unwrap();
    tcp.write_all(request).unwrap();
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).expect("the server closes cleanly (EOF, not a reset)");
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{head}"));
    assert!(head.starts_with("HTTP/1.1 "), "{head}");
    Reply { status, head: head.to_owned(), body: body.to_owned() }
}

/// Checks the status, a one-line body and that Content-Length matches it.
fn assert_refused(reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{}", reply.head);
    assert!(reply.body.ends_with('\n') && reply.body.lines().count() == 1, "{:?}", reply.body);
    let length = format!("Content-Length: {}\r\n", reply.body.len());
    assert!(format!("{}\r\n", reply.head).contains(&length), "{}", reply.head);
}

#[test]
fn requests_that_are_not_upgrades_get_an_http_status() {
    let ts = TestServer::start(test_config());
    let (mut good, _) = connect(&ts, "good");
    let plain = ask(&ts, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_refused(&plain, 400);
    let post = ask(&ts, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assert_refused(&post, 405);
    assert!(post.head.contains("\r\nAllow: GET"), "{}", post.head);
    let missing_key = ask(&ts, upgrade_head("Sec-WebSocket-Version: 13\r\n").as_bytes());
    assert_refused(&missing_key, 400);
    let v8 = ask(&ts, versioned("8").as_bytes());
    assert_refused(&v8, 426);
    assert!(v8.head.contains("\r\nSec-WebSocket-Version: 13"), "{}", v8.head);
    let garbage = ask(&ts, b"\x16\x03\x01 not http at all\r\n\r\n");
    assert_refused(&garbage, 400);
    assert!(eventually(|| ts.server.counters().snapshot().handshake_failures == 5));
    assert_alive(&mut good);
}

#[test]
fn head_gets_the_status_without_a_body() {
    let ts = TestServer::start(test_config());
    let reply = ask(&ts, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(reply.status, 405, "{}", reply.head);
    assert!(reply.head.contains("\r\nContent-Length: ") && reply.body.is_empty(), "{:?}", reply.body);
}

#[test]
fn an_oversized_head_gets_431_and_a_clean_close() {
    let ts = TestServer::start(test_config());
    let (mut good, _) = connect(&ts, "good");
    let big = upgrade_head(&format!("X-Padding: {}\r\n", "a".repeat(70_000)));
    assert_refused(&ask(&ts, big.as_bytes()), 431);
    let many: String = (0..200).map(|i| format!("X-{i}: y\r\n")).collect();
    assert_refused(&ask(&ts, upgrade_head(&many).as_bytes()), 431);
    assert_alive(&mut good);
}

#[test]
fn a_split_upgrade_and_a_pipelined_hello_are_accepted() {
    let ts = TestServer::start(test_config());
    let mut tcp = TcpStream::connect(ts.addr()).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let head = versioned("13");
    let (a, b) = head.split_at(20);
    tcp.write_all(a.as_bytes()).unwrap();
    thread::sleep(Duration::from_millis(50));
    // The rest of the head and the first WebSocket frame (masked, zero key) in one write.
    let hello = ClientMessage::Hello(hello("pipelined")).encode();
    let mut rest = b.as_bytes().to_vec();
    rest.extend_from_slice(&[0x82, 0x80 | hello.len() as u8, 0, 0, 0, 0]);
    rest.extend_from_slice(&hello);
    tcp.write_all(&rest).unwrap();
    let mut reply = [0u8; 256];
    let n = tcp.read(&mut reply).unwrap();
    let reply = String::from_utf8_lossy(&reply[..n]).to_ascii_lowercase();
    assert!(reply.starts_with("http/1.1 101 switching protocols\r\n"), "{reply}");
    assert!(reply.contains("\r\nsec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"), "{reply}");
    match ts.wait_for(|e| matches!(e, Inbound::Connected { .. })) {
        Inbound::Connected { hello, .. } => assert_eq!(hello.name, "pipelined"),
        _ => unreachable!(),
    }
    // And the library client still upgrades as before.
    let (mut c, _) = connect(&ts, "library");
    assert_alive(&mut c);
}
