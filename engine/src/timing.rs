//! Duration histograms (HDR, microsecond resolution) for tick, stage and system times, and the
//! p50/p99/max summaries that metrics export.

use hdrhistogram::Histogram;
use std::time::Duration;

/// Highest duration recorded exactly: one minute. Longer ones saturate at it.
const MAX_MICROS: u64 = 60_000_000;

/// A histogram of durations.
#[derive(Debug, Clone)]
pub struct DurationHistogram {
    micros: Histogram<u64>,
}

/// Quantiles of a [`DurationHistogram`], in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimingSummary {
    /// Number of samples.
    pub count: u64,
    /// Median.
    pub p50_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Largest sample.
    pub max_us: u64,
}

impl Default for DurationHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl DurationHistogram {
    /// An empty histogram with 3 significant digits from 1 µs to one minute.
    pub fn new() -> Self {
        let micros = Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("constant bounds are valid");
        Self { micros }
    }

    /// Records one duration (never allocates).
    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(MAX_MICROS).max(1);
        self.micros.saturating_record(us);
    }

    /// p50, p99 and max so far.
    pub fn summary(&self) -> TimingSummary {
        if self.micros.is_empty() {
            return TimingSummary::default();
        }
        TimingSummary {
            count: self.micros.len(),
            p50_us: self.micros.value_at_quantile(0.50),
            p99_us: self.micros.value_at_quantile(0.99),
            max_us: self.micros.max(),
        }
    }

    /// Forgets every sample (for windowed reporting).
    pub fn reset(&mut self) {
        self.micros.reset();
    }
}
