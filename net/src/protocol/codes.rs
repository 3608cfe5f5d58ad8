//! WebSocket close codes, `Error` message codes and order kinds used by protocol v2 (documented in
//! the spec).

/// WebSocket close codes sent by the server, with the reason text in the close frame.
pub mod close_code {
    /// Normal closure (default for a close requested by the game).
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// WebSocket protocol violation (unmasked frame, bad opcode, bad fragmentation, ...).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame was received: the protocol is binary only.
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// A text frame held invalid UTF-8 (reported by the WebSocket layer).
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// Sustained input above the rate limit.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A client message or frame exceeded `max_message_size`.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// Unexpected server-side failure.
    pub const INTERNAL_ERROR: u16 = 1011;
    /// The client did not read its data: outbound queue stuck at its cap.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// A message other than `Hello` arrived before `Hello`.
    pub const HELLO_REQUIRED: u16 = 4000;
    /// `Hello` carried a protocol version the server does not speak.
    pub const VERSION_MISMATCH: u16 = 4001;
    /// A message of a known type was malformed (length, enum value, UTF-8).
    pub const MALFORMED: u16 = 4002;
    /// No `Hello` within the handshake deadline.
    pub const HELLO_TIMEOUT: u16 = 4003;
    /// No traffic (not even a pong) within the idle timeout.
    pub const IDLE_TIMEOUT: u16 = 4004;
    /// First code of the range 4100..=4999 reserved for the game layer.
    pub const GAME_FIRST: u16 = 4100;
}

/// Codes carried by the `Error` message (the connection stays open).
pub mod error_code {
    /// The message type is unknown to this server; the message was ignored.
    pub const UNKNOWN_MESSAGE_TYPE: u16 = 1;
    /// A second `Hello` on the same connection was ignored.
    pub const DUPLICATE_HELLO: u16 = 2;
    /// First code of the range 100..=65535 reserved for the game layer.
    pub const GAME_FIRST: u16 = 100;
}

/// Order kinds: `Input.order` and the Frame head's `own.order`.
pub mod order_code {
    /// Stop (the character is idle).
    pub const STOP: u8 = 0;
    /// Walk to a point.
    pub const MOVE_TO: u8 = 1;
    /// Follow an entity.
    pub const FOLLOW: u8 = 2;
    /// Interact with an entity.
    pub const INTERACT: u8 = 3;
    /// Attack an entity.
    pub const ATTACK: u8 = 4;
}
