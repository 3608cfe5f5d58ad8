//! Server-side bots that play the survival loop (§11): they gather, chop, craft, plant, eat
//! and sometimes fight one another, weighed by the shard's [`BotMix`], so the shard's
//! benchmarks include gameplay. Installed with [`install`] on a map that has the items
//! feature; without it bots only wander (`sim::bots`).
//!
//! A bot acts like a player without a socket: its steps are the same orders and item requests
//! a client sends, judged by the same systems, refused with the same codes (counted in
//! `ItemCounters::bot_refused`, never sent). What it carries lives in an inventory of its own
//! that is never stored (`items::Root`): its items enter storage only when they leave it (a
//! drop, its corpse).
//!
//! The "bot-loop" system, in the gameplay stage, looks at each bot about every 2 s
//! (`LOOK_TICKS`, gaps of 1–3 s): a bot still busy with its order or craft is left to it (up to
//! `GIVE_UP_TICKS`); an idle one reads its inventory ([`brain::Pack`]) and takes its next step
//! ([`brain::decide`]). While the bot policy holds a bot (fleeing after a hit, see
//! [`LoopPolicy`]) the loop leaves it alone. `brain.rs` decides, `mix.rs` weighs, `act.rs` turns a
//! step into an order or a request.

mod act;
pub mod brain;
pub mod mix;

pub use mix::{Activity, BotMix, BotMixError, DEFAULT_BOT_WEIGHTS};

use super::items::MapItems;
use crate::error::GameError;
use crate::orders::Order;
use crate::sim::MapSim;
use crate::sim::bots::{BotPolicy, BotState, BotView};
use brain::{Pack, Step};
use engine::ResourceKey;

/// Ticks between two looks at a bot on average (2 s at 20 Hz, as a player acts every 1–3 s; each
/// gap is drawn from half to one and a half of it).
pub const LOOK_TICKS: u64 = 40;
/// Ticks a spent bot rests before it looks again.
pub const REST_TICKS: u64 = 100;
/// Longest a bot stays with one step before it decides anew (an unreachable target, a fight
/// that drags on), in ticks.
pub const GIVE_UP_TICKS: u64 = 400;

/// The bot policy while the loop plays: it decides nothing itself (the loop does) and flees
/// when hit, as the default does. `BotState::next_tick` is `u64::MAX` while the loop has the bot,
/// a tick while the policy holds it.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoopPolicy;

impl BotPolicy for LoopPolicy {
    fn decide(&self, _: &BotView<'_>, state: &mut BotState) -> Option<Order> {
        state.next_tick = u64::MAX;
        None
    }
}

/// Steps taken since start, by kind (metrics and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoopCounters {
    /// Eat, Rest, Drop, Unequip, Equip, Craft, Plant, Work, Fight, Wander: in [`Step`] order.
    pub steps: [u64; 10],
    /// Work or Fight steps that found nothing near and wandered instead.
    pub nothing_near: u64,
}

impl LoopCounters {
    /// Names of [`LoopCounters::steps`], in order.
    pub const NAMES: [&'static str; 10] =
        ["eat", "rest", "drop", "unequip", "equip", "craft", "plant", "work", "fight", "wander"];

    fn count(&mut self, step: Step) {
        let i = match step {
            Step::Eat(_) => 0,
            Step::Rest => 1,
            Step::Drop(..) => 2,
            Step::Unequip => 3,
            Step::Equip(_) => 4,
            Step::Craft(_) => 5,
            Step::Plant(_) => 6,
            Step::Work(_) => 7,
            Step::Fight => 8,
            Step::Wander => 9,
        };
        self.steps[i] += 1;
    }
}

/// When each bot is looked at next, by entity index.
#[derive(Debug, Clone, Copy, Default)]
struct Due {
    /// Tick of the next look.
    next: u64,
    /// Tick the current step started.
    since: u64,
    /// Until this tick a Work or Fight step wanders instead of searching (nothing was near).
    barren_until: u64,
    /// The bot's inventory exists (it was looked at before).
    entered: bool,
}

/// The loop's state: the mix, each bot's next look, a reused inventory summary, counters.
#[derive(Debug)]
pub struct BotLoop {
    mix: BotMix,
    due: Vec<Due>,
    /// Where the next tick's walk over the bots starts (round robin under the budget).
    cursor: usize,
    pack: Pack,
    /// Steps since start.
    pub counters: LoopCounters,
}

/// Makes the map's bots play the loop with `mix` (the map must have the items feature).
pub fn install(
    sim: &mut MapSim,
    items: ResourceKey<MapItems>,
    mix: BotMix,
) -> Result<ResourceKey<BotLoop>, GameError> {
    sim.set_bot_policy(Box::new(LoopPolicy));
    let state =
        BotLoop { mix, due: Vec::new(), cursor: 0, pack: Pack::default(), counters: LoopCounters::default() };
    let key = sim.world.insert_resource("bot-loop", state)?;
    act::add_system(sim, items, key)?;
    Ok(key)
}
