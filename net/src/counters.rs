//! Network counters as atomics, for the shard's metrics exporter.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Defines the counters struct and its plain-value snapshot from one field list.
macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// Live counters updated by the event loop (relaxed atomics, monotonic unless noted).
        #[derive(Debug, Default)]
        pub struct Counters { $($(#[$doc])* pub $name: AtomicU64,)* }

        /// A plain copy of [`Counters`] at one instant.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct CountersSnapshot { $($(#[$doc])* pub $name: u64,)* }

        impl Counters {
            /// Copies every counter.
            pub fn snapshot(&self) -> CountersSnapshot {
                CountersSnapshot { $($name: self.$name.load(Relaxed),)* }
            }
        }
    };
}

counters! {
    /// TCP connections accepted (before limits).
    accepted,
    /// Refused with HTTP 503 because `max_connections` was reached.
    rejected_max_connections,
    /// Refused with HTTP 503 because `max_connections_per_ip` was reached.
    rejected_per_ip,
    /// WebSocket upgrades that failed: refused with an HTTP error status (bad HTTP, not a
    /// WebSocket upgrade, unsupported version, head too large) or lost (EOF, I/O error).
    handshake_failures,
    /// Connections dropped for not completing the upgrade or `Hello` in time.
    handshake_timeouts,
    /// Sessions that sent a valid `Hello` (Connected events).
    sessions,
    /// Sockets currently held by the loop (gauge).
    active_connections,
    /// Sessions currently open (gauge).
    active_sessions,
    /// Bytes read from sockets.
    bytes_in,
    /// Bytes written to sockets.
    bytes_out,
    /// Client messages received (all WebSocket data and control frames).
    messages_in,
    /// Server messages queued for sending (each recipient counts once).
    messages_out,
    /// Client messages dropped by the rate limiter.
    rate_limit_drops,
    /// Connections closed with 1008 for sustained rate-limit abuse (messages or bytes).
    rate_limit_closes,
    /// Replaceable frames that replaced an unsent older one.
    outbound_replaced,
    /// Replaceable frames dropped because the queue was over its cap.
    outbound_dropped,
    /// Connections closed with 1013 (stuck at the outbound cap).
    slow_consumer_closes,
    /// Connections closed with 4004 (idle timeout).
    idle_timeouts,
    /// Connections closed for protocol errors (1002, 1003, 1007, 1009, 4000–4002).
    protocol_closes,
    /// `Error` messages for unknown message types or duplicate `Hello`.
    protocol_errors,
    /// Inbound client messages dropped because the simulation's channel was full.
    inbound_dropped,
    /// Outbound commands for connections that were already gone.
    sends_to_closed,
    /// Input bytes read beyond a connection's byte budget (each adds to its abuse score).
    input_bytes_over_budget,
    /// Read turns cut at the per-turn budget (the connection was resumed after the others).
    read_turns_cut,
    /// Readings of a socket's unsent bytes from the kernel (one `ioctl` each, only when the
    /// upper bound kept per connection crosses `kernel_backlog_bytes` or the soft cap).
    kernel_checks,
    /// Flushes that kept a state frame queued because the kernel held more than
    /// `kernel_backlog_bytes` unsent bytes for the client.
    outbound_held,
    /// Plain HTTP requests answered with a page (200).
    pages_served,
    /// Plain HTTP requests for a path with no page (404).
    pages_not_found,
}

/// One connection's bytes read and written, kept by the network thread and readable by
/// whoever holds the `Arc` (the game gets it with [`crate::Inbound::Connected`]).
#[derive(Debug, Default)]
pub struct ConnTraffic {
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
}

impl ConnTraffic {
    /// Bytes read from and written to the connection's socket so far: `(in, out)`.
    pub fn totals(&self) -> (u64, u64) {
        (self.bytes_in.load(Relaxed), self.bytes_out.load(Relaxed))
    }

    pub(crate) fn read(&self, n: usize) {
        self.bytes_in.fetch_add(n as u64, Relaxed);
    }

    pub(crate) fn wrote(&self, n: usize) {
        self.bytes_out.fetch_add(n as u64, Relaxed);
    }
}

impl Counters {
    /// Adds `n` to a counter.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    /// Increments a counter.
    pub(crate) fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    /// Decrements a gauge.
    pub(crate) fn dec(counter: &AtomicU64) {
        counter.fetch_sub(1, Relaxed);
    }
}
