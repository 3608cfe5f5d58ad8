//! `shard`: runs a shard server. Configuration from defaults, `--config FILE`, `SHARD_*`
//! environment variables and flags (see `tools::config`); logs to stderr (`RUST_LOG` filters,
//! `SHARD_LOG_FORMAT=json` for JSON lines, colour only on a terminal and without `NO_COLOR`).

use std::io::IsTerminal;
use std::process::ExitCode;
use tools::config::{ConfigError, ShardConfig};
use tools::logging::{self, LogFormat};

fn main() -> ExitCode {
    let config = match ShardConfig::load(std::env::args_os(), |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(ConfigError::Flags(text)) if !text.starts_with("error") => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => return bad_configuration(&e),
    };
    let format = match logging::log_format(std::env::var("SHARD_LOG_FORMAT").ok().as_deref()) {
        Ok(format) => format,
        Err(e) => return bad_configuration(&e),
    };
    init_logs(format);
    match tools::serve::run(&config) {
        Ok(report) if report.complete() => ExitCode::SUCCESS,
        Ok(report) => {
            tracing::error!(%report, "storage did not confirm every write before the deadline");
            ExitCode::from(1)
        }
        Err(e) => {
            tracing::error!("{:#}", anyhow::Error::new(e));
            ExitCode::from(1)
        }
    }
}

fn bad_configuration(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("shard: bad configuration: {e}");
    ExitCode::from(2)
}

/// Installs the logger, then warns about each `SHARD_*` variable the shard does not read.
fn init_logs(format: LogFormat) {
    let no_color = std::env::var_os("NO_COLOR");
    logging::init(format, logging::use_colour(std::io::stderr().is_terminal(), no_color.as_deref()));
    let names = std::env::vars_os().filter_map(|(k, _)| k.into_string().ok());
    for var in tools::config::unknown_env_vars(names) {
        tracing::warn!(%var, "unknown SHARD_* environment variable ignored (misspelt?)");
    }
}
