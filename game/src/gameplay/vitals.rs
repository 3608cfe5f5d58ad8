//! The "vitals" system: once per second of the map's clock it applies the time to every
//! character's vitals ([`crate::stats::Vitals::advance`]: hunger rises, health drains at the hunger limit,
//! stamina comes back). A pass over one dense column, nothing between seconds. A character
//! starving to death is recorded in [`Deaths`]; the system first forgets the previous tick's
//! deaths (it runs first in the gameplay stage, so every later system of the tick sees them).

use super::death::Deaths;
use crate::content::StatRules;
use crate::error::GameError;
use crate::sim::components::Keys;
use engine::{ResourceKey, Schedule, World};

/// The last whole second of the map's clock the vitals were brought to.
#[derive(Debug, Default)]
struct VitalsClock {
    second: Option<u64>,
}

/// Adds the "vitals" system to the gameplay stage.
pub(crate) fn add_system(
    schedule: &mut Schedule,
    world: &mut World,
    stage: usize,
    k: Keys,
    deaths: ResourceKey<Deaths>,
    rules: StatRules,
) -> Result<(), GameError> {
    let clock = world.insert_resource("vitals_clock", VitalsClock::default())?;
    let sys = schedule.system(stage, "vitals").reads_resource(k.clock).writes_resource(clock);
    sys.writes(k.vitals)
        .reads(k.x)
        .reads(k.y)
        .writes_resource(deaths)
        .run(move |ctx, _| {
            let mut deaths = ctx.resource_mut(deaths);
            deaths.fresh.clear();
            let now = ctx.resource(k.clock).now_ms / 1000;
            let mut last = ctx.resource_mut(clock);
            let seconds = match last.second {
                Some(s) if now > s => (now - s).min(u64::from(u32::MAX)) as u32,
                Some(_) => return,
                None => 0,
            };
            last.second = Some(now);
            if seconds == 0 {
                return;
            }
            let n = ctx.group_len(k.group);
            let (mut vitals, x, y) = (ctx.write(k.vitals), ctx.read(k.x), ctx.read(k.y));
            let entities = &x.entities()[..n];
            for (at, v) in vitals.values_mut()[..n].iter_mut().enumerate() {
                let alive = !v.is_dead();
                v.advance(&rules, seconds);
                if alive && v.is_dead() {
                    deaths.died(entities[at], (x.values()[at], y.values()[at]));
                }
            }
        })
        .map_err(Into::into)
}
