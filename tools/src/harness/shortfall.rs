//! When a run falls short: fewer bots received Welcome than were asked for. [`Shortfall`] says
//! how many connected, why the others did not (HTTP refusals with the server's reason, other
//! errors, a run that ended first) and what to change; the `bots` binary prints it and exits
//! non-zero.

use super::report::Report;
use std::collections::BTreeMap;
use std::fmt;

/// Body of the shard's HTTP 503 over its per-address limit (`net`'s event loop).
const PER_IP_BODY: &str = "too many connections from this address";
/// Body of the shard's HTTP 503 over its limit on all connections.
const SERVER_FULL_BODY: &str = "server full";

/// One reason some bots did not connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShortfallCause {
    /// HTTP 503 over the shard's limit of connections from one address (`max_conns_per_ip`).
    PerIpLimit {
        /// Connections refused for it.
        refused: u64,
    },
    /// HTTP 503: the shard holds as many connections as it accepts from everyone.
    ServerFull {
        /// Connections refused for it.
        refused: u64,
    },
    /// Another HTTP refusal (`reason` is the status and body, e.g. `HTTP 503` when the body was
    /// not received).
    Refused {
        /// Status and body.
        reason: String,
        /// Connections refused for it.
        refused: u64,
    },
    /// Connect failures and closes other than HTTP refusals (`Report::error_kinds`; some may
    /// have come from bots that had connected).
    Errors {
        /// Count by kind, HTTP refusals left out.
        kinds: BTreeMap<String, u64>,
    },
    /// Bots not started, or not yet welcomed, when the run ended.
    RunEnded {
        /// How many.
        bots: u64,
    },
}

/// Fewer bots received Welcome than were asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    /// Clients asked for.
    pub asked: usize,
    /// Bots that received Welcome.
    pub connected: u64,
    /// Why, most telling first.
    pub causes: Vec<ShortfallCause>,
}

impl Report {
    /// `Some` when fewer bots received Welcome than were asked for, saying why.
    pub fn shortfall(&self) -> Option<Shortfall> {
        if self.connected >= self.clients as u64 {
            return None;
        }
        let mut causes: Vec<ShortfallCause> = self.refusals.iter().map(|(r, &n)| refusal(r, n)).collect();
        let kinds: BTreeMap<String, u64> = self
            .error_kinds
            .iter()
            .filter(|(kind, _)| !kind.starts_with("connect:http_"))
            .map(|(kind, &n)| (kind.clone(), n))
            .collect();
        if !kinds.is_empty() {
            causes.push(ShortfallCause::Errors { kinds });
        }
        if self.unfinished > 0 {
            causes.push(ShortfallCause::RunEnded { bots: self.unfinished });
        }
        Some(Shortfall { asked: self.clients, connected: self.connected, causes })
    }
}

/// Classifies one HTTP refusal reason (`HTTP <status>[: <body>]`).
fn refusal(reason: &str, refused: u64) -> ShortfallCause {
    let body = reason.split_once(": ").map_or("", |(_, body)| body);
    match body {
        PER_IP_BODY => ShortfallCause::PerIpLimit { refused },
        SERVER_FULL_BODY => ShortfallCause::ServerFull { refused },
        _ => ShortfallCause::Refused { reason: reason.to_owned(), refused },
    }
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "only {} of {} clients connected", self.connected, self.asked)?;
        for cause in &self.causes {
            write!(f, "\n  - ")?;
            self.explain(cause, f)?;
        }
        Ok(())
    }
}

impl Shortfall {
    fn explain(&self, cause: &ShortfallCause, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let asked = self.asked;
        match cause {
            ShortfallCause::PerIpLimit { refused } => write!(
                f,
                "{refused} refused with \"HTTP 503: {PER_IP_BODY}\": the shard's per-IP connection limit is \
                 below the {asked} clients asked for; raise it to at least {asked} with the shard's \
                 `--max-conns-per-ip {asked}` (or SHARD_MAX_CONNS_PER_IP={asked}, or `max_conns_per_ip = {asked}` in its --config file), \
                 or run the bots from more addresses (against a shard at a 127.x.y.z address, \
                 `--source-ips auto`, the default, gives every bot its own loopback address)"
            ),
            ShortfallCause::ServerFull { refused } => write!(
                f,
                "{refused} refused with \"HTTP 503: {SERVER_FULL_BODY}\": the shard holds all the \
                 connections it accepts; run fewer clients or load another shard"
            ),
            ShortfallCause::Refused { reason, refused } => write!(
                f,
                "{refused} refused with \"{reason}\" (a 503 is a connection limit: per IP address, \
                 raised with the shard's `--max-conns-per-ip` or avoided on one machine with \
                 `--source-ips auto`, or on all connections)"
            ),
            ShortfallCause::Errors { kinds } => write!(f, "errors {kinds:?}"),
            ShortfallCause::RunEnded { bots } => write!(
                f,
                "{bots} not started or not yet welcomed when the run ended; lengthen --duration or \
                 raise --connect-rate"
            ),
        }
    }
}
