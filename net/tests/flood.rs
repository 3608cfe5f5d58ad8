//! Floods of frames that cost little to send (pongs, pings, empty continuation frames, pongs
//! before Hello), each from its own raw socket in its own thread, while a test "game" sends every
//! session a frame every 50 ms: the flooders are closed with their documented code, and a good
//! client keeps its frame rate and a new login completes, even when the flooders are never closed
//! (the loop's per-turn budgets, not the abuse limit, keep it fair).

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::*;
use net::client::{Client, ClientError};
use net::protocol::{ClientMessage, FrameBuilder, OwnState, ServerMessage, close_code};
use net::{CountersSnapshot, Inbound, InboundReceiver, Outbound, ServerConfig, ServerHandle};

/// The test game's tick: one frame to every session per period.
const TICK: Duration = Duration::from_millis(50);
/// How long the good client's frames are counted while the floods run.
const WINDOW: Duration = Duration::from_secs(3);

/// What a flooder sends, as fast as the socket takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flood {
    /// Unsolicited pongs after Hello.
    Pong,
    /// Pings after Hello (each one answered by the server).
    Ping,
    /// A binary message that never ends: endless empty continuation frames after Hello.
    Fragments,
    /// Pongs before Hello.
    PongBeforeHello,
}

impl Flood {
    const ALL: [Flood; 4] = [Flood::Pong, Flood::Ping, Flood::Fragments, Flood::PongBeforeHello];

    /// The close code the server must answer with.
    fn expected_close(self) -> u16 {
        match self {
            Flood::PongBeforeHello => close_code::HELLO_REQUIRED,
            _ => close_code::POLICY_VIOLATION,
        }
    }

    /// The first frame (after Hello, if any) and 64 KiB of the frame repeated.
    fn frames(self) -> (Vec<u8>, Vec<u8>) {
        let one = match self {
            Flood::Pong | Flood::PongBeforeHello => masked(0x8a, &[]),
            Flood::Ping => masked(0x89, &[]),
            Flood::Fragments => masked(0x00, &[]),
        };
        let first = if self == Flood::Fragments { masked(0x02, &[]) } else { one.clone() };
        (first, one.repeat(65_536 / one.len()))
    }
}

/// A client frame with a zero masking key (allowed: the mask bit is what the server checks).
fn masked(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut f = vec![first_byte, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    f.extend_from_slice(payload);
    f
}

/// Opens a socket and upgrades it by hand (reads the 101 head byte by byte, nothing more).
fn raw_upgrade(addr: SocketAddr) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp.set_write_timeout(Some(WAIT)).unwrap();
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    tcp.write_all(req.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        tcp.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    tcp
}

/// Reads server frames until a close frame (its code) or until `stop` (None). EOF: None.
fn read_close_code(tcp: &mut TcpStream, stop: &AtomicBool) -> Option<u16> {
    tcp.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        match tcp.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => return None,
        }
        let mut at = 0;
        while let Some((opcode, payload, len)) = parse_server_frame(&buf[at..]) {
            if opcode == 0x8 {
                return payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            }
            at += len;
        }
        buf.drain(..at);
    }
    None
}

/// An unmasked server frame at the start of `buf`: opcode, payload, total length.
fn parse_server_frame(buf: &[u8]) -> Option<(u8, &[u8], usize)> {
    let (b0, b1) = (*buf.first()?, *buf.get(1)?);
    let (len, at) = match b1 & 0x7f {
        126 => (usize::from(u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?])), 4),
        127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?) as usize, 10),
        n => (usize::from(n), 2),
    };
    Some((b0 & 0x0f, buf.get(at..at + len)?, at + len))
}

/// One flooding connection: returns the close code it got (None if `stop` came first).
fn flood_once(addr: SocketAddr, kind: Flood, stop: &Arc<AtomicBool>) -> Option<u16> {
    let mut tcp = raw_upgrade(addr);
    let (first, bulk) = kind.frames();
    if kind != Flood::PongBeforeHello {
        tcp.write_all(&masked(0x82, &ClientMessage::Hello(hello("flood")).encode())).unwrap();
    }
    let mut writer = tcp.try_clone().unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let (done2, stop2) = (done.clone(), stop.clone());
    let w = thread::spawn(move || {
        let mut ok = writer.write_all(&first).is_ok();
        while ok && !done2.load(Ordering::Relaxed) && !stop2.load(Ordering::Relaxed) {
            ok = writer.write_all(&bulk).is_ok();
        }
    });
    let code = read_close_code(&mut tcp, stop);
    done.store(true, Ordering::Relaxed);
    let _ = tcp.shutdown(Shutdown::Both);
    w.join().unwrap();
    code
}

/// A flooder thread: floods, reconnects when closed, until `stop`; returns the close codes got.
fn flooder(addr: SocketAddr, kind: Flood, stop: Arc<AtomicBool>) -> JoinHandle<Vec<u16>> {
    thread::spawn(move || {
        let mut codes = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            match flood_once(addr, kind, &stop) {
                Some(code) => codes.push(code),
                None => assert!(stop.load(Ordering::Relaxed), "{kind:?}: socket ended without a close"),
            }
        }
        codes
    })
}

/// The test game: welcomes every session and sends each a frame every `TICK`; returns the
/// times of its broadcasts.
fn game(
    inbound: Arc<InboundReceiver>,
    handle: ServerHandle,
    stop: Arc<AtomicBool>,
) -> JoinHandle<Vec<Instant>> {
    thread::spawn(move || {
        let (mut sessions, mut sent) = (Vec::new(), Vec::new());
        let mut next = Instant::now();
        for tick in 0u64.. {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            for ev in inbound.try_iter() {
                match ev {
                    Inbound::Connected { conn, .. } => {
                        let w = ServerMessage::Welcome(welcome(conn.to_u64())).encode();
                        handle.send(conn, Outbound::reliable(w)).unwrap();
                        sessions.push(conn);
                    }
                    Inbound::Disconnected { conn, .. } => sessions.retain(|&c| c != conn),
                    Inbound::Message { .. } => {}
                }
            }
            let frame = FrameBuilder::new(tick, 0, &OwnState::default()).finish();
            handle.broadcast(sessions.clone(), Outbound::frame(frame)).unwrap();
            sent.push(Instant::now());
            next += TICK;
            thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        sent
    })
}

/// The good client: times of the frames it received until `stop`.
fn good_client(addr: SocketAddr, stop: Arc<AtomicBool>) -> JoinHandle<Vec<Instant>> {
    let (mut c, _) = Client::connect(addr, hello("good"), WAIT).expect("good client connects");
    c.set_read_timeout(Duration::from_millis(100)).unwrap();
    thread::spawn(move || {
        let mut got = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            match c.recv() {
                Ok(ServerMessage::Frame(_)) => got.push(Instant::now()),
                Ok(_) | Err(ClientError::Timeout) => {}
                Err(e) => panic!("the good client must stay connected: {e}"),
            }
        }
        assert_alive(&mut c);
        got
    })
}

/// What one flood run measured.
struct Outcome {
    /// Frames the game sent and the good client received during the window.
    sent: usize,
    received: usize,
    /// Longest wait between two frames at the good client during the window.
    max_gap: Duration,
    /// How long a login (connect, upgrade, Hello, Welcome) took in the middle of the window.
    login: Duration,
    /// Close codes each flooder got.
    codes: Vec<(Flood, Vec<u16>)>,
    /// The server's counters at the end.
    counters: CountersSnapshot,
}

/// Runs the game, the good client and one flooder of each kind; measures during `WINDOW`.
fn run_floods(cfg: ServerConfig) -> Outcome {
    let ts = TestServer::start(cfg);
    let stop = Arc::new(AtomicBool::new(false));
    let game = game(ts.inbound.clone(), ts.handle(), stop.clone());
    let good = good_client(ts.addr(), stop.clone());
    let flooders: Vec<_> = Flood::ALL.iter().map(|&k| (k, flooder(ts.addr(), k, stop.clone()))).collect();
    thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    thread::sleep(WINDOW / 2);
    let t0 = Instant::now();
    let (late, _) = Client::connect(ts.addr(), hello("late"), WAIT).expect("a login during the flood");
    let login = t0.elapsed();
    thread::sleep(WINDOW.saturating_sub(start.elapsed()));
    let end = Instant::now();
    stop.store(true, Ordering::Relaxed);
    let codes = flooders.into_iter().map(|(k, t)| (k, t.join().unwrap())).collect();
    let in_window = |t: &&Instant| **t >= start && **t <= end;
    let sent = game.join().unwrap().iter().filter(in_window).count();
    let frames: Vec<Instant> = good.join().unwrap().into_iter().filter(|t| in_window(&t)).collect();
    let edges = [start].into_iter().chain(frames.iter().copied()).chain([end]);
    let max_gap = edges.clone().zip(edges.skip(1)).map(|(a, b)| b - a).max().unwrap_or_default();
    late.close();
    let counters = ts.server.counters().snapshot();
    Outcome { sent, received: frames.len(), max_gap, login, codes, counters }
}

/// Checks the good client kept most of its frames, without long stalls, and the login was quick.
fn assert_fair(o: &Outcome) {
    let summary =
        format!("sent {} received {} max gap {:?} login {:?}", o.sent, o.received, o.max_gap, o.login);
    eprintln!("{summary}");
    assert!(o.sent >= 20, "the test game itself was starved: {summary}");
    assert!(o.received * 10 >= o.sent * 7, "the good client lost its frame rate: {summary}");
    assert!(o.max_gap < Duration::from_millis(1000), "the good client stalled: {summary}");
    assert!(o.login < Duration::from_millis(1000), "a login took too long: {summary}");
}

fn flood_config() -> ServerConfig {
    ServerConfig {
        max_connections_per_ip: 1000,
        handshake_timeout: Duration::from_secs(20),
        close_linger: Duration::from_secs(2),
        ..test_config()
    }
}

#[test]
fn floods_are_closed_while_others_keep_their_frame_rate() {
    let o = run_floods(flood_config());
    assert_fair(&o);
    for (kind, codes) in &o.codes {
        assert!(!codes.is_empty(), "{kind:?} was never closed");
        let wrong: Vec<_> = codes.iter().filter(|&&c| c != kind.expected_close()).collect();
        assert!(wrong.is_empty(), "{kind:?} closed with {wrong:?}, expected {}", kind.expected_close());
        eprintln!("{kind:?}: {} connections closed in the window", codes.len());
    }
    assert!(o.counters.rate_limit_closes > 0 && o.counters.input_bytes_over_budget > 0, "{:?}", o.counters);
}

#[test]
fn flooders_that_are_never_closed_cannot_starve_the_loop() {
    let cfg = ServerConfig {
        input_rate_per_sec: 1_000_000_000,
        input_burst: 1_000_000_000,
        input_bytes_per_sec: u32::MAX,
        input_bytes_burst: u32::MAX,
        abuse_threshold: u32::MAX,
        ..flood_config()
    };
    let o = run_floods(cfg);
    assert_fair(&o);
    for (kind, codes) in &o.codes {
        if *kind == Flood::PongBeforeHello {
            // A protocol violation, whatever the limits.
            assert!(codes.iter().all(|&c| c == close_code::HELLO_REQUIRED), "{codes:?}");
        } else {
            assert!(codes.is_empty(), "{kind:?} must flood the whole window: {codes:?}");
        }
    }
    // The loop cut the floods into turns (this is what kept it fair).
    assert!(o.counters.read_turns_cut > 0, "{:?}", o.counters);
}

#[test]
fn a_pong_flood_before_hello_is_cut_at_once() {
    let ts = TestServer::start(flood_config());
    let stop = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let code = flood_once(ts.addr(), Flood::PongBeforeHello, &stop);
    let took = t0.elapsed();
    assert_eq!(code, Some(close_code::HELLO_REQUIRED));
    // Immediate in practice; the generous bound only tells it from the handshake deadline.
    assert!(took < Duration::from_secs(3), "took {took:?}");
}
