//! Slow consumers at the socket level (issue #14): the kernel's send buffer must not hide a
//! client that does not keep up. The test server sends every client a replaceable state frame
//! (1 KiB) every 50 ms, stamped with its send time. A client that never reads is closed with 1013
//! within seconds; one that reads about 1 KB/s sees frames of bounded age (the stale ones
//! replaced, not queued) until it is closed with 1013 too; one that reads 8 KB/s, slower than the
//! stream but fast enough, keeps receiving fresh frames; a normal client next to them is
//! unaffected.

mod common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::*;
use net::protocol::{ClientMessage, close_code};
use net::{Bytes, ConnId, DisconnectReason, Inbound, Outbound, ServerConfig, ServerHandle};
use socket2::{Domain, Socket, Type};
use tungstenite::{Message, WebSocket};

/// How often the test "game" sends a state frame to every client.
const PERIOD: Duration = Duration::from_millis(50);
/// Size of a state frame: 20 KB/s per client, twenty times what the slow reader takes.
const FRAME_LEN: usize = 1024;
/// The time every test allows for the server to close a client that does not keep up: the
/// slow-client timeout (5 s) plus a margin for a busy machine.
const CLOSE_WITHIN: Duration = Duration::from_secs(45);
/// The oldest frame a slow client may see ("seconds, not minutes").
const MAX_AGE: Duration = Duration::from_secs(20);
/// Marks a stamped frame (the Welcome before it is skipped).
const MAGIC: &[u8; 4] = b"SLOW";
/// The slow readers' receive buffer. What a client's own kernel buffers is out of the server's
/// sight; a small window stands for a slow link, where the backlog builds up on the server side.
const SLOW_RCVBUF: usize = 4096;

/// Long idle deadlines (these clients send nothing after Hello); the rest as in production.
fn config() -> ServerConfig {
    ServerConfig {
        ping_interval: Duration::from_secs(100),
        idle_timeout: Duration::from_secs(200),
        ..test_config()
    }
}

/// Sends a stamped replaceable frame to every listed connection each period until stopped.
struct Feed {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<u64>>,
}

impl Feed {
    fn start(handle: ServerHandle, conns: Vec<ConnId>, epoch: Instant) -> Feed {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::spawn(move || {
            let mut sent = 0;
            let mut next = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                let frame = Outbound::frame(stamped(epoch));
                handle.broadcast(conns.clone(), frame).expect("command channel open");
                sent += 1;
                next += PERIOD;
                thread::sleep(next.saturating_duration_since(Instant::now()));
            }
            sent
        });
        Feed { stop, thread: Some(thread) }
    }

    /// Stops the feed; returns how many frames it sent to each connection.
    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().map(|t| t.join().unwrap()).unwrap_or(0)
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A frame of `FRAME_LEN` bytes: the magic, then the send time in µs since `epoch`.
fn stamped(epoch: Instant) -> Bytes {
    let mut frame = vec![0u8; FRAME_LEN];
    frame[..4].copy_from_slice(MAGIC);
    frame[4..12].copy_from_slice(&(epoch.elapsed().as_micros() as u64).to_le_bytes());
    Bytes::from(frame)
}

/// The age of a stamped frame now, or None for any other message.
fn age_of(msg: &Message, epoch: Instant) -> Option<Duration> {
    let Message::Binary(data) = msg else { return None };
    if data.len() != FRAME_LEN || &data[..4] != MAGIC {
        return None;
    }
    let sent = Duration::from_micros(u64::from_le_bytes(data[4..12].try_into().ok()?));
    Some(epoch.elapsed().saturating_sub(sent))
}

/// A socket read at most `rate` bytes per second, a little at a time, paced from its start (a
/// late wake-up on a busy machine is caught up, so the average rate holds), until `hurry`.
struct Paced {
    tcp: TcpStream,
    start: Instant,
    rate: f64,
    taken: u64,
    hurry: Arc<AtomicBool>,
}

impl Paced {
    fn new(tcp: TcpStream, rate: f64) -> Paced {
        Paced { tcp, start: Instant::now(), rate, taken: 0, hurry: Arc::new(AtomicBool::new(false)) }
    }
}

impl Read for Paced {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let due = self.start + Duration::from_secs_f64(self.taken as f64 / self.rate);
        if !self.hurry.load(Ordering::Relaxed) {
            thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        let step = buf.len().min(100);
        let n = self.tcp.read(&mut buf[..step])?;
        self.taken += n as u64;
        Ok(n)
    }
}

impl Write for Paced {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// A TCP connection, with a small receive buffer set before connecting if asked.
fn tcp_to(addr: SocketAddr, rcvbuf: Option<usize>) -> TcpStream {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None).unwrap();
    if let Some(bytes) = rcvbuf {
        socket.set_recv_buffer_size(bytes).unwrap();
    }
    socket.connect(&addr.into()).unwrap();
    let tcp = TcpStream::from(socket);
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp
}

/// A raw WebSocket session over `stream`: upgraded, Hello sent, Welcome queued by the server.
fn session<S: Read + Write>(ts: &TestServer, stream: S, name: &str) -> (WebSocket<S>, ConnId) {
    let url = format!("ws://{}/", ts.addr());
    let (mut ws, _) = tungstenite::client::client(url.as_str(), stream).expect("upgrade");
    ws.send(Message::Binary(ClientMessage::Hello(hello(name)).encode().into())).unwrap();
    (ws, ts.welcome_next())
}

/// Ages of the stamped frames a client read, with the time each was read (since `epoch`).
type Ages = Vec<(Duration, Duration)>;

/// Reads while `more()`; returns the ages of the stamped frames.
fn read_frames<S: Read + Write>(ws: &mut WebSocket<S>, epoch: Instant, more: impl Fn() -> bool) -> Ages {
    let mut seen = Vec::new();
    while more() {
        let msg = ws.read().unwrap_or_else(|e| panic!("reader lost its connection: {e}"));
        if let Some(age) = age_of(&msg, epoch) {
            seen.push((epoch.elapsed(), age));
        }
    }
    seen
}

/// Reads until the server's close frame; returns the ages seen and the close code.
fn read_until_close<S: Read + Write>(mut ws: WebSocket<S>, epoch: Instant) -> (Ages, Option<u16>) {
    let mut seen = Vec::new();
    loop {
        match ws.read() {
            Ok(Message::Close(frame)) => return (seen, frame.map(|f| u16::from(f.code))),
            Ok(msg) => seen.extend(age_of(&msg, epoch).map(|age| (epoch.elapsed(), age))),
            Err(e) => panic!("expected a close frame, got {e}"),
        }
    }
}

/// Waits for the server to close `conn`; checks it was 1013 and returns when, since `epoch`.
fn wait_slow_close(ts: &TestServer, conn: ConnId, epoch: Instant) -> Duration {
    let ev = ts.inbound.recv_timeout(CLOSE_WITHIN).expect("the slow client is closed in time");
    let expected = DisconnectReason::ServerClosed(close_code::TRY_AGAIN_LATER);
    assert!(
        matches!(&ev, Inbound::Disconnected { conn: c, reason } if *c == conn && *reason == expected),
        "{ev:?}"
    );
    epoch.elapsed()
}

/// A normal client reading in a thread until the returned flag is cleared.
fn normal_reader(ts: &TestServer, epoch: Instant) -> (ConnId, Arc<AtomicBool>, JoinHandle<Ages>) {
    let (mut ws, id) = session(ts, tcp_to(ts.addr(), None), "normal");
    let reading = Arc::new(AtomicBool::new(true));
    let more = reading.clone();
    let reader = thread::spawn(move || read_frames(&mut ws, epoch, move || more.load(Ordering::Relaxed)));
    (id, reading, reader)
}

/// Checks that a normal client next to the slow ones got most frames, and fresh.
fn assert_normal(seen: &[(Duration, Duration)], sent: u64) {
    assert!(seen.len() as u64 * 2 >= sent, "normal client got {} of {sent} frames", seen.len());
    let oldest = seen.iter().map(|&(_, age)| age).max().unwrap_or_default();
    assert!(oldest < WAIT, "a normal client saw a frame {oldest:?} old");
}

#[test]
fn a_client_that_never_reads_is_closed_with_1013_within_seconds() {
    let ts = TestServer::start(config());
    let epoch = Instant::now();
    let (normal_id, reading, reader) = normal_reader(&ts, epoch);
    let (mut never, never_id) = session(&ts, tcp_to(ts.addr(), None), "never");
    let feed = Feed::start(ts.handle(), vec![normal_id, never_id], epoch);
    let closed_after = wait_slow_close(&ts, never_id, epoch);
    assert_eq!(raw_close_code(&mut never), Some(close_code::TRY_AGAIN_LATER));
    reading.store(false, Ordering::Relaxed);
    let seen = reader.join().unwrap();
    let sent = feed.stop();
    let snap = ts.server.counters().snapshot();
    eprintln!("never-reading client closed after {closed_after:?}; {snap:?}");
    assert_eq!(snap.slow_consumer_closes, 1, "{snap:?}");
    assert!(snap.outbound_replaced > 0, "stale frames were replaced: {snap:?}");
    assert_normal(&seen, sent);
}

#[test]
fn a_slow_reader_sees_fresh_frames_then_is_closed_with_1013() {
    let ts = TestServer::start(config());
    let epoch = Instant::now();
    let (normal_id, reading, reader) = normal_reader(&ts, epoch);
    let paced = Paced::new(tcp_to(ts.addr(), Some(SLOW_RCVBUF)), 1000.0);
    let hurry = paced.hurry.clone();
    let (slow, slow_id) = session(&ts, paced, "slow");
    let feed = Feed::start(ts.handle(), vec![normal_id, slow_id], epoch);
    let slow_reader = thread::spawn(move || read_until_close(slow, epoch));
    let closed_after = wait_slow_close(&ts, slow_id, epoch);
    hurry.store(true, Ordering::Relaxed);
    let (ages, code) = slow_reader.join().unwrap();
    reading.store(false, Ordering::Relaxed);
    let seen = reader.join().unwrap();
    let sent = feed.stop();
    let snap = ts.server.counters().snapshot();
    eprintln!("slow reader closed after {closed_after:?}, read {} frames: {ages:?}; {snap:?}", ages.len());
    assert_eq!(code, Some(close_code::TRY_AGAIN_LATER));
    let oldest = ages.iter().map(|&(_, age)| age).max().unwrap_or_default();
    assert!(!ages.is_empty() && oldest < MAX_AGE, "the slow reader saw frames {oldest:?} old: {ages:?}");
    assert!(snap.outbound_replaced > 0, "stale frames were replaced: {snap:?}");
    assert_normal(&seen, sent);
}

#[test]
fn a_reader_slower_than_the_stream_gets_fresh_replaced_frames() {
    let run = Duration::from_secs(15);
    let cfg = config();
    // Older than this, the server would have closed it as too slow.
    let max_age = cfg.slow_client_timeout;
    let ts = TestServer::start(cfg);
    let epoch = Instant::now();
    let (normal_id, reading, reader) = normal_reader(&ts, epoch);
    let paced = Paced::new(tcp_to(ts.addr(), Some(SLOW_RCVBUF)), 8000.0);
    let (mut slower, slower_id) = session(&ts, paced, "slower");
    let feed = Feed::start(ts.handle(), vec![normal_id, slower_id], epoch);
    let ages = read_frames(&mut slower, epoch, || epoch.elapsed() < run);
    reading.store(false, Ordering::Relaxed);
    let seen = reader.join().unwrap();
    let sent = feed.stop();
    let snap = ts.server.counters().snapshot();
    let late: Vec<Duration> = ages.iter().filter(|(at, _)| *at > run / 2).map(|&(_, age)| age).collect();
    let oldest = late.iter().max().copied().unwrap_or_default();
    eprintln!("slower reader: {} of {sent} frames, oldest late {oldest:?}; {snap:?}", ages.len());
    assert!(late.len() >= 10, "the slower reader kept receiving: {ages:?}");
    assert!(oldest < max_age, "the slower reader saw frames {oldest:?} old: {ages:?}");
    assert!(ages.len() as u64 * 3 < sent * 2, "frames to the slower reader were replaced: {snap:?}");
    assert_eq!(snap.slow_consumer_closes, 0, "{snap:?}");
    assert_normal(&seen, sent);
}
