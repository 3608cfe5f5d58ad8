//! Network layer: the mio WebSocket event loop, protocol v2 codec and client library.
//!
//! `net` knows sockets, WebSocket and the wire codec, nothing of the game. See
//! `schemas/protocol.md` for the wire contract and [`server`] for the simulation-facing API.
//!
//! How a simulation uses it, once per tick:
//!
//! ```no_run
//! use net::protocol::{FrameBuilder, OwnState, ServerMessage};
//! use net::{Inbound, Outbound, Server, ServerConfig};
//!
//! let (server, inbound) = Server::start(ServerConfig::default())?;
//! let handle = server.handle();
//! let mut players = Vec::new();
//! for tick in 0u64.. {
//!     for event in inbound.try_iter() {
//!         match event {
//!             Inbound::Connected { conn, hello, .. } => players.push(conn), // check hello.token
//!             Inbound::Message { conn, msg } => { /* apply the order */ }
//!             Inbound::Disconnected { conn, reason } => players.retain(|&p| p != conn),
//!         }
//!     }
//!     // ... simulate, then one frame per player (replaceable: a newer one supersedes it):
//!     let frames = players
//!         .iter()
//!         .map(|&p| (p, Outbound::frame(FrameBuilder::new(tick, 0, &OwnState::default()).finish())))
//!         .collect();
//!     handle.send_many(frames)?;
//!     handle.set_server_tick(tick);
//! #   break;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod client;
mod config;
mod conn;
mod counters;
mod event_loop;
mod inbox;
mod kernel;
mod limits;
mod message;
mod outq;
mod pages;
pub mod protocol;
mod refusals;
pub mod server;
mod sink;
mod sockopt;
mod upgrade;

pub use config::{ConfigError, ServerConfig};
pub use counters::{ConnTraffic, Counters, CountersSnapshot};
pub use inbox::InboundReceiver;
pub use pages::{Page, Pages};
pub use server::{ConnId, DisconnectReason, Inbound, Outbound, SendError, Server, ServerHandle, StartError};
pub use sockopt::bind_listener;

/// Reference-counted payload bytes used by [`Outbound`] (re-exported for convenience).
pub use bytes::Bytes;
