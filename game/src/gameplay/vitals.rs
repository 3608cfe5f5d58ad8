//! The "vitals" system: once per second of the map's clock it applies the time to every
//! character's vitals ([`crate::stats::Vitals::advance`]: hunger rises, health drains at the hunger limit,
//! stamina comes back). A pass over one dense column, nothing between seconds.

use crate::content::StatRules;
use crate::error::GameError;
use crate::sim::components::Keys;
use engine::{Schedule, World};

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
    rules: StatRules,
) -> Result<(), GameError> {
    let clock = world.insert_resource("vitals_clock", VitalsClock::default())?;
    let sys = schedule.system(stage, "vitals").reads_resource(k.clock).writes_resource(clock);
    sys.writes(k.vitals)
        .run(move |ctx, _| {
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
            let mut vitals = ctx.write(k.vitals);
            for v in vitals.values_mut() {
                v.advance(&rules, seconds);
            }
        })
        .map_err(Into::into)
}
