//! A mio-based driver holding thousands of client connections in the caller's thread.
//!
//! The caller calls [`Driver::poll`] in its own loop; each call performs non-blocking connects,
//! WebSocket upgrades, reads and writes, and returns [`DriverEvent`]s.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::driver_conn::{ClientId, DriverConfig, DriverConn, DriverEvent, DriverStats, Report};
use crate::counters::Counters;
use crate::outq::Sock;
use crate::protocol::{ClientMessage, Hello};

#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    conn: Option<DriverConn>,
}

/// Many non-blocking client connections driven from one thread.
#[derive(Debug)]
pub struct Driver {
    cfg: DriverConfig,
    poll: Poll,
    events: Events,
    slots: Vec<Slot>,
    free: Vec<u32>,
    counters: Arc<Counters>,
    stats: DriverStats,
    live: usize,
    last_sweep: Instant,
    pending: Vec<DriverEvent>,
}

impl Driver {
    /// Creates an empty driver.
    pub fn new(cfg: DriverConfig) -> io::Result<Driver> {
        Ok(Driver {
            cfg,
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            slots: Vec::new(),
            free: Vec::new(),
            counters: Arc::new(Counters::default()),
            stats: DriverStats::default(),
            live: 0,
            last_sweep: Instant::now(),
            pending: Vec::new(),
        })
    }

    /// Starts a non-blocking connect to `ws://addr/`; `hello` is sent right after the upgrade.
    /// The operating system picks the local address.
    pub fn connect(&mut self, addr: SocketAddr, hello: Option<Hello>) -> io::Result<ClientId> {
        self.connect_from(addr, None, hello)
    }

    /// Like [`Driver::connect`], from `local_ip` when given: the socket is bound to
    /// `(local_ip, any port)` before it connects, so the server sees that peer address (on Linux
    /// every address of 127.0.0.0/8 reaches a loopback server, which lets a local load test
    /// spread its connections over many source addresses). An address of the other family
    /// than `addr`, or one this host does not have, fails here with the bind's error.
    pub fn connect_from(
        &mut self,
        addr: SocketAddr,
        local_ip: Option<IpAddr>,
        hello: Option<Hello>,
    ) -> io::Result<ClientId> {
        let mut tcp = start_connect(addr, local_ip)?;
        tcp.set_nodelay(true)?;
        let index = self.free.pop().unwrap_or_else(|| {
            self.slots.push(Slot::default());
            (self.slots.len() - 1) as u32
        });
        let token = Token(index as usize);
        let registered =
            self.poll.registry().register(&mut tcp, token, Interest::READABLE | Interest::WRITABLE);
        let id = ClientId { index, generation: self.slots[index as usize].generation };
        let sock = Sock::new(tcp, self.counters.clone());
        let conn =
            registered.and_then(|()| DriverConn::start(id, sock, &format!("ws://{addr}/"), hello, &self.cfg));
        match conn {
            Ok(conn) => {
                self.slots[index as usize].conn = Some(conn);
                self.live += 1;
                Ok(id)
            }
            Err(e) => {
                self.free.push(index);
                Err(e)
            }
        }
    }

    /// Sends a message; false if the connection is unknown or not yet open.
    pub fn send(&mut self, id: ClientId, msg: &ClientMessage) -> bool {
        self.send_raw(id, &Bytes::from(msg.encode()))
    }

    /// Sends arbitrary bytes as one binary message; false if not open.
    pub fn send_raw(&mut self, id: ClientId, payload: &Bytes) -> bool {
        let sent = self.with_live(id, |c, r| {
            let ok = c.send(payload, r);
            c.flush(r);
            ok
        });
        sent.unwrap_or(false)
    }

    /// True if `id` is open (upgraded and not closed).
    pub fn is_open(&self, id: ClientId) -> bool {
        self.slot(id).and_then(|s| s.conn.as_ref()).is_some_and(DriverConn::is_open)
    }

    /// Closes a connection; its `Closed` event is returned by the next `poll`.
    pub fn close(&mut self, id: ClientId) {
        self.with_live(id, |c, r| c.close(r));
    }

    /// Number of connections not yet closed.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when no connection is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Totals so far.
    pub fn stats(&self) -> DriverStats {
        let snap = self.counters.snapshot();
        DriverStats { bytes_in: snap.bytes_in, bytes_out: snap.bytes_out, ..self.stats }
    }

    /// Waits up to `timeout` for socket readiness, makes progress and appends events to `out`.
    pub fn poll(&mut self, timeout: Option<Duration>, out: &mut Vec<DriverEvent>) -> io::Result<()> {
        out.append(&mut self.pending);
        let timeout = if out.is_empty() { timeout } else { Some(Duration::ZERO) };
        match self.poll.poll(&mut self.events, timeout) {
            Err(e) if e.kind() != io::ErrorKind::Interrupted => return Err(e),
            _ => {}
        }
        let ready: Vec<(usize, bool)> =
            self.events.iter().map(|e| (e.token().0, e.is_read_closed() || e.is_error())).collect();
        for (index, closed) in ready {
            self.drive(index as u32, out, |c, r| c.on_event(closed, r));
        }
        self.sweep(out);
        Ok(())
    }

    fn sweep(&mut self, out: &mut Vec<DriverEvent>) {
        let now = Instant::now();
        if now.saturating_duration_since(self.last_sweep) < Duration::from_millis(100) {
            return;
        }
        self.last_sweep = now;
        for index in 0..self.slots.len() as u32 {
            self.drive(index, out, |c, r| c.check_timeout(now, r));
        }
    }

    fn slot(&self, id: ClientId) -> Option<&Slot> {
        self.slots.get(id.index as usize).filter(|s| s.generation == id.generation)
    }

    fn with_live<T>(
        &mut self,
        id: ClientId,
        f: impl FnOnce(&mut DriverConn, &mut Report<'_>) -> T,
    ) -> Option<T> {
        self.slot(id)?.conn.as_ref()?;
        let mut pending = std::mem::take(&mut self.pending);
        let result = self.drive(id.index, &mut pending, f);
        self.pending = pending;
        result
    }

    /// Runs `f` on the connection in slot `index`, then frees the slot if it died.
    fn drive<T>(
        &mut self,
        index: u32,
        events: &mut Vec<DriverEvent>,
        f: impl FnOnce(&mut DriverConn, &mut Report<'_>) -> T,
    ) -> Option<T> {
        let slot = self.slots.get_mut(index as usize)?;
        let conn = slot.conn.as_mut()?;
        let mut report = Report { cfg: &self.cfg, events, stats: &mut self.stats };
        let result = f(conn, &mut report);
        if conn.is_dead() {
            slot.conn = None;
            slot.generation = slot.generation.wrapping_add(1);
            self.free.push(index);
            self.live -= 1;
        }
        Some(result)
    }
}

/// A non-blocking TCP socket, bound to `(local_ip, 0)` when given, whose connect to `addr` has
/// started (it completes when the socket turns writable).
fn start_connect(addr: SocketAddr, local_ip: Option<IpAddr>) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    if let Some(ip) = local_ip {
        socket.bind(&SockAddr::from(SocketAddr::new(ip, 0)))?;
    }
    match socket.connect(&SockAddr::from(addr)) {
        Err(e) if e.raw_os_error() != Some(libc::EINPROGRESS) => return Err(e),
        _ => {}
    }
    Ok(TcpStream::from_std(std::net::TcpStream::from(socket)))
}
