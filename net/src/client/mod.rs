//! Client library: a blocking [`Client`] for tools and tests, and a mio [`Driver`] holding
//! thousands of non-blocking connections in one thread (used by the bot harness).

mod blocking;
mod driver;
mod driver_conn;
mod error;

pub use blocking::Client;
pub use driver::Driver;
pub use driver_conn::{ClientId, DriverConfig, DriverEvent, DriverStats};
pub use error::{ClientError, CloseInfo};

/// The tungstenite configuration used by clients: small read buffer, bounded messages.
pub(crate) fn client_ws_config(
    read_buffer_size: usize,
    max_message_size: usize,
) -> tungstenite::protocol::WebSocketConfig {
    tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(read_buffer_size)
        .write_buffer_size(0)
        .max_write_buffer_size(1 << 20)
        .max_message_size(Some(max_message_size))
        .max_frame_size(Some(max_message_size))
}

/// The close frame a client sends when it leaves on purpose: 1000 (normal closure), so the
/// server can tell a player who quit from a connection that failed.
pub(crate) fn leaving() -> tungstenite::protocol::CloseFrame {
    tungstenite::protocol::CloseFrame {
        code: tungstenite::protocol::frame::coding::CloseCode::Normal,
        reason: "client leaving".into(),
    }
}
