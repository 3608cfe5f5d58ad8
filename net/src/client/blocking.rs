//! A simple blocking client over a std `TcpStream`, for tools, tests and examples.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use tungstenite::{Message, WebSocket};

use super::error::{ClientError, CloseInfo};
use crate::protocol::{ClientMessage, Hello, ServerMessage, Welcome};

/// A blocking protocol-v1 client.
#[derive(Debug)]
pub struct Client {
    ws: WebSocket<TcpStream>,
}

impl Client {
    /// Connects and upgrades to WebSocket without sending anything (the caller sends `Hello`).
    pub fn connect_raw(addr: SocketAddr, timeout: Duration) -> Result<Client, ClientError> {
        let tcp = TcpStream::connect_timeout(&addr, timeout)?;
        tcp.set_nodelay(true)?;
        tcp.set_read_timeout(Some(timeout))?;
        tcp.set_write_timeout(Some(timeout))?;
        let url = format!("ws://{addr}/");
        let config = super::client_ws_config(8192, 16 << 20);
        match tungstenite::client::client_with_config(url.as_str(), tcp, Some(config)) {
            Ok((ws, _response)) => Ok(Client { ws }),
            Err(tungstenite::HandshakeError::Failure(e)) => Err(e.into()),
            Err(tungstenite::HandshakeError::Interrupted(_)) => Err(ClientError::Timeout),
        }
    }

    /// Connects, sends `Hello` and waits for `Welcome`.
    pub fn connect(
        addr: SocketAddr,
        hello: Hello,
        timeout: Duration,
    ) -> Result<(Client, Welcome), ClientError> {
        let mut client = Client::connect_raw(addr, timeout)?;
        client.send(&ClientMessage::Hello(hello))?;
        match client.recv()? {
            ServerMessage::Welcome(w) => Ok((client, w)),
            other => Err(ClientError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Changes how long `recv` waits.
    pub fn set_read_timeout(&mut self, timeout: Duration) -> Result<(), ClientError> {
        Ok(self.ws.get_mut().set_read_timeout(Some(timeout))?)
    }

    /// Sends one protocol message.
    pub fn send(&mut self, msg: &ClientMessage) -> Result<(), ClientError> {
        self.send_raw(msg.encode())
    }

    /// Sends arbitrary bytes as one binary message (tests of malformed input).
    pub fn send_raw(&mut self, bytes: Vec<u8>) -> Result<(), ClientError> {
        Ok(self.ws.send(Message::Binary(bytes.into()))?)
    }

    /// Sends an arbitrary WebSocket message (tests of text frames and the like).
    pub fn send_ws(&mut self, msg: Message) -> Result<(), ClientError> {
        Ok(self.ws.send(msg)?)
    }

    /// Waits for the next server message; a close becomes `ClientError::Closed`.
    pub fn recv(&mut self) -> Result<ServerMessage, ClientError> {
        loop {
            match self.ws.read()? {
                Message::Binary(b) => return Ok(ServerMessage::decode(&b)?),
                Message::Close(frame) => {
                    let _ = self.ws.flush();
                    let info = match frame {
                        Some(f) => CloseInfo { code: Some(f.code.into()), reason: f.reason.to_string() },
                        None => CloseInfo { code: None, reason: String::new() },
                    };
                    return Err(ClientError::Closed(info));
                }
                Message::Text(_) => return Err(ClientError::Unexpected("text frame".into())),
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }

    /// Closes the connection politely with code 1000 (best effort).
    pub fn close(mut self) {
        let _ = self.ws.close(Some(super::leaving()));
        let _ = self.ws.flush();
    }

    /// The underlying WebSocket, for tests that need raw access.
    pub fn websocket_mut(&mut self) -> &mut WebSocket<TcpStream> {
        &mut self.ws
    }
}
