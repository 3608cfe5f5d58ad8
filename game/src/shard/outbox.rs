//! The tick's way out to the network thread: the messages built this tick (replies and frames
//! answering inputs first, everyone else's frames later), the reliable ones the network thread
//! had no room for (sent again first next time), and the count of those overflows.

use crate::replicate::Outgoing;
use net::protocol::ServerMessage;
use net::{ConnId, CountersSnapshot, Outbound, SendError, ServerHandle};

/// Messages on their way to the network thread.
#[derive(Debug)]
pub(crate) struct Outbox {
    net: ServerHandle,
    /// This tick's messages, until [`Outbox::send`].
    pub out: Outgoing,
    /// Reliable messages the network thread could not take, sent again before the next ones.
    backlog: Vec<(ConnId, Outbound)>,
    /// Batches the network thread could not take (its queue was full).
    overflows: u64,
}

impl Outbox {
    /// An empty outbox to `net`.
    pub(crate) fn new(net: ServerHandle) -> Self {
        Self { net, out: Outgoing::default(), backlog: Vec::new(), overflows: 0 }
    }

    /// Queues a reliable message to go out with the first messages of the tick.
    pub(crate) fn reply(&mut self, conn: ConnId, msg: &ServerMessage) {
        self.out.first.push((conn, Outbound::reliable(msg.encode())));
    }

    /// True when there is nothing to send.
    pub(crate) fn is_empty(&self) -> bool {
        self.out.is_empty() && self.backlog.is_empty()
    }

    /// Hands the backlog and the queued messages to the network thread; when it has no room,
    /// the reliable ones wait for the next call. Returns how many messages were handed over.
    pub(crate) fn send(&mut self) -> usize {
        let mut batch = std::mem::take(&mut self.backlog);
        self.out.drain_into(&mut batch);
        let sent = batch.len();
        match self.net.send_many_or_return(batch) {
            Ok(()) => {}
            Err((SendError::Full, mut batch)) => {
                // Frames are superseded next tick; everything else waits for the next send.
                self.overflows += 1;
                batch.retain(|(_, o)| !o.replaceable);
                self.backlog = batch;
            }
            Err((SendError::Stopped, _)) => {}
        }
        sent
    }

    /// Closes a connection with a close code (the network thread sends the close frame).
    pub(crate) fn close(&self, conn: ConnId, code: u16, reason: &str) {
        let _ = self.net.close(conn, code, reason);
    }

    /// Tells the network thread the current tick.
    pub(crate) fn set_server_tick(&self, tick: u64) {
        self.net.set_server_tick(tick);
    }

    /// The network thread's counters.
    pub(crate) fn net_counters(&self) -> CountersSnapshot {
        self.net.counters().snapshot()
    }

    /// Batches the network thread could not take so far.
    pub(crate) fn overflows(&self) -> u64 {
        self.overflows
    }
}
