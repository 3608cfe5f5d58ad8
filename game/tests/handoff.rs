//! Clients following hand-offs (mid-session Redirects) between two scripted fake shards on
//! loopback (`net::Server`): the Redirect is followed with its one-time token, the session token
//! is kept over a zero Welcome token, a refused hand-off token (4108) falls back to the source
//! with the session token, and too many Redirects are an error.

use game::client::{GameClient, MAX_REDIRECTS, connect_following, follow_handoff};
use game::wire::close::{HANDOFF_REFUSED, REDIRECTED};
use net::client::{Client, ClientError};
use net::protocol::{EntityId, Hello, PROTOCOL_VERSION, Redirect, ServerMessage, SessionToken, Welcome};
use net::{Inbound, Outbound, Server, ServerConfig};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(5);
const SESSION: SessionToken = SessionToken([7; 32]);
const ONE_TIME: SessionToken = SessionToken([42; 32]);

/// What a fake shard does after a Hello.
#[derive(Debug, Clone)]
enum Act {
    Send(ServerMessage),
    Close(u16),
}

/// A shard's script: the acts answering the `n`-th Hello (from 0).
type Script = Box<dyn Fn(&Hello, usize) -> Vec<Act> + Send>;

/// A scripted shard: its address, the Hellos it received, and how to stop it.
struct Fake {
    addr: SocketAddr,
    hellos: Arc<Mutex<Vec<Hello>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Fake {
    fn start(script: Script) -> Fake {
        let cfg = ServerConfig { bind: SocketAddr::from(([127, 0, 0, 1], 0)), ..ServerConfig::default() };
        let (server, inbound) = Server::start(cfg).expect("fake shard starts");
        let (addr, hellos, stop) =
            (server.local_addr(), Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicBool::new(false)));
        let (seen, stopped) = (hellos.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let handle = server.handle();
            while !stopped.load(Ordering::Relaxed) {
                let Ok(Inbound::Connected { conn, hello, .. }) =
                    inbound.recv_timeout(Duration::from_millis(20))
                else {
                    continue;
                };
                let n = {
                    let mut seen = seen.lock().expect("not poisoned");
                    seen.push(hello.clone());
                    seen.len() - 1
                };
                for act in script(&hello, n) {
                    let _ = match act {
                        Act::Send(msg) => handle.send(conn, Outbound::reliable(msg.encode())),
                        Act::Close(code) => handle.close(conn, code, "scripted"),
                    };
                }
            }
            server.shutdown();
        });
        Fake { addr, hellos, stop, thread: Some(thread) }
    }

    fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    fn hellos(&self) -> Vec<Hello> {
        self.hellos.lock().expect("not poisoned").clone()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn welcome(map: u32, token: SessionToken) -> Act {
    Act::Send(welcome_message(map, token))
}

/// A Welcome to `map`, sized as the built-in content's map (the client checks the size).
fn welcome_message(map: u32, token: SessionToken) -> ServerMessage {
    let layout = game::Content::builtin().layout();
    let size = layout.map(map).map_or((32, 32), |m| (m.width_chunks as u16, m.height_chunks as u16));
    ServerMessage::Welcome(Welcome {
        version: PROTOCOL_VERSION,
        tick_rate_hz: 20,
        player: EntityId(1),
        server_tick: 1,
        map,
        token,
        x: 256,
        y: 256,
        width_chunks: size.0,
        height_chunks: size.1,
        continent: (map >> 4) as u16,
        layer: (map & 0xF) as u16,
    })
}

fn redirect(address: String, token: SessionToken) -> Vec<Act> {
    vec![Act::Send(ServerMessage::Redirect(Redirect { address, token })), Act::Close(REDIRECTED)]
}

fn hello() -> Hello {
    Hello { name: "ann".into(), token: SESSION }
}

/// Logs in at `source` (which welcomes, then hands off), and returns the connection with the
/// mid-session Redirect read off it and the time it arrived.
fn play_until_redirect(source: &Fake) -> (Client, Redirect, Instant) {
    let mut followed = connect_following(source.addr, hello(), TIMEOUT).expect("welcomed at the source");
    assert_eq!(followed.welcome.token, SESSION);
    let msg = followed.client.recv().expect("a Redirect during play");
    let ServerMessage::Redirect(r) = msg else { panic!("not a Redirect: {msg:?}") };
    (followed.client, r, Instant::now())
}

/// The source: welcomes the first login and redirects it at once to `target`; welcomes later
/// logins with the session token.
fn source_handing_off_to(target: String) -> Script {
    Box::new(move |h, n| {
        let mut acts = vec![welcome(0, h.token)];
        if n == 0 {
            acts.extend(redirect(target.clone(), ONE_TIME));
        }
        acts
    })
}

#[test]
fn a_mid_session_redirect_is_followed_with_its_one_time_token_and_the_session_token_kept() {
    let target = Fake::start(Box::new(|_, _| vec![welcome(16, SessionToken::NONE)]));
    let source = Fake::start(source_handing_off_to(target.url()));
    let (old, r, at) = play_until_redirect(&source);
    drop(old);
    let done = follow_handoff(&r, at, source.addr, hello(), TIMEOUT).expect("handed off");

    assert_eq!(done.welcome.map, 16);
    assert_eq!(done.session_token, SESSION, "a zero Welcome token leaves the session token unchanged");
    assert_eq!(done.fallbacks, 0);
    assert_eq!(done.redirects.len(), 1);
    assert!(done.latency >= done.redirects[0].latency && done.latency < TIMEOUT);
    let at_target = target.hellos();
    assert_eq!(at_target.len(), 1);
    assert_eq!((at_target[0].name.as_str(), at_target[0].token), ("ann", ONE_TIME));
}

#[test]
fn the_game_client_keeps_its_session_token_over_a_zero_welcome_token() {
    let content = Arc::new(game::Content::builtin());
    let mut client = GameClient::new(content);
    let (first, handed, renewed) =
        (welcome_message(0, SESSION), welcome_message(16, SessionToken::NONE), welcome_message(0, ONE_TIME));
    client.handle(&first).expect("applies");
    client.handle(&handed).expect("applies");
    let session = client.world().session().expect("a session");
    assert_eq!((session.token, session.map.id), (SESSION, 16));
    client.handle(&renewed).expect("applies");
    assert_eq!(client.world().session().expect("a session").token, ONE_TIME, "a non-zero token replaces it");
}

#[test]
fn a_refused_handoff_token_falls_back_to_the_source_with_the_session_token() {
    let target = Fake::start(Box::new(|_, _| vec![Act::Close(HANDOFF_REFUSED)]));
    let source = Fake::start(source_handing_off_to(target.url()));
    let (old, r, at) = play_until_redirect(&source);
    drop(old);
    let done = follow_handoff(&r, at, source.addr, hello(), TIMEOUT).expect("taken back by the source");

    assert_eq!((done.fallbacks, done.welcome.map, done.session_token), (1, 0, SESSION));
    let tokens: Vec<SessionToken> = source.hellos().iter().map(|h| h.token).collect();
    assert_eq!(tokens, [SESSION, SESSION], "the fallback login presents the own session token");
    assert_eq!(target.hellos().iter().map(|h| h.token).collect::<Vec<_>>(), [ONE_TIME]);
}

#[test]
fn a_refused_handoff_falls_back_to_the_shard_that_sent_the_last_redirect() {
    let last = Fake::start(Box::new(|_, _| vec![Act::Close(HANDOFF_REFUSED)]));
    let last_url = last.url();
    let middle = Fake::start(Box::new(move |h, _| {
        if h.token == SESSION { vec![welcome(1, SESSION)] } else { redirect(last_url.clone(), ONE_TIME) }
    }));
    let source = Fake::start(source_handing_off_to(middle.url()));
    let (old, r, at) = play_until_redirect(&source);
    drop(old);
    let done = follow_handoff(&r, at, source.addr, hello(), TIMEOUT).expect("welcomed by the middle shard");

    assert_eq!((done.welcome.map, done.fallbacks, done.redirects.len()), (1, 1, 2));
    assert_eq!(source.hellos().len(), 1, "the source is not asked again");
    assert_eq!(middle.hellos().iter().map(|h| h.token).collect::<Vec<_>>(), [ONE_TIME, SESSION]);
}

#[test]
fn too_many_redirects_during_a_handoff_are_an_error() {
    // A shard that always redirects to itself.
    let own_url: Arc<Mutex<String>> = Arc::new(Mutex::new(String::new()));
    let shared = own_url.clone();
    let looping =
        Fake::start(Box::new(move |_, _| redirect(shared.lock().expect("not poisoned").clone(), ONE_TIME)));
    *own_url.lock().expect("not poisoned") = looping.url();
    let r = Redirect { address: looping.url(), token: ONE_TIME };
    let err = follow_handoff(&r, Instant::now(), looping.addr, hello(), TIMEOUT).expect_err("a loop ends");

    assert!(matches!(&err, ClientError::Unexpected(text) if text.contains("redirects")), "{err:?}");
    assert_eq!(looping.hellos().len(), MAX_REDIRECTS, "the mid-session Redirect and the ones after it");
}
