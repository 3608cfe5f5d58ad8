//! Structured logs for the binaries: `tracing` events to stderr, filtered by `RUST_LOG`
//! (default `info`), as text or as one JSON object per line (`SHARD_LOG_FORMAT`); text is
//! coloured only when stderr is a terminal and `NO_COLOR` is unset or empty.

use std::ffi::OsStr;
use std::fmt;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `SHARD_LOG_FORMAT` holds something other than `text` or `json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFormatError(pub String);

impl fmt::Display for LogFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SHARD_LOG_FORMAT=`{}`: accepted values are `text` and `json`", self.0)
    }
}

impl std::error::Error for LogFormatError {}

/// The format `SHARD_LOG_FORMAT` asks for; unset means text.
pub fn log_format(value: Option<&str>) -> Result<LogFormat, LogFormatError> {
    match value {
        None | Some("text") => Ok(LogFormat::Text),
        Some("json") => Ok(LogFormat::Json),
        Some(other) => Err(LogFormatError(other.to_owned())),
    }
}

/// Whether to colour the logs: only on a terminal, and not when `NO_COLOR` is set to anything
/// non-empty (<https://no-color.org>).
pub fn use_colour(stderr_is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(OsStr::is_empty)
}

/// Installs the global subscriber (once; later calls do nothing).
pub fn init(format: LogFormat, colour: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
