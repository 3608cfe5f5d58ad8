//! Test support for end-to-end shard tests: a player over a real WebSocket with the client
//! library's world and predictor (two of them pumped together in [`duo`]), shards in process or
//! as child processes, and throw-away PostgreSQL databases and Redis prefixes. Under `CI=true` a
//! missing service fails the test.

#![allow(dead_code)]

mod brawl;
pub mod caves;
pub mod cluster;
mod db;
pub mod duo;
mod in_process;
mod item_audit;
mod stasher;
// Each test binary uses some of these.
#[allow(unused_imports)]
pub use brawl::{Crafter, Fighter};
#[allow(unused_imports)]
pub use db::TestDb;
#[allow(unused_imports)]
pub use in_process::InProcess;
#[allow(unused_imports)]
pub use item_audit::ItemAudit;
#[allow(unused_imports)]
pub use stasher::Stasher;

use game::Content;
use game::client::GameClient;
use net::client::{Client, ClientError};
use net::protocol::{ClientMessage, EntityId, Hello, Order, ServerMessage, SessionToken, Welcome};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A name unique to this test process and call.
pub fn unique(prefix: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{prefix}{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A free loopback port (bound then released), never one this process handed out before: two
/// calls in a row can otherwise get the same port back from the kernel.
pub fn free_addr() -> SocketAddr {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let addr = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port");
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if !given.contains(&addr.port()) {
            given.push(addr.port());
            return addr;
        }
    }
}

/// A player connected over a real WebSocket.
pub struct Player {
    pub client: Client,
    pub game: GameClient,
    pub welcome: Welcome,
    /// Error messages received: code, request (an Input's seq for an error it caused), text.
    pub errors: Vec<(u16, u32, String)>,
}

impl Player {
    /// Logs in with `token` (zeros for a new name) and waits for Welcome.
    pub fn connect(addr: SocketAddr, name: &str, token: [u8; 32]) -> Result<Player, ClientError> {
        let hello = Hello { name: name.to_owned(), token: SessionToken(token) };
        let (mut client, welcome) = Client::connect(addr, hello, Duration::from_secs(20))?;
        client.set_read_timeout(Duration::from_millis(20))?;
        let mut game = GameClient::new(Arc::new(Content::builtin()));
        game.handle(&ServerMessage::Welcome(welcome)).expect("welcome applies");
        Ok(Player { client, game, welcome, errors: Vec::new() })
    }

    /// The player's own entity.
    pub fn me(&self) -> EntityId {
        self.welcome.player
    }

    /// Receives and applies messages for `d`, acking frames.
    pub fn pump(&mut self, d: Duration) {
        let until = Instant::now() + d;
        while Instant::now() < until {
            if !self.pump_once() {
                return;
            }
        }
    }

    /// Pumps until `done` holds or `limit` passes; true when it held.
    pub fn pump_until(&mut self, limit: Duration, mut done: impl FnMut(&Player) -> bool) -> bool {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if done(self) {
                return true;
            }
            self.pump_once();
        }
        done(self)
    }

    /// One receive; false when the connection is gone.
    fn pump_once(&mut self) -> bool {
        match self.client.recv() {
            Ok(msg) => {
                if let ServerMessage::Error(e) = &msg {
                    self.errors.push((e.code, e.request, e.text.clone()));
                }
                self.game.handle(&msg).expect("server messages apply");
                if matches!(msg, ServerMessage::Frame(_))
                    && let Some(ack) = self.game.ack()
                {
                    let _ = self.client.send(&ClientMessage::Ack(ack));
                }
                true
            }
            Err(ClientError::Timeout) => true,
            Err(_) => false,
        }
    }

    /// Sends an order as an Input.
    pub fn order(&mut self, order: Order) {
        let input = self.game.input(order);
        self.client.send(&ClientMessage::Input(input)).expect("send input");
    }

    /// The authoritative own position from the latest frame.
    pub fn position(&self) -> Option<(i32, i32)> {
        self.game.world().own().map(|o| (o.state.x, o.state.y))
    }

    /// Whether `id` is in this player's view.
    pub fn sees(&self, id: EntityId) -> bool {
        self.game.world().entity(id).is_some()
    }

    /// The session token to log in again with.
    pub fn token(&self) -> [u8; 32] {
        self.welcome.token.0
    }
}

/// Distance in tiles between two positions.
pub fn tiles(a: (i32, i32), b: (i32, i32)) -> f64 {
    let (dx, dy) = (f64::from(a.0 - b.0), f64::from(a.1 - b.1));
    (dx * dx + dy * dy).sqrt() / 256.0
}

/// A `shard` child process.
pub struct ShardProcess {
    pub child: Child,
    pub listen: SocketAddr,
    pub admin: SocketAddr,
}

impl ShardProcess {
    /// Starts the shard binary with `args` on fresh ports and waits until it accepts players.
    /// The world is empty (`--bots 0`, not the binary's default) unless `args` give `--bots`.
    pub fn start(args: &[String]) -> ShardProcess {
        Self::start_env(args, &[])
    }

    /// [`ShardProcess::start`] with extra environment variables. A port taken by another process
    /// between choosing it and the shard binding it makes the shard exit at once; it is started
    /// again on fresh ports.
    pub fn start_env(args: &[String], env: &[(&str, &str)]) -> ShardProcess {
        for _ in 0..4 {
            if let Some(shard) = Self::try_start(args, env) {
                return shard;
            }
        }
        panic!("the shard exited before listening, four times (see its stderr above)");
    }

    fn try_start(args: &[String], env: &[(&str, &str)]) -> Option<ShardProcess> {
        let (listen, admin) = (free_addr(), free_addr());
        let empty_world: &[&str] = if args.iter().any(|a| a == "--bots") { &[] } else { &["--bots", "0"] };
        let child = Command::new(env!("CARGO_BIN_EXE_shard"))
            .args(["--listen", &listen.to_string(), "--admin", &admin.to_string()])
            .args(empty_world)
            .args(args)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the shard binary");
        let mut shard = ShardProcess { child, listen, admin };
        shard.wait_ready().then_some(shard)
    }

    /// Waits until the shard accepts connections; false when it exited first.
    fn wait_ready(&mut self) -> bool {
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            if std::net::TcpStream::connect_timeout(&self.listen, Duration::from_millis(200)).is_ok() {
                return true;
            }
            if let Some(status) = self.child.try_wait().expect("wait") {
                eprintln!("the shard on {} exited before listening: {status}", self.listen);
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the shard did not listen on {} within 60 s", self.listen);
    }

    /// SIGKILL: no chance to save anything.
    pub fn kill_hard(mut self) {
        self.child.kill().expect("kill -9");
        let _ = self.child.wait();
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM and wait; returns the exit code.
    pub fn terminate(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("send SIGTERM");
        let until = Instant::now() + Duration::from_secs(90);
        while Instant::now() < until {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("the shard did not exit within 90 s of SIGTERM");
    }
}

impl Drop for ShardProcess {
    fn drop(&mut self) {
        // A failed test must not leave a shard running.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Under CI a missing service fails; elsewhere the test is skipped with a notice.
pub fn unavailable(service: &str, err: &dyn std::fmt::Display) {
    assert!(!required(), "{service} is required under CI=true but unavailable: {err}");
    eprintln!("NOTICE: skipping test, {service} unavailable: {err}");
}

pub fn pg_base_url() -> String {
    std::env::var("SHARD_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub fn redis_url() -> String {
    std::env::var("SHARD_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A throw-away PostgreSQL database, dropped on drop.
pub struct PgDb {
    pub name: String,
    pub url: String,
}

impl PgDb {
    pub fn create() -> Option<PgDb> {
        let name = unique("shard_e2e_");
        match store::admin::create_database(&pg_base_url(), &name) {
            Ok(url) => Some(PgDb { name, url }),
            Err(e) => {
                unavailable("PostgreSQL", &e);
                None
            }
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = store::admin::drop_database(&pg_base_url(), &self.name);
    }
}

/// A Redis key prefix removed on drop.
pub struct RedisPrefix {
    pub prefix: String,
}

impl RedisPrefix {
    pub fn create() -> Option<RedisPrefix> {
        let prefix = unique("e2e") + ":";
        match store::meta::RedisMeta::connect(&redis_url(), &prefix) {
            Ok(_) => Some(RedisPrefix { prefix }),
            Err(e) => {
                unavailable("Redis", &e);
                None
            }
        }
    }
}

impl Drop for RedisPrefix {
    fn drop(&mut self) {
        if let Ok(meta) = store::meta::RedisMeta::connect(&redis_url(), &self.prefix) {
            let _ = meta.delete_all();
        }
    }
}
