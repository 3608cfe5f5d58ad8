//! Replies from the store's threads: a receiver the caller polls (tick) or waits on (shutdown).

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};

use crate::error::StoreError;

/// The result of an off-thread operation, delivered once.
#[derive(Debug)]
pub struct Pending<T> {
    rx: Receiver<Result<T, StoreError>>,
}

/// Resolves once a write is durable (or has failed permanently).
pub type Ticket = Pending<()>;

impl<T> Pending<T> {
    pub(crate) fn channel() -> (Sender<Result<T, StoreError>>, Pending<T>) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        (tx, Pending { rx })
    }

    /// Non-blocking: `None` while the operation is still running.
    pub fn try_take(&self) -> Option<Result<T, StoreError>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(StoreError::Closed)),
        }
    }

    /// Blocks until the result arrives or `timeout` passes (`StoreError::Timeout`).
    pub fn wait(&self, timeout: Duration) -> Result<T, StoreError> {
        match self.rx.recv_timeout(timeout) {
            Ok(r) => r,
            Err(RecvTimeoutError::Timeout) => Err(StoreError::Timeout),
            Err(RecvTimeoutError::Disconnected) => Err(StoreError::Closed),
        }
    }

    /// The underlying receiver, for `crossbeam_channel::select!`.
    pub fn receiver(&self) -> &Receiver<Result<T, StoreError>> {
        &self.rx
    }
}
