//! What survival mode counts: the bots' actions by kind (sent, done, refused by error code,
//! ended without effect, lost to another, unanswered), the CraftProgress states seen, the damage
//! the bots' attack targets were seen to take, the deaths and respawns of the bots' own
//! characters and the chat lines heard, and describes the first few interact orders that went
//! nowhere; and how the report shows it.

use super::item_counts::{ActionTally, ItemLines};
use super::survival_mix::SurvivalAction;
use net::protocol::craft_state;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Run-wide survival counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurvivalTotals {
    /// By action kind, and refusals by code.
    pub tally: ActionTally<SurvivalAction>,
    /// What else the bots saw.
    pub seen: SurvivalSeen,
    /// The first few interact orders (gathering, chopping, harvesting) that ended without
    /// items, lost their object or got no answer, described.
    pub samples: Vec<String>,
}

/// Most described cases kept.
const MAX_SAMPLES: usize = 8;

impl SurvivalTotals {
    /// Keeps the description of an interact order that went nowhere (the first
    /// [`MAX_SAMPLES`] only).
    pub fn sample(&mut self, describe: impl FnOnce() -> String) {
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push(describe());
        }
    }
}

/// What the survival bots saw happen, all bots together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SurvivalSeen {
    /// CraftProgress messages by state name (`started`, `done`, `cancelled`, `failed`).
    pub craft_progress: BTreeMap<String, u64>,
    /// Health points the bots' attack targets lost while attacked, as the frames showed
    /// (drops between two looks at the target's record; another attacker's hits on the same
    /// target count too).
    pub damage_dealt: u64,
    /// Own Stats going from health above 0 to 0.
    pub deaths: u64,
    /// Own Stats going from health 0 back above 0.
    pub respawns: u64,
    /// ChatHeard messages received (the bots' own lines included).
    pub chat_heard: u64,
}

/// The name of a CraftProgress state (`net::protocol::craft_state`).
pub fn craft_state_name(state: u8) -> &'static str {
    match state {
        craft_state::STARTED => "started",
        craft_state::DONE => "done",
        craft_state::CANCELLED => "cancelled",
        craft_state::FAILED => "failed",
        _ => "unknown",
    }
}

impl SurvivalSeen {
    /// A CraftProgress in `state` arrived.
    pub fn craft_progress(&mut self, state: u8) {
        *self.craft_progress.entry(craft_state_name(state).to_owned()).or_default() += 1;
    }
}

/// The report's survival lines.
pub struct SurvivalLines<'a> {
    /// Counts by action name.
    pub actions: &'a BTreeMap<String, super::item_counts::ActionCounts>,
    /// Refusals by code.
    pub refused: &'a BTreeMap<u16, u64>,
    /// What the bots saw.
    pub seen: &'a SurvivalSeen,
}

impl fmt::Display for SurvivalLines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", ItemLines { label: "survival", actions: self.actions, refused: self.refused })?;
        let s = self.seen;
        write!(
            f,
            "  crafts {:?}; {} damage dealt; {} deaths, {} respawns; {} chat lines heard",
            s.craft_progress, s.damage_dealt, s.deaths, s.respawns, s.chat_heard
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::ActionCounts;

    #[test]
    fn craft_states_are_named_as_the_protocol_names_them() {
        let mut seen = SurvivalSeen::default();
        for state in [craft_state::STARTED, craft_state::DONE, craft_state::STARTED, craft_state::FAILED] {
            seen.craft_progress(state);
        }
        let expected: BTreeMap<String, u64> =
            [("done", 1), ("failed", 1), ("started", 2)].map(|(k, v)| (k.to_owned(), v)).into();
        assert_eq!(seen.craft_progress, expected);
        assert_eq!(craft_state_name(craft_state::CANCELLED), "cancelled");
        assert_eq!(craft_state_name(9), "unknown");
    }

    #[test]
    fn the_lines_show_every_counter() {
        let mut tally = ActionTally::<SurvivalAction>::default();
        tally.sent(SurvivalAction::Eat);
        tally.sent(SurvivalAction::Eat);
        tally.done(SurvivalAction::Eat);
        tally.refused(SurvivalAction::Eat, 147);
        let seen =
            SurvivalSeen { damage_dealt: 24, deaths: 1, respawns: 1, chat_heard: 3, ..Default::default() };
        let actions = tally.by_name();
        assert_eq!(actions["eat"], ActionCounts { sent: 2, done: 1, refused: 1, ..Default::default() });
        let text = SurvivalLines { actions: &actions, refused: &tally.refused, seen: &seen }.to_string();
        assert!(text.starts_with("survival actions: 2 sent, 1 done, 1 refused {147: 1}"), "{text}");
        assert!(text.contains("eat 1/2"), "{text}");
        assert!(text.contains("24 damage dealt; 1 deaths, 1 respawns; 3 chat lines heard"), "{text}");
    }
}
