//! The harness's settings: command-line flags of the `bots` binary, their validation into a
//! [`HarnessConfig`], the server address parser and bot name generation.

use super::HarnessError;
use super::accounts::DEFAULT_ACCOUNTS_FILE;
use super::source_ips::SourceIps;
use super::survival_mix::Mix;
use clap::{Parser, ValueEnum};
use game::Content;
use net::protocol::MAX_NAME_LEN;
use serde::Serialize;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

/// Command-line flags of the `bots` binary.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "bots",
    about = "Drives N real WebSocket game clients against a shard and measures it",
    version = crate::build_info::VERSION_LINE
)]
pub struct Args {
    /// Shard address: `ws://host:port/` (or `host:port`).
    #[arg(long, default_value = "ws://127.0.0.1:7777")]
    pub server: String,
    /// Number of clients.
    #[arg(long, default_value_t = 100)]
    pub clients: usize,
    /// Run length in seconds (fractions allowed).
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
    /// Print the final report as one JSON object instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Bot names are this prefix plus the bot's index [default: "b" + 6 random hex + "-"].
    /// With an accounts file it names only the accounts the file does not hold yet: the names
    /// in the file win.
    #[arg(long)]
    pub name_prefix: Option<String>,
    /// New connections per second while ramping up.
    #[arg(long, default_value_t = 200.0)]
    pub connect_rate: f64,
    /// Each bot's local address: `auto` gives every bot its own 127.x.y.z address when the
    /// server is an IPv4 loopback address (so the shard's per-address connection limit never
    /// applies to a test on its own machine) and lets the system pick otherwise; `off` always
    /// lets the system pick.
    #[arg(long, default_value_t = SourceIps::Auto, value_name = "auto|off")]
    pub source_ips: SourceIps,
    /// File of the bots' names and session tokens, reused by every run so it logs the same
    /// characters in (missing accounts are added to it before connecting; locked while the
    /// run lasts); `none`: new random names and tokens every run, kept nowhere.
    #[arg(long, default_value = DEFAULT_ACCOUNTS_FILE, value_name = "PATH|none")]
    pub accounts: String,
    /// What the bots do: `move` walks (move-to, follow, stop); `gameplay` also handles items
    /// (moves between inventory and bag, drops, pickups, placing, filling, emptying and picking
    /// up a box), one action every 1–3 s; `survival` also plays the survival loop (crafts a
    /// club, equips it, eats when hungry, chats, attacks characters nearby for a few seconds,
    /// gathers from bushes and rocks, crafts an axe and chops trees, plants seeds, harvests ripe
    /// crops), one action every 1–3 s, picked by `--mix`.
    #[arg(long, value_enum, default_value_t = Mode::Move)]
    pub mode: Mode,
    /// Survival mode: how often each action is picked among those possible at the time, as
    /// NAME=WEIGHT entries (craft, equip, eat, chat, attack, gather, chop, plant, harvest; 0
    /// never); an action not named keeps its default weight [default:
    /// craft=30,equip=30,eat=40,chat=4,attack=15,gather=30,chop=30,plant=15,harvest=30].
    #[arg(long, value_name = "NAME=WEIGHT,...")]
    pub mix: Option<Mix>,
}

/// What the bots do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Walk: move-to, follow and stop orders every 2–6 s.
    #[default]
    Move,
    /// Walk, and handle items one action every 1–3 s (`item_play`).
    Gameplay,
    /// Walk, and play the survival loop one action every 1–3 s (`survival_play`).
    Survival,
}

impl Args {
    /// Parses flags (`args[0]` is the program name); errors carry clap's message.
    pub fn try_parse_args<I, T>(args: I) -> Result<Args, HarnessError>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Args::try_parse_from(args).map_err(|e| HarnessError::Args(e.to_string()))
    }

    /// Validates the flags into a configuration (resolving the server address).
    pub fn into_config(self) -> Result<HarnessConfig, HarnessError> {
        let server = parse_server_addr(&self.server)?;
        if self.clients == 0 {
            return Err(HarnessError::invalid("clients", "must be at least 1"));
        }
        if !(self.duration.is_finite() && self.duration > 0.0 && self.duration <= 1e7) {
            return Err(HarnessError::invalid("duration", "must be a positive number of seconds"));
        }
        if !(self.connect_rate.is_finite() && self.connect_rate > 0.0) {
            return Err(HarnessError::invalid("connect-rate", "must be a positive number per second"));
        }
        if self.mix.is_some() && self.mode != Mode::Survival {
            return Err(HarnessError::invalid("mix", "applies to --mode survival only"));
        }
        let prefix = self.name_prefix.unwrap_or_else(|| default_prefix(random_u64()));
        check_prefix(&prefix, self.clients)?;
        let accounts = match self.accounts.as_str() {
            "none" => None,
            "" => return Err(HarnessError::invalid("accounts", "give a file path, or `none`")),
            path => Some(PathBuf::from(path)),
        };
        let mut config = HarnessConfig::new(server, self.clients);
        config.duration = Duration::from_secs_f64(self.duration);
        config.name_prefix = prefix;
        config.connect_rate = self.connect_rate;
        config.source_ips = self.source_ips;
        config.accounts = accounts;
        config.mode = self.mode;
        config.mix = self.mix.unwrap_or_default();
        Ok(config)
    }
}

/// Everything a harness run needs.
#[derive(Debug, Clone)]
pub struct HarnessConfig {
    /// The shard's WebSocket address.
    pub server: SocketAddr,
    /// Number of clients.
    pub clients: usize,
    /// Run length (ramp-up included); the run may end earlier through `stop`.
    pub duration: Duration,
    /// Bot `i` is named `name_prefix + i` (with `accounts`: only the accounts the file lacks).
    pub name_prefix: String,
    /// Which local address each bot connects from.
    pub source_ips: SourceIps,
    /// The accounts file whose first `clients` accounts the bots log in with (extended as
    /// needed, locked for the run); `None`: fresh random names and tokens, kept nowhere.
    pub accounts: Option<PathBuf>,
    /// New connections per second while ramping up.
    pub connect_rate: f64,
    /// Print a progress line on stderr once per second.
    pub progress: bool,
    /// Content the shard runs (for the client world and prediction).
    pub content: Arc<Content>,
    /// Seed of the bots' decisions.
    pub seed: u64,
    /// Set to end the run early (it then closes every connection and reports).
    pub stop: Arc<AtomicBool>,
    /// End the run as soon as every bot has been welcomed or has failed (a check of who gets
    /// in, rather than a measurement); `duration` still bounds it.
    pub end_when_settled: bool,
    /// What the bots do.
    pub mode: Mode,
    /// Survival mode: the weights of the actions.
    pub mix: Mix,
}

impl HarnessConfig {
    /// Defaults: 30 s, 200 connections/s, a random name prefix, loopback source addresses
    /// spread (`SourceIps::Auto`), no accounts file, built-in content, no progress, move mode
    /// (survival mode's default mix).
    pub fn new(server: SocketAddr, clients: usize) -> Self {
        let seed = random_u64();
        HarnessConfig {
            server,
            clients,
            duration: Duration::from_secs(30),
            name_prefix: default_prefix(seed),
            source_ips: SourceIps::Auto,
            accounts: None,
            connect_rate: 200.0,
            progress: false,
            content: Arc::new(Content::builtin()),
            seed,
            stop: Arc::new(AtomicBool::new(false)),
            end_when_settled: false,
            mode: Mode::Move,
            mix: Mix::default(),
        }
    }

    /// The flag that ends the run early when set (clone it before `run`).
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }
}

/// Parses `ws://host:port[/path]` or `host:port` into a socket address (the first the name
/// resolves to). `wss://` is refused: the harness speaks plain WebSocket only.
pub fn parse_server_addr(input: &str) -> Result<SocketAddr, HarnessError> {
    let bad = |reason: &str| HarnessError::BadAddress { input: input.to_owned(), reason: reason.to_owned() };
    let rest = match input.split_once("://") {
        Some(("ws", rest)) => rest,
        Some((scheme, _)) => return Err(bad(&format!("unsupported scheme `{scheme}` (use ws://)"))),
        None => input,
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(bad("no host"));
    }
    let with_port = if has_port(authority) { authority.to_owned() } else { format!("{authority}:80") };
    let mut addrs = with_port.to_socket_addrs().map_err(|e| bad(&e.to_string()))?;
    addrs.next().ok_or_else(|| bad("the name resolves to no address"))
}

/// True when `authority` ends with `:port` (an IPv6 literal is bracketed).
fn has_port(authority: &str) -> bool {
    match authority.rsplit_once(':') {
        Some((host, port)) => !port.is_empty() && (!host.contains(':') || host.ends_with(']')),
        None => false,
    }
}

/// The default name prefix: `b` + 6 hex digits of `random` + `-`.
pub fn default_prefix(random: u64) -> String {
    format!("b{:06x}-", random & 0xFF_FFFF)
}

/// Name of bot `index`.
pub fn bot_name(prefix: &str, index: usize) -> String {
    format!("{prefix}{index}")
}

/// Refuses a prefix with which the last bot's name would exceed the protocol's 32 bytes.
pub fn check_prefix(prefix: &str, clients: usize) -> Result<(), HarnessError> {
    let longest = bot_name(prefix, clients.saturating_sub(1)).len();
    if longest > MAX_NAME_LEN {
        let why = format!("names would be {longest} bytes, over {MAX_NAME_LEN}");
        return Err(HarnessError::invalid("name-prefix", &why));
    }
    Ok(())
}

/// 64 random bits from the standard library (per-process random keys, time and pid).
pub fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    h.write_u32(std::process::id());
    h.finish()
}
