//! The growth feature (§10): resident trees and crops change stage at their stage's end, without
//! scanning. Every growing object entering the map (loaded with its chunk, inserted, changed) is
//! brought up to date in closed form and its next stage change scheduled in the map's
//! [`GrowthTimers`]; each tick the "growth" system pops only the entries that are due and
//! advances those objects with [`crate::growth::advance`] (the new stage starts at the time the
//! last one ended, not at the tick that noticed, so a resident chunk shows exactly what a chunk
//! loaded after the same time away shows). The change goes through
//! [`grow_record`](crate::sim::objects::grow_record): the chunk is one version newer and clients
//! holding it get an ObjectDelta change, but the chunk is not dirty: the stored stage and its
//! times already give the new stage on any load, so growth alone never rewrites a chunk.
//!
//! An entry whose object was removed or unloaded (its entity dead or its slot reused) or changed
//! since (its record's stage end differs) is skipped.

use crate::error::GameError;
use crate::growth::{GrowthTimers, advance, clock_ms};
use crate::sim::MapSim;
use crate::sim::objects::grow_record;
use engine::ResourceKey;

/// Adds the growth feature to a map: scheduling in its [`GrowthTimers`] and the "growth"
/// gameplay system. Install it before the first tick (objects loaded earlier are not scheduled).
pub fn install(sim: &mut MapSim) -> Result<ResourceKey<GrowthTimers>, GameError> {
    let k = sim.keys;
    sim.world.resource_mut(k.growth).enable();
    let content = sim.content.clone();
    let sys = sim.gameplay_system("growth").writes(k.object).writes_resource(k.chunks);
    sys.writes_resource(k.growth).reads_resource(k.clock).run(move |ctx, _| {
        let now = clock_ms(ctx.resource(k.clock).now_ms);
        let mut timers = ctx.resource_mut(k.growth);
        let mut records = ctx.write(k.object);
        let mut chunks = ctx.resource_mut(k.chunks);
        if timers.needs_cleaning() {
            timers.clean(|ends, e| records.get(e).is_some_and(|r| r.stage_ends_ms == ends));
        }
        while let Some((ends, e)) = timers.pop_due(now) {
            let Some(r) = records.get(e).filter(|r| r.stage_ends_ms == ends) else { continue };
            let Some(g) = content.growth(r.kind) else { continue };
            let next = advance(g, r.stage, r.stage_started_ms, now);
            if grow_record(&mut records, &mut chunks, e, |r| next.write(r)).is_some() {
                timers.schedule(next.ends_ms, e);
            }
        }
    })?;
    Ok(k.growth)
}
