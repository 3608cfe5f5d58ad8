//! The mio event loop thread: accept, per-connection readiness, commands, deadlines, shutdown.
//!
//! Fairness: a readiness event gives a connection one bounded turn (see `conn`). A turn cut at
//! its budget leaves input that edge-triggered mio will not announce again, so the connection
//! goes on the `pending` list and gets its next turn in the next loop iteration, after every
//! connection with new events had theirs; meanwhile the loop polls without waiting. No
//! connection can hold the thread longer than one turn, however much it sends.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};

use crate::config::ServerConfig;
use crate::conn::{Conn, Ctx};
use crate::counters::Counters;
use crate::inbox::InboundReceiver;
use crate::limits::IpCounts;
use crate::message::{Command, ConnId, Outbound, Shared};
use crate::outq::Sock;
use crate::protocol::close_code;
use crate::refusals::{Refusal, RefusalLog};
use crate::sink::InboundSink;
use crate::sockopt;

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
const FIRST_CONN: usize = 2;

/// What `spawn` hands back to `Server::start` (which builds the `ServerHandle` from the first two).
#[derive(Debug)]
pub(crate) struct Started {
    pub(crate) commands: Sender<Command>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) local_addr: SocketAddr,
    pub(crate) inbound: InboundReceiver,
    pub(crate) thread: JoinHandle<()>,
}

/// Binds the listener (unless one is given), builds the loop and runs it on a new thread named
/// `net-loop`.
pub(crate) fn spawn(cfg: ServerConfig, listener: Option<std::net::TcpListener>) -> io::Result<Started> {
    let poll = Poll::new()?;
    let mut listener = match listener {
        Some(bound) => {
            bound.set_nonblocking(true)?;
            TcpListener::from_std(bound)
        }
        None => {
            let bound = sockopt::bind_listener(cfg.bind, cfg.listen_backlog)?;
            bound.set_nonblocking(true)?;
            TcpListener::from_std(bound)
        }
    };
    let local_addr = listener.local_addr()?;
    poll.registry().register(&mut listener, LISTENER, Interest::READABLE)?;
    let shared = Arc::new(Shared {
        waker: Waker::new(poll.registry(), WAKER)?,
        wake_pending: AtomicBool::new(false),
        counters: Arc::new(Counters::default()),
        server_tick: AtomicU64::new(0),
        shutdown: AtomicBool::new(false),
    });
    let (cmd_tx, cmd_rx) = bounded(cfg.command_capacity);
    let (in_tx, in_rx) = bounded(cfg.inbound_capacity);
    let (hello_tx, hello_rx) = unbounded();
    let event_loop = EventLoop {
        poll,
        listener: Some(listener),
        shared: shared.clone(),
        cmds: cmd_rx,
        sink: InboundSink::new(hello_tx, in_tx),
        slots: Vec::new(),
        free: Vec::new(),
        ips: IpCounts::default(),
        refusals: RefusalLog::default(),
        dirty: Vec::new(),
        dead: Vec::new(),
        pending: Vec::new(),
        resuming: Vec::new(),
        live: 0,
        shutdown_deadline: None,
        cfg,
    };
    let thread = thread::Builder::new().name("net-loop".into()).spawn(move || event_loop.run())?;
    tracing::info!(%local_addr, "network server listening");
    Ok(Started {
        commands: cmd_tx,
        shared,
        local_addr,
        inbound: InboundReceiver::new(hello_rx, in_rx),
        thread,
    })
}

#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    conn: Option<Conn>,
    dirty: bool,
    /// On the `pending` or `resuming` list: its next turn is due there.
    pending: bool,
}

#[derive(Debug)]
struct EventLoop {
    cfg: ServerConfig,
    poll: Poll,
    listener: Option<TcpListener>,
    shared: Arc<Shared>,
    cmds: Receiver<Command>,
    sink: InboundSink,
    slots: Vec<Slot>,
    free: Vec<u32>,
    ips: IpCounts,
    refusals: RefusalLog,
    dirty: Vec<u32>,
    dead: Vec<u32>,
    /// Connections whose last turn was cut at a budget, for the next iteration.
    pending: Vec<ConnId>,
    /// Last iteration's `pending`, served in this one (both vectors are reused).
    resuming: Vec<ConnId>,
    live: usize,
    shutdown_deadline: Option<Instant>,
}

impl EventLoop {
    fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        let every = self.cfg.housekeeping_interval();
        let mut next_housekeeping = Instant::now() + every;
        loop {
            let mut timeout = next_housekeeping.saturating_duration_since(Instant::now());
            if !self.pending.is_empty() {
                timeout = Duration::ZERO;
            }
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                tracing::error!(error = %e, "poll failed; network loop stops");
                break;
            }
            let now = Instant::now();
            std::mem::swap(&mut self.pending, &mut self.resuming);
            self.dispatch(&events, now);
            self.resume(now);
            self.drain_commands(now);
            if now >= next_housekeeping {
                self.housekeeping(now);
                next_housekeeping = now + every;
            }
            self.sink.retry();
            self.reap();
            if self.check_shutdown(now) {
                break;
            }
        }
        tracing::info!("network loop stopped");
    }

    fn dispatch(&mut self, events: &Events, now: Instant) {
        for ev in events.iter() {
            match ev.token() {
                LISTENER => self.accept_all(now),
                WAKER => {}
                Token(t) => {
                    let idx = (t - FIRST_CONN) as u32;
                    let closed = ev.is_read_closed() || ev.is_error();
                    if self.slots.get(idx as usize).is_some_and(|s| s.pending) {
                        // Its turn is already due on a list: note the event, only flush now.
                        self.with_conn(idx, now, |c, ctx| {
                            c.note_event(closed);
                            c.flush(ctx);
                        })
                    } else {
                        self.with_conn(idx, now, |c, ctx| c.on_event(closed, ctx))
                    }
                }
            }
        }
    }

    /// Gives every connection cut short in the previous iteration its next turn.
    fn resume(&mut self, now: Instant) {
        for i in 0..self.resuming.len() {
            let id = self.resuming[i];
            let Some(slot) = self.slots.get_mut(id.index as usize) else { continue };
            if slot.generation != id.generation || !slot.pending {
                continue;
            }
            slot.pending = false;
            self.with_conn(id.index, now, Conn::on_ready);
        }
        self.resuming.clear();
    }

    /// Runs `f` on a live connection with a fresh context, then notes it if it died or if its
    /// turn was cut short (it goes on the `pending` list).
    fn with_conn(&mut self, idx: u32, now: Instant, f: impl FnOnce(&mut Conn, &mut Ctx<'_>)) {
        let Some(slot) = self.slots.get_mut(idx as usize) else { return };
        let Some(conn) = slot.conn.as_mut() else { return };
        let mut ctx = Ctx {
            cfg: &self.cfg,
            counters: &self.shared.counters,
            sink: &mut self.sink,
            now,
            server_tick: self.shared.server_tick.load(Ordering::Relaxed),
        };
        f(conn, &mut ctx);
        if conn.is_dead() {
            self.dead.push(idx);
        } else if conn.wants_resume() && !slot.pending {
            slot.pending = true;
            self.pending.push(ConnId { index: idx, generation: slot.generation });
            Counters::inc(&self.shared.counters.read_turns_cut);
        }
    }

    fn accept_all(&mut self, now: Instant) {
        while let Some(listener) = &self.listener {
            match listener.accept() {
                Ok((tcp, peer)) => self.on_accept(tcp, peer, now),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // E.g. EMFILE: retried at the next housekeeping pass.
                    tracing::warn!(error = %e, "accept failed");
                    return;
                }
            }
        }
    }

    fn on_accept(&mut self, tcp: TcpStream, peer: SocketAddr, now: Instant) {
        let counters = self.shared.counters.clone();
        Counters::inc(&counters.accepted);
        if self.live >= self.cfg.max_connections {
            Counters::inc(&counters.rejected_max_connections);
            self.refusals.record(Refusal::ServerFull, peer.ip(), now);
            return reject(tcp, "server full");
        }
        if !self.ips.try_add(peer.ip(), self.cfg.max_connections_per_ip) {
            Counters::inc(&counters.rejected_per_ip);
            self.refusals.record(Refusal::PerIp, peer.ip(), now);
            return reject(tcp, "too many connections from this address");
        }
        self.tune_socket(&tcp);
        let idx = self.alloc_slot();
        let mut sock = Sock::new(tcp, counters.clone());
        let token = Token(idx as usize + FIRST_CONN);
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = self.poll.registry().register(&mut sock.tcp, token, interest) {
            tracing::warn!(error = %e, "cannot register socket");
            self.ips.remove(peer.ip());
            self.free.push(idx);
            return;
        }
        let slot = &mut self.slots[idx as usize];
        let id = ConnId { index: idx, generation: slot.generation };
        slot.conn = Some(Conn::new(id, peer, sock, &self.cfg));
        self.live += 1;
        Counters::inc(&counters.active_connections);
        self.with_conn(idx, now, Conn::on_ready);
    }

    /// Socket options of an accepted connection (best effort: a failure only loses the tuning).
    fn tune_socket(&self, tcp: &TcpStream) {
        if self.cfg.tcp_nodelay {
            let _ = tcp.set_nodelay(true);
        }
        let size = self.cfg.send_buffer_bytes;
        if size > 0
            && let Err(e) = sockopt::set_send_buffer(tcp, size)
        {
            tracing::debug!(error = %e, "cannot set SO_SNDBUF");
        }
    }

    fn alloc_slot(&mut self) -> u32 {
        self.free.pop().unwrap_or_else(|| {
            self.slots.push(Slot::default());
            (self.slots.len() - 1) as u32
        })
    }

    fn drain_commands(&mut self, now: Instant) {
        self.shared.wake_pending.store(false, Ordering::Release);
        while let Ok(cmd) = self.cmds.try_recv() {
            match cmd {
                Command::Send(id, msg) => self.send_to(id, msg, now),
                Command::SendMany(batch) => batch.into_iter().for_each(|(id, m)| self.send_to(id, m, now)),
                Command::Broadcast(ids, msg) => {
                    ids.into_iter().for_each(|id| self.send_to(id, msg.clone(), now))
                }
                Command::Close(id, code, reason) => {
                    self.on_live(id, now, |c, ctx| c.start_close(code, &reason, false, ctx))
                }
            }
        }
        self.flush_dirty(now);
    }

    /// Runs `f` if `id` still names a live connection (same generation) and marks it dirty.
    fn on_live(&mut self, id: ConnId, now: Instant, f: impl FnOnce(&mut Conn, &mut Ctx<'_>)) {
        let live = self
            .slots
            .get(id.index as usize)
            .is_some_and(|s| s.generation == id.generation && s.conn.is_some());
        if !live {
            return Counters::inc(&self.shared.counters.sends_to_closed);
        }
        self.with_conn(id.index, now, f);
        let slot = &mut self.slots[id.index as usize];
        if !slot.dirty {
            slot.dirty = true;
            self.dirty.push(id.index);
        }
    }

    fn send_to(&mut self, id: ConnId, msg: Outbound, now: Instant) {
        self.on_live(id, now, |c, ctx| c.send(msg, ctx));
    }

    fn flush_dirty(&mut self, now: Instant) {
        let dirty = std::mem::take(&mut self.dirty);
        for &idx in &dirty {
            self.slots[idx as usize].dirty = false;
            self.with_conn(idx, now, Conn::flush);
        }
        self.dirty = dirty;
        self.dirty.clear();
    }

    fn housekeeping(&mut self, now: Instant) {
        for idx in 0..self.slots.len() as u32 {
            self.with_conn(idx, now, |c, ctx| {
                c.housekeeping(ctx);
                c.flush(ctx);
            });
        }
        self.refusals.flush(now);
        self.accept_all(now);
    }

    /// Frees the slots of dead connections (their sockets are already closed).
    fn reap(&mut self) {
        while let Some(idx) = self.dead.pop() {
            let slot = &mut self.slots[idx as usize];
            let Some(conn) = slot.conn.take_if(|c| c.is_dead()) else { continue };
            slot.generation = slot.generation.wrapping_add(1);
            slot.dirty = false;
            slot.pending = false;
            self.ips.remove(conn.peer().ip());
            self.free.push(idx);
            self.live -= 1;
            Counters::dec(&self.shared.counters.active_connections);
        }
    }

    /// Starts the shutdown when asked; true once the loop may exit.
    fn check_shutdown(&mut self, now: Instant) -> bool {
        if self.shutdown_deadline.is_none() && self.shared.shutdown.load(Ordering::Acquire) {
            self.begin_shutdown(now);
        }
        self.shutdown_deadline.is_some_and(|d| self.live == 0 || now >= d)
    }

    fn begin_shutdown(&mut self, now: Instant) {
        tracing::info!(connections = self.live, "network shutdown: closing every connection");
        if let Some(mut listener) = self.listener.take() {
            let _ = self.poll.registry().deregister(&mut listener);
        }
        self.shutdown_deadline = Some(now + self.cfg.close_linger);
        for idx in 0..self.slots.len() as u32 {
            self.with_conn(idx, now, |c, ctx| {
                c.start_close(close_code::GOING_AWAY, "server shutting down", false, ctx);
                c.flush(ctx);
            });
        }
        self.reap();
    }
}

/// Refuses a socket over a connection limit with a minimal HTTP 503 (best effort, never blocks).
fn reject(mut tcp: TcpStream, why: &str) {
    let mut sink = [0u8; 1024];
    for _ in 0..4 {
        if !matches!(tcp.read(&mut sink), Ok(n) if n > 0) {
            break;
        }
    }
    let reply = format!(
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\n\r\n{why}",
        why.len()
    );
    let _ = tcp.write_all(reply.as_bytes());
    let _ = tcp.shutdown(std::net::Shutdown::Write);
}
