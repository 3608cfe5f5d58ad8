//! The harness's run-wide counters, and the report they make with the facts of the run (its
//! length, the bots' byte rates and predictions, the input latency histogram).

use super::config::HarnessConfig;
use super::handoff::HandoffTotals;
use super::item_counts::ItemTotals;
use super::report::{Report, latency_ms, rate_percentiles};
use super::roster::accounts_hint;
use super::survival_counts::SurvivalTotals;
use game::wire::close::WRONG_TOKEN;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;

/// What the run measured besides the counters.
pub(super) struct RunFacts<'a> {
    pub cfg: &'a HarnessConfig,
    pub duration_s: f64,
    /// Bots started.
    pub attempted: usize,
    /// Input → acknowledging frame, µs.
    pub latency: &'a Histogram<u64>,
    /// Each bot's downstream bytes per second, bots connected long enough.
    pub rates: Vec<f64>,
    /// Frames compared with the prediction, and of those mispredicted.
    pub predictions: (u64, u64),
    /// Bytes the driver read.
    pub driver_bytes_in: u64,
}

/// Run-wide counters.
#[derive(Debug, Default)]
pub(super) struct Totals {
    pub(super) connected: u64,
    pub(super) playing: u64,
    pub(super) frames: u64,
    pub(super) inputs_sent: u64,
    pub(super) acks_sent: u64,
    pub(super) chunk_messages: u64,
    pub(super) chunk_drops: u64,
    pub(super) object_deltas: u64,
    pub(super) stats_messages: u64,
    pub(super) redirects: u64,
    pub(super) redirect_latency: engine::DurationHistogram,
    pub(super) handoffs: HandoffTotals,
    pub(super) follows_lost: u64,
    pub(super) down_bytes: u64,
    pub(super) unfinished: u64,
    pub(super) error_kinds: BTreeMap<String, u64>,
    pub(super) refusals: BTreeMap<String, u64>,
    pub(super) first_error: Option<String>,
    pub(super) items: ItemTotals,
    pub(super) survival: SurvivalTotals,
}

impl Totals {
    pub(super) fn error(&mut self, kind: &str, detail: impl FnOnce() -> String) {
        *self.error_kinds.entry(kind.to_owned()).or_default() += 1;
        if self.first_error.is_none() {
            self.first_error = Some(format!("{kind}: {}", detail()));
        }
    }

    pub(super) fn errors(&self) -> u64 {
        self.error_kinds.values().sum()
    }

    pub(super) fn report(&self, run: RunFacts<'_>) -> Report {
        let (t, duration_s) = (self, run.duration_s);
        let refused_tokens = t.error_kinds.get(&format!("closed:{WRONG_TOKEN}")).copied().unwrap_or(0);
        let notes = match &run.cfg.accounts {
            Some(path) if refused_tokens > 0 => {
                vec![format!(
                    "{refused_tokens} bots refused with {WRONG_TOKEN} (wrong token): {}",
                    accounts_hint(path)
                )]
            }
            _ => Vec::new(),
        };
        Report {
            clients: run.cfg.clients,
            mode: run.cfg.mode,
            duration_s,
            attempted: run.attempted as u64,
            connected: t.connected,
            unfinished: t.unfinished,
            refusals: t.refusals.clone(),
            errors: t.errors(),
            error_kinds: t.error_kinds.clone(),
            latency_ms: latency_ms(run.latency),
            latency_samples: run.latency.len(),
            down_bytes_per_client_s: rate_percentiles(run.rates),
            frames_per_s: t.frames as f64 / duration_s,
            frames: t.frames,
            inputs_sent: t.inputs_sent,
            acks_sent: t.acks_sent,
            chunk_messages: t.chunk_messages,
            chunk_drops: t.chunk_drops,
            object_deltas: t.object_deltas,
            stats_messages: t.stats_messages,
            predictions: run.predictions.0,
            mispredicted: run.predictions.1,
            redirects: t.redirects,
            redirect_latency_p50_ms: t.redirect_latency.summary().p50_us as f64 / 1000.0,
            redirect_latency_max_ms: t.redirect_latency.summary().max_us as f64 / 1000.0,
            handoffs: t.handoffs.completed,
            handoffs_failed: t.handoffs.failed.clone(),
            handoff_latency_ms: t.handoffs.latency_ms(),
            follows_lost: t.follows_lost,
            down_bytes_total: t.down_bytes,
            driver_bytes_in: run.driver_bytes_in,
            item_actions_sent: t.items.tally.total_sent(),
            item_actions_done: t.items.tally.total_done(),
            item_actions: t.items.tally.by_name(),
            item_refused: t.items.tally.refused.clone(),
            container_messages: t.items.containers,
            item_samples: t.items.samples.clone(),
            survival_actions: t.survival.tally.by_name(),
            survival_refused: t.survival.tally.refused.clone(),
            survival_samples: t.survival.samples.clone(),
            survival: t.survival.seen.clone(),
            notes,
        }
    }
}
