//! The shard's configuration: defaults, then a TOML file (`--config`), then `SHARD_*` environment
//! variables, then command-line flags, each layer overriding the one before. Everything is
//! validated at start; an error names the field and where its value came from. [`unknown_env_vars`]
//! picks out the `SHARD_*` variables that are none of these, for the binary to warn about.

use crate::admin::AdminToken;
use crate::config_keys::FileSettings;
use clap::Parser;
use game::gameplay::bots::BotMix;
use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Command-line flags of the `shard` binary (each also settable in the file and the environment).
/// Numeric flags take values starting with `-`, so that a negative number reaches validation and
/// its error names the field instead of the parser's.
#[derive(Debug, Default, Parser)]
#[command(name = "shard", about = "A shard server for a 2D survival MMO", version = crate::build_info::VERSION_LINE)]
pub struct Flags {
    /// TOML file with any of the settings below (snake_case keys).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// WebSocket address for game clients [default: 127.0.0.1:7777].
    #[arg(long)]
    pub listen: Option<String>,
    /// Admin HTTP address (health, metrics) [default: 127.0.0.1:7778].
    #[arg(long)]
    pub admin: Option<String>,
    /// Server-side bots to run (0 for an empty world) [default: 100].
    #[arg(long, allow_hyphen_values = true)]
    pub bots: Option<String>,
    /// What the bots do, as weights of gather, chop, craft, plant, fight and wander
    /// [default: gather=40,chop=20,craft=15,plant=10,fight=5,wander=10].
    #[arg(long)]
    pub bot_mix: Option<String>,
    /// New characters start within this many tiles of the first map's centre (widened until it
    /// holds enough land) [default: 1024].
    #[arg(long, allow_hyphen_values = true)]
    pub start_radius: Option<String>,
    /// Directory of the embedded SQLite database [default: ./data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://…); without it the embedded SQLite store is used.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Redis URL (redis://…); without it sessions and chunk metadata stay in process.
    #[arg(long)]
    pub redis_url: Option<String>,
    /// Simulation ticks per second [default: 20].
    #[arg(long, allow_hyphen_values = true)]
    pub tick_hz: Option<String>,
    /// Most client connections from one IP address [default: 16]; raise it for load tests.
    #[arg(long, allow_hyphen_values = true)]
    pub max_conns_per_ip: Option<String>,
    /// A client that cannot keep up with its frames for this many ms is closed with 1013
    /// [default: 5000].
    #[arg(long, allow_hyphen_values = true)]
    pub slow_client_ms: Option<String>,
    /// This shard's id in the metadata store [default: shard-1].
    #[arg(long)]
    pub shard_id: Option<String>,
    /// Prefix of every Redis key this shard writes [default: mmo:].
    #[arg(long)]
    pub redis_prefix: Option<String>,
    /// A tick longer than this many ms logs a warning saying where its time went
    /// [default: half the tick period].
    #[arg(long, allow_hyphen_values = true)]
    pub slow_tick_ms: Option<String>,
    /// Run the tick thread and its helpers in the real-time SCHED_FIFO class at this priority
    /// (1–99; needs CAP_SYS_NICE) [default: normal class].
    #[arg(long, allow_hyphen_values = true)]
    pub tick_priority: Option<String>,
    /// Do not serve the play page on the game port (plain HTTP requests then get 400)
    /// [default: served].
    #[arg(long)]
    pub no_web: bool,
    /// Token the live map (/map on the admin port) asks for when the admin address is not
    /// loopback: 16–256 letters, digits, -, _, . or ~ (better in SHARD_ADMIN_TOKEN or the file:
    /// flags show in the process list) [default: none].
    #[arg(long)]
    pub admin_token: Option<String>,
    /// Maps this shard may simulate, comma-separated ids (the first is where new characters
    /// begin); it claims the free ones and stands by for the others [default: every map].
    #[arg(long)]
    pub maps: Option<String>,
    /// A map claim expires this many seconds after its last renewal; renewals and standby polls
    /// happen every third of it [default: 15].
    #[arg(long, allow_hyphen_values = true)]
    pub lease_seconds: Option<String>,
    /// The WebSocket URL other shards redirect this shard's clients to
    /// [default: ws://{listen}/].
    #[arg(long)]
    pub public_address: Option<String>,
}

/// A validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardConfig {
    /// WebSocket listen address.
    pub listen: SocketAddr,
    /// Admin HTTP address.
    pub admin: SocketAddr,
    /// Server-side bots.
    pub bots: u32,
    /// What the bots do (the survival loop's activities, weighed).
    pub bot_mix: BotMix,
    /// Radius of the start area around the first map's centre, tiles.
    pub start_radius: u32,
    /// Embedded store directory.
    pub data_dir: PathBuf,
    /// PostgreSQL URL, when configured.
    pub database_url: Option<String>,
    /// Redis URL, when configured.
    pub redis_url: Option<String>,
    /// Ticks per second.
    pub tick_hz: u32,
    /// Most client connections per IP address.
    pub max_conns_per_ip: u32,
    /// How long a client may lag behind its frames before it is closed with 1013, ms.
    pub slow_client_ms: u32,
    /// Shard id in the metadata store.
    pub shard_id: String,
    /// Prefix of Redis keys.
    pub redis_prefix: String,
    /// Slow-tick warning threshold in ms; `None`: half the tick period.
    pub slow_tick_ms: Option<u32>,
    /// Real-time (`SCHED_FIFO`) priority of the tick thread and its helpers; `None`: the normal
    /// class.
    pub tick_priority: Option<u8>,
    /// Serve the play page and `/content.json` on the game port.
    pub web: bool,
    /// The live map's token (needed when the admin address is not loopback); never printed.
    pub admin_token: Option<AdminToken>,
    /// Maps this shard may simulate; empty: every map (surfaces and caves).
    pub maps: Vec<u32>,
    /// Map lease in seconds.
    pub lease_seconds: u32,
    /// Address clients are redirected to (`ws://…/`).
    pub public_address: String,
}

/// Largest number of bots one shard accepts.
pub const MAX_BOTS: u32 = 1_000_000;
/// Bots a shard runs unless told otherwise: enough that a newcomer sees a world that moves.
pub const DEFAULT_BOTS: u32 = 100;

/// A configuration error: which field, where the value came from, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The command line could not be parsed (includes `--help` output).
    Flags(String),
    /// The config file could not be read or parsed.
    File { path: PathBuf, reason: String },
    /// A value is invalid.
    Invalid { field: &'static str, origin: String, reason: String },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flags(message) => write!(f, "{message}"),
            Self::File { path, reason } => write!(f, "config file {}: {reason}", path.display()),
            Self::Invalid { field, origin, reason } => write!(f, "`{field}` (from {origin}): {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// One setting's raw value and where it came from.
struct Raw {
    value: String,
    origin: String,
}

impl ShardConfig {
    /// Reads flags from `args` (program name first), the file they name, and the environment
    /// through `env`; validates the result.
    pub fn load<I, T>(args: I, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let flags = Flags::try_parse_from(args).map_err(|e| ConfigError::Flags(e.to_string()))?;
        let file = match &flags.config {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let pick = |field: &'static str, flag: Option<String>, from_file: Option<String>| {
            layered(field, flag, &env, from_file)
        };
        let config = ShardConfig {
            listen: addr("listen", pick("listen", flags.listen, file.listen), "127.0.0.1:7777")?,
            admin: addr("admin", pick("admin", flags.admin, file.admin), "127.0.0.1:7778")?,
            bots: number(
                "bots",
                pick("bots", flags.bots, file.bots.map(|b| b.to_string())),
                DEFAULT_BOTS,
                0..=MAX_BOTS,
            )?,
            bot_mix: bot_mix(pick("bot_mix", flags.bot_mix, file.bot_mix))?,
            start_radius: number(
                "start_radius",
                pick("start_radius", flags.start_radius, file.start_radius.map(|r| r.to_string())),
                default_start_radius(),
                1..=65_536,
            )?,
            data_dir: path(pick("data_dir", path_str(flags.data_dir), path_str(file.data_dir)))?,
            database_url: url(
                "database_url",
                pick("database_url", flags.database_url, file.database_url),
                &["postgres://", "postgresql://"],
            )?,
            redis_url: url(
                "redis_url",
                pick("redis_url", flags.redis_url, file.redis_url),
                &["redis://", "rediss://"],
            )?,
            tick_hz: number(
                "tick_hz",
                pick("tick_hz", flags.tick_hz, file.tick_hz.map(|h| h.to_string())),
                20,
                1..=1000,
            )?,
            max_conns_per_ip: number(
                "max_conns_per_ip",
                pick(
                    "max_conns_per_ip",
                    flags.max_conns_per_ip,
                    file.max_conns_per_ip.map(|n| n.to_string()),
                ),
                16,
                1..=1_000_000,
            )?,
            slow_client_ms: number(
                "slow_client_ms",
                pick("slow_client_ms", flags.slow_client_ms, file.slow_client_ms.map(|n| n.to_string())),
                5000,
                100..=600_000,
            )?,
            shard_id: name("shard_id", pick("shard_id", flags.shard_id, file.shard_id), "shard-1")?,
            redis_prefix: name(
                "redis_prefix",
                pick("redis_prefix", flags.redis_prefix, file.redis_prefix),
                "mmo:",
            )?,
            slow_tick_ms: optional_number(
                "slow_tick_ms",
                pick("slow_tick_ms", flags.slow_tick_ms, file.slow_tick_ms.map(|n| n.to_string())),
                1..=60_000,
            )?,
            tick_priority: optional_number(
                "tick_priority",
                pick("tick_priority", flags.tick_priority, file.tick_priority.map(|n| n.to_string())),
                1..=99,
            )?
            .map(|p| p as u8),
            web: boolean(
                "web",
                pick("web", flags.no_web.then(|| "false".into()), file.web.map(|b| b.to_string())),
                true,
            )?,
            admin_token: admin_token(pick("admin_token", flags.admin_token, file.admin_token))?,
            maps: map_list(pick("maps", flags.maps, file.maps))?,
            lease_seconds: number(
                "lease_seconds",
                pick("lease_seconds", flags.lease_seconds, file.lease_seconds.map(|n| n.to_string())),
                15,
                2..=3600,
            )?,
            public_address: String::new(),
        };
        let public = pick("public_address", flags.public_address, file.public_address);
        let config = ShardConfig { public_address: public_address(public, config.listen)?, ..config };
        config.check()
    }

    /// Cross-field rules.
    fn check(self) -> Result<Self, ConfigError> {
        if self.listen == self.admin {
            return Err(invalid("admin", "the configuration", "must differ from `listen`"));
        }
        Ok(self)
    }
}

/// Environment variables the shard reads besides `SHARD_<FIELD>`: the log format, and the test
/// suites' database and Redis URLs (`scripts/test.sh`).
pub const OTHER_ENV_VARS: &[&str] = &["SHARD_LOG_FORMAT", "SHARD_TEST_PG", "SHARD_TEST_REDIS"];

/// Every `SHARD_*` variable the shard knows: `SHARD_<FIELD>` for each setting (the keys of the
/// config file, the fields [`ShardConfig::load`] layers) and [`OTHER_ENV_VARS`].
pub fn known_env_vars() -> Vec<String> {
    let fields = crate::config_keys::file_keys().iter().map(|field| env_var(field));
    fields.chain(OTHER_ENV_VARS.iter().map(|v| v.to_string())).collect()
}

/// The `SHARD_*` names among `names` that the shard does not know (misspellings, usually).
pub fn unknown_env_vars<I, S>(names: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let known = known_env_vars();
    names
        .into_iter()
        .map(|n| n.as_ref().to_owned())
        .filter(|n| n.starts_with("SHARD_") && !known.contains(n))
        .collect()
}

/// The environment variable of a setting: `SHARD_` and its name in capitals.
fn env_var(field: &str) -> String {
    format!("SHARD_{}", field.to_ascii_uppercase())
}

fn read_file(path: &PathBuf) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::File { path: path.clone(), reason: e.to_string() })?;
    toml::from_str(&text).map_err(|e| ConfigError::File { path: path.clone(), reason: e.to_string() })
}

/// The highest-priority value of a field: flag, then `SHARD_<FIELD>`, then the file.
fn layered(
    field: &'static str,
    flag: Option<String>,
    env: &impl Fn(&str) -> Option<String>,
    from_file: Option<String>,
) -> Option<Raw> {
    debug_assert!(crate::config_keys::file_keys().contains(&field), "`{field}` is not a config file key");
    let var = env_var(field);
    flag.map(|value| Raw { value, origin: format!("--{}", field.replace('_', "-")) })
        .or_else(|| env(&var).map(|value| Raw { value, origin: var.clone() }))
        .or_else(|| from_file.map(|value| Raw { value, origin: "the config file".to_string() }))
}

fn invalid(field: &'static str, origin: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid { field, origin: origin.to_string(), reason: reason.to_string() }
}

fn addr(field: &'static str, raw: Option<Raw>, default: &str) -> Result<SocketAddr, ConfigError> {
    let Some(raw) = raw else { return Ok(default.parse().expect("valid default address")) };
    raw.value.trim().parse().map_err(|_| {
        invalid(field, &raw.origin, &format!("`{}` is not an address like 127.0.0.1:7777", raw.value))
    })
}

fn number(
    field: &'static str,
    raw: Option<Raw>,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    let Some(raw) = raw else { return Ok(default) };
    let n: u32 = raw.value.trim().parse().map_err(|_| {
        invalid(field, &raw.origin, &format!("`{}` is not a whole number of 0 or more", raw.value))
    })?;
    if !range.contains(&n) {
        let reason = format!("{n} is outside {}..={}", range.start(), range.end());
        return Err(invalid(field, &raw.origin, &reason));
    }
    Ok(n)
}

/// A number in `range` when the setting is given, `None` when it is not.
fn optional_number(
    field: &'static str,
    raw: Option<Raw>,
    range: std::ops::RangeInclusive<u32>,
) -> Result<Option<u32>, ConfigError> {
    raw.map(|raw| number(field, Some(raw), *range.start(), range)).transpose()
}

/// A short identifier: 1–64 characters of letters, digits, `-`, `_`, `:` and `.`.
fn name(field: &'static str, raw: Option<Raw>, default: &str) -> Result<String, ConfigError> {
    let Some(raw) = raw else { return Ok(default.to_owned()) };
    let ok = |c: char| c.is_ascii_alphanumeric() || "-_:.".contains(c);
    if raw.value.is_empty() || raw.value.len() > 64 || !raw.value.chars().all(ok) {
        let reason = "must be 1–64 characters of letters, digits, -, _, : and .";
        return Err(invalid(field, &raw.origin, reason));
    }
    Ok(raw.value)
}

fn boolean(field: &'static str, raw: Option<Raw>, default: bool) -> Result<bool, ConfigError> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.value.trim() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => Err(invalid(field, &raw.origin, &format!("`{other}` is not true or false"))),
    }
}

/// The admin token; an invalid one is refused without echoing it.
fn admin_token(raw: Option<Raw>) -> Result<Option<AdminToken>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    AdminToken::new(raw.value.trim()).map(Some).map_err(|reason| invalid("admin_token", &raw.origin, reason))
}

/// A comma-separated list of map ids (empty: every map).
fn map_list(raw: Option<Raw>) -> Result<Vec<u32>, ConfigError> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    let mut maps = Vec::new();
    for part in raw.value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id: u32 = part.parse().map_err(|_| {
            invalid("maps", &raw.origin, &format!("`{part}` is not a map id (a whole number)"))
        })?;
        if maps.contains(&id) {
            return Err(invalid("maps", &raw.origin, &format!("map {id} is listed twice")));
        }
        maps.push(id);
    }
    Ok(maps)
}

/// The redirect address: given (a `ws://` or `wss://` URL), or `ws://{listen}/`.
fn public_address(raw: Option<Raw>, listen: SocketAddr) -> Result<String, ConfigError> {
    let Some(raw) = raw else { return Ok(format!("ws://{listen}/")) };
    let ok = (raw.value.starts_with("ws://") || raw.value.starts_with("wss://")) && raw.value.len() <= 255;
    if !ok {
        return Err(invalid(
            "public_address",
            &raw.origin,
            "must be a ws:// or wss:// URL of at most 255 bytes",
        ));
    }
    Ok(raw.value)
}

fn bot_mix(raw: Option<Raw>) -> Result<BotMix, ConfigError> {
    let Some(raw) = raw else { return Ok(BotMix::default()) };
    raw.value
        .parse()
        .map_err(|e: game::gameplay::bots::BotMixError| invalid("bot_mix", &raw.origin, &e.to_string()))
}

/// The start area's radius the game uses unless told otherwise, tiles.
fn default_start_radius() -> u32 {
    u32::try_from(game::shard::ShardOptions::default().start_radius_tiles).unwrap_or(1)
}

fn path_str(p: Option<PathBuf>) -> Option<String> {
    p.map(|p| p.to_string_lossy().into_owned())
}

fn path(raw: Option<Raw>) -> Result<PathBuf, ConfigError> {
    match raw {
        None => Ok(PathBuf::from("./data")),
        Some(raw) if raw.value.trim().is_empty() => {
            Err(invalid("data_dir", &raw.origin, "must not be empty"))
        }
        Some(raw) => Ok(PathBuf::from(raw.value)),
    }
}

fn url(field: &'static str, raw: Option<Raw>, schemes: &[&str]) -> Result<Option<String>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    if schemes.iter().any(|s| raw.value.starts_with(s)) {
        Ok(Some(raw.value))
    } else {
        Err(invalid(field, &raw.origin, &format!("must start with {}", schemes.join(" or "))))
    }
}
