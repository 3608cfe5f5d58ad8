//! A shard running in the test process on a store of the test's choice, stopped on request.

use game::Content;
use game::shard::{Control, Shard, ShardOptions, ShutdownReport, StatusBoard};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use store::meta::{MemoryMeta, SystemClock};
use store::{Store, StoreConfig};

/// A running in-process shard.
pub struct InProcess {
    pub addr: SocketAddr,
    pub status: Arc<StatusBoard>,
    /// The admin port's handle: moves players (hand-offs, also between this shard's maps).
    pub control: Control,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<ShutdownReport>,
    store: Arc<Store>,
}

impl InProcess {
    /// Starts a shard on `store` with `opts`, new players near the centre, on a free port.
    pub fn start(store: StoreConfig, opts: ShardOptions) -> InProcess {
        InProcess::start_with_content(store, opts, Arc::new(Content::builtin()))
    }

    /// [`InProcess::start`] running `content` (e.g. the built-in content with faster hunger).
    pub fn start_with_content(
        store: StoreConfig,
        mut opts: ShardOptions,
        content: Arc<Content>,
    ) -> InProcess {
        tools::logging::init(tools::logging::LogFormat::Text, false);
        let store = Arc::new(Store::open(store).expect("open store"));
        let meta = Arc::new(MemoryMeta::new(Arc::new(SystemClock::default())));
        opts.start_radius_tiles = 3;
        opts.net.bind = "127.0.0.1:0".parse().unwrap();
        let shard = Shard::start(opts, content, store.clone(), meta).expect("start shard");
        let (addr, status, control) = (shard.local_addr(), shard.status(), shard.control());
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || shard.run(&flag).expect("run"));
        InProcess { addr, status, control, stop, thread, store }
    }

    /// Stops the shard (saving everything) and hands back its report and store.
    pub fn stop(self) -> (ShutdownReport, Arc<Store>) {
        self.stop.store(true, Ordering::Release);
        (self.thread.join().expect("shard thread"), self.store)
    }
}
