//! Following Redirects (protocol, Redirect 0x85). At login a shard that does not simulate the
//! character's map answers Hello with a Redirect (the owner's WebSocket URL and the token to
//! present there) and closes; [`connect_following`] reconnects there until a shard answers
//! Welcome. During play a Redirect is a hand-off (the character moved to a map another shard
//! simulates; its token is one-time): [`follow_handoff`] connects there, and when that token is
//! refused (close 4108) logs in again at the shard that sent the Redirect with the own session
//! token. A Welcome with a zero token leaves the session token unchanged ([`kept_token`]).

use crate::wire::close::HANDOFF_REFUSED;
use net::client::{Client, ClientError};
use net::protocol::{ClientMessage, Hello, Redirect, ServerMessage, SessionToken, Welcome};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Most Redirects (and 4108 fallbacks) followed for one login or hand-off (a loop between
/// shards ends there).
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

/// A hand-off that reached Welcome.
#[derive(Debug)]
pub struct HandedOff {
    /// The connection to the shard that welcomed the character.
    pub client: Client,
    pub welcome: Welcome,
    /// The session token to keep for later logins (unchanged when Welcome's token is zero).
    pub session_token: SessionToken,
    /// From the mid-session Redirect received to the Welcome.
    pub latency: Duration,
    /// The Redirects followed, the mid-session one first.
    pub redirects: Vec<Redirected>,
    /// Hand-off tokens refused (4108) and replaced by a login at the sending shard.
    pub fallbacks: usize,
}

/// The session token to keep after a Welcome carrying `welcomed`: zero means "unchanged" (the
/// answer to a one-time hand-off token), so the token `held` before stays; any other replaces it.
pub fn kept_token(held: Option<SessionToken>, welcomed: SessionToken) -> SessionToken {
    match held {
        Some(token) if welcomed.is_none() => token,
        _ => welcomed,
    }
}

/// Where the chase stands: the shard to try next, with which token, and the shard that sent
/// the client there (the one to fall back to on 4108).
#[derive(Debug)]
struct Chase {
    addr: SocketAddr,
    token: SessionToken,
    source: SocketAddr,
    /// The character's name and own session token.
    session: Hello,
    /// The Redirect being followed: its address and when it arrived.
    pending: Option<(String, Instant)>,
    redirects: Vec<Redirected>,
    fallbacks: usize,
}

impl Chase {
    fn hops(&self) -> usize {
        self.redirects.len() + self.fallbacks
    }

    /// Follows `r`, received at `at` from the shard just tried.
    fn redirect(&mut self, r: Redirect, at: Instant) -> Result<(), ClientError> {
        if self.hops() >= MAX_REDIRECTS {
            return Err(ClientError::Unexpected(format!("more than {MAX_REDIRECTS} redirects")));
        }
        self.source = self.addr;
        self.addr = socket_addr(&r.address)
            .ok_or_else(|| ClientError::Unexpected(format!("bad redirect address {:?}", r.address)))?;
        self.token = r.token;
        self.pending = Some((r.address, at));
        Ok(())
    }

    /// Whether a refused token can be replaced: not when the session token itself was refused
    /// at the source (a login that followed no Redirect, a client presenting a used token).
    fn can_fall_back(&self) -> bool {
        (self.addr, self.token) != (self.source, self.session.token)
    }

    /// The hand-off token was refused: log in at the source with the session token.
    fn fall_back(&mut self) -> Result<(), ClientError> {
        if self.hops() >= MAX_REDIRECTS {
            return Err(ClientError::Unexpected(format!("more than {MAX_REDIRECTS} redirects")));
        }
        self.fallbacks += 1;
        (self.addr, self.token) = (self.source, self.session.token);
        Ok(())
    }

    /// Tries shards until one answers Welcome.
    fn run(mut self, timeout: Duration) -> Result<(Client, Welcome, Chase), ClientError> {
        loop {
            let mut client = Client::connect_raw(self.addr, timeout)?;
            let hello = Hello { name: self.session.name.clone(), token: self.token };
            client.send(&ClientMessage::Hello(hello))?;
            let answer = client.recv();
            let answered = Instant::now();
            if let Some((address, at)) = self.pending.take() {
                self.redirects.push(Redirected { address, latency: answered.duration_since(at) });
            }
            match answer {
                Ok(ServerMessage::Welcome(welcome)) => return Ok((client, welcome, self)),
                Ok(ServerMessage::Redirect(r)) => self.redirect(r, answered)?,
                Err(ClientError::Closed(info))
                    if info.code == Some(HANDOFF_REFUSED) && self.can_fall_back() =>
                {
                    self.fall_back()?
                }
                Ok(other) => return Err(ClientError::Unexpected(format!("{other:?}"))),
                Err(e) => return Err(e),
            }
        }
    }
}

/// Connects to `addr`, sends `hello` and follows Redirects (at most [`MAX_REDIRECTS`]) until a
/// shard answers Welcome; a one-time token refused there (4108) is replaced by `hello`'s token at
/// the shard that sent the Redirect. A close, a bad address or too many Redirects is an error.
pub fn connect_following(addr: SocketAddr, hello: Hello, timeout: Duration) -> Result<Followed, ClientError> {
    let chase = Chase {
        addr,
        token: hello.token,
        source: addr,
        session: hello,
        pending: None,
        redirects: Vec::new(),
        fallbacks: 0,
    };
    let (client, welcome, chase) = chase.run(timeout)?;
    Ok(Followed { client, welcome, redirects: chase.redirects })
}

/// Follows `redirect`, received at `received_at` during play on the shard at `source`: connects
/// to its address with its one-time token and the same name, follows further Redirects (at
/// most [`MAX_REDIRECTS`] in all), and when a hand-off token is refused (4108) logs in again at
/// the shard that sent that Redirect with `session`'s own token. The caller drops the old
/// connection (the server closes it with 4107). The returned session token is `session`'s
/// unless a Welcome carried a new non-zero one.
pub fn follow_handoff(
    redirect: &Redirect,
    received_at: Instant,
    source: SocketAddr,
    session: Hello,
    timeout: Duration,
) -> Result<HandedOff, ClientError> {
    let held = session.token;
    let mut chase = Chase {
        addr: source,
        token: held,
        source,
        session,
        pending: None,
        redirects: Vec::new(),
        fallbacks: 0,
    };
    chase.redirect(redirect.clone(), received_at)?;
    let (client, welcome, chase) = chase.run(timeout)?;
    let latency = Instant::now().saturating_duration_since(received_at);
    let session_token = kept_token(Some(held), welcome.token);
    Ok(HandedOff {
        client,
        welcome,
        session_token,
        latency,
        redirects: chase.redirects,
        fallbacks: chase.fallbacks,
    })
}

/// The socket address of a redirect URL `ws://host:port/…` (`wss://` is not spoken here).
pub fn socket_addr(url: &str) -> Option<SocketAddr> {
    let rest = url.strip_prefix("ws://")?;
    let host_port = rest.split('/').next()?;
    host_port.to_socket_addrs().ok()?.next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_welcome_token_keeps_the_held_one_and_any_other_replaces_it() {
        let (held, new) = (SessionToken([7; 32]), SessionToken([9; 32]));
        assert_eq!(kept_token(Some(held), SessionToken::NONE), held);
        assert_eq!(kept_token(Some(held), new), new);
        assert_eq!(kept_token(None, SessionToken::NONE), SessionToken::NONE, "nothing held to keep");
    }

    #[test]
    fn redirect_addresses_are_ws_urls_only() {
        assert_eq!(socket_addr("ws://127.0.0.1:9/"), Some(SocketAddr::from(([127, 0, 0, 1], 9))));
        assert_eq!(socket_addr("wss://127.0.0.1:9/"), None);
        assert_eq!(socket_addr("nonsense"), None);
    }
}
