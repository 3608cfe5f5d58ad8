//! The types the simulation and the event loop exchange: connection ids, inbound events,
//! outbound payloads, the commands handles send, and the state handles share with the loop.
//!
//! Public ones are re-exported by [`crate::server`] (and the crate root), where users find them.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};

use bytes::Bytes;

use crate::counters::{ConnTraffic, Counters};
use crate::protocol::{ClientMessage, Hello};

/// A connection id: slot index plus generation, so a stale id never reaches a new connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId {
    pub(crate) index: u32,
    pub(crate) generation: u32,
}

impl ConnId {
    /// Packs the id into a u64 (index low, generation high), e.g. for logs or maps.
    pub fn to_u64(self) -> u64 {
        u64::from(self.index) | (u64::from(self.generation) << 32)
    }

    /// Unpacks an id made by [`ConnId::to_u64`].
    pub fn from_u64(v: u64) -> Self {
        ConnId { index: v as u32, generation: (v >> 32) as u32 }
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}.{}", self.index, self.generation)
    }
}

/// Why a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The client sent a close frame (with its code, if any).
    PeerClosed(Option<u16>),
    /// The socket ended without a close frame (EOF, reset, I/O error).
    Lost(String),
    /// The server closed it with this close code (limits, protocol errors, game request,
    /// shutdown); see `protocol::close_code`.
    ServerClosed(u16),
}

/// An event for the simulation, in order per connection: `Connected`, `Message`*, `Disconnected`.
#[derive(Clone, Debug)]
pub enum Inbound {
    /// A client completed the WebSocket upgrade and sent a valid `Hello`.
    Connected {
        /// The new session's id.
        conn: ConnId,
        /// Remote address.
        peer: SocketAddr,
        /// Name and session token from `Hello`.
        hello: Hello,
        /// The connection's bytes read and written so far, kept up to date by the network
        /// thread (per-client bandwidth for operators).
        traffic: Arc<ConnTraffic>,
    },
    /// A decoded client message (never `Hello` or `Ping`: the network layer handles those).
    Message {
        /// Sender.
        conn: ConnId,
        /// The message.
        msg: ClientMessage,
    },
    /// The session ended; the id is dead from now on. Sent exactly once per `Connected`.
    Disconnected {
        /// The session.
        conn: ConnId,
        /// Why.
        reason: DisconnectReason,
    },
}

/// One outgoing payload (an encoded `ServerMessage`).
#[derive(Clone, Debug)]
pub struct Outbound {
    /// The encoded message, shared between recipients.
    pub payload: Bytes,
    /// True for state frames: a newer one replaces an unsent older one, and one arriving while
    /// the client's queue is over its cap is dropped. False: always delivered in order.
    pub replaceable: bool,
}

impl Outbound {
    /// A message that must arrive (Welcome, ChunkData, Error, ...).
    pub fn reliable(payload: Bytes) -> Self {
        Outbound { payload, replaceable: false }
    }

    /// A state frame that a newer frame may replace.
    pub fn frame(payload: Bytes) -> Self {
        Outbound { payload, replaceable: true }
    }
}

/// Commands from handles to the event loop.
#[derive(Debug)]
pub(crate) enum Command {
    Send(ConnId, Outbound),
    SendMany(Vec<(ConnId, Outbound)>),
    Broadcast(Vec<ConnId>, Outbound),
    Close(ConnId, u16, String),
}

/// State shared by all handles and the loop.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) waker: mio::Waker,
    pub(crate) wake_pending: AtomicBool,
    pub(crate) counters: Arc<Counters>,
    pub(crate) server_tick: AtomicU64,
    pub(crate) shutdown: AtomicBool,
}
