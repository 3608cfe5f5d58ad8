//! Shared helpers for the integration tests: a test server with a tiny "game" loop.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use net::protocol::{EntityId, Hello, ServerMessage, SessionToken, Welcome};
use net::{ConnId, Inbound, InboundReceiver, Outbound, Server, ServerConfig, ServerHandle};

/// Generous deadline for anything the tests wait for (the machine may be busy).
pub const WAIT: Duration = Duration::from_secs(10);

/// A config with short timeouts suitable for tests, bound to an ephemeral loopback port.
pub fn test_config() -> ServerConfig {
    ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        handshake_timeout: Duration::from_secs(5),
        close_linger: Duration::from_secs(5),
        ..ServerConfig::default()
    }
}

/// A running server plus its inbound channel.
pub struct TestServer {
    pub server: Server,
    pub inbound: std::sync::Arc<InboundReceiver>,
}

impl TestServer {
    pub fn start(cfg: ServerConfig) -> TestServer {
        let (server, inbound) = Server::start(cfg).expect("server starts");
        TestServer { server, inbound: std::sync::Arc::new(inbound) }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Waits for the next inbound event.
    pub fn next_event(&self) -> Inbound {
        self.inbound.recv_timeout(WAIT).expect("inbound event in time")
    }

    /// Waits for an event matching `pred`, skipping others.
    pub fn wait_for(&self, mut pred: impl FnMut(&Inbound) -> bool) -> Inbound {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let ev = self.inbound.recv_timeout(left).expect("expected event in time");
            if pred(&ev) {
                return ev;
            }
        }
    }

    /// Answers the next `Connected` with a `Welcome`; returns the connection id.
    pub fn welcome_next(&self) -> ConnId {
        let Inbound::Connected { conn, .. } = self.wait_for(|e| matches!(e, Inbound::Connected { .. }))
        else {
            unreachable!()
        };
        let msg = ServerMessage::Welcome(welcome(conn.to_u64()));
        self.handle().send(conn, Outbound::reliable(msg.encode())).unwrap();
        conn
    }
}

pub fn welcome(player: u64) -> Welcome {
    Welcome {
        version: net::protocol::PROTOCOL_VERSION,
        tick_rate_hz: 20,
        player: EntityId(player),
        server_tick: 7,
        map: 1,
        token: SessionToken([9; 32]),
        x: 100 * 256,
        y: 200 * 256,
        width_chunks: 4,
        height_chunks: 3,
        continent: 0,
        layer: 1,
    }
}

pub fn hello(name: &str) -> Hello {
    Hello { name: name.into(), token: SessionToken::NONE }
}

/// Polls `cond` until true or the generous deadline passes.
pub fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

/// Connects a library client and completes Hello/Welcome; returns it with its connection id.
pub fn connect(ts: &TestServer, name: &str) -> (net::client::Client, ConnId) {
    let addr = ts.addr();
    let name = name.to_owned();
    let t = std::thread::spawn(move || net::client::Client::connect(addr, hello(&name), WAIT));
    let conn = ts.welcome_next();
    let (client, _) = t.join().unwrap().expect("client connects");
    (client, conn)
}

/// Checks a client still gets answers (Ping → Pong).
pub fn assert_alive(client: &mut net::client::Client) {
    use net::protocol::{ClientMessage, ServerMessage};
    let nonce = 0x5eed;
    client.send(&ClientMessage::Ping { nonce }).expect("ping sent");
    loop {
        match client.recv().expect("still connected") {
            ServerMessage::Pong(p) if p.nonce == nonce => return,
            _ => {}
        }
    }
}

/// Reads until the server closes; returns the close code.
pub fn close_code_of(client: &mut net::client::Client) -> Option<u16> {
    loop {
        match client.recv() {
            Ok(_) => {}
            Err(net::client::ClientError::Closed(info)) => return info.code,
            Err(e) => panic!("expected a close frame, got {e}"),
        }
    }
}

/// Opens a raw tungstenite blocking client (not the library) on the server.
pub fn raw_ws(addr: SocketAddr) -> tungstenite::WebSocket<std::net::TcpStream> {
    let tcp = std::net::TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let (ws, _) = tungstenite::client::client(format!("ws://{addr}/").as_str(), tcp).unwrap();
    ws
}

/// Reads a raw tungstenite socket until a close frame; returns its code.
pub fn raw_close_code(ws: &mut tungstenite::WebSocket<std::net::TcpStream>) -> Option<u16> {
    loop {
        match ws.read() {
            Ok(tungstenite::Message::Close(f)) => return f.map(|f| u16::from(f.code)),
            Ok(_) => {}
            Err(e) => panic!("expected a close frame, got {e}"),
        }
    }
}
