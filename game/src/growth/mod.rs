//! Growth in closed form (§10): where an object of a growing kind (a tree, a crop) stands in its
//! growth table at any time, computed from the stage it was stored at and when that stage began,
//! never by simulating the time in between. A chunk loaded after a year away costs what one
//! loaded after a second costs; [`timers`] schedules the stage changes of resident objects.
//!
//! The record keeps `stage`, `stage_started_ms` and `stage_ends_ms` (milliseconds of the
//! simulation clock, which the shard anchors to Unix time so stored times survive restarts);
//! the stage and its start are the truth, the end is derived from them with the table.

pub mod timers;

pub use timers::GrowthTimers;

use crate::content::Growth;
use store::ObjectRecord;

/// `stage_ends_ms` of a final stage: it never ends.
pub const NEVER: i64 = i64::MAX;

/// Where an object stands in its growth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageAt {
    /// Stage index in the kind's table (the wire's `state`).
    pub stage: u16,
    /// When the stage began (ms, simulation clock).
    pub started_ms: i64,
    /// When it ends: `started_ms` plus its duration, or [`NEVER`] for the final stage.
    pub ends_ms: i64,
}

impl StageAt {
    /// Writes the stage and its times into `record`.
    pub fn write(self, record: &mut ObjectRecord) {
        (record.stage, record.stage_started_ms, record.stage_ends_ms) =
            (self.stage, self.started_ms, self.ends_ms);
    }
}

/// The stage continuous simulation would show at `now_ms` for an object that entered `stage` at
/// `started_ms`.
///
/// Formula: with `d(s)` the duration of stage `s` (`seconds[s]·1000` ms) and `last` the final
/// stage, starting from `(s, t) = (min(stage, last), started_ms)`: for each following stage in
/// turn, while `t + d(s) ≤ now_ms`: `t ← t + d(s)`, `s ← s + 1`. The result is
/// `(s, t, t + d(s))`, or `(last, t, NEVER)` at the final stage. Every stage after the stored one
/// is looked at, crossed or not (at most 15), so the cost is the same whatever the time away: a
/// second or a century. A new stage begins at the exact time the previous one ended (not when
/// someone looked), so advancing in many small steps equals one big step. A stage stored beyond
/// the table (the content lost stages) is read as the final stage; a start after `now_ms` (the
/// clock set back) leaves the stage as it is. Sums saturate.
///
/// Worked example (the tree: 1800 s, 7200 s, 21600 s): stored sapling (0) started at 0 ms;
/// at 1_799_999 ms still sapling, ends 1_800_000; at 1_800_000 young (1) started 1_800_000,
/// ends 9_000_000; at 10_000_000 mature (2) started 9_000_000, ends 30_600_000; a year later
/// old (3) started 30_600_000, ends [`NEVER`].
pub fn advance(growth: &Growth, stage: u16, started_ms: i64, now_ms: i64) -> StageAt {
    let stored = stage.min(growth.last_stage());
    let (mut s, mut t) = (stored, started_ms);
    let mut crossing = true;
    for j in stored..growth.last_stage() {
        let ends = t.saturating_add(growth.duration_ms(j).unwrap_or(0));
        crossing &= ends <= now_ms;
        if crossing {
            (s, t) = (j + 1, ends);
        }
    }
    let ends_ms = growth.duration_ms(s).map_or(NEVER, |d| t.saturating_add(d));
    StageAt { stage: s, started_ms: t, ends_ms }
}

/// Brings `record` up to `now_ms` with [`advance`]; true when its stage changed.
pub fn bring_up_to_date(record: &mut ObjectRecord, growth: &Growth, now_ms: i64) -> bool {
    let next = advance(growth, record.stage, record.stage_started_ms, now_ms);
    let changed = next.stage != record.stage;
    next.write(record);
    changed
}

/// The simulation clock (`SimClock::now_ms`, unsigned) as a record time.
pub fn clock_ms(now_ms: u64) -> i64 {
    i64::try_from(now_ms).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Growth {
        let stages = ["sapling", "young", "mature", "old"].map(String::from).to_vec();
        Growth { stages, seconds: vec![1800, 7200, 21600] }
    }

    fn at(stage: u16, started_ms: i64, ends_ms: i64) -> StageAt {
        StageAt { stage, started_ms, ends_ms }
    }

    #[test]
    fn the_worked_example_of_the_tree() {
        let g = tree();
        assert_eq!(advance(&g, 0, 0, 0), at(0, 0, 1_800_000));
        assert_eq!(advance(&g, 0, 0, 1_799_999), at(0, 0, 1_800_000));
        assert_eq!(advance(&g, 0, 0, 1_800_000), at(1, 1_800_000, 9_000_000), "a stage ends on time");
        assert_eq!(advance(&g, 0, 0, 10_000_000), at(2, 9_000_000, 30_600_000));
        let year = 365 * 24 * 3_600_000;
        assert_eq!(advance(&g, 0, 0, year), at(3, 30_600_000, NEVER), "the last stage lasts forever");
    }

    #[test]
    fn a_stage_is_measured_from_its_stored_start() {
        let g = tree();
        // Young since 5 s: it has 7195 s left.
        assert_eq!(advance(&g, 1, 5_000, 5_000), at(1, 5_000, 7_205_000));
        assert_eq!(advance(&g, 1, 5_000, 7_205_000 + 21_600_000), at(3, 28_805_000, NEVER));
        // The final stage keeps its start.
        assert_eq!(advance(&g, 3, 42, i64::MAX), at(3, 42, NEVER));
    }

    #[test]
    fn odd_stored_values_are_read_safely() {
        let g = tree();
        assert_eq!(advance(&g, 9, 100, 200), at(3, 100, NEVER), "beyond the table: the final stage");
        assert_eq!(advance(&g, 0, 5_000, 0), at(0, 5_000, 1_805_000), "a clock set back: no change");
        assert_eq!(advance(&g, 0, i64::MAX - 10, i64::MAX - 1), at(0, i64::MAX - 10, NEVER), "saturates");
        assert_eq!(advance(&g, 0, i64::MIN, 0), at(3, i64::MIN + 30_600_000, NEVER));
        let one = Growth { stages: vec!["only".into()], seconds: vec![] };
        assert_eq!(advance(&one, 0, 7, 8), at(0, 7, NEVER));
    }

    #[test]
    fn a_record_is_brought_up_to_date_in_place() {
        let mut r = ObjectRecord { kind: 1, stage_started_ms: 1_000, ..Default::default() };
        assert!(!bring_up_to_date(&mut r, &tree(), 1_000), "same stage");
        assert_eq!((r.stage, r.stage_started_ms, r.stage_ends_ms), (0, 1_000, 1_801_000));
        assert!(bring_up_to_date(&mut r, &tree(), 9_001_000));
        assert_eq!((r.stage, r.stage_started_ms, r.stage_ends_ms), (2, 9_001_000, 30_601_000));
        assert_eq!(clock_ms(u64::MAX), i64::MAX);
        assert_eq!(clock_ms(12), 12);
    }

    mod property {
        use super::*;
        use proptest::prelude::*;

        fn growth() -> impl Strategy<Value = Growth> {
            prop::collection::vec(1u32..5_000, 0..15).prop_map(|seconds| {
                let stages = (0..=seconds.len()).map(|i| format!("s{i}")).collect();
                Growth { stages, seconds }
            })
        }

        proptest! {
            /// Advancing in many small steps (a resident chunk ticked now and then) gives exactly
            /// what one big step gives (a chunk loaded after the whole time away).
            #[test]
            fn many_small_steps_equal_one_big_step(
                g in growth(),
                stage in 0u16..16,
                started in -1_000_000_000i64..1_000_000_000,
                steps in prop::collection::vec(0i64..3_000_000, 1..60),
            ) {
                let mut now = started;
                let mut small = advance(&g, stage, started, now);
                for step in &steps {
                    now += step;
                    small = advance(&g, small.stage, small.started_ms, now);
                }
                prop_assert_eq!(small, advance(&g, stage, started, now));
            }

            /// The stage shown is the one whose interval holds `now`.
            #[test]
            fn the_stage_shown_holds_now(
                g in growth(),
                started in -1_000_000_000i64..1_000_000_000,
                away in 0i64..100_000_000,
            ) {
                let now = started + away;
                let at = advance(&g, 0, started, now);
                prop_assert!(at.started_ms <= now && now < at.ends_ms);
                prop_assert_eq!(at.ends_ms == NEVER, at.stage == g.last_stage());
            }
        }
    }
}
