//! The harness's final report (human summary or one JSON object) and its percentile helpers.

use super::config::Mode;
use super::item_counts::{ActionCounts, ContainerMessages, ItemLines};
use super::survival_counts::{SurvivalLines, SurvivalSeen};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Input→ack latency in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencyMs {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

/// Percentiles across bots of downstream bytes per second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RatePercentiles {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// What a harness run measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Clients asked for.
    pub clients: usize,
    /// What the bots did (`move`; `gameplay`: items too; `survival`: the survival loop too).
    pub mode: Mode,
    /// Measured time, seconds (start of the run to the start of the final close).
    pub duration_s: f64,
    /// Connections started.
    pub attempted: u64,
    /// Bots that received Welcome.
    pub connected: u64,
    /// Bots not started, or started and not yet welcomed, when the run ended.
    pub unfinished: u64,
    /// Upgrades the server refused over HTTP, by status and reason (the response body), e.g.
    /// `HTTP 503: too many connections from this address`; also counted in `error_kinds` as
    /// `connect:http_<status>`.
    pub refusals: BTreeMap<String, u64>,
    /// Closes we did not request, connect failures, Error messages (other than the refusals of
    /// item and survival actions, counted in `item_refused` and `survival_refused`), undecodable messages, messages the client
    /// world refused, container changes that missed one, and Welcomes with another token than
    /// the bot's.
    pub errors: u64,
    /// `errors` by kind: `connect:http_<status>` / `connect:timeout` / `connect:io`,
    /// `closed:<code>` (or `closed:none`), `server_error:<code>`, `decode`, `client_world`,
    /// `container_out_of_sync` (a ContainerChange not made against the revision held),
    /// `token_mismatch` (a Welcome whose token is not the one the bot sent in Hello, nor zero
    /// after a Redirect's token), `redirect:address` / `redirect:io` / `redirect:loop` (a
    /// Redirect that could not be followed: not a `ws://` address, no connection, too many).
    pub error_kinds: BTreeMap<String, u64>,
    /// Time from sending Input `n` to the first Frame with `last_input_seq ≥ n`.
    pub latency_ms: LatencyMs,
    /// Inputs whose latency was measured.
    pub latency_samples: u64,
    /// Per-bot downstream bytes per second over its connected time (bots connected at least
    /// 1 s), p50 and p99 across bots. Estimated: the driver does not count bytes per
    /// connection, so this is each received message's protocol length plus its WebSocket
    /// header (2, 4 or 10 bytes: server frames are unmasked), which is exact for unfragmented
    /// messages. `driver_bytes_in` is the driver's measured total for comparison.
    pub down_bytes_per_client_s: RatePercentiles,
    /// Frames received per second, all bots together.
    pub frames_per_s: f64,
    /// Frames received.
    pub frames: u64,
    /// Inputs sent.
    pub inputs_sent: u64,
    /// Acks sent.
    pub acks_sent: u64,
    /// ChunkData messages received.
    pub chunk_messages: u64,
    /// ChunkDrop messages received.
    pub chunk_drops: u64,
    /// ObjectDelta messages received.
    pub object_deltas: u64,
    /// Stats messages received (the own character's vitals).
    pub stats_messages: u64,
    /// Frames compared with the own-position prediction made before they arrived.
    pub predictions: u64,
    /// Of those, off by more than 1/8 tile.
    pub mispredicted: u64,
    /// Redirect messages received before a Welcome (each followed: the bot logs in where it
    /// names); the ones received during play are hand-offs.
    pub redirects: u64,
    /// From a Redirect received to the Welcome of the shard it named: median and largest, ms.
    pub redirect_latency_p50_ms: f64,
    pub redirect_latency_max_ms: f64,
    /// Hand-offs completed: a Redirect received during play, followed to a Welcome (through
    /// further Redirects if any).
    pub handoffs: u64,
    /// Hand-offs that failed, by reason: `refused` (4108; the bot then logs in again at the
    /// shard that sent the Redirect), `closed:<code>` / `connect:…` (the connection ended before
    /// Welcome), `connect` (could not start), `address` (not a `ws://` one), `loop` (too many
    /// Redirects in a row).
    pub handoffs_failed: BTreeMap<String, u64>,
    /// From the mid-session Redirect received to the Welcome, completed hand-offs.
    pub handoff_latency_ms: LatencyMs,
    /// Follow orders answered with Error 101: the character followed had left (logged out,
    /// handed off to another map) before the order arrived. A race of the game, not an error.
    pub follows_lost: u64,
    /// Estimated downstream bytes, all bots (see `down_bytes_per_client_s`).
    pub down_bytes_total: u64,
    /// Bytes the driver read from sockets, all connections.
    pub driver_bytes_in: u64,
    /// Item actions sent (gameplay mode), every kind.
    pub item_actions_sent: u64,
    /// Item actions whose change was observed, every kind.
    pub item_actions_done: u64,
    /// Item actions by kind (`move`, `drop`, `pickup`, `place`, `open`, `stash`, `take`,
    /// `close`, `pick_up_box`): sent, done, refused, unanswered, lost races.
    pub item_actions: BTreeMap<String, ActionCounts>,
    /// Refusals of item actions by error code (e.g. 110, stale: the container changed since
    /// the bot saw it). Expected now and then under races; not errors.
    pub item_refused: BTreeMap<u16, u64>,
    /// Container messages received (every mode: the inventory is shown from login on).
    pub container_messages: ContainerMessages,
    /// The first few interact orders (pickups, box opened or picked up) that ended without
    /// effect or got no answer, each described (distances, target in view or not, the order the
    /// frame head showed).
    pub item_samples: Vec<String>,
    /// Survival actions by kind (the names of `SurvivalAction::ALL`: `craft`, `equip`, `eat`,
    /// `chat`, `attack`, `gather`, `chop`, `plant`, `harvest`; survival mode): sent, done,
    /// refused, ended (a craft cancelled or failed, an attack that landed no hit, an interact
    /// order that stopped without items), lost (the object gathered from left view first),
    /// unanswered.
    pub survival_actions: BTreeMap<String, ActionCounts>,
    /// Refusals of survival actions by error code (e.g. 147: not hungry; 141: chat too fast;
    /// 131: nothing to gather at the object's stage; 135: no soil for the seed there).
    pub survival_refused: BTreeMap<u16, u64>,
    /// The first few interact orders of survival mode (gathering, chopping, harvesting) that
    /// ended without items, lost their object or got no answer, each described.
    pub survival_samples: Vec<String>,
    /// What the survival bots saw: CraftProgress states, damage dealt, deaths, respawns, chat
    /// lines heard (counted in every mode).
    pub survival: SurvivalSeen,
    /// What the figures suggest, for people (e.g. that refused tokens point at an accounts
    /// file from another server).
    pub notes: Vec<String>,
}

impl Report {
    /// The report as one JSON object (one line).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.latency_ms;
        let d = &self.down_bytes_per_client_s;
        writeln!(
            f,
            "bots: {} of {} connected over {:.1} s ({} attempted, {} unfinished)",
            self.connected, self.clients, self.duration_s, self.attempted, self.unfinished
        )?;
        writeln!(f, "errors: {} {:?}", self.errors, self.error_kinds)?;
        if !self.refusals.is_empty() {
            writeln!(f, "refused: {:?}", self.refusals)?;
        }
        writeln!(
            f,
            "input→ack latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} inputs)",
            l.p50, l.p99, l.max, self.latency_samples
        )?;
        writeln!(f, "downstream per client: p50 {:.0} B/s, p99 {:.0} B/s (estimated)", d.p50, d.p99)?;
        writeln!(f, "frames: {:.0}/s ({} in all)", self.frames_per_s, self.frames)?;
        writeln!(
            f,
            "chunks: {} data, {} drops, {} object deltas; inputs {}, acks {}; redirects {}; follows lost {}",
            self.chunk_messages,
            self.chunk_drops,
            self.object_deltas,
            self.inputs_sent,
            self.acks_sent,
            self.redirects,
            self.follows_lost
        )?;
        if self.redirects > 0 {
            let (p50, max) = (self.redirect_latency_p50_ms, self.redirect_latency_max_ms);
            writeln!(f, "redirect latency: p50 {p50:.1} ms, max {max:.1} ms")?;
        }
        if self.handoffs > 0 || !self.handoffs_failed.is_empty() {
            let h = &self.handoff_latency_ms;
            writeln!(
                f,
                "hand-offs: {} completed, failed {:?}; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                self.handoffs, self.handoffs_failed, h.p50, h.p99, h.max
            )?;
        }
        let c = &self.container_messages;
        writeln!(f, "containers: {} contents, {} changes, {} closed", c.contents, c.changes, c.closed)?;
        if self.mode == Mode::Gameplay {
            writeln!(
                f,
                "{}",
                ItemLines { label: "item", actions: &self.item_actions, refused: &self.item_refused }
            )?;
            for sample in &self.item_samples {
                writeln!(f, "  {sample}")?;
            }
        }
        if self.mode == Mode::Survival {
            let (actions, refused, seen) = (&self.survival_actions, &self.survival_refused, &self.survival);
            writeln!(f, "{}", SurvivalLines { actions, refused, seen })?;
            for sample in &self.survival_samples {
                writeln!(f, "  {sample}")?;
            }
        }
        write!(
            f,
            "prediction: {} of {} frames mispredicted (> 1/8 tile)",
            self.mispredicted, self.predictions
        )?;
        for note in &self.notes {
            write!(f, "\nnote: {note}")?;
        }
        Ok(())
    }
}

/// Short kind of a failed connect from the driver's reason text: `connect:http_<status>` for an
/// upgrade refused over HTTP (e.g. 503 over a connection limit), `connect:timeout`, else
/// `connect:io`.
pub fn connect_failure_kind(reason: &str) -> String {
    if let Some(rest) = reason.strip_prefix("refused with HTTP ") {
        let status: String = rest.chars().take_while(char::is_ascii_digit).collect();
        return format!("connect:http_{status}");
    }
    if reason.contains("timeout") { "connect:timeout" } else { "connect:io" }.to_owned()
}

/// Nearest-rank percentile `q` (0..=100) of ascending `sorted` values; 0 when empty.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q.clamp(0.0, 100.0) / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Percentiles of a histogram of microseconds, in milliseconds (zeros when empty).
pub fn latency_ms(h: &Histogram<u64>) -> LatencyMs {
    if h.is_empty() {
        return LatencyMs::default();
    }
    let ms = |us: u64| us as f64 / 1000.0;
    LatencyMs { p50: ms(h.value_at_quantile(0.5)), p99: ms(h.value_at_quantile(0.99)), max: ms(h.max()) }
}

/// p50 and p99 of unsorted rates.
pub fn rate_percentiles(mut rates: Vec<f64>) -> RatePercentiles {
    rates.retain(|r| r.is_finite());
    rates.sort_by(f64::total_cmp);
    RatePercentiles { p50: percentile(&rates, 50.0), p99: percentile(&rates, 99.0) }
}
