//! Library side of the binaries: what `shard` and `bots` parse and compose, kept out of `main` so
//! it is tested. `src/bin/shard.rs` and `src/bin/bots.rs` are thin wrappers.

pub mod admin;
pub mod build_info;
pub mod config;
pub mod config_keys;
pub mod harness;
pub mod live_map;
pub mod lock;
pub mod logging;
pub mod metrics;
pub mod sched;
pub mod serve;
pub mod web;
