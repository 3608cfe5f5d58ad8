//! Static pages on the game port, over real sockets: a configured page is served byte-exact
//! (also a large one, past the outbound caps), HEAD gets the headers alone, an unknown path 404,
//! a WebSocket upgrade on `/` still works beside the pages, a huge head is still 431, and the
//! pages are counted. HTTP/1.1 connections are kept alive for more requests (pipelined too), and
//! may upgrade after a page; every connection ends cleanly.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use common::*;
use net::{Bytes, Pages, ServerConfig};

/// A page of `len` bytes that is not one byte repeated (a misplaced slice would show).
fn big_page(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn server(page: &[u8]) -> TestServer {
    let mut pages = Pages::new();
    pages.insert("/", "text/html; charset=utf-8", Bytes::from_static(b"<!doctype html><p>play</p>"));
    pages.insert("/big.js", "text/javascript", Bytes::from(page.to_vec()));
    // Caps well below the page's size: a page is not a game message and must not be cut.
    let cfg = ServerConfig {
        pages: Some(Arc::new(pages)),
        outbound_cap_bytes: 16 * 1024,
        outbound_hard_cap_bytes: 64 * 1024,
        ..test_config()
    };
    TestServer::start(cfg)
}

/// Sends `request` (with `Connection: close` unless it names a `Connection`), reads to EOF (a
/// reset fails); returns the head and the body bytes.
fn ask(ts: &TestServer, request: &str) -> (String, Vec<u8>) {
    let request = if request.contains("Connection:") {
        request.to_owned()
    } else {
        request.replacen("\r\n", "\r\nConnection: close\r\n", 1)
    };
    let mut tcp = TcpStream::connect(ts.addr()).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).expect("the server closes cleanly (EOF, not a reset)");
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head") + 4;
    (String::from_utf8(raw[..end].to_vec()).unwrap(), raw[end..].to_vec())
}

#[test]
fn pages_are_served_byte_exact_with_their_headers() {
    let page = big_page(600 * 1024);
    let ts = server(&page);
    let (head, body) = ask(&ts, "GET /big.js?v=3 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    for line in [
        "Content-Type: text/javascript\r\n".to_string(),
        format!("Content-Length: {}\r\n", page.len()),
        "Cache-Control: no-cache\r\n".into(),
        "X-Content-Type-Options: nosniff\r\n".into(),
        "Connection: close\r\n".into(),
    ] {
        assert!(head.contains(&line), "{line:?} in {head}");
    }
    assert_eq!(body.len(), page.len());
    assert!(body == page, "the page arrives byte for byte");

    let (head, body) = ask(&ts, "HEAD /big.js HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(
        head.starts_with("HTTP/1.1 200 OK\r\n")
            && head.contains(&format!("Content-Length: {}\r\n", page.len()))
    );
    assert!(body.is_empty(), "HEAD has no body");

    let (head, body) = ask(&ts, "GET / HTTP/1.0\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.contains("text/html"), "{head}");
    assert_eq!(body, b"<!doctype html><p>play</p>");

    let (head, body) = ask(&ts, "GET /nope.css HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 404 Not Found\r\n"), "{head}");
    assert_eq!(body, b"no such page\n");

    let c = ts.server.counters().snapshot();
    assert_eq!((c.pages_served, c.pages_not_found), (3, 1));
}

#[test]
fn a_client_that_half_closes_after_its_request_still_gets_the_page() {
    let page = big_page(300 * 1024);
    let ts = server(&page);
    let mut tcp = TcpStream::connect(ts.addr()).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp.write_all(b"GET /big.js HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    tcp.shutdown(std::net::Shutdown::Write).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).expect("the server closes cleanly");
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head") + 4;
    assert!(raw[end..] == page[..], "the whole page, {} of {} bytes", raw.len() - end, page.len());
}

/// Splits `raw` into responses by their `Content-Length`: (head, body) each.
fn responses(mut raw: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    while !raw.is_empty() {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head") + 4;
        let head = String::from_utf8(raw[..end].to_vec()).unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .and_then(|v| v.trim().parse().ok())
            .expect("a Content-Length");
        out.push((head, raw[end..end + len].to_vec()));
        raw = &raw[end + len..];
    }
    out
}

#[test]
fn a_kept_alive_connection_answers_requests_in_turn_until_one_asks_to_close() {
    let page = big_page(200 * 1024);
    let ts = server(&page);
    let mut tcp = TcpStream::connect(ts.addr()).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    // The first two arrive together (pipelined); the third asks to close.
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /big.js HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    tcp.write_all(b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).expect("the server closes cleanly after the last answer");
    let answers = responses(&raw);
    assert_eq!(answers.len(), 3);
    assert!(
        answers[0].0.contains("Connection: keep-alive\r\n") && answers[0].1 == b"<!doctype html><p>play</p>"
    );
    assert!(answers[1].0.contains("Connection: keep-alive\r\n") && answers[1].1 == page);
    assert!(answers[2].0.starts_with("HTTP/1.1 404 ") && answers[2].0.contains("Connection: close\r\n"));
}

#[test]
fn a_connection_that_fetched_a_page_can_still_upgrade() {
    let ts = server(b"x");
    let mut tcp = TcpStream::connect(ts.addr()).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut first = vec![0; 4096];
    let n = tcp.read(&mut first).unwrap();
    assert!(first[..n].starts_with(b"HTTP/1.1 200 OK\r\n"));
    let upgrade = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    tcp.write_all(upgrade.as_bytes()).unwrap();
    let mut reply = vec![0; 4096];
    let n = tcp.read(&mut reply).unwrap();
    let reply = String::from_utf8_lossy(&reply[..n]);
    assert!(reply.starts_with("HTTP/1.1 101 Switching Protocols\r\n"), "{reply}");
}

#[test]
fn upgrades_and_refusals_are_unchanged_beside_the_pages() {
    let ts = server(b"x");
    let (mut client, _) = connect(&ts, "player");
    assert_alive(&mut client);

    let huge = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n", "a".repeat(20 * 1024));
    let (head, _) = ask(&ts, &huge);
    assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
    let (head, _) = ask(&ts, "POST / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 405 "), "{head}");
    let bad_upgrade = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    let (head, _) = ask(&ts, bad_upgrade);
    assert!(head.starts_with("HTTP/1.1 400 "), "an upgrade without a key is still refused: {head}");
}

#[test]
fn without_pages_a_plain_get_is_still_refused() {
    let ts = TestServer::start(test_config());
    let (head, _) = ask(&ts, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
}
