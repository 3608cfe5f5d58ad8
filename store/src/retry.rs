//! A worker's own database connection, reopened with exponential backoff after transient failures.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::backend::{Backend, Connector};
use crate::error::StoreError;
use crate::stats::Counters;

/// Backoff bounds for reconnecting and retrying.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub min: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { min: Duration::from_millis(50), max: Duration::from_secs(5) }
    }
}

/// A lazily opened connection plus the policy for retrying on it.
pub(crate) struct Conn {
    connector: Connector,
    backend: Option<Box<dyn Backend>>,
    backoff: Backoff,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    name: &'static str,
    /// The last connection attempt failed.
    down: bool,
}

impl Conn {
    pub(crate) fn new(
        connector: Connector,
        backoff: Backoff,
        stop: Arc<AtomicBool>,
        counters: Arc<Counters>,
        name: &'static str,
    ) -> Conn {
        Conn { connector, backend: None, backoff, stop, counters, name, down: false }
    }

    /// Runs `f` once on the connection (opening it if needed). A transient error drops the
    /// connection so the next call reconnects.
    pub(crate) fn try_once<T>(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Backend) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.backend.is_none() {
            match self.connector.connect() {
                Ok(b) => {
                    self.backend = Some(b);
                    self.down = false;
                }
                // Whatever stops us from connecting, the database is unavailable to this worker.
                Err(e) => {
                    self.down = true;
                    return Err(StoreError::Unavailable(e.to_string()));
                }
            }
        }
        let backend = self.backend.as_mut().expect("connected above");
        let result = f(backend.as_mut());
        if matches!(&result, Err(e) if e.is_transient()) {
            self.backend = None;
        }
        result
    }

    /// Runs `f` until it succeeds or fails permanently. Gives up only when the pool stops
    /// (`StoreError::Closed`) or, if `deadline` is set, when it passes (the last error).
    pub(crate) fn retry<T>(
        &mut self,
        deadline: Option<Instant>,
        f: &mut dyn FnMut(&mut dyn Backend) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut delay = self.backoff.min;
        loop {
            // Stopping with the database unreachable: fail fast instead of reconnecting per op.
            if self.down && self.stop.load(Ordering::Relaxed) {
                return Err(StoreError::Closed);
            }
            let err = match self.try_once(f) {
                Err(e) if e.is_transient() => e,
                other => return other,
            };
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(worker = self.name, error = %err, retry_in = ?delay, "storage write failed, retrying");
            if deadline.is_some_and(|d| Instant::now() + delay > d) {
                return Err(err);
            }
            if !self.sleep(delay) {
                return Err(StoreError::Closed);
            }
            delay = (delay * 2).min(self.backoff.max);
        }
    }

    /// Sleeps in short slices; false if the pool was told to stop meanwhile.
    pub(crate) fn sleep(&self, total: Duration) -> bool {
        let end = Instant::now() + total;
        while Instant::now() < end {
            if self.stop.load(Ordering::Relaxed) {
                return false;
            }
            std::thread::sleep((end - Instant::now()).min(Duration::from_millis(20)));
        }
        !self.stop.load(Ordering::Relaxed)
    }
}
