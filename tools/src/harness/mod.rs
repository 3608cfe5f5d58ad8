//! The bot harness behind the `bots` binary: one thread drives N real WebSocket game clients
//! through `net::client::Driver`, each with a `game::client::GameClient` (world + prediction),
//! giving realistic orders, acking frames, and measuring connections, errors, input→ack latency,
//! downstream bytes per client, frames per second and mispredictions. Every bot logs in with a
//! token it chose for its name (kept for reconnects of that name) and checks that Welcome
//! returns it; names and tokens come from an accounts file reused across runs ([`AccountsFile`])
//! or, without one, are new random ones. Against a shard on an IPv4 loopback address every bot
//! connects from its own loopback address ([`SourceIps`]). In gameplay mode ([`Mode`]) the bots
//! also handle items: moves, drops, pickups, and a box placed, filled, emptied and picked up. In
//! survival mode they play the survival loop instead: craft a club, equip it, eat, chat, attack,
//! gather from bushes and rocks, craft an axe and chop trees, plant seeds and harvest the crops
//! ([`SurvivalAction`], weighed by the [`Mix`]). No bot walks while the newest Frame shows its
//! character dead (its position there is where it fell, not where it comes back). A bot handed
//! off during play (a mid-session Redirect) reconnects where it is sent and carries on there,
//! falling back to the sending shard when the hand-off token is refused (4108).
//!
//! Use it as a library: build a [`HarnessConfig`] (or parse [`Args`]), keep
//! [`HarnessConfig::stop_handle`] to end early, and call [`run`] for a [`Report`];
//! [`Report::shortfall`] says whether fewer bots connected than were asked for, and why.

mod accounts;
mod bot;
mod config;
mod handoff;
mod item_counts;
mod item_plan;
mod item_play;
mod order_watch;
mod report;
mod rng;
mod roster;
mod run;
mod shortfall;
mod source_ips;
mod survival_counts;
mod survival_gather;
mod survival_mix;
mod survival_plan;
mod survival_play;
mod survival_travel;
mod survival_watch;
mod totals;

pub use accounts::{Account, AccountsError, AccountsFile, DEFAULT_ACCOUNTS_FILE};
pub use bot::{ACK_INTERVAL, wire_len, ws_header_len};
pub use config::{
    Args, HarnessConfig, Mode, bot_name, check_prefix, default_prefix, parse_server_addr, random_u64,
};
pub use item_counts::{Action, ActionCounts, ContainerMessages};
pub use item_play::ACTION_TIMEOUT;
pub use report::{LatencyMs, RatePercentiles, Report, latency_ms, percentile, rate_percentiles};
pub use rng::Rng;
pub use run::run;
pub use shortfall::{Shortfall, ShortfallCause};
pub use source_ips::{SourceIps, loopback_source};
pub use survival_counts::SurvivalSeen;
pub use survival_mix::{DEFAULT_WEIGHTS, Mix, MixError, SurvivalAction};

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
    /// The accounts file could not be locked, read or written.
    Accounts(AccountsError),
    /// No bot received a Welcome.
    NothingConnected {
        /// Connections attempted.
        attempted: usize,
        /// The first error seen, if any.
        first_error: Option<String>,
    },
}

impl From<AccountsError> for HarnessError {
    fn from(e: AccountsError) -> Self {
        HarnessError::Accounts(e)
    }
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
            Self::Accounts(e) => write!(f, "{e}"),
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
