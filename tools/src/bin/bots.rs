//! `bots`: drives N real WebSocket game clients against a shard and reports what it measured
//! (see `tools::harness`). Ctrl-C ends the run early and still reports. Exit codes: 0 when every
//! client connected, 1 when the run could not start or nothing connected, 2 for bad flags,
//! [`SHORTFALL`] when fewer clients connected than asked (after the report, saying why).

use anyhow::Context as _;
use clap::Parser as _;
use std::process::ExitCode;
use tools::harness::{self, Args};

/// Exit code of a run in which fewer clients connected than were asked for.
const SHORTFALL: u8 = 3;

fn main() -> anyhow::Result<ExitCode> {
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
    match report.shortfall() {
        Some(shortfall) => {
            eprintln!("bots: {shortfall}");
            Ok(ExitCode::from(SHORTFALL))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}
