//! One client connection inside the [`Driver`](super::Driver): non-blocking connect, upgrade and
//! read loop. The upgrade request is queued at once and written when the socket connects.
//! The driver's public types (ids, settings, events, totals) live here, beside their user.

use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::client::ClientHandshake;
use tungstenite::handshake::{HandshakeError, MidHandshake};
use tungstenite::{Message, WebSocket};

use super::error::{ClientError, CloseInfo};
use crate::outq::Sock;
use crate::protocol::{ClientMessage, DecodeError, Hello, ServerMessage};

/// Identifies a driver connection (slot index plus generation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId {
    pub(super) index: u32,
    pub(super) generation: u32,
}

impl ClientId {
    /// Slot index, dense from 0 (handy to index per-bot state).
    pub fn index(self) -> u32 {
        self.index
    }
}

/// Driver settings.
#[derive(Clone, Debug)]
pub struct DriverConfig {
    /// Read buffer per connection, bytes.
    pub read_buffer_size: usize,
    /// Largest server message accepted, bytes.
    pub max_message_size: usize,
    /// Connect plus upgrade deadline.
    pub connect_timeout: Duration,
    /// Decode and return each message as an event; false only counts them (benchmarks).
    pub deliver_messages: bool,
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig {
            read_buffer_size: 4096,
            max_message_size: 1 << 20,
            connect_timeout: Duration::from_secs(10),
            deliver_messages: true,
        }
    }
}

/// Something that happened on a driver connection.
#[derive(Debug)]
pub enum DriverEvent {
    /// The WebSocket upgrade completed (`Hello`, if given to `connect`, has been queued).
    Connected(ClientId),
    /// A decoded server message and when it was read off the socket (a client's latency
    /// figures then leave out the time it spent on other connections' messages first).
    Message(ClientId, ServerMessage, Instant),
    /// A server message that did not decode.
    Malformed(ClientId, DecodeError),
    /// The connection ended (close frame, refusal, error or local close); the id is dead.
    Closed(ClientId, CloseInfo),
}

/// Totals since the driver was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DriverStats {
    /// Upgrades completed.
    pub connected: u64,
    /// Connections ended.
    pub closed: u64,
    /// Binary messages received.
    pub messages_in: u64,
    /// Messages sent.
    pub messages_out: u64,
    /// Bytes read from sockets.
    pub bytes_in: u64,
    /// Bytes written to sockets.
    pub bytes_out: u64,
}

type Upgrade = MidHandshake<ClientHandshake<Sock>>;

#[derive(Debug)]
enum Phase {
    Upgrade(Upgrade),
    Open(WebSocket<Sock>),
    Dead,
}

/// A driver connection.
#[derive(Debug)]
pub(crate) struct DriverConn {
    id: ClientId,
    phase: Phase,
    started: Instant,
    hello: Option<Hello>,
    finished: bool,
}

/// Shared mutable state a connection reports into.
#[derive(Debug)]
pub(crate) struct Report<'a> {
    pub(crate) cfg: &'a DriverConfig,
    pub(crate) events: &'a mut Vec<DriverEvent>,
    pub(crate) stats: &'a mut DriverStats,
}

impl DriverConn {
    /// Queues the upgrade request on a connecting socket.
    pub(crate) fn start(
        id: ClientId,
        sock: Sock,
        url: &str,
        hello: Option<Hello>,
        cfg: &DriverConfig,
    ) -> io::Result<Self> {
        let request = url.into_client_request().map_err(io::Error::other)?;
        let ws_cfg = super::client_ws_config(cfg.read_buffer_size, cfg.max_message_size);
        let mid = ClientHandshake::start(sock, request, Some(ws_cfg)).map_err(io::Error::other)?;
        let phase = Phase::Upgrade(mid);
        Ok(DriverConn { id, phase, started: Instant::now(), hello, finished: false })
    }

    /// True once the driver should free the slot.
    pub(crate) fn is_dead(&self) -> bool {
        matches!(self.phase, Phase::Dead)
    }

    /// True when messages can be sent.
    pub(crate) fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open(_))
    }

    fn sock_mut(&mut self) -> Option<&mut Sock> {
        match &mut self.phase {
            Phase::Upgrade(mid) => Some(mid.get_mut().get_mut()),
            Phase::Open(ws) => Some(ws.get_mut()),
            Phase::Dead => None,
        }
    }

    /// A readiness event: clears the short-read shortcut, then progresses.
    pub(crate) fn on_event(&mut self, read_closed: bool, r: &mut Report<'_>) {
        if let Some(sock) = self.sock_mut() {
            sock.on_event(read_closed);
        }
        self.on_ready(r);
    }

    /// Progresses: upgrade, then read until WouldBlock, then flush.
    pub(crate) fn on_ready(&mut self, r: &mut Report<'_>) {
        if matches!(self.phase, Phase::Upgrade(_)) {
            self.drive_upgrade(r);
        }
        if matches!(self.phase, Phase::Open(_)) {
            self.read_open(r);
        }
        self.flush(r);
    }

    fn drive_upgrade(&mut self, r: &mut Report<'_>) {
        let Phase::Upgrade(mid) = std::mem::replace(&mut self.phase, Phase::Dead) else { return };
        match mid.handshake() {
            Ok((ws, _response)) => {
                self.phase = Phase::Open(ws);
                r.stats.connected += 1;
                r.events.push(DriverEvent::Connected(self.id));
                if let Some(hello) = self.hello.take() {
                    self.send(&ClientMessage::Hello(hello).encode().into(), r);
                }
            }
            Err(HandshakeError::Interrupted(mid)) => self.phase = Phase::Upgrade(mid),
            Err(HandshakeError::Failure(e)) => self.fail(&ClientError::from(e).to_string(), r),
        }
    }

    fn read_open(&mut self, r: &mut Report<'_>) {
        while let Phase::Open(ws) = &mut self.phase {
            match ws.read() {
                Ok(Message::Binary(b)) => self.on_binary(b, r),
                Ok(Message::Close(frame)) => {
                    let _ = ws.flush();
                    let info = match frame {
                        Some(f) => CloseInfo { code: Some(f.code.into()), reason: f.reason.to_string() },
                        None => CloseInfo { code: None, reason: String::new() },
                    };
                    self.flush(r);
                    self.finish(info, r);
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => self.fail(&ClientError::from(e).to_string(), r),
            }
        }
    }

    fn on_binary(&mut self, b: Bytes, r: &mut Report<'_>) {
        r.stats.messages_in += 1;
        if !r.cfg.deliver_messages {
            return;
        }
        let ev = match ServerMessage::decode(&b) {
            Ok(msg) => DriverEvent::Message(self.id, msg, Instant::now()),
            Err(e) => DriverEvent::Malformed(self.id, e),
        };
        r.events.push(ev);
    }

    /// Sends one encoded message; false if the connection is not open.
    pub(crate) fn send(&mut self, payload: &Bytes, r: &mut Report<'_>) -> bool {
        let Phase::Open(ws) = &mut self.phase else { return false };
        match ws.write(Message::Binary(payload.clone())) {
            Ok(()) => {
                r.stats.messages_out += 1;
                true
            }
            Err(e) => {
                self.fail(&ClientError::from(e).to_string(), r);
                false
            }
        }
    }

    /// Sends a close frame (code 1000) and forgets the connection.
    pub(crate) fn close(&mut self, r: &mut Report<'_>) {
        if let Phase::Open(ws) = &mut self.phase {
            let _ = ws.close(Some(super::leaving()));
        }
        self.flush(r);
        let reason = "closed by client".to_owned();
        self.finish(CloseInfo { code: None, reason }, r);
    }

    /// Writes queued bytes.
    pub(crate) fn flush(&mut self, r: &mut Report<'_>) {
        let Some(sock) = self.sock_mut() else { return };
        // A client has no state frames to hold back.
        if let Err(e) = sock.flush_out(None) {
            self.fail(&e.to_string(), r);
        }
    }

    /// Gives up on a connection whose upgrade takes longer than the connect timeout.
    pub(crate) fn check_timeout(&mut self, now: Instant, r: &mut Report<'_>) {
        let late = now.saturating_duration_since(self.started) > r.cfg.connect_timeout;
        if matches!(self.phase, Phase::Upgrade(_)) && late {
            self.fail("connect timeout", r);
        }
    }

    fn fail(&mut self, reason: &str, r: &mut Report<'_>) {
        self.finish(CloseInfo { code: None, reason: reason.to_owned() }, r);
    }

    fn finish(&mut self, info: CloseInfo, r: &mut Report<'_>) {
        self.phase = Phase::Dead;
        if !std::mem::replace(&mut self.finished, true) {
            r.stats.closed += 1;
            r.events.push(DriverEvent::Closed(self.id, info));
        }
    }
}
