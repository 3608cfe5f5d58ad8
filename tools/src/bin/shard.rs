//! `shard`: runs a shard server. Configuration from defaults, `--config FILE`, `SHARD_*`
//! environment variables and flags (see `tools::config`); logs to stderr (`RUST_LOG` filters,
//! `SHARD_LOG_FORMAT=json` for JSON lines).

use std::process::ExitCode;
use tools::config::{ConfigError, ShardConfig};

fn main() -> ExitCode {
    let config = match ShardConfig::load(std::env::args_os(), |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(ConfigError::Flags(text)) if !text.starts_with("error") => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("shard: bad configuration: {e}");
            return ExitCode::from(2);
        }
    };
    tools::logging::init(std::env::var("SHARD_LOG_FORMAT").is_ok_and(|f| f == "json"));
    warn_unknown_env_vars();
    match tools::serve::run(&config) {
        Ok(report) if report.complete() => ExitCode::SUCCESS,
        Ok(report) => {
            tracing::error!(?report, "storage did not confirm every write before the deadline");
            ExitCode::from(1)
        }
        Err(e) => {
            tracing::error!("{:#}", anyhow::Error::new(e));
            ExitCode::from(1)
        }
    }
}

/// Warns about each `SHARD_*` variable of the environment the shard does not read.
fn warn_unknown_env_vars() {
    let names = std::env::vars_os().filter_map(|(k, _)| k.into_string().ok());
    for var in tools::config::unknown_env_vars(names) {
        tracing::warn!(%var, "unknown SHARD_* environment variable ignored (misspelt?)");
    }
}
