//! Gameplay: what actions do (chopping, picking up, opening, combat: issue #7 and later). Each
//! rule is a system in the map's "gameplay" stage, added with
//! [`MapSim::gameplay_system`](crate::MapSim::gameplay_system), that declares the columns and
//! resources it reads and writes (the engine panics when a system touches anything undeclared)
//! and judges the actions it handles in the tick's [`ActionQueue`] (declared written) by setting
//! their [`Action::result`](crate::orders::Action::result). Structural changes (a felled tree
//! removed, loot spawned) go through the system's command buffer.
//!
//! This module holds the one system that drains the queue, in the "actions" stage after every
//! gameplay system: `Done` ends the actor's order, `Continue` keeps it (the action comes again
//! next tick), `Refused` ends it as impossible. An action nobody judged is `Done`, so with no
//! gameplay an interact or attack order completes as soon as the character is in reach.
//!
//! Features: [`items`] (containers and the items in them), [`growth`] (trees and crops growing
//! through their stages), [`ways`] (travel between layers).

pub mod bots;
pub mod combat;
pub mod death;
pub mod growth;
pub mod items;
pub mod vitals;
pub mod ways;

use crate::error::GameError;
use crate::orders::ActionQueue;
use crate::sim::components::Keys;
use engine::{ResourceKey, Schedule};

/// Adds the "gameplay" stage (empty until gameplay systems join it) and the "actions" stage
/// that drains the queue; returns the gameplay stage's index.
pub(crate) fn add_stages(
    schedule: &mut Schedule,
    k: Keys,
    queue: ResourceKey<ActionQueue>,
) -> Result<usize, GameError> {
    let gameplay = schedule.add_stage("gameplay");
    let stage = schedule.add_stage("actions");
    let sys = schedule.system(stage, "act").writes(k.order).writes_resource(queue);
    sys.run(move |ctx, _| {
        let mut orders = ctx.write(k.order);
        for action in ctx.resource_mut(queue).drain() {
            let Some(outcome) = action.result.outcome() else { continue };
            if let Some(slot) = orders.get_mut(action.actor).filter(|s| s.seq == action.seq) {
                slot.finish(outcome);
            }
        }
    })?;
    Ok(gameplay)
}
