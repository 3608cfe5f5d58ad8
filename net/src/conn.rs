//! One server-side connection: non-blocking upgrade, reading, protocol checks, closing.
//!
//! Phases: `Upgrade` (the HTTP request head buffered and checked on readiness, see `upgrade`) →
//! `Open` (WebSocket; a session once `Hello` arrived) → `Closing` (close frame or HTTP error
//! queued; raw socket flushed, write side shut, input drained until EOF or the linger deadline)
//! → `Dead`.
//!
//! Every readiness event is one turn, bounded in bytes (the socket's turn budget) and in
//! messages (`max_messages_per_turn`); a turn cut short reports [`Conn::wants_resume`] and the
//! loop resumes it after serving the others. Every client frame except Close costs a token and
//! every byte read costs byte budget; both overdrafts feed the abuse meter (1008). An Ack spends
//! an ack credit instead of a token when it has one: each Frame queued grants one.

use std::io::{self, Read};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, Role};
use tungstenite::{Message, WebSocket};

use crate::config::ServerConfig;
use crate::counters::{ConnTraffic, Counters};
use crate::limits::{AbuseMeter, AckCredit, ByteBudget, TokenBucket};
use crate::message::{ConnId, DisconnectReason, Inbound, Outbound};
use crate::outq::{Pushed, Sock};
use crate::protocol::{
    ClientMessage, DecodeError, ErrorMsg, Pong, ServerMessage, clamp_str, close_code as cc, error_code,
    msg_type,
};
use crate::sink::InboundSink;
use crate::upgrade::{Outcome, Upgrade};

/// Connection phase; see the module docs.
// `Open` is the phase connections live in: boxing it would add an indirection to every read for
// nothing (each slot is as large as the largest phase either way).
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Phase {
    Upgrade(Sock, Upgrade),
    Open(WebSocket<Sock>),
    Closing(Sock),
    Dead,
}

/// Everything a connection needs from the loop for one call.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub(crate) cfg: &'a ServerConfig,
    pub(crate) counters: &'a Counters,
    pub(crate) sink: &'a mut InboundSink,
    pub(crate) now: Instant,
    pub(crate) server_tick: u64,
}

/// A server-side connection.
#[derive(Debug)]
pub(crate) struct Conn {
    id: ConnId,
    peer: SocketAddr,
    phase: Phase,
    /// Start of the handshake deadline: the accept, or the last page answered on a connection
    /// kept alive for more requests.
    created: Instant,
    last_inbound: Instant,
    ping_sent: bool,
    session: bool,
    close_deadline: Option<Instant>,
    write_shut: bool,
    /// The peer's EOF was read while closing: dead as soon as our answer is out.
    input_done: bool,
    bucket: TokenBucket,
    acks: AckCredit,
    bytes: ByteBudget,
    abuse: AbuseMeter,
    /// The last turn stopped at the message budget (more frames may be buffered).
    more_input: bool,
    /// The socket's byte counts (handed to the game with `Connected`).
    traffic: Arc<ConnTraffic>,
}

impl Conn {
    /// Starts the WebSocket upgrade on an accepted socket (driven on readiness).
    pub(crate) fn new(id: ConnId, peer: SocketAddr, sock: Sock, cfg: &ServerConfig) -> Self {
        let now = Instant::now();
        let (byte_rate, byte_burst) = (cfg.input_bytes_per_sec, cfg.input_bytes_burst);
        let traffic = sock.traffic().clone();
        Conn {
            id,
            peer,
            phase: Phase::Upgrade(sock, Upgrade::new(cfg.max_request_head)),
            created: now,
            last_inbound: now,
            ping_sent: false,
            session: false,
            close_deadline: None,
            write_shut: false,
            input_done: false,
            bucket: TokenBucket::new(cfg.input_rate_per_sec, cfg.input_burst, now),
            acks: AckCredit::new(cfg.ack_credit_cap),
            bytes: ByteBudget::new(byte_rate, byte_burst, cfg.input_rate_per_sec, now),
            abuse: AbuseMeter::new(cfg.input_rate_per_sec, cfg.abuse_threshold, now),
            more_input: false,
            traffic,
        }
    }

    /// The remote address.
    pub(crate) fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// True once the loop should drop the socket.
    pub(crate) fn is_dead(&self) -> bool {
        matches!(self.phase, Phase::Dead)
    }

    /// The socket, in any live phase (for deregistration).
    pub(crate) fn sock_mut(&mut self) -> Option<&mut Sock> {
        match &mut self.phase {
            Phase::Upgrade(sock, _) => Some(sock),
            Phase::Open(ws) => Some(ws.get_mut()),
            Phase::Closing(sock) => Some(sock),
            Phase::Dead => None,
        }
    }

    /// True if the last turn stopped at a budget: input may be left that no event will announce.
    pub(crate) fn wants_resume(&self) -> bool {
        let throttled = match &self.phase {
            Phase::Upgrade(sock, _) | Phase::Closing(sock) => sock.throttled(),
            Phase::Open(ws) => ws.get_ref().throttled(),
            Phase::Dead => false,
        };
        throttled || self.more_input
    }

    /// Handles a readiness event (readable or writable): progress whatever the phase allows.
    pub(crate) fn on_event(&mut self, read_closed: bool, ctx: &mut Ctx<'_>) {
        self.note_event(read_closed);
        self.on_ready(ctx);
    }

    /// Records a readiness event without reading (the connection already waits for its turn).
    pub(crate) fn note_event(&mut self, read_closed: bool) {
        if let Some(sock) = self.sock_mut() {
            sock.on_event(read_closed);
        }
    }

    /// One turn: makes whatever progress the phase allows within the turn's budgets (reads
    /// until WouldBlock or a budget, then flushes).
    pub(crate) fn on_ready(&mut self, ctx: &mut Ctx<'_>) {
        self.more_input = false;
        if let Some(sock) = self.sock_mut() {
            sock.start_turn(ctx.cfg.max_bytes_per_turn);
        }
        if matches!(self.phase, Phase::Upgrade(..)) {
            self.drive_upgrade(ctx);
        }
        if matches!(self.phase, Phase::Open(_)) {
            self.read_open(ctx);
        }
        if matches!(self.phase, Phase::Closing(_)) {
            self.drain_closing();
        }
        self.flush(ctx);
    }

    fn drive_upgrade(&mut self, ctx: &mut Ctx<'_>) {
        let Phase::Upgrade(sock, upgrade) = &mut self.phase else { return };
        let Some(outcome) = upgrade.advance(sock, ctx.cfg.pages.as_deref()) else { return };
        let Phase::Upgrade(mut sock, upgrade) = std::mem::replace(&mut self.phase, Phase::Dead) else {
            return;
        };
        match outcome {
            Outcome::Upgraded(leftover) => {
                tracing::debug!(conn = %self.id, peer = %self.peer, "websocket upgraded");
                sock.take_read();
                let cfg = Some(ctx.cfg.websocket_config());
                self.phase = Phase::Open(WebSocket::from_partially_read(sock, leftover, Role::Server, cfg));
            }
            Outcome::Refused(refusal) => {
                let status = refusal.status().0;
                tracing::debug!(conn = %self.id, peer = %self.peer, status, ?refusal, "upgrade refused");
                Counters::inc(&ctx.counters.handshake_failures);
                self.enter_closing(sock, ctx);
            }
            Outcome::Page { found, keep_alive } => {
                tracing::debug!(conn = %self.id, peer = %self.peer, found, keep_alive, "page request answered");
                let counter = if found { &ctx.counters.pages_served } else { &ctx.counters.pages_not_found };
                Counters::inc(counter);
                if keep_alive {
                    // The next request (or an upgrade) has a fresh handshake deadline.
                    self.created = ctx.now;
                    self.more_input = upgrade.has_pipelined();
                    self.phase = Phase::Upgrade(sock, upgrade);
                    return;
                }
                self.enter_closing(sock, ctx);
                // A page may be hundreds of KB: give a slow reader the slow-client time too.
                self.close_deadline = Some(ctx.now + ctx.cfg.close_linger + ctx.cfg.slow_client_timeout);
            }
            Outcome::Lost(_) if upgrade.served_pages() => {
                // A kept-alive page connection the client ended: finish writing, then close.
                self.enter_closing(sock, ctx);
                self.close_deadline = Some(ctx.now + ctx.cfg.close_linger + ctx.cfg.slow_client_timeout);
            }
            Outcome::Lost(e) => {
                tracing::debug!(conn = %self.id, peer = %self.peer, error = %e, "upgrade failed");
                Counters::inc(&ctx.counters.handshake_failures);
            }
        }
    }

    /// Reads frames until WouldBlock (mio is edge-triggered), the turn's budgets or a phase
    /// change, then charges the bytes read.
    fn read_open(&mut self, ctx: &mut Ctx<'_>) {
        let mut left = ctx.cfg.max_messages_per_turn;
        while let Phase::Open(ws) = &mut self.phase {
            if left == 0 {
                self.more_input = true;
                break;
            }
            match ws.read() {
                Ok(msg) => {
                    left -= 1;
                    Counters::inc(&ctx.counters.messages_in);
                    self.last_inbound = ctx.now;
                    self.ping_sent = false;
                    self.on_message(msg, ctx);
                }
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => self.on_read_error(e, ctx),
            }
        }
        self.charge_bytes(ctx);
    }

    /// Charges the bytes read since the last charge (frames tungstenite swallowed included).
    fn charge_bytes(&mut self, ctx: &mut Ctx<'_>) {
        let Phase::Open(ws) = &mut self.phase else { return };
        let over = self.bytes.charge(ws.get_mut().take_read(), ctx.now);
        if over > 0.0 {
            Counters::add(&ctx.counters.input_bytes_over_budget, over as u64);
            if self.abuse.record(self.bytes.points(over), ctx.now) {
                self.abuse_close(ctx);
            }
        }
    }

    /// Close frames end the connection; every other frame (data, ping, pong) costs a token,
    /// except an Ack covered by an ack credit. Before `Hello` a ping or pong is a protocol
    /// violation (the server never pings first).
    fn on_message(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        if let Message::Close(frame) = msg {
            return self.on_peer_close(frame.map(|f| u16::from(f.code)), ctx);
        }
        if !self.session && matches!(msg, Message::Ping(_) | Message::Pong(_)) {
            return self.protocol_close(cc::HELLO_REQUIRED, "control frame before Hello", ctx);
        }
        let credited = is_ack(&msg) && self.acks.spend();
        if !credited && !self.bucket.take(ctx.now) {
            return self.on_rate_limited(ctx);
        }
        match msg {
            Message::Binary(payload) => self.on_binary(&payload, ctx),
            Message::Text(_) => {
                self.protocol_close(cc::UNSUPPORTED_DATA, "text frames are not supported", ctx)
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) | Message::Close(_) => {}
        }
    }

    fn on_rate_limited(&mut self, ctx: &mut Ctx<'_>) {
        Counters::inc(&ctx.counters.rate_limit_drops);
        if self.abuse.record_drop(ctx.now) {
            self.abuse_close(ctx);
        }
    }

    fn abuse_close(&mut self, ctx: &mut Ctx<'_>) {
        Counters::inc(&ctx.counters.rate_limit_closes);
        tracing::info!(conn = %self.id, peer = %self.peer, "closing: input rate abuse");
        self.start_close(cc::POLICY_VIOLATION, "input rate limit exceeded", true, ctx);
    }

    fn on_binary(&mut self, payload: &[u8], ctx: &mut Ctx<'_>) {
        match ClientMessage::decode(payload) {
            Ok(msg) => self.on_client_message(msg, ctx),
            Err(DecodeError::VersionMismatch { got, expected }) => {
                let reason = format!("protocol version {got} not supported, server speaks {expected}");
                self.protocol_close(cc::VERSION_MISMATCH, &reason, ctx);
            }
            Err(DecodeError::UnknownType(t)) if self.session => {
                Counters::inc(&ctx.counters.protocol_errors);
                let text = format!("unknown message type 0x{t:02x}");
                self.send_error(error_code::UNKNOWN_MESSAGE_TYPE, text, ctx);
            }
            Err(e) if self.session || payload.first() == Some(&msg_type::HELLO) => {
                self.protocol_close(cc::MALFORMED, &e.to_string(), ctx);
            }
            Err(_) => self.protocol_close(cc::HELLO_REQUIRED, "the first message must be Hello", ctx),
        }
    }

    fn on_client_message(&mut self, msg: ClientMessage, ctx: &mut Ctx<'_>) {
        match msg {
            ClientMessage::Hello(hello) if !self.session => {
                self.session = true;
                Counters::inc(&ctx.counters.sessions);
                Counters::inc(&ctx.counters.active_sessions);
                let traffic = self.traffic.clone();
                let ev = Inbound::Connected { conn: self.id, peer: self.peer, hello, traffic };
                ctx.sink.connected(ev);
            }
            ClientMessage::Hello(_) => {
                Counters::inc(&ctx.counters.protocol_errors);
                self.send_error(error_code::DUPLICATE_HELLO, "Hello already received".into(), ctx);
            }
            _ if !self.session => {
                self.protocol_close(cc::HELLO_REQUIRED, "the first message must be Hello", ctx)
            }
            ClientMessage::Ping { nonce } => {
                let pong = ServerMessage::Pong(Pong { nonce, server_tick: ctx.server_tick });
                self.send(Outbound::reliable(pong.encode()), ctx);
            }
            msg => ctx.sink.message(Inbound::Message { conn: self.id, msg }, ctx.counters),
        }
    }

    fn send_error(&mut self, code: u16, text: String, ctx: &mut Ctx<'_>) {
        let msg = ServerMessage::Error(ErrorMsg { code, request: 0, text });
        self.send(Outbound::reliable(msg.encode()), ctx);
    }

    fn on_read_error(&mut self, e: tungstenite::Error, ctx: &mut Ctx<'_>) {
        use tungstenite::Error as E;
        use tungstenite::error::ProtocolError as P;
        match e {
            E::ConnectionClosed | E::AlreadyClosed => self.kill(DisconnectReason::PeerClosed(None), ctx),
            E::Protocol(P::ResetWithoutClosingHandshake) => {
                self.kill(lost("closed without close frame"), ctx)
            }
            E::Io(e) => self.kill(lost(&e.to_string()), ctx),
            E::Capacity(e) => self.protocol_close(cc::MESSAGE_TOO_BIG, &e.to_string(), ctx),
            E::Utf8(_) => self.protocol_close(cc::INVALID_PAYLOAD, "invalid UTF-8", ctx),
            E::Protocol(p) => self.protocol_close(cc::PROTOCOL_ERROR, &p.to_string(), ctx),
            other => {
                tracing::warn!(conn = %self.id, error = %other, "unexpected websocket error");
                self.start_close(cc::INTERNAL_ERROR, "internal error", true, ctx);
            }
        }
    }

    fn on_peer_close(&mut self, code: Option<u16>, ctx: &mut Ctx<'_>) {
        self.announce_down(DisconnectReason::PeerClosed(code), ctx);
        let Phase::Open(mut ws) = std::mem::replace(&mut self.phase, Phase::Dead) else { return };
        // Moves tungstenite's queued close reply into our queue; ConnectionClosed is expected.
        let _ = ws.flush();
        self.enter_closing(ws.into_inner(), ctx);
    }

    fn protocol_close(&mut self, code: u16, reason: &str, ctx: &mut Ctx<'_>) {
        Counters::inc(&ctx.counters.protocol_closes);
        tracing::debug!(conn = %self.id, peer = %self.peer, code, reason, "protocol close");
        self.start_close(code, reason, true, ctx);
    }

    /// Queues a close frame (after the backlog unless `discard`) and enters `Closing`.
    pub(crate) fn start_close(&mut self, code: u16, reason: &str, discard: bool, ctx: &mut Ctx<'_>) {
        self.announce_down(DisconnectReason::ServerClosed(code), ctx);
        match std::mem::replace(&mut self.phase, Phase::Dead) {
            Phase::Open(mut ws) => {
                if discard {
                    ws.get_mut().out.discard_unsent();
                }
                let reason = clamp_str(reason, 123).to_owned();
                let _ = ws.close(Some(CloseFrame { code: sendable(code), reason: reason.into() }));
                self.enter_closing(ws.into_inner(), ctx);
            }
            Phase::Closing(sock) => self.phase = Phase::Closing(sock),
            Phase::Upgrade(..) | Phase::Dead => {}
        }
    }

    fn enter_closing(&mut self, sock: Sock, ctx: &Ctx<'_>) {
        self.close_deadline = Some(ctx.now + ctx.cfg.close_linger);
        self.phase = Phase::Closing(sock);
        self.drain_closing();
    }

    /// Discards input until EOF so the peer's goodbye does not turn our close into a reset. A
    /// peer that shut its side before our answer is out (a client that half-closes after its
    /// request) still gets the answer: dead once it is flushed.
    fn drain_closing(&mut self) {
        let Phase::Closing(sock) = &mut self.phase else { return };
        let mut buf = [0u8; 2048];
        loop {
            match sock.read(&mut buf) {
                Ok(0) if self.write_shut => break self.phase = Phase::Dead,
                Ok(0) => break self.input_done = true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break self.phase = Phase::Dead,
            }
        }
    }

    /// Emits `Disconnected` once, if `Connected` was emitted.
    fn announce_down(&mut self, reason: DisconnectReason, ctx: &mut Ctx<'_>) {
        if std::mem::take(&mut self.session) {
            Counters::dec(&ctx.counters.active_sessions);
            ctx.sink.lifecycle(Inbound::Disconnected { conn: self.id, reason });
        }
    }

    /// Drops the connection at once.
    pub(crate) fn kill(&mut self, reason: DisconnectReason, ctx: &mut Ctx<'_>) {
        self.announce_down(reason, ctx);
        self.phase = Phase::Dead;
    }

    /// Queues an outbound payload if the connection is open; reports cap violations.
    pub(crate) fn send(&mut self, msg: Outbound, ctx: &mut Ctx<'_>) {
        let Phase::Open(ws) = &mut self.phase else {
            return Counters::inc(&ctx.counters.sends_to_closed);
        };
        let caps = (ctx.cfg.outbound_cap_bytes, ctx.cfg.outbound_hard_cap_bytes);
        let frame = msg.payload.first() == Some(&msg_type::FRAME);
        match ws.get_mut().out.push_frame(msg.payload, msg.replaceable, caps) {
            Pushed::Queued => {
                // A replaced Frame grants nothing: the client gets one of the two.
                if frame {
                    self.acks.grant();
                }
                Counters::inc(&ctx.counters.messages_out);
            }
            Pushed::Replaced => {
                Counters::inc(&ctx.counters.messages_out);
                Counters::inc(&ctx.counters.outbound_replaced);
            }
            Pushed::Dropped => Counters::inc(&ctx.counters.outbound_dropped),
            Pushed::HardCap => self.slow_close(ctx),
        }
    }

    fn slow_close(&mut self, ctx: &mut Ctx<'_>) {
        Counters::inc(&ctx.counters.slow_consumer_closes);
        tracing::info!(conn = %self.id, peer = %self.peer, "closing: client does not read");
        self.start_close(cc::TRY_AGAIN_LATER, "client too slow to read", true, ctx);
    }

    /// Writes queued bytes; in `Closing`, shuts the write side once everything is out.
    /// Only an open connection holds state frames back and dates its writes.
    pub(crate) fn flush(&mut self, ctx: &mut Ctx<'_>) {
        let policy = matches!(self.phase, Phase::Open(_)).then(|| ctx.cfg.kernel_policy(ctx.now));
        let Some(sock) = self.sock_mut() else { return };
        let result = sock.flush_out(policy.as_ref());
        sock.update_cap_state(ctx.cfg.outbound_cap_bytes, ctx.now);
        match result {
            Err(e) => self.kill(lost(&e.to_string()), ctx),
            Ok(true) if matches!(self.phase, Phase::Closing(_)) && !self.write_shut => {
                self.write_shut = true;
                if let Phase::Closing(sock) = &self.phase {
                    let _ = sock.tcp.shutdown(std::net::Shutdown::Write);
                }
                if self.input_done {
                    self.phase = Phase::Dead;
                }
            }
            Ok(_) => {}
        }
    }

    /// Enforces deadlines: upgrade/Hello, idle ping and timeout, slow consumer, close linger.
    pub(crate) fn housekeeping(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        let cfg = ctx.cfg;
        let since_created = now.saturating_duration_since(self.created);
        match &mut self.phase {
            // A page still being written to a slow reader gets the slow-client time as well.
            Phase::Upgrade(sock, _)
                if since_created
                    > cfg.handshake_timeout
                        + if sock.out.queued_bytes() > 0 {
                            cfg.slow_client_timeout
                        } else {
                            Duration::ZERO
                        } =>
            {
                Counters::inc(&ctx.counters.handshake_timeouts);
                self.phase = Phase::Dead;
            }
            Phase::Open(_) if !self.session && since_created > cfg.handshake_timeout => {
                Counters::inc(&ctx.counters.handshake_timeouts);
                self.start_close(cc::HELLO_TIMEOUT, "no Hello before the deadline", true, ctx);
            }
            Phase::Open(ws) => {
                if ws.get_mut().is_slow(cfg.slow_client_timeout, now) {
                    return self.slow_close(ctx);
                }
                self.check_idle(ctx);
            }
            Phase::Closing(_) if self.close_deadline.is_some_and(|d| now >= d) => {
                self.phase = Phase::Dead;
            }
            _ => {}
        }
    }

    fn check_idle(&mut self, ctx: &mut Ctx<'_>) {
        let silent = ctx.now.saturating_duration_since(self.last_inbound);
        if silent > ctx.cfg.idle_timeout {
            Counters::inc(&ctx.counters.idle_timeouts);
            return self.start_close(cc::IDLE_TIMEOUT, "idle timeout", true, ctx);
        }
        // Never before Hello: a control frame before Hello is a protocol violation.
        if silent > ctx.cfg.ping_interval && !self.ping_sent && self.session {
            self.ping_sent = true;
            if let Phase::Open(ws) = &mut self.phase {
                let _ = ws.write(Message::Ping(Bytes::new()));
            }
            self.flush(ctx);
        }
    }
}

/// True for a binary message whose type byte is Ack's.
fn is_ack(msg: &Message) -> bool {
    matches!(msg, Message::Binary(payload) if payload.first() == Some(&msg_type::ACK))
}

/// Codes that may not appear in a close frame (1005, 1006, 1015, < 1000, ...) become 1000.
fn sendable(code: u16) -> CloseCode {
    let c = CloseCode::from(code);
    if c.is_allowed() { c } else { CloseCode::Normal }
}

fn lost(what: &str) -> DisconnectReason {
    DisconnectReason::Lost(what.to_owned())
}
