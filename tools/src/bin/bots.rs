//! `bots`: drives N real WebSocket game clients against a shard and reports what it measured
//! (see `tools::harness`). Ctrl-C ends the run early and still reports.

use anyhow::Context as _;
use clap::Parser as _;
use tools::harness::{self, Args};

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let json = args.json;
    let mut config = args.into_config()?;
    config.progress = true;
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, config.stop_handle()).context("installing signal handlers")?;
    }
    let report = harness::run(config)?;
    if json {
        println!("{}", report.to_json());
    } else {
        println!("{report}");
    }
    Ok(())
}
