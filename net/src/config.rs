//! Server configuration: every socket limit with a safe default, validated at start.

use crate::pages::Pages;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Configuration of the WebSocket server. `Default` gives production-safe limits.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to listen on (`127.0.0.1:0` picks a free port, see `Server::local_addr`).
    pub bind: SocketAddr,
    /// Maximum simultaneous sockets (handshaking, open and closing). Extra ones get HTTP 503.
    pub max_connections: usize,
    /// Maximum simultaneous sockets from one IP address. Extra ones get HTTP 503.
    pub max_connections_per_ip: usize,
    /// Maximum size of one client message (and of one WebSocket frame), bytes. Larger: close 1009.
    pub max_message_size: usize,
    /// Read buffer allocated per connection by the WebSocket codec, bytes.
    pub read_buffer_size: usize,
    /// Deadline from TCP accept to a valid `Hello` (covers the HTTP upgrade: slowloris).
    pub handshake_timeout: Duration,
    /// After this long without inbound traffic the server sends a WebSocket ping.
    pub ping_interval: Duration,
    /// After this long without inbound traffic (pongs count) the connection is closed (4004).
    pub idle_timeout: Duration,
    /// Sustained client messages per second allowed (token bucket refill); ~3× the tick rate.
    pub input_rate_per_sec: u32,
    /// Token bucket size: messages allowed in a burst.
    pub input_burst: u32,
    /// Ack credit: each Frame (server message 0x82) queued for a connection lets one Ack
    /// (client message 0x08) in without a rate token; at most this many credits are held.
    /// 0: acks cost a token like every message.
    pub ack_credit_cap: u32,
    /// Dropped-message score at which the connection is closed with 1008. The score rises by one
    /// per dropped message and decays by `input_rate_per_sec` per second.
    pub abuse_threshold: u32,
    /// Outbound bytes per connection, queued plus still held by the kernel, above which the
    /// client counts as stuck (new state frames are then dropped unless one can be replaced).
    pub outbound_cap_bytes: usize,
    /// Outbound bytes queued per connection at which it is closed at once (1013). Counts the
    /// queue only: the kernel's share is bounded by `send_buffer_bytes`.
    pub outbound_hard_cap_bytes: usize,
    /// A client stuck above `outbound_cap_bytes` this long, or whose kernel still holds a state
    /// frame written this long ago, is closed with 1013.
    pub slow_client_timeout: Duration,
    /// How long a closing connection may take to flush its close frame and say goodbye.
    pub close_linger: Duration,
    /// Accept queue of the listening socket the server binds itself (`bind_listener`): clients
    /// connecting at once beyond it wait a SYN retransmission (1 s) each. The kernel caps it at
    /// `net.core.somaxconn`.
    pub listen_backlog: u32,
    /// Capacity of the inbound event channel drained by the simulation.
    pub inbound_capacity: usize,
    /// Capacity of the command channel from the simulation to the event loop.
    pub command_capacity: usize,
    /// Set `TCP_NODELAY` on accepted sockets.
    pub tcp_nodelay: bool,
    /// Sustained input bytes per second allowed (every byte read after the upgrade, frame
    /// headers and control frames included). Bytes beyond it raise the abuse score by one per
    /// `input_bytes_per_sec / input_rate_per_sec` bytes.
    pub input_bytes_per_sec: u32,
    /// Byte budget's bucket size: input bytes allowed in a burst (at least one largest message).
    pub input_bytes_burst: u32,
    /// Fairness: at most this many WebSocket messages (control frames included) are read from one
    /// connection per turn; then the loop serves the others and comes back.
    pub max_messages_per_turn: u32,
    /// Fairness: at most this many bytes are read from one connection per turn.
    pub max_bytes_per_turn: usize,
    /// Largest HTTP upgrade request head (request line and headers), bytes. Larger: HTTP 431.
    pub max_request_head: usize,
    /// Kernel send buffer of each accepted socket (`SO_SNDBUF`; Linux doubles it for its own
    /// bookkeeping), bytes; 0 keeps the OS default, autotuned up to megabytes. Bounds what the
    /// kernel holds per client; the rest waits in the outbound queue (caps, replacement).
    pub send_buffer_bytes: usize,
    /// While the kernel still holds more than this many bytes the client has not acknowledged
    /// (Linux `SIOCOUTQ`), a new state frame (replaceable) waits in the outbound queue, where a
    /// newer one replaces it. A client reading r bytes/s thus gets frames about this / r seconds
    /// old (plus what its own receive buffer holds), and is closed with 1013 once that exceeds
    /// `slow_client_timeout`. Keep it above rate × round-trip time of a healthy client, or its
    /// frames are thinned out too.
    pub kernel_backlog_bytes: usize,
    /// Pages answered to plain HTTP `GET`/`HEAD` requests (no `Upgrade` header); `None`: such
    /// a request is refused (400) like any other failed upgrade.
    pub pages: Option<Arc<Pages>>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([0, 0, 0, 0], 7000)),
            max_connections: 8192,
            max_connections_per_ip: 16,
            max_message_size: 4096,
            read_buffer_size: 2048,
            handshake_timeout: Duration::from_secs(5),
            ping_interval: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            input_rate_per_sec: 60,
            input_burst: 30,
            ack_credit_cap: 8,
            abuse_threshold: 180,
            outbound_cap_bytes: 256 * 1024,
            outbound_hard_cap_bytes: 4 * 1024 * 1024,
            slow_client_timeout: Duration::from_secs(5),
            close_linger: Duration::from_secs(2),
            listen_backlog: 4096,
            inbound_capacity: 65_536,
            command_capacity: 65_536,
            tcp_nodelay: true,
            input_bytes_per_sec: 16 * 1024,
            input_bytes_burst: 64 * 1024,
            max_messages_per_turn: 32,
            max_bytes_per_turn: 8 * 1024,
            max_request_head: 8 * 1024,
            send_buffer_bytes: 64 * 1024,
            kernel_backlog_bytes: 8 * 1024,
            pages: None,
        }
    }
}

/// A configuration value that cannot work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The offending field.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid net config `{}`: {}", self.field, self.problem)
    }
}

impl std::error::Error for ConfigError {}

fn check(ok: bool, field: &'static str, problem: &'static str) -> Result<(), ConfigError> {
    if ok { Ok(()) } else { Err(ConfigError { field, problem }) }
}

impl ServerConfig {
    /// Checks that every limit is usable; the server refuses to start otherwise.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let zero = Duration::ZERO;
        check(self.max_connections > 0, "max_connections", "must be > 0")?;
        check(self.max_connections < (u32::MAX / 2) as usize, "max_connections", "too large")?;
        check(self.max_connections_per_ip > 0, "max_connections_per_ip", "must be > 0")?;
        check(self.max_message_size >= 64, "max_message_size", "must be >= 64")?;
        check(self.read_buffer_size >= 256, "read_buffer_size", "must be >= 256")?;
        check(self.handshake_timeout > zero, "handshake_timeout", "must be > 0")?;
        check(self.ping_interval > zero, "ping_interval", "must be > 0")?;
        check(self.idle_timeout > self.ping_interval, "idle_timeout", "must exceed ping_interval")?;
        check(self.input_rate_per_sec > 0, "input_rate_per_sec", "must be > 0")?;
        check(self.input_burst > 0, "input_burst", "must be > 0")?;
        check(self.abuse_threshold > 0, "abuse_threshold", "must be > 0")?;
        check(self.outbound_cap_bytes > 0, "outbound_cap_bytes", "must be > 0")?;
        let hard_ok = self.outbound_hard_cap_bytes >= self.outbound_cap_bytes;
        check(hard_ok, "outbound_hard_cap_bytes", "must be >= outbound_cap_bytes")?;
        check(self.slow_client_timeout > zero, "slow_client_timeout", "must be > 0")?;
        check(self.inbound_capacity > 0, "inbound_capacity", "must be > 0")?;
        check(self.command_capacity > 0, "command_capacity", "must be > 0")?;
        check(self.input_bytes_per_sec > 0, "input_bytes_per_sec", "must be > 0")?;
        let burst_ok = self.input_bytes_burst as usize >= self.max_message_size + 14;
        check(burst_ok, "input_bytes_burst", "must hold one max_message_size message (+ 14 B)")?;
        check(self.max_messages_per_turn > 0, "max_messages_per_turn", "must be > 0")?;
        check(self.max_bytes_per_turn >= 1024, "max_bytes_per_turn", "must be >= 1024")?;
        check(self.max_request_head >= 1024, "max_request_head", "must be >= 1024")?;
        check(self.send_buffer_bytes <= i32::MAX as usize / 2, "send_buffer_bytes", "too large")?;
        let buf_ok = self.send_buffer_bytes == 0 || self.send_buffer_bytes >= self.kernel_backlog_bytes;
        check(buf_ok, "send_buffer_bytes", "must be 0 (OS default) or >= kernel_backlog_bytes")?;
        check(self.kernel_backlog_bytes > 0, "kernel_backlog_bytes", "must be > 0")
    }

    /// How often the loop scans connections for deadlines: a quarter of the shortest timeout.
    pub(crate) fn housekeeping_interval(&self) -> Duration {
        let shortest = [
            self.handshake_timeout,
            self.ping_interval,
            self.idle_timeout,
            self.slow_client_timeout,
            self.close_linger,
        ]
        .into_iter()
        .min()
        .unwrap_or(Duration::from_secs(1));
        (shortest / 4).clamp(Duration::from_millis(5), Duration::from_millis(250))
    }

    /// How an open connection's flush treats the kernel's share of its backlog.
    pub(crate) fn kernel_policy(&self, now: std::time::Instant) -> crate::kernel::KernelPolicy {
        crate::kernel::KernelPolicy {
            backlog_limit: self.kernel_backlog_bytes,
            mark_every: self.slow_client_timeout / 8,
            now,
        }
    }

    /// The tungstenite configuration derived from these limits (small buffers, small frames).
    pub(crate) fn websocket_config(&self) -> tungstenite::protocol::WebSocketConfig {
        tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(self.read_buffer_size)
            .write_buffer_size(0)
            .max_write_buffer_size(self.max_message_size + 64)
            .max_message_size(Some(self.max_message_size))
            .max_frame_size(Some(self.max_message_size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(ServerConfig::default().validate(), Ok(()));
    }

    #[test]
    fn bad_values_are_refused_with_the_field_name() {
        let cfg = ServerConfig { max_connections: 0, ..ServerConfig::default() };
        assert_eq!(cfg.validate().unwrap_err().field, "max_connections");
        let cfg = ServerConfig { idle_timeout: Duration::from_secs(1), ..ServerConfig::default() };
        assert_eq!(cfg.validate().unwrap_err().field, "idle_timeout");
    }

    #[test]
    fn the_send_buffer_must_hold_the_kernel_backlog() {
        let cfg = ServerConfig { send_buffer_bytes: 4096, ..ServerConfig::default() };
        assert_eq!(cfg.validate().unwrap_err().field, "send_buffer_bytes");
        let cfg = ServerConfig { send_buffer_bytes: 0, ..ServerConfig::default() };
        assert_eq!(cfg.validate(), Ok(()));
        let cfg = ServerConfig { kernel_backlog_bytes: 0, ..ServerConfig::default() };
        assert_eq!(cfg.validate().unwrap_err().field, "kernel_backlog_bytes");
    }
}
