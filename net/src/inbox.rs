//! The simulation's side of the inbound events: two channels read as one ordered stream.
//!
//! `Connected` events (a valid Hello) travel on their own channel, so a simulation can start
//! logins between its ticks ([`InboundReceiver::try_hello`]) without touching the client
//! messages, which it drains once per tick. Every other event travels on the bounded event
//! channel. [`InboundReceiver::try_recv`] keeps the per-connection order `Connected`,
//! `Message`*, `Disconnected`: the network thread sends a connection's `Connected` before any
//! other event of it, so once an event is taken from the event channel every `Connected` sent
//! before it is already on the hello channel, and those are handed out first.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Select, TryRecvError};

use crate::message::Inbound;

/// The receiving end of the inbound events returned by [`crate::Server::start`].
#[derive(Debug)]
pub struct InboundReceiver {
    hellos: Receiver<Inbound>,
    events: Receiver<Inbound>,
    /// An event taken from the event channel while `Connected` events sent before it were still
    /// waiting: handed out once those are. (A mutex, never contended, keeps the receiver `Sync`.)
    held: Mutex<Option<Inbound>>,
}

impl InboundReceiver {
    pub(crate) fn new(hellos: Receiver<Inbound>, events: Receiver<Inbound>) -> Self {
        Self { hellos, events, held: Mutex::new(None) }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Option<Inbound>> {
        self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next event in order, if one is waiting. `Disconnected` once the network thread is
    /// gone and everything it sent was taken.
    pub fn try_recv(&self) -> Result<Inbound, TryRecvError> {
        if let Ok(hello) = self.hellos.try_recv() {
            return Ok(hello);
        }
        if let Some(held) = self.held().take() {
            return Ok(held);
        }
        let event = self.events.try_recv()?;
        // Every `Connected` sent before `event` is on the hello channel by now.
        match self.hellos.try_recv() {
            Ok(hello) => {
                *self.held() = Some(event);
                Ok(hello)
            }
            Err(_) => Ok(event),
        }
    }

    /// The next `Connected` event alone, if one is waiting (the other events stay queued in
    /// order). Taking a connection's `Connected` early never reorders it: it comes first anyway.
    pub fn try_hello(&self) -> Option<Inbound> {
        self.hellos.try_recv().ok()
    }

    /// Waits until a `Connected` event is waiting or `deadline` passes; true if one is. (After
    /// the network thread ended it just sleeps until `deadline`.)
    pub fn wait_hello(&self, deadline: Instant) -> bool {
        let mut select = Select::new();
        select.recv(&self.hellos);
        if select.ready_deadline(deadline).is_err() {
            return false;
        }
        if self.hellos.is_empty() {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            return false;
        }
        true
    }

    /// The next event in order, waiting at most `timeout` for one.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Inbound, RecvTimeoutError> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.try_recv() {
                Ok(event) => return Ok(event),
                Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
                Err(TryRecvError::Empty) => {}
            }
            let mut select = Select::new();
            select.recv(&self.hellos);
            select.recv(&self.events);
            if select.ready_deadline(deadline).is_err() {
                return Err(RecvTimeoutError::Timeout);
            }
        }
    }

    /// The events waiting now, in order.
    pub fn try_iter(&self) -> impl Iterator<Item = Inbound> + '_ {
        std::iter::from_fn(|| self.try_recv().ok())
    }

    /// Events waiting now.
    pub fn len(&self) -> usize {
        self.hellos.len() + self.events.len() + usize::from(self.held().is_some())
    }

    /// Whether no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{ConnId, DisconnectReason};
    use crate::protocol::{ClientMessage, Hello, SessionToken};
    use crossbeam_channel::Sender;

    fn connected(i: u64) -> Inbound {
        let hello = Hello { name: String::new(), token: SessionToken::NONE };
        let conn = ConnId::from_u64(i);
        Inbound::Connected { conn, peer: "127.0.0.1:1".parse().unwrap(), hello, traffic: Default::default() }
    }

    fn order(ev: &Inbound) -> (u64, u8) {
        match ev {
            Inbound::Connected { conn, .. } => (conn.to_u64(), 0),
            Inbound::Message { conn, .. } => (conn.to_u64(), 1),
            Inbound::Disconnected { conn, .. } => (conn.to_u64(), 2),
        }
    }

    /// A receiver whose channels hold connection 1's Connected and one message of it.
    fn connection_1_with_a_message() -> (Sender<Inbound>, Sender<Inbound>, InboundReceiver) {
        let (hello_tx, hellos) = crossbeam_channel::unbounded();
        let (event_tx, events) = crossbeam_channel::bounded(16);
        hello_tx.send(connected(1)).unwrap();
        let ping = ClientMessage::Ping { nonce: 1 };
        event_tx.send(Inbound::Message { conn: ConnId::from_u64(1), msg: ping }).unwrap();
        (hello_tx, event_tx, InboundReceiver::new(hellos, events))
    }

    #[test]
    fn a_connections_events_come_after_its_connected_even_when_sent_meanwhile() {
        let (hello_tx, event_tx, inbox) = connection_1_with_a_message();
        assert_eq!(order(&inbox.try_recv().unwrap()), (1, 0));
        // Connection 2's Connected is sent after connection 1's message was queued but before
        // its own Disconnected: the reader must not see that Disconnected first.
        hello_tx.send(connected(2)).unwrap();
        let lost = DisconnectReason::Lost("x".into());
        event_tx.send(Inbound::Disconnected { conn: ConnId::from_u64(2), reason: lost }).unwrap();
        let seen: Vec<_> = inbox.try_iter().map(|e| order(&e)).collect();
        let connected_2 = seen.iter().position(|&e| e == (2, 0)).expect("connection 2's Connected");
        let gone_2 = seen.iter().position(|&e| e == (2, 2)).expect("connection 2's Disconnected");
        assert!(connected_2 < gone_2, "{seen:?}");
        assert!(seen.contains(&(1, 1)), "{seen:?}");
        assert_eq!(inbox.len(), 0);
    }

    #[test]
    fn hellos_are_taken_alone_and_the_rest_stays_in_order() {
        let (hello_tx, event_tx, inbox) = connection_1_with_a_message();
        hello_tx.send(connected(2)).unwrap();
        assert!(inbox.wait_hello(Instant::now()));
        assert_eq!(order(&inbox.try_hello().unwrap()), (1, 0));
        assert_eq!(order(&inbox.try_hello().unwrap()), (2, 0));
        assert!(inbox.try_hello().is_none());
        assert!(!inbox.wait_hello(Instant::now() + Duration::from_millis(5)));
        assert_eq!(order(&inbox.recv_timeout(Duration::from_millis(5)).unwrap()), (1, 1));
        assert!(matches!(inbox.recv_timeout(Duration::from_millis(5)), Err(RecvTimeoutError::Timeout)));
        drop((hello_tx, event_tx));
        assert!(matches!(inbox.recv_timeout(Duration::from_secs(5)), Err(RecvTimeoutError::Disconnected)));
    }
}
