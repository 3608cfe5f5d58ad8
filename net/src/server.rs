//! Public server API: start the event loop, receive client events, send payloads back.
//!
//! The simulation drains [`Inbound`] events once per tick ([`crate::InboundReceiver`]: Hellos on
//! their own channel, which it may also read between ticks, the rest on a bounded one) and answers
//! through a cloneable [`ServerHandle`] (a bounded command channel plus a coalesced
//! `mio::Waker`). Payloads are [`Bytes`]: broadcasting one to many connections shares it.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

use crossbeam_channel::{Sender, TrySendError};

use crate::config::{ConfigError, ServerConfig};
use crate::counters::Counters;
use crate::message::{Command, Shared};
pub use crate::message::{ConnId, DisconnectReason, Inbound, Outbound};

/// Why a command could not be handed to the event loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The command channel is full (the loop is far behind); nothing was queued.
    Full,
    /// The event loop has stopped.
    Stopped,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Full => write!(f, "network command channel is full"),
            SendError::Stopped => write!(f, "network event loop has stopped"),
        }
    }
}

impl std::error::Error for SendError {}

/// Why the server could not start.
#[derive(Debug)]
pub enum StartError {
    /// The configuration is invalid.
    Config(ConfigError),
    /// Binding, polling or spawning the thread failed.
    Io(io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Config(e) => write!(f, "{e}"),
            StartError::Io(e) => write!(f, "cannot start network server: {e}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Config(e) => Some(e),
            StartError::Io(e) => Some(e),
        }
    }
}

impl From<io::Error> for StartError {
    fn from(e: io::Error) -> Self {
        StartError::Io(e)
    }
}

/// Cloneable handle used by the simulation to send, broadcast and close.
#[derive(Clone, Debug)]
pub struct ServerHandle {
    pub(crate) tx: Sender<Command>,
    pub(crate) shared: Arc<Shared>,
}

impl ServerHandle {
    fn submit(&self, cmd: Command) -> Result<(), SendError> {
        self.try_submit(cmd).map_err(|(e, _)| e)
    }

    /// Queues a command, or hands it back with the reason it could not be queued.
    fn try_submit(&self, cmd: Command) -> Result<(), (SendError, Command)> {
        match self.tx.try_send(cmd) {
            Ok(()) => {
                if !self.shared.wake_pending.swap(true, Ordering::AcqRel) {
                    // A failed wake means the loop is gone; the next send reports Stopped.
                    let _ = self.shared.waker.wake();
                }
                Ok(())
            }
            Err(TrySendError::Full(cmd)) => Err((SendError::Full, cmd)),
            Err(TrySendError::Disconnected(cmd)) => Err((SendError::Stopped, cmd)),
        }
    }

    /// Queues one payload for one connection (stale ids are ignored by the loop).
    pub fn send(&self, conn: ConnId, msg: Outbound) -> Result<(), SendError> {
        self.submit(Command::Send(conn, msg))
    }

    /// Queues many per-connection payloads in one command (e.g. a tick's frames).
    pub fn send_many(&self, batch: Vec<(ConnId, Outbound)>) -> Result<(), SendError> {
        self.submit(Command::SendMany(batch))
    }

    /// [`ServerHandle::send_many`] that hands the batch back when it could not be queued, so a
    /// caller can keep what must not be lost without copying the batch beforehand.
    pub fn send_many_or_return(
        &self,
        batch: Vec<(ConnId, Outbound)>,
    ) -> Result<(), (SendError, Vec<(ConnId, Outbound)>)> {
        match self.try_submit(Command::SendMany(batch)) {
            Ok(()) => Ok(()),
            Err((e, Command::SendMany(batch))) => Err((e, batch)),
            Err((e, _)) => Err((e, Vec::new())),
        }
    }

    /// Queues one shared payload for many connections; the bytes are never copied per client.
    pub fn broadcast(&self, conns: Vec<ConnId>, msg: Outbound) -> Result<(), SendError> {
        self.submit(Command::Broadcast(conns, msg))
    }

    /// Closes a connection after its queued data, with a close code (1000 or 4100..=4999 for
    /// game reasons) and a reason (truncated to 123 bytes).
    pub fn close(&self, conn: ConnId, code: u16, reason: &str) -> Result<(), SendError> {
        self.submit(Command::Close(conn, code, reason.to_owned()))
    }

    /// Publishes the current simulation tick (reported in `Pong`).
    pub fn set_server_tick(&self, tick: u64) {
        self.shared.server_tick.store(tick, Ordering::Relaxed);
    }

    /// Live counters of the network layer.
    pub fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    /// Asks the loop to close every connection with 1001 and stop.
    pub fn shutdown(&self) {
        self.shared.shutdown.store(true, Ordering::Release);
        let _ = self.shared.waker.wake();
    }
}

/// The running server: owns the event-loop thread; dropping it shuts the loop down and joins it.
#[derive(Debug)]
pub struct Server {
    handle: ServerHandle,
    local_addr: SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds, spawns the event-loop thread and returns the server plus the inbound event channel.
    pub fn start(config: ServerConfig) -> Result<(Server, crate::InboundReceiver), StartError> {
        Self::start_on(config, None)
    }

    /// Like [`Server::start`] on a listener the caller has already bound (`config.bind` is then
    /// not used): a busy port shows before the caller opens anything else, with no window in
    /// which another process could take it.
    pub fn start_with_listener(
        config: ServerConfig,
        listener: std::net::TcpListener,
    ) -> Result<(Server, crate::InboundReceiver), StartError> {
        Self::start_on(config, Some(listener))
    }

    fn start_on(
        config: ServerConfig,
        listener: Option<std::net::TcpListener>,
    ) -> Result<(Server, crate::InboundReceiver), StartError> {
        config.validate().map_err(StartError::Config)?;
        let started = crate::event_loop::spawn(config, listener)?;
        let handle = ServerHandle { tx: started.commands, shared: started.shared };
        let server = Server { handle, local_addr: started.local_addr, thread: Some(started.thread) };
        Ok((server, started.inbound))
    }

    /// A cloneable handle for sending.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Live counters.
    pub fn counters(&self) -> &Counters {
        self.handle.counters()
    }

    /// Closes every connection with 1001 (going away), waits for the loop to finish.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.handle.shutdown();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
