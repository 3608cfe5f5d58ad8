//! Runs a shard from a validated [`ShardConfig`]: binds the admin and game ports first (a busy
//! port stops it before anything touches the data), locks the data directory against a second
//! shard, opens the store (embedded SQLite under the data directory, or PostgreSQL) and the
//! metadata store (in process, or Redis), stops on
//! SIGTERM or SIGINT, and reports what the final flush saved.

use crate::admin::{AdminError, AdminServer};
use crate::config::ShardConfig;
use crate::lock::{DataDirLock, LockError};
use crate::metrics::ShardAdmin;
use game::Content;
use game::shard::{Bound, Control, MapBoard, Shard, ShardError, ShardOptions, ShutdownReport, StatusBoard};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use store::meta::{MemoryMeta, MetaStore, RedisMeta, SystemClock};
use store::{Store, StoreConfig, StoreError};

/// File name of the embedded database inside the data directory.
pub const SQLITE_FILE: &str = "shard.sqlite3";

/// Why the shard could not run.
#[derive(Debug)]
pub enum ServeError {
    /// The game port could not be bound.
    Listen(SocketAddr, std::io::Error),
    /// The data directory could not be created.
    DataDir(PathBuf, std::io::Error),
    /// Another shard holds the data directory, or it could not be locked.
    Lock(LockError),
    /// The store could not be opened (migrations included).
    Store(StoreError),
    /// Redis could not be reached.
    Meta(StoreError),
    /// The shard could not start.
    Shard(ShardError),
    /// The admin port could not be opened.
    Admin(AdminError),
    /// Signal handlers could not be installed.
    Signals(std::io::Error),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Listen(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
            Self::DataDir(p, e) => write!(f, "cannot create data directory {}: {e}", p.display()),
            Self::Lock(e) => write!(f, "{e}"),
            Self::Store(e) => write!(f, "cannot open the store: {e}"),
            Self::Meta(e) => write!(f, "cannot reach the metadata store: {e}"),
            Self::Shard(e) => write!(f, "{e}"),
            Self::Admin(e) => write!(f, "{e}"),
            Self::Signals(e) => write!(f, "cannot install signal handlers: {e}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// Runs the shard until SIGTERM/SIGINT; returns what the shutdown saved. The calling thread runs
/// the ticks; the service threads start in the batch scheduling class, and the tick thread and
/// its helpers go in the real-time class when `tick_priority` asks ([`crate::sched`]).
pub fn run(config: &ShardConfig) -> Result<ShutdownReport, ServeError> {
    join_rayon_pool(config.tick_priority);
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, stop.clone()).map_err(ServeError::Signals)?;
    }
    let services = crate::sched::start_in_background(|| start_services(config))?;
    if let Some(priority) = config.tick_priority {
        crate::sched::make_realtime(priority, "tick");
    }
    tracing::info!(admin = %services.admin.local_addr(), "admin port open (/health, /metrics, /map)");
    let report = services.shard.run(&stop).map_err(ServeError::Shard)?;
    drop(services.admin);
    drop(services.lock);
    Ok(report)
}

/// What [`start_services`] starts; the data directory stays locked as long as `lock` lives.
struct Services {
    shard: Shard,
    admin: AdminServer,
    lock: Option<DataDirLock>,
}

/// Binds the admin and game ports, then opens the stores and starts the shard: every thread
/// they spawn. Until the shard runs, `/health` says `starting`.
fn start_services(config: &ShardConfig) -> Result<Services, ServeError> {
    let (status, map) = (Arc::new(StatusBoard::default()), Arc::new(MapBoard::default()));
    let control = Control::default();
    let source = Arc::new(
        ShardAdmin::new(status.clone(), config.bots).with_map(map.clone()).with_control(control.clone()),
    );
    let admin = AdminServer::start_with_token(config.admin, source, config.admin_token.clone())
        .map_err(ServeError::Admin)?;
    let backlog = options(config).net.listen_backlog;
    let listener =
        net::bind_listener(config.listen, backlog).map_err(|e| ServeError::Listen(config.listen, e))?;
    let (store, lock) = open_store(config)?;
    let meta = open_meta(config)?;
    let bound = Bound { listener: Some(listener), status, map, control };
    let content = Arc::new(Content::builtin());
    let mut opts = options(config);
    if config.web {
        opts.net.pages = Some(Arc::new(crate::web::play_pages(&content, config.tick_hz)));
    }
    let shard = Shard::start_on(opts, bound, content, Arc::new(store), meta).map_err(ServeError::Shard)?;
    Ok(Services { shard, admin, lock })
}

/// Makes the calling thread, which runs the ticks, worker 0 of rayon's global pool: a tick's
/// parallel stages then start on it at once and it takes back work a descheduled helper has
/// not begun, instead of sleeping until pool threads wake up and finish. On a machine shared
/// with other busy processes this cuts the tick's tail. Harmless when the pool already exists
/// (tests run several shards in one process): the ticks then hand their stages to it.
/// With `tick_priority`, each helper puts itself in the real-time class as it starts.
fn join_rayon_pool(tick_priority: Option<u8>) {
    let mut pool = rayon::ThreadPoolBuilder::new().use_current_thread();
    if let Some(priority) = tick_priority {
        pool = pool.start_handler(move |i| {
            crate::sched::make_realtime(priority, &format!("rayon helper {i}"));
        });
    }
    if let Err(e) = pool.build_global() {
        tracing::debug!(error = %e, "rayon's global pool already exists; ticks hand parallel stages to it");
    }
}

/// Shard options from the configuration.
pub fn options(config: &ShardConfig) -> ShardOptions {
    let mut opts = ShardOptions {
        tick_hz: config.tick_hz,
        bots: config.bots,
        bot_mix: config.bot_mix,
        start_radius_tiles: config.start_radius.try_into().unwrap_or(i32::MAX),
        ..ShardOptions::default()
    };
    opts.net.bind = config.listen;
    opts.net.max_connections_per_ip = config.max_conns_per_ip as usize;
    opts.net.slow_client_timeout = std::time::Duration::from_millis(u64::from(config.slow_client_ms));
    opts.shard_id = config.shard_id.clone();
    opts.maps = config.maps.clone();
    opts.lease = std::time::Duration::from_secs(u64::from(config.lease_seconds));
    opts.public_address = Some(config.public_address.clone());
    opts.slow_tick = config.slow_tick_ms.map(|ms| std::time::Duration::from_millis(u64::from(ms)));
    opts.test_pause = test_pause();
    opts
}

/// Crash tests only: `SHARD_TEST_HANDOFF_PAUSE=<step>` (`submitted`, `committed` or `accepted`)
/// makes the tick sleep 60 s at that step of every hand-off, so the test can kill the process
/// exactly there. Unset (or unknown) in production.
fn test_pause() -> Option<(game::shard::HandoffStep, std::time::Duration)> {
    let name = std::env::var("SHARD_TEST_HANDOFF_PAUSE").ok()?;
    let step = game::shard::HandoffStep::parse(&name);
    if step.is_none() {
        tracing::warn!(name, "SHARD_TEST_HANDOFF_PAUSE names no hand-off step: ignored");
    }
    Some((step?, std::time::Duration::from_secs(60)))
}

/// Opens the store; the embedded one only once its data directory is locked for this process.
fn open_store(config: &ShardConfig) -> Result<(Store, Option<DataDirLock>), ServeError> {
    let (store_config, lock) = match &config.database_url {
        Some(url) => (StoreConfig::postgres(url.clone()), None),
        None => {
            let dir = &config.data_dir;
            std::fs::create_dir_all(dir).map_err(|e| ServeError::DataDir(dir.clone(), e))?;
            let lock = DataDirLock::acquire(dir).map_err(ServeError::Lock)?;
            (StoreConfig::sqlite(dir.join(SQLITE_FILE)), Some(lock))
        }
    };
    Ok((Store::open(store_config).map_err(ServeError::Store)?, lock))
}

fn open_meta(config: &ShardConfig) -> Result<Arc<dyn MetaStore>, ServeError> {
    match &config.redis_url {
        Some(url) => Ok(Arc::new(RedisMeta::connect(url, &config.redis_prefix).map_err(ServeError::Meta)?)),
        None => Ok(Arc::new(MemoryMeta::new(Arc::new(SystemClock::default())))),
    }
}
