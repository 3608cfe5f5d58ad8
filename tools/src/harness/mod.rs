//! The bot harness behind the `bots` binary: one thread drives N real WebSocket game clients
//! through `net::client::Driver`, each with a `game::client::GameClient` (world + prediction),
//! giving realistic orders, acking frames, and measuring connections, errors, input→ack latency,
//! downstream bytes per client, frames per second and mispredictions. Every bot logs in with a
//! random token it chose for its name (kept for reconnects of that name) and checks that Welcome
//! returns it.
//!
//! Use it as a library: build a [`HarnessConfig`] (or parse [`Args`]), keep
//! [`HarnessConfig::stop_handle`] to end early, and call [`run`] for a [`Report`];
//! [`Report::shortfall`] says whether fewer bots connected than were asked for, and why.

mod bot;
mod config;
mod report;
mod run;
mod shortfall;

pub use bot::{ACK_INTERVAL, Rng, wire_len, ws_header_len};
pub use config::{
    Args, HarnessConfig, bot_name, check_prefix, default_prefix, parse_server_addr, random_u64,
};
pub use report::{LatencyMs, RatePercentiles, Report, latency_ms, percentile, rate_percentiles};
pub use run::run;
pub use shortfall::{Shortfall, ShortfallCause};

use std::fmt;

/// Why a harness run could not start or produced nothing.
#[derive(Debug)]
pub enum HarnessError {
    /// The command line did not parse (clap's message).
    Args(String),
    /// The server address is unusable.
    BadAddress {
        /// What was given.
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// A setting is out of range.
    Invalid {
        /// The flag.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The client driver failed (poll setup or poll).
    Driver(std::io::Error),
    /// The operating system could not supply random bytes for the bots' session tokens.
    Randomness(String),
    /// No bot received a Welcome.
    NothingConnected {
        /// Connections attempted.
        attempted: usize,
        /// The first error seen, if any.
        first_error: Option<String>,
    },
}

impl HarnessError {
    pub(crate) fn invalid(field: &'static str, reason: &str) -> Self {
        HarnessError::Invalid { field, reason: reason.to_owned() }
    }
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Args(e) => write!(f, "{e}"),
            Self::BadAddress { input, reason } => write!(f, "bad server address `{input}`: {reason}"),
            Self::Invalid { field, reason } => write!(f, "--{field}: {reason}"),
            Self::Driver(e) => write!(f, "client driver failed: {e}"),
            Self::Randomness(e) => write!(f, "no session tokens for the bots: {e}"),
            Self::NothingConnected { attempted, first_error } => {
                write!(f, "no client could connect ({attempted} attempted)")?;
                match first_error {
                    Some(e) => write!(f, "; first error: {e}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for HarnessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Driver(e) => Some(e),
            _ => None,
        }
    }
}
