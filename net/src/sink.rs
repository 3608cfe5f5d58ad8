//! Ordered delivery of inbound events to the simulation's channels (read as one stream by
//! [`crate::InboundReceiver`]).
//!
//! `Connected` goes at once to the hello channel, which is unbounded: a connection sends one, and
//! connections are limited. Everything else goes to the bounded event channel. Client messages
//! are droppable: when the channel is full they are dropped and counted. `Disconnected` must
//! never be lost: it waits in an overflow queue that is retried every loop iteration, and while
//! that is non-empty no message is sent (so a message never overtakes an earlier
//! `Disconnected`).

use std::collections::VecDeque;

use crossbeam_channel::{Sender, TrySendError};

use crate::counters::Counters;
use crate::message::Inbound;

/// The loop's side of the inbound channel.
#[derive(Debug)]
pub(crate) struct InboundSink {
    hellos: Sender<Inbound>,
    tx: Sender<Inbound>,
    overflow: VecDeque<Inbound>,
}

impl InboundSink {
    /// Wraps the sending sides: the hello channel (unbounded) and the event channel.
    pub(crate) fn new(hellos: Sender<Inbound>, tx: Sender<Inbound>) -> Self {
        InboundSink { hellos, tx, overflow: VecDeque::new() }
    }

    /// Delivers a `Connected` event now (before any other event of its connection).
    pub(crate) fn connected(&mut self, ev: Inbound) {
        // Unbounded: only fails once the simulation dropped its receiver.
        let _ = self.hellos.send(ev);
    }

    /// Delivers a `Disconnected` event now or as soon as the channel has room.
    pub(crate) fn lifecycle(&mut self, ev: Inbound) {
        self.retry();
        if !self.overflow.is_empty() {
            self.overflow.push_back(ev);
            return;
        }
        if let Err(TrySendError::Full(ev)) = self.tx.try_send(ev) {
            self.overflow.push_back(ev);
        }
    }

    /// Delivers a client message or drops it (counted) if the simulation is behind.
    pub(crate) fn message(&mut self, ev: Inbound, counters: &Counters) {
        self.retry();
        if !self.overflow.is_empty() || self.tx.try_send(ev).is_err() {
            Counters::inc(&counters.inbound_dropped);
        }
    }

    /// Moves overflowed lifecycle events into the channel while it has room.
    pub(crate) fn retry(&mut self) {
        while let Some(ev) = self.overflow.pop_front() {
            match self.tx.try_send(ev) {
                Ok(()) => {}
                Err(TrySendError::Full(ev)) => {
                    self.overflow.push_front(ev);
                    return;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.overflow.clear();
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{ConnId, DisconnectReason};
    use crate::protocol::{ClientMessage, Hello, SessionToken};

    fn id(i: u32) -> ConnId {
        ConnId::from_u64(u64::from(i))
    }

    fn connected(i: u32) -> Inbound {
        let hello = Hello { name: String::new(), token: SessionToken::NONE };
        let traffic = Default::default();
        Inbound::Connected { conn: id(i), peer: "127.0.0.1:1".parse().unwrap(), hello, traffic }
    }

    fn gone(i: u32) -> Inbound {
        Inbound::Disconnected { conn: id(i), reason: DisconnectReason::Lost("x".into()) }
    }

    #[test]
    fn disconnects_wait_and_messages_never_overtake_them() {
        let (hello_tx, hellos) = crossbeam_channel::unbounded();
        let (tx, rx) = crossbeam_channel::bounded(1);
        let counters = Counters::default();
        let mut sink = InboundSink::new(hello_tx, tx);
        sink.connected(connected(1));
        sink.connected(connected(2));
        sink.message(Inbound::Message { conn: id(3), msg: ClientMessage::Ping { nonce: 0 } }, &counters);
        sink.lifecycle(gone(1));
        sink.lifecycle(gone(2));
        sink.message(Inbound::Message { conn: id(3), msg: ClientMessage::Ping { nonce: 1 } }, &counters);
        assert_eq!(counters.snapshot().inbound_dropped, 1, "message dropped while a Disconnected waits");
        assert_eq!(hellos.len(), 2, "Connected events never wait");
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(rx.try_recv().expect("queued event"));
            sink.retry();
        }
        assert!(matches!(seen[0], Inbound::Message { conn, .. } if conn == id(3)));
        assert!(matches!(seen[1], Inbound::Disconnected { conn, .. } if conn == id(1)));
        assert!(matches!(seen[2], Inbound::Disconnected { conn, .. } if conn == id(2)));
        assert!(rx.try_recv().is_err());
    }
}
