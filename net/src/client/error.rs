//! Errors of the client library.

use std::fmt;
use std::io;

use crate::protocol::DecodeError;

/// How a connection ended, as seen by the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseInfo {
    /// The server's close code, if it sent a close frame.
    pub code: Option<u16>,
    /// The close reason, HTTP refusal or I/O error text.
    pub reason: String,
}

/// Everything that can go wrong in the client library.
#[derive(Debug)]
pub enum ClientError {
    /// Socket error (connect, read, write).
    Io(io::Error),
    /// No message arrived within the read timeout.
    Timeout,
    /// The WebSocket upgrade was refused (e.g. HTTP 503 over a connection limit).
    Refused {
        /// HTTP status code.
        status: u16,
        /// Response body.
        body: String,
    },
    /// WebSocket-level failure.
    WebSocket(tungstenite::Error),
    /// The server sent bytes that do not decode.
    Decode(DecodeError),
    /// The server closed the connection.
    Closed(CloseInfo),
    /// The server answered with an unexpected message (e.g. no `Welcome` after `Hello`).
    Unexpected(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Io(e) => write!(f, "socket error: {e}"),
            ClientError::Timeout => write!(f, "timed out waiting for the server"),
            ClientError::Refused { status, body } => write!(f, "refused with HTTP {status}: {body}"),
            ClientError::WebSocket(e) => write!(f, "websocket error: {e}"),
            ClientError::Decode(e) => write!(f, "undecodable server message: {e}"),
            ClientError::Closed(c) => write!(f, "closed by server ({:?}): {}", c.code, c.reason),
            ClientError::Unexpected(what) => write!(f, "unexpected server message: {what}"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Io(e) => Some(e),
            ClientError::WebSocket(e) => Some(e),
            ClientError::Decode(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        ClientError::Io(e)
    }
}

impl From<DecodeError> for ClientError {
    fn from(e: DecodeError) -> Self {
        ClientError::Decode(e)
    }
}

impl From<tungstenite::Error> for ClientError {
    fn from(e: tungstenite::Error) -> Self {
        use tungstenite::Error as E;
        match e {
            E::Io(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                ClientError::Timeout
            }
            E::Io(e) => ClientError::Io(e),
            E::Http(resp) => {
                let body = resp.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default();
                ClientError::Refused { status: resp.status().as_u16(), body: body.into_owned() }
            }
            E::ConnectionClosed | E::AlreadyClosed => {
                ClientError::Closed(CloseInfo { code: None, reason: "connection closed".into() })
            }
            other => ClientError::WebSocket(other),
        }
    }
}
