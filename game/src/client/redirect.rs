//! Logging in through Redirects (protocol, Redirect 0x85): a shard that does not simulate the
//! character's map answers Hello with a Redirect (the owner's WebSocket URL and the token to
//! present there) and closes; [`connect_following`] reconnects to that address with that token
//! until a shard answers Welcome, counting the redirects and how long each one took.

use net::client::{Client, ClientError};
use net::protocol::{ClientMessage, Hello, ServerMessage, Welcome};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Most Redirects followed for one login (a loop between shards ends there).
pub const MAX_REDIRECTS: usize = 4;

/// One Redirect followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirected {
    /// Where the Redirect sent the client.
    pub address: String,
    /// From the Redirect received to the next shard's answer to Hello.
    pub latency: Duration,
}

/// A login that reached Welcome, possibly through Redirects.
#[derive(Debug)]
pub struct Followed {
    pub client: Client,
    pub welcome: Welcome,
    /// The Redirects followed, in order.
    pub redirects: Vec<Redirected>,
}

/// Connects to `addr`, sends `hello` and follows Redirects (at most [`MAX_REDIRECTS`]) until a
/// shard answers Welcome. A close, a bad address or too many Redirects is an error.
pub fn connect_following(addr: SocketAddr, hello: Hello, timeout: Duration) -> Result<Followed, ClientError> {
    let mut redirects: Vec<Redirected> = Vec::new();
    let (mut addr, mut hello) = (addr, hello);
    let mut redirected_at: Option<(String, Instant)> = None;
    loop {
        let mut client = Client::connect_raw(addr, timeout)?;
        client.send(&ClientMessage::Hello(hello.clone()))?;
        let answer = client.recv()?;
        let answered = Instant::now();
        if let Some((address, at)) = redirected_at.take() {
            redirects.push(Redirected { address, latency: answered.duration_since(at) });
        }
        match answer {
            ServerMessage::Welcome(welcome) => return Ok(Followed { client, welcome, redirects }),
            ServerMessage::Redirect(r) if redirects.len() < MAX_REDIRECTS => {
                addr = socket_addr(&r.address).ok_or_else(|| {
                    ClientError::Unexpected(format!("bad redirect address {:?}", r.address))
                })?;
                hello.token = r.token;
                redirected_at = Some((r.address, answered));
            }
            ServerMessage::Redirect(_) => {
                return Err(ClientError::Unexpected(format!("more than {MAX_REDIRECTS} redirects")));
            }
            other => return Err(ClientError::Unexpected(format!("{other:?}"))),
        }
    }
}

/// The socket address of a redirect URL `ws://host:port/…` (`wss://` is not spoken here).
pub fn socket_addr(url: &str) -> Option<SocketAddr> {
    let rest = url.strip_prefix("ws://")?;
    let host_port = rest.split('/').next()?;
    host_port.to_socket_addrs().ok()?.next()
}
